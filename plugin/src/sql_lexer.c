/* sql_lexer - see sql_lexer.h. */
#include "sql_lexer.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct lexer {
	const char *s;
	size_t n, i;
	bool backslash; /* standard_conforming_strings off: '...' takes backslash escapes */
} lexer;

static bool ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool ident_cont(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Skip whitespace and comments; false when a block comment does not end. */
static bool skip_space(lexer *l)
{
	for (;;) {
		while (l->i < l->n && strchr(" \t\n\r\f\v", l->s[l->i]) != NULL)
			l->i++;
		if (l->i + 1 < l->n && l->s[l->i] == '-' && l->s[l->i + 1] == '-') {
			while (l->i < l->n && l->s[l->i] != '\n' && l->s[l->i] != '\r')
				l->i++;
			continue;
		}
		if (l->i + 1 < l->n && l->s[l->i] == '/' && l->s[l->i + 1] == '*') {
			int depth = 0;
			while (l->i < l->n) {
				if (l->i + 1 < l->n && l->s[l->i] == '/' && l->s[l->i + 1] == '*') {
					depth++;
					l->i += 2;
				} else if (l->i + 1 < l->n && l->s[l->i] == '*' && l->s[l->i + 1] == '/') {
					l->i += 2;
					if (--depth == 0)
						break;
				} else {
					l->i++;
				}
			}
			if (depth != 0)
				return false;
			continue;
		}
		return true;
	}
}

/* A quoted run starting at the opening quote q; escapes: backslash escapes (E'' strings). */
static bool quoted(lexer *l, char q, bool escapes)
{
	l->i++;
	while (l->i < l->n) {
		char c = l->s[l->i];
		if (escapes && c == '\\') {
			l->i += 2;
			continue;
		}
		l->i++;
		if (c == q) {
			if (l->i < l->n && l->s[l->i] == q) {
				l->i++;
				continue;
			}
			return true;
		}
	}
	l->i = l->n;
	return false;
}

/* $tag$ at l->i: the length of the delimiter, or 0 when this is not one. */
static size_t dollar_tag(const lexer *l)
{
	size_t j = l->i + 1;
	if (j < l->n && l->s[j] == '$')
		return 2;
	if (j >= l->n || !ident_start((unsigned char)l->s[j]))
		return 0;
	while (j < l->n && (isalnum((unsigned char)l->s[j]) || l->s[j] == '_' ||
			    (unsigned char)l->s[j] >= 0x80))
		j++;
	return j < l->n && l->s[j] == '$' ? j + 1 - l->i : 0;
}

static void next_token(lexer *l, nsp_token *t)
{
	if (!skip_space(l)) {
		t->kind = NSP_T_UNTERMINATED;
		return;
	}
	t->p = l->s + l->i;
	t->len = 0;
	if (l->i >= l->n) {
		t->kind = NSP_T_EOF;
		return;
	}
	size_t start = l->i;
	unsigned char c = (unsigned char)l->s[l->i];
	unsigned char c1 = l->i + 1 < l->n ? (unsigned char)l->s[l->i + 1] : 0;
	unsigned char c2 = l->i + 2 < l->n ? (unsigned char)l->s[l->i + 2] : 0;
	bool ok = true;
	if ((c == 'e' || c == 'E') && c1 == '\'') {
		l->i++;
		t->kind = NSP_T_STRING;
		ok = quoted(l, '\'', true);
	} else if ((c == 'u' || c == 'U') && c1 == '&' && (c2 == '\'' || c2 == '"')) {
		l->i += 2;
		t->kind = c2 == '"' ? NSP_T_QIDENT : NSP_T_STRING;
		ok = quoted(l, (char)c2, false);
	} else if (strchr("bBxXnN", c) != NULL && c1 == '\'') {
		l->i++;
		t->kind = NSP_T_STRING;
		ok = quoted(l, '\'', l->backslash);
	} else if (c == '\'') {
		t->kind = NSP_T_STRING;
		ok = quoted(l, '\'', l->backslash);
	} else if (c == '"') {
		t->kind = NSP_T_QIDENT;
		ok = quoted(l, '"', false);
	} else if (c == '$' && isdigit(c1)) {
		t->kind = NSP_T_PARAM;
		l->i++;
		while (l->i < l->n && isdigit((unsigned char)l->s[l->i]))
			l->i++;
	} else if (c == '$' && dollar_tag(l) > 0) {
		size_t tag = dollar_tag(l);
		const char *delim = l->s + l->i;
		t->kind = NSP_T_STRING;
		l->i += tag;
		ok = false;
		while (l->i + tag <= l->n) {
			if (l->s[l->i] == '$' && memcmp(l->s + l->i, delim, tag) == 0) {
				l->i += tag;
				ok = true;
				break;
			}
			l->i++;
		}
		if (!ok)
			l->i = l->n;
	} else if (ident_start(c)) {
		t->kind = NSP_T_WORD;
		while (l->i < l->n && ident_cont((unsigned char)l->s[l->i]))
			l->i++;
	} else if (isdigit(c) || (c == '.' && isdigit(c1))) {
		t->kind = NSP_T_NUMBER;
		while (l->i < l->n) {
			unsigned char d = (unsigned char)l->s[l->i];
			if ((d == 'e' || d == 'E') && l->i + 1 < l->n && strchr("+-", l->s[l->i + 1]) &&
			    l->i + 2 < l->n && isdigit((unsigned char)l->s[l->i + 2]))
				l->i += 2;
			else if (isalnum(d) || d == '_' || d == '.')
				l->i++;
			else
				break;
		}
	} else {
		l->i++;
		t->kind = c == ';' ? NSP_T_SEMI : c == '(' ? NSP_T_OPEN : c == ')' ? NSP_T_CLOSE : c == ',' ? NSP_T_COMMA
			  : c == '.' ? NSP_T_DOT : NSP_T_OP;
	}
	if (!ok)
		t->kind = NSP_T_UNTERMINATED;
	t->len = l->i - start;
}

bool nsp_sql_word_is(const nsp_token *t, const char *w)
{
	return t->kind == NSP_T_WORD && strlen(w) == t->len && strncasecmp(t->p, w, t->len) == 0;
}

void nsp_sql_tokens_free(nsp_tokens *tk)
{
	free(tk->t);
	free(tk->st);
	memset(tk, 0, sizeof(*tk));
}

static bool push_token(nsp_tokens *tk, const nsp_token *t)
{
	if (tk->n == tk->cap) {
		size_t cap = tk->cap ? tk->cap * 2 : 64;
		nsp_token *p = realloc(tk->t, cap * sizeof(*p));
		if (p == NULL)
			return false;
		tk->t = p;
		tk->cap = cap;
	}
	tk->t[tk->n++] = *t;
	return true;
}

static bool push_stmt(nsp_tokens *tk, size_t first, size_t end)
{
	if (end == first)
		return true; /* empty statement (";;"): nothing runs */
	if (tk->nst == tk->stcap) {
		size_t cap = tk->stcap ? tk->stcap * 2 : 8;
		nsp_stmt *p = realloc(tk->st, cap * sizeof(*p));
		if (p == NULL)
			return false;
		tk->st = p;
		tk->stcap = cap;
	}
	/* pointers are fixed up once every token is in */
	tk->st[tk->nst].t = (const nsp_token *)(uintptr_t)first;
	tk->st[tk->nst++].n = end - first;
	return true;
}

/* Are tokens [first, i) the head of CREATE [OR REPLACE] FUNCTION|PROCEDURE? */
static bool in_routine(const nsp_tokens *tk, size_t first)
{
	size_t i = first;
	if (i >= tk->n || !nsp_sql_word_is(&tk->t[i], "CREATE"))
		return false;
	i++;
	if (i + 1 < tk->n && nsp_sql_word_is(&tk->t[i], "OR") && nsp_sql_word_is(&tk->t[i + 1], "REPLACE"))
		i += 2;
	return i < tk->n && (nsp_sql_word_is(&tk->t[i], "FUNCTION") || nsp_sql_word_is(&tk->t[i], "PROCEDURE"));
}

/* Lex sql and split it into statements at top-level semicolons; a BEGIN ATOMIC body of a
 * CREATE FUNCTION/PROCEDURE keeps its semicolons (it ends at END right after one of them, or
 * right after ATOMIC, as in PostgreSQL's grammar). Unbalanced parentheses, a semicolon inside
 * parentheses, and unterminated quotes or comments make the server reject the whole string:
 * reported as NSP_SPLIT_SERVER_REJECTS. */
nsp_split_result nsp_sql_split(const char *sql, bool backslash, nsp_tokens *tk)
{
	lexer l = {.s = sql, .n = strlen(sql), .i = 0, .backslash = backslash};
	int depth = 0;
	size_t first = 0;
	bool body = false, body_stmt_start = false;
	for (;;) {
		nsp_token t;
		next_token(&l, &t);
		if (t.kind == NSP_T_UNTERMINATED)
			return NSP_SPLIT_SERVER_REJECTS;
		t.depth = depth;
		if (t.kind == NSP_T_EOF)
			break;
		if (t.kind == NSP_T_OPEN)
			depth++;
		if (t.kind == NSP_T_CLOSE && --depth < 0)
			return NSP_SPLIT_SERVER_REJECTS;
		if (t.kind == NSP_T_SEMI && depth != 0)
			return NSP_SPLIT_SERVER_REJECTS;
		if (body && body_stmt_start && nsp_sql_word_is(&t, "END"))
			body = false;
		body_stmt_start = false;
		if (t.kind == NSP_T_SEMI && !body) {
			if (!push_stmt(tk, first, tk->n))
				return NSP_SPLIT_NOMEM;
			first = tk->n;
			continue;
		}
		if (t.kind == NSP_T_SEMI)
			body_stmt_start = true;
		if (!push_token(tk, &t))
			return NSP_SPLIT_NOMEM;
		if (!body && depth == 0 && nsp_sql_word_is(&t, "ATOMIC") && tk->n >= 2 + first &&
		    nsp_sql_word_is(&tk->t[tk->n - 2], "BEGIN") && in_routine(tk, first)) {
			body = true;
			body_stmt_start = true;
		}
	}
	if (depth != 0 || body)
		return NSP_SPLIT_SERVER_REJECTS;
	if (!push_stmt(tk, first, tk->n))
		return NSP_SPLIT_NOMEM;
	for (size_t i = 0; i < tk->nst; i++)
		tk->st[i].t = tk->t + (size_t)(uintptr_t)tk->st[i].t;
	return NSP_SPLIT_OK;
}

bool nsp_sql_head_is(const nsp_stmt *s, const char *pattern)
{
	size_t i = 0;
	const char *p = pattern;
	while (*p) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (i >= s->n || s->t[i].kind != NSP_T_WORD || s->t[i].len != len ||
		    strncasecmp(s->t[i].p, p, len) != 0)
			return false;
		i++;
		p += len;
		while (*p == ' ')
			p++;
	}
	return true;
}

/* Index of the first depth-0 word w at or after `from`, or n. */
size_t nsp_sql_find_word0(const nsp_stmt *s, size_t from, const char *w)
{
	for (size_t i = from; i < s->n; i++)
		if (s->t[i].depth == 0 && nsp_sql_word_is(&s->t[i], w))
			return i;
	return s->n;
}

bool nsp_sql_has_word0(const nsp_stmt *s, const char *w)
{
	return nsp_sql_find_word0(s, 0, w) < s->n;
}


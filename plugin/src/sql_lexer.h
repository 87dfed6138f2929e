/* sql_lexer - PostgreSQL's lexical rules, enough to split a string of SQL into statements where
 * the server would (quotes, "identifiers", E'' strings, $tag$ quoting, nested comments, BEGIN
 * ATOMIC bodies) and to look at the words of each: what plan_shapes.c checks a plan's SQL with. */
#ifndef NSP_SQL_LEXER_H
#define NSP_SQL_LEXER_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
	NSP_T_WORD, NSP_T_QIDENT, NSP_T_STRING, NSP_T_NUMBER, NSP_T_PARAM, NSP_T_OP, NSP_T_SEMI,
	NSP_T_OPEN, NSP_T_CLOSE, NSP_T_COMMA, NSP_T_DOT, NSP_T_EOF, NSP_T_UNTERMINATED
} nsp_tok_kind;

typedef struct nsp_token {
	nsp_tok_kind kind;
	const char *p;
	size_t len;
	int depth; /* parenthesis depth before the token */
} nsp_token;

/* One statement: tokens [first, first + n) of the string's token array. */
typedef struct nsp_stmt {
	const nsp_token *t;
	size_t n;
} nsp_stmt;

typedef struct nsp_tokens {
	nsp_token *t;
	size_t n, cap;
	nsp_stmt *st;
	size_t nst, stcap;
} nsp_tokens;

typedef enum { NSP_SPLIT_OK, NSP_SPLIT_REJECT, NSP_SPLIT_NOMEM, NSP_SPLIT_SERVER_REJECTS } nsp_split_result;

/* Lex sql (backslash: standard_conforming_strings off, '...' takes backslash escapes) and split
 * it into statements at top-level semicolons, into tk (zeroed by the caller; free it with
 * nsp_sql_tokens_free). NSP_SPLIT_SERVER_REJECTS: the server would reject the whole string
 * (unbalanced parentheses, a semicolon inside them, an unterminated quote or comment). */
nsp_split_result nsp_sql_split(const char *sql, bool backslash, nsp_tokens *tk);
void nsp_sql_tokens_free(nsp_tokens *tk);

/* A word token equal to w, case-insensitively. */
bool nsp_sql_word_is(const nsp_token *t, const char *w);
/* Leading words of a statement match `pattern` (space-separated words). */
bool nsp_sql_head_is(const nsp_stmt *s, const char *pattern);
/* Position of the first word w at parenthesis depth 0 from `from`; s->n when there is none. */
size_t nsp_sql_find_word0(const nsp_stmt *s, size_t from, const char *w);
bool nsp_sql_has_word0(const nsp_stmt *s, const char *w);

#endif

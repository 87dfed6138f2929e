#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char empty_string[1];

void nsp_strbuf_init(nsp_strbuf *sb)
{
	sb->data = empty_string;
	sb->len = 0;
	sb->cap = 0;
	sb->failed = false;
}

void nsp_strbuf_free(nsp_strbuf *sb)
{
	if (sb->cap > 0)
		free(sb->data);
	nsp_strbuf_init(sb);
}

void nsp_strbuf_reset(nsp_strbuf *sb)
{
	sb->len = 0;
	if (sb->cap > 0)
		sb->data[0] = '\0';
}

bool nsp_strbuf_failed(const nsp_strbuf *sb)
{
	return sb->failed;
}

static bool reserve(nsp_strbuf *sb, size_t extra)
{
	if (sb->failed)
		return false;
	if (sb->len + extra + 1 <= sb->cap)
		return true;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < sb->len + extra + 1)
		cap *= 2;
	char *data = sb->cap ? realloc(sb->data, cap) : malloc(cap);
	if (data == NULL) {
		sb->failed = true;
		return false;
	}
	if (sb->cap == 0)
		data[0] = '\0';
	sb->data = data;
	sb->cap = cap;
	return true;
}

void nsp_strbuf_append_len(nsp_strbuf *sb, const char *s, size_t n)
{
	if (!reserve(sb, n))
		return;
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void nsp_strbuf_append(nsp_strbuf *sb, const char *s)
{
	nsp_strbuf_append_len(sb, s, strlen(s));
}

void nsp_strbuf_append_char(nsp_strbuf *sb, char c)
{
	nsp_strbuf_append_len(sb, &c, 1);
}

void nsp_strbuf_appendf(nsp_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	if (!reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void nsp_strbuf_append_ident(nsp_strbuf *sb, const char *ident)
{
	nsp_strbuf_append_char(sb, '"');
	for (const char *p = ident; *p; p++) {
		if (*p == '"')
			nsp_strbuf_append_char(sb, '"');
		nsp_strbuf_append_char(sb, *p);
	}
	nsp_strbuf_append_char(sb, '"');
}

void nsp_strbuf_append_qualified(nsp_strbuf *sb, const char *schema, const char *name)
{
	nsp_strbuf_append_ident(sb, schema);
	nsp_strbuf_append_char(sb, '.');
	nsp_strbuf_append_ident(sb, name);
}

void nsp_strbuf_append_literal(nsp_strbuf *sb, const char *s)
{
	if (strchr(s, '\\') != NULL)
		nsp_strbuf_append_char(sb, 'E');
	nsp_strbuf_append_char(sb, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'' || *p == '\\')
			nsp_strbuf_append_char(sb, *p);
		nsp_strbuf_append_char(sb, *p);
	}
	nsp_strbuf_append_char(sb, '\'');
}

char *nsp_strbuf_detach(nsp_strbuf *sb)
{
	char *out;
	if (sb->failed) {
		nsp_strbuf_free(sb);
		return NULL;
	}
	if (sb->cap == 0)
		out = strdup("");
	else
		out = sb->data;
	nsp_strbuf_init(sb);
	return out;
}

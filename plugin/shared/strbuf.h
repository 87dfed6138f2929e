/* strbuf - a growable, always NUL-terminated string; the one way SQL and messages are built.
 * Allocation failure is sticky: later appends do nothing and nsp_strbuf_failed() says so,
 * so callers check once at the end instead of after every append. */
#ifndef NSP_STRBUF_H
#define NSP_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct nsp_strbuf {
	char *data;  /* NUL-terminated; "" when empty (never NULL after init) */
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed */
} nsp_strbuf;

void nsp_strbuf_init(nsp_strbuf *sb);
void nsp_strbuf_free(nsp_strbuf *sb);
void nsp_strbuf_reset(nsp_strbuf *sb);
bool nsp_strbuf_failed(const nsp_strbuf *sb);
void nsp_strbuf_append(nsp_strbuf *sb, const char *s);
void nsp_strbuf_append_len(nsp_strbuf *sb, const char *s, size_t n);
void nsp_strbuf_append_char(nsp_strbuf *sb, char c);
void nsp_strbuf_appendf(nsp_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append an SQL identifier, always double-quoted ("a""b"). */
void nsp_strbuf_append_ident(nsp_strbuf *sb, const char *ident);
/* Append "schema"."name". */
void nsp_strbuf_append_qualified(nsp_strbuf *sb, const char *schema, const char *name);
/* Append an SQL string literal ('it''s'; E'...' when it holds a backslash). */
void nsp_strbuf_append_literal(nsp_strbuf *sb, const char *s);
/* Hand the string over to the caller (free() it); the buffer is left empty. NULL on failure. */
char *nsp_strbuf_detach(nsp_strbuf *sb);

#endif

#include "redact.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

/* libpq parses both URL and key=value forms, so redaction never guesses at syntax. */
void nsp_redact_conninfo(const char *conninfo, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	snprintf(out, outlen, "<connection>");
	if (conninfo == NULL)
		return;
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	if (opts == NULL)
		return;
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	static const char *const kept[] = {"host", "hostaddr", "port", "dbname"};
	for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++) {
		for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
			if (strcmp(o->keyword, kept[k]) != 0 || o->val == NULL || o->val[0] == '\0')
				continue;
			if (sb.len > 0)
				nsp_strbuf_append_char(&sb, ' ');
			nsp_strbuf_appendf(&sb, "%s=%s", o->keyword, o->val);
		}
	}
	PQconninfoFree(opts);
	if (!nsp_strbuf_failed(&sb) && sb.len > 0)
		snprintf(out, outlen, "%s", sb.data);
	nsp_strbuf_free(&sb);
}

void nsp_redact_secret_in_place(char *text, const char *secret)
{
	if (text == NULL || secret == NULL || secret[0] == '\0')
		return;
	size_t n = strlen(secret);
	for (char *p = strstr(text, secret); p != NULL; p = strstr(p + n, secret))
		memset(p, '*', n);
}

/* render_collations - collations as pg_dump writes them (render_collations.h). */
#include <string.h>

#include "render_collations.h"

static const char *provider_name(char provider)
{
	switch (provider) {
	case 'i': return "icu";
	case 'b': return "builtin";
	default: return "libc";
	}
}

void nsp_render_collation(const nsp_collation_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "CREATE COLLATION ");
	nsp_strbuf_append_qualified(sql, r->schema, r->name);
	nsp_strbuf_append(sql, " (provider = ");
	nsp_strbuf_append(sql, provider_name(r->provider));
	if (!r->deterministic)
		nsp_strbuf_append(sql, ", deterministic = false");
	if (r->locale != NULL) {
		nsp_strbuf_append(sql, ", locale = ");
		nsp_strbuf_append_literal(sql, r->locale);
	} else if (r->collate != NULL && r->ctype != NULL && strcmp(r->collate, r->ctype) == 0) {
		nsp_strbuf_append(sql, ", locale = ");
		nsp_strbuf_append_literal(sql, r->collate);
	} else {
		nsp_strbuf_append(sql, ", lc_collate = ");
		nsp_strbuf_append_literal(sql, r->collate ? r->collate : "");
		nsp_strbuf_append(sql, ", lc_ctype = ");
		nsp_strbuf_append_literal(sql, r->ctype ? r->ctype : "");
	}
	if (r->rules != NULL) {
		nsp_strbuf_append(sql, ", rules = ");
		nsp_strbuf_append_literal(sql, r->rules);
	}
	nsp_strbuf_append(sql, ");");
}

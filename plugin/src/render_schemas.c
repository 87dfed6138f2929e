/* render_schemas - schemas and extensions (render_schemas.h). */
#include <string.h>

#include "render_schemas.h"

void nsp_render_schema(const char *name, nsp_strbuf *sql)
{
	if (strcmp(name, "public") == 0)
		return;
	nsp_strbuf_append(sql, "CREATE SCHEMA ");
	nsp_strbuf_append_ident(sql, name);
	nsp_strbuf_append(sql, ";");
}

void nsp_render_extension(const nsp_extension_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "CREATE EXTENSION IF NOT EXISTS ");
	nsp_strbuf_append_ident(sql, r->name);
	nsp_strbuf_append(sql, " WITH SCHEMA ");
	nsp_strbuf_append_ident(sql, r->schema);
	nsp_strbuf_append(sql, ";");
}

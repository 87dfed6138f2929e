/* render_sequences - sequences as pg_dump writes them (render_sequences.h). */
#include <string.h>

#include "render_sequences.h"

void nsp_render_sequence(const nsp_sequence_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, r->unlogged ? "CREATE UNLOGGED SEQUENCE " : "CREATE SEQUENCE ");
	nsp_strbuf_append_qualified(sql, r->schema, r->name);
	if (strcmp(r->type, "bigint") != 0)
		nsp_strbuf_appendf(sql, "\n    AS %s", r->type);
	nsp_strbuf_appendf(sql, "\n    START WITH %s\n    INCREMENT BY %s", r->start, r->increment);
	if (r->min != NULL)
		nsp_strbuf_appendf(sql, "\n    MINVALUE %s", r->min);
	else
		nsp_strbuf_append(sql, "\n    NO MINVALUE");
	if (r->max != NULL)
		nsp_strbuf_appendf(sql, "\n    MAXVALUE %s", r->max);
	else
		nsp_strbuf_append(sql, "\n    NO MAXVALUE");
	nsp_strbuf_appendf(sql, "\n    CACHE %s", r->cache);
	if (r->cycle)
		nsp_strbuf_append(sql, "\n    CYCLE");
	nsp_strbuf_append(sql, ";");
}

void nsp_render_sequence_owned_by(const char *schema, const char *name, const char *table_schema,
				  const char *table, const char *column, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "ALTER SEQUENCE ");
	nsp_strbuf_append_qualified(sql, schema, name);
	nsp_strbuf_append(sql, " OWNED BY ");
	nsp_strbuf_append_qualified(sql, table_schema, table);
	nsp_strbuf_append_char(sql, '.');
	nsp_strbuf_append_ident(sql, column);
	nsp_strbuf_append(sql, ";");
}

bool nsp_render_sequence_value(const char *schema, const char *name, const char *value, bool is_called,
			       nsp_strbuf *sql)
{
	nsp_strbuf qualified;
	nsp_strbuf_init(&qualified);
	nsp_strbuf_append_qualified(&qualified, schema, name);
	bool ok = !nsp_strbuf_failed(&qualified);
	if (ok) {
		nsp_strbuf_append(sql, "SELECT pg_catalog.setval(");
		nsp_strbuf_append_literal(sql, qualified.data);
		nsp_strbuf_appendf(sql, ", %s, %s);", value, is_called ? "true" : "false");
	}
	nsp_strbuf_free(&qualified);
	return ok && !nsp_strbuf_failed(sql);
}

/* render_views - views and materialized views as pg_dump writes them (render_views.h). */
#include <string.h>

#include "render_views.h"

/* pg_get_viewdef() without its trailing ';' (and whitespace): the WITH clauses follow it. */
static void append_viewdef(nsp_strbuf *sb, const char *def)
{
	size_t len = strlen(def);
	while (len > 0 && (def[len - 1] == ';' || def[len - 1] == ' ' || def[len - 1] == '\n'))
		len--;
	nsp_strbuf_append_len(sb, def, len);
}

void nsp_render_view(const nsp_view_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, r->materialized ? "CREATE MATERIALIZED VIEW " : "CREATE VIEW ");
	nsp_strbuf_append_qualified(sql, r->schema, r->name);
	if (r->materialized && r->access_method != NULL && strcmp(r->access_method, "heap") != 0) {
		nsp_strbuf_append(sql, " USING ");
		nsp_strbuf_append_ident(sql, r->access_method);
	}
	if (r->options != NULL && r->options[0] != '\0')
		nsp_strbuf_appendf(sql, "%sWITH (%s)", r->materialized ? "\n" : " ", r->options);
	nsp_strbuf_append(sql, " AS\n");
	append_viewdef(sql, r->definition ? r->definition : "");
	if (r->materialized)
		nsp_strbuf_append(sql, "\n  WITH NO DATA");
	else if (r->check_option != NULL)
		nsp_strbuf_appendf(sql, "\n  WITH %s CHECK OPTION", r->check_option);
	nsp_strbuf_append(sql, ";");
	if (r->column_sql != NULL && r->column_sql[0] != '\0') {
		nsp_strbuf_append_char(sql, '\n');
		nsp_strbuf_append(sql, r->column_sql);
	}
}

void nsp_render_matview_refresh(const nsp_view_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "REFRESH MATERIALIZED VIEW ");
	nsp_strbuf_append_qualified(sql, r->schema, r->name);
	nsp_strbuf_append(sql, ";");
}

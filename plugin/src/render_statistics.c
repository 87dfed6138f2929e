/* render_statistics - extended statistics as pg_dump writes them (render_statistics.h). */
#include "render_statistics.h"

void nsp_render_statistics(const nsp_statistics_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, r->definition);
	nsp_strbuf_append(sql, ";");
	if (r->target == NULL)
		return;
	nsp_strbuf_append(sql, "\nALTER STATISTICS ");
	nsp_strbuf_append_qualified(sql, r->schema, r->name);
	nsp_strbuf_appendf(sql, " SET STATISTICS %s;", r->target);
}

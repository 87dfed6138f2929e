/* render_indexes - indexes and the table properties that name them, as pg_dump writes them
 * (render_indexes.h). */
#include "render_indexes.h"

void nsp_render_index(const nsp_index_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, r->definition);
	nsp_strbuf_append(sql, ";");
	if (r->statistics != NULL) {
		nsp_strbuf_append_char(sql, ' ');
		nsp_strbuf_append(sql, r->statistics);
	}
}

void nsp_render_index_attach(const nsp_index_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "ALTER INDEX ");
	nsp_strbuf_append_qualified(sql, r->parent_schema, r->parent_name);
	nsp_strbuf_append(sql, " ATTACH PARTITION ");
	nsp_strbuf_append_qualified(sql, r->schema, r->name);
	nsp_strbuf_append(sql, ";");
}

void nsp_render_index_cluster(const nsp_index_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "ALTER TABLE ");
	nsp_strbuf_append_qualified(sql, r->schema, r->table);
	nsp_strbuf_append(sql, " CLUSTER ON ");
	nsp_strbuf_append_ident(sql, r->name);
	nsp_strbuf_append(sql, ";");
}

void nsp_render_index_replica_identity(const nsp_index_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "ALTER TABLE ONLY ");
	nsp_strbuf_append_qualified(sql, r->schema, r->table);
	nsp_strbuf_append(sql, " REPLICA IDENTITY USING INDEX ");
	nsp_strbuf_append_ident(sql, r->name);
	nsp_strbuf_append(sql, ";");
}

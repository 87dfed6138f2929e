/* render_constraints - table constraints as pg_dump writes them (render_constraints.h). */
#include "render_constraints.h"

void nsp_render_constraint_index(const nsp_constraint_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, r->index_definition);
	nsp_strbuf_append(sql, ";");
}

void nsp_render_constraint(const nsp_constraint_row *r, bool not_valid, nsp_strbuf *sql)
{
	bool only = r->type == 'f' ? !r->partitioned : r->type != 'c' && r->type != 'n';
	nsp_strbuf_append(sql, only ? "ALTER TABLE ONLY " : "ALTER TABLE ");
	nsp_strbuf_append_qualified(sql, r->schema, r->table);
	nsp_strbuf_append(sql, " ADD CONSTRAINT ");
	nsp_strbuf_append_ident(sql, r->name);
	if (r->index_definition != NULL) {
		nsp_strbuf_append(sql, r->type == 'p' ? " PRIMARY KEY USING INDEX " : " UNIQUE USING INDEX ");
		nsp_strbuf_append(sql, r->index_name);
		if (r->deferrable)
			nsp_strbuf_append(sql, " DEFERRABLE");
		if (r->deferred)
			nsp_strbuf_append(sql, " INITIALLY DEFERRED");
		nsp_strbuf_append(sql, ";");
	} else {
		nsp_strbuf_append_char(sql, ' ');
		nsp_strbuf_append(sql, r->definition);
		nsp_strbuf_append(sql, not_valid ? " NOT VALID;" : ";");
	}
}

void nsp_render_constraint_validate(const nsp_constraint_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "ALTER TABLE ");
	nsp_strbuf_append_qualified(sql, r->schema, r->table);
	nsp_strbuf_append(sql, " VALIDATE CONSTRAINT ");
	nsp_strbuf_append_ident(sql, r->name);
	nsp_strbuf_append(sql, ";");
}

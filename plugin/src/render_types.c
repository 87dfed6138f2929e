/* render_types - user types as pg_dump writes them (render_types.h). */
#include "render_types.h"

void nsp_render_enum(const nsp_enum_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "CREATE TYPE ");
	nsp_strbuf_append(sql, r->qualified);
	nsp_strbuf_append(sql, " AS ENUM (");
	for (size_t i = 0; i < r->nlabels; i++) {
		nsp_strbuf_append(sql, i > 0 ? ",\n    " : "\n    ");
		nsp_strbuf_append_literal(sql, r->labels[i]);
	}
	nsp_strbuf_append(sql, "\n);");
}

void nsp_render_composite(const nsp_composite_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "CREATE TYPE ");
	nsp_strbuf_append(sql, r->qualified);
	nsp_strbuf_append(sql, " AS (");
	for (size_t i = 0; i < r->nattributes; i++) {
		nsp_strbuf_appendf(sql, "%s%s %s", i > 0 ? ",\n    " : "\n    ", r->names[i], r->types[i]);
		if (r->collations[i] != NULL)
			nsp_strbuf_appendf(sql, " COLLATE %s", r->collations[i]);
	}
	nsp_strbuf_append(sql, "\n);");
}

void nsp_render_range(const nsp_range_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_appendf(sql, "CREATE TYPE %s AS RANGE (\n    subtype = %s", r->qualified, r->subtype);
	if (r->multirange != NULL)
		nsp_strbuf_appendf(sql, ",\n    multirange_type_name = %s", r->multirange);
	if (r->subtype_opclass != NULL)
		nsp_strbuf_appendf(sql, ",\n    subtype_opclass = %s", r->subtype_opclass);
	if (r->collation != NULL)
		nsp_strbuf_appendf(sql, ",\n    collation = %s", r->collation);
	if (r->subtype_diff != NULL)
		nsp_strbuf_appendf(sql, ",\n    subtype_diff = %s", r->subtype_diff);
	nsp_strbuf_append(sql, "\n);");
}

void nsp_render_domain(const nsp_domain_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_appendf(sql, "CREATE DOMAIN %s AS %s", r->qualified, r->basetype);
	if (r->collation != NULL)
		nsp_strbuf_appendf(sql, " COLLATE %s", r->collation);
	if (r->default_expr != NULL)
		nsp_strbuf_appendf(sql, " DEFAULT %s", r->default_expr);
	if (r->notnull) {
		if (r->notnull_name != NULL)
			nsp_strbuf_appendf(sql, " CONSTRAINT %s", r->notnull_name);
		nsp_strbuf_append(sql, " NOT NULL");
	}
	nsp_strbuf_append(sql, ";");
}

void nsp_render_domain_constraint(const nsp_domain_constraint_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_appendf(sql, "ALTER DOMAIN %s ADD CONSTRAINT %s %s;", r->domain, r->name, r->definition);
}

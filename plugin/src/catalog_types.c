#include <stdio.h>

#include "catalog.h"
#include "strbuf.h"
#include "model_enums.h"

/* User types, written as pg_dump writes them: enums (labels in sort order), composite types
 * (pg_class relkind 'c'), range types and domains, and domain CHECK constraints as objects of
 * their own.
 *
 * Not supported: base types (typtype 'b' made with CREATE TYPE ... (INPUT = ...)), shell types
 * and range types with a canonical function. They need C I/O functions from a library that
 * the destination rarely has, and a shell-type dance that pg_dump performs; they are left out,
 * so an object that uses them fails on the destination with PostgreSQL's own error. */

/* "schema"."name" of a type, built in the query (quote_ident quotes only when needed, as
 * pg_dump's fmtId does; the destination catalog is the same either way). */
#define QUALIFIED_TYPE "pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname)"
/* "schema"."collation" of collation oid `oid`; NULL when 0. pg_collation's collname needs its
 * schema too, as ::regcollation (PG13+) is not available on every source. */
#define COLLATION_NAME(oid)                                                                   \
	"(SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) " \
	"FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace " \
	"WHERE co.oid = " oid ")"

static int oom(nsp_catalog_ctx *ctx, const char *what)
{
	return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
			     "out of memory reading %s", what);
}

/* Add the object of row i (columns: oid, schema, name, sql, then alias oids in pg_type or
 * pg_class as given by alias_classes) and register the aliases that pg_depend may name. */
static nsp_object *add_type(nsp_catalog_ctx *ctx, const PGresult *res, int i,
			    nsp_kind kind, const uint32_t *alias_classes,
			    int nalias)
{
	const char *schema = nsp_cell(res, i, 1), *name = nsp_cell(res, i, 2);
	nsp_strbuf ident;
	nsp_strbuf_init(&ident);
	nsp_strbuf_append(&ident, schema);
	nsp_strbuf_append_char(&ident, '.');
	nsp_strbuf_append(&ident, name);
	nsp_catref ref = {NSP_CLASS_PG_TYPE, nsp_cell_oid(res, i, 0)};
	nsp_object *o = nsp_strbuf_failed(&ident) ? NULL
			: nsp_model_add(ctx->model, kind, NSP_PHASE_PRE, ref, schema, name, ident.data,
					nsp_cell(res, i, 3));
	nsp_strbuf_free(&ident);
	for (int a = 0; a < nalias && o != NULL; a++) {
		uint32_t oid = nsp_cell_oid(res, i, 4 + a);
		if (oid != 0 && nsp_model_alias(ctx->model, (nsp_catref){alias_classes[a], oid}, o->index) != 0)
			o = NULL;
	}
	return o;
}

/* Enums, composite types and range types: one query. Aliases: the array type, the composite
 * type's pg_class row (attribute dependencies are recorded on it), the multirange type and its
 * array (PG14+). */
static int load_types(nsp_catalog_ctx *ctx)
{
	bool multirange = ctx->server_version >= 140000;
	nsp_strbuf q;
	nsp_strbuf_init(&q);
	nsp_strbuf_appendf(
		&q,
		/* enums: labels in enumsortorder (fractional after ADD VALUE BEFORE; pg_dump lists
		 * them in that order too) */
		"SELECT t.oid, n.nspname, t.typname, "
		"  'CREATE TYPE ' || " QUALIFIED_TYPE " || E' AS ENUM (' || "
		"  COALESCE((SELECT pg_catalog.string_agg(E'\\n    ' || pg_catalog.quote_literal(e.enumlabel), ',' "
		"            ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), '') "
		"  || E'\\n);', t.typarray, 0::pg_catalog.oid, 0::pg_catalog.oid, 0::pg_catalog.oid "
		"FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
		"WHERE t.typtype = 'e' AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_type", "t.oid") " "
		"UNION ALL "
		/* composite types: live attributes; COLLATE only when it differs from the attribute
		 * type's own collation, as pg_dump does */
		"SELECT t.oid, n.nspname, t.typname, "
		"  'CREATE TYPE ' || " QUALIFIED_TYPE " || ' AS (' || "
		"  COALESCE((SELECT pg_catalog.string_agg(E'\\n    ' || pg_catalog.quote_ident(a.attname) || ' ' || "
		"     pg_catalog.format_type(a.atttypid, a.atttypmod) || "
		"     CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation "
		"          THEN ' COLLATE ' || " COLLATION_NAME("a.attcollation") " ELSE '' END, ',' ORDER BY a.attnum) "
		"   FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid "
		"   WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '') "
		"  || E'\\n);', t.typarray, t.typrelid, 0::pg_catalog.oid, 0::pg_catalog.oid "
		"FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
		"JOIN pg_catalog.pg_class c ON c.oid = t.typrelid "
		"WHERE t.typtype = 'c' AND c.relkind = 'c' AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_type", "t.oid") " "
		"UNION ALL "
		/* range types: only the clauses that differ from the defaults, as pg_dump's
		 * dumpRangeType */
		"SELECT t.oid, n.nspname, t.typname, "
		"  'CREATE TYPE ' || " QUALIFIED_TYPE " || E' AS RANGE (\\n    subtype = ' || "
		"  pg_catalog.format_type(r.rngsubtype, NULL) || %s"
		"  CASE WHEN NOT opc.opcdefault THEN E',\\n    subtype_opclass = ' || "
		"       pg_catalog.quote_ident(opcn.nspname) || '.' || pg_catalog.quote_ident(opc.opcname) ELSE '' END || "
		"  CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation "
		"       THEN E',\\n    collation = ' || " COLLATION_NAME("r.rngcollation") " ELSE '' END || "
		"  CASE WHEN r.rngsubdiff <> 0 THEN E',\\n    subtype_diff = ' || r.rngsubdiff::pg_catalog.regproc::pg_catalog.text "
		"       ELSE '' END || E'\\n);', "
		"  t.typarray, 0::pg_catalog.oid, %s "
		"FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
		"JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid "
		"JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype "
		"JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc "
		"JOIN pg_catalog.pg_namespace opcn ON opcn.oid = opc.opcnamespace "
		"%s"
		"WHERE t.typtype = 'r' AND r.rngcanonical = 0 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_type", "t.oid") " "
		"ORDER BY 2, 3",
		/* A destination before 14 has no multiranges: the range type without one. */
		multirange && (ctx->model->dst_version == 0 || ctx->model->dst_version >= 140000)
			? "E',\\n    multirange_type_name = ' || pg_catalog.quote_ident(mn.nspname) || '.' || "
			  "pg_catalog.quote_ident(mt.typname) || "
			: "",
		multirange ? "mt.oid, mt.typarray" : "0::pg_catalog.oid, 0::pg_catalog.oid",
		multirange ? "JOIN pg_catalog.pg_type mt ON mt.oid = r.rngmultitypid "
			     "JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace "
			   : "");
	if (nsp_strbuf_failed(&q)) {
		nsp_strbuf_free(&q);
		return oom(ctx, "types");
	}
	PGresult *res = nsp_catalog_query(ctx, "types", q.data);
	nsp_strbuf_free(&q);
	if (res == NULL)
		return -1;
	static const uint32_t classes[] = {NSP_CLASS_PG_TYPE, NSP_CLASS_PG_CLASS, NSP_CLASS_PG_TYPE,
					   NSP_CLASS_PG_TYPE};
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++)
		if (add_type(ctx, res, i, NSP_KIND_TYPE, classes, 4) == NULL)
			rc = -1;
	PQclear(res);
	return rc == 0 ? 0 : oom(ctx, "types");
}

/* Domains: base type with typmod, COLLATE when it differs from the base type's, DEFAULT (the
 * deparsed expression, as pg_dump prefers it over the stored text) and NOT NULL. PG17 records
 * NOT NULL as a named constraint, whose name is kept. CHECK constraints are separate objects. */
static int load_domains(nsp_catalog_ctx *ctx)
{
	const char *notnull =
		ctx->server_version >= 170000
			? "COALESCE((SELECT ' CONSTRAINT ' || pg_catalog.quote_ident(nc.conname) "
			  "FROM pg_catalog.pg_constraint nc WHERE nc.contypid = t.oid AND nc.contype = 'n' "
			  "LIMIT 1), '') || ' NOT NULL'"
			: "' NOT NULL'";
	nsp_strbuf q;
	nsp_strbuf_init(&q);
	nsp_strbuf_appendf(
		&q,
		"SELECT t.oid, n.nspname, t.typname, "
		"  'CREATE DOMAIN ' || " QUALIFIED_TYPE " || ' AS ' || "
		"  pg_catalog.format_type(t.typbasetype, t.typtypmod) || "
		"  CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation "
		"       THEN ' COLLATE ' || " COLLATION_NAME("t.typcollation") " ELSE '' END || "
		"  COALESCE(' DEFAULT ' || COALESCE(pg_catalog.pg_get_expr(t.typdefaultbin, "
		"           'pg_catalog.pg_type'::pg_catalog.regclass), t.typdefault), '') || "
		"  CASE WHEN t.typnotnull THEN %s ELSE '' END || ';', "
		"  t.typarray "
		"FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
		"JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype "
		"WHERE t.typtype = 'd' AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_type", "t.oid") " ORDER BY 2, 3",
		notnull);
	if (nsp_strbuf_failed(&q)) {
		nsp_strbuf_free(&q);
		return oom(ctx, "domains");
	}
	PGresult *res = nsp_catalog_query(ctx, "domains", q.data);
	nsp_strbuf_free(&q);
	if (res == NULL)
		return -1;
	static const uint32_t classes[] = {NSP_CLASS_PG_TYPE};
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++)
		if (add_type(ctx, res, i, NSP_KIND_DOMAIN, classes, 1) == NULL)
			rc = -1;
	PQclear(res);
	return rc == 0 ? 0 : oom(ctx, "domains");
}

/* Domain CHECK constraints: ALTER DOMAIN ... ADD CONSTRAINT gives the same catalog rows as
 * pg_dump's inline CONSTRAINT clauses. Validated ones are pre-sync (the planner defers them
 * on request); NOT VALID ones are post-sync, as pg_dump puts them after the data. */
static int load_domain_constraints(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "domain constraints",
		"SELECT c.oid, c.contypid, n.nspname, t.typname, c.conname, c.convalidated, "
		"  'ALTER DOMAIN ' || " QUALIFIED_TYPE " || ' ADD CONSTRAINT ' || "
		"  pg_catalog.quote_ident(c.conname) || ' ' || pg_catalog.pg_get_constraintdef(c.oid) || ';' "
		"FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_type t ON t.oid = c.contypid "
		"JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
		"WHERE c.contype = 'c' AND " NSP_SQL_USER_SCHEMA("n") " ORDER BY 3, 4, 5");
	if (res == NULL)
		return -1;
	nsp_strbuf ident;
	nsp_strbuf_init(&ident);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_object *domain =
			nsp_model_find(ctx->model, (nsp_catref){NSP_CLASS_PG_TYPE, nsp_cell_oid(res, i, 1)});
		if (domain == NULL || domain->kind != NSP_KIND_DOMAIN)
			continue; /* an extension's domain */
		const char *schema = nsp_cell(res, i, 2), *conname = nsp_cell(res, i, 4);
		nsp_strbuf_reset(&ident);
		nsp_strbuf_append(&ident, schema);
		nsp_strbuf_append_char(&ident, '.');
		nsp_strbuf_append(&ident, nsp_cell(res, i, 3));
		nsp_strbuf_append_char(&ident, '.');
		nsp_strbuf_append(&ident, conname);
		nsp_catref ref = {NSP_CLASS_PG_CONSTRAINT, nsp_cell_oid(res, i, 0)};
		nsp_object *o = nsp_strbuf_failed(&ident)
					? NULL
					: nsp_model_add(ctx->model, NSP_KIND_DOMAIN_CONSTRAINT,
							nsp_cell_bool(res, i, 5) ? NSP_PHASE_PRE : NSP_PHASE_POST, ref, schema,
							conname, ident.data, nsp_cell(res, i, 6));
		if (o == NULL || nsp_object_needs(o, domain->index) != 0)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&ident);
	return rc == 0 ? 0 : oom(ctx, "domain constraints");
}

int nsp_catalog_load_types(nsp_catalog_ctx *ctx)
{
	if (load_types(ctx) != 0 || load_domains(ctx) != 0)
		return -1;
	return load_domain_constraints(ctx);
}

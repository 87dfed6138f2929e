#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "render_types.h"
#include "strbuf.h"
#include "model_enums.h"

/* User types, written as pg_dump writes them (render_types.h): enums (labels in sort order), composite types
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

/* Add the type of row i (columns: oid, schema, name) with its SQL and register the aliases
 * that pg_depend may name: the oids of columns first_alias.. in pg_type or pg_class as given by
 * alias_classes. */
static nsp_object *add_type(nsp_catalog_ctx *ctx, const PGresult *res, int i, nsp_kind kind,
			    const char *sql, const uint32_t *alias_classes, int first_alias, int nalias)
{
	const char *schema = nsp_cell(res, i, 1), *name = nsp_cell(res, i, 2);
	nsp_strbuf ident;
	nsp_strbuf_init(&ident);
	nsp_strbuf_append(&ident, schema);
	nsp_strbuf_append_char(&ident, '.');
	nsp_strbuf_append(&ident, name);
	nsp_catref ref = {NSP_CLASS_PG_TYPE, nsp_cell_oid(res, i, 0)};
	nsp_object *o = nsp_strbuf_failed(&ident) ? NULL
			: nsp_model_add(ctx->model, kind, NSP_PHASE_PRE, ref, schema, name, ident.data, sql);
	nsp_strbuf_free(&ident);
	for (int a = 0; a < nalias && o != NULL; a++) {
		uint32_t oid = nsp_cell_oid(res, i, first_alias + a);
		if (oid != 0 && nsp_model_alias(ctx->model, (nsp_catref){alias_classes[a], oid}, o->index) != 0)
			o = NULL;
	}
	return o;
}

/* Columns of the types query: the type, its aliases, then the cells of its kind. */
enum {
	T_OID, T_SCHEMA, T_NAME, T_QUALIFIED, T_TYPTYPE, T_ARRAY, T_RELID, T_MULTIRANGE, T_MULTIRANGE_ARRAY,
	T_ITEMS, T_ATTTYPES, T_ATTCOLLATIONS, T_SUBTYPE, T_MULTIRANGE_NAME, T_OPCLASS, T_COLLATION,
	T_SUBDIFF
};
#define NO_TEXT "NULL::pg_catalog.text"
#define NO_ARRAY "NULL::pg_catalog.text[]"
/* One array of a composite type's live attributes, in attnum order. */
#define ATTRIBUTES(what)                                                                             \
	"ARRAY(SELECT " what " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid " \
	"WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)"

/* The SQL of a row of the types query. */
static void render_type(const nsp_catalog_ctx *ctx, const PGresult *res, int i, char **items,
			size_t nitems, char **types, char **collations, nsp_strbuf *sql)
{
	switch (nsp_cell(res, i, T_TYPTYPE)[0]) {
	case 'e':
		nsp_render_enum(&(nsp_enum_row){.qualified = nsp_cell(res, i, T_QUALIFIED), .labels = items,
						.nlabels = nitems},
				sql);
		break;
	case 'c':
		nsp_render_composite(&(nsp_composite_row){.qualified = nsp_cell(res, i, T_QUALIFIED),
							  .names = items, .types = types,
							  .collations = collations, .nattributes = nitems},
				     sql);
		break;
	default:
		nsp_render_range(
			&(nsp_range_row){
				.qualified = nsp_cell(res, i, T_QUALIFIED),
				.subtype = nsp_cell(res, i, T_SUBTYPE),
				/* A destination before 14 has no multiranges: the range type without one. */
				.multirange = ctx->model->dst_version == 0 || ctx->model->dst_version >= 140000
						      ? nsp_cell(res, i, T_MULTIRANGE_NAME)
						      : NULL,
				.subtype_opclass = nsp_cell(res, i, T_OPCLASS),
				.collation = nsp_cell(res, i, T_COLLATION),
				.subtype_diff = nsp_cell(res, i, T_SUBDIFF),
			},
			sql);
	}
}

/* Enums, composite types and range types (render_types.h): one query. Aliases: the array
 * type, the composite type's pg_class row (attribute dependencies are recorded on it), the
 * multirange type and its array (PG14+). */
static int load_types(nsp_catalog_ctx *ctx)
{
	bool multirange = ctx->server_version >= 140000;
	nsp_strbuf q;
	nsp_strbuf_init(&q);
	nsp_strbuf_appendf(
		&q,
		/* enums: labels in enumsortorder (fractional after ADD VALUE BEFORE; pg_dump lists
		 * them in that order too) */
		"SELECT t.oid, n.nspname, t.typname, " QUALIFIED_TYPE ", 'e', "
		"  t.typarray, 0::pg_catalog.oid, 0::pg_catalog.oid, 0::pg_catalog.oid, "
		"  ARRAY(SELECT e.enumlabel::pg_catalog.text FROM pg_catalog.pg_enum e "
		"        WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), "
		"  " NO_ARRAY ", " NO_ARRAY ", " NO_TEXT ", " NO_TEXT ", " NO_TEXT ", " NO_TEXT ", " NO_TEXT " "
		"FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
		"WHERE t.typtype = 'e' AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_type", "t.oid") " "
		"UNION ALL "
		/* composite types: live attributes; COLLATE only when it differs from the attribute
		 * type's own collation, as pg_dump does */
		"SELECT t.oid, n.nspname, t.typname, " QUALIFIED_TYPE ", 'c', "
		"  t.typarray, t.typrelid, 0::pg_catalog.oid, 0::pg_catalog.oid, "
		"  " ATTRIBUTES("pg_catalog.quote_ident(a.attname)") ", "
		"  " ATTRIBUTES("pg_catalog.format_type(a.atttypid, a.atttypmod)") ", "
		"  " ATTRIBUTES("CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation "
				"THEN " COLLATION_NAME("a.attcollation") " END") ", "
		"  " NO_TEXT ", " NO_TEXT ", " NO_TEXT ", " NO_TEXT ", " NO_TEXT " "
		"FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
		"JOIN pg_catalog.pg_class c ON c.oid = t.typrelid "
		"WHERE t.typtype = 'c' AND c.relkind = 'c' AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_type", "t.oid") " "
		"UNION ALL "
		/* range types: the clauses that differ from the defaults, as pg_dump's dumpRangeType */
		"SELECT t.oid, n.nspname, t.typname, " QUALIFIED_TYPE ", 'r', "
		"  t.typarray, 0::pg_catalog.oid, %s, "
		"  " NO_ARRAY ", " NO_ARRAY ", " NO_ARRAY ", pg_catalog.format_type(r.rngsubtype, NULL), %s, "
		"  CASE WHEN NOT opc.opcdefault THEN "
		"       pg_catalog.quote_ident(opcn.nspname) || '.' || pg_catalog.quote_ident(opc.opcname) END, "
		"  CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation "
		"       THEN " COLLATION_NAME("r.rngcollation") " END, "
		"  CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::pg_catalog.regproc::pg_catalog.text END "
		"FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
		"JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid "
		"JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype "
		"JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc "
		"JOIN pg_catalog.pg_namespace opcn ON opcn.oid = opc.opcnamespace "
		"%s"
		"WHERE t.typtype = 'r' AND r.rngcanonical = 0 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_type", "t.oid") " "
		"ORDER BY 2, 3",
		multirange ? "mt.oid, mt.typarray" : "0::pg_catalog.oid, 0::pg_catalog.oid",
		multirange ? "pg_catalog.quote_ident(mn.nspname) || '.' || pg_catalog.quote_ident(mt.typname)"
			   : NO_TEXT,
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
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		size_t nitems = 0, ntypes = 0, ncollations = 0;
		char **items = nsp_cell_text_array(nsp_cell(res, i, T_ITEMS), &nitems);
		char **types = nsp_cell_text_array(nsp_cell(res, i, T_ATTTYPES), &ntypes);
		char **collations = nsp_cell_text_array(nsp_cell(res, i, T_ATTCOLLATIONS), &ncollations);
		bool composite = nsp_cell(res, i, T_TYPTYPE)[0] == 'c';
		nsp_strbuf_reset(&sql);
		if (items == NULL || types == NULL || collations == NULL ||
		    (composite && (ntypes != nitems || ncollations != nitems)))
			rc = -1;
		else
			render_type(ctx, res, i, items, nitems, types, collations, &sql);
		if (rc != 0 || nsp_strbuf_failed(&sql) ||
		    add_type(ctx, res, i, NSP_KIND_TYPE, sql.data, classes, T_ARRAY, 4) == NULL)
			rc = -1;
		free(items);
		free(types);
		free(collations);
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	return rc == 0 ? 0 : oom(ctx, "types");
}

/* Domains (render_types.h): base type with typmod, COLLATE when it differs from the base
 * type's, DEFAULT (the deparsed expression, as pg_dump prefers it over the stored text) and NOT
 * NULL. PG17 records NOT NULL as a named constraint, whose name is kept. CHECK constraints are
 * separate objects. */
static int load_domains(nsp_catalog_ctx *ctx)
{
	const char *notnull_name =
		ctx->server_version >= 170000
			? "(SELECT pg_catalog.quote_ident(nc.conname) FROM pg_catalog.pg_constraint nc "
			  "WHERE nc.contypid = t.oid AND nc.contype = 'n' LIMIT 1)"
			: NO_TEXT;
	nsp_strbuf q;
	nsp_strbuf_init(&q);
	nsp_strbuf_appendf(
		&q,
		"SELECT t.oid, n.nspname, t.typname, " QUALIFIED_TYPE ", t.typarray, "
		"  pg_catalog.format_type(t.typbasetype, t.typtypmod), "
		"  CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation "
		"       THEN " COLLATION_NAME("t.typcollation") " END, "
		"  COALESCE(pg_catalog.pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::pg_catalog.regclass), "
		"           t.typdefault), "
		"  t.typnotnull, %s "
		"FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
		"JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype "
		"WHERE t.typtype = 'd' AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_type", "t.oid") " ORDER BY 2, 3",
		notnull_name);
	if (nsp_strbuf_failed(&q)) {
		nsp_strbuf_free(&q);
		return oom(ctx, "domains");
	}
	PGresult *res = nsp_catalog_query(ctx, "domains", q.data);
	nsp_strbuf_free(&q);
	if (res == NULL)
		return -1;
	static const uint32_t classes[] = {NSP_CLASS_PG_TYPE};
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_domain_row r = {
			.qualified = nsp_cell(res, i, 3),
			.basetype = nsp_cell(res, i, 5),
			.collation = nsp_cell(res, i, 6),
			.default_expr = nsp_cell(res, i, 7),
			.notnull = nsp_cell_bool(res, i, 8),
			.notnull_name = nsp_cell(res, i, 9),
		};
		nsp_strbuf_reset(&sql);
		nsp_render_domain(&r, &sql);
		if (nsp_strbuf_failed(&sql) || add_type(ctx, res, i, NSP_KIND_DOMAIN, sql.data, classes, 4, 1) == NULL)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
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
		"  " QUALIFIED_TYPE ", pg_catalog.quote_ident(c.conname), pg_catalog.pg_get_constraintdef(c.oid) "
		"FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_type t ON t.oid = c.contypid "
		"JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
		"WHERE c.contype = 'c' AND " NSP_SQL_USER_SCHEMA("n") " ORDER BY 3, 4, 5");
	if (res == NULL)
		return -1;
	nsp_strbuf ident, sql;
	nsp_strbuf_init(&ident);
	nsp_strbuf_init(&sql);
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
		nsp_strbuf_reset(&sql);
		nsp_render_domain_constraint(&(nsp_domain_constraint_row){.domain = nsp_cell(res, i, 6),
									  .name = nsp_cell(res, i, 7),
									  .definition = nsp_cell(res, i, 8)},
					     &sql);
		nsp_catref ref = {NSP_CLASS_PG_CONSTRAINT, nsp_cell_oid(res, i, 0)};
		nsp_object *o = nsp_strbuf_failed(&ident) || nsp_strbuf_failed(&sql)
					? NULL
					: nsp_model_add(ctx->model, NSP_KIND_DOMAIN_CONSTRAINT,
							nsp_cell_bool(res, i, 5) ? NSP_PHASE_PRE : NSP_PHASE_POST, ref, schema,
							conname, ident.data, sql.data);
		if (o == NULL || nsp_object_needs(o, domain->index) != 0)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&ident);
	nsp_strbuf_free(&sql);
	return rc == 0 ? 0 : oom(ctx, "domain constraints");
}

int nsp_catalog_load_types(nsp_catalog_ctx *ctx)
{
	if (load_types(ctx) != 0 || load_domains(ctx) != 0)
		return -1;
	return load_domain_constraints(ctx);
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "strbuf.h"
#include "model_enums.h"

/* Functions, procedures and aggregates of user schemas.
 *
 * Left out: extension members, and functions with an internal dependency (the constructors
 * that CREATE TYPE ... AS RANGE makes for a range and its multirange): their owner recreates
 * them, as pg_dump assumes too. Functions whose language is an extension's (plperl, plv8, ...)
 * wait for that extension; a language created without an extension is not copied. */

static int oom(nsp_catalog_ctx *ctx, const char *what)
{
	return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
			     "out of memory reading %s", what);
}

#define USER_PROC_FILTER                                                                       \
	NSP_SQL_USER_SCHEMA("n") " AND " NSP_SQL_NOT_EXT_MEMBER("pg_proc", "p.oid") " AND "        \
	"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend id WHERE id.classid = "                   \
	"'pg_catalog.pg_proc'::pg_catalog.regclass AND id.objid = p.oid AND id.deptype = 'i')"

/* The extension that provides the function's language, if any. */
#define LANGUAGE_EXTENSION                                                                     \
	"(SELECT ld.refobjid FROM pg_catalog.pg_depend ld WHERE ld.classid = "                     \
	"'pg_catalog.pg_language'::pg_catalog.regclass AND ld.objid = p.prolang AND "             \
	"ld.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND ld.deptype = 'e' LIMIT 1)"

static nsp_object *add_proc(nsp_catalog_ctx *ctx, nsp_kind kind, uint32_t oid,
			    const char *schema, const char *name, const char *args, const char *sql)
{
	nsp_strbuf ident;
	nsp_strbuf_init(&ident);
	nsp_strbuf_appendf(&ident, "%s.%s(%s)", schema, name, args ? args : "");
	nsp_object *o = nsp_strbuf_failed(&ident)
				? NULL
				: nsp_model_add(ctx->model, kind, NSP_PHASE_PRE, (nsp_catref){NSP_CLASS_PG_PROC, oid},
						schema, name, ident.data, sql);
	nsp_strbuf_free(&ident);
	return o;
}

/* Functions and procedures: pg_get_functiondef() gives the complete CREATE OR REPLACE
 * statement, SQL-standard bodies (BEGIN ATOMIC, RETURN) included; pg_depend records what those
 * bodies use, so they are ordered after the tables they read. */
static int load_functions(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "functions",
		"SELECT p.oid, n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), "
		"  pg_catalog.pg_get_functiondef(p.oid), " LANGUAGE_EXTENSION " "
		"FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
		"WHERE p.prokind IN ('f', 'p', 'w') AND " USER_PROC_FILTER " "
		"ORDER BY n.nspname, p.proname, p.oid");
	if (res == NULL)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_strbuf_reset(&sql);
		nsp_strbuf_append(&sql, nsp_cell(res, i, 4));
		/* pg_get_functiondef ends with a newline and no semicolon */
		while (sql.len > 0 && (sql.data[sql.len - 1] == '\n' || sql.data[sql.len - 1] == ' '))
			sql.data[--sql.len] = '\0';
		nsp_strbuf_append_char(&sql, ';');
		nsp_object *o = nsp_strbuf_failed(&sql)
					? NULL
					: add_proc(ctx, NSP_KIND_FUNCTION, nsp_cell_oid(res, i, 0), nsp_cell(res, i, 1),
						   nsp_cell(res, i, 2), nsp_cell(res, i, 3), sql.data);
		uint32_t ext = nsp_cell_oid(res, i, 5);
		if (o == NULL ||
		    (ext != 0 && nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_EXTENSION, ext}) != 0))
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	return rc == 0 ? 0 : oom(ctx, "functions");
}

/* Column order of the aggregate query. */
enum {
	A_OID, A_SCHEMA, A_NAME, A_IDARGS, A_ARGS, A_NARGS, A_KIND, A_TRANSFN, A_TRANSTYPE,
	A_TRANSSPACE, A_INITVAL, A_FINALFN, A_FINALEXTRA, A_FINALMODIFY, A_COMBINEFN, A_SERIALFN,
	A_DESERIALFN, A_MTRANSFN, A_MINVTRANSFN, A_MTRANSTYPE, A_MTRANSSPACE, A_MINITVAL,
	A_MFINALFN, A_MFINALEXTRA, A_MFINALMODIFY, A_SORTOP, A_PARALLEL
};

static const char *modify_word(char m)
{
	return m == 'r' ? "READ_ONLY" : m == 's' ? "SHAREABLE" : "READ_WRITE";
}

/* A regproc column: NULL when it names no function (regproc prints "-"). */
static const char *proc_cell(const PGresult *res, int row, int col)
{
	const char *v = nsp_cell(res, row, col);
	return v == NULL || strcmp(v, "-") == 0 ? NULL : v;
}

/* CREATE AGGREGATE with only the clauses that differ from the defaults, as pg_dump's dumpAgg.
 * regproc/regtype output is qualified and quoted (search_path is empty); CREATE AGGREGATE
 * resolves the support functions by name and the argument types it expects. */
/* FINALFUNC (prefix "") or MFINALFUNC (prefix "M") with its _EXTRA and non-default _MODIFY. */
static void append_final_clauses(nsp_strbuf *sb, const char *prefix, const char *fn, bool extra,
				 char modify, char default_modify)
{
	if (fn == NULL)
		return;
	nsp_strbuf_appendf(sb, ",\n    %sFINALFUNC = %s", prefix, fn);
	if (extra)
		nsp_strbuf_appendf(sb, ",\n    %sFINALFUNC_EXTRA", prefix);
	if (modify != default_modify)
		nsp_strbuf_appendf(sb, ",\n    %sFINALFUNC_MODIFY = %s", prefix, modify_word(modify));
}

static void render_aggregate(nsp_strbuf *sb, const PGresult *res, int i)
{
	char kind = nsp_cell(res, i, A_KIND)[0];
	char default_modify = kind == 'n' ? 'r' : 'w';
	const char *v;
	nsp_strbuf_append(sb, "CREATE AGGREGATE ");
	nsp_strbuf_append_qualified(sb, nsp_cell(res, i, A_SCHEMA), nsp_cell(res, i, A_NAME));
	nsp_strbuf_append_char(sb, '(');
	nsp_strbuf_append(sb, atoi(nsp_cell(res, i, A_NARGS)) == 0 ? "*" : nsp_cell(res, i, A_ARGS));
	nsp_strbuf_appendf(sb, ") (\n    SFUNC = %s,\n    STYPE = %s", nsp_cell(res, i, A_TRANSFN),
			   nsp_cell(res, i, A_TRANSTYPE));
	if (strcmp(nsp_cell(res, i, A_TRANSSPACE), "0") != 0)
		nsp_strbuf_appendf(sb, ",\n    SSPACE = %s", nsp_cell(res, i, A_TRANSSPACE));
	if ((v = nsp_cell(res, i, A_INITVAL)) != NULL) {
		nsp_strbuf_append(sb, ",\n    INITCOND = ");
		nsp_strbuf_append_literal(sb, v);
	}
	append_final_clauses(sb, "", proc_cell(res, i, A_FINALFN), nsp_cell_bool(res, i, A_FINALEXTRA),
			     nsp_cell(res, i, A_FINALMODIFY)[0], default_modify);
	if ((v = proc_cell(res, i, A_COMBINEFN)) != NULL)
		nsp_strbuf_appendf(sb, ",\n    COMBINEFUNC = %s", v);
	if ((v = proc_cell(res, i, A_SERIALFN)) != NULL)
		nsp_strbuf_appendf(sb, ",\n    SERIALFUNC = %s", v);
	if ((v = proc_cell(res, i, A_DESERIALFN)) != NULL)
		nsp_strbuf_appendf(sb, ",\n    DESERIALFUNC = %s", v);
	if ((v = proc_cell(res, i, A_MTRANSFN)) != NULL)
		nsp_strbuf_appendf(sb, ",\n    MSFUNC = %s,\n    MINVFUNC = %s,\n    MSTYPE = %s", v,
				   nsp_cell(res, i, A_MINVTRANSFN), nsp_cell(res, i, A_MTRANSTYPE));
	if (strcmp(nsp_cell(res, i, A_MTRANSSPACE), "0") != 0)
		nsp_strbuf_appendf(sb, ",\n    MSSPACE = %s", nsp_cell(res, i, A_MTRANSSPACE));
	if ((v = nsp_cell(res, i, A_MINITVAL)) != NULL) {
		nsp_strbuf_append(sb, ",\n    MINITCOND = ");
		nsp_strbuf_append_literal(sb, v);
	}
	append_final_clauses(sb, "M", proc_cell(res, i, A_MFINALFN), nsp_cell_bool(res, i, A_MFINALEXTRA),
			     nsp_cell(res, i, A_MFINALMODIFY)[0], default_modify);
	if ((v = nsp_cell(res, i, A_SORTOP)) != NULL)
		nsp_strbuf_appendf(sb, ",\n    SORTOP = %s", v);
	if (kind == 'h')
		nsp_strbuf_append(sb, ",\n    HYPOTHETICAL");
	char parallel = nsp_cell(res, i, A_PARALLEL)[0];
	if (parallel == 's')
		nsp_strbuf_append(sb, ",\n    PARALLEL = safe");
	else if (parallel == 'r')
		nsp_strbuf_append(sb, ",\n    PARALLEL = restricted");
	nsp_strbuf_append(sb, "\n);");
}

static int load_aggregates(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "aggregates",
		"SELECT p.oid, n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), "
		"  pg_catalog.pg_get_function_arguments(p.oid), p.pronargs, a.aggkind, "
		"  a.aggtransfn::pg_catalog.regproc, a.aggtranstype::pg_catalog.regtype, a.aggtransspace, "
		"  a.agginitval, a.aggfinalfn::pg_catalog.regproc, a.aggfinalextra, a.aggfinalmodify, "
		"  a.aggcombinefn::pg_catalog.regproc, a.aggserialfn::pg_catalog.regproc, "
		"  a.aggdeserialfn::pg_catalog.regproc, a.aggmtransfn::pg_catalog.regproc, "
		"  a.aggminvtransfn::pg_catalog.regproc, a.aggmtranstype::pg_catalog.regtype, "
		"  a.aggmtransspace, a.aggminitval, a.aggmfinalfn::pg_catalog.regproc, a.aggmfinalextra, "
		"  a.aggmfinalmodify, "
		"  (SELECT 'OPERATOR(' || pg_catalog.quote_ident(opn.nspname) || '.' || op.oprname || ')' "
		"   FROM pg_catalog.pg_operator op JOIN pg_catalog.pg_namespace opn ON opn.oid = op.oprnamespace "
		"   WHERE op.oid = a.aggsortop), "
		"  p.proparallel "
		"FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
		"JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid "
		"WHERE p.prokind = 'a' AND " USER_PROC_FILTER " "
		"ORDER BY n.nspname, p.proname, p.oid");
	if (res == NULL)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_strbuf_reset(&sql);
		render_aggregate(&sql, res, i);
		if (nsp_strbuf_failed(&sql) ||
		    add_proc(ctx, NSP_KIND_AGGREGATE, nsp_cell_oid(res, i, A_OID), nsp_cell(res, i, A_SCHEMA),
			     nsp_cell(res, i, A_NAME), nsp_cell(res, i, A_IDARGS), sql.data) == NULL)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	return rc == 0 ? 0 : oom(ctx, "aggregates");
}

int nsp_catalog_load_functions(nsp_catalog_ctx *ctx)
{
	if (load_functions(ctx) != 0)
		return -1;
	return load_aggregates(ctx);
}

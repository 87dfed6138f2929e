#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "render_functions.h"
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
 * statement (render_functions.h), SQL-standard bodies (BEGIN ATOMIC, RETURN) included;
 * pg_depend records what those bodies use, so they are ordered after the tables they read. */
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
		nsp_render_function(&(nsp_function_row){.definition = nsp_cell(res, i, 4)}, &sql);
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

/* A regproc column: NULL when it names no function (regproc prints "-"). */
static const char *proc_cell(const PGresult *res, int row, int col)
{
	const char *v = nsp_cell(res, row, col);
	return v == NULL || strcmp(v, "-") == 0 ? NULL : v;
}

/* The aggregate of row i. */
static nsp_aggregate_row aggregate_row(const PGresult *res, int i)
{
	return (nsp_aggregate_row){
		.schema = nsp_cell(res, i, A_SCHEMA),
		.name = nsp_cell(res, i, A_NAME),
		.arguments = nsp_cell(res, i, A_ARGS),
		.nargs = atoi(nsp_cell(res, i, A_NARGS)),
		.kind = nsp_cell(res, i, A_KIND)[0],
		.transfn = nsp_cell(res, i, A_TRANSFN),
		.transtype = nsp_cell(res, i, A_TRANSTYPE),
		.transspace = atoi(nsp_cell(res, i, A_TRANSSPACE)),
		.initval = nsp_cell(res, i, A_INITVAL),
		.finalfn = proc_cell(res, i, A_FINALFN),
		.finalextra = nsp_cell_bool(res, i, A_FINALEXTRA),
		.finalmodify = nsp_cell(res, i, A_FINALMODIFY)[0],
		.combinefn = proc_cell(res, i, A_COMBINEFN),
		.serialfn = proc_cell(res, i, A_SERIALFN),
		.deserialfn = proc_cell(res, i, A_DESERIALFN),
		.mtransfn = proc_cell(res, i, A_MTRANSFN),
		.minvtransfn = nsp_cell(res, i, A_MINVTRANSFN),
		.mtranstype = nsp_cell(res, i, A_MTRANSTYPE),
		.mtransspace = atoi(nsp_cell(res, i, A_MTRANSSPACE)),
		.minitval = nsp_cell(res, i, A_MINITVAL),
		.mfinalfn = proc_cell(res, i, A_MFINALFN),
		.mfinalextra = nsp_cell_bool(res, i, A_MFINALEXTRA),
		.mfinalmodify = nsp_cell(res, i, A_MFINALMODIFY)[0],
		.sortop = nsp_cell(res, i, A_SORTOP),
		.parallel = nsp_cell(res, i, A_PARALLEL)[0],
	};
}

/* Aggregates: CREATE AGGREGATE as pg_dump's dumpAgg (render_functions.h); CREATE AGGREGATE
 * resolves the support functions by name and the argument types it expects. */
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
		nsp_aggregate_row r = aggregate_row(res, i);
		nsp_render_aggregate(&r, &sql);
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

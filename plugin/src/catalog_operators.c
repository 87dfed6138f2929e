#include <stdio.h>

#include "catalog.h"
#include "strbuf.h"

#define K(x) NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_##x
#define PRE NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC

/* Operators and casts, written as pg_dump's dumpOpr and dumpCast write them.
 *
 * Not handled yet: operator classes and families, text search parsers, templates,
 * dictionaries and configurations (objects that use them fail on the destination with
 * PostgreSQL's own error), and user-made procedural languages outside an extension. */

static int oom(nsp_catalog_ctx *ctx, const char *what)
{
	return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
			     "out of memory reading %s", what);
}

/* OPERATOR(schema.op) of operator oid `oid`, the form pg_dump writes for COMMUTATOR/NEGATOR. */
#define OPERATOR_NAME(oid)                                                                    \
	"(SELECT 'OPERATOR(' || pg_catalog.quote_ident(xn.nspname) || '.' || x.oprname || ')' "  \
	"FROM pg_catalog.pg_operator x JOIN pg_catalog.pg_namespace xn ON xn.oid = x.oprnamespace " \
	"WHERE x.oid = " oid ")"

/* Adds the rows of `res` (oid, schema, name, identity, sql) as objects of `kind` in `classid`. */
static int add_rows(nsp_catalog_ctx *ctx, PGresult *res, Neosync__Plugin__V1__ObjectKind kind,
		    uint32_t classid)
{
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_catref ref = {classid, nsp_cell_oid(res, i, 0)};
		if (nsp_model_add(ctx->model, kind, PRE, ref, nsp_cell(res, i, 1), nsp_cell(res, i, 2),
				  nsp_cell(res, i, 3), nsp_cell(res, i, 4)) == NULL)
			rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Operators with a function (shell operators, left by a COMMUTATOR or NEGATOR naming an operator
 * never defined, are not dumped: the clause that names them makes them again). A COMMUTATOR or
 * NEGATOR naming an operator created later makes a shell that its CREATE OPERATOR fills in. */
static int load_operators(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "operators",
		"SELECT o.oid, n.nspname, o.oprname, "
		"  n.nspname || '.' || o.oprname || '(' || "
		"  CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprleft, NULL) END || ', ' || "
		"  CASE WHEN o.oprright = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprright, NULL) END || ')', "
		"  'CREATE OPERATOR ' || pg_catalog.quote_ident(n.nspname) || '.' || o.oprname || "
		"  E' (\\n    FUNCTION = ' || o.oprcode::pg_catalog.regproc::pg_catalog.text || "
		"  CASE WHEN o.oprleft <> 0 THEN E',\\n    LEFTARG = ' || pg_catalog.format_type(o.oprleft, NULL) ELSE '' END || "
		"  CASE WHEN o.oprright <> 0 THEN E',\\n    RIGHTARG = ' || pg_catalog.format_type(o.oprright, NULL) ELSE '' END || "
		"  COALESCE(E',\\n    COMMUTATOR = ' || " OPERATOR_NAME("o.oprcom") ", '') || "
		"  COALESCE(E',\\n    NEGATOR = ' || " OPERATOR_NAME("o.oprnegate") ", '') || "
		"  CASE WHEN o.oprcanmerge THEN E',\\n    MERGES' ELSE '' END || "
		"  CASE WHEN o.oprcanhash THEN E',\\n    HASHES' ELSE '' END || "
		"  CASE WHEN o.oprrest <> 0 THEN E',\\n    RESTRICT = ' || o.oprrest::pg_catalog.regproc::pg_catalog.text ELSE '' END || "
		"  CASE WHEN o.oprjoin <> 0 THEN E',\\n    JOIN = ' || o.oprjoin::pg_catalog.regproc::pg_catalog.text ELSE '' END || "
		"  E'\\n);' "
		"FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace "
		"WHERE o.oprcode <> 0 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_operator", "o.oid") " ORDER BY 2, 3, 1");
	if (res == NULL)
		return -1;
	return add_rows(ctx, res, K(OPERATOR), NSP_CLASS_PG_OPERATOR) == 0 ? 0 : oom(ctx, "operators");
}

/* Casts made after initdb, not by an extension, and not internal ones (the range to multirange
 * casts CREATE TYPE ... AS RANGE makes). They belong to no schema. */
static int load_casts(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "casts",
		"SELECT c.oid, NULL, NULL, "
		"  '(' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || "
		"  pg_catalog.format_type(c.casttarget, NULL) || ')', "
		"  'CREATE CAST (' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || "
		"  pg_catalog.format_type(c.casttarget, NULL) || ') ' || "
		"  CASE c.castmethod WHEN 'b' THEN 'WITHOUT FUNCTION' WHEN 'i' THEN 'WITH INOUT' "
		"       ELSE 'WITH FUNCTION ' || c.castfunc::pg_catalog.regprocedure::pg_catalog.text END || "
		"  CASE c.castcontext WHEN 'a' THEN ' AS ASSIGNMENT' WHEN 'i' THEN ' AS IMPLICIT' ELSE '' END || ';' "
		"FROM pg_catalog.pg_cast c "
		"WHERE c.oid >= 16384 AND " NSP_SQL_NOT_EXT_MEMBER("pg_cast", "c.oid") " AND "
		"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend id WHERE id.classid = "
		"'pg_catalog.pg_cast'::pg_catalog.regclass AND id.objid = c.oid AND id.deptype = 'i') "
		"ORDER BY 4");
	if (res == NULL)
		return -1;
	return add_rows(ctx, res, K(CAST), NSP_CLASS_PG_CAST) == 0 ? 0 : oom(ctx, "casts");
}

int nsp_catalog_load_operators(nsp_catalog_ctx *ctx)
{
	if (load_operators(ctx) != 0)
		return -1;
	return load_casts(ctx);
}

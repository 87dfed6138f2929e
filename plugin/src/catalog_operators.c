#include <stdio.h>

#include "catalog.h"
#include "strbuf.h"

#define K(x) NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_##x
#define PRE NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC

/* Operators and casts, written as pg_dump's dumpOpr and dumpCast write them.
 *
 * Also text search dictionaries and configurations, as pg_dump's dumpTSDictionary and
 * dumpTSConfig write them.
 *
 * Not handled yet: operator classes and families (an index that uses a user-made one fails on
 * the destination with PostgreSQL's own error). Not supported: text search parsers and
 * templates (they need C functions; built-in and extension ones are used as they are), and
 * user-made procedural languages outside an extension. */

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

#define QUALIFIED(nsp, name) "pg_catalog.quote_ident(" nsp ") || '.' || pg_catalog.quote_ident(" name ")"

/* Text search dictionaries: the template and the options as stored (dictinitoption is already
 * in CREATE's "name = value, ..." form). */
static int load_ts_dictionaries(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "text search dictionaries",
		"SELECT d.oid, n.nspname, d.dictname, n.nspname || '.' || d.dictname, "
		"  'CREATE TEXT SEARCH DICTIONARY ' || " QUALIFIED("n.nspname", "d.dictname") " || "
		"  E' (\n    TEMPLATE = ' || " QUALIFIED("tn.nspname", "t.tmplname") " || "
		"  COALESCE(E',\n    ' || d.dictinitoption, '') || ' );' "
		"FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace "
		"JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate "
		"JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace "
		"WHERE d.oid >= 16384 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_ts_dict", "d.oid") " ORDER BY 2, 3");
	if (res == NULL)
		return -1;
	return add_rows(ctx, res, K(TEXT_SEARCH), NSP_CLASS_PG_TS_DICT) == 0
		       ? 0
		       : oom(ctx, "text search dictionaries");
}

/* Text search configurations: the parser, then one ADD MAPPING per token type with its
 * dictionaries in order (regdictionary output is qualified: search_path is empty). */
static int load_ts_configs(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "text search configurations",
		"SELECT c.oid, n.nspname, c.cfgname, n.nspname || '.' || c.cfgname, "
		"  'CREATE TEXT SEARCH CONFIGURATION ' || " QUALIFIED("n.nspname", "c.cfgname") " || "
		"  E' (\n    PARSER = ' || " QUALIFIED("pn.nspname", "p.prsname") " || ' );' || "
		"  COALESCE((SELECT pg_catalog.string_agg(E'\nALTER TEXT SEARCH CONFIGURATION ' || "
		"       " QUALIFIED("n.nspname", "c.cfgname") " || E'\n    ADD MAPPING FOR ' || "
		"       pg_catalog.quote_ident(m.tokenname) || ' WITH ' || m.dicts || ';', '' ORDER BY m.maptokentype) "
		"     FROM (SELECT mm.maptokentype, "
		"             (SELECT tt.alias FROM pg_catalog.ts_token_type(c.cfgparser) tt "
		"              WHERE tt.tokid = mm.maptokentype) AS tokenname, "
		"             pg_catalog.string_agg(mm.mapdict::pg_catalog.regdictionary::pg_catalog.text, ', ' "
		"                                   ORDER BY mm.mapseqno) AS dicts "
		"           FROM pg_catalog.pg_ts_config_map mm WHERE mm.mapcfg = c.oid "
		"           GROUP BY mm.maptokentype) m), '') "
		"FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace "
		"JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser "
		"JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace "
		"WHERE c.oid >= 16384 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_ts_config", "c.oid") " ORDER BY 2, 3");
	if (res == NULL)
		return -1;
	return add_rows(ctx, res, K(TEXT_SEARCH), NSP_CLASS_PG_TS_CONFIG) == 0
		       ? 0
		       : oom(ctx, "text search configurations");
}

int nsp_catalog_load_operators(nsp_catalog_ctx *ctx)
{
	if (load_operators(ctx) != 0 || load_casts(ctx) != 0 || load_ts_dictionaries(ctx) != 0)
		return -1;
	return load_ts_configs(ctx);
}

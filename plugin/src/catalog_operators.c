#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "strbuf.h"
#include "model_enums.h"

/* Operators and casts, written as pg_dump's dumpOpr and dumpCast write them.
 *
 * Also text search dictionaries and configurations, as pg_dump's dumpTSDictionary and
 * dumpTSConfig write them.
 *
 * And operator families and classes, as pg_dump's dumpOpfamily and dumpOpclass write them.
 * Not supported: text search parsers and
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
static int add_rows(nsp_catalog_ctx *ctx, PGresult *res, nsp_kind kind,
		    uint32_t classid)
{
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_catref ref = {classid, nsp_cell_oid(res, i, 0)};
		if (nsp_model_add(ctx->model, kind, NSP_PHASE_PRE, ref, nsp_cell(res, i, 1), nsp_cell(res, i, 2),
				  nsp_cell(res, i, 3), nsp_cell(res, i, 4)) == NULL)
			rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Operators with a function (shell operators, left by a COMMUTATOR or NEGATOR naming an operator
 * never defined, are not dumped: the clause that names them makes them again). A COMMUTATOR or
 * NEGATOR naming an operator created later makes a shell that its CREATE OPERATOR fills in.
 *
 * The links that end up on the other operator depend on the order of creation: a clause naming
 * an existing operator whose slot is empty fills that slot too (every release), and filling in a
 * shell clears the links its own CREATE does not name on some minor releases (13.16, 15.18) and
 * keeps them on others (17.12). A source where X names Y but Y does not name X back was made by
 * creating X first (Y a shell), so Y is created after X here: that is the one order that gives
 * the source's links again on a destination of the source's release. Column 5 lists those X. */
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
		"  E'\\n);', "
		"  (SELECT pg_catalog.array_agg(x.oid) FROM pg_catalog.pg_operator x "
		"   WHERE x.oid <> o.oid AND ((x.oprcom = o.oid AND o.oprcom <> x.oid) OR "
		"                             (x.oprnegate = o.oid AND o.oprnegate <> x.oid))) "
		"FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace "
		"WHERE o.oprcode <> 0 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_operator", "o.oid") " ORDER BY 2, 3, 1");
	if (res == NULL)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_catref ref = {NSP_CLASS_PG_OPERATOR, nsp_cell_oid(res, i, 0)};
		nsp_object *o = nsp_model_add(ctx->model, NSP_KIND_OPERATOR, NSP_PHASE_PRE, ref, nsp_cell(res, i, 1),
					      nsp_cell(res, i, 2), nsp_cell(res, i, 3), nsp_cell(res, i, 4));
		if (o == NULL || nsp_catalog_needs_oids(o, nsp_cell(res, i, 5), NSP_CLASS_PG_OPERATOR) != 0)
			rc = -1;
	}
	PQclear(res);
	return rc == 0 ? 0 : oom(ctx, "operators");
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
	return add_rows(ctx, res, NSP_KIND_CAST, NSP_CLASS_PG_CAST) == 0 ? 0 : oom(ctx, "casts");
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
	return add_rows(ctx, res, NSP_KIND_TEXT_SEARCH, NSP_CLASS_PG_TS_DICT) == 0
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
	return add_rows(ctx, res, NSP_KIND_TEXT_SEARCH, NSP_CLASS_PG_TS_CONFIG) == 0
		       ? 0
		       : oom(ctx, "text search configurations");
}

/* pg_amop and pg_amproc: their rows name the operators and functions of a family or class in
 * pg_depend, so they are aliases of the family or class that holds them. */
enum { NSP_CLASS_PG_AMOP = 2602, NSP_CLASS_PG_AMPROC = 2603 };

/* Members of a family or class: pg_amop/pg_amproc rows tied to it in pg_depend by `deptype`
 * ('i' for a class's own members, 'a' for the loose members of a family). `owner` is the
 * SQL expression of the class or family oid, `refclass` its catalog. Each macro yields a
 * text[] of rendered items or of oids. */
#define AMOP_MEMBERS(what, refclass, owner, deptype)                                             \
	"(SELECT pg_catalog.array_agg(" what " ORDER BY ao.amopstrategy, ao.oid) "                   \
	"FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend ad ON ad.classid = "                  \
	"'pg_catalog.pg_amop'::pg_catalog.regclass AND ad.objid = ao.oid AND ad.refclassid = "      \
	"'pg_catalog." refclass "'::pg_catalog.regclass AND ad.refobjid = " owner " AND "           \
	"ad.deptype = '" deptype "')"
#define AMPROC_MEMBERS(what, refclass, owner, deptype)                                           \
	"(SELECT pg_catalog.array_agg(" what " ORDER BY ap.amprocnum, ap.oid) "                      \
	"FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend pd ON pd.classid = "                \
	"'pg_catalog.pg_amproc'::pg_catalog.regclass AND pd.objid = ap.oid AND pd.refclassid = "    \
	"'pg_catalog." refclass "'::pg_catalog.regclass AND pd.refobjid = " owner " AND "           \
	"pd.deptype = '" deptype "')"
/* OPERATOR n op(left,right) [FOR ORDER BY family]; FUNCTION n (left, right) f(args). */
#define AMOP_ITEM                                                                                \
	"'OPERATOR ' || ao.amopstrategy || ' ' || ao.amopopr::pg_catalog.regoperator::pg_catalog.text || " \
	"CASE WHEN ao.amoppurpose = 'o' THEN ' FOR ORDER BY ' || (SELECT " QUALIFIED("sn.nspname", "sf.opfname") \
	" FROM pg_catalog.pg_opfamily sf JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace " \
	"WHERE sf.oid = ao.amopsortfamily) ELSE '' END"
#define AMPROC_ITEM                                                                              \
	"'FUNCTION ' || ap.amprocnum || ' (' || pg_catalog.format_type(ap.amproclefttype, NULL) || ', ' || " \
	"pg_catalog.format_type(ap.amprocrighttype, NULL) || ') ' || " \
	"ap.amproc::pg_catalog.regprocedure::pg_catalog.text"

/* Operator families: CREATE OPERATOR FAMILY, then the loose members (those added by ALTER
 * OPERATOR FAMILY, not bound to a class). Classes of the family are objects of their own. */
static int load_opfamilies(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "operator families",
		"SELECT f.oid, n.nspname, f.opfname, n.nspname || '.' || f.opfname || ' USING ' || am.amname, "
		"  'CREATE OPERATOR FAMILY ' || " QUALIFIED("n.nspname", "f.opfname") " || ' USING ' || "
		"  pg_catalog.quote_ident(am.amname) || ';' || "
		"  COALESCE(E'\nALTER OPERATOR FAMILY ' || " QUALIFIED("n.nspname", "f.opfname") " || ' USING ' || "
		"    pg_catalog.quote_ident(am.amname) || E' ADD\n    ' || "
		"    NULLIF(pg_catalog.array_to_string(pg_catalog.array_cat("
		         AMOP_MEMBERS(AMOP_ITEM, "pg_opfamily", "f.oid", "a") ", "
		         AMPROC_MEMBERS(AMPROC_ITEM, "pg_opfamily", "f.oid", "a") "), E',\n    '), '') || ';', ''), "
		"  " AMOP_MEMBERS("ao.oid", "pg_opfamily", "f.oid", "a") ", "
		"  " AMPROC_MEMBERS("ap.oid", "pg_opfamily", "f.oid", "a") " "
		"FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace "
		"JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod "
		"WHERE f.oid >= 16384 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_opfamily", "f.oid") " ORDER BY 2, 3, 1");
	if (res == NULL)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_catref ref = {NSP_CLASS_PG_OPFAMILY, nsp_cell_oid(res, i, 0)};
		nsp_object *o = nsp_model_add(ctx->model, NSP_KIND_OPERATOR, NSP_PHASE_PRE, ref, nsp_cell(res, i, 1),
					      nsp_cell(res, i, 2), nsp_cell(res, i, 3), nsp_cell(res, i, 4));
		if (o == NULL || nsp_catalog_alias_oids(ctx->model, nsp_cell(res, i, 5), NSP_CLASS_PG_AMOP, o->index) != 0 ||
		    nsp_catalog_alias_oids(ctx->model, nsp_cell(res, i, 6), NSP_CLASS_PG_AMPROC, o->index) != 0)
			rc = -1;
	}
	PQclear(res);
	return rc == 0 ? 0 : oom(ctx, "operator families");
}

/* Operator classes: always with their FAMILY (pg_dump does the same; the family is created
 * first), STORAGE when the key type differs, then their own operators and functions. */
static int load_opclasses(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "operator classes",
		"SELECT c.oid, n.nspname, c.opcname, n.nspname || '.' || c.opcname || ' USING ' || am.amname, "
		"  'CREATE OPERATOR CLASS ' || " QUALIFIED("n.nspname", "c.opcname") " || E'\n    ' || "
		"  CASE WHEN c.opcdefault THEN 'DEFAULT ' ELSE '' END || 'FOR TYPE ' || "
		"  pg_catalog.format_type(c.opcintype, NULL) || ' USING ' || pg_catalog.quote_ident(am.amname) || "
		"  ' FAMILY ' || " QUALIFIED("fn.nspname", "f.opfname") " || E' AS\n    ' || "
		"  COALESCE(NULLIF(pg_catalog.array_to_string("
		"    ARRAY[CASE WHEN c.opckeytype <> 0 AND c.opckeytype <> c.opcintype "
		"               THEN 'STORAGE ' || pg_catalog.format_type(c.opckeytype, NULL) END] || "
		         AMOP_MEMBERS(AMOP_ITEM, "pg_opclass", "c.oid", "i") " || "
		         AMPROC_MEMBERS(AMPROC_ITEM, "pg_opclass", "c.oid", "i") ", E',\n    '), ''), "
		"    'STORAGE ' || pg_catalog.format_type(c.opcintype, NULL)) || ';', "
		"  " AMOP_MEMBERS("ao.oid", "pg_opclass", "c.oid", "i") ", "
		"  " AMPROC_MEMBERS("ap.oid", "pg_opclass", "c.oid", "i") ", c.opcfamily "
		"FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace "
		"JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod "
		"JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily "
		"JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace "
		"WHERE c.oid >= 16384 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_opclass", "c.oid") " ORDER BY 2, 3, 1");
	if (res == NULL)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_catref ref = {NSP_CLASS_PG_OPCLASS, nsp_cell_oid(res, i, 0)};
		nsp_object *o = nsp_model_add(ctx->model, NSP_KIND_OPERATOR, NSP_PHASE_PRE, ref, nsp_cell(res, i, 1),
					      nsp_cell(res, i, 2), nsp_cell(res, i, 3), nsp_cell(res, i, 4));
		if (o == NULL || nsp_catalog_alias_oids(ctx->model, nsp_cell(res, i, 5), NSP_CLASS_PG_AMOP, o->index) != 0 ||
		    nsp_catalog_alias_oids(ctx->model, nsp_cell(res, i, 6), NSP_CLASS_PG_AMPROC, o->index) != 0 ||
		    nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_OPFAMILY, nsp_cell_oid(res, i, 7)}) != 0)
			rc = -1;
	}
	PQclear(res);
	return rc == 0 ? 0 : oom(ctx, "operator classes");
}

int nsp_catalog_load_operators(nsp_catalog_ctx *ctx)
{
	if (load_operators(ctx) != 0 || load_casts(ctx) != 0 || load_opfamilies(ctx) != 0 ||
	    load_opclasses(ctx) != 0 || load_ts_dictionaries(ctx) != 0)
		return -1;
	return load_ts_configs(ctx);
}

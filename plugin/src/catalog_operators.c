#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "render_operators.h"
#include "strbuf.h"
#include "model_enums.h"

/* Operators and casts, written as pg_dump's dumpOpr and dumpCast write them (render_operators.h).
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

/* Adds row i of `res` (oid, schema, name, identity) with its SQL as an object of `kind` in
 * `classid`. */
static nsp_object *add_row(nsp_catalog_ctx *ctx, const PGresult *res, int i, nsp_kind kind,
			   uint32_t classid, const nsp_strbuf *sql)
{
	if (nsp_strbuf_failed(sql))
		return NULL;
	nsp_catref ref = {classid, nsp_cell_oid(res, i, 0)};
	return nsp_model_add(ctx->model, kind, NSP_PHASE_PRE, ref, nsp_cell(res, i, 1), nsp_cell(res, i, 2),
			     nsp_cell(res, i, 3), sql->data);
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
 * the source's links again on a destination of the source's release. Column 14 lists those X. */
static int load_operators(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "operators",
		"SELECT o.oid, n.nspname, o.oprname, "
		"  n.nspname || '.' || o.oprname || '(' || "
		"  CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprleft, NULL) END || ', ' || "
		"  CASE WHEN o.oprright = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprright, NULL) END || ')', "
		"  pg_catalog.quote_ident(n.nspname) || '.' || o.oprname, "
		"  o.oprcode::pg_catalog.regproc::pg_catalog.text, "
		"  CASE WHEN o.oprleft <> 0 THEN pg_catalog.format_type(o.oprleft, NULL) END, "
		"  CASE WHEN o.oprright <> 0 THEN pg_catalog.format_type(o.oprright, NULL) END, "
		"  " OPERATOR_NAME("o.oprcom") ", " OPERATOR_NAME("o.oprnegate") ", o.oprcanmerge, o.oprcanhash, "
		"  CASE WHEN o.oprrest <> 0 THEN o.oprrest::pg_catalog.regproc::pg_catalog.text END, "
		"  CASE WHEN o.oprjoin <> 0 THEN o.oprjoin::pg_catalog.regproc::pg_catalog.text END, "
		"  (SELECT pg_catalog.array_agg(x.oid) FROM pg_catalog.pg_operator x "
		"   WHERE x.oid <> o.oid AND ((x.oprcom = o.oid AND o.oprcom <> x.oid) OR "
		"                             (x.oprnegate = o.oid AND o.oprnegate <> x.oid))) "
		"FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace "
		"WHERE o.oprcode <> 0 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_operator", "o.oid") " ORDER BY 2, 3, 1");
	if (res == NULL)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_operator_row r = {
			.qualified = nsp_cell(res, i, 4),
			.function = nsp_cell(res, i, 5),
			.left = nsp_cell(res, i, 6),
			.right = nsp_cell(res, i, 7),
			.commutator = nsp_cell(res, i, 8),
			.negator = nsp_cell(res, i, 9),
			.merges = nsp_cell_bool(res, i, 10),
			.hashes = nsp_cell_bool(res, i, 11),
			.restrict_fn = nsp_cell(res, i, 12),
			.join_fn = nsp_cell(res, i, 13),
		};
		nsp_strbuf_reset(&sql);
		nsp_render_operator(&r, &sql);
		nsp_object *o = add_row(ctx, res, i, NSP_KIND_OPERATOR, NSP_CLASS_PG_OPERATOR, &sql);
		if (o == NULL || nsp_catalog_needs_oids(o, nsp_cell(res, i, 14), NSP_CLASS_PG_OPERATOR) != 0)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
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
		"  pg_catalog.format_type(c.castsource, NULL), pg_catalog.format_type(c.casttarget, NULL), "
		"  c.castmethod, c.castfunc::pg_catalog.regprocedure::pg_catalog.text, c.castcontext "
		"FROM pg_catalog.pg_cast c "
		"WHERE c.oid >= 16384 AND " NSP_SQL_NOT_EXT_MEMBER("pg_cast", "c.oid") " AND "
		"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend id WHERE id.classid = "
		"'pg_catalog.pg_cast'::pg_catalog.regclass AND id.objid = c.oid AND id.deptype = 'i') "
		"ORDER BY 4");
	if (res == NULL)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_cast_row r = {
			.source = nsp_cell(res, i, 4),
			.target = nsp_cell(res, i, 5),
			.method = nsp_cell(res, i, 6)[0],
			.function = nsp_cell(res, i, 7),
			.context = nsp_cell(res, i, 8)[0],
		};
		nsp_strbuf_reset(&sql);
		nsp_render_cast(&r, &sql);
		if (add_row(ctx, res, i, NSP_KIND_CAST, NSP_CLASS_PG_CAST, &sql) == NULL)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	return rc == 0 ? 0 : oom(ctx, "casts");
}

#define QUALIFIED(nsp, name) "pg_catalog.quote_ident(" nsp ") || '.' || pg_catalog.quote_ident(" name ")"

/* Text search dictionaries: the template and the options as stored (dictinitoption is already
 * in CREATE's "name = value, ..." form). */
static int load_ts_dictionaries(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "text search dictionaries",
		"SELECT d.oid, n.nspname, d.dictname, n.nspname || '.' || d.dictname, "
		"  " QUALIFIED("n.nspname", "d.dictname") ", " QUALIFIED("tn.nspname", "t.tmplname") ", "
		"  d.dictinitoption "
		"FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace "
		"JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate "
		"JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace "
		"WHERE d.oid >= 16384 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_ts_dict", "d.oid") " ORDER BY 2, 3");
	if (res == NULL)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_ts_dictionary_row r = {
			.qualified = nsp_cell(res, i, 4),
			.template_name = nsp_cell(res, i, 5),
			.options = nsp_cell(res, i, 6),
		};
		nsp_strbuf_reset(&sql);
		nsp_render_ts_dictionary(&r, &sql);
		if (add_row(ctx, res, i, NSP_KIND_TEXT_SEARCH, NSP_CLASS_PG_TS_DICT, &sql) == NULL)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	return rc == 0 ? 0 : oom(ctx, "text search dictionaries");
}

/* Text search configurations: the parser, then one ADD MAPPING per token type with its
 * dictionaries in order (regdictionary output is qualified: search_path is empty). */
/* An array of the mappings of configuration c, one per token type in maptokentype order:
 * m.tokenname is the token type's alias, m.dicts its dictionaries joined by ", ". */
#define TS_MAPPINGS(what)                                                                        \
	"ARRAY(SELECT " what " FROM (SELECT mm.maptokentype, "                                       \
	"  (SELECT tt.alias FROM pg_catalog.ts_token_type(c.cfgparser) tt "                         \
	"   WHERE tt.tokid = mm.maptokentype) AS tokenname, "                                        \
	"  pg_catalog.string_agg(mm.mapdict::pg_catalog.regdictionary::pg_catalog.text, ', ' "       \
	"                        ORDER BY mm.mapseqno) AS dicts "                                    \
	"  FROM pg_catalog.pg_ts_config_map mm WHERE mm.mapcfg = c.oid "                            \
	"  GROUP BY mm.maptokentype) m ORDER BY m.maptokentype)"
static int load_ts_configs(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "text search configurations",
		"SELECT c.oid, n.nspname, c.cfgname, n.nspname || '.' || c.cfgname, "
		"  " QUALIFIED("n.nspname", "c.cfgname") ", " QUALIFIED("pn.nspname", "p.prsname") ", "
		"  " TS_MAPPINGS("pg_catalog.quote_ident(m.tokenname)") ", " TS_MAPPINGS("m.dicts") " "
		"FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace "
		"JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser "
		"JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace "
		"WHERE c.oid >= 16384 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_ts_config", "c.oid") " ORDER BY 2, 3");
	if (res == NULL)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		size_t ntokens = 0, ndicts = 0;
		char **tokens = nsp_cell_text_array(nsp_cell(res, i, 6), &ntokens);
		char **dicts = nsp_cell_text_array(nsp_cell(res, i, 7), &ndicts);
		nsp_strbuf_reset(&sql);
		if (tokens == NULL || dicts == NULL || ntokens != ndicts)
			rc = -1;
		else
			nsp_render_ts_config(&(nsp_ts_config_row){.qualified = nsp_cell(res, i, 4),
								  .parser = nsp_cell(res, i, 5), .tokens = tokens,
								  .dictionaries = dicts, .nmappings = ntokens},
					     &sql);
		if (rc != 0 || add_row(ctx, res, i, NSP_KIND_TEXT_SEARCH, NSP_CLASS_PG_TS_CONFIG, &sql) == NULL)
			rc = -1;
		free(tokens);
		free(dicts);
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	return rc == 0 ? 0 : oom(ctx, "text search configurations");
}

/* pg_amop and pg_amproc: their rows name the operators and functions of a family or class in
 * pg_depend, so they are aliases of the family or class that holds them. */
enum { NSP_CLASS_PG_AMOP = 2602, NSP_CLASS_PG_AMPROC = 2603 };

/* Members of a family or class: pg_amop/pg_amproc rows tied to it in pg_depend by `deptype`
 * ('i' for a class's own members, 'a' for the loose members of a family). `owner` is the
 * SQL expression of the class or family oid, `refclass` its catalog. Each is a lateral join
 * of arrays in strategy or support number order: mo.oids, mp.oids (the aliases), and the
 * seven arrays of nsp_opclass_members (MEMBER_COLUMNS): each operator's strategy,
 * regoperator and, for an ordering one, its sort family; each function's support number, left
 * and right types and regprocedure. Over no members, every array is NULL. */
#define AMOP_AGG(what) "pg_catalog.array_agg(" what " ORDER BY ao.amopstrategy, ao.oid)"
#define AMPROC_AGG(what) "pg_catalog.array_agg(" what " ORDER BY ap.amprocnum, ap.oid)"
#define MEMBERS_JOIN(refclass, owner, deptype)                                                   \
	"LEFT JOIN LATERAL (SELECT " AMOP_AGG("ao.oid") " AS oids, "                                  \
	"  " AMOP_AGG("ao.amopstrategy::pg_catalog.text") " AS strategies, "                          \
	"  " AMOP_AGG("ao.amopopr::pg_catalog.regoperator::pg_catalog.text") " AS operators, "        \
	"  " AMOP_AGG("CASE WHEN ao.amoppurpose = 'o' THEN (SELECT " QUALIFIED("sn.nspname", "sf.opfname") \
	" FROM pg_catalog.pg_opfamily sf JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace " \
	"WHERE sf.oid = ao.amopsortfamily) END") " AS sort_families "                                  \
	"FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend ad ON ad.classid = "                  \
	"'pg_catalog.pg_amop'::pg_catalog.regclass AND ad.objid = ao.oid AND ad.refclassid = "      \
	"'pg_catalog." refclass "'::pg_catalog.regclass AND ad.refobjid = " owner " AND "           \
	"ad.deptype = '" deptype "') mo ON true "                                                     \
	"LEFT JOIN LATERAL (SELECT " AMPROC_AGG("ap.oid") " AS oids, "                                \
	"  " AMPROC_AGG("ap.amprocnum::pg_catalog.text") " AS numbers, "                              \
	"  " AMPROC_AGG("pg_catalog.format_type(ap.amproclefttype, NULL)") " AS lefttypes, "          \
	"  " AMPROC_AGG("pg_catalog.format_type(ap.amprocrighttype, NULL)") " AS righttypes, "        \
	"  " AMPROC_AGG("ap.amproc::pg_catalog.regprocedure::pg_catalog.text") " AS functions "       \
	"FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend pd ON pd.classid = "                \
	"'pg_catalog.pg_amproc'::pg_catalog.regclass AND pd.objid = ap.oid AND pd.refclassid = "    \
	"'pg_catalog." refclass "'::pg_catalog.regclass AND pd.refobjid = " owner " AND "           \
	"pd.deptype = '" deptype "') mp ON true "
#define MEMBER_COLUMNS \
	"mo.strategies, mo.operators, mo.sort_families, mp.numbers, mp.lefttypes, mp.righttypes, mp.functions"
enum { MEMBER_ARRAYS = 7 };

/* The members of row i from the MEMBER_COLUMNS at column col; arrays[] then holds what to
 * free() (also on failure). */
static int read_members(const PGresult *res, int i, int col, char **arrays[MEMBER_ARRAYS],
			nsp_opclass_members *m)
{
	size_t n[MEMBER_ARRAYS] = {0};
	int rc = 0;
	for (int k = 0; k < MEMBER_ARRAYS; k++)
		if ((arrays[k] = nsp_cell_text_array(nsp_cell(res, i, col + k), &n[k])) == NULL)
			rc = -1;
	if (rc != 0 || n[1] != n[0] || n[2] != n[0] || n[4] != n[3] || n[5] != n[3] || n[6] != n[3])
		return -1;
	*m = (nsp_opclass_members){
		.noperators = n[0], .strategies = arrays[0], .operators = arrays[1], .sort_families = arrays[2],
		.nfunctions = n[3], .numbers = arrays[3], .lefttypes = arrays[4], .righttypes = arrays[5],
		.functions = arrays[6],
	};
	return 0;
}

static void free_members(char **arrays[MEMBER_ARRAYS])
{
	for (int k = 0; k < MEMBER_ARRAYS; k++)
		free(arrays[k]);
}

/* Operator families: CREATE OPERATOR FAMILY, then the loose members (those added by ALTER
 * OPERATOR FAMILY, not bound to a class). Classes of the family are objects of their own. */
static int load_opfamilies(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "operator families",
		"SELECT f.oid, n.nspname, f.opfname, n.nspname || '.' || f.opfname || ' USING ' || am.amname, "
		"  " QUALIFIED("n.nspname", "f.opfname") ", pg_catalog.quote_ident(am.amname), "
		"  mo.oids, mp.oids, " MEMBER_COLUMNS " "
		"FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace "
		"JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod "
		MEMBERS_JOIN("pg_opfamily", "f.oid", "a")
		"WHERE f.oid >= 16384 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_opfamily", "f.oid") " ORDER BY 2, 3, 1");
	if (res == NULL)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_opfamily_row r = {.qualified = nsp_cell(res, i, 4), .method = nsp_cell(res, i, 5)};
		char **arrays[MEMBER_ARRAYS] = {0};
		nsp_strbuf_reset(&sql);
		if (read_members(res, i, 8, arrays, &r.members) == 0)
			nsp_render_opfamily(&r, &sql);
		else
			rc = -1;
		free_members(arrays);
		nsp_object *o = rc != 0 ? NULL : add_row(ctx, res, i, NSP_KIND_OPERATOR, NSP_CLASS_PG_OPFAMILY, &sql);
		if (o == NULL || nsp_catalog_alias_oids(ctx->model, nsp_cell(res, i, 6), NSP_CLASS_PG_AMOP, o->index) != 0 ||
		    nsp_catalog_alias_oids(ctx->model, nsp_cell(res, i, 7), NSP_CLASS_PG_AMPROC, o->index) != 0)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	return rc == 0 ? 0 : oom(ctx, "operator families");
}

/* Operator classes: always with their FAMILY (pg_dump does the same; the family is created
 * first), STORAGE when the key type differs, then their own operators and functions. */
static int load_opclasses(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "operator classes",
		"SELECT c.oid, n.nspname, c.opcname, n.nspname || '.' || c.opcname || ' USING ' || am.amname, "
		"  " QUALIFIED("n.nspname", "c.opcname") ", c.opcdefault, pg_catalog.format_type(c.opcintype, NULL), "
		"  pg_catalog.quote_ident(am.amname), " QUALIFIED("fn.nspname", "f.opfname") ", "
		"  CASE WHEN c.opckeytype <> 0 AND c.opckeytype <> c.opcintype "
		"       THEN pg_catalog.format_type(c.opckeytype, NULL) END, "
		"  mo.oids, mp.oids, c.opcfamily, " MEMBER_COLUMNS " "
		"FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace "
		"JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod "
		"JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily "
		"JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace "
		MEMBERS_JOIN("pg_opclass", "c.oid", "i")
		"WHERE c.oid >= 16384 AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_opclass", "c.oid") " ORDER BY 2, 3, 1");
	if (res == NULL)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_opclass_row r = {
			.qualified = nsp_cell(res, i, 4),
			.is_default = nsp_cell_bool(res, i, 5),
			.type = nsp_cell(res, i, 6),
			.method = nsp_cell(res, i, 7),
			.family = nsp_cell(res, i, 8),
			.storage = nsp_cell(res, i, 9),
		};
		char **arrays[MEMBER_ARRAYS] = {0};
		nsp_strbuf_reset(&sql);
		if (read_members(res, i, 13, arrays, &r.members) == 0)
			nsp_render_opclass(&r, &sql);
		else
			rc = -1;
		free_members(arrays);
		nsp_object *o = rc != 0 ? NULL : add_row(ctx, res, i, NSP_KIND_OPERATOR, NSP_CLASS_PG_OPCLASS, &sql);
		if (o == NULL || nsp_catalog_alias_oids(ctx->model, nsp_cell(res, i, 10), NSP_CLASS_PG_AMOP, o->index) != 0 ||
		    nsp_catalog_alias_oids(ctx->model, nsp_cell(res, i, 11), NSP_CLASS_PG_AMPROC, o->index) != 0 ||
		    nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_OPFAMILY, nsp_cell_oid(res, i, 12)}) != 0)
			rc = -1;
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	return rc == 0 ? 0 : oom(ctx, "operator classes");
}

int nsp_catalog_load_operators(nsp_catalog_ctx *ctx)
{
	if (load_operators(ctx) != 0 || load_casts(ctx) != 0 || load_opfamilies(ctx) != 0 ||
	    load_opclasses(ctx) != 0 || load_ts_dictionaries(ctx) != 0)
		return -1;
	return load_ts_configs(ctx);
}

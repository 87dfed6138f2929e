#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "strbuf.h"

#define K(x) NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_##x
#define POST NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC

/* Owners and privileges (options `owners` and `acls`, both off by default: destination roles
 * rarely match). Every step is post-sync, so a role missing on the destination fails one
 * reported step, never the load. Privileges are applied as pg_dump does: only the difference
 * between the object's ACL and its default ACL (acldefault) is granted or revoked. */

/* The designator ALTER ... OWNER TO and GRANT ... ON take for a pg_identify_object() type. */
static const char *owner_keyword(const char *type)
{
	static const char *const map[][2] = {
		{"table", "TABLE"},           {"view", "VIEW"},
		{"materialized view", "MATERIALIZED VIEW"},
		{"sequence", "SEQUENCE"},     {"foreign table", "FOREIGN TABLE"},
		{"function", "FUNCTION"},     {"procedure", "PROCEDURE"},
		{"aggregate", "AGGREGATE"},   {"type", "TYPE"},
		{"composite type", "TYPE"},   {"domain", "DOMAIN"},
		{"schema", "SCHEMA"},         {"collation", "COLLATION"},
		{"operator", "OPERATOR"},     {"statistics object", "STATISTICS"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], type) == 0)
			return map[i][1];
	return NULL;
}

static const char *grant_keyword(const char *type)
{
	if (strcmp(type, "table") == 0 || strcmp(type, "view") == 0 ||
	    strcmp(type, "materialized view") == 0 || strcmp(type, "foreign table") == 0)
		return "TABLE";
	if (strcmp(type, "sequence") == 0)
		return "SEQUENCE";
	if (strcmp(type, "function") == 0 || strcmp(type, "aggregate") == 0)
		return "FUNCTION";
	if (strcmp(type, "procedure") == 0)
		return "PROCEDURE";
	if (strcmp(type, "schema") == 0)
		return "SCHEMA";
	if (strcmp(type, "type") == 0 || strcmp(type, "composite type") == 0)
		return "TYPE";
	if (strcmp(type, "domain") == 0)
		return "DOMAIN";
	return NULL;
}

/* The destination role for a source role, through the role map. */
static const char *map_role(const nsp_catalog_ctx *ctx, const char *role)
{
	const Neosync__Plugin__V1__SchemaPluginOptions *o = ctx->options;
	for (size_t i = 0; o != NULL && i < o->n_role_map; i++)
		if (strcmp(o->role_map[i]->source_role, role) == 0 && o->role_map[i]->destination_role[0])
			return o->role_map[i]->destination_role;
	return role;
}

static void append_role(nsp_strbuf *sb, const nsp_catalog_ctx *ctx, const char *role)
{
	if (role == NULL || role[0] == '\0')
		nsp_strbuf_append(sb, "PUBLIC");
	else
		nsp_strbuf_append_ident(sb, map_role(ctx, role));
}

/* Objects with an owner and an ACL, as one list: catalog, oid, owner, kind for acldefault. */
#define OWNED_OBJECTS                                                                              \
	"SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid AS classid, c.oid, "      \
	"  c.relowner AS owner, c.relacl AS acl, CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END AS k " \
	"FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "              \
	"UNION ALL SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, p.proowner, p.proacl, 'f' " \
	"FROM pg_catalog.pg_proc p "                                                                  \
	"UNION ALL SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, t.typowner, t.typacl, 'T' " \
	"FROM pg_catalog.pg_type t WHERE t.typtype IN ('e', 'c', 'r', 'd') "                          \
	"UNION ALL SELECT 'pg_catalog.pg_namespace'::pg_catalog.regclass, n.oid, n.nspowner, n.nspacl, 'n' " \
	"FROM pg_catalog.pg_namespace n "                                                             \
	"UNION ALL SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, co.oid, co.collowner, NULL, NULL " \
	"FROM pg_catalog.pg_collation co "                                                            \
	"UNION ALL SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, op.oid, op.oprowner, NULL, NULL " \
	"FROM pg_catalog.pg_operator op "                                                             \
	"UNION ALL SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass, s.oid, s.stxowner, NULL, NULL " \
	"FROM pg_catalog.pg_statistic_ext s "

/* pg_identify_object() writes an aggregate over * as "name()", which ALTER AGGREGATE reads as
 * "no arguments": say (*) instead. The identity is appended by the caller; this rewrites its
 * end. */
static void append_star_args(nsp_strbuf *sql, const char *type, const char *identity)
{
	size_t n = strlen(identity);
	if (strcmp(type, "aggregate") == 0 && n >= 2 && strcmp(identity + n - 2, "()") == 0 &&
	    sql->len >= 1) {
		sql->len--; /* drop ")" */
		sql->data[sql->len] = '\0';
		nsp_strbuf_append(sql, "*)");
	}
}

static int add_step(nsp_catalog_ctx *ctx, Neosync__Plugin__V1__ObjectKind kind, nsp_object *target,
		    const char *what, const char *identity, const char *sql)
{
	char display[600];
	snprintf(display, sizeof(display), "%s of %s", what, identity);
	nsp_object *o = nsp_model_add(ctx->model, kind, POST, (nsp_catref){0, 0}, target->schema,
				      target->name, display, sql);
	if (o == NULL || nsp_object_needs(o, target->index) != 0)
		return -1;
	if (target->table != NULL &&
	    nsp_object_set_table(o, target->table_oid, target->table,
				 NEOSYNC__PLUGIN__V1__LOCK_MODE__LOCK_MODE_ACCESS_EXCLUSIVE) != 0)
		return -1;
	return 0;
}

static int load_owners(nsp_catalog_ctx *ctx, nsp_strbuf *sql)
{
	PGresult *res = nsp_catalog_query(
		ctx, "owners",
		"SELECT o.classid, o.oid, i.type, i.identity, pg_catalog.pg_get_userbyid(o.owner), "
		"  o.owner = d.datdba AND o.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass "
		"FROM (" OWNED_OBJECTS ") o "
		"CROSS JOIN LATERAL pg_catalog.pg_identify_object(o.classid, o.oid, 0) i "
		"JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database() "
		"WHERE o.oid >= 16384 OR i.identity = 'public' ORDER BY 1, 2");
	if (res == NULL)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_object *target =
			nsp_model_find(ctx->model, (nsp_catref){nsp_cell_oid(res, i, 0), nsp_cell_oid(res, i, 1)});
		const char *keyword = owner_keyword(nsp_cell(res, i, 2));
		/* Objects of the model only, owned by what they are (not a table's row type). */
		if (target == NULL || keyword == NULL || target->ref.objid != nsp_cell_oid(res, i, 1))
			continue;
		const char *identity = nsp_cell(res, i, 3);
		nsp_strbuf_reset(sql);
		nsp_strbuf_appendf(sql, "ALTER %s %s", keyword, identity);
		append_star_args(sql, nsp_cell(res, i, 2), identity);
		nsp_strbuf_append(sql, " OWNER TO ");
		append_role(sql, ctx, nsp_cell(res, i, 4));
		nsp_strbuf_append(sql, ";");
		rc = nsp_strbuf_failed(sql) ? -1 : add_step(ctx, K(OWNER), target, "owner", identity, sql->data);
	}
	PQclear(res);
	return rc;
}

static int load_acls(nsp_catalog_ctx *ctx, nsp_strbuf *sql)
{
	/* One row per object: the GRANTs and REVOKEs that turn its default ACL into its ACL. */
	PGresult *res = nsp_catalog_query(
		ctx, "privileges",
		"WITH o AS (" OWNED_OBJECTS "), "
		"x AS (SELECT o.classid, o.oid, e.grantee, e.privilege_type, e.is_grantable, 'GRANT' AS act "
		"      FROM o, pg_catalog.aclexplode(o.acl) e WHERE o.acl IS NOT NULL AND (o.oid >= 16384 "
		"        OR o.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass) "
		"      EXCEPT SELECT o.classid, o.oid, e.grantee, e.privilege_type, e.is_grantable, 'GRANT' "
		"      FROM o, pg_catalog.aclexplode(pg_catalog.acldefault(o.k::\"char\", o.owner)) e "
		"      WHERE o.acl IS NOT NULL "
		"      UNION ALL "
		"      (SELECT o.classid, o.oid, e.grantee, e.privilege_type, e.is_grantable, 'REVOKE' "
		"      FROM o, pg_catalog.aclexplode(pg_catalog.acldefault(o.k::\"char\", o.owner)) e "
		"      WHERE o.acl IS NOT NULL AND (o.oid >= 16384 "
		"        OR o.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass) "
		"      EXCEPT SELECT o.classid, o.oid, e.grantee, e.privilege_type, e.is_grantable, 'REVOKE' "
		"      FROM o, pg_catalog.aclexplode(o.acl) e WHERE o.acl IS NOT NULL)) "
		"SELECT x.classid, x.oid, i.type, i.identity, x.act, x.privilege_type, "
		"  CASE WHEN x.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(x.grantee) END, x.is_grantable "
		"FROM x CROSS JOIN LATERAL pg_catalog.pg_identify_object(x.classid, x.oid, 0) i "
		"ORDER BY 1, 2, x.act DESC, 7, 6");
	if (res == NULL)
		return -1;
	int rc = 0;
	nsp_object *target = NULL;
	const char *identity = NULL, *keyword = NULL;
	int rows = PQntuples(res);
	for (int i = 0; i < rows && rc == 0; i++) {
		nsp_catref ref = {nsp_cell_oid(res, i, 0), nsp_cell_oid(res, i, 1)};
		bool first = i == 0 || ref.classid != nsp_cell_oid(res, i - 1, 0) ||
			     ref.objid != nsp_cell_oid(res, i - 1, 1);
		if (first) {
			nsp_strbuf_reset(sql);
			target = nsp_model_find(ctx->model, ref);
			if (target != NULL && target->ref.objid != ref.objid)
				target = NULL;
			identity = nsp_cell(res, i, 3);
			keyword = grant_keyword(nsp_cell(res, i, 2));
		}
		if (target != NULL && keyword != NULL) {
			bool grant = strcmp(nsp_cell(res, i, 4), "GRANT") == 0;
			nsp_strbuf_appendf(sql, "%s %s%s ON %s %s", grant ? "GRANT" : "REVOKE",
					   !grant && nsp_cell_bool(res, i, 7) ? "GRANT OPTION FOR " : "",
					   nsp_cell(res, i, 5), keyword, identity);
			append_star_args(sql, nsp_cell(res, i, 2), identity);
			nsp_strbuf_append(sql, grant ? " TO " : " FROM ");
			append_role(sql, ctx, nsp_cell(res, i, 6));
			nsp_strbuf_append(sql, grant && nsp_cell_bool(res, i, 7) ? " WITH GRANT OPTION;" : ";");
		}
		bool last = i + 1 == rows || ref.classid != nsp_cell_oid(res, i + 1, 0) ||
			    ref.objid != nsp_cell_oid(res, i + 1, 1);
		if (last && target != NULL && keyword != NULL && sql->len > 0)
			rc = nsp_strbuf_failed(sql) ? -1
						    : add_step(ctx, K(ACL), target, "privileges", identity, sql->data);
	}
	PQclear(res);
	return rc;
}

int nsp_catalog_load_owners(nsp_catalog_ctx *ctx)
{
	const Neosync__Plugin__V1__SchemaPluginOptions *o = ctx->options;
	if (o == NULL || (!o->owners && !o->acls))
		return 0;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = 0;
	if (o->owners)
		rc = load_owners(ctx, &sql);
	if (rc == 0 && o->acls)
		rc = load_acls(ctx, &sql);
	nsp_strbuf_free(&sql);
	if (rc != 0 && ctx->err->code == NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK)
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading owners and privileges");
	return rc;
}

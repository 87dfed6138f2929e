#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "render_policies.h"
#include "strbuf.h"
#include "model_enums.h"

#define OOM(ctx, what) \
	nsp_error_set((ctx)->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory reading " what)

enum { P_OID, P_SCHEMA, P_TABLE, P_NAME, P_PERMISSIVE, P_CMD, P_ROLES, P_QUAL, P_CHECK, P_RELID, P_SIZE };

static int load_row_security(nsp_catalog_ctx *ctx);

/* Policies, as pg_dump writes them:
 *   CREATE POLICY p ON s.t [AS RESTRICTIVE] [FOR cmd] [TO roles] [USING (qual)] [WITH CHECK (expr)];
 * polroles {0} is PUBLIC, the default, which pg_dump leaves out. The roles must exist in the
 * destination (roles are cluster-wide, not part of a database's schema). */
int nsp_catalog_load_policies(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "policies",
		"SELECT p.oid, n.nspname, c.relname, p.polname, p.polpermissive, p.polcmd, "
		"  CASE WHEN p.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(ARRAY("
		"    SELECT CASE WHEN r.oid = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END "
		"    FROM (SELECT u.oid, a.rolname FROM pg_catalog.unnest(p.polroles) u(oid) "
		"          LEFT JOIN pg_catalog.pg_roles a ON a.oid = u.oid) r ORDER BY r.rolname), ', ') END, "
		"  pg_catalog.pg_get_expr(p.polqual, p.polrelid), "
		"  pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), p.polrelid, "
		"  " NSP_SQL_REL_SIZE("c") " "
		"FROM pg_catalog.pg_policy p "
		"JOIN pg_catalog.pg_class c ON c.oid = p.polrelid "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE " NSP_SQL_USER_SCHEMA("n") " AND " NSP_SQL_NOT_EXT_MEMBER("pg_class", "c.oid") " "
		"ORDER BY n.nspname, c.relname, p.polname");
	if (res == NULL)
		return -1;
	nsp_strbuf sql, table, identity;
	nsp_strbuf_init(&sql);
	nsp_strbuf_init(&table);
	nsp_strbuf_init(&identity);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *schema = nsp_cell(res, i, P_SCHEMA);
		const char *relname = nsp_cell(res, i, P_TABLE);
		const char *name = nsp_cell(res, i, P_NAME);
		uint32_t relid = nsp_cell_oid(res, i, P_RELID);
		nsp_policy_row row = {
			.schema = schema,
			.table = relname,
			.name = name,
			.permissive = nsp_cell_bool(res, i, P_PERMISSIVE),
			.cmd = nsp_cell(res, i, P_CMD)[0],
			.roles = nsp_cell(res, i, P_ROLES),
			.qual = nsp_cell(res, i, P_QUAL),
			.check = nsp_cell(res, i, P_CHECK),
		};
		nsp_strbuf_reset(&table);
		nsp_strbuf_append_qualified(&table, schema, relname);
		nsp_strbuf_reset(&sql);
		nsp_render_policy(&row, &sql);
		nsp_strbuf_reset(&identity);
		nsp_strbuf_appendf(&identity, "%s.%s.%s", schema, relname, name);
		nsp_catref ref = {NSP_CLASS_PG_POLICY, nsp_cell_oid(res, i, P_OID)};
		if (nsp_catalog_add_table_object(ctx, NSP_KIND_POLICY, ref, schema, name, &identity, &sql, relid,
						 &table, NSP_LOCK_ACCESS_EXCLUSIVE, nsp_cell(res, i, P_SIZE)) == NULL) {
			rc = -1;
			break;
		}
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	nsp_strbuf_free(&table);
	nsp_strbuf_free(&identity);
	if (rc != 0)
		return OOM(ctx, "policies");
	return load_row_security(ctx);
}

/* ENABLE / FORCE ROW LEVEL SECURITY, as pg_dump writes them. Post-sync, so that the rows are
 * loaded without the policies filtering them. */
static int load_row_security(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "row level security",
		"SELECT c.oid, n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity, "
		"  " NSP_SQL_REL_SIZE("c") " "
		"FROM pg_catalog.pg_class c "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE (c.relrowsecurity OR c.relforcerowsecurity) AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_class", "c.oid") " "
		"ORDER BY n.nspname, c.relname");
	if (res == NULL)
		return -1;
	nsp_strbuf sql, table, identity;
	nsp_strbuf_init(&sql);
	nsp_strbuf_init(&table);
	nsp_strbuf_init(&identity);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		uint32_t relid = nsp_cell_oid(res, i, 0);
		const char *schema = nsp_cell(res, i, 1);
		const char *relname = nsp_cell(res, i, 2);
		nsp_strbuf_reset(&table);
		nsp_strbuf_append_qualified(&table, schema, relname);
		nsp_strbuf_reset(&sql);
		nsp_row_security_row row = {schema, relname, nsp_cell_bool(res, i, 3), nsp_cell_bool(res, i, 4)};
		nsp_render_row_security(&row, &sql);
		nsp_strbuf_reset(&identity);
		nsp_strbuf_appendf(&identity, "%s.%s (row level security)", schema, relname);
		if (nsp_catalog_add_table_object(ctx, NSP_KIND_ROW_SECURITY, (nsp_catref){0, 0}, schema, relname,
						 &identity, &sql, relid, &table, NSP_LOCK_ACCESS_EXCLUSIVE,
						 nsp_cell(res, i, 5)) == NULL) {
			rc = -1;
			break;
		}
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	nsp_strbuf_free(&table);
	nsp_strbuf_free(&identity);
	if (rc != 0)
		return OOM(ctx, "row level security");
	return 0;
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "render_default_privileges.h"
#include "strbuf.h"
#include "model_enums.h"

/* Default privileges (ALTER DEFAULT PRIVILEGES, pg_default_acl), with option `acls`: the
 * privileges objects created later get, per creating role, object type and optionally schema.
 *
 * Like an object's ACL (catalog_owners.c), the stored list is reproduced entry for entry: a
 * role-wide row (no schema) starts from the built-in defaults, so its step revokes everything
 * from PUBLIC, the role and every grantee, then grants in the source's order; a per-schema row
 * only adds to the role-wide one, so its step only grants.
 *
 * They apply to objects the role creates: when the job's role is one of them, objects the
 * job creates after the step would get them, so each step comes after every view and
 * materialized view (the objects post-sync creates that have privileges; pre-sync is over by
 * then). selection.c keeps these steps whatever tables are selected. */

enum { D_OID, D_ROLE, D_SCHEMA, D_OBJTYPE, D_GRANTEE, D_PRIVS, D_GRANTABLE };

/* After every view and materialized view (see the top of the file). */
static int after_created_objects(nsp_model *m, nsp_object *o)
{
	for (size_t i = 0; i < m->nobjects; i++) {
		const nsp_object *other = m->objects[i];
		if ((other->kind == NSP_KIND_VIEW || other->kind == NSP_KIND_MATERIALIZED_VIEW) &&
		    nsp_object_needs(o, i) != 0)
			return -1;
	}
	return 0;
}

/* The row's grantees, roles mapped as the destination names them. */
static nsp_default_acl_entry *read_entries(const nsp_catalog_ctx *ctx, PGresult *res, int first, int end)
{
	nsp_default_acl_entry *entries = calloc((size_t)(end - first), sizeof(*entries));
	if (entries == NULL)
		return NULL;
	const char *role = nsp_cell(res, first, D_ROLE);
	for (int i = first; i < end; i++) {
		const char *grantee = nsp_cell(res, i, D_GRANTEE);
		entries[i - first] = (nsp_default_acl_entry){
			.grantee = nsp_catalog_map_role(ctx, grantee),
			/* by source name: two roles mapped to one are still two grantees */
			.grantee_is_role = grantee != NULL && strcmp(grantee, role) == 0,
			.privileges = nsp_cell(res, i, D_PRIVS),
			.grantable = nsp_cell(res, i, D_GRANTABLE),
		};
	}
	return entries;
}

/* One pg_default_acl row, from its result rows [first, end) (one per grantee, in order). */
static int add_row(nsp_catalog_ctx *ctx, nsp_strbuf *sql, PGresult *res, int first, int end)
{
	const char *objtype = nsp_cell(res, first, D_OBJTYPE);
	const char *on = nsp_default_privileges_objects(objtype != NULL ? objtype[0] : '\0');
	if (on == NULL)
		return 0; /* an object type this release does not know: nothing we can write */
	nsp_default_acl_entry *entries = read_entries(ctx, res, first, end);
	if (entries == NULL)
		return -1;
	const char *schema = nsp_cell(res, first, D_SCHEMA);
	nsp_default_acl_row row = {
		.role = nsp_catalog_map_role(ctx, nsp_cell(res, first, D_ROLE)),
		.schema = schema,
		.objtype = objtype[0],
		.entries = entries,
		.nentries = (size_t)(end - first),
	};
	nsp_strbuf_reset(sql);
	nsp_render_default_privileges(&row, sql);
	free(entries);
	char identity[300];
	snprintf(identity, sizeof(identity), "default privileges for role %s%s%s on %s",
		 nsp_cell(res, first, D_ROLE), schema ? " in schema " : "", schema ? schema : "", on);
	if (nsp_strbuf_failed(sql))
		return -1;
	nsp_object *o = nsp_model_add(ctx->model, NSP_KIND_ACL, NSP_PHASE_POST,
				      (nsp_catref){NSP_CLASS_PG_DEFAULT_ACL, nsp_cell_oid(res, first, D_OID)},
				      schema, NULL, identity, sql->data);
	return o == NULL ? -1 : after_created_objects(ctx->model, o);
}

int nsp_catalog_load_default_privileges(nsp_catalog_ctx *ctx, nsp_strbuf *sql)
{
	PGresult *res = nsp_catalog_query(
		ctx, "default privileges",
		"SELECT d.oid, pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype, "
		"  CASE WHEN x.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(x.grantee) END, "
		"  pg_catalog.string_agg(x.privilege_type, ', ' ORDER BY x.ord) FILTER (WHERE NOT x.is_grantable), "
		"  pg_catalog.string_agg(x.privilege_type, ', ' ORDER BY x.ord) FILTER (WHERE x.is_grantable) "
		"FROM pg_catalog.pg_default_acl d "
		"LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace "
		"LEFT JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) WITH ORDINALITY "
		"  x(grantor, grantee, privilege_type, is_grantable, ord) ON true "
		"WHERE n.oid IS NULL OR " NSP_SQL_USER_SCHEMA("n") " "
		"GROUP BY d.oid, d.defaclrole, n.nspname, d.defaclobjtype, x.grantee "
		"ORDER BY 1, pg_catalog.min(x.ord)");
	if (res == NULL)
		return -1;
	int rc = 0, rows = PQntuples(res);
	for (int first = 0; first < rows && rc == 0;) {
		int end = first + 1;
		while (end < rows && nsp_cell_oid(res, end, D_OID) == nsp_cell_oid(res, first, D_OID))
			end++;
		rc = add_row(ctx, sql, res, first, end);
		first = end;
	}
	PQclear(res);
	return rc;
}

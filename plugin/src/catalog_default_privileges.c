#include <stdio.h>
#include <string.h>

#include "catalog.h"
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

/* The ON clause of ALTER DEFAULT PRIVILEGES for a defaclobjtype. */
static const char *objtype_keyword(const char *objtype)
{
	switch (objtype != NULL ? objtype[0] : '\0') {
	case 'r': return "TABLES";
	case 'S': return "SEQUENCES";
	case 'f': return "FUNCTIONS";
	case 'T': return "TYPES";
	case 'n': return "SCHEMAS";
	default: return NULL;
	}
}

/* "ALTER DEFAULT PRIVILEGES FOR ROLE r [IN SCHEMA s] " */
static void append_head(nsp_strbuf *sql, const nsp_catalog_ctx *ctx, PGresult *res, int row)
{
	nsp_strbuf_append(sql, "ALTER DEFAULT PRIVILEGES FOR ROLE ");
	nsp_catalog_append_role(sql, ctx, nsp_cell(res, row, D_ROLE));
	if (nsp_cell(res, row, D_SCHEMA) != NULL) {
		nsp_strbuf_append(sql, " IN SCHEMA ");
		nsp_strbuf_append_ident(sql, nsp_cell(res, row, D_SCHEMA));
	}
	nsp_strbuf_append(sql, " ");
}

/* The SQL of one pg_default_acl row, from its rows [first, end) (one per grantee, in order). */
static void render(nsp_strbuf *sql, const nsp_catalog_ctx *ctx, PGresult *res, int first, int end,
		   const char *on)
{
	nsp_strbuf_reset(sql);
	if (nsp_cell(res, first, D_SCHEMA) == NULL) {
		append_head(sql, ctx, res, first);
		nsp_strbuf_appendf(sql, "REVOKE ALL ON %s FROM PUBLIC, ", on);
		nsp_catalog_append_role(sql, ctx, nsp_cell(res, first, D_ROLE));
		for (int i = first; i < end; i++) {
			const char *grantee = nsp_cell(res, i, D_GRANTEE);
			if (grantee == NULL || grantee[0] == '\0' ||
			    strcmp(grantee, nsp_cell(res, first, D_ROLE)) == 0)
				continue;
			nsp_strbuf_append(sql, ", ");
			nsp_catalog_append_role(sql, ctx, grantee);
		}
		nsp_strbuf_append(sql, ";");
	}
	for (int i = first; i < end; i++) {
		if (nsp_cell(res, i, D_GRANTEE) == NULL)
			continue; /* an empty list: everything revoked */
		for (int col = D_PRIVS; col <= D_GRANTABLE; col++) {
			if (nsp_cell(res, i, col) == NULL)
				continue;
			if (sql->len > 0)
				nsp_strbuf_append(sql, "\n");
			append_head(sql, ctx, res, i);
			nsp_strbuf_appendf(sql, "GRANT %s ON %s TO ", nsp_cell(res, i, col), on);
			nsp_catalog_append_role(sql, ctx, nsp_cell(res, i, D_GRANTEE));
			nsp_strbuf_append(sql, col == D_GRANTABLE ? " WITH GRANT OPTION;" : ";");
		}
	}
}

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

static int add_row(nsp_catalog_ctx *ctx, nsp_strbuf *sql, PGresult *res, int first, int end)
{
	const char *on = objtype_keyword(nsp_cell(res, first, D_OBJTYPE));
	if (on == NULL)
		return 0; /* an object type this release does not know: nothing we can write */
	render(sql, ctx, res, first, end, on);
	const char *schema = nsp_cell(res, first, D_SCHEMA);
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

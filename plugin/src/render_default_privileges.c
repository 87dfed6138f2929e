/* render_default_privileges - ALTER DEFAULT PRIVILEGES (render_default_privileges.h). */
#include "render_default_privileges.h"

const char *nsp_default_privileges_objects(char objtype)
{
	switch (objtype) {
	case 'r': return "TABLES";
	case 'S': return "SEQUENCES";
	case 'f': return "FUNCTIONS";
	case 'T': return "TYPES";
	case 'n': return "SCHEMAS";
	default: return NULL;
	}
}

/* "ALTER DEFAULT PRIVILEGES FOR ROLE r [IN SCHEMA s] " */
static void append_head(nsp_strbuf *sql, const nsp_default_acl_row *r)
{
	nsp_strbuf_append(sql, "ALTER DEFAULT PRIVILEGES FOR ROLE ");
	nsp_render_role(r->role, sql);
	if (r->schema != NULL) {
		nsp_strbuf_append(sql, " IN SCHEMA ");
		nsp_strbuf_append_ident(sql, r->schema);
	}
	nsp_strbuf_append(sql, " ");
}

/* Back to nothing granted: PUBLIC, the role itself and every other grantee of the list. */
static void append_revoke(nsp_strbuf *sql, const nsp_default_acl_row *r, const char *on)
{
	append_head(sql, r);
	nsp_strbuf_appendf(sql, "REVOKE ALL ON %s FROM PUBLIC, ", on);
	nsp_render_role(r->role, sql);
	for (size_t i = 0; i < r->nentries; i++) {
		const nsp_default_acl_entry *e = &r->entries[i];
		if (e->grantee == NULL || e->grantee[0] == '\0' || e->grantee_is_role)
			continue; /* none, or PUBLIC and the role, already named */
		nsp_strbuf_append(sql, ", ");
		nsp_render_role(e->grantee, sql);
	}
	nsp_strbuf_append(sql, ";");
}

void nsp_render_default_privileges(const nsp_default_acl_row *r, nsp_strbuf *sql)
{
	const char *on = nsp_default_privileges_objects(r->objtype);
	if (on == NULL)
		return;
	bool first = true;
	if (r->schema == NULL) {
		append_revoke(sql, r, on);
		first = false;
	}
	for (size_t i = 0; i < r->nentries; i++) {
		const nsp_default_acl_entry *e = &r->entries[i];
		if (e->grantee == NULL)
			continue; /* an empty list: everything revoked */
		const char *privileges[] = {e->privileges, e->grantable};
		for (int grantable = 0; grantable <= 1; grantable++) {
			if (privileges[grantable] == NULL)
				continue;
			if (!first)
				nsp_strbuf_append(sql, "\n");
			first = false;
			append_head(sql, r);
			nsp_strbuf_appendf(sql, "GRANT %s ON %s TO ", privileges[grantable], on);
			nsp_render_role(e->grantee, sql);
			nsp_strbuf_append(sql, grantable ? " WITH GRANT OPTION;" : ";");
		}
	}
}

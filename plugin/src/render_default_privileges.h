/* render_default_privileges - default privilege rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_DEFAULT_PRIVILEGES_H
#define NSP_RENDER_DEFAULT_PRIVILEGES_H

#include "render.h"

/* One grantee of a pg_default_acl row: its privileges as aclexplode() lists them, in order. */
typedef struct nsp_default_acl_entry {
	const char *grantee;      /* as the destination names it (role map applied); "": PUBLIC;
				   * NULL: the list is empty (everything revoked) */
	bool grantee_is_role;     /* the grantee is the row's own role (by its source name) */
	const char *privileges;   /* comma-separated, without grant option; NULL: none */
	const char *grantable;    /* comma-separated, with grant option; NULL: none */
} nsp_default_acl_entry;

/* A pg_default_acl row: the privileges objects of one type get when one role creates them. */
typedef struct nsp_default_acl_row {
	const char *role;         /* defaclrole, as the destination names it (role map applied) */
	const char *schema;       /* NULL: role-wide (every schema) */
	char objtype;             /* defaclobjtype */
	const nsp_default_acl_entry *entries; /* one per grantee, in the list's order */
	size_t nentries;
} nsp_default_acl_row;

/* The ON clause for a defaclobjtype: TABLES, SEQUENCES, FUNCTIONS, TYPES or SCHEMAS; NULL for a
 * type this release does not know. */
const char *nsp_default_privileges_objects(char objtype);

/* The row's list reproduced entry for entry, one statement a line, each
 * ALTER DEFAULT PRIVILEGES FOR ROLE r [IN SCHEMA s] ...: a role-wide row starts from the
 * built-in defaults, so it first revokes ALL from PUBLIC, the role and every other grantee; a
 * per-schema row only adds to the role-wide one. Then GRANT privs ON objects TO grantee; per
 * grantee, and a second one WITH GRANT OPTION for the grantable ones. Nothing for an unknown
 * objtype. */
void nsp_render_default_privileges(const nsp_default_acl_row *r, nsp_strbuf *sql);

#endif

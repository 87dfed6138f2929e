/* render_owners - owner and privilege rows of objects, and the SQL they render (render.h).
 * Default privileges: render_default_privileges.h. */
#ifndef NSP_RENDER_OWNERS_H
#define NSP_RENDER_OWNERS_H

#include "render.h"

/* The designator ALTER ... OWNER TO takes for a pg_identify_object() type (TABLE, VIEW,
 * FUNCTION, ...); NULL for a type whose owner is not copied. */
const char *nsp_owner_designator(const char *type);
/* The designator GRANT ... ON takes for a pg_identify_object() type (TABLE for every relation,
 * FUNCTION for an aggregate, ...); NULL for a type whose privileges are not copied. */
const char *nsp_grant_designator(const char *type);

/* An object's owner (its catalog's *owner column). */
typedef struct nsp_owner_row {
	const char *type;     /* pg_identify_object().type; nsp_owner_designator() knows it */
	const char *identity; /* pg_identify_object().identity */
	const char *owner;    /* pg_get_userbyid(), as the destination names it (role map applied) */
} nsp_owner_row;

/* ALTER designator identity OWNER TO role; (an aggregate over * as name(*)) */
void nsp_render_owner(const nsp_owner_row *r, nsp_strbuf *sql);

/* One grantee and grantor of an ACL (aclexplode() of the object's or a column's ACL). */
typedef struct nsp_acl_entry {
	bool column;            /* an entry of a column's ACL (attnum > 0) */
	const char *grantee;    /* as the destination names it; "": PUBLIC; NULL: the ACL is empty
				 * (everything revoked) */
	bool grantee_is_owner;  /* the grantee is the object's owner (by source name) */
	bool grantee_repeated;  /* an earlier object-level entry has the same grantee (by source
				 * name), from another grantor */
	const char *grantor;    /* as the destination names it, when a role other than the owner
				 * granted it (by source name); NULL: the owner */
	const char *privileges; /* ", "-joined in ACL order, without grant option ("SELECT(col)"
				 * for a column); NULL: none */
	const char *grantable;  /* the same, with grant option; NULL: none */
	bool owner_all;         /* the owner's own entry, holding every privilege the source's major
				 * has: written ALL */
} nsp_acl_entry;

/* An object's ACL and its columns'. */
typedef struct nsp_acl_row {
	const char *type;     /* pg_identify_object().type; nsp_grant_designator() knows it */
	const char *identity; /* pg_identify_object().identity */
	const char *owner;    /* as the destination names it */
	const nsp_acl_entry *entries; /* object-level ones first, each list in ACL order */
	size_t nentries;
} nsp_acl_row;

/* The source's ACL entry for entry, one statement a line: when it has object-level entries,
 * REVOKE ALL ON designator identity FROM PUBLIC, the owner and every other grantee CASCADE (a
 * re-run: grants made with a grant option depend on it); then per entry GRANT privileges ON ...
 * TO grantee; and a second one WITH GRANT OPTION for the grantable ones, between
 * SET LOCAL ROLE grantor; and RESET ROLE; when a role other than the owner granted them. */
void nsp_render_privileges(const nsp_acl_row *r, nsp_strbuf *sql);

#endif

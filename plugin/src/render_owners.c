/* render_owners - owners and privileges as pg_dump writes them (render_owners.h). */
#include <string.h>

#include "render_owners.h"

const char *nsp_owner_designator(const char *type)
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

const char *nsp_grant_designator(const char *type)
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

/* "designator identity". pg_identify_object() writes an aggregate over * as "name()", which
 * ALTER AGGREGATE reads as "no arguments": say (*) there. GRANT and REVOKE name an aggregate as
 * a FUNCTION, whose syntax has no (*) and takes name() for it, as pg_dump writes it. */
static void append_object(nsp_strbuf *sql, const char *designator, const char *identity)
{
	nsp_strbuf_appendf(sql, "%s %s", designator, identity);
	size_t n = strlen(identity);
	if (strcmp(designator, "AGGREGATE") == 0 && n >= 2 && strcmp(identity + n - 2, "()") == 0 &&
	    !nsp_strbuf_failed(sql)) {
		sql->len--; /* drop ")" */
		sql->data[sql->len] = '\0';
		nsp_strbuf_append(sql, "*)");
	}
}

void nsp_render_owner(const nsp_owner_row *r, nsp_strbuf *sql)
{
	const char *designator = nsp_owner_designator(r->type);
	if (designator == NULL)
		return;
	nsp_strbuf_append(sql, "ALTER ");
	append_object(sql, designator, r->identity);
	nsp_strbuf_append(sql, " OWNER TO ");
	nsp_render_role(r->owner, sql);
	nsp_strbuf_append(sql, ";");
}

/* REVOKE ALL ... FROM PUBLIC, the owner and every grantee of the object-level entries.
 * CASCADE: on a re-run, grants that a grantee made with its grant option depend on it; they are
 * granted again after, in the source's order. */
static void append_revoke_all(nsp_strbuf *sql, const nsp_acl_row *r, const char *designator)
{
	nsp_strbuf_append(sql, "REVOKE ALL ON ");
	append_object(sql, designator, r->identity);
	nsp_strbuf_append(sql, " FROM PUBLIC, ");
	nsp_render_role(r->owner, sql);
	for (size_t i = 0; i < r->nentries && !r->entries[i].column; i++) {
		const nsp_acl_entry *e = &r->entries[i];
		if (e->grantee_repeated || e->grantee == NULL || e->grantee[0] == '\0' || e->grantee_is_owner)
			continue; /* named already: PUBLIC, the owner, or an earlier entry */
		nsp_strbuf_append(sql, ", ");
		nsp_render_role(e->grantee, sql);
	}
	nsp_strbuf_append(sql, " CASCADE;\n");
}

/* GRANT privs ON ... TO grantee [WITH GRANT OPTION], for the plain and the grantable ones. A
 * grant made by a role other than the owner (with the grant option it was given earlier in the
 * ACL) is made as that role, so the destination records the same grantor, as pg_dump does. */
static void append_grants(nsp_strbuf *sql, const nsp_acl_row *r, const nsp_acl_entry *e,
			  const char *designator)
{
	if (e->grantee == NULL)
		return; /* an empty ACL: nothing to grant */
	if (e->grantor != NULL) {
		nsp_strbuf_append(sql, "SET LOCAL ROLE ");
		nsp_render_role(e->grantor, sql);
		nsp_strbuf_append(sql, ";\n");
	}
	const char *privileges[] = {e->privileges, e->grantable};
	for (int grantable = 0; grantable <= 1; grantable++) {
		const char *privs = privileges[grantable];
		if (privs == NULL)
			continue;
		/* The owner with every privilege: ALL, which on a newer destination includes what
		 * its major added (MAINTAIN, 17), as the owner's default there does and as pg_dump's
		 * restore gives (issue 13). */
		if (!grantable && e->owner_all)
			privs = "ALL";
		nsp_strbuf_appendf(sql, "GRANT %s ON ", privs);
		append_object(sql, designator, r->identity);
		nsp_strbuf_append(sql, " TO ");
		nsp_render_role(e->grantee, sql);
		nsp_strbuf_append(sql, grantable ? " WITH GRANT OPTION;\n" : ";\n");
	}
	if (e->grantor != NULL)
		nsp_strbuf_append(sql, "RESET ROLE;\n");
}

void nsp_render_privileges(const nsp_acl_row *r, nsp_strbuf *sql)
{
	const char *designator = nsp_grant_designator(r->type);
	if (designator == NULL || r->nentries == 0)
		return;
	size_t start = sql->len;
	if (!r->entries[0].column)
		append_revoke_all(sql, r, designator);
	for (size_t i = 0; i < r->nentries; i++)
		append_grants(sql, r, &r->entries[i], designator);
	if (!nsp_strbuf_failed(sql) && sql->len > start && sql->data[sql->len - 1] == '\n')
		sql->data[--sql->len] = '\0'; /* no newline after the last statement */
}

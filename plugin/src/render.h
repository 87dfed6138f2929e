/* render - DDL from catalog rows, apart from the queries that fetch them, as pg_dump keeps
 * getPolicies() apart from dumpPolicy(): plain structs in (the cells a catalog_<kind>.c query
 * returned, already deparsed by the server where it deparses), SQL out.
 *
 * The convention, one pair per kind: render_<kind>.h declares the kind's row structs (a short
 * comment each: which catalog rows they hold) and its nsp_render_<kind>() functions (a short
 * comment each: the SQL they write, and what in it comes from the server); render_<kind>.c
 * writes the SQL with nsp_strbuf alone. No libpq, no model, no catalog context: the rendering is
 * unit-tested without a server (tests/unit/test_plugin_render*.c). catalog_<kind>.c keeps the
 * query, fills the rows from its cells and hands them to the renderer; what the SQL does to the
 * plan (dependencies, locks, skips, what an older destination cannot hold) stays there. Every
 * kind is rendered this way. */
#ifndef NSP_RENDER_H
#define NSP_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* A role as GRANT, REVOKE, OWNER TO and FOR ROLE name it: quoted, PUBLIC for "" (aclexplode's
 * grantee 0) and NULL. Roles come in as the destination names them (the role map applied). */
void nsp_render_role(const char *role, nsp_strbuf *sql);

#endif

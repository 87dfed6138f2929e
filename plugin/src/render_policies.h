/* render_policies - policy and row-level security rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_POLICIES_H
#define NSP_RENDER_POLICIES_H

#include "render.h"

/* A row-level security policy (pg_policy). */
typedef struct nsp_policy_row {
	const char *schema, *table, *name;
	bool permissive;
	char cmd;          /* polcmd: 'r' SELECT, 'a' INSERT, 'w' UPDATE, 'd' DELETE, '*' ALL */
	const char *roles; /* quoted and comma-separated; NULL: PUBLIC, the default */
	const char *qual;  /* USING expression, NULL when none */
	const char *check; /* WITH CHECK expression, NULL when none */
} nsp_policy_row;

/* CREATE POLICY p ON s.t [AS RESTRICTIVE] [FOR cmd] [TO roles] [USING (..)] [WITH CHECK (..)]; */
void nsp_render_policy(const nsp_policy_row *r, nsp_strbuf *sql);

/* A table's row-level security switches (pg_class.relrowsecurity, relforcerowsecurity). */
typedef struct nsp_row_security_row {
	const char *schema, *table;
	bool enable, force;
} nsp_row_security_row;

/* ALTER TABLE s.t ENABLE ROW LEVEL SECURITY; and/or ALTER TABLE ONLY s.t FORCE ...; */
void nsp_render_row_security(const nsp_row_security_row *r, nsp_strbuf *sql);

#endif

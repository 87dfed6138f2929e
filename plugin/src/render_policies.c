/* render_policies - policies and row-level security as pg_dump writes them (render_policies.h). */
#include "render_policies.h"

static const char *policy_command(char cmd)
{
	switch (cmd) {
	case 'r': return " FOR SELECT";
	case 'a': return " FOR INSERT";
	case 'w': return " FOR UPDATE";
	case 'd': return " FOR DELETE";
	default: return ""; /* '*': ALL, the default */
	}
}

void nsp_render_policy(const nsp_policy_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, "CREATE POLICY ");
	nsp_strbuf_append_ident(sql, r->name);
	nsp_strbuf_append(sql, " ON ");
	nsp_strbuf_append_qualified(sql, r->schema, r->table);
	nsp_strbuf_appendf(sql, "%s%s", r->permissive ? "" : " AS RESTRICTIVE", policy_command(r->cmd));
	if (r->roles != NULL)
		nsp_strbuf_appendf(sql, " TO %s", r->roles);
	if (r->qual != NULL)
		nsp_strbuf_appendf(sql, " USING (%s)", r->qual);
	if (r->check != NULL)
		nsp_strbuf_appendf(sql, " WITH CHECK (%s)", r->check);
	nsp_strbuf_append(sql, ";");
}

void nsp_render_row_security(const nsp_row_security_row *r, nsp_strbuf *sql)
{
	if (r->enable) {
		nsp_strbuf_append(sql, "ALTER TABLE ");
		nsp_strbuf_append_qualified(sql, r->schema, r->table);
		nsp_strbuf_append(sql, " ENABLE ROW LEVEL SECURITY;");
	}
	if (r->force) {
		nsp_strbuf_append(sql, r->enable ? "\nALTER TABLE ONLY " : "ALTER TABLE ONLY ");
		nsp_strbuf_append_qualified(sql, r->schema, r->table);
		nsp_strbuf_append(sql, " FORCE ROW LEVEL SECURITY;");
	}
}

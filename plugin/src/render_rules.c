/* render_rules - rules as pg_dump writes them (render_rules.h). */
#include <string.h>

#include "render_rules.h"

/* The ALTER TABLE action for a rule's state; NULL for the state CREATE RULE leaves. */
static const char *rule_state(char enabled)
{
	switch (enabled) {
	case 'D': return "DISABLE";
	case 'A': return "ENABLE ALWAYS";
	case 'R': return "ENABLE REPLICA";
	default: return NULL; /* 'O' */
	}
}

void nsp_render_rule(const nsp_rule_row *r, nsp_strbuf *sql)
{
	nsp_strbuf_append(sql, r->definition);
	size_t len = strlen(r->definition);
	if (len == 0 || r->definition[len - 1] != ';')
		nsp_strbuf_append(sql, ";");
	const char *state = rule_state(r->enabled);
	if (state == NULL)
		return;
	nsp_strbuf_append(sql, "\nALTER TABLE ");
	nsp_strbuf_append_qualified(sql, r->schema, r->table);
	nsp_strbuf_appendf(sql, " %s RULE ", state);
	nsp_strbuf_append_ident(sql, r->name);
	nsp_strbuf_append(sql, ";");
}

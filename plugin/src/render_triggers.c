/* render_triggers - triggers as pg_dump writes them (render_triggers.h). */
#include "render_triggers.h"

/* The ALTER TABLE action for a trigger's state; NULL when its CREATE TRIGGER already left it so. */
static const char *trigger_state(char enabled, bool clone)
{
	switch (enabled) {
	case 'D': case 'f': return "DISABLE";
	case 'A': return "ENABLE ALWAYS";
	case 'R': return "ENABLE REPLICA";
	default: return clone ? "ENABLE" : NULL; /* 'O' (or 't'): the default */
	}
}

void nsp_render_trigger(const nsp_trigger_row *r, nsp_strbuf *sql)
{
	if (!r->clone) {
		nsp_strbuf_append(sql, r->definition);
		nsp_strbuf_append(sql, ";");
	}
	const char *state = trigger_state(r->enabled, r->clone);
	if (state == NULL)
		return;
	nsp_strbuf_append(sql, r->clone ? "ALTER TABLE " : "\nALTER TABLE ");
	nsp_strbuf_append_qualified(sql, r->schema, r->table);
	nsp_strbuf_appendf(sql, " %s TRIGGER ", state);
	nsp_strbuf_append_ident(sql, r->name);
	nsp_strbuf_append(sql, ";");
}

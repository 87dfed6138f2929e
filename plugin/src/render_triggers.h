/* render_triggers - trigger rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_TRIGGERS_H
#define NSP_RENDER_TRIGGERS_H

#include "render.h"

/* A trigger (pg_trigger) of a table, partitioned table, foreign table or view. */
typedef struct nsp_trigger_row {
	const char *schema, *table, *name;
	const char *definition; /* pg_get_triggerdef(), without ';'; not written for a clone */
	char enabled;           /* tgenabled: 'O' origin (the default), 'D' disabled, 'A' always,
				 * 'R' replica; 't'/'f' on very old servers */
	bool clone;             /* a partition's clone of its parent's trigger (13+) */
} nsp_trigger_row;

/* The server's CREATE TRIGGER (pg_get_triggerdef: timing, events, WHEN, REFERENCING, constraint
 * triggers, UPDATE OF columns) and ';', then, when the state is not the default,
 * ALTER TABLE s.t {DISABLE | ENABLE ALWAYS | ENABLE REPLICA} TRIGGER n; on the next line. A clone
 * gets the ALTER alone, ENABLE included: its parent's CREATE TRIGGER made it with the parent's
 * state, which is not its own. */
void nsp_render_trigger(const nsp_trigger_row *r, nsp_strbuf *sql);

#endif

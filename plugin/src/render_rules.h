/* render_rules - rewrite rule rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_RULES_H
#define NSP_RENDER_RULES_H

#include "render.h"

/* A rewrite rule (pg_rewrite) other than a view's "_RETURN". */
typedef struct nsp_rule_row {
	const char *schema, *table, *name;
	const char *definition; /* pg_get_ruledef(), which ends with ';' */
	char enabled;           /* ev_enabled: 'O' origin (the default), 'D', 'A' always, 'R' replica */
} nsp_rule_row;

/* The server's CREATE RULE (pg_get_ruledef), with a ';' when it lacks one, then, when the state
 * is not the default, ALTER TABLE s.t {DISABLE | ENABLE ALWAYS | ENABLE REPLICA} RULE n; on the
 * next line. */
void nsp_render_rule(const nsp_rule_row *r, nsp_strbuf *sql);

#endif

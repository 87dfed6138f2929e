/* strip - on_existing = strip, for recurring jobs that refresh a destination which already has
 * the full schema: before the load, the deferred objects of the selected tables that exist on
 * the destination are dropped, so rows load into bare tables again; post-sync re-creates them.
 *
 * Dropped: foreign keys of the selected tables and foreign keys of other tables that point at
 * them, primary key, unique and exclusion constraints, indexes and triggers of the selected
 * tables. Every dropped object that the plan would not re-create by itself (it is not an object
 * of the source, or it belongs to a table the job does not select) is first appended to the
 * plan as a post-sync step with the destination's own definition: the plan holds every
 * definition, so a crash between the phases loses nothing and a re-run of post-sync restores
 * everything. Views, materialized views (refreshed by post-sync), checks, rules and policies
 * stay: they do not slow the load down. So does a primary key or unique constraint that a view
 * or rule depends on (GROUP BY the key, other columns selected): it cannot be dropped without
 * the view.
 *
 * Two halves, so that the plan is final before it is signed and applied: nsp_strip_plan (while
 * planning, before pre-sync's transaction) reads the destination, appends the steps to the plan
 * and records the drops; nsp_strip_apply (inside pre-sync's transaction) runs them. */
#ifndef NSP_STRIP_H
#define NSP_STRIP_H

#include <libpq-fe.h>

#include "apply.h"
#include "error.h"

typedef struct nsp_strip_decision {
	char *drop_sql; /* the DROP statements, in drop order (malloc'ed; NULL: nothing to drop) */
	size_t dropped; /* objects they drop */
	size_t kept;    /* of those, the ones appended to the plan with the destination's definition */
} nsp_strip_decision;

/* While planning: read what strip drops on the destination, append to the plan the steps that
 * re-create what the plan would not, record the drops in *out (free with nsp_strip_decision_free). */
int nsp_strip_plan(PGconn *dst, Neosync__Plugin__V1__Plan *plan, nsp_strip_decision *out,
		   nsp_error *err);

/* Inside the pre-sync transaction: run the recorded drops. */
int nsp_strip_apply(nsp_plugin *h, PGconn *dst, const nsp_strip_decision *s, nsp_error *err);

void nsp_strip_decision_free(nsp_strip_decision *s);

#endif

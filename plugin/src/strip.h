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
 * the view. */
#ifndef NSP_STRIP_H
#define NSP_STRIP_H

#include <libpq-fe.h>

#include "apply.h"
#include "error.h"

/* Inside the pre-sync transaction: record, append to the plan, drop. Returns the number of
 * objects dropped in *dropped. */
int nsp_strip_prepare(nsp_plugin *h, PGconn *dst, Neosync__Plugin__V1__Plan *plan, size_t *dropped,
		      nsp_error *err);

#endif

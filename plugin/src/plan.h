/* plan - the model turned into ordered steps: each object gets its phase by the rules of
 * docs/how-it-works.md, "Pre/post split rules" (and the options), then all objects are sorted topologically, pre-sync before
 * post-sync, with pg_dump-like kind priorities and names as the tie-break so that the order is
 * stable from run to run. */
#ifndef NSP_PLAN_H
#define NSP_PLAN_H

#include "error.h"
#include "model.h"
#include "neosync/plugin/v1/options.pb-c.h"
#include "neosync/plugin/v1/plan.pb-c.h"

/* Rank of a kind within its phase (lower first); the tie-break of the topological sort. */
int nsp_plan_kind_priority(nsp_kind kind);

/* Settle every object's phase: kinds deferred by the options go to post-sync, and a pre-sync
 * object that needs a post-sync object follows it there. */
int nsp_plan_assign_phases(nsp_model *m, const Neosync__Plugin__V1__SchemaPluginOptions *opts);

/* Order the objects: *order receives nobjects indices (malloc'ed). A dependency cycle is broken
 * at the object that sorts first, and reported in err (code OK: a warning, not a failure). */
int nsp_plan_order(const nsp_model *m, size_t **order, nsp_error *warning);

/* Build the Plan message (free with protobuf_c_message_free_unpacked). */
int nsp_plan_build(nsp_model *m, const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		   const char *job_id, Neosync__Plugin__V1__Plan **out, nsp_error *err);

#endif

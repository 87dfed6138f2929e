/* dest_compat - a destination of an older major than the source (issue 13: clone production 17
 * into a development 15). Everything the older server can hold is copied; each object it cannot
 * hold is reported failed with the reason, never created in another form, and what needs it is
 * skipped, naming it. Two ways an object is found out:
 *  - at plan time, from the feature the catalog loaders saw it use (nsp_object_require_major:
 *    virtual generated columns, NOT ENFORCED, temporal keys, ...): the clearest reasons;
 *  - at pre-sync time, for anything else: in a job whose destination is older, each pre-sync step
 *    runs under a savepoint, and one that fails with an error that means "this server does not
 *    know that" (a syntax error, an unknown function, type or option, a feature not supported) is
 *    rolled back alone, reported failed, and what needs it is skipped in both phases. Post-sync
 *    steps fail on their own and skip their dependents as always. */
#ifndef NSP_DEST_COMPAT_H
#define NSP_DEST_COMPAT_H

#include <stdbool.h>

#include "error.h"
#include "model.h"
#include "neosync/plugin/v1/plan.pb-c.h"

/* Mark every object that a destination of server_version_num dst_version cannot hold
 * (unsupported, with the reason in skip_reason) and skip what needs it. dst_version 0 (not
 * known) or not older than the source: nothing to do. */
int nsp_dest_compat_mark(nsp_model *m, int dst_version, nsp_error *err);

/* The plan was made for a destination of an older major than its source. */
bool nsp_dest_compat_older(const Neosync__Plugin__V1__Plan *plan);

/* A pre-sync failure on an older destination that means it lacks the feature the step uses. */
bool nsp_dest_compat_lacks_feature(const char *sqlstate);

/* What pre-sync found an older destination lacks. The plan is const while it applies: the
 * findings are kept here, per plan step, and written into the plan afterwards (before it is
 * signed), so post-sync reports and skips the same. */
typedef struct nsp_compat_found {
	size_t n;          /* plan->n_steps */
	char **reason;     /* per step: why it is not created, NULL if nothing was found */
	bool *unsupported; /* per step: the step itself failed (the others need one that did) */
	size_t count;      /* steps with a reason */
} nsp_compat_found;

int nsp_compat_found_init(nsp_compat_found *f, size_t n);
void nsp_compat_found_free(nsp_compat_found *f);

/* Step `index` of the plan failed on an older destination (message: why): record it unsupported
 * and every later step that needs it, directly or not, skipped. */
int nsp_dest_compat_fail_step(const Neosync__Plugin__V1__Plan *plan, nsp_compat_found *f,
			      size_t index, const char *message);

/* Write the findings into the plan: unsupported, skip_reason. */
int nsp_dest_compat_record(Neosync__Plugin__V1__Plan *plan, const nsp_compat_found *f);

#endif

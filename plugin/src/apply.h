/* apply - the executor: runs plan steps on the destination and records one StepResult each.
 * Pre-sync runs its steps in one transaction (all or nothing). Post-sync runs the DAG: a step
 * whose dependency failed or was skipped is skipped with the reason; a failure stops nothing
 * else. */
#ifndef NSP_APPLY_H
#define NSP_APPLY_H

#include <libpq-fe.h>

#include "error.h"
#include "neosync/plugin.h"
#include "neosync/plugin/v1/plan.pb-c.h"

typedef struct nsp_results {
	Neosync__Plugin__V1__StepResult **items;
	size_t n;
} nsp_results;

/* Session settings every destination connection gets: empty search_path (the plan's names are
 * qualified), no function body checks (bodies may name objects created later), lock_timeout. */
int nsp_apply_prepare_session(PGconn *dst, unsigned lock_timeout_ms, unsigned statement_timeout_ms,
			      nsp_error *err);

int nsp_apply_pre(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
		  nsp_results *results, nsp_error *err);
int nsp_apply_post(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
		   nsp_results *results, nsp_error *err);

/* Count results into a Summary (malloc'ed members). */
Neosync__Plugin__V1__Summary *nsp_results_summarize(const nsp_results *results, uint64_t duration_us);

#endif

/* apply - the executor: runs plan steps on the destination and records one StepResult each.
 *  - apply_pre.c: pre-sync, all or nothing, with the on-existing policy; apply_pre_waves.c
 *    runs large plans on several connections;
 *  - apply_post.c: post-sync, the DAG on N connections, lock-aware, largest table first;
 *  - results.c: step results and the summary;
 *  - session.c: the settings of destination sessions.
 * Both phases ask destination.c what already exists, so that re-runs are idempotent. */
#ifndef NSP_APPLY_H
#define NSP_APPLY_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "clock.h"
#include "error.h"
#include "neosync/plugin.h"
#include "neosync/plugin/v1/options.pb-c.h"
#include "neosync/plugin/v1/plan.pb-c.h"

typedef struct nsp_pre_decisions nsp_pre_decisions; /* pre_decide.h */
typedef struct nsp_compat_found nsp_compat_found;   /* dest_compat.h */

typedef struct nsp_results {
	Neosync__Plugin__V1__StepResult **items;
	size_t n;
} nsp_results;

/* --- session.c ---------------------------------------------------------------------------- */

/* Open a destination connection with the session settings every step runs under: empty
 * search_path (the plan's names are qualified), no function body checks (bodies may name
 * objects created later), lock_timeout and statement_timeout from the options. With
 * `build` true, also the settings of post-sync build connections (maintenance_work_mem,
 * max_parallel_maintenance_workers, synchronous_commit), chosen from the server and the
 * parallelism, then overridden by options.session_settings. */
int nsp_session_open(const char *url, const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		     bool build, unsigned parallelism, PGconn **out, nsp_error *err);
/* Post-sync parallelism: options.parallelism, or the number of cores, at most 8. */
unsigned nsp_session_parallelism(const Neosync__Plugin__V1__SchemaPluginOptions *opts);

/* --- results.c ---------------------------------------------------------------------------- */

Neosync__Plugin__V1__StepResult *nsp_results_add(nsp_results *results,
						 const Neosync__Plugin__V1__Step *s,
						 Neosync__Plugin__V1__StepStatus status, const char *message);
void nsp_result_set_message(Neosync__Plugin__V1__StepResult *r, const char *msg);
void nsp_result_set_sqlstate(Neosync__Plugin__V1__StepResult *r, const char *state);
/* Record a failed statement's SQLSTATE and message (with detail) in r. */
void nsp_result_set_pg_error(Neosync__Plugin__V1__StepResult *r, const PGresult *res, PGconn *conn);
/* SQLSTATEs that mean "that object already exists". */
bool nsp_sqlstate_is_duplicate(const char *sqlstate);
/* Count results into a Summary (malloc'ed members). */
Neosync__Plugin__V1__Summary *nsp_results_summarize(const nsp_results *results, uint64_t duration_us);

/* --- apply_pre.c / apply_post.c ------------------------------------------------------------ */

/* Pre-sync applies the final, signed plan with what was decided about the destination while
 * planning (pre_decide.h: presence of each object, strip's drops). dst: the connection the
 * decisions were made on and pre-sync applies on; dst_url: for more connections when the plan is
 * large (NULL: only dst). found: non-NULL when the destination is older than the source
 * (dest_compat.h): every step then runs alone, and what the destination lacks is recorded there. */
int nsp_apply_pre(nsp_plugin *h, PGconn *dst, const char *dst_url,
		  const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		  const Neosync__Plugin__V1__Plan *plan, const nsp_pre_decisions *decided,
		  nsp_compat_found *found, nsp_results *results, nsp_error *err);
int nsp_apply_post(nsp_plugin *h, const char *dst_url,
		   const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		   const Neosync__Plugin__V1__Plan *plan, nsp_results *results, nsp_error *err);

#endif

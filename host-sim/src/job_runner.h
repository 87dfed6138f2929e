/* job_runner - `neosync-host-sim run`: a sync job as a Neosync worker runs it.
 *
 *  1. Load the job config (job_config.h) and check it: source and destination connections set;
 *     every enabled hook names a plugin `path`, or an `address`: a plugin host over gRPC
 *     (`neosync-host-sim serve`, grpc_client.h), whose hooks are called remotely; with
 *     nsp_job_set_remote(ADDR) (`run --remote ADDR`) every hook is called at ADDR.
 *  2. Order the enabled hooks by ascending `priority` (lower runs first); ties are broken by
 *     `name` (byte-wise), then by their position in the config. Disabled hooks are ignored.
 *  3. Load every plugin (loader.h) before running any hook, so a bad path or ABI stops the job
 *     before anything changed.
 *  4. Pre-sync of each hook in order, with a PreSyncRequest made from the config (job id, a fresh
 *     random run id, source, destination, tables, exclude_tables, the hook's options). A pre-sync
 *     that fails as a whole (error code neither OK nor PARTIAL, or no response) stops the job:
 *     no data step, no post-sync, exit status 1.
 *  5. The data step (hydrate.h): when a pre-sync returned a plan, the tables are those of the plans'
 *     OBJECT_KIND_TABLE steps (not skipped, not failed), resolved to leaf tables; otherwise the
 *     config's selection resolved on the source. A table that fails to copy does not stop the job.
 *  6. Post-sync of each hook in the same order, each with the plan its own pre-sync returned
 *     (replan set when it returned none). A post-sync that fails as a whole stops the job (exit 1).
 *
 * SIGINT/SIGTERM (host_api.h) cancel: the running hook or copy is asked to stop, later phases are
 * not started, and the job ends with exit status 1.
 */
#ifndef NSP_HOST_JOB_RUNNER_H
#define NSP_HOST_JOB_RUNNER_H

#include <stddef.h>

#include "neosync/plugin.h"
#include "neosync/plugin/v1/job.pb-c.h"
#include "report.h"

/* Run the job in config_path. Fills *report (nsp_report_free() it afterwards, also on failure)
 * and returns the exit status (nsp_report_exit_status). A fatal error is in report->fatal;
 * report->job_id is NULL when the config could not be loaded. */
int nsp_job_run(const char *config_path, nsp_report *report);

/* The enabled hooks of cfg in run order (see above): *out is a malloc'd array of pointers into
 * cfg (free() it). Returns 0, or non-zero with a message in err. */
int nsp_job_order_hooks(const Neosync__Plugin__V1__JobConfig *cfg,
			Neosync__Plugin__V1__JobHook ***out, size_t *n, char *err, size_t errlen);

/* Call every hook over gRPC at address (NULL: as each hook's config says). */
void nsp_job_set_remote(const char *address);

/* A random run id: 32 lowercase hex digits and a NUL into out (33 bytes). */
void nsp_job_make_run_id(char out[33]);

#endif

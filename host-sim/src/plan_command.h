/* plan_command - the job's phases as separate commands of neosync-host-sim:
 *
 *   plan      --config JOB.json --out DIR     a dry run: every enabled hook's pre-sync with
 *             dry_run set (the plugin introspects the source and plans; it touches nothing on
 *             the destination), and the plan written as SQL files a user can review, edit and
 *             apply with psql: DIR/pre-sync.sql (psql -1 -f) and DIR/post-sync.sql (psql -f),
 *             plus DIR/plan.bin (the serialized neosync.plugin.v1.Plan, for `post-sync --plan`).
 *             With several enabled hooks every file name is prefixed with "HOOK-".
 *   pre-sync  --config JOB.json --plan-out PLAN.bin [--hydrate]
 *             the hooks' pre-sync only (optionally followed by the data step), saving the plan;
 *   post-sync --config JOB.json [--plan PLAN.bin]
 *             the hooks' post-sync only, with the saved plan (without --plan: the plugin plans
 *             again from the source, PostSyncRequest.replan).
 *
 * Splitting the phases is what a worker fleet does (Temporal activities on different machines):
 * the plan travels between them as bytes. Plan files of several hooks: PLAN.bin is the first
 * hook's name prefixed to the file name ("DIR/HOOK-NAME"), as for `plan`.
 *
 * Exit status as `run` (report.h): 0 every step applied or unchanged; 2 failed, skipped or
 * conflicting steps; 1 fatal error or bad usage. `plan` exits 0 when the files are written. */
#ifndef NSP_HOST_PLAN_COMMAND_H
#define NSP_HOST_PLAN_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "neosync/plugin/v1/plan.pb-c.h"

extern const char nsp_plan_command_usage[];
extern const char nsp_pre_sync_command_usage[];
extern const char nsp_post_sync_command_usage[];

/* The commands' help, after "Usage: PROG " (cli.h). prog: the program's name for usage errors;
 * argv[0] is the command's name. Return the process's exit status. */
int nsp_plan_command(const char *prog, int argc, char **argv);
int nsp_pre_sync_command(const char *prog, int argc, char **argv);
int nsp_post_sync_command(const char *prog, int argc, char **argv);

/* Write the steps of `phase` of plan as a psql-runnable SQL file (see the top of this file).
 * fk_skip: the job's options say fkMode skip (foreign key steps are written commented out, as
 * post-sync would skip them). Returns 0, or -1 with a message in err. */
int nsp_plan_write_sql(const Neosync__Plugin__V1__Plan *plan, Neosync__Plugin__V1__Phase phase,
		       const char *job_id, const char *hook, bool fk_skip, const char *path,
		       char *err, size_t errlen);

#endif

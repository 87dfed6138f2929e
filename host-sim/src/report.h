/* report - what `neosync-host-sim run` tells its user: a per-phase summary on stdout, or with
 * --json one JSON document, and the process's exit status.
 *
 * Text: for each hook, its pre-sync and post-sync counts (applied, failed, skipped, unchanged,
 * conflicts) and duration, and every failed, skipped or conflicting step with its identity,
 * SQLSTATE and message; then rows copied per table with times; then totals.
 *
 * JSON (one document on stdout):
 *   {"jobId": ..., "runId": ..., "exitStatus": N, "error": "fatal error, if any",
 *    "hooks": ["name", ...],
 *    "preSync":  [PreSyncResponse, ...],   one per hook that ran, in the order run (proto3 JSON)
 *    "hydration": {"ran": bool, "seconds": s, "tables": [{"schema","table","rows","bytes","seconds",
 *                  "error","sqlstate"}, ...]},
 *    "postSync": [PostSyncResponse, ...]}
 *
 * Exit status (nsp_report_exit_status): 0 when every step was applied or unchanged and every
 * table copied; 2 when the job ran to its end with failed, skipped or conflicting steps or
 * tables not copied; 1 on a fatal error (bad config, a plugin that cannot be loaded, a pre-sync
 * or post-sync that failed as a whole, cancellation).
 */
#ifndef NSP_HOST_REPORT_H
#define NSP_HOST_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hydrate.h"
#include "neosync/plugin/v1/plugin.pb-c.h"

typedef struct nsp_report_hook {
	char *name;                                 /* the hook's name */
	Neosync__Plugin__V1__PreSyncResponse *pre;  /* NULL: pre-sync not run (or no response) */
	int pre_status;                             /* the hook's nsp_status */
	double pre_seconds;
	Neosync__Plugin__V1__PostSyncResponse *post; /* NULL: post-sync not run (or no response) */
	int post_status;
	double post_seconds;
} nsp_report_hook;

typedef struct nsp_report {
	char *job_id;
	char run_id[33];
	nsp_report_hook *hooks; /* the enabled hooks, in the order they run */
	size_t nhooks;
	bool hydration_ran;
	bool tables_from_plan;  /* the tables came from a pre-sync plan (else from the config) */
	nsp_hydrate_table *tables;
	size_t ntables;
	double hydration_seconds;
	double total_seconds;
	char fatal[1024]; /* non-empty: the job stopped on this fatal error */
} nsp_report;

void nsp_report_init(nsp_report *r);
/* Frees what the report owns (responses, names, tables); r is left initialized. */
void nsp_report_free(nsp_report *r);

/* 0, 1 or 2 as described above. */
int nsp_report_exit_status(const nsp_report *r);

/* The tables the hooks' pre-sync created: the TABLE steps of their plans that carry no
 * skip_reason and whose result is not FAILED or SKIPPED, in plan order (the data step copies
 * these). *refs (malloc'd, free() it; names point into the responses) and *n are set. Returns 1,
 * 0 when no hook returned a plan (then the config's selection applies), -1 out of memory. */
int nsp_report_created_tables(const nsp_report *r, nsp_hydrate_ref **refs, size_t *n);

/* The human summary. */
void nsp_report_print_text(const nsp_report *r, FILE *out);

/* The JSON document, followed by a newline. Returns 0, or non-zero with a message in err. */
int nsp_report_print_json(const nsp_report *r, FILE *out, bool pretty, char *err, size_t errlen);

/* Names for enums, as the text report shows them ("applied", "PRIMARY_KEY", "OK", ...). */
const char *nsp_report_step_status_name(Neosync__Plugin__V1__StepStatus s);
const char *nsp_report_error_code_name(Neosync__Plugin__V1__ErrorCode c);

#endif

/* host_api - what this host gives a plugin (nsp_host_api, plugin.h): log lines, progress
 * events and a cancellation probe, plus the host's own console output for progress.
 *
 * Output rules: everything here writes to stderr (stdout is for reports and JSON). Log lines are
 *   2025-01-31T12:00:00.123Z INFO [schema] message
 * (UTC time, level, the hook's name), or, with NSP_LOG_FORMAT=json (or
 * nsp_host_set_log_json), JSON lines as a Go worker's structured logs are:
 *   {"time":"2025-01-31T12:00:00.123Z","level":"info","msg":"...","job_id":"...","run_id":"...","hook":"schema"} Progress is shown only when stderr is a terminal: one
 * status line, rewritten in place, that log lines never interleave with.
 *
 * Cancellation: nsp_host_signals_install() makes SIGINT and SIGTERM set a flag (sig_atomic_t)
 * that the probe reports; the running hook stops as soon as it can and later phases are not
 * started. A second SIGINT/SIGTERM ends the process at once (the default action).
 *
 * All functions are thread-safe: hooks may call the callbacks from any thread.
 */
#ifndef NSP_HOST_API_H
#define NSP_HOST_API_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "neosync/plugin.h"

/* The host context of one plugin handle (its host_ctx). Must outlive the handle. */
typedef struct nsp_host_ctx {
	char name[128];             /* the hook's name, shown in [brackets] */
	nsp_log_level min_level;    /* lines below are dropped (default NSP_LOG_INFO) */
} nsp_host_ctx;

/* Set up ctx for a hook called `name` and api to point at it and at the callbacks below. */
void nsp_host_api_make(nsp_host_api *api, nsp_host_ctx *ctx, const char *name,
		       nsp_log_level min_level);

/* The callbacks themselves (host_ctx is an nsp_host_ctx *, or NULL). */
void nsp_host_log(void *host_ctx, nsp_log_level level, const char *message);
void nsp_host_progress(void *host_ctx, const uint8_t *event, size_t event_len);
int nsp_host_is_cancelled(void *host_ctx);

/* Host-side log line in the same format (source shown as [host] when name is NULL). */
void nsp_host_logf(const char *name, nsp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Show `line` as the current status line when stderr is a terminal (no-op otherwise). */
void nsp_host_status(const char *line);
/* Print `line` as a permanent line above the status when stderr is a terminal. */
void nsp_host_status_done(const char *line);
/* Remove the status line, if one is shown. */
void nsp_host_status_clear(void);
/* Whether progress is shown (stderr is a terminal, or forced by nsp_host_set_progress). */
bool nsp_host_progress_enabled(void);
void nsp_host_set_progress(bool enabled);

/* Install the SIGINT/SIGTERM handlers. Returns 0, or non-zero with a message in err. */
int nsp_host_signals_install(char *err, size_t errlen);
/* Whether a cancellation was requested (by a signal or nsp_host_request_cancel). */
bool nsp_host_cancel_requested(void);
void nsp_host_request_cancel(void);
/* The number of the signal that requested cancellation, or 0. */
int nsp_host_cancel_signal(void);

/* The host's log level: set by nsp_host_set_log_level(), else from the environment variable
 * NSP_LOG_LEVEL (debug, info, warning, error), else NSP_LOG_INFO. */
nsp_log_level nsp_host_log_level(void);
void nsp_host_set_log_level(nsp_log_level level);

/* Log lines as JSON objects (also chosen by the environment: NSP_LOG_FORMAT=json). */
void nsp_host_set_log_json(bool json);
bool nsp_host_log_json(void);
/* The job and run that log lines belong to (JSON lines carry them); NULL clears. */
void nsp_host_set_log_context(const char *job_id, const char *run_id);
/* One JSON log line (level filter applied): time, level, msg, job_id, run_id, hook (each
 * omitted when NULL or ""; job_id and run_id default to the log context), then extra
 * members from `pairs`, a NULL-terminated list of key/value strings (may be NULL). */
void nsp_host_log_json_line(nsp_log_level level, const char *hook, const char *job_id,
			    const char *run_id, const char *msg, va_list *pairs);

/* "DEBUG", "INFO", "WARNING", "ERROR". */
const char *nsp_host_level_name(nsp_log_level level);

#endif

/* hydrate - the data step of a job: copy rows of the selected tables from the source into the
 * destination with COPY ... TO STDOUT / COPY ... FROM STDIN streamed through libpq (no temp
 * files), N tables at a time, all from one consistent source snapshot.
 *
 * Which tables:
 *   - nsp_hydrate_resolve_tables(): from the job's `tables` / `exclude_tables` patterns, when no
 *     plan is available (one catalog query on the source);
 *   - nsp_hydrate_tables_from_list(): any list of (schema, table), such as the tables the pre-sync
 *     created (nsp_report_created_tables() in report.h).
 * Both return LEAF tables only: rows live in plain tables (relkind 'r'); a partitioned parent
 * is replaced by its leaf partitions (recursively), never copied itself. Views, matviews, foreign
 * tables and sequences are never returned.
 *
 * How (nsp_hydrate_run): a coordinator connection on the source opens
 * REPEATABLE READ, READ ONLY and exports its snapshot (pg_export_snapshot()); it stays open until
 * every copy has finished. `parallelism` worker threads each hold one source and one destination
 * connection; for each table, largest first (pg_table_size on the source), the worker imports the
 * snapshot (SET TRANSACTION SNAPSHOT), and pipes COPY "s"."t" (cols) TO STDOUT into
 * COPY "s"."t" (cols) FROM STDIN inside one destination transaction (preceded by TRUNCATE ONLY when
 * truncate_first). `cols` are the source's non-dropped, non-generated columns: generated columns
 * are computed by the destination. Values of identity GENERATED ALWAYS columns are accepted by
 * COPY FROM as given (COPY behaves like INSERT ... OVERRIDING SYSTEM VALUE; verified on 15).
 * Nothing is done to disable triggers or constraints: the destination tables are expected bare
 * (pre-sync); session_replication_role is deliberately left alone.
 *
 * Thread safety: each call is independent; the functions use no global state.
 */
#ifndef NSP_HYDRATE_H
#define NSP_HYDRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "neosync/plugin/v1/job.pb-c.h"
#include "neosync/plugin/v1/plan.pb-c.h"

/* One table to copy, and, after nsp_hydrate_run, what happened to it. */
typedef struct nsp_hydrate_table {
	char *schema;        /* malloc'd; unquoted name as in the catalog */
	char *table;         /* malloc'd; unquoted name as in the catalog */
	int64_t rows;        /* rows copied (the destination COPY's command tag); -1 = not copied */
	uint64_t bytes;      /* bytes of COPY data streamed */
	double seconds;      /* wall time of this table's copy */
	char *error;         /* NULL = copied; else names the table, with SQLSTATE and message
			      * (malloc'd: free with the table, nsp_hydrate_tables_free) */
	char sqlstate[6];    /* SQLSTATE of the failure, "" if none or not from the server */
} nsp_hydrate_table;

/* (schema, table) pair for nsp_hydrate_tables_from_list(). Exact names, no patterns. */
typedef struct nsp_hydrate_ref {
	const char *schema;
	const char *table;
} nsp_hydrate_ref;

/* Called once per table when it finishes (copied or failed), `done` tables of `total` finished.
 * Called from the worker threads, but never concurrently: nsp_hydrate_run serializes the calls
 * under its own mutex, so the callback may print without locking. Keep it short: the worker waits. */
typedef void (*nsp_hydrate_progress_fn)(void *ctx, const nsp_hydrate_table *t, size_t done, size_t total);

/* The tables to copy when no plan is available: source tables matching any of cfg->tables
 * (every table outside pg_catalog, information_schema, pg_toast*, pg_temp* and not owned by an
 * extension, when the list is empty) and none of cfg->exclude_tables. Patterns (table_pattern.h,
 * the matcher the plugin's selection uses): `*` any run of characters, `?` one (UTF-8) character,
 * case-sensitive, matched against the unquoted catalog names;
 * an empty schema or table in a pattern means `*`. A partitioned table that is selected brings its
 * leaf partitions; excluding a partitioned table excludes its partitions. Result sorted by schema,
 * table. *out is malloc'd (free with nsp_hydrate_tables_free); *n may be 0. */
int nsp_hydrate_resolve_tables(const char *source_url, const Neosync__Plugin__V1__JobConfig *cfg,
                               nsp_hydrate_table **out, size_t *n, char *err, size_t errlen);

/* The leaf tables behind a list of exact (schema, table) names, looked up on the source in one
 * query: a plain table is itself, a partitioned table becomes its leaf partitions; duplicates are
 * removed (a plan lists parents and partitions both). A name that is not a table on the source is
 * kept with `error` set (the run reports it as failed without copying); views, matviews, foreign
 * tables are dropped silently (nothing to copy). Result sorted by schema, table (nsp_hydrate_run
 * orders by size anyway). */
int nsp_hydrate_tables_from_list(const char *source_url, const nsp_hydrate_ref *refs, size_t nrefs,
                                 nsp_hydrate_table **out, size_t *n, char *err, size_t errlen);

/* Copy the rows of tables[0..n) (see the top of this file). parallelism 0 = 2; never more threads
 * than tables. progress may be NULL. is_cancelled (may be NULL) is polled between tables and about
 * every 100 ms during the copies; when it returns non-zero the running COPYs are cancelled
 * (PQcancel), their destination transactions rolled back, and the tables not finished get
 * SQLSTATE 57014 "cancelled". Fills rows/bytes/seconds/error/sqlstate of every table.
 * Returns 0 when every table was copied; -1 otherwise, with a summary in err (a fatal error such as
 * an unreachable source is also written into every table's error). A table that fails does not
 * stop the others. Connection strings never appear in errors (redacted). */
int nsp_hydrate_run(const char *source_url, const char *dest_url, nsp_hydrate_table *tables, size_t n,
                    unsigned parallelism, bool truncate_first, nsp_hydrate_progress_fn progress,
                    void *progress_ctx, int (*is_cancelled)(void *), void *cancel_ctx, char *err,
                    size_t errlen);

/* Free an array from the functions above (NULL is fine). */
void nsp_hydrate_tables_free(nsp_hydrate_table *t, size_t n);

#endif

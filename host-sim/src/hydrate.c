/* hydrate - the data step: COPY source -> destination, parallel, from one exported snapshot.
 * See hydrate.h for the contract. Decisions recorded here:
 *
 * - Format. Text, unless both servers have the same major version AND every copied column has a
 *   built-in type (oid < 16384, stable across databases of one major version) with binary I/O on the
 *   source AND the destination column has the very same type oid: then binary. Binary is not safe
 *   beyond that: array_recv and record_recv check the element/column type OIDs embedded in the
 *   data, and user-defined types (enums, domains, composites, extension types) get different OIDs
 *   in every database, so an array of an enum would fail in binary; some types have no binary I/O
 *   at all; and binary representations may change between major versions.
 * - Session settings follow pg_dump's (so anything pg_restore can load, we can): empty search_path
 *   (regclass & co. print qualified), DateStyle ISO, IntervalStyle postgres, extra_float_digits 3,
 *   client_encoding = the source's server_encoding on both sides, statement_timeout,
 *   lock_timeout and idle_in_transaction_session_timeout 0 (the coordinator sits idle in its
 *   transaction for the whole copy; a role's timeout must not kill a long COPY).
 * - Columns are listed explicitly on both sides: the source's non-dropped, non-generated columns in
 *   attnum order (the destination computes its generated columns; naming the columns also makes a
 *   destination with a different column order work). Without a list, COPY TO would also leave
 *   generated columns out (verified on 15), but a list makes both sides agree by construction.
 * - A destination error inside COPY FROM (say a unique violation on row 1) only surfaces at
 *   PQputCopyEnd: libpq does not report an ErrorResponse while in COPY IN state and the server
 *   discards the rest of the data, so the source table is still read to its end. Cancellation, in
 *   contrast, stops both sides at once.
 * - COPY "s"."t" (cols) TO STDOUT copies that table only, never rows of inheritance children
 *   (COPY TO has ONLY semantics for plain tables); partitioned parents never reach here.
 * - Identity GENERATED ALWAYS columns: COPY FROM stores the given values (it behaves like
 *   INSERT ... OVERRIDING SYSTEM VALUE; PostgreSQL's COPY documentation says so and it was verified on
 *   15), so nothing special is needed; post-sync sets sequence values.
 * - No session_replication_role: the destination tables are bare, nothing should fire; if something
 *   does, that is a pre-sync bug to see, not to hide.
 * - Truncation (when asked) is one TRUNCATE ONLY of every table before the copies (tables that
 *   reference each other can only be truncated together); then one destination transaction per
 *   table for its COPY. synchronous_commit is off for it
 *   (SET LOCAL): losing the last commits on a destination crash only means re-running the job.
 * - Each table imports the snapshot in its own source transaction (BEGIN REPEATABLE READ READ ONLY;
 *   SET TRANSACTION SNAPSHOT), so a failing table does not poison the worker's next one.
 * - Empty tables are not copied. A plain table whose main fork has no page (the query that orders
 *   by size says so, in the snapshot's transaction) has no row the snapshot sees: a row committed
 *   before the snapshot is on a page, and nothing removes that page while the snapshot holds back
 *   the xmin horizon, except TRUNCATE or a table rewrite, after which COPY in that snapshot sees
 *   the table empty too (they are not MVCC-safe). The tables with a few pages (at most 64 kB) are
 *   asked, in the snapshot's own transaction, whether they have a row (hydrate_empty.c: EXISTS,
 *   hundreds of tables per query; reltuples, an estimate, would be no proof);
 *   one destination query checks that those without rows exist there (42P01 otherwise, as their
 *   COPY would say), and the report lists them with 0 rows. If the probe fails (a table the role
 *   may not read), every table is copied as before. What a COPY of no rows would have checked
 *   beyond that (the destination's columns) is left to the schema's parity.
 */
#include "hydrate.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hydrate_empty.h"
#include "redact.h"
#include "strbuf.h"
#include "table_pattern.h"

#define NSP_HYDRATE_APP_NAME "neosync-host-sim hydrate"
#define NSP_HYDRATE_DEFAULT_PARALLELISM 2u
#define NSP_HYDRATE_POLL_MS 100
#define NSP_FIRST_NORMAL_OID 16384

/* ------------------------------------------------------------------------------------------ */
/* small helpers                                                                               */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The message of a libpq error without its trailing newline(s), first line only. */
static void one_line(const char *msg, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	if (msg == NULL)
		msg = "";
	size_t k = strcspn(msg, "\n");
	if (k >= outlen)
		k = outlen - 1;
	memcpy(out, msg, k);
	out[k] = '\0';
}

/* "SQLSTATE xxxxx: message" of a failed result (or the connection's message), and the SQLSTATE. */
static void describe_failure(PGconn *conn, const PGresult *res, char *out, size_t outlen, char sqlstate[6])
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[400];
	if (primary != NULL)
		one_line(primary, msg, sizeof msg);
	else if (res != NULL && PQresultErrorMessage(res)[0] != '\0')
		one_line(PQresultErrorMessage(res), msg, sizeof msg);
	else
		one_line(conn ? PQerrorMessage(conn) : "connection lost", msg, sizeof msg);
	if (state == NULL || strlen(state) != 5) {
		/* No server error: the connection failed (class 08). */
		state = (conn == NULL || PQstatus(conn) != CONNECTION_OK) ? "08006" : "";
	}
	if (sqlstate != NULL)
		snprintf(sqlstate, 6, "%s", state);
	if (state[0] != '\0')
		snprintf(out, outlen, "SQLSTATE %s: %s", state, msg);
	else
		snprintf(out, outlen, "%s", msg);
}

static char *qualified(const char *schema, const char *table)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_strbuf_append_qualified(&sb, schema, table);
	return nsp_strbuf_detach(&sb);
}

/* A table's failure message when not even it could be allocated (never freed). */
static char no_memory_for_error[] = "out of memory recording a table's failure";

static void table_error_clear(nsp_hydrate_table *t)
{
	if (t->error != no_memory_for_error)
		free(t->error);
	t->error = NULL;
}

/* The message of a failed table, at most 511 bytes, allocated only for a failure: a table that
 * copied carries none (20 000 tables of the wide benchmark would otherwise carry 10 MB). */
static void table_error_set(nsp_hydrate_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void table_error_set(nsp_hydrate_table *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	table_error_clear(t);
	t->error = strdup(msg);
	if (t->error == NULL)
		t->error = no_memory_for_error;
}

/* Record a failure on a table: `"s"."t": <what>: SQLSTATE ...: message`. */
static void table_fail(nsp_hydrate_table *t, const char *what, PGconn *conn, const PGresult *res)
{
	char detail[440];
	char *q = qualified(t->schema, t->table);
	describe_failure(conn, res, detail, sizeof detail, t->sqlstate);
	table_error_set(t, "table %s: %s: %s", q ? q : t->table, what, detail);
	free(q);
}

static void table_fail_msg(nsp_hydrate_table *t, const char *sqlstate, const char *msg)
{
	char *q = qualified(t->schema, t->table);
	snprintf(t->sqlstate, sizeof t->sqlstate, "%s", sqlstate);
	if (sqlstate[0] != '\0')
		table_error_set(t, "table %s: SQLSTATE %s: %s", q ? q : t->table, sqlstate, msg);
	else
		table_error_set(t, "table %s: %s", q ? q : t->table, msg);
	free(q);
}

/* PostgreSQL array literal of text values: {"a","b\"c"}. */
static void append_text_array(nsp_strbuf *sb, const char *const *vals, size_t n)
{
	nsp_strbuf_append_char(sb, '{');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			nsp_strbuf_append_char(sb, ',');
		nsp_strbuf_append_char(sb, '"');
		for (const char *p = vals[i] ? vals[i] : ""; *p; p++) {
			if (*p == '"' || *p == '\\')
				nsp_strbuf_append_char(sb, '\\');
			nsp_strbuf_append_char(sb, *p);
		}
		nsp_strbuf_append_char(sb, '"');
	}
	nsp_strbuf_append_char(sb, '}');
}

/* Connect with our application_name (it overrides one given in the URL), then apply the session
 * settings. Errors never show the connection string, only its redacted form. */
static PGconn *connect_db(const char *url, const char *role, const char *encoding, char *err, size_t errlen)
{
	const char *keys[] = {"dbname", "application_name", NULL};
	const char *vals[] = {url, NSP_HYDRATE_APP_NAME, NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	char where[256];
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		char msg[400];
		nsp_redact_conninfo(url, where, sizeof where);
		one_line(conn ? PQerrorMessage(conn) : "out of memory", msg, sizeof msg);
		set_err(err, errlen, "cannot connect to the %s (%s): SQLSTATE 08006: %s", role, where, msg);
		PQfinish(conn);
		return NULL;
	}
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	nsp_strbuf_append(&sql, "SET search_path = ''; SET datestyle = 'ISO'; SET intervalstyle = 'postgres'; "
	                        "SET extra_float_digits = 3; SET statement_timeout = 0; SET lock_timeout = 0; "
	                        "SET idle_in_transaction_session_timeout = 0");
	if (encoding != NULL && encoding[0] != '\0') {
		nsp_strbuf_append(&sql, "; SET client_encoding = ");
		nsp_strbuf_append_literal(&sql, encoding);
	}
	PGresult *res = nsp_strbuf_failed(&sql) ? NULL : PQexec(conn, sql.data);
	nsp_strbuf_free(&sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		char detail[400];
		nsp_redact_conninfo(url, where, sizeof where);
		describe_failure(conn, res, detail, sizeof detail, NULL);
		set_err(err, errlen, "cannot set up the %s session (%s): %s", role, where, detail);
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

/* Run a statement that returns no rows; on failure fill out/outlen via describe_failure. */
static bool exec_ok(PGconn *conn, const char *sql, PGresult **failed)
{
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		return true;
	}
	*failed = res;
	return false;
}

/* ------------------------------------------------------------------------------------------ */
/* table arrays                                                                                */

void nsp_hydrate_tables_free(nsp_hydrate_table *t, size_t n)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(t[i].schema);
		free(t[i].table);
		table_error_clear(&t[i]);
	}
	free(t);
}

typedef struct table_vec {
	nsp_hydrate_table *v;
	size_t n, cap;
	bool failed;
} table_vec;

static nsp_hydrate_table *vec_push(table_vec *tv, const char *schema, const char *table)
{
	if (tv->failed)
		return NULL;
	if (tv->n == tv->cap) {
		size_t cap = tv->cap ? tv->cap * 2 : 16;
		nsp_hydrate_table *nv = realloc(tv->v, cap * sizeof *nv);
		if (nv == NULL) {
			tv->failed = true;
			return NULL;
		}
		tv->v = nv;
		tv->cap = cap;
	}
	nsp_hydrate_table *t = &tv->v[tv->n];
	memset(t, 0, sizeof *t);
	t->rows = -1;
	t->schema = strdup(schema);
	t->table = strdup(table);
	if (t->schema == NULL || t->table == NULL) {
		free(t->schema);
		free(t->table);
		tv->failed = true;
		return NULL;
	}
	tv->n++;
	return t;
}

/* ------------------------------------------------------------------------------------------ */
/* resolving the tables                                                                        */

/* Every leaf table (relkind 'r') outside the system schemas and not owned by an extension, one row
 * per (table, ancestor-or-self) pair: pg_partition_ancestors() gives a partition, itself included,
 * and its parents up to the root; nothing for a table that is not a partition (then the table itself
 * via coalesce). Grouped by table (ORDER BY). */
static const char *const RESOLVE_SQL =
	"SELECT c.oid, n.nspname, c.relname, an.nspname, ac.relname "
	"FROM pg_catalog.pg_class c "
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN LATERAL pg_catalog.pg_partition_ancestors(c.oid) AS anc(relid) ON true "
	"JOIN pg_catalog.pg_class ac ON ac.oid = COALESCE(anc.relid, c.oid) "
	"JOIN pg_catalog.pg_namespace an ON an.oid = ac.relnamespace "
	"WHERE c.relkind = 'r' "
	"  AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
	"  AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)' "
	"  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
	"                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid "
	"                    AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e') "
	"ORDER BY n.nspname, c.relname, c.oid";

int nsp_hydrate_resolve_tables(const char *source_url, const Neosync__Plugin__V1__JobConfig *cfg,
                               nsp_hydrate_table **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	PGconn *conn = connect_db(source_url, "source", NULL, err, errlen);
	if (conn == NULL)
		return -1;
	PGresult *res = PQexecParams(conn, RESOLVE_SQL, 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char detail[400];
		describe_failure(conn, res, detail, sizeof detail, NULL);
		set_err(err, errlen, "listing the source's tables failed: %s", detail);
		PQclear(res);
		PQfinish(conn);
		return -1;
	}
	size_t ninc = cfg ? cfg->n_tables : 0, nexc = cfg ? cfg->n_exclude_tables : 0;
	Neosync__Plugin__V1__TableRef *const *inc = cfg ? cfg->tables : NULL;
	Neosync__Plugin__V1__TableRef *const *exc = cfg ? cfg->exclude_tables : NULL;
	table_vec tv = {0};
	int rows = PQntuples(res);
	for (int r = 0; r < rows;) {
		/* one group = one leaf table and its ancestors (itself included) */
		const char *oid = PQgetvalue(res, r, 0);
		bool included = ninc == 0, excluded = false;
		int g = r;
		for (; g < rows && strcmp(PQgetvalue(res, g, 0), oid) == 0; g++) {
			const char *as = PQgetvalue(res, g, 3), *at = PQgetvalue(res, g, 4);
			if (!included && nsp_table_refs_match_any(inc, ninc, as, at))
				included = true;
			if (nsp_table_refs_match_any(exc, nexc, as, at))
				excluded = true;
		}
		if (included && !excluded)
			vec_push(&tv, PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
		r = g;
	}
	PQclear(res);
	PQfinish(conn);
	if (tv.failed) {
		nsp_hydrate_tables_free(tv.v, tv.n);
		set_err(err, errlen, "out of memory listing tables");
		return -1;
	}
	*out = tv.v;
	*n = tv.n;
	return 0;
}

/* For each requested (schema, name), in order: its relkind (NULL = not found) and its leaf
 * partitions of kind 'r' (pg_partition_tree of a partitioned table; a plain table is itself).
 * unnest(a, b) with several arrays is a FROM-clause special form that cannot be schema-qualified;
 * pg_catalog is searched first anyway (and search_path is empty). */
static const char *const LEAVES_SQL =
	"SELECT r.ord, c.relkind, ln.nspname, lc.relname "
	"FROM unnest($1::pg_catalog.text[], $2::pg_catalog.text[]) WITH ORDINALITY AS r(nsp, rel, ord) "
	"LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = r.nsp "
	"LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = r.rel "
	"LEFT JOIN LATERAL (SELECT pt.relid FROM pg_catalog.pg_partition_tree(c.oid) pt "
	"                   WHERE pt.isleaf AND c.relkind = 'p' "
	"                   UNION ALL SELECT c.oid WHERE c.relkind = 'r') leaf ON true "
	"LEFT JOIN pg_catalog.pg_class lc ON lc.oid = leaf.relid AND lc.relkind = 'r' "
	"LEFT JOIN pg_catalog.pg_namespace ln ON ln.oid = lc.relnamespace "
	"ORDER BY r.ord, ln.nspname, lc.relname";

static int cmp_table_name(const void *a, const void *b)
{
	const nsp_hydrate_table *x = a, *y = b;
	int c = strcmp(x->schema, y->schema);
	return c != 0 ? c : strcmp(x->table, y->table);
}

/* Sort by (schema, table) and drop duplicates (a plan lists a partitioned parent and its
 * partitions both): O(n log n), for plans with many thousands of tables. */
static void vec_sort_unique(table_vec *tv)
{
	if (tv->n < 2)
		return;
	qsort(tv->v, tv->n, sizeof *tv->v, cmp_table_name);
	size_t k = 1;
	for (size_t i = 1; i < tv->n; i++) {
		if (cmp_table_name(&tv->v[k - 1], &tv->v[i]) == 0) {
			free(tv->v[i].schema);
			free(tv->v[i].table);
			table_error_clear(&tv->v[i]);
			continue;
		}
		tv->v[k++] = tv->v[i];
	}
	tv->n = k;
}

int nsp_hydrate_tables_from_list(const char *source_url, const nsp_hydrate_ref *refs, size_t nrefs,
                                 nsp_hydrate_table **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	if (nrefs == 0)
		return 0;
	const char **schemas = calloc(nrefs, sizeof *schemas);
	const char **names = calloc(nrefs, sizeof *names);
	nsp_strbuf a1, a2;
	nsp_strbuf_init(&a1);
	nsp_strbuf_init(&a2);
	if (schemas == NULL || names == NULL) {
		free(schemas);
		free(names);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nrefs; i++) {
		schemas[i] = refs[i].schema;
		names[i] = refs[i].table;
	}
	append_text_array(&a1, schemas, nrefs);
	append_text_array(&a2, names, nrefs);
	free(schemas);
	free(names);
	if (nsp_strbuf_failed(&a1) || nsp_strbuf_failed(&a2)) {
		nsp_strbuf_free(&a1);
		nsp_strbuf_free(&a2);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	PGconn *conn = connect_db(source_url, "source", NULL, err, errlen);
	if (conn == NULL) {
		nsp_strbuf_free(&a1);
		nsp_strbuf_free(&a2);
		return -1;
	}
	const char *params[2] = {a1.data, a2.data};
	PGresult *res = PQexecParams(conn, LEAVES_SQL, 2, NULL, params, NULL, NULL, 0);
	nsp_strbuf_free(&a1);
	nsp_strbuf_free(&a2);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char detail[400];
		describe_failure(conn, res, detail, sizeof detail, NULL);
		set_err(err, errlen, "looking up the tables on the source failed: %s", detail);
		PQclear(res);
		PQfinish(conn);
		return -1;
	}
	table_vec tv = {0};
	for (int r = 0; r < PQntuples(res); r++) {
		long ord = strtol(PQgetvalue(res, r, 0), NULL, 10);
		if (ord < 1 || (size_t)ord > nrefs)
			continue;
		const nsp_hydrate_ref *ref = &refs[ord - 1];
		if (PQgetisnull(res, r, 1)) {
			nsp_hydrate_table *t = vec_push(&tv, ref->schema ? ref->schema : "", ref->table ? ref->table : "");
			if (t != NULL)
				table_fail_msg(t, "42P01", "not found on the source");
			continue;
		}
		if (PQgetisnull(res, r, 2))
			continue; /* a view, matview, foreign table, or a partitioned table without partitions */
		vec_push(&tv, PQgetvalue(res, r, 2), PQgetvalue(res, r, 3));
	}
	PQclear(res);
	PQfinish(conn);
	if (!tv.failed)
		vec_sort_unique(&tv);
	if (tv.failed) {
		nsp_hydrate_tables_free(tv.v, tv.n);
		set_err(err, errlen, "out of memory listing tables");
		return -1;
	}
	*out = tv.v;
	*n = tv.n;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* the run                                                                                     */

typedef struct hyd_shared hyd_shared;

typedef struct hyd_worker {
	hyd_shared *sh;
	pthread_t thread;
	bool started;
	PGconn *src, *dst;
	PGcancel *src_cancel, *dst_cancel; /* guarded by sh->mu: the coordinator cancels through them */
	char conn_err[512];
} hyd_worker;

struct hyd_shared {
	const char *src_url, *dst_url;
	nsp_hydrate_table *tables;
	size_t n;
	size_t *order;  /* indexes into tables, largest first; [0, norder) */
	size_t norder;
	size_t *empty;  /* indexes into tables with no row in the snapshot: not copied */
	size_t nempty;
	size_t next;    /* next position in order to hand out (mu) */
	size_t done;    /* tables finished (progress_mu) */
	bool truncate_first;
	char snapshot[128];
	char encoding[64];
	int src_major;
	atomic_int cancelled;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned running; /* workers not yet finished (mu) */
	pthread_mutex_t progress_mu;
	nsp_hydrate_progress_fn progress;
	void *progress_ctx;
	hyd_worker *workers;
	unsigned nworkers;
};

static void report_done(hyd_shared *sh, const nsp_hydrate_table *t)
{
	pthread_mutex_lock(&sh->progress_mu);
	sh->done++;
	if (sh->progress != NULL)
		sh->progress(sh->progress_ctx, t, sh->done, sh->n);
	pthread_mutex_unlock(&sh->progress_mu);
}

static void replace_cancel(hyd_shared *sh, PGcancel **slot, PGconn *conn)
{
	PGcancel *c = conn ? PQgetCancel(conn) : NULL;
	pthread_mutex_lock(&sh->mu);
	PGcancel *old = *slot;
	*slot = c;
	pthread_mutex_unlock(&sh->mu);
	if (old != NULL)
		PQfreeCancel(old);
}

/* (Re)connect whatever connection is missing or broken. */
/* The two catalog queries of every table, prepared once per worker connection: planned anew for
 * each of 5 000 small tables they took more server time than the copies (0.7 ms each to plan). */
#define COLUMNS_STMT "nsp_hydrate_columns"
#define TYPES_MATCH_STMT "nsp_hydrate_types_match"
static const char *const COLUMNS_SQL =
	"SELECT c.relkind, a.attname, a.atttypid, "
	"       (a.atttypid < 16384 AND ty.typsend <> 0 AND ty.typreceive <> 0) "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
	"     AND NOT a.attisdropped AND a.attgenerated = '' "
	"LEFT JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid "
	"WHERE n.nspname = $1 AND c.relname = $2 ORDER BY a.attnum";
static const char *const TYPES_MATCH_SQL =
	"SELECT pg_catalog.count(*) = pg_catalog.cardinality($3::pg_catalog.text[]) "
	"   AND COALESCE(pg_catalog.bool_and(a.atttypid = s.typid), false) "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
	"     AND a.attgenerated = '' "
	"JOIN unnest($3::pg_catalog.text[], $4::pg_catalog.oid[]) AS s(name, typid) "
	"     ON s.name = a.attname "
	"WHERE n.nspname = $1 AND c.relname = $2";

/* Prepare `sql` as `name` on a fresh connection; on failure say why in err. */
static bool prepare(PGconn *conn, const char *name, const char *sql, int nparams, char *err, size_t errlen)
{
	PGresult *res = PQprepare(conn, name, sql, nparams, NULL);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(err, errlen, "preparing the data step's catalog query: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

static bool worker_ensure_conns(hyd_worker *w)
{
	hyd_shared *sh = w->sh;
	if (w->src != NULL && PQstatus(w->src) != CONNECTION_OK) {
		replace_cancel(sh, &w->src_cancel, NULL);
		PQfinish(w->src);
		w->src = NULL;
	}
	if (w->dst != NULL && PQstatus(w->dst) != CONNECTION_OK) {
		replace_cancel(sh, &w->dst_cancel, NULL);
		PQfinish(w->dst);
		w->dst = NULL;
	}
	if (w->src == NULL) {
		w->src = connect_db(sh->src_url, "source", sh->encoding, w->conn_err, sizeof w->conn_err);
		if (w->src == NULL)
			return false;
		if (!prepare(w->src, COLUMNS_STMT, COLUMNS_SQL, 2, w->conn_err, sizeof w->conn_err)) {
			PQfinish(w->src);
			w->src = NULL;
			return false;
		}
		replace_cancel(sh, &w->src_cancel, w->src);
	}
	if (w->dst == NULL) {
		w->dst = connect_db(sh->dst_url, "destination", sh->encoding, w->conn_err, sizeof w->conn_err);
		if (w->dst == NULL)
			return false;
		if (!prepare(w->dst, TYPES_MATCH_STMT, TYPES_MATCH_SQL, 4, w->conn_err, sizeof w->conn_err)) {
			PQfinish(w->dst);
			w->dst = NULL;
			return false;
		}
		replace_cancel(sh, &w->dst_cancel, w->dst);
	}
	return true;
}

/* Stop a COPY OUT early: cancel it on the server and drain what is left. */
static void abort_copy_out(hyd_worker *w)
{
	char buf[256];
	pthread_mutex_lock(&w->sh->mu);
	if (w->src_cancel != NULL)
		PQcancel(w->src_cancel, buf, sizeof buf);
	pthread_mutex_unlock(&w->sh->mu);
	char *data = NULL;
	int len;
	while ((len = PQgetCopyData(w->src, &data, 0)) > 0)
		PQfreemem(data);
}

static void drain_results(PGconn *conn)
{
	PGresult *res;
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
}

static void end_tx(PGconn *conn, bool commit)
{
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return;
	drain_results(conn);
	PGresult *res = PQexec(conn, commit ? "COMMIT" : "ROLLBACK");
	PQclear(res);
}

/* Columns to copy, as a quoted list " (a, b)" ("" for a table without columns), with their names
 * and type oids as array literals for dest_types_match(); binary_ok: all are built-in types with
 * binary I/O. Returns false with the table's error set when the table is gone. */
static bool source_columns(hyd_worker *w, nsp_hydrate_table *t, nsp_strbuf *cols, nsp_strbuf *names_arr,
                           nsp_strbuf *types_arr, bool *binary_ok, size_t *ncols)
{
	const char *params[2] = {t->schema, t->table};
	PGresult *res = PQexecPrepared(w->src, COLUMNS_STMT, 2, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		table_fail(t, "reading its columns on the source", w->src, res);
		PQclear(res);
		return false;
	}
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), "r") != 0) {
		table_fail_msg(t, "42P01", PQntuples(res) == 0 ? "not found on the source"
		                                               : "not a plain table on the source (nothing to copy)");
		PQclear(res);
		return false;
	}
	int nt = PQntuples(res);
	const char **names = calloc((size_t)nt, sizeof *names);
	if (names == NULL) {
		table_fail_msg(t, "53200", "out of memory");
		PQclear(res);
		return false;
	}
	*binary_ok = true;
	*ncols = 0;
	nsp_strbuf_append_char(types_arr, '{');
	for (int r = 0; r < nt; r++) {
		if (PQgetisnull(res, r, 1))
			continue; /* a table without columns */
		nsp_strbuf_append(cols, *ncols == 0 ? " (" : ", ");
		nsp_strbuf_append_ident(cols, PQgetvalue(res, r, 1));
		nsp_strbuf_appendf(types_arr, "%s%s", *ncols == 0 ? "" : ",", PQgetvalue(res, r, 2));
		names[*ncols] = PQgetvalue(res, r, 1);
		if (strcmp(PQgetvalue(res, r, 3), "t") != 0)
			*binary_ok = false;
		(*ncols)++;
	}
	nsp_strbuf_append_char(types_arr, '}');
	append_text_array(names_arr, names, *ncols);
	if (*ncols > 0)
		nsp_strbuf_append_char(cols, ')');
	free(names);
	PQclear(res);
	return true;
}

/* Binary only when every copied column exists on the destination with the same type oid. */
static bool dest_types_match(hyd_worker *w, nsp_hydrate_table *t, const char *names_arr, const char *types_arr)
{
	const char *params[4] = {t->schema, t->table, names_arr, types_arr};
	PGresult *res = PQexecPrepared(w->dst, TYPES_MATCH_STMT, 4, params, NULL, NULL, 0);
	bool match = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	             strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return match;
}

static void copy_table(hyd_worker *w, nsp_hydrate_table *t)
{
	hyd_shared *sh = w->sh;
	double t0 = now_seconds();
	PGresult *res = NULL;
	nsp_strbuf sql, cols, names_arr, types_arr;
	nsp_strbuf_init(&sql);
	nsp_strbuf_init(&cols);
	nsp_strbuf_init(&names_arr);
	nsp_strbuf_init(&types_arr);
	bool src_tx = false, dst_tx = false, copy_in = false, ok = false;
	bool binary = false;
	size_t ncols = 0;

	t->rows = -1;
	t->bytes = 0;
	table_error_clear(t);
	t->sqlstate[0] = '\0';

	/* source: import the snapshot */
	nsp_strbuf_append(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT ");
	nsp_strbuf_append_literal(&sql, sh->snapshot);
	if (nsp_strbuf_failed(&sql)) {
		table_fail_msg(t, "53200", "out of memory");
		goto out;
	}
	src_tx = true;
	if (!exec_ok(w->src, sql.data, &res)) {
		table_fail(t, "importing the source snapshot", w->src, res);
		goto out;
	}
	if (!source_columns(w, t, &cols, &names_arr, &types_arr, &binary, &ncols))
		goto out;
	int dst_major = PQserverVersion(w->dst) / 10000;
	if (binary && (sh->src_major != dst_major || ncols == 0))
		binary = false;

	/* destination: one transaction for TRUNCATE and COPY */
	dst_tx = true;
	if (!exec_ok(w->dst, "BEGIN; SET LOCAL synchronous_commit = off", &res)) {
		table_fail(t, "starting the destination transaction", w->dst, res);
		goto out;
	}
	if (sh->truncate_first) {
		nsp_strbuf_reset(&sql);
		nsp_strbuf_append(&sql, "TRUNCATE ONLY ");
		nsp_strbuf_append_qualified(&sql, t->schema, t->table);
		if (!exec_ok(w->dst, sql.data, &res)) {
			table_fail(t, "TRUNCATE on the destination", w->dst, res);
			goto out;
		}
	}
	if (binary && !nsp_strbuf_failed(&names_arr) && !nsp_strbuf_failed(&types_arr))
		binary = dest_types_match(w, t, names_arr.data, types_arr.data);
	else
		binary = false;

	nsp_strbuf_reset(&sql);
	nsp_strbuf_append(&sql, "COPY ");
	nsp_strbuf_append_qualified(&sql, t->schema, t->table);
	nsp_strbuf_append(&sql, cols.data);
	nsp_strbuf_append(&sql, binary ? " FROM STDIN WITH (FORMAT binary)" : " FROM STDIN");
	if (nsp_strbuf_failed(&sql) || nsp_strbuf_failed(&cols)) {
		table_fail_msg(t, "53200", "out of memory");
		goto out;
	}
	res = PQexec(w->dst, sql.data);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		table_fail(t, "COPY FROM STDIN on the destination", w->dst, res);
		goto out;
	}
	PQclear(res);
	res = NULL;
	copy_in = true;

	nsp_strbuf_reset(&sql);
	nsp_strbuf_append(&sql, "COPY ");
	nsp_strbuf_append_qualified(&sql, t->schema, t->table);
	nsp_strbuf_append(&sql, cols.data);
	nsp_strbuf_append(&sql, binary ? " TO STDOUT WITH (FORMAT binary)" : " TO STDOUT");
	res = PQexec(w->src, sql.data);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		table_fail(t, "COPY TO STDOUT on the source", w->src, res);
		goto out;
	}
	PQclear(res);
	res = NULL;

	/* stream */
	for (;;) {
		char *data = NULL;
		int len = PQgetCopyData(w->src, &data, 0);
		if (len > 0) {
			t->bytes += (uint64_t)len;
			int put = PQputCopyData(w->dst, data, len);
			PQfreemem(data);
			if (put != 1) {
				abort_copy_out(w);
				drain_results(w->src);
				res = PQgetResult(w->dst);
				table_fail(t, "streaming into the destination", w->dst, res);
				goto out;
			}
			if (atomic_load(&sh->cancelled)) {
				abort_copy_out(w);
				drain_results(w->src);
				table_fail_msg(t, "57014", "cancelled");
				goto out;
			}
			continue;
		}
		if (len == -1) {
			res = PQgetResult(w->src);
			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				if (atomic_load(&sh->cancelled))
					table_fail_msg(t, "57014", "cancelled");
				else
					table_fail(t, "COPY TO STDOUT on the source", w->src, res);
				goto out;
			}
			PQclear(res);
			res = NULL;
			break;
		}
		/* -2: the source connection failed */
		table_fail(t, "COPY TO STDOUT on the source", w->src, NULL);
		goto out;
	}
	drain_results(w->src);

	copy_in = false;
	if (PQputCopyEnd(w->dst, NULL) != 1) {
		table_fail(t, "ending the COPY on the destination", w->dst, NULL);
		goto out;
	}
	res = PQgetResult(w->dst);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		if (atomic_load(&sh->cancelled))
			table_fail_msg(t, "57014", "cancelled");
		else
			table_fail(t, "COPY FROM STDIN on the destination", w->dst, res);
		goto out;
	}
	int64_t rows = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	res = NULL;
	drain_results(w->dst);
	dst_tx = false;
	if (!exec_ok(w->dst, "COMMIT", &res)) {
		table_fail(t, "COMMIT on the destination", w->dst, res);
		goto out;
	}
	t->rows = rows;
	ok = true;

out:
	PQclear(res);
	if (copy_in) {
		PQputCopyEnd(w->dst, "neosync-host-sim hydrate: copy aborted");
		drain_results(w->dst);
	}
	if (dst_tx)
		end_tx(w->dst, false);
	if (src_tx)
		end_tx(w->src, ok);
	if (!ok)
		t->rows = -1;
	t->seconds = now_seconds() - t0;
	nsp_strbuf_free(&sql);
	nsp_strbuf_free(&cols);
	nsp_strbuf_free(&names_arr);
	nsp_strbuf_free(&types_arr);
}

static void *worker_main(void *arg)
{
	hyd_worker *w = arg;
	hyd_shared *sh = w->sh;
	for (;;) {
		if (atomic_load(&sh->cancelled))
			break;
		if (!worker_ensure_conns(w))
			break; /* conn_err says why; the tables it did not take go to the other workers */
		pthread_mutex_lock(&sh->mu);
		size_t pos = sh->next < sh->norder ? sh->next++ : SIZE_MAX;
		pthread_mutex_unlock(&sh->mu);
		if (pos == SIZE_MAX)
			break;
		nsp_hydrate_table *t = &sh->tables[sh->order[pos]];
		copy_table(w, t);
		report_done(sh, t);
	}
	replace_cancel(sh, &w->src_cancel, NULL);
	replace_cancel(sh, &w->dst_cancel, NULL);
	PQfinish(w->src);
	PQfinish(w->dst);
	w->src = w->dst = NULL;
	pthread_mutex_lock(&sh->mu);
	sh->running--;
	pthread_cond_signal(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
	return NULL;
}

typedef struct size_entry {
	size_t idx;
	int64_t size;
	bool small; /* a plain table whose main fork has pages, at most SMALL_MAIN_FORK: ask */
	bool empty; /* no row in the snapshot: its main fork has no page, or EXISTS said so */
} size_entry;

#define SMALL_MAIN_FORK "65536"

/* Prove which small tables are empty (hydrate_empty.c). A failed probe proves nothing: every
 * table is copied then. */
static void find_empty(PGconn *coord, hyd_shared *sh, size_entry *e, size_t k)
{
	size_t m = 0;
	for (size_t i = 0; i < k; i++)
		m += e[i].small;
	if (m == 0)
		return;
	const char **schemas = calloc(m, sizeof *schemas);
	const char **names = calloc(m, sizeof *names);
	size_t *which = calloc(m, sizeof *which);
	bool *has_rows = calloc(m, sizeof *has_rows);
	if (schemas != NULL && names != NULL && which != NULL && has_rows != NULL) {
		size_t j = 0;
		for (size_t i = 0; i < k; i++) {
			if (!e[i].small)
				continue;
			which[j] = i;
			schemas[j] = sh->tables[e[i].idx].schema;
			names[j] = sh->tables[e[i].idx].table;
			j++;
		}
		char perr[512];
		if (nsp_hydrate_probe_rows(coord, schemas, names, m, has_rows, perr, sizeof perr) == 0)
			for (j = 0; j < m; j++)
				e[which[j]].empty = !has_rows[j];
	}
	free(schemas);
	free(names);
	free(which);
	free(has_rows);
}

static int cmp_size_desc(const void *a, const void *b)
{
	const size_entry *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* Order the copyable tables largest first (pg_table_size, one query, inside the snapshot tx). */
static int order_by_size(PGconn *coord, hyd_shared *sh, char *err, size_t errlen)
{
	size_t n = sh->n, k = 0;
	size_entry *e = calloc(n ? n : 1, sizeof *e);
	const char **schemas = calloc(n ? n : 1, sizeof *schemas);
	const char **names = calloc(n ? n : 1, sizeof *names);
	sh->order = calloc(n ? n : 1, sizeof *sh->order);
	sh->empty = calloc(n ? n : 1, sizeof *sh->empty);
	if (e == NULL || schemas == NULL || names == NULL || sh->order == NULL || sh->empty == NULL) {
		free(e);
		free(schemas);
		free(names);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (sh->tables[i].error != NULL)
			continue; /* failed while resolving: reported, not copied */
		e[k].idx = i;
		schemas[k] = sh->tables[i].schema;
		names[k] = sh->tables[i].table;
		k++;
	}
	nsp_strbuf a1, a2;
	nsp_strbuf_init(&a1);
	nsp_strbuf_init(&a2);
	append_text_array(&a1, schemas, k);
	append_text_array(&a2, names, k);
	free(schemas);
	free(names);
	/* the main fork first: pg_table_size opens every fork, which on thousands of empty tables
	 * was most of this query */
	static const char *const sql =
		"SELECT r.ord, CASE WHEN f.main = 0 THEN 0 "
		"                   ELSE COALESCE(pg_catalog.pg_table_size(c.oid), 0) END, "
		"       c.relkind = 'r' AND f.main > 0 AND f.main <= " SMALL_MAIN_FORK ", "
		"       c.relkind = 'r' AND f.main = 0 "
		"FROM unnest($1::pg_catalog.text[], $2::pg_catalog.text[]) WITH ORDINALITY AS r(nsp, rel, ord) "
		"LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = r.nsp "
		"LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = r.rel "
		"LEFT JOIN LATERAL (SELECT pg_catalog.pg_relation_size(c.oid) AS main) f ON true";
	const char *params[2] = {a1.data, a2.data};
	PGresult *res = (nsp_strbuf_failed(&a1) || nsp_strbuf_failed(&a2))
	                    ? NULL
	                    : PQexecParams(coord, sql, 2, NULL, params, NULL, NULL, 0);
	nsp_strbuf_free(&a1);
	nsp_strbuf_free(&a2);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char detail[400];
		describe_failure(coord, res, detail, sizeof detail, NULL);
		set_err(err, errlen, "measuring the source tables failed: %s", detail);
		PQclear(res);
		free(e);
		return -1;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		long ord = strtol(PQgetvalue(res, r, 0), NULL, 10);
		if (ord >= 1 && (size_t)ord <= k) {
			e[ord - 1].size = strtoll(PQgetvalue(res, r, 1), NULL, 10);
			e[ord - 1].small = strcmp(PQgetvalue(res, r, 2), "t") == 0;
			e[ord - 1].empty = strcmp(PQgetvalue(res, r, 3), "t") == 0;
		}
	}
	PQclear(res);
	find_empty(coord, sh, e, k);
	qsort(e, k, sizeof *e, cmp_size_desc);
	for (size_t i = 0; i < k; i++) {
		if (e[i].empty)
			sh->empty[sh->nempty++] = e[i].idx;
		else
			sh->order[sh->norder++] = e[i].idx;
	}
	free(e);
	return 0;
}

/* A fatal error (no snapshot, no source) fails every table; its SQLSTATE is the one in msg. */
static void fail_all(nsp_hydrate_table *tables, size_t n, const char *msg)
{
	char state[6] = "";
	const char *p = strstr(msg, "SQLSTATE ");
	if (p != NULL && strlen(p) >= 14)
		snprintf(state, sizeof state, "%.5s", p + 9);
	for (size_t i = 0; i < n; i++) {
		if (tables[i].error != NULL)
			continue;
		table_fail_msg(&tables[i], "", msg);
		snprintf(tables[i].sqlstate, sizeof tables[i].sqlstate, "%s", state);
	}
}

/* Append a value to a text[] literal being built ({"a","b"}). */
static void array_item(nsp_strbuf *sb, const char *v)
{
	nsp_strbuf_append(sb, sb->len > 1 ? ",\"" : "\"");
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			nsp_strbuf_append_char(sb, '\\');
		nsp_strbuf_append_char(sb, *p);
	}
	nsp_strbuf_append_char(sb, '"');
}

/* TRUNCATE ONLY, in one statement, every table the run copies that exists on the destination
 * (a missing one fails later, in its own copy, with 42P01). */
static int truncate_all(const char *dest_url, const nsp_hydrate_table *tables, size_t n, char *err,
			size_t errlen)
{
	static const char existing[] =
		"SELECT 'TRUNCATE ONLY ' || pg_catalog.string_agg(pg_catalog.format('%I.%I', s, t), ', ') "
		"FROM unnest($1::text[], $2::text[]) AS x(s, t) "
		"WHERE pg_catalog.to_regclass(pg_catalog.format('%I.%I', s, t)) IS NOT NULL";
	nsp_strbuf schemas, names;
	nsp_strbuf_init(&schemas);
	nsp_strbuf_init(&names);
	nsp_strbuf_append_char(&schemas, '{');
	nsp_strbuf_append_char(&names, '{');
	for (size_t i = 0; i < n; i++) {
		if (tables[i].error != NULL)
			continue;
		array_item(&schemas, tables[i].schema);
		array_item(&names, tables[i].table);
	}
	nsp_strbuf_append_char(&schemas, '}');
	nsp_strbuf_append_char(&names, '}');
	int rc = 0;
	PGconn *dst = NULL;
	if (nsp_strbuf_failed(&schemas) || nsp_strbuf_failed(&names)) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	} else if ((dst = connect_db(dest_url, "destination", NULL, err, errlen)) == NULL) {
		rc = -1;
	} else {
		const char *params[2] = {schemas.data, names.data};
		PGresult *res = PQexecParams(dst, existing, 2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && !PQgetisnull(res, 0, 0)) {
			PGresult *t = PQexec(dst, PQgetvalue(res, 0, 0));
			PQclear(res);
			res = t;
		}
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
			char detail[400];
			describe_failure(dst, res, detail, sizeof detail, NULL);
			snprintf(err, errlen, "truncating the destination tables before the copy failed: %s",
				 detail);
			rc = -1;
		}
		PQclear(res);
	}
	PQfinish(dst);
	nsp_strbuf_free(&schemas);
	nsp_strbuf_free(&names);
	return rc;
}

/* The tables with no row to copy: each is done (0 rows) when it exists on the destination, else it
 * fails as its COPY would have (42P01). */
static int settle_empty(hyd_shared *sh, char *err, size_t errlen)
{
	if (sh->nempty == 0)
		return 0;
	const char **schemas = calloc(sh->nempty, sizeof *schemas);
	const char **names = calloc(sh->nempty, sizeof *names);
	bool *missing = calloc(sh->nempty, sizeof *missing);
	int rc = -1;
	PGconn *dst = NULL;
	if (schemas == NULL || names == NULL || missing == NULL) {
		set_err(err, errlen, "out of memory");
	} else if ((dst = connect_db(sh->dst_url, "destination", sh->encoding, err, errlen)) != NULL) {
		for (size_t i = 0; i < sh->nempty; i++) {
			schemas[i] = sh->tables[sh->empty[i]].schema;
			names[i] = sh->tables[sh->empty[i]].table;
		}
		rc = nsp_hydrate_probe_missing(dst, schemas, names, sh->nempty, missing, err, errlen);
	}
	if (rc == 0) {
		for (size_t i = 0; i < sh->nempty; i++) {
			nsp_hydrate_table *t = &sh->tables[sh->empty[i]];
			if (missing[i])
				table_fail_msg(t, "42P01", "not found on the destination");
			else
				t->rows = 0;
			report_done(sh, t);
		}
	}
	PQfinish(dst);
	free(schemas);
	free(names);
	free(missing);
	return rc;
}

int nsp_hydrate_run(const char *source_url, const char *dest_url, nsp_hydrate_table *tables, size_t n,
                    unsigned parallelism, bool truncate_first, nsp_hydrate_progress_fn progress,
                    void *progress_ctx, int (*is_cancelled)(void *), void *cancel_ctx, char *err,
                    size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		tables[i].rows = -1;
		tables[i].bytes = 0;
		tables[i].seconds = 0;
		if (tables[i].error == NULL)
			tables[i].sqlstate[0] = '\0';
	}
	if (n == 0)
		return 0;

	hyd_shared sh;
	memset(&sh, 0, sizeof sh);
	sh.src_url = source_url;
	sh.dst_url = dest_url;
	sh.tables = tables;
	sh.n = n;
	sh.truncate_first = truncate_first;
	sh.progress = progress;
	sh.progress_ctx = progress_ctx;
	atomic_init(&sh.cancelled, 0);
	pthread_mutex_init(&sh.mu, NULL);
	pthread_mutex_init(&sh.progress_mu, NULL);
	pthread_cond_init(&sh.cv, NULL);
	int rc = -1;
	char fatal[512] = "";

	/* coordinator: export one snapshot, held until every copy has finished */
	PGconn *coord = connect_db(source_url, "source", NULL, fatal, sizeof fatal);
	if (coord == NULL)
		goto fatal_out;
	const char *enc = PQparameterStatus(coord, "server_encoding");
	snprintf(sh.encoding, sizeof sh.encoding, "%s", enc ? enc : "");
	sh.src_major = PQserverVersion(coord) / 10000;
	PGresult *res = PQexec(coord, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		res = PQexec(coord, "SELECT pg_catalog.pg_export_snapshot()");
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		char detail[400];
		describe_failure(coord, res, detail, sizeof detail, NULL);
		snprintf(fatal, sizeof fatal, "exporting the source snapshot failed: %s", detail);
		PQclear(res);
		goto fatal_out;
	}
	snprintf(sh.snapshot, sizeof sh.snapshot, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (order_by_size(coord, &sh, fatal, sizeof fatal) != 0)
		goto fatal_out;

	/* Truncate every table in one statement before any copy: TRUNCATE of one table at a time
	 * fails when another of the job's tables references it with a foreign key (a destination
	 * that keeps its keys), while one statement naming both is allowed. */
	if (truncate_first && truncate_all(dest_url, tables, n, fatal, sizeof fatal) != 0)
		goto fatal_out;
	sh.truncate_first = false;

	/* tables that failed while resolving count as finished */
	for (size_t i = 0; i < n; i++)
		if (tables[i].error != NULL)
			report_done(&sh, &tables[i]);
	if (settle_empty(&sh, fatal, sizeof fatal) != 0)
		goto fatal_out;

	unsigned nw = parallelism ? parallelism : NSP_HYDRATE_DEFAULT_PARALLELISM;
	if (nw > sh.norder)
		nw = (unsigned)sh.norder;
	sh.workers = calloc(nw ? nw : 1, sizeof *sh.workers);
	if (sh.workers == NULL) {
		snprintf(fatal, sizeof fatal, "out of memory");
		goto fatal_out;
	}
	sh.nworkers = nw;
	for (unsigned i = 0; i < nw; i++) {
		sh.workers[i].sh = &sh;
		pthread_mutex_lock(&sh.mu);
		sh.running++;
		pthread_mutex_unlock(&sh.mu);
		if (pthread_create(&sh.workers[i].thread, NULL, worker_main, &sh.workers[i]) != 0) {
			pthread_mutex_lock(&sh.mu);
			sh.running--;
			pthread_mutex_unlock(&sh.mu);
			snprintf(sh.workers[i].conn_err, sizeof sh.workers[i].conn_err, "cannot start a thread: %s",
			         strerror(errno));
			continue;
		}
		sh.workers[i].started = true;
	}

	/* wait, polling the cancellation probe */
	for (;;) {
		pthread_mutex_lock(&sh.mu);
		unsigned running = sh.running;
		if (running > 0) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += NSP_HYDRATE_POLL_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&sh.cv, &sh.mu, &until);
			running = sh.running;
		}
		pthread_mutex_unlock(&sh.mu);
		if (running == 0)
			break;
		if (is_cancelled != NULL && !atomic_load(&sh.cancelled) && is_cancelled(cancel_ctx)) {
			atomic_store(&sh.cancelled, 1);
			char buf[256];
			pthread_mutex_lock(&sh.mu);
			for (unsigned i = 0; i < nw; i++) {
				if (sh.workers[i].src_cancel != NULL)
					PQcancel(sh.workers[i].src_cancel, buf, sizeof buf);
				if (sh.workers[i].dst_cancel != NULL)
					PQcancel(sh.workers[i].dst_cancel, buf, sizeof buf);
			}
			pthread_mutex_unlock(&sh.mu);
		}
	}
	for (unsigned i = 0; i < nw; i++)
		if (sh.workers[i].started)
			pthread_join(sh.workers[i].thread, NULL);
	/* the snapshot is no longer needed */
	end_tx(coord, true);

	/* tables no worker took */
	if (sh.next < sh.norder) {
		const char *why = NULL;
		for (unsigned i = 0; i < nw && why == NULL; i++)
			if (sh.workers[i].conn_err[0] != '\0')
				why = sh.workers[i].conn_err;
		char msg[600];
		bool cancelled = atomic_load(&sh.cancelled) || (is_cancelled != NULL && is_cancelled(cancel_ctx));
		if (cancelled)
			snprintf(msg, sizeof msg, "cancelled before its copy started");
		else
			snprintf(msg, sizeof msg, "not copied: %s", why ? why : "no worker was available");
		for (size_t p = sh.next; p < sh.norder; p++) {
			nsp_hydrate_table *t = &tables[sh.order[p]];
			/* a connection error already carries its SQLSTATE in the text */
			table_fail_msg(t, cancelled ? "57014" : "", msg);
			if (!cancelled)
				snprintf(t->sqlstate, sizeof t->sqlstate, "08006");
			report_done(&sh, t);
		}
	}

	size_t failed = 0;
	const char *first = NULL;
	for (size_t i = 0; i < n; i++) {
		if (tables[i].error != NULL) {
			failed++;
			if (first == NULL)
				first = tables[i].error;
		}
	}
	if (failed == 0) {
		rc = 0;
	} else {
		set_err(err, errlen, "%zu of %zu tables failed%s; first: %s", failed, n,
		        atomic_load(&sh.cancelled) ? " (cancelled)" : "", first);
	}
	goto out;

fatal_out:
	set_err(err, errlen, "%s", fatal);
	fail_all(tables, n, fatal);
out:
	PQfinish(coord);
	free(sh.workers);
	free(sh.order);
	free(sh.empty);
	pthread_cond_destroy(&sh.cv);
	pthread_mutex_destroy(&sh.mu);
	pthread_mutex_destroy(&sh.progress_mu);
	return rc;
}

/* hydrate_empty - see hydrate_empty.h. */
#include "hydrate_empty.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Tables per query: a few hundred keep each statement small (tens of kB) and the planning of
 * its subqueries short, while 5 000 tables are still ten round trips. */
#define PROBE_CHUNK 500

static void probe_error(PGconn *conn, const PGresult *res, const char *what, char *err, size_t errlen)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (msg == NULL)
		msg = PQerrorMessage(conn);
	snprintf(err, errlen, "%s: SQLSTATE %s: %s", what, state ? state : "08006", msg);
	for (char *p = err; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* Run one statement that returns the 1-based positions (within the chunk) of the tables it
 * selects; mark[first + pos - 1] = true for each. */
static int run_positions(PGconn *conn, const char *sql, size_t first, size_t count, bool *mark,
			 const char *what, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		probe_error(conn, res, what, err, errlen);
		PQclear(res);
		return -1;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		long pos = strtol(PQgetvalue(res, r, 0), NULL, 10);
		if (pos >= 1 && (size_t)pos <= count)
			mark[first + (size_t)pos - 1] = true;
	}
	PQclear(res);
	return 0;
}

static bool exec_command(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok;
}

/* Writes the statement for tables [0, count) of a chunk; it returns their 1-based positions. */
typedef void (*chunk_sql_fn)(nsp_strbuf *sql, const char *const *schemas, const char *const *names, size_t count);

/* mark[i] = false, then true for each table a chunk's statement returns. */
static int run_chunks(PGconn *conn, const char *const *schemas, const char *const *names, size_t n,
		      chunk_sql_fn build, bool *mark, const char *what, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		mark[i] = false;
	int rc = 0;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	for (size_t first = 0; first < n && rc == 0; first += PROBE_CHUNK) {
		size_t count = n - first < PROBE_CHUNK ? n - first : PROBE_CHUNK;
		nsp_strbuf_reset(&sql);
		build(&sql, schemas + first, names + first, count);
		if (nsp_strbuf_failed(&sql)) {
			snprintf(err, errlen, "%s: out of memory", what);
			rc = -1;
		} else {
			rc = run_positions(conn, sql.data, first, count, mark, what, err, errlen);
		}
	}
	nsp_strbuf_free(&sql);
	return rc;
}

/* SELECT 1 WHERE EXISTS (SELECT FROM ONLY t1) UNION ALL SELECT 2 WHERE ... */
static void rows_sql(nsp_strbuf *sql, const char *const *schemas, const char *const *names, size_t count)
{
	for (size_t j = 0; j < count; j++) {
		nsp_strbuf_appendf(sql, "%sSELECT %zu WHERE EXISTS (SELECT FROM ONLY ", j ? " UNION ALL " : "", j + 1);
		nsp_strbuf_append_qualified(sql, schemas[j], names[j]);
		nsp_strbuf_append_char(sql, ')');
	}
}

/* The positions of the tables to_regclass does not find. */
static void missing_sql(nsp_strbuf *sql, const char *const *schemas, const char *const *names, size_t count)
{
	nsp_strbuf_append(sql, "SELECT x.pos FROM (VALUES ");
	for (size_t j = 0; j < count; j++) {
		nsp_strbuf_appendf(sql, "%s(%zu, ", j ? ", " : "", j + 1);
		nsp_strbuf_append_literal(sql, schemas[j]);
		nsp_strbuf_append(sql, "::pg_catalog.text, ");
		nsp_strbuf_append_literal(sql, names[j]);
		nsp_strbuf_append(sql, "::pg_catalog.text)");
	}
	nsp_strbuf_append(sql, ") AS x(pos, s, t) "
			       "WHERE pg_catalog.to_regclass(pg_catalog.format('%I.%I', x.s, x.t)) IS NULL");
}

int nsp_hydrate_probe_rows(PGconn *src, const char *const *schemas, const char *const *names, size_t n,
			   bool *has_rows, char *err, size_t errlen)
{
	static const char what[] = "probing the source tables for rows";
	if (n == 0)
		return 0;
	int rc = -1;
	if (!exec_command(src, "SAVEPOINT nsp_probe_rows")) {
		probe_error(src, NULL, what, err, errlen);
	} else {
		rc = run_chunks(src, schemas, names, n, rows_sql, has_rows, what, err, errlen);
		if (rc != 0)
			exec_command(src, "ROLLBACK TO SAVEPOINT nsp_probe_rows");
		if (!exec_command(src, "RELEASE SAVEPOINT nsp_probe_rows") && rc == 0) {
			probe_error(src, NULL, what, err, errlen);
			rc = -1;
		}
	}
	if (rc != 0) /* nothing proven: every table is copied */
		for (size_t i = 0; i < n; i++)
			has_rows[i] = true;
	return rc;
}

int nsp_hydrate_probe_missing(PGconn *dst, const char *const *schemas, const char *const *names,
			      size_t n, bool *missing, char *err, size_t errlen)
{
	return run_chunks(dst, schemas, names, n, missing_sql, missing,
			  "looking for the empty tables on the destination", err, errlen);
}

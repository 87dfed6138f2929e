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
 * selects; mark[first + pos - 1] = value for each. */
static int run_positions(PGconn *conn, const char *sql, size_t first, size_t count, bool *mark, bool value,
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
			mark[first + (size_t)pos - 1] = value;
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

int nsp_hydrate_probe_rows(PGconn *src, const char *const *schemas, const char *const *names, size_t n,
			   bool *has_rows, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		has_rows[i] = true;
	if (n == 0)
		return 0;
	if (!exec_command(src, "SAVEPOINT nsp_probe_rows")) {
		probe_error(src, NULL, "probing the source tables for rows", err, errlen);
		return -1;
	}
	int rc = 0;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	for (size_t first = 0; first < n && rc == 0; first += PROBE_CHUNK) {
		size_t count = n - first < PROBE_CHUNK ? n - first : PROBE_CHUNK;
		nsp_strbuf_reset(&sql);
		for (size_t j = 0; j < count; j++) {
			nsp_strbuf_appendf(&sql, "%sSELECT %zu WHERE EXISTS (SELECT FROM ONLY ", j ? " UNION ALL " : "",
					   j + 1);
			nsp_strbuf_append_qualified(&sql, schemas[first + j], names[first + j]);
			nsp_strbuf_append_char(&sql, ')');
		}
		for (size_t j = 0; j < count; j++)
			has_rows[first + j] = false;
		if (nsp_strbuf_failed(&sql)) {
			snprintf(err, errlen, "probing the source tables for rows: out of memory");
			rc = -1;
		} else {
			rc = run_positions(src, sql.data, first, count, has_rows, true,
					   "probing the source tables for rows", err, errlen);
		}
	}
	nsp_strbuf_free(&sql);
	if (rc != 0) {
		for (size_t i = 0; i < n; i++)
			has_rows[i] = true;
		exec_command(src, "ROLLBACK TO SAVEPOINT nsp_probe_rows");
	}
	if (!exec_command(src, "RELEASE SAVEPOINT nsp_probe_rows") && rc == 0) {
		for (size_t i = 0; i < n; i++)
			has_rows[i] = true;
		probe_error(src, NULL, "probing the source tables for rows", err, errlen);
		rc = -1;
	}
	return rc;
}

int nsp_hydrate_probe_missing(PGconn *dst, const char *const *schemas, const char *const *names,
			      size_t n, bool *missing, char *err, size_t errlen)
{
	int rc = 0;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	for (size_t i = 0; i < n; i++)
		missing[i] = false;
	for (size_t first = 0; first < n && rc == 0; first += PROBE_CHUNK) {
		size_t count = n - first < PROBE_CHUNK ? n - first : PROBE_CHUNK;
		nsp_strbuf_reset(&sql);
		nsp_strbuf_append(&sql, "SELECT x.pos FROM (VALUES ");
		for (size_t j = 0; j < count; j++) {
			nsp_strbuf_appendf(&sql, "%s(%zu, ", j ? ", " : "", j + 1);
			nsp_strbuf_append_literal(&sql, schemas[first + j]);
			nsp_strbuf_append(&sql, "::pg_catalog.text, ");
			nsp_strbuf_append_literal(&sql, names[first + j]);
			nsp_strbuf_append(&sql, "::pg_catalog.text)");
		}
		nsp_strbuf_append(&sql, ") AS x(pos, s, t) "
					"WHERE pg_catalog.to_regclass(pg_catalog.format('%I.%I', x.s, x.t)) IS NULL");
		if (nsp_strbuf_failed(&sql)) {
			snprintf(err, errlen, "looking for the empty tables on the destination: out of memory");
			rc = -1;
		} else {
			rc = run_positions(dst, sql.data, first, count, missing, true,
					   "looking for the empty tables on the destination", err, errlen);
		}
	}
	nsp_strbuf_free(&sql);
	return rc;
}

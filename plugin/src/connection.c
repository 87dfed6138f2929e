#include "connection.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "redact.h"

#define EC(x) NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_##x

int nsp_conn_check_url(const char *url, const char *what, nsp_error *err)
{
	if (url == NULL || url[0] == '\0')
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INVALID_ARGUMENT,
				     "%s connection: no URL given (set %s.postgres.url)", what, what);
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &perr);
	if (opts == NULL) {
		/* libpq's parse message may quote the whole URI, password included
		 * ('... in URI: "postgresql://u:pw@..."'): keep only what it says before the first
		 * quote, on its first line. */
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", perr ? perr : "invalid syntax");
		msg[strcspn(msg, "\"\n")] = '\0';
		size_t n = strlen(msg);
		while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == ':'))
			msg[--n] = '\0';
		PQfreemem(perr);
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INVALID_ARGUMENT,
				     "%s connection string is invalid: %s", what, msg);
	}
	PQconninfoFree(opts);
	return 0;
}

int nsp_conn_open(const char *url, const char *what, unsigned connect_timeout_s, PGconn **out,
		  nsp_error *err)
{
	*out = NULL;
	if (nsp_conn_check_url(url, what, err) != 0)
		return -1;
	char timeout[16];
	snprintf(timeout, sizeof(timeout), "%u", connect_timeout_s ? connect_timeout_s : 10);
	/* dbname carries the whole URL/conninfo (expand_dbname); later keywords add to it. */
	const char *keys[] = {"dbname", "connect_timeout", "application_name", "client_encoding", NULL};
	const char *vals[] = {url, timeout, "neosync-schema-plugin", "UTF8", NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL)
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_CONNECTION,
				     "%s connection: out of memory", what);
	if (PQstatus(conn) != CONNECTION_OK) {
		char where[256];
		nsp_redact_conninfo(url, where, sizeof(where));
		char msg[600];
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
		size_t n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		PQfinish(conn);
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_CONNECTION,
				     "cannot connect to the %s (%s): %s", what, where, msg);
	}
	*out = conn;
	return 0;
}

int nsp_conn_exec(PGconn *conn, const char *sql, const char *context, nsp_error *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		nsp_error_set_pg(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED, context, res, conn);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int nsp_conn_exec_simple(PGconn *conn, const char *sql, nsp_error *err)
{
	char context[64];
	snprintf(context, sizeof(context), "running %s on the destination", sql);
	return nsp_conn_exec(conn, sql, context, err);
}

int nsp_verify_source_version(int v, nsp_error *err)
{
	if (v >= NSP_SOURCE_VERSION_MIN && v <= NSP_SOURCE_VERSION_MAX)
		return 0;
	if (v <= 0)
		return nsp_error_set(err, EC(CONNECTION),
				     "source: the server did not report its version; nothing was read");
	return nsp_error_set(err, EC(INVALID_ARGUMENT),
			     "source: PostgreSQL %d.%d is %s than this plugin's catalog queries know "
			     "(PostgreSQL 12 to 19); nothing was read or changed. %s",
			     v >= 100000 ? v / 10000 : v / 10000, v >= 100000 ? v % 10000 : (v / 100) % 100,
			     v > NSP_SOURCE_VERSION_MAX ? "newer" : "older",
			     v > NSP_SOURCE_VERSION_MAX
				     ? "Use a plugin version that supports it"
				     : "Upgrade the source, or copy the schema with pg_dump");
}

/* One row: system identifier ('' when the role may not read it), database, postmaster start
 * time, port. */
static const char identity_sql[] =
	"SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', "
	"'EXECUTE') THEN (SELECT s.system_identifier::pg_catalog.text FROM "
	"pg_catalog.pg_control_system() s) ELSE '' END, pg_catalog.current_database(), "
	"pg_catalog.pg_postmaster_start_time()::pg_catalog.text, "
	"pg_catalog.current_setting('port')";

static int read_identity(PGconn *conn, const char *what, char out[4][128], nsp_error *err)
{
	PGresult *res = PQexec(conn, identity_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		char context[96];
		snprintf(context, sizeof(context), "reading which database the %s is", what);
		nsp_error_set_pg(err, EC(CONNECTION), context, res, conn);
		PQclear(res);
		return -1;
	}
	for (int c = 0; c < 4; c++)
		snprintf(out[c], 128, "%s", PQgetvalue(res, 0, c));
	PQclear(res);
	return 0;
}

int nsp_verify_distinct_databases(PGconn *dst, const char *source_url, unsigned connect_timeout_s,
				  nsp_error *err)
{
	PGconn *src = NULL;
	if (nsp_conn_open(source_url, "source", connect_timeout_s, &src, err) != 0)
		return -1;
	char a[4][128], b[4][128];
	int rc = read_identity(src, "source", a, err);
	PQfinish(src);
	if (rc == 0)
		rc = read_identity(dst, "destination", b, err);
	if (rc != 0)
		return -1;
	bool same_cluster = a[0][0] != '\0' && b[0][0] != '\0'
				    ? strcmp(a[0], b[0]) == 0
				    : strcmp(a[2], b[2]) == 0 && strcmp(a[3], b[3]) == 0;
	if (same_cluster && strcmp(a[1], b[1]) == 0)
		return nsp_error_set(err, EC(INVALID_ARGUMENT),
				     "the source and the destination are the same database (\"%s\" on the "
				     "same PostgreSQL cluster): refused, nothing was changed. Point "
				     "destination.postgres.url at another database",
				     a[1]);
	return 0;
}

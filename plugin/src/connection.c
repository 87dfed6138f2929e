#include "connection.h"

#include <stdio.h>
#include <string.h>

#include "redact.h"

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

/* connection - the libpq seam: opening source and destination connections with bounded connect
 * time, a recognizable application_name, and errors that never show a password. */
#ifndef NSP_CONNECTION_H
#define NSP_CONNECTION_H

#include <libpq-fe.h>

#include "error.h"

/* `what` names the connection in errors ("source", "destination"). connect_timeout_s 0 = 10. */
int nsp_conn_open(const char *url, const char *what, unsigned connect_timeout_s, PGconn **out,
		  nsp_error *err);
/* Run a command that returns no rows; sets err (with `context`) on failure. */
int nsp_conn_exec(PGconn *conn, const char *sql, const char *context, nsp_error *err);
/* Run a transaction-control command (BEGIN, COMMIT) whose failure is an internal error. */
int nsp_conn_exec_simple(PGconn *conn, const char *sql, nsp_error *err);
/* Check that a connection string parses, without connecting. */
int nsp_conn_check_url(const char *url, const char *what, nsp_error *err);

#endif

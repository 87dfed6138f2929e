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

/* --- refusing the wrong server ------------------------------------------------------------- */

/* Sources the catalog queries are written for: PostgreSQL 12 to 19 (19 as its release
 * candidate: the version matrix, tests/integration/test_major_matrix.sh, copies 19 -> 19 and
 * 19 -> 18 with parity). A newer major is refused until its catalog is checked the same way. */
#define NSP_SOURCE_VERSION_MIN 120000
#define NSP_SOURCE_VERSION_MAX 199999

/* Refuse a source server the catalog queries do not know (server_version_num). */
int nsp_verify_source_version(int server_version_num, nsp_error *err);

/* Refuse a job whose source and destination are the same database: same cluster (system
 * identifier from pg_control_system() where the role may read it, else the postmaster's start
 * time and port) and same database name. Opens a short connection to the source. A physical
 * standby of the destination counts as the same database (writes to one reach the other). */
int nsp_verify_distinct_databases(PGconn *dst, const char *source_url, unsigned connect_timeout_s,
				  nsp_error *err);

#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "connection.h"
#include "strbuf.h"

unsigned nsp_session_parallelism(const Neosync__Plugin__V1__SchemaPluginOptions *opts)
{
	if (opts != NULL && opts->parallelism > 0)
		return opts->parallelism;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 1)
		cores = 1;
	return cores > 8 ? 8u : (unsigned)cores;
}


static int run_settings(PGconn *conn, const char *sql, nsp_error *err)
{
	PGresult *res = PQexec(conn, sql);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = nsp_error_set_pg(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED,
				      "preparing the destination session", res, conn);
	PQclear(res);
	return rc;
}

/* Index builds sort in maintenance_work_mem; N builds run at once, so each gets a share of a
 * budget derived from shared_buffers (the one memory figure the server tells a client): four
 * times shared_buffers split across the connections, between 64 MB and 2 GB each. When several
 * steps run at once, the parallelism is ours, so PostgreSQL's parallel workers (index builds,
 * the anti-join that validates a foreign key) would only compete with them; apply_post.c gives
 * them back to the steps at the tail of the run. */
static int build_settings(PGconn *conn, unsigned parallelism, nsp_strbuf *sql, nsp_error *err)
{
	PGresult *res = PQexec(conn, "SELECT pg_catalog.current_setting('shared_buffers'), "
				     "pg_catalog.pg_size_bytes(pg_catalog.current_setting('shared_buffers'))");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		nsp_error_set_pg(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED,
				 "reading the destination's shared_buffers", res, conn);
		PQclear(res);
		return -1;
	}
	long long shared = atoll(PQgetvalue(res, 0, 1));
	PQclear(res);
	long long mb = shared * 4 / (long long)(parallelism ? parallelism : 1) / (1024 * 1024);
	if (mb < 64)
		mb = 64;
	if (mb > 2048)
		mb = 2048;
	nsp_strbuf_appendf(sql, "SET maintenance_work_mem = '%lldMB';", mb);
	if (parallelism > 1)
		nsp_strbuf_append(sql, "SET max_parallel_maintenance_workers = 0;"
				       "SET max_parallel_workers_per_gather = 0;");
	nsp_strbuf_append(sql, "SET synchronous_commit = off;");
	return 0;
}

int nsp_session_open(const char *url, const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		     bool build, unsigned parallelism, PGconn **out, nsp_error *err)
{
	*out = NULL;
	PGconn *conn = NULL;
	if (nsp_conn_open(url, "destination", opts ? opts->connect_timeout_s : 0, &conn, err) != 0)
		return -1;
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	unsigned lock_timeout = opts && opts->lock_timeout_ms ? opts->lock_timeout_ms : 10000u;
	nsp_strbuf_appendf(&sql,
			   "SELECT pg_catalog.set_config('search_path', '', false);"
			   "SET check_function_bodies = false; SET client_min_messages = warning;"
			   "SET lock_timeout = %u; SET statement_timeout = %u; SET row_security = off;"
			   "SET idle_in_transaction_session_timeout = 0;",
			   lock_timeout, opts ? opts->statement_timeout_ms : 0u);
	int rc = 0;
	if (build)
		rc = build_settings(conn, parallelism, &sql, err);
	else /* DDL and catalog probes only: JIT would compile the probe for longer than it runs */
		nsp_strbuf_append(&sql, "SET jit = off;");
	/* The user's settings last, so they override ours. */
	for (size_t i = 0; rc == 0 && opts != NULL && i < opts->n_session_settings; i++) {
		nsp_strbuf_append(&sql, "SELECT pg_catalog.set_config(");
		nsp_strbuf_append_literal(&sql, opts->session_settings[i]->key);
		nsp_strbuf_append(&sql, ", ");
		nsp_strbuf_append_literal(&sql, opts->session_settings[i]->value);
		nsp_strbuf_append(&sql, ", false);");
	}
	if (rc == 0 && nsp_strbuf_failed(&sql))
		rc = nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory");
	if (rc == 0)
		rc = run_settings(conn, sql.data, err);
	nsp_strbuf_free(&sql);
	if (rc != 0) {
		PQfinish(conn);
		return -1;
	}
	*out = conn;
	return 0;
}

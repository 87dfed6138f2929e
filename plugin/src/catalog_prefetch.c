/* catalog_prefetch - the heaviest catalog queries run ahead, on a second source session.
 *
 * At thousands of tables the constraints and indexes queries take most of the catalog's time
 * (pg_get_constraintdef and pg_get_indexdef for every row; 0.6 s of 1.3 s at 5 000 tables),
 * while the session that reads the rest waits for its own. The second session adopts the
 * first one's snapshot (pg_export_snapshot, SET TRANSACTION SNAPSHOT: what pg_dump -j does), so
 * both read the same catalog state, and runs those queries, in one round trip, while the
 * loaders before them run on the first session. Their loaders then find the results waiting:
 * the model is built in the same order from the same rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "connection.h"

struct nsp_catalog_prefetch {
	PGconn *conn;
	size_t n;    /* queries sent */
	size_t next; /* the next one whose result is waiting */
};

static bool exec_ok(PGconn *conn, const char *sql, char *out, size_t outlen)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (ok && out != NULL)
		ok = PQntuples(res) == 1 && snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0)) < (int)outlen;
	PQclear(res);
	return ok;
}

struct nsp_catalog_prefetch *nsp_catalog_prefetch_start(nsp_catalog_ctx *ctx, const char *url,
							const char *const *sql, size_t n)
{
	if (n == 0)
		return NULL;
	/* Only for large catalogs (pg_class's own row estimate, free to read): for a small one a
	 * second connection costs more than it saves (a remote TLS connection: tens of ms). A
	 * standby may not export snapshots: there the first session reads everything. */
	char skip[8], snapshot[128];
	if (!exec_ok(ctx->conn,
		     "SELECT pg_catalog.pg_is_in_recovery() OR c.reltuples < 2000 "
		     "FROM pg_catalog.pg_class c WHERE c.oid = 'pg_catalog.pg_class'::pg_catalog.regclass",
		     skip, sizeof(skip)) ||
	    skip[0] != 'f' ||
	    !exec_ok(ctx->conn, "SELECT pg_catalog.pg_export_snapshot()", snapshot, sizeof(snapshot)))
		return NULL;
	struct nsp_catalog_prefetch *pf = calloc(1, sizeof(*pf));
	if (pf == NULL)
		return NULL;
	pf->n = n;
	nsp_error open_err;
	nsp_error_clear(&open_err);
	if (nsp_conn_open(url, "source", ctx->options ? ctx->options->connect_timeout_s : 0, &pf->conn,
			  &open_err) != 0) {
		free(pf); /* e.g. no connection slot left: not an error, only slower */
		return NULL;
	}
	char settings[256], begin[512];
	nsp_catalog_settings(ctx->options, settings, sizeof(settings));
	/* The snapshot id is the server's own text (hex digits and dashes): no quoting needed. */
	snprintf(begin, sizeof(begin),
		 "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '%s';%s",
		 snapshot, settings);
	nsp_strbuf all;
	nsp_strbuf_init(&all);
	for (size_t i = 0; i < n; i++)
		nsp_strbuf_appendf(&all, "%s;", sql[i]);
	if (nsp_strbuf_failed(&all) || !exec_ok(pf->conn, begin, NULL, 0) ||
	    !PQsendQuery(pf->conn, all.data)) {
		nsp_strbuf_free(&all);
		PQfinish(pf->conn);
		free(pf);
		return NULL;
	}
	nsp_strbuf_free(&all);
	return pf;
}

PGresult *nsp_catalog_prefetch_take(struct nsp_catalog_prefetch *pf, PGconn **conn)
{
	if (pf == NULL || pf->next >= pf->n)
		return NULL;
	pf->next++;
	*conn = pf->conn;
	return PQgetResult(pf->conn);
}

void nsp_catalog_prefetch_end(struct nsp_catalog_prefetch *pf)
{
	if (pf == NULL)
		return;
	/* Results no loader took (a loader failed first), then the end of the query. */
	PGresult *res;
	while ((res = PQgetResult(pf->conn)) != NULL)
		PQclear(res);
	PQfinish(pf->conn); /* ends its read-only transaction */
	free(pf);
}

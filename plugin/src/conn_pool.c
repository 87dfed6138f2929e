/* conn_pool - see conn_pool.h. */
#include "conn_pool.h"

#include <stdlib.h>

int nsp_pool_init(nsp_pool *p, unsigned cap)
{
	*p = (nsp_pool){0};
	unsigned c = cap ? cap : 1;
	p->conn = calloc(c, sizeof(*p->conn));
	p->busy = calloc(c, sizeof(*p->busy));
	p->owned = calloc(c, sizeof(*p->owned));
	p->fds = calloc(c, sizeof(*p->fds));
	p->who = calloc(c, sizeof(*p->who));
	if (p->conn == NULL || p->busy == NULL || p->owned == NULL || p->fds == NULL || p->who == NULL) {
		nsp_pool_close(p);
		return -1;
	}
	p->cap = c;
	return 0;
}

int nsp_pool_add(nsp_pool *p, PGconn *conn, bool owned)
{
	if (p->n >= p->cap)
		return -1;
	p->conn[p->n] = conn;
	p->busy[p->n] = false;
	p->owned[p->n] = owned;
	return (int)p->n++;
}

bool nsp_pool_send(nsp_pool *p, unsigned i, const char *sql)
{
	if (i >= p->n || p->busy[i] || !PQsendQuery(p->conn[i], sql))
		return false;
	p->busy[i] = true;
	return true;
}

bool nsp_pool_any_busy(const nsp_pool *p)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->busy[i])
			return true;
	return false;
}

/* Read what connection i has; hand out each complete result, then the end of the round trip. */
static void collect(nsp_pool *p, unsigned i, const nsp_pool_events *ev, void *ctx)
{
	PGconn *conn = p->conn[i];
	if (!PQconsumeInput(conn)) {
		p->busy[i] = false;
		ev->on_end(ctx, i, true);
		return;
	}
	while (!PQisBusy(conn)) {
		PGresult *res = PQgetResult(conn);
		if (res == NULL) {
			p->busy[i] = false;
			ev->on_end(ctx, i, false);
			return;
		}
		ev->on_result(ctx, i, res);
		PQclear(res);
	}
}

void nsp_pool_wait(nsp_pool *p, int timeout_ms, const nsp_pool_events *ev, void *ctx)
{
	nfds_t nfds = 0;
	for (unsigned i = 0; i < p->n; i++) {
		if (!p->busy[i])
			continue;
		p->fds[nfds] = (struct pollfd){.fd = PQsocket(p->conn[i]), .events = POLLIN};
		p->who[nfds++] = i;
	}
	if (nfds > 0 && poll(p->fds, nfds, timeout_ms) > 0)
		for (nfds_t f = 0; f < nfds; f++)
			if (p->fds[f].revents != 0 && p->busy[p->who[f]])
				collect(p, p->who[f], ev, ctx);
}

void nsp_pool_cancel(nsp_pool *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		if (!p->busy[i])
			continue;
		PGcancel *c = PQgetCancel(p->conn[i]);
		if (c != NULL) {
			char buf[256];
			PQcancel(c, buf, sizeof(buf));
			PQfreeCancel(c);
		}
	}
}

void nsp_pool_close(nsp_pool *p)
{
	for (unsigned i = 0; p->conn != NULL && i < p->n; i++)
		if (p->owned[i] && p->conn[i] != NULL)
			PQfinish(p->conn[i]);
	free(p->conn);
	free(p->busy);
	free(p->owned);
	free(p->fds);
	free(p->who);
	*p = (nsp_pool){0};
}

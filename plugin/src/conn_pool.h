/* conn_pool - N asynchronous libpq connections driven by one thread: send a query string,
 * collect its results as they come, cancel what runs, close. Both executors use it: post-sync
 * (apply_post.c, steps chosen by post_sched.c) and pre-sync's waves (apply_pre_waves.c). They
 * decide what to send and what a result means; this file only moves bytes, as pg_restore keeps
 * parallel.c's workers apart from its scheduler. No threads: the host's process is not ours. */
#ifndef NSP_CONN_POOL_H
#define NSP_CONN_POOL_H

#include <libpq-fe.h>
#include <poll.h>
#include <stdbool.h>

/* What the pool tells its user about connection i. */
typedef struct nsp_pool_events {
	/* One result of the round trip in flight (the pool clears it afterwards). */
	void (*on_result)(void *ctx, unsigned i, PGresult *res);
	/* The round trip is over: every result came (lost false), or the connection broke (lost
	 * true: no more results; PQerrorMessage says why). The connection is idle again. */
	void (*on_end)(void *ctx, unsigned i, bool lost);
} nsp_pool_events;

typedef struct nsp_pool {
	PGconn **conn;
	bool *busy;  /* a round trip is in flight */
	bool *owned; /* closed by the pool */
	struct pollfd *fds; /* nsp_pool_wait's poll set, sized once for cap connections */
	unsigned *who;      /* the connection of each fds entry */
	unsigned n, cap;
} nsp_pool;

/* Room for `cap` connections. -1 when out of memory. */
int nsp_pool_init(nsp_pool *p, unsigned cap);
/* Add a connection (owned: PQfinish'ed by nsp_pool_close). Returns its index, -1 when full. */
int nsp_pool_add(nsp_pool *p, PGconn *conn, bool owned);
/* Send a query string on idle connection i. false when libpq refused it (nothing in flight). */
bool nsp_pool_send(nsp_pool *p, unsigned i, const char *sql);
/* Whether any connection has a round trip in flight. */
bool nsp_pool_any_busy(const nsp_pool *p);
/* Wait up to timeout_ms for input on the busy connections and hand out what came. Returns at
 * once when none is busy. The timeout bounds how late the caller sees a cancellation. */
void nsp_pool_wait(nsp_pool *p, int timeout_ms, const nsp_pool_events *ev, void *ctx);
/* Ask the server to cancel every round trip in flight (their results still come, as errors). */
void nsp_pool_cancel(nsp_pool *p);
/* Close the owned connections and free the pool. */
void nsp_pool_close(nsp_pool *p);

#endif

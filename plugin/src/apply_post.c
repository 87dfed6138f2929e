/* Post-sync: the plan's post-sync steps as a DAG on N destination connections.
 *
 * One thread drives all connections through libpq's asynchronous API (PQsendQuery, poll on
 * the sockets, PQconsumeInput): no threads inside the host's process, no locking of our own,
 * and cancellation is one loop away (PQcancel on every busy connection). The database does the
 * work; the loop only waits.
 *
 * Scheduling: a step is ready when every post-sync step it depends on has applied (or was
 * already there). Among ready steps the one with the longest chain of work still behind it
 * starts first (critical path: its own work plus the longest chain of its dependents, work
 * being the bytes of the table a step reads or builds from), so that a primary key whose
 * foreign keys must then be validated is not built last, nor the longest builds. Steps that
 * only change the catalog (attach a built index, add a key USING INDEX or a foreign key NOT
 * VALID) run as soon as they can. A step never starts while a running
 * step holds a lock on one of its relations in a conflicting mode (PostgreSQL's lock conflict
 * table): plain CREATE INDEXes of one table (SHARE) run together, ALTER TABLEs of one table
 * (ACCESS EXCLUSIVE) one at a time; so no step of the plan ever waits for another.
 *
 * A failed step stops only the steps that depend on it: they are skipped, naming it. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "destination.h"
#include "handle.h"
#include "strbuf.h"

#define ST(x) NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_##x
#define K(x) NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_##x
#define POST NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC
#define FK(x) NEOSYNC__PLUGIN__V1__FK_MODE__FK_MODE_##x

typedef enum { WAITING, READY, RUNNING, DONE } step_state;

typedef struct node {
	const Neosync__Plugin__V1__Step *s;
	Neosync__Plugin__V1__StepResult *r;
	step_state state;
	bool satisfied;     /* applied or already there: dependents may run */
	size_t unmet;       /* post-sync dependencies not yet satisfied */
	size_t *dependents; /* nodes that depend on this one */
	size_t ndependents;
	uint64_t priority;  /* critical path: own work + the longest chain of dependents' work */
	bool priced;
} node;

typedef struct ready_item {
	bool catalog_only; /* no work of its own: runs first (it takes no time, and may unlock others) */
	uint64_t priority; /* of its node */
	size_t n;
} ready_item;

typedef struct slot {
	PGconn *conn;
	long running; /* node index, -1 when idle */
	unsigned workers; /* max_parallel_maintenance_workers the session has now */
	unsigned gather;  /* max_parallel_workers_per_gather the session has now */
	uint64_t started;
	bool failed_result_seen;
} slot;

typedef struct exec {
	nsp_plugin *h;
	const Neosync__Plugin__V1__SchemaPluginOptions *opts;
	node *nodes;
	size_t n;
	struct ready_item *ready;
	size_t nready;
	bool ready_sorted;
	slot *slots;
	unsigned nslots;
	size_t done, total;
	bool cancel_sent;
	bool dynamic_workers; /* the user did not set max_parallel_maintenance_workers */
	bool dynamic_gather;  /* the user did not set max_parallel_workers_per_gather */
} exec;

/* PostgreSQL's table lock conflict matrix: bit m of conflicts[k] is set when mode k conflicts
 * with mode m (LockMode numbering: 1 = ACCESS SHARE ... 8 = ACCESS EXCLUSIVE). */
static bool modes_conflict(int a, int b)
{
	static const unsigned short conflicts[9] = {
		0x000,
		0x100, /* ACCESS SHARE: ACCESS EXCLUSIVE */
		0x180, /* ROW SHARE: EXCLUSIVE, ACCESS EXCLUSIVE */
		0x1e0, /* ROW EXCLUSIVE: SHARE and stronger */
		0x1f0, /* SHARE UPDATE EXCLUSIVE: itself and stronger */
		0x1d8, /* SHARE: ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE, SHARE ROW EXCLUSIVE and stronger */
		0x1f8, /* SHARE ROW EXCLUSIVE: ROW EXCLUSIVE and stronger */
		0x1fc, /* EXCLUSIVE: ROW SHARE and stronger */
		0x1fe, /* ACCESS EXCLUSIVE: everything */
	};
	if (a < 1 || a > 8 || b < 1 || b > 8)
		return false;
	return (conflicts[a] >> b) & 1u;
}

static bool steps_conflict(const Neosync__Plugin__V1__Step *a, const Neosync__Plugin__V1__Step *b)
{
	for (size_t i = 0; i < a->n_locks; i++)
		for (size_t j = 0; j < b->n_locks; j++)
			if (strcmp(a->locks[i]->relation, b->locks[j]->relation) == 0 &&
			    modes_conflict(a->locks[i]->mode, b->locks[j]->mode))
				return true;
	return false;
}

static bool can_start(const exec *x, size_t n)
{
	for (unsigned i = 0; i < x->nslots; i++)
		if (x->slots[i].running >= 0 && steps_conflict(x->nodes[x->slots[i].running].s, x->nodes[n].s))
			return false;
	return true;
}

/* Steps without work of their own first, then the longest remaining chain of work, then plan
 * order. */
static int ready_cmp(const void *pa, const void *pb)
{
	const ready_item *a = pa, *b = pb;
	if (a->catalog_only != b->catalog_only)
		return a->catalog_only ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	return a->n < b->n ? -1 : (a->n > b->n);
}

static void finish(exec *x, size_t n);
static uint64_t step_work(const Neosync__Plugin__V1__Step *s);

static void make_ready(exec *x, size_t n)
{
	x->nodes[n].state = READY;
	x->ready[x->nready].priority = x->nodes[n].priority;
	x->ready[x->nready].catalog_only = step_work(x->nodes[n].s) == 0;
	x->ready[x->nready++].n = n;
	x->ready_sorted = false;
}

/* A node that will not run: mark it and, transitively, every node that depends on it. */
static void skip(exec *x, size_t n, const char *reason)
{
	node *nd = &x->nodes[n];
	if (nd->state == DONE)
		return;
	nd->r->status = ST(SKIPPED);
	nsp_result_set_message(nd->r, reason);
	finish(x, n);
}

/* A node reached its outcome: release or skip its dependents. */
static void finish(exec *x, size_t n)
{
	node *nd = &x->nodes[n];
	if (nd->state == READY) {
		/* Settled before it ran (already there, skipped): it must not start later. */
		for (size_t i = 0; i < x->nready; i++)
			if (x->ready[i].n == n) {
				x->ready[i] = x->ready[--x->nready];
				x->ready_sorted = false;
				break;
			}
	}
	nd->state = DONE;
	nd->satisfied = nd->r->status == ST(APPLIED) || nd->r->status == ST(UNCHANGED);
	x->done++;
	nsp_progress(x->h, POST, nd->s->id, nd->s->identity, nd->r->status, (uint32_t)x->done,
		     (uint32_t)x->total, NULL);
	char reason[600];
	const char *what = nd->r->status == ST(FAILED)     ? "failed"
			   : nd->r->status == ST(CONFLICT) ? "is a conflict"
							   : "was skipped";
	snprintf(reason, sizeof(reason), "depends on step %u (%s), which %s", nd->s->id,
		 nd->s->identity, what);
	for (size_t d = 0; d < nd->ndependents; d++) {
		size_t dep = nd->dependents[d];
		if (x->nodes[dep].state == DONE)
			continue;
		if (!nd->satisfied)
			skip(x, dep, reason);
		else if (--x->nodes[dep].unmet == 0 && x->nodes[dep].state == WAITING)
			make_ready(x, dep);
	}
}

static bool is_validate(const Neosync__Plugin__V1__Step *s)
{
	return s->kind == K(FOREIGN_KEY) && strstr(s->sql, " VALIDATE CONSTRAINT ") != NULL;
}

/* fk_mode not_valid_on_violation: count the rows that violate a foreign key (MATCH SIMPLE: rows
 * whose key columns are all non-null and match no referenced row), on the step's connection. */
static long long count_fk_violations(PGconn *conn, const Neosync__Plugin__V1__Step *s)
{
	static const char sql[] =
		"SELECT pg_catalog.format('SELECT count(*) FROM %s c WHERE %s AND NOT EXISTS "
		"(SELECT 1 FROM %s p WHERE %s)', k.conrelid::pg_catalog.regclass, "
		"pg_catalog.string_agg(pg_catalog.format('c.%I IS NOT NULL', a.attname), ' AND '), "
		"k.confrelid::pg_catalog.regclass, "
		"pg_catalog.string_agg(pg_catalog.format('p.%I = c.%I', fa.attname, a.attname), ' AND ')) "
		"FROM pg_catalog.pg_constraint k, unnest(k.conkey, k.confkey) u(ck, fk), "
		"pg_catalog.pg_attribute a, pg_catalog.pg_attribute fa "
		"WHERE k.conrelid = pg_catalog.to_regclass($1) AND k.conname = $2 AND k.contype = 'f' "
		"AND a.attrelid = k.conrelid AND a.attnum = u.ck AND fa.attrelid = k.confrelid "
		"AND fa.attnum = u.fk GROUP BY k.conrelid, k.confrelid";
	const char *params[2] = {s->table, s->name};
	PGresult *res = PQexecParams(conn, sql, 2, NULL, params, NULL, NULL, 0);
	long long count = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		PGresult *c = PQexec(conn, PQgetvalue(res, 0, 0));
		if (PQresultStatus(c) == PGRES_TUPLES_OK && PQntuples(c) == 1)
			count = atoll(PQgetvalue(c, 0, 0));
		PQclear(c);
	}
	PQclear(res);
	return count;
}

static void on_step_done(exec *x, slot *sl)
{
	size_t n = (size_t)sl->running;
	node *nd = &x->nodes[n];
	nd->r->duration_us = nsp_now_us() - sl->started;
	sl->running = -1;
	if (nd->r->status == ST(FAILED)) {
		const char *state = nd->r->sqlstate;
		if (x->cancel_sent && strcmp(state, "57014") == 0) {
			nd->r->status = ST(SKIPPED);
			nsp_result_set_message(nd->r, "cancelled while running");
		} else if (nsp_sqlstate_is_duplicate(state) && nd->s->kind != K(FOREIGN_KEY)) {
			/* Kinds the probe cannot check: already there from an earlier run. */
			nd->r->status = ST(UNCHANGED);
			nsp_result_set_message(nd->r, "already exists on the destination");
		} else if (is_validate(nd->s) && strcmp(state, "23503") == 0 && x->opts &&
			   x->opts->fk_mode == FK(NOT_VALID_ON_VIOLATION)) {
			long long count = count_fk_violations(sl->conn, nd->s);
			char msg[900];
			snprintf(msg, sizeof(msg),
				 "kept NOT VALID (fkMode not_valid_on_violation): %lld row(s) violate it; %s",
				 count, nd->r->message);
			nd->r->status = ST(SKIPPED);
			nd->r->violation_count = count;
			nsp_result_set_message(nd->r, msg);
		}
	}
	finish(x, n);
}

static void start_step(exec *x, slot *sl, size_t n)
{
	node *nd = &x->nodes[n];
	nd->state = RUNNING;
	nd->r->status = ST(APPLIED);
	sl->running = (long)n;
	sl->started = nsp_now_us();
	sl->failed_result_seen = false;
	nsp_progress(x->h, POST, nd->s->id, nd->s->identity, ST(UNSPECIFIED), (uint32_t)x->done,
		     (uint32_t)x->total, "started");
	/* PostgreSQL's parallel workers only when nothing else waits to run: at the tail of the
	 * run, idle connections' cores go to the steps still running. Before that every core has a
	 * step of ours, and workers would only add their overhead: a foreign key's validating
	 * anti-join of 400 000 rows took 0.53 s of CPU alone and about 0.9 s with two workers
	 * (the sessions start with none of either kind when parallelism > 1). */
	char prefix[160] = "";
	if (x->nslots > 1 && (x->dynamic_workers || x->dynamic_gather)) {
		unsigned idle = 0;
		for (unsigned i = 0; i < x->nslots; i++)
			idle += x->slots[i].conn != NULL && x->slots[i].running < 0;
		unsigned workers = x->nready == 0 ? (idle > 8 ? 8 : idle) : 0;
		size_t len = 0;
		if (x->dynamic_workers && nd->s->kind == K(INDEX) && workers != sl->workers) {
			len += (size_t)snprintf(prefix + len, sizeof(prefix) - len,
						"SET max_parallel_maintenance_workers = %u;", workers);
			sl->workers = workers;
		}
		if (x->dynamic_gather && nd->s->kind != K(INDEX) && workers != sl->gather) {
			snprintf(prefix + len, sizeof(prefix) - len,
				 "SET max_parallel_workers_per_gather = %u;", workers);
			sl->gather = workers;
		}
	}
	int sent;
	if (prefix[0] != '\0') {
		nsp_strbuf q;
		nsp_strbuf_init(&q);
		nsp_strbuf_append(&q, prefix);
		nsp_strbuf_append(&q, nd->s->sql);
		sent = !nsp_strbuf_failed(&q) && PQsendQuery(sl->conn, q.data);
		nsp_strbuf_free(&q);
	} else {
		sent = PQsendQuery(sl->conn, nd->s->sql);
	}
	if (!sent) {
		nsp_result_set_pg_error(nd->r, NULL, sl->conn);
		on_step_done(x, sl);
	}
}

/* Start ready steps on idle connections, largest first, skipping lock conflicts. */
static void schedule(exec *x)
{
	for (unsigned i = 0; i < x->nslots && x->nready > 0; i++) {
		slot *sl = &x->slots[i];
		if (sl->running >= 0 || sl->conn == NULL)
			continue;
		if (!x->ready_sorted) {
			qsort(x->ready, x->nready, sizeof(*x->ready), ready_cmp);
			x->ready_sorted = true;
		}
		for (size_t r = 0; r < x->nready; r++) {
			size_t n = x->ready[r].n;
			if (!can_start(x, n))
				continue;
			memmove(&x->ready[r], &x->ready[r + 1], (x->nready - r - 1) * sizeof(*x->ready));
			x->nready--;
			start_step(x, sl, n);
			break;
		}
	}
}

/* Read what a busy connection has; when its statement is complete, record the outcome. */
static void collect(exec *x, slot *sl)
{
	if (!PQconsumeInput(sl->conn)) {
		node *nd = &x->nodes[sl->running];
		if (nd->r->status != ST(FAILED))
			nsp_result_set_pg_error(nd->r, NULL, sl->conn);
		on_step_done(x, sl);
		return;
	}
	while (!PQisBusy(sl->conn)) {
		PGresult *res = PQgetResult(sl->conn);
		if (res == NULL) {
			on_step_done(x, sl);
			return;
		}
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !sl->failed_result_seen) {
			sl->failed_result_seen = true;
			nsp_result_set_pg_error(x->nodes[sl->running].r, res, sl->conn);
		}
		PQclear(res);
	}
}

static void cancel_running(exec *x)
{
	for (unsigned i = 0; i < x->nslots; i++) {
		if (x->slots[i].running < 0)
			continue;
		PGcancel *c = PQgetCancel(x->slots[i].conn);
		char buf[256];
		if (c != NULL) {
			PQcancel(c, buf, sizeof(buf));
			PQfreeCancel(c);
		}
	}
	x->cancel_sent = true;
}

static void wait_for_input(exec *x)
{
	struct pollfd fds[64];
	unsigned map[64];
	nfds_t nfds = 0;
	for (unsigned i = 0; i < x->nslots && nfds < 64; i++) {
		if (x->slots[i].running < 0)
			continue;
		fds[nfds].fd = PQsocket(x->slots[i].conn);
		fds[nfds].events = POLLIN;
		fds[nfds].revents = 0;
		map[nfds++] = i;
	}
	if (nfds == 0)
		return;
	/* 100 ms: how late a cancellation can be noticed. */
	if (poll(fds, nfds, 100) <= 0)
		return;
	for (nfds_t f = 0; f < nfds; f++)
		if (fds[f].revents != 0)
			collect(x, &x->slots[map[f]]);
}

/* Index of a step id among the plan's steps (ids are usually their position + 1). */
static long index_of(const Neosync__Plugin__V1__Plan *plan, uint32_t id)
{
	if (id >= 1 && id <= plan->n_steps && plan->steps[id - 1]->id == id)
		return (long)id - 1;
	for (size_t i = 0; i < plan->n_steps; i++)
		if (plan->steps[i]->id == id)
			return (long)i;
	return -1;
}

/* The work of a step for scheduling: the bytes it reads when it scans or sorts its table; 0
 * for steps that only change the catalog (attaching a built index, adding a key USING INDEX or
 * a foreign key NOT VALID, comments, grants, ...). */
static uint64_t step_work(const Neosync__Plugin__V1__Step *s)
{
	switch (s->kind) {
	case K(INDEX):
	case K(MATVIEW_REFRESH):
		return s->cost;
	case K(PRIMARY_KEY):
	case K(UNIQUE_CONSTRAINT):
	case K(EXCLUSION_CONSTRAINT):
	case K(FOREIGN_KEY):
	case K(CHECK_CONSTRAINT):
		return strstr(s->sql, " NOT VALID") != NULL || strstr(s->sql, " USING INDEX ") != NULL
			       ? 0
			       : s->cost;
	default:
		return 0;
	}
}

/* Priority of every node: its work plus the largest priority among its dependents. Iterative
 * (a post-order walk with an explicit stack): plans can be deep. A cycle (only in a damaged
 * plan, which never runs to the end anyway) is cut where the walk meets it. */
static int price(exec *x)
{
	size_t *stack = malloc((x->n ? x->n : 1) * sizeof(*stack));
	size_t *next = calloc(x->n ? x->n : 1, sizeof(*next)); /* next dependent to visit */
	if (stack == NULL || next == NULL) {
		free(stack);
		free(next);
		return -1;
	}
	for (size_t root = 0; root < x->n; root++) {
		if (x->nodes[root].priced)
			continue;
		size_t top = 0;
		stack[top++] = root;
		x->nodes[root].priced = true; /* on the stack: a cycle back to it adds nothing */
		while (top > 0) {
			node *nd = &x->nodes[stack[top - 1]];
			if (next[stack[top - 1]] < nd->ndependents) {
				size_t d = nd->dependents[next[stack[top - 1]]++];
				if (!x->nodes[d].priced) {
					x->nodes[d].priced = true;
					stack[top++] = d;
				}
				continue;
			}
			uint64_t longest = 0;
			for (size_t k = 0; k < nd->ndependents; k++)
				if (x->nodes[nd->dependents[k]].priority > longest)
					longest = x->nodes[nd->dependents[k]].priority;
			nd->priority = step_work(nd->s) + longest;
			top--;
		}
	}
	free(stack);
	free(next);
	return 0;
}

static int build_graph(exec *x, const Neosync__Plugin__V1__Plan *plan, nsp_results *results,
		       nsp_error *err)
{
	x->nodes = calloc(plan->n_steps ? plan->n_steps : 1, sizeof(node));
	x->ready = malloc((plan->n_steps ? plan->n_steps : 1) * sizeof(*x->ready));
	long *node_of = malloc((plan->n_steps ? plan->n_steps : 1) * sizeof(long));
	if (!x->nodes || !x->ready || !node_of) {
		free(node_of);
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < plan->n_steps; i++) {
		node_of[i] = -1;
		if (plan->steps[i]->phase != POST)
			continue;
		node *nd = &x->nodes[x->n];
		nd->s = plan->steps[i];
		nd->r = nsp_results_add(results, nd->s, ST(SKIPPED), NULL);
		if (nd->r == NULL) {
			free(node_of);
			return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
					     "out of memory");
		}
		node_of[i] = (long)x->n++;
	}
	/* Dependencies on post-sync steps; pre-sync steps were applied by pre-sync. */
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t n = 0; n < x->n; n++) {
			node *nd = &x->nodes[n];
			for (size_t d = 0; d < nd->s->n_depends_on; d++) {
				long pi = index_of(plan, nd->s->depends_on[d]);
				long dn = pi >= 0 ? node_of[pi] : -1;
				if (dn < 0 || (size_t)dn == n)
					continue;
				node *dep = &x->nodes[dn];
				if (pass == 0) {
					dep->ndependents++;
				} else {
					dep->dependents[dep->ndependents++] = n;
					nd->unmet++;
				}
			}
		}
		if (pass == 0)
			for (size_t n = 0; n < x->n; n++) {
				x->nodes[n].dependents =
					malloc((x->nodes[n].ndependents ? x->nodes[n].ndependents : 1) * sizeof(size_t));
				if (x->nodes[n].dependents == NULL) {
					free(node_of);
					return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
							     "out of memory");
				}
				x->nodes[n].ndependents = 0;
			}
	}
	free(node_of);
	x->total = x->n;
	if (price(x) != 0)
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory");
	return 0;
}

/* Outcomes known before anything runs: skipped by the plan or the options, already there,
 * there with another definition. */
static void settle_known(exec *x, const Neosync__Plugin__V1__Plan *plan, const nsp_presence *presence,
			 char **detail)
{
	for (size_t n = 0; n < x->n; n++) {
		node *nd = &x->nodes[n];
		if (nd->state == DONE)
			continue;
		long pi = index_of(plan, nd->s->id);
		nsp_presence p = pi >= 0 ? presence[pi] : NSP_PRESENCE_UNKNOWN;
		if (nd->s->skip_reason[0] != '\0') {
			skip(x, n, nd->s->skip_reason);
		} else if (nd->s->kind == K(FOREIGN_KEY) && x->opts && x->opts->fk_mode == FK(SKIP)) {
			skip(x, n, "foreign keys are not created (options.fkMode is skip)");
		} else if (p == NSP_PRESENCE_SAME) {
			nd->r->status = ST(UNCHANGED);
			nsp_result_set_message(nd->r, "already exists on the destination");
			finish(x, n);
		} else if (p == NSP_PRESENCE_DIFFERENT) {
			char msg[1024];
			snprintf(msg, sizeof(msg),
				 "exists on the destination with another definition; left as it is "
				 "(destination: %.800s)",
				 detail[pi] ? detail[pi] : "?");
			nd->r->status = ST(CONFLICT);
			nsp_result_set_message(nd->r, msg);
			finish(x, n);
		}
	}
	for (size_t n = 0; n < x->n; n++)
		if (x->nodes[n].state == WAITING && x->nodes[n].unmet == 0)
			make_ready(x, n);
}

int nsp_apply_post(nsp_plugin *h, const char *dst_url,
		   const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		   const Neosync__Plugin__V1__Plan *plan, nsp_results *results, nsp_error *err)
{
	exec x = {.h = h, .opts = opts};
	size_t nsteps = plan->n_steps ? plan->n_steps : 1;
	nsp_presence *presence = calloc(nsteps, sizeof(*presence));
	char **detail = calloc(nsteps, sizeof(*detail));
	int rc = -1;
	if (presence == NULL || detail == NULL) {
		nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory");
		goto out;
	}
	if (build_graph(&x, plan, results, err) != 0)
		goto out;
	unsigned parallelism = nsp_session_parallelism(opts);
	if (parallelism > 64)
		parallelism = 64;
	x.slots = calloc(parallelism, sizeof(slot));
	if (x.slots == NULL) {
		nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory");
		goto out;
	}
	/* The first connection probes what the destination has; then the others open. */
	x.nslots = parallelism;
	for (unsigned i = 0; i < x.nslots; i++)
		x.slots[i].running = -1; /* workers, gather 0: what session.c sets when parallelism > 1 */
	x.dynamic_workers = x.dynamic_gather = true;
	for (size_t i = 0; opts != NULL && i < opts->n_session_settings; i++) {
		if (strcmp(opts->session_settings[i]->key, "max_parallel_maintenance_workers") == 0)
			x.dynamic_workers = false;
		if (strcmp(opts->session_settings[i]->key, "max_parallel_workers_per_gather") == 0)
			x.dynamic_gather = false;
	}
	if (nsp_session_open(dst_url, opts, true, parallelism, &x.slots[0].conn, err) != 0)
		goto out;
	if (nsp_destination_probe(x.slots[0].conn, plan, POST, presence, detail, err) != 0)
		goto out;
	settle_known(&x, plan, presence, detail);
	size_t runnable = x.total - x.done;
	for (unsigned i = 1; i < x.nslots && i < runnable; i++)
		if (nsp_session_open(dst_url, opts, true, parallelism, &x.slots[i].conn, err) != 0)
			goto out;
	nsp_log(h, NSP_LOG_INFO, "post-sync: %zu steps (%zu to run) on %u connection(s)", x.total,
		runnable, runnable < x.nslots ? (unsigned)(runnable ? runnable : 1) : x.nslots);

	while (x.done < x.total) {
		if (!x.cancel_sent && nsp_cancelled(h)) {
			cancel_running(&x);
			for (size_t n = 0; n < x.n; n++)
				if (x.nodes[n].state == WAITING || x.nodes[n].state == READY)
					skip(&x, n, "cancelled");
		}
		if (!x.cancel_sent)
			schedule(&x);
		bool busy = false;
		for (unsigned i = 0; i < x.nslots; i++)
			busy = busy || x.slots[i].running >= 0;
		if (!busy) {
			/* Nothing runs and nothing can start: what is left waits on steps that will
			 * never finish (a dependency cycle in a forged or damaged plan). */
			for (size_t n = 0; n < x.n; n++)
				if (x.nodes[n].state != DONE)
					skip(&x, n, "its dependencies can never be satisfied");
			break;
		}
		wait_for_input(&x);
	}
	if (x.cancel_sent)
		nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_CANCELLED,
			      "post-sync cancelled; running statements were cancelled, see the results "
			      "for what was applied");
	rc = 0;
out:
	if (rc != 0) {
		/* Nothing could run: every step that has no outcome yet is skipped with the reason. */
		for (size_t n = 0; n < x.n; n++)
			if (x.nodes[n].state != DONE && x.nodes[n].r != NULL) {
				x.nodes[n].r->status = ST(SKIPPED);
				nsp_result_set_message(x.nodes[n].r, err->message);
			}
	}
	for (unsigned i = 0; x.slots != NULL && i < x.nslots; i++)
		if (x.slots[i].conn)
			PQfinish(x.slots[i].conn);
	free(x.slots);
	for (size_t n = 0; n < x.n; n++)
		free(x.nodes[n].dependents);
	free(x.nodes);
	free(x.ready);
	for (size_t i = 0; detail != NULL && i < plan->n_steps; i++)
		free(detail[i]);
	free(detail);
	free(presence);
	return rc;
}

/* Post-sync: the plan's post-sync steps as a DAG on N destination connections.
 *
 * One thread drives all connections asynchronously (conn_pool.c): no threads inside the
 * host's process, no locking of our own, and cancellation is one loop away. The database does
 * the work; the loop only waits.
 *
 * Which step starts next is post_sched.c's decision (critical path first, never two steps
 * whose locks conflict); this file sends it through the pool and records the outcomes.
 *
 * Cheap steps (post_sched.h: catalog-only, or on empty and small tables) go several per round
 * trip, each in its own transaction:
 *     BEGIN; <step>; COMMIT; BEGIN; <next step>; ...
 * A step is applied when its COMMIT comes back: a verified plan's statements hold no
 * transaction control (plan_shapes.c), so no other result is tagged COMMIT. (A marker SELECT
 * after each step, as pre-sync's chunks have, cost the server 20 us a step.) An error stops the query
 * string: it belongs to the step whose COMMIT has not come back yet, which is rolled back
 * alone; the batch's later steps did not run and go back to the ready set. So each step still
 * has its own outcome, its own transaction and its own locks, as when it runs alone. But the
 * server parses the whole string before it runs any of it: an error before the first BEGIN's
 * result is a syntax error of one of the steps, not of the first; then every step of the batch
 * goes back to the ready set, to run alone, and the faulty one fails with its own error.
 *
 * A failed step stops only the steps that depend on it: they are skipped, naming it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "conn_pool.h"
#include "destination.h"
#include "handle.h"
#include "post_sched.h"
#include "strbuf.h"
#include "model_enums.h"

#define FK(x) NEOSYNC__PLUGIN__V1__FK_MODE__FK_MODE_##x

typedef struct slot {
	long running; /* node index of the step whose outcome comes next, -1 when idle */
	unsigned workers; /* max_parallel_maintenance_workers the session has now */
	unsigned gather;  /* max_parallel_workers_per_gather the session has now */
	uint64_t started; /* when the running step started (in a batch: when the one before ended) */
	bool failed_result_seen;
	bool any_result_seen; /* this round trip gave a result already */
	bool parse_failed;    /* the batch's query string failed before any statement ran */
	size_t batch[NSP_SCHED_BATCH_STEPS]; /* nodes of the round trip in flight, in order */
	size_t nbatch, next; /* next: position in batch of `running` */
} slot;

typedef struct exec {
	nsp_plugin *h;
	const Neosync__Plugin__V1__SchemaPluginOptions *opts;
	nsp_sched sched;
	Neosync__Plugin__V1__StepResult **r; /* by scheduler node */
	nsp_pool pool; /* slot i is the pool's connection i */
	slot *slots;
	unsigned nslots;
	size_t done, total;
	bool cancel_sent;
	bool dynamic_workers; /* the user did not set max_parallel_maintenance_workers */
	bool dynamic_gather;  /* the user did not set max_parallel_workers_per_gather */
} exec;

static void finish(exec *x, size_t n);

/* A node that will not run: mark it and, transitively, every node that depends on it. */
static void skip(exec *x, size_t n, const char *reason)
{
	if (x->sched.nodes[n].state == NSP_SCHED_DONE)
		return;
	x->r[n]->status = NSP_STATUS_SKIPPED;
	nsp_result_set_message(x->r[n], reason);
	finish(x, n);
}

typedef struct blocked_by {
	exec *x;
	const char *reason;
} blocked_by;

static void skip_blocked(void *arg, size_t dependent)
{
	blocked_by *b = arg;
	skip(b->x, dependent, b->reason);
}

/* A node reached its outcome: release or skip its dependents. */
static void finish(exec *x, size_t n)
{
	const Neosync__Plugin__V1__Step *st = x->sched.nodes[n].s;
	Neosync__Plugin__V1__StepResult *r = x->r[n];
	bool satisfied = r->status == NSP_STATUS_APPLIED || r->status == NSP_STATUS_UNCHANGED;
	x->done++;
	nsp_progress(x->h, NSP_PHASE_POST, st->id, st->identity, r->status, (uint32_t)x->done,
		     (uint32_t)x->total, NULL);
	char reason[600];
	const char *what = r->status == NSP_STATUS_FAILED     ? "failed"
			   : r->status == NSP_STATUS_CONFLICT ? "is a conflict"
						       : "was skipped";
	snprintf(reason, sizeof(reason), "depends on step %u (%s), which %s", st->id, st->identity,
		 what);
	blocked_by b = {x, reason};
	nsp_sched_settle(&x->sched, n, satisfied, skip_blocked, &b);
}

static bool is_validate(const Neosync__Plugin__V1__Step *s)
{
	return nsp_step_kind(s) == NSP_KIND_FOREIGN_KEY && strstr(s->sql, " VALIDATE CONSTRAINT ") != NULL;
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

/* Slot i runs on the pool's connection i; a slot past the pool's end has none (not opened). */
static PGconn *conn_of(const exec *x, const slot *sl)
{
	unsigned i = (unsigned)(sl - x->slots);
	return i < x->pool.n ? x->pool.conn[i] : NULL;
}

static unsigned idle_slots(const exec *x)
{
	unsigned idle = 0;
	for (unsigned i = 0; i < x->pool.n; i++)
		idle += x->slots[i].running < 0;
	return idle;
}

static void on_step_done(exec *x, slot *sl)
{
	size_t n = (size_t)sl->running;
	nsp_sched_node *nd = &x->sched.nodes[n];
	Neosync__Plugin__V1__StepResult *r = x->r[n];
	r->duration_us = nsp_now_us() - sl->started;
	sl->running = -1;
	if (r->status == NSP_STATUS_FAILED) {
		const char *state = r->sqlstate;
		if (x->cancel_sent && strcmp(state, "57014") == 0) {
			r->status = NSP_STATUS_SKIPPED;
			nsp_result_set_message(r, "cancelled while running");
		} else if (nsp_sqlstate_is_duplicate(state) && nsp_step_kind(nd->s) != NSP_KIND_FOREIGN_KEY) {
			/* Kinds the probe cannot check: already there from an earlier run. */
			r->status = NSP_STATUS_UNCHANGED;
			nsp_result_set_message(r, "already exists on the destination");
		} else if (is_validate(nd->s) && strcmp(state, "23503") == 0 && x->opts &&
			   x->opts->fk_mode == FK(NOT_VALID_ON_VIOLATION)) {
			long long count = count_fk_violations(conn_of(x, sl), nd->s);
			char msg[900];
			snprintf(msg, sizeof(msg),
				 "kept NOT VALID (fkMode not_valid_on_violation): %lld row(s) violate it; %s",
				 count, r->message);
			r->status = NSP_STATUS_SKIPPED;
			r->violation_count = count;
			nsp_result_set_message(r, msg);
		}
	}
	finish(x, n);
}

static void mark_started(exec *x, size_t n)
{
	const nsp_sched_node *nd = &x->sched.nodes[n];
	x->r[n]->status = NSP_STATUS_APPLIED;
	nsp_progress(x->h, NSP_PHASE_POST, nd->s->id, nd->s->identity, NSP_STATUS_UNSPECIFIED, (uint32_t)x->done,
		     (uint32_t)x->total, "started");
}

/* The batch's steps from position `from` did not run: back to the ready set (or skipped,
 * after a cancellation). */
static void unstart_rest(exec *x, slot *sl, size_t from)
{
	for (size_t i = from; i < sl->nbatch; i++) {
		size_t n = sl->batch[i];
		nsp_sched_unstart(&x->sched, n);
		if (x->cancel_sent)
			skip(x, n, "cancelled");
	}
	sl->nbatch = sl->next = 0;
}

static bool send(exec *x, slot *sl, const char *sql)
{
	return nsp_pool_send(&x->pool, (unsigned)(sl - x->slots), sql);
}

/* Several cheap steps in one round trip (see the header comment). */
static void start_batch(exec *x, slot *sl)
{
	nsp_strbuf q;
	nsp_strbuf_init(&q);
	for (size_t i = 0; i < sl->nbatch; i++) {
		size_t n = sl->batch[i];
		mark_started(x, n);
		/* The newline ends a trailing "--" comment of the step before the COMMIT. */
		nsp_strbuf_append(&q, "BEGIN;");
		nsp_strbuf_append(&q, x->sched.nodes[n].s->sql);
		nsp_strbuf_append(&q, "\n;COMMIT;");
	}
	sl->next = 0;
	sl->running = (long)sl->batch[0];
	sl->started = nsp_now_us();
	sl->failed_result_seen = false;
	sl->any_result_seen = sl->parse_failed = false;
	int sent = !nsp_strbuf_failed(&q) && send(x, sl, q.data);
	nsp_strbuf_free(&q);
	if (!sent) {
		nsp_result_set_pg_error(x->r[sl->running], NULL, conn_of(x, sl));
		on_step_done(x, sl);
		unstart_rest(x, sl, 1);
	}
}

static void start_step(exec *x, slot *sl, size_t n)
{
	const nsp_sched_node *nd = &x->sched.nodes[n];
	mark_started(x, n);
	sl->running = (long)n;
	sl->started = nsp_now_us();
	sl->failed_result_seen = false;
	sl->nbatch = 0;
	/* PostgreSQL's parallel workers only when nothing else waits to run: at the tail of the
	 * run, idle connections' cores go to the steps still running. Before that every core has a
	 * step of ours, and workers would only add their overhead: a foreign key's validating
	 * anti-join of 400 000 rows took 0.53 s of CPU alone and about 0.9 s with two workers
	 * (the sessions start with none of either kind when parallelism > 1). */
	char prefix[160] = "";
	if (x->nslots > 1 && (x->dynamic_workers || x->dynamic_gather)) {
		unsigned idle = idle_slots(x);
		unsigned workers = x->sched.nready == 0 ? (idle > 8 ? 8 : idle) : 0;
		size_t len = 0;
		if (x->dynamic_workers && nsp_step_kind(nd->s) == NSP_KIND_INDEX && workers != sl->workers) {
			len += (size_t)snprintf(prefix + len, sizeof(prefix) - len,
						"SET max_parallel_maintenance_workers = %u;", workers);
			sl->workers = workers;
		}
		if (x->dynamic_gather && nsp_step_kind(nd->s) != NSP_KIND_INDEX && workers != sl->gather) {
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
		sent = !nsp_strbuf_failed(&q) && send(x, sl, q.data);
		nsp_strbuf_free(&q);
	} else {
		sent = send(x, sl, nd->s->sql);
	}
	if (!sent) {
		nsp_result_set_pg_error(x->r[n], NULL, conn_of(x, sl));
		on_step_done(x, sl);
	}
}

/* Start ready steps on idle connections, in the scheduler's order: cheap ones several per
 * round trip, each idle connection taking its share of the ready steps. */
static void schedule(exec *x)
{
	unsigned idle = idle_slots(x);
	for (unsigned i = 0; i < x->pool.n && x->sched.nready > 0; i++) {
		slot *sl = &x->slots[i];
		if (sl->running >= 0)
			continue;
		size_t max = nsp_sched_batch_size(x->sched.nready, idle);
		size_t k = nsp_sched_next_batch(&x->sched, sl->batch, max);
		if (idle > 0)
			idle--;
		if (k == 0)
			break;
		if (k == 1) {
			start_step(x, sl, sl->batch[0]);
		} else {
			sl->nbatch = k;
			start_batch(x, sl);
		}
	}
}

/* 42601: what the server's parser raises, before it runs anything of the query string. */
static bool is_syntax_error(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return state != NULL && strcmp(state, "42601") == 0;
}

/* A batched step's COMMIT came back: it is applied; the next one is running. */
static void batch_step_applied(exec *x, slot *sl)
{
	on_step_done(x, sl);
	if (++sl->next < sl->nbatch) {
		sl->running = (long)sl->batch[sl->next];
		sl->started = nsp_now_us();
	}
}

/* The round trip ended (PQgetResult gave NULL). */
static void round_trip_done(exec *x, slot *sl)
{
	if (sl->nbatch == 0) {
		on_step_done(x, sl);
		return;
	}
	/* A failed step left its transaction open (aborted): end it before anything else. */
	PGconn *conn = conn_of(x, sl);
	if (PQtransactionStatus(conn) != PQTRANS_IDLE && PQstatus(conn) == CONNECTION_OK)
		PQclear(PQexec(conn, "ROLLBACK"));
	if (sl->parse_failed) {
		for (size_t i = 0; i < sl->nbatch; i++)
			nsp_sched_unstart_alone(&x->sched, sl->batch[i]);
	} else if (sl->next < sl->nbatch) {
		Neosync__Plugin__V1__StepResult *r = x->r[sl->running];
		if (!sl->failed_result_seen) /* ended without an error or a COMMIT: connection lost */
			nsp_result_set_pg_error(r, NULL, conn_of(x, sl));
		size_t from = sl->next + 1;
		on_step_done(x, sl);
		unstart_rest(x, sl, from);
	}
	sl->nbatch = sl->next = 0;
	sl->running = -1;
}

/* One result of a slot's round trip: an error is its running step's; in a batch, a COMMIT means
 * the running step is applied. */
static void on_result(void *ctx, unsigned i, PGresult *res)
{
	exec *x = ctx;
	slot *sl = &x->slots[i];
	ExecStatusType st = PQresultStatus(res);
	bool first = !sl->any_result_seen;
	sl->any_result_seen = true;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		if (first && sl->nbatch > 1 && !sl->failed_result_seen && is_syntax_error(res)) {
			sl->failed_result_seen = sl->parse_failed = true; /* which step's: unknown */
		} else if (!sl->failed_result_seen) {
			sl->failed_result_seen = true;
			nsp_result_set_pg_error(x->r[sl->running], res, conn_of(x, sl));
		}
	} else if (sl->nbatch > 0 && !sl->failed_result_seen && st == PGRES_COMMAND_OK &&
		   strcmp(PQcmdStatus(res), "COMMIT") == 0) {
		batch_step_applied(x, sl);
	}
}

/* A slot's round trip is over; `lost`: its connection broke, the running step failed with it. */
static void on_end(void *ctx, unsigned i, bool lost)
{
	exec *x = ctx;
	slot *sl = &x->slots[i];
	if (lost) {
		Neosync__Plugin__V1__StepResult *r = x->r[sl->running];
		if (r->status != NSP_STATUS_FAILED)
			nsp_result_set_pg_error(r, NULL, conn_of(x, sl));
		sl->failed_result_seen = true;
	}
	round_trip_done(x, sl);
}

static void cancel_running(exec *x)
{
	nsp_pool_cancel(&x->pool);
	x->cancel_sent = true;
}

static void wait_for_input(exec *x)
{
	static const nsp_pool_events events = {on_result, on_end};
	/* 100 ms: how late a cancellation can be noticed. */
	nsp_pool_wait(&x->pool, 100, &events, x);
}

static int build_graph(exec *x, const Neosync__Plugin__V1__Plan *plan, nsp_results *results,
		       nsp_error *err)
{
	if (nsp_sched_build(&x->sched, plan) != 0 ||
	    (x->r = calloc(x->sched.n ? x->sched.n : 1, sizeof(*x->r))) == NULL)
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory");
	for (size_t n = 0; n < x->sched.n; n++) {
		x->r[n] = nsp_results_add(results, x->sched.nodes[n].s, NSP_STATUS_SKIPPED, NULL);
		if (x->r[n] == NULL)
			return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
					     "out of memory");
	}
	x->total = x->sched.n;
	return 0;
}

/* Outcomes known before anything runs: skipped by the plan or the options, already there,
 * there with another definition. */
static void settle_known(exec *x, const nsp_presence *presence, char **detail)
{
	for (size_t n = 0; n < x->sched.n; n++) {
		const nsp_sched_node *nd = &x->sched.nodes[n];
		Neosync__Plugin__V1__StepResult *r = x->r[n];
		if (nd->state == NSP_SCHED_DONE)
			continue;
		size_t pi = nd->plan_index;
		if (nd->s->unsupported) {
			/* The destination's major cannot hold it (dest_compat.h). */
			r->status = NSP_STATUS_FAILED;
			nsp_result_set_sqlstate(r, "0A000");
			nsp_result_set_message(r, nd->s->skip_reason);
			finish(x, n);
		} else if (nd->s->skip_reason[0] != '\0') {
			skip(x, n, nd->s->skip_reason);
		} else if (nsp_step_kind(nd->s) == NSP_KIND_FOREIGN_KEY && x->opts &&
			   x->opts->fk_mode == FK(SKIP)) {
			skip(x, n, "foreign keys are not created (options.fkMode is skip)");
		} else if (presence[pi] == NSP_PRESENCE_SAME) {
			r->status = NSP_STATUS_UNCHANGED;
			nsp_result_set_message(r, "already exists on the destination");
			finish(x, n);
		} else if (presence[pi] == NSP_PRESENCE_DIFFERENT) {
			char msg[1024];
			snprintf(msg, sizeof(msg),
				 "exists on the destination with another definition; left as it is "
				 "(destination: %.800s)",
				 detail[pi] ? detail[pi] : "?");
			r->status = NSP_STATUS_CONFLICT;
			nsp_result_set_message(r, msg);
			finish(x, n);
		}
	}
	nsp_sched_release(&x->sched);
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
	if (x.slots == NULL || nsp_pool_init(&x.pool, parallelism) != 0) {
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
	PGconn *conn = NULL;
	if (nsp_session_open(dst_url, opts, true, parallelism, &conn, err) != 0)
		goto out;
	nsp_pool_add(&x.pool, conn, true);
	if (nsp_destination_probe(conn, plan, NSP_PHASE_POST, presence, detail, err) != 0)
		goto out;
	settle_known(&x, presence, detail);
	size_t runnable = x.total - x.done;
	for (unsigned i = 1; i < x.nslots && i < runnable; i++) {
		if (nsp_session_open(dst_url, opts, true, parallelism, &conn, err) != 0)
			goto out;
		nsp_pool_add(&x.pool, conn, true);
	}
	nsp_log(h, NSP_LOG_INFO, "post-sync: %zu steps (%zu to run) on %u connection(s)", x.total,
		runnable, runnable < x.nslots ? (unsigned)(runnable ? runnable : 1) : x.nslots);

	while (x.done < x.total) {
		if (!x.cancel_sent && nsp_cancelled(h)) {
			cancel_running(&x);
			for (size_t n = 0; n < x.sched.n; n++)
				if (x.sched.nodes[n].state == NSP_SCHED_WAITING ||
				    x.sched.nodes[n].state == NSP_SCHED_READY)
					skip(&x, n, "cancelled");
		}
		if (!x.cancel_sent)
			schedule(&x);
		if (!nsp_pool_any_busy(&x.pool)) {
			/* Nothing runs and nothing can start: what is left waits on steps that will
			 * never finish (a dependency cycle in a forged or damaged plan). */
			for (size_t n = 0; n < x.sched.n; n++)
				if (x.sched.nodes[n].state != NSP_SCHED_DONE)
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
		for (size_t n = 0; x.r != NULL && n < x.sched.n; n++)
			if (x.sched.nodes[n].state != NSP_SCHED_DONE && x.r[n] != NULL) {
				x.r[n]->status = NSP_STATUS_SKIPPED;
				nsp_result_set_message(x.r[n], err->message);
			}
	}
	nsp_pool_close(&x.pool);
	free(x.slots);
	nsp_sched_free(&x.sched);
	free(x.r);
	for (size_t i = 0; detail != NULL && i < plan->n_steps; i++)
		free(detail[i]);
	free(detail);
	free(presence);
	return rc;
}

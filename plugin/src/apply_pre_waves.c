/* Pre-sync on several connections, for large plans. Creating a table is the server's work
 * (catalog rows, relation files) on the one core of its session: two sessions creating
 * different tables nearly halve the time (5 000 tables: 5.6 s on one connection, 3.0 s on two,
 * on a 2-core server with its data in memory).
 *
 * The steps are cut into waves, and a wave's steps are shared out in groups: steps that touch
 * the same relation (their table, the relations they lock, the tables they depend on: an
 * inheritance child locks its parent) stay on one connection, so that our sessions never wait
 * for each other. A step runs in the wave of the latest step it depends on when the two touch
 * a common relation (same group, same connection, later in its order: a table's CHECK right
 * after the table), else in the wave after it, when what it needs has been committed. Each connection runs its share in transactions sized
 * from its part of the lock budget, a chunk of statements per round trip, asynchronously: one
 * thread drives every connection (conn_pool.c, as in apply_post.c). A wave ends when every connection has
 * committed its share.
 *
 * A failure or a cancellation stops every connection, rolls back what is open and drops what
 * was committed, newest first: all or nothing, as on one connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply_pre.h"
#include "conn_pool.h"
#include "model_enums.h"

/* A connection gets a share of a wave only if the share has at least this many steps: below
 * that, a round trip and a commit more cost what the second core saves. */
enum { MIN_STEPS_PER_CONNECTION = 16, MAX_CONNECTIONS = 64 };

typedef struct worker {
	PGconn *conn; /* the pool's connection of the same index (borrowed) */
	size_t *steps;   /* plan indices of its share of the wave, in plan order */
	size_t nsteps, pos;
	size_t tx_start; /* pos where the open transaction began */
	size_t used;     /* locks taken in the open transaction */
	bool in_tx;
	bool commits;    /* the chunk in flight ends with COMMIT */
	bool error;      /* the chunk in flight failed */
	nsp_pre_chunk ch;
} worker;

typedef struct waves {
	nsp_plugin *h;
	const Neosync__Plugin__V1__Plan *plan;
	bool *runs;      /* by plan index: the step runs (its outcome is not known beforehand) */
	Neosync__Plugin__V1__StepResult **res; /* by plan index */
	bool *applied;   /* by plan index: its marker came back */
	bool *committed; /* by plan index: applied and its transaction committed */
	size_t *wave;    /* by plan index */
	size_t nwaves;
	worker w[MAX_CONNECTIONS];
	nsp_pool pool;   /* worker i is the pool's connection i */
	unsigned nw;     /* connections open */
	size_t budget;   /* locks one connection's transaction may take in this wave */
	size_t done, total, transactions;
	size_t failed;   /* plan index of the first step that failed, SIZE_MAX */
	bool cancelled;
} waves;

typedef struct id_index {
	uint32_t id;
	size_t index;
} id_index;

static int id_cmp(const void *pa, const void *pb)
{
	const id_index *a = pa, *b = pb;
	return a->id < b->id ? -1 : (a->id > b->id);
}

static long find_step(const id_index *map, size_t n, uint32_t id)
{
	id_index key = {.id = id};
	const id_index *hit = bsearch(&key, map, n, sizeof(*map), id_cmp);
	return hit ? (long)hit->index : -1;
}

static bool share_relation(const waves *x, const id_index *map, size_t nmap, size_t a, size_t b);

/* Wave of every step that runs. Returns the number of waves, or 0 when a
 * step depends on a later one (not a plan this file can split: the serial executor runs it). */
static size_t compute_waves(waves *x, const id_index *map, size_t nmap)
{
	size_t nwaves = 0;
	for (size_t i = 0; i < x->plan->n_steps; i++) {
		if (!x->runs[i])
			continue;
		const Neosync__Plugin__V1__Step *s = x->plan->steps[i];
		size_t w = 0;
		for (size_t d = 0; d < s->n_depends_on; d++) {
			long j = find_step(map, nmap, s->depends_on[d]);
			if (j < 0 || !x->runs[j])
				continue; /* a post-sync step, or one that exists already */
			if ((size_t)j >= i)
				return 0;
			size_t after = x->wave[j] + (share_relation(x, map, nmap, i, (size_t)j) ? 0 : 1);
			if (after > w)
				w = after;
		}
		x->wave[i] = w;
		if (w + 1 > nwaves)
			nwaves = w + 1;
	}
	return nwaves;
}

/* --- groups: steps that touch the same relation ----------------------------------------- */

typedef struct keyed {
	const char *key; /* a quoted relation name */
	size_t member;   /* index into the wave's step list */
} keyed;

static int keyed_cmp(const void *pa, const void *pb)
{
	const keyed *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);
	return c ? c : (a->member < b->member ? -1 : (a->member > b->member));
}

static size_t uf_find(size_t *parent, size_t i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

/* Kinds whose steps may run beside each other when they touch different relations. The
 * others (types, functions, operators, casts, extensions, ...) can meet in ways the plan does
 * not show: an operator and its commutator each create the other's shell, so two sessions
 * creating a pair at once collide. They all share one key, so one connection runs them, in
 * plan order. */
static bool relation_bound(const Neosync__Plugin__V1__Step *s)
{
	switch (nsp_step_kind(s)) {
	case NSP_KIND_TABLE:
	case NSP_KIND_CHECK_CONSTRAINT:
	case NSP_KIND_PARTITION_ATTACH:
	case NSP_KIND_SEQUENCE:
		return true;
	case NSP_KIND_COMMENT:
		return s->table[0] != '\0';
	default:
		return false;
	}
}

/* The relations a step touches, appended to keys (at most 1 + locks + dependencies). */
static size_t step_keys(const waves *x, const id_index *map, size_t nmap, size_t i, size_t member,
			keyed *keys, size_t nkeys)
{
	const Neosync__Plugin__V1__Step *s = x->plan->steps[i];
	if (!relation_bound(s)) {
		keys[nkeys++] = (keyed){"", member}; /* no relation is named "" */
		return nkeys;
	}
	if (s->table[0] != '\0')
		keys[nkeys++] = (keyed){s->table, member};
	for (size_t k = 0; k < s->n_locks; k++)
		keys[nkeys++] = (keyed){s->locks[k]->relation, member};
	for (size_t d = 0; d < s->n_depends_on; d++) {
		long j = find_step(map, nmap, s->depends_on[d]);
		if (j >= 0 && nsp_step_kind(x->plan->steps[j]) == NSP_KIND_TABLE &&
		    x->plan->steps[j]->table[0] != '\0')
			keys[nkeys++] = (keyed){x->plan->steps[j]->table, member};
	}
	return nkeys;
}

/* Whether steps a and b touch a common relation (then they always share a connection). */
static bool share_relation(const waves *x, const id_index *map, size_t nmap, size_t a, size_t b)
{
	const Neosync__Plugin__V1__Step *sa = x->plan->steps[a], *sb = x->plan->steps[b];
	size_t na = 1 + sa->n_locks + sa->n_depends_on, nb = 1 + sb->n_locks + sb->n_depends_on;
	keyed small[2][16];
	keyed *ka = na <= 16 ? small[0] : malloc(na * sizeof(keyed));
	keyed *kb = nb <= 16 ? small[1] : malloc(nb * sizeof(keyed));
	bool shared = false;
	if (ka != NULL && kb != NULL) {
		na = step_keys(x, map, nmap, a, 0, ka, 0);
		nb = step_keys(x, map, nmap, b, 0, kb, 0);
		for (size_t i = 0; i < na && !shared; i++)
			for (size_t j = 0; j < nb && !shared; j++)
				shared = strcmp(ka[i].key, kb[j].key) == 0;
	} else {
		shared = false; /* out of memory: the safe answer is a wave apart */
	}
	if (ka != small[0])
		free(ka);
	if (kb != small[1])
		free(kb);
	return shared;
}

/* Share the wave's steps (list, in plan order) among k connections: groups of steps that touch
 * a common relation, largest group first to the connection with the fewest steps. */
static int share_wave(waves *x, const id_index *map, size_t nmap, const size_t *list, size_t n,
		      unsigned k)
{
	size_t nkeys_max = 0;
	for (size_t m = 0; m < n; m++) {
		const Neosync__Plugin__V1__Step *s = x->plan->steps[list[m]];
		nkeys_max += 1 + s->n_locks + s->n_depends_on;
	}
	keyed *keys = malloc((nkeys_max ? nkeys_max : 1) * sizeof(*keys));
	size_t *parent = malloc((n ? n : 1) * sizeof(*parent));
	size_t *size = calloc(n ? n : 1, sizeof(*size));
	size_t *order = malloc((n ? n : 1) * sizeof(*order));
	size_t *owner = malloc((n ? n : 1) * sizeof(*owner));
	int rc = -1;
	if (keys == NULL || parent == NULL || size == NULL || order == NULL || owner == NULL)
		goto out;
	size_t nkeys = 0;
	for (size_t m = 0; m < n; m++) {
		parent[m] = m;
		nkeys = step_keys(x, map, nmap, list[m], m, keys, nkeys);
	}
	qsort(keys, nkeys, sizeof(*keys), keyed_cmp);
	for (size_t a = 1; a < nkeys; a++)
		if (strcmp(keys[a].key, keys[a - 1].key) == 0) {
			size_t ra = uf_find(parent, keys[a].member), rb = uf_find(parent, keys[a - 1].member);
			if (ra != rb)
				parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
		}
	/* Group sizes at their roots; roots ordered by size, largest first (a stable insertion
	 * would do, but groups are few and often all of size 1: sort the roots). */
	size_t nroots = 0;
	for (size_t m = 0; m < n; m++) {
		size[uf_find(parent, m)]++;
		if (parent[m] == m)
			order[nroots++] = m;
	}
	for (size_t a = 1; a < nroots; a++) { /* insertion sort by size, descending, stable */
		size_t r = order[a], b = a;
		if (size[r] <= size[order[a - 1]])
			continue;
		while (b > 0 && size[order[b - 1]] < size[r]) {
			order[b] = order[b - 1];
			b--;
		}
		order[b] = r;
	}
	size_t load[MAX_CONNECTIONS] = {0};
	for (size_t a = 0; a < nroots; a++) {
		unsigned best = 0;
		for (unsigned c = 1; c < k; c++)
			if (load[c] < load[best])
				best = c;
		load[best] += size[order[a]];
		owner[order[a]] = best;
	}
	for (unsigned c = 0; c < x->nw; c++) {
		x->w[c].nsteps = x->w[c].pos = 0;
		free(x->w[c].steps);
		x->w[c].steps = NULL;
		if (c < k && load[c] > 0 && (x->w[c].steps = malloc(load[c] * sizeof(size_t))) == NULL)
			goto out;
	}
	for (size_t m = 0; m < n; m++) { /* in plan order within each share */
		worker *w = &x->w[owner[uf_find(parent, m)]];
		w->steps[w->nsteps++] = list[m];
	}
	rc = 0;
out:
	free(keys);
	free(parent);
	free(size);
	free(order);
	free(owner);
	return rc;
}

/* --- running a wave ------------------------------------------------------------------------ */

static void fail_at(waves *x, size_t plan_index)
{
	if (x->failed == SIZE_MAX)
		x->failed = plan_index;
}

/* The step an error of a chunk without steps of its own (only COMMIT) belongs to: the last
 * one of the transaction. */
static size_t last_step_of_tx(const worker *w)
{
	return w->steps[w->pos > 0 ? w->pos - 1 : 0];
}

static void send_chunk(waves *x, worker *w)
{
	nsp_pre_chunk *c = &w->ch;
	nsp_pre_chunk_reset(c);
	if (!w->in_tx) {
		nsp_strbuf_append(&c->sql, "BEGIN;");
		w->in_tx = true;
		w->tx_start = w->pos;
		w->used = 0;
	}
	bool full = false;
	while (w->pos < w->nsteps && c->n < NSP_PRE_CHUNK_STEPS && c->sql.len < NSP_PRE_CHUNK_BYTES) {
		size_t i = w->steps[w->pos];
		size_t locks = nsp_pre_lock_estimate(x->plan->steps[i]);
		if (w->used > 0 && w->used + locks > x->budget) {
			full = true;
			break;
		}
		nsp_pre_chunk_add(c, i, x->plan->steps[i], x->res[i]);
		w->used += locks;
		w->pos++;
	}
	w->commits = full || w->pos == w->nsteps;
	if (w->commits)
		nsp_strbuf_append(&c->sql, "COMMIT;");
	w->error = false;
	c->last = nsp_now_us();
	if (nsp_strbuf_failed(&c->sql) || !nsp_pool_send(&x->pool, (unsigned)(w - x->w), c->sql.data)) {
		size_t i = c->n > 0 ? c->idx[0] : last_step_of_tx(w);
		nsp_result_set_pg_error(x->res[i], NULL, w->conn);
		fail_at(x, i);
	}
}

static void chunk_done(waves *x, worker *w)
{
	if (w->error || !w->commits)
		return;
	for (size_t p = w->tx_start; p < w->pos; p++)
		x->committed[w->steps[p]] = x->applied[w->steps[p]];
	w->in_tx = false;
	x->transactions++;
}

static void on_result(void *ctx, unsigned wi, PGresult *res)
{
	waves *x = ctx;
	worker *w = &x->w[wi];
	nsp_pre_chunk *c = &w->ch;
	size_t f;
	ExecStatusType st = PQresultStatus(res);
	if (c->n == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		f = last_step_of_tx(w);
		nsp_result_set_pg_error(x->res[f], res, w->conn);
	} else {
		f = nsp_pre_chunk_result(x->h, x->plan, c, res, w->conn, x->applied, &x->done, x->total);
	}
	if (f != SIZE_MAX) {
		w->error = true;
		fail_at(x, f);
	}
}

static void on_end(void *ctx, unsigned wi, bool lost)
{
	waves *x = ctx;
	worker *w = &x->w[wi];
	if (!lost) {
		chunk_done(x, w);
		return;
	}
	nsp_pre_chunk *c = &w->ch;
	size_t i = c->next < c->n ? c->idx[c->next] : last_step_of_tx(w);
	nsp_result_set_pg_error(x->res[i], NULL, w->conn);
	fail_at(x, i);
	w->error = true;
	w->in_tx = false; /* the server rolled it back with the session */
}

/* Run one wave on the connections that have a share of it. Returns false when it stopped
 * (failure or cancellation). */
static bool run_wave(waves *x)
{
	static const nsp_pool_events events = {on_result, on_end};
	for (;;) {
		if (!x->cancelled && nsp_cancelled(x->h)) {
			x->cancelled = true;
			nsp_pool_cancel(&x->pool);
		}
		bool stopping = x->failed != SIZE_MAX || x->cancelled;
		for (unsigned i = 0; i < x->nw; i++) {
			worker *w = &x->w[i];
			if (!x->pool.busy[i] && !stopping && (w->pos < w->nsteps || w->in_tx))
				send_chunk(x, w);
		}
		if (!nsp_pool_any_busy(&x->pool))
			return x->failed == SIZE_MAX && !x->cancelled;
		nsp_pool_wait(&x->pool, 100, &events, x);
	}
}

/* --- setup and the outcome ----------------------------------------------------------------- */

/* Connections a wave of n steps gets: one per MIN_STEPS_PER_CONNECTION, at most `max`. */
static unsigned wave_width(size_t n, unsigned max)
{
	size_t k = n / MIN_STEPS_PER_CONNECTION;
	if (k < 1)
		k = 1;
	return k > max ? max : (unsigned)k;
}

/* After a failure or a cancellation: roll back, undo what was committed, report. */
static void stop(waves *x, size_t budget, nsp_results *results, size_t first_result, nsp_error *err)
{
	for (unsigned i = 0; i < x->nw; i++)
		if (x->w[i].in_tx && PQstatus(x->w[i].conn) == CONNECTION_OK) {
			PGresult *res = PQexec(x->w[i].conn, "ROLLBACK");
			PQclear(res);
		}
	bool any = false;
	for (size_t i = 0; i < x->plan->n_steps && !any; i++)
		any = x->committed[i];
	if (any)
		nsp_pre_undo(x->h, x->w[0].conn, x->plan, x->committed, x->plan->n_steps, budget);
	const Neosync__Plugin__V1__Step *failed =
		x->failed != SIZE_MAX ? x->plan->steps[x->failed] : NULL;
	if (x->cancelled) {
		nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_CANCELLED,
			      "pre-sync cancelled; nothing was applied%s",
			      any ? " (what committed transactions created was removed again)" : "");
		for (size_t i = first_result; i < results->n; i++)
			if (results->items[i]->status == NSP_STATUS_FAILED &&
			    strcmp(results->items[i]->sqlstate, "57014") == 0) {
				results->items[i]->status = NSP_STATUS_SKIPPED;
				nsp_result_set_message(results->items[i], "cancelled while running");
			}
	} else if (failed != NULL) {
		nsp_pre_step_error(failed, results, first_result, err);
		if (any) {
			size_t len = strlen(err->message);
			snprintf(err->message + len, sizeof(err->message) - len,
				 " (pre-sync ran in %zu transactions on %u connections to fit the server's "
				 "lock table and use its cores; what the committed ones created was removed "
				 "again)",
				 x->transactions + 1, x->nw);
		}
	}
	if (failed == NULL) /* cancelled between steps: name the first one that did not run */
		for (size_t i = 0; i < x->plan->n_steps && failed == NULL; i++)
			if (x->runs[i] && !x->applied[i])
				failed = x->plan->steps[i];
	if (failed != NULL)
		nsp_pre_mark_rolled_back(x->plan, failed, results, first_result, x->plan->n_steps, err);
}

int nsp_apply_pre_waves(nsp_plugin *h, PGconn *dst, const char *dst_url,
			const Neosync__Plugin__V1__SchemaPluginOptions *opts,
			const Neosync__Plugin__V1__Plan *plan, const nsp_presence *presence,
			char *const *detail, nsp_results *results, nsp_error *err)
{
	unsigned parallelism = nsp_session_parallelism(opts);
	if (parallelism > MAX_CONNECTIONS)
		parallelism = MAX_CONNECTIONS;
	size_t n = plan->n_steps;
	if (parallelism < 2 || n < 2 * MIN_STEPS_PER_CONNECTION)
		return 1;
	waves x = {.h = h, .plan = plan, .failed = SIZE_MAX};
	id_index *map = malloc(n * sizeof(*map));
	size_t *list = malloc(n * sizeof(*list));
	x.res = calloc(n, sizeof(*x.res));
	x.runs = calloc(n, sizeof(*x.runs));
	x.applied = calloc(n, sizeof(*x.applied));
	x.committed = calloc(n, sizeof(*x.committed));
	x.wave = calloc(n, sizeof(*x.wave));
	int rc = -1;
	if (map == NULL || list == NULL || x.res == NULL || x.runs == NULL || x.applied == NULL || x.committed == NULL ||
	    x.wave == NULL) {
		nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		map[i] = (id_index){plan->steps[i]->id, i};
	qsort(map, n, sizeof(*map), id_cmp);

	/* Which steps run: those whose outcome is not known beforehand (nsp_pre_settle). */
	size_t running = 0;
	for (size_t i = 0; i < n; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (nsp_step_phase(s) != NSP_PHASE_PRE)
			continue;
		x.total++;
		x.runs[i] = s->skip_reason[0] == '\0' && presence[i] != NSP_PRESENCE_SAME &&
			    presence[i] != NSP_PRESENCE_DIFFERENT && s->sql[0] != '\0';
		running += x.runs[i];
	}
	x.nwaves = compute_waves(&x, map, n);
	unsigned widest = 1;
	for (size_t wv = 0; wv < x.nwaves; wv++) {
		size_t count = 0;
		for (size_t i = 0; i < n; i++)
			count += x.runs[i] && x.wave[i] == wv;
		unsigned k = wave_width(count, parallelism);
		if (k > widest)
			widest = k;
	}
	if (x.nwaves == 0 || widest < 2) {
		rc = 1;
		goto out;
	}

	/* The connections: the caller's, then the others; if the server refuses more, one will do. */
	if (nsp_pool_init(&x.pool, widest) != 0) {
		nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory");
		goto out;
	}
	x.w[0].conn = dst;
	nsp_pool_add(&x.pool, dst, false);
	x.nw = 1;
	for (unsigned i = 1; i < widest; i++) {
		nsp_error open_err;
		nsp_error_clear(&open_err);
		if (nsp_session_open(dst_url, opts, false, 1, &x.w[i].conn, &open_err) != 0) {
			nsp_log(h, NSP_LOG_WARNING, "pre-sync: running on %u connection(s): %s", x.nw,
				open_err.message);
			break;
		}
		nsp_pool_add(&x.pool, x.w[i].conn, true);
		x.nw++;
	}
	if (x.nw < 2) {
		rc = 1;
		goto out;
	}
	for (unsigned i = 0; i < x.nw; i++)
		nsp_strbuf_init(&x.w[i].ch.sql);

	/* Every pre-sync step's result, in plan order: known outcomes now, the rest when run. */
	size_t first_result = results->n;
	for (size_t i = 0; i < n; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (nsp_step_phase(s) != NSP_PHASE_PRE)
			continue;
		Neosync__Plugin__V1__StepResult *r = nsp_results_add(results, s, NSP_STATUS_APPLIED, NULL);
		if (r == NULL) {
			nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				      "out of memory recording step results");
			goto out;
		}
		x.res[i] = r;
		if (!x.runs[i]) {
			nsp_pre_settle(s, presence[i], detail[i], r);
			nsp_progress(h, NSP_PHASE_PRE, s->id, s->identity, r->status, (uint32_t)++x.done,
				     (uint32_t)x.total, NULL);
		}
	}

	size_t budget_all = nsp_pre_lock_budget(dst);
	bool ok = true;
	for (size_t wv = 0; wv < x.nwaves && ok; wv++) {
		size_t count = 0;
		for (size_t i = 0; i < n; i++)
			if (x.runs[i] && x.wave[i] == wv)
				list[count++] = i;
		unsigned k = wave_width(count, x.nw);
		x.budget = budget_all / k;
		if (share_wave(&x, map, n, list, count, k) != 0) {
			nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory");
			ok = false;
			break;
		}
		ok = run_wave(&x);
	}
	if (ok && err->code == NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_OK) {
		nsp_log(h, NSP_LOG_INFO,
			"pre-sync: %zu transactions on %u connections (%zu steps in %zu waves)",
			x.transactions, x.nw, running, x.nwaves);
		rc = 0;
	} else {
		stop(&x, budget_all, results, first_result, err);
	}
out:
	nsp_pool_close(&x.pool);
	for (unsigned i = 0; i < x.nw; i++) {
		nsp_strbuf_free(&x.w[i].ch.sql);
		free(x.w[i].steps);
	}
	free(map);
	free(list);
	free(x.res);
	free(x.runs);
	free(x.applied);
	free(x.committed);
	free(x.wave);
	return rc;
}

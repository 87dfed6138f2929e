/* post_sched - see post_sched.h. */
#include "post_sched.h"
#include "model_enums.h"

#include <stdlib.h>
#include <string.h>

/* PostgreSQL's table lock conflict matrix: which modes each mode conflicts with. */
static bool modes_conflict(nsp_lock_mode a, nsp_lock_mode b)
{
#define M(mode) (1u << NSP_LOCK_##mode)
	static const unsigned short conflicts[] = {
		[NSP_LOCK_UNSPECIFIED] = 0,
		[NSP_LOCK_ACCESS_SHARE] = M(ACCESS_EXCLUSIVE),
		[NSP_LOCK_ROW_SHARE] = M(EXCLUSIVE) | M(ACCESS_EXCLUSIVE),
		[NSP_LOCK_ROW_EXCLUSIVE] = M(SHARE) | M(SHARE_ROW_EXCLUSIVE) | M(EXCLUSIVE) |
					   M(ACCESS_EXCLUSIVE),
		[NSP_LOCK_SHARE_UPDATE_EXCLUSIVE] = M(SHARE_UPDATE_EXCLUSIVE) | M(SHARE) |
						    M(SHARE_ROW_EXCLUSIVE) | M(EXCLUSIVE) |
						    M(ACCESS_EXCLUSIVE),
		[NSP_LOCK_SHARE] = M(ROW_EXCLUSIVE) | M(SHARE_UPDATE_EXCLUSIVE) |
				   M(SHARE_ROW_EXCLUSIVE) | M(EXCLUSIVE) | M(ACCESS_EXCLUSIVE),
		[NSP_LOCK_SHARE_ROW_EXCLUSIVE] = M(ROW_EXCLUSIVE) | M(SHARE_UPDATE_EXCLUSIVE) |
						 M(SHARE) | M(SHARE_ROW_EXCLUSIVE) | M(EXCLUSIVE) |
						 M(ACCESS_EXCLUSIVE),
		[NSP_LOCK_EXCLUSIVE] = M(ROW_SHARE) | M(ROW_EXCLUSIVE) | M(SHARE_UPDATE_EXCLUSIVE) |
				       M(SHARE) | M(SHARE_ROW_EXCLUSIVE) | M(EXCLUSIVE) |
				       M(ACCESS_EXCLUSIVE),
		[NSP_LOCK_ACCESS_EXCLUSIVE] = M(ACCESS_SHARE) | M(ROW_SHARE) | M(ROW_EXCLUSIVE) |
					      M(SHARE_UPDATE_EXCLUSIVE) | M(SHARE) |
					      M(SHARE_ROW_EXCLUSIVE) | M(EXCLUSIVE) |
					      M(ACCESS_EXCLUSIVE),
	};
#undef M
	return (conflicts[a] >> b) & 1u;
}

bool nsp_sched_steps_conflict(const Neosync__Plugin__V1__Step *a, const Neosync__Plugin__V1__Step *b)
{
	for (size_t i = 0; i < a->n_locks; i++)
		for (size_t j = 0; j < b->n_locks; j++)
			if (strcmp(a->locks[i]->relation, b->locks[j]->relation) == 0 &&
			    modes_conflict(nsp_lock_ref_mode(a->locks[i]), nsp_lock_ref_mode(b->locks[j])))
				return true;
	return false;
}

uint64_t nsp_sched_step_work(const Neosync__Plugin__V1__Step *s)
{
	switch (nsp_step_kind(s)) {
	case NSP_KIND_INDEX:
	case NSP_KIND_MATVIEW_REFRESH:
		return s->cost;
	case NSP_KIND_PRIMARY_KEY:
	case NSP_KIND_UNIQUE_CONSTRAINT:
	case NSP_KIND_EXCLUSION_CONSTRAINT:
	case NSP_KIND_FOREIGN_KEY:
	case NSP_KIND_CHECK_CONSTRAINT:
		return strstr(s->sql, " NOT VALID") != NULL || strstr(s->sql, " USING INDEX ") != NULL
			       ? 0
			       : s->cost;
	default:
		return 0;
	}
}

/* --- the ready heap ------------------------------------------------------------------------ */

/* Whether node a starts before node b: catalog-only first, then priority, then plan order. */
static bool before(const void *ctx, size_t a, size_t b)
{
	const nsp_sched *s = ctx;
	const nsp_sched_node *x = &s->nodes[a], *y = &s->nodes[b];
	if (x->catalog_only != y->catalog_only)
		return x->catalog_only;
	if (x->priority != y->priority)
		return x->priority > y->priority;
	return a < b;
}

static void make_ready(nsp_sched *s, size_t n)
{
	s->nodes[n].state = NSP_SCHED_READY;
	s->nready++;
	nsp_index_heap_push(&s->ready, n);
}

/* --- building ------------------------------------------------------------------------------ */

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

/* Calls fn for every dependency of node n on another post-sync node. */
static void each_dependency(nsp_sched *s, const Neosync__Plugin__V1__Plan *plan, const long *node_of,
			    size_t n, void (*fn)(nsp_sched *s, size_t dep, size_t n))
{
	const Neosync__Plugin__V1__Step *st = s->nodes[n].s;
	for (size_t d = 0; d < st->n_depends_on; d++) {
		long pi = index_of(plan, st->depends_on[d]);
		long dn = pi >= 0 ? node_of[pi] : -1;
		if (dn >= 0 && (size_t)dn != n)
			fn(s, (size_t)dn, n);
	}
}

static void count_dependent(nsp_sched *s, size_t dep, size_t n)
{
	(void)n;
	s->nodes[dep].ndependents++;
}

static void add_dependent(nsp_sched *s, size_t dep, size_t n)
{
	s->nodes[dep].dependents[s->nodes[dep].ndependents++] = n;
	s->nodes[n].unmet++;
}

/* Priority of every node: its work plus the largest priority among its dependents. Iterative
 * (a post-order walk with an explicit stack): plans can be deep. A cycle (only in a damaged
 * plan, which never runs to the end anyway) is cut where the walk meets it. */
static int price(nsp_sched *s)
{
	size_t *stack = malloc((s->n ? s->n : 1) * sizeof(*stack));
	size_t *next = calloc(s->n ? s->n : 1, sizeof(*next)); /* next dependent to visit */
	bool *seen = calloc(s->n ? s->n : 1, sizeof(*seen));
	int rc = stack && next && seen ? 0 : -1;
	for (size_t root = 0; rc == 0 && root < s->n; root++) {
		if (seen[root])
			continue;
		size_t top = 0;
		stack[top++] = root;
		seen[root] = true; /* on the stack: a cycle back to it adds nothing */
		while (top > 0) {
			size_t cur = stack[top - 1];
			nsp_sched_node *nd = &s->nodes[cur];
			if (next[cur] < nd->ndependents) {
				size_t d = nd->dependents[next[cur]++];
				if (!seen[d]) {
					seen[d] = true;
					stack[top++] = d;
				}
				continue;
			}
			uint64_t longest = 0;
			for (size_t k = 0; k < nd->ndependents; k++)
				if (s->nodes[nd->dependents[k]].priority > longest)
					longest = s->nodes[nd->dependents[k]].priority;
			nd->priority = nsp_sched_step_work(nd->s) + longest;
			top--;
		}
	}
	free(stack);
	free(next);
	free(seen);
	return rc;
}

int nsp_sched_build(nsp_sched *s, const Neosync__Plugin__V1__Plan *plan)
{
	memset(s, 0, sizeof(*s));
	size_t cap = plan->n_steps ? plan->n_steps : 1;
	s->nodes = calloc(cap, sizeof(*s->nodes));
	s->ready = (nsp_index_heap){.items = malloc(cap * sizeof(size_t)), .before = before, .ctx = s};
	s->running = malloc(cap * sizeof(*s->running));
	s->passed = malloc(cap * sizeof(*s->passed));
	long *node_of = malloc(cap * sizeof(*node_of));
	if (!s->nodes || !s->ready.items || !s->running || !s->passed || !node_of) {
		free(node_of);
		return -1;
	}
	for (size_t i = 0; i < plan->n_steps; i++) {
		node_of[i] = -1;
		if (nsp_step_phase(plan->steps[i]) != NSP_PHASE_POST)
			continue;
		nsp_sched_node *nd = &s->nodes[s->n];
		nd->s = plan->steps[i];
		nd->plan_index = i;
		nd->catalog_only = nsp_sched_step_work(nd->s) == 0;
		node_of[i] = (long)s->n++;
	}
	for (size_t n = 0; n < s->n; n++)
		each_dependency(s, plan, node_of, n, count_dependent);
	int rc = 0;
	for (size_t n = 0; n < s->n && rc == 0; n++) {
		nsp_sched_node *nd = &s->nodes[n];
		nd->dependents = malloc((nd->ndependents ? nd->ndependents : 1) * sizeof(size_t));
		rc = nd->dependents == NULL ? -1 : 0;
		nd->ndependents = 0;
	}
	for (size_t n = 0; n < s->n && rc == 0; n++)
		each_dependency(s, plan, node_of, n, add_dependent);
	free(node_of);
	return rc == 0 ? price(s) : -1;
}

void nsp_sched_free(nsp_sched *s)
{
	for (size_t n = 0; s->nodes != NULL && n < s->n; n++)
		free(s->nodes[n].dependents);
	free(s->nodes);
	free(s->ready.items);
	free(s->running);
	free(s->passed);
	memset(s, 0, sizeof(*s));
}

/* --- deciding ------------------------------------------------------------------------------ */

void nsp_sched_release(nsp_sched *s)
{
	for (size_t n = 0; n < s->n; n++)
		if (s->nodes[n].state == NSP_SCHED_WAITING && s->nodes[n].unmet == 0)
			make_ready(s, n);
}

static bool conflicts_with_running(const nsp_sched *s, size_t n)
{
	for (size_t i = 0; i < s->nrunning; i++)
		if (nsp_sched_steps_conflict(s->nodes[s->running[i]].s, s->nodes[n].s))
			return true;
	return false;
}

static bool node_batchable(const nsp_sched *s, size_t n)
{
	return !s->nodes[n].alone && nsp_sched_batchable(s->nodes[n].s);
}

/* The best ready node without a lock conflict with a running one; with batch_work_left set,
 * only when it is batchable and its work fits (else it stays ready and -1 is returned). */
static long pick(nsp_sched *s, const uint64_t *batch_work_left)
{
	size_t npassed = 0;
	long chosen = -1;
	while (s->ready.n > 0 && chosen < 0) {
		size_t n = nsp_index_heap_pop(&s->ready);
		if (s->nodes[n].state != NSP_SCHED_READY)
			continue; /* settled while it waited (skipped): drop it */
		if (conflicts_with_running(s, n)) {
			s->passed[npassed++] = n;
			continue;
		}
		if (batch_work_left != NULL && (!node_batchable(s, n) ||
						nsp_sched_step_work(s->nodes[n].s) > *batch_work_left)) {
			s->passed[npassed++] = n; /* the best one does not fit: the batch ends */
			break;
		}
		chosen = (long)n;
	}
	for (size_t i = 0; i < npassed; i++)
		nsp_index_heap_push(&s->ready, s->passed[i]);
	if (chosen >= 0) {
		s->nodes[chosen].state = NSP_SCHED_RUNNING;
		s->nready--;
		s->running[s->nrunning++] = (size_t)chosen;
	}
	return chosen;
}

long nsp_sched_next(nsp_sched *s)
{
	return pick(s, NULL);
}

bool nsp_sched_batchable(const Neosync__Plugin__V1__Step *s)
{
	/* CREATE INDEX CONCURRENTLY and the like refuse to run inside a transaction block. */
	return nsp_sched_step_work(s) <= NSP_SCHED_BATCH_STEP_WORK && s->sql != NULL &&
	       strstr(s->sql, "CONCURRENTLY") == NULL;
}

size_t nsp_sched_batch_size(size_t nready, unsigned idle)
{
	size_t share = idle > 0 ? (nready + idle - 1) / idle : nready;
	if (share < 1)
		share = 1;
	return share > NSP_SCHED_BATCH_STEPS ? NSP_SCHED_BATCH_STEPS : share;
}

size_t nsp_sched_next_batch(nsp_sched *s, size_t *out, size_t max)
{
	if (max == 0)
		return 0;
	long first = pick(s, NULL);
	if (first < 0)
		return 0;
	out[0] = (size_t)first;
	size_t k = 1;
	uint64_t work = nsp_sched_step_work(s->nodes[first].s);
	if (!node_batchable(s, (size_t)first))
		return k;
	while (k < max && work < NSP_SCHED_BATCH_WORK) {
		uint64_t left = NSP_SCHED_BATCH_WORK - work;
		long n = pick(s, &left);
		if (n < 0)
			break;
		out[k++] = (size_t)n;
		work += nsp_sched_step_work(s->nodes[n].s);
	}
	return k;
}

void nsp_sched_unstart(nsp_sched *s, size_t n)
{
	if (s->nodes[n].state != NSP_SCHED_RUNNING)
		return;
	for (size_t i = 0; i < s->nrunning; i++)
		if (s->running[i] == n) {
			s->running[i] = s->running[--s->nrunning];
			break;
		}
	make_ready(s, n);
}

void nsp_sched_unstart_alone(nsp_sched *s, size_t n)
{
	s->nodes[n].alone = true;
	nsp_sched_unstart(s, n);
}

void nsp_sched_settle(nsp_sched *s, size_t n, bool satisfied,
		      void (*blocked)(void *arg, size_t dependent), void *arg)
{
	nsp_sched_node *nd = &s->nodes[n];
	if (nd->state == NSP_SCHED_DONE)
		return;
	if (nd->state == NSP_SCHED_READY)
		s->nready--; /* its heap entry is dropped when it comes up */
	if (nd->state == NSP_SCHED_RUNNING)
		for (size_t i = 0; i < s->nrunning; i++)
			if (s->running[i] == n) {
				s->running[i] = s->running[--s->nrunning];
				break;
			}
	nd->state = NSP_SCHED_DONE;
	for (size_t d = 0; d < nd->ndependents; d++) {
		size_t dep = nd->dependents[d];
		nsp_sched_node *dn = &s->nodes[dep];
		if (dn->state == NSP_SCHED_DONE)
			continue;
		if (!satisfied)
			blocked(arg, dep);
		else if (--dn->unmet == 0 && dn->state == NSP_SCHED_WAITING)
			make_ready(s, dep);
	}
}

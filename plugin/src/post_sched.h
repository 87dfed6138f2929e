/* post_sched - which post-sync step starts next, without any I/O (apply_post.c runs the
 * connections; this decides), as pg_restore keeps its scheduler apart from parallel.c.
 *
 * The graph is the plan's post-sync steps and their dependencies on each other (pre-sync steps
 * were applied before). A step is ready when every step it depends on reached an outcome that
 * satisfies it (applied, or already there). Among ready steps, steps without work of their own
 * (they only change the catalog: attach a built index, add a key USING INDEX or a foreign key
 * NOT VALID, comments, grants) come first, then the one with the longest chain of work behind
 * it (critical path: its own work plus the largest priority among its dependents; work is the
 * bytes of the table a step reads or builds from), then plan order. A step never starts while
 * a running step holds a lock on one of its relations in a conflicting mode (PostgreSQL's lock
 * conflict table), so no step of the plan waits for another in the server.
 *
 * The ready steps are a binary heap: a decision costs O(log n) plus the steps it passes over
 * because of a lock conflict, never a sort of the ready set. */
#ifndef NSP_POST_SCHED_H
#define NSP_POST_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index_heap.h"
#include "neosync/plugin/v1/plan.pb-c.h"

typedef enum { NSP_SCHED_WAITING, NSP_SCHED_READY, NSP_SCHED_RUNNING, NSP_SCHED_DONE } nsp_sched_state;

typedef struct nsp_sched_node {
	const Neosync__Plugin__V1__Step *s;
	nsp_sched_state state;
	size_t plan_index;  /* position of the step in the plan */
	size_t unmet;       /* dependencies not yet satisfied */
	size_t *dependents; /* nodes that depend on this one */
	size_t ndependents;
	uint64_t priority;  /* own work + the largest priority among dependents */
	bool catalog_only;  /* no work of its own */
	bool alone;         /* never batched again (nsp_sched_unstart_alone) */
} nsp_sched_node;

typedef struct nsp_sched {
	nsp_sched_node *nodes; /* the post-sync steps, in plan order */
	size_t n;
	nsp_index_heap ready;  /* ready nodes, best first (may hold nodes settled since: skipped) */
	size_t nready;         /* nodes in state READY */
	size_t *running;       /* nodes in state RUNNING */
	size_t nrunning;
	size_t *passed;        /* scratch: ready nodes passed over by nsp_sched_next */
} nsp_sched;

/* The graph of the plan's post-sync steps, priced. 0, or -1 out of memory. */
int nsp_sched_build(nsp_sched *s, const Neosync__Plugin__V1__Plan *plan);
void nsp_sched_free(nsp_sched *s);

/* Make ready every waiting node with no unmet dependency (after the outcomes known before
 * anything runs were given with nsp_sched_settle). */
void nsp_sched_release(nsp_sched *s);

/* The best ready node that can start now (no lock conflict with a running one), marked
 * RUNNING; -1 when none can. */
long nsp_sched_next(nsp_sched *s);

/* Node n reached its outcome. satisfied: its dependents may run (those left without an unmet
 * dependency become ready). Not satisfied: blocked(arg, dependent) is called for every
 * dependent still without an outcome; the caller settles it (usually: skipped, and
 * nsp_sched_settle of that one in turn). */
void nsp_sched_settle(nsp_sched *s, size_t n, bool satisfied,
		      void (*blocked)(void *arg, size_t dependent), void *arg);

/* Several cheap steps per round trip (apply_post.c sends each in its own transaction, its
 * COMMIT telling that it is applied, so that a failure is attributed to its step and stops only its batch's
 * later steps, which go back to the ready set). A step is cheap when it reads at most
 * NSP_SCHED_BATCH_STEP_WORK bytes (catalog-only steps, and builds and checks on empty or small
 * tables: on 5 000 empty tables the round trips, not the statements, were most of the time); a
 * batch holds at most NSP_SCHED_BATCH_STEPS steps and NSP_SCHED_BATCH_WORK bytes of work. */
enum { NSP_SCHED_BATCH_STEPS = 100 };
#define NSP_SCHED_BATCH_STEP_WORK ((uint64_t)1 << 20)
#define NSP_SCHED_BATCH_WORK ((uint64_t)8 << 20)

/* Whether a step may share a round trip with others: cheap, and its SQL may run inside a
 * transaction block. */
bool nsp_sched_batchable(const Neosync__Plugin__V1__Step *s);

/* How many steps the next batch may take when `idle` connections wait for work: the ready
 * steps shared out among them (at least 1, at most NSP_SCHED_BATCH_STEPS), so that one batch
 * does not leave the other connections idle. */
size_t nsp_sched_batch_size(size_t nready, unsigned idle);

/* The steps to send together, best first: the best node that can start now and, when it is
 * batchable, the next best ones as long as they are batchable too (up to max nodes and
 * NSP_SCHED_BATCH_WORK), each marked RUNNING. Returns how many were put in out[] (0: none can
 * start). A node never joins a batch that holds a node its locks conflict with. */
size_t nsp_sched_next_batch(nsp_sched *s, size_t *out, size_t max);

/* A RUNNING node that did not run (its batch stopped at an earlier step's failure) becomes
 * ready again. */
void nsp_sched_unstart(nsp_sched *s, size_t n);

/* As nsp_sched_unstart, and the node runs alone from now on: its batch failed before any of
 * its statements ran (PostgreSQL parses a whole query string first, so a syntax error in one
 * step fails the round trip without saying which step it was in). */
void nsp_sched_unstart_alone(nsp_sched *s, size_t n);

/* The bytes a step reads for scheduling (0: catalog only). */
uint64_t nsp_sched_step_work(const Neosync__Plugin__V1__Step *s);
/* Whether two steps hold locks that conflict (PostgreSQL's table lock conflict matrix). */
bool nsp_sched_steps_conflict(const Neosync__Plugin__V1__Step *a, const Neosync__Plugin__V1__Step *b);

#endif

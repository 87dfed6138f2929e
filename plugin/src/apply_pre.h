/* apply_pre internals, shared by the serial executor (apply_pre.c: one connection, every
 * policy) and the parallel one (apply_pre_waves.c: N connections, for large plans). */
#ifndef NSP_APPLY_PRE_H
#define NSP_APPLY_PRE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "apply.h"
#include "destination.h"
#include "handle.h"
#include "strbuf.h"

/* Locks a step takes that stay held until its transaction ends. */
size_t nsp_pre_lock_estimate(const Neosync__Plugin__V1__Step *s);
/* How many locks pre-sync may hold at once: a quarter of the server's lock table. */
size_t nsp_pre_lock_budget(PGconn *dst);
/* Drop, newest first, what committed transactions created (steps [0, upto) marked in
 * `created`), in transactions of at most `budget` locks. */
void nsp_pre_undo(nsp_plugin *h, PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
		  const bool *created, size_t upto, size_t budget);

/* Statements sent in one round trip: up to this many steps, or this many bytes of SQL. A marker
 * query after each step ("SELECT n AS nsp_step") says how far the server got, so a failure is
 * still attributed to its step. */
enum { NSP_PRE_CHUNK_STEPS = 200, NSP_PRE_CHUNK_BYTES = 1 << 20 };

typedef struct nsp_pre_chunk {
	nsp_strbuf sql;
	size_t idx[NSP_PRE_CHUNK_STEPS]; /* plan indices of the steps in it */
	size_t start[NSP_PRE_CHUNK_STEPS]; /* where each step's SQL begins in sql (bytes) */
	Neosync__Plugin__V1__StepResult *res[NSP_PRE_CHUNK_STEPS];
	size_t n;
	size_t next;    /* steps whose marker came back */
	uint64_t last;  /* when the previous marker came (for step durations) */
} nsp_pre_chunk;

void nsp_pre_chunk_add(nsp_pre_chunk *c, size_t i, const Neosync__Plugin__V1__Step *s,
		       Neosync__Plugin__V1__StepResult *r);
/* One result of the chunk's query string: a step's marker marks it applied (and created,
 * progress reported); an error is recorded on the step it belongs to. Returns the plan index
 * of that step, or SIZE_MAX. */
size_t nsp_pre_chunk_result(nsp_plugin *h, const Neosync__Plugin__V1__Plan *plan, nsp_pre_chunk *c,
			    PGresult *res, PGconn *conn, bool *created, size_t *done, size_t total);
/* The position in the chunk (0..n-1) of the step whose SQL holds the error's statement position
 * (PG_DIAG_STATEMENT_POSITION: 1-based, in characters of the chunk's string; `encoding` is the
 * connection's client encoding), SIZE_MAX when there is none or it is past the chunk. A syntax
 * error stops a chunk before any of it runs (the server parses the whole string first), so the
 * position, not the markers, says whose it is. */
size_t nsp_pre_chunk_step_at(const nsp_pre_chunk *c, const char *position, int encoding);
/* Forget the chunk's steps (after its results are in). */
void nsp_pre_chunk_reset(nsp_pre_chunk *c);

/* The outcome a step has without running (skipped by the plan, already there, a conflict,
 * nothing to run), set on r; false when the step must run. */
bool nsp_pre_settle(const Neosync__Plugin__V1__Step *s, nsp_presence presence, const char *detail,
		    Neosync__Plugin__V1__StepResult *r);

/* The error of a failed pre-sync, from its failed step's result. */
void nsp_pre_step_error(const Neosync__Plugin__V1__Step *failed, const nsp_results *results,
			size_t first_result, nsp_error *err);

/* A failed pre-sync: every step reported applied since `first_result` is rolled back, and the
 * plan's pre-sync steps from `reported_upto` on get a skipped result. */
int nsp_pre_mark_rolled_back(const Neosync__Plugin__V1__Plan *plan,
			     const Neosync__Plugin__V1__Step *failed, nsp_results *results,
			     size_t first_result, size_t reported_upto, nsp_error *err);

/* Pre-sync on up to `parallelism` connections (apply_pre_waves.c), for plans whose steps all
 * run without savepoints. Returns 1, having done nothing, when the plan is too small or too
 * linear to gain from it; else 0 (applied) or -1 (failed, everything undone; err set). */
int nsp_apply_pre_waves(nsp_plugin *h, PGconn *dst, const char *dst_url,
			const Neosync__Plugin__V1__SchemaPluginOptions *opts,
			const Neosync__Plugin__V1__Plan *plan, const nsp_presence *presence,
			char *const *detail, nsp_results *results, nsp_error *err);

#endif

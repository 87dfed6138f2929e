/* The post-sync scheduler's decisions (post_sched.c), without a server: which step runs next,
 * which must wait for which lock, what a failure blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "post_sched.h"
#include "model_enums.h"

enum { MAX_STEPS = 16 };

/* A plan of up to MAX_STEPS post-sync steps, each with at most one lock and two dependencies. */
typedef struct test_plan {
	Neosync__Plugin__V1__Plan plan;
	Neosync__Plugin__V1__Step steps[MAX_STEPS];
	Neosync__Plugin__V1__Step *step_ptrs[MAX_STEPS];
	Neosync__Plugin__V1__LockRef locks[MAX_STEPS];
	Neosync__Plugin__V1__LockRef *lock_ptrs[MAX_STEPS];
	uint32_t deps[MAX_STEPS][2];
} test_plan;

static void plan_init(test_plan *t)
{
	memset(t, 0, sizeof(*t));
	neosync__plugin__v1__plan__init(&t->plan);
	t->plan.steps = t->step_ptrs;
}

/* Step id n+1: kind, cost (bytes it reads), the relation it locks and how, up to two step ids
 * it depends on (0: none). */
static void add(test_plan *t, nsp_kind kind, uint64_t cost, const char *sql, const char *relation,
		nsp_lock_mode mode, uint32_t dep1, uint32_t dep2)
{
	size_t n = t->plan.n_steps++;
	Neosync__Plugin__V1__Step *s = &t->steps[n];
	neosync__plugin__v1__step__init(s);
	s->id = (uint32_t)n + 1;
	s->phase = nsp_phase_wire(NSP_PHASE_POST);
	s->kind = nsp_kind_wire(kind);
	s->cost = cost;
	s->sql = (char *)sql;
	if (relation != NULL) {
		neosync__plugin__v1__lock_ref__init(&t->locks[n]);
		t->locks[n].relation = (char *)relation;
		t->locks[n].mode = nsp_lock_wire(mode);
		t->lock_ptrs[n] = &t->locks[n];
		s->locks = &t->lock_ptrs[n];
		s->n_locks = 1;
	}
	s->depends_on = t->deps[n];
	t->deps[n][0] = dep1;
	t->deps[n][1] = dep2;
	s->n_depends_on = (size_t)(dep1 != 0) + (dep2 != 0);
	t->step_ptrs[n] = s;
}

static void index_step(test_plan *t, uint64_t cost, const char *relation)
{
	add(t, NSP_KIND_INDEX, cost, "CREATE INDEX ...", relation, NSP_LOCK_SHARE, 0, 0);
}

static void build(nsp_sched *s, test_plan *t)
{
	assert_int_equal(nsp_sched_build(s, &t->plan), 0);
	nsp_sched_release(s);
}

static void test_largest_work_first_catalog_only_before_all(void **state)
{
	(void)state;
	test_plan t;
	plan_init(&t);
	index_step(&t, 10, "a");
	index_step(&t, 300, "b");
	index_step(&t, 20, "c");
	add(&t, NSP_KIND_COMMENT, 0, "COMMENT ON ...", NULL, 0, 0, 0);
	nsp_sched s;
	build(&s, &t);
	assert_int_equal(s.nready, 4);
	assert_int_equal(nsp_sched_next(&s), 3); /* the comment: no work of its own */
	assert_int_equal(nsp_sched_next(&s), 1); /* 300 bytes */
	assert_int_equal(nsp_sched_next(&s), 2); /* 20 */
	assert_int_equal(nsp_sched_next(&s), 0); /* 10 */
	assert_int_equal(nsp_sched_next(&s), -1);
	nsp_sched_free(&s);
}

static void test_critical_path_beats_a_larger_single_step(void **state)
{
	(void)state;
	test_plan t;
	plan_init(&t);
	index_step(&t, 100, "a");                                    /* 1: alone, 100 */
	add(&t, NSP_KIND_PRIMARY_KEY, 60, "ALTER TABLE b ADD PRIMARY KEY", "b", NSP_LOCK_ACCESS_EXCLUSIVE, 0, 0);
	add(&t, NSP_KIND_FOREIGN_KEY, 80, "ALTER TABLE c VALIDATE CONSTRAINT f", "c", NSP_LOCK_SHARE_UPDATE_EXCLUSIVE, 2, 0);
	nsp_sched s;
	build(&s, &t);
	assert_int_equal(s.nodes[1].priority, 140); /* own 60 + its dependent's 80 */
	assert_int_equal(nsp_sched_next(&s), 1);    /* the key: 140 behind it */
	assert_int_equal(nsp_sched_next(&s), 0);
	assert_int_equal(nsp_sched_next(&s), -1);   /* the foreign key waits for the key */
	nsp_sched_free(&s);
}

static void test_lock_conflicts(void **state)
{
	(void)state;
	test_plan t;
	plan_init(&t);
	index_step(&t, 50, "a");
	index_step(&t, 40, "a"); /* SHARE and SHARE: together */
	add(&t, NSP_KIND_CHECK_CONSTRAINT, 30, "ALTER TABLE a ADD CONSTRAINT c CHECK (x)", "a", NSP_LOCK_ACCESS_EXCLUSIVE, 0, 0);
	index_step(&t, 10, "b");
	nsp_sched s;
	build(&s, &t);
	assert_int_equal(nsp_sched_next(&s), 0);
	assert_int_equal(nsp_sched_next(&s), 1);
	/* the ALTER TABLE on a must wait for both index builds; b's index may start */
	assert_int_equal(nsp_sched_next(&s), 3);
	assert_int_equal(nsp_sched_next(&s), -1);
	assert_int_equal(s.nready, 1);
	nsp_sched_settle(&s, 0, true, NULL, NULL);
	assert_int_equal(nsp_sched_next(&s), -1); /* index 1 still holds SHARE on a */
	nsp_sched_settle(&s, 1, true, NULL, NULL);
	assert_int_equal(nsp_sched_next(&s), 2);
	nsp_sched_free(&s);
}

typedef struct blocked_log {
	size_t n;
	size_t nodes[MAX_STEPS];
	nsp_sched *s;
} blocked_log;

/* As apply_post.c does: a blocked dependent is skipped, and blocks its own in turn. */
static void on_blocked(void *arg, size_t dependent)
{
	blocked_log *log = arg;
	log->nodes[log->n++] = dependent;
	nsp_sched_settle(log->s, dependent, false, on_blocked, log);
}

static void test_a_failure_blocks_its_dependents_only(void **state)
{
	(void)state;
	test_plan t;
	plan_init(&t);
	add(&t, NSP_KIND_PRIMARY_KEY, 10, "ALTER TABLE a ADD PRIMARY KEY", "a", NSP_LOCK_ACCESS_EXCLUSIVE, 0, 0);
	add(&t, NSP_KIND_FOREIGN_KEY, 0, "ALTER TABLE b ADD CONSTRAINT f ... NOT VALID", "b", NSP_LOCK_SHARE_ROW_EXCLUSIVE, 1, 0);
	add(&t, NSP_KIND_FOREIGN_KEY, 5, "ALTER TABLE b VALIDATE CONSTRAINT f", "b", NSP_LOCK_SHARE_UPDATE_EXCLUSIVE, 2, 0);
	index_step(&t, 1, "c");
	nsp_sched s;
	build(&s, &t);
	assert_int_equal(nsp_sched_next(&s), 0);
	blocked_log log = {.s = &s};
	nsp_sched_settle(&s, 0, false, on_blocked, &log);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.nodes[0], 1);
	assert_int_equal(log.nodes[1], 2);
	assert_int_equal(s.nodes[2].state, NSP_SCHED_DONE);
	assert_int_equal(nsp_sched_next(&s), 3); /* unrelated: still runs */
	assert_int_equal(nsp_sched_next(&s), -1);
	nsp_sched_free(&s);
}

static void test_dependents_wait_for_every_dependency(void **state)
{
	(void)state;
	test_plan t;
	plan_init(&t);
	index_step(&t, 10, "a");
	index_step(&t, 10, "b");
	add(&t, NSP_KIND_VIEW, 0, "CREATE VIEW v ...", NULL, 0, 1, 2);
	nsp_sched s;
	build(&s, &t);
	assert_int_equal(s.nready, 2);
	long first = nsp_sched_next(&s), second = nsp_sched_next(&s);
	nsp_sched_settle(&s, (size_t)first, true, NULL, NULL);
	assert_int_equal(nsp_sched_next(&s), -1);
	nsp_sched_settle(&s, (size_t)second, true, NULL, NULL);
	assert_int_equal(nsp_sched_next(&s), 2);
	nsp_sched_free(&s);
}

static void test_settled_before_running_is_never_started(void **state)
{
	(void)state;
	test_plan t;
	plan_init(&t);
	index_step(&t, 10, "a");
	index_step(&t, 20, "b");
	nsp_sched s;
	build(&s, &t);
	nsp_sched_settle(&s, 1, true, NULL, NULL); /* already there, or skipped while ready */
	assert_int_equal(s.nready, 1);
	assert_int_equal(nsp_sched_next(&s), 0);
	assert_int_equal(nsp_sched_next(&s), -1);
	nsp_sched_free(&s);
}

/* Cheap steps share a round trip: catalog-only steps and builds on empty tables, best first,
 * never two whose locks conflict; a step that reads much runs alone and ends the batch. */
static void test_batch_takes_cheap_steps_until_one_does_not_fit(void **state)
{
	(void)state;
	test_plan t;
	plan_init(&t);
	index_step(&t, 0, "a");
	index_step(&t, 0, "b");
	add(&t, NSP_KIND_PRIMARY_KEY, 0, "ALTER TABLE a ADD PRIMARY KEY USING INDEX i", "a", NSP_LOCK_ACCESS_EXCLUSIVE, 0, 0);
	index_step(&t, 100u << 20, "c"); /* 100 MB: not batchable */
	index_step(&t, 0, "d");
	nsp_sched s;
	build(&s, &t);
	size_t out[MAX_STEPS];
	/* a, b, d (catalog only, best first); the key on a conflicts with a's build (passed
	 * over); c's build, the next best, is too big to share a round trip: the batch ends */
	assert_int_equal(nsp_sched_next_batch(&s, out, 10), 3);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[2], 4);
	assert_int_equal(s.nodes[0].state, NSP_SCHED_RUNNING);
	/* the big build alone */
	assert_int_equal(nsp_sched_next_batch(&s, out, 10), 1);
	assert_int_equal(out[0], 3);
	/* the key waits for a's build */
	assert_int_equal(nsp_sched_next_batch(&s, out, 10), 0);
	nsp_sched_settle(&s, 0, true, NULL, NULL);
	assert_int_equal(nsp_sched_next_batch(&s, out, 10), 1);
	assert_int_equal(out[0], 2);
	/* no room: nothing starts */
	assert_int_equal(nsp_sched_next_batch(&s, out, 0), 0);
	nsp_sched_free(&s);
}

/* A batch stopped by its first step's failure: the steps after it did not run and are ready
 * again; the one that failed blocks only its dependents. */
static void test_batch_steps_that_did_not_run_are_ready_again(void **state)
{
	(void)state;
	test_plan t;
	plan_init(&t);
	index_step(&t, 0, "a");
	index_step(&t, 0, "b");
	index_step(&t, 0, "c");
	add(&t, NSP_KIND_PRIMARY_KEY, 0, "ALTER TABLE a ADD PRIMARY KEY USING INDEX i", "a", NSP_LOCK_ACCESS_EXCLUSIVE, 1, 0);
	nsp_sched s;
	build(&s, &t);
	size_t out[MAX_STEPS];
	assert_int_equal(nsp_sched_next_batch(&s, out, 10), 3);
	assert_int_equal(s.nready, 0);
	blocked_log log = {.s = &s};
	nsp_sched_settle(&s, out[0], false, on_blocked, &log); /* a's build failed */
	assert_int_equal(log.n, 1);
	assert_int_equal(log.nodes[0], 3);
	nsp_sched_unstart(&s, out[1]);
	nsp_sched_unstart(&s, out[2]);
	assert_int_equal(s.nready, 2);
	assert_int_equal(s.nrunning, 0);
	assert_int_equal(s.nodes[1].state, NSP_SCHED_READY);
	assert_int_equal(nsp_sched_next_batch(&s, out, 10), 2);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);
	nsp_sched_unstart(&s, 3); /* not running (skipped): nothing changes */
	assert_int_equal(s.nodes[3].state, NSP_SCHED_DONE);
	nsp_sched_free(&s);
}

/* A batch that failed before any statement ran (a syntax error somewhere in its query string):
 * each of its steps runs alone from then on, the others still batch. */
static void test_batch_that_failed_to_parse_runs_alone(void **state)
{
	(void)state;
	test_plan t;
	plan_init(&t);
	index_step(&t, 0, "a");
	index_step(&t, 0, "b");
	index_step(&t, 0, "c");
	index_step(&t, 0, "d");
	nsp_sched s;
	build(&s, &t);
	size_t out[MAX_STEPS];
	assert_int_equal(nsp_sched_next_batch(&s, out, 2), 2);
	size_t failed[2] = {out[0], out[1]};
	nsp_sched_unstart_alone(&s, failed[0]);
	nsp_sched_unstart_alone(&s, failed[1]);
	assert_int_equal(s.nready, 4);
	assert_int_equal(s.nrunning, 0);
	/* every node comes out once: the two that failed alone, the other two together */
	size_t seen = 0, batches_of_two = 0;
	for (size_t k; (k = nsp_sched_next_batch(&s, out, 10)) > 0; seen += k) {
		for (size_t i = 0; i < k; i++)
			assert_true(k == 1 || (out[i] != failed[0] && out[i] != failed[1]));
		batches_of_two += k == 2;
	}
	assert_int_equal(seen, 4);
	assert_int_equal(batches_of_two, 1);
	nsp_sched_free(&s);
}

/* At most max steps, and at most NSP_SCHED_BATCH_WORK bytes of work in one batch. */
static void test_batch_limits(void **state)
{
	(void)state;
	static const char *const rel[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
	test_plan t;
	plan_init(&t);
	for (size_t i = 0; i < 10; i++)
		index_step(&t, NSP_SCHED_BATCH_STEP_WORK, rel[i]);
	nsp_sched s;
	build(&s, &t);
	size_t out[MAX_STEPS];
	assert_int_equal(nsp_sched_next_batch(&s, out, 3), 3);
	assert_int_equal(nsp_sched_next_batch(&s, out, 100),
			 NSP_SCHED_BATCH_WORK / NSP_SCHED_BATCH_STEP_WORK < 7 ? NSP_SCHED_BATCH_WORK / NSP_SCHED_BATCH_STEP_WORK : 7);
	nsp_sched_free(&s);
	/* the share of each idle connection */
	assert_int_equal(nsp_sched_batch_size(10, 2), 5);
	assert_int_equal(nsp_sched_batch_size(11, 2), 6);
	assert_int_equal(nsp_sched_batch_size(0, 2), 1);
	assert_int_equal(nsp_sched_batch_size(5, 0), 5);
	assert_int_equal(nsp_sched_batch_size(100000, 1), NSP_SCHED_BATCH_STEPS);
}

static void test_what_may_share_a_round_trip(void **state)
{
	(void)state;
	test_plan t;
	plan_init(&t);
	index_step(&t, 0, "a");
	add(&t, NSP_KIND_INDEX, 0, "CREATE INDEX CONCURRENTLY i ON a (x)", "a", NSP_LOCK_SHARE_UPDATE_EXCLUSIVE, 0, 0);
	index_step(&t, NSP_SCHED_BATCH_STEP_WORK + 1, "b");
	add(&t, NSP_KIND_FOREIGN_KEY, 1u << 30, "ALTER TABLE b ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES a NOT VALID", "b",
	    NSP_LOCK_SHARE_ROW_EXCLUSIVE, 0, 0);
	assert_true(nsp_sched_batchable(&t.steps[0]));
	assert_false(nsp_sched_batchable(&t.steps[1]));
	assert_false(nsp_sched_batchable(&t.steps[2]));
	assert_true(nsp_sched_batchable(&t.steps[3])); /* catalog only, whatever the table's size */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_largest_work_first_catalog_only_before_all),
		cmocka_unit_test(test_critical_path_beats_a_larger_single_step),
		cmocka_unit_test(test_lock_conflicts),
		cmocka_unit_test(test_a_failure_blocks_its_dependents_only),
		cmocka_unit_test(test_dependents_wait_for_every_dependency),
		cmocka_unit_test(test_settled_before_running_is_never_started),
		cmocka_unit_test(test_batch_takes_cheap_steps_until_one_does_not_fit),
		cmocka_unit_test(test_batch_steps_that_did_not_run_are_ready_again),
		cmocka_unit_test(test_batch_that_failed_to_parse_runs_alone),
		cmocka_unit_test(test_batch_limits),
		cmocka_unit_test(test_what_may_share_a_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

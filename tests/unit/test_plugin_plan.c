/* Planner unit tests on hand-built models: phase split, dependency order, tie-breaks, cycles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "plan.h"
#include "model_enums.h"

static nsp_object *add(nsp_model *m, nsp_kind kind,
		       nsp_phase phase, uint32_t oid, const char *name)
{
	nsp_object *o = nsp_model_add(m, kind, phase, (nsp_catref){NSP_CLASS_PG_CLASS, oid}, "public",
				      name, name, "SELECT 1;");
	assert_non_null(o);
	return o;
}

static size_t position(const size_t *order, size_t n, size_t index)
{
	for (size_t i = 0; i < n; i++)
		if (order[i] == index)
			return i;
	fail_msg("object %zu not in order", index);
	return SIZE_MAX;
}

static void test_dependencies_respected(void **state)
{
	(void)state;
	nsp_model m;
	assert_int_equal(nsp_model_init(&m), 0);
	/* Added in reverse of the order they must run in. */
	nsp_object *fk = add(&m, NSP_KIND_FOREIGN_KEY, NSP_PHASE_POST, 10, "a_fk");
	nsp_object *pk = add(&m, NSP_KIND_PRIMARY_KEY, NSP_PHASE_POST, 11, "b_pk");
	nsp_object *ta = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 12, "a");
	nsp_object *tb = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 13, "b");
	nsp_object *fn = add(&m, NSP_KIND_FUNCTION, NSP_PHASE_PRE, 14, "f");
	assert_int_equal(nsp_object_needs(fk, pk->index), 0);
	assert_int_equal(nsp_object_needs(fk, ta->index), 0);
	assert_int_equal(nsp_object_needs(pk, tb->index), 0);
	/* A table default that calls a function: the function comes first. */
	assert_int_equal(nsp_object_needs_ref(ta, (nsp_catref){NSP_CLASS_PG_CLASS, 14}), 0);
	assert_int_equal(nsp_model_resolve(&m), 0);
	size_t *order = NULL;
	nsp_error warn;
	nsp_error_clear(&warn);
	assert_int_equal(nsp_plan_order(&m, &order, &warn), 0);
	assert_string_equal(warn.message, "");
	assert_true(position(order, m.nobjects, fn->index) < position(order, m.nobjects, ta->index));
	assert_true(position(order, m.nobjects, tb->index) < position(order, m.nobjects, pk->index));
	assert_true(position(order, m.nobjects, pk->index) < position(order, m.nobjects, fk->index));
	/* Every pre-sync object before every post-sync one. */
	size_t last_pre = 0, first_post = SIZE_MAX;
	for (size_t i = 0; i < m.nobjects; i++) {
		if (m.objects[order[i]]->phase == NSP_PHASE_PRE)
			last_pre = i;
		else if (first_post == SIZE_MAX)
			first_post = i;
	}
	assert_true(last_pre < first_post);
	free(order);
	nsp_model_free(&m);
}

static void test_tie_break_by_kind_then_name(void **state)
{
	(void)state;
	nsp_model m;
	assert_int_equal(nsp_model_init(&m), 0);
	nsp_object *t2 = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 20, "zeta");
	nsp_object *t1 = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 21, "alpha");
	nsp_object *s = add(&m, NSP_KIND_SCHEMA, NSP_PHASE_PRE, 22, "s");
	nsp_object *i = add(&m, NSP_KIND_INDEX, NSP_PHASE_POST, 23, "idx");
	nsp_object *pk = add(&m, NSP_KIND_PRIMARY_KEY, NSP_PHASE_POST, 24, "pk");
	size_t *order = NULL;
	assert_int_equal(nsp_plan_order(&m, &order, NULL), 0);
	assert_int_equal(order[0], s->index);
	assert_int_equal(order[1], t1->index);
	assert_int_equal(order[2], t2->index);
	assert_int_equal(order[3], pk->index);
	assert_int_equal(order[4], i->index);
	free(order);
	nsp_model_free(&m);
}

static void test_pre_object_needing_post_object_moves(void **state)
{
	(void)state;
	nsp_model m;
	assert_int_equal(nsp_model_init(&m), 0);
	nsp_object *view = add(&m, NSP_KIND_VIEW, NSP_PHASE_POST, 30, "v");
	nsp_object *fn = add(&m, NSP_KIND_FUNCTION, NSP_PHASE_PRE, 31, "f_over_view");
	nsp_object *cmt = add(&m, NSP_KIND_COMMENT, NSP_PHASE_PRE, 0, "comment on f");
	assert_int_equal(nsp_object_needs(fn, view->index), 0);
	assert_int_equal(nsp_object_needs(cmt, fn->index), 0);
	assert_int_equal(nsp_plan_assign_phases(&m, NULL), 0);
	assert_int_equal(fn->phase, NSP_PHASE_POST);
	assert_int_equal(cmt->phase, NSP_PHASE_POST);
	nsp_model_free(&m);
}

static void test_defer_checks_option(void **state)
{
	(void)state;
	nsp_model m;
	assert_int_equal(nsp_model_init(&m), 0);
	nsp_object *chk = add(&m, NSP_KIND_CHECK_CONSTRAINT, NSP_PHASE_PRE, 40, "chk");
	nsp_object *dchk = add(&m, NSP_KIND_DOMAIN_CONSTRAINT, NSP_PHASE_PRE, 41, "dchk");
	nsp_object *tbl = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 42, "t");
	Neosync__Plugin__V1__SchemaPluginOptions opts = NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__INIT;
	assert_int_equal(nsp_plan_assign_phases(&m, &opts), 0);
	assert_int_equal(chk->phase, NSP_PHASE_PRE);
	Neosync__Plugin__V1__DeferrableKind defer[] = {
		NEOSYNC__PLUGIN__V1__DEFERRABLE_KIND__DEFERRABLE_KIND_CHECK_CONSTRAINTS};
	opts.defer = defer;
	opts.n_defer = 1;
	assert_int_equal(nsp_plan_assign_phases(&m, &opts), 0);
	assert_int_equal(chk->phase, NSP_PHASE_POST);
	assert_int_equal(dchk->phase, NSP_PHASE_PRE);
	assert_int_equal(tbl->phase, NSP_PHASE_PRE);
	nsp_model_free(&m);
}

static void test_cycle_is_broken_and_reported(void **state)
{
	(void)state;
	nsp_model m;
	assert_int_equal(nsp_model_init(&m), 0);
	nsp_object *a = add(&m, NSP_KIND_VIEW, NSP_PHASE_POST, 50, "a");
	nsp_object *b = add(&m, NSP_KIND_VIEW, NSP_PHASE_POST, 51, "b");
	assert_int_equal(nsp_object_needs(a, b->index), 0);
	assert_int_equal(nsp_object_needs(b, a->index), 0);
	size_t *order = NULL;
	nsp_error warn;
	nsp_error_clear(&warn);
	assert_int_equal(nsp_plan_order(&m, &order, &warn), 0);
	assert_non_null(strstr(warn.message, "cycle"));
	assert_true(order[0] != order[1]);
	free(order);
	nsp_model_free(&m);
}

static void test_plan_message_ids_and_dependencies(void **state)
{
	(void)state;
	nsp_model m;
	assert_int_equal(nsp_model_init(&m), 0);
	nsp_object *idx = add(&m, NSP_KIND_INDEX, NSP_PHASE_POST, 60, "i");
	nsp_object *t = add(&m, NSP_KIND_TABLE, NSP_PHASE_PRE, 61, "t");
	assert_int_equal(nsp_object_needs(idx, t->index), 0);
	assert_int_equal(nsp_object_set_table(idx, 61, "\"public\".\"t\"",
					      NSP_LOCK_SHARE),
			 0);
	Neosync__Plugin__V1__Plan *plan = NULL;
	nsp_error err;
	nsp_error_clear(&err);
	assert_int_equal(nsp_plan_build(&m, NULL, "job-1", &plan, &err), 0);
	assert_int_equal(plan->n_steps, 2);
	assert_int_equal(plan->steps[0]->id, 1);
	assert_string_equal(plan->steps[0]->identity, "t");
	assert_int_equal(plan->steps[1]->id, 2);
	assert_int_equal(plan->steps[1]->n_depends_on, 1);
	assert_int_equal(plan->steps[1]->depends_on[0], 1);
	assert_int_equal(plan->steps[1]->n_locks, 1);
	assert_int_equal(plan->steps[1]->locks[0]->mode, NSP_LOCK_SHARE);
	assert_string_equal(plan->job_id, "job-1");
	/* The plan survives a round trip through its wire form. */
	size_t len = neosync__plugin__v1__plan__get_packed_size(plan);
	uint8_t *buf = malloc(len);
	neosync__plugin__v1__plan__pack(plan, buf);
	Neosync__Plugin__V1__Plan *back = neosync__plugin__v1__plan__unpack(NULL, len, buf);
	assert_non_null(back);
	assert_int_equal(back->n_steps, 2);
	assert_string_equal(back->steps[1]->table, "\"public\".\"t\"");
	neosync__plugin__v1__plan__free_unpacked(back, NULL);
	free(buf);
	protobuf_c_message_free_unpacked(&plan->base, NULL);
	nsp_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dependencies_respected),
		cmocka_unit_test(test_tie_break_by_kind_then_name),
		cmocka_unit_test(test_pre_object_needing_post_object_moves),
		cmocka_unit_test(test_defer_checks_option),
		cmocka_unit_test(test_cycle_is_broken_and_reported),
		cmocka_unit_test(test_plan_message_ids_and_dependencies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Newer -> older jobs (dest_compat.c) on hand-built models and plans: what an older destination
 * cannot hold is marked unsupported with its reason and what needs it is skipped; nothing is
 * marked for a destination of the same or a newer major, or of an unknown one; a step that failed
 * on the destination skips its dependents, directly or not, and no other step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dest_compat.h"
#include "model.h"
#include "model_enums.h"

/* t (virtual column, needs 18), its index and a view on it; u (plain) and its index. */
static void build(nsp_model *m)
{
	assert_int_equal(nsp_model_init(m), 0);
	m->server_version = 180001;
	nsp_object *t = nsp_model_add(m, NSP_KIND_TABLE, NSP_PHASE_PRE, (nsp_catref){1259, 1}, "s", "t", "s.t", "CREATE TABLE s.t ();");
	nsp_object *ti = nsp_model_add(m, NSP_KIND_INDEX, NSP_PHASE_POST, (nsp_catref){1259, 2}, "s", "ti", "s.t.ti", "CREATE INDEX;");
	nsp_object *v = nsp_model_add(m, NSP_KIND_VIEW, NSP_PHASE_POST, (nsp_catref){1259, 3}, "s", "v", "s.v", "CREATE VIEW;");
	nsp_object *u = nsp_model_add(m, NSP_KIND_TABLE, NSP_PHASE_PRE, (nsp_catref){1259, 4}, "s", "u", "s.u", "CREATE TABLE s.u ();");
	nsp_object *ui = nsp_model_add(m, NSP_KIND_INDEX, NSP_PHASE_POST, (nsp_catref){1259, 5}, "s", "ui", "s.u.ui", "CREATE INDEX;");
	assert_non_null(t);
	assert_non_null(ui);
	nsp_object_require_major(t, 14, "column compression methods");
	nsp_object_require_major(t, 18, "virtual generated columns");
	nsp_object_require_major(t, 15, "something older");
	assert_int_equal(nsp_object_needs(ti, t->index), 0);
	assert_int_equal(nsp_object_needs(v, ti->index), 0); /* transitively */
	assert_int_equal(nsp_object_needs(ui, u->index), 0);
}

static void test_mark_older(void **state)
{
	(void)state;
	nsp_model m;
	build(&m);
	nsp_error err;
	nsp_error_clear(&err);
	assert_int_equal(nsp_dest_compat_mark(&m, 170005, &err), 0);
	assert_true(m.objects[0]->unsupported);
	assert_string_equal(m.objects[0]->skip_reason,
			    "the destination (PostgreSQL 17) cannot hold it: virtual generated columns came "
			    "in PostgreSQL 18");
	assert_false(m.objects[1]->unsupported);
	assert_non_null(strstr(m.objects[1]->skip_reason, "needs s.t, which is not created"));
	assert_non_null(m.objects[2]->skip_reason);
	assert_null(m.objects[3]->skip_reason);
	assert_null(m.objects[4]->skip_reason);
	nsp_model_free(&m);
}

static void test_mark_not_older(void **state)
{
	(void)state;
	int versions[] = {0, 180000, 190000};
	for (size_t k = 0; k < sizeof(versions) / sizeof(versions[0]); k++) {
		nsp_model m;
		build(&m);
		nsp_error err;
		nsp_error_clear(&err);
		assert_int_equal(nsp_dest_compat_mark(&m, versions[k], &err), 0);
		for (size_t i = 0; i < m.nobjects; i++) {
			assert_false(m.objects[i]->unsupported);
			assert_null(m.objects[i]->skip_reason);
		}
		nsp_model_free(&m);
	}
}

static Neosync__Plugin__V1__Step *step(uint32_t id, uint32_t *deps, size_t ndeps)
{
	Neosync__Plugin__V1__Step *s = calloc(1, sizeof(*s));
	neosync__plugin__v1__step__init(s);
	s->id = id;
	s->identity = "x";
	s->depends_on = deps;
	s->n_depends_on = ndeps;
	return s;
}

static void test_fail_step(void **state)
{
	(void)state;
	/* 10 <- 20 <- 30; 40 alone; 50 <- 40 */
	uint32_t d20[] = {10}, d30[] = {20}, d50[] = {40};
	Neosync__Plugin__V1__Step *steps[] = {step(10, NULL, 0), step(20, d20, 1), step(30, d30, 1),
					      step(40, NULL, 0), step(50, d50, 1)};
	Neosync__Plugin__V1__Plan plan = NEOSYNC__PLUGIN__V1__PLAN__INIT;
	plan.steps = steps;
	plan.n_steps = 5;
	plan.source_server_version = 180000;
	plan.destination_server_version = 150004;
	assert_true(nsp_dest_compat_older(&plan));
	nsp_compat_found found;
	assert_int_equal(nsp_compat_found_init(&found, 5), 0);
	assert_int_equal(nsp_dest_compat_fail_step(&plan, &found, 0, "no such thing"), 0);
	assert_int_equal(found.count, 3);
	assert_false(steps[0]->unsupported); /* the plan is const while pre-sync applies */
	assert_int_equal(nsp_dest_compat_record(&plan, &found), 0);
	nsp_compat_found_free(&found);
	assert_true(steps[0]->unsupported);
	assert_string_equal(steps[0]->skip_reason, "no such thing");
	assert_string_equal(steps[1]->skip_reason, "needs x, which is not created: no such thing");
	assert_string_equal(steps[2]->skip_reason, "needs x, which is not created: no such thing");
	assert_false(steps[1]->unsupported);
	assert_string_equal(steps[3]->skip_reason, "");
	assert_string_equal(steps[4]->skip_reason, "");
	for (size_t i = 0; i < 5; i++) {
		if (steps[i]->skip_reason != protobuf_c_empty_string)
			free(steps[i]->skip_reason);
		free(steps[i]);
	}
	plan.destination_server_version = 180000;
	assert_false(nsp_dest_compat_older(&plan));
	plan.destination_server_version = 0;
	assert_false(nsp_dest_compat_older(&plan));
}

static void test_lacks_feature(void **state)
{
	(void)state;
	assert_true(nsp_dest_compat_lacks_feature("42601"));
	assert_true(nsp_dest_compat_lacks_feature("42883"));
	assert_true(nsp_dest_compat_lacks_feature("0A000"));
	assert_false(nsp_dest_compat_lacks_feature("42501")); /* insufficient privilege */
	assert_false(nsp_dest_compat_lacks_feature("55P03")); /* lock not available */
	assert_false(nsp_dest_compat_lacks_feature(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mark_older),
		cmocka_unit_test(test_mark_not_older),
		cmocka_unit_test(test_fail_step),
		cmocka_unit_test(test_lacks_feature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

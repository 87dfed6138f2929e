/* report.c: which tables the pre-sync created (the data step copies exactly these): TABLE steps
 * of every hook's plan, minus skipped steps and steps whose result is FAILED or SKIPPED; no plan
 * at all means "use the config's selection". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define KIND(x) NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_##x
#define STATUS(x) NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_##x

static void set_step(Neosync__Plugin__V1__Step *st, uint32_t id, Neosync__Plugin__V1__ObjectKind k,
		     char *schema, char *name, char *skip)
{
	neosync__plugin__v1__step__init(st);
	st->id = id;
	st->kind = k;
	st->schema = schema;
	st->name = name;
	st->skip_reason = skip;
}

static void set_result(Neosync__Plugin__V1__StepResult *res, uint32_t id,
		       Neosync__Plugin__V1__StepStatus status)
{
	neosync__plugin__v1__step_result__init(res);
	res->step_id = id;
	res->status = status;
}

static void test_created_tables(void **state)
{
	(void)state;
	Neosync__Plugin__V1__Step s[6];
	set_step(&s[0], 1, KIND(SCHEMA), NULL, "sales", NULL);
	set_step(&s[1], 2, KIND(TABLE), "sales", "orders", NULL);
	set_step(&s[2], 3, KIND(TABLE), "sales", "skipped", "needs table x.y the job does not select");
	set_step(&s[3], 4, KIND(TABLE), "sales", "failed", NULL);
	set_step(&s[4], 5, KIND(TABLE), "sales", "not_run", NULL);
	set_step(&s[5], 6, KIND(TABLE), "sales", "unchanged", NULL);
	Neosync__Plugin__V1__Step *steps[] = {&s[0], &s[1], &s[2], &s[3], &s[4], &s[5]};
	Neosync__Plugin__V1__Plan plan = NEOSYNC__PLUGIN__V1__PLAN__INIT;
	plan.steps = steps;
	plan.n_steps = 6;
	Neosync__Plugin__V1__StepResult res[4];
	set_result(&res[0], 2, STATUS(APPLIED));
	set_result(&res[1], 4, STATUS(FAILED));
	set_result(&res[2], 5, STATUS(SKIPPED));
	set_result(&res[3], 6, STATUS(UNCHANGED));
	Neosync__Plugin__V1__StepResult *results[] = {&res[0], &res[1], &res[2], &res[3]};
	Neosync__Plugin__V1__PreSyncResponse pre = NEOSYNC__PLUGIN__V1__PRE_SYNC_RESPONSE__INIT;
	pre.plan = &plan;
	pre.results = results;
	pre.n_results = 4;

	/* A second hook with its own plan, and a third whose pre-sync did not run. */
	Neosync__Plugin__V1__Step s2;
	set_step(&s2, 1, KIND(TABLE), "hr", "people", NULL);
	Neosync__Plugin__V1__Step *steps2[] = {&s2};
	Neosync__Plugin__V1__Plan plan2 = NEOSYNC__PLUGIN__V1__PLAN__INIT;
	plan2.steps = steps2;
	plan2.n_steps = 1;
	Neosync__Plugin__V1__PreSyncResponse pre2 = NEOSYNC__PLUGIN__V1__PRE_SYNC_RESPONSE__INIT;
	pre2.plan = &plan2;

	nsp_report_hook hooks[3];
	memset(hooks, 0, sizeof(hooks));
	hooks[0].pre = &pre;
	hooks[1].pre = NULL;
	hooks[2].pre = &pre2;
	nsp_report r;
	memset(&r, 0, sizeof(r));
	r.hooks = hooks;
	r.nhooks = 3;

	nsp_hydrate_ref *refs = NULL;
	size_t n = 99;
	assert_int_equal(nsp_report_created_tables(&r, &refs, &n), 1);
	assert_int_equal(n, 3);
	assert_string_equal(refs[0].schema, "sales");
	assert_string_equal(refs[0].table, "orders");
	assert_string_equal(refs[1].table, "unchanged");
	assert_string_equal(refs[2].schema, "hr");
	assert_string_equal(refs[2].table, "people");
	free(refs);
}

static void test_no_plan(void **state)
{
	(void)state;
	Neosync__Plugin__V1__PreSyncResponse pre = NEOSYNC__PLUGIN__V1__PRE_SYNC_RESPONSE__INIT;
	nsp_report_hook hooks[2];
	memset(hooks, 0, sizeof(hooks));
	hooks[0].pre = &pre; /* a response without a plan */
	nsp_report r;
	memset(&r, 0, sizeof(r));
	r.hooks = hooks;
	r.nhooks = 2;
	nsp_hydrate_ref *refs = (nsp_hydrate_ref *)&r;
	size_t n = 99;
	assert_int_equal(nsp_report_created_tables(&r, &refs, &n), 0);
	assert_null(refs);
	assert_int_equal(n, 0);
	r.nhooks = 0;
	assert_int_equal(nsp_report_created_tables(&r, &refs, &n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_created_tables),
		cmocka_unit_test(test_no_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

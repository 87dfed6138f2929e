/* A two-step plan for the unit tests that check plans (test_plugin_plan_verify.c,
 * test_plugin_badinput.c): step 1 a pre-sync table, step 2 a post-sync index depending on it. */
#ifndef NSP_TEST_SMALL_PLAN_H
#define NSP_TEST_SMALL_PLAN_H

#include "neosync/plugin/v1/plan.pb-c.h"

typedef struct small_plan {
	Neosync__Plugin__V1__Step s1, s2;
	Neosync__Plugin__V1__Step *steps[2];
	uint32_t deps[1];
	Neosync__Plugin__V1__Plan plan;
} small_plan;

static void make_plan(small_plan *p)
{
	neosync__plugin__v1__step__init(&p->s1);
	neosync__plugin__v1__step__init(&p->s2);
	p->s1.id = 1;
	p->s1.phase = NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC;
	p->s1.kind = NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_TABLE;
	p->s1.identity = "public.t";
	p->s1.sql = "CREATE TABLE \"public\".\"t\" (\"a\" integer);";
	p->s2.id = 2;
	p->s2.phase = NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC;
	p->s2.kind = NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_INDEX;
	p->s2.identity = "public.t.i";
	p->s2.sql = "CREATE INDEX \"i\" ON \"public\".\"t\" (\"a\");";
	p->deps[0] = 1;
	p->s2.depends_on = p->deps;
	p->s2.n_depends_on = 1;
	p->steps[0] = &p->s1;
	p->steps[1] = &p->s2;
	neosync__plugin__v1__plan__init(&p->plan);
	p->plan.format_version = 1;
	p->plan.job_id = "j";
	p->plan.steps = p->steps;
	p->plan.n_steps = 2;
}

#endif

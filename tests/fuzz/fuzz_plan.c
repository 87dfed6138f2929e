/* fuzz_plan - plans given back to post-sync, to the plan verifier (plugin/src/plan_verify.h).
 *
 * Input: first byte 'P': the rest is a serialized neosync.plugin.v1.Plan; otherwise the first
 * byte picks an object kind (byte % 36) and the rest is the SQL of one post-sync step.
 *
 * Properties checked (abort() when one fails):
 *  1. No crash, leak, out-of-bounds read or undefined behaviour, whatever the plan.
 *  2. Injection: when the verifier accepts a step, the same step with a statement appended
 *     ("\n;DROP TABLE canary") or prepended ("DROP TABLE canary;\n") is refused: no text can
 *     leave the lexer in a state where a following statement hides.
 *  3. Signatures: a plan signed with a key verifies with that key (as far as its graph is
 *     valid), never with another key, never without a key, and not after any change to a step's
 *     SQL, id, kind, phase or dependencies. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "plan_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define POST NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC

static const uint8_t key1[] = "fuzz-key-one-0123456789abcdef";
static const uint8_t key2[] = "fuzz-key-two-0123456789abcdef";

static char *cat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);
	if (s == NULL)
		abort();
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

static void check_injection(Neosync__Plugin__V1__Step *s)
{
	nsp_error err;
	char *orig = s->sql;
	char *variants[2] = {cat3(orig, "\n;DROP TABLE canary", ""), cat3("DROP TABLE canary;\n", orig, "")};
	for (int v = 0; v < 2; v++) {
		s->sql = variants[v];
		nsp_error_clear(&err);
		if (nsp_plan_verify_step_sql(s, &err) == 0) {
			fprintf(stderr, "fuzz_plan: injected statement accepted (kind %d):\n%s\n", (int)s->kind,
				s->sql);
			abort();
		}
		free(variants[v]);
	}
	s->sql = orig;
}

static void check_signature(Neosync__Plugin__V1__Plan *plan)
{
	nsp_error err;
	nsp_error_clear(&err);
	int graph_ok = nsp_plan_verify_graph(plan, &err) == 0;
	if (nsp_plan_sign_with_key(plan, key1, sizeof(key1) - 1, &err) != 0)
		return;
	nsp_error_clear(&err);
	if ((nsp_plan_verify_with_key(plan, key1, sizeof(key1) - 1, &err) == 0) != graph_ok)
		abort();
	nsp_error_clear(&err);
	if (nsp_plan_verify_with_key(plan, key2, sizeof(key2) - 1, &err) == 0)
		abort();
	nsp_error_clear(&err);
	if (nsp_plan_verify_with_key(plan, NULL, 0, &err) == 0)
		abort();
	if (plan->n_steps == 0)
		return;
	/* tamper with the first step in each way; every one must be refused */
	Neosync__Plugin__V1__Step *s = plan->steps[0];
	char *sql = s->sql;
	char *tampered = cat3(sql, " ", "");
	s->sql = tampered;
	nsp_error_clear(&err);
	if (nsp_plan_verify_with_key(plan, key1, sizeof(key1) - 1, &err) == 0)
		abort();
	s->sql = sql;
	free(tampered);
	s->id ^= 1u;
	if (nsp_plan_verify_with_key(plan, key1, sizeof(key1) - 1, &err) == 0)
		abort();
	s->id ^= 1u;
	s->phase = s->phase == POST ? NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC : POST;
	if (nsp_plan_verify_with_key(plan, key1, sizeof(key1) - 1, &err) == 0)
		abort();
	s->phase = s->phase == POST ? NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC : POST;
	s->kind = (Neosync__Plugin__V1__ObjectKind)((int)s->kind + 1);
	if (nsp_plan_verify_with_key(plan, key1, sizeof(key1) - 1, &err) == 0)
		abort();
	s->kind = (Neosync__Plugin__V1__ObjectKind)((int)s->kind - 1);
	if (s->n_depends_on > 0) {
		s->n_depends_on--;
		if (nsp_plan_verify_with_key(plan, key1, sizeof(key1) - 1, &err) == 0)
			abort();
		s->n_depends_on++;
	}
	/* untouched again: verifies as before */
	nsp_error_clear(&err);
	if ((nsp_plan_verify_with_key(plan, key1, sizeof(key1) - 1, &err) == 0) != graph_ok)
		abort();
}

static void run_plan(Neosync__Plugin__V1__Plan *plan)
{
	nsp_error err;
	nsp_error_clear(&err);
	if (nsp_plan_verify_with_key(plan, NULL, 0, &err) == 0) {
		for (size_t i = 0; i < plan->n_steps; i++)
			if (plan->steps[i]->phase == POST)
				check_injection(plan->steps[i]);
	} else if (err.message[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	check_signature(plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == 'P') {
		Neosync__Plugin__V1__Plan *plan = neosync__plugin__v1__plan__unpack(NULL, size - 1, data + 1);
		if (plan == NULL)
			return 0;
		/* the verifier is only ever given plans that protobuf-c decoded: strings are
		 * NUL-terminated, but may hold an embedded NUL (ends the string, as libpq would) */
		run_plan(plan);
		neosync__plugin__v1__plan__free_unpacked(plan, NULL);
		return 0;
	}
	char *sql = malloc(size);
	if (sql == NULL)
		abort();
	memcpy(sql, data + 1, size - 1);
	sql[size - 1] = '\0';
	Neosync__Plugin__V1__Step step = NEOSYNC__PLUGIN__V1__STEP__INIT;
	Neosync__Plugin__V1__Step *steps[1] = {&step};
	step.id = 1;
	step.phase = POST;
	step.kind = (Neosync__Plugin__V1__ObjectKind)(data[0] % 36);
	step.identity = "fuzz";
	step.sql = sql;
	Neosync__Plugin__V1__Plan plan = NEOSYNC__PLUGIN__V1__PLAN__INIT;
	plan.format_version = 1;
	plan.steps = steps;
	plan.n_steps = 1;
	run_plan(&plan);
	free(plan.integrity.data);
	free(sql);
	return 0;
}

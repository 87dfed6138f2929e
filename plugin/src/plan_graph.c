/* plan_graph - the plan's graph is sound: step ids unique and non-zero, known phases, kinds and
 * lock modes, dependencies that name steps of the plan. */
#include "plan_verify.h"
#include "model_enums.h"

#include <stdbool.h>
#include <stdlib.h>

#define EC(x) NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_##x

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static bool has_id(const uint32_t *sorted, size_t n, uint32_t id)
{
	return bsearch(&id, sorted, n, sizeof(*sorted), cmp_u32) != NULL;
}

int nsp_plan_verify_graph(const Neosync__Plugin__V1__Plan *plan, nsp_error *err)
{
	if (plan->format_version != 1)
		return nsp_error_set(err, EC(INVALID_ARGUMENT),
				     "PostSyncRequest.plan: format_version %u is not one this plugin reads "
				     "(1); pass the plan from this plugin's PreSyncResponse, or set replan",
				     plan->format_version);
	uint32_t *ids = malloc((plan->n_steps ? plan->n_steps : 1) * sizeof(*ids));
	if (ids == NULL)
		return nsp_error_set(err, EC(INTERNAL), "out of memory verifying the plan");
	int rc = 0;
	for (size_t i = 0; i < plan->n_steps && rc == 0; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		ids[i] = s->id;
		if (s->id == 0)
			rc = nsp_error_set(err, EC(INVALID_ARGUMENT), "PostSyncRequest.plan.steps[%zu]: id 0", i);
		else if (nsp_step_phase(s) != NSP_PHASE_PRE && nsp_step_phase(s) != NSP_PHASE_POST)
			rc = nsp_error_set(err, EC(INVALID_ARGUMENT),
					   "PostSyncRequest.plan.steps[%zu] (step %u): unknown phase %d", i,
					   s->id, (int)s->phase);
		else if (protobuf_c_enum_descriptor_get_value(&neosync__plugin__v1__object_kind__descriptor,
							      s->kind) == NULL ||
			 nsp_step_kind(s) == NSP_KIND_UNSPECIFIED)
			rc = nsp_error_set(err, EC(INVALID_ARGUMENT),
					   "PostSyncRequest.plan.steps[%zu] (step %u): unknown kind %d", i,
					   s->id, (int)s->kind);
		for (size_t l = 0; rc == 0 && l < s->n_locks; l++)
			if (s->locks[l]->mode < 0 || s->locks[l]->mode > 8)
				rc = nsp_error_set(err, EC(INVALID_ARGUMENT),
						   "PostSyncRequest.plan.steps[%zu] (step %u): unknown lock mode %d",
						   i, s->id, (int)s->locks[l]->mode);
	}
	if (rc == 0 && plan->n_steps > 1) {
		qsort(ids, plan->n_steps, sizeof(*ids), cmp_u32);
		for (size_t i = 1; i < plan->n_steps && rc == 0; i++)
			if (ids[i] == ids[i - 1])
				rc = nsp_error_set(err, EC(INVALID_ARGUMENT),
						   "PostSyncRequest.plan: step id %u appears twice", ids[i]);
	}
	for (size_t i = 0; i < plan->n_steps && rc == 0; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		for (size_t d = 0; d < s->n_depends_on && rc == 0; d++)
			if (!has_id(ids, plan->n_steps, s->depends_on[d]))
				rc = nsp_error_set(err, EC(INVALID_ARGUMENT),
						   "PostSyncRequest.plan: step %u (%s) depends on step %u, "
						   "which the plan does not have",
						   s->id, s->identity, s->depends_on[d]);
	}
	free(ids);
	return rc;
}


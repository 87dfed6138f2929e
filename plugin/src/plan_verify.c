/* plan_verify - see plan_verify.h for the rules and the reasons. */
#include "plan_verify.h"
#include "model_enums.h"

#include <stdlib.h>
#include <string.h>

#define EC(x) NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_##x

int nsp_plan_verify_with_key(const Neosync__Plugin__V1__Plan *plan, const uint8_t *key,
			     size_t keylen, nsp_error *err)
{
	if (plan == NULL)
		return nsp_error_set(err, EC(INVALID_ARGUMENT), "PostSyncRequest.plan: missing");
	if (keylen > 0) {
		if (plan->integrity.len == 0)
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "PostSyncRequest.plan: the plan is not signed, and this plugin "
					     "has a plan key (%s): only plans it signed are run. Nothing was "
					     "run. Run pre-sync with the same key, or set replan",
					     NSP_PLAN_KEY_ENV);
		int signed_ok = nsp_plan_signature_matches(plan, key, keylen);
		if (signed_ok < 0)
			return nsp_error_set(err, EC(INTERNAL), "out of memory checking the plan's signature");
		if (signed_ok == 0)
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "PostSyncRequest.plan: the plan's signature does not match: it "
					     "was changed after pre-sync made it, or signed with another key. "
					     "Nothing was run. Pass the plan exactly as the PreSyncResponse "
					     "returned it with the same %s, or set replan",
					     NSP_PLAN_KEY_ENV);
		return nsp_plan_verify_graph(plan, err);
	}
	if (plan->integrity.len != 0)
		return nsp_error_set(err, EC(INVALID_ARGUMENT),
				     "PostSyncRequest.plan: the plan is signed but this plugin has no plan "
				     "key to check it with. Nothing was run. Set %s (or %s) to the key "
				     "pre-sync used, or set replan",
				     NSP_PLAN_KEY_ENV, NSP_PLAN_KEY_FILE_ENV);
	if (nsp_plan_verify_graph(plan, err) != 0)
		return -1;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (nsp_step_phase(s) == NSP_PHASE_POST && nsp_plan_verify_step_sql(s, err) != 0)
			return -1;
	}
	return 0;
}

int nsp_plan_verify(const Neosync__Plugin__V1__Plan *plan, nsp_error *err)
{
	uint8_t *key = malloc(NSP_PLAN_KEY_MAX);
	if (key == NULL)
		return nsp_error_set(err, EC(INTERNAL), "out of memory");
	size_t keylen = 0;
	int rc = nsp_plan_key_load(key, &keylen, err) < 0 ? -1
							  : nsp_plan_verify_with_key(plan, key, keylen, err);
	memset(key, 0, NSP_PLAN_KEY_MAX);
	free(key);
	return rc;
}


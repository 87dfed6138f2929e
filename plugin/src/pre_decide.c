#include "pre_decide.h"
#include "model_enums.h"

#include <stdlib.h>
#include <string.h>

#define OE(x) NEOSYNC__PLUGIN__V1__ON_EXISTING__ON_EXISTING_##x

int nsp_pre_decide(PGconn *dst, const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		   Neosync__Plugin__V1__Plan *plan, nsp_pre_decisions *d, nsp_error *err)
{
	Neosync__Plugin__V1__OnExisting policy = opts ? opts->on_existing : OE(ERROR);
	memset(d, 0, sizeof(*d));
	if (policy == OE(STRIP) && nsp_strip_plan(dst, plan, &d->strip, err) != 0)
		return -1;
	d->n = plan->n_steps;
	d->presence = calloc(d->n ? d->n : 1, sizeof(*d->presence));
	d->detail = calloc(d->n ? d->n : 1, sizeof(*d->detail));
	if (d->presence == NULL || d->detail == NULL)
		return nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory");
	return nsp_destination_probe(dst, plan, NSP_PHASE_PRE, d->presence, d->detail, err);
}

void nsp_pre_decisions_free(nsp_pre_decisions *d)
{
	for (size_t i = 0; d->detail != NULL && i < d->n; i++)
		free(d->detail[i]);
	free(d->detail);
	free(d->presence);
	nsp_strip_decision_free(&d->strip);
	memset(d, 0, sizeof(*d));
}

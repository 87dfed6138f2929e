/* pre_decide - what pre-sync decides about the destination before anything runs, so that the
 * plan is data written once: planning reads the source (plan.c), then this reads the destination
 * (what already exists: destination.c; what on_existing = strip drops and keeps: strip.c, which
 * appends its post-sync steps to the plan here), then the plan is signed once and applied as a
 * const plan with these decisions (apply_pre.c). */
#ifndef NSP_PRE_DECIDE_H
#define NSP_PRE_DECIDE_H

#include <libpq-fe.h>

#include "destination.h"
#include "error.h"
#include "handle.h"
#include "neosync/plugin/v1/options.pb-c.h"
#include "neosync/plugin/v1/plan.pb-c.h"
#include "strip.h"

typedef struct nsp_pre_decisions {
	size_t n;                 /* plan->n_steps when decided (the final plan) */
	nsp_presence *presence;   /* per step: what the destination has of its pre-sync object */
	char **detail;            /* per step: the destination's definition when DIFFERENT, or NULL */
	nsp_strip_decision strip; /* on_existing = strip: what pre-sync drops (empty otherwise) */
} nsp_pre_decisions;

/* Decide, on the destination connection dst: strip first (it may append post-sync steps to the
 * plan, the last change a plan gets), then the probe of every pre-sync step. *d starts zeroed;
 * free it with nsp_pre_decisions_free whatever this returns. */
int nsp_pre_decide(PGconn *dst, const Neosync__Plugin__V1__SchemaPluginOptions *opts,
		   Neosync__Plugin__V1__Plan *plan, nsp_pre_decisions *d, nsp_error *err);

void nsp_pre_decisions_free(nsp_pre_decisions *d);

#endif

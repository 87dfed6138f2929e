/* destination - what the destination already has, read from its own catalog (no bookkeeping
 * tables): for each plan step, whether its object exists, and if so whether its definition is
 * the one the plan would create. This makes both hooks idempotent: a re-run applies only what
 * is missing, reports the rest as unchanged, and reports (never replaces) an object that
 * exists with another definition. */
#ifndef NSP_DESTINATION_H
#define NSP_DESTINATION_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "error.h"
#include "neosync/plugin/v1/plan.pb-c.h"
#include "model_enums.h"

typedef enum nsp_presence {
	NSP_PRESENCE_UNKNOWN = 0, /* not probed: the step is idempotent or cannot be checked; run it */
	NSP_PRESENCE_MISSING,     /* not there: run the step */
	NSP_PRESENCE_SAME,        /* there, as the plan would make it: unchanged */
	NSP_PRESENCE_DIFFERENT,   /* there, with another definition: a conflict */
} nsp_presence;

/* Probe every step of `phase` (0 = all) in one query. presence[i] is for plan->steps[i]; when
 * DIFFERENT, detail[i] (malloc'ed, or NULL) holds the destination's definition. detail must
 * start zeroed; probing again into the same arrays frees what the earlier probe left there. */
int nsp_destination_probe(PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
			  nsp_phase phase, nsp_presence *presence, char **detail,
			  nsp_error *err);

/* Whether a definition read from the destination matches a step's SQL: every piece of it (pieces
 * separated by '\x1f') occurs in the SQL, whitespace runs compared as one space. Exposed for tests. */
bool nsp_destination_definition_matches(const char *definition, const char *sql);

#endif

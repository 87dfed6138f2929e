/* selection - the job's table selection applied to the model. Only selected tables are
 * created, with what they need (schemas, types, functions, sequences, extensions pulled in).
 * An object of a selected table, or a view, that needs a table the job does not select is kept
 * in the plan but marked skipped, naming that table; objects that concern only unselected
 * tables are left out of the plan. An empty selection selects every table. */
#ifndef NSP_SELECTION_H
#define NSP_SELECTION_H

#include <stdbool.h>

#include "error.h"
#include "model.h"
#include "neosync/plugin/v1/job.pb-c.h"

/* Whether a table is selected by the include patterns (empty = all) minus the excludes; patterns
 * as table_pattern.h matches them (the host's data step uses the same matcher). */
bool nsp_selection_table_selected(Neosync__Plugin__V1__TableRef *const *include, size_t n_include,
				  Neosync__Plugin__V1__TableRef *const *exclude, size_t n_exclude,
				  const char *schema, const char *table);

/* Apply the selection: set skip reasons, and remove the objects outside the job from the model
 * (indices are renumbered). */
int nsp_selection_apply(nsp_model *m, Neosync__Plugin__V1__TableRef *const *include, size_t n_include,
			Neosync__Plugin__V1__TableRef *const *exclude, size_t n_exclude, nsp_error *err);

#endif

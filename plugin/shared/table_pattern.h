/* table_pattern - the table patterns of a job (JobConfig.tables / exclude_tables), matched the
 * same way by the plugin's selection and the host's data step.
 *
 * A pattern is `*` (any run of characters, also none), `?` (exactly one character) and literal
 * bytes otherwise, case-sensitive, against the unquoted catalog name. A character is one UTF-8
 * sequence (a lead byte and its continuation bytes), so `?` matches `é` as it matches `e`; bytes
 * that are not UTF-8 count one each. Not fnmatch(3): its idea of a character is the calling
 * process's LC_CTYPE (the plugin runs in someone else's process, under the C locale by default,
 * where `?` is one byte), and it gives `[`, `]` and `\` meanings that table names do not have. */
#ifndef NSP_TABLE_PATTERN_H
#define NSP_TABLE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#include "neosync/plugin/v1/job.pb-c.h"

/* Whether name matches pattern; a NULL or empty pattern matches every name. */
bool nsp_table_pattern_match(const char *pattern, const char *name);

/* Whether (schema, table) matches the reference: both of its patterns (empty = `*`). */
bool nsp_table_ref_matches(const Neosync__Plugin__V1__TableRef *ref, const char *schema,
			   const char *table);

/* Whether any of refs[0..n) matches (schema, table); NULL entries are ignored. */
bool nsp_table_refs_match_any(Neosync__Plugin__V1__TableRef *const *refs, size_t n,
			      const char *schema, const char *table);

#endif

#include "table_pattern.h"

/* The start of the character after the one at s (s not at the terminating NUL). */
static const char *next_char(const char *s)
{
	s++;
	while (((unsigned char)*s & 0xC0) == 0x80)
		s++;
	return s;
}

bool nsp_table_pattern_match(const char *p, const char *t)
{
	if (p == NULL || p[0] == '\0')
		return true;
	/* Iterative, with one backtrack point (the last `*`): linear in practice, no recursion. */
	const char *star = NULL, *resume = NULL;
	while (*t) {
		if (*p == '*') {
			star = ++p;
			resume = t;
		} else if (*p == '?') {
			p++;
			t = next_char(t);
		} else if (*p != '\0' && *p == *t) {
			p++;
			t++;
		} else if (star != NULL) {
			p = star;
			resume = next_char(resume);
			t = resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

bool nsp_table_ref_matches(const Neosync__Plugin__V1__TableRef *ref, const char *schema,
			   const char *table)
{
	return nsp_table_pattern_match(ref->schema, schema) &&
	       nsp_table_pattern_match(ref->table, table);
}

bool nsp_table_refs_match_any(Neosync__Plugin__V1__TableRef *const *refs, size_t n,
			      const char *schema, const char *table)
{
	for (size_t i = 0; i < n; i++)
		if (refs[i] != NULL && nsp_table_ref_matches(refs[i], schema, table))
			return true;
	return false;
}

/* render_collations - collation rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_COLLATIONS_H
#define NSP_RENDER_COLLATIONS_H

#include "render.h"

/* A collation (pg_collation) of a user schema, whatever the server version keeps it in. */
typedef struct nsp_collation_row {
	const char *schema, *name;
	char provider;          /* collprovider: 'i' icu, 'b' builtin (17+), 'c' libc */
	bool deterministic;
	const char *collate, *ctype; /* NULL when the provider does not use them (ICU on 17+) */
	const char *locale;     /* the ICU or builtin locale where the version keeps it apart
				 * (colliculocale 15-16, colllocale 17+); NULL: none */
	const char *rules;      /* ICU tailoring rules (16+); NULL: none */
} nsp_collation_row;

/* CREATE COLLATION s.n (provider = p[, deterministic = false], locale = '..' | lc_collate = '..',
 * lc_ctype = '..'[, rules = '..']); as pg_dump's dumpCollation writes it: locale when there is
 * a separate one or when LC_COLLATE and LC_CTYPE agree, both otherwise. */
void nsp_render_collation(const nsp_collation_row *r, nsp_strbuf *sql);

#endif

/* render_sequences - the rows of sequences, and the SQL they render (render.h). */
#ifndef NSP_RENDER_SEQUENCES_H
#define NSP_RENDER_SEQUENCES_H

#include "render.h"

/* A sequence's definition (pg_sequence), cells as the catalog query gives them. */
typedef struct nsp_sequence_row {
	const char *schema, *name;
	const char *type;                  /* format_type: AS is written unless bigint */
	const char *start, *increment, *cache;
	const char *min, *max;             /* NULL: the type's and direction's default (NO MINVALUE) */
	bool cycle;
	bool unlogged;                     /* written only where the source allows it (15+) */
} nsp_sequence_row;

/* CREATE [UNLOGGED] SEQUENCE as pg_dump writes it, one option per line. */
void nsp_render_sequence(const nsp_sequence_row *r, nsp_strbuf *sql);
/* ALTER SEQUENCE s.q OWNED BY s.t.c; */
void nsp_render_sequence_owned_by(const char *schema, const char *name, const char *table_schema,
				  const char *table, const char *column, nsp_strbuf *sql);
/* SELECT pg_catalog.setval('s.q', value, is_called); value is an integer literal. false when out
 * of memory. */
bool nsp_render_sequence_value(const char *schema, const char *name, const char *value, bool is_called,
			       nsp_strbuf *sql);

#endif

/* render_constraints - table constraint rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_CONSTRAINTS_H
#define NSP_RENDER_CONSTRAINTS_H

#include "render.h"

/* A constraint of a table (pg_constraint): check, NOT NULL (18), primary key, unique, exclusion
 * or foreign key, cells as the constraints query gives them. */
typedef struct nsp_constraint_row {
	const char *schema, *table;     /* the table's nspname and relname */
	const char *name;               /* conname */
	char type;                      /* contype: 'c', 'n', 'p', 'u', 'x' or 'f' */
	bool partitioned;               /* the table is partitioned (relkind 'p') */
	const char *definition;         /* pg_get_constraintdef(); NULL when built USING INDEX */
	const char *index_definition;   /* pg_get_indexdef(conindid) of a PK/UNIQUE whose index is
					 * built first; NULL: the constraint is added directly */
	const char *index_name;         /* quote_ident() of that index's relname */
	bool deferrable, deferred;      /* condeferrable, condeferred (the definition says them
					 * otherwise) */
} nsp_constraint_row;

/* The index of a PK/UNIQUE built first: pg_get_indexdef() and ';' (needs index_definition). */
void nsp_render_constraint_index(const nsp_constraint_row *r, nsp_strbuf *sql);
/* ALTER TABLE [ONLY] s.t ADD CONSTRAINT n ...;: PRIMARY KEY / UNIQUE USING INDEX i
 * [DEFERRABLE] [INITIALLY DEFERRED] when index_definition is set, else the definition, with
 * NOT VALID when not_valid (a foreign key validated by a step of its own). ONLY but for checks and
 * NOT NULLs (they reach the children as in the source; NO INHERIT is in the definition) and for
 * foreign keys of partitioned tables (they must reach the partitions). */
void nsp_render_constraint(const nsp_constraint_row *r, bool not_valid, nsp_strbuf *sql);
/* ALTER TABLE s.t VALIDATE CONSTRAINT n; */
void nsp_render_constraint_validate(const nsp_constraint_row *r, nsp_strbuf *sql);

#endif

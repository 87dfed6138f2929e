/* render_types - rows of user types (enums, composite types, range types, domains and their
 * CHECK constraints), and the SQL they render (render.h). Type, collation and opclass names come
 * qualified from the query, each part quoted only where needed (quote_ident(), as pg_dump's
 * fmtId); format_type() writes the types they use. */
#ifndef NSP_RENDER_TYPES_H
#define NSP_RENDER_TYPES_H

#include "render.h"

/* An enum (pg_type typtype 'e'). */
typedef struct nsp_enum_row {
	const char *qualified;      /* the type: quote_ident(nspname).quote_ident(typname) */
	char *const *labels;        /* pg_enum.enumlabel in enumsortorder */
	size_t nlabels;
} nsp_enum_row;

/* A composite type (pg_type typtype 'c' of a pg_class relkind 'c'); its live attributes in
 * attnum order, three arrays of nattributes each. */
typedef struct nsp_composite_row {
	const char *qualified;      /* the type: quote_ident(nspname).quote_ident(typname) */
	char *const *names;         /* quote_ident(pg_attribute.attname) */
	char *const *types;         /* format_type(atttypid, atttypmod) */
	char *const *collations;    /* the qualified attcollation where it is not the attribute
				     * type's own; NULL elements: none */
	size_t nattributes;
} nsp_composite_row;

/* A range type (pg_type typtype 'r' and its pg_range row). */
typedef struct nsp_range_row {
	const char *qualified;      /* the type: quote_ident(nspname).quote_ident(typname) */
	const char *subtype;        /* format_type(rngsubtype, NULL) */
	const char *multirange;     /* the qualified rngmultitypid (14+); NULL: not written */
	const char *subtype_opclass; /* the qualified rngsubopc when it is not the default one;
				      * NULL: the default */
	const char *collation;      /* the qualified rngcollation where it is not the subtype's;
				     * NULL: none */
	const char *subtype_diff;   /* rngsubdiff::regproc; NULL: none */
} nsp_range_row;

/* A domain (pg_type typtype 'd'). */
typedef struct nsp_domain_row {
	const char *qualified;      /* the type: quote_ident(nspname).quote_ident(typname) */
	const char *basetype;       /* format_type(typbasetype, typtypmod) */
	const char *collation;      /* the qualified typcollation where it is not the base type's;
				     * NULL: none */
	const char *default_expr;   /* pg_get_expr(typdefaultbin), else typdefault; NULL: none */
	bool notnull;               /* typnotnull */
	const char *notnull_name;   /* quote_ident(conname) of the NOT NULL constraint (17+ name
				     * it); NULL: unnamed */
} nsp_domain_row;

/* A domain CHECK constraint (pg_constraint contype 'c' with contypid). */
typedef struct nsp_domain_constraint_row {
	const char *domain;         /* the domain: quote_ident(nspname).quote_ident(typname) */
	const char *name;           /* quote_ident(conname) */
	const char *definition;     /* pg_get_constraintdef(): CHECK (...) [NOT VALID] */
} nsp_domain_constraint_row;

/* CREATE TYPE t AS ENUM (\n    'label',\n    ...\n); (an enum without labels: "(\n)") */
void nsp_render_enum(const nsp_enum_row *r, nsp_strbuf *sql);
/* CREATE TYPE t AS (\n    name type [COLLATE c],\n    ...\n); */
void nsp_render_composite(const nsp_composite_row *r, nsp_strbuf *sql);
/* CREATE TYPE t AS RANGE (\n    subtype = s[,\n    multirange_type_name = m][,\n
 * subtype_opclass = o][,\n    collation = c][,\n    subtype_diff = f]\n); as pg_dump's
 * dumpRangeType: only the clauses that differ from the defaults. */
void nsp_render_range(const nsp_range_row *r, nsp_strbuf *sql);
/* CREATE DOMAIN t AS base[ COLLATE c][ DEFAULT expr][[ CONSTRAINT n] NOT NULL]; */
void nsp_render_domain(const nsp_domain_row *r, nsp_strbuf *sql);
/* ALTER DOMAIN t ADD CONSTRAINT n <definition>; */
void nsp_render_domain_constraint(const nsp_domain_constraint_row *r, nsp_strbuf *sql);

#endif

/* render - DDL from catalog rows, apart from the queries that fetch them, as pg_dump keeps
 * getPolicies() apart from dumpPolicy(): plain structs in (the cells a catalog_<kind>.c query
 * returned, already deparsed by the server where it deparses), SQL out. No libpq: the rendering is
 * unit-tested without a server (tests/unit/test_plugin_render.c). One render_<kind>.c per kind;
 * the kinds not moved here yet still render inside their catalog_<kind>.c. */
#ifndef NSP_RENDER_H
#define NSP_RENDER_H

#include <stdbool.h>

#include "strbuf.h"

/* A row-level security policy (pg_policy). */
typedef struct nsp_policy_row {
	const char *schema, *table, *name;
	bool permissive;
	char cmd;          /* polcmd: 'r' SELECT, 'a' INSERT, 'w' UPDATE, 'd' DELETE, '*' ALL */
	const char *roles; /* quoted and comma-separated; NULL: PUBLIC, the default */
	const char *qual;  /* USING expression, NULL when none */
	const char *check; /* WITH CHECK expression, NULL when none */
} nsp_policy_row;

/* CREATE POLICY p ON s.t [AS RESTRICTIVE] [FOR cmd] [TO roles] [USING (..)] [WITH CHECK (..)]; */
void nsp_render_policy(const nsp_policy_row *r, nsp_strbuf *sql);

/* A table's row-level security switches (pg_class.relrowsecurity, relforcerowsecurity). */
typedef struct nsp_row_security_row {
	const char *schema, *table;
	bool enable, force;
} nsp_row_security_row;

/* ALTER TABLE s.t ENABLE ROW LEVEL SECURITY; and/or ALTER TABLE ONLY s.t FORCE ...; */
void nsp_render_row_security(const nsp_row_security_row *r, nsp_strbuf *sql);

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

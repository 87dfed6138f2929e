/* render_schemas - schema and extension rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_SCHEMAS_H
#define NSP_RENDER_SCHEMAS_H

#include "render.h"

/* CREATE SCHEMA n; for a schema (pg_namespace) of the source. Nothing for `public`: every new
 * database has it, and its step (comments, owner and privileges refer to it) runs nothing. */
void nsp_render_schema(const char *name, nsp_strbuf *sql);

/* An extension (pg_extension) created after initdb. */
typedef struct nsp_extension_row {
	const char *name;
	const char *schema; /* where its objects live (extnamespace) */
} nsp_extension_row;

/* CREATE EXTENSION IF NOT EXISTS e WITH SCHEMA s; an extension the destination already has is
 * kept, never a conflict (onExisting, docs/options.md). */
void nsp_render_extension(const nsp_extension_row *r, nsp_strbuf *sql);

#endif

/* render_views - view and materialized view rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_VIEWS_H
#define NSP_RENDER_VIEWS_H

#include "render.h"

/* A view or materialized view (pg_class relkind 'v' or 'm'). */
typedef struct nsp_view_row {
	const char *schema, *name;  /* pg_namespace.nspname, pg_class.relname */
	bool materialized;          /* relkind 'm' */
	const char *definition;     /* pg_get_viewdef(oid, false); its trailing ';' is dropped;
				     * NULL: empty */
	const char *options;        /* reloptions and toast.* reloptions but check_option, as
				     * "name=value, ..." quoted by the query as pg_dump does;
				     * NULL or "": none */
	const char *check_option;   /* "LOCAL" or "CASCADED" from the check_option reloption of a
				     * view; NULL: none */
	const char *access_method;  /* pg_am.amname of a matview; NULL or "heap": the default */
	const char *column_sql;     /* the column statements written with it, one a line: a view's
				     * ALTER VIEW .. SET DEFAULT, a matview's SET STATISTICS, STORAGE,
				     * COMPRESSION and attribute options (format(%I) in the query);
				     * NULL or "": none */
} nsp_view_row;

/* CREATE VIEW s.v [WITH (options)] AS\n<def>[\n  WITH LOCAL|CASCADED CHECK OPTION];
 * CREATE MATERIALIZED VIEW s.m [USING am][\nWITH (options)] AS\n<def>\n  WITH NO DATA;
 * then the column statements on lines of their own. */
void nsp_render_view(const nsp_view_row *r, nsp_strbuf *sql);
/* REFRESH MATERIALIZED VIEW s.m; (the data of a populated matview) */
void nsp_render_matview_refresh(const nsp_view_row *r, nsp_strbuf *sql);

#endif

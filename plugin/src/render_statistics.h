/* render_statistics - extended statistics rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_STATISTICS_H
#define NSP_RENDER_STATISTICS_H

#include "render.h"

/* An extended statistics object (pg_statistic_ext). */
typedef struct nsp_statistics_row {
	const char *schema, *name;
	const char *definition; /* pg_get_statisticsobjdef(), without ';' */
	const char *target;     /* stxstattarget as an integer literal; NULL: the default */
} nsp_statistics_row;

/* The server's CREATE STATISTICS (pg_get_statisticsobjdef) and ';', then, when a target is set,
 * ALTER STATISTICS s.n SET STATISTICS target; on the next line. */
void nsp_render_statistics(const nsp_statistics_row *r, nsp_strbuf *sql);

#endif

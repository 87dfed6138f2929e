/* render_indexes - index rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_INDEXES_H
#define NSP_RENDER_INDEXES_H

#include "render.h"

/* An index (pg_index) of a table, partitioned table or materialized view; it lives in its
 * table's schema. */
typedef struct nsp_index_row {
	const char *schema, *table, *name;
	const char *definition;  /* pg_get_indexdef(), without ';' */
	const char *statistics;  /* ALTER INDEX .. ALTER COLUMN n SET STATISTICS t; for each expression
				  * column with a target, space-separated, written by the query with
				  * format(%I) to quote as pg_dump does; NULL: none */
	const char *parent_schema, *parent_name; /* the partitioned index this one is a partition
						  * of; NULL: none */
} nsp_index_row;

/* The server's CREATE [UNIQUE] INDEX (pg_get_indexdef: method, keys, INCLUDE, WHERE, ON ONLY for
 * a partitioned table) and ';', then the statistics targets on the same line. */
void nsp_render_index(const nsp_index_row *r, nsp_strbuf *sql);
/* ALTER INDEX ps.parent ATTACH PARTITION s.n; (needs parent_schema and parent_name) */
void nsp_render_index_attach(const nsp_index_row *r, nsp_strbuf *sql);
/* ALTER TABLE s.t CLUSTER ON n; */
void nsp_render_index_cluster(const nsp_index_row *r, nsp_strbuf *sql);
/* ALTER TABLE ONLY s.t REPLICA IDENTITY USING INDEX n; */
void nsp_render_index_replica_identity(const nsp_index_row *r, nsp_strbuf *sql);

#endif

#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "render_statistics.h"
#include "strbuf.h"
#include "model_enums.h"

enum { S_OID, S_SCHEMA, S_NAME, S_DEF, S_TARGET, S_RELID, S_TABLE_SCHEMA, S_TABLE, S_SIZE };

/* Extended statistics, as pg_dump writes them: pg_get_statisticsobjdef() and, when it is set,
 * the statistics target (stxstattarget: from 13; -1 for the default up to 16, NULL on 17). */
int nsp_catalog_load_statistics(nsp_catalog_ctx *ctx)
{
	char query[2048];
	snprintf(query, sizeof(query),
		 "SELECT s.oid, n.nspname, s.stxname, pg_catalog.pg_get_statisticsobjdef(s.oid), %s, "
		 "  s.stxrelid, tn.nspname, c.relname, " NSP_SQL_REL_SIZE("c") " "
		 "FROM pg_catalog.pg_statistic_ext s "
		 "JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace "
		 "JOIN pg_catalog.pg_class c ON c.oid = s.stxrelid "
		 "JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace "
		 "WHERE " NSP_SQL_USER_SCHEMA("n") " AND " NSP_SQL_USER_SCHEMA("tn") " AND "
		 NSP_SQL_NOT_EXT_MEMBER("pg_statistic_ext", "s.oid") " AND "
		 NSP_SQL_NOT_EXT_MEMBER("pg_class", "c.oid") " "
		 "ORDER BY n.nspname, s.stxname",
		 ctx->server_version >= 130000
			 ? "CASE WHEN s.stxstattarget >= 0 THEN s.stxstattarget END"
			 : "NULL::pg_catalog.int4");
	PGresult *res = nsp_catalog_query(ctx, "extended statistics", query);
	if (res == NULL)
		return -1;
	nsp_strbuf sql, table, identity;
	nsp_strbuf_init(&sql);
	nsp_strbuf_init(&table);
	nsp_strbuf_init(&identity);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *schema = nsp_cell(res, i, S_SCHEMA);
		const char *name = nsp_cell(res, i, S_NAME);
		nsp_strbuf_reset(&table);
		nsp_strbuf_append_qualified(&table, nsp_cell(res, i, S_TABLE_SCHEMA), nsp_cell(res, i, S_TABLE));
		nsp_statistics_row row = {
			.schema = schema,
			.name = name,
			.definition = nsp_cell(res, i, S_DEF),
			.target = nsp_cell(res, i, S_TARGET),
		};
		nsp_strbuf_reset(&sql);
		nsp_render_statistics(&row, &sql);
		nsp_strbuf_reset(&identity);
		nsp_strbuf_appendf(&identity, "%s.%s", schema, name);
		nsp_catref ref = {NSP_CLASS_PG_STATISTIC_EXT, nsp_cell_oid(res, i, S_OID)};
		uint32_t relid = nsp_cell_oid(res, i, S_RELID);
		if (nsp_catalog_add_table_object(ctx, NSP_KIND_STATISTICS, ref, schema, name, &identity, &sql,
						 relid, &table, NSP_LOCK_SHARE_UPDATE_EXCLUSIVE,
						 nsp_cell(res, i, S_SIZE)) == NULL) {
			rc = -1;
			break;
		}
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	nsp_strbuf_free(&table);
	nsp_strbuf_free(&identity);
	if (rc != 0)
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading extended statistics");
	return 0;
}

#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "render_rules.h"
#include "strbuf.h"
#include "model_enums.h"

enum { R_OID, R_SCHEMA, R_TABLE, R_NAME, R_DEF, R_ENABLED, R_RELID, R_SIZE };

/* Rules, as pg_dump writes them: pg_get_ruledef() then the enabled state when it is not the
 * default. A view's "_RETURN" rule is the view itself (catalog_views.c aliases it). */
int nsp_catalog_load_rules(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(
		ctx, "rules",
		"SELECT r.oid, n.nspname, c.relname, r.rulename, pg_catalog.pg_get_ruledef(r.oid, false), "
		"  r.ev_enabled, r.ev_class, " NSP_SQL_REL_SIZE("c") " "
		"FROM pg_catalog.pg_rewrite r "
		"JOIN pg_catalog.pg_class c ON c.oid = r.ev_class "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE r.rulename <> '_RETURN' AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_class", "c.oid") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_rewrite", "r.oid") " "
		"ORDER BY n.nspname, c.relname, r.rulename");
	if (res == NULL)
		return -1;
	nsp_strbuf sql, table, identity;
	nsp_strbuf_init(&sql);
	nsp_strbuf_init(&table);
	nsp_strbuf_init(&identity);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *schema = nsp_cell(res, i, R_SCHEMA);
		const char *relname = nsp_cell(res, i, R_TABLE);
		const char *name = nsp_cell(res, i, R_NAME);
		nsp_strbuf_reset(&table);
		nsp_strbuf_append_qualified(&table, schema, relname);
		nsp_rule_row row = {
			.schema = schema,
			.table = relname,
			.name = name,
			.definition = nsp_cell(res, i, R_DEF),
			.enabled = nsp_cell(res, i, R_ENABLED)[0],
		};
		nsp_strbuf_reset(&sql);
		nsp_render_rule(&row, &sql);
		nsp_strbuf_reset(&identity);
		nsp_strbuf_appendf(&identity, "%s.%s.%s", schema, relname, name);
		nsp_catref ref = {NSP_CLASS_PG_REWRITE, nsp_cell_oid(res, i, R_OID)};
		if (nsp_catalog_add_table_object(ctx, NSP_KIND_RULE, ref, schema, name, &identity, &sql,
						 nsp_cell_oid(res, i, R_RELID), &table,
						 NSP_LOCK_ACCESS_EXCLUSIVE, nsp_cell(res, i, R_SIZE)) == NULL) {
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
				     "out of memory reading rules");
	return 0;
}

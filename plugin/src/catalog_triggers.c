#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "render_triggers.h"
#include "strbuf.h"
#include "model_enums.h"

/* Columns of the query below. */
enum {
	T_OID, T_SCHEMA, T_TABLE, T_NAME, T_DEF, T_ENABLED, T_RELID, T_SIZE, T_PARENT, T_PARENT_ENABLED,
	T_PARTITIONS /* of a partitioned table: CREATE TRIGGER changes their catalog rows too */
};

/* Triggers on user tables, partitioned tables, foreign tables and views, as pg_dump writes them:
 * pg_get_triggerdef() (which carries row/statement, WHEN, REFERENCING transition tables,
 * constraint triggers with DEFERRABLE, INSTEAD OF, TRUNCATE and UPDATE OF columns), then the
 * enabled state when it is not the default.
 *
 * On PostgreSQL 13+ a trigger of a partitioned table is cloned onto every partition
 * (tgparentid <> 0): CREATE TRIGGER on the parent recreates the clones, so a clone becomes a
 * step only when its enabled state differs from its parent's (pg_dump's rule), as an ALTER
 * that follows the parent's step. Clones come after their parents (ordered by depth), so a
 * clone without a step of its own is an alias of its parent's object. (On 12, clones are
 * tgisinternal.) */
int nsp_catalog_load_triggers(nsp_catalog_ctx *ctx)
{
	const char *sql12 =
		"SELECT t.oid, n.nspname, c.relname, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, false), "
		"  t.tgenabled, t.tgrelid, " NSP_SQL_REL_SIZE("c") ", 0::pg_catalog.oid, NULL, "
		"  CASE WHEN c.relkind = 'p' THEN " NSP_SQL_PARTITIONS_OF("c.oid") " END "
		"FROM pg_catalog.pg_trigger t "
		"JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE NOT t.tgisinternal AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_class", "c.oid") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_trigger", "t.oid") " "
		"ORDER BY n.nspname, c.relname, t.tgname";
	const char *sql13 =
		"WITH RECURSIVE tr AS ("
		"  SELECT t.oid, t.tgparentid, t.tgenabled, NULL::\"char\" AS parent_enabled, 0 AS depth "
		"  FROM pg_catalog.pg_trigger t WHERE NOT t.tgisinternal AND t.tgparentid = 0 "
		"  UNION ALL "
		"  SELECT t.oid, t.tgparentid, t.tgenabled, tr.tgenabled, tr.depth + 1 "
		"  FROM pg_catalog.pg_trigger t JOIN tr ON t.tgparentid = tr.oid) "
		"SELECT t.oid, n.nspname, c.relname, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, false), "
		"  t.tgenabled, t.tgrelid, " NSP_SQL_REL_SIZE("c") ", tr.tgparentid, "
		"  tr.parent_enabled, CASE WHEN c.relkind = 'p' THEN " NSP_SQL_PARTITIONS_OF("c.oid") " END "
		"FROM tr JOIN pg_catalog.pg_trigger t ON t.oid = tr.oid "
		"JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_class", "c.oid") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_trigger", "t.oid") " "
		"ORDER BY tr.depth, n.nspname, c.relname, t.tgname";
	PGresult *res = nsp_catalog_query(ctx, "triggers", ctx->server_version >= 130000 ? sql13 : sql12);
	if (res == NULL)
		return -1;
	nsp_strbuf sql, table, identity;
	nsp_strbuf_init(&sql);
	nsp_strbuf_init(&table);
	nsp_strbuf_init(&identity);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *schema = nsp_cell(res, i, T_SCHEMA);
		const char *relname = nsp_cell(res, i, T_TABLE);
		const char *name = nsp_cell(res, i, T_NAME);
		const char *enabled = nsp_cell(res, i, T_ENABLED);
		const char *parent_enabled = nsp_cell(res, i, T_PARENT_ENABLED);
		nsp_catref ref = {NSP_CLASS_PG_TRIGGER, nsp_cell_oid(res, i, T_OID)};
		nsp_catref parent = {NSP_CLASS_PG_TRIGGER, nsp_cell_oid(res, i, T_PARENT)};
		bool clone = parent.objid != 0;
		if (clone && parent_enabled != NULL && strcmp(parent_enabled, enabled) == 0) {
			nsp_object *p = nsp_model_find(ctx->model, parent);
			if (p != NULL)
				rc = nsp_model_alias(ctx->model, ref, p->index);
			continue;
		}
		nsp_strbuf_reset(&table);
		nsp_strbuf_append_qualified(&table, schema, relname);
		nsp_trigger_row row = {
			.schema = schema,
			.table = relname,
			.name = name,
			.definition = nsp_cell(res, i, T_DEF),
			.enabled = enabled[0],
			.clone = clone,
		};
		nsp_strbuf_reset(&sql);
		nsp_render_trigger(&row, &sql);
		nsp_strbuf_reset(&identity);
		nsp_strbuf_appendf(&identity, "%s.%s.%s", schema, relname, name);
		nsp_object *o = nsp_catalog_add_table_object(
			ctx, NSP_KIND_TRIGGER, ref, schema, name, &identity, &sql, nsp_cell_oid(res, i, T_RELID),
			&table, NSP_LOCK_SHARE_ROW_EXCLUSIVE, nsp_cell(res, i, T_SIZE));
		if (o == NULL || (clone && nsp_object_needs_ref(o, parent) != 0) ||
		    nsp_catalog_add_locks(o, nsp_cell(res, i, T_PARTITIONS), NSP_LOCK_SHARE_ROW_EXCLUSIVE) != 0) {
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
				     "out of memory reading triggers");
	return 0;
}

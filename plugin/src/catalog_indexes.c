#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "render_indexes.h"
#include "strbuf.h"
#include "model_enums.h"

/* The catalog address an ATTACH step is registered under, {pg_inherits, child index oid}: see
 * catalog_constraints.c, whose foreign keys to partitioned tables wait for these steps. */
#define NSP_CLASS_PG_INHERITS 2611

/* Indexes of tables and materialized views, and what pg_dump says along with them:
 * - every index that does not back a PK/UNIQUE/EXCLUDE constraint (those are made by the
 *   constraint, catalog_constraints.c) is its own post-sync step, pg_get_indexdef() (ON ONLY
 *   for a partitioned table, so each partition's index is built by its own step), plus
 *   ALTER INDEX ... SET STATISTICS for expression columns with a statistics target;
 * - an index that is a partition of a partitioned index (constraint ones too) gets an
 *   ALTER INDEX parent ATTACH PARTITION child step;
 * - CLUSTER ON and REPLICA IDENTITY USING INDEX (constraint indexes too) are steps of their own.
 * Invalid indexes are skipped as pg_dump does, except partitioned ones (a partitioned index is
 * invalid while a partition lacks its index, and pg_dump keeps those). */
/* A constraint's index (its definition comes with the constraint's). */
#define CONSTRAINT_INDEX \
	"EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = x.indexrelid " \
	"  AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x'))"
/* 5: the definition only where it is used: pg_get_indexdef() is most of this query's time. */
const char *const nsp_catalog_indexes_sql =
	"SELECT x.indexrelid, ic.relname, n.nspname, t.relname, t.oid, "
	"  CASE WHEN NOT " CONSTRAINT_INDEX " THEN pg_catalog.pg_get_indexdef(x.indexrelid) END, "
	"  " NSP_SQL_REL_SIZE("t") ", "
	"  x.indisclustered, x.indisreplident AND t.relreplident = 'i', "
	"  " CONSTRAINT_INDEX ", "
	"  (SELECT pg_catalog.string_agg(pg_catalog.format("
	"     'ALTER INDEX %I.%I ALTER COLUMN %s SET STATISTICS %s;', n.nspname, ic.relname, "
	"     a.attnum, a.attstattarget), ' ' ORDER BY a.attnum) "
	"   FROM pg_catalog.pg_attribute a WHERE a.attrelid = x.indexrelid "
	"     AND a.attstattarget >= 0 AND x.indkey[a.attnum - 1] = 0), "
	"  ih.inhparent, pn.nspname, pic.relname, "
	/* 14: REPLICA IDENTITY refuses an invalid index, and a partitioned one is valid once
	 * every partition's index is attached: the indexes under it. */
	"  CASE WHEN ic.relkind = 'I' AND x.indisreplident THEN pg_catalog.array_to_string(ARRAY("
	"    WITH RECURSIVE d(oid) AS ("
	"      SELECT i.inhrelid FROM pg_catalog.pg_inherits i WHERE i.inhparent = x.indexrelid "
	"      UNION ALL SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN d ON i.inhparent = d.oid) "
	"    SELECT d.oid FROM d), ',') END, "
	/* 15: for an index attached to a parent index, the partitioned tables above its table,
	 * quoted as the plan names relations, joined by '\x1f' (see the attach step) */
	"  CASE WHEN ih.inhparent IS NOT NULL THEN (SELECT pg_catalog.string_agg('\"' || "
	"    pg_catalog.replace(an.nspname, '\"', '\"\"') || '\".\"' || "
	"    pg_catalog.replace(ac.relname, '\"', '\"\"') || '\"', E'\\x1f') "
	"    FROM pg_catalog.pg_partition_ancestors(t.oid) pa(relid) "
	"    JOIN pg_catalog.pg_class ac ON ac.oid = pa.relid "
	"    JOIN pg_catalog.pg_namespace an ON an.oid = ac.relnamespace WHERE pa.relid <> t.oid) END "
	"FROM pg_catalog.pg_index x "
	"JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid "
	"JOIN pg_catalog.pg_class t ON t.oid = x.indrelid "
	"JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
	"LEFT JOIN pg_catalog.pg_inherits ih ON ih.inhrelid = x.indexrelid "
	"LEFT JOIN pg_catalog.pg_class pic ON pic.oid = ih.inhparent "
	"LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pic.relnamespace "
	"WHERE t.relkind IN ('r', 'm', 'p') AND t.relpersistence <> 't' "
	"  AND (x.indisvalid OR t.relkind = 'p') AND " NSP_SQL_USER_SCHEMA("n") " "
	"  AND " NSP_SQL_NOT_EXT_MEMBER("pg_class", "t.oid") " "
	"ORDER BY n.nspname, t.relname, ic.relname";

typedef struct index_row {
	nsp_index_row ddl; /* the cells the SQL is written from */
	uint32_t oid, table_oid, parent_oid;
	const char *table; /* quoted qualified: the name the lock footprint uses */
	uint64_t cost;
} index_row;

/* A step of the index (attach, cluster, replica identity) that needs the index's object, which
 * is the constraint's for a constraint index. */
static nsp_object *add_index_step(nsp_catalog_ctx *ctx, const index_row *r,
				  nsp_kind kind, nsp_catref ref, const char *what,
				  const char *sql, nsp_lock_mode lock, nsp_strbuf *identity)
{
	nsp_strbuf_reset(identity);
	nsp_strbuf_appendf(identity, "%s.%s.%s %s", r->ddl.schema, r->ddl.table, r->ddl.name, what);
	if (nsp_strbuf_failed(identity))
		return NULL;
	nsp_object *o = nsp_model_add(ctx->model, kind, NSP_PHASE_POST, ref, r->ddl.schema, r->ddl.name, identity->data,
				      sql);
	if (o == NULL || nsp_object_set_table(o, r->table_oid, r->table, lock) != 0 ||
	    nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_CLASS, r->oid}) != 0)
		return NULL;
	o->cost = r->cost;
	return o;
}

/* o needs the ATTACH step of each index of a comma-separated oid list. */
static int needs_attach_list(nsp_object *o, const char *list)
{
	for (const char *p = list; p != NULL && *p != '\0';) {
		char *end;
		unsigned long oid = strtoul(p, &end, 10);
		if (end == p)
			break;
		if (nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_INHERITS, (uint32_t)oid}) != 0)
			return -1;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static int add_index(nsp_catalog_ctx *ctx, const PGresult *res, int i, const index_row *r,
		     nsp_strbuf *sql, nsp_strbuf *identity)
{
	bool constraint = nsp_cell_bool(res, i, 9);
	if (!constraint) {
		nsp_strbuf_reset(sql);
		nsp_render_index(&r->ddl, sql);
		nsp_strbuf_reset(identity);
		nsp_strbuf_appendf(identity, "%s.%s.%s", r->ddl.schema, r->ddl.table, r->ddl.name);
		if (nsp_strbuf_failed(sql) || nsp_strbuf_failed(identity))
			return -1;
		nsp_object *o = nsp_model_add(ctx->model, NSP_KIND_INDEX, NSP_PHASE_POST,
					      (nsp_catref){NSP_CLASS_PG_CLASS, r->oid}, r->ddl.schema,
					      r->ddl.name, identity->data, sql->data);
		if (o == NULL || nsp_object_set_table(o, r->table_oid, r->table, NSP_LOCK_SHARE) != 0 ||
		    nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_CLASS, r->table_oid}) != 0)
			return -1;
		o->cost = r->cost;
		if (strncmp(sql->data, "CREATE UNIQUE INDEX ", 20) == 0 &&
		    strstr(sql->data, ") NULLS NOT DISTINCT") != NULL) /* dest_compat.h */
			nsp_object_require_major(o, 15, "UNIQUE NULLS NOT DISTINCT");
	}

	if (r->parent_oid != 0) {
		nsp_strbuf_reset(sql);
		nsp_render_index_attach(&r->ddl, sql);
		nsp_object *o = nsp_strbuf_failed(sql) ? NULL
				: add_index_step(ctx, r, NSP_KIND_INDEX_ATTACH,
						 (nsp_catref){NSP_CLASS_PG_INHERITS, r->oid}, "attach",
						 sql->data, NSP_LOCK_SHARE_UPDATE_EXCLUSIVE, identity);
		/* Attaching a partition's index locks the parent index, and when that completes
		 * the parent, marks it valid, which takes ACCESS EXCLUSIVE locks up the partition
		 * tree: two attaches in one tree at once deadlock. So the parent index and every
		 * partitioned table above are in the footprint: attaches of a tree run one after
		 * the other, and never while another step works on those tables. */
		nsp_strbuf_reset(sql);
		nsp_strbuf_append_qualified(sql, r->ddl.parent_schema, r->ddl.parent_name);
		if (o == NULL || nsp_strbuf_failed(sql) ||
		    nsp_object_add_lock(o, sql->data, NSP_LOCK_ACCESS_EXCLUSIVE) != 0 ||
		    nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_CLASS, r->parent_oid}) != 0)
			return -1;
		const char *ancestors = nsp_cell(res, i, 15);
		while (ancestors != NULL && *ancestors != '\0') {
			const char *sep = strchr(ancestors, '\x1f');
			size_t len = sep ? (size_t)(sep - ancestors) : strlen(ancestors);
			nsp_strbuf_reset(sql);
			nsp_strbuf_append_len(sql, ancestors, len);
			if (nsp_strbuf_failed(sql) || nsp_object_add_lock(o, sql->data, NSP_LOCK_ACCESS_EXCLUSIVE) != 0)
				return -1;
			ancestors = sep ? sep + 1 : "";
		}
	}
	if (nsp_cell_bool(res, i, 7)) {
		nsp_strbuf_reset(sql);
		nsp_render_index_cluster(&r->ddl, sql);
		if (nsp_strbuf_failed(sql) ||
		    add_index_step(ctx, r, NSP_KIND_TABLE_PROPERTY, (nsp_catref){0, 0}, "cluster on", sql->data,
				   NSP_LOCK_SHARE_UPDATE_EXCLUSIVE, identity) == NULL)
			return -1;
	}
	if (nsp_cell_bool(res, i, 8)) {
		nsp_strbuf_reset(sql);
		nsp_render_index_replica_identity(&r->ddl, sql);
		nsp_object *o = nsp_strbuf_failed(sql) ? NULL
				: add_index_step(ctx, r, NSP_KIND_TABLE_PROPERTY, (nsp_catref){0, 0},
						 "replica identity", sql->data, NSP_LOCK_ACCESS_EXCLUSIVE, identity);
		if (o == NULL || needs_attach_list(o, nsp_cell(res, i, 14)) != 0)
			return -1;
	}
	return 0;
}

int nsp_catalog_load_indexes(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query_prefetched(ctx, "indexes", nsp_catalog_indexes_sql);
	if (res == NULL)
		return -1;
	nsp_strbuf sql, identity, table;
	nsp_strbuf_init(&sql);
	nsp_strbuf_init(&identity);
	nsp_strbuf_init(&table);
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		index_row r = {
			.ddl = {
				.name = nsp_cell(res, i, 1),
				.schema = nsp_cell(res, i, 2),
				.table = nsp_cell(res, i, 3),
				.definition = nsp_cell(res, i, 5),
				.statistics = nsp_cell(res, i, 10),
				.parent_schema = nsp_cell(res, i, 12),
				.parent_name = nsp_cell(res, i, 13),
			},
			.oid = nsp_cell_oid(res, i, 0),
			.table_oid = nsp_cell_oid(res, i, 4),
			.cost = nsp_catalog_table_cost(ctx, nsp_cell_oid(res, i, 4), nsp_cell(res, i, 6)),
			.parent_oid = nsp_cell_oid(res, i, 11),
		};
		nsp_strbuf_reset(&table);
		nsp_strbuf_append_qualified(&table, r.ddl.schema, r.ddl.table);
		r.table = table.data;
		rc = nsp_strbuf_failed(&table) ? -1 : add_index(ctx, res, i, &r, &sql, &identity);
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	nsp_strbuf_free(&identity);
	nsp_strbuf_free(&table);
	if (rc != 0)
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading indexes");
	return 0;
}

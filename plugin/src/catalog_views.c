#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "render_views.h"
#include "strbuf.h"
#include "model_enums.h"

#define OOM(ctx, what) \
	nsp_error_set((ctx)->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory reading " what)

/* A reloptions array as pg_dump writes it in WITH (...): name=value, the value quoted unless it
 * is an identifier that needs no quoting; check_option is not a reloption in pg_dump's output
 * (it becomes WITH ... CHECK OPTION), and neither is the pg_attver attribute option that some
 * server builds keep on every column (their pg_dump leaves it out too). `arr` is the array, `prefix` an SQL text expression. */
#define NSP_SQL_RELOPTIONS(arr, prefix)                                                          \
	"ARRAY(SELECT " prefix " || pg_catalog.quote_ident(kv.k) || '=' || "                      \
	"  CASE WHEN pg_catalog.quote_ident(kv.v) = kv.v THEN kv.v ELSE pg_catalog.quote_literal(kv.v) END " \
	"  FROM pg_catalog.unnest(" arr ") WITH ORDINALITY o(x, pos) "                            \
	"  CROSS JOIN LATERAL (SELECT pg_catalog.split_part(o.x, '=', 1) AS k, "                 \
	"    CASE WHEN pg_catalog.strpos(o.x, '=') > 0 "                                          \
	"      THEN pg_catalog.substr(o.x, pg_catalog.strpos(o.x, '=') + 1) ELSE '' END AS v) kv " \
	"  WHERE o.x !~ '^check_option=' AND o.x !~ '^pg_attver=' ORDER BY o.pos)"

enum {
	V_OID, V_SCHEMA, V_NAME, V_KIND, V_TYPE, V_ARRAY_TYPE, V_RULE, V_DEF, V_OPTIONS, V_CHECK,
	V_AM, V_POPULATED, V_SIZE, V_COLUMN_SQL, V_ATTRDEFS, V_INDEXES
};

/* A populated matview and its REFRESH step, for ordering refreshes among themselves. */
typedef struct refresh_entry {
	uint32_t matview;
	size_t index;
} refresh_entry;

static int refresh_cmp(const void *a, const void *b)
{
	uint32_t x = ((const refresh_entry *)a)->matview, y = ((const refresh_entry *)b)->matview;
	return x < y ? -1 : x > y;
}

static const refresh_entry *refresh_find(const refresh_entry *e, size_t n, uint32_t matview)
{
	refresh_entry key = {matview, 0};
	return bsearch(&key, e, n, sizeof(*e), refresh_cmp);
}

static int load_refresh_order(nsp_catalog_ctx *ctx, refresh_entry *refresh, size_t nrefresh);

/* Views and materialized views, as pg_dump writes them (render_views.h), followed by the column
 * settings pg_dump writes with them (view column defaults; a matview's per-column statistics
 * targets, storage, compression and attribute options), which the query writes.
 * A view's "_RETURN" rule and its row type (and array type) stand for the view in pg_depend.
 * A populated matview also gets a REFRESH step after the matview's indexes (it is the data of
 * the matview, loaded like a table's rows) and after the refreshes of the matviews it reads. */
int nsp_catalog_load_views(nsp_catalog_ctx *ctx)
{
	nsp_strbuf q;
	nsp_strbuf_init(&q);
	nsp_strbuf_append(
		&q,
		"SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltype, COALESCE(t.typarray, 0), "
		"  (SELECT r.oid FROM pg_catalog.pg_rewrite r WHERE r.ev_class = c.oid "
		"     AND r.rulename = '_RETURN'), "
		"  pg_catalog.pg_get_viewdef(c.oid, false), "
		"  pg_catalog.array_to_string(" NSP_SQL_RELOPTIONS("c.reloptions", "''") " || "
		NSP_SQL_RELOPTIONS("tc.reloptions", "'toast.'") ", ', '), "
		"  CASE WHEN 'check_option=local' = ANY (c.reloptions) THEN 'LOCAL' "
		"       WHEN 'check_option=cascaded' = ANY (c.reloptions) THEN 'CASCADED' END, "
		"  am.amname, c.relispopulated, pg_catalog.pg_relation_size(c.oid), "
		"  (SELECT pg_catalog.string_agg(s.stmt, E'\\n' ORDER BY a.attnum, s.ord) "
		"   FROM pg_catalog.pg_attribute a "
		"   JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid "
		"   CROSS JOIN LATERAL (VALUES "
		"     (1, CASE WHEN a.attstattarget >= 0 THEN pg_catalog.format("
		"       'ALTER MATERIALIZED VIEW %I.%I ALTER COLUMN %I SET STATISTICS %s;', "
		"       n.nspname, c.relname, a.attname, a.attstattarget) END), "
		"     (2, CASE WHEN a.attstorage <> ty.typstorage THEN pg_catalog.format("
		"       'ALTER MATERIALIZED VIEW %I.%I ALTER COLUMN %I SET STORAGE %s;', "
		"       n.nspname, c.relname, a.attname, CASE a.attstorage WHEN 'p' THEN 'PLAIN' "
		"       WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END) END), ");
	if (ctx->server_version >= 140000)
		nsp_strbuf_append(
			&q,
			"     (3, CASE WHEN a.attcompression IN ('p', 'l') THEN pg_catalog.format("
			"       'ALTER MATERIALIZED VIEW %I.%I ALTER COLUMN %I SET COMPRESSION %s;', "
			"       n.nspname, c.relname, a.attname, "
			"       CASE a.attcompression WHEN 'p' THEN 'pglz' ELSE 'lz4' END) END), ");
	nsp_strbuf_append(
		&q,
		"     (4, CASE WHEN pg_catalog.cardinality(" NSP_SQL_RELOPTIONS("a.attoptions", "''") ") > 0 "
		"       THEN pg_catalog.format("
		"       'ALTER MATERIALIZED VIEW %I.%I ALTER COLUMN %I SET (%s);', "
		"       n.nspname, c.relname, a.attname, pg_catalog.array_to_string("
		NSP_SQL_RELOPTIONS("a.attoptions", "''") ", ', ')) END), "
		"     (5, (SELECT pg_catalog.format('ALTER VIEW %I.%I ALTER COLUMN %I SET DEFAULT %s;', "
		"       n.nspname, c.relname, a.attname, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)) "
		"       FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = c.oid AND ad.adnum = a.attnum))"
		"   ) s(ord, stmt) "
		"   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND s.stmt IS NOT NULL "
		"     AND (c.relkind = 'm' OR s.ord = 5)), "
		"  ARRAY(SELECT ad.oid FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = c.oid), "
		"  ARRAY(SELECT i.indexrelid FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid) "
		"FROM pg_catalog.pg_class c "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"LEFT JOIN pg_catalog.pg_type t ON t.oid = c.reltype "
		"LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid "
		"LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam "
		"WHERE c.relkind IN ('v', 'm') AND " NSP_SQL_USER_SCHEMA("n") " AND "
		NSP_SQL_NOT_EXT_MEMBER("pg_class", "c.oid") " "
		"ORDER BY n.nspname, c.relname");
	if (nsp_strbuf_failed(&q)) {
		nsp_strbuf_free(&q);
		return OOM(ctx, "views");
	}
	PGresult *res = nsp_catalog_query(ctx, "views", q.data);
	nsp_strbuf_free(&q);
	if (res == NULL)
		return -1;

	int rows = PQntuples(res);
	refresh_entry *refresh = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*refresh));
	size_t nrefresh = 0;
	nsp_strbuf sql, name;
	nsp_strbuf_init(&sql);
	nsp_strbuf_init(&name);
	int rc = refresh == NULL ? -1 : 0;
	for (int i = 0; i < rows && rc == 0; i++) {
		uint32_t oid = nsp_cell_oid(res, i, V_OID);
		nsp_view_row r = {
			.schema = nsp_cell(res, i, V_SCHEMA),
			.name = nsp_cell(res, i, V_NAME),
			.materialized = nsp_cell(res, i, V_KIND)[0] == 'm',
			.definition = nsp_cell(res, i, V_DEF),
			.options = nsp_cell(res, i, V_OPTIONS),
			.check_option = nsp_cell(res, i, V_CHECK),
			.access_method = nsp_cell(res, i, V_AM),
			.column_sql = nsp_cell(res, i, V_COLUMN_SQL),
		};
		const char *schema = r.schema, *relname = r.name, *options = r.options;
		bool matview = r.materialized;
		uint64_t size = strtoull(nsp_cell(res, i, V_SIZE), NULL, 10);

		nsp_strbuf_reset(&name);
		nsp_strbuf_append_qualified(&name, schema, relname);
		nsp_strbuf_reset(&sql);
		nsp_render_view(&r, &sql);
		if (nsp_strbuf_failed(&sql) || nsp_strbuf_failed(&name)) {
			rc = -1;
			break;
		}
		char identity[2 * 64 + 2];
		snprintf(identity, sizeof(identity), "%s.%s", schema, relname);
		nsp_object *o = nsp_model_add(ctx->model, matview ? NSP_KIND_MATERIALIZED_VIEW : NSP_KIND_VIEW, NSP_PHASE_POST,
					      (nsp_catref){NSP_CLASS_PG_CLASS, oid}, schema, relname,
					      identity, sql.data);
		if (o == NULL) {
			rc = -1;
			break;
		}
		o->cost = size;
		if (options != NULL && strstr(options, "security_invoker") != NULL)
			nsp_object_require_major(o, 15, "views with security_invoker");
		uint32_t rule = nsp_cell_oid(res, i, V_RULE);
		uint32_t type = nsp_cell_oid(res, i, V_TYPE);
		uint32_t array_type = nsp_cell_oid(res, i, V_ARRAY_TYPE);
		if ((rule != 0 && nsp_model_alias(ctx->model, (nsp_catref){NSP_CLASS_PG_REWRITE, rule}, o->index) != 0) ||
		    (type != 0 && nsp_model_alias(ctx->model, (nsp_catref){NSP_CLASS_PG_TYPE, type}, o->index) != 0) ||
		    (array_type != 0 &&
		     nsp_model_alias(ctx->model, (nsp_catref){NSP_CLASS_PG_TYPE, array_type}, o->index) != 0) ||
		    nsp_catalog_alias_oids(ctx->model, nsp_cell(res, i, V_ATTRDEFS), NSP_CLASS_PG_ATTRDEF,
					   o->index) != 0) {
			rc = -1;
			break;
		}
		if (!matview || !nsp_cell_bool(res, i, V_POPULATED))
			continue;

		nsp_strbuf_reset(&sql);
		nsp_render_matview_refresh(&r, &sql);
		char refresh_identity[sizeof(identity) + 16];
		snprintf(refresh_identity, sizeof(refresh_identity), "%s (refresh)", identity);
		size_t matview_index = o->index;
		o = nsp_strbuf_failed(&sql) ? NULL
			: nsp_model_add(ctx->model, NSP_KIND_MATVIEW_REFRESH, NSP_PHASE_POST, (nsp_catref){0, 0}, schema,
					relname, refresh_identity, sql.data);
		if (o == NULL || nsp_object_needs(o, matview_index) != 0 ||
		    nsp_object_set_table(o, oid, name.data, NSP_LOCK_ACCESS_EXCLUSIVE) != 0 ||
		    nsp_catalog_needs_oids(o, nsp_cell(res, i, V_INDEXES), NSP_CLASS_PG_CLASS) != 0) {
			rc = -1;
			break;
		}
		o->cost = size;
		refresh[nrefresh++] = (refresh_entry){oid, o->index};
	}
	PQclear(res);
	nsp_strbuf_free(&sql);
	nsp_strbuf_free(&name);
	if (rc != 0) {
		free(refresh);
		return OOM(ctx, "views");
	}
	rc = load_refresh_order(ctx, refresh, nrefresh);
	free(refresh);
	return rc;
}

/* The matviews each matview reads, directly or through views (pg_depend records a view's or
 * matview's references on its "_RETURN" rule): a refresh follows the refreshes of those, and
 * cannot run when one of them has no data in the source (REFRESH would fail). The tables it
 * reads are in its lock footprint (ACCESS SHARE, what REFRESH takes on them): planning the
 * query also locks every partition's indexes, which deadlocked with an index attach in the
 * same partition tree (whose footprint holds the tree's partitioned tables). */
static int load_refresh_order(nsp_catalog_ctx *ctx, refresh_entry *refresh, size_t nrefresh)
{
	if (nrefresh > 1)
		qsort(refresh, nrefresh, sizeof(*refresh), refresh_cmp);
	PGresult *res = nsp_catalog_query(
		ctx, "materialized view refresh order",
		"WITH RECURSIVE reads(matview, rel) AS ("
		"  SELECT r.ev_class, d.refobjid FROM pg_catalog.pg_rewrite r "
		"  JOIN pg_catalog.pg_class m ON m.oid = r.ev_class AND m.relkind = 'm' "
		"  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
		"    AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
		"    AND d.refobjid <> r.ev_class AND d.deptype = 'n' "
		"  UNION "
		"  SELECT reads.matview, d.refobjid FROM reads "
		"  JOIN pg_catalog.pg_class v ON v.oid = reads.rel AND v.relkind = 'v' "
		"  JOIN pg_catalog.pg_rewrite r ON r.ev_class = v.oid "
		"  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
		"    AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
		"    AND d.refobjid <> v.oid AND d.deptype = 'n') "
		"SELECT DISTINCT reads.matview, reads.rel, m.relispopulated, "
		"  pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(m.relname), "
		"  m.relkind = 'm', '\"' || pg_catalog.replace(n.nspname, '\"', '\"\"') || '\".\"' || "
		"  pg_catalog.replace(m.relname, '\"', '\"\"') || '\"' FROM reads "
		"JOIN pg_catalog.pg_class m ON m.oid = reads.rel AND m.relkind IN ('m', 'r', 'p') "
		"JOIN pg_catalog.pg_namespace n ON n.oid = m.relnamespace "
		"WHERE reads.rel <> reads.matview");
	if (res == NULL)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const refresh_entry *a = refresh_find(refresh, nrefresh, nsp_cell_oid(res, i, 0));
		const refresh_entry *b = refresh_find(refresh, nrefresh, nsp_cell_oid(res, i, 1));
		if (a == NULL || a == b)
			continue;
		nsp_object *o = ctx->model->objects[a->index];
		if (!nsp_cell_bool(res, i, 4)) {
			rc = nsp_object_add_lock(o, nsp_cell(res, i, 5), NSP_LOCK_ACCESS_SHARE);
		} else if (b != NULL) {
			rc = nsp_object_needs(o, b->index);
		} else if (!nsp_cell_bool(res, i, 2) && o->skip_reason == NULL) {
			/* The source itself could not refresh it now: it reads a matview without data. */
			char reason[512];
			snprintf(reason, sizeof(reason),
				 "reads materialized view %s, which is not populated in the source",
				 nsp_cell(res, i, 3));
			rc = nsp_object_set_skip_reason(o, reason);
		}
	}
	PQclear(res);
	if (rc != 0)
		return OOM(ctx, "materialized views");
	return 0;
}

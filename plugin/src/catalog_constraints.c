#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "render_constraints.h"
#include "strbuf.h"
#include "model_enums.h"

/* A made-up catalog address for "index X attached to its parent index" (pg_inherits has no
 * oids and pg_depend never names it): catalog_indexes.c registers each ATTACH step under
 * {NSP_CLASS_PG_INHERITS, child index oid}, so that a foreign key referencing a partitioned
 * table can wait until its unique index is valid, i.e. attached in every partition. */
#define NSP_CLASS_PG_INHERITS 2611

/* Table constraints: checks, primary keys, unique, exclusion and foreign keys. Emulates what
 * pg_dump emits for them:
 * - validated checks stay with the table (pre-sync) as ALTER TABLE ... ADD CONSTRAINT without
 *   ONLY, so that a check of an inheritance or partitioned parent reaches its children as it
 *   did in the source (NO INHERIT comes with the definition and stops that); checks a child
 *   only inherited (conislocal false) are made by the parent's statement; NOT VALID ones are
 *   post-sync; a check of a partitioned table waits for the ATTACH PARTITION steps below it;
 * - NOT ENFORCED checks (PostgreSQL 18) are pre-sync like validated ones (they read no row);
 *   NOT VALID NOT NULL constraints (18) are post-sync like NOT VALID checks (the valid ones are
 *   written by the table's CREATE TABLE, catalog_tables.c);
 * - PK/UNIQUE/EXCLUDE are post-sync, ALTER TABLE ONLY (on a partitioned table that builds the
 *   parent's index only; each partition's constraint is its own step, attached by
 *   catalog_indexes.c); the constraint's index stands for the constraint in pg_depend.
 *   A PK/UNIQUE of a plain table is built as CREATE UNIQUE INDEX (SHARE lock: it builds
 *   alongside the table's other indexes) and then ADD CONSTRAINT ... USING INDEX (a short
 *   ACCESS EXCLUSIVE); PostgreSQL refuses USING INDEX on partitioned tables, exclusion
 *   constraints and temporal keys (WITHOUT OVERLAPS, 18), which are added directly. So is the
 *   key of a table whose main fork is empty in the source: there is nothing to build alongside,
 *   and one statement instead of two is most of the saving at thousands of empty tables;
 * - foreign keys are post-sync, added NOT VALID and validated in a second step so that
 *   validations can run in parallel (a key of a table empty in the source: at once, see
 *   validates_nothing); PostgreSQL < 18 refuses NOT VALID foreign keys on
 *   partitioned tables, so those (and keys referencing a partitioned table) are added
 *   validated in one step; NOT ENFORCED ones (18) in one step too
 *   (nothing to validate); temporal ones (PERIOD, 18) like the others. Foreign keys a partition
 *   got from its parent's (conparentid <> 0) are made by the parent's statement.
 * The SQL is written by render_constraints.c from the rows read here (nsp_constraint_row). */
/* A PK/UNIQUE of a plain table with pages, built as its index first (see above). `ez`: every
 * plain table and whether its main fork is empty (the EMPTY_TABLES CTE, joined below; the
 * relcache entries are warm by now: the table sizes query of catalog_tables.c ran first). The
 * CTE keeps a row per table so that the planner's estimate is right: filtered on the size, it
 * was estimated at 48 rows for 20 000 and joined by a nested loop (88 s). */
#define INDEX_FIRST(PERIOD) \
	"c.contype IN ('p', 'u') AND t.relkind = 'r' AND c.conindid <> 0 AND NOT " PERIOD " " \
	"AND NOT ez.empty"
#define EMPTY_TABLES \
	"WITH ez AS MATERIALIZED (SELECT e.oid, pg_catalog.pg_relation_size(e.oid) = 0 AS empty " \
	"  FROM pg_catalog.pg_class e WHERE e.relkind = 'r') "
/* ENFORCED, PERIOD: c.conenforced and c.conperiod from PostgreSQL 18 on, constants before.
 * 7: the definition, unless the index's (16) stands for it: each pg_get_*def() costs, and at
 * thousands of tables these two are most of the catalog read's time. */
#define CONSTRAINTS_SQL(ENFORCED, PERIOD)                                                         \
	EMPTY_TABLES \
	"SELECT c.oid, c.conname, c.contype, n.nspname, t.relname, t.oid, t.relkind, " \
	"  CASE WHEN " INDEX_FIRST(PERIOD) " THEN NULL ELSE pg_catalog.pg_get_constraintdef(c.oid) END, " \
	"  c.convalidated, c.conindid, c.confrelid, " \
	"  " NSP_SQL_REL_SIZE("t") ", " \
	/* 12: same-named local checks of direct children, merged with this one: they must exist \
	 * before this check recurses into the children, or adding them would fail. */ \
	"  CASE WHEN c.contype = 'c' AND NOT c.connoinherit THEN pg_catalog.array_to_string(ARRAY(" \
	"    SELECT cc.oid FROM pg_catalog.pg_inherits i " \
	"    JOIN pg_catalog.pg_constraint cc ON cc.conrelid = i.inhrelid AND cc.contype = 'c' " \
	"      AND cc.conname = c.conname AND cc.conislocal " \
	"    WHERE i.inhparent = t.oid), ',') END, " \
	/* 13: for a foreign key to a partitioned table, every index of the partitions under the \
	 * referenced index: it is valid only once they are all attached. */ \
	"  CASE WHEN c.contype = 'f' AND rt.relkind = 'p' THEN pg_catalog.array_to_string(ARRAY(" \
	"    WITH RECURSIVE d(oid) AS (" \
	"      SELECT i.inhrelid FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.conindid " \
	"      UNION ALL SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN d ON i.inhparent = d.oid) " \
	"    SELECT d.oid FROM d), ',') END, " \
	/* 14: for a check of a partitioned table, it and every partitioned table under it: the \
	 * check recurses into their partitions, so it must come after those are attached \
	 * (ATTACH PARTITION refuses a partition that lacks a check of its new parent). */ \
	"  CASE WHEN c.contype IN ('c', 'n') AND t.relkind = 'p' THEN pg_catalog.array_to_string(ARRAY(" \
	"    WITH RECURSIVE d(oid) AS (SELECT t.oid " \
	"      UNION ALL SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN d ON i.inhparent = d.oid " \
	"      JOIN pg_catalog.pg_class p ON p.oid = i.inhrelid AND p.relkind = 'p') " \
	"    SELECT d.oid FROM d), ',') END, " \
	"  rt.relkind, " \
	/* 16: the index of a PK/UNIQUE of a plain table, built first (see above) */ \
	"  CASE WHEN " INDEX_FIRST(PERIOD) " THEN pg_catalog.pg_get_indexdef(c.conindid) END, " \
	"  c.condeferrable, c.condeferred, pg_catalog.quote_ident(ic.relname), " \
	/* 20: the referenced table, quoted as the plan names relations (for its lock) */ \
	"  '\"' || pg_catalog.replace(rn.nspname, '\"', '\"\"') || '\".\"' || " \
	"  pg_catalog.replace(rt.relname, '\"', '\"\"') || '\"', " \
	/* 21, 22: the partitions under a partitioned table and under a partitioned referenced \
	 * table, joined by '\x1f': a statement that recurses locks them all */ \
	"  CASE WHEN t.relkind = 'p' THEN " NSP_SQL_PARTITIONS_OF("t.oid") " END, " \
	"  CASE WHEN rt.relkind = 'p' THEN " NSP_SQL_PARTITIONS_OF("rt.oid") " END, "                      \
	/* 23, 24: NOT ENFORCED (18: checks, foreign keys), WITHOUT OVERLAPS / PERIOD (18) */       \
	"  " ENFORCED ", " PERIOD " " \
	"FROM pg_catalog.pg_constraint c " \
	"JOIN pg_catalog.pg_class t ON t.oid = c.conrelid " \
	"JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace " \
	"LEFT JOIN pg_catalog.pg_class rt ON rt.oid = c.confrelid " \
	"LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rt.relnamespace " \
	"LEFT JOIN pg_catalog.pg_class ic ON ic.oid = c.conindid " \
	"LEFT JOIN ez ON ez.oid = t.oid " \
	"WHERE c.contype IN ('c', 'p', 'u', 'x', 'f', 'n') AND t.relkind IN ('r', 'p') " \
	"  AND t.relpersistence <> 't' AND " NSP_SQL_USER_SCHEMA("n") " " \
	"  AND " NSP_SQL_NOT_EXT_MEMBER("pg_class", "t.oid") " " \
	"  AND (c.contype IN ('p', 'u', 'x') OR (c.contype = 'c' AND c.conislocal) "                \
	/* NOT NULL constraints (18): the NOT VALID ones; valid ones are the table's */            \
	"       OR (c.contype = 'n' AND c.conislocal AND NOT c.convalidated) " \
	"       OR (c.contype = 'f' AND c.conparentid = 0)) " \
	"ORDER BY n.nspname, t.relname, c.conname"

static const char constraints_sql_12[] = CONSTRAINTS_SQL("true", "false");
static const char constraints_sql_18[] = CONSTRAINTS_SQL("c.conenforced", "c.conperiod");

const char *nsp_catalog_constraints_query(int server_version)
{
	return server_version >= 180000 ? constraints_sql_18 : constraints_sql_12;
}

/* The PARTITION_ATTACH steps of catalog_tables.c, by the oid of the parent they attach to
 * (their table), sorted for bsearch. */
/* A foreign key of a plain table whose main fork is empty in the source is added validated in
 * one statement: its validation reads nothing, so NOT VALID + VALIDATE would only be a second
 * statement. Only with fk_mode VALIDATE, whose outcome on a violation is the same (the step
 * fails); the other modes need the key to exist NOT VALID first. */
static bool validates_nothing(const nsp_catalog_ctx *ctx, bool partitioned, uint32_t table_oid)
{
	if (partitioned || (ctx->options != NULL &&
			    ctx->options->fk_mode != NEOSYNC__PLUGIN__V1__FK_MODE__FK_MODE_VALIDATE))
		return false;
	const nsp_object *table = nsp_model_find(ctx->model, (nsp_catref){NSP_CLASS_PG_CLASS, table_oid});
	return table != NULL && table->kind == NSP_KIND_TABLE && table->cost == 0;
}

typedef struct attach_ref {
	uint32_t parent_oid;
	size_t index;
} attach_ref;

static int attach_ref_cmp(const void *a, const void *b)
{
	uint32_t x = ((const attach_ref *)a)->parent_oid, y = ((const attach_ref *)b)->parent_oid;
	return x < y ? -1 : x > y;
}

static attach_ref *collect_attaches(const nsp_model *m, size_t *n)
{
	*n = 0;
	attach_ref *refs = malloc((m->nobjects ? m->nobjects : 1) * sizeof(*refs));
	if (refs == NULL)
		return NULL;
	for (size_t i = 0; i < m->nobjects; i++)
		if (m->objects[i]->kind == NSP_KIND_PARTITION_ATTACH && m->objects[i]->table_oid != 0)
			refs[(*n)++] = (attach_ref){m->objects[i]->table_oid, i};
	qsort(refs, *n, sizeof(*refs), attach_ref_cmp);
	return refs;
}

/* o needs every attach step into each parent of a comma-separated oid list. */
static int needs_attaches(nsp_object *o, const attach_ref *refs, size_t n, const char *list)
{
	for (const char *p = list; p != NULL && *p != '\0';) {
		char *end;
		unsigned long oid = strtoul(p, &end, 10);
		if (end == p)
			break;
		attach_ref key = {(uint32_t)oid, 0};
		const attach_ref *hit = bsearch(&key, refs, n, sizeof(*refs), attach_ref_cmp);
		while (hit != NULL && hit > refs && hit[-1].parent_oid == key.parent_oid)
			hit--;
		for (; hit != NULL && hit < refs + n && hit->parent_oid == key.parent_oid; hit++)
			if (nsp_object_needs(o, hit->index) != 0)
				return -1;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* Add a catalog address per oid of a comma-separated list as a need of o. */
static int needs_oid_list(nsp_object *o, uint32_t classid, const char *list)
{
	for (const char *p = list; p != NULL && *p != '\0';) {
		char *end;
		unsigned long oid = strtoul(p, &end, 10);
		if (end == p)
			break;
		if (nsp_object_needs_ref(o, (nsp_catref){classid, (uint32_t)oid}) != 0)
			return -1;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* One constraint row: its object(s). Returns -1 when out of memory. */
static int add_constraint(nsp_catalog_ctx *ctx, const PGresult *res, int i, nsp_strbuf *sql,
			  nsp_strbuf *identity, const char *table, const attach_ref *attaches,
			  size_t nattaches)
{
	nsp_constraint_row r = {
		.schema = nsp_cell(res, i, 3),
		.table = nsp_cell(res, i, 4),
		.name = nsp_cell(res, i, 1),
		.type = nsp_cell(res, i, 2)[0],
		.partitioned = nsp_cell(res, i, 6)[0] == 'p',
		.definition = nsp_cell(res, i, 7),
		.index_definition = nsp_cell(res, i, 16),
		.index_name = nsp_cell(res, i, 19),
		.deferrable = nsp_cell_bool(res, i, 17),
		.deferred = nsp_cell_bool(res, i, 18),
	};
	uint32_t oid = nsp_cell_oid(res, i, 0);
	const char *conname = r.name;
	char contype = r.type;
	const char *schema = r.schema;
	const char *relname = r.table;
	uint32_t table_oid = nsp_cell_oid(res, i, 5);
	bool partitioned = r.partitioned;
	const char *def = r.definition;
	bool validated = nsp_cell_bool(res, i, 8);
	uint32_t indid = nsp_cell_oid(res, i, 9);
	uint32_t frelid = nsp_cell_oid(res, i, 10);
	bool enforced = nsp_cell_bool(res, i, 23);
	uint64_t cost = nsp_catalog_table_cost(ctx, nsp_cell_oid(res, i, 5), nsp_cell(res, i, 11));
	/* Validating a foreign key reads the referenced table too (the hash of its keys) */
	if (contype == 'f' && frelid != 0)
		cost += nsp_catalog_table_cost(ctx, frelid, NULL);

	nsp_kind kind;
	nsp_phase phase = NSP_PHASE_POST;
	nsp_lock_mode lock = NSP_LOCK_ACCESS_EXCLUSIVE;
	bool split_fk = false;
	switch (contype) {
	case 'c':
		kind = NSP_KIND_CHECK_CONSTRAINT;
		/* NOT ENFORCED (18; never validated) reads no row: it goes with the table. */
		phase = validated || !enforced ? NSP_PHASE_PRE : NSP_PHASE_POST;
		break;
	case 'n':
		/* A NOT VALID NOT NULL (18): after the rows, like a NOT VALID check; it reaches the
		 * children unless NO INHERIT (in the definition). */
		kind = NSP_KIND_CHECK_CONSTRAINT;
		break;
	case 'p': kind = NSP_KIND_PRIMARY_KEY; break;
	case 'u': kind = NSP_KIND_UNIQUE_CONSTRAINT; break;
	case 'x': kind = NSP_KIND_EXCLUSION_CONSTRAINT; break;
	default:
		kind = NSP_KIND_FOREIGN_KEY;
		lock = NSP_LOCK_SHARE_ROW_EXCLUSIVE;
		/* VALIDATE of a key referencing a partitioned table leaves the pieces on the
		 * referenced partitions marked not validated (seen on 15): add those validated. */
		split_fk = validated &&
			   (!partitioned || (ctx->server_version >= 180000 &&
					     (ctx->model->dst_version == 0 || ctx->model->dst_version >= 180000))) &&
			   !(nsp_cell(res, i, 15) != NULL && nsp_cell(res, i, 15)[0] == 'p') &&
			   !validates_nothing(ctx, partitioned, table_oid);
		break;
	}

	/* The index first, when the constraint can be added USING it. */
	const char *indexdef = r.index_definition;
	nsp_object *index = NULL;
	if (indexdef != NULL) {
		nsp_strbuf_reset(identity);
		nsp_strbuf_appendf(identity, "%s.%s.%s index", schema, relname, conname);
		nsp_strbuf_reset(sql);
		nsp_render_constraint_index(&r, sql);
		if (nsp_strbuf_failed(sql) || nsp_strbuf_failed(identity))
			return -1;
		index = nsp_model_add(ctx->model, NSP_KIND_INDEX, NSP_PHASE_POST, (nsp_catref){0, 0}, schema,
				      r.index_name, identity->data, sql->data);
		if (index == NULL || nsp_object_set_table(index, table_oid, table, NSP_LOCK_SHARE) != 0 ||
		    nsp_object_needs_ref(index, (nsp_catref){NSP_CLASS_PG_CLASS, table_oid}) != 0)
			return -1;
		index->cost = cost;
	}

	nsp_strbuf_reset(identity);
	nsp_strbuf_appendf(identity, "%s.%s.%s", schema, relname, conname);
	nsp_strbuf_reset(sql);
	nsp_render_constraint(&r, split_fk, sql);
	if (nsp_strbuf_failed(sql) || nsp_strbuf_failed(identity))
		return -1;
	nsp_object *o = nsp_model_add(ctx->model, kind, phase, (nsp_catref){NSP_CLASS_PG_CONSTRAINT, oid},
				      schema, conname, identity->data, sql->data);
	if (o == NULL || nsp_object_set_table(o, table_oid, table, lock) != 0 ||
	    nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_CLASS, table_oid}) != 0 ||
	    (index != NULL && nsp_object_needs(o, index->index) != 0))
		return -1;
	o->cost = cost;
	/* What a destination older than 18 cannot hold (dest_compat.h). */
	if (!enforced)
		nsp_object_require_major(o, 18, "NOT ENFORCED constraints");
	if (nsp_cell_bool(res, i, 24))
		nsp_object_require_major(o, 18, "temporal keys (WITHOUT OVERLAPS, PERIOD)");
	if (contype == 'n')
		nsp_object_require_major(o, 18, "NOT VALID NOT NULL constraints");
	if ((contype == 'u' || contype == 'p') &&
	    strstr(indexdef != NULL ? indexdef : def, " NULLS NOT DISTINCT") != NULL) {
		nsp_object_require_major(o, 15, "UNIQUE NULLS NOT DISTINCT");
		if (index != NULL)
			nsp_object_require_major(index, 15, "UNIQUE NULLS NOT DISTINCT");
	}

	switch (contype) {
	case 'p':
	case 'u':
	case 'x':
		/* The constraint's index is internal to it: whoever depends on the index (a foreign
		 * key, a comment, an attach) depends on the constraint. */
		if (indid != 0 && nsp_model_alias(ctx->model, (nsp_catref){NSP_CLASS_PG_CLASS, indid},
						  o->index) != 0)
			return -1;
		return 0;
	case 'c':
	case 'n':
		if (needs_oid_list(o, NSP_CLASS_PG_CONSTRAINT, nsp_cell(res, i, 12)) != 0)
			return -1;
		if (nsp_catalog_add_locks(o, nsp_cell(res, i, 21), NSP_LOCK_ACCESS_EXCLUSIVE) != 0)
			return -1;
		return needs_attaches(o, attaches, nattaches, nsp_cell(res, i, 14));
	default:
		break;
	}

	/* Foreign key: the referenced table and, when partitioned, its attached indexes. Adding
	 * the key also locks the referenced table (SHARE ROW EXCLUSIVE), validating it ROW SHARE. */
	const char *ref_table = nsp_cell(res, i, 20);
	if ((ref_table != NULL && strcmp(ref_table, table) != 0 &&
	     nsp_object_add_lock(o, ref_table, NSP_LOCK_SHARE_ROW_EXCLUSIVE) != 0) ||
	    nsp_catalog_add_locks(o, nsp_cell(res, i, 21), NSP_LOCK_SHARE_ROW_EXCLUSIVE) != 0 ||
	    nsp_catalog_add_locks(o, nsp_cell(res, i, 22), NSP_LOCK_SHARE_ROW_EXCLUSIVE) != 0 ||
	    nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_CLASS, frelid}) != 0 ||
	    (indid != 0 && nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_CLASS, indid}) != 0) ||
	    needs_oid_list(o, NSP_CLASS_PG_INHERITS, nsp_cell(res, i, 13)) != 0)
		return -1;
	if (!split_fk)
		return 0;
	size_t fk_index = o->index;
	nsp_strbuf_append(identity, " validate");
	nsp_strbuf_reset(sql);
	nsp_render_constraint_validate(&r, sql);
	if (nsp_strbuf_failed(sql) || nsp_strbuf_failed(identity))
		return -1;
	nsp_object *v = nsp_model_add(ctx->model, NSP_KIND_FOREIGN_KEY, NSP_PHASE_POST, (nsp_catref){0, 0}, schema,
				      conname, identity->data, sql->data);
	if (v == NULL || nsp_object_set_table(v, table_oid, table, NSP_LOCK_SHARE_UPDATE_EXCLUSIVE) != 0 ||
	    (ref_table != NULL && strcmp(ref_table, table) != 0 &&
	     nsp_object_add_lock(v, ref_table, NSP_LOCK_ROW_SHARE) != 0) ||
	    nsp_catalog_add_locks(v, nsp_cell(res, i, 21), NSP_LOCK_SHARE_UPDATE_EXCLUSIVE) != 0 ||
	    nsp_catalog_add_locks(v, nsp_cell(res, i, 22), NSP_LOCK_ROW_SHARE) != 0 ||
	    nsp_object_needs(v, fk_index) != 0)
		return -1;
	v->cost = cost;
	return 0;
}

int nsp_catalog_load_constraints(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query_prefetched(ctx, "table constraints",
					  nsp_catalog_constraints_query(ctx->server_version));
	if (res == NULL)
		return -1;
	nsp_strbuf sql, identity, table;
	nsp_strbuf_init(&sql);
	nsp_strbuf_init(&identity);
	nsp_strbuf_init(&table);
	size_t nattaches = 0;
	attach_ref *attaches = collect_attaches(ctx->model, &nattaches);
	int rc = attaches == NULL ? -1 : 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		nsp_strbuf_reset(&table);
		nsp_strbuf_append_qualified(&table, nsp_cell(res, i, 3), nsp_cell(res, i, 4));
		rc = nsp_strbuf_failed(&table) ? -1
			: add_constraint(ctx, res, i, &sql, &identity, table.data, attaches, nattaches);
	}
	free(attaches);
	PQclear(res);
	nsp_strbuf_free(&sql);
	nsp_strbuf_free(&identity);
	nsp_strbuf_free(&table);
	if (rc != 0)
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading table constraints");
	return 0;
}

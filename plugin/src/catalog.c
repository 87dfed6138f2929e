#include "catalog.h"
#include "clock.h"
#include "model_enums.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A query's result, checked: NULL with ctx->err set when it failed (conn: where it ran). */
static PGresult *checked(nsp_catalog_ctx *ctx, const char *what, PGresult *res, PGconn *conn)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char context[256];
		snprintf(context, sizeof(context), "reading %s from the source catalog", what);
		nsp_error_set_pg(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED, context, res,
				 conn);
		PQclear(res);
		return NULL;
	}
	return res;
}

PGresult *nsp_catalog_query(nsp_catalog_ctx *ctx, const char *what, const char *sql)
{
	ctx->queries++;
	return checked(ctx, what, PQexec(ctx->conn, sql), ctx->conn);
}

PGresult *nsp_catalog_query_prefetched(nsp_catalog_ctx *ctx, const char *what, const char *sql)
{
	PGconn *conn = NULL;
	PGresult *res = NULL;
	if (ctx->prefetch_pending) {
		ctx->prefetch_pending = false;
		res = nsp_catalog_prefetch_take(ctx->prefetch, &conn);
	}
	if (res == NULL) /* no prefetch session: run it here */
		return nsp_catalog_query(ctx, what, sql);
	ctx->queries++;
	return checked(ctx, what, res, conn);
}

const char *nsp_cell(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

uint32_t nsp_cell_oid(const PGresult *res, int row, int col)
{
	const char *v = nsp_cell(res, row, col);
	return v ? (uint32_t)strtoul(v, NULL, 10) : 0;
}

bool nsp_cell_bool(const PGresult *res, int row, int col)
{
	const char *v = nsp_cell(res, row, col);
	return v != NULL && v[0] == 't';
}

char **nsp_cell_text_array(const char *cell, size_t *n)
{
	size_t len = cell ? strlen(cell) : 0, max = 1;
	for (size_t i = 0; i < len; i++)
		max += cell[i] == ',';
	/* the pointers, then the elements unescaped (never longer than the cell) */
	char **items = malloc(max * sizeof(char *) + len + 1);
	if (items == NULL)
		return NULL;
	*n = 0;
	if (cell == NULL)
		return items;
	char *out = (char *)(items + max);
	const char *p = cell;
	if (*p++ != '{')
		goto bad;
	if (*p == '}')
		return p[1] == '\0' ? items : (free(items), NULL);
	for (;;) {
		char *item = out;
		bool quoted = *p == '"';
		if (quoted) {
			for (p++; *p != '"'; p++) {
				if (*p == '\\')
					p++;
				if (*p == '\0')
					goto bad;
				*out++ = *p;
			}
			p++;
		} else {
			for (; *p != ',' && *p != '}'; p++) {
				if (*p == '\0' || *p == '{' || *p == '"')
					goto bad;
				*out++ = *p;
			}
		}
		*out++ = '\0';
		/* array_out quotes an element that reads NULL: unquoted, it is SQL NULL */
		items[(*n)++] = !quoted && strcmp(item, "NULL") == 0 ? NULL : item;
		if (*p == '}')
			break;
		if (*p++ != ',')
			goto bad;
	}
	if (p[1] == '\0')
		return items;
bad:
	free(items);
	return NULL;
}

/* Calls fn for each number of a "{1,2,3}" array cell. */
static int each_oid(const char *cell, int (*fn)(void *arg, uint32_t oid), void *arg)
{
	for (const char *p = cell; p != NULL && *p != '\0';) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p) {
			p++;
			continue;
		}
		if (fn(arg, (uint32_t)v) != 0)
			return -1;
		p = end;
	}
	return 0;
}

typedef struct oid_target {
	nsp_model *model;
	nsp_object *o;
	size_t index;
	uint32_t classid;
} oid_target;

static int alias_oid(void *arg, uint32_t oid)
{
	oid_target *t = arg;
	return nsp_model_alias(t->model, (nsp_catref){t->classid, oid}, t->index);
}

static int needs_oid(void *arg, uint32_t oid)
{
	oid_target *t = arg;
	return nsp_object_needs_ref(t->o, (nsp_catref){t->classid, oid});
}

int nsp_catalog_alias_oids(nsp_model *m, const char *cell, uint32_t classid, size_t index)
{
	oid_target t = {.model = m, .index = index, .classid = classid};
	return each_oid(cell, alias_oid, &t);
}

int nsp_catalog_needs_oids(nsp_object *o, const char *cell, uint32_t classid)
{
	oid_target t = {.o = o, .classid = classid};
	return each_oid(cell, needs_oid, &t);
}

uint64_t nsp_catalog_table_cost(const nsp_catalog_ctx *ctx, uint32_t relid, const char *size)
{
	if (size != NULL)
		return strtoull(size, NULL, 10);
	const nsp_object *table = nsp_model_find(ctx->model, (nsp_catref){NSP_CLASS_PG_CLASS, relid});
	return table != NULL && table->kind == NSP_KIND_TABLE
		       ? table->cost
		       : 0;
}

nsp_object *nsp_catalog_add_table_object(nsp_catalog_ctx *ctx, nsp_kind kind,
					 nsp_catref ref, const char *schema, const char *name,
					 const nsp_strbuf *identity, const nsp_strbuf *sql,
					 uint32_t relid, const nsp_strbuf *table,
					 nsp_lock_mode lock, const char *size)
{
	if (nsp_strbuf_failed(identity) || nsp_strbuf_failed(sql) || nsp_strbuf_failed(table))
		return NULL;
	nsp_object *o = nsp_model_add(ctx->model, kind, NSP_PHASE_POST, ref,
				      schema, name, identity->data, sql->data);
	if (o == NULL || nsp_object_set_table(o, relid, table->data, lock) != 0 ||
	    nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_CLASS, relid}) != 0)
		return NULL;
	o->cost = nsp_catalog_table_cost(ctx, relid, size);
	return o;
}

void nsp_catalog_settings(const Neosync__Plugin__V1__SchemaPluginOptions *options, char *buf,
			  size_t len)
{
	snprintf(buf, len,
		 "SELECT pg_catalog.set_config('search_path', '', true);"
		 "SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = %u; SET LOCAL jit = off;",
		 options && options->lock_timeout_ms ? options->lock_timeout_ms : 10000u);
}

static const char *indexes_query(int server_version)
{
	(void)server_version;
	return nsp_catalog_indexes_sql;
}

static const char *table_sizes_query(int server_version)
{
	(void)server_version;
	return nsp_catalog_table_sizes_sql;
}

/* The loaders, in the order they run. A loader whose `prefetch` names a query has it run ahead
 * on a second session of the same snapshot (catalog_prefetch.c): the heaviest queries at
 * thousands of tables (pg_relation_size, pg_get_constraintdef, pg_get_indexdef), while the
 * loaders before them read on the first session. The loader takes its result with
 * nsp_catalog_query_prefetched, when it needs it. */
typedef struct nsp_loader {
	const char *name; /* in the log's breakdown */
	int (*load)(nsp_catalog_ctx *ctx);
	const char *(*prefetch)(int server_version); /* NULL: runs its query in its turn */
} nsp_loader;

static const nsp_loader loaders[] = {
	{"schemas", nsp_catalog_load_schemas, NULL},
	{"collations", nsp_catalog_load_collations, NULL},
	{"types", nsp_catalog_load_types, NULL},
	{"functions", nsp_catalog_load_functions, NULL},
	{"operators", nsp_catalog_load_operators, NULL},
	{"sequences", nsp_catalog_load_sequences, NULL},
	{"tables", nsp_catalog_load_tables, table_sizes_query},
	{"constraints", nsp_catalog_load_constraints, nsp_catalog_constraints_query},
	{"indexes", nsp_catalog_load_indexes, indexes_query},
	{"triggers", nsp_catalog_load_triggers, NULL},
	{"rules", nsp_catalog_load_rules, NULL},
	{"views", nsp_catalog_load_views, NULL},
	{"policies", nsp_catalog_load_policies, NULL},
	{"statistics", nsp_catalog_load_statistics, NULL},
	{"comments", nsp_catalog_load_comments, NULL},
	{"owners", nsp_catalog_load_owners, NULL},
	{"depend", nsp_catalog_load_depend, NULL},
};
#define NLOADERS (sizeof(loaders) / sizeof(loaders[0]))

/* "constraints 0.38, tables 0.21, ...": the steps of 5 ms or more, slowest first. */
static void write_breakdown(const uint64_t *spent, char *out, size_t size)
{
	bool used[NLOADERS + 1] = {false};
	size_t len = 0;
	out[0] = '\0';
	for (;;) {
		size_t best = NLOADERS + 1;
		for (size_t i = 0; i <= NLOADERS; i++)
			if (!used[i] && spent[i] >= 5000 && (best > NLOADERS || spent[i] > spent[best]))
				best = i;
		if (best > NLOADERS)
			return;
		used[best] = true;
		const char *name = best < NLOADERS ? loaders[best].name : "dependency resolution";
		int w = snprintf(out + len, size - len, "%s%s %.2f", len ? ", " : "", name,
				 (double)spent[best] / 1e6);
		if (w < 0 || (size_t)w >= size - len)
			return; /* the slowest ones are already in */
		len += (size_t)w;
	}
}

static void start_prefetch(nsp_catalog_ctx *ctx, const char *url)
{
	const char *sql[NLOADERS];
	size_t n = 0;
	for (size_t i = 0; i < NLOADERS; i++)
		if (loaders[i].prefetch != NULL)
			sql[n++] = loaders[i].prefetch(ctx->server_version);
	ctx->prefetch = nsp_catalog_prefetch_start(ctx, url, sql, n);
}

int nsp_catalog_load(PGconn *conn, const char *url,
		     const Neosync__Plugin__V1__SchemaPluginOptions *options, nsp_model *model,
		     nsp_error *err, nsp_catalog_stats *stats)
{
	uint64_t started = nsp_now_us();
	nsp_catalog_ctx ctx = {.conn = conn, .model = model, .err = err, .options = options};
	/* One snapshot for every query; an empty search_path makes pg_get_*def() qualify names. */
	/* No JIT, as in pg_dump: a catalog query with pg_get_*def() in subqueries is estimated far
	 * above jit_above_cost, and compiling it took longer (1.4 s at 5 000 tables) than running it.
	 * A session holding ACCESS EXCLUSIVE on a source table would make pg_relation_size() and
	 * friends wait forever: the wait is bounded by the job's lock_timeout (default 10 s). */
	char settings[256], begin[320];
	nsp_catalog_settings(options, settings, sizeof(settings));
	snprintf(begin, sizeof(begin), "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;%s", settings);
	PGresult *res = PQexec(conn, begin);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
		nsp_error_set_pg(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED,
				 "starting the catalog snapshot on the source", res, conn);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	ctx.server_version = PQserverVersion(conn);
	model->server_version = ctx.server_version;
	if (url != NULL)
		start_prefetch(&ctx, url);
	int rc = 0;
	uint64_t spent[NLOADERS + 1] = {0}; /* each loader's wall time (a prefetched one: its wait) */
	for (size_t i = 0; i < NLOADERS && rc == 0; i++) {
		uint64_t t = nsp_now_us();
		ctx.prefetch_pending = loaders[i].prefetch != NULL;
		rc = loaders[i].load(&ctx);
		if (ctx.prefetch_pending) { /* a loader that stopped before its query: keep the order */
			PGconn *unused;
			PQclear(nsp_catalog_prefetch_take(ctx.prefetch, &unused));
			ctx.prefetch_pending = false;
		}
		spent[i] = nsp_now_us() - t;
	}
	nsp_catalog_prefetch_end(ctx.prefetch);
	uint64_t t = nsp_now_us();
	if (rc == 0)
		rc = nsp_model_resolve(model) == 0
			     ? 0
			     : nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
					     "out of memory resolving dependencies");
	spent[NLOADERS] = nsp_now_us() - t;
	res = PQexec(conn, rc == 0 ? "COMMIT" : "ROLLBACK");
	PQclear(res);
	if (stats != NULL) {
		stats->queries = ctx.queries;
		stats->seconds = (double)(nsp_now_us() - started) / 1e6;
		write_breakdown(spent, stats->breakdown, sizeof(stats->breakdown));
	}
	return rc;
}

int nsp_catalog_add_locks(nsp_object *o, const char *joined, nsp_lock_mode mode)
{
	while (joined != NULL && *joined != '\0') {
		const char *sep = strchr(joined, '\x1f');
		size_t len = sep ? (size_t)(sep - joined) : strlen(joined);
		char rel[1024];
		if (len >= sizeof(rel))
			return -1;
		memcpy(rel, joined, len);
		rel[len] = '\0';
		if (nsp_object_add_lock(o, rel, mode) != 0)
			return -1;
		joined = sep ? sep + 1 : "";
	}
	return 0;
}

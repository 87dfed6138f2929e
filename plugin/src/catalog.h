/* catalog - set-based introspection of the source: one query per object kind for the whole
 * database, all in one REPEATABLE READ, READ ONLY transaction with search_path emptied, so that
 * the server's pg_get_*def() output is fully qualified. Each catalog_<kind>.c holds the query
 * for its kind and turns its rows into model objects (the server's pg_get_*def() functions do
 * most of the rendering, which keeps our DDL as faithful as pg_dump's).
 *
 * What every loader must do:
 * - skip objects in system schemas (NSP_SQL_USER_SCHEMA) and extension members (NSP_SQL_NOT_EXT_MEMBER);
 * - quote every identifier (quote_ident() in SQL, or nsp_strbuf_append_ident) and escape every literal;
 * - register catalog aliases for rows that stand for its objects (nsp_model_alias), so pg_depend
 *   rows can be resolved to objects by catalog_depend.c;
 * - guard version-specific columns by ctx->server_version (sources 12..18).
 */
#ifndef NSP_CATALOG_H
#define NSP_CATALOG_H

#include <libpq-fe.h>

#include "error.h"
#include "model.h"
#include "strbuf.h"
#include "neosync/plugin/v1/options.pb-c.h"

struct nsp_catalog_prefetch;

typedef struct nsp_catalog_ctx {
	PGconn *conn;
	/* A second session in the same snapshot running the heaviest queries ahead of their
	 * loaders (catalog_prefetch.c); NULL when there is none. */
	struct nsp_catalog_prefetch *prefetch;
	/* The running loader's entry in the loader table (catalog.c) is prefetched and its result
	 * not taken yet: nsp_catalog_query_prefetched takes it. */
	bool prefetch_pending;
	nsp_model *model;
	int server_version; /* server_version_num */
	nsp_error *err;
	unsigned queries;   /* catalog round trips made, for the test that counts them */
	/* The job's options (NULL = defaults): comments, owners and ACLs, role map. */
	const Neosync__Plugin__V1__SchemaPluginOptions *options;
} nsp_catalog_ctx;

/* Schemas we never copy: pg_catalog, pg_toast*, pg_temp*, information_schema. `n` is the alias
 * of a pg_namespace row in the query. */
#define NSP_SQL_USER_SCHEMA(n) "(" n ".nspname !~ '^pg_' AND " n ".nspname <> 'information_schema')"
/* Not a member of an extension (the extension creates it). catalog: e.g. "pg_class";
 * oid: the expression of the object's oid. */
#define NSP_SQL_NOT_EXT_MEMBER(catalog, oid)                                                  \
	"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend xd WHERE xd.classid = "                \
	"'pg_catalog." catalog "'::pg_catalog.regclass AND xd.objid = " oid " AND xd.deptype = 'e')"

/* The size of relation `c` (an alias of a pg_class row) as a step's cost: NULL for tables, whose
 * size the tables loader read once (nsp_catalog_table_cost); pg_relation_size() opens the
 * relation, and calling it once per index, constraint or trigger costs seconds at 5 000 tables. */
#define NSP_SQL_REL_SIZE(c)                                                                     \
	"CASE WHEN " c ".relkind IN ('r', 'p') THEN NULL ELSE pg_catalog.pg_relation_size(" c ".oid) END"

/* The partitions (at every level) under partitioned table `oid`, quoted as the plan names
 * relations, joined by '\x1f'; NULL for any other relation. A statement on a partitioned table
 * (a constraint, a trigger) changes its partitions' catalog rows too: its step locks them. */
#define NSP_SQL_PARTITIONS_OF(oid)                                                                \
	"(SELECT pg_catalog.string_agg('\"' || pg_catalog.replace(pn.nspname, '\"', '\"\"') || "     \
	"'\".\"' || pg_catalog.replace(pc.relname, '\"', '\"\"') || '\"', E'\\x1f') "                \
	"FROM pg_catalog.pg_partition_tree(" oid ") pt "                                                 \
	"JOIN pg_catalog.pg_class pc ON pc.oid = pt.relid "                                           \
	"JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace WHERE pt.relid <> " oid ")"

/* Lock every relation of a '\x1f'-joined list (NULL: none) in `mode` as well. */
int nsp_catalog_add_locks(nsp_object *o, const char *joined, nsp_lock_mode mode);

/* The first queries of the tables, constraints and indexes loaders: the slowest at thousands of
 * tables (pg_relation_size, pg_get_constraintdef, pg_get_indexdef), so catalog_prefetch.c runs
 * them ahead. The constraints query depends on the source's server_version_num (one string per
 * catalog layout). */
const char *nsp_catalog_constraints_query(int server_version);
extern const char *const nsp_catalog_indexes_sql;
extern const char *const nsp_catalog_table_sizes_sql;

/* The settings of a catalog transaction, after its BEGIN (search_path, timeouts, no JIT). */
void nsp_catalog_settings(const Neosync__Plugin__V1__SchemaPluginOptions *options, char *buf,
			  size_t len);

/* Start the prefetch session: after ctx->conn began its snapshot, another session of the source
 * at `url` adopts it (pg_export_snapshot) and runs sql[0..n) (the prefetched entries of the loader
 * table, in its order) in one round trip. NULL, and the queries run in their turn on ctx->conn,
 * when that is not possible (a standby, no connection left). */
struct nsp_catalog_prefetch *nsp_catalog_prefetch_start(nsp_catalog_ctx *ctx, const char *url,
							const char *const *sql, size_t n);
/* The next prefetched query's result (in the order given), and the session it ran on; NULL when
 * there is none (the caller then runs the query itself). */
PGresult *nsp_catalog_prefetch_take(struct nsp_catalog_prefetch *pf, PGconn **conn);
void nsp_catalog_prefetch_end(struct nsp_catalog_prefetch *pf);

/* A source role as the destination names it (options.roleMap); NULL and "" (PUBLIC) as they are. */
const char *nsp_catalog_map_role(const nsp_catalog_ctx *ctx, const char *role);
/* Default privileges (option acls), called by the owners and privileges loader. */
int nsp_catalog_load_default_privileges(nsp_catalog_ctx *ctx, nsp_strbuf *sql);

/* Run one catalog query (counted). On failure sets ctx->err naming `what` and returns NULL. */
PGresult *nsp_catalog_query(nsp_catalog_ctx *ctx, const char *what, const char *sql);
/* The same for the query the loader table prefetches for the running loader: its result from
 * the prefetch session when there is one (waiting for it only now, so a loader can run its other
 * queries first), else `sql` run here. */
PGresult *nsp_catalog_query_prefetched(nsp_catalog_ctx *ctx, const char *what, const char *sql);
/* A cell, or NULL when SQL NULL. */
const char *nsp_cell(const PGresult *res, int row, int col);
/* A cell as an unsigned 32-bit number (oids); 0 when NULL. */
uint32_t nsp_cell_oid(const PGresult *res, int row, int col);
/* A cell as a boolean ('t'). */
bool nsp_cell_bool(const PGresult *res, int row, int col);
/* A one-dimensional array cell in array_out's text form ({a,"b c",NULL}) as C strings: *n
 * elements, NULL for a NULL one, the pointers and strings in one allocation that free()
 * releases. A NULL cell is an empty array. NULL when out of memory or not such an array. */
char **nsp_cell_text_array(const char *cell, size_t *n);
/* For every oid of a "{1,2,3}" array cell (NULL: none): register it in `classid` as an alias of
 * object `index` (nsp_catalog_alias_oids), or record that `o` needs it (nsp_catalog_needs_oids). */
int nsp_catalog_alias_oids(nsp_model *m, const char *cell, uint32_t classid, size_t index);
int nsp_catalog_needs_oids(nsp_object *o, const char *cell, uint32_t classid);

/* The cost of a step on relation `relid`: the `size` cell, or when it is NULL (NSP_SQL_REL_SIZE of
 * a table) the size of the table as the tables loader read it. */
uint64_t nsp_catalog_table_cost(const nsp_catalog_ctx *ctx, uint32_t relid, const char *size);

/* Add a post-sync object of a table: the object, its table with the lock its statement takes,
 * the table's size (nsp_catalog_table_cost of the `size` cell) as its cost, and its need of the table. The strbufs hold the
 * identity, SQL and quoted table; NULL when one of them or an allocation failed. */
nsp_object *nsp_catalog_add_table_object(nsp_catalog_ctx *ctx, nsp_kind kind,
					 nsp_catref ref, const char *schema, const char *name,
					 const nsp_strbuf *identity, const nsp_strbuf *sql,
					 uint32_t relid, const nsp_strbuf *table,
					 nsp_lock_mode lock, const char *size);

/* What a catalog read cost, for the log and the benchmark's breakdown. */
typedef struct nsp_catalog_stats {
	unsigned queries;    /* catalog round trips made, for the test that counts them */
	double seconds;      /* the whole read, snapshot to resolved model */
	char breakdown[640]; /* "tables 0.41, constraints 0.38, ...": the slowest steps, seconds */
} nsp_catalog_stats;

/* Read the whole source schema into the model. url: the source again, for a second session
 * that runs the heaviest queries meanwhile (NULL: conn only). stats may be NULL. */
int nsp_catalog_load(PGconn *conn, const char *url,
		     const Neosync__Plugin__V1__SchemaPluginOptions *options, nsp_model *model,
		     nsp_error *err, nsp_catalog_stats *stats);

/* The loaders, in the order they run. */
int nsp_catalog_load_schemas(nsp_catalog_ctx *ctx);     /* schemas and extensions */
int nsp_catalog_load_collations(nsp_catalog_ctx *ctx);
int nsp_catalog_load_types(nsp_catalog_ctx *ctx);       /* enum, composite, range, domains */
int nsp_catalog_load_functions(nsp_catalog_ctx *ctx);   /* functions, procedures, aggregates */
int nsp_catalog_load_operators(nsp_catalog_ctx *ctx);   /* operators and casts */
int nsp_catalog_load_sequences(nsp_catalog_ctx *ctx);
int nsp_catalog_load_tables(nsp_catalog_ctx *ctx);
int nsp_catalog_load_constraints(nsp_catalog_ctx *ctx);
int nsp_catalog_load_indexes(nsp_catalog_ctx *ctx);
int nsp_catalog_load_triggers(nsp_catalog_ctx *ctx);
int nsp_catalog_load_rules(nsp_catalog_ctx *ctx);
int nsp_catalog_load_views(nsp_catalog_ctx *ctx);       /* views and materialized views */
int nsp_catalog_load_policies(nsp_catalog_ctx *ctx);    /* policies and row level security */
int nsp_catalog_load_statistics(nsp_catalog_ctx *ctx);
int nsp_catalog_load_comments(nsp_catalog_ctx *ctx);    /* after every object exists */
int nsp_catalog_load_owners(nsp_catalog_ctx *ctx);      /* owners and privileges, by option */
int nsp_catalog_load_depend(nsp_catalog_ctx *ctx);      /* last: pg_depend between objects */

#endif

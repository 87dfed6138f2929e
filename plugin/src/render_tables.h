/* render_tables - table and column rows, and the SQL they render (render.h). */
#ifndef NSP_RENDER_TABLES_H
#define NSP_RENDER_TABLES_H

#include "render.h"

/* A live column of a table (pg_attribute), cells as the columns query gives them. */
typedef struct nsp_column_row {
	const char *name;          /* attname */
	const char *type;          /* format_type(atttypid, atttypmod) */
	bool notnull;              /* attnotnull */
	bool islocal;              /* attislocal */
	char generated;            /* attgenerated: 's' stored, 'v' virtual (18); '\0': not generated */
	const char *default_expr;  /* pg_get_expr(adbin): the default or generation expression;
				    * NULL: none */
	const char *collation;     /* quoted qualified collname, when attcollation differs from the
				    * type's; NULL: the type's */
	const char *stattarget;    /* attstattarget; NULL or negative ("-1"): the default */
	char storage;              /* attstorage when it differs from the type's typstorage: 'p',
				    * 'e', 'x', 'm'; '\0': the type's */
	const char *options;       /* attoptions but pg_attver, ", "-joined; NULL or "": none */
	char compression;          /* attcompression (14+): 'p' pglz, 'l' lz4; '\0': the default */
	bool inh_notnull;          /* a parent's column of that name is NOT NULL (pg_inherits) */
	bool inh_default;          /* a parent's column has a default (not a generation expression) */
	bool inh_generated;        /* a parent's column is generated */
	bool inh_compression;      /* a parent's column has a compression method */
	/* The identity sequence (pg_depend 'i' to pg_sequence) of an identity column. */
	const char *seq_name;      /* quoted qualified sequence name; NULL: not an identity column */
	const char *seq_start, *seq_increment, *seq_cache; /* seqstart, seqincrement, seqcache */
	const char *seq_min, *seq_max; /* seqmin, seqmax; NULL: the default of the type and direction */
	bool seq_cycle;            /* seqcycle */
	/* 18: the column's NOT NULL constraint (pg_constraint, contype 'n'). */
	const char *nn_name;       /* conname; NULL: none (no NOT NULL, or a server before 18) */
	bool nn_noinherit;         /* connoinherit */
	bool nn_valid;             /* convalidated */
	bool nn_local;             /* conislocal */
	bool nn_inherited;         /* coninhcount > 0 */
} nsp_column_row;

/* An ordinary or partitioned table (pg_class relkind 'r' or 'p') and its columns. */
typedef struct nsp_table_row {
	const char *schema, *name;  /* nspname, relname */
	bool unlogged;              /* relpersistence 'u' */
	bool partition;             /* relispartition */
	const char *partkey;        /* pg_get_partkeydef() of a partitioned table; NULL: not one */
	const char *inherits;       /* the parents (pg_inherits) as regclass text, ", "-joined in
				     * inhseqno order; NULL: none */
	const char *options;        /* reloptions, then the TOAST table's as toast.*, each
				     * name='value' quoted by the query, ", "-joined; NULL or "": none */
	const char *access_method;  /* quoted pg_am.amname, unless heap; NULL: heap */
	char replident;             /* relreplident: 'f' full, 'n' nothing; others are the default's
				     * or an index's (render_indexes.h) */
	const char *of_type;        /* format_type(reloftype) of a typed table; NULL: not typed */
	const char *bound;          /* pg_get_expr(relpartbound) of a partition: FOR VALUES ... or
				     * DEFAULT */
	const char *parent_schema, *parent_name; /* the partitioned table a partition belongs to */
	const nsp_column_row *columns; /* by attnum */
	size_t ncolumns;
} nsp_table_row;

/* The table's pre-sync step, as pg_dump writes it: CREATE [UNLOGGED] TABLE s.t [OF type] with the
 * columns it lists (an inheritance child its local ones, a partition all, a typed table those with
 * a default or NOT NULL), INHERITS, PARTITION BY, USING, WITH; then one statement a line for what
 * CREATE TABLE cannot say: NOT NULL and defaults of unlisted columns, SET STATISTICS, SET STORAGE,
 * SET COMPRESSION, attribute options, identity (created BY DEFAULT, whatever the source says, so
 * that plain INSERTs of the source's values succeed) and REPLICA IDENTITY FULL or NOTHING.
 * server_version: the source's (an inherited generation expression is restated from 16 on);
 * dst_version: the destination's, 0 when unknown (an 18 NOT NULL constraint of an unlisted
 * column is SET NOT NULL before 18). */
void nsp_render_table(const nsp_table_row *t, int server_version, int dst_version, nsp_strbuf *sql);
/* ALTER TABLE s.t ALTER COLUMN c SET GENERATED ALWAYS; (the post-sync step of an ALWAYS identity) */
void nsp_render_table_identity_always(const nsp_table_row *t, const char *column, nsp_strbuf *sql);
/* ALTER TABLE ONLY ps.parent ATTACH PARTITION s.t bound; (needs parent_schema, parent_name and
 * bound) */
void nsp_render_table_attach(const nsp_table_row *t, nsp_strbuf *sql);

#endif

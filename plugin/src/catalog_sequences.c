#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "render_sequences.h"
#include "strbuf.h"
#include "model_enums.h"

/* Columns of the sequences query. */
enum {
	C_OID, C_NSPNAME, C_RELNAME, C_NSPOID, C_TYPE, C_START, C_INCREMENT, C_MIN, C_MAX, C_CACHE,
	C_CYCLE, C_PERSISTENCE, C_IDENTITY_TABLE, C_OWNER_TABLE, C_OWNER_NSP, C_OWNER_REL,
	C_OWNER_COL, C_READABLE,
};

/* Every sequence of the user schemas, identity sequences included (they get a value step but
 * no definition: the identity column creates them). MINVALUE/MAXVALUE are NULL when they are
 * the defaults of the type and direction, so that we write NO MINVALUE/NO MAXVALUE as pg_dump
 * does. OWNED BY is only kept when the owner is a table we create. */
static const char sequences_sql[] =
	"SELECT c.oid, n.nspname, c.relname, c.relnamespace, "
	"  pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, "
	"  CASE WHEN s.seqmin = CASE WHEN s.seqincrement > 0 THEN 1 "
	"       WHEN s.seqtypid = 'pg_catalog.int2'::pg_catalog.regtype THEN -32768 "
	"       WHEN s.seqtypid = 'pg_catalog.int4'::pg_catalog.regtype THEN -2147483648 "
	"       ELSE -9223372036854775808 END THEN NULL ELSE s.seqmin END, "
	"  CASE WHEN s.seqmax = CASE WHEN s.seqincrement < 0 THEN -1 "
	"       WHEN s.seqtypid = 'pg_catalog.int2'::pg_catalog.regtype THEN 32767 "
	"       WHEN s.seqtypid = 'pg_catalog.int4'::pg_catalog.regtype THEN 2147483647 "
	"       ELSE 9223372036854775807 END THEN NULL ELSE s.seqmax END, "
	"  s.seqcache, s.seqcycle, c.relpersistence, idt.refobjid, "
	"  own.refobjid, own.nspname, own.relname, own.attname, "
	"  pg_catalog.has_sequence_privilege(c.oid, 'SELECT') "
	"FROM pg_catalog.pg_class c "
	"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid "
	"LEFT JOIN pg_catalog.pg_depend idt ON idt.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
	"  AND idt.objid = c.oid AND idt.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
	"  AND idt.deptype = 'i' "
	"LEFT JOIN (SELECT d.objid, d.refobjid, tn.nspname, t.relname, a.attname "
	"    FROM pg_catalog.pg_depend d "
	"    JOIN pg_catalog.pg_class t ON t.oid = d.refobjid AND t.relkind IN ('r', 'p') "
	"    JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
	"    JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
	"    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
	"      AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
	"      AND d.deptype = 'a' AND d.refobjsubid > 0 "
	"      AND " NSP_SQL_NOT_EXT_MEMBER("pg_class", "d.refobjid") ") own ON own.objid = c.oid "
	"WHERE c.relkind = 'S' AND " NSP_SQL_USER_SCHEMA("n") " AND "
	NSP_SQL_NOT_EXT_MEMBER("pg_class", "c.oid") " AND (idt.refobjid IS NULL OR "
	NSP_SQL_NOT_EXT_MEMBER("pg_class", "idt.refobjid") ") "
	"ORDER BY n.nspname, c.relname";

/* One query that reads the state of every readable sequence: pg_sequences.last_value is NULL
 * whenever is_called is false, which would lose a RESTART WITH or setval(.., false) position,
 * so we read the sequence relations themselves, as pg_dump does, but in one round trip. */
static PGresult *query_values(nsp_catalog_ctx *ctx, const PGresult *seqs)
{
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int n = 0;
	for (int i = 0; i < PQntuples(seqs); i++) {
		if (!nsp_cell_bool(seqs, i, C_READABLE))
			continue;
		if (n++ > 0)
			nsp_strbuf_append(&sql, " UNION ALL ");
		nsp_strbuf_appendf(&sql, "SELECT %d, last_value, is_called FROM ", i);
		nsp_strbuf_append_qualified(&sql, nsp_cell(seqs, i, C_NSPNAME), nsp_cell(seqs, i, C_RELNAME));
	}
	if (n == 0) /* still one query, so that the count does not depend on the schema */
		nsp_strbuf_append(&sql, "SELECT 0, NULL::pg_catalog.int8, NULL::pg_catalog.bool WHERE false");
	if (nsp_strbuf_failed(&sql)) {
		nsp_strbuf_free(&sql);
		nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
			      "out of memory reading sequence values");
		return NULL;
	}
	PGresult *res = nsp_catalog_query(ctx, "sequence values", sql.data);
	nsp_strbuf_free(&sql);
	return res;
}

/* The definition step of a plain sequence, and its OWNED BY step. */
static int add_definition(nsp_catalog_ctx *ctx, const PGresult *res, int i, nsp_strbuf *sql,
			  size_t *seq_index)
{
	const char *nsp = nsp_cell(res, i, C_NSPNAME), *rel = nsp_cell(res, i, C_RELNAME);
	char identity[600];
	snprintf(identity, sizeof(identity), "%s.%s", nsp, rel);
	nsp_strbuf_reset(sql);
	nsp_sequence_row row = {
		.schema = nsp,
		.name = rel,
		.type = nsp_cell(res, i, C_TYPE),
		.start = nsp_cell(res, i, C_START),
		.increment = nsp_cell(res, i, C_INCREMENT),
		.cache = nsp_cell(res, i, C_CACHE),
		.min = nsp_cell(res, i, C_MIN),
		.max = nsp_cell(res, i, C_MAX),
		.cycle = nsp_cell_bool(res, i, C_CYCLE),
		.unlogged = ctx->server_version >= 150000 && strcmp(nsp_cell(res, i, C_PERSISTENCE), "u") == 0,
	};
	nsp_render_sequence(&row, sql);
	nsp_catref ref = {NSP_CLASS_PG_CLASS, nsp_cell_oid(res, i, C_OID)};
	nsp_object *o = nsp_strbuf_failed(sql) ? NULL
			: nsp_model_add(ctx->model, NSP_KIND_SEQUENCE, NSP_PHASE_PRE, ref, nsp, rel, identity, sql->data);
	if (o == NULL ||
	    nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_NAMESPACE, nsp_cell_oid(res, i, C_NSPOID)}) != 0)
		return -1;
	*seq_index = o->index;

	uint32_t owner = nsp_cell_oid(res, i, C_OWNER_TABLE);
	if (owner == 0)
		return 0;
	/* Separate from the definition: the table's DEFAULT nextval() needs the sequence first,
	 * and OWNED BY needs the table. */
	nsp_strbuf_reset(sql);
	nsp_render_sequence_owned_by(nsp, rel, nsp_cell(res, i, C_OWNER_NSP), nsp_cell(res, i, C_OWNER_REL),
				     nsp_cell(res, i, C_OWNER_COL), sql);
	snprintf(identity, sizeof(identity), "%s.%s OWNED BY", nsp, rel);
	nsp_object *ob = nsp_strbuf_failed(sql) ? NULL
			 : nsp_model_add(ctx->model, NSP_KIND_SEQUENCE, NSP_PHASE_PRE, (nsp_catref){0, 0}, nsp, rel,
					 identity, sql->data);
	if (ob == NULL || nsp_object_needs(ob, *seq_index) != 0 ||
	    nsp_object_needs_ref(ob, (nsp_catref){NSP_CLASS_PG_CLASS, owner}) != 0)
		return -1;
	return 0;
}

/* The post-sync setval() step of a sequence (plain or identity). */
static int add_value(nsp_catalog_ctx *ctx, const PGresult *res, int i, const PGresult *vals,
		     int vrow, size_t seq_index, nsp_strbuf *sql)
{
	const char *nsp = nsp_cell(res, i, C_NSPNAME), *rel = nsp_cell(res, i, C_RELNAME);
	char identity[600];
	snprintf(identity, sizeof(identity), "%s.%s", nsp, rel);
	nsp_strbuf_reset(sql);
	/* unreadable (vrow < 0): the start position, so the step is still well formed */
	if (!(vrow >= 0 ? nsp_render_sequence_value(nsp, rel, nsp_cell(vals, vrow, 1), nsp_cell_bool(vals, vrow, 2), sql)
			: nsp_render_sequence_value(nsp, rel, nsp_cell(res, i, C_START), false, sql)))
		return -1;
	nsp_object *o = nsp_model_add(ctx->model, NSP_KIND_SEQUENCE_VALUE, NSP_PHASE_POST, (nsp_catref){0, 0}, nsp,
				      rel, identity, sql->data);
	if (o == NULL)
		return -1;
	if (vrow < 0 &&
	    nsp_object_set_skip_reason(o, "no SELECT privilege on the source sequence: its value "
					  "cannot be read") != 0)
		return -1;
	uint32_t identity_table = nsp_cell_oid(res, i, C_IDENTITY_TABLE);
	if (identity_table != 0)
		return nsp_object_needs_ref(o, (nsp_catref){NSP_CLASS_PG_CLASS, identity_table});
	return nsp_object_needs(o, seq_index);
}

/* Sequences: definition (pre-sync), OWNED BY (pre-sync, after the table) and value (post-sync).
 * Identity sequences are created by their column (catalog_tables.c), so they only get a value. */
int nsp_catalog_load_sequences(nsp_catalog_ctx *ctx)
{
	PGresult *res = nsp_catalog_query(ctx, "sequences", sequences_sql);
	if (res == NULL)
		return -1;
	PGresult *vals = query_values(ctx, res);
	if (vals == NULL) {
		PQclear(res);
		return -1;
	}
	int n = PQntuples(res);
	int *vrow = malloc((size_t)(n ? n : 1) * sizeof(*vrow));
	nsp_strbuf sql;
	nsp_strbuf_init(&sql);
	int rc = vrow == NULL ? -1 : 0;
	for (int i = 0; i < n && rc == 0; i++)
		vrow[i] = -1;
	for (int v = 0; v < PQntuples(vals) && rc == 0; v++) {
		int i = atoi(nsp_cell(vals, v, 0));
		if (i >= 0 && i < n)
			vrow[i] = v;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		size_t seq_index = 0;
		if (nsp_cell_oid(res, i, C_IDENTITY_TABLE) == 0)
			rc = add_definition(ctx, res, i, &sql, &seq_index);
		if (rc == 0)
			rc = add_value(ctx, res, i, vals, vrow[i], seq_index, &sql);
	}
	free(vrow);
	PQclear(vals);
	PQclear(res);
	nsp_strbuf_free(&sql);
	if (rc != 0)
		return nsp_error_set(ctx->err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				     "out of memory reading sequences");
	return 0;
}

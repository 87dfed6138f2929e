#include "destination.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define K(x) NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_##x

/* One probe row per step: its index, kind, schema, name, table (quoted, qualified), identity
 * and whether it is a foreign key's VALIDATE. The query answers, per row, whether the object
 * exists and its definition as the server prints it (NULL where not compared). */
static const char probe_sql[] =
	"WITH p AS (SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], "
	"  $5::text[], $6::text[], $7::bool[]) AS p(i, kind, sch, nm, tbl, ident, validate)), "
	"q AS (SELECT p.*, CASE WHEN p.tbl <> '' THEN pg_catalog.to_regclass(p.tbl) END AS rel, "
	"  (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = p.sch) AS nsp FROM p) "
	"SELECT q.i, r.present, r.def FROM q CROSS JOIN LATERAL ("
	/* schemas, extensions */
	" SELECT q.nsp IS NOT NULL, NULL::text WHERE q.kind = 1 "
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname = q.nm), NULL WHERE q.kind = 2 "
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_collation c WHERE c.collnamespace = q.nsp "
	"   AND c.collname = q.nm), NULL WHERE q.kind = 3 "
	/* types and domains */
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typnamespace = q.nsp "
	"   AND t.typname = q.nm), NULL WHERE q.kind IN (4, 5) "
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_type t "
	"   ON t.oid = c.contypid WHERE t.typnamespace = q.nsp AND q.sch || '.' || t.typname || '.' || "
	"   c.conname = q.ident), NULL WHERE q.kind = 6 "
	/* functions, procedures, aggregates: by identity arguments */
	" UNION ALL SELECT f.oid IS NOT NULL, CASE WHEN q.kind = 7 THEN pg_catalog.pg_get_functiondef(f.oid) END "
	"   FROM (SELECT 1) x LEFT JOIN LATERAL (SELECT pr.oid FROM pg_catalog.pg_proc pr WHERE "
	"   pr.pronamespace = q.nsp AND pr.proname = q.nm AND q.sch || '.' || pr.proname || '(' || "
	"   pg_catalog.pg_get_function_identity_arguments(pr.oid) || ')' = q.ident LIMIT 1) f ON true "
	"   WHERE q.kind IN (7, 8) "
	/* relations: tables (with their columns), sequences, views, matviews, indexes */
	" UNION ALL SELECT c.oid IS NOT NULL, CASE WHEN q.kind = 12 THEN (SELECT pg_catalog.string_agg("
	"   '\"' || pg_catalog.replace(a.attname, '\"', '\"\"') || '\" ' || "
	"   pg_catalog.format_type(a.atttypid, a.atttypmod), E'\\x1f' ORDER BY a.attnum) "
	"   FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) "
	"   WHEN q.kind IN (23, 24) THEN pg_catalog.pg_get_viewdef(c.oid) "
	"   WHEN q.kind = 19 THEN pg_catalog.pg_get_indexdef(c.oid) END "
	"   FROM (SELECT 1) x LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = q.nsp AND c.relname = q.nm "
	"   AND c.relkind = ANY (CASE q.kind WHEN 12 THEN '{r,p}'::\"char\"[] WHEN 11 THEN '{S}' "
	"   WHEN 23 THEN '{v}' WHEN 24 THEN '{m}' ELSE '{i,I}' END) "
	"   WHERE q.kind IN (12, 19, 23, 24) OR (q.kind = 11 AND q.ident NOT LIKE '% OWNED BY') "
	/* partitions attached, partition indexes attached */
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_inherits i "
	"   ON i.inhrelid = c.oid WHERE c.relnamespace = q.nsp AND c.relname = q.nm "
	"   AND (q.kind = 20 OR i.inhparent = q.rel)), NULL WHERE q.kind IN (13, 20) "
	/* table constraints; a foreign key's VALIDATE step is there once the key is validated */
	" UNION ALL SELECT c.oid IS NOT NULL AND (NOT q.validate OR c.convalidated), "
	"   CASE WHEN NOT q.validate THEN pg_catalog.pg_get_constraintdef(c.oid) END "
	"   FROM (SELECT 1) x LEFT JOIN pg_catalog.pg_constraint c ON c.conrelid = q.rel AND c.conname = q.nm "
	"   WHERE q.kind IN (14, 15, 16, 17, 18) "
	" UNION ALL SELECT t.oid IS NOT NULL, pg_catalog.pg_get_triggerdef(t.oid) FROM (SELECT 1) x "
	"   LEFT JOIN pg_catalog.pg_trigger t ON t.tgrelid = q.rel AND t.tgname = q.nm WHERE q.kind = 21 "
	" UNION ALL SELECT r.oid IS NOT NULL, pg_catalog.pg_get_ruledef(r.oid) FROM (SELECT 1) x "
	"   LEFT JOIN pg_catalog.pg_rewrite r ON r.ev_class = q.rel AND r.rulename = q.nm WHERE q.kind = 22 "
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = q.rel "
	"   AND p.polname = q.nm), NULL WHERE q.kind = 26 "
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_statistic_ext s WHERE s.stxnamespace = q.nsp "
	"   AND s.stxname = q.nm), NULL WHERE q.kind = 28 "
	") r(present, def) ORDER BY q.i";

/* Kinds the probe answers for; the others are idempotent statements (comments, setval, owners,
 * privileges, table properties, matview refreshes: a populated matview may hold old rows) or
 * cannot be checked by name (operators, casts), and run. */
static bool probed_kind(const Neosync__Plugin__V1__Step *s)
{
	switch (s->kind) {
	case K(SCHEMA): case K(EXTENSION): case K(COLLATION): case K(TYPE): case K(DOMAIN):
	case K(DOMAIN_CONSTRAINT): case K(FUNCTION): case K(AGGREGATE): case K(TABLE):
	case K(PARTITION_ATTACH): case K(PRIMARY_KEY): case K(UNIQUE_CONSTRAINT):
	case K(EXCLUSION_CONSTRAINT): case K(CHECK_CONSTRAINT): case K(FOREIGN_KEY): case K(INDEX):
	case K(INDEX_ATTACH): case K(TRIGGER): case K(RULE): case K(VIEW): case K(MATERIALIZED_VIEW):
	case K(POLICY): case K(STATISTICS):
		return true;
	case K(SEQUENCE):
		/* A sequence's OWNED BY step is idempotent and runs again. */
		return strstr(s->identity, " OWNED BY") == NULL;
	default:
		return false;
	}
}

static bool is_validate_step(const Neosync__Plugin__V1__Step *s)
{
	return s->kind == K(FOREIGN_KEY) && strstr(s->sql, " VALIDATE CONSTRAINT ") != NULL;
}

/* Compare with whitespace runs as one space, so reformatting does not count as a difference. */
static bool contains_normalized(const char *hay, const char *needle, size_t needle_len)
{
	for (const char *h = hay; *h; h++) {
		const char *a = h, *b = needle, *end = needle + needle_len;
		while (*a && b < end) {
			if (isspace((unsigned char)*a) && isspace((unsigned char)*b)) {
				while (isspace((unsigned char)*a))
					a++;
				while (b < end && isspace((unsigned char)*b))
					b++;
				continue;
			}
			if (*a != *b)
				break;
			a++;
			b++;
		}
		if (b == end)
			return true;
	}
	return false;
}

bool nsp_destination_definition_matches(const char *definition, const char *sql)
{
	const char *piece = definition;
	for (;;) {
		const char *sep = strchr(piece, '\x1f');
		size_t len = sep ? (size_t)(sep - piece) : strlen(piece);
		/* Leading and trailing whitespace and a final ';' are formatting: pg_get_functiondef
		 * ends in a newline a step may drop, pg_get_viewdef in a ';' a step continues past. */
		const char *start = piece;
		while (len > 0 && isspace((unsigned char)*start)) {
			start++;
			len--;
		}
		while (len > 0 && (isspace((unsigned char)start[len - 1]) || start[len - 1] == ';'))
			len--;
		if (len > 0 && !contains_normalized(sql, start, len))
			return false;
		if (sep == NULL)
			return true;
		piece = sep + 1;
	}
}

/* Postgres array literal of text values: {"a","b\"c"}. */
static void append_text_array_item(nsp_strbuf *sb, const char *v)
{
	if (sb->len > 1)
		nsp_strbuf_append_char(sb, ',');
	nsp_strbuf_append_char(sb, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			nsp_strbuf_append_char(sb, '\\');
		nsp_strbuf_append_char(sb, *p);
	}
	nsp_strbuf_append_char(sb, '"');
}

int nsp_destination_probe(PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
			  Neosync__Plugin__V1__Phase phase, nsp_presence *presence, char **detail,
			  nsp_error *err)
{
	nsp_strbuf arr[7];
	for (int a = 0; a < 7; a++) {
		nsp_strbuf_init(&arr[a]);
		nsp_strbuf_append_char(&arr[a], '{');
	}
	size_t probed = 0;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		presence[i] = NSP_PRESENCE_UNKNOWN;
		detail[i] = NULL;
		if ((phase != 0 && s->phase != phase) || !probed_kind(s))
			continue;
		probed++;
		if (arr[0].len > 1) {
			nsp_strbuf_append_char(&arr[0], ',');
			nsp_strbuf_append_char(&arr[1], ',');
			nsp_strbuf_append_char(&arr[6], ',');
		}
		nsp_strbuf_appendf(&arr[0], "%zu", i);
		nsp_strbuf_appendf(&arr[1], "%d", (int)s->kind);
		append_text_array_item(&arr[2], s->schema);
		append_text_array_item(&arr[3], s->name);
		append_text_array_item(&arr[4], s->table);
		append_text_array_item(&arr[5], s->identity);
		nsp_strbuf_append(&arr[6], is_validate_step(s) ? "t" : "f");
	}
	int rc = 0;
	bool oom = false;
	for (int a = 0; a < 7; a++) {
		nsp_strbuf_append_char(&arr[a], '}');
		oom = oom || nsp_strbuf_failed(&arr[a]);
	}
	if (oom) {
		rc = nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				   "out of memory probing the destination");
	} else if (probed > 0) {
		const char *params[7];
		for (int a = 0; a < 7; a++)
			params[a] = arr[a].data;
		PGresult *res = PQexecParams(dst, probe_sql, 7, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = nsp_error_set_pg(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED,
					      "reading what the destination already has", res, dst);
		} else {
			for (int r = 0; r < PQntuples(res); r++) {
				size_t i = strtoul(PQgetvalue(res, r, 0), NULL, 10);
				if (i >= plan->n_steps)
					continue;
				const Neosync__Plugin__V1__Step *s = plan->steps[i];
				if (PQgetvalue(res, r, 1)[0] != 't') {
					presence[i] = NSP_PRESENCE_MISSING;
				} else if (PQgetisnull(res, r, 2) ||
					   nsp_destination_definition_matches(PQgetvalue(res, r, 2), s->sql)) {
					presence[i] = NSP_PRESENCE_SAME;
				} else {
					presence[i] = NSP_PRESENCE_DIFFERENT;
					detail[i] = strdup(PQgetvalue(res, r, 2));
				}
			}
		}
		PQclear(res);
	}
	for (int a = 0; a < 7; a++)
		nsp_strbuf_free(&arr[a]);
	return rc;
}

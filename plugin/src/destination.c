#include "destination.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "model_enums.h"

/* One probe row per step: its index, kind, schema, name, table (quoted, qualified), identity
 * and whether it is a foreign key's VALIDATE. The query answers, per row, whether the object
 * exists and its definition as the server prints it (NULL where not compared). */
/* In pieces: one string literal may be at most 4095 characters (C99). */
static const char *const probe_sql[] = {
	"WITH p AS (SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], "
	"  $5::text[], $6::text[], $7::bool[], $8::text[], $9::text[], $10::text[]) "
	"  AS p(i, kind, sch, nm, tbl, ident, validate, atype, anames, aargs)), "
	"q AS (SELECT p.*, CASE WHEN p.tbl <> '' THEN pg_catalog.to_regclass(p.tbl) END AS rel, "
	"  (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = p.sch) AS nsp FROM p) "
	"SELECT q.i, r.present, r.def FROM q CROSS JOIN LATERAL ("
	/* schemas, extensions */
	" SELECT q.nsp IS NOT NULL, NULL::text WHERE q.kind = 1 ",
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname = q.nm), NULL WHERE q.kind = 2 ",
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_collation c WHERE c.collnamespace = q.nsp "
	"   AND c.collname = q.nm), NULL WHERE q.kind = 3 ",
	/* types and domains */
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typnamespace = q.nsp "
	"   AND t.typname = q.nm), NULL WHERE q.kind IN (4, 5) ",
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_type t "
	"   ON t.oid = c.contypid WHERE t.typnamespace = q.nsp AND q.sch || '.' || t.typname || '.' || "
	"   c.conname = q.ident), NULL WHERE q.kind = 6 ",
	/* functions, procedures, aggregates: by identity arguments */
	" UNION ALL SELECT f.oid IS NOT NULL, CASE WHEN q.kind = 7 THEN pg_catalog.pg_get_functiondef(f.oid) END "
	"   FROM (SELECT 1) x LEFT JOIN LATERAL (SELECT pr.oid FROM pg_catalog.pg_proc pr WHERE "
	"   pr.pronamespace = q.nsp AND pr.proname = q.nm AND q.sch || '.' || pr.proname || '(' || "
	"   pg_catalog.pg_get_function_identity_arguments(pr.oid) || ')' = q.ident LIMIT 1) f ON true "
	"   WHERE q.kind IN (7, 8) ",
	/* relations: tables (with their columns), sequences, views, matviews, indexes */
	" UNION ALL SELECT c.oid IS NOT NULL, CASE WHEN q.kind = 12 THEN (SELECT pg_catalog.string_agg("
	"   '\"' || pg_catalog.replace(a.attname, '\"', '\"\"') || '\" ' || "
	"   pg_catalog.format_type(a.atttypid, a.atttypmod), E'\\x1f' ORDER BY a.attnum) "
	"   FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
	/* the columns a CREATE TABLE lists: local ones (not inherited), none for a typed table */
	"   AND a.attislocal AND c.reloftype = 0) "
	"   WHEN q.kind IN (23, 24) THEN pg_catalog.pg_get_viewdef(c.oid) "
	"   WHEN q.kind = 19 THEN pg_catalog.pg_get_indexdef(c.oid) END "
	"   FROM (SELECT 1) x LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = q.nsp AND c.relname = q.nm "
	"   AND c.relkind = ANY (CASE q.kind WHEN 12 THEN '{r,p}'::\"char\"[] WHEN 11 THEN '{S}' "
	"   WHEN 23 THEN '{v}' WHEN 24 THEN '{m}' ELSE '{i,I}' END) "
	"   WHERE q.kind IN (12, 19, 23, 24) OR (q.kind = 11 AND q.ident NOT LIKE '% OWNED BY') ",
	/* partitions attached, partition indexes attached */
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_inherits i "
	"   ON i.inhrelid = c.oid WHERE c.relnamespace = q.nsp AND c.relname = q.nm "
	"   AND (q.kind = 20 OR i.inhparent = q.rel)), NULL WHERE q.kind IN (13, 20) ",
	/* table constraints; a foreign key's VALIDATE step is there once the key is validated */
	" UNION ALL SELECT c.oid IS NOT NULL AND (NOT q.validate OR c.convalidated), "
	"   CASE WHEN NOT q.validate THEN pg_catalog.pg_get_constraintdef(c.oid) END "
	"   FROM (SELECT 1) x LEFT JOIN pg_catalog.pg_constraint c ON c.conrelid = q.rel AND c.conname = q.nm "
	"   WHERE q.kind IN (14, 15, 16, 17, 18) ",
	" UNION ALL SELECT t.oid IS NOT NULL, pg_catalog.pg_get_triggerdef(t.oid) FROM (SELECT 1) x "
	"   LEFT JOIN pg_catalog.pg_trigger t ON t.tgrelid = q.rel AND t.tgname = q.nm WHERE q.kind = 21 ",
	" UNION ALL SELECT r.oid IS NOT NULL, pg_catalog.pg_get_ruledef(r.oid) FROM (SELECT 1) x "
	"   LEFT JOIN pg_catalog.pg_rewrite r ON r.ev_class = q.rel AND r.rulename = q.nm WHERE q.kind = 22 ",
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = q.rel "
	"   AND p.polname = q.nm), NULL WHERE q.kind = 26 ",
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_statistic_ext s WHERE s.stxnamespace = q.nsp "
	"   AND s.stxname = q.nm), NULL WHERE q.kind = 28 ",
	/* text search configurations and dictionaries (CREATE of an existing one fails with 23505,
	 * not with an "already exists" SQLSTATE) */
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_ts_config c WHERE c.cfgnamespace = q.nsp "
	"   AND c.cfgname = q.nm) OR EXISTS (SELECT 1 FROM pg_catalog.pg_ts_dict d "
	"   WHERE d.dictnamespace = q.nsp AND d.dictname = q.nm), NULL WHERE q.kind = 35 ",
	/* a sequence's value, when it was called (pg_sequences hides the value otherwise) */
	" UNION ALL SELECT sq.last_value IS NOT NULL, 'setval(' || pg_catalog.quote_literal('\"' || "
	"   pg_catalog.replace(sq.schemaname, '\"', '\"\"') || '\".\"' || "
	"   pg_catalog.replace(sq.sequencename, '\"', '\"\"') || '\"') || ', ' || sq.last_value || ', true)' "
	"   FROM (SELECT 1) x LEFT JOIN pg_catalog.pg_sequences sq ON sq.schemaname = q.sch "
	"   AND sq.sequencename = q.nm WHERE q.kind = 29 ",
	/* identity ALWAYS (a table has one identity column at most) */
	" UNION ALL SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = q.rel "
	"   AND a.attidentity = 'a' AND NOT a.attisdropped), NULL WHERE q.kind = 30 "
	/* row level security: enabled, and forced or not */
	" UNION ALL SELECT c.relrowsecurity, 'ENABLE ROW LEVEL SECURITY' || CASE WHEN c.relforcerowsecurity "
	"   THEN E'\\x1fFORCE ROW LEVEL SECURITY' ELSE '' END FROM (SELECT 1) x "
	"   LEFT JOIN pg_catalog.pg_class c ON c.oid = q.rel WHERE q.kind = 27 "
	/* CLUSTER ON and REPLICA IDENTITY USING INDEX: the index carries the flag */
	" UNION ALL SELECT COALESCE((SELECT CASE WHEN q.ident LIKE '% cluster on' THEN i.indisclustered "
	"   ELSE i.indisreplident END FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic "
	"   ON ic.oid = i.indexrelid WHERE i.indrelid = q.rel AND ic.relname = q.nm), false), NULL "
	"   WHERE q.kind = 34 AND (q.ident LIKE '% cluster on' OR q.ident LIKE '% replica identity') ",
	/* a sequence's OWNED BY: the column that owns it */
	" UNION ALL SELECT o.def IS NOT NULL, o.def FROM (SELECT 1) x LEFT JOIN LATERAL ("
	"   SELECT 'OWNED BY \"' || pg_catalog.replace(tn.nspname, '\"', '\"\"') || '\".\"' || "
	"   pg_catalog.replace(t.relname, '\"', '\"\"') || '\".\"' || "
	"   pg_catalog.replace(a.attname, '\"', '\"\"') || '\"' AS def "
	"   FROM pg_catalog.pg_class s JOIN pg_catalog.pg_depend d "
	"   ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.oid "
	"   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a' AND d.refobjsubid > 0 "
	"   JOIN pg_catalog.pg_class t ON t.oid = d.refobjid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
	"   JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
	"   WHERE s.relnamespace = q.nsp AND s.relname = q.nm AND s.relkind = 'S' LIMIT 1) o ON true "
	"   WHERE q.kind = 11 AND q.ident LIKE '% OWNED BY' ",
	/* a comment: find its object by address (to_reg*: NULL when missing), compare the text */
	" UNION ALL SELECT dd.description IS NOT NULL, 'IS ' || pg_catalog.quote_literal(dd.description) "
	"   FROM (SELECT pg_catalog.string_to_array(q.anames, E'\\x1f') AS n, "
	"     pg_catalog.string_to_array(q.aargs, E'\\x1f') AS a) o "
	"   CROSS JOIN LATERAL (SELECT CASE "
	"     WHEN q.atype IN ('table', 'view', 'materialized view', 'sequence', 'index', 'foreign table', "
	"       'table column', 'view column', 'materialized view column', 'foreign table column') "
	"       THEN pg_catalog.to_regclass(pg_catalog.format('%I.%I', o.n[1], o.n[2]))::pg_catalog.oid "
	"     WHEN q.atype IN ('function', 'procedure', 'aggregate') THEN pg_catalog.to_regprocedure("
	"       pg_catalog.format('%I.%I(%s)', o.n[1], o.n[2], pg_catalog.array_to_string(o.a, ',')))::pg_catalog.oid "
	"     WHEN q.atype IN ('type', 'domain') THEN pg_catalog.to_regtype(o.n[1])::pg_catalog.oid "
	"     WHEN q.atype = 'schema' THEN (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = o.n[1]) "
	"     WHEN q.atype = 'extension' THEN (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = o.n[1]) "
	"     WHEN q.atype = 'table constraint' THEN (SELECT c.oid FROM pg_catalog.pg_constraint c WHERE c.conrelid = "
	"       pg_catalog.to_regclass(pg_catalog.format('%I.%I', o.n[1], o.n[2])) AND c.conname = o.n[3]) "
	"     WHEN q.atype = 'trigger' THEN (SELECT t.oid FROM pg_catalog.pg_trigger t WHERE t.tgrelid = "
	"       pg_catalog.to_regclass(pg_catalog.format('%I.%I', o.n[1], o.n[2])) AND t.tgname = o.n[3]) "
	"     WHEN q.atype = 'policy' THEN (SELECT p.oid FROM pg_catalog.pg_policy p WHERE p.polrelid = "
	"       pg_catalog.to_regclass(pg_catalog.format('%I.%I', o.n[1], o.n[2])) AND p.polname = o.n[3]) "
	"     WHEN q.atype = 'rule' THEN (SELECT r.oid FROM pg_catalog.pg_rewrite r WHERE r.ev_class = "
	"       pg_catalog.to_regclass(pg_catalog.format('%I.%I', o.n[1], o.n[2])) AND r.rulename = o.n[3]) "
	"     WHEN q.atype = 'statistics object' THEN (SELECT s.oid FROM pg_catalog.pg_statistic_ext s "
	"       JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace WHERE n.nspname = o.n[1] AND s.stxname = o.n[2]) "
	"     END AS objid, CASE "
	"     WHEN q.atype IN ('table', 'view', 'materialized view', 'sequence', 'index', 'foreign table', "
	"       'table column', 'view column', 'materialized view column', 'foreign table column') "
	"       THEN 'pg_catalog.pg_class'::pg_catalog.regclass "
	"     WHEN q.atype IN ('function', 'procedure', 'aggregate') THEN 'pg_catalog.pg_proc'::pg_catalog.regclass "
	"     WHEN q.atype IN ('type', 'domain') THEN 'pg_catalog.pg_type'::pg_catalog.regclass "
	"     WHEN q.atype = 'schema' THEN 'pg_catalog.pg_namespace'::pg_catalog.regclass "
	"     WHEN q.atype = 'extension' THEN 'pg_catalog.pg_extension'::pg_catalog.regclass "
	"     WHEN q.atype = 'table constraint' THEN 'pg_catalog.pg_constraint'::pg_catalog.regclass "
	"     WHEN q.atype = 'trigger' THEN 'pg_catalog.pg_trigger'::pg_catalog.regclass "
	"     WHEN q.atype = 'policy' THEN 'pg_catalog.pg_policy'::pg_catalog.regclass "
	"     WHEN q.atype = 'rule' THEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
	"     WHEN q.atype = 'statistics object' THEN 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass "
	"     END AS classid) t "
	"   LEFT JOIN LATERAL (SELECT CASE WHEN q.atype LIKE '% column' THEN (SELECT a.attnum FROM "
	"     pg_catalog.pg_attribute a WHERE a.attrelid = t.objid AND a.attname = o.n[3]) ELSE 0 END AS subid) s ON true "
	"   LEFT JOIN pg_catalog.pg_description dd ON dd.classoid = t.classid AND dd.objoid = t.objid "
	"     AND dd.objsubid = s.subid "
	"   WHERE q.kind = 31 AND q.atype <> '' ",
	") r(present, def) ORDER BY q.i",
};

/* Kinds the probe answers for. The others run again on every run: owners and privileges
 * (idempotent), matview refreshes (the rows may have changed since), and what cannot be
 * found by name (operators, casts); a "already exists" error then counts as unchanged. */
static bool probed_kind(const Neosync__Plugin__V1__Step *s)
{
	switch (nsp_step_kind(s)) {
	case NSP_KIND_SCHEMA: case NSP_KIND_EXTENSION: case NSP_KIND_COLLATION: case NSP_KIND_TYPE: case NSP_KIND_DOMAIN:
	case NSP_KIND_DOMAIN_CONSTRAINT: case NSP_KIND_FUNCTION: case NSP_KIND_AGGREGATE: case NSP_KIND_TABLE:
	case NSP_KIND_PARTITION_ATTACH: case NSP_KIND_PRIMARY_KEY: case NSP_KIND_UNIQUE_CONSTRAINT:
	case NSP_KIND_EXCLUSION_CONSTRAINT: case NSP_KIND_CHECK_CONSTRAINT: case NSP_KIND_FOREIGN_KEY: case NSP_KIND_INDEX:
	case NSP_KIND_INDEX_ATTACH: case NSP_KIND_TRIGGER: case NSP_KIND_RULE: case NSP_KIND_VIEW: case NSP_KIND_MATERIALIZED_VIEW:
	case NSP_KIND_POLICY: case NSP_KIND_STATISTICS: case NSP_KIND_SEQUENCE:
		return true;
	case NSP_KIND_COMMENT:
		return s->address != NULL && s->address->type[0] != '\0';
	case NSP_KIND_SEQUENCE_VALUE: case NSP_KIND_IDENTITY: case NSP_KIND_ROW_SECURITY: case NSP_KIND_TEXT_SEARCH:
		return true;
	case NSP_KIND_TABLE_PROPERTY:
		return strstr(s->identity, " cluster on") != NULL ||
		       strstr(s->identity, " replica identity") != NULL;
	default:
		return false;
	}
}

static bool is_validate_step(const Neosync__Plugin__V1__Step *s)
{
	return nsp_step_kind(s) == NSP_KIND_FOREIGN_KEY && strstr(s->sql, " VALIDATE CONSTRAINT ") != NULL;
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

/* The comment target's address as three array items: type, names and args joined by '\x1f'. */
static void append_joined(nsp_strbuf *arr, char **items, size_t n)
{
	nsp_strbuf joined;
	nsp_strbuf_init(&joined);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			nsp_strbuf_append_char(&joined, '\x1f');
		nsp_strbuf_append(&joined, items[i]);
	}
	if (nsp_strbuf_failed(&joined))
		arr->failed = true;
	append_text_array_item(arr, joined.data);
	nsp_strbuf_free(&joined);
}

static void append_address(nsp_strbuf *arr, const Neosync__Plugin__V1__ObjectAddress *a)
{
	append_text_array_item(&arr[7], a ? a->type : "");
	append_joined(&arr[8], a ? a->names : NULL, a ? a->n_names : 0);
	append_joined(&arr[9], a ? a->args : NULL, a ? a->n_args : 0);
}

/* Whether the destination has any schema (but public), relation, type, routine, collation,
 * statistics or text search object of the plan's steps, by schema and name: 1 yes, 0 no, -1
 * error. One cheap query, so that the common case (an empty destination) skips the probe of
 * every step. */
static int has_any_named_object(PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
				nsp_phase phase, nsp_error *err)
{
	static const char sql[] =
		"SELECT EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[]) AS x(sch, nm) "
		"  JOIN pg_catalog.pg_namespace n ON n.nspname = x.sch "
		"  WHERE (x.nm = '' AND x.sch <> 'public') "
		"  OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND c.relname = x.nm) "
		"  OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typnamespace = n.oid AND t.typname = x.nm) "
		"  OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid AND p.proname = x.nm) "
		"  OR EXISTS (SELECT 1 FROM pg_catalog.pg_collation o WHERE o.collnamespace = n.oid AND o.collname = x.nm) "
		"  OR EXISTS (SELECT 1 FROM pg_catalog.pg_statistic_ext e WHERE e.stxnamespace = n.oid AND e.stxname = x.nm) "
		"  OR EXISTS (SELECT 1 FROM pg_catalog.pg_ts_config f WHERE f.cfgnamespace = n.oid AND f.cfgname = x.nm) "
		"  OR EXISTS (SELECT 1 FROM pg_catalog.pg_ts_dict d WHERE d.dictnamespace = n.oid AND d.dictname = x.nm))";
	nsp_strbuf schemas, names;
	nsp_strbuf_init(&schemas);
	nsp_strbuf_init(&names);
	nsp_strbuf_append_char(&schemas, '{');
	nsp_strbuf_append_char(&names, '{');
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (phase != 0 && nsp_step_phase(s) != phase)
			continue;
		/* A schema step: the schema itself (name ""); every other step: schema and name. */
		append_text_array_item(&schemas, s->schema);
		append_text_array_item(&names, nsp_step_kind(s) == NSP_KIND_SCHEMA ? "" : s->name);
	}
	nsp_strbuf_append_char(&schemas, '}');
	nsp_strbuf_append_char(&names, '}');
	int rc;
	if (nsp_strbuf_failed(&schemas) || nsp_strbuf_failed(&names)) {
		rc = nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				   "out of memory probing the destination");
	} else {
		const char *params[2] = {schemas.data, names.data};
		PGresult *res = PQexecParams(dst, sql, 2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			rc = nsp_error_set_pg(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED,
					      "reading what the destination already has", res, dst);
		else
			rc = PQgetvalue(res, 0, 0)[0] == 't' ? 1 : 0;
		PQclear(res);
	}
	nsp_strbuf_free(&schemas);
	nsp_strbuf_free(&names);
	return rc;
}

int nsp_destination_probe(PGconn *dst, const Neosync__Plugin__V1__Plan *plan,
			  nsp_phase phase, nsp_presence *presence, char **detail,
			  nsp_error *err)
{
	nsp_strbuf arr[10];
	for (int a = 0; a < 10; a++) {
		nsp_strbuf_init(&arr[a]);
		nsp_strbuf_append_char(&arr[a], '{');
	}
	size_t probed = 0;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		presence[i] = NSP_PRESENCE_UNKNOWN;
		free(detail[i]); /* from an earlier probe into the same arrays */
		detail[i] = NULL;
		if ((phase != 0 && nsp_step_phase(s) != phase) || !probed_kind(s))
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
		append_address(arr, s->address);
	}
	int rc = 0;
	bool oom = false;
	for (int a = 0; a < 10; a++) {
		nsp_strbuf_append_char(&arr[a], '}');
		oom = oom || nsp_strbuf_failed(&arr[a]);
	}
	if (oom) {
		rc = nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				   "out of memory probing the destination");
	} else if (probed > 0 && (rc = has_any_named_object(dst, plan, phase, err)) == 0) {
		/* None of the plan's schemas, relations, types or routines exist: neither can any
		 * object of theirs (keys, triggers, comments, ...). Everything is missing. */
		for (size_t i = 0; i < plan->n_steps; i++)
			if ((phase == 0 || nsp_step_phase(plan->steps[i]) == phase) && probed_kind(plan->steps[i]))
				presence[i] = NSP_PRESENCE_MISSING;
	} else if (probed > 0 && rc > 0) {
		rc = 0;
		const char *params[10];
		for (int a = 0; a < 10; a++)
			params[a] = arr[a].data;
		nsp_strbuf sql;
		nsp_strbuf_init(&sql);
		for (size_t k = 0; k < sizeof(probe_sql) / sizeof(probe_sql[0]); k++)
			nsp_strbuf_append(&sql, probe_sql[k]);
		PGresult *res = nsp_strbuf_failed(&sql) ? NULL
				: PQexecParams(dst, sql.data, 10, NULL, params, NULL, NULL, 0);
		nsp_strbuf_free(&sql);
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
					   nsp_destination_definition_matches(PQgetvalue(res, r, 2), s->sql) ||
					   strstr(s->sql, " USING INDEX ") != NULL) {
					/* A key added USING INDEX names its index instead of repeating its
					 * columns: the index step (compared itself) holds the definition. */
					presence[i] = NSP_PRESENCE_SAME;
					/* FORCE ROW LEVEL SECURITY missing on the destination: run the step
					 * again (it is idempotent). */
					if (nsp_step_kind(s) == NSP_KIND_ROW_SECURITY &&
					    strstr(s->sql, "FORCE ROW LEVEL SECURITY") != NULL &&
					    strstr(PQgetvalue(res, r, 2), "FORCE") == NULL)
						presence[i] = NSP_PRESENCE_MISSING;
				} else {
					presence[i] = NSP_PRESENCE_DIFFERENT;
					detail[i] = strdup(PQgetvalue(res, r, 2));
				}
			}
		}
		PQclear(res);
	}
	for (int a = 0; a < 10; a++)
		nsp_strbuf_free(&arr[a]);
	return rc;
}

#include "strip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"
#include "pb.h"
#include "strbuf.h"
#include "model_enums.h"

/* The destination's deferred objects on the selected tables, in drop order (foreign keys,
 * triggers, constraints, indexes), each with the statement that re-creates it, the one that
 * drops it, and the relation a foreign key references. Partition pieces that go with their
 * parent's object (conparentid, tgparentid, attached indexes) are left to it. A key that a view
 * or rule depends on stays (with its index): a view that groups by a table's primary key and
 * selects its other columns needs it, and PostgreSQL refuses to drop it (2BP01); the rows load
 * with it in place and post-sync finds it unchanged. */
static const char strip_sql[] =
	"WITH sel AS (SELECT DISTINCT pg_catalog.to_regclass(t)::pg_catalog.oid AS rel "
	"  FROM unnest($1::text[]) t WHERE pg_catalog.to_regclass(t) IS NOT NULL), "
	"rels AS (SELECT c.oid, n.nspname, c.relname, c.relkind, "
	"  '\"' || pg_catalog.replace(n.nspname, '\"', '\"\"') || '\".\"' || "
	"  pg_catalog.replace(c.relname, '\"', '\"\"') || '\"' AS q "
	"  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace) "
	"SELECT 1 AS ord, 18 AS kind, r.nspname, k.conname, r.q, "
	"  'ALTER TABLE ' || r.q || ' ADD CONSTRAINT ' || pg_catalog.quote_ident(k.conname) || ' ' || "
	"  pg_catalog.pg_get_constraintdef(k.oid) || ';', "
	"  'ALTER TABLE ' || r.q || ' DROP CONSTRAINT ' || pg_catalog.quote_ident(k.conname) || ';', fr.q "
	"FROM pg_catalog.pg_constraint k JOIN rels r ON r.oid = k.conrelid JOIN rels fr ON fr.oid = k.confrelid "
	"WHERE k.contype = 'f' AND k.conparentid = 0 "
	"  AND (k.conrelid IN (SELECT rel FROM sel) OR k.confrelid IN (SELECT rel FROM sel)) "
	"UNION ALL "
	"SELECT 2, 21, r.nspname, t.tgname, r.q, pg_catalog.pg_get_triggerdef(t.oid) || ';' || "
	"  CASE t.tgenabled WHEN 'D' THEN ' ALTER TABLE ' || r.q || ' DISABLE TRIGGER ' || "
	"    pg_catalog.quote_ident(t.tgname) || ';' WHEN 'A' THEN ' ALTER TABLE ' || r.q || "
	"    ' ENABLE ALWAYS TRIGGER ' || pg_catalog.quote_ident(t.tgname) || ';' WHEN 'R' THEN "
	"    ' ALTER TABLE ' || r.q || ' ENABLE REPLICA TRIGGER ' || pg_catalog.quote_ident(t.tgname) || ';' "
	"  ELSE '' END, "
	"  'DROP TRIGGER ' || pg_catalog.quote_ident(t.tgname) || ' ON ' || r.q || ';', NULL "
	"FROM pg_catalog.pg_trigger t JOIN rels r ON r.oid = t.tgrelid "
	"WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND t.tgrelid IN (SELECT rel FROM sel) "
	"UNION ALL "
	"SELECT 3, CASE k.contype WHEN 'p' THEN 14 WHEN 'u' THEN 15 ELSE 16 END, r.nspname, k.conname, r.q, "
	"  'ALTER TABLE ' || CASE WHEN r.relkind = 'p' THEN '' ELSE 'ONLY ' END || r.q || "
	"  ' ADD CONSTRAINT ' || pg_catalog.quote_ident(k.conname) || ' ' || "
	"  pg_catalog.pg_get_constraintdef(k.oid) || ';', "
	"  'ALTER TABLE ' || r.q || ' DROP CONSTRAINT ' || pg_catalog.quote_ident(k.conname) || ';', NULL "
	"FROM pg_catalog.pg_constraint k JOIN rels r ON r.oid = k.conrelid "
	"WHERE k.contype IN ('p', 'u', 'x') AND k.conparentid = 0 AND k.conrelid IN (SELECT rel FROM sel) "
	"  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
	"    WHERE d.refclassid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.refobjid = k.oid "
	"      AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass) "
	"UNION ALL "
	"SELECT 4, 19, ir.nspname, ir.relname, r.q, "
	"  pg_catalog.replace(pg_catalog.pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ') || ';', "
	"  'DROP INDEX ' || ir.q || ';', NULL "
	"FROM pg_catalog.pg_index i JOIN rels r ON r.oid = i.indrelid JOIN rels ir ON ir.oid = i.indexrelid "
	"WHERE i.indrelid IN (SELECT rel FROM sel) "
	"  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid "
	"    AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')) "
	"  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid) "
	"ORDER BY 1, 3, 5, 4";

/* The plan's own step for an object (same kind family, schema or table, name), if any. */
static const Neosync__Plugin__V1__Step *plan_step_for(const Neosync__Plugin__V1__Plan *plan,
						      nsp_kind kind, const char *schema,
						      const char *name, const char *table)
{
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		nsp_kind its = nsp_step_kind(s);
		bool same_kind = its == kind || (kind == NSP_KIND_INDEX && (its == NSP_KIND_PRIMARY_KEY ||
									     its == NSP_KIND_UNIQUE_CONSTRAINT));
		if (!same_kind || nsp_step_phase(s) != NSP_PHASE_POST || strcmp(s->name, name) != 0)
			continue;
		if (kind == NSP_KIND_INDEX ? strcmp(s->schema, schema) == 0 : strcmp(s->table, table) == 0)
			return s;
	}
	return NULL;
}

static Neosync__Plugin__V1__LockRef *lock_ref(const char *rel, nsp_lock_mode mode)
{
	Neosync__Plugin__V1__LockRef *l = malloc(sizeof(*l));
	if (l == NULL)
		return NULL;
	neosync__plugin__v1__lock_ref__init(l);
	l->relation = nsp_pb_str(rel);
	l->mode = nsp_lock_wire(mode);
	return l;
}

/* Append a post-sync step that re-creates a destination object from its own definition. */
static int append_step(Neosync__Plugin__V1__Plan *plan, uint32_t id, nsp_kind kind,
		       const char *schema, const char *name, const char *table, const char *sql,
		       const char *ref_table)
{
	Neosync__Plugin__V1__Step *s = malloc(sizeof(*s));
	if (s == NULL)
		return -1;
	neosync__plugin__v1__step__init(s);
	Neosync__Plugin__V1__Step **slot = nsp_pb_push(&plan->steps, &plan->n_steps, sizeof(*plan->steps));
	if (slot == NULL) {
		free(s);
		return -1;
	}
	*slot = s;
	char identity[600];
	snprintf(identity, sizeof(identity), "%s.%s (destination definition, kept by strip)", schema, name);
	s->id = id;
	s->phase = nsp_phase_wire(NSP_PHASE_POST);
	s->kind = nsp_kind_wire(kind);
	s->identity = nsp_pb_str(identity);
	s->schema = nsp_pb_str(schema);
	s->name = nsp_pb_str(name);
	s->table = nsp_pb_str(table);
	s->sql = nsp_pb_str(sql);
	nsp_lock_mode mode = kind == NSP_KIND_INDEX     ? NSP_LOCK_SHARE
					     : kind == NSP_KIND_TRIGGER || kind == NSP_KIND_FOREIGN_KEY ? NSP_LOCK_SHARE_ROW_EXCLUSIVE
											    : NSP_LOCK_ACCESS_EXCLUSIVE;
	s->locks = calloc(2, sizeof(*s->locks));
	if (s->locks == NULL || (s->locks[s->n_locks] = lock_ref(table, mode)) == NULL)
		return -1;
	s->n_locks++;
	if (ref_table != NULL && strcmp(ref_table, table) != 0) {
		if ((s->locks[s->n_locks] = lock_ref(ref_table, NSP_LOCK_SHARE_ROW_EXCLUSIVE)) == NULL)
			return -1;
		s->n_locks++;
		/* After the keys and indexes of the referenced table. */
		for (size_t i = 0; i + 1 < plan->n_steps; i++) {
			const Neosync__Plugin__V1__Step *d = plan->steps[i];
			nsp_kind its = nsp_step_kind(d);
			if (nsp_step_phase(d) != NSP_PHASE_POST || strcmp(d->table, ref_table) != 0 ||
			    (its != NSP_KIND_PRIMARY_KEY && its != NSP_KIND_UNIQUE_CONSTRAINT &&
			     its != NSP_KIND_INDEX && its != NSP_KIND_INDEX_ATTACH))
				continue;
			uint32_t *deps = realloc(s->depends_on, (s->n_depends_on + 1) * sizeof(*deps));
			if (deps == NULL)
				return -1;
			s->depends_on = deps;
			s->depends_on[s->n_depends_on++] = d->id;
		}
	}
	return 0;
}

int nsp_strip_plan(PGconn *dst, Neosync__Plugin__V1__Plan *plan, nsp_strip_decision *out,
		   nsp_error *err)
{
	memset(out, 0, sizeof(*out));
	nsp_strbuf tables, drops;
	nsp_strbuf_init(&tables);
	nsp_strbuf_init(&drops);
	nsp_strbuf_append_char(&tables, '{');
	uint32_t next_id = 0;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const Neosync__Plugin__V1__Step *s = plan->steps[i];
		if (s->id > next_id)
			next_id = s->id;
		if (nsp_step_kind(s) != NSP_KIND_TABLE || s->skip_reason[0] != '\0')
			continue;
		if (tables.len > 1)
			nsp_strbuf_append_char(&tables, ',');
		nsp_strbuf_append_char(&tables, '"');
		for (const char *p = s->table; *p; p++) {
			if (*p == '"' || *p == '\\')
				nsp_strbuf_append_char(&tables, '\\');
			nsp_strbuf_append_char(&tables, *p);
		}
		nsp_strbuf_append_char(&tables, '"');
	}
	nsp_strbuf_append_char(&tables, '}');
	int rc = 0;
	if (nsp_strbuf_failed(&tables)) {
		rc = nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL, "out of memory");
		goto out;
	}
	const char *params[1] = {tables.data};
	PGresult *res = PQexecParams(dst, strip_sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = nsp_error_set_pg(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED,
				      "strip: reading the destination's keys, indexes and triggers", res, dst);
		PQclear(res);
		goto out;
	}
	for (int r = 0; r < PQntuples(res) && rc == 0; r++) {
		/* The query names kinds by their wire numbers (options.proto). */
		nsp_kind kind = nsp_kind_of((Neosync__Plugin__V1__ObjectKind)atoi(PQgetvalue(res, r, 1)));
		const char *schema = PQgetvalue(res, r, 2), *name = PQgetvalue(res, r, 3);
		const char *table = PQgetvalue(res, r, 4);
		const Neosync__Plugin__V1__Step *mine = plan_step_for(plan, kind, schema, name, table);
		/* Keep the destination's definition when the plan would not re-create the object. */
		if (mine == NULL || mine->skip_reason[0] != '\0') {
			rc = append_step(plan, ++next_id, kind, schema, name, table, PQgetvalue(res, r, 5),
					 PQgetisnull(res, r, 7) ? NULL : PQgetvalue(res, r, 7));
			out->kept++;
		}
		nsp_strbuf_append(&drops, PQgetvalue(res, r, 6));
		out->dropped++;
	}
	PQclear(res);
	if (rc != 0 || nsp_strbuf_failed(&drops)) {
		rc = nsp_error_set(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
				   "out of memory recording what strip drops");
		goto out;
	}
	if (drops.len > 0) {
		out->drop_sql = drops.data; /* handed over */
		nsp_strbuf_init(&drops);
	}
out:
	nsp_strbuf_free(&tables);
	nsp_strbuf_free(&drops);
	return rc;
}

int nsp_strip_apply(nsp_plugin *h, PGconn *dst, const nsp_strip_decision *s, nsp_error *err)
{
	if (s->drop_sql != NULL) {
		PGresult *d = PQexec(dst, s->drop_sql);
		int rc = 0;
		if (PQresultStatus(d) != PGRES_COMMAND_OK)
			rc = nsp_error_set_pg(err, NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_FAILED,
					      "strip: dropping keys, indexes and triggers of the selected tables",
					      d, dst);
		PQclear(d);
		if (rc != 0)
			return rc;
	}
	nsp_log(h, NSP_LOG_INFO,
		"strip: dropped %zu key(s), index(es) and trigger(s) of the selected tables; "
		"post-sync re-creates them (%zu kept in the plan with the destination's definition)",
		s->dropped, s->kept);
	return 0;
}

void nsp_strip_decision_free(nsp_strip_decision *s)
{
	free(s->drop_sql);
	memset(s, 0, sizeof(*s));
}

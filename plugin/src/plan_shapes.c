/* plan_shapes - the statements each kind of step may hold (see plan_verify.h, structural
 * verification): every statement of a step's SQL, as PostgreSQL would split it (sql_lexer.c),
 * must have a shape the planner emits for the step's kind. */
#include "plan_verify.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sql_lexer.h"
#include "model_enums.h"

#define EC(x) NEOSYNC__PLUGIN__V1__ERROR_CODE__ERROR_CODE_##x

/* Functions a plan never needs and that reach outside the database, end sessions, change
 * settings, sleep, or run a query given as a string. */
static const char *const denied_functions[] = {
	"pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "pg_ls_logdir",
	"pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir", "pg_ls_logicalsnapdir",
	"pg_ls_logicalmapdir", "pg_ls_replslotdir", "lo_import", "lo_export", "lo_unlink",
	"lo_from_bytea", "lo_put", "lo_create", "lo_creat", "lo_open", "lowrite", "pg_file_write",
	"pg_file_rename", "pg_file_unlink", "pg_file_sync", "pg_logdir_ls", "pg_terminate_backend",
	"pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote", "pg_switch_wal",
	"pg_create_restore_point", "pg_backup_start", "pg_backup_stop", "pg_start_backup",
	"pg_stop_backup", "set_config", "pg_sleep", "pg_sleep_for", "pg_sleep_until", "pg_notify",
	"pg_logical_emit_message", "pg_create_logical_replication_slot",
	"pg_create_physical_replication_slot", "pg_drop_replication_slot", "pg_replication_origin_create",
	"pg_advisory_lock", "pg_advisory_xact_lock", "pg_advisory_lock_shared",
	"pg_advisory_xact_lock_shared", "query_to_xml", "query_to_xmlschema",
	"query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema", "table_to_xml",
	"table_to_xmlschema", "table_to_xml_and_xmlschema", "schema_to_xml", "schema_to_xmlschema",
	"schema_to_xml_and_xmlschema", "database_to_xml", "database_to_xmlschema",
	"database_to_xml_and_xmlschema", "dblink", "dblink_exec", "dblink_connect",
	"dblink_connect_u", "dblink_open", "dblink_fetch", "dblink_send_query", "dblink_get_result",
	"pg_import_system_collations", "pg_stat_reset", "pg_stat_statements_reset",
	NULL};

static const char *denied_name(const nsp_stmt *s)
{
	char name[64];
	for (size_t i = 0; i < s->n; i++) {
		const nsp_token *t = &s->t[i];
		size_t len = t->len;
		const char *p = t->p;
		if (t->kind == NSP_T_QIDENT && len >= 2 && p[0] == '"') {
			p++;
			len -= 2;
		} else if (t->kind != NSP_T_WORD) {
			continue;
		}
		if (len == 0 || len >= sizeof(name))
			continue;
		for (size_t k = 0; k < len; k++)
			name[k] = (char)tolower((unsigned char)p[k]);
		name[len] = '\0';
		for (size_t d = 0; denied_functions[d] != NULL; d++)
			if (strcmp(name, denied_functions[d]) == 0)
				return denied_functions[d];
	}
	return NULL;
}

/* ALTER <object> name <action>[, <action> ...]: each top-level action must be an allowed one. */
static const char *check_alter_actions(const nsp_stmt *s, size_t name_at, bool owner_ok)
{
	/* Skip the (qualified) name: words, quoted identifiers and dots. */
	size_t i = name_at;
	while (i < s->n && (s->t[i].kind == NSP_T_WORD || s->t[i].kind == NSP_T_QIDENT)) {
		i++;
		if (i < s->n && s->t[i].kind == NSP_T_DOT)
			i++;
		else
			break;
	}
	static const char *const denied[] = {"DROP", "RENAME", "DETACH", "TYPE", "SCHEMA",
					     "TABLESPACE", "DEPENDS", "TRUNCATE", NULL};
	bool action_start = true;
	for (; i < s->n; i++) {
		const nsp_token *t = &s->t[i];
		if (t->depth != 0)
			continue;
		/* a word next to a dot is part of a qualified name (pg_get_*def() leaves unreserved
		 * keywords unquoted: REFERENCES public.drop(id)) */
		if (t->kind == NSP_T_WORD && ((i > 0 && s->t[i - 1].kind == NSP_T_DOT) ||
					  (i + 1 < s->n && s->t[i + 1].kind == NSP_T_DOT)))
			continue;
		if (t->kind == NSP_T_COMMA) {
			action_start = true;
			continue;
		}
		for (size_t d = 0; denied[d] != NULL; d++)
			if (nsp_sql_word_is(t, denied[d]))
				return "a destructive or unexpected ALTER action";
		if (nsp_sql_word_is(t, "OWNER") && !owner_ok)
			return "OWNER TO outside an owner step";
		if (action_start) {
			static const char *const allowed[] = {"ADD", "VALIDATE", "ALTER", "ATTACH",
							      "CLUSTER", "REPLICA", "ENABLE", "DISABLE",
							      "FORCE", "OWNER", "SET", "INHERIT", "OF",
							      "OWNED", "USING", "RESET", NULL};
			bool ok = false;
			for (size_t a = 0; allowed[a] != NULL && !ok; a++)
				ok = nsp_sql_word_is(t, allowed[a]);
			if (!ok)
				return "an ALTER action the planner does not emit";
			action_start = false;
		}
	}
	return NULL;
}

/* The statement shapes per kind. Returns NULL when the statement is allowed, else why not. */
static const char *check_statement(const Neosync__Plugin__V1__Step *step, const nsp_stmt *s)
{
	int k = step->kind;
	const char *denied = denied_name(s);
	if (denied != NULL)
		return "a call of a function that plans never need";
	bool owner = k == NSP_KIND_OWNER;

	/* Owner steps: ALTER <object> ... OWNER TO role, nothing else. */
	if (owner) {
		if (!nsp_sql_head_is(s, "ALTER"))
			return "an owner step that is not ALTER ... OWNER TO";
		size_t o = nsp_sql_find_word0(s, 0, "OWNER");
		if (o + 1 >= s->n || !nsp_sql_word_is(&s->t[o + 1], "TO"))
			return "an owner step that is not ALTER ... OWNER TO";
		if (nsp_sql_find_word0(s, 2, "DROP") < s->n || nsp_sql_find_word0(s, 2, "RENAME") < s->n ||
		    nsp_sql_find_word0(s, 2, "SCHEMA") < s->n ||
		    nsp_sql_head_is(s, "ALTER ROLE") || nsp_sql_head_is(s, "ALTER USER") || nsp_sql_head_is(s, "ALTER GROUP") ||
		    nsp_sql_head_is(s, "ALTER SYSTEM") || nsp_sql_head_is(s, "ALTER DATABASE"))
			return "an owner step that changes more than an owner";
		return NULL;
	}
	/* Privilege steps: GRANT/REVOKE on objects (never roles). */
	if (k == NSP_KIND_ACL) {
		if ((nsp_sql_head_is(s, "GRANT") || nsp_sql_head_is(s, "REVOKE")) && nsp_sql_has_word0(s, "ON") &&
		    !nsp_sql_has_word0(s, "ROLE"))
			return NULL;
		/* ALTER DEFAULT PRIVILEGES FOR ROLE r [IN SCHEMA s] GRANT|REVOKE ... ON TABLES ... */
		if (nsp_sql_head_is(s, "ALTER DEFAULT PRIVILEGES FOR ROLE") && s->n > 6 &&
		    (s->t[5].kind == NSP_T_WORD || s->t[5].kind == NSP_T_QIDENT) &&
		    (nsp_sql_find_word0(s, 6, "GRANT") < s->n || nsp_sql_find_word0(s, 6, "REVOKE") < s->n) &&
		    nsp_sql_has_word0(s, "ON") && nsp_sql_find_word0(s, 6, "ROLE") == s->n)
			return NULL;
		/* a grant made by a role holding the grant option is made as that role */
		if ((nsp_sql_head_is(s, "SET LOCAL ROLE") && s->n == 4 &&
		     (s->t[3].kind == NSP_T_WORD || s->t[3].kind == NSP_T_QIDENT)) ||
		    (nsp_sql_head_is(s, "RESET ROLE") && s->n == 2))
			return NULL;
		return "a privilege step that is not GRANT/REVOKE ... ON an object";
	}
	if (k == NSP_KIND_COMMENT)
		return nsp_sql_head_is(s, "COMMENT ON") ? NULL : "a comment step that is not COMMENT ON";
	if (k == NSP_KIND_MATVIEW_REFRESH)
		return nsp_sql_head_is(s, "REFRESH MATERIALIZED VIEW") && !nsp_sql_has_word0(s, "WITH") && s->n <= 8
			       ? NULL
			       : "a refresh step that is not REFRESH MATERIALIZED VIEW name";
	if (k == NSP_KIND_SEQUENCE_VALUE) {
		/* SELECT pg_catalog.setval('name', number, true|false) */
		const nsp_token *t = s->t;
		size_t n = s->n, i = 0;
		bool ok = n >= 11 && nsp_sql_word_is(&t[0], "SELECT") && nsp_sql_word_is(&t[1], "pg_catalog") &&
			  t[2].kind == NSP_T_DOT && nsp_sql_word_is(&t[3], "setval") && t[4].kind == NSP_T_OPEN &&
			  t[5].kind == NSP_T_STRING && t[6].kind == NSP_T_COMMA;
		i = 7;
		if (ok && i < n && t[i].kind == NSP_T_OP && t[i].len == 1 && t[i].p[0] == '-')
			i++;
		ok = ok && i + 4 == n && t[i].kind == NSP_T_NUMBER && t[i + 1].kind == NSP_T_COMMA &&
		     (nsp_sql_word_is(&t[i + 2], "true") || nsp_sql_word_is(&t[i + 2], "false")) && t[i + 3].kind == NSP_T_CLOSE;
		return ok ? NULL : "a sequence value step that is not SELECT pg_catalog.setval(name, value, is_called)";
	}

	/* Object creation and the ALTERs that go with it. */
	static const struct {
		const char *head;
		int kinds[8];
	} shapes[] = {
		{"CREATE SCHEMA", {NSP_KIND_SCHEMA}},
		{"CREATE EXTENSION", {NSP_KIND_EXTENSION}},
		{"CREATE COLLATION", {NSP_KIND_COLLATION}},
		{"CREATE TYPE", {NSP_KIND_TYPE}},
		{"CREATE DOMAIN", {NSP_KIND_DOMAIN}},
		{"ALTER DOMAIN", {NSP_KIND_DOMAIN, NSP_KIND_DOMAIN_CONSTRAINT}},
		{"CREATE FUNCTION", {NSP_KIND_FUNCTION}},
		{"CREATE OR REPLACE FUNCTION", {NSP_KIND_FUNCTION}},
		{"CREATE PROCEDURE", {NSP_KIND_FUNCTION}},
		{"CREATE OR REPLACE PROCEDURE", {NSP_KIND_FUNCTION}},
		{"CREATE AGGREGATE", {NSP_KIND_AGGREGATE}},
		{"CREATE OR REPLACE AGGREGATE", {NSP_KIND_AGGREGATE}},
		{"CREATE OPERATOR", {NSP_KIND_OPERATOR}},
		{"ALTER OPERATOR FAMILY", {NSP_KIND_OPERATOR}},
		{"CREATE CAST", {NSP_KIND_CAST}},
		{"CREATE TEXT SEARCH", {NSP_KIND_TEXT_SEARCH}},
		{"ALTER TEXT SEARCH", {NSP_KIND_TEXT_SEARCH}},
		{"CREATE SEQUENCE", {NSP_KIND_SEQUENCE}},
		{"CREATE UNLOGGED SEQUENCE", {NSP_KIND_SEQUENCE}},
		{"ALTER SEQUENCE", {NSP_KIND_SEQUENCE, NSP_KIND_IDENTITY, NSP_KIND_TABLE}},
		{"CREATE TABLE", {NSP_KIND_TABLE}},
		{"CREATE UNLOGGED TABLE", {NSP_KIND_TABLE}},
		{"ALTER TABLE", {NSP_KIND_TABLE, NSP_KIND_PARTITION_ATTACH, NSP_KIND_PRIMARY_KEY, NSP_KIND_UNIQUE_CONSTRAINT,
				 NSP_KIND_EXCLUSION_CONSTRAINT, NSP_KIND_CHECK_CONSTRAINT, NSP_KIND_FOREIGN_KEY, NSP_KIND_INDEX}},
		{"ALTER TABLE", {NSP_KIND_TRIGGER, NSP_KIND_RULE, NSP_KIND_ROW_SECURITY, NSP_KIND_IDENTITY, NSP_KIND_TABLE_PROPERTY,
				 NSP_KIND_VIEW, NSP_KIND_MATERIALIZED_VIEW}},
		{"CREATE INDEX", {NSP_KIND_INDEX, NSP_KIND_PRIMARY_KEY, NSP_KIND_UNIQUE_CONSTRAINT, NSP_KIND_EXCLUSION_CONSTRAINT,
				  NSP_KIND_MATERIALIZED_VIEW}},
		{"CREATE UNIQUE INDEX", {NSP_KIND_INDEX, NSP_KIND_PRIMARY_KEY, NSP_KIND_UNIQUE_CONSTRAINT,
					 NSP_KIND_EXCLUSION_CONSTRAINT, NSP_KIND_MATERIALIZED_VIEW}},
		{"ALTER INDEX", {NSP_KIND_INDEX, NSP_KIND_INDEX_ATTACH, NSP_KIND_PRIMARY_KEY, NSP_KIND_UNIQUE_CONSTRAINT,
				 NSP_KIND_EXCLUSION_CONSTRAINT, NSP_KIND_TABLE_PROPERTY}},
		{"CREATE TRIGGER", {NSP_KIND_TRIGGER}},
		{"CREATE OR REPLACE TRIGGER", {NSP_KIND_TRIGGER}},
		{"CREATE CONSTRAINT TRIGGER", {NSP_KIND_TRIGGER}},
		{"CREATE RULE", {NSP_KIND_RULE}},
		{"CREATE OR REPLACE RULE", {NSP_KIND_RULE}},
		{"CREATE VIEW", {NSP_KIND_VIEW}},
		{"CREATE OR REPLACE VIEW", {NSP_KIND_VIEW}},
		{"CREATE RECURSIVE VIEW", {NSP_KIND_VIEW}},
		{"CREATE OR REPLACE RECURSIVE VIEW", {NSP_KIND_VIEW}},
		{"ALTER VIEW", {NSP_KIND_VIEW}},
		{"CREATE MATERIALIZED VIEW", {NSP_KIND_MATERIALIZED_VIEW}},
		{"ALTER MATERIALIZED VIEW", {NSP_KIND_MATERIALIZED_VIEW, NSP_KIND_TABLE_PROPERTY}},
		{"CREATE POLICY", {NSP_KIND_POLICY}},
		{"CREATE STATISTICS", {NSP_KIND_STATISTICS}},
		{"ALTER STATISTICS", {NSP_KIND_STATISTICS}},
	};
	const char *matched = NULL;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]) && matched == NULL; i++) {
		if (!nsp_sql_head_is(s, shapes[i].head))
			continue;
		for (size_t j = 0; j < 8; j++)
			if (shapes[i].kinds[j] == k && k != 0)
				matched = shapes[i].head;
	}
	if (matched == NULL)
		return "a statement this kind of step never has";

	if (strncmp(matched, "ALTER ", 6) == 0) {
		/* the name follows the object words (and ONLY / IF EXISTS) */
		size_t at = 1;
		while (at < s->n && s->t[at].kind == NSP_T_WORD &&
		       (nsp_sql_word_is(&s->t[at], "TABLE") || nsp_sql_word_is(&s->t[at], "INDEX") ||
			nsp_sql_word_is(&s->t[at], "VIEW") || nsp_sql_word_is(&s->t[at], "MATERIALIZED") ||
			nsp_sql_word_is(&s->t[at], "SEQUENCE") || nsp_sql_word_is(&s->t[at], "DOMAIN") ||
			nsp_sql_word_is(&s->t[at], "STATISTICS") || nsp_sql_word_is(&s->t[at], "ONLY") ||
			nsp_sql_word_is(&s->t[at], "IF") || nsp_sql_word_is(&s->t[at], "EXISTS")))
			at++;
		if (nsp_sql_head_is(s, "ALTER TEXT SEARCH") || nsp_sql_head_is(s, "ALTER OPERATOR FAMILY")) {
			if (nsp_sql_has_word0(s, "DROP") || nsp_sql_has_word0(s, "RENAME") || nsp_sql_has_word0(s, "OWNER") ||
			    nsp_sql_has_word0(s, "SCHEMA"))
				return "a destructive or unexpected ALTER action";
			return NULL;
		}
		return check_alter_actions(s, at, false);
	}
	if (strstr(matched, "FUNCTION") || strstr(matched, "PROCEDURE")) {
		size_t lang = nsp_sql_find_word0(s, 0, "LANGUAGE");
		if (lang + 1 < s->n && (nsp_sql_word_is(&s->t[lang + 1], "c") ||
					(s->t[lang + 1].kind == NSP_T_QIDENT && s->t[lang + 1].len == 3 &&
					 (s->t[lang + 1].p[1] == 'c' || s->t[lang + 1].p[1] == 'C'))))
			return "a function in C (creating it loads a shared library)";
		if (lang + 1 < s->n && s->t[lang + 1].kind == NSP_T_STRING)
			return "a function language given as a string";
		return NULL;
	}
	if (strstr(matched, "TABLE") && nsp_sql_has_word0(s, "AS"))
		return "CREATE TABLE ... AS (it would run a query)";
	if (strcmp(matched, "CREATE MATERIALIZED VIEW") == 0) {
		size_t n = s->n;
		if (n < 3 || !nsp_sql_word_is(&s->t[n - 3], "WITH") || !nsp_sql_word_is(&s->t[n - 2], "NO") ||
		    !nsp_sql_word_is(&s->t[n - 1], "DATA"))
			return "a materialized view not created WITH NO DATA (it would run its query)";
	}
	if (strcmp(matched, "CREATE TYPE") == 0 && !nsp_sql_has_word0(s, "AS"))
		return "a base type (CREATE TYPE name (INPUT = ...))";
	return NULL;
}

static int describe_refusal(const Neosync__Plugin__V1__Step *step, size_t stmt_no, const nsp_stmt *s,
			    const char *why, nsp_error *err)
{
	char head[64] = "";
	size_t len = 0;
	for (size_t i = 0; i < s->n && i < 4 && s->t[i].kind == NSP_T_WORD; i++) {
		int w = snprintf(head + len, sizeof(head) - len, "%s%.*s", i ? " " : "",
				 (int)(s->t[i].len > 20 ? 20 : s->t[i].len), s->t[i].p);
		if (w < 0 || (size_t)w >= sizeof(head) - len)
			break;
		len += (size_t)w;
	}
	const ProtobufCEnumValue *kv =
		protobuf_c_enum_descriptor_get_value(&neosync__plugin__v1__object_kind__descriptor, step->kind);
	return nsp_error_set(err, EC(INVALID_ARGUMENT),
			     "PostSyncRequest.plan: step %u (%s, %s) was refused: statement %zu (%s%s) is "
			     "%s; the plan was changed after pre-sync made it. Nothing was run. Pass the "
			     "plan exactly as the PreSyncResponse returned it, or set replan to plan again "
			     "from the source (see README, Hardening: plan integrity)",
			     step->id, step->identity, kv ? kv->name : "?", stmt_no + 1,
			     head[0] ? head : "no keyword", len > 0 ? " ..." : "", why);
}

/* The most statements the planner puts in one step: a privileges step has a REVOKE and GRANTs
 * per grantee and per column of the object, other steps a few. */
static size_t max_statements(const Neosync__Plugin__V1__Step *step)
{
	return nsp_step_kind(step) == NSP_KIND_ACL ? 65536 : 64;
}

int nsp_plan_verify_step_sql(const Neosync__Plugin__V1__Step *step, nsp_error *err)
{
	for (int mode = 0; mode < 2; mode++) {
		nsp_tokens tk = {0};
		nsp_split_result r = nsp_sql_split(step->sql ? step->sql : "", mode == 1, &tk);
		if (r == NSP_SPLIT_NOMEM) {
			nsp_sql_tokens_free(&tk);
			return nsp_error_set(err, EC(INTERNAL), "out of memory verifying the plan");
		}
		if (r == NSP_SPLIT_SERVER_REJECTS) {
			nsp_sql_tokens_free(&tk);
			/* With standard_conforming_strings on (mode 0, what the plugin's sessions use) the
			 * server would refuse the whole string; so would we. In the other mode a lexing
			 * that the server refuses runs nothing: fine. */
			if (mode == 1)
				continue;
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "PostSyncRequest.plan: step %u (%s) was refused: its SQL has an "
					     "unterminated quote or comment or unbalanced parentheses; the plan "
					     "was changed after pre-sync made it. Nothing was run. Pass the plan "
					     "exactly as the PreSyncResponse returned it, or set replan",
					     step->id, step->identity);
		}
		size_t most = max_statements(step);
		if (tk.nst > most) {
			nsp_sql_tokens_free(&tk);
			return nsp_error_set(err, EC(INVALID_ARGUMENT),
					     "PostSyncRequest.plan: step %u (%s) was refused: %zu statements "
					     "in one step; the planner emits at most %zu",
					     step->id, step->identity, tk.nst, most);
		}
		for (size_t i = 0; i < tk.nst; i++) {
			const char *why = check_statement(step, &tk.st[i]);
			if (why != NULL) {
				describe_refusal(step, i, &tk.st[i], why, err);
				nsp_sql_tokens_free(&tk);
				return -1;
			}
		}
		nsp_sql_tokens_free(&tk);
	}
	return 0;
}


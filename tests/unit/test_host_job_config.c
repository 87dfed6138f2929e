/* Job config: the example configs of deploy/examples parse to the expected values, and each kind
 * of invalid config (tests/fixtures/job-configs) is rejected at the right line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "job_config.h"

#define EXAMPLES NSP_TEST_SOURCE_DIR "/deploy/examples/"
#define FIXTURES NSP_TEST_SOURCE_DIR "/tests/fixtures/job-configs/"

static Neosync__Plugin__V1__JobConfig *load_ok(const char *path)
{
	char err[1024] = "";
	Neosync__Plugin__V1__JobConfig *cfg = NULL;
	int rc = nsp_job_config_load_file(path, &cfg, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
	assert_non_null(cfg);
	return cfg;
}

/* Load an invalid fixture; the error must start with "PATH:LINE:COL: " and contain `what`. */
static void expect_error_at(const char *name, unsigned line, unsigned col, const char *what)
{
	char path[512], prefix[600], err[1024] = "";
	Neosync__Plugin__V1__JobConfig *cfg = (void *)1;
	snprintf(path, sizeof path, "%s%s", FIXTURES, name);
	assert_int_equal(nsp_job_config_load_file(path, &cfg, err, sizeof err), -1);
	assert_null(cfg);
	snprintf(prefix, sizeof prefix, "%s:%u:%u: ", path, line, col);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("expected error at %u:%u, got: %s", line, col, err);
	if (strstr(err, what) == NULL)
		fail_msg("expected \"%s\" in: %s", what, err);
}

static void test_example_all_tables(void **state)
{
	(void)state;
	Neosync__Plugin__V1__JobConfig *cfg = load_ok(EXAMPLES "job-all-tables.json");
	assert_string_equal(cfg->job_id, "demo");
	assert_non_null(cfg->source);
	assert_int_equal(cfg->source->kind_case, NEOSYNC__PLUGIN__V1__CONNECTION__KIND_POSTGRES);
	assert_string_equal(cfg->source->postgres->url, "postgresql:///src?host=/run/pg&port=5432");
	assert_string_equal(cfg->destination->postgres->url, "postgresql:///dst?host=/run/pg&port=5432");
	assert_int_equal(cfg->n_tables, 1);
	assert_string_equal(cfg->tables[0]->schema, "public");
	assert_string_equal(cfg->tables[0]->table, "actor");
	assert_int_equal(cfg->n_exclude_tables, 0);
	assert_non_null(cfg->hydration);
	assert_int_equal(cfg->hydration->parallelism, 2);
	assert_int_equal(cfg->n_hooks, 1);
	Neosync__Plugin__V1__JobHook *h = cfg->hooks[0];
	assert_string_equal(h->name, "schema");
	assert_true(h->enabled);
	assert_int_equal(h->priority, 0);
	assert_non_null(h->plugin);
	assert_int_equal(h->plugin->target_case, NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET_PATH);
	assert_string_equal(h->plugin->path, "build/plugin/libneosync_schema_plugin.so");
	/* "options": {} is a present, empty message: every option at its default */
	assert_non_null(h->plugin->options);
	assert_int_equal(h->plugin->options->on_existing, NEOSYNC__PLUGIN__V1__ON_EXISTING__ON_EXISTING_ERROR);
	assert_int_equal(h->plugin->options->comments_opt_case,
	                 NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__COMMENTS_OPT__NOT_SET);
	nsp_job_config_free(cfg);
}

static void test_example_subset_with_options(void **state)
{
	(void)state;
	Neosync__Plugin__V1__JobConfig *cfg = load_ok(EXAMPLES "job-subset-with-options.json");
	assert_string_equal(cfg->job_id, "sales-subset");
	assert_string_equal(cfg->source->postgres->url, "host=/run/pg port=5432 dbname=shop");
	assert_int_equal(cfg->n_tables, 3);
	assert_string_equal(cfg->tables[0]->schema, "sales");
	assert_string_equal(cfg->tables[0]->table, "*");
	assert_string_equal(cfg->tables[2]->table, "address");
	assert_int_equal(cfg->n_exclude_tables, 1);
	assert_string_equal(cfg->exclude_tables[0]->table, "*_archive");
	assert_int_equal(cfg->hydration->parallelism, 4);
	assert_true(cfg->hydration->truncate_before_insert);
	assert_int_equal(cfg->n_hooks, 2);

	Neosync__Plugin__V1__JobHook *h = cfg->hooks[0];
	assert_int_equal(h->priority, 10);
	const Neosync__Plugin__V1__SchemaPluginOptions *o = h->plugin->options;
	assert_non_null(o);
	assert_int_equal(o->n_defer, 2);
	assert_int_equal(o->defer[0], NEOSYNC__PLUGIN__V1__DEFERRABLE_KIND__DEFERRABLE_KIND_CHECK_CONSTRAINTS);
	assert_int_equal(o->defer[1], NEOSYNC__PLUGIN__V1__DEFERRABLE_KIND__DEFERRABLE_KIND_DOMAIN_CHECKS);
	assert_int_equal(o->on_existing, NEOSYNC__PLUGIN__V1__ON_EXISTING__ON_EXISTING_SKIP);
	assert_int_equal(o->fk_mode, NEOSYNC__PLUGIN__V1__FK_MODE__FK_MODE_NOT_VALID_ON_VIOLATION);
	assert_int_equal(o->parallelism, 6);
	assert_true(o->owners);
	assert_false(o->acls);
	assert_int_equal(o->n_role_map, 1);
	assert_string_equal(o->role_map[0]->source_role, "shop_owner");
	assert_string_equal(o->role_map[0]->destination_role, "copy_owner");
	/* comments: false is a set oneof member, different from "not given" (default true) */
	assert_int_equal(o->comments_opt_case, NEOSYNC__PLUGIN__V1__SCHEMA_PLUGIN_OPTIONS__COMMENTS_OPT_COMMENTS);
	assert_false(o->comments);
	assert_int_equal(o->n_session_settings, 2);
	assert_string_equal(o->session_settings[0]->key, "maintenance_work_mem");
	assert_string_equal(o->session_settings[0]->value, "1GB");
	assert_string_equal(o->session_settings[1]->key, "max_parallel_maintenance_workers");
	assert_string_equal(o->session_settings[1]->value, "4");
	assert_int_equal(o->lock_timeout_ms, 5000);
	assert_int_equal(o->statement_timeout_ms, 600000);
	assert_int_equal(o->connect_timeout_s, 5);

	/* a disabled hook needs no plugin */
	assert_string_equal(cfg->hooks[1]->name, "audit");
	assert_false(cfg->hooks[1]->enabled);
	assert_null(cfg->hooks[1]->plugin);
	nsp_job_config_free(cfg);
}

static void test_example_remote_hook(void **state)
{
	(void)state;
	Neosync__Plugin__V1__JobConfig *cfg = load_ok(EXAMPLES "job-remote-hook.json");
	assert_int_equal(cfg->n_tables, 0); /* every table */
	Neosync__Plugin__V1__PluginHook *p = cfg->hooks[0]->plugin;
	assert_int_equal(p->target_case, NEOSYNC__PLUGIN__V1__PLUGIN_HOOK__TARGET_ADDRESS);
	assert_string_equal(p->address, "unix:/run/neosync/plugin.sock");
	assert_int_equal(p->options->on_existing, NEOSYNC__PLUGIN__V1__ON_EXISTING__ON_EXISTING_SKIP);
	assert_int_equal(p->options->fk_mode, NEOSYNC__PLUGIN__V1__FK_MODE__FK_MODE_VALIDATE);
	nsp_job_config_free(cfg);
}

static void test_snake_case_names(void **state)
{
	(void)state;
	static const char text[] =
		"{\"job_id\": \"j\",\n"
		" \"source\": {\"postgres\": {\"url\": \"postgresql:///a\"}},\n"
		" \"destination\": {\"postgres\": {\"url\": \"postgresql:///b\"}},\n"
		" \"exclude_tables\": [{\"schema\": \"s\", \"table\": \"t\"}],\n"
		" \"hydration\": {\"truncate_before_insert\": true},\n"
		" \"hooks\": [{\"name\": \"h\", \"enabled\": true,\n"
		"   \"plugin\": {\"path\": \"x.so\", \"options\": {\"on_existing\": \"REPLACE\", \"fk_mode\": \"skip\",\n"
		"     \"role_map\": [{\"source_role\": \"a\", \"destination_role\": \"b\"}],\n"
		"     \"session_settings\": {\"work_mem\": \"64MB\"}, \"lock_timeout_ms\": 1}}}]}\n";
	char err[512];
	Neosync__Plugin__V1__JobConfig *cfg = NULL;
	assert_int_equal(nsp_job_config_parse(text, strlen(text), "snake.json", &cfg, err, sizeof err), 0);
	assert_string_equal(cfg->job_id, "j");
	assert_int_equal(cfg->n_exclude_tables, 1);
	assert_true(cfg->hydration->truncate_before_insert);
	const Neosync__Plugin__V1__SchemaPluginOptions *o = cfg->hooks[0]->plugin->options;
	assert_int_equal(o->on_existing, NEOSYNC__PLUGIN__V1__ON_EXISTING__ON_EXISTING_REPLACE);
	assert_int_equal(o->fk_mode, NEOSYNC__PLUGIN__V1__FK_MODE__FK_MODE_SKIP);
	assert_string_equal(o->role_map[0]->destination_role, "b");
	assert_string_equal(o->session_settings[0]->value, "64MB");
	assert_int_equal(o->lock_timeout_ms, 1);
	nsp_job_config_free(cfg);
}

static void test_typo_field(void **state)
{
	(void)state;
	expect_error_at("typo-field.json", 3, 5,
	                "unknown field \"tabels\" in neosync.plugin.v1.JobConfig (at $.tabels); did you mean \"tables\"?");
}

static void test_wrong_type(void **state)
{
	(void)state;
	expect_error_at("wrong-type.json", 5, 32, "\"parallelism\" expects an integer (uint32), got \"two\" (at $.hydration.parallelism)");
}

static void test_unknown_enum(void **state)
{
	(void)state;
	expect_error_at("unknown-enum.json", 8, 43,
	                "unknown value \"SKP\" for enum neosync.plugin.v1.OnExisting of field \"onExisting\"; "
	                "expected one of ERROR, SKIP, REPLACE, STRIP (at $.hooks[0].plugin.options.onExisting)");
}

static void test_syntax_error(void **state)
{
	(void)state;
	expect_error_at("syntax-error.json", 4, 3, "JSON syntax error");
	expect_error_at("trailing-comma.json", 3, 1, "JSON syntax error");
}

static void test_missing_source(void **state)
{
	(void)state;
	expect_error_at("missing-source.json", 1, 1, "missing \"source\"");
}

static void test_duplicate_hook_names(void **state)
{
	(void)state;
	expect_error_at("duplicate-hook-names.json", 7, 14, "hook name \"schema\" is used twice (hooks[0] and hooks[1]); hook names must be unique (at $.hooks[1].name)");
}

static void test_two_oneof_members(void **state)
{
	(void)state;
	expect_error_at("two-oneof-members.json", 7, 56,
	                "\"path\" and \"address\" of neosync.plugin.v1.PluginHook are members of one oneof");
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	expect_error_at("duplicate-key.json", 5, 3, "key \"jobId\" given twice in one object (at $.jobId)");
	expect_error_at("camel-and-snake.json", 3, 3, "given twice (as \"jobId\" and \"job_id\") (at $.job_id)");
}

static void test_other_validation(void **state)
{
	(void)state;
	expect_error_at("hook-without-plugin.json", 5, 59, "enabled hook \"schema\" needs plugin.path");
	expect_error_at("parallelism-too-high.json", 5, 32, "hydration.parallelism 65 is more than 64");
	/* a missing field is reported at its enclosing object */
	expect_error_at("table-without-schema.json", 5, 54, "tables[1] has no \"schema\" (use \"*\" for any schema) (at $.tables[1].schema)");
	expect_error_at("not-object.json", 1, 1, "expected a JSON object");
}

/* Connection URLs may hold passwords: no error repeats them. */
static void test_no_url_in_errors(void **state)
{
	(void)state;
	char err[1024];
	Neosync__Plugin__V1__JobConfig *cfg = NULL;
	expect_error_at("empty-url.json", 4, 39, "destination.postgres.url is empty");
	assert_int_equal(nsp_job_config_load_file(FIXTURES "empty-url.json", &cfg, err, sizeof err), -1);
	assert_null(strstr(err, "hunter2"));
	assert_int_equal(nsp_job_config_load_file(FIXTURES "missing-source.json", &cfg, err, sizeof err), -1);
	assert_null(strstr(err, "secret"));

	static const char wrong[] = "{\"jobId\": \"j\", \"source\": {\"postgres\": {\"url\": 5}}}";
	assert_int_equal(nsp_job_config_parse(wrong, strlen(wrong), "w.json", &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "w.json:1:47: field \"url\" expects a string"));
}

static void test_empty_and_missing_file(void **state)
{
	(void)state;
	char err[1024];
	Neosync__Plugin__V1__JobConfig *cfg = (void *)1;
	assert_int_equal(nsp_job_config_load_file(FIXTURES "empty.json", &cfg, err, sizeof err), -1);
	assert_null(cfg);
	assert_non_null(strstr(err, "empty.json: empty file"));
	assert_int_equal(nsp_job_config_load_file(FIXTURES "no-such-file.json", &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "no-such-file.json: cannot open job config: No such file or directory"));
	assert_int_equal(nsp_job_config_parse("  \n ", 4, "blank.json", &cfg, err, sizeof err), -1);
	assert_string_equal(err, "blank.json: empty file: expected a JSON object");
	assert_int_equal(nsp_job_config_parse("{\"jobId\": \"x\"", 13, "cut.json", &cfg, err, sizeof err), -1);
	assert_string_equal(err, "cut.json:1:14: unexpected end of input: the JSON document is incomplete");
	/* a tiny error buffer is not overrun */
	char tiny[8];
	assert_int_equal(nsp_job_config_load_file(FIXTURES "typo-field.json", &cfg, tiny, sizeof tiny), -1);
	assert_int_equal(strlen(tiny), 7);
}

static void test_missing_job_id(void **state)
{
	(void)state;
	static const char text[] = "{\n  \"jobId\": \"\",\n  \"source\": {\"postgres\": {\"url\": \"x\"}}\n}";
	char err[512];
	Neosync__Plugin__V1__JobConfig *cfg = NULL;
	assert_int_equal(nsp_job_config_parse(text, strlen(text), "j.json", &cfg, err, sizeof err), -1);
	assert_string_equal(err, "j.json:2:12: \"jobId\" is missing or empty (at $.jobId)");
	static const char no_dest[] = "{\"jobId\": \"a\", \"source\": {\"postgres\": {\"url\": \"x\"}},\n \"destination\": {}}";
	assert_int_equal(nsp_job_config_parse(no_dest, strlen(no_dest), "d.json", &cfg, err, sizeof err), -1);
	assert_string_equal(err, "d.json:2:17: \"destination\" names no connection: set destination.postgres.url (at $.destination)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_all_tables),
		cmocka_unit_test(test_example_subset_with_options),
		cmocka_unit_test(test_example_remote_hook),
		cmocka_unit_test(test_snake_case_names),
		cmocka_unit_test(test_typo_field),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_unknown_enum),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_missing_source),
		cmocka_unit_test(test_duplicate_hook_names),
		cmocka_unit_test(test_two_oneof_members),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_other_validation),
		cmocka_unit_test(test_no_url_in_errors),
		cmocka_unit_test(test_empty_and_missing_file),
		cmocka_unit_test(test_missing_job_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* DDL rendering from catalog rows, without a server (render_policies.h, render_sequences.h):
 * what pg_dump writes for the same catalog rows (policies, row-level security, sequences), with
 * awkward names quoted. The other kinds' renderers have a test_plugin_render_<kind>.c each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_policies.h"
#include "render_sequences.h"

static char *render_policy(const nsp_policy_row *r)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_policy(r, &sb);
	return nsp_strbuf_detach(&sb);
}

static char *render_rls(const nsp_row_security_row *r)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_row_security(r, &sb);
	return nsp_strbuf_detach(&sb);
}

static void test_policy_defaults(void **state)
{
	(void)state;
	/* permissive, ALL, PUBLIC, no expressions: nothing but the name and the table */
	nsp_policy_row r = {.schema = "public", .table = "t", .name = "p", .permissive = true, .cmd = '*'};
	char *sql = render_policy(&r);
	assert_string_equal(sql, "CREATE POLICY \"p\" ON \"public\".\"t\";");
	free(sql);
}

static void test_policy_every_clause(void **state)
{
	(void)state;
	nsp_policy_row r = {.schema = "App Schema",
			    .table = "we\"ird",
			    .name = "Own rows",
			    .permissive = false,
			    .cmd = 'w',
			    .roles = "app_user, \"Read Only\"",
			    .qual = "(owner = CURRENT_USER)",
			    .check = "(amount > 0)"};
	char *sql = render_policy(&r);
	assert_string_equal(sql, "CREATE POLICY \"Own rows\" ON \"App Schema\".\"we\"\"ird\" AS RESTRICTIVE FOR UPDATE "
				 "TO app_user, \"Read Only\" USING ((owner = CURRENT_USER)) WITH CHECK ((amount > 0));");
	free(sql);
}

static void test_policy_commands(void **state)
{
	(void)state;
	const struct {
		char cmd;
		const char *want;
	} cases[] = {{'r', " FOR SELECT"}, {'a', " FOR INSERT"}, {'w', " FOR UPDATE"}, {'d', " FOR DELETE"}, {'*', ""}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nsp_policy_row r = {.schema = "s", .table = "t", .name = "p", .permissive = true, .cmd = cases[i].cmd};
		char *sql = render_policy(&r);
		char want[128];
		snprintf(want, sizeof(want), "CREATE POLICY \"p\" ON \"s\".\"t\"%s;", cases[i].want);
		assert_string_equal(sql, want);
		free(sql);
	}
}

static void test_row_security(void **state)
{
	(void)state;
	nsp_row_security_row both = {"s", "t", true, true}, enable = {"s", "t", true, false},
			     force = {"s", "t", false, true};
	char *sql = render_rls(&both);
	assert_string_equal(sql, "ALTER TABLE \"s\".\"t\" ENABLE ROW LEVEL SECURITY;\n"
				 "ALTER TABLE ONLY \"s\".\"t\" FORCE ROW LEVEL SECURITY;");
	free(sql);
	sql = render_rls(&enable);
	assert_string_equal(sql, "ALTER TABLE \"s\".\"t\" ENABLE ROW LEVEL SECURITY;");
	free(sql);
	/* FORCE without ENABLE is a state pg_dump keeps too */
	sql = render_rls(&force);
	assert_string_equal(sql, "ALTER TABLE ONLY \"s\".\"t\" FORCE ROW LEVEL SECURITY;");
	free(sql);
}

static void test_sequence_defaults(void **state)
{
	(void)state;
	nsp_sequence_row r = {.schema = "public", .name = "s", .type = "bigint", .start = "1", .increment = "1",
			      .cache = "1"};
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_sequence(&r, &sb);
	assert_string_equal(sb.data, "CREATE SEQUENCE \"public\".\"s\"\n    START WITH 1\n    INCREMENT BY 1\n"
				     "    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;");
	nsp_strbuf_free(&sb);
}

static void test_sequence_every_option(void **state)
{
	(void)state;
	nsp_sequence_row r = {.schema = "S p", .name = "Down", .type = "integer", .start = "-1", .increment = "-2",
			      .cache = "20", .min = "-1000", .max = "-1", .cycle = true, .unlogged = true};
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_sequence(&r, &sb);
	assert_string_equal(sb.data, "CREATE UNLOGGED SEQUENCE \"S p\".\"Down\"\n    AS integer\n    START WITH -1\n"
				     "    INCREMENT BY -2\n    MINVALUE -1000\n    MAXVALUE -1\n    CACHE 20\n    CYCLE;");
	nsp_strbuf_reset(&sb);
	nsp_render_sequence_owned_by("S p", "Down", "public", "t", "Id", &sb);
	assert_string_equal(sb.data, "ALTER SEQUENCE \"S p\".\"Down\" OWNED BY \"public\".\"t\".\"Id\";");
	nsp_strbuf_free(&sb);
}

static void test_sequence_value(void **state)
{
	(void)state;
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	/* a quote in the name: the regclass literal doubles it */
	assert_true(nsp_render_sequence_value("public", "it's", "42", true, &sb));
	assert_string_equal(sb.data, "SELECT pg_catalog.setval('\"public\".\"it''s\"', 42, true);");
	nsp_strbuf_reset(&sb);
	assert_true(nsp_render_sequence_value("public", "s", "1", false, &sb));
	assert_string_equal(sb.data, "SELECT pg_catalog.setval('\"public\".\"s\"', 1, false);");
	nsp_strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_defaults),
		cmocka_unit_test(test_policy_every_clause),
		cmocka_unit_test(test_policy_commands),
		cmocka_unit_test(test_row_security),
		cmocka_unit_test(test_sequence_defaults),
		cmocka_unit_test(test_sequence_every_option),
		cmocka_unit_test(test_sequence_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

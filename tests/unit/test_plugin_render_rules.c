/* Rules rendered from their rows, without a server (render_rules.h): the server's CREATE RULE,
 * then the enabled state pg_dump writes when it is not the default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_rules.h"

#define DEF "CREATE RULE r_ignore AS\n    ON DELETE TO public.t DO INSTEAD NOTHING;"

static char *render(const nsp_rule_row *r)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_rule(r, &sb);
	return nsp_strbuf_detach(&sb);
}

static void test_rule_default_state(void **state)
{
	(void)state;
	/* pg_get_ruledef() ends with ';': none added */
	nsp_rule_row r = {.schema = "public", .table = "t", .name = "r_ignore", .definition = DEF, .enabled = 'O'};
	char *sql = render(&r);
	assert_string_equal(sql, DEF);
	free(sql);
}

static void test_rule_terminator_added(void **state)
{
	(void)state;
	nsp_rule_row r = {.schema = "public", .table = "t", .name = "r", .definition = "CREATE RULE r AS ...",
			  .enabled = 'O'};
	char *sql = render(&r);
	assert_string_equal(sql, "CREATE RULE r AS ...;");
	free(sql);
	/* an empty definition still ends the statement */
	r.definition = "";
	sql = render(&r);
	assert_string_equal(sql, ";");
	free(sql);
}

static void test_rule_states(void **state)
{
	(void)state;
	const struct {
		char enabled;
		const char *want;
	} cases[] = {
		{'D', DEF "\nALTER TABLE \"public\".\"t\" DISABLE RULE \"r_ignore\";"},
		{'A', DEF "\nALTER TABLE \"public\".\"t\" ENABLE ALWAYS RULE \"r_ignore\";"},
		{'R', DEF "\nALTER TABLE \"public\".\"t\" ENABLE REPLICA RULE \"r_ignore\";"},
		/* 'f' is an old trigger state, not a rule's: written as the default */
		{'f', DEF},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nsp_rule_row r = {.schema = "public", .table = "t", .name = "r_ignore", .definition = DEF,
				  .enabled = cases[i].enabled};
		char *sql = render(&r);
		assert_string_equal(sql, cases[i].want);
		free(sql);
	}
}

static void test_rule_quoting(void **state)
{
	(void)state;
	nsp_rule_row r = {.schema = "Sales Data", .table = "Or\"ders", .name = "No Deletes", .definition = DEF,
			  .enabled = 'R'};
	char *sql = render(&r);
	assert_string_equal(sql, DEF "\nALTER TABLE \"Sales Data\".\"Or\"\"ders\" ENABLE REPLICA RULE \"No Deletes\";");
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_default_state),
		cmocka_unit_test(test_rule_terminator_added),
		cmocka_unit_test(test_rule_states),
		cmocka_unit_test(test_rule_quoting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Triggers rendered from their rows, without a server (render_triggers.h): the server's
 * CREATE TRIGGER, then the enabled state pg_dump writes when it is not the default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_triggers.h"

#define DEF "CREATE TRIGGER t_audit AFTER INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION audit()"

static char *render(const nsp_trigger_row *r)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_trigger(r, &sb);
	return nsp_strbuf_detach(&sb);
}

static void test_trigger_default_state(void **state)
{
	(void)state;
	/* 'O' is what CREATE TRIGGER leaves; 't' is what very old servers stored for it */
	const char enabled[] = {'O', 't'};
	for (size_t i = 0; i < sizeof(enabled); i++) {
		nsp_trigger_row r = {.schema = "public", .table = "t", .name = "t_audit", .definition = DEF,
				     .enabled = enabled[i]};
		char *sql = render(&r);
		assert_string_equal(sql, DEF ";");
		free(sql);
	}
}

static void test_trigger_states(void **state)
{
	(void)state;
	const struct {
		char enabled;
		const char *want;
	} cases[] = {
		{'D', DEF ";\nALTER TABLE \"public\".\"t\" DISABLE TRIGGER \"t_audit\";"},
		{'f', DEF ";\nALTER TABLE \"public\".\"t\" DISABLE TRIGGER \"t_audit\";"},
		{'A', DEF ";\nALTER TABLE \"public\".\"t\" ENABLE ALWAYS TRIGGER \"t_audit\";"},
		{'R', DEF ";\nALTER TABLE \"public\".\"t\" ENABLE REPLICA TRIGGER \"t_audit\";"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nsp_trigger_row r = {.schema = "public", .table = "t", .name = "t_audit", .definition = DEF,
				     .enabled = cases[i].enabled};
		char *sql = render(&r);
		assert_string_equal(sql, cases[i].want);
		free(sql);
	}
}

static void test_trigger_quoting(void **state)
{
	(void)state;
	/* the definition is the server's and written as is; the names the plugin adds are quoted */
	nsp_trigger_row r = {.schema = "My Schema", .table = "or\"ders", .name = "Audit Row",
			     .definition = "CREATE TRIGGER \"Audit Row\" ...", .enabled = 'D'};
	char *sql = render(&r);
	assert_string_equal(sql, "CREATE TRIGGER \"Audit Row\" ...;\n"
				 "ALTER TABLE \"My Schema\".\"or\"\"ders\" DISABLE TRIGGER \"Audit Row\";");
	free(sql);
}

static void test_trigger_clone(void **state)
{
	(void)state;
	/* a partition's clone: never its definition (the parent's CREATE TRIGGER makes it), and
	 * its state even when it is the default, since the parent's differs */
	const struct {
		char enabled;
		const char *want;
	} cases[] = {
		{'O', "ALTER TABLE \"public\".\"t_2024\" ENABLE TRIGGER \"t_audit\";"},
		{'D', "ALTER TABLE \"public\".\"t_2024\" DISABLE TRIGGER \"t_audit\";"},
		{'A', "ALTER TABLE \"public\".\"t_2024\" ENABLE ALWAYS TRIGGER \"t_audit\";"},
		{'R', "ALTER TABLE \"public\".\"t_2024\" ENABLE REPLICA TRIGGER \"t_audit\";"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nsp_trigger_row r = {.schema = "public", .table = "t_2024", .name = "t_audit", .definition = DEF,
				     .enabled = cases[i].enabled, .clone = true};
		char *sql = render(&r);
		assert_string_equal(sql, cases[i].want);
		free(sql);
	}
}

static void test_trigger_appends(void **state)
{
	(void)state;
	/* the renderer appends to what the buffer holds, as every nsp_render_*() does */
	nsp_trigger_row r = {.schema = "s", .table = "t", .name = "n", .definition = "CREATE TRIGGER n", .enabled = 'O'};
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_strbuf_append(&sb, "-- before\n");
	nsp_render_trigger(&r, &sb);
	assert_string_equal(sb.data, "-- before\nCREATE TRIGGER n;");
	nsp_strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trigger_default_state),
		cmocka_unit_test(test_trigger_states),
		cmocka_unit_test(test_trigger_quoting),
		cmocka_unit_test(test_trigger_clone),
		cmocka_unit_test(test_trigger_appends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

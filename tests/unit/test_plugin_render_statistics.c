/* Extended statistics rendered from their rows, without a server (render_statistics.h): the
 * server's CREATE STATISTICS, then the statistics target when one is set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_statistics.h"

#define DEF "CREATE STATISTICS public.s_ab (ndistinct, dependencies) ON a, b FROM public.t"

static char *render(const nsp_statistics_row *r)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_statistics(r, &sb);
	return nsp_strbuf_detach(&sb);
}

static void test_statistics_default_target(void **state)
{
	(void)state;
	nsp_statistics_row r = {.schema = "public", .name = "s_ab", .definition = DEF};
	char *sql = render(&r);
	assert_string_equal(sql, DEF ";");
	free(sql);
}

static void test_statistics_target(void **state)
{
	(void)state;
	nsp_statistics_row r = {.schema = "public", .name = "s_ab", .definition = DEF, .target = "500"};
	char *sql = render(&r);
	assert_string_equal(sql, DEF ";\nALTER STATISTICS \"public\".\"s_ab\" SET STATISTICS 500;");
	free(sql);
	/* 0 is a target (no statistics gathered), not the default */
	r.target = "0";
	sql = render(&r);
	assert_string_equal(sql, DEF ";\nALTER STATISTICS \"public\".\"s_ab\" SET STATISTICS 0;");
	free(sql);
}

static void test_statistics_quoting(void **state)
{
	(void)state;
	nsp_statistics_row r = {.schema = "Stats \"Q\"", .name = "A b", .definition = "CREATE STATISTICS x",
				.target = "10"};
	char *sql = render(&r);
	assert_string_equal(sql, "CREATE STATISTICS x;\nALTER STATISTICS \"Stats \"\"Q\"\"\".\"A b\" SET STATISTICS 10;");
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statistics_default_target),
		cmocka_unit_test(test_statistics_target),
		cmocka_unit_test(test_statistics_quoting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

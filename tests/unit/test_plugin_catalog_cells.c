/* Array cells as C strings (catalog.h, nsp_cell_text_array): array_out's text form, with the
 * quoting and NULLs it writes, and what is not such an array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "catalog.h"

static void test_text_array_plain(void **state)
{
	(void)state;
	size_t n = 99;
	char **a = nsp_cell_text_array("{a,bc,d_e}", &n);
	assert_non_null(a);
	assert_int_equal(n, 3);
	assert_string_equal(a[0], "a");
	assert_string_equal(a[1], "bc");
	assert_string_equal(a[2], "d_e");
	free(a);
}

static void test_text_array_empty(void **state)
{
	(void)state;
	size_t n = 99;
	char **a = nsp_cell_text_array("{}", &n);
	assert_non_null(a);
	assert_int_equal(n, 0);
	free(a);
	/* a NULL cell (array_agg over no rows) is an empty array too */
	n = 99;
	a = nsp_cell_text_array(NULL, &n);
	assert_non_null(a);
	assert_int_equal(n, 0);
	free(a);
}

static void test_text_array_quoted(void **state)
{
	(void)state;
	/* quoted: spaces, commas, braces, the empty string, escaped quotes and backslashes, and
	 * the word NULL as a string */
	size_t n = 0;
	char **a = nsp_cell_text_array("{\"a b\",\"x,y\",\"{}\",\"\",\"q\\\"r\",\"b\\\\s\",\"NULL\"}", &n);
	assert_non_null(a);
	assert_int_equal(n, 7);
	assert_string_equal(a[0], "a b");
	assert_string_equal(a[1], "x,y");
	assert_string_equal(a[2], "{}");
	assert_string_equal(a[3], "");
	assert_string_equal(a[4], "q\"r");
	assert_string_equal(a[5], "b\\s");
	assert_string_equal(a[6], "NULL");
	free(a);
}

static void test_text_array_nulls(void **state)
{
	(void)state;
	size_t n = 0;
	char **a = nsp_cell_text_array("{NULL,x,NULL}", &n);
	assert_non_null(a);
	assert_int_equal(n, 3);
	assert_null(a[0]);
	assert_string_equal(a[1], "x");
	assert_null(a[2]);
	free(a);
	/* a one-element array */
	a = nsp_cell_text_array("{NULL}", &n);
	assert_non_null(a);
	assert_int_equal(n, 1);
	assert_null(a[0]);
	free(a);
}

static void test_text_array_malformed(void **state)
{
	(void)state;
	/* not an array, unterminated, text after the end, nested (two dimensions), a stray quote */
	static const char *const bad[] = {"", "a,b", "{a,b", "{\"a}", "{a}x", "{}x", "{{a},{b}}", "{a\"b}",
					  "{\"a\"b}", "{a,\"b\\"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = 0;
		char **a = nsp_cell_text_array(bad[i], &n);
		if (a != NULL)
			fail_msg("parsed malformed array %s", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_array_plain),
		cmocka_unit_test(test_text_array_empty),
		cmocka_unit_test(test_text_array_quoted),
		cmocka_unit_test(test_text_array_nulls),
		cmocka_unit_test(test_text_array_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The one table-pattern matcher of the plugin's selection and the host's data step: `*`, `?` as
 * one character also in non-ASCII (UTF-8) names, literal everything else, empty = every name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "table_pattern.h"

static void test_ascii(void **state)
{
	(void)state;
	assert_true(nsp_table_pattern_match("*", ""));
	assert_true(nsp_table_pattern_match("*", "actor"));
	assert_true(nsp_table_pattern_match("pay*", "payment_p2022_01"));
	assert_true(nsp_table_pattern_match("payment_p2022_0?", "payment_p2022_01"));
	assert_false(nsp_table_pattern_match("payment_p2022_0?", "payment_p2022_010"));
	assert_true(nsp_table_pattern_match("*_p*_0*", "payment_p2022_01"));
	assert_false(nsp_table_pattern_match("actor", "actors"));
	assert_false(nsp_table_pattern_match("actors", "actor"));
	assert_true(nsp_table_pattern_match("a*b*c", "aXbYbZc"));
	assert_false(nsp_table_pattern_match("a*b*c", "aXbYbZ"));
	assert_false(nsp_table_pattern_match("Actor", "actor")); /* case-sensitive */
	assert_false(nsp_table_pattern_match("?", ""));
}

static void test_empty_pattern_matches_all(void **state)
{
	(void)state;
	assert_true(nsp_table_pattern_match(NULL, "anything"));
	assert_true(nsp_table_pattern_match("", "anything"));
	assert_true(nsp_table_pattern_match("", ""));
}

/* Characters that glob(7) and fnmatch(3) give a meaning are plain bytes in a table name. */
static void test_literal_specials(void **state)
{
	(void)state;
	assert_true(nsp_table_pattern_match("a[1]", "a[1]"));
	assert_false(nsp_table_pattern_match("a[12]", "a1"));
	assert_true(nsp_table_pattern_match("a\\b", "a\\b"));
	assert_true(nsp_table_pattern_match("x.y", "x.y"));
	assert_false(nsp_table_pattern_match("x.y", "xzy"));
}

/* `?` is one character, whatever its UTF-8 length (2, 3 and 4 bytes here). */
static void test_non_ascii_question_mark(void **state)
{
	(void)state;
	assert_true(nsp_table_pattern_match("caf?", "café"));         /* é: 2 bytes */
	assert_false(nsp_table_pattern_match("caf??", "café"));
	assert_true(nsp_table_pattern_match("?_orders", "€_orders"));  /* €: 3 bytes */
	assert_true(nsp_table_pattern_match("t?", "t😀"));             /* 4 bytes */
	assert_false(nsp_table_pattern_match("t?", "t😀x"));
	assert_true(nsp_table_pattern_match("???", "日本語"));
	assert_false(nsp_table_pattern_match("??", "日本語"));
	assert_false(nsp_table_pattern_match("????", "日本語"));
	assert_true(nsp_table_pattern_match("Zeitplan_?berblick", "Zeitplan_Überblick"));
}

/* `*` backtracks by whole characters, and literal non-ASCII bytes compare exactly. */
static void test_non_ascii_star(void **state)
{
	(void)state;
	assert_true(nsp_table_pattern_match("*é", "réé"));
	assert_true(nsp_table_pattern_match("*?é", "réé"));
	assert_true(nsp_table_pattern_match("r*?", "rü"));
	assert_false(nsp_table_pattern_match("*è", "café")); /* same lead byte, other character */
	assert_true(nsp_table_pattern_match("日*語", "日本語"));
	assert_true(nsp_table_pattern_match("*?本?", "日本語"));
	assert_false(nsp_table_pattern_match("*?日", "日本語"));
}

/* Bytes that are not UTF-8 (a LATIN1 database's names) count one character each. */
static void test_invalid_utf8(void **state)
{
	(void)state;
	assert_true(nsp_table_pattern_match("caf?", "caf\xe9"));
	assert_true(nsp_table_pattern_match("??", "\xe9\xe9"));
	assert_true(nsp_table_pattern_match("*\xe9", "\xe9\xe9"));
}

static void test_refs(void **state)
{
	(void)state;
	Neosync__Plugin__V1__TableRef a = NEOSYNC__PLUGIN__V1__TABLE_REF__INIT;
	Neosync__Plugin__V1__TableRef b = NEOSYNC__PLUGIN__V1__TABLE_REF__INIT;
	a.schema = "sales";
	a.table = "";
	b.schema = NULL;
	b.table = "caf?";
	Neosync__Plugin__V1__TableRef *refs[] = {NULL, &a, &b};
	assert_true(nsp_table_ref_matches(&a, "sales", "anything"));
	assert_false(nsp_table_ref_matches(&a, "hr", "anything"));
	assert_true(nsp_table_ref_matches(&b, "any", "café"));
	assert_true(nsp_table_refs_match_any(refs, 3, "sales", "x"));
	assert_true(nsp_table_refs_match_any(refs, 3, "hr", "café"));
	assert_false(nsp_table_refs_match_any(refs, 3, "hr", "cafés"));
	assert_false(nsp_table_refs_match_any(refs, 0, "sales", "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_empty_pattern_matches_all),
		cmocka_unit_test(test_literal_specials),
		cmocka_unit_test(test_non_ascii_question_mark),
		cmocka_unit_test(test_non_ascii_star),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

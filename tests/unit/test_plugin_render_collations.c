/* Collations rendered from their rows, without a server (render_collations.h): CREATE COLLATION
 * as pg_dump's dumpCollation writes it, for each provider and the three places a locale lives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_collations.h"

static char *render(const nsp_collation_row *r)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_collation(r, &sb);
	return nsp_strbuf_detach(&sb);
}

static void test_collation_libc_one_locale(void **state)
{
	(void)state;
	/* LC_COLLATE and LC_CTYPE agree: one locale, as pg_dump writes it */
	nsp_collation_row r = {.schema = "public", .name = "german", .provider = 'c', .deterministic = true,
			       .collate = "de_DE.utf8", .ctype = "de_DE.utf8"};
	char *sql = render(&r);
	assert_string_equal(sql, "CREATE COLLATION \"public\".\"german\" (provider = libc, locale = 'de_DE.utf8');");
	free(sql);
}

static void test_collation_libc_two_locales(void **state)
{
	(void)state;
	nsp_collation_row r = {.schema = "public", .name = "mixed", .provider = 'c', .deterministic = true,
			       .collate = "C", .ctype = "en_US.utf8"};
	char *sql = render(&r);
	assert_string_equal(sql, "CREATE COLLATION \"public\".\"mixed\" (provider = libc, lc_collate = 'C', "
				 "lc_ctype = 'en_US.utf8');");
	free(sql);
	/* one of them missing: both written, the missing one empty */
	r.ctype = NULL;
	sql = render(&r);
	assert_string_equal(sql, "CREATE COLLATION \"public\".\"mixed\" (provider = libc, lc_collate = 'C', "
				 "lc_ctype = '');");
	free(sql);
	r.collate = NULL;
	sql = render(&r);
	assert_string_equal(sql, "CREATE COLLATION \"public\".\"mixed\" (provider = libc, lc_collate = '', "
				 "lc_ctype = '');");
	free(sql);
}

static void test_collation_icu_every_option(void **state)
{
	(void)state;
	/* the ICU locale wins over LC_COLLATE/LC_CTYPE; quotes in the rules are doubled */
	nsp_collation_row r = {.schema = "Coll S", .name = "Case\"Insensitive", .provider = 'i',
			       .deterministic = false, .collate = "en_US.utf8", .ctype = "en_US.utf8",
			       .locale = "und-u-ks-level2", .rules = "&a < 'b'"};
	char *sql = render(&r);
	assert_string_equal(sql, "CREATE COLLATION \"Coll S\".\"Case\"\"Insensitive\" (provider = icu, "
				 "deterministic = false, locale = 'und-u-ks-level2', rules = '&a < ''b''');");
	free(sql);
}

static void test_collation_icu_locale_in_collcollate(void **state)
{
	(void)state;
	/* before 15 an ICU collation keeps its locale in collcollate (= collctype) */
	nsp_collation_row r = {.schema = "public", .name = "fr", .provider = 'i', .deterministic = true,
			       .collate = "fr-FR", .ctype = "fr-FR"};
	char *sql = render(&r);
	assert_string_equal(sql, "CREATE COLLATION \"public\".\"fr\" (provider = icu, locale = 'fr-FR');");
	free(sql);
}

static void test_collation_builtin(void **state)
{
	(void)state;
	nsp_collation_row r = {.schema = "public", .name = "b", .provider = 'b', .deterministic = true,
			       .locale = "C.UTF-8"};
	char *sql = render(&r);
	assert_string_equal(sql, "CREATE COLLATION \"public\".\"b\" (provider = builtin, locale = 'C.UTF-8');");
	free(sql);
}

static void test_collation_backslash_literal(void **state)
{
	(void)state;
	/* a backslash in a literal: the escape-string form, so that it reads the same whatever
	 * standard_conforming_strings is */
	nsp_collation_row r = {.schema = "public", .name = "r", .provider = 'i', .deterministic = true,
			       .locale = "und", .rules = "&\\u0061 < b"};
	char *sql = render(&r);
	assert_string_equal(sql, "CREATE COLLATION \"public\".\"r\" (provider = icu, locale = 'und', "
				 "rules = E'&\\\\u0061 < b');");
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collation_libc_one_locale),
		cmocka_unit_test(test_collation_libc_two_locales),
		cmocka_unit_test(test_collation_icu_every_option),
		cmocka_unit_test(test_collation_icu_locale_in_collcollate),
		cmocka_unit_test(test_collation_builtin),
		cmocka_unit_test(test_collation_backslash_literal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

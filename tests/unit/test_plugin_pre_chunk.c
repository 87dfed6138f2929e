/* Pre-sync chunks (apply_pre.c): which step a syntax error belongs to. The server parses a
 * chunk's whole string before it runs any of it, so no marker says how far it got; the error's
 * statement position (in characters, not bytes) does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply_pre.h"

static Neosync__Plugin__V1__Step steps[3];

static void chunk_of(nsp_pre_chunk *c, const char *prefix, const char *const sql[3])
{
	nsp_strbuf_init(&c->sql);
	c->n = c->next = 0;
	nsp_strbuf_append(&c->sql, prefix);
	for (size_t i = 0; i < 3; i++) {
		neosync__plugin__v1__step__init(&steps[i]);
		steps[i].sql = (char *)sql[i];
		nsp_pre_chunk_add(c, i, &steps[i], NULL);
	}
}

/* The 1-based character position, as the server reports it, of `needle` in the chunk's UTF-8
 * string. */
static char *position_of(const nsp_pre_chunk *c, const char *needle)
{
	const char *at = strstr(c->sql.data, needle);
	assert_non_null(at);
	long chars = 1;
	for (const char *p = c->sql.data; p < at; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80; /* not a continuation byte */
	static char buf[32];
	snprintf(buf, sizeof buf, "%ld", chars);
	return buf;
}

static int utf8(void)
{
	int enc = pg_char_to_encoding("UTF8");
	assert_true(enc >= 0);
	return enc;
}

static void test_the_step_that_holds_the_position(void **state)
{
	(void)state;
	static const char *const sql[3] = {"CREATE TABLE a ();", "CREATE TABLE b (x int", "CREATE TABLE c ();"};
	nsp_pre_chunk c;
	chunk_of(&c, "", sql);
	assert_int_equal(nsp_pre_chunk_step_at(&c, position_of(&c, "CREATE TABLE a"), utf8()), 0);
	assert_int_equal(nsp_pre_chunk_step_at(&c, position_of(&c, "x int"), utf8()), 1);
	/* the error of an unclosed parenthesis is reported at the marker that follows it: still b's */
	assert_int_equal(nsp_pre_chunk_step_at(&c, position_of(&c, ";SELECT 1 AS nsp_step"), utf8()), 1);
	assert_int_equal(nsp_pre_chunk_step_at(&c, position_of(&c, "CREATE TABLE c"), utf8()), 2);
	nsp_strbuf_free(&c.sql);
}

static void test_characters_not_bytes(void **state)
{
	(void)state;
	/* 20 two-byte characters before step b: counted as bytes, the position would fall in a */
	static const char *const sql[3] = {"COMMENT ON TABLE t IS 'éééééééééééééééééééé';", "CREATE TABLE b (x int",
					    "CREATE TABLE c ();"};
	nsp_pre_chunk c;
	chunk_of(&c, "BEGIN;", sql);
	assert_int_equal(nsp_pre_chunk_step_at(&c, position_of(&c, "x int"), utf8()), 1);
	assert_int_equal(nsp_pre_chunk_step_at(&c, position_of(&c, "éé'"), utf8()), 0);
	/* in the chunk's BEGIN, before any step: the first */
	assert_int_equal(nsp_pre_chunk_step_at(&c, "1", utf8()), 0);
	nsp_strbuf_free(&c.sql);
}

static void test_no_usable_position(void **state)
{
	(void)state;
	static const char *const sql[3] = {"CREATE TABLE a ();", "CREATE TABLE b ();", "CREATE TABLE c ();"};
	nsp_pre_chunk c;
	chunk_of(&c, "", sql);
	assert_int_equal(nsp_pre_chunk_step_at(&c, NULL, utf8()), SIZE_MAX);
	assert_int_equal(nsp_pre_chunk_step_at(&c, "0", utf8()), SIZE_MAX);
	assert_int_equal(nsp_pre_chunk_step_at(&c, "x", utf8()), SIZE_MAX);
	assert_int_equal(nsp_pre_chunk_step_at(&c, "100000", utf8()), SIZE_MAX);
	nsp_strbuf_free(&c.sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_step_that_holds_the_position),
		cmocka_unit_test(test_characters_not_bytes),
		cmocka_unit_test(test_no_usable_position),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

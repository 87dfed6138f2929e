/* Comments rendered from their rows, without a server (render_comments.h): COMMENT ON with the
 * designator for each object type the plugin comments, the server's identity and the text as a
 * literal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_comments.h"

/* The SQL for a row, or NULL when the renderer refuses it (after checking it wrote nothing). */
static char *render(const nsp_comment_row *r)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	bool ok = nsp_render_comment(r, &sb);
	if (!ok) {
		assert_int_equal(sb.len, 0);
		nsp_strbuf_free(&sb);
		return NULL;
	}
	return nsp_strbuf_detach(&sb);
}

static void test_comment_designators(void **state)
{
	(void)state;
	const struct {
		const char *type, *designator;
	} cases[] = {
		/* the designators that are not the type's own name upper-cased */
		{"view column", "COLUMN"},
		{"composite type column", "COLUMN"},
		{"composite type", "TYPE"},
		{"table constraint", "CONSTRAINT"},
		{"domain constraint", "CONSTRAINT"},
		{"statistics object", "STATISTICS"},
		/* and some that are */
		{"materialized view", "MATERIALIZED VIEW"},
		{"text search dictionary", "TEXT SEARCH DICTIONARY"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nsp_comment_row r = {.type = cases[i].type, .identity = "public.x", .description = "d"};
		char *sql = render(&r);
		assert_non_null(sql);
		char want[128];
		snprintf(want, sizeof(want), "COMMENT ON %s public.x IS 'd';", cases[i].designator);
		assert_string_equal(sql, want);
		free(sql);
	}
}

static void test_comment_identity_as_the_server_wrote_it(void **state)
{
	(void)state;
	/* the identity is written as is: the server quoted what needs quotes */
	nsp_comment_row r = {.type = "trigger", .identity = "\"Audit\" on public.\"Order Items\"",
			     .description = "keeps history"};
	char *sql = render(&r);
	assert_string_equal(sql, "COMMENT ON TRIGGER \"Audit\" on public.\"Order Items\" IS 'keeps history';");
	free(sql);
	r = (nsp_comment_row){.type = "function", .identity = "public.add(integer, integer)", .description = "sum"};
	sql = render(&r);
	assert_string_equal(sql, "COMMENT ON FUNCTION public.add(integer, integer) IS 'sum';");
	free(sql);
}

static void test_comment_domain_constraint(void **state)
{
	(void)state;
	/* COMMENT ON takes "CONSTRAINT c ON DOMAIN d", which the query builds, not the identity */
	nsp_comment_row r = {.type = "domain constraint", .identity = "\"Positive\" on public.amount",
			     .domain_target = "CONSTRAINT \"Positive\" ON DOMAIN public.amount", .description = "> 0"};
	char *sql = render(&r);
	assert_string_equal(sql, "COMMENT ON CONSTRAINT \"Positive\" ON DOMAIN public.amount IS '> 0';");
	free(sql);
}

static void test_comment_text_literal(void **state)
{
	(void)state;
	nsp_comment_row r = {.type = "table", .identity = "public.t", .description = "it's the\nmain table"};
	char *sql = render(&r);
	assert_string_equal(sql, "COMMENT ON TABLE public.t IS 'it''s the\nmain table';");
	free(sql);
	r.description = "C:\\data";
	sql = render(&r);
	assert_string_equal(sql, "COMMENT ON TABLE public.t IS E'C:\\\\data';");
	free(sql);
	r.description = "";
	sql = render(&r);
	assert_string_equal(sql, "COMMENT ON TABLE public.t IS '';");
	free(sql);
}

static void test_comment_types_not_commented(void **state)
{
	(void)state;
	/* objects the model does not create: false, nothing written */
	const char *types[] = {"role", "event trigger", "foreign-data wrapper", "index column", "", NULL};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		nsp_comment_row r = {.type = types[i], .identity = "x", .description = "d"};
		assert_null(render(&r));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comment_designators),
		cmocka_unit_test(test_comment_identity_as_the_server_wrote_it),
		cmocka_unit_test(test_comment_domain_constraint),
		cmocka_unit_test(test_comment_text_literal),
		cmocka_unit_test(test_comment_types_not_commented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Schemas and extensions rendered from their rows, without a server (render_schemas.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_schemas.h"

static void test_schema(void **state)
{
	(void)state;
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_schema("app", &sb);
	assert_string_equal(sb.data, "CREATE SCHEMA \"app\";");
	nsp_strbuf_reset(&sb);
	nsp_render_schema("My \"Schema\"", &sb);
	assert_string_equal(sb.data, "CREATE SCHEMA \"My \"\"Schema\"\"\";");
	nsp_strbuf_free(&sb);
}

static void test_schema_public(void **state)
{
	(void)state;
	/* every database has public: its step runs nothing; another case is another schema */
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_schema("public", &sb);
	assert_string_equal(sb.data, "");
	assert_int_equal(sb.len, 0);
	nsp_render_schema("Public", &sb);
	assert_string_equal(sb.data, "CREATE SCHEMA \"Public\";");
	nsp_strbuf_free(&sb);
}

static void test_extension(void **state)
{
	(void)state;
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_extension(&(nsp_extension_row){.name = "pg_trgm", .schema = "public"}, &sb);
	assert_string_equal(sb.data, "CREATE EXTENSION IF NOT EXISTS \"pg_trgm\" WITH SCHEMA \"public\";");
	nsp_strbuf_reset(&sb);
	nsp_render_extension(&(nsp_extension_row){.name = "uuid-ossp", .schema = "Ext \"X\""}, &sb);
	assert_string_equal(sb.data, "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" WITH SCHEMA \"Ext \"\"X\"\"\";");
	nsp_strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_schema_public),
		cmocka_unit_test(test_extension),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

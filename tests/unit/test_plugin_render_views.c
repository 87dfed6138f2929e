/* Views and materialized views rendered from their rows, without a server (render_views.h):
 * every optional clause of CREATE [MATERIALIZED] VIEW as pg_dump writes it, and REFRESH. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_assert.h"
#include "render_views.h"

static void test_view_plain(void **state)
{
	(void)state;
	/* pg_get_viewdef's ';' and trailing whitespace go; no options, no check option */
	nsp_view_row r = {.schema = "public", .name = "v", .definition = " SELECT t.a\n   FROM public.t;\n"};
	assert_rendered(nsp_render_view, &r, "CREATE VIEW \"public\".\"v\" AS\n SELECT t.a\n   FROM public.t;");
	/* an empty options string is no WITH; a definition without ';' is kept whole */
	r.options = "";
	r.definition = " SELECT 1";
	assert_rendered(nsp_render_view, &r, "CREATE VIEW \"public\".\"v\" AS\n SELECT 1;");
	/* no definition at all (NULL cell) */
	r.definition = NULL;
	assert_rendered(nsp_render_view, &r, "CREATE VIEW \"public\".\"v\" AS\n;");
}

static void test_view_options_and_check(void **state)
{
	(void)state;
	/* options on the same line, quoted names; LOCAL and CASCADED check options */
	nsp_view_row r = {.schema = "Odd s", .name = "V\"i", .definition = " SELECT 1 AS one;",
			  .options = "security_barrier=true, security_invoker=true", .check_option = "LOCAL"};
	assert_rendered(nsp_render_view, &r,
			"CREATE VIEW \"Odd s\".\"V\"\"i\" WITH (security_barrier=true, security_invoker=true) AS\n"
			" SELECT 1 AS one\n  WITH LOCAL CHECK OPTION;");
	r.options = NULL;
	r.check_option = "CASCADED";
	assert_rendered(nsp_render_view, &r, "CREATE VIEW \"Odd s\".\"V\"\"i\" AS\n SELECT 1 AS one\n  WITH CASCADED CHECK OPTION;");
}

static void test_view_column_defaults(void **state)
{
	(void)state;
	/* the column statements follow on a line of their own; an empty one adds nothing */
	nsp_view_row r = {.schema = "public", .name = "v", .definition = " SELECT t.b\n   FROM public.t;",
			  .column_sql = "ALTER VIEW public.v ALTER COLUMN b SET DEFAULT 'x'::text;"};
	assert_rendered(nsp_render_view, &r,
			"CREATE VIEW \"public\".\"v\" AS\n SELECT t.b\n   FROM public.t;\n"
			"ALTER VIEW public.v ALTER COLUMN b SET DEFAULT 'x'::text;");
	r.column_sql = "";
	assert_rendered(nsp_render_view, &r, "CREATE VIEW \"public\".\"v\" AS\n SELECT t.b\n   FROM public.t;");
}

static void test_matview_plain(void **state)
{
	(void)state;
	/* always WITH NO DATA (the data is a REFRESH step); heap is the default method; a check
	 * option is a view's only */
	nsp_view_row r = {.schema = "public", .name = "m", .materialized = true, .definition = " SELECT 1 AS a;",
			  .access_method = "heap", .check_option = "LOCAL"};
	assert_rendered(nsp_render_view, &r, "CREATE MATERIALIZED VIEW \"public\".\"m\" AS\n SELECT 1 AS a\n  WITH NO DATA;");
	r.access_method = NULL;
	assert_rendered(nsp_render_view, &r, "CREATE MATERIALIZED VIEW \"public\".\"m\" AS\n SELECT 1 AS a\n  WITH NO DATA;");
}

static void test_matview_every_clause(void **state)
{
	(void)state;
	/* USING a non-default method, options on a line of their own, column statements */
	nsp_view_row r = {.schema = "public", .name = "m", .materialized = true, .definition = " SELECT 1 AS a;",
			  .access_method = "col\"am", .options = "fillfactor=70, toast.autovacuum_enabled=false",
			  .column_sql = "ALTER MATERIALIZED VIEW public.m ALTER COLUMN a SET STATISTICS 50;\n"
					"ALTER MATERIALIZED VIEW public.m ALTER COLUMN a SET STORAGE MAIN;"};
	assert_rendered(nsp_render_view, &r,
			"CREATE MATERIALIZED VIEW \"public\".\"m\" USING \"col\"\"am\"\n"
			"WITH (fillfactor=70, toast.autovacuum_enabled=false) AS\n SELECT 1 AS a\n  WITH NO DATA;\n"
			"ALTER MATERIALIZED VIEW public.m ALTER COLUMN a SET STATISTICS 50;\n"
			"ALTER MATERIALIZED VIEW public.m ALTER COLUMN a SET STORAGE MAIN;");
}

static void test_matview_refresh(void **state)
{
	(void)state;
	nsp_view_row r = {.schema = "My s", .name = "m\"v", .materialized = true};
	assert_rendered(nsp_render_matview_refresh, &r, "REFRESH MATERIALIZED VIEW \"My s\".\"m\"\"v\";");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_view_plain),
		cmocka_unit_test(test_view_options_and_check),
		cmocka_unit_test(test_view_column_defaults),
		cmocka_unit_test(test_matview_plain),
		cmocka_unit_test(test_matview_every_clause),
		cmocka_unit_test(test_matview_refresh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

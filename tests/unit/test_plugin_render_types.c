/* User types rendered from their rows, without a server (render_types.h): enums, composite
 * types, range types and domains with every optional clause, and domain CHECK constraints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_assert.h"
#include "render_types.h"

static void test_enum(void **state)
{
	(void)state;
	/* one label a line, quoted as literals (E'' for a backslash) */
	char *labels[] = {"a", "it's", "back\\slash"};
	nsp_enum_row r = {.qualified = "\"Odd s\".\"E t\"", .labels = labels, .nlabels = 3};
	assert_rendered(nsp_render_enum, &r,
			"CREATE TYPE \"Odd s\".\"E t\" AS ENUM (\n    'a',\n    'it''s',\n    E'back\\\\slash'\n);");
	r.nlabels = 1;
	assert_rendered(nsp_render_enum, &r, "CREATE TYPE \"Odd s\".\"E t\" AS ENUM (\n    'a'\n);");
	/* no labels */
	r.nlabels = 0;
	assert_rendered(nsp_render_enum, &r, "CREATE TYPE \"Odd s\".\"E t\" AS ENUM (\n);");
}

static void test_composite(void **state)
{
	(void)state;
	/* COLLATE only where given */
	char *names[] = {"x", "\"Y y\"", "z"};
	char *types[] = {"integer", "text", "numeric(5,2)"};
	char *collations[] = {NULL, "pg_catalog.\"C\"", NULL};
	nsp_composite_row r = {.qualified = "public.comp", .names = names, .types = types,
			       .collations = collations, .nattributes = 3};
	assert_rendered(nsp_render_composite, &r,
			"CREATE TYPE public.comp AS (\n    x integer,\n    \"Y y\" text COLLATE pg_catalog.\"C\",\n"
			"    z numeric(5,2)\n);");
	/* no attributes */
	r.nattributes = 0;
	assert_rendered(nsp_render_composite, &r, "CREATE TYPE public.comp AS (\n);");
}

static void test_range_minimal(void **state)
{
	(void)state;
	nsp_range_row r = {.qualified = "public.fr", .subtype = "double precision"};
	assert_rendered(nsp_render_range, &r, "CREATE TYPE public.fr AS RANGE (\n    subtype = double precision\n);");
}

static void test_range_every_clause(void **state)
{
	(void)state;
	nsp_range_row r = {.qualified = "public.tr", .subtype = "text", .multirange = "public.trm",
			   .subtype_opclass = "pg_catalog.text_pattern_ops", .collation = "pg_catalog.\"C\"",
			   .subtype_diff = "public.tdiff"};
	assert_rendered(nsp_render_range, &r,
			"CREATE TYPE public.tr AS RANGE (\n    subtype = text,\n    multirange_type_name = public.trm,\n"
			"    subtype_opclass = pg_catalog.text_pattern_ops,\n    collation = pg_catalog.\"C\",\n"
			"    subtype_diff = public.tdiff\n);");
	/* each alone */
	nsp_range_row m = {.qualified = "public.ir", .subtype = "integer", .multirange = "public.irm"};
	assert_rendered(nsp_render_range, &m,
			"CREATE TYPE public.ir AS RANGE (\n    subtype = integer,\n    multirange_type_name = public.irm\n);");
	nsp_range_row d = {.qualified = "public.fr", .subtype = "double precision", .subtype_diff = "public.fdiff"};
	assert_rendered(nsp_render_range, &d,
			"CREATE TYPE public.fr AS RANGE (\n    subtype = double precision,\n    subtype_diff = public.fdiff\n);");
	nsp_range_row o = {.qualified = "public.tr", .subtype = "text", .subtype_opclass = "public.ops"};
	assert_rendered(nsp_render_range, &o,
			"CREATE TYPE public.tr AS RANGE (\n    subtype = text,\n    subtype_opclass = public.ops\n);");
	nsp_range_row c = {.qualified = "public.tr", .subtype = "text", .collation = "public.coll"};
	assert_rendered(nsp_render_range, &c,
			"CREATE TYPE public.tr AS RANGE (\n    subtype = text,\n    collation = public.coll\n);");
}

static void test_domain(void **state)
{
	(void)state;
	nsp_domain_row r = {.qualified = "public.d", .basetype = "integer"};
	assert_rendered(nsp_render_domain, &r, "CREATE DOMAIN public.d AS integer;");
	r.basetype = "character varying(10)";
	r.collation = "pg_catalog.\"C\"";
	r.default_expr = "'x'::character varying";
	r.notnull = true;
	assert_rendered(nsp_render_domain, &r,
			"CREATE DOMAIN public.d AS character varying(10) COLLATE pg_catalog.\"C\" "
			"DEFAULT 'x'::character varying NOT NULL;");
	/* a named NOT NULL constraint (17+) */
	r.collation = NULL;
	r.default_expr = NULL;
	r.notnull_name = "\"D nn\"";
	assert_rendered(nsp_render_domain, &r,
			"CREATE DOMAIN public.d AS character varying(10) CONSTRAINT \"D nn\" NOT NULL;");
	/* the name of a NOT NULL constraint is nothing without NOT NULL; a default alone */
	r.notnull = false;
	r.default_expr = "0";
	assert_rendered(nsp_render_domain, &r, "CREATE DOMAIN public.d AS character varying(10) DEFAULT 0;");
}

static void test_domain_constraint(void **state)
{
	(void)state;
	nsp_domain_constraint_row r = {.domain = "\"Odd s\".\"D 2\"", .name = "\"Big one\"",
				       .definition = "CHECK ((VALUE < 1000)) NOT VALID"};
	assert_rendered(nsp_render_domain_constraint, &r,
			"ALTER DOMAIN \"Odd s\".\"D 2\" ADD CONSTRAINT \"Big one\" CHECK ((VALUE < 1000)) NOT VALID;");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_composite),
		cmocka_unit_test(test_range_minimal),
		cmocka_unit_test(test_range_every_clause),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_domain_constraint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

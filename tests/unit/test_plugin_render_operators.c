/* Operators, casts, operator families and classes and text search objects rendered from their
 * rows, without a server (render_operators.h): every optional clause pg_dump writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_assert.h"
#include "render_operators.h"

static void test_operator_minimal(void **state)
{
	(void)state;
	/* a prefix operator: no LEFTARG */
	nsp_operator_row r = {.qualified = "\"Odd s\".~~~", .function = "public.ineg", .right = "integer"};
	assert_rendered(nsp_render_operator, &r,
			"CREATE OPERATOR \"Odd s\".~~~ (\n    FUNCTION = public.ineg,\n    RIGHTARG = integer\n);");
}

static void test_operator_every_clause(void **state)
{
	(void)state;
	nsp_operator_row r = {.qualified = "public.===", .function = "public.ieq", .left = "integer",
			      .right = "bigint", .commutator = "OPERATOR(public.===)",
			      .negator = "OPERATOR(public.!==)", .merges = true, .hashes = true,
			      .restrict_fn = "eqsel", .join_fn = "eqjoinsel"};
	assert_rendered(nsp_render_operator, &r,
			"CREATE OPERATOR public.=== (\n    FUNCTION = public.ieq,\n    LEFTARG = integer,\n"
			"    RIGHTARG = bigint,\n    COMMUTATOR = OPERATOR(public.===),\n"
			"    NEGATOR = OPERATOR(public.!==),\n    MERGES,\n    HASHES,\n    RESTRICT = eqsel,\n"
			"    JOIN = eqjoinsel\n);");
	/* each alone */
	nsp_operator_row n = {.qualified = "public.!==", .function = "public.ine", .left = "integer",
			      .negator = "OPERATOR(public.===)", .join_fn = "neqjoinsel"};
	assert_rendered(nsp_render_operator, &n,
			"CREATE OPERATOR public.!== (\n    FUNCTION = public.ine,\n    LEFTARG = integer,\n"
			"    NEGATOR = OPERATOR(public.===),\n    JOIN = neqjoinsel\n);");
	nsp_operator_row h = {.qualified = "public.<<<", .function = "public.ieq", .hashes = true,
			      .restrict_fn = "scalarltsel"};
	assert_rendered(nsp_render_operator, &h,
			"CREATE OPERATOR public.<<< (\n    FUNCTION = public.ieq,\n    HASHES,\n"
			"    RESTRICT = scalarltsel\n);");
	nsp_operator_row m = {.qualified = "public.<<<", .function = "public.ieq", .merges = true,
			      .commutator = "OPERATOR(public.>>>)"};
	assert_rendered(nsp_render_operator, &m,
			"CREATE OPERATOR public.<<< (\n    FUNCTION = public.ieq,\n    COMMUTATOR = OPERATOR(public.>>>),\n"
			"    MERGES\n);");
}

static void test_cast(void **state)
{
	(void)state;
	nsp_cast_row r = {.source = "public.mood", .target = "text", .method = 'f',
			  .function = "public.mood_text(public.mood)", .context = 'a'};
	assert_rendered(nsp_render_cast, &r,
			"CREATE CAST (public.mood AS text) WITH FUNCTION public.mood_text(public.mood) AS ASSIGNMENT;");
	r.method = 'i';
	r.context = 'i';
	assert_rendered(nsp_render_cast, &r, "CREATE CAST (public.mood AS text) WITH INOUT AS IMPLICIT;");
	r.method = 'b';
	r.context = 'e';
	assert_rendered(nsp_render_cast, &r, "CREATE CAST (public.mood AS text) WITHOUT FUNCTION;");
}

static char *strategies[] = {"1", "15"};
static char *operators[] = {"<(integer,bigint)", "<->(point,point)"};
static char *sort_families[] = {NULL, "pg_catalog.float_ops"};
static char *numbers[] = {"1", "2"};
static char *lefttypes[] = {"integer", "integer"};
static char *righttypes[] = {"bigint", "integer"};
static char *functions[] = {"public.icmp8(integer,bigint)", "public.sort(internal)"};

/* n operators and m functions of the arrays above */
static nsp_opclass_members members(size_t n, size_t m)
{
	return (nsp_opclass_members){.noperators = n, .strategies = strategies, .operators = operators,
				     .sort_families = sort_families, .nfunctions = m, .numbers = numbers,
				     .lefttypes = lefttypes, .righttypes = righttypes, .functions = functions};
}

static void test_opfamily(void **state)
{
	(void)state;
	nsp_opfamily_row r = {.qualified = "\"Odd s\".fam2", .method = "btree", .members = members(0, 0)};
	assert_rendered(nsp_render_opfamily, &r, "CREATE OPERATOR FAMILY \"Odd s\".fam2 USING btree;");
	/* loose members: operators (a search one, an ordering one) before functions */
	r.members = members(2, 2);
	assert_rendered(nsp_render_opfamily, &r,
			"CREATE OPERATOR FAMILY \"Odd s\".fam2 USING btree;\n"
			"ALTER OPERATOR FAMILY \"Odd s\".fam2 USING btree ADD\n"
			"    OPERATOR 1 <(integer,bigint),\n"
			"    OPERATOR 15 <->(point,point) FOR ORDER BY pg_catalog.float_ops,\n"
			"    FUNCTION 1 (integer, bigint) public.icmp8(integer,bigint),\n"
			"    FUNCTION 2 (integer, integer) public.sort(internal);");
	/* functions alone */
	r.members = members(0, 1);
	assert_rendered(nsp_render_opfamily, &r,
			"CREATE OPERATOR FAMILY \"Odd s\".fam2 USING btree;\n"
			"ALTER OPERATOR FAMILY \"Odd s\".fam2 USING btree ADD\n"
			"    FUNCTION 1 (integer, bigint) public.icmp8(integer,bigint);");
	/* operators alone */
	r.members = members(1, 0);
	assert_rendered(nsp_render_opfamily, &r,
			"CREATE OPERATOR FAMILY \"Odd s\".fam2 USING btree;\n"
			"ALTER OPERATOR FAMILY \"Odd s\".fam2 USING btree ADD\n"
			"    OPERATOR 1 <(integer,bigint);");
}

static void test_opclass(void **state)
{
	(void)state;
	/* DEFAULT, members */
	nsp_opclass_row r = {.qualified = "public.cls", .is_default = true, .type = "integer", .method = "btree",
			     .family = "public.fam", .members = members(1, 1)};
	assert_rendered(nsp_render_opclass, &r,
			"CREATE OPERATOR CLASS public.cls\n    DEFAULT FOR TYPE integer USING btree FAMILY public.fam AS\n"
			"    OPERATOR 1 <(integer,bigint),\n    FUNCTION 1 (integer, bigint) public.icmp8(integer,bigint);");
	/* STORAGE first */
	r.is_default = false;
	r.method = "gist";
	r.storage = "bigint";
	r.members = members(2, 0);
	assert_rendered(nsp_render_opclass, &r,
			"CREATE OPERATOR CLASS public.cls\n    FOR TYPE integer USING gist FAMILY public.fam AS\n"
			"    STORAGE bigint,\n    OPERATOR 1 <(integer,bigint),\n"
			"    OPERATOR 15 <->(point,point) FOR ORDER BY pg_catalog.float_ops;");
	/* STORAGE alone */
	r.members = members(0, 0);
	assert_rendered(nsp_render_opclass, &r,
			"CREATE OPERATOR CLASS public.cls\n    FOR TYPE integer USING gist FAMILY public.fam AS\n"
			"    STORAGE bigint;");
	/* nothing to list: STORAGE of the type itself */
	r.storage = NULL;
	assert_rendered(nsp_render_opclass, &r,
			"CREATE OPERATOR CLASS public.cls\n    FOR TYPE integer USING gist FAMILY public.fam AS\n"
			"    STORAGE integer;");
	/* functions alone */
	r.members = members(0, 2);
	assert_rendered(nsp_render_opclass, &r,
			"CREATE OPERATOR CLASS public.cls\n    FOR TYPE integer USING gist FAMILY public.fam AS\n"
			"    FUNCTION 1 (integer, bigint) public.icmp8(integer,bigint),\n"
			"    FUNCTION 2 (integer, integer) public.sort(internal);");
}

static void test_ts_dictionary(void **state)
{
	(void)state;
	nsp_ts_dictionary_row r = {.qualified = "\"Odd s\".\"Syn\"", .template_name = "pg_catalog.simple"};
	assert_rendered(nsp_render_ts_dictionary, &r,
			"CREATE TEXT SEARCH DICTIONARY \"Odd s\".\"Syn\" (\n    TEMPLATE = pg_catalog.simple );");
	r.options = "stopwords = 'english', accept = 'false'";
	assert_rendered(nsp_render_ts_dictionary, &r,
			"CREATE TEXT SEARCH DICTIONARY \"Odd s\".\"Syn\" (\n    TEMPLATE = pg_catalog.simple,\n"
			"    stopwords = 'english', accept = 'false' );");
}

static void test_ts_config(void **state)
{
	(void)state;
	char *tokens[] = {"asciiword", NULL, "word"};
	char *dicts[] = {"public.simp, english_stem", "simple", "simple"};
	nsp_ts_config_row r = {.qualified = "public.cfg", .parser = "pg_catalog.\"default\"", .tokens = tokens,
			       .dictionaries = dicts, .nmappings = 0};
	assert_rendered(nsp_render_ts_config, &r,
			"CREATE TEXT SEARCH CONFIGURATION public.cfg (\n    PARSER = pg_catalog.\"default\" );");
	/* a token type the parser does not name is left out */
	r.nmappings = 3;
	assert_rendered(nsp_render_ts_config, &r,
			"CREATE TEXT SEARCH CONFIGURATION public.cfg (\n    PARSER = pg_catalog.\"default\" );\n"
			"ALTER TEXT SEARCH CONFIGURATION public.cfg\n    ADD MAPPING FOR asciiword WITH public.simp, english_stem;\n"
			"ALTER TEXT SEARCH CONFIGURATION public.cfg\n    ADD MAPPING FOR word WITH simple;");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operator_minimal),
		cmocka_unit_test(test_operator_every_clause),
		cmocka_unit_test(test_cast),
		cmocka_unit_test(test_opfamily),
		cmocka_unit_test(test_opclass),
		cmocka_unit_test(test_ts_dictionary),
		cmocka_unit_test(test_ts_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

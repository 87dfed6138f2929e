/* Functions and aggregates rendered from their rows, without a server (render_functions.h):
 * pg_get_functiondef()'s statement closed with ';', and CREATE AGGREGATE with each clause pg_dump
 * writes only when it differs from the default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_assert.h"
#include "render_functions.h"

static void test_function_definition(void **state)
{
	(void)state;
	/* trailing newlines and spaces go, ';' closes it; inner newlines stay */
	nsp_function_row r = {.definition = "CREATE OR REPLACE FUNCTION public.f()\n RETURNS integer\n"
					    " LANGUAGE sql\nRETURN 1\n \n"};
	assert_rendered(nsp_render_function, &r,
			"CREATE OR REPLACE FUNCTION public.f()\n RETURNS integer\n LANGUAGE sql\nRETURN 1;");
	r.definition = "CREATE OR REPLACE PROCEDURE public.p()\n LANGUAGE sql\nBEGIN ATOMIC\n SELECT 1;\nEND";
	assert_rendered(nsp_render_function, &r,
			"CREATE OR REPLACE PROCEDURE public.p()\n LANGUAGE sql\nBEGIN ATOMIC\n SELECT 1;\nEND;");
	r.definition = NULL;
	assert_rendered(nsp_render_function, &r, ";");
}

/* A normal aggregate with every optional clause at its default. */
static nsp_aggregate_row plain(void)
{
	return (nsp_aggregate_row){.schema = "public", .name = "agg", .arguments = "integer", .nargs = 1,
				   .kind = 'n', .transfn = "public.sfn", .transtype = "integer",
				   .finalmodify = 'r', .mfinalmodify = 'r', .parallel = 'u'};
}

static void test_aggregate_minimal(void **state)
{
	(void)state;
	nsp_aggregate_row r = plain();
	assert_rendered(nsp_render_aggregate, &r,
			"CREATE AGGREGATE \"public\".\"agg\"(integer) (\n    SFUNC = public.sfn,\n    STYPE = integer\n);");
	/* no arguments: (*); quoted names */
	r.schema = "My s";
	r.name = "a\"g";
	r.nargs = 0;
	r.arguments = "";
	assert_rendered(nsp_render_aggregate, &r,
			"CREATE AGGREGATE \"My s\".\"a\"\"g\"(*) (\n    SFUNC = public.sfn,\n    STYPE = integer\n);");
}

static void test_aggregate_every_clause(void **state)
{
	(void)state;
	nsp_aggregate_row r = plain();
	r.transspace = 16;
	r.initval = "it's\\x";
	r.finalfn = "public.ffn";
	r.finalextra = true;
	r.finalmodify = 's';
	r.combinefn = "public.cfn";
	r.serialfn = "public.ser";
	r.deserialfn = "public.deser";
	r.mtransfn = "public.msfn";
	r.minvtransfn = "public.minv";
	r.mtranstype = "bigint";
	r.mtransspace = 8;
	r.minitval = "0";
	r.mfinalfn = "public.mffn";
	r.mfinalextra = true;
	r.mfinalmodify = 'w';
	r.sortop = "OPERATOR(pg_catalog.<)";
	r.parallel = 's';
	assert_rendered(nsp_render_aggregate, &r,
			"CREATE AGGREGATE \"public\".\"agg\"(integer) (\n"
			"    SFUNC = public.sfn,\n    STYPE = integer,\n    SSPACE = 16,\n"
			"    INITCOND = E'it''s\\\\x',\n"
			"    FINALFUNC = public.ffn,\n    FINALFUNC_EXTRA,\n    FINALFUNC_MODIFY = SHAREABLE,\n"
			"    COMBINEFUNC = public.cfn,\n    SERIALFUNC = public.ser,\n    DESERIALFUNC = public.deser,\n"
			"    MSFUNC = public.msfn,\n    MINVFUNC = public.minv,\n    MSTYPE = bigint,\n"
			"    MSSPACE = 8,\n    MINITCOND = '0',\n"
			"    MFINALFUNC = public.mffn,\n    MFINALFUNC_EXTRA,\n    MFINALFUNC_MODIFY = READ_WRITE,\n"
			"    SORTOP = OPERATOR(pg_catalog.<),\n    PARALLEL = safe\n);");
}

static void test_aggregate_final_modify_defaults(void **state)
{
	(void)state;
	/* _MODIFY is left out at the kind's default (READ_ONLY for a normal aggregate), and so is
	 * _EXTRA when false; without a final function neither is written */
	nsp_aggregate_row r = plain();
	r.finalfn = "public.ffn";
	r.mfinalmodify = 's'; /* no MFINALFUNC: ignored */
	assert_rendered(nsp_render_aggregate, &r,
			"CREATE AGGREGATE \"public\".\"agg\"(integer) (\n    SFUNC = public.sfn,\n    STYPE = integer,\n"
			"    FINALFUNC = public.ffn\n);");
	r.finalmodify = 'w';
	assert_rendered(nsp_render_aggregate, &r,
			"CREATE AGGREGATE \"public\".\"agg\"(integer) (\n    SFUNC = public.sfn,\n    STYPE = integer,\n"
			"    FINALFUNC = public.ffn,\n    FINALFUNC_MODIFY = READ_WRITE\n);");
}

static void test_aggregate_ordered_set(void **state)
{
	(void)state;
	/* an ordered-set aggregate's default is READ_WRITE: READ_ONLY is written */
	nsp_aggregate_row r = plain();
	r.kind = 'o';
	r.arguments = "double precision ORDER BY double precision";
	r.transtype = "internal";
	r.finalfn = "pg_catalog.percentile_disc_final";
	r.finalextra = true;
	r.finalmodify = 'w';
	r.parallel = 'r';
	assert_rendered(nsp_render_aggregate, &r,
			"CREATE AGGREGATE \"public\".\"agg\"(double precision ORDER BY double precision) (\n"
			"    SFUNC = public.sfn,\n    STYPE = internal,\n"
			"    FINALFUNC = pg_catalog.percentile_disc_final,\n    FINALFUNC_EXTRA,\n"
			"    PARALLEL = restricted\n);");
	r.finalmodify = 'r';
	assert_rendered(nsp_render_aggregate, &r,
			"CREATE AGGREGATE \"public\".\"agg\"(double precision ORDER BY double precision) (\n"
			"    SFUNC = public.sfn,\n    STYPE = internal,\n"
			"    FINALFUNC = pg_catalog.percentile_disc_final,\n    FINALFUNC_EXTRA,\n"
			"    FINALFUNC_MODIFY = READ_ONLY,\n    PARALLEL = restricted\n);");
}

static void test_aggregate_hypothetical(void **state)
{
	(void)state;
	nsp_aggregate_row r = plain();
	r.kind = 'h';
	r.arguments = "VARIADIC \"any\" ORDER BY VARIADIC \"any\"";
	r.transtype = "internal";
	r.finalmodify = 'w';
	assert_rendered(nsp_render_aggregate, &r,
			"CREATE AGGREGATE \"public\".\"agg\"(VARIADIC \"any\" ORDER BY VARIADIC \"any\") (\n"
			"    SFUNC = public.sfn,\n    STYPE = internal,\n    HYPOTHETICAL\n);");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_function_definition),
		cmocka_unit_test(test_aggregate_minimal),
		cmocka_unit_test(test_aggregate_every_clause),
		cmocka_unit_test(test_aggregate_final_modify_defaults),
		cmocka_unit_test(test_aggregate_ordered_set),
		cmocka_unit_test(test_aggregate_hypothetical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

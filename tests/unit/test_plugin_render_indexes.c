/* Indexes rendered from their rows, without a server (render_indexes.h): the server's
 * CREATE INDEX with the statistics targets, and the ATTACH, CLUSTER ON and REPLICA IDENTITY
 * statements that name an index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_indexes.h"

#define DEF "CREATE INDEX t_lower_idx ON public.t USING btree (lower(name))"

static char *render(void (*fn)(const nsp_index_row *, nsp_strbuf *), const nsp_index_row *r)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	fn(r, &sb);
	return nsp_strbuf_detach(&sb);
}

static void test_index_definition(void **state)
{
	(void)state;
	nsp_index_row r = {.schema = "public", .table = "t", .name = "t_lower_idx", .definition = DEF};
	char *sql = render(nsp_render_index, &r);
	assert_string_equal(sql, DEF ";");
	free(sql);
}

static void test_index_statistics(void **state)
{
	(void)state;
	/* the targets come from the query, as the server quoted them, after a space */
	nsp_index_row r = {.schema = "public", .table = "t", .name = "t_lower_idx", .definition = DEF,
			   .statistics = "ALTER INDEX public.t_lower_idx ALTER COLUMN 1 SET STATISTICS 1000; "
					 "ALTER INDEX public.t_lower_idx ALTER COLUMN 2 SET STATISTICS 0;"};
	char *sql = render(nsp_render_index, &r);
	assert_string_equal(sql, DEF "; ALTER INDEX public.t_lower_idx ALTER COLUMN 1 SET STATISTICS 1000; "
				 "ALTER INDEX public.t_lower_idx ALTER COLUMN 2 SET STATISTICS 0;");
	free(sql);
}

static void test_index_attach(void **state)
{
	(void)state;
	nsp_index_row r = {.schema = "Part S", .table = "t_2024", .name = "t_2024_idx", .definition = DEF,
			   .parent_schema = "public", .parent_name = "t \"all\" idx"};
	char *sql = render(nsp_render_index_attach, &r);
	assert_string_equal(sql, "ALTER INDEX \"public\".\"t \"\"all\"\" idx\" "
				 "ATTACH PARTITION \"Part S\".\"t_2024_idx\";");
	free(sql);
}

static void test_index_cluster(void **state)
{
	(void)state;
	nsp_index_row r = {.schema = "public", .table = "Orders", .name = "orders_pkey"};
	char *sql = render(nsp_render_index_cluster, &r);
	assert_string_equal(sql, "ALTER TABLE \"public\".\"Orders\" CLUSTER ON \"orders_pkey\";");
	free(sql);
}

static void test_index_replica_identity(void **state)
{
	(void)state;
	/* ONLY, as pg_dump writes it */
	nsp_index_row r = {.schema = "s", .table = "t", .name = "t \"key\""};
	char *sql = render(nsp_render_index_replica_identity, &r);
	assert_string_equal(sql, "ALTER TABLE ONLY \"s\".\"t\" REPLICA IDENTITY USING INDEX \"t \"\"key\"\"\";");
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_definition),
		cmocka_unit_test(test_index_statistics),
		cmocka_unit_test(test_index_attach),
		cmocka_unit_test(test_index_cluster),
		cmocka_unit_test(test_index_replica_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

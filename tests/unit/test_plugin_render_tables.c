/* Tables rendered from their rows, without a server (render_tables.h): CREATE TABLE with the
 * columns pg_dump lists for plain tables, inheritance children, partitions and typed tables, every
 * optional clause, the ALTER TABLE statements that complete it, PostgreSQL 18's NOT NULL
 * constraints, and the identity and ATTACH PARTITION steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_tables.h"

#define V15 150000
#define V16 160000
#define V18 180000

static char *render(const nsp_table_row *t, int server_version, int dst_version)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_table(t, server_version, dst_version, &sb);
	return nsp_strbuf_detach(&sb);
}

static nsp_table_row table(const char *name, const nsp_column_row *columns, size_t n)
{
	return (nsp_table_row){.schema = "public", .name = name, .replident = 'd', .columns = columns,
			       .ncolumns = n};
}

/* a local column, and one a child inherits */
#define COL(n, t) .name = (n), .type = (t), .islocal = true
#define INH(n, t) .name = (n), .type = (t), .islocal = false

static void test_plain_columns(void **state)
{
	(void)state;
	nsp_column_row c[] = {
		{COL("id", "integer"), .notnull = true, .default_expr = "nextval('public.t_id_seq'::regclass)"},
		{COL("Name", "text"), .collation = "pg_catalog.\"C\""},
		{COL("twice", "integer"), .generated = 's', .default_expr = "(id * 2)"},
		{COL("v", "integer"), .generated = 'v', .default_expr = "(id * 3)", .notnull = true},
	};
	nsp_table_row t = table("t", c, 4);
	char *sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"t\" (\n"
				 "    \"id\" integer DEFAULT nextval('public.t_id_seq'::regclass) NOT NULL,\n"
				 "    \"Name\" text COLLATE pg_catalog.\"C\",\n"
				 "    \"twice\" integer GENERATED ALWAYS AS ((id * 2)) STORED,\n"
				 "    \"v\" integer GENERATED ALWAYS AS ((id * 3)) VIRTUAL NOT NULL\n"
				 ");");
	free(sql);
}

static void test_no_columns(void **state)
{
	(void)state;
	nsp_table_row t = table("e", NULL, 0);
	char *sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"e\" (\n);");
	free(sql);
}

static void test_table_clauses(void **state)
{
	(void)state;
	/* in pg_dump's order: INHERITS (not here), PARTITION BY, USING, WITH */
	nsp_column_row c[] = {{COL("k", "integer")}};
	nsp_table_row t = table("p", c, 1);
	t.unlogged = true;
	t.partkey = "RANGE (k)";
	t.access_method = "heap2";
	t.options = "fillfactor='70', toast.autovacuum_enabled='false'";
	char *sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE UNLOGGED TABLE \"public\".\"p\" (\n    \"k\" integer\n)\n"
				 "PARTITION BY RANGE (k)\nUSING heap2\n"
				 "WITH (fillfactor='70', toast.autovacuum_enabled='false');");
	free(sql);
	t.options = ""; /* no reloptions: no WITH */
	t.unlogged = false;
	t.partkey = NULL;
	t.access_method = NULL;
	sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"p\" (\n    \"k\" integer\n);");
	free(sql);
}

static void test_typed_table(void **state)
{
	(void)state;
	/* only the columns with a default or NOT NULL, WITH OPTIONS and no type */
	nsp_column_row c[] = {
		{COL("x", "integer"), .notnull = true},
		{COL("y", "text"), .default_expr = "'z'::text", .collation = "pg_catalog.\"C\""},
		{COL("w", "text")},
	};
	nsp_table_row t = table("typed", c, 3);
	t.of_type = "public.pt";
	char *sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"typed\" OF public.pt (\n"
				 "    \"x\" WITH OPTIONS NOT NULL,\n"
				 "    \"y\" WITH OPTIONS DEFAULT 'z'::text\n);");
	free(sql);
	/* none of them: no parentheses at all */
	t.ncolumns = 0;
	sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"typed\" OF public.pt;");
	free(sql);
}

static void test_inheritance_child(void **state)
{
	(void)state;
	/* a: inherited, child has its own default; b: inherited, parent's default dropped;
	 * c: inherited, NOT NULL of its own; d: inherited NOT NULL only; e: local, parent's default
	 * dropped; f: local */
	nsp_column_row c[] = {
		{INH("a", "integer"), .default_expr = "5", .inh_default = true},
		{INH("b", "text"), .inh_default = true},
		{INH("c", "text"), .notnull = true},
		{INH("d", "text"), .notnull = true, .inh_notnull = true},
		{COL("e", "text"), .inh_default = true},
		{COL("f", "integer"), .notnull = true, .inh_notnull = true},
	};
	nsp_table_row t = table("child", c, 6);
	t.inherits = "public.parent, public.other";
	char *sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"child\" (\n"
				 "    \"e\" text DEFAULT NULL,\n"
				 "    \"f\" integer\n"
				 ")\nINHERITS (public.parent, public.other);\n"
				 "ALTER TABLE ONLY \"public\".\"child\" ALTER COLUMN \"a\" SET DEFAULT 5;\n"
				 "ALTER TABLE ONLY \"public\".\"child\" ALTER COLUMN \"b\" SET DEFAULT NULL;\n"
				 "ALTER TABLE ONLY \"public\".\"child\" ALTER COLUMN \"c\" SET NOT NULL;");
	free(sql);
}

static void test_inherited_generated(void **state)
{
	(void)state;
	/* A generation expression the child inherits: restated from 16 on when listed, never
	 * when not listed (nor as SET DEFAULT). */
	nsp_column_row c[] = {
		{COL("g", "integer"), .generated = 's', .default_expr = "(a + 1)", .inh_generated = true},
		{INH("h", "integer"), .generated = 's', .default_expr = "(a + 2)",
		 .inh_generated = true},
	};
	nsp_table_row t = table("child", c, 2);
	t.inherits = "public.parent";
	char *sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"child\" (\n    \"g\" integer\n)\n"
				 "INHERITS (public.parent);");
	free(sql);
	sql = render(&t, V16, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"child\" (\n"
				 "    \"g\" integer GENERATED ALWAYS AS ((a + 1)) STORED\n)\n"
				 "INHERITS (public.parent);");
	free(sql);
}

static void test_partition(void **state)
{
	(void)state;
	/* every column, its inherited NOT NULL and default too, and no INHERITS */
	nsp_column_row c[] = {
		{INH("k", "integer"), .notnull = true, .inh_notnull = true,
		 .default_expr = "0", .inh_default = true},
		{INH("v", "text"), .inh_default = true},
	};
	nsp_table_row t = table("p_1", c, 2);
	t.partition = true;
	t.inherits = "public.p";
	char *sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"p_1\" (\n"
				 "    \"k\" integer DEFAULT 0 NOT NULL,\n"
				 "    \"v\" text\n);");
	free(sql);
}

static void test_column_settings(void **state)
{
	(void)state;
	nsp_column_row c[] = {
		{COL("s", "text"), .stattarget = "250", .storage = 'p'},
		{COL("t", "text"), .stattarget = "0", .storage = 'e', .compression = 'l'},
		{COL("u", "numeric"), .storage = 'x', .compression = 'p'},
		{COL("w", "text"), .storage = 'm', .inh_compression = true, .options = "n_distinct=5"},
		{COL("x", "text"), .stattarget = "-1", .storage = '?', .compression = '?', .options = ""},
		{COL("y", "text"), .stattarget = NULL},
	};
	nsp_table_row t = table("t", c, 6);
	char *sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"t\" (\n"
				 "    \"s\" text,\n    \"t\" text,\n    \"u\" numeric,\n"
				 "    \"w\" text,\n    \"x\" text,\n    \"y\" text\n);\n"
				 "ALTER TABLE ONLY \"public\".\"t\" ALTER COLUMN \"s\" SET STATISTICS 250;\n"
				 "ALTER TABLE ONLY \"public\".\"t\" ALTER COLUMN \"s\" SET STORAGE PLAIN;\n"
				 "ALTER TABLE ONLY \"public\".\"t\" ALTER COLUMN \"t\" SET STATISTICS 0;\n"
				 "ALTER TABLE ONLY \"public\".\"t\" ALTER COLUMN \"t\" SET STORAGE EXTERNAL;\n"
				 "ALTER TABLE ONLY \"public\".\"t\" ALTER COLUMN \"t\" SET COMPRESSION lz4;\n"
				 "ALTER TABLE ONLY \"public\".\"t\" ALTER COLUMN \"u\" SET STORAGE EXTENDED;\n"
				 "ALTER TABLE ONLY \"public\".\"t\" ALTER COLUMN \"u\" SET COMPRESSION pglz;\n"
				 "ALTER TABLE ONLY \"public\".\"t\" ALTER COLUMN \"w\" SET STORAGE MAIN;\n"
				 "ALTER TABLE ONLY \"public\".\"t\" ALTER COLUMN \"w\" SET COMPRESSION default;\n"
				 "ALTER TABLE ONLY \"public\".\"t\" ALTER COLUMN \"w\" SET (n_distinct=5);");
	free(sql);
}

static void test_identity(void **state)
{
	(void)state;
	nsp_column_row c[] = {
		{COL("a", "integer"), .notnull = true, .seq_name = "public.\"T_a_seq\"", .seq_start = "10",
		 .seq_increment = "-2", .seq_min = "-100", .seq_max = "100", .seq_cache = "3", .seq_cycle = true},
		{COL("b", "bigint"), .notnull = true, .seq_name = "public.\"T_b_seq\"", .seq_start = "1",
		 .seq_increment = "1", .seq_cache = "1"},
	};
	nsp_table_row t = table("T", c, 2);
	char *sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"T\" (\n"
				 "    \"a\" integer NOT NULL,\n    \"b\" bigint NOT NULL\n);\n"
				 "ALTER TABLE \"public\".\"T\" ALTER COLUMN \"a\" ADD GENERATED BY DEFAULT AS IDENTITY (\n"
				 "    SEQUENCE NAME public.\"T_a_seq\"\n    START WITH 10\n    INCREMENT BY -2\n"
				 "    MINVALUE -100\n    MAXVALUE 100\n    CACHE 3\n    CYCLE\n);\n"
				 "ALTER TABLE \"public\".\"T\" ALTER COLUMN \"b\" ADD GENERATED BY DEFAULT AS IDENTITY (\n"
				 "    SEQUENCE NAME public.\"T_b_seq\"\n    START WITH 1\n    INCREMENT BY 1\n"
				 "    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1\n);");
	free(sql);
}

static void test_replica_identity(void **state)
{
	(void)state;
	nsp_column_row c[] = {{COL("a", "integer")}};
	nsp_table_row t = table("r", c, 1);
	t.replident = 'f';
	char *sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"r\" (\n    \"a\" integer\n);\n"
				 "ALTER TABLE ONLY \"public\".\"r\" REPLICA IDENTITY FULL;");
	free(sql);
	t.replident = 'n';
	sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"r\" (\n    \"a\" integer\n);\n"
				 "ALTER TABLE ONLY \"public\".\"r\" REPLICA IDENTITY NOTHING;");
	free(sql);
	t.replident = 'i'; /* an index's: render_indexes.h */
	sql = render(&t, V15, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"r\" (\n    \"a\" integer\n);");
	free(sql);
}

/* a column's NOT NULL constraint (18): valid or not, local or not */
#define NN(n, valid, local) .nn_name = (n), .nn_valid = (valid), .nn_local = (local), .notnull = true

static void test_notnull_constraints(void **state)
{
	(void)state;
	/* a: the default name, not written; b: another name, written; c: NO INHERIT; d: NOT VALID
	 * (a step of its own, catalog_constraints.c); e: only inherited (comes with INHERITS) */
	nsp_column_row c[] = {
		{COL("a", "integer"), NN("t_a_not_null", true, true)},
		{COL("b", "integer"), NN("b_required", true, true)},
		{COL("c", "integer"), NN("t_c_not_null", true, true), .nn_noinherit = true},
		{COL("d", "integer"), NN("t_d_not_null", false, true)},
		{COL("e", "integer"), NN("t_e_not_null", true, false), .nn_inherited = true,
		 .inh_notnull = true},
	};
	nsp_table_row t = table("t", c, 5);
	char *sql = render(&t, V18, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"t\" (\n"
				 "    \"a\" integer NOT NULL,\n"
				 "    \"b\" integer CONSTRAINT \"b_required\" NOT NULL,\n"
				 "    \"c\" integer NOT NULL NO INHERIT,\n"
				 "    \"d\" integer,\n"
				 "    \"e\" integer\n);");
	free(sql);
	/* a partition states its inherited one too, under its parent's name */
	t.partition = true;
	t.ncolumns = 1;
	c[0] = (nsp_column_row){INH("e", "integer"), NN("p_e_not_null", true, false)};
	sql = render(&t, V18, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"t\" (\n"
				 "    \"e\" integer CONSTRAINT \"p_e_not_null\" NOT NULL\n);");
	free(sql);
}

static void test_notnull_default_name_truncated(void **state)
{
	(void)state;
	/* <table>_<column>_not_null longer than 63 bytes is truncated by the server: the name is
	 * then written out even when it reads as the default */
	const char *table40 = "tttttttttttttttttttttttttttttttttttttttt";
	const char *col14 = "cccccccccccccc";
	const char *name = "tttttttttttttttttttttttttttttttttttttttt_cccccccccccccc_not_null"; /* 64 */
	nsp_column_row c[] = {{COL(col14, "integer"), NN(name, true, true)}};
	nsp_table_row t = table(table40, c, 1);
	char *sql = render(&t, V18, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"tttttttttttttttttttttttttttttttttttttttt\" (\n"
				 "    \"cccccccccccccc\" integer CONSTRAINT "
				 "\"tttttttttttttttttttttttttttttttttttttttt_cccccccccccccc_not_null\" NOT NULL\n);");
	free(sql);
	/* one byte shorter: the default, not written */
	c[0].name = "ccccccccccccc";
	c[0].nn_name = "tttttttttttttttttttttttttttttttttttttttt_ccccccccccccc_not_null"; /* 63 */
	sql = render(&t, V18, 0);
	assert_string_equal(sql, "CREATE TABLE \"public\".\"tttttttttttttttttttttttttttttttttttttttt\" (\n"
				 "    \"ccccccccccccc\" integer NOT NULL\n);");
	free(sql);
}

static void test_notnull_of_unlisted_column(void **state)
{
	(void)state;
	/* an inherited column of a child with a local NOT NULL constraint of its own (18) */
	nsp_column_row c[] = {
		{INH("a", "integer"), NN("a_nn", true, true), .nn_noinherit = true},
		{INH("b", "integer"), NN("child_b_not_null", true, true), .nn_inherited = true},
		{INH("c", "integer"), NN("c_nn", false, true)},
	};
	nsp_table_row t = table("child", c, 3);
	t.inherits = "public.parent";
	const char *head = "CREATE TABLE \"public\".\"child\" (\n)\nINHERITS (public.parent);\n";
	char *sql = render(&t, V18, 0);
	char expected[1024];
	snprintf(expected, sizeof(expected), "%s%s", head,
		 "ALTER TABLE ONLY \"public\".\"child\" ADD CONSTRAINT \"a_nn\" NOT NULL \"a\" NO INHERIT;\n"
		 "ALTER TABLE ONLY \"public\".\"child\" ALTER COLUMN \"b\" SET NOT NULL;");
	assert_string_equal(sql, expected);
	free(sql);
	/* a destination before 18 has no named NOT NULL: SET NOT NULL (18 and unknown: named) */
	sql = render(&t, V18, 170000);
	snprintf(expected, sizeof(expected), "%s%s", head,
		 "ALTER TABLE ONLY \"public\".\"child\" ALTER COLUMN \"a\" SET NOT NULL;\n"
		 "ALTER TABLE ONLY \"public\".\"child\" ALTER COLUMN \"b\" SET NOT NULL;");
	assert_string_equal(sql, expected);
	free(sql);
	c[0].nn_noinherit = false;
	sql = render(&t, V18, V18);
	snprintf(expected, sizeof(expected), "%s%s", head,
		 "ALTER TABLE ONLY \"public\".\"child\" ADD CONSTRAINT \"a_nn\" NOT NULL \"a\";\n"
		 "ALTER TABLE ONLY \"public\".\"child\" ALTER COLUMN \"b\" SET NOT NULL;");
	assert_string_equal(sql, expected);
	free(sql);
}

static void test_identity_always(void **state)
{
	(void)state;
	nsp_table_row t = table("T x", NULL, 0);
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_table_identity_always(&t, "i\"d", &sb);
	assert_string_equal(sb.data, "ALTER TABLE \"public\".\"T x\" ALTER COLUMN \"i\"\"d\" SET GENERATED ALWAYS;");
	nsp_strbuf_free(&sb);
}

static void test_attach(void **state)
{
	(void)state;
	nsp_table_row t = {.schema = "s", .name = "p_2024", .partition = true,
			   .bound = "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
			   .parent_schema = "Big S", .parent_name = "p"};
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_table_attach(&t, &sb);
	assert_string_equal(sb.data, "ALTER TABLE ONLY \"Big S\".\"p\" ATTACH PARTITION \"s\".\"p_2024\" "
				     "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');");
	nsp_strbuf_reset(&sb);
	t.bound = "DEFAULT";
	nsp_render_table_attach(&t, &sb);
	assert_string_equal(sb.data, "ALTER TABLE ONLY \"Big S\".\"p\" ATTACH PARTITION \"s\".\"p_2024\" DEFAULT;");
	nsp_strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_columns),
		cmocka_unit_test(test_no_columns),
		cmocka_unit_test(test_table_clauses),
		cmocka_unit_test(test_typed_table),
		cmocka_unit_test(test_inheritance_child),
		cmocka_unit_test(test_inherited_generated),
		cmocka_unit_test(test_partition),
		cmocka_unit_test(test_column_settings),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_replica_identity),
		cmocka_unit_test(test_notnull_constraints),
		cmocka_unit_test(test_notnull_default_name_truncated),
		cmocka_unit_test(test_notnull_of_unlisted_column),
		cmocka_unit_test(test_identity_always),
		cmocka_unit_test(test_attach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Table constraints rendered from their rows, without a server (render_constraints.h): the index
 * of a key built first, ADD CONSTRAINT with or without ONLY for each kind, USING INDEX with its
 * deferral, NOT VALID, and VALIDATE CONSTRAINT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_constraints.h"

static char *render(const nsp_constraint_row *r, bool not_valid)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_constraint(r, not_valid, &sb);
	return nsp_strbuf_detach(&sb);
}

static nsp_constraint_row row(char type, const char *name, const char *definition)
{
	return (nsp_constraint_row){.schema = "app", .table = "Orders", .name = name, .type = type,
				    .definition = definition};
}

static void test_check(void **state)
{
	(void)state;
	/* no ONLY: it reaches the children as in the source (NO INHERIT is in the definition) */
	nsp_constraint_row r = row('c', "qty_positive", "CHECK ((qty > 0))");
	char *sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE \"app\".\"Orders\" ADD CONSTRAINT \"qty_positive\" CHECK ((qty > 0));");
	free(sql);
	r.partitioned = true;
	r.definition = "CHECK ((qty > 0)) NO INHERIT NOT VALID";
	sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE \"app\".\"Orders\" ADD CONSTRAINT \"qty_positive\" "
				 "CHECK ((qty > 0)) NO INHERIT NOT VALID;");
	free(sql);
}

static void test_not_null(void **state)
{
	(void)state;
	/* 18: a NOT VALID NOT NULL, no ONLY either */
	nsp_constraint_row r = row('n', "nick_nn", "NOT NULL nickname NOT VALID");
	char *sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE \"app\".\"Orders\" ADD CONSTRAINT \"nick_nn\" NOT NULL nickname NOT VALID;");
	free(sql);
}

static void test_keys_added_directly(void **state)
{
	(void)state;
	/* PK, UNIQUE and EXCLUDE: ONLY, partitioned or not (each partition has its own) */
	nsp_constraint_row r = row('p', "orders_pkey", "PRIMARY KEY (id) DEFERRABLE");
	r.partitioned = true;
	char *sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE ONLY \"app\".\"Orders\" ADD CONSTRAINT \"orders_pkey\" "
				 "PRIMARY KEY (id) DEFERRABLE;");
	free(sql);
	r = row('u', "orders_code_key", "UNIQUE NULLS NOT DISTINCT (code)");
	sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE ONLY \"app\".\"Orders\" ADD CONSTRAINT \"orders_code_key\" "
				 "UNIQUE NULLS NOT DISTINCT (code);");
	free(sql);
	r = row('x', "no \"overlap\"", "EXCLUDE USING gist (during WITH &&)");
	sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE ONLY \"app\".\"Orders\" ADD CONSTRAINT \"no \"\"overlap\"\"\" "
				 "EXCLUDE USING gist (during WITH &&);");
	free(sql);
}

static void test_using_index(void **state)
{
	(void)state;
	nsp_constraint_row r = row('p', "orders_pkey", NULL);
	r.index_definition = "CREATE UNIQUE INDEX orders_pkey ON app.\"Orders\" USING btree (id)";
	r.index_name = "orders_pkey";
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_constraint_index(&r, &sb);
	assert_string_equal(sb.data, "CREATE UNIQUE INDEX orders_pkey ON app.\"Orders\" USING btree (id);");
	nsp_strbuf_free(&sb);
	char *sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE ONLY \"app\".\"Orders\" ADD CONSTRAINT \"orders_pkey\" "
				 "PRIMARY KEY USING INDEX orders_pkey;");
	free(sql);
	/* the deferral is not in the index: said after USING INDEX */
	r.deferrable = true;
	sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE ONLY \"app\".\"Orders\" ADD CONSTRAINT \"orders_pkey\" "
				 "PRIMARY KEY USING INDEX orders_pkey DEFERRABLE;");
	free(sql);
	r = row('u', "Code Key", NULL);
	r.index_definition = "CREATE UNIQUE INDEX \"Code Key\" ON app.\"Orders\" USING btree (code)";
	r.index_name = "\"Code Key\"";
	r.deferrable = true;
	r.deferred = true;
	sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE ONLY \"app\".\"Orders\" ADD CONSTRAINT \"Code Key\" "
				 "UNIQUE USING INDEX \"Code Key\" DEFERRABLE INITIALLY DEFERRED;");
	free(sql);
}

static void test_foreign_key(void **state)
{
	(void)state;
	nsp_constraint_row r = row('f', "orders_customer_fkey",
				   "FOREIGN KEY (customer_id) REFERENCES app.customer(id) ON DELETE CASCADE");
	char *sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE ONLY \"app\".\"Orders\" ADD CONSTRAINT \"orders_customer_fkey\" "
				 "FOREIGN KEY (customer_id) REFERENCES app.customer(id) ON DELETE CASCADE;");
	free(sql);
	/* validated by a step of its own */
	sql = render(&r, true);
	assert_string_equal(sql, "ALTER TABLE ONLY \"app\".\"Orders\" ADD CONSTRAINT \"orders_customer_fkey\" "
				 "FOREIGN KEY (customer_id) REFERENCES app.customer(id) ON DELETE CASCADE NOT VALID;");
	free(sql);
	/* of a partitioned table: no ONLY, it must reach the partitions */
	r.partitioned = true;
	sql = render(&r, false);
	assert_string_equal(sql, "ALTER TABLE \"app\".\"Orders\" ADD CONSTRAINT \"orders_customer_fkey\" "
				 "FOREIGN KEY (customer_id) REFERENCES app.customer(id) ON DELETE CASCADE;");
	free(sql);
}

static void test_validate(void **state)
{
	(void)state;
	nsp_constraint_row r = row('f', "fk \"1\"", "FOREIGN KEY (a) REFERENCES app.b(a)");
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_constraint_validate(&r, &sb);
	assert_string_equal(sb.data, "ALTER TABLE \"app\".\"Orders\" VALIDATE CONSTRAINT \"fk \"\"1\"\"\";");
	nsp_strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_not_null),
		cmocka_unit_test(test_keys_added_directly),
		cmocka_unit_test(test_using_index),
		cmocka_unit_test(test_foreign_key),
		cmocka_unit_test(test_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

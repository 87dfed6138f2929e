/* Owners and privileges rendered from their rows, without a server (render_owners.h): the
 * designators per pg_identify_object() type, ALTER ... OWNER TO (an aggregate over *), and an
 * ACL reproduced entry for entry: REVOKE ALL first, grants in order, WITH GRANT OPTION, ALL for
 * the owner's full entry, grants made as another grantor, column privileges, an empty ACL; and
 * nsp_render_role (render.h), which default privileges share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_owners.h"

static char *render_owner(const char *type, const char *identity, const char *owner)
{
	nsp_owner_row r = {.type = type, .identity = identity, .owner = owner};
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_owner(&r, &sb);
	return nsp_strbuf_detach(&sb);
}

static char *render_acl(const char *type, const char *identity, const nsp_acl_entry *entries, size_t n)
{
	nsp_acl_row r = {.type = type, .identity = identity, .owner = "app owner", .entries = entries,
			 .nentries = n};
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_privileges(&r, &sb);
	return nsp_strbuf_detach(&sb);
}

static void test_role(void **state)
{
	(void)state;
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_role("Big \"Boss\"", &sb);
	nsp_strbuf_append(&sb, " ");
	nsp_render_role("", &sb);
	nsp_strbuf_append(&sb, " ");
	nsp_render_role(NULL, &sb);
	assert_string_equal(sb.data, "\"Big \"\"Boss\"\"\" PUBLIC PUBLIC");
	nsp_strbuf_free(&sb);
}

static void test_designators(void **state)
{
	(void)state;
	assert_string_equal(nsp_owner_designator("materialized view"), "MATERIALIZED VIEW");
	assert_string_equal(nsp_owner_designator("composite type"), "TYPE");
	assert_string_equal(nsp_owner_designator("statistics object"), "STATISTICS");
	assert_string_equal(nsp_owner_designator("aggregate"), "AGGREGATE");
	assert_null(nsp_owner_designator("index"));
	assert_string_equal(nsp_grant_designator("view"), "TABLE");
	assert_string_equal(nsp_grant_designator("foreign table"), "TABLE");
	assert_string_equal(nsp_grant_designator("aggregate"), "FUNCTION");
	assert_string_equal(nsp_grant_designator("procedure"), "PROCEDURE");
	assert_string_equal(nsp_grant_designator("composite type"), "TYPE");
	assert_string_equal(nsp_grant_designator("domain"), "DOMAIN");
	assert_null(nsp_grant_designator("collation")); /* has an owner, no ACL */
}

static void test_owner(void **state)
{
	(void)state;
	char *sql = render_owner("table", "app.\"Orders\"", "app owner");
	assert_string_equal(sql, "ALTER TABLE app.\"Orders\" OWNER TO \"app owner\";");
	free(sql);
	sql = render_owner("function", "app.f()", "o");
	assert_string_equal(sql, "ALTER FUNCTION app.f() OWNER TO \"o\";");
	free(sql);
	/* an aggregate over *: (*), not "no arguments" */
	sql = render_owner("aggregate", "app.cnt()", "o");
	assert_string_equal(sql, "ALTER AGGREGATE app.cnt(*) OWNER TO \"o\";");
	free(sql);
	sql = render_owner("aggregate", "app.total(integer)", "o");
	assert_string_equal(sql, "ALTER AGGREGATE app.total(integer) OWNER TO \"o\";");
	free(sql);
	sql = render_owner("index", "app.i", "o");
	assert_string_equal(sql, "");
	free(sql);
}

static void test_acl_in_order(void **state)
{
	(void)state;
	/* the owner's full entry (ALL), PUBLIC, roles with and without grant option; the REVOKE
	 * names PUBLIC and the owner once, first */
	nsp_acl_entry e[] = {
		{.grantee = "app owner", .grantee_is_owner = true, .privileges = "INSERT, SELECT, UPDATE",
		 .owner_all = true},
		{.grantee = "", .privileges = "SELECT"},
		{.grantee = "zed", .privileges = "SELECT", .grantable = "INSERT"},
		{.grantee = "alice", .grantable = "DELETE"},
	};
	char *sql = render_acl("table", "app.t", e, 4);
	assert_string_equal(sql, "REVOKE ALL ON TABLE app.t FROM PUBLIC, \"app owner\", \"zed\", \"alice\" CASCADE;\n"
				 "GRANT ALL ON TABLE app.t TO \"app owner\";\n"
				 "GRANT SELECT ON TABLE app.t TO PUBLIC;\n"
				 "GRANT SELECT ON TABLE app.t TO \"zed\";\n"
				 "GRANT INSERT ON TABLE app.t TO \"zed\" WITH GRANT OPTION;\n"
				 "GRANT DELETE ON TABLE app.t TO \"alice\" WITH GRANT OPTION;");
	free(sql);
	/* owner_all stands for the plain privileges only */
	e[0].grantable = "SELECT";
	e[0].privileges = NULL;
	sql = render_acl("table", "app.t", e, 1);
	assert_string_equal(sql, "REVOKE ALL ON TABLE app.t FROM PUBLIC, \"app owner\" CASCADE;\n"
				 "GRANT SELECT ON TABLE app.t TO \"app owner\" WITH GRANT OPTION;");
	free(sql);
	/* the owner's entry without owner_all: its privileges as they are */
	e[0] = (nsp_acl_entry){.grantee = "app owner", .grantee_is_owner = true, .privileges = "SELECT"};
	sql = render_acl("table", "app.t", e, 1);
	assert_string_equal(sql, "REVOKE ALL ON TABLE app.t FROM PUBLIC, \"app owner\" CASCADE;\n"
				 "GRANT SELECT ON TABLE app.t TO \"app owner\";");
	free(sql);
}

static void test_acl_grantor(void **state)
{
	(void)state;
	/* zed granted by the owner with grant option, then to alice by zed: made as zed; zed's
	 * second entry (another grantor) is not revoked twice */
	nsp_acl_entry e[] = {
		{.grantee = "zed", .grantable = "SELECT"},
		{.grantee = "alice", .grantor = "zed", .privileges = "SELECT"},
		{.grantee = "zed", .grantee_repeated = true, .grantor = "alice", .privileges = "SELECT"},
	};
	char *sql = render_acl("sequence", "app.s", e, 3);
	assert_string_equal(sql, "REVOKE ALL ON SEQUENCE app.s FROM PUBLIC, \"app owner\", \"zed\", \"alice\" CASCADE;\n"
				 "GRANT SELECT ON SEQUENCE app.s TO \"zed\" WITH GRANT OPTION;\n"
				 "SET LOCAL ROLE \"zed\";\n"
				 "GRANT SELECT ON SEQUENCE app.s TO \"alice\";\n"
				 "RESET ROLE;\n"
				 "SET LOCAL ROLE \"alice\";\n"
				 "GRANT SELECT ON SEQUENCE app.s TO \"zed\";\n"
				 "RESET ROLE;");
	free(sql);
}

static void test_acl_columns(void **state)
{
	(void)state;
	/* column entries after the object's: their grantees are not in the REVOKE (a table-level
	 * REVOKE takes the columns' privileges too) */
	nsp_acl_entry e[] = {
		{.grantee = "zed", .privileges = "SELECT"},
		{.column = true, .grantee = "alice", .privileges = "UPDATE(\"e mail\")"},
		{.column = true, .grantee = "zed", .grantable = "REFERENCES(id)"},
	};
	char *sql = render_acl("table", "app.users", e, 3);
	assert_string_equal(sql, "REVOKE ALL ON TABLE app.users FROM PUBLIC, \"app owner\", \"zed\" CASCADE;\n"
				 "GRANT SELECT ON TABLE app.users TO \"zed\";\n"
				 "GRANT UPDATE(\"e mail\") ON TABLE app.users TO \"alice\";\n"
				 "GRANT REFERENCES(id) ON TABLE app.users TO \"zed\" WITH GRANT OPTION;");
	free(sql);
	/* only column entries (the object's ACL is the default): no REVOKE */
	sql = render_acl("table", "app.users", e + 1, 2);
	assert_string_equal(sql, "GRANT UPDATE(\"e mail\") ON TABLE app.users TO \"alice\";\n"
				 "GRANT REFERENCES(id) ON TABLE app.users TO \"zed\" WITH GRANT OPTION;");
	free(sql);
}

static void test_acl_empty(void **state)
{
	(void)state;
	/* '{}': everything revoked, the owner's own privileges too */
	nsp_acl_entry e[] = {{.grantee = NULL}};
	char *sql = render_acl("schema", "app", e, 1);
	assert_string_equal(sql, "REVOKE ALL ON SCHEMA app FROM PUBLIC, \"app owner\" CASCADE;");
	free(sql);
}

static void test_acl_aggregate_and_unknown(void **state)
{
	(void)state;
	/* an aggregate over *: GRANT and REVOKE name it as a FUNCTION, cnt() (their syntax refuses
	 * the owner step's cnt(*)) */
	nsp_acl_entry e[] = {{.grantee = "", .privileges = "EXECUTE"}};
	char *sql = render_acl("aggregate", "app.cnt()", e, 1);
	assert_string_equal(sql, "REVOKE ALL ON FUNCTION app.cnt() FROM PUBLIC, \"app owner\" CASCADE;\n"
				 "GRANT EXECUTE ON FUNCTION app.cnt() TO PUBLIC;");
	free(sql);
	sql = render_acl("collation", "app.c", e, 1);
	assert_string_equal(sql, "");
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role),
		cmocka_unit_test(test_designators),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_acl_in_order),
		cmocka_unit_test(test_acl_grantor),
		cmocka_unit_test(test_acl_columns),
		cmocka_unit_test(test_acl_empty),
		cmocka_unit_test(test_acl_aggregate_and_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

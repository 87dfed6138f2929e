/* Default privileges rendered from their rows, without a server (render_default_privileges.h):
 * a pg_default_acl list reproduced entry for entry with ALTER DEFAULT PRIVILEGES. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_default_privileges.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HEAD "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" "

static char *render(const nsp_default_acl_row *r)
{
	nsp_strbuf sb;
	nsp_strbuf_init(&sb);
	nsp_render_default_privileges(r, &sb);
	return nsp_strbuf_detach(&sb);
}

static void test_role_wide(void **state)
{
	(void)state;
	/* starts from the built-in defaults: everything revoked, then the list granted in order */
	const nsp_default_acl_entry entries[] = {
		{.grantee = "reader", .privileges = "SELECT"},
		{.grantee = "writer", .privileges = "INSERT, UPDATE", .grantable = "SELECT"},
	};
	nsp_default_acl_row r = {.role = "owner", .objtype = 'r', .entries = entries, .nentries = N(entries)};
	char *sql = render(&r);
	assert_string_equal(sql, HEAD "REVOKE ALL ON TABLES FROM PUBLIC, \"owner\", \"reader\", \"writer\";\n"
				 HEAD "GRANT SELECT ON TABLES TO \"reader\";\n"
				 HEAD "GRANT INSERT, UPDATE ON TABLES TO \"writer\";\n"
				 HEAD "GRANT SELECT ON TABLES TO \"writer\" WITH GRANT OPTION;");
	free(sql);
}

static void test_role_wide_public_and_the_role(void **state)
{
	(void)state;
	/* PUBLIC and the role are revoked once, at the head of the list, and granted as listed */
	const nsp_default_acl_entry entries[] = {
		{.grantee = "owner", .grantee_is_role = true, .privileges = "USAGE"},
		{.grantee = "", .privileges = "USAGE"},
	};
	nsp_default_acl_row r = {.role = "owner", .objtype = 'S', .entries = entries, .nentries = N(entries)};
	char *sql = render(&r);
	assert_string_equal(sql, HEAD "REVOKE ALL ON SEQUENCES FROM PUBLIC, \"owner\";\n"
				 HEAD "GRANT USAGE ON SEQUENCES TO \"owner\";\n"
				 HEAD "GRANT USAGE ON SEQUENCES TO PUBLIC;");
	free(sql);
}

static void test_role_wide_empty_list(void **state)
{
	(void)state;
	/* an empty list (aclexplode gives one row with no grantee): everything revoked, nothing granted */
	const nsp_default_acl_entry entries[] = {{.grantee = NULL}};
	nsp_default_acl_row r = {.role = "owner", .objtype = 'f', .entries = entries, .nentries = N(entries)};
	char *sql = render(&r);
	assert_string_equal(sql, HEAD "REVOKE ALL ON FUNCTIONS FROM PUBLIC, \"owner\";");
	free(sql);
}

static void test_role_map_keeps_two_grantees(void **state)
{
	(void)state;
	/* the flag, set from the source names, decides which grantee is the role: another role that
	 * the role map gave the role's destination name is still named in the REVOKE */
	const nsp_default_acl_entry entries[] = {
		{.grantee = "app", .grantee_is_role = false, .privileges = "SELECT"},
		{.grantee = "app", .grantee_is_role = true, .privileges = "DELETE"},
	};
	nsp_default_acl_row r = {.role = "app", .objtype = 'r', .entries = entries, .nentries = N(entries)};
	char *sql = render(&r);
	assert_string_equal(sql, "ALTER DEFAULT PRIVILEGES FOR ROLE \"app\" "
				 "REVOKE ALL ON TABLES FROM PUBLIC, \"app\", \"app\";\n"
				 "ALTER DEFAULT PRIVILEGES FOR ROLE \"app\" GRANT SELECT ON TABLES TO \"app\";\n"
				 "ALTER DEFAULT PRIVILEGES FOR ROLE \"app\" GRANT DELETE ON TABLES TO \"app\";");
	free(sql);
}

static void test_per_schema(void **state)
{
	(void)state;
	/* adds to the role-wide row: grants only, the first on the first line */
	const nsp_default_acl_entry entries[] = {
		{.grantee = "Read Only", .grantable = "SELECT"},
		{.grantee = "", .privileges = "USAGE"},
	};
	nsp_default_acl_row r = {.role = "Own\"er", .schema = "App Data", .objtype = 'T', .entries = entries,
				 .nentries = N(entries)};
	char *sql = render(&r);
	assert_string_equal(sql, "ALTER DEFAULT PRIVILEGES FOR ROLE \"Own\"\"er\" IN SCHEMA \"App Data\" "
				 "GRANT SELECT ON TYPES TO \"Read Only\" WITH GRANT OPTION;\n"
				 "ALTER DEFAULT PRIVILEGES FOR ROLE \"Own\"\"er\" IN SCHEMA \"App Data\" "
				 "GRANT USAGE ON TYPES TO PUBLIC;");
	free(sql);
	/* an empty per-schema list adds nothing */
	const nsp_default_acl_entry none[] = {{.grantee = NULL}};
	r = (nsp_default_acl_row){.role = "owner", .schema = "s", .objtype = 'r', .entries = none, .nentries = 1};
	sql = render(&r);
	assert_string_equal(sql, "");
	free(sql);
}

static void test_object_types(void **state)
{
	(void)state;
	const struct {
		char objtype;
		const char *on;
	} cases[] = {{'r', "TABLES"}, {'S', "SEQUENCES"}, {'f', "FUNCTIONS"}, {'T', "TYPES"}, {'n', "SCHEMAS"}};
	for (size_t i = 0; i < N(cases); i++) {
		assert_string_equal(nsp_default_privileges_objects(cases[i].objtype), cases[i].on);
		const nsp_default_acl_entry entries[] = {{.grantee = "u", .privileges = "USAGE"}};
		nsp_default_acl_row r = {.role = "owner", .schema = "s", .objtype = cases[i].objtype,
					 .entries = entries, .nentries = 1};
		char *sql = render(&r);
		char want[160];
		snprintf(want, sizeof(want), HEAD "IN SCHEMA \"s\" GRANT USAGE ON %s TO \"u\";", cases[i].on);
		assert_string_equal(sql, want);
		free(sql);
	}
	/* a type this release does not know (large objects, 'L', from PostgreSQL 18): nothing */
	assert_null(nsp_default_privileges_objects('L'));
	assert_null(nsp_default_privileges_objects('\0'));
	const nsp_default_acl_entry entries[] = {{.grantee = "u", .privileges = "SELECT"}};
	nsp_default_acl_row r = {.role = "owner", .objtype = 'L', .entries = entries, .nentries = 1};
	char *sql = render(&r);
	assert_string_equal(sql, "");
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_wide),
		cmocka_unit_test(test_role_wide_public_and_the_role),
		cmocka_unit_test(test_role_wide_empty_list),
		cmocka_unit_test(test_role_map_keeps_two_grantees),
		cmocka_unit_test(test_per_schema),
		cmocka_unit_test(test_object_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

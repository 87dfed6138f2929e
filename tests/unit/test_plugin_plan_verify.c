/* Plan verification (plan_verify.c, plan_shapes.c, plan_graph.c): the statement shapes each kind
 * may hold, injected statements refused, signatures, the graph checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "plan_verify.h"
#include "small_plan.h"
#include "model_enums.h"

/* One post-sync step with the given kind and SQL: does the verifier accept it? */
static bool accepted(nsp_kind kind, const char *sql)
{
	Neosync__Plugin__V1__Step s = NEOSYNC__PLUGIN__V1__STEP__INIT;
	s.id = 7;
	s.phase = nsp_phase_wire(NSP_PHASE_POST);
	s.kind = nsp_kind_wire(kind);
	s.identity = "x";
	s.sql = (char *)sql;
	nsp_error err;
	nsp_error_clear(&err);
	int rc = nsp_plan_verify_step_sql(&s, &err);
	if (rc != 0)
		assert_non_null(strstr(err.message, "step 7"));
	return rc == 0;
}

static void test_structural_verification(void **state)
{
	(void)state;
	/* shapes the planner emits */
	assert_true(accepted(NSP_KIND_INDEX, "CREATE INDEX \"i\" ON \"public\".\"t\" USING btree (lower(\"n\")) WHERE (\"n\" <> 'a;b');"));
	assert_true(accepted(NSP_KIND_FOREIGN_KEY, "ALTER TABLE ONLY \"public\".\"b\" ADD CONSTRAINT \"f\" FOREIGN KEY (a) REFERENCES public.drop(id) ON DELETE SET NULL NOT VALID;"));
	assert_true(accepted(NSP_KIND_FOREIGN_KEY, "ALTER TABLE \"public\".\"b\" VALIDATE CONSTRAINT \"f\";"));
	assert_true(accepted(NSP_KIND_SEQUENCE_VALUE, "SELECT pg_catalog.setval('\"public\".\"s\"', -5, false);"));
	assert_true(accepted(NSP_KIND_MATVIEW_REFRESH, "REFRESH MATERIALIZED VIEW \"public\".\"m\";"));
	assert_true(accepted(NSP_KIND_COMMENT, "COMMENT ON TABLE \"public\".\"t\" IS E'a\\'; DROP TABLE x; --';"));
	assert_true(accepted(NSP_KIND_FUNCTION, "CREATE OR REPLACE FUNCTION public.f(x integer)\n RETURNS integer\n LANGUAGE sql\nBEGIN ATOMIC\n SELECT CASE WHEN x > 0 THEN 1 END;\n SELECT 2;\nEND;"));
	assert_true(accepted(NSP_KIND_FUNCTION, "CREATE FUNCTION public.g() RETURNS text LANGUAGE plpgsql AS $f$ BEGIN RETURN 'x'; DROP TABLE y; END $f$;"));
	assert_true(accepted(NSP_KIND_OWNER, "ALTER SCHEMA s OWNER TO \"app\";"));
	assert_true(accepted(NSP_KIND_ACL, "GRANT SELECT ON TABLE \"public\".\"t\" TO \"app\";"));
	assert_true(accepted(NSP_KIND_ACL, "REVOKE ALL ON SCHEMA public FROM PUBLIC, \"app\";\nGRANT UPDATE(\"n\"), SELECT(\"n\") ON TABLE \"public\".\"t\" TO \"app\" WITH GRANT OPTION;"));
	/* a grant by a role holding the grant option, made as that role for the transaction */
	assert_true(accepted(NSP_KIND_ACL, "REVOKE ALL ON TABLE t FROM PUBLIC, o, \"r1\" CASCADE;\nGRANT SELECT ON TABLE t TO \"r1\" WITH GRANT OPTION;\nSET LOCAL ROLE \"r1\";\nGRANT SELECT ON TABLE t TO r2;\nRESET ROLE;"));
	assert_false(accepted(NSP_KIND_ACL, "SET ROLE \"r1\";\nGRANT SELECT ON TABLE t TO r2;"));
	assert_false(accepted(NSP_KIND_ACL, "SET LOCAL ROLE r1, r2;"));
	assert_false(accepted(NSP_KIND_ACL, "SET LOCAL ROLE r1;\nALTER ROLE r1 SUPERUSER;"));
	assert_false(accepted(NSP_KIND_OWNER, "SET LOCAL ROLE r1;\nALTER TABLE t OWNER TO r1;"));
	assert_true(accepted(NSP_KIND_ACL, "ALTER DEFAULT PRIVILEGES FOR ROLE \"app\" REVOKE ALL ON TABLES FROM PUBLIC, \"app\";\nALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA \"s\" GRANT SELECT ON TABLES TO \"r\";"));
	assert_true(accepted(NSP_KIND_TRIGGER, "CREATE TRIGGER t BEFORE INSERT ON public.b FOR EACH ROW EXECUTE FUNCTION public.f();\nALTER TABLE \"public\".\"b\" DISABLE TRIGGER \"t\";"));
	assert_true(accepted(NSP_KIND_MATERIALIZED_VIEW, "CREATE MATERIALIZED VIEW \"public\".\"m\" AS SELECT 1 AS x WITH NO DATA;"));
	assert_true(accepted(NSP_KIND_INDEX, "CREATE INDEX \"x\"\"; DROP TABLE y; --\" ON \"public\".\"t\" (a) /* /* nested */ ; */;"));

	/* injected and forbidden statements */
	assert_false(accepted(NSP_KIND_FOREIGN_KEY, "ALTER TABLE \"public\".\"b\" VALIDATE CONSTRAINT \"f\"; DROP TABLE \"public\".\"a\";"));
	assert_false(accepted(NSP_KIND_INDEX, "DROP TABLE \"public\".\"a\"; CREATE INDEX i ON t (a);"));
	assert_false(accepted(NSP_KIND_INDEX, "CREATE INDEX i ON t (a); -- x\nDELETE FROM t;"));
	assert_false(accepted(NSP_KIND_INDEX, "CREATE INDEX i ON t (a) /* x */; TRUNCATE t;"));
	assert_false(accepted(NSP_KIND_COMMENT, "COMMENT ON TABLE t IS 'a'; COPY t TO PROGRAM 'id';"));
	assert_false(accepted(NSP_KIND_SEQUENCE_VALUE, "SELECT pg_catalog.setval('s', 1, true); SELECT pg_catalog.pg_sleep(100);"));
	assert_false(accepted(NSP_KIND_SEQUENCE_VALUE, "SELECT pg_catalog.setval('s', (SELECT count(*) FROM pg_authid), true);"));
	assert_false(accepted(NSP_KIND_INDEX, "CREATE INDEX i ON t ((pg_catalog.pg_read_file('/etc/passwd')));"));
	assert_false(accepted(NSP_KIND_VIEW, "CREATE VIEW v AS SELECT \"lo_import\"('/etc/passwd');"));
	assert_false(accepted(NSP_KIND_MATERIALIZED_VIEW, "CREATE MATERIALIZED VIEW m AS SELECT 1 WITH DATA;"));
	assert_false(accepted(NSP_KIND_TABLE, "CREATE TABLE t AS SELECT * FROM pg_authid;"));
	assert_false(accepted(NSP_KIND_TABLE, "ALTER TABLE t DROP COLUMN a;"));
	assert_false(accepted(NSP_KIND_INDEX, "ALTER TABLE t ADD CONSTRAINT c CHECK (true), RENAME TO u;"));
	assert_false(accepted(NSP_KIND_CHECK_CONSTRAINT, "ALTER TABLE t ALTER COLUMN a TYPE text USING (f(a));"));
	assert_false(accepted(NSP_KIND_CHECK_CONSTRAINT, "ALTER TABLE t OWNER TO evil;"));
	assert_false(accepted(NSP_KIND_ACL, "GRANT pg_execute_server_program TO app;"));
	assert_false(accepted(NSP_KIND_ACL, "ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT pg_execute_server_program TO ROLE app;"));
	assert_false(accepted(NSP_KIND_ACL, "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO app; ALTER ROLE app SUPERUSER;"));
	assert_false(accepted(NSP_KIND_ACL, "ALTER ROLE app SUPERUSER;"));
	assert_false(accepted(NSP_KIND_OWNER, "ALTER ROLE app OWNER TO x;"));
	assert_false(accepted(NSP_KIND_FUNCTION, "CREATE FUNCTION f() RETURNS int LANGUAGE c AS '/tmp/evil.so', 'f';"));
	assert_false(accepted(NSP_KIND_INDEX, "DO $$ BEGIN PERFORM 1; END $$;"));
	assert_false(accepted(NSP_KIND_INDEX, "SET ROLE postgres; CREATE INDEX i ON t (a);"));
	assert_false(accepted(NSP_KIND_INDEX, "COMMIT; CREATE INDEX i ON t (a);"));
	assert_false(accepted(NSP_KIND_COMMENT, "CREATE INDEX i ON t (a);")); /* the wrong kind */
	/* BEGIN ATOMIC: the body ends at the first END after a semicolon, as in the server */
	assert_false(accepted(NSP_KIND_FUNCTION, "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT t.case FROM t; END; DROP TABLE x; END;"));
	assert_false(accepted(NSP_KIND_FUNCTION, "CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN 1; BEGIN; DROP TABLE x; END;"));
	/* unterminated quotes and comments: the server refuses the whole string, and so do we */
	assert_false(accepted(NSP_KIND_INDEX, "CREATE INDEX i ON t (a); 'unterminated"));
	assert_false(accepted(NSP_KIND_INDEX, "CREATE INDEX i ON t (a) /* never closed"));
	assert_false(accepted(NSP_KIND_INDEX, "CREATE INDEX i ON t (a $$;DROP TABLE x;"));
	/* with standard_conforming_strings off, '\'' hides nothing either */
	assert_false(accepted(NSP_KIND_COMMENT, "COMMENT ON TABLE t IS 'a\\'; DROP TABLE x; --';"));
	assert_false(accepted(NSP_KIND_INDEX, ""
		"CREATE INDEX i ON t (a) WHERE b = 'x\\'; DROP TABLE t; SELECT '';"));
}

static void test_signatures(void **state)
{
	(void)state;
	const uint8_t key[] = "0123456789abcdef-unit-key";
	const uint8_t other[] = "0123456789abcdef-unit-kez";
	small_plan p;
	make_plan(&p);
	nsp_error err;
	nsp_error_clear(&err);
	assert_int_equal(nsp_plan_verify_with_key(&p.plan, NULL, 0, &err), 0);
	assert_int_equal(nsp_plan_sign_with_key(&p.plan, key, sizeof(key) - 1, &err), 0);
	assert_int_equal(p.plan.integrity.len, NSP_PLAN_INTEGRITY_LEN);
	assert_int_equal(nsp_plan_verify_with_key(&p.plan, key, sizeof(key) - 1, &err), 0);
	assert_int_equal(nsp_plan_verify_with_key(&p.plan, other, sizeof(other) - 1, &err), -1);
	assert_non_null(strstr(err.message, "signature does not match"));
	assert_int_equal(nsp_plan_verify_with_key(&p.plan, NULL, 0, &err), -1);
	assert_non_null(strstr(err.message, "signed but this plugin has no plan key"));
	/* any change is refused: SQL (one character), a dependency, the phase of a pre-sync step */
	p.s2.sql = "CREATE INDEX \"i\" ON \"public\".\"t\" (\"b\");";
	assert_int_equal(nsp_plan_verify_with_key(&p.plan, key, sizeof(key) - 1, &err), -1);
	p.s2.sql = "CREATE INDEX \"i\" ON \"public\".\"t\" (\"a\");";
	p.s2.n_depends_on = 0;
	assert_int_equal(nsp_plan_verify_with_key(&p.plan, key, sizeof(key) - 1, &err), -1);
	p.s2.n_depends_on = 1;
	p.s1.phase = nsp_phase_wire(NSP_PHASE_POST);
	assert_int_equal(nsp_plan_verify_with_key(&p.plan, key, sizeof(key) - 1, &err), -1);
	p.s1.phase = nsp_phase_wire(NSP_PHASE_PRE);
	assert_int_equal(nsp_plan_verify_with_key(&p.plan, key, sizeof(key) - 1, &err), 0);
	free(p.plan.integrity.data);
	p.plan.integrity.data = NULL;
	p.plan.integrity.len = 0;
	assert_int_equal(nsp_plan_verify_with_key(&p.plan, key, sizeof(key) - 1, &err), -1);
	assert_non_null(strstr(err.message, "not signed"));

	/* the key from the environment */
	setenv(NSP_PLAN_KEY_ENV, "short", 1);
	assert_int_equal(nsp_plan_sign(&p.plan, &err), -1);
	assert_non_null(strstr(err.message, "shorter than 16"));
	assert_null(strstr(err.message, "short\""));
	setenv(NSP_PLAN_KEY_ENV, (const char *)key, 1);
	assert_int_equal(nsp_plan_sign(&p.plan, &err), 0);
	assert_int_equal(nsp_plan_verify(&p.plan, &err), 0);
	unsetenv(NSP_PLAN_KEY_ENV);
	assert_int_equal(nsp_plan_verify(&p.plan, &err), -1);
	setenv(NSP_PLAN_KEY_FILE_ENV, "/nonexistent/nsp-key", 1);
	assert_int_equal(nsp_plan_verify(&p.plan, &err), -1);
	assert_non_null(strstr(err.message, NSP_PLAN_KEY_FILE_ENV));
	unsetenv(NSP_PLAN_KEY_FILE_ENV);
	free(p.plan.integrity.data);
}

static void test_graph_checks(void **state)
{
	(void)state;
	small_plan p;
	make_plan(&p);
	nsp_error err;
	p.deps[0] = 9;
	assert_int_equal(nsp_plan_verify_graph(&p.plan, &err), -1);
	assert_non_null(strstr(err.message, "depends on step 9"));
	p.deps[0] = 1;
	p.s2.id = 1;
	assert_int_equal(nsp_plan_verify_graph(&p.plan, &err), -1);
	assert_non_null(strstr(err.message, "appears twice"));
	p.s2.id = 2;
	p.s2.kind = (Neosync__Plugin__V1__ObjectKind)77;
	assert_int_equal(nsp_plan_verify_graph(&p.plan, &err), -1);
	p.s2.kind = nsp_kind_wire(NSP_KIND_INDEX);
	p.plan.format_version = 2;
	assert_int_equal(nsp_plan_verify_graph(&p.plan, &err), -1);
	p.plan.format_version = 1;
	assert_int_equal(nsp_plan_verify_graph(&p.plan, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structural_verification),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_graph_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

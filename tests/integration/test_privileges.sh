#!/usr/bin/env bash
# Owners and privileges copied exactly (options owners + acls), at parallelism 1 and 4:
#  - ACL entries in the source's order (pg_dump prints GRANTs in that order): grants to roles
#    whose names sort the other way, one with GRANT OPTION, an empty ACL ('{}');
#  - column privileges: SELECT(col), INSERT(col), UPDATE(col), REFERENCES(col);
#  - the public schema, which exists before the job with an ACL of its own: the source's
#    REVOKE ... FROM PUBLIC and its grants, in order;
#  - default privileges (ALTER DEFAULT PRIVILEGES), role-wide and per schema, GRANT and REVOKE,
#    for another role and for the job's own role (whose objects created later would get them);
#  - members of extensions whose privileges changed after CREATE EXTENSION;
#  - owners of sequences owned by a column (serial, identity), which PostgreSQL refuses to change
#    by themselves (0A000): no step fails;
#  - grants made by a role holding the grant option (grantor chains, object and column): the
#    destination records the same grantor;
#  - post-sync run again with the same plan on the finished destination (a re-run): the ACL
#    steps apply again (REVOKE ... CASCADE of the chains, then the grants) to the same ACLs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

nsp_ensure_roles priv_owner priv_zed priv_alice

src=$(nsp_createdb priv_src)
nsp_psql "$src" >/dev/null <<'SQL'
GRANT ALL ON SCHEMA public TO priv_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO PUBLIC;

CREATE SCHEMA app AUTHORIZATION priv_owner;
CREATE TABLE app.users (id serial PRIMARY KEY, username text, email text);
CREATE TABLE app.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id integer, what text);
CREATE TABLE app.secret (v text);
-- A sequence owned by a column whose name sorts before its table's.
CREATE SEQUENCE app.aa_ticket_seq;
CREATE TABLE app.zz_tickets (id integer DEFAULT nextval('app.aa_ticket_seq') PRIMARY KEY);
ALTER SEQUENCE app.aa_ticket_seq OWNED BY app.zz_tickets.id;
ALTER TABLE app.zz_tickets OWNER TO priv_owner;
CREATE VIEW app.user_names AS SELECT id, username FROM app.users;
CREATE FUNCTION app.count_users() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM app.users $$;
ALTER TABLE app.users OWNER TO priv_owner;
ALTER TABLE app.events OWNER TO priv_owner;
ALTER TABLE app.secret OWNER TO priv_owner;
ALTER VIEW app.user_names OWNER TO priv_owner;
ALTER FUNCTION app.count_users() OWNER TO priv_owner;
-- An aggregate over *: ALTER AGGREGATE names it cnt(*), GRANT and REVOKE as FUNCTION cnt().
CREATE FUNCTION app.cnt_step(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 1';
CREATE AGGREGATE app.cnt_all(*) (sfunc = app.cnt_step, stype = bigint, initcond = '0');
ALTER AGGREGATE app.cnt_all(*) OWNER TO priv_owner;
REVOKE EXECUTE ON FUNCTION app.cnt_all() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.cnt_all() TO priv_zed;

GRANT SELECT ON app.users TO priv_zed;
GRANT SELECT, INSERT ON app.users TO priv_alice WITH GRANT OPTION;
GRANT UPDATE (username) ON app.users TO priv_alice;
GRANT INSERT (email), SELECT (email), REFERENCES (email) ON app.users TO priv_zed;
GRANT USAGE ON SEQUENCE app.users_id_seq TO priv_zed;
REVOKE ALL ON app.secret FROM priv_owner;
GRANT SELECT ON app.user_names TO priv_alice;
REVOKE EXECUTE ON FUNCTION app.count_users() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.count_users() TO priv_zed;
GRANT USAGE ON SCHEMA app TO priv_alice, priv_zed;
GRANT REFERENCES (email) ON app.users TO priv_alice WITH GRANT OPTION;
SET ROLE priv_alice;
GRANT SELECT ON app.users TO priv_zed WITH GRANT OPTION;
GRANT REFERENCES (email) ON app.users TO priv_zed;
RESET ROLE;
SET ROLE priv_zed;
GRANT SELECT ON app.users TO priv_owner;
RESET ROLE;

-- Members of extensions whose privileges changed after CREATE EXTENSION (pg_init_privs).
CREATE EXTENSION pg_trgm;
CREATE EXTENSION pg_stat_statements;
REVOKE ALL ON FUNCTION public.similarity(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.similarity(text, text) TO priv_zed;
GRANT SELECT ON TABLE public.pg_stat_statements TO priv_zed;

ALTER DEFAULT PRIVILEGES FOR ROLE priv_owner GRANT SELECT ON TABLES TO priv_zed;
ALTER DEFAULT PRIVILEGES FOR ROLE priv_owner IN SCHEMA app GRANT USAGE ON SEQUENCES TO priv_alice;
ALTER DEFAULT PRIVILEGES FOR ROLE priv_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO priv_alice;

INSERT INTO app.users (username, email) SELECT 'u' || g, 'u' || g || '@example.com' FROM generate_series(1, 20) g;
INSERT INTO app.events (user_id, what) SELECT g, 'e' || g FROM generate_series(1, 20) g;
SQL

acls() {
  nsp_query "$1" "SELECT 'rel ' || c.oid::regclass || ' ' || c.relowner::regrole || ' ' || COALESCE(c.relacl::text, '-')
                  FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace ORDER BY 1;
                  SELECT 'col ' || attrelid::regclass || '.' || attname || ' ' || attacl::text
                  FROM pg_attribute WHERE attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'app'::regnamespace)
                    AND attacl IS NOT NULL ORDER BY 1;
                  SELECT 'nsp ' || nspname || ' ' || nspowner::regrole || ' ' || COALESCE(nspacl::text, '-')
                  FROM pg_namespace WHERE nspname IN ('public', 'app') ORDER BY 1;
                  SELECT 'proc ' || p.oid::regprocedure || ' ' || p.proowner::regrole || ' ' || COALESCE(p.proacl::text, '-')
                  FROM pg_proc p WHERE p.pronamespace = 'app'::regnamespace ORDER BY 1;
                  SELECT 'extension member ' || p.oid::regprocedure || ' ' || p.proacl::text FROM pg_proc p
                  WHERE p.proacl IS NOT NULL AND p.pronamespace = 'public'::regnamespace ORDER BY 1;
                  SELECT 'extension member ' || c.oid::regclass || ' ' || c.relacl::text FROM pg_class c
                  WHERE c.relacl IS NOT NULL AND c.relnamespace = 'public'::regnamespace ORDER BY 1;
                  SELECT 'default ' || defaclrole::regrole || ' ' || COALESCE(defaclnamespace::regnamespace::text, '-') || ' ' ||
                         defaclobjtype::text || ' ' || defaclacl::text FROM pg_default_acl ORDER BY 1"
}
dir=$(nsp_tmpdir)
acls "$src" >"$dir/src.acls"
for parallelism in 1 4; do
  dst=$(nsp_createdb priv_dst_p$parallelism)
  nsp_job_config "$dir/job$parallelism.json" "$src" "$dst" "{\"parallelism\": $parallelism, \"owners\": true, \"acls\": true}"
  nsp_run_job "$dir/job$parallelism.json"
  [[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "job did not apply every step (parallelism $parallelism)"; }
  acls "$dst" >"$dir/dst$parallelism.acls"
  nsp_assert_same "$dir/src.acls" "$dir/dst$parallelism.acls" "owners and ACLs (parallelism $parallelism)"
  nsp_assert_parity "$src" "$dst" "privileges (parallelism $parallelism)"
done

# A re-run of post-sync with the same plan on the finished destination.
dst=$(nsp_createdb priv_dst_rerun)
nsp_job_config "$dir/rerun.json" "$src" "$dst" '{"parallelism": 2, "owners": true, "acls": true}'
"$NSP_HOST_SIM" pre-sync --config "$dir/rerun.json" --plan-out "$dir/plan.bin" --hydrate >"$dir/pre.log" 2>&1 ||
  { cat "$dir/pre.log" >&2; nsp_fail "pre-sync failed"; }
for run in 1 2; do
  "$NSP_HOST_SIM" post-sync --config "$dir/rerun.json" --plan "$dir/plan.bin" >"$dir/post$run.log" 2>&1 ||
    { cat "$dir/post$run.log" >&2; nsp_fail "post-sync run $run failed"; }
  acls "$dst" >"$dir/rerun$run.acls"
  nsp_assert_same "$dir/src.acls" "$dir/rerun$run.acls" "owners and ACLs (post-sync run $run)"
done
nsp_assert_parity "$src" "$dst" "privileges after a re-run"

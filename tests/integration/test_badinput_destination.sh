#!/usr/bin/env bash
# Destinations that must be refused or fail cleanly (issue 7), each leaving nothing behind:
#  - the source and the destination are the same database (also spelled differently, and with
#    onExisting replace, which would drop the source's tables): refused before anything changes;
#  - a destination role that may not install an extension the source uses (postgres_fdw is not
#    trusted: like a destination that lacks the extension, CREATE EXTENSION fails): pre-sync fails
#    at that step, its transaction rolls back, nothing is left;
#  - a destination role without CREATE privilege: the same.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)
src=$(nsp_createdb bad_dst_src)
nsp_psql "$src" <<'SQL'
CREATE TABLE public.a (id int PRIMARY KEY, note text);
CREATE TABLE public.b (id int PRIMARY KEY, a_id int REFERENCES public.a);
INSERT INTO public.a VALUES (1, 'one'), (2, 'two');
INSERT INTO public.b VALUES (10, 1);
SQL
before=$(nsp_schema_dump "$src"; nsp_data_checksums "$src")

expect_fail() { # NAME REGEX
  [[ $NSP_JOB_STATUS -eq 1 ]] || { nsp_show_job_log; nsp_fail "$1: exit $NSP_JOB_STATUS, expected 1"; }
  grep -Eq -- "$2" "$NSP_JOB_LOG" || { nsp_show_job_log; nsp_fail "$1: no message matching /$2/"; }
  _nsp_log "ok: $1: $(grep -Eo -- "$2.{0,100}" "$NSP_JOB_LOG" | head -n 1)"
}
nothing_in() { # URL WHAT
  local n
  n=$(nsp_query "$1" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')")
  [[ $n == 0 ]] || nsp_fail "$2: $n relation(s) left on the destination"
  n=$(nsp_query "$1" "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'")
  [[ $n == 0 ]] || nsp_fail "$2: $n extension(s) left on the destination"
}

# --- same database ---------------------------------------------------------------------------
for opts in '{}' '{"onExisting": "ON_EXISTING_REPLACE"}' '{"onExisting": "ON_EXISTING_SKIP"}'; do
  nsp_job_config "$dir/same.json" "$src" "$src&application_name=other" "$opts"
  nsp_run_job "$dir/same.json"
  if grep -q 'already has' "$NSP_JOB_LOG"; then
    # on_existing error refuses first, which is also a refusal with nothing changed
    expect_fail "same database $opts" 'already has'
  else
    expect_fail "same database $opts" 'same database'
  fi
  after=$(nsp_schema_dump "$src"; nsp_data_checksums "$src")
  [[ $before == "$after" ]] || nsp_fail "same database $opts: the source changed"
done
# The refusal itself, with on_existing skip (which does not refuse existing objects):
nsp_job_config "$dir/same.json" "$src" "$src" '{"onExisting": "ON_EXISTING_REPLACE"}'
nsp_run_job "$dir/same.json"
expect_fail "same database, replace" 'same database'
grep -q 'nothing was changed' "$NSP_JOB_LOG" || nsp_fail "the refusal does not say nothing was changed"

# --- a role that may not create what the plan needs ---------------------------------------------
role="nsp_nocreate_$$"
nsp_psql "$NSP_PG_URL" -c "CREATE ROLE $role LOGIN" >/dev/null
nsp_on_exit "nsp_psql '$NSP_PG_URL' -c 'DROP ROLE IF EXISTS $role' >/dev/null 2>&1"

# extension: the destination cannot have it
src_ext=$(nsp_createdb bad_ext_src)
nsp_psql "$src_ext" <<'SQL'
CREATE EXTENSION postgres_fdw;
CREATE TABLE public.a (id int PRIMARY KEY);
CREATE TABLE public.z (id int PRIMARY KEY);
SQL
dst_ext=$(nsp_createdb bad_ext_dst)
dbname=$(nsp_query "$dst_ext" "SELECT current_database()")
nsp_psql "$NSP_PG_URL" -c "ALTER DATABASE \"$dbname\" OWNER TO $role" >/dev/null
nsp_psql "$dst_ext" -c "ALTER SCHEMA public OWNER TO $role" >/dev/null
dst_role="${dst_ext/user=postgres/user=$role}"
nsp_job_config "$dir/ext.json" "$src_ext" "$dst_role"
nsp_run_job "$dir/ext.json"
expect_fail "extension the destination cannot install" 'postgres_fdw.*(42501|permission denied)|permission denied.*postgres_fdw'
grep -q 'rolled back' "$NSP_JOB_LOG" || { nsp_show_job_log; nsp_fail "extension: the error does not say it was rolled back"; }
nothing_in "$dst_ext" "extension"

# no CREATE privilege on the destination's schema
dst_nc=$(nsp_createdb bad_nocreate_dst)
nsp_psql "$dst_nc" -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO $role" >/dev/null
nsp_job_config "$dir/nocreate.json" "$src" "${dst_nc/user=postgres/user=$role}"
nsp_run_job "$dir/nocreate.json"
expect_fail "no CREATE privilege" 'permission denied.*(42501)?|42501'
grep -q 'rolled back' "$NSP_JOB_LOG" || { nsp_show_job_log; nsp_fail "no CREATE: the error does not say it was rolled back"; }
nothing_in "$dst_nc" "no CREATE privilege"

_nsp_log "PASS"

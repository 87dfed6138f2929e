# shellcheck shell=bash
# Helpers for the integration tests (tests/integration/test_*.sh). Source it first:
#
#   source "$(dirname "$0")/lib.sh"
#
# The tests run under ctest against one throwaway server that the `integration.pg_start` fixture
# started (scripts/pg-throwaway.sh); its URL is in $NSP_PG_DIR/url. Run outside ctest, a test uses
# $NSP_PG_URL if set, so this works too:
#
#   scripts/pg-throwaway.sh run -- tests/integration/test_pg_harness.sh
#
# Environment set by tests/integration/CMakeLists.txt: NSP_PG_DIR, NSP_SOURCE_DIR, NSP_BUILD_DIR,
# NSP_HOST_SIM, NSP_PLUGIN_HOST, NSP_PLUGIN, NSP_SHARED_FIXTURES.
#
# Functions:
#   nsp_createdb NAME           create a database with a unique name starting with NAME, print its URL
#                               (dropped again when the test exits, unless NSP_KEEP_DBS=1)
#   nsp_psql URL [ARGS...]      psql -X -q -v ON_ERROR_STOP=1 against URL
#   nsp_query URL SQL           run one query, print unaligned tuples only (-At)
#   nsp_schema_dump URL [ARGS]  pg_dump --schema-only, normalised as docs/design.md, "Oracles", says
#   nsp_data_checksums URL      per table "table NAME ROWS MD5", per sequence "sequence NAME LAST IS_CALLED"
#   nsp_assert_same F1 F2 WHAT  fail with a unified diff if the files differ
#   nsp_skip REASON             report the test as skipped (exit 77; ctest's SKIP_RETURN_CODE)
#   nsp_require_shared_fixtures skip unless ../shared/fixtures is present (it is in CI, not in clones)
#   nsp_fail MESSAGE            fail the test with a message
#   nsp_on_exit COMMAND         run COMMAND (a string for eval) when the test exits
#   nsp_tmpdir                  a private temporary directory, removed when the test exits
set -euo pipefail

NSP_TEST_NAME=${NSP_TEST_NAME:-$(basename "${BASH_SOURCE[1]:-$0}" .sh)}
NSP_SOURCE_DIR=${NSP_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NSP_BUILD_DIR=${NSP_BUILD_DIR:-$NSP_SOURCE_DIR/build}
NSP_SHARED_FIXTURES=${NSP_SHARED_FIXTURES:-$NSP_SOURCE_DIR/../shared/fixtures}

_nsp_log() { echo "[$NSP_TEST_NAME] $*" >&2; }

nsp_fail() { _nsp_log "FAIL: $*"; exit 1; }

nsp_skip() {
  _nsp_log "SKIPPED: $*"
  exit 77
}

nsp_require_shared_fixtures() {
  [[ -d $NSP_SHARED_FIXTURES ]] ||
    nsp_skip "shared fixtures not present ($NSP_SHARED_FIXTURES); they exist in CI, not in a clone"
}

# --- exit handlers -----------------------------------------------------------------------------
# Kept in a file, not a variable: helpers are mostly called in command substitutions ($(...)),
# i.e. subshells, whose variables are lost. Each handler is one line, run in reverse order.
_NSP_STATE=$(mktemp -d "${TMPDIR:-/tmp}/nsp-test-state.XXXXXX")
: >"$_NSP_STATE/on_exit"
nsp_on_exit() { printf '%s\n' "${1//$'\n'/ }" >>"$_NSP_STATE/on_exit"; }
_nsp_run_exit_handlers() {
  local status=$? handler
  set +e
  while IFS= read -r handler; do eval "$handler"; done < <(tac "$_NSP_STATE/on_exit")
  rm -rf -- "$_NSP_STATE"
  exit "$status"
}
trap _nsp_run_exit_handlers EXIT

nsp_tmpdir() {
  local d
  d=$(mktemp -d "${TMPDIR:-/tmp}/nsp-test.XXXXXX")
  nsp_on_exit "rm -rf -- '$d'"
  printf '%s\n' "$d"
}

# --- the server ----------------------------------------------------------------------------------
if [[ -n ${NSP_PG_DIR:-} && -f $NSP_PG_DIR/url ]]; then
  NSP_PG_URL=$(<"$NSP_PG_DIR/url")
  # shellcheck disable=SC1091
  [[ -f $NSP_PG_DIR/env ]] && source "$NSP_PG_DIR/env"
elif [[ -z ${NSP_PG_URL:-} ]]; then
  nsp_fail "no server: neither \$NSP_PG_DIR/url nor \$NSP_PG_URL (run under ctest, or: scripts/pg-throwaway.sh run -- $0)"
fi
if [[ -z ${NSP_PG_BINDIR:-} ]]; then
  if [[ -x /usr/lib/postgresql/15/bin/psql ]]; then NSP_PG_BINDIR=/usr/lib/postgresql/15/bin
  else NSP_PG_BINDIR=$(dirname "$(command -v psql)"); fi
fi
export NSP_PG_URL NSP_PG_BINDIR
NSP_PSQL=$NSP_PG_BINDIR/psql
NSP_PG_DUMP=$NSP_PG_BINDIR/pg_dump
# Same output on every machine: no ~/.psqlrc (-X), fixed time zone and formats.
export PGTZ=UTC PGDATESTYLE=ISO PGCLIENTENCODING=UTF8
unset PGDATABASE PGHOST PGPORT PGUSER PGSERVICE PGOPTIONS

# URL of database DB on the test server: the server URL with its path replaced.
nsp_url_for() {
  local db=$1
  printf 'postgresql:///%s?%s\n' "$db" "${NSP_PG_URL#*\?}"
}

nsp_psql() {
  local url=$1; shift
  "$NSP_PSQL" -X -q -v ON_ERROR_STOP=1 -d "$url" "$@"
}

nsp_query() {
  nsp_psql "$1" -At -c "$2"
}

# Make the roles (plain names, NOLOGIN) unless the server has them. Roles are the server's, not
# a database's, and tests run at the same time: one advisory lock keeps two from racing.
nsp_ensure_roles() {
  local role sql="SELECT pg_catalog.pg_advisory_lock(4242);"
  for role in "$@"; do
    sql+="DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '$role')"
    sql+=" THEN CREATE ROLE \"$role\"; END IF; END \$\$;"
  done
  sql+="SELECT pg_catalog.pg_advisory_unlock(4242);"
  nsp_psql "$NSP_PG_URL" -c "$sql" >/dev/null || nsp_fail "could not create the roles $*"
}

nsp_createdb() {
  local base=${1:-db} name
  base=$(printf '%s' "$base" | tr '[:upper:]' '[:lower:]' | LC_ALL=C tr -c 'a-z0-9_' '_' | cut -c1-40)
  # Unique across parallel tests ($$) and across calls of one test (each runs in its own $(...)).
  name=$(printf '%s_%s_%s_%s' "$base" "$$" "$BASHPID" "$(date +%N)")
  nsp_psql "$NSP_PG_URL" -c "CREATE DATABASE \"$name\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" >&2 ||
    nsp_fail "could not create database $name"
  [[ -n ${NSP_KEEP_DBS:-} ]] || nsp_on_exit "_nsp_dropdb $name"
  nsp_url_for "$name"
}
_nsp_dropdb() {
  nsp_psql "$NSP_PG_URL" -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null 2>&1 || true
}

# --- oracles (docs/design.md, "Oracles") ---------------------------------------------------------------------

# pg_dump --schema-only without the lines that differ between two databases with equal schemas:
# comment lines, blank lines and pg_dump's per-run \restrict/\unrestrict keys.
nsp_schema_dump() {
  local url=$1; shift
  "$NSP_PG_DUMP" --schema-only "$@" -d "$url" |
    grep -v -e '^--' -e '^[[:space:]]*$' -e '^\\restrict' -e '^\\unrestrict' || true
}

# Row count and md5 of every user table's rows (in a fixed order: by the row's text, C collation),
# then every sequence's state. Partitions are listed as the tables that hold the rows; partitioned
# parents, views and materialized views are not (their rows are the tables' rows or derived).
nsp_data_checksums() {
  local url=$1
  nsp_psql "$url" -At -F ' ' <<'SQL'
SET search_path = '';
SET extra_float_digits = 3;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SELECT format($q$SELECT 'table', %L, count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY t::text COLLATE "C"), '')) FROM %I.%I AS t$q$,
              quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname, c.relname)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r'
   AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
\gexec
SELECT format($q$SELECT 'sequence', %L, last_value, is_called FROM %I.%I$q$,
              quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname, c.relname)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'S'
   AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
\gexec
SQL
}

nsp_assert_same() {
  local a=$1 b=$2 what=${3:-files}
  if ! diff -q -- "$a" "$b" >/dev/null; then
    _nsp_log "FAIL: $what differ ($a vs $b):"
    diff -u -- "$a" "$b" | head -n 200 >&2 || true
    exit 1
  fi
  _nsp_log "ok: $what are equal"
}

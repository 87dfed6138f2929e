# shellcheck shell=bash
# Servers of other PostgreSQL majors for the version tests (tests/integration/test_major_*.sh).
# Source after lib.sh (and job_lib.sh). Issue 13, docs/design.md, "Oracles", "Across majors".
#
#   nsp_major_server N          start a throwaway server of major N (scripts/pg-throwaway.sh
#                               --major N: a cached Debian root, made on first use; 15: the host's),
#                               socket under /tmp, stopped when the test exits; prints its URL.
#                               Skips the test (77) loudly when this machine cannot make the root.
#   nsp_major_createdb URL NAME create a database on that server (dropped on exit), print its URL
#   nsp_major_tool N PROG ARGS  run client program PROG (psql, pg_dump) of major N
#   nsp_major_schema_dump N URL pg_dump --schema-only of major N, normalised like nsp_schema_dump
#   nsp_major_oracle N SRC DST_SERVER_URL
#                               the cross-version oracle: pg_dump N of SRC restored (psql N) into
#                               an empty database of DST's server; prints that database's URL
#   nsp_major_assert_parity N SRC DST WHAT
#                               schema dumps (pg_dump N) of SRC and DST equal, data checksums equal

NSP_PG_MAJOR_SH=$NSP_SOURCE_DIR/scripts/pg-major.sh
NSP_PG_THROWAWAY=$NSP_SOURCE_DIR/scripts/pg-throwaway.sh

_nsp_loud_skip() {
  _nsp_log "**********************************************************************"
  _nsp_log "SKIPPED, NOT TESTED: $*"
  _nsp_log "**********************************************************************"
  exit 77
}

nsp_major_server() {
  local major=$1 dir rc=0
  "$NSP_PG_MAJOR_SH" check "$major" >&2 || rc=$?
  ((rc == 0)) || _nsp_loud_skip "this machine cannot run a PostgreSQL $major server (see above)"
  # Under /tmp, also for 15 (the host's own): the tools of another major (pg_dump 17 of a 15
  # source) reach a socket from inside their root only there (pg-major.sh exec).
  dir=$(mktemp -d "/tmp/nsp-pg$major.XXXXXX")
  nsp_on_exit "NSP_PG_QUIET=1 '$NSP_PG_THROWAWAY' stop '$dir' 2>/dev/null || rmdir '$dir'"
  NSP_PG_QUIET=1 "$NSP_PG_THROWAWAY" start --major "$major" "$dir" >/dev/null || rc=$?
  ((rc == 0)) || {
    ((rc == 77)) && _nsp_loud_skip "no PostgreSQL $major root could be made here (see above)"
    nsp_fail "the PostgreSQL $major server did not start"
  }
  cat "$dir/url"
}

nsp_major_createdb() {
  local url=$1 base=$2 name
  name=$(printf '%s_%s_%s_%s' "$base" "$$" "$BASHPID" "$(date +%N)")
  nsp_psql "$url" -c "CREATE DATABASE \"$name\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" >&2 ||
    nsp_fail "could not create database $name"
  [[ -n ${NSP_KEEP_DBS:-} ]] || nsp_on_exit "nsp_psql '$url' -c 'DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)' >/dev/null 2>&1"
  printf 'postgresql:///%s?%s\n' "$name" "${url#*\?}"
}

nsp_major_tool() {
  local major=$1; shift
  "$NSP_PG_MAJOR_SH" exec "$major" "$@"
}

nsp_major_schema_dump() {
  local major=$1 url=$2; shift 2
  nsp_major_tool "$major" pg_dump --schema-only "$@" -d "$url" |
    grep -v -e '^--' -e '^[[:space:]]*$' -e '^\\restrict' -e '^\\unrestrict' || true
}

nsp_major_oracle() {
  local major=$1 src=$2 server=$3 oracle
  oracle=$(nsp_major_createdb "$server" oracle)
  # Debian's 17.12 keeps an attribute option pg_attver=N on every column, which its own pg_dump
  # leaves out; pg_dump 18.6 does not know it and writes it, and 18.6 refuses it ("unrecognized
  # parameter"). Not the schema's: taken out of the oracle's dump (the plugin leaves it out too).
  nsp_major_tool "$major" pg_dump --schema-only -d "$src" |
    sed -E -e 's/, pg_attver=[0-9]+//; s/pg_attver=[0-9]+, //' -e '/ SET \(pg_attver=[0-9]+\);$/d' |
    nsp_major_tool "$major" psql -X -q -v ON_ERROR_STOP=1 -d "$oracle" >/dev/null ||
    nsp_fail "pg_dump $major of the source does not restore into PostgreSQL $major"
  printf '%s\n' "$oracle"
}

nsp_major_assert_parity() {
  local major=$1 a=$2 b=$3 what=$4 dir
  dir=$(nsp_tmpdir)
  nsp_major_schema_dump "$major" "$a" >"$dir/a.schema"
  nsp_major_schema_dump "$major" "$b" >"$dir/b.schema"
  [[ -s $dir/a.schema ]] || nsp_fail "empty schema dump of $a"
  nsp_assert_same "$dir/a.schema" "$dir/b.schema" "$what: schema dumps (pg_dump $major --schema-only)"
}

nsp_major_assert_data() {
  local a=$1 b=$2 what=$3 dir
  dir=$(nsp_tmpdir)
  nsp_data_checksums "$a" >"$dir/a.data"
  nsp_data_checksums "$b" >"$dir/b.data"
  nsp_assert_same "$dir/a.data" "$dir/b.data" "$what: row counts, checksums and sequence states"
}

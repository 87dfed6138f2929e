#!/usr/bin/env bash
# PostgreSQL 19 while it is a release candidate (Debian experimental; issue 13): an 18 source with
# the 18-only features (tests/fixtures/pg18/source.sql) copied into a 19 destination, against the
# oracle (pg_dump 19 of the source restored into 19, both dumped with pg_dump 19) and data parity;
# a 19 source is refused with a clear message until the catalog queries are checked against 19.
# Skipped, loudly, when experimental has no postgresql-19 (any more) or no root can be made.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"
source "$(dirname "$0")/major_lib.sh"

s18=$(nsp_major_server 18)
s19=$(nsp_major_server 19)
src=$(nsp_major_createdb "$s18" pg18_src)
dst=$(nsp_major_createdb "$s19" pg19_dst)
dir=$(nsp_tmpdir)
nsp_major_tool 18 psql -X -q -v ON_ERROR_STOP=1 -d "$src" \
  <"$NSP_SOURCE_DIR/tests/fixtures/pg18/source.sql" >/dev/null 2>"$dir/load.err" ||
  { cat "$dir/load.err" >&2; nsp_fail "the 18 fixture does not load"; }
nsp_job_config "$dir/job.json" "$src" "$dst" '{"parallelism": 2, "owners": true, "acls": true}'
nsp_run_job "$dir/job.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "the 18 -> 19 job did not apply every step"; }
oracle=$(nsp_major_oracle 19 "$src" "$s19")
nsp_major_assert_parity 19 "$oracle" "$dst" "18 -> 19 (oracle: pg_dump 19 of the source, restored)"
nsp_major_assert_data "$src" "$dst" "18 -> 19"

# A 19 source: refused before anything is read or changed.
src19=$(nsp_major_createdb "$s19" pg19_src)
dst19=$(nsp_major_createdb "$s19" pg19_dst2)
nsp_psql "$src19" -c 'CREATE TABLE t (id int PRIMARY KEY)'
nsp_job_config "$dir/refused.json" "$src19" "$dst19" '{}'
nsp_run_job "$dir/refused.json"
[[ $NSP_JOB_STATUS -ne 0 ]] || nsp_fail "a PostgreSQL 19 source was accepted"
grep -q 'source: PostgreSQL 19\.[0-9]* is newer than this plugin.s catalog queries know (PostgreSQL 12 to 18); nothing was read or changed' "$NSP_JOB_LOG" ||
  { nsp_show_job_log; nsp_fail "no clear refusal of the 19 source"; }
[[ -z $(nsp_query "$dst19" "SELECT 1 FROM pg_class WHERE relname = 't'") ]] ||
  nsp_fail "the refused job changed the destination"
_nsp_log "ok: a 19 source is refused clearly, the destination untouched"

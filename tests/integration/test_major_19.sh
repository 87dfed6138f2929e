#!/usr/bin/env bash
# PostgreSQL 19 while it is a release candidate (Debian experimental; issue 13): an 18 source with
# the 18-only features (tests/fixtures/pg18/source.sql) copied into a 19 destination, against the
# oracle (pg_dump 19 of the source restored into 19, both dumped with pg_dump 19) and data parity;
# then that destination as a 19 source, 19 -> 19, with parity.
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

# A 19 source (its release candidate) is read: the same fixture 19 -> 19, equal to the source.
dst19=$(nsp_major_createdb "$s19" pg19_dst2)
nsp_job_config "$dir/from19.json" "$dst" "$dst19" '{"parallelism": 2, "owners": true, "acls": true}'
nsp_run_job "$dir/from19.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "the 19 -> 19 job did not apply every step"; }
nsp_major_assert_parity 19 "$dst" "$dst19" "19 -> 19"
nsp_major_assert_data "$dst" "$dst19" "19 -> 19"
_nsp_log "ok: a 19 source is copied with parity"

#!/usr/bin/env bash
# Cross-version smoke test (issue 13, docs/design.md "Oracles", "Across majors"): the demo shop
# (tests/fixtures/demo/source.sql) copied 13 -> 15 and 15 -> 17 by a whole job. The oracle is the
# destination major's own pg_dump of the source restored into an empty database of the
# destination's major: dumped with that pg_dump, it must equal the destination's dump. Data
# parity as usual. 15 is the ctest fixture's server; 13 and 17 run in cached Debian roots
# (scripts/pg-major.sh); skipped, loudly, only when this machine cannot make them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"
source "$(dirname "$0")/major_lib.sh"

fixture=$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql
dir=$(nsp_tmpdir)

# One pair: source major, destination major.
pair() {
  local from=$1 to=$2 src_server dst_server src dst oracle
  src_server=$(nsp_major_server "$from")
  dst_server=$(nsp_major_server "$to")
  src=$(nsp_major_createdb "$src_server" "demo_src_$from")
  dst=$(nsp_major_createdb "$dst_server" "demo_dst_$to")
  nsp_major_tool "$from" psql -X -q -v ON_ERROR_STOP=1 -d "$src" <"$fixture" >/dev/null ||
    nsp_fail "the demo fixture does not load on $from"
  # Owners and privileges on: the oracle's restore has them (e.g. the public schema's, whose
  # defaults changed in 15), so the destination must too.
  nsp_job_config "$dir/job-$from-$to.json" "$src" "$dst" '{"parallelism": 2, "owners": true, "acls": true}'
  nsp_run_job "$dir/job-$from-$to.json"
  [[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "the $from -> $to job did not apply every step"; }
  oracle=$(nsp_major_oracle "$to" "$src" "$dst_server")
  nsp_major_assert_parity "$to" "$oracle" "$dst" "$from -> $to (oracle: pg_dump $to of the source, restored)"
  nsp_major_assert_data "$src" "$dst" "$from -> $to"
}

pair 13 15
pair 15 17

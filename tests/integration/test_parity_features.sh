#!/usr/bin/env bash
# Schema and data parity on the repository's own fixtures (tests/fixtures/features/*.sql, loaded
# in name order into one source), which cover every object kind of the split rules
# (docs/how-it-works.md). Runs the job with post-sync parallelism 1 and 4 (two destinations).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

src=$(nsp_createdb features_src)
for f in "$NSP_SOURCE_DIR"/tests/fixtures/features/*.sql; do
  nsp_psql "$src" -f "$f" >/dev/null || nsp_fail "fixture $f does not load"
done

dir=$(nsp_tmpdir)
for parallelism in 1 4; do
  dst=$(nsp_createdb features_dst_p$parallelism)
  nsp_job_config "$dir/job$parallelism.json" "$src" "$dst" "{\"parallelism\": $parallelism}"
  nsp_run_job "$dir/job$parallelism.json"
  [[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "job did not apply every step (parallelism $parallelism)"; }
  nsp_assert_parity "$src" "$dst" "features (parallelism $parallelism)"
done

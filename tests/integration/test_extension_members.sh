#!/usr/bin/env bash
# Objects that use what an extension provides (a function in a column default or a check, a type,
# an operator class) are created after the extension, committed, whatever the number of
# connections pre-sync runs on: the dependency on an extension member goes to the extension
# (pg_depend deptype 'e'). Before that rule, pre-sync on 2 connections failed with
# "function public.uuid_generate_v4() does not exist" and rolled everything back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

src=$(nsp_createdb ext_src)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/extensions/source.sql" >/dev/null ||
  nsp_fail "the extensions fixture does not load"

dir=$(nsp_tmpdir)
for parallelism in 1 2 4; do
  dst=$(nsp_createdb ext_dst_p$parallelism)
  nsp_job_config "$dir/job$parallelism.json" "$src" "$dst" "{\"parallelism\": $parallelism}"
  nsp_run_job "$dir/job$parallelism.json"
  [[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "job did not apply every step (parallelism $parallelism)"; }
  nsp_assert_parity "$src" "$dst" "extension members (parallelism $parallelism)"
done

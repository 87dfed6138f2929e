#!/usr/bin/env bash
# Schema and data parity on Pagila (../shared/fixtures): load the schema and deterministic rows
# into a source, run a whole job into an empty destination, compare.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"
nsp_require_shared_fixtures

src=$(nsp_createdb pagila_src)
dst=$(nsp_createdb pagila_dst)
nsp_psql "$src" -f "$NSP_SHARED_FIXTURES/pagila/pagila-schema.sql" >/dev/null
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/pagila/pagila-data.sql" >/dev/null

dir=$(nsp_tmpdir)
nsp_job_config "$dir/job.json" "$src" "$dst"
nsp_run_job "$dir/job.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "job did not apply every step"; }
nsp_assert_parity "$src" "$dst" "pagila"

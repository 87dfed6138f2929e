#!/usr/bin/env bash
# Schema and data parity on Pagila (../shared/fixtures): load the schema and deterministic rows
# into a source, run a whole job into an empty destination, compare.
#  - with owners and privileges on, the whole pg_dump --schema-only output is identical;
#  - with the defaults (owners and privileges off: destination roles rarely match), it is
#    identical apart from owners and privileges (compared with --no-owner --no-acl).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"
nsp_require_shared_fixtures

src=$(nsp_createdb pagila_src)
nsp_psql "$src" -f "$NSP_SHARED_FIXTURES/pagila/pagila-schema.sql" >/dev/null
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/pagila/pagila-data.sql" >/dev/null
dir=$(nsp_tmpdir)

dst=$(nsp_createdb pagila_dst_owners)
nsp_job_config "$dir/owners.json" "$src" "$dst" '{"owners": true, "acls": true}'
nsp_run_job "$dir/owners.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "job did not apply every step"; }
nsp_assert_parity "$src" "$dst" "pagila (owners and privileges on)"

dst=$(nsp_createdb pagila_dst_defaults)
nsp_job_config "$dir/defaults.json" "$src" "$dst"
nsp_run_job "$dir/defaults.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "job did not apply every step"; }
nsp_schema_dump "$src" --no-owner --no-acl >"$dir/src.schema"
nsp_schema_dump "$dst" --no-owner --no-acl >"$dir/dst.schema"
nsp_assert_same "$dir/src.schema" "$dir/dst.schema" "pagila (defaults): schema dumps without owners and privileges"
nsp_data_checksums "$src" >"$dir/src.data"
nsp_data_checksums "$dst" >"$dir/dst.data"
nsp_assert_same "$dir/src.data" "$dir/dst.data" "pagila (defaults): row counts, checksums and sequence states"
# The report names the pagila run's outcome: every step applied.
grep -q "complete" "$NSP_JOB_LOG" || { nsp_show_job_log; nsp_fail "report does not say complete"; }

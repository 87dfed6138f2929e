# shellcheck shell=bash
# Running whole jobs in the integration tests. Source after lib.sh.
#
#   nsp_job_config FILE SRC_URL DST_URL [OPTIONS_JSON] [EXTRA_TOP_LEVEL_JSON]
#       write a job config with one schema hook (the built plugin) and the given plugin options
#   nsp_run_job CONFIG [ARGS...]
#       run `neosync-host-sim run --config CONFIG ARGS`; stdout/stderr to $NSP_JOB_LOG; exit status in $NSP_JOB_STATUS
#   nsp_assert_parity SRC_URL DST_URL WHAT
#       schema parity (normalized pg_dump -s) and data parity (row counts, checksums, sequences)

nsp_job_config() {
  local file=$1 src=$2 dst=$3 options=${4:-"{}"} extra=${5:-}
  cat >"$file" <<JSON
{
  "jobId": "$NSP_TEST_NAME",
  "source":      {"postgres": {"url": "$src"}},
  "destination": {"postgres": {"url": "$dst"}},
  "hydration": {"parallelism": ${NSP_HYDRATION_PARALLELISM:-2}},
  ${extra:+$extra,}
  "hooks": [{"name": "schema", "enabled": true, "priority": 0,
             "plugin": {"path": "$NSP_PLUGIN", "options": $options}}]
}
JSON
}

nsp_run_job() {
  local config=$1; shift
  NSP_JOB_LOG=$(nsp_tmpdir)/job.log
  set +e
  "$NSP_HOST_SIM" run --config "$config" "$@" >"$NSP_JOB_LOG" 2>&1
  NSP_JOB_STATUS=$?
  set -e
  _nsp_log "neosync-host-sim run exited $NSP_JOB_STATUS"
}

nsp_show_job_log() {
  sed -n '1,200p' "$NSP_JOB_LOG" >&2
}

nsp_assert_parity() {
  local src=$1 dst=$2 what=${3:-databases} dir
  dir=$(nsp_tmpdir)
  nsp_schema_dump "$src" >"$dir/src.schema"
  nsp_schema_dump "$dst" >"$dir/dst.schema"
  [[ -s $dir/src.schema ]] || nsp_fail "empty schema dump of the source"
  nsp_assert_same "$dir/src.schema" "$dir/dst.schema" "$what: schema dumps (pg_dump --schema-only)"
  nsp_data_checksums "$src" >"$dir/src.data"
  nsp_data_checksums "$dst" >"$dir/dst.data"
  nsp_assert_same "$dir/src.data" "$dir/dst.data" "$what: row counts, checksums and sequence states"
}

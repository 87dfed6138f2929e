#!/usr/bin/env bash
# One case of the generated-schema check: load SQL into a fresh source database, run a whole job
# (owners and ACLs on, every table) into a fresh destination at each given post-sync parallelism,
# and compare with the oracles of docs/design.md ("Oracles") (tests/integration/lib.sh, job_lib.sh).
#
#   check_sql.sh SQL OUTDIR PARALLELISM...
#
# Needs a server: $NSP_PG_DIR/url or $NSP_PG_URL (as lib.sh says). Writes OUTDIR/stage: "ok", or
# the first step that failed: "load", "job pN", "schema pN", "data pN"; and next to it what shows
# the failure: load.err, jobN.log, schemaN.diff, dataN.diff. Exits 0 when stage is ok, 1 if not.
# The databases are dropped on exit.
NSP_TEST_NAME=${NSP_TEST_NAME:-gen-check}
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/../integration/job_lib.sh"
NSP_HOST_SIM=${NSP_HOST_SIM:-$NSP_BUILD_DIR/host-sim/neosync-host-sim}
NSP_PLUGIN=${NSP_PLUGIN:-$NSP_BUILD_DIR/plugin/libneosync_schema_plugin.so}

sql=$1 out=$2; shift 2
mkdir -p "$out"
finish() { echo "$1" >"$out/stage"; [[ $1 == ok ]]; exit $?; }

src=$(nsp_createdb gen_src)
nsp_psql "$src" -f "$sql" >/dev/null 2>"$out/load.err" || finish load
nsp_schema_dump "$src" >"$out/src.schema"
nsp_data_checksums "$src" >"$out/src.data"

for p in "$@"; do
  dst=$(nsp_createdb "gen_dst_p$p")
  nsp_job_config "$out/job$p.json" "$src" "$dst" "{\"parallelism\": $p, \"owners\": true, \"acls\": true}"
  nsp_run_job "$out/job$p.json" 2>/dev/null
  cp "$NSP_JOB_LOG" "$out/job$p.log"
  [[ $NSP_JOB_STATUS -eq 0 ]] || finish "job p$p"
  nsp_schema_dump "$dst" >"$out/dst$p.schema"
  diff -u "$out/src.schema" "$out/dst$p.schema" >"$out/schema$p.diff" || finish "schema p$p"
  nsp_data_checksums "$dst" >"$out/dst$p.data"
  diff -u "$out/src.data" "$out/dst$p.data" >"$out/data$p.diff" || finish "data p$p"
done
finish ok

#!/usr/bin/env bash
# Schema and data parity on real applications' schemas that the plugin was not written against
# (tests/fixtures/realworld/<app>/structure.sql: Rails db/structure.sql files, i.e. pg_dump output;
# each SOURCE.md names the repository, commit, licence and the changes made). For each app:
#  - load the schema into a source, one generic row per table (fill_rows.sql), and the owners and
#    privileges of a production setup (owners_acls.sql: an owner role, a read-only role);
#  - run a whole job (every table) at post-sync parallelism 1 and 4, with owners and privileges
#    on: the whole pg_dump --schema-only output must be identical, and the data;
#    (both are compared also when the job reports a failed step, so that one failing owner step
#    does not hide other differences);
#  - run it again at parallelism 1 with the defaults (owners and privileges off): identical apart
#    from owners and privileges (compared with --no-owner --no-acl).
# About 110 s on two cores shared with other work (load average 5), most of it lago's 1,800 steps
# per run.
# Every run of every app is checked before the test fails, so one report lists every failure.
# NSP_REALWORLD_APPS (space-separated) limits the apps, e.g. when investigating one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

fixtures=$NSP_SOURCE_DIR/tests/fixtures/realworld
apps=${NSP_REALWORLD_APPS:-openstreetmap danbooru feedbin lago gisia}
dir=$(nsp_tmpdir)
failures=()

# compare FILE_SRC FILE_DST WHAT: log the first lines of the diff and record a failure
compare() {
  if diff -q -- "$1" "$2" >/dev/null; then
    _nsp_log "ok: $3"
  else
    _nsp_log "FAIL: $3 differ:"
    diff -u -- "$1" "$2" | head -n 60 >&2 || true
    failures+=("$3")
  fi
}

for app in $apps; do
  src=$(nsp_createdb "rw_${app}_src")
  nsp_psql "$src" -f "$fixtures/$app/structure.sql" >/dev/null ||
    nsp_fail "$app: tests/fixtures/realworld/$app/structure.sql does not load"
  nsp_psql "$src" -c 'SET client_min_messages = warning' -f "$fixtures/fill_rows.sql" \
    -f "$fixtures/owners_acls.sql" >/dev/null || nsp_fail "$app: rows, owners or privileges do not load"
  nsp_schema_dump "$src" >"$dir/$app.src.full"
  nsp_schema_dump "$src" --no-owner --no-acl >"$dir/$app.src.plain"
  nsp_data_checksums "$src" >"$dir/$app.src.data"
  grep -q '^table .* 1 ' "$dir/$app.src.data" || nsp_fail "$app: fill_rows.sql filled no table"

  for run in owners_acls_p1 owners_acls_p4 defaults_p1; do
    parallelism=${run##*_p}
    what="$app ($run)"
    dst=$(nsp_createdb "rw_${app}_$run")
    if [[ $run == owners_acls_* ]]; then
      nsp_job_config "$dir/$app.$run.json" "$src" "$dst" \
        "{\"parallelism\": $parallelism, \"owners\": true, \"acls\": true}"
      dump_args=() expected=$dir/$app.src.full
    else
      nsp_job_config "$dir/$app.$run.json" "$src" "$dst" "{\"parallelism\": $parallelism}"
      dump_args=(--no-owner --no-acl) expected=$dir/$app.src.plain
    fi
    nsp_run_job "$dir/$app.$run.json"
    if [[ $NSP_JOB_STATUS -ne 0 ]]; then
      _nsp_log "FAIL: $what: the job did not apply every step (exit status $NSP_JOB_STATUS):"
      grep -E '^ +(failed|skipped|conflict) ' "$NSP_JOB_LOG" | head -n 20 >&2 || nsp_show_job_log
      failures+=("$what: job exit status $NSP_JOB_STATUS")
    fi
    nsp_schema_dump "$dst" "${dump_args[@]}" >"$dir/$app.$run.schema"
    compare "$expected" "$dir/$app.$run.schema" "$what: schema dumps"
    nsp_data_checksums "$dst" >"$dir/$app.$run.data"
    compare "$dir/$app.src.data" "$dir/$app.$run.data" "$what: row counts, checksums and sequence states"
    dst=${dst#postgresql:///}
    _nsp_dropdb "${dst%%\?*}"
  done
done

if ((${#failures[@]})); then
  _nsp_log "FAIL: ${#failures[@]} check(s) failed:"
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi

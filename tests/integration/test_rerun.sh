#!/usr/bin/env bash
# Re-run after an interrupted post-sync (tests/fixtures/jobs/rerun.sql: a 1M-row table whose index
# builds take seconds; NSP_RERUN_ROWS rows, default 500000). The phases run as separate commands:
#   pre-sync --plan-out PLAN --hydrate; post-sync --plan PLAN (one build connection)
# and while post-sync builds an index of rr.big, another connection terminates the plugin's
# backends (pg_terminate_backend on application_name 'neosync-schema-plugin'). Then post-sync
# runs again with the same plan. Asserted:
#  - the first post-sync did part of the work (some steps applied) and did not finish (exit != 0);
#  - the second one exits 0 with no failed, skipped or conflicting step, and reports every step
#    the first run applied as `unchanged` (by step id, from the JSON reports);
#  - the destination has no duplicate objects (one index per source index, one constraint per
#    source constraint) and schema and data parity with the source.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)
src=$(nsp_createdb rerun_src)
dst=$(nsp_createdb rerun_dst)
dst_db=${dst#postgresql:///}; dst_db=${dst_db%%\?*}
nsp_psql "$src" -v rows="${NSP_RERUN_ROWS:-500000}" -f "$NSP_SOURCE_DIR/tests/fixtures/jobs/rerun.sql" >/dev/null
nsp_job_config "$dir/job.json" "$src" "$dst" '{"parallelism": 1}'

set +e
"$NSP_HOST_SIM" pre-sync --config "$dir/job.json" --plan-out "$dir/plan.bin" --hydrate >"$dir/pre.log" 2>&1
rc=$?
set -e
[[ $rc -eq 0 ]] || { cat "$dir/pre.log" >&2; nsp_fail "pre-sync --hydrate exited $rc"; }

# step id and status of every post-sync result in a JSON report (pretty: one field a line).
step_statuses() {
  awk '/"postSync"/ { post = 1 }
       post && /"stepId":/ { gsub(/[^0-9]/, ""); id = $0 }
       post && /"status":/ { s = $0; sub(/.*STEP_STATUS_/, "", s); sub(/".*/, "", s); print id, s }' "$1"
}

# First post-sync, interrupted.
"$NSP_HOST_SIM" post-sync --config "$dir/job.json" --plan "$dir/plan.bin" --json >"$dir/post1.json" 2>"$dir/post1.err" &
host_pid=$!
nsp_on_exit "kill $host_pid 2>/dev/null"
killed=0
for _ in $(seq 1 600); do
  # Wait until steps have applied (the primary key of rr.big, built first as CREATE UNIQUE INDEX then
  # ADD CONSTRAINT ... USING INDEX, and another index) and another build is running.
  n=$(nsp_query "$NSP_PG_URL" "SELECT count(*) FROM pg_stat_activity WHERE datname = '$dst_db'
        AND application_name = 'neosync-schema-plugin' AND state = 'active' AND query ILIKE '%INDEX%'")
  done_idx=$(nsp_query "$dst" "SELECT count(*) FROM pg_index WHERE indrelid = to_regclass('rr.big') AND indisvalid
                               AND EXISTS (SELECT FROM pg_constraint WHERE conname = 'big_pkey')")
  if (( n > 0 && done_idx > 0 )); then
    killed=$(nsp_query "$NSP_PG_URL" "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE datname = '$dst_db' AND application_name = 'neosync-schema-plugin') t")
    break
  fi
  kill -0 "$host_pid" 2>/dev/null || break
  sleep 0.05
done
set +e
wait "$host_pid"
rc1=$?
set -e
cat "$dir/post1.err" >&2
(( killed > 0 )) || nsp_fail "the first post-sync finished before it could be interrupted (use more rows: NSP_RERUN_ROWS)"
_nsp_log "terminated $killed plugin backend(s); the first post-sync exited $rc1"
(( rc1 != 0 )) || nsp_fail "the interrupted post-sync exited 0"
step_statuses "$dir/post1.json" >"$dir/post1.steps"
applied1=$(awk '$2 == "APPLIED" { print $1 }' "$dir/post1.steps")
[[ -n $applied1 ]] || { cat "$dir/post1.json" >&2; nsp_fail "the interrupted post-sync applied nothing: nothing to find unchanged"; }
awk '$2 != "APPLIED"' "$dir/post1.steps" | grep -q . || nsp_fail "the interrupted post-sync applied every step"

# Second post-sync, same plan.
set +e
"$NSP_HOST_SIM" post-sync --config "$dir/job.json" --plan "$dir/plan.bin" --json >"$dir/post2.json" 2>"$dir/post2.err"
rc2=$?
set -e
step_statuses "$dir/post2.json" >"$dir/post2.steps"
bad=$(awk '$2 != "APPLIED" && $2 != "UNCHANGED"' "$dir/post2.steps")
[[ $rc2 -eq 0 && -z $bad ]] || {
  cat "$dir/post2.err" >&2
  grep -E '"(identity|status|sqlstate|message)"' "$dir/post2.json" | grep -B2 -A2 -E 'FAILED|SKIPPED|CONFLICT' >&2 || true
  nsp_fail "the second post-sync exited $rc2; steps not applied or unchanged (id status): $(echo $bad)"; }
for id in $applied1; do
  st=$(awk -v id="$id" '$1 == id { print $2 }' "$dir/post2.steps")
  [[ $st == UNCHANGED ]] || nsp_fail "step $id, applied by the first run, is '$st' in the second (expected UNCHANGED)"
done
_nsp_log "ok: the $(echo $applied1 | wc -w) step(s) the first run applied are reported unchanged"

# No duplicates: as many indexes and constraints as the source.
count_objects() {
  nsp_query "$1" "SELECT (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
                          WHERE c.relnamespace = 'rr'::regnamespace) || ' indexes, ' ||
                         (SELECT count(*) FROM pg_constraint WHERE connamespace = 'rr'::regnamespace) || ' constraints, ' ||
                         (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                          WHERE c.relnamespace = 'rr'::regnamespace AND NOT t.tgisinternal) || ' triggers'"
}
[[ $(count_objects "$src") == "$(count_objects "$dst")" ]] ||
  nsp_fail "object counts differ: source $(count_objects "$src"), destination $(count_objects "$dst")"
nsp_assert_parity "$src" "$dst" "after the re-run"

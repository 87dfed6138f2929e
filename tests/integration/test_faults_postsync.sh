#!/usr/bin/env bash
# Faults after pre-sync (issue 7):
#  1. a lock held by another session on a destination table during post-sync: the steps on that
#     table wait at most lockTimeoutMs, fail with SQLSTATE 55P03 (reported per step, the steps
#     that depend on them skipped), the other tables' steps apply; exit status 2;
#  2. a statement timeout: statementTimeoutMs ends a slow index build (57014), the rest applies;
#  3. the destination backend terminated during post-sync (mid index build): that step fails;
#     post-sync run again (`neosync-host-sim post-sync`) converges to schema and data parity;
#  4. the destination backend terminated during hydration (the COPY, held by a lock): that table
#     is reported not copied; a whole re-run (onExisting strip, truncateBeforeInsert) converges.
# The slow index: an expression index over a function that sleeps 2 ms per row (1,000 rows).
# (A small table: its build may share a round trip with other cheap steps, so the statement
# is looked for anywhere in the query text.)
# Locks are held on a table the destination already has (onExisting skip keeps it), so that
# pre-sync does not touch it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)
src=$(nsp_createdb fpost_src)
nsp_psql "$src" <<'SQL' >/dev/null
CREATE FUNCTION public.slow(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_catalog.pg_sleep(0.002); RETURN i; END $$;
CREATE TABLE public.big (id int PRIMARY KEY, v text);
INSERT INTO public.big SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
CREATE INDEX big_slow ON public.big (public.slow(id));
CREATE TABLE public.locked (id int PRIMARY KEY, big_id int REFERENCES public.big, note text);
CREATE INDEX locked_note ON public.locked (note);
INSERT INTO public.locked SELECT g, g, 'n' || g FROM generate_series(1, 100) g;
CREATE TABLE public.other (id int PRIMARY KEY, locked_id int REFERENCES public.locked);
INSERT INTO public.other SELECT g, g FROM generate_series(1, 50) g;
SQL
bare_locked="CREATE TABLE public.locked (id int NOT NULL, big_id int, note text)"

hold_lock() { # DB TABLE MODE
  "$NSP_PSQL" -X -q -d "$1&application_name=nsp_locker_$$" \
    -c "BEGIN; LOCK TABLE $2 IN $3 MODE; SELECT pg_sleep(120); COMMIT;" >/dev/null 2>&1 &
  nsp_on_exit "kill $! 2>/dev/null"
  for _ in $(seq 1 50); do
    [[ $(nsp_query "$1" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'nsp_locker_$$' AND wait_event = 'PgSleep'") == 1 ]] && return 0
    sleep 0.1
  done
  nsp_fail "the lock holder did not start"
}
release_lock() {
  nsp_query "$1" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'nsp_locker_$$'" >/dev/null
}
# terminate the first backend of APP on DB whose query matches LIKE; print nothing
terminate_when() { # DB APP LIKE
  for _ in $(seq 1 300); do
    local n
    n=$(nsp_query "$1" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()
          AND application_name = '$2' AND state = 'active' AND query LIKE '$3'")
    [[ $n -gt 0 ]] && return 0
    sleep 0.05
  done
  return 1
}
json_status() { # JSON-REPORT IDENTITY -> "STATUS SQLSTATE" of that post-sync step
  python3 - "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
def walk(x):
    if isinstance(x, dict):
        if x.get("identity") == sys.argv[2] and "status" in x and x.get("phase", "").endswith("POST_SYNC"):
            print(x["status"].replace("STEP_STATUS_", ""), x.get("sqlstate", "")); sys.exit(0)
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(doc)
print("NOTFOUND")
PY
}
command -v python3 >/dev/null || nsp_skip "python3 is needed to read the JSON report"

# --- 1. lock held during post-sync --------------------------------------------------------------
dst=$(nsp_createdb fpost_lock)
nsp_psql "$dst" -c "$bare_locked" >/dev/null
hold_lock "$dst" public.locked "ROW EXCLUSIVE"   # COPY may go on; CREATE INDEX (SHARE) may not
nsp_job_config "$dir/lock.json" "$src" "$dst" '{"onExisting": "ON_EXISTING_SKIP", "lockTimeoutMs": 300}'
start=$SECONDS
nsp_run_job "$dir/lock.json" --json
release_lock "$dst"
[[ $NSP_JOB_STATUS -eq 2 ]] || { nsp_show_job_log; nsp_fail "lock: exit $NSP_JOB_STATUS, expected 2"; }
(( SECONDS - start < 60 )) || nsp_fail "lock: the job took $((SECONDS - start)) s: the wait was not bounded"
sed -n '/^{/,$p' "$NSP_JOB_LOG" >"$dir/lock-report.json"
read -r st code < <(json_status "$dir/lock-report.json" public.locked.locked_note)
[[ $st == FAILED && $code == 55P03 ]] || nsp_fail "lock: locked_note is $st $code, expected FAILED 55P03"
read -r st code < <(json_status "$dir/lock-report.json" public.big.big_slow)
[[ $st == APPLIED ]] || nsp_fail "lock: the other table's index is $st, expected APPLIED"
[[ $(nsp_query "$dst" "SELECT count(*) FROM public.locked") == 100 ]] || nsp_fail "lock: rows of the locked table were not copied"
_nsp_log "ok: lock held during post-sync: locked_note FAILED 55P03, others applied"

# --- 2. statement timeout -----------------------------------------------------------------------
dst=$(nsp_createdb fpost_stmt)
nsp_job_config "$dir/stmt.json" "$src" "$dst" '{"statementTimeoutMs": 700}'
nsp_run_job "$dir/stmt.json" --json
[[ $NSP_JOB_STATUS -eq 2 ]] || { nsp_show_job_log; nsp_fail "statement timeout: exit $NSP_JOB_STATUS, expected 2"; }
sed -n '/^{/,$p' "$NSP_JOB_LOG" >"$dir/stmt-report.json"
read -r st code < <(json_status "$dir/stmt-report.json" public.big.big_slow)
[[ $st == FAILED && $code == 57014 ]] || nsp_fail "statement timeout: big_slow is $st $code, expected FAILED 57014"
read -r st code < <(json_status "$dir/stmt-report.json" public.locked.locked_note)
[[ $st == APPLIED ]] || nsp_fail "statement timeout: locked_note is $st, expected APPLIED"
_nsp_log "ok: statement timeout: big_slow FAILED 57014, others applied"

# --- 4. backend terminated during hydration; re-run converges ---------------------------------
dst=$(nsp_createdb fpost_hyd)
nsp_psql "$dst" -c "$bare_locked" >/dev/null
hold_lock "$dst" public.locked "SHARE"   # COPY (ROW EXCLUSIVE) waits for it
nsp_job_config "$dir/hyd.json" "$src" "$dst" '{"onExisting": "ON_EXISTING_SKIP"}'
NSP_JOB_LOG=$dir/hyd.log
"$NSP_HOST_SIM" run --config "$dir/hyd.json" >"$NSP_JOB_LOG" 2>&1 &
job=$!
terminate_when "$dst" 'neosync-host-sim hydrate' 'COPY%locked%' || { kill $job; nsp_fail "the COPY never started"; }
release_lock "$dst"
set +e; wait $job; status=$?; set -e
[[ $status -eq 2 ]] || { cat "$NSP_JOB_LOG" >&2; nsp_fail "terminated hydration: exit $status, expected 2"; }
grep -q 'locked' "$NSP_JOB_LOG" || nsp_fail "the report does not name the table that was not copied"
# a whole re-run: strip (drop the keys, indexes and foreign keys of the selected tables, keep
# the tables), copy again from scratch (truncateBeforeInsert), post-sync re-creates everything
nsp_job_config "$dir/rerun2.json" "$src" "$dst" '{"onExisting": "ON_EXISTING_STRIP"}' '"tables": []'
sed -i 's/"hydration": {"parallelism": \([0-9]*\)}/"hydration": {"parallelism": \1, "truncateBeforeInsert": true}/' "$dir/rerun2.json"
sed -i '/"tables": \[\],/d' "$dir/rerun2.json"
nsp_run_job "$dir/rerun2.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "re-run after a terminated hydration: exit $NSP_JOB_STATUS"; }
nsp_assert_parity "$src" "$dst" "after a terminated hydration and a re-run"
# --- 3. backend terminated during post-sync; re-run converges -------------------------------
dst=$(nsp_createdb fpost_kill)
nsp_job_config "$dir/kill.json" "$src" "$dst"
NSP_JOB_LOG=$dir/kill.log
"$NSP_HOST_SIM" run --config "$dir/kill.json" >"$NSP_JOB_LOG" 2>&1 &
job=$!
terminate_when "$dst" neosync-schema-plugin '%CREATE INDEX%slow%' || { kill $job; nsp_fail "the slow index build never started"; }
set +e; wait $job; status=$?; set -e
[[ $status -eq 2 ]] || { cat "$NSP_JOB_LOG" >&2; nsp_fail "terminated post-sync: exit $status, expected 2"; }
# post-sync is idempotent: run it again (planning again from the source)
NSP_JOB_LOG=$dir/rerun.log
set +e; "$NSP_HOST_SIM" post-sync --config "$dir/kill.json" >"$NSP_JOB_LOG" 2>&1; NSP_JOB_STATUS=$?; set -e
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "post-sync re-run after a terminated post-sync: exit $NSP_JOB_STATUS"; }
grep -Eq '[1-9][0-9]* unchanged' "$NSP_JOB_LOG" || nsp_fail "the re-run did not find the applied steps unchanged"
nsp_assert_parity "$src" "$dst" "after a terminated post-sync and a re-run"

_nsp_log "PASS"

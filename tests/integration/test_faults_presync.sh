#!/usr/bin/env bash
# Faults before the rows (issue 7):
#  1. the destination backend is terminated while pre-sync runs: pre-sync is one transaction, so
#     it rolls back and nothing of this run is left (the table it had already created is gone);
#     the error says which step failed and that nothing was created; exit status 1. Pre-sync is
#     held mid-transaction by a lock: the destination already has `parent` (onExisting skip), a
#     second session holds it ACCESS EXCLUSIVE, and pre-sync's CREATE TABLE child () INHERITS
#     (parent) waits for it, after `a_early` was created in the same transaction;
#  2. the source backend is terminated while the catalog is read (held the same way: a lock on a
#     source table blocks the catalog query that sizes tables): a clear error naming the source
#     catalog, exit status 1, the destination untouched.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)
src=$(nsp_createdb fpre_src)
dst=$(nsp_createdb fpre_dst)
nsp_psql "$src" <<'SQL'
CREATE TABLE public.a_early (id int PRIMARY KEY);
CREATE TABLE public.parent (id int NOT NULL, note text);
CREATE TABLE public.child (extra int) INHERITS (public.parent);
INSERT INTO public.a_early VALUES (1);
SQL
nsp_psql "$dst" -c "CREATE TABLE public.parent (id int NOT NULL, note text)"

# hold LOCK MODE on TABLE in DB in the background as application_name nsp_locker_$$ (60 s at most)
hold_lock() {
  "$NSP_PSQL" -X -q -d "$1&application_name=nsp_locker_$$" \
    -c "BEGIN; LOCK TABLE $2 IN $3 MODE; SELECT pg_sleep(60); COMMIT;" >/dev/null 2>&1 &
  nsp_on_exit "kill $! 2>/dev/null"
}
release_lock() {
  nsp_query "$1" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'nsp_locker_$$'" >/dev/null
}
# wait until the plugin's backend on DB waits for a lock; print its pid
wait_for_plugin_lock_wait() {
  local pid=''
  for _ in $(seq 1 200); do
    pid=$(nsp_query "$1" "SELECT pid FROM pg_stat_activity WHERE datname = current_database()
            AND application_name = 'neosync-schema-plugin' AND wait_event_type = 'Lock' LIMIT 1")
    [[ -n $pid ]] && { echo "$pid"; return 0; }
    sleep 0.1
  done
  return 1
}

# --- 1. destination backend terminated during pre-sync ----------------------------------------
hold_lock "$dst" public.parent "ACCESS EXCLUSIVE"
nsp_job_config "$dir/job.json" "$src" "$dst" '{"onExisting": "ON_EXISTING_SKIP", "lockTimeoutMs": 60000}'
NSP_JOB_LOG=$dir/job1.log
"$NSP_HOST_SIM" run --config "$dir/job.json" >"$NSP_JOB_LOG" 2>&1 &
job=$!
pid=$(wait_for_plugin_lock_wait "$dst") || { kill $job; nsp_fail "pre-sync never waited for the lock"; }
nsp_query "$dst" "SELECT pg_terminate_backend($pid)" >/dev/null
set +e; wait $job; status=$?; set -e
release_lock "$dst"
[[ $status -eq 1 ]] || { cat "$NSP_JOB_LOG" >&2; nsp_fail "pre-sync with a terminated backend: exit $status, expected 1"; }
# (libpq's message for a lost connection spans lines: match across them)
tr '\n' ' ' <"$NSP_JOB_LOG" | grep -Eq 'pre-sync step [0-9]+ \(public.child\) failed: .*terminat.*rolled back, nothing was created' ||
  { cat "$NSP_JOB_LOG" >&2; nsp_fail "no clear error for the terminated pre-sync"; }
[[ $(nsp_query "$dst" "SELECT count(*) FROM pg_class WHERE relname IN ('a_early', 'child')") == 0 ]] ||
  nsp_fail "pre-sync left tables behind after its backend was terminated"
[[ $(nsp_query "$dst" "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'") == 1 ]] ||
  nsp_fail "the destination has more than its own table"
_nsp_log "ok: terminated pre-sync rolled back: $(grep -Eo 'pre-sync step [0-9]+ \(public.child\) failed: .{0,80}' "$NSP_JOB_LOG" | head -n 1)"

# --- 2. source backend terminated while the catalog is read -----------------------------------
dst2=$(nsp_createdb fpre_dst2)
hold_lock "$src" public.a_early "ACCESS EXCLUSIVE"
nsp_job_config "$dir/job2.json" "$src" "$dst2"
NSP_JOB_LOG=$dir/job2.log
"$NSP_HOST_SIM" run --config "$dir/job2.json" >"$NSP_JOB_LOG" 2>&1 &
job=$!
wait_for_plugin_lock_wait "$src" >/dev/null || { kill $job; nsp_fail "the catalog read never waited for the lock"; }
# Every plugin session on the source: the catalog's second session (the constraints and indexes
# queries, run ahead in the same snapshot) waits for the lock too.
# It may connect a moment later: terminate them until the job ends.
for _ in $(seq 1 50); do
  nsp_query "$src" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()
                    AND application_name = 'neosync-schema-plugin'" >/dev/null
  kill -0 $job 2>/dev/null || break
  sleep 0.2
done
set +e; wait $job; status=$?; set -e
release_lock "$src"
[[ $status -eq 1 ]] || { cat "$NSP_JOB_LOG" >&2; nsp_fail "terminated introspection: exit $status, expected 1"; }
tr '\n' ' ' <"$NSP_JOB_LOG" | grep -Eq 'from the source catalog: .*terminat' ||
  { cat "$NSP_JOB_LOG" >&2; nsp_fail "no clear error for the terminated source"; }
[[ $(nsp_query "$dst2" "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") == 0 ]] ||
  nsp_fail "the destination changed although the source failed"
_nsp_log "ok: terminated source: $(grep -Eo 'reading .{0,30}from the source catalog: .{0,80}' "$NSP_JOB_LOG" | head -n 1)"
_nsp_log "PASS"

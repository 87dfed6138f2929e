#!/usr/bin/env bash
# The reference Go worker (host-sim/go/cmd/neosync-go-worker) drives a whole job through
# `serve` on a Unix socket: pre-sync through the Go client, its own COPY with pgx, post-sync.
#  1. Pagila with rows (../shared/fixtures; skipped when they are absent): exit 0, the
#     report says complete, schema and data parity (DESIGN.md §6).
#  2. SIGINT while a post-sync step waits for a lock: the worker's context is cancelled, the
#     hook's statement is cancelled on the server, exit status 1 naming the cancellation; the job
#     run again (onExisting strip + truncateBeforeInsert: a recurring job's settings) converges to
#     parity.
#  3. A bad address and an unreachable host: exit status 1 with an error that says so.
# (A plugin host of another ABI major is refused by the client: go.unit,
# TestDialRefusesAnotherABIMajor, against a real gRPC server; `serve` itself refuses to load such a
# plugin, so no host of ours can serve one.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

worker=${NSP_GO_WORKER:-$NSP_BUILD_DIR/host-sim/go/neosync-go-worker}
[[ -x $worker ]] || nsp_fail "the Go worker is not built ($worker)"
dir=$(nsp_tmpdir)

# --- the host on a Unix socket --------------------------------------------------------------------
"$NSP_HOST_SIM" serve --plugin "$NSP_PLUGIN" --listen "unix:$dir/host.sock" 2>"$dir/host.log" &
host_pid=$!
nsp_on_exit "kill -TERM $host_pid 2>/dev/null; wait $host_pid 2>/dev/null"
for ((i = 0; i < 200; i++)); do
  grep -qs '"msg":"listening"' "$dir/host.log" && break
  kill -0 "$host_pid" 2>/dev/null || { cat "$dir/host.log" >&2; nsp_fail "serve exited before listening"; }
  sleep 0.1
done
grep -q '"msg":"listening"' "$dir/host.log" || nsp_fail "serve did not listen within 20 s"
addr="unix:$dir/host.sock"

# go_job FILE SRC DST OPTIONS_JSON [EXTRA]: a job config whose hook names the host's address.
go_job() {
  nsp_job_config "$@"
  sed -i "s|\"path\": \"$NSP_PLUGIN\"|\"address\": \"$addr\"|" "$1"
  grep -q "\"address\": \"$addr\"" "$1" || nsp_fail "could not point $1 at the host"
}

# run_worker NAME ARGS...: stdout to $dir/NAME.out, stderr to $dir/NAME.err, status in $status.
run_worker() {
  local name=$1; shift
  set +e
  "$worker" "$@" >"$dir/$name.out" 2>"$dir/$name.err"
  status=$?
  set -e
  _nsp_log "worker $name: exit status $status"
}

src=$(nsp_createdb go_src)
if [[ -d $NSP_SHARED_FIXTURES ]]; then
  fixture=pagila
  nsp_psql "$src" -f "$NSP_SHARED_FIXTURES/pagila/pagila-schema.sql" >/dev/null
  nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/pagila/pagila-data.sql" >/dev/null
  lock_table=film_actor
else
  # The cancel case needs a table that post-sync constrains while the data step has left it
  # unlocked: Pagila's film_actor. Without the shared fixtures, skip like parity_pagila.
  nsp_skip "../shared/fixtures (Pagila) not present"
fi
_nsp_log "fixture: $fixture"

# --- 1. a whole job: parity ----------------------------------------------------------------------
dst=$(nsp_createdb go_dst)
go_job "$dir/job.json" "$src" "$dst" '{"owners": true, "acls": true}'
run_worker job -config "$dir/job.json"
[[ $status -eq 0 ]] || { cat "$dir/job.err" "$dir/job.out" >&2; nsp_fail "the job did not apply every step"; }
grep -q ': complete$' "$dir/job.out" || { cat "$dir/job.out" >&2; nsp_fail "the report does not say complete"; }
grep -q "at $addr" "$dir/job.err" || nsp_fail "the worker did not name the host it used"
nsp_assert_parity "$src" "$dst" "$fixture through the Go worker"
grep -E '^(Pre-sync|Post-sync|Total)|tables \(from the pre-sync plan\)' -A1 "$dir/job.out" | grep -v '^--' >&2 || true

# --- 2. cancelled mid post-sync, then run again ---------------------------------------------------
dst=$(nsp_createdb go_cancel)
options='{"onExisting": "strip", "lockTimeoutMs": 120000}'
go_job "$dir/cancel.json" "$src" "$dst" "$options"
# The run again truncates (the first one loads an empty destination: its TRUNCATE would wait for
# the lock below in the data step, not in post-sync).
sed 's|"hydration": {"parallelism": \([0-9]*\)}|"hydration": {"parallelism": \1, "truncateBeforeInsert": true}|' "$dir/cancel.json" >"$dir/rerun.json"
grep -q '"truncateBeforeInsert": true' "$dir/rerun.json" || nsp_fail "could not set truncateBeforeInsert"
# A session holding ACCESS SHARE on one destination table once pre-sync has created it: COPY
# (ROW EXCLUSIVE) goes through, the post-sync ALTER TABLE ... ADD CONSTRAINT (ACCESS EXCLUSIVE)
# waits for it, so the cancellation surely arrives mid post-sync.
# One session that polls (every 10 ms, a fresh snapshot per statement) for the table and locks it
# at once: the data step between pre-sync and post-sync is the window.
holder() {
  PGAPPNAME="go-holder-$$" nsp_psql "$dst" >/dev/null 2>&1 <<SQL || true
BEGIN;
DO \$\$
BEGIN
  FOR i IN 1..12000 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relname = '$lock_table' AND relnamespace = 'public'::regnamespace);
    PERFORM pg_catalog.pg_sleep(0.01);
  END LOOP;
  EXECUTE 'LOCK TABLE public.' || quote_ident('$lock_table') || ' IN ACCESS SHARE MODE';
END
\$\$;
SELECT pg_catalog.pg_sleep(300);
COMMIT;
SQL
}
holder &
holder_pid=$!
nsp_on_exit "kill $holder_pid 2>/dev/null"
release_holder() {
  nsp_query "$NSP_PG_URL" "SELECT count(pg_catalog.pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'go-holder-$$'" >/dev/null
}
nsp_on_exit release_holder
dst_db=${dst#postgresql:///}
dst_db=${dst_db%%\?*}
# Backends of the destination that wait for the holder's lock. Only those: the job's own
# connections may wait on each other for a moment (two DDL statements updating one catalog row),
# and such a wait ends by itself.
waiting() {
  nsp_query "$NSP_PG_URL" "SELECT count(*) FROM pg_stat_activity w, pg_stat_activity h WHERE w.datname = '$dst_db' AND h.application_name = 'go-holder-$$' AND h.pid = ANY (pg_catalog.pg_blocking_pids(w.pid))"
}
# The holder must be polling before the job starts: on a busy machine its psql may take longer
# to connect than the job needs to pass the window.
for ((i = 0; i < 300; i++)); do
  [[ $(nsp_query "$NSP_PG_URL" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'go-holder-$$'") -ge 1 ]] && break
  kill -0 "$holder_pid" 2>/dev/null || nsp_fail "the lock holder's session ended before the job"
  sleep 0.1
done
[[ $(nsp_query "$NSP_PG_URL" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'go-holder-$$'") -ge 1 ]] || nsp_fail "the lock holder's session did not start within 30 s"
"$worker" -config "$dir/cancel.json" >"$dir/cancel.out" 2>"$dir/cancel.err" &
worker_pid=$!
for ((i = 0; i < 1200; i++)); do
  [[ $(waiting) -ge 1 ]] && break
  kill -0 "$worker_pid" 2>/dev/null || break
  sleep 0.1
done
[[ $(waiting) -ge 1 ]] || { cat "$dir/cancel.err" >&2; nsp_fail "no post-sync statement came to wait for the held lock"; }
grep -q 'hook schema: post-sync' "$dir/cancel.err" || nsp_fail "the waiting statement is not post-sync's"
kill -INT "$worker_pid"
set +e
wait "$worker_pid"
status=$?
set -e
_nsp_log "worker cancel: exit status $status"
[[ $status -eq 1 ]] || { cat "$dir/cancel.err" >&2; nsp_fail "a cancelled post-sync exited $status, expected 1"; }
grep -q 'post-sync: cancelled' "$dir/cancel.err" || { cat "$dir/cancel.err" >&2; nsp_fail "the worker did not report the cancellation"; }
for ((i = 0; i < 200; i++)); do
  [[ $(waiting) -eq 0 ]] && break
  sleep 0.1
done
[[ $(waiting) -eq 0 ]] || nsp_fail "the cancelled post-sync's statement still waits on the server"
_nsp_log "ok: SIGINT mid post-sync: call cancelled, statement cancelled, exit status 1"
release_holder
wait "$holder_pid" 2>/dev/null || true
run_worker rerun -config "$dir/rerun.json"
[[ $status -eq 0 ]] || { cat "$dir/rerun.err" "$dir/rerun.out" >&2; nsp_fail "the run after the cancellation did not complete"; }
nsp_schema_dump "$src" --no-owner --no-acl >"$dir/src.schema"
nsp_schema_dump "$dst" --no-owner --no-acl >"$dir/dst.schema"
nsp_assert_same "$dir/src.schema" "$dir/dst.schema" "$fixture after a cancelled post-sync and a re-run: schema dumps (no owners, no privileges)"
nsp_data_checksums "$src" >"$dir/src.data"
nsp_data_checksums "$dst" >"$dir/dst.data"
nsp_assert_same "$dir/src.data" "$dir/dst.data" "$fixture after a cancelled post-sync and a re-run: rows, checksums, sequences"

# --- 3. clear errors ------------------------------------------------------------------------------
run_worker badaddr -config "$dir/job.json" -remote "not-an-address"
[[ $status -eq 1 ]] || nsp_fail "a bad address exited $status, expected 1"
grep -q 'address "not-an-address": expected unix:/path, HOST:PORT' "$dir/badaddr.err" || { cat "$dir/badaddr.err" >&2; nsp_fail "no clear error for a bad address"; }
run_worker nohost -config "$dir/job.json" -remote "unix:$dir/nobody.sock"
[[ $status -eq 1 ]] || nsp_fail "an unreachable host exited $status, expected 1"
grep -q "plugin host at unix:$dir/nobody.sock: the plugin host is not reachable" "$dir/nohost.err" || { cat "$dir/nohost.err" >&2; nsp_fail "no clear error for an unreachable host"; }
_nsp_log "ok: bad address and unreachable host: $(head -1 "$dir/badaddr.err" | cut -c1-120) / $(head -1 "$dir/nohost.err" | cut -c1-160)"

#!/usr/bin/env bash
# `neosync-plugin-host serve` (the daemon) against bad input and interruptions; the server keeps running throughout:
#  - listening rules: a live socket refused, a stale one replaced, mode 0600, non-loopback TCP
#    without TLS refused (allowed with --allow-insecure-remote);
#  - raw garbage bytes, a truncated message, an empty request -> INVALID_ARGUMENT with the
#    plugin's response; an oversized message -> RESOURCE_EXHAUSTED; a wrong method -> UNIMPLEMENTED;
#  - a deadline passed during post-sync -> DEADLINE_EXCEEDED, and a client cancel mid-post-sync:
#    the statement running on the server is cancelled (pg_stat_activity);
#  - SIGTERM during a call: a short call finishes within the grace period (status OK); a long
#    one is cancelled after it (status CANCELLED, its statement cancelled); exit status 0.
# Tools: tests/tools/grpc_probe.c.
source "$(dirname "$0")/lib.sh"

probe=$NSP_BUILD_DIR/tests/grpc_probe
[[ -x $probe ]] || nsp_fail "grpc_probe not built ($probe)"
dir=$(nsp_tmpdir)
sock=$dir/host.sock
addr=unix:$sock

src=$(nsp_createdb grpc_bad_src)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null
dst=$(nsp_createdb grpc_bad_dst)

cat >"$dir/pre.json" <<JSON
{"jobId": "grpc-bad", "runId": "pre", "dryRun": true,
 "source": {"postgres": {"url": "$src"}}, "destination": {"postgres": {"url": "$dst"}}}
JSON
# post_json FILE RUN_ID SECONDS MARKER: a PostSyncRequest whose plan has one post-sync step that
# runs for SECONDS: a CREATE INDEX on a table of its own that another session holds locked for
# that long (the plugin verifies plans: a step may only be what the planner makes, so no
# pg_sleep). MARKER (a comment in the SQL) finds its backend in pg_stat_activity.
post_json() {
  local t; t="w$(printf %s "$4" | md5sum | cut -c1-12)"
  nsp_psql "$dst" -c "CREATE TABLE public.\"$t\" (v text)" >/dev/null
  PGAPPNAME="holder-$4" nsp_psql "$dst" -c "BEGIN; LOCK TABLE public.\"$t\" IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($3); COMMIT;" >/dev/null 2>&1 &
  nsp_on_exit "kill $! 2>/dev/null || true"
  cat >"$1" <<JSON
{"jobId": "grpc-bad", "runId": "$2",
 "source": {"postgres": {"url": "$src"}}, "destination": {"postgres": {"url": "$dst"}},
 "options": {"lockTimeoutMs": 120000},
 "plan": {"formatVersion": 1, "jobId": "grpc-bad",
          "steps": [{"id": 1, "phase": "PHASE_POST_SYNC", "kind": "OBJECT_KIND_INDEX",
                     "identity": "public.$t.idx", "schema": "public", "name": "idx_$4",
                     "table": "\\"public\\".\\"$t\\"",
                     "sql": "CREATE INDEX \\"idx_$4\\" ON public.\\"$t\\" (v) /* $4 */;"}]}}
JSON
  # The lock is held before the call starts.
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $(nsp_query "$dst" "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = '$t' AND l.granted") -ge 1 ]] && return 0
    sleep 0.05
  done
  nsp_fail "the lock holder for $t did not start"
}
release_lock() { # release_lock MARKER: end the session that holds the lock of post_json MARKER
  nsp_query "$NSP_PG_URL" "SELECT count(pg_catalog.pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'holder-$1'" >/dev/null
}
backends() { # number of backends running the statement with marker $1
  nsp_query "$NSP_PG_URL" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%$1%' AND pid <> pg_backend_pid()"
}
wait_backends() { # wait_backends MARKER N: until N backends run it (30 s at most: a busy machine)
  local i
  for ((i = 0; i < 300; i++)); do [[ $(backends "$1") -eq $2 ]] && return 0; sleep 0.1; done
  return 1
}

# start_host LOG ARGS...: serve in the background, wait for "listening"; sets HOST_PID.
start_host() {
  local log=$1 i; shift
  "$NSP_PLUGIN_HOST" serve --plugin "$NSP_PLUGIN" "$@" 2>"$log" &
  HOST_PID=$!
  nsp_on_exit "kill -KILL $HOST_PID 2>/dev/null; wait $HOST_PID 2>/dev/null"
  for ((i = 0; i < 200; i++)); do
    grep -q '"msg":"listening"' "$log" && return 0
    kill -0 "$HOST_PID" 2>/dev/null || { cat "$log" >&2; nsp_fail "serve exited before listening"; }
    sleep 0.1
  done
  nsp_fail "serve did not listen"
}

# expect NAME PATTERN PROBE-ARGS...: run the probe, its output must match PATTERN (grep -E).
expect() {
  local name=$1 pattern=$2 out; shift 2
  out=$("$probe" --addr "$addr" "$@" 2>&1) || nsp_fail "$name: probe failed: $out"
  grep -Eq "$pattern" <<<"$out" || nsp_fail "$name: expected /$pattern/, got: $out"
  _nsp_log "ok: $name: $out"
}
alive() { kill -0 "$HOST_PID" 2>/dev/null || { tail -20 "$dir/host.log" >&2; nsp_fail "the server died ($1)"; }; }

# --- listening rules ----------------------------------------------------------------------------
# A stale socket file (its server killed) is replaced.
start_host "$dir/stale.log" --listen "$addr"
kill -KILL "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true
[[ -S $sock ]] || nsp_fail "expected a stale socket file after kill -9"
start_host "$dir/host.log" --listen "$addr" --grace-seconds 2
grep -q '"msg":"removed a stale socket file"' "$dir/host.log" || nsp_fail "the stale socket was not reported as replaced"
[[ $(stat -c %a "$sock") == 600 ]] || nsp_fail "socket mode $(stat -c %a "$sock"), expected 600"
# A live one is refused.
set +e
"$NSP_PLUGIN_HOST" serve --plugin "$NSP_PLUGIN" --listen "$addr" 2>"$dir/live.log"
rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "is in use" "$dir/live.log" || { cat "$dir/live.log" >&2; nsp_fail "a live socket was not refused"; }
# A non-loopback address without TLS is refused, unless allowed.
set +e
"$NSP_PLUGIN_HOST" serve --plugin "$NSP_PLUGIN" --listen 0.0.0.0:0 2>"$dir/remote.log"
rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "without TLS" "$dir/remote.log" || { cat "$dir/remote.log" >&2; nsp_fail "0.0.0.0 without TLS was not refused"; }
main_pid=$HOST_PID
start_host "$dir/insecure.log" --listen 0.0.0.0:0 --allow-insecure-remote
kill -TERM "$HOST_PID"; wait "$HOST_PID" || nsp_fail "serve --allow-insecure-remote did not stop cleanly"
HOST_PID=$main_pid

# --- bad requests -------------------------------------------------------------------------------
expect "health" '^status=OK .*final=yes' call Health
expect "describe" '^status=OK hook_status=0 ' call Describe
expect "plan-only pre-sync" '^status=OK hook_status=0 .*final=yes' call PreSync --json "$dir/pre.json"
expect "garbage to PreSync" '^status=INVALID_ARGUMENT hook_status=1 .*final=yes details=.*not a valid' call PreSync --garbage 1000
expect "garbage to PostSync" '^status=INVALID_ARGUMENT hook_status=1 .*final=yes' call PostSync --garbage 77
expect "garbage to Describe" '^status=(INVALID_ARGUMENT|OK) ' call Describe --garbage 64
expect "truncated PreSync" '^status=INVALID_ARGUMENT hook_status=1 .*final=yes' call PreSync --json "$dir/pre.json" --truncate 25
expect "empty PreSync" '^status=INVALID_ARGUMENT hook_status=1 .*final=yes' call PreSync
expect "oversized PreSync" '^status=RESOURCE_EXHAUSTED ' --max-message-bytes 200000000 call PreSync --json "$dir/pre.json" --size 70000000
expect "wrong method" '^status=UNIMPLEMENTED ' call /neosync.plugin.v1.SchemaPlugin/Nope
expect "wrong service" '^status=UNIMPLEMENTED ' call /grpc.health.v1.Health/Watch
expect "unknown health service" '^status=NOT_FOUND ' call Health --hex 0a046e6f7065
alive "bad requests"

# --- deadline and cancellation mid-post-sync ---------------------------------------------------------
post_json "$dir/deadline.json" deadline 30 "grpc-deadline-$$"
expect "deadline during post-sync" '^status=DEADLINE_EXCEEDED ' --deadline-ms 1500 call PostSync --json "$dir/deadline.json"
wait_backends "grpc-deadline-$$" 0 || nsp_fail "the statement of the call past its deadline still runs"

post_json "$dir/cancel.json" cancel 30 "grpc-cancel-$$"
"$probe" --addr "$addr" --cancel-after-ms 60000 call PostSync --json "$dir/cancel.json" >"$dir/cancel.out" 2>&1 &
probe_pid=$!
# A client that goes away (killed: its connection closes) once the statement runs on the server.
wait_backends "grpc-cancel-$$" 1 || nsp_fail "the post-sync statement did not start"
kill -TERM "$probe_pid"; wait "$probe_pid" 2>/dev/null || true
wait_backends "grpc-cancel-$$" 0 || nsp_fail "a client that went away did not cancel the statement on the server"
_nsp_log "ok: client gone mid-post-sync: statement cancelled"

post_json "$dir/cancel2.json" cancel2 30 "grpc-cancel2-$$"
expect "client cancel mid-post-sync" '^status=CANCELLED ' --cancel-after-ms 1500 call PostSync --json "$dir/cancel2.json"
wait_backends "grpc-cancel2-$$" 0 || nsp_fail "a cancelled call's statement still runs on the server"
grep -q '"msg":"call cancelled by the client"' "$dir/host.log" || nsp_fail "the host did not log the cancellation"
alive "cancellations"
expect "health after all that" '^status=OK ' call Health

# --- SIGTERM during calls ---------------------------------------------------------------------------
# A call that ends within the grace period (2 s) finishes normally: its statement waits for a lock
# until the host got SIGTERM, then the lock is released (no race with a timer on a busy machine).
post_json "$dir/short.json" short 60 "grpc-short-$$"
"$probe" --addr "$addr" call PostSync --json "$dir/short.json" >"$dir/short.out" 2>&1 &
short_pid=$!
wait_backends "grpc-short-$$" 1 || nsp_fail "the short statement did not start"
kill -TERM "$HOST_PID"
release_lock "grpc-short-$$"
wait "$short_pid" || true
grep -Eq '^status=OK hook_status=0 .*final=yes' "$dir/short.out" || { cat "$dir/short.out" >&2; nsp_fail "a call in flight did not finish during the grace period"; }
set +e
wait "$HOST_PID"
rc=$?
set -e
[[ $rc -eq 0 ]] || nsp_fail "serve exited $rc after SIGTERM"
[[ ! -e $sock ]] || nsp_fail "the socket file was left behind"
_nsp_log "ok: SIGTERM: the call in flight finished, exit status 0"

# ... one that does not is cancelled after it: statement cancelled, response sent, exit 0.
start_host "$dir/host2.log" --listen "$addr" --grace-seconds 1
post_json "$dir/long.json" long 30 "grpc-long-$$"
"$probe" --addr "$addr" call PostSync --json "$dir/long.json" >"$dir/long.out" 2>&1 &
long_pid=$!
wait_backends "grpc-long-$$" 1 || nsp_fail "the long statement did not start"
kill -TERM "$HOST_PID"
set +e
wait "$HOST_PID"
rc=$?
set -e
wait "$long_pid" || true
[[ $rc -eq 0 ]] || nsp_fail "serve exited $rc after SIGTERM with a call in flight"
grep -Eq '^status=CANCELLED hook_status=4 .*final=yes' "$dir/long.out" || { cat "$dir/long.out" >&2; nsp_fail "the cancelled call did not get its response"; }
wait_backends "grpc-long-$$" 0 || nsp_fail "the long statement still runs after the host stopped"
grep -q '"msg":"grace period over: cancelling calls in flight"' "$dir/host2.log" || nsp_fail "no grace-period line in the log"
_nsp_log "ok: SIGTERM: the long call was cancelled after the grace period, exit status 0"

# Logs are JSON lines without connection strings.
for log in "$dir/host.log" "$dir/host2.log"; do
  while IFS= read -r line; do
    [[ $line == \{*\} ]] || nsp_fail "not a JSON line in $log: $line"
  done <"$log"
  ! grep -q -e '?host=' -e 'password' "$log" || nsp_fail "a connection string in $log"
done

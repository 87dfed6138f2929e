#!/usr/bin/env bash
# `neosync-plugin-host serve` (the daemon) under valgrind (memcheck) through a shortened version of the other gRPC
# tests: describe, health, a plan-only pre-sync, garbage, a truncated and an oversized message, a
# wrong method, a call cancelled mid-post-sync, 40 calls from 4 clients at once, and SIGTERM with a
# call in flight. Valgrind must report no errors and no definite or indirect leaks (exit status 0,
# --error-exitcode=99); tests/valgrind/grpc.supp may hold gRPC's own one-time allocations.
# Skipped when valgrind is not installed, or under an ASan build (NSP_SANITIZE).
source "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || nsp_skip "valgrind is not installed"
if grep -q '^NSP_SANITIZE:BOOL=ON' "$NSP_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
  nsp_skip "ASan build: the sanitizer checks this build instead"
fi
probe=$NSP_BUILD_DIR/tests/grpc_probe
[[ -x $probe ]] || nsp_fail "grpc_probe not built ($probe)"
dir=$(nsp_tmpdir)
addr=unix:$dir/host.sock

src=$(nsp_createdb grpc_vg_src)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null
dst=$(nsp_createdb grpc_vg_dst)
cat >"$dir/pre.json" <<JSON
{"jobId": "grpc-vg", "runId": "pre", "dryRun": true,
 "source": {"postgres": {"url": "$src"}}, "destination": {"postgres": {"url": "$dst"}}}
JSON
# A post-sync step that runs for 60 s: a CREATE INDEX on a table another session holds locked
# (plans are verified: a step may only be what the planner makes, so no pg_sleep).
post_json() {
  local t; t="w$(printf %s "$3" | md5sum | cut -c1-12)"
  nsp_psql "$dst" -c "CREATE TABLE public.\"$t\" (v text)" >/dev/null
  nsp_psql "$dst" -c "BEGIN; LOCK TABLE public.\"$t\" IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT;" >/dev/null 2>&1 &
  nsp_on_exit "kill $! 2>/dev/null || true"
  cat >"$1" <<JSON
{"jobId": "grpc-vg", "runId": "$2",
 "source": {"postgres": {"url": "$src"}}, "destination": {"postgres": {"url": "$dst"}},
 "options": {"lockTimeoutMs": 120000},
 "plan": {"formatVersion": 1, "jobId": "grpc-vg",
          "steps": [{"id": 1, "phase": "PHASE_POST_SYNC", "kind": "OBJECT_KIND_INDEX",
                     "identity": "public.$t.idx", "schema": "public", "name": "idx_$3",
                     "table": "\\"public\\".\\"$t\\"",
                     "sql": "CREATE INDEX \\"idx_$3\\" ON public.\\"$t\\" (v) /* $3 */;"}]}}
JSON
}
post_json "$dir/cancel.json" cancel "grpc-vg-cancel-$$"
post_json "$dir/term.json" term "grpc-vg-term-$$"
backends() {
  nsp_query "$NSP_PG_URL" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%$1%' AND pid <> pg_backend_pid()"
}

valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=40 \
  --suppressions="$NSP_SOURCE_DIR/tests/valgrind/grpc.supp" --log-file="$dir/valgrind.log" \
  "$NSP_PLUGIN_HOST" serve --plugin "$NSP_PLUGIN" --listen "$addr" --grace-seconds 2 \
  --max-message-bytes 1048576 2>"$dir/host.log" &
host=$!
nsp_on_exit "kill -KILL $host 2>/dev/null; wait $host 2>/dev/null"
for ((i = 0; i < 600; i++)); do
  grep -q '"msg":"listening"' "$dir/host.log" && break
  kill -0 "$host" 2>/dev/null || { cat "$dir/host.log" "$dir/valgrind.log" >&2; nsp_fail "serve exited"; }
  sleep 0.1
done
grep -q '"msg":"listening"' "$dir/host.log" || nsp_fail "serve did not listen under valgrind within 60 s"

call() { # call PATTERN PROBE-ARGS...
  local pattern=$1 out; shift
  out=$("$probe" --addr "$addr" --deadline-ms 60000 "$@" 2>&1) || nsp_fail "probe failed: $out"
  grep -Eq "$pattern" <<<"$out" || nsp_fail "expected /$pattern/, got: $out"
  _nsp_log "ok: $*: $out"
}
call '^status=OK ' call Describe
call '^status=OK ' call Health
call '^status=OK hook_status=0 .*final=yes' call PreSync --json "$dir/pre.json"
call '^status=INVALID_ARGUMENT ' call PreSync --garbage 500
call '^status=INVALID_ARGUMENT ' call PreSync --json "$dir/pre.json" --truncate 20
call '^status=RESOURCE_EXHAUSTED ' --max-message-bytes 8388608 call PreSync --json "$dir/pre.json" --size 2000000
call '^status=UNIMPLEMENTED ' call /no.Such/Method
call '^status=CANCELLED ' --cancel-after-ms 3000 call PostSync --json "$dir/cancel.json"
"$probe" --addr "$addr" load --clients 4 --calls 40 --warmup 0 --json "$dir/pre.json" >"$dir/load.out" 2>&1 ||
  { cat "$dir/load.out" >&2; nsp_fail "concurrent calls under valgrind failed"; }
_nsp_log "ok: load: $(cat "$dir/load.out")"

"$probe" --addr "$addr" call PostSync --json "$dir/term.json" >"$dir/term.out" 2>&1 &
client=$!
for ((i = 0; i < 200; i++)); do [[ $(backends "grpc-vg-term-$$") -eq 1 ]] && break; sleep 0.1; done
kill -TERM "$host"
set +e
wait "$host"
rc=$?
set -e
wait "$client" || true
_nsp_log "SIGTERM with a call in flight: $(cat "$dir/term.out")"
grep -E 'definitely lost|indirectly lost|ERROR SUMMARY' "$dir/valgrind.log" >&2 || true
if [[ $rc -ne 0 ]]; then
  cat "$dir/valgrind.log" >&2
  nsp_fail "serve under valgrind exited $rc (99: memory errors or leaks)"
fi
grep -q 'ERROR SUMMARY: 0 errors' "$dir/valgrind.log" || { cat "$dir/valgrind.log" >&2; nsp_fail "valgrind reported errors"; }

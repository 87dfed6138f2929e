#!/usr/bin/env bash
# Concurrency of `neosync-plugin-host serve` (the daemon): 16 clients (tests/tools/grpc_probe.c, one channel each)
# make 500 calls in all, alternately Describe and a plan-only PreSync (dry_run), all at once. Every
# call must succeed, and the host's memory (VmRSS) after the 500 calls must be within a small
# margin of its level after a warm-up batch of 64 calls: no growth per call (a leak of 8 KiB per
# call would show as 4000 kB).
source "$(dirname "$0")/lib.sh"

probe=$NSP_BUILD_DIR/tests/grpc_probe
[[ -x $probe ]] || nsp_fail "grpc_probe not built ($probe)"
dir=$(nsp_tmpdir)
margin_kb=${NSP_GRPC_RSS_MARGIN_KB:-3072}

src=$(nsp_createdb grpc_load_src)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null
dst=$(nsp_createdb grpc_load_dst)
cat >"$dir/pre.json" <<JSON
{"jobId": "grpc-load", "runId": "load", "dryRun": true,
 "source": {"postgres": {"url": "$src"}}, "destination": {"postgres": {"url": "$dst"}}}
JSON

NSP_LOG_LEVEL=warning "$NSP_PLUGIN_HOST" serve --plugin "$NSP_PLUGIN" --listen "unix:$dir/host.sock" 2>"$dir/host.log" &
host=$!
nsp_on_exit "kill -TERM $host 2>/dev/null; wait $host 2>/dev/null"
for ((i = 0; i < 200; i++)); do [[ -S $dir/host.sock ]] && break; sleep 0.1; done
[[ -S $dir/host.sock ]] || { cat "$dir/host.log" >&2; nsp_fail "serve did not listen"; }

set +e
"$probe" --addr "unix:$dir/host.sock" load --clients 16 --calls 500 --warmup 64 --json "$dir/pre.json" --pid "$host" >"$dir/load.out" 2>"$dir/load.err"
rc=$?
set -e
cat "$dir/load.out" >&2
[[ $rc -eq 0 ]] || { head -50 "$dir/load.err" >&2; tail -20 "$dir/host.log" >&2; nsp_fail "not every call succeeded"; }
grep -q '^ok=500 failed=0 ' "$dir/load.out" || nsp_fail "expected 500 successful calls"
warm=$(sed -E 's/.*rss_warm_kb=([0-9]+).*/\1/' "$dir/load.out")
end=$(sed -E 's/.*rss_end_kb=([0-9]+).*/\1/' "$dir/load.out")
_nsp_log "VmRSS after warm-up ${warm} kB, after 500 calls ${end} kB (margin ${margin_kb} kB)"
# Under AddressSanitizer freed memory sits in its quarantine (256 MB by default), so the resident
# size says nothing there; LeakSanitizer checks leaks in that build instead.
if ldd "$NSP_HOST_SIM" | grep -q libasan; then
  _nsp_log "AddressSanitizer build: the memory check is left to LeakSanitizer"
else
  ((end - warm <= margin_kb)) || nsp_fail "the host grew by $((end - warm)) kB over 500 calls"
fi

kill -TERM "$host"
set +e
wait "$host"
rc=$?
set -e
[[ $rc -eq 0 ]] || nsp_fail "serve exited $rc on SIGTERM"

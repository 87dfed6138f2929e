#!/usr/bin/env bash
# The parity job of test_parity_features.sh (and of test_parity_pagila.sh when ../shared/fixtures is
# there), run three ways: in-process, with `run --remote unix:SOCKET`, and over TCP loopback with
# the hook's plugin naming an `address` instead of a `path`. The three runs must have the same
# outcome: the same exit status, the same destination schema and data, and the same text report
# once run ids and times are removed. (Whether the destination equals the source is the parity
# tests' business: the plugin's schema work is theirs. This test checks that the transport does
# not change the result.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)

# start_host LOG ADDR: `serve` in the background; sets HOST_PID and HOST_ADDR (as it listens).
start_host() {
  local log=$1 listen=$2 i
  "$NSP_PLUGIN_HOST" serve --plugin "$NSP_PLUGIN" --listen "$listen" 2>"$log" &
  HOST_PID=$!
  nsp_on_exit "kill -TERM $HOST_PID 2>/dev/null; wait $HOST_PID 2>/dev/null"
  for ((i = 0; i < 200; i++)); do
    if grep -q '"msg":"listening"' "$log"; then
      HOST_ADDR=$(grep -o '"msg":"listening","address":"[^"]*"' "$log" | head -1 | sed 's/.*"address":"//; s/"$//')
      return 0
    fi
    kill -0 "$HOST_PID" 2>/dev/null || { cat "$log" >&2; nsp_fail "serve exited before listening"; }
    sleep 0.1
  done
  cat "$log" >&2
  nsp_fail "serve did not listen within 20 s"
}

start_host "$dir/unix.log" "unix:$dir/host.sock"
unix_addr=$HOST_ADDR
unix_pid=$HOST_PID
[[ $(stat -c %a "$dir/host.sock") == 600 ]] || nsp_fail "socket mode is $(stat -c %a "$dir/host.sock"), expected 600"
start_host "$dir/tcp.log" "127.0.0.1:0"
tcp_addr=$HOST_ADDR
_nsp_log "hosts at $unix_addr and $tcp_addr"

# Report text without what differs between runs: the run id and durations.
normalize_report() {
  sed -E -e 's/run [0-9a-f]{32}/run RUN/' -e 's/[0-9]+\.[0-9]+ s\b/T s/g' "$1"
}

# compare_modes NAME SRC [OPTIONS_JSON]: run the job three ways and compare the outcomes.
compare_modes() {
  local name=$1 src=$2 options=${3:-"{}"} mode dst cfg status
  declare -A status_of
  for mode in inproc unix tcp; do
    dst=$(nsp_createdb "grpc_${name}_$mode")
    cfg=$dir/$name-$mode.json
    nsp_job_config "$cfg" "$src" "$dst" "$options"
    local args=()
    case $mode in
      unix) args=(--remote "$unix_addr") ;;
      tcp) sed -i "s|\"path\": \"$NSP_PLUGIN\"|\"address\": \"$tcp_addr\"|" "$cfg"
           grep -q '"address"' "$cfg" || nsp_fail "could not point the job config at $tcp_addr" ;;
    esac
    set +e
    "$NSP_HOST_SIM" run --config "$cfg" "${args[@]}" >"$dir/$name-$mode.report" 2>"$dir/$name-$mode.log"
    status=$?
    set -e
    status_of[$mode]=$status
    _nsp_log "$name, $mode: exit status $status"
    [[ $status -ne 1 ]] || { cat "$dir/$name-$mode.log" >&2; nsp_fail "$name, $mode: the job failed as a whole"; }
    normalize_report "$dir/$name-$mode.report" >"$dir/$name-$mode.report.norm"
    nsp_schema_dump "$dst" >"$dir/$name-$mode.schema"
    nsp_data_checksums "$dst" >"$dir/$name-$mode.data"
  done
  for mode in unix tcp; do
    [[ ${status_of[$mode]} -eq ${status_of[inproc]} ]] ||
      nsp_fail "$name: exit status $mode ${status_of[$mode]} != in-process ${status_of[inproc]}"
    nsp_assert_same "$dir/$name-inproc.schema" "$dir/$name-$mode.schema" "$name: destination schema, in-process vs $mode"
    nsp_assert_same "$dir/$name-inproc.data" "$dir/$name-$mode.data" "$name: destination data, in-process vs $mode"
    nsp_assert_same "$dir/$name-inproc.report.norm" "$dir/$name-$mode.report.norm" "$name: text report, in-process vs $mode"
  done
  # The remote runs really went through the hosts.
  grep -q "at $unix_addr" "$dir/$name-unix.log" || nsp_fail "$name: the unix run did not use the host"
  grep -q "at $tcp_addr" "$dir/$name-tcp.log" || nsp_fail "$name: the tcp run did not use the host"
  # Informational: does the destination equal the source (the parity tests assert it)?
  nsp_schema_dump "$src" >"$dir/$name-src.schema"
  if cmp -s "$dir/$name-src.schema" "$dir/$name-inproc.schema"; then
    _nsp_log "$name: destination schema equals the source in all three runs"
  else
    _nsp_log "$name: destination schema differs from the source (in all three runs alike)"
  fi
}

src=$(nsp_createdb grpc_features_src)
for f in "$NSP_SOURCE_DIR"/tests/fixtures/features/*.sql; do
  nsp_psql "$src" -f "$f" >/dev/null || nsp_fail "fixture $f does not load"
done
compare_modes features "$src" '{"parallelism": 2}'

demo=$(nsp_createdb grpc_demo_src)
nsp_psql "$demo" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null || nsp_fail "demo fixture does not load"
compare_modes demo "$demo"

if [[ -d $NSP_SHARED_FIXTURES ]]; then
  pagila=$(nsp_createdb grpc_pagila_src)
  nsp_psql "$pagila" -f "$NSP_SHARED_FIXTURES/pagila/pagila-schema.sql" >/dev/null
  nsp_psql "$pagila" -f "$NSP_SOURCE_DIR/tests/fixtures/pagila/pagila-data.sql" >/dev/null
  compare_modes pagila "$pagila" '{"owners": true, "acls": true}'
else
  _nsp_log "pagila part skipped: shared fixtures not present ($NSP_SHARED_FIXTURES)"
fi

# The hosts served every call; SIGTERM stops one cleanly (exit status 0, socket file removed).
for log in "$dir/unix.log" "$dir/tcp.log"; do
  grep -q '"status":"OK"' "$log" || nsp_fail "no successful call in $log"
done
kill -TERM "$unix_pid"
set +e
wait "$unix_pid"
rc=$?
set -e
[[ $rc -eq 0 ]] || { cat "$dir/unix.log" >&2; nsp_fail "serve exited $rc on SIGTERM"; }
[[ ! -e $dir/host.sock ]] || nsp_fail "the socket file was left behind"
grep -q '"msg":"stopped"' "$dir/unix.log" || nsp_fail "no 'stopped' line in the host's log"
_nsp_log "in-process and remote runs agree"

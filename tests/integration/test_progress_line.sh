#!/usr/bin/env bash
# The live progress line of `neosync-host-sim run` (host-sim/src/progress_line.c) and of the Go
# worker: on a terminal (a pseudo-terminal made by script(1)) one line per phase, rewritten in
# place (\r + erase), with the data step's counts and the hooks' steps done / total; when stderr
# is not a terminal, or with --json / -json, plain log lines only: no \r, no escape sequence.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"
command -v script >/dev/null || nsp_skip "script(1) (bsdutils) is not installed"
dir=$(nsp_tmpdir)
src=$(nsp_createdb progress_src)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null

# on_tty NAME CMD...: run CMD with stdin/stdout/stderr on a pseudo-terminal; what the terminal got
# goes to $dir/NAME.tty (script's own status line removed).
on_tty() {
  local name=$1; shift
  local cmd
  printf -v cmd '%q ' "$@"
  TERM=dumb script -qec "$cmd" /dev/null >"$dir/$name.tty" </dev/null || true
}
no_live_line() { # FILE WHAT
  ! grep -q $'\r\033\\[K' "$1" || nsp_fail "$2: a live line was drawn"
  ! grep -q $'\033' "$1" || nsp_fail "$2: an escape sequence was written"
}

# --- the C host ---------------------------------------------------------------------------------
dst=$(nsp_createdb progress_tty)
nsp_job_config "$dir/tty.json" "$src" "$dst"
on_tty host "$NSP_HOST_SIM" run --config "$dir/tty.json"
grep -q 'Total: .*: complete' "$dir/host.tty" || { cat "$dir/host.tty" >&2; nsp_fail "the run on a terminal did not complete"; }
grep -aq $'\r\033\\[Kdata step  [0-9]*/[0-9]* tables  [0-9]* rows  ' "$dir/host.tty" ||
  { cat -v "$dir/host.tty" >&2; nsp_fail "no live data-step line on a terminal"; }
grep -aq $'\r\033\\[K\\[schema\\] post-sync  [0-9]*/[0-9]* steps' "$dir/host.tty" ||
  { cat -v "$dir/host.tty" >&2; nsp_fail "no live post-sync line on a terminal"; }

dst=$(nsp_createdb progress_json)
nsp_job_config "$dir/json.json" "$src" "$dst"
on_tty hostjson "$NSP_HOST_SIM" run --config "$dir/json.json" --json
grep -q '"exitStatus": *0' "$dir/hostjson.tty" || { cat "$dir/hostjson.tty" >&2; nsp_fail "the --json run did not complete"; }
no_live_line "$dir/hostjson.tty" "run --json on a terminal"

dst=$(nsp_createdb progress_pipe)
nsp_job_config "$dir/pipe.json" "$src" "$dst"
nsp_run_job "$dir/pipe.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "the run with stderr in a file failed"; }
no_live_line "$NSP_JOB_LOG" "run with stderr not a terminal"
grep -q 'INFO \[host\] data step: ' "$NSP_JOB_LOG" || nsp_fail "the plain log lines are missing"
_nsp_log "ok: neosync-host-sim run: live line on a terminal; plain lines with --json and off a terminal"

# --- the Go worker ------------------------------------------------------------------------------
worker=${NSP_GO_WORKER:-$NSP_BUILD_DIR/host-sim/go/neosync-go-worker}
if [[ ! -x $worker ]]; then
  _nsp_log "the Go worker is not built here (NSP_GO=OFF): its part is left out"
  exit 0
fi
"$NSP_HOST_SIM" serve --plugin "$NSP_PLUGIN" --listen "unix:$dir/host.sock" 2>"$dir/serve.log" &
host_pid=$!
nsp_on_exit "kill -TERM $host_pid 2>/dev/null; wait $host_pid 2>/dev/null"
for ((i = 0; i < 200; i++)); do
  grep -q '"msg":"listening"' "$dir/serve.log" && break
  sleep 0.1
done
grep -q '"msg":"listening"' "$dir/serve.log" || nsp_fail "serve did not listen"
dst=$(nsp_createdb progress_go_tty)
nsp_job_config "$dir/go.json" "$src" "$dst"
on_tty go "$worker" -config "$dir/go.json" -remote "unix:$dir/host.sock"
grep -q 'Total: .*: complete' "$dir/go.tty" || { cat "$dir/go.tty" >&2; nsp_fail "the Go worker on a terminal did not complete"; }
grep -aq $'\r\033\\[Kdata step  [0-9]*/[0-9]* tables  [0-9]* rows  ' "$dir/go.tty" ||
  { cat -v "$dir/go.tty" >&2; nsp_fail "no live data-step line from the Go worker"; }
grep -aq $'\r\033\\[Kpost-sync  [0-9]*/[0-9]* steps' "$dir/go.tty" ||
  { cat -v "$dir/go.tty" >&2; nsp_fail "no live post-sync line from the Go worker"; }
dst=$(nsp_createdb progress_go_json)
nsp_job_config "$dir/gojson.json" "$src" "$dst"
on_tty gojson "$worker" -config "$dir/gojson.json" -remote "unix:$dir/host.sock" -json
grep -q '"exitStatus": 0' "$dir/gojson.tty" || { cat "$dir/gojson.tty" >&2; nsp_fail "the Go worker's -json run did not complete"; }
no_live_line "$dir/gojson.tty" "Go worker -json on a terminal"
_nsp_log "ok: Go worker: live line on a terminal; plain lines with -json"

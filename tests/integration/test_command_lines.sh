#!/usr/bin/env bash
# The command lines of both programs (getopt_long, host-sim/src/cli.c): every command's --help,
# both "--opt VALUE" and "--opt=VALUE", and bad usage answered with exit status 1, a message that
# names the problem (PROG CMD: ...) and the command's help on stderr, nothing on stdout. No server
# is needed; the plugin is only described.
source "$(dirname "$0")/lib.sh"

tmp=$(nsp_tmpdir)
sim=$NSP_HOST_SIM
daemon=$NSP_PLUGIN_HOST

# expect_usage_error PROG_PATH "MESSAGE" ARGS...: exit 1, stderr has "NAME ...: MESSAGE" and a Usage.
expect_usage_error() {
  local prog=$1 want=$2 rc=0
  shift 2
  "$prog" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [[ $rc -eq 1 ]] || nsp_fail "$(basename "$prog") $*: exit $rc, expected 1 (stderr: $(cat "$tmp/err"))"
  grep -qF -- "$want" "$tmp/err" || nsp_fail "$(basename "$prog") $*: stderr lacks '$want': $(cat "$tmp/err")"
  head -n1 "$tmp/err" | grep -q "^$(basename "$prog")[ :]" || nsp_fail "$(basename "$prog") $*: the message does not start with the program's name: $(head -n1 "$tmp/err")"
  grep -q '^Usage: ' "$tmp/err" || nsp_fail "$(basename "$prog") $*: no usage on stderr"
  [[ ! -s $tmp/out ]] || nsp_fail "$(basename "$prog") $*: wrote to stdout: $(cat "$tmp/out")"
  _nsp_log "ok: $(basename "$prog") $* -> $want"
}

# --- the program level, both programs --------------------------------------------------------------
for prog in "$sim" "$daemon"; do
  name=$(basename "$prog")
  expect_usage_error "$prog" "a command is required"
  expect_usage_error "$prog" "unknown command: frobnicate" frobnicate
  expect_usage_error "$prog" "unknown option: --frobnicate" --frobnicate
  expect_usage_error "$prog" "unknown command: frobnicate" help frobnicate
  expect_usage_error "$prog" "unexpected argument: extra" help describe extra
  "$prog" --version | grep -q "^$name [0-9]" || nsp_fail "$name --version: $("$prog" --version)"
  # Every command's --help, -h and help COMMAND: exit 0, the same text, "Usage: NAME COMMAND".
  mapfile -t commands < <("$prog" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
  for cmd in "${commands[@]}"; do
    [[ $cmd == help ]] && continue
    "$prog" "$cmd" --help >"$tmp/long" || nsp_fail "$name $cmd --help exited $?"
    "$prog" "$cmd" -h >"$tmp/short" || nsp_fail "$name $cmd -h exited $?"
    "$prog" help "$cmd" >"$tmp/help" || nsp_fail "$name help $cmd exited $?"
    head -n1 "$tmp/long" | grep -q "^Usage: $name $cmd" || nsp_fail "$name $cmd --help: $(head -n1 "$tmp/long")"
    cmp -s "$tmp/long" "$tmp/short" && cmp -s "$tmp/long" "$tmp/help" ||
      nsp_fail "$name $cmd: --help, -h and help $cmd differ"
    expect_usage_error "$prog" "unknown argument: --bogus" "$cmd" --bogus
    expect_usage_error "$prog" "unknown argument: -x" "$cmd" -x
    expect_usage_error "$prog" "unknown argument: stray" "$cmd" stray
  done
done

# --- describe and serve: the same code in both programs --------------------------------------------
for prog in "$sim" "$daemon"; do
  "$prog" describe --plugin "$NSP_PLUGIN" | grep -q '^name: *neosync-schema$' || nsp_fail "$(basename "$prog") describe --plugin P"
  "$prog" describe --plugin="$NSP_PLUGIN" --json | grep -q '"name": "neosync-schema"' || nsp_fail "$(basename "$prog") describe --plugin=P --json"
  expect_usage_error "$prog" "--plugin PATH is required" describe
  expect_usage_error "$prog" "--plugin PATH is required" describe --plugin=
  expect_usage_error "$prog" "option --plugin needs a value" describe --plugin
  expect_usage_error "$prog" "option --json takes no value" describe --plugin "$NSP_PLUGIN" --json=yes
  expect_usage_error "$prog" "--listen ADDR is required" serve --plugin "$NSP_PLUGIN"
  expect_usage_error "$prog" "--plugin PATH is required" serve --listen unix:/nonexistent/x.sock
  expect_usage_error "$prog" "option --listen needs a value" serve --plugin "$NSP_PLUGIN" --listen
  expect_usage_error "$prog" '--grace-seconds: expected a whole number from 0 to 86400, got "soon"' \
    serve --plugin "$NSP_PLUGIN" --listen unix:/nonexistent/x.sock --grace-seconds soon
  expect_usage_error "$prog" '--max-message-bytes: expected a whole number from 1024 to 2147483647, got "12"' \
    serve --plugin "$NSP_PLUGIN" --listen unix:/nonexistent/x.sock --max-message-bytes=12
  expect_usage_error "$prog" "option --allow-insecure-remote takes no value" \
    serve --plugin "$NSP_PLUGIN" --listen :0 --allow-insecure-remote=1
done

# --- the job runner's commands (neosync-host-sim only) -----------------------------------------------
expect_usage_error "$sim" "--config JOB.json is required" run
expect_usage_error "$sim" "option --config needs a value" run --config
expect_usage_error "$sim" "--remote needs an address" run --config x.json --remote=
expect_usage_error "$sim" "--out DIR is required" plan --config x.json
expect_usage_error "$sim" "--plan-out PLAN.bin is required" pre-sync --config x.json --json --hydrate
expect_usage_error "$sim" "option --hydrate takes no value" pre-sync --config x.json --hydrate=1
expect_usage_error "$sim" "--plan needs a path" post-sync --config x.json --plan=
expect_usage_error "$daemon" "unknown command: run" run --config x.json
# Options are parsed before anything is read: a valid command line reaches the config file.
rc=0
"$sim" run --config="$tmp/missing.json" --json -v >"$tmp/out" 2>"$tmp/err" || rc=$?
[[ $rc -eq 1 ]] && grep -q "missing.json" "$tmp/err" || nsp_fail "run --config=MISSING: exit $rc: $(cat "$tmp/err")"
_nsp_log "ok: both programs' command lines"

#!/usr/bin/env bash
# Every example job config in deploy/examples/*.json is parsed by the host: each is run with
# `neosync-host-sim run` after pointing its databases and plugin-host sockets at a directory that
# does not exist and its plugin path at the built plugin. A config that parses gets as far as
# connecting: the run must fail with a connection error (or, for a remote hook while this build
# has no gRPC client, with the message that says so), never with a config error
# ("FILE:LINE:COLUMN: ..."). tests/unit/test_host_job_config.c checks the parsed values of the
# examples it names; this test makes sure no example is left unparsed.
source "$(dirname "$0")/lib.sh"

tmp=$(nsp_tmpdir)
nowhere=$tmp/nowhere   # never created
shopt -s nullglob
examples=("$NSP_SOURCE_DIR"/deploy/examples/*.json)
shopt -u nullglob
((${#examples[@]} >= 3)) || nsp_fail "expected at least 3 example job configs in deploy/examples, found ${#examples[@]}"

for example in "${examples[@]}"; do
  name=$(basename "$example")
  config=$tmp/$name
  # Unix-socket directories (host=/run/...) and unix: addresses -> $nowhere; plugin paths -> the build.
  sed -E \
    -e "s#host=/run/[A-Za-z0-9_/-]*#host=$nowhere#g" \
    -e "s#unix:/run/[A-Za-z0-9_./-]*#unix:$nowhere/plugin.sock#g" \
    -e "s#\"[^\"]*/libneosync_schema_plugin\\.so\"#\"$NSP_PLUGIN\"#g" \
    "$example" >"$config"
  if grep -qE 'host=/run|localhost|127\.0\.0\.1|@[a-z]' "$config"; then
    nsp_fail "$name: a connection this test cannot redirect to nowhere: $(grep -E 'host=/run|localhost|127\.0\.0\.1|@[a-z]' "$config")"
  fi
  set +e
  PGCONNECT_TIMEOUT=3 timeout 60 "$NSP_HOST_SIM" run --config "$config" >"$tmp/out" 2>"$tmp/err"
  status=$?
  set -e
  if grep -qE "/$name:[0-9]+:[0-9]+: " "$tmp/err"; then
    nsp_fail "$name does not parse: $(grep -E "$name:[0-9]+:[0-9]+: " "$tmp/err")"
  fi
  ((status == 1)) || { cat "$tmp/out" "$tmp/err" >&2; nsp_fail "$name: run exited $status, expected 1 (nothing to connect to)"; }
  if grep -qiE 'cannot connect|connection|connect\(|unavailable|remote hooks need' "$tmp/err"; then
    _nsp_log "ok: $name parses (run stops at: $(grep -iE -m1 'cannot connect|connection|unavailable|remote hooks need' "$tmp/err" | cut -c1-120))"
  else
    cat "$tmp/err" >&2
    nsp_fail "$name: run failed, but not on connecting"
  fi
  if grep -qF "\"$name\"" "$NSP_SOURCE_DIR"/tests/unit/test_host_job_config.c 2>/dev/null ||
     grep -qF "EXAMPLES \"$name\"" "$NSP_SOURCE_DIR"/tests/unit/test_host_job_config.c 2>/dev/null; then
    _nsp_log "    (its values are checked by tests/unit/test_host_job_config.c)"
  fi
done
_nsp_log "ok: ${#examples[@]} example job configs parse"

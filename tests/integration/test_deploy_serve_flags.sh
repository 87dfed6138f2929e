#!/usr/bin/env bash
# Every flag the recipes pass to `neosync-plugin-host serve` (Containerfile CMD, the Kubernetes
# sidecar's args, the systemd unit's ExecStart) is one that `neosync-plugin-host serve --help` of this
# build documents; `neosync-host-sim serve`, kept for compatibility, documents the same.
source "$(dirname "$0")/lib.sh"

tmp=$(nsp_tmpdir)
deploy=$NSP_SOURCE_DIR/deploy
"$NSP_PLUGIN_HOST" serve --help >"$tmp/help" 2>&1 || nsp_fail "serve --help exited $?: $(cat "$tmp/help")"
"$NSP_HOST_SIM" serve --help >"$tmp/help-sim" 2>&1 || nsp_fail "neosync-host-sim serve --help exited $?"
diff <(sed 1d "$tmp/help") <(sed 1d "$tmp/help-sim") >/dev/null ||
  nsp_fail "neosync-host-sim serve and neosync-plugin-host serve document different options"

# The serve command lines of the three recipes, then their --flags.
{
  grep -E '^CMD \[' "$deploy/container/Containerfile"
  grep -E '^ExecStart=' "$deploy/systemd/neosync-plugin-host.service"
  # The sidecar's args: the YAML list items after "args:" up to the next key.
  awk '/^[[:space:]]*args:/ { on = 1; next } on && /^[[:space:]]*- / { print; next } on { on = 0 }' \
    "$deploy/kubernetes/worker-sidecar.yaml"
} >"$tmp/lines"
grep -oE -- '--[a-z][a-z0-9-]*' "$tmp/lines" | sort -u >"$tmp/flags"
[[ -s $tmp/flags ]] || nsp_fail "no flags found in the recipes' serve command lines: $(cat "$tmp/lines")"
for flag in --plugin --listen; do
  grep -qx -- "$flag" "$tmp/flags" || nsp_fail "the recipes do not pass $flag"
done
while IFS= read -r flag; do
  grep -qE -- "(^|[[:space:],\[])$flag([[:space:]=,]|\$)" "$tmp/help" ||
    nsp_fail "the recipes pass $flag, which serve --help does not document:$(printf '\n%s' "$(cat "$tmp/help")")"
  _nsp_log "ok: $flag"
done <"$tmp/flags"
# The listen address form the recipes use is one serve documents.
grep -q 'unix:' "$tmp/help" || nsp_fail "serve --help does not document unix: addresses"
_nsp_log "ok: every serve flag of the recipes exists"

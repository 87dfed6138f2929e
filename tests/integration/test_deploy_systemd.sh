#!/usr/bin/env bash
# deploy/systemd/neosync-plugin-host.service, as `cmake --install` writes it for a scratch prefix
# (so that its ExecStart binary exists): `systemd-analyze verify` finds no error, and
# `systemd-analyze security --offline` rates its exposure as at most 2.0 ("OK"). Also: it keeps
# the hardening options the README promises, and the user it runs as is the one the sysusers file
# creates. Skipped (with the reason) where systemd-analyze is missing or cannot run here.
source "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null ||
  nsp_skip "systemd-analyze is not installed (package systemd; scripts/install-deps.sh installs it)"
systemd-analyze --version >/dev/null 2>&1 || nsp_skip "systemd-analyze cannot run in this environment"

tmp=$(nsp_tmpdir)
prefix=$tmp/prefix
flock "$NSP_BUILD_DIR/.nsp-deploy-install.lock" cmake --install "$NSP_BUILD_DIR" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; nsp_fail "cmake --install failed"; }
unit=$prefix/lib/systemd/system/neosync-plugin-host.service
[[ -f $unit ]] || nsp_fail "no unit installed at $unit"

# --man=no: the Documentation= man page is installed in the prefix, not in man's path.
if ! systemd-analyze verify --man=no "$unit" >"$tmp/verify" 2>&1; then
  if grep -qiE 'Failed to (connect|initialize|set up)|System has not been booted|Permission denied' "$tmp/verify" &&
     ! grep -q 'neosync-plugin-host.service:' "$tmp/verify"; then
    nsp_skip "systemd-analyze verify cannot run here: $(head -n3 "$tmp/verify")"
  fi
  cat "$tmp/verify" >&2
  nsp_fail "systemd-analyze verify found errors"
fi
[[ ! -s $tmp/verify ]] || { cat "$tmp/verify" >&2; nsp_fail "systemd-analyze verify printed warnings"; }
_nsp_log "ok: systemd-analyze verify"

if systemd-analyze security --offline=yes "$unit" >"$tmp/security" 2>&1; then
  exposure=$(sed -n 's/.*Overall exposure level for neosync-plugin-host.service: \([0-9.]*\).*/\1/p' "$tmp/security")
  [[ -n $exposure ]] || { cat "$tmp/security" >&2; nsp_fail "no exposure level in systemd-analyze security's output"; }
  awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' ||
    { grep '✗' "$tmp/security" >&2 || true; nsp_fail "exposure level $exposure > 2.0"; }
  _nsp_log "ok: systemd-analyze security: exposure $exposure"
else
  _nsp_log "systemd-analyze security --offline is not supported here: exposure not rated"
fi

for setting in User=neosync Group=neosync RuntimeDirectory=neosync NoNewPrivileges=yes \
    ProtectSystem=strict PrivateTmp=yes ProtectHome=yes CapabilityBoundingSet=; do
  grep -qx "$setting" "$unit" || nsp_fail "the unit lacks $setting"
done
grep -q '^u neosync ' "$prefix/lib/sysusers.d/neosync-plugin-host.conf" ||
  nsp_fail "the sysusers file does not create the unit's user neosync"
# The socket the unit listens on is in its RuntimeDirectory.
grep -qx 'Environment=NEOSYNC_PLUGIN_HOST_LISTEN=unix:/run/neosync/plugin.sock' "$unit" ||
  nsp_fail "the unit's default socket is not unix:/run/neosync/plugin.sock"
_nsp_log "ok: systemd unit"

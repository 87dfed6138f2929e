#!/usr/bin/env bash
# The Debian package (deploy/CMakeLists.txt, CPack): built from the test's build tree with
# `cpack -G DEB` into a scratch directory, then checked:
#   - its control data: name, version (the project's), maintainer, description, and Depends that
#     name libc6, libpq5, libprotobuf-c1, libjson-c5 and libgrpc29, and the package of every shared library the
#     packaged binaries need (DT_NEEDED -> dpkg -S);
#   - its contents: the install layout (plugin, host and its alias, header, .pc, protos, man pages,
#     systemd unit, sysusers) under /usr;
#   - extracted with `dpkg-deb -x` into a scratch root: the installed host describes the installed
#     plugin, `--help` of every command works under both names, the man page formats without warnings;
#   - as root: `dpkg --root` installs it into another scratch root (a dpkg database of its own,
#     dependencies forced as that root has none; maintainer scripts run outside it with DPKG_ROOT, so
#     the postinst creates the `neosync` user in that root's /etc/passwd) and purges it again.
# Nothing outside the scratch directories is changed. Note: cpack first runs the build tree's
# `preinstall` target, i.e. brings the build up to date (a no-op right after the build, as under
# scripts/test.sh); it then installs into its own staging directory.
source "$(dirname "$0")/lib.sh"

for tool in cpack dpkg-deb objdump; do
  command -v "$tool" >/dev/null || nsp_fail "$tool is not installed (scripts/install-deps.sh installs it)"
done
[[ -f $NSP_BUILD_DIR/CPackConfig.cmake ]] || nsp_fail "no $NSP_BUILD_DIR/CPackConfig.cmake: deploy/CMakeLists.txt did not configure CPack"

tmp=$(nsp_tmpdir)
version=$(sed -n 's/^project([^)]* VERSION \([0-9.]*\).*/\1/p' "$NSP_SOURCE_DIR/CMakeLists.txt")
[[ -n $version ]] || nsp_fail "cannot read the project version from CMakeLists.txt"

# cpack installs the build tree; serialize with the other deploy tests that install it.
_nsp_log "cpack -G DEB (version $version)"
if ! flock "$NSP_BUILD_DIR/.nsp-deploy-install.lock" \
    cpack -G DEB --config "$NSP_BUILD_DIR/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log" >&2
  nsp_fail "cpack failed"
fi
shopt -s nullglob
debs=("$tmp"/pkg/neosync-schema-plugin_*.deb)
shopt -u nullglob
((${#debs[@]} == 1)) || nsp_fail "expected one neosync-schema-plugin_*.deb, got: ${debs[*]:-none} ($(ls "$tmp/pkg"))"
deb=${debs[0]}
arch=$(dpkg --print-architecture)
[[ $(basename "$deb") == "neosync-schema-plugin_${version}-1_${arch}.deb" ]] ||
  nsp_fail "package file name $(basename "$deb"), expected neosync-schema-plugin_${version}-1_${arch}.deb"

# --- control ---------------------------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == neosync-schema-plugin ]] || nsp_fail "Package: $(field Package)"
[[ $(field Version) == "$version-1" ]] || nsp_fail "Version: $(field Version), expected $version-1"
[[ $(field Architecture) == "$arch" ]] || nsp_fail "Architecture: $(field Architecture)"
[[ -n $(field Maintainer) ]] || nsp_fail "no Maintainer"
[[ $(field Description) == *PostgreSQL* ]] || nsp_fail "Description: $(field Description)"
depends=$(field Depends)
_nsp_log "Depends: $depends"
# Package names in Depends, without versions and alternatives' bars.
dep_names=$(printf '%s\n' "$depends" | tr ',|' '\n' | sed 's/(.*)//; s/[[:space:]]//g; s/:.*//' | sed '/^$/d' | sort -u)
for need in libc6 libpq5 libprotobuf-c1 libjson-c5 libgrpc29; do
  grep -qx "$need" <<<"$dep_names" || nsp_fail "Depends does not name $need: $depends"
done

# --- contents --------------------------------------------------------------------------------------
dpkg-deb -c "$deb" >"$tmp/listing"
awk '{ print $6 }' "$tmp/listing" | sed 's#^\./#/#' >"$tmp/contents"
for path in \
    /usr/bin/neosync-host-sim \
    /usr/bin/neosync-plugin-host \
    /usr/lib/neosync/plugins/libneosync_schema_plugin.so \
    /usr/include/neosync/plugin.h \
    /usr/lib/pkgconfig/neosync-schema-plugin.pc \
    /usr/share/neosync/proto/neosync/plugin/v1/plugin.proto \
    /usr/share/man/man1/neosync-host-sim.1 \
    /usr/share/man/man1/neosync-plugin-host.1 \
    /usr/lib/systemd/system/neosync-plugin-host.service \
    /usr/lib/sysusers.d/neosync-plugin-host.conf \
    /usr/share/doc/neosync-schema-plugin/README.md \
    /usr/share/doc/neosync-schema-plugin/docs/operators.md \
    /usr/share/doc/neosync-schema-plugin/docs/design.md; do
  grep -qxF "$path" "$tmp/contents" || nsp_fail "the package has no $path; it has:$(printf '\n  %s' "$(cat "$tmp/contents")")"
done
for proto in "$NSP_SOURCE_DIR"/proto/neosync/plugin/v1/*.proto; do
  grep -qxF "/usr/share/neosync/proto/neosync/plugin/v1/$(basename "$proto")" "$tmp/contents" ||
    nsp_fail "the package lacks the proto file $(basename "$proto")"
done
grep -q '^-rwxr-xr-x .* \./usr/bin/neosync-plugin-host$' "$tmp/listing" ||
  nsp_fail "/usr/bin/neosync-plugin-host is not an executable file: $(grep neosync-plugin-host "$tmp/listing")"
if grep -v '^/usr/' "$tmp/contents" | grep -qv '^/$'; then
  nsp_fail "files outside /usr: $(grep -v '^/usr/' "$tmp/contents" | tr '\n' ' ')"
fi

# --- extracted into a scratch root -----------------------------------------------------------------
root=$tmp/root
dpkg-deb -x "$deb" "$root"
host=$root/usr/bin/neosync-host-sim
daemon=$root/usr/bin/neosync-plugin-host
plugin=$root/usr/lib/neosync/plugins/libneosync_schema_plugin.so

# Every library the packaged ELF files need comes from a package named in Depends.
for elf in "$host" "$daemon" "$plugin"; do
  while read -r lib; do
    resolved=$(ldd "$elf" | awk -v l="$lib" '$1 == l { print $3 }')
    [[ -n $resolved && -e $resolved ]] || nsp_fail "$(basename "$elf") needs $lib, which does not resolve on this machine"
    owner=$(dpkg -S "$(readlink -f "$resolved")" 2>/dev/null | head -n1 | cut -d: -f1) ||
      owner=$(dpkg -S "$resolved" 2>/dev/null | head -n1 | cut -d: -f1) || true
    [[ -n $owner ]] || nsp_fail "no Debian package owns $resolved (needed by $(basename "$elf"))"
    grep -qx "$owner" <<<"$dep_names" ||
      nsp_fail "$(basename "$elf") needs $lib from package $owner, which Depends does not name: $depends"
    _nsp_log "ok: $(basename "$elf") needs $lib ($owner, in Depends)"
  done < <(objdump -p "$elf" | awk '$1 == "NEEDED" { print $2 }')
done

"$host" describe --plugin "$plugin" >"$tmp/describe.out" 2>"$tmp/describe.err" || {
  cat "$tmp/describe.err" >&2
  nsp_fail "the installed host could not describe the installed plugin"
}
grep -q '^name: *neosync-schema$' "$tmp/describe.out" || nsp_fail "describe printed: $(cat "$tmp/describe.out")"
grep -q "^version: *$version\$" "$tmp/describe.out" || nsp_fail "describe: version is not $version: $(cat "$tmp/describe.out")"
"$daemon" describe --plugin "$plugin" --json >"$tmp/describe.json" || nsp_fail "neosync-plugin-host describe failed"
grep -q '"name": "neosync-schema"' "$tmp/describe.json" || nsp_fail "neosync-plugin-host describe --json: $(cat "$tmp/describe.json")"
"$host" --version | grep -qF "$version" || nsp_fail "--version does not say $version: $("$host" --version)"

# --help of each program and of every command it lists; each program's man page formats without
# warnings and documents every command of this build.
man1=$root/usr/share/man/man1
for prog in "$host" "$daemon"; do
  name=$(basename "$prog")
  "$prog" --help >"$tmp/help" || nsp_fail "$(basename "$prog") --help failed"
  mapfile -t commands < <(awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' "$tmp/help")
  ((${#commands[@]} >= 3)) || nsp_fail "$(basename "$prog") --help lists no commands: $(cat "$tmp/help")"
  for cmd in "${commands[@]}"; do
    "$prog" "$cmd" --help >"$tmp/cmd-help" 2>&1 || nsp_fail "$(basename "$prog") $cmd --help exited $?: $(cat "$tmp/cmd-help")"
    # (`help --help` shows the program's usage, the others their own)
    grep -Eq "^Usage: $name ($cmd|COMMAND)" "$tmp/cmd-help" || nsp_fail "$name $cmd --help: $(cat "$tmp/cmd-help")"
  done
  _nsp_log "ok: $name --help and ${commands[*]} --help"
  if command -v groff >/dev/null; then
    groff -man -ww -z "$man1/$name.1" 2>"$tmp/groff.err" || true
    [[ ! -s $tmp/groff.err ]] || nsp_fail "groff warnings in $name.1: $(cat "$tmp/groff.err")"
  else
    _nsp_log "groff not installed: the man page's formatting is not checked"
  fi
  for cmd in "${commands[@]}"; do
    grep -qx ".SS $cmd" "$man1/$name.1" || nsp_fail "$name.1 has no section for $cmd"
  done
done
# The daemon is the gRPC server, not the job runner.
"$daemon" --help | grep -q '^  serve ' || nsp_fail "neosync-plugin-host --help lists no serve"
! "$daemon" --help | grep -q '^  run ' || nsp_fail "neosync-plugin-host has the job runner's run command"

# --- dpkg --root (root only) -----------------------------------------------------------------------
if [[ $(id -u) -eq 0 ]]; then
  droot=$tmp/dpkgroot
  mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates" "$droot/var/lib/dpkg/triggers" "$droot/etc"
  : >"$droot/var/lib/dpkg/status"
  : >"$droot/etc/passwd"
  : >"$droot/etc/group"
  # --force-depends: that root has no libc6 etc.; --force-script-chrootless: run the postinst
  # here with DPKG_ROOT=$droot (it has no shell of its own to chroot into).
  dpkg --root="$droot" --force-depends --force-script-chrootless -i "$deb" >"$tmp/dpkg.log" 2>&1 || {
    cat "$tmp/dpkg.log" >&2
    nsp_fail "dpkg --root -i failed"
  }
  [[ $(dpkg --root="$droot" -s neosync-schema-plugin | sed -n 's/^Status: //p') == "install ok installed" ]] ||
    nsp_fail "dpkg --root: package not installed: $(cat "$tmp/dpkg.log")"
  [[ -x $droot/usr/bin/neosync-host-sim ]] || nsp_fail "dpkg --root: no usr/bin/neosync-host-sim"
  "$droot/usr/bin/neosync-plugin-host" describe --plugin "$droot/usr/lib/neosync/plugins/libneosync_schema_plugin.so" >/dev/null ||
    nsp_fail "dpkg --root: the installed host cannot describe the installed plugin"
  if command -v systemd-sysusers >/dev/null; then
    grep -q '^neosync:' "$droot/etc/passwd" || nsp_fail "postinst did not create the user neosync in $droot/etc/passwd: $(cat "$tmp/dpkg.log")"
    _nsp_log "ok: postinst created $(grep '^neosync:' "$droot/etc/passwd")"
  fi
  dpkg --root="$droot" --force-depends --force-script-chrootless -P neosync-schema-plugin >>"$tmp/dpkg.log" 2>&1 ||
    nsp_fail "dpkg --root -P failed: $(cat "$tmp/dpkg.log")"
  left=$(find "$droot" \( -path "$droot/var" -o -path "$droot/etc" \) -prune -o ! -type d -print 2>/dev/null || true)
  [[ -z $left ]] || nsp_fail "files left after purge: $left"
  _nsp_log "ok: dpkg --root install and purge"
else
  _nsp_log "not root: dpkg --root install not tried (dpkg-deb -x checked the contents)"
fi

_nsp_log "ok: package $(basename "$deb")"

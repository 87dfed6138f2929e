#!/usr/bin/env bash
# `cmake --install BUILD --prefix P` lays out what deploy/CMakeLists.txt promises, and the installed
# tree works where it lies:
#   P/bin/neosync-plugin-host (the daemon) and P/bin/neosync-host-sim (the job runner), P/lib/neosync/plugins/
#   libneosync_schema_plugin.so (exactly one exported symbol), P/include/neosync/plugin.h (the
#   source header, unchanged), P/LIBDIR/pkgconfig/neosync-schema-plugin.pc (relocatable: still right
#   after the tree is moved), P/share/neosync/proto/neosync/plugin/v1/*.proto (all of proto/),
#   P/share/man/man1/ (a page for each program), the systemd unit with P's paths written in, the sysusers
#   file, the docs; every file of the install manifest exists; the installed host describes the
#   installed plugin, also after the whole tree was moved elsewhere.
source "$(dirname "$0")/lib.sh"

tmp=$(nsp_tmpdir)
prefix=$tmp/prefix
# shellcheck disable=SC2016 # expanded by the inner bash, from its arguments
flock "$NSP_BUILD_DIR/.nsp-deploy-install.lock" bash -c '
  cmake --install "$1" --prefix "$2" >"$3/install.log" 2>&1 && cp "$1/install_manifest.txt" "$3/manifest"' \
  _ "$NSP_BUILD_DIR" "$prefix" "$tmp" || { cat "$tmp/install.log" >&2; nsp_fail "cmake --install failed"; }

expect_file() { [[ -f $prefix/$1 ]] || nsp_fail "not installed: P/$1 (installed:$(cd "$prefix" && find . ! -type d | sort | sed 's/^/ /' | tr -d '\n'))"; }
expect_file bin/neosync-host-sim
expect_file lib/neosync/plugins/libneosync_schema_plugin.so
expect_file include/neosync/plugin.h
expect_file share/man/man1/neosync-host-sim.1
expect_file share/man/man1/neosync-plugin-host.1
expect_file lib/systemd/system/neosync-plugin-host.service
expect_file lib/sysusers.d/neosync-plugin-host.conf
expect_file share/doc/neosync-schema-plugin/README.md
# The README's links into docs/ resolve in the installed tree.
for link in $(grep -o '](docs/[a-z0-9-]*\.md' "$NSP_SOURCE_DIR/README.md" | sed 's/^](//' | sort -u); do
  expect_file "share/doc/neosync-schema-plugin/$link"
done
for doc in "$NSP_SOURCE_DIR"/docs/*.md; do
  cmp -s "$doc" "$prefix/share/doc/neosync-schema-plugin/docs/$(basename "$doc")" ||
    nsp_fail "docs/$(basename "$doc") not installed (or differs) under P/share/doc/neosync-schema-plugin/docs"
done
[[ -x $prefix/bin/neosync-host-sim ]] || nsp_fail "P/bin/neosync-host-sim is not executable"
expect_file bin/neosync-plugin-host
[[ -x $prefix/bin/neosync-plugin-host && ! -L $prefix/bin/neosync-plugin-host ]] ||
  nsp_fail "P/bin/neosync-plugin-host is not an executable of its own"
cmp -s "$NSP_SOURCE_DIR/plugin/include/neosync/plugin.h" "$prefix/include/neosync/plugin.h" ||
  nsp_fail "the installed plugin.h differs from plugin/include/neosync/plugin.h"
for proto in "$NSP_SOURCE_DIR"/proto/neosync/plugin/v1/*.proto; do
  cmp -s "$proto" "$prefix/share/neosync/proto/neosync/plugin/v1/$(basename "$proto")" ||
    nsp_fail "proto $(basename "$proto") not installed (or differs) under P/share/neosync/proto/neosync/plugin/v1"
done
for example in "$NSP_SOURCE_DIR"/deploy/examples/*.json; do
  expect_file "share/doc/neosync-schema-plugin/examples/$(basename "$example")"
done
pc=$(find "$prefix" -name neosync-schema-plugin.pc)
[[ $pc == "$prefix"/lib*/pkgconfig/neosync-schema-plugin.pc ]] || nsp_fail "the .pc file is at $pc, not P/LIBDIR/pkgconfig"

# The plugin module exports one symbol; nothing else is installed that a host could load.
symbols=$(nm -D --defined-only "$prefix/lib/neosync/plugins/libneosync_schema_plugin.so" | awk '{ print $3 }')
[[ $symbols == neosync_plugin_entry ]] || nsp_fail "the installed plugin exports: $symbols"

# Every manifest entry exists, and nothing was installed outside the prefix.
while IFS= read -r f; do
  [[ $f == "$prefix"/* ]] || nsp_fail "installed outside the prefix: $f"
  [[ -e $f || -L $f ]] || nsp_fail "in the install manifest but missing: $f"
done <"$tmp/manifest"
_nsp_log "ok: $(wc -l <"$tmp/manifest") files installed"

# The unit names the prefix's binary and plugin, not /usr's.
unit=$prefix/lib/systemd/system/neosync-plugin-host.service
grep -q "^ExecStart=$prefix/bin/neosync-plugin-host serve " "$unit" || nsp_fail "unit ExecStart: $(grep ExecStart "$unit")"
grep -q "^Environment=NEOSYNC_PLUGIN_HOST_PLUGIN=$prefix/lib/neosync/plugins/libneosync_schema_plugin.so$" "$unit" ||
  nsp_fail "unit plugin path: $(grep NEOSYNC_PLUGIN_HOST_PLUGIN= "$unit")"

# Works in place, through both programs, and after the tree is moved (the .pc is relocatable; the
# host's plugin path is given, nothing is compiled in).
"$prefix/bin/neosync-plugin-host" describe --plugin "$prefix/lib/neosync/plugins/libneosync_schema_plugin.so" >/dev/null ||
  nsp_fail "the installed host cannot describe the installed plugin"
mv "$prefix" "$tmp/moved"
moved=$tmp/moved
"$moved/bin/neosync-host-sim" describe --plugin "$moved/lib/neosync/plugins/libneosync_schema_plugin.so" >/dev/null ||
  nsp_fail "the moved host cannot describe the moved plugin"
pcdir=$(dirname "${pc/#$prefix/$moved}")
inc=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags neosync-schema-plugin)
[[ -f $(sed 's/^-I//; s/ *$//' <<<"$inc")/neosync/plugin.h ]] ||
  nsp_fail "after moving the tree, pkg-config --cflags gives '$inc', which has no neosync/plugin.h"
[[ $(PKG_CONFIG_PATH=$pcdir pkg-config --modversion neosync-schema-plugin) == "$("$moved/bin/neosync-host-sim" --version | grep -o '[0-9][0-9.]*' | head -n1)" ]] ||
  nsp_fail "pkg-config --modversion is not the host's version"
_nsp_log "ok: install layout under a scratch prefix, relocatable"

#!/usr/bin/env bash
# The minimal example plugin (deploy/examples/plugin-minimal) builds against the INSTALLED ABI:
# the project is installed into a scratch prefix (cmake --install), the example is built with its
# own Makefile from a copy outside the source tree, finding the header only through
# `PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags neosync-schema-plugin`, with gcc and
# (when installed) clang, warnings as errors. The result exports exactly one symbol, the installed
# host describes it, and a job that names it as its hook runs its pre-sync and post-sync (empty
# responses) around the data step against two databases of the test server.
source "$(dirname "$0")/lib.sh"

command -v pkg-config >/dev/null || nsp_fail "pkg-config is not installed"
command -v make >/dev/null || nsp_fail "make is not installed"
tmp=$(nsp_tmpdir)
prefix=$tmp/prefix

# Install (serialized with the other deploy tests: they share the build tree's install manifest).
flock "$NSP_BUILD_DIR/.nsp-deploy-install.lock" cmake --install "$NSP_BUILD_DIR" --prefix "$prefix" >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log" >&2
  nsp_fail "cmake --install failed"
}
pcdir=$(dirname "$(find "$prefix" -name neosync-schema-plugin.pc -print -quit)")
[[ -f $pcdir/neosync-schema-plugin.pc ]] || nsp_fail "no neosync-schema-plugin.pc under $prefix"
host=$prefix/bin/neosync-host-sim

# pkg-config points into the prefix, not at the source tree.
cflags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags neosync-schema-plugin)
incdir=${cflags#-I}
incdir=${incdir%% *}
[[ -f $incdir/neosync/plugin.h ]] || nsp_fail "pkg-config --cflags gives '$cflags', which has no neosync/plugin.h"
[[ $(cd "$incdir" && pwd -P) == "$(cd "$prefix/include" && pwd -P)" ]] ||
  nsp_fail "pkg-config --cflags points at $incdir, not the installed $prefix/include"
abi_major=$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=abi_major neosync-schema-plugin)
header_major=$(sed -n 's/^#define NSP_ABI_MAJOR \([0-9]*\)$/\1/p' "$prefix/include/neosync/plugin.h")
[[ -n $abi_major && $abi_major == "$header_major" ]] || nsp_fail "pkg-config abi_major '$abi_major' is not the header's '$header_major'"
[[ -f $(PKG_CONFIG_PATH=$pcdir pkg-config --variable=plugindir neosync-schema-plugin)/libneosync_schema_plugin.so ]] ||
  nsp_fail "pkg-config's plugindir has no libneosync_schema_plugin.so"
[[ -f $(PKG_CONFIG_PATH=$pcdir pkg-config --variable=protodir neosync-schema-plugin)/neosync/plugin/v1/plugin.proto ]] ||
  nsp_fail "pkg-config's protodir has no neosync/plugin/v1/plugin.proto"

compilers=(cc)
command -v clang >/dev/null && compilers+=(clang)
for compiler in "${compilers[@]}"; do
  src=$tmp/example-$compiler
  cp -r "$NSP_SOURCE_DIR/deploy/examples/plugin-minimal" "$src"
  rm -f "$src"/*.so
  make -C "$src" CC="$compiler" CFLAGS="-O2 -g -Werror" PKG_CONFIG_PATH="$pcdir" >"$tmp/make.log" 2>&1 || {
    cat "$tmp/make.log" >&2
    nsp_fail "the example does not build with $compiler against the installed header"
  }
  grep -qF -- "-I$incdir" "$tmp/make.log" || nsp_fail "the $compiler build did not use pkg-config's -I$incdir: $(cat "$tmp/make.log")"
  so=$src/minimal_plugin.so
  [[ -f $so ]] || nsp_fail "make did not produce minimal_plugin.so"

  symbols=$(nm -D --defined-only "$so" | awk '{ print $3 }')
  [[ $symbols == neosync_plugin_entry ]] || nsp_fail "$compiler: the example exports: $symbols (expected only neosync_plugin_entry)"

  "$host" describe --plugin "$so" >"$tmp/describe" 2>&1 || {
    cat "$tmp/describe" >&2
    nsp_fail "$compiler: the installed host cannot load the example plugin"
  }
  grep -q '^name: *minimal-example$' "$tmp/describe" || nsp_fail "describe: $(cat "$tmp/describe")"
  grep -q "^ABI: *plugin $header_major\." "$tmp/describe" || nsp_fail "describe: ABI line: $(cat "$tmp/describe")"
  grep -q 'pre_sync, post_sync' "$tmp/describe" || nsp_fail "describe: capabilities: $(cat "$tmp/describe")"
  "$host" describe --plugin "$so" --json | grep -q '"name": "minimal-example"' || nsp_fail "describe --json"
  _nsp_log "ok: built with $compiler, one symbol, described"
done

# A job with the example as its only hook: pre-sync and post-sync run (the plugin logs
# "nothing to do" through the host's log callback), the data step copies the one table, whose
# schema this test creates on both sides itself (the example creates nothing).
src_db=$(nsp_createdb minimal_src)
dst_db=$(nsp_createdb minimal_dst)
nsp_psql "$src_db" -c "CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t SELECT g, md5(g::text) FROM generate_series(1, 100) g;"
nsp_psql "$dst_db" -c "CREATE TABLE public.t (id int, v text);"
cat >"$tmp/job.json" <<JSON
{
  "jobId": "minimal-example",
  "source":      {"postgres": {"url": "$src_db"}},
  "destination": {"postgres": {"url": "$dst_db"}},
  "tables": [{"schema": "public", "table": "t"}],
  "hooks": [{"name": "minimal", "enabled": true, "priority": 0,
             "plugin": {"path": "$tmp/example-cc/minimal_plugin.so"}}]
}
JSON
set +e
NSP_LOG_LEVEL=info "$host" run --config "$tmp/job.json" >"$tmp/run.out" 2>"$tmp/run.err"
status=$?
set -e
if ((status != 0)); then
  cat "$tmp/run.out" "$tmp/run.err" >&2
  nsp_fail "neosync-host-sim run with the example plugin exited $status"
fi
n=$(grep -c 'minimal-example: nothing to do' "$tmp/run.err" || true)
((n == 2)) || { cat "$tmp/run.err" >&2; nsp_fail "expected the example's log line from pre-sync and post-sync, found it $n times"; }
[[ $(nsp_query "$dst_db" "SELECT count(*) FROM public.t") == 100 ]] || nsp_fail "the data step did not copy public.t"
_nsp_log "ok: a job ran the example's pre-sync and post-sync around the data step"

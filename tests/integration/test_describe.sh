#!/bin/sh
# neosync-host-sim describe against the built plugin and a wrong-major test plugin, and the
# plugin's dynamic symbol table (exactly one exported symbol).
#
# Environment (set by ctest): NSP_HOST_SIM (the host-sim executable), NSP_PLUGIN (the plugin's
# .so), NSP_BUILD_DIR (the build tree; test plugins in $NSP_BUILD_DIR/tests/plugins).
set -eu

: "${NSP_HOST_SIM:?set NSP_HOST_SIM to the neosync-host-sim executable}"
: "${NSP_PLUGIN:?set NSP_PLUGIN to the plugin shared object}"
: "${NSP_BUILD_DIR:?set NSP_BUILD_DIR to the build directory}"

WRONG_MAJOR="$NSP_BUILD_DIR/tests/plugins/libnsp_test_wrong_major.so"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect_contains FILE TEXT WHAT
expect_contains() {
	if ! grep -qF -- "$2" "$1"; then
		fail "$3: expected \"$2\" in:"
		sed 's/^/    /' "$1" >&2
	fi
}

host_abi=$("$NSP_HOST_SIM" --version | sed -n 's/.*host ABI \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p')
[ -n "$host_abi" ] || fail "--version does not name the host ABI"

# 1. The real plugin.
if "$NSP_HOST_SIM" describe --plugin "$NSP_PLUGIN" >"$tmp/out" 2>"$tmp/err"; then
	expect_contains "$tmp/out" "name:          neosync-schema" "describe"
	expect_contains "$tmp/out" "version:" "describe"
	expect_contains "$tmp/out" "ABI:           plugin $host_abi, host $host_abi" "describe"
	expect_contains "$tmp/out" "capabilities:" "describe"
	expect_contains "$tmp/out" "pre_sync" "describe"
	expect_contains "$tmp/out" "post_sync" "describe"
	[ ! -s "$tmp/err" ] || { fail "describe wrote to stderr:"; cat "$tmp/err" >&2; }
else
	fail "describe --plugin $NSP_PLUGIN exited $?:"
	cat "$tmp/err" >&2
fi

# 2. --json: one JSON document, the DescribeResponse.
if "$NSP_HOST_SIM" describe --plugin "$NSP_PLUGIN" --json >"$tmp/json" 2>"$tmp/err"; then
	expect_contains "$tmp/json" '"name": "neosync-schema"' "describe --json"
	expect_contains "$tmp/json" '"capabilities"' "describe --json"
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["info"]["name"]=="neosync-schema"' \
			"$tmp/json" || fail "describe --json is not the expected JSON"
	fi
else
	fail "describe --json exited $?"
fi

# 3. A plugin of another ABI major: refused, non-zero, both versions named.
if [ -f "$WRONG_MAJOR" ]; then
	if "$NSP_HOST_SIM" describe --plugin "$WRONG_MAJOR" >"$tmp/out" 2>"$tmp/err"; then
		fail "describe of a wrong-major plugin exited 0"
	fi
	expect_contains "$tmp/err" "plugin ABI 2.0" "wrong major"
	expect_contains "$tmp/err" "host ABI $host_abi" "wrong major"
	expect_contains "$tmp/err" "$WRONG_MAJOR" "wrong major"
	[ ! -s "$tmp/out" ] || fail "describe of a wrong-major plugin printed to stdout"
else
	fail "test plugin $WRONG_MAJOR is not built"
fi

# 4. A path that does not exist.
if "$NSP_HOST_SIM" describe --plugin "$tmp/nope.so" >/dev/null 2>"$tmp/err"; then
	fail "describe of a missing file exited 0"
fi
expect_contains "$tmp/err" "$tmp/nope.so" "missing file"
expect_contains "$tmp/err" "no such file" "missing file"

# 5. Usage: --help exits 0 on stdout; unknown flags and commands exit 1 with usage on stderr.
"$NSP_HOST_SIM" describe --help >"$tmp/out" 2>&1 || fail "describe --help exited non-zero"
expect_contains "$tmp/out" "Usage: neosync-host-sim describe" "describe --help"
if "$NSP_HOST_SIM" describe --plugin "$NSP_PLUGIN" --bogus >/dev/null 2>"$tmp/err"; then
	fail "an unknown flag exited 0"
fi
expect_contains "$tmp/err" "unknown argument: --bogus" "unknown flag"
expect_contains "$tmp/err" "Usage:" "unknown flag"
if "$NSP_HOST_SIM" describe >/dev/null 2>"$tmp/err"; then
	fail "describe without --plugin exited 0"
fi
if "$NSP_HOST_SIM" frobnicate >/dev/null 2>"$tmp/err"; then
	fail "an unknown command exited 0"
fi
expect_contains "$tmp/err" "unknown command: frobnicate" "unknown command"

# 6. The plugin exports exactly one dynamic symbol: the entry point.
if command -v nm >/dev/null 2>&1; then
	nm -D --defined-only "$NSP_PLUGIN" | awk 'NF >= 3 { print $3 } NF == 2 { print $2 }' >"$tmp/syms"
	if [ "$(cat "$tmp/syms")" != "neosync_plugin_entry" ]; then
		fail "nm -D --defined-only $NSP_PLUGIN lists more or other than neosync_plugin_entry:"
		sed 's/^/    /' "$tmp/syms" >&2
	fi
else
	fail "nm (binutils) is not installed"
fi

if [ "$failures" -ne 0 ]; then
	echo "test_describe: $failures failure(s)" >&2
	exit 1
fi
echo "test_describe: ok"

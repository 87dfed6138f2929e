#!/usr/bin/env bash
# The README's demo command: copy a small shop's schema and data into an empty database.
#
#   ./scripts/demo.sh
#
# 1. installs missing Debian packages (scripts/install-deps.sh) and builds into build/;
# 2. starts a private, throwaway PostgreSQL 15 (scripts/pg-throwaway.sh), creates the databases
#    demo_src and demo_dst, and loads tests/fixtures/demo/source.sql into demo_src;
# 3. writes a job config that points at both and at the built plugin, and runs
#      build/host-sim/neosync-host-sim run --config JOB.json
#    (pre-sync hook: bare tables; data step: COPY; post-sync hook: keys, indexes, FKs, triggers,
#    views, sequence values ...);
# 4. shows what the destination holds, then stops the server and removes it.
#
# Nothing outside build/ and a temporary directory is touched; no server is left running.
# Environment: NSP_BUILD_DIR (default: build), NSP_DEMO_KEEP=1 keeps the job config and prints its path.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
build=${NSP_BUILD_DIR:-build}
[[ $build == /* ]] || build=$root/$build

if [[ ${1:-} != __inside ]]; then
  scripts/install-deps.sh
  cmake -S . -B "$build" >/dev/null
  cmake --build "$build" -j "${NSP_JOBS:-2}"
  exec scripts/pg-throwaway.sh run -- "$root/scripts/demo.sh" __inside
fi

# --- inside the throwaway server's lifetime (NSP_PG_URL etc. exported by pg-throwaway.sh) ---------
psql_() { "$NSP_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
url_for() { printf 'postgresql:///%s?%s' "$1" "${NSP_PG_URL#*\?}"; }
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }

src=$(url_for demo_src)
dst=$(url_for demo_dst)
plugin=$build/plugin/libneosync_schema_plugin.so
host_sim=$build/host-sim/neosync-host-sim
[[ -f $plugin ]] || { echo "demo: plugin not built: $plugin" >&2; exit 1; }
[[ -x $host_sim ]] || { echo "demo: host simulator not built: $host_sim" >&2; exit 1; }

echo
echo "== demo: creating demo_src and demo_dst, loading tests/fixtures/demo/source.sql"
psql_ -d "$NSP_PG_URL" -c 'CREATE DATABASE demo_src' -c 'CREATE DATABASE demo_dst'
psql_ -d "$src" -f "$root/tests/fixtures/demo/source.sql"

work=$(mktemp -d /tmp/nsp-demo.XXXXXX)
[[ -n ${NSP_DEMO_KEEP:-} ]] || trap 'rm -rf -- "$work"' EXIT
job=$work/job.json
cat >"$job" <<JSON
{
  "jobId": "demo",
  "source":      {"postgres": {"url": $(json_str "$src")}},
  "destination": {"postgres": {"url": $(json_str "$dst")}},
  "tables": [],
  "hydration": {"parallelism": 2},
  "hooks": [{"name": "schema", "enabled": true, "priority": 0,
             "plugin": {"path": $(json_str "$plugin"), "options": {}}}]
}
JSON
echo
echo "== demo: job config ($job)"
cat "$job"
echo
echo "== demo: $host_sim run --config $job"
set +e
"$host_sim" run --config "$job"
status=$?
set -e

echo
echo "== demo: what demo_dst holds now"
psql_ -d "$dst" -c '\dn' -c '\dt (shop|audit).*' -c '\dv shop.*' -c '\dm shop.*' || true
psql_ -d "$dst" -At -F ' ' -c "
  SELECT 'rows:', 'shop.customers', count(*) FROM shop.customers
  UNION ALL SELECT 'rows:', 'shop.orders', count(*) FROM shop.orders
  UNION ALL SELECT 'rows:', 'shop.order_items', count(*) FROM shop.order_items
  UNION ALL SELECT 'rows:', 'audit.events', count(*) FROM audit.events" 2>/dev/null || true
[[ -z ${NSP_DEMO_KEEP:-} ]] || echo "demo: kept $work"
if ((status == 0)); then
  echo "demo: done (neosync-host-sim exited 0); the throwaway server is removed now"
else
  echo "demo: neosync-host-sim exited $status" >&2
fi
exit "$status"

#!/usr/bin/env bash
# Property-based check of the plugin on generated schemas (issue 12): builds the plugin and the
# host simulator, starts a throwaway PostgreSQL 15 (scripts/pg-throwaway.sh), runs seeds of
# tests/gen/schema_gen.py through whole jobs (owners and ACLs on, every table, post-sync
# parallelism 1 and 4) and prints the failure classes; stops and removes the server.
#
#   ./scripts/gen-check.sh [--seeds N] [--start S] [--seed N ...] [--sql FILE ...] [--jobs J]
#                          [--no-acl-features] [--shrink DIR] [--keep DIR] [-q]
#
#   --seeds N            run N seeds from --start (default 1); without --seeds/--seed/--sql: 50
#   --seed N             run this seed (repeatable)
#   --sql FILE           run this SQL file, e.g. a reproducer of tests/fixtures/generated/
#   --jobs J             cases at the same time (default 2)
#   --no-acl-features    leave out column grants, default privileges, grant option chains,
#                        revokes, owners of tables that own sequences, and both an owner
#                        and a grant on one object other than a table
#   --shrink DIR         shrink each failing seed to DIR/seedN.sql (delta debugging)
#   --keep DIR           keep each case's SQL, dumps, diffs and job logs in DIR/LABEL
#
# Exit status 0 when every case passed. Environment: NSP_BUILD_DIR (default: build).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${NSP_BUILD_DIR:-build}
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,21s/^# \{0,1\}//p' "$0"; exit 0; }
cmake -S . -B "$build" -DNSP_WERROR=ON >/dev/null
cmake --build "$build" -j "${NSP_JOBS:-2}" --target neosync-host-sim neosync_schema_plugin >/dev/null
export NSP_BUILD_DIR
NSP_BUILD_DIR=$(cd "$build" && pwd)
exec scripts/pg-throwaway.sh run -- python3 tests/gen/gen_check.py "$@"

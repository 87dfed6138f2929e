#!/usr/bin/env bash
# The README's test command: install what is missing, build with warnings as errors, run every test.
#
#   ./scripts/test.sh
#
# Installs missing Debian packages (scripts/install-deps.sh; asks sudo when not root), configures
# build/ with -DNSP_WERROR=ON, builds with two jobs and runs ctest: the cmocka unit tests and the
# integration tests, which start their own throwaway PostgreSQL 15 (scripts/pg-throwaway.sh).
# Exits with ctest's status. Works as root too (the server then runs as an unprivileged user).
#
# Environment: NSP_BUILD_DIR (default: build), NSP_JOBS (default: 2), NSP_TEST_TIMEOUT (seconds per
# test that sets none itself; default: 900), NSP_CMAKE_ARGS (extra cmake arguments).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${NSP_BUILD_DIR:-build}
jobs=${NSP_JOBS:-2}

scripts/install-deps.sh

# shellcheck disable=SC2086
cmake -S . -B "$build" -DNSP_WERROR=ON ${NSP_CMAKE_ARGS:-}
cmake --build "$build" -j "$jobs"

set +e
ctest --test-dir "$build" --output-on-failure --timeout "${NSP_TEST_TIMEOUT:-900}" -j "$jobs"
status=$?
set -e
if ((status == 0)); then echo "test.sh: all tests passed"; else echo "test.sh: tests FAILED (ctest exit $status)" >&2; fi
exit "$status"

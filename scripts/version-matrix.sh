#!/usr/bin/env bash
# The version matrix (issue 13, docs/versions.md): whole jobs between servers of PostgreSQL 13,
# 15, 17, 18 and 19 (release candidate), every source <= destination pair plus newer -> older
# ones, on Pagila, the feature fixtures, the 18-only fixture and the schema generator's seeds;
# prints the result table. It is the ctest test integration.major_matrix (label "versions"),
# run here on its own against the build in NSP_BUILD_DIR (default: build).
#
#   ./scripts/version-matrix.sh                    # the whole matrix (as root: the servers of
#                                                  # other majors run in cached Debian roots)
#   NSP_MATRIX_PAIRS="15-18 18-15" NSP_MATRIX_FIXTURES="pagila pg18" ./scripts/version-matrix.sh
#
# Environment: NSP_MATRIX_PAIRS ("FROM-TO ..."), NSP_MATRIX_FIXTURES (pagila features pg18 newer
# genN ...), NSP_MATRIX_SEEDS (generator seeds, default "1 2 3"), NSP_MATRIX_JOBS (cells at a
# time, default 2), NSP_MATRIX_TABLE (also write the table to this file), NSP_MATRIX_KEEP (copy
# every cell's log, job output and reported steps into this directory).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${NSP_BUILD_DIR:-build}
[[ -x $build/host-sim/neosync-host-sim && -f $build/plugin/libneosync_schema_plugin.so ]] ||
  { echo "version-matrix.sh: build first: cmake -S . -B $build && cmake --build $build" >&2; exit 1; }
build=$(cd "$build" && pwd)  # absolute: the cells run in other directories
export NSP_SOURCE_DIR=$PWD NSP_BUILD_DIR=$build NSP_TEST_NAME=version-matrix
export NSP_HOST_SIM=$NSP_BUILD_DIR/host-sim/neosync-host-sim
export NSP_PLUGIN=$NSP_BUILD_DIR/plugin/libneosync_schema_plugin.so
export NSP_SHARED_FIXTURES=${NSP_SHARED_FIXTURES:-$(cd .. && pwd)/shared/fixtures}
# lib.sh wants a server of its own (the host's 15) for its helpers; the matrix starts the rest.
exec scripts/pg-throwaway.sh run -- tests/integration/test_major_matrix.sh

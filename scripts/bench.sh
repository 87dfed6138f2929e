#!/usr/bin/env bash
# The README's benchmark command (issue 5): build, start a throwaway PostgreSQL 15 with default
# settings (scripts/pg-throwaway.sh: max_locks_per_transaction 64; only durability is off), run
# tests/bench/run.sh against it, print the results table, stop and remove the server.
#
#   ./scripts/bench.sh [--scale small|full] [--out FILE] [--parallelism N] [--rounds R]
#                      [--major N] [--wide-tables "5000 20000"] [--wide-only] [--in-memory]
#
#   --scale small   seconds: a smoke check of the whole benchmark (default)
#   --scale full    the issue's sizes: pre-sync at 10 and 5 000 tables, post-sync on ~350 MB of
#                   tables (6 x 400 000 rows, 5 indexes and 2 FKs per table, a partitioned table);
#                   about 15-25 minutes on 2 cores
#   --out FILE      where the results table goes (default: bench-results-SCALE.txt in the build
#                   directory); FILE with .tsv instead of .txt holds the raw rows
#   --in-memory     the server's data directory in /dev/shm (needs ~8 GB free there at full
#                   scale): takes the file system out of the comparison (see docs/benchmarks.md: on a
#                   file system that is slow to create files, creating 5 000 tables measures it)
#   --wide-tables L the sizes of the wide-schema comparison (issue 15; full: 5000, small: 200 800):
#                   e.g. "5000 20000" adds the 20 000-table scale point (about 10 more minutes)
#   --wide-only     only the wide-schema comparison
#   --rounds R      rounds of each contender, medians printed (full: 3, small: 1)
#   The server's data directory is on disk (under /tmp) unless --in-memory.
#   --major N       a server of PostgreSQL N (13, 15, 17, 18, 19) and that major's pg_dump,
#                   pg_restore and psql (scripts/pg-major.sh: a cached Debian root, made on first
#                   use); its data directory is under /tmp whatever --in-memory says
#
# Environment: NSP_BUILD_DIR (default: build), NSP_JOBS (default: 2), NSP_CMAKE_ARGS.
# Not part of the test run (ctest): benchmarks print ratios, tests never assert on wall time.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${NSP_BUILD_DIR:-build}
scale=small out='' extra=() major=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --parallelism) extra+=(--parallelism "$2"); shift 2 ;;
    --rounds) extra+=(--rounds "$2"); shift 2 ;;
    --in-memory) export NSP_PG_TMPROOT=/dev/shm; shift ;;
    --major) major=(--major "$2"); shift 2 ;;
    --wide-tables) extra+=(--wide-tables "$2"); shift 2 ;;
    --wide-only) extra+=(--wide-only); shift ;;
    -h|--help) sed -n '2,26s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $scale == small || $scale == full ]] || { echo "bench.sh: --scale small|full" >&2; exit 2; }

# shellcheck disable=SC2086
cmake -S . -B "$build" -DNSP_WERROR=ON ${NSP_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "${NSP_JOBS:-2}" --target nsp_bench neosync-host-sim neosync_schema_plugin >/dev/null
build=$(cd "$build" && pwd)
[[ -n $out ]] || out=$build/bench-results-$scale.txt
export NSP_BUILD_DIR=$build
exec scripts/pg-throwaway.sh run "${major[@]}" -- tests/bench/run.sh --scale "$scale" --out "$out" "${extra[@]}"

#!/usr/bin/env bash
# The README's fuzz command: build the libFuzzer targets with clang (ASan + UBSan) and run each.
#
#   ./scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS: how long each target runs (default 60). TARGET: fuzz_hooks, fuzz_job_config, fuzz_plan
# (default: all three, one after the other). Each run starts from the repository's corpus
# (tests/fuzz/corpus/<target>/, read only) plus what earlier runs found (in
# $NSP_FUZZ_BUILD_DIR/fuzz-out/<target>/corpus); logs go to $NSP_FUZZ_BUILD_DIR/fuzz-out/<target>.log,
# a crashing input to $NSP_FUZZ_BUILD_DIR/fuzz-out/<target>/crash-*. Exits non-zero when a target
# found a failure. Environment: NSP_FUZZ_BUILD_DIR (default build-fuzz), NSP_JOBS (build jobs,
# default 2), NSP_FUZZ_ARGS (more libFuzzer flags, e.g. -jobs=2).
#
# No target ever reaches a database: fuzz_hooks rewrites every connection string that parses to
# a closed port on 127.0.0.1 (tests/fuzz/fuzz_hooks.c).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_hooks fuzz_job_config fuzz_plan)
build=${NSP_FUZZ_BUILD_DIR:-build-fuzz}
root=$PWD

command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (scripts/install-deps.sh)" >&2; exit 1; }
CC=clang cmake -S . -B "$build" -DNSP_SANITIZE=ON -DNSP_FUZZ=ON -DNSP_WERROR=ON \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${NSP_JOBS:-2}" --target "${targets[@]}"

status=0
out=$(realpath -m "$build")/fuzz-out
for t in "${targets[@]}"; do
  mkdir -p "$out/$t/corpus"
  echo "fuzz.sh: $t for ${seconds}s (log: $out/$t.log)"
  set +e
  # shellcheck disable=SC2086
  (cd "$out/$t" && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
     "$(realpath "$build")/tests/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
     -timeout=25 -rss_limit_mb=2048 ${NSP_FUZZ_ARGS:-} \
     corpus "$root/tests/fuzz/corpus/$t") >"$out/$t.log" 2>&1
  rc=$?
  set -e
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$out/$t.log" | sed "s/^/  $t: /" || true
  grep -E 'cov: [0-9]+' "$out/$t.log" | tail -n 1 | sed "s/^/  $t: /" || true
  if ((rc != 0)); then
    echo "fuzz.sh: $t FAILED (exit $rc); see $out/$t.log" >&2
    grep -E 'ERROR|SUMMARY|abort|Test unit written' "$out/$t.log" | head -n 10 >&2 || true
    status=1
  fi
done
exit "$status"

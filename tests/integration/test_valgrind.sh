#!/usr/bin/env bash
# Valgrind memcheck of whole neosync-host-sim runs with the plugin in-process (issue 7):
#   run (the demo schema: pre-sync, parallel COPY, post-sync on 2 connections), run --json,
#   pre-sync --plan-out --hydrate then post-sync --plan, a run whose destination is unreachable,
#   and a run with a failing post-sync step.
# Each: valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99
# with the suppressions in tests/valgrind/*.supp; no invalid access, no use of uninitialised
# memory, no definite or indirect leak, from our code or anywhere.
# Skipped when valgrind is not installed, or in an ASan build (the sanitizer checks that one).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

command -v valgrind >/dev/null || nsp_skip "valgrind is not installed"
if grep -q '^NSP_SANITIZE:BOOL=ON' "$NSP_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
  nsp_skip "ASan build: the sanitizer checks this build instead"
fi
dir=$(nsp_tmpdir)
supp=()
for f in "$NSP_SOURCE_DIR"/tests/valgrind/*.supp; do supp+=(--suppressions="$f"); done

src=$(nsp_createdb vg_src)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null
nsp_psql "$src" -c "CREATE TABLE public.dup (id int PRIMARY KEY)" -c "INSERT INTO public.dup VALUES (1)" >/dev/null

vg() { # NAME EXPECTED-EXIT ARGS...
  local name=$1 want=$2; shift 2
  set +e
  valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=40 "${supp[@]}" \
    --log-file="$dir/$name.vg" "$NSP_HOST_SIM" "$@" >"$dir/$name.out" 2>&1
  local rc=$?
  set -e
  if [[ $rc -eq 99 ]] || grep -q 'ERROR SUMMARY: [1-9]' "$dir/$name.vg" 2>/dev/null || [[ -s $dir/$name.vg ]]; then
    cat "$dir/$name.vg" >&2
    nsp_fail "$name: valgrind reported errors or leaks"
  fi
  [[ $rc -eq $want ]] || { cat "$dir/$name.out" >&2; nsp_fail "$name: exit $rc, expected $want"; }
  _nsp_log "ok: $name under valgrind: exit $rc, no errors, no leaks"
}

dst=$(nsp_createdb vg_dst)
nsp_job_config "$dir/job.json" "$src" "$dst" '{"parallelism": 2}'
vg run 0 run --config "$dir/job.json"
nsp_assert_parity "$src" "$dst" "valgrind run"

dst=$(nsp_createdb vg_dst_json)
nsp_job_config "$dir/json.json" "$src" "$dst"
vg run-json 0 run --config "$dir/json.json" --json

dst=$(nsp_createdb vg_dst_phases)
nsp_job_config "$dir/phases.json" "$src" "$dst"
vg pre-sync 0 pre-sync --config "$dir/phases.json" --plan-out "$dir/plan.bin" --hydrate
vg post-sync 0 post-sync --config "$dir/phases.json" --plan "$dir/plan.bin"

nsp_job_config "$dir/unreachable.json" "$src" "postgresql://127.0.0.1:1/x?connect_timeout=2"
vg unreachable 1 run --config "$dir/unreachable.json"

dst=$(nsp_createdb vg_dst_fail)
nsp_psql "$dst" -c "CREATE TABLE public.dup (id int NOT NULL)" -c "INSERT INTO public.dup VALUES (1)" >/dev/null
nsp_job_config "$dir/fail.json" "$src" "$dst" '{"onExisting": "ON_EXISTING_SKIP"}'
vg failed-step 2 run --config "$dir/fail.json" --json
_nsp_log "PASS"

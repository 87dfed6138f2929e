#!/usr/bin/env bash
# Dry run (`neosync-host-sim plan --out DIR`): the manual "pg_dump -s, edit, apply" flow, automated.
#  - plan touches nothing on the destination (it stays empty);
#  - the files have the documented shape: a header emptying search_path and turning
#    check_function_bodies off, and one `-- step N: KIND identity` line per step of each phase;
#  - applying pre-sync.sql with `psql -1 -f`, loading the rows (pg_dump --data-only of the source),
#    then post-sync.sql with `psql -f` gives schema and data parity with the source;
#  - the saved plan.bin drives `post-sync --plan` too (a second destination: pre-sync.sql by psql,
#    rows, then the host's idempotent post-sync with that plan): parity, every step applied;
#  - a selection that leaves out a referenced table writes the FK commented out with its reason.
# On the repository's own fixtures (features, demo) and, when present, on Pagila.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)

# Objects outside the system schemas: 0 on an untouched empty database.
user_objects() {
  nsp_query "$1" "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast'))
                       + (SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%'
                          AND nspname NOT IN ('information_schema', 'public'))
                       + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))"
}

# load_rows SRC DST: the source's rows (and sequence values) into the bare destination tables.
load_rows() {
  "$NSP_PG_DUMP" --data-only --disable-triggers -d "$1" | nsp_psql "$2" >/dev/null ||
    nsp_fail "loading the rows into the destination failed"
}

dry_run_case() {
  local what=$1 src=$2 dst out
  dst=$(nsp_createdb "dry_${what}_dst")
  out=$dir/$what
  nsp_job_config "$dir/$what.json" "$src" "$dst" '{}'
  "$NSP_HOST_SIM" plan --config "$dir/$what.json" --out "$out" >"$dir/$what.plan.log" 2>&1 ||
    { cat "$dir/$what.plan.log" >&2; nsp_fail "$what: plan failed"; }
  [[ -s $out/pre-sync.sql && -s $out/post-sync.sql && -s $out/plan.bin ]] ||
    nsp_fail "$what: plan did not write pre-sync.sql, post-sync.sql and plan.bin"
  [[ $(user_objects "$dst") -eq 0 ]] || nsp_fail "$what: plan changed the destination"

  local f
  for f in pre-sync post-sync; do
    head -n 12 "$out/$f.sql" | grep -qxF "SELECT pg_catalog.set_config('search_path', '', false);" ||
      nsp_fail "$what: $f.sql does not empty search_path in its header"
    head -n 12 "$out/$f.sql" | grep -qxF "SET check_function_bodies = false;" ||
      nsp_fail "$what: $f.sql does not turn check_function_bodies off"
    grep -qE '^-- step [0-9]+: [A-Z_]+ ' "$out/$f.sql" || nsp_fail "$what: $f.sql has no step lines"
  done
  # The step numbers of pre-sync.sql come before those of post-sync.sql, and each file's are
  # in plan order (ascending ids: the plan's order).
  local pre_ids post_ids
  pre_ids=$(sed -n 's/^-- step \([0-9]*\):.*/\1/p' "$out/pre-sync.sql")
  post_ids=$(sed -n 's/^-- step \([0-9]*\):.*/\1/p' "$out/post-sync.sql")
  [[ $(printf '%s\n' "$pre_ids" | sort -n) == "$pre_ids" ]] || nsp_fail "$what: pre-sync steps out of plan order"
  [[ $(printf '%s\n' "$post_ids" | sort -n) == "$post_ids" ]] || nsp_fail "$what: post-sync steps out of plan order"
  (( $(printf '%s\n' "$pre_ids" | tail -n1) < $(printf '%s\n' "$post_ids" | head -n1) )) ||
    nsp_fail "$what: a post-sync step precedes a pre-sync step"

  # Apply by hand, as a user would.
  nsp_psql "$dst" -1 -f "$out/pre-sync.sql" >"$dir/$what.pre.out" 2>&1 ||
    { cat "$dir/$what.pre.out" >&2; nsp_fail "$what: psql -1 -f pre-sync.sql failed"; }
  load_rows "$src" "$dst"
  nsp_psql "$dst" -f "$out/post-sync.sql" >"$dir/$what.post.out" 2>&1 ||
    { cat "$dir/$what.post.out" >&2; nsp_fail "$what: psql -f post-sync.sql failed"; }
  if grep -q 'ERROR' "$dir/$what.post.out"; then
    cat "$dir/$what.post.out" >&2; nsp_fail "$what: post-sync.sql reported errors"
  fi
  nsp_schema_dump "$src" --no-owner --no-acl >"$dir/$what.src.schema"
  nsp_schema_dump "$dst" --no-owner --no-acl >"$dir/$what.dst.schema"
  nsp_assert_same "$dir/$what.src.schema" "$dir/$what.dst.schema" "$what (psql-applied plan): schema dumps"
  nsp_data_checksums "$src" >"$dir/$what.src.data"
  nsp_data_checksums "$dst" >"$dir/$what.dst.data"
  nsp_assert_same "$dir/$what.src.data" "$dir/$what.dst.data" "$what (psql-applied plan): rows and sequences"

  # The same plan, post-sync by the host from plan.bin.
  local dst2
  dst2=$(nsp_createdb "dry_${what}_dst2")
  nsp_job_config "$dir/$what-2.json" "$src" "$dst2" '{}'
  nsp_psql "$dst2" -1 -f "$out/pre-sync.sql" >/dev/null 2>&1 || nsp_fail "$what: pre-sync.sql on a second database"
  load_rows "$src" "$dst2"
  set +e
  "$NSP_HOST_SIM" post-sync --config "$dir/$what-2.json" --plan "$out/plan.bin" >"$dir/$what.post2.log" 2>&1
  local rc=$?
  set -e
  [[ $rc -eq 0 ]] || { cat "$dir/$what.post2.log" >&2; nsp_fail "$what: post-sync --plan plan.bin exited $rc"; }
  # Sequence values came with the rows (pg_dump's setval): those steps are already there.
  grep -qE '^  schema: [0-9]+ applied, 0 failed, 0 skipped, [0-9]+ unchanged, 0 conflicts' "$dir/$what.post2.log" ||
    { cat "$dir/$what.post2.log" >&2; nsp_fail "$what: post-sync with plan.bin did not apply every step"; }
  nsp_schema_dump "$dst2" --no-owner --no-acl >"$dir/$what.dst2.schema"
  nsp_assert_same "$dir/$what.src.schema" "$dir/$what.dst2.schema" "$what (plan.bin, host post-sync): schema dumps"
}

# The repository's own fixtures: every object kind of the split rules (docs/how-it-works.md).
src=$(nsp_createdb dry_features_src)
for f in "$NSP_SOURCE_DIR"/tests/fixtures/features/*.sql; do
  nsp_psql "$src" -f "$f" >/dev/null || nsp_fail "fixture $f does not load"
done
dry_run_case features "$src"

demo=$(nsp_createdb dry_demo_src)
nsp_psql "$demo" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null
dry_run_case demo "$demo"

# A selection that leaves out shop.customers: the FK of shop.orders to it is written commented out,
# with the reason, and nothing of shop.customers is in the files.
dst=$(nsp_createdb dry_sel_dst)
nsp_job_config "$dir/sel.json" "$demo" "$dst" '{}' \
  '"tables": [{"schema": "shop", "table": "*"}], "excludeTables": [{"schema": "shop", "table": "customers"}]'
"$NSP_HOST_SIM" plan --config "$dir/sel.json" --out "$dir/sel" >"$dir/sel.log" 2>&1 ||
  { cat "$dir/sel.log" >&2; nsp_fail "plan with a selection failed"; }
grep -A1 -E '^-- step [0-9]+: FOREIGN_KEY shop\.orders\.' "$dir/sel/post-sync.sql" | grep -q '^-- skipped: .*shop\.customers' ||
  { cat "$dir/sel/post-sync.sql" >&2; nsp_fail "the FK to the unselected shop.customers is not commented out with its reason"; }
if grep -vE '^--' "$dir/sel/post-sync.sql" | grep -q 'REFERENCES shop\.customers\|REFERENCES "shop"\."customers"'; then
  nsp_fail "an FK to the unselected shop.customers is left runnable in post-sync.sql"
fi
grep -qE '^-- step [0-9]+: TABLE shop\.customers$' "$dir/sel/pre-sync.sql" && nsp_fail "the excluded table is in pre-sync.sql"
grep -qE '^-- step [0-9]+: TABLE shop\.orders$' "$dir/sel/pre-sync.sql" || nsp_fail "shop.orders is missing from pre-sync.sql"

# fkMode skip: every FK step is written commented out.
nsp_job_config "$dir/fkskip.json" "$demo" "$dst" '{"fkMode": "FK_MODE_SKIP"}'
"$NSP_HOST_SIM" plan --config "$dir/fkskip.json" --out "$dir/fkskip" >"$dir/fkskip.log" 2>&1 ||
  { cat "$dir/fkskip.log" >&2; nsp_fail "plan with fkMode skip failed"; }
n_fk=$(grep -cE '^-- step [0-9]+: FOREIGN_KEY ' "$dir/fkskip/post-sync.sql" || true)
n_fk_skipped=$(grep -A1 -E '^-- step [0-9]+: FOREIGN_KEY ' "$dir/fkskip/post-sync.sql" | grep -c '^-- skipped: ' || true)
(( n_fk > 0 && n_fk == n_fk_skipped )) || nsp_fail "fkMode skip: $n_fk_skipped of $n_fk FK steps commented out"

# Usage errors: clear message, exit 1.
set +e
"$NSP_HOST_SIM" plan --config "$dir/sel.json" >"$dir/usage.log" 2>&1; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q -- '--out DIR is required' "$dir/usage.log" || nsp_fail "plan without --out: exit $rc"
set +e
"$NSP_HOST_SIM" plan --config "$dir/missing.json" --out "$dir/x" >"$dir/usage2.log" 2>&1; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q 'missing.json' "$dir/usage2.log" || nsp_fail "plan with a missing config: exit $rc"
"$NSP_HOST_SIM" plan --help | grep -q 'pre-sync.sql' || nsp_fail "plan --help does not describe the files"

# Pagila, when the shared fixtures are present.
if [[ -d $NSP_SHARED_FIXTURES/pagila ]]; then
  pagila=$(nsp_createdb dry_pagila_src)
  nsp_psql "$pagila" -f "$NSP_SHARED_FIXTURES/pagila/pagila-schema.sql" >/dev/null
  nsp_psql "$pagila" -f "$NSP_SOURCE_DIR/tests/fixtures/pagila/pagila-data.sql" >/dev/null
  dry_run_case pagila "$pagila"
else
  _nsp_log "shared fixtures absent: Pagila part not run"
fi

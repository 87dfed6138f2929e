#!/usr/bin/env bash
# options.onExisting on destinations that already hold the schema (the repository's demo fixture,
# tests/fixtures/demo/source.sql; `strip` is not tested here yet):
#  - error (default), initialized destination: refused with exit status 1, the message names the
#    existing objects, nothing changed (schema dump and rows identical before and after);
#  - skip, initialized destination: pre-sync (the `pre-sync` command) reports every step unchanged,
#    applies nothing, exit 0, and the destination is unchanged;
#  - skip, a table with another definition (an extra column): that TABLE step is a conflict naming
#    the destination's definition, the table is left as it is, the rest unchanged, exit 2;
#  - replace, destination with old rows and an extra column: the selected tables are dropped and
#    recreated; the job completes with schema and data parity;
#  - a post-sync object with another definition under the same name (an index on other columns,
#    created on the bare table before post-sync): reported as a conflict naming the destination's
#    definition, not replaced; everything else applies; exit 2.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)
src=$(nsp_createdb oe_src)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null

snapshot() { # URL FILE: the schema dump and the rows
  { nsp_schema_dump "$1"; nsp_data_checksums "$1"; } >"$2"
}

# An initialized destination: a complete job.
dst=$(nsp_createdb oe_dst)
nsp_job_config "$dir/init.json" "$src" "$dst" '{}'
nsp_run_job "$dir/init.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "the initial job did not complete"; }
snapshot "$dst" "$dir/before"

# error (default)
nsp_run_job "$dir/init.json"
[[ $NSP_JOB_STATUS -eq 1 ]] || { nsp_show_job_log; nsp_fail "error: exit status $NSP_JOB_STATUS on an initialized destination, expected 1"; }
grep -qE 'the destination already has [0-9]+ of the objects pre-sync would create \((shop|audit|public)\.[a-z_]+' "$NSP_JOB_LOG" ||
  { nsp_show_job_log; nsp_fail "error: the message does not name the existing objects"; }
grep -q 'nothing was changed' "$NSP_JOB_LOG" || nsp_fail "error: the message does not say nothing was changed"
[[ $(grep -A1 '^Hydration$' "$NSP_JOB_LOG" | tail -n1) == '  (not run)' ]] ||
  nsp_fail "error: the data step ran after a refused pre-sync"
snapshot "$dst" "$dir/after-error"
nsp_assert_same "$dir/before" "$dir/after-error" "error: the destination before and after the refused run"

# skip: pre-sync alone, every step unchanged.
nsp_job_config "$dir/skip.json" "$src" "$dst" '{"onExisting": "skip"}'
set +e
"$NSP_HOST_SIM" pre-sync --config "$dir/skip.json" --plan-out "$dir/skip.bin" >"$dir/skip.log" 2>&1
rc=$?
set -e
cat "$dir/skip.log" >&2
[[ $rc -eq 0 ]] || nsp_fail "skip: pre-sync exited $rc on an initialized destination, expected 0"
grep -qE '^  schema: 0 applied, 0 failed, 0 skipped, [1-9][0-9]* unchanged, 0 conflicts' "$dir/skip.log" ||
  nsp_fail "skip: pre-sync does not report every step unchanged (and nothing applied)"
snapshot "$dst" "$dir/after-skip"
nsp_assert_same "$dir/before" "$dir/after-skip" "skip: the destination before and after pre-sync"

# skip with a table of another definition: a conflict, left alone.
nsp_psql "$dst" -c "ALTER TABLE shop.products ADD COLUMN legacy_code text"
set +e
"$NSP_HOST_SIM" pre-sync --config "$dir/skip.json" --plan-out "$dir/skip2.bin" >"$dir/skip2.log" 2>&1
rc=$?
set -e
cat "$dir/skip2.log" >&2
[[ $rc -eq 2 ]] || nsp_fail "skip: pre-sync exited $rc with a conflicting table, expected 2"
grep -qE '^    conflict +TABLE shop\.products: exists on the destination with another definition; left as it is \(destination: .*legacy_code' "$dir/skip2.log" ||
  nsp_fail "skip: the conflicting table is not reported with the destination's definition"
grep -qE '^  schema: 0 applied, 0 failed, 0 skipped, [1-9][0-9]* unchanged, 1 conflicts' "$dir/skip2.log" ||
  nsp_fail "skip: the summary is not one conflict and the rest unchanged"
[[ $(nsp_query "$dst" "SELECT count(*) FROM pg_attribute WHERE attrelid = 'shop.products'::regclass AND attname = 'legacy_code'") -eq 1 ]] ||
  nsp_fail "skip: the conflicting table was changed"

# replace: old rows and the extra column go; the job completes with parity.
nsp_psql "$dst" -c "UPDATE shop.products SET legacy_code = 'old', name = name || ' (old)'" \
                -c "DELETE FROM shop.order_items WHERE order_id % 2 = 0"
nsp_job_config "$dir/replace.json" "$src" "$dst" '{"onExisting": "replace"}'
nsp_run_job "$dir/replace.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "replace: exit status $NSP_JOB_STATUS, expected 0"; }
nsp_schema_dump "$src" >"$dir/src.schema"
nsp_schema_dump "$dst" >"$dir/dst.schema"
nsp_assert_same "$dir/src.schema" "$dir/dst.schema" "replace: schema dumps"
nsp_data_checksums "$src" >"$dir/src.data"
nsp_data_checksums "$dst" >"$dir/dst.data"
nsp_assert_same "$dir/src.data" "$dir/dst.data" "replace: rows and sequences"

# A post-sync object under the same name with another definition: a conflict, not replaced.
dst2=$(nsp_createdb oe_conflict)
nsp_job_config "$dir/conflict.json" "$src" "$dst2" '{}'
set +e
"$NSP_HOST_SIM" pre-sync --config "$dir/conflict.json" --plan-out "$dir/conflict.bin" --hydrate >"$dir/c-pre.log" 2>&1
rc=$?
set -e
[[ $rc -eq 0 ]] || { cat "$dir/c-pre.log" >&2; nsp_fail "conflict: pre-sync --hydrate exited $rc"; }
nsp_psql "$dst2" -c "CREATE INDEX orders_customer_idx ON shop.orders (ordered_at)"
want=$(nsp_query "$dst2" "SELECT pg_get_indexdef('shop.orders_customer_idx'::regclass)")
set +e
"$NSP_HOST_SIM" post-sync --config "$dir/conflict.json" --plan "$dir/conflict.bin" >"$dir/c-post.log" 2>&1
rc=$?
set -e
cat "$dir/c-post.log" >&2
[[ $rc -eq 2 ]] || nsp_fail "conflict: post-sync exited $rc, expected 2"
grep -qF "    conflict  INDEX shop.orders.orders_customer_idx: exists on the destination with another definition; left as it is (destination: $want)" "$dir/c-post.log" ||
  nsp_fail "conflict: the index is not reported as a conflict with the destination's definition"
grep -qE '^  schema: [1-9][0-9]* applied, 0 failed, 0 skipped, 0 unchanged, 1 conflicts' "$dir/c-post.log" ||
  nsp_fail "conflict: the summary is not one conflict and the rest applied"
[[ $(nsp_query "$dst2" "SELECT pg_get_indexdef('shop.orders_customer_idx'::regclass)") == "$want" ]] ||
  nsp_fail "conflict: the destination's index was replaced"

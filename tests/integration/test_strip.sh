#!/usr/bin/env bash
# on_existing = strip, for recurring jobs: a destination that already has the full schema and
# old rows is reloaded with truncate-before-insert. Pre-sync drops the selected tables' keys,
# indexes, triggers and the foreign keys pointing at them (also from a table the job does not
# select, and an index only the destination has), post-sync re-creates them; and when the run
# dies after pre-sync, post-sync alone, from the saved plan, restores every dropped object.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

src=$(nsp_createdb strip_src)
if [[ -d $NSP_SHARED_FIXTURES/pagila ]]; then
  nsp_psql "$src" -f "$NSP_SHARED_FIXTURES/pagila/pagila-schema.sql" >/dev/null
  nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/pagila/pagila-data.sql" >/dev/null
  parent=public.film parent_key=film_id
else
  for f in "$NSP_SOURCE_DIR"/tests/fixtures/features/*.sql; do nsp_psql "$src" -f "$f" >/dev/null; done
  parent=ci.a parent_key=id
fi
dir=$(nsp_tmpdir)
dst=$(nsp_createdb strip_dst)

# A first, ordinary job: the destination has the full schema and the rows.
nsp_job_config "$dir/init.json" "$src" "$dst" '{"owners": true, "acls": true}'
nsp_run_job "$dir/init.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "initial job failed"; }

# The destination lives on: old rows, an index of its own, a table of its own referencing a
# selected table. The source gets new rows.
nsp_psql "$dst" >/dev/null <<SQL
CREATE INDEX dst_only_idx ON $parent ($parent_key DESC);
CREATE TABLE public.dst_only (id int, ref int REFERENCES $parent ($parent_key));
SQL
snapshot_objects() {
  nsp_query "$1" "SELECT c.conrelid::regclass || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema' AND c.contype IN ('p','u','f','x')
                  UNION ALL SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
                  UNION ALL SELECT tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"
}
snapshot_objects "$dst" >"$dir/objects.before"
[[ $(wc -l <"$dir/objects.before") -gt 10 ]] || nsp_fail "too few objects to test with"
nsp_psql "$src" -c "UPDATE $parent SET $parent_key = $parent_key WHERE false" >/dev/null

strip_options='{"onExisting": "strip", "owners": true, "acls": true}'
strip_extra='"hydration": {"parallelism": 2, "truncateBeforeInsert": true}'
write_strip_config() { nsp_job_config "$1" "$src" "$dst" "$strip_options" "$strip_extra" && sed -i '0,/"hydration": {"parallelism": [0-9]*},/{/"hydration": {"parallelism": [0-9]*},/d}' "$1"; }
write_strip_config "$dir/strip.json"

# 1. Pre-sync alone, with the data step: the load ran against bare tables. With a plan key: the
# plan is signed once, when final (strip's re-creation steps included), so post-sync accepts it.
export NEOSYNC_PLAN_KEY=strip-test-plan-key-0123456789
set +e
"$NSP_HOST_SIM" pre-sync --config "$dir/strip.json" --plan-out "$dir/plan.bin" --hydrate >"$dir/pre.log" 2>&1
status=$?
set -e
[[ $status -eq 0 ]] || { cat "$dir/pre.log" >&2; nsp_fail "strip pre-sync exited $status"; }
grep -q "strip: dropped" "$dir/pre.log" || { cat "$dir/pre.log" >&2; nsp_fail "strip dropped nothing"; }
kept=$(sed -n 's/.*(\([0-9][0-9]*\) kept in the plan with the destination.s definition).*/\1/p' "$dir/pre.log" | head -n1)
[[ ${kept:-0} -gt 0 ]] || { cat "$dir/pre.log" >&2; nsp_fail "strip kept no destination definition in the plan (the case this test signs)"; }
bare=$(snapshot_objects "$dst" | grep -c . || true)
_nsp_log "after strip pre-sync: $bare keys, indexes and triggers left (before: $(wc -l <"$dir/objects.before"))"
nsp_query "$dst" "SELECT count(*) FROM pg_constraint WHERE conname = 'dst_only_ref_fkey'" | grep -qx 0 ||
  nsp_fail "the foreign key of an unselected table pointing at a selected one was not dropped"

# 2. The run dies here. Post-sync alone, from the saved plan, restores every dropped object.
nsp_run_job_post() { set +e; "$NSP_HOST_SIM" post-sync --config "$1" --plan "$2" >"$3" 2>&1; local s=$?; set -e; echo $s; }
# Another key: the signature (over the appended steps too) does not verify, nothing runs.
status=$(NEOSYNC_PLAN_KEY=another-key-of-enough-length nsp_run_job_post "$dir/strip.json" "$dir/plan.bin" "$dir/post-badkey.log")
[[ $status -ne 0 ]] && grep -qi "signature" "$dir/post-badkey.log" ||
  { cat "$dir/post-badkey.log" >&2; nsp_fail "post-sync with another plan key: exit $status"; }
status=$(nsp_run_job_post "$dir/strip.json" "$dir/plan.bin" "$dir/post.log")
[[ $status -eq 0 ]] || { cat "$dir/post.log" >&2; nsp_fail "post-sync after strip exited $status"; }
unset NEOSYNC_PLAN_KEY
snapshot_objects "$dst" >"$dir/objects.after"
nsp_assert_same "$dir/objects.before" "$dir/objects.after" "keys, indexes and triggers before strip and after post-sync"

# 3. Schema parity with the source (the destination's own table and index aside) and the
# source's rows, not the old ones plus new ones.
nsp_psql "$dst" -c "DROP TABLE public.dst_only; DROP INDEX ${parent%%.*}.dst_only_idx;" >/dev/null
nsp_assert_parity "$src" "$dst" "strip reload"

# 4. A whole recurring run (run, not separate phases) ends the same way.
nsp_psql "$dst" -c "CREATE INDEX dst_only_idx ON $parent ($parent_key DESC);" >/dev/null
nsp_run_job "$dir/strip.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "recurring strip run failed"; }
nsp_query "$dst" "SELECT count(*) FROM pg_indexes WHERE indexname = 'dst_only_idx'" | grep -qx 1 ||
  nsp_fail "the destination's own index was not restored"
nsp_psql "$dst" -c "DROP INDEX ${parent%%.*}.dst_only_idx;" >/dev/null
nsp_assert_parity "$src" "$dst" "second strip reload"

#!/usr/bin/env bash
# Subset rows: child rows whose parent rows were not copied (tests/fixtures/jobs/fk_subset.sql: 3
# rows of sub.order_line reference missing sub.orders, their FK marked valid in the source). Each
# options.fkMode gives its documented outcome, and nothing else fails:
#  - validate (default): the FK's VALIDATE step fails with 23503 (reported, counted in the summary);
#    the key stays on the destination NOT VALID; exit status 2;
#  - not_valid_on_violation: the FK exists NOT VALID (pg_constraint.convalidated false), its validate
#    step is reported skipped "kept NOT VALID" with the count of violating rows (3: NULL keys do not
#    violate); exit status 2;
#  - skip: no foreign key on the destination, every FK step reported skipped; exit status 2.
# In all three: the rows are all copied, every other step applies (keys, indexes, the valid FKs).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)
src=$(nsp_createdb fk_src)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/jobs/fk_subset.sql" >/dev/null
[[ $(nsp_query "$src" "SELECT convalidated FROM pg_constraint WHERE conname = 'order_line_order_id_fkey'") == t ]] ||
  nsp_fail "fixture: the FK should be marked valid in the source"

fk_state() { # DST CONNAME -> "absent" | "valid" | "not valid"
  nsp_query "$1" "SELECT coalesce((SELECT CASE WHEN convalidated THEN 'valid' ELSE 'not valid' END
                    FROM pg_constraint WHERE conname = '$2' AND contype = 'f'), 'absent')"
}

other_steps_fine() { # MODE LOG: no failed/skipped/conflict line other than the FK's
  local others
  others=$(grep -E '^    (failed|skipped|conflict) ' "$2" | grep -v 'FOREIGN_KEY sub\.order_line\.order_line_order_id_fkey' || true)
  if [[ $1 == skip ]]; then
    # FK steps: skipped by the option, their VALIDATE steps as depending on a skipped step.
    others=$(printf '%s\n' "$others" | grep -vE '^    skipped +FOREIGN_KEY ' || true)
  fi
  [[ -z $others ]] || { cat "$2" >&2; nsp_fail "fkMode $1: other steps failed or were skipped: $others"; }
  grep -qE '^  [0-9]+ tables \(from the pre-sync plan\), 0 failed' "$2" || nsp_fail "fkMode $1: not every table copied"
  [[ $(nsp_query "$3" "SELECT count(*) FROM sub.order_line") -eq 305 ]] || nsp_fail "fkMode $1: rows missing"
  local idx
  for idx in customer_pkey orders_pkey order_line_pkey order_line_order_id_idx; do
    [[ $(nsp_query "$3" "SELECT to_regclass('sub.$idx') IS NOT NULL") == t ]] || nsp_fail "fkMode $1: sub.$idx missing"
  done
}

run_mode() { # MODE OPTIONS -> DST URL in $dst, log in $log
  dst=$(nsp_createdb "fk_$1")
  nsp_job_config "$dir/$1.json" "$src" "$dst" "$2"
  nsp_run_job "$dir/$1.json"
  log=$NSP_JOB_LOG
  cat "$log" >&2
  [[ $NSP_JOB_STATUS -eq 2 ]] || nsp_fail "fkMode $1: exit status $NSP_JOB_STATUS, expected 2"
}

# validate (the default: no option given)
run_mode validate '{}'
grep -qE '^    failed +FOREIGN_KEY sub\.order_line\.order_line_order_id_fkey validate \[23503\]: insert or update on table "order_line" violates foreign key constraint "order_line_order_id_fkey"' "$log" ||
  nsp_fail "validate: the validate step did not fail with 23503 and PostgreSQL's message"
grep -qE '^  schema: [0-9]+ applied, 1 failed, 0 skipped, 0 unchanged, 0 conflicts' "$log" ||
  nsp_fail "validate: the post-sync summary does not count exactly the one failure"
[[ $(fk_state "$dst" order_line_order_id_fkey) == "not valid" ]] || nsp_fail "validate: the FK should be there NOT VALID after the failed VALIDATE"
[[ $(fk_state "$dst" orders_customer_id_fkey) == valid ]] || nsp_fail "validate: the consistent FK is not valid"
other_steps_fine validate "$log" "$dst"

# not_valid_on_violation
run_mode not_valid '{"fkMode": "not_valid_on_violation"}'
grep -qE '^    skipped +FOREIGN_KEY sub\.order_line\.order_line_order_id_fkey validate( \[23503\])?: kept NOT VALID .*\(3 violating rows\)$' "$log" ||
  nsp_fail "not_valid_on_violation: the validate step is not reported skipped, kept NOT VALID, with 3 violating rows"
grep -qE '^  schema: [0-9]+ applied, 0 failed, 1 skipped, 0 unchanged, 0 conflicts' "$log" ||
  nsp_fail "not_valid_on_violation: the post-sync summary is not 0 failed, 1 skipped"
[[ $(fk_state "$dst" order_line_order_id_fkey) == "not valid" ]] || nsp_fail "not_valid_on_violation: the FK is not there NOT VALID"
[[ $(fk_state "$dst" orders_customer_id_fkey) == valid ]] || nsp_fail "not_valid_on_violation: the consistent FK is not validated"
# The FK is enforced for new rows, though NOT VALID.
if nsp_psql "$dst" -c "INSERT INTO sub.order_line VALUES (999, 4242, 1)" >/dev/null 2>&1; then
  nsp_fail "not_valid_on_violation: the NOT VALID FK does not check new rows"
fi
other_steps_fine not_valid_on_violation "$log" "$dst"

# skip
run_mode skip '{"fkMode": "skip"}'
[[ $(nsp_query "$dst" "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'sub'::regnamespace") -eq 0 ]] ||
  nsp_fail "skip: foreign keys exist on the destination"
n_fk_src=$(nsp_query "$src" "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'sub'::regnamespace")
n_skipped=$(grep -cE '^    skipped +FOREIGN_KEY sub\.[a-z_]+\.[a-z_]+( validate)?: ' "$log" || true)
n_skipped_add=$(grep -cE '^    skipped +FOREIGN_KEY sub\.[a-z_]+\.[a-z_]+: foreign keys are not created \(options\.fkMode is skip\)' "$log" || true)
[[ $n_skipped_add -eq $n_fk_src ]] || nsp_fail "skip: $n_skipped_add of $n_fk_src foreign keys reported skipped with the option as reason"
grep -qE '^  schema: [0-9]+ applied, 0 failed, '"$n_skipped"' skipped, 0 unchanged, 0 conflicts' "$log" ||
  nsp_fail "skip: the summary does not count exactly the FK steps as skipped ($n_skipped)"
grep -q 'failed  *FOREIGN_KEY' "$log" && nsp_fail "skip: an FK step failed"
other_steps_fine skip "$log" "$dst"
exit 0

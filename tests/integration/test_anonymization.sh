#!/usr/bin/env bash
# Anonymization breaks a unique key and a CHECK while the rows are loaded.
# The phases run as separate commands, as a worker fleet runs them:
#   pre-sync --plan-out PLAN --hydrate    bare tables, then the rows
#   (the "anonymizer": UPDATEs on the destination that duplicate an email and put an age out of range)
#   post-sync --plan PLAN
# Outcome asserted:
#  - the unique index step fails with 23505, its message is PostgreSQL's, naming the duplicated key;
#  - the CHECK (deferred by options.defer check_constraints) fails with 23514;
#  - dependents are skipped naming what they need: the UNIQUE constraint (ADD CONSTRAINT ... USING
#    INDEX) names the failed index, the FK referencing that key names the constraint;
#  - everything independent applies: primary keys, other indexes, the FK to the primary key, the
#    other table's keys, the view;
#  - the exit status is 2 and the summary counts the failures by SQLSTATE (JSON report).
# On the repository's own fixture tests/fixtures/jobs/anonymization.sql.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)
src=$(nsp_createdb anon_src)
dst=$(nsp_createdb anon_dst)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/jobs/anonymization.sql" >/dev/null
nsp_job_config "$dir/job.json" "$src" "$dst" '{"defer": ["check_constraints"], "parallelism": 2}'

set +e
"$NSP_HOST_SIM" pre-sync --config "$dir/job.json" --plan-out "$dir/plan.bin" --hydrate >"$dir/pre.log" 2>&1
rc=$?
set -e
[[ $rc -eq 0 ]] || { cat "$dir/pre.log" >&2; nsp_fail "pre-sync --hydrate exited $rc"; }
[[ -s $dir/plan.bin ]] || nsp_fail "pre-sync did not save the plan"
[[ $(nsp_query "$dst" "SELECT count(*) FROM anon.person") -eq 200 ]] || nsp_fail "rows not loaded"
# Bare tables: no unique index and no CHECK yet, so the anonymizer's values are accepted.
nsp_query "$dst" "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
                  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'anon'" | grep -qx 0 ||
  nsp_fail "pre-sync created indexes"

# The anonymizer.
nsp_psql "$dst" -c "UPDATE anon.person SET email = 'anon@example.com' WHERE id IN (7, 8)" \
                -c "UPDATE anon.person SET age = 999 WHERE id = 9" ||
  nsp_fail "the anonymizer's UPDATEs failed on the bare tables"

set +e
"$NSP_HOST_SIM" post-sync --config "$dir/job.json" --plan "$dir/plan.bin" >"$dir/post.log" 2>"$dir/post.err"
rc=$?
set -e
cat "$dir/post.log" >&2
[[ $rc -eq 2 ]] || { cat "$dir/post.err" >&2; nsp_fail "post-sync exited $rc, expected 2 (failed steps)"; }

expect_line() { # REGEX WHAT
  grep -qE "$1" "$dir/post.log" || nsp_fail "report: $2 (no line matching: $1)"
}
expect_line '^    failed +INDEX anon\.person\.person_email_key index \[23505\]: could not create unique index "person_email_key" \(Key \(email\)=\(anon@example\.com\) is duplicated\.\)' \
  "the unique index fails with 23505 and PostgreSQL's message naming the duplicated key"
expect_line '^    failed +CHECK_CONSTRAINT anon\.person\.person_age_check \[23514\]: check constraint "person_age_check" of relation "person" is violated' \
  "the deferred CHECK fails with 23514"
expect_line '^    skipped +UNIQUE_CONSTRAINT anon\.person\.person_email_key: depends on step [0-9]+ \(anon\.person\.person_email_key index\), which failed' \
  "ADD CONSTRAINT USING INDEX is skipped naming the failed index"
expect_line '^    skipped +FOREIGN_KEY anon\.login\.login_email_fkey: depends on step [0-9]+ \(anon\.person\.person_email_key\)' \
  "the FK referencing the unique key is skipped naming it"
# Nothing else failed or was skipped.
n_bad=$(grep -cE '^    (failed|skipped|conflict) ' "$dir/post.log" || true)
n_fk_validate=$(grep -cE '^    skipped +FOREIGN_KEY anon\.login\.login_email_fkey validate:' "$dir/post.log" || true)
[[ $n_bad -eq $((4 + n_fk_validate)) ]] || nsp_fail "other steps failed or were skipped ($n_bad lines)"
expect_line '^  schema: [0-9]+ applied, 2 failed, [0-9]+ skipped, 0 unchanged, 0 conflicts' "summary: 2 failed"

# The destination: what is independent of the broken key and check exists.
has() { # SQL WHAT
  [[ $(nsp_query "$dst" "$1") == t ]] || nsp_fail "destination: $2"
}
has "SELECT to_regclass('anon.person_pkey') IS NOT NULL" "anon.person_pkey missing"
has "SELECT to_regclass('anon.person_name_idx') IS NOT NULL" "anon.person_name_idx missing"
has "SELECT to_regclass('anon.login_pkey') IS NOT NULL" "anon.login_pkey missing"
has "SELECT to_regclass('anon.login_at_idx') IS NOT NULL" "anon.login_at_idx missing"
has "SELECT to_regclass('anon.city_name_key') IS NOT NULL" "anon.city_name_key missing"
has "SELECT to_regclass('anon.person_names') IS NOT NULL" "the view anon.person_names missing"
has "SELECT convalidated FROM pg_constraint WHERE conname = 'login_person_id_fkey'" \
  "the FK to the primary key (login_person_id_fkey) is not there, validated"
has "SELECT to_regclass('anon.person_email_key') IS NULL" "the unique index exists although its build failed"
has "SELECT NOT EXISTS (SELECT FROM pg_constraint WHERE conname IN ('login_email_fkey', 'person_email_key', 'person_age_check'))" \
  "a constraint that failed or was skipped exists"

# Again, with the JSON report: the summary counts the failures by SQLSTATE (the data still has the
# duplicate and the out-of-range age, so the same two steps fail again). Whether the rest of a
# re-run is reported `unchanged` is test_rerun.sh's subject.
set +e
"$NSP_HOST_SIM" post-sync --config "$dir/job.json" --plan "$dir/plan.bin" --json >"$dir/post2.json" 2>"$dir/post2.err"
rc=$?
set -e
[[ $rc -eq 2 ]] || { cat "$dir/post2.err" >&2; nsp_fail "second post-sync exited $rc, expected 2"; }
tr -d ' \n' <"$dir/post2.json" >"$dir/post2.flat"
grep -qE '"failuresBySqlstate":\{[^}]*"23505":1[,}]' "$dir/post2.flat" ||
  nsp_fail "the summary does not count one 23505 failure: $(grep -o '"failuresBySqlstate":{[^}]*}' "$dir/post2.flat")"
grep -qE '"failuresBySqlstate":\{[^}]*"23514":1[,}]' "$dir/post2.flat" ||
  nsp_fail "the summary does not count one 23514 failure: $(grep -o '"failuresBySqlstate":{[^}]*}' "$dir/post2.flat")"
exit 0

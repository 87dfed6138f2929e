#!/usr/bin/env bash
# SchemaPluginOptions (tests/fixtures/jobs/options.sql):
#  - comments: false  -> no comment on the destination; otherwise the schema equals the source's
#    (pg_dump --no-comments); comments on (the default) -> the comments are there;
#  - owners + acls with a role map: the mapped owner owns the table; a grant to a role mapped to a
#    role that does not exist on the destination is reported (naming the role), not fatal: the job
#    ends with exit status 2, rows copied, every other step applied;
#  - defer check_constraints / domain_checks: after pre-sync the bare table has no CHECK and the
#    domain no CHECK (values an anonymizer writes are accepted); after post-sync both exist,
#    validated; without the option both exist right after pre-sync (NOT NULL always stays).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)
src=$(nsp_createdb opt_src)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/jobs/options.sql" >/dev/null

n_comments() {
  nsp_query "$1" "SELECT count(*) FROM pg_description d WHERE (d.classoid = 'pg_class'::regclass AND d.objoid = 'opt.item'::regclass)
                  OR (d.classoid = 'pg_namespace'::regclass AND d.objoid = 'opt'::regnamespace)"
}

# comments off
dst=$(nsp_createdb opt_nocomments)
nsp_job_config "$dir/nocomments.json" "$src" "$dst" '{"comments": false}'
nsp_run_job "$dir/nocomments.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "comments off: exit status $NSP_JOB_STATUS"; }
[[ $(n_comments "$dst") -eq 0 ]] || nsp_fail "comments off: comments were copied"
nsp_schema_dump "$src" --no-comments --no-owner --no-acl >"$dir/src.nc"
nsp_schema_dump "$dst" --no-comments --no-owner --no-acl >"$dir/dst.nc"
nsp_assert_same "$dir/src.nc" "$dir/dst.nc" "comments off: schema dumps without comments"

# comments on (default)
dst=$(nsp_createdb opt_comments)
nsp_job_config "$dir/comments.json" "$src" "$dst" '{}'
nsp_run_job "$dir/comments.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "comments on: exit status $NSP_JOB_STATUS"; }
[[ $(n_comments "$dst") -eq $(n_comments "$src") ]] || nsp_fail "comments on: comments missing"
[[ $(nsp_query "$dst" "SELECT col_description('opt.item'::regclass, 2)") == "how many" ]] || nsp_fail "comments on: column comment missing"

# owners and ACLs with a role map, one destination role missing
dst=$(nsp_createdb opt_owners)
nsp_job_config "$dir/owners.json" "$src" "$dst" '{"owners": true, "acls": true, "roleMap": [
   {"sourceRole": "nsp_opt_owner", "destinationRole": "nsp_opt_owner_dst"},
   {"sourceRole": "nsp_opt_reader", "destinationRole": "nsp_opt_no_such_role"}]}'
nsp_run_job "$dir/owners.json"
cat "$NSP_JOB_LOG" >&2
[[ $NSP_JOB_STATUS -eq 2 ]] || nsp_fail "owners: exit status $NSP_JOB_STATUS, expected 2 (a missing role is reported, not fatal)"
[[ $(nsp_query "$dst" "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'opt.item'::regclass") == nsp_opt_owner_dst ]] ||
  nsp_fail "owners: opt.item is not owned by the mapped role"
grep -qE '^    (failed|skipped) +ACL .*nsp_opt_no_such_role' "$NSP_JOB_LOG" ||
  nsp_fail "owners: the grant to the missing role is not reported naming it"
others=$(grep -E '^    (failed|skipped|conflict) ' "$NSP_JOB_LOG" | grep -v 'nsp_opt_no_such_role' || true)
[[ -z $others ]] || nsp_fail "owners: other steps failed or were skipped: $others"
[[ $(nsp_query "$dst" "SELECT count(*) FROM opt.item") -eq 100 ]] || nsp_fail "owners: rows not copied"

# defer CHECK constraints and domain checks
check_state() { # DST -> "TABLECHECK DOMAINCHECK" each: absent | valid | not valid
  nsp_query "$1" "SELECT coalesce((SELECT CASE WHEN convalidated THEN 'valid' ELSE 'notvalid' END FROM pg_constraint
                                    WHERE conname = 'item_price_check'), 'absent') || ' ' ||
                         coalesce((SELECT CASE WHEN convalidated THEN 'valid' ELSE 'notvalid' END FROM pg_constraint
                                    WHERE conname = 'posint_positive'), 'absent')"
}
for mode in default deferred; do
  dst=$(nsp_createdb "opt_$mode")
  opts='{}'
  [[ $mode == deferred ]] && opts='{"defer": ["check_constraints", "domain_checks"]}'
  nsp_job_config "$dir/$mode.json" "$src" "$dst" "$opts"
  set +e
  "$NSP_HOST_SIM" pre-sync --config "$dir/$mode.json" --plan-out "$dir/$mode.bin" --hydrate >"$dir/$mode.pre.log" 2>&1
  rc=$?
  set -e
  [[ $rc -eq 0 ]] || { cat "$dir/$mode.pre.log" >&2; nsp_fail "$mode: pre-sync exited $rc"; }
  state=$(check_state "$dst")
  if [[ $mode == default ]]; then
    [[ $state == "valid valid" ]] || nsp_fail "default: CHECKs after pre-sync are '$state', expected both there"
  else
    [[ $state == "absent absent" ]] || nsp_fail "deferred: CHECKs after pre-sync are '$state', expected none"
    [[ $(nsp_query "$dst" "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'opt.item'::regclass AND attname = 'qty'") == t ]] ||
      nsp_fail "deferred: NOT NULL did not stay with the table"
    # What an anonymizer may write while the rows arrive.
    nsp_psql "$dst" -c "INSERT INTO opt.item VALUES (1000, -1, -5)" -c "DELETE FROM opt.item WHERE id = 1000" ||
      nsp_fail "deferred: the bare table refused values the CHECKs would reject"
  fi
  set +e
  "$NSP_HOST_SIM" post-sync --config "$dir/$mode.json" --plan "$dir/$mode.bin" >"$dir/$mode.post.log" 2>&1
  rc=$?
  set -e
  [[ $rc -eq 0 ]] || { cat "$dir/$mode.post.log" >&2; nsp_fail "$mode: post-sync exited $rc"; }
  [[ $(check_state "$dst") == "valid valid" ]] || nsp_fail "$mode: CHECKs after post-sync are '$(check_state "$dst")'"
  nsp_schema_dump "$src" --no-owner --no-acl >"$dir/src.schema"
  nsp_schema_dump "$dst" --no-owner --no-acl >"$dir/$mode.schema"
  nsp_assert_same "$dir/src.schema" "$dir/$mode.schema" "$mode: schema dumps"
done

#!/usr/bin/env bash
# The source catalog is read with a number of queries that does not grow with the schema:
# count them (nsp_plan_dump reports the plugin's own count) on 10 and on 1000 tables, each
# table with a key, an index, a foreign key, a check, a trigger and a comment.
source "$(dirname "$0")/lib.sh"

dump="$NSP_BUILD_DIR/tests/nsp_plan_dump"
[[ -x $dump ]] || nsp_fail "missing $dump"
dir=$(nsp_tmpdir)

queries_for() {
  local n=$1 url
  url=$(nsp_createdb "catalog_q$n")
  nsp_psql "$url" -v n="$n" >/dev/null <"$(dirname "$0")/catalog_queries_schema.sql"
  "$dump" "$url" "$dir/pre$n.sql" "$dir/post$n.sql" 2>"$dir/out$n" || { cat "$dir/out$n" >&2; nsp_fail "plan dump failed"; }
  sed -n 's/.* \([0-9][0-9]*\) catalog queries.*/\1/p' "$dir/out$n"
}

q10=$(queries_for 10)
q1000=$(queries_for 1000)
_nsp_log "catalog queries: $q10 for 10 tables, $q1000 for 1000 tables"
[[ -n $q10 && -n $q1000 ]] || nsp_fail "no query count reported"
[[ $q10 -eq $q1000 ]] || nsp_fail "query count grows with the schema: $q10 vs $q1000"
# The plan really covers the 1000 tables (one CREATE TABLE each).
[[ $(grep -c '^CREATE TABLE' "$dir/pre1000.sql") -eq 1000 ]] || nsp_fail "plan for 1000 tables lacks tables"

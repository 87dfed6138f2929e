#!/usr/bin/env bash
# The source catalog is read with a number of queries that does not grow with the schema, on
# every source major (issue 13; integration.catalog_queries checks 15 with 10 and 1000 tables):
# on 13, 17 and 18 (and 15 again beside them), the count for 10 tables equals the count for 400,
# each table with a key, an index, a foreign key, a check, a trigger and a comment, and the plan
# for 400 tables has its 400 CREATE TABLEs. Servers of 13, 17 and 18 run from cached Debian roots
# (scripts/pg-major.sh); skipped, loudly, only when this machine cannot make them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/major_lib.sh"

dump="$NSP_BUILD_DIR/tests/nsp_plan_dump"
[[ -x $dump ]] || nsp_fail "missing $dump"
dir=$(nsp_tmpdir)

queries_for() { # MAJOR SERVER N -> the plugin's query count
  local major=$1 server=$2 n=$3 url
  url=$(nsp_major_createdb "$server" "catalog_q${major}_$n")
  nsp_major_tool "$major" psql -X -q -v ON_ERROR_STOP=1 -v n="$n" -d "$url" >/dev/null <"$(dirname "$0")/catalog_queries_schema.sql"
  "$dump" "$url" "$dir/pre$major-$n.sql" "$dir/post$major-$n.sql" 2>"$dir/out$major-$n" ||
    { cat "$dir/out$major-$n" >&2; nsp_fail "plan dump failed on $major"; }
  sed -n 's/.* \([0-9][0-9]*\) catalog queries.*/\1/p' "$dir/out$major-$n"
}

for major in 13 15 17 18; do
  server=$(nsp_major_server "$major")
  q10=$(queries_for "$major" "$server" 10)
  q400=$(queries_for "$major" "$server" 400)
  _nsp_log "PostgreSQL $major: $q10 catalog queries for 10 tables, $q400 for 400"
  [[ -n $q10 && -n $q400 ]] || nsp_fail "no query count reported on $major"
  [[ $q10 -eq $q400 ]] || nsp_fail "query count grows with the schema on $major: $q10 vs $q400"
  [[ $(grep -c '^CREATE TABLE' "$dir/pre$major-400.sql") -eq 400 ]] ||
    nsp_fail "the plan for 400 tables on $major lacks tables"
done
_nsp_log "ok: the catalog query count is constant in the number of tables on 13, 15, 17 and 18"

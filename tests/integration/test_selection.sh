#!/usr/bin/env bash
# Table selection (job `tables` / `excludeTables` patterns with * and ?):
#  - Pagila (shared fixtures), tables public.film* + language + actor, excluding film_category:
#    the destination has exactly those tables; `pg_dump -s -t` of them is identical on both sides
#    except for objects the report names as skipped; rows and sequences are identical for them;
#    every view that reads a selected table but is not created is reported skipped with the
#    unselected table it needs; nothing failed.
#  - the demo fixture (own), tables shop.* excluding shop.customer?: the FK to the excluded table is
#    reported skipped naming it; the matview over the excluded table too; the audit schema's
#    tables are not created; parity on the selected tables as above.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)

# Source views and matviews that read (directly or through other views) one of the tables
# given as a SQL list of qualified names, e.g. 'public.film','public.actor'.
views_reading() { # URL LIST
  nsp_query "$1" "WITH RECURSIVE direct(v, rel) AS (
      SELECT DISTINCT r.ev_class, d.refobjid FROM pg_rewrite r
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
         AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class),
    closure(v, rel) AS (SELECT v, rel FROM direct UNION SELECT c.v, d.rel FROM closure c JOIN direct d ON d.v = c.rel)
    SELECT DISTINCT c.v::regclass::text FROM closure c JOIN pg_class k ON k.oid = c.v AND k.relkind IN ('v', 'm')
     WHERE c.rel::regclass::text IN ($2) ORDER BY 1"
}

tables_of() { # URL: user tables, qualified
  nsp_query "$1" "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  ORDER BY 1"
}

# check_selection NAME SRC DST LOG "schema.table ..." : the checks listed at the top.
check_selection() {
  local name=$1 src=$2 dst=$3 log=$4 tables=$5 t args=() list=""
  for t in $tables; do args+=(-t "$t"); list+="${list:+,}'$t'"; done
  # Exactly the selected tables.
  [[ $(tables_of "$dst" | tr '\n' ' ') == "$(printf '%s\n' $tables | sort | tr '\n' ' ')" ]] ||
    nsp_fail "$name: the destination's tables are [$(tables_of "$dst" | tr '\n' ' ')], expected [$tables]"
  grep -qE '^    failed ' "$log" && { cat "$log" >&2; nsp_fail "$name: steps failed"; }
  grep -qE '^    conflict ' "$log" && { cat "$log" >&2; nsp_fail "$name: conflicts"; }
  # Every skipped step names its reason.
  local bad
  bad=$(grep -E '^    skipped ' "$log" | grep -vE ': (needs table [^ ]+, which the job does not select|depends on step [0-9]+ \(.*\), which was skipped)$' || true)
  [[ -z $bad ]] || nsp_fail "$name: skipped steps without a selection reason: $bad"

  # Schema of the selected tables: pg_dump -t on both sides. A difference must be a skipped object.
  nsp_schema_dump "$src" --no-owner --no-acl "${args[@]}" >"$dir/$name.src.schema"
  nsp_schema_dump "$dst" --no-owner --no-acl "${args[@]}" >"$dir/$name.dst.schema"
  diff "$dir/$name.src.schema" "$dir/$name.dst.schema" >"$dir/$name.diff" || true
  if grep -q '^>' "$dir/$name.diff"; then
    nsp_fail "$name: the destination has schema the source's tables do not: $(grep '^>' "$dir/$name.diff" | head -5)"
  fi
  local line obj
  while IFS= read -r line; do
    # Only constraint, index and trigger lines can be missing because of a skip; find the name.
    obj=$(printf '%s\n' "$line" | sed -nE 's/.*(ADD CONSTRAINT|CREATE (UNIQUE )?INDEX|CREATE TRIGGER|CREATE RULE|CREATE POLICY) "?([A-Za-z0-9_]+)"?.*/\3/p')
    [[ -z $obj ]] && { printf '%s\n' "$line" | grep -qE '^< +(ADD CONSTRAINT|ALTER TABLE|FOR EACH|FOREIGN KEY)' && continue; }
    [[ -n $obj ]] || nsp_fail "$name: source schema missing on the destination, not explained by a skip: $line"
    grep -qE "^    skipped +[A-Z_]+ [^ ]*\\.$obj: " "$log" ||
      nsp_fail "$name: $obj is missing on the destination and not reported skipped"
  done < <(grep '^<' "$dir/$name.diff" || true)
  _nsp_log "ok: $name: pg_dump -s -t of the selected tables equal up to $(grep -c '^<' "$dir/$name.diff" || true) line(s) of skipped objects"

  # Data: the selected tables' rows, and every sequence on the destination, as in the source.
  nsp_data_checksums "$src" >"$dir/$name.src.data"
  nsp_data_checksums "$dst" >"$dir/$name.dst.data"
  for t in $tables; do
    grep -qxF "$(grep "^table $t " "$dir/$name.src.data")" "$dir/$name.dst.data" ||
      nsp_fail "$name: rows of $t differ"
  done
  while IFS= read -r line; do
    grep -qxF "$line" "$dir/$name.src.data" || nsp_fail "$name: sequence state differs: $line"
  done < <(grep '^sequence ' "$dir/$name.dst.data")
  _nsp_log "ok: $name: rows and sequence states of the selected tables equal"

  # Views reading a selected table: created, or reported skipped with the table they need.
  local v
  for v in $(views_reading "$src" "$list"); do
    [[ $(nsp_query "$dst" "SELECT to_regclass('$v') IS NOT NULL") == t ]] && continue
    grep -qE "^    skipped +(VIEW|MATERIALIZED_VIEW) $v: needs table [^ ]+, which the job does not select" "$log" ||
      nsp_fail "$name: view $v reads a selected table, is not created and not reported skipped with the table it needs"
  done
}

# --- the demo fixture: shop.* minus shop.customer? -------------------------------------------
demo=$(nsp_createdb sel_demo_src)
nsp_psql "$demo" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null
dst=$(nsp_createdb sel_demo_dst)
nsp_job_config "$dir/demo.json" "$demo" "$dst" '{}' \
  '"tables": [{"schema": "shop", "table": "*"}], "excludeTables": [{"schema": "shop", "table": "customer?"}]'
nsp_run_job "$dir/demo.json"
cat "$NSP_JOB_LOG" >&2
[[ $NSP_JOB_STATUS -eq 2 ]] || nsp_fail "demo: exit status $NSP_JOB_STATUS, expected 2 (skipped steps)"
grep -qE '^    skipped +FOREIGN_KEY shop\.orders\.orders_customer_id_fkey: needs table shop\.customers, which the job does not select$' "$NSP_JOB_LOG" ||
  nsp_fail "demo: the FK to the excluded shop.customers is not reported skipped naming it"
[[ $(nsp_query "$dst" "SELECT count(*) FROM pg_namespace WHERE nspname = 'audit'") -eq 0 ||
   $(nsp_query "$dst" "SELECT count(*) FROM pg_class WHERE relnamespace = 'audit'::regnamespace") -eq 0 ]] ||
  nsp_fail "demo: objects of the unselected audit schema were created"
check_selection demo "$demo" "$dst" "$NSP_JOB_LOG" "shop.order_items shop.orders shop.products"

# --- Pagila ----------------------------------------------------------------------------------
if [[ ! -d $NSP_SHARED_FIXTURES/pagila ]]; then
  _nsp_log "shared fixtures absent: Pagila part not run"
  exit 0
fi
pagila=$(nsp_createdb sel_pagila_src)
nsp_psql "$pagila" -f "$NSP_SHARED_FIXTURES/pagila/pagila-schema.sql" >/dev/null
nsp_psql "$pagila" -f "$NSP_SOURCE_DIR/tests/fixtures/pagila/pagila-data.sql" >/dev/null
dst=$(nsp_createdb sel_pagila_dst)
nsp_job_config "$dir/pagila.json" "$pagila" "$dst" '{}' \
  '"tables": [{"schema": "public", "table": "film*"}, {"schema": "public", "table": "language"}, {"schema": "public", "table": "actor"}], "excludeTables": [{"schema": "public", "table": "film_category"}]'
nsp_run_job "$dir/pagila.json"
cat "$NSP_JOB_LOG" >&2
[[ $NSP_JOB_STATUS -eq 0 || $NSP_JOB_STATUS -eq 2 ]] || nsp_fail "pagila: exit status $NSP_JOB_STATUS"
check_selection pagila "$pagila" "$dst" "$NSP_JOB_LOG" "public.actor public.film public.film_actor public.language"

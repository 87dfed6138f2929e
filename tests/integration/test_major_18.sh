#!/usr/bin/env bash
# PostgreSQL 18 as a source (issue 13): a whole job 18 -> 18 on the fixture of what 18 added to
# the catalog (tests/fixtures/pg18/source.sql: named, NO INHERIT and NOT VALID NOT NULL
# constraints, virtual generated columns, NOT ENFORCED checks and foreign keys, temporal keys),
# then schema parity by pg_dump 18 (run from the 18 root) and data parity; the phases of the new
# objects in the plan; then the feature fixtures (every other object kind) 18 -> 18.
# The 18 server runs in a cached Debian sid root (scripts/pg-major.sh); skipped, loudly, only
# when this machine cannot make one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"
source "$(dirname "$0")/major_lib.sh"

server=$(nsp_major_server 18)
[[ $(nsp_query "$server" 'SHOW server_version_num') == 18* ]] || nsp_fail "not a PostgreSQL 18 server: $server"
src=$(nsp_major_createdb "$server" pg18_src)
dst=$(nsp_major_createdb "$server" pg18_dst)
dir=$(nsp_tmpdir)
nsp_major_tool 18 psql -X -q -v ON_ERROR_STOP=1 -d "$src" \
  <"$NSP_SOURCE_DIR/tests/fixtures/pg18/source.sql" >/dev/null 2>"$dir/load.err" ||
  { cat "$dir/load.err" >&2; nsp_fail "the 18 fixture does not load"; }

nsp_job_config "$dir/job.json" "$src" "$dst" '{"parallelism": 2}'
nsp_run_job "$dir/job.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "the 18 -> 18 job did not apply every step"; }

nsp_major_assert_parity 18 "$src" "$dst" "18 -> 18"
nsp_major_assert_data "$src" "$dst" "18 -> 18"

# What the destination's catalog says, beyond the dump's text.
q="SELECT c.conrelid::regclass, c.conname, c.contype, c.convalidated, c.conenforced, c.conperiod,
          c.connoinherit, c.conislocal, c.coninhcount
     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE n.nspname = 'v18' ORDER BY c.conrelid::regclass::text COLLATE \"C\", c.conname COLLATE \"C\""
nsp_query "$src" "$q" >"$dir/src.con"
nsp_query "$dst" "$q" >"$dir/dst.con"
nsp_assert_same "$dir/src.con" "$dir/dst.con" "18 -> 18: pg_constraint rows (names, flags, inheritance)"
q="SELECT attrelid::regclass, attname, attgenerated, attnotnull FROM pg_attribute
    WHERE attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'v18'::regnamespace)
      AND attnum > 0 AND NOT attisdropped ORDER BY attrelid::regclass::text COLLATE \"C\", attnum"
nsp_query "$src" "$q" >"$dir/src.att"
nsp_query "$dst" "$q" >"$dir/dst.att"
nsp_assert_same "$dir/src.att" "$dir/dst.att" "18 -> 18: columns (virtual/stored generated, NOT NULL)"

# The phases (nsp_plan_dump: the plan as SQL): the NOT VALID NOT NULL after the rows, the NOT
# ENFORCED check with the table, the temporal key added directly (not USING INDEX), the NOT
# ENFORCED foreign key in one step (nothing to validate).
"$NSP_BUILD_DIR/tests/nsp_plan_dump" "$src" "$dir/pre.sql" "$dir/post.sql" 2>"$dir/plan.err" ||
  { cat "$dir/plan.err" >&2; nsp_fail "nsp_plan_dump failed on the 18 source"; }
for nn in 'ALTER TABLE "v18"."account" ADD CONSTRAINT "account_nickname_nn" NOT NULL nickname NOT VALID;' \
          'ALTER TABLE "v18"."event" ADD CONSTRAINT "event_kind_nn" NOT NULL kind NOT VALID;' \
          'ALTER TABLE "v18"."doc" ADD CONSTRAINT "doc_body_nn" NOT NULL body NO INHERIT NOT VALID;'; do
  grep -qF "$nn" "$dir/post.sql" ||
    { cat "$dir/post.sql" >&2; nsp_fail "not a post-sync step: $nn"; }
done
grep -q '"product_price_positive" CHECK ((price > (0)::numeric)) NOT ENFORCED;' "$dir/pre.sql" ||
  { cat "$dir/pre.sql" >&2; nsp_fail "the NOT ENFORCED check is not pre-sync (it reads no row)"; }
grep -q 'ADD CONSTRAINT "room_pk" PRIMARY KEY (id, valid_at WITHOUT OVERLAPS);' "$dir/post.sql" ||
  nsp_fail "the temporal primary key is not added directly in post-sync"
grep -q 'ADD CONSTRAINT "product_category_fk" FOREIGN KEY (category_id) REFERENCES v18.category(id) NOT ENFORCED;' "$dir/post.sql" ||
  nsp_fail "the NOT ENFORCED foreign key is not one post-sync step"
grep -q 'GENERATED ALWAYS AS ((price \* (qty)::numeric)) VIRTUAL' "$dir/pre.sql" ||
  nsp_fail "the virtual generated column is not created VIRTUAL"
_nsp_log "ok: phases of the 18-only objects"

# Every other object kind on an 18 source: the feature fixtures (tests/fixtures/features) 18 -> 18.
fsrc=$(nsp_major_createdb "$server" features18_src)
fdst=$(nsp_major_createdb "$server" features18_dst)
for f in "$NSP_SOURCE_DIR"/tests/fixtures/features/*.sql; do
  nsp_major_tool 18 psql -X -q -v ON_ERROR_STOP=1 -d "$fsrc" <"$f" >/dev/null 2>"$dir/load.err" ||
    { cat "$dir/load.err" >&2; nsp_fail "fixture $f does not load on 18"; }
done
nsp_job_config "$dir/features.json" "$fsrc" "$fdst" '{"parallelism": 2}'
nsp_run_job "$dir/features.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "the features job 18 -> 18 did not apply every step"; }
nsp_major_assert_parity 18 "$fsrc" "$fdst" "features 18 -> 18"
nsp_major_assert_data "$fsrc" "$fdst" "features 18 -> 18"

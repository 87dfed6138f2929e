#!/usr/bin/env bash
# The data step alone (a job without hooks): `neosync-host-sim run` resolves the tables from the
# job's `tables`/`exclude_tables` patterns (nsp_hydrate_resolve_tables) and copies their rows with
# COPY from one source snapshot (nsp_hydrate_run). The destination schema is made here with
# pg_dump, without triggers, as pre-sync would make it bare.
#
# Checks: rows and checksums equal for every copied table, including a generated column (computed
# by the destination, not copied), an identity GENERATED ALWAYS column (source values kept), a
# range-partitioned table with a hash-sub-partitioned child and a default partition (rows land in
# the leaves), a table named with a quote, a space, upper case and a non-ASCII letter, enum arrays,
# a domain, a composite and an extension type (text COPY), built-in types only (binary COPY), a
# dropped column, inheritance (the parent's COPY does not take the child's rows), a table without
# columns, an UNLOGGED table; excluded tables, views, materialized views and extension members are
# not copied; truncate_before_insert makes a re-run idempotent; a table missing on the destination
# fails alone (exit 2, SQLSTATE 42P01 in the JSON report) while the others are copied; parallelism
# 1 and 3; no password from the URLs in any output.
source "$(dirname "$0")/lib.sh"

[[ -n ${NSP_HOST_SIM:-} && -x $NSP_HOST_SIM ]] || nsp_fail "NSP_HOST_SIM is not an executable (${NSP_HOST_SIM:-unset})"

tmp=$(nsp_tmpdir)
src=$(nsp_createdb hyd_src)
dst=$(nsp_createdb hyd_dst)
# A password in the URLs (trust authentication ignores it): it must never be printed.
secret='hyd-S3cr3t-pw'
src_pw="$src&password=$secret"
dst_pw="$dst&password=$secret"

nsp_psql "$src" <<'SQL'
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN public.posint AS int CHECK (VALUE > 0);
CREATE TYPE public.pair AS (a int, b text);
CREATE SCHEMA s1;
CREATE SCHEMA "Odd Schema";

CREATE TABLE public.big (id int PRIMARY KEY, payload text, created timestamptz DEFAULT now());
INSERT INTO public.big SELECT g, repeat(md5(g::text), 4), '2024-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 100000) g;

CREATE TABLE public.gen (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) STORED);
INSERT INTO public.gen (id, a) SELECT g, g FROM generate_series(1, 1000) g;

CREATE TABLE public.ident (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
INSERT INTO public.ident (v) SELECT 'v' || g FROM generate_series(1, 500) g;
DELETE FROM public.ident WHERE id % 7 = 0;  -- gaps: the destination must keep the source's ids

CREATE TABLE s1.parted (id int, k date, v text) PARTITION BY RANGE (k);
CREATE TABLE s1.parted_2023 PARTITION OF s1.parted FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE s1.parted_2024 PARTITION OF s1.parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
  PARTITION BY HASH (id);
CREATE TABLE s1.parted_2024_h0 PARTITION OF s1.parted_2024 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE s1.parted_2024_h1 PARTITION OF s1.parted_2024 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TABLE s1.parted_def PARTITION OF s1.parted DEFAULT;
INSERT INTO s1.parted SELECT g, '2022-06-01'::date + g % 1100, 'p' || g FROM generate_series(1, 20000) g;

CREATE TABLE "Odd Schema"."Weird ""Name"" Ünï" ("Col A" int, "select" text, "ünï" text);
INSERT INTO "Odd Schema"."Weird ""Name"" Ünï" VALUES (1, 'a''b"c\d', 'ß'), (2, E'tab\there\nnew\\line', NULL), (3, NULL, '');

CREATE TABLE public.types (id int, m public.mood, ms public.mood[], arr int[], j jsonb, ts timestamptz,
  iv interval, f float8, r real, b bytea, rc regclass, c public.citext, d public.posint, p public.pair,
  pa public.pair[], n numeric, u uuid);
INSERT INTO public.types SELECT g, (ARRAY['sad','ok','happy'])[1 + g % 3]::public.mood,
  ARRAY['ok','sad']::public.mood[], ARRAY[g, g + 1], jsonb_build_object('k', g),
  '2020-02-29 12:34:56.789+05'::timestamptz + g * interval '1 hour', interval '1 year 2 mons 3 days 04:05:06.789' * g,
  1.0 / 3 * g, 0.1::real * g, decode(md5(g::text), 'hex'), 'public.big'::regclass, 'MiXeD' || g, g,
  ROW(g, 'x' || g)::public.pair, ARRAY[ROW(g, 'y')::public.pair], 1e-20 * g, md5(g::text)::uuid
  FROM generate_series(1, 2000) g;

CREATE TABLE public.builtin_only (id int, t text, ts timestamp, f float8, n numeric, arr text[], b bool, bt bytea);
INSERT INTO public.builtin_only SELECT g, 't' || g, '2021-01-01'::timestamp + g * interval '1 second', g / 7.0,
  g * 1.5, ARRAY['a', g::text, NULL], g % 2 = 0, decode(md5(g::text), 'hex') FROM generate_series(1, 20000) g;

CREATE TABLE public.dropped (a int, b int, c text);
ALTER TABLE public.dropped DROP COLUMN b;
INSERT INTO public.dropped VALUES (1, 'one'), (2, 'two');

CREATE TABLE public.inh_parent (id int);
CREATE TABLE public.inh_child (extra int) INHERITS (public.inh_parent);
INSERT INTO public.inh_parent VALUES (1), (2);
INSERT INTO public.inh_child VALUES (10, 100);

CREATE TABLE public.nocols ();
INSERT INTO public.nocols DEFAULT VALUES;
INSERT INTO public.nocols DEFAULT VALUES;
CREATE UNLOGGED TABLE public.unlogged_t (id int);
INSERT INTO public.unlogged_t VALUES (42);
CREATE TABLE public.empty_t (id int);
-- pages but no row: only a look inside the snapshot tells it has nothing to copy
CREATE TABLE public.emptied (id int);
INSERT INTO public.emptied SELECT generate_series(1, 100);
DELETE FROM public.emptied;

CREATE TABLE public.skip_me (id int);          -- excluded by the job's exclude_tables
INSERT INTO public.skip_me VALUES (1);
CREATE TABLE public.ext_member (id int);       -- an extension's table: never copied
INSERT INTO public.ext_member VALUES (1);
CREATE VIEW public.v AS SELECT id FROM public.big;
CREATE MATERIALIZED VIEW public.mv AS SELECT id FROM public.gen;
SQL

# Destination: the source's schema without the data and without the extension member (pg_dump
# leaves extension members out; the table stays an ordinary table on the source's side only).
"$NSP_PG_DUMP" --schema-only -d "$src" | grep -v -e '^\\restrict' -e '^\\unrestrict' >"$tmp/schema.sql"
nsp_psql "$dst" -f "$tmp/schema.sql" >/dev/null
nsp_psql "$src" -c 'ALTER EXTENSION citext ADD TABLE public.ext_member'

write_job() { # FILE PARALLELISM TRUNCATE
  cat >"$1" <<EOF
{
  "jobId": "hydrate-test",
  "source":      {"postgres": {"url": "$src_pw"}},
  "destination": {"postgres": {"url": "$dst_pw"}},
  "excludeTables": [{"schema": "public", "table": "skip_*"}],
  "hydration": {"parallelism": $2, "truncateBeforeInsert": $3}
}
EOF
}

run_job() { # JOB EXPECTED_STATUS NAME
  local job=$1 want=$2 name=$3 status=0
  "$NSP_HOST_SIM" run --config "$job" --json >"$tmp/$name.json" 2>"$tmp/$name.err" || status=$?
  if grep -q -F -- "$secret" "$tmp/$name.json" "$tmp/$name.err"; then
    nsp_fail "$name: the password from the URL was printed"
  fi
  if [[ $status != "$want" ]]; then
    _nsp_log "$name stderr:"; cat "$tmp/$name.err" >&2
    _nsp_log "$name stdout:"; head -c 4000 "$tmp/$name.json" >&2
    nsp_fail "$name: exit status $status, expected $want"
  fi
  _nsp_log "ok: $name exited $status"
}

# Checksums of the tables the job copies. Sequences are left out (the data step does not set
# them; post-sync does), as are the tables it must not copy.
checksums() { # URL OUT
  nsp_data_checksums "$1" | grep '^table ' |
    grep -v -e '^table public\.skip_me ' -e '^table public\.ext_member ' >"$2"
}

checksums "$src" "$tmp/src.sums"
[[ $(wc -l <"$tmp/src.sums") -eq 17 ]] || nsp_fail "expected 17 source tables to copy: $(cat "$tmp/src.sums")"

# 1. Everything but the excluded tables, 3 at a time, into empty tables.
write_job "$tmp/job1.json" 3 false
run_job "$tmp/job1.json" 0 run1
checksums "$dst" "$tmp/dst1.sums"
nsp_assert_same "$tmp/src.sums" "$tmp/dst1.sums" "row counts and checksums after run 1 (parallelism 3)"
[[ $(nsp_query "$dst" 'SELECT count(*) FROM public.skip_me') == 0 ]] || nsp_fail "an excluded table was copied"
[[ $(nsp_query "$dst" 'SELECT count(*) FROM ONLY public.inh_parent') == 2 ]] ||
  nsp_fail "the inheritance parent's copy took its child's rows"
[[ $(nsp_query "$dst" 'SELECT count(*) FROM public.gen WHERE b <> a * 2') == 0 ]] ||
  nsp_fail "generated column wrong on the destination"
[[ $(nsp_query "$dst" "SELECT attidentity FROM pg_attribute WHERE attrelid = 'public.ident'::regclass AND attname = 'id'") == a ]] ||
  nsp_fail "the destination's identity column should still be GENERATED ALWAYS"
if command -v jq >/dev/null; then
  jq -e '.hydration.ran == true and .hydration.tablesFrom == "config"' "$tmp/run1.json" >/dev/null ||
    nsp_fail "run1: hydration not reported as run from the config"
  copied=$(jq -r '.hydration.tables[] | "\(.schema).\(.table)"' "$tmp/run1.json" | sort | tr '\n' ' ')
  want='Odd Schema.Weird "Name" Ünï public.big public.builtin_only public.dropped public.emptied public.empty_t public.gen public.ident public.inh_child public.inh_parent public.nocols public.types public.unlogged_t s1.parted_2023 s1.parted_2024_h0 s1.parted_2024_h1 s1.parted_def '
  [[ $copied == "$want" ]] || nsp_fail "run1 copied [$copied], expected [$want]"
  [[ $(jq '[.hydration.tables[] | select(.error != null)] | length' "$tmp/run1.json") == 0 ]] ||
    nsp_fail "run1 reported failed tables"
  [[ $(jq '.hydration.tables[] | select(.table == "big") | .rows' "$tmp/run1.json") == 100000 ]] ||
    nsp_fail "run1: row count of public.big not reported"
  [[ $(jq -c '[.hydration.tables[] | select(.table == "empty_t" or .table == "emptied" or .table == "unlogged_t")] | sort_by(.table) | map(.rows)' "$tmp/run1.json") == '[0,0,1]' ]] ||
    nsp_fail "run1: the empty tables (0 rows) and the one-row table not reported as such: $(jq -c '.hydration.tables' "$tmp/run1.json")"
fi

# 2. The same job again with truncate_before_insert, one table at a time: the same rows, not twice.
write_job "$tmp/job2.json" 1 true
run_job "$tmp/job2.json" 0 run2
checksums "$dst" "$tmp/dst2.sums"
nsp_assert_same "$tmp/src.sums" "$tmp/dst2.sums" "row counts and checksums after run 2 (truncate, parallelism 1)"

# 3. One table missing on the destination: it alone fails; the others are copied (exit 2).
nsp_psql "$dst" -c 'DROP TABLE public.dropped' -c 'DROP TABLE public.empty_t'
write_job "$tmp/job3.json" 2 true
run_job "$tmp/job3.json" 2 run3
checksums "$dst" "$tmp/dst3.sums"
grep -v -e '^table public\.dropped ' -e '^table public\.empty_t ' "$tmp/src.sums" >"$tmp/src3.sums"
nsp_assert_same "$tmp/src3.sums" "$tmp/dst3.sums" "checksums of the other tables after run 3"
if command -v jq >/dev/null; then
  failed=$(jq -r '.hydration.tables[] | select(.error != null) | "\(.schema).\(.table) \(.sqlstate)"' "$tmp/run3.json" | sort | tr '\n' ' ')
  [[ $failed == "public.dropped 42P01 public.empty_t 42P01 " ]] ||
    nsp_fail "run3: expected only public.dropped and public.empty_t (empty, not copied) to fail with 42P01, got [$failed]"
fi

_nsp_log "ok: hydration copied every table, consistently, and failed only where it should"

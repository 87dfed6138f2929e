#!/usr/bin/env bash
# Pre-sync at a size that does not fit the server's lock table in one transaction (default
# max_locks_per_transaction = 64): it runs in several transactions sized from the lock budget
# and succeeds; and when a later transaction fails, what the earlier ones created is removed
# again, so the destination is left as it was.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

locks=$(nsp_query "$NSP_PG_URL" "SELECT current_setting('max_locks_per_transaction')::int * current_setting('max_connections')::int")
_nsp_log "server lock table: $locks locks"
# More tables than one pre-sync transaction may hold: it takes at most a quarter of the lock
# table, about 4 locks per table. (5 000 tables, beyond the whole lock table, are benchmarked.)
tables=$(( locks / 16 + 200 ))

src=$(nsp_createdb batches_src)
nsp_psql "$src" >/dev/null <<SQL
SELECT format('CREATE TABLE public.t%s (id int PRIMARY KEY, v text DEFAULT %L); CREATE INDEX ON public.t%s (v);', i, 'x' || i, i)
FROM generate_series(1, $tables) i
\gexec
CREATE SCHEMA zz_last;
CREATE TYPE zz_last.mood AS ENUM ('happy', 'sad');
-- The domain is created by the run, so zz_last.t waits for it: on several connections, in a
-- later wave than the public tables, after their transactions committed.
CREATE DOMAIN zz_last.d AS integer;
CREATE TABLE zz_last.t (id zz_last.d, m zz_last.mood DEFAULT 'sad');
INSERT INTO public.t1 VALUES (1, 'one');
SQL
dir=$(nsp_tmpdir)

# Both executors: one connection (parallelism 1), and several (the plan is large enough).
for par in 1 4; do
  opts="{\"parallelism\": $par}"
  # 1. It fits in several transactions and succeeds, with parity.
  dst=$(nsp_createdb "batches_dst_$par")
  nsp_job_config "$dir/ok.json" "$src" "$dst" "$opts"
  nsp_run_job "$dir/ok.json"
  [[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "job failed (parallelism $par)"; }
  grep -Eq "pre-sync: [0-9]+ transactions" "$NSP_JOB_LOG" || { nsp_show_job_log; nsp_fail "pre-sync did not split into transactions (parallelism $par)"; }
  if (( par > 1 )); then
    grep -Eq "pre-sync: [0-9]+ transactions on [2-4] connections" "$NSP_JOB_LOG" || { nsp_show_job_log; nsp_fail "pre-sync did not use several connections"; }
  fi
  nsp_assert_parity "$src" "$dst" "$tables tables in batches, parallelism $par"

  # 2. A failure in the last transaction removes what the earlier ones created. The destination
  # already has schema zz_last with a type mood lacking the label 'sad': with onExisting=skip the
  # type is kept, and creating zz_last.t (DEFAULT 'sad') fails after every public table was made
  # (and committed: the destination's lock table cannot hold them in one transaction).
  dst=$(nsp_createdb "batches_fail_$par")
  nsp_psql "$dst" -c "CREATE SCHEMA zz_last; CREATE TYPE zz_last.mood AS ENUM ('happy'); CREATE TABLE public.keep_me (id int);" >/dev/null
  before=$(nsp_schema_dump "$dst" | md5sum)
  nsp_job_config "$dir/fail.json" "$src" "$dst" "{\"onExisting\": \"skip\", \"parallelism\": $par}"
  nsp_run_job "$dir/fail.json"
  [[ $NSP_JOB_STATUS -eq 1 ]] || { nsp_show_job_log; nsp_fail "expected a fatal pre-sync failure, got exit $NSP_JOB_STATUS (parallelism $par)"; }
  grep -q "22P02" "$NSP_JOB_LOG" || { nsp_show_job_log; nsp_fail "the failing step's SQLSTATE is not reported"; }
  grep -q "removed again" "$NSP_JOB_LOG" || { nsp_show_job_log; nsp_fail "the report does not say earlier transactions were undone (parallelism $par)"; }
  after=$(nsp_schema_dump "$dst" | md5sum)
  [[ $before == "$after" ]] || { nsp_schema_dump "$dst" | head -30 >&2; nsp_fail "the destination changed (parallelism $par)"; }
  left=$(nsp_query "$dst" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname ~ '^t[0-9]+$'")
  [[ $left -eq 0 ]] || nsp_fail "$left tables of the failed run are left on the destination (parallelism $par)"
  _nsp_log "ok: parallelism $par: the failed multi-transaction pre-sync left the destination as it was"
done

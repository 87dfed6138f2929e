#!/usr/bin/env bash
# The server restarted between the phases (issue 7): pre-sync (with the data step) as one command
# that saves the plan, a restart of the PostgreSQL server (pg_ctl restart: every connection is
# gone), then post-sync as another command with the saved plan, as a worker fleet runs the
# phases. The plan carries everything post-sync needs: schema and data parity afterwards. Then a
# restart *during* post-sync (an immediate stop while an index builds, and a start): post-sync
# fails cleanly (exit 1 or 2, no hang) and running it again converges to parity.
# This test has its own throwaway server (scripts/pg-throwaway.sh), since it restarts it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)
pgdir=$dir/pg
NSP_PG_QUIET=1 bash "$NSP_SOURCE_DIR/scripts/pg-throwaway.sh" start "$pgdir" >/dev/null
nsp_on_exit "NSP_PG_QUIET=1 bash '$NSP_SOURCE_DIR/scripts/pg-throwaway.sh' stop '$pgdir'"
# shellcheck disable=SC1091
source "$pgdir/env"
base="postgresql:///%s?host=$NSP_PG_HOST&port=$NSP_PG_PORT&user=postgres"
# shellcheck disable=SC2059
src=$(printf "$base" src); dst=$(printf "$base" dst); dst2=$(printf "$base" dst2)
# The throwaway server turns durability off (nothing in it must survive), but this test crashes
# it (an immediate stop) and expects the committed rows of the data step to be there after: a
# real server's commits are durable, so make these too (the crash is of the server, not of the
# machine: fsync may stay off).
nsp_psql "$NSP_PG_URL" -c "ALTER SYSTEM SET synchronous_commit = on" -c "SELECT pg_reload_conf()" >/dev/null
nsp_psql "$NSP_PG_URL" -c "CREATE DATABASE src" -c "CREATE DATABASE dst" -c "CREATE DATABASE dst2" >/dev/null
for f in "$NSP_SOURCE_DIR"/tests/fixtures/demo/source.sql; do nsp_psql "$src" -f "$f" >/dev/null; done
nsp_psql "$src" >/dev/null <<'SQL'
CREATE FUNCTION public.slow(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_catalog.pg_sleep(0.003); RETURN i; END $$;
CREATE TABLE public.big (id int PRIMARY KEY);
INSERT INTO public.big SELECT generate_series(1, 1000);
CREATE INDEX big_slow ON public.big (public.slow(id));
SQL

# run_as_server CMD...: pg_ctl as the user that owns the cluster
datadir=$(nsp_query "$NSP_PG_URL" "SHOW data_directory")
owner=$(stat -c %U "$datadir")
pgctl() { if [[ $(id -un) == "$owner" ]]; then "$NSP_PG_BINDIR/pg_ctl" "$@"; else (cd / && runuser -u "$owner" -- "$NSP_PG_BINDIR/pg_ctl" "$@"); fi; }

# --- restart between the phases -----------------------------------------------------------------
nsp_job_config "$dir/job.json" "$src" "$dst"
NSP_JOB_LOG=$dir/pre.log
"$NSP_HOST_SIM" pre-sync --config "$dir/job.json" --plan-out "$dir/plan.bin" --hydrate >"$NSP_JOB_LOG" 2>&1 ||
  { nsp_show_job_log; nsp_fail "pre-sync --hydrate failed"; }
[[ -s $dir/plan.bin ]] || nsp_fail "pre-sync saved no plan"
pgctl -D "$datadir" -m fast -w restart -l "$datadir/../server.log" >"$dir/pgctl.log" 2>&1 || { cat "$dir/pgctl.log" >&2; nsp_fail "the server did not restart"; }
NSP_JOB_LOG=$dir/post.log
"$NSP_HOST_SIM" post-sync --config "$dir/job.json" --plan "$dir/plan.bin" >"$NSP_JOB_LOG" 2>&1 ||
  { nsp_show_job_log; nsp_fail "post-sync after the restart failed"; }
nsp_assert_parity "$src" "$dst" "restart between the phases"

# --- restart during post-sync -------------------------------------------------------------------
nsp_job_config "$dir/job2.json" "$src" "$dst2"
NSP_JOB_LOG=$dir/pre2.log
"$NSP_HOST_SIM" pre-sync --config "$dir/job2.json" --plan-out "$dir/plan2.bin" --hydrate >"$NSP_JOB_LOG" 2>&1 ||
  { nsp_show_job_log; nsp_fail "pre-sync --hydrate (2) failed"; }
# The data step commits asynchronously (hydrate.c: a destination crash then means re-running the
# job); this test is of post-sync, so the rows are made durable before it starts.
nsp_psql "$NSP_PG_URL" -c "CHECKPOINT" >/dev/null
NSP_JOB_LOG=$dir/post2.log
"$NSP_HOST_SIM" post-sync --config "$dir/job2.json" --plan "$dir/plan2.bin" >"$NSP_JOB_LOG" 2>&1 &
job=$!
seen=0
for _ in $(seq 1 300); do
  kill -0 "$job" 2>/dev/null || break
  # The slow build is the one backend of dst2 sleeping in public.slow(): found by its wait event,
  # since its text may share a round trip with other steps and pg_stat_activity keeps only the
  # first track_activity_query_size bytes of it.
  [[ $(nsp_query "$dst2" "SELECT count(*) FROM pg_stat_activity WHERE datname = 'dst2' AND wait_event = 'PgSleep' AND pid <> pg_catalog.pg_backend_pid()") -gt 0 ]] && { seen=1; break; }
  sleep 0.05
done
[[ $seen == 1 ]] || { cat "$NSP_JOB_LOG" >&2; nsp_fail "the slow index build of post-sync was never seen running"; }
pgctl -D "$datadir" -m immediate -w stop >/dev/null
pgctl -D "$datadir" -w start -l "$datadir/../server.log" >"$dir/pgctl.log" 2>&1 || nsp_fail "the server did not start again"
set +e; timeout 120 tail --pid=$job -f /dev/null; wait $job; status=$?; set -e
[[ $status -eq 1 || $status -eq 2 ]] || { cat "$NSP_JOB_LOG" >&2; nsp_fail "post-sync cut by a restart: exit $status, expected 1 or 2"; }
_nsp_log "ok: post-sync cut by a restart ended with exit $status"
NSP_JOB_LOG=$dir/post3.log
"$NSP_HOST_SIM" post-sync --config "$dir/job2.json" --plan "$dir/plan2.bin" >"$NSP_JOB_LOG" 2>&1 ||
  { nsp_show_job_log; nsp_fail "post-sync again after the restart failed"; }
nsp_assert_parity "$src" "$dst2" "restart during post-sync, then post-sync again"
_nsp_log "PASS"

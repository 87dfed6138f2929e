#!/usr/bin/env bash
# Cancellation through the host's cancellation probe: SIGINT to neosync-host-sim while a long
# post-sync statement runs. The plugin cancels the running statements (PQcancel) within a
# second, skips what has not started, and reports what was applied.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

src=$(nsp_createdb cancel_src)
nsp_psql "$src" >/dev/null <<'SQL'
CREATE TABLE public.small (id int PRIMARY KEY, v text);
INSERT INTO public.small SELECT i, 'v' || i FROM generate_series(1, 100) i;
CREATE TABLE public.big (id int, v text);
INSERT INTO public.big SELECT i, md5(i::text) FROM generate_series(1, 1500000) i;
-- An index whose build takes seconds: an expression sorting 1.5M long strings.
CREATE INDEX big_slow_idx ON public.big ((repeat(v, 20)));
CREATE INDEX big_v_idx ON public.big (v);
SQL
dst=$(nsp_createdb cancel_dst)
dir=$(nsp_tmpdir)
nsp_job_config "$dir/job.json" "$src" "$dst" '{"parallelism": 2}'

"$NSP_HOST_SIM" run --config "$dir/job.json" >"$dir/out.log" 2>&1 &
pid=$!
nsp_on_exit "kill -9 $pid 2>/dev/null || true"

# Poll a count on DB until it reaches MIN or the job PID has ended (at most 30 s); print it.
wait_for_count() { # DB SQL MIN PID
  local n=0
  for _ in $(seq 1 600); do
    n=$(nsp_query "$1" "$2")
    ((n >= $3)) && break
    kill -0 "$4" 2>/dev/null || break
    sleep 0.05
  done
  echo "$n"
}

# Wait for the slow index build to be running.
running=$(wait_for_count "$dst" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'neosync-schema-plugin'
                                 AND state = 'active' AND query LIKE '%big_slow_idx%'" 1 "$pid")
[[ $running -ge 1 ]] || { cat "$dir/out.log" >&2; nsp_fail "the slow index build never started"; }

kill -INT "$pid"
start=$(date +%s%N)
gone=""
for _ in $(seq 1 100); do
  left=$(nsp_query "$dst" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'neosync-schema-plugin' AND state = 'active'")
  if [[ $left -eq 0 ]]; then gone=$(( ($(date +%s%N) - start) / 1000000 )); break; fi
  sleep 0.02
done
[[ -n $gone ]] || nsp_fail "plugin statements still running 2 s after the cancel"
_nsp_log "running statements ended ${gone} ms after SIGINT"
[[ $gone -le 1500 ]] || nsp_fail "cancel took ${gone} ms (more than a second and a half)"

set +e
wait "$pid"
status=$?
set -e
[[ $status -ne 0 ]] || { cat "$dir/out.log" >&2; nsp_fail "a cancelled job exited 0"; }
grep -qi "cancel" "$dir/out.log" || { cat "$dir/out.log" >&2; nsp_fail "the report does not say it was cancelled"; }
# What was applied is reported: the small table's key was built before or alongside.
grep -Eq "applied" "$dir/out.log" || { cat "$dir/out.log" >&2; nsp_fail "no applied steps reported"; }
# The cancelled index is not there, and no invalid leftovers either.
[[ $(nsp_query "$dst" "SELECT count(*) FROM pg_class WHERE relname = 'big_slow_idx'") -eq 0 ]] ||
  nsp_fail "the cancelled index exists"
_nsp_log "ok: cancelled within ${gone} ms, exit $status"

# Pre-sync on several connections, cancelled: what committed transactions created is dropped
# again, and the destination is left as it was. 3 000 tables: more than one transaction holds
# on a default server, spread over 2 connections.
src2=$(nsp_createdb cancel_pre_src)
nsp_psql "$src2" >/dev/null <<'SQL'
SELECT format('CREATE TABLE public.t%s (id int PRIMARY KEY, v text CHECK (v <> %L))', i, 'x')
FROM generate_series(1, 3000) i
\gexec
SQL
dst2=$(nsp_createdb cancel_pre_dst)
nsp_job_config "$dir/pre.json" "$src2" "$dst2" '{"parallelism": 2}'
"$NSP_HOST_SIM" run --config "$dir/pre.json" >"$dir/pre.log" 2>&1 &
pid=$!
nsp_on_exit "kill -9 $pid 2>/dev/null || true"
made=$(wait_for_count "$dst2" "SELECT count(*) FROM pg_class WHERE relname ~ '^t[0-9]+$' AND relkind = 'r'" 200 "$pid")
(( made >= 200 )) || { cat "$dir/pre.log" >&2; nsp_fail "pre-sync never committed tables (saw $made)"; }
kill -INT "$pid"
set +e
wait "$pid"
status=$?
set -e
[[ $status -ne 0 ]] || { cat "$dir/pre.log" >&2; nsp_fail "a cancelled pre-sync exited 0"; }
grep -q "pre-sync cancelled; nothing was applied" "$dir/pre.log" || { cat "$dir/pre.log" >&2; nsp_fail "the report does not say pre-sync was cancelled"; }
left=$(nsp_query "$dst2" "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")
[[ $left -eq 0 ]] || nsp_fail "$left relations of the cancelled pre-sync are left on the destination"
_nsp_log "ok: pre-sync cancelled after $made tables were committed; the destination is empty again"

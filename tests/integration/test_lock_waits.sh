#!/usr/bin/env bash
# No post-sync step ever waits on a lock held by another step of the plan (issue 5).
#
# Workload (tests/bench/gen.sh big): 3 tables of 200 000 rows with a primary key, 8 more indexes
# (btree, expression, partial, INCLUDE, hash) and 3 foreign keys each (to a small table, to the
# previous table, to itself), plus a partitioned table with 2 partitions, indexes and 2 FKs: many
# steps of the same tables that would collide if the executor started them blindly (CREATE INDEX
# takes SHARE, ADD CONSTRAINT ... USING INDEX ACCESS EXCLUSIVE, ADD FOREIGN KEY SHARE ROW EXCLUSIVE
# on both tables, VALIDATE SHARE UPDATE EXCLUSIVE). The tables have autovacuum_enabled = false, so
# that no autovacuum worker takes a lock a step would have to wait for.
#
# The job runs with parallelism 4, then with parallelism 1, while a sampler session (a plpgsql loop
# in a database of its own, pg_stat_clear_snapshot() and pg_sleep(0.01) per iteration) records
# every active backend with application_name 'neosync-schema-plugin' on the destination. Asserted:
#   - no sample has wait_event_type = 'Lock' (with its blockers printed when one does);
#   - with parallelism 4 the sampler saw at least 2 plugin connections active at once (the run was
#     parallel, and the sampling works); with parallelism 1 never more than 1 (parallel index build
#     workers, which carry the leader's application_name, are sampled for lock waits but not counted);
#   - schema and data parity with the source after both runs.
# A control first proves that the sampler sees a lock wait when there is one. Wall times are
# printed, never asserted.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

[[ -n ${NSP_HOST_SIM:-} && -n ${NSP_PLUGIN:-} ]] || nsp_fail "NSP_HOST_SIM and NSP_PLUGIN must be set (run under ctest)"
GEN=$NSP_SOURCE_DIR/tests/bench/gen.sh
[[ -x $GEN || -f $GEN ]] || nsp_fail "generator $GEN not found"

tmp=$(nsp_tmpdir)
src=$(nsp_createdb lockwait_src)
sampler=$(nsp_createdb lockwait_sampler)

t0=$(date +%s)
bash "$GEN" big --tables 3 --rows 200000 --indexes 8 --fks 3 --partitions 2 --dim 500 \
  --schema lw --no-autovacuum | nsp_psql "$src" >/dev/null
nsp_psql "$src" -c "VACUUM ANALYZE" >/dev/null
_nsp_log "source generated in $(($(date +%s) - t0)) s"

nsp_psql "$sampler" <<'SQL' >/dev/null
CREATE TABLE samples (run text, iter integer, at timestamptz, pid integer, backend_type text, state text,
                      wait_event_type text, wait_event text, blockers integer[], query text);
CREATE TABLE loops (run text, iterations integer);
CREATE TABLE stop (run text);
SQL

# db_of URL: the database name of a URL made by nsp_createdb.
db_of() { local d=${1#postgresql:///}; printf '%s\n' "${d%%\?*}"; }

# start_sampler RUN DBNAME: sample the plugin's active backends on DBNAME until stop_sampler RUN.
# One DO block (its inserts commit when it ends); 10 minutes at most, a safety net.
start_sampler() {
  local run=$1 db=$2 i
  PGAPPNAME=nsp-lock-sampler nsp_psql "$sampler" >"$tmp/sampler_$run.log" 2>&1 <<SQL &
DO \$sampler\$
DECLARE
  i integer := 0;
  deadline timestamptz := clock_timestamp() + interval '10 minutes';
BEGIN
  LOOP
    i := i + 1;
    PERFORM pg_catalog.pg_stat_clear_snapshot();
    INSERT INTO samples
    SELECT '$run', i, clock_timestamp(), a.pid, a.backend_type, a.state, a.wait_event_type, a.wait_event,
           CASE WHEN a.wait_event_type = 'Lock' THEN pg_catalog.pg_blocking_pids(a.pid) END,
           left(a.query, 300)
      FROM pg_catalog.pg_stat_activity a
     WHERE a.application_name = 'neosync-schema-plugin' AND a.datname = '$db'
       AND a.state = 'active';
    EXIT WHEN EXISTS (SELECT 1 FROM stop WHERE run = '$run') OR clock_timestamp() > deadline;
    PERFORM pg_catalog.pg_sleep(0.01);
  END LOOP;
  INSERT INTO loops VALUES ('$run', i);
END
\$sampler\$;
SQL
  SAMPLER_PID=$!
  nsp_on_exit "kill $SAMPLER_PID 2>/dev/null || true"
  for i in $(seq 1 100); do   # wait until it is in its loop
    [[ $(nsp_query "$NSP_PG_URL" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'nsp-lock-sampler' AND datname = '$(db_of "$sampler")' AND state = 'active'") -ge 1 ]] && return 0
    sleep 0.1
  done
  nsp_fail "the sampler did not start ($run)"
}
stop_sampler() {
  local run=$1
  nsp_query "$sampler" "INSERT INTO stop VALUES ('$run')" >/dev/null
  wait "$SAMPLER_PID" || { cat "$tmp/sampler_$run.log" >&2; nsp_fail "the sampler failed ($run)"; }
}

# Control: the sampler does see a wait. A session named like the plugin waits about a second for a
# lock that another session holds.
ctl=$(nsp_createdb lockwait_ctl)
nsp_query "$ctl" "CREATE TABLE held (x integer)" >/dev/null
start_sampler control "$(db_of "$ctl")"
PGAPPNAME=nsp-lock-holder nsp_psql "$ctl" -c "BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1.5); COMMIT;" >/dev/null &
holder=$!
sleep 0.3
PGAPPNAME=neosync-schema-plugin nsp_psql "$ctl" -c "SELECT count(*) FROM held" >/dev/null
wait "$holder"
stop_sampler control
ctl_waits=$(nsp_query "$sampler" "SELECT count(*) FROM samples WHERE run = 'control' AND wait_event_type = 'Lock' AND blockers IS NOT NULL AND cardinality(blockers) > 0")
((ctl_waits > 0)) || nsp_fail "control: the sampler saw no lock wait of a session that waited ~1 s; the sampling does not work"
_nsp_log "control: the sampler saw a waiting session in $ctl_waits samples"

# run_with PARALLELISM: one job into a fresh destination, sampled; then the assertions.
run_with() {
  local par=$1 run="p$1" dst
  dst=$(nsp_createdb "lockwait_dst_p$par")
  start_sampler "$run" "$(db_of "$dst")"

  nsp_job_config "$tmp/job_$run.json" "$src" "$dst" "{\"parallelism\": $par}"
  local t1
  t1=$(date +%s.%N)
  nsp_run_job "$tmp/job_$run.json" --json
  local secs
  secs=$(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  stop_sampler "$run"
  if [[ $NSP_JOB_STATUS -ne 0 ]]; then
    nsp_show_job_log
    nsp_fail "the job with parallelism $par exited $NSP_JOB_STATUS"
  fi

  local iterations nsamples waits maxactive
  iterations=$(nsp_query "$sampler" "SELECT coalesce(max(iterations), 0) FROM loops WHERE run = '$run'")
  nsamples=$(nsp_query "$sampler" "SELECT count(*) FROM samples WHERE run = '$run'")
  waits=$(nsp_query "$sampler" "SELECT count(*) FROM samples WHERE run = '$run' AND wait_event_type = 'Lock'")
  # Connections of the plugin only: a parallel index build's workers carry the leader's
  # application_name too (they are sampled for lock waits, not counted here).
  maxactive=$(nsp_query "$sampler" "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM samples WHERE run = '$run' AND backend_type = 'client backend' GROUP BY iter) s")
  _nsp_log "parallelism $par: job ${secs} s; sampler: $iterations iterations, $nsamples samples of active plugin backends, at most $maxactive at once, $waits waiting on a lock"

  ((iterations >= 50)) || nsp_fail "the sampler ran only $iterations iterations during the job ($run)"
  ((nsamples > 0)) || nsp_fail "the sampler never saw a plugin backend ($run): the sampling does not work"
  if ((waits > 0)); then
    # Each wait once (first and last sample), with what its blockers ran at that moment.
    nsp_psql "$sampler" -c "SELECT min(w.iter) AS first, max(w.iter) AS last, w.pid, w.wait_event, w.query AS waiting,
                                   b.pid AS blocker, b.backend_type AS blocker_type,
                                   coalesce(b.query, '(not a plugin backend)') AS blocker_query
                              FROM samples w
                              LEFT JOIN LATERAL unnest(w.blockers) AS bp(pid) ON true
                              LEFT JOIN samples b ON b.run = w.run AND b.iter = w.iter AND b.pid = bp.pid
                             WHERE w.run = '$run' AND w.wait_event_type = 'Lock'
                             GROUP BY w.pid, w.wait_event, w.query, b.pid, b.backend_type, b.query
                             ORDER BY 1 LIMIT 40" >&2
    nsp_fail "parallelism $par: $waits sample(s) of a plugin backend waiting on a lock"
  fi
  if ((par > 1)); then
    ((maxactive >= 2)) || nsp_fail "parallelism $par: never 2 plugin backends active at once (max $maxactive): not parallel, or not sampled"
  else
    ((maxactive <= 1)) || nsp_fail "parallelism 1: $maxactive plugin backends active at once"
  fi
  nsp_assert_parity "$src" "$dst" "parallelism $par"
}

run_with 4
run_with 1
_nsp_log "ok: no lock waits with parallelism 4 and 1; parity in both"

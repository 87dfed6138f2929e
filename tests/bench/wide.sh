#!/usr/bin/env bash
# The wide-schema comparison (issue 15): thousands of small empty tables, the schema-per-tenant
# shape (gen.sh wide: each table a primary key, a unique constraint, an index, a CHECK and a
# foreign key; 50 views; no rows). For each size, in the same run:
#   anchor:  pg_dump --section=pre-data | psql, then pg_dump --section=post-data | psql
#            (autocommit: `psql -1` runs out of lock slots at this size on a default server)
#   bound:   the same statements (pg_dump --schema-only) split by table over the job's parallelism
#            of psql sessions run at once (split_dump.py): the server's work for these objects,
#            parallel, with no client between statements
#   plugin:  neosync-host-sim run (pre-sync, data step, post-sync), its peak RSS (nsp_bench rss),
#            the catalog read (from its log), each phase (from its report), schema parity
# and, for each step, how many cores the machine had busy (/proc/stat: what bounds it), and
# prints the issue's ratios: whole job / anchor, post-sync alone, the largest size's whole
# job / the first size's (linearity), peak RSS.
#
#   tests/bench/wide.sh [--tables "5000 20000"] [--views 50] [--parallelism N] [--out FILE]
#                       [--work DIR]
#
# Environment: NSP_PG_URL (required), NSP_BUILD_DIR (default: build), NSP_PG_BINDIR.
# The machine may be shared: absolute seconds move with its load (printed); ratios of one run
# are what to compare.
set -uo pipefail

sizes='5000' views=50 par='' out='' work=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --tables) sizes=$2; shift 2 ;;
    --views) views=$2; shift 2 ;;
    --parallelism) par=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "wide.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n ${NSP_PG_URL:-} ]] || { echo "wide.sh: NSP_PG_URL is not set (use scripts/bench.sh)" >&2; exit 2; }
read -r -a SIZES <<<"${sizes//,/ }"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$HERE/../.." && pwd)
BUILD=${NSP_BUILD_DIR:-$SRC_DIR/build}
[[ $BUILD == /* ]] || BUILD=$SRC_DIR/$BUILD
BENCH=$BUILD/tests/bench/nsp_bench
HOST_SIM=$BUILD/host-sim/neosync-host-sim
PLUGIN=$BUILD/plugin/libneosync_schema_plugin.so
for f in "$BENCH" "$HOST_SIM" "$PLUGIN"; do
  [[ -e $f ]] || { echo "wide.sh: $f not built (scripts/bench.sh builds it)" >&2; exit 2; }
done
if [[ -z ${NSP_PG_BINDIR:-} ]]; then
  if [[ -x /usr/lib/postgresql/15/bin/psql ]]; then NSP_PG_BINDIR=/usr/lib/postgresql/15/bin
  else NSP_PG_BINDIR=$(dirname "$(command -v psql)"); fi
fi
PSQL=$NSP_PG_BINDIR/psql PG_DUMP=$NSP_PG_BINDIR/pg_dump
export PGTZ=UTC PGCLIENTENCODING=UTF8
unset PGDATABASE PGHOST PGPORT PGUSER PGSERVICE PGOPTIONS
[[ -n $par ]] || par=$(nproc)

if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/nsp-wide.XXXXXX")
  trap 'rm -rf -- "$work"' EXIT
fi
mkdir -p "$work"
[[ -n $out ]] || out=$work/wide-results.txt

log() { printf '[wide %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
url_for() { printf 'postgresql:///%s?%s\n' "$1" "${NSP_PG_URL#*\?}"; }
q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$NSP_PG_URL" -c "$1"; }
createdb() { q "CREATE DATABASE \"$1\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" >/dev/null; }
dropdb() { q "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null 2>&1 || true; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
load1() { cut -d' ' -f1 /proc/loadavg; }
schema_dump() {
  "$PG_DUMP" --schema-only -d "$(url_for "$1")" |
    grep -v -e '^--' -e '^[[:space:]]*$' -e '^\\restrict' -e '^\\unrestrict' || true
}
# Seconds between the first log lines matching two patterns (the host's log: ISO times, ms).
log_span() {
  awk -v a="$2" -v b="$3" '
    function secs(ts,  t) { t = substr(ts, 12, 12); split(t, p, ":"); return p[1] * 3600 + p[2] * 60 + p[3] }
    index($0, a) && s == "" { s = secs($1) }
    index($0, b) && s != "" && e == "" { e = secs($1) }
    END { if (s != "" && e != "") printf "%.3f", e - s; else print "?" }' "$1"
}
# What bounds a step on this machine: the CPU of every process (the server's backends, the host,
# pg_dump, psql) from /proc/stat, sampled every 0.2 s while a contender runs. cpu_window FILE
# START END (epoch seconds) prints "B cores busy (K kernel)" between the samples nearest START and
# END: B near the number of cores means the step is CPU-bound and only less work makes it faster.
# User time at nice > 0 counts as idle: work a developer runs beside the benchmark under `nice -n 19`
# yields the cores to it and is left out (its kernel time is not: /proc/stat does not split it).
cpu_sampler() { while :; do printf '%s %s\n' "$(date +%s.%N)" "$(head -n1 /proc/stat)"; sleep 0.2; done; }
cpu_window() {
  awk -v a="$2" -v b="$3" -v ncpu="$(nproc)" '
    { busy = $3 + $5 + $8 + $9 + $10; kern = $5 + $8 + $9; tot = busy + $4 + $6 + $7 }
    $1 >= a && s == "" { s = $1; sb = busy; sk = kern; st = tot }
    $1 <= b { e = $1; eb = busy; ek = kern; et = tot }
    END { if (s == "" || et <= st) { print "?"; exit }
          printf "%.2f of %d cores busy (%.2f kernel)", (eb - sb) / (et - st) * ncpu, ncpu, (ek - sk) / (et - st) * ncpu }' "$1"
}
# Epoch seconds of the first host log line matching a pattern (its ISO time, UTC).
log_epoch() {
  local ts; ts=$(grep -m1 -F -- "$2" "$1" | cut -d' ' -f1)
  [[ -n $ts ]] && date -u -d "${ts%Z}" +%s.%N || echo 0
}
# The report's "in X s" of a phase (Pre-sync, Hydration, Post-sync).
phase_secs() {
  awk -v want="$2" '$0 == want { s = 1; next } s && / in [0-9.]+ s/ { t = $0; sub(/.* in /, "", t); sub(/ s.*/, "", t); print t; exit }' "$1"
}

pgver=$(q "SHOW server_version")
datafs=$(q "SHOW data_directory" | xargs -r df -P -T 2>/dev/null | awk 'NR == 2 { print $2 " (" $7 ")" }')
log "sizes ${SIZES[*]}; PostgreSQL $pgver, max_locks_per_transaction=$(q 'SHOW max_locks_per_transaction'); data directory on ${datafs:-unknown}"

# Databases are dropped only at the end: creating files right after thousands were deleted is
# slower on ext4 (perf showed its inode allocator's recently_deleted() in 8 % of a backend's
# samples), and dropping the anchor's database just before the job ran charged that to the job.
KEEP=()
declare -A A_CPU_PRE A_CPU_POST J_CPU_PRE J_CPU_POST
declare -A B_ALL B_CPU A_PRE A_POST A_ALL J_ALL J_CAT J_CATB J_PRE J_HYD J_POST J_RSS J_OK J_LOAD A_LOAD
for n in "${SIZES[@]}"; do
  src=bench_wide_src_$n
  dropdb "$src"; createdb "$src"
  log "generating $n tables, $views views"
  "$HERE/gen.sh" wide --tables "$n" --views "$views" --schema tenant |
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$(url_for "$src")" >/dev/null || { log "generator failed"; exit 1; }
  q "CHECKPOINT" >/dev/null

  # Anchor: pre-data, then post-data, autocommit, into one database.
  d=bench_wide_psql_$n; dropdb "$d"; createdb "$d"; q "CHECKPOINT" >/dev/null
  A_LOAD[$n]=$(load1)
  cpu_sampler >"$work/cpu_anchor_$n" & sampler=$!
  t0=$(now)
  "$PG_DUMP" --section=pre-data -d "$(url_for "$src")" | "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$(url_for "$d")" >/dev/null 2>"$work/psql_pre_$n.err"
  rc1=$?; t1=$(now)
  "$PG_DUMP" --section=post-data -d "$(url_for "$src")" | "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$(url_for "$d")" >/dev/null 2>"$work/psql_post_$n.err"
  rc2=$?; t2=$(now)
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  A_CPU_PRE[$n]=$(cpu_window "$work/cpu_anchor_$n" "$t0" "$t1")
  A_CPU_POST[$n]=$(cpu_window "$work/cpu_anchor_$n" "$t1" "$t2")
  A_PRE[$n]=$(elapsed "$t0" "$t1") A_POST[$n]=$(elapsed "$t1" "$t2") A_ALL[$n]=$(elapsed "$t0" "$t2")
  ((rc1 == 0 && rc2 == 0)) || A_ALL[$n]="FAILED(${A_ALL[$n]})"
  log "$n tables | pg_dump | psql: pre-data ${A_PRE[$n]} s, post-data ${A_POST[$n]} s"
  KEEP+=("$d") # dropped at the end, see KEEP

  # The bound: pg_dump's own statements, split by table over $par sessions that run at once
  # (split_dump.py: tables, then keys and indexes, then foreign keys), prepared beforehand so no
  # client works between them. What it takes is about the least any tool needs on this server
  # for these objects with $par connections: the server's work, parallel.
  d=bench_wide_bound_$n; dropdb "$d"; createdb "$d"; q "CHECKPOINT" >/dev/null
  rm -rf "$work/split_$n"
  "$PG_DUMP" --schema-only -d "$(url_for "$src")" | python3 "$HERE/split_dump.py" "$par" "$work/split_$n" >/dev/null
  cpu_sampler >"$work/cpu_bound_$n" & sampler=$!
  t0=$(now) rc=0
  for wave in 0 1 2 3 4; do
    pids=()
    for f in "$work/split_$n"/wave${wave}_*.sql; do
      [[ -e $f ]] || continue
      "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$(url_for "$d")" -f "$f" >/dev/null 2>>"$work/bound_$n.err" & pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
  done
  t1=$(now)
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  B_ALL[$n]=$(elapsed "$t0" "$t1") B_CPU[$n]=$(cpu_window "$work/cpu_bound_$n" "$t0" "$t1")
  ((rc == 0)) || B_ALL[$n]="FAILED(${B_ALL[$n]})"
  log "$n tables | pg_dump's statements on $par sessions: ${B_ALL[$n]} s"
  KEEP+=("$d")

  # The plugin: the whole host-simulator job.
  d=bench_wide_job_$n; dropdb "$d"; createdb "$d"; q "CHECKPOINT" >/dev/null
  cat >"$work/job_$n.json" <<JSON
{
  "jobId": "bench-wide",
  "source":      {"postgres": {"url": "$(url_for "$src")"}},
  "destination": {"postgres": {"url": "$(url_for "$d")"}},
  "hydration": {"parallelism": $par},
  "hooks": [{"name": "schema", "enabled": true, "priority": 0,
             "plugin": {"path": "$PLUGIN", "options": {"parallelism": $par}}}]
}
JSON
  J_LOAD[$n]=$(load1)
  cpu_sampler >"$work/cpu_job_$n" & sampler=$!
  t0=$(now)
  "$BENCH" rss "$work/job_$n.rss" -- "$HOST_SIM" run --config "$work/job_$n.json" >"$work/job_$n.report" 2>"$work/job_$n.log"
  rc=$?; t1=$(now)
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  J_CPU_PRE[$n]=$(cpu_window "$work/cpu_job_$n" "$(log_epoch "$work/job_$n.log" "hook schema: pre-sync")" \
    "$(log_epoch "$work/job_$n.log" "data step:")")
  J_CPU_POST[$n]=$(cpu_window "$work/cpu_job_$n" "$(log_epoch "$work/job_$n.log" "hook schema: post-sync")" "$t1")
  J_ALL[$n]=$(elapsed "$t0" "$t1")
  J_RSS[$n]=$(( $(cat "$work/job_$n.rss" 2>/dev/null || echo 0) / 1024 ))
  J_CAT[$n]=$(log_span "$work/job_$n.log" "hook schema: pre-sync" "objects from the source catalog")
  # The plugin's own account of the read: its queries and the slowest loaders, in seconds.
  J_CATB[$n]=$(sed -n 's/.*objects from the source catalog in \([0-9]* queries in [0-9.]* s\) (\(.*\))$/\1: \2/p' "$work/job_$n.log" | head -n1)
  J_PRE[$n]=$(phase_secs "$work/job_$n.report" Pre-sync)
  J_HYD[$n]=$(phase_secs "$work/job_$n.report" Hydration)
  J_POST[$n]=$(phase_secs "$work/job_$n.report" Post-sync)
  if ((rc == 0)) && grep -q ': complete$' "$work/job_$n.report"; then
    if diff -q <(schema_dump "$src") <(schema_dump "$d") >/dev/null; then J_OK[$n]="ok, parity ok"; else J_OK[$n]="SCHEMA DIFFERS"; fi
  else
    J_OK[$n]="FAILED: $(grep -m1 -E 'ERROR|error|failed' "$work/job_$n.log" "$work/job_$n.report" | cut -c1-200)"
  fi
  log "$n tables | host-sim: ${J_ALL[$n]} s (catalog ${J_CAT[$n]}, pre-sync ${J_PRE[$n]}, data ${J_HYD[$n]}, post-sync ${J_POST[$n]}); ${J_RSS[$n]} MB; ${J_OK[$n]}"
  grep -h -E 'post-sync: |pre-sync: |objects from' "$work/job_$n.log" | sed 's/^/    /' >&2
  KEEP+=("$d" "$src")
done
for d in "${KEEP[@]}"; do dropdb "$d"; done

base=${SIZES[0]} top=${SIZES[-1]}
{
  echo "Wide schemas (issue 15), $(date -u +%Y-%m-%d): gen.sh wide, $views views, no rows; PostgreSQL $pgver,"
  echo "data directory on ${datafs:-unknown}; parallelism $par; one run each (1-minute load average at the start)"
  echo
  printf '%-8s %-44s %9s  %s\n' tables contender seconds notes
  for n in "${SIZES[@]}"; do
    printf '%-8s %-44s %9s  %s\n' "$n" "pg_dump --section=pre-data | psql" "${A_PRE[$n]}" "load ${A_LOAD[$n]}; ${A_CPU_PRE[$n]}"
    printf '%-8s %-44s %9s  %s\n' "$n" "pg_dump --section=post-data | psql" "${A_POST[$n]}" "${A_CPU_POST[$n]}"
    printf '%-8s %-44s %9s  %s\n' "$n" "pg_dump | psql, pre + post" "${A_ALL[$n]}" ""
    printf '%-8s %-44s %9s  %s\n' "$n" "bound: the same statements on $par sessions" "${B_ALL[$n]}" "${B_CPU[$n]}"
    printf '%-8s %-44s %9s  %s\n' "$n" "neosync-host-sim run (whole job)" "${J_ALL[$n]}" "load ${J_LOAD[$n]}; ${J_OK[$n]}; max RSS ${J_RSS[$n]} MB"
    printf '%-8s %-44s %9s  %s\n' "$n" "  catalog read (from the log)" "${J_CAT[$n]}" "${J_CATB[$n]}"
    printf '%-8s %-44s %9s  %s\n' "$n" "  pre-sync (the report, catalog included)" "${J_PRE[$n]}" "${J_CPU_PRE[$n]}"
    printf '%-8s %-44s %9s  %s\n' "$n" "  data step (the report)" "${J_HYD[$n]}" ""
    printf '%-8s %-44s %9s  %s\n' "$n" "  post-sync (the report)" "${J_POST[$n]}" "${J_CPU_POST[$n]}"
  done
  echo
  echo "Issue 15's targets, this run:"
  printf '  %-58s %s / %s = %s   (target <= 0.50)\n' "whole job / pg_dump | psql (pre + post), $base tables" \
    "${J_ALL[$base]}" "${A_ALL[$base]}" "$(ratio "${J_ALL[$base]}" "${A_ALL[$base]}")"
  printf '  %-58s %s / %s = %s   (the least for the same server work)\n' "bound / pg_dump | psql (pre + post), $base tables" \
    "${B_ALL[$base]}" "${A_ALL[$base]}" "$(ratio "${B_ALL[$base]}" "${A_ALL[$base]}")"
  printf '  %-58s %s s   (target <= 5 s)\n' "plugin post-sync alone, $base tables" "${J_POST[$base]}"
  printf '  %-58s %s s   (target <= 1.5 s)\n' "catalog read, $base tables" "${J_CAT[$base]}"
  printf '  %-58s %s s   (target: well under 1 s)\n' "data step, $base tables (no rows)" "${J_HYD[$base]}"
  if [[ $top != "$base" ]]; then
    printf '  %-58s %s / %s = %s   (target <= %s)\n' "whole job, $top / $base tables" "${J_ALL[$top]}" "${J_ALL[$base]}" \
      "$(ratio "${J_ALL[$top]}" "${J_ALL[$base]}")" "$(awk -v a="$top" -v b="$base" 'BEGIN { printf "%.2f", 4.5 * a / b / 4 }')"
    printf '  %-58s %s MB   (target <= 200 MB)\n' "host peak RSS, $top tables" "${J_RSS[$top]}"
  fi
  printf '  %-58s %s MB\n' "host peak RSS, $base tables" "${J_RSS[$base]}"
} >"$out"
cat "$out"

#!/usr/bin/env bash
# The wide-schema comparison (issue 15): thousands of small empty tables, the schema-per-tenant
# shape (gen.sh wide: each table a primary key, a unique constraint, an index, a CHECK and a
# foreign key; 50 views; no rows). For each size, in the same run:
#   anchor:  pg_dump --section=pre-data | psql, then pg_dump --section=post-data | psql
#            (autocommit: `psql -1` runs out of lock slots at this size on a default server)
#   bound:   the same statements (pg_dump --schema-only) split by table over the job's parallelism
#            of psql sessions run at once (split_dump.py): the server's work for the anchor's
#            statements, parallel, with no client between them
#   plugin:  neosync-host-sim run (pre-sync, data step, post-sync), its peak RSS (nsp_bench rss),
#            the catalog read (from its log), each phase (from its report), schema parity
# and, for each step, how many cores the machine had busy (/proc/stat: what bounds it), and
# prints the issue's ratios: whole job / anchor, post-sync alone, the largest size's whole
# job / the first size's (linearity), peak RSS.
#
#   tests/bench/wide.sh [--tables "5000 20000"] [--views 50] [--parallelism N] [--out FILE]
#                       [--work DIR] [--rounds R]
#
# --rounds R: each contender R times, interleaved (anchor, bound, job, anchor, ...); every
# figure is the median of its rounds, and the whole job / anchor ratio of each round is printed
# too (on a VM the same job moved between 10.6 and 19.6 s in five runs of one hour).
#
# Environment: NSP_PG_URL (required), NSP_BUILD_DIR (default: build), NSP_PG_BINDIR.
# The machine may be shared: absolute seconds move with its load (printed); ratios of one run
# are what to compare.
set -uo pipefail

sizes='5000' views=50 par='' out='' work='' rounds=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --tables) sizes=$2; shift 2 ;;
    --views) views=$2; shift 2 ;;
    --parallelism) par=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,21s/^# \{0,1\}//p' "$0"; exit 0 ;;
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
# Each contender starts from the same state: the server's dirty pages written (CHECKPOINT), the
# file system's too (sync), then 6 s. ext4 avoids reusing an inode freed less than 5 s ago, or
# 305 s while its inode-table block is still dirty, and walks past each such inode when it
# creates a file (recently_deleted(), find_inode_bit()): after the run before dropped its
# databases (100 000 files), the job's pre- and post-sync took twice as long, in kernel time.
settle() { q "CHECKPOINT" >/dev/null; sync; sleep 6; }
# median_of ARRAY N: ARRAY[N] = the median of ARRAY[N.1] .. ARRAY[N.rounds] (a failed one counts
# as its seconds); median_round ARRAY N: the round whose value is that median (the lower one of
# an even count).
median_round() {
  local -n arr=$1
  local r
  for ((r = 1; r <= rounds; r++)); do printf '%s %s\n' "$(tr -dc '0-9.' <<<"${arr[$2.$r]}")" "$r"; done |
    sort -g | awk -v m=$(((rounds + 1) / 2)) 'NR == m { print $2 }'
}
median_of() {
  local -n arr=$1
  local r vals=()
  for ((r = 1; r <= rounds; r++)); do vals+=("$(tr -dc '0-9.' <<<"${arr[$2.$r]}")"); done
  arr[$2]=$(printf '%s\n' "${vals[@]}" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
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
declare -A RATIOS B_ALL B_CPU A_PRE A_POST A_ALL J_ALL J_CAT J_CATB J_PRE J_HYD J_POST J_RSS J_OK J_LOAD A_LOAD
for n in "${SIZES[@]}"; do
  src=bench_wide_src_$n
  dropdb "$src"; createdb "$src"
  log "generating $n tables, $views views"
  "$HERE/gen.sh" wide --tables "$n" --views "$views" --schema tenant |
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$(url_for "$src")" >/dev/null || { log "generator failed"; exit 1; }
  settle
  for ((r = 1; r <= rounds; r++)); do
    k=$n.$r

    # Anchor: pre-data, then post-data, autocommit, into one database.
    d=bench_wide_psql_$k; dropdb "$d"; createdb "$d"; settle
    A_LOAD[$k]=$(load1)
    cpu_sampler >"$work/cpu_anchor_$k" & sampler=$!
    t0=$(now)
    "$PG_DUMP" --section=pre-data -d "$(url_for "$src")" | "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$(url_for "$d")" >/dev/null 2>"$work/psql_pre_$k.err"
    rc1=$?; t1=$(now)
    "$PG_DUMP" --section=post-data -d "$(url_for "$src")" | "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$(url_for "$d")" >/dev/null 2>"$work/psql_post_$k.err"
    rc2=$?; t2=$(now)
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
    A_CPU_PRE[$k]=$(cpu_window "$work/cpu_anchor_$k" "$t0" "$t1")
    A_CPU_POST[$k]=$(cpu_window "$work/cpu_anchor_$k" "$t1" "$t2")
    A_PRE[$k]=$(elapsed "$t0" "$t1") A_POST[$k]=$(elapsed "$t1" "$t2") A_ALL[$k]=$(elapsed "$t0" "$t2")
    ((rc1 == 0 && rc2 == 0)) || A_ALL[$k]="FAILED(${A_ALL[$k]})"
    log "$n tables | pg_dump | psql: pre-data ${A_PRE[$k]} s, post-data ${A_POST[$k]} s"
    KEEP+=("$d") # dropped at the end, see KEEP

    # The bound: pg_dump's own statements, split by table over $par sessions that run at once
    # (split_dump.py: tables, then keys and indexes, then foreign keys), prepared beforehand so no
    # client works between them. What it takes is about the least `pg_dump`'s statements need on
    # this server with $par connections (the job's own statements may cost less: no OWNER TO).
    d=bench_wide_bound_$k; dropdb "$d"; createdb "$d"; settle
    rm -rf "$work/split_$k"
    "$PG_DUMP" --schema-only -d "$(url_for "$src")" 2>"$work/bound_$k.err" |
      python3 "$HERE/split_dump.py" "$par" "$work/split_$k" >/dev/null
    rc=$(( PIPESTATUS[0] != 0 )) # pg_dump fails at 20 000 tables, as the anchor's does
    cpu_sampler >"$work/cpu_bound_$k" & sampler=$!
    t0=$(now)
    for wave in 0 1 2 3 4; do
      pids=()
      for f in "$work/split_$k"/wave${wave}_*.sql; do
        [[ -e $f ]] || continue
        "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$(url_for "$d")" -f "$f" >/dev/null 2>>"$work/bound_$k.err" & pids+=($!)
      done
      for p in "${pids[@]}"; do wait "$p" || rc=1; done
    done
    t1=$(now)
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
    B_ALL[$k]=$(elapsed "$t0" "$t1") B_CPU[$k]=$(cpu_window "$work/cpu_bound_$k" "$t0" "$t1")
    ((rc == 0)) || B_ALL[$k]="FAILED(${B_ALL[$k]})"
    log "$n tables | pg_dump's statements on $par sessions: ${B_ALL[$k]} s"
    KEEP+=("$d")

    # The plugin: the whole host-simulator job.
    d=bench_wide_job_$k; dropdb "$d"; createdb "$d"; settle
    cat >"$work/job_$k.json" <<JSON
  {
    "jobId": "bench-wide",
    "source":      {"postgres": {"url": "$(url_for "$src")"}},
    "destination": {"postgres": {"url": "$(url_for "$d")"}},
    "hydration": {"parallelism": $par},
    "hooks": [{"name": "schema", "enabled": true, "priority": 0,
               "plugin": {"path": "$PLUGIN", "options": {"parallelism": $par}}}]
  }
JSON
    J_LOAD[$k]=$(load1)
    cpu_sampler >"$work/cpu_job_$k" & sampler=$!
    t0=$(now)
    "$BENCH" rss "$work/job_$k.rss" -- "$HOST_SIM" run --config "$work/job_$k.json" >"$work/job_$k.report" 2>"$work/job_$k.log"
    rc=$?; t1=$(now)
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
    J_CPU_PRE[$k]=$(cpu_window "$work/cpu_job_$k" "$(log_epoch "$work/job_$k.log" "hook schema: pre-sync")" \
      "$(log_epoch "$work/job_$k.log" "data step:")")
    J_CPU_POST[$k]=$(cpu_window "$work/cpu_job_$k" "$(log_epoch "$work/job_$k.log" "hook schema: post-sync")" "$t1")
    J_ALL[$k]=$(elapsed "$t0" "$t1")
    J_RSS[$k]=$(( $(cat "$work/job_$k.rss" 2>/dev/null || echo 0) / 1024 ))
    J_CAT[$k]=$(log_span "$work/job_$k.log" "hook schema: pre-sync" "objects from the source catalog")
    # The plugin's own account of the read: its queries and the slowest loaders, in seconds.
    J_CATB[$k]=$(sed -n 's/.*objects from the source catalog in \([0-9]* queries in [0-9.]* s\) (\(.*\))$/\1: \2/p' "$work/job_$k.log" | head -n1)
    J_PRE[$k]=$(phase_secs "$work/job_$k.report" Pre-sync)
    J_HYD[$k]=$(phase_secs "$work/job_$k.report" Hydration)
    J_POST[$k]=$(phase_secs "$work/job_$k.report" Post-sync)
    if ((rc == 0)) && grep -q ': complete$' "$work/job_$k.report"; then
      if diff -q <(schema_dump "$src") <(schema_dump "$d") >/dev/null; then J_OK[$k]="ok, parity ok"; else J_OK[$k]="SCHEMA DIFFERS"; fi
    else
      J_OK[$k]="FAILED: $(grep -m1 -E 'ERROR|error|failed' "$work/job_$k.log" "$work/job_$k.report" | cut -c1-200)"
    fi
    log "$n tables | host-sim: ${J_ALL[$k]} s (catalog ${J_CAT[$k]}, pre-sync ${J_PRE[$k]}, data ${J_HYD[$k]}, post-sync ${J_POST[$k]}); ${J_RSS[$k]} MB; ${J_OK[$k]}"
    grep -h -E 'post-sync: |pre-sync: |objects from' "$work/job_$k.log" | sed 's/^/    /' >&2
    KEEP+=("$d")
  done
  KEEP+=("$src")
  # Each figure of the size: its median over the rounds; the notes (cores busy, parity, load)
  # are those of the round whose figure is the median.
  for arr in A_PRE A_POST A_ALL B_ALL J_ALL J_CAT J_PRE J_HYD J_POST J_RSS; do
    median_of "$arr" "$n"
  done
  r=$(median_round A_PRE "$n"); A_CPU_PRE[$n]=${A_CPU_PRE[$n.$r]} A_LOAD[$n]=${A_LOAD[$n.$r]}
  r=$(median_round A_POST "$n"); A_CPU_POST[$n]=${A_CPU_POST[$n.$r]}
  r=$(median_round B_ALL "$n"); B_CPU[$n]=${B_CPU[$n.$r]}
  r=$(median_round J_ALL "$n"); J_OK[$n]=${J_OK[$n.$r]} J_LOAD[$n]=${J_LOAD[$n.$r]}
  r=$(median_round J_CAT "$n"); J_CATB[$n]=${J_CATB[$n.$r]}
  r=$(median_round J_PRE "$n"); J_CPU_PRE[$n]=${J_CPU_PRE[$n.$r]}
  r=$(median_round J_POST "$n"); J_CPU_POST[$n]=${J_CPU_POST[$n.$r]}
  for ((r = 1; r <= rounds; r++)); do # a failed round or a parity failure shows, whichever is the median
    [[ ${J_OK[$n.$r]} == "ok, parity ok" ]] || J_OK[$n]="round $r: ${J_OK[$n.$r]}"
    [[ ${A_ALL[$n.$r]} != FAILED* ]] || A_ALL[$n]=${A_ALL[$n.$r]}
    [[ ${B_ALL[$n.$r]} != FAILED* ]] || B_ALL[$n]=${B_ALL[$n.$r]}
  done
  RATIOS[$n]=$(for ((r = 1; r <= rounds; r++)); do ratio "${J_ALL[$n.$r]}" "${A_ALL[$n.$r]}"; printf ' '; done)
done
for d in "${KEEP[@]}"; do dropdb "$d"; done

base=${SIZES[0]} top=${SIZES[-1]}
{
  echo "Wide schemas (issue 15), $(date -u +%Y-%m-%d): gen.sh wide, $views views, no rows; PostgreSQL $pgver,"
  echo "data directory on ${datafs:-unknown}; parallelism $par; $( ((rounds == 1)) && echo "one run each" || echo "medians of $rounds rounds") (1-minute load average at the start)"
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
  ((rounds == 1)) || printf '  %-58s %s\n' "whole job / pg_dump | psql, each round" "${RATIOS[$base]}"
  printf '  %-58s %s / %s = %s   (pg_dump statements, in parallel)\n' "bound / pg_dump | psql (pre + post), $base tables" \
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

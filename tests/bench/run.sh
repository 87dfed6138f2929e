#!/usr/bin/env bash
# The benchmark driver (issue 5). Runs against the server in $NSP_PG_URL (scripts/bench.sh starts a
# throwaway one with default settings: max_locks_per_transaction = 64); measures the plugin and its
# anchors on the same data in the same run, and prints a table of absolute seconds and ratios
# plugin/anchor (also written to --out).
#
#   tests/bench/run.sh [--scale small|full] [--out FILE] [--work DIR] [--parallelism N] [--rounds R]
#                      [--wide-tables "5000 20000"] [--wide-only]
#
# Environment: NSP_PG_URL (required), NSP_BUILD_DIR (default: build), NSP_PG_BINDIR.
#
# What is compared (every timing from the client side: the wall time of the process):
#  1. pre-sync, into an empty database, of a "many tables" schema (gen.sh many) at 10 and at
#     5 000 tables (small scale: 10 and 200): the plugin's pre-sync hook alone (nsp_bench pre)
#     vs `pg_dump --section=pre-data SRC | psql DST` in autocommit and with `psql -1`;
#  2. post-sync on the "big" workload (gen.sh big; full scale: 6 tables of 400 000 rows, 4
#     indexes + primary key and 2 FKs each, a partitioned table of 4 partitions; about 350 MB of
#     tables): loaded_db = the plugin's pre-sync + `pg_restore --section=data` of a custom-format
#     dump, then VACUUM ANALYZE; every contender starts from its own `CREATE DATABASE ... TEMPLATE
#     loaded_db` after a CHECKPOINT: the plugin's post-sync hook alone with the pre-sync plan
#     (nsp_bench post, parallelism 1, nproc and 4) vs `pg_restore --section=post-data -j 1, -j nproc,
#     -j 4`;
#  3. the whole job (neosync-host-sim run: pre-sync, COPY hydration, post-sync) vs
#     `pg_dump SRC | psql DST` of all sections, on the big workload and at 5 000 tables;
#  4. peak memory (ru_maxrss) of the host-sim process and of the pre-sync-only process;
#  5. wide schemas (tests/bench/wide.sh, issue 15): the whole job on N empty tables with a key, a
#     unique constraint, an index, a CHECK and an FK each vs pg_dump pre-data + post-data | psql,
#     at --wide-tables (full: 5000; small: 200 800; the first size is the base of the linearity
#     ratio); --wide-only runs this comparison alone.
# Each plugin result is checked: the hook's status, and for post-sync schema parity with the source
# (pg_dump --schema-only, normalized as in tests/integration/lib.sh).
# Pre-sync and post-sync contenders run R rounds (full: 3, small: 1; the post-sync order reverses
# every round); the table shows the median and every value, and the 1-minute load average when each
# measurement started (other work on the machine shows there). pg_restore's statements are logged
# by the server (log_min_duration_statement = 0 for its sessions only, through PGOPTIONS) so that its
# time can be split by kind of statement like the plugin's.
set -uo pipefail

scale=small out='' work='' par='' rounds='' wide_tables='' wide_only=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --parallelism) par=$2; shift 2 ;;
    --wide-tables) wide_tables=$2; shift 2 ;;
    --wide-only) wide_only=1; shift ;;
    -h|--help) sed -n '2,31s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $scale == small || $scale == full ]] || { echo "run.sh: --scale small|full" >&2; exit 2; }
[[ -n ${NSP_PG_URL:-} ]] || { echo "run.sh: NSP_PG_URL is not set (use scripts/bench.sh)" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$HERE/../.." && pwd)
BUILD=${NSP_BUILD_DIR:-$SRC_DIR/build}
[[ $BUILD == /* ]] || BUILD=$SRC_DIR/$BUILD
BENCH=$BUILD/tests/bench/nsp_bench
HOST_SIM=$BUILD/host-sim/neosync-host-sim
PLUGIN=$(ls "$BUILD"/plugin/libneosync_schema_plugin.so 2>/dev/null | head -n 1)
for f in "$BENCH" "$HOST_SIM" "$PLUGIN"; do
  [[ -x $f || -f $f ]] || { echo "run.sh: $f not built (scripts/bench.sh builds it)" >&2; exit 2; }
done
if [[ -z ${NSP_PG_BINDIR:-} ]]; then
  if [[ -x /usr/lib/postgresql/15/bin/psql ]]; then NSP_PG_BINDIR=/usr/lib/postgresql/15/bin
  else NSP_PG_BINDIR=$(dirname "$(command -v psql)"); fi
fi
PSQL=$NSP_PG_BINDIR/psql PG_DUMP=$NSP_PG_BINDIR/pg_dump PG_RESTORE=$NSP_PG_BINDIR/pg_restore
export PGTZ=UTC PGCLIENTENCODING=UTF8
unset PGDATABASE PGHOST PGPORT PGUSER PGSERVICE PGOPTIONS

ncpu=$(nproc)
[[ -n $par ]] || par=$ncpu
if [[ $scale == full ]]; then
  BIG_ARGS=(--tables 6 --rows 400000 --indexes 4 --fks 2 --partitions 4)
  MANY_SIZES=(10 5000)
  [[ -n $rounds ]] || rounds=3
else
  BIG_ARGS=(--tables 3 --rows 20000 --indexes 4 --fks 2 --partitions 4)
  MANY_SIZES=(10 200)
fi
[[ -n $rounds ]] || rounds=1
MANY_MAX=${MANY_SIZES[-1]}
if [[ -z $wide_tables ]]; then
  if [[ $scale == full ]]; then wide_tables=5000; else wide_tables='200 800'; fi
fi
# Post-sync parallelism levels: 1, the default (nproc, at most 8) and 4; pg_restore -j the same.
mapfile -t LEVELS < <(printf '%s\n' 1 "$par" 4 | sort -n -u)

if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/nsp-bench.XXXXXX")
  trap 'rm -rf -- "$work"' EXIT
fi
mkdir -p "$work"
[[ -n $out ]] || out=$work/results.txt
RES=$work/results.tsv LOAD=
: >"$RES"

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
url_for() { printf 'postgresql:///%s?%s\n' "$1" "${NSP_PG_URL#*\?}"; }
q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$NSP_PG_URL" -c "$1"; }
createdb() { q "CREATE DATABASE \"$1\" TEMPLATE ${2:-template0} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" >/dev/null; }
dropdb() { q "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null 2>&1 || true; }
checkpoint() { q "CHECKPOINT" >/dev/null; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
schema_dump() {
  "$PG_DUMP" --schema-only -d "$(url_for "$1")" |
    grep -v -e '^--' -e '^[[:space:]]*$' -e '^\\restrict' -e '^\\unrestrict' || true
}
# record SECTION CONTENDER SECONDS STATUS NOTE
record() {
  local note=${5:-}
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${note//$'\t'/ }" "$LOAD" >>"$RES"
  log "$1 | $2: $3 s ($4) ${5:-}"
}
# Time a shell command line; sets T (seconds) and RC.
timed() {
  local t0 t1
  LOAD=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(now)
  bash -c "$1" >"$work/last.out" 2>"$work/last.err"
  RC=$?
  t1=$(now)
  T=$(elapsed "$t0" "$t1")
}
# nsp_bench's time: from its start until the hook returned (its `elapsed=`), not the writing of
# its reports after that (a 17 MB JSON response at 5 000 tables); replaces T when printed.
plugin_elapsed() {
  local e
  e=$(grep -m1 -o 'elapsed=[0-9.]*' "$work/last.out" 2>/dev/null || true)
  [[ -n $e ]] && T=${e#elapsed=}
  return 0
}
first_error() { grep -m1 -E 'ERROR|FATAL|error=' "$@" 2>/dev/null | sed -e 's/.*error=//' | cut -c1-160; }
parity() { # parity SRC DST -> "parity ok" / "schema differs"
  if diff -q <(schema_dump "$1") <(schema_dump "$2") >/dev/null; then echo "parity ok"; else echo "SCHEMA DIFFERS"; fi
}

# --- the machine -------------------------------------------------------------------------------
pgver=$(q "SHOW server_version")
locks=$(q "SHOW max_locks_per_transaction")
maxconn=$(q "SHOW max_connections")
shbuf=$(q "SHOW shared_buffers")
mwm=$(q "SHOW maintenance_work_mem")
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
# Where the server keeps its files: creating thousands of tables creates thousands of files.
datafs=$(q "SHOW data_directory" | xargs -r df -P -T 2>/dev/null | awk 'NR == 2 { print $2 " (" $7 ")" }')
[[ -n $datafs ]] || datafs=unknown
log "scale $scale; $ncpu cores ($cpu), $mem RAM; PostgreSQL $pgver, max_locks_per_transaction=$locks, max_connections=$maxconn, shared_buffers=$shbuf"
log "work directory $work; the server's data directory is on $datafs"

# --- 5. wide schemas (first when --wide-only; else last, below) ------------------------------------
run_wide() {
  "$HERE/wide.sh" --tables "$wide_tables" --parallelism "$par" --rounds "$rounds" --out "$work/wide.txt" \
    --work "$work/wide" >/dev/null
}
if ((wide_only)); then
  run_wide
  cp "$work/wide.txt" "$out"
  cat "$out"
  exit 0
fi

# --- 1. pre-sync -------------------------------------------------------------------------------
for n in "${MANY_SIZES[@]}"; do
  src=bench_many_src_$n
  dropdb "$src"; createdb "$src"
  log "generating $n small tables"
  "$HERE/gen.sh" many --tables "$n" --rows 10 --schema many |
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$(url_for "$src")" >/dev/null || { log "generator failed"; exit 1; }
  "$PSQL" -X -q -d "$(url_for "$src")" -c "VACUUM ANALYZE" >/dev/null
  sec="pre-sync, $n tables"
  for ((round = 1; round <= rounds; round++)); do
  d=bench_pre_a_$n; dropdb "$d"; createdb "$d"; checkpoint
  timed "'$PG_DUMP' --section=pre-data -d '$(url_for "$src")' | '$PSQL' -X -q -v ON_ERROR_STOP=1 -d '$(url_for "$d")'"
  if ((RC == 0)); then record "$sec" "pg_dump --section=pre-data | psql" "$T" ok
  else record "$sec" "pg_dump --section=pre-data | psql" "$T" FAILED "$(first_error "$work/last.err")"; fi
  dropdb "$d"

  d=bench_pre_b_$n; dropdb "$d"; createdb "$d"; checkpoint
  timed "'$PG_DUMP' --section=pre-data -d '$(url_for "$src")' | '$PSQL' -X -q -1 -v ON_ERROR_STOP=1 -d '$(url_for "$d")'"
  if ((RC == 0)); then record "$sec" "pg_dump --section=pre-data | psql -1" "$T" ok
  else record "$sec" "pg_dump --section=pre-data | psql -1" "$T" FAILED "$(first_error "$work/last.err")"; fi
  dropdb "$d"

  d=bench_pre_p_$n; dropdb "$d"; createdb "$d"; checkpoint
  timed "'$BENCH' rss '$work/pre_$n.rss' -- '$BENCH' pre --plugin '$PLUGIN' --source '$(url_for "$src")' --dest '$(url_for "$d")' --json '$work/pre_$n.json'"
  cp "$work/last.err" "$work/pre_$n.log" 2>/dev/null || true
  line=$(grep -m1 '^status=' "$work/last.out" || true)
  plugin_elapsed
  # Peak RSS when the hook returned (nsp_bench's rss_mb=), before it writes the JSON report;
  # else the whole process's.
  rss=$(grep -m1 -o 'rss_mb=[0-9]*' "$work/last.out" 2>/dev/null | cut -d= -f2 || true)
  [[ -n $rss ]] || rss=$(( $(cat "$work/pre_$n.rss" 2>/dev/null || echo 0) / 1024 ))
  if ((RC == 0)) && [[ $line == status=NSP_OK* ]]; then
    record "$sec" "plugin pre-sync" "$T" ok "in-hook ${line#*seconds=}; max RSS ${rss} MB"
  else
    record "$sec" "plugin pre-sync" "$T" FAILED "$(first_error "$work/last.out" "$work/last.err"); max RSS ${rss} MB"
  fi
  printf '%s\n' "$rss" >"$work/pre_rss_$n"
  dropdb "$d"
  done
done

# --- 2. post-sync on the big workload ----------------------------------------------------------
SRC=bench_big_src LOADED=bench_big_loaded
dropdb "$SRC"; createdb "$SRC"
log "generating the big workload: ${BIG_ARGS[*]}"
t0=$(now)
"$HERE/gen.sh" big "${BIG_ARGS[@]}" --schema bench |
  "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$(url_for "$SRC")" >/dev/null || { log "generator failed"; exit 1; }
"$PSQL" -X -q -At -d "$(url_for "$SRC")" -c "VACUUM ANALYZE" >/dev/null
log "generated in $(elapsed "$t0" "$(now)") s"
read -r tbl_bytes idx_bytes nrel < <("$PSQL" -X -At -F ' ' -d "$(url_for "$SRC")" -c "
  SELECT sum(pg_table_size(c.oid)) FILTER (WHERE c.relkind = 'r'),
         sum(pg_relation_size(c.oid)) FILTER (WHERE c.relkind = 'i'),
         count(*) FILTER (WHERE c.relkind IN ('r','p'))
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'bench'")
tbl_mb=$((tbl_bytes / 1048576)) idx_mb=$((idx_bytes / 1048576))
log "big workload: $nrel tables (incl. partitions and parent), ${tbl_mb} MB of tables, ${idx_mb} MB of indexes"

"$PG_DUMP" -Fc -Z0 -d "$(url_for "$SRC")" -f "$work/big.dump" || { log "pg_dump -Fc failed"; exit 1; }
dropdb "$LOADED"; createdb "$LOADED"
"$BENCH" pre --plugin "$PLUGIN" --source "$(url_for "$SRC")" --dest "$(url_for "$LOADED")" \
  --plan-out "$work/big.plan" --json "$work/big_pre.json" >"$work/big_pre.out" 2>&1
grep -q '^status=NSP_OK' "$work/big_pre.out" || { log "pre-sync of the big workload failed:"; cat "$work/big_pre.out" >&2; exit 1; }
"$PG_RESTORE" --section=data -d "$(url_for "$LOADED")" "$work/big.dump" || { log "pg_restore --section=data failed"; exit 1; }
"$PSQL" -X -q -d "$(url_for "$LOADED")" -c "VACUUM ANALYZE" >/dev/null
checkpoint
sec="post-sync, ${tbl_mb} MB"

copy_loaded() { dropdb "$1"; createdb "$1" "$LOADED"; checkpoint; }
# The server's log, to split pg_restore's time by statement (readable when we started the server).
SERVER_LOG=''
if [[ -n ${NSP_PG_DIR:-} ]]; then
  if [[ -f $NSP_PG_DIR/rundir ]]; then SERVER_LOG=$(<"$NSP_PG_DIR/rundir")/server.log; else SERVER_LOG=$NSP_PG_DIR/server.log; fi
  [[ -r $SERVER_LOG ]] || SERVER_LOG=''
fi
run_restore() {
  local j=$1 d=bench_big_restore_j$1 off=0
  copy_loaded "$d"
  [[ -n $SERVER_LOG ]] && off=$(stat -c %s "$SERVER_LOG")
  timed "PGOPTIONS='-c log_min_duration_statement=0' '$PG_RESTORE' --section=post-data -j $j -d '$(url_for "$d")' '$work/big.dump'"
  [[ -n $SERVER_LOG ]] && tail -c +"$((off + 1))" "$SERVER_LOG" >"$work/restore_j$j.log"
  if ((RC == 0)); then record "$sec" "pg_restore -j $j --section=post-data" "$T" ok "$( ((j == par)) && parity "$SRC" "$d")"
  else record "$sec" "pg_restore -j $j --section=post-data" "$T" FAILED "$(first_error "$work/last.err")"; fi
  dropdb "$d"
}
run_post() {
  local p=$1 d=bench_big_post_p$1
  copy_loaded "$d"
  timed "'$BENCH' post --plugin '$PLUGIN' --source '$(url_for "$SRC")' --dest '$(url_for "$d")' --plan '$work/big.plan' --options '{\"parallelism\": $p}' --json '$work/big_post_p$p.json'"
  local line
  line=$(grep -m1 '^status=' "$work/last.out" || true)
  plugin_elapsed
  if ((RC == 0)) && [[ $line == status=NSP_OK* ]]; then
    record "$sec" "plugin post-sync, parallelism $p" "$T" ok "$(parity "$SRC" "$d")"
  else
    record "$sec" "plugin post-sync, parallelism $p" "$T" FAILED "${line:-$(first_error "$work/last.err")}"
  fi
  dropdb "$d"
}
# Interleaved, so that no side always runs on a warmer cache; the order reverses every round.
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then order=("${LEVELS[@]}"); else mapfile -t order < <(printf '%s\n' "${LEVELS[@]}" | sort -n -r); fi
  for lvl in "${order[@]}"; do
    if ((round % 2)); then run_restore "$lvl"; run_post "$lvl"; else run_post "$lvl"; run_restore "$lvl"; fi
  done
done

# --- 3. whole job and memory -------------------------------------------------------------------
job_config() { # FILE SRC DST
  cat >"$1" <<JSON
{
  "jobId": "bench",
  "source":      {"postgres": {"url": "$(url_for "$2")"}},
  "destination": {"postgres": {"url": "$(url_for "$3")"}},
  "hydration": {"parallelism": $par},
  "hooks": [{"name": "schema", "enabled": true, "priority": 0,
             "plugin": {"path": "$PLUGIN", "options": {"parallelism": $par}}}]
}
JSON
}
whole_job() { # SECTION-LABEL SRC TAG
  local sec=$1 src=$2 tag=$3 d
  d=bench_job_a_$tag; dropdb "$d"; createdb "$d"; checkpoint
  timed "'$PG_DUMP' -d '$(url_for "$src")' | '$PSQL' -X -q -v ON_ERROR_STOP=1 -d '$(url_for "$d")'"
  if ((RC == 0)); then record "$sec" "pg_dump | psql (all sections)" "$T" ok
  else record "$sec" "pg_dump | psql (all sections)" "$T" FAILED "$(first_error "$work/last.err")"; fi
  dropdb "$d"

  d=bench_job_p_$tag; dropdb "$d"; createdb "$d"; checkpoint
  job_config "$work/job_$tag.json" "$src" "$d"
  # The text report, not --json: rendering every step's SQL as JSON (20 000 steps at 5 000
  # tables) takes more memory than the job itself, and the memory figure is the job's.
  timed "'$BENCH' rss '$work/job_$tag.rss' -- '$HOST_SIM' run --config '$work/job_$tag.json'"
  cp "$work/last.out" "$work/job_$tag.report.txt"
  local rss phases
  rss=$(( $(cat "$work/job_$tag.rss" 2>/dev/null || echo 0) / 1024 ))
  printf '%s\n' "$rss" >"$work/job_rss_$tag"
  phases=$(awk '/^Pre-sync$/ { s = "pre" } /^Hydration$/ { s = "hyd" } /^Post-sync$/ { s = "post" }
                / in [0-9.]+ s/ && s != "" { t = $0; sub(/.* in /, "", t); sub(/ s.*/, "", t); v[s] = t; s = "" }
                END { printf "hydration %s s; pre-sync %s s, post-sync %s s (the report)", v["hyd"], v["pre"], v["post"] }' \
            "$work/job_$tag.report.txt")
  if ((RC == 0)); then
    record "$sec" "neosync-host-sim run (whole job)" "$T" ok "$(parity "$src" "$d"); $phases; max RSS ${rss} MB"
  else
    local e
    e=$(first_error "$work/last.out" "$work/last.err" | cut -c1-200)
    record "$sec" "neosync-host-sim run (whole job)" "$T" FAILED "${e:-exit $RC}; max RSS ${rss} MB"
  fi
  dropdb "$d"
}
whole_job "whole job, ${tbl_mb} MB" "$SRC" big
whole_job "whole job, $MANY_MAX tables" "bench_many_src_$MANY_MAX" many

# --- 4. the table ------------------------------------------------------------------------------
# One row per (comparison, contender): the median of its rounds (of the successful ones; "FAILED"
# when any round failed), every value, the load averages, the last round's note.
AGG=$work/aggregate.tsv
awk -F'\t' '
  { k = $1 "\t" $2
    if (!(k in n)) { order[++nk] = k; st[k] = "ok" }
    n[k]++; vals[k] = vals[k] (n[k] > 1 ? " " : "") $3; loads[k] = loads[k] (n[k] > 1 ? " " : "") $6
    if ($4 == "ok") { ok[k]++; v[k, ok[k]] = $3 } else st[k] = "FAILED"
    note[k] = $5 }
  END {
    for (i = 1; i <= nk; i++) {
      k = order[i]; m = ok[k] + 0
      for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (v[k, b] + 0 < v[k, a] + 0) { t = v[k, a]; v[k, a] = v[k, b]; v[k, b] = t }
      if (m == 0) { split(vals[k], all, " "); med = all[1] }
      else if (m % 2) med = v[k, (m + 1) / 2]
      else med = sprintf("%.3f", (v[k, m / 2] + v[k, m / 2 + 1]) / 2)
      printf "%s\t%s\t%s\t%s\t%s\t%s\n", k, med, st[k], vals[k], loads[k], note[k]
    }
  }' "$RES" >"$AGG"
get() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s && $2 == c { print $3 "\t" $4; exit }' "$AGG"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
{
  echo "Benchmark ($scale scale), $(date -u +%Y-%m-%d)"
  echo "Machine: $ncpu cores ($cpu), $mem RAM; PostgreSQL $pgver (throwaway server: default settings but"
  echo "fsync/full_page_writes/synchronous_commit off; max_locks_per_transaction=$locks, shared_buffers=$shbuf,"
  echo "maintenance_work_mem=$mwm; data directory on $datafs); big workload: gen.sh big ${BIG_ARGS[*]} = ${tbl_mb} MB"
  echo "of tables, ${idx_mb} MB of indexes"
  echo
  echo "Seconds: the median of $rounds round(s) for pre-sync and post-sync (every value and the 1-minute load"
  echo "average at each start in the notes), one run for the whole jobs."
  echo
  printf '%-26s %-40s %9s  %s\n' "comparison" "contender" "seconds" "status / notes"
  printf '%-26s %-40s %9s  %s\n' "--------------------------" "----------------------------------------" "---------" "--------------"
  awk -F'\t' '{ printf "%-26s %-40s %9s  %s%s%s\n", $1, $2, $3, $4,
                 (index($5, " ") ? "; runs " $5 " (load " $6 ")" : "; load " $6), ($7 != "" ? "; " $7 : "") }' "$AGG"
  echo
  echo "Ratios (plugin / anchor; below 1 = the plugin is faster):"
  for n in "${MANY_SIZES[@]}"; do
    s="pre-sync, $n tables"
    IFS=$'\t' read -r tp sp < <(get "$s" "plugin pre-sync")
    IFS=$'\t' read -r ta sa < <(get "$s" "pg_dump --section=pre-data | psql")
    IFS=$'\t' read -r tb sb < <(get "$s" "pg_dump --section=pre-data | psql -1")
    printf '  %-26s plugin %s / psql (autocommit) %s = %s%s\n' "$s" "${tp}${sp:+ ($sp)}" "${ta}${sa:+ ($sa)}" \
      "$( [[ $sp == ok && $sa == ok ]] && ratio "$tp" "$ta" || echo n/a)" "$( [[ $n == 5000 ]] && echo '   (target <= 0.50)')"
    printf '  %-26s plugin %s / psql -1 %s = %s\n' "$s" "${tp}${sp:+ ($sp)}" "${tb}${sb:+ ($sb)}" \
      "$( [[ $sp == ok && $sb == ok ]] && ratio "$tp" "$tb" || echo 'n/a (a side failed)')"
  done
  s="post-sync, ${tbl_mb} MB"
  best='' bestj=''
  for lvl in "${LEVELS[@]}"; do
    IFS=$'\t' read -r t st < <(get "$s" "pg_restore -j $lvl --section=post-data")
    if [[ $st == ok ]] && { [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; }; then best=$t bestj=$lvl; fi
  done
  for lvl in "${LEVELS[@]}"; do
    IFS=$'\t' read -r tp sp < <(get "$s" "plugin post-sync, parallelism $lvl")
    IFS=$'\t' read -r tr sr < <(get "$s" "pg_restore -j $lvl --section=post-data")
    printf '  %-26s plugin p=%s %s / pg_restore -j %s %s = %s;  / fastest pg_restore (-j %s, %s) = %s%s\n' "$s" "$lvl" "$tp" \
      "$lvl" "$tr" "$( [[ $sp == ok && $sr == ok ]] && ratio "$tp" "$tr" || echo n/a)" "$bestj" "$best" \
      "$( [[ $sp == ok && -n $best ]] && ratio "$tp" "$best" || echo n/a)" "$( ((lvl == par)) && echo '   (target <= 0.70)')"
  done
  for s in "whole job, ${tbl_mb} MB" "whole job, $MANY_MAX tables"; do
    IFS=$'\t' read -r tp sp < <(get "$s" "neosync-host-sim run (whole job)")
    IFS=$'\t' read -r ta sa < <(get "$s" "pg_dump | psql (all sections)")
    printf '  %-26s host-sim %s (%s) / pg_dump | psql %s (%s) = %s\n' "$s" "$tp" "$sp" "$ta" "$sa" \
      "$( [[ $sp == ok && $sa == ok ]] && ratio "$tp" "$ta" || echo n/a)"
  done
  echo
  echo "Peak memory (max RSS): host-sim whole job at $MANY_MAX tables $(cat "$work/job_rss_many" 2>/dev/null) MB (target <= 200 MB),"
  echo "  pre-sync alone at $MANY_MAX tables $(cat "$work/pre_rss_$MANY_MAX" 2>/dev/null) MB (when the hook returned), host-sim whole job on the big workload"
  echo "  $(cat "$work/job_rss_big" 2>/dev/null) MB; the whole jobs print the text report (--json would add the JSON rendering of every step)"
} >"$out"

# --- 5. where the plugin's post-sync time goes ---------------------------------------------------
if [[ -f $work/big_post_p$par.json ]]; then
  {
    echo
    echo "Plugin post-sync at parallelism $par, per kind of step (sum of step durations; from the JSON response):"
    jq -r --slurpfile pre "$work/big_pre.json" '
      ($pre[0].plan.steps | map({key: (.id|tostring), value: .sql}) | from_entries) as $sql
      | [.results[] | . + {sql: ($sql[(.stepId|tostring)] // "")}]
      | map(. + {cat: (if (.sql|test("VALIDATE CONSTRAINT")) then "FK validate"
                       elif (.sql|test("FOREIGN KEY")) then "FK add NOT VALID"
                       elif (.sql|test("USING INDEX")) then "constraint USING INDEX"
                       elif (.sql|test("ATTACH PARTITION")) then "attach partition index"
                       elif (.sql|test("CREATE UNIQUE INDEX")) then "unique index build"
                       elif (.sql|test("CREATE INDEX .* ON ONLY")) then "partitioned parent index"
                       elif (.sql|test("CREATE INDEX")) then "index build"
                       elif (.sql|test("PRIMARY KEY")) then "primary key (ALTER TABLE)"
                       else "other" end)})
      | group_by(.cat)[]
      | "  \(.[0].cat | .[0:28] | . + (" " * (28 - length))) \(length | tostring | (" " * (4 - length)) + .) steps \((map((.durationUs // "0")|tonumber) | add / 1e6 * 1000 | round / 1000) | tostring) s"' \
      "$work/big_post_p$par.json"
    echo "  slowest steps:"
    jq -r '.results | sort_by(-((.durationUs // "0")|tonumber)) | .[0:10][] | "    \(((.durationUs // "0")|tonumber) / 1e6) s  \(.kind | sub("OBJECT_KIND_"; ""))  \(.identity)"' "$work/big_post_p$par.json"
    jq -r '"  sum of step durations \((.results | map((.durationUs // "0")|tonumber) | add) / 1e6) s over the hook'"'"'s \(((.summary.durationUs // "0")|tonumber) / 1e6) s wall = average concurrency \(((.results | map((.durationUs // "0")|tonumber) | add) / ((.summary.durationUs // "0")|tonumber)) * 100 | round / 100)"' "$work/big_post_p$par.json" 2>/dev/null || true
  } >>"$out"
fi
# --- 5b. where pg_restore's time goes (the server's statement log of its last -j par run) ---------
if [[ -s $work/restore_j$par.log ]]; then
  {
    echo
    echo "pg_restore -j $par --section=post-data, per kind of statement (sum of statement durations; server log):"
    awk '
      function flush() {
        if (ms == "") return
        c = "other"
        if (stmt ~ /VALIDATE CONSTRAINT/) c = "FK validate"
        else if (stmt ~ /FOREIGN KEY/) c = "FK add (validating)"
        else if (stmt ~ /ATTACH PARTITION/) c = "attach partition index"
        else if (stmt ~ /PRIMARY KEY|UNIQUE \(/ && stmt ~ /ADD CONSTRAINT/) c = "PK/unique (builds index)"
        else if (stmt ~ /CREATE (UNIQUE )?INDEX .* ON ONLY/) c = "partitioned parent index"
        else if (stmt ~ /CREATE (UNIQUE )?INDEX/) c = "index build"
        if (c == "other" && stmt ~ /^(SET|SELECT pg_catalog.set_config)/) c = "session settings"
        n[c]++; t[c] += ms; total += ms; ms = ""
      }
      / duration: [0-9.]+ ms +statement: / {
        flush()
        match($0, / duration: [0-9.]+ ms/); ms = substr($0, RSTART + 11, RLENGTH - 14) + 0
        sub(/.* statement: /, ""); stmt = $0; next }
      /^\t/ && ms != "" { stmt = stmt " " $0; next }
      { flush() }
      END { flush(); for (c in n) printf "  %-28s %4d statements %.3f s\n", c, n[c], t[c] / 1000
            printf "  sum of statement durations %.3f s\n", total / 1000 }' "$work/restore_j$par.log" | sort
  } >>"$out"
fi

# --- 6. where the plugin's pre-sync time goes ----------------------------------------------------
if [[ -f $work/pre_$MANY_MAX.json ]]; then
  {
    echo
    echo "Plugin pre-sync at $MANY_MAX tables: time in statements per kind of step (sum of step durations):"
    jq -r '[.results[] | {k: (.kind | sub("OBJECT_KIND_"; "")), d: ((.durationUs // "0") | tonumber)}]
           | group_by(.k)[] | "  \(.[0].k | . + (" " * (28 - length))) \(length | tostring | (" " * (5 - length)) + .) steps \(map(.d) | add / 1e6) s"' \
      "$work/pre_$MANY_MAX.json"
    # A step's duration runs from the previous marker of its connection to its own: with several
    # connections the sum exceeds the wall time.
    jq -r '([.results[] | (.durationUs // "0") | tonumber] | add / 1e6) as $st
           | (((.summary.durationUs // "0") | tonumber) / 1e6) as $wall
           | "  statements \($st) s, the hook \($wall) s: " +
             (if $st > $wall then "statements ran on several connections at once (average \($st / $wall * 100 | round / 100))"
              else "the rest is catalog reads, planning, the destination probe and round trips" end)' \
      "$work/pre_$MANY_MAX.json"
    grep -h -o 'pre-sync: [0-9]* transactions[^"]*' "$work/pre_$MANY_MAX.log" 2>/dev/null | head -n 1 | sed 's/^/  /' || true
  } >>"$out"
fi
run_wide
{ echo; cat "$work/wide.txt"; } >>"$out"
cat "$out"
cp "$RES" "${out%.txt}.tsv" 2>/dev/null || true

# --- cleanup -----------------------------------------------------------------------------------
for n in "${MANY_SIZES[@]}"; do dropdb "bench_many_src_$n"; done
dropdb "$SRC"; dropdb "$LOADED"

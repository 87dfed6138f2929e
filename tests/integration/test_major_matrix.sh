#!/usr/bin/env bash
# The version matrix (issue 13; docs/versions.md): whole jobs between servers of every major
# Debian packages, on every fixture each source major can load, one result table at the end.
#
# Pairs (source -> destination):
#   - every source <= destination among 13, 15, 17, 18 (10 pairs), and 18 -> 19, 13 -> 19 and
#     19 -> 19 (the release candidate): the destination must equal the oracle, the destination major's
#     own pg_dump of the source restored into an empty database of that major (both dumped with
#     it; for a same-major pair the source itself, as everywhere else), and hold the same rows;
#   - newer -> older, 19 -> 18, 18 -> 17, 17 -> 15 and 18 -> 13: every step the older server cannot hold is
#     reported (failed with the reason, or skipped naming what it needs), exactly as
#     tests/fixtures/versions/expected/FROM-TO.FIXTURE lists (no file: nothing reported), no
#     table that is reported exists on the destination, and every table that exists holds the
#     source's rows.
# Fixtures: pagila (../shared/fixtures schema + tests/fixtures/pagila rows), features
# (tests/fixtures/features/*.sql), pg18 (tests/fixtures/pg18: 18 and later), newer
# (tests/fixtures/versions/newer_features.sql: 17 and later) and the schema generator's seeds
# (tests/gen/schema_gen.py --no-acl-features; NSP_MATRIX_SEEDS, default "1 2 3"). A fixture that
# does not load on a source major is "n/a" there; tests/fixtures/versions/loads lists where each
# must load, so a fixture that stops loading fails the test instead of vanishing from it.
#
# One server per major serves every pair (the roots are made first, all at once); the cells run
# NSP_MATRIX_JOBS (default 2) at a time. Owners and privileges on (the oracle's restore has
# them). NSP_MATRIX_PAIRS ("FROM-TO ...") and NSP_MATRIX_FIXTURES narrow the run.
# Skipped, loudly, only when this machine cannot make the roots; a missing 19 (experimental no
# longer carries it) leaves its pairs out, loudly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"
source "$(dirname "$0")/major_lib.sh"

command -v python3 >/dev/null || nsp_skip "python3 is needed to read the JSON report"
versions_dir=$NSP_SOURCE_DIR/tests/fixtures/versions
pairs=(${NSP_MATRIX_PAIRS:-13-13 13-15 13-17 13-18 15-15 15-17 15-18 17-17 17-18 18-18 18-19 13-19 19-19 19-18 18-17 17-15 18-13})
seeds=(${NSP_MATRIX_SEEDS:-1 2 3})
fixtures=(${NSP_MATRIX_FIXTURES:-pagila features pg18 newer $(printf 'gen%s ' "${seeds[@]}")})
workers=${NSP_MATRIX_JOBS:-2}
work=$(nsp_tmpdir)
res=$work/results
mkdir -p "$res" "$work/fixtures"

# --- servers: one per major, roots made concurrently -----------------------------------------
declare -A needed=()
for p in "${pairs[@]}"; do needed[${p%-*}]=1; needed[${p#*-}]=1; done
for m in "${!needed[@]}"; do
  [[ $m == 15 ]] && continue
  ("$NSP_PG_MAJOR_SH" check "$m" >"$work/check-$m.log" 2>&1 && "$NSP_PG_MAJOR_SH" root "$m" >>"$work/check-$m.log" 2>&1;
   echo $? >"$work/root-$m.rc") &
done
wait
declare -A server=()
for m in $(printf '%s\n' "${!needed[@]}" | sort -n); do
  rc=0
  [[ $m == 15 ]] || rc=$(<"$work/root-$m.rc")
  if ((rc != 0)); then
    cat "$work/check-$m.log" >&2
    if [[ $m == 19 ]]; then
      _nsp_log "**********************************************************************"
      _nsp_log "NOT TESTED: PostgreSQL 19 (no root could be made; see above): its pairs are left out"
      _nsp_log "**********************************************************************"
      continue
    fi
    _nsp_loud_skip "no PostgreSQL $m root could be made here (see above)"
  fi
  server[$m]=$(nsp_major_server "$m")
done

# --- fixtures ---------------------------------------------------------------------------------
fixture_files() { # FIXTURE -> the files to load, in order
  case $1 in
    pagila) echo "$NSP_SHARED_FIXTURES/pagila/pagila-schema.sql $NSP_SOURCE_DIR/tests/fixtures/pagila/pagila-data.sql" ;;
    features) echo "$NSP_SOURCE_DIR"/tests/fixtures/features/*.sql ;;
    pg18) echo "$NSP_SOURCE_DIR/tests/fixtures/pg18/source.sql" ;;
    newer) echo "$versions_dir/newer_features.sql" ;;
    gen*) echo "$work/fixtures/$1.sql" ;;
  esac
}
for s in "${seeds[@]}"; do
  python3 "$NSP_SOURCE_DIR/tests/gen/schema_gen.py" --seed "$s" --no-acl-features -o "$work/fixtures/gen$s.sql"
done
[[ -d $NSP_SHARED_FIXTURES/pagila ]] || {
  _nsp_log "NOT TESTED: pagila (shared fixtures absent: $NSP_SHARED_FIXTURES)"
  fixtures=("${fixtures[@]/pagila/}")
}
# Roles the fixtures create exist on every server (they are the cluster's, not the database's).
roles=$work/roles.sql
cat $(for f in "${fixtures[@]}"; do [[ -n $f ]] && fixture_files "$f"; done) 2>/dev/null |
  grep '^DO \$\$ BEGIN CREATE ROLE' >"$roles" || true
for m in "${!server[@]}"; do nsp_psql "${server[$m]}" -f "$roles" >/dev/null; done

# Where each fixture must load (one line per fixture: NAME MAJORS...); gen seeds: everywhere.
must_load() { # FIXTURE MAJOR
  local line
  line=$(grep -E "^$1 " "$versions_dir/loads" || true)
  [[ -z $line && $1 == gen* ]] && line=$(grep -E '^gen ' "$versions_dir/loads" || true)
  [[ " ${line#* } " == *" $2 "* ]]
}

# Load every fixture into a database of every source major (concurrently per major).
declare -A is_source=()
for p in "${pairs[@]}"; do [[ -n ${server[${p%-*}]:-} ]] && is_source[${p%-*}]=1; done
load_all() { # MAJOR
  local m=$1 f db file ok
  for f in "${fixtures[@]}"; do
    [[ -n $f ]] || continue
    db=$(nsp_major_createdb "${server[$m]}" "m_${f}_src$m")
    ok=1
    for file in $(fixture_files "$f"); do
      nsp_major_tool "$m" psql -X -q -v ON_ERROR_STOP=1 -d "$db" <"$file" >/dev/null 2>>"$res/load-$m-$f.err" || { ok=0; break; }
    done
    if ((ok)); then
      echo "$db" >"$res/src-$m-$f.url"
    elif must_load "$f" "$m"; then
      echo "FAIL: does not load on $m: $(tail -n 3 "$res/load-$m-$f.err" | tr '\n' ' ')" >"$res/load-$m-$f.fail"
    fi
  done
}
for m in "${!is_source[@]}"; do load_all "$m" & done
wait
load_fail=0
for f in "$res"/load-*.fail; do [[ -e $f ]] && { _nsp_log "$(basename "$f" .fail): $(<"$f")"; load_fail=1; }; done

# --- one cell: a job FROM -> TO on FIXTURE ------------------------------------------------------
# The steps a job did not apply, one per line: STATUS PHASE IDENTITY: MESSAGE (step numbers
# replaced by #: they follow the plan's order, which is not what is asserted).
reported() { # JSON-REPORT
  python3 - "$1" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
out = []
def walk(x):
    if isinstance(x, dict):
        if "identity" in x and "status" in x and x["status"] not in ("STEP_STATUS_APPLIED", "STEP_STATUS_UNCHANGED"):
            msg = re.sub(r"step \d+", "step #", x.get("message", ""))
            out.append("%s %s %s: %s" % (x["status"].replace("STEP_STATUS_", ""),
                                          x.get("phase", "").replace("PHASE_", ""), x["identity"], msg))
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(doc)
if out:
    print("\n".join(sorted(set(out))))
PY
}

cell() { # FROM TO FIXTURE: writes $res/cell-FROM-TO-FIXTURE (the table's text) and .log
  local from=$1 to=$2 f=$3 out=$res/cell-$1-$2-$3 src dst dir oracle expected n
  exec 2>"$out.log"
  if [[ ! -f $res/src-$from-$f.url ]]; then
    if [[ -f $res/load-$from-$f.fail ]]; then echo "FAIL (load)" >"$out"; else echo "n/a" >"$out"; fi
    return
  fi
  src=$(<"$res/src-$from-$f.url")
  dir=$(mktemp -d "$work/cell.XXXXXX")
  dst=$(nsp_major_createdb "${server[$to]}" "m_${f}_${from}_to$to") || { echo "FAIL (createdb)" >"$out"; return; }
  nsp_job_config "$dir/job.json" "$src" "$dst" '{"parallelism": 2, "owners": true, "acls": true}'
  NSP_HYDRATION_PARALLELISM=2 nsp_run_job "$dir/job.json" --json
  cp "$NSP_JOB_LOG" "$out.job"
  sed -n '/^{/,$p' "$NSP_JOB_LOG" >"$dir/report.json"
  reported "$dir/report.json" >"$dir/reported" 2>>"$out.log" || { echo "FAIL (no report)" >"$out"; return; }
  if ((from <= to)); then
    if [[ $NSP_JOB_STATUS -ne 0 ]]; then
      cat "$dir/reported" >&2
      echo "FAIL (job exit $NSP_JOB_STATUS, $(grep -c . <"$dir/reported") steps not applied)" >"$out"; return
    fi
    # Same major: the source itself is the oracle (DESIGN.md §6); a restore of its dump may
    # differ from it (15.18 restores operator links the source lacks).
    oracle=$src
    if ((from != to)); then
      oracle=$(nsp_major_oracle "$to" "$src" "${server[$to]}") || { echo "FAIL (oracle does not restore)" >"$out"; return; }
    fi
    local same=identical
    if ! ( nsp_major_assert_parity "$to" "$oracle" "$dst" "$from -> $to $f (oracle: pg_dump $to of the source, restored)" ); then
      # The restore itself may differ from the source where PostgreSQL's own behaviour changed
      # between releases (a shell operator's links: test_operator_links.sh); then each place
      # where the destination differs from the oracle must be like the source there.
      nsp_major_schema_dump "$to" "$oracle" >"$dir/oracle.schema"
      nsp_major_schema_dump "$to" "$dst" >"$dir/dst.schema"
      nsp_major_schema_dump "$to" "$src" >"$dir/src.schema"
      python3 "$NSP_SOURCE_DIR/tests/integration/oracle_or_source.py" "$dir/oracle.schema" \
        "$dir/dst.schema" "$dir/src.schema" >&2 ||
        { echo "FAIL (schema differs from the oracle, not like the source)" >"$out"; return; }
      same="identical*"
    fi
    ( nsp_major_assert_data "$src" "$dst" "$from -> $to $f" ) || { echo "FAIL (data differ)" >"$out"; return; }
    echo "$same" >"$out"
    return
  fi
  # Newer -> older: exactly the expected steps reported.
  expected=$versions_dir/expected/$from-$to.$f
  [[ -f $expected ]] || expected=/dev/null
  if ! diff -u "$expected" "$dir/reported" >&2; then
    cp "$dir/reported" "$out.reported"
    echo "FAIL (reported steps differ from expected/$from-$to.$f)" >"$out"; return
  fi
  # No reported table exists on the destination; every table there holds the source's rows.
  nsp_data_checksums "$src" >"$dir/src.data"
  nsp_data_checksums "$dst" >"$dir/dst.data"
  local t
  while read -r t; do
    grep -q "^table $t " "$dir/dst.data" && { echo "FAIL (reported table $t exists)" >"$out"; return; }
  done < <(sed -n 's/^[A-Z]* PRE_SYNC \([^ ]*\): .*/\1/p' "$dir/reported")
  grep -F -x -f "$dir/dst.data" "$dir/src.data" >"$dir/src-held.data" || true
  if ! diff -u "$dir/src-held.data" "$dir/dst.data" >&2; then
    echo "FAIL (data of the tables held differ)" >"$out"; return
  fi
  cp "$dir/reported" "$out.reported"
  n=$(grep -c . <"$dir/reported" || true)
  if ((n == 0)); then echo "identical" >"$out"; else echo "$n reported" >"$out"; fi
}

# --- run the cells, NSP_MATRIX_JOBS at a time ----------------------------------------------------
start=$SECONDS
for p in "${pairs[@]}"; do
  from=${p%-*} to=${p#*-}
  [[ -n ${server[$from]:-} && -n ${server[$to]:-} ]] || continue
  for f in "${fixtures[@]}"; do
    [[ -n $f ]] || continue
    while (($(jobs -rp | wc -l) >= workers)); do wait -n || true; done
    cell "$from" "$to" "$f" &
  done
done
wait

# --- the table ----------------------------------------------------------------------------------
failed=$load_fail
{
  printf '\nVersion matrix (source -> destination x fixture; %d s):\n' $((SECONDS - start))
  printf '%-9s' "pair"
  for f in "${fixtures[@]}"; do [[ -n $f ]] && printf ' | %-12s' "$f"; done
  printf '\n'
  for p in "${pairs[@]}"; do
    from=${p%-*} to=${p#*-}
    [[ -n ${server[$from]:-} && -n ${server[$to]:-} ]] || continue
    printf '%-9s' "$from -> $to"
    for f in "${fixtures[@]}"; do
      [[ -n $f ]] || continue
      c=$(cat "$res/cell-$from-$to-$f" 2>/dev/null || echo "FAIL (no result)")
      printf ' | %-12s' "${c%% (*}"
    done
    printf '\n'
  done
  printf 'identical: equal to the oracle (pg_dump of the destination major, restored) and the same rows\n'
  printf 'identical*: equal to the oracle but where the oracle differs from the source itself (a\n'
  printf '            PostgreSQL behaviour of one release); there, like the source (oracle_or_source.py)\n'
  printf 'N reported: newer -> older, exactly the steps tests/fixtures/versions/expected lists; the rest copied\n'
  printf 'n/a: the fixture does not load on the source major\n'
} | tee "$work/table.txt" >&2
[[ -n ${NSP_MATRIX_TABLE:-} ]] && cp "$work/table.txt" "$NSP_MATRIX_TABLE"
# Every cell's log, job output and (newer -> older) reported steps, for a closer look.
[[ -n ${NSP_MATRIX_KEEP:-} ]] && mkdir -p "$NSP_MATRIX_KEEP" && cp -r "$res"/. "$NSP_MATRIX_KEEP"/
for c in "$res"/cell-*; do
  [[ $(basename "$c") == *.* ]] && continue
  if [[ $(<"$c") == FAIL* ]]; then
    failed=1
    _nsp_log "$(basename "$c"): $(<"$c")"
    sed -n '1,80p' "$c.log" >&2
    [[ -f $c.reported ]] && { _nsp_log "reported:"; cat "$c.reported" >&2; }
  fi
done
((failed == 0)) || nsp_fail "the version matrix has failing cells (above)"
_nsp_log "ok: every cell of the version matrix as expected"

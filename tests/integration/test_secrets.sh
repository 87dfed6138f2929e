#!/usr/bin/env bash
# No password and no full connection string in any output (issue 7). This test's own server
# (scripts/pg-throwaway.sh --tcp) requires scram-sha-256 over TCP, logs every connection with its
# application_name and every statement that fails. The job's URLs carry a known password (the
# source as a URL, the destination as key=value conninfo). Runs:
#   a successful job (run, run --json), plan --out, pre-sync --plan-out + post-sync --plan;
#   failures: a wrong password (itself a secret), an unreachable host, a failing post-sync step
#   (a unique index over duplicate rows), a job config with a syntax error.
# Everything each run writes is searched: stdout, stderr, the JSON report, the plan files, the
# server's log (which shows the application_name of every connection). Neither password nor
# either full connection string may appear; the redacted form (host, port, dbname) may.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

dir=$(nsp_tmpdir)
secret='Sekr1t-9f3a-pw'
wrong='Wr0ng-77c1-pw'
pgdir=$dir/pg
NSP_PG_QUIET=1 bash "$NSP_SOURCE_DIR/scripts/pg-throwaway.sh" start --tcp "$pgdir" >/dev/null
nsp_on_exit "NSP_PG_QUIET=1 bash '$NSP_SOURCE_DIR/scripts/pg-throwaway.sh' stop '$pgdir'"
# shellcheck disable=SC1091
source "$pgdir/env"
own=$NSP_PG_URL
hba=$(nsp_query "$own" "SHOW hba_file")
{ echo "host all all 127.0.0.1/32 scram-sha-256"; cat "$hba"; } >"$dir/hba" && cat "$dir/hba" >"$hba"
nsp_psql "$own" >/dev/null <<SQL
ALTER SYSTEM SET log_connections = on;
ALTER SYSTEM SET log_line_prefix = '%m [%p] app=%a user=%u db=%d ';
ALTER SYSTEM SET log_min_error_statement = error;
SELECT pg_reload_conf();
CREATE ROLE app LOGIN SUPERUSER PASSWORD '$secret';
CREATE DATABASE src;
CREATE DATABASE dst;
CREATE DATABASE dst_fail;
SQL
local_url() { printf 'postgresql:///%s?host=%s&port=%s&user=postgres' "$1" "$NSP_PG_HOST" "$NSP_PG_PORT"; }
nsp_psql "$(local_url src)" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null
nsp_psql "$(local_url src)" -c "CREATE TABLE public.dup (id int PRIMARY KEY)" -c "INSERT INTO public.dup VALUES (1)" >/dev/null
nsp_psql "$(local_url dst_fail)" -c "CREATE TABLE public.dup (id int NOT NULL)" -c "INSERT INTO public.dup VALUES (1)" >/dev/null

src_url="postgresql://app:$secret@127.0.0.1:$NSP_PG_PORT/src?sslmode=disable"
dst_url="host=127.0.0.1 port=$NSP_PG_PORT dbname=dst user=app password=$secret"
outs=$dir/outputs
mkdir -p "$outs"

# run NAME ARGS...: neosync-host-sim ARGS, stdout and stderr kept apart in $outs
run() {
  local name=$1; shift
  set +e
  "$NSP_HOST_SIM" "$@" >"$outs/$name.stdout" 2>"$outs/$name.stderr"
  echo $? >"$outs/$name.status"
  set -e
  _nsp_log "$name: exit $(<"$outs/$name.status")"
}
status_of() { cat "$outs/$1.status"; }

nsp_job_config "$dir/ok.json" "$src_url" "$dst_url"
run ok run --config "$dir/ok.json"
[[ $(status_of ok) == 0 ]] || { cat "$outs/ok.stderr" >&2; nsp_fail "the good job failed"; }
nsp_psql "$(local_url postgres)" -c "DROP DATABASE dst WITH (FORCE)" -c "CREATE DATABASE dst" >/dev/null
run ok-json run --config "$dir/ok.json" --json
[[ $(status_of ok-json) == 0 ]] || nsp_fail "the good job (--json) failed"
run plan plan --config "$dir/ok.json" --out "$outs/plan-dir"
nsp_psql "$(local_url postgres)" -c "DROP DATABASE dst WITH (FORCE)" -c "CREATE DATABASE dst" >/dev/null
run pre pre-sync --config "$dir/ok.json" --plan-out "$outs/plan.bin" --hydrate --json
run post post-sync --config "$dir/ok.json" --plan "$outs/plan.bin" --json
[[ $(status_of post) == 0 ]] || nsp_fail "pre-sync + post-sync failed"

nsp_job_config "$dir/wrong.json" "postgresql://app:$wrong@127.0.0.1:$NSP_PG_PORT/src" "$dst_url"
run wrong-password run --config "$dir/wrong.json" --json
[[ $(status_of wrong-password) == 1 ]] || nsp_fail "wrong password: not a fatal error"
grep -q 'password authentication failed' "$outs/wrong-password.stderr" || nsp_fail "wrong password: not said"

closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo 1)
nsp_job_config "$dir/unreachable.json" "$src_url" "host=127.0.0.1 port=$closed dbname=dst user=app password=$secret"
run unreachable run --config "$dir/unreachable.json"
[[ $(status_of unreachable) == 1 ]] || nsp_fail "unreachable: not a fatal error"

nsp_job_config "$dir/fail.json" "$src_url" "host=127.0.0.1 port=$NSP_PG_PORT dbname=dst_fail user=app password=$secret" \
  '{"onExisting": "ON_EXISTING_SKIP", "connectTimeoutS": 5}'
run failed-step run --config "$dir/fail.json" --json
[[ $(status_of failed-step) == 2 ]] || { cat "$outs/failed-step.stderr" >&2; nsp_fail "failing step: exit $(status_of failed-step), expected 2"; }
grep -q '23505' "$outs/failed-step.stdout" || nsp_fail "failing step: no 23505 in the report"

printf '{"jobId": "x", "source": {"postgres": {"url": "%s"}}, ' "$src_url" >"$dir/syntax.json"
run syntax run --config "$dir/syntax.json"
[[ $(status_of syntax) == 1 ]] || nsp_fail "syntax error: not a fatal error"

# --- search everything --------------------------------------------------------------------------
cp "$(nsp_query "$own" "SELECT current_setting('data_directory') || '/../server.log'")" "$outs/server.log" 2>/dev/null ||
  cp "$pgdir"/server.log "$outs/server.log" 2>/dev/null || cp "$(dirname "$(readlink -f "$pgdir/data")")/server.log" "$outs/server.log"
[[ -s $outs/server.log ]] || nsp_fail "no server log to search"
grep -q 'app=neosync-schema-plugin' "$outs/server.log" || nsp_fail "the server log does not show the plugin's application_name"
found=0
for needle in "$secret" "$wrong" "$src_url" "$dst_url" "app:$secret" "password=$secret"; do
  if grep -rlF -- "$needle" "$outs" >/dev/null; then
    _nsp_log "FOUND a secret ($needle) in: $(grep -rlF -- "$needle" "$outs" | tr '\n' ' ')"
    grep -rhF -- "$needle" "$outs" | head -n 3 >&2
    found=1
  fi
done
((found == 0)) || nsp_fail "a password or a connection string appears in the outputs"
files=$(find "$outs" -type f | wc -l)
_nsp_log "ok: no password or connection string in $files output files (stdout, stderr, JSON, plan files, server log)"
_nsp_log "PASS"

#!/usr/bin/env bash
# The host's logs as JSON lines (NSP_LOG_FORMAT=json), one object per line with time, level,
# msg, job_id, run_id and hook, like a Go worker's structured logs; no secrets in them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

src=$(nsp_createdb jsonlog_src)
dst=$(nsp_createdb jsonlog_dst)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/demo/source.sql" >/dev/null
dir=$(nsp_tmpdir)
nsp_job_config "$dir/job.json" "$src" "$dst"
NSP_LOG_FORMAT=json "$NSP_HOST_SIM" run --config "$dir/job.json" >"$dir/report.txt" 2>"$dir/log.jsonl" ||
  { cat "$dir/log.jsonl" >&2; nsp_fail "job failed"; }
lines=$(grep -c . "$dir/log.jsonl")
[[ $lines -ge 4 ]] || nsp_fail "only $lines log lines"
pattern='^\{"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z","level":"(debug|info|warning|error)","msg":".*","job_id":"[^"]+","run_id":"[0-9a-f]{32}","hook":"[^"]+"\}$'
bad=$(grep -Evc "$pattern" "$dir/log.jsonl" || true)
[[ $bad -eq 0 ]] || { grep -Ev "$pattern" "$dir/log.jsonl" | head >&2; nsp_fail "$bad log lines are not JSON objects of the expected shape"; }
grep -q '"hook":"schema"' "$dir/log.jsonl" || nsp_fail "no line from the plugin's hook"
grep -q '"hook":"host"' "$dir/log.jsonl" || nsp_fail "no line from the host"
grep -q "\"job_id\":\"$NSP_TEST_NAME\"" "$dir/log.jsonl" || nsp_fail "lines do not carry the job id"
_nsp_log "ok: $lines JSON log lines"

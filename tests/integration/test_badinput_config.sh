#!/usr/bin/env bash
# Bad job configs (issue 7): a missing file, an empty file, invalid JSON, an unknown option value,
# an invalid connection string, a wrong type, an unknown field. Each: exit status 1, one clear
# error on stderr that names the file (and line:column or field) and what to do, no password from
# a URL in any output, and nothing created on the destination.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

src=$(nsp_createdb bad_cfg_src)
dst=$(nsp_createdb bad_cfg_dst)
nsp_psql "$src" -c "CREATE TABLE public.t (id int PRIMARY KEY)"
dir=$(nsp_tmpdir)
secret='cfg-S3cr3t-pw'

# run_bad NAME EXPECTED-REGEX: run the config $dir/NAME.json, expect exit 1 and the message.
run_bad() {
  local name=$1 want=$2 out
  set +e
  out=$("$NSP_HOST_SIM" run --config "$dir/$name.json" 2>&1)
  local rc=$?
  set -e
  [[ $rc -eq 1 ]] || { printf '%s\n' "$out" >&2; nsp_fail "$name: exit $rc, expected 1"; }
  grep -Eq -- "$want" <<<"$out" || { printf '%s\n' "$out" >&2; nsp_fail "$name: no message matching /$want/"; }
  ! grep -q -- "$secret" <<<"$out" || nsp_fail "$name: the password appears in the output"
  [[ $(nsp_query "$dst" "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") == 0 ]] ||
    nsp_fail "$name: something was created on the destination"
  _nsp_log "ok: $name -> $(grep -E -- "$want" <<<"$out" | head -n 1)"
}

set +e
out=$("$NSP_HOST_SIM" run --config "$dir/missing.json" 2>&1); rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q 'missing.json' <<<"$out" || nsp_fail "missing config: exit $rc: $out"

: >"$dir/empty.json"
run_bad empty 'empty.json'

printf '{\n  "jobId": "x",\n  "source": {"postgres": {"url": "%s&password=%s"}},\n  "destination": \n' "$src" "$secret" >"$dir/truncated.json"
run_bad truncated 'truncated.json:[0-9]+:[0-9]+:.*(incomplete|end of input)'

printf '{ "jobId": "x", }' >"$dir/syntax.json"
run_bad syntax 'syntax.json:1:[0-9]+:'

nsp_job_config "$dir/enum.json" "$src&password=$secret" "$dst&password=$secret" '{"onExisting": "ON_EXISTING_SOMETIMES"}'
run_bad enum 'enum.json:[0-9]+:[0-9]+:.*ON_EXISTING_SOMETIMES.*onExisting|onExisting.*ON_EXISTING_SOMETIMES'

nsp_job_config "$dir/enumnum.json" "$src" "$dst" '{"fkMode": 17}'
run_bad enumnum 'fkMode'

nsp_job_config "$dir/badurl.json" "postgresql://app:$secret@[::1/db" "$dst"
run_bad badurl 'source.*(invalid|connection string)'

nsp_job_config "$dir/badurl_dst.json" "$src" "host=/tmp port=notaport password=$secret"
run_bad badurl_dst 'destination'

nsp_job_config "$dir/wrongtype.json" "$src" "$dst" '{"parallelism": "many"}'
run_bad wrongtype 'wrongtype.json:[0-9]+:[0-9]+:.*parallelism'

nsp_job_config "$dir/typo.json" "$src" "$dst" '{"onExsting": "ON_EXISTING_SKIP"}'
run_bad typo 'typo.json:[0-9]+:[0-9]+:.*onExsting'

_nsp_log "PASS"

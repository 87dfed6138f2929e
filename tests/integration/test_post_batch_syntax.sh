#!/usr/bin/env bash
# An error in one post-sync step that shares a round trip with others (cheap steps on empty
# tables go up to 100 per query string, each in its own transaction, applied when its COMMIT
# comes back: apply_post.c). Only the faulty step may be reported failed, with its own error;
# the steps batched with it apply, and a re-run of post-sync with the corrected plan converges.
# Two errors, each on its own destination:
#  - a syntax error (a dangling WHERE): the server parses the whole string before it runs any of
#    it, so the error names no step;
#  - an error raised while the statement runs (an unknown column, 42703), after the steps before
#    it in the string committed: neither one of those nor one after it may be blamed.
# The plan is edited as a user could (unsigned, no NEOSYNC_PLAN_KEY): protoc's text format, one
# index statement changed, encoded again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

unset NEOSYNC_PLAN_KEY NEOSYNC_PLAN_KEY_FILE
command -v protoc >/dev/null || nsp_fail "protoc is missing (scripts/install-deps.sh installs protobuf-compiler)"
proto_dir=$NSP_SOURCE_DIR/proto
dir=$(nsp_tmpdir)
src=$(nsp_createdb batch_syntax_src)
nsp_psql "$src" >/dev/null <<'SQL'
CREATE TABLE public.t1 (id int, v int);
CREATE TABLE public.t2 (id int, v int);
CREATE TABLE public.t3 (id int, v int);
CREATE TABLE public.t4 (id int, v int);
CREATE TABLE public.t5 (id int, v int);
CREATE INDEX t1_v ON public.t1 (v);
CREATE INDEX t2_v ON public.t2 (v);
CREATE INDEX t3_v ON public.t3 (v);
CREATE INDEX t4_v ON public.t4 (v);
CREATE INDEX t5_v ON public.t5 (v);
COMMENT ON TABLE public.t1 IS 'one';
COMMENT ON TABLE public.t5 IS 'five';
SQL

plan_text() { protoc -I "$proto_dir" --decode=neosync.plugin.v1.Plan neosync/plugin/v1/plan.proto <"$1"; }
plan_bin() { protoc -I "$proto_dir" --encode=neosync.plugin.v1.Plan neosync/plugin/v1/plan.proto >"$1"; }

# check_faulty_step NAME SED_REPLACEMENT SQLSTATE MESSAGE: pre-sync into a new destination, then
# post-sync with index t3_v's statement replaced by SED_REPLACEMENT (& = the statement as it was).
check_faulty_step() {
  local name=$1 replacement=$2 state=$3 message=$4
  local dst; dst=$(nsp_createdb "batch_${name}_dst")
  nsp_job_config "$dir/$name.json" "$src" "$dst" '{"parallelism": 1}'
  "$NSP_HOST_SIM" pre-sync --config "$dir/$name.json" --plan-out "$dir/$name.bin" --hydrate >"$dir/$name.pre.log" 2>&1 ||
    { cat "$dir/$name.pre.log" >&2; nsp_fail "$name: pre-sync failed"; }
  plan_text "$dir/$name.bin" >"$dir/$name.txt" || nsp_fail "protoc cannot decode the plan"
  grep -q 'CREATE INDEX t3_v ON public.t3 USING btree (v)' "$dir/$name.txt" ||
    nsp_fail "the plan has no statement for index t3_v"
  sed "s/CREATE INDEX t3_v ON public.t3 USING btree (v)/$replacement/" "$dir/$name.txt" | plan_bin "$dir/$name.bad.bin" ||
    nsp_fail "protoc cannot encode the edited plan"

  local status=0
  "$NSP_HOST_SIM" post-sync --config "$dir/$name.json" --plan "$dir/$name.bad.bin" >"$dir/$name.post.log" 2>&1 || status=$?
  [[ $status -eq 2 ]] || { cat "$dir/$name.post.log" >&2; nsp_fail "$name: post-sync exit status $status, expected 2 (a step failed)"; }
  grep -E '^ +failed ' "$dir/$name.post.log" >"$dir/$name.failed.txt" || true
  [[ $(wc -l <"$dir/$name.failed.txt") -eq 1 ]] && grep -q "t3_v .*\[$state\]: $message" "$dir/$name.failed.txt" ||
    { cat "$dir/$name.post.log" >&2; nsp_fail "$name: expected exactly the index t3_v failed with $state, got: $(cat "$dir/$name.failed.txt")"; }
  local indexes; indexes=$(nsp_query "$dst" "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'")
  [[ $indexes == t1_v,t2_v,t4_v,t5_v ]] || nsp_fail "$name: indexes on the destination: $indexes (expected t1_v,t2_v,t4_v,t5_v)"
  local comments; comments=$(nsp_query "$dst" "SELECT count(*) FROM pg_description WHERE objoid IN ('public.t1'::regclass, 'public.t5'::regclass)")
  [[ $comments == 2 ]] || nsp_fail "$name: the comments batched with the faulty step were not applied ($comments of 2)"
  _nsp_log "ok ($name): the error of a batched post-sync step is that step's alone; the steps batched with it applied"

  "$NSP_HOST_SIM" post-sync --config "$dir/$name.json" --plan "$dir/$name.bin" >"$dir/$name.post2.log" 2>&1 ||
    { cat "$dir/$name.post2.log" >&2; nsp_fail "$name: post-sync with the plan as it was failed"; }
  nsp_assert_parity "$src" "$dst" "$name: after post-sync again with the plan as it was"
}

check_faulty_step syntax '& WHERE' 42601 'syntax error'
check_faulty_step runtime 'CREATE INDEX t3_v ON public.t3 USING btree (nope)' 42703 'column "nope" does not exist'

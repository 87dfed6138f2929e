#!/usr/bin/env bash
# A syntax error in one post-sync step that shares a round trip with others (cheap steps on
# empty tables go up to 100 per query string, apply_post.c): the server parses the whole string
# before it runs any of it, so the error names no step. Only the faulty step may be reported
# failed, with its own error; the steps batched with it apply, and a re-run of post-sync with
# the corrected plan converges.
# The plan is edited as a user could (unsigned, no NEOSYNC_PLAN_KEY): protoc's text format, one
# index statement made invalid (a dangling WHERE), encoded again.
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

dst=$(nsp_createdb batch_syntax_dst)
nsp_job_config "$dir/job.json" "$src" "$dst" '{"parallelism": 1}'
"$NSP_HOST_SIM" pre-sync --config "$dir/job.json" --plan-out "$dir/plan.bin" --hydrate >"$dir/pre.log" 2>&1 ||
  { cat "$dir/pre.log" >&2; nsp_fail "pre-sync failed"; }

plan_text() { protoc -I "$proto_dir" --decode=neosync.plugin.v1.Plan neosync/plugin/v1/plan.proto <"$1"; }
plan_bin() { protoc -I "$proto_dir" --encode=neosync.plugin.v1.Plan neosync/plugin/v1/plan.proto >"$1"; }
plan_text "$dir/plan.bin" >"$dir/plan.txt" || nsp_fail "protoc cannot decode the plan"
grep -q 'CREATE INDEX t3_v ON public.t3 USING btree (v)' "$dir/plan.txt" ||
  nsp_fail "the plan has no statement for index t3_v"
sed 's/CREATE INDEX t3_v ON public.t3 USING btree (v)/& WHERE/' "$dir/plan.txt" | plan_bin "$dir/bad.bin" ||
  nsp_fail "protoc cannot encode the edited plan"

status=0
"$NSP_HOST_SIM" post-sync --config "$dir/job.json" --plan "$dir/bad.bin" >"$dir/post.log" 2>&1 || status=$?
[[ $status -eq 2 ]] || { cat "$dir/post.log" >&2; nsp_fail "post-sync exit status $status, expected 2 (a step failed)"; }
grep -E '^ +failed ' "$dir/post.log" >"$dir/failed.txt" || true
[[ $(wc -l <"$dir/failed.txt") -eq 1 ]] && grep -q 't3_v .*\[42601\]: syntax error' "$dir/failed.txt" ||
  { cat "$dir/post.log" >&2; nsp_fail "expected exactly the index t3_v failed with 42601, got: $(cat "$dir/failed.txt")"; }
indexes=$(nsp_query "$dst" "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'")
[[ $indexes == t1_v,t2_v,t4_v,t5_v ]] || nsp_fail "indexes on the destination: $indexes (expected t1_v,t2_v,t4_v,t5_v)"
comments=$(nsp_query "$dst" "SELECT count(*) FROM pg_description WHERE objoid IN ('public.t1'::regclass, 'public.t5'::regclass)")
[[ $comments == 2 ]] || nsp_fail "the comments batched with the faulty step were not applied ($comments of 2)"
_nsp_log "ok: a syntax error in a batched post-sync step is that step's alone; the steps batched with it applied"

"$NSP_HOST_SIM" post-sync --config "$dir/job.json" --plan "$dir/plan.bin" >"$dir/post2.log" 2>&1 ||
  { cat "$dir/post2.log" >&2; nsp_fail "post-sync with the plan as it was failed"; }
nsp_assert_parity "$src" "$dst" "after post-sync again with the plan as it was"

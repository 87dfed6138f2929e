#!/usr/bin/env bash
# onExisting "strip" when a view depends on a primary key (GROUP BY the key, other columns of
# the table selected: tests/fixtures/realworld/repro/strip_view_depends_on_key.sql, the shape of
# lago's views): a first job fills an empty destination, a second one with strip and
# truncate-before-insert refreshes it. The key cannot be dropped without the view, so strip
# keeps it; the second job completes and the destination equals the source.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

src=$(nsp_createdb strip_view_src)
dst=$(nsp_createdb strip_view_dst)
nsp_psql "$src" -f "$NSP_SOURCE_DIR/tests/fixtures/realworld/repro/strip_view_depends_on_key.sql" >/dev/null
dir=$(nsp_tmpdir)

nsp_job_config "$dir/first.json" "$src" "$dst"
nsp_run_job "$dir/first.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "first job did not apply every step"; }

nsp_psql "$src" -c "INSERT INTO public.charges VALUES (3, 30); INSERT INTO public.charge_filters VALUES (3, 3, 'c')" >/dev/null
nsp_job_config "$dir/strip.json" "$src" "$dst" '{"onExisting": "strip"}' \
  '"hydration": {"parallelism": 2, "truncateBeforeInsert": true}'
sed -i '0,/"hydration": {"parallelism": [0-9]*},/{/"hydration": {"parallelism": [0-9]*},/d}' "$dir/strip.json"
nsp_run_job "$dir/strip.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "strip job did not apply every step"; }
grep -q 'strip: dropped' "$NSP_JOB_LOG" || { nsp_show_job_log; nsp_fail "strip did not run"; }
nsp_assert_parity "$src" "$dst" "strip with a view on a primary key"

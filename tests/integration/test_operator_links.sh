#!/usr/bin/env bash
# Commutator and negator links end exactly as on the source, on any minor release and any
# parallelism. A COMMUTATOR or NEGATOR clause fills the other operator's empty slot too; filling
# in a shell operator clears the slots its own CREATE does not name on some minor releases (13.16,
# 15.18) and keeps them on others (17.12). So "X names Y, Y does not name X" is what creating X
# first, then Y, gives on the source's release; the plugin creates them in that order whatever
# their names sort to (here the pairs are named both ways round), and the destination's links are
# the source's. Before that rule, 15.18 gave `!==` a NEGATOR link the source's lacks.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

src=$(nsp_createdb oplinks_src)
nsp_psql "$src" >/dev/null <<'SQL'
CREATE SCHEMA ops;
CREATE FUNCTION ops.eq(integer, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text = $2 $$;
CREATE FUNCTION ops.ne(integer, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text <> $2 $$;
CREATE FUNCTION ops.eq_r(text, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 = $2::text $$;
CREATE FUNCTION ops.lt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 < $2 $$;
CREATE FUNCTION ops.gt(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 > $2 $$;
CREATE FUNCTION ops.ge(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 >= $2 $$;
-- Negator named by the operator created first; the negator sorts before it (! < =).
CREATE OPERATOR ops.=== (FUNCTION = ops.eq, LEFTARG = integer, RIGHTARG = text, NEGATOR = OPERATOR(ops.!==));
CREATE OPERATOR ops.!== (FUNCTION = ops.ne, LEFTARG = integer, RIGHTARG = text);
-- The same the other way round: the first-created operator sorts first.
CREATE OPERATOR ops.!~~ (FUNCTION = ops.ne, LEFTARG = integer, RIGHTARG = text, NEGATOR = OPERATOR(ops.~~~));
CREATE OPERATOR ops.~~~ (FUNCTION = ops.eq, LEFTARG = integer, RIGHTARG = text);
-- A commutator named first, filled in later without naming it back.
CREATE OPERATOR ops.=@ (FUNCTION = ops.eq_r, LEFTARG = text, RIGHTARG = integer, COMMUTATOR = OPERATOR(ops.@=));
CREATE OPERATOR ops.@= (FUNCTION = ops.eq, LEFTARG = integer, RIGHTARG = text);
-- Symmetric links both ways, and a self-commutator.
CREATE OPERATOR ops.<<< (FUNCTION = ops.lt, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = OPERATOR(ops.>>>), NEGATOR = OPERATOR(ops.>>=));
CREATE OPERATOR ops.>>> (FUNCTION = ops.gt, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = OPERATOR(ops.<<<));
CREATE OPERATOR ops.>>= (FUNCTION = ops.ge, LEFTARG = integer, RIGHTARG = integer, NEGATOR = OPERATOR(ops.<<<));
CREATE OPERATOR ops.<=> (FUNCTION = ops.lt, LEFTARG = integer, RIGHTARG = integer, COMMUTATOR = OPERATOR(ops.<=>));
-- Enough tables that pre-sync runs on several connections.
DO $$ BEGIN
  FOR i IN 1..40 LOOP EXECUTE format('CREATE TABLE public.%I (id integer, t text)', 'opt_' || i); END LOOP;
END $$;
SQL

links() {
  nsp_query "$1" "SELECT o.oprname || ' com=' || COALESCE(c.oprname, '-') || ' neg=' || COALESCE(n.oprname, '-')
                  FROM pg_operator o JOIN pg_namespace s ON s.oid = o.oprnamespace
                  LEFT JOIN pg_operator c ON c.oid = o.oprcom LEFT JOIN pg_operator n ON n.oid = o.oprnegate
                  WHERE s.nspname = 'ops' ORDER BY 1"
}
dir=$(nsp_tmpdir)
links "$src" >"$dir/src.links"
_nsp_log "source links on $(nsp_query "$src" 'SHOW server_version'): $(tr '\n' ';' <"$dir/src.links")"
for parallelism in 1 4; do
  dst=$(nsp_createdb oplinks_dst_p$parallelism)
  nsp_job_config "$dir/job$parallelism.json" "$src" "$dst" "{\"parallelism\": $parallelism}"
  nsp_run_job "$dir/job$parallelism.json"
  [[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "job did not apply every step (parallelism $parallelism)"; }
  links "$dst" >"$dir/dst$parallelism.links"
  nsp_assert_same "$dir/src.links" "$dir/dst$parallelism.links" "operator links (parallelism $parallelism)"
  nsp_assert_parity "$src" "$dst" "operator links (parallelism $parallelism)"
done

#!/usr/bin/env bash
# Post-sync steps that rewrite one relation's pg_class row never run at the same time: the owner
# and privilege steps of a view, a materialized view and a sequence lock that relation, as the
# rules and triggers on it do (CREATE RULE and CREATE TRIGGER set relhasrules and relhastriggers
# in that row; ALTER ... OWNER and GRANT set relowner and relacl). Without the lock the post-sync
# scheduler let them run on two connections at once and one failed with "tuple concurrently
# updated" (XX000), seen once in CI on a generated schema. The plan (nsp_plan_dump
# --owners-acls) must show the locks, and the post_sched unit tests show that two steps locking
# one relation in conflicting modes never run together.
source "$(dirname "$0")/lib.sh"

dump="$NSP_BUILD_DIR/tests/nsp_plan_dump"
[[ -x $dump ]] || nsp_fail "missing $dump"
dir=$(nsp_tmpdir)

nsp_ensure_roles rowlock_owner rowlock_reader

src=$(nsp_createdb rowlock_src)
nsp_psql "$src" >/dev/null <<'SQL'
CREATE SCHEMA app;
CREATE TABLE app.item (id integer PRIMARY KEY, n integer);
CREATE VIEW app.item_v AS SELECT id, n FROM app.item;
CREATE RULE item_v_ins AS ON INSERT TO app.item_v DO INSTEAD INSERT INTO app.item VALUES (NEW.id, NEW.n);
CREATE FUNCTION app.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER item_v_upd INSTEAD OF UPDATE ON app.item_v FOR EACH ROW EXECUTE FUNCTION app.noop();
CREATE MATERIALIZED VIEW app.item_m AS SELECT id FROM app.item;
CREATE SEQUENCE app.counter;
ALTER VIEW app.item_v OWNER TO rowlock_owner;
ALTER MATERIALIZED VIEW app.item_m OWNER TO rowlock_owner;
ALTER SEQUENCE app.counter OWNER TO rowlock_owner;
GRANT SELECT ON app.item_v, app.item_m TO rowlock_reader;
GRANT USAGE ON SEQUENCE app.counter TO rowlock_reader;
SQL
"$dump" --owners-acls "$src" "$dir/pre.sql" "$dir/post.sql" 2>"$dir/out" || { cat "$dir/out" >&2; nsp_fail "plan dump failed"; }

# The comment line of the step whose identity is $1: its locks, as "relation:MODE,...".
locks_of() {
  grep -h -F -- " $1 [schema=" "$dir/pre.sql" "$dir/post.sql" | sed -n 's/.* locks=\([^]]*\)].*/\1/p'
}
expect_lock() { # identity, relation
  local got
  got=$(locks_of "$1")
  grep -q -F -- " $1 [schema=" "$dir/pre.sql" "$dir/post.sql" || nsp_fail "no step '$1' in the plan"
  [[ ,$got, == *",$2:LOCK_MODE_ACCESS_EXCLUSIVE,"* ]] ||
    nsp_fail "step '$1' does not lock $2 ACCESS EXCLUSIVE (its locks: '${got:-none}')"
}
for obj in item_v item_m counter; do
  expect_lock "owner of app.$obj" "\"app\".\"$obj\""
  expect_lock "privileges of app.$obj" "\"app\".\"$obj\""
done
_nsp_log "ok: the owner and privilege steps of a view, a matview and a sequence lock their relation"
# ... the same relation the rule and the trigger on the view lock.
for step in 'app.item_v.item_v_ins' 'app.item_v.item_v_upd'; do
  got=$(locks_of "$step")
  [[ ,$got, == *',"app"."item_v":'* ]] || nsp_fail "step '$step' does not lock \"app\".\"item_v\" (its locks: '${got:-none}')"
done
_nsp_log "ok: the rule and the trigger on the view lock it too, so the scheduler keeps them apart"

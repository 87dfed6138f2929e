#!/usr/bin/env bash
# Hostile object names round-trip exactly through a whole job (issue 7): schemas, tables, columns,
# indexes, constraints, a view, a sequence, a function, a trigger and a type named with quotes,
# semicolons, backslashes, $$, newlines, spaces, 63 bytes and non-ASCII letters, e.g. the table
# x"; DROP TABLE y; --. Schema and data parity with the source; the canary table y survives with
# its rows; nothing else was executed (no object exists on the destination that the source lacks).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/job_lib.sh"

src=$(nsp_createdb names_src)
dst=$(nsp_createdb names_dst)
long63=$(printf 'n%.0s' {1..63})
nsp_psql "$src" >/dev/null <<SQL
CREATE TABLE public.y (id int PRIMARY KEY);
INSERT INTO public.y VALUES (1), (2), (3);
CREATE SCHEMA "s; DROP SCHEMA public CASCADE; --";
CREATE SCHEMA "Ünïcødé 表";
CREATE TYPE "s; DROP SCHEMA public CASCADE; --"."e'num" AS ENUM ('a''b', 'c;d', E'e\\\\f', '\$\$');
CREATE TABLE public."x""; DROP TABLE y; --" (
  "id" int PRIMARY KEY,
  "semi;colon" text DEFAULT 'x''; DROP TABLE y; --',
  "back\\slash" text CHECK ("back\\slash" <> E'\\\\'),
  "dollar\$\$quote" text,
  "new
line" int,
  "$long63" int UNIQUE,
  "e" "s; DROP SCHEMA public CASCADE; --"."e'num"
);
CREATE INDEX "idx\$\$; DROP TABLE y; --" ON public."x""; DROP TABLE y; --" ("semi;colon", "new
line");
CREATE TABLE "Ünïcødé 表"."tâblé ✓" (
  "ключ" int PRIMARY KEY,
  "x_id" int CONSTRAINT "fk'; DROP TABLE y; --" REFERENCES public."x""; DROP TABLE y; --" ON DELETE CASCADE,
  "$long63" text
);
CREATE SEQUENCE "Ünïcødé 表"."séq\$\$";
SELECT setval('"Ünïcødé 表"."séq\$\$"', 42);
CREATE FUNCTION public."f\$\$'; DROP TABLE y; --"(a int) RETURNS int LANGUAGE sql IMMUTABLE AS \$f\$ SELECT a + 1 \$f\$;
CREATE INDEX "expr;idx" ON "Ünïcødé 表"."tâblé ✓" (public."f\$\$'; DROP TABLE y; --"("ключ"));
CREATE FUNCTION public."trg""fn"() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN NEW."semi;colon" := NEW."semi;colon" || ';'; RETURN NEW; END \$\$;
CREATE TRIGGER "trg; DROP TABLE y; --" BEFORE INSERT ON public."x""; DROP TABLE y; --"
  FOR EACH ROW EXECUTE FUNCTION public."trg""fn"();
CREATE VIEW "s; DROP SCHEMA public CASCADE; --"."v\\\\iew" AS
  SELECT "id", "semi;colon" AS "a;b", 'lit''; DROP TABLE y; --'::text AS "c" FROM public."x""; DROP TABLE y; --";
COMMENT ON TABLE public."x""; DROP TABLE y; --" IS E'comment\\'; DROP TABLE y; --\nline 2 \$\$ \\\\';
INSERT INTO public."x""; DROP TABLE y; --" ("id", "semi;colon", "back\\slash", "dollar\$\$quote", "new
line", "$long63", "e")
  VALUES (1, 'a;b', 'c\\d', '\$\$', 1, 63, 'a''b'), (2, E'two\nlines', '', 'x', 2, 64, '\$\$');
INSERT INTO "Ünïcødé 表"."tâblé ✓" VALUES (10, 1, 'ü'), (20, 2, '表');
SQL
[[ $(nsp_query "$src" "SELECT length('$long63')") == 63 ]] || nsp_fail "the 63-byte name is not 63 bytes"

dir=$(nsp_tmpdir)
nsp_job_config "$dir/job.json" "$src" "$dst"
nsp_run_job "$dir/job.json"
[[ $NSP_JOB_STATUS -eq 0 ]] || { nsp_show_job_log; nsp_fail "the job did not apply every step"; }
nsp_assert_parity "$src" "$dst" "hostile names"
[[ $(nsp_query "$dst" "SELECT count(*) FROM public.y") == 3 ]] || nsp_fail "the canary table y lost rows"
# nothing injected: the destination has exactly the source's relations, types and functions
q="SELECT string_agg(format('%s %s', c.relkind, c.oid::regclass), E'\n' ORDER BY format('%s %s', c.relkind, c.oid::regclass) COLLATE \"C\")
     FROM pg_class c WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)"
a=$(nsp_query "$src" "$q"); b=$(nsp_query "$dst" "$q")
[[ -n $a && $a == "$b" ]] || nsp_fail "the destination's relations differ from the source's"
_nsp_log "PASS"

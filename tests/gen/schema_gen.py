#!/usr/bin/env python3
"""Randomized PostgreSQL schema generator for property-based tests of the plugin.

From a seed, writes one SQL script that loads into an empty database with psql -v ON_ERROR_STOP=1
and mixes every object kind of the pre/post split (README "Pre/post split rules"): types, domains,
functions, contrib extensions, tables (identity, serial, generated, inheritance, partitions), every
constraint kind, indexes of every access method, triggers, rules, views, materialized views,
policies, statistics, comments, roles, owners and privileges, and rows that satisfy the
constraints. The same seed always gives the same script (one random.Random(seed) drives it all).

Statements are separated by one blank line and never contain one, so a script splits back into
statements with split_statements() (the shrinker relies on it).

  schema_gen.py --seed N [--no-acl-features] [-o FILE]

--no-acl-features leaves out the privilege features (to tell whether a failure comes from them):
column grants, ALTER DEFAULT PRIVILEGES, grants by non-owners (WITH GRANT OPTION chains),
revokes from owners, new owners for tables that own sequences (serial and identity columns), and
both a new owner and a grant on one object other than a table (schemas keep their owner).
"""
import argparse
import datetime
import json
import random
import sys

WORDS = ["alpha", "beta", "it's", "café", "日本語", 'a"b', "Upper", "x y", "zeta", "naïve", "ok"]
PLAIN_NAMES = ["item", "acct", "ev", "note", "stock", "ledger", "person", "tag", "city", "job"]
AWKWARD_NAMES = ["select", "order", "user", "Mixed Case", "café", "日本", 'quote"d', "with space",
                 "group", "UPPER", "x-y", "table"]
CONTRIB = ["citext", "hstore", "pg_trgm", "btree_gist", "btree_gin", "pgcrypto", "uuid-ossp"]


def q(name):
    """A quoted identifier: every name in the script is quoted, so awkward names just work."""
    return '"' + name.replace('"', '""') + '"'


def lit(text):
    """A string literal (standard_conforming_strings is on)."""
    return "'" + text.replace("'", "''") + "'"


def split_statements(script):
    """The statements of a generated script (see the module docstring)."""
    return [s for s in script.split("\n\n") if s.strip()]


class Names:
    """Names unique in the whole database, so no two objects of any kind ever collide."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def new(self, base=None, awkward=0.25):
        if base is None:
            pool = AWKWARD_NAMES if self.rng.random() < awkward else PLAIN_NAMES
            base = self.rng.choice(pool)
        name, n = base, 1
        while name.lower() in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name.lower())
        return name


class Type:
    """A column type: its SQL, a value generator and what it supports.

    gen(rng, i, uniq) returns a literal for row i; with uniq the values of distinct rows differ.
    tags: 'ord' (has btree ordering), 'hash', 'int', 'text', 'range', 'hstore'.
    """

    def __init__(self, sql, gen, tags=(), ams=None, can_uniq=True, notnull=False):
        self.sql, self.gen, self.tags = sql, gen, set(tags)
        self.ams = ams or {}     # index method -> operator class ('' = default, a list = pick one)
        self.can_uniq = can_uniq
        self.notnull = notnull   # a domain with NOT NULL: no column of it may hold NULL


def _int_gen(scale):
    return lambda rng, i, uniq: str((i + 1) * scale if uniq else rng.randint(1, 500) * scale)


def _text_gen(rng, i, uniq):
    word = rng.choice(WORDS)
    return lit(f"{word}{i}" if uniq else word)


def _date_gen(rng, i, uniq):
    day = datetime.date(2024, 1, 1) + datetime.timedelta(days=i if uniq else rng.randint(0, 400))
    return lit(day.isoformat())


def _ts_gen(rng, i, uniq):
    hours = i if uniq else rng.randint(0, 5000)
    stamp = datetime.datetime(2024, 1, 2, 3, 4, 5) + datetime.timedelta(hours=hours)
    return lit(stamp.isoformat(sep=" ") + "+00")


def _uuid_gen(rng, i, uniq):
    h = f"{rng.getrandbits(96):024x}{i:08x}"
    return lit(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}")


def _range_gen(rng, i, uniq):
    lo = i * 10 if uniq else rng.randint(0, 100)
    return lit(f"[{lo},{lo + 5})")


def builtin_types():
    return [
        Type("integer", _int_gen(1), {"ord", "hash", "int"}, {"brin": ""}),
        Type("bigint", _int_gen(1000), {"ord", "hash", "int"}, {"brin": ""}),
        Type("smallint", _int_gen(1), {"ord", "int"}),
        Type("numeric(10,2)", lambda r, i, u: f"{i + 1 if u else r.randint(1, 900)}.{r.randint(0, 99):02d}",
             {"ord"}, {"brin": ""}),
        Type("text", _text_gen, {"ord", "hash", "text"}, {"spgist": ""}),
        Type('character varying(20)', _text_gen, {"ord", "text"}),
        Type("boolean", lambda r, i, u: r.choice(["true", "false"]), {"ord"}, can_uniq=False),
        Type("date", _date_gen, {"ord", "hash"}, {"brin": ""}),
        Type("timestamp with time zone", _ts_gen, {"ord"}, {"brin": ""}),
        Type("uuid", _uuid_gen, {"ord", "hash"}),
        Type("jsonb", lambda r, i, u: lit(json.dumps({"k": i, "w": r.choice(WORDS)}, ensure_ascii=False)),
             set(), {"gin": ["", "jsonb_path_ops"]}, can_uniq=False),
        Type("integer[]", lambda r, i, u: lit("{%d,%d}" % (i, r.randint(1, 9))), set(), {"gin": ""},
             can_uniq=False),
        Type("inet", lambda r, i, u: lit(f"10.{i // 250}.{i % 250}.{r.randint(1, 250)}"), {"ord"},
             {"gist": "inet_ops", "spgist": "", "brin": ""}),
        Type("interval", lambda r, i, u: lit(f"{i if u else r.randint(1, 99)} hours"), {"ord"}),
        Type("bytea", lambda r, i, u: lit("\\x%02x%02x" % (i % 256, r.randint(0, 255))), set(), can_uniq=False),
        Type("int4range", _range_gen, {"range"}, {"gist": "", "spgist": ""}),
    ]


class Column:
    """One table column. kind: plain | serial | identity | generated."""

    def __init__(self, name, typ, kind="plain"):
        self.name, self.type, self.kind = name, typ, kind
        self.notnull = kind != "plain"
        self.uniq = False
        self.default = None      # SQL expression
        self.expr = None         # generation expression of a generated column
        self.collate = None
        self.identity = None     # (always: bool, start, step)
        self.fk_target = False   # referenced by a foreign key: its values must stay as generated
        self.fixed = False       # values must stay as generated (keys, partition keys)


class Table:
    def __init__(self, schema, name, kind="plain"):
        self.schema, self.name, self.kind = schema, name, kind   # plain | partitioned | child
        self.columns = []
        self.key = None          # columns of the primary key
        self.uniques = []        # column lists with a unique constraint
        self.rows = []           # dicts column name -> literal
        self.has_owned_seq = False
        # No ADD COLUMN: a typed table refuses it; an inheritance parent's child would get the new
        # column last, where a restore puts inherited columns first (pg_dump does the same).
        self.no_new_columns = False
        self.unlogged = False    # no foreign key to or from it (permanent and unlogged don't mix)
        self.check_defs = []     # CHECK constraints, repeated on partitions created alone
        self.unique_indexes = []  # columns with a unique index instead of a unique constraint

    @property
    def qname(self):
        return f"{q(self.schema)}.{q(self.name)}"

    def cols(self, tag):
        """Plain columns of a type with this tag."""
        return [c for c in self.columns if c.kind == "plain" and tag in c.type.tags]


class Generator:
    def __init__(self, seed, acl_features=True, rows=(2, 6)):
        self.seed = seed
        self.rng = random.Random(seed)
        self.acl = acl_features
        self.row_range = rows
        self.names = Names(self.rng)
        self.out = []
        self.comments = []       # "KIND name" targets of COMMENT ON
        self.tables = []
        self.funcs = {}          # use -> qualified name of a helper function
        self.views = []
        self.grants = []         # (kind, qualified name) of objects privileges may be granted on
        self.types = builtin_types()

    def type_named(self, sql):
        return next(t for t in self.types if t.sql == sql)

    def emit(self, sql):
        assert "\n\n" not in sql, sql
        self.out.append(sql.rstrip().rstrip(";") + ";")

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return self.rng.choice(seq)

    # --- the script -----------------------------------------------------------------------------

    def script(self):
        self.emit(f"-- generated by tests/gen/schema_gen.py --seed {self.seed}"
                  f"{'' if self.acl else ' --no-acl-features'}\nSET client_min_messages = warning")
        self.roles()
        self.schemas()
        self.extensions()
        self.user_types()
        self.functions()
        self.make_tables()
        self.foreign_keys()
        self.indexes()
        self.triggers_and_rules()
        self.insert_rows()
        self.not_valid_constraints()
        self.atomic_function()
        self.make_views()
        self.policies()
        self.statistics()
        self.sequences()
        self.comment_all()
        self.owners_and_grants()
        return "\n\n".join(self.out) + "\n"

    # --- roles, schemas, extensions ----------------------------------------------------------------

    def roles(self):
        """Roles are cluster-wide: per-seed names, created only when absent, never dropped here."""
        p = f"gen{self.seed}"
        self.role_owner, self.role_reader, self.role_writer = f"{p}_owner", f"{p}_reader", f"{p} Writer"
        for role in (self.role_owner, self.role_reader, self.role_writer):
            self.emit(f"DO $$ BEGIN CREATE ROLE {q(role)} NOLOGIN; "
                      f"EXCEPTION WHEN duplicate_object THEN NULL; END $$")

    def schemas(self):
        self.schema_names = []
        for _ in range(self.rng.randint(2, 3)):
            s = self.names.new(awkward=0.4)
            self.schema_names.append(s)
            self.emit(f"CREATE SCHEMA {q(s)}")
            self.comments.append(f"SCHEMA {q(s)}")
            self.grants.append(("SCHEMA", q(s)))
        if self.chance(0.3):
            self.schema_names.append("public")

    def extensions(self):
        self.ext = {}            # extension -> quoted schema
        for name in self.rng.sample(CONTRIB, self.rng.randint(2, len(CONTRIB))):
            schema = self.pick(self.schema_names + ["public", "public"])
            self.ext[name] = q(schema)
            self.emit(f"CREATE EXTENSION IF NOT EXISTS {q(name)} WITH SCHEMA {q(schema)}")
        if self.ext and self.chance(0.3):
            self.comments.append(f"EXTENSION {q(self.pick(sorted(self.ext)))}")
        self.extension_types()

    def extension_types(self):
        e = self.ext
        if "citext" in e:
            self.types.append(Type(f"{e['citext']}.citext", _text_gen, {"ord", "hash", "text"}))
        if "hstore" in e:
            self.types.append(Type(f"{e['hstore']}.hstore",
                                   lambda r, i, u: lit(f'a=>{i}, "b c"=>{r.randint(0, 9)}'),
                                   {"hstore"}, {"gin": "", "gist": ""}, can_uniq=False))
        for t in self.types:
            if "text" in t.tags and "pg_trgm" in e and not t.sql.endswith("citext"):
                t.ams["gin"] = f"{e['pg_trgm']}.gin_trgm_ops"
                t.ams["gist"] = f"{e['pg_trgm']}.gist_trgm_ops"
            if "int" in t.tags and t.sql != "smallint":
                if "btree_gist" in e:
                    t.ams["gist"] = ""
                if "btree_gin" in e:
                    t.ams["gin"] = ""

    # --- types, domains, functions ------------------------------------------------------------------

    def schema(self):
        return self.pick(self.schema_names)

    def qualified(self, name=None):
        s = self.schema()
        n = self.names.new(name)
        return s, n, f"{q(s)}.{q(n)}"

    def user_types(self):
        _, _, enum = self.qualified()
        labels = self.rng.sample(["sad", "ok", "happy", "it's", "Ünï", "with space", "select"], 3)
        self.emit(f"CREATE TYPE {enum} AS ENUM ({', '.join(lit(x) for x in labels)})")
        self.types.append(Type(enum, lambda r, i, u: lit(r.choice(labels)), {"ord", "hash"}, can_uniq=False))
        self.comments.append(f"TYPE {enum}")
        self.grants.append(("TYPE", enum))
        if self.chance(0.5):   # a label sorted before the first: its sort order is not its oid's
            self.emit(f"ALTER TYPE {enum} ADD VALUE 'early' BEFORE {lit(labels[0])}")
        self.collation()

        _, _, comp = self.qualified()
        self.emit(f"CREATE TYPE {comp} AS (n integer, label text COLLATE \"C\")")
        self.composite = comp
        self.types.append(Type(comp, lambda r, i, u: f"ROW({i if u else r.randint(0, 9)}, "
                                                     f"{lit(r.choice(WORDS))})::{comp}", {"ord"}))
        self.comments.append(f"COLUMN {comp}.{q('n')}")

        _, _, rng_t = self.qualified()
        self.emit(f"CREATE TYPE {rng_t} AS RANGE (subtype = double precision)")
        self.types.append(Type(rng_t, lambda r, i, u: lit(f"[{i if u else r.randint(0, 50)}.5,"
                                                          f"{(i if u else 60) + 0.75})"),
                               {"range"}, {"gist": ""}, can_uniq=False))
        self.domains()

    def collation(self):
        _, _, coll = self.qualified("coll")
        self.emit(f"CREATE COLLATION {coll} (provider = libc, locale = 'C')")
        self.comments.append(f"COLLATION {coll}")
        self.collations = ['"C"', '"POSIX"', coll]

    def domains(self):
        _, dname, dom = self.qualified()
        con = self.names.new(f"{dname}_positive")
        self.emit(f"CREATE DOMAIN {dom} AS integer DEFAULT 1 NOT NULL "
                  f"CONSTRAINT {q(con)} CHECK (VALUE > 0)")
        self.domain_int = dom
        self.types.append(Type(dom, _int_gen(1), {"ord", "hash"}, notnull=True))
        self.comments += [f"DOMAIN {dom}", f"CONSTRAINT {q(con)} ON DOMAIN {dom}"]
        self.grants.append(("DOMAIN", dom))
        _, _, tdom = self.qualified()
        collate = ' COLLATE "C"' if self.chance(0.5) else ""
        self.emit(f"CREATE DOMAIN {tdom} AS text{collate} CHECK (char_length(VALUE) <= 40)")
        self.types.append(Type(tdom, _text_gen, {"ord", "text"}))

    def functions(self):
        """Immutable helpers used by defaults, checks, generated columns and expression indexes."""
        s, _, f = self.qualified("twice")
        self.emit(f"CREATE FUNCTION {f}(integer) RETURNS integer LANGUAGE sql IMMUTABLE "
                  f"PARALLEL SAFE AS $$ SELECT $1 * 2 $$")
        self.funcs["int"] = f
        _, _, g = self.qualified("norm")
        self.emit(f"CREATE FUNCTION {g}(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$\n"
                  f"BEGIN\n  RETURN lower(btrim(v));\nEND\n$$")
        self.funcs["text"] = g
        _, _, d = self.qualified("start_value")
        self.emit(f"CREATE FUNCTION {d}() RETURNS integer LANGUAGE sql STABLE AS $$ SELECT 7 $$")
        self.funcs["default"] = d
        self.emit(f"CREATE FUNCTION {f}(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT v || v $$")
        _, _, pair = self.qualified("pair")
        self.emit(f"CREATE FUNCTION {pair}(a integer, b integer DEFAULT 2, OUT total integer, "
                  f"OUT product integer) LANGUAGE sql IMMUTABLE AS $$ SELECT a + b, a * b $$")
        _, _, proc = self.qualified("proc")
        self.emit(f"CREATE PROCEDURE {proc}(INOUT n integer) LANGUAGE plpgsql AS $$\n"
                  f"BEGIN\n  n := n + 1;\nEND\n$$")
        self.comments += [f"FUNCTION {f}(integer)", f"FUNCTION {g}(text)", f"FUNCTION {f}(text)",
                          f"PROCEDURE {proc}(integer)"]
        self.grants.append(("FUNCTION", f"{pair}(integer, integer)"))
        self.grants += [("FUNCTION", f"{f}(integer)"), ("FUNCTION", f"{g}(text)")]
        self.trigger_functions()

    def trigger_functions(self):
        _, _, noop = self.qualified("noop")
        self.emit(f"CREATE FUNCTION {noop}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                  f"BEGIN\n  RETURN NULL;\nEND\n$$")
        self.funcs["noop"] = noop
        _, _, mark = self.qualified("mark")
        # Appends to a text column: rows would differ if the trigger fired during the data copy.
        self.emit(f"CREATE FUNCTION {mark}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                  f"BEGIN\n  NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], "
                  f"(to_jsonb(NEW) ->> TG_ARGV[0]) || '+'));\n  RETURN NEW;\nEND\n$$")
        self.funcs["mark"] = mark
        s, an, audit = self.qualified("audit")
        self.emit(f"CREATE TABLE {audit} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                  f"tbl text NOT NULL, n integer)")
        self.audit = audit
        t = Table(s, an)
        ident = Column("id", self.type_named("bigint"), "identity")
        ident.identity = (True, 1, 1)
        t.columns = [ident, Column("tbl", self.type_named("text")), Column("n", self.type_named("integer"))]
        t.key = [ident]
        t.has_owned_seq = True
        self.grants.append(("TABLE", audit))
        self.audit_table = t
        _, _, log = self.qualified("log_rows")
        self.emit(f"CREATE FUNCTION {log}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                  f"BEGIN\n  INSERT INTO {audit} (tbl, n) SELECT TG_TABLE_NAME, count(*) FROM new_rows;\n"
                  f"  RETURN NULL;\nEND\n$$")
        self.funcs["log"] = log

    # --- tables ---------------------------------------------------------------------------------------

    def make_tables(self):
        """Plain and partitioned tables in a random order (foreign keys point backwards only)."""
        kinds = [self.plain_table] * self.rng.randint(3, 5) + [self.partitioned_table] * self.rng.randint(1, 2)
        self.rng.shuffle(kinds)
        for make in kinds:
            make()
        plain = [t for t in self.tables if t.kind == "plain"]
        if plain and self.chance(0.6):
            self.inheritance_child(self.pick(plain))
        if self.chance(0.4):
            self.typed_table()
        for t in self.tables:
            if t.kind == "plain":
                self.table_settings(t)
        self.tables.append(self.audit_table)

    def key_column(self, t):
        typ = self.pick([x for x in self.types if x.sql in ("integer", "bigint")])
        c = Column(self.names.new("id", awkward=0) if self.chance(0.7) else self.names.new(), typ)
        form = self.pick(["plain", "serial", "identity", "identity"])
        if form == "serial":
            c.kind = "serial"
        elif form == "identity":
            c.kind = "identity"
            c.identity = (self.chance(0.5), self.rng.randint(1, 100), self.rng.randint(1, 5))
        c.notnull, c.uniq, c.fixed = True, True, True
        t.has_owned_seq = c.kind != "plain"
        return c

    def value_column(self, t, types=None):
        typ = self.pick(types or self.types)
        c = Column(self.names.new(), typ)
        c.notnull = self.chance(0.3)
        c.uniq = typ.can_uniq and self.chance(0.15)
        if "text" in typ.tags and typ.sql == "text" and self.chance(0.3):
            c.collate = self.pick(self.collations)
        if not c.uniq and self.chance(0.3):
            c.default = self.default_for(typ)
        return c

    def default_for(self, typ):
        if typ.sql == "integer" and self.chance(0.5):
            return f"{self.funcs['default']}()"
        if typ.sql == "uuid" and "uuid-ossp" in self.ext:
            return f"{self.ext['uuid-ossp']}.uuid_generate_v4()"
        if typ.sql == "bytea" and "pgcrypto" in self.ext:
            return f"{self.ext['pgcrypto']}.gen_random_bytes(4)"
        if typ.sql == "timestamp with time zone":
            return "now()"
        return typ.gen(self.rng, 0, False)

    def column_sql(self, c):
        if c.kind == "serial":
            base = "bigserial" if c.type.sql == "bigint" else "serial"
            return f"{q(c.name)} {base}"
        parts = [q(c.name), c.type.sql]
        if c.collate:
            parts.append(f"COLLATE {c.collate}")
        if c.kind == "identity":
            always, start, step = c.identity
            parts.append(f"GENERATED {'ALWAYS' if always else 'BY DEFAULT'} AS IDENTITY "
                         f"(START WITH {start} INCREMENT BY {step})")
        if c.kind == "generated":
            parts.append(f"GENERATED ALWAYS AS ({c.expr}) STORED")
        if c.default:
            parts.append(f"DEFAULT {c.default}")
        if c.notnull and c.kind == "plain":
            parts.append("NOT NULL")
        return " ".join(parts)

    def generated_column(self, t):
        ints = [c for c in t.cols("int") if c.type.sql == "integer"]
        texts = [c for c in t.cols("text") if c.type.sql == "text"]
        options = []
        if ints:
            c = self.pick(ints)
            options += [f"{self.funcs['int']}({q(c.name)})", f"{q(c.name)} * 3 + 1"]
        if texts:
            c = self.pick(texts)
            options += [f"upper({q(c.name)})", f"{self.funcs['text']}({q(c.name)})"]
            if "pgcrypto" in self.ext:
                options.append(f"{self.ext['pgcrypto']}.digest({q(c.name)}, 'sha256')")
        if not options:
            return None
        expr = self.pick(options)
        sql = "bytea" if "digest" in expr else "integer" if "*" in expr or "twice" in expr else "text"
        g = Column(self.names.new(), self.type_named(sql), "generated")
        g.expr = expr
        return g

    def plain_table(self):
        s, n, _ = self.qualified()
        t = Table(s, n)
        if self.chance(0.9):
            t.columns.append(self.key_column(t))
            t.key = [t.columns[0]]
        for _ in range(self.rng.randint(2, 5)):
            t.columns.append(self.value_column(t))
        g = self.generated_column(t) if self.chance(0.5) else None
        if g:
            t.columns.append(g)
        if self.chance(0.5):
            t.columns.append(Column(self.names.new("ref", awkward=0), self.types[0]))  # a NOT VALID FK
        self.create_table(t)

    def create_table(self, t, extra=""):
        defs = [self.column_sql(c) for c in t.columns]
        defs += self.table_constraints(t)
        t.unlogged = t.kind == "plain" and self.chance(0.1)
        unlogged = "UNLOGGED " if t.unlogged else ""
        self.emit(f"CREATE {unlogged}TABLE {t.qname} (\n    " + ",\n    ".join(defs) + f"\n){extra}")
        for c in t.unique_indexes:
            self.emit(f"CREATE UNIQUE INDEX {q(self.names.new(c.name + '_uidx'))} ON {t.qname} ({q(c.name)})")
        self.tables.append(t)
        self.grants.append(("TABLE", t.qname))
        self.comments.append(f"TABLE {t.qname}")
        self.comments += [f"COLUMN {t.qname}.{q(c.name)}" for c in t.columns if self.chance(0.2)]

    def table_constraints(self, t):
        """PK, UNIQUE, CHECK and EXCLUDE constraints declared with the table."""
        out = []
        if t.key:
            out.append(f"CONSTRAINT {q(self.names.new(t.name + '_pkey'))} PRIMARY KEY "
                       f"({', '.join(q(c.name) for c in t.key)})")
        for c in t.columns:
            if c.uniq and c not in (t.key or []) and t.kind == "plain" and self.chance(0.3):
                t.unique_indexes.append(c)   # a foreign key may reference a unique index too
                t.uniques.append([c])
                c.fixed = True
            elif c.uniq and c not in (t.key or []) and t.kind == "plain":
                deferrable = " DEFERRABLE INITIALLY DEFERRED" if self.chance(0.2) else ""
                out.append(f"CONSTRAINT {q(self.names.new(c.name + '_key'))} UNIQUE ({q(c.name)}){deferrable}")
                if not deferrable:   # a foreign key cannot reference a deferrable key
                    t.uniques.append([c])
                c.fixed = True
        t.check_defs = self.checks(t)
        out += t.check_defs
        ranges = [c for c in t.columns if c.type.sql == "int4range" and c.uniq]
        if ranges and t.kind == "plain":
            with_int = "btree_gist" in self.ext and t.key and t.key[0].type.sql == "integer"
            ints = f"{q(t.key[0].name)} WITH =, " if with_int and self.chance(0.5) else ""
            out.append(f"CONSTRAINT {q(self.names.new('no_overlap'))} EXCLUDE USING gist "
                       f"({ints}{q(ranges[0].name)} WITH &&)")
        return out

    def checks(self, t, columns=None):
        out = []
        for c in columns or t.columns:
            if c.kind != "plain" or not self.chance(0.3):
                continue
            expr = None
            if c.type.sql == "integer":
                expr = self.pick([f"{q(c.name)} > 0", f"{self.funcs['int']}({q(c.name)}) < 100000"])
            elif c.type.sql == "text":
                expr = self.pick([f"{q(c.name)} <> ''", f"length({self.funcs['text']}({q(c.name)})) < 100"])
            if expr:
                name = self.names.new(f"{c.name}_check")
                noinherit = " NO INHERIT" if t.kind == "plain" and self.chance(0.1) else ""
                out.append(f"CONSTRAINT {q(name)} CHECK ({expr}){noinherit}")
                self.comments.append(f"CONSTRAINT {q(name)} ON {t.qname}")
        return out

    def inheritance_child(self, parent):
        parents = [parent]
        if self.chance(0.4):   # a second parent with a column of its own
            ms, mn, _ = self.qualified()
            mixin = Table(ms, mn)
            mixin.columns = [self.value_column(mixin)]
            mixin.columns[0].uniq = False
            self.create_table(mixin)
            parents.append(mixin)
        s, n, _ = self.qualified()
        t = Table(s, n, "child")
        for p in parents:
            p.no_new_columns = True
            for pc in p.columns:
                c = Column(pc.name, pc.type, "generated" if pc.kind == "generated" else "plain")
                c.notnull, c.expr, c.collate = pc.notnull, pc.expr, pc.collate
                t.columns.append(c)
        own = [self.value_column(t) for _ in range(self.rng.randint(1, 2))]
        for c in own:
            c.uniq = False
        local = [self.column_sql(c) for c in own] + self.checks(t, own)
        t.columns += own
        self.emit(f"CREATE TABLE {t.qname} (\n    " + ",\n    ".join(local) +
                  f"\n) INHERITS ({', '.join(p.qname for p in parents)})")
        self.tables.append(t)
        self.grants.append(("TABLE", t.qname))
        self.comments.append(f"TABLE {t.qname}")

    def typed_table(self):
        """A table OF the composite type: its columns come from the type."""
        s, n, _ = self.qualified()
        t = Table(s, n)
        key = Column("n", self.type_named("integer"))
        key.notnull = key.uniq = key.fixed = True
        label = Column("label", self.type_named("text"))
        t.columns, t.key, t.no_new_columns = [key, label], [key], True
        pk = self.names.new(f"{n}_pkey")
        self.emit(f"CREATE TABLE {t.qname} OF {self.composite} (n WITH OPTIONS NOT NULL, "
                  f"label WITH OPTIONS DEFAULT 'none', CONSTRAINT {q(pk)} PRIMARY KEY (n))")
        self.tables.append(t)
        self.comments.append(f"TABLE {t.qname}")
        self.grants.append(("TABLE", t.qname))

    def table_settings(self, t):
        """Per-column statistics, storage, options and compression; reloptions; replica identity."""
        texts = [c for c in t.columns if c.type.sql == "text" and c.kind == "plain"]
        if texts and self.chance(0.3):
            c = q(self.pick(texts).name)
            setting = self.pick(["SET STATISTICS 300", "SET STORAGE EXTERNAL", "SET STORAGE MAIN",
                                 "SET (n_distinct = 50)", "SET COMPRESSION pglz"])
            self.emit(f"ALTER TABLE {t.qname} ALTER COLUMN {c} {setting}")
        if self.chance(0.2):
            opts = self.pick(["fillfactor = 70", "autovacuum_enabled = false, toast.autovacuum_enabled = false",
                              "parallel_workers = 2"])
            self.emit(f"ALTER TABLE {t.qname} SET ({opts})")
        if t.key and len(t.key) == 1 and self.chance(0.2):
            name = self.names.new(f"{t.name}_ri")
            self.emit(f"CREATE UNIQUE INDEX {q(name)} ON {t.qname} ({q(t.key[0].name)})")
            self.emit(f"ALTER TABLE {t.qname} REPLICA IDENTITY USING INDEX {q(name)}")
        elif self.chance(0.1):
            self.emit(f"ALTER TABLE {t.qname} REPLICA IDENTITY {self.pick(['FULL', 'NOTHING'])}")

    def partitioned_table(self):
        s, n, _ = self.qualified()
        t = Table(s, n, "partitioned")
        idc = Column(self.names.new("id", awkward=0), self.types[0])
        idc.notnull = idc.uniq = idc.fixed = True
        strategy = self.pick(["range", "list", "hash"])
        keytype = {"range": self.pick([self.types[0], self.types[7]]), "list": self.types[4],
                   "hash": self.types[0]}[strategy]
        k = Column(self.names.new("k", awkward=0.3), keytype)
        k.notnull = k.fixed = True
        t.columns = [idc, k] + [self.value_column(t, [x for x in self.types if x.sql in
                                                      ("text", "integer", "numeric(10,2)", "date")])
                                for _ in range(self.rng.randint(1, 2))]
        for c in t.columns[2:]:
            c.uniq = False
        if self.chance(0.8):
            t.key = [idc, k]
        t.strategy, t.partkey = strategy, k
        self.create_table(t, f" PARTITION BY {strategy.upper()} ({q(k.name)})")
        self.partitions(t)

    def partitions(self, t):
        if t.strategy == "hash":
            bounds = [f"FOR VALUES WITH (MODULUS 3, REMAINDER {r})" for r in range(3)]
            t.part_values = None
        elif t.strategy == "list":
            bounds = ["FOR VALUES IN ('a', 'b')", "FOR VALUES IN ('c')", "DEFAULT"]
            t.part_values = ["'a'", "'b'", "'c'", "'zz'"]
        elif t.partkey.type.sql == "integer":
            bounds = ["FOR VALUES FROM (MINVALUE) TO (100)", "FOR VALUES FROM (100) TO (200)", "DEFAULT"]
            t.part_values = None
        else:
            bounds = ["FOR VALUES FROM ('2024-01-01') TO ('2024-07-01')", "DEFAULT"]
            t.part_values = None
        for bound in bounds:
            pn = self.names.new(f"{t.name}_p")
            qp = f"{q(t.schema)}.{q(pn)}"
            if self.chance(0.3) and bound != "DEFAULT":
                # Created alone with its columns in another order, then attached.
                cols = list(t.columns)
                self.rng.shuffle(cols)
                defs = ", ".join([f"{q(c.name)} {c.type.sql}{' COLLATE ' + c.collate if c.collate else ''}"
                                  f"{' NOT NULL' if c.notnull else ''}" for c in cols] + t.check_defs)
                self.emit(f"CREATE TABLE {qp} ({defs})")
                self.emit(f"ALTER TABLE {t.qname} ATTACH PARTITION {qp} {bound}")
            elif t.strategy != "hash" and bound != "DEFAULT" and self.chance(0.25):
                self.emit(f"CREATE TABLE {qp} PARTITION OF {t.qname} {bound} PARTITION BY HASH "
                          f"({q(t.columns[0].name)})")
                for r in range(2):
                    sub = f"{q(t.schema)}.{q(self.names.new(pn + '_h'))}"
                    self.emit(f"CREATE TABLE {sub} PARTITION OF {qp} FOR VALUES WITH (MODULUS 2, REMAINDER {r})")
            else:
                self.emit(f"CREATE TABLE {qp} PARTITION OF {t.qname} {bound}")
            self.comments.append(f"TABLE {qp}")

    # --- foreign keys -------------------------------------------------------------------------------

    def foreign_keys(self):
        """Each table may reference keys of tables made before it, or itself: no cycles, so rows
        are inserted in creation order."""
        self.fks = []
        for i, t in enumerate(self.tables):
            if t.kind == "child" or t is self.audit_table or t.unlogged or t.no_new_columns:
                continue
            targets = [p for p in self.tables[:i + 1] if p.key and p is not self.audit_table
                       and not p.unlogged]
            for _ in range(self.rng.randint(0, 2)):
                if targets:
                    self.add_fk(t, self.pick(targets))

    def add_fk(self, t, parent):
        keys = [parent.key] + parent.uniques
        key = self.pick(keys)
        if parent is t and len(key) > 1:
            return
        cols = []
        if parent is t and any(kc.type.notnull for kc in key):
            return   # the first row could reference nothing
        for kc in key:
            c = Column(self.names.new(f"{parent.name}_{kc.name}", awkward=0), kc.type)
            c.fixed = True
            cols.append(c)
            kc.fk_target = True
        name = self.names.new(f"{t.name}_fk")
        for c in cols:
            self.emit(f"ALTER TABLE {t.qname} ADD COLUMN {self.column_sql(c)}")
            t.columns.append(c)
        clauses = self.fk_clauses(t, cols)
        self.emit(f"ALTER TABLE {t.qname} ADD CONSTRAINT {q(name)} FOREIGN KEY "
                  f"({', '.join(q(c.name) for c in cols)}) REFERENCES {parent.qname} "
                  f"({', '.join(q(c.name) for c in key)}){clauses}")
        self.fks.append((t, cols, parent, key))
        self.comments.append(f"CONSTRAINT {q(name)} ON {t.qname}")

    def fk_clauses(self, t, cols):
        out = ""
        if len(cols) > 1:
            out += self.pick(["", " MATCH FULL", " MATCH SIMPLE"])
        actions = ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]
        if self.chance(0.5):
            action = self.pick(actions)
            if action == "SET NULL" and len(cols) > 1 and self.chance(0.5):
                action += f" ({q(cols[0].name)})"
            out += f" ON DELETE {action}"
        if self.chance(0.4):
            out += f" ON UPDATE {self.pick(actions)}"
        if self.chance(0.3):
            out += self.pick([" DEFERRABLE", " DEFERRABLE INITIALLY DEFERRED",
                              " DEFERRABLE INITIALLY IMMEDIATE"])
        return out

    # --- indexes ------------------------------------------------------------------------------------

    def indexes(self):
        for t in self.tables:
            if t is self.audit_table:
                continue
            for _ in range(self.rng.randint(1, 3)):
                self.index(t)

    def index(self, t):
        am = self.pick(["btree", "btree", "hash", "gin", "gist", "brin", "spgist"])
        if am == "btree":
            cands = [c for c in t.columns if "ord" in c.type.tags or "hstore" in c.type.tags]
        else:
            cands = [c for c in t.columns if am in c.type.ams or (am == "hash" and "hash" in c.type.tags)]
        if not cands:
            return
        name = self.names.new(f"{t.name}_idx", awkward=0.2)
        c = self.pick(cands)
        elem = self.index_element(t, c, am)
        include = ""
        if am == "btree":
            if self.chance(0.3) and len(cands) > 1:
                other = self.pick([x for x in cands if x is not c])
                elem += f", {q(other.name)}"
            if self.chance(0.2):
                inc = self.pick(t.columns)
                if inc is not c:
                    include = f" INCLUDE ({q(inc.name)})"
        unique = ""
        if am == "btree" and c.uniq and t.kind == "plain" and elem == q(c.name) and self.chance(0.5):
            unique = "UNIQUE "
            include += " NULLS NOT DISTINCT" if self.chance(0.3) else ""
        where = self.index_predicate(t) if t.kind != "partitioned" and self.chance(0.25) else ""
        opts = {"btree": " WITH (fillfactor = 80)", "brin": " WITH (pages_per_range = 16)",
                "gin": " WITH (fastupdate = off)"}.get(am, "") if self.chance(0.3) else ""
        only = "ONLY " if t.kind == "partitioned" and self.chance(0.2) else ""
        self.emit(f"CREATE {unique}INDEX {q(name)} ON {only}{t.qname} USING {am} ({elem}){include}{opts}{where}")
        qi = f"{q(t.schema)}.{q(name)}"
        self.comments.append(f"INDEX {qi}")
        if am == "btree" and not where and not only and t.kind == "plain" and self.chance(0.2):
            self.emit(f"ALTER TABLE {t.qname} CLUSTER ON {q(name)}")

    def index_element(self, t, c, am):
        col = q(c.name)
        if am == "btree" and "hstore" in c.type.tags:
            return f"({col} OPERATOR({self.ext['hstore']}.->) 'a')"
        if am == "btree" and self.chance(0.35):
            if c.type.sql == "integer":
                return f"({self.funcs['int']}({col}))"
            if c.type.sql == "text":
                return self.pick([f"lower({col})", f"({self.funcs['text']}({col}))", f"{col} COLLATE \"C\""])
            return f"{col} DESC NULLS LAST" if self.chance(0.5) else f"{col} NULLS FIRST"
        opclass = c.type.ams.get(am, "")
        if isinstance(opclass, list):
            opclass = self.pick(opclass)
        return f"{col} {opclass}".rstrip()

    def index_predicate(self, t):
        ints = [c for c in t.columns if c.type.sql == "integer" and c.kind == "plain"]
        if ints and self.chance(0.6):
            return f" WHERE ({q(self.pick(ints).name)} > 10)"
        return f" WHERE ({q(self.pick(t.columns).name)} IS NOT NULL)"

    # --- triggers and rules -------------------------------------------------------------------------

    def triggers_and_rules(self):
        for t in self.tables:
            if t is self.audit_table:
                continue
            if t.kind == "partitioned":
                if self.chance(0.4):
                    self.trigger(t, f"AFTER INSERT OR UPDATE ON {t.qname} FOR EACH ROW", "noop", ())
                continue
            if self.chance(0.5):
                self.marking_trigger(t)
            if self.chance(0.4):
                self.trigger(t, f"AFTER INSERT ON {t.qname} REFERENCING NEW TABLE AS new_rows "
                                f"FOR EACH STATEMENT", "log", ())
            if self.chance(0.3):
                name = self.names.new("ct")
                self.emit(f"CREATE CONSTRAINT TRIGGER {q(name)} AFTER INSERT OR UPDATE ON {t.qname} "
                          f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {self.funcs['noop']}()")
                self.comments.append(f"TRIGGER {q(name)} ON {t.qname}")
            if t.kind == "plain" and self.chance(0.35):
                self.rule(t)

    def trigger(self, t, when, func, args):
        name = self.names.new("trg", awkward=0.3)
        argsql = ", ".join(lit(a) for a in args)
        self.emit(f"CREATE TRIGGER {q(name)} {when} EXECUTE FUNCTION {self.funcs[func]}({argsql})")
        self.comments.append(f"TRIGGER {q(name)} ON {t.qname}")
        if self.chance(0.2):
            state = self.pick(["DISABLE", "ENABLE REPLICA", "ENABLE ALWAYS"])
            self.emit(f"ALTER TABLE {t.qname} {state} TRIGGER {q(name)}")
        return name

    def marking_trigger(self, t):
        """A BEFORE INSERT trigger that changes a text column no key or foreign key depends on."""
        cands = [c for c in t.columns if c.type.sql == "text" and c.kind == "plain"
                 and not c.fixed and not c.fk_target and not c.uniq]
        if not cands:
            return
        c = self.pick(cands)
        when = f" WHEN (NEW.{q(c.name)} IS NOT NULL)" if self.chance(0.5) else ""
        event = "INSERT OR UPDATE OF " + q(c.name) if self.chance(0.3) else "INSERT"
        self.trigger(t, f"BEFORE {event} ON {t.qname} FOR EACH ROW{when}", "mark", (c.name,))

    def rule(self, t):
        name = self.names.new("rule", awkward=0.3)
        kind = self.pick(["notify", "nothing", "audit"])
        if kind == "notify":
            body = f"ON UPDATE TO {t.qname} DO ALSO NOTIFY {q('chan ' + t.name)}"
        elif kind == "nothing":
            body = f"ON DELETE TO {t.qname} DO INSTEAD NOTHING"
        else:
            body = f"ON INSERT TO {t.qname} DO ALSO INSERT INTO {self.audit} (tbl, n) VALUES ({lit(t.name)}, 1)"
        self.emit(f"CREATE RULE {q(name)} AS {body}")
        self.comments.append(f"RULE {q(name)} ON {t.qname}")

    # --- rows ------------------------------------------------------------------------------------------

    def insert_rows(self):
        for t in self.tables:
            if t is self.audit_table:
                continue
            self.make_rows(t)
            if t.rows:
                self.emit_insert(t)

    def make_rows(self, t):
        n = self.rng.randint(*self.row_range)
        explicit = {c.name for c in t.columns if self.insert_explicitly(c)}
        t.insert_cols = [c for c in t.columns if c.name in explicit]
        for i in range(n):
            row = {}
            for c in t.columns:
                row[c.name] = self.value(t, c, i, c.name in explicit)
            self.fill_fks(t, row, i)
            t.rows.append(row)

    def insert_explicitly(self, c):
        if c.kind == "generated":
            return False
        if c.kind == "identity" and c.identity[0]:
            return False
        if c.kind in ("serial", "identity"):
            return self.chance(0.3)
        return not (c.default and self.chance(0.4))

    def value(self, t, c, i, explicit):
        """The literal of column c in row i (None when the server computes it and nothing needs it)."""
        if c.kind in ("serial", "identity") and not explicit:
            start, step = (1, 1) if c.kind == "serial" else c.identity[1:]
            return str(start + step * i)
        if c.kind in ("serial", "identity"):
            return str(1000 + 7 * i)
        if not explicit:
            return None
        if t.kind == "partitioned" and c is t.partkey:
            return self.partition_value(t, i)
        if not c.notnull and not c.type.notnull and not c.uniq and self.chance(0.15):
            return "NULL"
        return c.type.gen(self.rng, i, c.uniq)

    def partition_value(self, t, i):
        if t.part_values:
            return self.pick(t.part_values)
        if t.partkey.type.sql == "integer":
            return str(self.rng.randint(1, 300))   # positive: a CHECK (k > 0) may hold
        return _date_gen(self.rng, i, False)

    def fill_fks(self, t, row, i):
        for child, cols, parent, key in self.fks:
            if child is not t:
                continue
            sources = parent.rows[:i] if parent is t else parent.rows
            may_null = not any(c.type.notnull for c in cols)
            if not sources or (may_null and self.chance(0.2)):
                for c in cols:
                    row[c.name] = "NULL"
                continue
            src = self.pick(sources)
            for c, kc in zip(cols, key):
                row[c.name] = src[kc.name]

    def emit_insert(self, t):
        cols = t.insert_cols
        over = " OVERRIDING SYSTEM VALUE" if any(c.kind == "identity" for c in cols) else ""
        values = ",\n    ".join("(" + ", ".join(r[c.name] for c in cols) + ")" for r in t.rows)
        if not cols:
            self.emit(f"INSERT INTO {t.qname} SELECT FROM generate_series(1, {len(t.rows)})")
            return
        self.emit(f"INSERT INTO {t.qname} ({', '.join(q(c.name) for c in cols)}){over} VALUES\n    {values}")

    # --- constraints added after the rows -----------------------------------------------------------------

    def not_valid_constraints(self):
        """NOT VALID checks and foreign keys that the rows already there violate."""
        for t in self.tables:
            if t.kind != "plain" or t is self.audit_table or not t.rows:
                continue
            refs = [c for c in t.columns if c.name.startswith("ref") and c.kind == "plain"
                    and c.type.sql == "integer"]
            targets = [p for p in self.tables if p.key and len(p.key) == 1 and p.kind == "plain"
                       and p.key[0].type.sql in ("integer", "bigint") and p.unlogged == t.unlogged]
            if refs and targets:
                name = self.names.new(f"{t.name}_ref_fk")
                p = self.pick(targets)
                self.emit(f"ALTER TABLE {t.qname} ADD CONSTRAINT {q(name)} FOREIGN KEY ({q(refs[0].name)}) "
                          f"REFERENCES {p.qname} ({q(p.key[0].name)}) NOT VALID")
            ints = [c for c in t.columns if c.type.sql == "integer" and c.kind == "plain"]
            if ints and self.chance(0.5):
                name = self.names.new(f"{t.name}_big")
                self.emit(f"ALTER TABLE {t.qname} ADD CONSTRAINT {q(name)} CHECK ({q(ints[0].name)} > 400) NOT VALID")
        if self.chance(0.5):
            name = self.names.new("small")
            self.emit(f"ALTER DOMAIN {self.domain_int} ADD CONSTRAINT {q(name)} CHECK (VALUE < 300) NOT VALID")

    def atomic_function(self):
        """A BEGIN ATOMIC body depends on the table it reads; a quoted SQL body names it only
        in text, which the server checks when check_function_bodies is on."""
        t = self.pick([x for x in self.tables if x.kind == "plain"] or self.tables)
        _, _, f = self.qualified("row_count")
        self.emit(f"CREATE FUNCTION {f}() RETURNS bigint LANGUAGE sql STABLE\n"
                  f"BEGIN ATOMIC\n  SELECT count(*) FROM {t.qname};\nEND")
        self.grants.append(("FUNCTION", f"{f}()"))
        t = self.pick(self.tables)
        _, _, g = self.qualified("row_count")
        self.emit(f"CREATE FUNCTION {g}() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM {t.qname} $$")

    # --- views -----------------------------------------------------------------------------------------

    def make_views(self):
        base = [t for t in self.tables if t.kind != "partitioned" or self.chance(0.5)]
        for _ in range(self.rng.randint(1, 3)):
            self.view(self.pick(base))
        if self.views and self.chance(0.7):
            self.view_over_view()
        if len(self.tables) > 1 and self.chance(0.5):
            self.union_view()
        for _ in range(self.rng.randint(0, 2)):
            self.matview(self.pick(self.tables))

    def view(self, t):
        s, n, v = self.qualified()
        cols = self.rng.sample(t.columns, min(len(t.columns), self.rng.randint(1, 3)))
        sel = ", ".join(f"{q(c.name)}" for c in cols)
        ints = [c for c in cols if c.type.sql == "integer"]
        where = f" WHERE {q(ints[0].name)} > 0" if ints else ""
        opts = ""
        if self.chance(0.3):
            opts = " WITH (security_barrier = true)"
        check = " WITH LOCAL CHECK OPTION" if where and self.chance(0.4) else ""
        self.emit(f"CREATE VIEW {v}{opts} AS SELECT {sel} FROM {t.qname}{where}{check}")
        self.views.append((v, [c.name for c in cols]))
        self.comments.append(f"VIEW {v}")
        self.grants.append(("VIEW", v))
        self.view_extras(v, cols)

    def view_extras(self, v, cols):
        """An INSTEAD OF trigger, a rule and a column default on a view."""
        if self.chance(0.3):
            name = self.names.new("instead")
            self.emit(f"CREATE TRIGGER {q(name)} INSTEAD OF INSERT ON {v} FOR EACH ROW "
                      f"EXECUTE FUNCTION {self.funcs['noop']}()")
            self.comments.append(f"TRIGGER {q(name)} ON {v}")
        if self.chance(0.3):
            name = self.names.new("vrule")
            self.emit(f"CREATE RULE {q(name)} AS ON DELETE TO {v} DO INSTEAD NOTHING")
        ints = [c for c in cols if c.type.sql == "integer" and c.kind == "plain"]
        if ints and self.chance(0.3):
            self.emit(f"ALTER VIEW {v} ALTER COLUMN {q(ints[0].name)} SET DEFAULT 42")

    def view_over_view(self):
        inner, cols = self.pick(self.views)
        _, _, v = self.qualified()
        alias = self.names.new(awkward=0.6)
        self.emit(f"CREATE VIEW {v} AS SELECT {q(cols[0])} AS {q(alias)}, count(*) AS n "
                  f"FROM {inner} GROUP BY 1")
        self.views.append((v, [alias, "n"]))
        self.comments.append(f"VIEW {v}")

    def union_view(self):
        a, b = self.rng.sample(self.tables, 2)
        _, _, v = self.qualified()
        self.emit(f"CREATE VIEW {v} AS SELECT {lit(a.name)} AS src, count(*) AS n FROM {a.qname}\n"
                  f"UNION ALL SELECT {lit(b.name)}, count(*) FROM {b.qname}")
        self.views.append((v, ["src", "n"]))

    def matview(self, t):
        _, n, mv = self.qualified()
        c = self.pick(t.columns)
        data = "WITH NO DATA" if self.chance(0.3) else "WITH DATA"
        self.emit(f"CREATE MATERIALIZED VIEW {mv} AS SELECT {q(c.name)}::text AS v, count(*) AS n "
                  f"FROM {t.qname} GROUP BY 1 {data}")
        idx = self.names.new(f"{n}_v")
        self.emit(f"CREATE UNIQUE INDEX {q(idx)} ON {mv} (v)")
        self.comments.append(f"MATERIALIZED VIEW {mv}")

    # --- policies and statistics ---------------------------------------------------------------------

    def policies(self):
        for t in self.tables:
            if t.kind == "child" or t is self.audit_table or not self.chance(0.3):
                continue
            ints = [c for c in t.columns if c.type.sql == "integer" and c.kind != "generated"]
            using = f"({q(ints[0].name)} > 0)" if ints else "(true)"
            if self.chance(0.3):   # depends on another table
                using = f"(EXISTS (SELECT 1 FROM {self.pick(self.tables).qname}))"
            for _ in range(self.rng.randint(1, 2)):
                name = self.names.new("pol", awkward=0.4)
                perm = self.pick(["", " AS PERMISSIVE", " AS RESTRICTIVE"])
                cmd = self.pick(["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"])
                to = self.pick(["PUBLIC", q(self.role_reader), f"{q(self.role_reader)}, {q(self.role_writer)}"])
                clause = f" WITH CHECK {using}" if cmd == "INSERT" else f" USING {using}"
                self.emit(f"CREATE POLICY {q(name)} ON {t.qname}{perm} FOR {cmd} TO {to}{clause}")
                self.comments.append(f"POLICY {q(name)} ON {t.qname}")
            self.emit(f"ALTER TABLE {t.qname} ENABLE ROW LEVEL SECURITY")
            if self.chance(0.4):
                self.emit(f"ALTER TABLE {t.qname} FORCE ROW LEVEL SECURITY")

    def statistics(self):
        for t in self.tables:
            cols = [c for c in t.columns if "ord" in c.type.tags and c.kind != "generated"]
            if t.kind != "plain" or len(cols) < 2 or not self.chance(0.3):
                continue
            _, _, st = self.qualified()
            a, b = self.rng.sample(cols, 2)
            kinds = self.pick(["", " (ndistinct)", " (dependencies, mcv)"])
            self.emit(f"CREATE STATISTICS {st}{kinds} ON {q(a.name)}, {q(b.name)} FROM {t.qname}")
            if self.chance(0.4):
                self.emit(f"ALTER STATISTICS {st} SET STATISTICS 500")
            self.comments.append(f"STATISTICS {st}")

    def sequences(self):
        """A free-standing sequence used by a default, advanced, maybe owned by a column."""
        plain = [t for t in self.tables if t.kind == "plain" and not t.no_new_columns]
        owner = self.pick(plain) if plain and self.chance(0.5) else None
        n = self.names.new("seq")
        seq = f"{q(owner.schema if owner else self.schema())}.{q(n)}"
        self.emit(f"CREATE SEQUENCE {seq} AS integer START WITH {self.rng.randint(1, 50)} "
                  f"INCREMENT BY {self.rng.randint(1, 4)} CACHE {self.rng.randint(1, 5)}")
        if self.chance(0.3):
            self.emit(f"SELECT setval({lit(seq)}, {self.rng.randint(50, 99)}, false)")
        else:
            self.emit(f"SELECT nextval({lit(seq)}) FROM generate_series(1, {self.rng.randint(1, 9)})")
        self.comments.append(f"SEQUENCE {seq}")
        if owner:
            t = owner
            c = self.names.new("seq_col", awkward=0)
            self.emit(f"ALTER TABLE {t.qname} ADD COLUMN {q(c)} integer DEFAULT nextval({lit(seq)}::regclass)")
            self.emit(f"ALTER SEQUENCE {seq} OWNED BY {t.qname}.{q(c)}")
            t.has_owned_seq = True
        else:
            self.grants.append(("SEQUENCE", seq))   # an owned sequence takes its table's owner

    # --- comments, owners, grants ---------------------------------------------------------------------

    def comment_all(self):
        for target in self.comments:
            if self.chance(0.4):
                text = self.pick(["a comment", "it's \"quoted\"", "café ☕", "multi\nline"])
                self.emit(f"COMMENT ON {target} IS {lit(text)}")

    def owners_and_grants(self):
        roles = [self.role_owner, self.role_writer]
        new_owner = set()
        for kind, name in self.grants:
            if self.chance(0.3) and self.may_change_owner(kind, name):
                self.emit(f"ALTER {kind} {name} OWNER TO {q(self.pick(roles))}")
                new_owner.add(name)
        for kind, name in self.grants:
            if kind == "SCHEMA":
                self.emit(f"GRANT USAGE ON SCHEMA {name} TO PUBLIC")
            elif self.chance(0.4) and (self.acl or kind == "TABLE" or name not in new_owner):
                # Without the ACL features, no object but a table gets both: the owner and
                # privilege steps of one object run concurrently (tuple concurrently updated).
                self.grant(kind, name)
        if self.acl:
            self.acl_features()

    def may_change_owner(self, kind, name):
        """Tables owning sequences and schemas (each gets a grant) get new owners only with the
        ACL features. Matviews keep theirs: REFRESH runs as the owner, who may not read the
        tables."""
        if kind != "TABLE":
            return kind != "SCHEMA" or self.acl
        table = next((t for t in self.tables if t.qname == name), None)
        return table is None or not table.has_owned_seq or self.acl

    def grant(self, kind, name):
        reader = q(self.role_reader)
        if kind in ("TABLE", "VIEW"):
            privs = self.pick(["SELECT", "SELECT, INSERT", "ALL", "UPDATE, DELETE"])
            self.emit(f"GRANT {privs} ON TABLE {name} TO {reader}")
        elif kind == "FUNCTION":
            self.emit(f"GRANT EXECUTE ON FUNCTION {name} TO {reader}")
        elif kind == "SEQUENCE":
            self.emit(f"GRANT USAGE, SELECT ON SEQUENCE {name} TO {reader}")
        elif kind in ("TYPE", "DOMAIN"):
            self.emit(f"GRANT USAGE ON {kind} {name} TO {reader}")

    def acl_features(self):
        """Column grants, default privileges, grant option chains and revokes."""
        reader, writer, owner = q(self.role_reader), q(self.role_writer), q(self.role_owner)
        plain = [t for t in self.tables if t.kind == "plain"]
        for t in self.rng.sample(plain, min(2, len(plain))):
            cols = [c for c in t.columns if c.kind != "generated"]
            c = self.pick(cols)
            self.emit(f"GRANT SELECT ({q(c.name)}), UPDATE ({q(c.name)}) ON {t.qname} TO {writer}")
        s = q(self.schema())
        self.emit(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {reader}")
        self.emit(f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT EXECUTE ON FUNCTIONS TO {writer}")
        if self.chance(0.5):
            self.emit("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC")
        if plain:
            t = self.pick(plain)
            self.emit(f"GRANT SELECT ON {t.qname} TO {owner} WITH GRANT OPTION")
            self.emit(f"SET ROLE {owner}")
            self.emit(f"GRANT SELECT ON {t.qname} TO {reader}")
            self.emit("RESET ROLE")
        if self.chance(0.5):
            f = self.funcs["default"]
            self.emit(f"REVOKE ALL ON FUNCTION {f}() FROM PUBLIC")


def generate(seed, acl_features=True):
    return Generator(seed, acl_features).script()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--no-acl-features", action="store_true",
                    help="leave out column grants, default privileges, grant option chains, "
                         "revokes, owners of tables that own sequences, and both an owner and a "
                         "grant on one non-table object")
    ap.add_argument("-o", "--output", help="write the script here (default: stdout)")
    args = ap.parse_args(argv)
    sql = generate(args.seed, not args.no_acl_features)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(sql)
    else:
        sys.stdout.write(sql)


if __name__ == "__main__":
    main()

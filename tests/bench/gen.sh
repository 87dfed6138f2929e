#!/usr/bin/env bash
# Deterministic schema-and-data generator for the benchmark (and the lock-wait test). Prints SQL on
# stdout; pipe it into psql (-X -q -v ON_ERROR_STOP=1). The same arguments always give the same
# schema and the same rows (generate_series and arithmetic on the row number, no random()).
#
#   gen.sh big  [--tables N] [--rows R] [--indexes I] [--fks F] [--partitions P] [--dim D]
#               [--schema S] [--no-autovacuum]
#       N tables S.t01..S.tNN (default 6) of R rows each (default 400000), each with a primary key,
#       I more indexes (default 3, at least 3: the FK column, a text column, a two-column index;
#       then a descending, an expression, a partial, an INCLUDE, a hash index, in that order),
#       F foreign keys (default 1, at least 1: to S.dim; 2: also to the previous table; 3: also
#       to itself), a CHECK; a small referenced table S.dim of D rows (default 1000); and one
#       partitioned table S.events (range on a timestamp) with P partitions (default 4) holding
#       R rows, with a primary key, indexes on the partitioned table and FKs to S.t01 and S.dim.
#       Row size is about 150 bytes: R = 400000 and N = 6 give about 450 MB of tables and indexes
#       (the tables alone: about 390 MB).
#   gen.sh many [--tables N] [--rows R] [--schema S]
#       N small tables S.t00001.. (default 5000), each with a primary key, one more index, a
#       serial-free layout (no sequences) and R rows (default 10); made in transactions of 100
#       tables, so that a server with the default max_locks_per_transaction accepts it.
#   gen.sh wide [--tables N] [--views V] [--schema S]
#       the schema-per-tenant shape of issue 15: N empty tables S.w00001.. (default 5000), each
#       with a primary key, a unique constraint, one more index, a CHECK and a foreign key (to the
#       previous table; the first to itself), and V views (default 50) each reading one table;
#       made in transactions of 100 tables. No rows.
#
# --no-autovacuum sets autovacuum_enabled = false on the generated tables (the plugin copies the
# storage option): the lock-wait test uses it so that no autovacuum worker takes a lock that a
# post-sync step would have to wait for.
set -euo pipefail

die() { echo "gen.sh: $*" >&2; exit 2; }

mode=${1:-}
[[ $mode == big || $mode == many || $mode == wide ]] || die "usage: gen.sh big|many|wide [options] (see the header)"
shift
tables='' rows='' views=50 indexes=3 fks=1 partitions=4 dim=1000 schema=bench autovac=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --tables) tables=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --views) views=$2; shift 2 ;;
    --indexes) indexes=$2; shift 2 ;;
    --fks) fks=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --dim) dim=$2; shift 2 ;;
    --schema) schema=$2; shift 2 ;;
    --no-autovacuum) autovac=0; shift ;;
    *) die "unknown argument $1" ;;
  esac
done
for v in "${tables:-1}" "${rows:-1}" "$views" "$indexes" "$fks" "$partitions" "$dim"; do
  [[ $v =~ ^[0-9]+$ ]] || die "not a number: $v"
done
[[ $schema =~ ^[a-z_][a-z0-9_]*$ ]] || die "schema name must be a plain lower-case identifier"

with=''
((autovac)) || with=' WITH (autovacuum_enabled = false)'

gen_big() {
  local n=${tables:-6} r=${rows:-400000} k prev
  ((indexes >= 3)) || die "--indexes must be at least 3"
  ((fks >= 1 && fks <= 3)) || die "--fks must be 1, 2 or 3"
  ((partitions >= 1)) || die "--partitions must be at least 1"
  ((n >= 1 && n <= 99)) || die "--tables must be 1..99 in big mode"
  cat <<SQL
SET client_min_messages = warning;
CREATE SCHEMA $schema;
CREATE TABLE $schema.dim (id integer NOT NULL, code text NOT NULL, name text)$with;
INSERT INTO $schema.dim SELECT i, 'D' || lpad(i::text, 6, '0'), 'dimension ' || i FROM generate_series(1, $dim) AS i;
ALTER TABLE $schema.dim ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX dim_code_key ON $schema.dim (code);
SQL
  for ((k = 1; k <= n; k++)); do
    local t
    t=$(printf 't%02d' "$k")
    # Columns: a key, the FK columns, and payload with realistic sort costs (an md5 text).
    cat <<SQL
CREATE TABLE $schema.$t (
  id bigint NOT NULL,
  dim_id integer NOT NULL,
  prev_id bigint,
  parent_id bigint,
  qty integer NOT NULL,
  code text NOT NULL,
  created_at timestamp with time zone NOT NULL,
  amount numeric(12,2),
  note text,
  CONSTRAINT ${t}_qty_check CHECK (qty >= 0)
)$with;
INSERT INTO $schema.$t
SELECT i,
       1 + (i * 7919) % $dim,
       CASE WHEN $k > 1 AND i % 10 <> 0 THEN 1 + (i * 104729) % $r END,
       CASE WHEN i > 1 AND i % 7 <> 0 THEN 1 + (i * 15485863) % (i - 1) END,
       (i * 31) % 100000,
       md5(i::text || '$t'),
       timestamptz '2020-01-01 00:00:00+00' + i * interval '17 seconds',
       ((i * 13) % 1000000) / 100.0,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'row ' || i || ' of $t' END
  FROM generate_series(1::bigint, $r) AS i;
SQL
  done
  # Partitioned table: R rows over P ranges of the timestamp.
  local span=$(( (r * 17 + partitions - 1) / partitions + 1 )) p
  cat <<SQL
CREATE TABLE $schema.events (
  id bigint NOT NULL,
  t01_id bigint NOT NULL,
  dim_id integer NOT NULL,
  at timestamp with time zone NOT NULL,
  kind text NOT NULL,
  payload text
) PARTITION BY RANGE (at);
SQL
  for ((p = 0; p < partitions; p++)); do
    printf "CREATE TABLE %s.events_p%02d PARTITION OF %s.events FOR VALUES FROM ('2020-01-01 00:00:00+00'::timestamptz + %d * interval '1 second') TO ('2020-01-01 00:00:00+00'::timestamptz + %d * interval '1 second')%s;\n" \
      "$schema" "$p" "$schema" $((p * span)) $(((p + 1) * span)) "$with"
  done
  cat <<SQL
INSERT INTO $schema.events
SELECT i, 1 + (i * 7919) % ${rows:-400000}, 1 + (i * 31) % $dim,
       timestamptz '2020-01-01 00:00:00+00' + i * interval '17 seconds',
       (ARRAY['click','view','buy','return'])[1 + i % 4],
       md5(i::text || 'events')
  FROM generate_series(1::bigint, $r) AS i;
SQL
  # Post-data of the source: keys, indexes, FKs (after the rows, the fast way).
  for ((k = 1; k <= n; k++)); do
    local t
    t=$(printf 't%02d' "$k")
    echo "ALTER TABLE $schema.$t ADD CONSTRAINT ${t}_pkey PRIMARY KEY (id);"
    local idx=(
      "CREATE INDEX ${t}_dim_id_idx ON $schema.$t (dim_id);"
      "CREATE INDEX ${t}_code_idx ON $schema.$t (code);"
      "CREATE INDEX ${t}_created_qty_idx ON $schema.$t (created_at, qty);"
      "CREATE INDEX ${t}_amount_desc_idx ON $schema.$t (amount DESC NULLS LAST);"
      "CREATE INDEX ${t}_lower_note_idx ON $schema.$t (lower(note));"
      "CREATE INDEX ${t}_qty_partial_idx ON $schema.$t (qty) WHERE amount > 5000;"
      "CREATE INDEX ${t}_prev_incl_idx ON $schema.$t (prev_id) INCLUDE (qty);"
      "CREATE INDEX ${t}_code_hash_idx ON $schema.$t USING hash (code);"
    )
    local i
    for ((i = 0; i < indexes; i++)); do
      if ((i < ${#idx[@]})); then
        echo "${idx[i]}"
      else
        echo "CREATE INDEX ${t}_extra$((i))_idx ON $schema.$t (qty, id) WHERE qty % $((i + 2)) = 0;"
      fi
    done
    echo "ALTER TABLE $schema.$t ADD CONSTRAINT ${t}_dim_id_fkey FOREIGN KEY (dim_id) REFERENCES $schema.dim (id);"
    if ((fks >= 2 && k > 1)); then
      prev=$(printf 't%02d' $((k - 1)))
      echo "ALTER TABLE $schema.$t ADD CONSTRAINT ${t}_prev_id_fkey FOREIGN KEY (prev_id) REFERENCES $schema.$prev (id) ON DELETE SET NULL;"
    fi
    if ((fks >= 3)); then
      echo "ALTER TABLE $schema.$t ADD CONSTRAINT ${t}_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES $schema.$t (id) ON DELETE CASCADE;"
    fi
  done
  cat <<SQL
ALTER TABLE $schema.events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);
CREATE INDEX events_t01_id_idx ON $schema.events (t01_id);
CREATE INDEX events_kind_at_idx ON $schema.events (kind, at);
CREATE INDEX events_payload_idx ON $schema.events (payload);
ALTER TABLE $schema.events ADD CONSTRAINT events_t01_id_fkey FOREIGN KEY (t01_id) REFERENCES $schema.t01 (id);
ALTER TABLE $schema.events ADD CONSTRAINT events_dim_id_fkey FOREIGN KEY (dim_id) REFERENCES $schema.dim (id);
SQL
}

gen_many() {
  local n=${tables:-5000} r=${rows:-10}
  local withopt=''
  ((autovac)) || withopt=' WITH (autovacuum_enabled = false)'
  cat <<SQL
SET client_min_messages = warning;
CREATE SCHEMA $schema;
DO \$gen\$
DECLARE
  t text;
BEGIN
  FOR i IN 1..$n LOOP
    t := 't' || lpad(i::text, 5, '0');
    EXECUTE format('CREATE TABLE %I.%I (id integer NOT NULL, name text NOT NULL, qty integer NOT NULL DEFAULT 0, '
                   'created_at timestamp with time zone NOT NULL DEFAULT ''2020-01-01 00:00:00+00'', '
                   'CONSTRAINT %I CHECK (qty >= 0))$withopt', '$schema', t, t || '_qty_check');
    EXECUTE format('INSERT INTO %I.%I (id, name, qty) SELECT g, %L || g, g * 3 FROM generate_series(1, $r) AS g',
                   '$schema', t, t || ' row ');
    EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I PRIMARY KEY (id)', '$schema', t, t || '_pkey');
    EXECUTE format('CREATE INDEX %I ON %I.%I (name)', t || '_name_idx', '$schema', t);
    IF i % 100 = 0 THEN
      COMMIT;
    END IF;
  END LOOP;
END
\$gen\$;
SQL
}

gen_wide() {
  local n=${tables:-5000}
  cat <<SQL
SET client_min_messages = warning;
CREATE SCHEMA $schema;
DO \$gen\$
DECLARE
  t text;
  p text;
BEGIN
  FOR i IN 1..$n LOOP
    t := 'w' || lpad(i::text, 5, '0');
    p := 'w' || lpad(greatest(i - 1, 1)::text, 5, '0');
    EXECUTE format('CREATE TABLE %I.%I (id integer NOT NULL, prev_id integer, code text NOT NULL, '
                   'qty integer NOT NULL DEFAULT 0, note text, '
                   'CONSTRAINT %I CHECK (qty >= 0))$with', '$schema', t, t || '_qty_check');
    EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I PRIMARY KEY (id)', '$schema', t, t || '_pkey');
    EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I UNIQUE (code)', '$schema', t, t || '_code_key');
    EXECUTE format('CREATE INDEX %I ON %I.%I (qty)', t || '_qty_idx', '$schema', t);
    EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I FOREIGN KEY (prev_id) REFERENCES %I.%I (id)',
                   '$schema', t, t || '_prev_id_fkey', '$schema', p);
    IF i % 100 = 0 THEN
      COMMIT;
    END IF;
  END LOOP;
  FOR v IN 1..$views LOOP
    t := 'w' || lpad((1 + (v - 1) * $n / greatest($views, 1))::text, 5, '0');
    EXECUTE format('CREATE VIEW %I.%I AS SELECT id, code, qty FROM %I.%I WHERE qty > 0',
                   '$schema', 'v' || lpad(v::text, 3, '0'), '$schema', t);
  END LOOP;
END
\$gen\$;
SQL
}

case $mode in
  big) gen_big ;;
  many) gen_many ;;
  wide) gen_wide ;;
esac

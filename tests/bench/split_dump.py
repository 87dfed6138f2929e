#!/usr/bin/env python3
"""Split a plain `pg_dump --schema-only` script into waves of N parallel streams.

wide.sh uses it for the bound of issue 15: pg_dump's own statements (the anchor's server work,
object for object) replayed on N sessions at once with no client work between them, so the time
it takes is about the least any tool can need for those objects on this server with N
connections.

    split_dump.py N DIR < dump.sql

writes DIR/wave<W>_<S>.sql: waves run one after the other, a wave's streams at once. The preamble
(SET lines, before the first "-- Name:" header) starts every stream. Waves, by the header's Type:
  0: everything before the first TABLE (schemas, types, functions, ...), one stream
  1: TABLE (with its OWNER and comments), spread over the streams by table
  2: what is neither a table nor a constraint, index or foreign key (views ...), one stream
  3: CONSTRAINT and INDEX, each on its table's stream (they lock it)
  4: FK CONSTRAINT, by the table that has it (the referenced keys exist after wave 3)
A table's objects always go to the same stream, so no two streams lock the same table at once
in one wave. Prints the waves' stream counts.
"""
import os
import re
import sys

HEADER = re.compile(r"^-- Name: (.*); Type: ([A-Z ]+); Schema: ([^;]*); Owner:")
INDEX_ON = re.compile(r"\bON (?:ONLY )?(\S+)")


def blocks(lines):
    """(preamble, [(type, name, schema, text)]): each "--\\n-- Name: ..." header starts a block."""
    pre, out, cur = [], [], None
    i = 0
    while i < len(lines):
        m = HEADER.match(lines[i])
        if m and i > 0 and lines[i - 1].startswith("--"):
            if cur is None:
                pre.pop()  # the "--" line above the first header
            else:
                cur[3].pop()
            cur = [m.group(2), m.group(1), m.group(3), ["--\n", lines[i]]]
            out.append(cur)
        elif cur is None:
            if not lines[i].startswith("\\"):  # \restrict and friends of newer pg_dump
                pre.append(lines[i])
        elif not lines[i].startswith("\\"):
            cur[3].append(lines[i])
        i += 1
    return pre, out


def main():
    n, outdir = int(sys.argv[1]), sys.argv[2]
    pre, objs = blocks(sys.stdin.readlines())
    stream_of = {}  # schema.table -> stream, round-robin in order of first appearance

    def stream(table):
        if table not in stream_of:
            stream_of[table] = len(stream_of) % n
        return stream_of[table]

    waves = {w: {} for w in range(5)}
    seen_table = False
    for typ, name, schema, text in objs:
        body = "".join(text)
        if typ == "TABLE":
            seen_table = True
            wave, s = 1, stream(schema + "." + name)
        elif typ in ("CONSTRAINT", "FK CONSTRAINT"):
            wave = 3 if typ == "CONSTRAINT" else 4
            s = stream(schema + "." + name.split(" ")[0])
        elif typ == "INDEX":
            m = INDEX_ON.search(body)
            table = m.group(1).replace('"', "") if m else name
            wave, s = 3, stream(table)
        else:  # before the first table: wave 0; after it (views, comments, ...): wave 2
            wave, s = (2 if seen_table else 0), 0
        waves[wave].setdefault(s, []).append(body)
    os.makedirs(outdir, exist_ok=True)
    counts = []
    for w in range(5):
        for s, parts in sorted(waves[w].items()):
            with open(os.path.join(outdir, "wave%d_%d.sql" % (w, s)), "w") as f:
                f.write("".join(pre))
                f.write("".join(parts))
        counts.append(str(len(waves[w])))
    print(" ".join(counts))


if __name__ == "__main__":
    main()

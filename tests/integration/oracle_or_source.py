#!/usr/bin/env python3
"""Where a destination's schema dump differs from the oracle's, is it the source's?

    oracle_or_source.py ORACLE DEST SOURCE

All three are pg_dump --schema-only outputs of the same pg_dump (the destination's major). The
oracle (that pg_dump of the source, restored on the destination's major) may itself differ from
the source where PostgreSQL behaves differently between releases (a shell operator's links on
15.18, test_operator_links.sh). Each region where DEST differs from ORACLE passes when DEST's
lines there, with 3 lines of context on both sides, occur as one contiguous run in SOURCE: the
destination is like the source at that place. Prints the regions that fail; exit 1 if any."""
import difflib
import sys


def lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


oracle, dest, source = (lines(p) for p in sys.argv[1:4])
source_text = "\n" + "\n".join(source) + "\n"
failed = 0
matcher = difflib.SequenceMatcher(None, oracle, dest, autojunk=False)
for tag, i1, i2, j1, j2 in matcher.get_opcodes():
    if tag == "equal":
        continue
    window = dest[max(0, j1 - 3):j2 + 3]
    if "\n" + "\n".join(window) + "\n" in source_text:
        print(f"like the source: oracle lines {i1 + 1}-{i2}, destination lines {j1 + 1}-{j2}")
        continue
    failed += 1
    print(f"DIFFERS from oracle and source: oracle lines {i1 + 1}-{i2}, destination lines {j1 + 1}-{j2}")
    for line in oracle[i1:i2]:
        print("- " + line)
    for line in dest[j1:j2]:
        print("+ " + line)
sys.exit(1 if failed else 0)

#!/usr/bin/env python3
"""Run generated schemas (tests/gen/schema_gen.py) and SQL reproducers through whole jobs,
group the failures into classes, and shrink a failing case to a small reproducer.

  gen_check.py [--seeds N] [--start S] [--seed N ...] [--sql FILE ...] [--jobs J]
               [--parallelism 1,4] [--no-acl-features] [--shrink DIR] [--keep DIR]

Every case runs tests/gen/check_sql.sh (the server: $NSP_PG_DIR/url or $NSP_PG_URL). A failure's
class is its signature: the failed stage plus the first error line of the load or the job, or
the first differing line of the schema or data comparison, with names, strings and numbers
replaced by placeholders, so the same bug found by many seeds counts once.

--shrink DIR: each failing generated seed is reduced by delta debugging over its statements (a
candidate counts only when it still loads and fails with the same signature) and written to
DIR/seedN.sql. Exit status: 0 when every case passed, 1 otherwise.
"""
import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import schema_gen  # noqa: E402

CHECK = os.path.join(HERE, "check_sql.sh")


def normalize_message(text):
    """An error message with what varies between seeds (quoted names, qualified names,
    strings, numbers) replaced; its words stay."""
    text = re.sub(r"^psql:[^:]*:\d+: ", "", text.strip())
    text = re.sub(r"'(?:[^']|'')*'", "'S'", text)
    text = re.sub(r'"(?:[^"]|"")*"', "x", text)
    text = re.sub(r"\b[0-9a-f]{32}\b", "H", text)
    text = re.sub(r"\b\d+\b", "N", text)
    text = re.sub(r"[\w$]+(?:\.[\w$]+)+", "x", text)
    return text[:160]


def normalize_sql(line):
    """A line of SQL with every identifier replaced too: keywords (pg_dump writes them in upper
    case), punctuation and the shape of the statement stay."""
    line = normalize_message(line)
    line = re.sub(r"\b(?![A-Z][A-Z_]*\b)[^\W\d][\w$]*", "x", line)
    return re.sub(r"x(?:\.x)+", "x", line)


def normalize_step(line):
    """A failed step of the job report ("    failed    KIND IDENTITY [SQLSTATE]: message"):
    its status, kind and message, not the object's name."""
    m = re.match(r"\s*(failed|skipped|conflict)\s+(\S+)\s+(.*)", line)
    if not m:
        return normalize_message(line)
    status, kind, rest = m.groups()
    cut = rest.find(" [") if " [" in rest else rest.find(": ")
    return f"{status} {kind}" + (normalize_message(rest[cut:]) if cut >= 0 else "")


def first_diff_line(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line[:1] in "+-" and not line.startswith(("+++", "---")):
                return line[0] + " " + normalize_sql(line[1:])
    return "(no differing line)"


def data_difference(path):
    """Which field of the first differing line of nsp_data_checksums differs: "table NAME ROWS
    MD5" or "sequence NAME LAST_VALUE IS_CALLED"."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [ln for ln in f if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    old = next((ln[1:].split() for ln in lines if ln[0] == "-"), [])
    new = next((ln[1:].split() for ln in lines if ln[0] == "+"), [])
    if len(old) != 4 or len(new) != 4 or old[:2] != new[:2]:
        return "a table or sequence only on one side"
    fields = {"table": ["rows", "checksum"], "sequence": ["last_value", "is_called"]}[old[0]]
    return f"{old[0]} {fields[0] if old[2] != new[2] else fields[1]} differs"


def first_error(path, patterns, norm):
    """The first line matching the first of patterns that matches any line."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.readlines()
    for pattern in patterns:
        for line in lines:
            if re.search(pattern, line):
                return norm(line)
    return "(no error line)"


def signature(outdir):
    """The failure class of a finished case, or None when it passed."""
    with open(os.path.join(outdir, "stage")) as f:
        stage = f.read().strip()
    if stage == "ok":
        return None
    kind, _, p = stage.partition(" ")
    n = p[1:]
    if kind == "load":
        detail = first_error(os.path.join(outdir, "load.err"), [r"ERROR:"], normalize_message)
    elif kind == "job":
        detail = first_error(os.path.join(outdir, f"job{n}.log"),
                             [r"^\s+(failed|conflict)\s", r"^\s+skipped\s", r"FAILED|ERROR|FATAL|error"],
                             normalize_step)
    elif kind == "data":
        detail = data_difference(os.path.join(outdir, f"data{n}.diff"))
    else:
        detail = first_diff_line(os.path.join(outdir, f"schema{n}.diff"))
    # The parallelism is not part of the class: the same bug at -j 1 and -j 4 is one bug.
    return f"{kind}: {detail}"


def run_case(sql, parallelism, keep=None):
    """Run one SQL script; return (signature or None, the directory with its evidence)."""
    outdir = keep or tempfile.mkdtemp(prefix="nsp-gen-")
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "case.sql")
    with open(path, "w", encoding="utf-8") as f:
        f.write(sql)
    subprocess.run([CHECK, path, outdir] + [str(p) for p in parallelism],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return signature(outdir), outdir


def creates_role(statement):
    return statement.startswith("DO $$ BEGIN CREATE ROLE")


def shrink(statements, sig, parallelism, log):
    """Delta debugging (ddmin) over statements: the smallest list found that still fails with
    signature sig. A removal that breaks loading changes the signature, so it is rejected.
    Roles outlive databases on the server, so their statements are kept aside while shrinking
    (their absence would go unnoticed) and put back if the result names the role."""
    roles = [s for s in statements if creates_role(s)]
    statements = [s for s in statements if not creates_role(s)]

    def fails(stmts):
        got, outdir = run_case("\n\n".join(roles + stmts) + "\n", parallelism)
        shutil.rmtree(outdir, ignore_errors=True)
        return got == sig

    n = 2
    while len(statements) >= 2:
        chunk = max(1, len(statements) // n)
        parts = [statements[i:i + chunk] for i in range(0, len(statements), chunk)]
        for i in range(len(parts)):
            rest = [s for j, part in enumerate(parts) if j != i for s in part]
            if rest and fails(rest):
                statements, n = rest, max(n - 1, 2)
                log(f"  shrink: {len(statements)} statements")
                break
        else:
            if chunk == 1:
                break
            n = min(len(statements), n * 2)
    text = "\n".join(statements)
    used = [r for r in roles if re.search(r'CREATE ROLE ("(?:[^"]|"")*")', r).group(1) in text]
    return used + statements


def cases(args):
    """(label, SQL) of every case asked for."""
    seeds = list(args.seed or [])
    if args.seeds:
        seeds += range(args.start, args.start + args.seeds)
    for seed in seeds:
        yield f"seed {seed}", seed, schema_gen.generate(seed, not args.no_acl_features)
    for path in args.sql or []:
        with open(path, encoding="utf-8") as f:
            yield os.path.basename(path), None, f.read()


def check_one(label, seed, sql, args):
    keep = os.path.join(args.keep, label.replace(" ", "")) if args.keep else None
    sig, outdir = run_case(sql, args.parallelism, keep)
    if not keep:
        shutil.rmtree(outdir, ignore_errors=True)
    return label, seed, sql, sig


def shrink_failure(seed, sql, sig, args):
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    log(f"shrinking seed {seed} ({sig})")
    small = shrink(schema_gen.split_statements(sql), sig, args.parallelism, log)
    os.makedirs(args.shrink, exist_ok=True)
    path = os.path.join(args.shrink, f"seed{seed}.sql")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"-- reproducer shrunk from seed {seed}"
                f"{' --no-acl-features' if args.no_acl_features else ''}: {sig}\n")
        f.write("\n\n".join(small) + "\n")
    log(f"  wrote {path} ({len(small)} statements)")


def summarize(results):
    classes = collections.defaultdict(list)
    for label, _, _, sig in results:
        if sig:
            classes[sig].append(label)
    failed = sum(len(v) for v in classes.values())
    print(f"\n{len(results)} cases, {len(results) - failed} passed, {failed} failed, "
          f"{len(classes)} failure classes")
    for sig, labels in sorted(classes.items(), key=lambda kv: -len(kv[1])):
        shown = ", ".join(labels[:8]) + (", ..." if len(labels) > 8 else "")
        print(f"  {len(labels):4d}  {sig}\n        {shown}")
    return failed


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=0, help="run this many seeds from --start")
    ap.add_argument("--start", type=int, default=1)
    ap.add_argument("--seed", type=int, action="append", help="run this seed (repeatable)")
    ap.add_argument("--sql", action="append", help="run this SQL file (repeatable)")
    ap.add_argument("--jobs", type=int, default=2, help="cases run at the same time")
    ap.add_argument("--parallelism", default="1,4", help="post-sync parallelisms to check")
    ap.add_argument("--no-acl-features", action="store_true", help="see schema_gen.py")
    ap.add_argument("--shrink", metavar="DIR", help="shrink failing seeds into DIR/seedN.sql")
    ap.add_argument("--keep", metavar="DIR", help="keep each case's evidence in DIR/LABEL")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    args = ap.parse_args(argv)
    args.parallelism = [int(p) for p in args.parallelism.split(",")]
    if not (args.seeds or args.seed or args.sql):
        args.seeds = 50
    return args


def main(argv=None):
    args = parse_args(argv)
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(check_one, label, seed, sql, args) for label, seed, sql in cases(args)]
        for fut in concurrent.futures.as_completed(futures):
            label, seed, sql, sig = fut.result()
            results.append((label, seed, sql, sig))
            if sig or not args.quiet:
                print(f"{label}: {sig or 'ok'}", flush=True)
    failed = summarize(results)
    if args.shrink:
        for _, seed, sql, sig in results:
            if sig and seed is not None:
                shrink_failure(seed, sql, sig, args)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

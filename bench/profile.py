"""Where an analysis spends its CPU, stage by stage: runs `costlens analyze` under `perf record`
(sampling every core, with call stacks) one query at a time, then sorts each sample into the
query that was running (from costlens's own debug log) and into a kind of work (from its call
stack). Run it through scripts/profile.

    scripts/profile                                   # the 10M-line bench month
    scripts/profile target/bench/cur2-1000000.parquet

Needs `perf` (Debian: linux-perf). The kinds are read off polars's function names, so they are
approximate: a sample counts for the first kind its stack matches, in the order below.
"""
import collections
import datetime
import os
import re
import subprocess
import sys
import tempfile

QUERIES = ["daily", "resources", "first_seen", "hourly", "containers"]
BEFORE = "before the queries (opening the files, finding the latest month)"
AFTER = "after the queries (analysers, reports)"
# (kind, any of these in the call stack), first match wins.
KINDS = [
    ("parquet: decompress", ["ZSTD", "decompress"]),
    ("parquet: decode the tag map (nested)", ["decode_nested", "collect_nested"]),
    ("parquet: decode flat columns", ["polars_parquet"]),
    ("group-by: row-encode the keys", ["polars_row", "row_encode"]),
    ("group-by: hash, insert, reduce", ["hot_groups", "hash_keys", "GroupedReduction"]),
    ("per line: text search", ["contains", "regex", "memmem"]),
    ("per line: if-then-else", ["TernaryExpr", "if_then_else", "zip_with"]),
    ("per line: casts", ["CastExpr"]),
    ("per line: other expressions", ["polars_expr", "polars_compute"]),
    ("memory: page faults", ["page_fault", "clear_page"]),
    ("memory: malloc, copies", ["malloc", "free", "memmove", "memcpy"]),
]
HZ = 499


def kind(stack):
    text = "\n".join(stack)
    for name, needles in KINDS:
        if any(n in text for n in needles):
            return name
    return "other"


def utc_seconds(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def main():
    binary, path = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        data, log = os.path.join(tmp, "perf.data"), os.path.join(tmp, "costlens.log")
        env = dict(os.environ, RUST_LOG="costlens=debug", COSTLENS_LOW_MEMORY="1")
        with open(log, "w") as err:
            subprocess.run(
                ["perf", "record", "-q", "-k", "realtime", "-e", "cpu-clock", "-F", str(HZ),
                 "--call-graph", "dwarf,16384", "-o", data, "--",
                 binary, "analyze", path, "--out", os.path.join(tmp, "reports")],
                env=env, stdout=subprocess.DEVNULL, stderr=err, check=True)
        ends = []  # (end of the stage in UTC seconds, its name)
        for line in open(log):
            m = re.match(r"(\S+Z)\s.*aggregating one query at a time", line)
            if m:
                ends.append((utc_seconds(m.group(1)), BEFORE))
            m = re.match(r"(\S+Z)\s.*one query query=(\d)", line)
            if m:
                ends.append((utc_seconds(m.group(1)), QUERIES[int(m.group(2))]))
        script = subprocess.run(
            ["perf", "script", "-i", data, "-F", "time,ip,sym", "--ns"],
            capture_output=True, text=True, check=True).stdout

    def stage(t):
        for end, name in ends:
            if t <= end:
                return name
        return AFTER

    samples = collections.defaultdict(collections.Counter)
    for block in script.split("\n\n"):
        lines = [l.strip() for l in block.strip().splitlines()]
        m = lines and re.match(r"(\d+\.\d+):", lines[0])
        if m:
            samples[stage(float(m.group(1)))][kind(lines[1:])] += 1
    total = sum(sum(c.values()) for c in samples.values())
    print(f"{total} samples at {HZ} Hz per core ({total / HZ:.2f} CPU-seconds), {path}")
    for name in [BEFORE] + QUERIES + [AFTER]:
        counts = samples.get(name)
        if not counts:
            continue
        n = sum(counts.values())
        print(f"\n{name}: {n / HZ:.2f} CPU-s, {100 * n / total:.0f}% of the run")
        for what, k in counts.most_common():
            print(f"  {100 * k / n:5.1f}%  {what}")


if __name__ == "__main__":
    main()

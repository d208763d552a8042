"""Each analyser's time against the number of resources (run through `scripts/bench analysers`).

For each target count of distinct resources (10k, 100k, 1M and 2M by default) it generates a
month of the `realistic` profile sized to hold about that many (the profile has about 0.21
distinct resources per line, see src/sample/realistic.rs), runs `costlens analyze` --runs
times, and reads the time of every stage and analyser from its `-v --log-format json` log.
The table gives the medians and, per analyser, the time per resource row: an analyser
linear in its input keeps that figure flat from the smallest month to the largest.

Lines grow with resources here (the profile's lifetimes are fixed), so the per-row figure is
the one to read; the distinct resources and resource rows of every month are printed beside it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import duckdb

from bench import BIN, ROOT, timed

RESOURCES_PER_FILLER_LINE = 0.22
STAGES = ("scan and aggregates", "analysers", "CSV files written", "report.xlsx written")


def events(log):
    for line in log.splitlines():
        try:
            yield json.loads(line).get("fields", {})
        except json.JSONDecodeError:
            continue


def timings(log):
    """{stage or analyser: seconds} and the resource rows of one costlens run."""
    seconds, rows = {}, None
    for fields in events(log):
        message = fields.get("message")
        if message == "analyser":
            seconds[fields["analyser"]] = fields["elapsed_ms"] / 1000
        elif message in STAGES:
            seconds[message] = fields["elapsed_ms"] / 1000
            rows = fields.get("resources", rows)
    if rows is None:
        raise SystemExit("no 'scan and aggregates' line with a resource count in the costlens log")
    return seconds, rows


def generate(path, lines=None):
    if not os.path.exists(path):
        print(f"generating {path} ...", flush=True)
        rows = [] if lines is None else ["--rows", str(lines)]
        subprocess.run([BIN, "sample", "--months", "1", *rows, "--seed", "7",
                        "--profile", "realistic", "--out", path], check=True)
    return duckdb.sql(f"select count(*), count(distinct line_item_resource_id) "
                      f"from read_parquet('{path}')").fetchall()[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--resources", default="10000,100000,1000000,2000000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    months = []
    scenario_lines, scenario_resources = generate(os.path.join(args.work, "cur2-scenario.parquet"))
    for target in (int(r) for r in args.resources.split(",")):
        filler = max(target - scenario_resources, 0) / RESOURCES_PER_FILLER_LINE
        lines = scenario_lines + round(filler)
        path = os.path.join(args.work, f"cur2-realistic-{lines}.parquet")
        _, distinct = generate(path, lines)
        out = os.path.join(args.work, f"report-analysers-{lines}")
        runs, peaks, rows = [], [], None
        for run in range(args.runs):
            wall, rss, log = timed([BIN, "-v", "--log-format", "json", "analyze", path, "--out", out])
            seconds, rows = timings(log)
            seconds["analyze (everything)"] = wall
            runs.append(seconds)
            peaks.append(rss)
            print(f"{distinct:>10,} resources run {run + 1}: analyze {wall:.2f} s, {rss:.0f} MiB, "
                  f"analysers {seconds.get('analysers', 0):.2f} s", flush=True)
        names = list(runs[0])
        median = {n: statistics.median(r.get(n, 0.0) for r in runs) for n in names}
        months.append((lines, distinct, rows, median, statistics.median(peaks)))

    names = list(months[-1][3])
    header = "| stage or analyser | " + " | ".join(
        f"{d:,} resources ({r:,} rows, {l:,} lines)" for l, d, r, _, _ in months) + " |"
    table = [header, "|---|" + "---:|" * len(months)]
    for name in names:
        cells = [f"{m[name]:.3f} s ({m[name] * 1e6 / r:.2f} µs/row)"
                 for _, _, r, m, _ in months]
        table.append(f"| {name} | " + " | ".join(cells) + " |")
    table.append("| peak memory | " + " | ".join(f"{p:.0f} MiB" for *_, p in months) + " |")
    text = "\n".join(table)
    print(f"\nmedians of {args.runs} runs, {os.cpu_count()} cores\n\n{text}")
    with open(os.path.join(args.work, "analysers.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main())

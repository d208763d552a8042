"""costlens against DuckDB on the same work, in one session (run through scripts/bench).

For each profile (`steady`: filler instances running all month, a few thousand resources;
`realistic`: millions of short-lived resources, 30% of lines without one, 200 accounts; see
src/sample/realistic.rs) and each size (1M and 10M lines by default; --sizes
1000000,10000000,100000000 for 100M) it generates a CUR 2.0 month with `costlens sample`, then
runs, alternating, --runs times each:
  1. costlens analyze: everything (import, every analyser, every report file);
  2. the peer: DuckDB running four aggregations in SQL over the same file:
     cost by service by day; per account, total and untagged cost (no `team` tag);
     hourly on-demand EC2 usage per (region, instance type) with its minimum and 10th
     percentile over the month's hours (zero-filled); the top 100 resources by cost;
  3. a floor: DuckDB reading the columns those need (scan and count);
  4. a second peer, Polars from Python (the engine costlens is built on) running the same four
     queries, and its own floor (bench/polars_peer.py).
Wall time and peak memory come from /usr/bin/time -v; the table shows medians and the ratio
costlens / DuckDB from this session. Finally costlens's own figures for the four aggregations
(daily_cost.csv, cost_by_account.csv + tag_coverage.csv, usage_baseline.csv,
top_resources.csv), and Polars's answers, are checked against DuckDB's.

The SQL uses costlens's definitions, so both do the same work: effective (amortised) cost by
AWS's rules; untagged = taggable lines (usage lines with a resource id) without a non-empty
`team` tag, key matched case-insensitively; on-demand EC2 = Usage lines of BoxUsage.
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("COSTLENS_BENCH_BIN", os.path.join(ROOT, "target", "release", "costlens"))

EFFECTIVE = """case line_item_line_item_type
  when 'SavingsPlanCoveredUsage' then coalesce(savings_plan_savings_plan_effective_cost, 0)
  when 'SavingsPlanRecurringFee' then coalesce(savings_plan_total_commitment_to_date, 0) - coalesce(savings_plan_used_commitment, 0)
  when 'SavingsPlanNegation' then 0
  when 'SavingsPlanUpfrontFee' then 0
  when 'DiscountedUsage' then coalesce(reservation_effective_cost, 0)
  when 'RIFee' then coalesce(reservation_unused_amortized_upfront_fee_for_billing_period, 0) + coalesce(reservation_unused_recurring_fee, 0)
  else line_item_unblended_cost end"""

QUERIES = {
    "daily": """
        select cast(date_trunc('day', line_item_usage_start_date) as date) as day,
               line_item_product_code as code, sum({eff}) as cost
        from read_parquet('{f}') group by all""",
    "accounts": """
        select line_item_usage_account_id as account, sum({eff}) as total,
               sum({eff}) filter (where coalesce(line_item_resource_id, '') <> ''
                   and line_item_line_item_type in ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation')
                   and len(list_filter(resource_tags, lambda x: lower(x.key) = 'user_team' and trim(x.value) <> '')) = 0) as untagged
        from read_parquet('{f}') group by all""",
    "baseline": """
        with usage as (
            select product_region_code as region, product_instance_type as itype,
                   line_item_usage_start_date as hour, sum(line_item_usage_amount) as n
            from read_parquet('{f}')
            where line_item_line_item_type = 'Usage' and line_item_product_code = 'AmazonEC2'
              and line_item_usage_type like '%BoxUsage%'
            group by all),
        hours as (
            select unnest(generate_series(min(hour), max(hour), interval 1 hour)) as hour from usage),
        pairs as (select distinct region, itype from usage)
        select p.region, p.itype, min(coalesce(u.n, 0)) as min_n,
               quantile_cont(coalesce(u.n, 0), 0.1) as p10_n
        from pairs p cross join hours h
        left join usage u on u.region = p.region and u.itype = p.itype and u.hour = h.hour
        group by all""",
    "top": """
        select line_item_resource_id as id, sum({eff}) as cost
        from read_parquet('{f}') where coalesce(line_item_resource_id, '') <> ''
        group by all order by cost desc, id limit 100""",
}

FLOOR = """select count(*), sum(line_item_unblended_cost), count(distinct line_item_product_code)
    from read_parquet('{f}', hive_partitioning = false)
    where line_item_usage_start_date is not null and line_item_resource_id is not null
      and resource_tags is not null and line_item_usage_account_id is not null"""


def duckdb_script(path, queries):
    """A Python one-liner program for /usr/bin/time: runs the queries in one DuckDB session."""
    body = ";".join(
        f"c.sql({json.dumps(q.format(f=path, eff=EFFECTIVE))}).fetchall()" for q in queries
    )
    return [sys.executable, "-c", f"import duckdb; c = duckdb.connect(); {body}"]


PEER = os.path.join(ROOT, "bench", "polars_peer.py")


def polars_script(path, *flags):
    return [sys.executable, PEER, path, *flags]


def timed(command, cwd=None):
    """Wall seconds, peak RSS (MiB) and stderr of one command, via GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        start = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-v", "-o", out.name, *command],
            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        wall = time.perf_counter() - start
        if result.returncode not in (0, 1):
            sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
        rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.read()).group(1))
    return wall, rss_kib / 1024, result.stderr


def stage_seconds(log, stage):
    """The elapsed time costlens logs (-v --log-format json) for one stage."""
    for line in log.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        fields = event.get("fields", {})
        if fields.get("message") == stage:
            return fields["elapsed_ms"] / 1000
    raise SystemExit(f"no '{stage}' timing in the costlens log")


def close(a, b, what):
    if abs(a - b) > 1e-6 * max(1.0, abs(a), abs(b)):
        raise SystemExit(f"figures differ for {what}: costlens {a} vs DuckDB {b}")


def cents(a, b, what, roundings=1):
    """costlens's CSVs hold money to the cent: equal to DuckDB's figure rounded, within half a
    cent per rounded figure that went into `a`."""
    if abs(a - b) > 0.005 * roundings + 1e-9 * max(1.0, abs(b)):
        raise SystemExit(f"figures differ for {what}: costlens {a} vs DuckDB {b}")


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def duckdb_answers(path):
    """DuckDB's answers to the four queries, by name."""
    con = duckdb.connect()
    return {name: con.sql(q.format(f=path, eff=EFFECTIVE)).fetchall() for name, q in QUERIES.items()}


def check_figures(report, duck_answers):
    """costlens's CSVs against DuckDB's answers to the four queries."""
    names = {}
    with open(os.path.join(ROOT, "data", "aws_services.csv")) as f:
        for line in f:
            if not line.startswith("#") and not line.startswith("code,"):
                code, name, _ = line.rstrip("\n").split(",", 2)
                names[code] = name
    duck = {}
    for (day, code, cost) in duck_answers["daily"]:
        key = (str(day), names.get(code, code))
        duck[key] = duck.get(key, 0.0) + cost
    ours = {(r["date"], r["service"]): float(r["effective_cost"]) for r in read_csv(f"{report}/daily_cost.csv")}
    assert set(ours) == set(duck), "daily: different (day, service) pairs"
    for k in duck:
        cents(ours[k], duck[k], f"daily {k}")

    accounts = {a: (t, u or 0.0) for a, t, u in duck_answers["accounts"]}
    totals = {r["account_id"]: float(r["effective_cost"]) for r in read_csv(f"{report}/cost_by_account.csv")}
    untagged = {
        r["scope_value"]: float(r["taggable_cost"]) - float(r["compliant_cost"])
        for r in read_csv(f"{report}/tag_coverage.csv") if r["scope"] == "account" and r["key"] == "team"
    }
    for a, (t, u) in accounts.items():
        cents(totals[a], t, f"account {a} total")
        cents(untagged.get(a, 0.0), u, f"account {a} untagged", roundings=2)

    base = {(r["region"], r["instance_type"]): (float(r["min_instances"]), float(r["p10_instances"]))
            for r in read_csv(f"{report}/usage_baseline.csv")}
    rows = duck_answers["baseline"]
    assert len(rows) == len(base), f"baseline: {len(base)} pairs vs DuckDB {len(rows)}"
    for region, itype, mn, p10 in rows:
        close(base[(region, itype)][0], mn, f"min {region} {itype}")
        close(base[(region, itype)][1], p10, f"p10 {region} {itype}")

    top = duck_answers["top"]
    ours = read_csv(f"{report}/top_resources.csv")
    assert len(ours) == len(top) == 100
    for (id_, cost), r in zip(top, ours):
        cents(float(r["effective_cost"]), cost, f"top resource {id_}")
    # Ties at the cut-off may order differently; the set of costs must match exactly.
    return "ok"


def check_polars(path, duck):
    """Polars's answers to the four queries against DuckDB's: the peers do the same work."""
    out = subprocess.run(polars_script(path, "--json"), check=True, capture_output=True, text=True)
    ours = json.loads(out.stdout)
    daily = {(day, code): cost for day, code, cost in ours["daily"]}
    assert len(daily) == len(duck["daily"]), "Polars daily: different (day, code) pairs"
    for day, code, cost in duck["daily"]:
        close(daily[(str(day), code)], cost, f"Polars daily {day} {code}")
    accounts = {a: (t, u or 0.0) for a, t, u in ours["accounts"]}
    for a, t, u in duck["accounts"]:
        close(accounts[a][0], t, f"Polars account {a} total")
        close(accounts[a][1], u or 0.0, f"Polars account {a} untagged")
    base = {(r, i): (mn, p10) for r, i, mn, p10 in ours["baseline"]}
    assert len(base) == len(duck["baseline"]), "Polars baseline: different pairs"
    for r, i, mn, p10 in duck["baseline"]:
        close(base[(r, i)][0], mn, f"Polars min {r} {i}")
        close(base[(r, i)][1], p10, f"Polars p10 {r} {i}")
    for (_, ours_cost), (_, cost) in zip(ours["top"], duck["top"], strict=True):
        close(ours_cost, cost, "Polars top resources")


def polars_version():
    out = subprocess.run([sys.executable, "-c", "import polars; print(polars.__version__)"],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--profiles", default="steady,realistic")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    table = []
    runs = [(p, int(s)) for p in args.profiles.split(",") for s in args.sizes.split(",")]
    for profile, size in runs:
        path = os.path.join(args.work, f"cur2-{profile}-{size}.parquet")
        if not os.path.exists(path):
            print(f"generating {size:,} {profile} lines ...", flush=True)
            subprocess.run([BIN, "sample", "--months", "1", "--rows", str(size), "--seed", "7",
                            "--profile", profile, "--out", path], check=True)
        samples = {"costlens": [], "duckdb": [], "floor": [], "polars": [], "polars floor": []}
        scans = []
        out = os.path.join(args.work, f"report-{profile}-{size}")
        for run in range(args.runs):
            wall, rss, log = timed([BIN, "-v", "--log-format", "json", "analyze", path, "--out", out])
            samples["costlens"].append((wall, rss))
            scans.append(stage_seconds(log, "scan and aggregates"))
            samples["duckdb"].append(timed(duckdb_script(path, QUERIES.values()))[:2])
            samples["floor"].append(timed(duckdb_script(path, [FLOOR]))[:2])
            samples["polars"].append(timed(polars_script(path))[:2])
            samples["polars floor"].append(timed(polars_script(path, "--floor"))[:2])
            print(f"{profile} {size:>11,} run {run + 1}: " + ", ".join(
                f"{k} {v[-1][0]:.2f} s {v[-1][1]:.0f} MiB" for k, v in samples.items())
                + f", costlens scan+aggregates {scans[-1]:.2f} s", flush=True)
        report = os.path.join(out, "2026-10")
        duck = duckdb_answers(path)
        figures = check_figures(report, duck)
        check_polars(path, duck)
        med = {k: (statistics.median(w for w, _ in v), statistics.median(m for _, m in v)) for k, v in samples.items()}
        med["scan"] = (statistics.median(scans), 0)
        resources = duckdb.sql(
            f"select count(distinct line_item_resource_id) from read_parquet('{path}')").fetchall()[0][0]
        findings = len(read_csv(os.path.join(report, "findings.csv")))
        table.append((profile, size, resources, findings, med, figures))
    lines = [
        "| profile | lines | distinct resources | findings | costlens aggregations (scan + all aggregates) | costlens analyze (everything) | DuckDB 4 queries | DuckDB floor (scan) | Polars 4 queries | Polars floor (scan) | aggregations / DuckDB | analyze / DuckDB | Polars / DuckDB | costlens peak | DuckDB peak | Polars peak | figures |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for profile, size, resources, findings, med, figures in table:
        duck = med["duckdb"][0]
        lines.append(
            f"| {profile} | {size:,} | {resources:,} | {findings:,} | {med['scan'][0]:.2f} s | {med['costlens'][0]:.2f} s | {duck:.2f} s | {med['floor'][0]:.2f} s | "
            f"{med['polars'][0]:.2f} s | {med['polars floor'][0]:.2f} s | "
            f"{med['scan'][0] / duck:.2f} | {med['costlens'][0] / duck:.2f} | {med['polars'][0] / duck:.2f} | "
            f"{med['costlens'][1]:.0f} MiB | {med['duckdb'][1]:.0f} MiB | {med['polars'][1]:.0f} MiB | {figures} |"
        )
    text = "\n".join(lines)
    versions = f"DuckDB {duckdb.__version__}, Polars {polars_version()}"
    print(f"\nmedians of {args.runs} runs, {os.cpu_count()} cores, {versions}\n\n{text}")
    with open(os.path.join(args.work, "results.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()

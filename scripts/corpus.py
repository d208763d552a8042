"""The bad, odd and hostile input corpus of issue 16, run through `convert`, `summary` and
`analyze` (see scripts/corpus, which installs DuckDB and pyarrow and builds the binary).

Every case says what it must give: the exact billed total (computed here with Python's
decimal module, or by DuckDB's DECIMAL sum for the mutated public samples) or a refusal.
Each command run is counted as one of: clean exit 2 (a refusal: exit 2, one error line naming
the file), exact exit 0 (summary's total digit for digit, convert's output summed by DuckDB,
analyze exit 0 or 1), panic (exit 101 or "panicked"), hang (killed after 60 s), wrong total
(exit 0 with another total), accepted bad input (exit 0 or 1 where a refusal was due), unclean
exit 2 (exit 2 where a total was due, or an error that does not name the file).
Prints the counts, and every case that is not clean or exact.
"""
import argparse
import decimal
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

D = decimal.Decimal
decimal.getcontext().prec = 80
UTC = dt.timezone.utc
ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("COSTLENS_CORPUS_BIN", str(ROOT / "target" / "debug" / "costlens"))
REFUSE = "refuse"

FOCUS_HEADER = ("BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargePeriodStart,"
                "ChargeCategory,ServiceName,SubAccountId,Tags")


def focus_csv(path, lines, tags=None):
    """lines: (cost text, currency, start); every cost column holds the cost."""
    rows = [FOCUS_HEADER]
    for i, (cost, currency, start) in enumerate(lines):
        tag = tags[i] if tags else "{}"
        tag = '"' + tag.replace('"', '""') + '"'
        rows.append(f'"{cost}","{cost}","{cost}",{currency},{start},Usage,Compute,111,{tag}')
    Path(path).write_text("\n".join(rows) + "\n", encoding="utf-8")


def total(costs):
    return sum((D(c.strip()) for c in costs), D(0))


def cur_table(n, cost, **over):
    cols = {
        "line_item_line_item_type": ["Usage"] * n,
        "line_item_usage_start_date": pa.array(
            [dt.datetime(2026, 10, 1 + i % 28, tzinfo=UTC) for i in range(n)], pa.timestamp("ms", tz="UTC")),
        "line_item_usage_end_date": pa.array(
            [dt.datetime(2026, 10, 1 + i % 28, 1, tzinfo=UTC) for i in range(n)], pa.timestamp("ms", tz="UTC")),
        "line_item_currency_code": ["USD"] * n,
        "line_item_unblended_cost": cost,
        "line_item_product_code": ["AmazonEC2"] * n,
    }
    cols.update(over)
    return pa.table(cols)


def cases(work, rng):
    """(family, name, inputs, expected total or REFUSE, extra summary args)."""
    out = []

    def add(family, name, inputs, expect, extra=()):
        out.append((family, name, [str(p) for p in inputs], expect, list(extra)))

    # --- magnitude -------------------------------------------------------------------------
    m = work / "magnitude"
    m.mkdir()
    for name, costs in {
        "line-1e10": ["10000000000.000000000001", "1"],
        "month-past-9.22e9": ["300000000.123456789012"] * 31,
        "sum-1e13": ["3333333333333.333333333333"] * 3 + ["0.000000000001"],
        "sum-1e15": ["99999999999999.999999999999"] * 10 + ["0.00000000001"],
        "yen-line-1.2e10": ["12000000000", "1"],
        "rupiah-month-2e10": ["1.0000000005E9"] * 20,
        "tiny": ["0.000000000001"] * 7,
        "scientific": ["4.0E-7", "1.5e3", "-2E-1"],
        "credits": ["100", "-100.000000000001", "0.000000000001"],
        "thirteen-decimals": ["0.0000000000005", "0.0000000000004"],
    }.items():
        focus_csv(m / f"{name}.csv", [(c, "USD", "2026-10-05T00:00:00Z") for c in costs])
        # Digits past the 12th decimal round half away from zero, line by line.
        expect = sum((D(c).quantize(D("1e-12"), rounding=decimal.ROUND_HALF_UP) for c in costs), D(0))
        add("magnitude", name + ".csv", [m / f"{name}.csv"], expect)
    for bad in ["1e308", "NaN", "inf", "-Infinity", "1e15", "1e400", "0x1F", "1_000"]:
        focus_csv(m / f"bad-{bad}.csv", [("1", "USD", "2026-10-01"), (bad, "USD", "2026-10-02")])
        add("magnitude", f"bad-{bad}.csv", [m / f"bad-{bad}.csv"], REFUSE)
    for name, values in {
        "double-yen-odd": [12345678901.0, 9876543210.0, 0.5],
        "double-1e13": [9999999999999.5, 0.5],
        "double-1e14-cents": [123456789012.34] * 3,
    }.items():
        pq.write_table(cur_table(len(values), values), m / f"{name}.parquet")
        add("magnitude", name + ".parquet", [m / f"{name}.parquet"], sum((D(repr(v)) for v in values), D(0)))
    for name, value in {"double-nan": float("nan"), "double-inf": float("inf"),
                        "double-1e308": 1e308, "double-minus-1e300": -1e300}.items():
        pq.write_table(cur_table(4, [1.0, 2.0, value, 3.0]), m / f"{name}.parquet")
        add("magnitude", name + ".parquet", [m / f"{name}.parquet"], REFUSE)

    # --- currency --------------------------------------------------------------------------
    c = work / "currency"
    c.mkdir()
    focus_csv(c / "empty-currency.csv", [("1", "USD", "2026-10-01"), ("2", "", "2026-10-02")])
    add("currency", "empty-currency.csv", [c / "empty-currency.csv"], REFUSE)
    lines = [("1", "USD" if i % 10 else "", "2026-10-01") for i in range(50)]
    focus_csv(c / "ten-percent-empty.csv", lines)
    add("currency", "ten-percent-empty.csv", [c / "ten-percent-empty.csv"], REFUSE)
    pq.write_table(cur_table(10, [1.0] * 10, line_item_currency_code=["USD"] * 9 + [None]), c / "null-currency.parquet")
    add("currency", "null-currency.parquet", [c / "null-currency.parquet"], REFUSE)
    focus_csv(c / "usd.csv", [("1", "USD", "2026-10-01")])
    focus_csv(c / "eur.csv", [("2", "EUR", "2026-10-01")])
    # Never summed without a choice; convert sums nothing and keeps both (1 USD + 2 EUR lines).
    add("currency", "mixed-without-choice", [c / "usd.csv", c / "eur.csv"], {"convert": D(3), "*": REFUSE})
    add("currency", "mixed-eur-chosen", [c / "usd.csv", c / "eur.csv"], {"convert": D(3), "*": D(2)},
        ["--currency", "EUR"])

    # --- links and special files -----------------------------------------------------------
    lk = work / "links"
    lk.mkdir()
    month = lk / "month"
    month.mkdir()
    focus_csv(month / "a.csv", [("1.25", "USD", "2026-10-01"), ("2", "USD", "2026-10-02")])
    os.symlink(month / "a.csv", month / "symlink.csv")
    os.link(month / "a.csv", month / "hardlink.csv")
    os.symlink(month, month / "loop")
    os.symlink(month / "y.csv", month / "x.csv")
    os.symlink(month / "x.csv", month / "y.csv")
    os.symlink(month / "missing.csv", month / "dangling.csv")
    os.mkfifo(month / "fifo.csv")
    add("links", "dir-with-links-loops-fifo", [month], D("3.25"))
    add("links", "dir-and-its-file-again", [month, month / "a.csv"], D("3.25"))
    add("links", "fifo-named", [month / "fifo.csv"], REFUSE)
    add("links", "dev-null", ["/dev/null"], REFUSE)
    sparse = lk / "sparse.csv"
    sparse.write_text(FOCUS_HEADER + "\n")
    with open(sparse, "r+b") as f:
        f.truncate(2 << 30)
    add("links", "sparse-2GiB.csv", [sparse], REFUSE)
    (lk / "text.parquet").write_text(FOCUS_HEADER + "\n1,1,1,USD,2026-10-01,Usage,x,1,{}\n")
    add("links", "text-named-parquet", [lk / "text.parquet"], REFUSE)
    pq.write_table(cur_table(1, [1.0]), lk / "parquet.csv")
    add("links", "parquet-named-csv", [lk / "parquet.csv"], REFUSE)
    (lk / "empty.csv").write_text("")
    add("links", "empty.csv", [lk / "empty.csv"], REFUSE)
    (lk / "header-only.csv").write_text(FOCUS_HEADER + "\n")
    add("links", "header-only.csv", [lk / "header-only.csv"], REFUSE)
    pq.write_table(cur_table(0, pa.array([], pa.float64())), lk / "zero-rows.parquet")
    add("links", "zero-rows.parquet", [lk / "zero-rows.parquet"], REFUSE)
    (lk / "binary.csv").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    add("links", "binary.csv", [lk / "binary.csv"], REFUSE)

    # --- timestamps ------------------------------------------------------------------------
    t = work / "timestamps"
    t.mkdir()
    for name, start in {
        "offset-new-york": "2026-10-31T21:00:00-04:00",
        "offset-kolkata": "2026-10-01T01:30:00+05:30",
        "offset-compact": "2026-10-15T10:00:00-0700",
        "fraction-micro": "2026-10-15T10:00:00.123456Z",
        "date-only": "2026-10-15",
        "minutes-only": "2026-10-15T10:00Z",
    }.items():
        focus_csv(t / f"{name}.csv", [("1.5", "USD", start), ("2.5", "USD", "2026-10-10T00:00:00Z")])
        add("timestamps", name, [t / f"{name}.csv"], D(4))
    for name, start in {
        "junk": "soon", "us-format": "10/31/2026", "multibyte": "2026-10-0１",
        "fullwidth-year": "２０２６-10-01", "leap-second": "2016-12-31T23:59:60Z",
        "before-1970": "1969-12-31T23:00:00Z", "year-0001": "0001-01-01",
        "year-275760": "+275760-09-13", "named-zone": "2026-10-01T00:00:00 EST",
        "hour-24": "2026-10-01T24:00:00Z", "feb-30": "2026-02-30", "empty": "",
    }.items():
        lines = [("1", "USD", "2026-10-01")] * 9 + [("1", "USD", start)]
        focus_csv(t / f"{name}.csv", lines)
        add("timestamps", name, [t / f"{name}.csv"], REFUSE)
    focus_csv(t / "all-null.csv", [("1", "USD", "")] * 5)
    add("timestamps", "all-null-starts", [t / "all-null.csv"], REFUSE)
    far = 300_000 * 365 * 86_400_000
    for name, values in {"far-future": [1_790_812_800_000] * 3 + [far], "null": [1_790_812_800_000] * 3 + [None],
                         "negative": [1_790_812_800_000] * 3 + [-86_400_000]}.items():
        table = cur_table(4, [1.0] * 4, line_item_usage_start_date=pa.array(values, pa.timestamp("ms", tz="UTC")))
        pq.write_table(table, t / f"parquet-{name}.parquet")
        add("timestamps", f"parquet-start-{name}", [t / f"parquet-{name}.parquet"], REFUSE)
    for unit in ["s", "ms", "us", "ns"]:
        for zone in [None, "UTC", "America/New_York", "Asia/Tokyo"]:
            starts = [dt.datetime(2026, 10, 31, 21, tzinfo=UTC)] * 2
            arr = pa.array(starts if zone else [s.replace(tzinfo=None) for s in starts], pa.timestamp(unit, tz=zone))
            table = cur_table(2, [1.25, 2.0], line_item_usage_start_date=arr, line_item_usage_end_date=arr)
            name = f"parquet-{unit}-{zone or 'naive'}".replace("/", "_")
            pq.write_table(table, t / f"{name}.parquet")
            add("timestamps", name, [t / f"{name}.parquet"], D("3.25"))

    # --- DECIMAL and other parquet types ---------------------------------------------------
    d = work / "decimal"
    d.mkdir()
    for p, s in [(20, 6), (24, 12), (38, 12), (38, 18), (18, 2), (9, 0), (38, 0)]:
        q = D(1).scaleb(-s)
        values = [D(rng.randrange(-10 ** (min(p - s, 14)), 10 ** (min(p - s, 14)))) + D(rng.randrange(10 ** s)) * q
                  for _ in range(20)]
        values = [v.quantize(q) for v in values]
        pq.write_table(cur_table(20, pa.array(values, pa.decimal128(p, s))), d / f"decimal-{p}-{s}.parquet")
        # Beyond 12 decimals the amount is kept to the 12th, half to even (polars' rescaling).
        expect = sum((v.quantize(D("1e-12"), rounding=decimal.ROUND_HALF_EVEN) for v in values), D(0))
        add("decimal", f"decimal({p},{s})", [d / f"decimal-{p}-{s}.parquet"], expect)
    for typ in [pa.int32(), pa.int64(), pa.int16(), pa.uint32(), pa.float32()]:
        values = [rng.randrange(0, 30000) for _ in range(10)]
        pq.write_table(cur_table(10, pa.array(values, typ)), d / f"{typ}.parquet")
        add("decimal", f"cost-{typ}", [d / f"{typ}.parquet"], D(sum(values)))
    table = cur_table(3, [1.0, 2.0, 3.5],
                      line_item_currency_code=pa.array(["USD"] * 3).dictionary_encode(),
                      line_item_product_code=pa.array(["AmazonEC2"] * 3, pa.large_string()),
                      line_item_line_item_type=pa.array(["Usage"] * 3).dictionary_encode())
    pq.write_table(table, d / "dictionary-large-strings.parquet")
    add("decimal", "dictionary-and-large-strings", [d / "dictionary-large-strings.parquet"], D("6.5"))
    pq.write_table(cur_table(2, pa.array([D("1.5"), D("2")], pa.decimal256(50, 10))), d / "decimal256.parquet")
    # Polars holds DECIMAL of up to 38 digits: wider is refused, naming file and column.
    add("decimal", "decimal256(50,10)", [d / "decimal256.parquet"], REFUSE)
    pq.write_table(cur_table(2, pa.array(["1.5", "2"])), d / "text-cost.parquet")
    add("decimal", "text-cost-column", [d / "text-cost.parquet"], REFUSE)

    # --- hostile text (issue 21's to fix; here: the money must not move) ------------------
    h = work / "hostile"
    h.mkdir()
    # Raw control characters are not JSON: refused, naming the cell.
    focus_csv(h / "raw-control.csv", [("1", "USD", "2026-10-01")], ['{"team": "a\x1fb"}'])
    add("hostile", "raw-control-in-json", [h / "raw-control.csv"], REFUSE)
    for name, tag in {
        "unit-separator": '{"team": "a\\u001fb"}', "record-separator": '{"team": "a\\u001ee\\u001fb"}',
        "formula": '{"team": "=HYPERLINK(\\"x\\")"}', "fullwidth-formula": '{"team": "＝1+1"}',
        "html": '{"team": "<script>alert(1)</script>"}', "markdown": '{"team": "a|b**c**"}',
        "newline": '{"team": "a\\nb"}', "control": '{"team": "\\u0007\\u001b[31m"}',
    }.items():
        focus_csv(h / f"{name}.csv", [("1.5", "USD", "2026-10-01"), ("2", "USD", "2026-10-02")], [tag, "{}"])
        add("hostile", name, [h / f"{name}.csv"], D("3.5"))
    focus_csv(h / "bad-json-tags.csv", [("1", "USD", "2026-10-01")], ["{not json"])
    add("hostile", "invalid-json-tags", [h / "bad-json-tags.csv"], REFUSE)

    # --- seeded mutations of the public CUR CSV sample -------------------------------------
    sample = ROOT / "sample-data/public/cur-legacy-csv/sample-anonymous-aws-export-dataset.csv"
    mu = work / "mutations"
    mu.mkdir()
    lines = sample.read_text().splitlines()
    header = lines[0].split(",")
    cost_at = header.index("lineItem/UnblendedCost")
    con = duckdb.connect()
    for i in range(40):
        body = lines[1:]
        rng.shuffle(body)
        body = body[: rng.randrange(1, len(body))]
        kind = rng.choice(["keep", "keep", "defect"])
        if kind == "defect":
            j = rng.randrange(len(body))
            cells = body[j].split(",")
            if len(cells) == len(header):
                cells[cost_at] = rng.choice(["NaN", "1e308", "x", "inf"])
                body[j] = ",".join(cells)
            else:
                kind = "keep"
        path = mu / f"mutation-{i}.csv"
        path.write_text("\n".join([lines[0]] + body) + "\n")
        if kind == "defect":
            add("mutations", path.name, [path], REFUSE)
        else:
            q = f"""select sum("lineItem/UnblendedCost"::DECIMAL(38,12)) from read_csv('{path}', all_varchar=true)"""
            add("mutations", path.name, [path], con.sql(q).fetchall()[0][0])

    # --- configuration ---------------------------------------------------------------------
    cf = work / "config"
    cf.mkdir()
    good = month / "a.csv"
    for key, section, value in [
        ("min_tag_coverage_pct", "gates", "nan"), ("max_mom_growth_pct", "gates", "inf"),
        ("min_commitment_utilization_pct", "gates", "101"), ("max_anomaly_impact", "gates", "-1"),
        ("idle_cpu_max_pct", "usage", "-inf"), ("ebs_gp2_gb_month", "usage", "nan"),
        ("business_hours_end", "usage", "25"), ("spot_discount_pct", "rate", "100"),
        ("underused_below_pct", "rate", "nan"), ("short_lived_hours", "rate", "0"),
        ("sensitivity", "anomaly", "nan"), ("min_impact", "anomaly", "-5"), ("window_days", "anomaly", "1"),
    ]:
        path = cf / f"{section}-{key}-{value}.toml"
        path.write_text(f"[{section}]\n{key} = {value}\n")
        out.append(("config", path.name, [str(good)], REFUSE, ["--config", str(path)]))
    for value in ["nan", "-10", "inf"]:
        path = cf / f"budget-{value}.toml"
        path.write_text(f'[[budgets]]\nname = "x"\naccount = "1"\namount = {value}\n')
        out.append(("config", path.name, [str(good)], REFUSE, ["--config", str(path)]))
    return out


def run(args, cwd):
    try:
        p = subprocess.run([BIN] + args, cwd=cwd, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL, env={k: v for k, v in os.environ.items() if k != "RUST_LOG"})
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "hang", "", ""


def names_input(stderr, inputs, extra):
    errors = [l for l in stderr.splitlines() if l.startswith("costlens: error:")]
    named = [Path(i).name for i in inputs] + [Path(e).name for e in extra if "/" in e]
    return len(errors) == 1 and (any(n in errors[0] for n in named) or "currency" in errors[0])


def classify(command, case, code, stdout, stderr, work):
    family, name, inputs, expect, extra = case
    if isinstance(expect, dict):
        expect = expect.get(command, expect["*"])
    if code == "hang":
        return "hang"
    if code == 101 or "panicked" in stderr:
        return "panic"
    if expect == REFUSE:
        if code == 2:
            return "clean exit 2" if names_input(stderr, inputs, extra) else "unclean exit 2"
        return "accepted bad input"
    if code == 2:
        return "unclean exit 2"
    if command == "summary":
        m = re.search(r'"billed_cost": ([-0-9.eE+]+)', stdout)
        return "exact exit 0" if m and D(m.group(1)) == D(expect) else "wrong total"
    if command == "convert":
        con = duckdb.connect()
        got = con.sql(f"select sum(BilledCost) from '{work / 'out.parquet'}'").fetchall()[0][0]
        return "exact exit 0" if D(got) == D(expect) else "wrong total"
    return "exact exit 0" if code in (0, 1) else "unclean exit 2"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts = {}
    notable = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        all_cases = cases(work, rng)
        for case in all_cases:
            family, name, inputs, expect, extra = case
            config_only = family == "config"
            commands = [("analyze", ["analyze"] + inputs + ["--out", str(work / "reports")] + extra)]
            if not config_only:
                commands += [("summary", ["summary", "--format", "json"] + inputs + extra),
                             ("convert", ["convert"] + inputs + ["--out", str(work / "out.parquet")]
                              + [a for a in extra if a not in ("--currency", "EUR")])]
            for command, argv in commands:
                code, stdout, stderr = run(argv, work)
                outcome = classify(command, case, code, stdout, stderr, work)
                counts[outcome] = counts.get(outcome, 0) + 1
                counts["tried"] = counts.get("tried", 0) + 1
                if outcome not in ("clean exit 2", "exact exit 0"):
                    notable.append(f"{outcome}: {family}/{name} {command}: {stderr.strip()[-300:]}")
                for leftover in ["out.parquet"]:
                    if (work / leftover).exists():
                        (work / leftover).unlink()
    print(f"cases: {len(all_cases)}, command runs:")
    for key in ["tried", "clean exit 2", "exact exit 0", "panic", "hang", "wrong total",
                "accepted bad input", "unclean exit 2"]:
        print(f"  {key}: {counts.get(key, 0)}")
    for line in notable:
        print(line)
    bad = sum(counts.get(k, 0) for k in ["panic", "hang", "wrong total"])
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

"""Reference figures for tests/focus.rs, computed with DuckDB from the FOCUS files themselves (the
test runs this with the Python scripts/with-moto installs). Prints one JSON object.

python tests/figures/focus_sums.py totals FILE...
    Per file and over all: rows and the exact sums of BilledCost, EffectiveCost and ListCost as
    DECIMAL(38,12) text. CSV cells are read as text (the literal NULL is null) and cast to
    DECIMAL(38,12); parquet money columns are summed in their own type (DECIMAL or DOUBLE) and
    cast the same way:
      select count(*), sum(BilledCost::decimal(38,12)), sum(EffectiveCost::decimal(38,12)),
             sum(ListCost::decimal(38,12)) from <file>
    An AWS CUR among them counts its unblended cost as BilledCost (FOCUS: the invoiced cost)
    and has no effective or list figure here:
      select count(*), sum(line_item_unblended_cost::decimal(38,12)), null, null from <file>

python tests/figures/focus_sums.py reconcile DIR
    The invoice reconciliation of a FOCUS 1.4 folder: per BillingAccountId, BillingPeriodStart
    and BillingCurrency, the sum of the Invoice Detail dataset's BilledCost beside the sum of
    the cost-and-usage lines' BilledCost:
      with i as (select BillingAccountId a, BillingPeriodStart p, BillingCurrency c,
                        sum(BilledCost) invoiced from <invoice detail> group by all),
           l as (select BillingAccountId a, BillingPeriodStart p, BillingCurrency c,
                        sum(BilledCost) lines from <cost and usage> group by all)
      select * from i full join l using (a, p, c)
"""
import glob
import json
import os
import sys

import duckdb


def source(path):
    if path.endswith(".parquet"):
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', all_varchar=true, nullstr='NULL')"


def totals(paths):
    out = {"files": {}, "rows": 0}
    sums = {"billed_cost": 0, "effective_cost": 0, "list_cost": 0}
    exact = {k: duckdb.sql("select 0::decimal(38,12)").fetchone()[0] for k in sums}
    for path in paths:
        columns = [c[0] for c in duckdb.sql(f"describe select * from {source(path)}").fetchall()]
        if "line_item_unblended_cost" in columns:
            figures = "sum(line_item_unblended_cost::decimal(38,12)), null, null"
        else:
            figures = """sum(BilledCost::decimal(38,12)), sum(EffectiveCost::decimal(38,12)),
                         sum(ListCost::decimal(38,12))"""
        rows, billed, effective, listed = duckdb.sql(
            f"select count(*), {figures} from {source(path)}"
        ).fetchone()
        out["files"][os.path.basename(path)] = {
            "rows": rows, "billed_cost": str(billed), "effective_cost": str(effective),
            "list_cost": str(listed),
        }
        out["rows"] += rows
        for key, value in zip(sums, (billed, effective, listed)):
            exact[key] += value or 0
    out.update({k: str(v) for k, v in exact.items()})
    return out


def reconcile(folder):
    (invoices,) = glob.glob(os.path.join(folder, "*invoice_detail*"))
    (lines,) = glob.glob(os.path.join(folder, "*cost_and_usage*"))
    rows = duckdb.sql(
        f"""with i as (select BillingAccountId a, BillingPeriodStart p, BillingCurrency c,
                              sum(BilledCost::decimal(38,12)) invoiced
                       from {source(invoices)} group by all),
                 l as (select BillingAccountId a, BillingPeriodStart p, BillingCurrency c,
                              sum(BilledCost::decimal(38,12)) lines
                       from {source(lines)} group by all)
            select a, strftime(p::timestamp, '%Y-%m-%dT%H:%M:%SZ'), c,
                   coalesce(invoiced, 0), coalesce(lines, 0)
            from i full join l using (a, p, c) order by 2, 1, 3"""
    ).fetchall()
    return {"rows": [
        {"billing_account_id": a, "billing_period_start": p, "currency": c,
         "invoiced": str(i), "lines": str(l), "difference": str(i - l)}
        for a, p, c, i, l in rows
    ]}


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    result = totals(args) if command == "totals" else reconcile(args[0])
    print(json.dumps(result))

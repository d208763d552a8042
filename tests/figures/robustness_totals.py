"""DuckDB's DECIMAL sums of the magnitude family of tests/robustness.rs (pip install duckdb).

Run from the repository root:  python3 tests/figures/robustness_totals.py
It writes the same FOCUS CSVs the test writes (`magnitudes()`, `focus_csv()`) into a temporary
folder and prints, per file, the sum DuckDB computes with
    select sum(BilledCost::DECIMAL(38,12)) from read_csv(file, all_varchar=true)
The figures are copied by hand into tests/robustness.rs.
"""
import pathlib
import tempfile

import duckdb

MAGNITUDES = {
    "line-1e10.csv": ["10000000000.000000000001", "1"],
    "month-past-9.22e9.csv": ["300000000.123456789012"] * 31,
    "sum-1e13.csv": ["3333333333333.333333333333"] * 3 + ["0.000000000001"],
    "sum-1e15.csv": ["99999999999999.999999999999"] * 10 + ["0.00000000001"],
    "yen-month.csv": ["12000000000"] + ["123456789"] * 30,
    "rupiah-month.csv": ["1.0000000005E9"] * 20,
}
CURRENCY = {"yen-month.csv": "JPY", "rupiah-month.csv": "IDR"}

with tempfile.TemporaryDirectory() as tmp:
    con = duckdb.connect()
    for name, costs in MAGNITUDES.items():
        path = pathlib.Path(tmp, name)
        lines = ["BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargePeriodStart,"
                 "ChargeCategory,ServiceName,SubAccountId"]
        for cost in costs:
            currency = CURRENCY.get(name, "USD")
            lines.append(f'"{cost}","{cost}","{cost}",{currency},2026-10-05T00:00:00Z,Usage,Compute,111')
        path.write_text("\n".join(lines) + "\n")
        total = con.sql(f"select sum(BilledCost::DECIMAL(38,12)) from read_csv('{path}', all_varchar=true)").fetchall()[0][0]
        print(f"{name}: {total.normalize():f}")

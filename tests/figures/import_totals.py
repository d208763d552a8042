"""Independent totals of the bundled public samples, computed with DuckDB (pip install duckdb).

Run from the repository root:  python3 tests/figures/import_totals.py
The figures are written by hand into tests/import.rs; this script is how they were obtained.
Amortised cost follows AWS's published rules (the CASE of AWS's CID summary_view.sql).
"""
import duckdb

con = duckdb.connect()
base = "sample-data/public"
print("focus-1.0 (rows, billed, effective, list):", con.sql(f"""
  select count(*), round(sum(BilledCost::double), 6), round(sum(EffectiveCost::double), 6),
         round(sum(ListCost::double), 6)
  from read_csv('{base}/focus-1.0/focus_sample.csv', all_varchar=true, nullstr='NULL')
""").fetchall())
print("cur-legacy-csv (rows, billed, effective, list):", con.sql(f"""
  select count(*), round(sum("lineItem/UnblendedCost"::double), 6),
         round(sum("lineItem/UnblendedCost"::double), 6),
         round(sum(coalesce("pricing/publicOnDemandCost"::double, "lineItem/UnblendedCost"::double)), 6)
  from read_csv('{base}/cur-legacy-csv/sample-anonymous-aws-export-dataset.csv', all_varchar=true)
""").fetchall())
print("cur-legacy-parquet (rows, billed, effective, list):", con.sql(f"""
  select count(*), round(sum(line_item_unblended_cost), 6),
    round(sum(case line_item_line_item_type
      when 'DiscountedUsage' then reservation_effective_cost
      when 'RIFee' then coalesce(reservation_unused_amortized_upfront_fee_for_billing_period, 0)
                      + coalesce(reservation_unused_recurring_fee, 0)
      when 'Fee' then case when coalesce(reservation_reservation_a_r_n, '') <> '' then 0
                           else line_item_unblended_cost end
      else line_item_unblended_cost end), 6),
    round(sum(coalesce(pricing_public_on_demand_cost, line_item_unblended_cost)), 6)
  from '{base}/cur-legacy-parquet/Oct2018-WorkshopCUR-00001.snappy.parquet'
""").fetchall())
# The bundled acme month (CUR 2.0 with Savings Plans): October's effective cost, used by
# tests/report_html.rs.
print("acme October effective cost:", con.sql("""
  select round(sum(case line_item_line_item_type
    when 'SavingsPlanCoveredUsage' then savings_plan_savings_plan_effective_cost
    when 'SavingsPlanRecurringFee' then savings_plan_total_commitment_to_date
                                        - savings_plan_used_commitment
    when 'SavingsPlanNegation' then 0
    when 'SavingsPlanUpfrontFee' then 0
    when 'DiscountedUsage' then reservation_effective_cost
    when 'RIFee' then coalesce(reservation_unused_amortized_upfront_fee_for_billing_period, 0)
                    + coalesce(reservation_unused_recurring_fee, 0)
    when 'Fee' then case when coalesce(reservation_reservation_a_r_n, '') <> '' then 0
                         else line_item_unblended_cost end
    else line_item_unblended_cost end), 4)
  from 'sample-data/acme/cur2.parquet'
  where line_item_usage_start_date >= '2026-10-01' and line_item_usage_start_date < '2026-11-01'
""").fetchall())

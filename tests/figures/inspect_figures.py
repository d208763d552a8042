"""What `costlens inspect` must find in the bundled samples, computed with DuckDB from the raw
files (run from the repository root with the Python scripts/with-moto installs:
.venv-focus/bin/python tests/figures/inspect_figures.py). The figures are written by hand into
tests/inspect.rs; this script is how they were obtained.

Definitions, as costlens's allocation analyser has them:
- effective cost: FOCUS EffectiveCost; for a CUR, AWS's amortisation rules (the CASE below, as in
  tests/figures/import_totals.py);
- a taggable line is a Usage line (CUR: Usage, DiscountedUsage, SavingsPlanCoveredUsage,
  SavingsPlanNegation) that names a resource;
- a key's coverage is the effective cost of taggable lines carrying it with a non-blank value,
  over the effective cost of all taggable lines.
"""
import duckdb

con = duckdb.connect()
base = "sample-data/public"

focus = f"read_csv('{base}/focus-1.0/focus_sample.csv', all_varchar=true, nullstr='NULL')"
con.sql(f"create view focus as select *, EffectiveCost::double as eff from {focus}")
print("focus: lines, first day, last day:", con.sql("""
  select count(*), min(ChargePeriodStart::timestamp)::date, max(ChargePeriodEnd::timestamp - interval 1 millisecond)::date from focus
""").fetchall())
print("focus: accounts, top account (id, name, effective):", con.sql("""
  select count(*) over (), SubAccountId, name, round(e, 2) from (
    select SubAccountId, first(SubAccountName) as name, sum(eff) as e from focus group by 1)
  order by e desc, SubAccountId limit 1
""").fetchall())
con.sql("""
  create view focus_taggable as select eff, Tags from focus
  where ChargeCategory = 'Usage' and coalesce(ResourceId, '') <> ''
""")
print("focus: taggable cost:", con.sql("select round(sum(eff), 6) from focus_taggable").fetchall())
for key in ["application", "business_unit", "environment", "env"]:
    print(f"focus: coverage of {key} (%):", con.sql(f"""
      select round(100 * sum(eff) filter (where trim(coalesce(json_extract_string(Tags, '$."{key}"'), '')) <> '')
                   / sum(eff), 4)
      from focus_taggable
    """).fetchall())

cur_csv = f"read_csv('{base}/cur-legacy-csv/sample-anonymous-aws-export-dataset.csv', all_varchar=true)"
print("cur csv: lines, first day, last day, accounts:", con.sql(f"""
  select count(*), min("lineItem/UsageStartDate"::timestamp)::date,
         max("lineItem/UsageEndDate"::timestamp - interval 1 millisecond)::date,
         count(distinct "lineItem/UsageAccountId")
  from {cur_csv}
""").fetchall())
print("cur csv: has a lineItem/ResourceId column:", con.sql(f"""
  select count(*) from (describe select * from {cur_csv}) where column_name = 'lineItem/ResourceId'
""").fetchall())

parquet = f"'{base}/cur-legacy-parquet/Oct2018-WorkshopCUR-00001.snappy.parquet'"
con.sql(f"""
  create view cur as select *, case line_item_line_item_type
      when 'DiscountedUsage' then reservation_effective_cost
      when 'RIFee' then coalesce(reservation_unused_amortized_upfront_fee_for_billing_period, 0)
                      + coalesce(reservation_unused_recurring_fee, 0)
      when 'Fee' then case when coalesce(reservation_reservation_a_r_n, '') <> '' then 0
                           else line_item_unblended_cost end
      else line_item_unblended_cost end as eff
  from {parquet}
""")
print("cur parquet: lines, first day, last day:", con.sql("""
  select count(*), min(line_item_usage_start_date)::date,
         max(line_item_usage_end_date - interval 1 millisecond)::date from cur
""").fetchall())
print("cur parquet: accounts, top account (id, effective):", con.sql("""
  select count(*) over (), line_item_usage_account_id, round(e, 2) from (
    select line_item_usage_account_id, sum(eff) as e from cur group by 1)
  order by e desc limit 1
""").fetchall())
con.sql("""
  create view cur_taggable as select * from cur
  where line_item_line_item_type in ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation')
    and coalesce(line_item_resource_id, '') <> ''
""")
print("cur parquet: taggable cost:", con.sql("select round(sum(eff), 6) from cur_taggable").fetchall())
columns = [r[0] for r in con.sql(f"describe select * from {parquet}").fetchall()
           if r[0].startswith("resource_tags_")]
rows = []
for c in columns:
    tagged, share = con.sql(f"""
      select sum(eff) filter (where trim(coalesce({c}, '')) <> ''),
             100 * sum(eff) filter (where trim(coalesce({c}, '')) <> '') / sum(eff)
      from cur_taggable
    """).fetchone()
    rows.append((tagged or 0.0, c, share or 0.0))
for tagged, c, share in sorted(rows, reverse=True):
    print(f"cur parquet: {c}: tagged {tagged:.6f}, coverage {share:.4f}%")

acme = "'sample-data/acme/cur2.parquet'"
print("acme: lines per month:", con.sql(f"""
  select strftime(line_item_usage_start_date, '%Y-%m'), count(*) from {acme} group by 1 order by 1
""").fetchall())

"""Commitment KPIs and totals of a FOCUS cost-and-usage file, computed with DuckDB from the FOCUS
columns alone, as the reference for tests/multicloud.rs (the test runs this script with the
Python that scripts/with-moto installs: python tests/figures/focus_kpis.py FILE.csv).

Definitions (FinOps Foundation KPIs on FOCUS columns):
- commitment-eligible usage: Usage lines priced Standard or Committed that are VM or managed
  instance hours (an InstanceType in SkuPriceDetails on an hourly unit) or serverless compute
  (ServiceSubcategory 'Serverless Compute'); unused-commitment lines are not usage of anything;
- utilisation = 1 - EffectiveCost(CommitmentDiscountStatus = 'Unused') / EffectiveCost(Used + Unused);
- coverage = ListCost of Committed eligible usage / ListCost of eligible usage;
- effective savings rate = (ListCost - EffectiveCost - unused commitment) / ListCost, eligible usage;
- Spot share = ListCost of Dynamic VM hours / ListCost of all VM hours (instance hours outside the
  database categories).
Prints one JSON object.
"""
import json
import sys

import duckdb

con = duckdb.connect()
con.sql(f"create view t as select * from read_csv('{sys.argv[1]}', all_varchar=true)")
row = con.sql("""
with l as (
  select ChargeCategory as cc, PricingCategory as pc, CommitmentDiscountId as cid,
    CommitmentDiscountStatus as st, EffectiveCost::double as eff, ListCost::double as list,
    BilledCost::double as billed, json_extract_string(SkuPriceDetails, '$.InstanceType') as itype,
    PricingUnit as unit, ServiceSubcategory as sub, ServiceCategory as cat
  from t
), k as (
  select *,
    (itype is not null and (unit ilike '%hour%' or unit ilike '%hrs%')) as instance,
    coalesce(sub = 'Serverless Compute', false) as serverless,
    coalesce(sub in ('Relational Databases', 'NoSQL Databases', 'Other (Databases)', 'Caching',
                     'Data Warehouses', 'Search'), cat = 'Databases') as db
  from l
), e as (
  select * from k
  where cc = 'Usage' and pc in ('Standard', 'Committed') and st is distinct from 'Unused'
    and (instance or serverless)
)
select
  (select 100 * (1 - coalesce(sum(eff) filter (where st = 'Unused'), 0)
                 / sum(eff) filter (where st in ('Used', 'Unused'))) from k where cid is not null),
  (select 100 * coalesce(sum(list) filter (where pc = 'Committed'), 0) / sum(list) from e),
  (select 100 * (sum(list) - sum(eff)
                 - (select coalesce(sum(eff), 0) from k where cid is not null and st = 'Unused'))
          / sum(list) from e),
  (select 100 * coalesce(sum(list) filter (where pc = 'Dynamic'), 0) / sum(list)
   from k where cc = 'Usage' and instance and not db),
  (select sum(billed) from l),
  (select sum(eff) from l)
""").fetchone()
names = ["commitment_utilization_pct", "commitment_coverage_pct", "effective_savings_rate_pct",
         "spot_share_pct", "billed_cost", "effective_cost"]
print(json.dumps(dict(zip(names, row))))

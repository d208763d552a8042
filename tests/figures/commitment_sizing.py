"""Compute Savings Plan sizing, reproduced in DuckDB from the CUR, as the reference for
tests/cid_reference.rs. Run from the repository root with DuckDB installed:

    python tests/figures/commitment_sizing.py CUR.parquet YYYY-MM findings.csv DISCOUNT_PCT

What a Compute Savings Plan covers is taken from AWS's documentation, not from costlens: EC2
instance hours (BoxUsage, DedicatedUsage, HostUsage), Fargate and Lambda duration, bought on
demand (`line_item_line_item_type = 'Usage'`, `pricing_term = 'OnDemand'`).
The counted usage findings of costlens (findings.csv) are the one input taken from costlens:
they are the plan whose remainder is sized. An instance moved to Spot, stopped or scheduled
leaves the plan's reach with all its on-demand spend; a modernised one leaves its old type but,
for a spend-based plan, keeps spending what it costs in its new family (its spend less the
finding's saving).

The method (the module documentation of src/analyse/sizing.rs): the last 30 days of hourly
on-demand spend; the level of its 10th percentile (quantile_cont), never above the lowest hour
of the last day; the commitment is that level after the discount, rounded down to a tenth of a
cent per hour; saving S(c) = sum_h min(spend_h, c) - H * c * (1 - d), per 730-hour month.

A licence in the price is not discounted (AWS prices a Windows or SQL Server instance's plan
rate as the Linux rate plus the licence): on lines whose operation code says the price includes a
licence (AWS "platform details" codes: 0002 Windows, 0006/0102/0202/0004/0100/0200/0014/0110/
0210 SQL Server, 0010/1010/000g/0g00 RHEL/SUSE/Ubuntu Pro) only the type's Linux list price
(data/instance_prices.csv, from the public price pages) is discounted; the discount on the whole
window is d x discounted spend / spend.

Two series are sized: `scaled`, where each instance type's hours are scaled by the share of its
spend that stays (what costlens does), and `exact`, where the moved instances' own hours are
taken out and the modernised ones' new cost put back in their own hours: what the bill would
show after the plan. `exact_saving` is what buying `hourly_commitment` would save on it.
Prints one JSON object.
"""
import csv
import json
import math
import os
import sys

import duckdb

cur, period, findings_csv, discount = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]) / 100
PRICES = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'instance_prices.csv')
LOOKBACK_HOURS = 30 * 24
PERCENTILE = 0.10
HOURS_PER_MONTH = 730

con = duckdb.connect()
con.sql("set TimeZone = 'UTC'")
con.sql(f"create view raw as select * from read_parquet('{cur}')")
columns = {row[0] for row in con.sql("describe raw").fetchall()}
# Legacy CURs name the region product_region, CUR 2.0 product_region_code.
region = next(c for c in ("product_region_code", "product_region") if c in columns)
con.sql(f"""
create view lines as select
  line_item_usage_start_date::timestamp as hour, line_item_usage_end_date::timestamp as ends,
  line_item_line_item_type as line_type, coalesce(pricing_term, '') as term,
  line_item_product_code as code, line_item_usage_type as usage_type,
  coalesce(line_item_resource_id, '') as resource, coalesce({region}, '') as region,
  coalesce(product_instance_type, '') as instance_type,
  coalesce(line_item_operation, '') as operation,
  line_item_usage_amount::double as amount,
  line_item_unblended_cost::double as cost
from raw
where strftime(line_item_usage_start_date::timestamp, '%Y-%m') = '{period}'
""")
con.sql("""
create view on_demand as select * from lines
where line_type = 'Usage' and term = 'OnDemand' and (
  (code = 'AmazonEC2' and regexp_matches(usage_type, 'BoxUsage|DedicatedUsage|HostUsage'))
  or usage_type like '%Fargate%'
  or (code = 'AWSLambda' and usage_type like '%GB-Second%'))
""")
con.sql(f"""
create view linux_prices as select instance_type, price_usd_hour::double as price
from read_csv('{PRICES}', comment = '#', header = true)
where service = 'ec2'
""")
LICENSED = ("0002", "0006", "0102", "0202", "0004", "0100", "0200", "0014", "0110", "0210",
            "0010", "1010", "000g", "0g00")
con.sql(f"""
create view bare as select o.*, case
  when split_part(operation, ':', 2) in {LICENSED}
    then least(1, coalesce(p.price, 0) * amount / nullif(cost, 0))
  else 1 end as share
from on_demand o left join linux_prices p using (instance_type)
""")
(multi_hour,) = con.sql("select count(*) from on_demand where ends - hour > interval 1 hour").fetchone()
assert multi_hour == 0, "every covered line is one hour"

hours = [
    h for (h,) in con.sql("""
select unnest(range(min(hour), max(ends), interval 1 hour)) from lines
""").fetchall()
]

# The plan: counted instance findings, with their period saving.
covered_hours = len(hours)
actions = {}
with open(findings_csv, newline="") as f:
    for row in csv.DictReader(f):
        leaves = {"spot-candidate": "all", "idle-instance": "all", "offhours-schedule": "all",
                  "previous-generation": "family", "graviton": "family"}.get(row["rule"])
        if row["counted"] == "true" and leaves:
            saving = float(row["monthly_saving"]) * covered_hours / HOURS_PER_MONTH
            actions[row["resource_id"]] = (leaves, saving)

con.execute("create table plan(resource varchar, leaves varchar, saving double)")
con.executemany("insert into plan values (?, ?, ?)", [(r, l, s) for r, (l, s) in actions.items()])

# Per instance: what moves; per region and type: the share of the spend that stays.
con.sql("""
create view moved as select o.resource, any_value(o.region) as region,
  any_value(o.instance_type) as instance_type, sum(o.cost) as cost,
  case any_value(p.leaves) when 'all' then sum(o.cost) else any_value(p.saving) end as gone
from on_demand o join plan p using (resource) group by o.resource
""")
con.sql("""
create view kept as select region, instance_type,
  greatest(0, least(1, 1 - coalesce(g.gone, 0) / t.total)) as share
from (select region, instance_type, sum(cost) as total from on_demand group by all) t
left join (select region, instance_type, sum(gone) as gone from moved group by all) g
  using (region, instance_type)
""")
scaled_by_hour, bare_by_hour = {}, {}
for hour, spend, discounted in con.sql("""
select hour, sum(cost * k.share), sum(cost * k.share * b.share)
from bare b join kept k using (region, instance_type) group by hour
""").fetchall():
    scaled_by_hour[hour], bare_by_hour[hour] = spend, discounted
exact_by_hour = dict(con.sql("""
select o.hour, sum(case when m.resource is null then o.cost
                        when p.leaves = 'all' then 0
                        else o.cost * (1 - m.gone / m.cost) end)
from on_demand o left join moved m using (resource) left join plan p using (resource)
group by o.hour
""").fetchall())


def window(by_hour):
    return [by_hour.get(h, 0.0) for h in hours][-LOOKBACK_HOURS:]


def saving(series, c):
    return sum(min(max(x, 0), c) for x in series) - len(series) * c * (1 - discount)


scaled = window(scaled_by_hour)
exact = window(exact_by_hour)
discount *= sum(window(bare_by_hour)) / sum(scaled)
con.execute("create table series(x double)")
con.executemany("insert into series values (?)", [(x,) for x in scaled])
(p10,) = con.sql(f"select quantile_cont(x, {PERCENTILE}) from series").fetchone()
level = min(p10, min(scaled[-24:]))
commitment = math.floor(level * (1 - discount) * 1000) / 1000
covered = commitment / (1 - discount)
per_month = HOURS_PER_MONTH / len(scaled)
print(json.dumps({
    "discount_pct": discount * 100,
    "hourly_commitment": commitment,
    "on_demand_covered_per_hour": covered,
    "monthly_saving": saving(scaled, covered) * per_month,
    "exact_saving": saving(exact, covered) * per_month,
    "actions": len(actions),
}))

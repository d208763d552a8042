"""Independent figures for `costlens analyze` on the real legacy-CUR parquet sample (Oct 2018),
computed with DuckDB (pip install duckdb). Run from the repository root:

    python3 tests/figures/legacy_parquet_analysis.py

The figures are written by hand into tests/analyze_public.rs. Definitions follow the issue texts:
- taggable line = a Usage line (Usage or DiscountedUsage here) with a resource id; amortised
  (effective) cost by AWS's rules; coverage of cost_center = Σ effective cost of taggable lines
  with a non-empty cost_center ÷ Σ effective cost of taggable lines;
- gp2 saving = gp2 storage cost × (1 − 0.08/0.10), scaled to a 730-hour month from the 744
  hours of October (every gp2 volume here is at most 150 GB, so gp3's baseline gives its
  performance); a volume that cost nothing saves nothing and is not counted; idle Elastic IP saving = its whole cost, scaled the same way;
- RI utilisation = used ÷ (used + unused), used = Σ reservation_effective_cost on
  DiscountedUsage, unused = Σ unused amortised upfront + unused recurring fee on RIFee;
- RI coverage = ListCost (public on-demand cost) of DiscountedUsage instance hours ÷ ListCost of
  all commitment-eligible instance hours (EC2 Box/Dedicated usage, RDS instance usage,
  ElastiCache nodes, OpenSearch instances, Redshift nodes; not Spot).
"""
import duckdb

con = duckdb.connect()
f = "sample-data/public/cur-legacy-parquet/Oct2018-WorkshopCUR-00001.snappy.parquet"
effective = """case line_item_line_item_type
  when 'DiscountedUsage' then reservation_effective_cost
  when 'RIFee' then coalesce(reservation_unused_amortized_upfront_fee_for_billing_period, 0)
                  + coalesce(reservation_unused_recurring_fee, 0)
  else line_item_unblended_cost end"""
print("cost_center coverage %:", con.sql(f"""
  select 100 * sum(case when coalesce(trim(resource_tags_user_cost_center), '') <> '' then {effective} else 0 end)
             / sum({effective})
  from '{f}'
  where line_item_line_item_type in ('Usage', 'DiscountedUsage')
    and coalesce(line_item_resource_id, '') <> ''
""").fetchall())
print("gp2 volumes, monthly saving, largest GB:", con.sql(f"""
  select count(*), sum(cost) * 0.2 * 730 / 744, max(gb) from (
    select line_item_resource_id, sum(line_item_unblended_cost) as cost,
      sum(line_item_usage_amount) as gb
    from '{f}'
    where line_item_line_item_type = 'Usage' and line_item_usage_type like '%EBS:VolumeUsage.gp2'
      and coalesce(line_item_resource_id, '') <> ''
    group by all having sum(line_item_unblended_cost) > 0)
""").fetchall())
print("gp2 volumes, per-volume monthly saving rounded to the cent (as findings.csv), summed:", con.sql(f"""
  select count(*), sum(round(s, 2)) from (
    select line_item_resource_id, sum(line_item_unblended_cost) * 0.2 * 730 / 744 as s
    from '{f}'
    where line_item_line_item_type = 'Usage' and line_item_usage_type like '%EBS:VolumeUsage.gp2'
      and coalesce(line_item_resource_id, '') <> ''
    group by 1 having sum(line_item_unblended_cost) > 0)
""").fetchall())
print("idle EIPs, monthly saving:", con.sql(f"""
  select count(distinct line_item_resource_id), sum(line_item_unblended_cost) * 730 / 744
  from '{f}'
  where line_item_usage_type like '%ElasticIP:IdleAddress'
""").fetchall())
print("RI utilisation %:", con.sql(f"""
  select 100 * sum(case when line_item_line_item_type = 'DiscountedUsage' then reservation_effective_cost else 0 end)
       / (sum(case when line_item_line_item_type = 'DiscountedUsage' then reservation_effective_cost else 0 end)
          + sum(case when line_item_line_item_type = 'RIFee'
                     then coalesce(reservation_unused_amortized_upfront_fee_for_billing_period, 0)
                        + coalesce(reservation_unused_recurring_fee, 0) else 0 end))
  from '{f}'
""").fetchall())
print("commitment coverage %:", con.sql(f"""
  with eligible as (
    select line_item_line_item_type as t, pricing_public_on_demand_cost as list
    from '{f}'
    where line_item_line_item_type in ('Usage', 'DiscountedUsage')
      and line_item_usage_type not like '%SpotUsage%'
      and ((line_item_product_code = 'AmazonEC2' and coalesce(product_instance_type, '') <> ''
             and (line_item_usage_type like '%BoxUsage%' or line_item_usage_type like '%DedicatedUsage%'))
        or (line_item_product_code = 'AmazonRDS' and (line_item_usage_type like '%InstanceUsage%' or line_item_usage_type like '%Multi-AZUsage%'))
        or (line_item_product_code = 'AmazonElastiCache' and line_item_usage_type like '%NodeUsage%')
        or (line_item_product_code = 'AmazonES' and line_item_usage_type like '%ESInstance%')
        or (line_item_product_code = 'AmazonRedshift' and line_item_usage_type like '%Node%')
        or line_item_usage_type like '%Fargate%'
        or (line_item_product_code = 'AWSLambda' and line_item_usage_type like '%GB-Second%')))
  select 100 * sum(case when t = 'DiscountedUsage' then list else 0 end) / sum(list) from eligible
""").fetchall())
# Spot (issue 18): legacy CURs leave the instance type and the public on-demand cost empty on
# Spot lines; the instance type is in the usage type (SpotUsage:c5.large). By hours: Spot EC2
# instance-hours / all EC2 instance-hours (Box, Spot and Dedicated usage on Usage and
# DiscountedUsage lines). By cost: on-demand equivalent, ListCost where the line has a public
# on-demand cost, else hours x the us-east-1 on-demand price of its type (data/instance_prices.csv:
# the types of this month's Spot lines are listed here).
spot = """
  with hours as (
    select regexp_extract(line_item_usage_type, '(?:BoxUsage|SpotUsage|DedicatedUsage):(.*)', 1) as itype,
           line_item_usage_type like '%SpotUsage%' as spot,
           line_item_usage_amount as h,
           pricing_public_on_demand_cost as list,
           line_item_unblended_cost as paid
    from '{f}'
    where line_item_product_code = 'AmazonEC2'
      and line_item_line_item_type in ('Usage', 'DiscountedUsage')
      and regexp_matches(line_item_usage_type, '(BoxUsage|SpotUsage|DedicatedUsage):')
  ), prices(itype, price) as (values ('c5.large', 0.085), ('c5.xlarge', 0.17), ('m5.large', 0.096),
                                     ('m5.xlarge', 0.192), ('t2.micro', 0.0116), ('t2.large', 0.0928))
  select 100 * sum(h) filter (where spot) / sum(h),
         100 * sum(case when spot then greatest(coalesce(list, 0), h * price) else list end) filter (where spot)
             / sum(case when spot then greatest(coalesce(list, 0), h * price) else list end),
         sum(paid) filter (where spot),
         list(distinct itype) filter (where spot)
  from hours left join prices using (itype)
"""
print("Spot share % by hours, by on-demand-equivalent cost, Spot spend, Spot types:",
      con.sql(spot.format(f=f)).fetchall())

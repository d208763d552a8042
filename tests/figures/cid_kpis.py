"""AWS's Cloud Intelligence Dashboards (CID) queries, translated to DuckDB, as the reference for
tests/cid_reference.rs. Run from the repository root with DuckDB installed (the test runs it with
the Python that scripts/with-moto installs):

    python tests/figures/cid_kpis.py CUR.parquet YYYY-MM

The queries are those of github.com/aws-samples/aws-cudos-framework-deployment,
cid/builtin/core/data/queries: `summary_view` (amortised cost), `kpi/kpi_ebs_storage_all`
(gp2 to gp3) and `kpi/kpi_s3_storage_all` (standard-only buckets with no requests), for one
billing period. Translation notes:
- Athena's `product['volume_api_name']` and `product['volume_type']` are not in every CUR
  (legacy CURs flatten `product`, some CUR 2.0 exports leave keys out), so the EBS volume type
  comes from the usage type's suffix (EBS:VolumeUsage.gp2 -> gp2; no suffix -> standard) and
  the S3 class from `product_volume_type` where present, else the storage operation
  (StandardStorage -> Standard);
- columns a CUR lacks (savings plans in a 2018 CUR) are NULL, which CID's CASEs treat as 0;
- CID's rolling window (`current_date - 3 months`) is the billing period given instead.
Prints one JSON object.
"""
import json
import sys

import duckdb

con = duckdb.connect()
con.sql(f"create view raw as select * from read_parquet('{sys.argv[1]}')")
columns = {row[0] for row in con.sql("describe raw").fetchall()}


def col(name, cast="varchar"):
    return name if name in columns else f"cast(null as {cast})"


con.sql(f"""
create view cur as select
  line_item_line_item_type, line_item_product_code, line_item_usage_type,
  coalesce({col('line_item_operation')}, '') as line_item_operation,
  coalesce(line_item_resource_id, '') as line_item_resource_id,
  line_item_usage_start_date, line_item_usage_amount::double as line_item_usage_amount,
  line_item_unblended_cost::double as line_item_unblended_cost,
  coalesce({col('pricing_unit')}, '') as pricing_unit,
  coalesce({col('product_volume_type')}, '') as product_volume_type,
  {col('reservation_reservation_a_r_n')} as reservation_reservation_a_r_n,
  {col('reservation_effective_cost', 'double')}::double as reservation_effective_cost,
  {col('reservation_unused_amortized_upfront_fee_for_billing_period', 'double')}::double
    as reservation_unused_amortized_upfront_fee_for_billing_period,
  {col('reservation_unused_recurring_fee', 'double')}::double as reservation_unused_recurring_fee,
  {col('savings_plan_savings_plan_effective_cost', 'double')}::double
    as savings_plan_savings_plan_effective_cost,
  {col('savings_plan_total_commitment_to_date', 'double')}::double
    as savings_plan_total_commitment_to_date,
  {col('savings_plan_used_commitment', 'double')}::double as savings_plan_used_commitment
from raw
where strftime({col('bill_billing_period_start_date', 'timestamp')}, '%Y-%m') = '{sys.argv[2]}'
""")

# summary_view: unblended and amortised cost.
unblended, amortized = con.sql("""
select sum(line_item_unblended_cost),
  sum(case
    when line_item_line_item_type = 'SavingsPlanCoveredUsage' then savings_plan_savings_plan_effective_cost
    when line_item_line_item_type = 'SavingsPlanRecurringFee'
      then savings_plan_total_commitment_to_date - savings_plan_used_commitment
    when line_item_line_item_type = 'SavingsPlanNegation' then 0
    when line_item_line_item_type = 'SavingsPlanUpfrontFee' then 0
    when line_item_line_item_type = 'DiscountedUsage' then reservation_effective_cost
    when line_item_line_item_type = 'RIFee'
      then reservation_unused_amortized_upfront_fee_for_billing_period + reservation_unused_recurring_fee
    when line_item_line_item_type = 'Fee' and coalesce(reservation_reservation_a_r_n, '') <> '' then 0
    else line_item_unblended_cost end)
from cur
""").fetchone()

# kpi_ebs_storage_all: gp2 volumes, the gp3 cost with the IOPS and throughput gp2 gives, as CID
# estimates them (storage 20% cheaper, an added IOPS-month 6% and an added MiB/s-month 50% of
# the gp3 GB-month).
gp2 = con.sql("""
with ebs as (
  select line_item_resource_id as resource_id,
    coalesce(nullif(regexp_extract(line_item_usage_type, 'EBS:VolumeUsage\\.?(.*)$', 1), ''), 'standard')
      as volume_api_name,
    line_item_usage_type, pricing_unit, line_item_usage_amount, line_item_unblended_cost
  from cur
  where line_item_product_code = 'AmazonEC2' and line_item_line_item_type = 'Usage'
    and line_item_usage_type not like '%Snap%' and line_item_usage_type like '%EBS%'
    and line_item_resource_id <> ''
), spend as (
  select resource_id, any_value(volume_api_name) filter (where line_item_usage_type like '%EBS:VolumeUsage%') as volume_api_name,
    sum(case when pricing_unit in ('GB-Mo', 'GB-month') and line_item_usage_type like '%EBS:VolumeUsage%'
             then line_item_usage_amount else 0 end) as gb_mo,
    sum(case when pricing_unit in ('GB-Mo', 'GB-month') and line_item_usage_type like '%EBS:VolumeUsage%'
             then line_item_unblended_cost else 0 end) as storage_cost,
    sum(case when pricing_unit = 'IOPS-Mo' and line_item_usage_type like '%IOPS%'
             then line_item_unblended_cost else 0 end) as iops_cost,
    sum(case when pricing_unit = 'GiBps-mo' and line_item_usage_type like '%Throughput%'
             then line_item_unblended_cost else 0 end) as throughput_cost
  from ebs group by resource_id
), est as (
  select *,
    case when gb_mo * 3 < 3000 then 0 when gb_mo * 3 > 16000 then 13000 else gb_mo * 3 - 3000 end as added_iops,
    case when gb_mo <= 150 then 0 else 125 end as added_throughput,
    storage_cost * 0.8 / gb_mo as gp3_unit_cost
  from spend where volume_api_name = 'gp2' and gb_mo > 0
)
select resource_id, gb_mo, storage_cost + iops_cost + throughput_cost
  - (storage_cost * 0.8 + gp3_unit_cost * 0.5 * added_throughput + gp3_unit_cost * 0.06 * added_iops)
from est order by resource_id
""").fetchall()

# kpi_s3_storage_all: per bucket, the standard-class storage cost, whether all its storage is
# standard, whether it had a Put, Get or Copy request (CID's "last request") and how many Get
# requests (what costlens's never-read rule looks at).
s3 = con.sql("""
with s3 as (
  select line_item_resource_id as resource_id, line_item_operation as operation, pricing_unit,
    case when product_volume_type <> '' then product_volume_type
         when line_item_operation = 'StandardStorage' then 'Standard'
         else line_item_operation end as storage_class_type,
    line_item_usage_amount as q, line_item_unblended_cost as cost
  from cur
  where line_item_resource_id <> '' and line_item_line_item_type like '%Usage%'
    and (line_item_product_code like '%AmazonGlacier%' or line_item_product_code like '%AmazonS3%')
)
select resource_id,
  sum(case when pricing_unit = 'GB-Mo' and operation like '%Storage%' then cost else 0 end) as all_storage,
  sum(case when pricing_unit = 'GB-Mo' and operation like '%Storage%' and storage_class_type = 'Standard'
           then cost else 0 end) as standard_storage,
  sum(case when operation in ('PutObject', 'PutObjectForRepl', 'GetObject', 'CopyObject')
           and pricing_unit = 'Requests' and q > 0 then 1 else 0 end) > 0 as requested,
  sum(case when operation = 'GetObject' and pricing_unit = 'Requests' then q else 0 end) as gets
from s3 group by resource_id order by resource_id
""").fetchall()

print(json.dumps({
    "unblended_cost": unblended,
    "amortized_cost": amortized,
    "gp2_to_gp3": [{"resource_id": r, "gb_mo": g, "potential_saving": s} for r, g, s in gp2],
    "s3_buckets": [
        {"resource_id": r, "standard_storage_cost": std, "standard_only": abs(a - std) < 1e-9 and std > 0,
         "requested": bool(req), "get_requests": gets,
         "cid_potential_action": abs(a - std) < 1e-9 and std > 0 and not req,
         "cid_potential_saving": std * 0.3}
        for r, a, std, req, gets in s3
    ],
}))

"""The four benchmark aggregations in Polars from Python (run through bench/bench.py).

A second peer beside DuckDB: the same engine costlens is built on, doing only the four
queries. Usage: polars_peer.py FILE [--floor] [--json]. With --floor it only reads the columns
the queries need (scan and count); with --json it prints its answers for the figures check.
Each query is collected on its own on the streaming engine, as DuckDB runs them one by one.
"""
import json
import sys

import polars as pl

LINE_TYPE = pl.col("line_item_line_item_type")


def money(name):
    return pl.col(name).fill_null(0.0)


# AWS's amortisation rules, as in bench.py's EFFECTIVE (SQL CASE: a null line type falls to
# the unblended cost, as it does here).
EFFECTIVE = (
    pl.when(LINE_TYPE == "SavingsPlanCoveredUsage")
    .then(money("savings_plan_savings_plan_effective_cost"))
    .when(LINE_TYPE == "SavingsPlanRecurringFee")
    .then(money("savings_plan_total_commitment_to_date") - money("savings_plan_used_commitment"))
    .when(LINE_TYPE.is_in(["SavingsPlanNegation", "SavingsPlanUpfrontFee"]))
    .then(0.0)
    .when(LINE_TYPE == "DiscountedUsage")
    .then(money("reservation_effective_cost"))
    .when(LINE_TYPE == "RIFee")
    .then(money("reservation_unused_amortized_upfront_fee_for_billing_period")
          + money("reservation_unused_recurring_fee"))
    .otherwise(pl.col("line_item_unblended_cost"))
)
HAS_RESOURCE = pl.col("line_item_resource_id").fill_null("") != ""


def daily(lf):
    return lf.group_by(
        pl.col("line_item_usage_start_date").dt.date().alias("day"), "line_item_product_code"
    ).agg(EFFECTIVE.sum().alias("cost"))


def accounts(lf):
    tag = pl.element().struct
    has_team = (
        pl.col("resource_tags")
        .list.eval((tag.field("key").str.to_lowercase() == "user_team")
                   & (tag.field("value").str.strip_chars() != ""))
        .list.any()
        .fill_null(False)
    )
    taggable = HAS_RESOURCE & LINE_TYPE.is_in(
        ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage", "SavingsPlanNegation"])
    return lf.with_columns(
        EFFECTIVE.alias("cost"), (taggable & ~has_team).alias("untagged")
    ).group_by("line_item_usage_account_id").agg(
        pl.col("cost").sum().alias("total"),
        pl.col("cost").filter(pl.col("untagged")).sum().alias("untagged"),
    )


def baseline(lf):
    usage = (
        lf.filter((LINE_TYPE == "Usage")
                  & (pl.col("line_item_product_code") == "AmazonEC2")
                  & pl.col("line_item_usage_type").str.contains("BoxUsage", literal=True))
        .group_by("product_region_code", "product_instance_type",
                  pl.col("line_item_usage_start_date").alias("hour"))
        .agg(pl.col("line_item_usage_amount").sum().alias("n"))
        .collect(engine="streaming")
    )
    hours = pl.DataFrame({"hour": pl.datetime_range(
        usage["hour"].min(), usage["hour"].max(), "1h", eager=True).cast(usage["hour"].dtype)})
    pairs = usage.select("product_region_code", "product_instance_type").unique()
    return (
        pairs.join(hours, how="cross")
        .join(usage, on=["product_region_code", "product_instance_type", "hour"], how="left")
        .with_columns(pl.col("n").fill_null(0.0))
        .group_by("product_region_code", "product_instance_type")
        .agg(pl.col("n").min().alias("min_n"),
             pl.col("n").quantile(0.1, interpolation="linear").alias("p10_n"))
        .lazy()
    )


def top(lf):
    return (
        lf.filter(HAS_RESOURCE)
        .group_by("line_item_resource_id")
        .agg(EFFECTIVE.sum().alias("cost"))
        .sort(["cost", "line_item_resource_id"], descending=[True, False])
        .head(100)
    )


def floor(lf):
    return lf.filter(
        pl.col("line_item_usage_start_date").is_not_null()
        & pl.col("line_item_resource_id").is_not_null()
        & pl.col("resource_tags").is_not_null()
        & pl.col("line_item_usage_account_id").is_not_null()
    ).select(pl.len(), pl.col("line_item_unblended_cost").sum(),
             pl.col("line_item_product_code").n_unique())


def main():
    path = sys.argv[1]
    lf = pl.scan_parquet(path)
    queries = [floor] if "--floor" in sys.argv else [daily, accounts, baseline, top]
    answers = {q.__name__: q(lf).collect(engine="streaming") for q in queries}
    if "--json" in sys.argv:
        print(json.dumps({k: v.rows() for k, v in answers.items()}, default=str))


if __name__ == "__main__":
    main()

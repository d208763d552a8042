//! The AWS Cost and Usage Report in its snake_case form (legacy parquet, CUR 2.0, and legacy CSV
//! after its headers are renamed) mapped onto the canonical schema, with AWS's amortisation
//! rules. One mapping serves every CUR flavour, so the money rules live in one place.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use polars::prelude::*;

use super::{text, typed};
use crate::engine::classify::Vocabulary;
use crate::engine::rollup::Rollup;
use crate::schema::{self, charge_category as cc, commitment_status, pricing_category};

pub const UNBLENDED_COST: &str = "line_item_unblended_cost";
pub const LINE_ITEM_TYPE: &str = "line_item_line_item_type";

/// Columns that hold money or quantities (checked as numbers when they arrive as text).
pub const NUMERIC_COLUMNS: &[&str] = &[
    "line_item_unblended_cost",
    "line_item_net_unblended_cost",
    "line_item_usage_amount",
    "line_item_normalization_factor",
    "pricing_public_on_demand_cost",
    "reservation_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
    SPLIT_COST,
    SPLIT_UNUSED_COST,
];

/// Split cost allocation (CUR 2.0 `split_line_item_*`, legacy `splitLineItem/*`): on the lines
/// of EKS pods and ECS tasks, whose unblended cost is 0, the share of the parent instance.
const SPLIT_COST: &str = "split_line_item_split_cost";
const SPLIT_UNUSED_COST: &str = "split_line_item_unused_cost";
const SPLIT_PARENT: &str = "split_line_item_parent_resource_id";

/// Numeric columns that are not money: summed as they are, or (the normalisation factor, a
/// property of the instance size) not at all.
const USAGE_AMOUNT: &str = "line_item_usage_amount";
const NORMALIZATION_FACTOR: &str = "line_item_normalization_factor";

/// Whether a numeric column holds money (read exactly) rather than a quantity.
pub fn is_money(name: &str) -> bool {
    NUMERIC_COLUMNS.contains(&name) && name != USAGE_AMOUNT && name != NORMALIZATION_FACTOR
}

/// Columns the mapping only reads as `x.fill_null(unblended cost)`: filled per line before
/// lines are grouped, so a group's sum is the sum of what the mapping would read.
const FILLED_WITH_UNBLENDED: &[&str] = &[
    "pricing_public_on_demand_cost",
    "line_item_net_unblended_cost",
];

/// Columns that hold timestamps (checked when they arrive as text).
pub const TIMESTAMP_COLUMNS: &[&str] = &[
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "reservation_end_time",
    "savings_plan_end_time",
];

/// Columns every line must fill: a line without its currency or its start cannot be counted.
pub const EVERY_LINE: &[&str] = &["line_item_usage_start_date", "line_item_currency_code"];

/// Columns without which a file is not a usable CUR.
pub const REQUIRED_COLUMNS: &[&str] = &[
    UNBLENDED_COST,
    LINE_ITEM_TYPE,
    "line_item_usage_start_date",
    "line_item_currency_code",
];

/// Reads CUR columns whatever their physical type (see [`typed`]), and product attributes
/// from either a top-level `product_<name>` column or the CUR 2.0 `product` map.
pub struct CurColumns<'a> {
    pub schema: &'a Schema,
    pub product_map: Option<&'a str>,
    /// The money columns are already canonical sums (grouped rows of a [`Rollup`]), read as
    /// they are rather than checked as single lines.
    pub summed_money: bool,
}

impl CurColumns<'_> {
    fn has(&self, name: &str) -> bool {
        self.schema.contains(name)
    }

    fn is_text(&self, name: &str) -> bool {
        matches!(self.schema.get(name), Some(DataType::String))
    }

    /// A text column as is; empty strings become null in the canonical projection
    /// (`schema::project`), once, rather than in every expression that reads the column.
    fn text(&self, name: &str) -> Expr {
        if self.has(name) {
            typed::text(col(name))
        } else {
            lit(NULL).cast(DataType::String)
        }
    }

    fn number(&self, name: &str) -> Expr {
        if !self.has(name) {
            lit(NULL).cast(DataType::Float64)
        } else if self.is_text(name) {
            text::parse_number(col(name))
        } else {
            col(name).cast(DataType::Float64)
        }
    }

    /// A money column exactly; the importers have refused columns of other types.
    fn money(&self, name: &str) -> Expr {
        let Some(dtype) = self.schema.get(name) else {
            return lit(NULL).cast(schema::money_dtype());
        };
        if self.summed_money {
            col(name)
        } else if self.is_text(name) {
            text::parse_money(col(name))
        } else {
            typed::money(col(name), dtype).unwrap_or_else(|| lit(NULL).cast(schema::money_dtype()))
        }
    }

    /// A cost component that is only meaningful on some line types: missing means zero there.
    fn component(&self, name: &str) -> Expr {
        self.money(name).fill_null(schema::zero_money())
    }

    fn timestamp(&self, name: &str) -> Expr {
        self.schema
            .get(name)
            .and_then(|dtype| typed::timestamp(col(name), dtype))
            .unwrap_or_else(|| lit(NULL).cast(schema::timestamp_dtype()))
    }

    /// The first of `product_<attr>` columns the file has, else `product['<attr>']` from the
    /// CUR 2.0 map (a per-line lookup, so only for attributes CUR 2.0 keeps in the map).
    fn product(&self, attrs: &[&str]) -> Expr {
        if let Some(column) = attrs
            .iter()
            .map(|a| format!("product_{a}"))
            .find(|c| self.has(c))
        {
            self.text(&column)
        } else if let Some(map) = self.product_map {
            schema::null_if_empty(schema::kv_get(col(map), attrs))
        } else {
            lit(NULL).cast(DataType::String)
        }
    }
}

/// Whether the line item type is one of `types`: an OR of string equalities, which polars
/// evaluates much faster per line than `is_in` or `replace_strict` (measured on 10M lines).
fn line_type_is(types: &[&str]) -> Expr {
    types
        .iter()
        .map(|t| col(LINE_ITEM_TYPE).eq(lit(*t)))
        .reduce(Expr::or)
        .expect("at least one line item type")
}

/// The canonical projection of a snake_case CUR (after [`with_service_table`]). `tags` is the
/// already-built canonical tag list.
fn canonical(cur: &CurColumns, tags: Option<Expr>) -> Vec<Expr> {
    let unblended = cur.money(UNBLENDED_COST);
    let public_cost = cur.money("pricing_public_on_demand_cost");
    let usage_type = cur.text("line_item_usage_type");
    let ri_arn = cur.text("reservation_reservation_a_r_n");
    let sp_arn = cur.text("savings_plan_savings_plan_a_r_n");
    let ri_lines = line_type_is(&["DiscountedUsage", "RIFee"]);
    let sp_lines = line_type_is(&[
        "SavingsPlanCoveredUsage",
        "SavingsPlanRecurringFee",
        "SavingsPlanNegation",
        "SavingsPlanUpfrontFee",
    ]);
    let committed_usage = line_type_is(&["DiscountedUsage", "SavingsPlanCoveredUsage"]);

    let charge_category = when(line_type_is(&[
        "Usage",
        "DiscountedUsage",
        "SavingsPlanCoveredUsage",
        "SavingsPlanNegation",
    ]))
    .then(lit(cc::USAGE))
    .when(line_type_is(&[
        "RIFee",
        "Fee",
        "SavingsPlanRecurringFee",
        "SavingsPlanUpfrontFee",
    ]))
    .then(lit(cc::PURCHASE))
    .when(line_type_is(&["Tax"]))
    .then(lit(cc::TAX))
    .when(line_type_is(&[
        "Credit",
        "Refund",
        "BundledDiscount",
        "EdpDiscount",
        "PrivateRateDiscount",
        "DistributorDiscount",
        "Discount",
    ]))
    .then(lit(cc::CREDIT))
    .otherwise(lit(cc::ADJUSTMENT));

    // AWS's amortisation rules (CUR user guide, "Understanding your amortized data"; the same
    // CASE as AWS's Cloud Intelligence Dashboards summary_view.sql).
    let effective_cost = when(line_type_is(&["SavingsPlanCoveredUsage"]))
        .then(cur.component("savings_plan_savings_plan_effective_cost"))
        .when(line_type_is(&["SavingsPlanRecurringFee"]))
        .then(
            cur.component("savings_plan_total_commitment_to_date")
                - cur.component("savings_plan_used_commitment"),
        )
        .when(line_type_is(&[
            "SavingsPlanNegation",
            "SavingsPlanUpfrontFee",
        ]))
        .then(schema::zero_money())
        .when(line_type_is(&["DiscountedUsage"]))
        .then(cur.component("reservation_effective_cost"))
        .when(line_type_is(&["RIFee"]))
        .then(
            cur.component("reservation_unused_amortized_upfront_fee_for_billing_period")
                + cur.component("reservation_unused_recurring_fee"),
        )
        .when(line_type_is(&["Fee"]).and(ri_arn.clone().neq(lit("")).fill_null(lit(false))))
        .then(schema::zero_money())
        .otherwise(unblended.clone());

    // List cost is the public on-demand cost; the negation line only cancels billed cost.
    let list_cost = when(line_type_is(&["SavingsPlanNegation"]))
        .then(schema::zero_money())
        .otherwise(public_cost.clone().fill_null(unblended.clone()));

    // Without commitments, covered usage would be charged at the (negotiated) on-demand rate:
    // its list cost, as AWS exposes no per-line negotiated rate for it.
    let contracted_cost = when(committed_usage.clone())
        .then(public_cost.fill_null(unblended.clone()))
        .when(line_type_is(&["SavingsPlanNegation"]))
        .then(schema::zero_money())
        .otherwise(
            cur.money("line_item_net_unblended_cost")
                .fill_null(unblended.clone()),
        );

    let is_usage_line = line_type_is(&["Usage"]);
    let pricing_category = when(
        committed_usage
            .clone()
            .or(line_type_is(&["SavingsPlanNegation"])),
    )
    .then(lit(pricing_category::COMMITTED))
    .when(
        is_usage_line
            .clone()
            .and(usage_type.clone().str().contains_literal(lit("SpotUsage"))),
    )
    .then(lit(pricing_category::DYNAMIC))
    .when(is_usage_line.or(line_type_is(&["RIFee", "Fee", "SavingsPlanRecurringFee"])))
    .then(lit(pricing_category::STANDARD))
    .otherwise(lit(NULL).cast(DataType::String));

    let commitment_id = when(sp_lines.clone())
        .then(sp_arn)
        .when(ri_lines.clone().or(line_type_is(&["Fee"])))
        .then(ri_arn)
        .otherwise(lit(NULL).cast(DataType::String));
    let commitment_type = when(sp_lines.clone())
        .then(lit("Savings Plan"))
        .when(ri_lines.clone())
        .then(lit("Reserved Instance"))
        .otherwise(lit(NULL).cast(DataType::String));
    let commitment_status = when(committed_usage)
        .then(lit(commitment_status::USED))
        .when(line_type_is(&["RIFee", "SavingsPlanRecurringFee"]))
        .then(lit(commitment_status::UNUSED))
        .otherwise(lit(NULL).cast(DataType::String));
    let commitment_end = when(sp_lines)
        .then(cur.timestamp("savings_plan_end_time"))
        .when(ri_lines)
        .then(cur.timestamp("reservation_end_time"))
        .otherwise(lit(NULL).cast(schema::timestamp_dtype()));

    let usage_amount = cur.number("line_item_usage_amount");
    let consumed_quantity = when(charge_category.clone().eq(lit(cc::USAGE)))
        .then(usage_amount.clone())
        .otherwise(lit(NULL).cast(DataType::Float64));
    // The instance type the usage type names, for files without an instance-type column (some
    // legacy CSVs) and for lines where it is empty: legacy CURs leave it empty on Spot lines
    // (`SpotUsage:c5.large`).
    let from_usage_type = usage_type.clone().str().extract(
        lit(r"(?:BoxUsage|SpotUsage|HeavyUsage|DedicatedUsage|InstanceUsage|Multi-AZUsage|NodeUsage):([a-z0-9]+[a-z0-9.-]*\.[a-z0-9]+)"),
        1,
    );
    let instance_type = if cur.has("product_instance_type") {
        let column = cur.text("product_instance_type");
        when(column.clone().eq(lit("")).fill_null(lit(true)))
            .then(from_usage_type)
            .otherwise(column)
    } else {
        from_usage_type
    };
    let service_code = cur.text("line_item_product_code");
    // Inter-region transfer lines have no region of their own: the region they leave, from
    // the product's flat column where the CUR has one, else the usage type's prefix (which
    // names the same region). Not from CUR 2.0's product map: every query that groups by
    // region would group by the whole map (10M lines: 2.7 s to 5.3 s for the resources).
    let from_region = if cur.has("product_from_region_code") {
        schema::null_if_empty(cur.text("product_from_region_code"))
    } else {
        lit(NULL).cast(DataType::String)
    };
    let region = schema::null_if_empty(cur.product(&["region_code", "region"]))
        .fill_null(from_region)
        .fill_null(region_of_usage_type(usage_type.clone()));

    schema::project(|name| {
        Some(match name {
            schema::BILLING_ACCOUNT_ID => cur.text("bill_payer_account_id"),
            schema::BILLING_ACCOUNT_NAME => cur.text("bill_payer_account_name"),
            schema::SUB_ACCOUNT_ID => cur.text("line_item_usage_account_id"),
            schema::SUB_ACCOUNT_NAME => cur.text("line_item_usage_account_name"),
            schema::PROVIDER_NAME => lit("AWS"),
            schema::BILLING_CURRENCY => cur.text("line_item_currency_code"),
            schema::BILLING_PERIOD_START => cur.timestamp("bill_billing_period_start_date"),
            schema::BILLING_PERIOD_END => cur.timestamp("bill_billing_period_end_date"),
            schema::CHARGE_PERIOD_START => cur.timestamp("line_item_usage_start_date"),
            schema::CHARGE_PERIOD_END => cur.timestamp("line_item_usage_end_date"),
            schema::CHARGE_CATEGORY => charge_category.clone(),
            schema::CHARGE_DESCRIPTION => cur.text("line_item_line_item_description"),
            // The product name the file gives, else the services table's, else the code.
            schema::SERVICE_NAME => {
                let known = col(SERVICE_TABLE_NAME).fill_null(service_code.clone());
                if cur.has("product_product_name") {
                    cur.text("product_product_name").fill_null(known)
                } else {
                    known
                }
            }
            schema::SERVICE_CATEGORY => col(SERVICE_TABLE_CATEGORY).fill_null(lit("Other")),
            schema::REGION_ID => region.clone(),
            schema::AVAILABILITY_ZONE => cur.text("line_item_availability_zone"),
            schema::RESOURCE_ID => cur.text("line_item_resource_id"),
            schema::RESOURCE_TYPE => cur.product(&["product_family"]),
            schema::SKU_ID => cur.product(&["sku"]),
            schema::PRICING_CATEGORY => pricing_category.clone(),
            schema::PRICING_QUANTITY => usage_amount.clone(),
            schema::PRICING_UNIT => cur.text("pricing_unit"),
            schema::CONSUMED_QUANTITY => consumed_quantity.clone(),
            schema::CONSUMED_UNIT => cur.text("pricing_unit"),
            schema::COMMITMENT_DISCOUNT_ID => commitment_id.clone(),
            schema::COMMITMENT_DISCOUNT_TYPE => commitment_type.clone(),
            schema::COMMITMENT_DISCOUNT_STATUS => commitment_status.clone(),
            schema::BILLED_COST => unblended.clone(),
            schema::EFFECTIVE_COST => effective_cost.clone(),
            schema::LIST_COST => list_cost.clone(),
            schema::CONTRACTED_COST => contracted_cost.clone(),
            schema::TAGS => tags.clone()?,
            schema::X_SERVICE_CODE => service_code.clone(),
            schema::X_USAGE_TYPE => usage_type.clone(),
            schema::X_OPERATION => cur.text("line_item_operation"),
            schema::X_INSTANCE_TYPE => instance_type.clone(),
            schema::X_LINE_ITEM_TYPE => col(LINE_ITEM_TYPE),
            schema::X_NORMALIZATION_FACTOR => cur.number("line_item_normalization_factor"),
            schema::X_COMMITMENT_DISCOUNT_END => commitment_end.clone(),
            schema::X_SPLIT_PARENT_RESOURCE_ID => cur.text(SPLIT_PARENT),
            schema::X_SPLIT_COST => cur.money(SPLIT_COST),
            schema::X_SPLIT_UNUSED_COST => cur.money(SPLIT_UNUSED_COST),
            // The seller of record (a marketplace vendor on its lines), and who invoices.
            schema::PUBLISHER_NAME => cur.text("line_item_legal_entity"),
            schema::INVOICE_ISSUER_NAME => cur.text("bill_invoicing_entity"),
            schema::INVOICE_ID => cur.text("bill_invoice_id"),
            schema::REGION_NAME => cur.product(&["location"]),
            schema::LIST_UNIT_PRICE => cur.number("pricing_public_on_demand_rate"),
            _ => return None,
        })
    })
}

const REGION_PREFIXES_CSV: &str = include_str!("../../data/aws_region_prefixes.csv");

/// The region a usage type's prefix names (`USW2-DataTransfer-Out-Bytes`: us-west-2), null
/// for a usage type without a known prefix. Evaluated on groups on the grouped route. A chain
/// of comparisons, not `replace_strict` with the table as literal series: with that, the
/// per-line route's float sums varied from run to run (4 runs in 8 on the legacy parquet
/// sample), this gives the same bytes every time.
fn region_of_usage_type(usage_type: Expr) -> Expr {
    let prefix = usage_type.str().extract(lit(r"^([A-Z]{2,4}[0-9]?)-"), 1);
    REGION_PREFIXES_CSV
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .fold(lit(NULL).cast(DataType::String), |other, (code, region)| {
            when(prefix.clone().eq(lit(code)))
                .then(lit(region))
                .otherwise(other)
        })
}

const SERVICES_CSV: &str = include_str!("../../data/aws_services.csv");

/// (code, name, category) rows of `data/aws_services.csv`.
fn services() -> impl Iterator<Item = ServiceRow> {
    SERVICES_CSV
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter_map(|l| {
            let mut f = l.splitn(3, ',');
            Some((f.next()?, f.next()?, f.next()?))
        })
}

type ServiceRow = (&'static str, &'static str, &'static str);

/// Columns the service table join adds (dropped again by the canonical projection).
const SERVICE_TABLE_NAME: &str = "__aws_service_name";
const SERVICE_TABLE_CATEGORY: &str = "__aws_service_category";

/// Adds the product name and FOCUS category of each line's product code, by a hash join with
/// the services table: on 10M lines a join costs about a third of `replace_strict`.
fn with_service_table(frame: LazyFrame, cur: &CurColumns) -> LazyFrame {
    let rows: Vec<ServiceRow> = services().collect();
    let table = df!(
        "__aws_service_code" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        SERVICE_TABLE_NAME => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        SERVICE_TABLE_CATEGORY => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
    )
    .expect("the services table is well formed");
    frame.join(
        table.lazy(),
        [cur.text("line_item_product_code")],
        [col("__aws_service_code")],
        // In the lines' own order: a converted file is the same bytes at every run.
        JoinArgs {
            maintain_order: MaintainOrderJoin::Left,
            ..JoinArgs::new(JoinType::Left)
        },
    )
}

/// A snake_case CUR frame mapped onto the canonical schema.
pub fn to_canonical(frame: LazyFrame, cur: &CurColumns, tags: Option<Expr>) -> LazyFrame {
    with_service_table(frame, cur).select(canonical(cur, tags))
}

/// The canonical projection, by canonical column name.
fn canonical_by_name(
    cur: &CurColumns,
    tags: Option<Expr>,
) -> impl Iterator<Item = (&'static str, Expr)> {
    schema::COLUMNS
        .iter()
        .map(|c| c.name)
        .zip(canonical(cur, tags))
}

/// The CUR's lines prepared for grouping before mapping ([`Rollup`]), when its money columns
/// are numbers and its usage dates timestamps (parquet as AWS and Athena write it); text
/// columns are parsed line by line, so text CURs take the per-line route. The prepared lines
/// carry money as canonical pico-units and the usage dates in UTC, so groups are summed
/// exactly and days are UTC days whatever zone the file's timestamps are in.
pub fn rollup(
    scan: LazyFrame,
    file_schema: &Schema,
    product_map: Option<&str>,
    tags: Option<Expr>,
) -> Option<Rollup> {
    let is_timestamp = |name: &str| matches!(file_schema.get(name), Some(DataType::Datetime(..)));
    let (start, end) = ("line_item_usage_start_date", "line_item_usage_end_date");
    if !is_timestamp(start) || !is_timestamp(end) {
        return None;
    }
    let present: Vec<&str> = NUMERIC_COLUMNS
        .iter()
        .copied()
        .filter(|c| file_schema.contains(c) && *c != NORMALIZATION_FACTOR)
        .collect();
    if present
        .iter()
        .any(|c| !file_schema.get(c).is_some_and(typed::is_money_type))
    {
        return None;
    }
    let (quantities, money): (Vec<&str>, Vec<&str>) =
        present.into_iter().partition(|c| *c == USAGE_AMOUNT);
    let as_money = |name: &str| typed::money(col(name), file_schema.get(name)?);
    let unblended = as_money(UNBLENDED_COST)?;
    let mut prepared = Vec::new();
    for m in &money {
        let mut value = as_money(m)?;
        if FILLED_WITH_UNBLENDED.contains(m) {
            value = value.fill_null(unblended.clone());
        }
        prepared.push(value.alias(*m));
    }
    prepared.extend(
        quantities
            .iter()
            .map(|q| col(*q).cast(DataType::Float64).alias(*q)),
    );
    prepared.extend([start, end].map(|t| col(t).cast(schema::timestamp_dtype()).alias(t)));

    // The prepared lines' own schema: what the canonical mapping reads from them.
    let mut lines_schema = file_schema.clone();
    for m in &money {
        lines_schema.with_column((*m).into(), schema::money_dtype());
    }
    for t in [start, end] {
        lines_schema.with_column(t.into(), schema::timestamp_dtype());
    }
    let schema = Arc::new(lines_schema);
    let product_map = product_map.map(String::from);
    let cur = CurColumns {
        schema: &schema,
        product_map: product_map.as_deref(),
        summed_money: false,
    };
    let mut columns = BTreeMap::new();
    let mut roots = BTreeMap::new();
    for (name, expr) in canonical_by_name(&cur, tags.clone()) {
        let expr = match expr {
            Expr::Alias(inner, _) => inner.as_ref().clone(),
            other => other,
        };
        let mut sources = BTreeSet::new();
        for node in &expr {
            if let Expr::Column(column) = node {
                if schema.contains(column) {
                    sources.insert(column.clone());
                } else if column == SERVICE_TABLE_NAME || column == SERVICE_TABLE_CATEGORY {
                    sources.insert(PlSmallStr::from_static("line_item_product_code"));
                }
            }
        }
        roots.insert(name, sources);
        columns.insert(name, expr);
    }
    let lists = schema
        .iter()
        .filter(|(_, dtype)| matches!(dtype, DataType::List(_)))
        .map(|(name, _)| name.clone())
        .collect();
    let map_schema = schema.clone();
    let map = move |grouped: LazyFrame, names: &[&'static str], keep: Vec<Expr>| {
        let cur = CurColumns {
            schema: &map_schema,
            product_map: product_map.as_deref(),
            summed_money: true,
        };
        let wanted: Vec<Expr> = canonical_by_name(&cur, tags.clone())
            .filter(|(name, _)| names.contains(name))
            .map(|(_, expr)| expr)
            .chain(keep)
            .collect();
        let needs_services = names
            .iter()
            .any(|n| *n == schema::SERVICE_NAME || *n == schema::SERVICE_CATEGORY);
        let grouped = if needs_services {
            with_service_table(grouped, &cur)
        } else {
            grouped
        };
        grouped.select(wanted)
    };
    Some(Rollup {
        // Cached so that the queries of one pass share a single scan (see `aggregates::build`).
        lines: scan.with_columns(prepared).cache(),
        columns,
        roots,
        money: money.into_iter().map(PlSmallStr::from_str).collect(),
        quantities: quantities.into_iter().map(PlSmallStr::from_str).collect(),
        start: start.into(),
        end: end.into(),
        lists,
        map: Arc::new(map),
        vocabulary: Vocabulary::AwsCur,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One hand-made CUR line per line-item type, with the amortised cost AWS's rules give
    /// worked out by hand in the comment beside it.
    fn amortisation_fixture() -> DataFrame {
        df!(
            LINE_ITEM_TYPE => [
                "Usage", "DiscountedUsage", "RIFee", "Fee", "Fee",
                "SavingsPlanCoveredUsage", "SavingsPlanRecurringFee", "SavingsPlanNegation",
                "SavingsPlanUpfrontFee", "Credit", "Tax", "Refund",
            ],
            UNBLENDED_COST => [10.0, 0.0, 30.0, 1000.0, 5.0, 8.0, 50.0, -8.0, 600.0, -3.0, 1.5, -2.0],
            "pricing_public_on_demand_cost" => [Some(10.0), Some(6.0), Some(0.0), None, None, Some(8.0), None, Some(8.0), None, None, None, None],
            "reservation_effective_cost" => [None, Some(4.0), None, None, None, None, None, None, None, None, None, None],
            "reservation_unused_amortized_upfront_fee_for_billing_period" => [None, None, Some(7.0), None, None, None, None, None, None, None, None, None],
            "reservation_unused_recurring_fee" => [None, None, Some(2.5), None, None, None, None, None, None, None, None, None],
            "reservation_reservation_a_r_n" => ["", "arn:ri", "arn:ri", "arn:ri", "", "", "", "", "", "", "", ""],
            "savings_plan_savings_plan_effective_cost" => [None, None, None, None, None, Some(5.5), None, None, None, None, None, None],
            "savings_plan_total_commitment_to_date" => [None, None, None, None, None, None, Some(50.0), None, None, None, None, None],
            "savings_plan_used_commitment" => [None, None, None, None, None, None, Some(42.0), None, None, None, None, None],
            "savings_plan_savings_plan_a_r_n" => ["", "", "", "", "", "arn:sp", "arn:sp", "arn:sp", "arn:sp", "", "", ""],
            "line_item_usage_type" => ["BoxUsage:m5.large", "BoxUsage:m5.large", "HeavyUsage:m5.large", "", "", "BoxUsage:c5.xlarge", "", "", "", "", "", ""],
        )
        .unwrap()
    }

    fn canonical_of(df: DataFrame) -> DataFrame {
        let schema = df.schema().clone();
        let cur = CurColumns {
            schema: &schema,
            product_map: None,
            summed_money: false,
        };
        to_canonical(df.lazy(), &cur, None).collect().unwrap()
    }

    /// Money columns read back as f64: the fixture's amounts are exact in binary.
    fn floats(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
        df.column(name)
            .unwrap()
            .cast(&DataType::Float64)
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect()
    }

    #[test]
    fn amortisation_rules() {
        let out = canonical_of(amortisation_fixture());
        assert_eq!(
            floats(&out, schema::EFFECTIVE_COST),
            vec![
                Some(10.0), // Usage: unblended
                Some(4.0),  // DiscountedUsage: reservation effective cost
                Some(9.5),  // RIFee: unused upfront 7 + unused recurring 2.5
                Some(0.0),  // Fee with a reservation ARN (RI upfront): 0
                Some(5.0),  // Fee without one: unblended
                Some(5.5),  // SP covered usage: SP effective cost
                Some(8.0),  // SP recurring fee: 50 total - 42 used
                Some(0.0),  // SP negation: 0
                Some(0.0),  // SP upfront fee: 0
                Some(-3.0), // Credit: kept with its sign
                Some(1.5),  // Tax: unblended
                Some(-2.0), // Refund: kept with its sign
            ]
        );
        // Billed cost is unblended cost on every line.
        assert_eq!(
            floats(&out, schema::BILLED_COST),
            vec![
                Some(10.0),
                Some(0.0),
                Some(30.0),
                Some(1000.0),
                Some(5.0),
                Some(8.0),
                Some(50.0),
                Some(-8.0),
                Some(600.0),
                Some(-3.0),
                Some(1.5),
                Some(-2.0)
            ]
        );
        // List cost: public on-demand cost; 0 on the negation; billed cost where none is given.
        assert_eq!(
            floats(&out, schema::LIST_COST),
            vec![
                Some(10.0),
                Some(6.0),
                Some(0.0),
                Some(1000.0),
                Some(5.0),
                Some(8.0),
                Some(50.0),
                Some(0.0),
                Some(600.0),
                Some(-3.0),
                Some(1.5),
                Some(-2.0)
            ]
        );
    }

    #[test]
    fn categories_and_commitments() {
        let out = canonical_of(amortisation_fixture());
        let text = |name: &str| -> Vec<Option<String>> {
            out.column(name)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|s| s.map(String::from))
                .collect()
        };
        let category = text(schema::CHARGE_CATEGORY);
        assert_eq!(
            category
                .iter()
                .map(|c| c.as_deref().unwrap())
                .collect::<Vec<_>>(),
            vec![
                "Usage", "Usage", "Purchase", "Purchase", "Purchase", "Usage", "Purchase", "Usage",
                "Purchase", "Credit", "Tax", "Credit"
            ]
        );
        let status = text(schema::COMMITMENT_DISCOUNT_STATUS);
        assert_eq!(status[1].as_deref(), Some("Used"));
        assert_eq!(status[2].as_deref(), Some("Unused"));
        assert_eq!(status[5].as_deref(), Some("Used"));
        assert_eq!(status[6].as_deref(), Some("Unused"));
        assert_eq!(status[0], None);
        let ids = text(schema::COMMITMENT_DISCOUNT_ID);
        assert_eq!(ids[1].as_deref(), Some("arn:ri"));
        assert_eq!(ids[6].as_deref(), Some("arn:sp"));
        assert_eq!(ids[0], None);
        let instance = text(schema::X_INSTANCE_TYPE);
        assert_eq!(instance[0].as_deref(), Some("m5.large"));
        assert_eq!(instance[5].as_deref(), Some("c5.xlarge"));
        assert_eq!(instance[3], None);
    }

    #[test]
    fn the_region_of_a_usage_type_prefix() {
        // AWS's usage-type prefixes: USW2 is us-west-2, EUC1 eu-central-1, USE1-CAN1 a
        // transfer leaving us-east-1; an unprefixed us-east-1 usage type and a global one
        // (CloudWatch dashboards) name no region, nor does an unknown prefix.
        let df = df!("u" => [
            "USW2-DataTransfer-Out-Bytes",
            "EUC1-BoxUsage:m5.large",
            "USE1-CAN1-AWS-Out-Bytes",
            "BoxUsage:m5.large",
            "DashboardsUsageHour-Basic",
            "XYZ9-Requests",
        ])
        .unwrap();
        let regions = df
            .lazy()
            .select([region_of_usage_type(col("u")).alias("r")])
            .collect()
            .unwrap();
        let regions: Vec<Option<&str>> =
            regions.column("r").unwrap().str().unwrap().iter().collect();
        assert_eq!(
            regions,
            vec![
                Some("us-west-2"),
                Some("eu-central-1"),
                Some("us-east-1"),
                None,
                None,
                None
            ]
        );
    }
}

//! The canonical lines as a FOCUS 1.2 CostAndUsage dataset: the rules of the 1.2 columns that
//! the canonical data does not already meet, applied on the way out (the import keeps what the
//! source says; only `convert` fills and clears):
//! - PublisherName and InvoiceIssuerName are mandatory: a source without them (a FOCUS 1.0
//!   file, Cost Explorer) gets the provider's name;
//! - ChargeFrequency (recommended, not null): the source's value in FOCUS's spelling, else from
//!   the charge category (usage is `Usage-Based`, a reservation or savings plan fee
//!   `Recurring`, another purchase, a credit or an adjustment `One-Time`, a tax `Recurring`);
//! - ServiceSubcategory (recommended, not null): the source's, else `Other (<ServiceCategory>)`,
//!   the 1.2 value for a service with no finer category;
//! - PricingQuantity and PricingUnit are null on tax lines; the units follow FOCUS's unit format
//!   (`GB-Mo` is `GB-Months`, `Hrs` is `Hours`); a quantity without a unit (AWS's free-tier
//!   lines) is counted in `Units`;
//! - ResourceType and ResourceName are null without a ResourceId, the CommitmentDiscount
//!   columns without a CommitmentDiscountId, CapacityReservationStatus without a
//!   CapacityReservationId;
//! - ListCost and ContractedCost of a credit or an adjustment the source leaves empty are its
//!   BilledCost (FOCUS 1.2: a charge unrelated to other charges carries its billed cost there);
//!   elsewhere an empty one stays empty, never a made-up price (Cost Explorer has no list
//!   prices);
//! - Tags is a JSON object in every format (FOCUS defines it as JSON text).
//!
//! The `x_` columns keep their names; the FOCUS version the source was read as is written as
//! `x_SourceFocusVersion`.

use polars::prelude::*;

use crate::schema::{self, charge_category as cc, Kind};

/// Name of the column that says which FOCUS version a line was read from.
pub const X_SOURCE_FOCUS_VERSION: &str = "x_SourceFocusVersion";

/// The name a canonical column has in a FOCUS 1.2 file.
pub fn output_name(canonical: &'static str) -> &'static str {
    if canonical == schema::X_FOCUS_VERSION {
        X_SOURCE_FOCUS_VERSION
    } else {
        canonical
    }
}

fn null_of(kind: Kind) -> Expr {
    lit(NULL).cast(kind.dtype())
}

/// `column`, null where `id` is null.
fn only_with(column: &'static str, kind: Kind, id: &'static str) -> Expr {
    when(col(id).is_null())
        .then(null_of(kind))
        .otherwise(col(column))
}

/// A text column's values in the spelling of `allowed`, matched case-insensitively; other
/// values as they are.
fn spelled(source: Expr, allowed: &[&'static str]) -> Expr {
    let lower = source.clone().str().to_lowercase();
    allowed.iter().fold(source, |out, value| {
        when(lower.clone().eq(lit(value.to_ascii_lowercase())))
            .then(lit(*value))
            .otherwise(out)
    })
}

const FREQUENCIES: [&str; 3] = ["One-Time", "Recurring", "Usage-Based"];

/// AWS line types of fees that recur every month (the rest of the purchases are one-off).
const RECURRING_FEES: [&str; 2] = ["RIFee", "SavingsPlanRecurringFee"];

fn charge_frequency() -> Expr {
    let category = col(schema::CHARGE_CATEGORY);
    let recurring_fee = col(schema::X_LINE_ITEM_TYPE).is_in(
        lit(Series::new("fees".into(), RECURRING_FEES)).implode(false),
        false,
    );
    let derived = when(category.clone().eq(lit(cc::USAGE)))
        .then(lit("Usage-Based"))
        .when(
            category
                .clone()
                .eq(lit(cc::PURCHASE))
                .and(recurring_fee.fill_null(lit(false))),
        )
        .then(lit("Recurring"))
        .when(category.eq(lit(cc::TAX)))
        .then(lit("Recurring"))
        .otherwise(lit("One-Time"));
    spelled(col(schema::CHARGE_FREQUENCY), &FREQUENCIES).fill_null(derived)
}

fn service_subcategory() -> Expr {
    let other = concat_str(
        [
            lit("Other ("),
            col(schema::SERVICE_CATEGORY).fill_null(lit("Other")),
            lit(")"),
        ],
        "",
        false,
    );
    col(schema::SERVICE_SUBCATEGORY).fill_null(other)
}

/// Unit abbreviations billing files use, and FOCUS's unit format for them (a time unit after
/// a dash is plural: `GB-Hours`, `Requests-Months`).
const UNIT_SUFFIXES: [(&str, &str); 9] = [
    ("-Mo", "-Months"),
    ("-Month", "-Months"),
    ("-Hrs", "-Hours"),
    ("-Hr", "-Hours"),
    ("-Hour", "-Hours"),
    ("-Day", "-Days"),
    ("-Minute", "-Minutes"),
    ("-Second", "-Seconds"),
    ("-Year", "-Years"),
];
/// The unit of a quantity whose source names none.
const GENERIC_UNIT: &str = "Units";

/// Whole units that are abbreviations: hours, and EventBridge's events billed by the 64 KB
/// chunk (FOCUS writes a count of a sized unit as `<quantity> <unit>`).
const UNIT_WORDS: [(&str, &str); 3] = [
    ("Hrs", "Hours"),
    ("Hr", "Hour"),
    ("64K-Chunks", "64 KB Chunks"),
];

/// One unit in FOCUS's unit format, where it is a known abbreviation.
pub fn focus_unit(unit: &str) -> String {
    if let Some((_, to)) = UNIT_WORDS.iter().find(|(from, _)| *from == unit) {
        return to.to_string();
    }
    for (from, to) in UNIT_SUFFIXES {
        if let Some(stem) = unit.strip_suffix(from) {
            return format!("{stem}{to}");
        }
    }
    unit.to_string()
}

fn units(source: Expr) -> Expr {
    source.map(
        |column| {
            let text = column.str()?;
            let out: StringChunked = text.iter().map(|u| u.map(focus_unit)).collect();
            Ok(out.with_name(column.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}

/// The FOCUS 1.2 value of one canonical column, by the rules above; `tags` turns the
/// canonical tag list into the format's text.
pub fn column(c: &schema::Column, tags: &dyn Fn(Expr) -> Expr) -> Expr {
    let is_tax = col(schema::CHARGE_CATEGORY).eq(lit(cc::TAX));
    let expr = match c.name {
        schema::PUBLISHER_NAME | schema::INVOICE_ISSUER_NAME => {
            col(c.name).fill_null(col(schema::PROVIDER_NAME))
        }
        schema::CHARGE_FREQUENCY => charge_frequency(),
        schema::SERVICE_SUBCATEGORY => service_subcategory(),
        schema::PRICING_QUANTITY => when(is_tax).then(null_of(c.kind)).otherwise(col(c.name)),
        schema::PRICING_UNIT => {
            let known = col(schema::PRICING_UNIT).fill_null(col(schema::CONSUMED_UNIT));
            // A quantity needs a unit; where the source gives none (AWS leaves it blank on
            // free-tier lines), FOCUS's generic count unit.
            let unit = when(
                known
                    .clone()
                    .is_null()
                    .and(col(schema::PRICING_QUANTITY).is_not_null()),
            )
            .then(lit(GENERIC_UNIT))
            .otherwise(known);
            when(is_tax).then(null_of(c.kind)).otherwise(units(unit))
        }
        schema::CONSUMED_UNIT => units(col(c.name)),
        schema::RESOURCE_TYPE | schema::RESOURCE_NAME => {
            only_with(c.name, c.kind, schema::RESOURCE_ID)
        }
        schema::COMMITMENT_DISCOUNT_TYPE
        | schema::COMMITMENT_DISCOUNT_STATUS
        | schema::COMMITMENT_DISCOUNT_CATEGORY
        | schema::COMMITMENT_DISCOUNT_NAME
        | schema::COMMITMENT_DISCOUNT_QUANTITY
        | schema::COMMITMENT_DISCOUNT_UNIT => {
            only_with(c.name, c.kind, schema::COMMITMENT_DISCOUNT_ID)
        }
        schema::CAPACITY_RESERVATION_STATUS => {
            only_with(c.name, c.kind, schema::CAPACITY_RESERVATION_ID)
        }
        schema::LIST_COST | schema::CONTRACTED_COST => {
            let unrelated = col(schema::CHARGE_CATEGORY)
                .eq(lit(cc::CREDIT))
                .or(col(schema::CHARGE_CATEGORY).eq(lit(cc::ADJUSTMENT)));
            when(col(c.name).is_null().and(unrelated))
                .then(col(schema::BILLED_COST))
                .otherwise(col(c.name))
        }
        schema::TAGS => tags(col(c.name)),
        _ => col(c.name),
    };
    expr.alias(output_name(c.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_in_focus_format() {
        assert_eq!(focus_unit("GB-Mo"), "GB-Months");
        assert_eq!(focus_unit("Obj-Month"), "Obj-Months");
        assert_eq!(focus_unit("Hrs"), "Hours");
        assert_eq!(focus_unit("vCPU-Hours"), "vCPU-Hours");
        assert_eq!(focus_unit("ReadCapacityUnit-Hrs"), "ReadCapacityUnit-Hours");
        assert_eq!(focus_unit("Requests"), "Requests");
        assert_eq!(focus_unit("64K-Chunks"), "64 KB Chunks");
    }

    #[test]
    fn the_rules_by_hand() {
        let df = df!(
            schema::CHARGE_CATEGORY => ["Usage", "Purchase", "Purchase", "Tax", "Credit"],
            schema::X_LINE_ITEM_TYPE => [Some("Usage"), Some("RIFee"), Some("Fee"), Some("Tax"), None],
            schema::CHARGE_FREQUENCY => [None, None, None, None, Some("one-time")],
            schema::SERVICE_CATEGORY => [Some("Compute"), None, Some("Compute"), Some("Other"), Some("Storage")],
            schema::SERVICE_SUBCATEGORY => [None, None, Some("Virtual Machines"), None, None],
            schema::PRICING_QUANTITY => [Some(2.0), Some(1.0), Some(1.0), Some(5.0), None],
            schema::PRICING_UNIT => [Some("Hrs"), None, None, Some("GB"), None],
            schema::CONSUMED_UNIT => [Some("Hrs"), Some("Hrs"), None, None, None],
            schema::BILLED_COST => [1.0, 2.0, 3.0, 4.0, -5.0],
            schema::LIST_COST => [Some(1.5), None, None, None, None],
        )
        .unwrap();
        let column = |name: &str| {
            let c = schema::COLUMNS.iter().find(|c| c.name == name).unwrap();
            df.clone()
                .lazy()
                .select([super::column(c, &|e| e)])
                .collect()
                .unwrap()
                .column(name)
                .unwrap()
                .as_materialized_series()
                .cast(&DataType::String)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(String::from))
                .collect::<Vec<_>>()
        };
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            column(schema::CHARGE_FREQUENCY),
            vec![
                s("Usage-Based"),
                s("Recurring"),
                s("One-Time"),
                s("Recurring"),
                s("One-Time")
            ]
        );
        assert_eq!(
            column(schema::SERVICE_SUBCATEGORY),
            vec![
                s("Other (Compute)"),
                s("Other (Other)"),
                s("Virtual Machines"),
                s("Other (Other)"),
                s("Other (Storage)")
            ]
        );
        // Tax: neither quantity nor unit; the consumed unit where pricing has none, `Units`
        // for a quantity with neither, no unit without a quantity.
        assert_eq!(
            column(schema::PRICING_UNIT),
            vec![s("Hours"), s("Hours"), s("Units"), None, None]
        );
        assert_eq!(
            column(schema::PRICING_QUANTITY),
            vec![s("2.0"), s("1.0"), s("1.0"), None, None]
        );
        // Only the credit's empty list cost is its billed cost; an empty one elsewhere stays
        // empty rather than a made-up price.
        assert_eq!(
            column(schema::LIST_COST),
            vec![s("1.5"), None, None, None, s("-5.0")]
        );
    }
}

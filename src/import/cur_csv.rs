//! AWS legacy Cost and Usage Report as CSV (plain or gzip): `lineItem/UnblendedCost` headers and
//! one `resourceTags/user:<key>` column per tag. Headers are renamed to the snake_case form the
//! parquet CUR uses, so one mapping ([`super::aws_cur`]) serves both.

use std::path::Path;

use polars::prelude::*;

use super::aws_cur::{self, CurColumns};
use super::{materialize, normalize_aws_tag_key, tags_from_columns, text};
use crate::error::{ErrContext, Error, Result};

const TAG_PREFIX: &str = "resourceTags/";

pub fn is_cur_csv(header: &[String]) -> bool {
    header
        .iter()
        .any(|h| h == "lineItem/UnblendedCost" || h == aws_cur::UNBLENDED_COST)
}

/// `lineItem/UnblendedCost` → `line_item_unblended_cost`; every capital starts a word, as AWS
/// does (`reservation/ReservationARN` → `reservation_reservation_a_r_n`).
fn snake_case(header: &str) -> String {
    let mut out = String::with_capacity(header.len() + 8);
    for part in header.split('/') {
        if !out.is_empty() {
            out.push('_');
        }
        let mut at_word_start = true;
        for ch in part.chars() {
            if ch.is_ascii_uppercase() {
                if !at_word_start {
                    out.push('_');
                }
                out.push(ch.to_ascii_lowercase());
            } else if ch.is_ascii_alphanumeric() {
                out.push(ch);
            } else {
                out.push('_');
            }
            at_word_start = false;
        }
    }
    out
}

pub fn load(path: &Path) -> Result<LazyFrame> {
    let mut df = text::read_all_text(path)?;
    let mut tag_columns = Vec::new();
    let mut renames: Vec<(String, String)> = Vec::new();
    for name in df.get_column_names_owned() {
        let name = name.to_string();
        if let Some(raw_key) = name.strip_prefix(TAG_PREFIX) {
            let column = format!("tag::{raw_key}");
            tag_columns.push((normalize_aws_tag_key(raw_key), column.clone()));
            renames.push((name, column));
        } else {
            // CUR 2.0 CSV headers are already snake_case; renaming them is a no-op.
            renames.push((name.clone(), snake_case(&name)));
        }
    }
    // Checked under the names the user sees in the file, before renaming.
    for (from, to) in &renames {
        if aws_cur::is_money(to) {
            text::check_money(&df, path, from)?;
        } else if aws_cur::NUMERIC_COLUMNS.contains(&to.as_str()) {
            text::check_numbers(&df, path, from)?;
        }
        if aws_cur::TIMESTAMP_COLUMNS.contains(&to.as_str()) {
            text::check_timestamps(&df, path, from)?;
        }
        if aws_cur::EVERY_LINE.contains(&to.as_str()) {
            text::check_present(&df, path, from)?;
        }
    }
    for (from, to) in renames.iter().filter(|(from, to)| from != to) {
        df.rename(from, to.as_str().into())
            .err_context(|| format!("{}: renaming column {from}", path.display()))?;
    }
    for required in aws_cur::REQUIRED_COLUMNS {
        if !df.schema().contains(required) {
            return Err(Error::column(
                path,
                *required,
                "required column is missing from the CUR header",
            ));
        }
    }
    let schema = df.schema().clone();
    let cur = CurColumns {
        schema: &schema,
        product_map: None,
        summed_money: false,
    };
    let canonical = aws_cur::to_canonical(df.lazy(), &cur, tags_from_columns(&tag_columns));
    materialize(canonical, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_become_snake_case_like_athena() {
        assert_eq!(
            snake_case("lineItem/UnblendedCost"),
            "line_item_unblended_cost"
        );
        assert_eq!(
            snake_case("reservation/ReservationARN"),
            "reservation_reservation_a_r_n"
        );
        assert_eq!(
            snake_case("savingsPlan/SavingsPlanARN"),
            "savings_plan_savings_plan_a_r_n"
        );
        assert_eq!(snake_case("product/servicecode"), "product_servicecode");
        assert_eq!(
            snake_case("pricing/publicOnDemandCost"),
            "pricing_public_on_demand_cost"
        );
        assert_eq!(
            snake_case("bill/BillingPeriodStartDate"),
            "bill_billing_period_start_date"
        );
    }
}

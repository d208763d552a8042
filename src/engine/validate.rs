//! What every line must have for a total to be right, checked on what a query collected
//! (groups, not lines, so the check costs nothing per line): a billing currency (a line
//! without one would be left out of every currency's total) and a start inside the range the
//! importers accept (a line without one belongs to no day or month). A failed check is an
//! error; `import::explain` then names the file, row and column it came from.

use polars::prelude::*;

use crate::error::{ErrContext, Error, Result};
use crate::period::{iso_timestamp, EARLIEST_MS, END_OF_TIME_MS};
use crate::schema;

fn out_of_range(ms: i64) -> bool {
    !(EARLIEST_MS..END_OF_TIME_MS).contains(&ms)
}

/// Every row (a line or a group of lines) has a currency, and its `start` column (epoch ms)
/// is present and in range.
pub fn check_lines(df: &DataFrame, start: &str) -> Result<()> {
    if column(df, schema::BILLING_CURRENCY)?.null_count() > 0 {
        return Err(Error::Usage(format!(
            "some lines have no {}: a line without a currency cannot be counted in any total",
            schema::BILLING_CURRENCY
        )));
    }
    check_instants(df, start, true)
}

fn column<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Column> {
    df.column(name)
        .err_context(|| format!("checking column {name}"))
}

/// A timestamp column (epoch ms) is in range, and present when `required`.
pub fn check_instants(df: &DataFrame, name: &str, required: bool) -> Result<()> {
    let values = column(df, name)?;
    if required && values.null_count() > 0 {
        check_instant(name, None, true)?;
    }
    let ms = values
        .as_materialized_series()
        .to_physical_repr()
        .cast(&DataType::Int64)
        .err_context(|| format!("checking column {name}"))?;
    let ms = ms.i64().err_context(|| format!("checking column {name}"))?;
    for extreme in [ms.min(), ms.max()] {
        check_instant(name, extreme, false)?;
    }
    Ok(())
}

/// One instant (epoch ms) of `column` is in range, and present when `required`.
pub fn check_instant(column: &str, ms: Option<i64>, required: bool) -> Result<()> {
    match ms {
        None if required => Err(Error::Usage(format!(
            "some lines have no {}: a line without a start belongs to no period",
            schema::CHARGE_PERIOD_START
        ))),
        Some(ms) if out_of_range(ms) => Err(Error::Usage(format!(
            "a line's {column} is outside {}..{} ({ms} ms after 1970-01-01)",
            iso_timestamp(EARLIEST_MS),
            iso_timestamp(END_OF_TIME_MS - 1)
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(currency: &[Option<&str>], start: &[Option<i64>]) -> DataFrame {
        df!(schema::BILLING_CURRENCY => currency, "start" => start).unwrap()
    }

    #[test]
    fn lines_need_a_currency_and_a_start_in_range() {
        assert!(check_lines(&frame(&[Some("USD")], &[Some(0)]), "start").is_ok());
        let no_currency = check_lines(&frame(&[None], &[Some(0)]), "start").unwrap_err();
        assert!(no_currency.to_string().contains("BillingCurrency"));
        let no_start = check_lines(&frame(&[Some("USD")], &[None]), "start").unwrap_err();
        assert!(no_start.to_string().contains("no ChargePeriodStart"));
        assert!(check_lines(&frame(&[Some("USD")], &[Some(-1)]), "start").is_err());
        assert!(check_lines(&frame(&[Some("USD")], &[Some(END_OF_TIME_MS)]), "start").is_err());
        assert!(check_instants(&frame(&[Some("USD")], &[None]), "start", false).is_ok());
    }
}

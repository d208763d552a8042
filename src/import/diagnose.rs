//! Which cell made a query or a check fail: the polars queries over parquet inputs stop at the
//! first value that cannot be money or a timestamp, and the checks on collected groups see a
//! line without a currency or a start, but neither knows the file or the row. Here each
//! parquet input is searched for its first bad cell, with the same rules the import applies,
//! so the error names file, row, column and value. Runs only when something failed. (CSV inputs
//! are checked cell by cell as they are read, see [`super::text`].)

use std::path::Path;

use polars::prelude::*;

use super::{aws_cur, focus, scan_parquet, Format, Source};
use crate::error::{Error, Result};
use crate::money::{self, Money};
use crate::period::{EARLIEST_MS, END_OF_TIME_MS};
use crate::schema::{self, Kind};

/// What a column's values must be.
#[derive(Clone, Copy)]
enum Rule {
    Money,
    /// A timestamp in range, present when `required`.
    Instant {
        required: bool,
    },
    /// Text that is present and not blank.
    Present,
}

impl Rule {
    fn expected(self) -> String {
        match self {
            Rule::Money => money::limit_text(),
            Rule::Instant { required } => format!(
                "{}a timestamp from 1970-01-01 to 9999-12-31",
                if required { "" } else { "nothing or " }
            ),
            Rule::Present => "a value (every line needs one)".into(),
        }
    }

    /// True where a value breaks the rule, for a column of type `dtype`; `None` when the
    /// values have to be checked in Rust (text).
    fn broken(self, name: &str, dtype: &DataType) -> Option<Expr> {
        let c = col(name);
        Some(match self {
            Rule::Money if dtype.is_string() => return None,
            Rule::Money => {
                let x = c.cast(DataType::Float64);
                let limit = 10f64.powi(money::LINE_DIGITS as i32);
                x.clone()
                    .is_nan()
                    .or(x.clone().gt_eq(lit(limit)))
                    .or(x.lt_eq(lit(-limit)))
            }
            Rule::Instant { .. } if dtype.is_string() => return None,
            Rule::Instant { required } => {
                let ms = c
                    .clone()
                    .cast(schema::timestamp_dtype())
                    .cast(DataType::Int64);
                let outside = ms
                    .clone()
                    .lt(lit(EARLIEST_MS))
                    .or(ms.gt_eq(lit(END_OF_TIME_MS)));
                if required {
                    c.is_null().or(outside)
                } else {
                    outside
                }
            }
            Rule::Present => {
                let text = c.cast(DataType::String);
                text.clone()
                    .is_null()
                    .or(text.str().strip_chars(lit(NULL)).eq(lit("")))
            }
        })
    }

    /// Whether one text cell breaks the rule.
    fn broken_text(self, cell: Option<&str>) -> bool {
        let cell = cell.map(str::trim).filter(|c| !c.is_empty());
        match (self, cell) {
            (Rule::Money, Some(c)) => Money::parse_line(c).is_none(),
            (Rule::Instant { .. }, Some(c)) => super::text::parse_instant(c).is_none(),
            (Rule::Instant { required }, None) => required,
            (Rule::Present, None) => true,
            _ => false,
        }
    }
}

/// The columns to check in one file and their rules: start, end, currency, then money.
fn rules(path: &Path, format: Format, file_schema: &Schema) -> Vec<(String, Rule)> {
    let mut out: Vec<(String, Rule)> = Vec::new();
    match format {
        Format::CurParquet | Format::Cur2Parquet => {
            out.push((
                "line_item_usage_start_date".into(),
                Rule::Instant { required: true },
            ));
            out.push((
                "line_item_usage_end_date".into(),
                Rule::Instant { required: false },
            ));
            out.push(("line_item_currency_code".into(), Rule::Present));
            out.extend(
                aws_cur::NUMERIC_COLUMNS
                    .iter()
                    .filter(|c| aws_cur::is_money(c))
                    .map(|c| (c.to_string(), Rule::Money)),
            );
        }
        Format::FocusParquet => {
            let names: Vec<String> = file_schema.iter_names().map(|n| n.to_string()).collect();
            // The file was read, so its columns are unique: this only finds them again.
            let matched = focus::match_columns(path, &names).unwrap_or_default();
            let named = |canonical: &str| {
                matched
                    .iter()
                    .find(|(c, _)| c.name == canonical)
                    .map(|(_, n)| n.clone())
            };
            for (canonical, rule) in [
                (
                    schema::CHARGE_PERIOD_START,
                    Rule::Instant { required: true },
                ),
                (schema::CHARGE_PERIOD_END, Rule::Instant { required: false }),
                (schema::BILLING_CURRENCY, Rule::Present),
            ] {
                out.extend(named(canonical).map(|n| (n, rule)));
            }
            out.extend(
                matched
                    .iter()
                    .filter(|(c, _)| c.kind == Kind::Money)
                    .map(|(_, n)| (n.clone(), Rule::Money)),
            );
        }
        Format::CurCsv | Format::FocusCsv | Format::CostExplorer | Format::FocusDataset(_) => {}
    }
    out.retain(|(name, _)| file_schema.contains(name));
    out
}

const ROW: &str = "__row";

fn cell_error(path: &Path, row: u64, column: &str, rule: Rule, found: String) -> Error {
    Error::Row {
        path: path.into(),
        row: row + 1,
        column: column.into(),
        expected: rule.expected(),
        found,
    }
}

/// The first bad cell of one parquet file, in file order (the first row with one, then the
/// first of its columns in [`rules`] order).
fn first_bad_cell(source: &Source) -> Result<Option<Error>> {
    if !matches!(
        source.format,
        Format::CurParquet | Format::Cur2Parquet | Format::FocusParquet
    ) {
        return Ok(None);
    }
    let path = source.path.as_path();
    let scan = scan_parquet(path)?;
    let context = || format!("{}: looking for the bad value", path.display());
    let file_schema = scan
        .clone()
        .collect_schema()
        .map_err(|e| Error::input(path, e.to_string()))?;
    let mut first: Option<(u64, Error)> = None;
    let mut keep = |row: u64, error: Error| {
        if first.as_ref().is_none_or(|(r, _)| row < *r) {
            first = Some((row, error));
        }
    };
    let checks = rules(&source.path, source.format, &file_schema);
    let mut in_polars = Vec::new();
    for (name, rule) in &checks {
        let dtype = file_schema.get(name).unwrap_or(&DataType::Null);
        match rule.broken(name, dtype) {
            Some(broken) => in_polars.push((name, *rule, broken)),
            None => {
                let df = scan
                    .clone()
                    .select([col(name.as_str()).cast(DataType::String)])
                    .collect()
                    .map_err(|e| Error::input(path, format!("{}: {e}", context())))?;
                let cells = crate::engine::frame::strings(&df, name)?;
                if let Some(row) = cells.iter().position(|c| rule.broken_text(c.as_deref())) {
                    let found = cells[row].clone().unwrap_or_default();
                    keep(row as u64, cell_error(path, row as u64, name, *rule, found));
                }
            }
        }
    }
    if let Some(any) = in_polars
        .iter()
        .map(|(_, _, broken)| broken.clone())
        .reduce(Expr::or)
    {
        let mut columns = vec![col(ROW)];
        for (i, (name, rule, broken)) in in_polars.iter().enumerate() {
            columns.push(broken.clone().alias(format!("__broken{i}")));
            // An instant beyond what polars can print as a date is shown as epoch ms.
            let value = match rule {
                Rule::Instant { .. } => concat_str(
                    [
                        col(name.as_str())
                            .cast(schema::timestamp_dtype())
                            .cast(DataType::Int64)
                            .cast(DataType::String),
                        lit(" ms after 1970-01-01"),
                    ],
                    "",
                    false,
                ),
                _ => col(name.as_str()).cast(DataType::String),
            };
            columns.push(value.alias(format!("__value{i}")));
        }
        let found = scan
            .with_row_index(ROW, None)
            .filter(any)
            .select(columns)
            .limit(1)
            .collect()
            .map_err(|e| Error::input(path, format!("{}: {e}", context())))?;
        if found.height() == 1 {
            let row = crate::engine::frame::ints(&found, ROW)?[0].unwrap_or(0) as u64;
            for (i, (name, rule, _)) in in_polars.iter().enumerate() {
                let broken = found
                    .column(&format!("__broken{i}"))
                    .ok()
                    .and_then(|c| c.bool().ok().and_then(|b| b.get(0)))
                    .unwrap_or(false);
                if broken {
                    let value = crate::engine::frame::strings(&found, &format!("__value{i}"))?;
                    let value = value[0].clone().unwrap_or_default();
                    keep(row, cell_error(path, row, name, *rule, value));
                    break;
                }
            }
        }
    }
    Ok(first.map(|(_, e)| e))
}

/// The error to report for a failed query or check over `sources`: the first bad cell of an
/// input when one is found, otherwise `error` itself.
pub fn explain(sources: &[Source], error: Error) -> Error {
    for source in sources {
        match first_bad_cell(source) {
            Ok(Some(cell)) => return cell,
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(file = %source.path.display(), error = %e, "no bad value found")
            }
        }
    }
    error
}

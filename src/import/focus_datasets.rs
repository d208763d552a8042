//! The FOCUS datasets beside cost and usage, found in the same input and told apart by their
//! columns: Contract Commitment (1.3+: the commitments' terms, for the commitments analyser),
//! Billing Period and Invoice Detail (1.4: what was invoiced, for the reconciliation table).
//! Each is small (a row per commitment, period or invoice line), so it is read whole into
//! typed rows; money is exact, as in cost and usage.

use std::path::Path;

use polars::prelude::*;

use super::{text, typed, Sniffed};
use crate::engine::frame;
pub use crate::engine::supplements::{BillingPeriod, ContractCommitment, InvoiceLine, Supplements};
use crate::error::{ErrContext, Error, Result};
use crate::money::Money;
use crate::schema::{self, Kind};

/// A FOCUS dataset other than cost and usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetKind {
    ContractCommitment,
    BillingPeriod,
    InvoiceDetail,
}

impl DatasetKind {
    pub fn label(self) -> &'static str {
        match self {
            DatasetKind::ContractCommitment => "FOCUS Contract Commitment",
            DatasetKind::BillingPeriod => "FOCUS Billing Period",
            DatasetKind::InvoiceDetail => "FOCUS Invoice Detail",
        }
    }

    /// The dataset's name in summary.json.
    pub fn dataset_name(self) -> &'static str {
        match self {
            DatasetKind::ContractCommitment => "contract commitment",
            DatasetKind::BillingPeriod => "billing period",
            DatasetKind::InvoiceDetail => "invoice detail",
        }
    }

    /// Which dataset a file's columns make it (a column only that dataset has), if any.
    pub fn of(names: &[String]) -> Option<DatasetKind> {
        let has = |wanted: &str| names.iter().any(|n| n.eq_ignore_ascii_case(wanted));
        if has(schema::CHARGE_PERIOD_START) {
            None
        } else if has(CONTRACT_COMMITMENT_ID) {
            Some(DatasetKind::ContractCommitment)
        } else if has(INVOICE_DETAIL_ID) || has(INVOICE_ISSUE_DATE) {
            Some(DatasetKind::InvoiceDetail)
        } else if has(BILLING_PERIOD_STATUS) {
            Some(DatasetKind::BillingPeriod)
        } else {
            None
        }
    }
}

const CONTRACT_COMMITMENT_ID: &str = "ContractCommitmentId";
const INVOICE_DETAIL_ID: &str = "InvoiceDetailId";
const INVOICE_ISSUE_DATE: &str = "InvoiceIssueDate";
const BILLING_PERIOD_STATUS: &str = "BillingPeriodStatus";

/// A column a dataset reader needs, its kind and whether a file must have it.
struct Wanted {
    name: &'static str,
    kind: Kind,
    required: bool,
}

const fn wanted(name: &'static str, kind: Kind, required: bool) -> Wanted {
    Wanted {
        name,
        kind,
        required,
    }
}

const COMMITMENT_COLUMNS: &[Wanted] = &[
    wanted(CONTRACT_COMMITMENT_ID, Kind::Text, true),
    wanted("ContractCommitmentType", Kind::Text, false),
    wanted("ContractCommitmentCategory", Kind::Text, false),
    wanted("ContractCommitmentDescription", Kind::Text, false),
    wanted("ContractCommitmentCost", Kind::Money, false),
    wanted(schema::BILLING_CURRENCY, Kind::Text, false),
    wanted("ContractCommitmentQuantity", Kind::Quantity, false),
    wanted("ContractCommitmentUnit", Kind::Text, false),
    wanted("ContractCommitmentPeriodStart", Kind::Timestamp, true),
    wanted("ContractCommitmentPeriodEnd", Kind::Timestamp, true),
];

const INVOICE_COLUMNS: &[Wanted] = &[
    wanted(schema::INVOICE_ID, Kind::Text, true),
    wanted(schema::BILLING_ACCOUNT_ID, Kind::Text, true),
    wanted(schema::BILLING_CURRENCY, Kind::Text, true),
    wanted(schema::BILLING_PERIOD_START, Kind::Timestamp, true),
    wanted(schema::BILLING_PERIOD_END, Kind::Timestamp, true),
    wanted(schema::BILLED_COST, Kind::Money, true),
];

const PERIOD_COLUMNS: &[Wanted] = &[
    wanted(schema::BILLING_PERIOD_START, Kind::Timestamp, true),
    wanted(schema::BILLING_PERIOD_END, Kind::Timestamp, true),
    wanted(BILLING_PERIOD_STATUS, Kind::Text, true),
    wanted(schema::INVOICE_ISSUER_NAME, Kind::Text, false),
];

/// Reads one supplementary dataset file into `into`.
pub(super) fn load(
    path: &Path,
    sniffed: &Sniffed,
    kind: DatasetKind,
    into: &mut Supplements,
) -> Result<()> {
    let columns = match kind {
        DatasetKind::ContractCommitment => COMMITMENT_COLUMNS,
        DatasetKind::InvoiceDetail => INVOICE_COLUMNS,
        DatasetKind::BillingPeriod => PERIOD_COLUMNS,
    };
    let df = read_typed(path, sniffed, kind, columns)?;
    let text = |name: &str| frame::strings(&df, name);
    // Required cells: a row without one cannot be placed (which commitment, which invoice).
    let present = |name: &'static str| -> Result<Vec<String>> {
        text(name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| v.ok_or_else(|| missing(path, sniffed, name, row)))
            .collect()
    };
    let instants = |name: &'static str| -> Result<Vec<i64>> {
        frame::ints(&df, name)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| v.ok_or_else(|| missing(path, sniffed, name, row)))
            .collect()
    };
    match kind {
        DatasetKind::ContractCommitment => {
            let ids = present(CONTRACT_COMMITMENT_ID)?;
            let starts = instants("ContractCommitmentPeriodStart")?;
            let ends = instants("ContractCommitmentPeriodEnd")?;
            let kinds = text("ContractCommitmentType")?;
            let categories = text("ContractCommitmentCategory")?;
            let descriptions = text("ContractCommitmentDescription")?;
            let costs = optional_money(&df, "ContractCommitmentCost")?;
            let currencies = text(schema::BILLING_CURRENCY)?;
            let quantities = frame::floats(&df, "ContractCommitmentQuantity")?;
            let units = text("ContractCommitmentUnit")?;
            for (row, id) in ids.into_iter().enumerate() {
                into.commitments.push(ContractCommitment {
                    id,
                    kind: kinds[row].clone(),
                    category: categories[row].clone(),
                    description: descriptions[row].clone(),
                    cost: costs[row],
                    currency: currencies[row].clone(),
                    quantity: quantities[row],
                    unit: units[row].clone(),
                    start: starts[row],
                    end: ends[row],
                });
            }
        }
        DatasetKind::InvoiceDetail => {
            let ids = present(schema::INVOICE_ID)?;
            let accounts = present(schema::BILLING_ACCOUNT_ID)?;
            let currencies = present(schema::BILLING_CURRENCY)?;
            let starts = instants(schema::BILLING_PERIOD_START)?;
            let ends = instants(schema::BILLING_PERIOD_END)?;
            let billed = optional_money(&df, schema::BILLED_COST)?;
            for (row, invoice_id) in ids.into_iter().enumerate() {
                let billed =
                    billed[row].ok_or_else(|| missing(path, sniffed, "BilledCost", row))?;
                into.invoices.push(InvoiceLine {
                    invoice_id,
                    billing_account_id: accounts[row].clone(),
                    currency: currencies[row].clone(),
                    period_start: starts[row],
                    period_end: ends[row],
                    billed,
                });
            }
        }
        DatasetKind::BillingPeriod => {
            let starts = instants(schema::BILLING_PERIOD_START)?;
            let ends = instants(schema::BILLING_PERIOD_END)?;
            let statuses = present(BILLING_PERIOD_STATUS)?;
            let issuers = text(schema::INVOICE_ISSUER_NAME)?;
            for (row, status) in statuses.into_iter().enumerate() {
                into.billing_periods.push(BillingPeriod {
                    start: starts[row],
                    end: ends[row],
                    status,
                    issuer: issuers[row].clone(),
                });
            }
        }
    }
    Ok(())
}

/// An empty required cell, named by its line (CSV) or row (parquet).
fn missing(path: &Path, sniffed: &Sniffed, column: &str, row: usize) -> Error {
    let line = match sniffed {
        Sniffed::Text { .. } => row as u64 + 2,
        Sniffed::Parquet(_) => row as u64 + 1,
    };
    let unit = match sniffed {
        Sniffed::Text { .. } => "line",
        Sniffed::Parquet(_) => "row",
    };
    Error::column(
        path,
        column,
        format!("{unit} {line} is empty; every row of the dataset needs it"),
    )
}

fn optional_money(df: &DataFrame, name: &str) -> Result<Vec<Option<Money>>> {
    let decimals = df
        .column(name)
        .and_then(|c| c.decimal().cloned())
        .err_context(|| format!("reading {name}"))?;
    Ok(decimals
        .physical()
        .iter()
        .map(|p| p.map(Money::from_pico))
        .collect())
}

/// The wanted columns of a dataset file in canonical types (timestamps as epoch
/// milliseconds): checked cell by cell in CSV, by type in parquet; a missing required
/// column is an error naming the dataset, and a missing optional one is all nulls.
fn read_typed(
    path: &Path,
    sniffed: &Sniffed,
    kind: DatasetKind,
    columns: &[Wanted],
) -> Result<DataFrame> {
    let (frame, names, file_schema): (LazyFrame, Vec<String>, Option<SchemaRef>) = match sniffed {
        Sniffed::Text { header } => (text::read_all_text(path)?.lazy(), header.clone(), None),
        Sniffed::Parquet(file_schema) => (
            super::scan_parquet(path)?,
            file_schema.iter_names().map(|n| n.to_string()).collect(),
            Some(file_schema.clone()),
        ),
    };
    let text_frame = match sniffed {
        Sniffed::Text { .. } => Some(
            frame
                .clone()
                .collect()
                .err_context(|| format!("{}: reading the {}", path.display(), kind.label()))?,
        ),
        Sniffed::Parquet(_) => None,
    };
    let mut exprs = Vec::with_capacity(columns.len());
    for w in columns {
        let found = names.iter().find(|n| n.eq_ignore_ascii_case(w.name));
        let Some(found) = found else {
            if w.required {
                return Err(Error::column(
                    path,
                    w.name,
                    format!("a {} file needs this column", kind.label()),
                ));
            }
            exprs.push(lit(NULL).cast(w.kind.dtype()).alias(w.name));
            continue;
        };
        let source = col(found.as_str());
        let typed = match (&text_frame, &file_schema) {
            (Some(df), _) => {
                match w.kind {
                    Kind::Money => text::check_money(df, path, found)?,
                    Kind::Quantity => text::check_numbers(df, path, found)?,
                    Kind::Timestamp => text::check_timestamps(df, path, found)?,
                    Kind::Text | Kind::Tags => {}
                }
                Some(match w.kind {
                    Kind::Money => text::parse_money(source),
                    Kind::Quantity => text::parse_number(source),
                    Kind::Timestamp => text::parse_timestamp(source),
                    Kind::Text | Kind::Tags => source,
                })
            }
            (None, Some(file_schema)) => {
                let dtype = file_schema.get(found).unwrap_or(&DataType::Null);
                match w.kind {
                    Kind::Money if dtype.is_string() => Some(text::parse_money(source)),
                    Kind::Money => typed::money(source, dtype),
                    Kind::Quantity => (typed::is_money_type(dtype) || dtype.is_string())
                        .then(|| source.strict_cast(DataType::Float64)),
                    Kind::Timestamp => typed::timestamp(source, dtype),
                    Kind::Text | Kind::Tags => Some(typed::text(source)),
                }
            }
            (None, None) => unreachable!("a file is text or parquet"),
        };
        let typed = typed.ok_or_else(|| {
            Error::column(
                path,
                found.as_str(),
                format!("expected {}, found another type", expected(w.kind)),
            )
        })?;
        let typed = match w.kind {
            Kind::Timestamp => typed.dt().timestamp(TimeUnit::Milliseconds),
            Kind::Text => schema::null_if_empty(typed),
            _ => typed,
        };
        exprs.push(typed.alias(w.name));
    }
    let source = match text_frame {
        Some(df) => df.lazy(),
        None => frame,
    };
    source
        .select(exprs)
        .collect()
        .err_context(|| format!("{}: reading the {}", path.display(), kind.label()))
}

fn expected(kind: Kind) -> &'static str {
    match kind {
        Kind::Money | Kind::Quantity => typed::MONEY_TYPES,
        Kind::Timestamp => "timestamps",
        Kind::Text | Kind::Tags => "text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn datasets_are_told_apart_by_their_columns() {
        assert_eq!(
            DatasetKind::of(&names(&["ContractCommitmentId", "ContractCommitmentCost"])),
            Some(DatasetKind::ContractCommitment)
        );
        assert_eq!(
            DatasetKind::of(&names(&["InvoiceDetailId", "InvoiceId", "BilledCost"])),
            Some(DatasetKind::InvoiceDetail)
        );
        assert_eq!(
            DatasetKind::of(&names(&["BillingPeriodStart", "BillingPeriodStatus"])),
            Some(DatasetKind::BillingPeriod)
        );
        // Cost and usage names a commitment on its lines, but it has charge periods.
        assert_eq!(
            DatasetKind::of(&names(&["ChargePeriodStart", "InvoiceDetailId"])),
            None
        );
    }
}

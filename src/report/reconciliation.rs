//! `reconciliation.csv`: each billing account's invoices (FOCUS Invoice Detail) against the
//! BilledCost of its cost-and-usage lines, per billing period and currency, with the
//! difference and a flag where they are a cent or more apart (see
//! [`crate::analyse::reconcile`]). Without invoices in the input it holds the header only.

use super::table::Cell;
use crate::analyse::Analysis;
use crate::error::Result;
use crate::period::iso_timestamp;

pub const RECONCILIATION_CSV: &str = "reconciliation.csv";

const HEADER: [&str; 10] = [
    "billing_account_id",
    "billing_period_start",
    "billing_period_end",
    "period_status",
    "invoice_ids",
    "invoiced_cost",
    "line_billed_cost",
    "difference",
    "currency",
    "flagged",
];

pub(super) fn write(a: &Analysis, dir: &mut super::Folder) -> Result<()> {
    let rows: Vec<Vec<Cell>> = a
        .focus
        .reconciliation
        .iter()
        .map(|r| {
            vec![
                Cell::text(&r.billing_account_id),
                Cell::text(iso_timestamp(r.period_start)),
                Cell::opt_text(&r.period_end.map(iso_timestamp)),
                Cell::opt_text(&r.period_status),
                Cell::text(&r.invoice_ids),
                Cell::Money(r.invoiced),
                Cell::Money(r.lines),
                Cell::Money(r.difference),
                Cell::text(&r.currency),
                Cell::Bool(r.flagged),
            ]
        })
        .collect();
    super::write(dir, RECONCILIATION_CSV, &HEADER, &rows)
}

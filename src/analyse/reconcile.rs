//! Invoices against the lines they cover: per billing account, billing period and currency,
//! the total of the FOCUS Invoice Detail dataset beside the sum of the cost-and-usage lines'
//! BilledCost (FOCUS: BilledCost is the invoice basis, so the two must agree), the difference
//! flagged when it shows at the cent, and whether the billing period is final (Billing Period
//! dataset).

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::supplements::{period_status, BillingPeriod, InvoiceLine};
use crate::money::Money;
use crate::period::Period;

/// The cost-and-usage lines' BilledCost of one billing account and period.
#[derive(Debug, Clone, PartialEq)]
pub struct LineTotal {
    pub billing_account_id: String,
    pub period_start: i64,
    pub currency: String,
    pub billed: Money,
}

/// One row of `reconciliation.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub billing_account_id: String,
    pub period_start: i64,
    pub period_end: Option<i64>,
    pub currency: String,
    /// The invoices the total comes from, sorted, `;`-separated.
    pub invoice_ids: String,
    pub invoiced: Money,
    pub lines: Money,
    /// `invoiced - lines`.
    pub difference: Money,
    /// `Open` or `Closed`, from the Billing Period dataset.
    pub period_status: Option<String>,
    /// The difference is at least a cent.
    pub flagged: bool,
}

type Key = (String, i64, String);

/// Rows for every billing period that an invoice covers and that overlaps the report period:
/// every account invoiced or billed in it, sorted by period, account and currency.
pub fn reconcile(
    invoices: &[InvoiceLine],
    lines: &[LineTotal],
    periods: &[BillingPeriod],
    report: &Period,
) -> Vec<Row> {
    let overlaps = |start: i64, end: i64| start < report.end && end > report.start;
    let mut invoiced: BTreeMap<Key, (Money, BTreeSet<&str>, i64)> = BTreeMap::new();
    for i in invoices
        .iter()
        .filter(|i| overlaps(i.period_start, i.period_end))
    {
        let key = (
            i.billing_account_id.clone(),
            i.period_start,
            i.currency.clone(),
        );
        let entry = invoiced
            .entry(key)
            .or_insert((Money::ZERO, BTreeSet::new(), i.period_end));
        entry.0 += i.billed;
        entry.1.insert(i.invoice_id.as_str());
        entry.2 = entry.2.max(i.period_end);
    }
    let invoiced_periods: BTreeSet<i64> = invoiced.keys().map(|(_, start, _)| *start).collect();
    let mut billed: BTreeMap<Key, Money> = BTreeMap::new();
    for l in lines
        .iter()
        .filter(|l| invoiced_periods.contains(&l.period_start))
    {
        let key = (
            l.billing_account_id.clone(),
            l.period_start,
            l.currency.clone(),
        );
        *billed.entry(key).or_default() += l.billed;
    }
    let keys: BTreeSet<&Key> = invoiced.keys().chain(billed.keys()).collect();
    let mut rows: Vec<Row> = keys
        .into_iter()
        .map(|key| {
            let (account, start, currency) = key.clone();
            let (amount, ids, end) = invoiced
                .get(key)
                .map(|(m, ids, end)| (*m, ids.iter().copied().collect::<Vec<_>>(), Some(*end)))
                .unwrap_or((Money::ZERO, Vec::new(), None));
            let end = end.or_else(|| periods.iter().find(|p| p.start == start).map(|p| p.end));
            let lines = billed.get(key).copied().unwrap_or_default();
            let difference = amount - lines;
            Row {
                billing_account_id: account,
                period_start: start,
                period_end: end,
                currency,
                invoice_ids: ids.join(";"),
                invoiced: amount,
                lines,
                difference,
                period_status: period_status(periods, start).map(String::from),
                flagged: !is_below_a_cent(difference),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.period_start, &a.billing_account_id, &a.currency).cmp(&(
            b.period_start,
            &b.billing_account_id,
            &b.currency,
        ))
    });
    rows
}

/// Whether an exact difference rounds to 0.00 (half a cent or less either way).
fn is_below_a_cent(difference: Money) -> bool {
    let text = difference.round_to(2);
    text.trim_start_matches('-') == "0.00"
}

#[cfg(test)]
mod tests {
    use super::*;

    const OCT: i64 = 1_790_812_800_000; // 2026-10-01T00:00:00Z
    const NOV: i64 = 1_793_491_200_000; // 2026-11-01T00:00:00Z

    fn money(text: &str) -> Money {
        Money::parse_line(text).unwrap()
    }

    fn invoice(id: &str, account: &str, billed: &str) -> InvoiceLine {
        InvoiceLine {
            invoice_id: id.into(),
            billing_account_id: account.into(),
            currency: "USD".into(),
            period_start: OCT,
            period_end: NOV,
            billed: money(billed),
        }
    }

    fn line(account: &str, billed: &str) -> LineTotal {
        LineTotal {
            billing_account_id: account.into(),
            period_start: OCT,
            currency: "USD".into(),
            billed: money(billed),
        }
    }

    #[test]
    fn invoices_against_lines_by_hand() {
        let report = Period {
            start: OCT,
            end: NOV,
            label: "2026-10".into(),
        };
        // Account A: invoices 100.00 + 20.50 = 120.50 against lines 100.004 + 20.5 = 120.504,
        // 0.004 apart: below a cent, not flagged. Account B: invoiced 50, lines 49.98: 0.02,
        // flagged. Account C: lines of 7 with no invoice: -7, flagged.
        let rows = reconcile(
            &[
                invoice("INV-2", "A", "20.50"),
                invoice("INV-1", "A", "100.00"),
                invoice("INV-3", "B", "50"),
            ],
            &[
                line("A", "100.004"),
                line("A", "20.5"),
                line("B", "49.98"),
                line("C", "7"),
            ],
            &[BillingPeriod {
                start: OCT,
                end: NOV,
                status: "Closed".into(),
                issuer: None,
            }],
            &report,
        );
        let view: Vec<(&str, String, String, String, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.billing_account_id.as_str(),
                    r.invoiced.to_string(),
                    r.lines.to_string(),
                    r.difference.to_string(),
                    r.flagged,
                )
            })
            .collect();
        assert_eq!(
            view,
            vec![
                (
                    "A",
                    "120.5".into(),
                    "120.504".into(),
                    "-0.004".into(),
                    false
                ),
                ("B", "50".into(), "49.98".into(), "0.02".into(), true),
                ("C", "0".into(), "7".into(), "-7".into(), true),
            ]
        );
        assert_eq!(rows[0].invoice_ids, "INV-1;INV-2");
        assert_eq!(rows[2].period_end, Some(NOV));
        assert!(rows
            .iter()
            .all(|r| r.period_status.as_deref() == Some("Closed")));
        // A period outside the report is not reconciled.
        let september = Period {
            start: OCT - 30 * 86_400_000,
            end: OCT,
            label: "2026-09".into(),
        };
        assert!(reconcile(&[invoice("INV-1", "A", "1")], &[], &[], &september).is_empty());
    }
}

//! What the FOCUS datasets beside cost and usage hold, as typed rows: contract commitments
//! (terms), invoices and billing periods. Importers fill them (`import::focus_datasets`);
//! analysers read them, as they read the aggregates.

use crate::money::Money;

/// One commitment of a Contract Commitment dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractCommitment {
    pub id: String,
    /// `Savings Plan`, `Reserved Instance`, `Committed Use Discount`, ...
    pub kind: Option<String>,
    /// `Spend` or `Usage`.
    pub category: Option<String>,
    pub description: Option<String>,
    /// What the whole term commits to, in `currency`.
    pub cost: Option<Money>,
    pub currency: Option<String>,
    pub quantity: Option<f64>,
    pub unit: Option<String>,
    /// Epoch milliseconds: the term, start inclusive, end exclusive.
    pub start: i64,
    pub end: i64,
}

/// One line of an Invoice Detail dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceLine {
    pub invoice_id: String,
    pub billing_account_id: String,
    pub currency: String,
    pub period_start: i64,
    pub period_end: i64,
    pub billed: Money,
}

/// One period of a Billing Period dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct BillingPeriod {
    pub start: i64,
    pub end: i64,
    /// `Open` or `Closed` (final).
    pub status: String,
    pub issuer: Option<String>,
}

/// Everything the supplementary datasets of one input hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Supplements {
    pub commitments: Vec<ContractCommitment>,
    pub invoices: Vec<InvoiceLine>,
    pub billing_periods: Vec<BillingPeriod>,
}

/// The status of the billing period starting at `start` (epoch milliseconds): `Closed` if
/// every issuer closed it, else the first other status, so one open issuer keeps the period
/// open; `None` when the Billing Period dataset does not have the period.
pub fn period_status(periods: &[BillingPeriod], start: i64) -> Option<&str> {
    let mut statuses = periods
        .iter()
        .filter(|p| p.start == start)
        .map(|p| p.status.as_str())
        .peekable();
    statuses.peek()?;
    Some(
        statuses
            .find(|s| !s.eq_ignore_ascii_case("Closed"))
            .unwrap_or("Closed"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_open_issuer_keeps_a_period_open() {
        let period = |start, status: &str, issuer: &str| BillingPeriod {
            start,
            end: start + 1,
            status: status.into(),
            issuer: Some(issuer.into()),
        };
        let periods = [
            period(0, "Closed", "A"),
            period(0, "Open", "B"),
            period(1, "Closed", "A"),
            period(1, "closed", "B"),
        ];
        assert_eq!(period_status(&periods, 0), Some("Open"));
        assert_eq!(period_status(&periods, 1), Some("Closed"));
        assert_eq!(period_status(&periods, 2), None);
    }
}

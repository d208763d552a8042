//! Contract commitments (the FOCUS 1.3+ Contract Commitment dataset) for the commitments
//! analyser: each commitment's term, expiry and the amount still to run. A commitment that
//! ends within the expiry window after the data is a `commitment-expiring` finding, as the
//! rate analyser makes from the commitment end on billing lines (one finding per commitment
//! whichever source names it).
//!
//! The remaining amount is the commitment's cost spread evenly over its term (a FOCUS
//! commitment states what the whole term commits to, `ContractCommitmentCost`), for the part
//! of the term after the data ends: cost × (end − data end) ÷ (end − start).

use crate::config::RateRules;
use crate::engine::aggregates::Aggregates;
use crate::engine::supplements::ContractCommitment;
use crate::findings::{Category, Confidence, Finding};
use crate::period::iso_timestamp;

const DAY_MS: i64 = 86_400_000;

/// What the contract commitments add to the rate analyser: findings and a note.
#[derive(Debug, Default)]
pub struct Contracts {
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

/// The share of a term's cost that falls in `[from, to)`.
fn share(c: &ContractCommitment, from: i64, to: i64) -> f64 {
    let term = (c.end - c.start) as f64;
    let overlap = (to.min(c.end) - from.max(c.start)).max(0) as f64;
    match c.cost {
        Some(cost) if term > 0.0 => cost.to_f64() * overlap / term,
        _ => 0.0,
    }
}

fn day(ms: i64) -> String {
    iso_timestamp(ms)[..10].to_string()
}

/// Findings for the commitments that end within `rules.expiry_window_days` of the data's end,
/// except those `known` already names (the billing lines' own expiry finding).
pub fn analyse(
    commitments: &[ContractCommitment],
    aggs: &Aggregates,
    rules: &RateRules,
    known: &[Finding],
) -> Contracts {
    let mut out = Contracts::default();
    let Some(data_end) = aggs.data_end else {
        return out;
    };
    if commitments.is_empty() {
        return out;
    }
    let window_end = data_end + i64::from(rules.expiry_window_days) * DAY_MS;
    let mut other_currency = 0;
    for c in commitments {
        if c.currency
            .as_deref()
            .is_some_and(|cur| cur != aggs.currency)
        {
            other_currency += 1;
            continue;
        }
        if c.end > window_end || c.end < data_end - DAY_MS {
            continue;
        }
        let mut f = Finding::new(Category::Rate, "commitment-expiring", &c.id);
        if known.iter().any(|k| k.finding_id == f.finding_id) {
            continue;
        }
        let what = [c.kind.as_deref(), c.description.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        f.resource_id = Some(c.id.clone());
        f.current = format!("{what}, term {} to {}", day(c.start), day(c.end));
        f.recommendation = "decide now: renew, replace with a Savings Plan, or let it lapse".into();
        f.period_cost = share(c, aggs.period.start, aggs.period.end);
        f.currency = aggs.currency.clone();
        f.counted = false;
        f.confidence = Confidence::High;
        let committed = c
            .cost
            .map(|cost| format!("{} {} committed", cost.round_to(2), aggs.currency))
            .unwrap_or_else(|| "no committed amount given".into());
        let quantity = match (c.quantity, c.unit.as_deref()) {
            (Some(q), Some(unit)) => format!(", {q} {unit}"),
            _ => String::new(),
        };
        f.evidence = format!(
            "ends {} days after the data; {committed}{quantity} over the term, {:.2} of it \
             still to run (pro rata); from the Contract Commitment dataset",
            (c.end - data_end) / DAY_MS,
            share(c, data_end, c.end),
        );
        out.findings.push(f);
    }
    out.notes.push(format!(
        "Contract Commitment dataset: {} commitments read, {} ending within {} days of the data",
        commitments.len(),
        out.findings.len(),
        rules.expiry_window_days
    ));
    if other_currency > 0 {
        out.notes.push(format!(
            "Contract Commitment dataset: {other_currency} commitments in a currency other than \
             {} left out",
            aggs.currency
        ));
    }
    out
}

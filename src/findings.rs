//! One finding type shared by every analyser (and by AWS's own recommendations), so the report
//! can rank, deduplicate and track findings across months.

use serde::{Deserialize, Serialize};

/// What a finding is about; savings are totalled per category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Tagging and allocation problems (no direct saving).
    Allocation,
    /// Using less or something cheaper: rightsizing, modernisation, idle, schedules.
    Usage,
    /// Paying a lower rate for the same usage: commitments and Spot.
    Rate,
    /// Cost anomalies.
    Anomaly,
    /// Budgets at risk or breached.
    Budget,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Allocation => "allocation",
            Category::Usage => "usage",
            Category::Rate => "rate",
            Category::Anomaly => "anomaly",
            Category::Budget => "budget",
        }
    }

    pub const ALL: [Category; 5] = [
        Category::Allocation,
        Category::Usage,
        Category::Rate,
        Category::Anomaly,
        Category::Budget,
    ];
}

/// How sure the rule is that acting on it saves what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Where a finding came from.
pub const SOURCE_COSTLENS: &str = "costlens";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable across months: derived from the rule and the resource (or scope).
    pub finding_id: String,
    pub category: Category,
    pub rule: String,
    pub resource_id: Option<String>,
    pub account_id: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    /// What it is now (`m4.large`, `gp2 500 GB`, ...).
    pub current: String,
    /// What to do.
    pub recommendation: String,
    /// The resource's (or scope's) effective cost in the period.
    pub period_cost: f64,
    /// Estimated saving per month (730 hours) if acted on.
    pub monthly_saving: f64,
    pub currency: String,
    /// Whether the deduplicated savings total counts this finding.
    pub counted: bool,
    /// The figures behind the rule, for a human to check.
    pub evidence: String,
    pub source: String,
    pub confidence: Confidence,
    /// `new`, or `open` when the previous report had it too (see `history`).
    #[serde(default = "new_status")]
    pub status: String,
    /// The period it was first reported in.
    #[serde(default)]
    pub first_seen: String,
    /// Months it has been open, this one included.
    #[serde(default = "one")]
    pub months_open: u32,
}

fn new_status() -> String {
    "new".into()
}

fn one() -> u32 {
    1
}

impl Finding {
    /// A finding with the id derived from `rule` and `scope` (the resource id, or what the
    /// finding is about when it has no resource).
    pub fn new(category: Category, rule: &str, scope: &str) -> Finding {
        Finding {
            finding_id: finding_id(rule, scope),
            category,
            rule: rule.to_string(),
            resource_id: None,
            account_id: None,
            service: None,
            region: None,
            current: String::new(),
            recommendation: String::new(),
            period_cost: 0.0,
            monthly_saving: 0.0,
            currency: String::new(),
            counted: true,
            evidence: String::new(),
            source: SOURCE_COSTLENS.to_string(),
            confidence: Confidence::High,
            status: "new".to_string(),
            first_seen: String::new(),
            months_open: 1,
        }
    }
}

/// FNV-1a 64 of `rule` and `scope`: the same finding gets the same id next month, on any
/// machine (std's hasher is randomised per process, so it cannot be used).
pub fn finding_id(rule: &str, scope: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in rule.bytes().chain([0u8]).chain(scope.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// An amount for a finding's text: 2 decimals, never `-0.00` (the rounding residue of a credit
/// that offsets a cost, which a spreadsheet would also take for a formula).
pub fn amount(x: f64) -> String {
    let text = format!("{x:.2}");
    match text.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => text,
    }
}

/// Hours in the "month" that monthly savings are scaled to (AWS's convention: 730).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Scales a saving observed over `period_hours` to a 730-hour month.
pub fn per_month(saving_in_period: f64, period_hours: f64) -> f64 {
    if period_hours <= 0.0 {
        0.0
    } else {
        saving_in_period * HOURS_PER_MONTH / period_hours
    }
}

/// A usage finding about resource `id` that saves `saving` a month, for tests.
#[cfg(test)]
pub fn usage_finding(rule: &str, id: &str, saving: f64) -> Finding {
    let mut f = Finding::new(Category::Usage, rule, id);
    f.resource_id = Some(id.into());
    f.monthly_saving = saving;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        // FNV-1a 64 of "a\0b", worked out independently (Python:
        // h=0xcbf29ce484222325; for c in b"a\x00b": h=((h^c)*0x100000001b3)%2**64).
        assert_eq!(finding_id("a", "b"), "e5d29919042666b2");
        assert_ne!(finding_id("graviton", "i-1"), finding_id("graviton", "i-2"));
        assert_ne!(finding_id("ab", "c"), finding_id("a", "bc"));
    }

    #[test]
    fn amounts_never_show_a_negative_zero() {
        assert_eq!(amount(-0.0000004), "0.00");
        assert_eq!(amount(-0.0), "0.00");
        assert_eq!(amount(-0.006), "-0.01");
        assert_eq!(amount(1234.5), "1234.50");
    }

    #[test]
    fn monthly_scaling() {
        // 744-hour October: $744 saved in the period is $730 a month.
        assert!((per_month(744.0, 744.0) - 730.0).abs() < 1e-9);
        assert_eq!(per_month(10.0, 0.0), 0.0);
    }
}

//! Run history: each finding's `finding_id` compared with the findings of the previous report
//! (read by [`crate::report::store`] and passed in as data). A finding is new, or still open
//! (with the period it was first seen and for how many months); findings of the previous report
//! that are gone are resolved, and their savings are what the team achieved since. Only what
//! this run could have found again counts as resolved: when the previous report is for another
//! range than the one compared with (a month's report against a run over 15 days), a finding
//! counts only if its resource was billed in the compared range.

use serde::{Deserialize, Serialize};

use crate::findings::Finding;
use crate::period::Period;

/// What a previous report's `findings.csv` says about one finding.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PreviousFinding {
    pub finding_id: String,
    pub category: String,
    pub rule: String,
    #[serde(default)]
    pub resource_id: String,
    #[serde(default)]
    pub monthly_saving: f64,
    /// Absent in reports written before history existed.
    #[serde(default)]
    pub first_seen: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolved {
    pub finding_id: String,
    pub rule: String,
    pub resource_id: String,
    pub monthly_saving: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct History {
    /// The report compared against, e.g. `2026-09`; None on the first run.
    pub previous_report: Option<String>,
    pub new: usize,
    pub open: usize,
    pub resolved: Vec<Resolved>,
    pub resolved_monthly_saving: f64,
    /// Findings of the previous report gone from this one that are not called resolved: their
    /// resource was not billed in the compared range (see [`Resolvable`]).
    pub not_compared: usize,
    /// What of the previous report could not be read or trusted (set by the caller, which
    /// read it): the figures above are from what could.
    pub warnings: Vec<String>,
}

/// Months from the period labelled `from` to `to`, both counted (`2026-09` → `2026-10` is 2).
fn months_between(from: &str, to: &str) -> u32 {
    let month_index = |label: &str| -> Option<i32> {
        let year: i32 = label.get(0..4)?.parse().ok()?;
        let month: i32 = label.get(5..7)?.parse().ok()?;
        Some(year * 12 + month)
    };
    match (month_index(from), month_index(to)) {
        (Some(a), Some(b)) if b >= a => (b - a + 1) as u32,
        _ => 1,
    }
}

/// Which findings of the previous report may be called resolved when this run no longer has
/// them.
#[derive(Debug, Clone, Copy)]
pub enum Resolvable<'a> {
    /// The previous report is for the period compared with: any finding it had.
    All,
    /// It is for another range: only findings whose resource the data bills in the compared
    /// range (these ids); a finding whose resource this run did not cover is not resolved.
    BilledIn(&'a std::collections::BTreeSet<String>),
}

/// Marks each current finding new or open and lists what was resolved.
pub fn compare(
    findings: &mut [Finding],
    previous: &[PreviousFinding],
    previous_label: Option<&str>,
    period: &Period,
    resolvable: Resolvable,
) -> History {
    let mut history = History {
        previous_report: previous_label.map(String::from),
        ..History::default()
    };
    for f in findings.iter_mut() {
        match previous.iter().find(|p| p.finding_id == f.finding_id) {
            Some(p) => {
                f.status = "open".into();
                f.first_seen = if p.first_seen.is_empty() {
                    previous_label.unwrap_or(&period.label).to_string()
                } else {
                    p.first_seen.clone()
                };
                history.open += 1;
            }
            None => {
                f.status = "new".into();
                f.first_seen = period.label.clone();
                history.new += 1;
            }
        }
        f.months_open = months_between(&f.first_seen, &period.label);
    }
    for p in previous {
        if !findings.iter().any(|f| f.finding_id == p.finding_id) {
            if let Resolvable::BilledIn(billed) = resolvable {
                if !billed.contains(&p.resource_id) {
                    history.not_compared += 1;
                    continue;
                }
            }
            history.resolved_monthly_saving += p.monthly_saving;
            history.resolved.push(Resolved {
                finding_id: p.finding_id.clone(),
                rule: p.rule.clone(),
                resource_id: p.resource_id.clone(),
                monthly_saving: p.monthly_saving,
            });
        }
    }
    history.resolved.sort_by(|a, b| {
        b.monthly_saving
            .total_cmp(&a.monthly_saving)
            .then_with(|| a.finding_id.cmp(&b.finding_id))
    });
    history
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::usage_finding as finding;

    fn previous(f: &Finding, first_seen: &str) -> PreviousFinding {
        PreviousFinding {
            finding_id: f.finding_id.clone(),
            category: "usage".into(),
            rule: f.rule.clone(),
            resource_id: f.resource_id.clone().unwrap_or_default(),
            monthly_saving: f.monthly_saving,
            first_seen: first_seen.into(),
        }
    }

    #[test]
    fn new_open_and_resolved() {
        let oct = Period::parse("2026-10", chrono::NaiveDate::MIN).unwrap();
        let kept = finding("graviton", "i-1", 10.0);
        let gone = finding("idle-public-ip", "eip-1", 3.65);
        let before = vec![previous(&kept, "2026-08"), previous(&gone, "2026-09")];
        let mut now = vec![kept.clone(), finding("ebs-gp2-to-gp3", "vol-9", 9.0)];
        let h = compare(&mut now, &before, Some("2026-09"), &oct, Resolvable::All);
        assert_eq!((h.new, h.open), (1, 1));
        assert_eq!(now[0].status, "open");
        assert_eq!(now[0].first_seen, "2026-08");
        assert_eq!(now[0].months_open, 3); // Aug, Sep, Oct
        assert_eq!(now[1].status, "new");
        assert_eq!(now[1].months_open, 1);
        assert_eq!(h.resolved.len(), 1);
        assert_eq!(h.resolved[0].resource_id, "eip-1");
        assert_eq!(h.resolved_monthly_saving, 3.65);
    }

    #[test]
    fn another_range_resolves_only_findings_whose_resource_it_bills() {
        let half = Period::parse("2026-10-01..2026-10-15", chrono::NaiveDate::MIN).unwrap();
        let fixed = finding("ebs-gp2-to-gp3", "vol-1", 9.0);
        let elsewhere = finding("idle-public-ip", "eip-9", 3.65);
        let before = vec![previous(&fixed, "2026-09"), previous(&elsewhere, "2026-09")];
        // vol-1 is billed in 16-30 September (and no longer flagged); eip-9 is not.
        let billed: std::collections::BTreeSet<String> = ["vol-1".to_string()].into();
        let h = compare(
            &mut [],
            &before,
            Some("2026-09"),
            &half,
            Resolvable::BilledIn(&billed),
        );
        assert_eq!(h.resolved.len(), 1);
        assert_eq!(h.resolved[0].resource_id, "vol-1");
        assert_eq!(h.resolved_monthly_saving, 9.0);
        assert_eq!(h.not_compared, 1);
    }

    #[test]
    fn month_counting() {
        assert_eq!(months_between("2025-12", "2026-01"), 2);
        assert_eq!(months_between("2026-10", "2026-10"), 1);
        assert_eq!(months_between("garbage", "2026-10"), 1);
    }
}

//! Trends and anomalies: month-over-month change per service and account (from the data, or
//! from the previous report's figures when the data holds only this month), and daily cost
//! anomalies per service × account against a robust baseline: the median of the previous
//! `window_days` days and the median absolute deviation (scaled by 1.4826 to estimate a
//! standard deviation). A day is an anomaly when its cost exceeds the median by more than
//! `sensitivity` scaled MADs and by at least `min_impact`; its impact is that excess.

use std::collections::BTreeMap;

use crate::config::AnomalyRules;
use crate::engine::aggregates::Aggregates;
use crate::findings::{amount, Category, Confidence, Finding};
use crate::schema::charge_category;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `service` or `account`.
    pub dimension: &'static str,
    pub name: String,
    pub previous: f64,
    pub current: f64,
    pub change: f64,
    /// None when the previous month had no cost.
    pub change_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    pub day: i64,
    pub service: String,
    pub account: String,
    pub cost: f64,
    pub baseline: f64,
    pub impact: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trends {
    /// Label of the month compared against, when there is one.
    pub previous_label: Option<String>,
    pub previous_total: Option<f64>,
    pub current_total: f64,
    pub mom_growth_pct: Option<f64>,
    /// Per service and account, largest absolute change first.
    pub changes: Vec<Change>,
    pub anomalies: Vec<Anomaly>,
    pub findings: Vec<Finding>,
}

/// Figures of a previous month, when they come from its report rather than the data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PreviousMonth {
    pub label: String,
    pub total: f64,
    pub by_service: BTreeMap<String, f64>,
    pub by_account: BTreeMap<String, f64>,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Effective cost per service and per account in `[start, end)`, from the daily rows.
fn totals(
    aggs: &Aggregates,
    start: i64,
    end: i64,
) -> (f64, BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut total = 0.0;
    let mut by_service = BTreeMap::new();
    let mut by_account = BTreeMap::new();
    for row in aggs.daily.iter().filter(|r| r.day >= start && r.day < end) {
        total += row.effective;
        *by_service
            .entry(row.service.clone().unwrap_or_default())
            .or_insert(0.0) += row.effective;
        *by_account
            .entry(row.account.clone().unwrap_or_default())
            .or_insert(0.0) += row.effective;
    }
    (total, by_service, by_account)
}

fn changes(
    dimension: &'static str,
    previous: &BTreeMap<String, f64>,
    current: &BTreeMap<String, f64>,
) -> Vec<Change> {
    let mut names: Vec<&String> = previous.keys().chain(current.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let before = previous.get(name).copied().unwrap_or(0.0);
            let now = current.get(name).copied().unwrap_or(0.0);
            Change {
                dimension,
                name: name.clone(),
                previous: before,
                current: now,
                change: now - before,
                change_pct: (before != 0.0).then(|| (now - before) / before.abs() * 100.0),
            }
        })
        .collect()
}

pub fn analyse(
    aggs: &Aggregates,
    rules: &AnomalyRules,
    from_report: Option<&PreviousMonth>,
) -> Trends {
    let period = &aggs.period;
    let (current_total, current_service, current_account) = totals(aggs, period.start, period.end);
    let previous_period = period.previous_month();
    let (prev_total, prev_service, prev_account) =
        totals(aggs, previous_period.start, previous_period.end);
    let has_previous_data = aggs.daily.iter().any(|r| previous_period.contains(r.day));
    let previous = if has_previous_data {
        Some(PreviousMonth {
            label: previous_period.label.clone(),
            total: prev_total,
            by_service: prev_service,
            by_account: prev_account,
        })
    } else {
        from_report.cloned()
    };
    let mut trends = Trends {
        current_total,
        ..Trends::default()
    };
    if let Some(p) = &previous {
        // A partial month is compared on its run rate.
        let scale = if aggs.is_partial() && aggs.covered_hours() > 0.0 {
            period.hours() / aggs.covered_hours()
        } else {
            1.0
        };
        trends.previous_label = Some(p.label.clone());
        trends.previous_total = Some(p.total);
        trends.mom_growth_pct =
            (p.total != 0.0).then(|| (current_total * scale - p.total) / p.total.abs() * 100.0);
        trends.changes = changes("service", &p.by_service, &current_service);
        trends
            .changes
            .extend(changes("account", &p.by_account, &current_account));
        trends.changes.sort_by(|a, b| {
            b.change
                .abs()
                .total_cmp(&a.change.abs())
                .then_with(|| a.dimension.cmp(b.dimension))
                .then_with(|| a.name.cmp(&b.name))
        });
    }
    trends.anomalies = anomalies(aggs, rules);
    for a in &trends.anomalies {
        let day = &crate::period::iso_timestamp(a.day)[..10];
        let mut f = Finding::new(
            Category::Anomaly,
            "anomaly",
            &format!("{}|{}|{day}", a.service, a.account),
        );
        f.account_id = Some(a.account.clone());
        f.service = Some(a.service.clone());
        f.current = format!(
            "{day}: {} against a baseline of {}",
            amount(a.cost),
            amount(a.baseline)
        );
        f.recommendation =
            "find the cause (a new workload, a runaway job, a pricing change)".into();
        f.period_cost = a.impact;
        f.currency = aggs.currency.clone();
        f.counted = false;
        f.confidence = Confidence::Medium;
        f.evidence = format!(
            "impact {} above the median of the previous {} days",
            amount(a.impact),
            rules.window_days
        );
        trends.findings.push(f);
    }
    trends
}

fn anomalies(aggs: &Aggregates, rules: &AnomalyRules) -> Vec<Anomaly> {
    // Daily cost per (service, account), zero on days the pair had no cost.
    let mut series: BTreeMap<(String, String), BTreeMap<i64, f64>> = BTreeMap::new();
    let first_day = aggs.daily.iter().map(|r| r.day).min();
    // Usage only: tax, credits and purchases land on calendar days by design. Lines without
    // a category (Cost Explorer totals) are kept.
    for row in aggs.daily.iter().filter(|r| {
        r.charge_category
            .as_deref()
            .is_none_or(|c| c == charge_category::USAGE)
    }) {
        let key = (
            row.service.clone().unwrap_or_default(),
            row.account.clone().unwrap_or_default(),
        );
        *series.entry(key).or_default().entry(row.day).or_insert(0.0) += row.effective;
    }
    let Some(first_day) = first_day else {
        return Vec::new();
    };
    let window = i64::from(rules.window_days);
    let mut out = Vec::new();
    for ((service, account), days) in series {
        let mut day = aggs.period.start;
        while day < aggs.period.end {
            let history_start = day - window * DAY_MS;
            if history_start < first_day {
                day += DAY_MS;
                continue;
            }
            let mut history: Vec<f64> = (1..=window)
                .map(|k| days.get(&(day - k * DAY_MS)).copied().unwrap_or(0.0))
                .collect();
            let baseline = median(&mut history);
            let mut deviations: Vec<f64> = history.iter().map(|x| (x - baseline).abs()).collect();
            let spread = 1.4826 * median(&mut deviations);
            let cost = days.get(&day).copied().unwrap_or(0.0);
            let impact = cost - baseline;
            // A flat history has no spread: then any excess above min_impact counts.
            if impact >= rules.min_impact && impact > rules.sensitivity * spread {
                out.push(Anomaly {
                    day,
                    service: service.clone(),
                    account: account.clone(),
                    cost,
                    baseline,
                    impact,
                });
            }
            day += DAY_MS;
        }
    }
    out.sort_by(|a, b| b.impact.total_cmp(&a.impact).then(a.day.cmp(&b.day)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::aggregates::DailyRow;
    use crate::period::Period;

    fn aggs(daily: Vec<DailyRow>) -> Aggregates {
        Aggregates {
            daily,
            ..Aggregates::october_2026()
        }
    }

    fn day(at: i64, service: &str, account: &str, cost: f64) -> DailyRow {
        DailyRow {
            day: at,
            account: Some(account.into()),
            service: Some(service.into()),
            charge_category: Some("Usage".into()),
            billed: cost,
            effective: cost,
            list: cost,
            contracted: cost,
        }
    }

    #[test]
    fn month_over_month_by_hand() {
        let oct = Period::parse("2026-10", chrono::NaiveDate::MIN).unwrap();
        let sep = oct.previous_month();
        let t = analyse(
            &aggs(vec![
                day(sep.start, "EC2", "a", 100.0),
                day(sep.start, "S3", "a", 50.0),
                day(oct.start, "EC2", "a", 130.0),
                day(oct.start, "S3", "b", 50.0),
            ]),
            &AnomalyRules::default(),
            None,
        );
        // 150 → 180: +20%.
        assert_eq!(t.previous_label.as_deref(), Some("2026-09"));
        assert!((t.mom_growth_pct.unwrap() - 20.0).abs() < 1e-9);
        let ec2 = t.changes.iter().find(|c| c.name == "EC2").unwrap();
        assert_eq!((ec2.change, ec2.change_pct), (30.0, Some(30.0)));
        let b = t.changes.iter().find(|c| c.name == "b").unwrap();
        assert_eq!((b.previous, b.change_pct), (0.0, None));
        // Largest movers first: account a 150→130 (−20)... EC2 +30 and account b +50 lead.
        assert_eq!(t.changes[0].name, "b");
    }

    #[test]
    fn previous_report_figures_when_the_data_has_one_month() {
        let oct = Period::parse("2026-10", chrono::NaiveDate::MIN).unwrap();
        let previous = PreviousMonth {
            label: "2026-09".into(),
            total: 200.0,
            by_service: [("EC2".to_string(), 200.0)].into(),
            by_account: [("a".to_string(), 200.0)].into(),
        };
        let t = analyse(
            &aggs(vec![day(oct.start, "EC2", "a", 150.0)]),
            &AnomalyRules::default(),
            Some(&previous),
        );
        assert!((t.mom_growth_pct.unwrap() + 25.0).abs() < 1e-9);
    }

    #[test]
    fn planted_spike_is_found_and_noise_is_not() {
        let oct = Period::parse("2026-10", chrono::NaiveDate::MIN).unwrap();
        let mut rows = Vec::new();
        // Sept 16 .. Oct 31: about 100/day with ±3 wobble; Oct 17 costs 400.
        for d in -15..31 {
            let at = oct.start + d * DAY_MS;
            let wobble = [0.0, 3.0, -2.0, 1.0, -3.0][(d.rem_euclid(5)) as usize];
            let cost = if d == 16 { 400.0 } else { 100.0 + wobble };
            rows.push(day(at, "EC2", "data", cost));
        }
        let t = analyse(&aggs(rows), &AnomalyRules::default(), None);
        assert_eq!(t.anomalies.len(), 1, "{:?}", t.anomalies);
        let a = &t.anomalies[0];
        assert_eq!(a.day, oct.start + 16 * DAY_MS);
        // Baseline: median of the 14 previous days of {100, 103, 98, 101, 97} = 100.
        assert_eq!(a.baseline, 100.0);
        assert_eq!(a.impact, 300.0);
        assert_eq!(t.findings[0].rule, "anomaly");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }
}

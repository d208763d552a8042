//! Trends and anomalies: the change against the previous period, like for like (the month
//! before a month, the same number of days before a range of days; from the data, or from that
//! period's report when the data lacks it) in total, per service, per account and per service ×
//! account (the drivers); the months seen so far (the data's and the earlier reports'), with the
//! run-rate forecast of a partial month; and daily cost anomalies per service × account against
//! a robust baseline: the median of the previous
//! `window_days` days and the median absolute deviation (scaled by 1.4826 to estimate a
//! standard deviation). A day is an anomaly when its cost exceeds the median by more than
//! `sensitivity` scaled MADs and by at least `min_impact`; its impact is that excess.

use std::collections::BTreeMap;

use crate::config::AnomalyRules;
use crate::engine::aggregates::Aggregates;
use crate::findings::{amount, Category, Confidence, Finding};
use crate::money::Money;
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

/// One service in one account: how its cost moved against the previous period.
#[derive(Debug, Clone, PartialEq)]
pub struct Driver {
    pub service: String,
    pub account: String,
    pub previous: f64,
    /// This period's cost; for a partial month, its run rate to the month's end.
    pub current: f64,
    pub change: f64,
}

/// One month's effective cost, for the trend of the months seen so far.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthTotal {
    pub label: String,
    /// The cost so far, for a partial month.
    pub effective: f64,
    /// A partial month's run-rate forecast to its end.
    pub forecast: Option<f64>,
    /// From that month's report rather than the data.
    pub from_report: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trends {
    /// Label of the period compared against, when there is one.
    pub previous_label: Option<String>,
    pub previous_total: Option<f64>,
    pub current_total: f64,
    /// A partial month's run-rate forecast to its end (cost so far ÷ hours covered × hours).
    pub forecast: Option<f64>,
    /// Against the previous period, in money: this period's cost (a partial month's forecast)
    /// minus the previous period's.
    pub change: Option<f64>,
    pub mom_growth_pct: Option<f64>,
    /// Per service and account, largest absolute change first.
    pub changes: Vec<Change>,
    /// Per service × account, largest absolute change first: what moved the total. Empty when
    /// the previous period's figures (an older report) have no such breakdown.
    pub drivers: Vec<Driver>,
    /// The months seen so far, oldest first, at most [`TREND_MONTHS`], ending with this period
    /// when it is a month.
    pub months: Vec<MonthTotal>,
    pub anomalies: Vec<Anomaly>,
    pub findings: Vec<Finding>,
}

/// How many months the trend shows.
pub const TREND_MONTHS: usize = 12;

/// Figures of a previous period, when they come from its report rather than the data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PreviousMonth {
    pub label: String,
    pub total: f64,
    pub by_service: BTreeMap<String, f64>,
    pub by_account: BTreeMap<String, f64>,
    /// Per (service, account); empty in reports written before it was kept.
    pub by_pair: BTreeMap<(String, String), f64>,
}

/// Effective cost per (service, account) in `[start, end)`.
fn pairs(aggs: &Aggregates, start: i64, end: i64) -> BTreeMap<(String, String), f64> {
    let mut out: BTreeMap<(String, String), Money> = BTreeMap::new();
    for row in aggs.daily.iter().filter(|r| r.day >= start && r.day < end) {
        let key = (
            row.service.clone().unwrap_or_default(),
            row.account.clone().unwrap_or_default(),
        );
        *out.entry(key).or_default() += row.effective;
    }
    out.into_iter().map(|(k, v)| (k, v.to_f64())).collect()
}

/// The largest movers among (service, account) pairs, `scale` applied to this period's cost.
fn drivers(
    previous: &BTreeMap<(String, String), f64>,
    current: &BTreeMap<(String, String), f64>,
    scale: f64,
) -> Vec<Driver> {
    let mut keys: Vec<&(String, String)> = previous.keys().chain(current.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out: Vec<Driver> = keys
        .into_iter()
        .map(|key| {
            let before = previous.get(key).copied().unwrap_or(0.0);
            let now = current.get(key).copied().unwrap_or(0.0) * scale;
            Driver {
                service: key.0.clone(),
                account: key.1.clone(),
                previous: before,
                current: now,
                change: now - before,
            }
        })
        .filter(|d| d.change != 0.0)
        .collect();
    out.sort_by(|a, b| {
        b.change
            .abs()
            .total_cmp(&a.change.abs())
            .then_with(|| (&a.service, &a.account).cmp(&(&b.service, &b.account)))
    });
    out
}

/// The months seen so far: each calendar month the data covers before this period, and the
/// earlier ones only a report has (`from_reports`: label and effective cost), then this period
/// when it is a month (with its forecast when partial); the data wins where both have a month.
fn months(
    aggs: &Aggregates,
    from_reports: &[(String, f64)],
    forecast: Option<f64>,
    current_total: f64,
) -> Vec<MonthTotal> {
    let period = &aggs.period;
    let mut by_label: BTreeMap<String, MonthTotal> = BTreeMap::new();
    for (label, total) in from_reports {
        by_label.insert(
            label.clone(),
            MonthTotal {
                label: label.clone(),
                effective: *total,
                forecast: None,
                from_report: true,
            },
        );
    }
    let mut data: BTreeMap<String, Money> = BTreeMap::new();
    for row in aggs.daily.iter().filter(|r| r.day < period.start) {
        *data
            .entry(crate::period::Period::month_containing(row.day).label)
            .or_default() += row.effective;
    }
    for (label, total) in data {
        by_label.insert(
            label.clone(),
            MonthTotal {
                label,
                effective: total.to_f64(),
                forecast: None,
                from_report: false,
            },
        );
    }
    by_label.retain(|label, _| label.as_str() < period.label.as_str());
    let mut out: Vec<MonthTotal> = by_label.into_values().collect();
    if period.is_month() {
        out.push(MonthTotal {
            label: period.label.clone(),
            effective: current_total,
            forecast,
            from_report: false,
        });
    }
    let skip = out.len().saturating_sub(TREND_MONTHS);
    out.drain(..skip);
    out
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

/// Effective cost per service and per account in `[start, end)`, from the daily rows (summed
/// exactly, then as f64 for the comparison).
fn totals(
    aggs: &Aggregates,
    start: i64,
    end: i64,
) -> (f64, BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut total = Money::ZERO;
    let mut by_service: BTreeMap<String, Money> = BTreeMap::new();
    let mut by_account: BTreeMap<String, Money> = BTreeMap::new();
    for row in aggs.daily.iter().filter(|r| r.day >= start && r.day < end) {
        total += row.effective;
        *by_service
            .entry(row.service.clone().unwrap_or_default())
            .or_default() += row.effective;
        *by_account
            .entry(row.account.clone().unwrap_or_default())
            .or_default() += row.effective;
    }
    let floats = |m: BTreeMap<String, Money>| m.into_iter().map(|(k, v)| (k, v.to_f64())).collect();
    (total.to_f64(), floats(by_service), floats(by_account))
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

/// `from_report`: the previous period's figures from its report, used when the data lacks that
/// period; `report_months`: the effective cost of each earlier month that has a report.
pub fn analyse(
    aggs: &Aggregates,
    rules: &AnomalyRules,
    from_report: Option<&PreviousMonth>,
    report_months: &[(String, f64)],
) -> Trends {
    let period = &aggs.period;
    let (current_total, current_service, current_account) = totals(aggs, period.start, period.end);
    let previous_period = period.previous();
    let (prev_total, prev_service, prev_account) =
        totals(aggs, previous_period.start, previous_period.end);
    let has_previous_data = aggs.daily.iter().any(|r| previous_period.contains(r.day));
    let previous = if has_previous_data {
        Some(PreviousMonth {
            label: previous_period.label.clone(),
            total: prev_total,
            by_service: prev_service,
            by_account: prev_account,
            by_pair: pairs(aggs, previous_period.start, previous_period.end),
        })
    } else {
        from_report.cloned()
    };
    // A partial month is compared on its run rate.
    let scale = if aggs.is_partial() && aggs.covered_hours() > 0.0 {
        period.hours() / aggs.covered_hours()
    } else {
        1.0
    };
    let forecast = aggs.is_partial().then_some(current_total * scale);
    let mut trends = Trends {
        current_total,
        forecast,
        months: months(aggs, report_months, forecast, current_total),
        ..Trends::default()
    };
    if let Some(p) = &previous {
        trends.previous_label = Some(p.label.clone());
        trends.previous_total = Some(p.total);
        trends.change = Some(current_total * scale - p.total);
        trends.mom_growth_pct =
            (p.total != 0.0).then(|| (current_total * scale - p.total) / p.total.abs() * 100.0);
        if !p.by_pair.is_empty() {
            let now = pairs(aggs, period.start, period.end);
            trends.drivers = drivers(&p.by_pair, &now, scale);
        }
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
        *series.entry(key).or_default().entry(row.day).or_insert(0.0) += row.effective.to_f64();
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

    fn money(x: f64) -> Money {
        Money::from_f64_line(x).unwrap()
    }

    fn day(at: i64, service: &str, account: &str, cost: f64) -> DailyRow {
        DailyRow {
            day: at,
            account: Some(account.into()),
            service: Some(service.into()),
            charge_category: Some("Usage".into()),
            billed: money(cost),
            effective: money(cost),
            list: money(cost),
            contracted: money(cost),
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
            &[],
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
        // The drivers: +30 in all; S3 moved from account a (−50) to b (+50), EC2 in a +30.
        assert_eq!(t.change, Some(30.0));
        let moved: Vec<(&str, &str, f64)> = t
            .drivers
            .iter()
            .map(|d| (d.service.as_str(), d.account.as_str(), d.change))
            .collect();
        assert_eq!(
            moved,
            vec![("S3", "a", -50.0), ("S3", "b", 50.0), ("EC2", "a", 30.0)]
        );
        assert_eq!(t.forecast, None);
    }

    #[test]
    fn the_months_seen_so_far_come_from_the_data_and_the_earlier_reports() {
        let oct = Period::parse("2026-10", chrono::NaiveDate::MIN).unwrap();
        let sep = oct.previous_month();
        let reports = [
            ("2026-07".to_string(), 90.0),
            ("2026-08".to_string(), 95.0),
            ("2026-09".to_string(), 999.0),
        ];
        let t = analyse(
            &aggs(vec![
                day(sep.start, "EC2", "a", 150.0),
                day(oct.start, "EC2", "a", 180.0),
            ]),
            &AnomalyRules::default(),
            None,
            &reports,
        );
        // September is in the data: its 150, not its report's 999.
        let months: Vec<(&str, f64, bool)> = t
            .months
            .iter()
            .map(|m| (m.label.as_str(), m.effective, m.from_report))
            .collect();
        assert_eq!(
            months,
            vec![
                ("2026-07", 90.0, true),
                ("2026-08", 95.0, true),
                ("2026-09", 150.0, false),
                ("2026-10", 180.0, false)
            ]
        );
    }

    #[test]
    fn a_partial_month_is_forecast_to_its_end_and_compared_on_it() {
        let oct = Period::parse("2026-10", chrono::NaiveDate::MIN).unwrap();
        let sep = oct.previous_month();
        let mut a = aggs(vec![
            day(sep.start, "EC2", "a", 300.0),
            day(oct.start, "EC2", "a", 100.0),
        ]);
        // The data covers 1-10 October: 240 of 744 hours.
        a.data_start = Some(oct.start);
        a.data_end = Some(oct.start + 10 * DAY_MS);
        let t = analyse(&a, &AnomalyRules::default(), None, &[]);
        // 100 × 744 / 240 = 310; against September's 300: +10, +3.33%.
        let forecast = t.forecast.unwrap();
        assert!((forecast - 310.0).abs() < 1e-9);
        assert!((t.change.unwrap() - 10.0).abs() < 1e-9);
        assert!((t.mom_growth_pct.unwrap() - 10.0 / 3.0).abs() < 1e-9);
        assert_eq!(t.months.last().unwrap().forecast, Some(forecast));
        assert!((t.drivers[0].current - 310.0).abs() < 1e-9);
    }

    #[test]
    fn a_range_of_days_is_compared_with_as_many_days_before_it() {
        let half = Period::parse("2026-10-01..2026-10-15", chrono::NaiveDate::MIN).unwrap();
        let mut rows = Vec::new();
        // 10 a day in September, 12 a day in October.
        for d in -30..31 {
            let cost = if d < 0 { 10.0 } else { 12.0 };
            rows.push(day(half.start + d * DAY_MS, "EC2", "a", cost));
        }
        let a = Aggregates {
            period: half.clone(),
            data_end: Some(half.end),
            ..aggs(rows)
        };
        let t = analyse(&a, &AnomalyRules::default(), None, &[]);
        // 15 × 12 = 180 against 16-30 September's 15 × 10 = 150: +20%, not against the whole
        // of September (300: -40%).
        assert_eq!(t.previous_label.as_deref(), Some("2026-09-16..2026-09-30"));
        assert_eq!(t.previous_total, Some(150.0));
        assert!((t.mom_growth_pct.unwrap() - 20.0).abs() < 1e-9);
    }

    #[test]
    fn previous_report_figures_when_the_data_has_one_month() {
        let oct = Period::parse("2026-10", chrono::NaiveDate::MIN).unwrap();
        let previous = PreviousMonth {
            label: "2026-09".into(),
            total: 200.0,
            by_service: [("EC2".to_string(), 200.0)].into(),
            by_account: [("a".to_string(), 200.0)].into(),
            by_pair: BTreeMap::new(),
        };
        let t = analyse(
            &aggs(vec![day(oct.start, "EC2", "a", 150.0)]),
            &AnomalyRules::default(),
            Some(&previous),
            &[],
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
        let t = analyse(&aggs(rows), &AnomalyRules::default(), None, &[]);
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

//! Budgets, judged as an error-budget policy: healthy under 75% used, caution 75–100%,
//! breached above. A partial month is judged on its run-rate forecast to the month's end
//! (cost so far ÷ hours covered × hours in the period). An account's budget is compared with
//! the account's effective cost; a tag value's with what the showback allocates to it (its
//! direct cost, plus shared cost where the tag policy shares it), so the budget and showback
//! tables give a team the same figure.

use serde::Serialize;

use super::allocation::AllocationRow;
use crate::config::Budget;
use crate::engine::aggregates::Aggregates;
use crate::findings::{amount, Category, Confidence, Finding};
use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Healthy,
    Caution,
    Breached,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Caution => "caution",
            Status::Breached => "breached",
        }
    }

    fn of(used_pct: f64) -> Status {
        if used_pct < 75.0 {
            Status::Healthy
        } else if used_pct <= 100.0 {
            Status::Caution
        } else {
            Status::Breached
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BudgetStatus {
    pub name: String,
    /// `account 210987654321` or `team=data`.
    pub scope: String,
    pub amount: f64,
    pub actual: f64,
    /// Run-rate forecast to the end of the period (equals `actual` for a whole period).
    pub forecast: f64,
    pub used_pct: f64,
    pub status: Status,
}

/// `showback`: the allocation rows of the allocation key, which tag-value budgets are judged on.
pub fn analyse(
    aggs: &Aggregates,
    budgets: &[Budget],
    allocation_key: Option<&str>,
    showback: &[AllocationRow],
) -> (Vec<BudgetStatus>, Vec<Finding>) {
    let covered = aggs.covered_hours();
    let scale = if aggs.is_partial() && covered > 0.0 {
        aggs.period.hours() / covered
    } else {
        1.0
    };
    let mut statuses = Vec::new();
    let mut findings = Vec::new();
    for b in budgets {
        let actual: f64 = match (&b.account, &b.tag_value) {
            (Some(account), _) => aggs
                .daily
                .iter()
                .filter(|r| aggs.period.contains(r.day))
                .filter(|r| r.account.as_deref() == Some(account.as_str()))
                .map(|r| r.effective)
                .sum::<Money>()
                .to_f64(),
            (None, Some(value)) => showback
                .iter()
                .filter(|r| r.value == value.trim())
                .map(|r| r.allocated_cost)
                .sum(),
            (None, None) => 0.0,
        };
        let forecast = actual * scale;
        let used_pct = if b.amount > 0.0 {
            forecast / b.amount * 100.0
        } else {
            f64::INFINITY
        };
        let status = Status::of(used_pct);
        let scope = match (&b.account, &b.tag_value) {
            (Some(a), _) => format!("account {a}"),
            (None, Some(v)) => format!("{}={v}", allocation_key.unwrap_or("tag")),
            (None, None) => String::new(),
        };
        if status != Status::Healthy {
            let mut f = Finding::new(Category::Budget, "budget", &b.name);
            f.account_id.clone_from(&b.account);
            f.current = format!(
                "{} {} of {} ({used_pct:.0}%){}",
                if scale > 1.0 { "forecast" } else { "spent" },
                amount(forecast),
                amount(b.amount),
                if scale > 1.0 {
                    ", run rate to month end"
                } else {
                    ""
                }
            );
            f.recommendation = match status {
                Status::Breached => {
                    "over budget: act on this scope's findings or raise the budget".into()
                }
                _ => "close to budget: review this scope's findings".into(),
            };
            f.period_cost = actual;
            f.currency = aggs.currency.clone();
            f.counted = false;
            f.confidence = Confidence::High;
            f.evidence = format!("budget '{}' ({scope}) is {}", b.name, status.as_str());
            findings.push(f);
        }
        statuses.push(BudgetStatus {
            name: b.name.clone(),
            scope,
            amount: b.amount,
            actual,
            forecast,
            used_pct,
            status,
        });
    }
    (statuses, findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::aggregates::DailyRow;
    use crate::period::Period;

    fn money(x: f64) -> crate::money::Money {
        crate::money::Money::from_f64_line(x).unwrap()
    }

    fn aggs(data_end_day: i64, costs: &[(&str, f64)]) -> Aggregates {
        let period = Period::parse("2026-10", chrono::NaiveDate::MIN).unwrap();
        let daily = costs
            .iter()
            .map(|(account, cost)| DailyRow {
                day: period.start,
                account: Some(account.to_string()),
                service: None,
                charge_category: None,
                billed: money(*cost),
                effective: money(*cost),
                list: money(*cost),
                contracted: money(*cost),
            })
            .collect();
        Aggregates {
            data_end: Some(period.start + data_end_day * 86_400_000),
            daily,
            ..Aggregates::october_2026()
        }
    }

    fn allocated(value: &str, direct: f64, shared: f64) -> AllocationRow {
        AllocationRow {
            value: value.into(),
            direct_cost: direct,
            shared_cost: shared,
            allocated_cost: direct + shared,
        }
    }

    fn budget(name: &str, account: Option<&str>, team: Option<&str>, amount: f64) -> Budget {
        Budget {
            name: name.into(),
            amount,
            account: account.map(String::from),
            tag_value: team.map(String::from),
        }
    }

    #[test]
    fn statuses_for_a_whole_month() {
        let a = aggs(31, &[("a", 700.0), ("b", 800.0), ("c", 1100.0)]);
        // The showback gives web 1650 direct and 150 of the untagged cost: 1800.
        let showback = [
            allocated("web", 1650.0, 150.0),
            allocated("data", 800.0, 0.0),
        ];
        let (s, findings) = analyse(
            &a,
            &[
                budget("a", Some("a"), None, 1000.0),
                budget("b", Some("b"), None, 1000.0),
                budget("c", Some("c"), None, 1000.0),
                budget("web", None, Some("web"), 2000.0),
            ],
            Some("team"),
            &showback,
        );
        let got: Vec<(Status, f64)> = s
            .iter()
            .map(|b| (b.status, (b.used_pct * 1e6).round() / 1e6))
            .collect();
        assert_eq!(
            got,
            vec![
                (Status::Healthy, 70.0),
                (Status::Caution, 80.0),
                (Status::Breached, 110.0),
                (Status::Caution, 90.0) // web: allocated 1650 + 150 = 1800 of 2000
            ]
        );
        assert_eq!(findings.len(), 3);
        assert_eq!(s[3].scope, "team=web");
        assert_eq!(s[3].actual, showback[0].allocated_cost);
    }

    #[test]
    fn partial_month_uses_the_run_rate() {
        // 10 of 31 days cost 400: forecast 400 × 31 / 10 = 1240 of a 1000 budget: breached.
        let a = aggs(10, &[("a", 400.0)]);
        let (s, _) = analyse(&a, &[budget("a", Some("a"), None, 1000.0)], None, &[]);
        assert!((s[0].forecast - 1240.0).abs() < 1e-9);
        assert_eq!(s[0].status, Status::Breached);
        assert_eq!(s[0].actual, 400.0);
    }
}

//! What the report's first screen tells, as plain text the renderers escape for their medium
//! (report.html, summary.md, the workbook's Summary sheet): the cost basis, stated once; the
//! total with its change against the previous period in money and percent and the previous
//! amount; a partial month's forecast; the drivers of the change; the plan's first actions and
//! who owns them; the gates.

use super::summary::{money, DRIVERS};
use crate::analyse::gates::GateStatus;
use crate::analyse::Analysis;

/// The one cost basis of every amount in the report, unless a column says otherwise.
pub fn basis(a: &Analysis) -> String {
    format!(
        "Every amount is EffectiveCost (amortised: commitment fees spread over the usage they \
         cover, credits and refunds with their sign) in {}, unless a column says otherwise.",
        a.currency
    )
}

/// A signed amount: `+876.61` or `-12.00`.
pub fn signed(x: f64) -> String {
    let text = money(x);
    if text.starts_with('-') || text == "0.00" {
        text
    } else {
        format!("+{text}")
    }
}

/// A signed percentage to one decimal: `+11.9%`, never `-0.0%`.
pub fn signed_pct(x: f64) -> String {
    let tenths = (x * 10.0).round() / 10.0 + 0.0;
    if tenths > 0.0 {
        format!("+{tenths:.1}%")
    } else {
        format!("{tenths:.1}%")
    }
}

/// The total: `8,264.27 USD in 2026-10`, with `so far` for a partial month.
pub fn total(a: &Analysis) -> String {
    format!(
        "{} {} in {}{}",
        money(a.totals.effective),
        a.currency,
        a.period.label,
        if a.partial { " so far" } else { "" }
    )
}

/// The change against the previous period: `+876.61 USD (+11.9%) against 2026-09 (7,387.65
/// USD)`; a partial month is compared on its forecast. None without a previous period.
pub fn change(a: &Analysis) -> Option<String> {
    let t = &a.trends;
    let (label, previous, change) = (t.previous_label.as_ref()?, t.previous_total?, t.change?);
    let pct = t
        .mom_growth_pct
        .map_or(String::new(), |p| format!(" ({})", signed_pct(p)));
    Some(format!(
        "{} {}{pct} against {label} ({} {}){}",
        signed(change),
        a.currency,
        money(previous),
        a.currency,
        if a.partial {
            ", on the forecast to the month's end"
        } else {
            ""
        }
    ))
}

/// A partial month's forecast: `forecast to the month's end: 16,000.00 USD (run rate)`.
pub fn forecast(a: &Analysis) -> Option<String> {
    a.trends.forecast.map(|f| {
        format!(
            "Forecast to the month's end: {} {} (the run rate of the days the data covers)",
            money(f),
            a.currency
        )
    })
}

/// The savings line: `Potential savings: 3,688.80 USD per month (each dollar counted once)`.
pub fn savings(a: &Analysis) -> String {
    format!(
        "Potential savings: {} {} per month (each dollar counted once)",
        money(a.savings.total_monthly),
        a.currency
    )
}

/// The gates in one line: `Policy gates: all 5 passed` or the breached ones.
pub fn gates(a: &Analysis) -> Option<String> {
    if a.gates.is_empty() {
        return None;
    }
    let breached: Vec<String> = a
        .gates
        .iter()
        .filter(|g| g.status == GateStatus::Breached)
        .map(|g| g.describe())
        .collect();
    Some(if breached.is_empty() {
        format!("Policy gates: all {} passed", a.gates.len())
    } else {
        format!(
            "Policy gates: {} breached: {}",
            breached.len(),
            breached.join("; ")
        )
    })
}

/// An account as a reader knows it: its name and id, or the id alone.
pub fn account(a: &Analysis, id: &str) -> String {
    match a.account_name(id) {
        Some(name) => format!("{name} ({id})"),
        None if id.is_empty() => "(no account)".into(),
        None => id.to_string(),
    }
}

/// A table of the first screen: its column titles and rows of text; `numeric` marks the
/// columns of figures.
pub struct Rows {
    pub columns: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

/// The first [`DRIVERS`] service × account pairs that moved the total, or the services and
/// accounts when the previous period's figures have no such breakdown.
pub fn drivers(a: &Analysis) -> Option<Rows> {
    let t = &a.trends;
    let previous = t.previous_label.as_deref()?;
    let now = if a.partial {
        format!("{} (forecast)", a.period.label)
    } else {
        a.period.label.clone()
    };
    let cur = &a.currency;
    let rows: Vec<Vec<String>> = if t.drivers.is_empty() {
        t.changes
            .iter()
            .take(DRIVERS)
            .map(|c| {
                let (service, account) = match c.dimension {
                    "account" => ("(all)".to_string(), account(a, &c.name)),
                    _ => (c.name.clone(), "(all)".to_string()),
                };
                vec![
                    service,
                    account,
                    money(c.previous),
                    money(c.current),
                    signed(c.change),
                ]
            })
            .collect()
    } else {
        t.drivers
            .iter()
            .take(DRIVERS)
            .map(|d| {
                vec![
                    d.service.clone(),
                    account(a, &d.account),
                    money(d.previous),
                    money(d.current),
                    signed(d.change),
                ]
            })
            .collect()
    };
    (!rows.is_empty()).then(|| Rows {
        columns: vec![
            "Service".into(),
            "Account".into(),
            format!("{previous} ({cur})"),
            format!("{now} ({cur})"),
            format!("Change ({cur})"),
        ],
        numeric: vec![false, false, true, true, true],
        rows,
    })
}

/// The plan's first actions: saving, what to do, on what, in which account, and who owns it.
pub fn actions(a: &Analysis) -> Option<Rows> {
    let rows: Vec<Vec<String>> = a
        .first_actions
        .iter()
        .map(|x| {
            vec![
                money(x.monthly_saving),
                x.recommendation.clone(),
                x.target.clone(),
                x.account
                    .as_deref()
                    .map_or(String::new(), |id| account(a, id)),
                x.owner.clone().unwrap_or_default(),
            ]
        })
        .collect();
    (!rows.is_empty()).then(|| Rows {
        columns: vec![
            format!("Saving / month ({})", a.currency),
            "Action".into(),
            "On".into(),
            "Account".into(),
            "Owner".into(),
        ],
        numeric: vec![true, false, false, false, false],
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::fixture::analysis;

    #[test]
    fn signs_and_no_negative_zero() {
        assert_eq!(signed(876.614), "+876.61");
        assert_eq!(signed(-12.0), "-12.00");
        assert_eq!(signed(-0.001), "0.00");
        assert_eq!(signed_pct(11.87), "+11.9%");
        assert_eq!(signed_pct(-0.04), "0.0%");
        assert_eq!(signed_pct(-53.44), "-53.4%");
    }

    #[test]
    fn the_change_states_money_percent_and_the_previous_amount() {
        let mut a = analysis();
        assert_eq!(change(&a), None);
        a.trends.previous_label = Some("2026-09".into());
        a.trends.previous_total = Some(1600.0);
        a.trends.change = Some(190.0);
        a.trends.mom_growth_pct = Some(190.0 / 1600.0 * 100.0);
        assert_eq!(
            change(&a).unwrap(),
            "+190.00 USD (+11.9%) against 2026-09 (1,600.00 USD)"
        );
        assert_eq!(total(&a), "1,790.00 USD in 2026-10");
        assert_eq!(account(&a, "222222222222"), "data (222222222222)");
        assert_eq!(account(&a, "333333333333"), "333333333333");
    }
}

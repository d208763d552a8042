//! `costlens summary`: what a dataset holds, in one pass: rows, period, currency, the three cost
//! totals, and the top services and accounts.

use polars::prelude::*;
use serde::Serialize;

use crate::engine::currency::choose_currency;
use crate::engine::{frame, validate};
use crate::error::Result;
use crate::money::Money;
use crate::schema::{
    BILLED_COST, BILLING_CURRENCY, CHARGE_PERIOD_END, CHARGE_PERIOD_START, EFFECTIVE_COST,
    LIST_COST, SERVICE_NAME, SUB_ACCOUNT_ID,
};

#[derive(Debug, Serialize)]
pub struct Summary {
    pub rows: u64,
    pub currency: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub billed_cost: Money,
    pub effective_cost: Money,
    pub list_cost: Money,
    pub by_service: Vec<Breakdown>,
    pub by_account: Vec<Breakdown>,
}

#[derive(Debug, Serialize)]
pub struct Breakdown {
    pub name: String,
    pub billed_cost: Money,
    pub effective_cost: Money,
    pub list_cost: Money,
}

fn cost_sums() -> [Expr; 3] {
    [BILLED_COST, EFFECTIVE_COST, LIST_COST].map(|c| col(c).sum())
}

pub fn summarize(lf: LazyFrame, currency: Option<&str>, top: usize) -> Result<Summary> {
    let totals = lf.clone().group_by([col(BILLING_CURRENCY)]).agg(
        [
            len().alias("rows"),
            col(CHARGE_PERIOD_START).min().alias("start"),
            col(CHARGE_PERIOD_START).max().alias("last_start"),
            col(CHARGE_PERIOD_START).null_count().alias("no_start"),
            col(CHARGE_PERIOD_END).max().alias("end"),
        ]
        .into_iter()
        .chain(cost_sums())
        .collect::<Vec<_>>(),
    );
    let breakdown = |key: &str| {
        lf.clone()
            .group_by([col(BILLING_CURRENCY), col(key).alias("name")])
            .agg(cost_sums())
    };
    let mut out = frame::collect_all(
        vec![totals, breakdown(SERVICE_NAME), breakdown(SUB_ACCOUNT_ID)],
        frame::Pass::Shared,
        "summarising the data",
    )?
    .into_iter();
    let (totals, by_service, by_account) = (
        out.next().expect("three results"),
        out.next().expect("three results"),
        out.next().expect("three results"),
    );

    validate::check_lines(&totals, "start")?;
    validate::check_instants(&totals, "last_start", true)?;
    validate::check_instants(&totals, "end", false)?;
    if frame::ints(&totals, "no_start")?
        .iter()
        .any(|n| n.unwrap_or(0) > 0)
    {
        validate::check_instant(CHARGE_PERIOD_START, None, true)?;
    }
    let currencies: Vec<Option<String>> = frame::strings(&totals, BILLING_CURRENCY)?;
    let mut found: Vec<String> = currencies.iter().flatten().cloned().collect();
    found.sort();
    let chosen = choose_currency(&found, currency)?;
    let i = currencies
        .iter()
        .position(|c| c.as_deref() == Some(chosen.as_str()))
        .expect("chosen currency is among those found");
    let at = |name: &str| -> Result<Money> { Ok(frame::exact_money(&totals, name)?[i]) };

    Ok(Summary {
        rows: frame::ints(&totals, "rows")?[i].unwrap_or(0) as u64,
        period_start: frame::ints(&totals, "start")?[i].map(crate::period::iso_timestamp),
        period_end: frame::ints(&totals, "end")?[i].map(crate::period::iso_timestamp),
        billed_cost: at(BILLED_COST)?,
        effective_cost: at(EFFECTIVE_COST)?,
        list_cost: at(LIST_COST)?,
        by_service: top_breakdown(&by_service, &chosen, top)?,
        by_account: top_breakdown(&by_account, &chosen, top)?,
        currency: chosen,
    })
}

/// Rows of one currency, by effective cost descending, then name.
fn top_breakdown(df: &DataFrame, currency: &str, top: usize) -> Result<Vec<Breakdown>> {
    let currencies = frame::strings(df, BILLING_CURRENCY)?;
    let names = frame::strings(df, "name")?;
    let billed = frame::exact_money(df, BILLED_COST)?;
    let effective = frame::exact_money(df, EFFECTIVE_COST)?;
    let list = frame::exact_money(df, LIST_COST)?;
    let mut rows: Vec<Breakdown> = (0..df.height())
        .filter(|&i| currencies[i].as_deref() == Some(currency))
        .map(|i| Breakdown {
            name: names[i].clone().unwrap_or_else(|| "(none)".into()),
            billed_cost: billed[i],
            effective_cost: effective[i],
            list_cost: list[i],
        })
        .collect();
    rows.sort_by(|a, b| {
        b.effective_cost
            .cmp(&a.effective_cost)
            .then_with(|| a.name.cmp(&b.name))
    });
    rows.truncate(top);
    Ok(rows)
}

/// The summary as a human-readable table.
pub fn render_table(s: &Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "rows            {}", s.rows);
    let _ = writeln!(
        out,
        "period          {} .. {}",
        s.period_start.as_deref().unwrap_or("?"),
        s.period_end.as_deref().unwrap_or("?")
    );
    let _ = writeln!(out, "currency        {}", s.currency);
    let _ = writeln!(out, "billed cost     {:>16}", s.billed_cost.round_to(2));
    let _ = writeln!(out, "effective cost  {:>16}", s.effective_cost.round_to(2));
    let _ = writeln!(out, "list cost       {:>16}", s.list_cost.round_to(2));
    for (title, rows) in [
        ("top services", &s.by_service),
        ("top accounts", &s.by_account),
    ] {
        let _ = writeln!(out, "\n{title} (effective cost, {})", s.currency);
        for r in rows {
            let _ = writeln!(out, "  {:>14}  {}", r.effective_cost.round_to(2), r.name);
        }
    }
    out
}

//! `summary.json` (stable keys, full precision, for scripts and next month's comparison) and
//! `summary.md` (to paste into a ticket or wiki; money rounded to 2 decimals).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::table::Amount;
use crate::analyse::gates::Gate;
use crate::analyse::Analysis;
use crate::findings::Category;
use crate::money::Money;
use crate::period::iso_timestamp;

/// Bumped when a key changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// How many drivers of the change the report lists first.
pub const DRIVERS: usize = 5;

/// Where every KPI comes from, stated in the report so finance can reproduce it.
pub const KPI_FORMULAS: [(&str, &str); 7] = [
    (
        "tag_coverage_pct",
        "Σ EffectiveCost of taggable lines (Usage with a ResourceId) carrying every required key with an accepted value ÷ Σ EffectiveCost of taggable lines × 100",
    ),
    (
        "commitment_coverage_pct",
        "ListCost of commitment-covered usage ÷ ListCost of commitment-eligible usage (instance hours of VMs and of managed database, cache, search and warehouse nodes, and serverless compute, of every provider; not Spot) × 100",
    ),
    (
        "commitment_utilization_pct",
        "(1 − EffectiveCost of lines with CommitmentDiscountStatus = Unused ÷ total commitment EffectiveCost, used + unused) × 100",
    ),
    (
        "effective_savings_rate_pct",
        "(ListCost − EffectiveCost − unused commitment cost) ÷ ListCost, over commitment-eligible usage, × 100",
    ),
    (
        "spot_share_pct",
        "on-demand-equivalent cost of Spot (Dynamic) VM instance hours ÷ that of all VM instance hours × 100 (ListCost; for Spot lines without a public on-demand price, the catalog's on-demand price × hours)",
    ),
    (
        "spot_share_hours_pct",
        "Spot (Dynamic) VM instance-hours ÷ all VM instance-hours × 100",
    ),
    (
        "spot_spend",
        "Σ EffectiveCost of Spot (Dynamic) VM instance hours",
    ),
];

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    pub billed_cost: Money,
    pub effective_cost: Money,
    pub list_cost: Money,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Kpis {
    pub tag_coverage_pct: Option<f64>,
    pub commitment_coverage_pct: Option<f64>,
    pub commitment_utilization_pct: Option<f64>,
    pub effective_savings_rate_pct: Option<f64>,
    pub spot_share_pct: Option<f64>,
    pub spot_share_hours_pct: Option<f64>,
    pub spot_spend: f64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Named {
    pub name: String,
    pub effective_cost: Money,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct TrendSummary {
    pub previous_period: Option<String>,
    pub previous_effective_cost: Option<f64>,
    /// This period's effective cost (a partial month's forecast) minus the previous period's.
    #[serde(default)]
    pub change: Option<f64>,
    pub mom_growth_pct: Option<f64>,
    /// A partial month's run-rate forecast to its end.
    #[serde(default)]
    pub forecast: Option<f64>,
    pub anomalies: usize,
    pub anomaly_impact: f64,
    /// The (service, account) pairs that moved the total most, largest change first.
    #[serde(default)]
    pub drivers: Vec<DriverSummary>,
    /// The months seen so far, oldest first.
    #[serde(default)]
    pub months: Vec<MonthSummary>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct DriverSummary {
    pub service: String,
    pub account: String,
    pub previous: f64,
    pub current: f64,
    pub change: f64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct MonthSummary {
    pub month: String,
    pub effective_cost: f64,
    pub forecast: Option<f64>,
    pub from_report: bool,
}

/// One service's effective cost in one account.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct PairCost {
    pub service: String,
    pub account: String,
    pub effective_cost: Money,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct BudgetSummary {
    pub name: String,
    pub scope: String,
    pub amount: f64,
    pub actual: f64,
    pub forecast: f64,
    pub used_pct: f64,
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct GateSummary {
    pub name: String,
    pub value: Option<f64>,
    pub threshold: f64,
    pub status: String,
}

impl From<&Gate> for GateSummary {
    fn from(g: &Gate) -> Self {
        GateSummary {
            name: g.name.to_string(),
            value: g.value,
            threshold: g.threshold,
            status: serde_json::to_value(g.status)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct UtilizationSummary {
    pub matched: usize,
    pub only_in_file: usize,
    pub only_in_bill: usize,
}

/// The whole `summary.json`.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub schema_version: u32,
    pub currency: String,
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    /// The data ends before the period does (month to date).
    pub partial: bool,
    /// `hourly`, or `daily` when the data has only daily or monthly totals.
    pub granularity: String,
    pub totals: Totals,
    pub kpis: Kpis,
    pub kpi_formulas: BTreeMap<String, String>,
    /// `total_monthly` and one entry per category (deduplicated: no dollar counted twice).
    pub savings: BTreeMap<String, f64>,
    /// How the deduplicated total is built, in one sentence.
    #[serde(default)]
    pub savings_method: String,
    /// Number of findings per category.
    pub findings: BTreeMap<String, usize>,
    pub untaggable_cost: f64,
    pub by_service: Vec<Named>,
    pub by_account: Vec<Named>,
    /// Per service and account: what next month's drivers are measured against.
    #[serde(default)]
    pub by_service_account: Vec<PairCost>,
    pub trends: TrendSummary,
    pub budgets: Vec<BudgetSummary>,
    pub gates: Vec<GateSummary>,
    pub utilization: Option<UtilizationSummary>,
    /// New, still open and resolved findings against the previous report.
    pub history: Option<HistorySummary>,
    pub notes: Vec<String>,
    /// The FOCUS inputs: each file's release and dataset, and the invoice reconciliation.
    #[serde(default)]
    pub focus: FocusSummary,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct FocusSummary {
    /// Every FOCUS release among the cost-and-usage inputs, oldest first.
    pub versions: Vec<String>,
    pub files: Vec<FocusFileSummary>,
    /// Rows of reconciliation.csv, and how many are flagged (invoice and lines a cent or more
    /// apart).
    pub reconciliation_rows: usize,
    pub reconciliation_flagged: usize,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct FocusFileSummary {
    pub file: String,
    pub dataset: String,
    pub version: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct HistorySummary {
    pub previous_report: Option<String>,
    pub new: usize,
    pub open: usize,
    pub resolved: usize,
    pub resolved_monthly_saving: f64,
    /// Gone since the previous report but not called resolved: its resource was not billed in
    /// the compared range (the previous report is for another range).
    #[serde(default)]
    pub not_compared: usize,
    /// What was resolved since the previous report, largest saving first.
    pub resolved_findings: Vec<ResolvedSummary>,
    /// What of the previous report could not be read or trusted; absent before this existed.
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct ResolvedSummary {
    pub finding_id: String,
    pub rule: String,
    pub resource_id: String,
    pub monthly_saving: f64,
}

pub fn build(a: &Analysis) -> Summary {
    let mut savings = BTreeMap::new();
    savings.insert("total_monthly".to_string(), a.savings.total_monthly);
    let mut findings = BTreeMap::new();
    for c in Category::ALL {
        savings.insert(
            c.as_str().to_string(),
            a.savings.by_category.get(&c).copied().unwrap_or(0.0),
        );
        findings.insert(
            c.as_str().to_string(),
            a.findings.iter().filter(|f| f.category == c).count(),
        );
    }
    let named = |lines: &[crate::analyse::CostLine]| {
        lines
            .iter()
            .map(|l| Named {
                name: l.name.clone(),
                effective_cost: l.effective,
            })
            .collect()
    };
    Summary {
        schema_version: SCHEMA_VERSION,
        currency: a.currency.clone(),
        period: a.period.label.clone(),
        period_start: iso_timestamp(a.period.start),
        period_end: iso_timestamp(a.period.end),
        partial: a.partial,
        granularity: if a.hourly { "hourly" } else { "daily" }.into(),
        totals: Totals {
            billed_cost: a.totals.billed,
            effective_cost: a.totals.effective,
            list_cost: a.totals.list,
        },
        kpis: Kpis {
            tag_coverage_pct: a.allocation.tag_coverage_pct,
            commitment_coverage_pct: a.rate.kpis.commitment_coverage_pct,
            commitment_utilization_pct: a.rate.kpis.commitment_utilization_pct,
            effective_savings_rate_pct: a.rate.kpis.effective_savings_rate_pct,
            spot_share_pct: a.rate.kpis.spot_share_pct,
            spot_share_hours_pct: a.rate.kpis.spot_share_hours_pct,
            spot_spend: a.rate.kpis.spot_spend,
        },
        kpi_formulas: KPI_FORMULAS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        savings,
        savings_method: crate::analyse::SAVINGS_METHOD.to_string(),
        findings,
        untaggable_cost: a.allocation.untaggable_cost,
        by_service: named(&a.by_service),
        by_account: named(&a.by_account),
        by_service_account: a
            .by_service_account
            .iter()
            .map(|p| PairCost {
                service: p.service.clone(),
                account: p.account.clone(),
                effective_cost: p.effective,
            })
            .collect(),
        trends: TrendSummary {
            previous_period: a.trends.previous_label.clone(),
            previous_effective_cost: a.trends.previous_total,
            change: a.trends.change,
            mom_growth_pct: a.trends.mom_growth_pct,
            forecast: a.trends.forecast,
            anomalies: a.trends.anomalies.len(),
            anomaly_impact: a.trends.anomalies.iter().map(|x| x.impact).sum(),
            drivers: a
                .trends
                .drivers
                .iter()
                .take(DRIVERS)
                .map(|d| DriverSummary {
                    service: d.service.clone(),
                    account: d.account.clone(),
                    previous: d.previous,
                    current: d.current,
                    change: d.change,
                })
                .collect(),
            months: a
                .trends
                .months
                .iter()
                .map(|m| MonthSummary {
                    month: m.label.clone(),
                    effective_cost: m.effective,
                    forecast: m.forecast,
                    from_report: m.from_report,
                })
                .collect(),
        },
        budgets: a
            .budgets
            .iter()
            .map(|b| BudgetSummary {
                name: b.name.clone(),
                scope: b.scope.clone(),
                amount: b.amount,
                actual: b.actual,
                forecast: b.forecast,
                used_pct: b.used_pct,
                status: b.status.as_str().into(),
            })
            .collect(),
        gates: a.gates.iter().map(GateSummary::from).collect(),
        utilization: a.usage.utilization.as_ref().map(|u| UtilizationSummary {
            matched: u.matched,
            only_in_file: u.only_in_file,
            only_in_bill: u.only_in_bill,
        }),
        history: a.history.as_ref().map(|h| HistorySummary {
            previous_report: h.previous_report.clone(),
            new: h.new,
            open: h.open,
            resolved: h.resolved.len(),
            resolved_monthly_saving: h.resolved_monthly_saving,
            not_compared: h.not_compared,
            resolved_findings: h
                .resolved
                .iter()
                .map(|r| ResolvedSummary {
                    finding_id: r.finding_id.clone(),
                    rule: r.rule.clone(),
                    resource_id: r.resource_id.clone(),
                    monthly_saving: r.monthly_saving,
                })
                .collect(),
            warnings: h.warnings.clone(),
        }),
        notes: a.notes.clone(),
        focus: focus_summary(&a.focus),
    }
}

fn focus_summary(focus: &crate::analyse::FocusReport) -> FocusSummary {
    let versions: std::collections::BTreeSet<String> = focus
        .files
        .iter()
        .filter_map(|f| f.version.clone())
        .collect();
    FocusSummary {
        versions: versions.into_iter().collect(),
        files: focus
            .files
            .iter()
            .map(|f| FocusFileSummary {
                file: f.file.clone(),
                dataset: f.dataset.clone(),
                version: f.version.clone(),
            })
            .collect(),
        reconciliation_rows: focus.reconciliation.len(),
        reconciliation_flagged: focus.reconciliation.iter().filter(|r| r.flagged).count(),
    }
}

pub fn to_json(a: &Analysis) -> String {
    let mut out = Vec::new();
    let mut json = serde_json::Serializer::with_formatter(
        &mut out,
        NoNegativeZero(serde_json::ser::PrettyFormatter::new()),
    );
    build(a)
        .serialize(&mut json)
        .expect("the summary serialises");
    String::from_utf8(out).expect("JSON is UTF-8") + "\n"
}

/// serde_json's pretty output with `-0.0` (an empty or cancelling sum) written as `0.0`: a
/// signed zero means nothing in a report, and a script comparing the text with 0 trips on it.
struct NoNegativeZero(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for NoNegativeZero {
    fn write_f64<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        value: f64,
    ) -> std::io::Result<()> {
        self.0.write_f64(w, value + 0.0)
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// A percentage to one decimal, never "-0.0%" (an empty sum is −0 in Rust), or `n/a`.
pub fn pct(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| {
        format!("{:.1}%", (v * 10.0).round() / 10.0 + 0.0)
    })
}

/// An amount for a human file: rounded to the cent as in the CSVs, thousands grouped
/// (`1,234,567.89`); exact amounts are rounded exactly, estimates through their pico-units.
pub fn money(x: impl Amount) -> String {
    let cents = x.in_cents();
    let (negative, whole) = match cents.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cents.as_str()),
    };
    let (whole, fraction) = whole.split_once('.').unwrap_or((whole, "00"));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{fraction}", if negative { "-" } else { "" })
}

/// Text from the data for summary.md, shown as the text it is in any markdown viewer, HTML
/// allowed or not: `<`, `>` and `&` as entities (no tag, no autolink), markdown punctuation
/// backslash-escaped (no link, image, emphasis or code span, no table cell break), line breaks
/// as spaces and other control characters replaced (nothing acts on a terminal showing it).
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '{' | '}' | '|' | '~' | '!' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A table of the story, its cells escaped.
fn md_table(out: &mut String, rows: &super::story::Rows) {
    let header: Vec<String> = rows.columns.iter().map(|c| md(c)).collect();
    let align: Vec<&str> = rows
        .numeric
        .iter()
        .map(|n| if *n { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "| {} |\n|{}|", header.join(" | "), align.join("|"));
    for row in &rows.rows {
        let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

/// The first screen (see [`super::story`]) in markdown.
fn story_markdown(out: &mut String, a: &Analysis) {
    use super::story;
    let _ = writeln!(out, "{}\n", md(&story::basis(a)));
    let _ = write!(out, "**{}**", md(&story::total(a)));
    match story::change(a) {
        Some(change) => {
            let _ = writeln!(out, ": **{}**.", md(&change));
        }
        None => {
            let _ = writeln!(out, "; no previous period to compare with yet.");
        }
    }
    if let Some(forecast) = story::forecast(a) {
        let _ = writeln!(out, "\n{}.", md(&forecast));
    }
    let _ = writeln!(out, "\n{}.", md(&story::savings(a)));
    if let Some(gates) = story::gates(a) {
        let _ = writeln!(out, "\n{}.", md(&gates));
    }
    if let Some(rows) = story::drivers(a) {
        let _ = writeln!(out, "\n## What moved the cost\n");
        md_table(out, &rows);
    }
    if let Some(rows) = story::actions(a) {
        let _ = writeln!(out, "\n## First actions\n");
        md_table(out, &rows);
    }
    if a.trends.months.len() > 1 {
        let _ = writeln!(
            out,
            "\n## Months so far\n\n| month | effective cost | |\n|---|---:|---|"
        );
        for m in &a.trends.months {
            let note = match (m.forecast, m.from_report) {
                (Some(f), _) => format!("so far; forecast {} to the month's end", money(f)),
                (None, true) => "from that month's report".into(),
                (None, false) => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {note} |",
                md(&m.label),
                money(m.effective)
            );
        }
    }
}

pub fn to_markdown(a: &Analysis) -> String {
    let s = build(a);
    let c = &md(&a.currency);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Cloud cost report: {}{}\n",
        s.period,
        if s.partial { " (partial)" } else { "" }
    );
    story_markdown(&mut out, a);
    let _ = writeln!(out, "\n## Headline figures\n\n| | |\n|---|---|");
    let _ = writeln!(
        out,
        "| Potential savings per month | {} {c} |",
        money(a.savings.total_monthly)
    );
    let _ = writeln!(out, "| Tag coverage | {} |", pct(s.kpis.tag_coverage_pct));
    let _ = writeln!(
        out,
        "| Commitment coverage | {} |",
        pct(s.kpis.commitment_coverage_pct)
    );
    let _ = writeln!(
        out,
        "| Commitment utilisation | {} |",
        pct(s.kpis.commitment_utilization_pct)
    );
    let _ = writeln!(
        out,
        "| Effective savings rate | {} |",
        pct(s.kpis.effective_savings_rate_pct)
    );
    let _ = writeln!(
        out,
        "| Spot share of VM hours | {} by cost, {} by hours ({} {} on Spot) |",
        pct(s.kpis.spot_share_pct),
        pct(s.kpis.spot_share_hours_pct),
        money(s.kpis.spot_spend),
        md(&s.currency)
    );

    if !s.gates.is_empty() {
        let _ = writeln!(
            out,
            "\n## Policy gates\n\n| gate | value | threshold | status |\n|---|---|---|---|"
        );
        for g in &s.gates {
            let value = g.value.map_or("n/a".into(), |v| super::table::fixed(v, 2));
            let _ = writeln!(
                out,
                "| {} | {value} | {} | {} |",
                md(&g.name),
                g.threshold,
                g.status
            );
        }
    }

    let _ = writeln!(out, "\n## Top 10 findings\n\n| saving / month | rule | resource | recommendation |\n|---:|---|---|---|");
    for f in a.actionable().take(10) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            money(f.monthly_saving),
            md(&f.rule),
            md(f.resource_id
                .as_deref()
                .or(f.account_id.as_deref())
                .unwrap_or("")),
            md(&f.recommendation)
        );
    }
    if let Some(note) = a.rollup_note() {
        let _ = writeln!(out, "\n{}", md(&note));
    }

    if let Some(h) = &s.history {
        if let Some(previous) = &h.previous_report {
            let _ = writeln!(
                out,
                "\n## Since {previous}\n\n{} new, {} still open, {} no longer found (they would save {} {c}/month: unverified until the bill shows the spend gone)",
                h.new,
                h.open,
                h.resolved,
                money(h.resolved_monthly_saving)
            );
            for r in h.resolved_findings.iter().take(10) {
                let _ = writeln!(
                    out,
                    "- no longer found: {} {} ({} {c}/month, unverified)",
                    md(&r.rule),
                    md(&r.resource_id),
                    money(r.monthly_saving)
                );
            }
        }
        for w in &h.warnings {
            let _ = writeln!(out, "- warning: {}", md(w));
        }
    }

    let _ = writeln!(out, "\n## Savings by category (counted once)\n");
    let _ = writeln!(out, "{}\n", crate::analyse::SAVINGS_METHOD);
    for cat in Category::ALL {
        let n = s.findings.get(cat.as_str()).copied().unwrap_or(0);
        let saving = s.savings.get(cat.as_str()).copied().unwrap_or(0.0);
        let _ = writeln!(
            out,
            "- {}: {n} findings, {} {c}/month",
            cat.as_str(),
            money(saving)
        );
    }

    let _ = writeln!(out, "\n## Top services\n");
    for l in a.by_service.iter().take(10) {
        let _ = writeln!(out, "- {}: {} {c}", md(&l.name), money(l.effective));
    }
    if !a.trends.changes.is_empty() {
        let _ = writeln!(
            out,
            "\n## Top movers vs {}\n",
            s.trends
                .previous_period
                .as_deref()
                .unwrap_or("previous month")
        );
        for ch in a.trends.changes.iter().take(5) {
            let _ = writeln!(
                out,
                "- {} {}: {} → {} ({}{})",
                ch.dimension,
                md(&ch.name),
                money(ch.previous),
                money(ch.current),
                if ch.change >= 0.0 { "+" } else { "" },
                money(ch.change)
            );
        }
    }
    if !a.budgets.is_empty() {
        let _ = writeln!(out, "\n## Budgets\n");
        for b in &a.budgets {
            let _ = writeln!(
                out,
                "- {} ({}): {} of {} {c}, {}% used, {}",
                md(&b.name),
                md(&b.scope),
                money(b.forecast),
                money(b.amount),
                super::table::fixed(b.used_pct, 0),
                b.status.as_str()
            );
        }
    }
    let _ = writeln!(out, "\n## How the KPIs are computed\n");
    for (k, v) in KPI_FORMULAS {
        let _ = writeln!(out, "- `{k}` = {v}");
    }
    if !s.notes.is_empty() {
        let _ = writeln!(out, "\n## Notes\n");
        for n in &s.notes {
            let _ = writeln!(out, "- {}", md(n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_format() {
        assert_eq!(money(1234567.891), "1,234,567.89");
        let exact = Money::parse_line("12345678901234.565").unwrap();
        assert_eq!(money(exact), "12,345,678,901,234.57");
        assert_eq!(money(Money::parse_line("-0.004").unwrap()), "0.00");
        assert_eq!(money(-0.004), "0.00");
        assert_eq!(money(-12.5), "-12.50");
        assert_eq!(money(999.999), "1,000.00");
    }

    #[test]
    fn summary_json_never_holds_a_negative_zero() {
        let mut a = crate::report::charts::fixture::analysis();
        // An empty sum of credits is -0.0 in Rust.
        a.savings.total_monthly = -0.0;
        a.trends.previous_total = Some(-0.0);
        let json = to_json(&a);
        assert!(!json.contains("-0.0"), "{json}");
        assert!(json.contains("\"total_monthly\": 0.0"), "{json}");
        assert!(json.contains("\"previous_effective_cost\": 0.0"), "{json}");
        // Still the pretty layout scripts and humans read.
        assert!(json.starts_with("{\n  \"schema_version\": 1,\n"), "{json}");
    }

    #[test]
    fn data_in_markdown_is_text() {
        assert_eq!(
            md("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert\\(1\\)&gt;"
        );
        assert_eq!(
            md("[x](javascript:alert(1))"),
            "\\[x\\]\\(javascript:alert\\(1\\)\\)"
        );
        assert_eq!(md("a|b\n*c*\u{1b}[2J"), "a\\|b \\*c\\*\u{fffd}\\[2J");
        assert_eq!(md("i-0abc 1.5"), "i-0abc 1.5");
    }
}

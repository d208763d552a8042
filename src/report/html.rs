//! `report.html`: one self-contained file to open offline or mail to finance. Inline CSS, the
//! charts embedded as base64 `data:` URIs, no script, font, link or request to anywhere.
//! Every piece of data is HTML-escaped (tag values and resource names are user data and may
//! hold markup). Its first screen tells the story ([`super::story`]): the cost basis once, the
//! total and its change against the previous period, a partial month's forecast, the months so
//! far, what moved the cost and the first actions with their owners; then the headline figures,
//! the top 10 findings, a section per analyser, and the formula of every KPI.

use std::fmt::Write as _;

use base64::Engine as _;

use super::charts;
use super::story;
use super::summary::{money, pct, KPI_FORMULAS};
use super::table::fixed;
use crate::analyse::allocation::ALL_REQUIRED;
use crate::analyse::gates::GateStatus;
use crate::analyse::Analysis;
use crate::findings::{Category, Finding};

pub const REPORT_HTML: &str = "report.html";

/// How many rows the long tables show; the CSV beside the report has them all.
const LONG_TABLE: usize = 20;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are no text in HTML, and act on a terminal showing the file.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
    out
}

fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
  color: #222; background: #fff; margin: 0; line-height: 1.45; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 30px; margin: 0 0 4px; }
h2 { font-size: 22px; margin: 40px 0 10px; padding-top: 8px; border-top: 2px solid #0072B2; }
.story { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 20px;
  align-items: start; margin: 8px 0 0; }
.story .total { font-size: 34px; font-weight: 700; font-variant-numeric: tabular-nums; }
.story .change { font-size: 19px; font-weight: 600; margin: 4px 0 10px; }
.story .up { color: #8a3200; }
.story .down { color: #00583f; }
.story p { margin: 6px 0; }
.story figure { margin: 0; }
.story h3 { margin: 14px 0 4px; }
p.basis { background: #f0f4f8; padding: 6px 10px; border-radius: 4px; font-size: 14px; }
.scroll { overflow-x: auto; }
h3 { font-size: 17px; margin: 24px 0 8px; }
p.meta, p.hint { color: #555; margin: 4px 0 12px; }
nav { margin: 12px 0 0; font-size: 14px; }
nav a { color: #0072B2; margin-right: 14px; text-decoration: none; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px;
  font-weight: 600; vertical-align: middle; }
.ok { background: #d8efe6; color: #00583f; }
.breached { background: #f7dccb; color: #8a3200; }
.na { background: #eee; color: #555; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; }
.card .label { font-size: 13px; color: #555; }
.card .value { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.card .unit { font-size: 14px; font-weight: 400; color: #555; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: 14px; }
th, td { border: 1px solid #d6d6d6; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f0f4f8; font-weight: 600; }
tbody tr:nth-child(even) { background: #fafafa; }
th.num { text-align: right; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.code { white-space: nowrap; }
td.id { overflow-wrap: anywhere; min-width: 16ch; }
figure { margin: 16px 0; }
figure img { width: 100%; max-width: 1200px; height: auto; border: 1px solid #e4e4e4; }
figcaption { font-size: 13px; color: #555; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
footer { margin-top: 40px; font-size: 13px; color: #555; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, tr { break-inside: avoid; }
  nav { display: none; }
}
"#;

/// How a column's cells are set.
#[derive(Clone, Copy, PartialEq)]
enum Col {
    /// Prose: wraps between words.
    Text,
    /// A figure: right-aligned, never wrapped.
    Num,
    /// A short code (rule, category, account): never wrapped.
    Code,
    /// A long identifier (ARN, resource id): may break anywhere.
    Id,
}

impl Col {
    fn class(self) -> &'static str {
        match self {
            Col::Text => "",
            Col::Num => " class=\"num\"",
            Col::Code => " class=\"code\"",
            Col::Id => " class=\"id\"",
        }
    }
}

/// A table: header cells and rows of plain text, escaped here. It scrolls sideways inside
/// its box rather than widening the page, whatever the data's longest id.
fn table(out: &mut String, columns: &[(&str, Col)], rows: &[Vec<String>]) {
    out.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for (name, col) in columns {
        let _ = write!(out, "<th{}>{}</th>", col.class(), esc(name));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let col = columns.get(i).map_or(Col::Text, |c| c.1);
            let _ = write!(out, "<td{}>{}</td>", col.class(), esc(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

fn para(out: &mut String, class: &str, text: &str) {
    let _ = writeln!(out, "<p class=\"{class}\">{}</p>", esc(text));
}

fn heading(out: &mut String, id: &str, title: &str) {
    let _ = writeln!(out, "<h2 id=\"{id}\">{}</h2>", esc(title));
}

/// The chart `name` as an embedded image, with a caption.
fn figure(out: &mut String, charts: &[(&str, Vec<u8>)], name: &str, alt: &str) {
    let Some((_, png)) = charts.iter().find(|(n, _)| *n == name) else {
        return;
    };
    let data = base64::engine::general_purpose::STANDARD.encode(png);
    let _ = writeln!(
        out,
        "<figure><img src=\"data:image/png;base64,{data}\" width=\"{}\" height=\"{}\" alt=\"{}\">\
         <figcaption>{} (also saved as <code>{}</code>)</figcaption></figure>",
        charts::WIDTH,
        charts::HEIGHT,
        esc(alt),
        esc(alt),
        esc(name)
    );
}

fn more_rows(out: &mut String, shown: usize, total: usize, csv: &str) {
    if total > shown {
        para(
            out,
            "hint",
            &format!("The {shown} largest of {total}; all of them are in {csv}."),
        );
    }
}

fn finding_rows(a: &Analysis, findings: &[&Finding]) -> Vec<Vec<String>> {
    findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            vec![
                (i + 1).to_string(),
                money(f.monthly_saving),
                f.category.as_str().to_string(),
                f.rule.clone(),
                f.resource_id
                    .clone()
                    .or_else(|| f.service.clone())
                    .unwrap_or_default(),
                f.account_id
                    .as_deref()
                    .map_or(String::new(), |id| story::account(a, id)),
                f.current.clone(),
                f.recommendation.clone(),
                f.confidence.as_str().to_string(),
                a.counted_reason(f),
            ]
        })
        .collect()
}

fn finding_columns(cur: &str) -> Vec<(String, Col)> {
    vec![
        ("#".into(), Col::Num),
        (format!("Saving / month ({cur})"), Col::Num),
        ("Category".into(), Col::Code),
        ("Rule".into(), Col::Code),
        ("Resource".into(), Col::Id),
        ("Account".into(), Col::Id),
        ("Now".into(), Col::Text),
        ("Recommendation".into(), Col::Text),
        ("Confidence".into(), Col::Code),
        ("Counted in the total".into(), Col::Text),
    ]
}

fn findings_table(out: &mut String, a: &Analysis, findings: &[&Finding]) {
    let columns = finding_columns(&a.currency);
    let columns: Vec<(&str, Col)> = columns.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    table(out, &columns, &finding_rows(a, findings));
}

/// One of the story's tables.
fn story_table(out: &mut String, rows: &story::Rows) {
    let columns: Vec<(&str, Col)> = rows
        .columns
        .iter()
        .zip(&rows.numeric)
        .map(|(name, numeric)| (name.as_str(), if *numeric { Col::Num } else { Col::Id }))
        .collect();
    table(out, &columns, &rows.rows);
}

/// The first screen: what a finance reader needs in 30 seconds.
fn story_section(out: &mut String, a: &Analysis, charts: &[(&str, Vec<u8>)]) {
    para(out, "basis", &story::basis(a));
    out.push_str("<section class=\"story\" id=\"story\">\n<div>\n");
    let _ = writeln!(out, "<div class=\"total\">{}</div>", esc(&story::total(a)));
    if let Some(change) = story::change(a) {
        let direction = match a.trends.change {
            Some(c) if c > 0.0 => " up",
            Some(c) if c < 0.0 => " down",
            _ => "",
        };
        let _ = writeln!(
            out,
            "<div class=\"change{direction}\">{}</div>",
            esc(&change)
        );
    } else {
        para(out, "hint", "No previous period to compare with yet.");
    }
    if let Some(forecast) = story::forecast(a) {
        let _ = writeln!(out, "<p><strong>{}</strong></p>", esc(&forecast));
    }
    let _ = writeln!(out, "<p>{}</p>", esc(&story::savings(a)));
    if let Some(gates) = story::gates(a) {
        let class = if gates.contains("breached") {
            "breached"
        } else {
            "ok"
        };
        let _ = writeln!(
            out,
            "<p><span class=\"badge {class}\">{}</span></p>",
            esc(&gates)
        );
    }
    out.push_str("</div>\n<div>\n");
    figure(
        out,
        charts,
        charts::MONTHLY_TREND,
        "Effective cost per month, the months seen so far",
    );
    out.push_str("</div>\n</section>\n");
    if let Some(rows) = story::drivers(a) {
        let _ = writeln!(out, "<h3>What moved the cost</h3>");
        story_table(out, &rows);
    }
    let _ = writeln!(out, "<h3>First actions</h3>");
    match story::actions(a) {
        Some(rows) => story_table(out, &rows),
        None => para(
            out,
            "hint",
            &format!(
                "No counted finding saves {} {} a month or more.",
                money(a.min_saving),
                a.currency
            ),
        ),
    }
}

fn card(out: &mut String, label: &str, value: &str, unit: &str) {
    let _ = writeln!(
        out,
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{} <span class=\"unit\">{}</span></div></div>",
        esc(label),
        esc(value),
        esc(unit)
    );
}

fn headline(out: &mut String, a: &Analysis) {
    let cur = &a.currency;
    heading(out, "headline", "Headline figures");
    out.push_str("<div class=\"cards\">\n");
    card(
        out,
        "Potential savings per month",
        &money(a.savings.total_monthly),
        cur,
    );
    card(out, "Tag coverage", &pct(a.allocation.tag_coverage_pct), "");
    let k = &a.rate.kpis;
    card(
        out,
        "Commitment coverage",
        &pct(k.commitment_coverage_pct),
        "",
    );
    card(
        out,
        "Commitment utilisation",
        &pct(k.commitment_utilization_pct),
        "",
    );
    card(
        out,
        "Effective savings rate",
        &pct(k.effective_savings_rate_pct),
        "",
    );
    card(out, "Spot share of VM hours", &pct(k.spot_share_pct), "");
    out.push_str("</div>\n");

    if !a.gates.is_empty() {
        let breached = a
            .gates
            .iter()
            .filter(|g| g.status == GateStatus::Breached)
            .count();
        let _ = writeln!(
            out,
            "<h3>Policy gates {}</h3>",
            if breached == 0 {
                "<span class=\"badge ok\">all passed</span>".to_string()
            } else {
                format!("<span class=\"badge breached\">{breached} breached</span>")
            }
        );
        out.push_str("<div class=\"scroll\"><table>\n<thead><tr><th>Gate</th><th class=\"num\">Value</th><th class=\"num\">Threshold</th><th>Status</th></tr></thead>\n<tbody>\n");
        for g in &a.gates {
            let (class, status) = match g.status {
                GateStatus::Ok => ("ok", "ok"),
                GateStatus::Breached => ("breached", "breached"),
                GateStatus::NotApplicable => ("na", "n/a"),
            };
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><span class=\"badge {class}\">{status}</span></td></tr>",
                esc(g.name),
                esc(&g.value.map_or("n/a".into(), |v| fixed(v, 2))),
                esc(&format!("{}", g.threshold)),
            );
        }
        out.push_str("</tbody>\n</table></div>\n");
    }
}

fn top_findings(out: &mut String, a: &Analysis) {
    heading(out, "top-findings", "Top 10 findings");
    let below = a.findings.len() - a.actionable().count();
    para(
        out,
        "hint",
        &format!(
            "Ranked by estimated saving per month (730 hours). {} findings in all, in findings.csv, \
             {below} of them saving less than {} {} a month (not listed here); where findings \
             overlap on one resource only the largest counts in the total.",
            a.findings.len(),
            money(a.min_saving),
            a.currency
        ),
    );
    if let Some(note) = a.rollup_note() {
        para(out, "hint", &note);
    }
    let top: Vec<&Finding> = a.actionable().take(10).collect();
    if top.is_empty() {
        para(out, "hint", "No finding saves that much in the period.");
    } else {
        findings_table(out, a, &top);
    }
}

fn savings(out: &mut String, a: &Analysis, charts: &[(&str, Vec<u8>)]) {
    let cur = &a.currency;
    heading(out, "savings", "Savings by category");
    figure(
        out,
        charts,
        charts::SAVINGS_BY_CATEGORY,
        "Potential savings per month by finding category",
    );
    let rows: Vec<Vec<String>> = Category::ALL
        .iter()
        .map(|c| {
            vec![
                c.as_str().to_string(),
                a.findings
                    .iter()
                    .filter(|f| f.category == *c)
                    .count()
                    .to_string(),
                money(a.savings.by_category.get(c).copied().unwrap_or(0.0)),
            ]
        })
        .chain(std::iter::once(vec![
            "total".into(),
            a.findings.len().to_string(),
            money(a.savings.total_monthly),
        ]))
        .collect();
    table(
        out,
        &[
            ("Category", Col::Code),
            ("Findings", Col::Num),
            (&format!("Counted saving / month ({cur})"), Col::Num),
        ],
        &rows,
    );
}

fn costs(out: &mut String, a: &Analysis, charts: &[(&str, Vec<u8>)]) {
    let cur = &a.currency;
    heading(out, "costs", "Where the money goes");
    para(
        out,
        "meta",
        &format!(
            "For reconciliation with the invoice: billed cost (what the invoice shows, before \
             commitment fees are spread) {} {cur}; list cost (public on-demand prices) {} {cur}.",
            money(a.totals.billed),
            money(a.totals.list)
        ),
    );
    figure(
        out,
        charts,
        charts::DAILY_COST,
        "Daily cost by service (EffectiveCost)",
    );
    let _ = writeln!(out, "<h3>By service</h3>");
    let rows: Vec<Vec<String>> = a
        .by_service
        .iter()
        .take(LONG_TABLE)
        .map(|l| {
            vec![
                l.name.clone(),
                money(l.billed),
                money(l.effective),
                money(l.list),
            ]
        })
        .collect();
    table(
        out,
        &[
            ("Service", Col::Text),
            (&format!("Billed ({cur})"), Col::Num),
            (&format!("Effective ({cur})"), Col::Num),
            (&format!("List ({cur})"), Col::Num),
        ],
        &rows,
    );
    more_rows(out, rows.len(), a.by_service.len(), "cost_by_service.csv");
    figure(
        out,
        charts,
        charts::COST_BY_ACCOUNT,
        "Cost by account (EffectiveCost)",
    );
    let _ = writeln!(out, "<h3>By account</h3>");
    let rows: Vec<Vec<String>> = a
        .by_account
        .iter()
        .take(LONG_TABLE)
        .map(|l| {
            vec![
                l.name.clone(),
                l.label.clone().unwrap_or_default(),
                money(l.billed),
                money(l.effective),
                money(l.list),
            ]
        })
        .collect();
    table(
        out,
        &[
            ("Account", Col::Code),
            ("Name", Col::Text),
            (&format!("Billed ({cur})"), Col::Num),
            (&format!("Effective ({cur})"), Col::Num),
            (&format!("List ({cur})"), Col::Num),
        ],
        &rows,
    );
    more_rows(out, rows.len(), a.by_account.len(), "cost_by_account.csv");
}

fn allocation(out: &mut String, a: &Analysis, charts: &[(&str, Vec<u8>)]) {
    let cur = &a.currency;
    let al = &a.allocation;
    heading(out, "allocation", "Allocation and tagging");
    para(
        out,
        "meta",
        &format!(
            "Tag coverage (all required keys): {}. Taggable cost {} {cur}; untaggable cost (tax, support, credits, purchases, lines without a resource) {} {cur}.",
            pct(al.tag_coverage_pct),
            money(al.taggable_cost),
            money(al.untaggable_cost)
        ),
    );
    figure(
        out,
        charts,
        charts::TAG_COVERAGE,
        "Tag coverage per required key and account",
    );
    let _ = writeln!(out, "<h3>Coverage per key</h3>");
    let rows: Vec<Vec<String>> = al
        .coverage
        .iter()
        .filter(|c| c.scope != "service")
        .map(|c| {
            vec![
                if c.scope == "total" {
                    "all accounts".to_string()
                } else {
                    c.scope_value.clone()
                },
                if c.key == ALL_REQUIRED {
                    "all required keys".to_string()
                } else {
                    c.key.clone()
                },
                money(c.compliant_cost),
                money(c.taggable_cost),
                pct(c.coverage_pct),
            ]
        })
        .collect();
    table(
        out,
        &[
            ("Account", Col::Code),
            ("Key", Col::Code),
            (&format!("Compliant ({cur})"), Col::Num),
            (&format!("Taggable ({cur})"), Col::Num),
            ("Coverage", Col::Num),
        ],
        &rows,
    );
    para(out, "hint", "Per service: tag_coverage.csv.");
    figure(
        out,
        charts,
        charts::UNTAGGED_TOP,
        "Top untagged resources by cost",
    );
    let _ = writeln!(out, "<h3>Untagged resources</h3>");
    let rows: Vec<Vec<String>> = al
        .untagged
        .iter()
        .take(LONG_TABLE)
        .map(|u| {
            vec![
                u.resource_id.clone(),
                u.account.clone().unwrap_or_default(),
                u.service.clone().unwrap_or_default(),
                u.missing_keys.join(", "),
                u.invalid.join(", "),
                money(u.cost),
            ]
        })
        .collect();
    if rows.is_empty() {
        para(
            out,
            "hint",
            "Every taggable resource carries the required tags.",
        );
    } else {
        table(
            out,
            &[
                ("Resource", Col::Id),
                ("Account", Col::Code),
                ("Service", Col::Text),
                ("Missing keys", Col::Text),
                ("Values not accepted", Col::Text),
                (&format!("Effective cost ({cur})"), Col::Num),
            ],
            &rows,
        );
        more_rows(out, rows.len(), al.untagged.len(), "untagged_resources.csv");
    }
    if !al.hygiene.is_empty() {
        let _ = writeln!(out, "<h3>Tag hygiene: one value, several spellings</h3>");
        let rows: Vec<Vec<String>> = al
            .hygiene
            .iter()
            .take(LONG_TABLE)
            .map(|h| {
                vec![
                    h.key.clone(),
                    h.normalized.clone(),
                    h.spelling.clone(),
                    h.resources.to_string(),
                    money(h.cost),
                ]
            })
            .collect();
        table(
            out,
            &[
                ("Key", Col::Code),
                ("Normalised value", Col::Text),
                ("Spelling", Col::Text),
                ("Resources", Col::Num),
                (&format!("Effective cost ({cur})"), Col::Num),
            ],
            &rows,
        );
        more_rows(out, rows.len(), al.hygiene.len(), "tag_hygiene.csv");
    }
    if let Some(key) = &al.allocation_key {
        let _ = writeln!(out, "<h3>Showback by <code>{}</code></h3>", esc(key));
        para(
            out,
            "hint",
            "Allocated = direct cost (lines tagged with the value) + shared cost (the taggable \
             cost without the key, split in proportion to direct cost). Budgets on a tag value \
             are judged on this Allocated figure, so both tables give a team the same cost.",
        );
        let rows: Vec<Vec<String>> = al
            .allocation
            .iter()
            .map(|r| {
                vec![
                    r.value.clone(),
                    money(r.direct_cost),
                    money(r.shared_cost),
                    money(r.allocated_cost),
                ]
            })
            .collect();
        table(
            out,
            &[
                ("Value", Col::Text),
                (&format!("Direct ({cur})"), Col::Num),
                (&format!("Shared ({cur})"), Col::Num),
                (&format!("Allocated ({cur})"), Col::Num),
            ],
            &rows,
        );
    }
}

fn usage(out: &mut String, a: &Analysis) {
    heading(out, "usage", "Usage: rightsizing, idle and modernisation");
    let list: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| f.category == Category::Usage)
        .collect();
    let mut summary = format!(
        "{} findings; {} {} per month counted.",
        list.len(),
        money(
            a.savings
                .by_category
                .get(&Category::Usage)
                .copied()
                .unwrap_or(0.0)
        ),
        a.currency
    );
    if let Some(u) = &a.usage.utilization {
        let _ = write!(
            summary,
            " Utilisation data: {} instances matched, {} only in the file, {} in the bill without data.",
            u.matched, u.only_in_file, u.only_in_bill
        );
    }
    para(out, "meta", &summary);
    if !list.is_empty() {
        let shown: Vec<&Finding> = list.iter().take(LONG_TABLE).copied().collect();
        findings_table(out, a, &shown);
        more_rows(out, shown.len(), list.len(), "rightsizing.csv");
    }
}

fn rate(out: &mut String, a: &Analysis, charts: &[(&str, Vec<u8>)]) {
    let cur = &a.currency;
    let r = &a.rate;
    heading(out, "rate", "Rate: commitments and Spot");
    let k = &r.kpis;
    table(
        out,
        &[("Figure", Col::Text), ("Value", Col::Num)],
        &[
            vec!["Commitment coverage".into(), pct(k.commitment_coverage_pct)],
            vec![
                "Commitment utilisation".into(),
                pct(k.commitment_utilization_pct),
            ],
            vec![
                "Effective savings rate".into(),
                pct(k.effective_savings_rate_pct),
            ],
            vec![
                "Spot share of VM hours, by cost".into(),
                pct(k.spot_share_pct),
            ],
            vec![
                "Spot share of VM hours, by hours".into(),
                pct(k.spot_share_hours_pct),
            ],
            vec![format!("Spot spend ({cur})"), money(k.spot_spend)],
            vec![
                format!("Commitment-eligible list cost ({cur})"),
                money(k.eligible_list_cost),
            ],
            vec![
                format!("Negotiated savings ({cur})"),
                money(k.negotiated_savings),
            ],
            vec![
                format!("Free tier and promotional usage, not negotiated ({cur})"),
                money(k.free_usage),
            ],
            vec![
                format!("Commitment savings ({cur})"),
                money(k.commitment_savings),
            ],
            vec![
                format!("Unused commitment ({cur})"),
                money(k.unused_commitment_cost),
            ],
        ],
    );
    if !r.commitments.is_empty() {
        let _ = writeln!(out, "<h3>Existing commitments</h3>");
        let rows: Vec<Vec<String>> = r
            .commitments
            .iter()
            .map(|c| {
                vec![
                    c.id.clone(),
                    format!(
                        "{}{}",
                        c.kind,
                        c.instance_type
                            .as_deref()
                            .map(|t| format!(" {t}"))
                            .unwrap_or_default()
                    ),
                    money(c.used_cost),
                    money(c.unused_cost),
                    pct(c.utilization_pct),
                    c.end.map(date).unwrap_or_default(),
                ]
            })
            .collect();
        table(
            out,
            &[
                ("Commitment", Col::Id),
                ("Kind", Col::Text),
                (&format!("Used ({cur})"), Col::Num),
                (&format!("Unused ({cur})"), Col::Num),
                ("Utilisation", Col::Num),
                ("Ends", Col::Code),
            ],
            &rows,
        );
    }
    figure(
        out,
        charts,
        charts::COMMITMENT_SAVINGS_CURVE,
        "Commitment savings curves S(c) with the chosen levels marked",
    );
    let mut purchases: Vec<_> = r.sizing.iter().filter(|s| s.counted).collect();
    purchases.sort_by(|x, y| {
        y.monthly_saving
            .total_cmp(&x.monthly_saving)
            .then_with(|| x.scope.cmp(&y.scope))
            .then_with(|| x.product.cmp(&y.product))
    });
    let _ = writeln!(out, "<h3>Recommended purchases (counted in the total)</h3>");
    if purchases.is_empty() {
        para(out, "hint", "No commitment purchase would save money.");
    } else {
        let rows: Vec<Vec<String>> = purchases
            .iter()
            .map(|s| {
                vec![
                    s.product.clone(),
                    s.scope.clone(),
                    s.quantity
                        .as_ref()
                        .map(|q| format!("{} × {}", q.count, q.instance_type))
                        .unwrap_or_default(),
                    format!("{:.4}", s.hourly_commitment),
                    format!("{:.4}", s.on_demand_per_hour),
                    money(s.upfront),
                    money(s.monthly_saving),
                    format!("{:.1}", s.payback_months),
                    pct(Some(s.utilization_pct)),
                    pct(Some(s.break_even_utilization_pct)),
                ]
            })
            .collect();
        table(
            out,
            &[
                ("Product", Col::Text),
                ("Scope", Col::Text),
                ("Quantity", Col::Text),
                (&format!("Commitment ({cur}/h, after discount)"), Col::Num),
                (&format!("Covers on-demand ({cur}/h)"), Col::Num),
                (&format!("Upfront ({cur})"), Col::Num),
                (&format!("Saving / month ({cur})"), Col::Num),
                ("Payback (months)", Col::Num),
                ("Expected utilisation", Col::Num),
                ("Break-even utilisation", Col::Num),
            ],
            &rows,
        );
        para(
            out,
            "hint",
            "Alternatives (other terms and payment options) are in commitments.csv.",
        );
    }
    if !r.coverage.is_empty() {
        let _ = writeln!(out, "<h3>Commitment coverage by service</h3>");
        let rows: Vec<Vec<String>> = r
            .coverage
            .iter()
            .map(|c| {
                vec![
                    c.service.clone(),
                    money(c.eligible_list_cost),
                    money(c.covered_list_cost),
                    pct(c.coverage_pct),
                ]
            })
            .collect();
        table(
            out,
            &[
                ("Service", Col::Text),
                (&format!("Eligible list cost ({cur})"), Col::Num),
                (&format!("Covered list cost ({cur})"), Col::Num),
                ("Coverage", Col::Num),
            ],
            &rows,
        );
    }
    let spot: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| f.category == Category::Rate && f.rule == "spot-candidate")
        .collect();
    if !spot.is_empty() {
        let _ = writeln!(out, "<h3>Spot candidates</h3>");
        let shown: Vec<&Finding> = spot.iter().take(10).copied().collect();
        findings_table(out, a, &shown);
        more_rows(out, shown.len(), spot.len(), "spot.csv");
    }
}

fn trends(out: &mut String, a: &Analysis) {
    let cur = &a.currency;
    let t = &a.trends;
    heading(out, "trends", "Trends and anomalies");
    let previous = t.previous_label.as_deref().unwrap_or("previous month");
    para(
        out,
        "meta",
        &match story::change(a) {
            Some(change) => format!("{}: {change}.", story::total(a)),
            None => format!("{}; no previous period to compare with.", story::total(a)),
        },
    );
    if !t.changes.is_empty() {
        let _ = writeln!(out, "<h3>Largest changes vs {}</h3>", esc(previous));
        let rows: Vec<Vec<String>> = t
            .changes
            .iter()
            .take(10)
            .map(|c| {
                vec![
                    c.dimension.to_string(),
                    c.name.clone(),
                    money(c.previous),
                    money(c.current),
                    money(c.change),
                    c.change_pct.map_or("n/a".into(), |p| format!("{p:+.1}%")),
                ]
            })
            .collect();
        table(
            out,
            &[
                ("Dimension", Col::Code),
                ("Name", Col::Text),
                (&format!("Previous ({cur})"), Col::Num),
                (&format!("Current ({cur})"), Col::Num),
                (&format!("Change ({cur})"), Col::Num),
                ("Change", Col::Num),
            ],
            &rows,
        );
        more_rows(out, rows.len(), t.changes.len(), "trends.csv");
    }
    let _ = writeln!(out, "<h3>Anomalies</h3>");
    if t.anomalies.is_empty() {
        para(out, "hint", "No daily cost anomaly in the period.");
    } else {
        let rows: Vec<Vec<String>> = t
            .anomalies
            .iter()
            .map(|x| {
                vec![
                    date(x.day),
                    x.service.clone(),
                    x.account.clone(),
                    money(x.cost),
                    money(x.baseline),
                    money(x.impact),
                ]
            })
            .collect();
        table(
            out,
            &[
                ("Day", Col::Code),
                ("Service", Col::Text),
                ("Account", Col::Code),
                (&format!("Cost ({cur})"), Col::Num),
                (&format!("Baseline ({cur})"), Col::Num),
                (&format!("Impact ({cur})"), Col::Num),
            ],
            &rows,
        );
    }
}

fn budgets(out: &mut String, a: &Analysis) {
    let cur = &a.currency;
    heading(out, "budgets", "Budgets");
    if a.budgets.is_empty() {
        para(out, "hint", "No budgets configured.");
        return;
    }
    para(
        out,
        "hint",
        "An account's budget is judged on the account's effective cost; a tag value's on what \
         the showback allocates to it (direct, plus shared cost where the policy shares it). A partial month \
         is judged on its run-rate forecast.",
    );
    let rows: Vec<Vec<String>> = a
        .budgets
        .iter()
        .map(|b| {
            vec![
                b.name.clone(),
                b.scope.clone(),
                money(b.amount),
                money(b.actual),
                money(b.forecast),
                format!("{}%", fixed(b.used_pct, 0)),
                b.status.as_str().to_string(),
            ]
        })
        .collect();
    table(
        out,
        &[
            ("Budget", Col::Text),
            ("Scope", Col::Text),
            (&format!("Amount ({cur})"), Col::Num),
            (&format!("Actual ({cur})"), Col::Num),
            (&format!("Forecast ({cur})"), Col::Num),
            ("Used", Col::Num),
            ("Status", Col::Code),
        ],
        &rows,
    );
}

fn formulas(out: &mut String, a: &Analysis) {
    heading(out, "kpis", "How the KPIs are computed");
    let k = &a.rate.kpis;
    let value = |name: &str| match name {
        "tag_coverage_pct" => pct(a.allocation.tag_coverage_pct),
        "commitment_coverage_pct" => pct(k.commitment_coverage_pct),
        "commitment_utilization_pct" => pct(k.commitment_utilization_pct),
        "effective_savings_rate_pct" => pct(k.effective_savings_rate_pct),
        "spot_share_pct" => pct(k.spot_share_pct),
        "spot_share_hours_pct" => pct(k.spot_share_hours_pct),
        "spot_spend" => money(k.spot_spend),
        _ => String::new(),
    };
    out.push_str("<div class=\"scroll\"><table>\n<thead><tr><th>KPI</th><th class=\"num\">Value</th><th>Formula</th></tr></thead>\n<tbody>\n");
    for (name, formula) in KPI_FORMULAS {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(name),
            esc(&value(name)),
            esc(formula)
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
    para(
        out,
        "hint",
        "BilledCost is the invoice view; EffectiveCost the amortised cost (commitment fees spread \
         over the usage they cover, unused commitment kept on the fee line, upfront purchases at 0); \
         ListCost the public on-demand cost. Monthly savings are scaled to a 730-hour month. \
         Credits, refunds and taxes keep their sign.",
    );
}

/// The whole `report.html`; `charts` holds (file name, PNG bytes) as written beside it.
pub fn render(a: &Analysis, charts: &[(&str, Vec<u8>)]) -> String {
    let mut out =
        String::with_capacity(64 * 1024 + charts.iter().map(|c| c.1.len() * 4 / 3).sum::<usize>());
    let title = format!("Cloud cost report: {}", a.period.label);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    );
    let _ = writeln!(
        out,
        "<h1>{}{}</h1>",
        esc(&title),
        if a.partial {
            " <span class=\"badge na\">partial: month to date</span>"
        } else {
            ""
        }
    );
    let mut meta = format!(
        "Period {} to {} (UTC), {} data, currency {}",
        date(a.period.start),
        date(a.period.end - 1),
        if a.hourly { "hourly" } else { "daily" },
        a.currency
    );
    if let (Some(s), Some(e)) = (a.data_start, a.data_end) {
        let _ = write!(meta, "; the data covers {} to {}", date(s), date(e - 1));
    }
    meta.push('.');
    para(&mut out, "meta", &meta);
    story_section(&mut out, a, charts);
    out.push_str(
        "<nav><a href=\"#headline\">Headline</a><a href=\"#top-findings\">Top findings</a>\
         <a href=\"#savings\">Savings</a><a href=\"#costs\">Costs</a><a href=\"#allocation\">Allocation</a>\
         <a href=\"#usage\">Usage</a><a href=\"#rate\">Rate</a><a href=\"#trends\">Trends</a>\
         <a href=\"#budgets\">Budgets</a><a href=\"#kpis\">KPI formulas</a></nav>\n",
    );
    headline(&mut out, a);
    top_findings(&mut out, a);
    savings(&mut out, a, charts);
    costs(&mut out, a, charts);
    allocation(&mut out, a, charts);
    usage(&mut out, a);
    rate(&mut out, a, charts);
    trends(&mut out, a);
    budgets(&mut out, a);
    formulas(&mut out, a);
    if !a.notes.is_empty() {
        heading(&mut out, "notes", "Notes");
        out.push_str("<ul>\n");
        for n in &a.notes {
            let _ = writeln!(out, "<li>{}</li>", esc(n));
        }
        out.push_str("</ul>\n");
    }
    let _ = write!(
        out,
        "<footer>Written by costlens {} from the billing data alone. Every table is also in the CSV \
         files beside this report, with all rows and full precision.</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::fixture::analysis;

    #[test]
    fn negative_zero_is_zero() {
        assert_eq!(pct(Some(-0.0)), "0.0%");
        assert_eq!(pct(Some(-0.04)), "0.0%");
        assert_eq!(pct(Some(-12.34)), "-12.3%");
        assert_eq!(pct(None), "n/a");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(esc("EC2\u{1b}]0;x\u{7}"), "EC2\u{fffd}]0;x\u{fffd}");
    }

    #[test]
    fn data_is_escaped_charts_embedded_and_nothing_external() {
        let a = analysis();
        let charts: Vec<(&str, Vec<u8>)> = charts::CHARTS
            .iter()
            .map(|(name, _)| (*name, vec![0x89, b'P', b'N', b'G', 1, 2, 3]))
            .collect();
        let html = render(&a, &charts);
        // The resource id and the account name carry markup: only its escaped form appears.
        assert!(!html.contains("<script>"), "unescaped script");
        assert!(html.contains("i-0abc&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<b>main</b>"));
        assert!(html.contains("environment==HYPERLINK(&quot;x&quot;)"));
        // Every chart is embedded once, as a data URI.
        let uri = format!(
            "src=\"data:image/png;base64,{}\"",
            base64::engine::general_purpose::STANDARD.encode(&charts[0].1)
        );
        assert_eq!(html.matches(&uri).count(), charts.len());
        // Headline, then the top findings, then the sections; every KPI formula stated.
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
        assert!(at("Headline figures") < at("Top 10 findings"));
        assert!(at("Top 10 findings") < at("Where the money goes"));
        for (name, formula) in KPI_FORMULAS {
            assert!(html.contains(name), "{name}");
            assert!(html.contains(&esc(formula)), "{name}'s formula");
        }
        assert!(html.contains("1,790.00"), "money with separators");
        // No table widens the page, whatever its longest id: each scrolls in its own box, and
        // id columns (resources, accounts) may break anywhere.
        assert_eq!(
            html.matches("<table>").count(),
            html.matches("<div class=\"scroll\"><table>").count()
        );
        assert!(STYLE.contains(".scroll { overflow-x: auto; }"));
        assert!(html.contains("<th class=\"id\">Account</th>"));
        assert!(html.contains("idle-instance"));
        for external in [
            "http:", "https:", "src=\"//", "<link", "<script", "@import", "url(",
        ] {
            assert!(!html.contains(external), "{external}");
        }
    }

    #[test]
    fn same_analysis_same_html() {
        let a = analysis();
        assert_eq!(render(&a, &[]), render(&a, &[]));
    }
}

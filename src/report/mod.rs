//! Reporters: the report folder `<out>/<period>/` with CSVs, `summary.json`, `summary.md`, PNG
//! charts and a self-contained `report.html`. The folder is built under a temporary name and
//! renamed into place when complete; the same analysis always gives the same bytes (no clock
//! inside any file).
//!
//! ## How to add a report table
//! 1. Add its rows to [`Analysis`] (computed by an analyser, never here).
//! 2. Write it in `write_tables` with [`table::Cell`]s: text cells are protected against formula
//!    injection and numbers stay numbers; give it a file name users can script against.
//! 3. Sort its rows by something total, so reruns give the same bytes; list it in the README's
//!    report-folder section.

pub mod charts;
pub mod html;
mod reconciliation;
pub mod store;
pub mod story;
pub mod summary;
pub mod table;
pub mod xlsx;

use std::path::{Path, PathBuf};

use store::{
    ALLOCATION_CSV, COMMITMENTS_CSV, CONTAINER_ALLOCATION_CSV, COST_BY_SERVICE_AND_ACCOUNT_CSV,
    FINDINGS_CSV, SUMMARY_JSON, SUMMARY_MD, TAG_COVERAGE_CSV,
};
use table::{write_csv, Cell};

use crate::analyse::Analysis;
use crate::error::{ErrContext, Result};
use crate::findings::{Category, Finding};
use crate::output;

/// A report table as data: the CSV file it is written to, its header and typed cells. The
/// workbook takes its sheets from the same tables, so both hold the same figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub file: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The folder being written, and the tables written into it so far.
struct Folder<'a> {
    path: &'a Path,
    tables: Vec<Table>,
}

/// Writes one table as `name` in the folder, and keeps it for the workbook.
fn write(dir: &mut Folder, name: &str, header: &[&str], rows: &[Vec<Cell>]) -> Result<()> {
    let started = std::time::Instant::now();
    let path = dir.path.join(name);
    let file =
        std::fs::File::create(&path).err_context(|| format!("{}: creating", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    write_csv(&mut out, header, rows)?;
    std::io::Write::flush(&mut out).err_context(|| format!("{}: writing", path.display()))?;
    tracing::info!(
        file = name,
        rows = rows.len(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "report writer"
    );
    dir.tables.push(Table {
        file: name.to_string(),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows: rows.to_vec(),
    });
    Ok(())
}

/// A money cell, written to the cent: an exact amount from the bill, or an estimate.
fn money(x: impl table::Amount) -> Cell {
    x.cell()
}

fn finding_cells(f: &Finding) -> Vec<Cell> {
    vec![
        Cell::text(&f.finding_id),
        Cell::text(f.category.as_str()),
        Cell::text(&f.rule),
        Cell::opt_text(&f.resource_id),
        Cell::opt_text(&f.account_id),
        Cell::opt_text(&f.service),
        Cell::opt_text(&f.region),
        Cell::text(&f.current),
        Cell::text(&f.recommendation),
        money(f.period_cost),
        money(f.monthly_saving),
        Cell::text(&f.currency),
        Cell::Bool(f.counted),
        Cell::text(&f.evidence),
        Cell::text(&f.source),
        Cell::text(f.confidence.as_str()),
        Cell::text(&f.status),
        Cell::text(&f.first_seen),
        Cell::Integer(i64::from(f.months_open)),
    ]
}

pub const FINDING_COLUMNS: [&str; 19] = [
    "finding_id",
    "category",
    "rule",
    "resource_id",
    "account_id",
    "service",
    "region",
    "current",
    "recommendation",
    "period_cost",
    "monthly_saving",
    "currency",
    "counted",
    "evidence",
    "source",
    "confidence",
    "status",
    "first_seen",
    "months_open",
];

/// Every CSV of the report.
fn write_tables(a: &Analysis, dir: &mut Folder) -> Result<()> {
    let cur = || Cell::text(&a.currency);
    write(
        dir,
        "bill_coverage.csv",
        &[
            "service",
            "effective_cost",
            "share_pct",
            "rules",
            "findings",
            "monthly_saving",
            "currency",
        ],
        &a.bill_coverage
            .iter()
            .map(|s| {
                vec![
                    Cell::text(&s.service),
                    money(s.cost),
                    Cell::Percent(s.share_pct),
                    Cell::text(s.rules.join("; ")),
                    Cell::Integer(s.findings as i64),
                    money(s.monthly_saving),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        "cost_by_service.csv",
        &[
            "service",
            "billed_cost",
            "effective_cost",
            "list_cost",
            "currency",
        ],
        &a.by_service
            .iter()
            .map(|l| {
                vec![
                    Cell::text(&l.name),
                    money(l.billed),
                    money(l.effective),
                    money(l.list),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        "cost_by_account.csv",
        &[
            "account_id",
            "account_name",
            "billed_cost",
            "effective_cost",
            "list_cost",
            "currency",
        ],
        &a.by_account
            .iter()
            .map(|l| {
                vec![
                    Cell::text(&l.name),
                    Cell::opt_text(&l.label),
                    money(l.billed),
                    money(l.effective),
                    money(l.list),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        COST_BY_SERVICE_AND_ACCOUNT_CSV,
        &[
            "service",
            "account_id",
            "account_name",
            "billed_cost",
            "effective_cost",
            "list_cost",
            "currency",
        ],
        &a.by_service_account
            .iter()
            .map(|l| {
                vec![
                    Cell::text(&l.service),
                    Cell::text(&l.account),
                    Cell::opt_text(&l.account_name),
                    money(l.billed),
                    money(l.effective),
                    money(l.list),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    let mut daily = a.daily.clone();
    daily.sort_by(|x, y| {
        x.day
            .cmp(&y.day)
            .then(y.effective.cmp(&x.effective))
            .then_with(|| x.service.cmp(&y.service))
    });
    write(
        dir,
        "daily_cost.csv",
        &[
            "date",
            "service",
            "billed_cost",
            "effective_cost",
            "currency",
        ],
        &daily
            .iter()
            .map(|d| {
                vec![
                    Cell::Date(d.day),
                    Cell::text(&d.service),
                    money(d.billed),
                    money(d.effective),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    let al = &a.allocation;
    write(
        dir,
        TAG_COVERAGE_CSV,
        &[
            "scope",
            "scope_value",
            "key",
            "compliant_cost",
            "taggable_cost",
            "coverage_pct",
            "untaggable_cost",
            "currency",
        ],
        &al.coverage
            .iter()
            .map(|c| {
                vec![
                    Cell::text(c.scope),
                    Cell::text(&c.scope_value),
                    Cell::text(&c.key),
                    money(c.compliant_cost),
                    money(c.taggable_cost),
                    Cell::opt_percent(c.coverage_pct),
                    if c.scope == "total" {
                        money(al.untaggable_cost)
                    } else {
                        Cell::Empty
                    },
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        "untagged_resources.csv",
        &[
            "resource_id",
            "account_id",
            "service",
            "region",
            "missing_keys",
            "invalid_values",
            "effective_cost",
            "currency",
            "first_seen",
            "last_seen",
        ],
        &al.untagged
            .iter()
            .map(|u| {
                vec![
                    Cell::text(&u.resource_id),
                    Cell::opt_text(&u.account),
                    Cell::opt_text(&u.service),
                    Cell::opt_text(&u.region),
                    Cell::text(u.missing_keys.join(";")),
                    Cell::text(u.invalid.join(";")),
                    money(u.cost),
                    cur(),
                    Cell::Time(u.first_seen),
                    Cell::Time(u.last_seen),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        "tag_hygiene.csv",
        &[
            "key",
            "normalized_value",
            "spelling",
            "effective_cost",
            "resources",
            "currency",
        ],
        &al.hygiene
            .iter()
            .map(|h| {
                vec![
                    Cell::text(&h.key),
                    Cell::text(&h.normalized),
                    Cell::text(&h.spelling),
                    money(h.cost),
                    Cell::Integer(h.resources as i64),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        ALLOCATION_CSV,
        &[
            "allocation_key",
            "value",
            "direct_cost",
            "shared_cost",
            "allocated_cost",
            "currency",
        ],
        &al.allocation
            .iter()
            .map(|r| {
                vec![
                    Cell::text(al.allocation_key.clone().unwrap_or_default()),
                    Cell::text(&r.value),
                    money(r.direct_cost),
                    money(r.shared_cost),
                    money(r.allocated_cost),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    let by_category = |category: Category, rules: &[&str]| -> Vec<Vec<Cell>> {
        a.findings
            .iter()
            .filter(|f| {
                f.category == category && (rules.is_empty() || rules.contains(&f.rule.as_str()))
            })
            .map(finding_cells)
            .collect()
    };
    write(
        dir,
        "rightsizing.csv",
        &FINDING_COLUMNS,
        &by_category(Category::Usage, &[]),
    )?;
    write(
        dir,
        "spot.csv",
        &FINDING_COLUMNS,
        &by_category(Category::Rate, &["spot-candidate"]),
    )?;
    write_commitments(a, dir)?;
    write(
        dir,
        "usage_baseline.csv",
        &[
            "region",
            "instance_type",
            "hours",
            "min_instances",
            "p10_instances",
            "mean_instances",
            "max_instances",
            "on_demand_cost",
            "currency",
        ],
        &a.rate
            .baselines
            .iter()
            .map(|b| {
                vec![
                    Cell::text(&b.region),
                    Cell::text(&b.instance_type),
                    Cell::Integer(b.hours as i64),
                    Cell::Number(b.min),
                    Cell::Number(b.p10),
                    Cell::Number(b.mean),
                    Cell::Number(b.max),
                    money(b.on_demand_cost),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        "top_resources.csv",
        &[
            "resource_id",
            "account_id",
            "service",
            "region",
            "billed_cost",
            "effective_cost",
            "currency",
        ],
        &a.top_resources
            .iter()
            .map(|r| {
                vec![
                    Cell::text(&r.resource_id),
                    Cell::opt_text(&r.account),
                    Cell::opt_text(&r.service),
                    Cell::opt_text(&r.region),
                    money(r.billed),
                    money(r.effective),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        CONTAINER_ALLOCATION_CSV,
        &[
            "platform",
            "cluster",
            "group_kind",
            "group",
            "account_id",
            "split_cost",
            "unused_cost",
            "allocated_cost",
            "nodes",
            "first_start",
            "last_end",
            "currency",
        ],
        &a.containers
            .allocation
            .iter()
            .map(|g| {
                vec![
                    Cell::text(g.platform.label()),
                    Cell::text(&g.cluster),
                    Cell::text(g.platform.group_label()),
                    Cell::text(&g.group),
                    Cell::opt_text(&g.account),
                    money(g.split),
                    money(g.unused),
                    money(g.split + g.unused),
                    Cell::Integer(g.nodes as i64),
                    Cell::Time(g.first_start),
                    Cell::Time(g.last_end),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        "container_nodes.csv",
        &[
            "platform",
            "cluster",
            "node",
            "account_id",
            "split_cost",
            "unused_cost",
            "node_cost",
            "unused_pct",
            "currency",
        ],
        &a.containers
            .nodes
            .iter()
            .map(|n| {
                vec![
                    Cell::text(n.platform.label()),
                    Cell::text(&n.cluster),
                    Cell::text(&n.node),
                    Cell::opt_text(&n.account),
                    money(n.split),
                    money(n.unused),
                    money(n.split + n.unused),
                    Cell::opt_percent(n.unused_pct),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        FINDINGS_CSV,
        &FINDING_COLUMNS,
        &a.findings.iter().map(finding_cells).collect::<Vec<_>>(),
    )?;
    write(
        dir,
        "trends.csv",
        &[
            "dimension",
            "name",
            "previous_cost",
            "current_cost",
            "change",
            "change_pct",
            "currency",
        ],
        &a.trends
            .changes
            .iter()
            .map(|c| {
                vec![
                    Cell::text(c.dimension),
                    Cell::text(&c.name),
                    money(c.previous),
                    money(c.current),
                    money(c.change),
                    Cell::opt_percent(c.change_pct),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write(
        dir,
        "budgets.csv",
        &[
            "name", "scope", "amount", "actual", "forecast", "used_pct", "status", "currency",
        ],
        &a.budgets
            .iter()
            .map(|b| {
                vec![
                    Cell::text(&b.name),
                    Cell::text(&b.scope),
                    money(b.amount),
                    money(b.actual),
                    money(b.forecast),
                    Cell::Percent(b.used_pct),
                    Cell::text(b.status.as_str()),
                    cur(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

fn write_commitments(a: &Analysis, dir: &mut Folder) -> Result<()> {
    let header = [
        "record",
        "commitment",
        "scope",
        "used_cost",
        "unused_cost",
        "utilization_pct",
        "end_date",
        "term_years",
        "payment",
        "discount_pct",
        "discount_source",
        "hourly_commitment",
        "on_demand_covered_per_hour",
        "quantity",
        "instance_type",
        "normalized_units",
        "upfront",
        "monthly_recurring",
        "monthly_saving",
        "payback_months",
        "coverage_pct",
        "break_even_utilization_pct",
        "lookback_days",
        "approximate",
        "counted",
        "currency",
    ];
    let cur = || Cell::text(&a.currency);
    let empty = |n: usize| std::iter::repeat_n(Cell::Empty, n);
    let mut rows: Vec<Vec<Cell>> = a
        .rate
        .commitments
        .iter()
        .map(|c| {
            let mut row = vec![
                Cell::text("existing"),
                Cell::text(&c.id),
                Cell::text(format!(
                    "{}{}",
                    c.kind,
                    c.instance_type
                        .as_deref()
                        .map(|t| format!(" {t}"))
                        .unwrap_or_default()
                )),
                money(c.used_cost),
                money(c.unused_cost),
                Cell::opt_percent(c.utilization_pct),
                c.end.map_or(Cell::Empty, Cell::Date),
            ];
            row.extend(empty(header.len() - row.len() - 1));
            row.push(cur());
            row
        })
        .collect();
    let mut sizing = a.rate.sizing.clone();
    sizing.sort_by(|x, y| {
        y.monthly_saving
            .total_cmp(&x.monthly_saving)
            .then_with(|| x.product.cmp(&y.product))
            .then_with(|| x.scope.cmp(&y.scope))
    });
    rows.extend(sizing.iter().map(|s| {
        let quantity = s.quantity.as_ref();
        vec![
            Cell::text("purchase"),
            Cell::text(&s.product),
            Cell::text(&s.scope),
            Cell::Empty,
            Cell::Empty,
            Cell::Percent(s.utilization_pct),
            Cell::Empty,
            Cell::Integer(i64::from(s.term_years)),
            Cell::text(s.payment.label()),
            Cell::Percent(s.discount_pct),
            Cell::text(s.discount_source.label()),
            // Rates per hour keep 4 decimals (0.0116 USD/h is no 0.01).
            Cell::Number(s.hourly_commitment),
            Cell::Number(s.on_demand_per_hour),
            quantity.map_or(Cell::Empty, |q| Cell::Integer(i64::from(q.count))),
            quantity.map_or(Cell::Empty, |q| Cell::text(&q.instance_type)),
            Cell::opt_number(quantity.and_then(|q| q.normalized_units)),
            money(s.upfront),
            money(s.monthly_recurring),
            money(s.monthly_saving),
            Cell::Number(s.payback_months),
            Cell::Percent(s.coverage_pct),
            Cell::Percent(s.break_even_utilization_pct),
            Cell::Number(s.lookback_hours as f64 / 24.0),
            Cell::Bool(s.approximate),
            Cell::Bool(s.counted),
            cur(),
        ]
    }));
    write(dir, COMMITMENTS_CSV, &header, &rows)
}

/// Writes the whole report folder `<out_dir>/<period label>/` atomically; returns its path.
pub fn write_report(a: &Analysis, out_dir: &Path) -> Result<PathBuf> {
    let target = store::report_dir(out_dir, &a.period);
    output::write_dir(&target, |dir| {
        let _span = tracing::info_span!("report").entered();
        let started = std::time::Instant::now();
        let ms = |since: std::time::Instant| since.elapsed().as_millis() as u64;
        let mut folder = Folder {
            path: dir,
            tables: Vec::new(),
        };
        write_tables(a, &mut folder)?;
        reconciliation::write(a, &mut folder)?;
        tracing::info!(elapsed_ms = ms(started), "CSV files written");
        let step = std::time::Instant::now();
        xlsx::write(&dir.join(xlsx::REPORT_XLSX), a, &folder.tables)?;
        tracing::info!(elapsed_ms = ms(step), "report.xlsx written");
        let step = std::time::Instant::now();
        let json = summary::to_json(a);
        std::fs::write(dir.join(SUMMARY_JSON), json)
            .err_context(|| format!("{}: writing", dir.join(SUMMARY_JSON).display()))?;
        std::fs::write(dir.join(SUMMARY_MD), summary::to_markdown(a))
            .err_context(|| format!("{}: writing", dir.join(SUMMARY_MD).display()))?;
        tracing::info!(elapsed_ms = ms(step), "summary.json and summary.md written");
        let charts = charts::render_all(a, dir)?;
        let step = std::time::Instant::now();
        let html_path = dir.join(html::REPORT_HTML);
        std::fs::write(&html_path, html::render(a, &charts))
            .err_context(|| format!("{}: writing", html_path.display()))?;
        tracing::info!(elapsed_ms = ms(step), "report.html written");
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "report files written"
        );
        Ok(())
    })?;
    Ok(target)
}

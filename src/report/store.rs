//! The report folder on disk: its layout (`<out>/<period>/` and the file names users script
//! against) and reading back what an earlier run wrote there (its findings for the run history,
//! its summary for last month's totals). Everything that knows where a report lives is here;
//! the analysers receive what was read as data.

use std::path::{Path, PathBuf};

use crate::analyse::history::PreviousFinding;
use crate::analyse::trends::PreviousMonth;
use crate::period::Period;
use crate::report::summary::Summary;

/// File names are a contract: users script against them.
pub const FINDINGS_CSV: &str = "findings.csv";
pub const SUMMARY_JSON: &str = "summary.json";
pub const SUMMARY_MD: &str = "summary.md";
pub const ALLOCATION_CSV: &str = "allocation.csv";
pub const COMMITMENTS_CSV: &str = "commitments.csv";
pub const TAG_COVERAGE_CSV: &str = "tag_coverage.csv";
pub const COST_BY_SERVICE_AND_ACCOUNT_CSV: &str = "cost_by_service_and_account.csv";

/// The folder a period's report is written to.
pub fn report_dir(out_dir: &Path, period: &Period) -> PathBuf {
    out_dir.join(&period.label)
}

/// The report to compare with: the previous period's (like for like: see
/// [`Period::previous`]), else the latest earlier one in `out_dir`; its label and the path of
/// its findings.
fn previous_report(out_dir: &Path, period: &Period) -> Option<(String, PathBuf)> {
    let previous = period.previous().label;
    let direct = out_dir.join(&previous).join(FINDINGS_CSV);
    if direct.exists() {
        return Some((previous, direct));
    }
    let mut earlier: Vec<String> = std::fs::read_dir(out_dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join(FINDINGS_CSV).exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.') && name.as_str() < period.label.as_str())
        .collect();
    earlier.sort();
    let label = earlier.pop()?;
    let path = out_dir.join(&label).join(FINDINGS_CSV);
    Some((label, path))
}

/// What was read back from the report before this one: its label, the findings that could be
/// read, and one line for each thing that could not (for the run's log and the history block).
#[derive(Debug, Default)]
pub struct PreviousReport {
    pub label: Option<String>,
    pub findings: Vec<PreviousFinding>,
    pub warnings: Vec<String>,
}

/// Largest magnitude of a monthly total read back as plausible: far above any cloud bill in any
/// currency (a 100-million-dollar month is about 1.6e12 rupiah), far below a tampered 1e300.
const PLAUSIBLE_TOTAL: f64 = 1e15;

fn warn(warnings: &mut Vec<String>, text: String) {
    tracing::warn!("{text}");
    warnings.push(text);
}

/// How many findings a report's own `summary.json` counts, if it can be read.
fn counted_findings(report: &Path) -> Option<usize> {
    let text = std::fs::read_to_string(report.join(SUMMARY_JSON)).ok()?;
    let summary: Summary = serde_json::from_str(&text).ok()?;
    Some(summary.findings.values().sum())
}

/// The findings of the report before `period` in `out_dir`, with that report's label; none on
/// the first run. Never fails: a damaged file (empty, garbage, truncated mid-row) gives the rows
/// that can be read and a warning, so history is never reset silently and one bad file never
/// blocks the months after it.
pub fn previous_findings(out_dir: &Path, period: &Period) -> PreviousReport {
    let Some((label, path)) = previous_report(out_dir, period) else {
        return PreviousReport::default();
    };
    let mut warnings = Vec::new();
    let findings = read_findings(&path, &mut warnings);
    if let Some(counted) = path.parent().and_then(counted_findings) {
        if counted != findings.len() {
            warn(
                &mut warnings,
                format!(
                    "{}: {} findings could be read, but that report's {SUMMARY_JSON} counts \
                     {counted}: the file is damaged, and findings missing from it count as new",
                    path.display(),
                    findings.len()
                ),
            );
        }
    }
    PreviousReport {
        label: Some(label),
        findings,
        warnings,
    }
}

/// Every row of a previous `findings.csv` that reads as a finding; the rest are warned about.
fn read_findings(path: &Path, warnings: &mut Vec<String>) -> Vec<PreviousFinding> {
    let unreadable = |problem: String| {
        format!(
            "{}: cannot read the previous findings ({problem}); every finding counts as new",
            path.display()
        )
    };
    let mut reader = match csv::Reader::from_path(path) {
        Ok(r) => r,
        Err(e) => {
            warn(warnings, unreadable(e.to_string()));
            return Vec::new();
        }
    };
    let headers = match reader.headers() {
        Ok(h) if h.iter().any(|h| h == "finding_id") => h.clone(),
        Ok(_) => {
            warn(warnings, unreadable("no finding_id column".into()));
            return Vec::new();
        }
        Err(e) => {
            warn(warnings, unreadable(e.to_string()));
            return Vec::new();
        }
    };
    let mut findings = Vec::new();
    let (mut skipped, mut first_bad) = (0usize, None);
    for (i, record) in reader.records().enumerate() {
        let line = || i as u64 + 2;
        let finding = record
            .map_err(|e| e.to_string())
            .and_then(|r| {
                r.deserialize::<PreviousFinding>(Some(&headers))
                    .map_err(|e| e.to_string())
            })
            .and_then(|f| {
                if f.finding_id.trim().is_empty() || !f.monthly_saving.is_finite() {
                    Err("no finding_id or no finite monthly_saving".into())
                } else {
                    Ok(f)
                }
            });
        match finding {
            Ok(f) => findings.push(f),
            Err(problem) => {
                skipped += 1;
                first_bad.get_or_insert_with(|| format!("line {}: {problem}", line()));
            }
        }
    }
    if let Some(first) = first_bad {
        warn(
            warnings,
            format!(
                "{}: {skipped} rows of the previous findings could not be read (first: {first}); \
                 they count as new",
                path.display()
            ),
        );
    }
    findings
}

/// The summary of the report for `period` in `out_dir`, if there is one and it can be trusted
/// (see [`check_previous`]); what is refused is warned about, `purpose` saying what for.
fn trusted_summary(
    out_dir: &Path,
    period: &str,
    currency: &str,
    purpose: &str,
    warnings: &mut Vec<String>,
) -> Option<Summary> {
    let path = out_dir.join(period).join(SUMMARY_JSON);
    let text = std::fs::read_to_string(&path).ok()?;
    let refuse = |problem: String| format!("{}: not used for {purpose}: {problem}", path.display());
    let s = match serde_json::from_str::<Summary>(&text) {
        Ok(s) => s,
        Err(e) => {
            warn(warnings, refuse(format!("unreadable ({e})")));
            return None;
        }
    };
    if let Err(problem) = check_previous(&s, period, currency) {
        warn(warnings, refuse(problem));
        return None;
    }
    Some(s)
}

/// The previous period's figures (like for like: see [`Period::previous`]) from its
/// `summary.json` in the output folder, if there is one and it can be trusted: the period it
/// says, the same currency as this run (`currency`), finite figures below [`PLAUSIBLE_TOTAL`],
/// and a total that is the sum of its services. What is refused is warned about and not
/// compared with, so a damaged or tampered file never drives trends or gates.
pub fn previous_month(
    out_dir: &Path,
    period: &Period,
    currency: &str,
) -> (Option<PreviousMonth>, Vec<String>) {
    let previous = period.previous();
    let mut warnings = Vec::new();
    let Some(s) = trusted_summary(
        out_dir,
        &previous.label,
        currency,
        "the month-over-month comparison",
        &mut warnings,
    ) else {
        return (None, warnings);
    };
    let month = PreviousMonth {
        label: s.period,
        total: s.totals.effective_cost.to_f64(),
        by_service: s
            .by_service
            .into_iter()
            .map(|n| (n.name, n.effective_cost.to_f64()))
            .collect(),
        by_account: s
            .by_account
            .into_iter()
            .map(|n| (n.name, n.effective_cost.to_f64()))
            .collect(),
        by_pair: s
            .by_service_account
            .into_iter()
            .map(|p| ((p.service, p.account), p.effective_cost.to_f64()))
            .collect(),
    };
    (Some(month), warnings)
}

/// The effective cost of every earlier month with a trusted report in `out_dir` (folders
/// named `YYYY-MM` before `period`), for the trend of the months seen so far; a report that
/// cannot be trusted is warned about and left out.
pub fn monthly_totals(
    out_dir: &Path,
    period: &Period,
    currency: &str,
) -> (Vec<(String, f64)>, Vec<String>) {
    let mut warnings = Vec::new();
    let Ok(entries) = std::fs::read_dir(out_dir) else {
        return (Vec::new(), warnings);
    };
    let mut labels: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            Period::parse(name, chrono::NaiveDate::MIN).is_ok_and(|p| p.is_month())
                && name.len() == 7
                && name.as_str() < period.start_date().format("%Y-%m").to_string().as_str()
        })
        .collect();
    labels.sort();
    let totals = labels
        .into_iter()
        .filter_map(|label| {
            let s = trusted_summary(out_dir, &label, currency, "the trend", &mut warnings)?;
            Some((label, s.totals.effective_cost.to_f64()))
        })
        .collect();
    (totals, warnings)
}

fn check_previous(s: &Summary, label: &str, currency: &str) -> std::result::Result<(), String> {
    if s.period != label {
        return Err(format!("it is the report of '{}', not {label}", s.period));
    }
    if s.currency != currency {
        return Err(format!(
            "its costs are in '{}', this month's in {currency}",
            s.currency
        ));
    }
    let figures = [
        s.totals.effective_cost,
        s.totals.billed_cost,
        s.totals.list_cost,
    ]
    .into_iter()
    .chain(s.by_service.iter().map(|n| n.effective_cost))
    .chain(s.by_account.iter().map(|n| n.effective_cost))
    .map(|m| m.to_f64());
    for x in figures {
        if !x.is_finite() || x.abs() > PLAUSIBLE_TOTAL {
            return Err(format!("it holds an implausible figure ({x})"));
        }
    }
    for (what, parts) in [("services", &s.by_service), ("accounts", &s.by_account)] {
        let sum: f64 = parts.iter().map(|n| n.effective_cost.to_f64()).sum();
        let total = s.totals.effective_cost.to_f64();
        if (sum - total).abs() > 0.01 + 1e-9 * total.abs() {
            return Err(format!(
                "its total effective cost {total} is not the sum of its {what} ({sum})"
            ));
        }
    }
    Ok(())
}

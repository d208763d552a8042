//! The report folder on disk: its layout (`<out>/<period>/` and the file names users script
//! against) and reading back what an earlier run wrote there (its findings for the run history,
//! its summary for last month's totals). Everything that knows where a report lives is here;
//! the analysers receive what was read as data.

use std::path::{Path, PathBuf};

use crate::analyse::history::PreviousFinding;
use crate::analyse::trends::PreviousMonth;
use crate::error::{Error, Result};
use crate::period::Period;
use crate::report::summary::Summary;

/// File names are a contract: users script against them.
pub const FINDINGS_CSV: &str = "findings.csv";
pub const SUMMARY_JSON: &str = "summary.json";
pub const SUMMARY_MD: &str = "summary.md";

/// The folder a period's report is written to.
pub fn report_dir(out_dir: &Path, period: &Period) -> PathBuf {
    out_dir.join(&period.label)
}

/// The report to compare with: the previous calendar month's, else the latest earlier one in
/// `out_dir`; its label and the path of its findings.
fn previous_report(out_dir: &Path, period: &Period) -> Option<(String, PathBuf)> {
    let previous = period.previous_month().label;
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

/// The findings of the report before `period` in `out_dir`, with that report's label; none on
/// the first run.
pub fn previous_findings(
    out_dir: &Path,
    period: &Period,
) -> Result<(Option<String>, Vec<PreviousFinding>)> {
    let Some((label, path)) = previous_report(out_dir, period) else {
        return Ok((None, Vec::new()));
    };
    let mut reader = csv::Reader::from_path(&path)
        .map_err(|e| Error::input(&path, format!("cannot read the previous findings: {e}")))?;
    let findings = reader
        .deserialize()
        .map(|row| {
            row.map_err(|e| Error::input(&path, format!("cannot read the previous findings: {e}")))
        })
        .collect::<Result<Vec<PreviousFinding>>>()?;
    Ok((Some(label), findings))
}

/// The previous month's figures from its `summary.json` in the output folder, if there is one.
pub fn previous_month(out_dir: &Path, period: &Period) -> Option<PreviousMonth> {
    let previous = period.previous_month();
    let path = report_dir(out_dir, &previous).join(SUMMARY_JSON);
    let text = std::fs::read_to_string(&path).ok()?;
    match serde_json::from_str::<Summary>(&text) {
        Ok(s) => Some(PreviousMonth {
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
        }),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "ignoring an unreadable previous summary");
            None
        }
    }
}

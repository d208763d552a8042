//! The optional utilisation export (`--utilization FILE`): one row per resource with
//! `resource_id, cpu_max_pct, cpu_p95_pct, mem_p95_pct (optional), days_observed`, as a
//! CloudWatch or Compute Optimizer export gives. Read at the edge and validated (ranges, one row
//! per resource); analysers get the rows.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Utilization {
    pub resource_id: String,
    pub cpu_max_pct: f64,
    pub cpu_p95_pct: f64,
    #[serde(default, deserialize_with = "empty_is_none")]
    pub mem_p95_pct: Option<f64>,
    pub days_observed: u32,
}

fn empty_is_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

pub fn load(path: &Path) -> Result<Vec<Utilization>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| match e.kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                Error::NotFound { path: path.into() }
            }
            _ => Error::input(path, format!("cannot read: {e}")),
        })?;
    let mut rows: Vec<Utilization> = Vec::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for (i, record) in reader.deserialize::<Utilization>().enumerate() {
        let fallback_line = i as u64 + 2;
        let row = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(fallback_line);
            Error::input(
                path,
                format!(
                    "line {line}: expected resource_id, cpu_max_pct, cpu_p95_pct, \
                     mem_p95_pct (optional), days_observed: {e}"
                ),
            )
        })?;
        let line = fallback_line;
        check_row(path, line, &row)?;
        match first_line.get(&row.resource_id) {
            Some(&earlier) => {
                let same = rows.iter().find(|r| r.resource_id == row.resource_id);
                if same != Some(&row) {
                    return Err(Error::input(
                        path,
                        format!(
                            "line {line}: resource '{}' is also on line {earlier} with other \
                             figures; keep one row per resource",
                            row.resource_id
                        ),
                    ));
                }
            }
            None => {
                first_line.insert(row.resource_id.clone(), line);
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

/// Figures a utilisation export can hold: percentages from 0 to 100 with the 95th percentile
/// at most the maximum, and at least one day observed. Anything else would make the
/// rightsizing advice (and its savings) up.
fn check_row(path: &Path, line: u64, row: &Utilization) -> Result<()> {
    let cell = |column: &str, expected: &str, found: String| Error::Cell {
        path: path.into(),
        line,
        column: column.into(),
        expected: expected.into(),
        found,
    };
    if row.resource_id.is_empty() {
        return Err(cell("resource_id", "a resource id", String::new()));
    }
    let percentages = [
        ("cpu_max_pct", Some(row.cpu_max_pct)),
        ("cpu_p95_pct", Some(row.cpu_p95_pct)),
        ("mem_p95_pct", row.mem_p95_pct),
    ];
    for (column, value) in percentages {
        if let Some(x) = value.filter(|x| !(0.0..=100.0).contains(x)) {
            return Err(cell(column, "a percentage from 0 to 100", x.to_string()));
        }
    }
    if row.cpu_p95_pct > row.cpu_max_pct {
        return Err(cell(
            "cpu_p95_pct",
            &format!("at most cpu_max_pct ({})", row.cpu_max_pct),
            row.cpu_p95_pct.to_string(),
        ));
    }
    if row.days_observed == 0 {
        return Err(cell("days_observed", "at least 1 day", "0".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.csv");
        std::fs::write(
            &path,
            "resource_id,cpu_max_pct,cpu_p95_pct,mem_p95_pct,days_observed\ni-1,3,1,,30\ni-2,90,50,60,14\n",
        )
        .unwrap();
        let rows = load(&path).unwrap();
        assert_eq!(rows[0].mem_p95_pct, None);
        assert_eq!(rows[1].mem_p95_pct, Some(60.0));
        std::fs::write(
            &path,
            "resource_id,cpu_max_pct,cpu_p95_pct,mem_p95_pct,days_observed\ni-1,high,1,,30\n",
        )
        .unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("u.csv") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn impossible_figures_and_disagreeing_duplicates_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.csv");
        let header = "resource_id,cpu_max_pct,cpu_p95_pct,mem_p95_pct,days_observed\n";
        for (rows, says) in [
            (
                "i-1,-50,1,,30\n",
                "line 2, column 'cpu_max_pct': expected a percentage",
            ),
            ("i-1,150,1,,30\n", "column 'cpu_max_pct'"),
            ("i-1,NaN,1,,30\n", "column 'cpu_max_pct'"),
            ("i-1,5,1,101,30\n", "column 'mem_p95_pct'"),
            ("i-1,5,9,,30\n", "expected at most cpu_max_pct (5)"),
            (
                "i-1,5,1,,0\n",
                "column 'days_observed': expected at least 1 day",
            ),
            (
                "i-1,5,1,,30\ni-1,50,10,,30\n",
                "line 3: resource 'i-1' is also on line 2",
            ),
        ] {
            std::fs::write(&path, format!("{header}{rows}")).unwrap();
            let err = load(&path).unwrap_err().to_string();
            assert!(err.contains(says), "{rows}: {err}");
        }
        // The same row twice is one resource.
        std::fs::write(&path, format!("{header}i-1,5,1,,30\ni-1,5,1,,30\n")).unwrap();
        assert_eq!(load(&path).unwrap().len(), 1);
    }
}

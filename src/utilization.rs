//! The optional utilisation export (`--utilization FILE`): one row per resource with
//! `resource_id, cpu_max_pct, cpu_p95_pct, mem_p95_pct (optional), days_observed`, as a
//! CloudWatch or Compute Optimizer export gives. Read at the edge; analysers get the rows.

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
    let mut rows = Vec::new();
    for (i, record) in reader.deserialize::<Utilization>().enumerate() {
        let row = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(i as u64 + 2);
            Error::input(
                path,
                format!(
                    "line {line}: expected resource_id, cpu_max_pct, cpu_p95_pct, \
                     mem_p95_pct (optional), days_observed: {e}"
                ),
            )
        })?;
        rows.push(row);
    }
    Ok(rows)
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
}

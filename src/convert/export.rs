//! `convert --out DIR/`: a FOCUS export folder in the layout of Microsoft Cost Management's
//! FOCUS exports, which the FinOps toolkit's hubs ingest: per billing month a run folder
//! `costlens-focus/<YYYYMMDD-YYYYMMDD>/<run id>/` of snappy parquet parts (`part_0_0001.parquet`,
//! ...), each under 2 GB, and a `manifest.json` in Microsoft's shape (manifest version
//! 2024-04-01: byte, blob and row counts, export and delivery configuration, run, blobs)
//! written after its parts; then `metadata.json` beside the runs: the generator, the FOCUS
//! version, the data's freshness and which months are final.
//!
//! The folder is deterministic: the run id is a hash of the run's parts, and the data's
//! freshness (its latest charge end) stands in for the submission time.

use std::path::Path;

use polars::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{parquet_frame, write_parquet_file};
use crate::engine::frame;
use crate::engine::supplements::{period_status, BillingPeriod};
use crate::error::{ErrContext, Result};
use crate::period::iso_timestamp;
use crate::schema;

pub const EXPORT_NAME: &str = "costlens-focus";
pub const MANIFEST: &str = "manifest.json";
pub const METADATA: &str = "metadata.json";

/// Largest part file: tools that ingest exports (and Microsoft's own) cap files at 2 GB.
const MAX_PART_BYTES: u64 = 2_000_000_000;

/// Rows a part starts with; a part written larger than the limit is written again in halves.
const PART_ROWS: usize = 4_000_000;

/// The part size limit: `COSTLENS_EXPORT_MAX_PART_BYTES` lowers it (tests split small data).
fn part_limit() -> u64 {
    std::env::var("COSTLENS_EXPORT_MAX_PART_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v| *v > 0)
        .map_or(MAX_PART_BYTES, |v: u64| v.min(MAX_PART_BYTES))
}

const DAY_MS: i64 = 86_400_000;

fn compact_day(ms: i64) -> String {
    iso_timestamp(ms)[..10].replace('-', "")
}

/// A blob of a run: its name under the folder, bytes and rows.
struct Part {
    name: String,
    bytes: u64,
    rows: usize,
}

/// Writes `df` (FOCUS 1.2 columns) as parts `part_0_NNNN.parquet` into `dir`, each under the
/// limit: a part that comes out too big is written again as two halves.
fn write_parts(
    df: DataFrame,
    dir: &Path,
    limit: u64,
    parts: &mut Vec<(String, u64, usize)>,
) -> Result<()> {
    let mut start = 0;
    while start < df.height() {
        let rows = PART_ROWS.min(df.height() - start);
        write_part(df.slice(start as i64, rows), dir, limit, parts)?;
        start += rows;
    }
    Ok(())
}

fn write_part(
    mut df: DataFrame,
    dir: &Path,
    limit: u64,
    parts: &mut Vec<(String, u64, usize)>,
) -> Result<()> {
    let name = format!("part_0_{:04}.parquet", parts.len() + 1);
    let path = dir.join(&name);
    write_parquet_file(&mut df, &path, ParquetCompression::Snappy)?;
    let bytes = std::fs::metadata(&path)
        .err_context(|| format!("{}: reading its size", path.display()))?
        .len();
    if bytes >= limit && df.height() > 1 {
        std::fs::remove_file(&path).err_context(|| format!("{}: removing", path.display()))?;
        let half = df.height() / 2;
        write_part(df.slice(0, half), dir, limit, parts)?;
        return write_part(df.slice(half as i64, df.height() - half), dir, limit, parts);
    }
    parts.push((name, bytes, df.height()));
    Ok(())
}

/// A run id in the form Cost Management gives (a GUID), from the hash of the run's parts.
fn run_id(dir: &Path, parts: &[(String, u64, usize)]) -> Result<String> {
    let mut hash = Sha256::new();
    for (name, _, _) in parts {
        let path = dir.join(name);
        hash.update(std::fs::read(&path).err_context(|| format!("{}: reading", path.display()))?);
    }
    let hex: String = hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// Writes the export folder into `dir`; returns the rows written.
pub fn write(lines: DataFrame, dir: &Path, periods: &[BillingPeriod]) -> Result<u64> {
    let limit = part_limit();
    let focus = parquet_frame(lines)?;
    // Each line's billing month: its billing period, else the month of its charge.
    let month_start = col(schema::BILLING_PERIOD_START)
        .fill_null(col(schema::CHARGE_PERIOD_START))
        .dt()
        .truncate(lit("1mo"));
    let keyed = focus
        .lazy()
        .with_column(month_start.alias("__month"))
        .sort(
            ["__month"],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .collect()
        .err_context(|| "grouping the lines by billing month".into())?;
    let months = frame::ints(&keyed, "__month")?;
    let freshness = frame::ints(&keyed, schema::CHARGE_PERIOD_END)?
        .into_iter()
        .flatten()
        .max();
    let mut distinct: Vec<i64> = months.iter().flatten().copied().collect();
    distinct.dedup();
    let mut total_rows = 0u64;
    let mut month_entries = Vec::new();
    for start in distinct {
        let mask: BooleanChunked = months.iter().map(|m| *m == Some(start)).collect();
        let month = keyed
            .filter(&mask)
            .and_then(|df| df.drop("__month"))
            .err_context(|| "selecting a month's lines".into())?;
        let end_day = chrono::DateTime::from_timestamp_millis(start)
            .map(|d| d.date_naive())
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .map(|d| {
                d.and_hms_opt(0, 0, 0)
                    .expect("midnight")
                    .and_utc()
                    .timestamp_millis()
            })
            .unwrap_or(start + 31 * DAY_MS);
        let range = format!("{}-{}", compact_day(start), compact_day(end_day - DAY_MS));
        let staging = dir.join(EXPORT_NAME).join(&range).join(".parts");
        std::fs::create_dir_all(&staging)
            .err_context(|| format!("{}: creating", staging.display()))?;
        let rows = month.height();
        let mut parts = Vec::new();
        write_parts(month, &staging, limit, &mut parts)?;
        let run = run_id(&staging, &parts)?;
        let run_dir = dir.join(EXPORT_NAME).join(&range).join(&run);
        std::fs::rename(&staging, &run_dir)
            .err_context(|| format!("{}: naming the run folder", run_dir.display()))?;
        let blobs: Vec<Part> = parts
            .into_iter()
            .map(|(name, bytes, rows)| Part {
                name: format!("{EXPORT_NAME}/{range}/{run}/{name}"),
                bytes,
                rows,
            })
            .collect();
        let manifest = json!({
            "manifestVersion": "2024-04-01",
            "byteCount": blobs.iter().map(|b| b.bytes).sum::<u64>(),
            "blobCount": blobs.len(),
            "dataRowCount": rows,
            "exportConfig": {
                "exportName": EXPORT_NAME,
                "resourceId": null,
                "dataVersion": "1.2",
                "apiVersion": null,
                "type": "FocusCost",
                "timeFrame": "Custom",
                "granularity": null,
            },
            "deliveryConfig": {
                "partitionData": true,
                "dataOverwriteBehavior": "OverwritePreviousReport",
                "fileFormat": "Parquet",
                "compressionMode": "Snappy",
                "containerUri": null,
                "rootFolderPath": "",
            },
            "runInfo": {
                "executionType": "OnDemand",
                "submittedTime": freshness.map(iso_timestamp),
                "runId": run,
                "startDate": iso_timestamp(start),
                "endDate": iso_timestamp(end_day),
            },
            "blobs": blobs.iter().map(|b| json!({
                "blobName": b.name,
                "byteCount": b.bytes,
                "dataRowCount": b.rows,
            })).collect::<Vec<_>>(),
        });
        let manifest_path = run_dir.join(MANIFEST);
        std::fs::write(
            &manifest_path,
            serde_json::to_string_pretty(&manifest).expect("JSON") + "\n",
        )
        .err_context(|| format!("{}: writing", manifest_path.display()))?;
        month_entries.push(json!({
            "month": &iso_timestamp(start)[..7],
            "billing_period_start": iso_timestamp(start),
            "billing_period_end": iso_timestamp(end_day),
            "rows": rows,
            "final": period_status(periods, start).map(|s| s.eq_ignore_ascii_case("Closed")),
            "manifest": format!("{EXPORT_NAME}/{range}/{run}/{MANIFEST}"),
        }));
        total_rows += rows as u64;
    }
    let metadata = json!({
        "generator": format!("costlens {}", env!("CARGO_PKG_VERSION")),
        "focus_version": "1.2",
        "dataset": "CostAndUsage",
        "data_freshness": freshness.map(iso_timestamp),
        "final_means": "the billing period is Closed in the input's FOCUS Billing Period dataset; null where the input has no status for it",
        "rows": total_rows,
        "months": month_entries,
    });
    let path = dir.join(METADATA);
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&metadata).expect("JSON") + "\n",
    )
    .err_context(|| format!("{}: writing", path.display()))?;
    Ok(total_rows)
}

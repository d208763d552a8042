//! `costlens convert`: the canonical dataset written out as a FOCUS 1.2 CostAndUsage dataset
//! (the rules in [`focus12`]), as parquet (streamed, typed), as CSV (times as ISO-8601 UTC,
//! text that would run as a formula in a spreadsheet prefixed with `'`), chosen by the output
//! file's extension, or as an export folder other tools ingest ([`export`]). Tags are JSON text
//! in every format; the columns costlens does not use are written after the canonical ones.

mod export;
pub mod focus12;

use std::path::Path;

use polars::prelude::*;

use crate::engine::validate;
use crate::error::{ErrContext, Error, Result};
use crate::import::focus_datasets::BillingPeriod;
use crate::money::Money;
use crate::output;
use crate::report::table;
use crate::schema::{self, Kind};

/// The FOCUS version `convert` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FocusTarget {
    #[default]
    V1_2,
    V1_3,
}

impl std::str::FromStr for FocusTarget {
    type Err = String;
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        match text {
            "1.2" => Ok(FocusTarget::V1_2),
            "1.3" => Ok(FocusTarget::V1_3),
            other => Err(format!(
                "'{other}' is not a FOCUS version costlens writes (1.2)"
            )),
        }
    }
}

/// What a conversion needs besides the lines.
#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    pub version: FocusTarget,
    /// The input's FOCUS Billing Period dataset: which months are final, for an export folder.
    pub billing_periods: &'a [BillingPeriod],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Parquet,
    Csv,
    /// A folder (`--out DIR/`, or an existing folder): see [`export`].
    Folder,
}

impl OutputFormat {
    pub fn from_path(path: &Path) -> Result<Self> {
        if path.as_os_str().to_string_lossy().ends_with('/') || path.is_dir() {
            return Ok(OutputFormat::Folder);
        }
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("parquet") => Ok(OutputFormat::Parquet),
            Some("csv") => Ok(OutputFormat::Csv),
            _ => Err(Error::Usage(format!(
                "{}: the output must end in .parquet or .csv, or be a folder (end it with /)",
                path.display()
            ))),
        }
    }
}

/// Writes the canonical frame to `out` atomically as FOCUS 1.2; returns the number of rows
/// written.
pub fn write(frame: LazyFrame, out: &Path) -> Result<u64> {
    write_with(frame, out, &Options::default())
}

/// [`write`], with the FOCUS version and the input's billing periods given.
pub fn write_with(frame: LazyFrame, out: &Path, options: &Options) -> Result<u64> {
    if options.version == FocusTarget::V1_3 {
        return Err(Error::Usage(
            "--focus-version 1.3 is not available yet: costlens does not write the 1.3 rules \
             (ServiceProviderName, HostProviderName, ContractApplied, split allocation); use \
             --focus-version 1.2"
                .into(),
        ));
    }
    let format = OutputFormat::from_path(out)?;
    let mut rows = 0;
    if format == OutputFormat::Folder {
        output::write_dir(out, |temp| {
            rows = export::write(collect_lines(frame)?, temp, options.billing_periods)?;
            Ok(())
        })?;
        return Ok(rows);
    }
    output::write_file(out, |temp| {
        rows = match format {
            OutputFormat::Parquet => write_parquet(frame, temp)?,
            OutputFormat::Csv => write_csv(frame, temp)?,
            OutputFormat::Folder => unreachable!("written above"),
        };
        Ok(())
    })?;
    Ok(rows)
}

/// The columns of a collected canonical frame beside the canonical ones, in order.
fn extra_columns(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .into_iter()
        .filter(|n| {
            !schema::COLUMNS
                .iter()
                .any(|c| c.name == n.as_str() || focus12::output_name(c.name) == n.as_str())
        })
        .map(|n| n.to_string())
        .collect()
}

/// The lines as FOCUS 1.2 columns: each canonical column by [`focus12::column`] with money,
/// timestamps and tags written by the given functions, then the kept columns as they are.
fn focus_columns(
    df: &DataFrame,
    mut write: impl FnMut(&schema::Column, Expr) -> Expr,
) -> Vec<Expr> {
    let mut columns: Vec<Expr> = schema::COLUMNS
        .iter()
        .map(|c| {
            let name = focus12::output_name(c.name);
            write(c, focus12::column(c, &tags_to_json)).alias(name)
        })
        .collect();
    columns.extend(extra_columns(df).into_iter().map(|n| col(n.as_str())));
    columns
}

/// The collected lines as a FOCUS 1.2 parquet frame (typed; tags as JSON text).
fn parquet_frame(df: DataFrame) -> Result<DataFrame> {
    let columns = focus_columns(&df, |_, e| e);
    df.lazy()
        .select(columns)
        .collect()
        .err_context(|| "applying the FOCUS 1.2 rules".into())
}

fn write_parquet_file(
    df: &mut DataFrame,
    path: &Path,
    compression: ParquetCompression,
) -> Result<()> {
    let file =
        std::fs::File::create(path).err_context(|| format!("{}: creating", path.display()))?;
    ParquetWriter::new(file)
        .with_compression(compression)
        .finish(df)
        .err_context(|| format!("{}: writing parquet", path.display()))?;
    Ok(())
}

/// The canonical lines, collected, each with a currency and a start in range (see
/// [`validate`]): a converted dataset never holds lines no total could count.
fn collect_lines(frame: LazyFrame) -> Result<DataFrame> {
    let df = frame
        .collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .err_context(|| "reading the input".into())?;
    validate::check_lines(&df, schema::CHARGE_PERIOD_START)?;
    validate::check_instants(&df, schema::CHARGE_PERIOD_END, false)?;
    Ok(df)
}

fn write_parquet(frame: LazyFrame, temp: &Path) -> Result<u64> {
    let mut df = parquet_frame(collect_lines(frame)?)?;
    write_parquet_file(&mut df, temp, ParquetCompression::Zstd(None))?;
    Ok(df.height() as u64)
}

fn write_csv(frame: LazyFrame, temp: &Path) -> Result<u64> {
    let lines = collect_lines(frame)?;
    let text_columns = focus_columns(&lines, |c, e| match c.kind {
        Kind::Timestamp => e.dt().to_string("%Y-%m-%dT%H:%M:%SZ"),
        Kind::Money => money_to_text(e),
        _ => e,
    });
    let mut df = lines
        .lazy()
        .select(text_columns)
        .collect()
        .err_context(|| "writing the lines as text".into())?;
    protect_text_cells(&mut df).err_context(|| "protecting text cells".into())?;
    let file =
        std::fs::File::create(temp).err_context(|| format!("{}: creating", temp.display()))?;
    CsvWriter::new(file)
        .include_header(true)
        .finish(&mut df)
        .err_context(|| format!("{}: writing CSV", temp.display()))?;
    Ok(df.height() as u64)
}

/// Text a spreadsheet would run as a formula gets a leading apostrophe, as in every CSV of the
/// report folder ([`table::neutralize`]). Only the text columns of the schema: money,
/// quantities and timestamps are written as text here too, but they are numbers and dates,
/// and `-5` must stay a number.
fn protect_text_cells(df: &mut DataFrame) -> PolarsResult<()> {
    let mut text_columns: Vec<String> = schema::COLUMNS
        .iter()
        .filter(|c| matches!(c.kind, Kind::Text | Kind::Tags))
        .map(|c| focus12::output_name(c.name).to_string())
        .collect();
    text_columns.extend(extra_columns(df));
    for name in &text_columns {
        let protected = df
            .column(name)?
            .str()?
            .apply_into_string_amortized(|cell, out| {
                if table::is_formula_like(cell) {
                    out.push('\'');
                }
                out.push_str(cell);
            });
        df.with_column(protected.into_column())?;
    }
    Ok(())
}

/// Money as its exact decimal text, without the trailing zeros of the 12-decimal column
/// (`3`, `2.5`, `0.000000000001`).
fn money_to_text(money: Expr) -> Expr {
    money.map(
        |column| {
            let decimals = column.decimal()?;
            let text: StringChunked = decimals
                .physical()
                .iter()
                .map(|pico| pico.map(|p| Money::from_pico(p).to_string()))
                .collect();
            Ok(text.with_name(column.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}

/// The canonical tag list as a FOCUS JSON object (keys sorted, so output is deterministic).
pub fn tags_to_json(tags: Expr) -> Expr {
    tags.map(
        |column| {
            let list = column.list()?;
            let json: StringChunked = list
                .amortized_iter()
                .map(|entries| {
                    let entries = entries?;
                    let pairs = entries.as_ref().struct_().ok()?;
                    let keys = pairs.field_by_name(schema::TAG_KEY).ok()?;
                    let values = pairs.field_by_name(schema::TAG_VALUE).ok()?;
                    let mut object = serde_json::Map::new();
                    for (k, v) in keys.str().ok()?.iter().zip(values.str().ok()?.iter()) {
                        if let (Some(k), Some(v)) = (k, v) {
                            object.insert(k.to_string(), serde_json::Value::String(v.to_string()));
                        }
                    }
                    Some(serde_json::Value::Object(object).to_string())
                })
                .collect();
            Ok(json.with_name(column.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}

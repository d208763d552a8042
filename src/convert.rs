//! `costlens convert`: the canonical dataset written out with FOCUS column names, as parquet
//! (streamed, typed, Tags as a list of {key, value}) or as CSV (Tags as a JSON object, times as
//! ISO-8601 UTC, text that would run as a formula in a spreadsheet prefixed with `'`), chosen by
//! the output file's extension.

use std::path::Path;

use polars::prelude::*;

use crate::engine::validate;
use crate::error::{ErrContext, Error, Result};
use crate::money::Money;
use crate::output;
use crate::report::table;
use crate::schema::{self, Kind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Parquet,
    Csv,
}

impl OutputFormat {
    pub fn from_path(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("parquet") => Ok(OutputFormat::Parquet),
            Some("csv") => Ok(OutputFormat::Csv),
            _ => Err(Error::Usage(format!(
                "{}: the output file must end in .parquet or .csv",
                path.display()
            ))),
        }
    }
}

/// Writes the canonical frame to `out` atomically; returns the number of rows written.
pub fn write(frame: LazyFrame, out: &Path) -> Result<u64> {
    let format = OutputFormat::from_path(out)?;
    let mut rows = 0;
    output::write_file(out, |temp| {
        rows = match format {
            OutputFormat::Parquet => write_parquet(frame, temp)?,
            OutputFormat::Csv => write_csv(frame, temp)?,
        };
        Ok(())
    })?;
    Ok(rows)
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
    let mut df = collect_lines(frame)?;
    let file =
        std::fs::File::create(temp).err_context(|| format!("{}: creating", temp.display()))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)
        .err_context(|| format!("{}: writing parquet", temp.display()))?;
    Ok(df.height() as u64)
}

fn write_csv(frame: LazyFrame, temp: &Path) -> Result<u64> {
    let text_columns: Vec<Expr> = schema::COLUMNS
        .iter()
        .map(|c| match c.kind {
            Kind::Timestamp => col(c.name).dt().to_string("%Y-%m-%dT%H:%M:%SZ"),
            Kind::Tags => tags_to_json(col(c.name)),
            Kind::Money => money_to_text(col(c.name)),
            _ => col(c.name),
        })
        .collect();
    let mut df = collect_lines(frame)?
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
    let text_columns: Vec<&str> = schema::COLUMNS
        .iter()
        .filter(|c| matches!(c.kind, Kind::Text | Kind::Tags))
        .map(|c| c.name)
        .collect();
    for name in text_columns {
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

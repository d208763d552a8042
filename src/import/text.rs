//! CSV plumbing shared by the CSV importers: gzip detection, the header, reading every cell as
//! text, checking the shape (no duplicate column, no ragged row), and checking numbers and timestamps cell by cell so a bad value is reported with its
//! line and column instead of surfacing as a wrong total.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use polars::prelude::*;

use crate::error::{ErrContext, Error, Result};

fn open(path: &Path, gzip: bool) -> Result<Box<dyn Read>> {
    let file = File::open(path).err_context(|| format!("{}: opening", path.display()))?;
    Ok(if gzip {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    })
}

fn is_gzip(path: &Path) -> Result<bool> {
    let mut magic = [0u8; 2];
    let mut file = File::open(path).err_context(|| format!("{}: opening", path.display()))?;
    let n = file
        .read(&mut magic)
        .err_context(|| format!("{}: reading", path.display()))?;
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

/// The header row's column names.
pub fn read_header(path: &Path, gzip: bool) -> Result<Vec<String>> {
    let mut line = String::new();
    BufReader::new(open(path, gzip)?)
        .read_line(&mut line)
        .map_err(|e| Error::input(path, format!("cannot read the header: {e}")))?;
    let line = line.trim_start_matches('\u{feff}').trim_end();
    if line.is_empty() {
        return Err(Error::input(path, "empty file (no header row)"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let record = reader
        .records()
        .next()
        .transpose()
        .map_err(|e| Error::input(path, format!("cannot parse the header: {e}")))?
        .unwrap_or_default();
    Ok(record.iter().map(|s| s.trim().to_string()).collect())
}

/// Reads the whole file (decompressing gzip completely first, so a truncated archive is an
/// error, not a short dataset) with every cell as text. The literal `NULL` is null.
pub fn read_all_text(path: &Path) -> Result<DataFrame> {
    let gzip = is_gzip(path)?;
    let mut bytes = Vec::new();
    open(path, gzip)?.read_to_end(&mut bytes).map_err(|e| {
        if gzip {
            Error::input(path, format!("corrupt or truncated gzip: {e}"))
        } else {
            Error::input(path, format!("cannot read: {e}"))
        }
    })?;
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    check_shape(path, &bytes)?;
    let parse = CsvParseOptions::default()
        .with_null_values(Some(NullValues::AllColumnsSingle("NULL".into())))
        .with_missing_is_null(true);
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_parse_options(parse)
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::input(path, format!("malformed CSV: {e}")))?;
    if df.height() == 0 {
        return Err(Error::input(path, "no data rows after the header"));
    }
    Ok(df)
}

/// No column name twice in the header (which one would be read is a guess), and every row with
/// one field per column: a short row would read as empty cells in some tools and be dropped by
/// others, so it is an error naming its line and the first column it lacks.
fn check_shape(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let malformed = |e: csv::Error| Error::input(path, format!("malformed CSV: {e}"));
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(malformed)? {
        return Ok(());
    }
    let header: Vec<String> = record
        .iter()
        .map(|name| String::from_utf8_lossy(name).trim().to_string())
        .collect();
    for (i, name) in header.iter().enumerate() {
        if header[..i].contains(name) {
            return Err(Error::column(
                path,
                name,
                "appears twice in the header; rename or remove one",
            ));
        }
    }
    while reader.read_byte_record(&mut record).map_err(malformed)? {
        if record.len() == header.len() {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        return Err(Error::input(
            path,
            if record.len() < header.len() {
                format!(
                    "line {line}: {} of {} fields, no value for column '{}' onwards (a \
                     truncated or shifted row)",
                    record.len(),
                    header.len(),
                    header[record.len()]
                )
            } else {
                format!(
                    "line {line}: {} fields, but the header has {} columns",
                    record.len(),
                    header.len()
                )
            },
        ));
    }
    Ok(())
}

/// Line number in the file of data row `row` (0-based): the header is line 1.
fn line_of(row: usize) -> u64 {
    row as u64 + 2
}

/// Fails on the first cell of `column` that is present (not blank) but not `valid`.
fn check_cells(
    df: &DataFrame,
    path: &Path,
    column: &str,
    expected: &str,
    valid: impl Fn(&str) -> bool,
) -> Result<()> {
    let Ok(values) = df.column(column) else {
        return Ok(());
    };
    let text = values.str().err_context(|| path.display().to_string())?;
    for (row, cell) in text.iter().enumerate() {
        if let Some(cell) = cell {
            let trimmed = cell.trim();
            if !trimmed.is_empty() && !valid(trimmed) {
                return Err(Error::Cell {
                    path: path.into(),
                    line: line_of(row),
                    column: column.into(),
                    expected: expected.into(),
                    found: cell.into(),
                });
            }
        }
    }
    Ok(())
}

/// Fails on the first cell of `column` that is present but not a number.
pub fn check_numbers(df: &DataFrame, path: &Path, column: &str) -> Result<()> {
    check_cells(df, path, column, "a number", |c| c.parse::<f64>().is_ok())
}

/// Fails on the first cell of `column` that is present but not an ISO-8601 UTC timestamp.
pub fn check_timestamps(df: &DataFrame, path: &Path, column: &str) -> Result<()> {
    check_cells(
        df,
        path,
        column,
        "a UTC timestamp like 2024-09-01T00:00:00Z",
        |c| normalize_timestamp(c).is_some(),
    )
}

/// `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|+00:00]` into `YYYY-MM-DD HH:MM:SS`; anything
/// else (including a non-UTC offset) is rejected.
fn normalize_timestamp(s: &str) -> Option<String> {
    let (date, time) = match s.len() {
        10 => (s, "00:00:00"),
        n if n >= 19 => (&s[..10], &s[11..19]),
        _ => return None,
    };
    if s.len() >= 19 {
        let sep = s.as_bytes()[10];
        if sep != b'T' && sep != b' ' {
            return None;
        }
        let mut rest = &s[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = &frac[digits..];
        }
        if !matches!(rest, "" | "Z" | "+00:00" | "+0000" | " UTC") {
            return None;
        }
    }
    let joined = format!("{date} {time}");
    chrono::NaiveDateTime::parse_from_str(&joined, "%Y-%m-%d %H:%M:%S").ok()?;
    Some(joined)
}

/// Text timestamps (checked by [`check_timestamps`]) into UTC datetimes.
pub fn parse_timestamp(text: Expr) -> Expr {
    let trimmed = text.str().strip_chars(lit(NULL));
    let date_only = trimmed.clone().str().len_chars().eq(lit(10u32));
    let normalized =
        when(date_only)
            .then(concat_str([trimmed.clone(), lit(" 00:00:00")], "", false))
            .otherwise(trimmed.str().slice(lit(0), lit(19)).str().replace(
                lit("T"),
                lit(" "),
                true,
            ));
    normalized.str().to_datetime(
        Some(TimeUnit::Milliseconds),
        Some(TimeZone::UTC),
        StrptimeOptions {
            format: Some("%Y-%m-%d %H:%M:%S".into()),
            strict: false,
            exact: true,
            cache: true,
        },
        lit("raise"),
    )
}

/// A text or numeric column as f64 (text checked by [`check_numbers`]).
pub fn parse_number(text: Expr) -> Expr {
    text.str().strip_chars(lit(NULL)).cast(DataType::Float64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_the_shapes_billing_files_use() {
        for s in [
            "2023-11-01T00:00:00.000Z",
            "2024-09-01 00:00:00",
            "2024-09-01T00:00:00Z",
            "2024-09-01T00:00:00+00:00",
            "2024-09-01",
        ] {
            assert!(normalize_timestamp(s).is_some(), "{s}");
        }
        assert_eq!(
            normalize_timestamp("2023-11-01T05:00:00.000Z").unwrap(),
            "2023-11-01 05:00:00"
        );
        for s in [
            "yesterday",
            "2024-09-01T00:00:00+02:00",
            "2024-13-01",
            "01/09/2024",
        ] {
            assert!(normalize_timestamp(s).is_none(), "{s}");
        }
    }

    #[test]
    fn parse_timestamp_expr_agrees() {
        let df =
            df!("t" => ["2023-11-01T05:00:00.000Z", "2024-09-01 01:02:03", "2024-09-01"]).unwrap();
        let out = df
            .lazy()
            .select([parse_timestamp(col("t"))])
            .collect()
            .unwrap();
        let ms = crate::engine::frame::ints(&out, "t").unwrap();
        assert_eq!(
            ms,
            vec![
                Some(1_698_814_800_000),
                Some(1_725_152_523_000),
                Some(1_725_148_800_000)
            ]
        );
    }
}

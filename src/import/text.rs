//! CSV plumbing shared by the CSV importers: gzip detection, the header, reading every cell as
//! text, checking the shape (no duplicate column, no ragged row), and checking numbers and timestamps cell by cell so a bad value is reported with its
//! line and column instead of surfacing as a wrong total.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use polars::prelude::*;

use crate::error::{ErrContext, Error, Result};
use crate::money::{self, Money};

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

/// How much of a text file is looked at before it is read: enough for any real header and
/// first lines, and a bounded read whatever the file holds (a sparse file, a binary blob).
const SNIFF_BYTES: usize = 64 << 10;

/// Where the first NUL byte is: CSV text never has one, a sparse hole or a binary file does.
fn first_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == 0)
}

fn binary(path: &Path, at: usize) -> Error {
    Error::input(
        path,
        format!("binary content (a NUL byte at byte {at}): not CSV text"),
    )
}

/// Refuses a file whose first bytes are not UTF-8 text, within a bounded read.
pub fn check_is_text(path: &Path, gzip: bool) -> Result<()> {
    let mut start = Vec::with_capacity(SNIFF_BYTES);
    open(path, gzip)?
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut start)
        .map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    if let Some(at) = first_nul(&start) {
        return Err(binary(path, at));
    }
    match std::str::from_utf8(&start) {
        // A character cut by the end of the read is fine.
        Err(e) if e.error_len().is_some() => Err(Error::input(
            path,
            format!("not UTF-8 text (byte {}): not a CSV file", e.valid_up_to()),
        )),
        _ => Ok(()),
    }
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
    let mut reader = open(path, gzip)?;
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut chunk).map_err(|e| {
            if gzip {
                Error::input(path, format!("corrupt or truncated gzip: {e}"))
            } else {
                Error::input(path, format!("cannot read: {e}"))
            }
        })?;
        if n == 0 {
            break;
        }
        // Stops at the first NUL: a sparse or binary tail is refused, not read into memory.
        if let Some(at) = first_nul(&chunk[..n]) {
            return Err(binary(path, bytes.len() + at));
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
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

/// Fails on the first line whose `column` is empty: a line without its currency or its start
/// cannot be counted in any total.
pub fn check_present(df: &DataFrame, path: &Path, column: &str) -> Result<()> {
    let Ok(values) = df.column(column) else {
        return Ok(());
    };
    let text = values.str().err_context(|| path.display().to_string())?;
    match text
        .iter()
        .position(|cell| cell.is_none_or(|c| c.trim().is_empty()))
    {
        Some(row) => Err(Error::Cell {
            path: path.into(),
            line: line_of(row),
            column: column.into(),
            expected: "a value (every line needs one)".into(),
            found: text.get(row).unwrap_or_default().into(),
        }),
        None => Ok(()),
    }
}

/// Fails on the first cell of `column` that is present but not a finite number.
pub fn check_numbers(df: &DataFrame, path: &Path, column: &str) -> Result<()> {
    check_cells(df, path, column, "a finite number", |c| {
        c.parse::<f64>().is_ok_and(f64::is_finite)
    })
}

/// Fails on the first cell of `column` that is present but not an amount of money (decimal
/// text below the line limit, see [`Money::parse_line`]).
pub fn check_money(df: &DataFrame, path: &Path, column: &str) -> Result<()> {
    let expected = format!("an amount of money ({})", money::limit_text());
    check_cells(df, path, column, &expected, |c| {
        Money::parse_line(c).is_some()
    })
}

/// What the timestamp checks and parser accept, for error messages.
pub const TIMESTAMP_FORMATS: &str = "an ISO-8601 timestamp like 2024-09-01T00:00:00Z (a date, \
     optional seconds and fraction, Z or an offset like -04:00), from 1970 to 9999";

/// Fails on the first cell of `column` that is present but not a timestamp
/// ([`parse_instant`]).
pub fn check_timestamps(df: &DataFrame, path: &Path, column: &str) -> Result<()> {
    check_cells(df, path, column, TIMESTAMP_FORMATS, |c| {
        parse_instant(c).is_some()
    })
}

/// Reads the next `n` ASCII digits as a number.
fn digits(bytes: &[u8], at: &mut usize, n: usize) -> Option<u32> {
    let chunk = bytes.get(*at..*at + n)?;
    if !chunk.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *at += n;
    Some(chunk.iter().fold(0, |v, d| v * 10 + u32::from(d - b'0')))
}

/// An ISO-8601 timestamp as billing files write it, as epoch milliseconds (UTC):
/// `YYYY-MM-DD`, or `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]` then nothing (UTC, as AWS writes
/// them), `Z`, ` UTC` or an offset (`+02:00`, `-0400`, `+05`), converted to UTC. Anything
/// else is `None`: other orders (`09/01/2024`), a leap second, a day that does not exist, a
/// year before 1970 or after 9999. Works on bytes, so any text is safe to give.
pub fn parse_instant(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let mut at = 0;
    let year = digits(b, &mut at, 4)?;
    let dash = |at: &mut usize| (b.get(*at) == Some(&b'-')).then(|| *at += 1);
    dash(&mut at)?;
    let month = digits(b, &mut at, 2)?;
    dash(&mut at)?;
    let day = digits(b, &mut at, 2)?;
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let (mut hour, mut minute, mut second, mut milli) = (0, 0, 0, 0);
    let mut offset_minutes: i64 = 0;
    if at < b.len() {
        if !matches!(b[at], b'T' | b't' | b' ') {
            return None;
        }
        at += 1;
        hour = digits(b, &mut at, 2)?;
        (b.get(at) == Some(&b':')).then(|| at += 1)?;
        minute = digits(b, &mut at, 2)?;
        if b.get(at) == Some(&b':') {
            at += 1;
            second = digits(b, &mut at, 2)?;
            if matches!(b.get(at), Some(b'.' | b',')) {
                at += 1;
                let first = at;
                while b.get(at).is_some_and(u8::is_ascii_digit) {
                    at += 1;
                }
                if at == first {
                    return None;
                }
                // Milliseconds: the first three digits; finer digits are dropped.
                let fraction = &b[first..at];
                milli = (0..3).fold(0, |ms, i| {
                    ms * 10 + fraction.get(i).map_or(0, |d| u32::from(d - b'0'))
                });
            }
        }
        match &b[at..] {
            b"" | b"Z" | b"z" | b" UTC" | b"UTC" => {}
            zone => {
                let sign = match zone.first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let mut z = 1;
                let zone_hours = digits(zone, &mut z, 2)?;
                if zone.get(z) == Some(&b':') {
                    z += 1;
                }
                let zone_minutes = if z < zone.len() {
                    digits(zone, &mut z, 2)?
                } else {
                    0
                };
                if z != zone.len() || zone_hours > 23 || zone_minutes > 59 {
                    return None;
                }
                offset_minutes = sign * i64::from(zone_hours * 60 + zone_minutes);
            }
        }
    }
    // from_hms_milli_opt takes a leap second as 59 s + 1000 ms; billing data has none.
    if second > 59 {
        return None;
    }
    let time = chrono::NaiveTime::from_hms_milli_opt(hour, minute, second, milli)?;
    let ms = date.and_time(time).and_utc().timestamp_millis() - offset_minutes * 60_000;
    (crate::period::EARLIEST_MS..crate::period::END_OF_TIME_MS)
        .contains(&ms)
        .then_some(ms)
}

/// Text timestamps (checked by [`check_timestamps`]) into UTC datetimes; a cell that is not
/// one fails the query, naming its text.
pub fn parse_timestamp(text: Expr) -> Expr {
    text.map(
        |column| {
            let cells = column.str()?;
            let ms: Int64Chunked = cells
                .iter()
                .map(|cell| {
                    cell.filter(|c| !c.trim().is_empty())
                        .map(|c| {
                            parse_instant(c).ok_or_else(
                                || polars_err!(ComputeError: "'{c}' is not {TIMESTAMP_FORMATS}"),
                            )
                        })
                        .transpose()
                })
                .collect::<PolarsResult<_>>()?;
            Ok(ms
                .with_name(column.name().clone())
                .into_series()
                .cast(&crate::schema::timestamp_dtype())?
                .into_column())
        },
        |_, field| {
            Ok(Field::new(
                field.name().clone(),
                crate::schema::timestamp_dtype(),
            ))
        },
    )
}

/// A text column of quantities as f64 (checked by [`check_numbers`]).
pub fn parse_number(text: Expr) -> Expr {
    text.str().strip_chars(lit(NULL)).cast(DataType::Float64)
}

/// A text column of money (checked by [`check_money`]) as exact pico-units; a cell that is
/// not an amount fails the query, naming its text.
pub fn parse_money(text: Expr) -> Expr {
    text.map(
        |column| {
            let cells = column.str()?;
            let pico: Vec<Option<i128>> = cells
                .iter()
                .map(|cell| {
                    cell.filter(|c| !c.trim().is_empty())
                        .map(|c| {
                            Money::parse_line(c).map(Money::pico).ok_or_else(|| {
                                polars_err!(ComputeError: "'{c}' is not {}", money::limit_text())
                            })
                        })
                        .transpose()
                })
                .collect::<PolarsResult<_>>()?;
            Ok(
                Int128Chunked::from_iter_options(column.name().clone(), pico.into_iter())
                    .into_decimal_unchecked(crate::schema::MONEY_PRECISION, money::SCALE)
                    .into_column(),
            )
        },
        |_, field| {
            Ok(Field::new(
                field.name().clone(),
                crate::schema::money_dtype(),
            ))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-09-01T00:00:00Z.
    const SEP_1: i64 = 1_725_148_800_000;

    #[test]
    fn timestamps_in_the_shapes_billing_files_use() {
        for s in [
            "2024-09-01T00:00:00.000Z",
            "2024-09-01 00:00:00",
            "2024-09-01T00:00:00Z",
            "2024-09-01T00:00:00+00:00",
            "2024-09-01T00:00Z",
            "2024-09-01",
            " 2024-09-01 00:00:00 UTC ",
        ] {
            assert_eq!(parse_instant(s), Some(SEP_1), "{s}");
        }
        assert_eq!(
            parse_instant("2023-11-01T05:00:00.123456Z"),
            Some(1_698_814_800_123)
        );
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        // Midnight in New York (EDT, UTC-4) is 04:00 UTC; the month stays September.
        let four_am = SEP_1 + 4 * 3_600_000;
        for s in [
            "2024-09-01T00:00:00-04:00",
            "2024-09-01T00:00:00-0400",
            "2024-09-01 00:00:00-04",
        ] {
            assert_eq!(parse_instant(s), Some(four_am), "{s}");
        }
        // 01:30 in Kolkata (UTC+5:30) is 20:00 UTC the day before: August.
        assert_eq!(
            parse_instant("2024-09-01T01:30:00+05:30"),
            Some(SEP_1 - 4 * 3_600_000)
        );
    }

    #[test]
    fn anything_else_is_refused_without_panicking() {
        for s in [
            "yesterday",
            "01/09/2024",
            "09/01/2024 00:00",
            "2024-13-01",
            "2024-02-30",
            "2024-09-01T24:00:00Z",
            "2016-12-31T23:59:60Z",
            "2024-09-01T00:00:00+25:00",
            "2024-09-01T00:00:00 EST",
            "2024-09-01garbage",
            "2024-09-0１",
            "２０２４-09-01T00:00:00Z",
            "2024-09-01T00:00:00.Z",
            "1969-12-31T23:59:59Z",
            "+275760-09-13",
            "",
        ] {
            assert_eq!(parse_instant(s), None, "{s}");
        }
    }

    #[test]
    fn parse_timestamp_expr_agrees() {
        let df = df!("t" => [Some("2023-11-01T05:00:00.000Z"), Some("2024-09-01 01:02:03"), Some("2024-09-01"), None, Some(" ")])
            .unwrap();
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
                Some(1_725_148_800_000),
                None,
                None,
            ]
        );
        let bad = df!("t" => ["2024-09-01", "soon"]).unwrap();
        let err = bad
            .lazy()
            .select([parse_timestamp(col("t"))])
            .collect()
            .unwrap_err()
            .to_string();
        assert!(err.contains("'soon'"), "{err}");
    }

    #[test]
    fn parse_money_expr_is_exact() {
        let df = df!("m" => [Some("12345678901234.567891"), Some("4.0E-7"), None]).unwrap();
        let out = df.lazy().select([parse_money(col("m"))]).collect().unwrap();
        let pico: Vec<Option<i128>> = out
            .column("m")
            .unwrap()
            .decimal()
            .unwrap()
            .physical()
            .iter()
            .collect();
        assert_eq!(
            pico,
            vec![
                Some(12_345_678_901_234_567_891_000_000),
                Some(400_000),
                None
            ]
        );
    }
}

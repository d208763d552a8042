//! Spreadsheet-safe CSV: a header row, RFC 4180 quoting, ISO dates, full-precision numbers
//! with `.` decimals, and text cells that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-`, `@` or their full-width forms, also after leading white space or line
//! breaks, or with tab or CR) neutralised with a leading `'`. Numbers stay numbers: only
//! text cells are ever prefixed.

use std::io::Write;

use crate::error::{Error, Result};
use crate::money::Money;

/// One cell; the kind decides how it is written and whether it is protected.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// Exact money, every digit.
    Money(Money),
    Integer(i64),
    Bool(bool),
    /// Epoch milliseconds, written as an ISO-8601 UTC timestamp.
    Time(i64),
    /// Epoch milliseconds, written as an ISO date.
    Date(i64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn opt_text(s: &Option<String>) -> Cell {
        s.as_ref().map_or(Cell::Empty, |s| Cell::Text(s.clone()))
    }

    pub fn opt_number(x: Option<f64>) -> Cell {
        x.map_or(Cell::Empty, Cell::Number)
    }
}

/// Characters a spreadsheet starts a formula with, in ASCII and full width (which some
/// spreadsheets fold to ASCII).
const FORMULA_STARTS: [char; 8] = [
    '=', '+', '-', '@', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}',
];

/// Whether a spreadsheet could run `text` as a formula: it starts with a formula character,
/// possibly after white space or line breaks (which spreadsheets skip), or with a tab or a
/// carriage return.
pub fn is_formula_like(text: &str) -> bool {
    matches!(text.chars().next(), Some('\t' | '\r' | '\n'))
        || text
            .trim_start()
            .starts_with(|c: char| FORMULA_STARTS.contains(&c))
}

impl From<f64> for Cell {
    fn from(x: f64) -> Cell {
        Cell::Number(x)
    }
}

impl From<Money> for Cell {
    fn from(x: Money) -> Cell {
        Cell::Money(x)
    }
}

/// A text cell a spreadsheet would evaluate gets a leading apostrophe.
pub fn neutralize(text: &str) -> String {
    if is_formula_like(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Shortest text that reads back as the same f64 (Rust's `{}` formatting), never exponent
/// notation for the magnitudes money has, and `-0` written as `0`.
pub fn number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if !x.is_finite() {
        return String::new();
    }
    let text = format!("{x}");
    if text.contains('e') {
        format!("{x:.12}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        text
    }
}

fn render(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => neutralize(s),
        Cell::Number(x) => number(*x),
        Cell::Money(x) => x.to_string(),
        Cell::Integer(i) => i.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Time(ms) => crate::period::iso_timestamp(*ms),
        Cell::Date(ms) => crate::period::iso_timestamp(*ms)[..10].to_string(),
        Cell::Empty => String::new(),
    }
}

/// Writes a header and rows as CSV.
pub fn write_csv(out: impl Write, header: &[&str], rows: &[Vec<Cell>]) -> Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    let fail = |e: csv::Error| Error::Usage(format!("writing CSV: {e}"));
    w.write_record(header).map_err(fail)?;
    for row in rows {
        debug_assert_eq!(row.len(), header.len());
        w.write_record(row.iter().map(render)).map_err(fail)?;
    }
    w.flush().map_err(|e| Error::io("writing CSV", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_are_not() {
        let mut out = Vec::new();
        write_csv(
            &mut out,
            &["tag", "cost", "note"],
            &[
                vec![
                    Cell::text("=HYPERLINK(\"http://x\")"),
                    Cell::Number(-12.5),
                    Cell::text("-x"),
                ],
                vec![
                    Cell::text("@SUM(A1)"),
                    Cell::Number(0.1 + 0.2),
                    Cell::text("a,b \"q\""),
                ],
                vec![Cell::text("\tcmd"), Cell::Integer(-3), Cell::text("+1")],
            ],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "tag,cost,note\r\n\
             \"'=HYPERLINK(\"\"http://x\"\")\",-12.5,'-x\r\n\
             '@SUM(A1),0.30000000000000004,\"a,b \"\"q\"\"\"\r\n\
             '\tcmd,-3,'+1\r\n"
        );
    }

    #[test]
    fn full_width_and_indented_formulas_are_neutralised() {
        for risky in [
            "\u{ff1d}HYPERLINK(\"http://x\")",
            "\u{ff0b}1",
            "\u{ff0d}1",
            "\u{ff20}SUM(A1)",
            " =1+1",
            "\n=1+1",
            "\u{3000}=1",
            "\r\n@x",
        ] {
            assert_eq!(neutralize(risky), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["a=1", "web", "x - y", "", "1e3"] {
            assert_eq!(neutralize(safe), safe);
        }
    }

    #[test]
    fn numbers_keep_full_precision_without_exponents() {
        assert_eq!(number(1234.5678), "1234.5678");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(1e-7), "0.0000001");
        assert_eq!(number(3.0), "3");
        assert_eq!("0.30000000000000004".parse::<f64>().unwrap(), 0.1 + 0.2);
    }
}

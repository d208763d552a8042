//! Report tables as typed cells, and their spreadsheet-ready CSV: a header row, RFC 4180
//! quoting, `.` decimals, money to the cent, percentages to 2 decimals, other figures to at
//! most 4, never a negative zero; dates as `YYYY-MM-DD` and instants as `YYYY-MM-DD HH:MM:SS`
//! (UTC), which spreadsheets read as dates rather than text; and text cells that a spreadsheet
//! would run as a formula (starting with `=`, `+`, `-`, `@` or their full-width forms, also
//! after leading white space or line breaks, or with tab or CR) neutralised with a leading `'`.
//! Numbers stay numbers: only text cells are ever prefixed. The workbook ([`super::xlsx`])
//! writes the same cells, rounded the same way.

use std::io::Write;

use crate::error::{Error, Result};
use crate::money::Money;

/// One cell; the kind decides how it is written and whether it is protected.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// An amount of money, exact: written to the cent, rounded half away from zero.
    Money(Money),
    /// A percentage (`88.77` for 88.77%): written to 2 decimals.
    Percent(f64),
    /// Any other figure (hours, instances, a rate per hour): at most 4 decimals.
    Number(f64),
    Integer(i64),
    Bool(bool),
    /// Epoch milliseconds, written as `YYYY-MM-DD HH:MM:SS` (UTC).
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

    pub fn opt_percent(x: Option<f64>) -> Cell {
        x.map_or(Cell::Empty, Cell::Percent)
    }

    /// The figure a number cell holds once rounded as it is written (None for other cells).
    pub fn rounded(&self) -> Option<f64> {
        match *self {
            // The cent's text, read back: exactly the CSV's figure.
            Cell::Money(m) => m.round_to(2).parse().ok(),
            Cell::Percent(x) => Some(round(x, 2)),
            Cell::Number(x) => Some(round(x, NUMBER_DECIMALS)),
            _ => None,
        }
    }
}

/// Decimals of a [`Cell::Number`]: enough for a rate per hour (0.0116 USD/h), no float noise.
const NUMBER_DECIMALS: u32 = 4;

/// `x` in units of `10^-decimals`, rounded half away from zero (the commercial rule, as on an
/// invoice), as a magnitude and whether it is negative; never a negative zero. None for NaN
/// and infinities.
pub fn scaled(x: f64, decimals: u32) -> Option<(u128, bool)> {
    if !x.is_finite() {
        return None;
    }
    // Whole units and the fraction apart: the fraction's scaling loses no cent even where
    // the amount itself has few decimals left (about 1e15).
    let scale = 10u128.pow(decimals);
    let whole = x.abs().trunc();
    let fraction = ((x.abs() - whole) * scale as f64).round() as u128;
    let units = whole as u128 * scale + fraction;
    Some((units, x < 0.0 && units != 0))
}

/// `x` rounded to `decimals` places by [`scaled`]'s rule; `0` for NaN and infinities.
pub fn round(x: f64, decimals: u32) -> f64 {
    scaled(x, decimals).map_or(0.0, |(units, negative)| {
        let value = units as f64 / 10f64.powi(decimals as i32);
        if negative {
            -value
        } else {
            value
        }
    })
}

/// `x` with exactly `decimals` places (`1011.84`, `0.00`, `-12.50`), rounded by [`scaled`]'s
/// rule; empty for NaN and infinities.
pub fn fixed(x: f64, decimals: u32) -> String {
    let Some((units, negative)) = scaled(x, decimals) else {
        return String::new();
    };
    let scale = 10u128.pow(decimals);
    let sign = if negative { "-" } else { "" };
    if decimals == 0 {
        return format!("{sign}{units}");
    }
    format!(
        "{sign}{}.{:0width$}",
        units / scale,
        units % scale,
        width = decimals as usize
    )
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

/// An amount a report shows: exact (summed from the bill) or an estimate computed in f64 (a
/// saving, a share), which is taken to the pico-unit like an amount from the bill, so both are
/// rounded by the one rule (half away from zero) in every file.
pub trait Amount {
    /// Rounded to the cent, as `-1234.50`.
    fn in_cents(&self) -> String;
    /// As a table cell.
    fn cell(&self) -> Cell;
}

impl Amount for Money {
    fn in_cents(&self) -> String {
        self.round_to(2)
    }

    fn cell(&self) -> Cell {
        Cell::Money(*self)
    }
}

impl Amount for f64 {
    fn in_cents(&self) -> String {
        Money::from_f64_line(*self).map_or_else(|| fixed(*self, 2), |m| m.round_to(2))
    }

    /// A figure no bill has (NaN, beyond 10^15) stays a plain number, written empty or as is.
    fn cell(&self) -> Cell {
        Money::from_f64_line(*self).map_or(Cell::Number(*self), Cell::Money)
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

/// A figure to at most `decimals` places, trailing zeros dropped (`1.2903`, `4`); never
/// exponent notation or a negative zero.
pub fn number(x: f64, decimals: u32) -> String {
    let text = fixed(x, decimals);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// An instant (epoch ms) as spreadsheets read a date and time: `2024-09-01 00:00:00`, UTC.
pub fn date_time(ms: i64) -> String {
    crate::period::iso_timestamp(ms)
        .trim_end_matches('Z')
        .replacen('T', " ", 1)
}

fn render(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => neutralize(s),
        Cell::Money(x) => x.round_to(2),
        Cell::Percent(x) => fixed(*x, 2),
        Cell::Number(x) => number(*x, NUMBER_DECIMALS),
        Cell::Integer(i) => i.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Time(ms) => date_time(*ms),
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

    /// A money cell from an f64 amount.
    fn m(x: f64) -> Cell {
        x.cell()
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_are_not() {
        let mut out = Vec::new();
        write_csv(
            &mut out,
            &["tag", "cost", "note"],
            &[
                vec![
                    Cell::text("=HYPERLINK(\"http://x\")"),
                    m(-12.5),
                    Cell::text("-x"),
                ],
                vec![
                    Cell::text("@SUM(A1)"),
                    m(0.1 + 0.2),
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
             \"'=HYPERLINK(\"\"http://x\"\")\",-12.50,'-x\r\n\
             '@SUM(A1),0.30,\"a,b \"\"q\"\"\"\r\n\
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
    fn money_to_the_cent_figures_to_four_places_never_a_negative_zero() {
        // The float noise of the report, and the cent rounding worked by hand.
        let cell = |c: Cell| render(&c);
        assert_eq!(cell(m(1011.8400000000088)), "1011.84");
        assert_eq!(cell(m(199.999999993)), "200.00");
        assert_eq!(cell(m(-0.0000014400000000000006)), "0.00");
        assert_eq!(cell(m(-0.0)), "0.00");
        assert_eq!(cell(m(-12.345)), "-12.35");
        // 0.125 is exact in binary: a true tie, rounded away from zero as on an invoice.
        assert_eq!(cell(m(0.125)), "0.13");
        assert_eq!(cell(m(1e14 + 0.25)), "100000000000000.25");
        assert_eq!(cell(Cell::Percent(100.00000000000078)), "100.00");
        assert_eq!(cell(Cell::Number(1.2903225806451613)), "1.2903");
        assert_eq!(cell(Cell::Number(3.0)), "3");
        assert_eq!(cell(Cell::Number(-0.00001)), "0");
        assert_eq!(cell(Cell::Number(1e-7)), "0");
        assert_eq!(cell(m(f64::NAN)), "");
        assert_eq!(m(199.999999993).rounded(), Some(200.0));
        assert_eq!(m(-0.001).rounded().map(f64::to_bits), Some(0));
    }

    #[test]
    fn instants_are_written_as_spreadsheets_read_dates() {
        // 2024-09-01T00:00:00Z and 2024-09-01T13:05:09Z.
        assert_eq!(
            render(&Cell::Time(1_725_148_800_000)),
            "2024-09-01 00:00:00"
        );
        assert_eq!(
            render(&Cell::Time(1_725_195_909_000)),
            "2024-09-01 13:05:09"
        );
        assert_eq!(render(&Cell::Date(1_725_195_909_000)), "2024-09-01");
    }
}

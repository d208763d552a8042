//! `report.xlsx`: the tables finance works in, as one workbook: Summary, Findings, Showback,
//! Commitments, Tag coverage, Cost by service and account. Each sheet holds the same cells as
//! its CSV (rounded the same way), money with thousands separators and 2 decimals, dates as
//! dates, a bold frozen header row and a filter on every column.
//!
//! Like every report file it is deterministic (the document's creation time is the period's
//! start, not the clock; the zip entries carry a fixed date) and written inside the report's
//! temporary folder, so it appears atomically with the rest. Text cells are always written as
//! strings, never as formulas, and text a spreadsheet would take for a formula is marked as
//! text (Excel's quote prefix), as the CSVs prefix it with `'`.

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::store::{
    ALLOCATION_CSV, COMMITMENTS_CSV, COST_BY_SERVICE_AND_ACCOUNT_CSV, FINDINGS_CSV,
    TAG_COVERAGE_CSV,
};
use super::table::{self, Amount, Cell};
use super::Table;
use crate::analyse::Analysis;
use crate::error::{Error, Result};

pub const REPORT_XLSX: &str = "report.xlsx";

/// The sheets after Summary: (sheet name, the CSV whose table it holds).
pub const SHEETS: [(&str, &str); 5] = [
    ("Findings", FINDINGS_CSV),
    ("Showback", ALLOCATION_CSV),
    ("Commitments", COMMITMENTS_CSV),
    ("Tag coverage", TAG_COVERAGE_CSV),
    (
        "Cost by service and account",
        COST_BY_SERVICE_AND_ACCOUNT_CSV,
    ),
];

/// Widest autofitted column, in pixels (about 60 characters): long evidence text is cut off at
/// the column's edge rather than filling the screen.
const MAX_COLUMN_PIXELS: u32 = 420;

/// The number formats a cell can take.
struct Formats {
    header: Format,
    money: Format,
    percent: Format,
    integer: Format,
    date: Format,
    time: Format,
    formula_like_text: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new().set_bold(),
            money: Format::new().set_num_format("#,##0.00"),
            // The figure is the percentage itself (88.77), as in the CSV: a literal % sign.
            percent: Format::new().set_num_format("0.00\"%\""),
            integer: Format::new().set_num_format("0"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            formula_like_text: Format::new().set_quote_prefix(),
        }
    }
}

/// One figure of the Summary sheet: what it is, its value, and its unit or status.
pub struct SummaryRow {
    pub figure: String,
    pub value: Cell,
    pub unit: String,
}

fn summary_row(figure: &str, value: Cell, unit: &str) -> SummaryRow {
    SummaryRow {
        figure: figure.to_string(),
        value,
        unit: unit.to_string(),
    }
}

/// The Summary sheet: the period, the cost basis, the totals, the change against the previous
/// period, the savings, the KPIs and the gates.
pub fn summary_rows(a: &Analysis) -> Vec<SummaryRow> {
    let cur = a.currency.as_str();
    let mut rows = vec![
        summary_row("Period", Cell::text(&a.period.label), ""),
        summary_row("First day", Cell::Date(a.period.start), ""),
        summary_row("Last day", Cell::Date(a.period.end - 1), ""),
        summary_row(
            "Partial (the data ends before the period)",
            Cell::Bool(a.partial),
            "",
        ),
        summary_row("Currency", Cell::text(cur), ""),
        summary_row("Cost basis", Cell::text(super::story::basis(a)), ""),
        summary_row(
            "Effective cost (amortised)",
            Cell::Money(a.totals.effective),
            cur,
        ),
        summary_row("Billed cost (invoice)", Cell::Money(a.totals.billed), cur),
        summary_row("List cost (on-demand)", Cell::Money(a.totals.list), cur),
    ];
    let t = &a.trends;
    if let (Some(label), Some(previous)) = (&t.previous_label, t.previous_total) {
        rows.push(summary_row("Previous period", Cell::text(label), ""));
        rows.push(summary_row("Previous effective cost", previous.cell(), cur));
        if let Some(change) = t.change {
            rows.push(summary_row("Change", change.cell(), cur));
        }
        rows.push(summary_row(
            "Change in percent",
            Cell::opt_percent(t.mom_growth_pct),
            "%",
        ));
    }
    if let Some(forecast) = t.forecast {
        rows.push(summary_row(
            "Forecast to the month's end (run rate)",
            forecast.cell(),
            cur,
        ));
    }
    rows.push(summary_row(
        "Potential savings per month",
        a.savings.total_monthly.cell(),
        cur,
    ));
    let k = &a.rate.kpis;
    for (figure, value) in [
        ("Tag coverage", a.allocation.tag_coverage_pct),
        ("Commitment coverage", k.commitment_coverage_pct),
        ("Commitment utilisation", k.commitment_utilization_pct),
        ("Effective savings rate", k.effective_savings_rate_pct),
        ("Spot share of VM hours", k.spot_share_pct),
    ] {
        rows.push(summary_row(figure, Cell::opt_percent(value), "%"));
    }
    for g in &a.gates {
        let status = serde_json::to_value(g.status)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        rows.push(summary_row(
            &format!("Gate {}", g.name),
            Cell::opt_number(g.value),
            &format!("{status} (threshold {})", g.threshold),
        ));
    }
    rows
}

fn failed(path: &Path, e: XlsxError) -> Error {
    let source = match e {
        XlsxError::IoError(io) => io,
        other => std::io::Error::other(other.to_string()),
    };
    Error::io(format!("{}: writing the workbook", path.display()), source)
}

/// An instant as an Excel date; None outside Excel's years (1900-9999).
fn excel_time(ms: i64) -> Option<ExcelDateTime> {
    ExcelDateTime::from_timestamp(ms.div_euclid(1000)).ok()
}

fn write_cell(
    sheet: &mut Worksheet,
    f: &Formats,
    row: u32,
    col: u16,
    cell: &Cell,
) -> std::result::Result<(), XlsxError> {
    match cell {
        Cell::Text(text) if table::is_formula_like(text) => {
            sheet.write_string_with_format(row, col, text, &f.formula_like_text)?;
        }
        Cell::Text(text) => {
            sheet.write_string(row, col, text)?;
        }
        Cell::Money(_) | Cell::Percent(_) | Cell::Number(_) => {
            let value = cell.rounded().expect("a number cell");
            match cell {
                Cell::Money(_) => sheet.write_number_with_format(row, col, value, &f.money)?,
                Cell::Percent(_) => sheet.write_number_with_format(row, col, value, &f.percent)?,
                _ => sheet.write_number(row, col, value)?,
            };
        }
        Cell::Integer(i) => {
            sheet.write_number_with_format(row, col, *i as f64, &f.integer)?;
        }
        Cell::Bool(b) => {
            sheet.write_boolean(row, col, *b)?;
        }
        Cell::Date(ms) | Cell::Time(ms) => {
            let format = if matches!(cell, Cell::Date(_)) {
                &f.date
            } else {
                &f.time
            };
            match excel_time(*ms) {
                Some(t) => sheet.write_datetime_with_format(row, col, &t, format)?,
                None => sheet.write_string(row, col, table::date_time(*ms))?,
            };
        }
        Cell::Empty => {}
    }
    Ok(())
}

/// One sheet: a bold, frozen header with a filter over every column, then the rows.
fn add_sheet(
    book: &mut Workbook,
    f: &Formats,
    name: &str,
    header: &[String],
    rows: &[Vec<Cell>],
) -> std::result::Result<(), XlsxError> {
    let sheet = book.add_worksheet();
    sheet.set_name(name)?;
    for (col, title) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, title, &f.header)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (col, cell) in row.iter().enumerate() {
            write_cell(sheet, f, r as u32 + 1, col as u16, cell)?;
        }
    }
    let last_col = header.len().saturating_sub(1) as u16;
    sheet.autofilter(0, 0, rows.len() as u32, last_col)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_autofit_max_width(MAX_COLUMN_PIXELS);
    sheet.autofit();
    Ok(())
}

/// Writes the workbook from the report's tables (every table [`SHEETS`] names must be there).
pub fn write(path: &Path, a: &Analysis, tables: &[Table]) -> Result<()> {
    let f = Formats::new();
    let mut book = Workbook::new();
    // A period outside Excel's years still gets a fixed date, never the clock.
    let created = excel_time(a.period.start)
        .or_else(|| excel_time(0))
        .expect("1970 is within Excel's years");
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("Cloud cost report: {}", a.period.label))
            .set_creation_datetime(&created),
    );
    let summary: Vec<Vec<Cell>> = summary_rows(a)
        .into_iter()
        .map(|r| vec![Cell::Text(r.figure), r.value, Cell::Text(r.unit)])
        .collect();
    let header = ["Figure", "Value", "Unit"].map(String::from);
    add_sheet(&mut book, &f, "Summary", &header, &summary).map_err(|e| failed(path, e))?;
    for (name, file) in SHEETS {
        let table = tables
            .iter()
            .find(|t| t.file == file)
            .unwrap_or_else(|| panic!("the report writes {file} before the workbook"));
        add_sheet(&mut book, &f, name, &table.header, &table.rows).map_err(|e| failed(path, e))?;
    }
    book.save(path).map_err(|e| failed(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::fixture::analysis;

    #[test]
    fn the_same_analysis_gives_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let a = analysis();
        let table = Table {
            file: FINDINGS_CSV.into(),
            header: vec!["id".into(), "cost".into(), "seen".into()],
            rows: vec![vec![
                Cell::text("=1+1"),
                1.005.cell(),
                Cell::Time(a.period.start),
            ]],
        };
        let tables: Vec<Table> = SHEETS
            .iter()
            .map(|(_, file)| Table {
                file: file.to_string(),
                ..table.clone()
            })
            .collect();
        let (one, two) = (dir.join("a.xlsx"), dir.join("b.xlsx"));
        write(&one, &a, &tables).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        write(&two, &a, &tables).unwrap();
        // A second apart: a clock in the file would differ.
        assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    }
}

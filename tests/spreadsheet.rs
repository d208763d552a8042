//! Spreadsheet-ready report files, through the real binary: every CSV rounds money to the cent
//! and percentages to 2 decimals, never writes a negative zero, and writes dates and instants
//! as spreadsheets read them; `report.xlsx`, read back with openpyxl (a reader other than the
//! writer, from `scripts/with-moto`'s Python), holds the same cells as the CSVs, with number and
//! date formats, frozen headers and filters, and never a formula.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const HEADER: &str = "BillingAccountId,SubAccountId,SubAccountName,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,RegionId,ResourceId,BilledCost,EffectiveCost,ListCost,ContractedCost,Tags";

/// October 2026, worked by hand:
/// - 1 Oct, account 111 ("core"), S3, bucket-a tagged team `=HYPERLINK("http://x")`: two lines
///   of 0.1 and 0.2, whose float sum is 0.30000000000000004 → 0.30;
/// - 2 Oct, account 222 (named `-ops`), service `@SUM(A1)`, vol-1 untagged: 1.004 → 1.00;
/// - 3 Oct, account 111, AWS Support without a resource: 0.000001 of usage and a credit of
///   -0.0000014, together -0.0000004 → 0.00, never -0.00.
fn bill(dir: &Path) {
    let lines = [
        r#"999,111,core,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Usage,Amazon Simple Storage Service,us-east-1,bucket-a,0.1,0.1,0.1,0.1,"{""team"": ""=HYPERLINK(\""http://x\"")""}""#,
        r#"999,111,core,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Usage,Amazon Simple Storage Service,us-east-1,bucket-a,0.2,0.2,0.2,0.2,"{""team"": ""=HYPERLINK(\""http://x\"")""}""#,
        "999,222,-ops,USD,2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,Usage,@SUM(A1),us-east-1,vol-1,1.004,1.004,1.004,1.004,",
        "999,111,core,USD,2026-10-03T00:00:00Z,2026-10-04T00:00:00Z,Usage,AWS Support,,,0.000001,0.000001,0.000001,0.000001,",
        "999,111,core,USD,2026-10-03T00:00:00Z,2026-10-04T00:00:00Z,Credit,AWS Support,,,-0.0000014,-0.0000014,-0.0000014,-0.0000014,",
    ];
    std::fs::write(
        dir.join("bill.csv"),
        format!("{HEADER}\n{}\n", lines.join("\n")),
    )
    .unwrap();
}

fn report_of(dir: &Path, input: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["analyze", input, "--out", "out"];
    args.extend(extra);
    let run = costlens(&args, dir);
    assert!(run.code <= 1, "{}", run.stderr);
    let folder = run.stdout.trim();
    dir.join(folder)
}

fn row<'a>(
    rows: &'a [BTreeMap<String, String>],
    key: &str,
    value: &str,
) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value}: {rows:?}"))
}

#[test]
fn money_is_rounded_to_the_cent_zero_is_never_negative_and_instants_read_as_dates() {
    let dir = tempfile::tempdir().unwrap();
    bill(dir.path());
    let report = report_of(dir.path(), "bill.csv", &[]);
    let daily = csv_rows(&report.join("daily_cost.csv"));
    let s3 = row(&daily, "service", "Amazon Simple Storage Service");
    assert_eq!(
        (s3["date"].as_str(), s3["effective_cost"].as_str()),
        ("2026-10-01", "0.30")
    );
    let services = csv_rows(&report.join("cost_by_service.csv"));
    assert_eq!(
        row(&services, "service", "'@SUM(A1)")["billed_cost"],
        "1.00"
    );
    assert_eq!(
        row(&services, "service", "AWS Support")["effective_cost"],
        "0.00"
    );
    let untagged = csv_rows(&report.join("untagged_resources.csv"));
    let vol = row(&untagged, "resource_id", "vol-1");
    assert_eq!(
        (vol["first_seen"].as_str(), vol["last_seen"].as_str()),
        ("2026-10-02 00:00:00", "2026-10-03 00:00:00")
    );
    // Showback by team: bucket-a's 0.30 direct; vol-1's 1.004 (taggable, no team) is its own
    // (untagged) line: 1.00; the support lines' -0.0000004 is unallocated: 0.00.
    let showback = csv_rows(&report.join("allocation.csv"));
    let team = row(&showback, "value", "'=HYPERLINK(\"http://x\")");
    assert_eq!(
        (
            team["direct_cost"].as_str(),
            team["allocated_cost"].as_str()
        ),
        ("0.30", "0.30")
    );
    assert_eq!(
        row(&showback, "value", "(untagged)")["allocated_cost"],
        "1.00"
    );
    assert_eq!(
        row(&showback, "value", "(unallocated)")["direct_cost"],
        "0.00"
    );
    // 0.30 of 1.304 taggable cost carries team: 23.006134969...% → 23.01.
    let coverage = csv_rows(&report.join("tag_coverage.csv"));
    let total = coverage
        .iter()
        .find(|r| r["scope"] == "total" && r["key"] == "team")
        .unwrap();
    assert_eq!(total["coverage_pct"], "23.01");
    for (name, rows) in all_csvs(&report) {
        check_csv_rules(&name, &rows);
    }
}

/// Every CSV of a report folder, by name.
fn all_csvs(report: &Path) -> Vec<(String, Vec<BTreeMap<String, String>>)> {
    let mut out: Vec<_> = std::fs::read_dir(report)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                csv_rows(&p),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 16, "{}: {} CSVs", report.display(), out.len());
    out
}

/// Which rule a column follows, from its name.
#[derive(Debug, PartialEq)]
enum Rule {
    Money,
    Percent,
    Date,
    Instant,
    Other,
}

fn rule_of(file: &str, column: &str) -> Rule {
    const MONEY: [&str; 7] = [
        "amount",
        "actual",
        "forecast",
        "monthly_saving",
        "change",
        "used_cost",
        "unused_cost",
    ];
    if column.ends_with("_cost") || MONEY.contains(&column) {
        Rule::Money
    } else if column.ends_with("_pct") {
        Rule::Percent
    } else if column == "date" || column == "end_date" {
        Rule::Date
    } else if file == "untagged_resources.csv" && column.ends_with("_seen") {
        Rule::Instant
    } else {
        Rule::Other
    }
}

/// `text` is digits with exactly `decimals` places after a point, an optional minus sign first.
fn is_fixed(text: &str, decimals: usize) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    match digits.split_once('.') {
        Some((whole, fraction)) => {
            !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.len() == decimals
                && fraction.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// A negative zero written as text: `-0`, `-0.00`, also inside a sentence (`'-0.00 of ...`),
/// not the `-0` inside an id (`i-0abc`).
fn has_negative_zero(text: &str) -> bool {
    let bytes = text.as_bytes();
    (0..bytes.len()).any(|i| {
        let before_ok = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let zeros = bytes[i + 1..]
            .iter()
            .take_while(|b| **b == b'0' || **b == b'.')
            .count();
        let after = bytes.get(i + 1 + zeros);
        bytes[i] == b'-'
            && before_ok
            && zeros > 0
            && bytes[i + 1] == b'0'
            && !after.is_some_and(|b| b.is_ascii_alphanumeric())
    })
}

fn check_csv_rules(file: &str, rows: &[BTreeMap<String, String>]) {
    let shape = |ok: bool, column: &str, cell: &str| {
        assert!(ok, "{file}, column {column}: '{cell}'");
    };
    for r in rows {
        for (column, cell) in r {
            assert!(
                !has_negative_zero(cell),
                "{file}, column {column}: negative zero in '{cell}'"
            );
            if cell.is_empty() {
                continue;
            }
            match rule_of(file, column) {
                Rule::Money | Rule::Percent => shape(is_fixed(cell, 2), column, cell),
                Rule::Date => shape(shaped_like(cell, "dddd-dd-dd"), column, cell),
                Rule::Instant => shape(shaped_like(cell, "dddd-dd-dd dd:dd:dd"), column, cell),
                Rule::Other => {
                    // Any other figure: no exponent, at most 4 decimals.
                    if cell.parse::<f64>().is_ok() && !cell.contains(['e', 'E']) {
                        let decimals = cell.split_once('.').map_or(0, |(_, f)| f.len());
                        shape(decimals <= 4, column, cell);
                    }
                }
            }
        }
    }
}

/// `text` has the shape of `pattern`: a digit where it has `d`, the same character elsewhere.
fn shaped_like(text: &str, pattern: &str) -> bool {
    pattern.len() == text.len()
        && pattern.bytes().zip(text.bytes()).all(|(p, t)| {
            if p == b'd' {
                t.is_ascii_digit()
            } else {
                p == t
            }
        })
}

#[test]
fn every_public_sample_and_the_bundled_month_follow_the_csv_rules() {
    let dir = tempfile::tempdir().unwrap();
    for sample in [FOCUS_SAMPLE, CUR_CSV_SAMPLE, CUR_PARQUET_SAMPLE] {
        let report = report_of(dir.path(), public_sample(sample).to_str().unwrap(), &[]);
        for (name, rows) in all_csvs(&report) {
            check_csv_rules(&name, &rows);
        }
    }
    let run = analyze_acme(dir.path(), "acme", &[], &[]);
    assert!(run.code <= 1, "{}", run.stderr);
    for (name, rows) in all_csvs(&dir.path().join("acme/2026-10")) {
        check_csv_rules(&name, &rows);
    }
}

/// report.xlsx as openpyxl reads it (tests/figures/xlsx_cells.py).
fn workbook(report: &Path) -> Value {
    let (script, book) = (
        root().join("tests/figures/xlsx_cells.py"),
        report.join("report.xlsx"),
    );
    json(&python(
        &[script.to_str().unwrap(), book.to_str().unwrap()],
        &root(),
    ))
}

/// Excel's column letters for a 1-based column number.
fn column_letters(mut n: usize) -> String {
    let mut out = Vec::new();
    while n > 0 {
        out.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

/// The sheets after Summary, and the CSV each must equal.
const SHEETS: [(&str, &str); 5] = [
    ("Findings", "findings.csv"),
    ("Showback", "allocation.csv"),
    ("Commitments", "commitments.csv"),
    ("Tag coverage", "tag_coverage.csv"),
    (
        "Cost by service and account",
        "cost_by_service_and_account.csv",
    ),
];

/// One sheet against its CSV, cell by cell: text equal (a formula-like cell is the CSV's text
/// without its guard `'`, marked as text by a quote prefix instead), numbers equal to the CSV's
/// figure, booleans `true`/`false`, dates and instants the same day and time, empty as empty;
/// money with 2 decimals and separators; the header frozen and filtered.
fn assert_sheet_equals_csv(sheet: &Value, csv_path: &Path) {
    let name = sheet["name"].as_str().unwrap();
    let mut reader = csv::Reader::from_path(csv_path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let rows = sheet["rows"].as_array().unwrap();
    assert_eq!(rows.len(), records.len() + 1, "{name}: rows");
    assert_eq!(sheet["freeze"], "A2", "{name}");
    assert_eq!(
        sheet["filter"],
        format!("A1:{}{}", column_letters(header.len()), records.len() + 1),
        "{name}"
    );
    let titles: Vec<&str> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[1].as_str().unwrap())
        .collect();
    assert_eq!(titles, header, "{name}: header");
    for (r, record) in records.iter().enumerate() {
        let cells = rows[r + 1].as_array().unwrap();
        for (c, expected) in record.iter().enumerate() {
            let (kind, value, format, quoted) = match cells.get(c) {
                Some(cell) => (
                    cell[0].as_str().unwrap(),
                    &cell[1],
                    cell[2].as_str().unwrap(),
                    cell[3].as_bool().unwrap(),
                ),
                None => ("n", &Value::Null, "General", false),
            };
            let at = format!("{name} row {} column {}", r + 2, header[c]);
            assert_ne!(kind, "f", "{at}: a formula");
            if expected.is_empty() {
                assert!(value.is_null(), "{at}: {value}");
            } else if expected == "true" || expected == "false" {
                assert_eq!(
                    (kind, value.as_bool()),
                    ("b", Some(expected == "true")),
                    "{at}"
                );
            } else if kind == "d" {
                let day_time = value.as_str().unwrap();
                let expected_time = if expected.len() == 10 {
                    format!("{expected} 00:00:00")
                } else {
                    expected.clone()
                };
                assert_eq!(day_time, expected_time, "{at}");
                assert!(format.starts_with("yyyy-mm-dd"), "{at}: {format}");
            } else if kind == "n" {
                let figure: f64 = expected
                    .parse()
                    .unwrap_or_else(|_| panic!("{at}: {expected}"));
                assert_eq!(value.as_f64(), Some(figure), "{at}");
                let file = csv_path.file_name().unwrap().to_string_lossy();
                if rule_of(&file, &header[c]) == Rule::Money {
                    assert_eq!(format, "#,##0.00", "{at}");
                }
            } else {
                assert_eq!(kind, "s", "{at}");
                let text = value.as_str().unwrap();
                match expected.strip_prefix('\'') {
                    Some(unguarded) if quoted => assert_eq!(text, unguarded, "{at}"),
                    _ => assert_eq!((text, quoted), (expected.as_str(), false), "{at}"),
                }
            }
        }
    }
}

#[test]
fn the_workbook_holds_the_cells_of_the_csvs_with_formats_and_never_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    let run = analyze_acme(dir.path(), "acme", &[], &[]);
    assert!(run.code <= 1, "{}", run.stderr);
    bill(dir.path());
    let hand_made = report_of(dir.path(), "bill.csv", &[]);
    for report in [dir.path().join("acme/2026-10"), hand_made.clone()] {
        let book = workbook(&report);
        let sheets = book["sheets"].as_array().unwrap();
        let names: Vec<&str> = sheets.iter().map(|s| s["name"].as_str().unwrap()).collect();
        let mut expected = vec!["Summary"];
        expected.extend(SHEETS.iter().map(|(n, _)| *n));
        assert_eq!(names, expected);
        for (sheet, (_, file)) in sheets[1..].iter().zip(SHEETS) {
            assert_sheet_equals_csv(sheet, &report.join(file));
        }
        // The Summary sheet: the totals of summary.json, to the cent.
        let summary = json(&std::fs::read_to_string(report.join("summary.json")).unwrap());
        let figure = |title: &str| -> f64 {
            sheets[0]["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r[0][1] == title)
                .unwrap_or_else(|| panic!("no Summary row {title}"))[1][1]
                .as_f64()
                .unwrap()
        };
        for (title, key) in [
            ("Effective cost (amortised)", "effective_cost"),
            ("Billed cost (invoice)", "billed_cost"),
            ("List cost (on-demand)", "list_cost"),
        ] {
            assert_cents(
                figure(title),
                summary["totals"][key].as_f64().unwrap(),
                title,
            );
        }
        // No clock in the file: created at the period's start.
        assert_eq!(book["created"], "2026-10-01T00:00:00");
    }
    // The hand-made bill's formula-like texts reach the workbook as text, marked as such.
    let book = workbook(&hand_made);
    let showback = &book["sheets"][2]["rows"];
    let team = showback
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[1][1] == "=HYPERLINK(\"http://x\")")
        .expect("the team's showback row");
    assert_eq!(team[1][0], "s");
    assert_eq!(team[1][3], true, "quote prefix");
    // Its allocated cost: bucket-a's 0.30 (vol-1's 1.004 is the (untagged) line).
    assert_eq!(team[4][1].as_f64(), Some(0.30));
}

#[test]
fn the_same_input_gives_the_same_workbook() {
    let dir = tempfile::tempdir().unwrap();
    bill(dir.path());
    let first = std::fs::read(report_of(dir.path(), "bill.csv", &[]).join("report.xlsx")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = costlens(&["analyze", "bill.csv", "--out", "again"], dir.path());
    assert_eq!(again.code, 0, "{}", again.stderr);
    let second = std::fs::read(dir.path().join("again/2026-10/report.xlsx")).unwrap();
    assert!(first == second, "report.xlsx differs between two runs");
}

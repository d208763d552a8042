//! Hostile text in the data, through the real binary: markup, markdown links, terminal escape
//! sequences, formula prefixes (ASCII, full width, after white space) and forged tag
//! separators in service names, resource ids, account ids, tag keys and values. Each must reach
//! every output as inert text: never a tag or link in summary.md or report.html, never a formula
//! in any CSV (the report's and `convert`'s), never an escape sequence on the terminal, never a
//! tag that is not in the data.

mod common;

use std::path::Path;

use common::*;

const HEADER: [&str; 21] = [
    "BillingAccountId",
    "SubAccountId",
    "ProviderName",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "PricingCategory",
    "ServiceName",
    "RegionId",
    "ResourceId",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "PricingQuantity",
    "PricingUnit",
    "Tags",
    "x_ServiceCode",
    "x_UsageType",
    "x_InstanceType",
];

const ESCAPES: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}";

/// October 2026, two monthly lines, each a finding (a gp2 volume, an idle address):
/// 1. 50.00, service `<script>`, resource a javascript: link, one tag team whose value holds
///    JSON-escaped U+001E / U+001F that once forged a second tag environment=prod;
/// 2. 3.72, a service name and account id with terminal escapes, resource an `<img onerror>`,
///    a full-width formula as a tag key with an indented formula as its value, environment=prod.
///
/// Required tags team and environment: line 1 has no environment, line 2 no team, so the
/// coverage is 0% (it was 50 / 53.72 = 93.07% with the forged tag).
fn hostile_bill(dir: &Path) {
    let mut w = csv::Writer::from_path(dir.join("bill.csv")).unwrap();
    w.write_record(HEADER).unwrap();
    let service2 = format!("Amazon EC2{ESCAPES}");
    let account2 = format!("222{ESCAPES}");
    let lines: [[&str; 21]; 2] = [
        [
            "999",
            "=HYPERLINK(\"http://evil\")",
            "AWS",
            "USD",
            "2026-10-01T00:00:00Z",
            "2026-11-01T00:00:00Z",
            "Usage",
            "Standard",
            "<script>alert(1)</script>",
            "us-east-1",
            "[x](javascript:alert(1))",
            "50",
            "50",
            "50",
            "50",
            "500",
            "GB-Mo",
            r#"{"team": "a\u001eenvironment\u001fprod"}"#,
            "AmazonEC2",
            "EBS:VolumeUsage.gp2",
            "",
        ],
        [
            "999",
            &account2,
            "AWS",
            "USD",
            "2026-10-01T00:00:00Z",
            "2026-11-01T00:00:00Z",
            "Usage",
            "Standard",
            &service2,
            "us-east-1",
            "<img src=x onerror=alert(1)>",
            "3.72",
            "3.72",
            "3.72",
            "3.72",
            "744",
            "Hrs",
            r#"{"＝HYPERLINK(\"http://x\")": " =1+1", "environment": "prod"}"#,
            "AmazonEC2",
            "ElasticIP:IdleAddress",
            "",
        ],
    ];
    for line in lines {
        w.write_record(line).unwrap();
    }
    w.flush().unwrap();
    std::fs::write(
        dir.join("costlens.toml"),
        "[tags]\nrequired = [\"team\", \"environment\"]\n",
    )
    .unwrap();
}

/// Checked here independently of costlens's own rule: a text cell a spreadsheet could run.
fn runs_as_formula(cell: &str) -> bool {
    if cell.parse::<f64>().is_ok() {
        return false;
    }
    let starts = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];
    cell.starts_with(['\t', '\r', '\n'])
        || cell
            .trim_start_matches([' ', '\t', '\r', '\n', '\u{3000}'])
            .starts_with(starts)
}

fn assert_no_formula(path: &Path) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    for cell in header.iter() {
        assert!(
            !runs_as_formula(cell),
            "{}: header {cell:?}",
            path.display()
        );
    }
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(!runs_as_formula(cell), "{}: {cell:?}", path.display());
        }
    }
}

fn assert_no_control(what: &str, text: &str) {
    if let Some(at) = text.find(['\u{1b}', '\u{7}', '\u{9b}']) {
        let from = text[..at]
            .char_indices()
            .rev()
            .nth(60)
            .map_or(0, |(i, _)| i);
        let to = text[at..]
            .char_indices()
            .nth(60)
            .map_or(text.len(), |(i, _)| at + i);
        panic!(
            "{what} holds a terminal control character: {:?}",
            &text[from..to]
        );
    }
}

#[test]
fn hostile_text_is_inert_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    hostile_bill(dir.path());
    let run = costlens(&["-v", "analyze", "bill.csv", "--out", "out"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_control("analyze's stderr", &run.stderr);
    let report = dir.path().join("out/2026-10");

    // The forged separators made a tag that is not in the data.
    let s = json(&std::fs::read_to_string(report.join("summary.json")).unwrap());
    assert_eq!(s["kpis"]["tag_coverage_pct"].as_f64(), Some(0.0), "{s}");

    let md = std::fs::read_to_string(report.join("summary.md")).unwrap();
    for raw in ["<script", "<img", "](javascript:", "[x]"] {
        assert!(!md.contains(raw), "summary.md holds {raw}: {md}");
    }
    // The data is still there, as text.
    assert!(
        md.contains("&lt;img src=x onerror=alert\\(1\\)&gt;"),
        "{md}"
    );
    assert!(md.contains("&lt;script&gt;"), "{md}");
    assert_no_control("summary.md", &md);

    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(!html.contains("<script") && !html.contains("<img src=x"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert_no_control("report.html", &html);

    let mut csvs = 0;
    for (name, _) in files(&report) {
        if name.ends_with(".csv") {
            assert_no_formula(&report.join(&name));
            csvs += 1;
        }
    }
    assert!(csvs >= 14, "{csvs}");
    // The formula-looking account id reached the tables, protected.
    let accounts = std::fs::read_to_string(report.join("cost_by_account.csv")).unwrap();
    assert!(
        accounts.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "{accounts}"
    );

    // `convert` to CSV protects its cells the same way, tag JSON included.
    let run = costlens(&["convert", "bill.csv", "--out", "focus.csv"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_formula(&dir.path().join("focus.csv"));
    let converted = std::fs::read_to_string(dir.path().join("focus.csv")).unwrap();
    assert!(
        converted.contains("'=HYPERLINK(\"\"http://evil\"\")"),
        "{converted}"
    );

    // The terminal: the summary table, and an error quoting a hostile cell.
    let run = costlens(&["summary", "bill.csv"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_control("summary's table", &run.stdout);
    assert!(
        run.stdout.contains("Amazon EC2\u{fffd}[2J"),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(dir.path().join("bill.csv"))
        .unwrap()
        .replacen(",50,50,", &format!(",5{ESCAPES},50,"), 1);
    std::fs::write(dir.path().join("bad.csv"), text).unwrap();
    let run = costlens(&["summary", "bad.csv"], dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("line 2, column 'BilledCost'"),
        "{}",
        run.stderr
    );
    assert_no_control("the error line", &run.stderr);
}

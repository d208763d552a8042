//! Import, `summary` and `convert` on the real public samples, checked against totals computed
//! independently with DuckDB (`tests/figures/import_totals.py`), and the bad-input contract:
//! exit 2, a message naming the file, nothing written.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;

struct Expected {
    sample: &'static str,
    rows: u64,
    billed: f64,
    effective: f64,
    list: f64,
}

/// From `python3 tests/figures/import_totals.py` (DuckDB 1.x / 2.0).
const EXPECTED: [Expected; 3] = [
    Expected {
        sample: FOCUS_SAMPLE,
        rows: 1000,
        billed: 20.520227,
        effective: 14.976514,
        list: 20.390906,
    },
    Expected {
        sample: CUR_CSV_SAMPLE,
        rows: 1281,
        billed: 1.682309,
        effective: 1.682309,
        list: 3.356173,
    },
    Expected {
        sample: CUR_PARQUET_SAMPLE,
        rows: 119307,
        billed: 4064.483132,
        effective: 4195.957109,
        list: 4237.681735,
    },
];

fn check_summary(path: &Path, e: &Expected) {
    let run = costlens(
        &["summary", "--format", "json", path.to_str().unwrap()],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = json(&run.stdout);
    assert_eq!(s["rows"].as_u64(), Some(e.rows), "{}", e.sample);
    assert_eq!(s["currency"], "USD");
    let what = format!("{} ({})", e.sample, path.display());
    assert_cents(s["billed_cost"].as_f64().unwrap(), e.billed, &what);
    assert_cents(s["effective_cost"].as_f64().unwrap(), e.effective, &what);
    assert_cents(s["list_cost"].as_f64().unwrap(), e.list, &what);
    for key in ["period_start", "period_end", "by_service", "by_account"] {
        assert!(!s[key].is_null(), "{key} missing");
    }
}

#[test]
fn summary_of_each_public_sample_matches_duckdb() {
    for e in &EXPECTED {
        check_summary(&public_sample(e.sample), e);
    }
}

#[test]
fn convert_to_parquet_and_csv_keeps_every_cent() {
    let dir = tempfile::tempdir().unwrap();
    for (i, e) in EXPECTED.iter().enumerate() {
        for ext in ["parquet", "csv"] {
            let out = dir.path().join(format!("focus-{i}.{ext}"));
            let run = costlens(
                &[
                    "convert",
                    public_sample(e.sample).to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                ],
                &root(),
            );
            assert_eq!(run.code, 0, "{}", run.stderr);
            check_summary(&out, e);
        }
    }
}

#[test]
fn converted_parquet_has_focus_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("focus.csv");
    let run = costlens(
        &[
            "convert",
            public_sample(CUR_PARQUET_SAMPLE).to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    let header = text.lines().next().unwrap();
    for column in [
        "BillingAccountId",
        "SubAccountId",
        "ChargeCategory",
        "PricingCategory",
        "CommitmentDiscountStatus",
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ContractedCost",
        "Tags",
        "x_UsageType",
        "x_InstanceType",
        "x_LineItemType",
    ] {
        assert!(
            header.split(',').any(|h| h == column),
            "{column} in {header}"
        );
    }
    // Legacy tag columns become one JSON object, user tags without their prefix.
    assert!(
        text.contains(r#""cost_center"":""Cost001""#),
        "tags as JSON"
    );
    assert!(text.contains("2018-10-01T00:00:00Z"), "ISO timestamps");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn gzip_csv_and_directory_of_parts_are_one_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let parts = dir.path().join("2023-11");
    std::fs::create_dir(&parts).unwrap();
    let csv = std::fs::read(public_sample(CUR_CSV_SAMPLE)).unwrap();
    std::fs::write(parts.join("cur-00001.csv.gz"), gzip(&csv)).unwrap();
    std::fs::write(parts.join("cur-00002.csv"), &csv).unwrap();
    std::fs::write(parts.join("cur-Manifest.json"), "{}").unwrap();
    let e = &EXPECTED[1];
    check_summary(&parts.join("cur-00001.csv.gz"), e);
    let doubled = Expected {
        sample: e.sample,
        rows: e.rows * 2,
        billed: e.billed * 2.0,
        effective: e.effective * 2.0,
        list: e.list * 2.0,
    };
    check_summary(&parts, &doubled);
    check_summary(&dir.path().join("2023-11/cur-*"), &doubled);
}

/// A tiny legacy CUR CSV; `extra` adds one column (e.g. a tag) to the header and every row.
fn tiny_cur(extra: Option<(&str, &str)>, cost_cell: &str) -> String {
    let mut header = String::from(
        "identity/LineItemId,bill/PayerAccountId,lineItem/UsageAccountId,lineItem/LineItemType,\
         lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ProductCode,lineItem/UsageType,\
         lineItem/ResourceId,lineItem/CurrencyCode,lineItem/UnblendedCost,pricing/publicOnDemandCost",
    );
    if let Some((name, _)) = extra {
        header.push(',');
        header.push_str(name);
    }
    let mut out = header + "\n";
    for (i, cost) in ["1.25", cost_cell, "-0.50"].iter().enumerate() {
        let kind = if i == 2 { "Credit" } else { "Usage" };
        out.push_str(&format!(
            "id{i},111,222,{kind},2024-01-0{d}T00:00:00Z,2024-01-0{d}T01:00:00Z,AmazonEC2,BoxUsage:m5.large,i-{i},USD,{cost},{cost}",
            d = i + 1
        ));
        if let Some((_, value)) = extra {
            out.push(',');
            out.push_str(value);
        }
        out.push('\n');
    }
    out
}

#[test]
fn schema_drift_between_parts_is_fine_and_credits_keep_their_sign() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), tiny_cur(None, "2.00")).unwrap();
    std::fs::write(
        dir.path().join("b.csv"),
        tiny_cur(Some(("resourceTags/user:team", "web")), "2.00"),
    )
    .unwrap();
    let run = costlens(
        &["summary", "--format", "json", dir.path().to_str().unwrap()],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = json(&run.stdout);
    assert_eq!(s["rows"], 6);
    // Per file: 1.25 + 2.00 - 0.50 = 2.75; two files = 5.50.
    assert_cents(s["billed_cost"].as_f64().unwrap(), 5.50, "billed");
}

#[test]
fn mixed_currencies_are_refused_unless_one_is_picked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("usd.csv"), tiny_cur(None, "2.00")).unwrap();
    std::fs::write(
        dir.path().join("eur.csv"),
        tiny_cur(None, "3.00").replace(",USD,", ",EUR,"),
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let run = costlens(&["summary", "--format", "json", path], &root());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("EUR, USD"), "{}", run.stderr);
    let run = costlens(
        &["summary", "--format", "json", "--currency", "EUR", path],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // 1.25 + 3.00 - 0.50
    assert_cents(
        json(&run.stdout)["billed_cost"].as_f64().unwrap(),
        3.75,
        "EUR only",
    );
}

/// Runs `convert` on a bad input: exit 2, one message naming the file (and more where given),
/// no output file and no temporary left behind.
fn assert_refused(input: &Path, message_parts: &[&str]) {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out.parquet");
    let run = costlens(
        &[
            "convert",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(run.code, 2, "{}: {}", input.display(), run.stderr);
    let name = input.file_name().unwrap().to_str().unwrap();
    assert!(run.stderr.contains(name), "names the file: {}", run.stderr);
    for part in message_parts {
        assert!(run.stderr.contains(part), "'{part}' in: {}", run.stderr);
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert_eq!(
        std::fs::read_dir(out_dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn bad_inputs_exit_2_naming_the_file_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let missing_column = d.join("missing-column.csv");
    std::fs::write(
        &missing_column,
        "BilledCost,ChargePeriodStart,BillingCurrency,ChargeCategory\n1,2024-01-01,USD,Usage\n",
    )
    .unwrap();
    assert_refused(&missing_column, &["EffectiveCost", "missing"]);

    let bad_number = d.join("bad-number.csv");
    std::fs::write(&bad_number, tiny_cur(None, "12,5")).unwrap();
    // The unquoted comma shifts the row: a ragged line is malformed CSV.
    assert_refused(&bad_number, &[]);
    std::fs::write(&bad_number, tiny_cur(None, "n/a")).unwrap();
    assert_refused(
        &bad_number,
        &["line 3", "lineItem/UnblendedCost", "n/a", "a number"],
    );

    let bad_time = d.join("bad-time.csv");
    std::fs::write(
        &bad_time,
        tiny_cur(None, "1").replace("2024-01-02T00:00:00Z", "02/01/2024"),
    )
    .unwrap();
    assert_refused(&bad_time, &["line 3", "UsageStartDate", "02/01/2024"]);

    let unknown = d.join("unknown.csv");
    std::fs::write(&unknown, "a,b,c\n1,2,3\n").unwrap();
    assert_refused(&unknown, &["unknown billing format"]);

    let empty = d.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert_refused(&empty, &["empty"]);

    let header_only = d.join("header-only.csv");
    std::fs::write(&header_only, tiny_cur(None, "1").lines().next().unwrap()).unwrap();
    assert_refused(&header_only, &["no data rows"]);

    let truncated = d.join("truncated.csv.gz");
    let full = gzip(&std::fs::read(public_sample(CUR_CSV_SAMPLE)).unwrap());
    std::fs::write(&truncated, &full[..full.len() / 2]).unwrap();
    assert_refused(&truncated, &["gzip"]);

    let bad_parquet = d.join("broken.parquet");
    let bytes = std::fs::read(public_sample(CUR_PARQUET_SAMPLE)).unwrap();
    std::fs::write(&bad_parquet, &bytes[..bytes.len() / 2]).unwrap();
    assert_refused(&bad_parquet, &["parquet"]);

    let no_billing = d.join("no-billing-here");
    std::fs::create_dir(&no_billing).unwrap();
    std::fs::write(no_billing.join("notes.txt"), "hello").unwrap();
    assert_refused(&no_billing, &["no billing files"]);

    assert_refused(&d.join("does-not-exist.parquet"), &["no such file"]);
}

#[test]
fn unknown_extra_columns_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extra.csv");
    std::fs::write(&path, tiny_cur(Some(("custom/SomethingNew", "x")), "2.00")).unwrap();
    let run = costlens(
        &["summary", "--format", "json", path.to_str().unwrap()],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_cents(
        json(&run.stdout)["billed_cost"].as_f64().unwrap(),
        2.75,
        "billed",
    );
}

/// Real parquet MAP columns, as AWS writes CUR 2.0 and its FOCUS 1.2 export (fixtures built
/// with pyarrow by tests/fixtures/make_fixtures.py; figures worked out there by hand).
#[test]
fn map_columns_from_cur2_and_aws_focus_parquet() {
    let fixtures = root().join("tests/fixtures");
    for (file, rows, billed, effective) in [
        ("cur2_map.parquet", 3, 13.25, 11.75),
        ("focus12_map.parquet", 2, 7.0, 6.0),
    ] {
        let path = fixtures.join(file);
        let run = costlens(
            &["summary", "--format", "json", path.to_str().unwrap()],
            &root(),
        );
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        let s = json(&run.stdout);
        assert_eq!(s["rows"], rows, "{file}");
        assert_cents(s["billed_cost"].as_f64().unwrap(), billed, file);
        assert_cents(s["effective_cost"].as_f64().unwrap(), effective, file);
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cur2.csv");
    let cur2 = fixtures.join("cur2_map.parquet");
    let run = costlens(
        &[
            "convert",
            cur2.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    // user_ loses its prefix, aws_ becomes aws:, empty values are dropped.
    assert!(
        text.contains(r#""{""aws:created_by"":""alice"",""team"":""web""}""#),
        "{text}"
    );
    assert!(text.contains(r#""{""team"":""data""}""#), "{text}");
    let focus = fixtures.join("focus12_map.parquet");
    let out = dir.path().join("focus.csv");
    let run = costlens(
        &[
            "convert",
            focus.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains(r#""{""team"":""web""}""#));
}

//! Never a wrong total, never a panic, never a hang: the real binary on the case families of
//! issue 16 (magnitude, currency, links and special files, timestamps, DECIMAL and other
//! parquet types, configuration). Totals are compared digit for digit with DuckDB's DECIMAL
//! sums (`tests/figures/robustness_totals.py`, the query beside each figure) or with sums
//! worked by hand in `tests/fixtures/make_fixtures.py`; bad inputs must exit 2 with one line
//! naming the file and, where there is one, the line or row and the column.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The binary, killed and reported if it runs longer than a minute (a hang fails the test
/// instead of blocking the suite).
fn costlens_bounded(args: &[&str], cwd: &Path) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_costlens"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .env_remove("COSTLENS_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the costlens binary runs");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("costlens {args:?} hung for a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The text of the first JSON number after `"key": ` (every digit, not through f64).
fn number(json: &str, key: &str) -> String {
    let tag = format!("\"{key}\": ");
    let at = json
        .find(&tag)
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + tag.len();
    json[at..]
        .chars()
        .take_while(|c| !matches!(c, ',' | '\n' | '}'))
        .collect()
}

/// A FOCUS CSV, one line per (cost, currency, start); BilledCost, EffectiveCost and ListCost
/// all equal the cost (quoted, so a cell may hold a comma).
fn focus_csv(lines: &[(&str, &str, &str)]) -> String {
    let mut out = String::from(
        "BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargePeriodStart,ChargeCategory,\
         ServiceName,SubAccountId\n",
    );
    for (cost, currency, start) in lines {
        out.push_str(&format!(
            "\"{cost}\",\"{cost}\",\"{cost}\",{currency},{start},Usage,Compute,111\n"
        ));
    }
    out
}

/// The magnitude family: (file, lines, DuckDB's sum). Written to CSV by [`focus_csv`]; the
/// same lines are in `tests/figures/robustness_totals.py`, whose query
/// `select sum(BilledCost::DECIMAL(38,12)) from read_csv(file, all_varchar=true)` gave each
/// figure.
fn magnitudes() -> Vec<(&'static str, Vec<String>, &'static str)> {
    let repeat = |n: usize, cost: &str| vec![cost.to_string(); n];
    vec![
        // One line of 1e10 (i64 nano-units end at 9.22e9).
        (
            "line-1e10.csv",
            vec!["10000000000.000000000001".into(), "1".into()],
            "10000000001.000000000001",
        ),
        // A month of 31 days summing past 9.22e9.
        (
            "month-past-9.22e9.csv",
            repeat(31, "300000000.123456789012"),
            "9300000003.827160459372",
        ),
        // 1e13: three thirds and the pico-unit that makes them whole.
        (
            "sum-1e13.csv",
            [
                repeat(3, "3333333333333.333333333333"),
                vec!["0.000000000001".into()],
            ]
            .concat(),
            "10000000000000",
        ),
        // 1e15: ten lines just below 1e14 and the remainder.
        (
            "sum-1e15.csv",
            [
                repeat(10, "99999999999999.999999999999"),
                vec!["0.00000000001".into()],
            ]
            .concat(),
            "1000000000000000",
        ),
        // A yen month: one 1.2e10 line and 30 smaller ones.
        (
            "yen-month.csv",
            [vec!["12000000000".into()], repeat(30, "123456789")].concat(),
            "15703703670",
        ),
        // A rupiah month of 2e10, in scientific notation as AWS writes small amounts.
        (
            "rupiah-month.csv",
            repeat(20, "1.0000000005E9"),
            "20000000010",
        ),
    ]
}

fn currency_of(file: &str) -> &'static str {
    match file {
        "yen-month.csv" => "JPY",
        "rupiah-month.csv" => "IDR",
        _ => "USD",
    }
}

fn write_magnitudes(dir: &Path) {
    for (file, costs, _) in magnitudes() {
        let lines: Vec<(&str, &str, &str)> = costs
            .iter()
            .map(|c| (c.as_str(), currency_of(file), "2026-10-05T00:00:00Z"))
            .collect();
        std::fs::write(dir.join(file), focus_csv(&lines)).unwrap();
    }
}

#[test]
fn money_is_exact_at_any_magnitude() {
    let dir = tempfile::tempdir().unwrap();
    write_magnitudes(dir.path());
    for (file, _, expected) in magnitudes() {
        let path = dir.path().join(file);
        let run = costlens(
            &["summary", "--format", "json", path.to_str().unwrap()],
            &root(),
        );
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        for key in ["billed_cost", "effective_cost", "list_cost"] {
            assert_eq!(number(&run.stdout, key), expected, "{file} {key}");
        }
        assert_eq!(
            number(&run.stdout, "currency"),
            format!("\"{}\"", currency_of(file))
        );
    }

    // The monthly job on the yen month: totals and cost tables keep every yen.
    let out = dir.path().join("reports");
    let yen = dir.path().join("yen-month.csv");
    let run = costlens(
        &[
            "analyze",
            yen.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = out.join("2026-10");
    let summary = std::fs::read_to_string(report.join("summary.json")).unwrap();
    assert_eq!(number(&summary, "billed_cost"), "15703703670");
    // The CSVs write money to the cent (two decimals, for yen too): every yen, and no more.
    let by_service = csv_rows(&report.join("cost_by_service.csv"));
    assert_eq!(by_service[0]["billed_cost"], "15703703670.00");
    let daily = csv_rows(&report.join("daily_cost.csv"));
    assert_eq!(daily[0]["effective_cost"], "15703703670.00");
    let markdown = std::fs::read_to_string(report.join("summary.md")).unwrap();
    assert!(markdown.contains("15,703,703,670.00"), "{markdown}");
}

/// One bad input: exit 2, one line naming the file and each of `parts`, no panic.
fn assert_refused(run: &Run, file: &str, parts: &[&str]) {
    assert_eq!(run.code, 2, "{file}: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let error: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("costlens: error:"))
        .collect();
    assert_eq!(error.len(), 1, "{}", run.stderr);
    for part in std::iter::once(&file).chain(parts) {
        assert!(error[0].contains(part), "'{part}' in: {}", error[0]);
    }
}

#[test]
fn money_that_is_no_amount_is_refused_naming_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    for (i, bad) in ["1e308", "NaN", "inf", "-infinity", "1e15", "12,5"]
        .iter()
        .enumerate()
    {
        let file = format!("bad-money-{i}.csv");
        let path = dir.path().join(&file);
        let text = focus_csv(&[("1", "USD", "2026-10-01"), (bad, "USD", "2026-10-02")]);
        std::fs::write(&path, text).unwrap();
        let run = costlens(&["summary", path.to_str().unwrap()], &root());
        assert_refused(&run, &file, &["line 3", "BilledCost", bad]);
    }
}

#[test]
fn every_parquet_type_writers_use_is_read_exactly() {
    let types = root().join("tests/fixtures/types");
    // Figures by hand in tests/fixtures/make_fixtures.py.
    let focus = types.join("focus_types.parquet");
    let run = costlens(
        &["summary", "--format", "json", focus.to_str().unwrap()],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(number(&run.stdout, "billed_cost"), "13234567890.623455");
    assert_eq!(number(&run.stdout, "effective_cost"), "100000000001.5");
    assert_eq!(number(&run.stdout, "list_cost"), "123456789012348");
    // New York times in UTC; the naive end timestamps (seconds) are UTC.
    assert_eq!(
        number(&run.stdout, "period_start"),
        "\"2026-10-31T23:00:00Z\""
    );
    assert_eq!(
        number(&run.stdout, "period_end"),
        "\"2026-11-01T16:00:00Z\""
    );

    let cur = types.join("cur_yen.parquet");
    let run = costlens(
        &["summary", "--format", "json", cur.to_str().unwrap()],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(number(&run.stdout, "billed_cost"), "22222222111.5");
    assert_eq!(number(&run.stdout, "list_cost"), "23000000001");
    assert_eq!(number(&run.stdout, "currency"), "\"JPY\"");

    // The monthly job: the latest month in UTC is November for both files (Oct 31 21:00 in
    // New York is Nov 1 01:00 UTC); grouped first or line by line, the same bytes.
    let dir = tempfile::tempdir().unwrap();
    for (file, billed) in [(&focus, "12000000000.499999"), (&cur, "22222222111.5")] {
        let mut reports = Vec::new();
        for per_line in ["0", "1"] {
            let out = dir.path().join(format!("per-line-{per_line}"));
            let args = [
                "analyze",
                file.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ];
            let vars = [("COSTLENS_PER_LINE", per_line)];
            let run = costlens_isolated(&args, &root(), &vars);
            assert_eq!(run.code, 0, "{}", run.stderr);
            let report = out.join("2026-11");
            let summary = std::fs::read_to_string(report.join("summary.json")).unwrap();
            assert_eq!(
                number(&summary, "billed_cost"),
                billed,
                "{}",
                file.display()
            );
            let daily = csv_rows(&report.join("daily_cost.csv"));
            assert!(daily.iter().all(|d| d["date"] == "2026-11-01"), "{daily:?}");
            reports.push(report);
        }
        assert_same_files(&reports[0], &reports[1]);
        std::fs::remove_dir_all(dir.path().join("per-line-0")).unwrap();
        std::fs::remove_dir_all(dir.path().join("per-line-1")).unwrap();
    }
}

#[test]
fn bad_parquet_values_are_named_by_row_and_column_in_every_command() {
    let bad = root().join("tests/fixtures/bad");
    let out = tempfile::tempdir().unwrap();
    let converted = out.path().join("out.parquet");
    let reports = out.path().join("reports");
    for (file, parts) in [
        (
            "nan_cost.parquet",
            vec!["row 4", "line_item_unblended_cost", "NaN"],
        ),
        (
            "inf_cost.parquet",
            vec!["row 4", "line_item_unblended_cost", "-inf"],
        ),
        (
            "huge_cost.parquet",
            vec!["row 4", "line_item_unblended_cost", "1e+308"],
        ),
        (
            "huge_decimal_cost.parquet",
            vec!["row 4", "line_item_unblended_cost"],
        ),
        (
            "null_currency.parquet",
            vec!["row 4", "line_item_currency_code"],
        ),
        (
            "empty_currency.parquet",
            vec!["row 4", "line_item_currency_code"],
        ),
        (
            "null_start.parquet",
            vec!["row 4", "line_item_usage_start_date"],
        ),
        (
            "far_future_start.parquet",
            vec!["row 4", "line_item_usage_start_date"],
        ),
        (
            "focus_junk_start.parquet",
            vec!["row 2", "ChargePeriodStart", "soon"],
        ),
        ("zero_rows.parquet", vec!["no data rows"]),
    ] {
        let input = bad.join(file);
        let input = input.to_str().unwrap();
        for args in [
            vec!["summary", input],
            vec!["convert", input, "--out", converted.to_str().unwrap()],
            vec!["analyze", input, "--out", reports.to_str().unwrap()],
            vec![
                "analyze",
                input,
                "--period",
                "2026-10",
                "--out",
                reports.to_str().unwrap(),
            ],
        ] {
            let run = costlens_bounded(&args, &root());
            assert_refused(&run, file, &parts);
        }
        assert!(!converted.exists() && !reports.join("2026-10").exists());
    }
}

#[test]
fn lines_without_currency_or_start_are_refused_never_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let no_currency = dir.path().join("no-currency.csv");
    std::fs::write(
        &no_currency,
        focus_csv(&[("1", "USD", "2026-10-01"), ("2", "", "2026-10-02")]),
    )
    .unwrap();
    let run = costlens(&["summary", no_currency.to_str().unwrap()], &root());
    assert_refused(&run, "no-currency.csv", &["line 3", "BillingCurrency"]);

    let no_start = dir.path().join("no-start.csv");
    std::fs::write(&no_start, focus_csv(&[("1", "USD", ""), ("2", "USD", "")])).unwrap();
    let run = costlens(&["summary", no_start.to_str().unwrap()], &root());
    assert_refused(&run, "no-start.csv", &["line 2", "ChargePeriodStart"]);
}

#[test]
fn timestamps_with_offsets_count_in_their_utc_month_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 21:00 on Oct 31 in New York (EDT, UTC-4) is 01:00 on Nov 1 UTC: November's.
    let offsets = dir.path().join("offsets.csv");
    std::fs::write(
        &offsets,
        focus_csv(&[
            ("5", "USD", "2024-10-31T21:00:00-04:00"),
            ("7", "USD", "2024-11-01T02:00:00+0530"),
        ]),
    )
    .unwrap();
    let run = costlens(
        &["summary", "--format", "json", offsets.to_str().unwrap()],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // 02:00 at UTC+5:30 is 20:30 UTC the day before.
    assert_eq!(
        number(&run.stdout, "period_start"),
        "\"2024-10-31T20:30:00Z\""
    );
    let out = dir.path().join("reports");
    let run = costlens(
        &[
            "analyze",
            offsets.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = std::fs::read_to_string(out.join("2024-11/summary.json")).unwrap();
    assert_eq!(number(&summary, "billed_cost"), "5");

    for (i, bad) in [
        "0001-01-01T00:00:00Z",
        "+275760-09-13",
        "2024-09-0１",
        "２０２４-09-01",
        "2024-09-01garbage",
        "09/01/2024",
        "2016-12-31T23:59:60Z",
        "2024-09-01T00:00:00 EST",
    ]
    .iter()
    .enumerate()
    {
        let file = format!("bad-time-{i}.csv");
        let path = dir.path().join(&file);
        std::fs::write(
            &path,
            focus_csv(&[("1", "USD", "2024-09-01"), ("1", "USD", bad)]),
        )
        .unwrap();
        let run = costlens(&["summary", path.to_str().unwrap()], &root());
        assert_refused(&run, &file, &["line 3", "ChargePeriodStart", bad]);
    }
}

#[cfg(unix)]
#[test]
fn every_file_is_read_once_and_special_files_never_hang() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let month = dir.path().join("month");
    std::fs::create_dir(&month).unwrap();
    let a = month.join("a.csv");
    std::fs::write(
        &a,
        focus_csv(&[("1.25", "USD", "2026-10-01"), ("2", "USD", "2026-10-02")]),
    )
    .unwrap();
    symlink(&a, month.join("b-symlink.csv")).unwrap();
    std::fs::hard_link(&a, month.join("c-hard-link.csv")).unwrap();
    symlink(&month, month.join("loop")).unwrap();
    symlink(month.join("e.csv"), month.join("d.csv")).unwrap();
    symlink(month.join("d.csv"), month.join("e.csv")).unwrap();
    let fifo = month.join("f-fifo.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let run = costlens_bounded(
        &[
            "summary",
            "--format",
            "json",
            month.to_str().unwrap(),
            a.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // a.csv once: 1.25 + 2 = 3.25, two lines.
    assert_eq!(number(&run.stdout, "rows"), "2");
    assert_eq!(number(&run.stdout, "billed_cost"), "3.25");
    for skipped in [
        "b-symlink.csv",
        "c-hard-link.csv",
        "loop",
        "d.csv",
        "f-fifo.csv",
    ] {
        assert!(
            run.stderr.contains(skipped),
            "{skipped} skipped with a reason: {}",
            run.stderr
        );
    }

    let run = costlens_bounded(&["summary", fifo.to_str().unwrap()], &root());
    assert_refused(&run, "f-fifo.csv", &["FIFO"]);

    // A 2 GiB sparse file after a CSV header: refused within a bounded read.
    let sparse = dir.path().join("sparse.csv");
    let header = focus_csv(&[]);
    std::fs::write(&sparse, &header).unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&sparse)
        .unwrap();
    file.set_len(2 << 30).unwrap();
    let started = Instant::now();
    let run = costlens_bounded(&["summary", sparse.to_str().unwrap()], &root());
    assert_refused(&run, "sparse.csv", &["NUL byte"]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    // A file that is not what its name says.
    let fake = dir.path().join("fake.parquet");
    std::fs::copy(&a, &fake).unwrap();
    let run = costlens_bounded(&["summary", fake.to_str().unwrap()], &root());
    assert_refused(&run, "fake.parquet", &["named .parquet"]);
}

#[test]
fn a_nan_gate_is_a_config_error_naming_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("costlens.toml");
    std::fs::write(&config, "[gates]\nmin_tag_coverage_pct = nan\n").unwrap();
    let data = dir.path().join("a.csv");
    std::fs::write(&data, focus_csv(&[("1", "USD", "2026-10-01")])).unwrap();
    let run = costlens(
        &[
            "analyze",
            data.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--out",
            dir.path().join("reports").to_str().unwrap(),
        ],
        &root(),
    );
    assert_refused(
        &run,
        "costlens.toml",
        &["min_tag_coverage_pct", "line 2", "out of range"],
    );
}

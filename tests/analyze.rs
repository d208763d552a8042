//! `costlens analyze` end to end on a tiny hand-made FOCUS file whose figures are worked out by
//! hand below; determinism, formula neutralisation, atomic writes and gate exit codes.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const HEADER: &str = "BillingAccountId,SubAccountId,ProviderName,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,PricingCategory,ServiceName,RegionId,ResourceId,BilledCost,EffectiveCost,ListCost,ContractedCost,PricingQuantity,PricingUnit,Tags,x_ServiceCode,x_UsageType,x_InstanceType,x_Operation";

/// October 2026, monthly lines (744 hours):
/// 1. vol-1  gp2 500 GB, 50.00, team=web environment=prod
/// 2. i-1    m5.large 744 h, 71.424, team=data environment=Prod (not an allowed value)
/// 3. eip-1  idle Elastic IP, 3.72, no tags
/// 4. bucket S3, 23.00, team is a formula, environment=dev
/// 5. tax 10.00 and 6. a credit −5.00 (untaggable)
fn fixture() -> String {
    let line = |account: &str,
                category: &str,
                pricing: &str,
                service: &str,
                resource: &str,
                cost: f64,
                qty: &str,
                unit: &str,
                tags: &str,
                code: &str,
                usage: &str,
                itype: &str| {
        // Instance hours run Linux (the operation code says so); nothing else has one here.
        let operation = if itype.is_empty() { "" } else { "RunInstances" };
        format!(
            "999,{account},AWS,USD,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,{category},{pricing},{service},us-east-1,{resource},{cost},{cost},{cost},{cost},{qty},{unit},\"{tags}\",{code},{usage},{itype},{operation}\n"
        )
    };
    let mut text = String::from(HEADER) + "\n";
    text += &line(
        "111",
        "Usage",
        "Standard",
        "Amazon Elastic Compute Cloud",
        "vol-1",
        50.0,
        "500",
        "GB-Mo",
        r#"{""team"": ""web"", ""environment"": ""prod""}"#,
        "AmazonEC2",
        "EBS:VolumeUsage.gp2",
        "",
    );
    text += &line(
        "111",
        "Usage",
        "Standard",
        "Amazon Elastic Compute Cloud",
        "i-1",
        71.424,
        "744",
        "Hrs",
        r#"{""team"": ""data"", ""environment"": ""Prod""}"#,
        "AmazonEC2",
        "BoxUsage:m5.large",
        "m5.large",
    );
    text += &line(
        "222",
        "Usage",
        "Standard",
        "Amazon Elastic Compute Cloud",
        "eip-1",
        3.72,
        "744",
        "Hrs",
        "",
        "AmazonEC2",
        "ElasticIP:IdleAddress",
        "",
    );
    text += &line(
        "222",
        "Usage",
        "Standard",
        "Amazon Simple Storage Service",
        "bucket",
        23.0,
        "1000",
        "GB-Mo",
        r#"{""team"": ""=cmd|' /C calc'!A0"", ""environment"": ""dev""}"#,
        "AmazonS3",
        "TimedStorage-ByteHrs",
        "",
    );
    text += &line(
        "111",
        "Tax",
        "",
        "Amazon Elastic Compute Cloud",
        "",
        10.0,
        "",
        "",
        "",
        "AmazonEC2",
        "",
        "",
    );
    text += &line(
        "222",
        "Credit",
        "",
        "AWS Promotional Credits",
        "",
        -5.0,
        "",
        "",
        "",
        "AWSCredits",
        "",
        "",
    );
    text
}

const CONFIG: &str = r#"
[tags]
required = ["team", "environment"]
[tags.allowed]
environment = ["prod", "staging", "dev"]
"#;

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn setup(extra_config: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::write(root.join("bill.csv"), fixture()).unwrap();
    std::fs::write(
        root.join("costlens.toml"),
        format!("{CONFIG}\n{extra_config}"),
    )
    .unwrap();
    Setup { _dir: dir, root }
}

fn analyze(root: &Path, out: &str, env: &[(&str, &str)]) -> Run {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_costlens"));
    command
        .args(["analyze", "bill.csv", "--out", out])
        .current_dir(root)
        .env_remove("RUST_LOG")
        .env_remove("COSTLENS_CONFIG");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s}"))
}

#[test]
fn figures_worked_by_hand() {
    let s = setup("");
    let run = analyze(&s.root, "out", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = s.root.join("out/2026-10");
    let summary = json(&std::fs::read_to_string(report.join("summary.json")).unwrap());
    assert_eq!(summary["schema_version"], 1);
    assert_eq!(summary["currency"], "USD");
    assert_eq!(summary["period_start"], "2026-10-01T00:00:00Z");
    assert_eq!(summary["period_end"], "2026-11-01T00:00:00Z");
    // 50 + 71.424 + 3.72 + 23 + 10 − 5 = 153.144
    for key in ["billed_cost", "effective_cost", "list_cost"] {
        assert_cents(summary["totals"][key].as_f64().unwrap(), 153.144, key);
    }
    // Taggable 148.144; compliant on both keys: vol-1 50 + bucket 23 = 73 → 49.2764%.
    let coverage = summary["kpis"]["tag_coverage_pct"].as_f64().unwrap();
    assert!(
        (coverage - 73.0 / 148.144 * 100.0).abs() < 1e-9,
        "{coverage}"
    );
    assert!((coverage - 49.2764).abs() < 1e-4);
    assert_cents(
        summary["untaggable_cost"].as_f64().unwrap(),
        5.0,
        "untaggable",
    );

    let findings = csv_rows(&report.join("findings.csv"));
    let saving = |rule: &str, id: &str| {
        num(&findings
            .iter()
            .find(|f| f["rule"] == rule && f["resource_id"] == id)
            .unwrap_or_else(|| panic!("{rule} {id}"))["monthly_saving"])
    };
    // The CSV holds savings to the cent.
    // gp2 → gp3 at gp2's performance: 500 GB of gp2 give 250 MiB/s (above 150 GB), gp3
    // includes 125; gp3 = 40.00 storage + 125 MiB/s × 0.04 = 45.00, so 5.00 saved in 744 hours
    // → 4.9059 per 730-hour month: 4.91.
    assert_eq!(saving("ebs-gp2-to-gp3", "vol-1"), 4.91);
    // Idle EIP: all of 3.72 → 3.65 per month.
    assert_eq!(saving("idle-public-ip", "eip-1"), 3.65);
    // m5.large → m7g.large (0.0816 vs 0.096/h): 15% of 71.424 = 10.7136 → 10.5120 per month.
    assert_eq!(saving("graviton", "i-1"), 10.51);
    let untagged = csv_rows(&report.join("untagged_resources.csv"));
    let ids: Vec<&str> = untagged.iter().map(|u| u["resource_id"].as_str()).collect();
    assert_eq!(ids, vec!["i-1", "eip-1"]);
    assert_eq!(untagged[0]["invalid_values"], "environment=Prod");
    assert_eq!(untagged[1]["missing_keys"], "team;environment");

    // Showback by team: direct web 50, data 71.424, formula-team 23; the eip's 3.72 (no team)
    // is its own untagged line; tax and credit (5.00) stay unallocated. The rows add up to
    // 153.14 exactly.
    let allocation = csv_rows(&report.join("allocation.csv"));
    let cents: i64 = allocation
        .iter()
        .map(|r| (num(&r["allocated_cost"]) * 100.0).round() as i64)
        .sum();
    assert_eq!(cents, 15314);
    let line = |value: &str| {
        allocation
            .iter()
            .find(|r| r["value"] == value)
            .unwrap_or_else(|| panic!("{value} in {allocation:?}"))["allocated_cost"]
            .clone()
    };
    assert_eq!(num(&line("web")), 50.0);
    assert_eq!(num(&line("(untagged)")), 3.72);
    assert_eq!(num(&line("(unallocated)")), 5.0);
    let by_service = csv_rows(&report.join("cost_by_service.csv"));
    assert_eq!(by_service[0]["service"], "Amazon Elastic Compute Cloud");
    assert_cents(num(&by_service[0]["effective_cost"]), 135.144, "EC2");
    let hygiene = csv_rows(&report.join("tag_hygiene.csv"));
    let spellings: Vec<&str> = hygiene.iter().map(|h| h["spelling"].as_str()).collect();
    assert_eq!(spellings, vec!["Prod", "prod"]);
}

#[test]
fn formula_looking_tag_values_are_neutralised() {
    let s = setup("");
    assert_eq!(analyze(&s.root, "out", &[]).code, 0);
    let text = std::fs::read_to_string(s.root.join("out/2026-10/allocation.csv")).unwrap();
    assert!(text.contains(",'=cmd|' /C calc'!A0,"), "{text}");
    for line in text.lines() {
        for cell in line.split(',') {
            assert!(!cell.trim_start_matches('"').starts_with('='), "{line}");
        }
    }
    // Numbers stay numbers: the credit is written as -5.00 in the daily costs, not '-5.00.
    let daily = std::fs::read_to_string(s.root.join("out/2026-10/daily_cost.csv")).unwrap();
    assert!(daily.contains(",-5.00,-5.00,USD"), "{daily}");
}

/// Reruns give the same bytes, and so does the other aggregation pass (one shared scan, or one
/// query at a time), which large inputs take.
#[test]
fn same_input_same_bytes_in_either_pass() {
    let s = setup("");
    assert_eq!(
        analyze(&s.root, "a", &[("COSTLENS_LOW_MEMORY", "0")]).code,
        0
    );
    assert_eq!(
        analyze(&s.root, "b", &[("COSTLENS_LOW_MEMORY", "0")]).code,
        0
    );
    assert_eq!(
        analyze(&s.root, "c", &[("COSTLENS_LOW_MEMORY", "1")]).code,
        0
    );
    let a = s.root.join("a/2026-10");
    assert!(files(&a).len() >= 14, "{:?}", files(&a).keys());
    assert_same_files(&a, &s.root.join("b/2026-10"));
    assert_same_files(&a, &s.root.join("c/2026-10"));
}

#[test]
fn a_failed_run_leaves_the_previous_report_intact() {
    let s = setup("");
    assert_eq!(analyze(&s.root, "out", &[]).code, 0);
    let before = files(&s.root.join("out/2026-10"));
    // Change the data so a completed rerun would write different bytes.
    std::fs::write(s.root.join("bill.csv"), fixture().replace("71.424", "80")).unwrap();
    let run = analyze(
        &s.root,
        "out",
        &[("COSTLENS_INJECT_FAILURE", "before-rename")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("injected failure"), "{}", run.stderr);
    assert_eq!(files(&s.root.join("out/2026-10")), before);
    assert_eq!(entries(&s.root.join("out")), vec!["2026-10"]);
}

/// Every name in a folder, sorted (hidden ones included: leftovers are hidden).
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A first report, and data changed so that a completed rerun writes other bytes.
fn report_then_change(s: &Setup) -> std::collections::BTreeMap<String, Vec<u8>> {
    assert_eq!(analyze(&s.root, "out", &[]).code, 0);
    std::fs::write(s.root.join("bill.csv"), fixture().replace("71.424", "80")).unwrap();
    files(&s.root.join("out/2026-10"))
}

/// Faults at each rename of the folder swap (through the test-only `COSTLENS_INJECT_FAILURE`
/// hook): the previous report is under its name whenever a run stops, or is put back by the
/// next start, and nothing a failed or killed run left stays behind.
#[test]
fn rename_faults_never_lose_the_report_and_leave_nothing_behind() {
    fn inject(points: &str) -> [(&str, &str); 1] {
        [("COSTLENS_INJECT_FAILURE", points)]
    }

    // The atomic exchange works (Linux): the new report replaces the old one in one step.
    let s = setup("");
    let before = report_then_change(&s);
    assert_eq!(analyze(&s.root, "out", &[]).code, 0);
    assert_ne!(files(&s.root.join("out/2026-10")), before);
    assert_eq!(entries(&s.root.join("out")), vec!["2026-10"]);

    // No exchange on this filesystem, and moving the new folder in fails (EXDEV): the previous
    // report is moved back, one line says so, exit 2.
    let s = setup("");
    let before = report_then_change(&s);
    let run = analyze(&s.root, "out", &inject("exchange,second-rename"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("renaming into place (the previous report is kept)"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert_eq!(files(&s.root.join("out/2026-10")), before);
    assert_eq!(entries(&s.root.join("out")), vec!["2026-10"]);

    // No exchange, and the fallback's two renames succeed.
    let s = setup("");
    let before = report_then_change(&s);
    assert_eq!(analyze(&s.root, "out", &inject("exchange")).code, 0);
    assert_ne!(files(&s.root.join("out/2026-10")), before);
    assert_eq!(entries(&s.root.join("out")), vec!["2026-10"]);

    // Killed between the two renames: the previous report is aside, the new one not in place.
    // The next start puts the previous one back before doing anything else: shown by a next
    // run that itself fails before its rename.
    let s = setup("");
    let before = report_then_change(&s);
    let run = analyze(&s.root, "out", &inject("exchange,die-between-renames"));
    assert_ne!(run.code, 0);
    assert!(!s.root.join("out/2026-10").exists());
    let run = analyze(&s.root, "out", &inject("before-rename"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("stale lock"), "{}", run.stderr);
    assert_eq!(files(&s.root.join("out/2026-10")), before);
    assert_eq!(entries(&s.root.join("out")), vec!["2026-10"]);

    // Killed after the swap, before the previous report's copy is deleted: the new report is in
    // place, and the next start removes the copy.
    let s = setup("");
    let before = report_then_change(&s);
    let run = analyze(&s.root, "out", &inject("die-after-swap"));
    assert_ne!(run.code, 0);
    let after = files(&s.root.join("out/2026-10"));
    assert_ne!(after, before);
    assert_eq!(entries(&s.root.join("out")).len(), 3, "report, copy, lock");
    assert_eq!(analyze(&s.root, "out", &inject("before-rename")).code, 2);
    assert_eq!(files(&s.root.join("out/2026-10")), after);
    assert_eq!(entries(&s.root.join("out")), vec!["2026-10"]);
}

/// A file-size limit (`ulimit -f`, SIGXFSZ) makes a write fail: one line naming it, exit 2, the
/// previous report intact, no temporary folder and no lock left.
#[test]
fn a_file_size_limit_is_one_clear_error() {
    let s = setup("");
    let before = report_then_change(&s);
    // 64 blocks (32 KiB with dash's 512-byte blocks, 64 KiB with bash's): the CSVs fit, the
    // embedded charts of report.html do not.
    let output = std::process::Command::new("sh")
        .args(["-c", "ulimit -f 64 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_costlens"))
        .args(["analyze", "bill.csv", "--out", "out"])
        .current_dir(&s.root)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert_eq!(files(&s.root.join("out/2026-10")), before);
    assert_eq!(entries(&s.root.join("out")), vec!["2026-10"]);
}

/// Two runs started together on one folder: in every round exactly one writes, the other is
/// refused with exit 2 (the lock is taken in one step, never read half-written).
#[test]
fn two_runs_started_together_never_both_write() {
    let s = setup("");
    for round in 0..5 {
        let start = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_costlens"))
                .args(["analyze", "bill.csv", "--out", "out"])
                .current_dir(&s.root)
                .env_remove("RUST_LOG")
                .stderr(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        };
        let (a, b) = (start(), start());
        let outputs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        let mut codes: Vec<i32> = outputs.iter().map(|o| o.status.code().unwrap()).collect();
        codes.sort();
        let stderr: String = outputs
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .collect();
        assert_eq!(codes, vec![0, 2], "round {round}: {stderr}");
        assert!(stderr.contains("another costlens run"), "{stderr}");
        assert_eq!(entries(&s.root.join("out")), vec!["2026-10"]);
    }
}

/// A lock held by a live run refuses (whatever its text); a lock file that nobody holds is
/// stale even when the pid it names is alive (pid 1 always is), and is taken over.
#[test]
fn the_held_lock_decides_not_the_pid_in_it() {
    let s = setup("");
    std::fs::create_dir(s.root.join("out")).unwrap();
    let lock_path = s.root.join("out/.costlens.lock");
    let held = std::fs::File::create(&lock_path).unwrap();
    held.lock().unwrap();
    let run = analyze(&s.root, "out", &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("another costlens run"),
        "{}",
        run.stderr
    );
    assert!(!s.root.join("out/2026-10").exists());
    drop(held);

    std::fs::write(&lock_path, "pid=1\nstarted=last month\n").unwrap();
    let run = analyze(&s.root, "out", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("stale lock"), "{}", run.stderr);
    assert_eq!(entries(&s.root.join("out")), vec!["2026-10"]);
}

#[test]
fn gates_decide_the_exit_code() {
    // Coverage is 49.28%: a 50% floor is breached (exit 1, report written), 49% passes.
    let s = setup("[gates]\nmin_tag_coverage_pct = 50\n");
    let run = analyze(&s.root, "out", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let summary = json(&std::fs::read_to_string(s.root.join("out/2026-10/summary.json")).unwrap());
    let gate = &summary["gates"][0];
    assert_eq!(gate["name"], "min_tag_coverage_pct");
    assert_eq!(gate["status"], "breached");
    assert_eq!(gate["threshold"], 50.0);
    assert!((gate["value"].as_f64().unwrap() - 49.2764).abs() < 1e-4);

    let s = setup("[gates]\nmin_tag_coverage_pct = 49\n");
    let run = analyze(&s.root, "out", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = json(&std::fs::read_to_string(s.root.join("out/2026-10/summary.json")).unwrap());
    assert_eq!(summary["gates"][0]["status"], "ok");
}

#[test]
fn bad_config_names_the_key_and_line() {
    let s = setup("[gates]\nmin_tag_coverag_pct = 50\n");
    let run = analyze(&s.root, "out", &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("min_tag_coverag_pct"), "{}", run.stderr);
    assert!(run.stderr.contains("line"), "{}", run.stderr);
    assert!(!s.root.join("out").exists());
}

fn analyze_with(root: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["analyze", "bill.csv", "--out", "out"];
    args.extend(extra);
    costlens(&args, root)
}

/// A row with fewer fields than the header, or a cost column twice (exactly, or in another
/// case as FOCUS names match): `summary` and `analyze` both refuse, naming file, line and
/// column, instead of one counting the row and the other dropping it.
#[test]
fn ragged_rows_and_duplicate_columns_are_errors() {
    let s = setup("");
    let short = "999,111,AWS,USD,2026-10-01T00:00:00Z\n";
    std::fs::write(s.root.join("bill.csv"), fixture() + short).unwrap();
    for command in ["summary", "analyze"] {
        let run = costlens(&[command, "bill.csv"], &s.root);
        assert_eq!(run.code, 2, "{command}: {}", run.stderr);
        assert!(
            run.stderr.contains(
                "bill.csv: line 8: 5 of 22 fields, no value for column 'ChargePeriodEnd' onwards"
            ),
            "{command}: {}",
            run.stderr
        );
    }
    for (twice, says) in [
        (
            "BilledCost",
            "column 'BilledCost': appears twice in the header",
        ),
        ("billedcost", "column 'BilledCost': the file has it twice"),
    ] {
        let text: String = fixture()
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let extra = if i == 0 { twice } else { "0" };
                format!("{l},{extra}\n")
            })
            .collect();
        std::fs::write(s.root.join("bill.csv"), text).unwrap();
        for command in ["summary", "analyze"] {
            let run = costlens(&[command, "bill.csv"], &s.root);
            assert_eq!(run.code, 2, "{command}: {}", run.stderr);
            assert!(run.stderr.contains(says), "{command}: {}", run.stderr);
        }
    }
}

/// Impossible utilisation figures are errors naming file, line and column, not advice: each
/// would otherwise size a rightsizing saving on numbers that cannot be.
#[test]
fn impossible_utilisation_values_are_errors() {
    let s = setup("");
    let header = "resource_id,cpu_max_pct,cpu_p95_pct,mem_p95_pct,days_observed\n";
    for (row, says) in [
        (
            "i-1,-50,1,,30",
            "line 2, column 'cpu_max_pct': expected a percentage from 0 to 100, found '-50'",
        ),
        (
            "i-1,250,1,,30",
            "column 'cpu_max_pct': expected a percentage from 0 to 100, found '250'",
        ),
        (
            "i-1,NaN,1,,30",
            "column 'cpu_max_pct': expected a percentage from 0 to 100, found 'NaN'",
        ),
        ("i-1,5,1,140,30", "column 'mem_p95_pct'"),
        (
            "i-1,5,1,,0",
            "column 'days_observed': expected at least 1 day",
        ),
        (
            "i-1,5,1,,30\ni-1,3,1,,30",
            "line 3: resource 'i-1' is also on line 2 with other figures",
        ),
    ] {
        std::fs::write(s.root.join("util.csv"), format!("{header}{row}\n")).unwrap();
        let run = analyze_with(&s.root, &["--utilization", "util.csv"]);
        assert_eq!(run.code, 2, "{row}: {}", run.stderr);
        assert!(run.stderr.contains("util.csv: "), "{}", run.stderr);
        assert!(run.stderr.contains(says), "{row}: {}", run.stderr);
        assert!(!s.root.join("out/2026-10").exists());
    }
}

/// A legacy CUR CSV with 2,000 tag columns: 200 hourly lines of one volume, 0.10 each,
/// tagged only in the last tag column. The required key in that column is read on every line
/// (coverage 100%), a key set on no line gives 0%. (Time for 10, 200 and 2,000 tag columns is
/// in the closing note: each line's tags are now gathered in one pass over its cells.)
#[test]
fn two_thousand_tag_columns_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let tags: Vec<String> = (0..2000)
        .map(|k| format!("resourceTags/user:extra{k}"))
        .collect();
    let mut text = format!(
        "lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,\
         lineItem/CurrencyCode,lineItem/UnblendedCost,lineItem/ResourceId,\
         lineItem/ProductCode,lineItem/UsageType,{}\n",
        tags.join(",")
    );
    let mut values = vec![""; 2000];
    values[1999] = "web";
    let values = values.join(",");
    for hour in 0..200 {
        let (day, h) = (1 + hour / 24, hour % 24);
        text += &format!(
            "Usage,2023-11-{day:02}T{h:02}:00:00Z,2023-11-{day:02}T{h:02}:59:59Z,USD,0.10,vol-1,\
             AmazonEC2,EBS:VolumeUsage.gp3,{values}\n"
        );
    }
    std::fs::write(dir.path().join("cur.csv"), text).unwrap();
    for (key, coverage) in [("extra1999", 100.0), ("extra7", 0.0)] {
        std::fs::write(
            dir.path().join("costlens.toml"),
            format!("[tags]\nrequired = [\"{key}\"]\n"),
        )
        .unwrap();
        let run = costlens(&["analyze", "cur.csv", "--out", key], dir.path());
        assert_eq!(run.code, 0, "{}", run.stderr);
        let s = json(
            &std::fs::read_to_string(dir.path().join(key).join("2023-11/summary.json")).unwrap(),
        );
        assert_eq!(
            s["kpis"]["tag_coverage_pct"].as_f64(),
            Some(coverage),
            "{key}"
        );
        assert_cents(
            s["totals"]["billed_cost"].as_f64().unwrap(),
            20.0,
            "200 × 0.10",
        );
    }
}

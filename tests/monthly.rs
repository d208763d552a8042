//! The monthly review and cron behaviour, through the real binary on a small two-month FOCUS
//! file whose figures are worked out by hand: trends, anomalies, budgets, every gate (breached
//! and passing), run history across consecutive runs, config precedence, periods and the lock.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use common::*;

const HEADER: &str = "BillingAccountId,SubAccountId,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,PricingCategory,ServiceName,RegionId,ResourceId,BilledCost,EffectiveCost,ListCost,ContractedCost,PricingQuantity,PricingUnit,CommitmentDiscountId,CommitmentDiscountType,CommitmentDiscountStatus,Tags,x_ServiceCode,x_UsageType";

fn day(month: u32, d: u32) -> String {
    format!("2026-{month:02}-{d:02}")
}

/// Daily lines:
/// - account 111: EC2 100.00 a day, except 17 October: 900.00 (the anomaly, impact 800);
///   S3 10.00 a day; vol-1 (gp2) 1.00 a day, tagged team=web environment=prod;
/// - account 222: eip-1 idle address in September only, eip-2 in October only, 0.12 a day;
/// - October only: a reservation with 60.00 used and 40.00 unused (utilisation 60%).
///
/// September: 30 × (100 + 10 + 1 + 0.12) = 3333.60.
/// October: 31 × (100 + 10 + 1 + 0.12) + 800 + 60 + 40 = 4344.72.
fn month(m: u32) -> String {
    let days = if m == 9 { 30 } else { 31 };
    let mut out = String::new();
    let mut line = |d: u32,
                    account: &str,
                    category: &str,
                    pricing: &str,
                    service: &str,
                    resource: &str,
                    cost: f64,
                    commitment: (&str, &str),
                    tags: &str,
                    code: &str,
                    usage: &str| {
        let (id, status) = commitment;
        let kind = if id.is_empty() {
            ""
        } else {
            "Reserved Instance"
        };
        let end = if d == days {
            format!("2026-{:02}-01", m + 1)
        } else {
            day(m, d + 1)
        };
        let _ = writeln!(
            out,
            "999,{account},USD,{}T00:00:00Z,{end}T00:00:00Z,{category},{pricing},{service},us-east-1,{resource},{cost},{cost},{cost},{cost},24,Hrs,{id},{kind},{status},\"{tags}\",{code},{usage}",
            day(m, d)
        );
    };
    for d in 1..=days {
        let ec2 = if m == 10 && d == 17 { 900.0 } else { 100.0 };
        line(
            d,
            "111",
            "Usage",
            "Standard",
            "Amazon Elastic Compute Cloud",
            "",
            ec2,
            ("", ""),
            "",
            "AmazonEC2",
            "BoxUsage:c7g.large",
        );
        line(
            d,
            "111",
            "Usage",
            "Standard",
            "Amazon Simple Storage Service",
            "",
            10.0,
            ("", ""),
            "",
            "AmazonS3",
            "TimedStorage-ByteHrs",
        );
        line(
            d,
            "111",
            "Usage",
            "Standard",
            "Amazon Elastic Compute Cloud",
            "vol-1",
            1.0,
            ("", ""),
            r#"{""team"": ""web"", ""environment"": ""prod""}"#,
            "AmazonEC2",
            "EBS:VolumeUsage.gp2",
        );
        let eip = if m == 9 { "eip-1" } else { "eip-2" };
        line(
            d,
            "222",
            "Usage",
            "Standard",
            "Amazon Elastic Compute Cloud",
            eip,
            0.12,
            ("", ""),
            "",
            "AmazonEC2",
            "ElasticIP:IdleAddress",
        );
    }
    if m == 10 {
        line(
            1,
            "222",
            "Usage",
            "Committed",
            "Amazon Elastic Compute Cloud",
            "i-ri",
            60.0,
            ("ri-1", "Used"),
            "",
            "AmazonEC2",
            "BoxUsage:m5.large",
        );
        line(
            1,
            "222",
            "Purchase",
            "Standard",
            "Amazon Elastic Compute Cloud",
            "",
            40.0,
            ("ri-1", "Unused"),
            "",
            "AmazonEC2",
            "HeavyUsage:m5.large",
        );
    }
    out
}

const SEPTEMBER: f64 = 3333.60;
const OCTOBER: f64 = 4344.72;

fn write_data(dir: &Path, name: &str, months: &[u32]) {
    let mut text = String::from(HEADER) + "\n";
    for m in months {
        text += &month(*m);
    }
    std::fs::write(dir.join(name), text).unwrap();
}

fn config(dir: &Path, extra: &str) {
    std::fs::write(
        dir.join("costlens.toml"),
        format!("[tags]\nrequired = [\"team\"]\n[anomaly]\nmin_impact = 100.0\n{extra}"),
    )
    .unwrap();
}

fn summary(dir: &Path, period: &str) -> serde_json::Value {
    json(&std::fs::read_to_string(dir.join("reports").join(period).join("summary.json")).unwrap())
}

fn gate<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("{name}"))
}

#[test]
fn trends_anomaly_budgets_from_two_months_in_one_file() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), "bill.csv", &[9, 10]);
    config(
        dir.path(),
        "[[budgets]]\nname = \"core\"\naccount = \"111\"\namount = 4000.0\n",
    );
    // A configured budget is a gate unless `gates.budgets = false`: breached, so exit 1.
    let run = costlens(&["analyze", "bill.csv"], dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let s = summary(dir.path(), "2026-10");
    assert_cents(
        s["totals"]["effective_cost"].as_f64().unwrap(),
        OCTOBER,
        "October",
    );
    assert_eq!(s["trends"]["previous_period"], "2026-09");
    assert_cents(
        s["trends"]["previous_effective_cost"].as_f64().unwrap(),
        SEPTEMBER,
        "September",
    );
    let growth = (OCTOBER - SEPTEMBER) / SEPTEMBER * 100.0; // 30.33%
    assert!((s["trends"]["mom_growth_pct"].as_f64().unwrap() - growth).abs() < 1e-9);
    assert_eq!(s["trends"]["anomalies"], 1);
    assert_cents(
        s["trends"]["anomaly_impact"].as_f64().unwrap(),
        800.0,
        "impact",
    );
    // Account 111 in October: 31 × 111 + 800 = 4241 of 4000: breached.
    let budget = &s["budgets"][0];
    assert_cents(budget["actual"].as_f64().unwrap(), 4241.0, "budget actual");
    assert_eq!(budget["status"], "breached");
    assert!((s["kpis"]["commitment_utilization_pct"].as_f64().unwrap() - 60.0).abs() < 1e-9);
    let findings =
        std::fs::read_to_string(dir.path().join("reports/2026-10/findings.csv")).unwrap();
    let anomaly = findings.lines().find(|l| l.contains(",anomaly,")).unwrap();
    assert!(anomaly.contains("2026-10-17"), "{anomaly}");
}

#[test]
fn each_gate_breaches_and_passes_with_the_exit_code() {
    // (gate config, expected gate name, figure worked out above)
    let growth = (OCTOBER - SEPTEMBER) / SEPTEMBER * 100.0;
    let cases: [(&str, &str, &str, f64); 4] = [
        (
            "max_mom_growth_pct = 30",
            "max_mom_growth_pct = 31",
            "max_mom_growth_pct",
            growth,
        ),
        (
            "min_commitment_utilization_pct = 61",
            "min_commitment_utilization_pct = 59",
            "min_commitment_utilization_pct",
            60.0,
        ),
        (
            "max_anomaly_impact = 799",
            "max_anomaly_impact = 801",
            "max_anomaly_impact",
            800.0,
        ),
        (
            "min_tag_coverage_pct = 90",
            "min_tag_coverage_pct = 0",
            "min_tag_coverage_pct",
            31.0 / (31.0 + 31.0 * 0.12 + 60.0) * 100.0,
        ),
    ];
    for (breach, pass, name, figure) in cases {
        for (gates, code, status) in [(breach, 1, "breached"), (pass, 0, "ok")] {
            let dir = tempfile::tempdir().unwrap();
            write_data(dir.path(), "bill.csv", &[9, 10]);
            config(dir.path(), &format!("[gates]\n{gates}\n"));
            let run = costlens(&["analyze", "bill.csv"], dir.path());
            assert_eq!(run.code, code, "{gates}: {}", run.stderr);
            let s = summary(dir.path(), "2026-10");
            let g = gate(&s, name);
            assert_eq!(g["status"], status, "{gates}");
            assert!(
                (g["value"].as_f64().unwrap() - figure).abs() < 1e-6,
                "{gates}: {g}"
            );
        }
    }
    for (amount, code, status) in [(4000.0, 1, "breached"), (6000.0, 0, "ok")] {
        let dir = tempfile::tempdir().unwrap();
        write_data(dir.path(), "bill.csv", &[9, 10]);
        config(dir.path(), &format!("[[budgets]]\nname = \"core\"\naccount = \"111\"\namount = {amount}\n[gates]\nbudgets = true\n"));
        let run = costlens(&["analyze", "bill.csv"], dir.path());
        assert_eq!(run.code, code, "{}", run.stderr);
        assert_eq!(
            gate(&summary(dir.path(), "2026-10"), "budgets_breached")["status"],
            status
        );
    }
}

#[test]
fn quiet_cron_runs_print_nothing_on_success_and_one_line_per_breached_gate() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), "bill.csv", &[9, 10]);
    config(dir.path(), "[gates]\nmax_mom_growth_pct = 31\n");
    let ok = costlens(&["--quiet", "analyze", "bill.csv"], dir.path());
    assert_eq!(
        (ok.code, ok.stdout.as_str(), ok.stderr.as_str()),
        (0, "", "")
    );

    // September 3333.60 → October 4344.72: +30.33%, above a 15% maximum.
    config(
        dir.path(),
        "[gates]\nmax_mom_growth_pct = 15\nmin_tag_coverage_pct = 0\n",
    );
    let breached = costlens(&["--quiet", "analyze", "bill.csv"], dir.path());
    assert_eq!(breached.code, 1);
    assert_eq!(breached.stdout, "");
    assert_eq!(
        breached.stderr,
        "costlens: policy gate breached: max_mom_growth_pct 30.33, above the maximum 15; \
         report: reports/2026-10\n"
    );
}

#[test]
fn json_logs_are_json_lines_with_numbers_as_numbers_errors_included() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), "bill.csv", &[9, 10]);
    config(dir.path(), "[gates]\nmax_mom_growth_pct = 15\n");
    let growth = (OCTOBER - SEPTEMBER) / SEPTEMBER * 100.0;
    let lines = |run: &Run| -> Vec<serde_json::Value> {
        assert!(!run.stderr.is_empty());
        run.stderr.lines().map(json).collect()
    };
    for quiet in [true, false] {
        let mut args = vec!["--log-format", "json", "-v", "analyze", "bill.csv"];
        if quiet {
            args.retain(|a| *a != "-v");
            args.insert(0, "--quiet");
        }
        let run = costlens(&args, dir.path());
        assert_eq!(run.code, 1, "{}", run.stderr);
        let events = lines(&run);
        let breach: Vec<_> = events
            .iter()
            .filter(|e| e["fields"]["gate"] == "max_mom_growth_pct")
            .collect();
        assert_eq!(breach.len(), 1, "{}", run.stderr);
        let fields = &breach[0]["fields"];
        assert_eq!(breach[0]["level"], "WARN");
        assert!((fields["value"].as_f64().unwrap() - growth).abs() < 1e-9);
        assert_eq!(fields["threshold"].as_f64(), Some(15.0));
        assert_eq!(fields["report"], "reports/2026-10");
        if quiet {
            assert_eq!(events.len(), 1, "{}", run.stderr);
        } else {
            // The stage timings carry their figures as numbers too.
            let done = events
                .iter()
                .find(|e| e["fields"]["message"] == "done")
                .expect("the run's last log line");
            assert!(done["fields"]["elapsed_ms"].is_u64(), "{done}");
            assert!(
                events.iter().all(|e| e["fields"]
                    .as_object()
                    .unwrap()
                    .values()
                    .all(|v| !v.as_str().is_some_and(|s| s.starts_with("Some(")))),
                "{}",
                run.stderr
            );
        }
    }
    std::fs::write(dir.path().join("not-a-folder"), "").unwrap();
    let run = costlens(
        &[
            "--log-format",
            "json",
            "analyze",
            "bill.csv",
            "--out",
            "not-a-folder/x",
        ],
        dir.path(),
    );
    assert_eq!(run.code, 2);
    let events = lines(&run);
    assert_eq!(events.len(), 1, "{}", run.stderr);
    assert_eq!(events[0]["level"], "ERROR");
    let message = events[0]["fields"]["message"].as_str().unwrap();
    assert!(message.starts_with("not-a-folder/x"), "{message}");
    assert_eq!(message.matches("Not a directory").count(), 1, "{message}");
}

#[test]
fn consecutive_runs_track_trends_and_history_through_the_previous_report() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), "september.csv", &[9]);
    write_data(dir.path(), "october.csv", &[10]);
    config(dir.path(), "");
    assert_eq!(costlens(&["analyze", "september.csv"], dir.path()).code, 0);
    let run = costlens(&["analyze", "october.csv"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The data holds only October: September's figures come from its report.
    let s = summary(dir.path(), "2026-10");
    assert_eq!(s["trends"]["previous_period"], "2026-09");
    let growth = (OCTOBER - SEPTEMBER) / SEPTEMBER * 100.0;
    assert!((s["trends"]["mom_growth_pct"].as_f64().unwrap() - growth).abs() < 1e-9);

    let october = findings_by_rule(dir.path(), "2026-10");
    let find = |rule: &str, id: &str| {
        october
            .iter()
            .find(|f| f["rule"] == rule && f["resource_id"] == id)
            .cloned()
    };
    let gp2 = find("ebs-gp2-to-gp3", "vol-1").unwrap();
    assert_eq!(
        (
            gp2["status"].as_str(),
            gp2["first_seen"].as_str(),
            gp2["months_open"].as_str()
        ),
        ("open", "2026-09", "2")
    );
    let eip2 = find("idle-public-ip", "eip-2").unwrap();
    assert_eq!(eip2["status"], "new");
    assert!(find("idle-public-ip", "eip-1").is_none());
    // eip-1 is resolved: all of September's 30 × 0.12 = 3.60 over 720 h → 3.65 per month.
    let h = &s["history"];
    assert_eq!(h["previous_report"], "2026-09");
    let resolved = h["resolved_findings"].as_array().unwrap();
    let eip1 = resolved
        .iter()
        .find(|r| r["resource_id"] == "eip-1")
        .unwrap();
    assert!((eip1["monthly_saving"].as_f64().unwrap() - 3.65).abs() < 1e-9);

    // A rerun of October is idempotent: same history, same bytes.
    let before = std::fs::read(dir.path().join("reports/2026-10/findings.csv")).unwrap();
    assert_eq!(costlens(&["analyze", "october.csv"], dir.path()).code, 0);
    assert_eq!(
        std::fs::read(dir.path().join("reports/2026-10/findings.csv")).unwrap(),
        before
    );
}

#[test]
fn periods_pick_the_data_and_bad_periods_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), "bill.csv", &[9, 10]);
    config(dir.path(), "");
    let run = costlens(&["analyze", "bill.csv", "--period", "2026-09"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_cents(
        summary(dir.path(), "2026-09")["totals"]["effective_cost"]
            .as_f64()
            .unwrap(),
        SEPTEMBER,
        "Sep",
    );
    // A range inside October: 10 days of 111.12, no spike, no reservation.
    let run = costlens(
        &["analyze", "bill.csv", "--period", "2026-10-01..2026-10-10"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = summary(dir.path(), "2026-10-01..2026-10-10");
    assert_cents(
        s["totals"]["effective_cost"].as_f64().unwrap(),
        10.0 * 111.12 + 100.0,
        "range",
    );
    for bad in ["2026-13", "Q3", "2026-10-10..2026-10-01"] {
        let run = costlens(&["analyze", "bill.csv", "--period", bad], dir.path());
        assert_eq!(run.code, 2, "{bad}");
        assert!(run.stderr.contains("--period"), "{}", run.stderr);
    }
    // A period without data is an error, not an empty report.
    let run = costlens(&["analyze", "bill.csv", "--period", "2026-11"], dir.path());
    assert_eq!(run.code, 2, "no data in November: {}", run.stderr);
}

#[test]
fn flag_beats_environment_beats_file() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), "bill.csv", &[10]);
    config(dir.path(), "");
    let toml = std::fs::read_to_string(dir.path().join("costlens.toml")).unwrap();
    std::fs::write(
        dir.path().join("costlens.toml"),
        format!("output_dir = \"from-file\"\n{toml}"),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_costlens");
    let run = |args: &[&str], env: Option<&str>| {
        let mut c = std::process::Command::new(bin);
        c.args(args)
            .current_dir(dir.path())
            .env_remove("COSTLENS_OUT")
            .env_remove("COSTLENS_CONFIG");
        if let Some(v) = env {
            c.env("COSTLENS_OUT", v);
        }
        c.output().unwrap().status.code()
    };
    assert_eq!(run(&["analyze", "bill.csv"], None), Some(0));
    assert!(dir.path().join("from-file/2026-10/summary.json").exists());
    assert_eq!(run(&["analyze", "bill.csv"], Some("from-env")), Some(0));
    assert!(dir.path().join("from-env/2026-10/summary.json").exists());
    assert_eq!(
        run(
            &["analyze", "bill.csv", "--out", "from-flag"],
            Some("from-env")
        ),
        Some(0)
    );
    assert!(dir.path().join("from-flag/2026-10/summary.json").exists());
}

#[test]
fn overlapping_runs_are_refused_and_stale_locks_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), "bill.csv", &[10]);
    config(dir.path(), "");
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    let lock = dir.path().join("reports/.costlens.lock");
    // A live holder: this test process, holding the lock.
    std::fs::write(&lock, format!("pid={}\nstarted=now\n", std::process::id())).unwrap();
    let held = std::fs::File::open(&lock).unwrap();
    held.lock().unwrap();
    let run = costlens(&["analyze", "bill.csv"], dir.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("another costlens run"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("reports/2026-10").exists());
    drop(held);
    // A holder that is gone: reported, taken over, removed at the end.
    std::fs::write(&lock, "pid=4294967\nstarted=last night\n").unwrap();
    let run = costlens(&["analyze", "bill.csv"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("stale lock"), "{}", run.stderr);
    assert!(!lock.exists());
}

#[test]
fn init_writes_a_valid_commented_example() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(costlens(&["init"], dir.path()).code, 0);
    let text = std::fs::read_to_string(dir.path().join("costlens.toml")).unwrap();
    assert!(text.contains("# Policy gates"));
    assert_eq!(
        costlens(&["init"], dir.path()).code,
        2,
        "no overwrite without --force"
    );
    write_data(dir.path(), "bill.csv", &[10]);
    assert_eq!(costlens(&["analyze", "bill.csv"], dir.path()).code, 0);
}

#[test]
fn month_to_date_is_partial_and_budgets_use_the_run_rate() {
    let dir = tempfile::tempdir().unwrap();
    // October 1–10 only (the reservation lines are on the 1st): 10 × 111.12 + 100 = 1211.20.
    let first_ten: String = month(10)
        .lines()
        .filter(|l| {
            let d: u32 = l.split(',').nth(3).unwrap()[8..10].parse().unwrap();
            d <= 10
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        dir.path().join("bill.csv"),
        format!("{HEADER}\n{first_ten}"),
    )
    .unwrap();
    config(
        dir.path(),
        "[[budgets]]\nname = \"core\"\naccount = \"111\"\namount = 3000.0\n[gates]\nbudgets = false\n",
    );
    let run = costlens(&["analyze", "bill.csv", "--period", "2026-10"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = summary(dir.path(), "2026-10");
    assert_eq!(s["partial"], true);
    assert_cents(
        s["totals"]["effective_cost"].as_f64().unwrap(),
        1211.20,
        "month to date",
    );
    // Account 111: 10 × 111 = 1110 in 10 days → 1110 × 31 / 10 = 3441 forecast: breached.
    let budget = &s["budgets"][0];
    assert_cents(budget["forecast"].as_f64().unwrap(), 3441.0, "forecast");
    assert_eq!(budget["status"], "breached");
    // The month's forecast: 1211.20 × 31 / 10 = 3754.72, on the first screen too.
    assert_cents(
        s["trends"]["forecast"].as_f64().unwrap(),
        3754.72,
        "month forecast",
    );
    let md = std::fs::read_to_string(dir.path().join("reports/2026-10/summary.md")).unwrap();
    assert!(
        md.contains("**1,211.20 USD in 2026-10 so far**")
            && md.contains("Forecast to the month's end: 3,754.72 USD"),
        "{md}"
    );
}

/// The first screen of the two-month file, worked by hand from the lines above:
/// October 4344.72 against September 3333.60: +1011.12 (+30.33%), moved by EC2 in account 111
/// (3030 → 31 × 101 + 800 = 3931: +901), EC2 in account 222 (the idle address 3.60 → 3.72
/// plus the reservation's 100: +100.12) and S3 in 111 (300 → 310: +10).
#[test]
fn the_first_screen_tells_the_story() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), "bill.csv", &[9, 10]);
    // A budget on the team tag: vol-1 (web) costs 31 directly; the taggable cost without a
    // team (eip-2 3.72 + i-ri 60 = 63.72) is showback's own (untagged) line, shared with no
    // one by default: web is allocated 31, of 100.
    config(
        dir.path(),
        "[[budgets]]\nname = \"web\"\ntag_value = \"web\"\namount = 100.0\n",
    );
    let run = costlens(&["analyze", "bill.csv"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = summary(dir.path(), "2026-10");
    let t = &s["trends"];
    assert_cents(t["change"].as_f64().unwrap(), OCTOBER - SEPTEMBER, "change");
    let drivers: Vec<(String, String, f64)> = t["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["service"].as_str().unwrap().to_string(),
                d["account"].as_str().unwrap().to_string(),
                d["change"].as_f64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("Amazon Elastic Compute Cloud", "111", 901.0),
        ("Amazon Elastic Compute Cloud", "222", 100.12),
        ("Amazon Simple Storage Service", "111", 10.0),
    ];
    assert_eq!(drivers.len(), expected.len(), "{drivers:?}");
    for ((service, account, change), (s2, a2, c2)) in drivers.iter().zip(expected) {
        assert_eq!((service.as_str(), account.as_str()), (s2, a2));
        assert_cents(*change, c2, service);
    }
    let months: Vec<(&str, f64)> = t["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap(),
                m["effective_cost"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(months.len(), 2);
    assert_eq!(months[0].0, "2026-09");
    assert_cents(months[0].1, SEPTEMBER, "September");
    assert_cents(months[1].1, OCTOBER, "October");
    // The tag budget and the showback give web the same cost.
    let budget = &s["budgets"][0];
    assert_cents(budget["actual"].as_f64().unwrap(), 31.0, "web's budget");
    let showback = csv_rows(&dir.path().join("reports/2026-10/allocation.csv"));
    let allocated = |value: &str| {
        let row = showback.iter().find(|r| r["value"] == value).unwrap();
        row["allocated_cost"].clone()
    };
    assert_eq!(allocated("web"), "31.00");
    assert_eq!(allocated("(untagged)"), "63.72");

    // The same story opens summary.md and report.html, before the headline figures.
    let md = std::fs::read_to_string(dir.path().join("reports/2026-10/summary.md")).unwrap();
    let story = "**4,344.72 USD in 2026-10**: **+1,011.12 USD \\(+30.3%\\) against 2026-09 \\(3,333.60 USD\\)**.";
    assert!(md.contains(story), "{md}");
    assert!(
        md.contains("| Amazon Elastic Compute Cloud | 111 | 3,030.00 | 3,931.00 | +901.00 |"),
        "{md}"
    );
    let html = std::fs::read_to_string(dir.path().join("reports/2026-10/report.html")).unwrap();
    let at = |text: &str| html.find(text).unwrap_or_else(|| panic!("{text} missing"));
    assert!(at("Every amount is EffectiveCost") < at("4,344.72 USD in 2026-10"));
    assert!(
        at("+1,011.12 USD (+30.3%) against 2026-09 (3,333.60 USD)") < at("What moved the cost")
    );
    assert!(at("What moved the cost") < at("First actions"));
    assert!(at("First actions") < at("Headline figures"));
    assert!(at("monthly_trend.png") < at("Headline figures"));
    // The cost basis is stated once, on the first screen.
    assert_eq!(html.matches("Every amount is EffectiveCost").count(), 1);
    assert!(dir
        .path()
        .join("reports/2026-10/monthly_trend.png")
        .exists());
}

#[test]
fn the_months_so_far_come_from_the_earlier_reports() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), "september.csv", &[9]);
    write_data(dir.path(), "october.csv", &[10]);
    config(dir.path(), "");
    assert_eq!(costlens(&["analyze", "september.csv"], dir.path()).code, 0);
    assert_eq!(costlens(&["analyze", "october.csv"], dir.path()).code, 0);
    let s = summary(dir.path(), "2026-10");
    let months = s["trends"]["months"].as_array().unwrap();
    assert_eq!(months.len(), 2, "{months:?}");
    assert_eq!(
        (&months[0]["month"], &months[0]["from_report"]),
        (&"2026-09".into(), &true.into())
    );
    assert_cents(
        months[0]["effective_cost"].as_f64().unwrap(),
        SEPTEMBER,
        "from the report",
    );
    // The drivers are measured against the pairs September's summary.json kept.
    let first = &s["trends"]["drivers"][0];
    assert_eq!(
        (&first["service"], &first["account"]),
        (&"Amazon Elastic Compute Cloud".into(), &"111".into())
    );
    assert_cents(first["change"].as_f64().unwrap(), 901.0, "EC2 in 111");
}

/// A range of days is compared with as many days before it, and only findings this run could
/// have found again are called resolved.
#[test]
fn a_range_is_compared_like_for_like_and_resolves_only_what_it_covers() {
    let dir = tempfile::tempdir().unwrap();
    // The two months, plus an idle address billed 1-5 September only (0.12 a day).
    let mut text = String::from(HEADER) + "\n" + &month(9) + &month(10);
    for d in 1..=5 {
        let _ = writeln!(
            text,
            "999,222,USD,2026-09-{d:02}T00:00:00Z,2026-09-{:02}T00:00:00Z,Usage,Standard,Amazon Elastic Compute Cloud,us-east-1,eip-early,0.12,0.12,0.12,0.12,24,Hrs,,,,\"\",AmazonEC2,ElasticIP:IdleAddress",
            d + 1
        );
    }
    std::fs::write(dir.path().join("bill.csv"), text).unwrap();
    // The address saves 0.61 a month: on its own line, not rolled up.
    config(dir.path(), "[report]\nmin_saving = 0.0\n");
    let run = costlens(&["analyze", "bill.csv", "--period", "2026-09"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let september = findings_by_rule(dir.path(), "2026-09");
    assert!(september.iter().any(|f| f["resource_id"] == "eip-early"));
    assert!(september.iter().any(|f| f["resource_id"] == "eip-1"));

    let run = costlens(
        &["analyze", "bill.csv", "--period", "2026-10-01..2026-10-15"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = summary(dir.path(), "2026-10-01..2026-10-15");
    // 1-15 October: 15 × 111.12 + the reservation's 100 = 1766.80, against 16-30 September:
    // 15 × 111.12 = 1666.80: +100 (+6.0%), not against all of September (-47%).
    assert_eq!(s["trends"]["previous_period"], "2026-09-16..2026-09-30");
    assert_cents(
        s["trends"]["previous_effective_cost"].as_f64().unwrap(),
        1666.80,
        "16-30 Sep",
    );
    let growth = 100.0 / 1666.80 * 100.0;
    assert!((s["trends"]["mom_growth_pct"].as_f64().unwrap() - growth).abs() < 1e-9);
    // Against September's report: eip-1 was billed in 16-30 September and is gone, so it is
    // resolved; eip-early was not billed there, so this run could not have found it again.
    let h = &s["history"];
    assert_eq!(h["previous_report"], "2026-09");
    let resolved: Vec<&str> = h["resolved_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource_id"].as_str().unwrap())
        .collect();
    assert!(resolved.contains(&"eip-1"), "{resolved:?}");
    assert!(!resolved.contains(&"eip-early"), "{resolved:?}");
    assert!(h["not_compared"].as_u64().unwrap() >= 1, "{h}");
}

fn findings_by_rule(dir: &Path, period: &str) -> Vec<BTreeMap<String, String>> {
    csv_rows(&dir.join("reports").join(period).join("findings.csv"))
}

/// September's report, written by a first run, for October's run to read back.
fn september_report(dir: &Path) -> std::path::PathBuf {
    write_data(dir, "september.csv", &[9]);
    write_data(dir, "october.csv", &[10]);
    config(dir, "");
    assert_eq!(costlens(&["analyze", "september.csv"], dir).code, 0);
    dir.join("reports/2026-09")
}

fn october_history(dir: &Path) -> (Run, serde_json::Value) {
    let run = costlens(&["analyze", "october.csv"], dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (run, summary(dir, "2026-10")["history"].clone())
}

fn warnings_of(history: &serde_json::Value) -> String {
    history["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A previous findings.csv that is empty, garbage or header-only: the run goes on, every
/// finding is new, and the damage is said in the run's log, in summary.json's history block and
/// in summary.md, never silently.
#[test]
fn an_unreadable_previous_findings_file_is_reported_not_silently_reset() {
    let counted = |dir: &Path| -> u64 {
        let s = summary(dir, "2026-09");
        s["findings"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum()
    };
    for (damage, says) in [
        ("", "cannot read the previous findings"),
        ("\u{0}\u{7f}garbage;;\n1,2,3\n", "no finding_id column"),
        (
            "header-only",
            "findings could be read, but that report's summary.json counts",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let september = september_report(dir.path());
        let findings = september.join("findings.csv");
        let text = if damage == "header-only" {
            let all = std::fs::read_to_string(&findings).unwrap();
            all.lines().next().unwrap().to_string() + "\r\n"
        } else {
            damage.to_string()
        };
        std::fs::write(&findings, text).unwrap();
        let (run, history) = october_history(dir.path());
        let warnings = warnings_of(&history);
        assert!(warnings.contains(says), "{damage:?}: {warnings}");
        assert!(run.stderr.contains(says), "{}", run.stderr);
        if damage == "header-only" {
            let n = counted(dir.path());
            assert!(
                n > 0 && warnings.contains(&format!("counts {n}")),
                "{warnings}"
            );
        }
        assert_eq!(history["open"], 0);
        let md = std::fs::read_to_string(dir.path().join("reports/2026-10/summary.md")).unwrap();
        assert!(md.contains("- warning: "), "{md}");
    }
}

/// A previous findings.csv cut off in the middle of its last row: October still runs (it was
/// exit 2 for every later month), the rows before the cut keep their history, the cut one is
/// reported.
#[test]
fn a_truncated_previous_findings_file_keeps_the_rows_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let september = september_report(dir.path());
    let path = september.join("findings.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let rows = csv_rows(&path);
    assert!(rows.len() >= 2, "{text}");
    let last_line = text.trim_end().lines().last().unwrap();
    let cut = text.trim_end().len() - last_line.len() / 2;
    std::fs::write(&path, &text[..cut]).unwrap();
    let (_, history) = october_history(dir.path());
    let warnings = warnings_of(&history);
    assert!(
        warnings.contains(&format!(
            "1 rows of the previous findings could not be read (first: line {}",
            rows.len() + 1
        )),
        "{warnings}"
    );
    let october = findings_by_rule(dir.path(), "2026-10");
    let (intact, cut_off) = rows.split_at(rows.len() - 1);
    for f in &october {
        let id = &f["finding_id"];
        if intact.iter().any(|r| &r["finding_id"] == id) {
            assert_eq!(
                (f["status"].as_str(), f["first_seen"].as_str()),
                ("open", "2026-09")
            );
        } else {
            assert_eq!(f["status"], "new", "{id}");
        }
    }
    assert!(october
        .iter()
        .any(|f| intact.iter().any(|r| r["finding_id"] == f["finding_id"])));
    // The cut-off row is not claimed as resolved: it was not read.
    let resolved = history["resolved_findings"].as_array().unwrap();
    assert!(!resolved
        .iter()
        .any(|r| r["finding_id"] == cut_off[0]["finding_id"].as_str()));
}

/// Last month's summary.json drives the month-over-month trend and growth gate only when it
/// can be trusted: a tampered total (1e300), a total that is not the sum of its services, or
/// another currency are each refused with a warning, and there is no growth figure.
#[test]
fn a_tampered_previous_summary_never_drives_the_trend() {
    let growth = (OCTOBER - SEPTEMBER) / SEPTEMBER * 100.0;
    for (tamper, says) in [
        ("none", ""),
        // Money is exact and bounded: 1e300 is not an amount of money at all.
        ("total=1e300", "expected an amount of money"),
        ("total=5000", "is not the sum of its services"),
        ("currency=EUR", "its costs are in 'EUR'"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let september = september_report(dir.path());
        let path = september.join("summary.json");
        let mut s = json(&std::fs::read_to_string(&path).unwrap());
        match tamper {
            "total=1e300" => s["totals"]["effective_cost"] = 1e300.into(),
            "total=5000" => s["totals"]["effective_cost"] = 5000.0.into(),
            "currency=EUR" => s["currency"] = "EUR".into(),
            _ => {}
        }
        std::fs::write(&path, serde_json::to_string_pretty(&s).unwrap()).unwrap();
        let (_, history) = october_history(dir.path());
        let october = summary(dir.path(), "2026-10");
        let mom = october["trends"]["mom_growth_pct"].as_f64();
        if tamper == "none" {
            assert!((mom.unwrap() - growth).abs() < 1e-9);
            assert_eq!(warnings_of(&history), "");
        } else {
            assert_eq!(mom, None, "{tamper}");
            assert!(warnings_of(&history).contains(says), "{tamper}: {history}");
        }
    }
}

/// One stray line dated 2099 beside October's 126 lines does not move the default period:
/// October is reported without it (its total stays 4344.72), and the stray month is named on
/// stderr and in summary.json's notes; asked for with --period, it is reported.
#[test]
fn a_stray_future_line_does_not_move_the_default_period() {
    let dir = tempfile::tempdir().unwrap();
    write_data(dir.path(), "bill.csv", &[10]);
    config(dir.path(), "");
    let stray = "999,111,USD,2099-01-01T00:00:00Z,2099-01-02T00:00:00Z,Usage,Standard,\
                 Amazon Simple Storage Service,us-east-1,,1.0,1.0,1.0,1.0,1,GB-Mo,,,,,\
                 AmazonS3,TimedStorage-ByteHrs\n";
    let text = std::fs::read_to_string(dir.path().join("bill.csv")).unwrap() + stray;
    std::fs::write(dir.path().join("bill.csv"), text).unwrap();
    let run = costlens(&["analyze", "bill.csv"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("2099-01 (1 lines)"), "{}", run.stderr);
    assert!(!dir.path().join("reports/2099-01").exists());
    let s = summary(dir.path(), "2026-10");
    assert_cents(
        s["totals"]["effective_cost"].as_f64().unwrap(),
        OCTOBER,
        "October",
    );
    assert!(
        s["notes"].to_string().contains("2099-01 (1 lines)"),
        "{}",
        s["notes"]
    );
    let run = costlens(&["analyze", "bill.csv", "--period", "2099-01"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_cents(
        summary(dir.path(), "2099-01")["totals"]["effective_cost"]
            .as_f64()
            .unwrap(),
        1.0,
        "2099-01",
    );
}

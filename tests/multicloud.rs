//! FOCUS data from Azure, Google Cloud and OCI through `costlens analyze`: the commitment KPIs
//! and every usage rule the data supports, on hand-made fixtures (`tests/fixtures/focus/`) whose
//! figures are worked out by hand below, and on data the `focus-data-toolkit` package generates
//! (AWS, Azure and Google Cloud, FOCUS 1.2 and 1.3), checked against DuckDB.
//!
//! Every fixture covers October 2026 (744 hours) with month-long lines, so a saving in the
//! period becomes a monthly saving as × 730 / 744.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;

const MONTH: f64 = 730.0 / 744.0;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/focus").join(name)
}

struct Report {
    summary: serde_json::Value,
    findings: Vec<BTreeMap<String, String>>,
}

/// `costlens analyze` on `input`, for `period` or (None) the data's latest month.
fn analyze(input: &Path, period: Option<&str>) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["analyze", input.to_str().unwrap(), "--out", "reports"];
    args.extend(period.iter().flat_map(|p| ["--period", p]));
    let run = costlens(&args, dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let folder = std::path::PathBuf::from(run.stdout.trim());
    let folder = dir.path().join(folder);
    Report {
        summary: json(&std::fs::read_to_string(folder.join("summary.json")).unwrap()),
        findings: csv_rows(&folder.join("findings.csv")),
    }
}

impl Report {
    fn kpi(&self, name: &str) -> f64 {
        self.summary["kpis"][name]
            .as_f64()
            .unwrap_or_else(|| panic!("{name} is a number: {}", self.summary["kpis"]))
    }

    /// The one finding of `rule` for a resource whose id ends with `resource`.
    fn finding(&self, rule: &str, resource: &str) -> &BTreeMap<String, String> {
        let found: Vec<_> = self
            .findings
            .iter()
            .filter(|f| f["rule"] == rule && f["resource_id"].ends_with(resource))
            .collect();
        assert_eq!(found.len(), 1, "one {rule} for {resource}: {found:#?}");
        found[0]
    }

    fn saving(&self, rule: &str, resource: &str) -> f64 {
        self.finding(rule, resource)["monthly_saving"]
            .parse()
            .unwrap()
    }

    fn has(&self, rule: &str, resource: &str) -> bool {
        self.findings
            .iter()
            .any(|f| f["rule"] == rule && f["resource_id"].ends_with(resource))
    }

    fn notes(&self) -> String {
        self.summary["notes"].to_string()
    }
}

/// findings.csv holds savings to the cent: the hand-worked figure, rounded.
fn to_the_cent(actual: f64, expected: f64, what: &str) {
    let rounded = (expected * 100.0).round() / 100.0;
    assert!(
        (actual - rounded).abs() < 1e-9,
        "{what}: {actual} != {expected} to the cent"
    );
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-6,
        "{what}: {actual} != {expected}"
    );
}

#[test]
fn azure_fixture_by_hand() {
    let r = analyze(&fixture("azure.csv"), Some("2026-10"));
    // web-1, Standard_D4s_v3 (previous generation, 0.192/h) on demand all month: 142.848. The
    // cheapest catalogued successor of its size is Standard_D4as_v5 at 0.172/h:
    // 142.848 × (1 − 0.172 / 0.192) = 14.88 in the period.
    let modern = r.finding("previous-generation", "web-1");
    assert!(modern["recommendation"].contains("Standard_D4as_v5"));
    to_the_cent(
        r.saving("previous-generation", "web-1"),
        14.88 * MONTH,
        "D4s_v3",
    );
    // The P10 data disk (128 GiB) costs 19.71; as Premium SSD v2 its 128 GiB cost 128 × 0.0812
    // = 10.3936: 9.3164 less.
    to_the_cent(
        r.saving("volume-type-upgrade", "web-data"),
        (19.71 - 128.0 * 0.0812) * MONTH,
        "P10 to v2",
    );
    // The OS disk of the same tier is not a candidate: v2 serves data disks only.
    assert!(!r.has("volume-type-upgrade", "OsDisk_1_3f2a"));
    // The snapshot was first billed in June, more than 90 days before the end of October.
    to_the_cent(
        r.saving("old-snapshot", "web-data-2026-05"),
        3.2 * MONTH,
        "snapshot",
    );
    // Commitments: the reservation covers web-2 (list 142.848, effective 80) and has 20 unused.
    // Utilisation 80 / (80 + 20) = 80%. Eligible list: web-1 142.848 + web-2 142.848 (the Spot
    // VM is not eligible) = 285.696, of which 142.848 covered: 50%. ESR: (285.696 − (142.848 +
    // 80) − 20) / 285.696. Spot share of VM hours: 100 / (142.848 + 142.848 + 100).
    close(r.kpi("commitment_utilization_pct"), 80.0, "utilisation");
    close(r.kpi("commitment_coverage_pct"), 50.0, "coverage");
    close(
        r.kpi("effective_savings_rate_pct"),
        (285.696 - 222.848 - 20.0) / 285.696 * 100.0,
        "ESR",
    );
    close(
        r.kpi("spot_share_pct"),
        100.0 / 385.696 * 100.0,
        "Spot share",
    );
    // Azure bills attached and unattached IPs alike: the rule says why it cannot run.
    assert!(!r.has("idle-public-ip", "web-ip"));
    assert!(
        r.notes()
            .contains("Azure data: idle public IPs: not available"),
        "{}",
        r.notes()
    );
}

#[test]
fn google_fixture_by_hand() {
    let r = analyze(&fixture("google.csv"), Some("2026-10"));
    // web-1, n1-standard-4 at 0.19/h all month: 141.36. Successors of the same shape: n2 0.1942,
    // n2d 0.169, t2d 0.169; the first cheapest is n2d: 141.36 × (1 − 0.169 / 0.19).
    assert!(r.finding("previous-generation", "web-1")["recommendation"].contains("n2d-standard-4"));
    to_the_cent(
        r.saving("previous-generation", "web-1"),
        141.36 * (1.0 - 0.169 / 0.19) * MONTH,
        "n1",
    );
    // The unused static IP (SKU "Static Ip Charge") is idle: its whole 7.44; the address in
    // use ("External IP Charge on a Standard VM") is not.
    to_the_cent(
        r.saving("idle-public-ip", "old-ip"),
        7.44 * MONTH,
        "idle IP",
    );
    assert!(!r.has("idle-public-ip", "web-ip"));
    // 100 GiB-months of pd-ssd cost 17.00; as pd-balanced 100 × 0.10 = 10.00.
    to_the_cent(
        r.saving("volume-type-upgrade", "web-data"),
        7.0 * MONTH,
        "pd-ssd",
    );
    to_the_cent(
        r.saving("old-snapshot", "web-data-may"),
        1.3 * MONTH,
        "snapshot",
    );
    // The CUD covers web-2 (list 99.696, effective 70) with 30 unused: utilisation 70%.
    // Eligible list 141.36 + 99.696 = 241.056, 99.696 covered. ESR: (241.056 − (141.36 + 70)
    // − 30) / 241.056, slightly negative: the unused part costs more than the discount saves.
    close(r.kpi("commitment_utilization_pct"), 70.0, "utilisation");
    close(
        r.kpi("commitment_coverage_pct"),
        99.696 / 241.056 * 100.0,
        "coverage",
    );
    close(
        r.kpi("effective_savings_rate_pct"),
        (241.056 - 211.36 - 30.0) / 241.056 * 100.0,
        "ESR",
    );
    close(
        r.kpi("spot_share_pct"),
        99.696 / (141.36 + 99.696 + 99.696) * 100.0,
        "Spot share",
    );
}

#[test]
fn oci_fixture_by_hand_and_the_rules_it_cannot_support() {
    let r = analyze(&fixture("oracle.csv"), Some("2026-10"));
    to_the_cent(r.saving("old-snapshot", "bk1"), 2.55 * MONTH, "backup");
    // One on-demand and one preemptible instance of the same list cost: Spot share 50%; no
    // commitment lines: coverage 0% of the eligible 37.20, utilisation not applicable.
    close(r.kpi("spot_share_pct"), 50.0, "Spot share");
    close(r.kpi("commitment_coverage_pct"), 0.0, "coverage");
    assert!(r.summary["kpis"]["commitment_utilization_pct"].is_null());
    let notes = r.notes();
    for rule in [
        "modernisation: not available",
        "block-storage type upgrades: not available",
        "idle public IPs: not available",
        "commitment purchase sizing not available",
    ] {
        assert!(
            notes.contains(&format!("OCI data: {rule}")) || notes.contains(rule),
            "{rule}: {notes}"
        );
    }
    assert!(!r
        .findings
        .iter()
        .any(|f| f["rule"] == "previous-generation"));
}

/// The cost-and-usage file focus-data-toolkit writes for `provider` and FOCUS `version`.
fn toolkit_month(provider: &str, version: &str, dir: &Path) -> PathBuf {
    let toolkit = focus_tool("focus-toolkit");
    let out = std::process::Command::new(toolkit)
        .args([
            "generate",
            "--provider",
            provider,
            "--focus-version",
            version,
        ])
        .args(["--rows", "3000", "--seed", "11", "--out"])
        .arg(dir)
        .output()
        .expect("focus-toolkit runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = format!(
        "focus_{}_cost_and_usage_{provider}.csv",
        version.replace('.', "_")
    );
    dir.join(name)
}

#[test]
fn toolkit_data_of_every_provider_gets_duckdb_s_commitment_kpis() {
    let work = tempfile::tempdir().unwrap();
    for provider in ["aws", "azure", "gcp"] {
        for version in ["1.2", "1.3"] {
            let dir = work.path().join(format!("{provider}-{version}"));
            let file = toolkit_month(provider, version, &dir);
            let script = root().join("tests/figures/focus_kpis.py");
            let expected = json(&python(
                &[script.to_str().unwrap(), file.to_str().unwrap()],
                &dir,
            ));
            // The generator dates its one month itself: the default period is that month.
            let r = analyze(&file, None);
            let what = format!("{provider} FOCUS {version}");
            for kpi in [
                "commitment_utilization_pct",
                "commitment_coverage_pct",
                "effective_savings_rate_pct",
                "spot_share_pct",
            ] {
                let want = expected[kpi]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{what} {kpi}"));
                let got = r.kpi(kpi);
                assert!(
                    (got - want).abs() < 1e-6,
                    "{what} {kpi}: costlens {got}, DuckDB {want}"
                );
            }
            for (total, key) in [
                ("billed_cost", "billed_cost"),
                ("effective_cost", "effective_cost"),
            ] {
                assert_cents(
                    r.summary["totals"][key].as_f64().unwrap(),
                    expected[total].as_f64().unwrap(),
                    &format!("{what} {total}"),
                );
            }
            // Every provider's compute is classified: commitments are sized, not "n/a".
            assert!(
                r.findings
                    .iter()
                    .any(|f| f["rule"] == "commitment-underused"),
                "{what}: the unused commitments are findings"
            );
        }
    }
}

/// An hourly Azure month, written here: `dev-1`, a Standard_D2s_v5 (0.096/h) tagged
/// environment=dev, and `big-1`, a Standard_D8s_v5 (0.384/h) in production, both on demand for
/// every hour of October 2026.
fn hourly_azure_month() -> String {
    let header = "ProviderName,SubAccountId,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,\
                  ChargeCategory,PricingCategory,ServiceCategory,ServiceSubcategory,ServiceName,\
                  RegionId,ResourceId,SkuPriceDetails,PricingUnit,PricingQuantity,BilledCost,\
                  EffectiveCost,ListCost,ContractedCost,Tags";
    let mut out = String::from(header) + "\n";
    let start = chrono::NaiveDate::from_ymd_opt(2026, 10, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    for hour in 0..744 {
        let at = start + chrono::Duration::hours(hour);
        let end = at + chrono::Duration::hours(1);
        for (vm, size, price, env) in [
            ("dev-1", "Standard_D2s_v5", 0.096, "dev"),
            ("big-1", "Standard_D8s_v5", 0.384, "prod"),
        ] {
            out += &format!(
                "Microsoft,sub-1,USD,{}Z,{}Z,Usage,Standard,Compute,Virtual Machines,\
                 Virtual Machines,westeurope,/subscriptions/sub-1/providers/Microsoft.Compute/\
                 virtualMachines/{vm},\"{{\"\"InstanceType\"\":\"\"{size}\"\"}}\",Hours,1,{price},\
                 {price},{price},{price},\"{{\"\"environment\"\":\"\"{env}\"\"}}\"\n",
                at.format("%Y-%m-%dT%H:%M:%S"),
                end.format("%Y-%m-%dT%H:%M:%S"),
            );
        }
    }
    out
}

#[test]
fn hourly_azure_vms_get_schedules_spot_and_rightsizing() {
    let dir = tempfile::tempdir().unwrap();
    let bill = dir.path().join("azure.csv");
    std::fs::write(&bill, hourly_azure_month()).unwrap();
    let utilization = dir.path().join("utilization.csv");
    // big-1 peaks at 30% CPU and 40% memory (p95 20% / 30%): one size smaller, D4s_v5 at 0.192.
    std::fs::write(
        &utilization,
        "resource_id,cpu_max_pct,cpu_p95_pct,mem_p95_pct,days_observed\n\
         /subscriptions/sub-1/providers/Microsoft.Compute/virtualMachines/big-1,30,20,30,30\n",
    )
    .unwrap();
    let run = costlens(
        &[
            "analyze",
            "azure.csv",
            "--utilization",
            "utilization.csv",
            "--out",
            "reports",
        ],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let folder = dir.path().join("reports/2026-10");
    let r = Report {
        summary: json(&std::fs::read_to_string(folder.join("summary.json")).unwrap()),
        findings: csv_rows(&folder.join("findings.csv")),
    };
    // October 2026 has 22 weekdays: 22 × 12 business hours (08:00-20:00 UTC) = 264 of its 744
    // hours; the other 480 cost 480 × 0.096 = 46.08.
    to_the_cent(
        r.saving("offhours-schedule", "dev-1"),
        46.08 * MONTH,
        "schedule",
    );
    // Non-production on demand: Spot at the assumed 65% discount, 0.65 × 744 × 0.096.
    to_the_cent(
        r.saving("spot-candidate", "dev-1"),
        0.65 * 744.0 * 0.096 * MONTH,
        "Spot",
    );
    // big-1 at 0.384/h all month (285.696) → D4s_v5 at 0.192/h: half of it.
    let down = r.finding("downsize-instance", "big-1");
    assert!(down["recommendation"].contains("Standard_D4s_v5"));
    to_the_cent(
        r.saving("downsize-instance", "big-1"),
        285.696 / 2.0 * MONTH,
        "downsize",
    );
    assert_eq!(r.summary["utilization"]["matched"], 1, "{}", r.summary);
}

//! EKS/ECS split cost allocation through the real binary: the container allocation table, each
//! node's unused share, the unused-capacity finding, and totals that split lines leave alone.
//! The fixture (`tests/fixtures/cur2_split.parquet`, from `make_split_fixture.py`) is one CUR 2.0
//! month, October 2026 (744 hours):
//!
//! | line | unblended | split | unused | parent |
//! |---|---:|---:|---:|---|
//! | node i-node1 | 100.00 | | | |
//! | node i-node2 | 60.00 | | | |
//! | node i-node3 | 50.00 | | | |
//! | S3 bucket | 7.25 | | | |
//! | pod prod/web/w1 vCPU (tags) | 0 | 27.00 | 9.00 | i-node1 |
//! | pod prod/web/w1 memory (tags) | 0 | 3.00 | 1.00 | i-node1 |
//! | pod prod/api/a1 (ARN only) | 0 | 40.00 | 20.00 | i-node1 |
//! | pod prod/web/w2 (ARN only) | 0 | 12.00 | 48.00 | i-node2 |
//! | ECS task batch, service worker (tags) | 0 | 45.00 | 5.00 | i-node3 |

mod common;

use std::path::Path;

use common::*;

fn fixture() -> std::path::PathBuf {
    root().join("tests/fixtures/cur2_split.parquet")
}

fn analyze(input: &Path, out: &Path, vars: &[(&str, &str)]) -> std::path::PathBuf {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_costlens"));
    command.env_remove("RUST_LOG").env_remove("COSTLENS_CONFIG");
    command.envs(vars.iter().copied());
    let output = command
        .args([
            "analyze",
            input.to_str().unwrap(),
            "--period",
            "2026-10",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.code().unwrap() <= 1,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out.join("2026-10")
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("{s} is a number"))
}

#[test]
fn totals_are_the_billed_lines_only() {
    // Split lines carry unblended cost 0: the total is the nodes and the bucket,
    // 100 + 60 + 50 + 7.25 = 217.25, not plus the split 127 and unused 83 they allocate.
    let run = costlens(
        &["summary", "--format", "json", fixture().to_str().unwrap()],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = json(&run.stdout);
    assert_eq!(s["rows"], 9);
    for key in ["billed_cost", "effective_cost", "list_cost"] {
        assert_cents(s[key].as_f64().unwrap(), 217.25, key);
    }
    let dir = tempfile::tempdir().unwrap();
    let report = analyze(&fixture(), dir.path(), &[]);
    let summary = json(&std::fs::read_to_string(report.join("summary.json")).unwrap());
    for key in ["billed_cost", "effective_cost"] {
        assert_cents(summary["totals"][key].as_f64().unwrap(), 217.25, key);
    }
}

/// platform, cluster, group kind, group, split, unused, allocated, nodes.
type AllocationRow = (String, String, String, String, f64, f64, f64, String);

#[test]
fn allocation_per_namespace_and_service_and_unused_share_per_node() {
    let dir = tempfile::tempdir().unwrap();
    let report = analyze(&fixture(), dir.path(), &[]);
    let rows = csv_rows(&report.join("container_allocation.csv"));
    let got: Vec<AllocationRow> = rows
        .iter()
        .map(|r| {
            (
                r["platform"].clone(),
                r["cluster"].clone(),
                r["group_kind"].clone(),
                r["group"].clone(),
                num(&r["split_cost"]),
                num(&r["unused_cost"]),
                num(&r["allocated_cost"]),
                r["nodes"].clone(),
            )
        })
        .collect();
    let row = |p: &str, c: &str, k: &str, g: &str, s: f64, u: f64, n: &str| {
        (
            p.to_string(),
            c.to_string(),
            k.to_string(),
            g.to_string(),
            s,
            u,
            s + u,
            n.to_string(),
        )
    };
    assert_eq!(
        got,
        vec![
            // prod/api: pod a1 only, 40 used and 20 unused, on node 1.
            row("kubernetes", "prod", "namespace", "api", 40.0, 20.0, "1"),
            // prod/web: w1 (27 + 3 used, 9 + 1 unused, tags) on node 1 and w2 (12, 48, ARN)
            // on node 2: 42 used, 58 unused, two nodes.
            row("kubernetes", "prod", "namespace", "web", 42.0, 58.0, "2"),
            // batch/worker: the task, 45 and 5, on node 3 (Kubernetes rows sort first).
            row("ecs", "batch", "service", "worker", 45.0, 5.0, "1"),
        ]
    );
    assert_eq!(rows[0]["first_start"], "2026-10-01 00:00:00");
    assert_eq!(rows[0]["last_end"], "2026-11-01 00:00:00");
    assert_eq!(rows[0]["currency"], "USD");

    let nodes = csv_rows(&report.join("container_nodes.csv"));
    let shares: Vec<(&str, f64, f64)> = nodes
        .iter()
        .map(|r| {
            (
                r["node"].as_str(),
                num(&r["node_cost"]),
                num(&r["unused_pct"]),
            )
        })
        .collect();
    assert_eq!(
        shares,
        vec![
            // Node 1: used 30 + 40 = 70, unused 10 + 20 = 30 of its 100: 30%.
            ("i-node1", 100.0, 30.0),
            // Node 2: 48 unused of 60: 80%.
            ("i-node2", 60.0, 80.0),
            // Node 3: 5 of 50: 10%.
            ("i-node3", 50.0, 10.0),
        ]
    );
}

#[test]
fn an_idle_cluster_is_told_to_remove_the_whole_nodes_it_can_spare() {
    let dir = tempfile::tempdir().unwrap();
    let report = analyze(&fixture(), dir.path(), &[]);
    let findings = csv_rows(&report.join("findings.csv"));
    let ours: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "container-unused-capacity")
        .collect();
    // prod: 30 + 48 = 78 unused of 160 = 48.75%, at least the default 30%. batch: 10%, not.
    assert_eq!(ours.len(), 1, "{ours:?}");
    let f = ours[0];
    assert!(f["current"].contains("prod"), "{}", f["current"]);
    assert!(
        f["current"].contains("49% of their capacity unused"),
        "{}",
        f["current"]
    );
    // Cheapest node first: node 2 (60) fits within the 78 unused, node 1 (100) would not.
    // Saving 60 in 744 hours, a 730-hour month: 60 × 730 / 744 = 58.87.
    assert!(
        f["recommendation"].contains("remove 1 of the 2 nodes"),
        "{}",
        f["recommendation"]
    );
    assert!(
        f["recommendation"].contains("i-node2"),
        "{}",
        f["recommendation"]
    );
    assert_cents(num(&f["monthly_saving"]), 58.87, "saving");
    assert_cents(num(&f["period_cost"]), 160.0, "period cost");
    assert_eq!(f["counted"], "true");

    // One action per dollar: the Compute Savings Plan covers only the nodes that stay, nodes 1
    // and 3: (100 + 50) / 744 h = 0.20161/h, committed at 27% off: floor(0.20161 × 0.73, to
    // 0.001) = 0.147/h (0.206/h if it also covered node 2, which the finding removes).
    let plan = csv_rows(&report.join("commitments.csv"))
        .into_iter()
        .find(|r| r["record"] == "purchase" && r["commitment"].starts_with("Compute Savings Plan"))
        .expect("a Compute Savings Plan");
    assert_eq!(plan["hourly_commitment"], "0.147");

    // Pods and tasks bill nothing on their own lines: never untagged resources to chase.
    assert!(
        findings
            .iter()
            .all(|f| !f["resource_id"].starts_with("arn:aws:e")),
        "{findings:?}"
    );

    // A threshold above 48.75% leaves prod alone.
    let config = dir.path().join("strict.toml");
    std::fs::write(&config, "[usage]\ncontainer_unused_min_pct = 50\n").unwrap();
    let out = dir.path().join("strict");
    let run = costlens(
        &[
            "analyze",
            fixture().to_str().unwrap(),
            "--period",
            "2026-10",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert!(run.code <= 1, "{}", run.stderr);
    let findings = csv_rows(&out.join("2026-10/findings.csv"));
    assert!(findings
        .iter()
        .all(|f| f["rule"] != "container-unused-capacity"));
}

#[test]
fn the_threshold_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[usage]\ncontainer_unused_min_pct = 130\n").unwrap();
    let run = costlens(
        &[
            "analyze",
            fixture().to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("container_unused_min_pct"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("0 to 100"), "{}", run.stderr);
}

#[test]
fn both_routes_write_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let grouped = analyze(&fixture(), &dir.path().join("grouped"), &[]);
    let per_line = analyze(
        &fixture(),
        &dir.path().join("per-line"),
        &[("COSTLENS_PER_LINE", "1")],
    );
    assert_same_files(&grouped, &per_line);
}

/// The legacy CSV names the columns `splitLineItem/SplitCost` etc. and its tags
/// `resourceTags/aws:eks:cluster-name`.
#[test]
fn legacy_csv_split_columns_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("cur.csv");
    let header = "lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,\
        lineItem/UsageAccountId,lineItem/ProductCode,lineItem/UsageType,lineItem/Operation,\
        lineItem/ResourceId,lineItem/CurrencyCode,lineItem/UnblendedCost,\
        splitLineItem/SplitCost,splitLineItem/UnusedCost,splitLineItem/ParentResourceId,\
        resourceTags/aws:eks:cluster-name,resourceTags/aws:eks:namespace";
    let span = "2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,111111111111";
    let lines = [
        format!("Usage,{span},AmazonEC2,BoxUsage:m5.large,RunInstances,i-9,USD,0.09,,,,,"),
        // The pod's tags name cluster and namespace (its ARN would say others).
        format!(
            "Usage,{span},AmazonEC2,USE1-EKS-EC2-vCPU-Hours,EKSPod-EC2,\
             arn:aws:eks:us-east-1:111111111111:pod/x/y/1,USD,0,0.06,0.03,i-9,shop,cart"
        ),
    ];
    std::fs::write(&csv, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    let run = costlens(
        &["summary", "--format", "json", csv.to_str().unwrap()],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Only the instance's 0.09 is billed.
    assert_cents(
        json(&run.stdout)["billed_cost"].as_f64().unwrap(),
        0.09,
        "billed",
    );
    let report = analyze(&csv, &dir.path().join("out"), &[]);
    let rows = csv_rows(&report.join("container_allocation.csv"));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["cluster"].as_str(), rows[0]["group"].as_str()),
        ("shop", "cart")
    );
    assert_cents(num(&rows[0]["split_cost"]), 0.06, "split");
    assert_cents(num(&rows[0]["unused_cost"]), 0.03, "unused");

    // A split cost that is not a number is refused, naming the column.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{header}\n{}\n", lines[1].replace(",0.06,", ",lots,")),
    )
    .unwrap();
    let run = costlens(&["summary", bad.to_str().unwrap()], &root());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("splitLineItem/SplitCost"),
        "{}",
        run.stderr
    );
}

//! `costlens analyze` on real and bundled data: the legacy-CUR parquet sample against figures
//! computed independently with DuckDB (`tests/figures/legacy_parquet_analysis.py`), and the
//! bundled sample, where every opportunity the generator planted must be found.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

#[test]
fn legacy_parquet_matches_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("costlens.toml"),
        "[tags]\nrequired = [\"cost_center\"]\n",
    )
    .unwrap();
    let sample = public_sample(CUR_PARQUET_SAMPLE);
    let run = costlens(
        &["analyze", sample.to_str().unwrap(), "--out", "out"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = dir.path().join("out/2018-10");
    let summary = json(&std::fs::read_to_string(report.join("summary.json")).unwrap());
    let kpi = |k: &str| summary["kpis"][k].as_f64().unwrap();
    // From tests/figures/legacy_parquet_analysis.py (DuckDB):
    assert!((kpi("tag_coverage_pct") - 14.204734282109749).abs() < 0.01);
    assert!((kpi("commitment_utilization_pct") - 82.57931632237593).abs() < 0.01);
    assert!((kpi("commitment_coverage_pct") - 21.76068174607765).abs() < 0.01);
    // Spot, whose lines here carry no instance type and no public on-demand cost: the type
    // comes from the usage type, the on-demand equivalent from the catalog.
    assert!((kpi("spot_share_hours_pct") - 7.990310102962858).abs() < 1e-6);
    assert!((kpi("spot_share_pct") - 8.922564127196857).abs() < 1e-6);
    assert_cents(kpi("spot_spend"), 31.505516000499835, "Spot spend");

    let findings = csv_rows(&report.join("findings.csv"));
    let gp2: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "ebs-gp2-to-gp3")
        .collect();
    let ids: BTreeSet<&str> = gp2.iter().map(|f| f["resource_id"].as_str()).collect();
    // 295 gp2 volumes with a cost, none above 30 GB (tests/figures/legacy_parquet_analysis.py).
    assert_eq!(ids.len(), 295);
    assert_eq!(gp2.len(), 295);
    let saving: f64 = gp2
        .iter()
        .map(|f| f["monthly_saving"].parse::<f64>().unwrap())
        .sum();
    // findings.csv holds each volume's saving to the cent: 8.375209287353913 in all, 8.10 as the
    // sum of the 295 rounded savings (both from the script).
    assert_cents(saving, 8.10, "gp2 monthly saving, per volume to the cent");
    // The m5.large and t3.micro running Windows (operation RunInstances:0002) get no Graviton
    // advice: Graviton does not run Windows.
    for windows in ["i-09676b3839354c8ae", "i-09539a821f7beffef"] {
        assert!(
            !findings
                .iter()
                .any(|f| f["resource_id"] == windows && f["rule"] == "graviton"),
            "{windows}"
        );
    }
    // DuckDB finds no ElasticIP:IdleAddress line in this sample, so neither may costlens.
    assert!(!findings.iter().any(|f| f["rule"] == "idle-public-ip"));

    // Mapping every line instead of grouping the CUR's own columns first gives the same
    // report: reservations, fees and tag columns included.
    let per_line = costlens_isolated(
        &["analyze", sample.to_str().unwrap(), "--out", "per-line"],
        dir.path(),
        &[("COSTLENS_PER_LINE", "1")],
    );
    assert_eq!(per_line.code, 0, "{}", per_line.stderr);
    assert_same_files(&report, &dir.path().join("per-line/2018-10"));
}

#[test]
fn every_planted_opportunity_in_the_bundled_sample_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let acme = root().join("sample-data/acme");
    let analyze = |out: &str, vars: &[(&str, &str)]| analyze_acme(dir.path(), out, &[], vars);
    let run = analyze("out", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = dir.path().join("out/2026-10");
    // Parallel aggregation over 147k lines still gives the same bytes on a rerun, and so does
    // mapping every line instead of grouping the CUR's own columns first.
    assert_eq!(analyze("again", &[]).code, 0);
    assert_same_files(&report, &dir.path().join("again/2026-10"));
    assert_eq!(analyze("per-line", &[("COSTLENS_PER_LINE", "1")]).code, 0);
    assert_same_files(&report, &dir.path().join("per-line/2026-10"));
    let findings = csv_rows(&dir.path().join("out/2026-10/findings.csv"));
    let manifest = json(&std::fs::read_to_string(acme.join("planted.json")).unwrap());
    let planted: BTreeSet<(String, String)> = manifest["planted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["rule"].as_str().unwrap().to_string(),
                p["resource_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Rules about a scope rather than a resource: matched on the field that names it.
    let scope_rules = [
        "snapshot-heavy-account",
        "anomaly",
        "commitment-purchase",
        "tag-value-variant",
    ];
    for (rule, id) in &planted {
        let found = findings.iter().any(|f| {
            f["rule"] == *rule
                && match rule.as_str() {
                    "snapshot-heavy-account" | "anomaly" => f["account_id"] == *id,
                    "commitment-purchase" => true,
                    "tag-value-variant" => f["current"].starts_with(&format!("{id}:")),
                    _ => f["resource_id"] == *id,
                }
        });
        assert!(found, "planted {rule} {id} not found");
    }
    // Nothing that was not planted is reported with high confidence.
    for f in &findings {
        if f["confidence"] == "high" && !scope_rules.contains(&f["rule"].as_str()) {
            assert!(
                planted.contains(&(f["rule"].clone(), f["resource_id"].clone())),
                "unplanted high-confidence finding: {} {} ({})",
                f["rule"],
                f["resource_id"],
                f["evidence"]
            );
        }
    }
    // The planted anomaly is the only one: the data account's EC2 on 17 October.
    let anomalies: Vec<_> = findings.iter().filter(|f| f["rule"] == "anomaly").collect();
    assert_eq!(anomalies.len(), 1);
    assert!(anomalies[0]["current"].starts_with("2026-10-17"));
    // The utilisation export's stray instance is counted, not silently dropped.
    let summary =
        json(&std::fs::read_to_string(dir.path().join("out/2026-10/summary.json")).unwrap());
    assert_eq!(summary["utilization"]["only_in_file"], 1);
}

/// Two CUR 2.0 files with different columns (the bundled month, and a small file with real MAP
/// columns whose product family is only in the `product` map) read as one dataset: grouping
/// each file's own columns before mapping gives the same report as mapping every line, and
/// the small file's lines add exactly their hand-computed billed cost (13.25, see
/// tests/fixtures/make_fixtures.py).
#[test]
fn cur_files_with_different_columns_give_the_same_report_either_route() {
    let dir = tempfile::tempdir().unwrap();
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    let acme = root().join("sample-data/acme/cur2.parquet");
    std::fs::copy(&acme, parts.join("acme.parquet")).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/cur2_map.parquet"),
        parts.join("map.parquet"),
    )
    .unwrap();
    let analyze = |input: &Path, out: &str, vars: &[(&str, &str)]| {
        let run = costlens_isolated(
            &["analyze", input.to_str().unwrap(), "--out", out],
            dir.path(),
            vars,
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let summary = dir.path().join(out).join("2026-10/summary.json");
        json(&std::fs::read_to_string(summary).unwrap())["totals"]["billed_cost"]
            .as_f64()
            .unwrap()
    };
    let both = analyze(&parts, "grouped", &[]);
    assert_eq!(
        analyze(&parts, "per-line", &[("COSTLENS_PER_LINE", "1")]),
        both
    );
    assert_same_files(
        &dir.path().join("grouped/2026-10"),
        &dir.path().join("per-line/2026-10"),
    );
    assert_cents(
        both - analyze(&acme, "acme-only", &[]),
        13.25,
        "the small file's billed cost",
    );
}

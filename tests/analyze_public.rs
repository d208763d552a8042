//! `costlens analyze` on real and bundled data: the legacy-CUR parquet sample against figures
//! computed independently with DuckDB (`tests/figures/legacy_parquet_analysis.py`), and the
//! bundled sample, where every opportunity the generator planted must be found.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;

#[test]
fn legacy_parquet_matches_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("costlens.toml"),
        format!("[tags]\nrequired = [\"cost_center\"]\n{EVERY_FINDING}"),
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
    let config = acme_config(dir.path(), EVERY_FINDING);
    let analyze =
        |out: &str, vars: &[(&str, &str)]| analyze_acme_with(dir.path(), out, &config, &[], vars);
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

/// The default report rolls up what the full one lists, and nothing else changes: on the public
/// October 2018 CUR (hundreds of gp2 volumes each saving cents) and on the bundled month, every
/// finding of the full report (`min_saving = 0`) worth at least 1.00 a month is the same line
/// in the default one; each other is in the one roll-up of its rule, account, region and
/// counted flag, whose count and saving are its members'; cheap untagged resources become one
/// row per account and service the same way; the savings total and every other CSV are equal.
#[test]
fn small_findings_roll_up_and_nothing_else_changes() {
    let dir = tempfile::tempdir().unwrap();
    let legacy = public_sample(CUR_PARQUET_SAMPLE);
    let run = |config: &str, out: &str| analyze_with(dir.path(), &legacy, config, out, "2018-10");
    let required = "[tags]\nrequired = [\"cost_center\"]\n";
    let every = run(&format!("{required}{EVERY_FINDING}"), "every");
    let default = run(required, "default");
    let rolled = check_rollups(&every, &default);
    assert!(rolled >= 295, "the 295 gp2 volumes roll up: {rolled}");

    let config = acme_config(dir.path(), EVERY_FINDING);
    assert_eq!(
        analyze_acme_with(dir.path(), "acme-every", &config, &[], &[]).code,
        0
    );
    assert_eq!(analyze_acme(dir.path(), "acme-default", &[], &[]).code, 0);
    let at = |out: &str| dir.path().join(out).join("2026-10");
    assert!(check_rollups(&at("acme-every"), &at("acme-default")) > 0);
}

/// `costlens analyze INPUT --out OUT` in `dir` with `config` as its costlens.toml: the report
/// folder of `period`.
fn analyze_with(dir: &Path, input: &Path, config: &str, out: &str, period: &str) -> PathBuf {
    std::fs::write(dir.join("costlens.toml"), config).unwrap();
    let run = costlens(&["analyze", input.to_str().unwrap(), "--out", out], dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    dir.join(out).join(period)
}

/// Checks the default report `default` against the full one `every` (see the test above);
/// returns how many findings were rolled up.
fn check_rollups(every: &Path, default: &Path) -> usize {
    type Row = std::collections::BTreeMap<String, String>;
    let number = |r: &Row, k: &str| r[k].parse::<f64>().unwrap();
    let worth = |r: &Row| {
        let saving = number(r, "monthly_saving");
        if saving > 0.0 {
            saving
        } else {
            number(r, "period_cost").abs()
        }
    };
    let all = csv_rows(&every.join("findings.csv"));
    let shown = csv_rows(&default.join("findings.csv"));
    let (rollups, singles): (Vec<&Row>, Vec<&Row>) = shown
        .iter()
        .partition(|r| r["current"].starts_with("rolled up: "));
    let mut members: BTreeMap<(String, String, String, String), (usize, f64)> = BTreeMap::new();
    for f in &all {
        if singles.contains(&f) {
            assert!(
                f["resource_id"].is_empty() || f["source"] != "costlens" || worth(f) >= 1.0,
                "kept below the threshold: {f:?}"
            );
            continue;
        }
        // The CSV rounds to the cent: a member is worth less than 1.00, at most 1.00 shown.
        assert!(
            worth(f) <= 1.0 && !f["resource_id"].is_empty(),
            "missing: {f:?}"
        );
        let key = (
            f["rule"].clone(),
            f["account_id"].clone(),
            f["region"].clone(),
            f["counted"].clone(),
        );
        let entry = members.entry(key).or_default();
        entry.0 += 1;
        entry.1 += number(f, "monthly_saving");
    }
    assert_eq!(
        singles.len() + members.values().map(|m| m.0).sum::<usize>(),
        all.len()
    );
    assert_eq!(
        rollups.len(),
        members.len(),
        "one roll-up per rule, account, region"
    );
    for r in &rollups {
        let key = (
            r["rule"].clone(),
            r["account_id"].clone(),
            r["region"].clone(),
            r["counted"].clone(),
        );
        let (count, saving) = members[&key];
        let noun = if count == 1 { "resource" } else { "resources" };
        assert!(
            r["current"].starts_with(&format!("rolled up: {count} {noun},")),
            "{r:?}"
        );
        assert!(r["resource_id"].is_empty());
        // Each member's saving is rounded in the full report: half a cent each at most.
        assert!((number(r, "monthly_saving") - saving).abs() <= 0.005 * count as f64 + 0.005);
    }

    let untagged_all = csv_rows(&every.join("untagged_resources.csv"));
    let untagged = csv_rows(&default.join("untagged_resources.csv"));
    let mut groups: BTreeMap<(String, String), (usize, f64)> = BTreeMap::new();
    for u in &untagged_all {
        if untagged.contains(u) {
            assert!(number(u, "effective_cost").abs() >= 1.0, "{u:?}");
        } else {
            let entry = groups
                .entry((u["account_id"].clone(), u["service"].clone()))
                .or_default();
            entry.0 += 1;
            entry.1 += number(u, "effective_cost");
        }
    }
    let rolled_rows: Vec<&Row> = untagged
        .iter()
        .filter(|u| u["resource_id"].starts_with("(rolled up: "))
        .collect();
    assert_eq!(rolled_rows.len(), groups.len());
    for u in rolled_rows {
        let (count, cost) = groups[&(u["account_id"].clone(), u["service"].clone())];
        assert!(u["resource_id"].starts_with(&format!("(rolled up: {count} resource")));
        assert!((number(u, "effective_cost") - cost).abs() <= 0.005 * count as f64 + 0.005);
    }

    let savings = |dir: &Path| {
        json(&std::fs::read_to_string(dir.join("summary.json")).unwrap())["savings"].clone()
    };
    assert_eq!(savings(every), savings(default));
    for entry in std::fs::read_dir(every).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let bytes = std::fs::read(every.join(&name)).unwrap();
        // findings.csv and its views by rule (rightsizing.csv, spot.csv) list the roll-ups.
        let lists_findings = bytes.starts_with(b"finding_id,") || name == "untagged_resources.csv";
        if name.ends_with(".csv") && !lists_findings {
            assert!(
                bytes == std::fs::read(default.join(&name)).unwrap(),
                "{name} differs"
            );
        }
    }
    members.values().map(|m| m.0).sum()
}

/// `costlens sample --profile realistic` has the shape its doc claims, counted by DuckDB: the
/// rows asked for, 200 accounts, hundreds of usage types, dozens of services, a resource per
/// about 3 resource lines (the Pareto lifetimes), and about 30% of the filler's lines with no
/// resource; and its many small findings roll up as on the public data.
#[test]
fn a_realistic_month_has_its_shape_and_its_small_findings_roll_up() {
    let dir = tempfile::tempdir().unwrap();
    let month = dir.path().join("month.parquet");
    let planted = dir.path().join("planted.parquet");
    let sample = |out: &Path, extra: &[&str]| {
        let mut args = vec!["sample", "--seed", "7", "--out", out.to_str().unwrap()];
        args.extend(extra);
        let run = costlens(&args, dir.path());
        assert_eq!(run.code, 0, "{}", run.stderr);
    };
    sample(&month, &["--rows", "100000", "--profile", "realistic"]);
    sample(&planted, &[]);
    let shape = |file: &Path| {
        let sql = format!(
            "select count(*), count(distinct line_item_resource_id), \
             count(*) filter (where line_item_resource_id is null), \
             count(distinct line_item_usage_account_id), count(distinct line_item_usage_type), \
             count(distinct line_item_product_code) from read_parquet('{}')",
            file.display()
        );
        let out = python(
            &[
                "-c",
                &format!("import duckdb; print(*duckdb.sql({sql:?}).fetchone())"),
            ],
            dir.path(),
        );
        out.split_whitespace()
            .map(|n| n.parse::<f64>().unwrap())
            .collect::<Vec<_>>()
    };
    let (all, scenario) = (shape(&month), shape(&planted));
    let filler_lines = all[0] - scenario[0];
    let (resources, resourceless) = (all[1] - scenario[1], all[2] - scenario[2]);
    assert_eq!(all[0], 100_000.0);
    assert_eq!(all[3], 200.0, "accounts");
    assert!(all[4] >= 400.0, "usage types: {}", all[4]);
    assert!(all[5] >= 35.0, "services: {}", all[5]);
    let share = resourceless / filler_lines;
    assert!(
        (0.29..=0.31).contains(&share),
        "lines without a resource: {share}"
    );
    // Pareto lifetimes of shape 1.4 cut at the month: about 3 lines per resource.
    let per_resource = (filler_lines - resourceless) / resources;
    assert!(
        (2.5..=3.6).contains(&per_resource),
        "lines per resource: {per_resource}"
    );

    let run = |config: &str, out: &str| analyze_with(dir.path(), &month, config, out, "2026-10");
    let every = run(EVERY_FINDING, "every");
    let default = run("", "default");
    let rolled = check_rollups(&every, &default);
    let listed = csv_rows(&default.join("findings.csv")).len();
    // 15k resources over 200 accounts and 8 regions: most roll-ups stand for a few findings
    // at this size; more findings roll up than the whole list has lines.
    assert!(rolled > listed, "{rolled} rolled up, {listed} listed");
}

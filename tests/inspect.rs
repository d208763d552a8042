//! `costlens inspect` and `costlens init --from` on every public sample and the bundled month,
//! through the real binary; the expected figures come from DuckDB on the raw files
//! (`tests/figures/inspect_figures.py`, run with scripts/with-moto's Python), copied here by
//! hand. Also: a folder's files that are not billing data are skipped and named, and a CUR
//! exported without resource ids is told which AWS setting to turn on.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn inspect(input: &Path) -> Value {
    let run = costlens(
        &["inspect", "--format", "json", input.to_str().unwrap()],
        &root(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    json(&run.stdout)
}

/// The tag key `key` of the inspection's only currency.
fn tag<'a>(i: &'a Value, key: &str) -> &'a Value {
    i["currencies"][0]["tag_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == key)
        .unwrap_or_else(|| panic!("no tag key {key}"))
}

fn figure(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn inspect_describes_the_focus_sample() {
    let i = inspect(&public_sample(FOCUS_SAMPLE));
    let file = &i["files"][0];
    assert_eq!(file["format"], "FOCUS CSV");
    assert_eq!(file["version"], "1.0");
    assert_eq!(file["lines"], 1000);
    assert_eq!(
        (&i["first_day"], &i["last_day"]),
        (&"2024-09-01".into(), &"2024-09-30".into())
    );
    assert_eq!(
        i["months"],
        serde_json::json!([{"month": "2024-09", "lines": 1000}])
    );
    let usd = &i["currencies"][0];
    assert_eq!(usd["currency"], "USD");
    assert_eq!(i["currencies"].as_array().unwrap().len(), 1);
    assert_cents(figure(&usd["effective_cost"]), 14.976514, "effective");
    // 73 accounts; the largest, 11353890204 "Atlas Orion", 13.00.
    let accounts = usd["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 73);
    assert_eq!(accounts[0]["id"], "11353890204");
    assert_eq!(accounts[0]["name"], "Atlas Orion");
    assert_cents(figure(&accounts[0]["effective_cost"]), 13.0, "top account");
    assert_cents(figure(&usd["taggable_cost"]), 17.976514, "taggable");
    for (key, coverage) in [
        ("application", 89.005),
        ("business_unit", 89.005),
        ("environment", 89.005),
        ("env", 11.84),
    ] {
        let k = tag(&i, key);
        assert!(
            (figure(&k["coverage_pct"]) - coverage).abs() < 0.001,
            "{key}: {k}"
        );
    }
    // The three keys on 89% lead, by cost.
    let first: Vec<&str> = usd["tag_keys"].as_array().unwrap()[..3]
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["application", "business_unit", "environment"]);
}

#[test]
fn inspect_describes_the_legacy_cur_csv_and_says_it_has_no_resource_ids() {
    let i = inspect(&public_sample(CUR_CSV_SAMPLE));
    let file = &i["files"][0];
    assert_eq!(
        (&file["format"], &file["version"], &file["lines"]),
        (
            &"AWS CUR (legacy CSV)".into(),
            &"legacy".into(),
            &1281.into()
        )
    );
    assert_eq!(
        (&i["first_day"], &i["last_day"]),
        (&"2023-11-01".into(), &"2023-11-30".into())
    );
    let usd = &i["currencies"][0];
    assert_eq!(usd["accounts"].as_array().unwrap().len(), 1);
    assert_cents(figure(&usd["effective_cost"]), 1.682309, "effective");
    // The file has no lineItem/ResourceId column.
    assert_eq!(usd["lines_with_resource"], 0);
    assert!(usd["tag_keys"].as_array().unwrap().is_empty());
    let notes = i["notes"].to_string();
    assert!(
        notes.contains("exported without resource IDs") && notes.contains("Include resource IDs"),
        "{notes}"
    );
    assert!(!notes.contains("Cost Explorer data"), "{notes}");
}

#[test]
fn inspect_describes_the_legacy_cur_parquet() {
    let i = inspect(&public_sample(CUR_PARQUET_SAMPLE));
    let file = &i["files"][0];
    assert_eq!(
        (&file["format"], &file["version"], &file["lines"]),
        (
            &"AWS CUR (legacy parquet)".into(),
            &"legacy".into(),
            &119307.into()
        )
    );
    assert_eq!(
        (&i["first_day"], &i["last_day"]),
        (&"2018-10-01".into(), &"2018-10-31".into())
    );
    let usd = &i["currencies"][0];
    assert_cents(figure(&usd["effective_cost"]), 4195.957109, "effective");
    let accounts = usd["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0]["id"], "836060457634");
    assert_cents(
        figure(&accounts[0]["effective_cost"]),
        4118.06,
        "top account",
    );
    assert_cents(figure(&usd["taggable_cost"]), 4130.103979, "taggable");
    for (key, tagged, coverage) in [
        ("aws:created_by", 1694.493222, 41.0279),
        ("workload_type", 701.16, 16.9768),
        ("cost_center", 586.670296, 14.2047),
        ("environment", 586.657586, 14.2044),
        ("name", 151.348701, 3.6645),
    ] {
        let k = tag(&i, key);
        assert_cents(figure(&k["tagged_cost"]), tagged, key);
        assert!(
            (figure(&k["coverage_pct"]) - coverage).abs() < 0.0001,
            "{key}: {k}"
        );
    }
    let production = &tag(&i, "environment")["top_values"][0];
    assert_eq!(production["name"], "Production");
}

#[test]
fn a_folder_of_bills_skips_what_is_not_billing_data() {
    let dir = tempfile::tempdir().unwrap();
    let acme = dir.path().join("acme");
    std::fs::create_dir(&acme).unwrap();
    for name in [
        "cur2.parquet",
        "utilization.csv",
        "costlens.toml",
        "planted.json",
    ] {
        std::fs::copy(root().join("sample-data/acme").join(name), acme.join(name)).unwrap();
    }
    let i = inspect(&acme);
    assert_eq!(i["files"].as_array().unwrap().len(), 1);
    assert_eq!(i["files"][0]["format"], "AWS CUR 2.0 parquet");
    assert_eq!(i["files"][0]["version"], "2.0");
    let notes = i["notes"].to_string();
    assert!(
        notes.contains("utilization.csv: not billing data"),
        "{notes}"
    );
    // Lines per month (DuckDB: count(*) by month of line_item_usage_start_date).
    assert_eq!(
        i["months"],
        serde_json::json!([
            {"month": "2026-07", "lines": 36866},
            {"month": "2026-08", "lines": 36866},
            {"month": "2026-09", "lines": 35677},
            {"month": "2026-10", "lines": 37880},
        ])
    );
    // The monthly job reads the folder too, saying what it skipped.
    let run = costlens(&["analyze", "acme", "--out", "out"], dir.path());
    assert!(run.code <= 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("skipped") && run.stderr.contains("utilization.csv"),
        "{}",
        run.stderr
    );
    // Named as an input, a file that is not billing data is still an error.
    let run = costlens(&["summary", "acme/utilization.csv"], dir.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown billing format"),
        "{}",
        run.stderr
    );
    // A folder of nothing but such files is an error naming them.
    std::fs::remove_file(acme.join("cur2.parquet")).unwrap();
    let run = costlens(&["summary", "acme"], dir.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no billing data among the inputs")
            && run.stderr.contains("utilization.csv"),
        "{}",
        run.stderr
    );
}

#[test]
fn init_from_the_data_requires_the_tag_keys_it_uses() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = public_sample(CUR_PARQUET_SAMPLE);
    let run = costlens(&["init", "--from", parquet.to_str().unwrap()], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    // User keys on at least 10% of the taggable cost, at most five, most cost first (ties by
    // name): workload_type 16.98%, cost_center and department 14.2047%, environment and workload
    // 14.2044%; aws:created_by (41%) is AWS's own, name (3.7%) too rare.
    assert!(
        run.stdout.starts_with("wrote costlens.toml: from the data: required tag workload_type: on 17.0% of the taggable cost"),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(dir.path().join("costlens.toml")).unwrap();
    assert!(
        text.contains(
            "required = [\"workload_type\", \"cost_center\", \"department\", \"environment\", \"workload\"]"
        ),
        "{text}"
    );
    assert!(
        text.contains("\nallocation_key = \"workload_type\"\n"),
        "{text}"
    );
    assert!(
        text.contains("\nenvironment_key = \"environment\"\n"),
        "{text}"
    );
    // The written configuration drives the monthly job: showback by workload_type.
    let run = costlens(
        &["analyze", parquet.to_str().unwrap(), "--out", "out"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let showback = csv_rows(&dir.path().join("out/2018-10/allocation.csv"));
    assert!(showback
        .iter()
        .all(|r| r["allocation_key"] == "workload_type"));
    assert!(
        showback.iter().any(|r| r["value"] == "production"),
        "{showback:?}"
    );
    // The FOCUS sample: application, business_unit and environment (89.0%) then env, org
    // (11.8%); CostCenter (9.8%) is under 10%.
    let run = costlens(
        &[
            "init",
            "focus.toml",
            "--from",
            public_sample(FOCUS_SAMPLE).to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(dir.path().join("focus.toml")).unwrap();
    assert!(
        text.contains(
            "required = [\"application\", \"business_unit\", \"environment\", \"env\", \"org\"]"
        ),
        "{text}"
    );
}

#[test]
fn a_cur_without_resource_ids_is_told_the_setting_to_turn_on() {
    let dir = tempfile::tempdir().unwrap();
    let run = costlens(
        &[
            "analyze",
            public_sample(CUR_CSV_SAMPLE).to_str().unwrap(),
            "--out",
            "out",
        ],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary =
        json(&std::fs::read_to_string(dir.path().join("out/2023-11/summary.json")).unwrap());
    let notes = summary["notes"].to_string();
    assert!(
        notes.contains("Cost and Usage Report was exported without resource IDs"),
        "{notes}"
    );
    assert!(notes.contains("Include resource IDs"), "{notes}");
    assert!(!notes.contains("Cost Explorer data"), "{notes}");
}

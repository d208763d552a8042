//! `costlens analyze` against AWS's own Cloud Intelligence Dashboards SQL, translated to DuckDB
//! (`tests/figures/cid_kpis.py`), on the public October 2018 CUR and on the bundled acme
//! month: the same totals to the cent, the gp2 and S3 rules agreeing with CID's views or
//! differing only where costlens is the more cautious; and the Compute Savings Plan purchase
//! sized again in DuckDB from the CUR (`tests/figures/commitment_sizing.py`).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

/// From a period saving to the monthly saving findings carry: both months are 744 hours.
const MONTH: f64 = 730.0 / 744.0;

struct Case {
    summary: serde_json::Value,
    findings: Vec<BTreeMap<String, String>>,
    cid: serde_json::Value,
    commitments: Vec<BTreeMap<String, String>>,
    sizing: serde_json::Value,
}

/// costlens on `data` with `config` (none: the defaults), every finding on its own line: CID's
/// views are per resource.
fn case(data: &Path, period: &str, config: Option<&Path>) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let text = config.map_or(String::new(), |c| std::fs::read_to_string(c).unwrap());
    let config = dir.path().join("costlens.toml");
    std::fs::write(&config, text + EVERY_FINDING).unwrap();
    let args = [
        "analyze",
        data.to_str().unwrap(),
        "--out",
        "reports",
        "--config",
        config.to_str().unwrap(),
        "--period",
        period,
    ];
    let run = costlens(&args, dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let folder = dir.path().join(run.stdout.trim());
    let cid = python(
        &[
            root().join("tests/figures/cid_kpis.py").to_str().unwrap(),
            data.to_str().unwrap(),
            period,
        ],
        dir.path(),
    );
    let sizing = python(
        &[
            root()
                .join("tests/figures/commitment_sizing.py")
                .to_str()
                .unwrap(),
            data.to_str().unwrap(),
            period,
            folder.join("findings.csv").to_str().unwrap(),
            "27",
        ],
        dir.path(),
    );
    Case {
        summary: json(&std::fs::read_to_string(folder.join("summary.json")).unwrap()),
        findings: csv_rows(&folder.join("findings.csv")),
        cid: json(&cid),
        commitments: csv_rows(&folder.join("commitments.csv")),
        sizing: json(&sizing),
    }
}

impl Case {
    fn savings(&self, rule: &str) -> BTreeMap<String, f64> {
        self.findings
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| {
                (
                    f["resource_id"].clone(),
                    f["monthly_saving"].parse().unwrap(),
                )
            })
            .collect()
    }

    fn check(&self) {
        let number = |v: &serde_json::Value| v.as_f64().unwrap();
        assert_cents(
            number(&self.summary["totals"]["billed_cost"]),
            number(&self.cid["unblended_cost"]),
            "billed cost = CID unblended cost",
        );
        assert_cents(
            number(&self.summary["totals"]["effective_cost"]),
            number(&self.cid["amortized_cost"]),
            "effective cost = CID amortized cost",
        );

        // gp2 → gp3: every volume CID sees a saving on gets one, no more than CID's estimate
        // and at least 97% of it. CID prices an added IOPS-month at 6% of the gp3 GB-month;
        // costlens at AWS's list price, 0.005 USD, 6.25% of 0.08: its saving is the smaller
        // one. A volume gp3 would cost more for (CID's negative saving) gets none.
        let gp2 = self.savings("ebs-gp2-to-gp3");
        let mut expected = 0;
        for volume in self.cid["gp2_to_gp3"].as_array().unwrap() {
            let id = volume["resource_id"].as_str().unwrap();
            let cid = number(&volume["potential_saving"]) * MONTH;
            match gp2.get(id) {
                Some(&ours) => {
                    expected += 1;
                    assert!(
                        ours <= cid + 0.005 && ours >= 0.97 * cid - 0.005,
                        "{id}: costlens {ours} vs CID {cid}"
                    );
                }
                None => assert!(cid < 0.005, "{id}: CID saves {cid}, costlens nothing"),
            }
        }
        assert_eq!(gp2.len(), expected, "no gp2 finding CID has no volume for");

        // Never-read buckets: every bucket CID would act on (standard only, no request at
        // all) is one, and every one costlens finds had no GET: 30% of its standard storage,
        // CID's assumption, is claimed. costlens also finds buckets still written to.
        let tiering = self.savings("object-storage-tiering");
        for bucket in self.cid["s3_buckets"].as_array().unwrap() {
            let id = bucket["resource_id"].as_str().unwrap();
            let claimed = number(&bucket["cid_potential_saving"]) * MONTH;
            if bucket["cid_potential_action"].as_bool().unwrap() {
                assert!(
                    tiering.contains_key(id),
                    "CID acts on {id}, costlens does not"
                );
            }
            if let Some(&ours) = tiering.get(id) {
                assert_eq!(number(&bucket["get_requests"]), 0.0, "{id} was read");
                assert_cents(ours, claimed, id);
            }
        }
        let buckets: Vec<&str> = self.cid["s3_buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["resource_id"].as_str().unwrap())
            .collect();
        assert!(tiering.keys().all(|id| buckets.contains(&id.as_str())));

        // The Compute Savings Plan purchase: the discount (27%, on the part of the spend without
        // a licence), commitment and saving DuckDB sizes from the CUR
        // (tests/figures/commitment_sizing.py), and buying exactly
        // that on the bill the usage findings leave saves at least what the report claims.
        let plan = self
            .commitments
            .iter()
            .find(|r| {
                r["record"] == "purchase" && r["commitment"].starts_with("Compute Savings Plan")
            })
            .expect("a Compute Savings Plan purchase");
        let field = |name: &str| plan[name].parse::<f64>().unwrap();
        // Percentages are written to 2 decimals.
        assert!(
            (field("discount_pct") - number(&self.sizing["discount_pct"])).abs() < 0.005 + 1e-9
        );
        assert_eq!(
            field("hourly_commitment"),
            number(&self.sizing["hourly_commitment"])
        );
        // Within a cent: the CSV writes the saving to the cent, and the plan's savings the
        // reference reads from findings.csv are cents too.
        let (ours, duckdb) = (
            field("monthly_saving"),
            number(&self.sizing["monthly_saving"]),
        );
        assert!(
            (ours - duckdb).abs() <= 0.01,
            "Compute SP saving {ours} vs {duckdb}"
        );
        assert!(number(&self.sizing["exact_saving"]) >= field("monthly_saving") - 0.005);
        assert_eq!(plan["counted"], "true");
    }
}

#[test]
fn public_october_2018_cur_agrees_with_cid() {
    let data = public_sample("cur-legacy-parquet/Oct2018-WorkshopCUR-00001.snappy.parquet");
    let case = case(&data, "2018-10", None);
    case.check();
    // Every gp2 volume of that month is at most 30 GB: gp3's baseline covers it, 20% saved.
    assert!(case.savings("ebs-gp2-to-gp3").len() > 200);
    // RDS reservations are sold per engine: the on-demand db.m4.large runs MariaDB (the CUR's
    // product_database_engine on its CreateDBInstance:0018 lines), and no savings plan covers
    // RDS, so it counts besides the Compute Savings Plan.
    let rds = case
        .commitments
        .iter()
        .find(|r| r["record"] == "purchase" && r["commitment"].starts_with("RDS"))
        .expect("an RDS reservation");
    assert_eq!(rds["scope"], "us-east-1 db.m4 MariaDB");
    assert_eq!(rds["counted"], "true");
}

#[test]
fn acme_month_agrees_with_cid() {
    let acme = root().join("sample-data/acme");
    let config = acme.join("costlens.toml");
    let case = case(&acme.join("cur2.parquet"), "2026-10", Some(&config));
    case.check();
    // Volumes of 750 GB to 2 TB keep part of the saving: CID and costlens both price the
    // throughput (and above 1 TB the IOPS) gp2 gives; the 200 GB volume above 150 GB stays.
    let gp2 = case.savings("ebs-gp2-to-gp3");
    assert!(!gp2.contains_key("vol-19ec7ba4e8115bf62"));
    // 2,000 GB of gp2 cost 200.00; gp3 = 160.00 + (6,000 − 3,000) IOPS × 0.005 + 125 MiB/s ×
    // 0.04 = 180.00.
    assert_cents(gp2["vol-fb30e014a55f8c633"], 20.0 * MONTH, "2 TB gp2");
    // The data lake is written every day and never read: CID calls it in use, costlens
    // tiers it.
    assert!(case
        .savings("object-storage-tiering")
        .contains_key("acme-data-lake"));
}

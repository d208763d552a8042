//! The recommendations a practitioner acts on, on an hourly legacy CUR built by hand: every
//! figure below is worked out in the comments from the lines and the catalog's list prices
//! (`data/instance_prices.csv`: m5.large 0.096, m4.large 0.10, m7i.large 0.1008, m7g.large
//! 0.0816 USD/h), never read from costlens.
//!
//! One week, 1–7 October 2026 (168 hours), in us-east-1:
//! - `i-lin`  m5.large Linux, on demand, 0.096/h, all week;
//! - `i-win`  m5.large Windows (RunInstances:0002), on demand, 0.188/h, all week;
//! - `i-old`  m4.large Linux (previous generation), on demand, 0.10/h, all week;
//! - `i-gone` c5.xlarge Windows, on demand, 0.354/h, the first 160 hours only (stopped);
//! - `i-spot` a Spot c5.large, 0.035/h, all week, as 2018-era CURs bill it (usage type
//!   SpotUsage, no pricing term, no instance type column value);
//! - an idle Elastic IP billed without a resource id, 0.005/h, all week.

mod common;

use std::collections::BTreeMap;

use common::*;

const HOURS: usize = 168;
/// Period figures per 730-hour month.
const MONTH: f64 = 730.0 / HOURS as f64;

fn cur() -> String {
    let mut text = String::from(
        "lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,\
         lineItem/UsageEndDate,lineItem/CurrencyCode,lineItem/UnblendedCost,\
         lineItem/UsageAmount,lineItem/ResourceId,lineItem/ProductCode,lineItem/UsageType,\
         lineItem/Operation,product/instanceType,product/region,pricing/term\n",
    );
    for h in 0..HOURS {
        let (day, hour) = (1 + h / 24, h % 24);
        let start = format!("2026-10-{day:02}T{hour:02}:00:00Z");
        let end = if hour == 23 {
            format!("2026-10-{:02}T00:00:00Z", day + 1)
        } else {
            format!("2026-10-{day:02}T{:02}:00:00Z", hour + 1)
        };
        let mut line = |cost: f64, id: &str, usage: &str, operation: &str, itype: &str, term| {
            text += &format!(
                "111122223333,Usage,{start},{end},USD,{cost},1,{id},AmazonEC2,{usage},\
                 {operation},{itype},us-east-1,{term}\n"
            );
        };
        let windows = "RunInstances:0002";
        line(
            0.096,
            "i-lin",
            "BoxUsage:m5.large",
            "RunInstances",
            "m5.large",
            "OnDemand",
        );
        line(
            0.188,
            "i-win",
            "BoxUsage:m5.large",
            windows,
            "m5.large",
            "OnDemand",
        );
        line(
            0.10,
            "i-old",
            "BoxUsage:m4.large",
            "RunInstances",
            "m4.large",
            "OnDemand",
        );
        if h < 160 {
            line(
                0.354,
                "i-gone",
                "BoxUsage:c5.xlarge",
                windows,
                "c5.xlarge",
                "OnDemand",
            );
        }
        line(
            0.035,
            "i-spot",
            "SpotUsage:c5.large",
            "RunInstances:SV001",
            "",
            "",
        );
        line(
            0.005,
            "",
            "USE1-ElasticIP:IdleAddress",
            "AssociateAddressVPC",
            "",
            "",
        );
    }
    text
}

struct Report {
    summary: serde_json::Value,
    findings: Vec<BTreeMap<String, String>>,
    commitments: Vec<BTreeMap<String, String>>,
}

fn analyze() -> Report {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cur.csv"), cur()).unwrap();
    // Sizing looks at the week the data has.
    std::fs::write(
        dir.path().join("costlens.toml"),
        "[rate]\nlookback_days = 7\n",
    )
    .unwrap();
    let run = costlens(
        &["analyze", "cur.csv", "--out", "out", "--period", "2026-10"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let folder = dir.path().join(run.stdout.trim());
    Report {
        summary: json(&std::fs::read_to_string(folder.join("summary.json")).unwrap()),
        findings: csv_rows(&folder.join("findings.csv")),
        commitments: csv_rows(&folder.join("commitments.csv")),
    }
}

impl Report {
    fn finding(&self, rule: &str, id: &str) -> Option<&BTreeMap<String, String>> {
        self.findings
            .iter()
            .find(|f| f["rule"] == rule && f["resource_id"] == id)
    }

    fn saving(&self, rule: &str, id: &str) -> f64 {
        self.finding(rule, id)
            .unwrap_or_else(|| panic!("{rule} {id}"))["monthly_saving"]
            .parse()
            .unwrap()
    }

    fn purchase(&self, product: &str, scope: &str) -> Option<&BTreeMap<String, String>> {
        self.commitments.iter().find(|r| {
            r["record"] == "purchase" && r["commitment"].starts_with(product) && r["scope"] == scope
        })
    }
}

#[test]
fn recommendations_are_safe_to_act_on() {
    let report = analyze();

    // Modernisation. i-lin: Graviton m7g.large saves 1 − 0.0816/0.096 = 15% of 16.128 = 2.4192
    // in the week. i-old: m4's x86 successor m7i.large costs more (0.1008), so Graviton:
    // 18.4% of 16.80 = 3.0912. Windows never goes to Graviton: nothing for i-win or i-gone.
    assert_cents(
        report.saving("graviton", "i-lin"),
        2.4192 * MONTH,
        "i-lin to Graviton",
    );
    let old = report
        .finding("previous-generation", "i-old")
        .expect("i-old");
    assert!(old["recommendation"].contains("m7g.large"), "{old:?}");
    assert_cents(
        report.saving("previous-generation", "i-old"),
        3.0912 * MONTH,
        "i-old",
    );
    for windows in ["i-win", "i-gone"] {
        assert!(
            report.findings.iter().all(|f| f["resource_id"] != windows
                || !["graviton", "previous-generation"].contains(&f["rule"].as_str())),
            "{windows}"
        );
    }

    // The idle address has no resource id: one finding for the account and region, all of
    // its 168 × 0.005 = 0.84.
    let idle: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f["rule"] == "idle-public-ip")
        .collect();
    assert_eq!(idle.len(), 1, "{idle:?}");
    assert_eq!(idle[0]["account_id"], "111122223333");
    assert_cents(
        idle[0]["monthly_saving"].parse().unwrap(),
        0.84 * MONTH,
        "idle IP",
    );

    // Spot as the 2018 CUR bills it: 168 × 0.035 = 5.88, and no commitment covers it.
    assert_cents(
        report.summary["kpis"]["spot_spend"].as_f64().unwrap(),
        5.88,
        "Spot spend",
    );

    // Compute Savings Plan (27%) on what stays after the two moves, per hour:
    //   m5.large 0.284 − 2.4192/168 = 0.2696 (i-lin now costs its Graviton price),
    //   m4.large 0.10 − 3.0912/168 = 0.0816, c5.xlarge 0.354 for the first 160 hours.
    // 0.7052 for 160 hours, 0.3512 for the last 8: the 10th percentile is 0.7052, but the
    // stopped i-gone is not bought: the level is the last day's lowest hour, 0.3512.
    // The Windows licence is not discounted: of i-win's 0.188 only m5.large's Linux 0.096, of
    // i-gone's 0.354 only c5.xlarge's 0.17. Discounted spend 160 × (0.0816 + 0.096 + 0.0816 +
    // 0.17) + 8 × (0.0816 + 0.096 + 0.0816) = 70.7456 of 160 × 0.7052 + 8 × 0.3512 = 115.6416:
    // d = 27% × 70.7456 / 115.6416 = 16.5177%. Commitment floor(0.3512 × (1 − d), to 0.001) =
    // 0.293/h covering 0.293 / (1 − d) = 0.350973/h, every hour above it: 0.057973/h saved,
    // 42.32 per 730-hour month.
    let plan = report
        .purchase("Compute Savings Plan", "all compute")
        .expect("a Compute Savings Plan");
    assert_eq!(plan["hourly_commitment"], "0.293");
    assert_cents(
        plan["monthly_saving"].parse().unwrap(),
        42.32,
        "Compute Savings Plan",
    );
    assert_eq!(plan["discount_source"], "licence part not discounted");
    assert_eq!(plan["counted"], "true");

    // Reservations (37%) are sold per platform, on what stays in the family: the Linux m5 and
    // the m4 leave their families, the c5 stopped; one Windows m5.large stays, 0.188/h all
    // week, discounted on its Linux 0.096: 1 × m5.large Windows saving 0.096 × 0.37 × 730 =
    // 25.9296 a month.
    let ri = "Standard Reserved Instance";
    let windows = report
        .purchase(ri, "us-east-1 m5 Windows")
        .unwrap_or_else(|| panic!("{:#?}", report.commitments));
    assert_eq!(windows["quantity"], "1");
    assert_eq!(windows["instance_type"], "m5.large");
    assert_cents(
        windows["monthly_saving"].parse().unwrap(),
        25.9296,
        "Windows RI",
    );
    for gone in ["us-east-1 m5", "us-east-1 m4", "us-east-1 c5 Windows"] {
        assert!(report.purchase(ri, gone).is_none(), "{gone}");
    }
    // The EC2 Instance Savings Plan (35%) for m5 covers any platform: the Windows 0.188/h at
    // 35% × 0.096 / 0.188 = 17.8723%, committed floor(0.188 × 0.821277, to 0.001) = 0.154/h.
    let isp = report
        .purchase("EC2 Instance Savings Plan", "us-east-1 m5")
        .expect("an m5 instance plan");
    assert_eq!(isp["hourly_commitment"], "0.154");
    // The Compute plan (42.32) is counted over the per-family purchases (at best 25.93).
    assert_eq!(windows["counted"], "false");
}

//! The charts and `report.html` of a real run: `costlens analyze` on the bundled acme sample
//! writes every chart as a non-blank 1200×700 PNG and one self-contained HTML file that embeds
//! them all, shows the top findings and states every KPI formula; markup in the data comes
//! out escaped.

mod common;

use std::path::Path;

use base64::Engine as _;
use common::*;
use costlens::report::charts::{CHARTS, HEIGHT, WIDTH};
use costlens::report::html::{esc, REPORT_HTML};
use costlens::report::summary::{money, KPI_FORMULAS};

/// Size, distinct colours and the share of non-white pixels of a PNG.
fn inspect(path: &Path) -> (u32, u32, usize, f64) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap_or_else(|e| panic!("{}: not a PNG: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks_exact(step).collect();
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
    let inked = pixels
        .iter()
        .filter(|p| p.iter().any(|c| *c != 255))
        .count();
    (
        info.width,
        info.height,
        colours.len(),
        inked as f64 / pixels.len() as f64,
    )
}

/// Things a self-contained page must not have: anything fetched from elsewhere.
fn assert_self_contained(html: &str) {
    for external in [
        "src=\"http",
        "src=\"//",
        "href=\"http",
        "href=\"//",
        "<link",
        "<script",
        "<iframe",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(external), "report.html has {external}");
    }
    // Every link stays in the page.
    for (i, _) in html.match_indices("href=\"") {
        assert_eq!(&html[i + 6..i + 7], "#", "external link at {i}");
    }
}

#[test]
fn the_acme_report_has_every_chart_and_a_self_contained_html() {
    let dir = tempfile::tempdir().unwrap();
    let run = analyze_acme(dir.path(), "out", &["-v"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = dir.path().join("out/2026-10");
    // -v logs the time of every writer.
    for name in CHARTS.iter().map(|c| c.0) {
        assert!(
            run.stderr.contains(&format!("chart=\"{name}\"")),
            "{name} not timed: {}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("report.html written"), "{}", run.stderr);

    let html = std::fs::read_to_string(report.join(REPORT_HTML)).unwrap();
    for (name, _) in CHARTS {
        let path = report.join(name);
        let (w, h, colours, inked) = inspect(&path);
        assert_eq!((w, h), (WIDTH, HEIGHT), "{name}");
        assert!(colours > 40, "{name}: {colours} colours");
        assert!(inked > 0.04, "{name}: {:.1}% inked", inked * 100.0);
        // Embedded as the very bytes written beside the report.
        let data = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&path).unwrap());
        assert!(
            html.contains(&format!("src=\"data:image/png;base64,{data}\"")),
            "{name} is not embedded"
        );
    }
    assert_eq!(html.matches("<img ").count(), CHARTS.len());

    // Headline figures first, then the top 10 findings, then the analysers.
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("Headline figures") < at("Top 10 findings"));
    for section in [
        "Where the money goes",
        "Allocation and tagging",
        "Usage: rightsizing, idle and modernisation",
        "Rate: commitments and Spot",
        "Trends and anomalies",
        "Budgets",
        "How the KPIs are computed",
    ] {
        assert!(
            at("Top 10 findings") < at(&format!(">{section}</h2>")),
            "{section}"
        );
    }
    // October's effective cost, by DuckDB over the parquet with AWS's amortisation CASE (the
    // query of tests/figures/import_totals.py, on sample-data/acme/cur2.parquet): 8264.271.
    assert!(
        html.contains("8,264.27"),
        "effective cost, rounded, with separators"
    );

    // The top 10 findings as findings.csv ranks them.
    let findings = csv_rows(&report.join("findings.csv"));
    let top = &html[at("Top 10 findings")..at("Savings by category")];
    let mut from = 0;
    for f in findings.iter().take(10) {
        let saving = money(f["monthly_saving"].parse::<f64>().unwrap());
        let cell = format!("<td class=\"num\">{saving}</td>");
        let found = top[from..]
            .find(&cell)
            .unwrap_or_else(|| panic!("finding {} ({saving}) missing", f["finding_id"]));
        from += found + cell.len();
        let row_end = from + top[from..].find("</tr>").unwrap();
        let row = &top[from..row_end];
        assert!(row.contains(&esc(&f["rule"])), "{row}");
        assert!(row.contains(&esc(&f["recommendation"])), "{row}");
        // Counted or not as findings.csv says, and a finding left out says why (the reasons
        // themselves: analyse's unit tests).
        let counted = if f["counted"] == "true" {
            "<td>yes</td>"
        } else {
            "<td>no: "
        };
        assert!(row.contains(counted), "{row}");
    }
    assert_eq!(top.matches("<tr>").count(), 11, "header and 10 findings");

    for (name, formula) in KPI_FORMULAS {
        assert!(html.contains(name), "{name}");
        assert!(html.contains(&esc(formula)), "{name}'s formula");
    }
    assert_self_contained(&html);
}

/// The Top 10 rows of summary.md: their savings.
fn top_ten_savings(md: &str) -> Vec<f64> {
    md.lines()
        .skip_while(|l| *l != "## Top 10 findings")
        .skip(4)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cell = l.trim_start_matches('|').split('|').next().unwrap().trim();
            cell.replace(',', "").parse().unwrap()
        })
        .collect()
}

/// The FOCUS sample's default policy makes hundreds of untagged-resource findings that save
/// nothing: none of them fills the Top 10, unless report.min_saving says so.
#[test]
fn findings_below_the_minimum_saving_never_fill_the_top_10() {
    let dir = tempfile::tempdir().unwrap();
    let sample = public_sample(FOCUS_SAMPLE);
    let run = costlens(
        &["analyze", sample.to_str().unwrap(), "--out", "out"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let findings = csv_rows(&dir.path().join("out/2024-09/findings.csv"));
    let worth: usize = findings
        .iter()
        .filter(|f| f["monthly_saving"].parse::<f64>().unwrap() >= 1.0)
        .count();
    assert!(
        findings.len() > 100 && worth < 10,
        "{} findings, {worth} worth 1.00",
        findings.len()
    );
    let md = std::fs::read_to_string(dir.path().join("out/2024-09/summary.md")).unwrap();
    let top = top_ten_savings(&md);
    assert_eq!(top.len(), worth, "{md}");
    assert!(top.iter().all(|s| *s >= 1.0), "{top:?}");
    let html = std::fs::read_to_string(dir.path().join("out/2024-09/report.html")).unwrap();
    let section =
        &html[html.find("Top 10 findings").unwrap()..html.find("Savings by category").unwrap()];
    assert!(!section.contains("untagged-resource"), "{section}");

    std::fs::write(
        dir.path().join("costlens.toml"),
        "[report]\nmin_saving = 0\n",
    )
    .unwrap();
    let run = costlens(
        &["analyze", sample.to_str().unwrap(), "--out", "all"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let md = std::fs::read_to_string(dir.path().join("all/2024-09/summary.md")).unwrap();
    assert_eq!(top_ten_savings(&md).len(), 10, "{md}");
}

/// Tag values and resource ids are user data: markup in them is shown, never run.
#[test]
fn markup_in_the_bill_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let header = "BillingAccountId,SubAccountId,ProviderName,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,PricingCategory,ServiceName,RegionId,ResourceId,BilledCost,EffectiveCost,ListCost,ContractedCost,PricingQuantity,PricingUnit,Tags,x_ServiceCode,x_UsageType,x_InstanceType";
    let line = |resource: &str, cost: f64, tags: &str| {
        format!(
            "999,111,AWS,USD,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,Usage,Standard,Amazon Elastic Compute Cloud,us-east-1,{resource},{cost},{cost},{cost},{cost},744,Hrs,\"{tags}\",AmazonEC2,BoxUsage:m5.large,m5.large\n"
        )
    };
    let mut bill = format!("{header}\n");
    bill += &line(
        "i-<script>alert(1)</script>",
        71.424,
        r#"{""team"": ""<img src=x onerror=alert(2)>""}"#,
    );
    bill += &line(
        "i-2",
        71.424,
        r#"{""team"": ""web"", ""environment"": ""</td><script>alert(3)</script>""}"#,
    );
    std::fs::write(dir.path().join("bill.csv"), bill).unwrap();
    std::fs::write(
        dir.path().join("costlens.toml"),
        "[tags]\nrequired = [\"team\", \"environment\"]\n[tags.allowed]\nenvironment = [\"prod\"]\n",
    )
    .unwrap();
    let run = costlens(
        &[
            "analyze",
            "bill.csv",
            "--config",
            "costlens.toml",
            "--out",
            "out",
        ],
        dir.path(),
    );
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let html = std::fs::read_to_string(dir.path().join("out/2026-10").join(REPORT_HTML)).unwrap();
    assert!(html.contains("i-&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;/td&gt;&lt;script&gt;alert(3)&lt;/script&gt;"));
    assert!(!html.contains("<img src=x"));
    assert_self_contained(&html);
    for (name, _) in CHARTS {
        let (w, h, _, _) = inspect(&dir.path().join("out/2026-10").join(name));
        assert_eq!((w, h), (WIDTH, HEIGHT), "{name}");
    }
}

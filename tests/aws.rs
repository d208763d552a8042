//! AWS sources end to end: the real binary against moto, an AWS API emulator that
//! `scripts/with-moto` starts on 127.0.0.1 (Cost Explorer's GetCostAndUsage and S3), and against HTTP
//! stubs inside the tests for the calls moto does not implement (the recommendation calls) and
//! for failures (throttling, 5xx). Every test contacts loopback only and uses dummy credentials.
//!
//! The moto tests fail, never pass silently, when `COSTLENS_TEST_MOTO_URL` is not set: run
//! `scripts/with-moto`. The stub and credential tests run under plain `cargo test` too.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::{json, Value};

/// moto's URL, from `scripts/with-moto`.
fn moto_url() -> String {
    let url = std::env::var("COSTLENS_TEST_MOTO_URL").unwrap_or_else(|_| {
        panic!(
            "COSTLENS_TEST_MOTO_URL is not set: this test needs the moto AWS emulator; run \
             scripts/with-moto, which starts it on 127.0.0.1"
        )
    });
    assert_loopback(&url);
    url
}

fn assert_loopback(url: &str) {
    assert!(
        url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:"),
        "tests contact loopback only, not {url}"
    );
}

/// A temporary home for one test: the binary sees only these variables, so no profile, home
/// folder or credential of the machine can leak in.
struct Sandbox {
    dir: tempfile::TempDir,
    vars: Vec<(&'static str, String)>,
}

impl Sandbox {
    fn new(access_key_id: &str, secret_access_key: &str) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("aws-config");
        std::fs::write(&config, "").unwrap();
        let home = dir.path().display().to_string();
        let vars = vec![
            ("HOME", home),
            ("AWS_ACCESS_KEY_ID", access_key_id.to_string()),
            ("AWS_SECRET_ACCESS_KEY", secret_access_key.to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_CONFIG_FILE", config.display().to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", config.display().to_string()),
            // No instance-metadata lookups (169.254.169.254 is not loopback).
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("AWS_MAX_ATTEMPTS", "3".to_string()),
            (
                "COSTLENS_CACHE_DIR",
                dir.path().join("cache").display().to_string(),
            ),
        ];
        Sandbox { dir, vars }
    }

    fn set(&mut self, name: &'static str, value: &str) {
        self.vars.retain(|(n, _)| *n != name);
        self.vars.push((name, value.to_string()));
    }

    fn unset(&mut self, name: &str) {
        self.vars.retain(|(n, _)| *n != name);
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Run {
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(n, v)| (*n, v.as_str())).collect();
        costlens_isolated(args, self.dir.path(), &vars)
    }
}

/// A POST to a loopback HTTP server; returns the status and the body.
fn http_post(url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    assert_loopback(url);
    let rest = url.trim_start_matches("http://");
    let (host, path) = match rest.split_once('/') {
        Some((host, path)) => (host, format!("/{path}")),
        None => (rest, "/".to_string()),
    };
    let mut stream = TcpStream::connect(host).unwrap();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn xml_value(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {tag} in {xml}"))
        + open.len();
    let end = xml[start..].find("</").unwrap() + start;
    xml[start..end].to_string()
}

/// A moto account of this run for test `n`: each run of the suite gets new accounts, so a
/// second run against the same moto server neither meets the first run's IAM user (creating
/// it again fails) nor its Cost Explorer answers left unread (a stopped fetch leaves some).
fn fresh_account(n: u8) -> String {
    static RUN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let run = RUN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        (nanos ^ u64::from(std::process::id()).rotate_left(32)) % 10_000_000_000
    });
    format!("9{n}{run:010}")
}

/// An IAM user with an access key in moto account `account`: requests signed with the key are
/// that account's, so each test's injected Cost Explorer results stay its own.
fn moto_account(moto: &str, account: &str) -> Sandbox {
    let headers = [
        ("x-moto-account-id", account),
        ("Content-Type", "application/x-www-form-urlencoded"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20261101/us-east-1/iam/aws4_request, \
             SignedHeaders=host, Signature=0",
        ),
    ];
    let (status, body) = http_post(
        moto,
        &headers,
        "Action=CreateUser&UserName=costlens-test&Version=2010-05-08",
    );
    assert_eq!(status, 200, "CreateUser: {body}");
    let (status, body) = http_post(
        moto,
        &headers,
        "Action=CreateAccessKey&UserName=costlens-test&Version=2010-05-08",
    );
    assert_eq!(status, 200, "CreateAccessKey: {body}");
    Sandbox::new(
        &xml_value(&body, "AccessKeyId"),
        &xml_value(&body, "SecretAccessKey"),
    )
}

/// Queues GetCostAndUsage answers (one per page) in moto for `account`.
fn inject_cost_and_usage(moto: &str, account: &str, pages: &[Value]) {
    let body = json!({"account_id": account, "results": pages}).to_string();
    let (status, answer) = http_post(
        &format!("{moto}/moto-api/static/ce/cost-and-usage-results"),
        &[("Content-Type", "application/json")],
        &body,
    );
    assert_eq!(status, 201, "{answer}");
}

/// One Cost Explorer group: its keys and unblended, amortised, net amortised cost and usage.
fn group(keys: &[&str], costs: [&str; 3], usage: (&str, &str)) -> Value {
    let money = |amount: &str| json!({"Amount": amount, "Unit": "USD"});
    json!({
        "Keys": keys,
        "Metrics": {
            "UnblendedCost": money(costs[0]),
            "AmortizedCost": money(costs[1]),
            "NetAmortizedCost": money(costs[2]),
            "UsageQuantity": {"Amount": usage.0, "Unit": usage.1},
        }
    })
}

fn day(start: &str, end: &str, groups: Vec<Value>) -> Value {
    json!({
        "TimePeriod": {"Start": start, "End": end},
        "Total": {},
        "Groups": groups,
        "Estimated": false,
    })
}

/// Two pages of daily costs by service and account. By hand: billed 10.25 + 1.10 + 10.25 +
/// 0.40 − 2.00 = 20.00; effective 8.75 + 1.10 + 8.75 + 0.40 − 2.00 = 17.00; account
/// 111111111111 billed 20.50, account 222222222222 billed 1.10 + 0.40 − 2.00 = −0.50.
fn two_pages() -> Vec<Value> {
    vec![
        json!({
            "ResultsByTime": [day("2026-10-01", "2026-10-02", vec![
                group(&["Amazon Elastic Compute Cloud - Compute", "111111111111"],
                      ["10.25", "8.75", "8.50"], ("24", "Hrs")),
                group(&["Amazon Simple Storage Service", "222222222222"],
                      ["1.10", "1.10", "1.05"], ("310.5", "GB-Mo")),
            ])],
            "DimensionValueAttributes": [
                {"Value": "111111111111", "Attributes": {"description": "prod"}},
                {"Value": "222222222222", "Attributes": {"description": "data"}},
            ],
            "NextPageToken": "page-2",
        }),
        json!({
            "ResultsByTime": [day("2026-10-02", "2026-10-03", vec![
                group(&["Amazon Elastic Compute Cloud - Compute", "111111111111"],
                      ["10.25", "8.75", "8.50"], ("24", "Hrs")),
                group(&["AWS Lambda", "222222222222"],
                      ["0.40", "0.40", "0.38"], ("1000000", "Requests")),
                group(&["Amazon Elastic Compute Cloud - Compute", "222222222222"],
                      ["-2.00", "-2.00", "-2.00"], ("0", "N/A")),
            ])],
            "DimensionValueAttributes": [],
        }),
    ]
}

const FETCH_TWO_DAYS: [&str; 7] = [
    "fetch",
    "ce",
    "--start",
    "2026-10-01",
    "--end",
    "2026-10-03",
    "--granularity=DAILY",
];

fn summary_json(sandbox: &Sandbox, input: &str, extra: &[&str]) -> Value {
    let mut args = vec!["summary", "--format", "json", input];
    args.extend_from_slice(extra);
    let run = sandbox.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    json(&run.stdout)
}

fn account_billed(summary: &Value, account: &str) -> f64 {
    summary["by_account"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == account)
        .unwrap_or_else(|| panic!("no account {account} in {summary}"))["billed_cost"]
        .as_f64()
        .unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn cost_explorer_pages_become_one_dataset() {
    let moto = moto_url();
    let account = &fresh_account(1);
    let sandbox = moto_account(&moto, account);
    inject_cost_and_usage(&moto, account, &two_pages());

    let mut args = FETCH_TWO_DAYS.to_vec();
    args.extend([
        "--group-by",
        "SERVICE,LINKED_ACCOUNT",
        "--out",
        "ce.parquet",
        "--endpoint-url",
        &moto,
        "-vv",
    ]);
    let run = sandbox.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Cost Explorer: 2 paid requests ($0.02), 0 answered from the cache"),
        "{}",
        run.stderr
    );

    let s = summary_json(&sandbox, "ce.parquet", &[]);
    assert_eq!(s["rows"], 5);
    assert_eq!(s["currency"], "USD");
    assert_eq!(s["period_start"], "2026-10-01T00:00:00Z");
    assert_eq!(s["period_end"], "2026-10-03T00:00:00Z");
    assert_cents(s["billed_cost"].as_f64().unwrap(), 20.00, "billed");
    assert_cents(s["effective_cost"].as_f64().unwrap(), 17.00, "effective");
    assert_cents(account_billed(&s, "111111111111"), 20.50, "account 1");
    assert_cents(account_billed(&s, "222222222222"), -0.50, "account 2");

    // The same query spelled as an input: moto answers the same requests the same way.
    let direct = summary_json(
        &sandbox,
        "ce:2026-10-01..2026-10-03",
        &["--endpoint-url", &moto, "--cache-dir", "other-cache"],
    );
    assert_eq!(direct["rows"], 5);
    assert_cents(direct["billed_cost"].as_f64().unwrap(), 20.00, "ce: input");

    // The monthly job on Cost Explorer data says what it cannot compute without resources.
    let run = sandbox.run(&["analyze", "ce.parquet", "--out", "reports"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report =
        json(&std::fs::read_to_string(sandbox.path("reports/2026-10/summary.json")).unwrap());
    assert_cents(
        report["totals"]["billed_cost"].as_f64().unwrap(),
        20.00,
        "analyze billed",
    );
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("not available from Cost Explorer data"),
        "{notes}"
    );
    assert!(
        report["kpis"]["tag_coverage_pct"].is_null(),
        "no coverage figure is invented"
    );

    // The secret key reaches neither the output, nor the logs, nor the cache.
    let secret = &sandbox
        .vars
        .iter()
        .find(|(n, _)| *n == "AWS_SECRET_ACCESS_KEY")
        .unwrap()
        .1;
    assert!(!run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()));
    for file in files_under(sandbox.dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(secret.as_str()),
            "{} holds the secret",
            file.display()
        );
    }
}

#[test]
fn cost_explorer_lines_keep_tags_and_no_resources() {
    let moto = moto_url();
    let account = &fresh_account(2);
    let sandbox = moto_account(&moto, account);
    inject_cost_and_usage(
        &moto,
        account,
        &[json!({
            "ResultsByTime": [day("2026-10-01", "2026-10-02", vec![
                group(&["AWS Lambda", "team$web"], ["3.00", "2.50", "2.40"], ("10", "Requests")),
                group(&["AWS Lambda", "team$"], ["1.00", "1.00", "0.90"], ("5", "Requests")),
            ])],
            "DimensionValueAttributes": [],
        })],
    );
    let mut args = FETCH_TWO_DAYS.to_vec();
    args.extend([
        "--group-by",
        "SERVICE,TAG:team",
        "--out",
        "ce.csv",
        "--endpoint-url",
        &moto,
    ]);
    let run = sandbox.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let mut reader = csv::Reader::from_path(sandbox.path("ce.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let cell = |row: &csv::StringRecord, name: &str| {
        let i = headers.iter().position(|h| h == name).unwrap();
        row[i].to_string()
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(cell(&rows[0], "ServiceName"), "AWS Lambda");
    assert_eq!(cell(&rows[0], "Tags"), r#"{"team":"web"}"#);
    assert_eq!(cell(&rows[1], "Tags"), "{}");
    // Money exactly, every digit and no more.
    assert_eq!(cell(&rows[0], "BilledCost"), "3");
    assert_eq!(cell(&rows[0], "EffectiveCost"), "2.5");
    assert_eq!(cell(&rows[0], "x_NetAmortizedCost"), "2.4");
    assert_eq!(cell(&rows[0], "ConsumedQuantity"), "10.0");
    assert_eq!(cell(&rows[0], "ConsumedUnit"), "Requests");
    for row in &rows {
        // Cost Explorer has no resources and no list prices: null, never a made-up value.
        assert_eq!(cell(row, "ResourceId"), "");
        assert_eq!(cell(row, "ListCost"), "");
        assert_eq!(cell(row, "ProviderName"), "AWS");
    }
}

#[test]
fn cost_guard_stops_at_the_limit_and_writes_nothing() {
    let moto = moto_url();
    let account = &fresh_account(3);
    let sandbox = moto_account(&moto, account);
    inject_cost_and_usage(&moto, account, &two_pages());
    let mut args = FETCH_TWO_DAYS.to_vec();
    args.extend([
        "--out",
        "ce.parquet",
        "--endpoint-url",
        &moto,
        "--max-requests",
        "1",
    ]);
    let run = sandbox.run(&args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cost guard: stopped at --max-requests 1")
            && run.stderr.contains("1 paid request ($0.01)")
            && run.stderr.contains("nothing was written"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert!(!sandbox.path("ce.parquet").exists());
}

/// A port nothing listens on: any request sent there fails.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn cached_answers_make_a_rerun_free_until_they_expire() {
    let moto = moto_url();
    let account = &fresh_account(4);
    let sandbox = moto_account(&moto, account);
    inject_cost_and_usage(&moto, account, &two_pages());
    let fetch = |out: &str, endpoint: &str, extra: &[&str]| {
        let mut args = FETCH_TWO_DAYS.to_vec();
        args.extend(["--out", out, "--endpoint-url", endpoint]);
        args.extend_from_slice(extra);
        sandbox.run(&args)
    };
    let first = fetch("first.parquet", &moto, &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("2 paid requests ($0.02)"),
        "{}",
        first.stderr
    );

    // The rerun may not pay for anything (the guard would stop the first paid request): only
    // the cache can answer. (The same endpoint: another is another request, see
    // the_cache_keeps_each_endpoint_apart.)
    let rerun = fetch("rerun.parquet", &moto, &["--max-requests", "0"]);
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert!(
        rerun
            .stderr
            .contains("0 paid requests ($0.00), 2 answered from the cache"),
        "{}",
        rerun.stderr
    );
    let s = summary_json(&sandbox, "rerun.parquet", &[]);
    assert_cents(s["billed_cost"].as_f64().unwrap(), 20.00, "cached rerun");

    // Expired answers are asked for again (and here AWS cannot be reached: a clean error).
    let dead = closed_port_url();
    let expired = fetch("expired.parquet", &dead, &["--cache-hours", "0"]);
    assert_eq!(expired.code, 2, "{}", expired.stderr);
    assert!(
        expired.stderr.contains("could not reach AWS"),
        "{}",
        expired.stderr
    );
    assert!(!sandbox.path("expired.parquet").exists());
}

/// The public legacy CUR sample cut into gzip parts, each with the header and a range of rows.
fn cur_parts(parts: &[(usize, usize)]) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(public_sample(CUR_CSV_SAMPLE)).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    parts
        .iter()
        .map(|&(start, end)| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            writeln!(gz, "{header}").unwrap();
            for row in &rows[start..end] {
                writeln!(gz, "{row}").unwrap();
            }
            gz.finish().unwrap()
        })
        .collect()
}

fn s3_client(moto: &str) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto)
        .force_path_style(true)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[test]
fn s3_bucket_with_a_legacy_month_and_a_data_exports_month() {
    let moto = moto_url();
    let bucket = "costlens-test-billing";
    let month = "billing/acme-cur/20231101-20231201";
    let rows = 1281;
    let stale = cur_parts(&[(0, 100)]);
    let current = cur_parts(&[(0, 640), (640, rows)]);
    let manifest = |keys: &[String]| json!({"assemblyId": "x", "reportKeys": keys}).to_string();
    let stale_keys = [format!("{month}/aaaa-old/acme-cur-1.csv.gz")];
    let current_keys = [
        format!("{month}/bbbb-new/acme-cur-1.csv.gz"),
        format!("{month}/bbbb-new/acme-cur-2.csv.gz"),
    ];
    let mut objects: Vec<(String, Vec<u8>)> = vec![
        (stale_keys[0].clone(), stale[0].clone()),
        (
            format!("{month}/aaaa-old/acme-cur-Manifest.json"),
            manifest(&stale_keys).into_bytes(),
        ),
        (current_keys[0].clone(), current[0].clone()),
        (current_keys[1].clone(), current[1].clone()),
        (
            format!("{month}/bbbb-new/acme-cur-Manifest.json"),
            manifest(&current_keys).into_bytes(),
        ),
        (
            format!("{month}/acme-cur-Manifest.json"),
            manifest(&current_keys).into_bytes(),
        ),
        (
            "billing/acme-cur2/data/BILLING_PERIOD=2026-10/acme-cur2-00001.snappy.parquet".into(),
            std::fs::read(root().join("sample-data/acme/cur2.parquet")).unwrap(),
        ),
    ];
    objects.push(("billing/README.txt".into(), b"not billing data".to_vec()));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = s3_client(&moto);
        client.create_bucket().bucket(bucket).send().await.unwrap();
        for (key, bytes) in objects {
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(bytes.into())
                .send()
                .await
                .unwrap();
        }
    });

    let sandbox = Sandbox::new("testing", "testing");
    let url = format!("s3://{bucket}/billing/");
    let remote = sandbox.run(&["summary", "--format", "json", &url, "--endpoint-url", &moto]);
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    assert!(
        remote.stderr.contains("3 files") && remote.stderr.contains("3 downloaded"),
        "{}",
        remote.stderr
    );
    assert!(
        remote
            .stderr
            .contains("1 superseded or incomplete assembly ignored"),
        "{}",
        remote.stderr
    );

    let local = summary_json(
        &sandbox,
        public_sample(CUR_CSV_SAMPLE).to_str().unwrap(),
        &[root()
            .join("sample-data/acme/cur2.parquet")
            .to_str()
            .unwrap()],
    );
    let remote = json(&remote.stdout);
    assert_eq!(remote["rows"], local["rows"]);
    for key in ["billed_cost", "effective_cost", "list_cost"] {
        assert_cents(
            remote[key].as_f64().unwrap(),
            local[key].as_f64().unwrap(),
            key,
        );
    }
    // The stale assembly's 100 rows would show here: the CUR month counts its 1281 rows once
    // (tests/import.rs: DuckDB's count and totals of the same sample).
    let acme = summary_json(
        &sandbox,
        root()
            .join("sample-data/acme/cur2.parquet")
            .to_str()
            .unwrap(),
        &[],
    );
    assert_eq!(
        remote["rows"].as_u64().unwrap(),
        acme["rows"].as_u64().unwrap() + rows as u64
    );
    assert_cents(
        remote["billed_cost"].as_f64().unwrap() - acme["billed_cost"].as_f64().unwrap(),
        1.682309,
        "the CUR month's billed cost",
    );

    // A rerun finds every file in the cache.
    let again = sandbox.run(&["summary", &url, "--endpoint-url", &moto]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("0 downloaded, 3 already in the cache"),
        "{}",
        again.stderr
    );
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/fixtures/aws").join(name)).unwrap()
}

const TARGET_PREFIX: &str = "AWSInsightsIndexService.";

/// An HTTP stub of Cost Explorer on 127.0.0.1 for what moto does not do (the recommendation
/// calls, throttling, 5xx): each request is answered by the first rule that matches it and
/// recorded. Written on std's TcpListener so the tests need no HTTP server crate, whose
/// features would make the test build recompile the SDK and polars stacks.
struct Stub {
    url: String,
    requests: Arc<Mutex<Vec<Value>>>,
}

/// A Cost Explorer operation's answer: an HTTP status and a JSON body.
struct Rule {
    operation: &'static str,
    /// Only requests for this page (`NextPageToken` in the request body).
    page: Option<&'static str>,
    /// Answers this many requests, then no longer matches.
    times: Option<usize>,
    status: u16,
    body: String,
}

/// A rule for `operation` answering `status` and `body` (the API's JSON protocol).
fn answer(operation: &'static str, status: u16, body: &str) -> Rule {
    Rule {
        operation,
        page: None,
        times: None,
        status,
        body: body.to_owned(),
    }
}

impl Rule {
    fn for_page(mut self, token: &'static str) -> Rule {
        self.page = Some(token);
        self
    }

    fn times(mut self, n: usize) -> Rule {
        self.times = Some(n);
        self
    }

    fn matches(&self, operation: &str, body: &Value) -> bool {
        self.times != Some(0)
            && operation == format!("{TARGET_PREFIX}{}", self.operation)
            && self
                .page
                .is_none_or(|token| body["NextPageToken"].as_str() == Some(token))
    }
}

impl Stub {
    /// Starts answering on a free port; rules are tried in order.
    fn start(rules: Vec<Rule>) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let rules = Arc::new(Mutex::new(rules));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (rules, seen) = (Arc::clone(&rules), Arc::clone(&seen));
                std::thread::spawn(move || serve(stream, &rules, &seen));
            }
        });
        Stub { url, requests }
    }

    /// How many requests have been answered.
    fn received(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// Answers the requests of one connection, which the client may keep open.
fn serve(stream: TcpStream, rules: &Mutex<Vec<Rule>>, seen: &Mutex<Vec<Value>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let (mut operation, mut length) = (String::new(), 0usize);
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            match name.to_ascii_lowercase().as_str() {
                "x-amz-target" => operation = value.trim().to_string(),
                "content-length" => length = value.trim().parse().unwrap(),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (status, reply) = {
            let mut rules = rules.lock().unwrap();
            match rules.iter_mut().find(|r| r.matches(&operation, &body)) {
                Some(rule) => {
                    rule.times = rule.times.map(|n| n - 1);
                    (rule.status, rule.body.clone())
                }
                None => (404, format!("no stub rule for {operation}")),
            }
        };
        seen.lock().unwrap().push(body);
        let head = format!(
            "HTTP/1.1 {status} Stub\r\nContent-Type: application/x-amz-json-1.1\r\n\
             Content-Length: {}\r\n\r\n",
            reply.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(reply.as_bytes()).is_err()
        {
            return;
        }
    }
}

#[test]
fn aws_recommendations_become_findings_marked_with_their_source() {
    let server = Stub::start(vec![
        answer(
            "GetRightsizingRecommendation",
            200,
            &fixture("rightsizing-page-2.json"),
        )
        .for_page("rightsizing-page-2"),
        answer(
            "GetRightsizingRecommendation",
            200,
            &fixture("rightsizing-page-1.json"),
        ),
        answer(
            "GetSavingsPlansPurchaseRecommendation",
            200,
            &fixture("savings-plans.json"),
        ),
        answer(
            "GetReservationPurchaseRecommendation",
            200,
            &fixture("reservations.json"),
        ),
    ]);
    let sandbox = Sandbox::new("testing", "testing");
    let run = sandbox.run(&[
        "fetch",
        "recommendations",
        "--out",
        "aws-findings.json",
        "--endpoint-url",
        &server.url,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("4 paid requests ($0.04)"),
        "{}",
        run.stderr
    );
    assert_eq!(server.received(), 4);

    // The monthly job reports them beside its own findings, marked with their source and
    // not added to the savings total.
    let csv = public_sample(CUR_CSV_SAMPLE);
    let run = sandbox.run(&[
        "analyze",
        csv.to_str().unwrap(),
        "--aws-recommendations",
        "aws-findings.json",
        "--out",
        "reports",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&sandbox.path("reports/2023-11/findings.csv"));
    let aws: Vec<_> = rows
        .iter()
        .filter(|r| r["source"].starts_with("aws:"))
        .collect();
    assert_eq!(aws.len(), 4);
    assert!(aws.iter().all(|r| r["counted"] == "false"), "{aws:?}");

    let findings = json(&std::fs::read_to_string(sandbox.path("aws-findings.json")).unwrap());
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 4);
    let by_rule =
        |rule: &str| -> Vec<&Value> { findings.iter().filter(|f| f["rule"] == rule).collect() };

    let rightsizing = by_rule("aws-rightsizing");
    assert_eq!(rightsizing.len(), 2);
    let resize = rightsizing[0];
    assert_eq!(resize["source"], "aws:GetRightsizingRecommendation");
    assert_eq!(resize["category"], "usage");
    assert_eq!(resize["resource_id"], "i-0aaa1111bbbb2222c");
    assert_eq!(resize["account_id"], "111111111111");
    assert_eq!(resize["current"], "m5.2xlarge");
    // AWS's default target (m5.xlarge, 0.192 × 730 = 140.16 a month saved), not its cheapest.
    assert_eq!(resize["recommendation"], "resize m5.2xlarge to m5.xlarge");
    assert_cents(resize["monthly_saving"].as_f64().unwrap(), 140.16, "resize");
    assert_cents(
        resize["period_cost"].as_f64().unwrap(),
        280.32,
        "m5.2xlarge month",
    );
    let terminate = rightsizing[1];
    assert_eq!(terminate["resource_id"], "i-0ddd3333eeee4444f");
    assert_eq!(terminate["recommendation"], "terminate the idle t3.large");
    assert_cents(
        terminate["monthly_saving"].as_f64().unwrap(),
        60.74,
        "terminate",
    );

    let plan = by_rule("aws-savings-plan-purchase");
    assert_eq!(plan.len(), 1);
    assert_eq!(
        plan[0]["source"],
        "aws:GetSavingsPlansPurchaseRecommendation"
    );
    assert_eq!(plan[0]["category"], "rate");
    assert_cents(plan[0]["monthly_saving"].as_f64().unwrap(), 292.0, "plan");
    // 2.40 an hour on demand × 730 hours.
    assert_cents(
        plan[0]["period_cost"].as_f64().unwrap(),
        1752.0,
        "on demand",
    );
    assert!(plan[0]["recommendation"]
        .as_str()
        .unwrap()
        .contains("1-year No Upfront Compute Savings Plan at 1.5000 USD/hour"));

    let reservation = by_rule("aws-reservation-purchase");
    assert_eq!(reservation.len(), 1);
    assert_eq!(
        reservation[0]["source"],
        "aws:GetReservationPurchaseRecommendation"
    );
    assert_eq!(reservation[0]["category"], "rate");
    assert_eq!(reservation[0]["region"], "US East (N. Virginia)");
    assert!(reservation[0]["recommendation"]
        .as_str()
        .unwrap()
        .starts_with("reserve 3 × m5.large Linux/UNIX Shared"));
    // 3 × (0.096 − 0.060) × 730 = 78.84 a month.
    assert_cents(
        reservation[0]["monthly_saving"].as_f64().unwrap(),
        78.84,
        "RI",
    );

    // Beside costlens's own findings, never added to its savings total.
    assert!(findings.iter().all(|f| f["counted"] == false));
    let total: f64 = findings
        .iter()
        .map(|f| f["monthly_saving"].as_f64().unwrap())
        .sum();
    assert_cents(total, 140.16 + 60.74 + 292.0 + 78.84, "total");
}

const ONE_PAGE: &str = r#"{"ResultsByTime": [{"TimePeriod": {"Start": "2026-10-01", "End": "2026-10-02"},
  "Total": {}, "Groups": [{"Keys": ["AWS Lambda", "111111111111"],
  "Metrics": {"UnblendedCost": {"Amount": "4.2", "Unit": "USD"}}}], "Estimated": false}],
  "DimensionValueAttributes": [], "NextPageToken": "p2"}"#;

/// The same request to another endpoint is another request: its answer is never served from
/// the cache of the first (the cache key includes the endpoint). Two stubs answer differently.
#[test]
fn the_cache_keeps_each_endpoint_apart() {
    let serve = |amount: &str| {
        let page = json!({
            "ResultsByTime": [day("2026-10-01", "2026-10-03", vec![
                group(&["AWS Lambda", "111111111111"], [amount, amount, amount], ("1", "Requests")),
            ])],
            "DimensionValueAttributes": [],
        })
        .to_string();
        Stub::start(vec![answer("GetCostAndUsage", 200, &page)])
    };
    let (first, second) = (serve("20.00"), serve("3.00"));
    let sandbox = Sandbox::new("testing", "testing");
    let fetch = |out: &str, endpoint: &str| {
        let mut args = FETCH_TWO_DAYS.to_vec();
        args.extend(["--out", out, "--endpoint-url", endpoint]);
        let run = sandbox.run(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stderr
    };
    let billed = |file: &str| {
        summary_json(&sandbox, file, &[])["billed_cost"]
            .as_f64()
            .unwrap()
    };
    let paid = "1 paid request ($0.01), 0 answered from the cache";
    assert!(fetch("a.parquet", &first.url).contains(paid));
    let stderr = fetch("b.parquet", &second.url);
    assert!(
        stderr.contains(paid),
        "another endpoint, another request: {stderr}"
    );
    assert_cents(billed("a.parquet"), 20.00, "first endpoint");
    assert_cents(
        billed("b.parquet"),
        3.00,
        "second endpoint, not the first's answer",
    );
    // The first endpoint's answer is still cached for the first endpoint.
    let stderr = fetch("a-again.parquet", &first.url);
    assert!(
        stderr.contains("0 paid requests ($0.00), 1 answered from the cache"),
        "{stderr}"
    );
    assert_cents(
        billed("a-again.parquet"),
        20.00,
        "first endpoint, from the cache",
    );
}

#[test]
fn throttling_is_retried_with_backoff() {
    let last_page = ONE_PAGE.replace(r#", "NextPageToken": "p2""#, "");
    let server = Stub::start(vec![
        answer(
            "GetCostAndUsage",
            400,
            r#"{"__type": "LimitExceededException", "message": "Rate exceeded"}"#,
        )
        .times(1),
        answer("GetCostAndUsage", 200, &last_page),
    ]);
    let sandbox = Sandbox::new("testing", "testing");
    let mut args = FETCH_TWO_DAYS.to_vec();
    args.extend(["--out", "ce.parquet", "--endpoint-url", &server.url]);
    let run = sandbox.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(sandbox.path("ce.parquet").exists());
    // One paid request, sent twice: throttled, then answered.
    assert!(
        run.stderr.contains("1 paid request ($0.01)"),
        "{}",
        run.stderr
    );
    assert_eq!(server.received(), 2);
}

#[test]
fn a_failure_after_retries_is_an_error_never_a_partial_dataset() {
    let server = Stub::start(vec![
        answer("GetCostAndUsage", 500, "").for_page("p2"),
        answer("GetCostAndUsage", 200, ONE_PAGE),
    ]);
    let sandbox = Sandbox::new("testing", "testing");
    let mut args = FETCH_TWO_DAYS.to_vec();
    args.extend(["--out", "ce.parquet", "--endpoint-url", &server.url]);
    let run = sandbox.run(&args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("failed with HTTP 500 after the SDK's retries"),
        "{}",
        run.stderr
    );
    assert!(!sandbox.path("ce.parquet").exists());
    // The first page once, the second three times (AWS_MAX_ATTEMPTS=3).
    assert_eq!(server.received(), 4);
}

#[test]
fn missing_or_expired_credentials_name_the_profile_and_the_fix() {
    let mut sandbox = Sandbox::new("unused", "unused");
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    // An SSO profile that was never logged in (no token in ~/.aws/sso/cache).
    let config = sandbox.path("aws-config");
    std::fs::write(
        &config,
        "[profile finance]\nsso_session = corp\nsso_account_id = 111122223333\n\
         sso_role_name = ReadOnly\nregion = us-east-1\n\n[sso-session corp]\n\
         sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    let dead = closed_port_url();
    let mut args = FETCH_TWO_DAYS.to_vec();
    args.extend(["--out", "ce.parquet", "--endpoint-url", &dead]);

    let mut sso = args.clone();
    sso.extend(["--profile", "finance"]);
    let run = sandbox.run(&sso);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let error = run.stderr.lines().last().unwrap();
    assert!(
        error.contains("AWS credentials for profile 'finance' are missing or expired")
            && error.contains("aws sso login --profile finance"),
        "{}",
        run.stderr
    );

    // A profile that does not exist, chosen through AWS_PROFILE as the AWS CLI would.
    sandbox.set("AWS_PROFILE", "nosuch");
    let run = sandbox.run(&args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("profile 'nosuch'")
            && run.stderr.contains("aws configure --profile nosuch"),
        "{}",
        run.stderr
    );
    assert!(!sandbox.path("ce.parquet").exists());
}

/// Recognisable fake credentials: none of them may appear in any output or file.
const FAKE_KEY_ID: &str = "AKIAFAKECOSTLENS0001";
const FAKE_SECRET: &str = "FAKEsecret/costlens+0123456789abcdefABCDE";
const FAKE_TOKEN: &str = "FAKEtoken-costlens-session-0123456789xyz";

/// Every verbosity costlens has, as flags and `RUST_LOG` settings.
fn verbosities() -> Vec<(Vec<&'static str>, Option<&'static str>)> {
    vec![
        (vec!["-q"], None),
        (vec!["-q", "--log-format", "json"], None),
        (vec![], None),
        (vec!["-v"], None),
        (vec!["-vv"], None),
        (vec!["-vvv"], None),
        (vec!["-vvv", "--log-format", "json"], None),
        (vec![], Some("debug")),
        (vec![], Some("trace")),
        (vec!["--log-format", "json"], Some("trace")),
        (
            vec![],
            Some("aws_config=trace,aws_sigv4=trace,aws_smithy_runtime=trace,aws_credential_types=trace,trace"),
        ),
    ]
}

fn assert_nothing_holds(sandbox: &Sandbox, run: &Run, secrets: &[&str], what: &str) {
    for secret in secrets {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{what}: {secret} printed"
        );
        // Every file the run could have written: all but the AWS config the test wrote.
        for file in files_under(sandbox.dir.path()) {
            if file == sandbox.path("aws-config") {
                continue;
            }
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "{what}: {secret} in {}",
                file.display()
            );
        }
    }
}

/// Fake credentials (access key id, secret, session token) at every verbosity against moto's
/// S3: no output, log line or cache file holds any of them; at trace level the SDK does try
/// (signed request headers), and what it prints is masked.
#[test]
fn no_credential_is_printed_or_written_at_any_verbosity() {
    let moto = moto_url();
    let bucket = "costlens-test-no-secrets";
    let bill = "BillingAccountId,SubAccountId,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,\
         ChargeCategory,ServiceName,BilledCost,EffectiveCost,ListCost\n\
         999,111,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Usage,S3,1.5,1.5,1.5\n";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = s3_client(&moto);
        client.create_bucket().bucket(bucket).send().await.unwrap();
        client
            .put_object()
            .bucket(bucket)
            .key("focus/bill.csv")
            .body(bill.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    });
    let mut sandbox = Sandbox::new(FAKE_KEY_ID, FAKE_SECRET);
    sandbox.set("AWS_SESSION_TOKEN", FAKE_TOKEN);
    let input = format!("s3://{bucket}/focus/");
    let mut masked_at_trace = false;
    for (flags, rust_log) in verbosities() {
        match rust_log {
            Some(filter) => sandbox.set("RUST_LOG", filter),
            None => sandbox.unset("RUST_LOG"),
        }
        let mut args = flags.clone();
        args.extend([
            "summary",
            "--format",
            "json",
            &input,
            "--endpoint-url",
            &moto,
        ]);
        let run = sandbox.run(&args);
        let what = format!("{flags:?} RUST_LOG={rust_log:?}");
        assert_eq!(run.code, 0, "{what}: {}", run.stderr);
        assert_eq!(json(&run.stdout)["billed_cost"], 1.5, "{what}");
        assert_nothing_holds(
            &sandbox,
            &run,
            &[FAKE_KEY_ID, FAKE_SECRET, FAKE_TOKEN],
            &what,
        );
        masked_at_trace |=
            rust_log.is_some_and(|l| l.contains("trace")) && run.stderr.contains("[redacted]");
    }
    assert!(
        masked_at_trace,
        "the trace logs never tried to print a credential"
    );
}

/// A `credential_process` that fails with a secret on its stderr: at every verbosity the error
/// names the profile and what to run, and the stderr text appears nowhere.
#[test]
fn a_failing_credential_process_is_summarised_never_copied() {
    let mut sandbox = Sandbox::new("unused", "unused");
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    let leaked = "LEAKED-STDERR-SECRET-4242";
    std::fs::write(
        sandbox.path("aws-config"),
        format!(
            "[profile leaky]\nregion = us-east-1\n\
             credential_process = sh -c \"echo 'aws_secret_access_key={leaked}' >&2; exit 1\"\n"
        ),
    )
    .unwrap();
    let dead = closed_port_url();
    for (flags, rust_log) in verbosities() {
        match rust_log {
            Some(filter) => sandbox.set("RUST_LOG", filter),
            None => sandbox.unset("RUST_LOG"),
        }
        let mut args = flags.clone();
        args.extend(FETCH_TWO_DAYS);
        args.extend([
            "--out",
            "ce.parquet",
            "--profile",
            "leaky",
            "--endpoint-url",
            &dead,
        ]);
        let run = sandbox.run(&args);
        let what = format!("{flags:?} RUST_LOG={rust_log:?}");
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        let error = run.stderr.lines().last().unwrap_or_default();
        assert!(
            error.contains("profile 'leaky'")
                && error.contains("credential_process command failed"),
            "{what}: {}",
            run.stderr
        );
        assert_nothing_holds(&sandbox, &run, &[leaked], &what);
    }
}

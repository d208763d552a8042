//! A bounded, seeded generator per importer (legacy CUR CSV, legacy CUR parquet, CUR 2.0
//! parquet, FOCUS CSV, FOCUS parquet): random lines in the shapes writers use (amounts of any
//! magnitude and scale as text, DOUBLE, DECIMAL or integers; timestamps with offsets or zones;
//! gzip, BOM, CRLF, quoting) and random defects (money that is no amount, a missing currency or
//! start, bad dates, an empty file). Every case runs `costlens summary` and asserts: no panic,
//! no hang, and either exit 0 with the billed total equal to the sum the generator computed in
//! integer pico-units, or, for a case with a defect, exit 2 with one line naming the file.
//! Fixed seed, 20 cases per importer: a few seconds.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use polars::prelude::*;

const CASES_PER_IMPORTER: usize = 20;
const SEED: u64 = 0x0016_1616;

/// splitmix64: small, seedable, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const UNIT: i128 = 1_000_000_000_000;

/// Pico-units as the exact decimal text costlens prints (no exponent, no trailing zeros).
fn text_of(pico: i128) -> String {
    let sign = if pico < 0 { "-" } else { "" };
    let (whole, fraction) = (
        pico.unsigned_abs() / UNIT as u128,
        pico.unsigned_abs() % UNIT as u128,
    );
    if fraction == 0 {
        return format!("{sign}{whole}");
    }
    let fraction = format!("{fraction:012}");
    format!("{sign}{whole}.{}", fraction.trim_end_matches('0'))
}

/// An amount: magnitude up to 10^14 (yen and rupiah months), up to `decimals` decimals.
fn amount(rng: &mut Rng, decimals: u32) -> i128 {
    let digits = rng.below(15) as u32;
    let whole = (rng.next() % 10u64.pow(digits)) as i128;
    let step = 10i128.pow(12 - decimals);
    let fraction = (rng.next() as i128 % (UNIT / step)) * step;
    let value = whole * UNIT + fraction;
    if rng.chance(15) {
        -value
    } else {
        value
    }
}

/// Decimal text for an amount in one of the spellings billing files use.
fn spelled(rng: &mut Rng, pico: i128) -> String {
    let plain = text_of(pico);
    match rng.below(5) {
        0 if pico >= 0 => format!("+{plain}"),
        1 => format!(" {plain} "),
        2 if pico % UNIT == 0 && pico != 0 => format!("{}E0", pico / UNIT),
        3 => format!(
            "{plain}{}",
            if plain.contains('.') { "000" } else { ".000" }
        ),
        _ => plain,
    }
}

/// A start time in October 2026, as text with one of the accepted zone spellings.
fn start_text(rng: &mut Rng) -> String {
    let day = 1 + rng.below(28);
    let hour = rng.below(24);
    match rng.below(4) {
        0 => format!("2026-10-{day:02}T{hour:02}:00:00Z"),
        1 => format!("2026-10-{day:02} {hour:02}:00:00"),
        2 => format!("2026-10-{day:02}T{hour:02}:00:00.000+00:00"),
        _ => format!("2026-10-{day:02}"),
    }
}

/// What a generated case must give.
enum Expect {
    /// Exit 0, billed total (pico-units) and rows.
    Total(i128, usize),
    /// Exit 2 naming the file (the case holds a defect).
    Refused(&'static str),
}

/// A text defect for a money cell, a currency cell or a start cell.
fn money_defect(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(&[
        "NaN", "inf", "1e308", "n/a", "1,5", "１２", "--1", "0x10", "1e15",
    ])
}
fn start_defect(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(&[
        "2026-10-0１",
        "10/01/2026",
        "2016-12-31T23:59:60Z",
        "junk",
        "",
        "2026-13-01",
        "1969-12-31",
        "2026-10-01T00:00:00 EST",
    ])
}

struct TextCase {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    expect: Expect,
}

/// Lines of a text importer: `row(cost, currency, start)` gives the cells.
fn text_case(
    rng: &mut Rng,
    header: Vec<&'static str>,
    row: fn(&str, &str, &str) -> Vec<String>,
) -> TextCase {
    let n = 1 + rng.below(8) as usize;
    let mut total = 0;
    let mut rows = Vec::new();
    let mut defect = None;
    for _ in 0..n {
        let decimals = *rng.pick(&[0, 2, 6, 10, 12]);
        let pico = amount(rng, decimals);
        total += pico;
        let mut cost = spelled(rng, pico);
        let mut currency = "USD".to_string();
        let mut start = start_text(rng);
        if rng.chance(6) {
            cost = money_defect(rng).into();
            defect = Some("money");
        } else if rng.chance(4) {
            currency = String::new();
            defect = Some("currency");
        } else if rng.chance(5) {
            start = start_defect(rng).into();
            defect = Some("start");
        }
        rows.push(row(&cost, &currency, &start));
    }
    let expect = match defect {
        Some(what) => Expect::Refused(what),
        None => Expect::Total(total, n),
    };
    TextCase {
        header,
        rows,
        expect,
    }
}

fn csv_field(cell: &str) -> String {
    if cell.contains([',', '"', ' ']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// The case as CSV bytes, in a random dress: BOM, CRLF, gzip.
fn csv_bytes(rng: &mut Rng, case: &TextCase) -> (Vec<u8>, &'static str) {
    let newline = if rng.chance(30) { "\r\n" } else { "\n" };
    let mut text = String::new();
    if rng.chance(20) {
        text.push('\u{feff}');
    }
    text.push_str(&case.header.join(","));
    for row in &case.rows {
        text.push_str(newline);
        text.push_str(
            &row.iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    text.push_str(newline);
    if rng.chance(25) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        (gz.finish().unwrap(), "csv.gz")
    } else {
        (text.into_bytes(), "csv")
    }
}

fn cur_csv_row(cost: &str, currency: &str, start: &str) -> Vec<String> {
    [
        "111",
        "222",
        "Usage",
        start,
        "",
        "AmazonEC2",
        "BoxUsage:m5.large",
        "i-1",
        currency,
        cost,
    ]
    .map(String::from)
    .to_vec()
}

fn focus_csv_row(cost: &str, currency: &str, start: &str) -> Vec<String> {
    [cost, cost, cost, currency, start, "Usage", "Compute", "111"]
        .map(String::from)
        .to_vec()
}

/// One parquet case: a frame of `n` lines whose money column has a random physical type.
fn parquet_case(rng: &mut Rng, focus: bool, cur2: bool) -> (DataFrame, Expect) {
    let n = 1 + rng.below(8) as usize;
    // The money column's type, and the decimals its amounts may carry exactly.
    let (kind, decimals) = *rng.pick(&[
        ("f64", 6),
        ("decimal", 12),
        ("decimal-small", 4),
        ("i64", 0),
        ("i32", 0),
    ]);
    let mut pico: Vec<i128> = (0..n).map(|_| amount(rng, decimals)).collect();
    if kind == "i32" {
        pico.iter_mut()
            .for_each(|p| *p = (*p / UNIT % 2_000_000_000) * UNIT);
    }
    if kind == "f64" {
        // Magnitudes a DOUBLE holds to 6 decimals exactly: below 10^9.
        pico.iter_mut().for_each(|p| *p %= 1_000_000_000 * UNIT);
    }
    let mut defect = None;
    // The double nearest each amount's text, as a writer would store it.
    let mut floats: Vec<Option<f64>> = pico.iter().map(|p| text_of(*p).parse().ok()).collect();
    if kind == "f64" && rng.chance(15) {
        floats[rng.below(n as u64) as usize] = Some(*rng.pick(&[f64::NAN, f64::INFINITY, -1e300]));
        defect = Some("money");
    }
    let money: Column = match kind {
        "f64" => Column::new("m".into(), floats),
        "decimal" | "decimal-small" => {
            let scale = if kind == "decimal" { 12 } else { 4 };
            let raw: Vec<i128> = pico.iter().map(|p| p / 10i128.pow(12 - scale)).collect();
            Int128Chunked::from_vec("m".into(), raw)
                .into_decimal_unchecked(38, scale as usize)
                .into_column()
        }
        "i64" => Column::new(
            "m".into(),
            pico.iter().map(|p| (p / UNIT) as i64).collect::<Vec<_>>(),
        ),
        _ => Column::new(
            "m".into(),
            pico.iter().map(|p| (p / UNIT) as i32).collect::<Vec<_>>(),
        ),
    };
    let mut currency: Vec<Option<&str>> = vec![Some("USD"); n];
    if rng.chance(8) {
        currency[rng.below(n as u64) as usize] = *rng.pick(&[None, Some("")]);
        defect = Some("currency");
    }
    let unit = *rng.pick(&[
        TimeUnit::Milliseconds,
        TimeUnit::Microseconds,
        TimeUnit::Nanoseconds,
    ]);
    let zone = TimeZone::opt_try_new(*rng.pick(&[
        None,
        Some("UTC"),
        Some("America/New_York"),
        Some("Asia/Kolkata"),
    ]))
    .unwrap();
    let per_ms = match unit {
        TimeUnit::Milliseconds => 1,
        TimeUnit::Microseconds => 1_000,
        TimeUnit::Nanoseconds => 1_000_000,
    };
    // October 2026, UTC instants.
    let mut starts: Vec<Option<i64>> = (0..n)
        .map(|_| Some((1_790_812_800_000 + rng.below(27 * 86_400) as i64 * 1000) * per_ms))
        .collect();
    if rng.chance(6) {
        starts[rng.below(n as u64) as usize] = None;
        defect = Some("start");
    }
    let start = Column::new("s".into(), starts)
        .cast(&DataType::Datetime(unit, zone))
        .unwrap();
    let names: [&str; 4] = if focus {
        [
            "BilledCost",
            "EffectiveCost",
            "BillingCurrency",
            "ChargePeriodStart",
        ]
    } else {
        [
            "line_item_unblended_cost",
            "pricing_public_on_demand_cost",
            "line_item_currency_code",
            "line_item_usage_start_date",
        ]
    };
    let mut columns = vec![
        money.clone().with_name(names[0].into()),
        money.with_name(names[1].into()),
        Column::new(names[2].into(), currency),
        start.clone().with_name(names[3].into()),
    ];
    if focus {
        columns.push(Column::new("ChargeCategory".into(), vec!["Usage"; n]));
    } else {
        columns.push(Column::new(
            "line_item_line_item_type".into(),
            vec!["Usage"; n],
        ));
        columns.push(start.with_name("line_item_usage_end_date".into()));
        columns.push(Column::new(
            "line_item_product_code".into(),
            vec!["AmazonEC2"; n],
        ));
    }
    if cur2 {
        // A MAP as polars writes it: a list of {key, value} per line.
        let entry = df!("key" => ["user_team"], "value" => ["web"])
            .unwrap()
            .into_struct("tag".into())
            .into_series();
        let lists: Vec<Series> = vec![entry; n];
        columns.push(Series::new("resource_tags".into(), lists).into_column());
    }
    let df = DataFrame::new(n, columns).unwrap();
    let expect = match defect {
        Some(what) => Expect::Refused(what),
        None => Expect::Total(pico.iter().sum(), n),
    };
    (df, expect)
}

/// Runs one case; true when it was a refusal.
fn check(path: &Path, expect: &Expect, what: &str) -> bool {
    let run = costlens(
        &["summary", "--format", "json", path.to_str().unwrap()],
        &root(),
    );
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    let name = path.file_name().unwrap().to_str().unwrap();
    match expect {
        Expect::Total(pico, rows) => {
            assert_eq!(run.code, 0, "{what} {name}: {}", run.stderr);
            let s = json(&run.stdout);
            assert_eq!(s["rows"], *rows as u64, "{what} {name}");
            let billed = run.stdout.split("\"billed_cost\": ").nth(1).unwrap();
            let billed: String = billed
                .chars()
                .take_while(|c| !matches!(c, ',' | '\n'))
                .collect();
            assert_eq!(billed, text_of(*pico), "{what} {name}");
            false
        }
        Expect::Refused(defect) => {
            assert_eq!(
                run.code, 2,
                "{what} {name} with a {defect} defect: {}",
                run.stdout
            );
            assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
            assert!(
                run.stderr.contains(name),
                "{what}: names the file: {}",
                run.stderr
            );
            true
        }
    }
}

/// The generator must have made both kinds of case, or the test proves little.
fn assert_both_kinds(refused: usize, cases: usize) {
    assert!(
        refused >= 5 && cases - refused >= 5,
        "{refused} refused of {cases} cases"
    );
}

#[test]
fn text_importers_give_the_exact_total_or_refuse_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(SEED);
    let mut refused = 0;
    let cur_header = vec![
        "bill/PayerAccountId",
        "lineItem/UsageAccountId",
        "lineItem/LineItemType",
        "lineItem/UsageStartDate",
        "lineItem/UsageEndDate",
        "lineItem/ProductCode",
        "lineItem/UsageType",
        "lineItem/ResourceId",
        "lineItem/CurrencyCode",
        "lineItem/UnblendedCost",
    ];
    let focus_header = vec![
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "BillingCurrency",
        "ChargePeriodStart",
        "ChargeCategory",
        "ServiceName",
        "SubAccountId",
    ];
    for i in 0..CASES_PER_IMPORTER {
        for (what, header, row) in [
            (
                "cur-csv",
                cur_header.clone(),
                cur_csv_row as fn(&str, &str, &str) -> Vec<String>,
            ),
            ("focus-csv", focus_header.clone(), focus_csv_row),
        ] {
            let case = text_case(&mut rng, header, row);
            let (bytes, ext) = csv_bytes(&mut rng, &case);
            let path = dir.path().join(format!("{what}-{i}.{ext}"));
            std::fs::write(&path, bytes).unwrap();
            refused += usize::from(check(&path, &case.expect, what));
        }
    }
    assert_both_kinds(refused, 2 * CASES_PER_IMPORTER);
}

#[test]
fn parquet_importers_give_the_exact_total_or_refuse_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(SEED ^ 0xbad);
    let mut refused = 0;
    for i in 0..CASES_PER_IMPORTER {
        for (what, focus, cur2) in [
            ("cur-parquet", false, false),
            ("cur2-parquet", false, true),
            ("focus-parquet", true, false),
        ] {
            let (mut df, expect) = parquet_case(&mut rng, focus, cur2);
            let path = dir.path().join(format!("{what}-{i}.parquet"));
            ParquetWriter::new(std::fs::File::create(&path).unwrap())
                .finish(&mut df)
                .unwrap();
            refused += usize::from(check(&path, &expect, what));
        }
    }
    assert_both_kinds(refused, 3 * CASES_PER_IMPORTER);
}

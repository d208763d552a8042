//! `costlens sample`: a deterministic generator of realistic AWS CUR 2.0 parquet for a fictional
//! company, with every saving opportunity the analysers look for planted on purpose (and listed
//! in a manifest, so tests can check each one is found).
//!
//! The company: one payer and four linked accounts; teams and environments as tags, with the
//! usual mistakes (`Team` vs `team`, `Prod` vs `prod`, untagged resources); EC2 on-demand,
//! reserved, savings-plan-covered and spot usage; previous-generation instances; EBS gp2, gp3,
//! io1 and magnetic volumes; old snapshots; idle public IPs; NAT gateways; S3; RDS;
//! ElastiCache; a cost spike; credits and tax. Rows are hourly for instances, daily for storage,
//! monthly for fees. Filler instances (correctly tagged Graviton machines) pad to `--rows`.

use std::fs::File;
use std::path::Path;

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use polars::prelude::*;
use serde::Serialize;

use crate::catalog::{self, Catalog};
use crate::error::{ErrContext, Error, Result};
use crate::output;
use crate::schema;

mod realistic;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
const BATCH_ROWS: usize = 262_144;

const PAYER: (&str, &str) = ("109876543210", "acme-payer");
const PROD: usize = 0;
const STAGING: usize = 1;
const DEV: usize = 2;
const DATA: usize = 3;
const ACCOUNTS: [(&str, &str); 4] = [
    ("210987654321", "acme-prod"),
    ("321098765432", "acme-staging"),
    ("432109876543", "acme-dev"),
    ("543210987654", "acme-data"),
];

/// Spot price as a share of on-demand (typical for m5/c5 in us-east-1, AWS Spot advisor).
const SPOT_PRICE_RATIO: f64 = 0.35;
/// Savings Plan rate as a share of on-demand (Compute SP, 1 year, no upfront, m5: ~28% off).
const SP_RATE_RATIO: f64 = 0.72;
/// Standard RI effective rate as a share of on-demand (1 year, no upfront, m5/r5: ~37% off).
const RI_RATE_RATIO: f64 = 0.63;

/// What pads the planted scenario to `--rows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// Correctly tagged instances that each run the whole span: few resources, many lines each.
    Steady,
    /// A large company's month: millions of short-lived resources, 30% of lines without one,
    /// 200 accounts (see `sample::realistic`).
    Realistic,
}

pub struct SampleOptions {
    /// Total rows wanted; `None` writes only the planted scenario.
    pub rows: Option<u64>,
    pub profile: Profile,
    pub seed: u64,
    /// The last month generated (`YYYY-MM`).
    pub last_month: (i32, u32),
    /// How many months, ending with `last_month`.
    pub months: u32,
}

/// Something the generator planted, for tests and for users trying the tool.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Planted {
    pub rule: &'static str,
    pub resource_id: String,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub seed: u64,
    pub rows: u64,
    pub months: Vec<String>,
    pub planted: Vec<Planted>,
}

/// SplitMix64: tiny, fast and deterministic; good enough for synthetic ids and noise.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(len);
        s
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Stateless noise in [0, 1) for (seed, spec, time): the same whatever order lines are made in.
fn noise(seed: u64, spec: usize, t: i64) -> f64 {
    let h = mix(seed ^ mix(spec as u64 ^ mix(t as u64)));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[derive(Clone, Copy)]
enum Cadence {
    /// One line per active hour, with this usage amount.
    Hourly(f64),
    /// One line per active day: a storage size in GB, billed in GB-months.
    DailyGbMonth(f64),
    /// One line per active day with this usage amount (±20% noise).
    Daily(f64),
    /// One line per month.
    Monthly,
}

#[derive(Clone, Copy)]
enum Pricing {
    /// On-demand or Spot: billed at `rate`, list price `public_rate`.
    Usage { rate: f64, public_rate: f64 },
    /// Covered by a reservation (DiscountedUsage).
    Reserved {
        public_rate: f64,
        effective_rate: f64,
    },
    /// Covered by a savings plan (SavingsPlanCoveredUsage).
    SavingsPlanCovered { public_rate: f64, sp_rate: f64 },
    /// Cancels the billed cost of covered usage (SavingsPlanNegation).
    SavingsPlanNegation { public_rate: f64 },
    /// The hourly savings-plan commitment (SavingsPlanRecurringFee).
    SavingsPlanFee { commitment: f64, used: f64 },
    /// The monthly reservation fee (RIFee): `count` reserved, `used` of them running, at an
    /// effective `rate` per hour paid monthly, or paid all upfront (then only amortised here).
    ReservationFee {
        count: f64,
        used: f64,
        rate: f64,
        all_upfront: bool,
    },
    /// A fixed monthly amount (tax, credit).
    Flat { amount: f64 },
}

#[derive(Clone)]
struct Spec {
    account: usize,
    region: &'static str,
    product_code: &'static str,
    product_name: &'static str,
    product_family: &'static str,
    usage_type: String,
    operation: &'static str,
    line_item_type: &'static str,
    resource_id: Option<String>,
    instance_type: Option<String>,
    description: String,
    unit: &'static str,
    term: &'static str,
    tags: Vec<(String, String)>,
    cadence: Cadence,
    pricing: Pricing,
    /// Active from / until (epoch ms, end exclusive); `None` = the whole span.
    active: Option<(i64, i64)>,
    /// Active only in these hours of each day (start inclusive, end exclusive).
    hours_of_day: Option<(u32, u32)>,
    commitment_arn: Option<String>,
    commitment_end: Option<String>,
    volume_api_name: Option<&'static str>,
}

/// Product code and name of the services the sample bills.
const EC2: (&str, &str) = ("AmazonEC2", "Amazon Elastic Compute Cloud");
const VPC: (&str, &str) = ("AmazonVPC", "Amazon Virtual Private Cloud");
const RDS: (&str, &str) = ("AmazonRDS", "Amazon Relational Database Service");
const ELASTICACHE: (&str, &str) = ("AmazonElastiCache", "Amazon ElastiCache");
const S3: (&str, &str) = ("AmazonS3", "Amazon Simple Storage Service");

impl Spec {
    /// An on-demand usage line in us-east-1, billed at `rate` per `unit`; the builders below
    /// add what differs.
    fn new(
        account: usize,
        (product_code, product_name): (&'static str, &'static str),
        product_family: &'static str,
        usage_type: &str,
        unit: &'static str,
        cadence: Cadence,
        rate: f64,
    ) -> Spec {
        Spec {
            account,
            region: "us-east-1",
            product_code,
            product_name,
            product_family,
            usage_type: usage_type.to_string(),
            operation: "",
            line_item_type: "Usage",
            resource_id: None,
            instance_type: None,
            description: format!("${rate} per {unit} of {usage_type}"),
            unit,
            term: "OnDemand",
            tags: Vec::new(),
            cadence,
            pricing: Pricing::Usage {
                rate,
                public_rate: rate,
            },
            active: None,
            hours_of_day: None,
            commitment_arn: None,
            commitment_end: None,
            volume_api_name: None,
        }
    }

    fn operation(mut self, operation: &'static str) -> Spec {
        self.operation = operation;
        self
    }

    fn resource(mut self, id: &str) -> Spec {
        self.resource_id = Some(id.to_string());
        self
    }

    fn tags(mut self, tags: Vec<(String, String)>) -> Spec {
        self.tags = tags;
        self
    }
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// CUR 2.0 map keys for user tags are `user_<key>`; AWS tags `aws_<key>`.
fn user_tags(team: Option<&str>, env: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(team) = team {
        out.push(("user_team".to_string(), team.to_string()));
    }
    if let Some(env) = env {
        out.push(("user_environment".to_string(), env.to_string()));
    }
    out
}

struct Span {
    months: Vec<(i64, i64)>,
    start: i64,
    end: i64,
}

fn month_start(year: i32, month: u32) -> i64 {
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .expect("valid month")
        .timestamp_millis()
}

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

fn span_of(last: (i32, u32), months: u32) -> Span {
    let mut ym = last;
    for _ in 1..months {
        ym = if ym.1 == 1 {
            (ym.0 - 1, 12)
        } else {
            (ym.0, ym.1 - 1)
        };
    }
    let mut out = Vec::new();
    for _ in 0..months {
        let next = next_month(ym.0, ym.1);
        out.push((month_start(ym.0, ym.1), month_start(next.0, next.1)));
        ym = next;
    }
    Span {
        start: out[0].0,
        end: out[out.len() - 1].1,
        months: out,
    }
}

fn iso(ms: i64) -> String {
    crate::period::iso_timestamp(ms)
}

/// The planted scenario: every spec, and what each plants.
struct Scenario {
    specs: Vec<Spec>,
    planted: Vec<Planted>,
    /// (resource id, cpu max, cpu p95, mem p95, days) for the utilisation export.
    utilization: Vec<(String, f64, f64, Option<f64>, u32)>,
}

struct Builder<'a> {
    rng: Rng,
    catalog: &'a Catalog,
    span: &'a Span,
    specs: Vec<Spec>,
    planted: Vec<Planted>,
    utilization: Vec<(String, f64, f64, Option<f64>, u32)>,
}

impl Builder<'_> {
    fn plant(&mut self, rule: &'static str, resource_id: &str) {
        self.planted.push(Planted {
            rule,
            resource_id: resource_id.to_string(),
        });
    }

    fn price(&self, instance_type: &str) -> f64 {
        self.catalog
            .instance(instance_type)
            .unwrap_or_else(|| panic!("{instance_type} is in the catalog"))
            .price_per_hour
    }

    fn instance_id(&mut self) -> String {
        format!("i-{}", self.rng.hex(17))
    }

    /// An EC2 instance running every hour of the span, on-demand or Spot.
    fn ec2(
        &mut self,
        account: usize,
        instance_type: &str,
        tags: Vec<(String, String)>,
        line: (&'static str, &'static str),
    ) -> String {
        let id = self.instance_id();
        let od = self.price(instance_type);
        let (line_item_type, purchase) = line;
        let mut spec = Spec::new(
            account,
            EC2,
            "Compute Instance",
            "",
            "Hrs",
            Cadence::Hourly(1.0),
            od,
        )
        .operation("RunInstances")
        .resource(&id)
        .tags(tags);
        spec.line_item_type = line_item_type;
        spec.instance_type = Some(instance_type.to_string());
        if purchase == "spot" {
            spec.usage_type = format!("SpotUsage:{instance_type}");
            spec.pricing = Pricing::Usage {
                rate: od * SPOT_PRICE_RATIO,
                public_rate: od,
            };
            spec.term = "";
            spec.description = format!("{instance_type} Linux/UNIX Spot Instance-hour");
        } else {
            spec.usage_type = format!("BoxUsage:{instance_type}");
            spec.description = format!("${od} per On Demand Linux {instance_type} Instance Hour");
        }
        self.specs.push(spec);
        id
    }

    fn last_spec(&mut self) -> &mut Spec {
        self.specs.last_mut().expect("a spec was just added")
    }

    fn ebs_volume(
        &mut self,
        account: usize,
        api_name: &'static str,
        gb: f64,
        tags: Vec<(String, String)>,
    ) -> String {
        let id = format!("vol-{}", self.rng.hex(17));
        // us-east-1 EBS list prices per GB-month (aws.amazon.com/ebs/pricing).
        let (usage_type, rate) = match api_name {
            "gp2" => ("EBS:VolumeUsage.gp2", 0.10),
            "gp3" => ("EBS:VolumeUsage.gp3", 0.08),
            "io1" => ("EBS:VolumeUsage.piops", 0.125),
            _ => ("EBS:VolumeUsage", 0.05),
        };
        let mut spec = Spec::new(
            account,
            EC2,
            "Storage",
            usage_type,
            "GB-Mo",
            Cadence::DailyGbMonth(gb),
            rate,
        )
        .operation("CreateVolume")
        .resource(&id)
        .tags(tags);
        spec.volume_api_name = Some(api_name);
        self.specs.push(spec);
        id
    }

    /// A storage-like line on the same resource as the previous spec (IOPS, I/O requests).
    fn companion(&mut self, usage_type: &str, unit: &'static str, cadence: Cadence, rate: f64) {
        let previous = self.last_spec().clone();
        let mut spec = Spec::new(
            previous.account,
            (previous.product_code, previous.product_name),
            previous.product_family,
            usage_type,
            unit,
            cadence,
            rate,
        )
        .operation(previous.operation)
        .tags(previous.tags.clone());
        spec.resource_id = previous.resource_id;
        spec.volume_api_name = previous.volume_api_name;
        self.specs.push(spec);
    }

    fn snapshot(
        &mut self,
        account: usize,
        gb: f64,
        from: i64,
        tags: Vec<(String, String)>,
    ) -> String {
        let id = format!(
            "arn:aws:ec2:us-east-1:{}:snapshot/snap-{}",
            ACCOUNTS[account].0,
            self.rng.hex(17)
        );
        let mut spec = Spec::new(
            account,
            EC2,
            "Storage Snapshot",
            "EBS:SnapshotUsage",
            "GB-Mo",
            Cadence::DailyGbMonth(gb),
            0.05,
        )
        .operation("CreateSnapshot")
        .resource(&id)
        .tags(tags);
        spec.active = Some((from, self.span.end));
        self.specs.push(spec);
        id
    }

    /// A resource billed by the hour (IP addresses, NAT gateways, databases) at `rate`.
    fn hourly(&mut self, spec: Spec) {
        self.specs.push(spec);
    }

    fn monthly_line(&mut self, account: usize, line_item_type: &'static str, amount: f64) {
        let (product, description) = match line_item_type {
            "Tax" => (EC2, "Tax for product code AmazonEC2"),
            _ => (
                ("AWSCredits", "AWS Promotional Credits"),
                "AWS Activate credits",
            ),
        };
        let mut spec = Spec::new(account, product, "", "", "", Cadence::Monthly, 0.0);
        spec.region = "global";
        spec.line_item_type = line_item_type;
        spec.term = "";
        spec.description = description.into();
        spec.pricing = Pricing::Flat { amount };
        self.specs.push(spec);
    }
}

fn scenario(seed: u64, span: &Span) -> Scenario {
    let catalog = Catalog::builtin();
    let mut b = Builder {
        rng: Rng(seed),
        catalog,
        span,
        specs: Vec::new(),
        planted: Vec::new(),
        utilization: Vec::new(),
    };
    let last_month = *span.months.last().expect("at least one month");
    let on_demand = ("Usage", "on-demand");

    // Web tier in an Auto Scaling group, on-demand around the clock: Spot and SP candidates.
    for _ in 0..6 {
        let mut t = user_tags(Some("web"), Some("prod"));
        t.push(("aws_autoscaling_group_name".into(), "web-asg".into()));
        let id = b.ec2(PROD, "m5.xlarge", t, on_demand);
        b.plant("spot-candidate", &id);
        b.utilization.push((id, 71.0, 48.0, Some(52.0), 30));
    }

    // Web instances covered by a Compute Savings Plan, fully used: no finding.
    let sp_arn = format!(
        "arn:aws:savingsplans::{}:savingsplan/{}",
        PAYER.0,
        b.rng.hex(12)
    );
    let sp_end = iso(span.end + 200 * DAY_MS);
    let od = b.price("m5.xlarge");
    let sp_rate = od * SP_RATE_RATIO;
    for _ in 0..4 {
        b.ec2(
            PROD,
            "m5.xlarge",
            user_tags(Some("web"), Some("prod")),
            on_demand,
        );
        let spec = b.last_spec();
        spec.line_item_type = "SavingsPlanCoveredUsage";
        spec.pricing = Pricing::SavingsPlanCovered {
            public_rate: od,
            sp_rate,
        };
        spec.commitment_arn = Some(sp_arn.clone());
        spec.commitment_end = Some(sp_end.clone());
    }
    {
        let mut negation = b.last_spec().clone();
        negation.line_item_type = "SavingsPlanNegation";
        negation.resource_id = None;
        negation.tags = Vec::new();
        negation.cadence = Cadence::Hourly(4.0);
        negation.pricing = Pricing::SavingsPlanNegation { public_rate: od };
        negation.description = "SavingsPlanNegation used by AccountId and UsageType".into();
        b.specs.push(negation);
        let mut fee = b.last_spec().clone();
        fee.line_item_type = "SavingsPlanRecurringFee";
        fee.product_code = "ComputeSavingsPlans";
        fee.product_name = "Savings Plans for AWS Compute usage";
        fee.usage_type = "ComputeSP:1yrNoUpfront".into();
        fee.operation = "";
        fee.instance_type = None;
        fee.cadence = Cadence::Hourly(1.0);
        fee.pricing = Pricing::SavingsPlanFee {
            commitment: 4.0 * sp_rate,
            used: 4.0 * sp_rate,
        };
        fee.description = "1 year No Upfront Compute Savings Plan".into();
        b.specs.push(fee);
    }

    // Reservation A: 3 m5.large, all upfront, fully used, expiring 14 days after the data ends.
    // Reservation B: 2 r5.large, no upfront, only 1 running: 50% utilised.
    for (instance_type, count, used, end, team, all_upfront, planted) in [
        (
            "m5.large",
            3.0,
            3,
            span.end + 14 * DAY_MS,
            "platform",
            true,
            "commitment-expiring",
        ),
        (
            "r5.large",
            2.0,
            1,
            span.end + 300 * DAY_MS,
            "data",
            false,
            "commitment-underused",
        ),
    ] {
        let arn = format!(
            "arn:aws:ec2:us-east-1:{}:reserved-instances/{}",
            ACCOUNTS[PROD].0,
            b.rng.hex(12)
        );
        let od = b.price(instance_type);
        let ri_rate = od * RI_RATE_RATIO;
        for _ in 0..used {
            let id = b.ec2(
                PROD,
                instance_type,
                user_tags(Some(team), Some("prod")),
                on_demand,
            );
            let spec = b.last_spec();
            spec.line_item_type = "DiscountedUsage";
            spec.term = "Reserved";
            spec.pricing = Pricing::Reserved {
                public_rate: od,
                effective_rate: ri_rate,
            };
            spec.commitment_arn = Some(arn.clone());
            spec.commitment_end = Some(iso(end));
            spec.description =
                format!("USD {ri_rate:.4} hourly fee per Linux/UNIX, {instance_type} instance");
            b.utilization.push((id, 64.0, 41.0, Some(47.0), 30));
        }
        let mut fee = b.last_spec().clone();
        fee.line_item_type = "RIFee";
        fee.resource_id = Some(arn.clone());
        fee.tags = Vec::new();
        fee.usage_type = format!("HeavyUsage:{instance_type}");
        fee.cadence = Cadence::Monthly;
        fee.pricing = Pricing::ReservationFee {
            count,
            used: used as f64,
            rate: ri_rate,
            all_upfront,
        };
        b.specs.push(fee);
        b.plant(planted, &arn);
    }

    // Previous-generation instances (EC2), with the environment spelled three ways.
    for (account, instance_type, team, env) in [
        (DATA, "m4.large", "data", "prod"),
        (DATA, "m4.large", "data", "PROD"),
        (STAGING, "c4.xlarge", "web", "staging"),
        (DATA, "r4.large", "data", "Prod"),
    ] {
        let id = b.ec2(
            account,
            instance_type,
            user_tags(Some(team), Some(env)),
            on_demand,
        );
        b.plant("previous-generation", &id);
        plant_environment_mistakes(&mut b, env, &id);
        if env == "staging" {
            b.plant("offhours-schedule", &id);
            b.plant("spot-candidate", &id);
        }
        b.utilization.push((id, 80.0, 55.0, Some(60.0), 30));
    }
    // RDS and ElastiCache on previous-generation classes.
    let rds = format!("arn:aws:rds:us-east-1:{}:db:orders-db", ACCOUNTS[PROD].0);
    let price = b.price("db.m4.large");
    b.hourly(
        Spec::new(
            PROD,
            RDS,
            "Database Instance",
            "InstanceUsage:db.m4.large",
            "Hrs",
            Cadence::Hourly(1.0),
            price,
        )
        .operation("CreateDBInstance:0002")
        .resource(&rds)
        .tags(user_tags(Some("web"), Some("prod"))),
    );
    b.last_spec().instance_type = Some("db.m4.large".into());
    b.plant("previous-generation", &rds);
    b.companion(
        "RDS:GP2-Storage",
        "GB-Mo",
        Cadence::DailyGbMonth(500.0),
        0.115,
    );
    b.last_spec().product_family = "Database Storage";
    let cache = format!(
        "arn:aws:elasticache:us-east-1:{}:cluster:sessions-001",
        ACCOUNTS[PROD].0
    );
    let price = b.price("cache.r4.large");
    b.hourly(
        Spec::new(
            PROD,
            ELASTICACHE,
            "Cache Instance",
            "NodeUsage:cache.r4.large",
            "Hrs",
            Cadence::Hourly(1.0),
            price,
        )
        .operation("CreateCacheCluster:0002")
        .resource(&cache)
        .tags(user_tags(Some("web"), Some("prod"))),
    );
    b.last_spec().instance_type = Some("cache.r4.large".into());
    b.plant("previous-generation", &cache);

    // Non-production instances running nights and weekends: schedule and Spot candidates.
    for (account, instance_type, team, env, prev_gen) in [
        (DEV, "m5.large", "ml", "dev", false),
        (DEV, "m5.large", "ml", "dev", false),
        (DEV, "m5.large", "ml", "dev", false),
        (DEV, "t2.medium", "ml", "dev", true),
        (STAGING, "c5.xlarge", "web", "staging", false),
    ] {
        let id = b.ec2(
            account,
            instance_type,
            user_tags(Some(team), Some(env)),
            on_demand,
        );
        b.plant("offhours-schedule", &id);
        b.plant("spot-candidate", &id);
        if prev_gen {
            b.plant("previous-generation", &id);
        }
        b.utilization.push((id, 45.0, 22.0, Some(48.0), 30));
    }

    // An EKS node group on on-demand: Spot candidates.
    for _ in 0..4 {
        let mut t = user_tags(Some("data"), Some("prod"));
        t.push(("aws_eks_cluster_name".into(), "analytics".into()));
        let id = b.ec2(DATA, "c5.2xlarge", t, on_demand);
        b.plant("spot-candidate", &id);
        b.utilization.push((id, 92.0, 70.0, Some(65.0), 30));
    }

    // Already on Spot: counted in the Spot share, never recommended.
    for _ in 0..4 {
        b.ec2(
            DATA,
            "c5.large",
            user_tags(Some("data"), Some("prod")),
            ("Usage", "spot"),
        );
    }

    // A nightly ETL that starts a fresh instance every night for six hours: short-lived and
    // recurring, a Spot candidate. One instance id per night.
    let mut night = span.start;
    while night < span.end {
        let mut t = user_tags(Some("data"), Some("prod"));
        t.push(("user_name".into(), "nightly-etl".into()));
        let id = b.ec2(DATA, "c5.xlarge", t, on_demand);
        let spec = b.last_spec();
        spec.active = Some((night, night + DAY_MS));
        spec.hours_of_day = Some((1, 7));
        if night >= last_month.0 {
            b.plant("spot-candidate", &id);
        }
        night += DAY_MS;
    }

    // Utilisation-driven findings: an idle box and an oversized one.
    let idle = b.ec2(
        PROD,
        "m5.2xlarge",
        user_tags(Some("platform"), Some("prod")),
        on_demand,
    );
    b.plant("idle-instance", &idle);
    b.utilization.push((idle, 3.1, 1.2, Some(9.0), 30));
    let oversized = b.ec2(
        DATA,
        "r5.xlarge",
        user_tags(Some("data"), Some("prod")),
        on_demand,
    );
    b.plant("downsize-instance", &oversized);
    b.utilization.push((oversized, 38.0, 18.0, Some(27.0), 30));

    // Tagging mistakes: untagged, half-tagged, a `Team` key, a value outside the policy.
    for account in [DEV, DEV] {
        let id = b.ec2(account, "t3.large", Vec::new(), on_demand);
        b.plant("untagged-resource", &id);
        b.utilization.push((id, 60.0, 35.0, None, 30));
    }
    let id = b.ec2(
        PROD,
        "m5.large",
        user_tags(Some("platform"), None),
        on_demand,
    );
    b.plant("untagged-resource", &id);
    let id = b.ec2(
        STAGING,
        "m5.large",
        tags(&[("user_Team", "web"), ("user_environment", "staging")]),
        on_demand,
    );
    b.plant("offhours-schedule", &id);
    b.plant("spot-candidate", &id);
    b.utilization.push((id, 70.0, 45.0, Some(50.0), 30));
    let id = b.ec2(
        PROD,
        "m5.large",
        user_tags(Some("web"), Some("production")),
        on_demand,
    );
    b.plant("untagged-resource", &id);

    // A one-day backfill in the data account: the anomaly of the last month.
    let spike_day = last_month.0 + 16 * DAY_MS;
    for _ in 0..40 {
        b.ec2(
            DATA,
            "c5.4xlarge",
            user_tags(Some("data"), Some("prod")),
            on_demand,
        );
        b.last_spec().active = Some((spike_day, spike_day + DAY_MS));
    }

    // EBS volumes.
    for (account, api, gb, team, env) in [
        (PROD, "gp2", 500.0, "web", "prod"),
        (PROD, "gp2", 200.0, "web", "prod"),
        (PROD, "gp2", 1000.0, "platform", "prod"),
        (DATA, "gp2", 2000.0, "data", "prod "),
        (DATA, "gp2", 750.0, "data", "prod"),
        (STAGING, "gp2", 100.0, "web", "staging"),
        (DEV, "gp2", 50.0, "ml", "dev"),
        (DEV, "gp2", 80.0, "ml", "dev"),
    ] {
        let id = b.ebs_volume(account, api, gb, user_tags(Some(team), Some(env)));
        // Between 150 and 250 GB gp2 gives 250 MiB/s, and gp3 at that throughput costs more
        // than the gp2 volume: no saving there.
        if !(150.0..=250.0).contains(&gb) {
            b.plant("ebs-gp2-to-gp3", &id);
        }
        plant_environment_mistakes(&mut b, env, &id);
    }
    for (account, gb) in [(PROD, 300.0), (DATA, 400.0), (PROD, 120.0)] {
        b.ebs_volume(account, "gp3", gb, user_tags(Some("web"), Some("prod")));
    }
    let io1 = b.ebs_volume(PROD, "io1", 500.0, user_tags(Some("data"), Some("prod")));
    b.companion(
        "EBS:VolumeP-IOPS.piops",
        "IOPS-Mo",
        Cadence::DailyGbMonth(4000.0),
        0.065,
    );
    b.plant("ebs-io1", &io1);
    let magnetic = b.ebs_volume(
        STAGING,
        "standard",
        200.0,
        user_tags(Some("web"), Some("staging")),
    );
    b.companion(
        "EBS:VolumeIOUsage",
        "IOs",
        Cadence::Daily(2_000_000.0),
        0.05e-6,
    );
    b.plant("ebs-magnetic", &magnetic);

    // Snapshots: old ones from the start of the data (untagged, as orphans usually are) and
    // fresh ones; the dev account keeps far more snapshot than volume storage.
    for (account, gb) in [
        (PROD, 500.0),
        (PROD, 200.0),
        (DATA, 2000.0),
        (DEV, 1500.0),
        (DEV, 900.0),
    ] {
        let id = b.snapshot(account, gb, span.start, Vec::new());
        b.plant("old-snapshot", &id);
        b.plant("untagged-resource", &id);
    }
    for (account, gb) in [(PROD, 500.0), (DATA, 750.0)] {
        let from = last_month.0 + 4 * DAY_MS;
        b.snapshot(account, gb, from, user_tags(Some("platform"), Some("prod")));
    }
    b.plant("snapshot-heavy-account", ACCOUNTS[DEV].0);

    // Idle public IPv4 addresses, before and after AWS's February 2024 pricing change.
    for account in [STAGING, DEV] {
        let id = format!("eipalloc-{}", b.rng.hex(17));
        b.hourly(
            Spec::new(
                account,
                EC2,
                "IP Address",
                "ElasticIP:IdleAddress",
                "Hrs",
                Cadence::Hourly(1.0),
                0.005,
            )
            .operation("AssociateAddressVPC")
            .resource(&id)
            .tags(Vec::new()),
        );
        b.plant("idle-public-ip", &id);
        b.plant("untagged-resource", &id);
    }
    let ip = format!("ipv4-{}", b.rng.hex(12));
    b.hourly(
        Spec::new(
            DEV,
            VPC,
            "VpcPublicIPv4Address",
            "PublicIPv4:IdleAddress",
            "Hrs",
            Cadence::Hourly(1.0),
            0.005,
        )
        .operation("IdleAddress")
        .resource(&ip)
        .tags(Vec::new()),
    );
    b.plant("idle-public-ip", &ip);
    b.plant("untagged-resource", &ip);
    let ip = format!("ipv4-{}", b.rng.hex(12));
    b.hourly(
        Spec::new(
            PROD,
            VPC,
            "VpcPublicIPv4Address",
            "PublicIPv4:InUseAddress",
            "Hrs",
            Cadence::Hourly(1.0),
            0.005,
        )
        .operation("AssociateAddressVPC")
        .resource(&ip)
        .tags(user_tags(Some("web"), Some("prod"))),
    );

    // NAT gateways, hours and processed bytes.
    for account in [PROD, DATA] {
        let id = format!(
            "arn:aws:ec2:us-east-1:{}:natgateway/nat-{}",
            ACCOUNTS[account].0,
            b.rng.hex(17)
        );
        b.hourly(
            Spec::new(
                account,
                EC2,
                "NAT Gateway",
                "NatGateway-Hours",
                "Hrs",
                Cadence::Hourly(1.0),
                0.045,
            )
            .operation("NatGateway")
            .resource(&id)
            .tags(user_tags(Some("platform"), Some("prod"))),
        );
        b.companion("NatGateway-Bytes", "GB", Cadence::Daily(120.0), 0.045);
    }

    // S3 buckets: storage and requests.
    for (account, bucket, gb, team) in [
        (PROD, "acme-web-assets", 3000.0, "web"),
        (DATA, "acme-data-lake", 40000.0, "data"),
        (DATA, "acme-athena-results", 800.0, "data"),
        (DEV, "acme-ml-scratch", 1500.0, "ml"),
    ] {
        let spec = Spec::new(
            account,
            S3,
            "Storage",
            "TimedStorage-ByteHrs",
            "GB-Mo",
            Cadence::DailyGbMonth(gb),
            0.023,
        )
        .operation("StandardStorage")
        .resource(bucket)
        .tags(user_tags(Some(team), Some("prod")));
        b.specs.push(spec);
        b.companion(
            "Requests-Tier1",
            "Requests",
            Cadence::Daily(400_000.0),
            0.000005,
        );
        b.last_spec().operation = "PutObject";
    }

    // Credits and tax, kept with their sign.
    b.monthly_line(DATA, "Credit", -250.0);
    for (account, tax) in [
        (PROD, 182.40),
        (STAGING, 21.75),
        (DEV, 33.10),
        (DATA, 146.95),
    ] {
        b.monthly_line(account, "Tax", tax);
    }

    b.plant("commitment-purchase", "Compute Savings Plan");
    b.plant("anomaly", ACCOUNTS[DATA].0);
    b.plant("tag-value-variant", "environment");

    Scenario {
        specs: b.specs,
        planted: b.planted,
        utilization: b.utilization,
    }
}

/// An environment spelled outside the policy's allowed values (`PROD`, `Prod`, `prod `) makes
/// the resource non-compliant as well as a hygiene variant.
fn plant_environment_mistakes(b: &mut Builder, env: &str, id: &str) {
    if !matches!(env, "prod" | "staging" | "dev") {
        b.plant("untagged-resource", id);
    }
}

/// Correctly tagged Graviton instances that pad the dataset to the requested size.
fn filler(rng: &mut Rng, catalog: &Catalog, count: usize) -> Vec<Spec> {
    const TYPES: [&str; 6] = [
        "m7g.large",
        "m7g.xlarge",
        "c7g.large",
        "c7g.xlarge",
        "r7g.large",
        "t4g.medium",
    ];
    const TEAMS: [&str; 5] = ["web", "data", "ml", "platform", "search"];
    (0..count)
        .map(|_| {
            let instance_type = TYPES[rng.below(TYPES.len() as u64) as usize];
            let team = TEAMS[rng.below(TEAMS.len() as u64) as usize];
            let account = rng.below(ACCOUNTS.len() as u64) as usize;
            let od = catalog
                .instance(instance_type)
                .expect("filler types are catalogued")
                .price_per_hour;
            let mut spec = Spec::new(
                account,
                EC2,
                "Compute Instance",
                &format!("BoxUsage:{instance_type}"),
                "Hrs",
                Cadence::Hourly(1.0),
                od,
            )
            .operation("RunInstances")
            .resource(&format!("i-{}", rng.hex(17)))
            .tags(user_tags(Some(team), Some("prod")));
            spec.instance_type = Some(instance_type.into());
            spec.description = format!("${od} per On Demand Linux {instance_type} Instance Hour");
            spec
        })
        .collect()
}

/// The money and quantity of one line.
#[derive(Default, Clone, Copy)]
struct Amounts {
    quantity: f64,
    unblended: f64,
    public: Option<f64>,
    ri_effective: Option<f64>,
    ri_unused_recurring: Option<f64>,
    ri_unused_upfront: Option<f64>,
    ri_amortized_upfront: Option<f64>,
    sp_effective: Option<f64>,
    sp_total: Option<f64>,
    sp_used: Option<f64>,
}

fn amounts(spec: &Spec, quantity: f64, month_hours: f64) -> Amounts {
    let mut a = Amounts {
        quantity,
        ..Amounts::default()
    };
    match spec.pricing {
        Pricing::Usage { rate, public_rate } => {
            a.unblended = rate * quantity;
            a.public = Some(public_rate * quantity);
        }
        Pricing::Reserved {
            public_rate,
            effective_rate,
        } => {
            a.public = Some(public_rate * quantity);
            a.ri_effective = Some(effective_rate * quantity);
        }
        Pricing::SavingsPlanCovered {
            public_rate,
            sp_rate,
        } => {
            a.unblended = public_rate * quantity;
            a.public = Some(public_rate * quantity);
            a.sp_effective = Some(sp_rate * quantity);
        }
        Pricing::SavingsPlanNegation { public_rate } => {
            a.unblended = -public_rate * quantity;
        }
        Pricing::SavingsPlanFee { commitment, used } => {
            a.unblended = commitment;
            a.sp_total = Some(commitment);
            a.sp_used = Some(used);
        }
        Pricing::ReservationFee {
            count,
            used,
            rate,
            all_upfront,
        } => {
            let unused = (count - used) * month_hours * rate;
            a.quantity = count * month_hours;
            a.public = Some(0.0);
            if all_upfront {
                a.ri_amortized_upfront = Some(count * month_hours * rate);
                a.ri_unused_upfront = Some(unused);
                a.ri_unused_recurring = Some(0.0);
            } else {
                a.unblended = count * month_hours * rate;
                a.ri_amortized_upfront = Some(0.0);
                a.ri_unused_upfront = Some(0.0);
                a.ri_unused_recurring = Some(unused);
            }
        }
        Pricing::Flat { amount } => {
            a.quantity = 0.0;
            a.unblended = amount;
        }
    }
    a
}

/// Calls `emit(spec index, start, end, month, amounts)` for every line, month by month.
fn for_each_line(
    specs: &[Spec],
    span: &Span,
    seed: u64,
    mut emit: impl FnMut(usize, i64, i64, (i64, i64), &Amounts) -> Result<()>,
) -> Result<()> {
    for &month in &span.months {
        let (m_start, m_end) = month;
        let month_hours = ((m_end - m_start) / HOUR_MS) as f64;
        for (i, spec) in specs.iter().enumerate() {
            let (from, until) = spec.active.unwrap_or((span.start, span.end));
            let (from, until) = (from.max(m_start), until.min(m_end));
            if from >= until {
                continue;
            }
            match spec.cadence {
                Cadence::Hourly(quantity) => {
                    let a = amounts(spec, quantity, month_hours);
                    let mut t = from;
                    while t < until {
                        let hour = ((t / HOUR_MS) % 24) as u32;
                        if spec
                            .hours_of_day
                            .is_none_or(|(h0, h1)| hour >= h0 && hour < h1)
                        {
                            emit(i, t, t + HOUR_MS, month, &a)?;
                        }
                        t += HOUR_MS;
                    }
                }
                Cadence::DailyGbMonth(gb) => {
                    let a = amounts(spec, gb * 24.0 / month_hours, month_hours);
                    let mut t = from;
                    while t < until {
                        emit(i, t, t + DAY_MS, month, &a)?;
                        t += DAY_MS;
                    }
                }
                Cadence::Daily(per_day) => {
                    let mut t = from;
                    while t < until {
                        let quantity = per_day * (0.8 + 0.4 * noise(seed, i, t));
                        emit(
                            i,
                            t,
                            t + DAY_MS,
                            month,
                            &amounts(spec, quantity, month_hours),
                        )?;
                        t += DAY_MS;
                    }
                }
                Cadence::Monthly => {
                    emit(i, m_start, m_end, month, &amounts(spec, 1.0, month_hours))?;
                }
            }
        }
    }
    Ok(())
}

fn kv_list(name: &str, rows: impl Iterator<Item = Vec<(String, String)>>) -> Result<Column> {
    let series: Vec<Option<Series>> = rows
        .map(|pairs| {
            let keys = Series::new(
                "key".into(),
                pairs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            );
            let values = Series::new(
                "value".into(),
                pairs.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
            );
            StructChunked::from_series("entry".into(), pairs.len(), [keys, values].iter())
                .map(|s| Some(s.into_series()))
        })
        .collect::<PolarsResult<_>>()
        .err_context(|| format!("building {name}"))?;
    let list: ListChunked = series.into_iter().collect();
    Ok(list.with_name(name.into()).into_column())
}

fn text_column(name: &str, values: Vec<Option<String>>) -> Column {
    Column::new(name.into(), values)
}

/// One row per spec with the columns that do not change from line to line.
fn static_columns(specs: &[Spec], accounts: &[(String, String)]) -> Result<DataFrame> {
    let t = |f: &dyn Fn(&Spec) -> Option<String>| specs.iter().map(f).collect::<Vec<_>>();
    let owned = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let columns = vec![
        text_column("bill_bill_type", t(&|_| Some("Anniversary".into()))),
        text_column("bill_billing_entity", t(&|_| Some("AWS".into()))),
        text_column("bill_payer_account_id", t(&|_| Some(PAYER.0.into()))),
        text_column("bill_payer_account_name", t(&|_| Some(PAYER.1.into()))),
        text_column(
            "line_item_usage_account_id",
            t(&|s| Some(accounts[s.account].0.clone())),
        ),
        text_column(
            "line_item_usage_account_name",
            t(&|s| Some(accounts[s.account].1.clone())),
        ),
        text_column(
            "line_item_line_item_type",
            t(&|s| Some(s.line_item_type.into())),
        ),
        text_column(
            "line_item_product_code",
            t(&|s| Some(s.product_code.into())),
        ),
        text_column("line_item_usage_type", t(&|s| owned(&s.usage_type))),
        text_column("line_item_operation", t(&|s| owned(s.operation))),
        text_column(
            "line_item_availability_zone",
            t(&|s| s.instance_type.as_ref().map(|_| format!("{}a", s.region))),
        ),
        text_column("line_item_resource_id", t(&|s| s.resource_id.clone())),
        text_column(
            "line_item_line_item_description",
            t(&|s| Some(s.description.clone())),
        ),
        text_column("line_item_currency_code", t(&|_| Some("USD".into()))),
        text_column(
            "line_item_legal_entity",
            t(&|_| Some("Amazon Web Services, Inc.".into())),
        ),
        text_column(
            "line_item_unblended_rate",
            t(&|s| match s.pricing {
                Pricing::Usage { rate, .. } => Some(format!("{rate}")),
                Pricing::SavingsPlanCovered { public_rate, .. } => Some(format!("{public_rate}")),
                _ => None,
            }),
        ),
        Column::new(
            "line_item_normalization_factor".into(),
            specs
                .iter()
                .map(|s| {
                    s.instance_type
                        .as_deref()
                        .and_then(catalog::normalization_factor)
                })
                .collect::<Vec<_>>(),
        ),
        text_column("pricing_term", t(&|s| owned(s.term))),
        text_column("pricing_unit", t(&|s| owned(s.unit))),
        text_column("product_servicecode", t(&|s| Some(s.product_code.into()))),
        text_column("product_product_family", t(&|s| owned(s.product_family))),
        text_column("product_instance_type", t(&|s| s.instance_type.clone())),
        text_column("product_region_code", t(&|s| Some(s.region.into()))),
        text_column("product_usagetype", t(&|s| owned(&s.usage_type))),
        text_column("product_operation", t(&|s| owned(s.operation))),
        text_column(
            "product_sku",
            t(&|s| {
                Some(format!(
                    "{:016X}",
                    mix(s.usage_type.bytes().fold(7u64, |h, b| mix(h ^ b as u64)))
                ))
            }),
        ),
        text_column(
            "reservation_reservation_a_r_n",
            t(&|s| {
                matches!(
                    s.pricing,
                    Pricing::Reserved { .. } | Pricing::ReservationFee { .. }
                )
                .then(|| s.commitment_arn.clone().or_else(|| s.resource_id.clone()))
                .flatten()
            }),
        ),
        text_column(
            "reservation_end_time",
            t(&|s| {
                matches!(
                    s.pricing,
                    Pricing::Reserved { .. } | Pricing::ReservationFee { .. }
                )
                .then(|| s.commitment_end.clone())
                .flatten()
            }),
        ),
        text_column(
            "savings_plan_savings_plan_a_r_n",
            t(&|s| {
                matches!(
                    s.pricing,
                    Pricing::SavingsPlanCovered { .. }
                        | Pricing::SavingsPlanNegation { .. }
                        | Pricing::SavingsPlanFee { .. }
                )
                .then(|| s.commitment_arn.clone())
                .flatten()
            }),
        ),
        text_column(
            "savings_plan_end_time",
            t(&|s| {
                matches!(
                    s.pricing,
                    Pricing::SavingsPlanCovered { .. } | Pricing::SavingsPlanFee { .. }
                )
                .then(|| s.commitment_end.clone())
                .flatten()
            }),
        ),
        kv_list(
            "product",
            specs.iter().map(|s| {
                let mut p = vec![
                    ("product_name".to_string(), s.product_name.to_string()),
                    ("region".to_string(), s.region.to_string()),
                ];
                if let Some(instance) = s
                    .instance_type
                    .as_deref()
                    .and_then(|t| Catalog::builtin().instance(t))
                {
                    let current = if instance.previous_generation {
                        "No"
                    } else {
                        "Yes"
                    };
                    p.push(("current_generation".into(), current.into()));
                    p.push(("vcpu".into(), instance.vcpu.to_string()));
                    p.push(("operating_system".into(), "Linux".into()));
                }
                if let Some(api) = s.volume_api_name {
                    p.push(("volume_api_name".into(), api.into()));
                }
                p
            }),
        )?,
        kv_list("resource_tags", specs.iter().map(|s| s.tags.clone()))?,
    ];
    DataFrame::new(specs.len(), columns).err_context(|| "building the sample columns".into())
}

/// Lines waiting to be written: the spec they come from and their own values.
#[derive(Default)]
struct Batch {
    /// `identity_line_item_id`: unique per line, as in a real CUR (and as incompressible).
    line_id: Vec<String>,
    spec: Vec<IdxSize>,
    start: Vec<i64>,
    end: Vec<i64>,
    period_start: Vec<i64>,
    period_end: Vec<i64>,
    amounts: Vec<Amounts>,
}

impl Batch {
    fn len(&self) -> usize {
        self.spec.len()
    }

    fn to_frame(&self, statics: &DataFrame) -> Result<DataFrame> {
        let idx = IdxCa::from_vec("idx".into(), self.spec.clone());
        let mut df = statics
            .take(&idx)
            .err_context(|| "building a sample batch".into())?;
        let ts = |name: &str, v: &[i64]| -> Result<Column> {
            Column::new(name.into(), v)
                .cast(&schema::timestamp_dtype())
                .err_context(|| name.to_string())
        };
        let f = |name: &str, get: &dyn Fn(&Amounts) -> Option<f64>| {
            Column::new(
                name.into(),
                self.amounts.iter().map(get).collect::<Vec<Option<f64>>>(),
            )
        };
        let columns = vec![
            Column::new("identity_line_item_id".into(), &self.line_id),
            ts("bill_billing_period_start_date", &self.period_start)?,
            ts("bill_billing_period_end_date", &self.period_end)?,
            ts("line_item_usage_start_date", &self.start)?,
            ts("line_item_usage_end_date", &self.end)?,
            f("line_item_usage_amount", &|a| Some(a.quantity)),
            f("line_item_unblended_cost", &|a| Some(a.unblended)),
            f("pricing_public_on_demand_cost", &|a| a.public),
            f("reservation_effective_cost", &|a| a.ri_effective),
            f("reservation_unused_recurring_fee", &|a| {
                a.ri_unused_recurring
            }),
            f(
                "reservation_unused_amortized_upfront_fee_for_billing_period",
                &|a| a.ri_unused_upfront,
            ),
            f(
                "reservation_amortized_upfront_fee_for_billing_period",
                &|a| a.ri_amortized_upfront,
            ),
            f("savings_plan_savings_plan_effective_cost", &|a| {
                a.sp_effective
            }),
            f("savings_plan_total_commitment_to_date", &|a| a.sp_total),
            f("savings_plan_used_commitment", &|a| a.sp_used),
        ];
        df.hstack_mut(&columns)
            .err_context(|| "building a sample batch".into())?;
        Ok(df)
    }

    fn clear(&mut self) {
        *self = Batch::default();
    }
}

/// Specs the realistic filler builds and writes at a time: bounds the generator's memory.
const FILLER_CHUNK_SPECS: usize = 100_000;

/// The steady profile's filler: instances running the whole span, the last one only the hours
/// left, `extra` lines in all.
fn steady_filler(seed: u64, span: &Span, extra: u64) -> Vec<Spec> {
    let span_hours = ((span.end - span.start) / HOUR_MS) as u64;
    let full = extra / span_hours;
    let rest = extra % span_hours;
    let mut rng = Rng(seed ^ 0x00f1_11e4);
    let mut specs = filler(
        &mut rng,
        Catalog::builtin(),
        (full + u64::from(rest > 0)) as usize,
    );
    if rest > 0 {
        let last = specs.last_mut().expect("one filler for the rest");
        last.active = Some((span.end - rest as i64 * HOUR_MS, span.end));
    }
    specs
}

/// The parquet file being written, fed specs a group at a time; line ids stay unique across
/// groups because specs are numbered from the first group on.
struct LineSink<'a> {
    writer: polars::io::parquet::write::BatchedWriter<File>,
    accounts: &'a [(String, String)],
    span: &'a Span,
    seed: u64,
    batch: Batch,
    /// Specs written before the current group.
    offset: usize,
    rows: u64,
}

impl<'a> LineSink<'a> {
    /// `first` gives the schema (any group has the same).
    fn create(
        path: &Path,
        first: &[Spec],
        accounts: &'a [(String, String)],
        seed: u64,
        span: &'a Span,
    ) -> Result<Self> {
        let file = File::create(path).err_context(|| format!("{}: creating", path.display()))?;
        let statics = static_columns(&first[..1], accounts)?;
        let schema_frame = Batch {
            line_id: vec![String::new()],
            spec: vec![0],
            start: vec![0],
            end: vec![0],
            period_start: vec![0],
            period_end: vec![0],
            amounts: vec![Amounts::default()],
        }
        .to_frame(&statics)?;
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .with_row_group_size(Some(BATCH_ROWS))
            .batched(schema_frame.schema())
            .err_context(|| format!("{}: writing parquet", path.display()))?;
        Ok(LineSink {
            writer,
            accounts,
            span,
            seed,
            batch: Batch::default(),
            offset: 0,
            rows: 0,
        })
    }

    /// Writes every line of `specs`.
    fn write(&mut self, specs: &[Spec]) -> Result<()> {
        let statics = static_columns(specs, self.accounts)?;
        let (seed, offset, span) = (self.seed, self.offset, self.span);
        for_each_line(specs, span, seed, |i, start, end, month, a| {
            let batch = &mut self.batch;
            batch.line_id.push(format!(
                "{:016x}{:08x}",
                mix(seed ^ mix((offset + i) as u64) ^ mix(start as u64)),
                mix(self.rows + batch.len() as u64) as u32
            ));
            batch.spec.push(i as IdxSize);
            batch.start.push(start);
            batch.end.push(end);
            batch.period_start.push(month.0);
            batch.period_end.push(month.1);
            batch.amounts.push(*a);
            if batch.len() >= BATCH_ROWS {
                self.flush(&statics)?;
            }
            Ok(())
        })?;
        self.flush(&statics)?;
        self.offset += specs.len();
        Ok(())
    }

    fn flush(&mut self, statics: &DataFrame) -> Result<()> {
        if self.batch.len() == 0 {
            return Ok(());
        }
        self.writer
            .write_batch(&self.batch.to_frame(statics)?)
            .err_context(|| "writing parquet".into())?;
        self.rows += self.batch.len() as u64;
        self.batch.clear();
        Ok(())
    }

    /// Closes the file; the number of lines written.
    fn finish(self) -> Result<u64> {
        self.writer
            .finish()
            .err_context(|| "writing parquet".into())?;
        Ok(self.rows)
    }
}

fn count_rows(specs: &[Spec], span: &Span, seed: u64) -> u64 {
    let mut n = 0u64;
    for_each_line(specs, span, seed, |_, _, _, _, _| {
        n += 1;
        Ok(())
    })
    .expect("counting never fails");
    n
}

/// Parses `YYYY-MM`.
pub fn parse_month(text: &str) -> Result<(i32, u32)> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .map(|d| (d.year(), d.month()))
        .map_err(|_| Error::Usage(format!("'{text}' is not a month like 2026-10")))
}

/// Writes the sample CUR 2.0 parquet to `out`, the utilisation export to `utilization_out` and
/// the manifest of planted opportunities to `manifest_out`.
pub fn generate(
    options: &SampleOptions,
    out: &Path,
    utilization_out: Option<&Path>,
    manifest_out: Option<&Path>,
) -> Result<Manifest> {
    if options.months == 0 {
        return Err(Error::Usage("--months must be at least 1".into()));
    }
    let span = span_of(options.last_month, options.months);
    let Scenario {
        mut specs,
        planted,
        utilization,
    } = scenario(options.seed, &span);
    let planted_rows = count_rows(&specs, &span, options.seed);
    let wanted = options.rows.unwrap_or(planted_rows);
    if wanted < planted_rows {
        return Err(Error::Usage(format!(
            "--rows must be at least {planted_rows}: the planted scenario alone needs that many \
             over {} month(s)",
            options.months
        )));
    }
    let extra = wanted - planted_rows;
    let accounts: Vec<(String, String)> = match options.profile {
        Profile::Steady => {
            specs.extend(steady_filler(options.seed, &span, extra));
            ACCOUNTS
                .iter()
                .map(|(id, name)| (id.to_string(), name.to_string()))
                .collect()
        }
        Profile::Realistic => realistic::accounts(&ACCOUNTS),
    };
    let mut rows = 0u64;
    output::write_file(out, |temp| {
        let mut sink = LineSink::create(temp, &specs, &accounts, options.seed, &span)?;
        sink.write(&specs)?;
        if options.profile == Profile::Realistic {
            let mut filler =
                realistic::Filler::new(options.seed, Catalog::builtin(), &span, &accounts, extra);
            loop {
                let chunk = filler.chunk(FILLER_CHUNK_SPECS);
                if chunk.is_empty() {
                    break;
                }
                sink.write(&chunk)?;
            }
        }
        rows = sink.finish()?;
        Ok(())
    })?;

    let months = span
        .months
        .iter()
        .map(|(start, _)| iso(*start)[..7].to_string())
        .collect();
    let manifest = Manifest {
        seed: options.seed,
        rows,
        months,
        planted,
    };
    if let Some(path) = utilization_out {
        write_utilization(path, &utilization)?;
    }
    if let Some(path) = manifest_out {
        let json = serde_json::to_string_pretty(&manifest).expect("manifest serialises") + "\n";
        output::write_file(path, |temp| {
            std::fs::write(temp, json).err_context(|| format!("{}", temp.display()))
        })?;
    }
    Ok(manifest)
}

fn write_utilization(path: &Path, rows: &[(String, f64, f64, Option<f64>, u32)]) -> Result<()> {
    output::write_file(path, |temp| {
        let mut w = csv::Writer::from_path(temp)
            .map_err(|e| Error::input(temp, format!("cannot write: {e}")))?;
        let mut write = |record: &[String]| {
            w.write_record(record)
                .map_err(|e| Error::input(temp, format!("cannot write: {e}")))
        };
        write(&[
            "resource_id".into(),
            "cpu_max_pct".into(),
            "cpu_p95_pct".into(),
            "mem_p95_pct".into(),
            "days_observed".into(),
        ])?;
        for (id, max, p95, mem, days) in rows {
            write(&[
                id.clone(),
                format!("{max}"),
                format!("{p95}"),
                mem.map(|m| format!("{m}")).unwrap_or_default(),
                days.to_string(),
            ])?;
        }
        // An instance that is no longer in the bill (terminated before the period).
        write(&[
            "i-0000000000000dead".into(),
            "12".into(),
            "8".into(),
            String::new(),
            "30".into(),
        ])?;
        w.flush().err_context(|| format!("{}", temp.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    #[test]
    fn span_covers_whole_months() {
        let span = span_of((2026, 10), 4);
        assert_eq!(span.months.len(), 4);
        assert_eq!(iso(span.start), "2026-07-01T00:00:00Z");
        assert_eq!(iso(span.end), "2026-11-01T00:00:00Z");
        assert_eq!((span.end - span.start) / HOUR_MS, (31 + 31 + 30 + 31) * 24);
    }

    #[test]
    fn noise_is_stable_and_bounded() {
        let a = noise(1, 2, 3);
        assert_eq!(a, noise(1, 2, 3));
        assert!((0.0..1.0).contains(&a));
        assert_ne!(a, noise(2, 2, 3));
    }

    #[test]
    fn ri_fee_amounts() {
        let spec = Spec {
            pricing: Pricing::ReservationFee {
                count: 2.0,
                used: 1.0,
                rate: 0.08,
                all_upfront: false,
            },
            ..filler(&mut Rng(1), Catalog::builtin(), 1).remove(0)
        };
        // 2 reserved × 720 h × $0.08 = $115.20 billed; 1 unused × 720 × 0.08 = $57.60 unused.
        let a = amounts(&spec, 1.0, 720.0);
        assert!((a.unblended - 115.2).abs() < 1e-9);
        assert!((a.ri_unused_recurring.unwrap() - 57.6).abs() < 1e-9);
    }

    #[test]
    fn month_parser() {
        assert_eq!(parse_month("2026-10").unwrap(), (2026, 10));
        assert!(parse_month("2026-13").is_err());
        assert!(parse_month("oct").is_err());
    }

    #[test]
    fn hours_of_day_window() {
        let span = span_of((2026, 10), 1);
        let mut spec = filler(&mut Rng(3), Catalog::builtin(), 1).remove(0);
        spec.active = Some((span.start, span.start + DAY_MS));
        spec.hours_of_day = Some((1, 7));
        let mut hours = Vec::new();
        for_each_line(&[spec], &span, 0, |_, start, _, _, _| {
            hours.push(Utc.timestamp_millis_opt(start).unwrap().hour());
            Ok(())
        })
        .unwrap();
        assert_eq!(hours, vec![1, 2, 3, 4, 5, 6]);
    }
}

//! The `realistic` profile's filler: lines shaped like a large company's month instead of a few
//! thousand machines running all month.
//!
//! The steady profile pads `--rows` with instances that each run the whole month (about 740
//! lines per resource), so a 10M-line month has only thousands of resources. Real CURs have
//! hundreds of thousands to millions of resource ids a month, most of them short-lived
//! (Auto Scaling and Spot instances, batch and container tasks, Lambda functions, volumes and
//! snapshots that come and go), plus many lines with no resource at all. The shape this filler
//! aims at is the month issue 22 measured costlens on (CUR 2.0, 10M lines, 2.1M distinct
//! resource ids, 30% of lines without one, 200 accounts, about 600 usage types, 40 services):
//!
//! - **Lifetimes** are Pareto-distributed in hours with shape [`LIFETIME_SHAPE`] = 1.4, cut at
//!   the span: P(lifetime ≥ h hours) = h^-1.4, so half the resources live one hour, 6% more
//!   than 8 hours, 1.2% more than a day, and the mean is about 3.3 lines per resource, which
//!   is 2.1M resources in the 7M resource lines of a 10M-line month. The shape is a modelling
//!   choice fitted to that ratio (a heavy tail is what published container and serverless
//!   lifetime studies report); the benchmark prints the distinct resources it got.
//! - **Lines without a resource** ([`RESOURCELESS_SHARE`] = 30%): data transfer, requests,
//!   metrics, events, per account and region, each running a day to the whole span.
//! - **Who and where**: 200 accounts (the scenario's 4 and 196 more), 8 regions, resources of
//!   the kinds in [`KINDS`] and the resourceless usage in [`RESOURCELESS`], about 40 services.
//! - **Tags** as most companies have them: 55% tagged with team and environment, 20% with
//!   the team only, 10% with a wrong-case key or value, 15% untagged.
//!
//! Every line is hourly, so a resource living h hours is exactly h lines and `--rows` is met
//! exactly (the last spec is cut to fit).

use super::{user_tags, Cadence, Pricing, Rng, Span, Spec, HOUR_MS, SPOT_PRICE_RATIO};
use crate::catalog::Catalog;

/// Pareto shape of resource lifetimes in hours (see the module doc).
const LIFETIME_SHAPE: f64 = 1.4;
/// Share of the filler's lines that name no resource.
const RESOURCELESS_SHARE: f64 = 0.30;
/// Accounts the filler bills, the scenario's included.
const ACCOUNT_COUNT: usize = 200;

/// Regions with their usage-type prefix (us-east-1 has none, as in AWS's usage types).
const REGIONS: [(&str, &str); 8] = [
    ("us-east-1", ""),
    ("us-east-2", "USE2-"),
    ("us-west-2", "USW2-"),
    ("eu-west-1", "EU-"),
    ("eu-central-1", "EUC1-"),
    ("ap-northeast-1", "APN1-"),
    ("ap-southeast-2", "APS2-"),
    ("sa-east-1", "SAE1-"),
];

/// Instance types the fleet runs: mostly current generation, some previous (modernisation
/// candidates), x86 and Graviton.
const INSTANCE_TYPES: [&str; 24] = [
    "m5.large",
    "m5.xlarge",
    "m6i.large",
    "m6i.xlarge",
    "m7i.large",
    "m7i.2xlarge",
    "m6g.large",
    "m7g.xlarge",
    "c5.large",
    "c5.2xlarge",
    "c6i.xlarge",
    "c7i.large",
    "c6g.xlarge",
    "c7g.2xlarge",
    "r5.large",
    "r6i.xlarge",
    "r7i.large",
    "r7g.xlarge",
    "t3.medium",
    "t3.large",
    "t4g.medium",
    "m4.large",
    "c4.xlarge",
    "t2.medium",
];

/// The kinds of short-lived resources and how many of the filler's resources each is.
#[derive(Clone, Copy)]
enum Kind {
    OnDemandInstance,
    SpotInstance,
    Volume,
    Snapshot,
    Function,
    Task,
    Table,
    Queue,
    LogGroup,
}

const KINDS: [(Kind, u64); 9] = [
    (Kind::OnDemandInstance, 22),
    (Kind::SpotInstance, 10),
    (Kind::Volume, 20),
    (Kind::Snapshot, 8),
    (Kind::Function, 18),
    (Kind::Task, 12),
    (Kind::Table, 4),
    (Kind::Queue, 3),
    (Kind::LogGroup, 3),
];

/// Usage with no resource id: (product code, product name, family, usage type after the
/// region prefix, unit, rate per unit, typical quantity per hour).
type Resourceless = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
);

const RESOURCELESS: [Resourceless; 32] = [
    (
        "AWSDataTransfer",
        "AWS Data Transfer",
        "Data Transfer",
        "DataTransfer-Out-Bytes",
        "GB",
        0.09,
        40.0,
    ),
    (
        "AWSDataTransfer",
        "AWS Data Transfer",
        "Data Transfer",
        "DataTransfer-Regional-Bytes",
        "GB",
        0.01,
        200.0,
    ),
    (
        "AmazonCloudFront",
        "Amazon CloudFront",
        "Data Transfer",
        "DataTransfer-Out-Bytes",
        "GB",
        0.085,
        60.0,
    ),
    (
        "AmazonCloudFront",
        "Amazon CloudFront",
        "Request",
        "Requests-Tier1",
        "Requests",
        0.0000075,
        200000.0,
    ),
    (
        "AmazonCloudWatch",
        "AmazonCloudWatch",
        "Metric",
        "CW:MetricMonitorUsage",
        "Metrics",
        0.0004,
        500.0,
    ),
    (
        "AmazonCloudWatch",
        "AmazonCloudWatch",
        "API Request",
        "CW:Requests",
        "Requests",
        0.00001,
        50000.0,
    ),
    (
        "awskms",
        "AWS Key Management Service",
        "Encryption Key",
        "KMS-Requests",
        "Requests",
        0.000003,
        100000.0,
    ),
    (
        "AWSConfig",
        "AWS Config",
        "Management Tools - AWS Config",
        "ConfigurationItemRecorded",
        "ConfigurationItemRecorded",
        0.003,
        300.0,
    ),
    (
        "AWSCloudTrail",
        "AWS CloudTrail",
        "Management Tools - AWS CloudTrail Paid Events Recorded",
        "PaidEventsRecorded",
        "Events",
        0.00001,
        80000.0,
    ),
    (
        "AmazonGuardDuty",
        "Amazon GuardDuty",
        "Security Services - Amazon GuardDuty Events Analyzed",
        "PaidEventsAnalyzed",
        "Events",
        0.000004,
        300000.0,
    ),
    (
        "AmazonRoute53",
        "Amazon Route 53",
        "DNS Query",
        "DNS-Queries",
        "Queries",
        0.0000004,
        1000000.0,
    ),
    (
        "AmazonApiGateway",
        "Amazon API Gateway",
        "API Calls",
        "ApiGatewayRequest",
        "Requests",
        0.0000035,
        40000.0,
    ),
    (
        "AWSSecretsManager",
        "AWS Secrets Manager",
        "API Request",
        "AWSSecretsManager-APIRequest",
        "API Requests",
        0.000005,
        20000.0,
    ),
    (
        "AmazonECR",
        "Amazon EC2 Container Registry (ECR)",
        "EC2 Container Registry",
        "TimedStorage-ByteHrs",
        "GB-Mo",
        0.1,
        0.5,
    ),
    (
        "AWSGlue",
        "AWS Glue",
        "AWS Glue",
        "Crawler-DPU-Hour",
        "DPU-Hour",
        0.44,
        0.5,
    ),
    (
        "AmazonAthena",
        "Amazon Athena",
        "Athena Queries",
        "DataScannedInTB",
        "Terabytes",
        5.0,
        0.02,
    ),
    (
        "AmazonSNS",
        "Amazon Simple Notification Service",
        "Message Delivery",
        "Requests-Tier1",
        "Requests",
        0.0000005,
        100000.0,
    ),
    (
        "AWSEvents",
        "CloudWatch Events",
        "CloudWatch Events",
        "Event-64K-Chunks",
        "Events",
        0.000001,
        50000.0,
    ),
    (
        "AmazonKinesisFirehose",
        "Amazon Kinesis Firehose",
        "Kinesis Firehose",
        "BilledBytes",
        "GB",
        0.029,
        30.0,
    ),
    (
        "AWSSystemsManager",
        "AWS Systems Manager",
        "AWS Systems Manager",
        "PS-Param-Processed",
        "API Requests",
        0.00005,
        10000.0,
    ),
    (
        "AmazonSES",
        "Amazon Simple Email Service",
        "Sending Email",
        "Recipients",
        "Recipients",
        0.0001,
        2000.0,
    ),
    (
        "AmazonEFS",
        "Amazon Elastic File System",
        "Storage",
        "TimedStorage-ByteHrs",
        "GB-Mo",
        0.3,
        2.0,
    ),
    (
        "AWSBackup",
        "AWS Backup",
        "Storage",
        "WarmStorage-ByteHrs-EBS",
        "GB-Mo",
        0.05,
        5.0,
    ),
    (
        "awswaf",
        "AWS WAF",
        "Web Application Firewall",
        "Request",
        "Requests",
        0.0000006,
        200000.0,
    ),
    (
        "AWSSecurityHub",
        "AWS Security Hub",
        "Security Hub",
        "PaidComplianceCheck",
        "Checks",
        0.001,
        500.0,
    ),
    (
        "AmazonInspector",
        "Amazon Inspector",
        "Amazon Inspector",
        "InspectorEC2Scan",
        "Instances",
        0.0015,
        300.0,
    ),
    (
        "AmazonCognito",
        "Amazon Cognito",
        "User Pool MAU",
        "CognitoUserPoolsMAU",
        "MAU",
        0.0000076,
        20000.0,
    ),
    (
        "AmazonMQ",
        "Amazon MQ",
        "Broker Instances",
        "Storage-EFS-ByteHrs",
        "GB-Mo",
        0.3,
        0.2,
    ),
    (
        "AWSCostExplorer",
        "AWS Cost Explorer",
        "AWS Cost Explorer",
        "API-Request",
        "Requests",
        0.01,
        5.0,
    ),
    (
        "AmazonBedrock",
        "Amazon Bedrock",
        "Amazon Bedrock",
        "InputTokenCount",
        "Tokens",
        0.000003,
        200000.0,
    ),
    (
        "CodeBuild",
        "CodeBuild",
        "Compute",
        "Build-Min:Linux:g1.small",
        "Minutes",
        0.005,
        60.0,
    ),
    (
        "AmazonRedshift",
        "Amazon Redshift",
        "Redshift Managed Storage",
        "RMS:GB-Hrs",
        "GB-Mo",
        0.024,
        50.0,
    ),
];

const TEAMS: [&str; 20] = [
    "web",
    "data",
    "ml",
    "platform",
    "search",
    "payments",
    "checkout",
    "identity",
    "mobile",
    "ads",
    "growth",
    "infra",
    "security",
    "analytics",
    "billing",
    "support",
    "media",
    "catalog",
    "logistics",
    "risk",
];
const ENVIRONMENTS: [&str; 3] = ["prod", "staging", "dev"];

/// The scenario's accounts followed by generated ones, [`ACCOUNT_COUNT`] in all.
pub(super) fn accounts(scenario: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = scenario
        .iter()
        .map(|(id, name)| (id.to_string(), name.to_string()))
        .collect();
    for i in out.len()..ACCOUNT_COUNT {
        let team = TEAMS[i % TEAMS.len()];
        let env = ENVIRONMENTS[i % ENVIRONMENTS.len()];
        out.push((
            format!("{:012}", 600_000_000_000u64 + i as u64 * 7_919),
            format!("{team}-{env}-{i:03}"),
        ));
    }
    out
}

/// Draws filler specs until `lines` lines are planned.
pub(super) struct Filler<'a> {
    rng: Rng,
    catalog: &'a Catalog,
    span: &'a Span,
    accounts: &'a [(String, String)],
    remaining: u64,
    planned: u64,
    resourceless: u64,
}

impl<'a> Filler<'a> {
    pub(super) fn new(
        seed: u64,
        catalog: &'a Catalog,
        span: &'a Span,
        accounts: &'a [(String, String)],
        lines: u64,
    ) -> Self {
        Filler {
            rng: Rng(seed ^ 0x7ea1_1571_c000),
            catalog,
            span,
            accounts,
            remaining: lines,
            planned: 0,
            resourceless: 0,
        }
    }

    /// The next at most `max` specs; empty when every line is planned.
    pub(super) fn chunk(&mut self, max: usize) -> Vec<Spec> {
        let mut out = Vec::with_capacity(max.min(self.remaining as usize));
        while out.len() < max && self.remaining > 0 {
            out.push(self.next_spec());
        }
        out
    }

    fn next_spec(&mut self) -> Spec {
        let span_hours = ((self.span.end - self.span.start) / HOUR_MS) as u64;
        let without_resource =
            (self.resourceless as f64) < RESOURCELESS_SHARE * (self.planned + 1) as f64;
        let hours = if without_resource {
            24 + self.rng.below(span_hours.saturating_sub(24).max(1))
        } else {
            self.lifetime(span_hours)
        }
        .min(self.remaining)
        .min(span_hours);
        let start = self.span.start + self.rng.below(span_hours - hours + 1) as i64 * HOUR_MS;
        let mut spec = if without_resource {
            self.resourceless += hours;
            self.resourceless_spec()
        } else {
            self.resource_spec()
        };
        spec.active = Some((start, start + hours as i64 * HOUR_MS));
        self.remaining -= hours;
        self.planned += hours;
        spec
    }

    /// Hours a resource lives: Pareto with shape [`LIFETIME_SHAPE`], at least 1.
    fn lifetime(&mut self, span_hours: u64) -> u64 {
        // (0, 1]: never zero, so the power is finite.
        let u = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let u = 1.0 - u;
        (u.powf(-1.0 / LIFETIME_SHAPE) as u64).clamp(1, span_hours)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.below(items.len() as u64) as usize]
    }

    fn tags(&mut self) -> Vec<(String, String)> {
        let team = self.pick(&TEAMS);
        let env = self.pick(&ENVIRONMENTS);
        match self.rng.below(100) {
            0..55 => user_tags(Some(team), Some(env)),
            55..75 => user_tags(Some(team), None),
            75..80 => vec![("user_Team".to_string(), team.to_string())],
            80..85 => user_tags(Some(team), Some("Prod")),
            _ => Vec::new(),
        }
    }

    fn resource_spec(&mut self) -> Spec {
        let total: u64 = KINDS.iter().map(|(_, w)| w).sum();
        let mut draw = self.rng.below(total);
        let kind = KINDS
            .iter()
            .find(|(_, w)| {
                let hit = draw < *w;
                draw = draw.saturating_sub(*w);
                hit
            })
            .map(|(k, _)| *k)
            .expect("the weights cover the draw");
        let account = self.rng.below(self.accounts.len() as u64) as usize;
        let (region, prefix) = self.pick(&REGIONS);
        let tags = self.tags();
        let hex = self.rng.hex(17);
        let account_id = self.accounts[account].0.clone();
        let mut spec = match kind {
            Kind::OnDemandInstance | Kind::SpotInstance => {
                let instance_type = self.pick(&INSTANCE_TYPES);
                let od = self
                    .catalog
                    .instance(instance_type)
                    .expect("the fleet's types are catalogued")
                    .price_per_hour;
                let spot = matches!(kind, Kind::SpotInstance);
                let usage = if spot { "SpotUsage" } else { "BoxUsage" };
                let mut spec = Spec::new(
                    account,
                    super::EC2,
                    "Compute Instance",
                    &format!("{prefix}{usage}:{instance_type}"),
                    "Hrs",
                    Cadence::Hourly(1.0),
                    od,
                )
                .operation("RunInstances")
                .resource(&format!("i-{hex}"));
                spec.instance_type = Some(instance_type.to_string());
                if spot {
                    spec.pricing = Pricing::Usage {
                        rate: od * SPOT_PRICE_RATIO,
                        public_rate: od,
                    };
                    spec.term = "";
                    spec.description = format!("{instance_type} Linux/UNIX Spot Instance-hour");
                } else {
                    spec.description =
                        format!("${od} per On Demand Linux {instance_type} Instance Hour");
                }
                spec
            }
            Kind::Volume => {
                // us-east-1 EBS list prices per GB-month (aws.amazon.com/ebs/pricing).
                let (api, usage, rate) = match self.rng.below(20) {
                    0..14 => ("gp3", "EBS:VolumeUsage.gp3", 0.08),
                    14..19 => ("gp2", "EBS:VolumeUsage.gp2", 0.10),
                    _ => ("io1", "EBS:VolumeUsage.piops", 0.125),
                };
                let gb = (8 + self.rng.below(493)) as f64;
                let mut spec = Spec::new(
                    account,
                    super::EC2,
                    "Storage",
                    &format!("{prefix}{usage}"),
                    "GB-Mo",
                    Cadence::Hourly(gb / 730.0),
                    rate,
                )
                .operation("CreateVolume")
                .resource(&format!("vol-{hex}"));
                spec.volume_api_name = Some(api);
                spec
            }
            Kind::Snapshot => {
                let gb = (8 + self.rng.below(200)) as f64;
                Spec::new(
                    account,
                    super::EC2,
                    "Storage Snapshot",
                    &format!("{prefix}EBS:SnapshotUsage"),
                    "GB-Mo",
                    Cadence::Hourly(gb / 730.0),
                    0.05,
                )
                .operation("CreateSnapshot")
                .resource(&format!(
                    "arn:aws:ec2:{region}:{account_id}:snapshot/snap-{hex}"
                ))
            }
            Kind::Function => {
                let gb_seconds = (100 + self.rng.below(50_000)) as f64;
                Spec::new(
                    account,
                    ("AWSLambda", "AWS Lambda"),
                    "Serverless",
                    &format!("{prefix}Lambda-GB-Second"),
                    "Lambda-GB-Second",
                    Cadence::Hourly(gb_seconds),
                    0.000_016_666_7,
                )
                .operation("Invoke")
                .resource(&format!(
                    "arn:aws:lambda:{region}:{account_id}:function:fn-{hex}"
                ))
            }
            Kind::Task => {
                let vcpu = [0.25, 0.5, 1.0, 2.0, 4.0][self.rng.below(5) as usize];
                Spec::new(
                    account,
                    ("AmazonECS", "Amazon Elastic Container Service"),
                    "Compute",
                    &format!("{prefix}Fargate-vCPU-Hours:perCPU"),
                    "hours",
                    Cadence::Hourly(vcpu),
                    0.040_48,
                )
                .operation("FargateTask")
                .resource(&format!(
                    "arn:aws:ecs:{region}:{account_id}:task/jobs/{hex}"
                ))
            }
            Kind::Table => Spec::new(
                account,
                ("AmazonDynamoDB", "Amazon DynamoDB"),
                "Amazon DynamoDB PayPerRequest Throughput",
                &format!("{prefix}WriteRequestUnits"),
                "WriteRequestUnits",
                Cadence::Hourly((1_000 + self.rng.below(100_000)) as f64),
                0.000_001_25,
            )
            .operation("PayPerRequestThroughput")
            .resource(&format!(
                "arn:aws:dynamodb:{region}:{account_id}:table/t-{hex}"
            )),
            Kind::Queue => Spec::new(
                account,
                ("AWSQueueService", "Amazon Simple Queue Service"),
                "API Request",
                &format!("{prefix}Requests-RBP"),
                "Requests",
                Cadence::Hourly((1_000 + self.rng.below(500_000)) as f64),
                0.000_000_4,
            )
            .operation("SendMessage")
            .resource(&format!("arn:aws:sqs:{region}:{account_id}:q-{hex}")),
            Kind::LogGroup => Spec::new(
                account,
                ("AmazonCloudWatch", "AmazonCloudWatch"),
                "Data Payload",
                &format!("{prefix}DataProcessing-Bytes"),
                "GB",
                Cadence::Hourly((1 + self.rng.below(20)) as f64 / 10.0),
                0.50,
            )
            .operation("PutLogEvents")
            .resource(&format!(
                "arn:aws:logs:{region}:{account_id}:log-group:/jobs/{hex}"
            )),
        };
        spec.region = region;
        spec.tags = tags;
        spec
    }

    fn resourceless_spec(&mut self) -> Spec {
        let (code, name, family, usage, unit, rate, quantity) = self.pick(&RESOURCELESS);
        let account = self.rng.below(self.accounts.len() as u64) as usize;
        let (region, prefix) = self.pick(&REGIONS);
        let quantity = quantity * (0.5 + self.rng.below(1000) as f64 / 1000.0);
        let mut spec = Spec::new(
            account,
            (code, name),
            family,
            &format!("{prefix}{usage}"),
            unit,
            Cadence::Hourly(quantity),
            rate,
        );
        spec.region = region;
        spec
    }
}

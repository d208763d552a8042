//! Configuration: one TOML file (`costlens.toml`, `--config FILE` or `COSTLENS_CONFIG`), every
//! option with a documented default. Unknown keys and wrong types are errors naming the key and
//! line. Precedence: flag > environment > file > default (flags and variables are applied by
//! the caller on top of what this module reads).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where report folders go (`<output_dir>/<period>/`).
    pub output_dir: PathBuf,
    /// The currency to report in when the data holds several.
    pub currency: Option<String>,
    pub tags: TagPolicy,
    pub usage: UsageRules,
    pub rate: RateRules,
    pub anomaly: AnomalyRules,
    pub budgets: Vec<Budget>,
    pub gates: Gates,
    pub report: ReportRules,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            output_dir: PathBuf::from("reports"),
            currency: None,
            tags: TagPolicy::default(),
            usage: UsageRules::default(),
            rate: RateRules::default(),
            anomaly: AnomalyRules::default(),
            budgets: Vec::new(),
            gates: Gates::default(),
            report: ReportRules::default(),
        }
    }
}

/// What the report puts first.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ReportRules {
    /// Findings saving less than this per month (in the report's currency) never fill the Top
    /// 10 or the first screen's actions; per-resource ones worth less (their saving, or the
    /// cost of an untagged resource) roll up into one finding per rule, account and region,
    /// with the largest named. 0 lists every finding on its own.
    #[serde(deserialize_with = "range::non_negative")]
    pub min_saving: f64,
}

impl Default for ReportRules {
    fn default() -> Self {
        ReportRules { min_saving: 1.0 }
    }
}

/// The tag policy: which keys every taggable line must carry, their spellings and values.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TagPolicy {
    /// Keys every taggable line must carry.
    pub required: Vec<String>,
    /// Other spellings that count as the key: `team = ["Team", "owner-team"]`.
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Accepted values per key; a value outside the list makes the line non-compliant.
    pub allowed: BTreeMap<String, Vec<String>>,
    /// Match keys case-sensitively (default: `Team` and `team` are the same key).
    pub case_sensitive_keys: bool,
    /// Key for showback / chargeback; default: the first required key.
    pub allocation_key: Option<String>,
    /// Also share untaggable cost (tax, support, credits, fees) across the allocation values.
    pub allocate_untaggable: bool,
    /// Share the cost of taggable lines without the allocation key across the allocation
    /// values (in proportion to their direct cost); by default it is its own `(untagged)` line.
    pub share_untagged: bool,
    /// The key that holds the environment (for non-production rules).
    pub environment_key: String,
    /// Environment values that mean non-production.
    pub non_production_values: Vec<String>,
}

impl Default for TagPolicy {
    fn default() -> Self {
        TagPolicy {
            required: vec!["team".into(), "environment".into()],
            aliases: BTreeMap::new(),
            allowed: BTreeMap::new(),
            case_sensitive_keys: false,
            allocation_key: None,
            allocate_untaggable: false,
            share_untagged: false,
            environment_key: "environment".into(),
            non_production_values: ["dev", "development", "test", "qa", "staging", "sandbox"]
                .map(String::from)
                .to_vec(),
        }
    }
}

impl TagPolicy {
    pub fn allocation_key(&self) -> Option<&str> {
        self.allocation_key
            .as_deref()
            .or_else(|| self.required.first().map(String::as_str))
    }

    /// Every spelling that counts as `key` (the key itself first).
    pub fn spellings(&self, key: &str) -> Vec<String> {
        let mut out = vec![key.to_string()];
        if let Some(aliases) = self.aliases.get(key) {
            out.extend(aliases.iter().cloned());
        }
        out
    }
}

/// Thresholds and prices of the usage (rightsizing and modernisation) rules.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UsageRules {
    /// Flag snapshots first seen more than this many days before the end of the data.
    #[serde(deserialize_with = "range::days")]
    pub snapshot_age_days: u32,
    /// Non-production instances running at least this share of the period's hours are
    /// scheduling candidates.
    #[serde(deserialize_with = "range::pct")]
    pub offhours_min_uptime_pct: f64,
    /// The schedule non-production instances should keep: hours (UTC) on weekdays.
    #[serde(deserialize_with = "range::hour")]
    pub business_hours_start: u32,
    #[serde(deserialize_with = "range::hour")]
    pub business_hours_end: u32,
    /// Utilisation: idle below this CPU maximum.
    #[serde(deserialize_with = "range::pct")]
    pub idle_cpu_max_pct: f64,
    /// Utilisation: one size smaller when CPU p95 and memory p95 are both below these.
    #[serde(deserialize_with = "range::pct")]
    pub downsize_cpu_p95_pct: f64,
    #[serde(deserialize_with = "range::pct")]
    pub downsize_mem_p95_pct: f64,
    /// EBS list prices per GB-month (us-east-1, aws.amazon.com/ebs/pricing).
    #[serde(deserialize_with = "range::non_negative")]
    pub ebs_gp2_gb_month: f64,
    #[serde(deserialize_with = "range::non_negative")]
    pub ebs_gp3_gb_month: f64,
    #[serde(deserialize_with = "range::non_negative")]
    pub ebs_io1_gb_month: f64,
    #[serde(deserialize_with = "range::non_negative")]
    pub ebs_io1_iops_month: f64,
    /// gp3 includes 3,000 IOPS; above that this price per IOPS-month.
    #[serde(deserialize_with = "range::non_negative")]
    pub ebs_gp3_iops_month: f64,
    #[serde(deserialize_with = "range::non_negative")]
    pub ebs_gp3_free_iops: f64,
    /// gp3 includes 125 MiB/s; above that this price per MiB/s-month.
    #[serde(deserialize_with = "range::non_negative")]
    pub ebs_gp3_throughput_month: f64,
    /// RDS storage list prices (us-east-1 Single-AZ, aws.amazon.com/rds/pricing): io1 per
    /// GB-month and per provisioned IOPS-month, gp3 per GB-month and per IOPS-month above its
    /// included IOPS (3,000 below 400 GB, 12,000 from 400 GB).
    #[serde(deserialize_with = "range::non_negative")]
    pub rds_io1_gb_month: f64,
    #[serde(deserialize_with = "range::non_negative")]
    pub rds_io1_iops_month: f64,
    #[serde(deserialize_with = "range::non_negative")]
    pub rds_gp3_gb_month: f64,
    #[serde(deserialize_with = "range::non_negative")]
    pub rds_gp3_iops_month: f64,
    /// Share of a never-read bucket's standard-class storage cost that a lifecycle rule to the
    /// infrequent-access class is claimed to save. The list prices differ by 46% on S3, but
    /// the bill shows neither object ages (the youngest 30 days stay), nor sizes (IA bills
    /// 128 KB per object at least), nor the per-object transition fee; AWS's Cloud
    /// Intelligence Dashboards assume 30% (`kpi_s3_storage_all`).
    #[serde(deserialize_with = "range::pct")]
    pub object_tiering_saving_pct: f64,
    /// A NAT gateway or load balancer provisioned at least this many hours in the period with
    /// nothing processed is idle (AWS Well-Architected's idle-NAT query: 336, two weeks).
    #[serde(deserialize_with = "range::positive")]
    pub idle_gateway_min_hours: f64,
    /// Data transfer of one account, region and direction costing at least this share of all
    /// data transfer is a hot spot to look at.
    #[serde(deserialize_with = "range::pct")]
    pub transfer_hotspot_min_pct: f64,
    /// A service at least this share of the period's cost that no rule looks at is called out.
    #[serde(deserialize_with = "range::pct")]
    pub unreviewed_service_min_pct: f64,
    /// A container cluster whose nodes' capacity went unused by its pods or tasks at least this
    /// share of their cost (split cost allocation data) is a finding.
    #[serde(deserialize_with = "range::pct")]
    pub container_unused_min_pct: f64,
}

impl Default for UsageRules {
    fn default() -> Self {
        UsageRules {
            snapshot_age_days: 90,
            offhours_min_uptime_pct: 95.0,
            business_hours_start: 8,
            business_hours_end: 20,
            idle_cpu_max_pct: 5.0,
            downsize_cpu_p95_pct: 40.0,
            downsize_mem_p95_pct: 40.0,
            ebs_gp2_gb_month: 0.10,
            ebs_gp3_gb_month: 0.08,
            ebs_io1_gb_month: 0.125,
            ebs_io1_iops_month: 0.065,
            ebs_gp3_iops_month: 0.005,
            ebs_gp3_free_iops: 3000.0,
            ebs_gp3_throughput_month: 0.04,
            rds_io1_gb_month: 0.125,
            rds_io1_iops_month: 0.10,
            rds_gp3_gb_month: 0.115,
            rds_gp3_iops_month: 0.02,
            object_tiering_saving_pct: 30.0,
            idle_gateway_min_hours: 336.0,
            transfer_hotspot_min_pct: 20.0,
            unreviewed_service_min_pct: 10.0,
            container_unused_min_pct: 30.0,
        }
    }
}

/// One commitment product the purchase sizing considers.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Discount {
    /// Shown in the report: "Compute Savings Plan, 1 year, no upfront".
    pub product: String,
    /// `compute-savings-plan`, `ec2-instance-savings-plan`, `reserved-instance`,
    /// `rds-reserved-instance`, `elasticache-reserved-node`, `opensearch-reserved-instance`,
    /// `redshift-reserved-node` (AWS), `azure-savings-plan`, `azure-reservation` (Azure),
    /// `google-flexible-cud`, `google-resource-cud` (Google Cloud).
    pub kind: CommitmentKind,
    #[serde(deserialize_with = "range::term_years")]
    pub term_years: u32,
    /// How it is paid: `no-upfront` (the default), `partial-upfront` or `all-upfront`.
    #[serde(default)]
    pub payment: Payment,
    /// Discount off on-demand, in percent.
    #[serde(deserialize_with = "range::discount_pct")]
    pub discount_pct: f64,
}

/// How a commitment is paid for.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Payment {
    /// Everything monthly: no cash ahead.
    #[default]
    NoUpfront,
    /// About half of the term's cost up front, the rest monthly.
    PartialUpfront,
    /// The whole term's cost up front.
    AllUpfront,
}

impl Payment {
    /// The share of the term's cost paid up front.
    pub fn upfront_share(self) -> f64 {
        match self {
            Payment::NoUpfront => 0.0,
            Payment::PartialUpfront => 0.5,
            Payment::AllUpfront => 1.0,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Payment::NoUpfront => "no upfront",
            Payment::PartialUpfront => "partial upfront",
            Payment::AllUpfront => "all upfront",
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CommitmentKind {
    /// AWS: a $/h commitment over EC2, Fargate and Lambda anywhere.
    ComputeSavingsPlan,
    /// AWS: a $/h commitment over one instance family in one region.
    Ec2InstanceSavingsPlan,
    /// AWS: a reservation of one instance family in one region (size-flexible).
    ReservedInstance,
    /// Azure: a $/h commitment over compute services anywhere.
    AzureSavingsPlan,
    /// Azure: a reserved VM instance of one VM series in one region (size-flexible).
    AzureReservation,
    /// Google Cloud: a spend-based (flexible) committed use discount over Compute Engine.
    GoogleFlexibleCud,
    /// Google Cloud: a resource-based committed use discount of one machine family in one region.
    GoogleResourceCud,
    /// AWS: an RDS reserved DB instance of one class family in one region (size-flexible for
    /// open-source engines).
    RdsReservedInstance,
    /// AWS: an ElastiCache reserved node of one node family in one region.
    #[serde(rename = "elasticache-reserved-node")]
    ElastiCacheReservedNode,
    /// AWS: an OpenSearch reserved instance of one instance type in one region.
    #[serde(rename = "opensearch-reserved-instance")]
    OpenSearchReservedInstance,
    /// AWS: a Redshift reserved node of one node type in one region.
    RedshiftReservedNode,
}

impl CommitmentKind {
    /// Whether it commits to spend over all the provider's compute (else to one family in one
    /// region).
    pub fn spend_based(self) -> bool {
        matches!(
            self,
            CommitmentKind::ComputeSavingsPlan
                | CommitmentKind::AzureSavingsPlan
                | CommitmentKind::GoogleFlexibleCud
        )
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RateRules {
    /// Commitments ending within this many days of the end of the data are findings.
    #[serde(deserialize_with = "range::days")]
    pub expiry_window_days: u32,
    /// Commitments used below this share are findings.
    #[serde(deserialize_with = "range::pct")]
    pub underused_below_pct: f64,
    /// Spot discount assumed for Spot candidates (AWS advertises up to 90%; 60–70% is
    /// typical for general-purpose families in the Spot Instance Advisor).
    #[serde(deserialize_with = "range::discount_pct")]
    pub spot_discount_pct: f64,
    /// Instances that live less than this many hours and recur are Spot candidates.
    #[serde(deserialize_with = "range::positive")]
    pub short_lived_hours: f64,
    /// ...when such runs are seen on at least this many distinct days.
    #[serde(deserialize_with = "range::month_days")]
    pub short_lived_min_days: u32,
    /// Days of hourly usage before the end of the data that purchase sizing looks at: 7, 30 or
    /// 60, as AWS's own recommendations do.
    #[serde(deserialize_with = "range::lookback_days")]
    pub lookback_days: u32,
    /// The percentile of the lookback's hourly on-demand spend a purchase covers: 10 covers
    /// the level spend stays above 90% of the hours, so the commitment is nearly always used.
    #[serde(deserialize_with = "range::sizing_percentile")]
    pub sizing_percentile: f64,
    /// The products purchase sizing considers. Defaults: the 1-year, no-upfront product of
    /// each commitment type, at AWS's published typical discounts for m5/c5-class Linux in
    /// us-east-1 (Savings Plans and RI pricing pages), Google's published CUD rates for
    /// general-purpose machine families, and conservative figures for AWS's managed-database
    /// reservations and Azure, below the advertised maxima. Longer terms and upfront payment
    /// only when configured here.
    pub discounts: Vec<Discount>,
}

impl Default for RateRules {
    fn default() -> Self {
        let d = |product: &str, kind, discount_pct| Discount {
            product: product.into(),
            kind,
            term_years: 1,
            payment: Payment::NoUpfront,
            discount_pct,
        };
        use CommitmentKind::*;
        RateRules {
            expiry_window_days: 30,
            underused_below_pct: 95.0,
            spot_discount_pct: 65.0,
            short_lived_hours: 24.0,
            short_lived_min_days: 3,
            lookback_days: 30,
            sizing_percentile: 10.0,
            discounts: vec![
                d(
                    "Compute Savings Plan, 1 year, no upfront",
                    ComputeSavingsPlan,
                    27.0,
                ),
                d(
                    "EC2 Instance Savings Plan, 1 year, no upfront",
                    Ec2InstanceSavingsPlan,
                    35.0,
                ),
                d(
                    "Standard Reserved Instance, 1 year, no upfront",
                    ReservedInstance,
                    37.0,
                ),
                d(
                    "RDS reserved instance, 1 year, no upfront",
                    RdsReservedInstance,
                    30.0,
                ),
                d(
                    "ElastiCache reserved node, 1 year, no upfront",
                    ElastiCacheReservedNode,
                    30.0,
                ),
                d(
                    "OpenSearch reserved instance, 1 year, no upfront",
                    OpenSearchReservedInstance,
                    30.0,
                ),
                d(
                    "Redshift reserved node, 1 year, no upfront",
                    RedshiftReservedNode,
                    20.0,
                ),
                d(
                    "Azure savings plan for compute, 1 year",
                    AzureSavingsPlan,
                    15.0,
                ),
                d("Azure reserved VM instance, 1 year", AzureReservation, 35.0),
                d(
                    "Google flexible committed use discount, 1 year",
                    GoogleFlexibleCud,
                    28.0,
                ),
                d(
                    "Google resource-based committed use discount, 1 year",
                    GoogleResourceCud,
                    37.0,
                ),
            ],
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AnomalyRules {
    /// Days of history the baseline (rolling median) looks back over.
    #[serde(deserialize_with = "range::window_days")]
    pub window_days: u32,
    /// A day is anomalous when it is this many scaled MADs above the median...
    #[serde(deserialize_with = "range::positive")]
    pub sensitivity: f64,
    /// ...and its excess over the median is at least this much money.
    #[serde(deserialize_with = "range::non_negative")]
    pub min_impact: f64,
}

impl Default for AnomalyRules {
    fn default() -> Self {
        AnomalyRules {
            window_days: 14,
            sensitivity: 4.0,
            min_impact: 50.0,
        }
    }
}

/// A monthly budget for an account or for one value of the allocation tag.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub name: String,
    #[serde(deserialize_with = "range::positive")]
    pub amount: f64,
    /// The SubAccountId the budget applies to...
    pub account: Option<String>,
    /// ...or the value of the allocation tag.
    pub tag_value: Option<String>,
}

/// Policy gates: a breached gate makes the run exit 1 after writing the report.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Gates {
    #[serde(deserialize_with = "range::opt_pct")]
    pub min_tag_coverage_pct: Option<f64>,
    #[serde(deserialize_with = "range::opt_growth_pct")]
    pub max_mom_growth_pct: Option<f64>,
    #[serde(deserialize_with = "range::opt_pct")]
    pub min_commitment_utilization_pct: Option<f64>,
    #[serde(deserialize_with = "range::opt_non_negative")]
    pub max_anomaly_impact: Option<f64>,
    /// Breach when any budget is breached.
    pub budgets: Option<bool>,
}

impl Config {
    pub fn from_toml(text: &str, origin: &Path) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| {
            Error::Config(format!(
                "{}: {}",
                origin.display(),
                e.to_string().lines().collect::<Vec<_>>().join(" ")
            ))
        })?;
        config.validate(origin)?;
        Ok(config)
    }

    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!(
                "{}: cannot read the config file: {e}",
                path.display()
            ))
        })?;
        Config::from_toml(&text, path)
    }

    fn validate(&self, origin: &Path) -> Result<()> {
        let bad = |what: String| Err(Error::Config(format!("{}: {what}", origin.display())));
        let u = &self.usage;
        if u.business_hours_start >= u.business_hours_end {
            return bad(format!(
                "usage.business_hours_start ({}) must be before usage.business_hours_end ({})",
                u.business_hours_start, u.business_hours_end
            ));
        }
        for b in &self.budgets {
            if b.account.is_some() == b.tag_value.is_some() {
                return bad(format!(
                    "budget '{}': give exactly one of account or tag_value",
                    b.name
                ));
            }
        }
        Ok(())
    }
}

/// The documented range of every numeric option (see `data/costlens.example.toml`), checked
/// as the value is read: a NaN, an infinity or a value outside is an error that names the key
/// and its line, like a wrong type. A NaN gate would never breach, so cron would stay silent.
mod range {
    use std::fmt::Display;

    use serde::{de::Error, Deserialize, Deserializer};

    fn within<T: Display, E: Error>(value: T, ok: bool, range: &str) -> Result<T, E> {
        if ok {
            Ok(value)
        } else {
            Err(E::custom(format!(
                "{value} is out of range (expected {range})"
            )))
        }
    }

    /// `$name` reads a `$t` that `$ok` accepts (`option`: an optional one).
    macro_rules! ranged {
        ($name:ident: $t:ty, $ok:expr, $range:literal) => {
            pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let ok: fn($t) -> bool = $ok;
                let value = <$t>::deserialize(d)?;
                within(value, ok(value), $range)
            }
        };
        (option $name:ident: $t:ty, $ok:expr, $range:literal) => {
            pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$t>, D::Error> {
                let ok: fn($t) -> bool = $ok;
                Option::<$t>::deserialize(d)?
                    .map(|value| within(value, ok(value), $range))
                    .transpose()
            }
        };
    }

    ranged!(pct: f64, |v| (0.0..=100.0).contains(&v), "0 to 100");
    ranged!(option opt_pct: f64, |v| (0.0..=100.0).contains(&v), "0 to 100");
    ranged!(discount_pct: f64, |v| (0.0..100.0).contains(&v), "0 to below 100");
    ranged!(option opt_growth_pct: f64, |v| v.is_finite() && v >= -100.0, "-100 or more, finite");
    ranged!(non_negative: f64, |v| v.is_finite() && v >= 0.0, "0 or more, finite");
    ranged!(option opt_non_negative: f64, |v| v.is_finite() && v >= 0.0, "0 or more, finite");
    ranged!(positive: f64, |v| v.is_finite() && v > 0.0, "above 0, finite");
    ranged!(days: u32, |v| v <= 3650, "0 to 3650 days");
    ranged!(hour: u32, |v| v <= 24, "0 to 24");
    ranged!(term_years: u32, |v| (1..=5).contains(&v), "1 to 5 years");
    ranged!(month_days: u32, |v| (1..=31).contains(&v), "1 to 31 days");
    ranged!(window_days: u32, |v| (3..=366).contains(&v), "3 to 366 days");
    ranged!(lookback_days: u32, |v| [7, 30, 60].contains(&v), "7, 30 or 60 days");
    ranged!(sizing_percentile: f64, |v| v > 0.0 && v <= 50.0, "above 0, at most 50");
}

/// A commented example, written by `costlens init`.
pub const EXAMPLE: &str = include_str!("../data/costlens.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_form_of_the_tag_policy_parses() {
        let c = Config::from_toml(
            r#"
[tags]
required = ["team", "environment"]
[tags.aliases]
team = ["Team", "owner-team"]
[tags.allowed]
environment = ["prod", "staging", "dev"]
[gates]
min_tag_coverage_pct = 90
max_mom_growth_pct = 15
min_commitment_utilization_pct = 95
max_anomaly_impact = 500
"#,
            Path::new("costlens.toml"),
        )
        .unwrap();
        assert_eq!(c.tags.spellings("team"), vec!["team", "Team", "owner-team"]);
        assert_eq!(c.tags.allocation_key(), Some("team"));
        assert_eq!(c.gates.max_anomaly_impact, Some(500.0));
        assert_eq!(c.usage.snapshot_age_days, 90);
    }

    #[test]
    fn unknown_key_and_wrong_type_name_the_key_and_line() {
        let err = Config::from_toml("[tags]\nrequird = [\"team\"]\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("requird") && err.contains("line 2"), "{err}");
        let err = Config::from_toml(
            "[gates]\n\nmin_tag_coverage_pct = \"high\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("min_tag_coverage_pct") && err.contains("line 3"),
            "{err}"
        );
    }

    #[test]
    fn the_example_is_valid_and_complete() {
        let c = Config::from_toml(EXAMPLE, Path::new("example")).unwrap();
        assert_eq!(c.rate, RateRules::default());
        assert_eq!(c.usage, UsageRules::default());
        assert_eq!(c.report, ReportRules::default());
        assert!(EXAMPLE.contains("\n[report]\nmin_saving = 1.0\n"));
    }

    #[test]
    fn numbers_outside_their_range_name_the_key_and_line() {
        for (text, key, line) in [
            (
                "[gates]\nmin_tag_coverage_pct = nan\n",
                "min_tag_coverage_pct",
                2,
            ),
            (
                "[gates]\n\nmax_mom_growth_pct = inf\n",
                "max_mom_growth_pct",
                3,
            ),
            (
                "[gates]\nmax_anomaly_impact = -1\n",
                "max_anomaly_impact",
                2,
            ),
            (
                "[gates]\nmin_commitment_utilization_pct = 100.5\n",
                "min_commitment_utilization_pct",
                2,
            ),
            ("[usage]\nidle_cpu_max_pct = -0.1\n", "idle_cpu_max_pct", 2),
            ("[usage]\nebs_gp2_gb_month = nan\n", "ebs_gp2_gb_month", 2),
            (
                "[usage]\nbusiness_hours_end = 25\n",
                "business_hours_end",
                2,
            ),
            ("[rate]\nspot_discount_pct = 100\n", "spot_discount_pct", 2),
            ("[rate]\nshort_lived_hours = 0\n", "short_lived_hours", 2),
            ("[anomaly]\nsensitivity = -inf\n", "sensitivity", 2),
            ("[anomaly]\nwindow_days = 2\n", "window_days", 2),
            (
                "[[budgets]]\nname = \"x\"\naccount = \"1\"\namount = nan\n",
                "amount",
                4,
            ),
            (
                "[[rate.discounts]]\nproduct = \"p\"\nkind = \"reserved-instance\"\n\
                 term_years = 1\ndiscount_pct = 120\n",
                "discount_pct",
                5,
            ),
        ] {
            let err = Config::from_toml(text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(key) && err.contains(&format!("line {line}")),
                "{text}: {err}"
            );
            assert!(err.contains("out of range"), "{text}: {err}");
        }
        // The edges are inside.
        let edges = "[gates]\nmin_tag_coverage_pct = 100\nmax_mom_growth_pct = -100\n\
                     max_anomaly_impact = 0\n[usage]\nbusiness_hours_start = 0\n\
                     business_hours_end = 24\n";
        assert!(Config::from_toml(edges, Path::new("c.toml")).is_ok());
    }

    #[test]
    fn budgets_need_one_scope() {
        let err = Config::from_toml(
            "[[budgets]]\nname = \"x\"\namount = 10\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("exactly one"));
    }
}

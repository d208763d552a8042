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
    /// 10 or the first screen's actions; findings.csv lists them all.
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
    pub snapshot_age_days: u32,
    /// Non-production instances running at least this share of the period's hours are
    /// scheduling candidates.
    pub offhours_min_uptime_pct: f64,
    /// The schedule non-production instances should keep: hours (UTC) on weekdays.
    pub business_hours_start: u32,
    pub business_hours_end: u32,
    /// Utilisation: idle below this CPU maximum.
    pub idle_cpu_max_pct: f64,
    /// Utilisation: one size smaller when CPU p95 and memory p95 are both below these.
    pub downsize_cpu_p95_pct: f64,
    pub downsize_mem_p95_pct: f64,
    /// EBS list prices per GB-month (us-east-1, aws.amazon.com/ebs/pricing).
    pub ebs_gp2_gb_month: f64,
    pub ebs_gp3_gb_month: f64,
    pub ebs_io1_gb_month: f64,
    pub ebs_io1_iops_month: f64,
    /// gp3 includes 3,000 IOPS; above that this price per IOPS-month.
    pub ebs_gp3_iops_month: f64,
    pub ebs_gp3_free_iops: f64,
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
        }
    }
}

/// One commitment product the purchase sizing considers.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Discount {
    /// Shown in the report: "Compute Savings Plan, 1 year, no upfront".
    pub product: String,
    /// `compute-savings-plan`, `ec2-instance-savings-plan`, `reserved-instance` (AWS),
    /// `azure-savings-plan`, `azure-reservation` (Azure), `google-flexible-cud`,
    /// `google-resource-cud` (Google Cloud).
    pub kind: CommitmentKind,
    pub term_years: u32,
    /// Discount off on-demand, in percent.
    pub discount_pct: f64,
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
    pub expiry_window_days: u32,
    /// Commitments used below this share are findings.
    pub underused_below_pct: f64,
    /// Spot discount assumed for Spot candidates (AWS advertises up to 90%; 60–70% is
    /// typical for general-purpose families in the Spot Instance Advisor).
    pub spot_discount_pct: f64,
    /// Instances that live less than this many hours and recur are Spot candidates.
    pub short_lived_hours: f64,
    /// ...when such runs are seen on at least this many distinct days.
    pub short_lived_min_days: u32,
    /// The products purchase sizing considers (defaults: AWS's published typical discounts
    /// for m5/c5-class Linux in us-east-1, Savings Plans and RI pricing pages; Google's
    /// published CUD rates for general-purpose machine families; conservative figures for
    /// Azure, below Microsoft's advertised maxima).
    pub discounts: Vec<Discount>,
}

impl Default for RateRules {
    fn default() -> Self {
        let d = |product: &str, kind, term_years, discount_pct| Discount {
            product: product.into(),
            kind,
            term_years,
            discount_pct,
        };
        use CommitmentKind::*;
        RateRules {
            expiry_window_days: 30,
            underused_below_pct: 95.0,
            spot_discount_pct: 65.0,
            short_lived_hours: 24.0,
            short_lived_min_days: 3,
            discounts: vec![
                d(
                    "Compute Savings Plan, 1 year, no upfront",
                    ComputeSavingsPlan,
                    1,
                    27.0,
                ),
                d(
                    "Compute Savings Plan, 1 year, partial upfront",
                    ComputeSavingsPlan,
                    1,
                    30.0,
                ),
                d(
                    "Compute Savings Plan, 1 year, all upfront",
                    ComputeSavingsPlan,
                    1,
                    32.0,
                ),
                d(
                    "Compute Savings Plan, 3 years, no upfront",
                    ComputeSavingsPlan,
                    3,
                    46.0,
                ),
                d(
                    "Compute Savings Plan, 3 years, partial upfront",
                    ComputeSavingsPlan,
                    3,
                    50.0,
                ),
                d(
                    "Compute Savings Plan, 3 years, all upfront",
                    ComputeSavingsPlan,
                    3,
                    52.0,
                ),
                d(
                    "EC2 Instance Savings Plan, 1 year, no upfront",
                    Ec2InstanceSavingsPlan,
                    1,
                    35.0,
                ),
                d(
                    "EC2 Instance Savings Plan, 1 year, partial upfront",
                    Ec2InstanceSavingsPlan,
                    1,
                    38.0,
                ),
                d(
                    "EC2 Instance Savings Plan, 1 year, all upfront",
                    Ec2InstanceSavingsPlan,
                    1,
                    40.0,
                ),
                d(
                    "EC2 Instance Savings Plan, 3 years, no upfront",
                    Ec2InstanceSavingsPlan,
                    3,
                    55.0,
                ),
                d(
                    "EC2 Instance Savings Plan, 3 years, partial upfront",
                    Ec2InstanceSavingsPlan,
                    3,
                    58.0,
                ),
                d(
                    "EC2 Instance Savings Plan, 3 years, all upfront",
                    Ec2InstanceSavingsPlan,
                    3,
                    60.0,
                ),
                d(
                    "Standard Reserved Instance, 1 year, no upfront",
                    ReservedInstance,
                    1,
                    37.0,
                ),
                d(
                    "Standard Reserved Instance, 1 year, all upfront",
                    ReservedInstance,
                    1,
                    41.0,
                ),
                d(
                    "Standard Reserved Instance, 3 years, all upfront",
                    ReservedInstance,
                    3,
                    62.0,
                ),
                d(
                    "Azure savings plan for compute, 1 year",
                    AzureSavingsPlan,
                    1,
                    15.0,
                ),
                d(
                    "Azure savings plan for compute, 3 years",
                    AzureSavingsPlan,
                    3,
                    35.0,
                ),
                d(
                    "Azure reserved VM instance, 1 year",
                    AzureReservation,
                    1,
                    35.0,
                ),
                d(
                    "Azure reserved VM instance, 3 years",
                    AzureReservation,
                    3,
                    55.0,
                ),
                d(
                    "Google flexible committed use discount, 1 year",
                    GoogleFlexibleCud,
                    1,
                    28.0,
                ),
                d(
                    "Google flexible committed use discount, 3 years",
                    GoogleFlexibleCud,
                    3,
                    46.0,
                ),
                d(
                    "Google resource-based committed use discount, 1 year",
                    GoogleResourceCud,
                    1,
                    37.0,
                ),
                d(
                    "Google resource-based committed use discount, 3 years",
                    GoogleResourceCud,
                    3,
                    55.0,
                ),
            ],
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AnomalyRules {
    /// Days of history the baseline (rolling median) looks back over.
    pub window_days: u32,
    /// A day is anomalous when it is this many scaled MADs above the median...
    pub sensitivity: f64,
    /// ...and its excess over the median is at least this much money.
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
    pub min_tag_coverage_pct: Option<f64>,
    pub max_mom_growth_pct: Option<f64>,
    pub min_commitment_utilization_pct: Option<f64>,
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
        if u.business_hours_start >= u.business_hours_end || u.business_hours_end > 24 {
            return bad(format!(
                "usage.business_hours_start ({}) must be before usage.business_hours_end ({}), \
                 within 0..=24",
                u.business_hours_start, u.business_hours_end
            ));
        }
        for d in &self.rate.discounts {
            if !(0.0..100.0).contains(&d.discount_pct) {
                return bad(format!(
                    "rate.discounts '{}': discount_pct must be in 0..100",
                    d.product
                ));
            }
        }
        for b in &self.budgets {
            if b.account.is_some() == b.tag_value.is_some() {
                return bad(format!(
                    "budget '{}': give exactly one of account or tag_value",
                    b.name
                ));
            }
        }
        if self.anomaly.window_days < 3 {
            return bad("anomaly.window_days must be at least 3".into());
        }
        if !(self.report.min_saving.is_finite() && self.report.min_saving >= 0.0) {
            return bad("report.min_saving must be a figure of 0 or more".into());
        }
        Ok(())
    }
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
    fn budgets_need_one_scope() {
        let err = Config::from_toml(
            "[[budgets]]\nname = \"x\"\namount = 10\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("exactly one"));
    }
}

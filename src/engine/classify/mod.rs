//! The classifier: the one place that reads a provider's own strings (AWS usage types and
//! operations, FOCUS ServiceSubcategory/ResourceType/SkuPriceDetails, each provider's meter and
//! description text) and turns every aggregated row into a [`LineKind`].
//!
//! Two routes, chosen per row:
//! - **AWS CUR** rows (they carry a usage type, `x_UsageType`, which only AWS bills have) follow
//!   [`aws`], from the usage type, operation, product code, instance type and line item type.
//! - **FOCUS** rows from any provider follow [`focus`], from the standard FOCUS columns, with
//!   each provider's own vocabulary as data in [`aws`], [`azure`], [`google`] and [`oracle`]
//!   (their [`Hints`]).
//!
//! Besides the per-row classification (Rust, on grouped rows, memoised per distinct set of
//! facts), [`compute_lines`] and [`compute_class`] say per line which lines are compute a
//! commitment could cover: the hourly aggregate needs that before it groups.
//!
//! ## How to add a provider
//! 1. Add it to [`Provider`] (with the ProviderName spellings it bills under).
//! 2. Write its [`Hints`] (volume types, snapshot, IP, NAT, load-balancer and platform words,
//!    orchestrator tags) in a module of its own, with a test on the strings its bills carry.
//! 3. Say in [`gap`] which signals its bills cannot show, so the report names them.

pub mod aws;
pub mod aws_split;
pub mod azure;
pub mod focus;
pub mod google;
pub mod oracle;

use polars::prelude::*;

use super::kinds::*;
use super::lines::Source;
use crate::schema::{self, charge_category, pricing_category};

/// What the classifier reads about one aggregated row; every field as the data has it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Facts<'a> {
    pub provider: Provider,
    pub charge_category: Option<&'a str>,
    pub pricing_category: Option<&'a str>,
    pub service_code: Option<&'a str>,
    pub service_name: Option<&'a str>,
    pub service_category: Option<&'a str>,
    pub service_subcategory: Option<&'a str>,
    pub resource_type: Option<&'a str>,
    pub usage_type: Option<&'a str>,
    pub operation: Option<&'a str>,
    pub instance_type: Option<&'a str>,
    pub line_item_type: Option<&'a str>,
    pub commitment_id: Option<&'a str>,
    pub commitment_status: Option<&'a str>,
    pub pricing_unit: Option<&'a str>,
    pub description: Option<&'a str>,
    pub sku_meter: Option<&'a str>,
    /// FOCUS SkuPriceDetails, a JSON object as text.
    pub sku_details: Option<&'a str>,
}

/// Each provider's vocabulary for the kinds FOCUS columns do not spell out: matched,
/// lower-cased, against the row's resource type, SKU meter and charge description.
pub struct Hints {
    /// The size of a disk billed by size tier, from the row's words.
    pub disk_tier_gib: fn(&str) -> Option<u32>,
    /// Words that name a block-volume type, most specific first.
    pub volume_types: &'static [(&'static str, VolumeType)],
    /// Words of a provisioned-IOPS or provisioned-throughput line of a volume.
    pub volume_iops: &'static [&'static str],
    pub volume_throughput: &'static [&'static str],
    /// Words of a volume's I/O request or transaction line.
    pub volume_requests: &'static [&'static str],
    pub snapshot: &'static [&'static str],
    /// Words of an address the bill says is attached to nothing.
    pub idle_ip: &'static [&'static str],
    pub public_ip: &'static [&'static str],
    pub nat_gateway: &'static [&'static str],
    pub load_balancer: &'static [&'static str],
    /// Words of a Spot, preemptible or low-priority VM.
    pub spot: &'static [&'static str],
    /// Platform words in a VM's description or SkuPriceDetails `OperatingSystem`, most specific
    /// first.
    pub platforms: &'static [(&'static str, Platform)],
    /// Tag keys (lower-cased, substring) set by the provider's own orchestrators.
    pub orchestrators: &'static [(&'static str, Orchestrator)],
}

/// Who runs an instance, from provider-set tags: all of them replace an interrupted instance,
/// so Spot fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Orchestrator {
    AutoScalingGroup,
    KubernetesNodePool,
    HadoopCluster,
    BatchEnvironment,
    ScaleSet,
}

impl Orchestrator {
    /// The name a practitioner on `provider` knows it by.
    pub fn label(self, provider: Provider) -> &'static str {
        match (self, provider) {
            (Orchestrator::AutoScalingGroup, _) => "Auto Scaling group",
            (Orchestrator::KubernetesNodePool, Provider::Aws) => "EKS node group",
            (Orchestrator::KubernetesNodePool, Provider::Azure) => "AKS node pool",
            (Orchestrator::KubernetesNodePool, Provider::Google) => "GKE node pool",
            (Orchestrator::KubernetesNodePool, _) => "Kubernetes node pool",
            (Orchestrator::HadoopCluster, Provider::Google) => "Dataproc cluster",
            (Orchestrator::HadoopCluster, _) => "EMR cluster",
            (Orchestrator::BatchEnvironment, Provider::Aws) => "AWS Batch compute environment",
            (Orchestrator::BatchEnvironment, _) => "batch compute environment",
            (Orchestrator::ScaleSet, Provider::Google) => "managed instance group",
            (Orchestrator::ScaleSet, _) => "VM scale set",
        }
    }
}

/// For providers that bill disks by capacity, not by size tier.
pub fn no_tiers(_: &str) -> Option<u32> {
    None
}

pub fn hints(provider: Provider) -> &'static Hints {
    match provider {
        Provider::Aws => &aws::HINTS,
        Provider::Azure => &azure::HINTS,
        Provider::Google => &google::HINTS,
        Provider::Oracle => &oracle::HINTS,
        Provider::Other => &focus::NO_HINTS,
    }
}

/// The kind of one row.
pub fn classify(facts: &Facts) -> LineKind {
    match facts.charge_category {
        Some(charge_category::TAX) => return LineKind::Tax,
        Some(charge_category::CREDIT) => return LineKind::Credit,
        _ => {}
    }
    if facts.usage_type.is_some() {
        aws::classify(facts)
    } else {
        focus::classify(facts)
    }
}

/// FOCUS PricingCategory as the kinds say it.
pub fn pricing_of(category: Option<&str>) -> Pricing {
    match category {
        Some(pricing_category::STANDARD) => Pricing::OnDemand,
        Some(pricing_category::COMMITTED) => Pricing::Committed,
        Some(pricing_category::DYNAMIC) => Pricing::Spot,
        _ => Pricing::Other,
    }
}

/// The orchestrator a set of tag keys reveals, for the row's provider (any provider's tags
/// count: a FOCUS export may carry another cloud's keys through tag mapping).
pub fn orchestrator<'a>(keys: impl Iterator<Item = &'a str>) -> Option<Orchestrator> {
    OrchestratorReader::default().read(keys)
}

/// Reads [`orchestrator`]s row after row, each distinct tag key normalised and matched once:
/// a month's millions of resource rows carry a few hundred keys.
#[derive(Default)]
pub struct OrchestratorReader<'a>(foldhash::HashMap<&'a str, Option<(usize, Orchestrator)>>);

impl<'a> OrchestratorReader<'a> {
    pub fn read(&mut self, keys: impl Iterator<Item = &'a str>) -> Option<Orchestrator> {
        keys.filter_map(|key| *self.0.entry(key).or_insert_with(|| revealed_by(key)))
            .min_by_key(|(rank, _)| *rank)
            .map(|(_, o)| o)
    }
}

/// The orchestrator one tag key reveals, with the rank of its marker among all providers'
/// (the first marker wins when a row's keys reveal several).
fn revealed_by(key: &str) -> Option<(usize, Orchestrator)> {
    let key: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    Provider::ALL
        .iter()
        .flat_map(|p| hints(*p).orchestrators)
        .enumerate()
        .find_map(|(rank, (marker, o))| key.contains(marker).then_some((rank, *o)))
}

/// Reads a canonical column of the lines a query runs over (per line or per source group).
pub type Columns<'a> = &'a Source<'a>;

/// Whose strings a source's lines carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    /// AWS CUR columns only (the grouped route of a CUR): the AWS rules suffice.
    AwsCur,
    /// The canonical frame, which may hold any provider's lines.
    Any,
}

/// The canonical columns the classifier reads beyond those every resource row has: the
/// operation for AWS, and for FOCUS the category, SKU and description columns.
pub fn facts(vocabulary: Vocabulary) -> &'static [&'static str] {
    match vocabulary {
        Vocabulary::AwsCur => &[schema::X_OPERATION],
        Vocabulary::Any => &[
            schema::X_OPERATION,
            schema::SERVICE_CATEGORY,
            schema::SERVICE_SUBCATEGORY,
            schema::SKU_METER,
            schema::SKU_PRICE_DETAILS,
            schema::CHARGE_DESCRIPTION,
        ],
    }
}

/// Compute lines a commitment could cover, per line: AWS instance hours of EC2 and of the managed
/// database, cache, search and warehouse services, Fargate and Lambda (from the usage type), and
/// FOCUS instance hours and serverless lines (from the category and subcategory with an
/// instance type). Only usage lines count; the charge category is checked on the grouped rows,
/// where it costs nothing.
pub fn compute_lines(c: Columns) -> Expr {
    match c.vocabulary {
        Vocabulary::AwsCur => aws::compute_lines(c),
        Vocabulary::Any => {
            let aws_rows = c.col(schema::X_USAGE_TYPE).is_not_null();
            aws::compute_lines(c).or(aws_rows.not().and(focus::compute_lines(c)))
        }
    }
}

/// Among [`compute_lines`], which [`ComputeClass`] a line is, as an integer column (cheap to
/// group by).
pub fn compute_class(c: Columns) -> Expr {
    match c.vocabulary {
        Vocabulary::AwsCur => aws::compute_class(c),
        Vocabulary::Any => when(c.col(schema::X_USAGE_TYPE).is_not_null())
            .then(aws::compute_class(c))
            .otherwise(focus::compute_class(c)),
    }
}

/// Split cost allocation lines (a pod's or task's share of an instance; only AWS CURs carry
/// them), their platform, cluster and namespace or service: see [`aws_split`].
pub use aws_split::{container_cluster, container_group, container_lines, container_platform};

/// What a reservation of this compute must match besides its type and region, named for the
/// report, from the platform code of an hourly row: `None` for what reservations are sold for by
/// default (Linux instances) or where the bill does not say.
pub fn reservation_platform(
    provider: Provider,
    class: ComputeClass,
    code: Option<&str>,
) -> Option<String> {
    match provider {
        Provider::Aws => aws::reservation_platform(class, code?),
        _ => None,
    }
}

/// What runs on an hour of compute, from its platform code (the same reading as the instance
/// inventory's), `Unknown` where the code does not say.
pub fn compute_platform(provider: Provider, class: ComputeClass, code: Option<&str>) -> Platform {
    let service = match class {
        ComputeClass::Instance => InstanceService::VirtualMachine,
        ComputeClass::Database => InstanceService::Database,
        ComputeClass::Cache => InstanceService::Cache,
        ComputeClass::Search => InstanceService::Search,
        ComputeClass::Warehouse => InstanceService::Warehouse,
        ComputeClass::Serverless => return Platform::Unknown,
    };
    match provider {
        Provider::Aws => aws::platform(service, code),
        _ => Platform::Unknown,
    }
}

/// What [`compute_class`] tells apart: which commitments could cover a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComputeClass {
    /// A VM instance hour: reservations, instance-scoped and spend-based plans cover it.
    Instance = 1,
    /// Serverless compute: only spend-based plans cover it.
    Serverless = 2,
    /// Managed database, cache, search and warehouse nodes: their own reservations cover them.
    Database = 3,
    Cache = 4,
    Search = 5,
    Warehouse = 6,
}

impl ComputeClass {
    pub const ALL: [ComputeClass; 6] = [
        ComputeClass::Instance,
        ComputeClass::Serverless,
        ComputeClass::Database,
        ComputeClass::Cache,
        ComputeClass::Search,
        ComputeClass::Warehouse,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: Option<i64>) -> Option<ComputeClass> {
        ComputeClass::ALL
            .into_iter()
            .find(|c| Some(i64::from(c.code())) == code)
    }
}

/// A signal a rule needs that a provider's bills cannot show (not a gap in the data at hand,
/// which the rules report themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Whether a public IP is attached to anything.
    IdleAddress,
    /// An instance catalog with modernisation paths.
    InstanceCatalog,
    /// Volume types with a cheaper or better successor.
    VolumeUpgrades,
    /// Commitment products costlens can size.
    CommitmentProducts,
}

/// Why `provider`'s bills cannot support `signal`, or None when they can.
pub fn gap(provider: Provider, signal: Signal) -> Option<&'static str> {
    match (provider, signal) {
        (Provider::Azure, Signal::IdleAddress) => {
            Some("Azure bills a public IP the same whether or not it is attached to anything")
        }
        (Provider::Oracle, Signal::IdleAddress) => {
            Some("OCI does not charge for reserved public IPs, attached or not")
        }
        (Provider::Oracle, Signal::InstanceCatalog) => {
            Some("costlens has no catalog of OCI shapes and their successors")
        }
        (Provider::Oracle, Signal::VolumeUpgrades) => {
            Some("OCI block volumes have one type; their performance units are set per volume")
        }
        (Provider::Oracle, Signal::CommitmentProducts) => {
            Some("OCI commitments are account-wide Universal Credits, not sized per workload")
        }
        (Provider::Other, _) => Some("costlens has no rules for this provider's strings"),
        _ => None,
    }
}

/// The name of `provider`'s infrequent-access object-storage class.
pub fn infrequent_access_class(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => "S3 Standard-IA",
        Provider::Azure => "the Cool access tier",
        Provider::Google => "Nearline storage",
        Provider::Oracle => "the Infrequent Access tier",
        Provider::Other => "an infrequent-access class",
    }
}

/// Why the volume `resource_id` of `provider` cannot change to `successor`, if it cannot.
pub fn volume_change_blocked(
    provider: Provider,
    resource_id: &str,
    successor: VolumeType,
) -> Option<&'static str> {
    match provider {
        Provider::Azure => azure::successor_blocked(resource_id, successor),
        _ => None,
    }
}

/// A value of a FOCUS SkuPriceDetails JSON object (numbers and booleans as their JSON text).
pub fn sku_detail(details: Option<&str>, key: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(details?).ok()?;
    match value.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Lower-cased text a provider's words are matched against: resource type, SKU meter,
/// charge description and service name.
fn words(facts: &Facts) -> String {
    [
        facts.resource_type,
        facts.sku_meter,
        facts.description,
        facts.service_name,
    ]
    .iter()
    .flatten()
    .map(|s| s.to_lowercase())
    .collect::<Vec<_>>()
    .join(" | ")
}

fn any_of(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

fn first_match<T: Copy>(text: &str, table: &[(&str, T)]) -> Option<T> {
    table
        .iter()
        .find(|(w, _)| text.contains(w))
        .map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_from_their_focus_names() {
        assert_eq!(Provider::from_name(Some("AWS")), Provider::Aws);
        assert_eq!(
            Provider::from_name(Some("Amazon Web Services")),
            Provider::Aws
        );
        assert_eq!(Provider::from_name(Some("Microsoft")), Provider::Azure);
        assert_eq!(Provider::from_name(Some("Google Cloud")), Provider::Google);
        assert_eq!(Provider::from_name(Some("Oracle")), Provider::Oracle);
        assert_eq!(Provider::from_name(Some("Snowflake")), Provider::Other);
        assert_eq!(Provider::from_name(None), Provider::Other);
    }

    #[test]
    fn orchestrators_from_provider_tags_in_any_spelling() {
        assert_eq!(
            orchestrator(["aws:autoscaling:groupName"].into_iter()),
            Some(Orchestrator::AutoScalingGroup)
        );
        assert_eq!(
            orchestrator(["aws:eks:cluster-name"].into_iter()),
            Some(Orchestrator::KubernetesNodePool)
        );
        assert_eq!(
            orchestrator(["aks-managed-poolName"].into_iter()),
            Some(Orchestrator::KubernetesNodePool)
        );
        assert_eq!(
            orchestrator(["goog-k8s-cluster-name"].into_iter()),
            Some(Orchestrator::KubernetesNodePool)
        );
        assert_eq!(orchestrator(["team"].into_iter()), None);
    }

    #[test]
    fn the_first_marker_wins_whatever_the_key_order_and_rows_before() {
        // An EMR cluster's nodes run in an Auto Scaling group: the group marker comes first.
        let emr = "aws:elasticmapreduce:job-flow-id";
        let group = "aws:autoscaling:groupName";
        let mut reader = OrchestratorReader::default();
        for keys in [[emr, group], [group, emr]] {
            assert_eq!(
                reader.read(keys.into_iter()),
                Some(Orchestrator::AutoScalingGroup)
            );
        }
        assert_eq!(
            reader.read([emr, "team"].into_iter()),
            Some(Orchestrator::HadoopCluster)
        );
        assert_eq!(reader.read(["team"].into_iter()), None);
    }

    #[test]
    fn sku_details_read_from_json() {
        let d = Some(r#"{"InstanceType":"m6i.large","CoreCount":2,"x_Tenancy":"Shared"}"#);
        assert_eq!(sku_detail(d, "InstanceType").as_deref(), Some("m6i.large"));
        assert_eq!(sku_detail(d, "CoreCount").as_deref(), Some("2"));
        assert_eq!(sku_detail(d, "Missing"), None);
        assert_eq!(sku_detail(Some("not json"), "InstanceType"), None);
    }
}

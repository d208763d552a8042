//! What a billing line is, decided once by the classifier ([`super::classify`]) for every
//! provider, so that analysers never read a provider's strings. Every resource row of the
//! aggregates carries one [`LineKind`]; the rules match on kinds and their attributes.
//!
//! ## How to add a kind
//! 1. Add the variant (with the attributes a rule needs, in provider-neutral terms) here.
//! 2. Teach each provider's rules in [`super::classify`] to recognise it, with a unit test per
//!    provider on the strings that provider bills with.
//! 3. If a provider's bills cannot show it, say so in [`super::classify::gap`], so the report
//!    names the gap instead of printing an empty table.

use std::fmt;

/// The cloud a line was billed by (from ProviderName / ServiceProviderName, or the source format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Provider {
    Aws,
    Azure,
    Google,
    Oracle,
    #[default]
    Other,
}

impl Provider {
    /// The provider named by a FOCUS `ProviderName` (or `ServiceProviderName`) value.
    pub fn from_name(name: Option<&str>) -> Provider {
        let Some(name) = name else {
            return Provider::Other;
        };
        let lower = name.trim().to_ascii_lowercase();
        if lower == "aws" || lower.starts_with("amazon") {
            Provider::Aws
        } else if lower.contains("microsoft") || lower.contains("azure") {
            Provider::Azure
        } else if lower.contains("google") || lower == "gcp" {
            Provider::Google
        } else if lower.contains("oracle") || lower == "oci" {
            Provider::Oracle
        } else {
            Provider::Other
        }
    }

    pub const ALL: [Provider; 4] = [
        Provider::Aws,
        Provider::Azure,
        Provider::Google,
        Provider::Oracle,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Provider::Aws => "AWS",
            Provider::Azure => "Azure",
            Provider::Google => "Google Cloud",
            Provider::Oracle => "OCI",
            Provider::Other => "other providers",
        }
    }
}

/// How an hour of compute was priced (FOCUS PricingCategory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pricing {
    /// Standard: on-demand, pay as you go.
    OnDemand,
    /// Covered by a reservation, savings plan or committed-use discount.
    Committed,
    /// Spot, preemptible, low-priority: interruptible capacity at a market price.
    Spot,
    /// Anything else (free tier, other).
    Other,
}

/// What runs on the instance, as far as its price is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    /// Linux or another OS without a licence in the price: runs on any architecture.
    Linux,
    /// Windows, licence included.
    Windows,
    /// Windows with the licence brought by the customer.
    WindowsByol,
    /// A Linux distribution whose licence is in the price (RHEL, SUSE, Ubuntu Pro).
    LicensedLinux,
    /// SQL Server (or another database licence) in the price.
    SqlServer,
    /// The bill does not say.
    Unknown,
}

impl Platform {
    /// Whether the price includes a software licence (so a price ratio of the bare instance
    /// types does not apply to the whole cost, and arm64 is not an option).
    pub fn licence_included(self) -> bool {
        matches!(
            self,
            Platform::Windows | Platform::LicensedLinux | Platform::SqlServer
        )
    }

    /// Whether arm64 (Graviton, Ampere, Axion, Cobalt) can run it.
    pub fn runs_on_arm(self) -> bool {
        self == Platform::Linux
    }

    pub fn label(self) -> &'static str {
        match self {
            Platform::Linux => "Linux",
            Platform::Windows => "Windows",
            Platform::WindowsByol => "Windows (BYOL)",
            Platform::LicensedLinux => "licence-included Linux",
            Platform::SqlServer => "SQL Server",
            Platform::Unknown => "unknown platform",
        }
    }
}

/// The managed service that runs an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceService {
    VirtualMachine,
    Database,
    Cache,
    Search,
    Warehouse,
}

/// An hour (or part) of a provisioned instance: a VM, or a managed database, cache, search or
/// warehouse node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceHours {
    /// The provider's name of the size: `m5.large`, `Standard_D4s_v5`, `n2-standard-4`.
    pub class: String,
    pub service: InstanceService,
    pub platform: Platform,
    pub pricing: Pricing,
}

/// Block-volume types by provider. Each provider bills them under its own names; the label is
/// the name a practitioner knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VolumeType {
    AwsGp2,
    AwsGp3,
    AwsIo1,
    AwsIo2,
    /// EBS magnetic (`standard`).
    AwsMagnetic,
    AwsSt1,
    AwsSc1,
    AzureStandardHdd,
    AzureStandardSsd,
    AzurePremiumSsd,
    AzurePremiumSsdV2,
    AzureUltra,
    GooglePdStandard,
    GooglePdBalanced,
    GooglePdSsd,
    GooglePdExtreme,
    GoogleHyperdisk,
    OracleBlock,
    Unknown,
}

impl VolumeType {
    /// The type a label names (the inverse of [`VolumeType::label`]).
    pub fn from_label(label: &str) -> Option<VolumeType> {
        VolumeType::ALL.into_iter().find(|t| t.label() == label)
    }

    pub const ALL: [VolumeType; 19] = [
        VolumeType::AwsGp2,
        VolumeType::AwsGp3,
        VolumeType::AwsIo1,
        VolumeType::AwsIo2,
        VolumeType::AwsMagnetic,
        VolumeType::AwsSt1,
        VolumeType::AwsSc1,
        VolumeType::AzureStandardHdd,
        VolumeType::AzureStandardSsd,
        VolumeType::AzurePremiumSsd,
        VolumeType::AzurePremiumSsdV2,
        VolumeType::AzureUltra,
        VolumeType::GooglePdStandard,
        VolumeType::GooglePdBalanced,
        VolumeType::GooglePdSsd,
        VolumeType::GooglePdExtreme,
        VolumeType::GoogleHyperdisk,
        VolumeType::OracleBlock,
        VolumeType::Unknown,
    ];

    pub fn label(self) -> &'static str {
        match self {
            VolumeType::AwsGp2 => "gp2",
            VolumeType::AwsGp3 => "gp3",
            VolumeType::AwsIo1 => "io1",
            VolumeType::AwsIo2 => "io2",
            VolumeType::AwsMagnetic => "magnetic",
            VolumeType::AwsSt1 => "st1",
            VolumeType::AwsSc1 => "sc1",
            VolumeType::AzureStandardHdd => "Standard HDD",
            VolumeType::AzureStandardSsd => "Standard SSD",
            VolumeType::AzurePremiumSsd => "Premium SSD",
            VolumeType::AzurePremiumSsdV2 => "Premium SSD v2",
            VolumeType::AzureUltra => "Ultra Disk",
            VolumeType::GooglePdStandard => "pd-standard",
            VolumeType::GooglePdBalanced => "pd-balanced",
            VolumeType::GooglePdSsd => "pd-ssd",
            VolumeType::GooglePdExtreme => "pd-extreme",
            VolumeType::GoogleHyperdisk => "Hyperdisk",
            VolumeType::OracleBlock => "OCI block volume",
            VolumeType::Unknown => "block volume",
        }
    }
}

/// Which part of a block volume's price a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VolumePart {
    /// Provisioned capacity (GB-months, or a disk size tier per month).
    Storage,
    /// Provisioned IOPS.
    Iops,
    /// Provisioned throughput.
    Throughput,
    /// I/O requests or transactions.
    Requests,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Volume {
    pub volume_type: VolumeType,
    pub part: VolumePart,
    /// The size of a disk billed by size tier (Azure `P10` = 128 GiB), whose quantity is then
    /// disk-months rather than GB-months.
    pub tier_gib: Option<u32>,
}

impl Volume {
    /// The GiB-months a storage line's quantity stands for: itself, or disk-months × the tier's
    /// size for a disk billed by size tier.
    pub fn gib_months(&self, quantity: f64) -> f64 {
        quantity * self.tier_gib.map_or(1.0, f64::from)
    }
}

/// Object-storage classes, provider-neutral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StorageClass {
    /// S3 Standard, Azure Hot, Google Standard, OCI Standard.
    Standard,
    /// S3 Standard-IA / One Zone-IA, Azure Cool, Google Nearline.
    InfrequentAccess,
    /// S3 Glacier Instant Retrieval, Azure Cold, Google Coldline.
    ColdInstant,
    /// S3 Glacier Flexible / Deep Archive, Azure Archive, Google Archive, OCI Archive.
    Archive,
    /// S3 Intelligent-Tiering, Google Autoclass.
    AutoTiering,
    Unknown,
}

/// Which part of an object store's price a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectPart {
    Storage,
    /// GET and SELECT requests (S3 Tier 2, Azure read operations).
    Reads,
    /// PUT, COPY, POST and LIST requests (S3 Tier 1, Azure write operations).
    Writes,
    /// Requests the bill does not say are reads or writes.
    Requests,
    Retrieval,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectStorage {
    pub class: StorageClass,
    pub part: ObjectPart,
}

/// Where transferred bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Between availability zones of one region.
    InterZone,
    /// Between regions.
    InterRegion,
    /// Out to the internet.
    Out,
    /// In from the internet (usually free).
    In,
    Other,
}

/// Which part of a NAT gateway's or load balancer's price a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GatewayPart {
    /// Being provisioned, per hour.
    Hours,
    /// What it processes: bytes, or load-balancer capacity units.
    Bytes,
}

/// A managed database's storage (RDS and the like), billed apart from its instance hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DatabaseStorage {
    pub volume_type: VolumeType,
    pub part: VolumePart,
    /// Multi-AZ storage is billed twice (one copy per zone).
    pub multi_az: bool,
}

/// What a billing line is. One per resource row; rules match on these.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum LineKind {
    Instance(InstanceHours),
    /// Functions and serverless containers (Lambda, Fargate, Azure Functions, Cloud Run): covered
    /// by spend-based commitments, never by reservations.
    Serverless,
    Volume(Volume),
    /// A block-volume snapshot or backup.
    Snapshot,
    /// A public IPv4 address; `idle` when the bill says it is attached to nothing.
    PublicIp {
        idle: bool,
    },
    ObjectStorage(ObjectStorage),
    NatGateway(GatewayPart),
    DataTransfer(Direction),
    LoadBalancer(GatewayPart),
    DatabaseStorage(DatabaseStorage),
    /// A reservation's or savings plan's own charge: its purchase, its recurring fee, or its
    /// unused part.
    CommitmentFee,
    /// A line that only cancels the on-demand cost of covered usage (AWS SavingsPlanNegation).
    CommitmentNegation,
    Support,
    Tax,
    Credit,
    #[default]
    Other,
}

impl LineKind {
    pub fn instance(&self) -> Option<&InstanceHours> {
        match self {
            LineKind::Instance(i) => Some(i),
            _ => None,
        }
    }

    pub fn volume(&self) -> Option<Volume> {
        match self {
            LineKind::Volume(v) => Some(*v),
            _ => None,
        }
    }

    /// Compute that commitments can cover (instances and serverless), priced on demand or
    /// committed (Spot is never covered).
    pub fn is_commitment_eligible(&self) -> bool {
        match self {
            LineKind::Instance(i) => matches!(i.pricing, Pricing::OnDemand | Pricing::Committed),
            LineKind::Serverless => true,
            _ => false,
        }
    }
}

impl fmt::Display for LineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineKind::Instance(i) => write!(f, "instance hours ({})", i.class),
            LineKind::Serverless => f.write_str("serverless compute"),
            LineKind::Volume(v) => write!(f, "{} volume", v.volume_type.label()),
            LineKind::Snapshot => f.write_str("snapshot"),
            LineKind::PublicIp { idle: true } => f.write_str("idle public IP"),
            LineKind::PublicIp { idle: false } => f.write_str("public IP"),
            LineKind::ObjectStorage(_) => f.write_str("object storage"),
            LineKind::NatGateway(_) => f.write_str("NAT gateway"),
            LineKind::DataTransfer(_) => f.write_str("data transfer"),
            LineKind::LoadBalancer(_) => f.write_str("load balancer"),
            LineKind::DatabaseStorage(_) => f.write_str("database storage"),
            LineKind::CommitmentFee => f.write_str("commitment fee"),
            LineKind::CommitmentNegation => f.write_str("commitment negation"),
            LineKind::Support => f.write_str("support"),
            LineKind::Tax => f.write_str("tax"),
            LineKind::Credit => f.write_str("credit"),
            LineKind::Other => f.write_str("other"),
        }
    }
}

/// Kinds for hand-made analyser fixtures.
#[cfg(test)]
impl LineKind {
    /// A Linux VM hour of `class`.
    pub fn vm(class: &str, pricing: Pricing) -> LineKind {
        LineKind::Instance(InstanceHours {
            class: class.to_string(),
            service: InstanceService::VirtualMachine,
            platform: Platform::Linux,
            pricing,
        })
    }

    pub fn disk(volume_type: VolumeType, part: VolumePart) -> LineKind {
        LineKind::Volume(Volume {
            volume_type,
            part,
            tier_gib: None,
        })
    }
}

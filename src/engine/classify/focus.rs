//! FOCUS rows from any provider: the standard columns first (ServiceCategory and
//! ServiceSubcategory, PricingCategory, CommitmentDiscountStatus, PricingUnit, and the
//! instance type the importer reads from SkuPriceDetails), then the provider's words
//! ([`super::Hints`]) for what FOCUS does not spell out (volume types, snapshots, idle IPs).

use polars::prelude::*;

use super::{
    any_of, aws, first_match, hints, no_tiers, pricing_of, sku_detail, words, Columns,
    ComputeClass, Facts, Hints,
};
use crate::engine::kinds::*;
use crate::schema::{self, charge_category, commitment_status};

/// The vocabulary of a provider costlens has no rules for: only the standard columns count.
pub const NO_HINTS: Hints = Hints {
    disk_tier_gib: no_tiers,
    volume_types: &[],
    volume_iops: &[],
    volume_throughput: &[],
    volume_requests: &[],
    snapshot: &[],
    idle_ip: &[],
    public_ip: &[],
    nat_gateway: &[],
    load_balancer: &[],
    spot: &[],
    platforms: &[],
    orchestrators: &[],
};

/// Resource types that are the commitment itself (its purchase, or its unused hours).
const COMMITMENT_RESOURCES: [&str; 4] = [
    "reserved instance",
    "savings plan",
    "reservation",
    "committed use discount",
];

fn is_hours(unit: Option<&str>) -> bool {
    unit.is_some_and(|u| {
        let u = u.to_ascii_lowercase();
        u.contains("hour") || u.contains("hrs")
    })
}

fn instance_service(f: &Facts) -> InstanceService {
    match (f.service_subcategory, f.service_category) {
        (Some("Relational Databases" | "NoSQL Databases" | "Other (Databases)"), _) => {
            InstanceService::Database
        }
        (Some("Caching"), _) => InstanceService::Cache,
        (Some("Data Warehouses"), _) => InstanceService::Warehouse,
        (Some("Search"), _) => InstanceService::Search,
        (Some(_), _) => InstanceService::VirtualMachine,
        (None, Some("Databases")) => InstanceService::Database,
        (None, _) => InstanceService::VirtualMachine,
    }
}

pub fn classify(f: &Facts) -> LineKind {
    let text = words(f);
    let h = hints(f.provider);
    let resource_type = f.resource_type.unwrap_or_default().to_lowercase();
    if f.commitment_status == Some(commitment_status::UNUSED)
        || (f.charge_category == Some(charge_category::PURCHASE) && f.commitment_id.is_some())
        || COMMITMENT_RESOURCES.contains(&resource_type.as_str())
    {
        return LineKind::CommitmentFee;
    }
    if f.service_subcategory == Some("Support")
        || f.service_name
            .is_some_and(|s| s.to_lowercase().contains("support"))
    {
        return LineKind::Support;
    }
    let class = f.instance_type.map(String::from).or_else(|| {
        (f.provider == Provider::Aws)
            .then(|| f.description.and_then(aws::instance_from_description))
            .flatten()
    });
    if let (Some(class), true) = (class, is_hours(f.pricing_unit)) {
        let os = sku_detail(f.sku_details, "OperatingSystem").map(|s| s.to_lowercase());
        let platform = os
            .as_deref()
            .and_then(|os| first_match(os, h.platforms))
            .or_else(|| first_match(&text, h.platforms))
            .unwrap_or(Platform::Unknown);
        let preemptible = sku_detail(f.sku_details, "x_Preemptible").as_deref() == Some("true");
        let pricing = if preemptible || any_of(&text, h.spot) {
            Pricing::Spot
        } else {
            pricing_of(f.pricing_category)
        };
        return LineKind::Instance(InstanceHours {
            class,
            service: instance_service(f),
            platform,
            pricing,
        });
    }
    if f.service_subcategory == Some("Serverless Compute") {
        return LineKind::Serverless;
    }
    if any_of(&text, h.snapshot) {
        return LineKind::Snapshot;
    }
    let volume_type = first_match(&text, h.volume_types);
    if volume_type.is_some() || f.service_subcategory == Some("Block Storage") {
        let part = if any_of(&text, h.volume_iops) {
            VolumePart::Iops
        } else if any_of(&text, h.volume_throughput) {
            VolumePart::Throughput
        } else if any_of(&text, h.volume_requests) {
            VolumePart::Requests
        } else {
            VolumePart::Storage
        };
        return LineKind::Volume(Volume {
            volume_type: volume_type.unwrap_or(VolumeType::Unknown),
            part,
            tier_gib: (h.disk_tier_gib)(&text),
        });
    }
    if any_of(&text, h.idle_ip) {
        return LineKind::PublicIp { idle: true };
    }
    if any_of(&text, h.public_ip) {
        return LineKind::PublicIp { idle: false };
    }
    if any_of(&text, h.nat_gateway) {
        return LineKind::NatGateway(if is_hours(f.pricing_unit) {
            GatewayPart::Hours
        } else {
            GatewayPart::Bytes
        });
    }
    if any_of(&text, h.load_balancer) {
        return LineKind::LoadBalancer(if is_hours(f.pricing_unit) {
            GatewayPart::Hours
        } else {
            GatewayPart::Bytes
        });
    }
    if f.service_subcategory == Some("Object Storage")
        || resource_type.contains("bucket")
        || resource_type == "storage account"
    {
        return object_storage(f, &text);
    }
    if text.contains("data transfer") || sku_detail(f.sku_details, "x_TransferType").is_some() {
        return LineKind::DataTransfer(direction(f, &text));
    }
    LineKind::Other
}

fn object_storage(f: &Facts, text: &str) -> LineKind {
    let class_text = sku_detail(f.sku_details, "StorageClass")
        .unwrap_or_else(|| text.to_string())
        .to_lowercase();
    let class = if class_text.contains("intelligent") || class_text.contains("autoclass") {
        StorageClass::AutoTiering
    } else if ["infrequent", "cool", "nearline"]
        .iter()
        .any(|w| class_text.contains(w))
    {
        StorageClass::InfrequentAccess
    } else if ["instant retrieval", "coldline", "cold"]
        .iter()
        .any(|w| class_text.contains(w))
    {
        StorageClass::ColdInstant
    } else if ["archive", "glacier"]
        .iter()
        .any(|w| class_text.contains(w))
    {
        StorageClass::Archive
    } else if ["standard", "hot"].iter().any(|w| class_text.contains(w)) {
        StorageClass::Standard
    } else {
        StorageClass::Unknown
    };
    let unit = f.pricing_unit.unwrap_or_default().to_lowercase();
    let part = if unit.contains("month") {
        ObjectPart::Storage
    } else if text.contains("retrieval") {
        ObjectPart::Retrieval
    } else if ["get ", "read"].iter().any(|w| text.contains(w)) {
        ObjectPart::Reads
    } else if ["put", "write", "list"].iter().any(|w| text.contains(w)) {
        ObjectPart::Writes
    } else if ["request", "operation", "transaction"]
        .iter()
        .any(|w| unit.contains(w) || text.contains(w))
    {
        ObjectPart::Requests
    } else {
        ObjectPart::Other
    };
    LineKind::ObjectStorage(ObjectStorage { class, part })
}

fn direction(f: &Facts, text: &str) -> Direction {
    let detail = sku_detail(f.sku_details, "x_TransferType")
        .unwrap_or_default()
        .to_lowercase();
    let said = |words: &[&str]| words.iter().any(|w| detail.contains(w) || text.contains(w));
    if said(&[
        "interaz",
        "inter-az",
        "inter zone",
        "inter-zone",
        "intra region",
    ]) {
        Direction::InterZone
    } else if said(&["interregion", "inter-region", "inter region"]) {
        Direction::InterRegion
    } else if said(&["data transfer in", "inbound", "ingress"]) {
        Direction::In
    } else if said(&["internet", "egress", "out"]) {
        Direction::Out
    } else {
        Direction::Other
    }
}

/// Per line: FOCUS instance hours (an instance type on an hourly unit, of compute or of a
/// managed database) and serverless compute.
pub fn compute_lines(c: Columns) -> Expr {
    let hourly = c
        .col(schema::PRICING_UNIT)
        .str()
        .contains(lit("(?i)hour|hrs"), false)
        .fill_null(lit(false));
    let category = c.col(schema::SERVICE_CATEGORY);
    let instance = c
        .col(schema::X_INSTANCE_TYPE)
        .is_not_null()
        .and(hourly)
        .and(
            category
                .clone()
                .eq(lit("Compute"))
                .or(category.eq(lit("Databases"))),
        );
    let serverless = c
        .col(schema::SERVICE_SUBCATEGORY)
        .eq(lit("Serverless Compute"));
    instance.or(serverless).fill_null(lit(false))
}

/// Among [`compute_lines`]: serverless and the database classes by subcategory (as the
/// per-row rules tell them), the rest instances.
pub fn compute_class(c: Columns) -> Expr {
    let sub = c.col(schema::SERVICE_SUBCATEGORY);
    let is = |values: &[&str]| {
        values
            .iter()
            .map(|v| sub.clone().eq(lit(*v)))
            .reduce(Expr::or)
            .expect("at least one value")
            .fill_null(lit(false))
    };
    when(is(&["Serverless Compute"]))
        .then(lit(ComputeClass::Serverless.code()))
        .when(is(&["Caching"]))
        .then(lit(ComputeClass::Cache.code()))
        .when(is(&["Data Warehouses"]))
        .then(lit(ComputeClass::Warehouse.code()))
        .when(is(&["Search"]))
        .then(lit(ComputeClass::Search.code()))
        .when(
            is(&[
                "Relational Databases",
                "NoSQL Databases",
                "Other (Databases)",
            ])
            .or(sub
                .clone()
                .is_null()
                .and(c.col(schema::SERVICE_CATEGORY).eq(lit("Databases")))
                .fill_null(lit(false))),
        )
        .then(lit(ComputeClass::Database.code()))
        .otherwise(lit(ComputeClass::Instance.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(provider: Provider, description: &'a str) -> Facts<'a> {
        Facts {
            provider,
            charge_category: Some("Usage"),
            pricing_category: Some("Standard"),
            description: Some(description),
            ..Facts::default()
        }
    }

    fn volume_of(kind: LineKind) -> (VolumeType, VolumePart) {
        let v = kind
            .volume()
            .unwrap_or_else(|| panic!("a volume: {kind:?}"));
        (v.volume_type, v.part)
    }

    #[test]
    fn azure_disks_snapshots_and_addresses() {
        let kind = |d| classify(&facts(Provider::Azure, d));
        assert_eq!(
            volume_of(kind("Premium SSD Managed Disks - P4 LRS - US East")),
            (VolumeType::AzurePremiumSsd, VolumePart::Storage)
        );
        assert_eq!(
            volume_of(kind("Premium SSD v2 - Provisioned IOPS")),
            (VolumeType::AzurePremiumSsdV2, VolumePart::Iops)
        );
        assert_eq!(
            volume_of(kind("Standard HDD Managed Disks - S10 LRS Disk Operations")),
            (VolumeType::AzureStandardHdd, VolumePart::Requests)
        );
        assert_eq!(
            kind("Standard HDD Managed Disks - LRS Snapshot"),
            LineKind::Snapshot
        );
        assert_eq!(
            kind("IP Addresses - Standard IPv4 Static Public IP"),
            LineKind::PublicIp { idle: false }
        );
    }

    #[test]
    fn google_disks_snapshots_and_idle_addresses() {
        let kind = |d| classify(&facts(Provider::Google, d));
        assert_eq!(
            volume_of(kind("Storage PD Capacity in Americas")),
            (VolumeType::GooglePdStandard, VolumePart::Storage)
        );
        assert_eq!(
            volume_of(kind("Balanced PD Capacity")),
            (VolumeType::GooglePdBalanced, VolumePart::Storage)
        );
        assert_eq!(kind("Storage PD Snapshot in EU"), LineKind::Snapshot);
        assert_eq!(kind("Static Ip Charge"), LineKind::PublicIp { idle: true });
        assert_eq!(
            kind("External IP Charge on a Standard VM"),
            LineKind::PublicIp { idle: false }
        );
    }

    #[test]
    fn oci_block_volumes() {
        let kind = |d| classify(&facts(Provider::Oracle, d));
        assert_eq!(
            volume_of(kind("Block Volume - Performance Units")),
            (VolumeType::OracleBlock, VolumePart::Iops)
        );
        assert_eq!(kind("Block Volume Backup - Storage"), LineKind::Snapshot);
    }

    #[test]
    fn instances_from_sku_price_details_with_platform_and_spot() {
        let details = r#"{"InstanceType":"Standard_D4s_v3","OperatingSystem":"Windows"}"#;
        let mut f = facts(Provider::Azure, "Virtual Machines Dv3 Series");
        f.instance_type = Some("Standard_D4s_v3");
        f.pricing_unit = Some("Hours");
        f.sku_details = Some(details);
        f.service_category = Some("Compute");
        f.service_subcategory = Some("Virtual Machines");
        let i = classify(&f);
        let i = i.instance().expect("an instance hour");
        assert_eq!(
            (i.service, i.platform, i.pricing),
            (
                InstanceService::VirtualMachine,
                Platform::Windows,
                Pricing::OnDemand
            )
        );
        f.description = Some("Virtual Machines Dv3 Series - D4s v3 Spot");
        f.sku_details = None;
        assert_eq!(classify(&f).instance().unwrap().pricing, Pricing::Spot);
        f.pricing_unit = Some("GB");
        assert!(classify(&f).instance().is_none(), "not an hourly unit");
    }

    #[test]
    fn aws_focus_rows_without_usage_types() {
        let mut f = facts(
            Provider::Aws,
            "$0.34 per On Demand Linux c5.2xlarge Instance Hour",
        );
        f.pricing_unit = Some("Hours");
        let i = classify(&f);
        assert_eq!(i.instance().unwrap().class, "c5.2xlarge");
        assert_eq!(i.instance().unwrap().platform, Platform::Linux);
        assert_eq!(
            classify(&facts(
                Provider::Aws,
                "$0.005 per Idle public IPv4 address per hour"
            )),
            LineKind::PublicIp { idle: true }
        );
        assert_eq!(
            volume_of(classify(&facts(
                Provider::Aws,
                "$0.114 per GB-month of General Purpose SSD (gp2) provisioned storage - Asia Pacific (Mumbai)"
            ))),
            (VolumeType::AwsGp2, VolumePart::Storage)
        );
        assert_eq!(
            classify(&facts(
                Provider::Aws,
                "$0.05 per GB-Month of snapshot data stored - US West (Oregon)"
            )),
            LineKind::Snapshot
        );
    }

    #[test]
    fn commitments_and_object_storage_from_standard_columns() {
        let mut unused = facts(Provider::Google, "Commitment v1: Cores");
        unused.commitment_status = Some("Unused");
        assert_eq!(classify(&unused), LineKind::CommitmentFee);
        let mut bucket = facts(Provider::Azure, "Hot LRS Data Stored");
        bucket.service_subcategory = Some("Object Storage");
        bucket.pricing_unit = Some("GB-Months");
        assert_eq!(
            classify(&bucket),
            LineKind::ObjectStorage(ObjectStorage {
                class: StorageClass::Standard,
                part: ObjectPart::Storage
            })
        );
    }
}

//! AWS: CUR rows by usage type, operation, product code and line item type (the patterns of
//! `shared/notes/usage-types.md`, as AWS's own CID and Well-Architected SQL match them: by
//! substring, so the region prefix `EUW2-` needs no stripping), and the words of AWS's FOCUS
//! export, which has no usage type, in [`HINTS`].

use polars::prelude::*;

use super::{no_tiers, pricing_of, Columns, ComputeClass, Facts, Hints, Orchestrator};
use crate::engine::kinds::*;
use crate::schema;

pub const HINTS: Hints = Hints {
    disk_tier_gib: no_tiers,
    volume_types: &[
        ("(gp2)", VolumeType::AwsGp2),
        ("of gp2", VolumeType::AwsGp2),
        ("(gp3)", VolumeType::AwsGp3),
        ("of gp3", VolumeType::AwsGp3),
        ("(io1)", VolumeType::AwsIo1),
        ("of io1", VolumeType::AwsIo1),
        ("(io2)", VolumeType::AwsIo2),
        ("of io2", VolumeType::AwsIo2),
        ("(st1)", VolumeType::AwsSt1),
        ("(sc1)", VolumeType::AwsSc1),
        ("magnetic provisioned storage", VolumeType::AwsMagnetic),
    ],
    volume_iops: &["provisioned iops-month"],
    volume_throughput: &["provisioned mibps-month", "provisioned throughput"],
    volume_requests: &["million i/o requests"],
    snapshot: &["snapshot data stored"],
    idle_ip: &["idle public ipv4", "elastic ip address not attached"],
    public_ip: &["public ipv4 address", "elastic ip address"],
    nat_gateway: &["nat gateway"],
    load_balancer: &[
        "loadbalancer-hour",
        "load balancer-hour",
        "load balancer capacity unit",
    ],
    spot: &["spot instance"],
    platforms: &[
        ("windows with sql", Platform::SqlServer),
        ("sql server", Platform::SqlServer),
        ("windows byol", Platform::WindowsByol),
        ("windows", Platform::Windows),
        ("rhel", Platform::LicensedLinux),
        ("red hat", Platform::LicensedLinux),
        ("suse", Platform::LicensedLinux),
        ("ubuntu pro", Platform::LicensedLinux),
        ("linux", Platform::Linux),
    ],
    orchestrators: &[
        ("autoscaling_group", Orchestrator::AutoScalingGroup),
        ("eks_cluster", Orchestrator::KubernetesNodePool),
        ("eks_nodegroup", Orchestrator::KubernetesNodePool),
        ("elasticmapreduce", Orchestrator::HadoopCluster),
        ("batch_compute", Orchestrator::BatchEnvironment),
    ],
};

/// Usage-type words of an instance hour, and the service that runs the instance.
const INSTANCE_USAGE: [(&str, InstanceService); 8] = [
    ("BoxUsage", InstanceService::VirtualMachine),
    ("SpotUsage", InstanceService::VirtualMachine),
    ("DedicatedUsage", InstanceService::VirtualMachine),
    ("InstanceUsage", InstanceService::Database),
    ("Multi-AZUsage", InstanceService::Database),
    ("NodeUsage", InstanceService::Cache),
    ("ESInstance", InstanceService::Search),
    ("Node:", InstanceService::Warehouse),
];

const SUPPORT_CODES: [&str; 4] = [
    "AWSSupportBusiness",
    "AWSSupportEnterprise",
    "AWSDeveloperSupport",
    "AWSSupportEnterpriseOnRamp",
];

/// The part of `text` after `pattern`, if it contains it.
fn after<'a>(text: &'a str, pattern: &str) -> Option<&'a str> {
    text.find(pattern).map(|at| &text[at + pattern.len()..])
}

/// EBS volume type from the suffix of `EBS:VolumeUsage…` / `EBS:VolumeP-IOPS…`.
fn ebs_type(suffix: &str) -> VolumeType {
    match suffix {
        "" => VolumeType::AwsMagnetic,
        ".gp2" => VolumeType::AwsGp2,
        ".gp3" => VolumeType::AwsGp3,
        ".piops" | ".io1" => VolumeType::AwsIo1,
        ".io2" => VolumeType::AwsIo2,
        ".st1" => VolumeType::AwsSt1,
        ".sc1" => VolumeType::AwsSc1,
        _ => VolumeType::Unknown,
    }
}

/// The platform an EC2 reservation is sold for (Linux needs no name), or the engine of an RDS
/// one (AWS "Billing and usage codes": CreateDBInstance:0002 is MySQL...).
pub fn reservation_platform(class: ComputeClass, operation: &str) -> Option<String> {
    let code = operation.split_once(':').map(|(_, c)| c);
    match class {
        ComputeClass::Instance => {
            match platform(InstanceService::VirtualMachine, Some(operation)) {
                Platform::Linux | Platform::Unknown => None,
                other => Some(other.label().to_string()),
            }
        }
        ComputeClass::Database => Some(
            match code? {
                "0002" => "MySQL",
                "0014" => "PostgreSQL",
                "0016" => "Aurora MySQL",
                "0018" => "MariaDB",
                "0021" => "Aurora PostgreSQL",
                other => return Some(format!("engine code {other}")),
            }
            .to_string(),
        ),
        _ => None,
    }
}

/// What the operation code says runs on an EC2 instance (AWS "Billing and usage codes for
/// platform details"), or which engine an RDS instance runs (open-source engines run on
/// Graviton; Oracle and SQL Server do not).
pub fn platform(service: InstanceService, operation: Option<&str>) -> Platform {
    let Some(operation) = operation else {
        return Platform::Unknown;
    };
    let code = operation.split_once(':').map(|(_, c)| c);
    match service {
        InstanceService::VirtualMachine => match code {
            None if operation == "RunInstances" => Platform::Linux,
            Some("0002") => Platform::Windows,
            Some("0800") => Platform::WindowsByol,
            Some(
                "0006" | "0102" | "0202" | "0004" | "0100" | "0200" | "0014" | "0110" | "0210",
            ) => Platform::SqlServer,
            Some("0010" | "1010" | "000g" | "0g00") => Platform::LicensedLinux,
            Some("00g0") => Platform::Linux,
            _ => Platform::Unknown,
        },
        InstanceService::Database => match code {
            Some("0002" | "0014" | "0016" | "0018" | "0021") => Platform::Linux,
            Some(_) => Platform::SqlServer,
            None => Platform::Unknown,
        },
        InstanceService::Cache | InstanceService::Search => Platform::Linux,
        InstanceService::Warehouse => Platform::Unknown,
    }
}

/// A CUR row's kind (tax and credits are decided before, for every provider).
pub fn classify(f: &Facts) -> LineKind {
    match f.line_item_type {
        Some("SavingsPlanNegation") => return LineKind::CommitmentNegation,
        Some("RIFee" | "SavingsPlanRecurringFee" | "SavingsPlanUpfrontFee") => {
            return LineKind::CommitmentFee
        }
        Some("Fee") if f.commitment_id.is_some() => return LineKind::CommitmentFee,
        _ => {}
    }
    let code = f.service_code.unwrap_or_default();
    if SUPPORT_CODES.contains(&code) {
        return LineKind::Support;
    }
    let u = f.usage_type.unwrap_or_default();
    if u.contains("ElasticIP:IdleAddress") || u.contains("PublicIPv4:IdleAddress") {
        return LineKind::PublicIp { idle: true };
    }
    if u.contains("ElasticIP:") || u.contains("PublicIPv4:") {
        return LineKind::PublicIp { idle: false };
    }
    let volume = |suffix: &str, part| {
        LineKind::Volume(Volume {
            volume_type: ebs_type(suffix),
            part,
            tier_gib: None,
        })
    };
    if let Some(suffix) = after(u, "EBS:VolumeUsage") {
        return volume(suffix, VolumePart::Storage);
    }
    if let Some(suffix) = after(u, "EBS:VolumeP-IOPS") {
        return volume(suffix, VolumePart::Iops);
    }
    if let Some(suffix) = after(u, "EBS:VolumeP-Throughput") {
        return volume(suffix, VolumePart::Throughput);
    }
    if u.contains("EBS:VolumeIOUsage") {
        return volume("", VolumePart::Requests);
    }
    if u.contains("SnapshotUsage") {
        return LineKind::Snapshot;
    }
    if let (Some(class), Some((_, service))) = (
        f.instance_type,
        INSTANCE_USAGE.iter().find(|(w, _)| u.contains(w)),
    ) {
        return LineKind::Instance(InstanceHours {
            class: class.to_string(),
            service: *service,
            platform: platform(*service, f.operation),
            pricing: pricing_of(f.pricing_category),
        });
    }
    if u.contains("Fargate") || (code == "AWSLambda" && u.contains("GB-Second")) {
        return LineKind::Serverless;
    }
    if u.contains("NatGateway-Hours") {
        return LineKind::NatGateway(GatewayPart::Hours);
    }
    if u.contains("NatGateway-Bytes") {
        return LineKind::NatGateway(GatewayPart::Bytes);
    }
    if u.contains("LoadBalancerUsage") {
        return LineKind::LoadBalancer(GatewayPart::Hours);
    }
    if u.contains("LCUUsage") || (code == "AWSELB" && u.contains("DataProcessing-Bytes")) {
        return LineKind::LoadBalancer(GatewayPart::Bytes);
    }
    if let Some(storage) = rds_storage(u) {
        return LineKind::DatabaseStorage(storage);
    }
    if u.contains("DataTransfer-Regional-Bytes") {
        return LineKind::DataTransfer(Direction::InterZone);
    }
    if u.contains("-AWS-Out-Bytes") || u.contains("-AWS-In-Bytes") {
        return LineKind::DataTransfer(Direction::InterRegion);
    }
    if u.contains("DataTransfer-Out-Bytes") || u.contains("CloudFront-Out-Bytes") {
        return LineKind::DataTransfer(Direction::Out);
    }
    if u.contains("DataTransfer-In-Bytes") {
        return LineKind::DataTransfer(Direction::In);
    }
    if code == "AmazonS3" {
        return s3(u);
    }
    LineKind::Other
}

/// RDS storage usage types: `RDS:GP2-Storage`, `RDS:GP3-Storage`, `RDS:PIOPS-Storage` (io1),
/// `RDS:PIOPS` (its IOPS), `RDS:StorageIOUsage` (magnetic I/O), each also `RDS:Multi-AZ-…`.
fn rds_storage(u: &str) -> Option<DatabaseStorage> {
    let rest = &u[u.find("RDS:")? + 4..];
    let multi_az = rest.starts_with("Multi-AZ-");
    let rest = rest.trim_start_matches("Multi-AZ-");
    let (volume_type, part) = match rest {
        "GP2-Storage" => (VolumeType::AwsGp2, VolumePart::Storage),
        "GP3-Storage" => (VolumeType::AwsGp3, VolumePart::Storage),
        "PIOPS-Storage" => (VolumeType::AwsIo1, VolumePart::Storage),
        "PIOPS" => (VolumeType::AwsIo1, VolumePart::Iops),
        "IO2-Storage" => (VolumeType::AwsIo2, VolumePart::Storage),
        "IO2-PIOPS" => (VolumeType::AwsIo2, VolumePart::Iops),
        "StorageUsage" => (VolumeType::AwsMagnetic, VolumePart::Storage),
        "StorageIOUsage" => (VolumeType::AwsMagnetic, VolumePart::Requests),
        _ => return None,
    };
    Some(DatabaseStorage {
        volume_type,
        part,
        multi_az,
    })
}

/// S3 usage types (S3 user guide, "Understanding your AWS billing and usage reports").
fn s3(u: &str) -> LineKind {
    let class = if u.contains("-INT-") {
        StorageClass::AutoTiering
    } else if u.contains("SIA") || u.contains("ZIA") {
        StorageClass::InfrequentAccess
    } else if u.contains("GIR") {
        StorageClass::ColdInstant
    } else if u.contains("Glacier") || u.contains("GDA") {
        StorageClass::Archive
    } else {
        StorageClass::Standard
    };
    let part = if u.contains("TimedStorage") {
        ObjectPart::Storage
    } else if u.contains("Requests-") && u.ends_with("Tier2") {
        ObjectPart::Reads
    } else if u.contains("Requests-") && u.ends_with("Tier1") {
        ObjectPart::Writes
    } else if u.contains("Requests-") {
        ObjectPart::Requests
    } else if u.contains("Retrieval-") {
        ObjectPart::Retrieval
    } else {
        ObjectPart::Other
    };
    LineKind::ObjectStorage(ObjectStorage { class, part })
}

/// AWS's FOCUS export has no usage type: the instance type and platform of an instance hour are
/// in its description (`$0.34 per On Demand Linux c5.2xlarge Instance Hour`,
/// `USD 0.023 per db.t3.micro Single-AZ instance hour … running SQL Server Exp (LI)`).
pub fn instance_from_description(description: &str) -> Option<String> {
    description
        .split_whitespace()
        .find(|word| {
            let parts: Vec<&str> = word.split('.').collect();
            let family_ok = |p: &str| {
                p.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            };
            match parts.as_slice() {
                [family, size] => family_ok(family) && is_size(size),
                ["db" | "cache", family, size] => family_ok(family) && is_size(size),
                _ => false,
            }
        })
        .map(String::from)
}

fn is_size(size: &str) -> bool {
    crate::catalog::SIZES.iter().any(|(s, _)| *s == size) || size == "metal"
}

/// Per line: AWS compute a commitment can cover: instance hours (EC2 on demand, Spot, reserved
/// or plan-covered; RDS, ElastiCache, OpenSearch and Redshift nodes), Fargate and Lambda.
pub fn compute_lines(c: Columns) -> Expr {
    let usage_type = c.col(schema::X_USAGE_TYPE);
    // Each search reads every line's usage type: the instance words are one regex (one pass
    // over the text instead of one per word; the searches were 8% of a 10M-line analysis).
    let has = |pattern: &str, literal: bool| {
        let pattern = lit(pattern.to_string());
        let text = usage_type.clone().str();
        if literal {
            text.contains_literal(pattern)
        } else {
            text.contains(pattern, true)
        }
    };
    let words: Vec<&str> = INSTANCE_USAGE.iter().map(|(w, _)| *w).collect();
    let instance = c
        .col(schema::X_INSTANCE_TYPE)
        .is_not_null()
        .and(has(&words.join("|"), false));
    let fargate = has("Fargate", true);
    let lambda = c
        .col(schema::X_SERVICE_CODE)
        .eq(lit("AWSLambda"))
        .and(has("GB-Second", true));
    instance.or(fargate).or(lambda)
}

/// Among [`compute_lines`]: the class by product code (EC2 instances, the managed services'
/// nodes), the rest serverless.
pub fn compute_class(c: Columns) -> Expr {
    let code = c.col(schema::X_SERVICE_CODE);
    [
        ("AmazonEC2", ComputeClass::Instance),
        ("AmazonRDS", ComputeClass::Database),
        ("AmazonElastiCache", ComputeClass::Cache),
        ("AmazonES", ComputeClass::Search),
        ("AmazonRedshift", ComputeClass::Warehouse),
    ]
    .into_iter()
    .rev()
    .fold(
        lit(ComputeClass::Serverless.code()),
        |otherwise, (service, class)| {
            when(code.clone().eq(lit(service)))
                .then(lit(class.code()))
                .otherwise(otherwise)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(code: &'a str, usage: &'a str) -> Facts<'a> {
        Facts {
            provider: Provider::Aws,
            charge_category: Some("Usage"),
            pricing_category: Some("Standard"),
            service_code: Some(code),
            usage_type: Some(usage),
            line_item_type: Some("Usage"),
            ..Facts::default()
        }
    }

    #[test]
    fn reservations_are_named_by_platform_and_engine() {
        let name = reservation_platform;
        assert_eq!(name(ComputeClass::Instance, "RunInstances"), None);
        assert_eq!(
            name(ComputeClass::Instance, "RunInstances:0002").as_deref(),
            Some("Windows")
        );
        assert_eq!(
            name(ComputeClass::Database, "CreateDBInstance:0014").as_deref(),
            Some("PostgreSQL")
        );
        assert_eq!(
            name(ComputeClass::Database, "CreateDBInstance:0002").as_deref(),
            Some("MySQL")
        );
        assert_eq!(name(ComputeClass::Cache, "CreateCacheCluster:0002"), None);
    }

    #[test]
    fn volumes_snapshots_and_addresses_by_usage_type() {
        let kind = |u| classify(&facts("AmazonEC2", u));
        assert_eq!(
            kind("APS2-EBS:VolumeUsage.gp2"),
            LineKind::disk(VolumeType::AwsGp2, VolumePart::Storage)
        );
        assert_eq!(
            kind("EBS:VolumeUsage").volume().unwrap().volume_type,
            VolumeType::AwsMagnetic
        );
        assert_eq!(
            kind("EBS:VolumeP-IOPS.piops"),
            LineKind::disk(VolumeType::AwsIo1, VolumePart::Iops)
        );
        assert_eq!(
            kind("EBS:VolumeP-Throughput.gp3").volume().unwrap().part,
            VolumePart::Throughput
        );
        assert_eq!(kind("EBS:SnapshotUsage"), LineKind::Snapshot);
        assert_eq!(
            kind("USE2-ElasticIP:IdleAddress"),
            LineKind::PublicIp { idle: true }
        );
        assert_eq!(
            classify(&facts("AmazonVPC", "PublicIPv4:InUseAddress")),
            LineKind::PublicIp { idle: false }
        );
        assert_eq!(
            kind("NatGateway-Bytes"),
            LineKind::NatGateway(GatewayPart::Bytes)
        );
        assert_eq!(
            kind("USE1-USW2-AWS-Out-Bytes"),
            LineKind::DataTransfer(Direction::InterRegion)
        );
        assert_eq!(
            classify(&facts("AmazonS3", "TimedStorage-SIA-ByteHrs")),
            LineKind::ObjectStorage(ObjectStorage {
                class: StorageClass::InfrequentAccess,
                part: ObjectPart::Storage
            })
        );
    }

    #[test]
    fn database_storage_balancers_and_s3_requests() {
        assert_eq!(
            classify(&facts("AmazonRDS", "USE2-RDS:Multi-AZ-PIOPS-Storage")),
            LineKind::DatabaseStorage(DatabaseStorage {
                volume_type: VolumeType::AwsIo1,
                part: VolumePart::Storage,
                multi_az: true
            })
        );
        assert_eq!(
            classify(&facts("AmazonRDS", "RDS:PIOPS")),
            LineKind::DatabaseStorage(DatabaseStorage {
                volume_type: VolumeType::AwsIo1,
                part: VolumePart::Iops,
                multi_az: false
            })
        );
        assert_eq!(
            classify(&facts("AWSELB", "USE2-LoadBalancerUsage")),
            LineKind::LoadBalancer(GatewayPart::Hours)
        );
        assert_eq!(
            classify(&facts("AWSELB", "LCUUsage")),
            LineKind::LoadBalancer(GatewayPart::Bytes)
        );
        let part = |u| match classify(&facts("AmazonS3", u)) {
            LineKind::ObjectStorage(o) => o.part,
            other => panic!("{other:?}"),
        };
        assert_eq!(part("Requests-Tier2"), ObjectPart::Reads);
        assert_eq!(part("EUW2-Requests-Tier1"), ObjectPart::Writes);
    }

    #[test]
    fn instance_hours_with_service_platform_and_pricing() {
        let mut f = facts("AmazonEC2", "BoxUsage:m5.large");
        f.instance_type = Some("m5.large");
        f.operation = Some("RunInstances:0002");
        let LineKind::Instance(i) = classify(&f) else {
            panic!("an instance hour")
        };
        assert_eq!(
            (i.service, i.platform, i.pricing),
            (
                InstanceService::VirtualMachine,
                Platform::Windows,
                Pricing::OnDemand
            )
        );
        f.usage_type = Some("SpotUsage:c5.large");
        f.pricing_category = Some("Dynamic");
        f.operation = Some("RunInstances");
        let spot = classify(&f);
        assert_eq!(spot.instance().unwrap().pricing, Pricing::Spot);
        assert_eq!(spot.instance().unwrap().platform, Platform::Linux);
        let mut rds = facts("AmazonRDS", "InstanceUsage:db.r5.large");
        rds.instance_type = Some("db.r5.large");
        rds.operation = Some("CreateDBInstance:0014");
        assert_eq!(
            classify(&rds).instance().unwrap().platform,
            Platform::Linux,
            "PostgreSQL runs on Graviton"
        );
        rds.operation = Some("CreateDBInstance:0012");
        assert!(classify(&rds)
            .instance()
            .unwrap()
            .platform
            .licence_included());
        // Without an instance type an instance-looking usage type is not an instance hour.
        assert_eq!(
            classify(&facts("AmazonEC2", "BoxUsage:m5.large")),
            LineKind::Other
        );
    }

    #[test]
    fn commitment_lines_by_line_item_type() {
        let mut f = facts("AmazonEC2", "BoxUsage:m5.large");
        f.instance_type = Some("m5.large");
        f.line_item_type = Some("SavingsPlanNegation");
        assert_eq!(classify(&f), LineKind::CommitmentNegation);
        f.line_item_type = Some("RIFee");
        assert_eq!(classify(&f), LineKind::CommitmentFee);
        f.line_item_type = Some("Fee");
        assert!(classify(&f).instance().is_some(), "a Fee without an ARN");
        f.commitment_id = Some("arn:aws:ec2:us-east-1:1:reserved-instances/x");
        assert_eq!(classify(&f), LineKind::CommitmentFee);
    }

    #[test]
    fn instance_types_from_focus_descriptions() {
        assert_eq!(
            instance_from_description("$0.34 per On Demand Linux c5.2xlarge Instance Hour")
                .as_deref(),
            Some("c5.2xlarge")
        );
        assert_eq!(
            instance_from_description(
                "USD 0.023 per db.t3.micro Single-AZ instance hour (or partial hour) running SQL Server Exp (LI)"
            )
            .as_deref(),
            Some("db.t3.micro")
        );
        assert_eq!(
            instance_from_description("$0.045 per NAT Gateway Hour"),
            None
        );
    }
}

//! Azure's words in its FOCUS export: meter names in the charge description
//! (`Premium SSD Managed Disks - P4 LRS - US East`, `Virtual Machines Dv3 Series Windows`), the
//! resource types of Cost Management (`Disk`, `Snapshot`, `Public IP address`), and the tags AKS
//! sets on its node pools.

use super::{Hints, Orchestrator};
use crate::engine::kinds::{Platform, VolumeType};

pub const HINTS: Hints = Hints {
    volume_types: &[
        ("premium ssd v2", VolumeType::AzurePremiumSsdV2),
        ("premium ssd", VolumeType::AzurePremiumSsd),
        ("standard ssd", VolumeType::AzureStandardSsd),
        ("standard hdd", VolumeType::AzureStandardHdd),
        ("ultra disk", VolumeType::AzureUltra),
    ],
    volume_iops: &["provisioned iops"],
    volume_throughput: &["provisioned throughput"],
    volume_requests: &["disk operations", "transactions"],
    snapshot: &["snapshot"],
    // Azure bills a public IP the same whether or not it is attached (see `classify::gap`).
    idle_ip: &[],
    public_ip: &["public ip", "ip addresses"],
    nat_gateway: &["nat gateway"],
    load_balancer: &["load balancer"],
    spot: &[" spot", "low priority"],
    platforms: &[
        ("sql server", Platform::SqlServer),
        ("windows", Platform::Windows),
        ("red hat", Platform::LicensedLinux),
        ("rhel", Platform::LicensedLinux),
        ("suse", Platform::LicensedLinux),
        ("linux", Platform::Linux),
    ],
    orchestrators: &[
        ("aks_managed", Orchestrator::KubernetesNodePool),
        ("aks_nodepool", Orchestrator::KubernetesNodePool),
    ],
};

//! Azure's words in its FOCUS export: meter names in the charge description
//! (`Premium SSD Managed Disks - P4 LRS - US East`, `Virtual Machines Dv3 Series Windows`), the
//! resource types of Cost Management (`Disk`, `Snapshot`, `Public IP address`), and the tags AKS
//! sets on its node pools.

use super::{Hints, Orchestrator};
use crate::engine::kinds::{Platform, VolumeType};

pub const HINTS: Hints = Hints {
    disk_tier_gib,
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

/// Why a disk cannot become `successor`: Premium SSD v2 serves data disks only, and Azure names
/// a VM's OS disk `<vm>_OsDisk_<n>_<guid>`.
pub fn successor_blocked(resource_id: &str, successor: VolumeType) -> Option<&'static str> {
    (successor == VolumeType::AzurePremiumSsdV2 && resource_id.to_lowercase().contains("osdisk"))
        .then_some("it is an OS disk, and Premium SSD v2 serves data disks only")
}

/// Managed-disk size tiers (Premium `P`, Standard SSD `E`, Standard HDD `S`) and their GiB, from
/// the managed-disks pricing page: the charge description names the tier (`P10 LRS`).
const TIERS: [(u32, u32); 15] = [
    (1, 4),
    (2, 8),
    (3, 16),
    (4, 32),
    (6, 64),
    (10, 128),
    (15, 256),
    (20, 512),
    (30, 1024),
    (40, 2048),
    (50, 4096),
    (60, 8192),
    (70, 16384),
    (80, 32767),
    (90, 65536),
];

/// The size of the tier a disk line names, from words such as `p10` (lower-cased text).
fn disk_tier_gib(text: &str) -> Option<u32> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|word| {
            let number = word.strip_prefix(['p', 'e', 's'])?;
            let number: u32 = number.parse().ok()?;
            TIERS
                .iter()
                .find(|(t, _)| *t == number)
                .map(|(_, gib)| *gib)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_tiers_from_meter_names() {
        assert_eq!(
            disk_tier_gib("premium ssd managed disks - p10 lrs - us east"),
            Some(128)
        );
        assert_eq!(
            disk_tier_gib("standard hdd managed disks - s30 lrs"),
            Some(1024)
        );
        assert_eq!(disk_tier_gib("premium ssd v2 - provisioned capacity"), None);
        assert_eq!(disk_tier_gib("e5 lrs"), None, "no E5 tier");
    }

    #[test]
    fn os_disks_stay_off_premium_ssd_v2() {
        let os =
            "/subscriptions/1/resourcegroups/rg/providers/microsoft.compute/disks/vm1_OsDisk_1_abc";
        assert!(successor_blocked(os, VolumeType::AzurePremiumSsdV2).is_some());
        assert!(successor_blocked(os, VolumeType::AzureStandardSsd).is_none());
        assert!(successor_blocked("/x/disks/data-1", VolumeType::AzurePremiumSsdV2).is_none());
    }
}

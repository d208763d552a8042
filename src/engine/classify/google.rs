//! Google Cloud's words in its FOCUS export: SKU descriptions (`Balanced PD Capacity`,
//! `Storage PD Snapshot`, `Static Ip Charge`, `Preemptible N1 Predefined Instance Core`) and
//! the labels GKE and Dataproc set.
//!
//! A reserved static external IP that is not in use is billed under its own SKU,
//! `Static Ip Charge`; an address in use is `External IP Charge on a … VM`.

use super::{no_tiers, Hints, Orchestrator};
use crate::engine::kinds::{Platform, VolumeType};

pub const HINTS: Hints = Hints {
    disk_tier_gib: no_tiers,
    volume_types: &[
        ("balanced pd", VolumeType::GooglePdBalanced),
        ("pd-balanced", VolumeType::GooglePdBalanced),
        ("ssd backed pd", VolumeType::GooglePdSsd),
        ("pd-ssd", VolumeType::GooglePdSsd),
        ("extreme pd", VolumeType::GooglePdExtreme),
        ("pd-extreme", VolumeType::GooglePdExtreme),
        ("hyperdisk", VolumeType::GoogleHyperdisk),
        ("storage pd capacity", VolumeType::GooglePdStandard),
        ("pd-standard", VolumeType::GooglePdStandard),
    ],
    volume_iops: &["provisioned iops"],
    volume_throughput: &["provisioned throughput"],
    volume_requests: &[],
    snapshot: &["snapshot"],
    idle_ip: &["static ip charge"],
    public_ip: &["external ip charge", "ip address"],
    nat_gateway: &["cloud nat", "nat gateway"],
    load_balancer: &["load balancing", "forwarding rule"],
    spot: &["preemptible", "spot"],
    platforms: &[
        ("sql server", Platform::SqlServer),
        ("windows", Platform::Windows),
        ("rhel", Platform::LicensedLinux),
        ("red hat", Platform::LicensedLinux),
        ("suse", Platform::LicensedLinux),
        ("linux", Platform::Linux),
    ],
    orchestrators: &[
        ("goog_k8s", Orchestrator::KubernetesNodePool),
        ("goog_gke", Orchestrator::KubernetesNodePool),
        ("goog_dataproc", Orchestrator::HadoopCluster),
    ],
};

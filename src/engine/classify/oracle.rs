//! OCI's words in its FOCUS export: product descriptions such as `Block Volume - Storage`,
//! `Block Volume - Performance Units` and `Compute - Standard - E4 - OCPU`. No orchestrator tag
//! is listed: OKE's node tags are not documented as stable.

use super::{no_tiers, Hints};
use crate::engine::kinds::{Platform, VolumeType};

pub const HINTS: Hints = Hints {
    disk_tier_gib: no_tiers,
    volume_types: &[("block volume", VolumeType::OracleBlock)],
    volume_iops: &["performance units"],
    volume_throughput: &[],
    volume_requests: &[],
    snapshot: &["volume backup"],
    // OCI does not charge for reserved public IPs (see `classify::gap`).
    idle_ip: &[],
    public_ip: &[],
    nat_gateway: &["nat gateway"],
    load_balancer: &["load balancer"],
    spot: &["preemptible"],
    platforms: &[("windows", Platform::Windows), ("linux", Platform::Linux)],
    orchestrators: &[],
};

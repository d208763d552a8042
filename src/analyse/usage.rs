//! Usage optimisation: modernisation (previous generation, Graviton), EBS volume types, idle
//! public IPs, old snapshots, off-hours scheduling, and, with a utilisation export, idle and
//! oversized instances. Every saving is the period's saving scaled to a 730-hour month; the
//! formula and its source sit beside each rule.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{network, storage};
use crate::catalog::{self, Catalog};
use crate::config::{TagPolicy, UsageRules};
use crate::engine::aggregates::{Aggregates, ResourceRow};
use crate::engine::classify::{self, Signal};
use crate::engine::inventory::{instance_hours, Instance};
use crate::engine::kinds::{LineKind, Volume, VolumePart, VolumeType};
use crate::findings::{per_month, Category, Confidence, Finding};
use crate::period::Period;
use crate::schema::charge_category;
use crate::utilization::Utilization;

/// How the utilisation export matched the bill.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UtilizationMatch {
    pub matched: usize,
    /// In the export but not in the period's bill (terminated, or another account).
    pub only_in_file: usize,
    /// Instances in the bill without utilisation data (no idle/downsize verdict possible).
    pub only_in_bill: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    pub findings: Vec<Finding>,
    pub utilization: Option<UtilizationMatch>,
    /// Why a rule could not run (e.g. no resource ids in Cost Explorer data).
    pub notes: Vec<String>,
}

/// What every usage rule reads: the aggregates, its thresholds and prices, the catalog, and
/// the hours the data covers (to scale a period's saving to a month).
pub(super) struct Ctx<'a> {
    pub aggs: &'a Aggregates,
    pub rules: &'a UsageRules,
    pub catalog: &'a Catalog,
    pub hours: f64,
    /// The usage rows of each named resource, by id: built once, read by several rules.
    pub usage_rows: BTreeMap<&'a str, Vec<&'a ResourceRow>>,
}

impl Ctx<'_> {
    pub fn finding(&self, rule: &str, scope: &str) -> Finding {
        let mut f = Finding::new(Category::Usage, rule, scope);
        f.currency = self.aggs.currency.clone();
        f
    }

    pub fn monthly(&self, saving_in_period: f64) -> f64 {
        per_month(saving_in_period, self.hours)
    }

    fn for_instance(&self, rule: &str, i: &Instance) -> Finding {
        let mut f = self.finding(rule, &i.id);
        f.resource_id = Some(i.id.clone());
        f.account_id = i.account.clone();
        f.service = i.service.clone();
        f.region = i.region.clone();
        f.current = i.instance_type.clone();
        f
    }

    pub fn for_row(&self, rule: &str, row: &ResourceRow) -> Finding {
        let id = row.resource_id.clone().unwrap_or_default();
        let mut f = self.finding(rule, &id);
        f.resource_id = row.resource_id.clone();
        f.account_id = row.account.as_deref().map(String::from);
        f.service = row.service.as_deref().map(String::from);
        f.region = row.region.as_deref().map(String::from);
        f
    }
}

pub fn analyse(
    aggs: &Aggregates,
    rules: &UsageRules,
    tags: &TagPolicy,
    utilization: Option<&[Utilization]>,
    fleet: &[Instance],
) -> Usage {
    let ctx = Ctx {
        aggs,
        rules,
        catalog: Catalog::builtin(),
        hours: aggs.covered_hours(),
        usage_rows: rows_by_resource(aggs),
    };
    let mut usage = Usage::default();
    if !aggs.has_resources {
        usage.notes.push(
            "Usage rules need resource-level data: no line names a resource (ResourceId is \
             empty)."
                .into(),
        );
        return usage;
    }
    modernisation(&ctx, fleet, &mut usage.findings);
    volumes(&ctx, &mut usage.findings);
    idle_public_ips(&ctx, &mut usage.findings);
    snapshots(&ctx, &mut usage.findings);
    storage::object_tiering(&ctx, &mut usage.findings);
    storage::database_storage(&ctx, &mut usage.findings);
    network::idle_gateways(&ctx, &mut usage.findings);
    network::unnamed_idle_addresses(&ctx, &mut usage.findings);
    network::transfer_hotspots(&ctx, &mut usage.findings);
    if aggs.is_hourly() {
        offhours(&ctx, fleet, tags, &mut usage.findings);
    } else {
        usage.notes.push(
            "Off-hours scheduling needs hourly data; this data has daily or monthly totals.".into(),
        );
    }
    if let Some(rows) = utilization {
        usage.utilization = Some(rightsizing(&ctx, fleet, rows, &mut usage.findings));
    }
    usage.notes.extend(gaps(aggs));
    usage
}

/// Per provider in the data, the usage rules its data cannot support, and why: the report says
/// so instead of showing an empty table.
fn gaps(aggs: &Aggregates) -> Vec<String> {
    let mut notes = Vec::new();
    for provider in aggs.providers() {
        let has_instances = aggs
            .resources
            .iter()
            .any(|r| r.provider == provider && instance_hours(r).is_some());
        let mut missing: Vec<(&str, &str)> = Vec::new();
        if !has_instances {
            missing.push((
                "modernisation, rightsizing, off-hours schedules and Spot candidates",
                "no instance hours with an instance type in the data (x_InstanceType, or \
                 InstanceType in SkuPriceDetails)",
            ));
        } else if let Some(why) = classify::gap(provider, Signal::InstanceCatalog) {
            missing.push(("modernisation", why));
        }
        if let Some(why) = classify::gap(provider, Signal::VolumeUpgrades) {
            missing.push(("block-storage type upgrades", why));
        }
        if let Some(why) = classify::gap(provider, Signal::IdleAddress) {
            missing.push(("idle public IPs", why));
        }
        if !missing.is_empty() {
            let rules: Vec<String> = missing
                .iter()
                .map(|(rule, why)| format!("{rule}: not available ({why})"))
                .collect();
            notes.push(format!("{} data: {}.", provider.label(), rules.join("; ")));
        }
    }
    notes
}

/// Modernisation, only where it saves money and the platform allows it:
/// - a previous-generation family moves to the cheapest current x86 successor of the same size
///   (a drop-in move, high confidence), or, if none saves, to its arm64 (Graviton) family;
/// - a current x86 family moves to arm64 when the arm64 type is cheaper.
///
/// arm64 only for Linux: Windows, SQL Server and licence-included Linux do not run on Graviton
/// (and an instance whose platform the bill does not show is not sent there). Saving, from the
/// catalog's on-demand list prices (`data/*_prices.csv`: AWS us-east-1, Azure East US, Google
/// us-central1): on-demand cost × (1 − price(target) ÷ price(current)); with a licence in the
/// price, the licence does not get cheaper, so only the compute part is counted: on-demand
/// hours × (price(current) − price(target)), never more than the ratio gives. Only on-demand
/// hours: hours under a commitment save nothing until it ends. A target that saves nothing is
/// not a finding.
fn modernisation(ctx: &Ctx, fleet: &[Instance], out: &mut Vec<Finding>) {
    for i in fleet.iter().filter(|i| i.on_demand_cost > 0.0) {
        let Some(current) = ctx.catalog.instance(&i.instance_type) else {
            continue;
        };
        let Some((family, _)) = catalog::split_type(&i.instance_type) else {
            continue;
        };
        let Some(path) = ctx.catalog.family(&family) else {
            continue;
        };
        let arm = path
            .graviton
            .as_deref()
            .filter(|_| i.platform.runs_on_arm() && !current.arm)
            .and_then(|f| ctx.catalog.same_size_in(&i.instance_type, f));
        let saving_of = |to: &catalog::Instance| -> f64 {
            let by_ratio = i.on_demand_cost * (1.0 - to.price_per_hour / current.price_per_hour);
            let saving = if i.platform.licence_included() {
                by_ratio.min(i.on_demand_hours * (current.price_per_hour - to.price_per_hour))
            } else {
                by_ratio
            };
            saving.max(0.0)
        };
        let successor = path
            .successors
            .iter()
            .filter_map(|f| ctx.catalog.same_size_in(&i.instance_type, f))
            .filter(|to| saving_of(to) > 0.0)
            .min_by(|a, b| a.price_per_hour.total_cmp(&b.price_per_hour));
        let arm = arm.filter(|to| saving_of(to) > 0.0);
        let (rule, to, confidence, why) = match (current.previous_generation, successor, arm) {
            (true, Some(to), _) => (
                "previous-generation",
                to,
                Confidence::High,
                format!("{family} is a previous-generation family"),
            ),
            (true, None, Some(to)) => (
                "previous-generation",
                to,
                Confidence::Medium,
                format!(
                    "{family} is a previous-generation family; its arm64 (Graviton) successor \
                     needs arm64 builds of the software"
                ),
            ),
            (false, _, Some(to)) => (
                "graviton",
                to,
                Confidence::Medium,
                "Graviton (arm64) needs arm64 builds of the software".to_string(),
            ),
            _ => continue,
        };
        let saving = saving_of(to);
        let ratio = to.price_per_hour / current.price_per_hour;
        let mut f = ctx.for_instance(rule, i);
        let graviton_note = match arm {
            Some(g) if rule == "previous-generation" && g.instance_type != to.instance_type => {
                format!(" (or Graviton {})", g.instance_type)
            }
            _ => String::new(),
        };
        f.recommendation = format!("move to {}{graviton_note}", to.instance_type);
        f.period_cost = i.on_demand_cost;
        f.monthly_saving = ctx.monthly(saving);
        f.confidence = confidence;
        let licence = if i.platform.licence_included() {
            format!(
                "; {}: the licence part of the price stays, only the compute part is counted",
                i.platform.label()
            )
        } else {
            String::new()
        };
        f.evidence = format!(
            "{why}; on-demand {:.0} h costing {:.2}; list price {} {:.4}/h vs {} {:.4}/h ({:.0}% less){licence}",
            i.on_demand_hours,
            i.on_demand_cost,
            i.instance_type,
            current.price_per_hour,
            to.instance_type,
            to.price_per_hour,
            (1.0 - ratio) * 100.0
        );
        out.push(f);
    }
}

/// Usage rows of each named resource.
fn rows_by_resource(aggs: &Aggregates) -> BTreeMap<&str, Vec<&ResourceRow>> {
    let mut out: BTreeMap<&str, Vec<&ResourceRow>> = BTreeMap::new();
    for row in &aggs.resources {
        if let (Some(id), Some(charge_category::USAGE)) =
            (row.resource_id.as_deref(), row.charge_category.as_deref())
        {
            out.entry(id).or_default().push(row);
        }
    }
    out
}

/// The storage part of a resource's volume rows, if it is a block volume.
fn volume_storage<'a>(rows: &[&'a ResourceRow]) -> Option<(&'a ResourceRow, Volume)> {
    rows.iter().find_map(|row| match row.kind.volume() {
        Some(volume) if volume.part == VolumePart::Storage => Some((*row, volume)),
        _ => None,
    })
}

/// gp3's included throughput, MiB/s.
const GP3_BASELINE_MIBPS: f64 = 125.0;

/// The baseline a gp2 volume of this size gives: 3 IOPS per GB between 3,000 (what it bursts
/// to, and what gp3 includes) and 16,000, and 250 MiB/s above 150 GB (else 125), the bounds the
/// Cloud Intelligence Dashboards use.
fn gp2_performance(size_gb: f64) -> (f64, f64) {
    let iops = (size_gb * 3.0).clamp(3000.0, 16_000.0);
    let throughput = if size_gb > 150.0 {
        250.0
    } else {
        GP3_BASELINE_MIBPS
    };
    (iops, throughput)
}

/// EBS volume types (prices: aws.amazon.com/ebs/pricing, us-east-1, in the config):
/// - gp2 → gp3 with the same performance (the definition of AWS's Cloud Intelligence Dashboards,
///   `kpi_ebs_storage_all`): gp2 gives 3 IOPS per GB (at least the 3,000 gp3 includes, at most
///   16,000) and 250 MiB/s above 150 GB, twice the 125 MiB/s gp3 includes. gp3 cost = storage
///   cost × gp3/gp2 + the IOPS and throughput above gp3's baseline at the gp3 prices, scaled by
///   the volume's own price level. A 1 TB volume keeps three quarters of the 20% storage
///   saving, a 5 TB volume less than a fifth of it.
/// - io1 → gp3 up to 16,000 IOPS: gp3 cost = GB × gp3 + IOPS above 3,000 × gp3 IOPS price;
///   above that, io2 (same price as io1 at that tier, better durability): no saving claimed.
/// - magnetic (standard) → gp3: gp3 cost = GB × gp3; the saving is what storage plus I/O
///   requests cost above that (often none: the move is for performance).
///
/// Other providers' types with a successor in the catalog (`data/block_storage.csv`: Azure
/// Premium SSD → Premium SSD v2, Standard HDD → Standard SSD; Google pd-ssd and pd-standard →
/// pd-balanced): the target cost is the volume's GiB-months at the successor's price; a disk
/// billed by size tier has the tier's GiB for each disk-month.
fn volumes(ctx: &Ctx, out: &mut Vec<Finding>) {
    let r = ctx.rules;
    for rows in ctx.usage_rows.values() {
        let Some((storage, volume)) = volume_storage(rows) else {
            continue;
        };
        let volume_type = volume.volume_type;
        let cost: f64 = rows.iter().map(|row| row.effective).sum();
        let gb_months = volume.gib_months(storage.quantity);
        let mut why: Option<&str> = None;
        // Average size: GB-months over the months the volume lived in the period.
        // GB-months are GB × hours ÷ the hours of the calendar month (AWS's definition), so a
        // volume alive all month has as many GB-months as GB.
        let month_hours = Period::month_containing(ctx.aggs.period.start).hours();
        let months =
            ((storage.last_end - storage.first_start) as f64 / 3_600_000.0 / month_hours).max(1e-9);
        let size_gb = gb_months / months;
        let (rule, recommendation, target_cost, confidence) = match volume_type {
            VolumeType::AwsGp2 => {
                let (iops, throughput) = gp2_performance(size_gb);
                let added_iops = (iops - r.ebs_gp3_free_iops).max(0.0);
                let added_throughput = (throughput - GP3_BASELINE_MIBPS).max(0.0);
                // The volume's price level (region and discount), as CID scales it: effective
                // storage cost over the configured list price.
                let price_level = if gb_months > 0.0 {
                    storage.effective / (gb_months * r.ebs_gp2_gb_month)
                } else {
                    1.0
                };
                let performance = months
                    * price_level
                    * (added_iops * r.ebs_gp3_iops_month
                        + added_throughput * r.ebs_gp3_throughput_month);
                let performance_note = if added_iops > 0.0 || added_throughput > 0.0 {
                    format!(" with {iops:.0} IOPS and {throughput:.0} MiB/s, as gp2 gives it")
                } else {
                    String::new()
                };
                let gp3 = (cost - storage.effective)
                    + storage.effective * r.ebs_gp3_gb_month / r.ebs_gp2_gb_month
                    + performance;
                // Small volumes above 150 GB pay more for gp3's added throughput than gp3's
                // storage saves: keep them on gp2.
                if gp3 >= cost {
                    continue;
                }
                (
                    "ebs-gp2-to-gp3",
                    format!("change the volume type to gp3{performance_note} (no downtime)"),
                    gp3,
                    Confidence::High,
                )
            }
            VolumeType::AwsIo1 => {
                let iops_months: f64 = rows
                    .iter()
                    .filter(|row| {
                        row.kind
                            .volume()
                            .is_some_and(|v| v.part == VolumePart::Iops)
                    })
                    .map(|row| row.quantity)
                    .sum();
                let iops = iops_months / months;
                if iops > 16_000.0 {
                    (
                        "ebs-io1",
                        format!("change to io2 ({iops:.0} provisioned IOPS is above gp3's 16,000)"),
                        cost,
                        Confidence::Medium,
                    )
                } else {
                    let gp3 = gb_months * r.ebs_gp3_gb_month
                        + (iops - r.ebs_gp3_free_iops).max(0.0) * months * r.ebs_gp3_iops_month;
                    (
                        "ebs-io1",
                        format!(
                            "change to gp3{} (or io2 if it needs io1's durability)",
                            // A volume the bill shows no IOPS lines for (an empty sum is -0.0).
                            if iops > 0.0 {
                                format!(" with {iops:.0} IOPS")
                            } else {
                                String::new()
                            }
                        ),
                        gp3,
                        Confidence::Medium,
                    )
                }
            }
            VolumeType::AwsMagnetic => (
                "ebs-magnetic",
                "change the magnetic (standard) volume to gp3".to_string(),
                gb_months * r.ebs_gp3_gb_month,
                Confidence::Medium,
            ),
            other => {
                let Some(upgrade) = ctx.catalog.volume_upgrade(other.label()) else {
                    continue;
                };
                let successor = VolumeType::from_label(&upgrade.successor);
                let id = storage.resource_id.as_deref().unwrap_or_default();
                if gb_months <= 0.0
                    || successor.is_some_and(|to| {
                        classify::volume_change_blocked(storage.provider, id, to).is_some()
                    })
                {
                    continue;
                }
                why = Some(upgrade.why.as_str());
                (
                    "volume-type-upgrade",
                    format!("change the disk to {}", upgrade.successor),
                    gb_months * upgrade.successor_price_gib_month,
                    upgrade.confidence,
                )
            }
        };
        let saving = (cost - target_cost).max(0.0);
        let mut f = ctx.for_row(rule, storage);
        f.current = format!("{} {size_gb:.0} GB", volume_type.label());
        f.recommendation = recommendation;
        f.period_cost = cost;
        f.monthly_saving = ctx.monthly(saving);
        f.confidence = confidence;
        f.evidence = format!(
            "{}{gb_months:.1} GB-months costing {cost:.2} in the period; the target would cost {target_cost:.2}",
            why.map(|w| format!("{w}; ")).unwrap_or_default()
        );
        out.push(f);
    }
}

/// Public IPv4 addresses the bill says are attached to nothing (AWS idle Elastic IPs and idle
/// public IPv4, Google Cloud unused static IPs): release them. Saving = their whole cost.
fn idle_public_ips(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut by_id: BTreeMap<&str, (f64, f64, &ResourceRow)> = BTreeMap::new();
    for row in &ctx.aggs.resources {
        let idle = row.kind == LineKind::PublicIp { idle: true };
        if let (true, Some(id)) = (idle, row.resource_id.as_deref()) {
            let e = by_id.entry(id).or_insert((0.0, 0.0, row));
            e.0 += row.effective;
            e.1 += row.quantity;
        }
    }
    for (_, (cost, hours, row)) in by_id {
        let mut f = ctx.for_row("idle-public-ip", row);
        f.current = "public IPv4 address not attached".into();
        f.recommendation = "release the address".into();
        f.period_cost = cost;
        f.monthly_saving = ctx.monthly(cost);
        f.evidence = format!("{hours:.0} idle address-hours costing {cost:.2}");
        out.push(f);
    }
}

/// Snapshots first seen more than `snapshot_age_days` before the end of the data: delete or
/// archive (saving = their cost; medium confidence, retention rules may need them). Accounts
/// storing more snapshot than volume GB-months are flagged for a retention review.
fn snapshots(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(data_end) = ctx.aggs.data_end else {
        return;
    };
    let cutoff = data_end - i64::from(ctx.rules.snapshot_age_days) * 86_400_000;
    let mut snapshot_gb: BTreeMap<String, f64> = BTreeMap::new();
    let mut volume_gb: BTreeMap<String, f64> = BTreeMap::new();
    for (&id, rows) in &ctx.usage_rows {
        let snapshot_rows: Vec<&&ResourceRow> = rows
            .iter()
            .filter(|r| r.kind == LineKind::Snapshot)
            .collect();
        for r in rows {
            let account = r.account.as_deref().unwrap_or_default().to_string();
            if let Some(v) = r.kind.volume().filter(|v| v.part == VolumePart::Storage) {
                *volume_gb.entry(account).or_default() += v.gib_months(r.quantity);
            }
        }
        let Some(first) = snapshot_rows.first() else {
            continue;
        };
        let gb: f64 = snapshot_rows.iter().map(|r| r.quantity).sum();
        *snapshot_gb
            .entry(first.account.as_deref().unwrap_or_default().to_string())
            .or_default() += gb;
        let seen = ctx
            .aggs
            .first_seen
            .get(id)
            .copied()
            .unwrap_or(first.first_start);
        if seen >= cutoff {
            continue;
        }
        let cost: f64 = snapshot_rows.iter().map(|r| r.effective).sum();
        let age_days = (data_end - seen) / 86_400_000;
        let mut f = ctx.for_row("old-snapshot", first);
        f.current = format!("snapshot, {gb:.0} GB-months, {age_days} days old");
        f.recommendation = "delete it, or move it to the archive tier if it must be kept".into();
        f.period_cost = cost;
        f.monthly_saving = ctx.monthly(cost);
        f.confidence = Confidence::Medium;
        f.evidence = format!(
            "first seen {} ({age_days} days before the end of the data; threshold {} days)",
            crate::period::iso_timestamp(seen),
            ctx.rules.snapshot_age_days
        );
        out.push(f);
    }
    for (account, snap) in snapshot_gb {
        let volumes = volume_gb.get(&account).copied().unwrap_or(0.0);
        if snap > volumes {
            let mut f = ctx.finding("snapshot-heavy-account", &account);
            f.account_id = Some(account.clone());
            f.current = format!("{snap:.0} GB-months of snapshots vs {volumes:.0} of volumes");
            f.recommendation = "review snapshot retention (Data Lifecycle Manager policies)".into();
            f.confidence = Confidence::Medium;
            f.evidence = "snapshot storage exceeds the volume storage it protects".into();
            out.push(f);
        }
    }
}

/// Non-production instances (environment tag in the config's non-production values) up at
/// least `offhours_min_uptime_pct` of the period's hours: stop them outside the schedule
/// (FinOps Foundation "scale down during off-hours"). Saving = their on-demand cost outside
/// the schedule (weekdays `business_hours_start`–`business_hours_end` UTC).
fn offhours(ctx: &Ctx, fleet: &[Instance], tags: &TagPolicy, out: &mut Vec<Finding>) {
    let non_prod: BTreeSet<String> = tags
        .non_production_values
        .iter()
        .map(|v| v.to_lowercase())
        .collect();
    for i in fleet {
        let Some(env) = i.environment(ctx.aggs, &tags.environment_key) else {
            continue;
        };
        if !non_prod.contains(&env) || i.on_demand_cost <= 0.0 || ctx.hours <= 0.0 {
            continue;
        }
        let uptime = i.on_demand_hours / ctx.hours * 100.0;
        if uptime < ctx.rules.offhours_min_uptime_pct {
            continue;
        }
        let saving = i.offhours_on_demand_cost;
        let mut f = ctx.for_instance("offhours-schedule", i);
        f.recommendation = format!(
            "run it weekdays {:02}:00-{:02}:00 UTC only (Instance Scheduler)",
            ctx.rules.business_hours_start, ctx.rules.business_hours_end
        );
        f.period_cost = i.on_demand_cost;
        f.monthly_saving = ctx.monthly(saving);
        f.evidence = format!(
            "environment '{env}', up {uptime:.0}% of the hours; {saving:.2} of its cost is outside the schedule"
        );
        out.push(f);
    }
}

/// With utilisation data. Idle: CPU max below `idle_cpu_max_pct` → stop or terminate, saving
/// its whole cost. Downsize: CPU p95 and memory p95 below the thresholds → one size smaller
/// in the same family, saving cost × (1 − price(smaller) ÷ price(current)) (catalog prices).
fn rightsizing(
    ctx: &Ctx,
    fleet: &[Instance],
    rows: &[Utilization],
    out: &mut Vec<Finding>,
) -> UtilizationMatch {
    let by_id: HashMap<&str, &Utilization> =
        rows.iter().map(|u| (u.resource_id.as_str(), u)).collect();
    let ec2: Vec<&Instance> = fleet.iter().filter(|i| i.is_vm()).collect();
    let billed: BTreeSet<&str> = fleet.iter().map(|i| i.id.as_str()).collect();
    let matched = ec2
        .iter()
        .filter(|i| by_id.contains_key(i.id.as_str()))
        .count();
    let r = ctx.rules;
    for i in ec2 {
        let Some(u) = by_id.get(i.id.as_str()) else {
            continue;
        };
        let pay = i.on_demand_cost;
        if pay <= 0.0 {
            continue;
        }
        let metrics = format!(
            "CPU max {:.1}%, p95 {:.1}%, memory p95 {} over {} days",
            u.cpu_max_pct,
            u.cpu_p95_pct,
            u.mem_p95_pct.map_or("n/a".into(), |m| format!("{m:.1}%")),
            u.days_observed
        );
        if u.cpu_max_pct < r.idle_cpu_max_pct {
            let mut f = ctx.for_instance("idle-instance", i);
            f.recommendation = "stop or terminate it".into();
            f.period_cost = pay;
            f.monthly_saving = ctx.monthly(pay);
            f.evidence = format!("{metrics}; idle below {:.0}% CPU max", r.idle_cpu_max_pct);
            out.push(f);
            continue;
        }
        let memory_low = u.mem_p95_pct.is_none_or(|m| m < r.downsize_mem_p95_pct);
        if u.cpu_p95_pct < r.downsize_cpu_p95_pct && memory_low {
            let (Some(current), Some(smaller)) = (
                ctx.catalog.instance(&i.instance_type),
                ctx.catalog.one_size_smaller(&i.instance_type),
            ) else {
                continue;
            };
            let saving = pay * (1.0 - smaller.price_per_hour / current.price_per_hour);
            let mut f = ctx.for_instance("downsize-instance", i);
            f.recommendation = format!("downsize to {}", smaller.instance_type);
            f.period_cost = pay;
            f.monthly_saving = ctx.monthly(saving);
            f.confidence = if u.mem_p95_pct.is_some() {
                Confidence::High
            } else {
                Confidence::Medium
            };
            f.evidence = format!(
                "{metrics}; {} {:.4}/h vs {} {:.4}/h",
                i.instance_type,
                current.price_per_hour,
                smaller.instance_type,
                smaller.price_per_hour
            );
            out.push(f);
        }
    }
    UtilizationMatch {
        matched,
        only_in_file: rows
            .iter()
            .filter(|u| !billed.contains(u.resource_id.as_str()))
            .count(),
        only_in_bill: fleet
            .iter()
            .filter(|i| i.is_vm())
            .filter(|i| !by_id.contains_key(i.id.as_str()))
            .count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::aggregates::ResourceRow;
    use crate::engine::inventory::instances;
    use crate::engine::kinds::VolumePart::{Iops, Requests, Storage};
    use crate::engine::kinds::VolumeType::{AwsGp2, AwsIo1, AwsMagnetic};
    use crate::engine::kinds::{Platform, Pricing};
    use crate::period::Period;
    use crate::schema::pricing_category;

    const H: i64 = 3_600_000;

    /// October 2026 (744 hours), hourly data covering all of it.
    fn aggs(resources: Vec<ResourceRow>) -> Aggregates {
        Aggregates {
            hourly_lines: 10,
            usage_lines: 10,
            resources,
            tag_keys: vec!["team".into(), "environment".into()],
            allocation_key: Some(0),
            ..Aggregates::october_2026()
        }
    }

    fn instance(
        id: &str,
        instance_type: &str,
        hours: u64,
        cost: f64,
        env: Option<&str>,
    ) -> ResourceRow {
        let start = Period::parse("2026-10", chrono::NaiveDate::MIN)
            .unwrap()
            .start;
        ResourceRow {
            resource_id: Some(id.into()),
            charge_category: Some("Usage".into()),
            account: Some("111".into()),
            service: Some("Amazon Elastic Compute Cloud".into()),
            region: Some("us-east-1".into()),
            kind: LineKind::vm(instance_type, Pricing::OnDemand),
            instance_type: Some(instance_type.into()),
            pricing_category: Some(pricing_category::STANDARD.into()),
            tags: vec![
                Some("web".into()),
                env.map(crate::engine::aggregates::Text::from),
            ],
            effective: cost,
            quantity: hours as f64,
            lines: hours,
            first_start: start,
            last_end: start + hours as i64 * H,
            ..ResourceRow::default()
        }
    }

    fn run(rows: Vec<ResourceRow>, util: Option<&[Utilization]>) -> Usage {
        analyse_with_defaults(&aggs(rows), util)
    }

    /// The usage analyser with the default rules and policy, over the aggregates' own fleet.
    fn analyse_with_defaults(a: &Aggregates, util: Option<&[Utilization]>) -> Usage {
        analyse(
            a,
            &UsageRules::default(),
            &TagPolicy::default(),
            util,
            &instances(a),
        )
    }

    fn find<'a>(u: &'a Usage, rule: &str, id: &str) -> &'a Finding {
        u.findings
            .iter()
            .find(|f| f.rule == rule && f.resource_id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{rule} for {id} in {:#?}", u.findings))
    }

    #[test]
    fn previous_generation_saving_from_the_price_ratio() {
        // c4.large 0.10 → c7i.large 0.08925: 744 × 0.10 × (1 − 0.8925) = 7.998 in 744 h =
        // 7.8475/month (× 730/744); Graviton c7g.large is named as the alternative.
        // m4.large 744 h at 0.10 = 74.40; its x86 successor m7i.large is 0.1008/h, dearer: the
        // move that saves is arm64, m7g.large at 0.0816: 74.40 × (1 − 0.816) = 13.6896.
        let u = run(
            vec![
                instance("i-m4", "m4.large", 744, 74.40, Some("prod")),
                instance("i-c4", "c4.large", 744, 74.40, Some("prod")),
            ],
            None,
        );
        let c4 = find(&u, "previous-generation", "i-c4");
        assert!(
            c4.recommendation.contains("c7i.large"),
            "{}",
            c4.recommendation
        );
        assert!(c4.recommendation.contains("c7g.large"));
        assert_eq!(c4.confidence, Confidence::High);
        assert!((c4.monthly_saving - 74.40 * (1.0 - 0.08925 / 0.10) * 730.0 / 744.0).abs() < 1e-9);
        assert!((c4.monthly_saving - 7.8475).abs() < 1e-3);
        let m4 = find(&u, "previous-generation", "i-m4");
        assert!(
            m4.recommendation.contains("m7g.large"),
            "{}",
            m4.recommendation
        );
        assert_eq!(m4.confidence, Confidence::Medium);
        assert!((m4.monthly_saving - 13.6896 * 730.0 / 744.0).abs() < 1e-9);
    }

    /// An instance hour on `platform`.
    fn on(mut row: ResourceRow, platform: Platform) -> ResourceRow {
        if let LineKind::Instance(i) = &mut row.kind {
            i.platform = platform;
        }
        row
    }

    #[test]
    fn windows_and_licensed_platforms_never_go_to_graviton_and_save_the_compute_part_only() {
        // Windows m5.large: current x86 whose only cheaper path is arm64: no finding.
        // Windows c4.large at 0.192/h (licence included) for 744 h: 142.848. To c7i.large the
        // compute price falls by 0.10 − 0.08925 = 0.01075/h: 744 × 0.01075 = 7.998, not the
        // 142.848 × 10.75% = 15.36 the ratio would claim. Unknown platform: no Graviton either.
        let u = run(
            vec![
                on(
                    instance("i-win-m5", "m5.large", 744, 139.87, Some("prod")),
                    Platform::Windows,
                ),
                on(
                    instance("i-win-c4", "c4.large", 744, 142.848, Some("prod")),
                    Platform::Windows,
                ),
                on(
                    instance("i-sql-m5", "m5.large", 744, 300.0, Some("prod")),
                    Platform::SqlServer,
                ),
                on(
                    instance("i-what-m5", "m5.large", 744, 71.424, Some("prod")),
                    Platform::Unknown,
                ),
            ],
            None,
        );
        for id in ["i-win-m5", "i-sql-m5", "i-what-m5"] {
            assert!(
                !u.findings
                    .iter()
                    .any(|f| f.resource_id.as_deref() == Some(id)),
                "{id}: {:#?}",
                u.findings
            );
        }
        let c4 = find(&u, "previous-generation", "i-win-c4");
        assert!(c4.recommendation.contains("c7i.large"));
        assert!(!c4.recommendation.contains("c7g"), "{}", c4.recommendation);
        assert!((c4.monthly_saving - 744.0 * 0.01075 * 730.0 / 744.0).abs() < 1e-9);
    }

    #[test]
    fn graviton_for_current_x86() {
        // m5.large 0.096 → m7g.large 0.0816: 15% of 71.424 = 10.7136 in 744 h → 10.5120/month.
        let u = run(
            vec![instance("i-m5", "m5.large", 744, 71.424, Some("prod"))],
            None,
        );
        let f = find(&u, "graviton", "i-m5");
        assert!(
            (f.monthly_saving - 10.5120).abs() < 1e-3,
            "{}",
            f.monthly_saving
        );
        assert_eq!(f.confidence, Confidence::Medium);
    }

    fn volume(id: &str, kind: LineKind, quantity: f64, cost: f64) -> ResourceRow {
        let mut r = instance(id, "x", 744, cost, None);
        r.instance_type = None;
        r.kind = kind;
        r.quantity = quantity;
        r
    }

    #[test]
    fn ebs_rules() {
        let u = run(
            vec![
                // 500 GB gp2 for the whole month: 50.00; gp3 40.00 + 125 MiB/s × 0.04 (gp2 gives
                // 250 above 150 GB) = 45.00 → 5.00 in 744 h.
                volume("vol-gp2", LineKind::disk(AwsGp2, Storage), 500.0, 50.0),
                // 100 GB: 10.00 → 8.00, gp3's baseline covers it → 2.00.
                volume(
                    "vol-gp2-small",
                    LineKind::disk(AwsGp2, Storage),
                    100.0,
                    10.0,
                ),
                // 200 GB: 20.00 → 16.00 + 125 × 0.04 = 21.00: stays on gp2.
                volume("vol-gp2-200", LineKind::disk(AwsGp2, Storage), 200.0, 20.0),
                // 5,000 GB at a 10% discount: 450.00 (list 500.00). gp2 gives 15,000 IOPS:
                // gp3 = 450 × 0.8 = 360 + (12,000 × 0.005 + 125 × 0.04) × 0.9 = 58.50 →
                // 418.50, saving 31.50.
                volume(
                    "vol-gp2-big",
                    LineKind::disk(AwsGp2, Storage),
                    5000.0,
                    450.0,
                ),
                // io1 500 GB (62.50) + 4000 IOPS (260.00) = 322.50; gp3: 500 × 0.08 = 40 +
                // (4000 − 3000) × 0.005 = 5 → 45.00; saving 277.50 in 744 h.
                volume("vol-io1", LineKind::disk(AwsIo1, Storage), 500.0, 62.5),
                volume("vol-io1", LineKind::disk(AwsIo1, Iops), 4000.0, 260.0),
                // io1 100 GB (12.50) with no IOPS lines on the bill: gp3 8.00.
                volume("vol-io1-bare", LineKind::disk(AwsIo1, Storage), 100.0, 12.5),
                // magnetic 200 GB (10.00) + I/O (3.10) = 13.10; gp3 16.00: no saving.
                volume("vol-mag", LineKind::disk(AwsMagnetic, Storage), 200.0, 10.0),
                volume("vol-mag", LineKind::disk(AwsMagnetic, Requests), 62e6, 3.10),
            ],
            None,
        );
        let gp2 = find(&u, "ebs-gp2-to-gp3", "vol-gp2");
        assert!((gp2.monthly_saving - 5.0 * 730.0 / 744.0).abs() < 1e-9);
        assert!(gp2.recommendation.contains("3000 IOPS and 250 MiB/s"));
        let small = find(&u, "ebs-gp2-to-gp3", "vol-gp2-small");
        assert!((small.monthly_saving - 2.0 * 730.0 / 744.0).abs() < 1e-9);
        assert_eq!(
            small.recommendation,
            "change the volume type to gp3 (no downtime)"
        );
        let big = find(&u, "ebs-gp2-to-gp3", "vol-gp2-big");
        assert!((big.monthly_saving - 31.5 * 730.0 / 744.0).abs() < 1e-9);
        assert!(big.recommendation.contains("15000 IOPS"));
        assert!(!u
            .findings
            .iter()
            .any(|f| f.resource_id.as_deref() == Some("vol-gp2-200")));
        let io1 = find(&u, "ebs-io1", "vol-io1");
        // The volume lives all of October: 500 GB, 4000 IOPS. gp3: 40.00 + (4000 − 3000) ×
        // 0.005 = 45.00; (322.50 − 45.00) × 730/744 = 272.2782.
        assert!(
            (io1.monthly_saving - 272.2782).abs() < 1e-3,
            "{}",
            io1.monthly_saving
        );
        assert_eq!(
            io1.recommendation,
            "change to gp3 with 4000 IOPS (or io2 if it needs io1's durability)"
        );
        let bare = find(&u, "ebs-io1", "vol-io1-bare");
        assert_eq!(
            bare.recommendation,
            "change to gp3 (or io2 if it needs io1's durability)"
        );
        let magnetic = find(&u, "ebs-magnetic", "vol-mag");
        assert_eq!(magnetic.monthly_saving, 0.0);
    }

    #[test]
    fn idle_ip_snapshot_and_offhours() {
        let ip = volume("eipalloc-1", LineKind::PublicIp { idle: true }, 744.0, 3.72);
        let mut old = volume("snap-old", LineKind::Snapshot, 100.0, 5.0);
        old.account = Some("222".into());
        let new = volume("snap-new", LineKind::Snapshot, 100.0, 5.0);
        let mut a = aggs(vec![
            ip,
            old,
            new,
            // A dev m5.large up all 744 h; 400 of its hours fall outside weekdays 08-20.
            {
                let mut r = instance("i-dev", "m5.large", 744, 71.424, Some("Dev"));
                r.offhours_cost = 400.0 * 0.096;
                r
            },
            instance("i-prod", "m5.large", 744, 71.424, Some("prod")),
        ]);
        a.first_seen
            .insert("snap-old".into(), a.period.end - 120 * 86_400_000);
        a.first_seen
            .insert("snap-new".into(), a.period.end - 20 * 86_400_000);
        let u = analyse_with_defaults(&a, None);
        assert!(
            (find(&u, "idle-public-ip", "eipalloc-1").monthly_saving - 3.72 * 730.0 / 744.0).abs()
                < 1e-9
        );
        assert!(u
            .findings
            .iter()
            .any(|f| f.rule == "old-snapshot" && f.resource_id.as_deref() == Some("snap-old")));
        assert!(!u
            .findings
            .iter()
            .any(|f| f.resource_id.as_deref() == Some("snap-new")));
        // Account 222 has 100 GB-months of snapshots and no volumes.
        assert!(u
            .findings
            .iter()
            .any(|f| f.rule == "snapshot-heavy-account" && f.account_id.as_deref() == Some("222")));
        let dev = find(&u, "offhours-schedule", "i-dev");
        assert!((dev.monthly_saving - 38.4 * 730.0 / 744.0).abs() < 1e-9);
        assert!(!u
            .findings
            .iter()
            .any(|f| f.rule == "offhours-schedule" && f.resource_id.as_deref() == Some("i-prod")));
    }

    #[test]
    fn utilisation_idle_and_downsize_and_match_counts() {
        let util = vec![
            Utilization {
                resource_id: "i-idle".into(),
                cpu_max_pct: 3.0,
                cpu_p95_pct: 1.0,
                mem_p95_pct: Some(10.0),
                days_observed: 30,
            },
            Utilization {
                resource_id: "i-big".into(),
                cpu_max_pct: 50.0,
                cpu_p95_pct: 20.0,
                mem_p95_pct: Some(30.0),
                days_observed: 30,
            },
            Utilization {
                resource_id: "i-busy".into(),
                cpu_max_pct: 99.0,
                cpu_p95_pct: 80.0,
                mem_p95_pct: Some(70.0),
                days_observed: 30,
            },
            Utilization {
                resource_id: "i-gone".into(),
                cpu_max_pct: 1.0,
                cpu_p95_pct: 1.0,
                mem_p95_pct: None,
                days_observed: 30,
            },
        ];
        let u = run(
            vec![
                instance("i-idle", "m5.2xlarge", 744, 285.696, Some("prod")),
                // r5.xlarge 0.252 → r5.large 0.126: half of 187.488 = 93.744 in 744 h.
                instance("i-big", "r5.xlarge", 744, 187.488, Some("prod")),
                instance("i-busy", "m7g.large", 744, 60.0, Some("prod")),
                instance("i-nodata", "m7g.large", 744, 60.0, Some("prod")),
            ],
            Some(&util),
        );
        assert!(
            (find(&u, "idle-instance", "i-idle").monthly_saving - 285.696 * 730.0 / 744.0).abs()
                < 1e-9
        );
        let big = find(&u, "downsize-instance", "i-big");
        assert!(big.recommendation.contains("r5.large"));
        assert!((big.monthly_saving - 93.744 * 730.0 / 744.0).abs() < 1e-9);
        assert!(!u
            .findings
            .iter()
            .any(|f| f.resource_id.as_deref() == Some("i-busy") && f.rule.contains("size")));
        assert_eq!(
            u.utilization,
            Some(UtilizationMatch {
                matched: 3,
                only_in_file: 1,
                only_in_bill: 1
            })
        );
    }

    #[test]
    fn idle_gateways_and_balancers_with_nothing_processed() {
        use crate::engine::kinds::GatewayPart::{Bytes, Hours};
        // nat-idle: 744 hours at 0.045 = 33.48 and a bytes line of 0 GB: idle, all of it
        // saved. nat-busy: the same hours and 120 GB processed: not idle. lb-idle: 744 hours
        // at 0.0225 = 16.74 and 0 capacity units: idle. lb-short: 200 hours only, under the
        // 336-hour threshold.
        let u = run(
            vec![
                volume("nat-idle", LineKind::NatGateway(Hours), 744.0, 33.48),
                volume("nat-idle", LineKind::NatGateway(Bytes), 0.0, 0.0),
                volume("nat-busy", LineKind::NatGateway(Hours), 744.0, 33.48),
                volume("nat-busy", LineKind::NatGateway(Bytes), 120.0, 5.4),
                volume("lb-idle", LineKind::LoadBalancer(Hours), 744.0, 16.74),
                volume("lb-idle", LineKind::LoadBalancer(Bytes), 0.0, 0.0),
                volume("lb-short", LineKind::LoadBalancer(Hours), 200.0, 4.5),
            ],
            None,
        );
        let nat = find(&u, "idle-nat-gateway", "nat-idle");
        assert!((nat.monthly_saving - 33.48 * 730.0 / 744.0).abs() < 1e-9);
        let lb = find(&u, "idle-load-balancer", "lb-idle");
        assert!((lb.monthly_saving - 16.74 * 730.0 / 744.0).abs() < 1e-9);
        for id in ["nat-busy", "lb-short"] {
            assert!(!u
                .findings
                .iter()
                .any(|f| f.resource_id.as_deref() == Some(id)));
        }
    }

    #[test]
    fn idle_addresses_without_a_resource_id_are_found_per_account_and_region() {
        // Two idle-address lines of account 111 in us-east-1 with no resource id, 744 hours
        // and 3.72 each: one finding, 7.44 in the period, about 2 addresses.
        let mut a = volume("x", LineKind::PublicIp { idle: true }, 744.0, 3.72);
        a.resource_id = None;
        let mut b = a.clone();
        b.usage_type = Some("other".into());
        let u = run(vec![a, b], None);
        let found: Vec<&Finding> = u
            .findings
            .iter()
            .filter(|f| f.rule == "idle-public-ip")
            .collect();
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = found[0];
        assert_eq!(f.resource_id, None);
        assert_eq!(
            (f.account_id.as_deref(), f.region.as_deref()),
            (Some("111"), Some("us-east-1"))
        );
        assert!((f.monthly_saving - 7.44 * 730.0 / 744.0).abs() < 1e-9);
        assert!(f.current.contains("about 2.0"), "{}", f.current);
    }

    #[test]
    fn data_transfer_hot_spots_name_the_scope_and_claim_nothing() {
        use crate::engine::kinds::Direction::{InterZone, Out};
        // Of 100.00 of data transfer: account 111 inter-zone 50, account 111 out 10, account
        // 222 out 40. At the 20% threshold the 50 and the 40 are hot spots, the 10 is not.
        let dt = |account: &str, direction, cost| {
            let mut r = volume("x", LineKind::DataTransfer(direction), cost * 10.0, cost);
            r.resource_id = None;
            r.account = Some(account.into());
            r
        };
        let u = run(
            vec![
                dt("111", InterZone, 50.0),
                dt("111", Out, 10.0),
                dt("222", Out, 40.0),
            ],
            None,
        );
        let spots: Vec<(Option<&str>, f64)> = u
            .findings
            .iter()
            .filter(|f| f.rule == "data-transfer-hotspot")
            .map(|f| (f.account_id.as_deref(), f.period_cost))
            .collect();
        assert_eq!(spots, vec![(Some("111"), 50.0), (Some("222"), 40.0)]);
        assert!(u
            .findings
            .iter()
            .filter(|f| f.rule == "data-transfer-hotspot")
            .all(|f| f.monthly_saving == 0.0));
    }

    #[test]
    fn unread_standard_storage_moves_to_infrequent_access() {
        use crate::engine::kinds::{ObjectPart, ObjectStorage, StorageClass};
        let object = |part| {
            LineKind::ObjectStorage(ObjectStorage {
                class: StorageClass::Standard,
                part,
            })
        };
        // cold: 1000 GB-months costing 23.00 and only writes: 30% of it claimed, 6.90 in the
        // period. read: the same and 5 reads: left alone. unknown: requests the
        // bill does not split: left alone.
        let u = run(
            vec![
                volume("cold", object(ObjectPart::Storage), 1000.0, 23.0),
                volume("cold", object(ObjectPart::Writes), 100.0, 0.0005),
                volume("read", object(ObjectPart::Storage), 1000.0, 23.0),
                volume("read", object(ObjectPart::Reads), 5.0, 0.000002),
                volume("unknown", object(ObjectPart::Storage), 1000.0, 23.0),
                volume("unknown", object(ObjectPart::Requests), 5.0, 0.000002),
            ],
            None,
        );
        let f = find(&u, "object-storage-tiering", "cold");
        assert!((f.monthly_saving - 6.9 * 730.0 / 744.0).abs() < 1e-9);
        for id in ["read", "unknown"] {
            assert!(!u
                .findings
                .iter()
                .any(|f| f.resource_id.as_deref() == Some(id)));
        }
    }

    #[test]
    fn rds_io1_storage_moves_to_gp3() {
        use crate::engine::kinds::DatabaseStorage;
        let storage = |part| {
            LineKind::DatabaseStorage(DatabaseStorage {
                volume_type: AwsIo1,
                part,
                multi_az: false,
            })
        };
        // 500 GB of io1 with 10,000 IOPS all month: at list 500 × 0.125 + 10,000 × 0.10 =
        // 1062.50; gp3 from 400 GB includes 12,000 IOPS: 500 × 0.115 = 57.50. The bill's
        // 1062.50 × (1 − 57.50 / 1062.50) = 1005.00 in the period.
        let u = run(
            vec![
                volume("db-1", storage(Storage), 500.0, 62.5),
                volume("db-1", storage(Iops), 10_000.0, 1000.0),
            ],
            None,
        );
        let f = find(&u, "rds-io1-to-gp3", "db-1");
        assert!((f.monthly_saving - 1005.0 * 730.0 / 744.0).abs() < 1e-9);
    }

    #[test]
    fn cost_explorer_data_says_what_is_missing() {
        let mut a = aggs(vec![]);
        a.has_resources = false;
        let u = analyse_with_defaults(&a, None);
        assert!(u.findings.is_empty());
        assert!(u.notes[0].contains("no line names a resource"));
    }
}

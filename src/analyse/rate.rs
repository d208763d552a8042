//! Rate optimisation: commitment KPIs (FinOps Foundation definitions), purchase sizing
//! ([`super::sizing`]), expiring and under-used commitments, and Spot opportunities.
//!
//! KPI formulas, as stated in the report:
//! - commitment utilisation = 1 − unused commitment cost ÷ total commitment cost, where unused
//!   cost is the EffectiveCost of lines with CommitmentDiscountStatus = Unused and total is used
//!   plus unused;
//! - commitment coverage = ListCost of commitment-covered usage ÷ ListCost of all
//!   commitment-eligible usage (instance hours of VMs and managed databases, caches, search and
//!   warehouse nodes, and serverless compute; Spot is not eligible);
//! - effective savings rate = (ListCost − EffectiveCost − unused commitment) ÷ ListCost over
//!   eligible usage; negotiated savings = ListCost − ContractedCost, leaving out usage priced
//!   on demand that cost nothing (free tier, promotions: reported apart as free usage);
//!   commitment savings = ContractedCost − EffectiveCost;
//! - Spot share = on-demand-equivalent cost of Spot VM instance hours ÷ that of all VM instance
//!   hours (ListCost; for a Spot line without a public on-demand price, the catalog's on-demand
//!   price × hours); and by hours: Spot VM instance-hours ÷ all VM instance-hours.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt};

use super::sizing;
use crate::catalog;
use crate::config::{RateRules, TagPolicy};
use crate::engine::aggregates::{Aggregates, HourlyRow, ResourceRow, Text};
use crate::engine::classify::ComputeClass;
use crate::engine::inventory::Instance;
use crate::engine::kinds::{InstanceService, Pricing};
use crate::findings::{per_month, Category, Confidence, Finding};
use crate::schema::{charge_category, commitment_status, pricing_category};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Kpis {
    pub commitment_utilization_pct: Option<f64>,
    pub commitment_coverage_pct: Option<f64>,
    pub effective_savings_rate_pct: Option<f64>,
    /// By on-demand-equivalent cost (see [`kpis_and_coverage`]).
    pub spot_share_pct: Option<f64>,
    /// By instance-hours.
    pub spot_share_hours_pct: Option<f64>,
    /// What the Spot VM hours cost (EffectiveCost).
    pub spot_spend: f64,
    pub eligible_list_cost: f64,
    /// ListCost − ContractedCost of eligible usage that was paid for: a private rate.
    pub negotiated_savings: f64,
    /// ListCost of eligible usage priced on demand that cost nothing (free tier, promotional
    /// usage): not a negotiated rate.
    pub free_usage: f64,
    pub commitment_savings: f64,
    pub unused_commitment_cost: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentUse {
    pub id: String,
    pub kind: String,
    pub instance_type: Option<String>,
    pub region: Option<String>,
    pub used_cost: f64,
    pub unused_cost: f64,
    pub utilization_pct: Option<f64>,
    pub end: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceCoverage {
    pub service: String,
    pub eligible_list_cost: f64,
    pub covered_list_cost: f64,
    pub coverage_pct: Option<f64>,
}

/// On-demand VM usage of one instance type in one region, hour by hour over the period
/// (zero-filled): the steady baseline a reservation could cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub region: String,
    pub instance_type: String,
    pub hours: usize,
    /// Instances running (instance-hours per hour): minimum, 10th percentile (linear
    /// interpolation, as DuckDB's quantile_cont and numpy), mean and maximum.
    pub min: f64,
    pub p10: f64,
    pub mean: f64,
    pub max: f64,
    pub on_demand_cost: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rate {
    pub kpis: Kpis,
    pub baselines: Vec<Baseline>,
    pub commitments: Vec<CommitmentUse>,
    pub coverage: Vec<ServiceCoverage>,
    pub sizing: Vec<sizing::Sizing>,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

/// Usage a commitment could cover: instance hours and serverless compute, on demand or already
/// covered (the kinds decide which lines those are, for every provider).
fn is_eligible_usage(row: &ResourceRow) -> bool {
    row.charge_category.as_deref() == Some(charge_category::USAGE)
        && matches!(
            row.pricing_category.as_deref(),
            Some(pricing_category::STANDARD) | Some(pricing_category::COMMITTED)
        )
        && row.kind.is_commitment_eligible()
}

/// `x` rounded to a billionth.
fn to_nano(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

fn pct(part: f64, whole: f64) -> Option<f64> {
    (whole != 0.0).then(|| part / whole * 100.0)
}

fn kpis_and_coverage(
    aggs: &Aggregates,
    commitments: &[CommitmentUse],
) -> (Kpis, Vec<ServiceCoverage>) {
    let used: f64 = commitments.iter().map(|c| c.used_cost).sum();
    let unused: f64 = commitments.iter().map(|c| c.unused_cost).sum();
    let mut by_service: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let (mut list, mut effective, mut contracted, mut free_usage) = (0.0, 0.0, 0.0, 0.0);
    let (mut spot_list, mut vm_list, mut spot_hours, mut vm_hours, mut spot_spend) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    let catalog = catalog::Catalog::builtin();
    for row in &aggs.resources {
        let vm_hour = row.kind.instance().filter(|i| {
            i.service == InstanceService::VirtualMachine
                && row.charge_category.as_deref() == Some(charge_category::USAGE)
        });
        if let Some(vm) = vm_hour {
            // Quantities are summed as floats, in an order that depends on the aggregation
            // route: to the nano-unit they agree, and the report must not depend on the route.
            let hours = to_nano(row.quantity);
            // Spot lines of legacy CURs have no public on-demand price (their ListCost is 0, or
            // what was paid): there the catalog's on-demand price gives their on-demand
            // equivalent. Spot is always below on demand, so a Spot line whose ListCost is
            // above its cost has a real one.
            let no_list_price = row.list <= row.effective + 1e-9;
            let list = if vm.pricing == Pricing::Spot && no_list_price {
                let on_demand = catalog
                    .instance(&vm.class)
                    .map_or(0.0, |c| to_nano(c.price_per_hour * hours));
                row.list.max(on_demand)
            } else {
                row.list
            };
            vm_list += list;
            vm_hours += hours;
            if vm.pricing == Pricing::Spot {
                spot_list += list;
                spot_hours += hours;
                spot_spend += row.effective;
            }
        }
        if !is_eligible_usage(row) {
            continue;
        }
        list += row.list;
        effective += row.effective;
        contracted += row.contracted;
        let free = row.pricing_category.as_deref() == Some(pricing_category::STANDARD)
            && row.billed == 0.0
            && row.effective == 0.0
            && row.contracted == 0.0;
        if free {
            free_usage += row.list;
        }
        let e = by_service
            .entry(row.service.as_deref().unwrap_or_default().to_string())
            .or_default();
        e.0 += row.list;
        if row.pricing_category.as_deref() == Some(pricing_category::COMMITTED) {
            e.1 += row.list;
        }
    }
    let covered: f64 = by_service.values().map(|(_, c)| c).sum();
    let coverage = by_service
        .into_iter()
        .map(|(service, (eligible, covered))| ServiceCoverage {
            service,
            eligible_list_cost: eligible,
            covered_list_cost: covered,
            coverage_pct: pct(covered, eligible),
        })
        .collect();
    let kpis = Kpis {
        commitment_utilization_pct: (used + unused != 0.0)
            .then(|| (1.0 - unused / (used + unused)) * 100.0),
        commitment_coverage_pct: pct(covered, list),
        effective_savings_rate_pct: pct(list - effective - unused, list),
        spot_share_pct: pct(spot_list, vm_list),
        spot_share_hours_pct: pct(spot_hours, vm_hours),
        spot_spend,
        eligible_list_cost: list,
        negotiated_savings: list - contracted - free_usage,
        free_usage,
        commitment_savings: contracted - effective,
        unused_commitment_cost: unused,
    };
    (kpis, coverage)
}

fn commitment_use(aggs: &Aggregates) -> Vec<CommitmentUse> {
    let mut by_id: BTreeMap<&str, CommitmentUse> = BTreeMap::new();
    for row in &aggs.commitments {
        let entry = by_id
            .entry(row.id.as_str())
            .or_insert_with(|| CommitmentUse {
                id: row.id.clone(),
                kind: row.kind.clone().unwrap_or_default(),
                instance_type: None,
                region: None,
                used_cost: 0.0,
                unused_cost: 0.0,
                utilization_pct: None,
                end: None,
            });
        match row.status.as_deref() {
            Some(commitment_status::USED) => entry.used_cost += row.effective,
            Some(commitment_status::UNUSED) => entry.unused_cost += row.effective,
            _ => {}
        }
        if entry.instance_type.is_none() {
            entry.instance_type.clone_from(&row.instance_type);
        }
        if entry.region.is_none() {
            entry.region.clone_from(&row.region);
        }
        entry.end = entry.end.max(row.end);
    }
    by_id
        .into_values()
        .map(|mut c| {
            c.utilization_pct = pct(c.used_cost, c.used_cost + c.unused_cost);
            c
        })
        .collect()
}

/// What a short-lived run looks like: account, instance type and policy tag values.
/// What a short-lived run looks like: account, instance type and policy tags.
type RunShape<'a> = (Option<&'a str>, &'a str, &'a [Option<Text>]);

fn run_shape(i: &Instance) -> RunShape<'_> {
    (i.account.as_deref(), &i.instance_type, &i.tags)
}

/// Per region and instance type, the hourly on-demand VM usage and its baseline.
fn baselines(aggs: &Aggregates) -> Vec<Baseline> {
    let mut groups: BTreeMap<(String, String), Vec<&HourlyRow>> = BTreeMap::new();
    for r in &aggs.hourly {
        let on_demand_instance = r.pricing_category.as_deref() == Some(pricing_category::STANDARD)
            && r.class == ComputeClass::Instance;
        if let (true, Some(t)) = (on_demand_instance, &r.instance_type) {
            groups
                .entry((r.region.clone().unwrap_or_default(), t.clone()))
                .or_default()
                .push(r);
        }
    }
    let mut out: Vec<Baseline> = groups
        .into_iter()
        .map(|((region, instance_type), rows)| {
            let on_demand_cost = rows.iter().map(|r| r.billed).sum();
            let hourly = sizing::series(aggs, rows.into_iter(), |r| r.quantity);
            let n = hourly.len().max(1) as f64;
            Baseline {
                region,
                instance_type,
                hours: hourly.len(),
                min: hourly.iter().copied().reduce(f64::min).unwrap_or(0.0),
                p10: sizing::quantile(&hourly, 0.1),
                mean: hourly.iter().sum::<f64>() / n,
                max: hourly.iter().copied().fold(0.0, f64::max),
                on_demand_cost,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.on_demand_cost
            .total_cmp(&a.on_demand_cost)
            .then_with(|| (&a.region, &a.instance_type).cmp(&(&b.region, &b.instance_type)))
    });
    out
}

/// Spot candidates: on-demand VMs run by an Auto Scaling group, a Kubernetes node pool, EMR,
/// Dataproc or Batch (they replace interrupted instances: high confidence); non-production
/// instances; and short-lived instances that recur (batch-like work). Saving = on-demand cost
/// × the configured Spot discount.
pub fn spot_candidates(
    aggs: &Aggregates,
    rules: &RateRules,
    tags: &TagPolicy,
    instances: &[Instance],
) -> Vec<Finding> {
    let fleet: Vec<&Instance> = instances
        .iter()
        .filter(|i| i.is_vm() && i.on_demand_cost > 0.0)
        .collect();
    let non_prod: BTreeSet<String> = tags
        .non_production_values
        .iter()
        .map(|v| v.to_lowercase())
        .collect();
    // The days on which runs of each shape started.
    let mut runs: HashMap<RunShape, BTreeSet<i64>> = HashMap::new();
    for i in fleet
        .iter()
        .filter(|i| i.lifetime_hours() < rules.short_lived_hours)
    {
        runs.entry(run_shape(i))
            .or_default()
            .insert(i.first_start / 86_400_000);
    }
    let hours = aggs.covered_hours();
    let mut out = Vec::new();
    for i in &fleet {
        let env = i.environment(aggs, &tags.environment_key);
        let recurring_days = runs.get(&run_shape(i)).map_or(0, BTreeSet::len);
        let (reason, confidence) = if let Some(o) = &i.orchestrator {
            (
                format!(
                    "runs in an {} (replaces interrupted instances)",
                    o.label(i.provider)
                ),
                Confidence::High,
            )
        } else if env.as_deref().is_some_and(|e| non_prod.contains(e)) {
            (
                format!("non-production (environment '{}')", env.unwrap_or_default()),
                Confidence::Medium,
            )
        } else if i.lifetime_hours() < rules.short_lived_hours
            && recurring_days >= rules.short_lived_min_days as usize
        {
            (
                format!(
                    "short-lived ({:.0} h) and recurring: similar runs on {recurring_days} days",
                    i.lifetime_hours()
                ),
                Confidence::Medium,
            )
        } else {
            continue;
        };
        let saving = i.on_demand_cost * rules.spot_discount_pct / 100.0;
        let mut f = Finding::new(Category::Rate, "spot-candidate", &i.id);
        f.resource_id = Some(i.id.clone());
        f.account_id = i.account.clone();
        f.service = i.service.clone();
        f.region = i.region.clone();
        f.current = format!("{} on-demand", i.instance_type);
        f.recommendation = format!(
            "run it on Spot ({} Spot discount assumed)",
            pct_text(rules.spot_discount_pct)
        );
        f.period_cost = i.on_demand_cost;
        f.monthly_saving = per_month(saving, hours);
        f.currency = aggs.currency.clone();
        f.confidence = confidence;
        f.evidence = format!(
            "{reason}; {:.0} on-demand hours costing {:.2}",
            i.on_demand_hours, i.on_demand_cost
        );
        out.push(f);
    }
    out
}

fn pct_text(x: f64) -> String {
    format!("{x:.0}%")
}

pub fn analyse(aggs: &Aggregates, rules: &RateRules, actions: &[sizing::Action]) -> Rate {
    let commitments = commitment_use(aggs);
    let (kpis, coverage) = kpis_and_coverage(aggs, &commitments);
    let mut rate = Rate {
        kpis,
        coverage,
        baselines: baselines(aggs),
        ..Rate::default()
    };
    if aggs.has_resources || !aggs.hourly.is_empty() {
        rate.sizing = sizing::sizing(aggs, rules, actions);
    }
    rate.notes.extend(sizing::gaps(aggs, &rules.discounts));
    if !aggs.is_hourly() {
        rate.notes.push(
            "Commitment sizing is approximate: the data has daily or monthly totals, so hourly \
             peaks and troughs are averaged out, which overstates the steady baseline a \
             commitment can cover."
                .into(),
        );
    }
    let hours = aggs.covered_hours();
    // One finding per scope (all compute, or a region and family): its best product. The
    // other products are in commitments.csv with their curves.
    rate.findings
        .extend(sizing::purchase_findings(&rate.sizing, &aggs.currency));
    let window_end = aggs
        .data_end
        .map(|e| e + i64::from(rules.expiry_window_days) * 86_400_000);
    for c in &commitments {
        let describe = format!(
            "{}{}",
            c.kind,
            c.instance_type
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default()
        );
        if let (Some(end), Some(window_end), Some(data_end)) = (c.end, window_end, aggs.data_end) {
            if end <= window_end && end >= data_end - 86_400_000 {
                let mut f = Finding::new(Category::Rate, "commitment-expiring", &c.id);
                f.resource_id = Some(c.id.clone());
                f.region.clone_from(&c.region);
                f.current = format!(
                    "{describe}, ends {}",
                    &crate::period::iso_timestamp(end)[..10]
                );
                f.recommendation =
                    "decide now: renew, replace with a Savings Plan, or let it lapse".into();
                f.period_cost = c.used_cost + c.unused_cost;
                f.currency = aggs.currency.clone();
                f.counted = false;
                f.evidence = format!(
                    "ends {} days after the data; it covered {:.2} of usage in the period",
                    (end - data_end) / 86_400_000,
                    c.used_cost
                );
                rate.findings.push(f);
            }
        }
        if let Some(u) = c.utilization_pct {
            if u < rules.underused_below_pct {
                let mut f = Finding::new(Category::Rate, "commitment-underused", &c.id);
                f.resource_id = Some(c.id.clone());
                f.region.clone_from(&c.region);
                f.current = format!("{describe}, {u:.1}% used");
                f.recommendation = "move matching usage onto it, exchange it (convertible), or sell it on the RI Marketplace".into();
                f.period_cost = c.used_cost + c.unused_cost;
                f.monthly_saving = per_month(c.unused_cost, hours);
                f.currency = aggs.currency.clone();
                f.confidence = Confidence::Medium;
                f.evidence = format!(
                    "unused {:.2} of {:.2} committed in the period (threshold {:.0}%)",
                    c.unused_cost,
                    c.used_cost + c.unused_cost,
                    rules.underused_below_pct
                );
                rate.findings.push(f);
            }
        }
    }
    rate.commitments = commitments;
    rate
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::kinds::LineKind;

    fn row(pricing: &str, list: f64, effective: f64, contracted: f64) -> ResourceRow {
        let kind = match pricing {
            "Standard" => Pricing::OnDemand,
            "Committed" => Pricing::Committed,
            _ => Pricing::Spot,
        };
        ResourceRow {
            resource_id: Some("r".into()),
            charge_category: Some("Usage".into()),
            service: Some("Amazon Elastic Compute Cloud".into()),
            kind: LineKind::vm("m5.large", kind),
            instance_type: Some("m5.large".into()),
            pricing_category: Some(pricing.into()),
            list,
            effective,
            contracted,
            ..ResourceRow::default()
        }
    }

    #[test]
    fn free_tier_usage_is_not_a_negotiated_saving() {
        // An on-demand hour at a 10% private rate (list 100, contracted and effective 90), and
        // free-tier hours that cost nothing (list 8.35): negotiated 10, free usage 8.35.
        let aggs = Aggregates {
            resources: vec![
                row("Standard", 100.0, 90.0, 90.0),
                row("Standard", 8.35, 0.0, 0.0),
            ],
            ..Aggregates::october_2026()
        };
        let k = analyse(&aggs, &RateRules::default(), &[]).kpis;
        assert!((k.negotiated_savings - 10.0).abs() < 1e-9);
        assert!((k.free_usage - 8.35).abs() < 1e-9);
    }

    #[test]
    fn kpis_by_hand() {
        let aggs = Aggregates {
            resources: vec![
                // On-demand 100 list (90 contracted after a private rate, 90 effective).
                row("Standard", 100.0, 90.0, 90.0),
                // Reserved: 300 list, 180 effective.
                row("Committed", 300.0, 180.0, 300.0),
                // Spot: 50 list, not eligible for commitments.
                row("Dynamic", 50.0, 17.5, 17.5),
            ],
            commitments: vec![
                crate::engine::aggregates::CommitmentRow {
                    id: "ri".into(),
                    kind: Some("Reserved Instance".into()),
                    status: Some("Used".into()),
                    charge_category: Some("Usage".into()),
                    effective: 180.0,
                    billed: 0.0,
                    list: 300.0,
                    quantity: 0.0,
                    end: None,
                    instance_type: None,
                    region: None,
                    account: None,
                },
                crate::engine::aggregates::CommitmentRow {
                    id: "ri".into(),
                    kind: Some("Reserved Instance".into()),
                    status: Some("Unused".into()),
                    charge_category: Some("Purchase".into()),
                    effective: 20.0,
                    billed: 20.0,
                    list: 0.0,
                    quantity: 0.0,
                    end: None,
                    instance_type: None,
                    region: None,
                    account: None,
                },
            ],
            ..Aggregates::october_2026()
        };
        let r = analyse(&aggs, &RateRules::default(), &[]);
        let k = &r.kpis;
        // Utilisation: 1 − 20 / (180 + 20) = 90%.
        assert!((k.commitment_utilization_pct.unwrap() - 90.0).abs() < 1e-9);
        // Coverage: 300 covered of 400 eligible list = 75%.
        assert!((k.commitment_coverage_pct.unwrap() - 75.0).abs() < 1e-9);
        // ESR: (400 − 270 − 20) / 400 = 27.5%.
        assert!((k.effective_savings_rate_pct.unwrap() - 27.5).abs() < 1e-9);
        // Negotiated 400 − 390 = 10; commitment 390 − 270 = 120.
        assert!((k.negotiated_savings - 10.0).abs() < 1e-9);
        assert!((k.commitment_savings - 120.0).abs() < 1e-9);
        // Spot share: 50 of 450 VM list = 11.11%.
        assert!((k.spot_share_pct.unwrap() - 50.0 / 450.0 * 100.0).abs() < 1e-9);
        assert_eq!(r.commitments[0].utilization_pct, Some(90.0));
    }
}

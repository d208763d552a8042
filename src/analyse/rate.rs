//! Rate optimisation: commitment KPIs (FinOps Foundation definitions), purchase sizing for
//! Savings Plans and Reserved Instances from the hourly on-demand series, expiring and
//! under-used commitments, and Spot opportunities.
//!
//! KPI formulas, as stated in the report:
//! - commitment utilisation = 1 − unused commitment cost ÷ total commitment cost, where unused
//!   cost is the EffectiveCost of lines with CommitmentDiscountStatus = Unused and total is used
//!   plus unused;
//! - commitment coverage = ListCost of commitment-covered usage ÷ ListCost of all
//!   commitment-eligible usage (instance hours of VMs and managed databases, caches, search and
//!   warehouse nodes, and serverless compute; Spot is not eligible);
//! - effective savings rate = (ListCost − EffectiveCost − unused commitment) ÷ ListCost over
//!   eligible usage; negotiated savings = ListCost − ContractedCost, commitment savings =
//!   ContractedCost − EffectiveCost;
//! - Spot share = on-demand-equivalent cost of Spot VM instance hours ÷ that of all VM instance
//!   hours (ListCost; for a Spot line without a public on-demand price, the catalog's on-demand
//!   price × hours); and by hours: Spot VM instance-hours ÷ all VM instance-hours.
//!
//! Purchase sizing: a commitment of c per hour at discount d costs c·(1−d) every hour and
//! covers min(spend_h, c); S(c) = Σ_h [min(spend_h, c) − c·(1−d)]. S is concave and piecewise
//! linear with breaks at the observed hourly values, so its maximum is at one of them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::catalog;
use crate::config::{CommitmentKind, Discount, RateRules, TagPolicy};
use crate::engine::aggregates::{Aggregates, HourlyRow, ResourceRow};
use crate::engine::classify::{self, ComputeClass, Signal};
use crate::engine::inventory::{instances, Instance};
use crate::engine::kinds::{InstanceService, Pricing, Provider};
use crate::findings::{per_month, Category, Confidence, Finding};
use crate::schema::{charge_category, commitment_status, pricing_category};

const HOUR_MS: i64 = 3_600_000;

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
    pub negotiated_savings: f64,
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

/// The result of sizing one product over one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    pub product: String,
    pub kind: CommitmentKind,
    /// `all compute` or `<region> <family>`.
    pub scope: String,
    pub discount_pct: f64,
    /// The best commitment, in currency per hour.
    pub hourly_commitment: f64,
    /// ...and in normalised units per hour, for reservations.
    pub hourly_units: Option<f64>,
    pub monthly_saving: f64,
    pub utilization_pct: f64,
    pub coverage_pct: f64,
    pub break_even_utilization_pct: f64,
    /// (commitment per hour, saving per month) over the candidate levels.
    pub curve: Vec<(f64, f64)>,
    /// True when the data has daily (not hourly) totals.
    pub approximate: bool,
    /// Whether the deduplicated total counts this purchase.
    pub counted: bool,
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
    pub sizing: Vec<Sizing>,
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
    let (mut list, mut effective, mut contracted) = (0.0, 0.0, 0.0);
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
        let e = by_service
            .entry(row.service.clone().unwrap_or_default())
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
        negotiated_savings: list - contracted,
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

/// S(c) for every observed level; returns the best (c, S) and the curve.
/// `series` holds one value per hour (zeros included); `discount` is in 0..1.
pub fn size_commitment(series: &[f64], discount: f64) -> ((f64, f64), Vec<(f64, f64)>) {
    let hours = series.len() as f64;
    let mut sorted: Vec<f64> = series.iter().map(|x| x.max(0.0)).collect();
    sorted.sort_by(f64::total_cmp);
    let saving_at = |c: f64| -> f64 {
        // Σ min(x, c) − H·c·(1−d)
        sorted.iter().map(|x| x.min(c)).sum::<f64>() - hours * c * (1.0 - discount)
    };
    let mut best = (0.0, 0.0);
    let mut below = 0.0; // Σ of values strictly below the level
    let mut i = 0;
    while i < sorted.len() {
        let level = sorted[i];
        let at_or_above = (sorted.len() - i) as f64;
        let s = below + level * at_or_above - hours * level * (1.0 - discount);
        if s > best.1 + 1e-12 {
            best = (level, s);
        }
        while i < sorted.len() && sorted[i] == level {
            below += sorted[i];
            i += 1;
        }
    }
    let max = sorted.last().copied().unwrap_or(0.0);
    let mut levels: Vec<f64> = (0..=40).map(|k| max * k as f64 / 40.0).collect();
    levels.push(best.0);
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    let curve = levels.into_iter().map(|c| (c, saving_at(c))).collect();
    (best, curve)
}

/// Hourly series over the covered hours of the period, zero-filled; `value` picks what a row
/// adds. Longer lines (daily or monthly totals) are spread evenly over their hours.
fn series<'a>(
    aggs: &Aggregates,
    rows: impl Iterator<Item = &'a HourlyRow>,
    value: impl Fn(&HourlyRow) -> f64,
) -> Vec<f64> {
    let (Some(start), Some(end)) = (aggs.data_start, aggs.data_end) else {
        return Vec::new();
    };
    let start = start.max(aggs.period.start);
    let end = end.min(aggs.period.end);
    let hours = ((end - start) / HOUR_MS).max(0) as usize;
    let mut out = vec![0.0; hours];
    for row in rows {
        let first = ((row.hour - start) / HOUR_MS).max(0) as usize;
        let span = ((row.end - row.hour) / HOUR_MS).max(1) as usize;
        let share = value(row) / span as f64;
        for slot in out.iter_mut().skip(first).take(span) {
            *slot += share;
        }
    }
    out
}

fn family_of(instance_type: &str) -> String {
    catalog::split_type(instance_type).map_or_else(|| instance_type.to_string(), |(f, _)| f)
}

/// Sizes every product in the discount table over its provider's on-demand compute:
/// spend-based plans (AWS Compute Savings Plans, Azure savings plans, Google flexible CUDs) over
/// all of it; instance-scoped ones (EC2 Instance Savings Plans, Reserved Instances, Azure
/// reservations, Google resource-based CUDs) per region and family.
/// `removed` is the period saving of counted usage findings per (region, instance type): that
/// spend is expected to go away, so it is taken off before sizing.
fn sizing(
    aggs: &Aggregates,
    discounts: &[Discount],
    removed: &HashMap<(String, String), f64>,
) -> Vec<Sizing> {
    let on_demand: Vec<&HourlyRow> = aggs
        .hourly
        .iter()
        .filter(|r| r.pricing_category.as_deref() == Some(pricing_category::STANDARD))
        .collect();
    // The share of each (region, type)'s on-demand spend that counted findings remove.
    let mut spend: HashMap<(String, String), f64> = HashMap::new();
    for r in &on_demand {
        *spend.entry(key_of(r)).or_default() += r.billed;
    }
    let keep = |r: &HourlyRow| -> f64 {
        let key = key_of(r);
        let total = spend.get(&key).copied().unwrap_or(0.0);
        let gone = removed.get(&key).copied().unwrap_or(0.0);
        if total > 0.0 {
            (1.0 - gone / total).clamp(0.0, 1.0)
        } else {
            1.0
        }
    };
    let approximate = !aggs.is_hourly();
    let mut out = Vec::new();
    let mut size = |product: &Discount, scope: String, series: &[f64], unit_price: Option<f64>| {
        if series.iter().all(|x| *x <= 0.0) {
            return;
        }
        let d = product.discount_pct / 100.0;
        let ((c, s), curve) = size_commitment(series, d);
        let hours = series.len() as f64;
        let total: f64 = series.iter().sum();
        let covered: f64 = series.iter().map(|x| x.min(c)).sum();
        out.push(Sizing {
            product: product.product.clone(),
            kind: product.kind,
            scope,
            discount_pct: product.discount_pct,
            hourly_commitment: c,
            hourly_units: unit_price.map(|p| c / p),
            monthly_saving: per_month(s, hours),
            utilization_pct: if c > 0.0 {
                covered / (hours * c) * 100.0
            } else {
                0.0
            },
            coverage_pct: if total > 0.0 {
                covered / total * 100.0
            } else {
                0.0
            },
            break_even_utilization_pct: (1.0 - d) * 100.0,
            curve: curve
                .into_iter()
                .map(|(c, s)| (c, per_month(s, hours)))
                .collect(),
            approximate,
            counted: false,
        });
    };
    let mut families: BTreeSet<(Provider, String, String)> = BTreeSet::new();
    for r in &on_demand {
        if r.class == ComputeClass::Instance {
            if let Some(t) = &r.instance_type {
                families.insert((
                    r.provider,
                    r.region.clone().unwrap_or_default(),
                    family_of(t),
                ));
            }
        }
    }
    for product in discounts {
        let provider = seller(product.kind);
        if product.kind.spend_based() {
            let rows = on_demand.iter().copied().filter(|r| r.provider == provider);
            let compute = series(aggs, rows, |r| r.billed * keep(r));
            size(product, "all compute".into(), &compute, None);
        } else {
            for (_, region, family) in families.iter().filter(|(p, _, _)| *p == provider) {
                let rows = on_demand.iter().copied().filter(|r| {
                    r.provider == provider
                        && r.class == ComputeClass::Instance
                        && r.region.as_deref().unwrap_or_default() == region
                        && r.instance_type.as_deref().map(family_of).as_ref() == Some(family)
                });
                let family_series = series(aggs, rows, |r| r.billed * keep(r));
                // On-demand price of one normalised unit (size factor 1) in this family.
                let unit_price = (product.kind == CommitmentKind::ReservedInstance)
                    .then(|| {
                        let (cost, units) = on_demand
                            .iter()
                            .filter(|r| {
                                r.provider == provider
                                    && r.region.as_deref().unwrap_or_default() == region
                                    && r.instance_type.as_deref().map(family_of).as_ref()
                                        == Some(family)
                            })
                            .fold((0.0, 0.0), |(c, u), r| {
                                let factor = r
                                    .instance_type
                                    .as_deref()
                                    .and_then(catalog::normalization_factor)
                                    .unwrap_or(0.0);
                                (c + r.billed, u + r.quantity * factor)
                            });
                        (units > 0.0).then(|| cost / units)
                    })
                    .flatten();
                size(
                    product,
                    format!("{region} {family}"),
                    &family_series,
                    unit_price,
                );
            }
        }
    }
    for provider in Provider::ALL {
        let mut own: Vec<Sizing> = Vec::new();
        let mut rest: Vec<Sizing> = Vec::new();
        for s in out.drain(..) {
            if seller(s.kind) == provider {
                own.push(s);
            } else {
                rest.push(s);
            }
        }
        choose_counted(&mut own);
        out = rest.into_iter().chain(own).collect();
    }
    out.sort_by_key(|s| seller(s.kind));
    out
}

/// Providers with on-demand compute that purchase sizing cannot size, and why.
fn sizing_gaps(aggs: &Aggregates, discounts: &[Discount]) -> Vec<String> {
    let with_compute: BTreeSet<Provider> = aggs
        .hourly
        .iter()
        .filter(|r| r.pricing_category.as_deref() == Some(pricing_category::STANDARD))
        .map(|r| r.provider)
        .collect();
    with_compute
        .into_iter()
        .filter_map(|provider| {
            let why = classify::gap(provider, Signal::CommitmentProducts).or_else(|| {
                (!discounts.iter().any(|d| seller(d.kind) == provider)).then_some(
                    "no commitment product of this provider is configured in [[rate.discounts]]",
                )
            })?;
            Some(format!(
                "{} data: commitment purchase sizing not available ({why}).",
                provider.label()
            ))
        })
        .collect()
}

/// The provider that sells a commitment product.
pub fn seller(kind: CommitmentKind) -> Provider {
    match kind {
        CommitmentKind::ComputeSavingsPlan
        | CommitmentKind::Ec2InstanceSavingsPlan
        | CommitmentKind::ReservedInstance => Provider::Aws,
        CommitmentKind::AzureSavingsPlan | CommitmentKind::AzureReservation => Provider::Azure,
        CommitmentKind::GoogleFlexibleCud | CommitmentKind::GoogleResourceCud => Provider::Google,
    }
}

fn key_of(r: &HourlyRow) -> (String, String) {
    (
        r.region.clone().unwrap_or_default(),
        r.instance_type.clone().unwrap_or_default(),
    )
}

/// One provider's purchases are alternatives: count either its best spend-based plan or, per
/// family, the best family-scoped purchase, whichever saves more in total.
fn choose_counted(sizings: &mut [Sizing]) {
    let best_of = |items: &[usize], sizings: &[Sizing]| -> Option<usize> {
        items
            .iter()
            .copied()
            .filter(|&i| sizings[i].monthly_saving > 0.0)
            .max_by(|&a, &b| {
                sizings[a]
                    .monthly_saving
                    .total_cmp(&sizings[b].monthly_saving)
                    .then(b.cmp(&a))
            })
    };
    let compute: Vec<usize> = (0..sizings.len())
        .filter(|&i| sizings[i].kind.spend_based())
        .collect();
    let mut by_scope: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in sizings.iter().enumerate() {
        if !s.kind.spend_based() {
            by_scope.entry(s.scope.clone()).or_default().push(i);
        }
    }
    let family_best: Vec<usize> = by_scope
        .values()
        .filter_map(|items| best_of(items, sizings))
        .collect();
    let family_total: f64 = family_best.iter().map(|&i| sizings[i].monthly_saving).sum();
    match best_of(&compute, sizings) {
        Some(c) if sizings[c].monthly_saving >= family_total => sizings[c].counted = true,
        _ => family_best.iter().for_each(|&i| sizings[i].counted = true),
    }
}

/// What a short-lived run looks like: account, instance type and policy tag values.
type RunShape = (Option<String>, String, Vec<Option<String>>);

/// The q-quantile of `values` by linear interpolation between closest ranks.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let h = (sorted.len() - 1) as f64 * q;
    let low = h.floor() as usize;
    let high = (low + 1).min(sorted.len() - 1);
    sorted[low] + (h - low as f64) * (sorted[high] - sorted[low])
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
            let hourly = series(aggs, rows.into_iter(), |r| r.quantity);
            let n = hourly.len().max(1) as f64;
            Baseline {
                region,
                instance_type,
                hours: hourly.len(),
                min: hourly.iter().copied().reduce(f64::min).unwrap_or(0.0),
                p10: quantile(&hourly, 0.1),
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
pub fn spot_candidates(aggs: &Aggregates, rules: &RateRules, tags: &TagPolicy) -> Vec<Finding> {
    let fleet: Vec<Instance> = instances(aggs)
        .into_iter()
        .filter(|i| i.is_vm() && i.on_demand_cost > 0.0)
        .collect();
    let non_prod: BTreeSet<String> = tags
        .non_production_values
        .iter()
        .map(|v| v.to_lowercase())
        .collect();
    // Short-lived runs grouped by what they look like: account, type and policy tags.
    let mut runs: BTreeMap<RunShape, BTreeSet<i64>> = BTreeMap::new();
    for i in fleet
        .iter()
        .filter(|i| i.lifetime_hours() < rules.short_lived_hours)
    {
        runs.entry((i.account.clone(), i.instance_type.clone(), i.tags.clone()))
            .or_default()
            .insert(i.first_start / 86_400_000);
    }
    let hours = aggs.covered_hours();
    let mut out = Vec::new();
    for i in &fleet {
        let env = i.environment(aggs, &tags.environment_key);
        let recurring_days = runs
            .get(&(i.account.clone(), i.instance_type.clone(), i.tags.clone()))
            .map_or(0, BTreeSet::len);
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

pub fn analyse(
    aggs: &Aggregates,
    rules: &RateRules,
    removed: &HashMap<(String, String), f64>,
) -> Rate {
    let commitments = commitment_use(aggs);
    let (kpis, coverage) = kpis_and_coverage(aggs, &commitments);
    let mut rate = Rate {
        kpis,
        coverage,
        baselines: baselines(aggs),
        ..Rate::default()
    };
    if aggs.has_resources || !aggs.hourly.is_empty() {
        rate.sizing = sizing(aggs, &rules.discounts, removed);
    }
    rate.notes.extend(sizing_gaps(aggs, &rules.discounts));
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
    let mut best_per_scope: BTreeMap<(Provider, &str), &Sizing> = BTreeMap::new();
    for s in rate.sizing.iter().filter(|s| s.monthly_saving > 0.0) {
        let best = best_per_scope
            .entry((seller(s.kind), s.scope.as_str()))
            .or_insert(s);
        if s.monthly_saving > best.monthly_saving || (s.counted && !best.counted) {
            *best = s;
        }
    }
    for s in best_per_scope.into_values() {
        let mut f = Finding::new(
            Category::Rate,
            "commitment-purchase",
            &format!("{} | {}", s.product, s.scope),
        );
        f.region = s
            .scope
            .split_whitespace()
            .next()
            .filter(|_| s.scope != "all compute")
            .map(String::from);
        f.current = format!("{} on-demand", s.scope);
        f.recommendation = match s.hourly_units {
            Some(units) => format!(
                "buy {} for {:.2} normalised units/h ({:.4} {}/h on-demand equivalent)",
                s.product, units, s.hourly_commitment, aggs.currency
            ),
            None => format!(
                "buy {} at {:.4} {}/h",
                s.product, s.hourly_commitment, aggs.currency
            ),
        };
        f.monthly_saving = s.monthly_saving;
        f.currency = aggs.currency.clone();
        f.counted = s.counted;
        f.confidence = if s.approximate {
            Confidence::Low
        } else {
            Confidence::High
        };
        f.evidence = format!(
            "discount {:.0}%: expected utilisation {:.1}%, coverage {:.1}%, break-even utilisation {:.1}%{}",
            s.discount_pct,
            s.utilization_pct,
            s.coverage_pct,
            s.break_even_utilization_pct,
            if s.approximate { "; approximate (daily data)" } else { "" }
        );
        rate.findings.push(f);
    }
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

    #[test]
    fn sizing_worked_by_hand() {
        // Four hours of spend 10, 10, 10, 2 at a 40% discount: commitment costs 0.6·c per hour.
        // S(2) = (2·4) − 4·2·0.6 = 8 − 4.8 = 3.2
        // S(10) = (10+10+10+2) − 4·10·0.6 = 32 − 24 = 8.0   ← best
        // Above 10 nothing more is covered, so S falls.
        let ((c, s), curve) = size_commitment(&[10.0, 10.0, 10.0, 2.0], 0.4);
        assert_eq!(c, 10.0);
        assert!((s - 8.0).abs() < 1e-12);
        assert!(curve
            .iter()
            .any(|(level, s)| *level == 2.0 || (*s - 8.0).abs() < 1e-12));
        // With a 20% discount the commitment costs 0.8·c: S(10) = 32 − 32 = 0, S(2) = 8 − 6.4 =
        // 1.6: the baseline wins.
        let ((c, s), _) = size_commitment(&[10.0, 10.0, 10.0, 2.0], 0.2);
        assert_eq!(c, 2.0);
        assert!((s - 1.6).abs() < 1e-12);
    }

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
        let r = analyse(&aggs, &RateRules::default(), &HashMap::new());
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

    #[test]
    fn quantiles_interpolate_like_duckdb() {
        // numpy.quantile([0, 1, 2, 10], 0.1) = 0.3; DuckDB quantile_cont gives the same.
        assert!((quantile(&[10.0, 0.0, 2.0, 1.0], 0.1) - 0.3).abs() < 1e-12);
        assert_eq!(quantile(&[5.0], 0.1), 5.0);
        assert_eq!(quantile(&[], 0.1), 0.0);
    }

    #[test]
    fn sizing_never_commits_to_nothing_worth_buying() {
        let ((c, s), _) = size_commitment(&[0.0, 0.0, 5.0], 0.1);
        // S(5) = 5 − 3·5·0.9 = −8.5 < 0: buy nothing.
        assert_eq!((c, s), (0.0, 0.0));
    }

    #[test]
    fn counted_purchase_is_the_larger_alternative() {
        let mk = |kind, scope: &str, saving| Sizing {
            product: "p".into(),
            kind,
            scope: scope.into(),
            discount_pct: 30.0,
            hourly_commitment: 1.0,
            hourly_units: None,
            monthly_saving: saving,
            utilization_pct: 100.0,
            coverage_pct: 50.0,
            break_even_utilization_pct: 70.0,
            curve: vec![],
            approximate: false,
            counted: false,
        };
        let mut s = vec![
            mk(CommitmentKind::ComputeSavingsPlan, "all compute", 100.0),
            mk(CommitmentKind::ComputeSavingsPlan, "all compute", 120.0),
            mk(CommitmentKind::ReservedInstance, "us-east-1 m5", 70.0),
            mk(CommitmentKind::Ec2InstanceSavingsPlan, "us-east-1 m5", 60.0),
            mk(CommitmentKind::ReservedInstance, "us-east-1 c5", 40.0),
        ];
        choose_counted(&mut s);
        // Families: 70 + 40 = 110 < 120: the best compute plan alone is counted.
        let counted: Vec<bool> = s.iter().map(|x| x.counted).collect();
        assert_eq!(counted, vec![false, true, false, false, false]);
        s[1].monthly_saving = 100.0;
        s.iter_mut().for_each(|x| x.counted = false);
        choose_counted(&mut s);
        let counted: Vec<bool> = s.iter().map(|x| x.counted).collect();
        assert_eq!(counted, vec![false, false, true, false, true]);
    }
}

//! Commitment purchase sizing: what to buy, in the unit the provider sells, so that buying
//! exactly that saves at least what the report says.
//!
//! For each product of the discount table, over the provider's on-demand usage it could cover
//! (per region and family for instance-scoped products, and per platform for reservations,
//! which never cover another OS or database engine; everything for spend-based plans):
//! 1. the usage the report's own usage findings change is taken off first (a modernised
//!    instance leaves its family, a stopped, scheduled or Spot-bound one leaves commitments,
//!    a downsized one shrinks), so no purchase covers spend another finding removes;
//! 2. the hourly on-demand spend of the last `lookback_days` is the series (zero-filled);
//! 3. the commitment covers its `sizing_percentile` (10: the level the spend stays above in 90%
//!    of the hours), and never more than the lowest hour of the last day, so capacity that
//!    stopped before the end of the data is never bought;
//! 4. it is rounded down to what is sold: a savings plan's $/h to the cent of a tenth, a
//!    reservation to whole instances of the family's most-used size;
//! 5. the saving is recomputed at that rounded amount: S(c) = Σ_h [min(spend_h, c) − c·(1−d)],
//!    where c is the on-demand spend per hour covered and c·(1−d) what is committed per hour.
//!    S is concave and piecewise linear with breaks at the observed hourly values.
//!
//! The discount is the configured one, or the one the bill's own commitment lines of that kind
//! show when it is lower (the report says which), and only on the part of the spend without a
//! licence: a Windows or SQL Server hour is discounted on its type's Linux list price. A provider's purchases are alternatives:
//! either its best spend-based plan is counted or, per family, the best family-scoped purchase,
//! whichever saves more in total.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::catalog::{self, Catalog};
use crate::config::{CommitmentKind, Discount, Payment, RateRules};
use crate::engine::aggregates::{Aggregates, HourlyRow};
use crate::engine::classify::{self, ComputeClass, Signal};
use crate::engine::kinds::{Platform, Provider};
use crate::findings::{Category, Confidence, Finding, HOURS_PER_MONTH};
use crate::schema::{charge_category, pricing_category};

const HOUR_MS: i64 = 3_600_000;
const HOURS_PER_YEAR: f64 = 8760.0;

/// Where a purchase's discount comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountSource {
    /// The discount table (configuration or its defaults).
    Configured,
    /// The bill's own commitment lines of that kind, lower than the table's.
    Observed,
    /// Either of those on the part of the price without a licence, as a share of the whole.
    LicenceExcluded,
}

impl DiscountSource {
    pub fn label(self) -> &'static str {
        match self {
            DiscountSource::Configured => "configured",
            DiscountSource::Observed => "observed on this bill",
            DiscountSource::LicenceExcluded => "licence part not discounted",
        }
    }
}

/// Whole instances of a reservation.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub count: u32,
    pub instance_type: String,
    /// Normalised units per hour (size factor × count), where the family is size-flexible.
    pub normalized_units: Option<f64>,
}

/// The result of sizing one product over one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    pub product: String,
    pub kind: CommitmentKind,
    /// `all compute` or `<region> <family>`, with the platform a reservation is for
    /// (`us-east-1 m5 Windows`).
    pub scope: String,
    /// The region and family (or type) whose purchases are alternatives to one another: the
    /// scope without its platform, since an instance savings plan covers every platform.
    pub competes_in: String,
    pub term_years: u32,
    pub payment: Payment,
    pub discount_pct: f64,
    pub discount_source: DiscountSource,
    /// What is committed per hour, after the discount: a savings plan's commitment, or what the
    /// reservations cost per hour.
    pub hourly_commitment: f64,
    /// The on-demand spend per hour it covers (`hourly_commitment` ÷ (1 − discount)).
    pub on_demand_per_hour: f64,
    /// For reservations: how many of which type.
    pub quantity: Option<Quantity>,
    /// Cash up front, and the monthly charge after it, over the term.
    pub upfront: f64,
    pub monthly_recurring: f64,
    pub monthly_saving: f64,
    /// Months until the saving pays back the upfront cash (0 without upfront payment).
    pub payback_months: f64,
    pub utilization_pct: f64,
    pub coverage_pct: f64,
    pub break_even_utilization_pct: f64,
    /// Hours of usage the sizing looked at (the lookback, or less when the data is shorter),
    /// and the percentile of their spend it covers.
    pub lookback_hours: usize,
    pub percentile: f64,
    /// (commitment per hour after discount, saving per month) over the candidate levels.
    pub curve: Vec<(f64, f64)>,
    /// True when the data has daily (not hourly) totals.
    pub approximate: bool,
    /// Whether the deduplicated total counts this purchase.
    pub counted: bool,
}

/// What a counted usage finding does to an instance's on-demand spend, for sizing what stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// It moves to another family (modernisation): its spend leaves the family, and what it
    /// will cost there stays for spend-based plans.
    LeavesFamily,
    /// It stays but costs less (downsizing).
    Shrinks,
    /// It stops being steady on-demand spend (stopped, scheduled, moved to Spot).
    LeavesCommitments,
}

/// One counted usage finding on an instance's on-demand hours, in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub provider: Provider,
    pub region: String,
    pub instance_type: String,
    pub platform: Platform,
    pub on_demand_cost: f64,
    pub saving: f64,
    pub effect: Effect,
}

/// The provider that sells a commitment product.
pub fn seller(kind: CommitmentKind) -> Provider {
    match kind {
        CommitmentKind::AzureSavingsPlan | CommitmentKind::AzureReservation => Provider::Azure,
        CommitmentKind::GoogleFlexibleCud | CommitmentKind::GoogleResourceCud => Provider::Google,
        _ => Provider::Aws,
    }
}

/// The usage a product covers.
fn covers(kind: CommitmentKind) -> &'static [ComputeClass] {
    match kind {
        CommitmentKind::ComputeSavingsPlan
        | CommitmentKind::AzureSavingsPlan
        | CommitmentKind::GoogleFlexibleCud => &[ComputeClass::Instance, ComputeClass::Serverless],
        CommitmentKind::Ec2InstanceSavingsPlan
        | CommitmentKind::ReservedInstance
        | CommitmentKind::AzureReservation
        | CommitmentKind::GoogleResourceCud => &[ComputeClass::Instance],
        CommitmentKind::RdsReservedInstance => &[ComputeClass::Database],
        CommitmentKind::ElastiCacheReservedNode => &[ComputeClass::Cache],
        CommitmentKind::OpenSearchReservedInstance => &[ComputeClass::Search],
        CommitmentKind::RedshiftReservedNode => &[ComputeClass::Warehouse],
    }
}

/// How a family-scoped product is scoped and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// One region and instance family, in normalised units (size-flexible reservations).
    FamilyUnits,
    /// One region and instance family, in currency per hour (instance savings plans).
    FamilySpend,
    /// One region and instance type, in whole instances.
    Type,
}

fn scope_of(kind: CommitmentKind) -> Option<Scope> {
    match kind {
        CommitmentKind::ComputeSavingsPlan
        | CommitmentKind::AzureSavingsPlan
        | CommitmentKind::GoogleFlexibleCud => None,
        CommitmentKind::Ec2InstanceSavingsPlan | CommitmentKind::GoogleResourceCud => {
            Some(Scope::FamilySpend)
        }
        CommitmentKind::ReservedInstance
        | CommitmentKind::RdsReservedInstance
        | CommitmentKind::ElastiCacheReservedNode => Some(Scope::FamilyUnits),
        CommitmentKind::AzureReservation
        | CommitmentKind::OpenSearchReservedInstance
        | CommitmentKind::RedshiftReservedNode => Some(Scope::Type),
    }
}

/// S(c) for every observed level; returns the best (c, S) and the curve.
/// `series` holds one value per hour (zeros included); `discount` is in 0..1.
pub fn size_commitment(series: &[f64], discount: f64) -> ((f64, f64), Vec<(f64, f64)>) {
    let hours = series.len() as f64;
    let mut sorted: Vec<f64> = series.iter().map(|x| x.max(0.0)).collect();
    sorted.sort_by(f64::total_cmp);
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
    let curve = levels
        .into_iter()
        .map(|c| (c, saving_at(&sorted, c, discount)))
        .collect();
    (best, curve)
}

/// S(c) = Σ_h min(x_h, c) − H·c·(1−d) over one series.
fn saving_at(series: &[f64], c: f64, discount: f64) -> f64 {
    let hours = series.len() as f64;
    series.iter().map(|x| x.max(0.0).min(c)).sum::<f64>() - hours * c * (1.0 - discount)
}

/// The q-quantile of `values` by linear interpolation between closest ranks (as DuckDB's
/// quantile_cont and numpy).
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

/// Hourly series over the covered hours of the period, zero-filled; `value` picks what a row
/// adds. Longer lines (daily or monthly totals) are spread evenly over their hours.
pub fn series<'a>(
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

pub fn family_of(instance_type: &str) -> String {
    catalog::split_type(instance_type).map_or_else(|| instance_type.to_string(), |(f, _)| f)
}

type Key = (Provider, String, String, Platform);

fn key_of(r: &HourlyRow) -> Key {
    (
        r.provider,
        r.region.clone().unwrap_or_default(),
        r.instance_type.clone().unwrap_or_default(),
        r.platform,
    )
}

/// The share of each (provider, region, type, platform)'s on-demand spend that stays after the
/// usage actions, for family-scoped and for spend-based products. An action lands on its
/// instance's platform; where the hours do not say their platform (FOCUS data), it is spread
/// over the type's spend.
struct Remaining {
    family: HashMap<Key, f64>,
    spend: HashMap<Key, f64>,
}

impl Remaining {
    fn new(on_demand: &[&HourlyRow], actions: &[Action]) -> Remaining {
        let mut total: HashMap<Key, f64> = HashMap::new();
        for r in on_demand {
            *total.entry(key_of(r)).or_default() += r.billed;
        }
        let mut family_gone: HashMap<Key, f64> = HashMap::new();
        let mut spend_gone: HashMap<Key, f64> = HashMap::new();
        for a in actions {
            let (family, spend) = match a.effect {
                Effect::LeavesFamily => (a.on_demand_cost, a.saving),
                Effect::Shrinks => (a.saving, a.saving),
                Effect::LeavesCommitments => (a.on_demand_cost, a.on_demand_cost),
            };
            let exact = (
                a.provider,
                a.region.clone(),
                a.instance_type.clone(),
                a.platform,
            );
            let keys: Vec<(&Key, f64)> = if let Some((key, _)) = total.get_key_value(&exact) {
                vec![(key, 1.0)]
            } else {
                let same_type: Vec<(&Key, &f64)> = total
                    .iter()
                    .filter(|(k, _)| (k.0, &k.1, &k.2) == (a.provider, &a.region, &a.instance_type))
                    .collect();
                let sum: f64 = same_type.iter().map(|(_, t)| **t).sum();
                same_type
                    .into_iter()
                    .filter(|_| sum > 0.0)
                    .map(|(k, t)| (k, t / sum))
                    .collect()
            };
            for (key, part) in keys {
                *family_gone.entry(key.clone()).or_default() += family * part;
                *spend_gone.entry(key.clone()).or_default() += spend * part;
            }
        }
        let share = |gone: &HashMap<Key, f64>| -> HashMap<Key, f64> {
            total
                .iter()
                .map(|(key, total)| {
                    let gone = gone.get(key).copied().unwrap_or(0.0);
                    let kept = if *total > 0.0 {
                        (1.0 - gone / total).clamp(0.0, 1.0)
                    } else {
                        1.0
                    };
                    (key.clone(), kept)
                })
                .collect()
        };
        Remaining {
            family: share(&family_gone),
            spend: share(&spend_gone),
        }
    }

    fn kept(&self, r: &HourlyRow, spend_based: bool) -> f64 {
        let shares = if spend_based {
            &self.spend
        } else {
            &self.family
        };
        shares.get(&key_of(r)).copied().unwrap_or(1.0)
    }
}

/// The share of an hour's on-demand spend a commitment discounts: all of it, but for a price
/// with a licence in it only the bare instance's list price (none if the catalog lacks it).
fn discountable_share(catalog: &Catalog, r: &HourlyRow) -> f64 {
    if !r.platform.licence_included() {
        return 1.0;
    }
    let Some(instance) = r.instance_type.as_deref().and_then(|t| catalog.instance(t)) else {
        return 0.0;
    };
    if r.billed <= 0.0 {
        return 1.0;
    }
    (instance.price_per_hour * r.quantity / r.billed).clamp(0.0, 1.0)
}

/// The discount the bill's own commitment lines show, per provider and for spend-based
/// (savings plans) or usage-based (reservations, CUDs) commitments: 1 − effective ÷ list of the
/// usage they covered.
fn observed_discounts(aggs: &Aggregates) -> BTreeMap<(Provider, bool), f64> {
    let mut sums: BTreeMap<(Provider, bool), (f64, f64)> = BTreeMap::new();
    for r in &aggs.resources {
        let covered = r.charge_category.as_deref() == Some(charge_category::USAGE)
            && r.pricing_category.as_deref() == Some(pricing_category::COMMITTED)
            && r.kind.is_commitment_eligible();
        if !covered {
            continue;
        }
        let spend_based = r
            .commitment_type
            .as_deref()
            .is_some_and(|t| t.to_lowercase().contains("savings plan"));
        let e = sums.entry((r.provider, spend_based)).or_default();
        e.0 += r.list;
        e.1 += r.effective;
    }
    sums.into_iter()
        .filter(|(_, (list, _))| *list > 0.0)
        .map(|(key, (list, effective))| (key, (1.0 - effective / list).clamp(0.0, 0.99)))
        .collect()
}

/// The size a reservation of a family is counted in: the family's most-used instance type.
fn display_type(rows: &[&HourlyRow]) -> Option<String> {
    let mut hours: BTreeMap<&str, f64> = BTreeMap::new();
    for r in rows {
        if let Some(t) = r.instance_type.as_deref() {
            *hours.entry(t).or_default() += r.quantity;
        }
    }
    hours
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(t, _)| t.to_string())
}

/// Sizes every product in the discount table over its provider's on-demand usage.
pub fn sizing(aggs: &Aggregates, rules: &RateRules, actions: &[Action]) -> Vec<Sizing> {
    let on_demand: Vec<&HourlyRow> = aggs
        .hourly
        .iter()
        .filter(|r| r.pricing_category.as_deref() == Some(pricing_category::STANDARD))
        .collect();
    let remaining = Remaining::new(&on_demand, actions);
    let observed = observed_discounts(aggs);
    let approximate = !aggs.is_hourly();
    let lookback = rules.lookback_days as usize * 24;
    let catalog = Catalog::builtin();
    let mut out = Vec::new();
    let mut size = |product: &Discount,
                    (scope, competes_in): (String, String),
                    rows: &[&HourlyRow],
                    quantity: QuantityRule| {
        let spend_based = product.kind.spend_based();
        let full = series(aggs, rows.iter().copied(), |r| {
            r.billed * remaining.kept(r, spend_based)
        });
        let window = &full[full.len().saturating_sub(lookback)..];
        if window.iter().all(|x| *x <= 0.0) {
            return;
        }
        let configured = product.discount_pct / 100.0;
        let (d, source) = match observed.get(&(seller(product.kind), spend_based)) {
            Some(seen) if *seen < configured => (*seen, DiscountSource::Observed),
            _ => (configured, DiscountSource::Configured),
        };
        // A licence in the price (Windows, SQL Server, RHEL) is not discounted: the discount
        // applies to the share of the spend the bare instance's list price makes up.
        let discounted = series(aggs, rows.iter().copied(), |r| {
            r.billed * remaining.kept(r, spend_based) * discountable_share(catalog, r)
        });
        let total: f64 = window.iter().map(|x| x.max(0.0)).sum();
        let bare: f64 = discounted[discounted.len().saturating_sub(lookback)..]
            .iter()
            .map(|x| x.max(0.0))
            .sum();
        let (d, source) = if bare < total * (1.0 - 1e-9) {
            (d * bare / total, DiscountSource::LicenceExcluded)
        } else {
            (d, source)
        };
        // The level of the configured percentile, capped at the lowest hour of the last day.
        let last_day = &window[window.len().saturating_sub(24)..];
        let floor_at_end = last_day.iter().copied().fold(f64::INFINITY, f64::min);
        let level = quantile(window, rules.sizing_percentile / 100.0).min(floor_at_end);
        let (c, quantity) = match quantity.round(level, d) {
            Some(rounded) => rounded,
            None => return,
        };
        let hours = window.len() as f64;
        let s = saving_at(window, c, d);
        if c <= 0.0 || s <= 0.0 {
            return;
        }
        let commit = c * (1.0 - d);
        let term_hours = HOURS_PER_YEAR * f64::from(product.term_years);
        let upfront = commit * term_hours * product.payment.upfront_share();
        let monthly_recurring =
            (commit * term_hours - upfront) / (12.0 * f64::from(product.term_years));
        let covered: f64 = window.iter().map(|x| x.max(0.0).min(c)).sum();
        let monthly_saving = s / hours * HOURS_PER_MONTH;
        let covered_per_month = covered / hours * HOURS_PER_MONTH;
        let payback_months = if upfront > 0.0 {
            upfront / (covered_per_month - monthly_recurring).max(f64::MIN_POSITIVE)
        } else {
            0.0
        };
        let (_, curve) = size_commitment(window, d);
        out.push(Sizing {
            product: product.product.clone(),
            kind: product.kind,
            scope,
            competes_in,
            term_years: product.term_years,
            payment: product.payment,
            discount_pct: d * 100.0,
            discount_source: source,
            hourly_commitment: commit,
            on_demand_per_hour: c,
            quantity,
            upfront,
            monthly_recurring,
            monthly_saving,
            payback_months,
            utilization_pct: covered / (hours * c) * 100.0,
            coverage_pct: if total > 0.0 {
                covered / total * 100.0
            } else {
                0.0
            },
            break_even_utilization_pct: (1.0 - d) * 100.0,
            lookback_hours: window.len(),
            percentile: rules.sizing_percentile,
            curve: curve
                .into_iter()
                .map(|(c, s)| (c * (1.0 - d), s / hours * HOURS_PER_MONTH))
                .collect(),
            approximate,
            counted: false,
        });
    };
    for product in &rules.discounts {
        let provider = seller(product.kind);
        let classes = covers(product.kind);
        let eligible: Vec<&HourlyRow> = on_demand
            .iter()
            .copied()
            .filter(|r| r.provider == provider && classes.contains(&r.class))
            .collect();
        let Some(scope) = scope_of(product.kind) else {
            let all = "all compute".to_string();
            size(product, (all.clone(), all), &eligible, QuantityRule::Spend);
            continue;
        };
        // Reservations are sold per platform (a Linux one never covers a Windows instance, a
        // MySQL one never a PostgreSQL database); instance savings plans cover every platform.
        let mut groups: BTreeMap<(String, String, Option<String>), Vec<&HourlyRow>> =
            BTreeMap::new();
        for r in &eligible {
            let Some(t) = r.instance_type.as_deref() else {
                continue;
            };
            let (group, platform) = match scope {
                Scope::Type => (t.to_string(), r.platform_code.clone()),
                Scope::FamilyUnits => (family_of(t), r.platform_code.clone()),
                Scope::FamilySpend => (family_of(t), None),
            };
            groups
                .entry((r.region.clone().unwrap_or_default(), group, platform))
                .or_default()
                .push(r);
        }
        for ((region, group, platform), rows) in groups {
            let named =
                classify::reservation_platform(provider, rows[0].class, platform.as_deref())
                    .map_or_else(String::new, |name| format!(" {name}"));
            let rule = match scope {
                Scope::FamilySpend => QuantityRule::Spend,
                Scope::FamilyUnits => match unit_price(&rows).zip(display_type(&rows)) {
                    Some((price, shown)) => QuantityRule::Units { price, shown },
                    None => continue,
                },
                Scope::Type => match catalog.instance(&group) {
                    Some(i) => QuantityRule::Instances {
                        price: i.price_per_hour,
                        instance_type: group.clone(),
                    },
                    None => match average_price(&rows) {
                        Some(price) => QuantityRule::Instances {
                            price,
                            instance_type: group.clone(),
                        },
                        None => continue,
                    },
                },
            };
            let family = format!("{region} {group}");
            size(product, (format!("{family}{named}"), family), &rows, rule);
        }
    }
    for provider in Provider::ALL {
        let (mut own, rest): (Vec<Sizing>, Vec<Sizing>) =
            out.drain(..).partition(|s| seller(s.kind) == provider);
        choose_counted(&mut own);
        out = rest.into_iter().chain(own).collect();
    }
    out.sort_by_key(|s| seller(s.kind));
    out
}

/// Whole units of what is sold below `x`: `x` rounded down, except that a quotient which is
/// whole but for floating-point error (0.188 / 0.047 = 3.9999…) counts as whole.
fn whole(x: f64) -> f64 {
    (x + 1e-9).floor()
}

/// How a level of on-demand spend per hour becomes what is sold.
enum QuantityRule {
    /// A savings plan: committed $/h (after the discount) down to a thousandth.
    Spend,
    /// A size-flexible reservation: whole instances of `shown`, at `price` per normalised unit.
    Units { price: f64, shown: String },
    /// A reservation of one type: whole instances at its on-demand `price`.
    Instances { price: f64, instance_type: String },
}

impl QuantityRule {
    /// The on-demand spend per hour the rounded purchase covers, and its quantity; None when
    /// not even one unit is worth buying.
    fn round(&self, level: f64, d: f64) -> Option<(f64, Option<Quantity>)> {
        match self {
            QuantityRule::Spend => {
                let commit = whole(level * (1.0 - d) * 1000.0) / 1000.0;
                Some((commit / (1.0 - d), None))
            }
            QuantityRule::Units { price, shown } => {
                let factor = catalog::normalization_factor(shown)?;
                let count = whole(level / price / factor);
                (count >= 1.0).then(|| {
                    (
                        count * factor * price,
                        Some(Quantity {
                            count: count as u32,
                            instance_type: shown.clone(),
                            normalized_units: Some(count * factor),
                        }),
                    )
                })
            }
            QuantityRule::Instances {
                price,
                instance_type,
            } => {
                let count = whole(level / price);
                (count >= 1.0).then(|| {
                    (
                        count * price,
                        Some(Quantity {
                            count: count as u32,
                            instance_type: instance_type.clone(),
                            normalized_units: None,
                        }),
                    )
                })
            }
        }
    }
}

/// On-demand price of one normalised unit (size factor 1) in a family, from the bill.
fn unit_price(rows: &[&HourlyRow]) -> Option<f64> {
    let (cost, units) = rows.iter().fold((0.0, 0.0), |(c, u), r| {
        let factor = r
            .instance_type
            .as_deref()
            .and_then(catalog::normalization_factor)
            .unwrap_or(0.0);
        (c + r.billed, u + r.quantity * factor)
    });
    (units > 0.0).then(|| cost / units)
}

/// On-demand price per instance-hour of one type, from the bill.
fn average_price(rows: &[&HourlyRow]) -> Option<f64> {
    let (cost, hours) = rows
        .iter()
        .fold((0.0, 0.0), |(c, h), r| (c + r.billed, h + r.quantity));
    (hours > 0.0).then(|| cost / hours)
}

/// One provider's purchases for instances are alternatives: count either its best spend-based
/// plan or, per family, the best family-scoped purchase, whichever saves more in total. The
/// managed services' reservations (databases, caches, search, warehouses) cover what no
/// spend-based plan does: per family, the best of them counts besides.
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
    let mut services: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in sizings.iter().enumerate() {
        if s.kind.spend_based() {
            continue;
        }
        let scopes = if covers(s.kind).contains(&ComputeClass::Instance) {
            &mut by_scope
        } else {
            &mut services
        };
        scopes.entry(s.competes_in.clone()).or_default().push(i);
    }
    for items in services.values() {
        if let Some(best) = best_of(items, sizings) {
            sizings[best].counted = true;
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

/// What to buy, as a finding: one per provider and scope, its best product.
pub fn purchase_findings(sizings: &[Sizing], currency: &str) -> Vec<Finding> {
    let mut best_per_scope: BTreeMap<(Provider, &str), &Sizing> = BTreeMap::new();
    for s in sizings.iter().filter(|s| s.monthly_saving > 0.0) {
        let best = best_per_scope
            .entry((seller(s.kind), s.scope.as_str()))
            .or_insert(s);
        if s.monthly_saving > best.monthly_saving || (s.counted && !best.counted) {
            *best = s;
        }
    }
    best_per_scope
        .into_values()
        .map(|s| {
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
            f.recommendation = match &s.quantity {
                Some(q) => format!(
                    "buy {} × {} ({}){}: {:.4} {currency}/h",
                    q.count,
                    q.instance_type,
                    s.product,
                    q.normalized_units
                        .map(|u| format!(", {u} normalised units"))
                        .unwrap_or_default(),
                    s.hourly_commitment
                ),
                None => format!(
                    "buy {} committing {:.3} {currency}/h (covers {:.4} {currency}/h of on-demand spend)",
                    s.product, s.hourly_commitment, s.on_demand_per_hour
                ),
            };
            f.monthly_saving = s.monthly_saving;
            f.currency = currency.to_string();
            f.counted = s.counted;
            f.confidence = if s.approximate {
                Confidence::Low
            } else {
                Confidence::High
            };
            let cash = if s.upfront > 0.0 {
                format!(
                    "{:.2} {currency} up front and {:.2} a month, paid back in {:.1} months",
                    s.upfront, s.monthly_recurring, s.payback_months
                )
            } else {
                format!("no upfront cash, {:.2} {currency} a month", s.monthly_recurring)
            };
            f.evidence = format!(
                "{} years, {}; discount {:.1}% ({}); sized on the {}th percentile of {:.0} days \
                 of hourly on-demand spend, no more than the last day still runs: expected \
                 utilisation {:.1}%, coverage {:.1}%, break-even utilisation {:.1}%; {cash}{}",
                s.term_years,
                s.payment.label(),
                s.discount_pct,
                s.discount_source.label(),
                s.percentile,
                s.lookback_hours as f64 / 24.0,
                s.utilization_pct,
                s.coverage_pct,
                s.break_even_utilization_pct,
                if s.approximate {
                    "; approximate (daily data)"
                } else {
                    ""
                }
            );
            f
        })
        .collect()
}

/// Providers with on-demand compute that purchase sizing cannot size, and why.
pub fn gaps(aggs: &Aggregates, discounts: &[Discount]) -> Vec<String> {
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
            competes_in: scope.into(),
            term_years: 1,
            payment: Payment::NoUpfront,
            discount_pct: 30.0,
            discount_source: DiscountSource::Configured,
            hourly_commitment: 0.7,
            on_demand_per_hour: 1.0,
            quantity: None,
            upfront: 0.0,
            monthly_recurring: 511.0,
            monthly_saving: saving,
            payback_months: 0.0,
            utilization_pct: 100.0,
            coverage_pct: 50.0,
            break_even_utilization_pct: 70.0,
            lookback_hours: 720,
            percentile: 10.0,
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
            mk(CommitmentKind::RdsReservedInstance, "us-east-1 db.m5", 50.0),
        ];
        choose_counted(&mut s);
        // Families: 70 + 40 = 110 < 120: the best compute plan alone is counted, and the RDS
        // reservation besides (no savings plan covers RDS).
        let counted: Vec<bool> = s.iter().map(|x| x.counted).collect();
        assert_eq!(counted, vec![false, true, false, false, false, true]);
        s[1].monthly_saving = 100.0;
        s.iter_mut().for_each(|x| x.counted = false);
        choose_counted(&mut s);
        let counted: Vec<bool> = s.iter().map(|x| x.counted).collect();
        assert_eq!(counted, vec![false, false, true, false, true, true]);
    }

    const H: i64 = 3_600_000;

    /// One hour of on-demand usage of `instance_type` (`instances` running, at `price` each).
    fn hour(
        at: usize,
        class: ComputeClass,
        instance_type: &str,
        instances: f64,
        price: f64,
    ) -> HourlyRow {
        let start = Aggregates::october_2026().period.start + at as i64 * H;
        HourlyRow {
            hour: start,
            end: start + H,
            provider: Provider::Aws,
            class,
            region: Some("us-east-1".into()),
            instance_type: Some(instance_type.into()),
            service_code: Some("x".into()),
            platform_code: None,
            platform: Platform::Unknown,
            pricing_category: Some("Standard".into()),
            quantity: instances,
            list: instances * price,
            billed: instances * price,
            effective: instances * price,
        }
    }

    /// October 2026 (744 hours) with these hourly rows.
    fn month(hourly: Vec<HourlyRow>) -> Aggregates {
        Aggregates {
            hourly,
            hourly_lines: 2,
            usage_lines: 2,
            ..Aggregates::october_2026()
        }
    }

    fn rules(products: Vec<Discount>) -> RateRules {
        RateRules {
            discounts: products,
            ..RateRules::default()
        }
    }

    fn product(kind: CommitmentKind, discount_pct: f64) -> Discount {
        Discount {
            product: format!("{kind:?}"),
            kind,
            term_years: 1,
            payment: Payment::NoUpfront,
            discount_pct,
        }
    }

    #[test]
    fn a_savings_plan_is_the_post_discount_commitment_sized_on_the_last_month() {
        // One m5.large (0.096/h) every hour of October: on-demand spend 0.096/h. A Compute
        // Savings Plan at 27% covers it committing 0.096 × 0.73 = 0.07008/h, sold to the
        // thousandth: 0.070/h, which covers 0.070 / 0.73 = 0.095890.../h of on-demand spend.
        // The 30-day lookback is the last 720 hours; every hour is above the level, so
        // S = 720 × (0.095890 − 0.070) per 720 h → per 730-hour month 730 × 0.025890... .
        let aggs = month(
            (0..744)
                .map(|h| hour(h, ComputeClass::Instance, "m5.large", 1.0, 0.096))
                .collect(),
        );
        let sized = sizing(
            &aggs,
            &rules(vec![product(CommitmentKind::ComputeSavingsPlan, 27.0)]),
            &[],
        );
        assert_eq!(sized.len(), 1);
        let s = &sized[0];
        let covered = 0.070 / 0.73;
        assert!((s.hourly_commitment - 0.070).abs() < 1e-12, "{s:#?}");
        assert!((s.on_demand_per_hour - covered).abs() < 1e-12);
        assert!((s.monthly_saving - 730.0 * (covered - 0.070)).abs() < 1e-9);
        assert_eq!(s.lookback_hours, 720);
        assert_eq!((s.upfront, s.payback_months), (0.0, 0.0));
        assert!((s.monthly_recurring - 0.070 * 8760.0 / 12.0).abs() < 1e-9);
        assert!((s.utilization_pct - 100.0).abs() < 1e-9);
        let f = &purchase_findings(&sized, "USD")[0];
        assert!(
            f.recommendation.contains("committing 0.070 USD/h"),
            "{}",
            f.recommendation
        );
    }

    #[test]
    fn capacity_that_stopped_before_the_end_is_never_bought() {
        // Three m5.large for the first 600 hours, none in the last 144: the last day's lowest
        // hour is 0, so nothing is sized (the percentile alone would still see 3 instances in
        // most of the lookback).
        let aggs = month(
            (0..600)
                .map(|h| hour(h, ComputeClass::Instance, "m5.large", 3.0, 0.096))
                .collect(),
        );
        let all = rules(vec![
            product(CommitmentKind::ComputeSavingsPlan, 27.0),
            product(CommitmentKind::ReservedInstance, 37.0),
        ]);
        assert!(sizing(&aggs, &all, &[]).is_empty());
    }

    #[test]
    fn reservations_are_whole_instances_of_the_family_s_main_size() {
        // Two m5.large (size factor 4) all month: 8 normalised units at 0.096 / 4 = 0.024 each
        // per hour. A 37% RI: 2 × m5.large covering 0.192/h for 0.192 × 0.63 = 0.12096/h:
        // saving 0.192 × 0.37 = 0.07104 an hour, 730 × 0.07104 = 51.8592 a month.
        let aggs = month(
            (0..744)
                .map(|h| hour(h, ComputeClass::Instance, "m5.large", 2.0, 0.096))
                .collect(),
        );
        let sized = sizing(
            &aggs,
            &rules(vec![product(CommitmentKind::ReservedInstance, 37.0)]),
            &[],
        );
        let s = &sized[0];
        let q = s.quantity.as_ref().expect("a count of instances");
        assert_eq!((q.count, q.instance_type.as_str()), (2, "m5.large"));
        assert_eq!(q.normalized_units, Some(8.0));
        assert!((s.hourly_commitment - 0.12096).abs() < 1e-12);
        assert!((s.monthly_saving - 51.8592).abs() < 1e-9);
        assert_eq!(s.scope, "us-east-1 m5");
        let f = &purchase_findings(&sized, "USD")[0];
        assert!(
            f.recommendation.starts_with("buy 2 × m5.large"),
            "{}",
            f.recommendation
        );
    }

    #[test]
    fn a_reservation_covers_one_platform_an_instance_plan_every_one() {
        // One m5.large of one platform (0.096/h) and one with a Windows licence (0.188/h) all
        // month. A reservation never covers another platform's hours: one RI of each, each
        // discounting m5.large's Linux list price 0.096 only (37%: 0.096 × 0.37 × 730 = 25.9296
        // a month each). The EC2 Instance Savings Plan covers both: 35% of the 0.192 of 0.284
        // without a licence is 23.662% of the spend: 0.284 × 0.76338 = 0.2168/h, sold as
        // 0.216. (The engine names the platforms: classify::reservation_platform.)
        let linux = |h| HourlyRow {
            platform_code: Some("one platform".into()),
            platform: Platform::Linux,
            ..hour(h, ComputeClass::Instance, "m5.large", 1.0, 0.096)
        };
        let other = |h| HourlyRow {
            platform_code: Some("another platform".into()),
            platform: Platform::Windows,
            ..hour(h, ComputeClass::Instance, "m5.large", 1.0, 0.188)
        };
        let aggs = month((0..744).flat_map(|h| [linux(h), other(h)]).collect());
        let products = rules(vec![
            product(CommitmentKind::ReservedInstance, 37.0),
            product(CommitmentKind::Ec2InstanceSavingsPlan, 35.0),
        ]);
        let sized = sizing(&aggs, &products, &[]);
        let of = |kind| -> Vec<&Sizing> { sized.iter().filter(|s| s.kind == kind).collect() };
        let reservations = of(CommitmentKind::ReservedInstance);
        assert_eq!(reservations.len(), 2, "{sized:?}");
        let mut savings: Vec<f64> = reservations.iter().map(|s| s.monthly_saving).collect();
        savings.sort_by(f64::total_cmp);
        assert!((savings[0] - 25.9296).abs() < 1e-9, "{savings:?}");
        assert!((savings[1] - 25.9296).abs() < 1e-9, "{savings:?}");
        assert!(reservations
            .iter()
            .all(|s| s.quantity.as_ref().unwrap().count == 1));
        let plan = of(CommitmentKind::Ec2InstanceSavingsPlan);
        assert_eq!(plan.len(), 1);
        assert!((plan[0].hourly_commitment - 0.216).abs() < 1e-12);
        assert_eq!(plan[0].discount_source, DiscountSource::LicenceExcluded);

        // The Linux instance moves to Graviton: its RI goes, the other platform's stays whole.
        let moved = Action {
            provider: Provider::Aws,
            region: "us-east-1".into(),
            instance_type: "m5.large".into(),
            platform: Platform::Linux,
            on_demand_cost: 0.096 * 744.0,
            saving: 0.096 * 744.0 * 0.15,
            effect: Effect::LeavesFamily,
        };
        let sized = sizing(&aggs, &products, &[moved]);
        let reservations: Vec<&Sizing> = sized
            .iter()
            .filter(|s| s.kind == CommitmentKind::ReservedInstance)
            .collect();
        assert_eq!(reservations.len(), 1, "{sized:?}");
        assert!((reservations[0].monthly_saving - 25.9296).abs() < 1e-9);
        assert_eq!(reservations[0].scope, "us-east-1 m5");
    }

    #[test]
    fn upfront_cash_and_payback() {
        // A 3-year all-upfront plan at 52% on 1.00/h of steady spend: it commits 0.48/h, all
        // paid ahead: 0.48 × 8760 × 3 = 12614.40, nothing monthly; it covers 730.00 of
        // on-demand spend a month: paid back in 12614.40 / 730 = 17.28 months.
        let aggs = month(
            (0..744)
                .map(|h| hour(h, ComputeClass::Instance, "m5.large", 1.0, 1.0))
                .collect(),
        );
        let mut plan = product(CommitmentKind::ComputeSavingsPlan, 52.0);
        plan.term_years = 3;
        plan.payment = Payment::AllUpfront;
        let s = &sizing(&aggs, &rules(vec![plan]), &[])[0];
        assert!((s.upfront - 12614.4).abs() < 1e-6);
        assert!(s.monthly_recurring.abs() < 1e-9);
        assert!((s.payback_months - 17.28).abs() < 1e-9);
    }

    #[test]
    fn the_bill_s_own_lower_discount_is_used_and_named() {
        // An RI on the bill covers 100.00 of list cost for 80.00: a 20% discount, below the
        // table's 37%, so sizing uses 20%.
        let mut aggs = month(
            (0..744)
                .map(|h| hour(h, ComputeClass::Instance, "m5.large", 2.0, 0.096))
                .collect(),
        );
        aggs.resources = vec![crate::engine::aggregates::ResourceRow {
            resource_id: Some("i-ri".into()),
            charge_category: Some("Usage".into()),
            pricing_category: Some("Committed".into()),
            kind: LineKind::vm("m5.large", crate::engine::kinds::Pricing::Committed),
            commitment_type: Some("Reserved Instance".into()),
            provider: Provider::Aws,
            list: 100.0,
            effective: 80.0,
            ..Default::default()
        }];
        let s = &sizing(
            &aggs,
            &rules(vec![product(CommitmentKind::ReservedInstance, 37.0)]),
            &[],
        )[0];
        assert!((s.discount_pct - 20.0).abs() < 1e-9);
        assert_eq!(s.discount_source, DiscountSource::Observed);
    }

    #[test]
    fn a_family_the_report_moves_off_is_not_bought() {
        // Two m4.large (0.10/h) all month, both told to move to m7g.large (saving 18.4% of
        // their 148.80): no RI for m4 is sized, and the Compute Savings Plan covers what they
        // will cost after the move, 148.80 − 27.38 = 121.42 over the month.
        let aggs = month(
            (0..744)
                .map(|h| hour(h, ComputeClass::Instance, "m4.large", 2.0, 0.10))
                .collect(),
        );
        let moved = || Action {
            provider: Provider::Aws,
            region: "us-east-1".into(),
            instance_type: "m4.large".into(),
            // The hours do not say their platform: the action spreads over the type.
            platform: Platform::Linux,
            on_demand_cost: 74.40,
            saving: 13.6896,
            effect: Effect::LeavesFamily,
        };
        let sized = sizing(
            &aggs,
            &rules(vec![
                product(CommitmentKind::ComputeSavingsPlan, 27.0),
                product(CommitmentKind::ReservedInstance, 37.0),
            ]),
            &[moved(), moved()],
        );
        assert!(
            !sized
                .iter()
                .any(|s| s.kind == CommitmentKind::ReservedInstance),
            "{sized:#?}"
        );
        // Remaining spend per hour: 0.20 × (1 − 27.3792 / 148.80) = 0.1632; committed to the
        // thousandth: floor(0.1632 × 0.73 × 1000) / 1000 = 0.119.
        let plan = sized
            .iter()
            .find(|s| s.kind == CommitmentKind::ComputeSavingsPlan)
            .expect("the plan for what stays");
        assert!((plan.hourly_commitment - 0.119).abs() < 1e-12, "{plan:#?}");
    }
}

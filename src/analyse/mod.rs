//! Analysers: pure functions from the aggregates and the configuration to findings and tables.
//! No file, network or clock access in here; `run` ties them together, deduplicates savings
//! ("no dollar counted twice") and ranks the findings.
//!
//! ## How to add a rule
//! 1. Write it in the analyser it belongs to (usage: use less or something cheaper; rate: pay
//!    less for the same; allocation: who pays) as a function over
//!    [`crate::engine::aggregates::Aggregates`] that matches on [`crate::engine::kinds::LineKind`]s,
//!    never on a provider's strings (`tests/architecture.rs` checks). If no kind says what the
//!    rule needs, add one in the engine first.
//! 2. Emit [`Finding`]s with a stable rule name, the saving per 730-hour month and the evidence a
//!    human needs to check it; give the formula and its source in the function's doc comment.
//! 3. If some provider's bills cannot support it, say so in the analyser's notes (see
//!    [`crate::engine::classify::gap`]).
//! 4. Unit-test it on hand-made aggregates with the saving worked out by hand in a comment.

pub mod allocation;
pub mod budgets;
pub mod containers;
pub mod contracts;
pub mod gates;
pub mod history;
mod network;
pub mod rate;
pub mod reconcile;
pub mod review;
pub mod rollup;
pub mod sizing;
mod storage;
pub mod trends;
pub mod usage;

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt, HashSet};

use crate::engine::aggregates::{Aggregates, ResourceRow};
use crate::engine::inventory;

use crate::config::Config;
use crate::engine::supplements::Supplements;
use crate::findings::{Category, Finding, HOURS_PER_MONTH, SOURCE_COSTLENS};
use crate::money::Money;
use crate::period::Period;
use crate::utilization::Utilization;

/// Exact sums of the period's lines (see [`crate::money`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    pub billed: Money,
    pub effective: Money,
    pub list: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CostLine {
    pub name: String,
    /// The account's name, for accounts.
    pub label: Option<String>,
    pub billed: Money,
    pub effective: Money,
    pub list: Money,
}

/// One service's cost in one account, for pivot tables.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceAccountCost {
    pub service: String,
    pub account: String,
    pub account_name: Option<String>,
    pub billed: Money,
    pub effective: Money,
    pub list: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DailyCost {
    pub day: i64,
    pub service: String,
    pub billed: Money,
    pub effective: Money,
}

/// A resource's cost in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceCost {
    pub resource_id: String,
    pub account: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    pub billed: f64,
    pub effective: f64,
}

/// How many resources `top_resources.csv` lists.
pub const TOP_RESOURCES: usize = 100;

/// How many actions the plan puts first.
pub const FIRST_ACTIONS: usize = 5;

/// One of the plan's first actions: a finding the savings total counts, worth acting on, and
/// who owns what it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstAction {
    pub finding_id: String,
    pub rule: String,
    pub recommendation: String,
    /// The resource, or what the finding is about when it has none (a commitment's scope).
    pub target: String,
    pub monthly_saving: f64,
    pub account: Option<String>,
    pub account_name: Option<String>,
    /// The resource's allocation tag (`team=data`), when it has one.
    pub owner: Option<String>,
}

/// How the deduplicated savings total is built, stated in the report.
pub const SAVINGS_METHOD: &str = "Usage actions first (modernisation, rightsizing, schedules, \
    Spot), one per resource, the largest; commitment purchases then sized only on the on-demand \
    spend that stays after them (a family the report moves off is not bought), one purchase plan \
    per provider: no dollar is counted twice.";

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Savings {
    pub total_monthly: f64,
    pub by_category: BTreeMap<Category, f64>,
}

/// What the analysers get besides the aggregates.
#[derive(Debug, Default)]
pub struct Inputs<'a> {
    pub utilization: Option<&'a [Utilization]>,
    /// The previous month's figures from its report, when the data lacks that month.
    pub previous_month: Option<&'a trends::PreviousMonth>,
    /// Findings from elsewhere (AWS's own recommendations), reported beside costlens's.
    pub external_findings: Vec<Finding>,
    /// The FOCUS datasets beside cost and usage (commitment terms, invoices, billing periods).
    pub supplements: Option<&'a Supplements>,
    /// The lines' BilledCost per billing account and period, to reconcile the invoices with.
    pub line_totals: Vec<reconcile::LineTotal>,
    /// Each FOCUS input file's name and release.
    pub focus_versions: Vec<FocusFile>,
    /// Why the data names no resource and how to get resource ids, from the importers (which
    /// know the formats), for the note of a dataset without them.
    pub no_resource_ids: Option<String>,
    /// The effective cost of each earlier month that has a report, for the trend.
    pub report_months: Vec<(String, f64)>,
}

/// A FOCUS input file and the release its columns show.
#[derive(Debug, Clone, PartialEq)]
pub struct FocusFile {
    pub file: String,
    /// `cost and usage`, `contract commitment`, `billing period` or `invoice detail`.
    pub dataset: String,
    /// None for the datasets beside cost and usage (their columns do not say).
    pub version: Option<String>,
}

/// What the FOCUS inputs add to the report: their versions and the invoice reconciliation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FocusReport {
    pub files: Vec<FocusFile>,
    pub reconciliation: Vec<reconcile::Row>,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    pub currency: String,
    pub period: Period,
    pub partial: bool,
    pub hourly: bool,
    pub data_start: Option<i64>,
    pub data_end: Option<i64>,
    pub totals: Totals,
    pub by_service: Vec<CostLine>,
    pub by_account: Vec<CostLine>,
    /// Per service and account, largest effective cost first.
    pub by_service_account: Vec<ServiceAccountCost>,
    pub daily: Vec<DailyCost>,
    /// The most expensive resources, by effective cost.
    pub top_resources: Vec<ResourceCost>,
    pub allocation: allocation::Allocation,
    /// Split cost allocation of container clusters (empty without split data).
    pub containers: containers::Containers,
    pub usage: usage::Usage,
    pub rate: rate::Rate,
    pub trends: trends::Trends,
    pub budgets: Vec<budgets::BudgetStatus>,
    pub gates: Vec<gates::Gate>,
    /// Every finding, ranked by monthly saving; `counted` marks those the total includes.
    pub findings: Vec<Finding>,
    pub savings: Savings,
    /// The first [`FIRST_ACTIONS`] counted findings worth acting on, with their owners.
    pub first_actions: Vec<FirstAction>,
    /// Findings saving less a month are never among the first shown ([`Analysis::actionable`]),
    /// and per-resource ones are rolled up ([`rollup`]).
    pub min_saving: f64,
    /// How many findings the roll-ups in `findings` stand for.
    pub rolled_up: usize,
    /// Each service with the rule groups that looked at it and what they found.
    pub bill_coverage: Vec<review::ServiceReview>,
    /// Set by the caller, which reads the previous report.
    pub history: Option<history::History>,
    pub notes: Vec<String>,
    pub focus: FocusReport,
}

impl Analysis {
    /// The findings worth acting on first: those saving at least `min_saving` a month, in rank
    /// order. The Top 10 and the first screen's actions show these; findings.csv has them all.
    pub fn actionable(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.monthly_saving >= self.min_saving)
    }

    /// What the roll-ups stand for, when there are any: said under every findings list.
    pub fn rollup_note(&self) -> Option<String> {
        let lines = self
            .findings
            .iter()
            .filter(|f| f.resource_id.is_none() && f.current.starts_with(rollup::CURRENT_PREFIX))
            .count();
        (self.rolled_up > 0).then(|| {
            format!(
                "{} findings about single resources worth less than {} {} a month each are \
                 rolled up into {lines} (one per rule, account and region; the largest are \
                 named in their evidence).",
                self.rolled_up,
                crate::findings::amount(self.min_saving),
                self.currency
            )
        })
    }

    /// The name the data gives an account, if any.
    pub fn account_name(&self, id: &str) -> Option<&str> {
        self.by_account
            .iter()
            .find(|l| l.name == id)
            .and_then(|l| l.label.as_deref())
            .filter(|name| !name.is_empty())
    }

    /// Why a finding is or is not in the savings total, for a reader of the report.
    pub fn counted_reason(&self, f: &Finding) -> String {
        if f.counted {
            return "yes".into();
        }
        if f.source != SOURCE_COSTLENS {
            return "no: the provider's own recommendation, shown beside costlens's".into();
        }
        if f.monthly_saving <= 0.0 {
            return "no: nothing to save (a finding to act on, without a saving)".into();
        }
        if f.rule.starts_with("commitment-") {
            return "no: an alternative; the counted purchases cover the same usage".into();
        }
        let larger = f.resource_id.as_ref().and_then(|id| {
            self.findings.iter().find(|o| {
                o.counted && o.finding_id != f.finding_id && o.resource_id.as_ref() == Some(id)
            })
        });
        match larger {
            Some(o) => format!(
                "no: same resource as {}, which saves more and is counted",
                o.rule
            ),
            None => "no: overlaps a counted finding".into(),
        }
    }
}

/// The plan's first actions: counted findings saving at least `min_saving` a month, each with
/// its account's name and the allocation tag of its resource.
fn first_actions(
    findings: &[Finding],
    aggs: &Aggregates,
    policy: &crate::config::TagPolicy,
    names: &HashMap<&str, &str>,
    min_saving: f64,
) -> Vec<FirstAction> {
    let first: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.counted && f.monthly_saving >= min_saving)
        .take(FIRST_ACTIONS)
        .collect();
    // The owners of those few resources only: one pass over the rows, nothing built per row.
    let wanted: HashSet<&str> = first
        .iter()
        .filter_map(|f| f.resource_id.as_deref())
        .collect();
    let mut owners: HashMap<&str, String> = HashMap::new();
    if let (Some(index), Some(key)) = (aggs.allocation_key, policy.allocation_key()) {
        for r in &aggs.resources {
            let Some(id) = r.resource_id.as_deref().filter(|id| wanted.contains(id)) else {
                continue;
            };
            let value = r.tags.get(index).and_then(|v| v.as_deref()).map(str::trim);
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                // The last row with a value wins, as when every row went into the map.
                owners.insert(id, format!("{key}={value}"));
            }
        }
    }
    first
        .into_iter()
        .map(|f| FirstAction {
            finding_id: f.finding_id.clone(),
            rule: f.rule.clone(),
            recommendation: f.recommendation.clone(),
            target: f.resource_id.clone().unwrap_or_else(|| f.current.clone()),
            monthly_saving: f.monthly_saving,
            account: f.account_id.clone(),
            account_name: f
                .account_id
                .as_deref()
                .and_then(|a| names.get(a))
                .map(|n| n.to_string()),
            owner: f
                .resource_id
                .as_deref()
                .and_then(|id| owners.get(id))
                .cloned(),
        })
        .collect()
}

fn top_resources(aggs: &Aggregates) -> Vec<ResourceCost> {
    // Millions of resources, a hundred listed: sums per id, and text only for the hundred.
    let mut by_id: HashMap<&str, (f64, f64, &ResourceRow)> = HashMap::new();
    for row in &aggs.resources {
        let Some(id) = row.resource_id.as_deref() else {
            continue;
        };
        let entry = by_id.entry(id).or_insert((0.0, 0.0, row));
        entry.0 += row.billed;
        entry.1 += row.effective;
    }
    let mut top: Vec<(&str, f64, f64, &ResourceRow)> = by_id
        .into_iter()
        .map(|(id, (billed, effective, first))| (id, billed, effective, first))
        .collect();
    top.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(b.0)));
    top.truncate(TOP_RESOURCES);
    top.into_iter()
        .map(|(id, billed, effective, first)| ResourceCost {
            resource_id: id.to_string(),
            account: first.account.as_deref().map(String::from),
            service: first.service.as_deref().map(String::from),
            region: first.region.as_deref().map(String::from),
            billed,
            effective,
        })
        .collect()
}

fn sort_lines(lines: &mut [CostLine]) {
    lines.sort_by(|a, b| {
        b.effective
            .cmp(&a.effective)
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// The period's cost tables: totals, per service, per account, per service and account, per
/// day and service.
struct CostTables {
    totals: Totals,
    by_service: Vec<CostLine>,
    by_account: Vec<CostLine>,
    by_service_account: Vec<ServiceAccountCost>,
    daily: Vec<DailyCost>,
}

fn cost_tables(aggs: &Aggregates) -> CostTables {
    let mut totals = Totals::default();
    let mut services: BTreeMap<String, Totals> = BTreeMap::new();
    let mut accounts: BTreeMap<String, Totals> = BTreeMap::new();
    let mut pairs: BTreeMap<(String, String), Totals> = BTreeMap::new();
    let mut daily: BTreeMap<(i64, String), (Money, Money)> = BTreeMap::new();
    for row in aggs.daily.iter().filter(|r| aggs.period.contains(r.day)) {
        let service = row.service.clone().unwrap_or_default();
        let account = row.account.clone().unwrap_or_default();
        for t in [
            &mut totals,
            services.entry(service.clone()).or_default(),
            accounts.entry(account.clone()).or_default(),
            pairs.entry((service, account)).or_default(),
        ] {
            t.billed += row.billed;
            t.effective += row.effective;
            t.list += row.list;
        }
        let d = daily
            .entry((row.day, row.service.clone().unwrap_or_default()))
            .or_default();
        d.0 += row.billed;
        d.1 += row.effective;
    }
    let names: HashMap<&str, &str> = aggs
        .resources
        .iter()
        .filter_map(|r| Some((r.account.as_deref()?, r.account_name.as_deref()?)))
        .collect();
    let line = |(name, t): (String, Totals)| CostLine {
        label: names.get(name.as_str()).map(|s| s.to_string()),
        name,
        billed: t.billed,
        effective: t.effective,
        list: t.list,
    };
    let mut by_service: Vec<CostLine> = services.into_iter().map(line).collect();
    let mut by_account: Vec<CostLine> = accounts.into_iter().map(line).collect();
    sort_lines(&mut by_service);
    sort_lines(&mut by_account);
    let mut by_service_account: Vec<ServiceAccountCost> = pairs
        .into_iter()
        .map(|((service, account), t)| ServiceAccountCost {
            account_name: names.get(account.as_str()).map(|s| s.to_string()),
            service,
            account,
            billed: t.billed,
            effective: t.effective,
            list: t.list,
        })
        .collect();
    // Stable: the map gave (service, account) order, kept among equal costs.
    by_service_account.sort_by_key(|p| std::cmp::Reverse(p.effective));
    let daily = daily
        .into_iter()
        .map(|((day, service), (billed, effective))| DailyCost {
            day,
            service,
            billed,
            effective,
        })
        .collect();
    CostTables {
        totals,
        by_service,
        by_account,
        by_service_account,
        daily,
    }
}

/// What the counted usage findings do to each instance's on-demand spend, in the period, so
/// that commitment sizing covers only what stays (a modernised family is not bought, a stopped
/// instance or a container node to remove is not covered).
fn planned_actions(
    aggs: &Aggregates,
    fleet: &[inventory::Instance],
    findings: &[Finding],
    removed_nodes: &[String],
) -> Vec<sizing::Action> {
    let hours = aggs.covered_hours();
    let fleet: HashMap<&str, &inventory::Instance> =
        fleet.iter().map(|i| (i.id.as_str(), i)).collect();
    let action = |instance: &inventory::Instance, saving: f64, effect| sizing::Action {
        provider: instance.provider,
        region: instance.region.clone().unwrap_or_default(),
        instance_type: instance.instance_type.clone(),
        platform: instance.platform,
        on_demand_cost: instance.on_demand_cost,
        saving,
        effect,
    };
    let per_instance = findings.iter().filter(|f| f.counted).filter_map(|f| {
        let instance = fleet.get(f.resource_id.as_deref()?)?;
        let effect = match f.rule.as_str() {
            "previous-generation" | "graviton" => sizing::Effect::LeavesFamily,
            "downsize-instance" => sizing::Effect::Shrinks,
            "idle-instance" | "offhours-schedule" | "spot-candidate" => {
                sizing::Effect::LeavesCommitments
            }
            _ => return None,
        };
        Some(action(
            instance,
            f.monthly_saving * hours / HOURS_PER_MONTH,
            effect,
        ))
    });
    let nodes = removed_nodes.iter().filter_map(|id| {
        let instance = fleet.get(id.as_str())?;
        Some(action(
            instance,
            instance.on_demand_cost,
            sizing::Effect::LeavesCommitments,
        ))
    });
    per_instance.chain(nodes).collect()
}

/// Per resource, only the finding with the largest saving counts (downsize, Spot and a
/// schedule on one instance are not additive). Findings without a saving never count.
fn deduplicate(findings: &mut [Finding]) {
    let competes = |f: &Finding| {
        f.monthly_saving > 0.0
            && f.resource_id.is_some()
            && matches!(f.category, Category::Usage | Category::Rate)
            && !f.rule.starts_with("commitment-")
    };
    let mut winner: HashMap<&str, usize> = HashMap::new();
    for (i, f) in findings.iter().enumerate().filter(|(_, f)| competes(f)) {
        let id = f
            .resource_id
            .as_deref()
            .expect("competing findings have a resource");
        let beats = |j: usize| {
            let other = &findings[j];
            f.monthly_saving > other.monthly_saving
                || (f.monthly_saving == other.monthly_saving && f.finding_id < other.finding_id)
        };
        if winner.get(id).is_none_or(|&j| beats(j)) {
            winner.insert(id, i);
        }
    }
    let winners: HashSet<usize> = winner.into_values().collect();
    for (i, f) in findings.iter_mut().enumerate() {
        if competes(f) {
            f.counted = winners.contains(&i);
        } else if f.monthly_saving <= 0.0 {
            f.counted = false;
        }
    }
}

fn rank(findings: &mut [Finding]) {
    crate::order::sort_stable_by(findings, |a, b| {
        b.monthly_saving
            .total_cmp(&a.monthly_saving)
            .then_with(|| b.period_cost.total_cmp(&a.period_cost))
            .then_with(|| a.finding_id.cmp(&b.finding_id))
    });
}

/// Runs one analyser and logs how long it took (`-v`), so a slow one can be found.
fn timed<T>(analyser: &str, run: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let out = run();
    tracing::info!(
        analyser,
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "analyser"
    );
    out
}

pub fn run(aggs: &Aggregates, config: &Config, inputs: Inputs) -> Analysis {
    let CostTables {
        totals,
        by_service,
        by_account,
        by_service_account,
        daily,
    } = timed("costs", || cost_tables(aggs));
    let mut allocation = timed("allocation", || allocation::analyse(aggs, &config.tags));
    // The instances every compute rule reads, built once.
    let fleet = timed("inventory", || inventory::instances(aggs));
    let usage = timed("usage", || {
        usage::analyse(
            aggs,
            &config.usage,
            &config.tags,
            inputs.utilization,
            &fleet,
        )
    });
    let spot = timed("spot", || {
        rate::spot_candidates(aggs, &config.rate, &config.tags, &fleet)
    });

    // One action per dollar: usage and Spot findings first, one per resource, then commitment
    // purchases sized on what stays on demand after them.
    let mut resource_findings: Vec<Finding> = usage.findings.iter().cloned().chain(spot).collect();
    deduplicate(&mut resource_findings);
    // Nodes another counted finding acts on are not removed again by the container rule, nor
    // nodes a reservation or savings plan pays for (removing them saves nothing until it ends).
    let acted_on: std::collections::BTreeSet<&str> = resource_findings
        .iter()
        .filter(|f| f.counted)
        .filter_map(|f| f.resource_id.as_deref())
        .chain(fleet.iter().filter(|i| i.committed).map(|i| i.id.as_str()))
        .collect();
    let containers = timed("containers", || {
        containers::analyse(aggs, &config.usage, &acted_on)
    });
    let actions = planned_actions(aggs, &fleet, &resource_findings, &containers.removed);
    let mut rate = timed("rate", || rate::analyse(aggs, &config.rate, &actions));
    let empty = Supplements::default();
    let supplements = inputs.supplements.unwrap_or(&empty);
    let contract = timed("contract commitments", || {
        contracts::analyse(&supplements.commitments, aggs, &config.rate, &rate.findings)
    });
    rate.findings.extend(contract.findings);
    rate.notes.extend(contract.notes);
    let reconciliation = reconcile::reconcile(
        &supplements.invoices,
        &inputs.line_totals,
        &supplements.billing_periods,
        &aggs.period,
    );
    let trends = timed("trends", || {
        trends::analyse(
            aggs,
            &config.anomaly,
            inputs.previous_month,
            &inputs.report_months,
        )
    });
    let (budget_statuses, budget_findings) = timed("budgets", || {
        budgets::analyse(
            aggs,
            &config.budgets,
            config.tags.allocation_key(),
            &allocation.allocation,
        )
    });

    let mut findings = std::mem::take(&mut allocation.findings);
    findings.extend(resource_findings);
    findings.extend(containers.findings.iter().cloned());
    findings.extend(rate.findings.iter().cloned());
    // AWS's own recommendations overlap costlens's rules: reported beside them, never counted.
    findings.extend(inputs.external_findings.into_iter().map(|mut f| {
        f.counted = false;
        f
    }));
    findings.extend(trends.findings.iter().cloned());
    findings.extend(budget_findings);
    for f in &mut findings {
        if f.monthly_saving <= 0.0 {
            f.counted = false;
        }
    }
    rank(&mut findings);
    for f in &mut findings {
        f.first_seen.clone_from(&aggs.period.label);
    }

    let names: HashMap<&str, &str> = by_account
        .iter()
        .filter_map(|l| Some((l.name.as_str(), l.label.as_deref()?)))
        .collect();
    let first_actions = first_actions(
        &findings,
        aggs,
        &config.tags,
        &names,
        config.report.min_saving,
    );
    let mut savings = Savings::default();
    for f in findings.iter().filter(|f| f.counted) {
        savings.total_monthly += f.monthly_saving;
        *savings.by_category.entry(f.category).or_default() += f.monthly_saving;
    }

    let figures = gates::Figures {
        tag_coverage_pct: allocation.tag_coverage_pct,
        mom_growth_pct: trends.mom_growth_pct,
        commitment_utilization_pct: rate.kpis.commitment_utilization_pct,
        max_anomaly_impact: trends
            .anomalies
            .iter()
            .map(|a| a.impact)
            .fold(0.0, f64::max),
        budgets_breached: budget_statuses
            .iter()
            .filter(|b| b.status == budgets::Status::Breached)
            .count(),
        budgets_configured: budget_statuses.len(),
    };
    let gates = gates::evaluate(&config.gates, &figures);
    let mut notes = allocation.notes.clone();
    notes.extend(usage.notes.iter().cloned());
    if !aggs.has_resources {
        notes.push(format!(
            "Tag coverage, untagged resources, showback, the usage rules and Spot candidates \
             need resource-level data: {}.",
            inputs
                .no_resource_ids
                .as_deref()
                .unwrap_or("no line of the data names a resource (ResourceId is empty)")
        ));
    }
    notes.extend(rate.notes.iter().cloned());
    let (bill_coverage, unreviewed) =
        review::review(aggs, &findings, config.usage.unreviewed_service_min_pct);
    notes.extend(unreviewed);
    // After everything that reads single findings (the total, the first actions, the review).
    let rolled_up = timed("roll-ups", || {
        rollup::roll_up_untagged(&mut allocation.untagged, config.report.min_saving);
        rollup::roll_up(&mut findings, config.report.min_saving)
    });
    if aggs.is_partial() {
        notes.push(format!(
            "The data ends before the period does: figures for {} are partial (month to date); \
             budgets and growth use the run rate.",
            aggs.period.label
        ));
    }

    Analysis {
        currency: aggs.currency.clone(),
        period: aggs.period.clone(),
        partial: aggs.is_partial(),
        hourly: aggs.is_hourly(),
        data_start: aggs.data_start,
        data_end: aggs.data_end,
        totals,
        by_service,
        by_account,
        by_service_account,
        daily,
        top_resources: top_resources(aggs),
        allocation,
        containers,
        usage,
        rate,
        trends,
        budgets: budget_statuses,
        gates,
        findings,
        savings,
        first_actions,
        min_saving: config.report.min_saving,
        rolled_up,
        bill_coverage,
        history: None,
        notes,
        focus: FocusReport {
            files: inputs.focus_versions,
            reconciliation,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::usage_finding as finding;

    #[test]
    fn one_counted_finding_per_resource() {
        let mut f = vec![
            finding("downsize-instance", "i-1", 40.0),
            finding("spot-candidate", "i-1", 65.0),
            finding("offhours-schedule", "i-1", 30.0),
            finding("ebs-gp2-to-gp3", "vol-1", 10.0),
            finding("untagged-resource", "vol-1", 0.0),
        ];
        f[1].category = Category::Rate;
        deduplicate(&mut f);
        let counted: Vec<bool> = f.iter().map(|x| x.counted).collect();
        assert_eq!(counted, vec![false, true, false, true, false]);
    }

    #[test]
    fn a_finding_left_out_of_the_total_says_why() {
        let mut a = crate::report::charts::fixture::analysis();
        // The fixture counts a purchase and idle-instance on i-1; add what the total leaves out.
        let mut schedule = finding("offhours-schedule", "i-1", 30.0);
        let mut alternative = Finding::new(Category::Rate, "commitment-purchase", "all compute");
        alternative.monthly_saving = 250.0;
        let mut provider = finding("downsize-instance", "i-9", 12.0);
        provider.source = "aws-compute-optimizer".into();
        for f in [&mut schedule, &mut alternative, &mut provider] {
            f.counted = false;
        }
        a.findings.extend([schedule, alternative, provider]);
        let reasons: Vec<String> = a.findings.iter().map(|f| a.counted_reason(f)).collect();
        assert_eq!(
            reasons,
            [
                "yes",
                "yes",
                "yes",
                "no: nothing to save (a finding to act on, without a saving)",
                "no: same resource as idle-instance, which saves more and is counted",
                "no: an alternative; the counted purchases cover the same usage",
                "no: the provider's own recommendation, shown beside costlens's",
            ]
        );
    }
}

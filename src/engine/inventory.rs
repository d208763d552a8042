//! A per-instance view of the period's resource rows, shared by the usage and rate analysers:
//! one entry per instance (a VM, or a managed database, cache, search or warehouse node) with
//! its hours, its on-demand cost and its tags, however many rows (usage types, tag changes) it
//! had.

use std::collections::BTreeMap;

use super::aggregates::{Aggregates, ResourceRow, Text};
use super::classify::Orchestrator;
use super::kinds::{InstanceHours, InstanceService, Platform, Pricing, Provider};
use crate::schema::charge_category;

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub id: String,
    pub provider: Provider,
    pub account: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    pub instance_type: String,
    /// What runs it: a VM, or a managed database, cache, search or warehouse node.
    pub runs: InstanceService,
    pub platform: Platform,
    /// Effective cost of all its instance hours.
    pub cost: f64,
    /// Effective cost of the hours billed on-demand (not Spot, not covered by a commitment).
    pub on_demand_cost: f64,
    /// On-demand cost outside the business-hours schedule.
    pub offhours_on_demand_cost: f64,
    /// Instance-hour lines (hours, in hourly data).
    pub hours: f64,
    pub on_demand_hours: f64,
    pub spot: bool,
    pub committed: bool,
    pub first_start: i64,
    pub last_end: i64,
    /// First value seen per policy key (in [`Aggregates::tag_keys`] order).
    pub tags: Vec<Option<Text>>,
    pub orchestrator: Option<Orchestrator>,
}

/// A usage row of an instance hour of a named resource.
pub fn instance_hours(row: &ResourceRow) -> Option<&InstanceHours> {
    let usage = row.charge_category.as_deref() == Some(charge_category::USAGE);
    (usage && row.resource_id.is_some())
        .then(|| row.kind.instance())
        .flatten()
}

pub fn instances(aggs: &Aggregates) -> Vec<Instance> {
    let mut by_id: BTreeMap<&str, Instance> = BTreeMap::new();
    for row in &aggs.resources {
        let Some(hours) = instance_hours(row) else {
            continue;
        };
        let id = row.resource_id.as_deref().expect("instance rows have ids");
        let entry = by_id.entry(id).or_insert_with(|| Instance {
            id: id.to_string(),
            provider: row.provider,
            account: row.account.as_deref().map(String::from),
            service: row.service.as_deref().map(String::from),
            region: row.region.as_deref().map(String::from),
            instance_type: hours.class.clone(),
            runs: hours.service,
            platform: hours.platform,
            cost: 0.0,
            on_demand_cost: 0.0,
            offhours_on_demand_cost: 0.0,
            hours: 0.0,
            on_demand_hours: 0.0,
            spot: false,
            committed: false,
            first_start: row.first_start,
            last_end: row.last_end,
            tags: vec![None; row.tags.len()],
            orchestrator: None,
        });
        entry.cost += row.effective;
        entry.hours += row.lines as f64;
        if hours.pricing == Pricing::OnDemand {
            entry.on_demand_cost += row.effective;
            entry.on_demand_hours += row.lines as f64;
            entry.offhours_on_demand_cost += row.offhours_cost;
        }
        entry.spot |= hours.pricing == Pricing::Spot;
        entry.committed |= hours.pricing == Pricing::Committed;
        // The most restrictive platform seen wins: one licensed line means a licensed OS.
        if entry.platform == Platform::Unknown || hours.platform.licence_included() {
            entry.platform = hours.platform;
        }
        entry.first_start = entry.first_start.min(row.first_start);
        entry.last_end = entry.last_end.max(row.last_end);
        for (slot, value) in entry.tags.iter_mut().zip(&row.tags) {
            if slot.is_none() {
                slot.clone_from(value);
            }
        }
        if entry.orchestrator.is_none() {
            entry.orchestrator = row.orchestrator;
        }
    }
    by_id.into_values().collect()
}

impl Instance {
    /// The environment tag value, lower-cased and trimmed.
    pub fn environment(&self, aggs: &Aggregates, environment_key: &str) -> Option<String> {
        let i = aggs.tag_keys.iter().position(|k| k == environment_key)?;
        self.tags[i].as_deref().map(|v| v.trim().to_lowercase())
    }

    pub fn lifetime_hours(&self) -> f64 {
        (self.last_end - self.first_start) as f64 / 3_600_000.0
    }

    pub fn is_vm(&self) -> bool {
        self.runs == InstanceService::VirtualMachine
    }
}

//! A per-instance view of the period's resource rows, shared by the usage and rate analysers:
//! one entry per instance (EC2, RDS, ElastiCache) with its hours, its on-demand cost and its
//! tags, however many rows (usage types, tag changes) it had.

use std::collections::BTreeMap;

use crate::engine::aggregates::{Aggregates, ResourceRow};
use crate::schema::{charge_category, pricing_category};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Instance {
    pub id: String,
    pub account: Option<String>,
    pub service: Option<String>,
    pub service_code: Option<String>,
    pub region: Option<String>,
    pub instance_type: String,
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
    pub tags: Vec<Option<String>>,
    pub orchestrator: Option<String>,
}

const INSTANCE_USAGE: [&str; 6] = [
    "BoxUsage",
    "SpotUsage",
    "DedicatedUsage",
    "InstanceUsage",
    "Multi-AZUsage",
    "NodeUsage",
];

/// A usage line of an instance hour (EC2, RDS, ElastiCache).
pub fn is_instance_hour(row: &ResourceRow) -> bool {
    row.charge_category.as_deref() == Some(charge_category::USAGE)
        && row.instance_type.is_some()
        && row.resource_id.is_some()
        && row
            .usage_type
            .as_deref()
            .is_some_and(|u| INSTANCE_USAGE.iter().any(|p| u.contains(p)))
}

pub fn instances(aggs: &Aggregates) -> Vec<Instance> {
    let mut by_id: BTreeMap<&str, Instance> = BTreeMap::new();
    for row in aggs.resources.iter().filter(|r| is_instance_hour(r)) {
        let id = row.resource_id.as_deref().expect("instance rows have ids");
        let entry = by_id.entry(id).or_insert_with(|| Instance {
            id: id.to_string(),
            account: row.account.clone(),
            service: row.service.clone(),
            service_code: row.service_code.clone(),
            region: row.region.clone(),
            instance_type: row.instance_type.clone().unwrap_or_default(),
            first_start: row.first_start,
            last_end: row.last_end,
            tags: vec![None; row.tags.len()],
            ..Instance::default()
        });
        let category = row.pricing_category.as_deref();
        entry.cost += row.effective;
        entry.hours += row.lines as f64;
        if category == Some(pricing_category::STANDARD) {
            entry.on_demand_cost += row.effective;
            entry.on_demand_hours += row.lines as f64;
            entry.offhours_on_demand_cost += row.offhours_cost;
        }
        entry.spot |= category == Some(pricing_category::DYNAMIC);
        entry.committed |= category == Some(pricing_category::COMMITTED);
        entry.first_start = entry.first_start.min(row.first_start);
        entry.last_end = entry.last_end.max(row.last_end);
        for (slot, value) in entry.tags.iter_mut().zip(&row.tags) {
            if slot.is_none() {
                slot.clone_from(value);
            }
        }
        if entry.orchestrator.is_none() {
            entry.orchestrator.clone_from(&row.orchestrator);
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
}

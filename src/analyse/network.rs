//! Network usage rules: idle NAT gateways and load balancers, idle public IPs billed without a
//! resource id, and data-transfer hot spots. Each acts on what the bill shows per resource or,
//! where lines name no resource, per account and region.

use std::collections::BTreeMap;

use super::usage::Ctx;
use crate::engine::aggregates::ResourceRow;
use crate::engine::kinds::{Direction, GatewayPart, LineKind};
use crate::findings::{Confidence, Finding};

/// An account and region, as the lines name them.
type Scope<'a> = (Option<&'a str>, Option<&'a str>);

/// NAT gateways and load balancers provisioned at least `idle_gateway_min_hours` in the period
/// that processed nothing (no bytes, no load-balancer capacity units): delete them. Saving =
/// their whole cost. (AWS Well-Architected's idle-NAT query: over 336 hours and only the
/// hourly charge.)
pub(super) fn idle_gateways(ctx: &Ctx, out: &mut Vec<Finding>) {
    for rows in ctx.usage_rows.values() {
        let (mut nat, mut balancer) = (false, false);
        let (mut hours, mut processed, mut cost) = (0.0, 0.0, 0.0);
        for row in rows {
            let part = match row.kind {
                LineKind::NatGateway(part) => {
                    nat = true;
                    part
                }
                LineKind::LoadBalancer(part) => {
                    balancer = true;
                    part
                }
                _ => continue,
            };
            cost += row.effective;
            match part {
                GatewayPart::Hours => hours += row.quantity,
                GatewayPart::Bytes => processed += row.quantity,
            }
        }
        if !(nat || balancer) || hours < ctx.rules.idle_gateway_min_hours || processed > 0.0 {
            continue;
        }
        let (rule, what) = if nat {
            ("idle-nat-gateway", "NAT gateway")
        } else {
            ("idle-load-balancer", "load balancer")
        };
        let first = rows
            .iter()
            .find(|r| matches!(r.kind, LineKind::NatGateway(_) | LineKind::LoadBalancer(_)))
            .expect("a gateway row");
        let mut f = ctx.for_row(rule, first);
        f.current = format!("{what}, {hours:.0} hours, nothing processed");
        f.recommendation = format!("delete the {what} (check it is not a standby first)");
        f.period_cost = cost;
        f.monthly_saving = ctx.monthly(cost);
        f.confidence = Confidence::Medium;
        f.evidence = format!(
            "{hours:.0} provisioned hours costing {cost:.2} in the period and no bytes or \
             capacity units processed (threshold {:.0} hours)",
            ctx.rules.idle_gateway_min_hours
        );
        out.push(f);
    }
}

/// Idle public IPs on lines that name no resource (some CURs bill them so): one finding per
/// account and region, saving their whole cost.
pub(super) fn unnamed_idle_addresses(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut by_scope: BTreeMap<Scope, (f64, f64, &ResourceRow)> = BTreeMap::new();
    for row in ctx
        .aggs
        .resources
        .iter()
        .filter(|r| r.resource_id.is_none() && r.kind == LineKind::PublicIp { idle: true })
    {
        let e = by_scope
            .entry((row.account.as_deref(), row.region.as_deref()))
            .or_insert((0.0, 0.0, row));
        e.0 += row.effective;
        e.1 += row.quantity;
    }
    for ((account, region), (cost, hours, row)) in by_scope {
        let scope = format!(
            "{} | {}",
            account.unwrap_or_default(),
            region.unwrap_or_default()
        );
        let mut f = ctx.finding("idle-public-ip", &scope);
        f.account_id = row.account.as_deref().map(String::from);
        f.region = row.region.as_deref().map(String::from);
        f.service = row.service.as_deref().map(String::from);
        let addresses = if ctx.hours > 0.0 {
            hours / ctx.hours
        } else {
            0.0
        };
        f.current = format!("about {addresses:.1} public IPv4 addresses attached to nothing");
        f.recommendation =
            "find the unattached addresses of this account and region and release them".into();
        f.period_cost = cost;
        f.monthly_saving = ctx.monthly(cost);
        f.evidence = format!(
            "{hours:.0} idle address-hours costing {cost:.2} on lines without a resource id"
        );
        out.push(f);
    }
}

/// Data transfer of one account, region and direction (inbound left out: it is free) costing
/// at least `transfer_hotspot_min_pct` of all data transfer: where to look first. No saving is
/// claimed: what a change saves depends on the architecture.
pub(super) fn transfer_hotspots(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut by_scope: BTreeMap<(Scope, Direction), (f64, f64)> = BTreeMap::new();
    for row in &ctx.aggs.resources {
        let LineKind::DataTransfer(direction) = row.kind else {
            continue;
        };
        if direction == Direction::In {
            continue;
        }
        let e = by_scope
            .entry(((row.account.as_deref(), row.region.as_deref()), direction))
            .or_default();
        e.0 += row.effective;
        e.1 += row.quantity;
    }
    let total: f64 = by_scope.values().map(|(c, _)| c).sum();
    if total <= 0.0 {
        return;
    }
    for (((account, region), direction), (cost, gb)) in by_scope {
        let share = cost / total * 100.0;
        if share < ctx.rules.transfer_hotspot_min_pct || cost <= 0.0 {
            continue;
        }
        let (what, advice) = match direction {
            Direction::InterZone => (
                "between availability zones",
                "keep chatty services in one zone, or route to the same zone first",
            ),
            Direction::InterRegion => (
                "between regions",
                "replicate less, or keep processing in the region of the data",
            ),
            Direction::Out => (
                "out to the internet",
                "serve through a CDN, compress, or keep traffic on private endpoints",
            ),
            Direction::In | Direction::Other => ("", "see which resources send it"),
        };
        let scope = format!(
            "{} | {} | {what}",
            account.unwrap_or_default(),
            region.unwrap_or_default()
        );
        let mut f = ctx.finding("data-transfer-hotspot", &scope);
        f.account_id = account.map(String::from);
        f.region = region.map(String::from);
        f.current = format!("data transfer {what}: {gb:.0} GB costing {cost:.2}");
        f.recommendation = advice.into();
        f.period_cost = cost;
        f.confidence = Confidence::Low;
        f.evidence = format!("{share:.0}% of all data-transfer cost in the period");
        out.push(f);
    }
}

//! Coverage of the bill: for each service, how much it cost, which rule groups looked at its
//! lines and what they found, so a practitioner sees the spend no rule examined (a service
//! above `[usage] unreviewed_service_min_pct` of the cost with no rule is called out).
//!
//! A rule group looks at a service when the service has lines of a kind the group reads;
//! allocation, anomalies and budgets read every line and are not counted here.

use std::collections::BTreeMap;

use crate::engine::aggregates::Aggregates;
use crate::engine::kinds::{InstanceService, LineKind};
use crate::findings::{Category, Finding};

/// Whether a rule group reads lines of a kind.
type Reads = fn(&LineKind) -> bool;

/// The rule groups and the kinds each reads.
const GROUPS: [(&str, Reads); 11] = [
    ("modernisation", |k| k.instance().is_some()),
    ("rightsizing and schedules", is_vm),
    ("Spot", is_vm),
    ("commitments", |k| {
        k.is_commitment_eligible() || *k == LineKind::CommitmentFee
    }),
    ("block storage", |k| k.volume().is_some()),
    ("snapshots", |k| *k == LineKind::Snapshot),
    ("public IPs", |k| matches!(k, LineKind::PublicIp { .. })),
    ("object storage", |k| {
        matches!(k, LineKind::ObjectStorage(_))
    }),
    ("database storage", |k| {
        matches!(k, LineKind::DatabaseStorage(_))
    }),
    ("NAT gateways and load balancers", |k| {
        matches!(k, LineKind::NatGateway(_) | LineKind::LoadBalancer(_))
    }),
    ("data transfer", |k| matches!(k, LineKind::DataTransfer(_))),
];

fn is_vm(kind: &LineKind) -> bool {
    kind.instance()
        .is_some_and(|i| i.service == InstanceService::VirtualMachine)
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceReview {
    pub service: String,
    pub cost: f64,
    pub share_pct: f64,
    /// The rule groups that looked at its lines.
    pub rules: Vec<&'static str>,
    /// Its usage and rate findings, and what the counted ones save a month.
    pub findings: usize,
    pub monthly_saving: f64,
}

/// The period's services by effective cost, with the rules that looked at each; and a note for
/// each service above `min_share_pct` that no rule looked at.
pub fn review(
    aggs: &Aggregates,
    findings: &[Finding],
    min_share_pct: f64,
) -> (Vec<ServiceReview>, Vec<String>) {
    let mut by_service: BTreeMap<String, (f64, Vec<&'static str>)> = BTreeMap::new();
    for row in &aggs.resources {
        let service = row.service.as_deref().unwrap_or_default().to_string();
        let entry = by_service.entry(service).or_default();
        entry.0 += row.effective;
        for (group, reads) in GROUPS {
            if reads(&row.kind) && !entry.1.contains(&group) {
                entry.1.push(group);
            }
        }
    }
    let total: f64 = by_service.values().map(|(c, _)| c).sum();
    let mut out: Vec<ServiceReview> = by_service
        .into_iter()
        .map(|(service, (cost, mut rules))| {
            rules.sort_by_key(|r| GROUPS.iter().position(|(g, _)| g == r));
            let own: Vec<&Finding> = findings
                .iter()
                .filter(|f| {
                    matches!(f.category, Category::Usage | Category::Rate)
                        && f.service.as_deref() == Some(service.as_str())
                })
                .collect();
            ServiceReview {
                share_pct: if total > 0.0 {
                    cost / total * 100.0
                } else {
                    0.0
                },
                findings: own.len(),
                monthly_saving: own
                    .iter()
                    .filter(|f| f.counted)
                    .map(|f| f.monthly_saving)
                    .sum(),
                service,
                cost,
                rules,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.cost
            .total_cmp(&a.cost)
            .then_with(|| a.service.cmp(&b.service))
    });
    let notes = out
        .iter()
        .filter(|s| s.rules.is_empty() && s.share_pct >= min_share_pct && !s.service.is_empty())
        .map(|s| {
            format!(
                "{} is {:.0}% of the period's cost and no costlens rule looks at its lines: \
                 review it by hand.",
                s.service, s.share_pct
            )
        })
        .collect();
    (out, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::aggregates::ResourceRow;
    use crate::engine::kinds::Pricing;

    fn row(service: &str, kind: LineKind, cost: f64) -> ResourceRow {
        ResourceRow {
            service: Some(service.into()),
            kind,
            effective: cost,
            ..ResourceRow::default()
        }
    }

    #[test]
    fn services_with_their_rules_and_the_unreviewed_spend_called_out() {
        // EC2 60 (a VM hour and a snapshot), Glue 30 (nothing a rule reads), S3 10 (object
        // storage). Glue is 30% of 100 with no rule: called out at the 10% threshold.
        let aggs = Aggregates {
            resources: vec![
                row("EC2", LineKind::vm("m5.large", Pricing::OnDemand), 50.0),
                row("EC2", LineKind::Snapshot, 10.0),
                row("Glue", LineKind::Other, 30.0),
                row(
                    "S3",
                    LineKind::ObjectStorage(crate::engine::kinds::ObjectStorage {
                        class: crate::engine::kinds::StorageClass::Standard,
                        part: crate::engine::kinds::ObjectPart::Storage,
                    }),
                    10.0,
                ),
            ],
            ..Aggregates::october_2026()
        };
        let mut saving = crate::findings::usage_finding("graviton", "i-1", 7.5);
        saving.service = Some("EC2".into());
        let (services, notes) = review(&aggs, &[saving], 10.0);
        let names: Vec<&str> = services.iter().map(|s| s.service.as_str()).collect();
        assert_eq!(names, vec!["EC2", "Glue", "S3"]);
        assert_eq!(
            services[0].rules,
            vec![
                "modernisation",
                "rightsizing and schedules",
                "Spot",
                "commitments",
                "snapshots"
            ]
        );
        assert_eq!((services[0].findings, services[0].monthly_saving), (1, 7.5));
        assert!(services[1].rules.is_empty());
        assert!((services[1].share_pct - 30.0).abs() < 1e-9);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("Glue is 30%"), "{notes:?}");
    }
}

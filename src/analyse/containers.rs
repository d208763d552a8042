//! Container cost allocation, from split cost allocation data: what each cluster × namespace
//! (Kubernetes) or service (ECS) used of its nodes, each node's unused share, and clusters
//! whose nodes stand largely idle.
//!
//! Split costs are allocations of the nodes' own cost, already in the totals through the nodes'
//! lines: nothing here is added to a total. A node's cost, as the split data spreads it, is its
//! pods' or tasks' split cost plus their unused cost; its unused share is unused ÷ (split +
//! unused) (AWS, "Understanding split cost allocation data").

use std::collections::{BTreeMap, BTreeSet};

use crate::config::UsageRules;
use crate::engine::aggregates::{Aggregates, ContainerRow};
use crate::engine::kinds::ContainerPlatform;
use crate::findings::{amount, per_month, Category, Confidence, Finding};
use crate::money::Money;

/// One cluster × namespace or service: its share of its nodes in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupAllocation {
    pub platform: ContainerPlatform,
    pub cluster: String,
    /// The namespace (Kubernetes) or service (ECS); empty when the bill names none.
    pub group: String,
    pub account: Option<String>,
    /// What its pods or tasks used of their nodes.
    pub split: Money,
    /// Their share of the nodes' capacity nothing used.
    pub unused: Money,
    pub nodes: usize,
    pub first_start: i64,
    pub last_end: i64,
}

/// One node: what its pods or tasks used and left unused.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeUse {
    pub platform: ContainerPlatform,
    pub cluster: String,
    pub node: String,
    pub account: Option<String>,
    pub split: Money,
    pub unused: Money,
    /// unused ÷ (split + unused) × 100; None for a node that cost nothing.
    pub unused_pct: Option<f64>,
}

impl NodeUse {
    /// The node's cost as the split data spreads it.
    pub fn cost(&self) -> f64 {
        (self.split + self.unused).to_f64()
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Containers {
    /// By platform, cluster, then namespace or service.
    pub allocation: Vec<GroupAllocation>,
    /// By platform, cluster, then node.
    pub nodes: Vec<NodeUse>,
    pub findings: Vec<Finding>,
    /// The nodes the findings say to remove: commitment sizing must not cover them.
    pub removed: Vec<String>,
}

/// What a row is filed under when the bill names no cluster.
fn cluster_of(row: &ContainerRow) -> String {
    row.cluster.clone().unwrap_or_default()
}

/// The allocation table: the rows of each cluster × namespace or service summed over nodes.
pub fn allocation(rows: &[ContainerRow]) -> Vec<GroupAllocation> {
    type Key = (ContainerPlatform, String, String, Option<String>);
    let mut groups: BTreeMap<Key, (GroupAllocation, BTreeSet<&str>)> = BTreeMap::new();
    for r in rows {
        let key = (
            r.platform,
            cluster_of(r),
            r.group.clone().unwrap_or_default(),
            r.account.clone(),
        );
        let (g, nodes) = groups.entry(key.clone()).or_insert_with(|| {
            (
                GroupAllocation {
                    platform: key.0,
                    cluster: key.1,
                    group: key.2,
                    account: key.3,
                    split: Money::default(),
                    unused: Money::default(),
                    nodes: 0,
                    first_start: r.first_start,
                    last_end: r.last_end,
                },
                BTreeSet::new(),
            )
        });
        g.split += r.split;
        g.unused += r.unused;
        g.first_start = g.first_start.min(r.first_start);
        g.last_end = g.last_end.max(r.last_end);
        nodes.insert(&r.node);
    }
    groups
        .into_values()
        .map(|(mut g, nodes)| {
            g.nodes = nodes.len();
            g
        })
        .collect()
}

/// Each node's split and unused cost, and its unused share.
pub fn nodes(rows: &[ContainerRow]) -> Vec<NodeUse> {
    let mut by_node: BTreeMap<(ContainerPlatform, String, String), NodeUse> = BTreeMap::new();
    for r in rows {
        let key = (r.platform, cluster_of(r), r.node.clone());
        let n = by_node.entry(key.clone()).or_insert_with(|| NodeUse {
            platform: key.0,
            cluster: key.1,
            node: key.2,
            account: r.account.clone(),
            split: Money::default(),
            unused: Money::default(),
            unused_pct: None,
        });
        n.split += r.split;
        n.unused += r.unused;
    }
    by_node
        .into_values()
        .map(|mut n| {
            let cost = n.cost();
            n.unused_pct = (cost > 0.0).then(|| n.unused.to_f64() / cost * 100.0);
            n
        })
        .collect()
}

/// The whole nodes a cluster could do without: the cheapest first, as long as the nodes
/// removed cost no more than the cluster's unused capacity, so the nodes that stay hold at
/// least what the pods or tasks used (with identical nodes: ⌊unused ÷ node cost⌋ of them).
/// Nodes in `keep` (a counted finding already acts on them) are never chosen.
pub fn removable<'a>(cluster: &[&'a NodeUse], keep: &BTreeSet<&str>) -> Vec<&'a NodeUse> {
    let unused: f64 = cluster.iter().map(|n| n.unused.to_f64()).sum();
    let mut candidates: Vec<&NodeUse> = cluster
        .iter()
        .copied()
        .filter(|n| !keep.contains(n.node.as_str()))
        .collect();
    candidates.sort_by(|a, b| a.cost().total_cmp(&b.cost()).then(a.node.cmp(&b.node)));
    let mut removed = Vec::new();
    let mut freed = 0.0;
    for n in candidates {
        if n.cost() <= 0.0 || freed + n.cost() > unused + 1e-9 {
            break;
        }
        freed += n.cost();
        removed.push(n);
    }
    removed
}

/// Clusters whose nodes' capacity went unused at least `container_unused_min_pct` of their
/// cost: remove the whole nodes [`removable`] finds. Saving = those nodes' cost in the period
/// scaled to a month; nothing counted when no whole node can go (then pack pods tighter). The
/// unused share is the period's average: the busiest hour may need more of the nodes.
pub fn unused_capacity(
    aggs: &Aggregates,
    nodes: &[NodeUse],
    rules: &UsageRules,
    keep: &BTreeSet<&str>,
) -> (Vec<Finding>, Vec<String>) {
    let mut removed_nodes = Vec::new();
    let mut clusters: BTreeMap<(ContainerPlatform, &str, Option<&str>), Vec<&NodeUse>> =
        BTreeMap::new();
    for n in nodes {
        clusters
            .entry((n.platform, n.cluster.as_str(), n.account.as_deref()))
            .or_default()
            .push(n);
    }
    let hours = aggs.covered_hours();
    let mut out = Vec::new();
    for ((platform, cluster, account), members) in clusters {
        let split: f64 = members.iter().map(|n| n.split.to_f64()).sum();
        let unused: f64 = members.iter().map(|n| n.unused.to_f64()).sum();
        let cost = split + unused;
        if cost <= 0.0 {
            continue;
        }
        let share = unused / cost * 100.0;
        if share < rules.container_unused_min_pct {
            continue;
        }
        let removed = removable(&members, keep);
        removed_nodes.extend(removed.iter().map(|n| n.node.clone()));
        let freed: f64 = removed.iter().map(|n| n.cost()).sum();
        let name = if cluster.is_empty() {
            "(cluster not named)"
        } else {
            cluster
        };
        let scope = format!(
            "{} | {} | {name}",
            platform.label(),
            account.unwrap_or_default()
        );
        let mut f = Finding::new(Category::Usage, "container-unused-capacity", &scope);
        f.currency = aggs.currency.clone();
        f.account_id = account.map(String::from);
        // Any of a node's rows names its service and region.
        if let Some(node) = members.iter().find_map(|n| aggs.rows_of(&n.node).last()) {
            f.service = node.service.as_deref().map(String::from);
            f.region = node.region.as_deref().map(String::from);
        }
        f.current = format!(
            "{} cluster {name}: {} nodes, {share:.0}% of their capacity unused",
            platform.label(),
            members.len()
        );
        f.recommendation = if removed.is_empty() {
            "no whole node is idle: lower pod or task requests, or use smaller nodes".into()
        } else {
            format!(
                "drain and remove {} of the {} nodes (shrink the node group or capacity \
                 provider): {}",
                removed.len(),
                members.len(),
                removed
                    .iter()
                    .map(|n| n.node.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        f.period_cost = cost;
        f.monthly_saving = per_month(freed, hours);
        f.confidence = Confidence::Medium;
        let kept = members
            .iter()
            .filter(|n| keep.contains(n.node.as_str()))
            .count();
        f.evidence = format!(
            "split cost allocation: pods or tasks used {} and left {} unused of the nodes' {} \
             ({share:.2}%, threshold {:.0}%); saving = the whole nodes removable, cheapest \
             first, while their cost ({}) stays within the unused capacity, so the remaining \
             nodes still hold what was used on average; the rest of the unused share is not \
             recoverable by removing nodes{}; check the busiest hour and disruption budgets \
             before draining",
            amount(split),
            amount(unused),
            amount(cost),
            rules.container_unused_min_pct,
            amount(freed),
            if kept > 0 {
                format!("; {kept} nodes left out: another counted finding acts on them")
            } else {
                String::new()
            }
        );
        out.push(f);
    }
    (out, removed_nodes)
}

/// The container tables and findings; `keep` are nodes other counted findings act on, or
/// whose cost a commitment pays (removing them would not save it).
pub fn analyse(aggs: &Aggregates, rules: &UsageRules, keep: &BTreeSet<&str>) -> Containers {
    let nodes = nodes(&aggs.containers);
    let (findings, removed) = unused_capacity(aggs, &nodes, rules, keep);
    Containers {
        allocation: allocation(&aggs.containers),
        findings,
        removed,
        nodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(x: &str) -> Money {
        Money::parse_line(x).unwrap()
    }

    fn row(
        platform: ContainerPlatform,
        cluster: &str,
        group: &str,
        node: &str,
        split: &str,
        unused: &str,
    ) -> ContainerRow {
        ContainerRow {
            platform,
            cluster: Some(cluster.into()),
            group: Some(group.into()),
            node: node.into(),
            account: Some("111".into()),
            split: money(split),
            unused: money(unused),
            lines: 2,
            first_start: 10,
            last_end: 20,
        }
    }

    use ContainerPlatform::Kubernetes as K8s;

    /// Two namespaces on two nodes: node a costs 10 + 30 = 40, node b 5 + 15 = 20.
    fn rows() -> Vec<ContainerRow> {
        vec![
            row(K8s, "prod", "web", "i-a", "6", "18"),
            row(K8s, "prod", "jobs", "i-a", "4", "12"),
            row(K8s, "prod", "web", "i-b", "5", "15"),
        ]
    }

    #[test]
    fn allocation_sums_each_namespace_over_its_nodes() {
        let table = allocation(&rows());
        // Sorted by namespace: jobs (node a only) 4 / 12; web on a and b: 6 + 5 = 11, 18 + 15 = 33.
        assert_eq!(table.len(), 2);
        assert_eq!(
            (table[0].group.as_str(), table[0].split, table[0].unused),
            ("jobs", money("4"), money("12"))
        );
        assert_eq!(table[0].nodes, 1);
        assert_eq!(
            (table[1].group.as_str(), table[1].split, table[1].unused),
            ("web", money("11"), money("33"))
        );
        assert_eq!(table[1].nodes, 2);
    }

    #[test]
    fn a_nodes_unused_share_is_unused_over_its_cost() {
        let n = nodes(&rows());
        // a: 30 / 40 = 75%; b: 15 / 20 = 75%.
        assert_eq!(n.len(), 2);
        assert_eq!((n[0].node.as_str(), n[0].cost()), ("i-a", 40.0));
        assert!((n[0].unused_pct.unwrap() - 75.0).abs() < 1e-9);
        assert!((n[1].unused_pct.unwrap() - 75.0).abs() < 1e-9);
        let idle = nodes(&[row(K8s, "x", "y", "i-z", "0", "0")]);
        assert_eq!(idle[0].unused_pct, None);
    }

    #[test]
    fn only_whole_nodes_within_the_unused_capacity_are_removable() {
        let n = nodes(&rows());
        let all: Vec<&NodeUse> = n.iter().collect();
        // Unused 30 + 15 = 45: the cheapest node (b, 20) fits, then a (40) would make 60 > 45.
        let removed = removable(&all, &BTreeSet::new());
        assert_eq!(
            removed.iter().map(|n| n.node.as_str()).collect::<Vec<_>>(),
            ["i-b"]
        );
        // With b kept for another finding, a (40 <= 45) is the one to go.
        let keep = BTreeSet::from(["i-b"]);
        let removed = removable(&all, &keep);
        assert_eq!(
            removed.iter().map(|n| n.node.as_str()).collect::<Vec<_>>(),
            ["i-a"]
        );
        // Three identical nodes of 10 with 25 unused: floor(25 / 10) = 2.
        let same = nodes(&[
            row(K8s, "c", "n", "i-1", "1", "9"),
            row(K8s, "c", "n", "i-2", "2", "8"),
            row(K8s, "c", "n", "i-3", "2", "8"),
        ]);
        let same: Vec<&NodeUse> = same.iter().collect();
        assert_eq!(removable(&same, &BTreeSet::new()).len(), 2);
    }

    #[test]
    fn a_cluster_above_the_threshold_is_a_finding_with_the_removable_nodes_saving() {
        let aggs = Aggregates {
            containers: rows(),
            ..Aggregates::october_2026()
        };
        let rules = UsageRules::default();
        let found = analyse(&aggs, &rules, &BTreeSet::new()).findings;
        assert_eq!(found.len(), 1);
        let f = &found[0];
        // 45 unused of 60 = 75% >= 30%. Node b (20) goes; October covers 744 hours, so a
        // 730-hour month saves 20 × 730 / 744 = 19.6237.
        assert_eq!(f.rule, "container-unused-capacity");
        assert!((f.monthly_saving - 20.0 * 730.0 / 744.0).abs() < 1e-9);
        assert!((f.period_cost - 60.0).abs() < 1e-9);
        assert!(f.recommendation.contains("i-b"), "{}", f.recommendation);
        // Under a threshold of 80%, 75% is no finding.
        let strict = UsageRules {
            container_unused_min_pct: 80.0,
            ..UsageRules::default()
        };
        assert!(analyse(&aggs, &strict, &BTreeSet::new())
            .findings
            .is_empty());
    }
}

//! Allocation: spend-weighted tag coverage, untagged resources, tag hygiene and showback.
//!
//! Definitions (so finance can reproduce every figure):
//! - a *taggable* line is a Usage line with a ResourceId; every other line (tax, support,
//!   credits, purchases, lines without a resource) is *untaggable*, reported as its own bucket;
//! - coverage of key K = Σ EffectiveCost of taggable lines whose K has a non-empty value the
//!   policy accepts ÷ Σ EffectiveCost of taggable lines, in percent;
//! - showback: each allocation value's direct cost; the cost of taggable lines without the key
//!   is its own `(untagged)` line and untaggable cost its own `(unallocated)` line, unless the
//!   policy shares them (`share_untagged`, `allocate_untaggable`) in proportion to direct cost;
//!   rounded to the cent by largest remainder so the rows add up to the total exactly.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use crate::config::TagPolicy;
use crate::engine::aggregates::{Aggregates, ResourceRow, Text};
use crate::engine::kinds::LineKind;
use crate::findings::{Category, Confidence, Finding};
use crate::schema::charge_category;

/// Showback lines of cost no allocation value carries.
pub const UNTAGGED: &str = "(untagged)";
pub const UNALLOCATED: &str = "(unallocated)";

/// Label of the "all required keys together" coverage row.
pub const ALL_REQUIRED: &str = "(all required)";

#[derive(Debug, Clone, PartialEq)]
pub struct CoverageRow {
    /// `total`, `account` or `service`.
    pub scope: &'static str,
    /// The account id or service name (empty for the total).
    pub scope_value: String,
    pub key: String,
    pub compliant_cost: f64,
    pub taggable_cost: f64,
    /// None when there is no taggable cost to cover.
    pub coverage_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UntaggedResource {
    pub resource_id: String,
    pub account: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    pub missing_keys: Vec<String>,
    /// `key=value` pairs whose value the policy does not accept.
    pub invalid: Vec<String>,
    pub cost: f64,
    pub first_seen: i64,
    pub last_seen: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HygieneRow {
    pub key: String,
    /// The value with case, surrounding spaces and separators removed.
    pub normalized: String,
    pub spelling: String,
    pub cost: f64,
    pub resources: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AllocationRow {
    pub value: String,
    pub direct_cost: f64,
    pub shared_cost: f64,
    /// Direct plus shared, rounded to the cent so the rows sum to the total exactly.
    pub allocated_cost: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Allocation {
    pub coverage: Vec<CoverageRow>,
    /// Coverage of all required keys together, overall: the headline KPI.
    pub tag_coverage_pct: Option<f64>,
    pub taggable_cost: f64,
    pub untaggable_cost: f64,
    pub untagged: Vec<UntaggedResource>,
    pub hygiene: Vec<HygieneRow>,
    pub allocation_key: Option<String>,
    pub allocation: Vec<AllocationRow>,
    /// The allocation rules' findings, until `analyse::run` moves them into the ranked list.
    pub findings: Vec<Finding>,
    /// How showback treats cost no allocation value carries, when the policy shares it.
    pub notes: Vec<String>,
}

/// Usage lines naming a resource; not a pod's or task's share of a node, which bills nothing
/// (the node's line carries the cost and its tags).
fn is_taggable(row: &ResourceRow) -> bool {
    row.charge_category.as_deref() == Some(charge_category::USAGE)
        && row.resource_id.is_some()
        && row.kind != LineKind::ContainerShare
}

fn present(value: &Option<Text>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// Whether a line's value for `key` is accepted: present, and in the allowed list if any.
fn accepted(policy: &TagPolicy, key: &str, value: &Option<Text>) -> bool {
    match (present(value), policy.allowed.get(key)) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(v), Some(allowed)) => allowed.iter().any(|a| a == v),
    }
}

/// `Prod`, `prod `, `PROD`, `pro-d` all normalise to `prod`.
pub fn normalize_value(value: &str) -> String {
    value
        .trim()
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '.' | '/' | ':'))
        .flat_map(char::to_lowercase)
        .collect()
}

pub fn analyse(aggs: &Aggregates, policy: &TagPolicy) -> Allocation {
    let required: Vec<(usize, &String)> = policy
        .required
        .iter()
        .filter_map(|k| aggs.tag_keys.iter().position(|t| t == k).map(|i| (i, k)))
        .collect();
    let taggable: Vec<&ResourceRow> = aggs.resources.iter().filter(|r| is_taggable(r)).collect();
    let taggable_cost: f64 = taggable.iter().map(|r| r.effective).sum();
    let untaggable_cost: f64 = aggs
        .resources
        .iter()
        .filter(|r| !is_taggable(r))
        .map(|r| r.effective)
        .sum();
    // Whether each taggable row carries each required key acceptably (in `required`'s order),
    // worked out once: the coverage tables ask per scope and key, millions of times.
    let n = required.len();
    let accepted_keys: Vec<bool> = taggable
        .iter()
        .flat_map(|r| {
            required
                .iter()
                .map(move |(i, k)| accepted(policy, k, &r.tags[*i]))
        })
        .collect();
    // Side by side for the coverage loops (the rows themselves are scattered in memory).
    let effective: Vec<f64> = taggable.iter().map(|r| r.effective).collect();
    let compliant = |row: usize, key: Option<usize>| match key {
        Some(k) => accepted_keys[row * n + k],
        None => accepted_keys[row * n..(row + 1) * n].iter().all(|ok| *ok),
    };

    // Coverage: total, per account, per service; per key and all keys together.
    let mut coverage = Vec::new();
    let mut keys: Vec<(String, Option<usize>)> = required
        .iter()
        .enumerate()
        .map(|(k, (_, name))| ((*name).clone(), Some(k)))
        .collect();
    keys.push((ALL_REQUIRED.to_string(), None));
    type ScopeFn = fn(&ResourceRow) -> &str;
    let scopes: [(&'static str, ScopeFn); 3] = [
        ("total", |_| ""),
        ("account", |r| r.account.as_deref().unwrap_or_default()),
        ("service", |r| r.service.as_deref().unwrap_or_default()),
    ];
    for (scope, scope_of) in scopes {
        // Hashed while the rows are gathered, ordered once per scope value for the table.
        let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, row) in taggable.iter().enumerate() {
            groups.entry(scope_of(row)).or_default().push(index);
        }
        let mut groups: Vec<(&str, Vec<usize>)> = groups.into_iter().collect();
        groups.sort_unstable_by_key(|(value, _)| *value);
        for (scope_value, rows) in groups {
            // One pass over the scope's rows for every key, each sum in row order.
            let mut total = 0.0;
            let mut ok = vec![0.0; keys.len()];
            for &r in &rows {
                total += effective[r];
                for (sum, (_, which)) in ok.iter_mut().zip(&keys) {
                    if compliant(r, *which) {
                        *sum += effective[r];
                    }
                }
            }
            for ((key, _), ok) in keys.iter().zip(ok) {
                coverage.push(CoverageRow {
                    scope,
                    scope_value: scope_value.to_string(),
                    key: key.clone(),
                    compliant_cost: ok,
                    taggable_cost: total,
                    coverage_pct: (total != 0.0).then(|| ok / total * 100.0),
                });
            }
        }
    }
    let all_compliant: f64 = (0..taggable.len())
        .filter(|&r| compliant(r, None))
        .map(|r| effective[r])
        .sum();
    let tag_coverage_pct = if required.is_empty() {
        None
    } else if taggable_cost != 0.0 {
        Some(all_compliant / taggable_cost * 100.0)
    } else {
        None
    };

    // Each resource's rows side by side, in the order they come (the aggregates are sorted by
    // resource id already, so this is one pass over them): untagged resources and hygiene
    // count resources without hashing millions of ids.
    let mut by_resource = taggable.clone();
    by_resource.sort_by(|a, b| a.resource_id.cmp(&b.resource_id));
    let untagged = untagged_resources(&by_resource, &required, policy);
    let hygiene = hygiene(&by_resource, aggs, policy);
    let allocation_key = aggs.allocation_key.map(|i| aggs.tag_keys[i].clone());
    let allocation = aggs
        .allocation_key
        .map(|i| showback(aggs, i, policy))
        .unwrap_or_default();

    let mut notes = Vec::new();
    if let Some(key) = &allocation_key {
        for (shared, what) in [
            (
                policy.share_untagged,
                "the cost of resources without the key",
            ),
            (
                policy.allocate_untaggable,
                "untaggable cost (tax, support, credits, fees)",
            ),
        ] {
            if shared {
                notes.push(format!(
                    "Showback by {key} shares {what} across its values in proportion to their \
                     direct cost (as configured): the values' totals include it."
                ));
            }
        }
    }
    let mut findings = Vec::new();
    for u in &untagged {
        let mut f = Finding::new(Category::Allocation, "untagged-resource", &u.resource_id);
        f.resource_id = Some(u.resource_id.clone());
        f.account_id = u.account.clone();
        f.service = u.service.clone();
        f.region = u.region.clone();
        f.current = describe_problems(u);
        f.recommendation = "tag it at the source (IaC or tag policy) with the required keys".into();
        f.period_cost = u.cost;
        f.currency = aggs.currency.clone();
        f.evidence = format!("{} of untagged spend in the period", money(u.cost));
        findings.push(f);
    }
    let mut variant_groups: BTreeMap<(String, String), Vec<&HygieneRow>> = BTreeMap::new();
    for h in &hygiene {
        variant_groups
            .entry((h.key.clone(), h.normalized.clone()))
            .or_default()
            .push(h);
    }
    for ((key, normalized), rows) in variant_groups {
        let best = rows
            .iter()
            .max_by(|a, b| a.cost.total_cmp(&b.cost).then(b.spelling.cmp(&a.spelling)))
            .expect("a variant group has rows");
        let mut f = Finding::new(
            Category::Allocation,
            "tag-value-variant",
            &format!("{key}={normalized}"),
        );
        f.current = format!(
            "{key}: {}",
            rows.iter()
                .map(|r| format!("'{}'", r.spelling))
                .collect::<Vec<_>>()
                .join(", ")
        );
        f.recommendation = format!("standardise {key} on '{}'", best.spelling);
        f.period_cost = rows.iter().map(|r| r.cost).sum();
        f.currency = aggs.currency.clone();
        f.evidence = rows
            .iter()
            .map(|r| format!("'{}' {}", r.spelling, money(r.cost)))
            .collect::<Vec<_>>()
            .join("; ");
        f.confidence = Confidence::High;
        findings.push(f);
    }

    Allocation {
        coverage,
        tag_coverage_pct,
        taggable_cost,
        untaggable_cost,
        untagged,
        hygiene,
        allocation_key,
        allocation,
        findings,
        notes,
    }
}

fn money(x: f64) -> String {
    crate::findings::amount(x)
}

fn describe_problems(u: &UntaggedResource) -> String {
    let mut parts = Vec::new();
    if !u.missing_keys.is_empty() {
        parts.push(format!("missing {}", u.missing_keys.join(", ")));
    }
    if !u.invalid.is_empty() {
        parts.push(format!("not allowed {}", u.invalid.join(", ")));
    }
    parts.join("; ")
}

/// The taggable resources with a problem on some line; `by_resource` holds each resource's
/// rows side by side.
fn untagged_resources(
    by_resource: &[&ResourceRow],
    required: &[(usize, &String)],
    policy: &TagPolicy,
) -> Vec<UntaggedResource> {
    let mut out = Vec::new();
    for rows in by_resource.chunk_by(|a, b| a.resource_id == b.resource_id) {
        // Most resources are compliant.
        let compliant = rows.iter().all(|row| {
            required
                .iter()
                .all(|(i, key)| accepted(policy, key, &row.tags[*i]))
        });
        if compliant {
            continue;
        }
        let first = rows[0];
        let mut resource = UntaggedResource {
            resource_id: first.resource_id.clone().expect("taggable rows have an id"),
            account: first.account.as_deref().map(String::from),
            service: first.service.as_deref().map(String::from),
            region: first.region.as_deref().map(String::from),
            missing_keys: Vec::new(),
            invalid: Vec::new(),
            cost: 0.0,
            first_seen: first.first_start,
            last_seen: first.last_end,
        };
        for row in rows {
            resource.cost += row.effective;
            resource.first_seen = resource.first_seen.min(row.first_start);
            resource.last_seen = resource.last_seen.max(row.last_end);
            for (i, key) in required {
                match present(&row.tags[*i]) {
                    None => {
                        if !resource.missing_keys.contains(key) {
                            resource.missing_keys.push((*key).clone());
                        }
                    }
                    Some(v) if !accepted(policy, key, &row.tags[*i]) => {
                        let pair = format!("{key}={v}");
                        if !resource.invalid.contains(&pair) {
                            resource.invalid.push(pair);
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        out.push(resource);
    }
    out.sort_by(|a, b| {
        b.cost
            .total_cmp(&a.cost)
            .then_with(|| a.resource_id.cmp(&b.resource_id))
    });
    out
}

/// Spellings of one normalised value; `by_resource` holds each resource's rows side by side.
fn hygiene(by_resource: &[&ResourceRow], aggs: &Aggregates, policy: &TagPolicy) -> Vec<HygieneRow> {
    let mut keys: Vec<&String> = policy.required.iter().collect();
    if let Some(i) = aggs.allocation_key {
        keys.push(&aggs.tag_keys[i]);
    }
    keys.dedup();
    let mut rows = Vec::new();
    for key in keys {
        let Some(i) = aggs.tag_keys.iter().position(|t| t == key) else {
            continue;
        };
        // Millions of rows, a few spellings: each spelling's cost and resources first (a
        // resource counts once: its rows are side by side), then the spellings by their
        // normalised value.
        let mut by_spelling: HashMap<&str, Spelling> = HashMap::new();
        for row in by_resource {
            if let Some(value) = present(&row.tags[i]) {
                let id = row.resource_id.as_deref();
                let entry = by_spelling.entry(value).or_insert(Spelling {
                    cost: 0.0,
                    resources: 0,
                    last: None,
                });
                entry.cost += row.effective;
                if entry.last != id {
                    entry.resources += 1;
                    entry.last = id;
                }
            }
        }
        // normalized -> spelling -> (cost, resources)
        let mut spellings: BTreeMap<String, BTreeMap<&str, (f64, usize)>> = BTreeMap::new();
        for (value, spelling) in by_spelling {
            spellings
                .entry(normalize_value(value))
                .or_default()
                .insert(value, (spelling.cost, spelling.resources));
        }
        for (normalized, variants) in spellings {
            if variants.len() < 2 {
                continue;
            }
            for (spelling, (cost, resources)) in variants {
                rows.push(HygieneRow {
                    key: key.clone(),
                    normalized: normalized.clone(),
                    spelling: spelling.to_string(),
                    cost,
                    resources,
                });
            }
        }
    }
    rows
}

/// One spelling of a tag value: its cost and resources so far, and the last resource counted.
struct Spelling<'a> {
    cost: f64,
    resources: usize,
    last: Option<&'a str>,
}

/// Showback by the tag at `key_index`, to the cent.
fn showback(aggs: &Aggregates, key_index: usize, policy: &TagPolicy) -> Vec<AllocationRow> {
    // Hashed per row, ordered once by value for the table.
    let mut direct: HashMap<&str, f64> = HashMap::new();
    let mut shared = 0.0;
    let mut untagged = 0.0;
    let mut unallocated = 0.0;
    for row in &aggs.resources {
        if is_taggable(row) {
            match present(&row.tags[key_index]) {
                Some(v) => *direct.entry(v.trim()).or_default() += row.effective,
                None if policy.share_untagged => shared += row.effective,
                None => untagged += row.effective,
            }
        } else if policy.allocate_untaggable {
            shared += row.effective;
        } else {
            unallocated += row.effective;
        }
    }
    let direct: BTreeMap<&str, f64> = direct.into_iter().collect();
    let direct_total: f64 = direct.values().sum();
    let mut rows: Vec<(String, f64, f64)> = if direct_total > 0.0 {
        direct
            .iter()
            .map(|(value, cost)| (value.to_string(), *cost, shared * cost / direct_total))
            .collect()
    } else {
        // Nothing to weigh by: every cost stays unallocated.
        unallocated += shared + direct_total;
        Vec::new()
    };
    if untagged != 0.0 {
        rows.push((UNTAGGED.into(), untagged, 0.0));
    }
    if unallocated != 0.0 || rows.is_empty() {
        rows.push((UNALLOCATED.into(), unallocated, 0.0));
    }
    let exact: Vec<f64> = rows.iter().map(|(_, d, s)| d + s).collect();
    let cents = largest_remainder_cents(&exact);
    let mut out: Vec<AllocationRow> = rows
        .into_iter()
        .zip(cents)
        .map(|((value, direct_cost, shared_cost), cents)| AllocationRow {
            value,
            direct_cost,
            shared_cost,
            allocated_cost: cents as f64 / 100.0,
        })
        .collect();
    out.sort_by(|a, b| {
        b.allocated_cost
            .total_cmp(&a.allocated_cost)
            .then_with(|| a.value.cmp(&b.value))
    });
    out
}

/// Rounds each amount to whole cents so the cents add up to the rounded total exactly: floor
/// every amount, then hand the missing cents to the largest remainders (ties: first listed).
pub fn largest_remainder_cents(amounts: &[f64]) -> Vec<i64> {
    let total_cents = (amounts.iter().sum::<f64>() * 100.0).round() as i64;
    let mut floors: Vec<i64> = amounts.iter().map(|a| (a * 100.0).floor() as i64).collect();
    let mut order: Vec<(usize, f64)> = amounts
        .iter()
        .enumerate()
        .map(|(i, a)| (i, a * 100.0 - (a * 100.0).floor()))
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let missing = total_cents - floors.iter().sum::<i64>();
    for (i, _) in order.iter().take(missing.max(0) as usize) {
        floors[*i] += 1;
    }
    floors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::aggregates::ResourceRow;

    fn row(id: Option<&str>, category: &str, cost: f64, tags: [Option<&str>; 2]) -> ResourceRow {
        ResourceRow {
            resource_id: id.map(String::from),
            charge_category: Some(category.into()),
            account: Some("111".into()),
            service: Some("EC2".into()),
            tags: tags.iter().map(|t| t.map(Text::from)).collect(),
            effective: cost,
            ..ResourceRow::default()
        }
    }

    fn aggs(resources: Vec<ResourceRow>) -> Aggregates {
        Aggregates {
            data_start: None,
            data_end: None,
            hourly_lines: 0,
            usage_lines: 0,
            resources,
            tag_keys: vec!["team".into(), "environment".into()],
            allocation_key: Some(0),
            ..Aggregates::october_2026()
        }
    }

    fn policy() -> TagPolicy {
        TagPolicy {
            allowed: [(
                "environment".to_string(),
                vec!["prod".to_string(), "dev".to_string()],
            )]
            .into(),
            ..TagPolicy::default()
        }
    }

    /// Taggable: a 60 (both keys, accepted), b 30 (team only), c 10 (env 'Prod', not allowed).
    /// Untaggable: tax 5, a credit -2, a usage line without a resource 7.
    fn fixture() -> Aggregates {
        aggs(vec![
            row(Some("a"), "Usage", 60.0, [Some("web"), Some("prod")]),
            row(Some("b"), "Usage", 30.0, [Some("data"), None]),
            row(Some("c"), "Usage", 10.0, [Some("web"), Some("Prod")]),
            row(None, "Tax", 5.0, [None, None]),
            row(None, "Credit", -2.0, [None, None]),
            row(None, "Usage", 7.0, [None, None]),
        ])
    }

    #[test]
    fn coverage_by_hand() {
        let a = analyse(&fixture(), &policy());
        assert_eq!(a.taggable_cost, 100.0);
        assert_eq!(a.untaggable_cost, 10.0); // 5 - 2 + 7
        let total = |key: &str| {
            a.coverage
                .iter()
                .find(|c| c.scope == "total" && c.key == key)
                .unwrap()
                .coverage_pct
        };
        assert_eq!(total("team"), Some(100.0));
        // environment accepted only on a (60): 'Prod' is outside the allowed list.
        assert_eq!(total("environment"), Some(60.0));
        assert_eq!(total(ALL_REQUIRED), Some(60.0));
        assert_eq!(a.tag_coverage_pct, Some(60.0));
    }

    #[test]
    fn untagged_resources_list_missing_and_invalid_keys_by_cost() {
        let a = analyse(&fixture(), &policy());
        let ids: Vec<&str> = a.untagged.iter().map(|u| u.resource_id.as_str()).collect();
        assert_eq!(ids, vec!["b", "c"]);
        assert_eq!(a.untagged[0].missing_keys, vec!["environment"]);
        assert_eq!(a.untagged[1].invalid, vec!["environment=Prod"]);
        assert_eq!(a.untagged[0].cost, 30.0);
    }

    #[test]
    fn hygiene_groups_case_space_and_separator_variants() {
        let mut f = fixture();
        f.resources
            .push(row(Some("d"), "Usage", 4.0, [Some("web"), Some(" PROD ")]));
        let a = analyse(&f, &policy());
        let env: Vec<(&str, f64)> = a
            .hygiene
            .iter()
            .filter(|h| h.key == "environment")
            .map(|h| (h.spelling.as_str(), h.cost))
            .collect();
        assert_eq!(env, vec![(" PROD ", 4.0), ("Prod", 10.0), ("prod", 60.0)]);
        let variant = a
            .findings
            .iter()
            .find(|f| f.rule == "tag-value-variant")
            .unwrap();
        assert!(variant.recommendation.contains("'prod'"));
        assert_eq!(normalize_value("owner-Team_1"), "ownerteam1");
    }

    #[test]
    fn a_resource_with_several_rows_is_one_untagged_resource_and_counts_once_per_spelling() {
        // e has three rows (usage types, say), given apart: one without a team, two spelled
        // 'Dev' and one 'dev'; f spells it 'dev' too.
        let a = analyse(
            &aggs(vec![
                row(Some("e"), "Usage", 1.0, [None, Some("Dev")]),
                row(Some("f"), "Usage", 8.0, [Some("web"), Some("dev")]),
                row(Some("e"), "Usage", 2.0, [Some("web"), Some("dev")]),
                row(Some("e"), "Usage", 4.0, [Some("web"), Some("Dev")]),
            ]),
            &policy(),
        );
        assert_eq!(a.untagged.len(), 1);
        let e = &a.untagged[0];
        assert_eq!(e.resource_id, "e");
        assert_eq!(e.cost, 7.0);
        assert_eq!(e.missing_keys, vec!["team"]);
        let env: Vec<(&str, f64, usize)> = a
            .hygiene
            .iter()
            .filter(|h| h.key == "environment")
            .map(|h| (h.spelling.as_str(), h.cost, h.resources))
            .collect();
        assert_eq!(env, vec![("Dev", 5.0, 1), ("dev", 10.0, 2)]);
    }

    #[test]
    fn aliases_are_resolved_upstream_so_case_variants_of_keys_count() {
        // Key matching is done when the aggregates are built (tag:team holds the value of
        // team, Team or an alias); here a row tagged through an alias simply has a value.
        let a = analyse(
            &aggs(vec![row(
                Some("x"),
                "Usage",
                5.0,
                [Some("web"), Some("dev")],
            )]),
            &policy(),
        );
        assert_eq!(a.tag_coverage_pct, Some(100.0));
    }

    #[test]
    fn all_untagged_dataset() {
        let a = analyse(
            &aggs(vec![
                row(Some("x"), "Usage", 5.0, [None, None]),
                row(Some("y"), "Usage", 15.0, [None, None]),
            ]),
            &policy(),
        );
        assert_eq!(a.tag_coverage_pct, Some(0.0));
        assert_eq!(a.untagged.len(), 2);
        // Resources without the key are their own line, not spread over values.
        assert_eq!(a.allocation.len(), 1);
        assert_eq!(a.allocation[0].value, UNTAGGED);
        assert_eq!(a.allocation[0].allocated_cost, 20.0);
        // Shared, there is nothing to weigh them by: they stay unallocated.
        let mut p = policy();
        p.share_untagged = true;
        let a = analyse(
            &aggs(vec![
                row(Some("x"), "Usage", 5.0, [None, None]),
                row(Some("y"), "Usage", 15.0, [None, None]),
            ]),
            &p,
        );
        assert_eq!(a.allocation[0].value, UNALLOCATED);
        assert_eq!(a.allocation[0].allocated_cost, 20.0);
    }

    #[test]
    fn untagged_cost_is_its_own_line_unless_shared_and_then_the_report_says_so() {
        // web 60 direct, data 30 direct, 10 on a resource without a team.
        let rows = || {
            aggs(vec![
                row(Some("a"), "Usage", 60.0, [Some("web"), Some("prod")]),
                row(Some("b"), "Usage", 30.0, [Some("data"), Some("prod")]),
                row(Some("c"), "Usage", 10.0, [None, Some("prod")]),
            ])
        };
        let lines = |a: &Allocation| -> Vec<(String, f64)> {
            a.allocation
                .iter()
                .map(|r| (r.value.clone(), r.allocated_cost))
                .collect()
        };
        let a = analyse(&rows(), &policy());
        assert_eq!(
            lines(&a),
            vec![
                ("web".into(), 60.0),
                ("data".into(), 30.0),
                (UNTAGGED.into(), 10.0)
            ]
        );
        assert!(a.notes.is_empty());
        // Shared in proportion: web 60 + 10 × 60/90 = 66.67, data 30 + 10 × 30/90 = 33.33.
        let mut p = policy();
        p.share_untagged = true;
        let a = analyse(&rows(), &p);
        assert_eq!(
            lines(&a),
            vec![("web".into(), 66.67), ("data".into(), 33.33)]
        );
        assert!(a.notes[0].contains("shares the cost of resources without the key"));
    }

    #[test]
    fn showback_adds_up_to_the_cent() {
        // Direct: web 60 + 10 = 70, data 30; shared (b has a team, so none missing) = 0 from
        // taggable lines; untaggable 10 stays unallocated by default.
        let a = analyse(&fixture(), &policy());
        let total: f64 = a.allocation.iter().map(|r| r.allocated_cost).sum();
        assert!((total - 110.0).abs() < 1e-9);
        // With untaggable shared: web gets 70 + 10*0.7 = 77, data 30 + 3 = 33.
        let mut p = policy();
        p.allocate_untaggable = true;
        let a = analyse(&fixture(), &p);
        let got: Vec<(&str, f64)> = a
            .allocation
            .iter()
            .map(|r| (r.value.as_str(), r.allocated_cost))
            .collect();
        assert_eq!(got, vec![("web", 77.0), ("data", 33.0)]);
    }

    #[test]
    fn thirds_round_to_the_cent_without_losing_one() {
        // 100.00 shared three ways by equal weight: 33.34 + 33.33 + 33.33.
        let cents = largest_remainder_cents(&[100.0 / 3.0, 100.0 / 3.0, 100.0 / 3.0]);
        assert_eq!(cents, vec![3334, 3333, 3333]);
        let cents = largest_remainder_cents(&[0.005, 0.005, -0.01]);
        assert_eq!(cents.iter().sum::<i64>(), 0);
    }
}

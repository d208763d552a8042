//! Roll-ups: per-resource findings worth less than `[report] min_saving` a month folded into
//! one finding per rule × account × region, so a month of millions of short-lived resources
//! gives a list a person can read.
//!
//! A finding's worth is its monthly saving, or for a finding without one (an untagged
//! resource) its cost in the period. What rolls up: costlens's own findings about one resource;
//! never a finding about a scope (a commitment, an account) or another source's. The roll-up
//! saves what its members save together, lists the largest of them in its evidence, and is
//! counted in the savings total when its members are (members counted and not counted roll up
//! apart), so the total does not change.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use super::allocation::UntaggedResource;
use crate::findings::{amount, Finding, SOURCE_COSTLENS};

/// How a roll-up's `current` starts, so a reader (and the report) can tell one from a finding.
pub const CURRENT_PREFIX: &str = "rolled up: ";

/// How many members a roll-up names in its evidence.
const NAMED_MEMBERS: usize = 5;

fn resources(n: usize) -> String {
    if n == 1 {
        "1 resource".into()
    } else {
        format!("{n} resources")
    }
}

/// The worth compared with the threshold: the saving, or the cost when nothing is saved.
fn worth(f: &Finding) -> f64 {
    if f.monthly_saving > 0.0 {
        f.monthly_saving
    } else {
        f.period_cost.abs()
    }
}

fn rolls_up(f: &Finding, below: f64) -> bool {
    f.source == SOURCE_COSTLENS && f.resource_id.is_some() && worth(f) < below
}

/// `findings` in rank order with those worth less than `below` rolled up; the roll-ups take
/// the rank of their total. Returns how many findings were rolled up.
pub fn roll_up(findings: &mut Vec<Finding>, below: f64) -> usize {
    if below <= 0.0 {
        return 0;
    }
    // Members borrowed, in rank order; the key's order does not matter (ranking follows).
    type Key<'a> = (&'a str, Option<&'a str>, Option<&'a str>, bool);
    let mut groups: HashMap<Key, Vec<&Finding>> = HashMap::new();
    for f in findings.iter().filter(|f| rolls_up(f, below)) {
        let key = (
            f.rule.as_str(),
            f.account_id.as_deref(),
            f.region.as_deref(),
            f.counted,
        );
        groups.entry(key).or_default().push(f);
    }
    if groups.is_empty() {
        return 0;
    }
    let rolled = groups.values().map(Vec::len).sum();
    let rollups: Vec<Finding> = groups
        .into_iter()
        .map(|((rule, account, region, counted), members)| {
            group_finding(rule, account, region, counted, members, below)
        })
        .collect();
    findings.retain(|f| !rolls_up(f, below));
    findings.extend(rollups);
    super::rank(findings);
    rolled
}

fn group_finding(
    rule: &str,
    account: Option<&str>,
    region: Option<&str>,
    counted: bool,
    mut members: Vec<&Finding>,
    below: f64,
) -> Finding {
    // Members arrive in rank order already; ties keep it stable.
    members.sort_by(|a, b| worth(b).total_cmp(&worth(a)));
    let first = members[0];
    let scope = format!(
        "roll-up {} {} {}",
        account.unwrap_or(""),
        region.unwrap_or(""),
        if counted { "counted" } else { "not counted" }
    );
    let mut out = Finding::new(first.category, rule, &scope);
    out.account_id = account.map(str::to_string);
    out.region = region.map(str::to_string);
    out.service = first
        .service
        .clone()
        .filter(|s| members.iter().all(|m| m.service.as_deref() == Some(s)));
    out.currency = first.currency.clone();
    out.confidence = members
        .iter()
        .map(|m| m.confidence)
        .min()
        .unwrap_or(first.confidence);
    out.counted = counted;
    out.recommendation = if members
        .iter()
        .all(|m| m.recommendation == first.recommendation)
    {
        first.recommendation.clone()
    } else {
        format!(
            "as each member's finding says, e.g. {}",
            first.recommendation
        )
    };
    out.monthly_saving = members.iter().map(|m| m.monthly_saving).sum();
    out.period_cost = members.iter().map(|m| m.period_cost).sum();
    out.current = format!(
        "{CURRENT_PREFIX}{}, each worth less than {} {} a month",
        resources(members.len()),
        amount(below),
        out.currency
    );
    let named: Vec<String> = members
        .iter()
        .take(NAMED_MEMBERS)
        .map(|m| {
            format!(
                "{} ({})",
                m.resource_id.as_deref().unwrap_or_default(),
                amount(worth(m))
            )
        })
        .collect();
    let more = members.len().saturating_sub(NAMED_MEMBERS);
    out.evidence = format!(
        "{} findings rolled up; largest: {}{}",
        members.len(),
        named.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
    out
}

/// The untagged resources costing `below` or more, in their order, then one row per account ×
/// service for the rest: its id says how many it stands for, its keys are the union of theirs,
/// its cost their sum and its dates their span.
pub fn roll_up_untagged(untagged: &mut Vec<UntaggedResource>, below: f64) {
    if below <= 0.0 || !untagged.iter().any(|u| u.cost.abs() < below) {
        return;
    }
    let mut groups: BTreeMap<(Option<String>, Option<String>), Vec<UntaggedResource>> =
        BTreeMap::new();
    let mut kept = Vec::with_capacity(untagged.len());
    for u in untagged.drain(..) {
        if u.cost.abs() < below {
            groups
                .entry((u.account.clone(), u.service.clone()))
                .or_default()
                .push(u);
        } else {
            kept.push(u);
        }
    }
    for ((account, service), members) in groups {
        let union = |of: &dyn Fn(&UntaggedResource) -> &Vec<String>| {
            let mut all: Vec<String> = members.iter().flat_map(|m| of(m).iter().cloned()).collect();
            all.sort();
            all.dedup();
            all
        };
        kept.push(UntaggedResource {
            resource_id: format!(
                "({CURRENT_PREFIX}{}, each costing less than {})",
                resources(members.len()),
                amount(below)
            ),
            region: members[0]
                .region
                .clone()
                .filter(|r| members.iter().all(|m| m.region.as_deref() == Some(r))),
            missing_keys: union(&|m| &m.missing_keys),
            invalid: union(&|m| &m.invalid),
            cost: members.iter().map(|m| m.cost).sum(),
            first_seen: members
                .iter()
                .map(|m| m.first_seen)
                .min()
                .unwrap_or_default(),
            last_seen: members
                .iter()
                .map(|m| m.last_seen)
                .max()
                .unwrap_or_default(),
            account,
            service,
        });
    }
    *untagged = kept;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::usage_finding;

    fn small(rule: &str, id: &str, account: &str, saving: f64) -> Finding {
        let mut f = usage_finding(rule, id, saving);
        f.account_id = Some(account.into());
        f.region = Some("us-east-1".into());
        f.currency = "USD".into();
        f
    }

    #[test]
    fn findings_below_the_threshold_roll_up_per_rule_and_account() {
        let mut f = vec![
            small("ebs-gp2-to-gp3", "vol-big", "1", 40.0),
            small("ebs-gp2-to-gp3", "vol-a", "1", 0.50),
            small("ebs-gp2-to-gp3", "vol-b", "1", 0.25),
            small("ebs-gp2-to-gp3", "vol-c", "2", 0.75),
            small("previous-generation", "i-1", "1", 0.10),
        ];
        let rolled = roll_up(&mut f, 1.0);
        assert_eq!(rolled, 4);
        // vol-big stays; account 1's gp2 pair (0.50 + 0.25), account 2's and the instance roll up.
        let rows: Vec<(String, Option<String>, f64)> = f
            .iter()
            .map(|f| (f.rule.clone(), f.resource_id.clone(), f.monthly_saving))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("ebs-gp2-to-gp3".into(), Some("vol-big".into()), 40.0),
                ("ebs-gp2-to-gp3".into(), None, 0.75),
                ("ebs-gp2-to-gp3".into(), None, 0.75),
                ("previous-generation".into(), None, 0.10),
            ]
        );
        let pair = f
            .iter()
            .find(|x| {
                x.account_id.as_deref() == Some("1")
                    && x.resource_id.is_none()
                    && x.rule == "ebs-gp2-to-gp3"
            })
            .unwrap();
        assert_eq!(
            pair.evidence,
            "2 findings rolled up; largest: vol-a (0.50), vol-b (0.25)"
        );
        assert!(pair.current.starts_with("rolled up: 2 resources"));
    }

    #[test]
    fn counted_and_uncounted_members_roll_up_apart_so_the_total_stays() {
        let mut f = vec![
            small("ebs-gp2-to-gp3", "vol-a", "1", 0.50),
            small("ebs-gp2-to-gp3", "vol-b", "1", 0.25),
        ];
        f[1].counted = false;
        let before: f64 = f
            .iter()
            .filter(|x| x.counted)
            .map(|x| x.monthly_saving)
            .sum();
        roll_up(&mut f, 1.0);
        let after: f64 = f
            .iter()
            .filter(|x| x.counted)
            .map(|x| x.monthly_saving)
            .sum();
        assert_eq!(f.len(), 2);
        assert_eq!(before, after);
    }

    #[test]
    fn an_untagged_resource_is_worth_its_cost_and_scopes_never_roll_up() {
        let mut untagged = small("untagged-resource", "i-cheap", "1", 0.0);
        untagged.period_cost = 0.40;
        let mut costly = small("untagged-resource", "i-costly", "1", 0.0);
        costly.period_cost = 12.0;
        let mut scope = Finding::new(crate::findings::Category::Rate, "commitment-expiry", "ri-1");
        scope.monthly_saving = 0.0;
        let mut f = vec![untagged, costly, scope];
        assert_eq!(roll_up(&mut f, 1.0), 1);
        let ids: Vec<Option<&str>> = f.iter().map(|x| x.resource_id.as_deref()).collect();
        assert_eq!(ids, vec![Some("i-costly"), None, None]);
        assert!(f.iter().any(|x| x.rule == "commitment-expiry"));
    }

    fn untagged(id: &str, account: &str, cost: f64, missing: &[&str]) -> UntaggedResource {
        UntaggedResource {
            resource_id: id.into(),
            account: Some(account.into()),
            service: Some("Amazon EC2".into()),
            region: Some("us-east-1".into()),
            missing_keys: missing.iter().map(|k| k.to_string()).collect(),
            invalid: vec![],
            cost,
            first_seen: 10,
            last_seen: 20,
        }
    }

    #[test]
    fn cheap_untagged_resources_become_one_row_per_account_and_service() {
        let mut u = vec![
            untagged("i-big", "1", 30.0, &["team"]),
            untagged("i-a", "1", 0.40, &["team"]),
            untagged("i-b", "1", 0.35, &["environment"]),
            untagged("i-c", "2", 0.10, &["team"]),
        ];
        u[2].first_seen = 5;
        roll_up_untagged(&mut u, 1.0);
        type Row<'a> = (&'a str, Option<&'a str>, f64, Vec<String>, i64);
        let rows: Vec<Row> = u
            .iter()
            .map(|r| {
                (
                    r.resource_id.as_str(),
                    r.account.as_deref(),
                    r.cost,
                    r.missing_keys.clone(),
                    r.first_seen,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("i-big", Some("1"), 30.0, vec!["team".to_string()], 10),
                (
                    "(rolled up: 2 resources, each costing less than 1.00)",
                    Some("1"),
                    0.75,
                    vec!["environment".to_string(), "team".to_string()],
                    5
                ),
                (
                    "(rolled up: 1 resource, each costing less than 1.00)",
                    Some("2"),
                    0.10,
                    vec!["team".to_string()],
                    10
                ),
            ]
        );
    }

    #[test]
    fn no_threshold_keeps_every_finding() {
        let mut f = vec![small("ebs-gp2-to-gp3", "vol-a", "1", 0.50)];
        assert_eq!(roll_up(&mut f, 0.0), 0);
        assert_eq!(f[0].resource_id.as_deref(), Some("vol-a"));
    }
}

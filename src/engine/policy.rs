//! The tag policy applied to grouped rows: which tag keys the analysers need, and each key's
//! value on a row's tags (through aliases, case-insensitively unless the policy says otherwise).

use crate::config::Config;

/// The policy keys whose values the analysers need: required keys, the allocation key and the
/// environment key.
pub fn policy_keys(config: &Config) -> Vec<String> {
    let mut keys: Vec<String> = config.tags.required.clone();
    keys.extend(config.tags.allocation_key().map(String::from));
    keys.push(config.tags.environment_key.clone());
    let mut seen = std::collections::BTreeSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    keys
}

/// Resolves the policy keys on one line's tags: the value of each key (through its aliases,
/// case-insensitively unless the policy says otherwise; the raw spelling of the value is kept,
/// hygiene needs it), in `keys` order.
pub fn policy_values<'a>(
    config: &Config,
    keys: &[String],
    tags: &[(&'a str, &'a str)],
) -> Vec<Option<&'a str>> {
    keys.iter()
        .map(|key| {
            let spellings = config.tags.spellings(key);
            tags.iter()
                .find(|(k, _)| {
                    spellings.iter().any(|s| {
                        if config.tags.case_sensitive_keys {
                            s == k
                        } else {
                            s.eq_ignore_ascii_case(k)
                        }
                    })
                })
                .map(|(_, v)| *v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TagPolicy;

    #[test]
    fn policy_keys_resolve_through_aliases_and_case() {
        let config = Config {
            tags: TagPolicy {
                aliases: [(
                    "team".to_string(),
                    vec!["Team".to_string(), "owner-team".to_string()],
                )]
                .into(),
                ..TagPolicy::default()
            },
            ..Config::default()
        };
        let keys = policy_keys(&config);
        assert_eq!(keys, vec!["team", "environment"]);
        let get = |tags: &[(&'static str, &'static str)]| policy_values(&config, &keys, tags);
        assert_eq!(get(&[("TEAM", "web")]), vec![Some("web"), None]);
        assert_eq!(
            get(&[("owner-team", "data"), ("Environment", "Prod")]),
            vec![Some("data"), Some("Prod")]
        );
        assert_eq!(get(&[("teams", "x")]), vec![None, None]);
        let strict = Config {
            tags: TagPolicy {
                case_sensitive_keys: true,
                ..config.tags.clone()
            },
            ..Config::default()
        };
        assert_eq!(
            policy_values(&strict, &keys, &[("TEAM", "web"), ("Team", "ops")]),
            vec![Some("ops"), None]
        );
    }
}

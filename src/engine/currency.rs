//! The one currency a report is in: costs in different currencies are never summed together.

use crate::error::{Error, Result};

/// Picks the one currency to report in: the user's choice, or the only one in the data.
/// Summing across currencies would be meaningless, so several without a choice is an error.
pub fn choose_currency(found: &[String], wanted: Option<&str>) -> Result<String> {
    match wanted {
        Some(w) if found.iter().any(|c| c.eq_ignore_ascii_case(w)) => Ok(found
            .iter()
            .find(|c| c.eq_ignore_ascii_case(w))
            .cloned()
            .unwrap_or_default()),
        Some(w) => Err(Error::Usage(format!(
            "currency {w} is not in the data (found: {})",
            found.join(", ")
        ))),
        None if found.len() == 1 => Ok(found[0].clone()),
        None if found.is_empty() => Err(Error::Usage(
            "the data has no lines with a billing currency".into(),
        )),
        None => Err(Error::Usage(format!(
            "the data mixes currencies ({}); costs in different currencies are never summed \
             together: pick one with --currency",
            found.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_choice() {
        let usd = vec!["USD".to_string()];
        let both = vec!["EUR".to_string(), "USD".to_string()];
        assert_eq!(choose_currency(&usd, None).unwrap(), "USD");
        assert_eq!(choose_currency(&both, Some("eur")).unwrap(), "EUR");
        let err = choose_currency(&both, None).unwrap_err().to_string();
        assert!(err.contains("EUR, USD"), "{err}");
        assert!(choose_currency(&usd, Some("GBP")).is_err());
    }
}

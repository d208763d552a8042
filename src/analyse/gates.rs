//! Policy gates: each configured threshold is evaluated and reported (figure, threshold,
//! status). A breached gate makes the run exit 1 once the report is written; a gate whose
//! figure cannot be computed from the data (no commitments, no previous month) is `n/a`.

use serde::Serialize;

use crate::config::Gates;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GateStatus {
    Ok,
    Breached,
    #[serde(rename = "n/a")]
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    pub name: &'static str,
    pub value: Option<f64>,
    pub threshold: f64,
    pub status: GateStatus,
}

/// The figures gates are checked against.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub tag_coverage_pct: Option<f64>,
    pub mom_growth_pct: Option<f64>,
    pub commitment_utilization_pct: Option<f64>,
    /// The largest single anomaly's impact in the period (0 when there is none).
    pub max_anomaly_impact: f64,
    pub budgets_breached: usize,
    pub budgets_configured: usize,
}

impl Gate {
    /// The gate's figure against its threshold, for a human: "min_tag_coverage_pct 83.22,
    /// below the minimum 90".
    pub fn describe(&self) -> String {
        let value = self.value.map_or("n/a".to_string(), |v| {
            ((v * 100.0).round() / 100.0 + 0.0).to_string()
        });
        let bound = if self.name.starts_with("min_") {
            "below the minimum"
        } else {
            "above the maximum"
        };
        match self.status {
            GateStatus::Breached => format!("{} {value}, {bound} {}", self.name, self.threshold),
            GateStatus::Ok => format!("{} {value}, within {}", self.name, self.threshold),
            GateStatus::NotApplicable => format!("{} n/a (no figure to check)", self.name),
        }
    }
}

fn gate(
    name: &'static str,
    value: Option<f64>,
    threshold: f64,
    breached: impl Fn(f64) -> bool,
) -> Gate {
    let status = match value {
        None => GateStatus::NotApplicable,
        Some(v) if breached(v) => GateStatus::Breached,
        Some(_) => GateStatus::Ok,
    };
    Gate {
        name,
        value,
        threshold,
        status,
    }
}

pub fn evaluate(gates: &Gates, f: &Figures) -> Vec<Gate> {
    let mut out = Vec::new();
    if let Some(t) = gates.min_tag_coverage_pct {
        out.push(gate("min_tag_coverage_pct", f.tag_coverage_pct, t, |v| {
            v < t
        }));
    }
    if let Some(t) = gates.max_mom_growth_pct {
        out.push(gate("max_mom_growth_pct", f.mom_growth_pct, t, |v| v > t));
    }
    if let Some(t) = gates.min_commitment_utilization_pct {
        out.push(gate(
            "min_commitment_utilization_pct",
            f.commitment_utilization_pct,
            t,
            |v| v < t,
        ));
    }
    if let Some(t) = gates.max_anomaly_impact {
        out.push(gate(
            "max_anomaly_impact",
            Some(f.max_anomaly_impact),
            t,
            |v| v > t,
        ));
    }
    if gates.budgets.unwrap_or(f.budgets_configured > 0) {
        let value = (f.budgets_configured > 0).then_some(f.budgets_breached as f64);
        out.push(gate("budgets_breached", value, 0.0, |v| v > 0.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_gate_passes_breaches_or_is_not_applicable() {
        let gates = Gates {
            min_tag_coverage_pct: Some(90.0),
            max_mom_growth_pct: Some(15.0),
            min_commitment_utilization_pct: Some(95.0),
            max_anomaly_impact: Some(500.0),
            budgets: None,
        };
        let figures = Figures {
            tag_coverage_pct: Some(89.9),
            mom_growth_pct: Some(15.0),
            commitment_utilization_pct: None,
            max_anomaly_impact: 500.01,
            budgets_breached: 0,
            budgets_configured: 2,
        };
        let got: Vec<(&str, GateStatus)> = evaluate(&gates, &figures)
            .iter()
            .map(|g| (g.name, g.status))
            .collect();
        assert_eq!(
            got,
            vec![
                ("min_tag_coverage_pct", GateStatus::Breached),
                ("max_mom_growth_pct", GateStatus::Ok),
                ("min_commitment_utilization_pct", GateStatus::NotApplicable),
                ("max_anomaly_impact", GateStatus::Breached),
                ("budgets_breached", GateStatus::Ok),
            ]
        );
        assert!(evaluate(&Gates::default(), &Figures::default()).is_empty());
        let described: Vec<String> = evaluate(&gates, &figures)
            .iter()
            .map(Gate::describe)
            .collect();
        assert_eq!(
            described[0],
            "min_tag_coverage_pct 89.9, below the minimum 90"
        );
        assert_eq!(
            described[2],
            "min_commitment_utilization_pct n/a (no figure to check)"
        );
        assert_eq!(
            described[3],
            "max_anomaly_impact 500.01, above the maximum 500"
        );
    }
}

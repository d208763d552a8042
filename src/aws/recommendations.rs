//! AWS's own recommendations as costlens findings, shown beside costlens's: rightsizing
//! (GetRightsizingRecommendation), Savings Plans purchases (GetSavingsPlansPurchaseRecommendation)
//! and reservation purchases (GetReservationPurchaseRecommendation), every page followed through
//! the Cost Explorer session (cost guard and cache).
//!
//! Each finding's `source` names the API it came from. AWS's figures are monthly: `period_cost`
//! is AWS's current monthly cost of what the finding is about. They are not `counted` in the
//! savings total, since they overlap costlens's own rules; the report shows them beside.

use aws_sdk_costexplorer::types::{
    AccountScope, RecommendationTarget, ReservationPurchaseRecommendationDetail,
    RightsizingRecommendation, RightsizingRecommendationConfiguration, RightsizingType,
    SavingsPlansPurchaseRecommendationDetail,
};
use serde::{Deserialize, Serialize};

use super::ce::{Page, Request, RequestStats, Session};
use super::AwsOptions;
use crate::error::{Error, Result};
use crate::findings::{Category, Confidence, Finding, HOURS_PER_MONTH};

pub const RULE_RIGHTSIZING: &str = "aws-rightsizing";
pub const RULE_SAVINGS_PLAN: &str = "aws-savings-plan-purchase";
pub const RULE_RESERVATION: &str = "aws-reservation-purchase";

const RIGHTSIZING: &str = "GetRightsizingRecommendation";
const SAVINGS_PLANS: &str = "GetSavingsPlansPurchaseRecommendation";
const RESERVATIONS: &str = "GetReservationPurchaseRecommendation";

/// The service name costlens's datasets use for EC2 (the CUR product name).
const EC2_SERVICE: &str = "Amazon Elastic Compute Cloud";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Term {
    OneYear,
    ThreeYears,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentOption {
    NoUpfront,
    PartialUpfront,
    AllUpfront,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Lookback {
    SevenDays,
    ThirtyDays,
    SixtyDays,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SavingsPlansType {
    ComputeSp,
    Ec2InstanceSp,
    SagemakerSp,
}

/// What to ask AWS for: the commitment terms of the purchase recommendations.
#[derive(Debug, Clone)]
pub struct RecommendationQuery {
    pub term: Term,
    pub payment_option: PaymentOption,
    pub lookback: Lookback,
    pub savings_plans_type: SavingsPlansType,
    /// Cost Explorer service names for reservation recommendations, one request (or more) each.
    pub reservation_services: Vec<String>,
}

impl Term {
    fn api(self) -> aws_sdk_costexplorer::types::TermInYears {
        use aws_sdk_costexplorer::types::TermInYears as Api;
        match self {
            Term::OneYear => Api::OneYear,
            Term::ThreeYears => Api::ThreeYears,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Term::OneYear => "1-year",
            Term::ThreeYears => "3-year",
        }
    }
}

impl PaymentOption {
    fn api(self) -> aws_sdk_costexplorer::types::PaymentOption {
        use aws_sdk_costexplorer::types::PaymentOption as Api;
        match self {
            PaymentOption::NoUpfront => Api::NoUpfront,
            PaymentOption::PartialUpfront => Api::PartialUpfront,
            PaymentOption::AllUpfront => Api::AllUpfront,
        }
    }

    fn label(self) -> &'static str {
        match self {
            PaymentOption::NoUpfront => "No Upfront",
            PaymentOption::PartialUpfront => "Partial Upfront",
            PaymentOption::AllUpfront => "All Upfront",
        }
    }
}

impl Lookback {
    fn api(self) -> aws_sdk_costexplorer::types::LookbackPeriodInDays {
        use aws_sdk_costexplorer::types::LookbackPeriodInDays as Api;
        match self {
            Lookback::SevenDays => Api::SevenDays,
            Lookback::ThirtyDays => Api::ThirtyDays,
            Lookback::SixtyDays => Api::SixtyDays,
        }
    }

    fn days(self) -> u32 {
        match self {
            Lookback::SevenDays => 7,
            Lookback::ThirtyDays => 30,
            Lookback::SixtyDays => 60,
        }
    }
}

impl SavingsPlansType {
    fn api(self) -> aws_sdk_costexplorer::types::SupportedSavingsPlansType {
        use aws_sdk_costexplorer::types::SupportedSavingsPlansType as Api;
        match self {
            SavingsPlansType::ComputeSp => Api::ComputeSp,
            SavingsPlansType::Ec2InstanceSp => Api::Ec2InstanceSp,
            SavingsPlansType::SagemakerSp => Api::SagemakerSp,
        }
    }

    fn label(self) -> &'static str {
        match self {
            SavingsPlansType::ComputeSp => "Compute Savings Plan",
            SavingsPlansType::Ec2InstanceSp => "EC2 Instance Savings Plan",
            SavingsPlansType::SagemakerSp => "SageMaker Savings Plan",
        }
    }
}

/// What costlens keeps of one recommendation page.
#[derive(Debug, Serialize, Deserialize)]
struct FindingsPage {
    findings: Vec<Finding>,
    next_page_token: Option<String>,
}

impl Page for FindingsPage {
    fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }
}

/// AWS's recommendations for the account behind `options`, as findings (rightsizing, then
/// Savings Plans, then reservations), with the requests they took.
pub fn fetch(
    options: &AwsOptions,
    query: &RecommendationQuery,
) -> Result<(Vec<Finding>, RequestStats)> {
    let (findings, stats) = super::block_on(async {
        let mut session = Session::new(options).await;
        let findings = fetch_all(&mut session, query).await;
        (findings, session.stats())
    })?;
    Ok((findings?, stats))
}

async fn fetch_all(session: &mut Session<'_>, query: &RecommendationQuery) -> Result<Vec<Finding>> {
    let options = session.options().clone();
    let options = &options;
    let mut pages = Vec::new();

    let configuration = RightsizingRecommendationConfiguration::builder()
        .recommendation_target(RecommendationTarget::SameInstanceFamily)
        .benefits_considered(true)
        .build()
        .map_err(|e| Error::Aws(format!("{RIGHTSIZING}: {e}")))?;
    let request = Request {
        operation: RIGHTSIZING,
        params: serde_json::json!({"service": "AmazonEC2", "target": "SAME_INSTANCE_FAMILY"}),
    };
    pages.extend(
        session
            .pages(&request, |client, token| {
                let call = client
                    .get_rightsizing_recommendation()
                    .service("AmazonEC2")
                    .configuration(configuration.clone())
                    .set_next_page_token(token);
                async move {
                    let output = call
                        .send()
                        .await
                        .map_err(|e| super::request_error(options, RIGHTSIZING, e))?;
                    let findings = output
                        .rightsizing_recommendations()
                        .iter()
                        .map(rightsizing_finding)
                        .collect::<Result<_>>()?;
                    Ok(FindingsPage {
                        findings,
                        next_page_token: output.next_page_token().map(String::from),
                    })
                }
            })
            .await?,
    );

    let request = Request {
        operation: SAVINGS_PLANS,
        params: serde_json::json!({
            "type": query.savings_plans_type.label(),
            "term": query.term.label(),
            "payment": query.payment_option.label(),
            "lookback_days": query.lookback.days(),
            "scope": "PAYER",
        }),
    };
    pages.extend(
        session
            .pages(&request, |client, token| {
                let call = client
                    .get_savings_plans_purchase_recommendation()
                    .savings_plans_type(query.savings_plans_type.api())
                    .term_in_years(query.term.api())
                    .payment_option(query.payment_option.api())
                    .lookback_period_in_days(query.lookback.api())
                    .account_scope(AccountScope::Payer)
                    .set_next_page_token(token);
                async move {
                    let output = call
                        .send()
                        .await
                        .map_err(|e| super::request_error(options, SAVINGS_PLANS, e))?;
                    let details = output
                        .savings_plans_purchase_recommendation()
                        .map(|r| r.savings_plans_purchase_recommendation_details())
                        .unwrap_or_default();
                    let findings = details
                        .iter()
                        .map(|d| savings_plan_finding(d, query))
                        .collect::<Result<_>>()?;
                    Ok(FindingsPage {
                        findings,
                        next_page_token: output.next_page_token().map(String::from),
                    })
                }
            })
            .await?,
    );

    for service in &query.reservation_services {
        let request = Request {
            operation: RESERVATIONS,
            params: serde_json::json!({
                "service": service,
                "term": query.term.label(),
                "payment": query.payment_option.label(),
                "lookback_days": query.lookback.days(),
                "scope": "PAYER",
            }),
        };
        pages.extend(
            session
                .pages(&request, |client, token| {
                    let call = client
                        .get_reservation_purchase_recommendation()
                        .service(service)
                        .term_in_years(query.term.api())
                        .payment_option(query.payment_option.api())
                        .lookback_period_in_days(query.lookback.api())
                        .account_scope(AccountScope::Payer)
                        .set_next_page_token(token);
                    async move {
                        let output = call
                            .send()
                            .await
                            .map_err(|e| super::request_error(options, RESERVATIONS, e))?;
                        let mut findings = Vec::new();
                        for recommendation in output.recommendations() {
                            for detail in recommendation.recommendation_details() {
                                findings.push(reservation_finding(detail, service, query)?);
                            }
                        }
                        Ok(FindingsPage {
                            findings,
                            next_page_token: output.next_page_token().map(String::from),
                        })
                    }
                })
                .await?,
        );
    }
    Ok(pages.into_iter().flat_map(|p| p.findings).collect())
}

/// An AWS amount (a decimal string); missing is 0, anything else unreadable is an error.
fn amount(value: Option<&str>, field: &str, operation: &str) -> Result<f64> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(0.0),
        Some(text) => text
            .parse()
            .map_err(|_| Error::Aws(format!("{operation}: {field} is '{text}', not a number"))),
    }
}

/// A finding of AWS's, with what every one of them shares.
fn aws_finding(category: Category, rule: &str, scope: &str, operation: &str) -> Finding {
    let mut finding = Finding::new(category, rule, scope);
    finding.source = format!("aws:{operation}");
    finding.confidence = Confidence::Medium;
    finding.counted = false;
    finding
}

fn rightsizing_finding(recommendation: &RightsizingRecommendation) -> Result<Finding> {
    let current = recommendation.current_instance();
    let resource_id = current.and_then(|c| c.resource_id()).unwrap_or_default();
    let details = current
        .and_then(|c| c.resource_details())
        .and_then(|d| d.ec2_resource_details());
    let instance_type = details
        .and_then(|d| d.instance_type())
        .unwrap_or("instance");
    let monthly_cost = amount(
        current.and_then(|c| c.monthly_cost()),
        "MonthlyCost",
        RIGHTSIZING,
    )?;
    let max_cpu = current
        .and_then(|c| c.resource_utilization())
        .and_then(|u| u.ec2_resource_utilization())
        .and_then(|u| u.max_cpu_utilization_percentage());

    let mut finding = aws_finding(Category::Usage, RULE_RIGHTSIZING, resource_id, RIGHTSIZING);
    finding.resource_id = Some(resource_id.to_string()).filter(|id| !id.is_empty());
    finding.account_id = recommendation.account_id().map(String::from);
    finding.service = Some(EC2_SERVICE.to_string());
    finding.region = details.and_then(|d| d.region()).map(String::from);
    finding.current = instance_type.to_string();
    finding.period_cost = monthly_cost;
    finding.currency = current
        .and_then(|c| c.currency_code())
        .unwrap_or_default()
        .to_string();

    let terminate = recommendation.rightsizing_type() == Some(&RightsizingType::Terminate);
    if terminate {
        let detail = recommendation.terminate_recommendation_detail();
        finding.recommendation = format!("terminate the idle {instance_type}");
        finding.monthly_saving = amount(
            detail.and_then(|d| d.estimated_monthly_savings()),
            "EstimatedMonthlySavings",
            RIGHTSIZING,
        )?;
    } else {
        let targets = recommendation
            .modify_recommendation_detail()
            .map(|d| d.target_instances())
            .unwrap_or_default();
        let target = targets
            .iter()
            .find(|t| t.default_target_instance())
            .or_else(|| targets.first());
        let target_type = target
            .and_then(|t| t.resource_details())
            .and_then(|d| d.ec2_resource_details())
            .and_then(|d| d.instance_type())
            .unwrap_or("a smaller size");
        finding.recommendation = format!("resize {instance_type} to {target_type}");
        finding.monthly_saving = amount(
            target.and_then(|t| t.estimated_monthly_savings()),
            "EstimatedMonthlySavings",
            RIGHTSIZING,
        )?;
    }
    finding.evidence = format!(
        "AWS rightsizing: {instance_type} costs {monthly_cost:.2} {} a month{}",
        finding.currency,
        max_cpu.map_or(String::new(), |cpu| format!(", peak CPU {cpu}%"))
    );
    Ok(finding)
}

fn savings_plan_finding(
    detail: &SavingsPlansPurchaseRecommendationDetail,
    query: &RecommendationQuery,
) -> Result<Finding> {
    let plan = detail.savings_plans_details();
    let region = plan.and_then(|p| p.region());
    let family = plan.and_then(|p| p.instance_family());
    let account = detail.account_id();
    let scope = [
        query.savings_plans_type.label(),
        query.term.label(),
        query.payment_option.label(),
        account.unwrap_or("payer"),
        region.unwrap_or("any region"),
        family.unwrap_or("any family"),
    ]
    .join("/");
    let hourly = amount(
        detail.hourly_commitment_to_purchase(),
        "HourlyCommitmentToPurchase",
        SAVINGS_PLANS,
    )?;
    let on_demand_hourly = amount(
        detail.current_average_hourly_on_demand_spend(),
        "CurrentAverageHourlyOnDemandSpend",
        SAVINGS_PLANS,
    )?;
    let upfront = amount(detail.upfront_cost(), "UpfrontCost", SAVINGS_PLANS)?;
    let currency = detail.currency_code().unwrap_or_default();

    let mut finding = aws_finding(Category::Rate, RULE_SAVINGS_PLAN, &scope, SAVINGS_PLANS);
    finding.account_id = account.map(String::from);
    finding.region = region.map(String::from);
    finding.current = format!("{on_demand_hourly:.4} {currency}/hour on demand on average");
    finding.recommendation = format!(
        "buy a {} {} {} at {hourly:.4} {currency}/hour",
        query.term.label(),
        query.payment_option.label(),
        query.savings_plans_type.label()
    );
    finding.period_cost = on_demand_hourly * HOURS_PER_MONTH;
    finding.monthly_saving = amount(
        detail.estimated_monthly_savings_amount(),
        "EstimatedMonthlySavingsAmount",
        SAVINGS_PLANS,
    )?;
    finding.currency = currency.to_string();
    finding.evidence = format!(
        "AWS over the last {} days: upfront {upfront:.2} {currency}, estimated utilisation {}%, \
         estimated saving {}%",
        query.lookback.days(),
        detail.estimated_average_utilization().unwrap_or("?"),
        detail.estimated_savings_percentage().unwrap_or("?")
    );
    Ok(finding)
}

fn reservation_finding(
    detail: &ReservationPurchaseRecommendationDetail,
    service: &str,
    query: &RecommendationQuery,
) -> Result<Finding> {
    let instance = detail.instance_details();
    let ec2 = instance.and_then(|i| i.ec2_instance_details());
    let rds = instance.and_then(|i| i.rds_instance_details());
    let instance_type = ec2
        .and_then(|d| d.instance_type())
        .or_else(|| rds.and_then(|d| d.instance_type()))
        .unwrap_or("instance");
    let region = ec2
        .and_then(|d| d.region())
        .or_else(|| rds.and_then(|d| d.region()));
    let variant = ec2
        .map(|d| {
            [d.platform(), d.tenancy()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .or_else(|| rds.and_then(|d| d.database_engine()).map(String::from))
        .unwrap_or_default();
    let account = detail.account_id();
    let scope = [
        service,
        account.unwrap_or("payer"),
        region.unwrap_or("any region"),
        instance_type,
        &variant,
        query.term.label(),
        query.payment_option.label(),
    ]
    .join("/");
    let count = detail
        .recommended_number_of_instances_to_purchase()
        .unwrap_or("?");
    let average = detail
        .average_number_of_instances_used_per_hour()
        .unwrap_or("?");
    let currency = detail.currency_code().unwrap_or_default();
    let upfront = amount(detail.upfront_cost(), "UpfrontCost", RESERVATIONS)?;
    let recurring = amount(
        detail.recurring_standard_monthly_cost(),
        "RecurringStandardMonthlyCost",
        RESERVATIONS,
    )?;

    let mut finding = aws_finding(Category::Rate, RULE_RESERVATION, &scope, RESERVATIONS);
    finding.account_id = account.map(String::from);
    finding.service = Some(service.to_string());
    finding.region = region.map(String::from);
    finding.current = format!("{instance_type} on demand, {average} instances an hour on average");
    finding.recommendation = format!(
        "reserve {count} × {instance_type}{} ({}, {})",
        if variant.is_empty() {
            String::new()
        } else {
            format!(" {variant}")
        },
        query.term.label(),
        query.payment_option.label()
    );
    finding.period_cost = amount(
        detail.estimated_monthly_on_demand_cost(),
        "EstimatedMonthlyOnDemandCost",
        RESERVATIONS,
    )?;
    finding.monthly_saving = amount(
        detail.estimated_monthly_savings_amount(),
        "EstimatedMonthlySavingsAmount",
        RESERVATIONS,
    )?;
    finding.currency = currency.to_string();
    finding.evidence = format!(
        "AWS over the last {} days: upfront {upfront:.2} {currency}, {recurring:.2} {currency} a \
         month, break-even in {} months",
        query.lookback.days(),
        detail.estimated_break_even_in_months().unwrap_or("?")
    );
    Ok(finding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(amount(Some(" 12.5 "), "X", "Op").unwrap(), 12.5);
        assert_eq!(amount(None, "X", "Op").unwrap(), 0.0);
        let err = amount(Some("lots"), "UpfrontCost", "Op")
            .unwrap_err()
            .to_string();
        assert!(err.contains("UpfrontCost is 'lots'"), "{err}");
    }
}

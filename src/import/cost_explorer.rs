//! AWS Cost Explorer as a billing source: GetCostAndUsage over a period, every page followed,
//! into the canonical schema, through the Cost Explorer session (cost guard and cache).
//!
//! Mapping: UnblendedCost → BilledCost, AmortizedCost → EffectiveCost, NetAmortizedCost →
//! x_NetAmortizedCost, UsageQuantity → ConsumedQuantity and PricingQuantity, TimePeriod →
//! ChargePeriodStart/End (its month → BillingPeriodStart/End), the group-by keys → ServiceName,
//! SubAccountId (and SubAccountName from AWS's account attributes), RegionId, Tags and so on.
//! Cost Explorer has no resources, list prices or charge categories: ResourceId, ListCost,
//! ContractedCost and ChargeCategory stay null rather than being guessed.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use aws_sdk_costexplorer::operation::get_cost_and_usage::GetCostAndUsageOutput;
use aws_sdk_costexplorer::types::{
    DateInterval, GroupDefinition, GroupDefinitionType, MetricValue,
};
use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::aws::ce::{Page, Request, RequestStats, Session};
use crate::aws::{self, AwsOptions};
use crate::error::{ErrContext, Error, Result};
use crate::money::{self, Money};
use crate::schema;

/// How an input names a Cost Explorer query: `ce:2026-10` (a month) or
/// `ce:2026-10-01..2026-11-01` (start inclusive, end exclusive).
pub const INPUT_PREFIX: &str = "ce:";
/// The grouping of `ce:` inputs and the default of `fetch ce --group-by`.
pub const DEFAULT_GROUP_BY: &str = "SERVICE,LINKED_ACCOUNT";
/// Cost Explorer groups by two keys at most.
const MAX_GROUPS: usize = 2;

const UNBLENDED: &str = "UnblendedCost";
const AMORTIZED: &str = "AmortizedCost";
const NET_AMORTIZED: &str = "NetAmortizedCost";
const USAGE: &str = "UsageQuantity";
const METRICS: [&str; 4] = [UNBLENDED, AMORTIZED, NET_AMORTIZED, USAGE];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "UPPERCASE")]
pub enum Granularity {
    Daily,
    Monthly,
    Hourly,
}

impl Granularity {
    fn api(self) -> aws_sdk_costexplorer::types::Granularity {
        use aws_sdk_costexplorer::types::Granularity as Api;
        match self {
            Granularity::Daily => Api::Daily,
            Granularity::Monthly => Api::Monthly,
            Granularity::Hourly => Api::Hourly,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Granularity::Daily => "DAILY",
            Granularity::Monthly => "MONTHLY",
            Granularity::Hourly => "HOURLY",
        }
    }
}

/// The Cost Explorer dimensions costlens can place in a canonical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Service,
    LinkedAccount,
    Region,
    AvailabilityZone,
    InstanceType,
    UsageType,
    Operation,
}

const DIMENSIONS: [Dimension; 7] = [
    Dimension::Service,
    Dimension::LinkedAccount,
    Dimension::Region,
    Dimension::AvailabilityZone,
    Dimension::InstanceType,
    Dimension::UsageType,
    Dimension::Operation,
];

impl Dimension {
    /// The dimension's name in the Cost Explorer API.
    fn api_key(self) -> &'static str {
        match self {
            Dimension::Service => "SERVICE",
            Dimension::LinkedAccount => "LINKED_ACCOUNT",
            Dimension::Region => "REGION",
            Dimension::AvailabilityZone => "AZ",
            Dimension::InstanceType => "INSTANCE_TYPE",
            Dimension::UsageType => "USAGE_TYPE",
            Dimension::Operation => "OPERATION",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Dimension::Service => schema::SERVICE_NAME,
            Dimension::LinkedAccount => schema::SUB_ACCOUNT_ID,
            Dimension::Region => schema::REGION_ID,
            Dimension::AvailabilityZone => schema::AVAILABILITY_ZONE,
            Dimension::InstanceType => schema::X_INSTANCE_TYPE,
            Dimension::UsageType => schema::X_USAGE_TYPE,
            Dimension::Operation => schema::X_OPERATION,
        }
    }
}

/// One group-by key: a dimension, or a cost allocation tag (`TAG:team`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupKey {
    Dimension(Dimension),
    Tag(String),
}

impl FromStr for GroupKey {
    type Err = Error;

    fn from_str(text: &str) -> Result<GroupKey> {
        let text = text.trim();
        if let Some(tag) = text
            .strip_prefix("TAG:")
            .or_else(|| text.strip_prefix("tag:"))
        {
            if tag.is_empty() {
                return Err(Error::Usage("TAG: needs a tag key, as in TAG:team".into()));
            }
            return Ok(GroupKey::Tag(tag.to_string()));
        }
        DIMENSIONS
            .iter()
            .find(|d| d.api_key().eq_ignore_ascii_case(text))
            .map(|d| GroupKey::Dimension(*d))
            .ok_or_else(|| {
                let known: Vec<&str> = DIMENSIONS.iter().map(|d| d.api_key()).collect();
                Error::Usage(format!(
                    "unknown Cost Explorer group-by '{text}': use {} or TAG:<key>",
                    known.join(", ")
                ))
            })
    }
}

impl GroupKey {
    fn label(&self) -> String {
        match self {
            GroupKey::Dimension(d) => d.api_key().to_string(),
            GroupKey::Tag(key) => format!("TAG:{key}"),
        }
    }

    fn api(&self) -> GroupDefinition {
        let (kind, key) = match self {
            GroupKey::Dimension(d) => (GroupDefinitionType::Dimension, d.api_key().to_string()),
            GroupKey::Tag(key) => (GroupDefinitionType::Tag, key.clone()),
        };
        GroupDefinition::builder().r#type(kind).key(key).build()
    }
}

/// Parses a comma-separated group-by list (`SERVICE,TAG:team`).
pub fn parse_group_by(text: &str) -> Result<Vec<GroupKey>> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(GroupKey::from_str)
        .collect()
}

/// One GetCostAndUsage query.
#[derive(Debug, Clone, PartialEq)]
pub struct CostQuery {
    pub start: NaiveDate,
    /// Exclusive, as in the API.
    pub end: NaiveDate,
    pub granularity: Granularity,
    pub group_by: Vec<GroupKey>,
}

impl CostQuery {
    pub fn new(
        start: NaiveDate,
        end: NaiveDate,
        granularity: Granularity,
        group_by: Vec<GroupKey>,
    ) -> Result<CostQuery> {
        if start >= end {
            return Err(Error::Usage(format!(
                "the Cost Explorer period is empty: start {start} is not before end {end} \
                 (the end is exclusive)"
            )));
        }
        if group_by.len() > MAX_GROUPS {
            return Err(Error::Usage(format!(
                "Cost Explorer groups by at most {MAX_GROUPS} keys, {} given",
                group_by.len()
            )));
        }
        for (i, key) in group_by.iter().enumerate() {
            if group_by[..i].contains(key) {
                return Err(Error::Usage(format!(
                    "group-by {} is given twice",
                    key.label()
                )));
            }
        }
        Ok(CostQuery {
            start,
            end,
            granularity,
            group_by,
        })
    }

    /// The `ce:` spelling of an input, if `text` uses it.
    pub fn from_input(text: &str) -> Option<Result<CostQuery>> {
        let spec = text.strip_prefix(INPUT_PREFIX)?;
        Some(parse_period(spec).and_then(|(start, end)| {
            CostQuery::new(
                start,
                end,
                Granularity::Daily,
                parse_group_by(DEFAULT_GROUP_BY)?,
            )
        }))
    }

    /// What a message calls this query.
    pub fn label(&self) -> String {
        let groups: Vec<String> = self.group_by.iter().map(GroupKey::label).collect();
        format!(
            "GetCostAndUsage {}..{} {} by {}",
            self.start,
            self.end,
            self.granularity.name(),
            if groups.is_empty() {
                "nothing".to_string()
            } else {
                groups.join(",")
            }
        )
    }

    fn request(&self) -> Request {
        let groups: Vec<String> = self.group_by.iter().map(GroupKey::label).collect();
        Request {
            operation: "GetCostAndUsage",
            params: serde_json::json!({
                "start": self.start.to_string(),
                "end": self.end.to_string(),
                "granularity": self.granularity.name(),
                "metrics": METRICS,
                "group_by": groups,
            }),
        }
    }
}

/// `2026-10` (that month) or `2026-10-01..2026-11-01`.
fn parse_period(spec: &str) -> Result<(NaiveDate, NaiveDate)> {
    let bad = || {
        Error::Usage(format!(
            "{INPUT_PREFIX}{spec}: expected {INPUT_PREFIX}YYYY-MM or \
             {INPUT_PREFIX}YYYY-MM-DD..YYYY-MM-DD (end exclusive)"
        ))
    };
    if let Some((start, end)) = spec.split_once("..") {
        let start = NaiveDate::parse_from_str(start, "%Y-%m-%d").map_err(|_| bad())?;
        let end = NaiveDate::parse_from_str(end, "%Y-%m-%d").map_err(|_| bad())?;
        return Ok((start, end));
    }
    let start = NaiveDate::parse_from_str(&format!("{spec}-01"), "%Y-%m-%d").map_err(|_| bad())?;
    Ok((start, next_month(start)))
}

fn next_month(date: NaiveDate) -> NaiveDate {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).expect("first of a month")
}

/// One cost line of an answer: its period, its group keys and the metrics costlens asks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CostRow {
    start: String,
    end: String,
    keys: Vec<String>,
    metrics: BTreeMap<String, Metric>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Metric {
    /// As AWS sends it (decimal text), checked: money is read from it exactly.
    amount: String,
    unit: Option<String>,
}

/// What costlens keeps of one GetCostAndUsage page.
#[derive(Debug, Serialize, Deserialize)]
struct CostPage {
    rows: Vec<CostRow>,
    /// Account id → account name, from AWS's dimension attributes.
    account_names: Vec<(String, String)>,
    next_page_token: Option<String>,
}

impl Page for CostPage {
    fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }
}

/// Fetches `query` (every page) as a canonical frame, with the requests it took.
pub fn fetch(query: &CostQuery, options: &AwsOptions) -> Result<(LazyFrame, RequestStats)> {
    let (pages, stats) = aws::block_on(async {
        let mut session = Session::new(options).await;
        let pages = fetch_pages(&mut session, query).await;
        (pages, session.stats())
    })?;
    let frame = to_frame(query, &pages?)?;
    Ok((frame, stats))
}

async fn fetch_pages(session: &mut Session<'_>, query: &CostQuery) -> Result<Vec<CostPage>> {
    let label = query.label();
    let options = session.options().clone();
    let period = DateInterval::builder()
        .start(query.start.to_string())
        .end(query.end.to_string())
        .build()
        .map_err(|e| Error::Usage(format!("{label}: {e}")))?;
    session
        .pages(&query.request(), |client, token| {
            let mut call = client
                .get_cost_and_usage()
                .time_period(period.clone())
                .granularity(query.granularity.api())
                .set_next_page_token(token);
            for metric in METRICS {
                call = call.metrics(metric);
            }
            for key in &query.group_by {
                call = call.group_by(key.api());
            }
            let label = &label;
            let options = &options;
            async move {
                let output = call
                    .send()
                    .await
                    .map_err(|e| aws::request_error(options, label, e))?;
                page_from(output, label)
            }
        })
        .await
}

fn page_from(output: GetCostAndUsageOutput, label: &str) -> Result<CostPage> {
    let account_names = output
        .dimension_value_attributes()
        .iter()
        .filter_map(|d| {
            let name = d.attributes()?.get("description")?;
            Some((d.value()?.to_string(), name.clone()))
        })
        .collect();
    let mut rows = Vec::new();
    for result in output.results_by_time() {
        let period = result
            .time_period()
            .ok_or_else(|| Error::Aws(format!("{label}: a result has no TimePeriod")))?;
        let context = format!("{label}, period {}", period.start());
        let row = |keys: Vec<String>, metrics: &HashMap<String, MetricValue>| {
            Ok::<_, Error>(CostRow {
                start: period.start().to_string(),
                end: period.end().to_string(),
                keys,
                metrics: keep_metrics(metrics, &context)?,
            })
        };
        if result.groups().is_empty() {
            if let Some(total) = result.total().filter(|t| !t.is_empty()) {
                rows.push(row(Vec::new(), total)?);
            }
        }
        for group in result.groups() {
            let empty = HashMap::new();
            rows.push(row(
                group.keys().to_vec(),
                group.metrics().unwrap_or(&empty),
            )?);
        }
    }
    Ok(CostPage {
        rows,
        account_names,
        next_page_token: output.next_page_token().map(String::from),
    })
}

fn keep_metrics(
    metrics: &HashMap<String, MetricValue>,
    context: &str,
) -> Result<BTreeMap<String, Metric>> {
    let mut kept = BTreeMap::new();
    for name in METRICS {
        let Some(value) = metrics.get(name) else {
            continue;
        };
        let Some(text) = value.amount() else {
            continue;
        };
        let valid = if name == USAGE {
            text.trim().parse::<f64>().is_ok_and(f64::is_finite)
        } else {
            Money::parse_line(text).is_some()
        };
        if !valid {
            return Err(Error::Aws(format!(
                "{context}: metric {name} is '{text}', not {}",
                if name == USAGE {
                    "a finite number".to_string()
                } else {
                    money::limit_text()
                }
            )));
        }
        let unit = value.unit().map(String::from);
        kept.insert(
            name.to_string(),
            Metric {
                amount: text.trim().to_string(),
                unit,
            },
        );
    }
    Ok(kept)
}

/// `2026-10-01` or `2026-10-01T05:00:00Z` as epoch milliseconds.
fn period_millis(text: &str) -> Option<i64> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The first instant of the month holding `millis`, and of the next month.
fn billing_month(millis: i64) -> Option<(i64, i64)> {
    let date = chrono::DateTime::from_timestamp_millis(millis)?.date_naive();
    let first = NaiveDate::from_ymd_opt(date.year(), date.month(), 1)?;
    let at_midnight = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
    };
    Some((at_midnight(first)?, at_midnight(next_month(first))?))
}

/// Raw columns of the frame before the canonical projection.
const START: &str = "start";
const END: &str = "end";
const PERIOD_START: &str = "billing_start";
const PERIOD_END: &str = "billing_end";
const ACCOUNT_NAME: &str = "account_name";
const CURRENCY: &str = "currency";
const USAGE_UNIT: &str = "usage_unit";

fn group_column(i: usize) -> String {
    format!("group_{i}")
}

fn to_frame(query: &CostQuery, pages: &[CostPage]) -> Result<LazyFrame> {
    let names: HashMap<&str, &str> = pages
        .iter()
        .flat_map(|p| p.account_names.iter())
        .map(|(id, name)| (id.as_str(), name.as_str()))
        .collect();
    let rows: Vec<&CostRow> = pages.iter().flat_map(|p| p.rows.iter()).collect();
    let label = query.label();

    let mut times: [Vec<i64>; 4] = Default::default();
    for row in &rows {
        let bound = |text: &str| {
            period_millis(text).ok_or_else(|| {
                Error::Aws(format!("{label}: TimePeriod bound '{text}' is not a date"))
            })
        };
        let (start, end) = (bound(&row.start)?, bound(&row.end)?);
        let (period_start, period_end) = billing_month(start)
            .ok_or_else(|| Error::Aws(format!("{label}: period {} out of range", row.start)))?;
        for (column, value) in times.iter_mut().zip([start, end, period_start, period_end]) {
            column.push(value);
        }
    }
    let [starts, ends, period_starts, period_ends] = times;
    let mut columns = vec![
        Column::new(START.into(), starts),
        Column::new(END.into(), ends),
        Column::new(PERIOD_START.into(), period_starts),
        Column::new(PERIOD_END.into(), period_ends),
    ];
    for (i, key) in query.group_by.iter().enumerate() {
        let values: Vec<Option<String>> = rows
            .iter()
            .map(|row| row.keys.get(i).and_then(|raw| group_value(key, raw)))
            .collect();
        if key == &GroupKey::Dimension(Dimension::LinkedAccount) {
            let account_names: Vec<Option<&str>> = values
                .iter()
                .map(|id| id.as_deref().and_then(|id| names.get(id).copied()))
                .collect();
            columns.push(Column::new(ACCOUNT_NAME.into(), account_names));
        }
        columns.push(Column::new(group_column(i).into(), values));
    }
    for name in METRICS {
        let amounts = rows
            .iter()
            .map(|row| row.metrics.get(name).map(|m| &m.amount));
        columns.push(if name == USAGE {
            let quantities: Vec<Option<f64>> =
                amounts.map(|a| a.and_then(|a| a.parse().ok())).collect();
            Column::new(name.into(), quantities)
        } else {
            let pico = amounts.map(|a| a.and_then(|a| Money::parse_line(a)).map(Money::pico));
            Int128Chunked::from_iter_options(name.into(), pico)
                .into_decimal_unchecked(schema::MONEY_PRECISION, money::SCALE)
                .into_column()
        });
    }
    let unit_of = |metric: &str| -> Vec<Option<String>> {
        rows.iter()
            .map(|row| row.metrics.get(metric).and_then(|m| m.unit.clone()))
            .map(|unit| unit.filter(|u| u != "N/A"))
            .collect()
    };
    columns.push(Column::new(CURRENCY.into(), unit_of(UNBLENDED)));
    columns.push(Column::new(USAGE_UNIT.into(), unit_of(USAGE)));

    let frame = DataFrame::new(rows.len(), columns)
        .err_context(|| format!("{label}: building the dataset"))?;
    Ok(frame.lazy().select(project(query)))
}

/// A group key's value as the dataset keeps it: a tag's `key$value` becomes its value, and an
/// untagged line (`key$`) none.
fn group_value(key: &GroupKey, raw: &str) -> Option<String> {
    let value = match key {
        GroupKey::Tag(tag) => raw
            .strip_prefix(tag.as_str())
            .and_then(|rest| rest.strip_prefix('$'))
            .unwrap_or(raw),
        GroupKey::Dimension(_) => raw,
    };
    (!value.is_empty()).then(|| value.to_string())
}

fn project(query: &CostQuery) -> Vec<Expr> {
    let timestamp = |name: &str| col(name).cast(schema::timestamp_dtype());
    let dimension_column = |canonical: &str| {
        query
            .group_by
            .iter()
            .position(|key| matches!(key, GroupKey::Dimension(d) if d.column() == canonical))
    };
    let tag_columns: Vec<(String, String)> = query
        .group_by
        .iter()
        .enumerate()
        .filter_map(|(i, key)| match key {
            GroupKey::Tag(tag) => Some((tag.clone(), group_column(i))),
            GroupKey::Dimension(_) => None,
        })
        .collect();
    let has_accounts = query
        .group_by
        .contains(&GroupKey::Dimension(Dimension::LinkedAccount));
    schema::project(|name| match name {
        schema::PROVIDER_NAME => Some(lit("AWS")),
        schema::BILLING_CURRENCY => Some(col(CURRENCY)),
        schema::CHARGE_PERIOD_START => Some(timestamp(START)),
        schema::CHARGE_PERIOD_END => Some(timestamp(END)),
        schema::BILLING_PERIOD_START => Some(timestamp(PERIOD_START)),
        schema::BILLING_PERIOD_END => Some(timestamp(PERIOD_END)),
        schema::BILLED_COST => Some(col(UNBLENDED)),
        schema::EFFECTIVE_COST => Some(col(AMORTIZED)),
        schema::X_NET_AMORTIZED_COST => Some(col(NET_AMORTIZED)),
        schema::CONSUMED_QUANTITY | schema::PRICING_QUANTITY => Some(col(USAGE)),
        schema::CONSUMED_UNIT | schema::PRICING_UNIT => Some(col(USAGE_UNIT)),
        schema::SUB_ACCOUNT_NAME if has_accounts => Some(col(ACCOUNT_NAME)),
        schema::TAGS => super::tags_from_columns(&tag_columns),
        other => dimension_column(other).map(|i| col(group_column(i))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn input_spellings() {
        let month = CostQuery::from_input("ce:2026-12").unwrap().unwrap();
        assert_eq!(
            (month.start, month.end),
            (date("2026-12-01"), date("2027-01-01"))
        );
        assert_eq!(month.granularity, Granularity::Daily);
        let range = CostQuery::from_input("ce:2026-10-01..2026-10-15")
            .unwrap()
            .unwrap();
        assert_eq!(
            (range.start, range.end),
            (date("2026-10-01"), date("2026-10-15"))
        );
        assert!(CostQuery::from_input("ce:yesterday").unwrap().is_err());
        assert!(CostQuery::from_input("ce:2026-10-15..2026-10-01")
            .unwrap()
            .is_err());
        assert!(CostQuery::from_input("report.csv").is_none());
    }

    #[test]
    fn group_by_lists() {
        let keys = parse_group_by("SERVICE, linked_account").unwrap();
        assert_eq!(
            keys,
            vec![
                GroupKey::Dimension(Dimension::Service),
                GroupKey::Dimension(Dimension::LinkedAccount)
            ]
        );
        assert_eq!(
            parse_group_by("TAG:team").unwrap(),
            vec![GroupKey::Tag("team".into())]
        );
        assert!(parse_group_by("PLANET").is_err());
        let three = parse_group_by("SERVICE,REGION,TAG:team").unwrap();
        assert!(CostQuery::new(
            date("2026-10-01"),
            date("2026-11-01"),
            Granularity::Daily,
            three
        )
        .is_err());
    }

    #[test]
    fn tag_values_lose_their_key() {
        let team = GroupKey::Tag("team".into());
        assert_eq!(group_value(&team, "team$web"), Some("web".into()));
        assert_eq!(group_value(&team, "team$"), None);
        let service = GroupKey::Dimension(Dimension::Service);
        assert_eq!(
            group_value(&service, "AWS Lambda"),
            Some("AWS Lambda".into())
        );
    }

    #[test]
    fn hourly_and_daily_bounds() {
        assert_eq!(period_millis("2024-09-01"), Some(1_725_148_800_000));
        assert_eq!(
            period_millis("2024-09-01T01:00:00Z"),
            Some(1_725_152_400_000)
        );
        let (start, end) = billing_month(1_725_152_400_000).unwrap();
        assert_eq!(start, 1_725_148_800_000);
        // 30 days of September later.
        assert_eq!(end, 1_725_148_800_000 + 30 * 86_400_000);
    }
}

//! The aggregates every analyser works on, and the one pass that builds them: a few small
//! queries over the lines ([`super::lines`]) collected together (polars shares the scan), then
//! read into typed rows, each resource row classified once ([`super::classify`]). Nothing here
//! knows which file format the data came from.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt};

use polars::prelude::*;

use super::classify::{self, ComputeClass, Facts, Orchestrator, Vocabulary};
use super::currency::choose_currency;
use super::frame;
use super::kinds::{ContainerPlatform, LineKind, Platform, Provider};
use super::lines::{Lines, Query, Source};
use super::policy::{policy_keys, policy_values};
use super::rollup::{Grain, LINE_COUNT};
use crate::config::Config;
use crate::error::Result;
use crate::money::Money;
use crate::period::{Period, DAY_MS, HOUR_MS};
use crate::schema::{self, charge_category};

/// Column names of the aggregates (beyond canonical names they keep).
pub mod col_name {
    pub const DAY: &str = "day";
    pub const HOUR: &str = "hour";
    pub const LINES: &str = "lines";
    pub const FIRST_START: &str = "first_start";
    pub const LAST_END: &str = "last_end";
    pub const OFFHOURS_COST: &str = "offhours_cost";
    pub const FIRST_SEEN: &str = "first_seen";
    pub const HOURLY_LINES: &str = "hourly_lines";
    pub const USAGE_LINES: &str = "usage_lines";
    pub const COMPUTE_CLASS: &str = "__compute_class";
    pub const CONTAINER_PLATFORM: &str = "__container_platform";
    pub const CLUSTER: &str = "__cluster";
    pub const CONTAINER_GROUP: &str = "__container_group";
}
use col_name::*;

pub use super::frame::Text;

/// Cost of one day × account × service × charge category.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRow {
    /// Epoch ms of the day's midnight (UTC).
    pub day: i64,
    pub account: Option<String>,
    pub service: Option<String>,
    pub charge_category: Option<String>,
    pub billed: Money,
    pub effective: Money,
    pub list: Money,
    pub contracted: Money,
}

/// Cost of one resource (or, with `resource_id` None, of lines without one) in the period,
/// split by everything the analysers tell apart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceRow {
    pub resource_id: Option<String>,
    pub charge_category: Option<Text>,
    pub account: Option<Text>,
    pub account_name: Option<Text>,
    pub service: Option<Text>,
    pub region: Option<Text>,
    pub provider: Provider,
    /// What the lines are: the only thing rules match on.
    pub kind: LineKind,
    /// The provider's usage type and SKU, kept to order rows and for evidence text; rules read
    /// [`ResourceRow::kind`].
    pub usage_type: Option<Text>,
    pub sku_id: Option<Text>,
    pub instance_type: Option<Text>,
    pub pricing_category: Option<Text>,
    pub pricing_unit: Option<Text>,
    pub resource_type: Option<Text>,
    pub line_item_type: Option<Text>,
    /// Who runs the instance (an Auto Scaling group, a Kubernetes node pool...), from
    /// provider-set tags.
    pub orchestrator: Option<Orchestrator>,
    /// Values of [`Aggregates::tag_keys`], in that order (raw spelling; None when absent).
    pub tags: Vec<Option<Text>>,
    pub billed: f64,
    pub effective: f64,
    pub list: f64,
    pub contracted: f64,
    pub quantity: f64,
    pub lines: u64,
    pub first_start: i64,
    pub last_end: i64,
    /// Effective cost of the lines outside the business-hours schedule.
    pub offhours_cost: f64,
    pub commitment_id: Option<Text>,
    pub commitment_type: Option<Text>,
    pub commitment_status: Option<Text>,
    pub commitment_end: Option<i64>,
    /// Usage lines of at most an hour, and all usage lines (hourly data or daily totals).
    pub hourly_lines: u64,
    pub usage_lines: u64,
}

/// Compute usage of one hour × region × instance type × pricing category, for one provider
/// and compute class.
#[derive(Debug, Clone, PartialEq)]
pub struct HourlyRow {
    pub hour: i64,
    /// End of the lines' charge period: one hour later in hourly data, a day or a month later
    /// in Cost Explorer totals.
    pub end: i64,
    pub provider: Provider,
    pub class: ComputeClass,
    pub region: Option<String>,
    pub instance_type: Option<String>,
    /// The provider's service code, kept to order rows; rules read `class`.
    pub service_code: Option<String>,
    /// The provider's code for what runs (AWS's operation: an EC2 instance's OS, an RDS
    /// instance's engine): reservations are sold per code, spend-based plans ignore it.
    /// [`classify::reservation_platform`] names it.
    pub platform_code: Option<String>,
    /// What the code says runs, as the instance inventory says it (`Unknown` where only the
    /// resource rows know, as in FOCUS data).
    pub platform: Platform,
    pub pricing_category: Option<String>,
    pub quantity: f64,
    pub list: f64,
    pub billed: f64,
    pub effective: f64,
}

/// Cost of one commitment (reservation or savings plan) × status × charge category.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentRow {
    pub id: String,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub charge_category: Option<String>,
    pub effective: f64,
    pub billed: f64,
    pub list: f64,
    pub quantity: f64,
    pub end: Option<i64>,
    pub instance_type: Option<String>,
    pub region: Option<String>,
    pub account: Option<String>,
}

/// What the split cost allocation gives one cluster × namespace (Kubernetes) or service (ECS)
/// of one node in the period: the pods' or tasks' share of the node's amortised cost, and their
/// share of its capacity that nothing used. Allocations of the node's own line, never billed
/// again.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerRow {
    pub platform: ContainerPlatform,
    pub cluster: Option<String>,
    /// The namespace (Kubernetes) or service (ECS).
    pub group: Option<String>,
    /// The instance the pods or tasks ran on.
    pub node: String,
    pub account: Option<String>,
    pub split: Money,
    pub unused: Money,
    pub lines: u64,
    pub first_start: i64,
    pub last_end: i64,
}

/// Everything the analysers need, already reduced to one currency.
#[derive(Debug, Clone)]
pub struct Aggregates {
    pub currency: String,
    pub period: Period,
    /// Earliest start and latest end of any line in the period (epoch ms).
    pub data_start: Option<i64>,
    pub data_end: Option<i64>,
    /// Lines of at most one hour among the period's usage lines, and all usage lines: tells
    /// hourly data (CUR) from daily or monthly totals (Cost Explorer).
    pub hourly_lines: u64,
    pub usage_lines: u64,
    /// Whether any line in the period names a resource.
    pub has_resources: bool,
    /// Over all the data, not only the period: trends, anomalies and budgets look back.
    pub daily: Vec<DailyRow>,
    /// Sorted by resource id (a resource's rows side by side), then by what tells its rows
    /// apart.
    pub resources: Vec<ResourceRow>,
    /// First time each resource appears anywhere in the data (epoch ms).
    pub first_seen: HashMap<String, i64>,
    pub hourly: Vec<HourlyRow>,
    pub commitments: Vec<CommitmentRow>,
    /// Split cost allocation per node and cluster × namespace or service, in the period
    /// (empty for bills without split lines).
    pub containers: Vec<ContainerRow>,
    /// The policy keys whose values are in `ResourceRow::tags`, in that order.
    pub tag_keys: Vec<String>,
    /// The allocation key's position in `tag_keys`.
    pub allocation_key: Option<usize>,
}

impl Aggregates {
    pub fn is_hourly(&self) -> bool {
        self.usage_lines > 0 && self.hourly_lines * 2 >= self.usage_lines
    }

    /// The period is only partly covered by the data (month to date).
    pub fn is_partial(&self) -> bool {
        self.data_end.is_some_and(|end| end < self.period.end)
    }

    /// Hours of the period the data covers (for scaling savings to a month).
    pub fn covered_hours(&self) -> f64 {
        match (self.data_start, self.data_end) {
            (Some(s), Some(e)) => {
                let s = s.max(self.period.start);
                let e = e.min(self.period.end);
                ((e - s) as f64 / 3_600_000.0).max(0.0)
            }
            _ => 0.0,
        }
    }

    /// The rows of one resource, found by binary search: [`Aggregates::resources`] is sorted by
    /// resource id, so a lookup needs no map over millions of ids.
    pub fn rows_of(&self, id: &str) -> &[ResourceRow] {
        let start = self
            .resources
            .partition_point(|r| r.resource_id.as_deref() < Some(id));
        let len = self.resources[start..].partition_point(|r| r.resource_id.as_deref() == Some(id));
        &self.resources[start..start + len]
    }

    /// The providers with resource rows in the period, for rules that say per provider what
    /// they could not check.
    pub fn providers(&self) -> BTreeSet<Provider> {
        self.resources.iter().map(|r| r.provider).collect()
    }
}

/// Money columns summed, exactly (canonical money is integer pico-units).
fn money_sums() -> Vec<Expr> {
    schema::MONEY.iter().map(|c| col(*c).sum()).collect()
}

/// Per-line flags of the resource aggregate.
const OFF_HOURS: &str = "__off_hours";
const SHORT_LINE: &str = "__short_line";

/// Lines of the reporting period.
fn in_period(period: &Period) -> impl Fn(&Source) -> Option<Expr> + '_ {
    move |c: &Source| {
        let timestamp = |ms: i64| lit(ms).cast(schema::timestamp_dtype());
        let start = c.col(schema::CHARGE_PERIOD_START);
        Some(
            start
                .clone()
                .gt_eq(timestamp(period.start))
                .and(start.lt(timestamp(period.end))),
        )
    }
}

fn no_flags(_: &Source) -> Vec<(&'static str, Expr)> {
    Vec::new()
}

/// Cost by day × account × service × charge category, over all the data.
fn daily_query(lines: &Lines) -> Result<LazyFrame> {
    Ok(lines
        .rows(&Query {
            keys: &[
                schema::BILLING_CURRENCY,
                schema::SUB_ACCOUNT_ID,
                schema::SERVICE_NAME,
                schema::CHARGE_CATEGORY,
            ],
            attrs: &[],
            facts: false,
            grain: Grain::Day,
            money: true,
            sums: &[],
            filter: &|_| None,
            flags: &no_flags,
        })?
        .group_by([
            col(schema::BILLING_CURRENCY),
            frame::day_of(col(schema::CHARGE_PERIOD_START)).alias(DAY),
            col(schema::SUB_ACCOUNT_ID),
            col(schema::SERVICE_NAME),
            col(schema::CHARGE_CATEGORY),
        ])
        .agg(money_sums()))
}

/// What tells a resource's lines apart: grouped by.
const RESOURCE_KEYS: [&str; 10] = [
    schema::BILLING_CURRENCY,
    schema::RESOURCE_ID,
    schema::CHARGE_CATEGORY,
    schema::PRICING_CATEGORY,
    schema::SUB_ACCOUNT_ID,
    schema::X_USAGE_TYPE,
    schema::SKU_ID,
    schema::X_LINE_ITEM_TYPE,
    schema::COMMITMENT_DISCOUNT_ID,
    schema::TAGS,
];

/// What a resource has only one of: carried as `max()`, which is cheaper than hashing them as
/// keys.
const RESOURCE_ATTRS: [&str; 11] = [
    schema::PROVIDER_NAME,
    schema::SERVICE_NAME,
    schema::X_SERVICE_CODE,
    schema::REGION_ID,
    schema::X_INSTANCE_TYPE,
    schema::PRICING_UNIT,
    schema::RESOURCE_TYPE,
    schema::SUB_ACCOUNT_NAME,
    schema::COMMITMENT_DISCOUNT_TYPE,
    schema::COMMITMENT_DISCOUNT_STATUS,
    schema::X_COMMITMENT_DISCOUNT_END,
];

/// Cost per resource in the period, with the off-hours share and the hourly-line counts.
fn resource_query(lines: &Lines, period: &Period, config: &Config) -> Result<LazyFrame> {
    let (business_start, business_end) = (
        i64::from(config.usage.business_hours_start),
        i64::from(config.usage.business_hours_end),
    );
    let resource_flags = |c: &Source| {
        let start = c.col(schema::CHARGE_PERIOD_START);
        let time_of_day = frame::ms_into_day(start.clone());
        let off_hours = time_of_day
            .clone()
            .lt(lit(business_start * HOUR_MS))
            .or(time_of_day.gt_eq(lit(business_end * HOUR_MS)))
            .or(frame::ms_into_week(start.clone()).gt_eq(lit(5 * DAY_MS)));
        let duration = frame::duration_ms(start, c.col(schema::CHARGE_PERIOD_END));
        vec![
            (OFF_HOURS, off_hours),
            (SHORT_LINE, duration.lt_eq(lit(HOUR_MS))),
        ]
    };
    let is_usage = col(schema::CHARGE_CATEGORY).eq(lit(charge_category::USAGE));
    let line_count = || col(LINE_COUNT).cast(DataType::UInt64);
    let mut aggs = money_sums();
    aggs.extend(
        RESOURCE_ATTRS
            .iter()
            .chain(classify::facts(Vocabulary::Any))
            .map(|c| col(*c).max()),
    );
    aggs.extend([
        frame::quantity_sum(col(schema::PRICING_QUANTITY)),
        line_count().sum().alias(LINES),
        col(schema::CHARGE_PERIOD_START).min().alias(FIRST_START),
        col(schema::CHARGE_PERIOD_END).max().alias(LAST_END),
        col(OFFHOURS_COST).sum(),
        col(HOURLY_LINES).sum(),
        col(USAGE_LINES).sum(),
    ]);
    // Everything derived per row is computed before the aggregation, so each aggregation is a
    // plain streaming reduction (sum, min, max): an expression like `x.filter(p).sum()` inside
    // an aggregation would make polars gather every group's rows in memory. Grouping by the
    // raw tag list keeps the per-line work vectorised; policy keys are resolved afterwards on
    // the (much smaller) groups.
    Ok(lines
        .rows(&Query {
            keys: &RESOURCE_KEYS,
            attrs: &RESOURCE_ATTRS,
            facts: true,
            grain: Grain::Span,
            money: true,
            sums: &[],
            filter: &in_period(period),
            flags: &resource_flags,
        })?
        .with_columns([
            when(col(OFF_HOURS))
                .then(col(schema::EFFECTIVE_COST))
                .otherwise(schema::zero_money())
                .alias(OFFHOURS_COST),
            when(is_usage.clone().and(col(SHORT_LINE)))
                .then(line_count())
                .otherwise(lit(0u64))
                .alias(HOURLY_LINES),
            when(is_usage)
                .then(line_count())
                .otherwise(lit(0u64))
                .alias(USAGE_LINES),
        ])
        .group_by(RESOURCE_KEYS.map(col))
        .agg(aggs))
}

/// The first time each resource appears anywhere in the data.
fn first_seen_query(lines: &Lines) -> Result<LazyFrame> {
    Ok(lines
        .rows(&Query {
            keys: &[schema::BILLING_CURRENCY, schema::RESOURCE_ID],
            attrs: &[],
            facts: false,
            grain: Grain::Span,
            money: false,
            sums: &[],
            filter: &|c: &Source| Some(c.col(schema::RESOURCE_ID).is_not_null()),
            flags: &no_flags,
        })?
        .group_by([col(schema::BILLING_CURRENCY), col(schema::RESOURCE_ID)])
        .agg([col(schema::CHARGE_PERIOD_START).min().alias(FIRST_SEEN)]))
}

/// Compute usage hour by hour in the period (what commitment sizing needs).
fn hourly_query(lines: &Lines, period: &Period) -> Result<LazyFrame> {
    let keys = [
        schema::BILLING_CURRENCY,
        schema::CHARGE_CATEGORY,
        schema::PROVIDER_NAME,
        schema::REGION_ID,
        schema::X_INSTANCE_TYPE,
        schema::X_SERVICE_CODE,
        schema::X_OPERATION,
        schema::PRICING_CATEGORY,
    ];
    let in_period = in_period(period);
    Ok(lines
        .rows(&Query {
            keys: &keys,
            attrs: &[],
            facts: false,
            grain: Grain::Exact,
            money: true,
            sums: &[],
            filter: &|c: &Source| Some(in_period(c)?.and(classify::compute_lines(c))),
            flags: &|c: &Source| vec![(COMPUTE_CLASS, classify::compute_class(c))],
        })?
        .filter(col(schema::CHARGE_CATEGORY).eq(lit(charge_category::USAGE)))
        .group_by([
            col(schema::BILLING_CURRENCY),
            col(schema::CHARGE_PERIOD_START).alias(HOUR),
            col(schema::CHARGE_PERIOD_END),
            col(schema::PROVIDER_NAME),
            col(COMPUTE_CLASS),
            col(schema::REGION_ID),
            col(schema::X_INSTANCE_TYPE),
            col(schema::X_SERVICE_CODE),
            col(schema::X_OPERATION),
            col(schema::PRICING_CATEGORY),
        ])
        .agg([
            frame::quantity_sum(col(schema::PRICING_QUANTITY)),
            col(schema::LIST_COST).sum(),
            col(schema::BILLED_COST).sum(),
            col(schema::EFFECTIVE_COST).sum(),
        ]))
}

/// Split cost allocation lines of the period, per node × cluster × namespace or service: only
/// lines naming a parent instance are grouped, so bills without them add nothing to group.
fn container_query(lines: &Lines, period: &Period) -> Result<LazyFrame> {
    let keys = [
        schema::BILLING_CURRENCY,
        schema::X_SPLIT_PARENT_RESOURCE_ID,
        schema::SUB_ACCOUNT_ID,
    ];
    let split = [schema::X_SPLIT_COST, schema::X_SPLIT_UNUSED_COST];
    let in_period = in_period(period);
    Ok(lines
        .rows(&Query {
            keys: &keys,
            attrs: &[],
            facts: false,
            grain: Grain::Span,
            money: false,
            sums: &split,
            filter: &|c: &Source| Some(in_period(c)?.and(classify::container_lines(c))),
            flags: &|c: &Source| {
                vec![
                    (CONTAINER_PLATFORM, classify::container_platform(c)),
                    (CLUSTER, classify::container_cluster(c)),
                    (CONTAINER_GROUP, classify::container_group(c)),
                ]
            },
        })?
        .group_by(
            keys.iter()
                .chain(&[CONTAINER_PLATFORM, CLUSTER, CONTAINER_GROUP])
                .map(|k| col(*k))
                .collect::<Vec<_>>(),
        )
        .agg([
            col(schema::X_SPLIT_COST).sum(),
            col(schema::X_SPLIT_UNUSED_COST).sum(),
            col(LINE_COUNT).cast(DataType::UInt64).sum().alias(LINES),
            col(schema::CHARGE_PERIOD_START).min().alias(FIRST_START),
            col(schema::CHARGE_PERIOD_END).max().alias(LAST_END),
        ]))
}

/// Builds every aggregate in one pass and reduces them to one currency.
pub fn build(
    lines: Lines,
    period: &Period,
    config: &Config,
    pass: frame::Pass,
) -> Result<Aggregates> {
    let tag_keys = policy_keys(config);
    let lines = lines.cached();
    let queries = vec![
        daily_query(&lines)?,
        resource_query(&lines, period, config)?,
        first_seen_query(&lines)?,
        hourly_query(&lines, period)?,
        container_query(&lines, period)?,
    ];
    // Each step's time and memory at debug level (`-vv`): at millions of resources the steps
    // after the queries take a third of the pass.
    let mut started = std::time::Instant::now();
    let mut step = |what: &str| {
        let (rss_mib, peak_rss_mib) = crate::logging::memory_mib();
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            rss_mib,
            peak_rss_mib,
            "aggregates: {what}"
        );
        started = std::time::Instant::now();
    };
    let mut out = frame::collect_all(queries, pass, "analysing the data")?.into_iter();
    step("queries collected");
    let mut next = || out.next().expect("one frame per query");
    let (daily, resources, first_seen, hourly, containers) =
        (next(), next(), next(), next(), next());
    super::validate::check_lines(&daily, DAY)?;

    let mut found: Vec<String> = frame::strings(&daily, schema::BILLING_CURRENCY)?
        .into_iter()
        .flatten()
        .collect();
    found.sort();
    found.dedup();
    let currency = choose_currency(&found, config.currency.as_deref())?;
    // One currency (the usual bill): nothing to filter, and no copy of the frames.
    let single = found.len() == 1 && found[0] == currency;
    let only = |df: DataFrame| -> Result<DataFrame> {
        if single {
            return Ok(df);
        }
        df.lazy()
            .filter(col(schema::BILLING_CURRENCY).eq(lit(currency.as_str())))
            .collect()
            .map_err(|e| crate::Error::Polars {
                context: "selecting the currency".into(),
                source: e,
            })
    };
    let allocation_key = config
        .tags
        .allocation_key()
        .and_then(|k| tag_keys.iter().position(|t| t == k));
    let mut daily = daily_rows(&only(daily)?)?;
    step("currency chosen");
    // The collected frame, a temporary, is dropped as soon as its rows are read.
    let (mut resources, pool) = resource_rows(&only(resources)?, config, &tag_keys)?;
    step("resource rows read");
    let mut hourly = hourly_rows(&only(hourly)?)?;
    // Group-by output comes in no fixed order; later float sums must not depend on it.
    daily.sort_by(|a, b| {
        (a.day, &a.account, &a.service, &a.charge_category)
            .cmp(&(b.day, &b.account, &b.service, &b.charge_category))
            .then(a.effective.cmp(&b.effective))
            .then(a.billed.cmp(&b.billed))
    });
    // By resource, then by what tells its rows apart (the pooled texts by rank: compared where
    // the keys lie side by side, not in the rows scattered over gigabytes), then the rest.
    let ranks = pool.ranks();
    let order = crate::order::stable_order(
        &resources,
        |r| {
            (
                r.resource_id.as_deref(),
                [
                    ranks.of(&r.usage_type),
                    ranks.of(&r.sku_id),
                    ranks.of(&r.charge_category),
                    ranks.of(&r.line_item_type),
                    ranks.of(&r.pricing_category),
                    ranks.of(&r.commitment_id),
                ],
            )
        },
        |a, b| {
            (
                &a.account,
                &a.service,
                &a.region,
                &a.instance_type,
                &a.pricing_unit,
                &a.resource_type,
                &a.tags,
                &a.orchestrator,
            )
                .cmp(&(
                    &b.account,
                    &b.service,
                    &b.region,
                    &b.instance_type,
                    &b.pricing_unit,
                    &b.resource_type,
                    &b.tags,
                    &b.orchestrator,
                ))
                .then(a.first_start.cmp(&b.first_start))
                .then(a.effective.total_cmp(&b.effective))
                .then(a.billed.total_cmp(&b.billed))
                .then(a.quantity.total_cmp(&b.quantity))
        },
    );
    crate::order::permute(&mut resources, order);
    step("resource rows sorted");
    hourly.sort_by(|a, b| {
        (
            a.hour,
            a.end,
            a.provider,
            a.class,
            &a.region,
            &a.instance_type,
            &a.service_code,
            &a.platform_code,
            &a.pricing_category,
        )
            .cmp(&(
                b.hour,
                b.end,
                b.provider,
                b.class,
                &b.region,
                &b.instance_type,
                &b.service_code,
                &b.platform_code,
                &b.pricing_category,
            ))
    });
    let commitments = commitment_rows(&resources);
    let mut containers = container_rows(&only(containers)?)?;
    containers.sort_by(|a, b| {
        (a.platform, &a.cluster, &a.group, &a.node, &a.account)
            .cmp(&(b.platform, &b.cluster, &b.group, &b.node, &b.account))
    });
    let first_seen = first_seen_map(&only(first_seen)?)?;
    step("the rest read");
    Ok(Aggregates {
        data_start: resources.iter().map(|r| r.first_start).min(),
        data_end: resources.iter().map(|r| r.last_end).max(),
        hourly_lines: resources.iter().map(|r| r.hourly_lines).sum(),
        usage_lines: resources.iter().map(|r| r.usage_lines).sum(),
        has_resources: resources.iter().any(|r| r.resource_id.is_some()),
        daily,
        resources,
        first_seen,
        hourly,
        commitments,
        containers,
        currency,
        period: period.clone(),
        tag_keys,
        allocation_key,
    })
}

fn daily_rows(df: &DataFrame) -> Result<Vec<DailyRow>> {
    let day = frame::ints(df, DAY)?;
    let account = frame::strings(df, schema::SUB_ACCOUNT_ID)?;
    let service = frame::strings(df, schema::SERVICE_NAME)?;
    let category = frame::strings(df, schema::CHARGE_CATEGORY)?;
    let billed = frame::exact_money(df, schema::BILLED_COST)?;
    let effective = frame::exact_money(df, schema::EFFECTIVE_COST)?;
    let list = frame::exact_money(df, schema::LIST_COST)?;
    let contracted = frame::exact_money(df, schema::CONTRACTED_COST)?;
    Ok((0..df.height())
        .map(|i| DailyRow {
            day: day[i].unwrap_or(0),
            account: account[i].clone(),
            service: service[i].clone(),
            charge_category: category[i].clone(),
            billed: billed[i],
            effective: effective[i],
            list: list[i],
            contracted: contracted[i],
        })
        .collect())
}

/// The resource rows, and the pool their texts come from.
fn resource_rows(
    df: &DataFrame,
    config: &Config,
    tag_keys: &[String],
) -> Result<(Vec<ResourceRow>, frame::TextPool)> {
    // Read row by row from the collected columns: at millions of rows, a copy of each column
    // (and of every row's tag pairs) would double the pass's peak memory.
    let text = |name: &str| frame::TextColumn::read(df, name);
    let f = |name: &str| frame::floats(df, name);
    let resource_id = text(schema::RESOURCE_ID)?;
    let (category, account, account_name) = (
        text(schema::CHARGE_CATEGORY)?,
        text(schema::SUB_ACCOUNT_ID)?,
        text(schema::SUB_ACCOUNT_NAME)?,
    );
    let (provider, service, service_code, region, usage_type, sku_id) = (
        text(schema::PROVIDER_NAME)?,
        text(schema::SERVICE_NAME)?,
        text(schema::X_SERVICE_CODE)?,
        text(schema::REGION_ID)?,
        text(schema::X_USAGE_TYPE)?,
        text(schema::SKU_ID)?,
    );
    let (instance_type, pricing_category, pricing_unit, resource_type) = (
        text(schema::X_INSTANCE_TYPE)?,
        text(schema::PRICING_CATEGORY)?,
        text(schema::PRICING_UNIT)?,
        text(schema::RESOURCE_TYPE)?,
    );
    let (line_item_type, operation, service_category, service_subcategory) = (
        text(schema::X_LINE_ITEM_TYPE)?,
        text(schema::X_OPERATION)?,
        text(schema::SERVICE_CATEGORY)?,
        text(schema::SERVICE_SUBCATEGORY)?,
    );
    let (sku_meter, sku_details, description) = (
        text(schema::SKU_METER)?,
        text(schema::SKU_PRICE_DETAILS)?,
        text(schema::CHARGE_DESCRIPTION)?,
    );
    let tags = frame::KeyValueColumn::read(df, schema::TAGS)?;
    let (billed, effective, list, contracted, quantity, offhours) = (
        frame::money(df, schema::BILLED_COST)?,
        frame::money(df, schema::EFFECTIVE_COST)?,
        frame::money(df, schema::LIST_COST)?,
        frame::money(df, schema::CONTRACTED_COST)?,
        f(schema::PRICING_QUANTITY)?,
        frame::money(df, OFFHOURS_COST)?,
    );
    let (lines, first_start, last_end) = (
        frame::ints(df, LINES)?,
        frame::ints(df, FIRST_START)?,
        frame::ints(df, LAST_END)?,
    );
    let (commitment_id, commitment_type, commitment_status, commitment_end) = (
        text(schema::COMMITMENT_DISCOUNT_ID)?,
        text(schema::COMMITMENT_DISCOUNT_TYPE)?,
        text(schema::COMMITMENT_DISCOUNT_STATUS)?,
        frame::ints(df, schema::X_COMMITMENT_DISCOUNT_END)?,
    );
    let (hourly_lines, usage_lines) = (
        frame::ints(df, HOURLY_LINES)?,
        frame::ints(df, USAGE_LINES)?,
    );
    // Every text but the resource's own id repeats across rows: one copy of each value.
    let mut pool = frame::TextPool::default();
    // Rows of one SKU share their facts: each distinct set is classified once.
    let mut kinds: HashMap<Facts, LineKind> = HashMap::new();
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut orchestrators = classify::OrchestratorReader::default();
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        // `x_UsageType` is AWS's usage type: a file that has one but names no provider is
        // AWS's.
        let provider = match Provider::from_name(provider.get(i)) {
            Provider::Other if usage_type.get(i).is_some() => Provider::Aws,
            known => known,
        };
        let facts = Facts {
            provider,
            charge_category: category.get(i),
            pricing_category: pricing_category.get(i),
            service_code: service_code.get(i),
            service_name: service.get(i),
            service_category: service_category.get(i),
            service_subcategory: service_subcategory.get(i),
            resource_type: resource_type.get(i),
            usage_type: usage_type.get(i),
            operation: operation.get(i),
            instance_type: instance_type.get(i),
            line_item_type: line_item_type.get(i),
            commitment_id: commitment_id.get(i),
            commitment_status: commitment_status.get(i),
            pricing_unit: pricing_unit.get(i),
            description: description.get(i),
            sku_meter: sku_meter.get(i),
            sku_details: sku_details.get(i),
        };
        let kind = kinds
            .entry(facts)
            .or_insert_with(|| classify::classify(&facts))
            .clone();
        pairs.clear();
        pairs.extend(tags.row(i).into_iter().flatten());
        let tags = policy_values(config, tag_keys, &pairs)
            .into_iter()
            .map(|v| pool.shared(v))
            .collect();
        rows.push(ResourceRow {
            resource_id: resource_id.get(i).map(String::from),
            charge_category: pool.shared(category.get(i)),
            account: pool.shared(account.get(i)),
            account_name: pool.shared(account_name.get(i)),
            service: pool.shared(service.get(i)),
            region: pool.shared(region.get(i)),
            provider,
            kind,
            usage_type: pool.shared(usage_type.get(i)),
            sku_id: pool.shared(sku_id.get(i)),
            instance_type: pool.shared(instance_type.get(i)),
            pricing_category: pool.shared(pricing_category.get(i)),
            pricing_unit: pool.shared(pricing_unit.get(i)),
            resource_type: pool.shared(resource_type.get(i)),
            line_item_type: pool.shared(line_item_type.get(i)),
            orchestrator: orchestrators.read(pairs.iter().map(|(k, _)| *k)),
            tags,
            billed: billed[i],
            effective: effective[i],
            list: list[i],
            contracted: contracted[i],
            quantity: quantity[i].unwrap_or(0.0),
            lines: lines[i].unwrap_or(0) as u64,
            first_start: first_start[i].unwrap_or(0),
            last_end: last_end[i].unwrap_or(0),
            offhours_cost: offhours[i],
            commitment_id: pool.shared(commitment_id.get(i)),
            commitment_type: pool.shared(commitment_type.get(i)),
            commitment_status: pool.shared(commitment_status.get(i)),
            commitment_end: commitment_end[i],
            hourly_lines: hourly_lines[i].unwrap_or(0) as u64,
            usage_lines: usage_lines[i].unwrap_or(0) as u64,
        });
    }
    Ok((rows, pool))
}

fn first_seen_map(df: &DataFrame) -> Result<HashMap<String, i64>> {
    let ids = frame::strings(df, schema::RESOURCE_ID)?;
    let seen = frame::ints(df, FIRST_SEEN)?;
    Ok(ids
        .into_iter()
        .zip(seen)
        .filter_map(|(id, t)| Some((id?, t?)))
        .collect())
}

fn hourly_rows(df: &DataFrame) -> Result<Vec<HourlyRow>> {
    let hour = frame::ints(df, HOUR)?;
    let end = frame::ints(df, schema::CHARGE_PERIOD_END)?;
    let provider = frame::strings(df, schema::PROVIDER_NAME)?;
    let class = frame::ints(df, COMPUTE_CLASS)?;
    let region = frame::strings(df, schema::REGION_ID)?;
    let instance_type = frame::strings(df, schema::X_INSTANCE_TYPE)?;
    let service_code = frame::strings(df, schema::X_SERVICE_CODE)?;
    let platform_code = frame::strings(df, schema::X_OPERATION)?;
    let pricing = frame::strings(df, schema::PRICING_CATEGORY)?;
    let quantity = frame::floats(df, schema::PRICING_QUANTITY)?;
    let list = frame::money(df, schema::LIST_COST)?;
    let billed = frame::money(df, schema::BILLED_COST)?;
    let effective = frame::money(df, schema::EFFECTIVE_COST)?;
    Ok((0..df.height())
        .map(|i| HourlyRow {
            hour: hour[i].unwrap_or(0),
            end: end[i].unwrap_or(0),
            provider: Provider::from_name(provider[i].as_deref()),
            class: ComputeClass::from_code(class[i]).unwrap_or(ComputeClass::Serverless),
            region: region[i].clone(),
            instance_type: instance_type[i].clone(),
            service_code: service_code[i].clone(),
            platform: classify::compute_platform(
                Provider::from_name(provider[i].as_deref()),
                ComputeClass::from_code(class[i]).unwrap_or(ComputeClass::Serverless),
                platform_code[i].as_deref(),
            ),
            platform_code: platform_code[i].clone(),
            pricing_category: pricing[i].clone(),
            quantity: quantity[i].unwrap_or(0.0),
            list: list[i],
            billed: billed[i],
            effective: effective[i],
        })
        .collect())
}

fn container_rows(df: &DataFrame) -> Result<Vec<ContainerRow>> {
    let platform = frame::ints(df, CONTAINER_PLATFORM)?;
    let cluster = frame::strings(df, CLUSTER)?;
    let group = frame::strings(df, CONTAINER_GROUP)?;
    let node = frame::strings(df, schema::X_SPLIT_PARENT_RESOURCE_ID)?;
    let account = frame::strings(df, schema::SUB_ACCOUNT_ID)?;
    let split = frame::exact_money(df, schema::X_SPLIT_COST)?;
    let unused = frame::exact_money(df, schema::X_SPLIT_UNUSED_COST)?;
    let lines = frame::ints(df, LINES)?;
    let first_start = frame::ints(df, FIRST_START)?;
    let last_end = frame::ints(df, LAST_END)?;
    Ok((0..df.height())
        .map(|i| ContainerRow {
            platform: ContainerPlatform::from_code(platform[i]),
            cluster: cluster[i].clone(),
            group: group[i].clone(),
            node: node[i].clone().unwrap_or_default(),
            account: account[i].clone(),
            split: split[i],
            unused: unused[i],
            lines: lines[i].unwrap_or(0) as u64,
            first_start: first_start[i].unwrap_or(0),
            last_end: last_end[i].unwrap_or(0),
        })
        .collect())
}

/// Cost per commitment × status × charge category, from the resource rows that carry one.
fn commitment_rows(resources: &[ResourceRow]) -> Vec<CommitmentRow> {
    let mut by_key: BTreeMap<_, CommitmentRow> = BTreeMap::new();
    for r in resources {
        let Some(id) = &r.commitment_id else { continue };
        let key = (
            id.clone(),
            r.commitment_status.clone(),
            r.charge_category.clone(),
            r.commitment_type.clone(),
        );
        let owned = |text: &Option<Text>| text.as_deref().map(String::from);
        let row = by_key.entry(key).or_insert_with(|| CommitmentRow {
            id: id.to_string(),
            kind: owned(&r.commitment_type),
            status: owned(&r.commitment_status),
            charge_category: owned(&r.charge_category),
            effective: 0.0,
            billed: 0.0,
            list: 0.0,
            quantity: 0.0,
            end: None,
            instance_type: None,
            region: None,
            account: None,
        });
        row.effective += r.effective;
        row.billed += r.billed;
        row.list += r.list;
        row.quantity += r.quantity;
        row.end = row.end.max(r.commitment_end);
        for (kept, this) in [
            (&mut row.instance_type, &r.instance_type),
            (&mut row.region, &r.region),
            (&mut row.account, &r.account),
        ] {
            if this.as_deref() > kept.as_deref() {
                *kept = owned(this);
            }
        }
    }
    by_key.into_values().collect()
}

/// Hand-made aggregates for analyser tests: October 2026 in USD, hourly data covering the
/// whole month, nothing in it yet (fill what a test needs with struct update syntax).
#[cfg(test)]
impl Aggregates {
    pub fn october_2026() -> Aggregates {
        let period = Period::parse("2026-10", chrono::NaiveDate::MIN).expect("a valid month");
        Aggregates {
            currency: "USD".into(),
            data_start: Some(period.start),
            data_end: Some(period.end),
            period,
            hourly_lines: 1,
            usage_lines: 1,
            has_resources: true,
            daily: vec![],
            resources: vec![],
            first_seen: Default::default(),
            hourly: vec![],
            commitments: vec![],
            containers: vec![],
            tag_keys: vec![],
            allocation_key: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_finds_every_row_of_one_resource_and_nothing_else() {
        let row = |id: Option<&str>, effective: f64| ResourceRow {
            resource_id: id.map(String::from),
            effective,
            ..ResourceRow::default()
        };
        let aggs = Aggregates {
            // Sorted by id, as the pass leaves them: no id first.
            resources: vec![
                row(None, 1.0),
                row(Some("i-a"), 2.0),
                row(Some("i-b"), 3.0),
                row(Some("i-b"), 4.0),
                row(Some("i-c"), 5.0),
            ],
            ..Aggregates::october_2026()
        };
        let costs = |id| -> Vec<f64> { aggs.rows_of(id).iter().map(|r| r.effective).collect() };
        assert_eq!(costs("i-b"), [3.0, 4.0]);
        assert_eq!(costs("i-a"), [2.0]);
        assert_eq!(costs("i-c"), [5.0]);
        assert!(costs("i-0").is_empty() && costs("i-bb").is_empty() && costs("").is_empty());
    }
}

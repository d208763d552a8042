//! Command-line interface (clap derive). The doc comments here are `--help`.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::aws::recommendations::{Lookback, PaymentOption, SavingsPlansType, Term};
use crate::aws::{self, AwsOptions};
use crate::import::cost_explorer::{self, Granularity, GroupKey};

/// costlens: where the cloud money goes and what could be saved.
///
/// Reads AWS Cost and Usage Reports (legacy CSV/gzip and parquet, CUR 2.0 parquet) and FOCUS
/// exports from any cloud into one FOCUS-aligned dataset, and reports on it.
///
/// Exit codes: 0 ok; 1 the report was written and a policy gate is breached; 2 error.
#[derive(Debug, Parser)]
#[command(name = "costlens", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Logging")]
pub struct LogArgs {
    /// More log output on stderr (-v: stage timings, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Nothing on stderr or stdout but errors and breached gates (one line each, for cron).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Log line format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The monthly job: run every analyser over the billing data and write the report folder
    /// <out>/<period>/ (CSVs, charts, summary.json, summary.md, report.html).
    ///
    /// Exit codes: 0 all gates ok; 1 report written and at least one policy gate breached;
    /// 2 error (nothing half-written).
    Analyze(AnalyzeArgs),
    /// Write a commented configuration (costlens.toml): every option with its default, or with
    /// --from, the tag policy of the data's own tag keys.
    Init(InitArgs),
    /// What billing data holds: each file's format and version, the period, the currency, the
    /// accounts with their names, the services, and the tag keys with their spend-weighted
    /// coverage and top values. Run it first on your own bill.
    Inspect(InspectArgs),
    /// Rows, period, currency, cost totals, top services and accounts of billing files.
    Summary(SummaryArgs),
    /// Write billing files as one FOCUS 1.2 CostAndUsage dataset (.parquet or .csv by
    /// extension, or an export folder).
    Convert(ConvertArgs),
    /// Generate a realistic, deterministic AWS CUR 2.0 parquet for a fictional company, with
    /// every saving opportunity costlens looks for planted on purpose.
    Sample(SampleArgs),
    /// Fetch billing data or recommendations from AWS's APIs.
    Fetch(FetchArgs),
}

/// How to reach AWS, for `s3://` and `ce:` inputs and `fetch`.
#[derive(Debug, Args)]
#[command(next_help_heading = "AWS")]
pub struct AwsArgs {
    /// AWS profile of ~/.aws/config (SSO, assumed role or access keys). Without it, the
    /// standard chain: environment, AWS_PROFILE, the default profile, SSO, instance role.
    #[arg(long)]
    pub profile: Option<String>,

    /// AWS region; else AWS_REGION, the profile's region, then us-east-1.
    #[arg(long)]
    pub region: Option<String>,

    /// Send every AWS call to this endpoint (an emulator, an S3-compatible store, a VPC
    /// endpoint); S3 is then addressed path-style. AWS_ENDPOINT_URL does the same.
    #[arg(long)]
    pub endpoint_url: Option<String>,

    /// Cost guard: stop before paid Cost Explorer request number N+1 ($0.01 each).
    #[arg(long, value_name = "N", default_value_t = aws::DEFAULT_MAX_REQUESTS)]
    pub max_requests: u32,

    /// Where Cost Explorer answers and S3 downloads are kept [default:
    /// $XDG_CACHE_HOME/costlens or ~/.cache/costlens].
    #[arg(long, env = "COSTLENS_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Reuse a cached Cost Explorer answer for this many hours (0: always ask AWS).
    #[arg(long, value_name = "HOURS", default_value_t = aws::DEFAULT_CACHE_HOURS)]
    pub cache_hours: u64,
}

impl AwsArgs {
    pub fn options(&self) -> AwsOptions {
        let defaults = AwsOptions::default();
        AwsOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            max_requests: self.max_requests,
            cache_dir: self.cache_dir.clone().unwrap_or(defaults.cache_dir),
            cache_ttl: Duration::from_secs(self.cache_hours.saturating_mul(3600)),
        }
    }
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(subcommand)]
    pub source: FetchSource,
}

#[derive(Debug, Subcommand)]
pub enum FetchSource {
    /// Cost Explorer GetCostAndUsage (every page) written as the canonical dataset. Each page
    /// is a paid request: see --max-requests and the cache.
    Ce(FetchCeArgs),
    /// AWS's own rightsizing, Savings Plans and reservation purchase recommendations, written
    /// as costlens findings (JSON), each marked with the API it came from.
    Recommendations(FetchRecommendationsArgs),
}

#[derive(Debug, Args)]
pub struct FetchCeArgs {
    /// First day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub start: NaiveDate,

    /// Last day (YYYY-MM-DD), exclusive, as in the API.
    #[arg(long)]
    pub end: NaiveDate,

    #[arg(long, value_enum, default_value_t = Granularity::Daily)]
    pub granularity: Granularity,

    /// Up to two of SERVICE, LINKED_ACCOUNT, REGION, AZ, INSTANCE_TYPE, USAGE_TYPE, OPERATION,
    /// TAG:<key>, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = cost_explorer::DEFAULT_GROUP_BY)]
    pub group_by: Vec<GroupKey>,

    /// Output file: .parquet or .csv. Written atomically, only once every page is in.
    #[arg(long, short)]
    pub out: PathBuf,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct FetchRecommendationsArgs {
    /// Output file: the findings as a JSON array. Written atomically.
    #[arg(long, short)]
    pub out: PathBuf,

    /// Commitment term of the Savings Plans and reservation recommendations.
    #[arg(long, value_enum, default_value_t = Term::OneYear)]
    pub term: Term,

    #[arg(long, value_enum, default_value_t = PaymentOption::NoUpfront)]
    pub payment_option: PaymentOption,

    /// The usage AWS bases its purchase recommendations on.
    #[arg(long, value_enum, default_value_t = Lookback::ThirtyDays)]
    pub lookback: Lookback,

    #[arg(long, value_enum, default_value_t = SavingsPlansType::ComputeSp)]
    pub savings_plans_type: SavingsPlansType,

    /// Cost Explorer service names to get reservation recommendations for (one paid request
    /// each, or more when paged).
    #[arg(long, default_value = "Amazon Elastic Compute Cloud - Compute")]
    pub reservation_service: Vec<String>,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Billing files, directories or globs (CUR CSV/gzip/parquet, CUR 2.0, FOCUS), read as one
    /// dataset. The format of each file is detected from its content. `s3://bucket/prefix/`
    /// reads a CUR or Data Exports bucket; `ce:2026-10` or `ce:2026-10-01..2026-11-01` reads
    /// Cost Explorer (daily, by service and account).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Report in this currency when the data holds several (they are never summed together).
    #[arg(long, help_heading = "Input")]
    pub currency: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table, help_heading = "Output")]
    pub format: SummaryFormat,

    /// How many services and accounts to list.
    #[arg(long, default_value_t = 10, help_heading = "Output")]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Billing files, directories or globs, read as one dataset; `s3://` and `ce:` inputs too.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Output: a .parquet (typed) or .csv file, or a folder (end it with /): an export folder
    /// of parquet parts with a manifest per month (the layout of Cost Management's FOCUS
    /// exports) and metadata.json. Written atomically; Tags as JSON text in every format.
    #[arg(long, short)]
    pub out: PathBuf,

    /// FOCUS version of the output (1.2; 1.3 is not available yet).
    #[arg(long, default_value = "1.2")]
    pub focus_version: crate::convert::FocusTarget,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Total rows; the planted scenario alone is written when omitted. Extra rows are filler
    /// of the --profile.
    #[arg(long)]
    pub rows: Option<u64>,

    /// What the extra rows are: `steady` (tagged instances running all month, few resources)
    /// or `realistic` (millions of short-lived resources, untagged and resourceless lines,
    /// 200 accounts: the shape of a large company's month).
    #[arg(long, value_enum, default_value_t = crate::sample::Profile::Steady)]
    pub profile: crate::sample::Profile,

    /// Seed for ids and noise: the same seed gives the same bytes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// The last month generated (YYYY-MM).
    #[arg(long, default_value = "2026-10")]
    pub month: String,

    /// How many months, ending with --month.
    #[arg(long, default_value_t = 1)]
    pub months: u32,

    /// Output parquet file (written atomically).
    #[arg(long, short)]
    pub out: PathBuf,

    /// Also write a utilisation export (CloudWatch-style CSV) for the sample's instances.
    #[arg(long)]
    pub utilization_out: Option<PathBuf>,

    /// Also write the JSON list of planted opportunities.
    #[arg(long)]
    pub manifest_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Configuration file [default: ./costlens.toml if present].
    #[arg(long, env = "COSTLENS_CONFIG", help_heading = "Report")]
    pub config: Option<PathBuf>,

    /// Report folder root; the report goes to <out>/<period>/ [default: reports].
    #[arg(long, short, env = "COSTLENS_OUT", help_heading = "Report")]
    pub out: Option<PathBuf>,

    /// last-month, this-month, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (UTC) [default: the latest
    /// month in the data].
    #[arg(long, env = "COSTLENS_PERIOD", help_heading = "Report")]
    pub period: Option<String>,

    /// Utilisation export (CSV: resource_id, cpu_max_pct, cpu_p95_pct, mem_p95_pct,
    /// days_observed) for idle and downsize findings.
    #[arg(long, help_heading = "Report")]
    pub utilization: Option<PathBuf>,

    /// AWS's own recommendations, as written by `costlens fetch recommendations`, reported
    /// beside costlens's findings (marked with their source).
    #[arg(long, value_name = "FILE", help_heading = "Report")]
    pub aws_recommendations: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the configuration.
    #[arg(default_value = "costlens.toml")]
    pub path: PathBuf,

    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,

    /// Billing data to take the tag policy from: its user tag keys covering at least 10% of
    /// the taggable cost become the required tags (as `costlens inspect` shows them).
    #[arg(long, num_args = 1.., value_name = "INPUT", help_heading = "Input")]
    pub from: Vec<PathBuf>,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table, help_heading = "Output")]
    pub format: SummaryFormat,

    /// How many accounts, services and tag keys the table lists (JSON lists them all).
    #[arg(long, default_value_t = 10, help_heading = "Output")]
    pub top: usize,
}

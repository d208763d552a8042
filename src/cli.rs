//! Command-line interface (clap derive). The doc comments here are `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
pub struct LogArgs {
    /// More log output on stderr (-v: stage timings, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr.
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
    /// Write a commented example configuration (costlens.toml).
    Init(InitArgs),
    /// Rows, period, currency, cost totals, top services and accounts of billing files.
    Summary(SummaryArgs),
    /// Write billing files as one canonical FOCUS dataset (.parquet or .csv by extension).
    Convert(ConvertArgs),
    /// Generate a realistic, deterministic AWS CUR 2.0 parquet for a fictional company, with
    /// every saving opportunity costlens looks for planted on purpose.
    Sample(SampleArgs),
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Billing files, directories or globs (CUR CSV/gzip/parquet, CUR 2.0, FOCUS), read as one
    /// dataset. The format of each file is detected from its content.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Report in this currency when the data holds several (they are never summed together).
    #[arg(long)]
    pub currency: Option<String>,
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
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,

    /// How many services and accounts to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Billing files, directories or globs, read as one dataset.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Output file: .parquet (typed) or .csv (Tags as JSON). Written atomically.
    #[arg(long, short)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Total rows; the planted scenario alone is written when omitted. Extra rows are
    /// correctly tagged filler instances.
    #[arg(long)]
    pub rows: Option<u64>,

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
    #[arg(long, env = "COSTLENS_CONFIG")]
    pub config: Option<PathBuf>,

    /// Report folder root; the report goes to <out>/<period>/ [default: reports].
    #[arg(long, short, env = "COSTLENS_OUT")]
    pub out: Option<PathBuf>,

    /// last-month, this-month, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (UTC) [default: the latest
    /// month in the data].
    #[arg(long, env = "COSTLENS_PERIOD")]
    pub period: Option<String>,

    /// Utilisation export (CSV: resource_id, cpu_max_pct, cpu_p95_pct, mem_p95_pct,
    /// days_observed) for idle and downsize findings.
    #[arg(long)]
    pub utilization: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the example.
    #[arg(default_value = "costlens.toml")]
    pub path: PathBuf,

    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

//! `costlens analyze`: the monthly job. Import once, build the aggregates in one pass, run every
//! analyser, write the report folder atomically, and say whether a policy gate is breached.
//! This is the I/O edge around the pure analysers: config, utilisation export and the previous
//! report are read here.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;

use crate::analyse::{self, history, Analysis};
use crate::aws::AwsOptions;
use crate::config::Config;
use crate::engine::{aggregates, frame, lines, rollup, validate};
use crate::error::{Error, Result};
use crate::findings::Finding;
use crate::lock::Lock;
use crate::period::Period;
use crate::report::{self, store};
use crate::{import, output, schema, utilization};

/// Everything `analyze` needs, already resolved from flags, environment, file and defaults.
#[derive(Debug, Clone)]
pub struct Request {
    pub inputs: Vec<PathBuf>,
    /// Profile, region, endpoint, cost guard and cache for `s3://` and `ce:` inputs.
    pub aws: AwsOptions,
    pub config: Config,
    /// `--period` text, if given.
    pub period: Option<String>,
    pub utilization: Option<PathBuf>,
    /// AWS's own recommendations, as written by `costlens fetch recommendations`.
    pub aws_recommendations: Option<PathBuf>,
    /// The day `this-month` and `last-month` are relative to (UTC).
    pub today: NaiveDate,
    /// When the run started, written into the lock file for humans.
    pub started: String,
}

#[derive(Debug)]
pub struct Outcome {
    pub report_dir: PathBuf,
    pub analysis: Analysis,
    /// At least one gate is breached: exit code 1.
    pub gate_breached: bool,
    /// What the user should know beside the report (files downloaded, requests paid).
    pub notes: Vec<String>,
}

/// Reads the config: `explicit` (flag or `COSTLENS_CONFIG`) must exist; otherwise
/// `./costlens.toml` if present; otherwise the defaults.
pub fn load_config(explicit: Option<&Path>) -> Result<Config> {
    match explicit {
        Some(path) => Config::load(path),
        None => {
            let local = Path::new("costlens.toml");
            if local.exists() {
                Config::load(local)
            } else {
                Ok(Config::default())
            }
        }
    }
}

/// Above this much input, the aggregations run one after another. One shared pass is faster,
/// but polars buffers the shared scan for the slowest query, so its peak grows with the input
/// and jumps in some runs (10M lines, 143 MB of parquet: shared 4.3-4.8 s and 0.72-0.83 GiB in
/// 11 of 12 runs, 1.7 GiB in one; one after another 5.2 s and 0.57 GiB; mapped line by line,
/// shared took 0.8 GiB in one run and 2.6 GiB in the next). A monthly job must not be killed
/// for memory, so only small inputs share the pass. `COSTLENS_LOW_MEMORY=1` forces one query
/// at a time, `=0` the shared pass.
const SEQUENTIAL_ABOVE_BYTES: u64 = 64 << 20;

fn aggregation_pass(sources: &[import::Source]) -> frame::Pass {
    let bytes: u64 = sources
        .iter()
        .filter_map(|s| std::fs::metadata(&s.path).ok())
        .map(|m| m.len())
        .sum();
    let sequential = match std::env::var("COSTLENS_LOW_MEMORY").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => bytes > SEQUENTIAL_ABOVE_BYTES,
    };
    if sequential {
        tracing::info!(bytes, "aggregating one query at a time (lower peak memory)");
        frame::Pass::Sequential
    } else {
        frame::Pass::Shared
    }
}

/// The lines' BilledCost per billing account, billing period and currency: what the
/// invoices of the FOCUS Invoice Detail dataset are reconciled with. A scan of its own, run
/// only when the input has invoices.
fn invoiced_totals(lines: &lines::Lines) -> Result<Vec<analyse::reconcile::LineTotal>> {
    let keys = [
        schema::BILLING_ACCOUNT_ID,
        schema::BILLING_PERIOD_START,
        schema::BILLING_CURRENCY,
    ];
    let rows = lines.rows(&lines::Query {
        keys: &keys,
        attrs: &[],
        facts: false,
        grain: rollup::Grain::Span,
        money: true,
        sums: &[],
        filter: &|_| None,
        flags: &|_| Vec::new(),
    })?;
    let sums = rows
        .group_by(keys.map(polars::prelude::col))
        .agg([polars::prelude::col(schema::BILLED_COST).sum()])
        .collect()
        .map_err(|e| Error::Polars {
            context: "summing the lines per billing account and period".into(),
            source: e,
        })?;
    let accounts = frame::strings(&sums, schema::BILLING_ACCOUNT_ID)?;
    let starts = frame::ints(&sums, schema::BILLING_PERIOD_START)?;
    let currencies = frame::strings(&sums, schema::BILLING_CURRENCY)?;
    let billed = frame::exact_money(&sums, schema::BILLED_COST)?;
    Ok(accounts
        .into_iter()
        .zip(starts)
        .zip(currencies)
        .zip(billed)
        .filter_map(|(((account, start), currency), billed)| {
            Some(analyse::reconcile::LineTotal {
                billing_account_id: account?,
                period_start: start?,
                currency: currency?,
                billed,
            })
        })
        .collect())
}

/// Each FOCUS input's file name, dataset and release, for summary.json.
fn focus_files(sources: &[import::Source]) -> Vec<analyse::FocusFile> {
    sources
        .iter()
        .filter_map(|s| {
            let dataset = match s.format {
                import::Format::FocusCsv | import::Format::FocusParquet => "cost and usage",
                import::Format::FocusDataset(kind) => kind.dataset_name(),
                _ => return None,
            };
            Some(analyse::FocusFile {
                file: s
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                dataset: dataset.into(),
                version: s.focus_version.map(|v| v.label().to_string()),
            })
        })
        .collect()
}

/// Findings saved by `costlens fetch recommendations`.
fn load_recommendations(path: &Path) -> Result<Vec<Finding>> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound { path: path.into() },
        _ => Error::input(path, format!("cannot read: {e}")),
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Error::input(
            path,
            format!("expected the JSON written by `costlens fetch recommendations`: {e}"),
        )
    })
}

pub fn run(request: &Request) -> Result<Outcome> {
    let config = &request.config;
    let started = Instant::now();
    let _lock = Lock::acquire(&config.output_dir, &request.started)?;
    let restored = output::recover(&config.output_dir)?;
    let dataset = import::load_with(&request.inputs, &request.aws)?;
    let (mut dataset_notes, sources) = (dataset.notes, dataset.sources);
    dataset_notes.extend(restored);
    // Mapping every line instead of grouping first gives the same figures, slower: kept
    // reachable so tests can compare the two routes.
    let per_line = std::env::var_os("COSTLENS_PER_LINE").is_some_and(|v| v == "1");
    let lines = lines::Lines::of(dataset.frame, dataset.rollups, per_line);
    // A failed query or check names the bad cell of the input it came from.
    let explain = |e: Error| import::explain(&sources, e);
    let mut ignored_months = Vec::new();
    let period = match &request.period {
        Some(text) => Period::parse(text, request.today)?,
        None => {
            let default = lines.latest_month().map_err(explain)?.ok_or_else(|| {
                Error::Usage(
                    "the input holds no billing lines, so there is no period to report".into(),
                )
            })?;
            ignored_months = default.ignored;
            default.period
        }
    };
    let stray_note = (!ignored_months.is_empty()).then(|| {
        let months: Vec<String> = ignored_months
            .iter()
            .map(|(label, n)| format!("{label} ({n} lines)"))
            .collect();
        format!(
            "the default period is {}, the latest month of the data's bulk; later lines far \
             from it were left out: {} (use --period to report them)",
            period.label,
            months.join(", ")
        )
    });
    if let Some(note) = &stray_note {
        tracing::warn!("{note}");
    }
    let utilization = request
        .utilization
        .as_deref()
        .map(utilization::load)
        .transpose()?;
    let external_findings = request
        .aws_recommendations
        .as_deref()
        .map(load_recommendations)
        .transpose()?
        .unwrap_or_default();
    tracing::info!(period = %period.label, files = sources.len(), "analysing");

    let line_totals = if dataset.supplements.invoices.is_empty() {
        Vec::new()
    } else {
        invoiced_totals(&lines).map_err(explain)?
    };

    // The run history: what of the previous report this run can call resolved. Against a
    // report for another range than the one compared with, only findings whose resource the
    // data bills in the compared range (one small query, before the lines go to the pass).
    let previous_report = store::previous_findings(&config.output_dir, &period);
    let compared = period.previous();
    let billed_in_compared = if previous_report.label.as_deref() == Some(compared.label.as_str()) {
        None
    } else {
        let mut ids: Vec<String> = previous_report
            .findings
            .iter()
            .map(|f| f.resource_id.clone())
            .filter(|id| !id.is_empty())
            .collect();
        ids.sort();
        ids.dedup();
        Some(lines.resources_billed(&ids, &compared).map_err(explain)?)
    };

    let scan = Instant::now();
    let pass = aggregation_pass(&sources);
    let aggs = aggregates::build(lines, &period, config, pass).map_err(explain)?;
    validate::check_instant(schema::CHARGE_PERIOD_END, aggs.data_end, false).map_err(explain)?;
    let (rss, peak) = crate::logging::memory_mib();
    tracing::info!(
        elapsed_ms = scan.elapsed().as_millis() as u64,
        rss_mib = rss,
        peak_rss_mib = peak,
        resources = aggs.resources.len(),
        "scan and aggregates"
    );
    if aggs.usage_lines == 0 && aggs.data_start.is_none() {
        return Err(Error::Usage(format!(
            "the input has no billing lines in the period {} (use --period to pick another)",
            period.label
        )));
    }
    let (previous, mut previous_warnings) =
        store::previous_month(&config.output_dir, &period, &aggs.currency);
    let (report_months, month_warnings) =
        store::monthly_totals(&config.output_dir, &period, &aggs.currency);
    for w in month_warnings {
        if !previous_warnings.contains(&w) {
            previous_warnings.push(w);
        }
    }
    let analysers = Instant::now();
    let mut analysis = analyse::run(
        &aggs,
        config,
        analyse::Inputs {
            utilization: utilization.as_deref(),
            previous_month: previous.as_ref(),
            external_findings,
            supplements: Some(&dataset.supplements),
            line_totals,
            focus_versions: focus_files(&sources),
            no_resource_ids: Some(import::why_no_resource_ids(&sources)),
            report_months,
        },
    );
    analysis.notes.extend(stray_note);
    // Millions of resource rows take a while to free: on the other core, while the report is
    // written.
    let freeing = std::thread::spawn(move || drop(aggs));
    let (rss, peak) = crate::logging::memory_mib();
    tracing::info!(
        elapsed_ms = analysers.elapsed().as_millis() as u64,
        rss_mib = rss,
        peak_rss_mib = peak,
        findings = analysis.findings.len(),
        "analysers"
    );
    let mut run_history = history::compare(
        &mut analysis.findings,
        &previous_report.findings,
        previous_report.label.as_deref(),
        &period,
        billed_in_compared
            .as_ref()
            .map_or(history::Resolvable::All, history::Resolvable::BilledIn),
    );
    previous_warnings.extend(previous_report.warnings);
    run_history.warnings = previous_warnings;
    analysis.history = Some(run_history);
    let writing = Instant::now();
    let report_dir = report::write_report(&analysis, &config.output_dir)?;
    let (rss, peak) = crate::logging::memory_mib();
    tracing::info!(
        elapsed_ms = writing.elapsed().as_millis() as u64,
        rss_mib = rss,
        peak_rss_mib = peak,
        "report written"
    );
    // Dropping plain data cannot fail: there is no error to pass on.
    let _ = freeing.join();
    let gate_breached = analysis
        .gates
        .iter()
        .any(|g| g.status == analyse::gates::GateStatus::Breached);
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        report = %report_dir.display(),
        "done"
    );
    Ok(Outcome {
        report_dir,
        analysis,
        gate_breached,
        notes: dataset_notes,
    })
}

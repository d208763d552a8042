//! The `costlens` binary: parse arguments, run the library, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use costlens::aws::recommendations::{self, RecommendationQuery};
use costlens::cli::{Cli, Command, FetchSource, LogArgs, LogFormat, SummaryFormat};
use costlens::error::{ErrContext, EXIT_ERROR, EXIT_GATE_BREACHED, EXIT_OK};
use costlens::import::cost_explorer::{self, CostQuery};
use costlens::{analyze, config, convert, import, inspect, logging, output, sample, summary};

fn init_logging(args: &LogArgs) {
    let default = match (args.quiet, args.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    logging::init(default, args.log_format == LogFormat::Json);
}

/// What the user should know beside the result (requests paid, files downloaded): stderr,
/// unless --quiet.
fn note(log: &LogArgs, text: &str) {
    if !log.quiet {
        logging::print(tracing::Level::INFO, text, &[]);
    }
}

/// Stdout's reader went away before the result was written (`costlens summary | head -1`):
/// it read what it wanted, so the run is a success, as in other command-line tools.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed by its reader")]
struct StdoutClosed;

/// The command's result on stdout; a closed pipe is [`StdoutClosed`], other failures errors.
fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        other => other.context("writing to stdout"),
    }
}

/// Every breached gate, one line each on stderr whatever the log level: cron mails it, and a
/// log collector reads the figures as numbers under `--log-format json`.
fn report_breaches(gates: &[costlens::analyse::gates::Gate], report_dir: &std::path::Path) {
    let report = report_dir.display().to_string();
    for gate in gates
        .iter()
        .filter(|g| g.status == costlens::analyse::gates::GateStatus::Breached)
    {
        logging::print(
            tracing::Level::WARN,
            &format!(
                "policy gate breached: {}; report: {report}",
                gate.describe()
            ),
            &[
                ("gate", gate.name.into()),
                ("value", gate.value.into()),
                ("threshold", gate.threshold.into()),
                ("report", report.as_str().into()),
            ],
        );
    }
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let log = &cli.log;
    let load = |inputs: &[std::path::PathBuf], aws: &costlens::cli::AwsArgs| {
        let dataset = import::load_with(inputs, &aws.options())?;
        for text in &dataset.notes {
            note(log, text);
        }
        anyhow::Ok(dataset)
    };
    match cli.command {
        Command::Analyze(args) => {
            let mut config = analyze::load_config(args.config.as_deref())?;
            if let Some(out) = args.out {
                config.output_dir = out;
            }
            if args.input.currency.is_some() {
                config.currency = args.input.currency;
            }
            let request = analyze::Request {
                inputs: args.input.inputs,
                aws: args.input.aws.options(),
                config,
                period: args.period,
                utilization: args.utilization,
                aws_recommendations: args.aws_recommendations,
                today: chrono::Utc::now().date_naive(),
                started: chrono::Utc::now().to_rfc3339(),
            };
            let outcome = analyze::run(&request)?;
            for text in &outcome.notes {
                note(log, text);
            }
            if outcome.gate_breached {
                report_breaches(&outcome.analysis.gates, &outcome.report_dir);
            }
            if !cli.log.quiet {
                print_stdout(&format!("{}\n", outcome.report_dir.display()))?;
            }
            if outcome.gate_breached {
                return Ok(EXIT_GATE_BREACHED);
            }
        }
        Command::Init(args) => {
            if args.path.exists() && !args.force {
                anyhow::bail!(
                    "{} already exists (use --force to overwrite)",
                    args.path.display()
                );
            }
            let (text, chosen) = if args.from.is_empty() {
                (config::EXAMPLE.to_string(), Vec::new())
            } else {
                let found = inspect::inspect(&args.from, &args.aws.options())?;
                for text in &found.notes {
                    note(log, text);
                }
                inspect::suggest_config(&found)?
            };
            output::write_file(&args.path, |temp| {
                std::fs::write(temp, &text)
                    .map_err(|e| costlens::Error::io(temp.display().to_string(), e))
            })?;
            if !log.quiet {
                let what = if chosen.is_empty() {
                    "every option with its default, commented".to_string()
                } else {
                    format!("from the data: {}", chosen.join("; "))
                };
                print_stdout(&format!("wrote {}: {what}\n", args.path.display()))?;
            }
        }
        Command::Inspect(args) => {
            let mut found = inspect::inspect(&args.input.inputs, &args.input.aws.options())?;
            if let Some(wanted) = &args.input.currency {
                found
                    .currencies
                    .retain(|c| c.currency.eq_ignore_ascii_case(wanted));
            }
            let text = match args.format {
                SummaryFormat::Json => serde_json::to_string_pretty(&found)? + "\n",
                SummaryFormat::Table => {
                    logging::for_terminal(&inspect::render_table(&found, args.top))
                }
            };
            print_stdout(&text)?;
        }
        Command::Summary(args) => {
            let dataset = load(&args.input.inputs, &args.input.aws)?;
            let s = summary::summarize(dataset.frame, args.input.currency.as_deref(), args.top)
                .map_err(|e| import::explain(&dataset.sources, e))?;
            let text = match args.format {
                SummaryFormat::Json => serde_json::to_string_pretty(&s)? + "\n",
                SummaryFormat::Table => logging::for_terminal(&summary::render_table(&s)),
            };
            print_stdout(&text)?;
        }
        Command::Convert(args) => {
            let dataset = load(&args.inputs, &args.aws)?;
            let options = convert::Options {
                version: args.focus_version,
                billing_periods: &dataset.supplements.billing_periods,
            };
            let rows = convert::write_with(dataset.frame, &args.out, &options)
                .map_err(|e| import::explain(&dataset.sources, e))?;
            tracing::info!(rows, out = %args.out.display(), "converted");
        }
        Command::Sample(args) => {
            let options = sample::SampleOptions {
                rows: args.rows,
                profile: args.profile,
                seed: args.seed,
                last_month: sample::parse_month(&args.month)?,
                months: args.months,
            };
            let manifest = sample::generate(
                &options,
                &args.out,
                args.utilization_out.as_deref(),
                args.manifest_out.as_deref(),
            )?;
            tracing::info!(rows = manifest.rows, out = %args.out.display(), "sample written");
        }
        Command::Fetch(args) => match args.source {
            FetchSource::Ce(args) => {
                let query = CostQuery::new(args.start, args.end, args.granularity, args.group_by)?;
                let (frame, requests) = cost_explorer::fetch(&query, &args.aws.options())?;
                let rows = convert::write(frame, &args.out)?;
                note(log, &requests.to_string());
                tracing::info!(rows, out = %args.out.display(), "fetched");
            }
            FetchSource::Recommendations(args) => {
                let query = RecommendationQuery {
                    term: args.term,
                    payment_option: args.payment_option,
                    lookback: args.lookback,
                    savings_plans_type: args.savings_plans_type,
                    reservation_services: args.reservation_service,
                };
                let (findings, requests) = recommendations::fetch(&args.aws.options(), &query)?;
                let json = serde_json::to_string_pretty(&findings)? + "\n";
                output::write_file(&args.out, |temp| {
                    std::fs::write(temp, &json).err_context(|| format!("{}", temp.display()))
                })?;
                note(log, &requests.to_string());
                tracing::info!(findings = findings.len(), out = %args.out.display(), "fetched");
            }
        },
    }
    Ok(EXIT_OK)
}

/// Polars settings it reads only from the environment, tuned for a large month on a small
/// machine (measured on 10M CUR 2.0 lines, 2 cores, medians of 3):
/// - parquet row groups prefetched per scan: 16 by default; decoded, they set the peak memory
///   (1.3 GiB with the default, 0.9 GiB with 2, in the same time);
/// - groups each thread keeps in its hot table before it evicts partial sums to be merged
///   later: 4096 by default, far fewer than a month's resources. With 2^18: 10M lines 5.25 s
///   and 0.65 GiB instead of 5.47 s and 0.90 GiB; 100M lines 54 s and 3.8 GiB instead of
///   61 s and 6.1 GiB; 1M lines (one shared pass) unchanged. 2^20 saves no more time and
///   makes small inputs slower (its tables are allocated up front).
///
/// Set before any thread exists; a value the user gives wins.
fn tune_polars() {
    const SETTINGS: [(&str, &str); 2] = [
        ("POLARS_ROW_GROUP_PREFETCH_SIZE", "2"),
        ("POLARS_HOT_TABLE_SIZE", "262144"),
    ];
    for (name, value) in SETTINGS {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

/// glibc gives threads their own malloc arenas, and memory one polars thread frees is not
/// reused by another: the peak of a 10M-line month varied from 0.65 to 1.1 GiB between runs
/// (4 of 14 runs near 1 GiB). One arena: 0.53–0.73 GiB over 10 runs, no slower (medians 5.16 s
/// against 5.21 s; 100M lines 52.7 s and 3.7 GiB). `MALLOC_ARENA_MAX` set by the user wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first thing in main, before any other thread exists or allocates.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}

/// A file-size limit (`ulimit -f`) kills a process that writes past it with SIGXFSZ, leaving
/// its temporary folder and lock behind with no message; ignored, the write fails with EFBIG
/// and the run ends through its ordinary error path (one line, temporary files removed, lock
/// released).
#[cfg(unix)]
fn file_size_limit_is_an_error() {
    // SAFETY: setting a signal to SIG_IGN installs no handler code; done before threads start.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

#[cfg(not(unix))]
fn file_size_limit_is_an_error() {}

fn main() -> ExitCode {
    one_malloc_arena();
    file_size_limit_is_an_error();
    tune_polars();
    let cli = Cli::parse();
    init_logging(&cli.log);
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) if e.is::<StdoutClosed>() => ExitCode::from(EXIT_OK as u8),
        Err(e) => {
            // One line, so cron mail and log scrapers see the whole message.
            let line = logging::one_line(e.chain().map(|cause| cause.to_string()));
            logging::print(tracing::Level::ERROR, &line, &[]);
            ExitCode::from(EXIT_ERROR as u8)
        }
    }
}

//! The command line itself: `--help` headings, what `init` says, one line per error with each
//! cause once, and stdout closed early (`| head -1`) as a success.

mod common;

use std::process::{Command, Stdio};

use common::*;

/// The options listed under `heading` in a help text, up to the next heading.
fn options_under(help: &str, heading: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != format!("{heading}:"))
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("--")))
        .map(|w| w.trim_end_matches(',').to_string())
        .collect()
}

#[test]
fn help_lists_each_option_under_its_heading() {
    let dir = tempfile::tempdir().unwrap();
    let help = costlens(&["analyze", "--help"], dir.path()).stdout;
    assert_eq!(
        options_under(&help, "Report"),
        [
            "--config",
            "--out",
            "--period",
            "--utilization",
            "--aws-recommendations"
        ]
    );
    assert_eq!(
        options_under(&help, "AWS"),
        [
            "--profile",
            "--region",
            "--endpoint-url",
            "--max-requests",
            "--cache-dir",
            "--cache-hours"
        ]
    );
    assert_eq!(options_under(&help, "Input"), ["--currency"]);
    assert_eq!(
        options_under(&help, "Logging"),
        ["--verbose...", "--quiet", "--log-format"]
    );
    let help = costlens(&["summary", "--help"], dir.path()).stdout;
    assert_eq!(options_under(&help, "Output"), ["--format", "--top"]);
}

#[test]
fn init_says_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let run = costlens(&["init"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "wrote costlens.toml: every option with its default, commented\n"
    );
    assert!(dir.path().join("costlens.toml").exists());
    let quiet = costlens(&["--quiet", "init", "other.toml"], dir.path());
    assert_eq!((quiet.code, quiet.stdout.as_str()), (0, ""));
}

#[test]
fn an_error_is_one_line_with_each_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "").unwrap();
    let sample = public_sample(FOCUS_SAMPLE);
    let run = costlens(
        &["analyze", sample.to_str().unwrap(), "--out", "file/reports"],
        dir.path(),
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "costlens: error: file/reports: creating: Not a directory (os error 20)\n"
    );
}

/// `costlens summary` with its stdout going to `stdout`.
fn summary_into(stdout: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_costlens"))
        .args(["summary", "--top", "100000"])
        .arg(public_sample(CUR_PARQUET_SAMPLE))
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn stdout_closed_by_its_reader_is_a_success_other_write_errors_are_not() {
    // The reader is gone before the summary is ready (reading the file takes far longer than
    // dropping the pipe), so the write meets a closed pipe.
    let mut child = summary_into(Stdio::piped());
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");

    let full = std::fs::File::create("/dev/full").unwrap();
    let out = summary_into(full.into()).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "costlens: error: writing to stdout: No space left on device (os error 28)\n"
    );
}

#[test]
fn the_systemd_unit_alerts_through_a_notify_unit_that_exists_and_caches_where_it_says() {
    let contrib = root().join("contrib");
    let service = std::fs::read_to_string(contrib.join("costlens.service")).unwrap();
    let setting = |key: &str| -> Vec<String> {
        service
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(String::from)
            .collect()
    };
    assert_eq!(setting("OnFailure"), ["costlens-notify@%n.service"]);
    let notify = std::fs::read_to_string(contrib.join("costlens-notify@.service")).unwrap();
    assert!(
        notify.contains("ExecStart=") && notify.contains("%i"),
        "{notify}"
    );
    assert_eq!(setting("CacheDirectory"), ["costlens"]);
    assert!(setting("Environment").contains(&"COSTLENS_CACHE_DIR=/var/cache/costlens".into()));
    // The cron line relies on --quiet printing breaches and errors only.
    let cron = std::fs::read_to_string(contrib.join("costlens.cron")).unwrap();
    assert!(cron.contains("costlens --quiet analyze") && cron.contains("MAILTO="));
}

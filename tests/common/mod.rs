//! Shared helpers for the integration tests: run the real binary (with the machine's environment,
//! or an isolated one), find the bundled samples.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn public_sample(relative: &str) -> PathBuf {
    root().join("sample-data/public").join(relative)
}

pub const FOCUS_SAMPLE: &str = "focus-1.0/focus_sample.csv";
pub const CUR_CSV_SAMPLE: &str = "cur-legacy-csv/sample-anonymous-aws-export-dataset.csv";
pub const CUR_PARQUET_SAMPLE: &str = "cur-legacy-parquet/Oct2018-WorkshopCUR-00001.snappy.parquet";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn costlens(args: &[&str], cwd: &Path) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_costlens"));
    command.env_remove("RUST_LOG").env_remove("COSTLENS_CONFIG");
    run(command, args, cwd)
}

/// Runs the binary with only `vars` in its environment: nothing of the machine's (no AWS
/// profile, no home folder) can leak into a test.
pub fn costlens_isolated(args: &[&str], cwd: &Path, vars: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_costlens"));
    command.env_clear().envs(vars.iter().copied());
    run(command, args, cwd)
}

fn run(mut command: Command, args: &[&str], cwd: &Path) -> Run {
    let output: Output = command
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the costlens binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `costlens analyze` on the bundled acme month with its configuration and utilisation export,
/// in an environment of only `vars`.
pub fn analyze_acme(cwd: &Path, out: &str, extra: &[&str], vars: &[(&str, &str)]) -> Run {
    let config = root().join("sample-data/acme/costlens.toml");
    analyze_acme_with(cwd, out, &config, extra, vars)
}

/// [`analyze_acme`] with another configuration file.
pub fn analyze_acme_with(
    cwd: &Path,
    out: &str,
    config: &Path,
    extra: &[&str],
    vars: &[(&str, &str)],
) -> Run {
    let acme = root().join("sample-data/acme");
    let (data, utilization) = (acme.join("cur2.parquet"), acme.join("utilization.csv"));
    let mut args = vec![
        "analyze",
        data.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--utilization",
        utilization.to_str().unwrap(),
        "--out",
        out,
    ];
    args.extend(extra);
    costlens_isolated(&args, cwd, vars)
}

/// Configuration that turns roll-ups off, for the tests of single rules: every finding on its
/// own line of findings.csv, however small.
pub const EVERY_FINDING: &str = "\n[report]\nmin_saving = 0.0\n";

/// The bundled acme configuration with `extra` appended, written to `dir/costlens.toml`.
pub fn acme_config(dir: &Path, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("sample-data/acme/costlens.toml")).unwrap();
    let path = dir.join("costlens.toml");
    std::fs::write(&path, text + extra).unwrap();
    path
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts two money figures agree to the cent.
pub fn assert_cents(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 0.005,
        "{what}: {actual} != {expected}"
    );
}

/// A CSV file as rows of header → cell.
pub fn csv_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Every file of a folder, by name.
pub fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Two report folders hold the same files with the same bytes.
pub fn assert_same_files(a: &Path, b: &Path) {
    let (a_files, b_files) = (files(a), files(b));
    assert_eq!(
        a_files.keys().collect::<Vec<_>>(),
        b_files.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &a_files {
        assert!(
            bytes == &b_files[name],
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// The Python with focus-data-toolkit, DuckDB, focus-validator and openpyxl, from
/// `scripts/with-moto`.
pub fn focus_python() -> String {
    std::env::var("COSTLENS_TEST_FOCUS_PYTHON").unwrap_or_else(|_| {
        panic!(
            "COSTLENS_TEST_FOCUS_PYTHON is not set: this test needs focus-data-toolkit, DuckDB \
             focus-validator or openpyxl; run it through scripts/with-moto, which installs them"
        )
    })
}

/// A program of the FOCUS virtual environment beside [`focus_python`] (`focus-toolkit`,
/// `focus-validator`).
pub fn focus_tool(name: &str) -> PathBuf {
    Path::new(&focus_python()).with_file_name(name)
}

/// `python ARGS` with [`focus_python`] in `cwd`: its stdout; a failure fails the test.
pub fn python(args: &[&str], cwd: &Path) -> String {
    run_ok(Path::new(&focus_python()), args, cwd)
}

/// `PROGRAM ARGS` in `cwd`: its stdout; a failure fails the test with its output.
pub fn run_ok(program: &Path, args: &[&str], cwd: &Path) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

//! What costlens prints to the terminal, cron mail and log collectors: the `tracing` setup, the
//! messages printed whatever the log level ([`print`]: errors, breached gates), and every line
//! made safe on its way out. Credentials are masked (AWS access key ids by their
//! shape, and every secret value the run handles, registered with [`register_secret`]); the AWS
//! SDK's credential and signing logs are dropped at every level; control characters that the
//! data carries (terminal escape sequences in a service name or a cost cell) are replaced.

use std::borrow::Cow;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// What a masked credential is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Environment variables whose values are credentials.
const SECRET_VARIABLES: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// Log targets of the AWS SDK that handle credentials or sign with them: their events are
/// dropped whatever `RUST_LOG` says, since their fields and errors can carry a key id, a
/// credential process's stderr or a signed request.
const CREDENTIAL_TARGETS: [&str; 6] = [
    "aws_config::credential_process",
    "aws_config::meta::credentials",
    "aws_config::profile::credentials",
    "aws_config::sso",
    "aws_credential_types",
    "aws_sigv4",
];

fn secrets() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// A credential value this run handles (resolved by the SDK, or from the environment): masked
/// wherever it would be printed from now on.
pub fn register_secret(value: &str) {
    // Shorter values are no credential and would mask ordinary words.
    if value.len() < 8 {
        return;
    }
    let mut all = secrets().lock().unwrap_or_else(|e| e.into_inner());
    if !all.iter().any(|s| s == value) {
        all.push(value.to_string());
        // Longest first, so a secret that contains another is masked whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Prefixes of AWS access key ids (long-term, temporary, and the other credential kinds).
const KEY_ID_PREFIXES: [&str; 4] = ["AKIA", "ASIA", "ABIA", "ACCA"];
const KEY_ID_LEN: usize = 20;

/// `text` with registered secrets and anything shaped like an AWS access key id masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets().lock().unwrap_or_else(|e| e.into_inner()).iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
        }
    }
    if KEY_ID_PREFIXES.iter().any(|p| out.contains(p)) {
        out = Cow::Owned(mask_key_ids(&out));
    }
    out
}

fn mask_key_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let is_id = rest.len() >= KEY_ID_LEN
            && KEY_ID_PREFIXES
                .iter()
                .any(|p| rest.starts_with(p.as_bytes()))
            && rest[4..KEY_ID_LEN]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && !rest
                .get(KEY_ID_LEN)
                .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if is_id {
            out.push_str(REDACTED);
            i += KEY_ID_LEN;
        } else {
            // Copy one whole character (prefixes are ASCII, so ids start on a boundary).
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    out
}

/// Characters a terminal acts on rather than shows: C0 and C1 controls, DEL, and the bidi
/// overrides that reorder what is shown. Newlines and tabs are kept.
fn acts_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text for a terminal or a log: credentials masked, control characters replaced with U+FFFD.
/// With `keep_colour`, SGR colour sequences (`ESC [ digits/; m`, which costlens's own log
/// formatter writes on a terminal) pass; no other escape sequence does.
pub fn for_terminal_with(text: &str, keep_colour: bool) -> String {
    let text = redact(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\u{1b}' && keep_colour {
            let rest = &text[i + 1..];
            let body = rest.strip_prefix('[').map(|r| {
                r.bytes()
                    .take_while(|b| b.is_ascii_digit() || *b == b';')
                    .count()
            });
            if let Some(n) = body.filter(|n| rest[1 + n..].starts_with('m')) {
                out.push_str(&text[i..i + 1 + 1 + n + 1]);
                for _ in 0..(1 + n + 1) {
                    chars.next();
                }
                continue;
            }
        }
        out.push(if acts_on_terminal(c) { '\u{fffd}' } else { c });
    }
    out
}

/// [`for_terminal_with`] for plain text: no escape sequence passes.
pub fn for_terminal(text: &str) -> String {
    for_terminal_with(text, false)
}

/// stderr, with every log line passed through [`for_terminal_with`]. The formatter writes each
/// event in one `write` call, so a line is never split between two checks.
struct SafeStderr {
    colour: bool,
}

impl Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(for_terminal_with(&text, self.colour).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for SafeStderr {
    type Writer = SafeStderr;

    fn make_writer(&'a self) -> SafeStderr {
        SafeStderr {
            colour: self.colour,
        }
    }
}

/// Whether stderr carries JSON lines (`--log-format json`), set once by [`init`].
static JSON_LINES: OnceLock<bool> = OnceLock::new();

/// A message for whoever reads stderr, printed whatever the log level or `RUST_LOG` say
/// (`--quiet` included): an error, a breached gate, what a run paid. That is what cron mails
/// and what a log collector alerts on. As text, one line `costlens: <message>` (`costlens:
/// error: ...` for an error); under `--log-format json`, one JSON object shaped like the log
/// lines (`timestamp`, `level`, `fields` with the message and `fields` as JSON values, numbers
/// as numbers). Credentials are masked and control characters replaced, as in every log line.
pub fn print(level: tracing::Level, message: &str, fields: &[(&str, serde_json::Value)]) {
    let line = if JSON_LINES.get().copied().unwrap_or(false) {
        let mut all = serde_json::Map::new();
        all.insert("message".into(), message.into());
        for (name, value) in fields {
            all.insert((*name).into(), value.clone());
        }
        let event = serde_json::json!({
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "level": level.as_str(),
            "fields": all,
        });
        format!("{event}\n")
    } else if level == tracing::Level::ERROR {
        format!("costlens: error: {message}\n")
    } else {
        format!("costlens: {message}\n")
    };
    // Unbuffered stderr has nowhere else to report a failed write.
    let _ = SafeStderr { colour: false }.write_all(line.as_bytes());
}

/// The process's resident memory now and its peak so far (MiB), for the `-v` log of each
/// stage; `None` where the platform does not say (only Linux's `/proc` does). The peak is
/// never reset: `getrusage`, and so `/usr/bin/time` and the benchmark, read the same counter.
pub fn memory_mib() -> (Option<u64>, Option<u64>) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (None, None);
    };
    let field = |name: &str| -> Option<u64> {
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix(name))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// An error and its causes as one line, each cause once: a cause whose text the line already
/// holds (an I/O error's message repeated by its wrapper) is not added again.
pub fn one_line(causes: impl IntoIterator<Item = String>) -> String {
    let mut line = String::new();
    for cause in causes {
        let cause = cause.lines().map(str::trim).filter(|l| !l.is_empty());
        let cause = cause.collect::<Vec<_>>().join(" ");
        if cause.is_empty() || line.contains(&cause) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&cause);
    }
    line
}

/// Logs on stderr: `default` is costlens's own level when `RUST_LOG` is not set; `json` one
/// JSON object per line. Credential values in the environment are registered first.
pub fn init(default: &str, json: bool) {
    let _ = JSON_LINES.set(json);
    for name in SECRET_VARIABLES {
        if let Ok(value) = std::env::var(name) {
            register_secret(&value);
        }
    }
    let filter = EnvFilter::try_from_default_env()
        // The AWS SDK's own warnings (each failed credential source, with debug dumps) repeat
        // what costlens's one-line error says; RUST_LOG=aws_config=debug shows them.
        .unwrap_or_else(|_| {
            EnvFilter::new(format!(
                "costlens={default},aws_config=error,aws_smithy_runtime=error,warn"
            ))
        });
    let colour = !json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let writer = SafeStderr { colour };
    let layer: Box<dyn Layer<Registry> + Send + Sync> = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(writer)
            .with_target(false)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_target(false)
            .with_ansi(colour)
            .boxed()
    };
    let no_credentials = filter_fn(|meta| {
        !CREDENTIAL_TARGETS
            .iter()
            .any(|t| meta.target().starts_with(t))
    });
    tracing_subscriber::registry()
        .with(layer.with_filter(no_credentials))
        .with(filter)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_and_registered_secrets_are_masked() {
        assert_eq!(
            redact("Credential=AKIAZZZZEXAMPLE12345/20261101/us-east-1"),
            "Credential=[redacted]/20261101/us-east-1"
        );
        // Not an id: too short, or part of a longer word.
        assert_eq!(redact("AKIA123"), "AKIA123");
        assert_eq!(redact("AKIAZZZZEXAMPLE12345X"), "AKIAZZZZEXAMPLE12345X");
        register_secret("s3cr3t-session-token/with+base64==");
        assert_eq!(
            redact("x-amz-security-token: s3cr3t-session-token/with+base64=="),
            "x-amz-security-token: [redacted]"
        );
        register_secret("short");
        assert_eq!(redact("short"), "short");
    }

    #[test]
    fn each_cause_once() {
        let causes = [
            "/r/x: creating: Not a directory (os error 20)",
            "Not a directory (os error 20)",
        ];
        assert_eq!(
            one_line(causes.map(String::from)),
            "/r/x: creating: Not a directory (os error 20)"
        );
        let causes = ["reading bill.csv", "line 3:\n  bad number", ""];
        assert_eq!(
            one_line(causes.map(String::from)),
            "reading bill.csv: line 3: bad number"
        );
    }

    #[test]
    fn control_characters_are_replaced_and_colour_kept_only_when_asked() {
        let hostile = "EC2\u{1b}]0;owned\u{7}\u{1b}[2J\r\u{9b}31m\u{202e}x\ty\n";
        assert_eq!(
            for_terminal(hostile),
            "EC2\u{fffd}]0;owned\u{fffd}\u{fffd}[2J\u{fffd}\u{fffd}31m\u{fffd}x\ty\n"
        );
        let coloured = "\u{1b}[2m2026\u{1b}[0m \u{1b}[33mWARN\u{1b}[0m \u{1b}]8;;x\u{7}";
        assert_eq!(
            for_terminal_with(coloured, true),
            "\u{1b}[2m2026\u{1b}[0m \u{1b}[33mWARN\u{1b}[0m \u{fffd}]8;;x\u{fffd}"
        );
    }
}

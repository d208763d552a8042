//! The library's error type: every failure names the file, and the column and row where known,
//! so a user can find the bad cell without reading a backtrace.

use std::path::PathBuf;

/// Exit code when the report was written and every gate passed.
pub const EXIT_OK: i32 = 0;
/// Exit code when the report was written and at least one policy gate is breached.
pub const EXIT_GATE_BREACHED: i32 = 1;
/// Exit code for any error: bad input, bad config, I/O. Nothing half-written is left behind.
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },

    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },

    /// A file whose header is neither a CUR's nor a FOCUS export's: an error when named as an
    /// input, skipped when found in a directory (a utilisation export beside the bills).
    #[error(
        "{path}: unknown billing format: expected an AWS CUR (lineItem/UnblendedCost or \
         line_item_unblended_cost) or FOCUS (BilledCost, ChargePeriodStart, ...) header"
    )]
    NotBilling { path: PathBuf },

    #[error("{path}: column '{column}': {message}")]
    Column {
        path: PathBuf,
        column: String,
        message: String,
    },

    #[error("{path}: line {line}, column '{column}': expected {expected}, found '{found}'")]
    Cell {
        path: PathBuf,
        line: u64,
        column: String,
        expected: String,
        found: String,
    },

    /// A bad value in a parquet file, by row (1 = the first row of data).
    #[error("{path}: row {row}, column '{column}': expected {expected}, found '{found}'")]
    Row {
        path: PathBuf,
        row: u64,
        column: String,
        expected: String,
        found: String,
    },

    #[error("{0}")]
    Config(String),

    #[error("{0}")]
    Usage(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{context}: {source}")]
    Polars {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },

    #[error("{0}")]
    Aws(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn column(
        path: impl Into<PathBuf>,
        column: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Column {
            path: path.into(),
            column: column.into(),
            message: message.into(),
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Attaches a human context ("reading foo.parquet") to polars and I/O results.
pub trait ErrContext<T> {
    fn err_context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> ErrContext<T> for std::result::Result<T, polars::error::PolarsError> {
    fn err_context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Polars {
            context: context(),
            source,
        })
    }
}

impl<T> ErrContext<T> for std::result::Result<T, std::io::Error> {
    fn err_context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io {
            context: context(),
            source,
        })
    }
}

//! costlens: a FinOps batch job. It reads cloud billing data, builds a few aggregates in one
//! pass, and reports where the money goes and what could be saved.
//!
//! The layers, each depending only on the ones before it (checked by `tests/architecture.rs`):
//!
//! 1. [`import`]: one module per source format (AWS CUR in its CSV, Athena-parquet and 2.0 shapes,
//!    FOCUS from any provider, Cost Explorer, files in S3) into one canonical, FOCUS-aligned
//!    polars schema ([`schema`]), lazily; an importer that can have its own columns grouped
//!    before mapping fills the engine's [`engine::rollup`] contract.
//! 2. [`engine`]: the one aggregation pass ([`engine::aggregates`]) over either route
//!    ([`engine::lines`]), and the classifier ([`engine::classify`]) that turns every provider's
//!    strings into typed line kinds ([`engine::kinds`]). Its output is plain Rust rows.
//! 3. [`analyse`]: pure functions from those rows and the [`config`] to findings and tables:
//!    allocation, usage, rate, trends, budgets, gates, history. No file, network or clock, and no
//!    provider string.
//! 4. [`report`]: the report folder (CSV, PNG charts, HTML, JSON, markdown), written atomically
//!    and deterministically; [`report::store`] also reads back the previous report.
//!
//! Around them: [`analyze`] is the monthly job tying the layers together at the I/O edge;
//! [`summary`], [`inspect`] and [`convert`] are the `summary`, `inspect` and `convert` commands; [`aws`] reaches AWS
//! for the `s3://` and `ce:` inputs and for AWS's own recommendations; [`catalog`] holds the
//! instance and volume prices the rules compare; [`sample`] generates the bundled month; [`order`]
//! sorts rows too big to move cheaply.

pub mod analyse;
pub mod analyze;
pub mod aws;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod convert;
pub mod engine;
pub mod error;
pub mod findings;
pub mod import;
pub mod inspect;
pub mod lock;
pub mod logging;
pub mod money;
pub mod order;
pub mod output;
pub mod period;
pub mod report;
pub mod sample;
pub mod schema;
pub mod summary;
pub mod utilization;

pub use error::{Error, Result};

//! costlens: a FinOps batch job. Importers read cloud billing data into one FOCUS-aligned
//! polars schema ([`schema`]); analysers work only on that schema; reporters write the results.
//!
//! Flow: [`import`] → canonical `LazyFrame` → [`summary`] / [`convert`] (and the analysers).
//! [`aws`] reaches AWS for the `s3://` and `ce:` inputs and for AWS's own recommendations.

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
pub mod lock;
pub mod money;
pub mod output;
pub mod period;
pub mod report;
pub mod sample;
pub mod schema;
pub mod summary;
pub mod utilization;

pub use error::{Error, Result};

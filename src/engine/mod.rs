//! The engine: the one aggregation pass between importers and analysers.
//!
//! Importers end at the canonical schema ([`crate::schema`]) and, where a source can be grouped
//! before it is mapped, at the [`rollup::Rollup`] contract. The engine takes either route
//! ([`lines::Lines`]), builds every aggregate the analysers need in one lazy pass
//! ([`aggregates::build`]), classifies every row once ([`classify`] into [`kinds`]), and hands
//! them over as typed Rust rows ([`aggregates::Aggregates`]). Analysers depend on this module's
//! output only: they never see a file format, an importer, polars or a provider's strings.
//!
//! Modules:
//! - [`rollup`]: the contract an importer fills to have its own columns grouped first.
//! - [`lines`]: the two routes to the lines, and how a query asks for them.
//! - [`aggregates`]: the queries of the pass and the typed rows they become.
//! - [`kinds`] and [`classify`]: what each row is, decided from each provider's strings.
//! - [`currency`]: the one currency a report is in.
//! - [`inventory`]: per-instance views over the resource rows, shared by several analysers.
//! - [`supplements`]: the FOCUS datasets beside cost and usage (commitment terms, invoices,
//!   billing periods) as typed rows.
//! - [`validate`]: what every line must have for a total to be right (currency, start).
//! - [`frame`]: polars plumbing (one pass over several queries, time arithmetic, readers).
//!
//! ## How to add an aggregate
//! 1. Add its row type and a field to [`aggregates::Aggregates`].
//! 2. Describe its query next to the others in [`aggregates`] with a [`lines::Query`] (keys,
//!    attributes, grain, filter, per-line flags): the same description serves the per-line and
//!    the grouped route.
//! 3. Add it to the one `collect_all` call so it shares the pass, and read the collected frame
//!    into rows with the [`frame`] readers. Sort the rows: group-by output has no fixed order.

pub mod aggregates;
pub mod classify;
pub mod currency;
pub mod frame;
pub mod inventory;
pub mod kinds;
pub mod lines;
mod policy;
pub mod rollup;
pub mod supplements;
pub mod validate;

//! The contract an importer fills to have its lines grouped before they are mapped: a faster
//! route to grouped canonical rows for a source that is mapped line by line (the AWS CUR).
//! Group the source's own columns first, then map only the groups onto the canonical schema.
//! Mapping every line (text comparisons, if-then-else on text, tag-key rewriting) costs
//! about two thirds of an analysis; grouping first leaves that work to a few thousand groups.
//!
//! The sums are the same as mapping every line because the mapping is linear in the source's
//! money columns, and everything that chooses between its rules (line type, reservation ARN) or
//! computes a requested canonical column is part of the grouping. Money is summed in integer
//! pico-units, as on the per-line route, so totals are exact and do not depend on the order of
//! the lines.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use polars::prelude::*;

use super::classify::Vocabulary;
use crate::engine::frame;
use crate::schema;

/// How many source lines a grouped row stands for (1 on the per-line route).
pub const LINE_COUNT: &str = "__line_count";

const KEEP: &str = "__keep";

/// The grain of time a grouping keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// None: each group keeps the earliest start and the latest end of its lines.
    Span,
    /// The day of the start (UTC).
    Day,
    /// Start and end as they are.
    Exact,
}

/// What a query needs grouped.
pub struct Grouping<'a> {
    /// Canonical columns the query groups by.
    pub keys: &'a [&'static str],
    /// Canonical columns that are the same on every line of a group (each group keeps the
    /// largest).
    pub attrs: &'a [&'static str],
    pub grain: Grain,
    /// Whether the money columns are needed.
    pub money: bool,
    /// Further canonical money columns summed (the split cost allocation's), beyond
    /// [`schema::MONEY`].
    pub sums: &'a [&'static str],
    /// Lines to keep, over source columns (build it with [`Rollup::column`]).
    pub filter: Option<Expr>,
    /// Per-line flags over source columns, by name: grouped by and kept.
    pub flags: Vec<(&'static str, Expr)>,
}

/// Maps grouped source rows onto the named canonical columns, keeping `keep` as they are.
pub type MapGroups = dyn Fn(LazyFrame, &[&'static str], Vec<Expr>) -> LazyFrame + Send + Sync;

/// A source's lines with what it takes to group them before mapping: filled by the importer
/// (see `import::aws_cur`), read only by the engine.
pub struct Rollup {
    /// The source lines, money in canonical pico-units and the start and end in UTC.
    pub lines: LazyFrame,
    /// Each canonical column computed from one source line.
    pub columns: BTreeMap<&'static str, Expr>,
    /// The source columns each canonical column is computed from.
    pub roots: BTreeMap<&'static str, BTreeSet<PlSmallStr>>,
    /// Source columns summed as money (in pico-units) and as quantities.
    pub money: Vec<PlSmallStr>,
    pub quantities: Vec<PlSmallStr>,
    /// Source columns of the start and end of each line, and list columns (which can only be
    /// grouped by, not reduced).
    pub start: PlSmallStr,
    pub end: PlSmallStr,
    pub lists: BTreeSet<PlSmallStr>,
    pub map: Arc<MapGroups>,
    /// Whose strings the source carries: the classifier's per-line rules and facts read only
    /// the columns that vocabulary has.
    pub vocabulary: Vocabulary,
}

impl Rollup {
    /// The source lines, money in pico-units.
    pub fn lines(&self) -> LazyFrame {
        self.lines.clone()
    }

    /// A canonical column computed on each source line, for filters and flags.
    pub fn column(&self, name: &str) -> Expr {
        self.columns.get(name).cloned().unwrap_or_else(|| lit(NULL))
    }

    fn all_roots<'a>(&'a self, names: &'a [&'static str]) -> impl Iterator<Item = PlSmallStr> + 'a {
        names
            .iter()
            .flat_map(|n| self.roots.get(n).into_iter().flatten().cloned())
    }

    /// The source money columns that `names` are computed from: the only ones a grouping sums.
    fn money_roots(&self, names: &[&'static str]) -> BTreeSet<PlSmallStr> {
        self.all_roots(names)
            .filter(|r| self.money.contains(r))
            .collect()
    }

    fn roots_of<'a>(&'a self, names: &'a [&'static str]) -> impl Iterator<Item = PlSmallStr> + 'a {
        self.all_roots(names).filter(|r| {
            !self.money.contains(r)
                && !self.quantities.contains(r)
                && *r != self.start
                && *r != self.end
        })
    }

    /// The source lines grouped as `grouping` asks, mapped onto the canonical schema: the key
    /// and attribute columns, the money columns (sums), `PricingQuantity` (sum),
    /// `ChargePeriodStart` and `ChargePeriodEnd` (at the grain), [`LINE_COUNT`] and the flags.
    pub fn group(&self, grouping: Grouping) -> LazyFrame {
        let mut lines = self.lines.clone();
        if let Some(filter) = grouping.filter {
            // As a column first: polars then computes what the filter's parts share once (the
            // parts of a text column's mapping, say), which it does not inside a filter.
            lines = lines.with_column(filter.alias(KEEP)).filter(col(KEEP));
        }
        let mut keys: BTreeSet<PlSmallStr> = self.roots_of(grouping.keys).collect();
        if grouping.money {
            keys.extend(self.roots_of(&schema::MONEY));
        }
        keys.extend(self.roots_of(grouping.sums));
        let mut attrs: BTreeSet<PlSmallStr> = self
            .roots_of(grouping.attrs)
            .filter(|r| !keys.contains(r))
            .collect();
        let lists: Vec<PlSmallStr> = attrs.intersection(&self.lists).cloned().collect();
        for list in lists {
            attrs.remove(&list);
            keys.insert(list);
        }

        let mut by: Vec<Expr> = keys.iter().map(|k| col(k.clone())).collect();
        let mut kept: Vec<Expr> = vec![col(LINE_COUNT)];
        for (name, flag) in grouping.flags {
            kept.push(col(name));
            by.push(flag.alias(name));
        }
        let mut aggs: Vec<Expr> = attrs.iter().map(|a| col(a.clone()).max()).collect();
        aggs.push(len().alias(LINE_COUNT));
        aggs.extend(
            self.quantities
                .iter()
                .map(|q| frame::quantity_sum(col(q.clone()))),
        );
        let mut summed = self.money_roots(grouping.sums);
        if grouping.money {
            summed.extend(self.money_roots(&schema::MONEY));
        }
        aggs.extend(summed.into_iter().map(|m| col(m).sum()));
        let (start, end) = (col(self.start.clone()), col(self.end.clone()));
        match grouping.grain {
            Grain::Span => aggs.extend([start.min(), end.max()]),
            Grain::Day => {
                by.push(frame::day_of(start).alias(self.start.clone()));
                aggs.push(end.max());
            }
            Grain::Exact => by.extend([start, end]),
        }
        let grouped = lines.group_by(by).agg(aggs);

        let mut names: Vec<&'static str> = grouping.keys.to_vec();
        names.extend(grouping.attrs);
        names.extend([
            schema::CHARGE_PERIOD_START,
            schema::CHARGE_PERIOD_END,
            schema::PRICING_QUANTITY,
        ]);
        if grouping.money {
            names.extend(schema::MONEY);
        }
        names.extend(grouping.sums);
        (self.map)(grouped, &names, kept)
    }
}

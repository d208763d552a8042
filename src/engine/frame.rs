//! The engine's plumbing over polars: running several lazy queries as one pass, time-of-day
//! arithmetic on epoch milliseconds, and reading collected columns (exact money among them)
//! into plain Rust values.

use polars::prelude::*;

use crate::error::{ErrContext, Result};
use crate::money::Money;
use crate::period::DAY_MS;
use crate::schema;

/// How [`collect_all`] runs several queries over the same input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// One streaming plan: polars merges the queries' common input (common subplan
    /// elimination), so the files are read once. The fastest, but its peak memory grows with
    /// the input (see `analyze::aggregation_pass`).
    Shared,
    /// One query after another, each reading only its own columns: the files are read again
    /// per query: about a quarter slower, with half the peak memory or less.
    Sequential,
}

/// Collects several lazy queries on the streaming engine.
pub fn collect_all(frames: Vec<LazyFrame>, pass: Pass, what: &str) -> Result<Vec<DataFrame>> {
    if tracing::enabled!(tracing::Level::TRACE) {
        for (query, lf) in frames.iter().enumerate() {
            let plan = lf
                .describe_optimized_plan()
                .unwrap_or_else(|e| e.to_string());
            tracing::trace!(query, "{what}: plan\n{plan}");
        }
    }
    if pass == Pass::Sequential {
        return frames
            .into_iter()
            .enumerate()
            .map(|(query, lf)| {
                let started = std::time::Instant::now();
                let out = lf
                    .collect_with_engine(Engine::Streaming)
                    .map(|r| r.unwrap_single())
                    .err_context(|| what.to_string());
                tracing::debug!(
                    query,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "{what}: one query"
                );
                out
            })
            .collect();
    }
    let plans = frames.into_iter().map(|lf| lf.logical_plan).collect();
    LazyFrame::collect_all_with_engine(plans, Engine::Streaming, OptFlags::default())
        .err_context(|| what.to_string())
}

// Where a canonical timestamp falls in its UTC day and week, by integer arithmetic on epoch
// milliseconds: polars' `dt().hour()` and `dt().weekday()` convert every value through chrono,
// 4% of a 10M-line analysis. Polars' integer `%` is a floor modulo, right before 1970 too.

fn epoch_ms(timestamp: Expr) -> Expr {
    timestamp.cast(DataType::Int64)
}

/// Milliseconds since the start of the timestamp's day (UTC).
pub fn ms_into_day(timestamp: Expr) -> Expr {
    epoch_ms(timestamp) % lit(DAY_MS)
}

/// The sum of a quantity column that does not depend on the order polars adds the values in
/// (threads, row groups, evicted partial sums): each value is taken to the money scale (12
/// decimals) and summed exactly, so the same input gives the same report bytes on every run.
pub fn quantity_sum(quantity: Expr) -> Expr {
    quantity.cast(schema::money_dtype()).sum()
}

/// The timestamp's day (UTC midnight), by integer arithmetic: polars' `dt().truncate` checks
/// for overflow in debug builds even on the slots of null values, which hold any number.
pub fn day_of(timestamp: Expr) -> Expr {
    (epoch_ms(timestamp.clone()) - ms_into_day(timestamp)).cast(schema::timestamp_dtype())
}

/// Milliseconds since the start of the timestamp's week, Monday 00:00 (UTC).
pub fn ms_into_week(timestamp: Expr) -> Expr {
    // Day 0, 1970-01-01, was a Thursday: three days after a Monday.
    (epoch_ms(timestamp) + lit(3 * DAY_MS)) % lit(7 * DAY_MS)
}

/// Milliseconds from `start` to `end`.
pub fn duration_ms(start: Expr, end: Expr) -> Expr {
    epoch_ms(end) - epoch_ms(start)
}

/// A summed money column exactly (nulls, from groups without money, are zero).
pub fn exact_money(df: &DataFrame, name: &str) -> Result<Vec<Money>> {
    let column = df
        .column(name)
        .and_then(|c| c.cast(&schema::money_dtype()))
        .err_context(|| format!("reading column {name}"))?;
    Ok(column
        .decimal()
        .err_context(|| format!("reading column {name}"))?
        .physical()
        .iter()
        .map(|v| Money::from_pico(v.unwrap_or(0)))
        .collect())
}

/// A summed money column as f64, for estimates that need no exactness (the sums themselves
/// are exact, see [`exact_money`]).
pub fn money(df: &DataFrame, name: &str) -> Result<Vec<f64>> {
    Ok(exact_money(df, name)?
        .into_iter()
        .map(Money::to_f64)
        .collect())
}

/// A collected column read as text, in one chunk so that rows are read by position without a
/// copy of every value.
pub struct TextColumn(StringChunked);

impl TextColumn {
    pub fn read(df: &DataFrame, name: &str) -> Result<Self> {
        let column = df
            .column(name)
            .and_then(|c| c.cast(&DataType::String))
            .err_context(|| format!("reading column {name}"))?;
        let text = column
            .str()
            .err_context(|| format!("reading column {name}"))?;
        Ok(Self(text.rechunk().into_owned()))
    }

    /// The value of one row (None for null).
    pub fn get(&self, row: usize) -> Option<&str> {
        self.0.get(row)
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> {
        self.0.iter()
    }
}

/// Text values of a collected column (nulls kept).
pub fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    Ok(TextColumn::read(df, name)?
        .iter()
        .map(|v| v.map(String::from))
        .collect())
}

/// Text shared by every row that carries it: a month's millions of resource rows name a few
/// hundred accounts, regions, usage types and tag values, each stored once ([`TextPool`]).
pub type Text = std::sync::Arc<str>;

/// One copy of each distinct text, handed out to every row that carries it.
#[derive(Default)]
pub struct TextPool(foldhash::HashSet<Text>);

impl TextPool {
    pub fn text(&mut self, value: &str) -> Text {
        if let Some(shared) = self.0.get(value) {
            return shared.clone();
        }
        let shared: Text = value.into();
        self.0.insert(shared.clone());
        shared
    }

    /// [`TextPool::text`] of a value that may be null.
    pub fn shared(&mut self, value: Option<&str>) -> Option<Text> {
        value.map(|v| self.text(v))
    }

    /// Each text's place in the sorted order of the pool's texts, so that rows sort by ranks
    /// as they would by their text.
    pub fn ranks(&self) -> TextRanks {
        let mut texts: Vec<&Text> = self.0.iter().collect();
        texts.sort_unstable();
        TextRanks(
            texts
                .into_iter()
                .zip(1..)
                .map(|(text, rank)| (address(text), rank))
                .collect(),
        )
    }
}

/// Where a pooled text lives: one address per distinct text.
fn address(text: &Text) -> usize {
    std::sync::Arc::as_ptr(text) as *const u8 as usize
}

/// [`TextPool::ranks`].
pub struct TextRanks(foldhash::HashMap<usize, u32>);

impl TextRanks {
    /// The rank of a text the pool handed out; no text ranks first (0).
    pub fn of(&self, text: &Option<Text>) -> u32 {
        text.as_ref().map_or(0, |t| self.0[&address(t)])
    }
}

/// Numeric values of a collected column as f64 (nulls kept).
pub fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let column = df
        .column(name)
        .and_then(|c| c.cast(&DataType::Float64))
        .err_context(|| format!("reading column {name}"))?;
    Ok(column
        .f64()
        .err_context(|| format!("reading column {name}"))?
        .iter()
        .collect())
}

/// Integer values of a collected column (nulls kept); timestamps give epoch milliseconds.
pub fn ints(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let column = df
        .column(name)
        .and_then(|c| c.to_physical_repr().cast(&DataType::Int64))
        .err_context(|| format!("reading column {name}"))?;
    Ok(column
        .i64()
        .err_context(|| format!("reading column {name}"))?
        .iter()
        .collect())
}

/// A collected column of key/value lists (a `Tags` column or a parquet MAP), read row by row
/// without a copy of the pairs: a month's millions of resource rows carry tens of millions.
pub struct KeyValueColumn {
    lists: ListChunked,
    /// The entries' keys and values; None when the entries are not key/value structs (every
    /// list then reads as empty).
    entries: Option<(StringChunked, StringChunked)>,
}

impl KeyValueColumn {
    pub fn read(df: &DataFrame, name: &str) -> Result<Self> {
        let column = df
            .column(name)
            .err_context(|| format!("reading column {name}"))?;
        Self::of(column.as_materialized_series()).err_context(|| format!("reading column {name}"))
    }

    pub fn of(series: &Series) -> PolarsResult<Self> {
        // One chunk, so its offsets index the entries of all rows, which are cast once (per
        // row, the struct's fields and their casts cost more than the pairs themselves).
        let lists = series.list()?.rechunk().into_owned();
        let inner = lists.get_inner();
        let fields = inner.struct_()?.fields_as_series();
        let entries = match fields.as_slice() {
            [keys, values] => {
                let text = |s: &Series| -> PolarsResult<StringChunked> {
                    Ok(s.cast(&DataType::String)?.str()?.rechunk().into_owned())
                };
                Some((text(keys)?, text(values)?))
            }
            _ => None,
        };
        Ok(Self { lists, entries })
    }

    /// The pairs of one row (None for a null list); entries with a null key or value are
    /// left out.
    pub fn row(&self, row: usize) -> Option<impl Iterator<Item = (&str, &str)>> {
        let array = self.lists.downcast_iter().next()?;
        if array.validity().is_some_and(|v| !v.get_bit(row)) {
            return None;
        }
        let pairs = self.entries.as_ref().map(|(keys, values)| {
            let (start, end) = array.offsets().start_end(row);
            (start..end).filter_map(|j| Some((keys.get(j)?, values.get(j)?)))
        });
        Some(pairs.into_iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&str, Option<&str>)]) -> Series {
        let keys = Series::new("key".into(), pairs.iter().map(|p| p.0).collect::<Vec<_>>());
        let values = Series::new(
            "value".into(),
            pairs.iter().map(|p| p.1).collect::<Vec<_>>(),
        );
        StructChunked::from_series("entry".into(), pairs.len(), [keys, values].iter())
            .unwrap()
            .into_series()
    }

    #[test]
    fn key_values_read_each_row_of_a_sliced_multi_chunk_list() {
        let rows = [
            Some(entries(&[("skip", Some("me"))])),
            Some(entries(&[
                ("team", Some("web")),
                ("env", None),
                ("cost", Some("1")),
            ])),
            None,
            Some(entries(&[])),
        ];
        let list: ListChunked = rows.into_iter().collect();
        let mut series = list.into_series();
        series.append(&series.clone()).unwrap();
        // Rows 1..=4: a slice whose offsets do not start at 0, over two chunks.
        let sliced = series.slice(1, 4);
        let column = KeyValueColumn::of(&sliced).unwrap();
        let rows: Vec<Option<Vec<(&str, &str)>>> = (0..sliced.len())
            .map(|row| column.row(row).map(Iterator::collect))
            .collect();
        assert_eq!(
            rows,
            vec![
                Some(vec![("team", "web"), ("cost", "1")]),
                None,
                Some(vec![]),
                Some(vec![("skip", "me")]),
            ]
        );
    }

    #[test]
    fn pooled_texts_rank_as_their_text_sorts() {
        let mut pool = TextPool::default();
        let texts: Vec<Option<Text>> = ["m5", "c6g", "m5", "b", "Z", ""]
            .into_iter()
            .map(|t| pool.shared(Some(t)))
            .chain([None])
            .collect();
        let ranks = pool.ranks();
        for a in &texts {
            for b in &texts {
                assert_eq!(ranks.of(a).cmp(&ranks.of(b)), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn quantity_sums_do_not_depend_on_the_order_of_the_values() {
        // In f64, (1e16 + 1) - 1e16 is 0 (1e16 + 1 rounds to 1e16) and (1e16 - 1e16) + 1 is 1.
        let sum = |values: [f64; 3]| {
            let out = df!("q" => values)
                .unwrap()
                .lazy()
                .select([quantity_sum(col("q"))])
                .collect()
                .unwrap();
            floats(&out, "q").unwrap()
        };
        assert_eq!(sum([1e16, 1.0, -1e16]), [Some(1.0)]);
        assert_eq!(sum([1e16, -1e16, 1.0]), [Some(1.0)]);
        assert_eq!(sum([0.1, 0.2, 0.3]), sum([0.3, 0.2, 0.1]));
    }

    #[test]
    fn collect_all_returns_each_query() {
        let lf = df!("a" => [1i64, 2, 3]).unwrap().lazy();
        let out = collect_all(
            vec![
                lf.clone().select([col("a").sum()]),
                lf.select([col("a").max()]),
            ],
            Pass::Shared,
            "test",
        )
        .unwrap();
        assert_eq!(ints(&out[0], "a").unwrap(), vec![Some(6)]);
        assert_eq!(ints(&out[1], "a").unwrap(), vec![Some(3)]);
    }

    #[test]
    fn day_and_week_offsets_agree_with_chrono() {
        use crate::period::HOUR_MS;
        use chrono::{DateTime, Datelike, Timelike};
        // Every hour boundary (and the millisecond either side) of two weeks either side of
        // the epoch, and of four weeks across a year end.
        let mut ms: Vec<i64> = Vec::new();
        for first in [-14 * DAY_MS, 1_798_675_200_000 - 14 * DAY_MS] {
            for hour in 0..28 * 24 {
                let at = first + hour * HOUR_MS;
                ms.extend([at - 1, at, at + 1, at + HOUR_MS / 2]);
            }
        }
        let later: Vec<i64> = ms.iter().map(|m| m + 90_061_001).collect();
        let timestamps = |name: &str, values: &[i64]| {
            Series::new(name.into(), values)
                .cast(&crate::schema::timestamp_dtype())
                .unwrap()
                .into()
        };
        let out = DataFrame::new(
            ms.len(),
            vec![timestamps("start", &ms), timestamps("end", &later)],
        )
        .unwrap()
        .lazy()
        .select([
            ms_into_day(col("start")).alias("day"),
            ms_into_week(col("start")).alias("week"),
            duration_ms(col("start"), col("end")).alias("duration"),
        ])
        .collect()
        .unwrap();
        let (day, week, duration) = (
            ints(&out, "day").unwrap(),
            ints(&out, "week").unwrap(),
            ints(&out, "duration").unwrap(),
        );
        for (i, m) in ms.iter().enumerate() {
            let at = DateTime::from_timestamp_millis(*m).unwrap();
            let into_day = i64::from(at.num_seconds_from_midnight()) * 1000
                + i64::from(at.timestamp_subsec_millis());
            assert_eq!(day[i], Some(into_day), "time of day of {at}");
            let monday_first = i64::from(at.weekday().num_days_from_monday());
            assert_eq!(
                week[i],
                Some(monday_first * DAY_MS + into_day),
                "time in week of {at}"
            );
            assert_eq!(duration[i], Some(90_061_001));
        }
    }
}

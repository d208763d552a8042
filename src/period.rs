//! The reporting period: a UTC interval `[start, end)`. Parsed from `--period` (`last-month`,
//! `this-month`, `YYYY-MM`, `YYYY-MM-DD..YYYY-MM-DD`) against a given "today", or taken from the
//! data (its latest month). The library never reads the clock; the binary passes today in.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::error::{Error, Result};

/// Milliseconds in an hour.
pub const HOUR_MS: i64 = 3_600_000;
/// Milliseconds in a day (UTC days have no leap seconds in epoch time).
pub const DAY_MS: i64 = 86_400_000;

/// The earliest instant billing data may carry: 1970-01-01T00:00:00Z (epoch ms).
pub const EARLIEST_MS: i64 = 0;
/// Where the instants billing data may carry end (exclusive): 10000-01-01T00:00:00Z, so every
/// date has four digits and every instant is one chrono can hold. Importers refuse the rest.
pub const END_OF_TIME_MS: i64 = 253_402_300_800_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Epoch milliseconds, inclusive.
    pub start: i64,
    /// Epoch milliseconds, exclusive.
    pub end: i64,
    /// The folder name and title: `2026-10` or `2026-10-01..2026-10-15`.
    pub label: String,
}

fn ms(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
}

/// The UTC date of an instant; instants outside what importers accept (see
/// [`END_OF_TIME_MS`]) are clamped to it rather than panicking.
fn date_of(ms: i64) -> NaiveDate {
    let ms = ms.clamp(EARLIEST_MS, END_OF_TIME_MS - 1);
    DateTime::<Utc>::from_timestamp_millis(ms).map_or(NaiveDate::MAX, |t| t.date_naive())
}

/// Epoch milliseconds as an ISO-8601 UTC timestamp (`2024-09-01T00:00:00Z`).
pub fn iso_timestamp(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn first_of_month(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).expect("valid month")
}

fn next_month(date: NaiveDate) -> NaiveDate {
    if date.month() == 12 {
        first_of_month(date.year() + 1, 1)
    } else {
        first_of_month(date.year(), date.month() + 1)
    }
}

fn previous_month(date: NaiveDate) -> NaiveDate {
    if date.month() == 1 {
        first_of_month(date.year() - 1, 12)
    } else {
        first_of_month(date.year(), date.month() - 1)
    }
}

impl Period {
    /// The calendar month containing `date`.
    pub fn month_of(date: NaiveDate) -> Period {
        let start = first_of_month(date.year(), date.month());
        Period {
            start: ms(start),
            end: ms(next_month(start)),
            label: start.format("%Y-%m").to_string(),
        }
    }

    /// The calendar month containing the instant `at` (epoch ms).
    pub fn month_containing(at: i64) -> Period {
        Period::month_of(date_of(at))
    }

    pub fn parse(text: &str, today: NaiveDate) -> Result<Period> {
        let bad = || {
            Error::Usage(format!(
                "--period '{text}': expected last-month, this-month, YYYY-MM or \
                 YYYY-MM-DD..YYYY-MM-DD"
            ))
        };
        let text = text.trim();
        match text {
            "this-month" => return Ok(Period::month_of(today)),
            "last-month" => return Ok(Period::month_of(previous_month(today))),
            _ => {}
        }
        if let Some((from, to)) = text.split_once("..") {
            let from = NaiveDate::parse_from_str(from, "%Y-%m-%d").map_err(|_| bad())?;
            let to = NaiveDate::parse_from_str(to, "%Y-%m-%d").map_err(|_| bad())?;
            if to < from {
                return Err(Error::Usage(format!(
                    "--period '{text}': the end is before the start"
                )));
            }
            // Both days are included: the interval ends at midnight after `to`.
            return Ok(Period {
                start: ms(from),
                end: ms(to + Duration::days(1)),
                label: format!("{from}..{to}"),
            });
        }
        let month =
            NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| bad())?;
        if text.len() != 7 {
            return Err(bad());
        }
        Ok(Period::month_of(month))
    }

    pub fn hours(&self) -> f64 {
        (self.end - self.start) as f64 / 3_600_000.0
    }

    pub fn days(&self) -> i64 {
        (self.end - self.start) / DAY_MS
    }

    /// The calendar month before the one this period starts in.
    pub fn previous_month(&self) -> Period {
        Period::month_of(previous_month(date_of(self.start)))
    }

    /// Whether this is one whole calendar month (`2026-10`, or `2026-10-01..2026-10-31`).
    pub fn is_month(&self) -> bool {
        let month = Period::month_containing(self.start);
        (month.start, month.end) == (self.start, self.end)
    }

    /// The period this one is compared with, like for like: the calendar month before a
    /// month; the same number of days just before a range of days (`2026-10-01..2026-10-15`
    /// is compared with `2026-09-16..2026-09-30`).
    pub fn previous(&self) -> Period {
        if self.is_month() {
            return self.previous_month();
        }
        let days = self.days();
        let start = self.start_date() - Duration::days(days);
        let last = self.start_date() - Duration::days(1);
        Period {
            start: ms(start),
            end: self.start,
            label: format!("{start}..{last}"),
        }
    }

    pub fn start_date(&self) -> NaiveDate {
        date_of(self.start)
    }

    /// The last day included.
    pub fn last_date(&self) -> NaiveDate {
        date_of(self.end - 1)
    }

    pub fn contains(&self, at: i64) -> bool {
        at >= self.start && at < self.end
    }
}

/// The default period: the latest month of the data's bulk, and the later months left out.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultPeriod {
    pub period: Period,
    /// Months after the bulk, with their line counts: too few lines, after a gap, to be the
    /// month the data is about (one stray line dated 2099).
    pub ignored: Vec<(String, u64)>,
}

/// A month holding fewer lines than this share of the busiest month's is not part of the
/// data's bulk on its own (a month-to-date first day still has about 1/30 of a month).
const BULK_SHARE: f64 = 0.01;

/// The latest month of the data's bulk, from line counts per line start (epoch ms). Months
/// with at least [`BULK_SHARE`] of the busiest month's lines are the bulk, and so is every
/// month that follows one of them without a gap (a month just begun); later months are left out
/// and listed. None for no lines.
pub fn default_period(lines_by_start: &[(i64, u64)]) -> Option<DefaultPeriod> {
    let mut by_month: std::collections::BTreeMap<i64, (Period, u64)> = Default::default();
    for &(start, lines) in lines_by_start {
        let month = Period::month_containing(start);
        by_month.entry(month.start).or_insert((month, 0)).1 += lines;
    }
    let busiest = by_month.values().map(|(_, n)| *n).max()?;
    let mut latest: Option<&Period> = None;
    let mut ignored = Vec::new();
    for (month, lines) in by_month.values() {
        let follows = latest.is_some_and(|l| l.end == month.start) && ignored.is_empty();
        if *lines as f64 >= BULK_SHARE * busiest as f64 || follows {
            latest = Some(month);
            ignored.clear();
        } else if latest.is_some() {
            ignored.push((month.label.clone(), *lines));
        }
    }
    Some(DefaultPeriod {
        period: latest?.clone(),
        ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn iso_timestamps() {
        assert_eq!(iso_timestamp(1_725_148_800_000), "2024-09-01T00:00:00Z");
        assert_eq!(iso_timestamp(END_OF_TIME_MS - 1), "9999-12-31T23:59:59Z");
        // Out of range: clamped, never a panic.
        assert_eq!(Period::month_containing(i64::MAX).label, "9999-12");
    }

    #[test]
    fn months_and_relative_periods() {
        let today = d(2026, 1, 15);
        let p = Period::parse("2026-10", today).unwrap();
        assert_eq!(p.label, "2026-10");
        assert_eq!(p.hours(), 744.0);
        assert_eq!(p.start, 1_790_812_800_000); // 2026-10-01T00:00:00Z
        assert_eq!(Period::parse("last-month", today).unwrap().label, "2025-12");
        assert_eq!(Period::parse("this-month", today).unwrap().label, "2026-01");
        assert_eq!(Period::parse("2024-02", today).unwrap().days(), 29);
        assert_eq!(
            Period::parse("2026-10", today)
                .unwrap()
                .previous_month()
                .label,
            "2026-09"
        );
    }

    #[test]
    fn ranges_include_both_days() {
        let p = Period::parse("2026-10-01..2026-10-15", d(2026, 1, 1)).unwrap();
        assert_eq!(p.days(), 15);
        assert_eq!(p.last_date(), d(2026, 10, 15));
        assert_eq!(p.label, "2026-10-01..2026-10-15");
    }

    #[test]
    fn the_previous_period_is_like_for_like() {
        let today = d(2026, 1, 1);
        let october = Period::parse("2026-10", today).unwrap();
        assert!(october.is_month());
        assert_eq!(october.previous().label, "2026-09");
        // 15 days are compared with the 15 days before them.
        let half = Period::parse("2026-10-01..2026-10-15", today).unwrap();
        assert!(!half.is_month());
        let before = half.previous();
        assert_eq!(before.label, "2026-09-16..2026-09-30");
        assert_eq!(before.days(), 15);
        assert_eq!(before.end, half.start);
        // A range that happens to be a whole month is that month.
        let whole = Period::parse("2026-10-01..2026-10-31", today).unwrap();
        assert!(whole.is_month());
        assert_eq!(whole.previous().label, "2026-09");
        // Across a year: 1-10 January against 22-31 December.
        let january = Period::parse("2027-01-01..2027-01-10", today).unwrap();
        assert_eq!(january.previous().label, "2026-12-22..2026-12-31");
    }

    #[test]
    fn bad_periods_are_refused() {
        for text in [
            "2026-13",
            "October",
            "2026-10-15..2026-10-01",
            "2026-1",
            "2026-10-01..",
            "",
        ] {
            assert!(Period::parse(text, d(2026, 1, 1)).is_err(), "{text}");
        }
    }

    #[test]
    fn the_default_period_is_the_latest_month_of_the_bulk() {
        let at = |label: &str| Period::parse(label, NaiveDate::MIN).unwrap().start;
        // September's 720 lines, one stray line in 2099: September, 2099-01 reported.
        let stray = [
            (at("2026-09"), 700),
            (at("2026-09") + DAY_MS, 20),
            (at("2099-01"), 1),
        ];
        let d = default_period(&stray).unwrap();
        assert_eq!(d.period.label, "2026-09");
        assert_eq!(d.ignored, vec![("2099-01".to_string(), 1)]);
        // A month just begun (3 lines, right after the bulk) is the default.
        let begun = [(at("2026-09"), 720), (at("2026-10"), 3)];
        assert_eq!(default_period(&begun).unwrap().period.label, "2026-10");
        assert!(default_period(&begun).unwrap().ignored.is_empty());
        // Two stray months in a row after a gap are both left out; a stray month before the
        // bulk does not matter.
        let strays = [
            (at("1999-01"), 1),
            (at("2026-09"), 720),
            (at("2099-01"), 1),
            (at("2099-02"), 1),
        ];
        let d = default_period(&strays).unwrap();
        assert_eq!(d.period.label, "2026-09");
        assert_eq!(d.ignored.len(), 2);
        assert_eq!(default_period(&[]), None);
    }
}

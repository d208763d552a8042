//! Exact money: an amount as a whole number of pico-units (10⁻¹² of the currency) in an
//! `i128`, the same representation as the canonical polars money columns
//! (`Decimal(38, 12)`, see [`crate::schema`]).
//!
//! Why this shape: billing lines carry up to 11 decimals (the FOCUS sample), so 12 keep every
//! digit a source gives; integer sums are exact and give the same total in any order (parallel
//! and streaming aggregation stay deterministic to the byte); and a line is limited to
//! [`LINE_LIMIT`] (10¹⁵ currency units, a billion-dollar line in Iranian rials), so no sum of
//! fewer than 1.7 × 10¹¹ lines can leave the `i128` range, far more lines than any bill has.
//! Anything outside (NaN, ±inf, beyond the limit) is refused where it is read, naming the cell.

use std::fmt;

/// Decimal places kept: amounts are whole pico-units.
pub const SCALE: usize = 12;
/// Pico-units in one unit of the currency.
pub const UNIT: i128 = 10i128.pow(SCALE as u32);
/// Decimal digits of a line's magnitude in whole currency units: a line is below 10¹⁵.
pub const LINE_DIGITS: usize = 15;
/// Pico-units a single line must stay below, in magnitude.
pub const LINE_LIMIT: i128 = 10i128.pow((LINE_DIGITS + SCALE) as u32);

/// An exact amount of money in pico-units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i128);

/// Why a value is not a money amount, for the error that names its cell.
pub fn limit_text() -> String {
    format!("a number, finite and below 10^{LINE_DIGITS} in magnitude")
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_pico(pico: i128) -> Money {
        Money(pico)
    }

    pub fn pico(self) -> i128 {
        self.0
    }

    /// The nearest f64, for estimates (savings, percentages) that need no exactness.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / UNIT as f64
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// A line amount from decimal text as billing files write it (`12.5`, `-0.0000004`,
    /// `4.0E-7`, `+3`), exactly; digits beyond the 12th decimal are rounded half away from
    /// zero. `None` for anything else (`n/a`, `NaN`, `inf`, `1,5`) or beyond [`LINE_LIMIT`].
    pub fn parse_line(text: &str) -> Option<Money> {
        let money = parse_decimal(text.trim())?;
        (money.0.abs() < LINE_LIMIT).then_some(money)
    }

    /// A line amount from an f64 (a parquet DOUBLE): the value its shortest decimal text
    /// says (what the writer meant: 0.1, not 0.1000000000000000055), to 12 decimals. `None`
    /// for NaN, ±inf or beyond [`LINE_LIMIT`].
    pub fn from_f64_line(x: f64) -> Option<Money> {
        // Below this magnitude x × 10¹² is below 2⁵², where an f64 holds every integer and
        // the product is correctly rounded: rounding it gives the nearest pico-unit, which is
        // also what the shortest text says. Above it, the shortest text is exact but costs a
        // formatting; few lines are that large.
        const FAST: f64 = 4_503.599_627_370_496;
        if !x.is_finite() || x.abs() >= 1e15 {
            return None;
        }
        if x.abs() < FAST {
            return Some(Money((x * UNIT as f64).round() as i128));
        }
        Money::parse_line(&format!("{x}"))
    }

    /// Rounded half away from zero to `places` decimals (at most 12), as text: for human
    /// files (`summary.md`, the table of `costlens summary`).
    pub fn round_to(self, places: usize) -> String {
        let places = places.min(SCALE);
        let step = 10i128.pow((SCALE - places) as u32);
        let magnitude = self.0.unsigned_abs() as i128;
        let rounded = (magnitude + step / 2) / step;
        let (whole, fraction) = (
            rounded / 10i128.pow(places as u32),
            rounded % 10i128.pow(places as u32),
        );
        let sign = if self.0 < 0 && rounded != 0 { "-" } else { "" };
        if places == 0 {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{fraction:0places$}")
        }
    }
}

/// Exact decimal text into pico-units (no limit check): sign, digits with at most one `.`,
/// an optional exponent.
fn parse_decimal(text: &str) -> Option<Money> {
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let exponent: i64 = match exponent {
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || digits.len() > 6 || !all_digits(digits) {
                return None;
            }
            e.parse().ok()?
        }
        None => 0,
    };
    // value = digits × 10^shift pico-units.
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    let shift = exponent - fraction.len() as i64 + SCALE as i64;
    let kept = digits.len() as i64 + shift.min(0);
    if digits.is_empty() || kept < 0 {
        // Zero, or less than a tenth of a pico-unit.
        return Some(Money::ZERO);
    }
    let keep = kept as usize;
    let mut pico: i128 = 0;
    for b in digits[..keep].bytes() {
        pico = pico.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    if shift > 0 {
        pico = pico.checked_mul(10i128.checked_pow(u32::try_from(shift).ok()?)?)?;
    } else if digits.as_bytes().get(keep).is_some_and(|d| *d >= b'5') {
        // The first digit dropped decides: half away from zero.
        pico = pico.checked_add(1)?;
    }
    Some(Money(if negative { -pico } else { pico }))
}

impl fmt::Display for Money {
    /// Every digit, no exponent, no trailing zeros: `1234.5`, `-0.000000000001`, `0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = self.0.unsigned_abs();
        let (whole, fraction) = (magnitude / UNIT as u128, magnitude % UNIT as u128);
        let sign = if self.0 < 0 { "-" } else { "" };
        if fraction == 0 {
            return write!(f, "{sign}{whole}");
        }
        let fraction = format!("{fraction:012}");
        write!(f, "{sign}{whole}.{}", fraction.trim_end_matches('0'))
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

/// For differences of two exact figures (an invoice against the lines it covers).
impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0 - other.0)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        self.0 += other.0;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

/// In JSON, a number with every digit (`12345678901.123456789012`), never rounded through
/// f64: readers that want exactness can parse the text.
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.to_string())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        parse_decimal(raw.get().trim_matches('"')).ok_or_else(|| {
            serde::de::Error::custom(format!("expected an amount of money, found {raw}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pico(text: &str) -> Option<i128> {
        Money::parse_line(text).map(Money::pico)
    }

    #[test]
    fn decimal_text_is_read_exactly() {
        assert_eq!(pico("12.5"), Some(12_500_000_000_000));
        assert_eq!(pico(" -0.0000004 "), Some(-400_000));
        assert_eq!(pico("4.0E-7"), Some(400_000));
        assert_eq!(pico("+3"), Some(3 * UNIT));
        assert_eq!(pico(".5"), Some(UNIT / 2));
        assert_eq!(pico("5."), Some(5 * UNIT));
        assert_eq!(pico("0.00000080000"), Some(800_000));
        // 12345678901234.567891 has 20 significant digits: more than an f64 holds.
        assert_eq!(
            pico("12345678901234.567891"),
            Some(12_345_678_901_234_567_891_000_000)
        );
        assert_eq!(pico("1.2e10"), Some(12_000_000_000 * UNIT));
        // The 13th decimal rounds half away from zero.
        assert_eq!(pico("0.0000000000005"), Some(1));
        assert_eq!(pico("-0.0000000000005"), Some(-1));
        assert_eq!(pico("0.0000000000004999"), Some(0));
        assert_eq!(pico("1e-400"), Some(0));
        assert_eq!(pico("5e-14"), Some(0));
        assert_eq!(pico("0e999"), Some(0));
    }

    #[test]
    fn not_money_or_too_large_is_refused() {
        for text in [
            "",
            ".",
            "-",
            "n/a",
            "NaN",
            "nan",
            "inf",
            "-infinity",
            "1,5",
            "0x10",
            "1e",
            "1e+",
            "1.2.3",
            "--1",
            "1e308",
            "1e15",
            "-1000000000000000",
            "1 000",
        ] {
            assert_eq!(pico(text), None, "{text:?}");
        }
        assert!(pico("999999999999999.999999999999").is_some());
    }

    #[test]
    fn doubles_are_read_as_their_shortest_text_says() {
        let of = |x: f64| Money::from_f64_line(x).map(Money::pico);
        assert_eq!(of(0.1), Some(100_000_000_000));
        assert_eq!(of(0.1 + 0.2), Some(300_000_000_000));
        assert_eq!(of(-1.25), Some(-1_250_000_000_000));
        // 12345678901 yen: an odd integer whose product by 10¹² an f64 cannot hold exactly.
        assert_eq!(of(12_345_678_901.0), Some(12_345_678_901 * UNIT));
        assert_eq!(of(12_345_678.9), Some(12_345_678_900_000_000_000));
        assert_eq!(of(4_503.599_627_370_497), pico("4503.599627370497"));
        assert_eq!(of(f64::NAN), None);
        assert_eq!(of(f64::INFINITY), None);
        assert_eq!(of(1e308), None);
        assert_eq!(of(1e15), None);
        assert_eq!(of(-0.0), Some(0));
    }

    #[test]
    fn written_with_every_digit_and_rounded_for_humans() {
        let m = |text: &str| Money::parse_line(text).unwrap();
        assert_eq!(m("1234.5000").to_string(), "1234.5");
        assert_eq!(m("-0.000000000001").to_string(), "-0.000000000001");
        assert_eq!(m("0").to_string(), "0");
        assert_eq!(m("-3").to_string(), "-3");
        assert_eq!(m("2.345").round_to(2), "2.35");
        assert_eq!(m("-2.345").round_to(2), "-2.35");
        assert_eq!(m("-0.001").round_to(2), "0.00");
        assert_eq!(m("9.999").round_to(2), "10.00");
        assert_eq!(m("7.5").round_to(0), "8");
        let sum: Money = ["0.1", "0.2"].iter().map(|t| m(t)).sum();
        assert_eq!(sum.to_string(), "0.3");
    }

    #[test]
    fn json_numbers_keep_every_digit() {
        let m = Money::parse_line("12345678901234.123456789012").unwrap();
        let json = serde_json::to_string(&vec![m]).unwrap();
        assert_eq!(json, "[12345678901234.123456789012]");
        let back: Vec<Money> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![m]);
    }
}

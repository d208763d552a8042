//! Source columns of whatever physical type a writer chose, into the canonical types, exactly.
//! The one place that knows how CUR and FOCUS writers store values (AWS writes doubles,
//! warehouses DECIMAL, some tools integers or dictionary-encoded text):
//! - money: DECIMAL of any precision and scale, integers of any width, floats → pico-units
//!   (`Decimal(38, 12)`, see [`crate::money`]), every line checked against the line limit;
//! - timestamps: any unit (s, ms, µs, ns), with a zone (converted to UTC) or without one (UTC,
//!   as AWS writes them), dates (midnight UTC), text (see [`super::text`]) → UTC milliseconds;
//! - text: plain, large or dictionary-encoded strings → text.

use polars::prelude::*;

use super::text;
use crate::money::{self, Money};
use crate::schema;

/// What a money column may be, for messages.
pub const MONEY_TYPES: &str = "numbers (integers, floats or DECIMAL of up to 38 digits)";

/// Whether a column of this type can hold money (polars holds DECIMAL of up to 38 digits).
pub fn is_money_type(dtype: &DataType) -> bool {
    dtype.is_primitive_numeric()
        || dtype.is_null()
        || matches!(dtype, DataType::Decimal(precision, _) if *precision <= 38)
}

/// The money dtype a single line must fit: below 10¹⁵ in magnitude, 12 decimals.
fn line_dtype() -> DataType {
    DataType::Decimal(money::LINE_DIGITS + money::SCALE, money::SCALE)
}

/// A money column of type `dtype` as canonical pico-units; `None` when the type cannot hold
/// money (text: parsed cell by cell by the text importers instead). A value that is not a
/// finite amount below the line limit fails the query (see `import::diagnose`).
pub fn money(source: Expr, dtype: &DataType) -> Option<Expr> {
    if !is_money_type(dtype) {
        return None;
    }
    let canonical = schema::money_dtype();
    Some(match dtype {
        DataType::Float32 | DataType::Float64 => money_from_floats(source),
        // Exact: integers scale by 10¹², decimals rescale (half to even past the 12th place);
        // a strict cast fails on anything beyond the line limit.
        d if d.is_integer() || d.is_decimal() => source.strict_cast(line_dtype()).cast(canonical),
        DataType::Null => lit(NULL).cast(canonical),
        _ => return None,
    })
}

/// Doubles as the amounts their shortest text says ([`Money::from_f64_line`]), in one pass.
fn money_from_floats(source: Expr) -> Expr {
    source.map(
        |column| {
            let floats = column.cast(&DataType::Float64)?;
            let floats = floats.f64()?;
            let mut pico: Vec<Option<i128>> = Vec::with_capacity(floats.len());
            for value in floats.iter() {
                pico.push(match value {
                    None => None,
                    Some(x) => Some(Money::from_f64_line(x).map(Money::pico).ok_or_else(
                        || polars_err!(ComputeError: "money value {x} is not {}", money::limit_text()),
                    )?),
                });
            }
            let decimal = Int128Chunked::from_iter_options(column.name().clone(), pico.into_iter())
                .into_decimal_unchecked(schema::MONEY_PRECISION, money::SCALE);
            Ok(decimal.into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), schema::money_dtype())),
    )
}

/// A timestamp column of type `dtype` as canonical UTC milliseconds; `None` when the type is
/// not a point in time.
pub fn timestamp(source: Expr, dtype: &DataType) -> Option<Expr> {
    Some(match dtype {
        // Casting keeps the instant: a zone only changes how it is shown, and a naive value is
        // read as UTC.
        DataType::Datetime(..) | DataType::Date => source.cast(schema::timestamp_dtype()),
        DataType::String => text::parse_timestamp(source),
        DataType::Null => lit(NULL).cast(schema::timestamp_dtype()),
        _ => return None,
    })
}

/// A text column (plain, large or dictionary strings) as canonical text.
pub fn text(source: Expr) -> Expr {
    source.cast(DataType::String)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pico(df: DataFrame, dtype: &DataType) -> PolarsResult<Vec<Option<i128>>> {
        let out = df
            .lazy()
            .select([money(col("x"), dtype).unwrap().alias("x")])
            .collect()?;
        Ok(out.column("x")?.decimal()?.physical().iter().collect())
    }

    #[test]
    fn money_of_every_numeric_type_is_exact() {
        let unit = money::UNIT;
        let floats = df!("x" => [Some(0.1), None, Some(-12_345_678_901.0)]).unwrap();
        assert_eq!(
            pico(floats, &DataType::Float64).unwrap(),
            vec![Some(unit / 10), None, Some(-12_345_678_901 * unit)]
        );
        let ints = df!("x" => [7i32, -3]).unwrap();
        assert_eq!(
            pico(ints, &DataType::Int32).unwrap(),
            vec![Some(7 * unit), Some(-3 * unit)]
        );
        // 2⁵³ + 1 as an integer: exact, where a cast through f64 would lose the 1.
        let big = df!("x" => [9_007_199_254_740_993i64 / 1000]).unwrap();
        assert_eq!(
            pico(big, &DataType::Int64).unwrap(),
            vec![Some(9_007_199_254_740 * unit)]
        );
        let decimals = Int128Chunked::from_vec("x".into(), vec![123_456_789_012_345_678, -1])
            .into_decimal_unchecked(24, 12);
        let df = DataFrame::new(2, vec![decimals.into_column()]).unwrap();
        assert_eq!(
            pico(df, &DataType::Decimal(24, 12)).unwrap(),
            vec![Some(123_456_789_012_345_678), Some(-1)]
        );
    }

    #[test]
    fn money_beyond_the_line_limit_fails_the_query() {
        for (df, dtype) in [
            (df!("x" => [1.0, f64::NAN]).unwrap(), DataType::Float64),
            (df!("x" => [f64::INFINITY]).unwrap(), DataType::Float64),
            (df!("x" => [1e308]).unwrap(), DataType::Float64),
            (df!("x" => [i64::MAX]).unwrap(), DataType::Int64),
        ] {
            assert!(pico(df, &dtype).is_err(), "{dtype}");
        }
    }
}

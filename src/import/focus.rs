//! FinOps Foundation FOCUS 1.0–1.2 exports (CSV or parquet) from any provider. Column names are
//! already canonical; the work is in types: text money and timestamps in CSV, and `Tags` as a
//! JSON object (or, in AWS's parquet export, a map).

use std::path::Path;

use polars::prelude::*;

use super::{keep_present_tags, materialize, text, typed};
use crate::error::{ErrContext, Error, Result};
use crate::schema::{self, Kind};

/// Columns without which a file is not a usable FOCUS export.
const REQUIRED: &[&str] = &[
    schema::BILLED_COST,
    schema::EFFECTIVE_COST,
    schema::BILLING_CURRENCY,
    schema::CHARGE_PERIOD_START,
    schema::CHARGE_CATEGORY,
];

pub fn is_focus<'a>(mut names: impl Iterator<Item = &'a str>) -> bool {
    let mut has_cost = false;
    let mut has_period = false;
    for name in names.by_ref() {
        has_cost |= name.eq_ignore_ascii_case(schema::BILLED_COST);
        has_period |= name.eq_ignore_ascii_case(schema::CHARGE_PERIOD_START);
    }
    has_cost && has_period
}

/// File column name for each canonical column it has, matched case-insensitively (Athena
/// lower-cases FOCUS names).
pub(super) fn match_columns(file_names: &[String]) -> Vec<(&'static schema::Column, String)> {
    schema::COLUMNS
        .iter()
        .filter_map(|c| {
            file_names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(c.name))
                .map(|n| (c, n.clone()))
        })
        .collect()
}

fn check_required(path: &Path, matched: &[(&schema::Column, String)]) -> Result<()> {
    for required in REQUIRED {
        if !matched.iter().any(|(c, _)| c.name == *required) {
            return Err(Error::column(
                path,
                *required,
                "required FOCUS column is missing",
            ));
        }
    }
    Ok(())
}

pub fn load_csv(path: &Path) -> Result<LazyFrame> {
    let df = text::read_all_text(path)?;
    let names: Vec<String> = df
        .get_column_names_owned()
        .into_iter()
        .map(|n| n.to_string())
        .collect();
    let matched = match_columns(&names);
    check_required(path, &matched)?;
    for (column, name) in &matched {
        match column.kind {
            Kind::Money => text::check_money(&df, path, name)?,
            Kind::Quantity => text::check_numbers(&df, path, name)?,
            Kind::Timestamp => text::check_timestamps(&df, path, name)?,
            Kind::Tags => check_tags(&df, path, name)?,
            Kind::Text => {}
        }
        if [schema::BILLING_CURRENCY, schema::CHARGE_PERIOD_START].contains(&column.name) {
            text::check_present(&df, path, name)?;
        }
    }
    let projection = schema::project(|canonical| {
        let (column, name) = matched.iter().find(|(c, _)| c.name == canonical)?;
        let source = col(name.as_str());
        Some(match column.kind {
            Kind::Money => text::parse_money(source),
            Kind::Quantity => text::parse_number(source),
            Kind::Timestamp => text::parse_timestamp(source),
            Kind::Tags => tags_from_json(source),
            Kind::Text => source,
        })
    });
    materialize(df.lazy().select(projection), path)
}

pub fn load_parquet(path: &Path, scan: LazyFrame, file_schema: &Schema) -> Result<LazyFrame> {
    let names: Vec<String> = file_schema.iter_names().map(|n| n.to_string()).collect();
    let matched = match_columns(&names);
    check_required(path, &matched)?;
    let mut sources = Vec::with_capacity(matched.len());
    for (column, name) in &matched {
        let source = col(name.as_str());
        let dtype = file_schema.get(name).unwrap_or(&DataType::Null);
        let typed = match (column.kind, dtype) {
            (Kind::Money, DataType::String) => Some(text::parse_money(source)),
            (Kind::Money, _) => typed::money(source, dtype),
            (Kind::Quantity, d) => (typed::is_money_type(d) || d.is_string()).then_some(source),
            (Kind::Timestamp, _) => typed::timestamp(source, dtype),
            (Kind::Tags, DataType::String) => Some(tags_from_json(source)),
            (Kind::Tags, _) => Some(tags_from_map(source)),
            (Kind::Text, _) => Some(typed::text(source)),
        };
        let expected = match column.kind {
            Kind::Money | Kind::Quantity => typed::MONEY_TYPES,
            Kind::Timestamp => "timestamps",
            Kind::Tags | Kind::Text => "text",
        };
        let typed = typed.ok_or_else(|| {
            Error::column(
                path,
                name.as_str(),
                format!("expected {expected}, found a column of type {dtype}"),
            )
        })?;
        sources.push((column.name, typed));
    }
    let projection = schema::project(|canonical| {
        sources
            .iter()
            .find(|(name, _)| *name == canonical)
            .map(|(_, expr)| expr.clone())
    });
    Ok(scan.select(projection))
}

/// A MAP of tags (AWS's FOCUS parquet export) into the canonical list; AWS user tags lose
/// their `user:` prefix, as they do from JSON.
fn tags_from_map(source: Expr) -> Expr {
    let key = element().struct_().field_by_index(0).cast(DataType::String);
    let key = when(key.clone().str().starts_with(lit("user:")))
        .then(key.clone().str().slice(lit(5), lit(NULL)))
        .otherwise(key);
    let value = element().struct_().field_by_index(1).cast(DataType::String);
    keep_present_tags(source.list().eval(as_struct(vec![
        key.alias(schema::TAG_KEY),
        value.alias(schema::TAG_VALUE),
    ])))
}

/// Separators that cannot occur in tag text, used to hand parsed JSON back to polars.
const ENTRY_SEP: char = '\u{1e}';
const KEY_SEP: char = '\u{1f}';

/// A FOCUS `Tags` JSON object as `(key, value)` pairs. Valueless tags (`true`) and numbers keep
/// their JSON text; null values are dropped. Accepts the Azure EA quirk of an object without
/// its outer braces.
fn parse_tags_json(text: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let braced;
    let json = if trimmed.starts_with('{') {
        trimmed
    } else {
        braced = format!("{{{trimmed}}}");
        &braced
    };
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not a JSON object ({e})"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("not a JSON object".into());
    };
    let mut pairs = Vec::with_capacity(map.len());
    for (key, value) in map {
        let value = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        let key = key.strip_prefix("user:").unwrap_or(&key).to_string();
        pairs.push((key, value));
    }
    Ok(pairs)
}

fn check_tags(df: &DataFrame, path: &Path, column: &str) -> Result<()> {
    let values = df
        .column(column)
        .and_then(|c| c.str().cloned())
        .err_context(|| path.display().to_string())?;
    for (row, cell) in values.iter().enumerate() {
        if let Some(cell) = cell {
            if let Err(problem) = parse_tags_json(cell) {
                return Err(Error::Cell {
                    path: path.into(),
                    line: row as u64 + 2,
                    column: column.into(),
                    expected: format!("a JSON object of tags, but it is {problem}"),
                    found: cell.into(),
                });
            }
        }
    }
    Ok(())
}

/// JSON text into the canonical list of {key, value}.
fn tags_from_json(source: Expr) -> Expr {
    let encoded = source.map(
        |column| {
            let text = column.str()?;
            let encoded: StringChunked = text
                .iter()
                .map(|cell| {
                    cell.map(|cell| {
                        let pairs = parse_tags_json(cell).map_err(
                            |problem| polars_err!(ComputeError: "Tags value '{cell}' is {problem}"),
                        )?;
                        Ok(pairs
                            .iter()
                            .map(|(k, v)| format!("{k}{KEY_SEP}{v}"))
                            .collect::<Vec<_>>()
                            .join(&ENTRY_SEP.to_string()))
                    })
                    .transpose()
                })
                .collect::<PolarsResult<_>>()?;
            Ok(encoded.with_name(column.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    );
    let pair = element()
        .str()
        .split_exact(lit(KEY_SEP.to_string()), 1)
        .struct_()
        .rename_fields([schema::TAG_KEY, schema::TAG_VALUE]);
    keep_present_tags(
        encoded
            .str()
            .split(lit(ENTRY_SEP.to_string()))
            .list()
            .eval(pair),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_json_shapes() {
        assert_eq!(
            parse_tags_json(r#"{"env": "prod", "user:team": "a", "flag": true, "gone": null}"#)
                .unwrap(),
            vec![
                ("env".to_string(), "prod".to_string()),
                ("flag".to_string(), "true".to_string()),
                ("team".to_string(), "a".to_string()),
            ]
        );
        assert_eq!(
            parse_tags_json(r#""CostCenter": "1234","env": "prod""#)
                .unwrap()
                .len(),
            2
        );
        assert!(parse_tags_json("[1,2]").is_err());
        assert!(parse_tags_json("{oops").is_err());
    }

    #[test]
    fn tags_from_json_builds_the_canonical_list() {
        let df = df!("Tags" => [Some(r#"{"a": "1", "b": "2"}"#), None, Some("{}")]).unwrap();
        let out = df
            .lazy()
            .select([tags_from_json(col("Tags"))
                .cast(schema::tags_dtype())
                .alias("t")])
            .collect()
            .unwrap();
        let first = out
            .column("t")
            .unwrap()
            .list()
            .unwrap()
            .get_as_series(0)
            .unwrap();
        let pairs = first.struct_().unwrap();
        let keys: Vec<_> = pairs
            .field_by_name("key")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .map(String::from)
            .collect();
        let values: Vec<_> = pairs
            .field_by_name("value")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .map(String::from)
            .collect();
        assert_eq!(keys, vec!["a", "b"]);
        assert_eq!(values, vec!["1", "2"]);
        let lens: Vec<_> = out
            .column("t")
            .unwrap()
            .list()
            .unwrap()
            .lst_lengths()
            .iter()
            .collect();
        assert_eq!(lens, vec![Some(2), None, Some(0)]);
    }
}

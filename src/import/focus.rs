//! FinOps Foundation FOCUS 1.0–1.4 cost-and-usage exports (CSV or parquet) from any provider.
//! Column names are already canonical; the work is in the version (detected from the columns
//! and recorded on every line as `x_FocusVersion`), the 1.3/1.4 renames (ServiceProviderName
//! and HostProviderName stand in for ProviderName and PublisherName), types (text money and
//! timestamps in CSV, DECIMAL or floats in parquet, `Tags` as a JSON object or a map), and the
//! columns costlens does not use, kept as `x_` text columns so `convert` writes them out again.

use std::path::Path;

use polars::prelude::*;

use super::{
    entry_list_field, keep_present_tags, materialize, tag_entry, tags_from_entries, text, typed,
};
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

/// A FOCUS release, as a file's columns show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FocusVersion {
    V1_0,
    V1_1,
    V1_2,
    V1_3,
    V1_4,
}

impl FocusVersion {
    pub fn label(self) -> &'static str {
        match self {
            FocusVersion::V1_0 => "1.0",
            FocusVersion::V1_1 => "1.1",
            FocusVersion::V1_2 => "1.2",
            FocusVersion::V1_3 => "1.3",
            FocusVersion::V1_4 => "1.4",
        }
    }
}

/// Cost-and-usage columns each release added (FOCUS spec, `specification/columns` of each tag).
const ADDED: &[(FocusVersion, &[&str])] = &[
    (
        FocusVersion::V1_1,
        &[
            "CapacityReservationId",
            "CapacityReservationStatus",
            "CommitmentDiscountQuantity",
            "CommitmentDiscountUnit",
            "ServiceSubcategory",
            "SkuMeter",
            "SkuPriceDetails",
        ],
    ),
    (
        FocusVersion::V1_2,
        &[
            "BillingAccountType",
            "SubAccountType",
            "InvoiceId",
            "PricingCurrency",
            "PricingCurrencyContractedUnitPrice",
            "PricingCurrencyEffectiveCost",
            "PricingCurrencyListUnitPrice",
        ],
    ),
    (
        FocusVersion::V1_3,
        &[
            "ServiceProviderName",
            "HostProviderName",
            "ContractApplied",
            "AllocatedMethodId",
            "AllocatedMethodDetails",
            "AllocatedResourceId",
            "AllocatedResourceName",
            "AllocatedTags",
        ],
    ),
    (
        FocusVersion::V1_4,
        &["InvoiceDetailId", "CommitmentProgramEligibilityDetails"],
    ),
];

/// 1.3 added these as the successors of ProviderName and PublisherName, and 1.4 dropped the
/// old names: a file without the old column is read through the new one.
const SUCCESSORS: &[(&str, &str)] = &[
    (schema::PROVIDER_NAME, "ServiceProviderName"),
    (schema::PUBLISHER_NAME, "HostProviderName"),
];

fn has(names: &[String], wanted: &str) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(wanted))
}

/// The release a cost-and-usage file was written in: the newest whose added columns it has
/// (a 1.3 file without its deprecated ProviderName is 1.4).
pub fn version_of(names: &[String]) -> FocusVersion {
    let newest = ADDED
        .iter()
        .rev()
        .find(|(_, added)| added.iter().any(|c| has(names, c)))
        .map_or(FocusVersion::V1_0, |(version, _)| *version);
    if newest == FocusVersion::V1_3 && !has(names, schema::PROVIDER_NAME) {
        FocusVersion::V1_4
    } else {
        newest
    }
}

/// The name a column costlens does not use keeps through `convert`: FOCUS custom columns
/// start with `x_`, so others (a newer release's columns, a provider's own) get the prefix.
pub fn extra_name(name: &str) -> String {
    if name.len() >= 2 && name[..2].eq_ignore_ascii_case("x_") {
        name.to_string()
    } else {
        format!("x_{name}")
    }
}

/// The file's columns that match no canonical column, as (file name, kept name); two that
/// would keep one name are an error.
fn extra_columns(path: &Path, file_names: &[String]) -> Result<Vec<(String, String)>> {
    let mut extras: Vec<(String, String)> = Vec::new();
    for name in file_names {
        if schema::COLUMNS
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(name))
        {
            continue;
        }
        let kept = extra_name(name);
        if let Some((other, _)) = extras.iter().find(|(_, k)| k.eq_ignore_ascii_case(&kept)) {
            return Err(Error::column(
                path,
                name.as_str(),
                format!("'{other}' and '{name}' would both be kept as '{kept}'; keep one"),
            ));
        }
        extras.push((name.clone(), kept));
    }
    Ok(extras)
}

/// File column name for each canonical column it has, matched case-insensitively (Athena
/// lower-cases FOCUS names). Two file columns for one canonical column (`BilledCost` and
/// `billedcost`) are an error: which one holds the figures would be a guess.
pub(super) fn match_columns(
    path: &Path,
    file_names: &[String],
) -> Result<Vec<(&'static schema::Column, String)>> {
    let mut matched = Vec::new();
    for c in schema::COLUMNS {
        if c.name == schema::X_FOCUS_VERSION {
            // Detected from the columns, never taken from a cell.
            continue;
        }
        let mut names = file_names.iter().filter(|n| n.eq_ignore_ascii_case(c.name));
        let Some(first) = names.next() else {
            let successor = SUCCESSORS
                .iter()
                .filter(|(old, _)| *old == c.name)
                .find_map(|(_, new)| file_names.iter().find(|n| n.eq_ignore_ascii_case(new)));
            if let Some(successor) = successor {
                matched.push((c, successor.clone()));
            }
            continue;
        };
        if let Some(second) = names.next() {
            return Err(Error::column(
                path,
                c.name,
                format!("the file has it twice ('{first}' and '{second}'); keep one"),
            ));
        }
        matched.push((c, first.clone()));
    }
    Ok(matched)
}

fn check_required(path: &Path, matched: &[(&schema::Column, String)]) -> Result<()> {
    for required in REQUIRED {
        if !matched.iter().any(|(c, _)| c.name == *required) {
            return Err(Error::column(
                path,
                *required,
                "the columns match no FOCUS version (1.0 to 1.4): this mandatory \
                 cost-and-usage column is missing",
            ));
        }
    }
    Ok(())
}

/// What a FOCUS cost-and-usage file was read as.
pub struct Loaded {
    pub frame: LazyFrame,
    pub version: FocusVersion,
    /// Columns kept beside the canonical ones, by their kept name, in file order.
    pub extras: Vec<String>,
}

pub fn load_csv(path: &Path) -> Result<Loaded> {
    let df = text::read_all_text(path)?;
    let names: Vec<String> = df
        .get_column_names_owned()
        .into_iter()
        .map(|n| n.to_string())
        .collect();
    let matched = match_columns(path, &names)?;
    check_required(path, &matched)?;
    let version = version_of(&names);
    let extras = extra_columns(path, &names)?;
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
    let mut projection = schema::project(|canonical| {
        if canonical == schema::X_FOCUS_VERSION {
            return Some(lit(version.label()));
        }
        let Some((column, name)) = matched.iter().find(|(c, _)| c.name == canonical) else {
            return instance_type_from_details(canonical, &matched, |name: &str| col(name));
        };
        let source = col(name.as_str());
        Some(match column.kind {
            Kind::Money => text::parse_money(source),
            Kind::Quantity => text::parse_number(source),
            Kind::Timestamp => text::parse_timestamp(source),
            Kind::Tags => tags_from_json(source),
            Kind::Text => source,
        })
    });
    projection.extend(
        extras
            .iter()
            .map(|(name, kept)| schema::null_if_empty(col(name.as_str())).alias(kept.as_str())),
    );
    Ok(Loaded {
        frame: materialize(df.lazy().select(projection), path)?,
        version,
        extras: extras.into_iter().map(|(_, kept)| kept).collect(),
    })
}

pub fn load_parquet(path: &Path, scan: LazyFrame, file_schema: &Schema) -> Result<Loaded> {
    let names: Vec<String> = file_schema.iter_names().map(|n| n.to_string()).collect();
    let matched = match_columns(path, &names)?;
    check_required(path, &matched)?;
    let version = version_of(&names);
    let extras = extra_columns(path, &names)?;
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
            // A map column (AWS's parquet export writes SkuPriceDetails as one) becomes the
            // JSON text FOCUS defines, so every later reader sees one shape.
            (Kind::Text, DataType::List(_)) => Some(json_object_text(source)),
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
    let as_text = |name: &str| match file_schema.get(name) {
        Some(DataType::List(_)) => json_object_text(col(name)),
        _ => typed::text(col(name)),
    };
    let mut projection = schema::project(|canonical| {
        if canonical == schema::X_FOCUS_VERSION {
            return Some(lit(version.label()));
        }
        sources
            .iter()
            .find(|(name, _)| *name == canonical)
            .map(|(_, expr)| expr.clone())
            .or_else(|| instance_type_from_details(canonical, &matched, as_text))
    });
    projection.extend(
        extras
            .iter()
            .map(|(name, kept)| schema::null_if_empty(as_text(name)).alias(kept.as_str())),
    );
    Ok(Loaded {
        frame: scan.select(projection),
        version,
        extras: extras.into_iter().map(|(_, kept)| kept).collect(),
    })
}

/// `x_InstanceType` for a file without one: the `InstanceType` property of SkuPriceDetails,
/// where FOCUS 1.1+ exports name the VM size. `text` reads a file column as JSON text.
fn instance_type_from_details(
    canonical: &str,
    matched: &[(&'static schema::Column, String)],
    text: impl Fn(&str) -> Expr,
) -> Option<Expr> {
    if canonical != schema::X_INSTANCE_TYPE {
        return None;
    }
    let (_, details) = matched
        .iter()
        .find(|(c, _)| c.name == schema::SKU_PRICE_DETAILS)?;
    Some(json_property(text(details), "InstanceType"))
}

/// One property of a JSON object in a text column, as text (null where absent or not JSON:
/// SkuPriceDetails is descriptive, so a malformed one does not stop the import).
fn json_property(source: Expr, key: &'static str) -> Expr {
    source.map(
        move |column| {
            let text = column.str()?;
            let values: StringChunked = text
                .iter()
                .map(|cell| {
                    let value: serde_json::Value = serde_json::from_str(cell?).ok()?;
                    match value.get(key)? {
                        serde_json::Value::String(s) => Some(s.clone()),
                        serde_json::Value::Null => None,
                        other => Some(other.to_string()),
                    }
                })
                .collect();
            Ok(values.with_name(column.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}

/// A key/value list (a parquet MAP) as the text of a JSON object with string values.
fn json_object_text(source: Expr) -> Expr {
    source.map(
        |column| {
            let series = column.as_materialized_series();
            let lists = crate::engine::frame::KeyValueColumn::of(series)?;
            let text: StringChunked = (0..series.len())
                .map(|row| {
                    lists.row(row).map(|entries| {
                        let object: serde_json::Map<String, serde_json::Value> = entries
                            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.into())))
                            .collect();
                        serde_json::Value::Object(object).to_string()
                    })
                })
                .collect();
            Ok(text.with_name(column.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
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

/// JSON text into the canonical list of {key, value}, each row's tags handed to polars as
/// [`super::tag_entry`] texts: no character in a key or value (JSON can carry any, U+001E and
/// U+001F included) can split one tag into two.
fn tags_from_json(source: Expr) -> Expr {
    let entries = source.map(
        |column| {
            let text = column.str()?;
            let mut lists =
                ListStringChunkedBuilder::new(column.name().clone(), text.len(), text.len() * 2);
            for cell in text.iter() {
                let Some(cell) = cell else {
                    lists.append_null();
                    continue;
                };
                let pairs = parse_tags_json(cell).map_err(
                    |problem| polars_err!(ComputeError: "Tags value '{cell}' is {problem}"),
                )?;
                let entries: Vec<String> = pairs.iter().map(|(k, v)| tag_entry(k, v)).collect();
                lists.append_values_iter(entries.iter().map(String::as_str));
            }
            Ok(lists.finish().into_column())
        },
        |_, field| Ok(entry_list_field(field)),
    );
    tags_from_entries(entries)
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

    /// Each cell through [`tags_from_json`] and the canonical tag type: its (key, value) pairs,
    /// None for a null cell.
    fn parsed(cells: &[Option<&str>]) -> Vec<Option<Vec<(String, String)>>> {
        let out = df!("Tags" => cells)
            .unwrap()
            .lazy()
            .select([tags_from_json(col("Tags"))
                .cast(schema::tags_dtype())
                .alias("t")])
            .collect()
            .unwrap();
        let lists = out.column("t").unwrap().list().unwrap().clone();
        (0..lists.len())
            .map(|i| {
                let row = lists.get_as_series(i)?;
                let pairs = row.struct_().unwrap();
                let text = |name: &str| -> Vec<String> {
                    let field = pairs.field_by_name(name).unwrap();
                    let values = field.str().unwrap();
                    values.iter().flatten().map(String::from).collect()
                };
                Some(text("key").into_iter().zip(text("value")).collect())
            })
            .collect()
    }

    #[test]
    fn tags_from_json_builds_the_canonical_list() {
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            parsed(&[Some(r#"{"a": "1", "b": "2"}"#), None, Some("{}")]),
            vec![
                Some(vec![pair("a", "1"), pair("b", "2")]),
                None,
                Some(vec![])
            ]
        );
        // JSON-escaped record and unit separators stay inside the key or value they are in.
        let forged = r#"{"team": "a\u001eenvironment\u001fprod", "ké\u001fy": "v"}"#;
        assert_eq!(
            parsed(&[Some(forged)]),
            vec![Some(vec![
                pair("ké\u{1f}y", "v"),
                pair("team", "a\u{1e}environment\u{1f}prod")
            ])]
        );
    }
}

//! AWS CUR 2.0 (Data Exports) parquet: a fixed snake_case schema in which `product` and
//! `resource_tags` are MAP columns (polars reads them as lists of {key, value}). Tag keys come
//! as `user_<key>` / `aws_<key>`.

use std::path::Path;

use polars::prelude::*;

use super::aws_cur::{self, CurColumns};
use super::{check_parquet_columns, keep_present_tags};
use crate::engine::rollup::Rollup;
use crate::error::{Error, Result};
use crate::schema;

const PRODUCT_MAP: &str = "product";
const TAGS_MAP: &str = "resource_tags";

fn is_map(dtype: Option<&DataType>) -> bool {
    matches!(dtype, Some(DataType::List(inner)) if matches!(inner.as_ref(), DataType::Struct(fields) if fields.len() == 2))
}

/// CUR 2.0 keeps `product` or `resource_tags` as maps; the legacy CUR never does.
pub fn is_cur2(file_schema: &Schema) -> bool {
    is_map(file_schema.get(PRODUCT_MAP)) || is_map(file_schema.get(TAGS_MAP))
}

/// `user_team` → `team`, `aws_createdBy` → `aws:createdBy`, inside the map.
fn canonical_tags() -> Expr {
    let key = element().struct_().field_by_index(0).cast(DataType::String);
    let value = element().struct_().field_by_index(1).cast(DataType::String);
    let key = when(key.clone().str().starts_with(lit("user_")))
        .then(key.clone().str().slice(lit(5), lit(NULL)))
        .when(key.clone().str().starts_with(lit("aws_")))
        .then(concat_str(
            [lit("aws:"), key.clone().str().slice(lit(4), lit(NULL))],
            "",
            false,
        ))
        .otherwise(key);
    keep_present_tags(col(TAGS_MAP).list().eval(as_struct(vec![
        key.alias(schema::TAG_KEY),
        value.alias(schema::TAG_VALUE),
    ])))
}

/// The canonical frame, and the lines prepared for grouping first when they allow it.
pub fn load(
    path: &Path,
    scan: LazyFrame,
    file_schema: &Schema,
) -> Result<(LazyFrame, Option<Rollup>)> {
    check_parquet_columns(
        path,
        file_schema,
        aws_cur::REQUIRED_COLUMNS,
        aws_cur::NUMERIC_COLUMNS,
    )?;
    if file_schema.contains(TAGS_MAP) && !is_map(file_schema.get(TAGS_MAP)) {
        return Err(Error::column(
            path,
            TAGS_MAP,
            "expected a MAP<string,string> column",
        ));
    }
    let cur = CurColumns {
        schema: file_schema,
        product_map: is_map(file_schema.get(PRODUCT_MAP)).then_some(PRODUCT_MAP),
        summed_money: false,
    };
    let tags = file_schema.contains(TAGS_MAP).then(canonical_tags);
    let rollup = aws_cur::rollup(scan.clone(), file_schema, cur.product_map, tags.clone());
    Ok((aws_cur::to_canonical(scan, &cur, tags), rollup))
}

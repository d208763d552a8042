//! AWS legacy Cost and Usage Report as Athena writes it to parquet: snake_case columns and one
//! `resource_tags_user_<key>` / `resource_tags_aws_<key>` column per tag. Stays lazy, so only
//! the columns the analysis needs are read.

use std::path::Path;

use polars::prelude::*;

use super::aws_cur::{self, CurColumns};
use super::{check_parquet_columns, normalize_aws_tag_key, tags_from_columns};
use crate::engine::rollup::Rollup;
use crate::error::Result;

const TAG_PREFIX: &str = "resource_tags_";

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
    let tag_columns: Vec<(String, String)> = file_schema
        .iter_names()
        .filter_map(|name| {
            let raw_key = name.strip_prefix(TAG_PREFIX)?;
            Some((normalize_aws_tag_key(raw_key), name.to_string()))
        })
        .collect();
    let cur = CurColumns {
        schema: file_schema,
        product_map: None,
        summed_money: false,
    };
    let tags = tags_from_columns(&tag_columns);
    let rollup = aws_cur::rollup(scan.clone(), file_schema, None, tags.clone());
    Ok((aws_cur::to_canonical(scan, &cur, tags), rollup))
}

//! Importers: billing files of every supported format into the canonical schema.
//!
//! The format is detected from the file itself (parquet schema or CSV header), never from a
//! flag or a file name. A directory, a glob or several files are read as one dataset; each file
//! is mapped on its own, so schema drift between parts (a tag column in one month only) is fine.
//!
//! AWS inputs are accepted beside local ones: `s3://bucket/prefix/` is downloaded into the cache
//! folder and then read like a local folder ([`s3`]); `ce:PERIOD` is fetched from Cost Explorer
//! ([`cost_explorer`]).
//!
//! ## How to add an importer
//! 1. Add a [`Format`] variant and a module that maps the source's columns onto
//!    [`crate::schema::project`], keeping the money rules of the source in that one mapping.
//! 2. Detect it in `load_file` from the parquet schema or the CSV header (never the file name).
//! 3. Bad input is an [`Error`] naming the file and, where known, column and row: check numbers
//!    and timestamps before they are summed. If the source can be grouped before it is mapped
//!    (a fast route for large inputs), also return a [`crate::engine::rollup::Rollup`].
//! 4. Test it with a real sample in `sample-data/` and totals computed by another engine.

mod aws_cur;
pub mod cost_explorer;
mod cur2;
mod cur_csv;
mod cur_parquet;
mod diagnose;
mod discover;
pub mod focus;
pub mod focus_datasets;
pub mod s3;
mod text;
mod typed;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;

pub use diagnose::explain;
pub use discover::expand_inputs;
pub(crate) use discover::is_billing_file_name;

use crate::aws::AwsOptions;
use crate::engine::{self, rollup};
use crate::error::{ErrContext, Error, Result};
use crate::schema;

/// A billing file format costlens understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// AWS legacy CUR as CSV (`lineItem/UnblendedCost`), plain or gzip.
    CurCsv,
    /// AWS legacy CUR as Athena parquet (`line_item_unblended_cost`, a column per tag).
    CurParquet,
    /// AWS CUR 2.0 (Data Exports) parquet: fixed schema, `resource_tags` and `product` maps.
    Cur2Parquet,
    /// FOCUS 1.0–1.4 cost-and-usage CSV from any provider, plain or gzip.
    FocusCsv,
    /// FOCUS 1.0–1.4 cost-and-usage parquet from any provider.
    FocusParquet,
    /// A FOCUS dataset beside cost and usage (contract commitments, billing periods,
    /// invoices): no cost lines of its own.
    FocusDataset(focus_datasets::DatasetKind),
    /// AWS Cost Explorer (GetCostAndUsage): costs by period and group, no resources.
    CostExplorer,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::CurCsv => "AWS CUR (legacy CSV)",
            Format::CurParquet => "AWS CUR (legacy parquet)",
            Format::Cur2Parquet => "AWS CUR 2.0 parquet",
            Format::FocusCsv => "FOCUS CSV",
            Format::FocusParquet => "FOCUS parquet",
            Format::FocusDataset(kind) => kind.label(),
            Format::CostExplorer => "AWS Cost Explorer",
        }
    }

    /// Whether lines name resources (ResourceId) and their hours; Cost Explorer's do not.
    pub fn has_resources(self) -> bool {
        self != Format::CostExplorer
    }

    /// Why data of this format names no resource, and what to change where it is exported.
    pub fn missing_resource_ids(self) -> &'static str {
        match self {
            Format::CostExplorer => {
                "not available from Cost Explorer data, which has no resource ids; \
                 a Cost and Usage Report (CUR 2.0 or legacy) with resource IDs has them"
            }
            Format::CurCsv | Format::CurParquet => {
                "this Cost and Usage Report was exported without resource IDs: turn on \
                 \"Include resource IDs\" in its settings (AWS Billing and Cost Management, Cost \
                 and Usage Reports, Edit), and the months exported after that carry them"
            }
            Format::Cur2Parquet => {
                "this CUR 2.0 export was created without resource IDs: turn on \"Include \
                 resource IDs\" in its settings (AWS Billing and Cost Management, Data Exports, \
                 Edit; INCLUDE_RESOURCES = TRUE in its table configuration), and the months \
                 exported after that carry them"
            }
            Format::FocusCsv | Format::FocusParquet | Format::FocusDataset(_) => {
                "its ResourceId column is empty: data from Cost Explorer (as `costlens fetch ce` \
                 writes it) has none, they are not available from Cost Explorer data; a \
                 provider's FOCUS export has them when exported with resource ids (for AWS, a \
                 CUR 2.0 export with \"Include resource IDs\")"
            }
        }
    }
}

/// Why none of `sources` names a resource: each format's reason once, in the order met.
pub fn why_no_resource_ids(sources: &[Source]) -> String {
    let mut reasons: Vec<&str> = Vec::new();
    for s in sources {
        let reason = s.format.missing_resource_ids();
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    reasons.join("; ")
}

/// What an analyser that needs resources or hours reports for a dataset without them.
pub const NOT_FROM_COST_EXPLORER: &str = "not available from Cost Explorer data";

/// One input file and what it was detected as.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub format: Format,
    /// The FOCUS release of a FOCUS file, as its columns show it.
    pub focus_version: Option<focus::FocusVersion>,
}

/// The canonical frame over every input, and where it came from.
pub struct Dataset {
    pub frame: LazyFrame,
    /// The same lines prepared for grouping before mapping, one per file, when every file
    /// allows it (see [`rollup`]).
    pub rollups: Option<Vec<rollup::Rollup>>,
    pub sources: Vec<Source>,
    /// What the user should know about the inputs (requests paid, files downloaded), one line
    /// each, for stderr.
    pub notes: Vec<String>,
    /// The FOCUS datasets beside cost and usage found among the inputs.
    pub supplements: focus_datasets::Supplements,
}

impl Dataset {
    /// Whether every line can name its resource; analysers that need resources or hours say
    /// [`NOT_FROM_COST_EXPLORER`] when not.
    pub fn has_resources(&self) -> bool {
        self.sources.iter().all(|s| s.format.has_resources())
    }
}

/// Reads every input (files, directories, globs, `s3://` and `ce:` inputs) as one canonical
/// dataset, reaching AWS through the standard chain and the default cost guard.
pub fn load(inputs: &[PathBuf]) -> Result<Dataset> {
    load_with(inputs, &AwsOptions::default())
}

/// [`load`], with the AWS options (profile, region, endpoint, cost guard, cache) given.
pub fn load_with(inputs: &[PathBuf], aws: &AwsOptions) -> Result<Dataset> {
    if inputs.is_empty() {
        return Err(Error::Usage("no input given".into()));
    }
    let mut local = Vec::new();
    let mut frames = Vec::new();
    let mut sources = Vec::new();
    let mut notes = Vec::new();
    let mut rollups = Some(Vec::new());
    let mut supplements = focus_datasets::Supplements::default();
    // Columns some file keeps beside the canonical ones, in order of first appearance.
    let mut extras: Vec<Vec<String>> = Vec::new();
    for input in inputs {
        let text = input.to_string_lossy();
        if let Some(location) = s3::S3Location::from_input(&text) {
            let downloaded = s3::download(&location?, aws)?;
            local.extend(downloaded.files);
            notes.push(downloaded.note);
        } else if let Some(query) = cost_explorer::CostQuery::from_input(&text) {
            let (frame, requests) = cost_explorer::fetch(&query?, aws)?;
            frames.push(frame);
            extras.push(Vec::new());
            rollups = None;
            sources.push(Source {
                path: input.clone(),
                format: Format::CostExplorer,
                focus_version: None,
            });
            notes.push(requests.to_string());
        } else {
            local.push(input.clone());
        }
    }
    if !local.is_empty() {
        // Files named as inputs must be billing data; files found in a folder or by a glob
        // that clearly are not (no CUR or FOCUS header) are skipped and said so.
        let named: Vec<&PathBuf> = local.iter().filter(|p| p.is_file()).collect();
        let mut skipped = Vec::new();
        for path in expand_inputs(&local)? {
            let loaded = match load_file(&path, &mut supplements) {
                Err(Error::NotBilling { .. }) if !named.contains(&&path) => {
                    tracing::info!(file = %path.display(), "skipped: not billing data");
                    notes.push(format!(
                        "skipped {}: not billing data (no AWS CUR or FOCUS header)",
                        path.display()
                    ));
                    skipped.push(path);
                    continue;
                }
                other => other?,
            };
            tracing::debug!(
                file = %path.display(),
                format = loaded.format.label(),
                focus_version = loaded.focus_version.map(|v| v.label()),
                "detected"
            );
            if let Some(lines) = loaded.lines {
                frames.push(lines.frame);
                extras.push(lines.extras);
                rollups = rollups.zip(lines.rollup).map(|(mut all, one)| {
                    all.push(one);
                    all
                });
            }
            sources.push(Source {
                path,
                format: loaded.format,
                focus_version: loaded.focus_version,
            });
        }
        if frames.is_empty() && !skipped.is_empty() {
            let names: Vec<String> = skipped.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::Usage(format!(
                "no billing data among the inputs: {} (no AWS CUR or FOCUS header)",
                names.join(", ")
            )));
        }
    }
    if frames.is_empty() {
        return Err(Error::Usage(
            "the input holds no cost-and-usage lines (only FOCUS contract commitment, billing \
             period or invoice datasets): add the cost-and-usage files they belong to"
                .into(),
        ));
    }
    let frame = combine(frames, &extras)?;
    Ok(Dataset {
        frame,
        rollups,
        sources,
        notes,
        supplements,
    })
}

/// One frame over every file's lines: the canonical columns, then every kept column any file
/// has (text, null where a file lacks it), so files of different FOCUS versions or providers
/// combine.
fn combine(mut frames: Vec<LazyFrame>, extras: &[Vec<String>]) -> Result<LazyFrame> {
    let mut all: Vec<&str> = Vec::new();
    for name in extras.iter().flatten() {
        if !all.contains(&name.as_str()) {
            all.push(name);
        }
    }
    if frames.len() == 1 && extras[0].len() == all.len() {
        return Ok(frames.pop().expect("one frame"));
    }
    let aligned: Vec<LazyFrame> = frames
        .into_iter()
        .zip(extras)
        .map(|(frame, own)| {
            let mut columns: Vec<Expr> = schema::COLUMNS.iter().map(|c| col(c.name)).collect();
            columns.extend(all.iter().map(|name| {
                if own.iter().any(|o| o == name) {
                    col(*name)
                } else {
                    lit(NULL).cast(DataType::String).alias(*name)
                }
            }));
            frame.select(columns)
        })
        .collect();
    concat(aligned, UnionArgs::default()).err_context(|| "combining the input files".into())
}

/// What the first bytes of a file say about it.
pub(crate) enum Sniffed {
    Parquet(SchemaRef),
    Text { header: Vec<String> },
}

/// What one file was read as.
struct LoadedFile {
    format: Format,
    focus_version: Option<focus::FocusVersion>,
    /// Its billing lines; None for a FOCUS dataset without any (read into the supplements).
    lines: Option<FileLines>,
}

struct FileLines {
    frame: LazyFrame,
    rollup: Option<rollup::Rollup>,
    extras: Vec<String>,
}

impl LoadedFile {
    fn lines(format: Format, frame: LazyFrame, rollup: Option<rollup::Rollup>) -> Self {
        LoadedFile {
            format,
            focus_version: None,
            lines: Some(FileLines {
                frame,
                rollup,
                extras: Vec::new(),
            }),
        }
    }

    fn focus(format: Format, loaded: focus::Loaded) -> Self {
        LoadedFile {
            format,
            focus_version: Some(loaded.version),
            lines: Some(FileLines {
                frame: loaded.frame,
                rollup: None,
                extras: loaded.extras,
            }),
        }
    }
}

fn load_file(path: &Path, supplements: &mut focus_datasets::Supplements) -> Result<LoadedFile> {
    let sniffed = sniff(path)?;
    let names: Vec<String> = match &sniffed {
        Sniffed::Parquet(file_schema) => file_schema.iter_names().map(|n| n.to_string()).collect(),
        Sniffed::Text { header } => header.clone(),
    };
    if let Some(kind) = focus_datasets::DatasetKind::of(&names) {
        focus_datasets::load(path, &sniffed, kind, supplements)?;
        return Ok(LoadedFile {
            format: Format::FocusDataset(kind),
            focus_version: None,
            lines: None,
        });
    }
    match &sniffed {
        Sniffed::Parquet(file_schema) => {
            let scan = scan_parquet(path)?;
            if file_schema.contains(aws_cur::UNBLENDED_COST) {
                if cur2::is_cur2(file_schema) {
                    let (frame, rollup) = cur2::load(path, scan, file_schema)?;
                    Ok(LoadedFile::lines(Format::Cur2Parquet, frame, rollup))
                } else {
                    let (frame, rollup) = cur_parquet::load(path, scan, file_schema)?;
                    Ok(LoadedFile::lines(Format::CurParquet, frame, rollup))
                }
            } else if focus::is_focus(names.iter().map(String::as_str)) {
                let loaded = focus::load_parquet(path, scan, file_schema)?;
                Ok(LoadedFile::focus(Format::FocusParquet, loaded))
            } else {
                Err(unknown_format(path, &names))
            }
        }
        Sniffed::Text { header } => {
            if cur_csv::is_cur_csv(header) {
                Ok(LoadedFile::lines(
                    Format::CurCsv,
                    cur_csv::load(path)?,
                    None,
                ))
            } else if focus::is_focus(header.iter().map(String::as_str)) {
                Ok(LoadedFile::focus(Format::FocusCsv, focus::load_csv(path)?))
            } else {
                Err(unknown_format(path, &names))
            }
        }
    }
}

/// How many FOCUS column names make a file FOCUS data, when it is none of the datasets.
const FOCUS_LOOKALIKE_COLUMNS: usize = 3;

fn unknown_format(path: &Path, names: &[String]) -> Error {
    let focus_like = names
        .iter()
        .filter(|n| {
            schema::COLUMNS
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(n))
        })
        .count();
    if focus_like >= FOCUS_LOOKALIKE_COLUMNS {
        return Error::input(
            path,
            "FOCUS columns, but they match no FOCUS version (1.0 to 1.4) or dataset: cost and \
             usage needs BilledCost and ChargePeriodStart, contract commitments \
             ContractCommitmentId, invoices InvoiceDetailId or InvoiceIssueDate, billing periods \
             BillingPeriodStatus",
        );
    }
    Error::NotBilling { path: path.into() }
}

pub(crate) fn scan_parquet(path: &Path) -> Result<LazyFrame> {
    let pl_path = PlRefPath::try_from_path(path).err_context(|| format!("{}", path.display()))?;
    LazyFrame::scan_parquet(pl_path, ScanArgsParquet::default())
        .err_context(|| format!("{}: reading parquet", path.display()))
}

const PARQUET_MAGIC: &[u8] = b"PAR1";
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];

/// The file's name must not contradict its content: a `.parquet` that is text, or a `.csv`
/// that is a parquet or gzip file, is refused rather than read as something else.
fn check_name_matches(path: &Path, is_parquet: bool, is_gzip: bool) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let content = if is_parquet {
        "a parquet file"
    } else if is_gzip {
        "a gzip file"
    } else {
        "not parquet or gzip (text?)"
    };
    let contradicts = (name.ends_with(".parquet") && !is_parquet)
        || (name.ends_with(".gz") && !is_gzip)
        || (name.ends_with(".csv") && (is_parquet || is_gzip));
    if contradicts {
        let ext = name.rsplit('.').next().unwrap_or_default();
        return Err(Error::input(
            path,
            format!("named .{ext} but its content is {content}"),
        ));
    }
    Ok(())
}

fn sniff(path: &Path) -> Result<Sniffed> {
    let mut file = File::open(path).err_context(|| format!("{}: opening", path.display()))?;
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut file, &mut magic).err_context(|| format!("{}", path.display()))?;
    if n == 0 {
        return Err(Error::input(path, "empty file"));
    }
    let is_parquet = &magic[..n] == PARQUET_MAGIC;
    let is_gzip = magic.starts_with(GZIP_MAGIC);
    check_name_matches(path, is_parquet, is_gzip)?;
    if is_parquet {
        let scan = scan_parquet(path)?;
        let schema = scan
            .clone()
            .collect_schema()
            .map_err(|e| Error::input(path, format!("not a readable parquet file: {e}")))?;
        // From the footer: an empty file is refused here, not converted to an empty dataset.
        let rows = scan
            .select([len()])
            .collect()
            .map_err(|e| Error::input(path, format!("not a readable parquet file: {e}")))?;
        if engine::frame::ints(&rows, "len")?
            .first()
            .copied()
            .flatten()
            == Some(0)
        {
            return Err(Error::input(path, "no data rows (an empty parquet file)"));
        }
        return Ok(Sniffed::Parquet(schema));
    }
    text::check_is_text(path, is_gzip)?;
    let header = text::read_header(path, is_gzip)?;
    Ok(Sniffed::Text { header })
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Maps a CSV file's text cells to the canonical schema once, in memory: later passes then read
/// typed columns instead of re-parsing text.
fn materialize(canonical: LazyFrame, path: &Path) -> Result<LazyFrame> {
    let canonical = canonical
        .collect()
        .err_context(|| format!("{}: mapping to the canonical schema", path.display()))?;
    Ok(canonical.lazy())
}

/// Required columns must exist, and money columns must hold numbers: a parquet file with text
/// in a cost column is refused rather than summed as zero.
fn check_parquet_columns(
    path: &Path,
    file_schema: &Schema,
    required: &[&str],
    numeric: &[&str],
) -> Result<()> {
    for name in required {
        if !file_schema.contains(name) {
            return Err(Error::column(path, *name, "required column is missing"));
        }
    }
    for name in numeric {
        if let Some(dtype) = file_schema.get(name) {
            if !typed::is_money_type(dtype) {
                return Err(Error::column(
                    path,
                    *name,
                    format!(
                        "expected {}, found a column of type {dtype}",
                        typed::MONEY_TYPES
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Width of the key length that starts each encoded tag entry (see [`tag_entry`]).
const KEY_LENGTH_DIGITS: u64 = 10;

/// One tag as the text entry importers hand to polars: `<key length, 10 digits><key><value>`.
/// The key's length, not a separator, says where it ends, so no character in a key or value
/// can split one tag into two.
fn tag_entry(key: &str, value: &str) -> String {
    format!(
        "{:0width$}{key}{value}",
        key.chars().count(),
        width = KEY_LENGTH_DIGITS as usize
    )
}

/// A list of [`tag_entry`] texts into the canonical list of {key, value}, keeping only the
/// tags with a value.
fn tags_from_entries(entries: Expr) -> Expr {
    let key_length = element()
        .str()
        .slice(lit(0u64), lit(KEY_LENGTH_DIGITS))
        .cast(DataType::UInt64);
    let key = element()
        .str()
        .slice(lit(KEY_LENGTH_DIGITS), key_length.clone());
    let value = element()
        .str()
        .slice(key_length + lit(KEY_LENGTH_DIGITS), lit(NULL));
    keep_present_tags(entries.list().eval(as_struct(vec![
        key.alias(schema::TAG_KEY),
        value.alias(schema::TAG_VALUE),
    ])))
}

/// The output type of a function that builds [`tag_entry`] lists.
fn entry_list_field(field: &Field) -> Field {
    Field::new(
        field.name().clone(),
        DataType::List(Box::new(DataType::String)),
    )
}

/// Tags from one column per tag (legacy CUR): `(tag key, column name)` pairs into the canonical
/// list of {key, value}, keeping only the tags a line actually has. Each line's tags are
/// gathered in one pass over its cells (a list expression per tag column made a 200-column
/// file 45 times slower), so the work grows with the cells, not faster.
fn tags_from_columns(pairs: &[(String, String)]) -> Option<Expr> {
    if pairs.is_empty() {
        return None;
    }
    let keys: Vec<String> = pairs.iter().map(|(key, _)| key.clone()).collect();
    let values = as_struct(
        pairs
            .iter()
            .map(|(_, column)| col(column.as_str()).cast(DataType::String))
            .collect(),
    );
    let entries = values.map(
        move |column| {
            let fields = column.struct_()?.fields_as_series();
            let texts: Vec<StringChunked> = fields
                .iter()
                .map(|f| f.str().map(|t| t.rechunk().into_owned()))
                .collect::<PolarsResult<_>>()?;
            let rows = column.len();
            let mut lists = ListStringChunkedBuilder::new(column.name().clone(), rows, rows);
            let mut line = Vec::new();
            for row in 0..rows {
                line.clear();
                for (key, text) in keys.iter().zip(&texts) {
                    if let Some(value) = text.get(row).filter(|v| !v.trim().is_empty()) {
                        line.push(tag_entry(key, value));
                    }
                }
                lists.append_values_iter(line.iter().map(String::as_str));
            }
            Ok(lists.finish().into_column())
        },
        |_, field| Ok(entry_list_field(field)),
    );
    Some(tags_from_entries(entries))
}

/// Drops entries whose value is null or blank.
fn keep_present_tags(list: Expr) -> Expr {
    let value = element().struct_().field_by_name(schema::TAG_VALUE);
    list.list().eval(
        element().filter(
            value
                .clone()
                .is_not_null()
                .and(value.str().strip_chars(lit(NULL)).neq(lit(""))),
        ),
    )
}

/// AWS user tags lose their `user:` / `user_` prefix; AWS-generated tags keep an `aws:` prefix.
fn normalize_aws_tag_key(raw: &str) -> String {
    if let Some(rest) = raw
        .strip_prefix("user:")
        .or_else(|| raw.strip_prefix("user_"))
    {
        rest.to_string()
    } else if let Some(rest) = raw
        .strip_prefix("aws:")
        .or_else(|| raw.strip_prefix("aws_"))
    {
        format!("aws:{rest}")
    } else {
        raw.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_tag_keys() {
        assert_eq!(normalize_aws_tag_key("user:team"), "team");
        assert_eq!(normalize_aws_tag_key("user_cost_center"), "cost_center");
        assert_eq!(normalize_aws_tag_key("aws:createdBy"), "aws:createdBy");
        assert_eq!(normalize_aws_tag_key("aws_created_by"), "aws:created_by");
        assert_eq!(normalize_aws_tag_key("Project"), "Project");
    }

    #[test]
    fn tags_from_columns_keeps_only_present_values() {
        let df = df!("t" => [Some("a"), None, Some(" ")], "e" => [Some("prod"), Some("dev"), None])
            .unwrap();
        let pairs = vec![
            ("team".to_string(), "t".to_string()),
            ("env".to_string(), "e".to_string()),
        ];
        let out = df
            .lazy()
            .select([tags_from_columns(&pairs).unwrap().alias("tags")])
            .collect()
            .unwrap();
        let lens: Vec<_> = out
            .column("tags")
            .unwrap()
            .list()
            .unwrap()
            .lst_lengths()
            .iter()
            .collect();
        assert_eq!(lens, vec![Some(2), Some(1), Some(0)]);
    }
}

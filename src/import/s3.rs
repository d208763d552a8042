//! `s3://bucket/prefix/` inputs: list the objects, pick what to read, download it into the
//! cache folder (in parallel, sizes checked), and hand the local files to the usual importers.
//!
//! What is picked, per layout:
//! - legacy CUR (`<report>/yyyymmdd-yyyymmdd/[<assemblyId>/]<report>-Manifest.json`): per month,
//!   the parts named by the month's own manifest (AWS rewrites it last, so it names the newest
//!   assembly), else by the newest assembly manifest; an assembly counts only if every part it
//!   names is there. Superseded assemblies are ignored.
//! - Data Exports (`<export>/data/BILLING_PERIOD=YYYY-MM/`): per period, the files named by the
//!   newest complete `metadata/BILLING_PERIOD=YYYY-MM/*-Manifest.json`; without one, the files
//!   of the partition (or of its newest version folder).
//! - anything else: billing files (`*.csv`, `*.csv.gz`, `*.parquet`) as they are, like a local
//!   folder, except AWS's `cost_and_usage_data_status` marker.
//!
//! Downloads are kept under `<cache>/s3/`, named by bucket, key and ETag, so an unchanged
//! object is downloaded once.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::Client;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::aws::{self, AwsOptions};
use crate::error::{ErrContext, Error, Result};
use crate::output;

pub const SCHEME: &str = "s3://";
/// Downloads at once: enough to fill a link, few enough for a small machine.
const PARALLEL_DOWNLOADS: usize = 4;
const MANIFEST_SUFFIX: &str = "-Manifest.json";
const STATUS_FOLDER: &str = "cost_and_usage_data_status";

/// A bucket and a key prefix (possibly empty, possibly one object's whole key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl S3Location {
    /// The location an input names, if it is an `s3://` URL.
    pub fn from_input(text: &str) -> Option<Result<S3Location>> {
        let rest = text.strip_prefix(SCHEME)?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Some(Err(Error::Usage(format!(
                "{text}: expected s3://bucket/prefix/"
            ))));
        }
        Some(Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        }))
    }

    fn url(&self, key: &str) -> String {
        format!("{SCHEME}{}/{key}", self.bucket)
    }
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url(&self.prefix))
    }
}

/// One listed object.
#[derive(Debug, Clone, PartialEq)]
struct Object {
    key: String,
    size: u64,
    last_modified_ms: i64,
    etag: String,
}

/// The local copies of what an `s3://` input holds, and what a user should know about it.
pub struct Downloaded {
    pub files: Vec<PathBuf>,
    pub note: String,
}

/// Lists, picks and downloads what `location` holds.
pub fn download(location: &S3Location, options: &AwsOptions) -> Result<Downloaded> {
    aws::block_on(fetch(location, options))?
}

async fn fetch(location: &S3Location, options: &AwsOptions) -> Result<Downloaded> {
    let config = aws::sdk_config(options).await;
    aws::check_credentials(&config, options).await?;
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    let client = Client::from_conf(s3_config);

    let objects = list(&client, location, options).await?;
    let by_key: HashMap<&str, &Object> = objects.iter().map(|o| (o.key.as_str(), o)).collect();
    let plan = plan(&objects);
    let mut chosen: Vec<Object> = plan.files;
    let mut notes = plan.notes;
    for group in &plan.manifested {
        let (files, chosen_index) = resolve(&client, location, options, group, &by_key).await?;
        let skipped = ignored(group, chosen_index, &files);
        if skipped > 0 {
            notes.push(format!(
                "{}: {skipped} superseded or incomplete assembl{} ignored",
                location.url(&group.folder),
                if skipped == 1 { "y" } else { "ies" }
            ));
        }
        chosen.extend(files);
    }
    if chosen.is_empty() {
        return Err(Error::input(
            location.to_string(),
            "no billing files here (a CUR manifest, a Data Exports partition, or *.csv, \
             *.csv.gz, *.parquet files)",
        ));
    }
    chosen.sort_by(|a, b| a.key.cmp(&b.key));
    chosen.dedup_by(|a, b| a.key == b.key);

    let cache = options.cache_dir.join("s3");
    let (files, downloaded) = download_all(&client, location, options, &chosen, &cache).await?;
    let bytes: u64 = chosen.iter().map(|o| o.size).sum();
    notes.insert(
        0,
        format!(
            "{location}: {} file{} ({}), {downloaded} downloaded, {} already in the cache",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            human_bytes(bytes),
            files.len() - downloaded
        ),
    );
    Ok(Downloaded {
        files,
        note: notes.join("; "),
    })
}

async fn list(client: &Client, location: &S3Location, options: &AwsOptions) -> Result<Vec<Object>> {
    let what = format!("listing {location}");
    let mut objects = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let output = client
            .list_objects_v2()
            .bucket(&location.bucket)
            .prefix(&location.prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| aws::request_error(options, &what, e))?;
        for object in output.contents() {
            let Some(key) = object.key() else { continue };
            objects.push(Object {
                key: key.to_string(),
                size: object.size().unwrap_or(0).max(0) as u64,
                last_modified_ms: object
                    .last_modified()
                    .and_then(|t| t.to_millis().ok())
                    .unwrap_or(0),
                etag: object
                    .e_tag()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_string(),
            });
        }
        match output.next_continuation_token() {
            Some(next) if output.is_truncated() == Some(true) => token = Some(next.to_string()),
            _ => return Ok(objects),
        }
    }
}

/// Which manifest format a group's manifests have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ManifestKind {
    /// Legacy CUR: `reportKeys`.
    Legacy,
    /// Data Exports: `dataFiles`.
    DataExport,
}

/// A month (legacy) or billing period (Data Exports) read through its manifests.
#[derive(Debug, PartialEq)]
struct ManifestGroup {
    kind: ManifestKind,
    /// The month or partition folder, for messages.
    folder: String,
    /// Manifest keys, most trusted first.
    candidates: Vec<String>,
}

#[derive(Debug, Default)]
struct Plan {
    manifested: Vec<ManifestGroup>,
    /// Files taken without a manifest.
    files: Vec<Object>,
    notes: Vec<String>,
}

/// `yyyymmdd-yyyymmdd`, the folder of a legacy CUR month.
fn is_month_folder(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    bytes.len() == 17
        && bytes[8] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 8 || b.is_ascii_digit())
}

/// `BILLING_PERIOD=YYYY-MM`, a Data Exports partition.
fn is_period_folder(segment: &str) -> bool {
    segment.starts_with("BILLING_PERIOD=")
}

/// Where a key sits among the layouts.
enum Place {
    /// Inside a legacy CUR month: the month folder, and the key's folder depth below it.
    LegacyMonth {
        folder: String,
        depth: usize,
    },
    /// Inside a Data Exports partition of `data/` or `metadata/`.
    ExportPeriod {
        root: String,
        period: String,
        metadata: bool,
        /// The version folder below the partition, if any.
        version: Option<String>,
    },
    Elsewhere,
}

fn place(key: &str) -> Place {
    let segments: Vec<&str> = key.split('/').collect();
    let folders = &segments[..segments.len().saturating_sub(1)];
    for (i, segment) in folders.iter().enumerate() {
        if is_period_folder(segment) && i > 0 && matches!(folders[i - 1], "data" | "metadata") {
            return Place::ExportPeriod {
                root: folders[..i - 1].join("/"),
                period: segment.to_string(),
                metadata: folders[i - 1] == "metadata",
                version: folders.get(i + 1).map(|v| v.to_string()),
            };
        }
        if is_month_folder(segment) {
            return Place::LegacyMonth {
                folder: folders[..=i].join("/"),
                depth: folders.len() - i - 1,
            };
        }
    }
    Place::Elsewhere
}

fn is_manifest(key: &str) -> bool {
    key.ends_with(MANIFEST_SUFFIX)
}

fn is_billing_object(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    super::is_billing_file_name(name) && !key.split('/').any(|s| s == STATUS_FOLDER)
}

/// The manifests of one legacy CUR month.
#[derive(Default)]
struct Month<'a> {
    /// In the month folder itself: AWS rewrites it after each complete delivery.
    own: Vec<&'a Object>,
    /// One per assembly folder.
    assemblies: Vec<&'a Object>,
}

/// The manifests and data files of one Data Exports billing period.
#[derive(Default)]
struct Period<'a> {
    manifests: Vec<&'a Object>,
    data: Vec<&'a Object>,
}

/// Sorts the listing into manifest groups and plain files.
fn plan(objects: &[Object]) -> Plan {
    let mut plan = Plan::default();
    let mut months: BTreeMap<String, Month> = BTreeMap::new();
    let mut periods: BTreeMap<(String, String), Period> = BTreeMap::new();
    for object in objects {
        match place(&object.key) {
            Place::LegacyMonth { folder, depth } => {
                let month = months.entry(folder).or_default();
                if is_manifest(&object.key) {
                    if depth == 0 {
                        month.own.push(object);
                    } else {
                        month.assemblies.push(object);
                    }
                }
            }
            Place::ExportPeriod {
                root,
                period,
                metadata,
                ..
            } => {
                let found = periods.entry((root, period)).or_default();
                if metadata && is_manifest(&object.key) {
                    found.manifests.push(object);
                } else if !metadata && is_billing_object(&object.key) {
                    found.data.push(object);
                }
            }
            Place::Elsewhere => {
                if is_billing_object(&object.key) {
                    plan.files.push(object.clone());
                }
            }
        }
    }
    let newest_first = |list: &mut Vec<&Object>| {
        list.sort_by(|a, b| {
            b.last_modified_ms
                .cmp(&a.last_modified_ms)
                .then_with(|| b.key.cmp(&a.key))
        })
    };
    for (folder, month) in months {
        let Month {
            mut own,
            mut assemblies,
        } = month;
        if own.is_empty() && assemblies.is_empty() {
            plan.notes.push(format!(
                "{folder}/: no manifest yet (delivery in progress?), month skipped"
            ));
            continue;
        }
        newest_first(&mut own);
        newest_first(&mut assemblies);
        plan.manifested.push(ManifestGroup {
            kind: ManifestKind::Legacy,
            folder,
            candidates: own
                .iter()
                .chain(&assemblies)
                .map(|o| o.key.clone())
                .collect(),
        });
    }
    for ((root, period), found) in periods {
        let Period {
            mut manifests,
            data,
        } = found;
        let folder = if root.is_empty() {
            format!("data/{period}")
        } else {
            format!("{root}/data/{period}")
        };
        if !manifests.is_empty() {
            newest_first(&mut manifests);
            plan.manifested.push(ManifestGroup {
                kind: ManifestKind::DataExport,
                folder,
                candidates: manifests.iter().map(|o| o.key.clone()).collect(),
            });
            continue;
        }
        let (files, skipped) = newest_version(&data);
        if skipped > 0 {
            plan.notes.push(format!(
                "{folder}/: {skipped} older export version{} ignored",
                if skipped == 1 { "" } else { "s" }
            ));
        }
        plan.files.extend(files.into_iter().cloned());
    }
    plan
}

/// The files of a partition without a manifest: all of them when they sit in the partition
/// itself (overwrite mode), else those of the newest version folder; and how many versions
/// were left.
fn newest_version<'a>(data: &[&'a Object]) -> (Vec<&'a Object>, usize) {
    let mut versions: BTreeMap<Option<String>, Vec<&'a Object>> = BTreeMap::new();
    for object in data {
        let version = match place(&object.key) {
            Place::ExportPeriod { version, .. } => version,
            _ => None,
        };
        versions.entry(version).or_default().push(object);
    }
    if let Some(direct) = versions.remove(&None) {
        return (direct, versions.len());
    }
    let newest = versions
        .iter()
        .max_by_key(|(_, files)| files.iter().map(|o| o.last_modified_ms).max())
        .map(|(version, _)| version.clone());
    let skipped = versions.len().saturating_sub(1);
    (
        newest.and_then(|v| versions.remove(&v)).unwrap_or_default(),
        skipped,
    )
}

#[derive(Deserialize)]
struct LegacyManifest {
    #[serde(rename = "reportKeys")]
    report_keys: Vec<String>,
}

#[derive(Deserialize)]
struct ExportManifest {
    #[serde(rename = "dataFiles")]
    data_files: Vec<String>,
}

/// The keys a manifest names; `s3://bucket/` in front of a key is dropped.
fn manifest_keys(kind: ManifestKind, text: &str, bucket: &str) -> Result<Vec<String>, String> {
    let names = match kind {
        ManifestKind::Legacy => serde_json::from_str::<LegacyManifest>(text)
            .map(|m| m.report_keys)
            .map_err(|e| format!("not a CUR manifest (reportKeys): {e}"))?,
        ManifestKind::DataExport => serde_json::from_str::<ExportManifest>(text)
            .map(|m| m.data_files)
            .map_err(|e| format!("not a Data Exports manifest (dataFiles): {e}"))?,
    };
    let bucket_url = format!("{SCHEME}{bucket}/");
    Ok(names
        .into_iter()
        .map(|name| name.strip_prefix(&bucket_url).unwrap_or(&name).to_string())
        .collect())
}

/// The files of the first complete candidate of `group`, and that candidate's index.
async fn resolve(
    client: &Client,
    location: &S3Location,
    options: &AwsOptions,
    group: &ManifestGroup,
    by_key: &HashMap<&str, &Object>,
) -> Result<(Vec<Object>, usize)> {
    for (index, manifest) in group.candidates.iter().enumerate() {
        let url = location.url(manifest);
        let text = get_text(client, &location.bucket, manifest, options, &url).await?;
        let keys = manifest_keys(group.kind, &text, &location.bucket)
            .map_err(|message| Error::input(&url, message))?;
        let found: Vec<Object> = keys
            .iter()
            .filter_map(|k| by_key.get(k.as_str()).map(|o| (*o).clone()))
            .collect();
        if !keys.is_empty() && found.len() == keys.len() {
            return Ok((found, index));
        }
        tracing::warn!(manifest = %url, "incomplete: {} of {} parts present", found.len(), keys.len());
    }
    Err(Error::input(
        location.url(&group.folder),
        "no complete report: every manifest names parts that are missing (delivery in \
         progress? try again later)",
    ))
}

/// How many deliveries of a group were left out: for a legacy month, the assembly folders
/// other than the one read; for a Data Exports period, the newer manifests passed over.
fn ignored(group: &ManifestGroup, chosen_index: usize, chosen: &[Object]) -> usize {
    match group.kind {
        ManifestKind::DataExport => chosen_index,
        ManifestKind::Legacy => {
            let read = chosen.first().map(|o| parent(&o.key));
            group
                .candidates
                .iter()
                .map(|m| parent(m))
                .filter(|folder| *folder != group.folder && Some(*folder) != read)
                .count()
        }
    }
}

fn parent(key: &str) -> &str {
    key.rsplit_once('/').map_or("", |(parent, _)| parent)
}

async fn get_text(
    client: &Client,
    bucket: &str,
    key: &str,
    options: &AwsOptions,
    url: &str,
) -> Result<String> {
    let what = format!("reading {url}");
    let output = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| aws::request_error(options, &what, e))?;
    let bytes = output
        .body
        .collect()
        .await
        .map_err(|e| Error::Aws(format!("{what}: {e}")))?
        .into_bytes();
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::input(url, "manifest is not UTF-8 text"))
}

/// Where the cached copy of an object lives: named by bucket, key and ETag (a changed object
/// gets a new copy), keeping the object's file name so its extension still says what it is.
fn cache_path(cache: &Path, bucket: &str, object: &Object) -> PathBuf {
    let identity = format!("{bucket}/{}@{}", object.key, object.etag);
    let digest = Sha256::digest(identity.as_bytes());
    let folder: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    let name = object.key.rsplit('/').next().unwrap_or_default();
    let name = if name.is_empty() || name == "." || name == ".." {
        "object"
    } else {
        name
    };
    cache.join(folder).join(name)
}

/// Downloads what is not cached yet, `PARALLEL_DOWNLOADS` at a time; returns the local paths
/// (in `objects` order) and how many were downloaded.
async fn download_all(
    client: &Client,
    location: &S3Location,
    options: &AwsOptions,
    objects: &[Object],
    cache: &Path,
) -> Result<(Vec<PathBuf>, usize)> {
    let paths: Vec<PathBuf> = objects
        .iter()
        .map(|o| cache_path(cache, &location.bucket, o))
        .collect();
    let missing: Vec<(Object, PathBuf)> = objects
        .iter()
        .zip(&paths)
        .filter(|(o, p)| std::fs::metadata(p).ok().map(|m| m.len()) != Some(o.size))
        .map(|(o, p)| (o.clone(), p.clone()))
        .collect();
    let total: u64 = missing.iter().map(|(o, _)| o.size).sum();
    let progress = progress_bar(total);
    let permits = Arc::new(Semaphore::new(PARALLEL_DOWNLOADS));
    let mut tasks = tokio::task::JoinSet::new();
    for (object, path) in missing.iter().cloned() {
        let client = client.clone();
        let bucket = location.bucket.clone();
        let url = location.url(&object.key);
        let options = options.clone();
        let progress = progress.clone();
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore open");
            download_one(&client, &bucket, &object, &path, &url, &options, &progress).await
        });
    }
    while let Some(result) = tasks.join_next().await {
        match result {
            Ok(done) => done?,
            Err(e) => return Err(Error::Aws(format!("a download task failed: {e}"))),
        }
    }
    progress.finish_and_clear();
    Ok((paths, missing.len()))
}

/// A progress bar on stderr when it is a terminal; nothing otherwise (cron, pipes, tests).
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("downloading {bar:30} {bytes}/{total_bytes} {eta}")
    {
        bar.set_style(style);
    }
    bar
}

async fn download_one(
    client: &Client,
    bucket: &str,
    object: &Object,
    target: &Path,
    url: &str,
    options: &AwsOptions,
    progress: &ProgressBar,
) -> Result<()> {
    let what = format!("downloading {url}");
    let output = client
        .get_object()
        .bucket(bucket)
        .key(&object.key)
        .send()
        .await
        .map_err(|e| aws::request_error(options, &what, e))?;
    let temp = output::temp_file(target)?;
    let written = async {
        let mut file =
            std::fs::File::create(&temp).err_context(|| format!("{}: creating", temp.display()))?;
        let mut body = output.body;
        let mut size: u64 = 0;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| Error::Aws(format!("{what}: {e}")))?
        {
            file.write_all(&chunk)
                .err_context(|| format!("{}: writing", temp.display()))?;
            size += chunk.len() as u64;
            progress.inc(chunk.len() as u64);
        }
        file.flush()
            .err_context(|| format!("{}: writing", temp.display()))?;
        if size != object.size {
            return Err(Error::input(
                url,
                format!(
                    "downloaded {size} bytes but the listing says {}: incomplete transfer",
                    object.size
                ),
            ));
        }
        Ok(())
    }
    .await;
    output::finish_file(&temp, target, written)
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str, last_modified_ms: i64) -> Object {
        Object {
            key: key.to_string(),
            size: 10,
            last_modified_ms,
            etag: "e".into(),
        }
    }

    #[test]
    fn locations() {
        let l = S3Location::from_input("s3://bills/cur/").unwrap().unwrap();
        assert_eq!((l.bucket.as_str(), l.prefix.as_str()), ("bills", "cur/"));
        let l = S3Location::from_input("s3://bills").unwrap().unwrap();
        assert_eq!(l.prefix, "");
        assert!(S3Location::from_input("s3:///x").unwrap().is_err());
        assert!(S3Location::from_input("bills/cur").is_none());
    }

    #[test]
    fn legacy_months_prefer_the_month_manifest_then_newest_assembly() {
        let objects = [
            object("cur/r/20261001-20261101/a1/r-1.csv.gz", 1),
            object("cur/r/20261001-20261101/a1/r-Manifest.json", 1),
            object("cur/r/20261001-20261101/a2/r-1.csv.gz", 5),
            object("cur/r/20261001-20261101/a2/r-Manifest.json", 5),
            object("cur/r/20261001-20261101/r-Manifest.json", 4),
            object("cur/r/20261101-20261201/a3/r-1.csv.gz", 9),
        ];
        let plan = plan(&objects);
        assert!(plan.files.is_empty());
        assert_eq!(
            plan.manifested,
            vec![ManifestGroup {
                kind: ManifestKind::Legacy,
                folder: "cur/r/20261001-20261101".into(),
                candidates: vec![
                    "cur/r/20261001-20261101/r-Manifest.json".into(),
                    "cur/r/20261001-20261101/a2/r-Manifest.json".into(),
                    "cur/r/20261001-20261101/a1/r-Manifest.json".into(),
                ],
            }]
        );
        assert_eq!(plan.notes.len(), 1, "{:?}", plan.notes);
        assert!(plan.notes[0].contains("20261101-20261201"));
    }

    #[test]
    fn ignored_deliveries() {
        let month = ManifestGroup {
            kind: ManifestKind::Legacy,
            folder: "r/20261001-20261101".into(),
            candidates: vec![
                "r/20261001-20261101/r-Manifest.json".into(),
                "r/20261001-20261101/a2/r-Manifest.json".into(),
                "r/20261001-20261101/a1/r-Manifest.json".into(),
            ],
        };
        let read = [object("r/20261001-20261101/a2/r-1.csv.gz", 5)];
        assert_eq!(ignored(&month, 0, &read), 1);
        let overwrite = ManifestGroup {
            candidates: vec!["r/20261001-20261101/r-Manifest.json".into()],
            ..month
        };
        assert_eq!(
            ignored(
                &overwrite,
                0,
                &[object("r/20261001-20261101/r-1.csv.gz", 1)]
            ),
            0
        );
    }

    #[test]
    fn data_exports_without_manifest_take_the_partition_or_its_newest_version() {
        let objects = [
            object("x/e/data/BILLING_PERIOD=2026-09/part-0.parquet", 1),
            object("x/e/data/BILLING_PERIOD=2026-10/v1/part-0.parquet", 1),
            object("x/e/data/BILLING_PERIOD=2026-10/v2/part-0.parquet", 7),
            object("x/e/data/BILLING_PERIOD=2026-10/v2/part-1.parquet", 7),
            object("x/e/cost_and_usage_data_status/status.parquet", 1),
            object("x/loose/extra.csv.gz", 1),
            object("x/README.txt", 1),
        ];
        let plan = plan(&objects);
        let mut keys: Vec<&str> = plan.files.iter().map(|o| o.key.as_str()).collect();
        keys.sort();
        assert_eq!(
            keys,
            vec![
                "x/e/data/BILLING_PERIOD=2026-09/part-0.parquet",
                "x/e/data/BILLING_PERIOD=2026-10/v2/part-0.parquet",
                "x/e/data/BILLING_PERIOD=2026-10/v2/part-1.parquet",
                "x/loose/extra.csv.gz",
            ]
        );
        assert!(plan.manifested.is_empty());
        assert_eq!(plan.notes.len(), 1);
    }

    #[test]
    fn data_exports_with_manifest_go_through_it() {
        let objects = [
            object("e/data/BILLING_PERIOD=2026-10/e-00001.snappy.parquet", 3),
            object("e/metadata/BILLING_PERIOD=2026-10/e-Manifest.json", 4),
        ];
        let plan = plan(&objects);
        assert!(plan.files.is_empty());
        assert_eq!(plan.manifested[0].kind, ManifestKind::DataExport);
        let manifest =
            r#"{"dataFiles": ["s3://b/e/data/BILLING_PERIOD=2026-10/e-00001.snappy.parquet"]}"#;
        assert_eq!(
            manifest_keys(ManifestKind::DataExport, manifest, "b").unwrap(),
            vec!["e/data/BILLING_PERIOD=2026-10/e-00001.snappy.parquet"]
        );
        let legacy = r#"{"assemblyId": "a", "reportKeys": ["r/20261001-20261101/a/r-1.csv.gz"]}"#;
        assert_eq!(
            manifest_keys(ManifestKind::Legacy, legacy, "b").unwrap(),
            vec!["r/20261001-20261101/a/r-1.csv.gz"]
        );
        assert!(manifest_keys(ManifestKind::Legacy, "{}", "b").is_err());
    }

    #[test]
    fn cache_paths_are_flat_and_keep_the_name() {
        let cache = Path::new("/c");
        let a = cache_path(cache, "b", &object("p/../../etc/r-1.csv.gz", 1));
        assert_eq!(a.parent().unwrap().parent().unwrap(), cache);
        assert_eq!(a.file_name().unwrap(), "r-1.csv.gz");
        let mut changed = object("p/../../etc/r-1.csv.gz", 1);
        changed.etag = "other".into();
        assert_ne!(cache_path(cache, "b", &changed), a);
        assert_eq!(
            cache_path(cache, "b", &object("p/..", 1))
                .file_name()
                .unwrap(),
            "object"
        );
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
    }
}

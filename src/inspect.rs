//! `costlens inspect`: what billing data holds, before any configuration is written: each
//! file's format and version, the period and its months, the currency, the accounts with their
//! names, the services, and the tag keys with their spend-weighted coverage and top values.
//! `costlens init --from` turns the same figures into a configuration ([`suggest_config`]).
//!
//! Coverage is measured as the allocation analyser does: the share of the effective cost of
//! taggable lines (Usage lines that name a resource) whose tags carry the key with a value.
//! Keys are matched case-insensitively, as the default tag policy does (`Team` is `team`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use polars::prelude::*;
use serde::Serialize;

use crate::aws::AwsOptions;
use crate::config::{Config, EXAMPLE};
use crate::engine::{frame, validate};
use crate::error::{Error, Result};
use crate::import::{self, Format};
use crate::period::{iso_timestamp, Period};
use crate::report::summary::{money, pct};
use crate::schema::{
    charge_category, BILLED_COST, BILLING_CURRENCY, CHARGE_CATEGORY, CHARGE_PERIOD_END,
    CHARGE_PERIOD_START, EFFECTIVE_COST, RESOURCE_ID, SERVICE_NAME, SUB_ACCOUNT_ID,
    SUB_ACCOUNT_NAME, TAGS, TAG_KEY, TAG_VALUE,
};

/// How many values of each tag key are listed.
const TOP_VALUES: usize = 3;

/// What a dataset holds.
#[derive(Debug, Serialize)]
pub struct Inspection {
    pub files: Vec<FileReport>,
    pub lines: u64,
    /// First and last day with a charge (UTC).
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// Lines per calendar month of their start.
    pub months: Vec<MonthLines>,
    /// One view per currency: costs in different currencies are never summed.
    pub currencies: Vec<CurrencyView>,
    /// What the user should know (files skipped, data without resource ids).
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    pub format: String,
    /// `1.0` to `1.3` for FOCUS (from the columns each version added), `legacy` or `2.0` for a
    /// CUR; empty for Cost Explorer.
    pub version: String,
    /// None for Cost Explorer answers, which are no file.
    pub lines: Option<u64>,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MonthLines {
    pub month: String,
    pub lines: u64,
}

#[derive(Debug, Serialize)]
pub struct CurrencyView {
    pub currency: String,
    pub lines: u64,
    pub billed_cost: f64,
    pub effective_cost: f64,
    /// Lines that name a resource (ResourceId): without them no tag, usage or Spot rule runs.
    pub lines_with_resource: u64,
    pub accounts: Vec<Account>,
    pub services: Vec<Named>,
    /// Effective cost of taggable lines (Usage lines that name a resource).
    pub taggable_cost: f64,
    /// Tag keys, highest coverage first.
    pub tag_keys: Vec<TagKey>,
}

#[derive(Debug, Serialize)]
pub struct Account {
    pub id: String,
    pub name: Option<String>,
    pub effective_cost: f64,
}

#[derive(Debug, Serialize)]
pub struct Named {
    pub name: String,
    pub effective_cost: f64,
}

#[derive(Debug, Serialize)]
pub struct TagKey {
    /// The spelling carrying the most cost.
    pub key: String,
    /// Every spelling seen (`Team`, `team`), most cost first.
    pub spellings: Vec<String>,
    /// Effective cost of taggable lines carrying the key with a value.
    pub tagged_cost: f64,
    pub coverage_pct: Option<f64>,
    /// The values carrying the most cost.
    pub top_values: Vec<Named>,
}

/// The release a file is in, as the importer detected it from its columns.
fn version(source: &import::Source) -> String {
    match source.format {
        Format::FocusCsv | Format::FocusParquet => source
            .focus_version
            .map_or_else(String::new, |v| v.label().to_string()),
        Format::CurCsv | Format::CurParquet => "legacy".into(),
        Format::Cur2Parquet => "2.0".into(),
        Format::FocusDataset(_) | Format::CostExplorer => String::new(),
    }
}

fn day(ms: Option<i64>) -> Option<String> {
    ms.map(|ms| iso_timestamp(ms)[..10].to_string())
}

/// Lines and charge period of one file, read on its own.
fn file_report(source: &import::Source) -> Result<FileReport> {
    let path = source.path.display().to_string();
    let format = source.format.label().to_string();
    if source.format == Format::CostExplorer {
        return Ok(FileReport {
            path,
            format,
            version: String::new(),
            lines: None,
            first_day: None,
            last_day: None,
        });
    }
    let one = import::load(std::slice::from_ref(&source.path))?;
    let df = frame::collect_all(
        vec![one.frame.select([
            len().alias("lines"),
            col(CHARGE_PERIOD_START).min().alias("start"),
            col(CHARGE_PERIOD_END).max().alias("end"),
        ])],
        frame::Pass::Shared,
        &format!("{path}: counting its lines"),
    )?
    .remove(0);
    Ok(FileReport {
        version: version(source),
        lines: frame::ints(&df, "lines")?[0].map(|n| n as u64),
        first_day: day(frame::ints(&df, "start")?[0]),
        // The last charge ends at midnight after the last day with a charge.
        last_day: day(frame::ints(&df, "end")?[0].map(|end| end - 1)),
        path,
        format,
    })
}

fn names_resource() -> Expr {
    col(RESOURCE_ID)
        .is_not_null()
        .and(col(RESOURCE_ID).neq(lit("")))
}

/// A taggable line: Usage that names a resource (as in the allocation analyser).
fn taggable() -> Expr {
    col(CHARGE_CATEGORY)
        .eq(lit(charge_category::USAGE))
        .and(names_resource())
}

/// Reads the inputs and describes them.
pub fn inspect(inputs: &[PathBuf], aws: &AwsOptions) -> Result<Inspection> {
    let dataset = import::load_with(inputs, aws)?;
    let files = dataset
        .sources
        .iter()
        .map(file_report)
        .collect::<Result<Vec<_>>>()?;
    // Money columns are exact decimals: their sums are exact (see crate::money).
    let lf = dataset.frame;
    let eff = || col(EFFECTIVE_COST).sum();
    let totals = lf.clone().group_by([col(BILLING_CURRENCY)]).agg([
        len().alias("lines"),
        col(BILLED_COST).sum(),
        eff(),
        names_resource().sum().alias("with_resource"),
        col(CHARGE_PERIOD_START).min().alias("start"),
        col(CHARGE_PERIOD_END).max().alias("end"),
    ]);
    let starts = lf
        .clone()
        .group_by([col(CHARGE_PERIOD_START)])
        .agg([len().alias("lines")]);
    let accounts = lf
        .clone()
        .group_by([col(BILLING_CURRENCY), col(SUB_ACCOUNT_ID)])
        .agg([
            eff(),
            col(SUB_ACCOUNT_NAME).drop_nulls().first().alias("name"),
        ]);
    let services = lf
        .clone()
        .group_by([col(BILLING_CURRENCY), col(SERVICE_NAME)])
        .agg([eff()]);
    let tagged = lf.clone().filter(taggable());
    let taggable_totals = tagged
        .clone()
        .group_by([col(BILLING_CURRENCY)])
        .agg([eff()]);
    // One row per line and key: a line carrying `Team` and `team` counts once for the key.
    let pairs = tagged
        .select([col(BILLING_CURRENCY), col(EFFECTIVE_COST), col(TAGS)])
        .with_row_index("line", None)
        .explode(
            cols([TAGS]),
            ExplodeOptions {
                empty_as_null: false,
                keep_nulls: false,
            },
        )
        .select([
            col("line"),
            col(BILLING_CURRENCY),
            col(EFFECTIVE_COST),
            col(TAGS).struct_().field_by_name(TAG_KEY).alias("key"),
            col(TAGS)
                .struct_()
                .field_by_name(TAG_VALUE)
                .str()
                .strip_chars(lit(NULL))
                .alias("value"),
        ])
        .filter(col("key").is_not_null().and(col("value").neq(lit(""))))
        .with_column(col("key").str().to_lowercase().alias("folded"));
    let per_line = pairs.clone().group_by([col("line"), col("folded")]).agg([
        col(BILLING_CURRENCY).first(),
        col(EFFECTIVE_COST).first(),
        col("value").first(),
    ]);
    let values = per_line
        .group_by([col(BILLING_CURRENCY), col("folded"), col("value")])
        .agg([eff()]);
    let spellings = pairs
        .group_by([col(BILLING_CURRENCY), col("folded"), col("key")])
        .agg([eff()]);
    // A failed query or check names the bad cell of the input it came from.
    let explain = |e: Error| import::explain(&dataset.sources, e);
    let mut out = frame::collect_all(
        vec![
            totals,
            starts,
            accounts,
            services,
            taggable_totals,
            values,
            spellings,
        ],
        frame::Pass::Shared,
        "inspecting the data",
    )
    .map_err(explain)?
    .into_iter();
    let mut next = || out.next().expect("seven results");
    let (totals, starts, accounts, services) = (next(), next(), next(), next());
    let (taggable_totals, values, spellings) = (next(), next(), next());
    validate::check_lines(&totals, "start").map_err(explain)?;

    let mut months: BTreeMap<i64, (String, u64)> = BTreeMap::new();
    for (start, n) in frame::ints(&starts, CHARGE_PERIOD_START)?
        .into_iter()
        .zip(frame::ints(&starts, "lines")?)
    {
        if let Some(start) = start {
            let month = Period::month_containing(start);
            months.entry(month.start).or_insert((month.label, 0)).1 += n.unwrap_or(0) as u64;
        }
    }
    let by_currency = |df: &DataFrame, currency: &str| -> Result<Vec<usize>> {
        Ok(frame::strings(df, BILLING_CURRENCY)?
            .iter()
            .enumerate()
            .filter(|(_, c)| c.as_deref() == Some(currency))
            .map(|(i, _)| i)
            .collect())
    };
    let currencies_found = frame::strings(&totals, BILLING_CURRENCY)?;
    let mut currencies = Vec::new();
    for (i, currency) in currencies_found.iter().enumerate() {
        let Some(currency) = currency else { continue };
        let effective = frame::money(&totals, EFFECTIVE_COST)?[i];
        let account_rows = by_currency(&accounts, currency)?;
        let (ids, names, costs) = (
            frame::strings(&accounts, SUB_ACCOUNT_ID)?,
            frame::strings(&accounts, "name")?,
            frame::money(&accounts, EFFECTIVE_COST)?,
        );
        let mut account_list: Vec<Account> = account_rows
            .into_iter()
            .map(|r| Account {
                id: ids[r].clone().unwrap_or_default(),
                name: names[r].clone(),
                effective_cost: costs[r],
            })
            .collect();
        account_list.sort_by(|a, b| {
            b.effective_cost
                .total_cmp(&a.effective_cost)
                .then_with(|| a.id.cmp(&b.id))
        });
        let service_names = frame::strings(&services, SERVICE_NAME)?;
        let service_costs = frame::money(&services, EFFECTIVE_COST)?;
        let mut service_list: Vec<Named> = by_currency(&services, currency)?
            .into_iter()
            .map(|r| Named {
                name: service_names[r].clone().unwrap_or_else(|| "(none)".into()),
                effective_cost: service_costs[r],
            })
            .collect();
        sort_named(&mut service_list);

        let taggable_cost = by_currency(&taggable_totals, currency)?
            .first()
            .map_or(Ok(0.0), |&r| {
                frame::money(&taggable_totals, EFFECTIVE_COST).map(|m| m[r])
            })?;
        let tag_keys = tag_keys(&values, &spellings, currency, taggable_cost)?;
        currencies.push(CurrencyView {
            currency: currency.clone(),
            lines: frame::ints(&totals, "lines")?[i].unwrap_or(0) as u64,
            billed_cost: frame::money(&totals, BILLED_COST)?[i],
            effective_cost: effective,
            lines_with_resource: frame::ints(&totals, "with_resource")?[i].unwrap_or(0) as u64,
            accounts: account_list,
            services: service_list,
            taggable_cost,
            tag_keys,
        });
    }
    currencies.sort_by(|a, b| b.lines.cmp(&a.lines).then(a.currency.cmp(&b.currency)));
    let mut notes = dataset.notes;
    if currencies.iter().all(|c| c.lines_with_resource == 0) {
        notes.push(format!(
            "no line names a resource, so tag coverage, showback and the usage rules cannot \
             run: {}",
            import::why_no_resource_ids(&dataset.sources)
        ));
    }
    let ints = |name: &str| -> Result<Vec<i64>> {
        Ok(frame::ints(&totals, name)?.into_iter().flatten().collect())
    };
    Ok(Inspection {
        files,
        lines: currencies.iter().map(|c| c.lines).sum(),
        first_day: day(ints("start")?.into_iter().min()),
        last_day: day(ints("end")?.into_iter().max().map(|end| end - 1)),
        months: months
            .into_values()
            .map(|(month, lines)| MonthLines { month, lines })
            .collect(),
        currencies,
        notes,
    })
}

fn sort_named(list: &mut [Named]) {
    list.sort_by(|a, b| {
        b.effective_cost
            .total_cmp(&a.effective_cost)
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// The tag keys of one currency's taggable lines, highest coverage first.
fn tag_keys(
    values: &DataFrame,
    spellings: &DataFrame,
    currency: &str,
    taggable_cost: f64,
) -> Result<Vec<TagKey>> {
    let mut keys: BTreeMap<String, (Vec<Named>, Vec<Named>)> = BTreeMap::new();
    let rows = |df: &DataFrame, name: &str| -> Result<Vec<(String, String, f64)>> {
        let currencies = frame::strings(df, BILLING_CURRENCY)?;
        let folded = frame::strings(df, "folded")?;
        let names = frame::strings(df, name)?;
        let costs = frame::money(df, EFFECTIVE_COST)?;
        Ok((0..df.height())
            .filter(|&i| currencies[i].as_deref() == Some(currency))
            .map(|i| {
                (
                    folded[i].clone().unwrap_or_default(),
                    names[i].clone().unwrap_or_default(),
                    costs[i],
                )
            })
            .collect())
    };
    for (folded, value, cost) in rows(values, "value")? {
        keys.entry(folded).or_default().0.push(Named {
            name: value,
            effective_cost: cost,
        });
    }
    for (folded, key, cost) in rows(spellings, "key")? {
        keys.entry(folded).or_default().1.push(Named {
            name: key,
            effective_cost: cost,
        });
    }
    let mut out: Vec<TagKey> = keys
        .into_values()
        .map(|(mut values, mut spellings)| {
            sort_named(&mut values);
            sort_named(&mut spellings);
            let tagged_cost: f64 = values.iter().map(|v| v.effective_cost).sum();
            values.truncate(TOP_VALUES);
            TagKey {
                key: spellings
                    .first()
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                spellings: spellings.into_iter().map(|s| s.name).collect(),
                tagged_cost,
                coverage_pct: (taggable_cost != 0.0).then(|| tagged_cost / taggable_cost * 100.0),
                top_values: values,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.tagged_cost
            .total_cmp(&a.tagged_cost)
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(out)
}

/// `shown` of `total` rows were listed: say where the rest are.
fn more(out: &mut String, shown: usize, total: usize) {
    if total > shown {
        let _ = writeln!(
            out,
            "  ... {} more (--top, or --format json for all)",
            total - shown
        );
    }
}

/// The inspection as text for a terminal; the `top` largest accounts, services and tag keys.
pub fn render_table(i: &Inspection, top: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "files");
    for f in &i.files {
        // A CUR's format already says which it is; a FOCUS file's version is its own.
        let version = if f.format.starts_with("FOCUS") {
            format!(" {}", f.version)
        } else {
            String::new()
        };
        let lines = f.lines.map_or(String::new(), |n| format!(", {n} lines"));
        let days = match (&f.first_day, &f.last_day) {
            (Some(a), Some(b)) => format!(", {a} .. {b}"),
            _ => String::new(),
        };
        let _ = writeln!(out, "  {}: {}{version}{lines}{days}", f.path, f.format);
    }
    let _ = writeln!(
        out,
        "\nperiod      {} .. {}, {} lines",
        i.first_day.as_deref().unwrap_or("?"),
        i.last_day.as_deref().unwrap_or("?"),
        i.lines
    );
    let months: Vec<String> = i
        .months
        .iter()
        .map(|m| format!("{} ({} lines)", m.month, m.lines))
        .collect();
    let _ = writeln!(out, "months      {}", months.join(", "));
    for c in &i.currencies {
        let cur = &c.currency;
        let _ = writeln!(
            out,
            "\ncurrency    {cur}: {} lines ({} name a resource), effective cost {} {cur}, billed \
             cost {} {cur}",
            c.lines,
            c.lines_with_resource,
            money(c.effective_cost),
            money(c.billed_cost),
        );
        let _ = writeln!(out, "\naccounts (effective cost, {cur})");
        for a in c.accounts.iter().take(top) {
            let _ = writeln!(
                out,
                "  {:>16}  {}  {}",
                money(a.effective_cost),
                a.id,
                a.name.as_deref().unwrap_or("")
            );
        }
        more(&mut out, top, c.accounts.len());
        let _ = writeln!(out, "\nservices (effective cost, {cur})");
        for s in c.services.iter().take(top) {
            let _ = writeln!(out, "  {:>16}  {}", money(s.effective_cost), s.name);
        }
        more(&mut out, top, c.services.len());
        let _ = writeln!(
            out,
            "\ntag keys (share of the taggable cost carrying the key: {} {cur} on Usage lines \
             that name a resource; top values by cost)",
            money(c.taggable_cost)
        );
        if c.tag_keys.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for k in c.tag_keys.iter().take(top) {
            let values: Vec<String> = k
                .top_values
                .iter()
                .map(|v| format!("{} {}", v.name, money(v.effective_cost)))
                .collect();
            let other_spellings = if k.spellings.len() > 1 {
                format!(" (spelt {})", k.spellings.join(", "))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:>6}  {}{other_spellings}: {}",
                pct(k.coverage_pct),
                k.key,
                values.join(", ")
            );
        }
        more(&mut out, top, c.tag_keys.len());
    }
    for n in &i.notes {
        let _ = writeln!(out, "\nnote: {n}");
    }
    out
}

/// Keys covering less of the taggable cost than this are not proposed as required.
const MIN_SUGGESTED_COVERAGE_PCT: f64 = 10.0;
/// At most this many keys are proposed as required.
const MAX_SUGGESTED_KEYS: usize = 5;
/// Key names that hold the environment, for the non-production rules.
const ENVIRONMENT_KEYS: [&str; 4] = ["environment", "env", "stage", "environment-name"];

/// A configuration for this data: the commented example with, as required tags, the user tag
/// keys (not AWS-generated `aws:` ones) covering at least 10% of the taggable cost, at most 5,
/// highest coverage first; the first is the showback key, and a key named like an environment
/// is the environment key. Also returns one line per choice, to tell the user.
pub fn suggest_config(i: &Inspection) -> Result<(String, Vec<String>)> {
    let Some(main) = i.currencies.first() else {
        return Err(Error::Usage(
            "the data has no lines to suggest a configuration from".into(),
        ));
    };
    let chosen: Vec<&TagKey> = main
        .tag_keys
        .iter()
        .filter(|k| !k.key.to_ascii_lowercase().starts_with("aws:"))
        .filter(|k| k.coverage_pct.unwrap_or(0.0) >= MIN_SUGGESTED_COVERAGE_PCT)
        .take(MAX_SUGGESTED_KEYS)
        .collect();
    let mut said = Vec::new();
    let quoted: Vec<String> = chosen
        .iter()
        .map(|k| toml::Value::String(k.key.clone()).to_string())
        .collect();
    let mut tags = format!(
        "# From `costlens inspect`: the tag keys covering at least {MIN_SUGGESTED_COVERAGE_PCT}% \
         of the taggable cost ({} {}):\n",
        money(main.taggable_cost),
        main.currency
    );
    for k in &chosen {
        let _ = writeln!(tags, "#   {}: {}", k.key, pct(k.coverage_pct));
        said.push(format!(
            "required tag {}: on {} of the taggable cost",
            k.key,
            pct(k.coverage_pct)
        ));
    }
    if chosen.is_empty() {
        let _ = writeln!(tags, "#   none does; add the keys your policy requires.");
        said.push(format!(
            "no tag key covers {MIN_SUGGESTED_COVERAGE_PCT}% of the taggable cost: no required tag"
        ));
    }
    let _ = writeln!(tags, "required = [{}]", quoted.join(", "));
    let mut text = replace_line(EXAMPLE, "required = ", &tags)?;
    if let Some(first) = chosen.first() {
        let line = format!(
            "allocation_key = {}\n",
            toml::Value::String(first.key.clone())
        );
        text = replace_line(&text, "# allocation_key = ", &line)?;
        said.push(format!("showback by {}", first.key));
    }
    if let Some(env) = chosen
        .iter()
        .find(|k| ENVIRONMENT_KEYS.contains(&k.key.to_ascii_lowercase().as_str()))
    {
        let line = format!(
            "environment_key = {}\n",
            toml::Value::String(env.key.clone())
        );
        text = replace_line(&text, "environment_key = ", &line)?;
    }
    if i.currencies.len() > 1 {
        let line = format!(
            "currency = {}\n",
            toml::Value::String(main.currency.clone())
        );
        text = replace_line(&text, "# currency = ", &line)?;
        said.push(format!(
            "currency {} (the data holds {})",
            main.currency,
            i.currencies.len()
        ));
    }
    // What is written must load.
    let config = Config::from_toml(&text, std::path::Path::new("the suggested configuration"))?;
    debug_assert_eq!(
        config.tags.required,
        chosen.iter().map(|k| k.key.clone()).collect::<Vec<_>>()
    );
    Ok((text, said))
}

/// `text` with the line starting with `prefix` replaced by `with` (whole lines, ending in a
/// newline).
fn replace_line(text: &str, prefix: &str, with: &str) -> Result<String> {
    let mut out = String::with_capacity(text.len() + with.len());
    let mut found = false;
    for line in text.split_inclusive('\n') {
        if !found && line.starts_with(prefix) {
            out.push_str(with);
            found = true;
        } else {
            out.push_str(line);
        }
    }
    if found {
        Ok(out)
    } else {
        Err(Error::Config(format!(
            "the example configuration has no line '{prefix}...' to fill in"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, coverage: f64) -> TagKey {
        TagKey {
            key: name.into(),
            spellings: vec![name.into()],
            tagged_cost: coverage,
            coverage_pct: Some(coverage),
            top_values: vec![],
        }
    }

    fn inspection(keys: Vec<TagKey>) -> Inspection {
        Inspection {
            files: vec![],
            lines: 1,
            first_day: None,
            last_day: None,
            months: vec![],
            currencies: vec![CurrencyView {
                currency: "USD".into(),
                lines: 1,
                billed_cost: 100.0,
                effective_cost: 100.0,
                lines_with_resource: 1,
                accounts: vec![],
                services: vec![],
                taggable_cost: 100.0,
                tag_keys: keys,
            }],
            notes: vec![],
        }
    }

    #[test]
    fn the_suggested_policy_requires_the_keys_the_data_uses() {
        let i = inspection(vec![
            key("CostCenter", 93.0),
            key("aws:createdBy", 90.0),
            key("env", 60.0),
            key("scratch", 9.9),
        ]);
        let (text, said) = suggest_config(&i).unwrap();
        let c = Config::from_toml(&text, std::path::Path::new("x")).unwrap();
        assert_eq!(c.tags.required, vec!["CostCenter", "env"]);
        assert_eq!(c.tags.allocation_key(), Some("CostCenter"));
        assert_eq!(c.tags.environment_key, "env");
        assert_eq!(
            said[0],
            "required tag CostCenter: on 93.0% of the taggable cost"
        );
        assert_eq!(said[2], "showback by CostCenter");
        // Everything else is the example's.
        assert_eq!(c.rate, crate::config::RateRules::default());

        let (text, said) = suggest_config(&inspection(vec![key("scratch", 2.0)])).unwrap();
        let c = Config::from_toml(&text, std::path::Path::new("x")).unwrap();
        assert!(c.tags.required.is_empty());
        assert!(said[0].starts_with("no tag key covers"), "{said:?}");
    }
}

//! The layering the design note promises, checked on the source tree: importers → engine →
//! analysers → reporters, with no circle between the crate's top-level modules and no provider
//! string in an analyser.
//!
//! The graph is read from the source text: every `crate::name` path outside comments and
//! test modules is an edge from the file's top-level module to `name`. That is how the module
//! graph is written in this crate (no glob re-exports hide an edge), so a circle in it is a
//! circle in the code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments and its `#[cfg(test)]` module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Top-level module → the top-level modules its code names.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&root).expect("under src");
        let first = relative.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&file).expect("readable source"));
        let edges = graph.entry(module.clone()).or_default();
        let mut rest = code.as_str();
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != module && name.chars().next().unwrap().is_lowercase() {
                edges.insert(name);
            }
        }
    }
    graph
}

/// A circle through `start`, if there is one (depth-first search).
fn circle_through(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    walk(graph, start, start, &mut path, &mut seen).then_some(path)
}

#[test]
fn no_circle_between_top_level_modules() {
    let graph = module_graph();
    assert!(graph.contains_key("engine") && graph.contains_key("analyse"));
    let circles: Vec<String> = graph
        .keys()
        .filter_map(|m| circle_through(&graph, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(circles.is_empty(), "module circles: {circles:#?}");
}

#[test]
fn the_checker_sees_a_planted_circle() {
    let mut graph = module_graph();
    graph
        .entry("engine".into())
        .or_default()
        .insert("analyse".into());
    assert!(circle_through(&graph, "engine").is_some());
}

#[test]
fn layers_point_one_way() {
    let graph = module_graph();
    let uses = |from: &str, to: &str| graph.get(from).is_some_and(|e| e.contains(to));
    for (from, to) in [
        ("analyse", "import"),
        ("analyse", "report"),
        ("engine", "analyse"),
        ("engine", "report"),
        ("import", "analyse"),
        ("import", "report"),
    ] {
        assert!(!uses(from, to), "{from} must not depend on {to}");
    }
}

/// Strings that only mean something in one provider's bills: AWS usage types, line item types
/// and product codes, Azure meter and resource names, Google SKUs, OCI products.
const PROVIDER_STRINGS: &[&str] = &[
    "BoxUsage",
    "SpotUsage",
    "DedicatedUsage",
    "EBS:",
    "ElasticIP",
    "PublicIPv4",
    "SnapshotUsage",
    "NatGateway-",
    "DataTransfer-",
    "TimedStorage",
    "HeavyUsage",
    "NodeUsage",
    "InstanceUsage",
    "Multi-AZUsage",
    "GB-Second",
    "SavingsPlanNegation",
    "DiscountedUsage",
    "RIFee",
    "AmazonEC2",
    "AmazonRDS",
    "AWSLambda",
    "AmazonS3",
    "RunInstances",
    "Microsoft.",
    "Managed Disks",
    "googleapis",
    "Static Ip Charge",
    "PD Capacity",
    "Block Volume",
    "elasticmapreduce",
    "autoscaling",
];

#[test]
fn no_provider_string_in_an_analyser() {
    let mut files = Vec::new();
    rust_files(&src().join("analyse"), &mut files);
    assert!(files.len() > 5, "the analysers were found");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            for s in PROVIDER_STRINGS.iter().filter(|s| line.contains(*s)) {
                found.push(format!("{}:{}: {s}", file.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "provider strings in analysers: {found:#?}"
    );
}

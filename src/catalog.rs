//! The instance catalog shipped with costlens (`data/*.csv`, sources in their headers): vCPU,
//! memory and on-demand price per instance type, and each family's modernisation paths. Used
//! for modernisation and rightsizing savings (price ratios) and by the sample generator.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const PRICES_CSV: &str = include_str!("../data/instance_prices.csv");
const FAMILIES_CSV: &str = include_str!("../data/families.csv");

/// Size order within a family, smallest first, with AWS's normalisation factor of each size
/// (EC2 RI size flexibility: small = 1, large = 4, ...).
pub const SIZES: &[(&str, f64)] = &[
    ("nano", 0.25),
    ("micro", 0.5),
    ("small", 1.0),
    ("medium", 2.0),
    ("large", 4.0),
    ("xlarge", 8.0),
    ("2xlarge", 16.0),
    ("4xlarge", 32.0),
    ("8xlarge", 64.0),
    ("12xlarge", 96.0),
    ("16xlarge", 128.0),
    ("24xlarge", 192.0),
    ("32xlarge", 256.0),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub instance_type: String,
    pub service: String,
    pub previous_generation: bool,
    pub arm: bool,
    pub vcpu: u32,
    pub memory_gib: f64,
    pub price_per_hour: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Family {
    /// The current x86 family to move a previous-generation family to.
    pub successor: Option<String>,
    /// The Graviton (arm64) alternative.
    pub graviton: Option<String>,
}

#[derive(Debug)]
pub struct Catalog {
    instances: BTreeMap<String, Instance>,
    families: BTreeMap<String, Family>,
}

fn data_lines(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split(',').map(str::trim).collect())
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl Catalog {
    /// The catalog built into the binary.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::parse(PRICES_CSV, FAMILIES_CSV))
    }

    fn parse(prices: &str, families: &str) -> Catalog {
        let instances = data_lines(prices)
            .map(|f| {
                let instance = Instance {
                    instance_type: f[0].to_string(),
                    service: f[1].to_string(),
                    previous_generation: f[2] == "previous",
                    arm: f[3] == "arm64",
                    vcpu: f[4].parse().expect("catalog vcpu"),
                    memory_gib: f[5].parse().expect("catalog memory"),
                    price_per_hour: f[6].parse().expect("catalog price"),
                };
                (instance.instance_type.clone(), instance)
            })
            .collect();
        let families = data_lines(families)
            .map(|f| {
                (
                    f[0].to_string(),
                    Family {
                        successor: non_empty(f[1]),
                        graviton: non_empty(f[2]),
                    },
                )
            })
            .collect();
        Catalog {
            instances,
            families,
        }
    }

    pub fn instance(&self, instance_type: &str) -> Option<&Instance> {
        self.instances.get(instance_type)
    }

    pub fn family(&self, family: &str) -> Option<&Family> {
        self.families.get(family)
    }

    /// The same size in another family (`m4.large` in `m7i` → `m7i.large`), if catalogued.
    pub fn same_size_in(&self, instance_type: &str, family: &str) -> Option<&Instance> {
        let (_, size) = split_type(instance_type)?;
        self.instance(&format!("{family}.{size}"))
    }

    /// One size smaller in the same family, if catalogued.
    pub fn one_size_smaller(&self, instance_type: &str) -> Option<&Instance> {
        let (family, size) = split_type(instance_type)?;
        let at = SIZES.iter().position(|(s, _)| *s == size)?;
        SIZES[..at]
            .iter()
            .rev()
            .find_map(|(smaller, _)| self.instance(&format!("{family}.{smaller}")))
    }
}

/// `m5.xlarge` → (`m5`, `xlarge`); `db.r5.large` → (`db.r5`, `large`).
pub fn split_type(instance_type: &str) -> Option<(&str, &str)> {
    instance_type.rsplit_once('.')
}

/// AWS's normalisation factor of an instance size (large = 4), for RI normalised units.
pub fn normalization_factor(instance_type: &str) -> Option<f64> {
    let (_, size) = split_type(instance_type)?;
    SIZES.iter().find(|(s, _)| *s == size).map(|(_, f)| *f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_consistent() {
        let catalog = Catalog::builtin();
        let m4 = catalog.instance("m4.large").unwrap();
        assert!(m4.previous_generation);
        assert_eq!(m4.vcpu, 2);
        assert_eq!(m4.memory_gib, 8.0);
        // Every family path points at families the price list knows, for every size it lists.
        for (family, path) in &catalog.families {
            for target in [&path.successor, &path.graviton].into_iter().flatten() {
                assert!(
                    catalog
                        .instances
                        .keys()
                        .any(|t| split_type(t).unwrap().0 == target),
                    "{family} -> {target} has no prices"
                );
            }
        }
    }

    #[test]
    fn sizes_and_paths() {
        let catalog = Catalog::builtin();
        assert_eq!(
            catalog.one_size_smaller("r5.xlarge").unwrap().instance_type,
            "r5.large"
        );
        assert!(catalog.one_size_smaller("r5.large").is_none());
        assert_eq!(
            catalog
                .same_size_in("db.m4.large", "db.m7g")
                .unwrap()
                .instance_type,
            "db.m7g.large"
        );
        assert_eq!(normalization_factor("m5.2xlarge"), Some(16.0));
        assert_eq!(split_type("db.r5.large"), Some(("db.r5", "large")));
    }
}

//! The instance catalog shipped with costlens (`data/*.csv`, sources in their headers): vCPU,
//! memory and on-demand price per instance type of AWS (EC2, RDS, ElastiCache), Azure VMs and
//! Google Compute Engine, and each family's modernisation paths. Used for modernisation and
//! rightsizing savings (price ratios) and by the sample generator.
//!
//! Each provider names sizes its own way; [`split_type`] and [`join_type`] are the one place
//! that knows how: `m5.large` (family `m5`, size `large`), `Standard_D4s_v3` (family
//! `Standard_Ds_v3`, size `4`, the vCPU count), `n1-standard-4` (family `n1`, size `standard-4`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::findings::Confidence;

const PRICES_CSV: [&str; 3] = [
    include_str!("../data/instance_prices.csv"),
    include_str!("../data/azure_vm_prices.csv"),
    include_str!("../data/gce_prices.csv"),
];
const FAMILIES_CSV: &str = include_str!("../data/families.csv");
const BLOCK_STORAGE_CSV: &str = include_str!("../data/block_storage.csv");

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
    /// The current x86 families to move a previous-generation family to.
    pub successors: Vec<String>,
    /// The Graviton (arm64) alternative.
    pub graviton: Option<String>,
}

/// A block-volume type's recommended successor (`data/block_storage.csv`), by the labels
/// costlens gives volume types.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeUpgrade {
    pub successor: String,
    pub successor_price_gib_month: f64,
    pub confidence: Confidence,
    pub why: String,
}

#[derive(Debug)]
pub struct Catalog {
    instances: BTreeMap<String, Instance>,
    families: BTreeMap<String, Family>,
    volume_upgrades: BTreeMap<String, VolumeUpgrade>,
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
        CATALOG.get_or_init(|| Catalog::parse(&PRICES_CSV, FAMILIES_CSV))
    }

    fn parse(prices: &[&str], families: &str) -> Catalog {
        let instances = prices
            .iter()
            .flat_map(|text| data_lines(text))
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
                        successors: f[1]
                            .split('|')
                            .filter(|s| !s.is_empty())
                            .map(String::from)
                            .collect(),
                        graviton: non_empty(f[2]),
                    },
                )
            })
            .collect();
        Catalog {
            instances,
            families,
            volume_upgrades: volume_upgrades(BLOCK_STORAGE_CSV),
        }
    }

    /// The successor of the volume type labelled `from`.
    pub fn volume_upgrade(&self, from: &str) -> Option<&VolumeUpgrade> {
        self.volume_upgrades.get(from)
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
        self.instance(&join_type(family, &size))
    }

    /// One size smaller in the same family, if catalogued: the next AWS size down, or for the
    /// providers that name sizes by vCPU count, the catalogued size with the most vCPUs below.
    pub fn one_size_smaller(&self, instance_type: &str) -> Option<&Instance> {
        let (family, size) = split_type(instance_type)?;
        if let Some(at) = SIZES.iter().position(|(s, _)| *s == size) {
            return SIZES[..at]
                .iter()
                .rev()
                .find_map(|(smaller, _)| self.instance(&join_type(&family, smaller)));
        }
        let current = self.instance(instance_type)?;
        self.instances
            .values()
            .filter(|i| {
                split_type(&i.instance_type).is_some_and(|(f, _)| f == family)
                    && i.vcpu < current.vcpu
                    && same_shape(&i.instance_type, instance_type)
            })
            .max_by_key(|i| i.vcpu)
    }
}

#[derive(Deserialize)]
struct VolumeUpgradeRow {
    volume_type: String,
    successor: String,
    successor_price_gib_month: f64,
    confidence: Confidence,
    why: String,
}

fn volume_upgrades(text: &str) -> BTreeMap<String, VolumeUpgrade> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    reader
        .deserialize::<VolumeUpgradeRow>()
        .map(|row| {
            let row = row.expect("data/block_storage.csv is well formed");
            (
                row.volume_type,
                VolumeUpgrade {
                    successor: row.successor,
                    successor_price_gib_month: row.successor_price_gib_month,
                    confidence: row.confidence,
                    why: row.why,
                },
            )
        })
        .collect()
}

/// Google machine types of one family come in shapes (`standard`, `highmem`): a smaller size
/// keeps the shape. Other providers' sizes have no shape.
fn same_shape(a: &str, b: &str) -> bool {
    let shape = |t: &str| {
        split_type(t).and_then(|(_, size)| size.rsplit_once('-').map(|(s, _)| s.to_string()))
    };
    shape(a) == shape(b)
}

/// An instance type's family and size (see the module docs for each provider's naming):
/// `m5.xlarge` → (`m5`, `xlarge`); `db.r5.large` → (`db.r5`, `large`); `Standard_D4s_v3` →
/// (`Standard_Ds_v3`, `4`); `n1-standard-4` → (`n1`, `standard-4`).
pub fn split_type(instance_type: &str) -> Option<(String, String)> {
    if let Some(rest) = instance_type.strip_prefix("Standard_") {
        let letters = rest.find(|c: char| !c.is_ascii_uppercase())?;
        let digits = rest[letters..].find(|c: char| !c.is_ascii_digit())? + letters;
        if digits == letters {
            return None;
        }
        let family = format!("Standard_{}{}", &rest[..letters], &rest[digits..]);
        return Some((family, rest[letters..digits].to_string()));
    }
    if let Some((family, size)) = instance_type.rsplit_once('.') {
        return Some((family.to_string(), size.to_string()));
    }
    let (family, size) = instance_type.split_once('-')?;
    Some((family.to_string(), size.to_string()))
}

/// The type of `size` in `family`: the inverse of [`split_type`].
pub fn join_type(family: &str, size: &str) -> String {
    if let Some(rest) = family.strip_prefix("Standard_") {
        let letters = rest
            .find(|c: char| !c.is_ascii_uppercase())
            .unwrap_or(rest.len());
        format!("Standard_{}{size}{}", &rest[..letters], &rest[letters..])
    } else if family.contains('.') || !size.contains('-') {
        format!("{family}.{size}")
    } else {
        format!("{family}-{size}")
    }
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
            for target in path.successors.iter().chain(&path.graviton) {
                assert!(
                    catalog
                        .instances
                        .keys()
                        .any(|t| split_type(t).unwrap().0 == *target),
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
        assert_eq!(normalization_factor("Standard_D4s_v3"), None);
        assert_eq!(
            catalog
                .one_size_smaller("Standard_D8s_v5")
                .unwrap()
                .instance_type,
            "Standard_D4s_v5"
        );
        assert_eq!(
            catalog
                .one_size_smaller("n2-highmem-4")
                .unwrap()
                .instance_type,
            "n2-highmem-2"
        );
    }

    #[test]
    fn volume_upgrades_name_known_types() {
        use crate::engine::kinds::VolumeType;
        let catalog = Catalog::builtin();
        for (from, upgrade) in &catalog.volume_upgrades {
            assert!(VolumeType::from_label(from).is_some(), "{from}");
            assert!(
                VolumeType::from_label(&upgrade.successor).is_some(),
                "{from}"
            );
            assert!(upgrade.successor_price_gib_month > 0.0);
        }
        let v1 = catalog
            .volume_upgrade(VolumeType::AzurePremiumSsd.label())
            .unwrap();
        assert_eq!(v1.successor, VolumeType::AzurePremiumSsdV2.label());
        assert!(catalog.volume_upgrade("gp3").is_none());
    }

    #[test]
    fn every_providers_names_split_and_join_back() {
        for (name, family, size) in [
            ("m5.xlarge", "m5", "xlarge"),
            ("db.r5.large", "db.r5", "large"),
            ("Standard_D4s_v3", "Standard_Ds_v3", "4"),
            ("Standard_D2_v2", "Standard_D_v2", "2"),
            ("Standard_D16as_v5", "Standard_Das_v5", "16"),
            ("Standard_DS2_v2", "Standard_DS_v2", "2"),
            ("n1-standard-4", "n1", "standard-4"),
            ("n2d-highmem-8", "n2d", "highmem-8"),
        ] {
            let split = split_type(name).unwrap();
            assert_eq!(
                (split.0.as_str(), split.1.as_str()),
                (family, size),
                "{name}"
            );
            assert_eq!(join_type(family, size), name);
        }
        assert_eq!(split_type("Standard_Dv3"), None);
    }
}

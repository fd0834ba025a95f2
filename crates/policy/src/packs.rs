//! Law packs: the shipped set (compiled in from `packs/`) and deployment overrides read from a
//! directory with the same layout (`index.toml` plus one `.cedar` file per pack).

use crate::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// A pack's manifest entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackManifest {
    /// Pack id (`US-IL`).
    pub id: String,
    /// Title with the statute.
    pub title: String,
    /// Jurisdictions it governs.
    pub applies_to: Vec<String>,
    /// Policy file, relative to the index.
    pub file: String,
    /// Applies only where no other pack does.
    #[serde(default)]
    pub fallback: bool,
    /// Non-hit retention (`3m`, `21d`, `0`).
    pub nonhit_retention: String,
    /// Non-hit retention for private operators, when different.
    #[serde(default)]
    pub private_nonhit_retention: Option<String>,
    /// What set the retention (`Va. Code §2.2-5517(C)`), cited when a search window reaches past
    /// it; absent means Sightline's default, not a statute.
    #[serde(default)]
    pub retention_source: Option<String>,
    /// Items found only in secondary sources.
    #[serde(default)]
    pub unverified: Vec<String>,
    /// Free-text note.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    pack: Vec<PackManifest>,
}

/// A pack's manifest with its policy text.
#[derive(Debug, Clone)]
pub struct PackSource {
    /// Manifest.
    pub manifest: PackManifest,
    /// Cedar text.
    pub policies: String,
    /// Where it came from (for error messages).
    pub origin: String,
}

const SHIPPED_INDEX: &str = include_str!("../packs/index.toml");
const SHIPPED_FILES: &[(&str, &str)] = &[
    ("US-IL.cedar", include_str!("../packs/US-IL.cedar")),
    ("US-CA.cedar", include_str!("../packs/US-CA.cedar")),
    ("US-NH.cedar", include_str!("../packs/US-NH.cedar")),
    ("US-VA.cedar", include_str!("../packs/US-VA.cedar")),
    ("US-WA.cedar", include_str!("../packs/US-WA.cedar")),
    ("US-ME.cedar", include_str!("../packs/US-ME.cedar")),
    ("US-MN.cedar", include_str!("../packs/US-MN.cedar")),
    ("US-AR.cedar", include_str!("../packs/US-AR.cedar")),
    (
        "US-default.cedar",
        include_str!("../packs/US-default.cedar"),
    ),
    ("DE.cedar", include_str!("../packs/DE.cedar")),
    ("EU-LED.cedar", include_str!("../packs/EU-LED.cedar")),
];

fn parse_index(text: &str, origin: &str) -> Result<Vec<PackManifest>> {
    let idx: Index = toml::from_str(text).map_err(|e| Error::Parse {
        name: origin.to_owned(),
        message: e.to_string(),
    })?;
    for p in &idx.pack {
        parse_retention(&p.nonhit_retention).map_err(|m| Error::Parse {
            name: format!("{origin} pack {}", p.id),
            message: m,
        })?;
        if let Some(r) = &p.private_nonhit_retention {
            parse_retention(r).map_err(|m| Error::Parse {
                name: format!("{origin} pack {}", p.id),
                message: m,
            })?;
        }
    }
    Ok(idx.pack)
}

/// Returns the packs shipped with the binary.
///
/// # Errors
/// Only if the shipped files were broken (caught by tests).
pub fn shipped() -> Result<Vec<PackSource>> {
    parse_index(SHIPPED_INDEX, "packs/index.toml")?
        .into_iter()
        .map(|m| {
            let text = SHIPPED_FILES
                .iter()
                .find(|(f, _)| *f == m.file)
                .map(|(_, t)| (*t).to_owned())
                .ok_or_else(|| Error::Parse {
                    name: m.file.clone(),
                    message: "file not shipped".into(),
                })?;
            Ok(PackSource {
                origin: format!("packs/{}", m.file),
                manifest: m,
                policies: text,
            })
        })
        .collect()
}

/// Reads a deployment's pack directory (`index.toml` + files).
///
/// # Errors
/// Unreadable or invalid files, named in the message.
pub fn read_dir(dir: &Path) -> Result<Vec<PackSource>> {
    let index_path = dir.join("index.toml");
    let text = std::fs::read_to_string(&index_path).map_err(|e| Error::Parse {
        name: index_path.display().to_string(),
        message: e.to_string(),
    })?;
    parse_index(&text, &index_path.display().to_string())?
        .into_iter()
        .map(|m| {
            let path = dir.join(&m.file);
            let policies = std::fs::read_to_string(&path).map_err(|e| Error::Parse {
                name: path.display().to_string(),
                message: e.to_string(),
            })?;
            Ok(PackSource {
                origin: path.display().to_string(),
                manifest: m,
                policies,
            })
        })
        .collect()
}

/// Merges override packs into a base list: same id replaces, new ids are added.
pub fn merge(mut base: Vec<PackSource>, overrides: Vec<PackSource>) -> Vec<PackSource> {
    for o in overrides {
        match base.iter_mut().find(|b| b.manifest.id == o.manifest.id) {
            Some(slot) => *slot = o,
            None => base.push(o),
        }
    }
    base
}

/// Parses a retention period into minutes: `0`, `3m`, `12h`, `21d`.
///
/// # Errors
/// A message saying what was expected.
pub fn parse_retention(s: &str) -> std::result::Result<i64, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(0);
    }
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("retention `{s}` must look like 3m, 12h, 21d or 0"))?;
    match unit {
        "m" => Ok(n),
        "h" => Ok(n * 60),
        "d" => Ok(n * 24 * 60),
        _ => Err(format!("retention `{s}` must end in m, h or d")),
    }
}

/// Tells whether a manifest's `applies_to` covers a jurisdiction, and how specifically
/// (2 exact, 1 the containing country), or not at all.
pub fn specificity(applies_to: &[String], jurisdiction: &str) -> Option<u8> {
    let country = jurisdiction.split('-').next().unwrap_or(jurisdiction);
    applies_to
        .iter()
        .filter_map(|a| {
            if a == jurisdiction {
                Some(2)
            } else if a == country {
                Some(1)
            } else {
                None
            }
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_retention_parsing() {
        assert_eq!(parse_retention("3m"), Ok(3));
        assert_eq!(parse_retention("21d"), Ok(21 * 1440));
        assert_eq!(parse_retention("0"), Ok(0));
        assert!(parse_retention("3 weeks").is_err());
    }

    #[test]
    fn test_specificity() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(specificity(&a(&["US-IL"]), "US-IL"), Some(2));
        assert_eq!(specificity(&a(&["DE"]), "DE-BY"), Some(1));
        assert_eq!(specificity(&a(&["US"]), "US-TX"), Some(1));
        assert_eq!(specificity(&a(&["US"]), "US"), Some(2));
        assert_eq!(specificity(&a(&["US-IL"]), "US-CA"), None);
    }

    #[test]
    fn test_shipped_packs_listed_and_present() {
        let packs = shipped().unwrap();
        assert_eq!(packs.len(), 11);
    }
}

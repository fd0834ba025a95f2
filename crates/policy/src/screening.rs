//! Purpose screening: recognises prohibited purposes in free text (a search's reason, the name of
//! the agency it is made for), whatever purpose was declared.
//!
//! The rules are data, published in `screening/rules.toml` and compiled in; the oversight
//! analyser reads other vendors' audit reasons with the same rules, so there is one rule set.
//! Matching works on words, not substrings (so "police" never matches "ice"), joins spelled-out
//! letters ("I.C.E.", "i c e"), removes accents, and treats "HSI" alone as no immigration term.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use sightline_types::Purpose;
use std::sync::OnceLock;

const RULES: &str = include_str!("../screening/rules.toml");

/// One published rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ScreenRule {
    /// Rule id, e.g. `screen.immigration`.
    pub id: String,
    /// The purpose a hit counts as.
    pub purpose: String,
    /// What it detects.
    pub description: String,
    /// Whole words or word sequences.
    #[serde(default)]
    pub words: Vec<String>,
    /// Word beginnings.
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Words written with `*` or `?` masking letters.
    #[serde(default)]
    pub masked: Vec<String>,
}

/// A known false-positive trap: text that must not match any rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NotATrigger {
    /// The text.
    pub text: String,
    /// Why it must not match.
    pub why: String,
}

/// The published rule set.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ScreeningRules {
    /// Rules.
    #[serde(rename = "rule")]
    pub rules: Vec<ScreenRule>,
    /// False-positive traps.
    #[serde(rename = "not", default)]
    pub traps: Vec<NotATrigger>,
    /// Each rule's entries, normalised once: (words, prefixes).
    #[serde(skip)]
    compiled: Vec<(Vec<String>, Vec<String>)>,
}

/// One match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenHit {
    /// Rule id.
    pub rule: String,
    /// Purpose inferred.
    pub purpose: Purpose,
    /// The rule entry that matched.
    pub term: String,
}

fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => "a",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'í' | 'ì' | 'î' | 'ï' => "i",
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => "o",
        'ú' | 'ù' | 'û' | 'ü' => "u",
        'ñ' => "n",
        'ç' => "c",
        'ß' => "ss",
        _ => return None,
    })
}

/// Normalises text into words: lower case, accents removed, split at anything but letters,
/// digits, `*` and `?`, with runs of single letters joined.
pub fn words(text: &str) -> Vec<String> {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match fold_char(c) {
            Some(s) => folded.push_str(s),
            None => folded.push(c),
        }
    }
    let raw: Vec<&str> = folded
        .split(|c: char| !(c.is_alphanumeric() || c == '*' || c == '?'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let single = |w: &str| w.chars().count() == 1 && w.chars().all(char::is_alphabetic);
        if single(raw[i]) && i + 1 < raw.len() && single(raw[i + 1]) {
            let mut joined = String::new();
            while i < raw.len() && single(raw[i]) {
                joined.push_str(raw[i]);
                i += 1;
            }
            out.push(joined);
        } else {
            out.push(raw[i].to_owned());
            i += 1;
        }
    }
    out
}

impl ScreeningRules {
    /// Returns the published rules (parsed once).
    ///
    /// # Errors
    /// Only if the shipped file were broken (caught by tests).
    pub fn published() -> Result<&'static ScreeningRules> {
        static CELL: OnceLock<std::result::Result<ScreeningRules, String>> = OnceLock::new();
        CELL.get_or_init(|| Self::parse(RULES).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|m| Error::Parse {
                name: "screening/rules.toml".into(),
                message: m.clone(),
            })
    }

    /// Parses and checks a rule file.
    ///
    /// # Errors
    /// TOML errors or unknown purposes.
    pub fn parse(src: &str) -> Result<Self> {
        let mut rules: ScreeningRules = toml::from_str(src).map_err(|e| Error::Parse {
            name: "screening rules".into(),
            message: e.to_string(),
        })?;
        for r in &rules.rules {
            Purpose::parse(&r.purpose).map_err(|e| Error::Parse {
                name: r.id.clone(),
                message: e.to_string(),
            })?;
        }
        let norm = |v: &[String]| v.iter().map(|w| words(w).join(" ")).collect::<Vec<_>>();
        rules.compiled = rules
            .rules
            .iter()
            .map(|r| (norm(&r.words), norm(&r.prefixes)))
            .collect();
        Ok(rules)
    }

    /// Returns the published source text (for reports that publish the rules they used).
    pub fn source() -> &'static str {
        RULES
    }

    /// Screens text; returns every rule that matched (at most one hit per rule).
    pub fn screen(&self, text: &str) -> Vec<ScreenHit> {
        let ws = words(text);
        if ws.is_empty() {
            return Vec::new();
        }
        let joined = format!(" {} ", ws.join(" "));
        let mut hits = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            let Ok(purpose) = Purpose::parse(&r.purpose) else {
                continue;
            };
            let Some((norm_words, norm_prefixes)) = self.compiled.get(i) else {
                continue;
            };
            let term = norm_words
                .iter()
                .position(|norm| {
                    joined.contains(&format!(" {norm} "))
                        || (norm.contains(' ') && ws.iter().any(|x| *x == norm.replace(' ', "")))
                })
                .map(|k| &r.words[k])
                .or_else(|| {
                    norm_prefixes
                        .iter()
                        .position(|p| joined.contains(&format!(" {p}")))
                        .map(|k| &r.prefixes[k])
                })
                .or_else(|| r.masked.iter().find(|m| ws.iter().any(|x| x == *m)));
            if let Some(t) = term {
                hits.push(ScreenHit {
                    rule: r.id.clone(),
                    purpose,
                    term: t.clone(),
                });
            }
        }
        hits
    }
}

/// Returns the declared purpose plus every purpose the published rules find in `texts` (the
/// reason, the on-behalf-of agency's id and name), with the hits that inferred them.
///
/// # Errors
/// Only if the shipped rules were broken.
pub fn infer_purposes(declared: Purpose, texts: &[&str]) -> Result<(Vec<Purpose>, Vec<ScreenHit>)> {
    let rules = ScreeningRules::published()?;
    let hits: Vec<ScreenHit> = texts.iter().flat_map(|t| rules.screen(t)).collect();
    let mut purposes = vec![declared];
    for h in &hits {
        if !purposes.contains(&h.purpose) {
            purposes.push(h.purpose);
        }
    }
    Ok((purposes, hits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purposes(text: &str) -> Vec<Purpose> {
        ScreeningRules::published()
            .unwrap()
            .screen(text)
            .into_iter()
            .map(|h| h.purpose)
            .collect()
    }

    #[test]
    fn test_immigration_terms_and_tricks_are_caught() {
        for text in [
            "ICE",
            "ICE+ERO",
            "assist ERO",
            "I.C.E. request",
            "i c e",
            "I-C-E",
            "immigration violation",
            "Immigration",
            "deportation order",
            "CBP assist",
            "Border Patrol",
            "borderpatrol",
            "inmigración",
            "Abschiebung vorbereiten",
            "Einwanderungsbehörde",
            "illegal aliens",
            "ice/ero",
            "HSI immigration case",
        ] {
            assert_eq!(purposes(text), vec![Purpose::CivilImmigration], "{text}");
        }
    }

    #[test]
    fn test_published_traps_do_not_match() {
        let rules = ScreeningRules::published().unwrap();
        assert!(!rules.traps.is_empty());
        for t in &rules.traps {
            assert!(
                rules.screen(&t.text).is_empty(),
                "trap matched: {} ({})",
                t.text,
                t.why
            );
        }
        for text in [
            "Narcotics - HSI",
            "HSI",
            "stolen vehicle",
            "Police notice",
            "burglary at the office",
            "",
            "26-001234",
        ] {
            assert!(purposes(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn test_other_prohibited_purposes() {
        assert_eq!(
            purposes("protest on Main St"),
            vec![Purpose::FirstAmendment]
        );
        assert_eq!(purposes("g*psy"), vec![Purpose::Ethnicity]);
        assert_eq!(purposes("Roma family"), vec![Purpose::Ethnicity]);
        assert_eq!(
            purposes("abortion clinic visitor"),
            vec![Purpose::ReproductiveHealth]
        );
        assert_eq!(purposes("checking on my ex"), vec![Purpose::PersonalUse]);
    }

    #[test]
    fn test_words_normalisation() {
        assert_eq!(
            words("I.C.E.+E-R-O, inmigración"),
            vec!["iceero", "inmigracion"]
        );
        assert_eq!(words("Police notice"), vec!["police", "notice"]);
    }
}

//! Purpose screening: recognises prohibited purposes in free text (a search's reason, the name of
//! the agency it is made for, hot-list names and entry reasons), whatever purpose was declared.
//!
//! The rules are data, published in `screening/rules.toml` and compiled in; the oversight
//! analyser reads other vendors' audit reasons with the same rules, so there is one rule set.
//! Text is normalised before matching (`screening/normalise.rs`: confusable skeletons, digits
//! and symbols for letters, spelled-out, split, run-together and repeated letters); entries are
//! grouped by meaning, each signalling its rule's purpose at one of two [`Level`]s; [`Context`]s
//! clear a match inside an innocent phrase ("black ice") or lower it to review. Matching works on words,
//! not substrings (so "police" never matches "ice"), and "HSI" alone is no immigration term.
//!
//! Design choice: [`ScreeningRules::screen`] and [`infer_purposes`] keep their meaning (refusing
//! matches only) so every existing caller behaves as before; [`screen_fields`] returns the whole
//! [`Screening`] — refusing and review matches, and what contexts cleared — for callers that flag
//! doubtful cases for a supervisor.

mod matcher;
mod normalise;

pub mod eval;

use crate::{Error, Result};
use matcher::{Compiled, Outcome};
use serde::{Deserialize, Serialize};
use sightline_types::Purpose;
use std::sync::OnceLock;

const RULES: &str = include_str!("../screening/rules.toml");

/// How strongly a match counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The text counts as having the rule's purpose: a law pack that forbids it refuses.
    #[default]
    Refuse,
    /// Doubtful: the search may run where the law allows, flagged for supervisor review.
    Review,
}

/// What a context does to a match it applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// The match does not count.
    #[default]
    Clear,
    /// The match counts for review only.
    Review,
}

/// A group of entries with one meaning (e.g. "removal (deportation) process", Spanish).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TermGroup {
    /// What the entries name.
    pub meaning: String,
    /// Language(s) of the entries.
    pub lang: String,
    /// Level of every entry in the group.
    #[serde(default)]
    pub level: Level,
    /// Whole words or word sequences.
    #[serde(default)]
    pub words: Vec<String>,
    /// Word beginnings.
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Words that must all occur near each other, any order; `*` ends a prefix.
    #[serde(default)]
    pub all_of: Vec<String>,
    /// Why these entries signal the purpose.
    pub why: String,
}

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
    /// Further entries, grouped by meaning and language.
    #[serde(default)]
    pub terms: Vec<TermGroup>,
}

/// An innocent context for some entries.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// Context id, e.g. `context.weather-road`.
    pub id: String,
    /// The entries (as written in the rules) it applies to.
    pub terms: Vec<String>,
    /// Phrases that contain the entry and overlap the match.
    #[serde(default)]
    pub phrases: Vec<String>,
    /// Words or phrases within `window` words of the match (`*` ends a prefix).
    #[serde(default)]
    pub near: Vec<String>,
    /// Words that merely contain an entry ("deportivo").
    #[serde(default)]
    pub exempt: Vec<String>,
    /// Words on each side searched for `near` (default 4).
    #[serde(default)]
    pub window: Option<usize>,
    /// What it does.
    #[serde(default)]
    pub effect: Effect,
    /// Why.
    pub why: String,
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
    /// Words that, run together with an entry, still mean the entry.
    #[serde(default)]
    pub connectors: Vec<String>,
    /// Short words that are never a piece of a split-up entry.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Rules.
    #[serde(rename = "rule")]
    pub rules: Vec<ScreenRule>,
    /// False-positive traps.
    #[serde(rename = "not", default)]
    pub traps: Vec<NotATrigger>,
    /// Innocent contexts.
    #[serde(rename = "context", default)]
    pub contexts: Vec<Context>,
    #[serde(skip)]
    compiled: Compiled,
}

/// Which text a match was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Field {
    /// A search's free-text reason.
    Reason,
    /// The on-behalf-of agency's id and name.
    OnBehalfOf,
    /// The requesting agency's own id and name.
    Requester,
    /// A hot list's name.
    HotListName,
    /// A hot-list entry's reason.
    HotListEntryReason,
    /// Anything else (e.g. another vendor's audit reason).
    Other,
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
    /// How strongly it counts.
    pub level: Level,
    /// The meaning group of the entry ("core" for the rule's own lists).
    pub meaning: String,
    /// How it matched: word, phrase, prefix, all of, masked, written together, run together,
    /// inside a word, split.
    pub how: String,
    /// The normalised words that matched.
    pub matched: String,
    /// The context that lowered it to review, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The text it was found in, where the caller said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
}

/// A match that a context cleared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cleared {
    /// Rule id.
    pub rule: String,
    /// The rule entry that matched.
    pub term: String,
    /// The normalised words that matched.
    pub matched: String,
    /// The context that cleared it.
    pub context: String,
    /// The text it was found in, where the caller said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
}

/// Everything screening found in some texts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Screening {
    /// At most one match per rule and text: the refusing one if any, else a review one.
    pub hits: Vec<ScreenHit>,
    /// Matches that contexts cleared (so the decision can show why a word did not count).
    pub cleared: Vec<Cleared>,
}

impl Screening {
    /// The strongest level found, if any.
    pub fn level(&self) -> Option<Level> {
        self.hits.iter().map(|h| h.level).min()
    }

    /// True if some match refuses.
    pub fn refuses(&self) -> bool {
        self.level() == Some(Level::Refuse)
    }

    /// True if nothing refuses but some match asks for supervisor review.
    pub fn needs_review(&self) -> bool {
        self.level() == Some(Level::Review)
    }

    /// The refusing matches.
    pub fn refusing(&self) -> Vec<&ScreenHit> {
        self.hits
            .iter()
            .filter(|h| h.level == Level::Refuse)
            .collect()
    }

    /// The review matches.
    pub fn for_review(&self) -> Vec<&ScreenHit> {
        self.hits
            .iter()
            .filter(|h| h.level == Level::Review)
            .collect()
    }

    /// The match that decided: the first refusing one, else the first review one.
    pub fn decisive(&self) -> Option<&ScreenHit> {
        let l = self.level()?;
        self.hits.iter().find(|h| h.level == l)
    }

    /// The declared purpose plus every purpose a refusing match found (what policy evaluates).
    pub fn purposes(&self, declared: Purpose) -> Vec<Purpose> {
        let mut out = vec![declared];
        for h in self.refusing() {
            if !out.contains(&h.purpose) {
                out.push(h.purpose);
            }
        }
        out
    }
}

/// Normalises text into words: lower case, accents removed, split at anything but letters,
/// digits, `*` and `?`, with runs of single letters joined.
///
/// This is the plain form used for reporting and by the oversight analyser; the matcher also
/// reduces each word to its look-alike key.
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

    /// Parses and checks a rule file (an agency can screen with its own additions this way).
    ///
    /// # Errors
    /// TOML errors, unknown purposes, or a context naming no entry of any rule.
    pub fn parse(src: &str) -> Result<Self> {
        let err = |name: &str, message: String| Error::Parse {
            name: name.to_owned(),
            message,
        };
        let mut rules: ScreeningRules =
            toml::from_str(src).map_err(|e| err("screening rules", e.to_string()))?;
        for r in &rules.rules {
            Purpose::parse(&r.purpose).map_err(|e| err(&r.id, e.to_string()))?;
        }
        rules.compiled = Compiled::new(
            &rules.rules,
            &rules.contexts,
            &rules.connectors,
            &rules.stopwords,
        );
        for c in &rules.contexts {
            for t in &c.terms {
                let norm = words(t).join(" ");
                if !rules
                    .compiled
                    .entries
                    .iter()
                    .any(|e| words(&e.term).join(" ") == norm)
                {
                    return Err(err(&c.id, format!("names `{t}`, which no rule lists")));
                }
            }
        }
        Ok(rules)
    }

    /// Returns these rules plus an agency's own additions (a file in the same format).
    ///
    /// Additions can only add: entries join the rule with the same id (or form a new rule), and
    /// an added context may only name the additions' own entries, so an agency can widen what is
    /// screened but never clear a published term, as its Cedar policy can only forbid.
    ///
    /// # Errors
    /// The additions do not parse, or a context in them names a published entry.
    pub fn with_additions(&self, src: &str) -> Result<Self> {
        let add = Self::parse(src)?;
        let published: Vec<String> = self
            .compiled
            .entries
            .iter()
            .map(|e| words(&e.term).join(" "))
            .collect();
        for c in &add.contexts {
            if let Some(t) = c
                .terms
                .iter()
                .find(|t| published.contains(&words(t).join(" ")))
            {
                return Err(Error::Parse {
                    name: c.id.clone(),
                    message: format!("an agency context may not clear the published entry `{t}`"),
                });
            }
        }
        let mut out = self.clone();
        for r in add.rules {
            match out.rules.iter_mut().find(|x| x.id == r.id) {
                Some(x) => {
                    x.words.extend(r.words);
                    x.prefixes.extend(r.prefixes);
                    x.masked.extend(r.masked);
                    x.terms.extend(r.terms);
                }
                None => out.rules.push(r),
            }
        }
        out.traps.extend(add.traps);
        out.contexts.extend(add.contexts);
        out.connectors.extend(add.connectors);
        out.compiled = Compiled::new(&out.rules, &out.contexts, &out.connectors, &out.stopwords);
        Ok(out)
    }

    /// Returns the published source text (for reports that publish the rules they used).
    pub fn source() -> &'static str {
        RULES
    }

    /// Screens text; returns every rule whose match refuses (at most one hit per rule).
    pub fn screen(&self, text: &str) -> Vec<ScreenHit> {
        self.screen_detailed(text, None)
            .hits
            .into_iter()
            .filter(|h| h.level == Level::Refuse)
            .collect()
    }

    /// Screens one text; returns refusing and review matches (one per rule) and what contexts
    /// cleared, each tagged with `field`.
    pub fn screen_detailed(&self, text: &str, field: Option<Field>) -> Screening {
        let ts = normalise::tokens(text);
        let mut out = Screening::default();
        if ts.is_empty() {
            return out;
        }
        let matched = |s: usize, e: usize| {
            ts[s..e]
                .iter()
                .map(|t| t.plain.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut best: Vec<Option<ScreenHit>> = vec![None; self.rules.len()];
        for (occ, outcome) in self.compiled.occurrences(&ts) {
            let e = &self.compiled.entries[occ.entry];
            let rule = &self.rules[e.rule];
            match outcome {
                Outcome::Cleared { context } => out.cleared.push(Cleared {
                    rule: rule.id.clone(),
                    term: e.term.clone(),
                    matched: matched(occ.start, occ.end),
                    context: self.contexts[context].id.clone(),
                    field,
                }),
                Outcome::Counts { level, context } => {
                    let Ok(purpose) = Purpose::parse(&rule.purpose) else {
                        continue;
                    };
                    let slot = &mut best[e.rule];
                    if slot.as_ref().is_some_and(|h| h.level <= level) {
                        continue;
                    }
                    *slot = Some(ScreenHit {
                        rule: rule.id.clone(),
                        purpose,
                        term: e.term.clone(),
                        level,
                        meaning: e.meaning.clone(),
                        how: occ.how.to_owned(),
                        matched: matched(occ.start, occ.end),
                        context: context.map(|c| self.contexts[c].id.clone()),
                        field,
                    });
                }
            }
        }
        out.hits = best.into_iter().flatten().collect();
        out
    }
}

/// Returns the declared purpose plus every purpose the published rules find in `texts` (the
/// reason, the on-behalf-of agency's id and name), with the refusing hits that inferred them.
/// Review-level matches are not returned here; see [`screen_fields`].
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

/// Screens several texts with the published rules, each tagged with the field it came from:
/// a search's reason, on-behalf-of and requester names, or a hot list's name and entry reason.
///
/// Use [`Screening::purposes`] for the purposes policy evaluates (refusing matches only),
/// [`Screening::needs_review`] to flag for supervisor review, and [`Screening::decisive`] for
/// the term, rule and context to show.
///
/// # Errors
/// Only if the shipped rules were broken.
pub fn screen_fields(fields: &[(Field, &str)]) -> Result<Screening> {
    let rules = ScreeningRules::published()?;
    let mut out = Screening::default();
    for (f, text) in fields {
        let s = rules.screen_detailed(text, Some(*f));
        out.hits.extend(s.hits);
        out.cleared.extend(s.cleared);
    }
    Ok(out)
}

/// Screens a hot list's name and one entry's reason (an entry added for a prohibited purpose is
/// a standing search for it).
///
/// # Errors
/// Only if the shipped rules were broken.
pub fn screen_hotlist_entry(list_name: &str, entry_reason: &str) -> Result<Screening> {
    screen_fields(&[
        (Field::HotListName, list_name),
        (Field::HotListEntryReason, entry_reason),
    ])
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

    fn detailed(text: &str) -> Screening {
        ScreeningRules::published()
            .unwrap()
            .screen_detailed(text, Some(Field::Reason))
    }

    #[test]
    fn test_lookalikes_and_respellings_refuse() {
        for text in [
            "1CE assist",
            "\u{406}\u{421}\u{415}",
            "IC\u{18E}",
            "lCE ERO",
            "3R0",
            "d3portation",
            "deport@tion",
            "IICCEE",
            "ICEassist",
            "EROrequest",
            "im migration hold",
            "I\u{200B}CE",
            "Sammelabschiebung",
        ] {
            let s = detailed(text);
            assert!(s.refuses(), "{text}: {s:?}");
            assert_eq!(s.decisive().unwrap().rule, "screen.immigration", "{text}");
        }
    }

    #[test]
    fn test_vocabulary_by_meaning_in_five_languages() {
        for (text, meaning) in [
            ("removal proceedings", "removal (deportation) process"),
            ("287(g) task force", "deputisation and referral programmes"),
            ("I-247A", "immigration forms"),
            ("overstayed his visa", "immigration status"),
            ("orden de deportación", "core"),
            ("situación migratoria", "immigration process and status"),
            ("Duldung abgelaufen", "immigration process and status"),
            ("titre de séjour", "immigration process and status"),
            ("sem papéis", "immigration process and status"),
        ] {
            let s = detailed(text);
            let h = s.decisive().unwrap_or_else(|| panic!("{text}: nothing"));
            assert_eq!(
                (h.level, h.meaning.as_str()),
                (Level::Refuse, meaning),
                "{text}"
            );
        }
    }

    #[test]
    fn test_ambiguous_terms_flag_for_review_only() {
        let s = detailed("detainer");
        assert!(s.needs_review() && !s.refuses(), "{s:?}");
        assert_eq!(s.purposes(Purpose::OtherCrime), vec![Purpose::OtherCrime]);
        assert!(
            purposes("detainer").is_empty(),
            "screen() returns refusing hits only"
        );
        // A strong term next to the weak one refuses.
        let s = detailed("ICE detainer");
        assert!(s.refuses());
        assert_eq!(
            s.purposes(Purpose::OtherCrime),
            vec![Purpose::OtherCrime, Purpose::CivilImmigration]
        );
    }

    #[test]
    fn test_context_clears_or_lowers_and_is_named() {
        let s = detailed("vehicle slid on black ice");
        assert!(s.hits.is_empty(), "{s:?}");
        assert_eq!(s.cleared[0].term, "ice");
        assert_eq!(s.cleared[0].context, "context.weather-road");
        // Each occurrence is judged on its own.
        let s = detailed("black ice crash on Main St, later assist ICE");
        assert!(s.refuses(), "{s:?}");
        assert_eq!(s.cleared.len(), 1);
        // A drug context lowers ICE to review rather than clearing it.
        let s = detailed("ICE narcotics op");
        let h = s.decisive().unwrap();
        assert_eq!(h.level, Level::Review);
        assert_eq!(h.context.as_deref(), Some("context.drug-case"));
        for text in [
            "vehículo deportivo robado",
            "a lien on the car",
            "erro na placa",
            "Icee machine",
            "roma-pd Roma Police Department",
            "Columbia Icefield parking",
            "se opero en el hospital",
        ] {
            assert!(detailed(text).hits.is_empty(), "{text}");
        }
    }

    #[test]
    fn test_hotlist_fields_are_screened_and_tagged() {
        let s = screen_hotlist_entry("Midway Blitz targets", "stolen vehicle").unwrap();
        assert!(s.refuses());
        assert_eq!(s.hits[0].field, Some(Field::HotListName));
        let s = screen_hotlist_entry("Stolen vehicles", "visa overstay").unwrap();
        assert_eq!(s.hits[0].field, Some(Field::HotListEntryReason));
        assert!(
            screen_hotlist_entry("Stolen vehicles", "NCIC stolen")
                .unwrap()
                .hits
                .is_empty()
        );
    }

    #[test]
    fn test_agency_rules_parse_and_contexts_must_name_entries() {
        let extra = r#"
            [[rule]]
            id = "screen.local"
            purpose = "civil_immigration"
            description = "an agency's own term"
            [[rule.terms]]
            meaning = "local programme"
            lang = "en"
            level = "review"
            words = ["project homecoming"]
            why = "a local name for an immigration sweep"
        "#;
        let rules = ScreeningRules::parse(extra).unwrap();
        let s = rules.screen_detailed("ProjectHomecoming list", None);
        assert_eq!(s.decisive().unwrap().level, Level::Review, "{s:?}");
        // An agency adds a term to the published immigration rule; it may not clear ICE.
        let published = ScreeningRules::published().unwrap();
        let local = published
            .with_additions(&extra.replace("screen.local", "screen.immigration"))
            .unwrap();
        assert_eq!(local.screen("ProjectHomecoming")[..], []);
        assert!(
            local
                .screen_detailed("ProjectHomecoming", None)
                .needs_review()
        );
        assert!(local.screen("ICE").len() == 1 && published.screen("ProjectHomecoming").is_empty());
        let clearing = "[[rule]]\nid = \"screen.immigration\"\npurpose = \"civil_immigration\"\ndescription = \"x\"\n[[context]]\nid = \"local.ice\"\nterms = [\"ice\"]\nnear = [\"assist\"]\nwhy = \"evasion\"\n";
        assert!(
            ScreeningRules::parse(clearing).is_err(),
            "names no entry of its own"
        );
        let clearing = clearing.replace(
            "description = \"x\"",
            "description = \"x\"\nwords = [\"ice\"]",
        );
        assert!(published.with_additions(&clearing).is_err());
        let bad = format!("{extra}\n[[context]]\nid = \"c\"\nterms = [\"nothing\"]\nwhy = \"x\"\n");
        assert!(ScreeningRules::parse(&bad).is_err());
    }

    #[test]
    fn test_odd_input_never_panics_and_stays_quiet() {
        let long = "ab ".repeat(2000);
        for text in [
            "",
            " ",
            "?",
            "*",
            "!!!",
            "@",
            "$$$",
            "\u{301}\u{301}",
            "\u{200B}",
            "🚓🚓",
            "1",
            "0 0 0",
            "a",
            "I",
            "l",
            "***?***",
            "e\u{301}",
            long.as_str(),
            "Ǝ",
            "ß",
            "İ",
            "ﬁ",
        ] {
            let s = detailed(text);
            assert!(s.hits.is_empty(), "{text:?}: {s:?}");
        }
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

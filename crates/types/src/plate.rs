//! Plate text: normalisation, the OCR-canonical key, and wildcard patterns.
//!
//! Readers confuse some characters systematically (O/0/D/Q, I/1/L, B/8, S/5, Z/2, G/6). The
//! canonical key folds each confusion class onto one representative, so that a fuzzy search can
//! look up every spelling a camera might have produced with one index probe.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest plate we accept, in characters (after normalisation).
pub const MAX_PLATE_LEN: usize = 10;

/// A normalised plate: upper-case A–Z, 0–9 and the German umlauts Ä, Ö, Ü; no separators.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PlateText(String);

impl PlateText {
    /// Normalises raw plate text: upper-cases, strips spaces, dashes, dots and middle dots, and
    /// rejects characters that no plate uses.
    ///
    /// # Errors
    /// Returns an error when the result is empty, too long, or holds a foreign character.
    pub fn normalise(raw: &str) -> Result<Self> {
        let mut out = String::with_capacity(raw.len());
        for c in raw.chars() {
            if is_separator(c) {
                continue;
            }
            let up = upper(c);
            if !is_plate_char(up) {
                return Err(Error::PlateCharacter(c));
            }
            out.push(up);
        }
        check_len(&out)?;
        Ok(PlateText(out))
    }

    /// Returns the normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the OCR-canonical key of this plate.
    pub fn canonical(&self) -> String {
        canonical_plate(&self.0)
    }
}

impl fmt::Display for PlateText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PlateText {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        PlateText::normalise(&s)
    }
}

impl From<PlateText> for String {
    fn from(p: PlateText) -> String {
        p.0
    }
}

fn check_len(s: &str) -> Result<()> {
    match s.chars().count() {
        0 => Err(Error::EmptyPlate),
        n if n > MAX_PLATE_LEN => Err(Error::PlateTooLong(s.to_owned())),
        _ => Ok(()),
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '·' | '\t' | '_')
}

fn upper(c: char) -> char {
    match c {
        'ä' => 'Ä',
        'ö' => 'Ö',
        'ü' => 'Ü',
        c => c.to_ascii_uppercase(),
    }
}

fn is_plate_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, 'Ä' | 'Ö' | 'Ü')
}

/// Folds one normalised character onto its confusion-class representative.
fn fold(c: char) -> char {
    match c {
        'O' | 'D' | 'Q' | 'Ö' => '0',
        'I' | 'L' => '1',
        'B' => '8',
        'S' => '5',
        'Z' => '2',
        'G' => '6',
        'Ä' => 'A',
        'Ü' => 'U',
        c => c,
    }
}

/// Returns the OCR-canonical key of already-normalised plate text.
pub fn canonical_plate(normalised: &str) -> String {
    normalised.chars().map(fold).collect()
}

/// The characters a canonical key can contain (the image of [`fold`]).
pub const CANONICAL_ALPHABET: &str = "0123456789ACEFHJKMNPRTUVWXY";

/// A wildcard plate pattern: `?` stands for one character, `*` for any run (possibly empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PlatePattern(String);

impl PlatePattern {
    /// Normalises a pattern like a plate, keeping `?` and `*` (runs of `*` collapse to one).
    ///
    /// # Errors
    /// Returns an error for foreign characters, a pattern with no literal character and no `?`
    /// (which would match every plate), or one longer than a plate.
    pub fn parse(raw: &str) -> Result<Self> {
        let mut out = String::with_capacity(raw.len());
        for c in raw.chars() {
            if is_separator(c) {
                continue;
            }
            let up = upper(c);
            if up == '*' && out.ends_with('*') {
                continue;
            }
            if !(is_plate_char(up) || up == '?' || up == '*') {
                return Err(Error::Pattern(format!(
                    "character {c:?} is not a plate character, `?` or `*`"
                )));
            }
            out.push(up);
        }
        if out.chars().all(|c| c == '*') {
            return Err(Error::Pattern(
                "a pattern needs at least one character or `?`".into(),
            ));
        }
        if out.chars().filter(|c| *c != '*').count() > MAX_PLATE_LEN {
            return Err(Error::Pattern(format!(
                "more than {MAX_PLATE_LEN} characters"
            )));
        }
        Ok(PlatePattern(out))
    }

    /// Returns the normalised pattern.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the longest run of literal characters, used to pre-filter candidates.
    pub fn longest_literal(&self) -> &str {
        self.0
            .split(['?', '*'])
            .max_by_key(|s| s.len())
            .unwrap_or("")
    }

    /// Returns the literal prefix before the first wildcard.
    pub fn literal_prefix(&self) -> &str {
        let end = self.0.find(['?', '*']).unwrap_or(self.0.len());
        &self.0[..end]
    }

    /// Tests whether normalised plate text matches the whole pattern.
    pub fn matches(&self, plate: &str) -> bool {
        let p: Vec<char> = self.0.chars().collect();
        let t: Vec<char> = plate.chars().collect();
        glob_match(&p, &t)
    }
}

impl TryFrom<String> for PlatePattern {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        PlatePattern::parse(&s)
    }
}

impl From<PlatePattern> for String {
    fn from(p: PlatePattern) -> String {
        p.0
    }
}

/// Iterative glob matching with single-star backtracking: linear in practice.
fn glob_match(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Returns every string at edit distance exactly one from `key` over the canonical alphabet
/// (deletions, substitutions, insertions), without duplicates.
pub fn canonical_neighbours(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().collect();
    let mut out = std::collections::BTreeSet::new();
    for i in 0..chars.len() {
        let mut v = chars.clone();
        v.remove(i);
        if !v.is_empty() {
            out.insert(v.iter().collect::<String>());
        }
        for a in CANONICAL_ALPHABET.chars().filter(|a| *a != chars[i]) {
            let mut v = chars.clone();
            v[i] = a;
            out.insert(v.iter().collect());
        }
    }
    if chars.len() < MAX_PLATE_LEN {
        for i in 0..=chars.len() {
            for a in CANONICAL_ALPHABET.chars() {
                let mut v = chars.clone();
                v.insert(i, a);
                out.insert(v.iter().collect());
            }
        }
    }
    out.remove(key);
    out.into_iter().collect()
}

/// Levenshtein distance between two short strings, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn test_normalise_strips_separators_and_uppercases() {
        assert_eq!(
            PlateText::normalise("ab-cd 123").unwrap().as_str(),
            "ABCD123"
        );
        assert_eq!(PlateText::normalise("m·ün 42").unwrap().as_str(), "MÜN42");
    }

    #[test]
    fn test_normalise_rejects_foreign_characters_and_empty() {
        assert_eq!(
            PlateText::normalise("AB$12"),
            Err(Error::PlateCharacter('$'))
        );
        assert_eq!(PlateText::normalise(" - "), Err(Error::EmptyPlate));
        assert!(matches!(
            PlateText::normalise("ABCDEFGHIJK"),
            Err(Error::PlateTooLong(_))
        ));
    }

    #[test]
    fn test_canonical_folds_confusions() {
        assert_eq!(canonical_plate("O0DQ"), "0000");
        assert_eq!(canonical_plate("I1L"), "111");
        assert_eq!(canonical_plate("B8S5Z2G6"), "88552266");
        assert_eq!(canonical_plate("ABC1234"), "A8C1234");
    }

    #[test]
    fn test_pattern_matching() {
        let p = PlatePattern::parse("ab?12*").unwrap();
        assert!(p.matches("ABC12"));
        assert!(p.matches("ABX12345"));
        assert!(!p.matches("AB12"));
        assert_eq!(p.literal_prefix(), "AB");
        assert_eq!(
            PlatePattern::parse("ab?123*").unwrap().longest_literal(),
            "123"
        );
        assert!(PlatePattern::parse("*").is_err());
        assert!(PlatePattern::parse("**1").unwrap().matches("XYZ1"));
        assert!(PlatePattern::parse("a%").is_err());
    }

    #[test]
    fn test_neighbours_are_distance_one() {
        let n = canonical_neighbours("A8C1");
        assert!(n.iter().all(|s| edit_distance(s, "A8C1") == 1));
        assert!(n.contains(&"A8C".to_string()));
        assert!(n.contains(&"A8C12".to_string()));
        assert!(n.contains(&"A9C1".to_string()));
        assert!(!n.contains(&"A8C1".to_string()));
    }

    fn raw_plate() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[A-Za-z0-9 \\-]{1,12}").unwrap()
    }

    proptest! {
        #[test]
        fn test_normalise_is_idempotent(raw in raw_plate()) {
            if let Ok(p) = PlateText::normalise(&raw) {
                prop_assert_eq!(PlateText::normalise(p.as_str()).unwrap(), p.clone());
                prop_assert!(p.as_str().chars().all(is_plate_char));
                prop_assert!(p.as_str().chars().count() <= MAX_PLATE_LEN);
            }
        }

        #[test]
        fn test_canonical_is_idempotent_and_in_alphabet(raw in raw_plate()) {
            if let Ok(p) = PlateText::normalise(&raw) {
                let c = p.canonical();
                prop_assert_eq!(canonical_plate(&c), c.clone());
                prop_assert!(c.chars().all(|ch| CANONICAL_ALPHABET.contains(ch)));
            }
        }

        #[test]
        fn test_confusable_swaps_keep_canonical_key(raw in "[A-Z0-9]{1,10}", seed in 0usize..1000) {
            let classes = ["O0DQ", "I1L", "B8", "S5", "Z2", "G6"];
            let swapped: String = raw.chars().enumerate().map(|(i, c)| {
                classes.iter().find(|k| k.contains(c)).map_or(c, |k| {
                    let ks: Vec<char> = k.chars().collect();
                    ks[(seed + i) % ks.len()]
                })
            }).collect();
            prop_assert_eq!(canonical_plate(&raw), canonical_plate(&swapped));
        }

        #[test]
        fn test_pattern_of_plate_matches_itself(raw in "[A-Z0-9]{1,10}") {
            let p = PlatePattern::parse(&raw).unwrap();
            prop_assert!(p.matches(&raw));
            let q = PlatePattern::parse(&format!("*{}", &raw[raw.len() - 1..])).unwrap();
            prop_assert!(q.matches(&raw));
        }
    }
}

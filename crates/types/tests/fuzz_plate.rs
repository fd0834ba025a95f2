//! Fuzz harness (issue 15) for plate normalisation and wildcard patterns. Bounded and
//! deterministic; see `fuzz/harness.rs`.

#[path = "../../../fuzz/harness.rs"]
mod harness;

use harness::{Harness, mutated, noise, text};
use proptest::prelude::*;
use sightline_types::plate::{MAX_PLATE_LEN, canonical_neighbours};
use sightline_types::{PlatePattern, PlateText, canonical_plate};

fn check(bytes: &[u8]) {
    let raw = text(bytes);
    match PlateText::normalise(&raw) {
        Ok(p) => {
            let n = p.as_str().chars().count();
            assert!((1..=MAX_PLATE_LEN).contains(&n), "{p}");
            // Normalising is idempotent, and serde goes through the same door.
            assert_eq!(PlateText::normalise(p.as_str()).unwrap(), p);
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<PlateText>(&json).unwrap(), p);
            // The canonical key is idempotent and the plate matches itself as a pattern.
            let c = p.canonical();
            assert_eq!(canonical_plate(&c), c);
            assert!(PlatePattern::parse(p.as_str()).unwrap().matches(p.as_str()));
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    match PlatePattern::parse(&raw) {
        Ok(pat) => {
            assert_eq!(PlatePattern::parse(pat.as_str()).unwrap(), pat);
            assert!(!pat.as_str().contains("**"));
            assert!(pat.as_str().starts_with(pat.literal_prefix()));
            assert!(pat.as_str().contains(pat.longest_literal()));
            // A pattern matches the plate its wildcards are filled into.
            let filled: String = pat
                .as_str()
                .chars()
                .filter(|c| *c != '*')
                .map(|c| if c == '?' { 'A' } else { c })
                .collect();
            assert!(pat.matches(&filled), "{pat:?} vs {filled}");
            let _ = pat.matches(&raw);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// Plate-like text: plate characters, separators, wildcards and a few foreign characters.
fn plateish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            8 => proptest::char::range('A', 'Z'),
            4 => proptest::char::range('0', '9'),
            2 => proptest::char::range('a', 'z'),
            2 => proptest::sample::select(vec![' ', '-', '.', '·', '\t', '_']),
            2 => proptest::sample::select(vec!['?', '*']),
            1 => proptest::sample::select(vec!['ä', 'ö', 'ü', 'Ä', 'Ö', 'Ü', 'ß', 'é', '$', '\u{0}']),
            1 => any::<char>(),
        ],
        0..16,
    )
    .prop_map(|v| v.into_iter().collect())
}

#[test]
fn fuzz_types_plate() {
    let mut h = Harness::new("types_plate", 3_000);
    let seeds = h.run_corpus(check);
    h.run("mutated corpus", mutated(seeds), |b| check(&b));
    h.run("noise", noise(), |b| check(&b));
    h.run("plate-like text", plateish(), |s| check(s.as_bytes()));
    h.run(
        "pattern vs plate",
        (plateish(), "[A-Z0-9]{1,10}"),
        |(pattern, plate)| {
            if let Ok(p) = PlatePattern::parse(&pattern) {
                // Matching agrees with a slow reference (regex-free recursive glob).
                assert_eq!(
                    p.matches(&plate),
                    reference(p.as_str(), &plate),
                    "{p:?} {plate}"
                );
            }
        },
    );
    h.run("neighbours", "[0-9ACEFHJKMNPRTUVWXY]{1,10}", |key| {
        for n in canonical_neighbours(&key) {
            assert_ne!(n, key);
            assert!(n.chars().count().abs_diff(key.chars().count()) <= 1);
        }
    });
    h.done();
}

fn reference(p: &str, t: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = p.chars().collect();
    let t: Vec<char> = t.chars().collect();
    go(&p, &t)
}

//! libFuzzer target: plate normalisation and wildcard patterns are idempotent and never panic.
#![no_main]

use sightline_types::{PlatePattern, PlateText, canonical_plate};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(p) = PlateText::normalise(&s) {
        assert_eq!(PlateText::normalise(p.as_str()).unwrap(), p);
        let c = p.canonical();
        assert_eq!(canonical_plate(&c), c);
    }
    if let Ok(pat) = PlatePattern::parse(&s) {
        assert_eq!(PlatePattern::parse(pat.as_str()).unwrap(), pat);
        let _ = pat.matches(&s);
    }
});

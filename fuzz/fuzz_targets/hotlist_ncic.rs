//! libFuzzer target: the NCIC-style extract and the CSV import never panic; errors name a line.
#![no_main]

use chrono::Utc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let now = chrono::DateTime::<Utc>::UNIX_EPOCH;
    if let Err(e) = sightline_hotlist::ncic::parse(&s, "fuzz", now) {
        assert!(e.to_string().starts_with("line "));
    }
    let _ = sightline_hotlist::HotlistStore::parse_csv(&s, "fuzz", now);
});

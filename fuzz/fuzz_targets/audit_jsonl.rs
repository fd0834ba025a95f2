//! libFuzzer target: the audit export reader and verifier never panic, and bad input is
//! reported, not an I/O error.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let report = sightline_audit::verify_jsonl(data, &[], None).expect("in-memory input");
    assert!(report.problems.iter().all(|p| !p.what.is_empty()));
    if let Ok(entries) = sightline_audit::read_jsonl(data) {
        for e in entries {
            e.canonical_bytes().unwrap();
        }
    }
});

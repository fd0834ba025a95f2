//! Fuzz harness (issue 15) for the oversight readers: Flock audit CSV exports (and Sightline
//! JSON Lines, which the same entry point detects), then the analyser over what was read.
//! Bounded and deterministic; see `fuzz/harness.rs`.

#[path = "../../../fuzz/harness.rs"]
mod harness;

use harness::{Harness, mutated, noise, text};
use proptest::prelude::*;
use sightline_oversight::read::parse_time;
use sightline_oversight::{analyze, read_text};

fn check(bytes: &[u8]) {
    let s = text(bytes);
    let (records, summary) = read_text(&s, "fuzz.csv");
    // Never drops a row silently: every row is a record or a listed problem.
    if summary.format != "sightline-jsonl" {
        let unreadable = summary
            .problems
            .iter()
            .filter(|(_, p)| p.starts_with("row unreadable"))
            .count() as u64;
        assert_eq!(
            records.len() as u64 + unreadable,
            summary.rows,
            "{summary:?}"
        );
    }
    assert!(summary.problems.iter().all(|(_, p)| !p.is_empty()));
    let report = analyze(&records, vec![summary], 30.0);
    let _ = serde_json::to_string(&report).unwrap();
    for field in s.split([',', '\n']) {
        let _ = parse_time(field);
    }
}

const HEADERS: &[&str] = &[
    "ID",
    "Org_Name",
    "Org Name",
    "Name",
    "Total_Networks_Searched",
    "Networks Searched",
    "Total_Devices_Searched",
    "Devices Searched",
    "Time_Frame_Start",
    "Time_Frame_End",
    "Reason",
    "Search_Time",
    "Search Time",
    "Search_Type",
    "Case #",
    "License Plate",
    "Moderation",
    "Badge",
    "unknown column",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("05/02/2026, 09:00:00 AM UTC".to_owned()),
        Just("2026-05-03T14:22:10Z".to_owned()),
        Just("2026-05-03 14:22:10".to_owned()),
        Just("13/45/2026, 99:00:00 PM UTC".to_owned()),
        Just("1,234".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("***".to_owned()),
        "[0-9]{0,6}",
        "\\PC{0,16}",
    ]
}

fn flock_csv() -> impl Strategy<Value = String> {
    (
        proptest::sample::subsequence(HEADERS.to_vec(), 1..HEADERS.len()),
        proptest::collection::vec(proptest::collection::vec(value(), 0..20), 0..6),
    )
        .prop_map(|(headers, rows)| {
            let mut w = csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(Vec::new());
            w.write_record(&headers).unwrap();
            for r in rows {
                // Rows of the header's width mostly, ragged sometimes.
                let n = if r.len() % 5 == 0 {
                    r.len()
                } else {
                    headers.len()
                };
                let mut r = r;
                r.resize(n, String::new());
                w.write_record(&r).unwrap();
            }
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        })
}

#[test]
fn fuzz_oversight_flock() {
    let mut h = Harness::new("oversight_flock", 1_500);
    let seeds = h.run_corpus(check);
    h.run("mutated corpus", mutated(seeds), |b| check(&b));
    h.run("noise", noise(), |b| check(&b));
    h.run("generated exports", flock_csv(), |s| check(s.as_bytes()));
    h.done();
}

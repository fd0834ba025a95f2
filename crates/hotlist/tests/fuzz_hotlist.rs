//! Fuzz harnesses (issue 15) for the hot-list imports: the CSV import
//! (`HotlistStore::parse_csv`) and the NCIC-style fixed-width extract (`ncic::parse`). Bounded
//! and deterministic; see `fuzz/harness.rs`.

#[path = "../../../fuzz/harness.rs"]
mod harness;

use chrono::{DateTime, NaiveDate, Utc};
use harness::{Harness, mutated, noise, text};
use proptest::prelude::*;
use sightline_hotlist::{Error, HotlistStore, ncic};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-02T09:30:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn check_error(e: &Error) {
    assert!(matches!(e, Error::Invalid(_)), "{e:?}");
    assert!(!e.to_string().is_empty());
}

fn check_csv(bytes: &[u8]) {
    match HotlistStore::parse_csv(&text(bytes), "fuzz", now()) {
        Ok(entries) => {
            for e in entries {
                assert_eq!((e.added_by.as_str(), e.added_at), ("fuzz", now()));
                assert!(!e.reason.is_empty());
            }
        }
        Err(e) => check_error(&e),
    }
}

fn check_ncic(bytes: &[u8]) {
    let s = text(bytes);
    match ncic::parse(&s, "fuzz", now()) {
        Ok(entries) => {
            assert!(entries.len() <= s.lines().count());
            for e in entries {
                assert!(!e.plate.is_empty());
                assert!(e.region.as_deref().is_none_or(|r| r.starts_with("US-")));
                assert_eq!(e.legal_basis.as_deref(), Some("NCIC"));
            }
        }
        Err(e) => {
            check_error(&e);
            assert!(e.to_string().starts_with("line "), "{e}");
        }
    }
}

/// A CSV cell: text with the characters CSV must quote, trimmed (the import trims cells).
fn cell() -> impl Strategy<Value = String> {
    "[A-Za-z0-9,\"' ;\n-]{0,12}".prop_map(|s| s.trim().to_owned())
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1900i32..2200, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

#[derive(Debug, Clone)]
struct Row {
    plate: String,
    region: String,
    reason: String,
    basis: String,
    expires: Option<DateTime<Utc>>,
}

fn row() -> impl Strategy<Value = Row> {
    (
        "[A-Z0-9]{1,10}",
        cell(),
        cell(),
        cell(),
        proptest::option::of(date()),
    )
        .prop_map(|(plate, region, reason, basis, d)| Row {
            plate,
            region,
            reason,
            basis,
            expires: d.map(|d| d.and_hms_opt(12, 0, 0).unwrap().and_utc()),
        })
}

#[test]
fn fuzz_hotlist_csv() {
    let mut h = Harness::new("hotlist_csv", 2_000);
    let seeds = h.run_corpus(check_csv);
    h.run("mutated corpus", mutated(seeds), |b| check_csv(&b));
    h.run("noise", noise(), |b| check_csv(&b));
    h.run(
        "rows: write -> import",
        proptest::collection::vec(row(), 0..8),
        |rows| {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["plate", "region", "reason", "legal_basis", "expires_at"])
                .unwrap();
            for r in &rows {
                let exp = r.expires.map(|t| t.to_rfc3339()).unwrap_or_default();
                w.write_record([&r.plate, &r.region, &r.reason, &r.basis, &exp])
                    .unwrap();
            }
            let bytes = w.into_inner().unwrap();
            let got = HotlistStore::parse_csv(&text(&bytes), "fuzz", now()).unwrap();
            assert_eq!(got.len(), rows.len());
            let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            for (g, r) in got.iter().zip(&rows) {
                assert_eq!(g.plate, r.plate);
                assert_eq!(g.region, some(&r.region));
                assert_eq!(
                    g.reason,
                    some(&r.reason).unwrap_or_else(|| "imported".into())
                );
                assert_eq!(g.legal_basis, some(&r.basis));
                assert_eq!(g.expires_at, r.expires);
            }
        },
    );
    h.done();
}

#[test]
fn fuzz_hotlist_ncic() {
    let mut h = Harness::new("hotlist_ncic", 2_000);
    let seeds = h.run_corpus(check_ncic);
    h.run("mutated corpus", mutated(seeds), |b| check_ncic(&b));
    h.run("noise", noise(), |b| check_ncic(&b));
    h.run(
        "records: write -> parse",
        proptest::collection::vec(
            (
                "[A-Z0-9]{1,10}",
                "([A-Z]{2})?",
                proptest::option::of(date()),
                "[A-Za-z0-9 ]{0,30}",
            ),
            0..8,
        ),
        |records| {
            let mut extract = String::from("# generated\n");
            for (plate, state, expiry, reason) in &records {
                let exp = expiry.map_or("00000000".to_owned(), |d| d.format("%Y%m%d").to_string());
                extract.push_str(&format!("{plate:<10}{state:<2}{exp}{reason}\n"));
            }
            let got = ncic::parse(&extract, "fuzz", now()).unwrap();
            assert_eq!(got.len(), records.len());
            for (g, (plate, state, expiry, reason)) in got.iter().zip(&records) {
                assert_eq!(&g.plate, plate);
                assert_eq!(g.region, (!state.is_empty()).then(|| format!("US-{state}")));
                assert_eq!(
                    g.expires_at.map(|t| t.date_naive()),
                    expiry.and_then(|d| d.succ_opt())
                );
                let want = reason.trim();
                assert_eq!(g.reason, if want.is_empty() { "NCIC record" } else { want });
            }
        },
    );
    h.done();
}

/// Issue 15, found by `fuzz_hotlist_ncic`: a record without a reason (20 characters: plate,
/// state, expiry) was refused as "shorter than 21 characters", although the reason column is
/// optional and defaults to "NCIC record".
#[test]
fn test_regression_ncic_record_without_reason_is_accepted() {
    let e = ncic::parse("XYZ9      TX00000000\n", "fuzz", now()).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(
        (
            e[0].plate.as_str(),
            e[0].region.as_deref(),
            e[0].reason.as_str()
        ),
        ("XYZ9", Some("US-TX"), "NCIC record")
    );
    let err = ncic::parse("XYZ9      TX0000000\n", "fuzz", now()).unwrap_err();
    assert!(
        err.to_string().starts_with("line 1: shorter than 20"),
        "{err}"
    );
}

//! One conformance suite for the read store, run unchanged against both backends: every case is
//! a function generic over [`ReadStore`], and `conformance!` makes two tests of it,
//! `<case>::sqlite` (the embedded store in a temporary directory) and `<case>::postgres` (a
//! fresh schema in the database named by `SIGHTLINE_TEST_POSTGRES`, which `scripts/test` starts
//! and sets). Without a reachable PostgreSQL the `postgres` half fails and says how to start one.
//!
//! Expectations are written out (client ids, counts, days), not taken from the other backend,
//! so each half fails on its own when its backend is wrong.
#![allow(clippy::disallowed_methods)] // the suite checks the plate-data methods themselves

use chrono::{DateTime, Duration, Utc};
use sightline_store::{
    AppendOutcome, Durability, LegalHold, NewCamera, PlateSelector, PurgeRule, ReadQuery,
    ReadRecord, ReadSelector, ReadStore, Sighting, Store,
};
use sightline_store_pg::PgReadStore;
use sightline_types::{
    Agency, AgencyId, AgencyKind, Camera, CameraId, Jurisdiction, PlatePattern, PlateText,
    StoredRead, VehicleAttributes,
};
use std::collections::{BTreeMap, BTreeSet, HashSet};

const HOW_TO_START: &str = "the PostgreSQL half of the store conformance suite needs a running \
PostgreSQL: run the tests with `scripts/test`, which starts a throw-away cluster and sets \
SIGHTLINE_TEST_POSTGRES, or start PostgreSQL 13 or later yourself and set SIGHTLINE_TEST_POSTGRES \
to a connection string whose role may create schemas and the pg_trgm extension (for example \
`host=/tmp/pg user=sightline dbname=sightline` or `postgres://sightline@localhost/sightline`)";

// ---------------------------------------------------------------- fixtures

const CAM1: CameraId = CameraId(11); // Oak Park, fixed
const CAM2: CameraId = CameraId(12); // Oak Park, mobile
const CAM3: CameraId = CameraId(21); // Cook County, fixed

fn owner_a() -> AgencyId {
    AgencyId::parse("oak-park-pd").unwrap()
}

fn owner_b() -> AgencyId {
    AgencyId::parse("cook-county-so").unwrap()
}

fn cameras() -> Vec<Camera> {
    let cam = |id, owner: AgencyId, name: &str, lat, lon, mobile| Camera {
        id,
        owner,
        name: name.into(),
        lat,
        lon,
        bearing: None,
        mobile,
    };
    vec![
        cam(CAM1, owner_a(), "Harlem & Lake", 41.88, -87.80, false),
        cam(CAM2, owner_a(), "Unit 7", 41.89, -87.79, true),
        cam(CAM3, owner_b(), "Cicero & Roosevelt", 41.86, -87.74, false),
    ]
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// The day (since the epoch) of t0 plus `n` days.
fn day(n: i64) -> i32 {
    i32::try_from((t0() + Duration::days(n)).timestamp_micros() / 86_400_000_000).unwrap()
}

fn us(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn h(n: i64) -> Duration {
    Duration::hours(n)
}

fn d(n: i64) -> Duration {
    Duration::days(n)
}

struct Sqlite {
    store: Store,
    _dir: tempfile::TempDir,
}

fn sqlite() -> Sqlite {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Durability::Process).unwrap();
    for (id, name, j) in [
        (owner_a(), "Oak Park PD", "US-IL"),
        (owner_b(), "Cook County SO", "US-IL"),
    ] {
        store
            .create_agency(&Agency {
                id,
                name: name.into(),
                kind: AgencyKind::Municipal,
                jurisdiction: Jurisdiction::parse(j).unwrap(),
            })
            .unwrap();
    }
    for c in cameras() {
        let made = store
            .create_camera(
                &NewCamera {
                    id: c.id.0,
                    owner: c.owner.clone(),
                    name: c.name.clone(),
                    lat: c.lat,
                    lon: c.lon,
                    bearing: c.bearing,
                    mobile: c.mobile,
                    key_hash: format!("key-{}", c.id.0),
                },
                t0(),
            )
            .unwrap();
        assert_eq!(made, c);
    }
    Sqlite { store, _dir: dir }
}

/// A PostgreSQL store in its own schema, dropped at the end of the test.
struct Pg(Option<PgReadStore>);

impl Drop for Pg {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            let _ = s.drop_schema();
        }
    }
}

fn postgres(case: &str) -> Pg {
    let url = std::env::var("SIGHTLINE_TEST_POSTGRES")
        .unwrap_or_else(|_| panic!("SIGHTLINE_TEST_POSTGRES is not set; {HOW_TO_START}"));
    let schema = format!("conformance_{case}_{}", std::process::id());
    let store = PgReadStore::connect(&url, &schema)
        .unwrap_or_else(|e| panic!("PostgreSQL at SIGHTLINE_TEST_POSTGRES: {e}; {HOW_TO_START}"));
    // Start clean even if an earlier run of this process id left the schema behind.
    store.drop_schema().unwrap();
    let store = PgReadStore::connect(&url, &schema).unwrap();
    store.sync_cameras(&cameras()).unwrap();
    Pg(Some(store))
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[test]
            fn sqlite() {
                let fx = super::sqlite();
                super::$case(&fx.store);
            }

            #[test]
            fn postgres() {
                let fx = super::postgres(stringify!($case));
                super::$case(fx.0.as_ref().unwrap());
            }
        }
    )*};
}

conformance!(
    ingest_and_exact,
    idempotency,
    wildcard,
    fuzzy,
    description,
    retention_cutoffs,
    retention_legal_holds,
    crops,
    analysis,
    partition_drops,
);

// ---------------------------------------------------------------- helpers

fn read(cam: CameraId, id: &str, plate: &str, at: DateTime<Utc>) -> ReadRecord {
    ReadRecord {
        camera_id: cam,
        client_id: id.into(),
        captured_us: at.timestamp_micros(),
        plate: PlateText::normalise(plate).unwrap(),
        region: Some("US-IL".into()),
        confidence: Some(0.875),
        colour: Some("red".into()),
        vehicle_type: Some("sedan".into()),
        make: None,
        lat: None,
        lon: None,
        received_us: at.timestamp_micros() + 1_000,
        crop: None,
    }
}

fn ingest<S: ReadStore>(s: &S, reads: Vec<ReadRecord>) -> Vec<AppendOutcome> {
    s.ingest(reads).unwrap()
}

fn all_inserted(out: &[AppendOutcome]) -> bool {
    out.iter()
        .all(|o| matches!(o, AppendOutcome::Inserted { .. }))
}

fn query(
    sel: ReadSelector,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cams: &[CameraId],
    limit: usize,
) -> ReadQuery {
    ReadQuery {
        selector: sel,
        from_us: from.timestamp_micros(),
        to_us: to.timestamp_micros(),
        cameras: cams.iter().copied().collect(),
        limit,
        with_crops: false,
    }
}

const ALL: [CameraId; 3] = [CAM1, CAM2, CAM3];

fn ids(rows: &[StoredRead]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

fn plate(s: &str) -> PlateText {
    PlateText::normalise(s).unwrap()
}

/// Client ids of every read of `plate_text` in ±30 days at every camera, newest first.
fn reads_of_plate<S: ReadStore>(s: &S, plate_text: &str) -> Vec<String> {
    let (plates, _) = s
        .resolve_plates(&PlateSelector::Exact(plate(plate_text)))
        .unwrap();
    let q = query(
        ReadSelector::Plates(plates),
        t0() - d(30),
        t0() + d(30),
        &ALL,
        1000,
    );
    ids(&s.query_reads(&q).unwrap().0)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Client ids of every stored read (a description query with no attribute), newest first.
fn everything<S: ReadStore>(s: &S) -> Vec<String> {
    let q = query(
        ReadSelector::Description(VehicleAttributes::default()),
        t0() - d(30),
        t0() + d(30),
        &ALL,
        1000,
    );
    ids(&s.query_reads(&q).unwrap().0)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn plates_of<S: ReadStore>(s: &S, sel: PlateSelector) -> BTreeSet<String> {
    let (ids, capped) = s.resolve_plates(&sel).unwrap();
    assert!(!capped);
    ids.into_iter()
        .map(|id| s.plate_text(id).unwrap().unwrap())
        .collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn hold(owner: AgencyId, plate: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> LegalHold {
    LegalHold {
        id: 1,
        owner,
        case_number: "2026-CR-0142".into(),
        plate: plate.into(),
        from,
        to,
        reason: "homicide investigation".into(),
        created_by: "sgt.miller".into(),
        created_at: t0(),
        released_at: None,
    }
}

fn rules(cutoff_a: DateTime<Utc>, cutoff_b: DateTime<Utc>) -> Vec<PurgeRule> {
    vec![
        PurgeRule {
            owner: owner_a(),
            cameras: vec![CAM1, CAM2],
            cutoff_us: cutoff_a.timestamp_micros(),
        },
        PurgeRule {
            owner: owner_b(),
            cameras: vec![CAM3],
            cutoff_us: cutoff_b.timestamp_micros(),
        },
    ]
}

fn deleted(report: &sightline_store::PurgeReport) -> BTreeMap<String, u64> {
    report.deleted.clone()
}

fn counts(v: &[(&str, u64)]) -> BTreeMap<String, u64> {
    v.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

// ---------------------------------------------------------------- cases

fn ingest_and_exact<S: ReadStore>(s: &S) {
    let mut r5 = read(CAM2, "r5", "ABC1234", t0() + h(2));
    r5.lat = Some(41.95);
    r5.lon = Some(-87.70);
    let mut r4 = read(CAM1, "r4", "XYZ999", t0());
    r4.colour = Some("blue".into());
    let out = ingest(
        s,
        vec![
            read(CAM1, "r1", "ABC1234", t0()),
            read(CAM1, "r2", "ABC1234", t0() + d(1)),
            read(CAM3, "r3", "ABC1234", t0() - h(1)),
            r4,
            r5,
        ],
    );
    assert!(all_inserted(&out), "{out:?}");
    let seqs: HashSet<i64> = out
        .iter()
        .map(|o| match o {
            AppendOutcome::Inserted { seq } => *seq,
            AppendOutcome::Duplicate => 0,
        })
        .collect();
    assert_eq!(seqs.len(), 5, "sequence numbers are distinct");

    let (abc, capped) = s
        .resolve_plates(&PlateSelector::Exact(plate("ABC1234")))
        .unwrap();
    assert_eq!((abc.len(), capped), (1, false));
    let exact = |from, to, cams: &[CameraId], limit| {
        let (rows, more) = s
            .query_reads(&query(
                ReadSelector::Plates(abc.clone()),
                from,
                to,
                cams,
                limit,
            ))
            .unwrap();
        (
            ids(&rows)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
            more,
        )
    };
    let wide = (t0() - d(10), t0() + d(10));
    assert_eq!(
        exact(wide.0, wide.1, &ALL, 10),
        (
            vec!["r2".into(), "r5".into(), "r1".into(), "r3".into()],
            false
        )
    );
    // Camera filter (policy's allowed cameras).
    assert_eq!(
        exact(wide.0, wide.1, &[CAM1], 10),
        (vec!["r2".into(), "r1".into()], false)
    );
    assert_eq!(exact(wide.0, wide.1, &[], 10), (vec![], false));
    // Limit: the newest rows, and whether more matched.
    assert_eq!(
        exact(wide.0, wide.1, &ALL, 2),
        (vec!["r2".into(), "r5".into()], true)
    );
    assert!(!exact(wide.0, wide.1, &ALL, 4).1);
    // Window: from inclusive, to exclusive.
    assert_eq!(
        exact(t0(), t0() + d(1), &ALL, 10),
        (vec!["r5".into(), "r1".into()], false)
    );
    assert_eq!(
        exact(t0() + Duration::microseconds(1), t0() + d(1), &ALL, 10),
        (vec!["r5".into()], false)
    );
    assert_eq!(
        exact(
            t0() + d(1),
            t0() + d(1) + Duration::microseconds(1),
            &ALL,
            10
        ),
        (vec!["r2".into()], false)
    );
    assert_eq!(exact(t0(), t0(), &ALL, 10), (vec![], false));

    // Every field of a read comes back; a mobile camera's read keeps its own position.
    let (rows, _) = s
        .query_reads(&query(
            ReadSelector::Plates(abc.clone()),
            wide.0,
            wide.1,
            &ALL,
            10,
        ))
        .unwrap();
    let r5 = rows.iter().find(|r| r.id == "r5").unwrap();
    assert_eq!(
        (
            r5.camera_id,
            r5.camera_name.as_str(),
            &r5.owner,
            r5.plate.as_str()
        ),
        (CAM2, "Unit 7", &owner_a(), "ABC1234")
    );
    assert_eq!((r5.lat, r5.lon), (41.95, -87.70));
    assert_eq!(r5.captured_at, t0() + h(2));
    assert_eq!(
        (r5.region.as_deref(), r5.confidence),
        (Some("US-IL"), Some(0.875))
    );
    assert_eq!(r5.attributes.colour.as_deref(), Some("red"));
    assert_eq!(r5.crop, None);
    let r3 = rows.iter().find(|r| r.id == "r3").unwrap();
    assert_eq!(
        (r3.owner.clone(), r3.lat, r3.lon),
        (owner_b(), 41.86, -87.74)
    );

    // A plate never read resolves to nothing.
    let (none, _) = s
        .resolve_plates(&PlateSelector::Exact(plate("NOPE42")))
        .unwrap();
    assert!(none.is_empty());
    assert!(
        s.query_reads(&query(ReadSelector::Plates(none), wide.0, wide.1, &ALL, 10))
            .unwrap()
            .0
            .is_empty()
    );

    assert!(
        s.contains_read(CAM1, "r1", t0().timestamp_micros())
            .unwrap()
    );
    assert!(
        !s.contains_read(CAM3, "r1", t0().timestamp_micros())
            .unwrap()
    );
    assert!(
        !s.contains_read(CAM1, "r1", (t0() + d(1)).timestamp_micros())
            .unwrap()
    );
    assert_eq!(s.partition_days().unwrap(), vec![day(0), day(1)]);
}

fn idempotency<S: ReadStore>(s: &S) {
    let batch = vec![
        read(CAM1, "a", "ABC1234", t0()),
        read(CAM1, "b", "ABC1234", t0() + d(1)),
        // Same camera and id, same day, in the same batch: the first one wins.
        read(CAM1, "a", "DUP111", t0() + h(1)),
        // The same id from another camera is another read.
        read(CAM3, "a", "ABC1234", t0()),
    ];
    let first = ingest(s, batch.clone());
    assert!(matches!(first[0], AppendOutcome::Inserted { .. }));
    assert!(matches!(first[1], AppendOutcome::Inserted { .. }));
    assert_eq!(first[2], AppendOutcome::Duplicate);
    assert!(matches!(first[3], AppendOutcome::Inserted { .. }));
    // The same batch again changes nothing.
    let again = ingest(s, batch);
    assert!(
        again.iter().all(|o| *o == AppendOutcome::Duplicate),
        "{again:?}"
    );
    // A re-send with another time on the same day is still the same read.
    assert_eq!(
        ingest(s, vec![read(CAM1, "a", "ABC1234", t0() + h(5))]),
        vec![AppendOutcome::Duplicate]
    );
    // The key is per capture day: the id on another day is another read.
    assert!(all_inserted(&ingest(
        s,
        vec![read(CAM1, "a", "ABC1234", t0() + d(3))]
    )));
    assert_eq!(reads_of_plate(s, "ABC1234"), vec!["a", "b", "a", "a"]);
    assert!(reads_of_plate(s, "DUP111").is_empty());
    assert_eq!(everything(s).len(), 4);
    // An empty batch is fine.
    assert!(ingest(s, Vec::new()).is_empty());
}

fn wildcard<S: ReadStore>(s: &S) {
    let plates = ["ABC1234", "ABD1234", "XABC12", "AB12", "ZZ9", "KXABC77"];
    let reads = plates
        .iter()
        .enumerate()
        .map(|(i, p)| {
            read(
                CAM1,
                &format!("w{i}"),
                p,
                t0() + Duration::minutes(i as i64),
            )
        })
        .collect();
    assert!(all_inserted(&ingest(s, reads)));
    let w = |p: &str| plates_of(s, PlateSelector::Wildcard(PlatePattern::parse(p).unwrap()));
    assert_eq!(w("ABC*"), set(&["ABC1234"]));
    assert_eq!(w("AB?1234"), set(&["ABC1234", "ABD1234"]));
    assert_eq!(w("*ABC*"), set(&["ABC1234", "XABC12", "KXABC77"]));
    assert_eq!(w("*12"), set(&["XABC12", "AB12"]));
    assert_eq!(w("A*4"), set(&["ABC1234", "ABD1234"]));
    assert_eq!(w("???"), set(&["ZZ9"]));
    assert_eq!(w("????"), set(&["AB12"]));
    assert_eq!(w("??"), set(&[]));
    assert_eq!(w("*Q*"), set(&[]));
    assert_eq!(w("XABC12"), set(&["XABC12"]));
    // The resolved plates' reads, newest first.
    let (ids_, _) = s
        .resolve_plates(&PlateSelector::Wildcard(
            PlatePattern::parse("*ABC*").unwrap(),
        ))
        .unwrap();
    let (rows, more) = s
        .query_reads(&query(
            ReadSelector::Plates(ids_),
            t0() - d(1),
            t0() + d(1),
            &ALL,
            10,
        ))
        .unwrap();
    assert_eq!((ids(&rows), more), (vec!["w5", "w2", "w0"], false));
}

fn fuzzy<S: ReadStore>(s: &S) {
    let plates = [
        "ABC1234",  // the query
        "A8C1234",  // same canonical key (B reads as 8)
        "ABC124",   // one deletion
        "ABC12345", // one insertion
        "ABX1234",  // one substitution
        "ABC12",    // two deletions
        "XYZ999",   // unrelated
        "A8C1Z34",  // same key (Z reads as 2)
        "ABX1Z35",  // two substitutions
    ];
    let reads = plates
        .iter()
        .enumerate()
        .map(|(i, p)| {
            read(
                CAM1,
                &format!("f{i}"),
                p,
                t0() + Duration::minutes(i as i64),
            )
        })
        .collect();
    assert!(all_inserted(&ingest(s, reads)));
    // An oracle independent of the stores' candidate lists: canonical edit distance.
    let key = plate("ABC1234").canonical();
    let oracle: BTreeSet<String> = plates
        .iter()
        .filter(|p| sightline_types::plate::edit_distance(&plate(p).canonical(), &key) <= 1)
        .map(|p| (*p).to_owned())
        .collect();
    assert_eq!(
        oracle,
        set(&[
            "ABC1234", "A8C1234", "ABC124", "ABC12345", "ABX1234", "A8C1Z34"
        ])
    );
    assert_eq!(plates_of(s, PlateSelector::Fuzzy(plate("ABC1234"))), oracle);
    // Fuzzy from a misread: the query itself was never stored.
    assert_eq!(
        plates_of(s, PlateSelector::Fuzzy(plate("XYZ99"))),
        set(&["XYZ999"])
    );
    assert_eq!(
        plates_of(s, PlateSelector::Fuzzy(plate("QQQQQQ"))),
        set(&[])
    );
}

fn description<S: ReadStore>(s: &S) {
    let mut r1 = read(CAM1, "d1", "AAA111", t0());
    r1.make = Some("Ford".into());
    let mut r2 = read(CAM1, "d2", "BBB222", t0() + h(1));
    r2.vehicle_type = Some("suv".into());
    r2.make = Some("FORD".into());
    let mut r3 = read(CAM3, "d3", "CCC333", t0() + h(2));
    r3.colour = Some("blue".into());
    r3.make = Some("Toyota".into());
    let r4 = read(CAM3, "d4", "DDD444", t0() + d(1));
    assert!(all_inserted(&ingest(s, vec![r1, r2, r3, r4])));
    let desc = |colour: Option<&str>,
                vt: Option<&str>,
                make: Option<&str>,
                cams: &[CameraId],
                limit: usize| {
        let (rows, more) = s
            .query_reads(&query(
                ReadSelector::Description(VehicleAttributes {
                    colour: colour.map(str::to_owned),
                    vehicle_type: vt.map(str::to_owned),
                    make: make.map(str::to_owned),
                }),
                t0() - d(1),
                t0() + d(2),
                cams,
                limit,
            ))
            .unwrap();
        (
            ids(&rows)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
            more,
        )
    };
    let v = |x: &[&str]| x.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        desc(Some("red"), None, None, &ALL, 10),
        (v(&["d4", "d2", "d1"]), false)
    );
    assert_eq!(
        desc(Some("red"), Some("sedan"), None, &ALL, 10),
        (v(&["d4", "d1"]), false)
    );
    // Make compares without regard to case.
    assert_eq!(
        desc(None, None, Some("ford"), &ALL, 10),
        (v(&["d2", "d1"]), false)
    );
    assert_eq!(desc(Some("red"), None, None, &ALL, 1), (v(&["d4"]), true));
    assert_eq!(
        desc(Some("red"), None, None, &[CAM1], 10),
        (v(&["d2", "d1"]), false)
    );
    assert_eq!(desc(Some("green"), None, None, &ALL, 10), (v(&[]), false));
}

fn retention_cutoffs<S: ReadStore>(s: &S) {
    let now = t0() + d(10);
    let reads = vec![
        read(CAM1, "a1", "AAA111", t0()),               // day 0, due
        read(CAM3, "b1", "BBB111", t0()),               // day 0, due
        read(CAM3, "b3", "BBB333", t0() + d(2) - h(1)), // day 2 (alone), due
        read(CAM1, "a2", "AAA222", t0() + d(3)),        // day 3, due
        read(CAM3, "b2", "BBB222", t0() + d(3)),        // day 3, kept (B's cutoff is earlier)
        read(CAM1, "a3", "AAA333", t0() + d(5) - h(1)), // day 5, before A's cutoff: due
        read(CAM1, "a4", "AAA444", t0() + d(5) + h(1)), // day 5, after it: kept
        read(CAM1, "a5", "AAA555", now),                // today, kept
    ];
    assert!(all_inserted(&ingest(s, reads)));
    let rules = rules(now - d(5), now - d(8));
    assert!(s.purge_due(&rules, &[], now).unwrap());
    // Nothing was changed by asking.
    assert_eq!(everything(s).len(), 8);
    let report = s.purge(&rules, &[], now).unwrap();
    assert_eq!(
        deleted(&report),
        counts(&[("oak-park-pd", 3), ("cook-county-so", 2)])
    );
    // Day 0 and day 2 held only due reads: dropped whole. Days 3 and 5 keep reads.
    assert_eq!(report.dropped_partitions, vec![day(0), day(2)]);
    assert_eq!(everything(s), vec!["a5", "a4", "b2"]);
    assert_eq!(s.partition_days().unwrap(), vec![day(3), day(5), day(10)]);
    assert!(!s.purge_due(&rules, &[], now).unwrap());
    let again = s.purge(&rules, &[], now).unwrap();
    assert!(again.is_empty(), "{again:?}");
    // An owner without a rule keeps everything; no rules, nothing due.
    assert!(!s.purge_due(&[], &[], now + d(100)).unwrap());
}

fn retention_legal_holds<S: ReadStore>(s: &S) {
    let now = t0() + d(10);
    let reads = vec![
        read(CAM1, "h1", "HOLD1", t0()),        // held (A's hold, A's camera)
        read(CAM1, "h7", "HOLD1", t0() - h(1)), // at the hold's start: held
        read(CAM1, "h6", "HOLD1", t0() + h(1)), // at the hold's end: not held
        read(CAM3, "h2", "HOLD1", t0()),        // B's camera: A's hold does not keep it
        read(CAM1, "h3", "HOLD1", t0() + d(1)), // outside the window (day 1, alone)
        read(CAM1, "h4", "OTHER1", t0()),       // B's hold on this plate keeps only B's reads
        read(CAM1, "h5", "REL1", t0()),         // its hold was released
    ];
    assert!(all_inserted(&ingest(s, reads)));
    let mut released = hold(owner_a(), "REL1", t0() - d(1), t0() + d(1));
    released.released_at = Some(t0() + d(2));
    let holds = vec![
        hold(owner_a(), "HOLD1", t0() - h(1), t0() + h(1)),
        hold(owner_b(), "OTHER1", t0() - d(1), t0() + d(1)),
        released,
        // A hold on a plate never read holds nothing and hurts nothing.
        hold(owner_a(), "NEVER1", t0() - d(1), t0() + d(1)),
    ];
    let rules = rules(now - d(5), now - d(5));
    let report = s.purge(&rules, &holds, now).unwrap();
    assert_eq!(
        deleted(&report),
        counts(&[("oak-park-pd", 4), ("cook-county-so", 1)])
    );
    // Day 0 keeps its held reads, so only day 1 is dropped.
    assert_eq!(report.dropped_partitions, vec![day(1)]);
    assert_eq!(everything(s), vec!["h1", "h7"]);
    assert!(!s.purge_due(&rules, &holds, now).unwrap());
    // Releasing the hold lets retention take the rest, and the day with it.
    let mut all_released = holds.clone();
    for h in &mut all_released {
        h.released_at = Some(now);
    }
    assert!(s.purge_due(&rules, &all_released, now).unwrap());
    let report = s.purge(&rules, &all_released, now).unwrap();
    assert_eq!(deleted(&report).get("oak-park-pd"), Some(&2));
    assert_eq!(report.dropped_partitions, vec![day(0)]);
    assert!(everything(s).is_empty());
    assert!(s.partition_days().unwrap().is_empty());
}

fn crops<S: ReadStore>(s: &S) {
    let jpeg1 = vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    let jpeg3 = vec![0xFF, 0xD8, 9, 9];
    let mut c1 = read(CAM1, "c1", "CROP1", t0());
    c1.crop = Some(jpeg1.clone());
    let c2 = read(CAM1, "c2", "CROP1", t0() + h(2));
    let mut c3 = read(CAM3, "c3", "CROP1", t0() + d(1));
    c3.crop = Some(jpeg3.clone());
    assert!(all_inserted(&ingest(s, vec![c1.clone(), c2, c3])));
    // A re-send with another picture is a duplicate: the stored picture stays.
    let mut resend = c1.clone();
    resend.crop = Some(vec![0xFF, 0xD8, 0, 0, 0]);
    assert_eq!(ingest(s, vec![resend]), vec![AppendOutcome::Duplicate]);

    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let (plates, _) = s
        .resolve_plates(&PlateSelector::Exact(plate("CROP1")))
        .unwrap();
    let mut q = query(
        ReadSelector::Plates(plates),
        t0() - d(1),
        t0() + d(2),
        &ALL,
        10,
    );
    let crops_of = |q: &ReadQuery| {
        s.query_reads(q)
            .unwrap()
            .0
            .into_iter()
            .map(|r| (r.id, r.crop))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        crops_of(&q),
        vec![
            ("c3".into(), None),
            ("c2".into(), None),
            ("c1".into(), None)
        ],
        "no pictures unless asked for"
    );
    q.with_crops = true;
    assert_eq!(
        crops_of(&q),
        vec![
            ("c3".into(), Some(b64(&jpeg3))),
            ("c2".into(), None),
            ("c1".into(), Some(b64(&jpeg1)))
        ]
    );
    // The analysis path loads them too.
    let id = s.plate_id("CROP1").unwrap().unwrap();
    let sightings = s
        .sightings_of(
            id,
            us(t0() - d(1)),
            us(t0() + d(2)),
            &ALL.into_iter().collect(),
        )
        .unwrap();
    let full = s.reads_of(&sightings, true).unwrap();
    assert_eq!(
        full.iter()
            .map(|r| (r.id.as_str(), r.crop.is_some()))
            .collect::<Vec<_>>(),
        vec![("c1", true), ("c2", false), ("c3", true)]
    );
    // Retention takes a read's picture with it; the others stay.
    let now = t0() + d(1) + h(1);
    let report = s.purge(&rules(t0() + h(1), t0() - d(5)), &[], now).unwrap();
    assert_eq!(deleted(&report).get("oak-park-pd"), Some(&1));
    assert_eq!(
        crops_of(&q),
        vec![("c3".into(), Some(b64(&jpeg3))), ("c2".into(), None)]
    );
}

fn analysis<S: ReadStore>(s: &S) {
    let reads = vec![
        read(CAM1, "p1", "CONVOY1", t0()),
        read(CAM3, "p2", "CONVOY1", t0() + Duration::minutes(10)),
        read(CAM1, "p3", "OTHER2", t0() + Duration::minutes(1)),
        read(CAM1, "p4", "CONVOY1", t0() + d(2)),
    ];
    assert!(all_inserted(&ingest(s, reads)));
    let convoy = s.plate_id("CONVOY1").unwrap().expect("known plate");
    let other = s.plate_id("OTHER2").unwrap().expect("known plate");
    assert_ne!(convoy, other);
    assert_eq!(s.plate_id("NOPE1").unwrap(), None);
    assert_eq!(s.plate_text(convoy).unwrap().as_deref(), Some("CONVOY1"));

    let (at, more) = s
        .sightings_at(&[CAM1], us(t0() - h(1)), us(t0() + h(1)), 10)
        .unwrap();
    let mut got: Vec<(i64, i64)> = at.iter().map(|x| (x.captured_us, x.camera.0)).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (t0().timestamp_micros(), CAM1.0),
            ((t0() + Duration::minutes(1)).timestamp_micros(), CAM1.0)
        ]
    );
    assert!(!more);
    let plates: BTreeSet<_> = at.iter().map(|x| x.plate).collect();
    assert_eq!(plates, BTreeSet::from([convoy, other]));
    let (capped, more) = s
        .sightings_at(&[CAM1], us(t0() - h(1)), us(t0() + h(1)), 1)
        .unwrap();
    assert_eq!((capped.len(), more), (1, true));
    assert!(
        s.sightings_at(&[], us(t0() - h(1)), us(t0() + h(1)), 10)
            .unwrap()
            .0
            .is_empty()
    );

    let of = |cams: &[CameraId]| {
        let mut v: Vec<Sighting> = s
            .sightings_of(
                convoy,
                us(t0() - h(1)),
                us(t0() + d(3)),
                &cams.iter().copied().collect(),
            )
            .unwrap();
        v.sort_by_key(|x| x.captured_us);
        v
    };
    assert_eq!(of(&[CAM1]).len(), 2);
    let three = of(&[CAM1, CAM3]);
    assert_eq!(three.len(), 3);
    // Full reads in the order asked for.
    let mut order = three.clone();
    order.reverse();
    let full = s.reads_of(&order, false).unwrap();
    assert_eq!(ids(&full), vec!["p4", "p2", "p1"]);
    assert_eq!(full[1].camera_id, CAM3);
    // A sighting whose read is gone is left out.
    let mut gone = three[0];
    gone.seq += 1_000_000;
    assert_eq!(
        ids(&s.reads_of(&[gone, three[1]], false).unwrap()),
        vec!["p2"]
    );
}

fn partition_drops<S: ReadStore>(s: &S) {
    let reads = vec![
        read(CAM1, "x0", "PART1", t0()),
        read(CAM1, "x1", "PART1", t0() + d(1)),
        read(CAM1, "x2", "PART1", t0() + d(2)),
    ];
    assert!(all_inserted(&ingest(s, reads)));
    assert_eq!(s.partition_days().unwrap(), vec![day(0), day(1), day(2)]);
    assert_eq!(
        s.drop_partitions_before(day(2)).unwrap(),
        vec![day(0), day(1)]
    );
    assert_eq!(s.partition_days().unwrap(), vec![day(2)]);
    assert_eq!(reads_of_plate(s, "PART1"), vec!["x2"]);
    assert!(s.drop_partitions_before(day(2)).unwrap().is_empty());
    // A late read for a dropped day makes its partition again.
    assert!(all_inserted(&ingest(
        s,
        vec![read(CAM1, "x0", "PART1", t0())]
    )));
    assert_eq!(s.partition_days().unwrap(), vec![day(0), day(2)]);
    assert_eq!(reads_of_plate(s, "PART1"), vec!["x2", "x0"]);
}

// ---------------------------------------------------------------- PostgreSQL only

/// Two processes over one database: one drops a day (retention) that the other still believes
/// exists; the other's next read for that day makes the partition again instead of failing.
#[test]
fn postgres_only_partition_dropped_by_another_process() {
    let fx = postgres("stale_partitions");
    let a = fx.0.as_ref().unwrap();
    let url = std::env::var("SIGHTLINE_TEST_POSTGRES").unwrap();
    let b = PgReadStore::connect(&url, a.schema()).unwrap();
    b.sync_cameras(&cameras()).unwrap();
    assert!(all_inserted(&ingest(
        a,
        vec![read(CAM1, "s1", "STALE1", t0())]
    )));
    assert_eq!(b.drop_partitions_before(day(1)).unwrap(), vec![day(0)]);
    assert!(all_inserted(&ingest(
        a,
        vec![read(CAM1, "s2", "STALE1", t0())]
    )));
    assert_eq!(reads_of_plate(&b, "STALE1"), vec!["s2"]);
    assert_eq!(a.partition_days().unwrap(), vec![day(0)]);
}

/// Several connections ingesting overlapping batches (the same reads and new plates, in
/// different orders) at once: every read is stored once, and exactly one batch reports it
/// inserted.
#[test]
fn postgres_only_concurrent_overlapping_batches() {
    let fx = postgres("concurrent");
    let s = fx.0.as_ref().unwrap();
    let reads: Vec<ReadRecord> = (0..300)
        .map(|i| {
            read(
                if i % 2 == 0 { CAM1 } else { CAM3 },
                &format!("c{i}"),
                &format!("CC{}", i % 120),
                t0() + Duration::seconds(i),
            )
        })
        .collect();
    let outcomes: Vec<Vec<AppendOutcome>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4usize)
            .map(|k| {
                let mut batch = reads.clone();
                batch.rotate_left(k * 75);
                if k % 2 == 1 {
                    batch.reverse();
                }
                scope.spawn(move || s.ingest(batch).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let inserted: usize = outcomes
        .iter()
        .flatten()
        .filter(|o| matches!(o, AppendOutcome::Inserted { .. }))
        .count();
    assert_eq!(inserted, 300);
    assert_eq!(everything(s).len(), 300);
    for p in ["CC0", "CC119"] {
        assert!(s.plate_id(p).unwrap().is_some());
    }
}

//! Store behaviour through its public API: idempotent appends, plate and description queries,
//! partitions, and persistence across reopen.
#![allow(clippy::disallowed_methods)] // tests exercise the raw query path directly

use chrono::{DateTime, Duration, Utc};
use sightline_store::{
    AppendOutcome, Durability, NewCamera, PlateSelector, ReadQuery, ReadRecord, ReadSelector, Store,
};
use sightline_types::{
    Agency, AgencyId, AgencyKind, Camera, Jurisdiction, PlatePattern, PlateText, VehicleAttributes,
};
use std::collections::HashSet;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn setup(store: &Store) -> Camera {
    let a = Agency {
        id: AgencyId::parse("oak-park-pd").unwrap(),
        name: "Oak Park PD".into(),
        kind: AgencyKind::Municipal,
        jurisdiction: Jurisdiction::parse("US-IL").unwrap(),
    };
    store.create_agency(&a).unwrap();
    store
        .create_camera(
            &NewCamera {
                id: 0,
                owner: a.id,
                name: "Harlem & Lake".into(),
                lat: 41.88,
                lon: -87.80,
                bearing: Some(90.0),
                mobile: false,
                key_hash: "k1".into(),
            },
            t0(),
        )
        .unwrap()
}

fn read(cam: &Camera, id: &str, plate: &str, at: DateTime<Utc>, colour: &str) -> ReadRecord {
    ReadRecord {
        camera_id: cam.id,
        client_id: id.into(),
        captured_us: at.timestamp_micros(),
        plate: PlateText::normalise(plate).unwrap(),
        region: Some("US-IL".into()),
        confidence: Some(0.9),
        colour: Some(colour.into()),
        vehicle_type: Some("sedan".into()),
        make: None,
        lat: None,
        lon: None,
        received_us: at.timestamp_micros(),
        crop: None,
    }
}

fn query(store: &Store, cam: &Camera, sel: ReadSelector) -> Vec<String> {
    let q = ReadQuery {
        selector: sel,
        from_us: (t0() - Duration::days(10)).timestamp_micros(),
        to_us: (t0() + Duration::days(10)).timestamp_micros(),
        cameras: HashSet::from([cam.id]),
        limit: 100,
        with_crops: false,
    };
    store
        .query_reads(&q)
        .unwrap()
        .0
        .into_iter()
        .map(|r| r.id)
        .collect()
}

#[test]
fn test_store_roundtrip_idempotency_and_queries() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Durability::Process).unwrap();
    let cam = setup(&store);
    let batch = vec![
        read(&cam, "r1", "ABC1234", t0(), "red"),
        read(&cam, "r2", "ABC1234", t0() + Duration::days(1), "red"),
        read(&cam, "r3", "A8C1234", t0(), "blue"),
        read(&cam, "r4", "XYZ999", t0() - Duration::days(2), "blue"),
        read(&cam, "r1", "ABC1234", t0(), "red"),
    ];
    let out = store.append_reads_blocking(batch).unwrap();
    assert!(matches!(out[0], AppendOutcome::Inserted { .. }));
    assert_eq!(out[4], AppendOutcome::Duplicate);
    let again = store
        .append_reads_blocking(vec![read(
            &cam,
            "r2",
            "ABC1234",
            t0() + Duration::days(1),
            "red",
        )])
        .unwrap();
    assert_eq!(again, vec![AppendOutcome::Duplicate]);
    assert_eq!(store.partition_days().len(), 3);

    let exact = store
        .resolve_plates(&PlateSelector::Exact(
            PlateText::normalise("abc 1234").unwrap(),
        ))
        .unwrap()
        .0;
    assert_eq!(
        query(&store, &cam, ReadSelector::Plates(exact)),
        vec!["r2", "r1"]
    );
    let wild = store
        .resolve_plates(&PlateSelector::Wildcard(
            PlatePattern::parse("A?C*").unwrap(),
        ))
        .unwrap()
        .0;
    assert_eq!(wild.len(), 2);
    let fuzzy = store
        .resolve_plates(&PlateSelector::Fuzzy(
            PlateText::normalise("A8C123").unwrap(),
        ))
        .unwrap()
        .0;
    assert_eq!(fuzzy.len(), 2, "canonical match plus one deletion");
    let blue = VehicleAttributes {
        colour: Some("blue".into()),
        ..Default::default()
    };
    assert_eq!(
        query(&store, &cam, ReadSelector::Description(blue)),
        vec!["r3", "r4"]
    );

    // A camera outside the allowed set contributes nothing.
    let q = ReadQuery {
        selector: ReadSelector::Description(VehicleAttributes::default()),
        from_us: 0,
        to_us: i64::MAX,
        cameras: HashSet::from([sightline_types::CameraId(999)]),
        limit: 10,
        with_crops: false,
    };
    assert!(store.query_reads(&q).unwrap().0.is_empty());

    // Retention drops whole partitions.
    let cut = sightline_store::day_of(t0().timestamp_micros());
    assert_eq!(store.drop_partitions_before(cut).unwrap().len(), 1);
    let xyz = store
        .resolve_plates(&PlateSelector::Exact(
            PlateText::normalise("XYZ999").unwrap(),
        ))
        .unwrap()
        .0;
    assert!(query(&store, &cam, ReadSelector::Plates(xyz)).is_empty());
    drop(store);

    // Everything survives a reopen, including the sequence counter and dictionary.
    let store = Store::open(dir.path(), Durability::Process).unwrap();
    assert_eq!(store.distinct_plates(), 3);
    let out = store
        .append_reads_blocking(vec![read(&cam, "r9", "NEW1", t0(), "red")])
        .unwrap();
    assert_eq!(out, vec![AppendOutcome::Inserted { seq: 5 }]);
    let exact = store
        .resolve_plates(&PlateSelector::Exact(
            PlateText::normalise("ABC1234").unwrap(),
        ))
        .unwrap()
        .0;
    assert_eq!(query(&store, &cam, ReadSelector::Plates(exact)).len(), 2);
}

#[test]
fn test_short_partitions_roundtrip_and_period_is_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let four = sightline_store::Period::hours(4).unwrap();
    let store = Store::open_with(dir.path(), Durability::Process, four).unwrap();
    let cam = setup(&store);
    let reads: Vec<ReadRecord> = (0..6)
        .map(|h| {
            read(
                &cam,
                &format!("h{h}"),
                "ABC1234",
                t0() + Duration::hours(h * 4),
                "red",
            )
        })
        .collect();
    store.append_reads_blocking(reads).unwrap();
    assert_eq!(store.partition_days().len(), 6, "one table per four hours");
    let exact = store
        .resolve_plates(&PlateSelector::Exact(
            PlateText::normalise("ABC1234").unwrap(),
        ))
        .unwrap()
        .0;
    assert_eq!(query(&store, &cam, ReadSelector::Plates(exact)).len(), 6);
    assert!(
        store
            .contains_read(
                cam.id,
                "h3",
                (t0() + Duration::hours(12)).timestamp_micros()
            )
            .unwrap()
    );
    drop(store);
    let err = Store::open(dir.path(), Durability::Process).unwrap_err();
    assert!(err.to_string().contains("4-hour partitions"), "{err}");
}

/// A plate crop is kept with its read, returned only when asked for, deleted with the read by
/// retention, and survives a reopen.
#[test]
fn test_crops_live_and_die_with_their_reads() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[42; 300], &[0xFF, 0xD9]].concat();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&jpeg);
    let (cam, old, new) = {
        let store = Store::open(dir.path(), Durability::Process).unwrap();
        let cam = setup(&store);
        let mut old = read(&cam, "r-old", "ABC123", t0() - Duration::days(3), "red");
        old.crop = Some(jpeg.clone());
        let mut new = read(&cam, "r-new", "ABC123", t0(), "red");
        new.crop = Some(jpeg.clone());
        let bare = read(&cam, "r-bare", "ABC123", t0() + Duration::hours(1), "red");
        let out = store.append_reads_blocking(vec![old, new, bare]).unwrap();
        let seq = |o: &AppendOutcome| match o {
            AppendOutcome::Inserted { seq } => *seq,
            other => panic!("{other:?}"),
        };
        (cam, seq(&out[0]), seq(&out[1]))
    };
    let store = Store::open(dir.path(), Durability::Process).unwrap();
    let q = |with_crops| ReadQuery {
        selector: ReadSelector::Description(VehicleAttributes::default()),
        from_us: (t0() - Duration::days(10)).timestamp_micros(),
        to_us: (t0() + Duration::days(10)).timestamp_micros(),
        cameras: HashSet::from([cam.id]),
        limit: 100,
        with_crops,
    };
    let crops = |with_crops| -> Vec<(String, Option<String>)> {
        store
            .query_reads(&q(with_crops))
            .unwrap()
            .0
            .into_iter()
            .map(|r| (r.id, r.crop))
            .collect()
    };
    assert_eq!(
        crops(true),
        vec![
            ("r-bare".to_string(), None),
            ("r-new".to_string(), Some(b64.clone())),
            ("r-old".to_string(), Some(b64.clone())),
        ]
    );
    assert!(crops(false).iter().all(|(_, c)| c.is_none()));
    // Retention deletes the old read, and its crop with it; the new one keeps its crop.
    let report = store
        .purge(
            vec![sightline_store::PurgeRule {
                owner: cam.owner.clone(),
                cameras: vec![cam.id],
                cutoff_us: (t0() - Duration::days(1)).timestamp_micros(),
            }],
            Vec::new(),
            t0(),
        )
        .unwrap();
    assert_eq!(report.deleted.values().sum::<u64>(), 1);
    assert_eq!(
        crops(true),
        vec![
            ("r-bare".to_string(), None),
            ("r-new".to_string(), Some(b64.clone())),
        ]
    );
    // The emptied day went whole, its crop table too; the kept day's crop table holds one crop.
    assert_eq!(report.dropped_partitions.len(), 1);
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'reads_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tables, vec!["reads_20261120", "reads_20261120_crops"]);
    let kept: Vec<i64> = conn
        .prepare("SELECT seq FROM reads_20261120_crops")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kept, vec![new]);
    assert_ne!(old, new);
    // A partition made before crops were kept gets its crop table when the store opens.
    conn.execute_batch("DROP TABLE reads_20261120_crops")
        .unwrap();
    drop(store);
    let store = Store::open(dir.path(), Durability::Process).unwrap();
    let (reads, _) = store.query_reads(&q(true)).unwrap();
    assert_eq!(reads.len(), 2);
    assert!(reads.iter().all(|r| r.crop.is_none()));
    let mut late = read(&cam, "r-late", "XYZ987", t0() + Duration::hours(2), "blue");
    late.crop = Some(jpeg.clone());
    store.append_reads_blocking(vec![late]).unwrap();
    let (reads, _) = store.query_reads(&q(true)).unwrap();
    assert_eq!(reads[0].crop.as_deref(), Some(b64.as_str()));
}

/// Issue 14: ~1,000 legal holds made the purge fail for every owner (one expression per hold
/// exceeded SQLite's expression depth). Holds now go through a temporary table.
#[test]
fn test_purge_with_many_holds_keeps_held_reads_and_deletes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Durability::Process).unwrap();
    let cam = setup(&store);
    let old = t0() - Duration::days(5);
    let reads: Vec<ReadRecord> = (0..1500)
        .map(|i| read(&cam, &format!("r{i}"), &format!("H{i:04}"), old, "red"))
        .collect();
    store.append_reads_blocking(reads).unwrap();
    let holds: Vec<sightline_store::LegalHold> = (0..1200)
        .map(|i| sightline_store::LegalHold {
            id: i + 1,
            owner: cam.owner.clone(),
            case_number: "26-1".into(),
            plate: format!("H{i:04}"),
            from: old - Duration::hours(1),
            to: old + Duration::hours(1),
            reason: "case".into(),
            created_by: "s".into(),
            created_at: t0(),
            released_at: None,
        })
        .collect();
    let report = store
        .purge(
            vec![sightline_store::PurgeRule {
                owner: cam.owner.clone(),
                cameras: vec![cam.id],
                cutoff_us: (t0() - Duration::days(1)).timestamp_micros(),
            }],
            holds,
            t0(),
        )
        .unwrap();
    assert_eq!(
        report.deleted.values().sum::<u64>(),
        300,
        "the 300 unheld reads go"
    );
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let left: i64 = conn
        .query_row("SELECT count(*) FROM reads_20261115", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 1200, "every held read stays");
}

#[test]
fn test_sightings_at_reads_only_the_cameras_and_window_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Durability::Process).unwrap();
    let cam = setup(&store);
    let other = store
        .create_camera(
            &NewCamera {
                id: 0,
                owner: cam.owner.clone(),
                name: "Madison & Oak Park".into(),
                lat: 41.88,
                lon: -87.79,
                bearing: None,
                mobile: false,
                key_hash: "k2".into(),
            },
            t0(),
        )
        .unwrap();
    let mut batch = vec![
        read(&cam, "a1", "CONVOY1", t0(), "red"),
        read(&cam, "a2", "CONVOY2", t0() + Duration::seconds(10), "red"),
        read(&cam, "a3", "LATER1", t0() + Duration::minutes(5), "red"),
        // Across midnight: the window spans two day partitions.
        read(&cam, "a4", "NIGHT1", t0() + Duration::hours(12), "red"),
    ];
    batch.push(read(&other, "b1", "ELSEWHERE", t0(), "red"));
    store.append_reads_blocking(batch).unwrap();
    let at = |from: DateTime<Utc>, to: DateTime<Utc>, cams: &[sightline_types::CameraId]| {
        let (rows, capped) = store
            .sightings_at(cams, from.timestamp_micros(), to.timestamp_micros(), 100)
            .unwrap();
        assert!(!capped);
        let mut plates: Vec<String> = rows
            .iter()
            .map(|s| store.plate_text(s.plate).unwrap())
            .collect();
        plates.sort();
        plates
    };
    assert_eq!(
        at(
            t0() - Duration::seconds(60),
            t0() + Duration::seconds(60),
            &[cam.id]
        ),
        vec!["CONVOY1", "CONVOY2"]
    );
    assert_eq!(
        at(
            t0() - Duration::seconds(60),
            t0() + Duration::seconds(60),
            &[other.id]
        ),
        vec!["ELSEWHERE"]
    );
    assert_eq!(
        at(t0(), t0() + Duration::hours(13), &[cam.id]),
        vec!["CONVOY1", "CONVOY2", "LATER1", "NIGHT1"]
    );
    let (rows, capped) = store
        .sightings_at(
            &[cam.id],
            t0().timestamp_micros(),
            (t0() + Duration::hours(13)).timestamp_micros(),
            2,
        )
        .unwrap();
    assert!(capped && rows.len() == 2);
    // By plate, on the allowed cameras only.
    let id = store.plate_id("CONVOY1").unwrap();
    let found = store
        .sightings_of(
            id,
            (t0() - Duration::days(1)).timestamp_micros(),
            (t0() + Duration::days(1)).timestamp_micros(),
            &HashSet::from([other.id]),
        )
        .unwrap();
    assert!(found.is_empty());
    let found = store
        .sightings_of(
            id,
            (t0() - Duration::days(1)).timestamp_micros(),
            (t0() + Duration::days(1)).timestamp_micros(),
            &HashSet::from([cam.id]),
        )
        .unwrap();
    assert_eq!(found.len(), 1);
    let reads = store.reads_of(&found, false).unwrap();
    assert_eq!(reads[0].id, "a1");
}

/// Retention deletes in chunks of `PURGE_CHUNK` reads (one transaction each, so ingest batches
/// are written in between); across chunks it deletes exactly what one transaction did, keeps held
/// reads, and `purge_due` tells beforehand (changing nothing) and afterwards that nothing is left.
#[test]
fn test_purge_in_chunks_deletes_everything_due_and_keeps_holds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Durability::Process).unwrap();
    let cam = setup(&store);
    let old = t0() - Duration::days(5);
    let n = 2 * sightline_store::retention::PURGE_CHUNK + 1_000;
    let reads: Vec<ReadRecord> = (0..n)
        .map(|i| read(&cam, &format!("r{i}"), &format!("C{i:05}"), old, "red"))
        .collect();
    store.append_reads_blocking(reads).unwrap();
    let holds: Vec<sightline_store::LegalHold> = (0..50)
        .map(|i| sightline_store::LegalHold {
            id: i + 1,
            owner: cam.owner.clone(),
            case_number: "26-1".into(),
            plate: format!("C{:05}", i * 200),
            from: old - Duration::hours(1),
            to: old + Duration::hours(1),
            reason: "case".into(),
            created_by: "s".into(),
            created_at: t0(),
            released_at: None,
        })
        .collect();
    let rules = vec![sightline_store::PurgeRule {
        owner: cam.owner.clone(),
        cameras: vec![cam.id],
        cutoff_us: (t0() - Duration::days(1)).timestamp_micros(),
    }];
    let count = || -> i64 {
        rusqlite::Connection::open(store.path())
            .unwrap()
            .query_row("SELECT count(*) FROM reads_20261115", [], |r| r.get(0))
            .unwrap()
    };
    assert!(store.purge_due(rules.clone(), holds.clone(), t0()).unwrap());
    assert_eq!(count(), n as i64, "the check deletes nothing");
    let report = store.purge(rules.clone(), holds.clone(), t0()).unwrap();
    assert_eq!(report.deleted.values().sum::<u64>(), n as u64 - 50);
    assert_eq!(count(), 50, "every held read stays");
    assert!(!store.purge_due(rules.clone(), holds.clone(), t0()).unwrap());
    // Released, the rest goes and the emptied past partition is dropped.
    let report = store.purge(rules, Vec::new(), t0()).unwrap();
    assert_eq!(report.deleted.values().sum::<u64>(), 50);
    assert_eq!(report.dropped_partitions.len(), 1);
}

/// The transparency report's read counts: held, recent and oldest per camera, over every
/// partition (issue 21).
#[test]
fn test_read_stats_per_camera_counts_every_partition() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Durability::Process).unwrap();
    let cam = setup(&store);
    assert!(store.read_stats_per_camera(0).unwrap().is_empty());
    let reads: Vec<ReadRecord> = (0..5)
        .map(|d| {
            read(
                &cam,
                &format!("d{d}"),
                "ABC1234",
                t0() + Duration::days(d),
                "red",
            )
        })
        .collect();
    store.append_reads_blocking(reads).unwrap();
    let since = (t0() + Duration::days(3)).timestamp_micros();
    let stats = store.read_stats_per_camera(since).unwrap();
    let s = stats[&cam.id];
    assert_eq!((s.held, s.since), (5, 2));
    assert_eq!(s.oldest_us, Some(t0().timestamp_micros()));
    assert_eq!(stats.len(), 1);
}

/// Minute partitions (issue 15's soak: New Hampshire keeps non-hits 3 minutes): a past partition
/// whose every read is due is dropped whole; one holding a read of a camera under no rule, a
/// held read, or reads after the cutoff is purged read by read and kept.
#[test]
fn test_minute_partitions_are_dropped_whole_only_when_every_read_is_due() {
    let dir = tempfile::tempdir().unwrap();
    let minute = sightline_store::Period::minutes(1).unwrap();
    let store = Store::open_with(dir.path(), Durability::Process, minute).unwrap();
    let cam = setup(&store);
    let other = Agency {
        id: AgencyId::parse("keene-pd").unwrap(),
        name: "Keene PD".into(),
        kind: AgencyKind::Municipal,
        jurisdiction: Jurisdiction::parse("US-NH").unwrap(),
    };
    store.create_agency(&other).unwrap();
    let unruled = store
        .create_camera(
            &NewCamera {
                id: 0,
                owner: other.id,
                name: "Main St".into(),
                lat: 42.9,
                lon: -72.3,
                bearing: None,
                mobile: false,
                key_hash: "k2".into(),
            },
            t0(),
        )
        .unwrap();
    let at = |m: i64, s: i64| t0() + Duration::minutes(m) + Duration::seconds(s);
    let mut reads = Vec::new();
    // 12:00 — only the ruled camera: dropped whole.
    for i in 0..100 {
        reads.push(read(
            &cam,
            &format!("a{i}"),
            &format!("A{i:04}"),
            at(0, i % 60),
            "red",
        ));
    }
    // 12:01 — also a camera under no rule: its 10 reads stay.
    for i in 0..50 {
        reads.push(read(
            &cam,
            &format!("b{i}"),
            &format!("B{i:04}"),
            at(1, i % 60),
            "red",
        ));
    }
    for i in 0..10 {
        reads.push(read(
            &unruled,
            &format!("u{i}"),
            &format!("U{i:04}"),
            at(1, i),
            "red",
        ));
    }
    // 12:02 — one read held.
    for i in 0..30 {
        reads.push(read(
            &cam,
            &format!("c{i}"),
            &format!("C{i:04}"),
            at(2, i),
            "red",
        ));
    }
    // 12:06 — after the cutoff: stays.
    for i in 0..5 {
        reads.push(read(
            &cam,
            &format!("d{i}"),
            &format!("D{i:04}"),
            at(6, i),
            "red",
        ));
    }
    store.append_reads_blocking(reads).unwrap();
    assert_eq!(store.partition_days().len(), 4, "one table per minute");
    let holds = vec![sightline_store::LegalHold {
        id: 1,
        owner: cam.owner.clone(),
        case_number: "26-1".into(),
        plate: "C0007".into(),
        from: at(2, 0),
        to: at(3, 0),
        reason: "case".into(),
        created_by: "s".into(),
        created_at: t0(),
        released_at: None,
    }];
    let rules = vec![sightline_store::PurgeRule {
        owner: cam.owner.clone(),
        cameras: vec![cam.id],
        cutoff_us: at(5, 0).timestamp_micros(),
    }];
    let report = store.purge(rules, holds, at(10, 0)).unwrap();
    assert_eq!(report.deleted.get("oak-park-pd"), Some(&(100 + 50 + 29)));
    assert_eq!(
        report.dropped_partitions,
        vec![minute.of(at(0, 0).timestamp_micros())]
    );
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let count = |t: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(
        count("reads_20261120_1201"),
        10,
        "the unruled camera's reads stay"
    );
    assert_eq!(count("reads_20261120_1202"), 1, "the held read stays");
    assert_eq!(
        count("reads_20261120_1206"),
        5,
        "reads after the cutoff stay"
    );
    assert!(
        !store
            .contains_read(cam.id, "a0", at(0, 0).timestamp_micros())
            .unwrap()
    );
    assert!(
        store
            .contains_read(cam.id, "c7", at(2, 7).timestamp_micros())
            .unwrap()
    );
    assert_eq!(store.partition_days().len(), 3);
    drop(conn);
    drop(store);
    let err = Store::open(dir.path(), Durability::Process).unwrap_err();
    assert!(err.to_string().contains("1-minute partitions"), "{err}");
}

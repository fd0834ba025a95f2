//! Fuzz harnesses (issue 15) for ingest's parsers: the read batch JSON of `POST /api/v1/reads`
//! (decoded as the server does, then validated read by read) and the OpenALPR / Rekor webhook
//! payloads. Bounded and deterministic; see `fuzz/harness.rs`.

#[path = "../../../fuzz/harness.rs"]
mod harness;

use chrono::{DateTime, Utc};
use harness::{Harness, boundary_u64, mutated, noise};
use proptest::prelude::*;
use serde_json::{Value, json};
use sightline_ingest::{IngestLimits, openalpr, validate_read};
use sightline_types::{AgencyId, Camera, CameraId, NewRead, PlateText};

/// The body shapes the server accepts (its `ReadBatch`): `{"reads": [...]}` or `[...]`.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Batch {
    Wrapped { reads: Vec<NewRead> },
    Bare(Vec<NewRead>),
}

fn camera() -> Camera {
    Camera {
        id: CameraId(7),
        owner: AgencyId::parse("oak-park-pd").unwrap(),
        name: "fuzz".into(),
        lat: 41.88,
        lon: -87.63,
        bearing: None,
        mobile: true,
    }
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-02T09:30:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Validates reads: each is accepted with normalised fields or refused with a status and a
/// sentence, never a panic.
static VALIDATED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn validate_all(reads: Vec<NewRead>) {
    VALIDATED.fetch_add(reads.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let (cam, now, limits) = (camera(), now(), IngestLimits::default());
    for r in reads {
        let raw_plate = r.plate.clone();
        match validate_read(&cam, r, now, &limits) {
            Ok(rec) => {
                assert_eq!(PlateText::normalise(&raw_plate).unwrap(), rec.plate);
                assert_eq!(rec.camera_id, cam.id);
                assert!(rec.confidence.is_none_or(|c| (0.0..=1.0).contains(&c)));
                assert!(rec.lat.is_none_or(|l| (-90.0..=90.0).contains(&l)));
            }
            Err(e) => {
                assert!([400, 403, 422].contains(&e.status), "{e:?}");
                assert!(!e.code.is_empty() && !e.message.is_empty(), "{e:?}");
            }
        }
    }
}

fn check_reads(bytes: &[u8]) {
    if let Ok(batch) = serde_json::from_slice::<Batch>(bytes) {
        let reads = match batch {
            Batch::Wrapped { reads } | Batch::Bare(reads) => reads,
        };
        validate_all(reads);
    }
}

fn check_openalpr(bytes: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    match openalpr::to_reads(&v) {
        Ok(reads) => validate_all(reads),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert_eq!(e.code(), sightline_types::ErrorCode::BadRequest);
        }
    }
}

/// JSON values of every kind, with the edge numbers.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        boundary_u64().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop_oneof![Just(f64::MAX), Just(f64::MIN), Just(-0.0), any::<f64>()]
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        Just(Value::from("2026-05-02T09:29:00Z")),
        Just(Value::from("+262142-12-31T23:59:59Z")),
        Just(Value::from("2026-05-02T09:29:00-23:59")),
    ]
}

fn plate_text() -> impl Strategy<Value = Value> {
    prop_oneof!["[A-Za-z0-9 .·_-]{0,14}", "\\PC{0,12}"].prop_map(Value::from)
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        -200.0f64..200.0,
        -0.5f64..1.5,
        Just(f64::MAX),
        Just(-0.0),
        Just(f64::MIN_POSITIVE)
    ]
    .prop_map(Value::from)
}

fn time() -> impl Strategy<Value = Value> {
    prop_oneof![
        // Around the fixed `now`, a little past and future, and far out of range.
        (-40i64 * 86_400..3_600)
            .prop_map(|s| { Value::from((now() + chrono::Duration::seconds(s)).to_rfc3339()) }),
        Just(Value::from("+262142-12-31T23:59:59Z")),
        Just(Value::from("-262143-01-01T00:00:00Z")),
        Just(Value::from("2026-05-02T09:29:00-23:59")),
    ]
}

/// Mostly well-typed (so most reads decode and reach validation), sometimes any JSON value.
fn typed(v: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    prop_oneof![9 => v, 1 => scalar()].boxed()
}

/// A read object with plausible and implausible values, optional fields sometimes missing.
fn read_object() -> impl Strategy<Value = Value> {
    let opt = |name: &'static str, v: BoxedStrategy<Value>| {
        proptest::option::weighted(0.7, v).prop_map(move |v| (name, v))
    };
    let required = |name: &'static str, v: BoxedStrategy<Value>| {
        proptest::option::weighted(0.98, v).prop_map(move |v| (name, v))
    };
    let text = |re: &'static str| typed(re.prop_map(Value::from));
    (
        required("id", text("[a-z0-9-]{0,8}|\\PC{0,70}")),
        required("captured_at", typed(time())),
        required("plate", typed(plate_text())),
        opt("region", text("[a-zA-Z-]{0,6}|\\PC{0,20}")),
        opt("confidence", typed(number())),
        opt("colour", text("[a-zA-Z ]{0,10}|\\PC{0,40}")),
        opt(
            "camera_id",
            typed(prop_oneof![Just(json!(7)), Just(json!(8))]),
        ),
        opt("lat", typed(number())),
        opt("lon", typed(number())),
        opt("crop", text("/9j/2Q==|[A-Za-z0-9+/=]{0,16}")),
    )
        .prop_map(|fields| {
            let (a, b, c, d, e, f, g, h, i, j) = fields;
            let mut m = serde_json::Map::new();
            for (k, v) in [a, b, c, d, e, f, g, h, i, j] {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            }
            Value::Object(m)
        })
}

#[test]
fn fuzz_ingest_reads() {
    let mut h = Harness::new("ingest_reads", 2_000);
    let seeds = h.run_corpus(check_reads);
    h.run("mutated corpus", mutated(seeds), |b| check_reads(&b));
    h.run("noise", noise(), |b| check_reads(&b));
    h.run(
        "read objects",
        proptest::collection::vec(read_object(), 0..6),
        |reads| {
            check_reads(&serde_json::to_vec(&json!({ "reads": reads })).unwrap());
            check_reads(&serde_json::to_vec(&reads).unwrap());
            for r in &reads {
                check_reads(&serde_json::to_vec(&[r]).unwrap());
            }
        },
    );
    let n = VALIDATED.load(std::sync::atomic::Ordering::Relaxed);
    println!("fuzz ingest_reads: {n} reads reached validation");
    assert!(
        n > 1_000,
        "the generators must reach validation, not only the JSON decoder"
    );
    h.done();
}

fn alpr_object() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        Just(json!("alpr_group")),
        Just(json!("alpr_results")),
        Just(json!("heartbeat")),
        scalar()
    ];
    let candidates = || {
        proptest::collection::vec(
            (plate_text(), scalar()).prop_map(|(n, c)| json!({"name": n, "confidence": c})),
            0..3,
        )
    };
    (
        kind,
        (scalar(), scalar(), plate_text(), scalar()),
        (candidates(), candidates(), candidates()),
        proptest::collection::vec(
            (plate_text(), scalar(), scalar())
                .prop_map(|(p, c, r)| json!({"plate": p, "confidence": c, "region": r})),
            0..4,
        ),
        (scalar(), scalar()),
    )
        .prop_map(|(kind, (t, uuid, plate, conf), (color, body, make), results, (lat, lon))| {
            json!({
                "data_type": kind, "epoch_start": t, "epoch_time": t, "best_uuid": uuid, "uuid": uuid,
                "best_plate_number": plate, "best_confidence": conf, "best_region": "us-il",
                "vehicle": {"color": color, "body_type": body, "make": make},
                "results": results, "gps_latitude": lat, "gps_longitude": lon
            })
        })
}

#[test]
fn fuzz_ingest_openalpr() {
    let mut h = Harness::new("ingest_openalpr", 2_000);
    let seeds = h.run_corpus(check_openalpr);
    h.run("mutated corpus", mutated(seeds), |b| check_openalpr(&b));
    h.run("noise", noise(), |b| check_openalpr(&b));
    h.run(
        "payload objects",
        proptest::collection::vec(alpr_object(), 1..4),
        |items| {
            check_openalpr(&serde_json::to_vec(&items[0]).unwrap());
            check_openalpr(&serde_json::to_vec(&items).unwrap());
        },
    );
    h.done();
}

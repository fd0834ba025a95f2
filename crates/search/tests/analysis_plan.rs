//! The analysis searches' query plans (rarest place first, probes by plate, merged convoy
//! neighbourhoods) return exactly what a brute-force evaluation of the same reads gives: random
//! reads in a real store, random multi-location and convoy searches through `Searcher::analyse`
//! (policy, audit), compared with a reference computed from the reads as written.

use chrono::{DateTime, Duration, Utc};
use sightline_audit::AuditLog;
use sightline_policy::PolicyEngine;
use sightline_search::{Principal, Searcher};
use sightline_store::{Durability, NewCamera, NewUser, ReadRecord, Store};
use sightline_types::{
    Agency, AgencyId, AgencyKind, AnalysisQuery, AnalysisRequest, AnalysisResponse, Camera,
    ConvoyQuery, Jurisdiction, MultiLocationQuery, Place, PlateText, Role, SystemClock, TimeWindow,
    Warrant,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

/// xorshift64*: deterministic random numbers without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One read as written: (seq, camera, captured µs, plate).
type Written = (i64, i64, i64, String);

struct World {
    _dir: tempfile::TempDir,
    searcher: Searcher,
    officer: Principal,
    cameras: Vec<Camera>,
    reads: Vec<Written>,
    now: DateTime<Utc>,
}

fn plate_of(i: u64) -> String {
    format!("PLN{i:04}")
}

fn world(rng: &mut Rng) -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    let store = Arc::new(Store::open(&dir, Durability::Process).unwrap());
    let clock = Arc::new(SystemClock);
    let audit = Arc::new(AuditLog::open(&dir, clock.clone()).unwrap());
    let il = Agency {
        id: AgencyId::parse("oak-park-pd").unwrap(),
        name: "Oak Park".into(),
        kind: AgencyKind::Municipal,
        jurisdiction: Jurisdiction::parse("US-IL").unwrap(),
    };
    store.create_agency(&il).unwrap();
    let cameras: Vec<Camera> = (0..6)
        .map(|i| {
            store
                .create_camera(
                    &NewCamera {
                        id: 0,
                        owner: il.id.clone(),
                        name: format!("cam {i}"),
                        lat: 41.88 + f64::from(i) * 0.01,
                        lon: -87.78,
                        bearing: None,
                        mobile: false,
                        key_hash: format!("k{i}"),
                    },
                    Utc::now(),
                )
                .unwrap()
        })
        .collect();
    let now = Utc::now();
    // 23 hours of reads (two daily partitions most of the time): 40 plates, a few frequent.
    let span_us = Duration::hours(23).num_microseconds().unwrap();
    let start = now - Duration::hours(23);
    let mut records = Vec::new();
    for i in 0..6000 {
        let r = rng.below(1000) as f64 / 1000.0;
        let plate = plate_of(((r * r) * 40.0) as u64);
        let cam = &cameras[rng.below(cameras.len() as u64) as usize];
        let at = start.timestamp_micros() + rng.below(span_us as u64) as i64;
        records.push(ReadRecord {
            camera_id: cam.id,
            client_id: format!("r{i}"),
            captured_us: at,
            plate: PlateText::normalise(&plate).unwrap(),
            region: None,
            confidence: None,
            colour: None,
            vehicle_type: None,
            make: None,
            lat: None,
            lon: None,
            received_us: at,
            crop: None,
        });
    }
    let mut reads = Vec::new();
    for chunk in records.chunks(500) {
        let out = store.append_reads_blocking(chunk.to_vec()).unwrap();
        for (rec, o) in chunk.iter().zip(out) {
            let seq = match o {
                sightline_store::AppendOutcome::Inserted { seq } => seq,
                other => panic!("read not stored: {other:?}"),
            };
            reads.push((
                seq,
                rec.camera_id.0,
                rec.captured_us,
                rec.plate.as_str().to_owned(),
            ));
        }
    }
    let user = store
        .create_user(
            &NewUser {
                id: 0,
                must_change_password: false,
                agency: il.id.clone(),
                username: "officer".into(),
                display_name: "O".into(),
                role: Role::Officer,
                password_hash: "x".into(),
                node_operator: false,
            },
            Utc::now(),
        )
        .unwrap();
    let policy = Arc::new(RwLock::new(PolicyEngine::with_base().unwrap()));
    let searcher = Searcher::new(store, audit, policy, clock);
    World {
        _dir: tmp,
        searcher,
        officer: Principal { user, agency: il },
        cameras,
        reads,
        now,
    }
}

fn request(now: DateTime<Utc>, query: AnalysisQuery) -> AnalysisRequest {
    AnalysisRequest {
        purpose: Some("homicide".into()),
        case_number: Some("26-000001".into()),
        reason: Some("plan check".into()),
        on_behalf_of: None,
        warrant: Some(Warrant {
            court: "Circuit Court of Cook County".into(),
            reference: "2026-SW-1".into(),
            issued: (now - Duration::days(1)).format("%Y-%m-%d").to_string(),
            expires: (now + Duration::days(30)).format("%Y-%m-%d").to_string(),
        }),
        query,
        limit: Some(1000),
    }
}

/// A response as (plate, score, places, sorted read seqs), sorted by plate.
fn shape(r: &AnalysisResponse) -> Vec<(String, u32, Vec<u32>, Vec<i64>)> {
    let mut out: Vec<_> = r
        .matches
        .iter()
        .map(|m| {
            let mut seqs: Vec<i64> = m.sightings.iter().map(|s| s.seq).collect();
            seqs.sort_unstable();
            (m.plate.clone(), m.score, m.places.clone(), seqs)
        })
        .collect();
    out.sort();
    out
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

#[test]
fn test_multi_location_plan_matches_brute_force_in_a_real_store() {
    let mut rng = Rng(0x0018_f1a7);
    let w = world(&mut rng);
    let mut nonempty = 0;
    for round in 0..40 {
        let n = 2 + rng.below(5) as usize;
        let places: Vec<Place> = (0..n)
            .map(|_| {
                let to = w.now - Duration::minutes(rng.below(22 * 60) as i64);
                let from = to - Duration::minutes(10 + rng.below(20 * 60) as i64);
                let cams: BTreeSet<i64> = (0..1 + rng.below(3))
                    .map(|_| w.cameras[rng.below(6) as usize].id.0)
                    .collect();
                Place {
                    label: None,
                    area: None,
                    cameras: Some(cams.into_iter().collect()),
                    window: TimeWindow { from, to },
                }
            })
            .collect();
        let k = 2 + rng.below(n as u64 - 1) as usize;
        let got = w
            .searcher
            .analyse(
                &w.officer,
                request(
                    w.now,
                    AnalysisQuery::MultiLocation(MultiLocationQuery {
                        places: places.clone(),
                        min_places: Some(k as u32),
                    }),
                ),
            )
            .unwrap();
        // Reference: every read checked against every place.
        let mut by: BTreeMap<String, BTreeMap<u32, Vec<(i64, i64)>>> = BTreeMap::new();
        for (seq, cam, at, plate) in &w.reads {
            for (i, p) in places.iter().enumerate() {
                if p.cameras.as_ref().unwrap().contains(cam)
                    && (micros(p.window.from)..micros(p.window.to)).contains(at)
                {
                    by.entry(plate.clone())
                        .or_default()
                        .entry(i as u32)
                        .or_default()
                        .push((*at, *seq));
                }
            }
        }
        let per_place = 50 / n + 1;
        let mut want: Vec<(String, u32, Vec<u32>, Vec<i64>)> = by
            .into_iter()
            .filter(|(_, at)| at.len() >= k)
            .map(|(plate, at)| {
                let mut seqs: Vec<i64> = at
                    .values()
                    .flat_map(|v| {
                        let mut v = v.clone();
                        v.sort_unstable();
                        v.into_iter().take(per_place).map(|(_, s)| s)
                    })
                    .collect();
                seqs.sort_unstable();
                (plate, at.len() as u32, at.keys().copied().collect(), seqs)
            })
            .collect();
        want.sort();
        assert!(!got.truncated);
        assert_eq!(shape(&got), want, "round {round}: {k} of {n} places");
        // Ranked by places matched.
        assert!(got.matches.windows(2).all(|m| m[0].score >= m[1].score));
        nonempty += usize::from(!want.is_empty());
    }
    assert!(nonempty >= 10, "{nonempty} searches found vehicles");
}

#[test]
fn test_convoy_plan_matches_brute_force_in_a_real_store() {
    let mut rng = Rng(0x00c0_7018);
    let w = world(&mut rng);
    let mut nonempty = 0;
    for round in 0..25 {
        let target = plate_of(rng.below(8));
        let to = w.now - Duration::minutes(rng.below(60) as i64);
        let from = to - Duration::hours(2 + rng.below(21) as i64);
        let delta_s = 30 + rng.below(570) as u32;
        let min_events = 2 + rng.below(3) as u32;
        let got = w
            .searcher
            .analyse(
                &w.officer,
                request(
                    w.now,
                    AnalysisQuery::Convoy(ConvoyQuery {
                        plate: target.clone(),
                        window: TimeWindow { from, to },
                        delta_s: Some(delta_s),
                        min_events: Some(min_events),
                    }),
                ),
            )
            .unwrap();
        let (lo, hi) = (micros(from), micros(to));
        let delta = i64::from(delta_s) * 1_000_000;
        let mut mine: Vec<&Written> = w
            .reads
            .iter()
            .filter(|r| r.3 == target && (lo..hi).contains(&r.2))
            .collect();
        mine.sort_by_key(|r| (r.2, r.0));
        // For each other plate: target sighting index → earliest (µs, seq) in its neighbourhood.
        let mut events: HashMap<String, BTreeMap<usize, (i64, i64)>> = HashMap::new();
        for (k, t) in mine.iter().enumerate() {
            let (a, b) = ((t.2 - delta).max(lo), (t.2 + delta + 1).min(hi));
            for r in &w.reads {
                if r.3 != target && r.1 == t.1 && (a..b).contains(&r.2) {
                    let e = events
                        .entry(r.3.clone())
                        .or_default()
                        .entry(k)
                        .or_insert((r.2, r.0));
                    *e = (*e).min((r.2, r.0));
                }
            }
        }
        let mut want: Vec<(String, u32, Vec<u32>, Vec<i64>)> = events
            .into_iter()
            .filter(|(_, ev)| ev.len() >= min_events as usize)
            .map(|(plate, ev)| {
                let mut seqs: Vec<i64> = ev.values().take(50).map(|e| e.1).collect();
                seqs.sort_unstable();
                (plate, ev.len() as u32, Vec::new(), seqs)
            })
            .collect();
        want.sort();
        assert!(!got.truncated);
        assert_eq!(
            shape(&got),
            want,
            "round {round}: {target}, ±{delta_s}s, k {min_events}"
        );
        assert_eq!(got.target.len(), mine.len());
        assert!(got.matches.windows(2).all(|m| m[0].score >= m[1].score));
        nonempty += usize::from(!want.is_empty());
    }
    assert!(nonempty >= 5, "{nonempty} searches found vehicles");
}

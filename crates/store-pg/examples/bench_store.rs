//! Side-by-side benchmark of the two read-store backends through the one `ReadStore` trait:
//! the same generated reads ingested in the same batches, then the same exact-plate and
//! wildcard searches, on SQLite and PostgreSQL back to back in one run.
//!
//! ```text
//! cargo run --release -p sightline-store-pg --example bench_store -- \
//!     --reads 1000000 --plates 100000 --days 10 --batch 10000 --searches 2000
//! ```
//!
//! PostgreSQL comes from `SIGHTLINE_BENCH_POSTGRES` (or `SIGHTLINE_TEST_POSTGRES`); the store
//! is made in a schema of its own and dropped afterwards. SQLite runs in a temporary directory
//! (`SIGHTLINE_BENCH_KEEP=1` keeps it, to look at plans; `SIGHTLINE_BENCH_RAW_COPY=1` also times
//! raw binary `COPY` of the same rows into a fresh store's `reads`, the issue's floor) with `synchronous=FULL` (durable, the node's default); compare it with a PostgreSQL server
//! that has `fsync` and `synchronous_commit` on. `--backend sqlite|postgres|both` (default both).
//!
//! Ingest is one client sending batches one after another (the SQLite writer's group commit is
//! not exercised by concurrency here); a search is `resolve_plates` + `query_reads` over the
//! whole window at every camera, limit 100.
#![allow(clippy::disallowed_methods)] // a benchmark of the plate-data methods themselves

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sightline_store::{
    Durability, NewCamera, PlateSelector, ReadQuery, ReadRecord, ReadSelector, ReadStore, Store,
};
use sightline_store_pg::PgReadStore;
use sightline_types::{
    Agency, AgencyId, AgencyKind, Camera, CameraId, Jurisdiction, PlatePattern, PlateText,
};
use std::collections::HashSet;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    reads: usize,
    plates: usize,
    days: i64,
    batch: usize,
    searches: usize,
    backend: String,
}

fn args() -> Result<Args, BoxError> {
    let mut a = Args {
        reads: 1_000_000,
        plates: 100_000,
        days: 10,
        batch: 10_000,
        searches: 2_000,
        backend: "both".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--reads" => a.reads = value.parse()?,
            "--plates" => a.plates = value.parse()?,
            "--days" => a.days = value.parse()?,
            "--batch" => a.batch = value.parse()?,
            "--searches" => a.searches = value.parse()?,
            "--backend" => a.backend = value,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(a)
}

const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

fn plates(n: usize, rng: &mut StdRng) -> Vec<PlateText> {
    let mut seen = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut s = String::with_capacity(7);
        for _ in 0..3 {
            s.push(LETTERS[rng.gen_range(0..LETTERS.len())] as char);
        }
        for _ in 0..4 {
            s.push(char::from(b'0' + rng.gen_range(0..10u8)));
        }
        if seen.insert(s.clone()) {
            out.push(PlateText::normalise(&s).expect("generated plate"));
        }
    }
    out
}

fn cameras() -> Vec<Camera> {
    (1..=20)
        .map(|i| Camera {
            id: CameraId(i),
            owner: AgencyId::parse(if i <= 10 {
                "oak-park-pd"
            } else {
                "cook-county-so"
            })
            .expect("id"),
            name: format!("camera {i}"),
            lat: 41.88,
            lon: -87.80,
            bearing: None,
            mobile: false,
        })
        .collect()
}

const T0_US: i64 = 1_795_000_000_000_000; // 2026-11-19

fn workload(a: &Args) -> (Vec<PlateText>, Vec<Vec<ReadRecord>>) {
    let mut rng = StdRng::seed_from_u64(17);
    let plates = plates(a.plates, &mut rng);
    let span = a.days * 86_400_000_000;
    let mut batches = Vec::new();
    let mut i = 0;
    while i < a.reads {
        let n = a.batch.min(a.reads - i);
        let batch = (i..i + n)
            .map(|k| {
                // Reads arrive roughly in time order, as cameras send them.
                let at = T0_US + span * k as i64 / a.reads as i64 + rng.gen_range(0..1_000_000);
                ReadRecord {
                    camera_id: CameraId(rng.gen_range(1..=20)),
                    client_id: format!("r{k}"),
                    captured_us: at,
                    plate: plates[rng.gen_range(0..plates.len())].clone(),
                    region: Some("US-IL".into()),
                    confidence: Some(0.9),
                    colour: Some(["red", "blue", "white", "black"][k % 4].into()),
                    vehicle_type: Some("sedan".into()),
                    make: None,
                    lat: None,
                    lon: None,
                    received_us: at + 500_000,
                    crop: None,
                }
            })
            .collect();
        batches.push(batch);
        i += n;
    }
    (plates, batches)
}

struct Figures {
    ingest_per_s: f64,
    exact: (Duration, Duration, f64),
    wildcard: (Duration, Duration, f64),
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or_default()
}

fn run<S: ReadStore>(
    s: &S,
    a: &Args,
    plates: &[PlateText],
    batches: &[Vec<ReadRecord>],
) -> Result<Figures, BoxError> {
    s.sync_cameras(&cameras())?;
    let start = Instant::now();
    for b in batches {
        s.ingest(b.clone())?;
    }
    let ingest_per_s = a.reads as f64 / start.elapsed().as_secs_f64();
    let cams: HashSet<CameraId> = cameras().iter().map(|c| c.id).collect();
    let mut rng = StdRng::seed_from_u64(99);
    let search = |sel: PlateSelector| -> Result<(Duration, usize), BoxError> {
        let t = Instant::now();
        let (ids, _) = s.resolve_plates(&sel)?;
        let (rows, _) = s.query_reads(&ReadQuery {
            selector: ReadSelector::Plates(ids),
            from_us: T0_US - 86_400_000_000,
            to_us: T0_US + (a.days + 1) * 86_400_000_000,
            cameras: cams.clone(),
            limit: 100,
            with_crops: false,
        })?;
        Ok((t.elapsed(), rows.len()))
    };
    let (mut exact, mut wild) = (Vec::new(), Vec::new());
    let (mut exact_rows, mut wild_rows) = (0usize, 0usize);
    for _ in 0..a.searches {
        let p = &plates[rng.gen_range(0..plates.len())];
        let (t, n) = search(PlateSelector::Exact(p.clone()))?;
        exact.push(t);
        exact_rows += n;
        // A partial plate: first character unknown, the next four known, the rest anything.
        let pat = PlatePattern::parse(&format!("?{}*", &p.as_str()[1..5]))?;
        let (t, n) = search(PlateSelector::Wildcard(pat))?;
        wild.push(t);
        wild_rows += n;
    }
    let k = a.searches.max(1) as f64;
    Ok(Figures {
        ingest_per_s,
        exact: (
            pct(&mut exact, 0.5),
            pct(&mut exact, 0.99),
            exact_rows as f64 / k,
        ),
        wildcard: (
            pct(&mut wild, 0.5),
            pct(&mut wild, 0.99),
            wild_rows as f64 / k,
        ),
    })
}

fn print(name: &str, f: &Figures) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{name:<9} ingest {:>9.0} reads/s | exact p50 {:>7.3} ms p99 {:>7.3} ms (rows {:.1}) | wildcard p50 {:>7.3} ms p99 {:>7.3} ms (rows {:.1})",
        f.ingest_per_s,
        ms(f.exact.0),
        ms(f.exact.1),
        f.exact.2,
        ms(f.wildcard.0),
        ms(f.wildcard.1),
        f.wildcard.2
    );
}

fn sqlite_store(dir: &std::path::Path) -> Result<Store, BoxError> {
    let s = Store::open(dir, Durability::Power)?;
    for id in ["oak-park-pd", "cook-county-so"] {
        s.create_agency(&Agency {
            id: AgencyId::parse(id)?,
            name: id.into(),
            kind: AgencyKind::Municipal,
            jurisdiction: Jurisdiction::parse("US-IL")?,
        })?;
    }
    let now = chrono::Utc::now();
    for c in cameras() {
        s.create_camera(
            &NewCamera {
                id: c.id.0,
                owner: c.owner,
                name: c.name,
                lat: c.lat,
                lon: c.lon,
                bearing: None,
                mobile: false,
                key_hash: format!("k{}", c.id.0),
            },
            now,
        )?;
    }
    Ok(s)
}

/// The floor to compare the full ingest path with: the same rows sent with binary `COPY`
/// straight into `reads` of a fresh store (same tables and indexes, partitions and plates made
/// before the clock starts), one transaction per batch, no staging, no duplicate handling.
fn raw_copy(url: &str, batches: &[Vec<ReadRecord>], plates: &[PlateText]) -> Result<f64, BoxError> {
    use postgres::binary_copy::BinaryCopyInWriter;
    use postgres::types::{ToSql, Type};
    let schema = format!("rawcopy_{}", std::process::id());
    let store = PgReadStore::connect(url, &schema)?;
    let mut c = postgres::Client::connect(url, postgres::NoTls)?;
    c.batch_execute(&format!("SET search_path TO {schema}, public"))?;
    {
        let mut tx = c.transaction()?;
        let w = tx.copy_in("COPY plates (text, canon) FROM STDIN BINARY")?;
        let mut w = BinaryCopyInWriter::new(w, &[Type::TEXT, Type::TEXT]);
        for p in plates {
            w.write(&[&p.as_str(), &p.canonical()])?;
        }
        w.finish()?;
        tx.commit()?;
    }
    let ids: std::collections::HashMap<String, i64> = c
        .query("SELECT text, id FROM plates", &[])?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let days: std::collections::BTreeSet<i32> = batches
        .iter()
        .flatten()
        .map(|r| sightline_store_pg::schema::day_of(r.captured_us))
        .collect();
    let days: Vec<i32> = days.into_iter().collect();
    sightline_store_pg::schema::create_partitions(&mut c, &days, 0)?;
    let types = [
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::FLOAT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::FLOAT8,
        Type::FLOAT8,
        Type::INT8,
    ];
    let start = Instant::now();
    let mut n = 0usize;
    for b in batches {
        let mut tx = c.transaction()?;
        let w = tx.copy_in(
            "COPY reads (plate_id, captured_us, camera_id, client_id, region, confidence, colour, \
             vehicle_type, make, lat, lon, received_us) FROM STDIN BINARY",
        )?;
        let mut w = BinaryCopyInWriter::new(w, &types);
        for r in b {
            let id = ids[r.plate.as_str()];
            let row: [&(dyn ToSql + Sync); 12] = [
                &id,
                &r.captured_us,
                &r.camera_id.0,
                &r.client_id,
                &r.region,
                &r.confidence,
                &r.colour,
                &r.vehicle_type,
                &r.make,
                &r.lat,
                &r.lon,
                &r.received_us,
            ];
            w.write(&row)?;
        }
        w.finish()?;
        tx.commit()?;
        n += b.len();
    }
    let per_s = n as f64 / start.elapsed().as_secs_f64();
    drop(c);
    store.drop_schema()?;
    Ok(per_s)
}

fn main() -> Result<(), BoxError> {
    let a = args()?;
    let (plates, batches) = workload(&a);
    println!(
        "{} reads, {} plates, {} days, batches of {}, {} searches of each kind",
        a.reads, a.plates, a.days, a.batch, a.searches
    );
    let mut sqlite = None;
    let mut pg = None;
    if a.backend == "sqlite" || a.backend == "both" {
        let dir = tempfile::tempdir()?;
        let s = sqlite_store(dir.path())?;
        let f = run(&s, &a, &plates, &batches)?;
        print("sqlite", &f);
        sqlite = Some(f);
    }
    if a.backend == "postgres" || a.backend == "both" {
        let url = std::env::var("SIGHTLINE_BENCH_POSTGRES")
            .or_else(|_| std::env::var("SIGHTLINE_TEST_POSTGRES"))
            .map_err(|_| "set SIGHTLINE_BENCH_POSTGRES to a PostgreSQL connection string")?;
        let schema = format!("bench_{}", std::process::id());
        let s = PgReadStore::connect(&url, &schema)?;
        let f = run(&s, &a, &plates, &batches);
        if std::env::var_os("SIGHTLINE_BENCH_KEEP").is_none() {
            s.drop_schema()?;
        }
        let f = f?;
        print("postgres", &f);
        if std::env::var_os("SIGHTLINE_BENCH_RAW_COPY").is_some() {
            let raw = raw_copy(&url, &batches, &plates)?;
            println!(
                "postgres raw COPY into reads: {raw:.0} reads/s; the full ingest path reaches {:.0}% of it",
                100.0 * f.ingest_per_s / raw
            );
        }
        pg = Some(f);
    }
    if let (Some(s), Some(p)) = (sqlite, pg) {
        let r = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        println!(
            "ratio sqlite/postgres: ingest {:.2}x | exact p99 {:.2}x | wildcard p99 {:.2}x (latency ratios: lower is faster for sqlite)",
            r(s.ingest_per_s, p.ingest_per_s),
            r(s.exact.1.as_secs_f64(), p.exact.1.as_secs_f64()),
            r(s.wildcard.1.as_secs_f64(), p.wildcard.1.as_secs_f64()),
        );
    }
    Ok(())
}

//! `sightline bench ingest|search`: synthetic-network benchmarks that print figures.
//!
//! `ingest` builds a fresh data directory with N reads from a synthetic fleet over the last D
//! days, pushed through the real ingest path (validation, normalisation, group commit, durable
//! with every index) by several concurrent submitters. `search` then runs exact, wildcard, fuzzy
//! and description searches through the real search path (policy and audit append included).

use crate::fleet::{self, Vehicle};
use anyhow::{Context, Result, bail};
use chrono::{Duration, Utc};
use clap::Subcommand;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use sightline_audit::Actor;
use sightline_search::Principal;
use sightline_server::admin::{CreateAgency, CreateCamera, CreateUser};
use sightline_server::{Node, NodeConfig};
use sightline_store::Durability;
use sightline_types::{
    Camera, DescriptionQuery, NewRead, PlateQuery, SearchQuery, SearchRequest, TimeWindow,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Benchmark commands.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Ingest N synthetic reads into a fresh data directory and report reads/s.
    Ingest(IngestArgs),
    /// On a demo data directory (`sightline demo`, stopped): run the demo's opening searches
    /// ROUNDS more times, then time the node's transparency summary on a cold cache, computed
    /// agency by agency (one log pass each) and in one pass.
    Transparency {
        /// The demo's data directory.
        #[arg(long, default_value = "./sightline-demo")]
        data: PathBuf,
        /// Rounds of the demo's opening searches to add first.
        #[arg(long, default_value_t = 0)]
        rounds: usize,
    },
    /// Evaluate the policy for N data owners (one national search) and report the cost per owner.
    Policy {
        /// Owners to evaluate.
        #[arg(long, default_value_t = 10_000)]
        owners: usize,
    },
    /// Append N audit entries from concurrent appenders (durable group commit), then checkpoint,
    /// verify and export the log.
    Audit {
        /// Data directory (replaced).
        #[arg(long, default_value = "./sightline-bench-audit")]
        data: PathBuf,
        /// Entries to append.
        #[arg(long, default_value_t = 1_000_000)]
        entries: usize,
        /// Concurrent appenders, each appending one entry at a time.
        #[arg(long, default_value_t = 64)]
        appenders: usize,
    },
    /// Generate a Flock-style organisation audit CSV of N rows and time the oversight analysis.
    Oversight {
        /// Rows to generate.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Where to write the CSV.
        #[arg(long, default_value = "./sightline-bench-oversight.csv")]
        out: PathBuf,
    },
    /// Hot lists: ingest with N list entries, hit latency from ingest acknowledgement to alert
    /// delivery, and the throughput cost of matching.
    Alerts {
        /// Data directory (replaced).
        #[arg(long, default_value = "./sightline-bench-alerts")]
        data: PathBuf,
        /// Hot-list entries.
        #[arg(long, default_value_t = 1_000_000)]
        entries: usize,
        /// Reads to ingest (twice: without and with matching).
        #[arg(long, default_value_t = 1_000_000)]
        reads: usize,
        /// Share of reads whose plate is listed.
        #[arg(long, default_value_t = 0.001)]
        hit_rate: f64,
    },
    /// Hold HTTP ingest at a target rate with searches, an alert stream and retention running;
    /// sample memory and open files every second (see `soak.rs`).
    Soak(crate::soak::SoakArgs),
    /// Run searches against a benchmark data directory and report latency percentiles.
    Search {
        /// Data directory made by `bench ingest`.
        #[arg(long, default_value = "./sightline-bench")]
        data: PathBuf,
        /// Searches per kind.
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Run the usage watch beside the searches, woken after each one as the API does (to
        /// measure its cost on search latency: run once with and once without).
        #[arg(long)]
        watch: bool,
    },
    /// Render the search results page with N cameras and a track (server-side SVG map) and
    /// report render time and bytes.
    Map {
        /// Data directory (replaced; an empty node).
        #[arg(long, default_value = "./sightline-bench-map")]
        data: PathBuf,
        /// Cameras on the maps.
        #[arg(long, default_value_t = 5000)]
        cameras: usize,
        /// Sightings on the track.
        #[arg(long, default_value_t = 40)]
        stops: usize,
        /// Renders to time.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Also load the page that many times in headless Chromium (chromedriver) and report
        /// navigation start to first paint, DOM ready and load event.
        #[arg(long)]
        browser: bool,
    },
    /// Run convoy and multi-location searches against a benchmark data directory and report
    /// latency percentiles.
    Analysis {
        /// Data directory made by `bench ingest`.
        #[arg(long, default_value = "./sightline-bench")]
        data: PathBuf,
        /// Searches per kind.
        #[arg(long, default_value_t = 50)]
        queries: usize,
    },
}

/// Options of `bench ingest`.
#[derive(clap::Args, Debug)]
pub struct IngestArgs {
    /// Data directory (replaced if it holds an earlier benchmark).
    #[arg(long, default_value = "./sightline-bench")]
    pub data: PathBuf,
    /// Reads to ingest.
    #[arg(long, default_value_t = 10_000_000)]
    pub reads: usize,
    /// Distinct vehicles (default: reads / 20).
    #[arg(long)]
    pub vehicles: Option<usize>,
    /// Cameras.
    #[arg(long, default_value_t = 200)]
    pub cameras: usize,
    /// Days of history (at most 29).
    #[arg(long, default_value_t = 28)]
    pub days: i64,
    /// Reads per request.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Concurrent submitters (cameras with a batch in flight).
    #[arg(long, default_value_t = 32)]
    pub submitters: usize,
    /// `power` (fsync each commit) or `process`.
    #[arg(long, default_value = "power")]
    pub durability: String,
    /// Partition length in hours (divides 24).
    #[arg(long, default_value_t = 24)]
    pub partition_hours: u32,
    /// Attach a plate picture of this many bytes (JPEG-framed, at most 65536) to every read, as
    /// `sightline camera --attach-crops` does; 0: none.
    #[arg(long, default_value_t = 0)]
    pub crop_bytes: usize,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct BenchMeta {
    pub(crate) reads: usize,
    pub(crate) days: i64,
    #[serde(default = "day_hours")]
    pub(crate) partition_hours: u32,
    pub(crate) vehicles: usize,
    pub(crate) sample_plates: Vec<String>,
    pub(crate) officer: String,
}

pub(crate) const META: &str = "bench.json";

fn day_hours() -> u32 {
    24
}

pub(crate) fn durability(s: &str) -> Result<Durability> {
    match s {
        "power" => Ok(Durability::Power),
        "process" => Ok(Durability::Process),
        other => bail!("durability must be `power` or `process`, not `{other}`"),
    }
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|it| {
            it.flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

pub(crate) fn prepare_dir(data: &Path) -> Result<()> {
    if data.exists() {
        let empty = std::fs::read_dir(data)?.next().is_none();
        if !empty && !data.join(META).exists() && !data.join("store.db").exists() {
            bail!(
                "{} exists and is not a benchmark directory; choose another --data",
                data.display()
            );
        }
        std::fs::remove_dir_all(data).with_context(|| format!("clearing {}", data.display()))?;
    }
    Ok(())
}

fn setup_network(node: &Node, cameras: usize) -> Result<Vec<Camera>> {
    let sys = sightline_server::Caller::System;
    let err2 = |e: sightline_server::ServiceError| anyhow::anyhow!("{e}");
    node.create_agency(
        &sys,
        &CreateAgency {
            id: "bench-pd".into(),
            name: "Bench PD".into(),
            kind: "municipal".into(),
            jurisdiction: "US-IL".into(),
        },
    )
    .map_err(err2)?;
    let mut rng = StdRng::seed_from_u64(7);
    let mut out = Vec::with_capacity(cameras);
    for i in 0..cameras {
        let req = CreateCamera {
            agency: Some("bench-pd".into()),
            name: format!("bench camera {i}"),
            lat: 41.8 + rng.gen_range(0.0..0.2),
            lon: -87.9 + rng.gen_range(0.0..0.2),
            bearing: None,
            mobile: false,
            hit_only: false,
            check_purposes: Vec::new(),
        };
        out.push(node.create_camera(&sys, &req).map_err(err2)?.camera);
    }
    node.create_user(
        &sys,
        &CreateUser {
            agency: Some("bench-pd".into()),
            username: "bench-officer".into(),
            display_name: "Bench".into(),
            // A supervisor: searches and keeps the bench's hot list.
            role: "supervisor".into(),
            password: "bench-password-123".into(),
            must_change_password: false,
        },
    )
    .map_err(err2)?;
    Ok(out)
}

async fn ingest(args: IngestArgs) -> Result<()> {
    let IngestArgs {
        partition_hours,
        data,
        reads,
        vehicles,
        cameras,
        days,
        batch,
        submitters,
        durability: dur,
        crop_bytes,
    } = args;
    if crop_bytes != 0 && !(6..=sightline_types::read::MAX_CROP_BYTES).contains(&crop_bytes) {
        bail!(
            "--crop-bytes must be 0 or between 6 and {}",
            sightline_types::read::MAX_CROP_BYTES
        );
    }
    // One picture for every read: a JPEG's start and end markers around noise (ingest checks the
    // markers and the size; the store keeps the bytes).
    let crop = (crop_bytes > 0).then(|| {
        use base64::Engine as _;
        let mut noise = StdRng::seed_from_u64(7);
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
        b.extend((0..crop_bytes - 6).map(|_| noise.r#gen::<u8>()));
        b.extend([0xFF, 0xD9]);
        base64::engine::general_purpose::STANDARD.encode(b)
    });
    let dur = durability(&dur)?;
    if !(1..=29).contains(&days) {
        bail!("--days must be between 1 and 29 (reads older than 30 days are refused by ingest)");
    }
    prepare_dir(&data)?;
    let mut config = NodeConfig::for_data_dir(data.clone());
    config.durability = dur;
    config.ingest.max_batch = batch.max(1);
    config.partition_hours = partition_hours;
    let node = Arc::new(Node::open(config)?);
    let cams = setup_network(&node, cameras)?;
    let vehicles = vehicles.unwrap_or(reads / 20).max(1);
    let mut rng = StdRng::seed_from_u64(42);
    let regions = ["US-IL", "US-TX", "US-CA", "DE-BY"];
    let fleet: Vec<Vehicle> = (0..vehicles)
        .map(|i| fleet::vehicle(regions[i % 4], &mut rng))
        .collect();
    let sample_plates: Vec<String> = fleet
        .iter()
        .step_by((vehicles / 1000).max(1))
        .map(|v| v.plate.clone())
        .collect();
    println!(
        "bench ingest: {reads} reads, {vehicles} vehicles, {cameras} cameras, {days} days, batches of {batch}, {submitters} submitters, durability {dur:?}, {partition_hours}-hour partitions, plate pictures of {crop_bytes} bytes"
    );

    let (tx, rx) = tokio::sync::mpsc::channel::<(Camera, Vec<NewRead>)>(submitters * 2);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let start = Instant::now();
    let producer = std::thread::spawn(move || {
        let now = Utc::now();
        let begin = now - Duration::days(days);
        let step_us = (days * 86_400_000_000) as f64 / reads as f64;
        let mut produced = 0usize;
        let mut seq = 0u64;
        while produced < reads {
            let cam = cams[rng.gen_range(0..cams.len())].clone();
            let n = batch.min(reads - produced);
            let batch_reads: Vec<NewRead> = (0..n)
                .map(|i| {
                    // Zipf-like: a few vehicles are seen often, most rarely.
                    let v = &fleet
                        [((rng.r#gen::<f64>().powi(2)) * vehicles as f64) as usize % vehicles];
                    seq += 1;
                    NewRead {
                        id: format!("b{seq}"),
                        camera_id: None,
                        captured_at: begin
                            + Duration::microseconds(((produced + i) as f64 * step_us) as i64),
                        plate: v.plate.clone(),
                        region: Some(v.region.clone()),
                        confidence: Some(0.9),
                        colour: Some(v.colour.into()),
                        vehicle_type: Some(v.vehicle_type.into()),
                        make: Some(v.make.into()),
                        lat: None,
                        lon: None,
                        crop: crop.clone(),
                    }
                })
                .collect();
            produced += n;
            if tx.blocking_send((cam, batch_reads)).is_err() {
                break;
            }
        }
    });
    let mut tasks = Vec::new();
    for _ in 0..submitters {
        let node = node.clone();
        let rx = rx.clone();
        tasks.push(tokio::spawn(async move {
            let mut stored = 0usize;
            loop {
                let next = rx.lock().await.recv().await;
                let Some((cam, reads)) = next else { break };
                match node.ingest_reads(&cam, reads).await {
                    Ok(r) => stored += r.accepted,
                    Err(e) => return Err(anyhow::anyhow!("ingest failed: {e}")),
                }
            }
            Ok(stored)
        }));
    }
    let mut stored = 0;
    let mut last = Instant::now();
    for t in tasks {
        stored += t.await??;
        if last.elapsed().as_secs() > 5 {
            last = Instant::now();
        }
    }
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("generator thread panicked"))?;
    let secs = start.elapsed().as_secs_f64();
    let meta = BenchMeta {
        reads: stored,
        days,
        partition_hours,
        vehicles,
        sample_plates,
        officer: "bench-officer".into(),
    };
    std::fs::write(data.join(META), serde_json::to_vec_pretty(&meta)?)?;
    println!(
        "stored {stored} reads in {secs:.1} s = {:.0} reads/s (durable, all indexes; generation included)",
        stored as f64 / secs
    );
    println!(
        "distinct plates {}, partitions {}, data directory {:.2} GiB",
        node.store.distinct_plates(),
        node.store.partition_days().len(),
        dir_size(&data) as f64 / (1u64 << 30) as f64
    );
    Ok(())
}

/// `bench transparency`: cold-cache cost of the node's summary, per agency vs one pass.
fn transparency(data: &Path, rounds: usize) -> Result<()> {
    let open = || -> Result<Node> {
        let mut config = NodeConfig::for_data_dir(data.to_path_buf());
        config.durability = Durability::Process;
        Ok(Node::open(config)?)
    };
    if rounds > 0 {
        let node = open()?;
        let started = Instant::now();
        let mut n = 0;
        for _ in 0..rounds {
            n += crate::demo_searches::seed_searches(&node)?.searches;
        }
        println!(
            "bench transparency: added {n} searches in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    for run in 0..3 {
        // A fresh node each time: an empty report cache, as after a restart.
        let node = open()?;
        let agencies = node.store.agencies()?;
        let started = Instant::now();
        for a in &agencies {
            node.transparency(&a.id)?;
        }
        let per_agency = started.elapsed().as_secs_f64();
        drop(node);
        let node = open()?;
        let started = Instant::now();
        let summary = node.transparency_summary()?;
        let one_pass = started.elapsed().as_secs_f64();
        println!(
            "bench transparency: run {run}: {} agencies, {} searches counted; cold summary agency by agency {:.0} ms, in one pass {:.0} ms",
            agencies.len(),
            summary.searches_by_outcome.values().sum::<u64>(),
            per_agency * 1000.0,
            one_pass * 1000.0
        );
    }
    Ok(())
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn mutate(plate: &str, rng: &mut impl Rng) -> String {
    let mut chars: Vec<char> = sightline_types::PlateText::normalise(plate)
        .map(|p| p.as_str().chars().collect())
        .unwrap_or_default();
    if chars.is_empty() {
        return plate.to_owned();
    }
    let i = rng.gen_range(0..chars.len());
    chars[i] = match chars[i] {
        '0' => 'O',
        '1' => 'I',
        '8' => 'B',
        '5' => 'S',
        c if c.is_ascii_digit() => char::from(b'0' + rng.gen_range(0..10u8)),
        _ => char::from(b'A' + rng.gen_range(0..26u8)),
    };
    chars.into_iter().collect()
}

fn wildcard(plate: &str) -> String {
    let p: Vec<char> = sightline_types::PlateText::normalise(plate)
        .map(|p| p.as_str().chars().collect())
        .unwrap_or_default();
    if p.len() < 5 {
        return format!("{}*", p.iter().collect::<String>());
    }
    format!("{}{}?{}*", p[0], p[1], p[3..5].iter().collect::<String>())
}

/// Opens the node of an earlier `bench ingest` and its benchmark officer.
pub(crate) fn open_bench_node(data: &Path) -> Result<(BenchMeta, Arc<Node>, Principal)> {
    let meta: BenchMeta =
        serde_json::from_slice(&std::fs::read(data.join(META)).with_context(|| {
            format!(
                "{} has no {META}; run `sightline bench ingest` first",
                data.display()
            )
        })?)?;
    let mut config = NodeConfig::for_data_dir(data.to_path_buf());
    config.partition_hours = meta.partition_hours;
    let node = Arc::new(Node::open(config)?);
    let user = node
        .store
        .user_by_username(&meta.officer)?
        .context("benchmark officer missing")?;
    let agency = node.store.agency(&user.agency)?;
    let who = Principal { user, agency };
    Ok((meta, node, who))
}

async fn search(data: PathBuf, queries: usize, watch: bool) -> Result<()> {
    let (meta, node, who) = open_bench_node(&data)?;
    println!(
        "bench search: {} reads, {} distinct plates, {queries} searches per kind (policy + durable audit append included)",
        meta.reads,
        node.store.distinct_plates()
    );
    // The watch first catches up with the log's earlier searches, so the figures below measure
    // the steady state: one wake-up per search and the detectors on the watch's own thread.
    let watcher = if watch {
        let n = node.clone();
        let t = Instant::now();
        let raised = tokio::task::spawn_blocking(move || n.run_watch()).await??;
        println!(
            "  usage watch on: caught up with the log in {:.0} ms ({raised} findings)",
            t.elapsed().as_secs_f64() * 1000.0
        );
        Some(sightline_server::spawn_watch(node.clone()))
    } else {
        println!("  usage watch off");
        None
    };
    let mut rng = StdRng::seed_from_u64(9);
    let now = Utc::now();
    for kind in ["exact", "wildcard", "fuzzy", "description"] {
        let mut times = Vec::with_capacity(queries);
        let mut refused = Vec::new();
        let mut rows = 0usize;
        for _ in 0..queries {
            let plate = &meta.sample_plates[rng.gen_range(0..meta.sample_plates.len())];
            let (q_plate, q_desc, window) = match kind {
                "exact" => (
                    Some(PlateQuery::Exact(plate.clone())),
                    None,
                    Duration::days(28),
                ),
                "wildcard" => (
                    Some(PlateQuery::Wildcard(wildcard(plate))),
                    None,
                    Duration::days(7),
                ),
                "fuzzy" => (
                    Some(PlateQuery::Fuzzy(mutate(plate, &mut rng))),
                    None,
                    Duration::days(7),
                ),
                _ => {
                    let v = fleet::vehicle("US-IL", &mut rng);
                    (
                        None,
                        Some(DescriptionQuery {
                            colour: Some(v.colour.into()),
                            vehicle_type: Some(v.vehicle_type.into()),
                            make: None,
                        }),
                        Duration::days(1),
                    )
                }
            };
            // Every window lies inside the benchmark's history (so every search has data to look
            // at) and inside the owner's retention (so every search is a lawful one: a window
            // reaching past it would measure a refusal, not a search).
            let window = window.min(Duration::days(meta.days.max(1)));
            let spare = (meta.days * 24 - window.num_hours()).max(0);
            let end = now - Duration::hours(rng.gen_range(0..=spare));
            let req = SearchRequest {
                purpose: Some("stolen_vehicle".into()),
                case_number: Some("26-000001".into()),
                reason: Some("benchmark".into()),
                on_behalf_of: None,
                query: SearchQuery {
                    plate: q_plate,
                    description: q_desc,
                    window: TimeWindow {
                        from: end - window,
                        to: end,
                    },
                    cameras: None,
                    area: None,
                },
                limit: None,
                with_crops: false,
                follows: None,
            };
            let s = node.searcher.clone();
            let w = who.clone();
            let t = Instant::now();
            let r = tokio::task::spawn_blocking(move || s.search(&w, req)).await??;
            if watch {
                node.wake_watch();
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if r.owners
                .iter()
                .any(|o| o.outcome == sightline_types::OwnerOutcome::Contributed)
            {
                times.push(ms);
                rows += r.results.len();
            } else {
                refused.push(ms);
            }
        }
        times.sort_by(f64::total_cmp);
        refused.sort_by(f64::total_cmp);
        println!(
            "  {kind:<12} p50 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms  mean rows {:.0}  ({} lawful searches)",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(f64::NAN),
            rows as f64 / times.len().max(1) as f64,
            times.len()
        );
        if !refused.is_empty() {
            println!(
                "  {:<12} {} refused (no owner allowed it): p50 {:.2} ms  p99 {:.2} ms — not in the figures above",
                "",
                refused.len(),
                percentile(&refused, 0.5),
                percentile(&refused, 0.99)
            );
        }
    }
    if let Some(w) = watcher {
        w.abort();
    }
    Ok(())
}

fn policy(owners: usize) -> Result<()> {
    use sightline_policy::{PartyFacts, PolicyEngine, PolicyRequest};
    use sightline_types::{Purpose, Role};
    let engine = PolicyEngine::with_shipped_packs()?;
    let jurisdictions = [
        "US-IL", "US-CA", "US-TX", "US-NH", "US-VA", "US-WA", "US-ME", "US-MN", "US-AR", "US-GA",
        "US-FL", "DE-BY", "DE-NW", "FR",
    ];
    let kinds = ["municipal", "sheriff", "state", "private"];
    let mut rng = StdRng::seed_from_u64(3);
    let party = |id: String, kind: &str, j: &str| PartyFacts {
        agency: id,
        kind: kind.into(),
        jurisdiction: j.into(),
        country: j[..2].into(),
        public: kind != "private",
        eu: matches!(&j[..2], "DE" | "FR"),
    };
    let requester = party("requester".into(), "municipal", "US-TX");
    let reqs: Vec<PolicyRequest> = (0..owners)
        .map(|i| {
            let j = jurisdictions[rng.gen_range(0..jurisdictions.len())];
            let owner = party(
                format!("owner-{i}"),
                kinds[rng.gen_range(0..kinds.len())],
                j,
            );
            PolicyRequest {
                user_id: 1,
                role: Role::Officer,
                requester: requester.clone(),
                on_behalf_of: requester.clone(),
                owner_retention_minutes: engine.retention_minutes(j, !owner.public),
                owner,
                purpose: Purpose::StolenVehicle,
                purposes: vec![Purpose::StolenVehicle],
                has_case_number: true,
                case_number_shape: "99-999999".into(),
                query_kind: "plate".into(),
                has_warrant: false,
                window_hours: 48,
                lookback_minutes: 2880,
                agreement_purposes: if rng.gen_bool(0.5) {
                    vec![Purpose::StolenVehicle]
                } else {
                    Vec::new()
                },
                on_behalf_agreement_purposes: Vec::new(),
                declaration_on_record: rng.gen_bool(0.3),
                on_behalf_declaration_on_record: false,
            }
        })
        .collect();
    for pass in ["first pass (policy sets built on first use)", "second pass"] {
        let start = Instant::now();
        let allowed = reqs
            .iter()
            .filter(|r| engine.evaluate(r).is_allow())
            .count();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "policy {pass}: {owners} owners in {:.1} ms = {:.1} µs per owner ({allowed} allowed)",
            secs * 1000.0,
            secs * 1e6 / owners as f64
        );
    }
    Ok(())
}

fn audit(data: PathBuf, entries: usize, appenders: usize) -> Result<()> {
    use sightline_audit::{ActorKind, AuditLog, EntryDraft};
    if data.exists() {
        if !data.join("audit.db").exists() {
            bail!(
                "{} exists and is not a benchmark directory; choose another --data",
                data.display()
            );
        }
        std::fs::remove_dir_all(&data)?;
    }
    let log = Arc::new(AuditLog::open(
        &data,
        Arc::new(sightline_types::SystemClock),
    )?);
    let per = entries / appenders.max(1);
    let start = Instant::now();
    let threads: Vec<_> = (0..appenders)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || -> Result<()> {
                for i in 0..per {
                    let details = serde_json::json!({
                        "request": {"purpose": "stolen_vehicle", "case_number": format!("26-{t:03}{i:06}"), "reason": "stolen vehicle report",
                            "query": {"plate": {"exact": "ABC1234"}, "window": {"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}}},
                        "decisions": [{"owner": "oak-park-pd", "outcome": "contributed", "rule": "base.own-agency"},
                                      {"owner": "harris-county-so", "outcome": "excluded", "rule": "base.default-deny"}],
                        "result_count": 3, "result_digest": "9f2c…"
                    });
                    let actor = Actor { kind: ActorKind::User, id: t.to_string(), name: format!("officer{t}"), agency: None };
                    log.append(EntryDraft { actor, action: "search".into(), outcome: "partial".into(), owners: Vec::new(), details })?;
                }
                Ok(())
            })
        })
        .collect();
    for t in threads {
        t.join()
            .map_err(|_| anyhow::anyhow!("appender panicked"))??;
    }
    let secs = start.elapsed().as_secs_f64();
    let n = per * appenders;
    println!(
        "appended {n} entries from {appenders} appenders in {secs:.1} s = {:.0} entries/s (each acknowledged after a synchronous=FULL commit)",
        n as f64 / secs
    );
    let t = Instant::now();
    let cp = log.checkpoint(Utc::now())?;
    println!(
        "signed checkpoint over {} entries in {:.1} ms",
        cp.size,
        t.elapsed().as_secs_f64() * 1000.0
    );
    drop(log);
    let t = Instant::now();
    let report = sightline_audit::verify_dir(&data, &[], None)?;
    println!(
        "verified {} entries (leaf, chain, tree, checkpoint) in {:.2} s: {}",
        report.entries,
        t.elapsed().as_secs_f64(),
        if report.is_ok() { "ok" } else { "FAILED" }
    );
    let t = Instant::now();
    let mut out = std::io::BufWriter::new(std::fs::File::create(data.join("export.jsonl"))?);
    let exported = sightline_audit::export_dir(&data, &mut out)?;
    std::io::Write::flush(&mut out)?;
    println!(
        "exported {exported} entries to {} in {:.2} s",
        data.join("export.jsonl").display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn oversight(rows: usize, out: &Path) -> Result<()> {
    use std::io::Write;
    let reasons = [
        "stolen vehicle",
        "inv",
        "burglary suspect",
        "",
        "26-001234",
        "ICE ERO assist",
        "Narcotics - HSI",
        "protest",
        "patrol",
        "hit and run",
    ];
    let mut rng = StdRng::seed_from_u64(5);
    let start = Instant::now();
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    writeln!(
        w,
        "ID,Org_Name,Total_Networks_Searched,Total_Devices_Searched,Time_Frame_Start,Time_Frame_End,Reason,Search_Time,Search_Type,Moderation"
    )?;
    let base = Utc::now() - Duration::days(365);
    for i in 0..rows {
        let t = base + Duration::seconds(rng.gen_range(0..365 * 86_400));
        let back = Duration::hours(rng.gen_range(1..24 * 60));
        let fmt = |d: chrono::DateTime<Utc>| d.format("%m/%d/%Y, %I:%M:%S %p UTC").to_string();
        let networks: u32 = if rng.gen_bool(0.6) {
            1
        } else {
            rng.gen_range(2..7000)
        };
        writeln!(
            w,
            "id-{i},Agency {},{networks},{},\"{}\",\"{}\",{},\"{}\",{},",
            rng.gen_range(0..300),
            networks * 20,
            fmt(t - back),
            fmt(t),
            reasons[rng.gen_range(0..reasons.len())],
            fmt(t),
            if rng.gen_bool(0.7) {
                "lookup"
            } else {
                "search"
            }
        )?;
    }
    w.flush()?;
    let size = std::fs::metadata(out)?.len();
    println!(
        "generated {rows} rows ({:.0} MiB) in {:.1} s",
        size as f64 / (1u64 << 20) as f64,
        start.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let (records, summary) = sightline_oversight::read_file(out)?;
    let read_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let report = sightline_oversight::analyze(&records, vec![summary], 30.0);
    println!(
        "read {} rows in {read_s:.2} s, analysed in {:.2} s: {} beyond retention, {} vague, {} prohibited-purpose findings",
        records.len(),
        t.elapsed().as_secs_f64(),
        report.lookback.beyond_retention.count,
        report.reasons.vague.count,
        report
            .reasons
            .prohibited
            .iter()
            .map(|p| p.finding.count)
            .sum::<u64>()
    );
    Ok(())
}

#[allow(clippy::type_complexity)]
async fn alerts_setup(
    data: &Path,
    entries: usize,
) -> Result<(
    Arc<Node>,
    Vec<Camera>,
    Vec<String>,
    Arc<std::sync::Mutex<Vec<(i64, i64, Instant)>>>,
    tokio::task::JoinHandle<Vec<f64>>,
)> {
    use sightline_hotlist::{Category, HotEntry, ImportMode};
    prepare_dir(data)?;
    let mut config = NodeConfig::for_data_dir(data.to_owned());
    config.ingest.max_batch = 1000;
    let node = Arc::new(Node::open(config)?);
    let cams = setup_network(&node, 50)?;
    let user = node
        .store
        .user_by_username("bench-officer")?
        .context("bench user")?;
    let who = sightline_server::Caller::User(Principal {
        agency: node.store.agency(&user.agency)?,
        user,
    });
    let err = |e: sightline_server::ServiceError| anyhow::anyhow!("{e}");
    let list = node
        .create_hotlist(&who, "bench list", Category::StolenVehicle, "bench", &[])
        .map_err(err)?
        .item;
    let mut rng = StdRng::seed_from_u64(11);
    let listed: Vec<String> = (0..entries)
        .map(|_| fleet::plate_for("US-TX", &mut rng))
        .collect();
    let t = Instant::now();
    let now = Utc::now();
    let list_entries = listed
        .iter()
        .map(|p| HotEntry {
            id: 0,
            list_id: list.id,
            plate: p.clone(),
            region: None,
            reason: "bench".into(),
            legal_basis: None,
            added_by: String::new(),
            added_at: now,
            expires_at: None,
        })
        .collect();
    node.put_hotlist_entries(&who, list.id, list_entries, ImportMode::Replace)
        .map_err(err)?;
    println!(
        "loaded {} hot-list entries in {:.1} s",
        listed.len(),
        t.elapsed().as_secs_f64()
    );
    let mut rx = node.alerts.subscribe();
    // Acknowledgement time per batch, by the batch's (first, last) sequence numbers.
    let acks: Arc<std::sync::Mutex<Vec<(i64, i64, Instant)>>> = Arc::default();
    let acks2 = acks.clone();
    let collector = tokio::spawn(async move {
        let mut lat = Vec::new();
        // Runs until no alert has come for 30 s (the ingest phases keep it busy before that).
        while let Ok(Ok(hit)) =
            tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv()).await
        {
            let got = Instant::now();
            let ack = acks2.lock().ok().and_then(|m| {
                m.iter()
                    .find(|(lo, hi, _)| (*lo..=*hi).contains(&hit.read_seq))
                    .map(|b| b.2)
            });
            if let Some(ack) = ack {
                lat.push(got.duration_since(ack).as_secs_f64() * 1000.0);
            }
        }
        lat
    });
    Ok((node, cams, listed, acks, collector))
}

async fn alerts(data: PathBuf, entries: usize, reads: usize, hit_rate: f64) -> Result<()> {
    // Each phase gets a fresh data directory, so both ingest into equally sized partitions.
    // Passing traffic: a fleet of 200,000 vehicles seen again and again, as on real roads.
    let mut frng = StdRng::seed_from_u64(77);
    let traffic: Arc<Vec<String>> = Arc::new(
        (0..200_000)
            .map(|_| fleet::plate_for("US-IL", &mut frng))
            .collect(),
    );
    for matching in [false, true] {
        let (node, cams, listed, acks, collector) = alerts_setup(&data, entries).await?;
        let start = Instant::now();
        let mut tasks = Vec::new();
        let per_task = reads / 32;
        for t in 0..32usize {
            let (node, cams, listed, acks, traffic) = (
                node.clone(),
                cams.clone(),
                listed.clone(),
                acks.clone(),
                traffic.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut rng =
                    StdRng::seed_from_u64(100 + t as u64 + if matching { 1000 } else { 0 });
                let mut done = 0;
                while done < per_task {
                    let cam = &cams[rng.gen_range(0..cams.len())];
                    let n = 1000.min(per_task - done);
                    let at = Utc::now();
                    let batch: Vec<NewRead> = (0..n)
                        .map(|i| NewRead {
                            id: format!("{}-{t}-{done}-{i}", if matching { "m" } else { "p" }),
                            camera_id: None,
                            captured_at: at,
                            plate: if rng.gen_bool(hit_rate) {
                                listed[rng.gen_range(0..listed.len())].clone()
                            } else {
                                traffic[rng.gen_range(0..traffic.len())].clone()
                            },
                            region: None,
                            confidence: None,
                            colour: None,
                            vehicle_type: None,
                            make: None,
                            lat: None,
                            lon: None,
                            crop: None,
                        })
                        .collect();
                    let report = if matching {
                        node.ingest_and_match(cam, batch).await?
                    } else {
                        node.ingest_reads(cam, batch).await?
                    };
                    let acked = Instant::now();
                    if matching {
                        let seqs = report.results.iter().filter_map(|r| r.seq);
                        if let (Some(lo), Some(hi)) = (seqs.clone().min(), seqs.max()) {
                            acks.lock()
                                .map_err(|_| anyhow::anyhow!("lock"))?
                                .push((lo, hi, acked));
                        }
                    }
                    done += n;
                }
                Ok::<_, anyhow::Error>(done)
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await??;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "ingest {} matching: {total} reads in {secs:.1} s = {:.0} reads/s",
            if matching { "with" } else { "without" },
            total as f64 / secs
        );
        if !matching {
            collector.abort();
            continue;
        }
        let mut lat = collector.await?;
        lat.sort_by(f64::total_cmp);
        println!(
            "alerts: {} hits, latency from ingest acknowledgement to alert delivery p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            lat.len(),
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            lat.last().copied().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}

/// Runs a benchmark command.
///
/// # Errors
/// Setup or I/O failures.
pub async fn run(cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Ingest(args) => ingest(args).await,
        BenchCommand::Search {
            data,
            queries,
            watch,
        } => search(data, queries, watch).await,
        BenchCommand::Analysis { data, queries } => {
            crate::bench_analysis::analysis(data, queries).await
        }
        BenchCommand::Policy { owners } => policy(owners),
        BenchCommand::Transparency { data, rounds } => {
            tokio::task::spawn_blocking(move || transparency(&data, rounds)).await?
        }
        BenchCommand::Map {
            data,
            cameras,
            stops,
            runs,
            browser,
        } => crate::bench_map::map(data, cameras, stops, runs, browser),
        BenchCommand::Soak(args) => crate::soak::run(args).await,
        BenchCommand::Alerts {
            data,
            entries,
            reads,
            hit_rate,
        } => alerts(data, entries, reads, hit_rate).await,
        BenchCommand::Oversight { rows, out } => oversight(rows, &out),
        BenchCommand::Audit {
            data,
            entries,
            appenders,
        } => audit(data, entries, appenders),
    }
}

//! `sightline bench soak`: a node serving real HTTP on 127.0.0.1 and an in-process load
//! generator beside it. Cameras post batches of reads at a target rate, an officer searches,
//! a supervisor holds an alert stream (Server-Sent Events) open while listed plates pass, and
//! retention purges reads past their law's limit. Every second the process's resident memory
//! and open file descriptors are sampled. At the end: per-endpoint latency percentiles, errors,
//! memory growth after the first minute, descriptors, and the graceful shutdown time.

use anyhow::{Context, Result, bail};
use chrono::Utc;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sightline_hotlist::{Category, HotEntry, ImportMode};
use sightline_search::Principal;
use sightline_server::admin::{CreateAgency, CreateCamera, CreateUser};
use sightline_server::{Caller, Node, NodeConfig};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Options of `bench soak`.
#[derive(clap::Args, Debug)]
pub struct SoakArgs {
    /// Data directory (replaced if it holds an earlier benchmark).
    #[arg(long, default_value = "./sightline-bench-soak")]
    pub data: PathBuf,
    /// How long to hold the load, seconds.
    #[arg(long, default_value_t = 600)]
    pub duration: u64,
    /// Target ingest rate, reads per second (0: as fast as the node answers).
    #[arg(long, default_value_t = 20_000)]
    pub rate: u64,
    /// Reads per request.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Concurrent camera connections posting batches (each waits for its answer before the
    /// next batch, so this bounds the reads in flight and thus the store's group commits).
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Searches per second (one officer connection).
    #[arg(long, default_value_t = 5.0)]
    pub search_rate: f64,
    /// Hot-list entries.
    #[arg(long, default_value_t = 10_000)]
    pub hot_entries: usize,
    /// Share of reads whose plate is on the hot list.
    #[arg(long, default_value_t = 0.001)]
    pub hit_rate: f64,
    /// Seconds between retention runs (the node's default, 60). Runs start one second past a
    /// whole multiple of this on the clock, as the node's own retention job does.
    #[arg(long, default_value_t = 60)]
    pub retention_every: u64,
    /// `power` (fsync each commit) or `process`.
    #[arg(long, default_value = "power")]
    pub durability: String,
    /// Partition length in hours (divides 24). Short partitions keep the single writer fast
    /// while retention deletes behind it.
    #[arg(long, default_value_t = 1)]
    pub partition_hours: u32,
    /// Partition length in minutes (divides a day; 0: use `--partition-hours`): with New
    /// Hampshire's 3-minute retention, retention drops whole partitions.
    #[arg(long, default_value_t = 1)]
    pub partition_minutes: u32,
    /// Worker threads of the load generator's own runtime.
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
}

/// Latencies and failures of one endpoint.
#[derive(Default)]
struct Endpoint {
    ms: Vec<f64>,
    errors: u64,
    first_error: Option<String>,
    /// Answers by kind (searches: the owner's decision and its rule).
    outcomes: std::collections::BTreeMap<String, u64>,
}

impl Endpoint {
    fn record(&mut self, ms: f64, ok: Result<(), String>) {
        self.ms.push(ms);
        if let Err(e) = ok {
            self.errors += 1;
            self.first_error.get_or_insert(e);
        }
    }
}

type Stats = Arc<Mutex<Endpoint>>;

fn lock(s: &Stats) -> std::sync::MutexGuard<'_, Endpoint> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One sample of the process: seconds since start, resident KiB (all, and anonymous: heap
/// without the memory-mapped database pages), open descriptors.
#[derive(Clone, Copy)]
struct Sample {
    at: f64,
    rss_kib: u64,
    anon_kib: u64,
    fds: usize,
}

fn sample(start: Instant) -> Sample {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count);
    Sample {
        at: start.elapsed().as_secs_f64(),
        rss_kib: field("VmRSS:"),
        anon_kib: field("RssAnon:"),
        fds,
    }
}

/// An error with its causes, `outer: inner: ...` (the benchmark's own report, not a user's).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn growth(from: u64, to: u64) -> f64 {
    (to as f64 / from.max(1) as f64 - 1.0) * 100.0
}

/// CPU seconds used so far by the process's threads, grouped: the store's writer thread, its
/// checkpoint thread, the load generator's threads (`soak-client`), and the node's (everything else: the HTTP
/// server's runtime, blocking tasks, SQLite readers).
#[derive(Clone, Copy, Default)]
struct Cpu {
    writer: f64,
    checkpoint: f64,
    client: f64,
    node: f64,
}

fn cpu() -> Cpu {
    let mut out = Cpu::default();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ...`: the name may hold spaces, so split after the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
        let ticks: f64 = fields.get(11..13).map_or(0.0, |f| {
            f.iter().filter_map(|v| v.parse::<f64>().ok()).sum()
        });
        let secs = ticks / 100.0;
        if name.starts_with("sightline-write") {
            out.writer += secs;
        } else if name.starts_with("sightline-ckpt") {
            out.checkpoint += secs;
        } else if name.starts_with("soak-client") {
            out.client += secs;
        } else {
            out.node += secs;
        }
    }
    out
}

/// Size of a file in MiB (0 when it does not exist).
fn file_mib(path: &std::path::Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0)
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The load generator's runtime; shut down without blocking when dropped (a runtime may not be
/// dropped the ordinary way inside another one).
struct ClientRuntime(Option<tokio::runtime::Runtime>);

impl ClientRuntime {
    fn handle(&self) -> tokio::runtime::Handle {
        self.0
            .as_ref()
            .map_or_else(tokio::runtime::Handle::current, |r| r.handle().clone())
    }
}

impl Drop for ClientRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// Posts JSON; Ok(body) on 2xx, Err(sentence) otherwise.
async fn post(
    client: &HttpClient,
    url: &str,
    token: &str,
    body: String,
) -> std::result::Result<Bytes, String> {
    let req = hyper::Request::post(url)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if status.is_success() {
        Ok(bytes)
    } else {
        Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        ))
    }
}

struct Setup {
    node: Arc<Node>,
    camera_keys: Vec<String>,
    listed: Vec<String>,
    traffic: Vec<String>,
}

fn setup(args: &SoakArgs) -> Result<Setup> {
    crate::bench::prepare_dir(&args.data)?;
    let mut config = NodeConfig::for_data_dir(args.data.clone());
    config.durability = crate::bench::durability(&args.durability)?;
    config.ingest.max_batch = args.batch.max(1);
    config.partition_hours = args.partition_hours;
    config.partition_minutes = (args.partition_minutes > 0).then_some(args.partition_minutes);
    // The benchmark runs retention itself, to time it.
    config.policy.retention_interval_s = 0;
    config.policy.checkpoint_interval_s = 60;
    // The benchmark measures load, not sign-in: its supervisor signs in with a password alone.
    config.security.public_mfa_roles = Vec::new();
    let node = Arc::new(Node::open(config)?);
    let sys = Caller::System;
    let err = |e: sightline_server::ServiceError| anyhow::anyhow!("{e}");
    // New Hampshire keeps reads that matched no hot list for 3 minutes: retention has work all
    // through the run and the store stays the size of a few minutes of traffic.
    node.create_agency(
        &sys,
        &CreateAgency {
            id: "soak-pd".into(),
            name: "Soak PD".into(),
            kind: "municipal".into(),
            jurisdiction: "US-NH".into(),
        },
    )
    .map_err(err)?;
    let mut camera_keys = Vec::new();
    for i in 0..args.connections.max(1) {
        let c = node
            .create_camera(
                &sys,
                &CreateCamera {
                    agency: Some("soak-pd".into()),
                    name: format!("soak camera {i}"),
                    lat: 43.2,
                    lon: -71.5 + i as f64 * 0.001,
                    bearing: None,
                    mobile: false,
                    hit_only: false,
                    check_purposes: Vec::new(),
                },
            )
            .map_err(err)?;
        camera_keys.push(c.device_key);
    }
    node.create_user(
        &sys,
        &CreateUser {
            agency: Some("soak-pd".into()),
            username: "soak-supervisor".into(),
            display_name: "Soak".into(),
            role: "supervisor".into(),
            password: "soak-password-123".into(),
            must_change_password: false,
        },
    )
    .map_err(err)?;
    let user = node
        .store
        .user_by_username("soak-supervisor")?
        .context("soak user")?;
    let who = Caller::User(Principal {
        agency: node.store.agency(&user.agency)?,
        user,
    });
    let list = node
        .create_hotlist(&who, "soak list", Category::StolenVehicle, "soak", &[])
        .map_err(err)?
        .item;
    let mut rng = StdRng::seed_from_u64(15);
    let listed: Vec<String> = (0..args.hot_entries.max(1))
        .map(|_| crate::fleet::plate_for("US-TX", &mut rng))
        .collect();
    let now = Utc::now();
    let entries = listed
        .iter()
        .map(|p| HotEntry {
            id: 0,
            list_id: list.id,
            plate: p.clone(),
            region: None,
            reason: "soak".into(),
            legal_basis: None,
            added_by: String::new(),
            added_at: now,
            expires_at: None,
        })
        .collect();
    node.put_hotlist_entries(&who, list.id, entries, ImportMode::Replace)
        .map_err(err)?;
    let traffic = (0..100_000)
        .map(|_| crate::fleet::plate_for("US-IL", &mut rng))
        .collect();
    Ok(Setup {
        node,
        camera_keys,
        listed,
        traffic,
    })
}

fn report(name: &str, e: &Endpoint, secs: f64) {
    let mut ms = e.ms.clone();
    ms.sort_by(f64::total_cmp);
    let p = |q| crate::bench::percentile(&ms, q);
    println!(
        "  {name:<22} {:>8} requests ({:>7.1}/s)  p50 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms  errors {}{}",
        ms.len(),
        ms.len() as f64 / secs,
        p(0.5),
        p(0.99),
        ms.last().copied().unwrap_or(f64::NAN),
        e.errors,
        e.first_error
            .as_ref()
            .map_or(String::new(), |m| format!(" (first: {m})"))
    );
}

/// Runs the soak benchmark and prints its figures.
///
/// # Errors
/// Setup failures; a run with request errors prints them and fails.
pub async fn run(args: SoakArgs) -> Result<()> {
    if args.batch == 0 || args.duration == 0 {
        bail!("--batch and --duration must be positive");
    }
    let t = Instant::now();
    let Setup {
        node,
        camera_keys,
        listed,
        traffic,
    } = tokio::task::block_in_place(|| setup(&args))?;
    println!(
        "bench soak: {} s, target {} reads/s in batches of {} over {} connections, {:.1} searches/s, {} hot-list entries (hit rate {}), retention every {} s, durability {}, {} partitions; set up in {:.1} s",
        args.duration,
        if args.rate == 0 {
            "max".to_owned()
        } else {
            args.rate.to_string()
        },
        args.batch,
        camera_keys.len(),
        args.search_rate,
        listed.len(),
        args.hit_rate,
        args.retention_every,
        args.durability,
        if args.partition_minutes > 0 {
            format!("{}-minute", args.partition_minutes)
        } else {
            format!("{}-hour", args.partition_hours)
        },
        t.elapsed().as_secs_f64()
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sightline_server::serve(listener, node.clone(), async {
        let _ = stop_rx.await;
    }));
    let checkpoints = sightline_server::spawn_checkpoints(node.clone());
    // The load generator runs on its own runtime (threads named `soak-client`), so that its CPU
    // time is told apart from the node's.
    let client_rt = ClientRuntime(Some(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.client_threads.max(1))
            .thread_name("soak-client")
            .enable_all()
            .build()?,
    ));
    let load = client_rt.handle();

    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: HttpClient = Client::builder(TokioExecutor::new()).build(connector);
    let login = load
        .spawn({
            let (client, base) = (client.clone(), base.clone());
            async move {
                post(
                    &client,
        &format!("{base}/api/v1/login"),
        "",
                    serde_json::json!({"username": "soak-supervisor", "password": "soak-password-123"})
                        .to_string(),
                )
                .await
            }
        })
        .await?
        .map_err(|e| anyhow::anyhow!("login: {e}"))?;
    let token = serde_json::from_slice::<serde_json::Value>(&login)?["token"]
        .as_str()
        .context("login answered no token")?
        .to_owned();

    let start = Instant::now();
    let end = start + Duration::from_secs(args.duration);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    // When the last read was acknowledged (ms since start): the rate is over the load, not over
    // the wait for the search and retention tasks to finish after it.
    let last_ack_ms = Arc::new(AtomicU64::new(0));
    let (ingest, search, retention, alerts_seen) = (
        Stats::default(),
        Stats::default(),
        Stats::default(),
        Arc::new(AtomicU64::new(0)),
    );
    let listed = Arc::new(listed);
    let traffic = Arc::new(traffic);
    let next_batch = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();

    // The alert subscriber: counts hit events as they arrive.
    let sse = {
        let (client, url, token, seen) = (
            client.clone(),
            format!("{base}/api/v1/alerts/stream"),
            token.clone(),
            alerts_seen.clone(),
        );
        load.spawn(async move {
            let req = hyper::Request::get(url)
                .header("authorization", format!("Bearer {token}"))
                .body(Full::new(Bytes::new()))
                .map_err(|e| e.to_string())?;
            let resp = client.request(req).await.map_err(|e| e.to_string())?;
            if !resp.status().is_success() {
                return Err(format!("alert stream: {}", resp.status()));
            }
            let mut body = resp.into_body();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| e.to_string())?;
                if let Some(data) = frame.data_ref() {
                    let n = data.windows(10).filter(|w| w == b"event: hit").count();
                    seen.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
            Ok::<_, String>(())
        })
    };

    // Cameras: batch i is due at start + i × batch / rate (as fast as answered when rate is 0).
    for (c, key) in camera_keys.iter().enumerate() {
        let (client, url, key, stop, acked, stats, next, listed, traffic) = (
            client.clone(),
            format!("{base}/api/v1/reads"),
            key.clone(),
            stop.clone(),
            (acked.clone(), last_ack_ms.clone()),
            ingest.clone(),
            next_batch.clone(),
            listed.clone(),
            traffic.clone(),
        );
        let (batch, rate, hit_rate) = (args.batch, args.rate, args.hit_rate);
        tasks.push(load.spawn(async move {
            let mut rng = StdRng::seed_from_u64(1000 + c as u64);
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if rate > 0 {
                    let due = start + Duration::from_secs_f64(i as f64 * batch as f64 / rate as f64);
                    if due >= end {
                        break;
                    }
                    tokio::time::sleep_until(due.into()).await;
                }
                if Instant::now() >= end {
                    break;
                }
                let at = Utc::now().to_rfc3339();
                let mut body = String::with_capacity(batch * 80);
                body.push_str("{\"reads\":[");
                for r in 0..batch {
                    if r > 0 {
                        body.push(',');
                    }
                    let plate = if rng.gen_bool(hit_rate) {
                        &listed[rng.gen_range(0..listed.len())]
                    } else {
                        &traffic[rng.gen_range(0..traffic.len())]
                    };
                    body.push_str(&format!(
                        "{{\"id\":\"c{c}-{n}-{r}\",\"captured_at\":\"{at}\",\"plate\":\"{plate}\",\"confidence\":0.9}}"
                    ));
                }
                body.push_str("]}");
                n += 1;
                let t = Instant::now();
                let out = post(&client, &url, &key, body).await;
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                let out = out.and_then(|b| {
                    let v: serde_json::Value =
                        serde_json::from_slice(&b).map_err(|e| e.to_string())?;
                    match v["accepted"].as_u64() {
                        Some(k) if k as usize == batch => {
                            acked.0.fetch_add(k, Ordering::Relaxed);
                            acked.1.fetch_max(
                                u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
                                Ordering::Relaxed,
                            );
                            Ok(())
                        }
                        _ => Err(format!("batch not fully accepted: {v}")),
                    }
                });
                lock(&stats).record(ms, out);
            }
        }));
    }

    // The officer: exact searches for plates that pass, over the last two minutes (a longer
    // window would reach past New Hampshire's 3-minute limit and be refused).
    {
        let (client, url, token, stop, stats, traffic) = (
            client.clone(),
            format!("{base}/api/v1/searches"),
            token.clone(),
            stop.clone(),
            search.clone(),
            traffic.clone(),
        );
        let every = Duration::from_secs_f64(1.0 / args.search_rate.max(0.01));
        tasks.push(load.spawn(async move {
            let mut rng = StdRng::seed_from_u64(7);
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                tick.tick().await;
                let now = Utc::now();
                let body = serde_json::json!({
                    "purpose": "stolen_vehicle", "case_number": "26-000015", "reason": "soak",
                    "query": {"plate": {"exact": traffic[rng.gen_range(0..traffic.len())]},
                              "window": {"from": now - chrono::Duration::minutes(2), "to": now}}
                })
                .to_string();
                let t = Instant::now();
                let out = post(&client, &url, &token, body).await.map(|b| {
                    // Which rule decided for the one owner, to show the searches did real work.
                    let v: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
                    let o = &v["owners"][0];
                    format!(
                        "{} by {}",
                        o["outcome"].as_str().unwrap_or("?"),
                        o["rule"].as_str().unwrap_or("?")
                    )
                });
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                let mut st = lock(&stats);
                if let Ok(decision) = &out {
                    *st.outcomes.entry(decision.clone()).or_default() += 1;
                }
                st.record(ms, out.map(|_| ()));
            }
        }));
    }

    // Retention, through the service as the periodic job runs it.
    {
        let (node, stop, stats) = (node.clone(), stop.clone(), retention.clone());
        let secs = args.retention_every.max(1);
        tasks.push(tokio::spawn(async move {
            let every = Duration::from_secs(secs);
            let period_ms = i64::try_from(secs * 1000).unwrap_or(i64::MAX);
            let wait_ms = period_ms - Utc::now().timestamp_millis().rem_euclid(period_ms) + 1000;
            let mut tick = tokio::time::interval_at(
                tokio::time::Instant::now()
                    + Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)),
                every,
            );
            while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                tick.tick().await;
                let n = node.clone();
                let t = Instant::now();
                let out = tokio::task::spawn_blocking(move || n.run_retention())
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map(|_| ()).map_err(|e| with_causes(&e)));
                lock(&stats).record(t.elapsed().as_secs_f64() * 1000.0, out);
            }
        }));
    }

    // The sampler, and a progress line every 10 s.
    let mut samples = vec![sample(start)];
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last_acked = 0;
    let (cpu_start, mut last_cpu) = (cpu(), cpu());
    let mut last_w = node.store.writer_stats();
    let (mut minute_acked, mut per_minute) = (0u64, Vec::new());
    let db = args.data.join("store.db");
    let wal = args.data.join("store.db-wal");
    while Instant::now() < end {
        tick.tick().await;
        let s = sample(start);
        samples.push(s);
        if samples.len() % 60 == 1 {
            let a = acked.load(Ordering::Relaxed);
            per_minute.push(a - minute_acked);
            minute_acked = a;
        }
        if samples.len() % 10 == 1 {
            let a = acked.load(Ordering::Relaxed);
            let (c, w) = (cpu(), node.store.writer_stats());
            let groups = (w.groups - last_w.groups).max(1);
            println!(
                "  t={:>4.0} s  reads acked {a:>10}  last 10 s {:>7.0} reads/s  RSS {:>7.1} MiB (anonymous {:>7.1})  fds {}  alerts {}",
                s.at,
                (a - last_acked) as f64 / 10.0,
                mib(s.rss_kib),
                mib(s.anon_kib),
                s.fds,
                alerts_seen.load(Ordering::Relaxed)
            );
            println!(
                "          writer: {} groups of {:.0} reads, build {:.1} ms + commit {:.1} ms per group, retention {:.2} s, {} checkpoints {:.2} s; CPU % writer {:.0} checkpoint {:.0} node {:.0} load generator {:.0}; store.db {:.0} MiB, WAL {:.0} MiB",
                w.groups - last_w.groups,
                (w.reads - last_w.reads) as f64 / groups as f64,
                (w.build_us - last_w.build_us) as f64 / 1000.0 / groups as f64,
                (w.commit_us - last_w.commit_us) as f64 / 1000.0 / groups as f64,
                (w.purge_us - last_w.purge_us) as f64 / 1e6,
                w.checkpoints - last_w.checkpoints,
                (w.checkpoint_us - last_w.checkpoint_us) as f64 / 1e6,
                (c.writer - last_cpu.writer) * 10.0,
                (c.checkpoint - last_cpu.checkpoint) * 10.0,
                (c.node - last_cpu.node) * 10.0,
                (c.client - last_cpu.client) * 10.0,
                file_mib(&db),
                file_mib(&wal),
            );
            last_acked = a;
            last_cpu = c;
            last_w = w;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let last = sample(start);
    samples.push(last);
    let cpu_end = cpu();
    let w = node.store.writer_stats();

    // Graceful shutdown with the alert stream still open.
    let t = Instant::now();
    let _ = stop_tx.send(());
    server.await??;
    let shutdown_ms = t.elapsed().as_secs_f64() * 1000.0;
    if let Some(c) = checkpoints {
        c.abort();
    }
    let sse_result = tokio::time::timeout(Duration::from_secs(5), sse).await;
    drop(client_rt);

    let total = acked.load(Ordering::Relaxed);
    let load_secs = (last_ack_ms.load(Ordering::Relaxed) as f64 / 1000.0).max(1.0);
    println!(
        "held {load_secs:.0} s (until the last acknowledgement; run ended at {secs:.0} s): {total} reads acknowledged = {:.0} reads/s (target {})",
        total as f64 / load_secs,
        if args.rate == 0 {
            "max".to_owned()
        } else {
            args.rate.to_string()
        }
    );
    println!(
        "  reads acknowledged per minute: {}",
        per_minute
            .iter()
            .map(|n| format!("{:.0}/s", *n as f64 / 60.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  CPU seconds over the run: writer thread {:.1}, checkpoint thread {:.1}, node {:.1}, load generator {:.1} (the machine has {} cores)",
        cpu_end.writer - cpu_start.writer,
        cpu_end.checkpoint - cpu_start.checkpoint,
        cpu_end.node - cpu_start.node,
        cpu_end.client - cpu_start.client,
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    println!(
        "  writer: {} group commits of {:.0} reads on average; building {:.1} s, committing {:.1} s, retention {:.1} s in {} jobs; checkpoint thread: {} checkpoints, {:.1} s",
        w.groups,
        w.reads as f64 / w.groups.max(1) as f64,
        w.build_us as f64 / 1e6,
        w.commit_us as f64 / 1e6,
        w.purge_us as f64 / 1e6,
        w.purge_jobs,
        w.checkpoints,
        w.checkpoint_us as f64 / 1e6
    );
    let ingest = lock(&ingest);
    let search = lock(&search);
    let retention = lock(&retention);
    report("POST /api/v1/reads", &ingest, secs);
    report("POST /api/v1/searches", &search, secs);
    report("retention run", &retention, secs);
    println!("  search decisions: {:?}", search.outcomes);
    println!(
        "  alert stream: {} hits delivered ({} listed-plate reads expected ≈ {:.0})",
        alerts_seen.load(Ordering::Relaxed),
        if args.hit_rate > 0.0 { "with" } else { "no" },
        total as f64 * args.hit_rate
    );
    let base_at = 60.0_f64.min(secs / 2.0);
    let baseline = samples
        .iter()
        .find(|s| s.at >= base_at)
        .copied()
        .unwrap_or(last);
    let peak = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    let max_fds = samples.iter().map(|s| s.fds).max().unwrap_or(0);
    println!(
        "  memory (node and load generator in one process): RSS {:.1} MiB at {:.0} s, {:.1} MiB at the end ({:+.1}%), peak {:.1} MiB; anonymous (heap, SQLite page caches) {:.1} MiB at {:.0} s, {:.1} MiB at the end ({:+.1}%)",
        mib(baseline.rss_kib),
        baseline.at,
        mib(last.rss_kib),
        growth(baseline.rss_kib, last.rss_kib),
        mib(peak),
        mib(baseline.anon_kib),
        baseline.at,
        mib(last.anon_kib),
        growth(baseline.anon_kib, last.anon_kib),
    );
    println!(
        "  open file descriptors: {} at {:.0} s, {} at the end, at most {}",
        baseline.fds, baseline.at, last.fds, max_fds
    );
    println!(
        "  graceful shutdown with the alert stream open: {shutdown_ms:.0} ms; stream ended by the server: {}",
        matches!(sse_result, Ok(Ok(Ok(()))))
    );
    let errors = ingest.errors + search.errors + retention.errors;
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}

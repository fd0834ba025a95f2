//! The camera edge agent (`sightline camera`): frames from a watched folder or a video, plates read
//! by [`sightline_recognize`], repeats of the same plate within a window suppressed, reads queued
//! durably ([`queue`]) and posted to a node's `POST /api/v1/reads` with the camera's key.
//!
//! Delivery is at-least-once from here and exactly-once at the node: every read has an id derived
//! from its frame (file name, size and time, or video path and frame number) and its index in the
//! frame, the node ignores an id it already stored, and a frame's reads are queued in the same
//! transaction that marks the frame done. A node outage only delays delivery (exponential backoff
//! with jitter); a killed agent resumes from its queue.
//!
//! A hit-only camera ([`hitonly`]) checks every read against the node's keyed-hash hot list before
//! it is queued and sends only hits; until the agent knows whether its camera is hit-only, it holds
//! its frames back.
//!
//! The agent is synchronous (threads, blocking HTTP): recognition is CPU work with no async
//! runtime to starve.

pub mod hitonly;
pub mod queue;
pub mod sources;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hitonly::{Gate, Verdict};
use queue::{FrameOutcome, Pending, Queue};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sightline_recognize::Recognizer;
use sightline_types::NewRead;
use sightline_types::read::MAX_CROP_BYTES;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Everything that can go wrong in the agent.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error("{0}")]
    Config(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("queue database: {0}")]
    Queue(String),
    #[error(transparent)]
    Recognize(#[from] sightline_recognize::RecognizeError),
}

/// Largest request body the sender makes (unless one read alone is larger).
const MAX_REQUEST_BYTES: usize = 3 * 1024 * 1024;

/// Where frames come from.
#[derive(Debug, Clone)]
pub enum Input {
    /// Watch a folder for new image files.
    Folder(PathBuf),
    /// Read a video file, sampling `fps` frames per second.
    Video { path: PathBuf, fps: f64 },
}

/// The agent's settings.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Node base URL, e.g. `http://10.0.0.5:8080`.
    pub node: String,
    /// The camera's device key (`slc_…`). Never logged.
    pub key: String,
    pub input: Input,
    /// Folder for the durable queue (`agent.db`).
    pub queue_dir: PathBuf,
    /// The same plate again within this window is not sent again.
    pub repeat_window: Duration,
    /// Most reads held while the node is unreachable.
    pub queue_max: usize,
    pub when_full: queue::FullPolicy,
    /// Reads per request.
    pub batch: usize,
    /// How often the folder is scanned.
    pub poll: Duration,
    /// Longest wait between delivery attempts.
    pub max_backoff: Duration,
    /// Region to report when the plate's layout does not name one (e.g. `BR`).
    pub default_region: Option<String>,
    /// Stop when the input is exhausted and the queue is empty (folder: after one scan).
    pub exit_when_done: bool,
    /// Send a JPEG picture of each plate with its read.
    pub attach_crops: bool,
    /// How often a hit-only camera fetches its hot list again (also at each new UTC day).
    pub list_refresh: Duration,
}

/// Posts queued reads to the node until `stop` is set.
pub struct Sender {
    url: String,
    key: String,
    agent: ureq::Agent,
    batch: usize,
    max_backoff: Duration,
    /// The camera's mode; without one every queued read is sent.
    gate: Option<Arc<Gate>>,
}

/// The node's answer to a batch (the fields the agent needs).
#[derive(Deserialize)]
struct IngestAnswer {
    results: Vec<ReadAnswer>,
}

#[derive(Deserialize)]
struct ReadAnswer {
    id: String,
    status: String,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// What one delivery attempt achieved.
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Nothing queued.
    Idle,
    /// This many reads left the queue (delivered, already there, or refused for good).
    Delivered(usize),
    /// The node could not take them now; try again later.
    RetryLater(String),
}

impl Sender {
    pub fn new(node: &str, key: &str, batch: usize, max_backoff: Duration) -> Sender {
        Sender {
            url: format!("{}/api/v1/reads", node.trim_end_matches('/')),
            key: key.to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout(Duration::from_secs(30))
                .build(),
            batch: batch.max(1),
            max_backoff,
            gate: None,
        }
    }

    /// Sends only what `gate` lets through: nothing until the camera's mode is known, and on a
    /// hit-only camera only hits (queued non-hits are dropped and counted).
    pub fn with_gate(mut self, gate: Arc<Gate>) -> Sender {
        self.gate = Some(gate);
        self
    }

    /// One request with up to `batch` reads.
    pub fn attempt(&mut self, q: &Queue) -> Result<Attempt, EdgeError> {
        let mut items = q.peek(self.batch)?;
        if items.is_empty() {
            return Ok(Attempt::Idle);
        }
        if let Some(gate) = &self.gate {
            if !gate.refresh_if_due() {
                return Ok(Attempt::RetryLater(
                    "waiting to learn whether the camera is hit-only".into(),
                ));
            }
            // Checked again before sending: reads queued before the camera became hit-only, or
            // whose entry has left the list, stay here.
            let (keep, non_hits): (Vec<_>, Vec<_>) = items
                .into_iter()
                .partition(|i| gate.verdict_for_body(&i.body) == Verdict::Send);
            if !non_hits.is_empty() {
                let seqs: Vec<i64> = non_hits.iter().map(|i| i.seq).collect();
                q.drop_non_hits(&seqs)?;
                gate.count_dropped_at_send(seqs.len() as u64);
                tracing::info!(
                    dropped = seqs.len(),
                    "queued reads that are not hot-list hits dropped before sending"
                );
            }
            if keep.is_empty() {
                return Ok(Attempt::Delivered(non_hits.len()));
            }
            items = keep;
        }
        // Reads with plate pictures are large: keep a request well under the node's body limit
        // (4 MiB by default), always sending at least one read.
        let mut bytes = 0;
        let fit = items
            .iter()
            .position(|i| {
                bytes += i.body.len() + 1;
                bytes > MAX_REQUEST_BYTES
            })
            .unwrap_or(items.len())
            .max(1);
        items.truncate(fit);
        let body = format!(
            "{{\"reads\":[{}]}}",
            items
                .iter()
                .map(|i| i.body.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        let resp = self
            .agent
            .post(&self.url)
            .set("Authorization", &format!("Bearer {}", self.key))
            .set("Content-Type", "application/json")
            .send_string(&body);
        match resp {
            Ok(r) => {
                let text = r.into_string().unwrap_or_default();
                let answer: IngestAnswer = serde_json::from_str(&text).map_err(|e| {
                    EdgeError::Config(format!(
                        "the node answered something that is not an ingest report: {e}"
                    ))
                })?;
                let mut done = Vec::new();
                let mut not_a_hit = false;
                for a in &answer.results {
                    let Some(item) = items.iter().find(|i| i.id == a.id) else {
                        continue;
                    };
                    match a.status.as_str() {
                        "accepted" | "duplicate" => done.push(item.seq),
                        _ => {
                            let reason = a
                                .error
                                .as_ref()
                                .map(|e| e.to_string())
                                .unwrap_or_else(|| a.status.clone());
                            tracing::warn!(read = %item.id, %reason, "node refused a read; kept in dead_letters");
                            not_a_hit |= a.error.as_ref().is_some_and(|e| e["code"] == "not_a_hit");
                            q.dead_letter(item, &reason)?;
                        }
                    }
                }
                q.ack(&done)?;
                if not_a_hit && let Some(gate) = &self.gate {
                    // The camera became hit-only (or its list changed): fetch the list now.
                    gate.request_refresh();
                }
                Ok(Attempt::Delivered(answer.results.len()))
            }
            Err(ureq::Error::Status(code, r)) => {
                let text = r.into_string().unwrap_or_default();
                match code {
                    413 | 400 | 422 if items.len() > 1 => {
                        // Too big or one bad apple: smaller batches find it.
                        self.batch = (items.len() / 2).max(1);
                        Ok(Attempt::RetryLater(format!(
                            "node answered {code}; batch now {}",
                            self.batch
                        )))
                    }
                    400 | 413 | 422 => {
                        q.dead_letter(&items[0], &format!("{code}: {text}"))?;
                        Ok(Attempt::Delivered(1))
                    }
                    401 | 403 => {
                        if let Some(gate) = &self.gate {
                            gate.request_refresh();
                        }
                        Ok(Attempt::RetryLater(format!(
                            "node refused the camera key ({code}); check the key"
                        )))
                    }
                    _ => Ok(Attempt::RetryLater(format!("node answered {code}"))),
                }
            }
            Err(e) => Ok(Attempt::RetryLater(format!("node unreachable: {e}"))),
        }
    }

    /// Delivers until `stop`; backs off exponentially (with jitter) while the node is away.
    pub fn run(&mut self, q: &Queue, stop: &AtomicBool, wake: Duration) {
        let mut backoff = Duration::from_millis(250);
        while !stop.load(Ordering::Relaxed) {
            match self.attempt(q) {
                Ok(Attempt::Delivered(n)) => {
                    tracing::debug!(reads = n, "delivered");
                    backoff = Duration::from_millis(250);
                }
                Ok(Attempt::Idle) => sleep_unless(stop, wake),
                Ok(Attempt::RetryLater(why)) => {
                    let pending = q.len().unwrap_or(0);
                    tracing::warn!(%why, pending, retry_in_ms = backoff.as_millis() as u64, "delivery postponed");
                    let jitter = rand::random::<f64>() * 0.3 + 0.85;
                    sleep_unless(stop, backoff.mul_f64(jitter));
                    backoff = (backoff * 2).min(self.max_backoff);
                }
                Err(e) => {
                    tracing::error!(error = %e, "delivery failed");
                    sleep_unless(stop, backoff);
                    backoff = (backoff * 2).min(self.max_backoff);
                }
            }
        }
    }
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let until = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= until {
            return;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(50)));
    }
}

/// Turns one frame's recognition into reads for the queue; with `frame`, each read carries a
/// JPEG picture of its plate (base64), cut from it.
pub fn reads_for_frame(
    result: &sightline_recognize::ImageResult,
    frame: Option<&image::RgbImage>,
    identity: &str,
    captured_at: DateTime<Utc>,
    default_region: Option<&str>,
) -> Vec<Pending> {
    let digest = hex::encode(Sha256::digest(identity.as_bytes()));
    result
        .plates
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let read = NewRead {
                id: format!("edge-{}-{i}", &digest[..32]),
                camera_id: None,
                captured_at,
                plate: p.read.text.clone(),
                region: p
                    .read
                    .region
                    .map(str::to_owned)
                    .or_else(|| default_region.map(str::to_owned)),
                confidence: Some(((p.read.confidence * p.detection) as f64).clamp(0.0, 1.0)),
                colour: p.colour.as_ref().map(|c| c.name.to_owned()),
                vehicle_type: None,
                make: None,
                lat: None,
                lon: None,
                crop: frame
                    .and_then(|img| {
                        sightline_recognize::plate_jpeg(img, &p.corners, MAX_CROP_BYTES)
                    })
                    .map(|jpeg| base64::engine::general_purpose::STANDARD.encode(jpeg)),
            };
            Pending {
                body: serde_json::to_string(&read).expect("a read serialises"),
                id: read.id,
                plate: p.read.text.clone(),
                captured_us: captured_at.timestamp_micros(),
            }
        })
        .collect()
}

/// Totals of a run, for the log and for callers.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    pub frames: u64,
    pub queued: u64,
    pub suppressed: u64,
    pub dropped: u64,
    pub unreadable: u64,
    /// Reads a hit-only camera dropped because they matched no hot list (never queued, or
    /// dropped from the queue before sending).
    pub non_hits: u64,
}

impl Totals {
    fn add(&mut self, o: FrameOutcome) {
        self.frames += 1;
        self.queued += o.queued as u64;
        self.suppressed += o.suppressed as u64;
        self.dropped += o.dropped as u64;
    }
}

/// Runs the agent until `stop` is set (or, with `exit_when_done`, until the input is exhausted
/// and every read is delivered).
pub fn run(
    cfg: &AgentConfig,
    recognizer: &Recognizer,
    stop: Arc<AtomicBool>,
) -> Result<Totals, EdgeError> {
    if cfg.key.trim().is_empty() {
        return Err(EdgeError::Config("the camera key is empty".into()));
    }
    if !(cfg.node.starts_with("http://") || cfg.node.starts_with("https://")) {
        return Err(EdgeError::Config(format!(
            "node address '{}' must start with http:// or https://",
            cfg.node
        )));
    }
    let queue = Arc::new(Queue::open(&cfg.queue_dir, cfg.queue_max, cfg.when_full)?);
    let gate = Arc::new(Gate::new(&cfg.node, &cfg.key, cfg.list_refresh));
    gate.refresh_if_due();
    let sender_stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (q, s) = (queue.clone(), sender_stop.clone());
        let mut sender =
            Sender::new(&cfg.node, &cfg.key, cfg.batch, cfg.max_backoff).with_gate(gate.clone());
        let wake = cfg.poll.min(Duration::from_millis(200));
        std::thread::Builder::new()
            .name("edge-sender".into())
            .spawn(move || sender.run(&q, &s, wake))
            .map_err(|e| EdgeError::Config(format!("cannot start the sender thread: {e}")))?
    };
    let result = produce(cfg, recognizer, &queue, &gate, &stop);
    if result.is_ok() && cfg.exit_when_done {
        while !stop.load(Ordering::Relaxed) && !queue.is_empty()? {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    sender_stop.store(true, Ordering::Relaxed);
    let _ = sender.join();
    result.map(|mut t| {
        t.non_hits += gate.dropped_at_send();
        t
    })
}

/// Blocks until the camera's mode is known (fetching the list as it falls due); `false` when
/// stopped first. Frames wait meanwhile: nothing is read that could not be checked.
fn wait_for_mode(gate: &Gate, stop: &AtomicBool) -> bool {
    while !stop.load(Ordering::Relaxed) {
        if gate.refresh_if_due() {
            return true;
        }
        sleep_unless(stop, Duration::from_millis(100));
    }
    false
}

/// Splits a frame's reads into those that may be queued and the number of non-hits dropped.
fn check_reads(gate: &Gate, reads: Vec<Pending>) -> (Vec<Pending>, usize) {
    let before = reads.len();
    // The mode is known here (frames wait until it is), and never becomes unknown again; a
    // `Hold` would still not be queued.
    let keep: Vec<Pending> = reads
        .into_iter()
        .filter(|p| gate.verdict(&p.plate) == Verdict::Send)
        .collect();
    let dropped = before - keep.len();
    (keep, dropped)
}

fn produce(
    cfg: &AgentConfig,
    r: &Recognizer,
    q: &Queue,
    gate: &Gate,
    stop: &AtomicBool,
) -> Result<Totals, EdgeError> {
    let mut totals = Totals::default();
    let window_us = cfg.repeat_window.as_micros() as i64;
    let region = cfg.default_region.as_deref();
    let handle = |frame: sources::Frame, totals: &mut Totals| -> Result<(), EdgeError> {
        let (result, img) = match sightline_recognize::decode_image(&frame.bytes) {
            Ok(img) => (r.recognize(&img)?, img),
            Err(e) => {
                // A broken file is skipped (and marked done) rather than retried forever.
                tracing::warn!(source = %frame.source, error = %e, "unreadable frame skipped");
                totals.unreadable += 1;
                q.commit_frame(&frame.source, frame.position, &[], window_us)?;
                return Ok(());
            }
        };
        let reads = reads_for_frame(
            &result,
            cfg.attach_crops.then_some(&img),
            &frame.identity,
            frame.captured_at,
            region,
        );
        let (reads, non_hits) = check_reads(gate, reads);
        for p in &reads {
            tracing::debug!(plate = %p.plate, id = %p.id, "plate read");
        }
        if non_hits > 0 {
            // Counted, never named: a non-hit's plate is not logged at any level.
            tracing::debug!(non_hits, "reads matching no hot list dropped at the camera");
        }
        let o =
            q.commit_checked_frame(&frame.source, frame.position, &reads, window_us, non_hits)?;
        if o.dropped > 0 {
            tracing::warn!(dropped = o.dropped, "queue full: reads dropped");
        }
        totals.add(o);
        totals.non_hits += non_hits as u64;
        Ok(())
    };
    match &cfg.input {
        Input::Folder(dir) => {
            if !dir.is_dir() {
                return Err(EdgeError::Config(format!(
                    "{} is not a folder",
                    dir.display()
                )));
            }
            let settle = Duration::from_millis(300);
            // Files known to be processed: each name is looked up in the queue database once, not
            // on every scan of a folder that keeps its old frames.
            let mut seen: HashSet<String> = HashSet::new();
            while !stop.load(Ordering::Relaxed) {
                if !wait_for_mode(gate, stop) {
                    break;
                }
                let mut done = |name: &str| {
                    if seen.contains(name) {
                        return Ok(true);
                    }
                    let processed = q.position(name)?.is_some();
                    if processed {
                        seen.insert(name.to_owned());
                    }
                    Ok(processed)
                };
                let files = sources::new_images(dir, settle, &mut done)?;
                for (path, name, modified, len) in files {
                    if stop.load(Ordering::Relaxed) || !wait_for_mode(gate, stop) {
                        break;
                    }
                    let frame = sources::image_frame(&path, &name, modified, len)?;
                    handle(frame, &mut totals)?;
                    seen.insert(name);
                }
                if cfg.exit_when_done {
                    break;
                }
                sleep_unless(stop, cfg.poll);
            }
        }
        Input::Video { path, fps } => {
            let mut video = sources::Video::open(path, *fps)?;
            let source = format!("video:{}", path.display());
            let resume = q.position(&source)?;
            while !stop.load(Ordering::Relaxed) {
                if !wait_for_mode(gate, stop) {
                    break;
                }
                let Some(frame) = video.next_frame()? else {
                    break;
                };
                if resume.is_some_and(|p| frame.position <= p) {
                    continue;
                }
                handle(frame, &mut totals)?;
            }
        }
    }
    tracing::info!(
        frames = totals.frames,
        queued = totals.queued,
        suppressed = totals.suppressed,
        dropped = totals.dropped,
        non_hits = totals.non_hits,
        "input finished"
    );
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hitonly::Fetched;
    use sightline_hotlist::edge::{EdgeList, camera_key, canonical_hash, plate_hash};
    use std::io::{BufRead, BufReader, Read, Write};

    fn pending(id: &str, plate: &str) -> Pending {
        Pending {
            id: id.into(),
            plate: plate.into(),
            captured_us: 0,
            body: serde_json::json!({"id": id, "plate": plate}).to_string(),
        }
    }

    /// Today's list for camera 7 with `plates`.
    fn list(plates: &[&str]) -> EdgeList {
        let day = Utc::now().timestamp().div_euclid(86_400);
        let k = camera_key(b"node secret", 7, day);
        EdgeList {
            camera_id: 7,
            day,
            key: hex::encode(k),
            plates: plates.iter().map(|p| plate_hash(&k, p)).collect(),
            canonical: plates.iter().map(|p| canonical_hash(&k, p)).collect(),
        }
    }

    /// A node that takes one ingest request, accepts every read in it and returns the body.
    fn fake_node() -> (String, std::thread::JoinHandle<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let body = String::from_utf8(body).unwrap();
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let results: Vec<_> = v["reads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| serde_json::json!({"id": r["id"], "status": "accepted"}))
                .collect();
            let answer = serde_json::json!({ "results": results }).to_string();
            write!(
                &s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            )
            .unwrap();
            body
        });
        (url, handle)
    }

    #[test]
    fn sender_holds_until_the_mode_is_known_then_sends_only_hits() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(dir.path(), 10, queue::FullPolicy::DropOldest).unwrap();
        // Queued while the camera was not hit-only (or by an older agent).
        q.commit_frame(
            "f1",
            0,
            &[pending("1", "ABC1234"), pending("2", "XYZ9876")],
            1,
        )
        .unwrap();

        // The node cannot be reached: the mode is unknown and nothing is sent.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let nowhere = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let gate = Arc::new(Gate::new(&nowhere, "slc_k", Duration::from_secs(300)));
        let mut s = Sender::new(&nowhere, "slc_k", 10, Duration::from_secs(1)).with_gate(gate);
        assert!(matches!(s.attempt(&q).unwrap(), Attempt::RetryLater(_)));
        assert_eq!(q.len().unwrap(), 2);

        // Hit-only with today's list: the queued non-hit is dropped, only the hit is sent.
        let (url, node) = fake_node();
        let gate = Arc::new(Gate::new(&url, "slc_k", Duration::from_secs(300)));
        gate.apply(Fetched::List(list(&["ABC1234"])), Instant::now());
        let mut s = Sender::new(&url, "slc_k", 10, Duration::from_secs(1)).with_gate(gate.clone());
        assert_eq!(s.attempt(&q).unwrap(), Attempt::Delivered(1));
        let sent = node.join().unwrap();
        assert!(
            sent.contains("ABC1234") && !sent.contains("XYZ9876"),
            "{sent}"
        );
        assert!(q.is_empty().unwrap());
        assert_eq!(q.counter("non_hits_dropped").unwrap(), 1);
        assert_eq!(q.counter("delivered").unwrap(), 1);
        assert_eq!(gate.dropped_at_send(), 1);
    }

    #[test]
    fn reads_of_a_frame_are_checked_before_queueing() {
        let gate = Gate::new("http://127.0.0.1:9", "slc_k", Duration::from_secs(300));
        gate.apply(Fetched::List(list(&["ABC1234"])), Instant::now());
        let (keep, non_hits) = check_reads(
            &gate,
            vec![
                pending("1", "XYZ9876"),
                pending("2", "abc 1234"),
                pending("3", "QRS5678"),
            ],
        );
        assert_eq!(non_hits, 2);
        assert_eq!(keep.len(), 1);
        assert_eq!(keep[0].id, "2");
        // Not hit-only: everything is kept.
        gate.apply(Fetched::NotHitOnly, Instant::now());
        let (keep, non_hits) = check_reads(&gate, vec![pending("1", "XYZ9876")]);
        assert_eq!((keep.len(), non_hits), (1, 0));
    }
}

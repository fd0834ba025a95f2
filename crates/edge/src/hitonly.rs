//! Hit-only mode at the camera: which reads may leave it.
//!
//! A camera learns its mode from the node's `GET /api/v1/edge/hotlist`: `200` with an
//! [`EdgeList`] (keyed hashes of today's listed plates) means hit-only — every read is checked
//! with [`EdgeMatcher`] and only hits are queued; `403` means the camera sends every read and the
//! node matches them. The list is fetched when the agent starts, again when its UTC `day` is over
//! (its key rotates daily), every `refresh` interval (so new entries reach the camera within it),
//! and at once when the node refuses the camera's key (401/403) or refuses a read as `not_a_hit`
//! — signs that the mode changed.
//!
//! **Until the mode is known, nothing is read.** When the node cannot be reached at start (or
//! answers anything but 200/403), the agent holds its frames back: a watched folder's files stay
//! unprocessed and a video is not advanced, so no plate is read, queued or stored on the camera
//! before it can be checked, and the sender sends nothing. This is safer than queueing reads
//! marked unchecked, which would keep plates that may be non-hits on the camera's disk (the queue
//! and its repeat-suppression table hold plate text). Once known, a mode is kept while the node is
//! away (a hit-only camera keeps checking against its last list) and replaced by the next answer.
//!
//! Non-hits are dropped before they touch the queue and counted (`non_hits_dropped`); the sender
//! checks queued reads again before sending, so reads queued before a switch to hit-only (or whose
//! entry has left the list) are dropped rather than refused by the node. Plate text is never
//! logged above debug.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sightline_hotlist::edge::{EdgeList, EdgeMatcher};
use sightline_types::PlateText;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

/// The camera's mode as the agent knows it.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Not learned yet: hold everything.
    Unknown,
    /// Not hit-only: every read is sent and the node matches it.
    AllReads,
    /// Hit-only: only reads matching the list may leave the camera.
    HitOnly {
        /// The list's day (UTC days since 1970-01-01).
        day: i64,
        /// How many plates are listed (the hashes reveal nothing else).
        listed: usize,
        matcher: EdgeMatcher,
    },
}

/// What to do with one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it (not hit-only, or a hit).
    Send,
    /// A hit-only camera's non-hit (or a plate that cannot be checked): drop it.
    Drop,
    /// The mode is not known yet: do not read, queue or send.
    Hold,
}

/// One answer of the node's edge-list endpoint.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// 200: the camera is hit-only.
    List(EdgeList),
    /// 403: the camera sends every read.
    NotHitOnly,
    /// Anything else (unreachable, 401, 5xx, garbage): the mode stays as it was.
    Failed(String),
}

/// The camera's mode and its refresh schedule, shared by the reader and the sender.
pub struct Gate {
    url: String,
    key: String,
    agent: ureq::Agent,
    refresh: Duration,
    state: RwLock<Mode>,
    schedule: Mutex<Schedule>,
    forced: AtomicBool,
    dropped_at_send: AtomicU64,
    /// Held while a fetch is under way (the reader and the sender both refresh).
    fetching: Mutex<()>,
}

#[derive(Debug)]
struct Schedule {
    /// When the last successful answer came.
    fetched: Option<Instant>,
    /// No attempt before this (after a failure).
    not_before: Option<Instant>,
    failures: u32,
}

/// A failed fetch is retried after this long at first, doubling up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(250);
const MAX_RETRY: Duration = Duration::from_secs(30);

impl Gate {
    /// A gate for the camera with `key` at `node`, refreshing its list every `refresh`.
    pub fn new(node: &str, key: &str, refresh: Duration) -> Gate {
        Gate {
            url: format!("{}/api/v1/edge/hotlist", node.trim_end_matches('/')),
            key: key.to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout(Duration::from_secs(30))
                .build(),
            refresh: refresh.max(Duration::from_secs(1)),
            state: RwLock::new(Mode::Unknown),
            schedule: Mutex::new(Schedule {
                fetched: None,
                not_before: None,
                failures: 0,
            }),
            forced: AtomicBool::new(false),
            dropped_at_send: AtomicU64::new(0),
            fetching: Mutex::new(()),
        }
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.state.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether the mode is known.
    pub fn known(&self) -> bool {
        !matches!(
            *self.state.read().unwrap_or_else(|e| e.into_inner()),
            Mode::Unknown
        )
    }

    /// Asks for a fetch at the next opportunity (the node refused the key or a non-hit).
    pub fn request_refresh(&self) {
        self.forced.store(true, Ordering::Relaxed);
    }

    /// Whether a fetch is due at `now` (UTC, for the list's day) and `at` (monotonic).
    pub fn due(&self, now: DateTime<Utc>, at: Instant) -> bool {
        let s = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        if s.not_before.is_some_and(|t| at < t) {
            return false;
        }
        if self.forced.load(Ordering::Relaxed) || s.failures > 0 {
            return true;
        }
        let stale = s
            .fetched
            .is_none_or(|t| at.saturating_duration_since(t) >= self.refresh);
        let new_day = match &*self.state.read().unwrap_or_else(|e| e.into_inner()) {
            Mode::HitOnly { day, .. } => now.timestamp().div_euclid(86_400) != *day,
            Mode::Unknown => true,
            Mode::AllReads => false,
        };
        stale || new_day
    }

    /// Takes one answer of the node into the mode (`at`: when it came); returns whether the mode
    /// changed kind (unknown / all reads / hit-only).
    pub fn apply(&self, fetched: Fetched, at: Instant) -> bool {
        let new = match fetched {
            Fetched::Failed(why) => {
                self.failed(&why, at);
                return false;
            }
            Fetched::NotHitOnly => Mode::AllReads,
            Fetched::List(list) => match EdgeMatcher::new(&list) {
                Ok(matcher) => Mode::HitOnly {
                    day: list.day,
                    listed: list.plates.len(),
                    matcher,
                },
                Err(e) => {
                    self.failed(&format!("the list's key is not hex: {e}"), at);
                    return false;
                }
            },
        };
        {
            let mut s = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
            s.failures = 0;
            s.not_before = None;
            s.fetched = Some(at);
        }
        self.forced.store(false, Ordering::Relaxed);
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let changed = std::mem::discriminant(&*state) != std::mem::discriminant(&new);
        match &new {
            Mode::HitOnly { day, listed, .. } if changed => tracing::info!(
                day,
                listed,
                "hit-only camera: only hot-list hits leave the camera"
            ),
            Mode::HitOnly { day, listed, .. } => {
                tracing::debug!(day, listed, "hot list refreshed")
            }
            Mode::AllReads if changed => {
                tracing::info!("camera is not hit-only: every read is sent")
            }
            _ => {}
        }
        *state = new;
        changed
    }

    fn failed(&self, why: &str, at: Instant) {
        let mut s = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        let wait = FIRST_RETRY
            .saturating_mul(1 << s.failures.min(16))
            .min(MAX_RETRY);
        s.failures = s.failures.saturating_add(1);
        s.not_before = Some(at + wait);
        drop(s);
        if self.known() {
            tracing::warn!(%why, retry_in_ms = wait.as_millis() as u64,
                "cannot refresh the camera's hot list; keeping the last one");
        } else {
            tracing::warn!(%why, retry_in_ms = wait.as_millis() as u64,
                "cannot learn whether the camera is hit-only; holding frames back until the node answers");
        }
    }

    /// Asks the node (blocking).
    pub fn fetch(&self) -> Fetched {
        match self
            .agent
            .get(&self.url)
            .set("Authorization", &format!("Bearer {}", self.key))
            .call()
        {
            Ok(r) => match r.into_string() {
                Ok(text) => match serde_json::from_str::<EdgeList>(&text) {
                    Ok(list) => Fetched::List(list),
                    Err(e) => Fetched::Failed(format!("the node's hot list does not parse: {e}")),
                },
                Err(e) => Fetched::Failed(format!("reading the hot list: {e}")),
            },
            Err(ureq::Error::Status(403, _)) => Fetched::NotHitOnly,
            Err(ureq::Error::Status(401, _)) => {
                Fetched::Failed("the node refused the camera key (401); check the key".into())
            }
            Err(ureq::Error::Status(code, _)) => Fetched::Failed(format!("node answered {code}")),
            Err(e) => Fetched::Failed(format!("node unreachable: {e}")),
        }
    }

    /// Fetches when due; returns whether the mode is known afterwards.
    pub fn refresh_if_due(&self) -> bool {
        // One fetch at a time; whoever finds one under way uses the mode as it is.
        if let Ok(_fetching) = self.fetching.try_lock()
            && self.due(Utc::now(), Instant::now())
        {
            let f = self.fetch();
            self.apply(f, Instant::now());
        }
        self.known()
    }

    /// What to do with a read of `plate` (as recognised; normalised here as the node does).
    pub fn verdict(&self, plate: &str) -> Verdict {
        match &*self.state.read().unwrap_or_else(|e| e.into_inner()) {
            Mode::Unknown => Verdict::Hold,
            Mode::AllReads => Verdict::Send,
            Mode::HitOnly { matcher, .. } => match PlateText::normalise(plate) {
                // A plate that cannot be normalised cannot be checked: it stays here.
                Err(_) => Verdict::Drop,
                Ok(p) => match matcher.check(p.as_str()) {
                    Some(_) => Verdict::Send,
                    None => Verdict::Drop,
                },
            },
        }
    }

    /// The verdict for a queued read's JSON body (by its `plate` field).
    pub fn verdict_for_body(&self, body: &str) -> Verdict {
        #[derive(Deserialize)]
        struct Plate {
            plate: String,
        }
        let plate = serde_json::from_str::<Plate>(body)
            .map(|p| p.plate)
            .unwrap_or_default();
        self.verdict(&plate)
    }

    /// Counts queued reads the sender dropped as non-hits.
    pub(crate) fn count_dropped_at_send(&self, n: u64) {
        self.dropped_at_send.fetch_add(n, Ordering::Relaxed);
    }

    /// Queued reads the sender dropped as non-hits in this run.
    pub fn dropped_at_send(&self) -> u64 {
        self.dropped_at_send.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_hotlist::edge::{camera_key, canonical_hash, plate_hash};

    /// A list as the node would build it for camera 7 on `day`.
    fn list(day: i64, plates: &[&str]) -> EdgeList {
        let k = camera_key(b"node secret", 7, day);
        EdgeList {
            camera_id: 7,
            day,
            key: hex::encode(k),
            plates: plates.iter().map(|p| plate_hash(&k, p)).collect(),
            canonical: plates.iter().map(|p| canonical_hash(&k, p)).collect(),
        }
    }

    fn gate() -> Gate {
        Gate::new("http://127.0.0.1:9", "slc_test", Duration::from_secs(300))
    }

    fn day_start(day: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(day * 86_400, 0).unwrap()
    }

    #[test]
    fn unknown_mode_holds_everything() {
        let g = gate();
        assert!(!g.known());
        assert_eq!(g.verdict("ABC1234"), Verdict::Hold);
        assert_eq!(g.verdict_for_body(r#"{"plate":"ABC1234"}"#), Verdict::Hold);
        assert!(g.due(Utc::now(), Instant::now()));
    }

    #[test]
    fn hit_only_keeps_exact_and_fuzzy_hits_and_drops_the_rest() {
        let g = gate();
        assert!(g.apply(Fetched::List(list(20_000, &["ABC1234"])), Instant::now()));
        assert_eq!(g.verdict("ABC1234"), Verdict::Send);
        // Normalised as the node does: separators and case do not matter.
        assert_eq!(g.verdict("abc-1234"), Verdict::Send);
        // An OCR confusion (B/8) is a fuzzy hit, which the node accepts too.
        assert_eq!(g.verdict("A8C1234"), Verdict::Send);
        assert_eq!(g.verdict("XYZ9876"), Verdict::Drop);
        // What cannot be normalised cannot be checked.
        assert_eq!(g.verdict("ÄÖÜ!"), Verdict::Drop);
        assert_eq!(g.verdict_for_body(r#"{"plate":"ABC1234"}"#), Verdict::Send);
        assert_eq!(g.verdict_for_body(r#"{"plate":"XYZ9876"}"#), Verdict::Drop);
        assert_eq!(g.verdict_for_body("not json"), Verdict::Drop);
        assert!(matches!(
            g.mode(),
            Mode::HitOnly {
                day: 20_000,
                listed: 1,
                ..
            }
        ));
    }

    #[test]
    fn not_hit_only_sends_everything() {
        let g = gate();
        assert!(g.apply(Fetched::NotHitOnly, Instant::now()));
        assert_eq!(g.verdict("XYZ9876"), Verdict::Send);
        assert_eq!(g.verdict_for_body("{}"), Verdict::Send);
    }

    #[test]
    fn the_list_is_refreshed_when_its_day_is_over_and_on_schedule() {
        let g = gate();
        let t0 = Instant::now();
        g.apply(Fetched::List(list(20_000, &["ABC1234"])), t0);
        // Same day, just fetched: not due.
        assert!(!g.due(day_start(20_000) + chrono::Duration::hours(23), t0));
        // The next UTC day: due at once, whatever the interval.
        assert!(g.due(day_start(20_001), t0));
        // The refresh interval is over: due.
        assert!(g.due(day_start(20_000), t0 + Duration::from_secs(300)));
        // The next day's list, under the next day's key, replaces the old one.
        assert!(!g.apply(Fetched::List(list(20_001, &["QRS5678"])), t0));
        assert!(!g.due(day_start(20_001), t0));
        assert_eq!(g.verdict("QRS5678"), Verdict::Send);
        assert_eq!(g.verdict("ABC1234"), Verdict::Drop);
        // A refusal by the node asks for a fetch at once.
        g.request_refresh();
        assert!(g.due(day_start(20_001), t0));
        // A switch to all reads (403) is a change of kind, and clears the request.
        assert!(g.apply(Fetched::NotHitOnly, t0));
        assert!(!g.due(day_start(20_005), t0), "no day to roll over");
        assert_eq!(g.verdict("ABC1234"), Verdict::Send);
        // And back to hit-only.
        assert!(g.apply(Fetched::List(list(20_005, &["QRS5678"])), t0));
        assert_eq!(g.verdict("ABC1234"), Verdict::Drop);
    }

    #[test]
    fn failures_keep_the_last_mode_and_back_off() {
        let g = gate();
        let t0 = Instant::now();
        // Unreachable at start: still holding, retried after a short wait.
        assert!(!g.apply(Fetched::Failed("down".into()), t0));
        assert!(!g.known());
        assert_eq!(g.verdict("ABC1234"), Verdict::Hold);
        assert!(!g.due(Utc::now(), t0));
        assert!(g.due(Utc::now(), t0 + FIRST_RETRY));
        // The wait doubles.
        g.apply(Fetched::Failed("down".into()), t0);
        assert!(!g.due(Utc::now(), t0 + FIRST_RETRY));
        assert!(g.due(Utc::now(), t0 + FIRST_RETRY * 2));
        // A known mode survives a failed refresh.
        g.apply(Fetched::List(list(20_000, &["ABC1234"])), t0);
        g.request_refresh();
        g.apply(Fetched::Failed("down".into()), t0);
        assert_eq!(g.verdict("ABC1234"), Verdict::Send);
        assert_eq!(g.verdict("XYZ9876"), Verdict::Drop);
        // A broken key is a failure, not a mode.
        let mut bad = list(20_000, &[]);
        bad.key = "zz".into();
        g.apply(Fetched::List(bad), t0);
        assert_eq!(g.verdict("ABC1234"), Verdict::Send);
    }

    #[test]
    fn fetch_reads_the_nodes_answers() {
        use std::io::{Read, Write};
        let answers = [
            (
                "200 OK",
                serde_json::to_string(&list(20_000, &["ABC1234"])).unwrap(),
            ),
            ("403 Forbidden", r#"{"error":"not hit-only"}"#.to_owned()),
            ("401 Unauthorized", "{}".to_owned()),
        ];
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let mut asked = Vec::new();
            for (status, body) in answers {
                let (mut s, _) = listener.accept().unwrap();
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap();
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                asked.push(
                    req.starts_with("GET /api/v1/edge/hotlist ") && req.contains("Bearer slc_test"),
                );
                write!(
                    s,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
            }
            asked
        });
        let g = Gate::new(
            &format!("http://{addr}/"),
            "slc_test",
            Duration::from_secs(60),
        );
        assert!(matches!(g.fetch(), Fetched::List(l) if l.day == 20_000 && l.plates.len() == 1));
        assert!(matches!(g.fetch(), Fetched::NotHitOnly));
        assert!(matches!(g.fetch(), Fetched::Failed(_)));
        assert_eq!(server.join().unwrap(), [true, true, true]);
        // Nobody listening any more: a failure, and the mode stays unknown.
        assert!(!g.refresh_if_due());
        assert_eq!(g.verdict("ABC1234"), Verdict::Hold);
    }
}

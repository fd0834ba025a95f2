//! The agent's durable state, one SQLite file (`agent.db`, WAL, `synchronous=FULL`):
//!
//! * `outbox` — reads waiting to be posted, in capture order, each with the id the node
//!   de-duplicates on, so a re-send after a crash is a no-op there;
//! * `sources` — which files (or how far into a video) have been processed: a frame's reads and its
//!   "done" mark commit in one transaction, so a killed agent neither loses nor re-reads a frame;
//! * `last_seen` — per plate, when it was last queued, for repeat suppression across restarts;
//! * `dead_letters` — reads the node refused for good, with its reason;
//! * `counters` — reads dropped because the queue was full, non-hits a hit-only camera dropped
//!   (`non_hits_dropped`), and the like.

use crate::EdgeError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Mutex;

/// What to do when the outbox holds `max` reads and another arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullPolicy {
    /// Drop the oldest queued read to make room (the newest data is the most useful).
    DropOldest,
    /// Keep what is queued and drop the new read.
    DropNewest,
}

/// One read ready to queue.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: String,
    /// Normalised plate text (for repeat suppression; never logged above debug).
    pub plate: String,
    pub captured_us: i64,
    /// The JSON body of the read as the node's ingest API takes it.
    pub body: String,
}

/// What became of one frame's reads.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FrameOutcome {
    pub queued: usize,
    pub suppressed: usize,
    pub dropped: usize,
}

/// A queued read.
#[derive(Debug, Clone)]
pub struct Queued {
    pub seq: i64,
    pub id: String,
    pub body: String,
}

/// The agent's durable queue and bookkeeping.
pub struct Queue {
    conn: Mutex<Connection>,
    max: usize,
    policy: FullPolicy,
}

fn db(e: rusqlite::Error) -> EdgeError {
    EdgeError::Queue(e.to_string())
}

impl Queue {
    /// Opens (creating) `dir/agent.db`.
    pub fn open(dir: &Path, max: usize, policy: FullPolicy) -> Result<Queue, EdgeError> {
        if max == 0 {
            return Err(EdgeError::Config(
                "the queue must hold at least one read".into(),
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| EdgeError::Io {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
        let conn = Connection::open(dir.join("agent.db")).map_err(db)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS outbox (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 id TEXT NOT NULL UNIQUE,
                 body TEXT NOT NULL,
                 attempts INTEGER NOT NULL DEFAULT 0);
             CREATE TABLE IF NOT EXISTS sources (key TEXT PRIMARY KEY, position INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS last_seen (plate TEXT PRIMARY KEY, at_us INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS dead_letters (
                 id TEXT PRIMARY KEY, body TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
        )
        .map_err(db)?;
        Ok(Queue {
            conn: Mutex::new(conn),
            max,
            policy,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How far `source` has been processed (`None`: never).
    pub fn position(&self, source: &str) -> Result<Option<i64>, EdgeError> {
        self.conn()
            .query_row(
                "SELECT position FROM sources WHERE key = ?1",
                [source],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
    }

    /// Queues one frame's reads and marks `source` processed up to `position`, atomically.
    /// A read of a plate already queued within `window_us` of its capture time is suppressed.
    pub fn commit_frame(
        &self,
        source: &str,
        position: i64,
        reads: &[Pending],
        window_us: i64,
    ) -> Result<FrameOutcome, EdgeError> {
        self.commit_checked_frame(source, position, reads, window_us, 0)
    }

    /// [`Queue::commit_frame`] for a hit-only camera: `reads` are the frame's hits, and
    /// `non_hits` (dropped before they reached the queue, never stored) is counted in the same
    /// transaction.
    pub fn commit_checked_frame(
        &self,
        source: &str,
        position: i64,
        reads: &[Pending],
        window_us: i64,
        non_hits: usize,
    ) -> Result<FrameOutcome, EdgeError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db)?;
        let mut out = FrameOutcome::default();
        if non_hits > 0 {
            bump(&tx, "non_hits_dropped", non_hits as i64)?;
        }
        for r in reads {
            let last: Option<i64> = tx
                .query_row(
                    "SELECT at_us FROM last_seen WHERE plate = ?1",
                    [&r.plate],
                    |row| row.get(0),
                )
                .optional()
                .map_err(db)?;
            if last.is_some_and(|at| (r.captured_us - at).abs() < window_us) {
                out.suppressed += 1;
                continue;
            }
            let len: i64 = tx
                .query_row("SELECT COUNT(*) FROM outbox", [], |row| row.get(0))
                .map_err(db)?;
            if len as usize >= self.max {
                match self.policy {
                    FullPolicy::DropNewest => {
                        out.dropped += 1;
                        bump(&tx, "dropped_newest", 1)?;
                        continue;
                    }
                    FullPolicy::DropOldest => {
                        let n = tx
                            .execute(
                                "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?1)",
                                [len - self.max as i64 + 1],
                            )
                            .map_err(db)?;
                        out.dropped += n;
                        bump(&tx, "dropped_oldest", n as i64)?;
                    }
                }
            }
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO outbox (id, body) VALUES (?1, ?2)",
                    params![r.id, r.body],
                )
                .map_err(db)?;
            tx.execute(
                "INSERT INTO last_seen (plate, at_us) VALUES (?1, ?2)
                 ON CONFLICT(plate) DO UPDATE SET at_us = excluded.at_us",
                params![r.plate, r.captured_us],
            )
            .map_err(db)?;
            out.queued += inserted;
        }
        tx.execute(
            "INSERT INTO sources (key, position) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET position = excluded.position",
            params![source, position],
        )
        .map_err(db)?;
        // Forget plates not seen for a day so the table stays small.
        if let Some(newest) = reads.iter().map(|r| r.captured_us).max() {
            tx.execute(
                "DELETE FROM last_seen WHERE at_us < ?1",
                [newest - 86_400_000_000],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(out)
    }

    /// Up to `n` queued reads, oldest first.
    pub fn peek(&self, n: usize) -> Result<Vec<Queued>, EdgeError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached("SELECT seq, id, body FROM outbox ORDER BY seq LIMIT ?1")
            .map_err(db)?;
        let rows = st
            .query_map([n as i64], |r| {
                Ok(Queued {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    body: r.get(2)?,
                })
            })
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    /// Removes delivered reads.
    pub fn ack(&self, seqs: &[i64]) -> Result<(), EdgeError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db)?;
        for s in seqs {
            tx.execute("DELETE FROM outbox WHERE seq = ?1", [s])
                .map_err(db)?;
        }
        bump(&tx, "delivered", seqs.len() as i64)?;
        tx.commit().map_err(db)
    }

    /// Moves a read the node refused for good out of the queue, keeping the reason.
    pub fn dead_letter(&self, item: &Queued, reason: &str) -> Result<(), EdgeError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db)?;
        tx.execute("DELETE FROM outbox WHERE seq = ?1", [item.seq])
            .map_err(db)?;
        tx.execute(
            "INSERT OR REPLACE INTO dead_letters (id, body, reason, at) VALUES (?1, ?2, ?3, ?4)",
            params![item.id, item.body, reason, chrono::Utc::now().to_rfc3339()],
        )
        .map_err(db)?;
        bump(&tx, "refused", 1)?;
        tx.commit().map_err(db)
    }

    /// Removes queued reads that a hit-only camera must not send (queued before the camera
    /// became hit-only, or no longer listed), counting them as `non_hits_dropped`.
    pub fn drop_non_hits(&self, seqs: &[i64]) -> Result<(), EdgeError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db)?;
        for s in seqs {
            tx.execute("DELETE FROM outbox WHERE seq = ?1", [s])
                .map_err(db)?;
        }
        bump(&tx, "non_hits_dropped", seqs.len() as i64)?;
        tx.commit().map_err(db)
    }

    /// Reads waiting.
    pub fn len(&self) -> Result<usize, EdgeError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(db)
    }

    pub fn is_empty(&self) -> Result<bool, EdgeError> {
        Ok(self.len()? == 0)
    }

    /// A named counter (`delivered`, `refused`, `dropped_oldest`, `dropped_newest`,
    /// `non_hits_dropped`).
    pub fn counter(&self, name: &str) -> Result<i64, EdgeError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)?
            .unwrap_or(0))
    }
}

fn bump(tx: &rusqlite::Transaction<'_>, name: &str, by: i64) -> Result<(), EdgeError> {
    tx.execute(
        "INSERT INTO counters (name, value) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
        params![name, by],
    )
    .map_err(db)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(id: &str, plate: &str, at_s: i64) -> Pending {
        Pending {
            id: id.into(),
            plate: plate.into(),
            captured_us: at_s * 1_000_000,
            body: format!("{{\"id\":\"{id}\"}}"),
        }
    }

    #[test]
    fn frames_commit_with_their_source_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let q = Queue::open(dir.path(), 10, FullPolicy::DropOldest).unwrap();
            let o = q
                .commit_frame(
                    "a.jpg",
                    0,
                    &[read("1", "ABC1234", 100), read("2", "XYZ9876", 100)],
                    10_000_000,
                )
                .unwrap();
            assert_eq!(o.queued, 2);
        }
        let q = Queue::open(dir.path(), 10, FullPolicy::DropOldest).unwrap();
        assert_eq!(q.position("a.jpg").unwrap(), Some(0));
        assert_eq!(q.position("b.jpg").unwrap(), None);
        let items = q.peek(10).unwrap();
        assert_eq!(
            items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["1", "2"]
        );
        q.ack(&[items[0].seq]).unwrap();
        q.dead_letter(&items[1], "malformed_plate").unwrap();
        assert!(q.is_empty().unwrap());
        assert_eq!(
            (
                q.counter("delivered").unwrap(),
                q.counter("refused").unwrap()
            ),
            (1, 1)
        );
    }

    #[test]
    fn repeats_within_the_window_are_suppressed() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(dir.path(), 10, FullPolicy::DropOldest).unwrap();
        q.commit_frame("f1", 0, &[read("1", "ABC1234", 100)], 10_000_000)
            .unwrap();
        let o = q
            .commit_frame("f2", 0, &[read("2", "ABC1234", 105)], 10_000_000)
            .unwrap();
        assert_eq!((o.queued, o.suppressed), (0, 1));
        // Outside the window it is a new pass.
        let o = q
            .commit_frame("f3", 0, &[read("3", "ABC1234", 120)], 10_000_000)
            .unwrap();
        assert_eq!(o.queued, 1);
        // The same id twice (a re-processed frame) is queued once.
        let o = q
            .commit_frame("f3", 0, &[read("3", "QQQ1111", 500)], 10_000_000)
            .unwrap();
        assert_eq!(o.queued, 0);
    }

    #[test]
    fn non_hits_are_counted_never_stored() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(dir.path(), 10, FullPolicy::DropOldest).unwrap();
        let o = q
            .commit_checked_frame("f1", 0, &[read("1", "ABC1234", 100)], 10_000_000, 2)
            .unwrap();
        assert_eq!(o.queued, 1);
        q.commit_checked_frame("f2", 0, &[], 10_000_000, 1).unwrap();
        assert_eq!(q.counter("non_hits_dropped").unwrap(), 3);
        assert_eq!(q.position("f2").unwrap(), Some(0), "the frame is done");
        // Only the hit's plate is remembered for repeat suppression.
        let plates: i64 = q
            .conn()
            .query_row("SELECT COUNT(*) FROM last_seen", [], |r| r.get(0))
            .unwrap();
        assert_eq!(plates, 1);
        let items = q.peek(10).unwrap();
        q.drop_non_hits(&[items[0].seq]).unwrap();
        assert!(q.is_empty().unwrap());
        assert_eq!(q.counter("non_hits_dropped").unwrap(), 4);
        assert_eq!(q.counter("delivered").unwrap(), 0);
    }

    #[test]
    fn full_queue_policies() {
        let dir = tempfile::tempdir().unwrap();
        // Three reads into a queue of two; returns what is left and the counter's value.
        let fill = |name: &str, policy: FullPolicy, counter: &str| {
            let q = Queue::open(&dir.path().join(name), 2, policy).unwrap();
            for (i, p) in ["AAA1111", "BBB2222", "CCC3333"].iter().enumerate() {
                let r = read(&i.to_string(), p, i as i64 * 100);
                q.commit_frame(&format!("f{i}"), 0, &[r], 1).unwrap();
            }
            let ids: Vec<String> = q.peek(10).unwrap().into_iter().map(|i| i.id).collect();
            (ids, q.counter(counter).unwrap())
        };
        assert_eq!(
            fill("old", FullPolicy::DropOldest, "dropped_oldest"),
            (vec!["1".to_owned(), "2".to_owned()], 1)
        );
        assert_eq!(
            fill("new", FullPolicy::DropNewest, "dropped_newest"),
            (vec!["0".to_owned(), "1".to_owned()], 1)
        );
        assert!(Queue::open(&dir.path().join("zero"), 0, FullPolicy::DropNewest).is_err());
    }
}

//! The single writer thread: group commit of read batches.
//!
//! Concurrent ingest requests each submit a batch and wait. The writer takes every batch that is
//! already queued (up to a cap), writes them in one transaction, commits, and only then answers
//! each request. One fsync is thus shared by many requests, which is what makes durable ingest
//! fast on SQLite, and no request is acknowledged before its rows are committed.

use crate::partition;
use crate::{Error, Result, Shared};
use rusqlite::{Connection, OptionalExtension};
use sightline_types::{CameraId, PlateText};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;
use tokio::sync::oneshot;

/// Most reads written in one transaction.
const MAX_GROUP: usize = 50_000;

/// Page cache of the writer's connection, KiB: the pages a group transaction dirties stay in it
/// until the commit, and the partition being written stays mostly hot.
const WRITER_CACHE_KIB: i64 = 128 * 1024;

/// WAL pages after which the writer checkpoints by itself. The checkpoint thread normally keeps
/// the WAL copied back long before; this only bounds the WAL when it cannot keep up (then most
/// of the pages are already copied and the writer's checkpoint is short).
const WRITER_AUTOCHECKPOINT_PAGES: i64 = 16_384;

/// Running totals of the writer's work, for benchmarks and the operator: where a write's time
/// goes (building the transaction, committing it, retention between groups).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    groups: AtomicU64,
    reads: AtomicU64,
    build_us: AtomicU64,
    commit_us: AtomicU64,
    purge_jobs: AtomicU64,
    purge_us: AtomicU64,
    checkpoints: AtomicU64,
    checkpoint_us: AtomicU64,
}

/// A snapshot of the writer's totals since the store opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Group transactions committed.
    pub groups: u64,
    /// Reads in them.
    pub reads: u64,
    /// Microseconds spent building group transactions (inserts, before the commit).
    pub build_us: u64,
    /// Microseconds spent committing them (WAL writes, sync, automatic checkpoints).
    pub commit_us: u64,
    /// Retention jobs (chunks and checks) run between groups.
    pub purge_jobs: u64,
    /// Microseconds spent in them.
    pub purge_us: u64,
    /// Checkpoints run by the checkpoint thread (WAL pages copied back into the database).
    pub checkpoints: u64,
    /// Microseconds the checkpoint thread spent in them.
    pub checkpoint_us: u64,
}

impl Counters {
    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> WriterStats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WriterStats {
            groups: g(&self.groups),
            reads: g(&self.reads),
            build_us: g(&self.build_us),
            commit_us: g(&self.commit_us),
            purge_jobs: g(&self.purge_jobs),
            purge_us: g(&self.purge_us),
            checkpoints: g(&self.checkpoints),
            checkpoint_us: g(&self.checkpoint_us),
        }
    }
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Longest the writer waits, before a group transaction, for directory operations in progress.
pub(crate) const DIRECTORY_YIELD: std::time::Duration = std::time::Duration::from_millis(200);

/// Marks a directory operation in progress for as long as it lives.
pub(crate) struct DirectoryTurn<'a>(&'a Shared);

impl<'a> DirectoryTurn<'a> {
    pub(crate) fn take(shared: &'a Shared) -> Self {
        shared.directory_turns.fetch_add(1, Ordering::SeqCst);
        DirectoryTurn(shared)
    }
}

impl Drop for DirectoryTurn<'_> {
    fn drop(&mut self) {
        self.0.directory_turns.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A validated read, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRecord {
    /// The camera (already authenticated and known).
    pub camera_id: CameraId,
    /// Client-supplied idempotency id.
    pub client_id: String,
    /// Capture time, microseconds since the epoch.
    pub captured_us: i64,
    /// Normalised plate.
    pub plate: PlateText,
    /// Issuing region.
    pub region: Option<String>,
    /// Confidence 0..=1.
    pub confidence: Option<f64>,
    /// Colour, lower case.
    pub colour: Option<String>,
    /// Vehicle type, lower case.
    pub vehicle_type: Option<String>,
    /// Make.
    pub make: Option<String>,
    /// Latitude if different from the camera's.
    pub lat: Option<f64>,
    /// Longitude if different from the camera's.
    pub lon: Option<f64>,
    /// When the node received it, microseconds since the epoch.
    pub received_us: i64,
    /// A JPEG of the plate, as the camera sent it.
    pub crop: Option<Vec<u8>>,
}

/// What happened to one submitted read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Stored with this sequence number.
    Inserted {
        /// Node-assigned sequence number.
        seq: i64,
    },
    /// A read with the same camera and id was already stored (idempotent re-send).
    Duplicate,
}

type Reply<T> = oneshot::Sender<Result<T>>;

enum Job {
    Append(Vec<ReadRecord>, Reply<Vec<AppendOutcome>>),
    DropBefore(i32, Reply<Vec<i32>>),
    Purge(
        Arc<[crate::retention::PurgeRule]>,
        Arc<[crate::LegalHold]>,
        i64,
        crate::retention::PurgeStep,
        Reply<(crate::retention::PurgeReport, bool)>,
    ),
}

/// A handle to the writer thread.
#[derive(Debug, Clone)]
pub(crate) struct WriterHandle(mpsc::Sender<JobBox>);

/// Wraps a job so the handle can derive Debug.
pub(crate) struct JobBox(Job);

impl std::fmt::Debug for JobBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

/// Starts the writer thread on `conn`, and the checkpoint thread on `checkpointer`.
///
/// The writer does not copy the WAL back into the database itself: after each commit it wakes
/// the checkpoint thread, which does so (`PRAGMA wal_checkpoint(PASSIVE)`) on its own connection
/// while the writer goes on with the next group. A checkpoint copies only committed pages, so
/// what a commit guarantees is unchanged (see [`crate::Durability`]).
pub(crate) fn spawn(
    conn: Connection,
    checkpointer: Connection,
    shared: Arc<Shared>,
) -> Result<WriterHandle> {
    let (tx, rx) = mpsc::channel::<JobBox>();
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES)?;
    checkpointer.pragma_update(None, "wal_autocheckpoint", 0)?;
    let next_seq: i64 = conn
        .query_row("SELECT value FROM meta WHERE key = 'next_seq'", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    // One pending wake-up is enough: a checkpoint copies everything committed before it starts.
    let (kick, kicked) = mpsc::sync_channel::<()>(1);
    let thread_err = |source| Error::Io {
        path: "writer thread".into(),
        source,
    };
    let ckpt_shared = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("sightline-ckpt".into())
        .spawn(move || checkpoint_loop(&checkpointer, &ckpt_shared, &kicked))
        .map_err(thread_err)?;
    let mut w = Writer {
        conn,
        shared,
        next_seq,
        kick,
    };
    std::thread::Builder::new()
        .name("sightline-writer".into())
        .spawn(move || w.run(rx))
        .map_err(thread_err)?;
    Ok(WriterHandle(tx))
}

/// Copies committed WAL pages back into the database each time the writer commits; ends when
/// the writer stops.
fn checkpoint_loop(conn: &Connection, shared: &Shared, kicked: &mpsc::Receiver<()>) {
    while kicked.recv().is_ok() {
        let t = Instant::now();
        let out = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(0));
        if let Err(e) = out {
            // The next commit wakes it again; the writer's own checkpoint bounds the WAL.
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
        Counters::add(&shared.writer_stats.checkpoints, 1);
        Counters::add(&shared.writer_stats.checkpoint_us, micros(t));
    }
    tracing::debug!("store checkpoint thread stopped");
}

impl crate::Store {
    /// Submits reads to the writer; the receiver resolves once they are committed.
    ///
    /// # Errors
    /// Fails when the writer thread has stopped.
    pub fn submit_reads(
        &self,
        reads: Vec<ReadRecord>,
    ) -> Result<oneshot::Receiver<Result<Vec<AppendOutcome>>>> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .0
            .send(JobBox(Job::Append(reads, tx)))
            .map_err(|_| Error::WriterGone)?;
        Ok(rx)
    }

    /// Stores reads and waits for the commit (async).
    ///
    /// # Errors
    /// Fails when the transaction fails; then none of the reads were stored.
    pub async fn append_reads(&self, reads: Vec<ReadRecord>) -> Result<Vec<AppendOutcome>> {
        self.submit_reads(reads)?
            .await
            .map_err(|_| Error::WriterGone)?
    }

    /// Stores reads and waits for the commit (blocking; not for async contexts).
    ///
    /// # Errors
    /// Fails when the transaction fails; then none of the reads were stored.
    pub fn append_reads_blocking(&self, reads: Vec<ReadRecord>) -> Result<Vec<AppendOutcome>> {
        self.submit_reads(reads)?
            .blocking_recv()
            .map_err(|_| Error::WriterGone)?
    }

    /// Deletes reads older than each owner's cutoff (except legal holds) and drops partitions
    /// before `now`'s day that became empty; runs on the writer thread in transactions of at most
    /// [`crate::retention::PURGE_CHUNK`] reads, between ingest transactions.
    ///
    /// # Errors
    /// Fails when the writer is gone or a statement fails (then the failing chunk is rolled back;
    /// chunks already committed stay deleted, and running the purge again finishes it).
    pub fn purge(
        &self,
        rules: Vec<crate::retention::PurgeRule>,
        holds: Vec<crate::LegalHold>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::retention::PurgeReport> {
        let rules: Arc<[_]> = rules.into();
        let holds: Arc<[_]> = holds.into();
        let mut report = crate::retention::PurgeReport::default();
        // One transaction per chunk: ingest batches queued meanwhile are written between chunks
        // (each chunk is sent only once the previous one answered, behind them in the queue).
        loop {
            let (chunk, done) = self.purge_job(
                &rules,
                &holds,
                now,
                crate::retention::PurgeStep::Delete(crate::retention::PURGE_CHUNK),
            )?;
            report.add(chunk);
            if done {
                return Ok(report);
            }
        }
    }

    /// Tells whether [`Store::purge`] with these rules would delete or drop anything (changes
    /// nothing; lets retention skip its audit entry when nothing is due).
    ///
    /// # Errors
    /// Fails when the writer is gone or the query fails.
    pub fn purge_due(
        &self,
        rules: Vec<crate::retention::PurgeRule>,
        holds: Vec<crate::LegalHold>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        let (_, due) = self.purge_job(
            &rules.into(),
            &holds.into(),
            now,
            crate::retention::PurgeStep::Check,
        )?;
        Ok(due)
    }

    fn purge_job(
        &self,
        rules: &Arc<[crate::retention::PurgeRule]>,
        holds: &Arc<[crate::LegalHold]>,
        now: chrono::DateTime<chrono::Utc>,
        step: crate::retention::PurgeStep,
    ) -> Result<(crate::retention::PurgeReport, bool)> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .0
            .send(JobBox(Job::Purge(
                rules.clone(),
                holds.clone(),
                now.timestamp_micros(),
                step,
                tx,
            )))
            .map_err(|_| Error::WriterGone)?;
        rx.blocking_recv().map_err(|_| Error::WriterGone)?
    }

    /// The writer's totals since the store opened (group commits, reads, time building and
    /// committing, retention jobs).
    pub fn writer_stats(&self) -> WriterStats {
        self.shared.writer_stats.snapshot()
    }

    /// Drops every partition for days before `day`; returns the days dropped.
    ///
    /// # Errors
    /// Fails when the writer is gone or the drop fails.
    pub fn drop_partitions_before(&self, day: i32) -> Result<Vec<i32>> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .0
            .send(JobBox(Job::DropBefore(day, tx)))
            .map_err(|_| Error::WriterGone)?;
        rx.blocking_recv().map_err(|_| Error::WriterGone)?
    }
}

struct Writer {
    conn: Connection,
    shared: Arc<Shared>,
    next_seq: i64,
    /// Wakes the checkpoint thread.
    kick: mpsc::SyncSender<()>,
}

impl Writer {
    fn run(&mut self, rx: mpsc::Receiver<JobBox>) {
        while let Ok(JobBox(first)) = rx.recv() {
            let mut group = Vec::new();
            let mut deferred = None;
            match first {
                Job::Append(r, reply) => group.push((r, reply)),
                other => deferred = Some(other),
            }
            let mut total: usize = group.iter().map(|(r, _)| r.len()).sum();
            while deferred.is_none() && total < MAX_GROUP {
                match rx.try_recv() {
                    Ok(JobBox(Job::Append(r, reply))) => {
                        total += r.len();
                        group.push((r, reply));
                    }
                    Ok(JobBox(other)) => deferred = Some(other),
                    Err(_) => break,
                }
            }
            self.yield_to_directory();
            if !group.is_empty() {
                self.commit_group(group);
            }
            match deferred {
                Some(Job::DropBefore(day, reply)) => {
                    let _ = reply.send(self.drop_before(day));
                }
                Some(Job::Purge(rules, holds, now_us, step, reply)) => {
                    let t = Instant::now();
                    let result = crate::retention::purge(
                        &mut self.conn,
                        &self.shared,
                        &rules,
                        &holds,
                        now_us,
                        step,
                    );
                    Counters::add(&self.shared.writer_stats.purge_jobs, 1);
                    Counters::add(&self.shared.writer_stats.purge_us, micros(t));
                    let _ = reply.send(result);
                }
                _ => {}
            }
            // Full means a wake-up is already pending.
            let _ = self.kick.try_send(());
        }
        tracing::debug!("store writer stopped");
    }

    /// Lets directory operations in progress (which may need the write lock) finish first; a
    /// bounded wait, so a directory operation that itself waits for the writer cannot stall it.
    fn yield_to_directory(&self) {
        let until = Instant::now() + DIRECTORY_YIELD;
        while self.shared.directory_turns.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    }

    fn commit_group(&mut self, group: Vec<(Vec<ReadRecord>, Reply<Vec<AppendOutcome>>)>) {
        let start_seq = self.next_seq;
        match self.write_group(&group) {
            Ok((outcomes, new_plates, new_days)) => {
                let mut dict = self.shared.dict.write().unwrap_or_else(|e| e.into_inner());
                for text in new_plates {
                    dict.push(&text);
                }
                drop(dict);
                self.shared
                    .partitions
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(new_days);
                for ((_, reply), out) in group.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(out));
                }
            }
            Err(e) => {
                // Nothing was committed: the transaction rolled back, the dictionary and the
                // partition set were not touched, so the next group starts from a clean state.
                self.next_seq = start_seq;
                tracing::error!(error = ?e, "read batch transaction failed");
                let why = failure_reason(&e);
                for (_, reply) in group {
                    let _ = reply.send(Err(Error::WriteFailed(why.to_owned())));
                }
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn write_group(
        &mut self,
        group: &[(Vec<ReadRecord>, Reply<Vec<AppendOutcome>>)],
    ) -> Result<(Vec<Vec<AppendOutcome>>, Vec<String>, Vec<i32>)> {
        let started = Instant::now();
        let tx = self.conn.transaction()?;
        let dict = self.shared.dict.read().unwrap_or_else(|e| e.into_inner());
        let known_days = self
            .shared
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut new_plates: Vec<String> = Vec::new();
        let mut pending: HashMap<String, u32> = HashMap::new();
        let mut new_days = Vec::new();
        let mut next_plate = dict.next_id();
        let now_us = chrono::Utc::now().timestamp_micros();
        // Pass 1: resolve plate ids (adding new plates) and create missing partitions.
        // Each row: (day, plate_id, request index, read index).
        let mut rows: Vec<(i32, u32, usize, usize)> = Vec::new();
        for (gi, (reads, _)) in group.iter().enumerate() {
            for (ri, r) in reads.iter().enumerate() {
                let text = r.plate.as_str();
                let plate_id = match dict
                    .id_of(text)
                    .map(|p| p.0)
                    .or_else(|| pending.get(text).copied())
                {
                    Some(id) => id,
                    None => {
                        let id = next_plate;
                        next_plate += 1;
                        tx.prepare_cached(
                            "INSERT INTO plates(id, text, canon) VALUES (?1, ?2, ?3)",
                        )?
                        .execute((id, text, r.plate.canonical()))?;
                        pending.insert(text.to_owned(), id);
                        new_plates.push(text.to_owned());
                        id
                    }
                };
                let day = self.shared.period.of(r.captured_us);
                if !known_days.contains(&day) && !new_days.contains(&day) {
                    partition::create(&tx, self.shared.period, day, now_us)?;
                    new_days.push(day);
                }
                rows.push((day, plate_id, gi, ri));
            }
        }
        drop(dict);
        // Pass 2: insert in (partition, plate) order. The partition's primary key is
        // (plate_id, captured_us, seq), so sorted inserts walk its B-tree in order instead of
        // touching a random leaf per row. The sort is stable, so within one plate the earlier
        // submission wins an id collision.
        rows.sort_by_key(|&(day, plate, _, _)| (day, plate));
        let mut outcomes: Vec<Vec<AppendOutcome>> = group
            .iter()
            .map(|(reads, _)| vec![AppendOutcome::Duplicate; reads.len()])
            .collect();
        // The partition being written: its day, and the statements for its reads and crops.
        let mut current: Option<(i32, String, String)> = None;
        for (day, plate_id, gi, ri) in rows {
            let r = &group[gi].0[ri];
            if current.as_ref().is_none_or(|(d, ..)| *d != day) {
                let t = self.shared.period.table(day);
                let sql = format!(
                    "INSERT OR IGNORE INTO {t} (plate_id, captured_us, seq, camera_id, client_id, region, \
                     confidence, colour, vehicle_type, make, lat, lon, received_us) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                );
                let crop_sql = format!(
                    "INSERT INTO {} (seq, jpeg) VALUES (?1, ?2)",
                    partition::crops_table(&t)
                );
                current = Some((day, sql, crop_sql));
            }
            let (sql, crop_sql) = current
                .as_ref()
                .map(|(_, s, c)| (s.as_str(), c.as_str()))
                .unwrap_or_default();
            let seq = self.next_seq;
            let n = tx.prepare_cached(sql)?.execute(rusqlite::params![
                plate_id,
                r.captured_us,
                seq,
                r.camera_id.0,
                r.client_id,
                r.region,
                r.confidence,
                r.colour,
                r.vehicle_type,
                r.make,
                r.lat,
                r.lon,
                r.received_us,
            ])?;
            if n == 1 {
                if let Some(jpeg) = &r.crop {
                    tx.prepare_cached(crop_sql)?
                        .execute(rusqlite::params![seq, jpeg])?;
                }
                self.next_seq += 1;
                outcomes[gi][ri] = AppendOutcome::Inserted { seq };
            }
        }
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('next_seq', ?1) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [self.next_seq.to_string()],
        )?;
        let stats = &self.shared.writer_stats;
        Counters::add(&stats.build_us, micros(started));
        let t = Instant::now();
        tx.commit()?;
        Counters::add(&stats.commit_us, micros(t));
        Counters::add(&stats.groups, 1);
        Counters::add(
            &stats.reads,
            group.iter().map(|(r, _)| r.len() as u64).sum(),
        );
        Ok((outcomes, new_plates, new_days))
    }

    fn drop_before(&mut self, day: i32) -> Result<Vec<i32>> {
        let days: Vec<i32> = self
            .shared
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .range(..day)
            .copied()
            .collect();
        let tx = self.conn.transaction()?;
        for d in &days {
            partition::drop(&tx, self.shared.period, *d)?;
        }
        tx.commit()?;
        let mut parts = self
            .shared
            .partitions
            .write()
            .unwrap_or_else(|e| e.into_inner());
        for d in &days {
            parts.remove(d);
        }
        Ok(days)
    }
}

/// A short cause for the caller, without SQL or data: what the operator has to fix.
fn failure_reason(e: &Error) -> &'static str {
    use rusqlite::ErrorCode as C;
    match e {
        Error::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => match f.code {
            C::DiskFull => "the disk is full",
            C::DatabaseBusy | C::DatabaseLocked => "the database is locked by another writer",
            C::ReadOnly | C::PermissionDenied | C::CannotOpen => {
                "the data directory is not writable"
            }
            _ => "a storage error",
        },
        _ => "a storage error",
    }
}

#[cfg(test)]
mod failure_tests {
    use super::*;

    #[test]
    fn test_failure_reason_names_full_and_locked() {
        let err = |code| {
            Error::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))
        };
        assert_eq!(failure_reason(&err(13)), "the disk is full");
        assert_eq!(
            failure_reason(&err(5)),
            "the database is locked by another writer"
        );
        assert_eq!(failure_reason(&err(10)), "a storage error");
        assert_eq!(
            Error::WriteFailed("the disk is full".into()).code(),
            sightline_types::ErrorCode::Unavailable
        );
    }
}

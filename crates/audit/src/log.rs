//! The durable log: append (group commit on a writer thread), read back, prove, checkpoint.
//!
//! Order of events for every entry, so a crash can never leave a checkpoint that commits to
//! entries that are not durable: (1) the writer assigns the next sequence number and commits the
//! entry (`synchronous=FULL`); (2) only then is its leaf pushed into the in-memory Merkle tree;
//! (3) checkpoints are signed over the tree, i.e. over committed entries only. At start-up the
//! tree is rebuilt from the committed leaf hashes.

use crate::checkpoint::{Checkpoint, NodeKey};
use crate::entry::{AuditEntry, EntryDraft};
use crate::layout::{Hash, Tree};
use crate::note::NoteVerifier;
use crate::verify::{
    Problem, VerifiedPrefix, VerifyReport, chain_hash, leaf_hash, verify_rows, verify_rows_from,
};
use crate::{Error, Result};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use sightline_types::{AgencyId, Clock};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    time_us INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor_agency TEXT,
    body BLOB NOT NULL,
    leaf_hash BLOB NOT NULL,
    chain_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS entry_owners (
    agency TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (agency, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_actor_agency ON entries(actor_agency, seq);
CREATE TABLE IF NOT EXISTS checkpoints (
    size INTEGER NOT NULL,
    time_us INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (size, time_us)
);
"#;

/// Most entries written in one transaction.
const MAX_GROUP: usize = 20_000;

/// Proof that an entry was committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Its sequence number.
    pub seq: u64,
    /// Hex chain hash after it.
    pub chain_hash: String,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// Only entries by this agency's actors or concerning its data.
    pub agency: Option<AgencyId>,
    /// Only entries with this action.
    pub action: Option<String>,
    /// Entries with `seq` greater than this.
    pub after_seq: u64,
    /// Most entries to return.
    pub limit: usize,
}

/// An inclusion or consistency proof, hex-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Proof {
    /// For inclusion: the entry's leaf index (`seq - 1`); for consistency: the old size.
    pub from: u64,
    /// Tree size the proof is against.
    pub tree_size: u64,
    /// For inclusion: the entry's leaf hash.
    pub leaf_hash: Option<String>,
    /// Root of the tree of `tree_size` entries.
    pub root: String,
    /// The proof's hashes, in RFC 6962 order.
    pub hashes: Vec<String>,
}

type Reply = mpsc::SyncSender<Result<Vec<Receipt>>>;

/// The node's audit log.
#[derive(Debug)]
pub struct AuditLog {
    dir: PathBuf,
    path: PathBuf,
    origin: String,
    reader: Mutex<Connection>,
    tree: Arc<RwLock<Tree>>,
    key: NodeKey,
    writer: Mutex<mpsc::Sender<(Vec<EntryDraft>, Reply)>>,
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Audit entries must survive power loss, whatever the read store's setting.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

fn to_hash(v: Vec<u8>, seq: u64) -> Result<Hash> {
    v.try_into().map_err(|_| Error::Corrupt {
        seq,
        why: "hash is not 32 bytes".into(),
    })
}

struct Writer {
    conn: Connection,
    next_seq: u64,
    prev: Hash,
    tree: Arc<RwLock<Tree>>,
    clock: Arc<dyn Clock>,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<(Vec<EntryDraft>, Reply)>) {
        while let Ok(first) = rx.recv() {
            let mut group = vec![first];
            let mut total = group[0].0.len();
            while total < MAX_GROUP {
                match rx.try_recv() {
                    Ok(job) => {
                        total += job.0.len();
                        group.push(job);
                    }
                    Err(_) => break,
                }
            }
            let (start_seq, start_prev) = (self.next_seq, self.prev);
            match self.write(&group) {
                Ok((receipts, leaves)) => {
                    let mut tree = self.tree.write().unwrap_or_else(|e| e.into_inner());
                    for l in leaves {
                        tree.push(l);
                    }
                    drop(tree);
                    for ((_, reply), r) in group.into_iter().zip(receipts) {
                        let _ = reply.send(Ok(r));
                    }
                }
                Err(e) => {
                    (self.next_seq, self.prev) = (start_seq, start_prev);
                    tracing::error!(error = %e, "audit append failed");
                    for (_, reply) in group {
                        let _ = reply.send(Err(Error::Unavailable(e.to_string())));
                    }
                }
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn write(
        &mut self,
        group: &[(Vec<EntryDraft>, Reply)],
    ) -> Result<(Vec<Vec<Receipt>>, Vec<Hash>)> {
        let tx = self.conn.transaction()?;
        let mut receipts = Vec::with_capacity(group.len());
        let mut leaves = Vec::new();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO entries(seq, time_us, action, actor_agency, body, leaf_hash, chain_hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut owner = tx.prepare_cached(
                "INSERT OR IGNORE INTO entry_owners(agency, seq) VALUES (?1, ?2)",
            )?;
            for (drafts, _) in group {
                let mut out = Vec::with_capacity(drafts.len());
                for d in drafts {
                    let entry = AuditEntry {
                        seq: self.next_seq,
                        time: self.clock.now(),
                        actor: d.actor.clone(),
                        action: d.action.clone(),
                        outcome: d.outcome.clone(),
                        owners: d.owners.clone(),
                        details: d.details.clone(),
                    };
                    let body = entry.canonical_bytes()?;
                    let leaf = leaf_hash(&body);
                    let chain = chain_hash(&self.prev, &leaf);
                    insert.execute(rusqlite::params![
                        entry.seq,
                        entry.time.timestamp_micros(),
                        entry.action,
                        entry.actor.agency.as_ref().map(|a| a.as_str()),
                        body,
                        leaf.as_slice(),
                        chain.as_slice(),
                    ])?;
                    for o in &entry.owners {
                        owner.execute((o.as_str(), entry.seq))?;
                    }
                    out.push(Receipt {
                        seq: entry.seq,
                        chain_hash: hex::encode(chain),
                    });
                    leaves.push(leaf);
                    self.next_seq += 1;
                    self.prev = chain;
                }
                receipts.push(out);
            }
        }
        tx.commit()?;
        Ok((receipts, leaves))
    }
}

impl AuditLog {
    /// Opens (creating if needed) `audit.db` and the signing key in `dir`, rebuilds the tree
    /// and starts the writer thread.
    ///
    /// # Errors
    /// Fails when the files cannot be opened or the stored hashes are unreadable.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join("audit.db");
        let conn = open(&path)?;
        conn.execute_batch(SCHEMA)?;
        let mut tree = Tree::new();
        let mut prev = [0u8; 32];
        let mut next_seq = 1;
        {
            let mut stmt =
                conn.prepare("SELECT seq, leaf_hash, chain_hash FROM entries ORDER BY seq")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let seq: u64 = r.get(0)?;
                tree.push(to_hash(r.get(1)?, seq)?);
                prev = to_hash(r.get(2)?, seq)?;
                next_seq = seq + 1;
            }
        }
        let key = NodeKey::load_or_create(dir)?;
        let origin = format!(
            "sightline-node-{}",
            crate::checkpoint::key_id(&key.public())
        );
        let tree = Arc::new(RwLock::new(tree));
        let writer = Writer {
            conn: open(&path)?,
            next_seq,
            prev,
            tree: tree.clone(),
            clock,
        };
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("sightline-audit".into())
            .spawn(move || writer.run(rx))
            .map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        Ok(AuditLog {
            dir: dir.to_owned(),
            path,
            origin,
            reader: Mutex::new(conn),
            tree,
            key,
            writer: Mutex::new(tx),
        })
    }

    /// Returns the database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the log's origin name (used in checkpoints).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Returns the node's public key, hex.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.public().as_bytes())
    }

    /// Returns the C2SP note verifier of this log's checkpoints (key name = origin); its
    /// `Display` form `<origin>+<key id>+<base64 key>` is what witnesses are configured with.
    ///
    /// # Errors
    /// `Note` when the origin is not a valid key name (not the case for generated origins).
    pub fn note_verifier(&self) -> Result<NoteVerifier> {
        self.key.note_verifier(&self.origin)
    }

    /// Appends entries and returns once they are committed to disk. Concurrent callers share a
    /// transaction (group commit).
    ///
    /// # Errors
    /// Any failure means none of the entries were written; the caller must fail closed.
    pub fn append_batch(&self, drafts: Vec<EntryDraft>) -> Result<Vec<Receipt>> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send((drafts, tx))
            .map_err(|_| Error::Unavailable("audit writer stopped".into()))?;
        rx.recv()
            .map_err(|_| Error::Unavailable("audit writer stopped".into()))?
    }

    /// Appends one entry and returns once it is committed to disk.
    ///
    /// # Errors
    /// Any failure means the entry was not written; the caller must fail closed.
    pub fn append(&self, draft: EntryDraft) -> Result<Receipt> {
        self.append_batch(vec![draft])?
            .pop()
            .ok_or_else(|| Error::Unavailable("no receipt".into()))
    }

    /// Returns the number of committed entries.
    pub fn len(&self) -> u64 {
        self.tree.read().unwrap_or_else(|e| e.into_inner()).size()
    }

    /// Tells whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lists entries in sequence order.
    ///
    /// # Errors
    /// Database failures or a corrupt entry.
    pub fn entries(&self, f: &EntryFilter) -> Result<Vec<AuditEntry>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let limit = i64::try_from(f.limit.clamp(1, 1_000_000)).unwrap_or(1_000_000);
        let mut stmt = conn.prepare_cached(
            "SELECT e.seq, e.body FROM entries e WHERE e.seq > ?1 \
             AND (?2 IS NULL OR e.actor_agency = ?2 OR EXISTS \
                  (SELECT 1 FROM entry_owners o WHERE o.agency = ?2 AND o.seq = e.seq)) \
             AND (?3 IS NULL OR e.action = ?3) \
             ORDER BY e.seq LIMIT ?4",
        )?;
        let agency = f.agency.as_ref().map(|a| a.as_str());
        let rows = stmt.query_map(
            rusqlite::params![f.after_seq, agency, f.action, limit],
            |r| Ok((r.get::<_, u64>(0)?, r.get::<_, Vec<u8>>(1)?)),
        )?;
        rows.map(|r| {
            let (seq, body) = r?;
            serde_json::from_slice(&body).map_err(|e| Error::Corrupt {
                seq,
                why: e.to_string(),
            })
        })
        .collect()
    }

    /// The last entry appended before `time` (0 if none): a binary search over the sequence,
    /// whose times only move forward as entries are appended. Lets a reader start at a point in
    /// time without scanning the log.
    ///
    /// # Errors
    /// Database failures.
    pub fn seq_before(&self, time: chrono::DateTime<chrono::Utc>) -> Result<u64> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let end: Option<u64> = conn.query_row("SELECT MAX(seq) FROM entries", [], |r| r.get(0))?;
        let (mut lo, mut hi) = (0u64, end.unwrap_or(0));
        let target = time.timestamp_micros();
        let mut stmt = conn.prepare_cached("SELECT time_us FROM entries WHERE seq = ?1")?;
        // Invariant: entry `lo` (or none) is before `time`; entries after `hi` are not.
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let t: i64 = stmt.query_row([mid], |r| r.get(0))?;
            if t < target {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Ok(lo)
    }

    /// Writes every entry's canonical JSON, one per line (the export format).
    ///
    /// # Errors
    /// Database or I/O failures.
    pub fn export_jsonl(&self, out: &mut dyn std::io::Write) -> Result<u64> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        export_jsonl(&conn, out)
    }

    /// Signs and stores a checkpoint over every committed entry; also writes `checkpoint.json`
    /// (the JSON view) and `checkpoint` (the C2SP `tlog-checkpoint` note) in the data
    /// directory (each to a temp file, then renamed).
    ///
    /// # Errors
    /// Database or I/O failures.
    pub fn checkpoint(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Checkpoint> {
        let (size, root) = {
            let t = self.tree.read().unwrap_or_else(|e| e.into_inner());
            (
                t.size(),
                t.root(t.size()).unwrap_or_else(crate::layout::empty_root),
            )
        };
        let cp = self.key.sign(&self.origin, size, &root, now)?;
        let json = serde_json::to_string_pretty(&cp)?;
        self.reader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .execute(
                "INSERT OR REPLACE INTO checkpoints(size, time_us, body) VALUES (?1, ?2, ?3)",
                (size, now.timestamp_micros(), &json),
            )?;
        self.write_atomically("checkpoint.json", &json)?;
        if let Some(note) = &cp.note {
            self.write_atomically("checkpoint", note)?;
        }
        Ok(cp)
    }

    fn write_atomically(&self, name: &str, text: &str) -> Result<()> {
        let path = self.dir.join(name);
        let tmp = self.dir.join(format!("{name}.tmp"));
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    /// Returns the most recent checkpoint.
    ///
    /// # Errors
    /// Database failures.
    pub fn latest_checkpoint(&self) -> Result<Option<Checkpoint>> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let body: Option<String> = conn
            .query_row(
                "SELECT body FROM checkpoints ORDER BY time_us DESC, size DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        body.map(|b| serde_json::from_str(&b).map_err(Error::from))
            .transpose()
    }

    /// Returns an inclusion proof of entry `seq` in the tree of `size` entries.
    ///
    /// # Errors
    /// `Corrupt` naming the problem when `seq` or `size` is out of range.
    pub fn inclusion_proof(&self, seq: u64, size: u64) -> Result<Proof> {
        let t = self.tree.read().unwrap_or_else(|e| e.into_inner());
        let bad = || {
            Error::OutOfRange(format!(
                "entry {seq} is not in a tree of {size} entries (log has {})",
                t.size()
            ))
        };
        let index = seq.checked_sub(1).ok_or_else(bad)?;
        let hashes = t.inclusion_proof(index, size).ok_or_else(bad)?;
        Ok(Proof {
            from: index,
            tree_size: size,
            leaf_hash: t.leaf(index).map(hex::encode),
            root: hex::encode(t.root(size).ok_or_else(bad)?),
            hashes: hashes.iter().map(hex::encode).collect(),
        })
    }

    /// Returns a consistency proof between tree sizes `old` and `new`.
    ///
    /// # Errors
    /// `OutOfRange` when the sizes are not `old <= new <= log size`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Proof> {
        let t = self.tree.read().unwrap_or_else(|e| e.into_inner());
        let bad = || {
            Error::OutOfRange(format!(
                "sizes {old}..{new} are not within the log's {} entries",
                t.size()
            ))
        };
        let hashes = t.consistency_proof(old, new).ok_or_else(bad)?;
        Ok(Proof {
            from: old,
            tree_size: new,
            leaf_hash: None,
            root: hex::encode(t.root(new).ok_or_else(bad)?),
            hashes: hashes.iter().map(hex::encode).collect(),
        })
    }

    /// Verifies the entries appended since `prefix` ("verified up to N"): entries `N + 1..`
    /// fully (sequence, leaf, chain, the checkpoints signed since), and for `1..=N` only that
    /// the stored chain hash of entry N and the Merkle root over `1..=N` still equal the
    /// prefix's, which catches a rewrite of earlier entries that recomputed their hashes. A
    /// body edited without updating its stored hashes inside `1..=N` is found by [`verify`]
    /// (the full check), which should still run now and then.
    ///
    /// Returns the report over the whole log and the prefix to pass next time (unchanged when
    /// the report has problems). Cost is proportional to the new entries, not the log.
    ///
    /// [`verify`]: AuditLog::verify
    ///
    /// # Errors
    /// Database failures (a tampered log is reported in the report, not as an error).
    pub fn verify_since(&self, prefix: &VerifiedPrefix) -> Result<(VerifyReport, VerifiedPrefix)> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut problems = Vec::new();
        let n = prefix.size();
        if n > 0 {
            let head: Option<Vec<u8>> = conn
                .query_row("SELECT chain_hash FROM entries WHERE seq = ?1", [n], |r| {
                    r.get(0)
                })
                .optional()?;
            if head.as_deref() != Some(prefix.head().as_slice()) {
                problems.push(Problem {
                    seq: n,
                    what: format!(
                        "entry {n} is missing or its chain hash changed since entries 1 to {n} were verified: the log was rewritten"
                    ),
                });
            }
            let root = self.tree.read().unwrap_or_else(|e| e.into_inner()).root(n);
            if root != Some(prefix.root()) {
                problems.push(Problem {
                    seq: n,
                    what: format!(
                        "the Merkle root over entries 1 to {n} changed since they were verified: the log was rewritten"
                    ),
                });
            }
        }
        let checkpoints = stored_checkpoints(&conn)?;
        let mut stmt = conn.prepare(
            "SELECT seq, body, leaf_hash, chain_hash FROM entries WHERE seq > ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([n], |r| {
                Ok((
                    r.get::<_, u64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    Some(r.get::<_, Vec<u8>>(2)?),
                    Some(r.get::<_, Vec<u8>>(3)?),
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let (mut report, next) = verify_rows_from(
            prefix,
            rows.into_iter(),
            &checkpoints,
            Some(&self.key.public()),
        );
        if problems.is_empty() {
            Ok((report, next))
        } else {
            report.problems.splice(0..0, problems);
            Ok((report, prefix.clone()))
        }
    }

    /// Recomputes every hash of this log and checks its stored checkpoints.
    ///
    /// # Errors
    /// Database failures (a tampered log is reported in the report, not as an error).
    pub fn verify(&self) -> Result<VerifyReport> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        verify_connection(&conn, &[], Some(&self.key.public()))
    }
}

fn export_jsonl(conn: &Connection, out: &mut dyn std::io::Write) -> Result<u64> {
    let mut stmt = conn.prepare("SELECT seq, body FROM entries ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let body: Vec<u8> = r.get(1)?;
        let io = |source| Error::Io {
            path: "export".into(),
            source,
        };
        out.write_all(&body).map_err(io)?;
        out.write_all(b"\n").map_err(io)?;
        n += 1;
    }
    Ok(n)
}

fn stored_checkpoints(conn: &Connection) -> Result<Vec<Checkpoint>> {
    let mut stmt = conn.prepare("SELECT body FROM checkpoints ORDER BY size, time_us")?;
    let bodies = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    bodies
        .iter()
        .map(|b| serde_json::from_str(b).map_err(Error::from))
        .collect()
}

fn verify_connection(
    conn: &Connection,
    extra: &[Checkpoint],
    key: Option<&ed25519_dalek::VerifyingKey>,
) -> Result<VerifyReport> {
    let mut checkpoints = stored_checkpoints(conn)?;
    checkpoints.extend(extra.iter().cloned());
    let mut stmt =
        conn.prepare("SELECT seq, body, leaf_hash, chain_hash FROM entries ORDER BY seq")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, u64>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            Some(r.get::<_, Vec<u8>>(2)?),
            Some(r.get::<_, Vec<u8>>(3)?),
        ))
    })?;
    let rows: Vec<_> = rows.collect::<Result<_, _>>()?;
    Ok(verify_rows(rows.into_iter(), &checkpoints, key))
}

/// Verifies the audit log in a data directory without opening it for writing: every entry's
/// hashes, every stored checkpoint and every `extra` checkpoint. The public key defaults to the
/// one derived from the directory's own signing key (pass one for an independent check).
///
/// # Errors
/// When the files are missing or unreadable.
pub fn verify_dir(
    dir: &Path,
    extra: &[Checkpoint],
    key: Option<&ed25519_dalek::VerifyingKey>,
) -> Result<VerifyReport> {
    let path = dir.join("audit.db");
    if !path.exists() {
        return Err(Error::Io {
            path,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no audit.db"),
        });
    }
    let own;
    let key = match key {
        Some(k) => Some(k),
        None if dir.join("audit-signing.key").exists() => {
            own = NodeKey::load_or_create(dir)?.public();
            Some(&own)
        }
        None => None,
    };
    let conn = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    verify_connection(&conn, extra, key)
}

/// Exports a data directory's log as JSON Lines without opening it for writing.
///
/// # Errors
/// When the database is missing or unreadable.
pub fn export_dir(dir: &Path, out: &mut dyn std::io::Write) -> Result<u64> {
    let conn = Connection::open_with_flags(
        dir.join("audit.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    export_jsonl(&conn, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Actor;
    use crate::note::NoteVerifier;
    use sightline_types::ManualClock;

    fn draft(n: u64) -> EntryDraft {
        EntryDraft {
            actor: Actor::system(),
            action: "test".into(),
            outcome: "ok".into(),
            owners: vec![AgencyId::parse("owner-a").unwrap()],
            details: serde_json::json!({ "n": n }),
        }
    }

    fn log(dir: &Path) -> AuditLog {
        let clock = Arc::new(ManualClock::new(chrono::DateTime::UNIX_EPOCH));
        AuditLog::open(dir, clock).unwrap()
    }

    #[test]
    fn test_append_persists_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let l = log(dir.path());
        for n in 0..5 {
            assert_eq!(l.append(draft(n)).unwrap().seq, n + 1);
        }
        drop(l);
        let l = log(dir.path());
        assert_eq!(l.append(draft(5)).unwrap().seq, 6);
        let r = l.verify().unwrap();
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(r.entries, 6);
        let f = EntryFilter {
            agency: Some(AgencyId::parse("owner-a").unwrap()),
            limit: 3,
            ..Default::default()
        };
        assert_eq!(l.entries(&f).unwrap().len(), 3);
        let f = EntryFilter {
            agency: Some(AgencyId::parse("other").unwrap()),
            limit: 10,
            ..Default::default()
        };
        assert!(l.entries(&f).unwrap().is_empty());
    }

    #[test]
    fn test_proofs_verify_against_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let l = log(dir.path());
        l.append_batch((0..10).map(draft).collect()).unwrap();
        let old = l.checkpoint(chrono::Utc::now()).unwrap();
        l.append_batch((10..25).map(draft).collect()).unwrap();
        let new = l.checkpoint(chrono::Utc::now()).unwrap();
        assert_eq!((old.size, new.size), (10, 25));
        let p = l.inclusion_proof(7, new.size).unwrap();
        let h = |s: &str| -> Hash { hex::decode(s).unwrap().try_into().unwrap() };
        let hashes: Vec<Hash> = p.hashes.iter().map(|x| h(x)).collect();
        assert!(crate::layout::verify_inclusion(
            &h(p.leaf_hash.as_deref().unwrap()),
            6,
            25,
            &hashes,
            &h(&new.root)
        ));
        let c = l.consistency_proof(old.size, new.size).unwrap();
        let hashes: Vec<Hash> = c.hashes.iter().map(|x| h(x)).collect();
        assert!(crate::layout::verify_consistency(
            10,
            25,
            &h(&old.root),
            &h(&new.root),
            &hashes
        ));
        assert!(l.inclusion_proof(26, 25).is_err());
        assert_eq!(l.latest_checkpoint().unwrap().unwrap(), new);
        let on_disk: Checkpoint =
            serde_json::from_slice(&std::fs::read(dir.path().join("checkpoint.json")).unwrap())
                .unwrap();
        assert_eq!(on_disk, new);
    }

    #[test]
    fn test_checkpoint_writes_the_c2sp_note() {
        let dir = tempfile::tempdir().unwrap();
        let l = log(dir.path());
        l.append_batch((0..3).map(draft).collect()).unwrap();
        let cp = l.checkpoint(chrono::Utc::now()).unwrap();
        let note = std::fs::read_to_string(dir.path().join("checkpoint")).unwrap();
        assert_eq!(Some(&note), cp.note.as_ref());
        let v = l.note_verifier().unwrap();
        assert_eq!(v.name(), l.origin());
        let body = crate::checkpoint::open_checkpoint(&note, &v).unwrap();
        assert_eq!((body.size, hex::encode(body.root)), (3, cp.root.clone()));
        let parsed = NoteVerifier::parse(&v.to_string()).unwrap();
        assert_eq!(parsed, v);
    }

    /// "Verified up to N": each call checks only the entries since the last one, and ends with
    /// the same report a full verification gives.
    #[test]
    fn test_incremental_verification_matches_full() {
        let dir = tempfile::tempdir().unwrap();
        let l = log(dir.path());
        let mut prefix = VerifiedPrefix::empty();
        let mut seen = 0;
        for (round, n) in [3u64, 1, 0, 8, 5].into_iter().enumerate() {
            l.append_batch((seen..seen + n).map(draft).collect())
                .unwrap();
            seen += n;
            if round % 2 == 1 {
                l.checkpoint(chrono::Utc::now()).unwrap();
            }
            let (r, next) = l.verify_since(&prefix).unwrap();
            assert!(r.is_ok(), "{r:?}");
            let full = l.verify().unwrap();
            assert_eq!(
                (r.entries, &r.root, &r.head),
                (full.entries, &full.root, &full.head)
            );
            assert_eq!(r.unanchored_entries, full.unanchored_entries);
            assert_eq!(next.size(), seen);
            assert_eq!(hex::encode(next.root()), full.root);
            // The prefix survives a round trip through its JSON form.
            let json = serde_json::to_string(&next).unwrap();
            prefix = serde_json::from_str(&json).unwrap();
            assert_eq!(prefix, next);
        }
        assert_eq!(prefix.anchored(), 12);
    }

    #[test]
    fn test_incremental_verification_catches_new_and_old_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let l = log(dir.path());
        l.append_batch((0..6).map(draft).collect()).unwrap();
        let (_, prefix) = l.verify_since(&VerifiedPrefix::empty()).unwrap();
        l.append_batch((6..10).map(draft).collect()).unwrap();
        let conn = Connection::open(dir.path().join("audit.db")).unwrap();
        // An entry after the prefix altered in place: its leaf hash no longer matches.
        conn.execute(
            "UPDATE entries SET body = CAST(REPLACE(CAST(body AS TEXT), '\"n\":8', '\"n\":9') AS BLOB) WHERE seq = 9",
            [],
        )
        .unwrap();
        let (r, next) = l.verify_since(&prefix).unwrap();
        assert!(!r.is_ok());
        assert!(r.problems.iter().any(|p| p.seq == 9), "{:?}", r.problems);
        assert_eq!(next, prefix, "a failed check does not advance the prefix");
        // A rewrite inside the verified prefix with recomputed hashes: caught at the prefix end.
        conn.execute(
            "UPDATE entries SET chain_hash = zeroblob(32) WHERE seq = 6",
            [],
        )
        .unwrap();
        let (r, _) = l.verify_since(&prefix).unwrap();
        assert!(
            r.problems
                .iter()
                .any(|p| p.seq == 6 && p.what.contains("rewritten")),
            "{:?}",
            r.problems
        );
        let bad: Result<VerifiedPrefix, _> =
            serde_json::from_str(r#"{"size":3,"head":"00","frontier":[],"anchored":0}"#);
        assert!(bad.is_err());
    }
}

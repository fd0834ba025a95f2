//! The durable log: append, read back, verify.

use crate::entry::{AuditEntry, EntryDraft};
use crate::verify::{ChainVerifier, VerifyReport, chain_hash, leaf_hash};
use crate::{Error, Result};
use rusqlite::{Connection, OptionalExtension};
use sightline_types::{AgencyId, Clock};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
"#;

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

#[derive(Debug)]
struct Head {
    conn: Connection,
    next_seq: u64,
    prev: [u8; 32],
}

/// The node's audit log.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    head: Mutex<Head>,
    clock: Arc<dyn Clock>,
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Audit entries must survive power loss, whatever the read store's setting.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

fn to_hash(v: Vec<u8>, seq: u64) -> Result<[u8; 32]> {
    v.try_into().map_err(|_| Error::Corrupt {
        seq,
        why: "hash is not 32 bytes".into(),
    })
}

impl AuditLog {
    /// Opens (creating if needed) `audit.db` in `dir`.
    ///
    /// # Errors
    /// Fails when the file cannot be opened or its last entry is unreadable.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join("audit.db");
        let conn = open(&path)?;
        conn.execute_batch(SCHEMA)?;
        let last: Option<(u64, Vec<u8>)> = conn
            .query_row(
                "SELECT seq, chain_hash FROM entries ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (next_seq, prev) = match last {
            Some((seq, h)) => (seq + 1, to_hash(h, seq)?),
            None => (1, [0; 32]),
        };
        Ok(AuditLog {
            path,
            head: Mutex::new(Head {
                conn,
                next_seq,
                prev,
            }),
            clock,
        })
    }

    /// Returns the database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends an entry and returns once it is committed to disk.
    ///
    /// # Errors
    /// Any failure means the entry was not written; the caller must fail closed.
    pub fn append(&self, draft: EntryDraft) -> Result<Receipt> {
        let mut head = self.head.lock().unwrap_or_else(|e| e.into_inner());
        let entry = AuditEntry {
            seq: head.next_seq,
            time: self.clock.now(),
            actor: draft.actor,
            action: draft.action,
            outcome: draft.outcome,
            owners: draft.owners,
            details: draft.details,
        };
        let body = entry.canonical_bytes()?;
        let leaf = leaf_hash(&body);
        let chain = chain_hash(&head.prev, &leaf);
        let tx = head.conn.transaction()?;
        tx.execute(
            "INSERT INTO entries(seq, time_us, action, actor_agency, body, leaf_hash, chain_hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                entry.seq,
                entry.time.timestamp_micros(),
                entry.action,
                entry.actor.agency.as_ref().map(|a| a.as_str()),
                body,
                leaf.as_slice(),
                chain.as_slice(),
            ],
        )?;
        for owner in &entry.owners {
            tx.execute(
                "INSERT OR IGNORE INTO entry_owners(agency, seq) VALUES (?1, ?2)",
                (owner.as_str(), entry.seq),
            )?;
        }
        tx.commit()?;
        head.next_seq += 1;
        head.prev = chain;
        Ok(Receipt {
            seq: entry.seq,
            chain_hash: hex::encode(chain),
        })
    }

    /// Returns the number of entries.
    pub fn len(&self) -> u64 {
        self.head.lock().unwrap_or_else(|e| e.into_inner()).next_seq - 1
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
        let head = self.head.lock().unwrap_or_else(|e| e.into_inner());
        let limit = i64::try_from(f.limit.clamp(1, 10_000)).unwrap_or(10_000);
        let mut stmt = head.conn.prepare_cached(
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

    /// Recomputes every leaf and chain hash of this log.
    ///
    /// # Errors
    /// Database failures (a tampered log is reported in the report, not as an error).
    pub fn verify(&self) -> Result<VerifyReport> {
        let head = self.head.lock().unwrap_or_else(|e| e.into_inner());
        verify_connection(&head.conn)
    }
}

/// Verifies the audit database in `dir` without opening it for writing.
///
/// # Errors
/// When the file is missing or unreadable.
pub fn verify_dir(dir: &Path) -> Result<VerifyReport> {
    let path = dir.join("audit.db");
    if !path.exists() {
        return Err(Error::Io {
            path,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no audit.db"),
        });
    }
    let conn = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    verify_connection(&conn)
}

fn verify_connection(conn: &Connection) -> Result<VerifyReport> {
    let mut v = ChainVerifier::new();
    let mut stmt =
        conn.prepare("SELECT seq, body, leaf_hash, chain_hash FROM entries ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let seq: u64 = r.get(0)?;
        let body: Vec<u8> = r.get(1)?;
        let leaf: Vec<u8> = r.get(2)?;
        let chain: Vec<u8> = r.get(3)?;
        v.check(seq, &body, &leaf, &chain);
    }
    Ok(v.report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Actor;
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

    fn tampered(sql: &str) -> VerifyReport {
        let dir = tempfile::tempdir().unwrap();
        let l = log(dir.path());
        for n in 0..4 {
            l.append(draft(n)).unwrap();
        }
        drop(l);
        let c = Connection::open(dir.path().join("audit.db")).unwrap();
        c.execute_batch(sql).unwrap();
        drop(c);
        verify_dir(dir.path()).unwrap()
    }

    #[test]
    fn test_verify_detects_altered_entry() {
        let r = tampered(
            "UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), '\"n\":1', '\"n\":7') AS BLOB) WHERE seq = 2",
        );
        assert_eq!(r.problems[0].seq, 2);
        assert!(r.problems[0].what.contains("altered"), "{r:?}");
    }

    #[test]
    fn test_verify_detects_removed_entry() {
        let r = tampered("DELETE FROM entries WHERE seq = 3");
        assert!(
            r.problems
                .iter()
                .any(|p| p.seq == 3 && p.what.contains("missing")),
            "{r:?}"
        );
    }

    #[test]
    fn test_verify_detects_rehashed_leaf_but_broken_chain() {
        // Someone rewrote an entry and its leaf hash, but could not fix the chain.
        let dir = tempfile::tempdir().unwrap();
        let l = log(dir.path());
        for n in 0..3 {
            l.append(draft(n)).unwrap();
        }
        drop(l);
        let c = Connection::open(dir.path().join("audit.db")).unwrap();
        let body: Vec<u8> = c
            .query_row("SELECT body FROM entries WHERE seq = 2", [], |r| r.get(0))
            .unwrap();
        let new = String::from_utf8(body)
            .unwrap()
            .replace("\"n\":1", "\"n\":9")
            .into_bytes();
        c.execute(
            "UPDATE entries SET body = ?1, leaf_hash = ?2 WHERE seq = 2",
            (new.clone(), leaf_hash(&new).to_vec()),
        )
        .unwrap();
        drop(c);
        let r = verify_dir(dir.path()).unwrap();
        assert!(
            r.problems
                .iter()
                .any(|p| p.seq == 2 && p.what.contains("chain")),
            "{r:?}"
        );
    }
}

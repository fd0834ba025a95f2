//! The embedded store: one SQLite database (`store.db`) in the node's data directory holding the
//! directory (agencies, users, tokens, cameras, sharing agreements, declarations) and the plate
//! reads.
//!
//! Reads live in **day partitions** (`reads_YYYYMMDD` tables, by capture day in UTC; a node may
//! choose shorter periods, `reads_YYYYMMDD_HH`, see [`Period`]) so that retention drops whole
//! tables instead of deleting rows. Each partition is a `WITHOUT ROWID`
//! table keyed by `(plate_id, captured_us, seq)`, which clusters a plate's history so that it
//! is a range read. Plate text lives once in a dictionary (`plates`) with its OCR-canonical key;
//! a packed copy of the dictionary stays in memory for wildcard scans.
//!
//! All read writes go through one writer thread ([`writer`]) that groups concurrent batches into
//! one transaction (group commit); a batch is acknowledged only after its transaction commits.
//!
//! Plate queries ([`Store::resolve_plates`], [`Store::query_reads`]) are listed in the
//! workspace's `clippy.toml` as disallowed methods: only the `search` crate, which runs policy
//! and writes the audit entry, is allowed to call them.
#![deny(missing_docs)]

pub mod backend;
mod cotravel;
mod dictionary;
pub mod directory;
pub mod lifecycle;
mod partition;
mod query;
pub mod retention;
pub mod saved;
mod schema;
pub mod security;
mod stats;
mod writer;

pub use backend::ReadStore;
pub use cotravel::Sighting;
pub use dictionary::PlateId;
pub use directory::{
    AgreementScope, Declaration, Grantee, LegalHold, NewCamera, NewUser, SharingAgreement,
    TokenKind, UserRecord,
};
pub use lifecycle::{IdTable, PendingChange};
pub use partition::{Period, day_of, day_start};
pub use query::{MAX_RESOLVED_PLATES, PlateSelector, ReadQuery, ReadSelector};
pub use retention::{PurgeReport, PurgeRule};
pub use saved::SavedRow;
pub use security::{FindingRow, MfaRecord, PasskeyRecord, SecuritySettings};
pub use stats::CameraReadStats;
pub use writer::{AppendOutcome, ReadRecord, WriterStats};

use dictionary::PlateDictionary;
use rusqlite::Connection;
use sightline_types::{Camera, CameraId, ErrorCode};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite failed.
    #[error("store database error")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be used.
    #[error("data directory `{path}` unusable")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A named object does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// An object already exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// The writer thread has stopped; nothing more can be stored.
    #[error("store writer is not running")]
    WriterGone,
    /// A write could not be committed (disk full, database locked, I/O error): nothing of it
    /// was stored, and the writer goes on with the next one.
    #[error("the store could not commit the write ({0}); nothing of it was stored: send it again")]
    WriteFailed(String),
    /// Stored data failed validation (corruption or a bug).
    #[error("stored value invalid: {0}")]
    Corrupt(String),
}

impl Error {
    /// Returns the error class.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::Sqlite(_) | Error::Io { .. } | Error::WriterGone | Error::WriteFailed(_) => {
                ErrorCode::Unavailable
            }
            Error::Corrupt(_) => ErrorCode::Internal,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How hard commits try to reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// fsync every commit (`synchronous=FULL`): survives power loss.
    #[default]
    Power,
    /// WAL without fsync per commit (`synchronous=NORMAL`): survives a killed process, not a
    /// power cut.
    Process,
}

/// Shared in-memory state that the writer updates after each commit.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) period: partition::Period,
    pub(crate) dict: RwLock<PlateDictionary>,
    pub(crate) partitions: RwLock<BTreeSet<i32>>,
    pub(crate) cameras: RwLock<HashMap<CameraId, Camera>>,
    pub(crate) writer_stats: writer::Counters,
    /// Directory operations in progress (see [`Store::with_directory`]).
    pub(crate) directory_turns: std::sync::atomic::AtomicUsize,
}

/// The node's embedded store.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    durability: Durability,
    directory: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    shared: Arc<Shared>,
    writer: writer::WriterHandle,
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    ///
    /// # Errors
    /// Fails when the directory cannot be created or the database cannot be opened or migrated.
    pub fn open(dir: &Path, durability: Durability) -> Result<Self> {
        Self::open_with(dir, durability, partition::Period::DAY)
    }

    /// Opens the store with a partition period other than a day. A data directory keeps the
    /// period it was created with.
    ///
    /// # Errors
    /// As [`Store::open`], and `Conflict` when the directory was created with another period.
    pub fn open_with(
        dir: &Path,
        durability: Durability,
        period: partition::Period,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join("store.db");
        let conn = schema::open_connection(&path, durability)?;
        schema::migrate(&conn)?;
        schema::check_period(&conn, period)?;
        let shared = Arc::new(Shared {
            period,
            ..Shared::default()
        });
        *shared.dict.write().unwrap_or_else(|e| e.into_inner()) = PlateDictionary::load(&conn)?;
        let days = partition::load(&conn)?;
        for &day in &days {
            partition::create_crops(&conn, &period.table(day))?;
            partition::create_camera_time(&conn, &period.table(day))?;
        }
        *shared.partitions.write().unwrap_or_else(|e| e.into_inner()) = days;
        *shared.cameras.write().unwrap_or_else(|e| e.into_inner()) =
            directory::load_cameras(&conn)?;
        let writer_conn = schema::open_connection(&path, durability)?;
        let checkpoint_conn = schema::open_connection(&path, durability)?;
        let writer = writer::spawn(writer_conn, checkpoint_conn, Arc::clone(&shared))?;
        Ok(Store {
            path,
            durability,
            directory: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            shared,
            writer,
        })
    }

    /// Returns the path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the directory connection. While it runs the read writer starts no new group
    /// transaction (for at most [`writer::DIRECTORY_YIELD`]): a directory write (an admin change,
    /// retention's announcement) then finds the write lock free instead of waiting out its busy
    /// timeout behind back-to-back ingest transactions when ingest is saturated.
    pub(crate) fn with_directory<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let _waiting = writer::DirectoryTurn::take(&self.shared);
        let conn = self.directory.lock().unwrap_or_else(|e| e.into_inner());
        f(&conn)
    }

    /// Runs `f` with a pooled read-only connection.
    pub(crate) fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => schema::open_connection(&self.path, self.durability)?,
        };
        let out = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 8 {
            pool.push(conn);
        }
        out
    }

    /// Returns a camera from the in-memory cache.
    pub fn camera(&self, id: CameraId) -> Option<Camera> {
        self.shared
            .cameras
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    /// Returns every camera.
    pub fn cameras(&self) -> Vec<Camera> {
        let mut v: Vec<Camera> = self
            .shared
            .cameras
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        v.sort_by_key(|c| c.id);
        v
    }

    /// Returns the partition period.
    pub fn period(&self) -> partition::Period {
        self.shared.period
    }

    /// Returns the partition indexes (periods since the Unix epoch) that have a table.
    pub fn partition_days(&self) -> Vec<i32> {
        self.shared
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect()
    }

    /// Counts distinct plates in the dictionary.
    pub fn distinct_plates(&self) -> usize {
        self.shared
            .dict
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
}

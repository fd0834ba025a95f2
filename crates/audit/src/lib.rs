//! The audit log: an append-only, hash-chained record of every search, refusal, and
//! administrative change, kept in its own SQLite database (`audit.db`, always `synchronous=FULL`).
//!
//! Each entry gets a durable sequence number first. Its canonical JSON bytes are hashed as an
//! RFC 6962 leaf (`SHA-256(0x00 || bytes)`), and the leaf is chained to its predecessor
//! (`SHA-256(0x02 || prev || leaf)`). The leaf hashes are exactly what a Merkle tree over the
//! log will need, so signed checkpoints can be added without changing the stored format
//! (see `FORMAT.md`).
//!
//! Callers fail closed: [`AuditLog::append`] returns only after the entry is committed, and a
//! search that cannot append must not return rows.
#![deny(missing_docs)]

mod entry;
mod log;
mod verify;

pub use entry::{Actor, ActorKind, AuditEntry, EntryDraft};
pub use log::{AuditLog, EntryFilter, Receipt, verify_dir};
pub use verify::{Problem, VerifyReport, chain_hash, leaf_hash};

use sightline_types::ErrorCode;

/// Errors from the audit log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite failed; the entry was not written.
    #[error("audit database error")]
    Sqlite(#[from] rusqlite::Error),
    /// An entry could not be encoded.
    #[error("audit entry encoding failed")]
    Encode(#[from] serde_json::Error),
    /// The data directory is unusable.
    #[error("audit directory `{path}` unusable")]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A stored entry is unreadable.
    #[error("audit entry {seq} is corrupt: {why}")]
    Corrupt {
        /// Sequence number.
        seq: u64,
        /// What is wrong.
        why: String,
    },
}

impl Error {
    /// Returns the error class: audit trouble makes dependent operations unavailable.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Corrupt { .. } => ErrorCode::Internal,
            _ => ErrorCode::Unavailable,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

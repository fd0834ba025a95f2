//! The audit log: an append-only, hash-chained record of every search, refusal, and
//! administrative change, kept in its own SQLite database (`audit.db`, always `synchronous=FULL`).
//!
//! Each entry gets a durable sequence number first. Its canonical JSON bytes are hashed as an
//! RFC 6962 leaf (`SHA-256(0x00 || bytes)`), chained to its predecessor
//! (`SHA-256(0x02 || prev || leaf)`), and integrated into an RFC 6962 Merkle tree ([`layout`])
//! once committed. Checkpoints (size, root, time) are signed with the node's Ed25519 key
//! ([`checkpoint`]); inclusion and consistency proofs let anyone holding a checkpoint check the
//! log offline, and [`verify_dir`] / [`verify_jsonl`] are the fsck (see `FORMAT.md`).
//!
//! Callers fail closed: [`AuditLog::append`] returns only after the entry is committed, and a
//! search that cannot append must not return rows.
#![deny(missing_docs)]

pub mod action;
pub mod checkpoint;
mod entry;
pub mod evidence;
pub mod layout;
mod log;
pub mod note;
mod verify;

pub use action::Action;
pub use checkpoint::{Checkpoint, CheckpointNote, NodeKey, open_checkpoint, parse_public_key};
pub use entry::{
    Actor, ActorKind, AuditEntry, CSV_COLUMNS, EntryDraft, csv_safe, read_jsonl, write_csv,
};
pub use log::{AuditLog, EntryFilter, Proof, Receipt, export_dir, verify_dir};
pub use note::{NoteVerifier, SignedNote};
pub use verify::{
    CheckpointCheck, Problem, VerifiedPrefix, VerifyReport, VerifyRow, chain_hash, leaf_hash,
    verify_jsonl, verify_rows, verify_rows_from,
};

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
    /// The audit writer could not commit; nothing was written.
    #[error("audit log unavailable: {0}")]
    Unavailable(String),
    /// A proof was asked for entries or sizes the log does not have.
    #[error("{0}")]
    OutOfRange(String),
    /// A signed note or checkpoint note is malformed or does not verify.
    #[error("{0}")]
    Note(String),
    /// A line of a JSON Lines export is not an audit entry.
    #[error("export line {line}: {why}")]
    Export {
        /// Line number, from 1.
        line: u64,
        /// What is wrong.
        why: String,
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
            Error::OutOfRange(_) | Error::Note(_) | Error::Export { .. } => ErrorCode::BadRequest,
            _ => ErrorCode::Unavailable,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

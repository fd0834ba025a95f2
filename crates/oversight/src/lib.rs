//! Oversight: reads audit logs — Sightline's own exports and other vendors' (Flock Safety
//! organisation and network audit CSVs) — and reports what an auditor, a council or a journalist
//! needs: reach, look-backs beyond retention, vague and prohibited reasons, volume outliers and
//! federal involvement. Every finding lists the rows behind it (file and line, or sequence number).
//!
//! Readers map columns by name (case, spaces, underscores and punctuation ignored), accept both
//! timestamp styles seen in real releases, report columns they did not understand, and never drop
//! a row silently: a row that cannot be read is counted and listed with its line number.
#![deny(missing_docs)]

pub mod analyze;
pub mod html;
pub mod read;
pub mod watch;

pub use analyze::{Report, analyze};
pub use read::{FileSummary, SearchRecord, read_file, read_sightline_entries, read_text};

use sightline_types::ErrorCode;

/// Errors from oversight.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read at all.
    #[error("cannot read {path}: {why}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
}

impl Error {
    /// Returns the error class.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::BadRequest
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Ingest: validate and normalise camera reads, then hand them to the store's writer.
//!
//! A batch is judged read by read: a bad read gets its own error and never costs the good reads
//! beside it their place. Only batch-level faults (empty, oversized) refuse the whole batch.
//! Nothing is acknowledged before the store has committed it.
#![deny(missing_docs)]

pub mod openalpr;
mod validate;

pub use validate::{IngestLimits, validate_read};

use serde::Serialize;
use sightline_store::{AppendOutcome, ReadRecord, Store};
use sightline_types::{Camera, Clock, ErrorCode, NewRead};
use std::sync::Arc;

/// Errors that refuse a whole batch.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The batch holds no reads.
    #[error("batch is empty")]
    EmptyBatch,
    /// The batch holds more reads than allowed.
    #[error("batch holds {got} reads; at most {max} are accepted per request")]
    BatchTooLarge {
        /// Reads sent.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// A vendor payload could not be mapped onto reads.
    #[error("{0}")]
    Compat(String),
    /// The store failed; nothing in the batch was stored. The store's sentence says why (the
    /// disk is full, the database is locked) without SQL or data.
    #[error("store unavailable: {0}")]
    Store(#[from] sightline_store::Error),
}

impl Error {
    /// Returns the error class.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::EmptyBatch | Error::Compat(_) => ErrorCode::BadRequest,
            Error::BatchTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Error::Store(e) => e.code(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What happened to one read of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReadResult {
    /// Position in the batch.
    pub index: usize,
    /// The client id as sent.
    pub id: String,
    /// `accepted`, `duplicate` or `rejected`.
    pub status: ReadStatus,
    /// Sequence number when accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReadError>,
}

/// Outcome of one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadStatus {
    /// Stored now.
    Accepted,
    /// Already stored earlier (idempotent re-send); not stored again.
    Duplicate,
    /// Refused; see `error`.
    Rejected,
}

/// A per-read validation error.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReadError {
    /// HTTP-style status for this read (400 malformed, 403 wrong camera, 422 implausible).
    pub status: u16,
    /// Stable code.
    pub code: &'static str,
    /// A sentence naming the problem.
    pub message: String,
}

/// The answer to a batch.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IngestReport {
    /// Reads stored now.
    pub accepted: usize,
    /// Reads already stored.
    pub duplicates: usize,
    /// Reads refused.
    pub rejected: usize,
    /// One result per read, in batch order.
    pub results: Vec<ReadResult>,
}

/// The ingest service.
#[derive(Debug, Clone)]
pub struct Ingest {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    limits: IngestLimits,
}

impl Ingest {
    /// Creates the service.
    pub fn new(store: Arc<Store>, clock: Arc<dyn Clock>, limits: IngestLimits) -> Self {
        Ingest {
            store,
            clock,
            limits,
        }
    }

    /// Returns the limits in force.
    pub fn limits(&self) -> &IngestLimits {
        &self.limits
    }

    /// Validates a batch from an authenticated camera and stores the valid reads.
    ///
    /// # Errors
    /// Batch-level faults, or a store failure (then nothing was stored and the camera should
    /// retry; ids make the retry safe).
    pub async fn ingest(&self, camera: &Camera, reads: Vec<NewRead>) -> Result<IngestReport> {
        Ok(self.ingest_records(camera, reads).await?.0)
    }

    /// As [`Ingest::ingest`], also returning the reads stored now with their sequence numbers
    /// (for hot-list matching).
    ///
    /// # Errors
    /// As [`Ingest::ingest`].
    pub async fn ingest_records(
        &self,
        camera: &Camera,
        reads: Vec<NewRead>,
    ) -> Result<(IngestReport, Vec<(i64, ReadRecord)>)> {
        if reads.is_empty() {
            return Err(Error::EmptyBatch);
        }
        if reads.len() > self.limits.max_batch {
            return Err(Error::BatchTooLarge {
                got: reads.len(),
                max: self.limits.max_batch,
            });
        }
        let now = self.clock.now();
        let mut results: Vec<ReadResult> = Vec::with_capacity(reads.len());
        let mut records = Vec::new();
        let mut slots = Vec::new();
        for (index, read) in reads.into_iter().enumerate() {
            let id = read.id.clone();
            match validate_read(camera, read, now, &self.limits) {
                Ok(rec) => {
                    slots.push(index);
                    records.push(rec);
                    results.push(ReadResult {
                        index,
                        id,
                        status: ReadStatus::Accepted,
                        seq: None,
                        error: None,
                    });
                }
                Err(error) => results.push(ReadResult {
                    index,
                    id,
                    status: ReadStatus::Rejected,
                    seq: None,
                    error: Some(error),
                }),
            }
        }
        let mut stored = Vec::new();
        if !records.is_empty() {
            let outcomes = self.store.append_reads(records.clone()).await?;
            for ((slot, outcome), rec) in slots.into_iter().zip(outcomes).zip(records) {
                match outcome {
                    AppendOutcome::Inserted { seq } => {
                        results[slot].seq = Some(seq);
                        stored.push((seq, rec));
                    }
                    AppendOutcome::Duplicate => results[slot].status = ReadStatus::Duplicate,
                }
            }
        }
        let count = |s| results.iter().filter(|r| r.status == s).count();
        let report = IngestReport {
            accepted: count(ReadStatus::Accepted),
            duplicates: count(ReadStatus::Duplicate),
            rejected: count(ReadStatus::Rejected),
            results,
        };
        Ok((report, stored))
    }
}

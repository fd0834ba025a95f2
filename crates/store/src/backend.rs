//! The read store as a trait, so that a node's plate reads can live in another engine than the
//! embedded SQLite file ([`crate::Store`]). `sightline-store-pg` implements it over PostgreSQL;
//! one conformance suite (`crates/store-pg/tests/conformance.rs`) runs the same cases against
//! both.
//!
//! Scope: the **reads** part of the store only — ingest, every query the search crate runs
//! (plates resolved from an exact, wildcard or fuzzy selector; reads by plate or description in
//! a window at the cameras policy allowed; the analysis searches' sightings), plate crops beside
//! their reads, retention with legal holds, and partition drops. The directory (agencies,
//! cameras, agreements, holds themselves), hot lists and the audit log stay in their SQLite
//! files; a backend that does not hold the directory is told the cameras
//! ([`ReadStore::sync_cameras`]) and is given the open holds and per-owner cutoffs when it
//! purges, exactly as the SQLite store is.
//!
//! The trait is blocking, like the search path that calls it (searches run on blocking threads,
//! never on the async runtime's workers).
//!
//! Like [`crate::Store::query_reads`], the plate-data methods of this trait are on
//! `clippy.toml`'s disallowed list: only `sightline-search` (and store tests) may call them.

use crate::retention::{PurgeReport, PurgeRule};
use crate::{
    AppendOutcome, LegalHold, PlateId, PlateSelector, ReadQuery, ReadRecord, Sighting, Store,
};
use chrono::{DateTime, Utc};
use sightline_types::{Camera, CameraId, StoredRead};
use std::collections::HashSet;

/// A backend that stores plate reads. Plate ids ([`PlateId`]) are the backend's own: they are
/// valid only with the backend that gave them.
pub trait ReadStore: Send + Sync {
    /// The backend's error type (its crate's one error enum).
    type Error: std::error::Error + Send + Sync + 'static;

    /// A short name for reports and benchmarks (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;

    /// Tells the backend the node's cameras (id, owner, name, position), which it needs to turn
    /// rows into [`StoredRead`]s. Rows of cameras it does not know are left out of answers, as
    /// the SQLite store leaves out rows of cameras missing from its directory. The SQLite store
    /// holds the directory itself and ignores this.
    ///
    /// # Errors
    /// Backend failures.
    fn sync_cameras(&self, cameras: &[Camera]) -> Result<(), Self::Error>;

    /// Stores a batch of reads in one transaction and returns one outcome per read, in order.
    /// A read whose (camera, client id) is already stored in the partition of its capture day,
    /// or earlier in the same batch, is a [`AppendOutcome::Duplicate`]; the batch is answered
    /// only once committed.
    ///
    /// # Errors
    /// When the transaction fails nothing of the batch is stored.
    fn ingest(&self, reads: Vec<ReadRecord>) -> Result<Vec<AppendOutcome>, Self::Error>;

    /// Resolves a plate selector to plate ids (at most [`crate::MAX_RESOLVED_PLATES`]); the
    /// flag is true when capped.
    ///
    /// # Errors
    /// Backend failures.
    fn resolve_plates(&self, sel: &PlateSelector) -> Result<(Vec<PlateId>, bool), Self::Error>;

    /// Runs a read query: newest first (by capture time, then sequence number), at most
    /// `limit` rows, and whether more matched.
    ///
    /// # Errors
    /// Backend failures.
    fn query_reads(&self, q: &ReadQuery) -> Result<(Vec<StoredRead>, bool), Self::Error>;

    /// Tells whether a read with this camera and client id is stored in the partition of
    /// `captured_us`.
    ///
    /// # Errors
    /// Backend failures.
    fn contains_read(
        &self,
        camera: CameraId,
        client_id: &str,
        captured_us: i64,
    ) -> Result<bool, Self::Error>;

    /// Sightings at `cameras` in `[from_us, to_us)`, at most `cap`, and whether more matched.
    ///
    /// # Errors
    /// Backend failures.
    fn sightings_at(
        &self,
        cameras: &[CameraId],
        from_us: i64,
        to_us: i64,
        cap: usize,
    ) -> Result<(Vec<Sighting>, bool), Self::Error>;

    /// Sightings of one plate in `[from_us, to_us)` at any of `cameras`.
    ///
    /// # Errors
    /// Backend failures.
    fn sightings_of(
        &self,
        plate: PlateId,
        from_us: i64,
        to_us: i64,
        cameras: &HashSet<CameraId>,
    ) -> Result<Vec<Sighting>, Self::Error>;

    /// The full reads of `sightings`, in the order given; reads gone since are left out.
    ///
    /// # Errors
    /// Backend failures.
    fn reads_of(
        &self,
        sightings: &[Sighting],
        with_crops: bool,
    ) -> Result<Vec<StoredRead>, Self::Error>;

    /// The id of a plate, if it was ever read.
    ///
    /// # Errors
    /// Backend failures.
    fn plate_id(&self, plate: &str) -> Result<Option<PlateId>, Self::Error>;

    /// The text of a plate id.
    ///
    /// # Errors
    /// Backend failures.
    fn plate_text(&self, id: PlateId) -> Result<Option<String>, Self::Error>;

    /// Deletes reads captured before their owner's cutoff (the rule whose cameras took them),
    /// keeping reads of a plate inside an open legal hold of the same owner, with their crops;
    /// drops partitions before `now`'s day that hold nothing any more.
    ///
    /// # Errors
    /// Backend failures (what was committed before stays deleted; running it again finishes).
    fn purge(
        &self,
        rules: &[PurgeRule],
        holds: &[LegalHold],
        now: DateTime<Utc>,
    ) -> Result<PurgeReport, Self::Error>;

    /// Tells whether [`ReadStore::purge`] would delete or drop anything; changes nothing.
    ///
    /// # Errors
    /// Backend failures.
    fn purge_due(
        &self,
        rules: &[PurgeRule],
        holds: &[LegalHold],
        now: DateTime<Utc>,
    ) -> Result<bool, Self::Error>;

    /// Drops every partition of days before `day` (days since the epoch); returns those days.
    ///
    /// # Errors
    /// Backend failures.
    fn drop_partitions_before(&self, day: i32) -> Result<Vec<i32>, Self::Error>;

    /// The days (since the epoch) that have a partition, oldest first.
    ///
    /// # Errors
    /// Backend failures.
    fn partition_days(&self) -> Result<Vec<i32>, Self::Error>;
}

/// The embedded store: every method delegates to [`Store`]'s own (unchanged) code.
#[allow(clippy::disallowed_methods)] // the trait is the plate-data API; its callers are checked
impl ReadStore for Store {
    type Error = crate::Error;

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn sync_cameras(&self, _cameras: &[Camera]) -> crate::Result<()> {
        Ok(())
    }

    fn ingest(&self, reads: Vec<ReadRecord>) -> crate::Result<Vec<AppendOutcome>> {
        self.append_reads_blocking(reads)
    }

    fn resolve_plates(&self, sel: &PlateSelector) -> crate::Result<(Vec<PlateId>, bool)> {
        Store::resolve_plates(self, sel)
    }

    fn query_reads(&self, q: &ReadQuery) -> crate::Result<(Vec<StoredRead>, bool)> {
        Store::query_reads(self, q)
    }

    fn contains_read(
        &self,
        camera: CameraId,
        client_id: &str,
        captured_us: i64,
    ) -> crate::Result<bool> {
        Store::contains_read(self, camera, client_id, captured_us)
    }

    fn sightings_at(
        &self,
        cameras: &[CameraId],
        from_us: i64,
        to_us: i64,
        cap: usize,
    ) -> crate::Result<(Vec<Sighting>, bool)> {
        Store::sightings_at(self, cameras, from_us, to_us, cap)
    }

    fn sightings_of(
        &self,
        plate: PlateId,
        from_us: i64,
        to_us: i64,
        cameras: &HashSet<CameraId>,
    ) -> crate::Result<Vec<Sighting>> {
        Store::sightings_of(self, plate, from_us, to_us, cameras)
    }

    fn reads_of(&self, sightings: &[Sighting], with_crops: bool) -> crate::Result<Vec<StoredRead>> {
        Store::reads_of(self, sightings, with_crops)
    }

    fn plate_id(&self, plate: &str) -> crate::Result<Option<PlateId>> {
        Ok(Store::plate_id(self, plate))
    }

    fn plate_text(&self, id: PlateId) -> crate::Result<Option<String>> {
        Ok(Store::plate_text(self, id))
    }

    fn purge(
        &self,
        rules: &[PurgeRule],
        holds: &[LegalHold],
        now: DateTime<Utc>,
    ) -> crate::Result<PurgeReport> {
        Store::purge(self, rules.to_vec(), holds.to_vec(), now)
    }

    fn purge_due(
        &self,
        rules: &[PurgeRule],
        holds: &[LegalHold],
        now: DateTime<Utc>,
    ) -> crate::Result<bool> {
        Store::purge_due(self, rules.to_vec(), holds.to_vec(), now)
    }

    fn drop_partitions_before(&self, day: i32) -> crate::Result<Vec<i32>> {
        Store::drop_partitions_before(self, day)
    }

    fn partition_days(&self) -> crate::Result<Vec<i32>> {
        Ok(Store::partition_days(self))
    }
}

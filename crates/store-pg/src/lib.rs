//! The read store on PostgreSQL: [`PgReadStore`] implements [`sightline_store::ReadStore`].
//!
//! Layout (all in one schema of one database, see [`schema`]):
//! - `reads`: partitioned by capture time (`captured_us`, µs since the epoch) with native
//!   declarative range partitioning, one partition per UTC day (`reads_YYYYMMDD`, created on
//!   demand by ingest and registered in `partitions`). The primary key `(plate_id, captured_us,
//!   seq)` serves plate histories, `(captured_us, colour, vehicle_type, camera_id)` description
//!   and window scans, `(camera_id, captured_us)` the analysis searches — the SQLite store's
//!   indexes. Idempotency is a unique `(camera_id, client_id)` index per partition, as in the
//!   SQLite store (a re-sent read is a duplicate within its capture day).
//! - `read_crops`: the plate pictures beside their reads, partitioned the same way, so a dropped
//!   day takes its pictures with it.
//! - `plates`: the plate dictionary (text, OCR-canonical key) with a `pg_trgm` GIN index on the
//!   text for wildcard patterns and a B-tree on the canonical key for fuzzy candidates.
//!
//! Ingest ([`PgReadStore`]'s `ingest`) sends a batch with binary `COPY` straight into `reads`
//! (plate ids and sequence numbers resolved first) under a savepoint; a batch that meets the
//! unique index goes again through a staging table and `INSERT … ON CONFLICT DO NOTHING` (see
//! `ingest.rs`). Retention drops whole day partitions when every row in them is due
//! and deletes rows inside the boundary partitions, keeping legal holds.
//!
//! The client is rust-postgres's blocking `postgres` crate (a thin wrapper over
//! `tokio-postgres` with its own small runtime per connection), because the search path is
//! blocking; connections are pooled in the store. No plate text is logged above `debug`.
#![deny(missing_docs)]

mod ingest;
mod query;
mod retention;
pub mod schema;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};
use sightline_types::{Camera, CameraId, ErrorCode};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, RwLock};

/// Errors from the PostgreSQL read store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No connection could be made.
    #[error(
        "cannot connect to PostgreSQL: {0} (is the server running, and is the connection string right?)"
    )]
    Connect(#[source] postgres::Error),
    /// A statement failed.
    #[error("PostgreSQL statement failed{}", sqlstate(.0))]
    Postgres(#[from] postgres::Error),
    /// The store was configured wrongly.
    #[error("invalid PostgreSQL store configuration: {0}")]
    Config(String),
    /// Stored data failed validation.
    #[error("stored value invalid: {0}")]
    Corrupt(String),
}

/// The SQLSTATE of a failed statement, for the message (never the statement's data).
fn sqlstate(e: &postgres::Error) -> String {
    e.code()
        .map(|c| format!(" (SQLSTATE {})", c.code()))
        .unwrap_or_default()
}

impl Error {
    /// Returns the error class.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Connect(_) | Error::Postgres(_) => ErrorCode::Unavailable,
            Error::Config(_) | Error::Corrupt(_) => ErrorCode::Internal,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Most idle connections kept.
const POOL: usize = 8;

/// A pooled connection with the statements prepared on it: a query then costs one round trip
/// instead of two (parse, then execute).
pub(crate) struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Conn {
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    /// Runs a (cached) statement and returns its rows.
    pub(crate) fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let st = self.statement(sql)?;
        Ok(self.client.query(&st, params)?)
    }

    /// Runs a (cached) statement that returns at most one row.
    pub(crate) fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        let st = self.statement(sql)?;
        Ok(self.client.query_opt(&st, params)?)
    }
}

impl std::ops::Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// The read store on PostgreSQL.
pub struct PgReadStore {
    conninfo: String,
    schema: String,
    idle: Mutex<Vec<Conn>>,
    cameras: RwLock<HashMap<CameraId, Camera>>,
    /// Days known to have a partition (a cache of the `partitions` table).
    partitions: Mutex<BTreeSet<i32>>,
}

impl std::fmt::Debug for PgReadStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection string may carry a password.
        f.debug_struct("PgReadStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl PgReadStore {
    /// Connects to the database of `conninfo` (a `postgres://` URL or `key=value` string) and
    /// creates the read store's tables in `schema` if they are missing (and the `pg_trgm`
    /// extension, which needs a role that may create it: PostgreSQL 13 and later mark it
    /// trusted, so the database owner may).
    ///
    /// # Errors
    /// `Config` for a schema name that is not lower-case ASCII letters, digits and `_`;
    /// `Connect` when the server cannot be reached; statement failures.
    pub fn connect(conninfo: &str, schema: &str) -> Result<Self> {
        if schema.is_empty()
            || schema.len() > 48
            || !schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            || schema.as_bytes()[0].is_ascii_digit()
        {
            return Err(Error::Config(format!(
                "schema name `{schema}`: use lower-case letters, digits and `_` (not first)"
            )));
        }
        let store = PgReadStore {
            conninfo: conninfo.to_owned(),
            schema: schema.to_owned(),
            idle: Mutex::new(Vec::new()),
            cameras: RwLock::new(HashMap::new()),
            partitions: Mutex::new(BTreeSet::new()),
        };
        {
            let mut c = Client::connect(conninfo, NoTls).map_err(Error::Connect)?;
            schema::migrate(&mut c, schema)?;
        }
        let days = store.with_client(|c| {
            Ok(c.query("SELECT day FROM partitions", &[])?
                .iter()
                .map(|r| r.get::<_, i32>(0))
                .collect::<BTreeSet<i32>>())
        })?;
        *store.partitions.lock().unwrap_or_else(|e| e.into_inner()) = days;
        Ok(store)
    }

    /// The schema the store lives in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Drops the store's schema with everything in it (for tests and benchmarks).
    ///
    /// # Errors
    /// Statement failures.
    pub fn drop_schema(self) -> Result<()> {
        let schema = self.schema.clone();
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let mut c = Client::connect(&self.conninfo, NoTls).map_err(Error::Connect)?;
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        Ok(())
    }

    /// Runs `f` with a pooled connection (search path set to the store's schema, session
    /// tables ready). A connection that failed is not returned to the pool.
    pub(crate) fn with_client<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut client = match pooled {
            Some(c) if !c.is_closed() => c,
            _ => {
                let mut c = Client::connect(&self.conninfo, NoTls).map_err(Error::Connect)?;
                schema::prepare_session(&mut c, &self.schema)?;
                Conn {
                    client: c,
                    statements: HashMap::new(),
                }
            }
        };
        let out = f(&mut client);
        if !client.is_closed() {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < POOL {
                idle.push(client);
            }
        }
        out
    }
}

impl sightline_store::ReadStore for PgReadStore {
    type Error = Error;

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn sync_cameras(&self, cameras: &[Camera]) -> Result<()> {
        let mut map = self.cameras.write().unwrap_or_else(|e| e.into_inner());
        map.clear();
        map.extend(cameras.iter().map(|c| (c.id, c.clone())));
        Ok(())
    }

    fn ingest(
        &self,
        reads: Vec<sightline_store::ReadRecord>,
    ) -> Result<Vec<sightline_store::AppendOutcome>> {
        ingest::ingest(self, reads)
    }

    fn resolve_plates(
        &self,
        sel: &sightline_store::PlateSelector,
    ) -> Result<(Vec<sightline_store::PlateId>, bool)> {
        query::resolve_plates(self, sel)
    }

    fn query_reads(
        &self,
        q: &sightline_store::ReadQuery,
    ) -> Result<(Vec<sightline_types::StoredRead>, bool)> {
        query::query_reads(self, q)
    }

    fn contains_read(&self, camera: CameraId, client_id: &str, captured_us: i64) -> Result<bool> {
        query::contains_read(self, camera, client_id, captured_us)
    }

    fn sightings_at(
        &self,
        cameras: &[CameraId],
        from_us: i64,
        to_us: i64,
        cap: usize,
    ) -> Result<(Vec<sightline_store::Sighting>, bool)> {
        query::sightings_at(self, cameras, from_us, to_us, cap)
    }

    fn sightings_of(
        &self,
        plate: sightline_store::PlateId,
        from_us: i64,
        to_us: i64,
        cameras: &std::collections::HashSet<CameraId>,
    ) -> Result<Vec<sightline_store::Sighting>> {
        query::sightings_of(self, plate, from_us, to_us, cameras)
    }

    fn reads_of(
        &self,
        sightings: &[sightline_store::Sighting],
        with_crops: bool,
    ) -> Result<Vec<sightline_types::StoredRead>> {
        query::reads_of(self, sightings, with_crops)
    }

    fn plate_id(&self, plate: &str) -> Result<Option<sightline_store::PlateId>> {
        query::plate_id_of(self, plate)
    }

    fn plate_text(&self, id: sightline_store::PlateId) -> Result<Option<String>> {
        query::plate_text(self, id)
    }

    fn purge(
        &self,
        rules: &[sightline_store::PurgeRule],
        holds: &[sightline_store::LegalHold],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<sightline_store::PurgeReport> {
        retention::purge(self, rules, holds, now, false).map(|(report, _)| report)
    }

    fn purge_due(
        &self,
        rules: &[sightline_store::PurgeRule],
        holds: &[sightline_store::LegalHold],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        retention::purge(self, rules, holds, now, true).map(|(_, due)| due)
    }

    fn drop_partitions_before(&self, day: i32) -> Result<Vec<i32>> {
        retention::drop_before(self, day)
    }

    fn partition_days(&self) -> Result<Vec<i32>> {
        self.with_client(|c| {
            Ok(c.query("SELECT day FROM partitions ORDER BY day", &[])?
                .iter()
                .map(|r| r.get::<_, i32>(0))
                .collect())
        })
    }
}

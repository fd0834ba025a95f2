//! Ingest: binary `COPY` into the session's staging table, then new plates and the reads (with
//! their crops) in one statement each, all in one transaction.
//!
//! Duplicates inside a batch are settled here (the first read of a (camera, client id, day)
//! wins, as in the SQLite store); duplicates of stored reads by the per-day unique index: a
//! plain insert first, and when that meets the index, `ON CONFLICT DO NOTHING`.

use crate::schema::{self, day_of};
use crate::{Error, PgReadStore, Result};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use sightline_store::{AppendOutcome, ReadRecord};
use std::collections::{BTreeSet, HashMap};

const COPY: &str = "COPY staging (ord, camera_id, client_id, captured_us, plate, canon, region, \
    confidence, colour, vehicle_type, make, lat, lon, received_us, crop) FROM STDIN BINARY";

const COPY_TYPES: [Type; 15] = [
    Type::INT4,
    Type::INT8,
    Type::TEXT,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::FLOAT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::FLOAT8,
    Type::FLOAT8,
    Type::INT8,
    Type::BYTEA,
];

/// New plates only: the `NOT EXISTS` keeps known plates from drawing identity values. Sorted,
/// so that concurrent batches adding the same plates take their locks in one order.
macro_rules! new_plates {
    ($conflict:literal) => {
        concat!(
            "INSERT INTO plates (text, canon) \
             SELECT DISTINCT s.plate, s.canon FROM staging s \
             WHERE NOT EXISTS (SELECT 1 FROM plates p WHERE p.text = s.plate) \
             ORDER BY s.plate ",
            $conflict
        )
    };
}

/// New plates, plain insert (the fast path; a plate added meanwhile by a concurrent batch makes
/// it fail, and then [`NEW_PLATES`] runs).
const NEW_PLATES_FAST: &str = new_plates!("");

/// New plates, skipping any added meanwhile.
const NEW_PLATES: &str = new_plates!("ON CONFLICT (text) DO NOTHING");

/// The reads, and the crops of those inserted; answers the inserted rows' keys and sequence
/// numbers. `$conflict` is empty (the fast path) or `ON CONFLICT DO NOTHING`. Rows go in key
/// order, so concurrent batches with common reads wait for each other instead of deadlocking.
macro_rules! move_reads {
    ($conflict:literal) => {
        concat!(
            "WITH ins AS (
                INSERT INTO reads (plate_id, captured_us, camera_id, client_id, region, confidence,
                                   colour, vehicle_type, make, lat, lon, received_us)
                SELECT p.id, s.captured_us, s.camera_id, s.client_id, s.region, s.confidence,
                       s.colour, s.vehicle_type, s.make, s.lat, s.lon, s.received_us
                FROM staging s JOIN plates p ON p.text = s.plate
                ORDER BY s.camera_id, s.client_id ",
            $conflict,
            "
                RETURNING camera_id, client_id, captured_us, seq
            ), crops AS (
                INSERT INTO read_crops (seq, captured_us, jpeg)
                SELECT ins.seq, ins.captured_us, s.crop
                FROM ins JOIN staging s USING (camera_id, client_id, captured_us)
                WHERE s.crop IS NOT NULL
            )
            SELECT camera_id, client_id, captured_us, seq FROM ins"
        )
    };
}

/// A batch with no read stored before: a plain insert. (`ON CONFLICT` costs a speculative
/// insertion per row — measured here at about four times the plain insert into the partitioned
/// table — and re-sends are rare, so they take the second statement.)
const MOVE_READS_FAST: &str = move_reads!("");

/// A batch that holds a re-sent read: duplicates are skipped by the per-day unique index.
const MOVE_READS: &str = move_reads!("ON CONFLICT DO NOTHING");

pub(crate) fn ingest(store: &PgReadStore, reads: Vec<ReadRecord>) -> Result<Vec<AppendOutcome>> {
    let mut outcomes = vec![AppendOutcome::Duplicate; reads.len()];
    if reads.is_empty() {
        return Ok(outcomes);
    }
    // The first read of each (camera, client id, day) goes to the database; later ones in the
    // same batch are duplicates without asking it.
    let mut first: HashMap<(i64, &str, i32), usize> = HashMap::with_capacity(reads.len());
    let mut sent = Vec::with_capacity(reads.len());
    for (i, r) in reads.iter().enumerate() {
        let key = (r.camera_id.0, r.client_id.as_str(), day_of(r.captured_us));
        if let std::collections::hash_map::Entry::Vacant(v) = first.entry(key) {
            v.insert(i);
            sent.push(i);
        }
    }
    let days: BTreeSet<i32> = reads.iter().map(|r| day_of(r.captured_us)).collect();
    let inserted = match attempt(store, &reads, &sent, &days) {
        // A day this process believed to exist was dropped meanwhile (by another process's
        // retention): forget the batch's days, so they are made again, and try once more. The
        // failed transaction stored nothing.
        Err(Error::Postgres(e)) if e.code() == Some(&SqlState::CHECK_VIOLATION) => {
            let mut known = store.partitions.lock().unwrap_or_else(|e| e.into_inner());
            for d in &days {
                known.remove(d);
            }
            drop(known);
            attempt(store, &reads, &sent, &days)?
        }
        other => other?,
    };
    let n = inserted.len();
    for (camera, client, captured_us, seq) in inserted {
        if let Some(&i) = first.get(&(camera, client.as_str(), day_of(captured_us))) {
            outcomes[i] = AppendOutcome::Inserted { seq };
        }
    }
    tracing::debug!(
        batch = reads.len(),
        inserted = n,
        "postgres read batch committed"
    );
    Ok(outcomes)
}

/// One try at storing the reads `sent` (indexes into `reads`): missing partitions first, then
/// the batch in one transaction. Answers the inserted rows' (camera, client id, capture time,
/// sequence number).
fn attempt(
    store: &PgReadStore,
    reads: &[ReadRecord],
    sent: &[usize],
    days: &BTreeSet<i32>,
) -> Result<Vec<(i64, String, i64, i64)>> {
    let missing: Vec<i32> = {
        let known = store.partitions.lock().unwrap_or_else(|e| e.into_inner());
        days.iter()
            .copied()
            .filter(|d| !known.contains(d))
            .collect()
    };
    store.with_client(|c| {
        if !missing.is_empty() {
            schema::create_partitions(c, &missing, chrono::Utc::now().timestamp_micros())?;
            store
                .partitions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(missing.iter().copied());
        }
        let mut tx = c.transaction()?;
        {
            let writer = tx.copy_in(COPY)?;
            let mut w = BinaryCopyInWriter::new(writer, &COPY_TYPES);
            for &i in sent {
                let r = &reads[i];
                let ord = i32::try_from(i).unwrap_or(i32::MAX);
                let canon = r.plate.canonical();
                let row: [&(dyn ToSql + Sync); 15] = [
                    &ord,
                    &r.camera_id.0,
                    &r.client_id,
                    &r.captured_us,
                    &r.plate.as_str(),
                    &canon,
                    &r.region,
                    &r.confidence,
                    &r.colour,
                    &r.vehicle_type,
                    &r.make,
                    &r.lat,
                    &r.lon,
                    &r.received_us,
                    &r.crop,
                ];
                w.write(&row)?;
            }
            w.finish()?;
        }
        // Each step as a plain insert under a savepoint first: `ON CONFLICT` costs a
        // speculative insertion per row, and conflicts are rare (a re-sent read, a plate added
        // by a concurrent batch); a unique violation rolls back to the savepoint and the step
        // goes again with `ON CONFLICT`.
        fast_then_safe(&mut tx, NEW_PLATES_FAST, NEW_PLATES)?;
        let rows = fast_then_safe(&mut tx, MOVE_READS_FAST, MOVE_READS)?;
        tx.commit()?;
        Ok(rows
            .iter()
            .map(|row| {
                (
                    row.get::<_, i64>(0),
                    row.get::<_, String>(1),
                    row.get::<_, i64>(2),
                    row.get::<_, i64>(3),
                )
            })
            .collect::<Vec<_>>())
    })
}

/// Runs `fast` under a savepoint; on a unique violation rolls back to it and runs `safe`.
fn fast_then_safe(
    tx: &mut postgres::Transaction<'_>,
    fast: &str,
    safe: &str,
) -> Result<Vec<postgres::Row>> {
    {
        let mut sp = tx.savepoint("fast_path")?;
        match sp.query(fast, &[]) {
            Ok(rows) => {
                sp.commit()?;
                return Ok(rows);
            }
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(tx.query(safe, &[])?)
}

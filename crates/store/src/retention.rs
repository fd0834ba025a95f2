//! Retention: delete reads past each owner's cutoff, keep legal holds, drop emptied partitions.
//!
//! Partitions are shared by all owners of a node, and owners differ in retention (New Hampshire
//! minutes, Virginia 21 days), so retention deletes rows per owner's cameras; a partition is
//! dropped whole once it is empty and in the past, which is the common case for a node whose
//! owners share one retention period.

use crate::dictionary::PlateId;
use crate::partition;
use crate::{LegalHold, Result, Shared};
use rusqlite::Connection;
use serde::Serialize;
use sightline_types::{AgencyId, CameraId};
use std::collections::BTreeMap;

/// One owner's retention cutoff.
#[derive(Debug, Clone, PartialEq)]
pub struct PurgeRule {
    /// The owner.
    pub owner: AgencyId,
    /// Its cameras.
    pub cameras: Vec<CameraId>,
    /// Reads captured before this instant (µs) are deleted unless held.
    pub cutoff_us: i64,
}

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PurgeReport {
    /// Reads deleted per owner.
    pub deleted: BTreeMap<String, u64>,
    /// Partitions dropped (days since the epoch).
    pub dropped_partitions: Vec<i32>,
}

impl PurgeReport {
    /// Tells whether anything was deleted or dropped.
    pub fn is_empty(&self) -> bool {
        self.deleted.values().all(|n| *n == 0) && self.dropped_partitions.is_empty()
    }
}

/// Most reads one retention transaction deletes. Retention runs on the single store writer, so a
/// purge in one transaction made every ingest batch queued behind it wait for the whole of it
/// (seconds under load); in chunks of this size the queued batches are written between chunks.
pub const PURGE_CHUNK: usize = 5_000;

/// What one writer job of a purge does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PurgeStep {
    /// Delete at most this many reads (and drop partitions fully handled) in one transaction.
    Delete(usize),
    /// Change nothing: tell whether a purge would delete or drop anything.
    Check,
}

/// One writer job of a purge. Returns what it did and whether the purge is complete (for
/// [`PurgeStep::Check`]: whether anything is due).
pub(crate) fn purge(
    conn: &mut Connection,
    shared: &Shared,
    rules: &[PurgeRule],
    holds: &[LegalHold],
    now_us: i64,
    step: PurgeStep,
) -> Result<(PurgeReport, bool)> {
    let days: Vec<i32> = shared
        .partitions
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .copied()
        .collect();
    let period = shared.period;
    let now_day = period.of(now_us);
    let held_plates: Vec<(AgencyId, PlateId, i64, i64)> = {
        let dict = shared.dict.read().unwrap_or_else(|e| e.into_inner());
        holds
            .iter()
            .filter(|h| h.released_at.is_none())
            .filter_map(|h| {
                dict.id_of(&h.plate).map(|id| {
                    (
                        h.owner.clone(),
                        id,
                        h.from.timestamp_micros(),
                        h.to.timestamp_micros(),
                    )
                })
            })
            .collect()
    };
    let mut report = PurgeReport::default();
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS purge_cams(id INTEGER PRIMARY KEY);
         CREATE TEMP TABLE IF NOT EXISTS purge_holds(plate_id INTEGER NOT NULL, from_us INTEGER NOT NULL, to_us INTEGER NOT NULL);",
    )?;
    let mut budget = match step {
        PurgeStep::Delete(n) => n.max(1),
        PurgeStep::Check => 0,
    };
    let tx = conn.transaction()?;
    for day in days {
        let t = period.table(day);
        if step != PurgeStep::Check
            && day < now_day
            && let Some(counts) = whole_partition_due(&tx, period, day, rules, &held_plates)?
        {
            // Every read in it is due: drop the tables instead of deleting row by row (no
            // B-tree page rewritten per read). One partition per job, so that ingest batches
            // queued meanwhile are written between drops.
            partition::drop(&tx, period, day)?;
            for (owner, n) in counts {
                *report.deleted.entry(owner).or_default() += n;
            }
            report.dropped_partitions.push(day);
            tx.commit()?;
            let mut parts = shared.partitions.write().unwrap_or_else(|e| e.into_inner());
            for d in &report.dropped_partitions {
                parts.remove(d);
            }
            return Ok((report, false));
        }
        let mut day_done = true;
        for rule in rules
            .iter()
            .filter(|r| period.start(day) < r.cutoff_us && !r.cameras.is_empty())
        {
            // Cameras and holds go through temporary tables, not one growing expression: any
            // number of either stays one short statement (SQLite limits expression depth).
            tx.execute("DELETE FROM temp.purge_cams", [])?;
            tx.execute("DELETE FROM temp.purge_holds", [])?;
            {
                let mut add_cam =
                    tx.prepare("INSERT OR IGNORE INTO temp.purge_cams(id) VALUES (?1)")?;
                for c in &rule.cameras {
                    add_cam.execute([c.0])?;
                }
                let mut add_hold = tx.prepare(
                    "INSERT INTO temp.purge_holds(plate_id, from_us, to_us) VALUES (?1, ?2, ?3)",
                )?;
                for (_, plate, from, to) in held_plates.iter().filter(|(o, ..)| *o == rule.owner) {
                    add_hold.execute([i64::from(plate.0), *from, *to])?;
                }
            }
            let due = format!(
                "SELECT plate_id, captured_us, seq FROM {t} WHERE captured_us < ?1 \
                 AND camera_id IN (SELECT id FROM temp.purge_cams) \
                 AND NOT EXISTS (SELECT 1 FROM temp.purge_holds h WHERE h.plate_id = {t}.plate_id \
                                 AND {t}.captured_us >= h.from_us AND {t}.captured_us < h.to_us)"
            );
            if step == PurgeStep::Check {
                if tx
                    .prepare(&format!("{due} LIMIT 1"))?
                    .exists([rule.cutoff_us])?
                {
                    return Ok((report, true));
                }
                continue;
            }
            // At most `budget` rows, by primary key (the partition has no rowid).
            let sql = format!(
                "DELETE FROM {t} WHERE (plate_id, captured_us, seq) IN ({due} LIMIT ?2) RETURNING seq"
            );
            let limit = i64::try_from(budget).unwrap_or(i64::MAX);
            // A deleted read's crop goes with it.
            let deleted: Vec<i64> = tx
                .prepare(&sql)?
                .query_map([rule.cutoff_us, limit], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            // (A node whose cameras send no pictures skips the lookups.)
            let crops = partition::crops_table(&t);
            let any_crop = tx
                .prepare(&format!("SELECT 1 FROM {crops} LIMIT 1"))?
                .exists([])?;
            if any_crop {
                let mut drop_crop = tx.prepare(&format!("DELETE FROM {crops} WHERE seq = ?1"))?;
                for seq in &deleted {
                    drop_crop.execute([seq])?;
                }
            }
            let n = deleted.len();
            *report.deleted.entry(rule.owner.to_string()).or_default() += n as u64;
            budget -= n.min(budget);
            if budget == 0 {
                // Possibly more of this day: the next chunk goes on from here.
                day_done = false;
                break;
            }
        }
        let empty = !tx
            .prepare(&format!("SELECT 1 FROM {t} LIMIT 1"))?
            .exists([])?;
        if empty && day < now_day {
            if step == PurgeStep::Check {
                return Ok((report, true));
            }
            partition::drop(&tx, period, day)?;
            report.dropped_partitions.push(day);
        }
        if !day_done {
            break;
        }
    }
    if step == PurgeStep::Check {
        return Ok((report, false));
    }
    let done = budget > 0;
    tx.commit()?;
    let mut parts = shared.partitions.write().unwrap_or_else(|e| e.into_inner());
    for d in &report.dropped_partitions {
        parts.remove(d);
    }
    Ok((report, done))
}

/// Tells whether every read of a past partition is due, and if so how many each owner loses:
/// each camera with reads in it belongs to a rule whose cutoff is at or after the partition's
/// end, and no active hold of that owner covers a read in it. `None`: delete row by row.
fn whole_partition_due(
    tx: &rusqlite::Transaction<'_>,
    period: partition::Period,
    day: i32,
    rules: &[PurgeRule],
    held_plates: &[(AgencyId, PlateId, i64, i64)],
) -> Result<Option<BTreeMap<String, u64>>> {
    let t = period.table(day);
    let (start, end) = (period.start(day), period.start(day + 1));
    // Answered from the (camera, time) index without visiting the rows.
    let per_camera: Vec<(i64, u64)> = tx
        .prepare(&format!(
            "SELECT camera_id, count(*) FROM {t} INDEXED BY {t}_camtime GROUP BY camera_id"
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    if per_camera.is_empty() {
        // An empty partition is dropped by the row-by-row path.
        return Ok(None);
    }
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut owners: Vec<&AgencyId> = Vec::new();
    for (camera, n) in per_camera {
        let Some(rule) = rules
            .iter()
            .find(|r| r.cameras.iter().any(|c| c.0 == camera))
        else {
            return Ok(None);
        };
        if rule.cutoff_us < end {
            return Ok(None);
        }
        *counts.entry(rule.owner.to_string()).or_default() += n;
        if !owners.contains(&&rule.owner) {
            owners.push(&rule.owner);
        }
    }
    let mut held = tx.prepare(&format!(
        "SELECT 1 FROM {t} WHERE plate_id = ?1 AND captured_us >= ?2 AND captured_us < ?3 LIMIT 1"
    ))?;
    for (_, plate, from, to) in held_plates
        .iter()
        .filter(|(o, _, from, to)| owners.contains(&o) && *from < end && *to > start)
    {
        if held.exists((i64::from(plate.0), (*from).max(start), (*to).min(end)))? {
            return Ok(None);
        }
    }
    Ok(Some(counts))
}

impl PurgeReport {
    /// Adds one chunk's figures.
    pub(crate) fn add(&mut self, other: PurgeReport) {
        for (owner, n) in other.deleted {
            *self.deleted.entry(owner).or_default() += n;
        }
        self.dropped_partitions.extend(other.dropped_partitions);
    }
}

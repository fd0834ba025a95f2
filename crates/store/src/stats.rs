//! Counts of stored reads per camera for the transparency report: how many reads each camera's
//! owner holds, how many are recent, and when the oldest was taken. Counts only — no plate, no
//! read leaves here — so this is directory-grade data, not a plate query.
//!
//! One grouped query per partition (`GROUP BY camera_id` with `min(captured_us)`), which SQLite
//! answers from the partition's `(camera_id, captured_us)` index without visiting the rows.

use crate::query::is_missing_table;
use crate::{Result, Store};
use sightline_types::CameraId;
use std::collections::HashMap;

/// What the store holds of one camera's reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CameraReadStats {
    /// Reads stored.
    pub held: u64,
    /// Of those, reads captured at or after the `since` instant asked for.
    pub since: u64,
    /// Capture time of the oldest stored read, µs since the epoch.
    pub oldest_us: Option<i64>,
}

impl Store {
    /// Reads held per camera (every partition), with the count captured since `since_us` and the
    /// oldest capture time.
    ///
    /// # Errors
    /// Database failures.
    pub fn read_stats_per_camera(
        &self,
        since_us: i64,
    ) -> Result<HashMap<CameraId, CameraReadStats>> {
        let days: Vec<i32> = self
            .shared
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect();
        self.with_reader(|c| {
            let mut out: HashMap<CameraId, CameraReadStats> = HashMap::new();
            for day in days {
                let sql = format!(
                    "SELECT camera_id, count(*), sum(captured_us >= ?1), min(captured_us) FROM {} GROUP BY camera_id",
                    self.shared.period.table(day)
                );
                let mut stmt = match c.prepare(&sql) {
                    Ok(s) => s,
                    Err(e) if is_missing_table(&e) => continue,
                    Err(e) => return Err(e.into()),
                };
                let rows = stmt.query_map([since_us], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, u64>(1)?,
                        r.get::<_, u64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?;
                for row in rows {
                    let (cam, held, since, oldest) = row?;
                    let s = out.entry(CameraId(cam)).or_default();
                    s.held += held;
                    s.since += since;
                    s.oldest_us = Some(s.oldest_us.map_or(oldest, |o| o.min(oldest)));
                }
            }
            Ok(out)
        })
    }
}

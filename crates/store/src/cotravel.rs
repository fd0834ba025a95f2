//! Store access for the analysis searches (multi-location, convoy): sightings at given cameras in
//! a window through each partition's `(camera_id, captured_us)` index, sightings of given plates
//! through the primary key, and full reads by key. Like the plate queries, only `sightline-search`
//! may call these (`clippy.toml`), after policy has narrowed the cameras and before the audit
//! entry is written.

use crate::dictionary::PlateId;
use crate::query::{COLS, Row, is_missing_table, map_row};
use crate::{Result, Store};
use sightline_types::{CameraId, StoredRead};
use std::collections::{HashMap, HashSet};

/// One sighting, without its details: enough to relate reads across places and times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sighting {
    /// The plate (dictionary id).
    pub plate: PlateId,
    /// Capture time, µs.
    pub captured_us: i64,
    /// Read sequence number.
    pub seq: i64,
    /// The camera.
    pub camera: CameraId,
}

impl Store {
    /// The partitions (existing ones) that `[from_us, to_us)` touches, oldest first.
    fn partitions_in(&self, from_us: i64, to_us: i64) -> Vec<i32> {
        if to_us <= from_us {
            return Vec::new();
        }
        let period = self.shared.period;
        self.shared
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .range(period.of(from_us)..=period.of(to_us - 1))
            .copied()
            .collect()
    }

    /// Sightings at `cameras` captured in `[from_us, to_us)`, read through the (camera, time)
    /// index: one range per camera and partition, never the other cameras' rows. Returns at most
    /// `cap` sightings and whether more matched.
    ///
    /// # Errors
    /// Database failures.
    pub fn sightings_at(
        &self,
        cameras: &[CameraId],
        from_us: i64,
        to_us: i64,
        cap: usize,
    ) -> Result<(Vec<Sighting>, bool)> {
        let days = self.partitions_in(from_us, to_us);
        if cameras.is_empty() || days.is_empty() {
            return Ok((Vec::new(), false));
        }
        let period = self.shared.period;
        self.with_reader(|c| {
            let mut out = Vec::new();
            for day in days {
                let t = period.table(day);
                let sql = format!(
                    "SELECT plate_id, captured_us, seq FROM {t} INDEXED BY {t}_camtime \
                     WHERE camera_id = ?1 AND captured_us >= ?2 AND captured_us < ?3"
                );
                let mut stmt = match c.prepare_cached(&sql) {
                    Ok(s) => s,
                    // Retention may drop a partition between listing and reading it.
                    Err(e) if is_missing_table(&e) => continue,
                    Err(e) => return Err(e.into()),
                };
                for cam in cameras {
                    let rows = stmt.query_map((cam.0, from_us, to_us), |r| {
                        Ok(Sighting {
                            plate: PlateId(r.get(0)?),
                            captured_us: r.get(1)?,
                            seq: r.get(2)?,
                            camera: *cam,
                        })
                    })?;
                    for s in rows {
                        if out.len() >= cap {
                            return Ok((out, true));
                        }
                        out.push(s?);
                    }
                }
            }
            Ok((out, false))
        })
    }

    /// How many reads `cameras` captured in `[from_us, to_us)`: counted on the (camera, time)
    /// index alone (no row is visited, nothing but the count leaves). The analysis query plan
    /// uses it to pick the rarest place first.
    ///
    /// # Errors
    /// Database failures.
    pub fn count_at(&self, cameras: &[CameraId], from_us: i64, to_us: i64) -> Result<u64> {
        let days = self.partitions_in(from_us, to_us);
        if cameras.is_empty() || days.is_empty() {
            return Ok(0);
        }
        let period = self.shared.period;
        self.with_reader(|c| {
            let mut n = 0u64;
            for day in days {
                let t = period.table(day);
                let sql = format!(
                    "SELECT count(*) FROM {t} INDEXED BY {t}_camtime \
                     WHERE camera_id = ?1 AND captured_us >= ?2 AND captured_us < ?3"
                );
                let mut stmt = match c.prepare_cached(&sql) {
                    Ok(s) => s,
                    Err(e) if is_missing_table(&e) => continue,
                    Err(e) => return Err(e.into()),
                };
                for cam in cameras {
                    n += stmt.query_row((cam.0, from_us, to_us), |r| r.get::<_, u64>(0))?;
                }
            }
            Ok(n)
        })
    }

    /// How many partitions `[from_us, to_us)` touches (the primary-key lookups one plate costs
    /// in that window).
    pub fn partitions_touched(&self, from_us: i64, to_us: i64) -> usize {
        self.partitions_in(from_us, to_us).len()
    }

    /// Sightings of each of `plates` in `[from_us, to_us)` at any of `cameras`, through the
    /// primary key: one range per plate and partition, on one connection, plates in key order.
    /// Plates with no such sighting are absent from the answer. `None` as soon as more than
    /// `max_rows` rows (the plates' reads at any camera) were read: the caller then scans the
    /// cameras instead.
    ///
    /// # Errors
    /// Database failures.
    pub fn sightings_of_many(
        &self,
        plates: &[PlateId],
        from_us: i64,
        to_us: i64,
        cameras: &HashSet<CameraId>,
        max_rows: u64,
    ) -> Result<Option<HashMap<PlateId, Vec<Sighting>>>> {
        let days = self.partitions_in(from_us, to_us);
        let mut sorted: Vec<PlateId> = plates.to_vec();
        sorted.sort_unstable_by_key(|p| p.0);
        sorted.dedup();
        let period = self.shared.period;
        self.with_reader(|c| {
            let mut out: HashMap<PlateId, Vec<Sighting>> = HashMap::new();
            if cameras.is_empty() {
                return Ok(Some(out));
            }
            let mut read = 0u64;
            for day in days {
                let t = period.table(day);
                let sql = format!(
                    "SELECT captured_us, seq, camera_id FROM {t} \
                     WHERE plate_id = ?1 AND captured_us >= ?2 AND captured_us < ?3"
                );
                let mut stmt = match c.prepare_cached(&sql) {
                    Ok(s) => s,
                    Err(e) if is_missing_table(&e) => continue,
                    Err(e) => return Err(e.into()),
                };
                for &plate in &sorted {
                    let mut rows = stmt.query((plate.0, from_us, to_us))?;
                    while let Some(r) = rows.next()? {
                        read += 1;
                        if read > max_rows {
                            return Ok(None);
                        }
                        let cam = CameraId(r.get(2)?);
                        if cameras.contains(&cam) {
                            out.entry(plate).or_default().push(Sighting {
                                plate,
                                captured_us: r.get(0)?,
                                seq: r.get(1)?,
                                camera: cam,
                            });
                        }
                    }
                }
            }
            Ok(Some(out))
        })
    }

    /// Sightings of `plate` in `[from_us, to_us)` at any of `cameras`, through the primary key.
    ///
    /// # Errors
    /// Database failures.
    pub fn sightings_of(
        &self,
        plate: PlateId,
        from_us: i64,
        to_us: i64,
        cameras: &HashSet<CameraId>,
    ) -> Result<Vec<Sighting>> {
        let days = self.partitions_in(from_us, to_us);
        let period = self.shared.period;
        self.with_reader(|c| {
            let mut out = Vec::new();
            for day in days {
                let t = period.table(day);
                let sql = format!(
                    "SELECT captured_us, seq, camera_id FROM {t} \
                     WHERE plate_id = ?1 AND captured_us >= ?2 AND captured_us < ?3"
                );
                let mut stmt = match c.prepare_cached(&sql) {
                    Ok(s) => s,
                    Err(e) if is_missing_table(&e) => continue,
                    Err(e) => return Err(e.into()),
                };
                let rows = stmt.query_map((plate.0, from_us, to_us), |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })?;
                for r in rows {
                    let (captured_us, seq, cam) = r?;
                    if cameras.contains(&CameraId(cam)) {
                        out.push(Sighting {
                            plate,
                            captured_us,
                            seq,
                            camera: CameraId(cam),
                        });
                    }
                }
            }
            Ok(out)
        })
    }

    /// Loads the full reads of `sightings` (by primary key), in the order given; sightings whose
    /// read is gone (purged since) are left out.
    ///
    /// # Errors
    /// Database failures.
    pub fn reads_of(&self, sightings: &[Sighting], with_crops: bool) -> Result<Vec<StoredRead>> {
        let period = self.shared.period;
        let rows = self.with_reader(|c| {
            let mut rows: Vec<Row> = Vec::with_capacity(sightings.len());
            for s in sightings {
                let t = period.table(period.of(s.captured_us));
                let sql = format!(
                    "SELECT {COLS} FROM {t} WHERE plate_id = ?1 AND captured_us = ?2 AND seq = ?3"
                );
                let mut stmt = match c.prepare_cached(&sql) {
                    Ok(s) => s,
                    Err(e) if is_missing_table(&e) => continue,
                    Err(e) => return Err(e.into()),
                };
                let mut it = stmt.query_map((s.plate.0, s.captured_us, s.seq), map_row)?;
                if let Some(r) = it.next() {
                    rows.push(r?);
                }
            }
            Ok(rows)
        })?;
        let mut reads = self.to_stored(rows);
        if with_crops {
            self.load_crops(&mut reads)?;
        }
        Ok(reads)
    }

    /// The dictionary id of a plate, if it was ever read.
    pub fn plate_id(&self, plate: &str) -> Option<PlateId> {
        self.shared
            .dict
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .id_of(plate)
    }

    /// The text of a plate id.
    pub fn plate_text(&self, id: PlateId) -> Option<String> {
        self.shared
            .dict
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .text_of(id)
            .map(str::to_owned)
    }
}

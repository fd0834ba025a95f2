//! Plate-data queries. Only the `search` crate may call these (enforced by `clippy.toml`'s
//! disallowed-methods list), because only it evaluates policy and writes the audit entry first.

use crate::dictionary::PlateId;

use crate::{Result, Store};
use rusqlite::{Connection, OptionalExtension};
use sightline_types::{CameraId, PlatePattern, PlateText, StoredRead, VehicleAttributes};
use std::collections::HashSet;

/// Most plates a wildcard or fuzzy query may resolve to.
pub const MAX_RESOLVED_PLATES: usize = 10_000;

/// Which plates a plate query means.
#[derive(Debug, Clone, PartialEq)]
pub enum PlateSelector {
    /// This plate.
    Exact(PlateText),
    /// A wildcard pattern.
    Wildcard(PlatePattern),
    /// Same canonical key, or one edit from it.
    Fuzzy(PlateText),
}

/// What rows to read.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadSelector {
    /// Reads of these plates.
    Plates(Vec<PlateId>),
    /// Reads whose attributes match every given field.
    Description(VehicleAttributes),
}

/// A read query, already narrowed by policy to the cameras whose owners allowed it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadQuery {
    /// What to match.
    pub selector: ReadSelector,
    /// Window start, microseconds (inclusive).
    pub from_us: i64,
    /// Window end, microseconds (exclusive).
    pub to_us: i64,
    /// Only rows from these cameras.
    pub cameras: HashSet<CameraId>,
    /// Most rows to return.
    pub limit: usize,
    /// Also load each returned read's plate crop.
    pub with_crops: bool,
}

/// Raw columns of one partition row.
pub(crate) type Row = (
    u32,
    i64,
    i64,
    i64,
    String,
    Option<String>,
    Option<f64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
);

pub(crate) const COLS: &str = "plate_id, captured_us, seq, camera_id, client_id, region, confidence, colour, vehicle_type, make, lat, lon";

pub(crate) fn map_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

pub(crate) fn is_missing_table(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(_, Some(m)) if m.starts_with("no such table"))
}

impl Store {
    /// Resolves a plate query to dictionary ids; the flag is true when capped.
    ///
    /// # Errors
    /// Database failures.
    pub fn resolve_plates(&self, sel: &PlateSelector) -> Result<(Vec<PlateId>, bool)> {
        let dict = || self.shared.dict.read().unwrap_or_else(|e| e.into_inner());
        match sel {
            PlateSelector::Exact(p) => Ok((dict().id_of(p.as_str()).into_iter().collect(), false)),
            PlateSelector::Wildcard(pat) => {
                let mut ids = dict().match_pattern(pat, MAX_RESOLVED_PLATES + 1);
                let capped = ids.len() > MAX_RESOLVED_PLATES;
                ids.truncate(MAX_RESOLVED_PLATES);
                Ok((ids, capped))
            }
            PlateSelector::Fuzzy(p) => {
                let key = p.canonical();
                let mut keys = sightline_types::plate::canonical_neighbours(&key);
                keys.push(key);
                let ids = self.with_reader(|c| {
                    let mut stmt = c.prepare_cached("SELECT id FROM plates WHERE canon = ?1")?;
                    let mut ids = Vec::new();
                    for k in &keys {
                        for id in stmt.query_map([k], |r| r.get::<_, u32>(0))? {
                            ids.push(PlateId(id?));
                        }
                    }
                    Ok(ids)
                })?;
                let capped = ids.len() > MAX_RESOLVED_PLATES;
                Ok((ids.into_iter().take(MAX_RESOLVED_PLATES).collect(), capped))
            }
        }
    }

    /// Runs a read query over the partitions the window touches, newest first. Returns the rows
    /// (at most `limit`) and whether more matched.
    ///
    /// # Errors
    /// Database failures.
    pub fn query_reads(&self, q: &ReadQuery) -> Result<(Vec<StoredRead>, bool)> {
        if q.to_us <= q.from_us || q.cameras.is_empty() || q.limit == 0 {
            return Ok((Vec::new(), false));
        }
        let period = self.shared.period;
        let first = period.of(q.from_us);
        let last = period.of(q.to_us - 1);
        let days: Vec<i32> = self
            .shared
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .range(first..=last)
            .rev()
            .copied()
            .collect();
        let rows = self.with_reader(|c| {
            let mut rows: Vec<Row> = Vec::new();
            for day in days {
                match query_day(c, &period.table(day), q, &mut rows) {
                    Ok(()) => {}
                    // Retention may drop a partition between listing and reading it.
                    Err(crate::Error::Sqlite(e)) if is_missing_table(&e) => {}
                    Err(e) => return Err(e),
                }
                if rows.len() > q.limit {
                    break;
                }
            }
            Ok(rows)
        })?;
        let mut reads = self.to_stored(rows);
        reads.sort_by(|a, b| b.captured_at.cmp(&a.captured_at).then(b.seq.cmp(&a.seq)));
        let truncated = reads.len() > q.limit;
        reads.truncate(q.limit);
        if q.with_crops {
            self.load_crops(&mut reads)?;
        }
        Ok((reads, truncated))
    }

    /// Fills in the plate crop of each read that has one (base64 JPEG).
    pub(crate) fn load_crops(&self, reads: &mut [StoredRead]) -> Result<()> {
        use base64::Engine as _;
        let period = self.shared.period;
        self.with_reader(|c| {
            for r in reads.iter_mut() {
                let t = period.table(period.of(r.captured_at.timestamp_micros()));
                let sql = format!(
                    "SELECT jpeg FROM {} WHERE seq = ?1",
                    crate::partition::crops_table(&t)
                );
                let jpeg: Option<Vec<u8>> = match c.prepare_cached(&sql) {
                    Ok(mut stmt) => stmt.query_row([r.seq], |row| row.get(0)).optional()?,
                    // Retention may drop a partition between the query and this.
                    Err(e) if is_missing_table(&e) => None,
                    Err(e) => return Err(e.into()),
                };
                r.crop = jpeg.map(|b| base64::engine::general_purpose::STANDARD.encode(b));
            }
            Ok(())
        })
    }

    pub(crate) fn to_stored(&self, rows: Vec<Row>) -> Vec<StoredRead> {
        let dict = self.shared.dict.read().unwrap_or_else(|e| e.into_inner());
        let cams = self
            .shared
            .cameras
            .read()
            .unwrap_or_else(|e| e.into_inner());
        rows.into_iter()
            .filter_map(|r| {
                let cam = cams.get(&CameraId(r.3))?;
                Some(StoredRead {
                    seq: r.2,
                    id: r.4,
                    camera_id: cam.id,
                    camera_name: cam.name.clone(),
                    owner: cam.owner.clone(),
                    captured_at: chrono::DateTime::from_timestamp_micros(r.1)?,
                    plate: dict.text_of(PlateId(r.0))?.to_owned(),
                    region: r.5,
                    confidence: r.6,
                    attributes: VehicleAttributes {
                        colour: r.7,
                        vehicle_type: r.8,
                        make: r.9,
                    },
                    lat: r.10.unwrap_or(cam.lat),
                    lon: r.11.unwrap_or(cam.lon),
                    crop: None,
                })
            })
            .collect()
    }
}

fn query_day(c: &Connection, t: &str, q: &ReadQuery, rows: &mut Vec<Row>) -> Result<()> {
    let allowed = |r: &Row| q.cameras.contains(&CameraId(r.3));
    match &q.selector {
        ReadSelector::Plates(ids) => {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLS} FROM {t} WHERE plate_id = ?1 AND captured_us >= ?2 AND captured_us < ?3"
            ))?;
            for id in ids {
                for r in stmt.query_map((id.0, q.from_us, q.to_us), map_row)? {
                    let r = r?;
                    if allowed(&r) {
                        rows.push(r);
                    }
                }
            }
        }
        ReadSelector::Description(d) => {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLS} FROM {t} INDEXED BY {t}_time WHERE captured_us >= ?1 AND captured_us < ?2 \
                 AND (?3 IS NULL OR colour = ?3) AND (?4 IS NULL OR vehicle_type = ?4) \
                 ORDER BY captured_us DESC"
            ))?;
            let mut it =
                stmt.query_map((q.from_us, q.to_us, &d.colour, &d.vehicle_type), map_row)?;
            while rows.len() <= q.limit {
                let Some(r) = it.next() else { break };
                let r = r?;
                let make_ok = d
                    .make
                    .as_ref()
                    .is_none_or(|m| r.9.as_ref().is_some_and(|x| x.eq_ignore_ascii_case(m)));
                if make_ok && allowed(&r) {
                    rows.push(r);
                }
            }
        }
    }
    Ok(())
}

impl Store {
    /// Tells whether a read with this camera and client id is stored in the partition of its capture
    /// day. For durability checks; listed in `clippy.toml` like the other plate-data accessors.
    ///
    /// # Errors
    /// Database failures.
    pub fn contains_read(
        &self,
        camera: CameraId,
        client_id: &str,
        captured_us: i64,
    ) -> Result<bool> {
        let period = self.shared.period;
        let day = period.of(captured_us);
        if !self
            .shared
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&day)
        {
            return Ok(false);
        }
        self.with_reader(|c| {
            let sql = format!(
                "SELECT 1 FROM {} WHERE camera_id = ?1 AND client_id = ?2",
                period.table(day)
            );
            let found = c.prepare_cached(&sql)?.exists((camera.0, client_id))?;
            Ok(found)
        })
    }
}

impl Store {
    /// Counts reads per camera captured at or after `since_us` (aggregate figures for
    /// transparency reports; no plate data leaves).
    ///
    /// # Errors
    /// Database failures.
    pub fn count_reads_per_camera(
        &self,
        since_us: i64,
    ) -> Result<std::collections::HashMap<CameraId, u64>> {
        let days: Vec<i32> = self
            .shared
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .range(self.shared.period.of(since_us)..)
            .copied()
            .collect();
        self.with_reader(|c| {
            let mut out = std::collections::HashMap::new();
            for day in days {
                let sql = format!(
                    "SELECT camera_id, count(*) FROM {} INDEXED BY {}_time WHERE captured_us >= ?1 GROUP BY camera_id",
                    self.shared.period.table(day),
                    self.shared.period.table(day)
                );
                let mut stmt = match c.prepare(&sql) {
                    Ok(s) => s,
                    Err(e) if is_missing_table(&e) => continue,
                    Err(e) => return Err(e.into()),
                };
                for row in stmt.query_map([since_us], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, u64>(1)?)))? {
                    let (cam, n) = row?;
                    *out.entry(CameraId(cam)).or_insert(0) += n;
                }
            }
            Ok(out)
        })
    }
}

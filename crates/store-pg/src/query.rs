//! Plate-data queries: plate resolution through the dictionary (`pg_trgm` for wildcards, the
//! canonical-key index for fuzzy candidates), reads by plate or description in a window at the
//! allowed cameras (partition pruning on `captured_us`), the analysis searches' sightings, and
//! crops beside their reads.

use crate::schema::{day_of, day_start};
use crate::{Error, PgReadStore, Result};
use postgres::Row;
use sightline_store::{
    MAX_RESOLVED_PLATES, PlateId, PlateSelector, ReadQuery, ReadSelector, Sighting,
};
use sightline_types::{CameraId, PlatePattern, StoredRead, VehicleAttributes};
use std::collections::{HashMap, HashSet};

/// The columns [`to_stored`] reads, with `r` the reads and `p` the plates.
const COLS: &str = "p.text, r.captured_us, r.seq, r.camera_id, r.client_id, r.region, \
    r.confidence, r.colour, r.vehicle_type, r.make, r.lat, r.lon";

fn plate_id(id: i64) -> Result<PlateId> {
    u32::try_from(id)
        .map(PlateId)
        .map_err(|_| Error::Corrupt(format!("plate id {id} out of range")))
}

fn ids_param(ids: &[PlateId]) -> Vec<i64> {
    ids.iter().map(|p| i64::from(p.0)).collect()
}

fn limit_param(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A `LIKE` pattern for a wildcard pattern: `*` → `%`, `?` → `_` (plate characters are letters
/// and digits, so nothing needs escaping; `\` is escaped anyway).
pub(crate) fn like_pattern(p: &PlatePattern) -> String {
    let mut out = String::with_capacity(p.as_str().len() + 2);
    for ch in p.as_str().chars() {
        match ch {
            '*' => out.push('%'),
            '?' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn resolve_plates(
    store: &PgReadStore,
    sel: &PlateSelector,
) -> Result<(Vec<PlateId>, bool)> {
    let cap = limit_param(MAX_RESOLVED_PLATES + 1);
    let rows = store.with_client(|c| {
        Ok(match sel {
            PlateSelector::Exact(p) => {
                c.query("SELECT id FROM plates WHERE text = $1", &[&p.as_str()])?
            }
            // The trigram index answers LIKE with a literal of three or more characters; the
            // pattern's own matcher checks each candidate below all the same.
            PlateSelector::Wildcard(pat) => c.query(
                "SELECT id, text FROM plates WHERE text LIKE $1 ORDER BY id LIMIT $2",
                &[&like_pattern(pat), &cap],
            )?,
            // Exactly the SQLite store's candidates: plates whose canonical key is the query's
            // or one edit from it. (Trigram similarity misses one-edit neighbours of short
            // plates — 'ABCD' and 'ABXD' score 0.25 — so it does not choose fuzzy candidates.)
            PlateSelector::Fuzzy(p) => {
                let key = p.canonical();
                let mut keys = sightline_types::plate::canonical_neighbours(&key);
                keys.push(key);
                c.query(
                    "SELECT id FROM plates WHERE canon = ANY($1) ORDER BY id LIMIT $2",
                    &[&keys, &cap],
                )?
            }
        })
    })?;
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        if let PlateSelector::Wildcard(pat) = sel
            && !pat.matches(row.get::<_, &str>(1))
        {
            continue;
        }
        ids.push(plate_id(row.get(0))?);
    }
    let capped = ids.len() > MAX_RESOLVED_PLATES;
    ids.truncate(MAX_RESOLVED_PLATES);
    Ok((ids, capped))
}

pub(crate) fn query_reads(store: &PgReadStore, q: &ReadQuery) -> Result<(Vec<StoredRead>, bool)> {
    if q.to_us <= q.from_us || q.cameras.is_empty() || q.limit == 0 {
        return Ok((Vec::new(), false));
    }
    let cams: Vec<i64> = q.cameras.iter().map(|c| c.0).collect();
    let limit = limit_param(q.limit.saturating_add(1));
    let rows = store.with_client(|c| {
        Ok(match &q.selector {
            ReadSelector::Plates(ids) => {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                c.query(
                    &format!(
                        "SELECT {COLS} FROM reads r JOIN plates p ON p.id = r.plate_id \
                         WHERE r.plate_id = ANY($1) AND r.captured_us >= $2 AND r.captured_us < $3 \
                         AND r.camera_id = ANY($4) ORDER BY r.captured_us DESC, r.seq DESC LIMIT $5"
                    ),
                    &[&ids_param(ids), &q.from_us, &q.to_us, &cams, &limit],
                )?
            }
            ReadSelector::Description(d) => c.query(
                &format!(
                    "SELECT {COLS} FROM reads r JOIN plates p ON p.id = r.plate_id \
                     WHERE r.captured_us >= $1 AND r.captured_us < $2 \
                     AND ($3::text IS NULL OR r.colour = $3) \
                     AND ($4::text IS NULL OR r.vehicle_type = $4) \
                     AND ($5::text IS NULL OR lower(r.make) = lower($5)) \
                     AND r.camera_id = ANY($6) ORDER BY r.captured_us DESC, r.seq DESC LIMIT $7"
                ),
                &[
                    &q.from_us,
                    &q.to_us,
                    &d.colour,
                    &d.vehicle_type,
                    &d.make,
                    &cams,
                    &limit,
                ],
            )?,
        })
    })?;
    let mut reads = to_stored(store, &rows);
    let truncated = reads.len() > q.limit;
    reads.truncate(q.limit);
    if q.with_crops {
        load_crops(store, &mut reads)?;
    }
    Ok((reads, truncated))
}

/// Rows (in [`COLS`] order) to reads; rows of cameras the store was not told about are left
/// out.
fn to_stored(store: &PgReadStore, rows: &[Row]) -> Vec<StoredRead> {
    let cams = store.cameras.read().unwrap_or_else(|e| e.into_inner());
    rows.iter()
        .filter_map(|r| {
            let cam = cams.get(&CameraId(r.get(3)))?;
            Some(StoredRead {
                seq: r.get(2),
                id: r.get(4),
                camera_id: cam.id,
                camera_name: cam.name.clone(),
                owner: cam.owner.clone(),
                captured_at: chrono::DateTime::from_timestamp_micros(r.get(1))?,
                plate: r.get(0),
                region: r.get(5),
                confidence: r.get(6),
                attributes: VehicleAttributes {
                    colour: r.get(7),
                    vehicle_type: r.get(8),
                    make: r.get(9),
                },
                lat: r.get::<_, Option<f64>>(10).unwrap_or(cam.lat),
                lon: r.get::<_, Option<f64>>(11).unwrap_or(cam.lon),
                crop: None,
            })
        })
        .collect()
}

/// Fills in each read's crop (base64 JPEG) where one is stored, by (capture time, sequence
/// number), so each lookup is pruned to the read's partition.
fn load_crops(store: &PgReadStore, reads: &mut [StoredRead]) -> Result<()> {
    use base64::Engine as _;
    if reads.is_empty() {
        return Ok(());
    }
    let at: Vec<i64> = reads
        .iter()
        .map(|r| r.captured_at.timestamp_micros())
        .collect();
    let seqs: Vec<i64> = reads.iter().map(|r| r.seq).collect();
    let rows = store.with_client(|c| {
        c.query(
            "SELECT c.seq, c.jpeg FROM read_crops c \
             JOIN unnest($1::bigint[], $2::bigint[]) AS k(at, seq) \
             ON c.captured_us = k.at AND c.seq = k.seq",
            &[&at, &seqs],
        )
    })?;
    let mut by_seq: HashMap<i64, Vec<u8>> = rows
        .iter()
        .map(|r| (r.get::<_, i64>(0), r.get::<_, Vec<u8>>(1)))
        .collect();
    for r in reads.iter_mut() {
        r.crop = by_seq
            .remove(&r.seq)
            .map(|b| base64::engine::general_purpose::STANDARD.encode(b));
    }
    Ok(())
}

pub(crate) fn contains_read(
    store: &PgReadStore,
    camera: CameraId,
    client_id: &str,
    captured_us: i64,
) -> Result<bool> {
    let day = day_of(captured_us);
    let (from, to) = (day_start(day), day_start(day + 1));
    store.with_client(|c| {
        Ok(c.query_opt(
            "SELECT 1 FROM reads WHERE camera_id = $1 AND client_id = $2 \
             AND captured_us >= $3 AND captured_us < $4 LIMIT 1",
            &[&camera.0, &client_id, &from, &to],
        )?
        .is_some())
    })
}

fn sighting(r: &Row) -> Result<Sighting> {
    Ok(Sighting {
        plate: plate_id(r.get(0))?,
        captured_us: r.get(1),
        seq: r.get(2),
        camera: CameraId(r.get(3)),
    })
}

pub(crate) fn sightings_at(
    store: &PgReadStore,
    cameras: &[CameraId],
    from_us: i64,
    to_us: i64,
    cap: usize,
) -> Result<(Vec<Sighting>, bool)> {
    if cameras.is_empty() || to_us <= from_us {
        return Ok((Vec::new(), false));
    }
    let cams: Vec<i64> = cameras.iter().map(|c| c.0).collect();
    let rows = store.with_client(|c| {
        c.query(
            "SELECT plate_id, captured_us, seq, camera_id FROM reads \
             WHERE camera_id = ANY($1) AND captured_us >= $2 AND captured_us < $3 \
             ORDER BY captured_us, seq LIMIT $4",
            &[&cams, &from_us, &to_us, &limit_param(cap.saturating_add(1))],
        )
    })?;
    let mut out = rows.iter().map(sighting).collect::<Result<Vec<_>>>()?;
    let more = out.len() > cap;
    out.truncate(cap);
    Ok((out, more))
}

pub(crate) fn sightings_of(
    store: &PgReadStore,
    plate: PlateId,
    from_us: i64,
    to_us: i64,
    cameras: &HashSet<CameraId>,
) -> Result<Vec<Sighting>> {
    if cameras.is_empty() || to_us <= from_us {
        return Ok(Vec::new());
    }
    let cams: Vec<i64> = cameras.iter().map(|c| c.0).collect();
    let rows = store.with_client(|c| {
        c.query(
            "SELECT plate_id, captured_us, seq, camera_id FROM reads \
             WHERE plate_id = $1 AND captured_us >= $2 AND captured_us < $3 \
             AND camera_id = ANY($4) ORDER BY captured_us, seq",
            &[&i64::from(plate.0), &from_us, &to_us, &cams],
        )
    })?;
    rows.iter().map(sighting).collect()
}

pub(crate) fn reads_of(
    store: &PgReadStore,
    sightings: &[Sighting],
    with_crops: bool,
) -> Result<Vec<StoredRead>> {
    if sightings.is_empty() {
        return Ok(Vec::new());
    }
    let plates: Vec<i64> = sightings.iter().map(|s| i64::from(s.plate.0)).collect();
    let at: Vec<i64> = sightings.iter().map(|s| s.captured_us).collect();
    let seqs: Vec<i64> = sightings.iter().map(|s| s.seq).collect();
    let rows = store.with_client(|c| {
        c.query(
            &format!(
                "SELECT {COLS} FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) \
                 WITH ORDINALITY AS k(plate_id, at, seq, ord) \
                 JOIN reads r ON r.plate_id = k.plate_id AND r.captured_us = k.at AND r.seq = k.seq \
                 JOIN plates p ON p.id = r.plate_id ORDER BY k.ord"
            ),
            &[&plates, &at, &seqs],
        )
    })?;
    let mut reads = to_stored(store, &rows);
    if with_crops {
        load_crops(store, &mut reads)?;
    }
    Ok(reads)
}

pub(crate) fn plate_id_of(store: &PgReadStore, plate: &str) -> Result<Option<PlateId>> {
    store
        .with_client(|c| c.query_opt("SELECT id FROM plates WHERE text = $1", &[&plate]))?
        .map(|r| plate_id(r.get(0)))
        .transpose()
}

pub(crate) fn plate_text(store: &PgReadStore, id: PlateId) -> Result<Option<String>> {
    store.with_client(|c| {
        Ok(
            c.query_opt("SELECT text FROM plates WHERE id = $1", &[&i64::from(id.0)])?
                .map(|r| r.get(0)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_like_pattern() {
        let p = |s: &str| like_pattern(&PlatePattern::parse(s).unwrap());
        assert_eq!(p("ABC*"), "ABC%");
        assert_eq!(p("?BC1*2"), "_BC1%2");
        assert_eq!(p("**A"), "%A");
    }
}

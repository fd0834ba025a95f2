//! Day partitions: naming, creation, and the list of existing days.
//!
//! A read belongs to the partition of its capture day in UTC. Days are counted from the Unix
//! epoch; the table name spells the calendar date so that an operator can read it.

use crate::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::collections::BTreeSet;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Returns the day number (days since 1970-01-01 UTC) of a timestamp in microseconds.
pub fn day_of(us: i64) -> i32 {
    i32::try_from(us.div_euclid(MICROS_PER_DAY)).unwrap_or(i32::MAX)
}

/// Returns the first microsecond of a day.
pub fn day_start(day: i32) -> i64 {
    i64::from(day) * MICROS_PER_DAY
}

/// The length of a partition: a whole number of hours dividing a day (24 by default: day
/// partitions), or a whole number of minutes dividing a day. Shorter periods keep the partition
/// being written small, which bounds the pages a commit rewrites when a node ingests a very large
/// number of reads per day, and let retention of minutes (New Hampshire) drop whole partitions
/// instead of deleting reads one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Period {
    minutes: u32,
}

impl Default for Period {
    fn default() -> Self {
        Period::DAY
    }
}

impl Period {
    /// Day partitions.
    pub const DAY: Period = Period { minutes: 1440 };

    /// A period of `hours`, which must divide 24.
    pub fn hours(hours: u32) -> Option<Period> {
        (hours > 0 && 24 % hours == 0).then_some(Period {
            minutes: hours * 60,
        })
    }

    /// A period of `minutes`, which must divide a day (1,440 minutes).
    pub fn minutes(minutes: u32) -> Option<Period> {
        (minutes > 0 && 1440 % minutes == 0).then_some(Period { minutes })
    }

    /// The period's length in hours when it is a whole number of hours.
    pub fn whole_hours(self) -> Option<u32> {
        self.minutes.is_multiple_of(60).then_some(self.minutes / 60)
    }

    /// The period's length in minutes.
    pub fn len_minutes(self) -> u32 {
        self.minutes
    }

    fn len_us(self) -> i64 {
        i64::from(self.minutes) * 60_000_000
    }

    /// The partition index of a timestamp (µs).
    pub fn of(self, us: i64) -> i32 {
        i32::try_from(us.div_euclid(self.len_us())).unwrap_or(i32::MAX)
    }

    /// The first microsecond of a partition.
    pub fn start(self, p: i32) -> i64 {
        i64::from(p) * self.len_us()
    }

    /// The table name: `reads_YYYYMMDD` for day partitions, `reads_YYYYMMDD_HH` for hours,
    /// `reads_YYYYMMDD_HHMM` for minutes.
    pub fn table(self, p: i32) -> String {
        let t = DateTime::<Utc>::from_timestamp_micros(self.start(p)).unwrap_or_default();
        if self.minutes == 1440 {
            format!("reads_{}", t.format("%Y%m%d"))
        } else if self.minutes.is_multiple_of(60) {
            format!("reads_{}_{}", t.format("%Y%m%d"), t.format("%H"))
        } else {
            format!("reads_{}_{}", t.format("%Y%m%d"), t.format("%H%M"))
        }
    }
}

/// Creates a partition's table and its indexes, and registers it.
pub(crate) fn create(conn: &Connection, period: Period, day: i32, now_us: i64) -> Result<()> {
    let t = period.table(day);
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {t} (
            plate_id INTEGER NOT NULL,
            captured_us INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            camera_id INTEGER NOT NULL,
            client_id TEXT NOT NULL,
            region TEXT,
            confidence REAL,
            colour TEXT,
            vehicle_type TEXT,
            make TEXT,
            lat REAL,
            lon REAL,
            received_us INTEGER NOT NULL,
            PRIMARY KEY (plate_id, captured_us, seq)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX IF NOT EXISTS {t}_client ON {t}(camera_id, client_id);
        CREATE INDEX IF NOT EXISTS {t}_time ON {t}(captured_us, colour, vehicle_type, camera_id);"
    ))?;
    create_crops(conn, &t)?;
    create_camera_time(conn, &t)?;
    conn.execute(
        "INSERT OR IGNORE INTO partitions(day, created_us) VALUES (?1, ?2)",
        (day, now_us),
    )?;
    Ok(())
}

/// The table of a partition's plate crops (JPEG bytes by read sequence number). Crops live beside
/// the reads, not in them: the reads' table stays narrow for scans, and a crop goes with its
/// partition when that is dropped.
pub(crate) fn crops_table(t: &str) -> String {
    format!("{t}_crops")
}

/// Creates a partition's crop table if it is missing (partitions made before crops were kept
/// get theirs when the store opens).
pub(crate) fn create_crops(conn: &Connection, t: &str) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {} (seq INTEGER PRIMARY KEY, jpeg BLOB NOT NULL)",
        crops_table(t)
    ))?;
    Ok(())
}

/// Creates a partition's (camera, time) index if it is missing: the index the analysis searches
/// (multi-location, convoy) read through, so that "reads at these cameras in this window" touches
/// only those cameras' rows. Rows of a `WITHOUT ROWID` table carry their primary key into every
/// index, so the index also yields the plate and sequence number without visiting the table.
/// Cost: one more B-tree insert per stored read (measured by `sightline bench analysis`).
pub(crate) fn create_camera_time(conn: &Connection, t: &str) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE INDEX IF NOT EXISTS {t}_camtime ON {t}(camera_id, captured_us)"
    ))?;
    Ok(())
}

/// Drops a partition's tables and unregisters it.
pub(crate) fn drop(conn: &Connection, period: Period, day: i32) -> Result<()> {
    let t = period.table(day);
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {t}; DROP TABLE IF EXISTS {}",
        crops_table(&t)
    ))?;
    conn.execute("DELETE FROM partitions WHERE day = ?1", [day])?;
    Ok(())
}

/// Loads the set of existing partition days.
pub(crate) fn load(conn: &Connection) -> Result<BTreeSet<i32>> {
    let mut stmt = conn.prepare("SELECT day FROM partitions")?;
    let days = stmt
        .query_map([], |r| r.get::<_, i32>(0))?
        .collect::<Result<_, _>>()?;
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_day_math() {
        let t = DateTime::parse_from_rfc3339("2026-11-26T23:59:59Z")
            .unwrap()
            .timestamp_micros();
        let d = day_of(t);
        assert_eq!(Period::DAY.table(d), "reads_20261126");
        assert!(day_start(d) <= t && t < day_start(d + 1));
        assert_eq!(day_of(-1), -1);
        let four = Period::hours(4).unwrap();
        let p = four.of(t);
        assert_eq!(four.table(p), "reads_20261126_20");
        assert!(four.start(p) <= t && t < four.start(p + 1));
        assert!(Period::hours(5).is_none());
        let minute = Period::minutes(1).unwrap();
        let m = minute.of(t);
        assert_eq!(minute.table(m), "reads_20261126_2359");
        assert!(minute.start(m) <= t && t < minute.start(m + 1));
        assert_eq!(Period::minutes(120), Period::hours(2));
        assert!(Period::minutes(7).is_none());
    }
}

//! Day partitions: naming, creation, and the list of existing days.
//!
//! A read belongs to the partition of its capture day in UTC. Days are counted from the Unix
//! epoch; the table name spells the calendar date so that an operator can read it.

use crate::Result;
use chrono::{DateTime, NaiveDate, Utc};
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

/// Returns the table name of a day's partition, e.g. `reads_20261126`.
pub(crate) fn table_name(day: i32) -> String {
    let date = DateTime::<Utc>::from_timestamp_micros(day_start(day))
        .map(|t| t.date_naive())
        .unwrap_or(NaiveDate::MIN);
    format!("reads_{}", date.format("%Y%m%d"))
}

/// Creates a day's partition table and its indexes, and registers it.
pub(crate) fn create(conn: &Connection, day: i32, now_us: i64) -> Result<()> {
    let t = table_name(day);
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
    conn.execute(
        "INSERT OR IGNORE INTO partitions(day, created_us) VALUES (?1, ?2)",
        (day, now_us),
    )?;
    Ok(())
}

/// Drops a day's partition table and unregisters it.
pub(crate) fn drop(conn: &Connection, day: i32) -> Result<()> {
    conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", table_name(day)))?;
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
        assert_eq!(table_name(d), "reads_20261126");
        assert!(day_start(d) <= t && t < day_start(d + 1));
        assert_eq!(day_of(-1), -1);
    }
}

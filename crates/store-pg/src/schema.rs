//! The read store's tables, its day partitions, and each connection's session tables.
//!
//! Names are built only from the validated schema name and day numbers, never from input.

use crate::Result;
use chrono::DateTime;
use postgres::Client;

/// Microseconds in a day: partitions are UTC days, like the SQLite store's default.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The day (since 1970-01-01 UTC) of a timestamp in µs.
pub fn day_of(us: i64) -> i32 {
    i32::try_from(us.div_euclid(MICROS_PER_DAY)).unwrap_or(i32::MAX)
}

/// The first µs of a day.
pub fn day_start(day: i32) -> i64 {
    i64::from(day) * MICROS_PER_DAY
}

/// A day's suffix: `YYYYMMDD` (negative days, before 1970, spell their date too).
pub fn day_suffix(day: i32) -> String {
    DateTime::from_timestamp_micros(day_start(day))
        .unwrap_or_default()
        .format("%Y%m%d")
        .to_string()
}

const TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS plates (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    text text NOT NULL UNIQUE,
    canon text NOT NULL
);
CREATE INDEX IF NOT EXISTS plates_canon ON plates (canon);
CREATE INDEX IF NOT EXISTS plates_text_trgm ON plates USING gin (text gin_trgm_ops);
CREATE SEQUENCE IF NOT EXISTS read_seq;
CREATE TABLE IF NOT EXISTS reads (
    plate_id bigint NOT NULL,
    captured_us bigint NOT NULL,
    seq bigint NOT NULL DEFAULT nextval('read_seq'),
    camera_id bigint NOT NULL,
    client_id text NOT NULL,
    region text,
    confidence double precision,
    colour text,
    vehicle_type text,
    make text,
    lat double precision,
    lon double precision,
    received_us bigint NOT NULL,
    PRIMARY KEY (plate_id, captured_us, seq)
) PARTITION BY RANGE (captured_us);
CREATE INDEX IF NOT EXISTS reads_time ON reads (captured_us, colour, vehicle_type, camera_id);
CREATE INDEX IF NOT EXISTS reads_camtime ON reads (camera_id, captured_us);
CREATE TABLE IF NOT EXISTS read_crops (
    seq bigint NOT NULL,
    captured_us bigint NOT NULL,
    jpeg bytea NOT NULL,
    PRIMARY KEY (seq, captured_us)
) PARTITION BY RANGE (captured_us);
CREATE TABLE IF NOT EXISTS partitions (day integer PRIMARY KEY, created_us bigint NOT NULL);
"#;

/// Creates the schema, the `pg_trgm` extension and the tables if missing.
///
/// # Errors
/// Statement failures (for example a role that may not create the extension).
pub fn migrate(c: &mut Client, schema: &str) -> Result<()> {
    let mut tx = c.transaction()?;
    // Several stores (tests run in parallel, several processes) may create these at once;
    // `IF NOT EXISTS` alone races on the catalogue, so creators take turns.
    tx.batch_execute("SELECT pg_advisory_xact_lock(7283401)")?;
    tx.batch_execute(&format!(
        "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
         CREATE SCHEMA IF NOT EXISTS {schema};
         SET LOCAL search_path TO {schema}, public;
         {TABLES}"
    ))?;
    tx.commit()?;
    Ok(())
}

/// Sets a new connection's search path and creates its temporary tables: the ingest staging
/// table (emptied at each commit) and the retention job's rule and hold tables.
///
/// # Errors
/// Statement failures.
pub(crate) fn prepare_session(c: &mut Client, schema: &str) -> Result<()> {
    c.batch_execute(&format!(
        "SET search_path TO {schema}, public;
         CREATE TEMP TABLE IF NOT EXISTS staging (
            ord integer NOT NULL,
            camera_id bigint NOT NULL,
            client_id text NOT NULL,
            captured_us bigint NOT NULL,
            plate text NOT NULL,
            canon text NOT NULL,
            region text,
            confidence double precision,
            colour text,
            vehicle_type text,
            make text,
            lat double precision,
            lon double precision,
            received_us bigint NOT NULL,
            crop bytea
         ) ON COMMIT DELETE ROWS;
         CREATE TEMP TABLE IF NOT EXISTS purge_rules (
            camera_id bigint PRIMARY KEY,
            owner text NOT NULL,
            cutoff_us bigint NOT NULL
         );
         CREATE TEMP TABLE IF NOT EXISTS purge_holds (
            owner text NOT NULL,
            plate_id bigint NOT NULL,
            from_us bigint NOT NULL,
            to_us bigint NOT NULL
         );"
    ))?;
    Ok(())
}

/// Creates the partitions of `days` that are missing (reads and crops, with the per-day
/// idempotency index) and registers them, in one transaction.
///
/// # Errors
/// Statement failures.
pub fn create_partitions(c: &mut Client, days: &[i32], now_us: i64) -> Result<()> {
    let mut tx = c.transaction()?;
    tx.batch_execute("SELECT pg_advisory_xact_lock(7283402)")?;
    for &day in days {
        let (from, to) = (day_start(day), day_start(day + 1));
        let s = day_suffix(day);
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS reads_{s} PARTITION OF reads FOR VALUES FROM ({from}) TO ({to});
             CREATE UNIQUE INDEX IF NOT EXISTS reads_{s}_client ON reads_{s} (camera_id, client_id);
             CREATE TABLE IF NOT EXISTS read_crops_{s} PARTITION OF read_crops FOR VALUES FROM ({from}) TO ({to});"
        ))?;
        tx.execute(
            "INSERT INTO partitions(day, created_us) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&day, &now_us],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Drops a day's partitions (reads and crops) and unregisters it, inside `tx`.
///
/// # Errors
/// Statement failures.
pub(crate) fn drop_partition(tx: &mut postgres::Transaction<'_>, day: i32) -> Result<()> {
    let s = day_suffix(day);
    tx.batch_execute(&format!(
        "DROP TABLE IF EXISTS reads_{s}; DROP TABLE IF EXISTS read_crops_{s};"
    ))?;
    tx.execute("DELETE FROM partitions WHERE day = $1", &[&day])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_day_names() {
        let t = DateTime::parse_from_rfc3339("2026-11-26T23:59:59Z")
            .unwrap()
            .timestamp_micros();
        let d = day_of(t);
        assert_eq!(day_suffix(d), "20261126");
        assert!(day_start(d) <= t && t < day_start(d + 1));
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_suffix(-1), "19691231");
    }
}

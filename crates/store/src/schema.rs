//! Connection settings and the directory schema. Partition tables are created by
//! [`crate::partition`].

use crate::{Durability, Result};
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// Page cache of a connection, KiB (searches and directory look-ups touch few pages).
pub(crate) const CACHE_KIB: i64 = 16 * 1024;

/// Size the WAL file is truncated to after a checkpoint, bytes.
const JOURNAL_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// Opens a connection with the node's pragmas: WAL, the chosen sync level, a busy timeout.
pub(crate) fn open_connection(path: &Path, durability: Durability) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let sync = match durability {
        Durability::Power => "FULL",
        Durability::Process => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Memory is bounded and fixed: each connection keeps at most CACHE_KIB of pages (the
    // writer more, see `writer`), and nothing is memory-mapped, so the process's resident size
    // does not grow with the database; pages beyond the cache come from the OS page cache.
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "mmap_size", 0)?;
    conn.pragma_update(None, "wal_autocheckpoint", 10000)?;
    // After a checkpoint the WAL file is cut back to this size, so a burst does not leave a
    // large file behind.
    conn.pragma_update(None, "journal_size_limit", JOURNAL_LIMIT_BYTES)?;
    // Searches over many short partitions prepare one statement per partition.
    conn.set_prepared_statement_cache_capacity(1024);
    Ok(conn)
}

const DIRECTORY_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agencies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    jurisdiction TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    node_operator INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    label TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    expires_us INTEGER
);
CREATE TABLE IF NOT EXISTS cameras (
    id INTEGER PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    name TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    bearing REAL,
    mobile INTEGER NOT NULL DEFAULT 0,
    key_hash TEXT NOT NULL UNIQUE,
    created_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sharing_agreements (
    id INTEGER PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES agencies(id),
    grantee_kind TEXT NOT NULL,
    grantee TEXT NOT NULL,
    purposes TEXT NOT NULL,
    expires_us INTEGER,
    created_by TEXT NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS declarations (
    id INTEGER PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    jurisdiction TEXT NOT NULL,
    statement TEXT NOT NULL,
    signed_by TEXT NOT NULL,
    recorded_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS agency_policies (
    agency_id TEXT PRIMARY KEY REFERENCES agencies(id),
    cedar TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS transparency_notes (
    agency_id TEXT PRIMARY KEY REFERENCES agencies(id),
    note TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS legal_holds (
    id INTEGER PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES agencies(id),
    case_number TEXT NOT NULL,
    plate TEXT NOT NULL,
    from_us INTEGER NOT NULL,
    to_us INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    released_us INTEGER
);
CREATE TABLE IF NOT EXISTS plates (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE,
    canon TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS plates_canon ON plates(canon);
CREATE TABLE IF NOT EXISTS partitions (day INTEGER PRIMARY KEY, created_us INTEGER NOT NULL);
"#;

/// Version 2: lifecycle (disabled users, revoked cameras, ended agreements and declarations),
/// agreement scopes, registered agency locations and the changes awaiting their audit entry.
const LIFECYCLE_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS agency_locations (
    agency_id TEXT PRIMARY KEY REFERENCES agencies(id),
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    set_by TEXT NOT NULL,
    set_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_changes (
    change_id TEXT PRIMARY KEY,
    audit_len INTEGER NOT NULL,
    change TEXT NOT NULL,
    created_us INTEGER NOT NULL
);
"#;

/// Columns added after version 1: (table, column, definition).
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("users", "disabled", "INTEGER NOT NULL DEFAULT 0"),
    (
        "users",
        "must_change_password",
        "INTEGER NOT NULL DEFAULT 0",
    ),
    ("cameras", "revoked_us", "INTEGER"),
    ("tokens", "last_used_us", "INTEGER"),
    (
        "sharing_agreements",
        "scope",
        "TEXT NOT NULL DEFAULT 'search'",
    ),
    ("sharing_agreements", "ended_us", "INTEGER"),
    ("declarations", "ended_us", "INTEGER"),
];

fn has_column(conn: &Connection, table: &str, column: &str) -> Result<bool> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(1))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(names.iter().any(|n| n == column))
}

/// Creates the directory tables if missing and brings older files up to the current version.
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    conn.execute_batch(DIRECTORY_SCHEMA)?;
    conn.execute_batch(LIFECYCLE_SCHEMA)?;
    conn.execute_batch(crate::security::SECURITY_SCHEMA)?;
    conn.execute_batch(crate::saved::SAVED_SCHEMA)?;
    for (table, column, definition) in ADDED_COLUMNS {
        if !has_column(conn, table, column)? {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {definition}"
            ))?;
        }
    }
    conn.execute(
        "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '2')",
        [],
    )?;
    conn.execute(
        "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
        [],
    )?;
    Ok(())
}

/// Records the partition period on first use and refuses a different one later. Whole hours
/// are kept as `partition_hours` (as before minute periods existed), others as
/// `partition_minutes`.
pub(crate) fn check_period(conn: &Connection, period: crate::partition::Period) -> Result<()> {
    use rusqlite::OptionalExtension;
    let get = |key: &str| -> Result<Option<u32>> {
        let v: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(v.and_then(|s| s.parse::<u32>().ok()))
    };
    let stored = match get("partition_minutes")? {
        Some(m) => Some(m),
        None => get("partition_hours")?.map(|h| h * 60),
    };
    let name = |minutes: u32| {
        if minutes.is_multiple_of(60) {
            format!("{}-hour", minutes / 60)
        } else {
            format!("{minutes}-minute")
        }
    };
    match stored {
        Some(m) if m != period.len_minutes() => Err(crate::Error::Conflict(format!(
            "this data directory uses {} partitions; it cannot be opened with {} partitions",
            name(m),
            name(period.len_minutes())
        ))),
        Some(_) => Ok(()),
        None => {
            let (key, value) = match period.whole_hours() {
                Some(h) => ("partition_hours", h),
                None => ("partition_minutes", period.len_minutes()),
            };
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)",
                (key, value.to_string()),
            )?;
            Ok(())
        }
    }
}

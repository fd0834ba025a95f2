//! Saved searches: each user's own search templates (the service keeps the body, JSON of
//! `SavedSearchSpec`; the store only files it under its owner).

use crate::{Result, Store};
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

pub(crate) const SAVED_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS saved_searches (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    body TEXT NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS saved_searches_user ON saved_searches(user_id);
"#;

/// One stored saved search.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedRow {
    /// Id.
    pub id: i64,
    /// Owner (the user who saved it).
    pub user_id: i64,
    /// The owner's agency.
    pub agency: String,
    /// JSON body.
    pub body: String,
    /// When saved.
    pub created_at: DateTime<Utc>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SavedRow> {
    Ok(SavedRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        agency: r.get(2)?,
        body: r.get(3)?,
        created_at: DateTime::from_timestamp_micros(r.get(4)?).unwrap_or_default(),
    })
}

impl Store {
    /// Files a saved search (idempotent: an existing id is left as it is).
    ///
    /// # Errors
    /// Database failures.
    pub fn insert_saved_search(&self, s: &SavedRow) -> Result<()> {
        self.with_directory(|c| {
            c.execute(
                "INSERT OR IGNORE INTO saved_searches(id, user_id, agency_id, body, created_us) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![s.id, s.user_id, s.agency, s.body, s.created_at.timestamp_micros()],
            )?;
            Ok(())
        })
    }

    /// One user's saved searches, newest first.
    ///
    /// # Errors
    /// Database failures.
    pub fn saved_searches_of(&self, user_id: i64) -> Result<Vec<SavedRow>> {
        self.with_directory(|c| {
            let mut s = c.prepare(
                "SELECT id, user_id, agency_id, body, created_us FROM saved_searches WHERE user_id = ?1 ORDER BY id DESC",
            )?;
            let v = s
                .query_map([user_id], row)?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(v)
        })
    }

    /// One saved search by id.
    ///
    /// # Errors
    /// Database failures.
    pub fn saved_search(&self, id: i64) -> Result<Option<SavedRow>> {
        self.with_directory(|c| {
            Ok(c.query_row(
                "SELECT id, user_id, agency_id, body, created_us FROM saved_searches WHERE id = ?1",
                [id],
                row,
            )
            .optional()?)
        })
    }

    /// Removes a saved search (idempotent: a missing id is no error). Returns whether a row went.
    ///
    /// # Errors
    /// Database failures.
    pub fn delete_saved_search(&self, id: i64) -> Result<bool> {
        self.with_directory(
            |c| Ok(c.execute("DELETE FROM saved_searches WHERE id = ?1", [id])? > 0),
        )
    }

    /// How many saved searches a user has.
    ///
    /// # Errors
    /// Database failures.
    pub fn saved_search_count(&self, user_id: i64) -> Result<u64> {
        self.with_directory(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM saved_searches WHERE user_id = ?1",
                [user_id],
                |r| r.get(0),
            )?)
        })
    }
}

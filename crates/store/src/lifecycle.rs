//! Lifecycle of directory objects (disable, re-enable, change role or password, revoke and rotate
//! keys, end agreements and declarations), registered agency locations, pre-assigned ids, and the
//! changes that wait for their audit entry (`pending_changes`).
//!
//! The service layer writes a change here first, then its audit entry, then applies it and drops
//! the pending row; at start-up, pending rows whose audit entry exists are applied again and the
//! others are discarded. So a crash never leaves a change in force without its audit entry.

use crate::{Error, Result, Store};
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use sightline_types::{AgencyId, CameraId, Role, UserId};
use std::collections::HashMap;

/// Tables whose ids the service layer pre-assigns (so the audit entry can name the new object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdTable {
    /// `users`.
    Users,
    /// `cameras`.
    Cameras,
    /// `sharing_agreements`.
    Agreements,
    /// `declarations`.
    Declarations,
    /// `legal_holds`.
    Holds,
    /// `saved_searches`.
    SavedSearches,
}

impl IdTable {
    fn name(self) -> &'static str {
        match self {
            IdTable::Users => "users",
            IdTable::Cameras => "cameras",
            IdTable::Agreements => "sharing_agreements",
            IdTable::Declarations => "declarations",
            IdTable::Holds => "legal_holds",
            IdTable::SavedSearches => "saved_searches",
        }
    }
}

/// A change waiting for (or recovered after) its audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingChange {
    /// Random id, also written into the audit entry's details.
    pub change_id: String,
    /// Length of the audit log before the entry was appended (where to look for it).
    pub audit_len: u64,
    /// The change, as the service layer serialised it (may hold hashes; never shown).
    pub change: String,
}

impl Store {
    /// The next free id of a table (callers serialise creations).
    ///
    /// # Errors
    /// Database failures.
    pub fn next_id(&self, table: IdTable) -> Result<i64> {
        self.with_directory(|c| {
            Ok(c.query_row(
                &format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {}", table.name()),
                [],
                |r| r.get(0),
            )?)
        })
    }

    /// Tells whether a row with this id exists.
    ///
    /// # Errors
    /// Database failures.
    pub fn id_exists(&self, table: IdTable, id: i64) -> Result<bool> {
        self.with_directory(|c| {
            Ok(c.query_row(
                &format!(
                    "SELECT EXISTS(SELECT 1 FROM {} WHERE id = ?1)",
                    table.name()
                ),
                [id],
                |r| r.get(0),
            )?)
        })
    }

    /// Records a change before its audit entry is written.
    ///
    /// # Errors
    /// Database failures.
    pub fn put_pending(&self, p: &PendingChange, now: DateTime<Utc>) -> Result<()> {
        self.with_directory(|c| {
            c.execute(
                "INSERT INTO pending_changes(change_id, audit_len, change, created_us) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![p.change_id, p.audit_len as i64, p.change, now.timestamp_micros()],
            )?;
            Ok(())
        })
    }

    /// Drops a pending change (applied, or never audited).
    ///
    /// # Errors
    /// Database failures.
    pub fn drop_pending(&self, change_id: &str) -> Result<()> {
        self.with_directory(|c| {
            c.execute(
                "DELETE FROM pending_changes WHERE change_id = ?1",
                [change_id],
            )?;
            Ok(())
        })
    }

    /// Every pending change, oldest first.
    ///
    /// # Errors
    /// Database failures.
    pub fn pending_changes(&self) -> Result<Vec<PendingChange>> {
        self.with_directory(|c| {
            let mut stmt = c.prepare(
                "SELECT change_id, audit_len, change FROM pending_changes ORDER BY created_us, change_id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(PendingChange {
                        change_id: r.get(0)?,
                        audit_len: r.get::<_, i64>(1)?.max(0) as u64,
                        change: r.get(2)?,
                    })
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn update_one(&self, sql: &str, params: impl rusqlite::Params, what: String) -> Result<()> {
        let n = self.with_directory(|c| Ok(c.execute(sql, params)?))?;
        if n == 0 {
            return Err(Error::NotFound(what));
        }
        Ok(())
    }

    /// Disables or re-enables a user; disabling also deletes all their tokens.
    ///
    /// # Errors
    /// `NotFound` for an unknown user.
    pub fn set_user_disabled(&self, user: UserId, disabled: bool) -> Result<()> {
        self.update_one(
            "UPDATE users SET disabled = ?2 WHERE id = ?1",
            rusqlite::params![user.0, disabled],
            format!("user {}", user.0),
        )?;
        if disabled {
            self.revoke_user_tokens(user)?;
        }
        Ok(())
    }

    /// Changes a user's role.
    ///
    /// # Errors
    /// `NotFound` for an unknown user.
    pub fn set_user_role(&self, user: UserId, role: Role) -> Result<()> {
        self.update_one(
            "UPDATE users SET role = ?2 WHERE id = ?1",
            rusqlite::params![user.0, role.code()],
            format!("user {}", user.0),
        )
    }

    /// Replaces a user's password hash and sets whether it must be changed at next sign-in.
    ///
    /// # Errors
    /// `NotFound` for an unknown user.
    pub fn set_user_password(&self, user: UserId, hash: &str, must_change: bool) -> Result<()> {
        self.update_one(
            "UPDATE users SET password_hash = ?2, must_change_password = ?3 WHERE id = ?1",
            rusqlite::params![user.0, hash, must_change],
            format!("user {}", user.0),
        )
    }

    /// Deletes every token of a user; returns how many.
    ///
    /// # Errors
    /// Database failures.
    pub fn revoke_user_tokens(&self, user: UserId) -> Result<usize> {
        self.with_directory(|c| Ok(c.execute("DELETE FROM tokens WHERE user_id = ?1", [user.0])?))
    }

    /// Finds a user by id.
    ///
    /// # Errors
    /// Database failures.
    pub fn user_by_id(&self, user: UserId) -> Result<Option<crate::UserRecord>> {
        let name: Option<String> = self.with_directory(|c| {
            Ok(
                c.query_row("SELECT username FROM users WHERE id = ?1", [user.0], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })?;
        match name {
            Some(n) => self.user_by_username(&n),
            None => Ok(None),
        }
    }

    /// Revokes a camera's key: it can no longer send reads. Its reads stay.
    ///
    /// # Errors
    /// `NotFound` for an unknown camera.
    pub fn revoke_camera(&self, camera: CameraId, now: DateTime<Utc>) -> Result<()> {
        self.update_one(
            "UPDATE cameras SET revoked_us = COALESCE(revoked_us, ?2) WHERE id = ?1",
            rusqlite::params![camera.0, now.timestamp_micros()],
            format!("camera {}", camera.0),
        )
    }

    /// Replaces a camera's key (and lifts a revocation).
    ///
    /// # Errors
    /// `NotFound` for an unknown camera.
    pub fn rotate_camera_key(&self, camera: CameraId, key_hash: &str) -> Result<()> {
        self.update_one(
            "UPDATE cameras SET key_hash = ?2, revoked_us = NULL WHERE id = ?1",
            rusqlite::params![camera.0, key_hash],
            format!("camera {}", camera.0),
        )
    }

    /// The ids of revoked cameras.
    ///
    /// # Errors
    /// Database failures.
    pub fn revoked_cameras(&self) -> Result<Vec<CameraId>> {
        self.with_directory(|c| {
            let mut stmt = c.prepare("SELECT id FROM cameras WHERE revoked_us IS NOT NULL")?;
            let rows = stmt
                .query_map([], |r| r.get::<_, i64>(0))?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().map(CameraId).collect())
        })
    }

    /// Ends a sharing agreement of `owner` (idempotent: an ended one keeps its end time).
    ///
    /// # Errors
    /// `NotFound` when the owner has no such agreement.
    pub fn end_agreement(&self, id: i64, owner: &AgencyId, now: DateTime<Utc>) -> Result<()> {
        self.update_one(
            "UPDATE sharing_agreements SET ended_us = COALESCE(ended_us, ?3) WHERE id = ?1 AND owner_id = ?2",
            rusqlite::params![id, owner.as_str(), now.timestamp_micros()],
            format!("sharing agreement {id}"),
        )
    }

    /// Withdraws a declaration of `agency` (idempotent).
    ///
    /// # Errors
    /// `NotFound` when the agency has no such declaration.
    pub fn end_declaration(&self, id: i64, agency: &AgencyId, now: DateTime<Utc>) -> Result<()> {
        self.update_one(
            "UPDATE declarations SET ended_us = COALESCE(ended_us, ?3) WHERE id = ?1 AND agency_id = ?2",
            rusqlite::params![id, agency.as_str(), now.timestamp_micros()],
            format!("declaration {id}"),
        )
    }

    /// Sets an agency's registered location (node operators only, by the service layer).
    ///
    /// # Errors
    /// `NotFound` for an unknown agency.
    pub fn set_agency_location(
        &self,
        agency: &AgencyId,
        lat: f64,
        lon: f64,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.agency(agency)?;
        self.with_directory(|c| {
            c.execute(
                "INSERT INTO agency_locations(agency_id, lat, lon, set_by, set_us) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT(agency_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, set_by = excluded.set_by, set_us = excluded.set_us",
                rusqlite::params![agency.as_str(), lat, lon, by, now.timestamp_micros()],
            )?;
            Ok(())
        })
    }

    /// Every agency's registered location.
    ///
    /// # Errors
    /// Database failures.
    pub fn agency_locations(&self) -> Result<HashMap<AgencyId, (f64, f64)>> {
        let rows: Vec<(String, f64, f64)> = self.with_directory(|c| {
            let mut stmt = c.prepare("SELECT agency_id, lat, lon FROM agency_locations")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|(a, la, lo)| {
                Ok((
                    AgencyId::parse(&a).map_err(|e| Error::Corrupt(e.to_string()))?,
                    (la, lo),
                ))
            })
            .collect()
    }

    /// Counts the open legal holds of an owner.
    ///
    /// # Errors
    /// Database failures.
    pub fn open_holds_of(&self, owner: &AgencyId) -> Result<usize> {
        self.with_directory(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM legal_holds WHERE owner_id = ?1 AND released_us IS NULL",
                [owner.as_str()],
                |r| r.get::<_, i64>(0),
            )? as usize)
        })
    }
}

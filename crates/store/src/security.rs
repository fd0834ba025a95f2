//! Account security and oversight records: per-user TOTP enrolment (the shared secret, the last
//! time step used, recovery-code hashes), per-agency sign-in settings (which roles must use a
//! second factor, session time-outs) and the usage watch's findings with their review.
//!
//! Everything here is changed only by the service layer's audited changes; the TOTP secret is a
//! secret like a password hash (`store.db` is the node user's only, mode 0600) and never leaves
//! the node except once, at enrolment, to its user.

use crate::{Result, Store};
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use sightline_types::{AgencyId, Role, UserId};

pub(crate) const SECURITY_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS user_mfa (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    secret TEXT NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0,
    last_step INTEGER NOT NULL DEFAULT 0,
    recovery TEXT NOT NULL DEFAULT '[]',
    enrolled_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS agency_security (
    agency_id TEXT PRIMARY KEY REFERENCES agencies(id),
    settings TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    raised_us INTEGER NOT NULL,
    agency_id TEXT NOT NULL,
    decision TEXT,
    review TEXT
);
CREATE INDEX IF NOT EXISTS findings_agency ON findings(agency_id, raised_us);
CREATE TABLE IF NOT EXISTS user_passkeys (
    credential_id BLOB PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    user_handle BLOB NOT NULL,
    transports BLOB NOT NULL,
    static_state BLOB NOT NULL,
    dynamic_state BLOB NOT NULL,
    label TEXT NOT NULL,
    registered_us INTEGER NOT NULL,
    used_us INTEGER
);
CREATE INDEX IF NOT EXISTS user_passkeys_user ON user_passkeys(user_id);
"#;

/// A user's TOTP enrolment.
#[derive(Debug, Clone)]
pub struct MfaRecord {
    /// The user.
    pub user_id: UserId,
    /// The shared secret, base32 (RFC 4648, no padding).
    pub secret: String,
    /// Confirmed by a first valid code (until then it is not used at sign-in).
    pub confirmed: bool,
    /// The last time step a code was accepted for (replays of it or earlier steps are refused).
    pub last_step: i64,
    /// argon2id hashes of the unused recovery codes.
    pub recovery: Vec<String>,
}

/// An agency's sign-in settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Roles whose users must sign in with a second factor.
    pub mfa_roles: Vec<Role>,
    /// Minutes without any request after which a session ends (0: no idle limit).
    #[serde(default)]
    pub idle_minutes: u32,
    /// Hours after sign-in after which a session ends regardless (0: the node's token lifetime).
    #[serde(default)]
    pub absolute_hours: u32,
}

/// A registered WebAuthn credential (a passkey or security key used as a second factor), in the
/// binary encodings of `webauthn_rp` (the service decodes them).
#[derive(Debug, Clone)]
pub struct PasskeyRecord {
    /// The user.
    pub user_id: UserId,
    /// The credential id chosen by the authenticator.
    pub credential_id: Vec<u8>,
    /// The WebAuthn user handle (random, one per user, shared by the user's credentials).
    pub user_handle: Vec<u8>,
    /// The transports the authenticator reported.
    pub transports: Vec<u8>,
    /// The public key and static extension outputs.
    pub static_state: Vec<u8>,
    /// Signature counter, backup and verification flags (updated at each use).
    pub dynamic_state: Vec<u8>,
    /// The user's name for it.
    pub label: String,
    /// When it was registered.
    pub registered: DateTime<Utc>,
    /// When it was last used to sign in.
    pub used: Option<DateTime<Utc>>,
}

/// A stored finding of the usage watch with its review.
#[derive(Debug, Clone)]
pub struct FindingRow {
    /// Id.
    pub id: i64,
    /// The finding as JSON (the service's type).
    pub body: String,
    /// The review as JSON, once reviewed.
    pub review: Option<String>,
}

impl Store {
    /// A user's TOTP enrolment, if any.
    ///
    /// # Errors
    /// Database failures.
    pub fn mfa(&self, user: UserId) -> Result<Option<MfaRecord>> {
        self.with_directory(|c| {
            let row = c
                .query_row(
                    "SELECT secret, confirmed, last_step, recovery FROM user_mfa WHERE user_id = ?1",
                    [user.0],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, bool>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()?;
            Ok(row.map(|(secret, confirmed, last_step, recovery)| MfaRecord {
                user_id: user,
                secret,
                confirmed,
                last_step,
                recovery: serde_json::from_str(&recovery).unwrap_or_default(),
            }))
        })
    }

    /// Stores (replaces) a user's TOTP enrolment.
    ///
    /// # Errors
    /// Database failures.
    pub fn put_mfa(&self, m: &MfaRecord, now: DateTime<Utc>) -> Result<()> {
        let recovery = serde_json::to_string(&m.recovery).unwrap_or_else(|_| "[]".into());
        self.with_directory(|c| {
            c.execute(
                "INSERT INTO user_mfa(user_id, secret, confirmed, last_step, recovery, enrolled_us) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(user_id) DO UPDATE SET \
                 secret = excluded.secret, confirmed = excluded.confirmed, \
                 last_step = excluded.last_step, recovery = excluded.recovery",
                rusqlite::params![
                    m.user_id.0,
                    &m.secret,
                    m.confirmed,
                    m.last_step,
                    recovery,
                    now.timestamp_micros()
                ],
            )?;
            Ok(())
        })
    }

    /// Moves a user's last accepted time step forward; `false` when `step` is not newer than the
    /// stored one (a replay), so two concurrent uses of one code cannot both succeed.
    ///
    /// # Errors
    /// Database failures.
    pub fn advance_mfa_step(&self, user: UserId, step: i64) -> Result<bool> {
        self.with_directory(|c| {
            Ok(c.execute(
                "UPDATE user_mfa SET last_step = ?2 WHERE user_id = ?1 AND last_step < ?2",
                (user.0, step),
            )? == 1)
        })
    }

    /// Removes one recovery-code hash; `false` when it was already used.
    ///
    /// # Errors
    /// Database failures.
    pub fn use_recovery_code(&self, user: UserId, hash: &str) -> Result<bool> {
        self.with_directory(|c| {
            let tx = c.unchecked_transaction()?;
            let current: Option<String> = tx
                .query_row(
                    "SELECT recovery FROM user_mfa WHERE user_id = ?1",
                    [user.0],
                    |r| r.get(0),
                )
                .optional()?;
            let mut codes: Vec<String> = current
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default();
            let before = codes.len();
            codes.retain(|h| h != hash);
            if codes.len() == before {
                return Ok(false);
            }
            tx.execute(
                "UPDATE user_mfa SET recovery = ?2 WHERE user_id = ?1",
                (user.0, serde_json::to_string(&codes).unwrap_or_default()),
            )?;
            tx.commit()?;
            Ok(true)
        })
    }

    /// When a user token was last used (its creation if never): the idle time-out's clock.
    ///
    /// # Errors
    /// Database failures.
    pub fn token_last_use(&self, hash: &str) -> Result<Option<DateTime<Utc>>> {
        self.with_directory(|c| {
            let us: Option<i64> = c
                .query_row(
                    "SELECT COALESCE(last_used_us, created_us) FROM tokens WHERE hash = ?1",
                    [hash],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(us.and_then(DateTime::from_timestamp_micros))
        })
    }

    /// Records a token's use (the caller throttles: at most one write a minute per token).
    ///
    /// # Errors
    /// Database failures.
    pub fn touch_token(&self, hash: &str, now: DateTime<Utc>) -> Result<()> {
        self.with_directory(|c| {
            c.execute(
                "UPDATE tokens SET last_used_us = ?2 WHERE hash = ?1",
                (hash, now.timestamp_micros()),
            )?;
            Ok(())
        })
    }

    /// How many live tokens a user holds.
    ///
    /// # Errors
    /// Database failures.
    pub fn count_user_tokens(&self, user: UserId) -> Result<usize> {
        self.with_directory(|c| {
            let n: i64 = c.query_row(
                "SELECT COUNT(*) FROM tokens WHERE user_id = ?1",
                [user.0],
                |r| r.get(0),
            )?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }

    /// Removes a user's second factors, TOTP and passkeys (admin reset).
    ///
    /// # Errors
    /// Database failures.
    pub fn delete_mfa(&self, user: UserId) -> Result<()> {
        self.with_directory(|c| {
            c.execute("DELETE FROM user_mfa WHERE user_id = ?1", [user.0])?;
            c.execute("DELETE FROM user_passkeys WHERE user_id = ?1", [user.0])?;
            Ok(())
        })
    }

    /// A user's registered passkeys, oldest first.
    ///
    /// # Errors
    /// Database failures.
    pub fn passkeys(&self, user: UserId) -> Result<Vec<PasskeyRecord>> {
        self.with_directory(|c| {
            let mut st = c.prepare_cached(
                "SELECT credential_id, user_handle, transports, static_state, dynamic_state,                  label, registered_us, used_us FROM user_passkeys WHERE user_id = ?1                  ORDER BY registered_us, credential_id",
            )?;
            let rows = st.query_map([user.0], |r| {
                Ok(PasskeyRecord {
                    user_id: user,
                    credential_id: r.get(0)?,
                    user_handle: r.get(1)?,
                    transports: r.get(2)?,
                    static_state: r.get(3)?,
                    dynamic_state: r.get(4)?,
                    label: r.get(5)?,
                    registered: DateTime::from_timestamp_micros(r.get(6)?).unwrap_or_default(),
                    used: r.get::<_, Option<i64>>(7)?.and_then(DateTime::from_timestamp_micros),
                })
            })?;
            Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
        })
    }

    /// Stores a new passkey; `false` when the credential id is already registered (to anyone).
    ///
    /// # Errors
    /// Database failures.
    pub fn put_passkey(&self, p: &PasskeyRecord) -> Result<bool> {
        self.with_directory(|c| {
            Ok(c.execute(
                "INSERT INTO user_passkeys(credential_id, user_id, user_handle, transports,                  static_state, dynamic_state, label, registered_us)                  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(credential_id) DO NOTHING",
                rusqlite::params![
                    &p.credential_id,
                    p.user_id.0,
                    &p.user_handle,
                    &p.transports,
                    &p.static_state,
                    &p.dynamic_state,
                    &p.label,
                    p.registered.timestamp_micros()
                ],
            )? == 1)
        })
    }

    /// Removes one of a user's passkeys; `false` when the user has no such passkey.
    ///
    /// # Errors
    /// Database failures.
    pub fn delete_passkey(&self, user: UserId, credential_id: &[u8]) -> Result<bool> {
        self.with_directory(|c| {
            Ok(c.execute(
                "DELETE FROM user_passkeys WHERE user_id = ?1 AND credential_id = ?2",
                rusqlite::params![user.0, credential_id],
            )? == 1)
        })
    }

    /// Records a passkey's use: its new dynamic state (signature counter) and the time.
    ///
    /// # Errors
    /// Database failures.
    pub fn use_passkey(
        &self,
        user: UserId,
        credential_id: &[u8],
        dynamic_state: &[u8],
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with_directory(|c| {
            c.execute(
                "UPDATE user_passkeys SET dynamic_state = ?3, used_us = ?4                  WHERE user_id = ?1 AND credential_id = ?2",
                rusqlite::params![user.0, credential_id, dynamic_state, now.timestamp_micros()],
            )?;
            Ok(())
        })
    }

    /// An agency's own sign-in settings, if it set any.
    ///
    /// # Errors
    /// Database failures.
    pub fn security_settings(&self, agency: &AgencyId) -> Result<Option<SecuritySettings>> {
        self.with_directory(|c| {
            let s: Option<String> = c
                .query_row(
                    "SELECT settings FROM agency_security WHERE agency_id = ?1",
                    [agency.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(s.and_then(|s| serde_json::from_str(&s).ok()))
        })
    }

    /// Sets an agency's sign-in settings.
    ///
    /// # Errors
    /// `NotFound` for an unknown agency; database failures.
    pub fn set_security_settings(
        &self,
        agency: &AgencyId,
        settings: &SecuritySettings,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.agency(agency)?;
        let text = serde_json::to_string(settings).unwrap_or_default();
        self.with_directory(|c| {
            c.execute(
                "INSERT INTO agency_security(agency_id, settings, set_by, set_us) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(agency_id) DO UPDATE SET settings = excluded.settings, \
                 set_by = excluded.set_by, set_us = excluded.set_us",
                rusqlite::params![agency.as_str(), text, by, now.timestamp_micros()],
            )?;
            Ok(())
        })
    }

    /// Stores a finding unless one with the same key exists (idempotent replay).
    ///
    /// # Errors
    /// Database failures.
    pub fn insert_finding(
        &self,
        id: i64,
        key: &str,
        agency: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with_directory(|c| {
            c.execute(
                "INSERT OR IGNORE INTO findings(id, key, body, raised_us, agency_id) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![id, key, body, now.timestamp_micros(), agency],
            )?;
            Ok(())
        })
    }

    /// Every finding key stored (the watch skips these when it replays the log at start-up).
    ///
    /// # Errors
    /// Database failures.
    pub fn finding_keys(&self) -> Result<Vec<String>> {
        self.with_directory(|c| {
            let mut s = c.prepare("SELECT key FROM findings")?;
            let v = s
                .query_map([], |r| r.get(0))?
                .collect::<std::result::Result<Vec<String>, _>>()?;
            Ok(v)
        })
    }

    /// The next free finding id.
    ///
    /// # Errors
    /// Database failures.
    pub fn next_finding_id(&self) -> Result<i64> {
        self.with_directory(|c| {
            Ok(
                c.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM findings", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    /// Findings, newest first (all of them; the service filters by who may see them).
    ///
    /// # Errors
    /// Database failures.
    pub fn findings(&self, limit: usize) -> Result<Vec<FindingRow>> {
        self.with_directory(|c| {
            let mut s =
                c.prepare("SELECT id, body, review FROM findings ORDER BY id DESC LIMIT ?1")?;
            let v = s
                .query_map([limit as i64], |r| {
                    Ok(FindingRow {
                        id: r.get(0)?,
                        body: r.get(1)?,
                        review: r.get(2)?,
                    })
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(v)
        })
    }

    /// One finding.
    ///
    /// # Errors
    /// Database failures.
    pub fn finding(&self, id: i64) -> Result<Option<FindingRow>> {
        self.with_directory(|c| {
            Ok(c.query_row(
                "SELECT id, body, review FROM findings WHERE id = ?1",
                [id],
                |r| {
                    Ok(FindingRow {
                        id: r.get(0)?,
                        body: r.get(1)?,
                        review: r.get(2)?,
                    })
                },
            )
            .optional()?)
        })
    }

    /// Records a finding's review (the latest decision wins).
    ///
    /// # Errors
    /// Database failures.
    pub fn set_finding_review(&self, id: i64, decision: &str, review: &str) -> Result<()> {
        self.with_directory(|c| {
            c.execute(
                "UPDATE findings SET decision = ?2, review = ?3 WHERE id = ?1",
                rusqlite::params![id, decision, review],
            )?;
            Ok(())
        })
    }
}

//! The directory: agencies, users, API tokens, cameras, sharing agreements and declarations.
//!
//! Secrets are never stored: the server hashes passwords (argon2id) and tokens/device keys
//! (SHA-256) before they reach this module.

use crate::{Error, Result, Store};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use sightline_types::{
    Agency, AgencyId, AgencyKind, Camera, CameraId, Jurisdiction, Purpose, Role, UserId,
};
use std::collections::HashMap;

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRecord {
    /// Id.
    pub id: UserId,
    /// Agency.
    pub agency: AgencyId,
    /// Login name, unique on the node.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string.
    #[serde(skip)]
    pub password_hash: String,
    /// May create agencies and act across agencies.
    pub node_operator: bool,
    /// Disabled users cannot sign in and their tokens stop working.
    #[serde(default)]
    pub disabled: bool,
    /// The user must choose a new password before doing anything else.
    #[serde(default)]
    pub must_change_password: bool,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Agency.
    pub agency: AgencyId,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Node operator flag.
    pub node_operator: bool,
    /// Pre-assigned id (0: the store assigns one).
    pub id: i64,
    /// The user must choose a new password at first sign-in.
    pub must_change_password: bool,
}

/// A camera to create.
#[derive(Debug, Clone)]
pub struct NewCamera {
    /// Owner.
    pub owner: AgencyId,
    /// Name.
    pub name: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Bearing.
    pub bearing: Option<f64>,
    /// Mobile camera.
    pub mobile: bool,
    /// SHA-256 hex of the device key.
    pub key_hash: String,
    /// Pre-assigned id (0: the store assigns one).
    pub id: i64,
}

/// Who a sharing agreement grants access to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Grantee {
    /// One agency.
    Agency(AgencyId),
    /// Every agency whose jurisdiction is this one or inside it (`US-IL`, or `US` for a country).
    Jurisdiction(Jurisdiction),
    /// Several named agencies (a task force, a regional group).
    Group(Vec<AgencyId>),
    /// Every agency whose registered location (set by the node operator, never by the grantee's
    /// own camera placement) is within `radius_km` of a point.
    Radius {
        /// Centre latitude.
        lat: f64,
        /// Centre longitude.
        lon: f64,
        /// Radius, kilometres.
        radius_km: f64,
    },
    /// Every agency on the network (national opt-in; never implied).
    National,
}

impl Grantee {
    fn to_columns(&self) -> (&'static str, String) {
        match self {
            Grantee::Agency(a) => ("agency", a.to_string()),
            Grantee::Jurisdiction(j) => ("jurisdiction", j.to_string()),
            Grantee::Group(g) => (
                "group",
                g.iter().map(AgencyId::as_str).collect::<Vec<_>>().join(","),
            ),
            Grantee::Radius {
                lat,
                lon,
                radius_km,
            } => ("radius", format!("{lat},{lon},{radius_km}")),
            Grantee::National => ("national", String::new()),
        }
    }

    fn from_columns(kind: &str, value: String) -> Result<Self> {
        let bad = |e: sightline_types::Error| Error::Corrupt(e.to_string());
        match kind {
            "agency" => Ok(Grantee::Agency(AgencyId::parse(&value).map_err(bad)?)),
            "jurisdiction" => Ok(Grantee::Jurisdiction(
                Jurisdiction::parse(&value).map_err(bad)?,
            )),
            "group" => Ok(Grantee::Group(
                value
                    .split(',')
                    .map(|s| AgencyId::parse(s).map_err(bad))
                    .collect::<Result<_>>()?,
            )),
            "radius" => {
                let v: Vec<f64> = value.split(',').filter_map(|x| x.parse().ok()).collect();
                match v[..] {
                    [lat, lon, radius_km] => Ok(Grantee::Radius {
                        lat,
                        lon,
                        radius_km,
                    }),
                    _ => Err(Error::Corrupt(format!("radius grantee `{value}`"))),
                }
            }
            "national" => Ok(Grantee::National),
            other => Err(Error::Corrupt(format!("grantee kind `{other}`"))),
        }
    }

    /// Tells whether the grant covers an agency; `location` is its registered location (an
    /// agency without one is never inside a radius).
    pub fn covers(&self, agency: &Agency, location: Option<(f64, f64)>) -> bool {
        match self {
            Grantee::Agency(a) => *a == agency.id,
            Grantee::Group(g) => g.contains(&agency.id),
            Grantee::Radius {
                lat,
                lon,
                radius_km,
            } => location.iter().any(|(la, lo)| {
                sightline_types::search::haversine_m(*lat, *lon, *la, *lo) <= radius_km * 1000.0
            }),
            Grantee::Jurisdiction(j) => {
                let code = agency.jurisdiction.as_str();
                code == j.as_str() || code.starts_with(&format!("{}-", j.as_str()))
            }
            Grantee::National => true,
        }
    }
}

/// What an agreement lets the grantee do with the owner's data.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgreementScope {
    /// Search the owner's reads for the listed purposes.
    #[default]
    Search,
    /// Run the grantee's hot lists of the listed purposes on the owner's cameras (a standing
    /// search: hits on the owner's cameras reach the list owner).
    HotlistMatching,
}

impl AgreementScope {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            AgreementScope::Search => "search",
            AgreementScope::HotlistMatching => "hotlist_matching",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "search" => Ok(AgreementScope::Search),
            "hotlist_matching" => Ok(AgreementScope::HotlistMatching),
            other => Err(Error::Corrupt(format!("agreement scope `{other}`"))),
        }
    }
}

/// An owner's grant of access to its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SharingAgreement {
    /// Id (0 before it is stored).
    pub id: i64,
    /// Data owner.
    pub owner: AgencyId,
    /// Who may search.
    pub grantee: Grantee,
    /// For which purposes.
    pub purposes: Vec<Purpose>,
    /// Until when (none: until revoked).
    pub expires_at: Option<DateTime<Utc>>,
    /// Username of the admin who made it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// What it grants (search by default).
    #[serde(default)]
    pub scope: AgreementScope,
    /// When the owner ended it (none: in force until `expires_at`).
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
}

impl SharingAgreement {
    /// Tells whether the agreement is in force at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|e| e > now) && self.ended_at.is_none_or(|e| e > now)
    }
}

/// A written declaration on record (e.g. Illinois 625 ILCS 5/2-130(c)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Declaration {
    /// Id (0 before it is stored).
    pub id: i64,
    /// The declaring agency.
    pub agency: AgencyId,
    /// Whose law it declares compliance with.
    pub jurisdiction: Jurisdiction,
    /// The statement.
    pub statement: String,
    /// Who signed it.
    pub signed_by: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// When it was withdrawn (none: on record).
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
}

impl Declaration {
    /// Tells whether the declaration is on record at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.ended_at.is_none_or(|e| e > now)
    }
}

/// What a bearer token belongs to.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A user's API token.
    User(UserRecord),
    /// A camera's device key.
    Camera(Camera),
}

fn ts(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

fn corrupt(e: sightline_types::Error) -> Error {
    Error::Corrupt(e.to_string())
}

fn conflict_or(e: rusqlite::Error, what: impl FnOnce() -> String) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Error::Conflict(what())
        }
        e => Error::Sqlite(e),
    }
}

fn agency_row(r: &Row<'_>) -> rusqlite::Result<(String, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn agency_from(row: (String, String, String, String)) -> Result<Agency> {
    Ok(Agency {
        id: AgencyId::parse(&row.0).map_err(corrupt)?,
        name: row.1,
        kind: AgencyKind::parse(&row.2).map_err(corrupt)?,
        jurisdiction: Jurisdiction::parse(&row.3).map_err(corrupt)?,
    })
}

type UserRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    bool,
    bool,
    bool,
);

fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
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
    ))
}

fn user_from(r: UserRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: UserId(r.0),
        agency: AgencyId::parse(&r.1).map_err(corrupt)?,
        username: r.2,
        display_name: r.3,
        role: Role::parse(&r.4).map_err(corrupt)?,
        password_hash: r.5,
        node_operator: r.6,
        disabled: r.7,
        must_change_password: r.8,
    })
}

const USER_COLS: &str = "u.id, u.agency_id, u.username, u.display_name, u.role, u.password_hash, u.node_operator, u.disabled, u.must_change_password";

type CameraRow = (i64, String, String, f64, f64, Option<f64>, bool);

fn camera_row(r: &Row<'_>) -> rusqlite::Result<CameraRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn camera_from(r: CameraRow) -> Result<Camera> {
    Ok(Camera {
        id: CameraId(r.0),
        owner: AgencyId::parse(&r.1).map_err(corrupt)?,
        name: r.2,
        lat: r.3,
        lon: r.4,
        bearing: r.5,
        mobile: r.6,
    })
}

const CAMERA_COLS: &str = "id, agency_id, name, lat, lon, bearing, mobile";

/// Loads every camera (for the in-memory cache).
pub(crate) fn load_cameras(conn: &Connection) -> Result<HashMap<CameraId, Camera>> {
    let mut stmt = conn.prepare(&format!("SELECT {CAMERA_COLS} FROM cameras"))?;
    let rows = stmt
        .query_map([], camera_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|r| camera_from(r).map(|c| (c.id, c)))
        .collect()
}

impl Store {
    /// Creates an agency.
    ///
    /// # Errors
    /// `Conflict` when the id is taken.
    pub fn create_agency(&self, a: &Agency) -> Result<()> {
        self.with_directory(|c| {
            c.execute(
                "INSERT INTO agencies(id, name, kind, jurisdiction) VALUES (?1, ?2, ?3, ?4)",
                (
                    a.id.as_str(),
                    &a.name,
                    a.kind.code(),
                    a.jurisdiction.as_str(),
                ),
            )
            .map_err(|e| conflict_or(e, || format!("agency `{}`", a.id)))?;
            Ok(())
        })
    }

    /// Returns an agency.
    ///
    /// # Errors
    /// `NotFound` when there is none.
    pub fn agency(&self, id: &AgencyId) -> Result<Agency> {
        self.with_directory(|c| {
            let row = c
                .query_row(
                    "SELECT id, name, kind, jurisdiction FROM agencies WHERE id = ?1",
                    [id.as_str()],
                    agency_row,
                )
                .optional()?
                .ok_or_else(|| Error::NotFound(format!("agency `{id}`")))?;
            agency_from(row)
        })
    }

    /// Returns every agency, by id.
    ///
    /// # Errors
    /// Database failures.
    pub fn agencies(&self) -> Result<Vec<Agency>> {
        self.with_directory(|c| {
            let mut stmt =
                c.prepare("SELECT id, name, kind, jurisdiction FROM agencies ORDER BY id")?;
            let rows = stmt
                .query_map([], agency_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(agency_from).collect()
        })
    }

    /// Creates a user.
    ///
    /// # Errors
    /// `Conflict` when the username is taken; `NotFound` for an unknown agency.
    pub fn create_user(&self, u: &NewUser, now: DateTime<Utc>) -> Result<UserRecord> {
        self.agency(&u.agency)?;
        let id = self.with_directory(|c| {
            c.execute(
                "INSERT INTO users(id, agency_id, username, display_name, role, password_hash, node_operator, created_us, must_change_password) \
                 VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                rusqlite::params![u.id, u.agency.as_str(), &u.username, &u.display_name, u.role.code(), &u.password_hash, u.node_operator, now.timestamp_micros(), u.must_change_password],
            )
            .map_err(|e| conflict_or(e, || format!("user `{}`", u.username)))?;
            Ok(c.last_insert_rowid())
        })?;
        Ok(UserRecord {
            id: UserId(id),
            agency: u.agency.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            password_hash: u.password_hash.clone(),
            node_operator: u.node_operator,
            disabled: false,
            must_change_password: u.must_change_password,
        })
    }

    /// Finds a user by login name.
    ///
    /// # Errors
    /// Database failures.
    pub fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        self.with_directory(|c| {
            c.query_row(
                &format!("SELECT {USER_COLS} FROM users u WHERE u.username = ?1"),
                [username],
                user_row,
            )
            .optional()?
            .map(user_from)
            .transpose()
        })
    }

    /// Returns the users of an agency.
    ///
    /// # Errors
    /// Database failures.
    pub fn users_of(&self, agency: &AgencyId) -> Result<Vec<UserRecord>> {
        self.with_directory(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {USER_COLS} FROM users u WHERE u.agency_id = ?1 ORDER BY u.username"
            ))?;
            let rows = stmt
                .query_map([agency.as_str()], user_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(user_from).collect()
        })
    }

    /// Stores a hashed API token for a user.
    ///
    /// # Errors
    /// Database failures.
    pub fn insert_token(
        &self,
        hash: &str,
        user: UserId,
        label: &str,
        now: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.with_directory(|c| {
            c.execute(
                "INSERT INTO tokens(hash, user_id, label, created_us, expires_us) VALUES (?1, ?2, ?3, ?4, ?5)",
                (hash, user.0, label, now.timestamp_micros(), expires.map(|e| e.timestamp_micros())),
            )?;
            Ok(())
        })
    }

    /// Deletes a token (logout).
    ///
    /// # Errors
    /// Database failures.
    pub fn revoke_token(&self, hash: &str) -> Result<bool> {
        self.with_directory(|c| Ok(c.execute("DELETE FROM tokens WHERE hash = ?1", [hash])? > 0))
    }

    /// Resolves a hashed bearer secret to a live user token or a camera key.
    ///
    /// # Errors
    /// Database failures.
    pub fn resolve_token(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<TokenKind>> {
        let user = self.with_directory(|c| {
            c.query_row(
                &format!(
                    "SELECT {USER_COLS} FROM tokens t JOIN users u ON u.id = t.user_id \
                     WHERE t.hash = ?1 AND (t.expires_us IS NULL OR t.expires_us > ?2) AND u.disabled = 0"
                ),
                (hash, now.timestamp_micros()),
                user_row,
            )
            .optional()
            .map_err(Error::from)
        })?;
        if let Some(u) = user {
            return Ok(Some(TokenKind::User(user_from(u)?)));
        }
        let cam = self.with_directory(|c| {
            c.query_row(
                &format!(
                    "SELECT {CAMERA_COLS} FROM cameras WHERE key_hash = ?1 AND revoked_us IS NULL"
                ),
                [hash],
                camera_row,
            )
            .optional()
            .map_err(Error::from)
        })?;
        Ok(cam.map(camera_from).transpose()?.map(TokenKind::Camera))
    }

    /// Creates a camera.
    ///
    /// # Errors
    /// `NotFound` for an unknown owner; `Conflict` for a reused key.
    pub fn create_camera(&self, n: &NewCamera, now: DateTime<Utc>) -> Result<Camera> {
        self.agency(&n.owner)?;
        let id = self.with_directory(|c| {
            c.execute(
                "INSERT INTO cameras(id, agency_id, name, lat, lon, bearing, mobile, key_hash, created_us) \
                 VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                rusqlite::params![n.id, n.owner.as_str(), &n.name, n.lat, n.lon, n.bearing, n.mobile, &n.key_hash, now.timestamp_micros()],
            )
            .map_err(|e| conflict_or(e, || "camera key".to_owned()))?;
            Ok(c.last_insert_rowid())
        })?;
        let cam = Camera {
            id: CameraId(id),
            owner: n.owner.clone(),
            name: n.name.clone(),
            lat: n.lat,
            lon: n.lon,
            bearing: n.bearing,
            mobile: n.mobile,
        };
        self.shared
            .cameras
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(cam.id, cam.clone());
        Ok(cam)
    }

    /// Stores a sharing agreement; returns it with its id.
    ///
    /// # Errors
    /// `NotFound` for an unknown owner or grantee agency.
    pub fn create_agreement(&self, a: &SharingAgreement) -> Result<SharingAgreement> {
        self.agency(&a.owner)?;
        match &a.grantee {
            Grantee::Agency(g) => {
                self.agency(g)?;
            }
            Grantee::Group(gs) => {
                for g in gs {
                    self.agency(g)?;
                }
            }
            _ => {}
        }
        let (kind, value) = a.grantee.to_columns();
        let purposes: Vec<&str> = a.purposes.iter().map(|p| p.code()).collect();
        let purposes =
            serde_json::to_string(&purposes).map_err(|e| Error::Corrupt(e.to_string()))?;
        let id = self.with_directory(|c| {
            c.execute(
                "INSERT INTO sharing_agreements(id, owner_id, grantee_kind, grantee, purposes, expires_us, created_by, created_us, scope) \
                 VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                rusqlite::params![a.id, a.owner.as_str(), kind, value, purposes, a.expires_at.map(|e| e.timestamp_micros()), &a.created_by, a.created_at.timestamp_micros(), a.scope.code()],
            )?;
            Ok(c.last_insert_rowid())
        })?;
        Ok(SharingAgreement { id, ..a.clone() })
    }

    /// Returns every sharing agreement (active or not), oldest first.
    ///
    /// # Errors
    /// Database failures or corrupt rows.
    pub fn agreements(&self) -> Result<Vec<SharingAgreement>> {
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            Option<i64>,
            String,
            i64,
            String,
            Option<i64>,
        );
        let rows: Vec<Row> = self.with_directory(|c| {
            let mut stmt = c.prepare(
                "SELECT id, owner_id, grantee_kind, grantee, purposes, expires_us, created_by, created_us, scope, ended_us \
                 FROM sharing_agreements ORDER BY id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|r| {
                let codes: Vec<String> =
                    serde_json::from_str(&r.4).map_err(|e| Error::Corrupt(e.to_string()))?;
                let purposes = codes
                    .iter()
                    .map(|c| Purpose::parse(c).map_err(corrupt))
                    .collect::<Result<Vec<_>>>()?;
                Ok(SharingAgreement {
                    id: r.0,
                    owner: AgencyId::parse(&r.1).map_err(corrupt)?,
                    grantee: Grantee::from_columns(&r.2, r.3)?,
                    purposes,
                    expires_at: r.5.map(ts),
                    created_by: r.6,
                    created_at: ts(r.7),
                    scope: AgreementScope::parse(&r.8)?,
                    ended_at: r.9.map(ts),
                })
            })
            .collect()
    }

    /// Records a written declaration.
    ///
    /// # Errors
    /// `NotFound` for an unknown agency.
    pub fn create_declaration(&self, d: &Declaration) -> Result<Declaration> {
        self.agency(&d.agency)?;
        let id = self.with_directory(|c| {
            c.execute(
                "INSERT INTO declarations(id, agency_id, jurisdiction, statement, signed_by, recorded_us) VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![d.id, d.agency.as_str(), d.jurisdiction.as_str(), &d.statement, &d.signed_by, d.recorded_at.timestamp_micros()],
            )?;
            Ok(c.last_insert_rowid())
        })?;
        Ok(Declaration { id, ..d.clone() })
    }

    /// Returns every declaration on record.
    ///
    /// # Errors
    /// Database failures or corrupt rows.
    pub fn declarations(&self) -> Result<Vec<Declaration>> {
        type Row = (i64, String, String, String, String, i64, Option<i64>);
        let rows: Vec<Row> = self.with_directory(|c| {
            let mut stmt = c.prepare(
                "SELECT id, agency_id, jurisdiction, statement, signed_by, recorded_us, ended_us FROM declarations ORDER BY id",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|r| {
                Ok(Declaration {
                    id: r.0,
                    agency: AgencyId::parse(&r.1).map_err(corrupt)?,
                    jurisdiction: Jurisdiction::parse(&r.2).map_err(corrupt)?,
                    statement: r.3,
                    signed_by: r.4,
                    recorded_at: ts(r.5),
                    ended_at: r.6.map(ts),
                })
            })
            .collect()
    }
}

/// A legal hold: reads of a plate in a window, owned by one agency, kept past retention while the
/// case is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LegalHold {
    /// Id (0 before it is stored).
    pub id: i64,
    /// Data owner whose reads are held.
    pub owner: AgencyId,
    /// Case the hold belongs to.
    pub case_number: String,
    /// Normalised plate.
    pub plate: String,
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Why.
    pub reason: String,
    /// Who placed it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was released, if it was.
    pub released_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Stores (replaces) one text per agency in `table` (`agency_id`, `column`, `updated_by`,
    /// `updated_us`). The table and column names are constants of this module, never input.
    fn upsert_agency_text(
        &self,
        table: &'static str,
        column: &'static str,
        agency: &AgencyId,
        text: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.agency(agency)?;
        self.with_directory(|c| {
            c.execute(
                &format!(
                    "INSERT INTO {table}(agency_id, {column}, updated_by, updated_us) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT(agency_id) DO UPDATE SET {column} = excluded.{column}, updated_by = excluded.updated_by, updated_us = excluded.updated_us"
                ),
                (agency.as_str(), text, by, now.timestamp_micros()),
            )?;
            Ok(())
        })
    }

    /// Stores (replaces) an agency's own policy text.
    ///
    /// # Errors
    /// `NotFound` for an unknown agency.
    pub fn set_agency_policy(
        &self,
        agency: &AgencyId,
        cedar: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.upsert_agency_text("agency_policies", "cedar", agency, cedar, by, now)
    }

    /// Returns every agency policy.
    ///
    /// # Errors
    /// Database failures.
    pub fn agency_policies(&self) -> Result<Vec<(AgencyId, String)>> {
        let rows: Vec<(String, String)> = self.with_directory(|c| {
            let mut stmt =
                c.prepare("SELECT agency_id, cedar FROM agency_policies ORDER BY agency_id")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|(a, t)| Ok((AgencyId::parse(&a).map_err(corrupt)?, t)))
            .collect()
    }

    /// Places a legal hold.
    ///
    /// # Errors
    /// `NotFound` for an unknown owner.
    pub fn create_hold(&self, h: &LegalHold) -> Result<LegalHold> {
        self.agency(&h.owner)?;
        let id = self.with_directory(|c| {
            c.execute(
                "INSERT INTO legal_holds(id, owner_id, case_number, plate, from_us, to_us, reason, created_by, created_us) \
                 VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                rusqlite::params![h.id, h.owner.as_str(), &h.case_number, &h.plate, h.from.timestamp_micros(), h.to.timestamp_micros(), &h.reason, &h.created_by, h.created_at.timestamp_micros()],
            )?;
            Ok(c.last_insert_rowid())
        })?;
        Ok(LegalHold { id, ..h.clone() })
    }

    /// Releases a hold; returns it, or `NotFound`.
    ///
    /// # Errors
    /// `NotFound` when there is no open hold with that id for that owner.
    pub fn release_hold(&self, id: i64, owner: &AgencyId, now: DateTime<Utc>) -> Result<LegalHold> {
        let n = self.with_directory(|c| {
            Ok(c.execute(
                "UPDATE legal_holds SET released_us = ?1 WHERE id = ?2 AND owner_id = ?3 AND released_us IS NULL",
                (now.timestamp_micros(), id, owner.as_str()),
            )?)
        })?;
        if n == 0 {
            return Err(Error::NotFound(format!("open legal hold {id}")));
        }
        self.holds(true)?
            .into_iter()
            .find(|h| h.id == id)
            .ok_or_else(|| Error::NotFound(format!("legal hold {id}")))
    }

    /// Returns legal holds (all, or only open ones).
    ///
    /// # Errors
    /// Database failures.
    pub fn holds(&self, include_released: bool) -> Result<Vec<LegalHold>> {
        type Row = (
            i64,
            String,
            String,
            String,
            i64,
            i64,
            String,
            String,
            i64,
            Option<i64>,
        );
        let rows: Vec<Row> = self.with_directory(|c| {
            let mut stmt = c.prepare(
                "SELECT id, owner_id, case_number, plate, from_us, to_us, reason, created_by, created_us, released_us \
                 FROM legal_holds WHERE ?1 OR released_us IS NULL ORDER BY id",
            )?;
            let rows = stmt
                .query_map([include_released], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|r| {
                Ok(LegalHold {
                    id: r.0,
                    owner: AgencyId::parse(&r.1).map_err(corrupt)?,
                    case_number: r.2,
                    plate: r.3,
                    from: ts(r.4),
                    to: ts(r.5),
                    reason: r.6,
                    created_by: r.7,
                    created_at: ts(r.8),
                    released_at: r.9.map(ts),
                })
            })
            .collect()
    }
}

impl Store {
    /// Sets the free text an agency publishes beside its transparency figures.
    ///
    /// # Errors
    /// `NotFound` for an unknown agency.
    pub fn set_transparency_note(
        &self,
        agency: &AgencyId,
        note: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.upsert_agency_text("transparency_notes", "note", agency, note, by, now)
    }

    /// Returns an agency's published note.
    ///
    /// # Errors
    /// Database failures.
    pub fn transparency_note(&self, agency: &AgencyId) -> Result<Option<String>> {
        self.with_directory(|c| {
            Ok(c.query_row(
                "SELECT note FROM transparency_notes WHERE agency_id = ?1",
                [agency.as_str()],
                |r| r.get(0),
            )
            .optional()?)
        })
    }
}

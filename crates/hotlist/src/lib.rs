//! Hot lists and hits: lists of plates an agency is looking for, matched against every accepted
//! read, exactly and by OCR-canonical key (a fuzzy hit is marked as such).
//!
//! Lists, entries and hits live in `hotlists.db` beside the store. Matching uses an in-memory
//! index (plate → entries, canonical key → entries) rebuilt whenever a list changes, so a read is
//! matched with two hash look-ups and ingest never waits on the database for it. Which categories
//! an owner may use at all is decided by the owner's law (the node asks the policy engine before
//! a list is created); expiry is checked against the node's clock at match time.
#![deny(missing_docs)]

pub mod edge;
pub mod ncic;
mod store;

pub use store::{HotlistStore, ImportMode};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sightline_types::{AgencyId, ErrorCode, Purpose};

/// Errors from hot lists.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite failed.
    #[error("hot-list database error")]
    Sqlite(#[from] rusqlite::Error),
    /// Bad input, with a sentence.
    #[error("{0}")]
    Invalid(String),
    /// Not found (or not the caller's).
    #[error("{0} not found")]
    NotFound(String),
}

impl Error {
    /// Returns the error class.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Sqlite(_) => ErrorCode::Unavailable,
            Error::Invalid(_) => ErrorCode::BadRequest,
            Error::NotFound(_) => ErrorCode::NotFound,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a list is for; decides which law applies to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Stolen vehicles.
    StolenVehicle,
    /// Stolen plates.
    StolenPlate,
    /// Vehicles of wanted persons.
    WantedPerson,
    /// Missing or endangered persons.
    MissingPerson,
    /// AMBER alerts.
    AmberAlert,
    /// Outstanding warrants.
    Warrant,
    /// Immigration status (e.g. an "Immigration Violator" list).
    ImmigrationStatus,
    /// Anything else the agency maintains.
    Custom,
}

impl Category {
    /// The search purpose a hit from this list serves; the owner's law is asked about it.
    pub fn purpose(self) -> Purpose {
        match self {
            Category::StolenVehicle | Category::StolenPlate => Purpose::StolenVehicle,
            Category::WantedPerson | Category::Warrant => Purpose::Warrant,
            Category::MissingPerson => Purpose::MissingPerson,
            Category::AmberAlert => Purpose::AmberAlert,
            Category::ImmigrationStatus => Purpose::CivilImmigration,
            Category::Custom => Purpose::HotlistFollowup,
        }
    }

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Category::StolenVehicle => "stolen_vehicle",
            Category::StolenPlate => "stolen_plate",
            Category::WantedPerson => "wanted_person",
            Category::MissingPerson => "missing_person",
            Category::AmberAlert => "amber_alert",
            Category::Warrant => "warrant",
            Category::ImmigrationStatus => "immigration_status",
            Category::Custom => "custom",
        }
    }

    /// Parses a code.
    ///
    /// # Errors
    /// `Invalid` listing the codes.
    pub fn parse(s: &str) -> Result<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
            Error::Invalid(format!(
                "unknown hot-list category `{s}`; expected stolen_vehicle, stolen_plate, wanted_person, missing_person, amber_alert, warrant, immigration_status or custom"
            ))
        })
    }
}

/// A hot list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HotList {
    /// Id.
    pub id: i64,
    /// Owning agency.
    pub owner: AgencyId,
    /// Name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Where the entries come from (`custom`, `NCIC`, a vendor feed).
    pub source: String,
    /// Agencies whose cameras this list also runs on (sharing).
    pub shared_with: Vec<AgencyId>,
    /// Creator.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// An entry of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HotEntry {
    /// Id.
    pub id: i64,
    /// List.
    pub list_id: i64,
    /// Normalised plate.
    pub plate: String,
    /// Issuing region.
    pub region: Option<String>,
    /// Why it is listed.
    pub reason: String,
    /// Legal basis (warrant number, report number, statute).
    pub legal_basis: Option<String>,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: DateTime<Utc>,
    /// When it stops matching.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A read that matched a list entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Hit {
    /// Id.
    pub id: i64,
    /// The list.
    pub list_id: i64,
    /// Its name.
    pub list_name: String,
    /// Its category.
    pub category: Category,
    /// The list's owner (who is alerted, with the camera's owner).
    pub list_owner: AgencyId,
    /// The entry.
    pub entry_id: i64,
    /// Why the plate is listed.
    pub reason: String,
    /// The read's sequence number.
    pub read_seq: i64,
    /// Camera.
    pub camera_id: i64,
    /// Camera's name.
    pub camera_name: String,
    /// Camera's owner.
    pub camera_owner: AgencyId,
    /// Plate as read.
    pub plate_read: String,
    /// Plate as listed.
    pub plate_listed: String,
    /// True when only the OCR-canonical keys matched.
    pub fuzzy: bool,
    /// The list categories the camera's checks are bound to, when bound (German model).
    #[serde(default)]
    pub check_purposes: Option<Vec<Category>>,
    /// When the read was captured.
    pub captured_at: DateTime<Utc>,
    /// Where.
    pub lat: f64,
    /// Where.
    pub lon: f64,
    /// When the hit was recorded.
    pub created_at: DateTime<Utc>,
    /// `confirmed`, `wrong_state`, `misread` or `dismissed` once acknowledged.
    pub outcome: Option<String>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// When.
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// The acknowledgement outcomes (counted for transparency: confirmed vs false matches).
pub const ACK_OUTCOMES: &[&str] = &["confirmed", "wrong_state", "misread", "dismissed"];

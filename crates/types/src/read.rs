//! Plate reads: the wire form a camera sends ([`NewRead`]) and the stored form a search returns
//! ([`StoredRead`]).

use crate::agency::{AgencyId, CameraId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest client-supplied read id we accept.
pub const MAX_READ_ID_LEN: usize = 128;

/// Largest plate crop we accept, in bytes of JPEG (before base64).
pub const MAX_CROP_BYTES: usize = 64 * 1024;

/// A read as a camera sends it. Fields are raw; ingest validates and normalises them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRead {
    /// Client-supplied id, unique per camera; re-sending the same id is a no-op.
    pub id: String,
    /// The camera that made the read; optional, but must be the authenticated camera if given.
    #[serde(default)]
    pub camera_id: Option<i64>,
    /// When the plate was seen (RFC 3339).
    pub captured_at: DateTime<Utc>,
    /// Plate text as read; normalised by ingest.
    pub plate: String,
    /// Issuing state or country as read (e.g. `US-IL`, `DE`), when known.
    #[serde(default)]
    pub region: Option<String>,
    /// Reader confidence in 0..=1.
    #[serde(default)]
    pub confidence: Option<f64>,
    /// Vehicle colour, from a small palette (`white`, `black`, `grey`, …).
    #[serde(default)]
    pub colour: Option<String>,
    /// Vehicle type (`sedan`, `suv`, `pickup`, `van`, `truck`, `motorcycle`, `bus`, …).
    #[serde(default)]
    pub vehicle_type: Option<String>,
    /// Vehicle make, when known.
    #[serde(default)]
    pub make: Option<String>,
    /// Latitude where the read happened (mobile cameras); defaults to the camera's.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude where the read happened (mobile cameras); defaults to the camera's.
    #[serde(default)]
    pub lon: Option<f64>,
    /// A JPEG image of the plate, base64 (standard alphabet, padded), at most
    /// [`MAX_CROP_BYTES`] bytes of JPEG. Kept with the read (and deleted with it); searches
    /// return it when they ask for crops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<String>,
}

/// Vehicle attributes, normalised to lower case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VehicleAttributes {
    /// Colour.
    pub colour: Option<String>,
    /// Vehicle type.
    pub vehicle_type: Option<String>,
    /// Make.
    pub make: Option<String>,
}

/// A stored read as returned by a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredRead {
    /// Node-assigned sequence number.
    pub seq: i64,
    /// The client-supplied id.
    pub id: String,
    /// The camera.
    pub camera_id: CameraId,
    /// The camera's name.
    pub camera_name: String,
    /// The data owner (the camera's agency).
    pub owner: AgencyId,
    /// When the plate was seen.
    pub captured_at: DateTime<Utc>,
    /// Normalised plate text.
    pub plate: String,
    /// Issuing region, when known.
    pub region: Option<String>,
    /// Reader confidence in 0..=1.
    pub confidence: Option<f64>,
    /// Vehicle attributes.
    #[serde(flatten)]
    pub attributes: VehicleAttributes,
    /// Latitude of the read.
    pub lat: f64,
    /// Longitude of the read.
    pub lon: f64,
    /// The plate crop the camera sent (a base64 JPEG), when the search asked for crops
    /// (`with_crops`) and there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<String>,
}

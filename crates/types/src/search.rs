//! Search requests and responses: the only way plate data leaves a node.
//!
//! Request fields that the law requires (purpose, case number) are optional *in the wire type*
//! so that a request lacking them still reaches the search service, which refuses it and
//! writes the refusal to the audit log; a JSON-level rejection would leave no trace.

use crate::agency::AgencyId;
use crate::read::StoredRead;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A search as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// Purpose code from the taxonomy (`GET /api/v1/purposes`). Required.
    #[serde(default)]
    pub purpose: Option<String>,
    /// Case or incident number. Required.
    #[serde(default)]
    pub case_number: Option<String>,
    /// Free-text reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// Agency on whose behalf the search is made, if not the requester's own.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    /// What to look for.
    pub query: SearchQuery,
    /// Maximum rows to return (default 500, at most 5000).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Also return each read's plate crop, where the camera sent one (larger responses: the
    /// limit's default and maximum become 200 rows).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub with_crops: bool,
    /// The audit entry of an earlier search of the same user that this one follows up (e.g. the
    /// vehicle page opened from a result): its purpose, case number, reason and on-behalf-of are
    /// used instead of the fields above, so a follow-up can never be a fresh, weaker request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<u64>,
}

/// The query part of a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// A plate query; exactly one of `plate` and `description` is required.
    #[serde(default)]
    pub plate: Option<PlateQuery>,
    /// A description query.
    #[serde(default)]
    pub description: Option<DescriptionQuery>,
    /// The time window searched.
    pub window: TimeWindow,
    /// Only these cameras.
    #[serde(default)]
    pub cameras: Option<Vec<i64>>,
    /// Only cameras within this radius.
    #[serde(default)]
    pub area: Option<GeoRadius>,
}

/// How to match plate text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PlateQuery {
    /// Exactly this plate (after normalisation).
    Exact(String),
    /// `?` is one character, `*` any run.
    Wildcard(String),
    /// Same OCR-canonical form, or one edit away from it.
    Fuzzy(String),
}

/// A vehicle description; at least one field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DescriptionQuery {
    /// Colour.
    #[serde(default)]
    pub colour: Option<String>,
    /// Vehicle type.
    #[serde(default)]
    pub vehicle_type: Option<String>,
    /// Make.
    #[serde(default)]
    pub make: Option<String>,
}

/// A half-open interval `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
}

/// A circle on the map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoRadius {
    /// Centre latitude.
    pub lat: f64,
    /// Centre longitude.
    pub lon: f64,
    /// Radius in metres.
    pub radius_m: f64,
}

impl GeoRadius {
    /// Tells whether a point lies within the circle (haversine distance).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        haversine_m(self.lat, self.lon, lat, lon) <= self.radius_m
    }
}

/// Great-circle distance in metres.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().asin()
}

/// Whether an owner's data took part in a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OwnerOutcome {
    /// Policy allowed; its rows (if any) are in the results.
    Contributed,
    /// Policy denied; none of its rows were read.
    Excluded,
}

/// The policy decision for one data owner, as shown to the requester and written to the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OwnerDecision {
    /// The data owner.
    pub owner: AgencyId,
    /// Its display name.
    pub owner_name: String,
    /// Contributed or excluded.
    pub outcome: OwnerOutcome,
    /// The id of the rule that decided.
    pub rule: String,
    /// The legal or policy source of that rule.
    pub citation: String,
    /// A plain-language explanation.
    pub explanation: String,
    /// Rows this owner contributed.
    pub result_count: u64,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// The audit entry's sequence number: the search's receipt.
    pub audit_seq: u64,
    /// Matching reads, newest first.
    pub results: Vec<StoredRead>,
    /// True when more rows matched than `limit`.
    pub truncated: bool,
    /// One decision per data owner considered.
    pub owners: Vec<OwnerDecision>,
}

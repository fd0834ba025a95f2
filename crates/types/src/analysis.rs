//! Investigative analysis: multi-location ("which vehicles were at these places at these times")
//! and convoy ("which vehicles travel with this one") searches. They run through the same search
//! service as a plate search (validate → owners → policy per owner → store → audit → results);
//! the policy sees them as their own `query_kind` and, by default, allows them only for serious
//! crime, under a court order or warrant, over narrow windows.

use crate::read::StoredRead;
use crate::search::{GeoRadius, OwnerDecision, TimeWindow};
use serde::{Deserialize, Serialize};

/// A court order or warrant authorising an analysis search. Checked for shape and dates against
/// the node's clock, recorded in the audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Warrant {
    /// The issuing court (`Circuit Court of Cook County`).
    pub court: String,
    /// The order's reference or docket number (`2026-SW-00412`).
    pub reference: String,
    /// Date issued, `YYYY-MM-DD`; not in the future.
    pub issued: String,
    /// Date it expires, `YYYY-MM-DD`; not before today, after `issued`, at most a year later.
    pub expires: String,
}

/// The kind of an analysis search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AnalysisQuery {
    /// Vehicles seen at several places.
    MultiLocation(MultiLocationQuery),
    /// Vehicles travelling with a target plate.
    Convoy(ConvoyQuery),
}

impl AnalysisQuery {
    /// The `query_kind` the policy sees: `multi_location` or `convoy`.
    pub fn kind(&self) -> &'static str {
        match self {
            AnalysisQuery::MultiLocation(_) => "multi_location",
            AnalysisQuery::Convoy(_) => "convoy",
        }
    }
}

/// One place of a multi-location search: an area or a camera list, and its own window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// A short label shown in results (`"gas station"`).
    #[serde(default)]
    pub label: Option<String>,
    /// Cameras within this circle; exactly one of `area` and `cameras`.
    #[serde(default)]
    pub area: Option<GeoRadius>,
    /// These cameras.
    #[serde(default)]
    pub cameras: Option<Vec<i64>>,
    /// The window at this place (at most 24 hours by default policy).
    pub window: TimeWindow,
}

/// Vehicles seen at `min_places` or more of 2–10 places.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MultiLocationQuery {
    /// The places (2 to 10).
    pub places: Vec<Place>,
    /// How many of the places a vehicle must have been seen at (default: all of them; at least 2).
    #[serde(default)]
    pub min_places: Option<u32>,
}

/// Vehicles seen at the same cameras as `plate` within `delta_s` seconds of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvoyQuery {
    /// The target plate (exact).
    pub plate: String,
    /// The window (at most 7 days by default policy).
    pub window: TimeWindow,
    /// Seconds either side of each of the target's sightings (default 60, 1 to 600).
    #[serde(default)]
    pub delta_s: Option<u32>,
    /// Distinct camera/time events a vehicle must share with the target (default 3, at least 2).
    #[serde(default)]
    pub min_events: Option<u32>,
}

/// An analysis search as submitted. As with [`crate::SearchRequest`], the fields the law
/// requires are optional in the wire type so that a request lacking them is refused and audited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalysisRequest {
    /// Purpose code (`GET /api/v1/purposes`). Required.
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
    /// The court order or warrant (the default policy refuses analysis without one).
    #[serde(default)]
    pub warrant: Option<Warrant>,
    /// What to look for.
    pub query: AnalysisQuery,
    /// Most matching vehicles to return (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One vehicle in an analysis result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnalysisMatch {
    /// The plate.
    pub plate: String,
    /// Places matched (multi-location) or camera/time events shared with the target (convoy).
    pub score: u32,
    /// Multi-location: the indexes (0-based) of the places it was seen at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<u32>,
    /// Its sightings that made the match.
    pub sightings: Vec<StoredRead>,
}

/// The answer to an analysis search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnalysisResponse {
    /// The audit entry recording this search.
    pub audit_seq: u64,
    /// `multi_location` or `convoy`.
    pub kind: String,
    /// Convoy: the target's own sightings on the allowed cameras.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target: Vec<StoredRead>,
    /// Matching vehicles, best first.
    pub matches: Vec<AnalysisMatch>,
    /// More vehicles matched than were returned.
    pub truncated: bool,
    /// Plates revealed beyond the target's own (counted in the audit entry).
    pub uninvolved_revealed: u64,
    /// Per-owner decisions, with rule and citation.
    pub owners: Vec<OwnerDecision>,
}

/// One file of an evidence package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EvidenceFile {
    /// Path inside the package (`reads.json`, `crops/123.jpg`).
    pub path: String,
    /// The file's bytes, base64.
    pub content_base64: String,
}

/// An exported evidence package: a directory's files (write them out with
/// `sightline evidence export`, check them with `sightline evidence verify`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EvidencePackage {
    /// The audit entry recording the export.
    pub audit_seq: u64,
    /// The search whose evidence this is.
    pub search_seq: u64,
    /// The files, `manifest.json` among them.
    pub files: Vec<EvidenceFile>,
}

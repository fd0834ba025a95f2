//! Saved searches: an officer's own searches kept to run again. A saved search is a template,
//! not a permission: each run builds a fresh [`SearchRequest`] (the window ends now) that goes
//! through the one search path and is audited like any other search.

use crate::agency::AgencyId;
use crate::search::{
    DescriptionQuery, GeoRadius, PlateQuery, SearchQuery, SearchRequest, TimeWindow,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What is saved: the search form's fields, with the window as "the last `hours` hours".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchSpec {
    /// A name the officer recognises (1–100 characters).
    pub name: String,
    /// Purpose code, carried into every run.
    pub purpose: String,
    /// Case or incident number, carried into every run.
    pub case_number: String,
    /// Free-text reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// Agency on whose behalf each run is made.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    /// A plate query; exactly one of `plate` and `description`.
    #[serde(default)]
    pub plate: Option<PlateQuery>,
    /// A description query.
    #[serde(default)]
    pub description: Option<DescriptionQuery>,
    /// Each run searches the last this many hours (1–8784).
    pub hours: u32,
    /// Only these cameras.
    #[serde(default)]
    pub cameras: Option<Vec<i64>>,
    /// Only cameras within this radius.
    #[serde(default)]
    pub area: Option<GeoRadius>,
}

impl SavedSearchSpec {
    /// The request one run makes at `now`.
    pub fn request(&self, now: DateTime<Utc>, with_crops: bool) -> SearchRequest {
        SearchRequest {
            purpose: Some(self.purpose.clone()),
            case_number: Some(self.case_number.clone()),
            reason: self.reason.clone(),
            on_behalf_of: self.on_behalf_of.clone(),
            query: SearchQuery {
                plate: self.plate.clone(),
                description: self.description.clone(),
                window: TimeWindow {
                    from: now - Duration::hours(i64::from(self.hours.clamp(1, 8784))),
                    to: now + Duration::minutes(1),
                },
                cameras: self.cameras.clone(),
                area: self.area,
            },
            limit: None,
            with_crops,
            follows: None,
        }
    }
}

/// A saved search, owned by the user who saved it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SavedSearch {
    /// Identifier.
    pub id: i64,
    /// The user who saved it (only they see and run it).
    pub user_id: i64,
    /// Their agency.
    pub agency: AgencyId,
    /// What runs.
    pub spec: SavedSearchSpec,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
}

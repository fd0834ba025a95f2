//! Request validation: turns a wire [`SearchRequest`] into a [`ParsedSearch`] or a sentence
//! saying what is wrong.

use chrono::{DateTime, Duration, Utc};
use sightline_store::PlateSelector;
use sightline_types::{
    Agency, AgencyId, Camera, GeoRadius, MessageKey, PlatePattern, PlateQuery, PlateText, Purpose,
    SearchRequest, TimeWindow, VehicleAttributes,
};
use std::collections::HashSet;

/// Why a request is refused: the English sentence (the API's message and the audit entry's
/// `error`) and, for pages in other languages, the same as a key and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The sentence.
    pub message: String,
    /// The key (`None`: pages show the refusal by its class).
    pub key: Option<MessageKey>,
}

impl Refusal {
    fn keyed<const N: usize>(
        message: impl Into<String>,
        key: &'static str,
        args: [String; N],
    ) -> Self {
        Refusal {
            message: message.into(),
            key: Some(MessageKey::new(key, args)),
        }
    }

    /// A domain value's validation error under a field name.
    fn field(field: &str, e: &sightline_types::Error) -> Self {
        Refusal {
            message: format!("{field}: {e}"),
            key: Some(e.key()),
        }
    }
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Refusal { message, key: None }
    }
}

impl From<&str> for Refusal {
    fn from(message: &str) -> Self {
        Refusal {
            message: message.to_owned(),
            key: None,
        }
    }
}

impl From<Refusal> for String {
    fn from(r: Refusal) -> Self {
        r.message
    }
}

/// Default rows returned.
pub const DEFAULT_LIMIT: usize = 500;
/// Most rows a search may return.
pub const MAX_LIMIT: usize = 5000;
/// Most rows a search that asks for plate crops returns (each crop is up to 64 KiB).
pub const MAX_CROP_LIMIT: usize = 200;
/// Longest window a single search may cover.
const MAX_WINDOW_DAYS: i64 = 366;

/// A validated search.
#[derive(Debug, Clone)]
pub struct ParsedSearch {
    /// Declared purpose.
    pub purpose: Purpose,
    /// Case number.
    pub case_number: String,
    /// Free-text reason.
    pub reason: String,
    /// On-behalf-of agency, if another.
    pub on_behalf_of: Option<Agency>,
    /// Plate selector, or `None` for a description search.
    pub plate: Option<PlateSelector>,
    /// Description fields (used when `plate` is `None`).
    pub description: VehicleAttributes,
    /// Window.
    pub window: TimeWindow,
    /// Camera filter.
    pub cameras: Option<HashSet<i64>>,
    /// Area filter.
    pub area: Option<GeoRadius>,
    /// Row limit.
    pub limit: usize,
    /// Return the reads' plate crops too.
    pub with_crops: bool,
}

impl ParsedSearch {
    /// Tells whether a camera is within the query's camera and area filters.
    pub fn camera_in_scope(&self, c: &Camera) -> bool {
        self.cameras.as_ref().is_none_or(|s| s.contains(&c.id.0))
            && self
                .area
                .as_ref()
                .is_none_or(|a| c.mobile || a.contains(c.lat, c.lon))
    }
}

fn required(v: &Option<String>, what: &str, hint: &str) -> Result<String, Refusal> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_owned()),
        _ => Err(Refusal::keyed(
            format!("{what} is required{hint}"),
            "err.required",
            [what.replace(' ', "_")],
        )),
    }
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty())
}

/// The context every search states: purpose, case number, reason, on-behalf-of.
pub(crate) struct Context {
    pub(crate) purpose: Purpose,
    pub(crate) case_number: String,
    pub(crate) reason: String,
    pub(crate) on_behalf_of: Option<Agency>,
}

/// Validates the context fields shared by plate and analysis searches.
pub(crate) fn parse_context(
    purpose: &Option<String>,
    case_number: &Option<String>,
    reason: &Option<String>,
    on_behalf_of: &Option<String>,
    agency: impl Fn(&AgencyId) -> Option<Agency>,
) -> Result<Context, Refusal> {
    let code = required(
        purpose,
        "purpose",
        ": choose a code from GET /api/v1/purposes",
    )?;
    let purpose = Purpose::parse(&code).map_err(|e| Refusal {
        message: e.to_string(),
        key: Some(e.key()),
    })?;
    let case_number = required(case_number, "case number", " for every search")?;
    if case_number.chars().count() > 64 {
        return Err(Refusal::keyed(
            "case number must be at most 64 characters",
            "err.case_too_long",
            ["64".into()],
        ));
    }
    let reason = reason.clone().unwrap_or_default().trim().to_owned();
    if reason.chars().count() > 1000 {
        return Err(Refusal::keyed(
            "reason must be at most 1000 characters",
            "err.reason_too_long",
            ["1000".into()],
        ));
    }
    let on_behalf_of = match on_behalf_of
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => {
            let id = AgencyId::parse(s).map_err(|e| Refusal::field("on_behalf_of", &e))?;
            Some(agency(&id).ok_or_else(|| {
                Refusal::keyed(
                    format!("on_behalf_of agency `{id}` is not known to this node"),
                    "err.unknown_agency",
                    [id.to_string()],
                )
            })?)
        }
    };
    Ok(Context {
        purpose,
        case_number,
        reason,
        on_behalf_of,
    })
}

/// Validates a request. `agency` looks up an on-behalf-of agency.
pub(crate) fn parse(
    req: &SearchRequest,
    now: DateTime<Utc>,
    agency: impl Fn(&AgencyId) -> Option<Agency>,
) -> Result<ParsedSearch, Refusal> {
    let Context {
        purpose,
        case_number,
        reason,
        on_behalf_of,
    } = parse_context(
        &req.purpose,
        &req.case_number,
        &req.reason,
        &req.on_behalf_of,
        agency,
    )?;
    let q = &req.query;
    let w = q.window;
    if w.to <= w.from {
        return Err(Refusal::keyed(
            "query.window: `to` must be after `from`",
            "err.window_order",
            [],
        ));
    }
    if w.to - w.from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(Refusal::keyed(
            format!("query.window covers more than {MAX_WINDOW_DAYS} days"),
            "err.window_too_long",
            [MAX_WINDOW_DAYS.to_string()],
        ));
    }
    if w.from > now {
        return Err(Refusal::keyed(
            "query.window starts in the future",
            "err.window_future",
            [],
        ));
    }
    let plate = match (&q.plate, &q.description) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(Refusal::keyed(
                "query needs exactly one of `plate` and `description`",
                "err.plate_or_description",
                [],
            ));
        }
        (Some(PlateQuery::Exact(p)), None) => Some(PlateSelector::Exact(
            PlateText::normalise(p).map_err(|e| Refusal::field("query.plate", &e))?,
        )),
        (Some(PlateQuery::Fuzzy(p)), None) => Some(PlateSelector::Fuzzy(
            PlateText::normalise(p).map_err(|e| Refusal::field("query.plate", &e))?,
        )),
        (Some(PlateQuery::Wildcard(p)), None) => Some(PlateSelector::Wildcard(
            PlatePattern::parse(p).map_err(|e| Refusal::field("query.plate", &e))?,
        )),
        (None, Some(_)) => None,
    };
    let description = q.description.clone().unwrap_or_default();
    let description = VehicleAttributes {
        colour: clean(description.colour),
        vehicle_type: clean(description.vehicle_type),
        make: clean(description.make),
    };
    if plate.is_none() && description == VehicleAttributes::default() {
        return Err(Refusal::keyed(
            "query.description needs a colour, vehicle_type or make",
            "err.description_empty",
            [],
        ));
    }
    let cameras = match &q.cameras {
        Some(c) if c.is_empty() => {
            return Err(Refusal::keyed(
                "query.cameras must not be empty when given",
                "err.cameras_empty",
                [],
            ));
        }
        Some(c) if c.len() > 1000 => {
            return Err(Refusal::keyed(
                "query.cameras lists more than 1000 cameras",
                "err.cameras_too_many",
                ["1000".into()],
            ));
        }
        Some(c) => Some(c.iter().copied().collect()),
        None => None,
    };
    if let Some(a) = &q.area
        && (!(1.0..=500_000.0).contains(&a.radius_m)
            || !(-90.0..=90.0).contains(&a.lat)
            || !(-180.0..=180.0).contains(&a.lon))
    {
        return Err(Refusal::keyed(
            "query.area needs a valid lat/lon and a radius_m between 1 and 500000",
            "err.area",
            [],
        ));
    }
    let cap = if req.with_crops {
        MAX_CROP_LIMIT
    } else {
        MAX_LIMIT
    };
    let limit = match req.limit {
        None => DEFAULT_LIMIT.min(cap),
        Some(0) => return Err("limit must be at least 1".into()),
        Some(n) => (n as usize).min(cap),
    };
    Ok(ParsedSearch {
        purpose,
        case_number,
        reason,
        on_behalf_of,
        plate,
        description,
        window: w,
        cameras,
        area: q.area,
        limit,
        with_crops: req.with_crops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_types::SearchQuery;

    fn req() -> SearchRequest {
        let now = Utc::now();
        SearchRequest {
            purpose: Some("stolen_vehicle".into()),
            case_number: Some("26-000123".into()),
            reason: None,
            on_behalf_of: None,
            query: SearchQuery {
                plate: Some(PlateQuery::Exact("abc 123".into())),
                description: None,
                window: TimeWindow {
                    from: now - Duration::days(1),
                    to: now,
                },
                cameras: None,
                area: None,
            },
            limit: None,
            with_crops: false,
            follows: None,
        }
    }

    #[test]
    fn test_missing_purpose_and_case_number_refused() {
        let mut r = req();
        r.purpose = None;
        assert!(
            parse(&r, Utc::now(), |_| None)
                .unwrap_err()
                .message
                .contains("purpose is required")
        );
        let mut r = req();
        r.case_number = Some("  ".into());
        assert!(
            parse(&r, Utc::now(), |_| None)
                .unwrap_err()
                .message
                .contains("case number is required")
        );
        let mut r = req();
        r.purpose = Some("curiosity".into());
        assert!(
            parse(&r, Utc::now(), |_| None)
                .unwrap_err()
                .message
                .contains("unknown purpose")
        );
    }

    #[test]
    fn test_query_shape_checks() {
        let mut r = req();
        r.query.window.to = r.query.window.from;
        assert!(parse(&r, Utc::now(), |_| None).is_err());
        let mut r = req();
        r.query.plate = None;
        assert!(
            parse(&r, Utc::now(), |_| None)
                .unwrap_err()
                .message
                .contains("exactly one")
        );
        let mut r = req();
        r.on_behalf_of = Some("nobody-here".into());
        assert!(
            parse(&r, Utc::now(), |_| None)
                .unwrap_err()
                .message
                .contains("not known")
        );
        let p = parse(&req(), Utc::now(), |_| None).unwrap();
        assert_eq!(p.limit, DEFAULT_LIMIT);
    }

    #[test]
    fn test_refusals_carry_their_message_keys() {
        let key = |r: &SearchRequest| parse(r, Utc::now(), |_| None).unwrap_err().key;
        let mut r = req();
        r.case_number = None;
        assert_eq!(
            key(&r),
            Some(MessageKey::new("err.required", ["case_number".into()]))
        );
        let mut r = req();
        r.query.plate = Some(PlateQuery::Exact("AB$12".into()));
        assert_eq!(
            key(&r),
            Some(MessageKey::new("err.plate_character", ["'$'".into()]))
        );
        let mut r = req();
        r.query.window.from = Utc::now() + Duration::hours(1);
        r.query.window.to = Utc::now() + Duration::hours(2);
        assert_eq!(key(&r).map(|k| k.key), Some("err.window_future"));
    }
}

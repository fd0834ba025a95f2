//! Analysis searches — multi-location and convoy — on the same path as a plate search:
//! validate → owners of the cameras in scope → policy per owner (which sees `query_kind`, the
//! warrant flag and the analysis window) → store reads on the allowed owners' cameras only,
//! through the (camera, time) index → audit entry (with the warrant and the number of uninvolved
//! vehicles revealed) → results.

use crate::plan::{self, Costs, Scope};
use crate::validate::{Context, ParsedSearch, parse_context};
use crate::{Error, Gate, Principal, Result, Searcher, cut, excerpt, summarise};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use sightline_store::{PlateId, Sighting};
use sightline_types::{
    AnalysisMatch, AnalysisQuery, AnalysisRequest, AnalysisResponse, Camera, CameraId, GeoRadius,
    PlateText, StoredRead, TimeWindow, VehicleAttributes, Warrant,
};
use std::collections::{BTreeMap, HashSet};

/// Default matches returned.
pub const DEFAULT_MATCHES: usize = 100;
/// Most matches returned.
pub const MAX_MATCHES: usize = 1000;
/// Hard bound on any analysis window (the policy's defaults are far narrower).
const MAX_ANALYSIS_DAYS: i64 = 31;
/// Most sightings one place (or one convoy neighbourhood) may yield before the search is cut.
const MAX_SIGHTINGS: usize = 2_000_000;
/// Most sightings kept per match in a response.
const MAX_SIGHTINGS_PER_MATCH: usize = 50;

/// A validated place.
#[derive(Debug, Clone)]
struct ParsedPlace {
    area: Option<GeoRadius>,
    cameras: Option<HashSet<i64>>,
    window: TimeWindow,
}

impl ParsedPlace {
    /// Fixed cameras only: a mobile camera's reads are not "at" a place in a way that
    /// co-location analysis can rely on.
    fn contains(&self, c: &Camera) -> bool {
        !c.mobile
            && self.cameras.as_ref().is_none_or(|s| s.contains(&c.id.0))
            && self.area.as_ref().is_none_or(|a| a.contains(c.lat, c.lon))
    }
}

enum Kind {
    Multi {
        places: Vec<ParsedPlace>,
        min_places: usize,
    },
    Convoy(ConvoyParams),
}

/// A validated convoy query.
struct ConvoyParams {
    plate: PlateText,
    window: TimeWindow,
    delta_us: i64,
    min_events: usize,
}

struct Parsed {
    context: ParsedSearch,
    kind: Kind,
    warrant: Option<Warrant>,
    limit: usize,
    /// The window length the policy compares with its limits, hours: the longest place window
    /// (multi-location) or the whole window (convoy).
    window_hours: i64,
}

fn check_window(w: &TimeWindow, now: DateTime<Utc>, what: &str) -> Result<(), String> {
    if w.to <= w.from {
        return Err(format!("{what}: `to` must be after `from`"));
    }
    if w.from > now {
        return Err(format!("{what} starts in the future"));
    }
    if w.to - w.from > Duration::days(MAX_ANALYSIS_DAYS) {
        return Err(format!("{what} covers more than {MAX_ANALYSIS_DAYS} days"));
    }
    Ok(())
}

/// Checks a warrant's shape and dates against the node's clock.
///
/// # Errors
/// A sentence naming the field that is wrong.
pub fn check_warrant(w: &Warrant, now: DateTime<Utc>) -> Result<(), String> {
    let text = |v: &str, what: &str, max: usize| -> Result<(), String> {
        let v = v.trim();
        if v.chars().count() < 3 || v.chars().count() > max {
            return Err(format!("warrant.{what} must be 3 to {max} characters"));
        }
        if v.chars().any(char::is_control) {
            return Err(format!(
                "warrant.{what} must not contain control characters"
            ));
        }
        Ok(())
    };
    text(&w.court, "court", 200)?;
    text(&w.reference, "reference", 64)?;
    if !w
        .reference
        .trim()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " -/.:_#()".contains(c))
    {
        return Err(
            "warrant.reference may hold letters, digits, spaces and - / . : _ # ( ) only".into(),
        );
    }
    let date = |v: &str, what: &str| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| format!("warrant.{what} must be a date, YYYY-MM-DD"))
    };
    let issued = date(&w.issued, "issued")?;
    let expires = date(&w.expires, "expires")?;
    let today = now.date_naive();
    if issued > today {
        return Err("warrant.issued is in the future".into());
    }
    if expires < issued {
        return Err("warrant.expires is before warrant.issued".into());
    }
    if expires < today {
        return Err(format!("the warrant expired on {expires}"));
    }
    if expires - issued > Duration::days(366) {
        return Err("a warrant valid for more than a year is not accepted".into());
    }
    Ok(())
}

fn parse(
    req: &AnalysisRequest,
    now: DateTime<Utc>,
    agency: impl Fn(&sightline_types::AgencyId) -> Option<sightline_types::Agency>,
) -> Result<Parsed, String> {
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
    if let Some(w) = &req.warrant {
        check_warrant(w, now)?;
    }
    let limit = match req.limit {
        None => DEFAULT_MATCHES,
        Some(0) => return Err("limit must be at least 1".into()),
        Some(n) => (n as usize).min(MAX_MATCHES),
    };
    let (kind, span, window_hours) = match &req.query {
        AnalysisQuery::MultiLocation(m) => {
            if !(2..=10).contains(&m.places.len()) {
                return Err("query.multi_location.places must list 2 to 10 places".into());
            }
            let mut places = Vec::new();
            for (i, p) in m.places.iter().enumerate() {
                let what = format!("query.multi_location.places[{i}]");
                check_window(&p.window, now, &format!("{what}.window"))?;
                let cameras = match (&p.area, &p.cameras) {
                    (Some(_), Some(_)) | (None, None) => {
                        return Err(format!("{what} needs exactly one of `area` and `cameras`"));
                    }
                    (Some(a), None) => {
                        if !(1.0..=50_000.0).contains(&a.radius_m)
                            || !(-90.0..=90.0).contains(&a.lat)
                            || !(-180.0..=180.0).contains(&a.lon)
                        {
                            return Err(format!(
                                "{what}.area needs a valid lat/lon and a radius_m between 1 and 50000"
                            ));
                        }
                        None
                    }
                    (None, Some(c)) if c.is_empty() || c.len() > 100 => {
                        return Err(format!("{what}.cameras must list 1 to 100 cameras"));
                    }
                    (None, Some(c)) => Some(c.iter().copied().collect()),
                };
                if p.label.as_ref().is_some_and(|l| l.chars().count() > 100) {
                    return Err(format!("{what}.label must be at most 100 characters"));
                }
                places.push(ParsedPlace {
                    area: p.area,
                    cameras,
                    window: p.window,
                });
            }
            let n = places.len();
            let min_places = match m.min_places {
                None => n,
                Some(k) if (2..=n as u32).contains(&k) => k as usize,
                Some(_) => {
                    return Err(format!(
                        "query.multi_location.min_places must be between 2 and {n}"
                    ));
                }
            };
            let from = places.iter().map(|p| p.window.from).min().unwrap_or(now);
            let to = places.iter().map(|p| p.window.to).max().unwrap_or(now);
            let longest = places
                .iter()
                .map(|p| (p.window.to - p.window.from).num_minutes())
                .max()
                .unwrap_or(0);
            (
                Kind::Multi { places, min_places },
                TimeWindow { from, to },
                (longest + 59) / 60,
            )
        }
        AnalysisQuery::Convoy(c) => {
            let plate =
                PlateText::normalise(&c.plate).map_err(|e| format!("query.convoy.plate: {e}"))?;
            check_window(&c.window, now, "query.convoy.window")?;
            let delta_s = c.delta_s.unwrap_or(60);
            if !(1..=600).contains(&delta_s) {
                return Err("query.convoy.delta_s must be between 1 and 600".into());
            }
            let min_events = c.min_events.unwrap_or(3);
            if !(2..=1000).contains(&min_events) {
                return Err("query.convoy.min_events must be between 2 and 1000".into());
            }
            let minutes = (c.window.to - c.window.from).num_minutes();
            (
                Kind::Convoy(ConvoyParams {
                    plate,
                    window: c.window,
                    delta_us: i64::from(delta_s) * 1_000_000,
                    min_events: min_events as usize,
                }),
                c.window,
                (minutes + 59) / 60,
            )
        }
    };
    Ok(Parsed {
        context: ParsedSearch {
            purpose,
            case_number,
            reason,
            on_behalf_of,
            plate: None,
            description: VehicleAttributes::default(),
            window: span,
            cameras: None,
            area: None,
            limit,
            with_crops: false,
        },
        kind,
        warrant: req.warrant.clone(),
        limit,
        window_hours,
    })
}

/// The request as the audit log keeps it: free text cut to a bounded excerpt.
fn bounded(req: &AnalysisRequest) -> AnalysisRequest {
    let mut r = req.clone();
    r.purpose = cut(&r.purpose);
    r.case_number = cut(&r.case_number);
    r.reason = cut(&r.reason);
    r.on_behalf_of = cut(&r.on_behalf_of);
    if let Some(w) = &mut r.warrant {
        for f in [
            &mut w.court,
            &mut w.reference,
            &mut w.issued,
            &mut w.expires,
        ] {
            *f = excerpt(f, 300);
        }
    }
    r
}

/// What the store phase found.
struct Found {
    target: Vec<StoredRead>,
    matches: Vec<AnalysisMatch>,
    truncated: bool,
}

impl Searcher {
    /// Runs a multi-location or convoy search. Blocking (SQLite); call it off the async runtime.
    ///
    /// # Errors
    /// Invalid or forbidden requests (audited), audit or store failures.
    pub fn analyse(&self, who: &Principal, req: AnalysisRequest) -> Result<AnalysisResponse> {
        self.analyse_for(who, req, None, false)
    }

    /// As [`Searcher::analyse`]; `evidence_for` names the earlier search an evidence export
    /// re-runs (recorded in the audit entry).
    pub(crate) fn analyse_for(
        &self,
        who: &Principal,
        req: AnalysisRequest,
        evidence_for: Option<u64>,
        crops: bool,
    ) -> Result<AnalysisResponse> {
        let request_json = serde_json::to_value(bounded(&req)).unwrap_or_default();
        let kind_code = req.query.kind();
        let now = self.clock.now();
        let refuse = |message: String| -> Error {
            let details = json!({ "request": request_json, "kind": kind_code, "error": message,
                "evidence_for": evidence_for });
            match self.append(who, "refused", Vec::new(), details) {
                Ok(audit_seq) => Error::Invalid {
                    message,
                    audit_seq,
                    key: None,
                },
                Err(e) => e,
            }
        };
        let parsed = match parse(&req, now, |id| self.store.agency(id).ok()) {
            Ok(p) => p,
            Err(message) => return Err(refuse(message)),
        };
        if !who.user.role.may_search() {
            let message = format!(
                "role `{}` may not run plate searches (permission `{}`)",
                who.user.role,
                sightline_types::Permission::SearchPlates.code()
            );
            return Err(match refuse(message) {
                Error::Invalid {
                    message, audit_seq, ..
                } => Error::Forbidden {
                    message,
                    audit_seq,
                    key: Some(Box::new(sightline_types::MessageKey::new(
                        "err.search_role",
                        [who.user.role.to_string()],
                    ))),
                },
                e => e,
            });
        }
        let has_warrant = parsed.warrant.is_some();
        let window_hours = parsed.window_hours;
        let in_scope = |c: &Camera| match &parsed.kind {
            Kind::Multi { places, .. } => places.iter().any(|p| p.contains(c)),
            Kind::Convoy(_) => !c.mobile,
        };
        let Gate {
            cameras,
            decisions,
            allowed,
            allowed_cameras,
            hits,
            review,
        } = self.gate(who, &parsed.context, now, in_scope, |r| {
            r.query_kind = kind_code.into();
            r.has_warrant = has_warrant;
            r.window_hours = window_hours;
        })?;
        let found = if allowed_cameras.is_empty() {
            Found {
                target: Vec::new(),
                matches: Vec::new(),
                truncated: false,
            }
        } else {
            match &parsed.kind {
                Kind::Multi { places, min_places } => self.multi_location(
                    places,
                    *min_places,
                    &cameras,
                    &allowed_cameras,
                    parsed.limit,
                    crops,
                )?,
                Kind::Convoy(q) => self.convoy(q, &allowed_cameras, parsed.limit, crops)?,
            }
        };
        let count = |id: &sightline_types::AgencyId| {
            found
                .matches
                .iter()
                .flat_map(|m| &m.sightings)
                .chain(&found.target)
                .filter(|r| &r.owner == id)
                .count() as u64
        };
        let (owner_decisions, outcome) = summarise(&decisions, allowed.len(), count);
        // Every plate in the result beyond the target's own is an uninvolved vehicle revealed.
        let uninvolved = found.matches.len() as u64;
        let all_reads: Vec<&StoredRead> = found
            .target
            .iter()
            .chain(found.matches.iter().flat_map(|m| &m.sightings))
            .collect();
        let digest = {
            let mut h = Sha256::new();
            for r in &all_reads {
                h.update(r.seq.to_be_bytes());
            }
            hex::encode(h.finalize())
        };
        let details = json!({
            "request": request_json,
            "kind": kind_code,
            "warrant": parsed.warrant,
            "evidence_for": evidence_for,
            "on_behalf_of_kind": parsed.context.on_behalf_of.as_ref().map(|a| a.kind.code()),
            "screening": hits,
            "review": review,
            "decisions": owner_decisions,
            "result_count": found.matches.len(),
            "uninvolved_revealed": uninvolved,
            "truncated": found.truncated,
            "result_digest": digest,
            "result_reads": all_reads.iter().map(|r| [r.seq, r.captured_at.timestamp_micros()]).collect::<Vec<_>>(),
        });
        let owners_touched = decisions.iter().map(|(a, _)| a.id.clone()).collect();
        // Fail closed: results leave only after the entry is durable.
        let audit_seq = self.append(who, outcome, owners_touched, details)?;
        tracing::info!(
            audit_seq,
            outcome,
            kind = kind_code,
            matches = found.matches.len(),
            "analysis search"
        );
        Ok(AnalysisResponse {
            audit_seq,
            kind: kind_code.into(),
            target: found.target,
            matches: found.matches,
            truncated: found.truncated,
            uninvolved_revealed: uninvolved,
            owners: owner_decisions,
        })
    }

    /// Plates seen at `min_places` or more of the places, through the query plan of
    /// [`crate::plan::multi_location`]: the rarest n − k + 1 places (counted on the camera/time
    /// index) are scanned, the others scanned or probed by plate for the live candidates only,
    /// whichever is cheaper.
    fn multi_location(
        &self,
        places: &[ParsedPlace],
        min_places: usize,
        cameras: &[Camera],
        allowed: &HashSet<CameraId>,
        limit: usize,
        crops: bool,
    ) -> Result<Found> {
        let scopes: Vec<Scope> = places
            .iter()
            .map(|p| Scope {
                cams: cameras
                    .iter()
                    .filter(|c| allowed.contains(&c.id) && p.contains(c))
                    .map(|c| c.id)
                    .collect(),
                from_us: p.window.from.timestamp_micros(),
                to_us: p.window.to.timestamp_micros(),
            })
            .collect();
        let (mut hits, mut truncated, stats) = plan::multi_location(
            self.store.as_ref(),
            &scopes,
            min_places,
            MAX_SIGHTINGS,
            Costs::default(),
        )?;
        tracing::debug!(
            scanned = stats.scanned,
            probed = stats.probed,
            lookups = stats.lookups,
            "multi-location plan"
        );
        truncated |= hits.len() > limit;
        hits.truncate(limit);
        let mut matches = Vec::with_capacity(hits.len());
        for (plate, at) in hits {
            let keys: Vec<Sighting> = at
                .values()
                .flat_map(|v| {
                    v.iter()
                        .take(MAX_SIGHTINGS_PER_MATCH / places.len().max(1) + 1)
                })
                .copied()
                .collect();
            let mut sightings = self.store.reads_of(&keys, crops)?;
            sightings.sort_by_key(|a| a.captured_at);
            let Some(text) = self.store.plate_text(plate) else {
                continue;
            };
            matches.push(AnalysisMatch {
                plate: text,
                score: at.len() as u32,
                places: at.keys().map(|&i| i as u32).collect(),
                sightings,
            });
        }
        Ok(Found {
            target: Vec::new(),
            matches,
            truncated,
        })
    }

    /// Plates seen at the target's cameras within ±Δ of its sightings, at `min_events` or more
    /// distinct sightings of the target, ranked by that count. Reads: the target's sightings by
    /// plate (primary key), then each sighting's neighbourhood at its own camera through the
    /// camera/time index — never the rest of the window.
    fn convoy(
        &self,
        q: &ConvoyParams,
        allowed: &HashSet<CameraId>,
        limit: usize,
        crops: bool,
    ) -> Result<Found> {
        let ConvoyParams {
            plate,
            window,
            delta_us,
            min_events,
        } = q;
        let (delta_us, min_events) = (*delta_us, *min_events);
        let Some(target_id) = self.store.plate_id(plate.as_str()) else {
            return Ok(Found {
                target: Vec::new(),
                matches: Vec::new(),
                truncated: false,
            });
        };
        let mut target = self.store.sightings_of(
            target_id,
            window.from.timestamp_micros(),
            window.to.timestamp_micros(),
            allowed,
        )?;
        target.sort_by_key(|s| (s.captured_us, s.seq));
        let (events, truncated) = plan::convoy(
            self.store.as_ref(),
            &target,
            target_id,
            window.from.timestamp_micros(),
            window.to.timestamp_micros(),
            delta_us,
            MAX_SIGHTINGS,
        )?;
        let mut hits: Vec<(PlateId, BTreeMap<usize, Sighting>)> = events
            .into_iter()
            .filter(|(_, ev)| ev.len() >= min_events)
            .collect();
        hits.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.0.cmp(&b.0.0)));
        let truncated = truncated || hits.len() > limit;
        hits.truncate(limit);
        let mut matches = Vec::with_capacity(hits.len());
        for (plate, ev) in hits {
            let keys: Vec<Sighting> = ev.values().take(MAX_SIGHTINGS_PER_MATCH).copied().collect();
            let sightings = self.store.reads_of(&keys, crops)?;
            let Some(text) = self.store.plate_text(plate) else {
                continue;
            };
            matches.push(AnalysisMatch {
                plate: text,
                score: ev.len() as u32,
                places: Vec::new(),
                sightings,
            });
        }
        let target = self.store.reads_of(&target, crops)?;
        Ok(Found {
            target,
            matches,
            truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warrant(issued: &str, expires: &str) -> Warrant {
        Warrant {
            court: "Circuit Court of Cook County".into(),
            reference: "2026-SW-00412".into(),
            issued: issued.into(),
            expires: expires.into(),
        }
    }

    #[test]
    fn test_warrant_shape_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(check_warrant(&warrant("2026-11-30", "2026-12-30"), now).is_ok());
        assert!(
            check_warrant(&warrant("2026-12-03", "2026-12-30"), now)
                .unwrap_err()
                .contains("future")
        );
        assert!(
            check_warrant(&warrant("2026-11-01", "2026-11-30"), now)
                .unwrap_err()
                .contains("expired")
        );
        assert!(
            check_warrant(&warrant("30.11.2026", "2026-12-30"), now)
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(
            check_warrant(&warrant("2025-11-01", "2026-12-30"), now)
                .unwrap_err()
                .contains("more than a year")
        );
        let mut w = warrant("2026-11-30", "2026-12-30");
        w.reference = "x".into();
        assert!(check_warrant(&w, now).unwrap_err().contains("reference"));
        w.reference = "ok-ref<script>".into();
        assert!(check_warrant(&w, now).unwrap_err().contains("reference"));
    }
}

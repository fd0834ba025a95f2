//! The demo's opening searches: a fresh demo node starts with a few dozen searches by officers of
//! several agencies, for several purposes, some refused by the data owners' law, so that its
//! transparency pages, audit log and oversight report show something from the first minute.
//!
//! They are real searches: each goes through `Searcher::search`, the same call the API's and the
//! web form's handlers make (validation, every data owner's law and agreements, the audit entry
//! before any row). Nothing here writes to the audit log itself.

use anyhow::{Context, Result};
use chrono::{Duration, Utc};
use serde_json::json;
use sightline_server::Node;
use sightline_types::SearchRequest;

/// One planned search: who, purpose, case, reason, on whose behalf, the plate (or a colour for
/// a description search), and how many times it is run.
struct Planned {
    who: &'static str,
    purpose: &'static str,
    case: &'static str,
    reason: &'static str,
    on_behalf_of: Option<&'static str>,
    plate: Option<&'static str>,
    colour: Option<&'static str>,
    times: usize,
}

const fn plan(
    who: &'static str,
    purpose: &'static str,
    case: &'static str,
    reason: &'static str,
    plate: &'static str,
    times: usize,
) -> Planned {
    Planned {
        who,
        purpose,
        case,
        reason,
        on_behalf_of: None,
        plate: Some(plate),
        colour: None,
        times,
    }
}

/// The searches: most allowed, some refused by Illinois's, California's or Bavaria's law (the
/// federal requester), one on behalf of a federal agency, one description search.
const PLANS: &[Planned] = &[
    plan(
        "officer@oak-park-pd",
        "stolen_vehicle",
        "26-004412",
        "reported stolen in Oak Park",
        "CV 48213",
        4,
    ),
    plan(
        "officer@oak-park-pd",
        "robbery",
        "26-004530",
        "vehicle seen leaving a robbery",
        "HMC 5521",
        2,
    ),
    plan(
        "officer@oak-park-pd",
        "hotlist_followup",
        "26-004412",
        "hot-list hit follow-up",
        "CV 48213",
        2,
    ),
    plan(
        "officer@harris-county-so",
        "robbery",
        "HC-26-1187",
        "armed robbery suspect, warrant W-26-1187",
        "KRT-4821",
        3,
    ),
    plan(
        "officer@harris-county-so",
        "stolen_vehicle",
        "HC-26-1201",
        "stolen pickup",
        "CV 48213",
        2,
    ),
    plan(
        "supervisor@harris-county-so",
        "warrant",
        "HC-26-1187",
        "warrant W-26-1187",
        "KRT-4821",
        1,
    ),
    plan(
        "officer@sacramento-pd",
        "amber_alert",
        "26-0031",
        "AMBER alert 26-0031",
        "8FJX253",
        3,
    ),
    plan(
        "officer@pp-muenchen",
        "missing_person",
        "2026/118",
        "Vermisstenfall 2026/118",
        "M-SL 4711",
        3,
    ),
    // The federal requester: Illinois, California and Munich refuse; Harris County shares
    // nationally for some purposes.
    plan(
        "officer@ice-ero-chicago",
        "civil_immigration",
        "ERO-26-0412",
        "removal case",
        "CV 48213",
        2,
    ),
    plan(
        "officer@ice-ero-chicago",
        "other_crime",
        "ERO-26-0415",
        "assist ICE ERO",
        "KRT-4821",
        2,
    ),
    Planned {
        who: "officer@oak-park-pd",
        purpose: "stolen_vehicle",
        case: "26-004601",
        reason: "assist federal task force",
        on_behalf_of: Some("ice-ero-chicago"),
        plate: Some("CV 48213"),
        colour: None,
        times: 1,
    },
    Planned {
        who: "officer@harris-county-so",
        purpose: "motor_vehicle_theft",
        case: "HC-26-1220",
        reason: "red car seen at a theft",
        on_behalf_of: None,
        plate: None,
        colour: Some("red"),
        times: 1,
    },
];

/// What the opening searches came to: searches run, and how many the owners' law refused in
/// part or whole, and how many were refused before any owner was asked.
#[derive(Debug, Default)]
pub struct Seeded {
    /// Searches run.
    pub searches: usize,
    /// Searches at least one data owner refused.
    pub refused_by_owner: usize,
    /// Searches refused outright (invalid or not permitted).
    pub refused: usize,
}

/// Runs the opening searches over the last two days (blocking: call it off the async runtime).
///
/// # Errors
/// A seeded user or agency is missing, or the audit log failed (a search that cannot be
/// audited does not run, and the demo stops).
pub fn seed_searches(node: &Node) -> Result<Seeded> {
    let mut out = Seeded::default();
    for p in PLANS {
        let user = node
            .store
            .user_by_username(p.who)?
            .with_context(|| format!("seeded user {} vanished", p.who))?;
        let agency = node.store.agency(&user.agency)?;
        let who = sightline_search::Principal { agency, user };
        for i in 0..p.times {
            let now = Utc::now();
            let query = match (p.plate, p.colour) {
                (Some(plate), _) => json!({"plate": {"exact": plate}}),
                (None, colour) => json!({"description": {"colour": colour}}),
            };
            let mut q = query;
            q["window"] = json!({"from": (now - Duration::hours(48 - 6 * i as i64)).to_rfc3339(),
                "to": now.to_rfc3339()});
            let req: SearchRequest = serde_json::from_value(json!({
                "purpose": p.purpose, "case_number": p.case, "reason": p.reason,
                "on_behalf_of": p.on_behalf_of, "query": q, "limit": 50}))?;
            out.searches += 1;
            match node.searcher.search(&who, req) {
                Ok(r) => {
                    if r.owners
                        .iter()
                        .any(|o| o.outcome == sightline_types::OwnerOutcome::Excluded)
                    {
                        out.refused_by_owner += 1;
                    }
                }
                Err(
                    sightline_search::Error::Invalid { .. }
                    | sightline_search::Error::Forbidden { .. },
                ) => {
                    out.refused += 1;
                }
                Err(e) => return Err(e).context("a demo search failed"),
            }
        }
    }
    Ok(out)
}

//! The usage watch: detectors that look at searches one at a time, in order, and raise a finding
//! when a misuse pattern appears. The live node feeds it every search as it is audited; the
//! offline analyser feeds it the rows of an exported log (Sightline's or Flock's), so an overseer
//! holding only a vendor's CSV gets the same findings with the same thresholds.
//!
//! Detectors (thresholds in [`Thresholds`], per agency):
//! - `stalking`: one user searched the same plate `stalking_count` times within
//!   `stalking_days`, without one case number covering them all (no case, or several cases).
//! - `burst`: a user's searches in the last hour reach `burst_min` and `burst_factor` times the
//!   user's own hourly average over the previous week.
//! - `off_hours`: a search in an hour of the day in which the user, with at least
//!   `off_hours_history` earlier searches, made under `off_hours_share` of them.
//! - `refusal_streak`: `refusal_streak` refused or denied searches in a row (probing the law).
//! - `federal`: a search made on behalf of a federal agency.
//! - `near_match_reason`: the reason was accepted although purpose screening only nearly matched
//!   a rule (the audit entry's `review` flag).
//! - `trawl`: a wildcard without a case number, or a window longer than `trawl_window_days`.
//!
//! Re-runs of a saved search (`follows`) continue their original and are not counted again.

use chrono::{DateTime, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};
use sightline_audit::AuditEntry;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// One search as the detectors see it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WatchEvent {
    /// Audit sequence number, or the line in an imported file.
    pub seq: u64,
    /// `sightline` or the file name.
    pub source: String,
    /// When the search ran.
    pub time: DateTime<Utc>,
    /// Searching agency.
    pub agency: String,
    /// Searching user (username or officer name).
    pub user: String,
    /// Normalised plate text (or pattern) searched, if a plate search.
    pub plate: Option<String>,
    /// The plate was a wildcard pattern.
    pub wildcard: bool,
    /// Case number given.
    pub case_number: Option<String>,
    /// Refused before any owner was asked, or denied by every owner.
    pub refused: bool,
    /// Made on behalf of a federal agency.
    pub federal: bool,
    /// Purpose screening only nearly matched.
    pub screening_review: bool,
    /// Length of the searched window in days.
    pub window_days: Option<f64>,
    /// Data owners whose data the search touched.
    pub owners: Vec<String>,
    /// A re-run of an earlier search (`follows`).
    pub follow_up: bool,
    /// The saved search this search re-ran, if any: its re-runs are one pattern, not one each.
    pub saved_search: Option<i64>,
}

/// The kinds of finding.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Same plate again and again without one case.
    Stalking,
    /// Far above the user's own baseline.
    Burst,
    /// Outside the user's usual hours.
    OffHours,
    /// Many refusals in a row.
    RefusalStreak,
    /// On behalf of a federal agency.
    Federal,
    /// Reason only nearly matched by screening.
    NearMatchReason,
    /// Wide window or wildcard used as a trawl.
    Trawl,
}

impl FindingKind {
    /// Every kind.
    pub const ALL: &'static [FindingKind] = &[
        FindingKind::Stalking,
        FindingKind::Burst,
        FindingKind::OffHours,
        FindingKind::RefusalStreak,
        FindingKind::Federal,
        FindingKind::NearMatchReason,
        FindingKind::Trawl,
    ];

    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            FindingKind::Stalking => "stalking",
            FindingKind::Burst => "burst",
            FindingKind::OffHours => "off_hours",
            FindingKind::RefusalStreak => "refusal_streak",
            FindingKind::Federal => "federal",
            FindingKind::NearMatchReason => "near_match_reason",
            FindingKind::Trawl => "trawl",
        }
    }
}

/// Detector thresholds. Agencies may override any of them (`[watch.agencies.<id>]` in the node's
/// configuration); missing fields keep the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Searches of one plate by one user that raise `stalking`.
    pub stalking_count: u32,
    /// The window for `stalking`, in days.
    pub stalking_days: u32,
    /// Searches in the last hour needed before `burst` is considered.
    pub burst_min: u32,
    /// How many times the user's hourly average the last hour must reach for `burst`.
    pub burst_factor: f64,
    /// Earlier searches a user needs before `off_hours` applies.
    pub off_hours_history: u32,
    /// Share of the user's searches below which an hour of the day is unusual.
    pub off_hours_share: f64,
    /// Refused or denied searches in a row that raise `refusal_streak`.
    pub refusal_streak: u32,
    /// Windows longer than this (days) are a `trawl`.
    pub trawl_window_days: f64,
    /// Kinds not raised for this agency.
    pub disabled: Vec<FindingKind>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            stalking_count: 10,
            stalking_days: 7,
            burst_min: 30,
            burst_factor: 5.0,
            off_hours_history: 100,
            off_hours_share: 0.01,
            refusal_streak: 5,
            trawl_window_days: 30.0,
            disabled: Vec::new(),
        }
    }
}

/// A finding raised by the watch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WatchFinding {
    /// What fired.
    pub kind: FindingKind,
    /// Stable key: the same input raises the same key (replays skip known keys).
    pub key: String,
    /// Searching agency.
    pub agency: String,
    /// Searching user.
    pub user: String,
    /// Data owners whose data the searches touched.
    pub owners: Vec<String>,
    /// Where the searches came from (`sightline` or a file name).
    pub source: String,
    /// The audit entries (or file lines) that raised it.
    pub entries: Vec<u64>,
    /// What was seen, in words (no plate text).
    pub summary: String,
    /// The summary as a key (`watch.streak`, `watch.trawl_window`, …) for pages in other
    /// languages; empty in findings raised before it existed (those pages then show `summary`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary_key: String,
    /// The numbers filled into the keyed summary, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summary_args: Vec<String>,
    /// When the last search behind it ran.
    pub time: DateTime<Utc>,
}

/// One plate search remembered for `stalking`: (time, plate, case, seq, owners).
type PlateSearch = (DateTime<Utc>, String, Option<String>, u64, Vec<String>);

#[derive(Debug, Default)]
struct UserState {
    /// Plate searches within the longest stalking window: (time, plate, case, seq).
    plates: VecDeque<PlateSearch>,
    /// (user, plate) pairs raised, until when they stay quiet.
    quiet: HashMap<String, DateTime<Utc>>,
    /// Search times within the last week (burst baseline).
    recent: VecDeque<(DateTime<Utc>, u64)>,
    /// Last hour bucket a burst was raised for.
    burst_raised: Option<i64>,
    /// Searches per hour of the day.
    hours: [u32; 24],
    /// Day an off-hours finding was last raised.
    off_hours_raised: Option<i64>,
    /// The current run of refusals.
    refusals: Vec<u64>,
    /// A streak finding was raised for the current run.
    streak_raised: bool,
    /// Saved searches run, with the time of their last run (re-runs are one pattern).
    saved_runs: HashMap<i64, DateTime<Utc>>,
}

/// The detectors' state over a stream of searches.
#[derive(Debug, Default)]
pub struct Watch {
    defaults: Thresholds,
    agencies: BTreeMap<String, Thresholds>,
    users: HashMap<(String, String), UserState>,
}

impl Watch {
    /// A watch with default thresholds and per-agency overrides.
    pub fn new(defaults: Thresholds, agencies: BTreeMap<String, Thresholds>) -> Self {
        Watch {
            defaults,
            agencies,
            users: HashMap::new(),
        }
    }

    /// The thresholds that apply to an agency.
    pub fn thresholds(&self, agency: &str) -> &Thresholds {
        self.agencies.get(agency).unwrap_or(&self.defaults)
    }

    /// Looks at one search (in time order) and returns the findings it raises.
    pub fn observe(&mut self, ev: &WatchEvent) -> Vec<WatchFinding> {
        let th = self.thresholds(&ev.agency).clone();
        let st = self
            .users
            .entry((ev.agency.clone(), ev.user.clone()))
            .or_default();
        // A saved search run again within the longest detector window is the same pattern as its
        // earlier run: it counts like a follow-up (not again towards bursts, hours or repeated
        // plates), and a per-search finding is raised once per saved search, not once per run.
        let window = Duration::days(i64::from(th.stalking_days.max(7)));
        let rerun = ev.saved_search.is_some_and(|id| {
            let again = st
                .saved_runs
                .get(&id)
                .is_some_and(|last| ev.time - *last <= window);
            st.saved_runs.insert(id, ev.time);
            again
        });
        let follow_up = ev.follow_up || rerun;
        let one_key = ev
            .saved_search
            .map_or_else(|| ev.seq.to_string(), |id| format!("saved-{id}"));
        let mut out = Vec::new();
        let mut raise =
            |kind: FindingKind,
             key: String,
             entries: Vec<u64>,
             owners: Vec<String>,
             (summary, summary_key, summary_args): (String, &str, Vec<String>)| {
                if th.disabled.contains(&kind) {
                    return;
                }
                out.push(WatchFinding {
                    kind,
                    key: format!("{}:{}:{}:{key}", kind.code(), ev.agency, ev.user),
                    agency: ev.agency.clone(),
                    user: ev.user.clone(),
                    owners,
                    source: ev.source.clone(),
                    entries,
                    summary,
                    summary_key: summary_key.to_owned(),
                    summary_args,
                    time: ev.time,
                });
            };

        // Refusal streak.
        if ev.refused {
            st.refusals.push(ev.seq);
            if !st.streak_raised && st.refusals.len() as u32 >= th.refusal_streak.max(1) {
                st.streak_raised = true;
                raise(
                    FindingKind::RefusalStreak,
                    st.refusals[0].to_string(),
                    st.refusals.clone(),
                    ev.owners.clone(),
                    (
                        format!("{} refused or denied searches in a row", st.refusals.len()),
                        "watch.streak",
                        vec![st.refusals.len().to_string()],
                    ),
                );
            }
        } else {
            st.refusals.clear();
            st.streak_raised = false;
        }

        // A saved search's re-run raised its per-search findings at its first run.
        if ev.federal && !rerun {
            raise(
                FindingKind::Federal,
                one_key.clone(),
                vec![ev.seq],
                ev.owners.clone(),
                (
                    "search made on behalf of, or naming, a federal agency".into(),
                    "watch.federal",
                    Vec::new(),
                ),
            );
        }
        if ev.screening_review && !rerun {
            raise(
                FindingKind::NearMatchReason,
                one_key.clone(),
                vec![ev.seq],
                ev.owners.clone(),
                (
                    "the stated reason only nearly matched a purpose-screening rule".into(),
                    "watch.near_match",
                    Vec::new(),
                ),
            );
        }
        let wide = ev.window_days.is_some_and(|d| d > th.trawl_window_days);
        if ((ev.wildcard && ev.case_number.is_none()) || wide) && !rerun {
            let (why, key, args) = if wide {
                let (days, max) = (
                    format!("{:.0}", ev.window_days.unwrap_or_default()),
                    format!("{:.0}", th.trawl_window_days),
                );
                (
                    format!("a {days}-day window (more than {max} days)"),
                    "watch.trawl_window",
                    vec![days, max],
                )
            } else {
                (
                    "a wildcard plate pattern without a case number".into(),
                    "watch.trawl_wildcard",
                    Vec::new(),
                )
            };
            raise(
                FindingKind::Trawl,
                one_key.clone(),
                vec![ev.seq],
                ev.owners.clone(),
                (format!("search used {why}"), key, args),
            );
        }

        // Off hours: judged against the history before this search.
        let hour = ev.time.hour() as usize;
        let total: u32 = st.hours.iter().sum();
        if total >= th.off_hours_history && !follow_up {
            let near = st.hours[hour] + st.hours[(hour + 23) % 24] + st.hours[(hour + 1) % 24];
            let day = ev.time.timestamp().div_euclid(86_400);
            if f64::from(near) < th.off_hours_share * f64::from(total)
                && st.off_hours_raised != Some(day)
            {
                st.off_hours_raised = Some(day);
                raise(
                    FindingKind::OffHours,
                    day.to_string(),
                    vec![ev.seq],
                    ev.owners.clone(),
                    (
                        format!(
                            "search at {hour:02}:00 UTC; {near} of the user's {total} earlier searches fell within an hour of it"
                        ),
                        "watch.off_hours",
                        vec![format!("{hour:02}"), near.to_string(), total.to_string()],
                    ),
                );
            }
        }
        if !follow_up {
            st.hours[hour] = st.hours[hour].saturating_add(1);
        }

        if follow_up {
            return out;
        }

        // Burst against the user's own last week.
        let week = Duration::days(7);
        while st.recent.front().is_some_and(|(t, _)| ev.time - *t > week) {
            st.recent.pop_front();
        }
        st.recent.push_back((ev.time, ev.seq));
        let hour_ago = ev.time - Duration::hours(1);
        let last_hour: Vec<u64> = st
            .recent
            .iter()
            .filter(|(t, _)| *t > hour_ago)
            .map(|(_, s)| *s)
            .collect();
        let before = (st.recent.len() - last_hour.len()) as f64;
        let baseline = (before / (7.0 * 24.0)).max(1.0 / 24.0);
        let bucket = ev.time.timestamp().div_euclid(3600);
        if last_hour.len() as u32 >= th.burst_min
            && last_hour.len() as f64 >= th.burst_factor * baseline
            && st.burst_raised.is_none_or(|b| bucket - b > 1)
        {
            st.burst_raised = Some(bucket);
            raise(
                FindingKind::Burst,
                bucket.to_string(),
                last_hour.clone(),
                ev.owners.clone(),
                (
                    format!(
                        "{} searches in one hour; the user's average over the week before is {:.2} an hour",
                        last_hour.len(),
                        before / (7.0 * 24.0)
                    ),
                    "watch.burst",
                    vec![
                        last_hour.len().to_string(),
                        format!("{:.2}", before / (7.0 * 24.0)),
                    ],
                ),
            );
        }

        // Stalking: the same plate again and again without one covering case.
        if let Some(plate) = ev.plate.as_ref().filter(|_| !ev.wildcard) {
            let span = Duration::days(i64::from(th.stalking_days.max(1)));
            while st.plates.front().is_some_and(|p| ev.time - p.0 > span) {
                st.plates.pop_front();
            }
            st.plates.push_back((
                ev.time,
                plate.clone(),
                ev.case_number.clone(),
                ev.seq,
                ev.owners.clone(),
            ));
            let quiet = st.quiet.get(plate).is_some_and(|until| ev.time < *until);
            if !quiet {
                let same: Vec<_> = st.plates.iter().filter(|p| &p.1 == plate).collect();
                let cases: HashSet<Option<&String>> = same.iter().map(|p| p.2.as_ref()).collect();
                let one_case = cases.len() == 1 && cases.iter().all(Option::is_some);
                if same.len() as u32 >= th.stalking_count.max(2) && !one_case {
                    let entries: Vec<u64> = same.iter().map(|p| p.3).collect();
                    let mut owners: Vec<String> =
                        same.iter().flat_map(|p| p.4.iter().cloned()).collect();
                    owners.sort();
                    owners.dedup();
                    let no_case = same.iter().filter(|p| p.2.is_none()).count();
                    let args = vec![
                        same.len().to_string(),
                        th.stalking_days.to_string(),
                        no_case.to_string(),
                        cases.iter().filter(|c| c.is_some()).count().to_string(),
                    ];
                    let summary = (
                        format!(
                            "the same plate searched {} times in {} days by one user ({} without a case number, {} distinct case numbers)",
                            args[0], args[1], args[2], args[3]
                        ),
                        "watch.stalking",
                        args,
                    );
                    st.quiet.insert(plate.clone(), ev.time + span);
                    raise(
                        FindingKind::Stalking,
                        entries[0].to_string(),
                        entries,
                        owners,
                        summary,
                    );
                }
            }
        }
        out
    }
}

fn federal_kind(kind: Option<&str>) -> bool {
    kind.is_some_and(|k| k.eq_ignore_ascii_case("federal"))
}

/// Builds the detectors' view of one Sightline audit entry (searches only).
pub fn event_from_entry(e: &AuditEntry) -> Option<WatchEvent> {
    if e.action != "search" {
        return None;
    }
    let req = e.details.get("request");
    let query = req.and_then(|r| r.get("query"));
    let plate_q = query.and_then(|q| q.get("plate")).filter(|p| !p.is_null());
    let (plate, wildcard) = match plate_q.and_then(|p| p.as_object()) {
        Some(m) => {
            let wildcard = m.contains_key("wildcard");
            let text = m.values().next().and_then(|v| v.as_str()).map(|s| {
                s.chars()
                    .filter(|c| c.is_alphanumeric() || *c == '*' || *c == '?')
                    .flat_map(char::to_uppercase)
                    .collect::<String>()
            });
            (text, wildcard)
        }
        None => (None, false),
    };
    let window = query.and_then(|q| q.get("window"));
    let t = |k: &str| {
        window
            .and_then(|w| w.get(k))
            .and_then(|x| x.as_str())
            .and_then(crate::read::parse_time)
    };
    let window_days = match (t("from"), t("to")) {
        (Some(a), Some(b)) => Some((b - a).num_seconds() as f64 / 86_400.0),
        _ => None,
    };
    let case_number = req
        .and_then(|r| r.get("case_number"))
        .and_then(|c| c.as_str())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    Some(WatchEvent {
        seq: e.seq,
        source: "sightline".into(),
        time: e.time,
        agency: e
            .actor
            .agency
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        user: e.actor.name.clone(),
        plate,
        wildcard,
        case_number,
        refused: e.outcome == "refused" || e.outcome == "denied",
        federal: federal_kind(e.details.get("on_behalf_of_kind").and_then(|k| k.as_str())),
        // The search records the near-matched screening hit (or null) as `review`.
        screening_review: e
            .details
            .get("review")
            .is_some_and(|v| !v.is_null() && v != &serde_json::Value::Bool(false)),
        window_days,
        owners: e.owners.iter().map(|o| o.to_string()).collect(),
        follow_up: req
            .and_then(|r| r.get("follows"))
            .is_some_and(|f| !f.is_null()),
        saved_search: req
            .and_then(|r| r.get("saved_search"))
            .and_then(serde_json::Value::as_i64),
    })
}

/// Builds the detectors' view of one row of an imported log (Flock CSV or Sightline export).
pub fn event_from_record(r: &crate::SearchRecord) -> Option<WatchEvent> {
    let time = r.time?;
    let plate = r
        .plate
        .as_ref()
        .map(|p| {
            p.chars()
                .filter(|c| c.is_alphanumeric() || *c == '*' || *c == '?')
                .flat_map(char::to_uppercase)
                .collect::<String>()
        })
        .filter(|p| p.chars().any(char::is_alphanumeric));
    let wildcard = plate.as_ref().is_some_and(|p| p.contains(['*', '?']));
    let federal = r.on_behalf_of.as_deref().is_some_and(|b| {
        b.contains("(federal)")
            || crate::analyze::has_term(&b.to_lowercase(), crate::analyze::FEDERAL_TERMS)
    }) || r.reason.as_deref().is_some_and(|t| {
        crate::analyze::has_term(&t.to_lowercase(), crate::analyze::FEDERAL_TERMS)
    });
    let window_days = match (r.window_start, r.window_end) {
        (Some(a), Some(b)) => Some((b - a).num_seconds() as f64 / 86_400.0),
        _ => None,
    };
    Some(WatchEvent {
        seq: r.line,
        source: r.source.clone(),
        time,
        agency: r.agency.clone().unwrap_or_default(),
        user: r.officer.clone().unwrap_or_default(),
        plate,
        wildcard,
        case_number: r.case_number.clone().filter(|c| !c.trim().is_empty()),
        refused: false,
        federal,
        // The same purpose screening the node runs: a reason it only nearly matched.
        screening_review: r.reason.as_deref().is_some_and(|t| {
            sightline_policy::screening::screen_fields(&[(
                sightline_policy::screening::Field::Reason,
                t,
            )])
            .is_ok_and(|s| s.needs_review())
        }),
        window_days,
        owners: Vec::new(),
        follow_up: false,
        saved_search: None,
    })
}

/// Runs the detectors over imported records (sorted by time) and returns every finding.
pub fn watch_records(
    records: &[crate::SearchRecord],
    thresholds: &Thresholds,
) -> Vec<WatchFinding> {
    let mut events: Vec<WatchEvent> = records.iter().filter_map(event_from_record).collect();
    events.sort_by(|a, b| a.time.cmp(&b.time).then(a.seq.cmp(&b.seq)));
    let mut w = Watch::new(thresholds.clone(), BTreeMap::new());
    events.iter().flat_map(|e| w.observe(e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, hours: i64, plate: &str, case: Option<&str>) -> WatchEvent {
        WatchEvent {
            seq,
            source: "t".into(),
            time: DateTime::from_timestamp(1_767_225_600, 0).unwrap() + Duration::hours(hours),
            agency: "a".into(),
            user: "u".into(),
            plate: Some(plate.into()),
            case_number: case.map(str::to_owned),
            window_days: Some(1.0),
            ..Default::default()
        }
    }

    #[test]
    fn test_stalking_fires_once_for_twenty_uncased_searches_in_a_week() {
        let mut w = Watch::default();
        let mut found = Vec::new();
        for i in 0..20 {
            found.extend(w.observe(&ev(i, i as i64 * 8, "ABC123", None)));
        }
        let stalking: Vec<_> = found
            .iter()
            .filter(|f| f.kind == FindingKind::Stalking)
            .collect();
        assert_eq!(stalking.len(), 1, "{found:?}");
        assert_eq!(stalking[0].entries, (0..10).collect::<Vec<_>>());
        assert!(!stalking[0].summary.contains("ABC123"));
    }

    #[test]
    fn test_one_case_throughout_is_an_investigation_not_stalking() {
        let mut w = Watch::default();
        let found: Vec<_> = (0..20)
            .flat_map(|i| w.observe(&ev(i, i as i64, "ABC123", Some("24-1"))))
            .collect();
        assert!(found.iter().all(|f| f.kind != FindingKind::Stalking));
    }

    #[test]
    fn test_follow_ups_and_spread_out_searches_do_not_count() {
        let mut w = Watch::default();
        let mut found = Vec::new();
        for i in 0..20 {
            let mut e = ev(i, i as i64 * 24, "ABC123", None);
            e.follow_up = i % 2 == 1;
            found.extend(w.observe(&e));
        }
        // 10 first searches over 19 days: never 10 within 7 days.
        assert!(
            found.iter().all(|f| f.kind != FindingKind::Stalking),
            "{found:?}"
        );
    }

    #[test]
    fn test_re_runs_of_a_saved_search_are_one_pattern_not_forty() {
        // Forty runs of one saved search within an hour, each over a 60-day window: one trawl
        // finding and no burst. The same forty searches typed afresh: forty trawls and a burst.
        let run = |saved: Option<i64>| {
            let mut w = Watch::default();
            let mut found = Vec::new();
            for i in 0..40u64 {
                let mut e = ev(i, 0, "ABC123", Some("26-1"));
                e.time += Duration::minutes(i as i64);
                e.window_days = Some(60.0);
                e.saved_search = saved;
                found.extend(w.observe(&e));
            }
            found
        };
        let count = |f: &[WatchFinding], k: FindingKind| f.iter().filter(|x| x.kind == k).count();
        let saved = run(Some(7));
        assert_eq!(count(&saved, FindingKind::Trawl), 1, "{saved:?}");
        assert_eq!(count(&saved, FindingKind::Burst), 0, "{saved:?}");
        let fresh = run(None);
        assert_eq!(count(&fresh, FindingKind::Trawl), 40);
        assert_eq!(count(&fresh, FindingKind::Burst), 1, "{fresh:?}");
    }

    #[test]
    fn test_refusal_streak_trawl_and_agency_thresholds() {
        let th = Thresholds {
            refusal_streak: 3,
            ..Default::default()
        };
        let mut w = Watch::new(Thresholds::default(), BTreeMap::from([("a".into(), th)]));
        let mut found = Vec::new();
        for i in 0..4 {
            let mut e = ev(i, 0, "X1", Some("c"));
            e.refused = true;
            found.extend(w.observe(&e));
        }
        let streaks: Vec<_> = found
            .iter()
            .filter(|f| f.kind == FindingKind::RefusalStreak)
            .collect();
        assert_eq!(streaks.len(), 1);
        assert_eq!(streaks[0].entries, vec![0, 1, 2]);
        let mut e = ev(9, 1, "AB*", None);
        e.wildcard = true;
        let f = w.observe(&e);
        assert!(f.iter().any(|f| f.kind == FindingKind::Trawl));
    }

    #[test]
    fn test_event_from_a_sightline_search_entry() {
        let entry: AuditEntry = serde_json::from_value(serde_json::json!({
            "seq": 42, "time": "2026-03-02T03:00:00Z",
            "actor": {"kind": "user", "id": "7", "name": "officer", "agency": "a-pd"},
            "action": "search", "outcome": "denied", "owners": ["b-pd"],
            "details": {
                "request": {"purpose": "other_crime", "reason": "r", "follows": 40,
                    "query": {"plate": {"wildcard": "ab*12"},
                        "window": {"from": "2026-01-01T00:00:00Z", "to": "2026-03-02T00:00:00Z"}}},
                "on_behalf_of_kind": "federal",
                "review": {"rule": "screen.immigration", "term": "ice"}
            }
        }))
        .unwrap();
        let e = event_from_entry(&entry).unwrap();
        assert_eq!(
            (e.seq, e.agency.as_str(), e.user.as_str()),
            (42, "a-pd", "officer")
        );
        assert_eq!(e.plate.as_deref(), Some("AB*12"));
        assert!(e.wildcard && e.refused && e.federal && e.screening_review && e.follow_up);
        assert_eq!(e.case_number, None);
        assert_eq!(e.owners, vec!["b-pd".to_owned()]);
        assert_eq!(e.window_days.map(f64::round), Some(60.0));
    }

    #[test]
    fn test_burst_against_own_baseline() {
        let mut w = Watch::default();
        let mut found = Vec::new();
        // A quiet week: one search a day.
        for i in 0..7 {
            found.extend(w.observe(&ev(i, i as i64 * 24, &format!("P{i}"), Some("c"))));
        }
        assert!(found.is_empty());
        for i in 0..40 {
            let mut e = ev(100 + i, 7 * 24, &format!("Q{i}"), Some("c"));
            e.time += Duration::seconds(i as i64 * 30);
            found.extend(w.observe(&e));
        }
        assert_eq!(
            found
                .iter()
                .filter(|f| f.kind == FindingKind::Burst)
                .count(),
            1,
            "{found:?}"
        );
    }
}

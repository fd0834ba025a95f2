//! Transparency reports, computed from the audit log and the store — never typed in. An agency
//! may publish a note beside its figures but cannot change them. Reports are cached for five
//! minutes because they scan the log.
//!
//! [`Node::transparency`] is the one report function: every figure (the weekly series included)
//! comes from one pass over the agency's search entries (the log's `actor_agency` index and its
//! `entry_owners` table), one grouped count of the reads held per camera, and grouped counts of
//! hot-list hits. The node's summary ([`Node::transparency_summary`], in `transparency_node.rs`)
//! adds the agencies' reports up; the web pages and CSV downloads only lay these figures out.

use crate::error::Result;
use crate::node::Node;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sightline_audit::{Checkpoint, EntryFilter};
use sightline_types::{Agency, AgencyId};
use std::collections::BTreeMap;
use std::time::Instant;

/// One agency's transparency figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgencyReport {
    /// The agency.
    pub agency: Agency,
    /// When these figures were computed.
    pub computed_at: DateTime<Utc>,
    /// Cameras it owns.
    pub cameras: u64,
    /// Non-hit retention in force, minutes, and the law packs behind it.
    pub retention_minutes: i64,
    /// Law packs that govern its data.
    pub law_packs: Vec<String>,
    /// Reads its cameras made in the last 30 days (still stored).
    pub reads_last_30_days: u64,
    /// Searches its users ran, by declared purpose.
    pub searches_by_purpose: BTreeMap<String, u64>,
    /// Searches its users ran, by outcome (allowed, partial, denied, refused).
    pub searches_by_outcome: BTreeMap<String, u64>,
    /// Multi-location and convoy searches its users ran, by kind and outcome
    /// (`convoy allowed`, `multi_location denied`, …), counted apart from plate searches.
    pub analysis_searches: BTreeMap<String, u64>,
    /// Plates those analysis searches revealed beyond the target's own (uninvolved vehicles).
    pub uninvolved_vehicles_revealed: u64,
    /// Searches that touched its data and were refused for it, by rule.
    pub denials_by_rule: BTreeMap<String, u64>,
    /// The statute or policy citation of each rule in `denials_by_rule`.
    #[serde(default)]
    pub denial_citations: BTreeMap<String, String>,
    /// Other agencies whose searches received its data, with how many searches each.
    pub sharing_partners: BTreeMap<String, u64>,
    /// Every other agency whose searches asked for its data, with how many were allowed
    /// (its data contributed) and refused (excluded by its law, agreements or policy).
    #[serde(default)]
    pub requests_from_others: BTreeMap<String, AllowedRefused>,
    /// Searches its users ran per week (weeks start on Monday, UTC), by purpose and by outcome,
    /// from the week of the first search to the current week (weeks without searches included).
    #[serde(default)]
    pub weekly_searches: Vec<WeekSearches>,
    /// Reads its cameras made that the node still holds (any age).
    #[serde(default)]
    pub reads_held: u64,
    /// When the oldest of those reads was taken.
    #[serde(default)]
    pub oldest_read_at: Option<DateTime<Utc>>,
    /// Age of the oldest read held, in hours, at `computed_at`. Hits and reads under a legal
    /// hold may be kept longer than the non-hit retention.
    #[serde(default)]
    pub oldest_read_age_hours: Option<i64>,
    /// Hits on this agency's hot lists, by acknowledgement outcome (`confirmed`, `wrong_state`,
    /// `misread`, `dismissed`, `pending`).
    pub hotlist_hits: BTreeMap<String, u64>,
    /// Hits on this agency's cameras by other agencies' lists, by list owner: which agencies
    /// this agency's cameras reported vehicles to.
    pub hits_for_others: BTreeMap<String, u64>,
    /// The latest signed checkpoint of the node's audit log.
    pub checkpoint: Option<Checkpoint>,
    /// The agency's own note (its words, not computed).
    pub note: Option<String>,
    /// The usage watch's findings about its users' searches, by kind: raised, reviewed, misuse
    /// confirmed.
    pub findings: BTreeMap<String, crate::findings::FindingCounts>,
}

/// Searches by another agency that asked for one owner's data: allowed and refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AllowedRefused {
    /// Searches the owner's data contributed to.
    pub allowed: u64,
    /// Searches the owner's law, agreements or policy excluded its data from.
    pub refused: u64,
}

/// One week of searches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WeekSearches {
    /// The Monday that starts the week (UTC), `YYYY-MM-DD`.
    pub week: String,
    /// Searches that week by declared purpose.
    pub by_purpose: BTreeMap<String, u64>,
    /// Searches that week by outcome (allowed, partial, denied, refused).
    pub by_outcome: BTreeMap<String, u64>,
}

/// The Monday (UTC) starting the week of `t`.
pub(crate) fn week_of(t: DateTime<Utc>) -> chrono::NaiveDate {
    use chrono::Datelike;
    let d = t.date_naive();
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// Weekly counts as a gap-free series from the first week present to the week of `now`.
pub(crate) fn week_series(
    weeks: BTreeMap<chrono::NaiveDate, WeekSearches>,
    now: DateTime<Utc>,
) -> Vec<WeekSearches> {
    let Some(first) = weeks.keys().next().copied() else {
        return Vec::new();
    };
    let last = week_of(now).max(weeks.keys().next_back().copied().unwrap_or(first));
    let mut out = Vec::new();
    let mut w = first;
    while w <= last {
        out.push(weeks.get(&w).cloned().unwrap_or_else(|| WeekSearches {
            week: w.to_string(),
            ..WeekSearches::default()
        }));
        w += Duration::days(7);
    }
    out
}

impl Node {
    /// Computes (or returns the cached) transparency report of an agency.
    ///
    /// # Errors
    /// 404 for an unknown agency; store or audit failures.
    pub fn transparency(&self, id: &AgencyId) -> Result<AgencyReport> {
        if let Some((at, r)) = self
            .transparency_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            && at.elapsed() < std::time::Duration::from_secs(300)
        {
            return Ok(r.clone());
        }
        let report = self.compute_transparency(id)?;
        self.transparency_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), (Instant::now(), report.clone()));
        Ok(report)
    }

    fn compute_transparency(&self, id: &AgencyId) -> Result<AgencyReport> {
        let agency = self.store.agency(id)?;
        let mut out = self.compute_reports(&[agency], Some(id))?;
        Ok(out.remove(0))
    }

    /// The reports of `agencies`, from one pass over the search entries (only those concerning
    /// `scope` when one agency's report is asked for; the whole search log for the node's
    /// summary, instead of one pass per agency), one grouped count of the reads held per camera,
    /// and grouped counts of hot-list hits. In the order of `agencies`.
    pub(crate) fn compute_reports(
        &self,
        agencies: &[Agency],
        scope: Option<&AgencyId>,
    ) -> Result<Vec<AgencyReport>> {
        let now = self.clock.now();
        let cameras = self.store.cameras();
        let stats = self
            .store
            .read_stats_per_camera((now - Duration::days(30)).timestamp_micros())?;
        let checkpoint = self.audit.latest_checkpoint()?;
        let mut reports: BTreeMap<String, (AgencyReport, Weeks)> = BTreeMap::new();
        for agency in agencies {
            let cams: Vec<_> = cameras.iter().filter(|c| c.owner == agency.id).collect();
            let mine: Vec<_> = cams.iter().filter_map(|c| stats.get(&c.id)).collect();
            let oldest_read_at = mine
                .iter()
                .filter_map(|s| s.oldest_us)
                .min()
                .and_then(DateTime::<Utc>::from_timestamp_micros);
            let (retention_minutes, law_packs) = {
                let engine = self.policy.read().unwrap_or_else(|e| e.into_inner());
                let packs = engine
                    .packs_for(agency.jurisdiction.as_str())
                    .iter()
                    .map(|p| p.manifest.title.clone())
                    .collect();
                (
                    engine
                        .retention_minutes(agency.jurisdiction.as_str(), !agency.kind.is_public()),
                    packs,
                )
            };
            let id = &agency.id;
            let r = AgencyReport {
                agency: agency.clone(),
                computed_at: now,
                cameras: cams.len() as u64,
                retention_minutes,
                law_packs,
                reads_last_30_days: mine.iter().map(|s| s.since).sum(),
                searches_by_purpose: BTreeMap::new(),
                searches_by_outcome: BTreeMap::new(),
                analysis_searches: BTreeMap::new(),
                uninvolved_vehicles_revealed: 0,
                denials_by_rule: BTreeMap::new(),
                denial_citations: BTreeMap::new(),
                sharing_partners: BTreeMap::new(),
                requests_from_others: BTreeMap::new(),
                weekly_searches: Vec::new(),
                reads_held: mine.iter().map(|s| s.held).sum(),
                oldest_read_at,
                oldest_read_age_hours: oldest_read_at.map(|t| (now - t).num_hours()),
                hotlist_hits: self.hotlists.outcome_counts(id)?,
                hits_for_others: self.hotlists.hits_for_others(id)?,
                checkpoint: checkpoint.clone(),
                note: self.store.transparency_note(id)?,
                findings: self.finding_counts(id)?,
            };
            reports.insert(id.to_string(), (r, BTreeMap::new()));
        }
        let mut after = 0;
        loop {
            let page = self.audit.entries(&EntryFilter {
                agency: scope.cloned(),
                action: Some("search".into()),
                after_seq: after,
                limit: 10_000,
            })?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                count_entry(&mut reports, e);
            }
        }
        let mut out = Vec::with_capacity(agencies.len());
        for a in agencies {
            if let Some((mut r, weeks)) = reports.remove(a.id.as_str()) {
                r.weekly_searches = week_series(weeks, now);
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// Weekly counts being gathered, by the Monday starting the week.
type Weeks = BTreeMap<chrono::NaiveDate, WeekSearches>;

/// Counts one search entry into the reports it concerns: its requester's (purpose, outcome,
/// week, analysis kind) and each data owner's whose decision it records (refusals by rule, data
/// received by whom).
fn count_entry(
    reports: &mut BTreeMap<String, (AgencyReport, Weeks)>,
    e: &sightline_audit::AuditEntry,
) {
    if let Some((r, weeks)) = e
        .actor
        .agency
        .as_ref()
        .and_then(|a| reports.get_mut(a.as_str()))
    {
        let purpose = e
            .details
            .pointer("/request/purpose")
            .and_then(|p| p.as_str())
            .unwrap_or("(none)");
        *r.searches_by_purpose.entry(purpose.to_owned()).or_default() += 1;
        *r.searches_by_outcome.entry(e.outcome.clone()).or_default() += 1;
        let week = week_of(e.time);
        let w = weeks.entry(week).or_insert_with(|| WeekSearches {
            week: week.to_string(),
            ..WeekSearches::default()
        });
        *w.by_purpose.entry(purpose.to_owned()).or_default() += 1;
        *w.by_outcome.entry(e.outcome.clone()).or_default() += 1;
        if let Some(kind) = e.details.get("kind").and_then(|k| k.as_str()) {
            *r.analysis_searches
                .entry(format!("{kind} {}", e.outcome))
                .or_default() += 1;
            r.uninvolved_vehicles_revealed += e
                .details
                .get("uninvolved_revealed")
                .and_then(|n| n.as_u64())
                .unwrap_or(0);
        }
    }
    let partner = || {
        e.actor
            .agency
            .as_ref()
            .map_or("(unknown)".to_owned(), |a| a.to_string())
    };
    for d in e
        .details
        .get("decisions")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
    {
        let Some(owner) = d.get("owner").and_then(|o| o.as_str()) else {
            continue;
        };
        let mine = e.actor.agency.as_ref().map(AgencyId::as_str) == Some(owner);
        let Some((r, _)) = reports.get_mut(owner) else {
            continue;
        };
        match d.get("outcome").and_then(|o| o.as_str()) {
            Some("excluded") => {
                let rule = d.get("rule").and_then(|x| x.as_str()).unwrap_or("?");
                *r.denials_by_rule.entry(rule.to_owned()).or_default() += 1;
                if let Some(c) = d.get("citation").and_then(|c| c.as_str()) {
                    r.denial_citations
                        .entry(rule.to_owned())
                        .or_insert_with(|| c.to_owned());
                }
                if !mine {
                    r.requests_from_others.entry(partner()).or_default().refused += 1;
                }
            }
            Some("contributed") if !mine => {
                *r.sharing_partners.entry(partner()).or_default() += 1;
                r.requests_from_others.entry(partner()).or_default().allowed += 1;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn test_week_of_is_the_monday_before() {
        // 2026-12-02 is a Wednesday; 2026-11-30 the Monday before; a Sunday belongs to the week
        // that started six days earlier.
        assert_eq!(
            week_of(at("2026-12-02T04:00:00Z")).to_string(),
            "2026-11-30"
        );
        assert_eq!(
            week_of(at("2026-11-30T00:00:00Z")).to_string(),
            "2026-11-30"
        );
        assert_eq!(
            week_of(at("2026-12-06T23:59:59Z")).to_string(),
            "2026-11-30"
        );
    }

    #[test]
    fn test_week_series_fills_gaps_up_to_now() {
        let mut weeks = BTreeMap::new();
        let w = week_of(at("2026-11-10T12:00:00Z"));
        weeks.insert(
            w,
            WeekSearches {
                week: w.to_string(),
                by_purpose: BTreeMap::from([("homicide".to_owned(), 2)]),
                by_outcome: BTreeMap::from([("allowed".to_owned(), 2)]),
            },
        );
        let s = week_series(weeks, at("2026-12-02T00:00:00Z"));
        let names: Vec<_> = s.iter().map(|w| w.week.as_str()).collect();
        assert_eq!(
            names,
            ["2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]
        );
        assert_eq!(s[0].by_outcome["allowed"], 2);
        assert!(s[3].by_outcome.is_empty());
        assert!(week_series(BTreeMap::new(), at("2026-12-02T00:00:00Z")).is_empty());
    }
}

//! Transparency reports, computed from the audit log and the store — never typed in. An agency
//! may publish a note beside its figures but cannot change them. Reports are cached for five
//! minutes because they scan the log.

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
    /// Other agencies whose searches received its data, with how many searches each.
    pub sharing_partners: BTreeMap<String, u64>,
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
        let now = self.clock.now();
        let cams: Vec<_> = self
            .store
            .cameras()
            .into_iter()
            .filter(|c| c.owner == *id)
            .collect();
        let counts = self
            .store
            .count_reads_per_camera((now - Duration::days(30)).timestamp_micros())?;
        let reads = cams
            .iter()
            .map(|c| counts.get(&c.id).copied().unwrap_or(0))
            .sum();
        let (retention_minutes, law_packs) = {
            let engine = self.policy.read().unwrap_or_else(|e| e.into_inner());
            let packs = engine
                .packs_for(agency.jurisdiction.as_str())
                .iter()
                .map(|p| p.manifest.title.clone())
                .collect();
            (
                engine.retention_minutes(agency.jurisdiction.as_str(), !agency.kind.is_public()),
                packs,
            )
        };
        let mut r = AgencyReport {
            agency: agency.clone(),
            computed_at: now,
            cameras: cams.len() as u64,
            retention_minutes,
            law_packs,
            reads_last_30_days: reads,
            searches_by_purpose: BTreeMap::new(),
            searches_by_outcome: BTreeMap::new(),
            analysis_searches: BTreeMap::new(),
            uninvolved_vehicles_revealed: 0,
            denials_by_rule: BTreeMap::new(),
            sharing_partners: BTreeMap::new(),
            hotlist_hits: self.hotlists.outcome_counts(id)?,
            hits_for_others: self.hotlists.hits_for_others(id)?,
            checkpoint: self.audit.latest_checkpoint()?,
            note: self.store.transparency_note(id)?,
            findings: self.finding_counts(id)?,
        };
        let mut after = 0;
        loop {
            let page = self.audit.entries(&EntryFilter {
                agency: Some(id.clone()),
                action: Some("search".into()),
                after_seq: after,
                limit: 10_000,
            })?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                let mine = e.actor.agency.as_ref() == Some(id);
                if mine {
                    let purpose = e
                        .details
                        .pointer("/request/purpose")
                        .and_then(|p| p.as_str())
                        .unwrap_or("(none)");
                    *r.searches_by_purpose.entry(purpose.to_owned()).or_default() += 1;
                    *r.searches_by_outcome.entry(e.outcome.clone()).or_default() += 1;
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
                for d in e
                    .details
                    .get("decisions")
                    .and_then(|d| d.as_array())
                    .into_iter()
                    .flatten()
                {
                    if d.get("owner").and_then(|o| o.as_str()) != Some(id.as_str()) {
                        continue;
                    }
                    match d.get("outcome").and_then(|o| o.as_str()) {
                        Some("excluded") => {
                            let rule = d.get("rule").and_then(|x| x.as_str()).unwrap_or("?");
                            *r.denials_by_rule.entry(rule.to_owned()).or_default() += 1;
                        }
                        Some("contributed") if !mine => {
                            let partner = e
                                .actor
                                .agency
                                .as_ref()
                                .map_or("(unknown)".to_owned(), |a| a.to_string());
                            *r.sharing_partners.entry(partner).or_default() += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(r)
    }
}

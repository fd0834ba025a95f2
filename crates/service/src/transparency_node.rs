//! The node's transparency summary: the agencies' reports added up, plus the two tables that
//! only make sense across agencies — reads held against retention per owner, and which agency's
//! searches asked for which owner's data. Nothing here reads the log: every figure is taken from
//! [`Node::transparency`] (cached), so the summary and the per-agency pages cannot disagree.

use crate::error::Result;
use crate::findings::FindingCounts;
use crate::node::Node;
use crate::transparency::{AgencyReport, WeekSearches, week_series};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sightline_audit::Checkpoint;
use sightline_types::{Agency, AgencyId};
use std::collections::BTreeMap;

/// One owner's reads held against its retention.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnerRetention {
    /// Agency id.
    pub agency: String,
    /// Agency name.
    pub name: String,
    /// Reads held (any age).
    pub reads_held: u64,
    /// Non-hit retention in force, minutes.
    pub retention_minutes: i64,
    /// Age of the oldest read held, hours.
    pub oldest_read_age_hours: Option<i64>,
}

/// An agency's id and name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgencyRef {
    /// Agency id.
    pub id: String,
    /// Agency name.
    pub name: String,
}

/// Searches by one agency that asked for another's data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DataFlow {
    /// The data owner.
    pub owner: String,
    /// The agency whose users searched.
    pub requester: String,
    /// Searches the owner's data contributed to.
    pub allowed: u64,
    /// Searches the owner's data was refused to.
    pub refused: u64,
}

/// The whole node's transparency figures: the sum of its agencies' reports.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NodeReport {
    /// When computed (the newest of the agency reports added up).
    pub computed_at: DateTime<Utc>,
    /// Agencies on the node, in id order.
    pub agencies: Vec<AgencyRef>,
    /// Cameras.
    pub cameras: u64,
    /// Reads held (any age).
    pub reads_held: u64,
    /// Reads of the last 30 days held.
    pub reads_last_30_days: u64,
    /// Searches by purpose.
    pub searches_by_purpose: BTreeMap<String, u64>,
    /// Searches by outcome.
    pub searches_by_outcome: BTreeMap<String, u64>,
    /// Searches per week by purpose and outcome.
    pub weekly_searches: Vec<WeekSearches>,
    /// Analysis searches by kind and outcome.
    pub analysis_searches: BTreeMap<String, u64>,
    /// Plates analysis searches revealed beyond their targets'.
    pub uninvolved_vehicles_revealed: u64,
    /// Owner refusals by rule (one search refused by two owners counts twice).
    pub denials_by_rule: BTreeMap<String, u64>,
    /// Citation of each rule.
    pub denial_citations: BTreeMap<String, String>,
    /// Hot-list hits by outcome.
    pub hotlist_hits: BTreeMap<String, u64>,
    /// Usage-watch findings by kind.
    pub findings: BTreeMap<String, FindingCounts>,
    /// Reads held against retention, per owner.
    pub retention: Vec<OwnerRetention>,
    /// Searches across agencies: who asked for whose data, allowed and refused.
    pub data_flows: Vec<DataFlow>,
    /// The latest signed checkpoint.
    pub checkpoint: Option<Checkpoint>,
}

fn add(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

impl NodeReport {
    /// Adds agency reports up.
    pub fn from_reports(reports: &[AgencyReport]) -> NodeReport {
        let mut n = NodeReport {
            computed_at: reports
                .iter()
                .map(|r| r.computed_at)
                .max()
                .unwrap_or_default(),
            agencies: Vec::new(),
            cameras: 0,
            reads_held: 0,
            reads_last_30_days: 0,
            searches_by_purpose: BTreeMap::new(),
            searches_by_outcome: BTreeMap::new(),
            weekly_searches: Vec::new(),
            analysis_searches: BTreeMap::new(),
            uninvolved_vehicles_revealed: 0,
            denials_by_rule: BTreeMap::new(),
            denial_citations: BTreeMap::new(),
            hotlist_hits: BTreeMap::new(),
            findings: BTreeMap::new(),
            retention: Vec::new(),
            data_flows: Vec::new(),
            checkpoint: None,
        };
        let mut weeks: BTreeMap<NaiveDate, WeekSearches> = BTreeMap::new();
        for r in reports {
            n.agencies.push(AgencyRef {
                id: r.agency.id.to_string(),
                name: r.agency.name.clone(),
            });
            n.cameras += r.cameras;
            n.reads_held += r.reads_held;
            n.reads_last_30_days += r.reads_last_30_days;
            add(&mut n.searches_by_purpose, &r.searches_by_purpose);
            add(&mut n.searches_by_outcome, &r.searches_by_outcome);
            add(&mut n.analysis_searches, &r.analysis_searches);
            add(&mut n.denials_by_rule, &r.denials_by_rule);
            add(&mut n.hotlist_hits, &r.hotlist_hits);
            n.uninvolved_vehicles_revealed += r.uninvolved_vehicles_revealed;
            for (rule, c) in &r.denial_citations {
                n.denial_citations.entry(rule.clone()).or_insert(c.clone());
            }
            for (kind, f) in &r.findings {
                let t = n.findings.entry(kind.clone()).or_default();
                t.raised += f.raised;
                t.reviewed += f.reviewed;
                t.confirmed += f.confirmed;
            }
            for w in &r.weekly_searches {
                let Ok(day) = w.week.parse::<NaiveDate>() else {
                    continue;
                };
                let t = weeks.entry(day).or_insert_with(|| WeekSearches {
                    week: w.week.clone(),
                    ..WeekSearches::default()
                });
                add(&mut t.by_purpose, &w.by_purpose);
                add(&mut t.by_outcome, &w.by_outcome);
            }
            n.retention.push(OwnerRetention {
                agency: r.agency.id.to_string(),
                name: r.agency.name.clone(),
                reads_held: r.reads_held,
                retention_minutes: r.retention_minutes,
                oldest_read_age_hours: r.oldest_read_age_hours,
            });
            for (requester, c) in &r.requests_from_others {
                n.data_flows.push(DataFlow {
                    owner: r.agency.id.to_string(),
                    requester: requester.clone(),
                    allowed: c.allowed,
                    refused: c.refused,
                });
            }
            if n.checkpoint.as_ref().map(|c| c.size) < r.checkpoint.as_ref().map(|c| c.size) {
                n.checkpoint = r.checkpoint.clone();
            }
        }
        n.weekly_searches = week_series(weeks, n.computed_at);
        n
    }
}

impl Node {
    /// Every agency's report (each from [`Node::transparency`], cached), in id order.
    ///
    /// # Errors
    /// Store or audit failures.
    pub fn transparency_all(&self) -> Result<Vec<AgencyReport>> {
        let agencies = self.store.agencies()?;
        let fresh = |id: &AgencyId| {
            self.transparency_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(id)
                .filter(|(at, _)| at.elapsed() < std::time::Duration::from_secs(300))
                .map(|(_, r)| r.clone())
        };
        // The agencies whose cached report is missing or stale are computed together, in one
        // pass over the search log (not one pass per agency).
        let stale: Vec<Agency> = agencies
            .iter()
            .filter(|a| fresh(&a.id).is_none())
            .cloned()
            .collect();
        if !stale.is_empty() {
            let scope = (stale.len() == 1).then(|| &stale[0].id);
            let computed = self.compute_reports(&stale, scope)?;
            let mut cache = self
                .transparency_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for r in computed {
                cache.insert(r.agency.id.clone(), (std::time::Instant::now(), r));
            }
        }
        agencies
            .iter()
            .map(|a| match fresh(&a.id) {
                Some(r) => Ok(r),
                None => self.transparency(&a.id),
            })
            .collect()
    }

    /// The node's summary: its agencies' reports added up.
    ///
    /// # Errors
    /// Store or audit failures.
    pub fn transparency_summary(&self) -> Result<NodeReport> {
        Ok(NodeReport::from_reports(&self.transparency_all()?))
    }
}

//! The live usage watch and the review queue.
//!
//! Searches are audited by `sightline-search`; the watch reads the audit log after them (woken
//! after every search, and every few seconds in any case) and feeds each search entry to the
//! detectors in `sightline_oversight::watch` — the same code the offline analyser runs on
//! imported logs. A finding is committed audit-first (`finding.raise`, with the audit entries
//! that raised it), stored, and broadcast to the searching agency's supervisors and auditors and
//! to the auditors of data owners whose data the searches touched (live on the alert stream, and
//! in the review queue). A supervisor or auditor records a decision (`justified`, `referred`,
//! `misuse_confirmed`) with a note, audited the same way; the transparency report counts them.
//!
//! At start-up the watch replays the searches of the last [`WATCH_REPLAY_DAYS`] (or the longest
//! configured window, if longer) to rebuild its windows — older entries are not read — and skips
//! the findings already stored (their keys are stable), so a restart neither loses nor repeats
//! one within that window.

use crate::changes::Change;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::{Caller, Permission};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sightline_audit::{AuditEntry, EntryFilter};
use sightline_oversight::watch::{Thresholds, Watch, WatchFinding, event_from_entry};
use sightline_types::{AgencyId, Role};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// The watch's configuration (`[watch]`): default thresholds and per-agency overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchConfig {
    /// Thresholds for agencies without their own.
    pub defaults: Thresholds,
    /// Per-agency thresholds (`[watch.agencies.<agency-id>]`), each a full set (missing fields
    /// take the built-in defaults).
    pub agencies: BTreeMap<String, Thresholds>,
}

/// The watch's running state.
#[derive(Debug)]
pub struct WatchState {
    watch: Watch,
    cursor: u64,
    known: Option<HashSet<String>>,
}

impl WatchState {
    /// A fresh state for a configuration.
    pub fn new(c: &WatchConfig) -> Self {
        WatchState {
            watch: Watch::new(c.defaults.clone(), c.agencies.clone()),
            cursor: 0,
            known: None,
        }
    }
}

/// A finding with its review, as shown in the queue.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    /// Id.
    pub id: i64,
    /// What the detectors saw.
    #[serde(flatten)]
    pub finding: WatchFinding,
    /// The latest decision, if reviewed.
    pub review: Option<Review>,
}

/// A recorded decision.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Review {
    /// `justified`, `referred` or `misuse_confirmed`.
    pub decision: String,
    /// The reviewer's note.
    pub note: String,
    /// Who decided.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A finding with the searches behind it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FindingDetail {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// The audit entries that raised it (at most 200).
    #[schema(value_type = Vec<Object>)]
    pub searches: Vec<AuditEntry>,
}

/// A decision to record.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `justified`, `referred` or `misuse_confirmed`.
    pub decision: String,
    /// Why (required).
    pub note: String,
}

/// Findings counted for the transparency report, by kind.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct FindingCounts {
    /// Raised.
    pub raised: u64,
    /// Reviewed (any decision).
    pub reviewed: u64,
    /// Misuse confirmed.
    pub confirmed: u64,
}

/// The least the watch replays at start-up, in days (the burst baseline is a week, the default
/// stalking window 7 days; `off_hours` learns its hour profile from what is replayed).
pub const WATCH_REPLAY_DAYS: i64 = 30;

const DECISIONS: &[&str] = &["justified", "referred", "misuse_confirmed"];

fn agencies_of(f: &WatchFinding) -> Vec<AgencyId> {
    let mut v: Vec<AgencyId> = std::iter::once(&f.agency)
        .chain(f.owners.iter())
        .filter_map(|a| AgencyId::parse(a).ok())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn parse_row(row: &sightline_store::FindingRow) -> Option<Finding> {
    Some(Finding {
        id: row.id,
        finding: serde_json::from_str(&row.body).ok()?,
        review: row
            .review
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok()),
    })
}

impl Node {
    /// Feeds the searches audited since the last run to the detectors and commits the findings
    /// they raise. Returns how many were raised. Blocking.
    ///
    /// # Errors
    /// Store or audit failures (the searches are looked at again on the next run).
    pub fn run_watch(&self) -> Result<usize> {
        let mut st = self.watch.lock().unwrap_or_else(|e| e.into_inner());
        if st.known.is_none() {
            st.known = Some(self.store.finding_keys()?.into_iter().collect());
            // Start-up: replay only the searches within the detectors' longest window, found by
            // time (a binary search), so start-up cost does not grow with the log's age.
            let since = self.clock.now() - chrono::Duration::days(self.watch_replay_days());
            st.cursor = st.cursor.max(self.audit.seq_before(since)?);
        }
        let mut raised = 0;
        loop {
            let page = self.audit.entries(&EntryFilter {
                agency: None,
                action: Some("search".into()),
                after_seq: st.cursor,
                limit: 5_000,
            })?;
            let Some(last) = page.last().map(|e| e.seq) else {
                break;
            };
            for e in &page {
                let Some(ev) = event_from_entry(e) else {
                    continue;
                };
                for f in st.watch.observe(&ev) {
                    if st.known.as_ref().is_some_and(|k| k.contains(&f.key)) {
                        continue;
                    }
                    self.raise_finding(f.clone())?;
                    if let Some(k) = st.known.as_mut() {
                        k.insert(f.key);
                    }
                    raised += 1;
                }
            }
            st.cursor = last;
        }
        Ok(raised)
    }

    /// How far back the watch replays at start-up: the longest detector window of any agency's
    /// thresholds, and at least [`WATCH_REPLAY_DAYS`].
    pub fn watch_replay_days(&self) -> i64 {
        let c = &self.config.watch;
        std::iter::once(&c.defaults)
            .chain(c.agencies.values())
            .map(|t| i64::from(t.stalking_days))
            .fold(WATCH_REPLAY_DAYS, i64::max)
    }

    fn raise_finding(&self, f: WatchFinding) -> Result<()> {
        let (change, _) = self.commit(&Caller::System, |n| {
            Ok(Change::FindingRaise {
                id: n.store.next_finding_id()?,
                agencies: agencies_of(&f),
                finding: f,
            })
        })?;
        if let Change::FindingRaise { id, finding, .. } = change {
            tracing::info!(
                finding = id,
                kind = finding.kind.code(),
                entries = finding.entries.len(),
                "usage watch finding"
            );
            let _ = self.findings_tx.send(Arc::new(Finding {
                id,
                finding,
                review: None,
            }));
        }
        Ok(())
    }

    /// The live feed of findings, for callers with `review_findings`; each finding on it is for
    /// the caller only if [`Node::may_see_finding`] says so.
    ///
    /// # Errors
    /// 403 without `review_findings`.
    pub fn subscribe_findings(
        &self,
        caller: &Caller,
    ) -> Result<tokio::sync::broadcast::Receiver<std::sync::Arc<Finding>>> {
        caller.require(Permission::ReviewFindings)?;
        Ok(self.findings_tx.subscribe())
    }

    /// Tells whether a caller may see a finding: supervisors and auditors of the searching
    /// agency, auditors of an agency whose data the searches touched, node operators.
    pub fn may_see_finding(&self, caller: &Caller, f: &WatchFinding) -> bool {
        if caller.require(Permission::ReviewFindings).is_err() {
            return false;
        }
        let Some(p) = caller.principal() else {
            return true;
        };
        if p.user.node_operator {
            return true;
        }
        let mine = p.agency.id.as_str();
        f.agency == mine || (p.user.role == Role::Auditor && f.owners.iter().any(|o| o == mine))
    }

    /// The review queue: findings the caller may see, newest first (unreviewed first when
    /// `open_only`).
    ///
    /// # Errors
    /// 403 without `review_findings`.
    pub fn findings(&self, caller: &Caller, open_only: bool) -> Result<Vec<Finding>> {
        caller.require(Permission::ReviewFindings)?;
        Ok(self
            .store
            .findings(5_000)?
            .iter()
            .filter_map(parse_row)
            .filter(|f| self.may_see_finding(caller, &f.finding))
            .filter(|f| !open_only || f.review.is_none())
            .take(500)
            .collect())
    }

    fn visible_finding(&self, caller: &Caller, id: i64) -> Result<Finding> {
        caller.require(Permission::ReviewFindings)?;
        self.store
            .finding(id)?
            .as_ref()
            .and_then(parse_row)
            .filter(|f| self.may_see_finding(caller, &f.finding))
            .ok_or_else(|| Error::not_found(format!("finding {id} not found")))
    }

    /// One finding with the searches behind it.
    ///
    /// # Errors
    /// 403 without `review_findings`; 404 for a finding the caller may not see.
    pub fn finding(&self, caller: &Caller, id: i64) -> Result<FindingDetail> {
        let f = self.visible_finding(caller, id)?;
        let mut searches = Vec::new();
        for seq in f.finding.entries.iter().take(200) {
            if let Some(e) = self
                .audit
                .entries(&EntryFilter {
                    agency: None,
                    action: None,
                    after_seq: seq.saturating_sub(1),
                    limit: 1,
                })?
                .into_iter()
                .next()
                .filter(|e| e.seq == *seq)
            {
                searches.push(e);
            }
        }
        Ok(FindingDetail {
            finding: f,
            searches,
        })
    }

    /// Records a decision on a finding (audited first).
    ///
    /// # Errors
    /// 403 without `review_findings`; 404 for a finding the caller may not see; 400 for an
    /// unknown decision or an empty note.
    pub fn review_finding(&self, caller: &Caller, id: i64, req: &ReviewRequest) -> Result<Finding> {
        let f = self.visible_finding(caller, id)?;
        if !DECISIONS.contains(&req.decision.as_str()) {
            return Err(Error::bad_request(format!(
                "decision must be one of {}",
                DECISIONS.join(", ")
            )));
        }
        let note = req.note.trim();
        if note.is_empty() || note.chars().count() > 4000 {
            return Err(Error::bad_request(
                "a note (1 to 4000 characters) must justify the decision",
            ));
        }
        let review = Review {
            decision: req.decision.clone(),
            note: note.to_owned(),
            by: caller.name(),
            at: self.clock.now(),
        };
        self.commit(caller, |_| {
            Ok(Change::FindingReview {
                id,
                agencies: agencies_of(&f.finding),
                kind: f.finding.kind.code().to_owned(),
                review: review.clone(),
            })
        })?;
        Ok(Finding {
            review: Some(review),
            ..f
        })
    }

    /// Findings about an agency's searches, by kind (transparency).
    ///
    /// # Errors
    /// Store failures.
    pub fn finding_counts(&self, agency: &AgencyId) -> Result<BTreeMap<String, FindingCounts>> {
        let mut out: BTreeMap<String, FindingCounts> = BTreeMap::new();
        for f in self.store.findings(1_000_000)?.iter().filter_map(parse_row) {
            if f.finding.agency != agency.as_str() {
                continue;
            }
            let c = out.entry(f.finding.kind.code().to_owned()).or_default();
            c.raised += 1;
            if let Some(r) = &f.review {
                c.reviewed += 1;
                if r.decision == "misuse_confirmed" {
                    c.confirmed += 1;
                }
            }
        }
        Ok(out)
    }
}

/// How long the watch waits after a wake-up before it runs, so that the searches of that moment are
/// read in one batch.
const WATCH_BATCH: std::time::Duration = std::time::Duration::from_millis(250);

/// Runs the watch after searches (woken by [`Node::wake_watch`], at most one run per
/// [`WATCH_BATCH`]) and every five seconds, until the node shuts down.
pub fn spawn_watch(node: Arc<Node>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stop = node.shutdown.subscribe();
        loop {
            let n = node.clone();
            match tokio::task::spawn_blocking(move || n.run_watch()).await {
                Ok(Err(e)) => tracing::error!(error = %e, "usage watch run failed"),
                Err(e) => tracing::error!(error = %e, "usage watch task failed"),
                Ok(Ok(_)) => {}
            }
            let woken = tokio::select! {
                _ = node.watch_wake.notified() => true,
                _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => false,
                _ = stop.wait_for(|s| *s) => break,
            };
            if woken {
                // Let the searches of the next moment gather so one run reads them together: a
                // finding is still raised within a second, and a busy node pays one page read of
                // the log per batch instead of one per search.
                tokio::time::sleep(WATCH_BATCH).await;
            }
        }
    })
}

impl Node {
    /// Wakes the watch (called after a search was audited; costs one notification).
    pub fn wake_watch(&self) {
        self.watch_wake.notify_one();
    }
}

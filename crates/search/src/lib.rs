//! Search: the only path from a user to plate data. `policy → store → audit → results`.
//!
//! For every search the service (1) validates the request, (2) finds the data owners whose
//! cameras the query could touch, (3) asks the policy engine about each owner, (4) reads rows only
//! from cameras of owners that allowed it, (5) appends the audit entry — request, per-owner
//! decisions, result count and digest — and only then (6) returns rows. If the append fails the
//! rows are dropped and the caller gets an error: no audit, no results. Refused requests
//! (missing purpose, bad query) are audited too.
#![deny(missing_docs)]
// This crate is the one place allowed to call the store's plate queries.
#![allow(clippy::disallowed_methods)]

mod analysis;
mod evidence;
mod facts;
mod plan;
mod validate;

pub use analysis::{DEFAULT_MATCHES, MAX_MATCHES, check_warrant};
pub use evidence::{Evidence, Rerun};
pub use validate::{MAX_LIMIT, ParsedSearch, Refusal};

use serde_json::json;
use sha2::{Digest, Sha256};
use sightline_audit::{Actor, ActorKind, AuditLog, EntryDraft};
use sightline_policy::{Decision, PolicyEngine};
use sightline_store::{ReadQuery, ReadSelector, Store, UserRecord};
use sightline_types::{
    Agency, AgencyId, CameraId, Clock, ErrorCode, OwnerDecision, OwnerOutcome, SearchRequest,
    SearchResponse,
};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock};

/// Errors from a search.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is invalid; it was refused and the refusal audited.
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// The audit entry recording the refusal.
        audit_seq: u64,
        /// The message as a key, for pages in other languages (`None`: shown by its class).
        key: Option<Box<sightline_types::MessageKey>>,
    },
    /// The user may not search at all; refused and audited.
    #[error("{message}")]
    Forbidden {
        /// Why.
        message: String,
        /// The audit entry recording the refusal.
        audit_seq: u64,
        /// The message as a key, for pages in other languages.
        key: Option<Box<sightline_types::MessageKey>>,
    },
    /// The earlier search named does not exist or is not the caller's.
    #[error("{0}")]
    NotFound(String),
    /// The audit log could not record the search, so no results are returned.
    #[error("audit log unavailable; search not run")]
    AuditUnavailable(#[source] sightline_audit::Error),
    /// The store failed.
    #[error("store unavailable")]
    Store(#[from] sightline_store::Error),
}

impl Error {
    /// Returns the error class.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Invalid { .. } => ErrorCode::BadRequest,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::AuditUnavailable(_) => ErrorCode::Unavailable,
            Error::Store(e) => e.code(),
        }
    }

    /// Returns a refusal's message as a key, when it has one.
    pub fn key(&self) -> Option<&sightline_types::MessageKey> {
        match self {
            Error::Invalid { key, .. } | Error::Forbidden { key, .. } => key.as_deref(),
            _ => None,
        }
    }

    /// Returns the audit sequence number of a refusal, when there is one.
    pub fn audit_seq(&self) -> Option<u64> {
        match self {
            Error::Invalid { audit_seq, .. } | Error::Forbidden { audit_seq, .. } => {
                Some(*audit_seq)
            }
            _ => None,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The authenticated searcher.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user: UserRecord,
    /// Their agency.
    pub agency: Agency,
}

impl Principal {
    /// Returns the audit actor for this user.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: ActorKind::User,
            id: self.user.id.0.to_string(),
            name: self.user.username.clone(),
            agency: Some(self.agency.id.clone()),
        }
    }
}

/// The search service.
#[derive(Debug, Clone)]
pub struct Searcher {
    store: Arc<Store>,
    audit: Arc<AuditLog>,
    policy: Arc<RwLock<PolicyEngine>>,
    clock: Arc<dyn Clock>,
}

impl Searcher {
    /// Creates the service.
    pub fn new(
        store: Arc<Store>,
        audit: Arc<AuditLog>,
        policy: Arc<RwLock<PolicyEngine>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Searcher {
            store,
            audit,
            policy,
            clock,
        }
    }

    /// Records a request that could not even be parsed, and returns the error to send back.
    pub fn refuse_unparsed(&self, who: &Principal, message: String) -> Error {
        let details = json!({ "error": message });
        match self.append(who, "refused", Vec::new(), details) {
            Ok(audit_seq) => Error::Invalid {
                message,
                audit_seq,
                key: None,
            },
            Err(e) => e,
        }
    }

    fn append(
        &self,
        who: &Principal,
        outcome: &str,
        owners: Vec<AgencyId>,
        details: serde_json::Value,
    ) -> Result<u64> {
        let draft = EntryDraft {
            actor: who.actor(),
            action: sightline_audit::Action::Search.code().into(),
            outcome: outcome.into(),
            owners,
            details,
        };
        self.audit
            .append(draft)
            .map(|r| r.seq)
            .map_err(Error::AuditUnavailable)
    }

    /// Takes purpose, case number, reason and on-behalf-of from the user's own earlier search
    /// `seq` (which must have reached at least one owner): a follow-up carries the original
    /// context, never a new one.
    fn inherit_context(
        &self,
        who: &Principal,
        mut req: SearchRequest,
        seq: u64,
    ) -> std::result::Result<SearchRequest, validate::Refusal> {
        let entry = self
            .audit
            .entries(&sightline_audit::EntryFilter {
                agency: None,
                action: Some(sightline_audit::Action::Search.code().into()),
                after_seq: seq.saturating_sub(1),
                limit: 1,
            })
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|e| e.seq == seq)
            .ok_or_else(|| format!("audit entry {seq} is not a search"))?;
        if entry.actor.id != who.user.id.0.to_string()
            || entry.actor.agency.as_ref() != Some(&who.agency.id)
        {
            return Err(validate::Refusal {
                message: format!("audit entry {seq} is not one of your searches"),
                key: Some(sightline_types::MessageKey::new(
                    "err.follow_up_not_yours",
                    [seq.to_string()],
                )),
            });
        }
        if entry.outcome == "refused" {
            return Err(validate::Refusal {
                message: format!("search {seq} was refused; a follow-up cannot run under it"),
                key: Some(sightline_types::MessageKey::new(
                    "err.follow_up_refused",
                    [seq.to_string()],
                )),
            });
        }
        let original = entry
            .details
            .get("request")
            .cloned()
            .and_then(|r| serde_json::from_value::<SearchRequest>(r).ok())
            .ok_or_else(|| format!("audit entry {seq} holds no search request"))?;
        req.purpose = original.purpose;
        req.case_number = original.case_number;
        req.reason = original.reason;
        req.on_behalf_of = original.on_behalf_of;
        Ok(req)
    }

    /// Audits a search refused before any owner was asked; returns the entry's number.
    fn refuse(&self, who: &Principal, request: &serde_json::Value, message: &str) -> Result<u64> {
        self.append(
            who,
            "refused",
            Vec::new(),
            json!({ "request": request, "error": message }),
        )
    }

    /// Runs a search. Blocking (SQLite); call it off the async runtime.
    ///
    /// # Errors
    /// Invalid or forbidden requests (audited), audit or store failures.
    pub fn search(&self, who: &Principal, req: SearchRequest) -> Result<SearchResponse> {
        self.search_as(who, req, None)
    }

    /// Runs a search that re-runs the user's saved search `saved` (the service checked that it is
    /// theirs): the same search, with the saved search's id recorded in the audit entry's request
    /// (`saved_search`) so oversight sees the re-runs of one saved search as one pattern.
    ///
    /// # Errors
    /// As [`Searcher::search`].
    pub fn search_saved(
        &self,
        who: &Principal,
        req: SearchRequest,
        saved: i64,
    ) -> Result<SearchResponse> {
        self.search_as(who, req, Some(saved))
    }

    fn search_as(
        &self,
        who: &Principal,
        req: SearchRequest,
        saved: Option<i64>,
    ) -> Result<SearchResponse> {
        let recorded = |req: &SearchRequest| {
            let mut v = serde_json::to_value(bounded(req)).unwrap_or_default();
            if let (Some(id), Some(m)) = (saved, v.as_object_mut()) {
                m.insert("saved_search".into(), json!(id));
            }
            v
        };
        let request_json = recorded(&req);
        let req = match req.follows {
            Some(seq) => match self.inherit_context(who, req.clone(), seq) {
                Ok(r) => r,
                Err(validate::Refusal { message, key }) => {
                    let audit_seq = self.refuse(who, &request_json, &message)?;
                    return Err(Error::Forbidden {
                        message,
                        audit_seq,
                        key: key.map(Box::new),
                    });
                }
            },
            None => req,
        };
        let request_json = recorded(&req);
        let now = self.clock.now();
        let parsed = match validate::parse(&req, now, |id| self.store.agency(id).ok()) {
            Ok(p) => p,
            Err(validate::Refusal { message, key }) => {
                let audit_seq = self.refuse(who, &request_json, &message)?;
                return Err(Error::Invalid {
                    message,
                    audit_seq,
                    key: key.map(Box::new),
                });
            }
        };
        if !who.user.role.may_search() {
            let message = format!(
                "role `{}` may not run plate searches (permission `{}`)",
                who.user.role,
                sightline_types::Permission::SearchPlates.code()
            );
            let audit_seq = self.refuse(who, &request_json, &message)?;
            return Err(Error::Forbidden {
                message,
                audit_seq,
                key: Some(Box::new(sightline_types::MessageKey::new(
                    "err.search_role",
                    [who.user.role.to_string()],
                ))),
            });
        }
        let Gate {
            cameras,
            decisions,
            allowed,
            allowed_cameras,
            hits,
            review,
        } = self.gate(who, &parsed, now, |c| parsed.camera_in_scope(c), |_| {})?;

        let (results, truncated) = if allowed_cameras.is_empty() {
            (Vec::new(), false)
        } else {
            let (selector, capped) = match &parsed.plate {
                Some(sel) => {
                    let (ids, capped) = self.store.resolve_plates(sel)?;
                    (ReadSelector::Plates(ids), capped)
                }
                None => (ReadSelector::Description(parsed.description.clone()), false),
            };
            let q = ReadQuery {
                selector,
                from_us: parsed.window.from.timestamp_micros(),
                to_us: parsed.window.to.timestamp_micros(),
                cameras: allowed_cameras,
                limit: parsed.limit,
                with_crops: parsed.with_crops,
            };
            let (mut rows, more) = self.store.query_reads(&q)?;
            // A mobile camera is in scope of any area; each of its reads counts only where it
            // was taken (the read's own position).
            if let Some(area) = &parsed.area {
                let mobile: HashSet<CameraId> =
                    cameras.iter().filter(|c| c.mobile).map(|c| c.id).collect();
                rows.retain(|r| !mobile.contains(&r.camera_id) || area.contains(r.lat, r.lon));
            }
            (rows, more || capped)
        };

        let (owner_decisions, outcome) = summarise(&decisions, allowed.len(), |id| {
            results.iter().filter(|r| &r.owner == id).count() as u64
        });
        let digest = {
            let mut h = Sha256::new();
            for r in &results {
                h.update(r.seq.to_be_bytes());
            }
            hex::encode(h.finalize())
        };
        let details = json!({
            "request": request_json,
            "on_behalf_of_kind": parsed.on_behalf_of.as_ref().map(|a| a.kind.code()),
            "screening": hits,
            "review": review,
            "decisions": owner_decisions,
            "result_count": results.len(),
            "truncated": truncated,
            "result_digest": digest,
            // What an evidence export later compares against, to list reads purged since.
            "result_reads": results.iter().map(|r| [r.seq, r.captured_at.timestamp_micros()]).collect::<Vec<_>>(),
        });
        let owners_touched = decisions.iter().map(|(a, _)| a.id.clone()).collect();
        // Fail closed: rows leave only after the entry is durable.
        let audit_seq = self.append(who, outcome, owners_touched, details)?;
        tracing::info!(audit_seq, outcome, results = results.len(), "search");
        Ok(SearchResponse {
            audit_seq,
            results,
            truncated,
            owners: owner_decisions,
        })
    }
}

/// The policy step every search kind shares: the cameras in scope, their owners, one decision
/// per owner, and the cameras of the owners that allowed it.
pub(crate) struct Gate {
    pub(crate) cameras: Vec<sightline_types::Camera>,
    pub(crate) decisions: Vec<(Agency, Decision)>,
    pub(crate) allowed: HashSet<AgencyId>,
    pub(crate) allowed_cameras: HashSet<CameraId>,
    pub(crate) hits: Vec<sightline_policy::screening::ScreenHit>,
    pub(crate) review: Option<sightline_policy::screening::ScreenHit>,
}

impl Searcher {
    /// Finds the owners of the cameras in scope and asks the policy about each; `tune` adjusts
    /// the policy request for the search kind (analysis searches set `query_kind`, the warrant
    /// flag and their own window length).
    pub(crate) fn gate(
        &self,
        who: &Principal,
        parsed: &ParsedSearch,
        now: chrono::DateTime<chrono::Utc>,
        in_scope: impl Fn(&sightline_types::Camera) -> bool,
        tune: impl Fn(&mut sightline_policy::PolicyRequest),
    ) -> Result<Gate> {
        let cameras: Vec<_> = self
            .store
            .cameras()
            .into_iter()
            .filter(|c| in_scope(c))
            .collect();
        let agencies: BTreeMap<AgencyId, Agency> = self
            .store
            .agencies()?
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        let owners: Vec<&Agency> = {
            let ids: std::collections::BTreeSet<&AgencyId> =
                cameras.iter().map(|c| &c.owner).collect();
            ids.into_iter().filter_map(|id| agencies.get(id)).collect()
        };
        let facts = facts::Facts::gather(&self.store, who, parsed, now)?;
        let engine = self.policy.read().unwrap_or_else(|e| e.into_inner());
        let decisions: Vec<(Agency, Decision)> = owners
            .iter()
            .map(|o| {
                let mut req = facts.request_for(&engine, o);
                tune(&mut req);
                ((*o).clone(), engine.evaluate(&req))
            })
            .collect();
        drop(engine);
        let allowed: HashSet<AgencyId> = decisions
            .iter()
            .filter(|(_, d)| d.is_allow())
            .map(|(a, _)| a.id.clone())
            .collect();
        let allowed_cameras: HashSet<CameraId> = cameras
            .iter()
            .filter(|c| allowed.contains(&c.owner))
            .map(|c| c.id)
            .collect();
        Ok(Gate {
            cameras,
            decisions,
            allowed,
            allowed_cameras,
            hits: facts.hits,
            review: facts.review,
        })
    }
}

/// The per-owner decisions as the response and audit entry show them, and the search's outcome.
pub(crate) fn summarise(
    decisions: &[(Agency, Decision)],
    allowed: usize,
    count: impl Fn(&AgencyId) -> u64,
) -> (Vec<OwnerDecision>, &'static str) {
    let owner_decisions = decisions
        .iter()
        .map(|(a, d)| {
            let (rule, citation, explanation) = d.parts();
            OwnerDecision {
                owner: a.id.clone(),
                owner_name: a.name.clone(),
                outcome: if d.is_allow() {
                    OwnerOutcome::Contributed
                } else {
                    OwnerOutcome::Excluded
                },
                rule: rule.to_owned(),
                citation: citation.to_owned(),
                explanation: explanation.to_owned(),
                result_count: count(&a.id),
            }
        })
        .collect();
    let outcome = match (allowed, decisions.len()) {
        (0, 0) => "allowed",
        (0, _) => "denied",
        (n, m) if n == m => "allowed",
        _ => "partial",
    };
    (owner_decisions, outcome)
}

/// A free-text field as the audit log keeps it: longer than `max` characters, its first 200 and
/// a mark, so an over-long (refused) request cannot fill the log. Shared by every search kind.
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        s.chars().take(200).collect::<String>() + "… (cut)"
    } else {
        s.to_owned()
    }
}

fn cut(s: &Option<String>) -> Option<String> {
    s.as_deref().map(|s| excerpt(s, 1000))
}

/// The request as the audit log keeps it: free text cut to a bounded excerpt.
fn bounded(req: &SearchRequest) -> SearchRequest {
    let mut r = req.clone();
    r.purpose = cut(&r.purpose);
    r.case_number = cut(&r.case_number);
    r.reason = cut(&r.reason);
    r.on_behalf_of = cut(&r.on_behalf_of);
    r
}

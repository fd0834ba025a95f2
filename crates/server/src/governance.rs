//! Retention runs, legal holds and agency policies: the data-minimisation side of a node. Each
//! change and each purge that removed something is written to the audit log.

use crate::error::{ApiError, ApiResult};
use crate::node::Node;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sightline_audit::Actor;
use sightline_search::Principal;
use sightline_store::{LegalHold, PurgeReport, PurgeRule};
use sightline_types::PlateText;
use std::sync::Arc;

/// Body of `POST /api/v1/legal-holds`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHold {
    /// Case the hold belongs to.
    pub case_number: String,
    /// Plate whose reads are held.
    pub plate: String,
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// Body of `PUT /api/v1/agency-policy`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyPolicyText {
    /// Cedar forbid rules, each with `@id`, `@citation` and `@explanation`.
    pub cedar: String,
}

impl Node {
    /// Deletes reads past each owner's retention (legal holds excepted) and audits what it removed.
    ///
    /// # Errors
    /// Store or audit failures.
    pub fn run_retention(&self) -> ApiResult<PurgeReport> {
        let now = self.clock.now();
        let agencies = self.store.agencies()?;
        let cameras = self.store.cameras();
        let mut cutoffs = serde_json::Map::new();
        let rules: Vec<PurgeRule> = {
            let engine = self.policy.read().unwrap_or_else(|e| e.into_inner());
            agencies
                .iter()
                .map(|a| {
                    let minutes =
                        engine.retention_minutes(a.jurisdiction.as_str(), !a.kind.is_public());
                    let cutoff = now - Duration::minutes(minutes);
                    cutoffs.insert(
                        a.id.to_string(),
                        json!({ "retention_minutes": minutes, "cutoff": cutoff }),
                    );
                    PurgeRule {
                        owner: a.id.clone(),
                        cameras: cameras
                            .iter()
                            .filter(|c| c.owner == a.id)
                            .map(|c| c.id)
                            .collect(),
                        cutoff_us: cutoff.timestamp_micros(),
                    }
                })
                .collect()
        };
        let holds = self.store.holds(false)?;
        let report = self.store.purge(rules, holds, now)?;
        if !report.is_empty() {
            let owners = report
                .deleted
                .iter()
                .filter(|(_, n)| **n > 0)
                .filter_map(|(a, _)| sightline_types::AgencyId::parse(a).ok())
                .collect();
            self.audit_change(
                Actor::system(),
                "retention.purge",
                owners,
                json!({ "report": report, "cutoffs": cutoffs }),
            )?;
            tracing::info!(dropped = report.dropped_partitions.len(), "retention purge");
        }
        Ok(report)
    }

    /// Places a legal hold on the caller's agency's reads of a plate.
    ///
    /// # Errors
    /// 400 for an invalid plate or window.
    pub fn create_hold(
        &self,
        who: &Principal,
        req: &CreateHold,
    ) -> ApiResult<crate::admin::Audited<LegalHold>> {
        let plate = PlateText::normalise(&req.plate)
            .map_err(|e| ApiError::bad_request(format!("plate: {e}")))?;
        if req.to <= req.from {
            return Err(ApiError::bad_request("`to` must be after `from`"));
        }
        if req.case_number.trim().is_empty() || req.reason.trim().is_empty() {
            return Err(ApiError::bad_request(
                "a legal hold needs a case number and a reason",
            ));
        }
        let hold = self.store.create_hold(&LegalHold {
            id: 0,
            owner: who.agency.id.clone(),
            case_number: req.case_number.trim().to_owned(),
            plate: plate.to_string(),
            from: req.from,
            to: req.to,
            reason: req.reason.trim().to_owned(),
            created_by: who.user.username.clone(),
            created_at: self.clock.now(),
            released_at: None,
        })?;
        let seq = self.audit_change(
            who.actor(),
            "hold.create",
            vec![who.agency.id.clone()],
            json!({ "hold": hold }),
        )?;
        Ok(crate::admin::Audited {
            item: hold,
            audit_seq: seq,
        })
    }

    /// Releases a hold of the caller's agency.
    ///
    /// # Errors
    /// 404 when there is no such open hold.
    pub fn release_hold(
        &self,
        who: &Principal,
        id: i64,
    ) -> ApiResult<crate::admin::Audited<LegalHold>> {
        let hold = self
            .store
            .release_hold(id, &who.agency.id, self.clock.now())?;
        let seq = self.audit_change(
            who.actor(),
            "hold.release",
            vec![who.agency.id.clone()],
            json!({ "hold": hold }),
        )?;
        Ok(crate::admin::Audited {
            item: hold,
            audit_seq: seq,
        })
    }

    /// Replaces the caller's agency policy after validating it; refused text changes nothing.
    ///
    /// # Errors
    /// 400 naming the rule that failed.
    pub fn set_agency_policy(&self, who: &Principal, text: &str) -> ApiResult<u64> {
        {
            let mut engine = self.policy.write().unwrap_or_else(|e| e.into_inner());
            engine
                .set_agency_policy(who.agency.id.as_str(), text)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
        }
        self.store
            .set_agency_policy(&who.agency.id, text, &who.user.username, self.clock.now())?;
        self.audit_change(
            who.actor(),
            "policy.update",
            vec![who.agency.id.clone()],
            json!({ "cedar": text }),
        )
    }
}

/// Runs `job` on a blocking thread every `secs` seconds (never when `secs` is 0), logging failures.
fn spawn_periodic<T: Send + 'static>(
    node: Arc<Node>,
    secs: u64,
    what: &'static str,
    job: fn(&Node) -> ApiResult<T>,
) -> Option<tokio::task::JoinHandle<()>> {
    if secs == 0 {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs));
        loop {
            tick.tick().await;
            let n = node.clone();
            match tokio::task::spawn_blocking(move || job(&n)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(message = %e.message, "{what} failed"),
                Err(e) => tracing::warn!(error = %e, "{what} task failed"),
            }
        }
    }))
}

/// Runs retention every `retention_interval_s` until aborted.
pub fn spawn_retention(node: Arc<Node>) -> Option<tokio::task::JoinHandle<()>> {
    let secs = node.config.policy.retention_interval_s;
    spawn_periodic(node, secs, "retention run", Node::run_retention)
}

/// Signs a checkpoint every `checkpoint_interval_s` when the log grew since the last one.
pub fn spawn_checkpoints(node: Arc<Node>) -> Option<tokio::task::JoinHandle<()>> {
    let secs = node.config.policy.checkpoint_interval_s;
    spawn_periodic(node, secs, "checkpoint", |n| {
        let last = n.audit.latest_checkpoint()?.map_or(0, |c| c.size);
        if n.audit.len() > last {
            let cp = n.audit.checkpoint(n.clock.now())?;
            tracing::info!(size = cp.size, "signed audit checkpoint");
        }
        Ok(())
    })
}

//! Retention runs, legal holds and agency policies: the data-minimisation side of a node. Each
//! change, and each purge before it deletes anything, is written to the audit log.

use crate::admin::Audited;
use crate::changes::Change;
use crate::directory::bounded;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::{Caller, Permission};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sightline_audit::{Action, Actor, EntryDraft};
use sightline_store::{IdTable, LegalHold, PurgeReport, PurgeRule};
use sightline_types::PlateText;
use std::sync::Arc;

/// Most open legal holds per agency (each one is checked by every retention run).
pub const MAX_OPEN_HOLDS: usize = 500;

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

/// One owner's cutoff in a retention run, as its audit entry records it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RetentionCutoff {
    /// The owner.
    pub owner: sightline_types::AgencyId,
    /// Its retention by law and policy.
    pub retention_minutes: i64,
    /// Reads captured before this instant are deleted unless held.
    pub cutoff: DateTime<Utc>,
}

/// Body of `PUT /api/v1/agency-policy`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyPolicyText {
    /// Cedar forbid rules, each with `@id`, `@citation` and `@explanation`.
    pub cedar: String,
}

impl Node {
    /// Deletes reads past each owner's retention (legal holds excepted), audited first.
    ///
    /// # Errors
    /// Store or audit failures.
    pub fn run_retention(&self) -> Result<PurgeReport> {
        let out = self.purge_expired();
        self.retention_failing
            .store(out.is_err(), std::sync::atomic::Ordering::Relaxed);
        out
    }

    /// Retention follows the one door: the run's cutoffs are a [`Change::RetentionPurge`] whose
    /// audit entry is durable before the first read is deleted (a crash in between replays it at
    /// the next start). Its counts follow in a `retention.done` entry written after the deletion.
    fn purge_expired(&self) -> Result<PurgeReport> {
        // Holds are created and released through the change lock: none changes during a run.
        let _serial = self.change_lock.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        let agencies = self.store.agencies()?;
        let cutoffs: Vec<RetentionCutoff> = {
            let engine = self.policy.read().unwrap_or_else(|e| e.into_inner());
            agencies
                .iter()
                .map(|a| {
                    let minutes =
                        engine.retention_minutes(a.jurisdiction.as_str(), !a.kind.is_public());
                    RetentionCutoff {
                        owner: a.id.clone(),
                        retention_minutes: minutes,
                        cutoff: now - Duration::minutes(minutes),
                    }
                })
                .collect()
        };
        // Which owners have reads due (read-only; nothing due → no entry, no effect).
        let holds = self.store.holds(false)?;
        let mut due = Vec::new();
        for c in &cutoffs {
            if self.store.purge_due(
                self.purge_rules(std::slice::from_ref(c)),
                holds.clone(),
                now,
            )? {
                due.push(c.owner.clone());
            }
        }
        if due.is_empty()
            && !self
                .store
                .purge_due(self.purge_rules(&cutoffs), holds, now)?
        {
            return Ok(PurgeReport::default());
        }
        let change = Change::RetentionPurge {
            at: now,
            cutoffs: cutoffs.clone(),
            due,
        };
        // (1) pending row, (2) audit entry: from here on the purge is announced.
        let (change_id, purge_seq) = self.announce(&Caller::System, &change)?;
        // (3) the deletion, in chunks; (4) the pending row goes.
        let report = self.apply_retention(now, &cutoffs)?;
        self.store.drop_pending(&change_id)?;
        let owners = report
            .deleted
            .iter()
            .filter(|(_, n)| **n > 0)
            .filter_map(|(a, _)| sightline_types::AgencyId::parse(a).ok())
            .collect();
        // The counts are a report of what the announced purge did, not an effect of their own:
        // an audit outage here leaves the purge's own entry standing and is logged.
        if let Err(e) = self.append_audit(EntryDraft::new(
            Actor::system(),
            Action::RetentionDone,
            "ok",
            owners,
            json!({ "purge_seq": purge_seq, "report": report }),
        )) {
            tracing::error!(error = %e, purge_seq, "recording a retention purge's counts failed");
        }
        tracing::info!(
            deleted = report.deleted.values().sum::<u64>(),
            dropped = report.dropped_partitions.len(),
            "retention purge"
        );
        Ok(report)
    }

    fn purge_rules(&self, cutoffs: &[RetentionCutoff]) -> Vec<PurgeRule> {
        let cameras = self.store.cameras();
        cutoffs
            .iter()
            .map(|c| PurgeRule {
                owner: c.owner.clone(),
                cameras: cameras
                    .iter()
                    .filter(|cam| cam.owner == c.owner)
                    .map(|cam| cam.id)
                    .collect(),
                cutoff_us: c.cutoff.timestamp_micros(),
            })
            .collect()
    }

    /// Deletes what a recorded retention run announced: reads before each cutoff, except those
    /// under a legal hold open now. Idempotent (a replay deletes only what is still there).
    pub(crate) fn apply_retention(
        &self,
        at: DateTime<Utc>,
        cutoffs: &[RetentionCutoff],
    ) -> Result<PurgeReport> {
        let holds = self.store.holds(false)?;
        Ok(self.store.purge(self.purge_rules(cutoffs), holds, at)?)
    }

    /// Places a legal hold on the caller's agency's reads of a plate (at most
    /// [`MAX_OPEN_HOLDS`] open holds per agency).
    ///
    /// # Errors
    /// 403 without `manage_holds`; 400 for an invalid plate, window or text; 409 when the agency
    /// already has the maximum of open holds.
    pub fn create_hold(&self, caller: &Caller, req: &CreateHold) -> Result<Audited<LegalHold>> {
        let owner = caller.acting_for(Permission::ManageHolds, None)?;
        let plate = PlateText::normalise(&req.plate)
            .map_err(|e| Error::bad_request(format!("plate: {e}")))?;
        if req.to <= req.from {
            return Err(Error::bad_request("`to` must be after `from`"));
        }
        let case_number = bounded("case_number", &req.case_number, 64)?;
        let reason = bounded("reason", &req.reason, 500)?;
        let (change, seq) = self.commit(caller, |n| {
            if n.store.open_holds_of(&owner)? >= MAX_OPEN_HOLDS {
                return Err(Error::new(
                    sightline_types::ErrorCode::Conflict,
                    format!(
                        "{owner} already has {MAX_OPEN_HOLDS} open legal holds; release some first"
                    ),
                ));
            }
            Ok(Change::HoldCreate {
                hold: LegalHold {
                    id: n.store.next_id(IdTable::Holds)?,
                    owner: owner.clone(),
                    case_number,
                    plate: plate.to_string(),
                    from: req.from,
                    to: req.to,
                    reason,
                    created_by: caller.name(),
                    created_at: n.clock.now(),
                    released_at: None,
                },
            })
        })?;
        let Change::HoldCreate { hold } = change else {
            unreachable!("create_hold commits a HoldCreate")
        };
        Ok(Audited {
            item: hold,
            audit_seq: seq,
        })
    }

    /// Releases a hold of the caller's agency.
    ///
    /// # Errors
    /// 403 without `manage_holds`; 404 when there is no such open hold.
    pub fn release_hold(&self, caller: &Caller, id: i64) -> Result<Audited<LegalHold>> {
        caller.require(Permission::ManageHolds)?;
        let hold = self
            .store
            .holds(false)?
            .into_iter()
            .find(|h| h.id == id)
            .ok_or_else(|| Error::not_found(format!("open legal hold {id} not found")))?;
        caller.require_for(
            Permission::ManageHolds,
            &hold.owner,
            &format!("open legal hold {id}"),
        )?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::HoldRelease {
                id,
                owner: hold.owner.clone(),
            })
        })?;
        let released = self
            .store
            .holds(true)?
            .into_iter()
            .find(|h| h.id == id)
            .unwrap_or(hold);
        Ok(Audited {
            item: released,
            audit_seq: seq,
        })
    }

    /// The legal holds of the caller's agency (operators: all).
    ///
    /// # Errors
    /// 403 without `view_holds`.
    pub fn list_holds(&self, caller: &Caller, include_released: bool) -> Result<Vec<LegalHold>> {
        caller.require(Permission::ViewHolds)?;
        let all = self.store.holds(include_released)?;
        Ok(match caller.principal().filter(|p| !p.user.node_operator) {
            Some(p) => all.into_iter().filter(|h| h.owner == p.agency.id).collect(),
            None => all,
        })
    }

    /// Replaces the caller's agency policy: validated first, then audited, then in force. A
    /// refused text changes nothing; nor does an audit failure.
    ///
    /// # Errors
    /// 403 without `manage_policy`; 400 naming the rule that failed.
    pub fn set_agency_policy(&self, caller: &Caller, text: &str) -> Result<u64> {
        let agency = caller.acting_for(Permission::ManagePolicy, None)?;
        if text.len() > 100_000 {
            return Err(Error::bad_request(
                "an agency policy is at most 100000 bytes",
            ));
        }
        self.policy
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .check_agency_policy(agency.as_str(), text)
            .map_err(|e| Error::bad_request(e.to_string()))?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::PolicyUpdate {
                agency: agency.clone(),
                cedar: text.to_owned(),
            })
        })?;
        Ok(seq)
    }

    /// Sets the note beside the caller's agency's transparency figures.
    ///
    /// # Errors
    /// 403 without `edit_transparency`; 400 for an over-long note.
    pub fn set_transparency_note(&self, caller: &Caller, note: &str) -> Result<u64> {
        let agency = caller.acting_for(Permission::EditTransparency, None)?;
        if note.chars().count() > 5000 {
            return Err(Error::bad_request("the note is at most 5000 characters"));
        }
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::TransparencyNote {
                agency: agency.clone(),
                note: note.trim().to_owned(),
                by: caller.name(),
            })
        })?;
        Ok(seq)
    }
}

/// How long before a periodic job's first run: one second past the next whole multiple of `secs`
/// on the clock (runs at hh:mm:01 for a minute). Retention then runs just after partition
/// boundaries: with minute partitions each run finds the partition that has just become wholly
/// due and drops it whole, instead of deleting read by read the part of a partition that a cutoff
/// in its middle makes due. A read is still deleted at most `secs` after its limit.
fn first_delay(secs: u64, now_ms: i64) -> std::time::Duration {
    let period_ms = i64::try_from(secs.saturating_mul(1000))
        .unwrap_or(i64::MAX)
        .max(1);
    let wait_ms = period_ms - now_ms.rem_euclid(period_ms) + 1000;
    std::time::Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0))
}

/// Runs `job` on a blocking thread every `secs` seconds (never when `secs` is 0), logging failures;
/// the first run comes at once, or, `aligned`, after [`first_delay`].
fn spawn_periodic<T: Send + 'static>(
    node: Arc<Node>,
    secs: u64,
    aligned: bool,
    what: &'static str,
    job: fn(&Node) -> Result<T>,
) -> Option<tokio::task::JoinHandle<()>> {
    if secs == 0 {
        return None;
    }
    Some(tokio::spawn(async move {
        let period = std::time::Duration::from_secs(secs);
        let first = if aligned {
            first_delay(secs, chrono::Utc::now().timestamp_millis())
        } else {
            std::time::Duration::ZERO
        };
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + first, period);
        let mut stop = node.shutdown.subscribe();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let n = node.clone();
            match tokio::task::spawn_blocking(move || job(&n)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "{what} failed"),
                Err(e) => tracing::warn!(error = %e, "{what} task failed"),
            }
        }
    }))
}

/// Runs retention every `retention_interval_s` until aborted, one second past each whole multiple
/// of it on the clock.
pub fn spawn_retention(node: Arc<Node>) -> Option<tokio::task::JoinHandle<()>> {
    let secs = node.config.policy.retention_interval_s;
    spawn_periodic(node, secs, true, "retention run", Node::run_retention)
}

/// Signs a checkpoint every `checkpoint_interval_s` when the log grew since the last one.
pub fn spawn_checkpoints(node: Arc<Node>) -> Option<tokio::task::JoinHandle<()>> {
    let secs = node.config.policy.checkpoint_interval_s;
    spawn_periodic(node, secs, false, "checkpoint", |n| {
        let last = n.audit.latest_checkpoint()?.map_or(0, |c| c.size);
        if n.audit.len() > last {
            let cp = n.audit.checkpoint(n.clock.now())?;
            tracing::info!(size = cp.size, "signed audit checkpoint");
        }
        Ok(())
    })
}

#[cfg(test)]
mod periodic_tests {
    #[test]
    fn test_first_run_is_one_second_past_the_next_multiple() {
        // 12:00:25.500 with a minute: the first run at 12:01:01.
        let now = 12 * 3_600_000 + 25_500;
        assert_eq!(super::first_delay(60, now).as_millis(), 35_500);
        // Exactly on a boundary: the next one, not now.
        assert_eq!(super::first_delay(60, 12 * 3_600_000).as_millis(), 61_000);
    }
}

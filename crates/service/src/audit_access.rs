//! Reading the audit log: who may read which entries, exports, verification and checkpoints.
//! Auditors and admins read the entries by or about their own agency; node operators read all.
//! Proofs and checkpoints carry hashes only and are public.

use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::{Caller, Permission};
use sightline_audit::{Action, AuditEntry, Checkpoint, EntryFilter, VerifyReport};
use sightline_types::ErrorCode;

/// Most entries one listing returns.
pub const MAX_LISTED: usize = 1000;

impl Node {
    /// The filter a caller may read the log with (their agency's entries; operators: all).
    ///
    /// # Errors
    /// 403 without `read_audit`; 400 for an unknown action or an `after` past SQLite's integers.
    pub fn audit_filter(
        &self,
        caller: &Caller,
        action: Option<&str>,
        after: u64,
        limit: usize,
    ) -> Result<EntryFilter> {
        caller.require(Permission::ReadAudit)?;
        // Sequence numbers are SQLite integers: a larger `after` is a bad request, not a store
        // failure (found by the contract test: it answered 503).
        if i64::try_from(after).is_err() {
            return Err(Error::bad_request(format!(
                "after must be at most {}",
                i64::MAX
            )));
        }
        let action = match action.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => Some(
                Action::parse(a)
                    .ok_or_else(|| {
                        Error::bad_request(format!(
                            "unknown audit action `{}`",
                            crate::hotlists::excerpt(a)
                        ))
                    })?
                    .code()
                    .to_owned(),
            ),
            None => None,
        };
        Ok(EntryFilter {
            agency: caller
                .principal()
                .filter(|p| !p.user.node_operator)
                .map(|p| p.agency.id.clone()),
            action,
            after_seq: after,
            limit,
        })
    }

    /// Audit entries the caller may read.
    ///
    /// # Errors
    /// As [`Node::audit_filter`]; audit failures.
    pub fn audit_entries(
        &self,
        caller: &Caller,
        action: Option<&str>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<AuditEntry>> {
        let f = self.audit_filter(caller, action, after, limit.min(MAX_LISTED))?;
        Ok(self.audit.entries(&f)?)
    }

    /// Verifies the whole log (auditors and admins).
    ///
    /// # Errors
    /// 403 without `read_audit`; audit failures.
    pub fn verify_audit(&self, caller: &Caller) -> Result<VerifyReport> {
        caller.require(Permission::ReadAudit)?;
        Ok(self.audit.verify()?)
    }

    /// Verifies the entries appended since the last verification (the first call verifies the
    /// whole log); the report covers the log up to its size now. A prefix that no longer matches
    /// (an entry rewritten in place) is reported as a problem and verification starts again.
    ///
    /// # Errors
    /// 403 without `read_audit`; audit failures.
    pub fn verify_audit_incremental(&self, caller: &Caller) -> Result<VerifyReport> {
        caller.require(Permission::ReadAudit)?;
        let mut prefix = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        let (report, next) = self.audit.verify_since(&prefix)?;
        *prefix = if report.problems.is_empty() {
            next
        } else {
            sightline_audit::VerifiedPrefix::empty()
        };
        Ok(report)
    }

    /// The latest signed checkpoint (JSON view). Public: a checkpoint carries hashes only, and
    /// anyone may keep one to check the log later, so no permission is needed.
    ///
    /// # Errors
    /// Audit failures.
    pub fn latest_checkpoint(&self) -> Result<Option<Checkpoint>> {
        Ok(self.audit.latest_checkpoint()?)
    }

    /// The latest signed checkpoint as a C2SP `tlog-checkpoint` signed note (the text witnesses
    /// and `sightline audit verify --checkpoint` read). Public, like [`Node::latest_checkpoint`].
    ///
    /// # Errors
    /// 404 before the first checkpoint with a note is signed; audit failures.
    pub fn latest_checkpoint_note(&self) -> Result<String> {
        self.latest_checkpoint()?
            .and_then(|c| c.note)
            .ok_or_else(|| {
                Error::not_found(
                    "no checkpoint in the C2SP note form has been signed yet (POST /api/v1/audit/checkpoint signs one)",
                )
            })
    }

    /// Signs a checkpoint over the log now (auditors and admins).
    ///
    /// # Errors
    /// 403 without `read_audit`; audit failures.
    pub fn publish_checkpoint(&self, caller: &Caller) -> Result<Checkpoint> {
        caller.require(Permission::ReadAudit)?;
        Ok(self.audit.checkpoint(self.clock.now())?)
    }

    /// Exports the entries the caller may read: the whole log as JSON Lines for operators, the
    /// agency's entries otherwise; CSV cells that a spreadsheet would run are escaped.
    ///
    /// # Errors
    /// 403 without `read_audit`; 400 for an unknown format.
    pub fn export_audit(&self, caller: &Caller, format: &str) -> Result<(Vec<u8>, &'static str)> {
        if format != "jsonl" && format != "csv" {
            return Err(Error::bad_request("format must be jsonl or csv"));
        }
        let filter = self.audit_filter(caller, None, 0, usize::MAX)?;
        let internal = |e: std::io::Error| Error::new(ErrorCode::Internal, e.to_string());
        let mut out = Vec::new();
        if format == "jsonl" && filter.agency.is_none() {
            self.audit.export_jsonl(&mut out)?;
            return Ok((out, "application/x-ndjson"));
        }
        let entries = self.audit.entries(&EntryFilter {
            limit: 1_000_000,
            ..filter
        })?;
        if format == "csv" {
            sightline_audit::write_csv(entries.iter(), &mut out).map_err(internal)?;
            Ok((out, "text/csv; charset=utf-8"))
        } else {
            for e in &entries {
                out.extend(
                    e.canonical_bytes()
                        .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?,
                );
                out.push(b'\n');
            }
            Ok((out, "application/x-ndjson"))
        }
    }

    /// The oversight analysis over the searches in the log the caller may read.
    ///
    /// # Errors
    /// 403 without `read_audit`; audit failures.
    pub fn oversight_report(
        &self,
        caller: &Caller,
        retention_days: f64,
    ) -> Result<sightline_oversight::Report> {
        let filter = self.audit_filter(caller, Some(Action::Search.code()), 0, 1_000_000)?;
        let entries = self.audit.entries(&filter)?;
        let (records, summary) = sightline_oversight::read_sightline_entries(&entries);
        Ok(sightline_oversight::analyze(
            &records,
            vec![summary],
            retention_days,
        ))
    }
}

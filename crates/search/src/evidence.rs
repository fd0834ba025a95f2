//! Re-running an earlier search for an evidence export: the recorded request and context of its
//! audit entry, run again on the same path (policy decides again, under today's law and
//! retention; the re-run is itself audited). Reads that the original returned and that are gone
//! now are listed as purged, not silently missing.

use crate::{Error, Principal, Result, Searcher};
use sightline_audit::AuditEntry;
use sightline_types::{AnalysisRequest, AnalysisResponse, SearchRequest, SearchResponse};
use std::collections::HashSet;

/// The fresh result of a re-run.
#[derive(Debug, Clone)]
pub enum Rerun {
    /// A plate or description search.
    Plate(SearchResponse),
    /// A multi-location or convoy search.
    Analysis(AnalysisResponse),
}

/// A re-run with the entry it re-ran and the reads missing since.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The original search's audit entry.
    pub original: AuditEntry,
    /// The re-run.
    pub rerun: Rerun,
    /// `[seq, captured_us]` of reads the original returned that are no longer stored (purged by
    /// retention, or refused now by the owner's policy).
    pub purged: Vec<[i64; 2]>,
}

impl Rerun {
    /// The re-run's audit entry.
    pub fn audit_seq(&self) -> u64 {
        match self {
            Rerun::Plate(r) => r.audit_seq,
            Rerun::Analysis(r) => r.audit_seq,
        }
    }

    /// Sequence numbers of every read in the re-run.
    pub fn read_seqs(&self) -> HashSet<i64> {
        match self {
            Rerun::Plate(r) => r.results.iter().map(|r| r.seq).collect(),
            Rerun::Analysis(r) => r
                .target
                .iter()
                .chain(r.matches.iter().flat_map(|m| &m.sightings))
                .map(|r| r.seq)
                .collect(),
        }
    }
}

impl Searcher {
    /// Loads the caller's own earlier search `seq` (one that reached at least one owner) and runs
    /// it again, audited, for an evidence export.
    ///
    /// # Errors
    /// `NotFound`-like `Invalid` when `seq` is not one of the caller's searches, `Forbidden` when
    /// it was refused; whatever the re-run returns.
    pub fn rerun_for_evidence(&self, who: &Principal, seq: u64) -> Result<Evidence> {
        let entry = self
            .audit
            .entries(&sightline_audit::EntryFilter {
                agency: None,
                action: Some(sightline_audit::Action::Search.code().into()),
                after_seq: seq.saturating_sub(1),
                limit: 1,
            })
            .map_err(Error::AuditUnavailable)?
            .into_iter()
            .find(|e| e.seq == seq);
        let Some(entry) = entry.filter(|e| {
            e.actor.id == who.user.id.0.to_string()
                && e.actor.agency.as_ref() == Some(&who.agency.id)
        }) else {
            return Err(Error::NotFound(format!(
                "audit entry {seq} is not one of your searches"
            )));
        };
        if entry.outcome == "refused" {
            return Err(Error::NotFound(format!(
                "search {seq} was refused; it has no results to export"
            )));
        }
        let request = entry.details.get("request").cloned().unwrap_or_default();
        let rerun = if entry.details.get("kind").and_then(|k| k.as_str()).is_some() {
            let req: AnalysisRequest = serde_json::from_value(request)
                .map_err(|_| Error::NotFound(format!("audit entry {seq} holds no request")))?;
            Rerun::Analysis(self.analyse_for(who, req, Some(seq), true)?)
        } else {
            let mut req: SearchRequest = serde_json::from_value(request)
                .map_err(|_| Error::NotFound(format!("audit entry {seq} holds no request")))?;
            req.follows = Some(seq);
            Rerun::Plate(self.search(who, req)?)
        };
        let now: HashSet<i64> = rerun.read_seqs();
        let purged = entry
            .details
            .get("result_reads")
            .and_then(|r| serde_json::from_value::<Vec<[i64; 2]>>(r.clone()).ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|[s, _]| !now.contains(s))
            .collect();
        Ok(Evidence {
            original: entry,
            rerun,
            purged,
        })
    }
}

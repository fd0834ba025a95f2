//! Evidence packages: an officer exports one of their own earlier searches for a case. The
//! search is re-run on the search path (policy decides again, the re-run is audited; reads gone
//! since are listed as purged), the export itself is an `evidence.export` audit entry that records
//! the digest of the package's file list, and the package carries the entries involved with
//! their inclusion proofs and a freshly signed checkpoint, so `sightline evidence verify` can
//! check it offline (`sightline_audit::evidence`).

use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::{Caller, Permission};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use sightline_audit::evidence::{
    CHECKPOINT, ENTRIES, EntryProof, FORMAT, MANIFEST, Manifest, ManifestFile, PROOFS, VERIFIER,
    files_digest,
};
use sightline_audit::{Action, AuditEntry, EntryDraft, EntryFilter};
use sightline_search::Rerun;
use sightline_types::{
    CameraId, EvidenceFile, EvidencePackage, OwnerDecision, OwnerOutcome, StoredRead,
};
use std::collections::BTreeSet;

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn pretty(v: &impl serde::Serialize) -> Vec<u8> {
    let mut b = serde_json::to_vec_pretty(v).unwrap_or_default();
    b.push(b'\n');
    b
}

/// A read as the package lists it: the crop replaced by the path of its file.
fn listed(r: &StoredRead) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("crop");
        if r.crop.is_some() {
            o.insert("crop_file".into(), json!(format!("crops/{}.jpg", r.seq)));
        }
    }
    v
}

struct Report<'a> {
    original: &'a AuditEntry,
    rerun: &'a Rerun,
    reads: &'a [&'a StoredRead],
    purged: &'a [[i64; 2]],
    owners: &'a [OwnerDecision],
    exported_by: String,
    now: chrono::DateTime<chrono::Utc>,
}

fn report_html(r: &Report<'_>) -> String {
    let req = r
        .original
        .details
        .get("request")
        .cloned()
        .unwrap_or_default();
    let s = |p: &str| {
        req.pointer(p)
            .and_then(|v| v.as_str())
            .map(esc)
            .unwrap_or_default()
    };
    let kind = r
        .original
        .details
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("plate search");
    let mut h = String::new();
    h.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sightline evidence package</title>");
    h.push_str("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;text-align:left}</style></head><body>");
    h.push_str(&format!(
        "<h1>Evidence package: search {}</h1><p>Exported {} by {}. This report is a reading aid; \
         the package's files, their SHA-256 hashes (<code>manifest.json</code>), the audit entries \
         and their inclusion proofs against the signed checkpoint are the evidence. Check them \
         with <code>sightline evidence verify</code>.</p>",
        r.original.seq,
        esc(&r.now.to_rfc3339()),
        esc(&r.exported_by)
    ));
    h.push_str("<h2>Request</h2><table>");
    for (k, v) in [
        ("Kind", esc(kind)),
        ("Searched at", esc(&r.original.time.to_rfc3339())),
        ("By", esc(&r.original.actor.name)),
        ("Purpose", s("/purpose")),
        ("Case number", s("/case_number")),
        ("Reason", s("/reason")),
        ("Warrant court", s("/warrant/court")),
        ("Warrant reference", s("/warrant/reference")),
        ("Warrant issued", s("/warrant/issued")),
        ("Warrant expires", s("/warrant/expires")),
    ] {
        if !v.is_empty() {
            h.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>"));
        }
    }
    h.push_str("</table>");
    h.push_str(&format!(
        "<h2>Decisions per data owner (re-run, audit entry {})</h2><table><tr><th>Owner</th><th>Outcome</th><th>Rule</th><th>Citation</th></tr>",
        r.rerun.audit_seq()
    ));
    for o in r.owners {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&o.owner_name),
            if o.outcome == OwnerOutcome::Contributed {
                "contributed"
            } else {
                "excluded"
            },
            esc(&o.rule),
            esc(&o.citation)
        ));
    }
    h.push_str("</table>");
    if let Rerun::Analysis(a) = r.rerun {
        h.push_str(&format!(
            "<h2>Vehicles ({}; uninvolved vehicles revealed: {})</h2><table><tr><th>Plate</th><th>Score</th><th>Sightings</th></tr>",
            esc(&a.kind),
            a.uninvolved_revealed
        ));
        for m in &a.matches {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&m.plate),
                m.score,
                m.sightings.len()
            ));
        }
        h.push_str("</table>");
    }
    h.push_str(&format!(
        "<h2>Reads ({})</h2><table><tr><th>Seq</th><th>Captured</th><th>Plate</th><th>Camera</th><th>Owner</th><th>Picture</th></tr>",
        r.reads.len()
    ));
    for x in r.reads {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            x.seq,
            esc(&x.captured_at.to_rfc3339()),
            esc(&x.plate),
            esc(&x.camera_name),
            esc(x.owner.as_str()),
            if x.crop.is_some() {
                format!("<img alt=\"plate\" src=\"crops/{}.jpg\">", x.seq)
            } else {
                String::new()
            }
        ));
    }
    h.push_str("</table>");
    h.push_str(&format!(
        "<h2>Purged since the search ({})</h2><p>Reads the original search returned that are no longer stored (retention) or no longer released by their owner's policy.</p><ul>",
        r.purged.len()
    ));
    for [seq, us] in r.purged {
        let at = chrono::DateTime::from_timestamp_micros(*us)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        h.push_str(&format!("<li>read {seq}, captured {}</li>", esc(&at)));
    }
    h.push_str("</ul></body></html>\n");
    h
}

impl Node {
    /// Exports an evidence package of the caller's own earlier search `search_seq`.
    ///
    /// # Errors
    /// 403 without `export_evidence`; 404 when the search is not the caller's; what the re-run
    /// returns (refusals are audited); audit failures (then nothing is returned).
    pub fn export_evidence(&self, caller: &Caller, search_seq: u64) -> Result<EvidencePackage> {
        caller.require(Permission::ExportEvidence)?;
        let who = caller
            .principal()
            .ok_or_else(|| Error::bad_request("evidence is exported by a signed-in user"))?;
        let ev = self.searcher.rerun_for_evidence(who, search_seq)?;
        let now = self.clock.now();
        let (reads, owners): (Vec<&StoredRead>, &[OwnerDecision]) = match &ev.rerun {
            Rerun::Plate(r) => (r.results.iter().collect(), &r.owners),
            Rerun::Analysis(a) => {
                let mut seen = BTreeSet::new();
                let reads = a
                    .target
                    .iter()
                    .chain(a.matches.iter().flat_map(|m| &m.sightings))
                    .filter(|r| seen.insert(r.seq))
                    .collect();
                (reads, &a.owners)
            }
        };
        let mut data: Vec<(String, Vec<u8>)> = Vec::new();
        let request = json!({
            "search_seq": ev.original.seq,
            "searched_at": ev.original.time,
            "searched_by": ev.original.actor,
            "kind": ev.original.details.get("kind").cloned().unwrap_or(json!("plate")),
            "request": ev.original.details.get("request"),
            "warrant": ev.original.details.get("warrant"),
        });
        data.push(("request.json".into(), pretty(&request)));
        data.push((
            "decisions.json".into(),
            pretty(&json!({
                "original": ev.original.details.get("decisions"),
                "rerun": owners,
                "rerun_seq": ev.rerun.audit_seq(),
            })),
        ));
        let analysis = match &ev.rerun {
            Rerun::Analysis(a) => json!({
                "kind": a.kind,
                "uninvolved_revealed": a.uninvolved_revealed,
                "target_reads": a.target.iter().map(|r| r.seq).collect::<Vec<_>>(),
                "matches": a.matches.iter().map(|m| json!({
                    "plate": m.plate, "score": m.score, "places": m.places,
                    "reads": m.sightings.iter().map(|r| r.seq).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            }),
            Rerun::Plate(_) => Value::Null,
        };
        data.push((
            "reads.json".into(),
            pretty(&json!({
                "reads": reads.iter().map(|r| listed(r)).collect::<Vec<_>>(),
                "analysis": analysis,
            })),
        ));
        data.push((
            "purged.json".into(),
            pretty(
                &ev.purged
                    .iter()
                    .map(|[seq, us]| {
                        json!({"seq": seq, "captured_at": chrono::DateTime::from_timestamp_micros(*us)})
                    })
                    .collect::<Vec<_>>(),
            ),
        ));
        let cams: BTreeSet<CameraId> = reads.iter().map(|r| r.camera_id).collect();
        let cameras: Vec<Value> = cams
            .iter()
            .filter_map(|id| self.store.camera(*id))
            .map(|c| {
                json!({"id": c.id.0, "name": c.name, "owner": c.owner, "lat": c.lat, "lon": c.lon,
                       "mobile": c.mobile})
            })
            .collect();
        data.push(("cameras.json".into(), pretty(&cameras)));
        for r in &reads {
            if let Some(b) = r.crop.as_deref().and_then(|c| B64.decode(c).ok()) {
                data.push((format!("crops/{}.jpg", r.seq), b));
            }
        }
        data.push((
            "report.html".into(),
            report_html(&Report {
                original: &ev.original,
                rerun: &ev.rerun,
                reads: &reads,
                purged: &ev.purged,
                owners,
                exported_by: caller.name(),
                now,
            })
            .into_bytes(),
        ));
        let files: Vec<ManifestFile> = data.iter().map(|(p, b)| ManifestFile::of(p, b)).collect();
        let digest = files_digest(&files);
        // Audit first: the package leaves only once its export entry is durable.
        let receipt = self.audit.append(EntryDraft {
            actor: caller.actor(),
            action: Action::EvidenceExport.code().into(),
            outcome: "exported".into(),
            owners: owners.iter().map(|o| o.owner.clone()).collect(),
            details: json!({
                "search_seq": ev.original.seq,
                "rerun_seq": ev.rerun.audit_seq(),
                "reads": reads.len(),
                "purged": ev.purged.len(),
                "files": files.len(),
                "files_digest": digest,
            }),
        })?;
        let export_seq = receipt.seq;
        let checkpoint = self.audit.checkpoint(now)?;
        let note = checkpoint.note.clone().ok_or_else(|| {
            Error::new(
                sightline_types::ErrorCode::Internal,
                "checkpoint without a signed note",
            )
        })?;
        let seqs = [ev.original.seq, ev.rerun.audit_seq(), export_seq];
        let mut entries = Vec::new();
        let mut proofs = Vec::new();
        for seq in seqs {
            let entry = self
                .audit
                .entries(&EntryFilter {
                    agency: None,
                    action: None,
                    after_seq: seq - 1,
                    limit: 1,
                })?
                .into_iter()
                .find(|e| e.seq == seq)
                .ok_or_else(|| Error::not_found(format!("audit entry {seq} is missing")))?;
            let mut line = entry
                .canonical_bytes()
                .map_err(|e| Error::new(sightline_types::ErrorCode::Internal, e.to_string()))?;
            line.push(b'\n');
            entries.extend(line);
            let p = self.audit.inclusion_proof(seq, checkpoint.size)?;
            proofs.push(EntryProof {
                seq,
                tree_size: p.tree_size,
                hashes: p.hashes,
            });
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            search_seq: ev.original.seq,
            rerun_seq: ev.rerun.audit_seq(),
            export_seq,
            files,
        };
        let mut out: Vec<EvidenceFile> = data
            .into_iter()
            .map(|(path, b)| EvidenceFile {
                path,
                content_base64: B64.encode(b),
            })
            .collect();
        for (path, b) in [
            (ENTRIES, entries),
            (PROOFS, pretty(&proofs)),
            (CHECKPOINT, note.into_bytes()),
            (
                VERIFIER,
                format!("{}\n", self.audit.note_verifier()?).into_bytes(),
            ),
            (MANIFEST, pretty(&manifest)),
        ] {
            out.push(EvidenceFile {
                path: path.into(),
                content_base64: B64.encode(b),
            });
        }
        Ok(EvidencePackage {
            audit_seq: export_seq,
            search_seq: ev.original.seq,
            files: out,
        })
    }
}

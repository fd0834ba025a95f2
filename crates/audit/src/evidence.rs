//! Evidence packages: the manifest format and the offline check.
//!
//! A package is a directory. `manifest.json` lists every data file with its SHA-256; the
//! `evidence.export` audit entry records the digest of that list ([`files_digest`]), so the files
//! are bound to the signed log. `audit/entries.jsonl` holds the entries involved (canonical JSON,
//! one per line), `audit/proofs.json` their RFC 6962 inclusion proofs against the tree of
//! `audit/checkpoint` (a C2SP signed note), and `audit/verifier.txt` the note verifier key.
//! [`verify_package`] checks all of it without the node: each file's hash, the export entry's
//! digest, each entry's leaf hash and proof, and the checkpoint's signature. It names every file
//! that does not match.

use crate::layout::{Hash, verify_inclusion};
use crate::note::NoteVerifier;
use crate::verify::leaf_hash;
use crate::{AuditEntry, open_checkpoint};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The manifest's format tag.
pub const FORMAT: &str = "sightline-evidence/1";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The entries file.
pub const ENTRIES: &str = "audit/entries.jsonl";
/// The proofs file.
pub const PROOFS: &str = "audit/proofs.json";
/// The signed checkpoint note.
pub const CHECKPOINT: &str = "audit/checkpoint";
/// The note verifier key (`<origin>+<id>+<base64 key>`).
pub const VERIFIER: &str = "audit/verifier.txt";

/// One data file in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Path inside the package, `/`-separated.
    pub path: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Its length.
    pub bytes: u64,
}

impl ManifestFile {
    /// Describes `bytes` stored at `path`.
    pub fn of(path: &str, bytes: &[u8]) -> Self {
        ManifestFile {
            path: path.to_owned(),
            sha256: hex::encode(Sha256::digest(bytes)),
            bytes: bytes.len() as u64,
        }
    }
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The search whose evidence this is.
    pub search_seq: u64,
    /// The audited re-run of it.
    pub rerun_seq: u64,
    /// The `evidence.export` entry, which records [`files_digest`] of `files`.
    pub export_seq: u64,
    /// Every data file (the audit files are checked by proof and signature instead).
    pub files: Vec<ManifestFile>,
}

/// The digest the export's audit entry records: SHA-256 over `path  sha256\n` of each file, in
/// the order listed.
pub fn files_digest(files: &[ManifestFile]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(format!("{}  {}\n", f.path, f.sha256).as_bytes());
    }
    hex::encode(h.finalize())
}

/// One entry's inclusion proof in `audit/proofs.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryProof {
    /// The entry.
    pub seq: u64,
    /// Tree size the proof is against (the checkpoint's).
    pub tree_size: u64,
    /// The proof's hashes, hex, RFC 6962 order.
    pub hashes: Vec<String>,
}

/// What [`verify_package`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PackageReport {
    /// Data files whose hash matched.
    pub files_ok: usize,
    /// Audit entries whose inclusion proof verified.
    pub entries_ok: usize,
    /// The checkpoint's tree size.
    pub checkpoint_size: u64,
    /// Everything wrong, each naming the file.
    pub problems: Vec<String>,
}

impl PackageReport {
    /// Tells whether nothing was wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

fn decode_hash(s: &str) -> Option<Hash> {
    hex::decode(s).ok()?.try_into().ok()
}

/// Checks a package directory offline. `trusted_verifier` is the node's published note verifier
/// key; without it the package's own `audit/verifier.txt` is used (which proves integrity, not
/// origin: compare its key with the one the node publishes).
///
/// # Errors
/// Never for a damaged package (that is a problem in the report); only a report is returned.
pub fn verify_package(dir: &Path, trusted_verifier: Option<&str>) -> PackageReport {
    let mut r = PackageReport::default();
    let read = |rel: &str| std::fs::read(dir.join(rel));
    let manifest: Manifest = match read(MANIFEST)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(e) => {
            r.problems.push(format!("{MANIFEST}: unreadable ({e})"));
            return r;
        }
    };
    if manifest.format != FORMAT {
        r.problems.push(format!(
            "{MANIFEST}: format `{}` is not {FORMAT}",
            manifest.format
        ));
    }
    // 1. Every data file against the manifest.
    for f in &manifest.files {
        if f.path.split('/').any(|s| s.is_empty() || s == "..") || f.path.starts_with('/') {
            r.problems
                .push(format!("{MANIFEST}: unsafe path `{}`", f.path));
            continue;
        }
        match read(&f.path) {
            Ok(b) if hex::encode(Sha256::digest(&b)) == f.sha256 => r.files_ok += 1,
            Ok(_) => r.problems.push(format!(
                "{}: altered (SHA-256 differs from the manifest)",
                f.path
            )),
            Err(e) => r.problems.push(format!("{}: missing ({e})", f.path)),
        }
    }
    // 2. The checkpoint's signature.
    let verifier_text = match trusted_verifier {
        Some(v) => Some(v.trim().to_owned()),
        None => read(VERIFIER)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned()),
    };
    let verifier = match verifier_text.as_deref().map(NoteVerifier::parse) {
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            r.problems
                .push(format!("{VERIFIER}: not a note verifier key ({e})"));
            None
        }
        None => {
            r.problems.push(format!("{VERIFIER}: missing"));
            None
        }
    };
    let checkpoint = verifier.as_ref().and_then(|v| {
        let note = match read(CHECKPOINT) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                r.problems.push(format!("{CHECKPOINT}: missing ({e})"));
                return None;
            }
        };
        match open_checkpoint(&note, v) {
            Ok(c) => Some(c),
            Err(e) => {
                r.problems.push(format!(
                    "{CHECKPOINT}: signature or format does not verify ({e})"
                ));
                None
            }
        }
    });
    if let Some(c) = &checkpoint {
        r.checkpoint_size = c.size;
    }
    // 3. Each entry's leaf and inclusion proof; the export entry's digest of the manifest.
    let proofs: Vec<EntryProof> = match read(PROOFS)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            r.problems.push(format!("{PROOFS}: unreadable ({e})"));
            Vec::new()
        }
    };
    let lines = match read(ENTRIES) {
        Ok(b) => b,
        Err(e) => {
            r.problems.push(format!("{ENTRIES}: missing ({e})"));
            Vec::new()
        }
    };
    let mut seen = Vec::new();
    for (i, line) in lines
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let entry: AuditEntry = match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(e) => {
                r.problems.push(format!(
                    "{ENTRIES}: line {} is not an audit entry ({e})",
                    i + 1
                ));
                continue;
            }
        };
        seen.push(entry.seq);
        let leaf = leaf_hash(line);
        let Some(proof) = proofs.iter().find(|p| p.seq == entry.seq) else {
            r.problems
                .push(format!("{PROOFS}: no proof for entry {}", entry.seq));
            continue;
        };
        let hashes: Option<Vec<Hash>> = proof.hashes.iter().map(|h| decode_hash(h)).collect();
        match (&checkpoint, hashes) {
            (Some(c), Some(hashes)) if proof.tree_size == c.size => {
                if verify_inclusion(&leaf, entry.seq - 1, c.size, &hashes, &c.root) {
                    r.entries_ok += 1;
                } else {
                    r.problems.push(format!(
                        "{ENTRIES}: entry {} does not match its inclusion proof (altered entry or {PROOFS})",
                        entry.seq
                    ));
                }
            }
            (Some(_), Some(_)) => r.problems.push(format!(
                "{PROOFS}: proof of entry {} is not against the checkpoint's tree",
                entry.seq
            )),
            (_, None) => r.problems.push(format!(
                "{PROOFS}: proof of entry {} is malformed",
                entry.seq
            )),
            (None, _) => {}
        }
        if entry.seq == manifest.export_seq {
            let recorded = entry
                .details
                .get("files_digest")
                .and_then(|d| d.as_str())
                .unwrap_or_default();
            if recorded != files_digest(&manifest.files) {
                r.problems.push(format!(
                    "{MANIFEST}: its file list differs from the one the export's audit entry {} recorded",
                    entry.seq
                ));
            }
        }
    }
    for seq in [manifest.search_seq, manifest.rerun_seq, manifest.export_seq] {
        if !seen.contains(&seq) {
            r.problems.push(format!(
                "{ENTRIES}: audit entry {seq} named by {MANIFEST} is missing"
            ));
        }
    }
    r
}

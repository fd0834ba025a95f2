//! Evidence packages: the manifest format and the offline check.
//!
//! A package is a directory. `manifest.json` lists every data file with its SHA-256; the
//! `evidence.export` audit entry records the digest of that list ([`files_digest`]), so the files
//! are bound to the signed log. `audit/entries.jsonl` holds the entries involved (canonical JSON,
//! one per line), `audit/proofs.json` their RFC 6962 inclusion proofs against the tree of
//! `audit/checkpoint` (a C2SP signed note), and `audit/verifier.txt` the note verifier key.
//! [`verify_package`] checks all of it without the node: each file's hash, the export entry's
//! digest, each entry's leaf hash and proof, and the checkpoint's signature. It names every file
//! that does not match. The web UI offers the same files as one tar archive ([`write_archive`]);
//! [`verify_archive`] checks such an archive without unpacking it.

use crate::layout::{Hash, verify_inclusion};
use crate::note::NoteVerifier;
use crate::verify::leaf_hash;
use crate::{AuditEntry, Error, Result, open_checkpoint};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
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
    verify_files(|rel| std::fs::read(dir.join(rel)), trusted_verifier)
}

/// The directory every file of a package archive sits under (`evidence-<search>/`), so that
/// unpacking it with `tar xf` gives one folder.
pub fn archive_root(search_seq: u64) -> String {
    format!("evidence-{search_seq}")
}

/// Packs a package's files (path inside the package, bytes) into an uncompressed POSIX tar
/// archive under [`archive_root`]: the web UI's download. Paths that would leave the package are
/// refused.
///
/// # Errors
/// [`Error::Export`] for an unsafe path (the archive is never written partly).
pub fn write_archive(search_seq: u64, files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let root = archive_root(search_seq);
    let mut b = tar::Builder::new(Vec::new());
    for (i, (path, bytes)) in files.iter().enumerate() {
        if !is_safe(path) {
            return Err(Error::Export {
                line: i as u64 + 1,
                why: format!("unsafe path `{path}` in an evidence package"),
            });
        }
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, format!("{root}/{path}"), bytes.as_slice())
            .map_err(|e| Error::Export {
                line: i as u64 + 1,
                why: format!("archiving `{path}`: {e}"),
            })?;
    }
    b.into_inner().map_err(|e| Error::Export {
        line: 0,
        why: format!("finishing the archive: {e}"),
    })
}

/// A package's files as (path inside the package, bytes), decoded from the wire form the node
/// answers with (`POST /api/v1/evidence`). Shared by the web UI's download, `sightline evidence
/// export`'s directory and its archive, so all three hold the same bytes.
///
/// # Errors
/// [`Error::Export`] for a file that is not valid base64 or an unsafe path.
pub fn package_files(pkg: &sightline_types::EvidencePackage) -> Result<Vec<(String, Vec<u8>)>> {
    use base64::Engine as _;
    pkg.files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if !is_safe(&f.path) {
                return Err(Error::Export {
                    line: i as u64 + 1,
                    why: format!("unsafe path `{}` in an evidence package", f.path),
                });
            }
            base64::engine::general_purpose::STANDARD
                .decode(&f.content_base64)
                .map(|b| (f.path.clone(), b))
                .map_err(|e| Error::Export {
                    line: i as u64 + 1,
                    why: format!("`{}` is not base64: {e}", f.path),
                })
        })
        .collect()
}

/// A package as the uncompressed tar archive of [`write_archive`]: the web UI's download and
/// `sightline evidence export --out FILE.tar`.
///
/// # Errors
/// As [`package_files`] and [`write_archive`].
pub fn package_archive(pkg: &sightline_types::EvidencePackage) -> Result<Vec<u8>> {
    write_archive(pkg.search_seq, &package_files(pkg)?)
}

fn is_safe(path: &str) -> bool {
    !path.starts_with('/')
        && !path
            .split('/')
            .any(|s| s.is_empty() || s == ".." || s == ".")
}

/// The regular files of a tar archive, keyed by their path relative to the folder that holds
/// `manifest.json` (the archive's root, or one folder such as `evidence-12/`).
fn read_archive(bytes: &[u8]) -> std::result::Result<BTreeMap<String, Vec<u8>>, String> {
    let mut all = BTreeMap::new();
    let mut archive = tar::Archive::new(bytes);
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).map_err(|e| e.to_string())?;
        all.insert(path, data);
    }
    let root = all
        .keys()
        .filter_map(|k| k.strip_suffix(MANIFEST))
        .filter(|prefix| prefix.is_empty() || prefix.ends_with('/'))
        .min_by_key(|prefix| prefix.len())
        .map(str::to_owned)
        .ok_or_else(|| format!("no {MANIFEST} in the archive"))?;
    Ok(all
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix(&root).map(|rel| (rel.to_owned(), v)))
        .collect())
}

/// Checks a package archive (a tar file, as the web UI downloads it) offline, exactly as
/// [`verify_package`] checks a directory: the files are read from the archive, nothing is
/// unpacked. Problems name the file's path inside the package.
pub fn verify_archive(path: &Path, trusted_verifier: Option<&str>) -> PackageReport {
    let files = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| read_archive(&b));
    match files {
        Ok(files) => verify_files(
            |rel| {
                files.get(rel).cloned().ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::NotFound, "not in the archive")
                })
            },
            trusted_verifier,
        ),
        Err(e) => PackageReport {
            problems: vec![format!(
                "{}: not a readable package archive ({e})",
                path.display()
            )],
            ..PackageReport::default()
        },
    }
}

/// The checks of [`verify_package`] over any source of the package's files.
fn verify_files(
    read: impl Fn(&str) -> std::io::Result<Vec<u8>>,
    trusted_verifier: Option<&str>,
) -> PackageReport {
    let mut r = PackageReport::default();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_for(files: &[(&str, &[u8])]) -> Vec<u8> {
        let m = serde_json::json!({
            "format": FORMAT, "search_seq": 1, "rerun_seq": 2, "export_seq": 3,
            "files": files.iter().map(|(p, b)| ManifestFile::of(p, b)).collect::<Vec<_>>(),
        });
        serde_json::to_vec(&m).unwrap()
    }

    fn problems_of(tar: &[u8]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.tar");
        std::fs::write(&path, tar).unwrap();
        verify_archive(&path, None).problems
    }

    #[test]
    fn test_archive_round_trip_names_the_altered_file() {
        let cams: &[u8] = b"{\"cameras\": [17]}";
        let reads: &[u8] = b"{\"reads\": []}";
        let files = vec![
            (
                MANIFEST.to_owned(),
                manifest_for(&[("cameras.json", cams), ("reads.json", reads)]),
            ),
            ("cameras.json".to_owned(), cams.to_vec()),
            ("reads.json".to_owned(), reads.to_vec()),
        ];
        let tar = write_archive(12, &files).unwrap();
        let read = read_archive(&tar).unwrap();
        assert_eq!(read.get("cameras.json").map(Vec::as_slice), Some(cams));
        assert!(read.contains_key(MANIFEST));
        // Intact: no data file is named (the audit files are absent from this toy package).
        let ok = problems_of(&tar);
        assert!(
            !ok.iter()
                .any(|p| p.starts_with("cameras.json") || p.starts_with("reads.json")),
            "{ok:?}"
        );
        assert!(ok.iter().any(|p| p.starts_with(VERIFIER)), "{ok:?}");
        // One byte of one file's content changed: that file, and only it, is named.
        let mut bad = tar.clone();
        let at = bad.windows(4).position(|w| w == b"[17]").unwrap() + 1;
        bad[at] = b'8';
        let problems = problems_of(&bad);
        assert!(
            problems
                .iter()
                .any(|p| p == "cameras.json: altered (SHA-256 differs from the manifest)"),
            "{problems:?}"
        );
        assert!(
            !problems.iter().any(|p| p.starts_with("reads.json")),
            "{problems:?}"
        );
    }

    #[test]
    fn test_archive_refuses_unsafe_paths_and_garbage() {
        assert!(write_archive(1, &[("../x".to_owned(), Vec::new())]).is_err());
        assert!(write_archive(1, &[("/etc/x".to_owned(), Vec::new())]).is_err());
        let problems = problems_of(b"not a tar file at all");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("not a readable package archive"),
            "{problems:?}"
        );
    }
}

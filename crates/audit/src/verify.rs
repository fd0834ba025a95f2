//! Hashing and chain verification. Pure functions over entries; the log feeds them rows.

use sha2::{Digest, Sha256};

/// RFC 6962 leaf hash: `SHA-256(0x00 || bytes)`.
pub fn leaf_hash(bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(bytes);
    h.finalize().into()
}

/// Chain hash: `SHA-256(0x02 || prev || leaf)`; the first entry's `prev` is 32 zero bytes.
/// The prefix 0x02 keeps chain hashes apart from RFC 6962 leaf (0x00) and node (0x01) hashes.
pub fn chain_hash(prev: &[u8; 32], leaf: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x02]);
    h.update(prev);
    h.update(leaf);
    h.finalize().into()
}

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The entry's sequence number (or the expected one, for a gap; 0 for the log as a whole).
    pub seq: u64,
    /// What is wrong, in a sentence.
    pub what: String,
}

/// The outcome of checking one checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CheckpointCheck {
    /// Size it commits to.
    pub size: u64,
    /// When it was signed.
    pub time: String,
    /// Whether signature and root both check.
    pub ok: bool,
    /// What is wrong, when something is.
    pub what: Option<String>,
}

/// The result of verifying a log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Hex chain hash of the last entry.
    pub head: String,
    /// Hex Merkle root over all entries.
    pub root: String,
    /// Each checkpoint checked, in size order.
    pub checkpoints: Vec<CheckpointCheck>,
    /// Entries after the newest valid checkpoint (not yet committed to by any signature).
    pub unanchored_entries: u64,
    /// Everything found wrong; empty when the log verifies.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Tells whether the log verified.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies rows `(seq, canonical body, stored leaf hash, stored chain hash)` in order — stored
/// hashes are absent for exported logs — and then each checkpoint against the recomputed tree.
pub fn verify_rows(
    rows: impl Iterator<Item = (u64, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>)>,
    checkpoints: &[crate::checkpoint::Checkpoint],
    key: Option<&ed25519_dalek::VerifyingKey>,
) -> VerifyReport {
    let mut v = ChainVerifier::new();
    let mut tree = crate::layout::Tree::new();
    for (seq, body, leaf, chain) in rows {
        tree.push(v.check(seq, &body, leaf.as_deref(), chain.as_deref()));
    }
    let mut report = v.report;
    report.root = hex::encode(
        tree.root(tree.size())
            .unwrap_or_else(crate::layout::empty_root),
    );
    let mut sorted: Vec<&crate::checkpoint::Checkpoint> = checkpoints.iter().collect();
    sorted.sort_by_key(|c| (c.size, c.time));
    let mut last_good: Option<u64> = None;
    for cp in sorted {
        let what = if key.is_some_and(|k| !cp.verify_signature(k)) {
            Some("signature does not verify with the node's public key (checkpoint forged or altered)".to_owned())
        } else if cp.size > tree.size() {
            Some(format!(
                "commits to {} entries but the log holds {}: entries {} to {} were removed",
                cp.size,
                tree.size(),
                tree.size() + 1,
                cp.size
            ))
        } else if tree.root(cp.size).map(hex::encode).as_deref() != Some(cp.root.as_str()) {
            let since = last_good.map_or("1".to_owned(), |g| (g + 1).to_string());
            Some(format!(
                "root does not match entries 1 to {}: an entry between {since} and {} was altered, removed, reordered or inserted after this checkpoint was signed",
                cp.size, cp.size
            ))
        } else {
            None
        };
        if let Some(w) = &what {
            report.problems.push(Problem {
                seq: cp.size,
                what: format!(
                    "checkpoint of size {} signed {}: {w}",
                    cp.size,
                    cp.time.to_rfc3339()
                ),
            });
        } else {
            last_good = Some(last_good.map_or(cp.size, |g| g.max(cp.size)));
        }
        report.checkpoints.push(CheckpointCheck {
            size: cp.size,
            time: cp.time.to_rfc3339(),
            ok: what.is_none(),
            what,
        });
    }
    if key.is_none() && !checkpoints.is_empty() {
        report.problems.push(Problem {
            seq: 0,
            what: "no public key given: checkpoint signatures were not checked".into(),
        });
    }
    report.unanchored_entries = tree.size() - last_good.unwrap_or(0);
    report
}

/// Verifies an exported JSON Lines log against checkpoints.
///
/// # Errors
/// I/O errors reading the export (malformed lines are reported as problems).
pub fn verify_jsonl(
    input: impl std::io::BufRead,
    checkpoints: &[crate::checkpoint::Checkpoint],
    key: Option<&ed25519_dalek::VerifyingKey>,
) -> crate::Result<VerifyReport> {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line.map_err(|source| crate::Error::Io {
            path: "export".into(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(v) => {
                let seq = v
                    .get("seq")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0);
                // Re-encoding through a Value sorts keys: the canonical bytes the node hashed.
                rows.push((seq, serde_json::to_vec(&v).unwrap_or_default(), None, None));
            }
            Err(e) => bad.push(Problem {
                seq: 0,
                what: format!("line {} is not JSON: {e}", i + 1),
            }),
        }
    }
    let mut report = verify_rows(rows.into_iter(), checkpoints, key);
    report.problems.extend(bad);
    Ok(report)
}

/// Incremental verifier fed rows in sequence order.
#[derive(Debug)]
pub(crate) struct ChainVerifier {
    expected_seq: u64,
    prev: [u8; 32],
    pub(crate) report: VerifyReport,
}

impl ChainVerifier {
    pub(crate) fn new() -> Self {
        ChainVerifier {
            expected_seq: 1,
            prev: [0; 32],
            report: VerifyReport {
                entries: 0,
                head: hex::encode([0u8; 32]),
                root: String::new(),
                checkpoints: Vec::new(),
                unanchored_entries: 0,
                problems: Vec::new(),
            },
        }
    }

    fn problem(&mut self, seq: u64, what: String) {
        self.report.problems.push(Problem { seq, what });
    }

    /// Checks one row: its sequence, leaf hash and chain hash (when stored); returns the
    /// recomputed leaf hash.
    pub(crate) fn check(
        &mut self,
        seq: u64,
        body: &[u8],
        leaf: Option<&[u8]>,
        chain: Option<&[u8]>,
    ) -> [u8; 32] {
        if seq != self.expected_seq {
            let what = if seq > self.expected_seq {
                format!("entries {} to {} are missing", self.expected_seq, seq - 1)
            } else {
                format!(
                    "entry {seq} is out of order (expected {})",
                    self.expected_seq
                )
            };
            self.problem(self.expected_seq, what);
        }
        let computed_leaf = leaf_hash(body);
        if leaf.is_some_and(|l| l != computed_leaf) {
            self.problem(
                seq,
                "content does not match its leaf hash (entry altered)".into(),
            );
        }
        #[derive(serde::Deserialize)]
        struct SeqOnly {
            seq: Option<u64>,
        }
        // Deserialising only `seq` skips building a JSON tree for every entry.
        match serde_json::from_slice::<SeqOnly>(body) {
            Ok(decoded) if decoded.seq != Some(seq) => {
                self.problem(
                    seq,
                    "sequence number inside the entry differs from its position".into(),
                );
            }
            Ok(_) => {}
            Err(_) => self.problem(seq, "content is not valid JSON".into()),
        }
        let computed_chain = chain_hash(&self.prev, &computed_leaf);
        if chain.is_some_and(|c| c != computed_chain) {
            self.problem(seq, "chain hash does not follow from the previous entry (entry altered, removed or reordered)".into());
        }
        self.prev = computed_chain;
        self.expected_seq = self.expected_seq.max(seq) + 1;
        self.report.entries += 1;
        self.report.head = hex::encode(computed_chain);
        computed_leaf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden vectors: changing the hashing breaks every stored log, so pin it.
    #[test]
    fn test_hash_golden_vectors() {
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        let l = leaf_hash(b"{\"seq\":1}");
        let c = chain_hash(&[0; 32], &l);
        assert_eq!(
            hex::encode(l),
            "b119a77a4864308c481efb947ff723d6bd4ea1e7fab902eb8ca98bd759e46aee"
        );
        assert_eq!(
            hex::encode(c),
            "cec66e55a7a5f630d6185cf10c549676e6b6d29423d54a160cf56efab3c2b85c"
        );
    }
}

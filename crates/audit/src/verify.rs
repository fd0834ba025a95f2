//! Hashing and chain verification. Pure functions over entries; the log feeds them rows.

use crate::layout::Hash;
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

/// One row to verify: `(seq, canonical body, stored leaf hash, stored chain hash)`; the stored
/// hashes are absent for exported logs.
pub type VerifyRow = (u64, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// Verifies rows `(seq, canonical body, stored leaf hash, stored chain hash)` in order — stored
/// hashes are absent for exported logs — and then each checkpoint against the recomputed tree.
pub fn verify_rows(
    rows: impl Iterator<Item = VerifyRow>,
    checkpoints: &[crate::checkpoint::Checkpoint],
    key: Option<&ed25519_dalek::VerifyingKey>,
) -> VerifyReport {
    verify_rows_from(&VerifiedPrefix::empty(), rows, checkpoints, key).0
}

/// What is known after verifying entries `1..=size`: enough to verify entries `size + 1..`
/// later without reading the earlier ones again ("verified up to `size`").
///
/// It holds the chain hash of entry `size`, the RFC 6962 compact range of the first `size`
/// leaves (one subtree root per set bit of `size`, largest first; its fold is the tree root) and
/// the largest size a valid checkpoint committed to. Its serde form is JSON with hex hashes, so
/// a caller can keep it between runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "PrefixForm", into = "PrefixForm")]
pub struct VerifiedPrefix {
    size: u64,
    head: Hash,
    frontier: Vec<Hash>,
    anchored: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PrefixForm {
    size: u64,
    head: String,
    frontier: Vec<String>,
    anchored: u64,
}

impl From<VerifiedPrefix> for PrefixForm {
    fn from(p: VerifiedPrefix) -> Self {
        PrefixForm {
            size: p.size,
            head: hex::encode(p.head),
            frontier: p.frontier.iter().map(hex::encode).collect(),
            anchored: p.anchored,
        }
    }
}

impl TryFrom<PrefixForm> for VerifiedPrefix {
    type Error = String;
    fn try_from(f: PrefixForm) -> Result<Self, String> {
        let hash = |s: &str| -> Result<Hash, String> {
            hex::decode(s)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| format!("`{s}` is not a 32-byte hex hash"))
        };
        let frontier = f
            .frontier
            .iter()
            .map(|h| hash(h))
            .collect::<Result<Vec<_>, _>>()?;
        if frontier.len() != f.size.count_ones() as usize || f.anchored > f.size {
            return Err(format!(
                "a verified prefix of size {} needs {} frontier hashes and at most {} anchored entries",
                f.size,
                f.size.count_ones(),
                f.size
            ));
        }
        Ok(VerifiedPrefix {
            size: f.size,
            head: hash(&f.head)?,
            frontier,
            anchored: f.anchored,
        })
    }
}

impl VerifiedPrefix {
    /// The state before the first entry: nothing verified.
    pub fn empty() -> Self {
        VerifiedPrefix {
            size: 0,
            head: [0; 32],
            frontier: Vec::new(),
            anchored: 0,
        }
    }

    /// Returns how many entries (from 1) are verified.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Returns the chain hash of entry `size` (32 zero bytes when empty).
    pub fn head(&self) -> Hash {
        self.head
    }

    /// Returns the largest size a verified checkpoint committed to.
    pub fn anchored(&self) -> u64 {
        self.anchored
    }

    /// Returns the Merkle root over entries `1..=size`.
    pub fn root(&self) -> Hash {
        let mut it = self.frontier.iter().rev();
        let Some(last) = it.next() else {
            return crate::layout::empty_root();
        };
        it.fold(*last, |acc, left| crate::layout::node_hash(left, &acc))
    }

    fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut n = self.size;
        while n & 1 == 1 {
            // Each set low bit is a complete subtree of the same height to merge with.
            let left = self.frontier.pop().unwrap_or_default();
            h = crate::layout::node_hash(&left, &h);
            n >>= 1;
        }
        self.frontier.push(h);
        self.size += 1;
        debug_assert_eq!(self.frontier.len(), self.size.count_ones() as usize);
    }
}

/// Verifies entries after a verified prefix: rows `(seq, body, stored leaf, stored chain)` must
/// continue it (first `seq` = `prefix.size() + 1`, chain from `prefix.head()`), and every
/// checkpoint of size `>= prefix.size()` is checked against the roots recomputed on the way
/// (smaller ones were checked when the prefix was built and are skipped). Returns the report
/// over the whole log so far (`entries`, `root` and `head` cover `1..=M`) and the prefix to
/// resume from next time: the advanced one when the report is clean, else `prefix` unchanged.
///
/// With [`VerifiedPrefix::empty`] this is the full verification [`verify_rows`] does. It trusts
/// that entries `1..=prefix.size()` are unchanged since they were verified: callers re-check
/// that the stored state at `prefix.size()` still matches (see `AuditLog::verify_since`) and
/// run a full verification now and then.
pub fn verify_rows_from(
    prefix: &VerifiedPrefix,
    rows: impl Iterator<Item = VerifyRow>,
    checkpoints: &[crate::checkpoint::Checkpoint],
    key: Option<&ed25519_dalek::VerifyingKey>,
) -> (VerifyReport, VerifiedPrefix) {
    let mut sorted: Vec<&crate::checkpoint::Checkpoint> = checkpoints
        .iter()
        .filter(|c| c.size >= prefix.size)
        .collect();
    sorted.sort_by_key(|c| (c.size, c.time));
    let wanted: std::collections::BTreeSet<u64> = sorted.iter().map(|c| c.size).collect();
    let mut roots = std::collections::BTreeMap::new();
    let mut state = prefix.clone();
    if wanted.contains(&state.size) {
        roots.insert(state.size, state.root());
    }
    let mut v = ChainVerifier::resume(prefix);
    for (seq, body, leaf, chain) in rows {
        state.push(v.check(seq, &body, leaf.as_deref(), chain.as_deref()));
        if wanted.contains(&state.size) {
            roots.insert(state.size, state.root());
        }
    }
    state.head = v.prev;
    let mut report = v.report;
    report.entries = state.size;
    report.root = hex::encode(state.root());
    let mut last_good: Option<u64> = (prefix.anchored > 0).then_some(prefix.anchored);
    for cp in sorted {
        let what = if key.is_some_and(|k| !cp.verify_signature(k)) {
            Some("signature does not verify with the node's public key (checkpoint forged or altered)".to_owned())
        } else if cp.size > state.size {
            Some(format!(
                "commits to {} entries but the log holds {}: entries {} to {} were removed",
                cp.size,
                state.size,
                state.size + 1,
                cp.size
            ))
        } else if roots.get(&cp.size).map(hex::encode).as_deref() != Some(cp.root.as_str()) {
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
            time: if cp.is_note_only() {
                "C2SP note, no signed time".to_owned()
            } else {
                cp.time.to_rfc3339()
            },
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
    state.anchored = last_good.unwrap_or(0);
    report.unanchored_entries = state.size - state.anchored;
    let next = if report.is_ok() {
        state
    } else {
        prefix.clone()
    };
    (report, next)
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
        let line = match line {
            Ok(l) => l,
            // A line that is not UTF-8 is bad input, not an unusable directory (found by the
            // audit_jsonl fuzz harness; regression test in tests/fuzz_audit.rs).
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                bad.push(Problem {
                    seq: 0,
                    what: format!("line {} is not UTF-8 text", i + 1),
                });
                continue;
            }
            Err(source) => {
                return Err(crate::Error::Io {
                    path: "export".into(),
                    source,
                });
            }
        };
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
    pub(crate) fn resume(prefix: &VerifiedPrefix) -> Self {
        ChainVerifier {
            expected_seq: prefix.size + 1,
            prev: prefix.head,
            report: VerifyReport {
                entries: 0,
                head: hex::encode(prefix.head),
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
        // Saturating: an export line may claim `seq` = u64::MAX (found by the audit_jsonl fuzz
        // harness, issue 15; regression test in tests/fuzz_audit.rs).
        self.expected_seq = self.expected_seq.max(seq).saturating_add(1);
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

    fn rows(range: std::ops::Range<u64>) -> Vec<VerifyRow> {
        range
            .map(|seq| (seq, format!("{{\"seq\":{seq}}}").into_bytes(), None, None))
            .collect()
    }

    proptest::proptest! {
        /// Verifying up to k and then resuming gives the full verification's report.
        #[test]
        fn test_resumed_verification_equals_full(n in 0u64..40, k in 0u64..40, cps in proptest::collection::vec(0u64..45, 0..4)) {
            let k = k.min(n);
            let key = crate::checkpoint::NodeKey::from_secret_bytes(&[21; 32]);
            let mut tree = crate::layout::Tree::new();
            for (_, body, _, _) in rows(1..n + 1) {
                tree.push(leaf_hash(&body));
            }
            let time = chrono::DateTime::UNIX_EPOCH;
            // Checkpoints beyond the log carry a made-up root: they must fail either way.
            let checkpoints: Vec<_> = cps
                .iter()
                .map(|&s| key.sign("o", s, &tree.root(s).unwrap_or([5; 32]), time).unwrap())
                .collect();
            let full = verify_rows(rows(1..n + 1).into_iter(), &checkpoints, Some(&key.public()));
            let early: Vec<_> = checkpoints.iter().filter(|c| c.size <= k).cloned().collect();
            let (first, prefix) = verify_rows_from(&VerifiedPrefix::empty(), rows(1..k + 1).into_iter(), &early, Some(&key.public()));
            let (resumed, next) = verify_rows_from(&prefix, rows(k + 1..n + 1).into_iter(), &checkpoints, Some(&key.public()));
            proptest::prop_assert_eq!(&resumed.root, &full.root);
            proptest::prop_assert_eq!(&resumed.head, &full.head);
            proptest::prop_assert_eq!(resumed.entries, full.entries);
            proptest::prop_assert_eq!(resumed.is_ok(), full.is_ok());
            if first.is_ok() && full.is_ok() {
                proptest::prop_assert_eq!(resumed.unanchored_entries, full.unanchored_entries);
                proptest::prop_assert_eq!(next.size(), n);
                proptest::prop_assert_eq!(hex::encode(next.root()), full.root.clone());
            }
        }
    }
}

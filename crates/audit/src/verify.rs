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
    /// The entry's sequence number (or the expected one, for a gap).
    pub seq: u64,
    /// What is wrong, in a sentence.
    pub what: String,
}

/// The result of verifying a log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Hex chain hash of the last entry (the log's head).
    pub head: String,
    /// Everything found wrong; empty when the log verifies.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Tells whether the log verified.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
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
                problems: Vec::new(),
            },
        }
    }

    fn problem(&mut self, seq: u64, what: String) {
        self.report.problems.push(Problem { seq, what });
    }

    /// Checks one stored row: its sequence, leaf hash and chain hash.
    pub(crate) fn check(&mut self, seq: u64, body: &[u8], leaf: &[u8], chain: &[u8]) {
        if seq != self.expected_seq {
            let what = if seq > self.expected_seq {
                format!("entries {} to {} are missing", self.expected_seq, seq - 1)
            } else {
                format!("entry {seq} is out of order")
            };
            self.problem(self.expected_seq, what);
        }
        let computed_leaf = leaf_hash(body);
        if leaf != computed_leaf {
            self.problem(
                seq,
                "content does not match its leaf hash (entry altered)".into(),
            );
        }
        if let Ok(decoded) = serde_json::from_slice::<serde_json::Value>(body) {
            if decoded.get("seq").and_then(|s| s.as_u64()) != Some(seq) {
                self.problem(
                    seq,
                    "sequence number inside the entry differs from its position".into(),
                );
            }
        } else {
            self.problem(seq, "content is not valid JSON".into());
        }
        let computed_chain = chain_hash(&self.prev, &computed_leaf);
        if chain != computed_chain {
            self.problem(seq, "chain hash does not follow from the previous entry (entry altered, removed or reordered)".into());
        }
        self.prev = computed_chain;
        self.expected_seq = seq + 1;
        self.report.entries += 1;
        self.report.head = hex::encode(computed_chain);
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

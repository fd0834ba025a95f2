//! RFC 6962 / 9162 Merkle tree maths: pure functions, no I/O.
//!
//! Leaves are hashed `SHA-256(0x00 || data)`, interior nodes `SHA-256(0x01 || left || right)`.
//! The tree over `n` leaves splits at the largest power of two below `n`. [`Tree`] keeps every
//! complete aligned subtree's hash (level `k` holds subtrees of `2^k` leaves), so a root, an
//! inclusion proof or a consistency proof costs O(log² n) hash look-ups and combinations.

use sha2::{Digest, Sha256};

/// A 32-byte hash.
pub type Hash = [u8; 32];

/// Interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The hash of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Largest power of two strictly less than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// An append-only Merkle tree over leaf hashes.
#[derive(Debug, Default, Clone)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// Creates an empty tree.
    pub fn new() -> Self {
        Tree {
            levels: vec![Vec::new()],
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash, completing every subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let l = &self.levels[level];
            let parent = node_hash(&l[l.len() - 2], &l[l.len() - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// Returns leaf `i`'s hash.
    pub fn leaf(&self, i: u64) -> Option<Hash> {
        self.levels.first()?.get(usize::try_from(i).ok()?).copied()
    }

    /// MTH of leaves `[lo, hi)`, where `lo` is aligned to the subtree being built (always the
    /// case in the RFC recursions, which only ever split at powers of two from an aligned start).
    fn range(&self, lo: u64, hi: u64) -> Hash {
        let n = hi - lo;
        if n == 0 {
            return empty_root();
        }
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            let k = n.trailing_zeros() as usize;
            return self.levels[k][(lo / n) as usize];
        }
        let k = split(n);
        node_hash(&self.range(lo, lo + k), &self.range(lo + k, hi))
    }

    /// Root of the tree of the first `size` leaves.
    ///
    /// # Panics
    /// Never for `size <= self.size()`; larger sizes return `None`.
    pub fn root(&self, size: u64) -> Option<Hash> {
        (size <= self.size()).then(|| self.range(0, size))
    }

    /// Inclusion proof of leaf `index` in the tree of `size` leaves (RFC 6962 §2.1.1 PATH).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.size() {
            return None;
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out);
        Some(out)
    }

    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) {
        let n = hi - lo;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, lo, lo + k, out);
            out.push(self.range(lo + k, hi));
        } else {
            self.path(m - k, lo + k, hi, out);
            out.push(self.range(lo, lo + k));
        }
    }

    /// Consistency proof between the trees of `old` and `new` leaves (RFC 6962 §2.1.2 PROOF).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        if old > new || new > self.size() {
            return None;
        }
        let mut out = Vec::new();
        if old > 0 && old < new {
            self.subproof(old, 0, new, true, &mut out);
        }
        Some(out)
    }

    fn subproof(&self, m: u64, lo: u64, hi: u64, complete: bool, out: &mut Vec<Hash>) {
        let n = hi - lo;
        if m == n {
            if !complete {
                out.push(self.range(lo, hi));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, lo, lo + k, complete, out);
            out.push(self.range(lo + k, hi));
        } else {
            self.subproof(m - k, lo + k, hi, false, out);
            out.push(self.range(lo, lo + k));
        }
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    fr == *old_root && sr == *new_root && s_n == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::leaf_hash;
    use proptest::prelude::*;

    /// RFC 6962 MTH written out directly, to check the tree against.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn tree(n: u64) -> (Tree, Vec<Hash>) {
        let mut t = Tree::new();
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for l in &leaves {
            t.push(*l);
        }
        (t, leaves)
    }

    /// Golden vectors: the root over leaves "", "a", "b" (an RFC 6962 three-leaf tree).
    #[test]
    fn test_root_golden_vector() {
        let mut t = Tree::new();
        for d in [&b""[..], b"a", b"b"] {
            t.push(leaf_hash(d));
        }
        assert_eq!(
            hex::encode(t.root(0).unwrap()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex::encode(t.root(1).unwrap()),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(hex::encode(t.root(3).unwrap()), GOLDEN_3);
    }

    // Computed independently: python3 -c "import hashlib; H=lambda b: hashlib.sha256(b).digest(); L=[H(b'\\x00'+d) for d in [b'',b'a',b'b']]; print(H(b'\\x01'+H(b'\\x01'+L[0]+L[1])+L[2]).hex())"
    const GOLDEN_3: &str = "652297b9504045a600942bcdf9ae5c2400be42d51139c7fb63ab3ee439ff110d";

    proptest! {
        #[test]
        fn test_roots_match_reference(n in 0u64..200) {
            let (t, leaves) = tree(n);
            for s in 0..=n {
                prop_assert_eq!(t.root(s).unwrap(), mth(&leaves[..s as usize]));
            }
        }

        #[test]
        fn test_inclusion_proofs_verify(n in 1u64..200, seed in 0u64..10_000) {
            let (t, leaves) = tree(n);
            let size = 1 + seed % n;
            let index = seed % size;
            let proof = t.inclusion_proof(index, size).unwrap();
            let root = t.root(size).unwrap();
            prop_assert!(verify_inclusion(&leaves[index as usize], index, size, &proof, &root));
            let wrong = leaf_hash(b"not a leaf");
            prop_assert!(!verify_inclusion(&wrong, index, size, &proof, &root));
        }

        #[test]
        fn test_consistency_proofs_verify(n in 1u64..200, seed in 0u64..10_000) {
            let (t, _) = tree(n);
            let new = 1 + seed % n;
            let old = seed % (new + 1);
            let proof = t.consistency_proof(old, new).unwrap();
            let (ro, rn) = (t.root(old).unwrap(), t.root(new).unwrap());
            prop_assert!(verify_consistency(old, new, &ro, &rn, &proof));
            if old > 0 && old < new {
                prop_assert!(!verify_consistency(old, new, &leaf_hash(b"x"), &rn, &proof));
            }
        }
    }
}

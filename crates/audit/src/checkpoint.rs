//! Signed checkpoints: (tree size, root hash) signed with the node's Ed25519 key, in two forms.
//!
//! - The **C2SP `tlog-checkpoint` note** ([`CheckpointNote`], <https://c2sp.org/tlog-checkpoint>):
//!   origin, tree size and base64 root hash, signed as a C2SP signed note ([`crate::note`]) under
//!   the key name = origin. Standard witnesses and verifiers can check and cosign it.
//! - The **JSON view** ([`Checkpoint`]), kept because every stored log, golden file and API
//!   client reads it. It carries the note (field `note`) and, as before, a signature over
//!   the legacy body, which also commits to the signing time:
//!
//! ```text
//! sightline-audit/<origin>
//! <tree size>
//! <root hash, base64>
//! <time, RFC 3339>
//! ```
//!
//! Checkpoints written before the note existed have no `note` field and verify as before.
//! Anyone holding a checkpoint and the node's public key can later check that the log still
//! contains exactly the entries the checkpoint committed to.

use crate::note::{NoteVerifier, SignedNote, sign_note};
use crate::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// A signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Checkpoint {
    /// The log's name (the node's origin).
    pub origin: String,
    /// Entries committed to.
    pub size: u64,
    /// Root hash of the tree of those entries, hex.
    pub root: String,
    /// When it was signed.
    pub time: DateTime<Utc>,
    /// First 8 hex digits of SHA-256 of the public key.
    pub key_id: String,
    /// Ed25519 signature over [`Checkpoint::body`], base64.
    pub signature: String,
    /// The same (origin, size, root) as a C2SP `tlog-checkpoint` signed note; absent in
    /// checkpoints signed before the note form existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Checkpoint {
    /// The signed text.
    pub fn body(&self) -> Result<String> {
        let root = hex::decode(&self.root).map_err(|e| Error::Corrupt {
            seq: self.size,
            why: format!("checkpoint root: {e}"),
        })?;
        Ok(format!(
            "sightline-audit/{}\n{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(root),
            self.time.to_rfc3339_opts(SecondsFormat::Micros, true)
        ))
    }

    /// Reads a C2SP `tlog-checkpoint` signed note (as served at `/api/v1/audit/checkpoint/note`)
    /// into the JSON view, without checking its signature: [`Checkpoint::verify_signature`]
    /// checks the note under the key named after its origin. Such a checkpoint has no legacy
    /// signature (`signature` is empty) and no signed time (`time` is the Unix epoch): the note
    /// commits to (origin, size, root), which is all the log's verification needs.
    ///
    /// # Errors
    /// `Note` naming what is malformed.
    pub fn from_note(note: &str) -> Result<Self> {
        let n = SignedNote::parse(note)?;
        let body = CheckpointNote::parse_text(&n.text)?;
        Ok(Checkpoint {
            origin: body.origin,
            size: body.size,
            root: hex::encode(body.root),
            time: DateTime::<Utc>::UNIX_EPOCH,
            key_id: String::new(),
            signature: String::new(),
            note: Some(note.to_owned()),
        })
    }

    /// Tells whether this checkpoint was read from a bare C2SP note ([`Checkpoint::from_note`]).
    pub fn is_note_only(&self) -> bool {
        self.signature.is_empty() && self.note.is_some()
    }

    /// Checks the signature against a public key, and the note when there is one: it must
    /// verify under the key named after the origin and commit to the same size and root. A
    /// checkpoint read from a bare note ([`Checkpoint::from_note`]) is checked by its note alone.
    pub fn verify_signature(&self, key: &VerifyingKey) -> bool {
        if self.is_note_only() {
            return self.note_matches(key);
        }
        let Ok(body) = self.body() else { return false };
        let Ok(sig) = B64.decode(&self.signature) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(&sig) else {
            return false;
        };
        if key.verify(body.as_bytes(), &sig).is_err() {
            return false;
        }
        self.note.is_none() || self.note_matches(key)
    }

    /// Tells whether the note verifies under the key named after the origin and commits to
    /// this checkpoint's size and root.
    fn note_matches(&self, key: &VerifyingKey) -> bool {
        let Some(note) = &self.note else { return false };
        let Ok(verifier) = NoteVerifier::new(&self.origin, *key) else {
            return false;
        };
        open_checkpoint(note, &verifier).is_ok_and(|cp| {
            cp.origin == self.origin && cp.size == self.size && hex::encode(cp.root) == self.root
        })
    }
}

/// A C2SP `tlog-checkpoint` body: origin, tree size, root hash, and (not recommended, never
/// written by Sightline) extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointNote {
    /// The log's identity; also the key name of its signature.
    pub origin: String,
    /// Entries committed to.
    pub size: u64,
    /// RFC 6962 root hash of the tree of those entries.
    pub root: [u8; 32],
    /// Opaque extension lines, each non-empty.
    pub extensions: Vec<String>,
}

impl CheckpointNote {
    /// Returns the note text: `<origin>\n<size>\n<base64 root>\n` and any extension lines.
    pub fn text(&self) -> String {
        let mut t = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            t.push_str(e);
            t.push('\n');
        }
        t
    }

    /// Parses a checkpoint's note text (the part a signed note signs).
    ///
    /// # Errors
    /// `Note` naming the line that is malformed.
    pub fn parse_text(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::Note(format!("checkpoint {why}"));
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("text must end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(bad("origin (line 1) is empty"));
        }
        let size = lines
            .next()
            .filter(|s| {
                !s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && (*s == "0" || !s.starts_with('0'))
            })
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| {
                bad("tree size (line 2) must be a decimal number without leading zeros")
            })?;
        let root: [u8; 32] = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("root hash (line 3) must be 32 bytes of base64"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("extension lines must not be empty"));
        }
        Ok(CheckpointNote {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

/// Parses a C2SP checkpoint note, verifies it with `verifier` and returns its body.
///
/// # Errors
/// `Note` when the note is malformed, not signed by the verifier's key, its signature does not
/// verify, or its body is not a checkpoint.
pub fn open_checkpoint(note: &str, verifier: &NoteVerifier) -> Result<CheckpointNote> {
    let n = SignedNote::parse(note)?;
    n.verify(verifier)?;
    CheckpointNote::parse_text(&n.text)
}

/// Returns the short id of a public key.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..4])
}

/// The node's signing key.
#[derive(Debug)]
pub struct NodeKey {
    signing: SigningKey,
}

impl NodeKey {
    /// Loads `audit-signing.key` from `dir`, creating it (mode 0600) on first use.
    ///
    /// # Errors
    /// When the file cannot be read, written, or is malformed.
    pub fn load_or_create(dir: &Path) -> Result<Self> {
        let path = dir.join("audit-signing.key");
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(io)?;
            let bytes: [u8; 32] = hex::decode(text.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::Corrupt {
                    seq: 0,
                    why: format!("{} is not a 32-byte hex key", path.display()),
                })?;
            return Ok(NodeKey {
                signing: SigningKey::from_bytes(&bytes),
            });
        }
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, hex::encode(signing.to_bytes())).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(NodeKey { signing })
    }

    /// Builds a key from its 32 secret bytes (test vectors, golden logs).
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Self {
        NodeKey {
            signing: SigningKey::from_bytes(secret),
        }
    }

    /// The public key.
    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// Returns the C2SP note verifier of this key under `name` (the log's origin).
    ///
    /// # Errors
    /// `Note` when `name` is not a valid key name.
    pub fn note_verifier(&self, name: &str) -> Result<NoteVerifier> {
        NoteVerifier::new(name, self.public())
    }

    /// Signs a C2SP `tlog-checkpoint` note for (size, root) under the key name `origin`.
    ///
    /// # Errors
    /// `Note` when `origin` is not a valid key name (empty, spaces, `+`, control characters).
    pub fn sign_note(&self, origin: &str, size: u64, root: &[u8; 32]) -> Result<String> {
        let body = CheckpointNote {
            origin: origin.to_owned(),
            size,
            root: *root,
            extensions: Vec::new(),
        };
        sign_note(&body.text(), origin, &self.signing)
    }

    /// Signs a checkpoint for (size, root) at `time`: the JSON view with its legacy signature
    /// and the C2SP note.
    ///
    /// # Errors
    /// `Note` when `origin` is not a valid key name.
    pub fn sign(
        &self,
        origin: &str,
        size: u64,
        root: &[u8; 32],
        time: DateTime<Utc>,
    ) -> Result<Checkpoint> {
        let mut cp = Checkpoint {
            origin: origin.to_owned(),
            size,
            root: hex::encode(root),
            time,
            key_id: key_id(&self.public()),
            signature: String::new(),
            note: Some(self.sign_note(origin, size, root)?),
        };
        let sig = self.signing.sign(cp.body()?.as_bytes());
        cp.signature = B64.encode(sig.to_bytes());
        Ok(cp)
    }
}

/// Parses a hex public key.
///
/// # Errors
/// When it is not 32 bytes of hex or not a valid point.
pub fn parse_public_key(hex_key: &str) -> Result<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(hex_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Corrupt {
            seq: 0,
            why: "public key must be 64 hex digits".into(),
        })?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| Error::Corrupt {
        seq: 0,
        why: format!("public key: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_a_bare_note_verifies_by_its_signature_alone() {
        let key = NodeKey::from_secret_bytes(&[9; 32]);
        let cp = key.sign("node-1", 10, &[7; 32], Utc::now()).unwrap();
        let note = cp.note.clone().unwrap();
        let bare = Checkpoint::from_note(&note).unwrap();
        assert!(bare.is_note_only());
        assert_eq!(
            (bare.size, &bare.root, &bare.origin),
            (10, &cp.root, &cp.origin)
        );
        assert!(bare.verify_signature(&key.public()));
        let other = NodeKey::from_secret_bytes(&[8; 32]);
        assert!(!bare.verify_signature(&other.public()));
        // One changed byte of the root line: the signature no longer verifies.
        let root_line = note.lines().nth(2).unwrap();
        let flipped = if root_line.starts_with('A') { "B" } else { "A" };
        let edited = note.replacen(root_line, &format!("{flipped}{}", &root_line[1..]), 1);
        let bad = Checkpoint::from_note(&edited).unwrap();
        assert!(!bad.verify_signature(&key.public()));
        // A legacy JSON checkpoint stripped of its signature and its note does not verify.
        let mut stripped = cp.clone();
        stripped.signature.clear();
        stripped.note = None;
        assert!(!stripped.verify_signature(&key.public()));
        assert!(Checkpoint::from_note("not a note").is_err());
    }

    #[test]
    fn test_sign_verify_and_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let key = NodeKey::load_or_create(dir.path()).unwrap();
        let again = NodeKey::load_or_create(dir.path()).unwrap();
        assert_eq!(key.public(), again.public(), "the key persists");
        let cp = key.sign("node-1", 10, &[7; 32], Utc::now()).unwrap();
        assert!(cp.verify_signature(&key.public()));
        let mut bad = cp.clone();
        bad.size = 9;
        assert!(!bad.verify_signature(&key.public()));
        let other = NodeKey::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert!(!cp.verify_signature(&other.public()));
        assert_eq!(
            parse_public_key(&hex::encode(key.public().as_bytes())).unwrap(),
            key.public()
        );
    }

    fn fixed_time() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678901Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Test vector: the note for a fixed key, origin, size and root. Ed25519 is deterministic,
    /// so any change to the note's text or signature encoding breaks this pin.
    #[test]
    fn test_checkpoint_note_vector() {
        let key = NodeKey::from_secret_bytes(&[1; 32]);
        let note = key
            .sign_note("sightline.example/node-1", 3, &[7; 32])
            .unwrap();
        assert_eq!(note, NOTE_VECTOR);
        let v = key.note_verifier("sightline.example/node-1").unwrap();
        assert_eq!(v.to_string(), VKEY_VECTOR);
        let v = NoteVerifier::parse(VKEY_VECTOR).unwrap();
        let cp = open_checkpoint(NOTE_VECTOR, &v).unwrap();
        assert_eq!(
            (cp.origin.as_str(), cp.size, cp.root, cp.extensions.len()),
            ("sightline.example/node-1", 3, [7; 32], 0)
        );
    }

    const NOTE_VECTOR: &str = "sightline.example/node-1\n3\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} sightline.example/node-1 TfALfdjc5LuJtXTc1ZftuwozHFTSf98pAnopjP7uktFFHHVZi0m78rydvxp6ZtagLhJxio2VfCCqG8xayEmbfTZgKwI=\n";
    const VKEY_VECTOR: &str =
        "sightline.example/node-1+4df00b7d+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c";

    #[test]
    fn test_c2sp_spec_example_parses() {
        // The example of c2sp.org/tlog-checkpoint (its key is not published: parse only).
        let note = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        let n = SignedNote::parse(note).unwrap();
        assert_eq!(n.signatures[0].name, "example.com/behind-the-sofa");
        assert_eq!(n.signatures[0].signature.len(), 64);
        let cp = CheckpointNote::parse_text(&n.text).unwrap();
        assert_eq!(
            (cp.origin.as_str(), cp.size),
            ("example.com/behind-the-sofa", 20852163)
        );
        assert_eq!(cp.text(), n.text, "text round-trips");
        let other = NodeKey::from_secret_bytes(&[2; 32]);
        let e = open_checkpoint(
            note,
            &other.note_verifier("example.com/behind-the-sofa").unwrap(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("not signed by key"), "{e}");
    }

    #[test]
    fn test_checkpoint_text_rejects_malformed_bodies() {
        let root = B64.encode([0u8; 32]);
        for (text, why) in [
            ("o\n1\n".to_owned(), "root hash"),
            (format!("\n1\n{root}\n"), "origin"),
            (format!("o\n01\n{root}\n"), "leading zeros"),
            (format!("o\n-1\n{root}\n"), "tree size"),
            (format!("o\n99999999999999999999\n{root}\n"), "tree size"),
            (format!("o\n1\n{root}"), "newline"),
            ("o\n1\nAAAA\n".to_owned(), "32 bytes"),
            (format!("o\n1\n{root}\n\nx\n"), "extension"),
        ] {
            let e = CheckpointNote::parse_text(&text).unwrap_err().to_string();
            assert!(e.contains(why), "{text:?}: {e}");
        }
        let cp = CheckpointNote::parse_text(&format!("o\n0\n{root}\next 1\n")).unwrap();
        assert_eq!((cp.size, cp.extensions), (0, vec!["ext 1".to_owned()]));
    }

    #[test]
    fn test_new_checkpoints_carry_a_matching_note() {
        let key = NodeKey::from_secret_bytes(&[3; 32]);
        let cp = key
            .sign("sightline-node-1", 5, &[9; 32], fixed_time())
            .unwrap();
        let note = cp.note.clone().unwrap();
        let body = open_checkpoint(&note, &key.note_verifier("sightline-node-1").unwrap()).unwrap();
        assert_eq!((body.size, hex::encode(body.root)), (5, cp.root.clone()));
        assert!(cp.verify_signature(&key.public()));
        // A note that commits to something else than the JSON view fails the checkpoint.
        let mut swapped = cp.clone();
        swapped.note = Some(key.sign_note("sightline-node-1", 6, &[9; 32]).unwrap());
        assert!(!swapped.verify_signature(&key.public()));
        let mut forged = cp.clone();
        forged.note = Some(
            NodeKey::from_secret_bytes(&[4; 32])
                .sign_note("sightline-node-1", 5, &[9; 32])
                .unwrap(),
        );
        assert!(!forged.verify_signature(&key.public()));
        assert!(key.sign("bad origin", 1, &[0; 32], fixed_time()).is_err());
        let json = serde_json::to_value(&cp).unwrap();
        assert!(
            json["note"]
                .as_str()
                .unwrap()
                .contains("\n\n\u{2014} sightline-node-1 ")
        );
    }

    /// A checkpoint in the JSON form written before the note existed (no `note` field) still
    /// parses and verifies.
    #[test]
    fn test_old_format_checkpoint_still_verifies() {
        let key = NodeKey::from_secret_bytes(&[5; 32]);
        let cp: Checkpoint = serde_json::from_str(OLD_FORMAT).unwrap();
        assert!(cp.note.is_none());
        assert!(cp.verify_signature(&key.public()));
        let mut altered = cp.clone();
        altered.root = hex::encode([8u8; 32]);
        assert!(!altered.verify_signature(&key.public()));
        assert_eq!(
            serde_json::to_value(&cp).unwrap(),
            serde_json::from_str::<serde_json::Value>(OLD_FORMAT).unwrap(),
            "an old checkpoint re-serialises unchanged"
        );
    }

    /// Written by the JSON-only code (before the note): key `[5; 32]`, size 12, root `06…06`.
    const OLD_FORMAT: &str = r#"{
  "origin": "sightline-node-0a1b2c3d",
  "size": 12,
  "root": "0606060606060606060606060606060606060606060606060606060606060606",
  "time": "2026-01-02T03:04:05.678901Z",
  "key_id": "7599776c",
  "signature": "grtejAwhq4c2edG27PsGYILQwcvonaeJZ+UqE/94rd37u/dGyd7BE+dW0ZJ/gwXZ0T89iSdDqk+M7+bTXWGCAw=="
}"#;
}

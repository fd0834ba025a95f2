//! Signed checkpoints: (tree size, root hash, time) signed with the node's Ed25519 key.
//!
//! The signed body is a small text, in the spirit of C2SP signed notes:
//!
//! ```text
//! sightline-audit/<origin>
//! <tree size>
//! <root hash, base64>
//! <time, RFC 3339>
//! ```
//!
//! Anyone holding a checkpoint and the node's public key can later check that the log still
//! contains exactly the entries the checkpoint committed to.

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

    /// Checks the signature against a public key.
    pub fn verify_signature(&self, key: &VerifyingKey) -> bool {
        let Ok(body) = self.body() else { return false };
        let Ok(sig) = B64.decode(&self.signature) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(&sig) else {
            return false;
        };
        key.verify(body.as_bytes(), &sig).is_ok()
    }
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

    /// The public key.
    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// Signs a checkpoint for (size, root) at `time`.
    ///
    /// # Errors
    /// Never in practice (the body is built from valid parts).
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
}

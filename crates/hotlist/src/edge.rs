//! Hit-only mode (the German model): the camera never sends a read that matches no hot list.
//!
//! The node gives each hit-only camera the hot lists that apply to it as **keyed hashes** —
//! `HMAC-SHA256(k, plate)` and `HMAC-SHA256(k, "~" + canonical key)` — under a per-camera key `k`
//! that rotates every day (`k = HMAC-SHA256(node secret, "sightline-edge-v1" ‖ camera ‖ day)`). The
//! camera hashes each plate it reads the same way and sends only matches. Without the day's key
//! the hashes reveal nothing about which plates are listed, and last week's copy is useless.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sightline_types::canonical_plate;
use std::collections::HashSet;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// Derives a camera's key for a day from the node's edge secret.
pub fn camera_key(node_secret: &[u8], camera_id: i64, day: i64) -> [u8; 32] {
    mac(
        node_secret,
        &[
            b"sightline-edge-v1",
            &camera_id.to_be_bytes(),
            &day.to_be_bytes(),
        ],
    )
}

/// Hex HMAC of a normalised plate.
pub fn plate_hash(key: &[u8], plate: &str) -> String {
    hex::encode(mac(key, &[plate.as_bytes()]))
}

/// Hex HMAC of a plate's OCR-canonical key (prefixed so it never collides with a plate hash).
pub fn canonical_hash(key: &[u8], plate: &str) -> String {
    hex::encode(mac(key, &[b"~", canonical_plate(plate).as_bytes()]))
}

/// What a hit-only camera downloads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EdgeList {
    /// The camera.
    pub camera_id: i64,
    /// Day number (days since 1970-01-01 UTC) the key belongs to.
    pub day: i64,
    /// The day's key, hex (delivered only to the authenticated camera).
    pub key: String,
    /// Hashes of listed plates.
    pub plates: Vec<String>,
    /// Hashes of listed plates' canonical keys (fuzzy matching).
    pub canonical: Vec<String>,
}

/// The camera-side matcher.
#[derive(Debug, Clone)]
pub struct EdgeMatcher {
    key: Vec<u8>,
    plates: HashSet<String>,
    canonical: HashSet<String>,
}

impl EdgeMatcher {
    /// Builds the matcher from a downloaded list.
    ///
    /// # Errors
    /// When the key is not hex.
    pub fn new(list: &EdgeList) -> Result<Self, hex::FromHexError> {
        Ok(EdgeMatcher {
            key: hex::decode(&list.key)?,
            plates: list.plates.iter().cloned().collect(),
            canonical: list.canonical.iter().cloned().collect(),
        })
    }

    /// `Some(false)` for an exact hit, `Some(true)` for a fuzzy one, `None` for a non-hit (which the
    /// camera must not send).
    pub fn check(&self, normalised_plate: &str) -> Option<bool> {
        if self
            .plates
            .contains(&plate_hash(&self.key, normalised_plate))
        {
            Some(false)
        } else if self
            .canonical
            .contains(&canonical_hash(&self.key, normalised_plate))
        {
            Some(true)
        } else {
            None
        }
    }
}

/// Signs a webhook body: `sha256=` + hex `HMAC-SHA256(secret, body)`, sent as
/// `X-Sightline-Signature` so the receiver can check the alert came from the node.
pub fn sign_webhook(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(secret, &[body])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_keys_rotate_and_matcher_finds_only_listed_plates() {
        let secret = b"node secret";
        let k1 = camera_key(secret, 7, 20_000);
        assert_ne!(k1, camera_key(secret, 7, 20_001), "daily rotation");
        assert_ne!(k1, camera_key(secret, 8, 20_000), "per camera");
        let list = EdgeList {
            camera_id: 7,
            day: 20_000,
            key: hex::encode(k1),
            plates: vec![plate_hash(&k1, "ABC123")],
            canonical: vec![canonical_hash(&k1, "ABC123")],
        };
        let m = EdgeMatcher::new(&list).unwrap();
        assert_eq!(m.check("ABC123"), Some(false));
        assert_eq!(m.check("A8C123"), Some(true));
        assert_eq!(m.check("XYZ999"), None);
        assert!(
            !list.plates[0].contains("ABC"),
            "the list does not reveal plates"
        );
    }
}

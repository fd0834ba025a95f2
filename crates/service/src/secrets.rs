//! Secrets: argon2id passwords and random bearer secrets stored only as SHA-256 hex.
//!
//! Secrets are 256 random bits, shown once. User API tokens start with `slu_`, camera device keys
//! with `slc_`, so a leaked secret is recognisable.

use crate::error::Error;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sightline_types::ErrorCode;

/// Prefix of user API tokens.
pub const USER_TOKEN_PREFIX: &str = "slu_";
/// Prefix of camera device keys.
pub const CAMERA_KEY_PREFIX: &str = "slc_";

/// Creates a new random secret with a prefix.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Hashes a bearer secret for storage and lookup.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Hashes a password with argon2id (slow by design; call off the async runtime).
///
/// # Errors
/// Only on an internal argon2 failure.
pub fn hash_password(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| Error::new(ErrorCode::Internal, "password hashing failed"))
}

/// Checks a password against a stored argon2 hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Checks a new password's strength.
///
/// # Errors
/// A 400 naming the rule.
pub fn check_password_policy(password: &str) -> Result<(), Error> {
    if password.chars().count() < 12 {
        return Err(Error::bad_request(
            "password must be at least 12 characters",
        ));
    }
    Ok(())
}

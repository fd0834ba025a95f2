//! Authentication: argon2id passwords, random bearer tokens stored hashed, camera device keys.
//!
//! Secrets are 256 random bits, shown once, and stored only as SHA-256 hex. User API tokens start
//! with `slu_`, camera device keys with `slc_`, so a leaked secret is recognisable. Deny by
//! default: every API route except health, metrics, the OpenAPI document, the purpose list and
//! login needs one of the extractors below.

use crate::AppState;
use crate::error::ApiError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sightline_search::Principal;
use sightline_store::TokenKind;
use sightline_types::{Camera, ErrorCode, Role};

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
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| ApiError::new(ErrorCode::Internal, "password hashing failed"))
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
pub fn check_password_policy(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 12 {
        return Err(ApiError::bad_request(
            "password must be at least 12 characters",
        ));
    }
    Ok(())
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let unauth = |m: &str| ApiError::new(ErrorCode::Unauthenticated, m);
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| unauth("missing Authorization: Bearer header"))?
        .to_str()
        .map_err(|_| unauth("Authorization header is not ASCII"))?;
    value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| unauth("Authorization header must be `Bearer <token>`"))
}

async fn resolve(state: &AppState, parts: &Parts) -> Result<TokenKind, ApiError> {
    let hash = hash_secret(bearer(parts)?);
    let now = state.clock.now();
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.resolve_token(&hash, now))
        .await??
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "token is unknown, revoked or expired",
            )
        })
}

/// An authenticated user.
#[derive(Debug, Clone)]
pub struct UserAuth(pub Principal);

impl UserAuth {
    /// Requires one of the given roles (node operators pass every check).
    ///
    /// # Errors
    /// 403 naming the roles.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.0.user.node_operator || roles.contains(&self.0.user.role) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.code()).collect();
            Err(ApiError::forbidden(format!(
                "this needs the role {}",
                names.join(" or ")
            )))
        }
    }
}

impl FromRequestParts<AppState> for UserAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match resolve(state, parts).await? {
            TokenKind::User(user) => {
                let agency = state.store.agency(&user.agency)?;
                Ok(UserAuth(Principal { user, agency }))
            }
            TokenKind::Camera(_) => Err(ApiError::forbidden(
                "a camera key cannot be used as a user token",
            )),
        }
    }
}

/// An authenticated camera.
#[derive(Debug, Clone)]
pub struct CameraAuth(pub Camera);

impl FromRequestParts<AppState> for CameraAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match resolve(state, parts).await? {
            TokenKind::Camera(c) => Ok(CameraAuth(c)),
            TokenKind::User(_) => Err(ApiError::forbidden(
                "reads must be sent with a camera device key",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_password_roundtrip_and_secret_shape() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        let s = new_secret(USER_TOKEN_PREFIX);
        assert_eq!(s.len(), 4 + 64);
        assert_ne!(hash_secret(&s), s);
    }
}

//! Authentication: argon2id passwords, random bearer tokens stored hashed, camera device keys.
//!
//! Secrets are 256 random bits, shown once, and stored only as SHA-256 hex. User API tokens start
//! with `slu_`, camera device keys with `slc_`, so a leaked secret is recognisable. Deny by
//! default: every API route except health, metrics, the OpenAPI document, the purpose list and
//! login needs one of the extractors below.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sightline_search::Principal;
use sightline_service::Caller;
use sightline_store::TokenKind;
use sightline_types::{Camera, ErrorCode};

pub use sightline_service::secrets::*;

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
    let node = state.clone();
    tokio::task::spawn_blocking(move || node.authenticate(&hash))
        .await??
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "token is unknown, revoked or expired",
            )
        })
}

/// An authenticated user whose account is usable (not disabled, no password change pending).
#[derive(Debug, Clone)]
pub struct UserAuth(pub Principal);

impl UserAuth {
    /// The caller for the service layer (which checks every permission).
    pub fn caller(&self) -> Caller {
        Caller::User(self.0.clone())
    }
}

/// An authenticated user, even one who must still change their password (only `/me` and the
/// password change take this).
#[derive(Debug, Clone)]
pub struct AnyUser(pub Principal);

impl AnyUser {
    /// The caller for the service layer.
    pub fn caller(&self) -> Caller {
        Caller::User(self.0.clone())
    }
}

async fn principal(state: &AppState, parts: &Parts) -> Result<Principal, ApiError> {
    match resolve(state, parts).await? {
        TokenKind::User(user) => {
            let agency = state.store.agency(&user.agency)?;
            Ok(Principal { user, agency })
        }
        TokenKind::Camera(_) => Err(ApiError::forbidden(
            "a camera key cannot be used as a user token",
        )),
    }
}

impl FromRequestParts<AppState> for AnyUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(AnyUser(principal(state, parts).await?))
    }
}

impl FromRequestParts<AppState> for UserAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let p = principal(state, parts).await?;
        if p.user.must_change_password {
            return Err(ApiError::forbidden(
                "choose a new password first (POST /api/v1/me/password)",
            ));
        }
        Ok(UserAuth(p))
    }
}

/// The client's address, when the server knows it (used by the sign-in limiter).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
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

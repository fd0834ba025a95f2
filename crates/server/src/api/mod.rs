//! The JSON API under `/api/v1/`.

pub mod audit;
pub mod directory;
pub mod governance;
pub mod hotlists;
pub mod meta;
pub mod passkeys;
pub mod reads;
pub mod saved;
pub mod searches;
pub mod security;
pub mod transparency;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::extract::rejection::BytesRejection;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use sightline_types::ErrorCode;

/// All API routes (from the route table in [`crate::routes`]) and the JSON 404.
pub fn routes() -> Router<AppState> {
    crate::routes::api_router().fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "no such route; see /api/v1/openapi.json",
    )
}

/// Parses a JSON body into `T`, turning every failure (too large, not JSON, wrong shape) into the
/// API's error shape with a message that names the problem.
///
/// # Errors
/// 413 for an oversized body, 400 otherwise.
pub fn parse_json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body_bytes(body)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// Unwraps a body, mapping the size-limit rejection to 413.
///
/// # Errors
/// 413 for an oversized body, 400 for an unreadable one.
pub fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|r| {
        if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
        } else {
            ApiError::bad_request(format!("unreadable request body: {r}"))
        }
    })
}

/// A rejected path or query string in the API's error shape: 400 naming the problem (axum's own
/// rejections answer plain text, which the OpenAPI document does not promise).
fn rejected(status: axum::http::StatusCode, what: &str, text: String) -> ApiError {
    if status.is_client_error() {
        ApiError::bad_request(format!("invalid {what}: {text}"))
    } else {
        tracing::error!(%status, %text, "{what} extraction failed");
        ApiError::new(ErrorCode::Internal, "internal error")
    }
}

/// `axum::extract::Path` whose rejection is the API's JSON error (400).
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|r| rejected(r.status(), "path", r.body_text()))
    }
}

/// `axum::extract::Query` whose rejection is the API's JSON error (400).
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|r| rejected(r.status(), "query string", r.body_text()))
    }
}

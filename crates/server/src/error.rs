//! One error shape for every API response, and the one mapping from [`ErrorCode`] to status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sightline_types::ErrorCode;

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
    /// Extra structured details (e.g. the audit entry of a refused search).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    /// Class.
    pub code: ErrorCode,
    /// Message.
    pub message: String,
    /// Details.
    pub details: serde_json::Value,
}

impl ApiError {
    /// Creates an error without details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: serde_json::Value::Null,
        }
    }

    /// Adds details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
}

/// Maps an error class to its HTTP status: the only such table.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        if status.is_server_error() {
            tracing::warn!(code = self.code.as_str(), message = %self.message, "request failed");
        }
        (
            status,
            Json(ErrorBody {
                code: self.code,
                message: self.message,
                details: self.details,
            }),
        )
            .into_response()
    }
}

macro_rules! from_crate_error {
    ($($t:ty),+) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                let code = e.code();
                // Server-side failures keep their cause in the log, not in the response.
                if matches!(code, ErrorCode::Unavailable | ErrorCode::Internal) {
                    tracing::error!(error = ?e, "dependency failure");
                }
                ApiError::new(code, e.to_string())
            }
        }
    )+};
}

from_crate_error!(
    sightline_store::Error,
    sightline_audit::Error,
    sightline_ingest::Error,
    sightline_types::Error,
    sightline_hotlist::Error
);

impl From<sightline_search::Error> for ApiError {
    fn from(e: sightline_search::Error) -> Self {
        let code = e.code();
        let seq = e.audit_seq();
        if matches!(code, ErrorCode::Unavailable | ErrorCode::Internal) {
            tracing::error!(error = ?e, "search failed");
        }
        let err = ApiError::new(code, e.to_string());
        match seq {
            Some(s) => err.with_details(serde_json::json!({ "audit_seq": s })),
            None => err,
        }
    }
}

impl From<sightline_service::Error> for ApiError {
    fn from(e: sightline_service::Error) -> Self {
        let code = e.code();
        // Server-side failures keep their cause in the log, not in the response.
        if e.is_server_side() {
            tracing::error!(error = ?e, "service failure");
        }
        let details = e.details();
        ApiError::new(code, e.to_string()).with_details(details)
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        tracing::error!(error = %e, "blocking task failed");
        ApiError::new(ErrorCode::Internal, "internal error")
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

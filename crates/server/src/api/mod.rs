//! The JSON API under `/api/v1/`.

pub mod audit;
pub mod directory;
pub mod governance;
pub mod hotlists;
pub mod meta;
pub mod reads;
pub mod searches;
pub mod transparency;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use sightline_types::ErrorCode;

/// All API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(meta::metrics))
        .route("/api/v1/openapi.json", get(meta::openapi))
        .route("/api/v1/purposes", get(meta::purposes))
        .route("/api/v1/login", post(directory::login))
        .route("/api/v1/logout", post(directory::logout))
        .route("/api/v1/me", get(directory::me))
        .route(
            "/api/v1/agencies",
            get(directory::list_agencies).post(directory::create_agency),
        )
        .route(
            "/api/v1/users",
            get(directory::list_users).post(directory::create_user),
        )
        .route(
            "/api/v1/cameras",
            get(directory::list_cameras).post(directory::create_camera),
        )
        .route(
            "/api/v1/sharing-agreements",
            get(directory::list_agreements).post(directory::create_agreement),
        )
        .route(
            "/api/v1/declarations",
            get(directory::list_declarations).post(directory::create_declaration),
        )
        .route("/api/v1/reads", post(reads::post_reads))
        .route("/api/v1/compat/openalpr", post(reads::post_openalpr))
        .route("/api/v1/searches", post(searches::post_search))
        .route(
            "/api/v1/legal-holds",
            get(governance::list_holds).post(governance::create_hold),
        )
        .route(
            "/api/v1/legal-holds/{id}/release",
            post(governance::release_hold),
        )
        .route("/api/v1/policy/packs", get(governance::list_packs))
        .route(
            "/api/v1/agency-policy",
            axum::routing::put(governance::put_agency_policy),
        )
        .route(
            "/api/v1/hotlists",
            get(hotlists::list).post(hotlists::create),
        )
        .route(
            "/api/v1/hotlists/{id}/entries",
            get(hotlists::entries).post(hotlists::put_entries),
        )
        .route("/api/v1/hotlists/{id}/import", post(hotlists::import))
        .route("/api/v1/edge/hotlist", get(hotlists::edge))
        .route("/api/v1/webhooks", post(hotlists::add_webhook))
        .route("/api/v1/alerts", get(hotlists::recent))
        .route("/api/v1/alerts/stream", get(hotlists::stream))
        .route("/api/v1/alerts/{id}/ack", post(hotlists::ack))
        .route("/api/v1/transparency", get(transparency::all))
        .route("/api/v1/transparency/{agency}", get(transparency::one))
        .route(
            "/api/v1/transparency-note",
            axum::routing::put(transparency::set_note),
        )
        .route("/transparency", get(transparency::page_all))
        .route("/transparency/{agency}", get(transparency::page_one))
        .route("/api/v1/oversight/report", get(transparency::oversight))
        .route("/api/v1/audit/entries", get(audit::list_entries))
        .route("/api/v1/audit/verify", get(audit::verify))
        .route(
            "/api/v1/audit/checkpoint",
            get(audit::latest_checkpoint).post(audit::publish_checkpoint),
        )
        .route("/api/v1/audit/proof/inclusion", get(audit::inclusion))
        .route("/api/v1/audit/proof/consistency", get(audit::consistency))
        .route("/api/v1/audit/export", get(audit::export))
        .fallback(not_found)
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

//! Camera ingest: native batches and OpenALPR webhooks.

use super::{body_bytes, parse_json};
use crate::AppState;
use crate::auth::CameraAuth;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde::Deserialize;
use sightline_ingest::IngestReport;
use sightline_types::{Camera, NewRead};

/// Body of `POST /api/v1/reads`: `{"reads": [...]}` (a bare array is accepted too).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ReadBatch {
    /// `{"reads": [...]}`.
    Wrapped {
        /// The reads.
        reads: Vec<NewRead>,
    },
    /// `[...]`.
    Bare(Vec<NewRead>),
}

async fn ingest(
    node: &AppState,
    camera: &Camera,
    reads: Vec<NewRead>,
) -> ApiResult<(StatusCode, Json<IngestReport>)> {
    let report = node.ingest_and_match(camera, reads).await?;
    tracing::debug!(
        camera = camera.id.0,
        accepted = report.accepted,
        rejected = report.rejected,
        "ingest batch"
    );
    // 422 only when nothing in the batch was usable, so a client cannot miss a total failure.
    let status = if report.rejected == report.results.len() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}

/// Stores a batch of reads from the authenticated camera. Each read gets its own result; bad reads
/// never cost good ones their place, and re-sent ids are reported as duplicates.
#[utoipa::path(post, path = "/api/v1/reads", tag = "ingest", request_body = ReadBatch,
    security(("camera_key" = [])),
    responses((status = 200, body = IngestReport), (status = 422, body = IngestReport, description = "every read rejected"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody)))]
pub async fn post_reads(
    State(node): State<AppState>,
    CameraAuth(camera): CameraAuth,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<IngestReport>)> {
    let reads = match parse_json::<ReadBatch>(body)? {
        ReadBatch::Wrapped { reads } | ReadBatch::Bare(reads) => reads,
    };
    ingest(&node, &camera, reads).await
}

/// Accepts an OpenALPR / Rekor agent webhook (`alpr_group`, `alpr_results`, `heartbeat`).
#[utoipa::path(post, path = "/api/v1/compat/openalpr", tag = "ingest",
    security(("camera_key" = [])),
    responses((status = 200, body = IngestReport), (status = 400, body = crate::error::ErrorBody)))]
pub async fn post_openalpr(
    State(node): State<AppState>,
    CameraAuth(camera): CameraAuth,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<IngestReport>)> {
    let bytes = body_bytes(body)?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    let reads = sightline_ingest::openalpr::to_reads(&value)?;
    if reads.is_empty() {
        return Ok((
            StatusCode::OK,
            Json(IngestReport {
                accepted: 0,
                duplicates: 0,
                rejected: 0,
                results: Vec::new(),
            }),
        ));
    }
    ingest(&node, &camera, reads).await
}

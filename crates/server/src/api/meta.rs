//! Health, metrics, the OpenAPI document and the purpose taxonomy.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use sightline_types::Purpose;

/// Health answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// Audit entries so far.
    pub audit_entries: u64,
    /// Distinct plates stored.
    pub distinct_plates: usize,
}

/// Liveness and a few counts.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, body = Health)))]
pub async fn healthz(State(node): State<AppState>) -> Json<Health> {
    // A failing retention run means reads outlive the owner's law: say so.
    let degraded = node
        .retention_failing
        .load(std::sync::atomic::Ordering::Relaxed);
    Json(Health {
        status: if degraded { "degraded" } else { "ok" },
        audit_entries: node.audit.len(),
        distinct_plates: node.store.distinct_plates(),
    })
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", tag = "meta", responses((status = 200, description = "OpenMetrics text")))]
pub async fn metrics(State(node): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        node.metrics.render(),
    )
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI document")))]
pub async fn openapi() -> impl IntoResponse {
    Json(crate::openapi::document())
}

/// One purpose of the taxonomy.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PurposeInfo {
    /// Code to send.
    pub code: &'static str,
    /// English label.
    pub label: &'static str,
    /// NIBRS offence code, for offence categories.
    pub nibrs: Option<&'static str>,
}

/// The purpose taxonomy.
#[utoipa::path(get, path = "/api/v1/purposes", tag = "search", responses((status = 200, body = [PurposeInfo])))]
pub async fn purposes() -> Json<Vec<PurposeInfo>> {
    Json(
        Purpose::ALL
            .iter()
            .map(|p| PurposeInfo {
                code: p.code(),
                label: p.label(),
                nibrs: p.nibrs(),
            })
            .collect(),
    )
}

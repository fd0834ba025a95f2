//! Public transparency reports (JSON; the HTML pages with charts are in
//! `web/transparency_charts.rs`), and the oversight report over the node's own log.

use super::parse_json;
use super::{Path, Query};
use crate::AppState;
use crate::auth::UserAuth;
use crate::error::ApiResult;
use crate::transparency::AgencyReport;
use crate::transparency_node::NodeReport;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use sightline_types::AgencyId;

/// Transparency figures of every agency on the node (public).
#[utoipa::path(get, path = "/api/v1/transparency", tag = "transparency", responses((status = 200, body = [AgencyReport])))]
pub async fn all(State(node): State<AppState>) -> ApiResult<Json<Vec<AgencyReport>>> {
    Ok(Json(
        tokio::task::spawn_blocking(move || node.transparency_all()).await??,
    ))
}

/// One agency's transparency figures (public).
#[utoipa::path(get, path = "/api/v1/transparency/{agency}", tag = "transparency", params(("agency" = String, Path, description = "agency id")),
    responses((status = 200, body = AgencyReport), (status = 404, body = crate::error::ErrorBody)))]
pub async fn one(
    State(node): State<AppState>,
    Path(agency): Path<String>,
) -> ApiResult<Json<AgencyReport>> {
    let id = AgencyId::parse(&agency)?;
    Ok(Json(
        tokio::task::spawn_blocking(move || node.transparency(&id)).await??,
    ))
}

/// The whole node's figures: its agencies' reports added up, reads held against retention per
/// owner, and which agency's searches asked for which owner's data (public).
#[utoipa::path(get, path = "/api/v1/transparency-summary", tag = "transparency", responses((status = 200, body = NodeReport)))]
pub async fn summary(State(node): State<AppState>) -> ApiResult<Json<NodeReport>> {
    Ok(Json(
        tokio::task::spawn_blocking(move || node.transparency_summary()).await??,
    ))
}

/// Body of `PUT /api/v1/transparency-note`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// The agency's text, published beside (never instead of) the computed figures.
    pub note: String,
}

/// Sets the caller's agency's note (admins; audited).
#[utoipa::path(put, path = "/api/v1/transparency-note", tag = "transparency", request_body = Note, security(("user_token" = [])),
    responses((status = 200, body = u64, content_type = "application/json", description = "audit sequence number")))]
pub async fn set_note(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<u64>> {
    let req: Note = parse_json(body)?;
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || node.set_transparency_note(&caller, &req.note))
            .await??,
    ))
}

/// Query of the oversight report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OversightQuery {
    /// Retention the data was supposed to have, days (default 30).
    #[serde(default)]
    pub retention_days: Option<f64>,
    /// `json` (default) or `html`.
    #[serde(default)]
    pub format: Option<String>,
}

/// The oversight analysis over this node's own log: entries by or about the caller's agency (all
/// entries for the node operator). Auditors and admins.
#[utoipa::path(get, path = "/api/v1/oversight/report", tag = "audit", params(OversightQuery), security(("user_token" = [])),
    responses((status = 200, description = "oversight report (JSON or HTML)")))]
pub async fn oversight(
    State(node): State<AppState>,
    auth: UserAuth,
    Query(q): Query<OversightQuery>,
) -> ApiResult<Response> {
    let caller = auth.caller();
    let retention = q.retention_days.unwrap_or(30.0);
    let report =
        tokio::task::spawn_blocking(move || node.oversight_report(&caller, retention)).await??;
    Ok(match q.format.as_deref() {
        Some("html") => Html(sightline_oversight::html::render(
            &report,
            "Oversight report: this node's audit log",
        ))
        .into_response(),
        _ => Json(report).into_response(),
    })
}

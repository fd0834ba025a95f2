//! Legal holds, agency policy and law packs.

use super::Path;
use super::parse_json;
use crate::AppState;
use crate::admin::Audited;
use crate::auth::UserAuth;
use crate::error::ApiResult;
use crate::governance::{AgencyPolicyText, CreateHold};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde::Serialize;
use sightline_store::LegalHold;

type Body = Result<Bytes, BytesRejection>;

/// Lists the caller's agency's legal holds (open and released).
#[utoipa::path(get, path = "/api/v1/legal-holds", tag = "governance", security(("user_token" = [])), responses((status = 200, body = [LegalHold])))]
pub async fn list_holds(
    State(node): State<AppState>,
    auth: UserAuth,
) -> ApiResult<Json<Vec<LegalHold>>> {
    Ok(Json(node.list_holds(&auth.caller(), true)?))
}

/// Keeps the caller's agency's reads of a plate in a window past retention while a case is open.
#[utoipa::path(post, path = "/api/v1/legal-holds", tag = "governance", request_body = CreateHold, security(("user_token" = [])),
    responses((status = 201, body = Audited<LegalHold>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_hold(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<Audited<LegalHold>>)> {
    let req: CreateHold = parse_json(body)?;
    let caller = auth.caller();
    let out = tokio::task::spawn_blocking(move || node.create_hold(&caller, &req)).await??;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Releases a legal hold; its reads fall under retention again.
#[utoipa::path(post, path = "/api/v1/legal-holds/{id}/release", tag = "governance", params(("id" = i64, Path, description = "hold id")),
    security(("user_token" = [])), responses((status = 200, body = Audited<LegalHold>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn release_hold(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Audited<LegalHold>>> {
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || node.release_hold(&caller, id)).await??,
    ))
}

/// A law pack as loaded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PackView {
    /// Id.
    pub id: String,
    /// Title and statute.
    pub title: String,
    /// Jurisdictions governed.
    pub applies_to: Vec<String>,
    /// Applies only where no other pack does.
    pub fallback: bool,
    /// Non-hit retention, minutes.
    pub retention_minutes: i64,
    /// For private operators, minutes.
    pub private_retention_minutes: Option<i64>,
    /// Items not yet verified against the primary source.
    pub unverified: Vec<String>,
}

/// Lists the law packs in force.
#[utoipa::path(get, path = "/api/v1/policy/packs", tag = "governance", responses((status = 200, body = [PackView])))]
pub async fn list_packs(State(node): State<AppState>) -> Json<Vec<PackView>> {
    let engine = node.policy.read().unwrap_or_else(|e| e.into_inner());
    Json(
        engine
            .packs()
            .iter()
            .map(|p| PackView {
                id: p.manifest.id.clone(),
                title: p.manifest.title.clone(),
                applies_to: p.manifest.applies_to.clone(),
                fallback: p.manifest.fallback,
                retention_minutes: p.retention_minutes,
                private_retention_minutes: p.private_retention_minutes,
                unverified: p.manifest.unverified.clone(),
            })
            .collect(),
    )
}

/// Replaces the caller's agency policy (forbid rules only; validated before it takes effect).
#[utoipa::path(put, path = "/api/v1/agency-policy", tag = "governance", request_body = AgencyPolicyText, security(("user_token" = [])),
    responses((status = 200, body = u64, content_type = "application/json", description = "audit sequence number"), (status = 400, body = crate::error::ErrorBody)))]
pub async fn put_agency_policy(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<Json<u64>> {
    let req: AgencyPolicyText = parse_json(body)?;
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || node.set_agency_policy(&caller, &req.cedar)).await??,
    ))
}

//! Saved searches: an officer's own searches, kept to run again (each run a new audited search).

use super::Path;
use super::parse_json;
use crate::AppState;
use crate::admin::Audited;
use crate::auth::UserAuth;
use crate::error::ApiResult;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use sightline_types::{SavedSearch, SavedSearchSpec, SearchResponse};

/// Lists the caller's own saved searches, newest first (nobody else's, even in the same agency).
#[utoipa::path(get, path = "/api/v1/saved-searches", tag = "search", security(("user_token" = [])),
    responses((status = 200, body = [SavedSearch]), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(node): State<AppState>,
    auth: UserAuth,
) -> ApiResult<Json<Vec<SavedSearch>>> {
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || node.saved_searches(&caller)).await??,
    ))
}

/// Saves a search (purpose and case number included) for the caller; audited before it is kept.
#[utoipa::path(post, path = "/api/v1/saved-searches", tag = "search", request_body = SavedSearchSpec,
    security(("user_token" = [])),
    responses((status = 201, body = Audited<SavedSearch>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "too many saved searches"),
        (status = 413, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody, description = "audit log unavailable: not saved")))]
pub async fn create(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Audited<SavedSearch>>)> {
    let spec: SavedSearchSpec = parse_json(body)?;
    let caller = auth.caller();
    let out = tokio::task::spawn_blocking(move || node.save_search(&caller, &spec)).await??;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Deletes a saved search: the caller's own, or (a supervisor) one of an officer of the
/// caller's agency; anyone else gets 404. Audited (`saved_search.delete`) before it is removed.
#[utoipa::path(delete, path = "/api/v1/saved-searches/{id}", tag = "search",
    params(("id" = i64, Path, description = "saved search id")), security(("user_token" = [])),
    responses((status = 200, body = super::directory::Done),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody, description = "no such saved search the caller may delete"),
        (status = 503, body = crate::error::ErrorBody, description = "audit log unavailable: not deleted")))]
pub async fn delete(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<super::directory::Done>> {
    let caller = auth.caller();
    let seq = tokio::task::spawn_blocking(move || node.delete_saved_search(&caller, id)).await??;
    Ok(Json(super::directory::Done { audit_seq: seq }))
}

/// Runs one of the caller's saved searches again over its last hours up to now: a new search,
/// checked against every data owner's law and audited as its own `search` entry.
#[utoipa::path(post, path = "/api/v1/saved-searches/{id}/run", tag = "search",
    params(("id" = i64, Path, description = "saved search id")), security(("user_token" = [])),
    responses((status = 200, body = SearchResponse),
        (status = 400, body = crate::error::ErrorBody, description = "invalid request (audited)"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody, description = "no such saved search of the caller's"),
        (status = 503, body = crate::error::ErrorBody, description = "audit log unavailable: no results")))]
pub async fn run(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<SearchResponse>> {
    let caller = auth.caller();
    let n = node.clone();
    let out = tokio::task::spawn_blocking(move || n.run_saved_search(&caller, id, false)).await;
    node.wake_watch();
    Ok(Json(out??.1))
}

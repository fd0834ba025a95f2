//! Hot lists and alerts.

use super::{Path, Query};
use super::{body_bytes, parse_json};
use crate::AppState;
use crate::admin::Audited;
use crate::auth::UserAuth;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sightline_hotlist::{Category, Hit, HotEntry, HotList, HotlistStore, ImportMode};
use sightline_types::AgencyId;
use std::convert::Infallible;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

type Body = Result<Bytes, BytesRejection>;

/// Body of `POST /api/v1/hotlists`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateList {
    /// Name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Source (`custom`, `NCIC`, …).
    #[serde(default)]
    pub source: Option<String>,
    /// Agencies whose cameras the list should also run on.
    #[serde(default)]
    pub shared_with: Vec<String>,
}

/// One entry to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// Plate.
    pub plate: String,
    /// Issuing region.
    #[serde(default)]
    pub region: Option<String>,
    /// Why it is listed.
    pub reason: String,
    /// Legal basis.
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// Expiry.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Body of `POST /api/v1/hotlists/{id}/entries`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutEntries {
    /// Entries.
    pub entries: Vec<NewEntry>,
    /// `merge` (default) or `replace` (atomic).
    #[serde(default)]
    pub mode: Option<String>,
}

fn mode(m: Option<&str>) -> ApiResult<ImportMode> {
    match m.unwrap_or("merge") {
        "merge" => Ok(ImportMode::Merge),
        "replace" => Ok(ImportMode::Replace),
        other => Err(ApiError::bad_request(format!(
            "mode must be merge or replace, not `{other}`"
        ))),
    }
}

/// Creates a hot list for the caller's agency; the agency's law decides whether the category may
/// be used (refusals name the statute and are audited).
#[utoipa::path(post, path = "/api/v1/hotlists", tag = "hotlists", request_body = CreateList, security(("user_token" = [])),
    responses((status = 201, body = Audited<HotList>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn create(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<Audited<HotList>>)> {
    let req: CreateList = parse_json(body)?;
    let shared = req
        .shared_with
        .iter()
        .map(|s| AgencyId::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let caller = auth.caller();
    let out = tokio::task::spawn_blocking(move || {
        node.create_hotlist(
            &caller,
            &req.name,
            req.category,
            req.source.as_deref().unwrap_or("custom"),
            &shared,
        )
    })
    .await??;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Lists the hot lists owned by or shared with the caller's agency.
#[utoipa::path(get, path = "/api/v1/hotlists", tag = "hotlists", security(("user_token" = [])), responses((status = 200, body = [HotList])))]
pub async fn list(State(node): State<AppState>, auth: UserAuth) -> ApiResult<Json<Vec<HotList>>> {
    Ok(Json(node.list_hotlists(&auth.caller())?))
}

/// Entries of one of the caller's agency's lists (a partner whose cameras run a list sees its
/// hits, not its entries).
#[utoipa::path(get, path = "/api/v1/hotlists/{id}/entries", tag = "hotlists", params(("id" = i64, Path, description = "list id")),
    security(("user_token" = [])), responses((status = 200, body = [HotEntry])))]
pub async fn entries(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<HotEntry>>> {
    Ok(Json(node.hotlist_entries(&auth.caller(), id)?))
}

/// Adds entries to (or atomically replaces the entries of) one of the caller's agency's lists.
#[utoipa::path(post, path = "/api/v1/hotlists/{id}/entries", tag = "hotlists", params(("id" = i64, Path, description = "list id")),
    request_body = PutEntries, security(("user_token" = [])), responses((status = 200, body = u64, content_type = "application/json", description = "audit sequence number")))]
pub async fn put_entries(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
    body: Body,
) -> ApiResult<Json<u64>> {
    let req: PutEntries = parse_json(body)?;
    let m = mode(req.mode.as_deref())?;
    let entries = req
        .entries
        .into_iter()
        .map(|e| HotEntry {
            id: 0,
            list_id: id,
            plate: e.plate,
            region: e.region,
            reason: e.reason,
            legal_basis: e.legal_basis,
            added_by: String::new(),
            added_at: Utc::now(),
            expires_at: e.expires_at,
        })
        .collect();
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || node.put_hotlist_entries(&caller, id, entries, m))
            .await??,
    ))
}

/// Query of the CSV import.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `merge` (default) or `replace` (atomic).
    #[serde(default)]
    pub mode: Option<String>,
    /// `csv` (default) or `ncic` (the fixed-width layout in `crates/hotlist/src/ncic.rs`).
    #[serde(default)]
    pub format: Option<String>,
}

/// Imports entries from CSV (`plate,region,reason,legal_basis,expires_at`) or an NCIC-style
/// fixed-width extract into one of the caller's agency's lists; all or nothing.
#[utoipa::path(post, path = "/api/v1/hotlists/{id}/import", tag = "hotlists", params(("id" = i64, Path, description = "list id"), ImportQuery),
    request_body(content = String, content_type = "text/csv"), security(("user_token" = [])), responses((status = 200, body = u64, content_type = "application/json", description = "audit sequence number")))]
pub async fn import(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
    Query(q): Query<ImportQuery>,
    body: Body,
) -> ApiResult<Json<u64>> {
    let m = mode(q.mode.as_deref())?;
    let text = String::from_utf8(body_bytes(body)?.to_vec())
        .map_err(|_| ApiError::bad_request("the CSV must be UTF-8"))?;
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || {
            let by = caller.name();
            let entries = match q.format.as_deref().unwrap_or("csv") {
                "csv" => HotlistStore::parse_csv(&text, &by, node.clock.now())?,
                "ncic" => sightline_hotlist::ncic::parse(&text, &by, node.clock.now())?,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "format must be csv or ncic, not `{other}`"
                    )));
                }
            };
            Ok(node.put_hotlist_entries(&caller, id, entries, m)?)
        })
        .await??,
    ))
}

/// Recent hits for the caller's agency (its lists, its cameras), newest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "hotlists", security(("user_token" = [])), responses((status = 200, body = [Hit])))]
pub async fn recent(State(node): State<AppState>, auth: UserAuth) -> ApiResult<Json<Vec<Hit>>> {
    Ok(Json(node.recent_hits(&auth.caller(), 200)?))
}

/// Live alerts as Server-Sent Events (`event: hit`, data: the hit as JSON) for the caller's agency.
#[utoipa::path(get, path = "/api/v1/alerts/stream", tag = "hotlists", security(("user_token" = [])), responses((status = 200, description = "text/event-stream")))]
pub async fn stream(
    State(node): State<AppState>,
    auth: UserAuth,
) -> ApiResult<Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>>> {
    alert_events(&node, auth.caller())
}

/// The SSE stream of hits a caller may see (its agency's lists' hits and hits on its cameras).
///
/// # Errors
/// 403 without `receive_alerts`.
pub fn alert_events(
    node: &AppState,
    caller: sightline_service::Caller,
) -> ApiResult<Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>> + use<>>> {
    let hits = node.subscribe_alerts(&caller)?;
    let n = node.clone();
    let caller_f = caller.clone();
    let mut stop = node.shutdown.subscribe();
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let events = BroadcastStream::new(hits).filter_map(move |h| {
        let h = h.ok()?;
        n.may_see_hit(&caller, &h).then(|| {
            Ok(Event::default()
                .event("hit")
                .id(h.id.to_string())
                .data(serde_json::to_string(&h).unwrap_or_default()))
        })
    });
    // Supervisors also receive the usage watch's findings here (`event: finding`).
    let events = events.merge(super::security::finding_events(
        node,
        caller_f,
        node.findings_tx.subscribe(),
    ));
    // The stream ends when the node shuts down, so graceful shutdown does not wait for clients.
    Ok(Sse::new(futures_util::StreamExt::take_until(
        events,
        Box::pin(stopped),
    ))
    .keep_alive(KeepAlive::default()))
}

/// Body of an acknowledgement.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    /// `confirmed`, `wrong_state`, `misread` or `dismissed`.
    pub outcome: String,
}

/// Acknowledges a hit (recorded, audited, counted for transparency).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/ack", tag = "hotlists", params(("id" = i64, Path, description = "hit id")), request_body = Ack,
    security(("user_token" = [])), responses((status = 200, body = Hit), (status = 404, body = crate::error::ErrorBody)))]
pub async fn ack(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
    body: Body,
) -> ApiResult<Json<Hit>> {
    let req: Ack = parse_json(body)?;
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || node.acknowledge_hit(&caller, id, &req.outcome))
            .await??,
    ))
}

/// Today's hot list for the authenticated hit-only camera, as keyed hashes with the day's key.
#[utoipa::path(get, path = "/api/v1/edge/hotlist", tag = "hotlists", security(("camera_key" = [])),
    responses((status = 200, body = sightline_hotlist::edge::EdgeList), (status = 403, body = crate::error::ErrorBody)))]
pub async fn edge(
    State(node): State<AppState>,
    crate::auth::CameraAuth(camera): crate::auth::CameraAuth,
) -> ApiResult<Json<sightline_hotlist::edge::EdgeList>> {
    if !node.hotlists.is_hit_only(camera.id.0) {
        return Err(ApiError::forbidden(
            "this camera is not in hit-only mode; it sends all reads and the node matches them",
        ));
    }
    Ok(Json(node.edge_list(&camera)))
}

/// Body of `POST /api/v1/webhooks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `http://host[:port]/path` to POST each hit to.
    pub url: String,
}

/// Registers a webhook for the caller's agency's alerts (admins); the signing secret is returned
/// once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "hotlists", request_body = NewWebhook, security(("user_token" = [])),
    responses((status = 201, body = crate::webhooks::WebhookCreated), (status = 400, body = crate::error::ErrorBody)))]
pub async fn add_webhook(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<crate::webhooks::WebhookCreated>)> {
    let req: NewWebhook = parse_json(body)?;
    let caller = auth.caller();
    let out = tokio::task::spawn_blocking(move || node.add_webhook(&caller, &req.url)).await??;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Body of `PUT /api/v1/hotlists/{id}/sharing`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sharing {
    /// Agencies whose cameras the list should also run on (each only where that agency agreed).
    pub shared_with: Vec<String>,
}

/// Replaces the agencies one of the caller's agency's lists is shared with.
#[utoipa::path(put, path = "/api/v1/hotlists/{id}/sharing", tag = "hotlists", params(("id" = i64, Path, description = "list id")), request_body = Sharing,
    security(("user_token" = [])), responses((status = 200, body = super::directory::Done), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn share(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
    body: Body,
) -> ApiResult<Json<super::directory::Done>> {
    let req: Sharing = parse_json(body)?;
    let with = req
        .shared_with
        .iter()
        .map(|s| AgencyId::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let caller = auth.caller();
    let seq = tokio::task::spawn_blocking(move || node.share_hotlist(&caller, id, &with)).await??;
    Ok(Json(super::directory::Done { audit_seq: seq }))
}

/// Ends one of the caller's agency's lists: it stops matching everywhere at once.
#[utoipa::path(post, path = "/api/v1/hotlists/{id}/end", tag = "hotlists", params(("id" = i64, Path, description = "list id")),
    security(("user_token" = [])), responses((status = 200, body = super::directory::Done), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn end(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<super::directory::Done>> {
    let caller = auth.caller();
    let seq = tokio::task::spawn_blocking(move || node.end_hotlist(&caller, id)).await??;
    Ok(Json(super::directory::Done { audit_seq: seq }))
}

/// Ends one of the caller's agency's webhooks.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/end", tag = "hotlists", params(("id" = i64, Path, description = "webhook id")),
    security(("user_token" = [])), responses((status = 200, body = super::directory::Done), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn end_webhook(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<super::directory::Done>> {
    let caller = auth.caller();
    let seq = tokio::task::spawn_blocking(move || node.end_webhook(&caller, id)).await??;
    Ok(Json(super::directory::Done { audit_seq: seq }))
}

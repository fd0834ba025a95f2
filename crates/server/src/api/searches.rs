//! Plate searches.

use crate::AppState;
use crate::auth::UserAuth;
use crate::error::ApiResult;
use crate::metrics::Metrics;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use sightline_types::{OwnerOutcome, SearchRequest, SearchResponse};
use std::time::Instant;

/// Runs a search. Every data owner's policy is evaluated first; owners that refuse contribute no
/// rows and are listed with the rule and citation. The search — allowed, partial, denied or
/// refused — is written to the audit log before any row is returned.
#[utoipa::path(post, path = "/api/v1/searches", tag = "search", request_body = SearchRequest,
    security(("user_token" = [])),
    responses((status = 200, body = SearchResponse),
        (status = 400, body = crate::error::ErrorBody, description = "invalid request (audited)"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody, description = "audit log unavailable: no results")))]
pub async fn post_search(
    State(node): State<AppState>,
    UserAuth(who): UserAuth,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<SearchResponse>> {
    let started = Instant::now();
    let parsed: Result<SearchRequest, _> = super::parse_json(body);
    let n = node.clone();
    let result = tokio::task::spawn_blocking(move || match parsed {
        Ok(req) => n.searcher.search(&who, req),
        Err(e) => Err(n.searcher.refuse_unparsed(&who, e.message)),
    })
    .await?;
    // The usage watch reads the audited search from the log on its own task.
    node.wake_watch();
    node.metrics
        .search_latency
        .observe(started.elapsed().as_secs_f64());
    match &result {
        Ok(r) => {
            node.metrics.audit_appends.inc();
            let denied = r
                .owners
                .iter()
                .filter(|o| o.outcome == OwnerOutcome::Excluded)
                .count();
            node.metrics.policy_denials.inc_by(denied as u64);
            let outcome = match (denied, r.owners.len()) {
                (0, _) => "allowed",
                (d, n) if d == n => "denied",
                _ => "partial",
            };
            Metrics::count(&node.metrics.searches, outcome, 1);
        }
        Err(e) => {
            if e.audit_seq().is_some() {
                node.metrics.audit_appends.inc();
            }
            Metrics::count(&node.metrics.searches, "refused", 1);
        }
    }
    Ok(Json(result?))
}

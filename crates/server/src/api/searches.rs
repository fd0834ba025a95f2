//! Plate searches.

use crate::AppState;
use crate::auth::UserAuth;
use crate::error::ApiResult;
use crate::metrics::Metrics;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use sightline_types::{
    AnalysisRequest, AnalysisResponse, EvidencePackage, OwnerOutcome, SearchRequest, SearchResponse,
};
use std::time::Instant;

/// Runs a search. Every data owner's policy is evaluated first; owners that refuse contribute no
/// rows and are listed with the rule and citation. The search — allowed, partial, denied or
/// refused — is written to the audit log before any row is returned. Explanations are in English,
/// or in German when the request's `Accept-Language` starts with `de` (the audit log keeps English).
#[utoipa::path(post, path = "/api/v1/searches", tag = "search", request_body = SearchRequest,
    security(("user_token" = [])),
    responses((status = 200, body = SearchResponse),
        (status = 400, body = crate::error::ErrorBody, description = "invalid request (audited)"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody, description = "audit log unavailable: no results")))]
pub async fn post_search(
    State(node): State<AppState>,
    UserAuth(who): UserAuth,
    headers: axum::http::HeaderMap,
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
    let mut r = result?;
    let german = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("de"));
    if german {
        let engine = node.policy.read().unwrap_or_else(|e| e.into_inner());
        for o in &mut r.owners {
            if let Some(de) = engine.explanation_de(&o.rule, &o.explanation) {
                o.explanation = de;
            }
        }
    }
    Ok(Json(r))
}

/// Runs a multi-location or convoy search (investigative analysis). Same path as a plate search:
/// the policy sees the query kind (`multi_location`, `convoy`) and, by default, allows it only
/// for serious crime, under a court order or warrant, over narrow windows; owners that refuse
/// are listed with rule and citation. The audit entry records the warrant and how many
/// uninvolved vehicles the result revealed, before any result is returned.
#[utoipa::path(post, path = "/api/v1/searches/analysis", tag = "search", request_body = AnalysisRequest,
    security(("user_token" = [])),
    responses((status = 200, body = AnalysisResponse),
        (status = 400, body = crate::error::ErrorBody, description = "invalid request or warrant (audited)"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody, description = "audit log unavailable: no results")))]
pub async fn post_analysis(
    State(node): State<AppState>,
    UserAuth(who): UserAuth,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<AnalysisResponse>> {
    let parsed: Result<AnalysisRequest, _> = super::parse_json(body);
    let n = node.clone();
    let result = tokio::task::spawn_blocking(move || match parsed {
        Ok(req) => n.searcher.analyse(&who, req),
        Err(e) => Err(n.searcher.refuse_unparsed(&who, e.message)),
    })
    .await?;
    if result
        .as_ref()
        .map_or_else(|e| e.audit_seq().is_some(), |_| true)
    {
        node.metrics.audit_appends.inc();
    }
    Metrics::count(
        &node.metrics.searches,
        match &result {
            Ok(_) => "analysis",
            Err(_) => "refused",
        },
        1,
    );
    Ok(Json(result?))
}

/// Which search to export.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRequest {
    /// The audit entry of one of the caller's own earlier searches.
    pub search_seq: u64,
}

/// Exports an evidence package of one of the caller's own earlier searches: the search is re-run
/// (audited; policy decides again; reads purged since are listed as purged), the export is
/// audited, and the package carries the reads, plate pictures, camera metadata, request,
/// per-owner decisions, the audit entries with inclusion proofs, the signed checkpoint, a SHA-256
/// manifest and an HTML report. `sightline evidence export` writes it to a directory and
/// `sightline evidence verify` checks it offline.
#[utoipa::path(post, path = "/api/v1/evidence", tag = "search", request_body = EvidenceRequest,
    security(("user_token" = [])),
    responses((status = 200, body = EvidencePackage),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody, description = "not one of the caller's searches"),
        (status = 413, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody, description = "audit log unavailable: nothing exported")))]
pub async fn post_evidence(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<EvidencePackage>> {
    let req: EvidenceRequest = super::parse_json(body)?;
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || node.export_evidence(&caller, req.search_seq))
            .await??,
    ))
}

//! Reading and verifying the audit log.

use crate::AppState;
use crate::auth::UserAuth;
use crate::error::ApiResult;
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use sightline_audit::{AuditEntry, EntryFilter, VerifyReport};
use sightline_types::Role;

/// Query of `GET /api/v1/audit/entries`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EntriesQuery {
    /// Entries after this sequence number.
    #[serde(default)]
    pub after: u64,
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only this action (`search`, `sharing.create`, …).
    #[serde(default)]
    pub action: Option<String>,
}

/// Lists audit entries by the caller's agency or concerning its data (auditors and admins; the node
/// operator sees all).
#[utoipa::path(get, path = "/api/v1/audit/entries", tag = "audit", params(EntriesQuery), security(("user_token" = [])),
    responses((status = 200, body = [AuditEntry]), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_entries(
    State(node): State<AppState>,
    auth: UserAuth,
    Query(q): Query<EntriesQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    auth.require(&[Role::Auditor, Role::Admin])?;
    let who = auth.0;
    let filter = EntryFilter {
        agency: (!who.user.node_operator).then(|| who.agency.id.clone()),
        action: q.action,
        after_seq: q.after,
        limit: q.limit.unwrap_or(100).min(1000),
    };
    let audit = node.audit.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || audit.entries(&filter)).await??,
    ))
}

/// Recomputes every hash of the log and reports what is wrong, if anything.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("user_token" = [])),
    responses((status = 200, body = VerifyReport)))]
pub async fn verify(State(node): State<AppState>, auth: UserAuth) -> ApiResult<Json<VerifyReport>> {
    auth.require(&[Role::Auditor, Role::Admin])?;
    let audit = node.audit.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || audit.verify()).await??,
    ))
}

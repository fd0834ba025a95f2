//! Reading, proving, exporting and verifying the audit log.

use super::Query;
use crate::AppState;
use crate::auth::UserAuth;
use crate::error::ApiResult;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use sightline_audit::{AuditEntry, Checkpoint, Proof, VerifyReport};

/// Query of `GET /api/v1/audit/entries`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || {
            node.audit_entries(
                &caller,
                q.action.as_deref(),
                q.after,
                q.limit.unwrap_or(100),
            )
        })
        .await??,
    ))
}

/// Recomputes every hash of the log, checks every stored checkpoint, and reports what is wrong.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("user_token" = [])),
    responses((status = 200, body = VerifyReport)))]
pub async fn verify(State(node): State<AppState>, auth: UserAuth) -> ApiResult<Json<VerifyReport>> {
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || node.verify_audit(&caller)).await??,
    ))
}

/// The latest signed checkpoint and the key to check it with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckpointView {
    /// The checkpoint (absent before the first one is signed).
    pub checkpoint: Option<Checkpoint>,
    /// The node's Ed25519 public key, hex.
    pub public_key: String,
    /// The same key as a C2SP verifier key (`<origin>+<key id>+<base64>`), the form witnesses
    /// and note verifiers take.
    pub verifier_key: Option<String>,
    /// Entries in the log now.
    pub log_size: u64,
}

/// The latest signed checkpoint (public: anyone may keep it and check the log later).
#[utoipa::path(get, path = "/api/v1/audit/checkpoint", tag = "audit", responses((status = 200, body = CheckpointView)))]
pub async fn latest_checkpoint(State(node): State<AppState>) -> ApiResult<Json<CheckpointView>> {
    let n = node.clone();
    let checkpoint = tokio::task::spawn_blocking(move || n.latest_checkpoint()).await??;
    Ok(Json(CheckpointView {
        checkpoint,
        public_key: node.audit.public_key_hex(),
        verifier_key: node.audit.note_verifier().ok().map(|v| v.to_string()),
        log_size: node.audit.len(),
    }))
}

/// The latest signed checkpoint as a C2SP `tlog-checkpoint` signed note
/// (<https://c2sp.org/tlog-checkpoint>), the form standard witnesses cosign: origin, tree size,
/// base64 root hash, a blank line and the Ed25519 note signature under the key name = origin.
/// Public, like the JSON checkpoint. Check an exported log against it with
/// `sightline audit verify --log FILE --checkpoint NOTE --public-key KEY`.
#[utoipa::path(get, path = "/api/v1/audit/checkpoint/note", tag = "audit",
    responses((status = 200, content_type = "text/plain; charset=utf-8", body = String, description = "the signed note"),
        (status = 404, body = crate::error::ErrorBody, description = "no checkpoint in the note form signed yet")))]
pub async fn checkpoint_note(State(node): State<AppState>) -> ApiResult<impl IntoResponse> {
    let note = tokio::task::spawn_blocking(move || node.latest_checkpoint_note()).await??;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note))
}

/// Signs a checkpoint over the log now (auditors and admins).
#[utoipa::path(post, path = "/api/v1/audit/checkpoint", tag = "audit", security(("user_token" = [])), responses((status = 200, body = Checkpoint)))]
pub async fn publish_checkpoint(
    State(node): State<AppState>,
    auth: UserAuth,
) -> ApiResult<Json<Checkpoint>> {
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || node.publish_checkpoint(&caller)).await??,
    ))
}

/// Query of the inclusion proof.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// Entry sequence number.
    pub seq: u64,
    /// Tree size (default: the log's size).
    #[serde(default)]
    pub size: Option<u64>,
}

/// Proves that entry `seq` is in the tree of `size` entries (public: hashes only).
#[utoipa::path(get, path = "/api/v1/audit/proof/inclusion", tag = "audit", params(InclusionQuery),
    responses((status = 200, body = Proof), (status = 400, body = crate::error::ErrorBody)))]
pub async fn inclusion(
    State(node): State<AppState>,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<Proof>> {
    let size = q.size.unwrap_or_else(|| node.audit.len());
    Ok(Json(node.audit.inclusion_proof(q.seq, size)?))
}

/// Query of the consistency proof.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// Older tree size.
    pub from: u64,
    /// Newer tree size (default: the log's size).
    #[serde(default)]
    pub to: Option<u64>,
}

/// Proves that the tree of `to` entries extends the tree of `from` entries (public).
#[utoipa::path(get, path = "/api/v1/audit/proof/consistency", tag = "audit", params(ConsistencyQuery),
    responses((status = 200, body = Proof), (status = 400, body = crate::error::ErrorBody)))]
pub async fn consistency(
    State(node): State<AppState>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<Proof>> {
    let to = q.to.unwrap_or_else(|| node.audit.len());
    Ok(Json(node.audit.consistency_proof(q.from, to)?))
}

/// Query of the export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `jsonl` (default) or `csv`.
    #[serde(default)]
    pub format: Option<String>,
}

/// Exports the log: the whole log for the node operator (verifiable against checkpoints with
/// `sightline audit verify --log`), the entries by or about the caller's agency for others.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(ExportQuery), security(("user_token" = [])),
    responses((status = 200, description = "JSON Lines or CSV")))]
pub async fn export(
    State(node): State<AppState>,
    auth: UserAuth,
    Query(q): Query<ExportQuery>,
) -> ApiResult<impl IntoResponse> {
    let format = q.format.unwrap_or_else(|| "jsonl".into());
    let caller = auth.caller();
    let (body, ctype) =
        tokio::task::spawn_blocking(move || node.export_audit(&caller, &format)).await??;
    Ok(([(header::CONTENT_TYPE, ctype)], body))
}

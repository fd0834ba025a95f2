//! The second sign-in factor, agencies' sign-in settings, and the usage watch's review queue.

use super::directory::{Done, blocking};
use super::parse_json;
use super::{Path, Query};
use crate::AppState;
use crate::admin::LoginResponse;
use crate::auth::UserAuth;
use crate::error::ApiResult;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::sse::{Event, KeepAlive, Sse};
use serde::Deserialize;
use sightline_service::findings::{Finding, FindingDetail, ReviewRequest};
use sightline_service::mfa::{MfaEnrolRequest, MfaEnrolment, MfaVerify};
use sightline_store::SecuritySettings;
use std::convert::Infallible;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

type Body = Result<Bytes, BytesRejection>;

/// Second sign-in step: a TOTP code (or a recovery code) under the challenge from
/// `POST /api/v1/login`; answers with the token. A code is accepted once.
#[utoipa::path(post, path = "/api/v1/login/mfa", tag = "auth", request_body = MfaVerify,
    responses((status = 200, body = LoginResponse), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody, description = "wrong, expired or replayed code, or unknown challenge"),
        (status = 403, body = crate::error::ErrorBody, description = "not enrolled yet")))]
pub async fn mfa_verify(
    State(node): State<AppState>,
    body: Body,
) -> ApiResult<Json<LoginResponse>> {
    let req: MfaVerify = parse_json(body)?;
    Ok(Json(blocking(move || Ok(node.mfa_verify(&req)?)).await?))
}

/// First enrolment under an `enrol` challenge: the TOTP secret, its `otpauth://` URI and the
/// recovery codes, shown once. Confirm with the first code at `POST /api/v1/login/mfa`.
#[utoipa::path(post, path = "/api/v1/login/mfa/enrol", tag = "auth", request_body = MfaEnrolRequest,
    responses((status = 200, body = MfaEnrolment), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn mfa_enrol(State(node): State<AppState>, body: Body) -> ApiResult<Json<MfaEnrolment>> {
    let req: MfaEnrolRequest = parse_json(body)?;
    Ok(Json(blocking(move || Ok(node.mfa_enrol(&req)?)).await?))
}

/// Removes a user's second factor (admins); every session ends, the user enrols again.
#[utoipa::path(post, path = "/api/v1/users/{id}/mfa/reset", tag = "directory", params(("id" = i64, Path, description = "user id")),
    security(("user_token" = [])), responses((status = 200, body = Done), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn reset_mfa(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Done>> {
    let caller = auth.caller();
    let seq = blocking(move || Ok(node.reset_mfa(&caller, id)?)).await?;
    Ok(Json(Done { audit_seq: seq }))
}

/// Which agency (node operators only; others act for their own).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgencyParam {
    /// Agency id.
    pub agency: Option<String>,
}

/// The agency's sign-in settings in force (roles that need MFA, session time-outs).
#[utoipa::path(get, path = "/api/v1/agency-security", tag = "directory", params(AgencyParam),
    security(("user_token" = [])), responses((status = 200, body = SecuritySettings), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_settings(
    State(node): State<AppState>,
    auth: UserAuth,
    Query(q): Query<AgencyParam>,
) -> ApiResult<Json<SecuritySettings>> {
    let caller = auth.caller();
    Ok(Json(
        blocking(move || Ok(node.security_settings(&caller, q.agency.as_deref())?)).await?,
    ))
}

/// Replaces the agency's sign-in settings (admins; audited).
#[utoipa::path(put, path = "/api/v1/agency-security", tag = "directory", params(AgencyParam), request_body = SecuritySettings,
    security(("user_token" = [])), responses((status = 200, body = Done), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn put_settings(
    State(node): State<AppState>,
    auth: UserAuth,
    Query(q): Query<AgencyParam>,
    body: Body,
) -> ApiResult<Json<Done>> {
    let req: SecuritySettings = parse_json(body)?;
    let caller = auth.caller();
    let seq =
        blocking(move || Ok(node.set_security_settings(&caller, q.agency.as_deref(), req)?))
            .await?;
    Ok(Json(Done { audit_seq: seq }))
}

/// Filter of the review queue.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParam {
    /// Only findings without a decision.
    #[serde(default)]
    pub open: bool,
}

/// The review queue: the usage watch's findings the caller may review, newest first.
#[utoipa::path(get, path = "/api/v1/findings", tag = "oversight", params(QueueParam),
    security(("user_token" = [])), responses((status = 200, body = [Finding]), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_findings(
    State(node): State<AppState>,
    auth: UserAuth,
    Query(q): Query<QueueParam>,
) -> ApiResult<Json<Vec<Finding>>> {
    let caller = auth.caller();
    Ok(Json(
        blocking(move || Ok(node.findings(&caller, q.open)?)).await?,
    ))
}

/// One finding with the audit entries of the searches behind it.
#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "oversight", params(("id" = i64, Path, description = "finding id")),
    security(("user_token" = [])), responses((status = 200, body = FindingDetail), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_finding(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<FindingDetail>> {
    let caller = auth.caller();
    Ok(Json(
        blocking(move || Ok(node.finding(&caller, id)?)).await?,
    ))
}

/// Records a decision on a finding (`justified`, `referred`, `misuse_confirmed`) with a note;
/// audited, counted in the transparency report.
#[utoipa::path(post, path = "/api/v1/findings/{id}/review", tag = "oversight", params(("id" = i64, Path, description = "finding id")),
    request_body = ReviewRequest,
    security(("user_token" = [])), responses((status = 200, body = Finding), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn review_finding(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
    body: Body,
) -> ApiResult<Json<Finding>> {
    let req: ReviewRequest = parse_json(body)?;
    let caller = auth.caller();
    Ok(Json(
        blocking(move || Ok(node.review_finding(&caller, id, &req)?)).await?,
    ))
}

/// New findings live as Server-Sent Events (`event: finding`), for supervisors and auditors
/// (supervisors also get them on `/api/v1/alerts/stream`).
#[utoipa::path(get, path = "/api/v1/findings/stream", tag = "oversight",
    security(("user_token" = [])), responses((status = 200, description = "text/event-stream"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn stream(
    State(node): State<AppState>,
    auth: UserAuth,
) -> ApiResult<Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>>> {
    let caller = auth.caller();
    let findings = node.subscribe_findings(&caller)?;
    let mut stop = node.shutdown.subscribe();
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    Ok(Sse::new(futures_util::StreamExt::take_until(
        finding_events(&node, caller, findings),
        Box::pin(stopped),
    ))
    .keep_alive(KeepAlive::default()))
}

/// The findings a caller may see, as SSE events.
pub fn finding_events(
    node: &AppState,
    caller: sightline_service::Caller,
    findings: tokio::sync::broadcast::Receiver<
        std::sync::Arc<sightline_service::findings::Finding>,
    >,
) -> impl tokio_stream::Stream<Item = Result<Event, Infallible>> + use<> {
    let n = node.clone();
    BroadcastStream::new(findings).filter_map(move |f| {
        let f = f.ok()?;
        n.may_see_finding(&caller, &f.finding).then(|| {
            Ok(Event::default()
                .event("finding")
                .id(format!("finding-{}", f.id))
                .data(serde_json::to_string(&*f).unwrap_or_default()))
        })
    })
}

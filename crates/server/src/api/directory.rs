//! Login and the directory: agencies, users, cameras, sharing agreements, declarations.

use super::Path;
use super::parse_json;
use crate::AppState;
use crate::admin::{
    AgencyLocation, Audited, CameraCreated, CameraKey, CameraMode, ChangePassword, CreateAgency,
    CreateAgreement, CreateCamera, CreateDeclaration, CreateUser, LoginRequest, ResetPassword,
    SetRole, UserView,
};
use crate::auth::UserAuth;
use crate::error::ApiResult;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use sightline_store::{Declaration, SharingAgreement};
use sightline_types::{Agency, Camera};

type Body = Result<Bytes, BytesRejection>;

/// Runs blocking directory work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await?
}

/// Exchanges a username and password for an API token — or, when the account has a second
/// factor or its agency requires one for its role, for a short-lived challenge (`mfa`:
/// `required` or `enrol`) to complete at `/api/v1/login/mfa`. No token before the second factor.
#[utoipa::path(post, path = "/api/v1/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = sightline_service::mfa::LoginOutcome), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(node): State<AppState>,
    client: crate::auth::ClientAddr,
    body: Body,
) -> ApiResult<Json<sightline_service::mfa::LoginOutcome>> {
    let req: LoginRequest = parse_json(body)?;
    Ok(Json(
        blocking(move || Ok(node.login(&req, client.0)?)).await?,
    ))
}

/// Revokes the token used for this request.
#[utoipa::path(post, path = "/api/v1/logout", tag = "auth", security(("user_token" = [])),
    responses((status = 204, description = "revoked")))]
pub async fn logout(
    State(node): State<AppState>,
    who: crate::auth::AnyUser,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let caller = who.caller();
    blocking(move || Ok(node.logout(&caller, &token)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who am I.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The user.
    pub user: UserView,
    /// Their agency.
    pub agency: Agency,
}

/// Returns the signed-in user and agency.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("user_token" = [])), responses((status = 200, body = Me)))]
pub async fn me(crate::auth::AnyUser(who): crate::auth::AnyUser) -> Json<Me> {
    Json(Me {
        user: UserView::from(&who.user),
        agency: who.agency,
    })
}

/// Lists agencies on this node.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "directory", security(("user_token" = [])), responses((status = 200, body = [Agency])))]
pub async fn list_agencies(
    State(node): State<AppState>,
    who: UserAuth,
) -> ApiResult<Json<Vec<Agency>>> {
    Ok(Json(node.list_agencies(&who.caller())?))
}

/// Creates an agency (node operators).
#[utoipa::path(post, path = "/api/v1/agencies", tag = "directory", request_body = CreateAgency, security(("user_token" = [])),
    responses((status = 201, body = Audited<Agency>), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_agency(
    State(node): State<AppState>,
    who: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<Audited<Agency>>)> {
    let req: CreateAgency = parse_json(body)?;
    let caller = who.caller();
    let out = blocking(move || Ok(node.create_agency(&caller, &req)?)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Lists users of the caller's agency (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "directory", security(("user_token" = [])), responses((status = 200, body = [UserView])))]
pub async fn list_users(
    State(node): State<AppState>,
    auth: UserAuth,
) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(node.list_users(&auth.caller(), None)?))
}

/// Creates a user in the caller's agency (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "directory", request_body = CreateUser, security(("user_token" = [])),
    responses((status = 201, body = Audited<UserView>), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_user(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<Audited<UserView>>)> {
    let req: CreateUser = parse_json(body)?;
    let caller = auth.caller();
    let out = blocking(move || Ok(node.create_user(&caller, &req)?)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Lists cameras (positions only; no plate data).
#[utoipa::path(get, path = "/api/v1/cameras", tag = "directory", security(("user_token" = [])), responses((status = 200, body = [Camera])))]
pub async fn list_cameras(
    State(node): State<AppState>,
    who: UserAuth,
) -> ApiResult<Json<Vec<Camera>>> {
    Ok(Json(node.list_cameras(&who.caller())?))
}

/// Registers a camera and returns its device key once (admins).
#[utoipa::path(post, path = "/api/v1/cameras", tag = "directory", request_body = CreateCamera, security(("user_token" = [])),
    responses((status = 201, body = CameraCreated), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_camera(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<CameraCreated>)> {
    let req: CreateCamera = parse_json(body)?;
    let caller = auth.caller();
    let out = blocking(move || Ok(node.create_camera(&caller, &req)?)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Lists the agreements the caller's agency grants or is covered by.
#[utoipa::path(get, path = "/api/v1/sharing-agreements", tag = "directory", security(("user_token" = [])), responses((status = 200, body = [SharingAgreement])))]
pub async fn list_agreements(
    State(node): State<AppState>,
    who: UserAuth,
) -> ApiResult<Json<Vec<SharingAgreement>>> {
    Ok(Json(node.list_agreements(&who.caller())?))
}

/// Grants another agency (or a jurisdiction, or the nation) access to the caller's agency's data for
/// listed purposes (admins).
#[utoipa::path(post, path = "/api/v1/sharing-agreements", tag = "directory", request_body = CreateAgreement, security(("user_token" = [])),
    responses((status = 201, body = Audited<SharingAgreement>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_agreement(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<Audited<SharingAgreement>>)> {
    let req: CreateAgreement = parse_json(body)?;
    let caller = auth.caller();
    let out = blocking(move || Ok(node.create_agreement(&caller, &req)?)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Lists declarations on record.
#[utoipa::path(get, path = "/api/v1/declarations", tag = "directory", security(("user_token" = [])), responses((status = 200, body = [Declaration])))]
pub async fn list_declarations(
    State(node): State<AppState>,
    who: UserAuth,
) -> ApiResult<Json<Vec<Declaration>>> {
    Ok(Json(node.list_declarations(&who.caller())?))
}

/// Records a written declaration by the caller's agency (admins).
#[utoipa::path(post, path = "/api/v1/declarations", tag = "directory", request_body = CreateDeclaration, security(("user_token" = [])),
    responses((status = 201, body = Audited<Declaration>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_declaration(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<Audited<Declaration>>)> {
    let req: CreateDeclaration = parse_json(body)?;
    let caller = auth.caller();
    let out = blocking(move || Ok(node.create_declaration(&caller, &req)?)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// A lifecycle action's answer: the audit entry of the change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Done {
    /// Audit entry of the change.
    pub audit_seq: u64,
}

macro_rules! lifecycle {
    ($(#[$doc:meta])* $name:ident, $path:literal, |$node:ident, $caller:ident, $id:ident| $call:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "directory", params(("id" = i64, Path, description = "id")),
            security(("user_token" = [])),
            responses((status = 200, body = Done), (status = 403, body = crate::error::ErrorBody),
                      (status = 404, body = crate::error::ErrorBody)))]
        pub async fn $name(
            State($node): State<AppState>,
            auth: UserAuth,
            Path($id): Path<i64>,
        ) -> ApiResult<Json<Done>> {
            let $caller = auth.caller();
            let seq = blocking(move || Ok($call?)).await?;
            Ok(Json(Done { audit_seq: seq }))
        }
    };
}

lifecycle!(
    /// Disables a user of the caller's agency: sign-in refused, every token revoked at once.
    disable_user, "/api/v1/users/{id}/disable", |node, caller, id| node.set_user_disabled(&caller, id, true)
);
lifecycle!(
    /// Re-enables a disabled user.
    enable_user, "/api/v1/users/{id}/enable", |node, caller, id| node.set_user_disabled(&caller, id, false)
);
lifecycle!(
    /// Revokes every token and session of a user.
    revoke_user_tokens, "/api/v1/users/{id}/revoke-tokens", |node, caller, id| node.revoke_user_tokens(&caller, id)
);
lifecycle!(
    /// Revokes a camera's device key: it can no longer send reads.
    revoke_camera, "/api/v1/cameras/{id}/revoke", |node, caller, id| node.revoke_camera(&caller, id)
);
lifecycle!(
    /// Ends a sharing agreement of the caller's agency, effective immediately.
    end_agreement, "/api/v1/sharing-agreements/{id}/end", |node, caller, id| node.end_agreement(&caller, id)
);
lifecycle!(
    /// Withdraws a declaration of the caller's agency.
    end_declaration, "/api/v1/declarations/{id}/end", |node, caller, id| node.end_declaration(&caller, id)
);

/// Changes a user's role (admins of the user's agency).
#[utoipa::path(post, path = "/api/v1/users/{id}/role", tag = "directory", request_body = SetRole, params(("id" = i64, Path, description = "user id")),
    security(("user_token" = [])), responses((status = 200, body = Done), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn set_role(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
    body: Body,
) -> ApiResult<Json<Done>> {
    let req: SetRole = parse_json(body)?;
    let caller = auth.caller();
    let seq = blocking(move || Ok(node.set_user_role(&caller, id, &req)?)).await?;
    Ok(Json(Done { audit_seq: seq }))
}

/// Resets a user's password (they must change it at next sign-in; every session ends).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "directory", request_body = ResetPassword, params(("id" = i64, Path, description = "user id")),
    security(("user_token" = [])), responses((status = 200, body = Done), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn reset_password(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
    body: Body,
) -> ApiResult<Json<Done>> {
    let req: ResetPassword = parse_json(body)?;
    let caller = auth.caller();
    let seq = blocking(move || Ok(node.reset_password(&caller, id, &req.password)?)).await?;
    Ok(Json(Done { audit_seq: seq }))
}

/// Changes the caller's own password (every session ends; sign in again).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePassword,
    security(("user_token" = [])), responses((status = 200, body = Done), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
pub async fn change_password(
    State(node): State<AppState>,
    auth: crate::auth::AnyUser,
    body: Body,
) -> ApiResult<Json<Done>> {
    let req: ChangePassword = parse_json(body)?;
    let caller = auth.caller();
    let seq = blocking(move || Ok(node.change_own_password(&caller, &req)?)).await?;
    Ok(Json(Done { audit_seq: seq }))
}

/// Sets an agency's registered location, from which radius agreements are measured (node operators).
#[utoipa::path(put, path = "/api/v1/agencies/{id}/location", tag = "directory", request_body = AgencyLocation, params(("id" = String, Path, description = "agency id")),
    security(("user_token" = [])), responses((status = 200, body = Done), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn set_location(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<Json<Done>> {
    let req: AgencyLocation = parse_json(body)?;
    let agency = sightline_types::AgencyId::parse(&id)?;
    let caller = auth.caller();
    let seq = blocking(move || Ok(node.set_agency_location(&caller, &agency, &req)?)).await?;
    Ok(Json(Done { audit_seq: seq }))
}

/// Changes a camera's hit-only mode and per-purpose binding.
#[utoipa::path(put, path = "/api/v1/cameras/{id}/mode", tag = "directory", request_body = CameraMode, params(("id" = i64, Path, description = "camera id")),
    security(("user_token" = [])), responses((status = 200, body = Done), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn set_camera_mode(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
    body: Body,
) -> ApiResult<Json<Done>> {
    let req: CameraMode = parse_json(body)?;
    let caller = auth.caller();
    let seq = blocking(move || Ok(node.set_camera_mode(&caller, id, &req)?)).await?;
    Ok(Json(Done { audit_seq: seq }))
}

/// Replaces a camera's device key; the old one stops working at once. The new key is shown once.
#[utoipa::path(post, path = "/api/v1/cameras/{id}/rotate-key", tag = "directory", params(("id" = i64, Path, description = "camera id")),
    security(("user_token" = [])), responses((status = 200, body = CameraKey), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn rotate_camera_key(
    State(node): State<AppState>,
    auth: UserAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<CameraKey>> {
    let caller = auth.caller();
    Ok(Json(
        blocking(move || Ok(node.rotate_camera_key(&caller, id)?)).await?,
    ))
}

//! Login and the directory: agencies, users, cameras, sharing agreements, declarations.

use super::parse_json;
use crate::AppState;
use crate::admin::{
    Audited, CameraCreated, CreateAgency, CreateAgreement, CreateCamera, CreateDeclaration,
    CreateUser, LoginRequest, LoginResponse, UserView,
};
use crate::auth::{UserAuth, hash_secret};
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use sightline_store::{Declaration, SharingAgreement};
use sightline_types::{Agency, Camera, Role};

type Body = Result<Bytes, BytesRejection>;

/// Runs blocking directory work off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await?
}

/// Exchanges a username and password for an API token.
#[utoipa::path(post, path = "/api/v1/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody)))]
pub async fn login(State(node): State<AppState>, body: Body) -> ApiResult<Json<LoginResponse>> {
    let req: LoginRequest = parse_json(body)?;
    Ok(Json(blocking(move || node.login(&req)).await?))
}

/// Revokes the token used for this request.
#[utoipa::path(post, path = "/api/v1/logout", tag = "auth", security(("user_token" = [])),
    responses((status = 204, description = "revoked")))]
pub async fn logout(
    State(node): State<AppState>,
    _who: UserAuth,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .trim()
        .to_owned();
    node.store.revoke_token(&hash_secret(&token))?;
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
pub async fn me(UserAuth(who): UserAuth) -> Json<Me> {
    Json(Me {
        user: UserView::from(&who.user),
        agency: who.agency,
    })
}

/// Lists agencies on this node.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "directory", security(("user_token" = [])), responses((status = 200, body = [Agency])))]
pub async fn list_agencies(
    State(node): State<AppState>,
    _who: UserAuth,
) -> ApiResult<Json<Vec<Agency>>> {
    Ok(Json(node.store.agencies()?))
}

/// Creates an agency (node operators).
#[utoipa::path(post, path = "/api/v1/agencies", tag = "directory", request_body = CreateAgency, security(("user_token" = [])),
    responses((status = 201, body = Audited<Agency>), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_agency(
    State(node): State<AppState>,
    UserAuth(who): UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<Audited<Agency>>)> {
    if !who.user.node_operator {
        return Err(ApiError::forbidden(
            "only the node operator creates agencies",
        ));
    }
    let req: CreateAgency = parse_json(body)?;
    let out = blocking(move || node.create_agency(who.actor(), &req)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Lists users of the caller's agency (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "directory", security(("user_token" = [])), responses((status = 200, body = [UserView])))]
pub async fn list_users(
    State(node): State<AppState>,
    auth: UserAuth,
) -> ApiResult<Json<Vec<UserView>>> {
    auth.require(&[Role::Admin])?;
    let users = node.store.users_of(&auth.0.agency.id)?;
    Ok(Json(users.iter().map(UserView::from).collect()))
}

/// Creates a user in the caller's agency (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "directory", request_body = CreateUser, security(("user_token" = [])),
    responses((status = 201, body = Audited<UserView>), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_user(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<Audited<UserView>>)> {
    auth.require(&[Role::Admin])?;
    let req: CreateUser = parse_json(body)?;
    let who = auth.0;
    let out = blocking(move || node.create_user(Some(&who), who.actor(), &req)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Lists cameras (positions only; no plate data).
#[utoipa::path(get, path = "/api/v1/cameras", tag = "directory", security(("user_token" = [])), responses((status = 200, body = [Camera])))]
pub async fn list_cameras(State(node): State<AppState>, _who: UserAuth) -> Json<Vec<Camera>> {
    Json(node.store.cameras())
}

/// Registers a camera and returns its device key once (admins).
#[utoipa::path(post, path = "/api/v1/cameras", tag = "directory", request_body = CreateCamera, security(("user_token" = [])),
    responses((status = 201, body = CameraCreated), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_camera(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<CameraCreated>)> {
    auth.require(&[Role::Admin])?;
    let req: CreateCamera = parse_json(body)?;
    let who = auth.0;
    let out = blocking(move || node.create_camera(Some(&who), who.actor(), &req)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Lists the agreements the caller's agency grants or is covered by.
#[utoipa::path(get, path = "/api/v1/sharing-agreements", tag = "directory", security(("user_token" = [])), responses((status = 200, body = [SharingAgreement])))]
pub async fn list_agreements(
    State(node): State<AppState>,
    UserAuth(who): UserAuth,
) -> ApiResult<Json<Vec<SharingAgreement>>> {
    let all = node.store.agreements()?;
    let positions: Vec<(f64, f64)> = node
        .store
        .cameras()
        .iter()
        .filter(|c| c.owner == who.agency.id)
        .map(|c| (c.lat, c.lon))
        .collect();
    let mine = all
        .into_iter()
        .filter(|a| {
            who.user.node_operator
                || a.owner == who.agency.id
                || a.grantee.covers(&who.agency, &positions)
        })
        .collect();
    Ok(Json(mine))
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
    auth.require(&[Role::Admin])?;
    let req: CreateAgreement = parse_json(body)?;
    let who = auth.0;
    let out = blocking(move || node.create_agreement(Some(&who), who.actor(), &req)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Lists declarations on record.
#[utoipa::path(get, path = "/api/v1/declarations", tag = "directory", security(("user_token" = [])), responses((status = 200, body = [Declaration])))]
pub async fn list_declarations(
    State(node): State<AppState>,
    _who: UserAuth,
) -> ApiResult<Json<Vec<Declaration>>> {
    Ok(Json(node.store.declarations()?))
}

/// Records a written declaration by the caller's agency (admins).
#[utoipa::path(post, path = "/api/v1/declarations", tag = "directory", request_body = CreateDeclaration, security(("user_token" = [])),
    responses((status = 201, body = Audited<Declaration>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create_declaration(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Body,
) -> ApiResult<(StatusCode, Json<Audited<Declaration>>)> {
    auth.require(&[Role::Admin])?;
    let req: CreateDeclaration = parse_json(body)?;
    let who = auth.0;
    let out = blocking(move || node.create_declaration(Some(&who), who.actor(), &req)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

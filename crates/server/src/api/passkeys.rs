//! Passkeys (WebAuthn) as a second sign-in factor: registration by a signed-in user, and the
//! passkey answer to the password call's `required` challenge. The ceremonies are checked in the
//! service (`sightline_service::webauthn`); these handlers only parse and map.

use super::directory::{Done, blocking};
use super::parse_json;
use crate::AppState;
use crate::admin::LoginResponse;
use crate::auth::AnyUser;
use crate::error::ApiResult;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use sightline_service::webauthn::{
    PasskeyInfo, PasskeyLogin, PasskeyLoginStart, PasskeyOptions, PasskeyRegister,
};

type Body = Result<Bytes, BytesRejection>;

/// Passkey sign-in, step 1: the WebAuthn request options (`PublicKeyCredentialRequestOptionsJSON`)
/// for the account behind a `required` challenge from `POST /api/v1/login`.
#[utoipa::path(post, path = "/api/v1/login/passkey/options", tag = "auth", request_body = PasskeyLoginStart,
    responses((status = 200, body = PasskeyOptions), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody, description = "unknown or expired challenge"),
        (status = 403, body = crate::error::ErrorBody, description = "the account has no passkey, or must enrol first")))]
pub async fn login_options(
    State(node): State<AppState>,
    body: Body,
) -> ApiResult<Json<PasskeyOptions>> {
    let req: PasskeyLoginStart = parse_json(body)?;
    Ok(Json(
        blocking(move || Ok(node.passkey_login_start(&req)?)).await?,
    ))
}

/// Passkey sign-in, step 2: the browser's assertion (`PublicKeyCredential.toJSON()`) under the same
/// challenge; answers with the token.
#[utoipa::path(post, path = "/api/v1/login/passkey", tag = "auth", request_body = PasskeyLogin,
    responses((status = 200, body = LoginResponse), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody, description = "the assertion was refused, or unknown challenge")))]
pub async fn login(State(node): State<AppState>, body: Body) -> ApiResult<Json<LoginResponse>> {
    let req: PasskeyLogin = parse_json(body)?;
    Ok(Json(
        blocking(move || Ok(node.passkey_login_finish(&req)?)).await?,
    ))
}

/// The caller's registered passkeys.
#[utoipa::path(get, path = "/api/v1/me/passkeys", tag = "auth", security(("user_token" = [])),
    responses((status = 200, body = [PasskeyInfo]), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(node): State<AppState>,
    auth: AnyUser,
) -> ApiResult<Json<Vec<PasskeyInfo>>> {
    let caller = auth.caller();
    Ok(Json(blocking(move || Ok(node.passkeys(&caller)?)).await?))
}

/// Passkey registration, step 1: the WebAuthn creation options
/// (`PublicKeyCredentialCreationOptionsJSON`) for the caller.
#[utoipa::path(post, path = "/api/v1/me/passkeys/options", tag = "auth", security(("user_token" = [])),
    responses((status = 200, body = PasskeyOptions), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody, description = "too many passkeys")))]
pub async fn register_options(
    State(node): State<AppState>,
    auth: AnyUser,
) -> ApiResult<Json<PasskeyOptions>> {
    let caller = auth.caller();
    Ok(Json(
        blocking(move || Ok(node.passkey_register_start(&caller)?)).await?,
    ))
}

/// Passkey registration, step 2: the browser's `PublicKeyCredential.toJSON()` and a label; the
/// passkey counts once its `passkey.register` audit entry is durable.
#[utoipa::path(post, path = "/api/v1/me/passkeys", tag = "auth", request_body = PasskeyRegister, security(("user_token" = [])),
    responses((status = 200, body = Done), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody, description = "no registration in progress"),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody, description = "already registered")))]
pub async fn register(
    State(node): State<AppState>,
    auth: AnyUser,
    body: Body,
) -> ApiResult<Json<Done>> {
    let req: PasskeyRegister = parse_json(body)?;
    let caller = auth.caller();
    let seq = blocking(move || Ok(node.passkey_register_finish(&caller, &req)?)).await?;
    Ok(Json(Done { audit_seq: seq }))
}

/// Removes one of the caller's passkeys (a lost or replaced key); it stops working once the
/// `passkey.remove` audit entry is durable. The last second factor of an account whose agency
/// requires MFA cannot be removed (409): add another first, or ask an admin for an MFA reset.
#[utoipa::path(delete, path = "/api/v1/me/passkeys/{credential_id}", tag = "auth",
    params(("credential_id" = String, Path, description = "the passkey's credential id, base64url as listed")),
    security(("user_token" = [])),
    responses((status = 200, body = Done), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody, description = "no such passkey of yours"),
        (status = 409, body = crate::error::ErrorBody, description = "the last second factor where MFA is required")))]
pub async fn remove(
    State(node): State<AppState>,
    auth: AnyUser,
    Path(credential_id): Path<String>,
) -> ApiResult<Json<Done>> {
    let caller = auth.caller();
    let seq = blocking(move || Ok(node.passkey_remove(&caller, &credential_id)?)).await?;
    Ok(Json(Done { audit_seq: seq }))
}

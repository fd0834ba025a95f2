//! Passkeys in the web UI: the account page where a signed-in user registers one, and the passkey
//! button of the sign-in's second step. The browser does the WebAuthn ceremonies
//! (`navigator.credentials`); these handlers only carry JSON between it and the service
//! (`sightline_service::webauthn`), which checks everything and audits.

use super::i18n::t;
use super::{LOGIN_CSRF, WebUser, cookie, layout, session_cookie};
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use sightline_service::webauthn::{PasskeyLogin, PasskeyLoginStart, PasskeyRegister};

/// The browser side of both ceremonies: options from the server, the WebAuthn call, the answer
/// back as `PublicKeyCredential.toJSON()`.
const SCRIPT: &str = r#"(function(){
function say(id,msg){var e=document.getElementById(id);if(e){e.textContent=msg;e.hidden=false;}}
async function post(url,body,json){var r=await fetch(url,{method:'POST',credentials:'same-origin',
 headers:{'content-type':json?'application/json':'application/x-www-form-urlencoded'},
 body:json?JSON.stringify(body):new URLSearchParams(body)});
 var j={};try{j=await r.json();}catch(e){}
 if(!r.ok)throw new Error(j.message||('HTTP '+r.status));return j;}
var reg=document.getElementById('passkey-add');
if(reg)reg.addEventListener('submit',async function(ev){ev.preventDefault();
 var csrf=reg.querySelector('[name=csrf]').value,label=reg.querySelector('[name=label]').value;
 try{var o=await post('/ui/account/passkey/options',{csrf:csrf});
  var c=await navigator.credentials.create({publicKey:PublicKeyCredential.parseCreationOptionsFromJSON(o.public_key)});
  await post('/ui/account/passkey',{csrf:csrf,label:label,credential:c.toJSON()},true);
  location.reload();}catch(e){say('passkey-error',e.message);}});
var b=document.getElementById('passkey-signin');
if(b)b.addEventListener('click',async function(){
 var f=document.getElementById('mfa-form');var csrf=f.querySelector('[name=csrf]').value,ch=f.querySelector('[name=challenge]').value;
 try{var o=await post('/ui/login/passkey/options',{csrf:csrf,challenge:ch});
  var c=await navigator.credentials.get({publicKey:PublicKeyCredential.parseRequestOptionsFromJSON(o.public_key)});
  var r=await post('/ui/login/passkey',{csrf:csrf,challenge:ch,credential:c.toJSON()},true);
  location.href=r.redirect;}catch(e){say('passkey-error',e.message);}});
})();"#;

/// The passkey part of the sign-in's second step (shown under the code form).
pub(super) fn signin_part(lang: super::i18n::Lang) -> Markup {
    html! {
        p { button #passkey-signin type="button" { (t(lang, "passkey_signin")) } }
        p #passkey-error .error role="alert" hidden {}
        script { (PreEscaped(SCRIPT)) }
    }
}

/// The account page: the user's passkeys and a form to add one.
pub async fn account(State(node): State<AppState>, user: WebUser) -> Response {
    account_page(node, user, None).await
}

/// The account page, with a refusal to show above the list (a translation key).
async fn account_page(node: AppState, user: WebUser, problem: Option<&'static str>) -> Response {
    let caller = user.caller();
    let n = node.clone();
    let keys = match tokio::task::spawn_blocking(move || n.passkeys(&caller)).await {
        Ok(Ok(k)) => k,
        Ok(Err(e)) => return ApiError::from(e).into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let lang = user.lang;
    let body = html! {
        h1 { (t(lang, "account")) }
        h2 { (t(lang, "passkeys")) }
        p { (t(lang, "passkeys_help")) }
        @if let Some(key) = problem { p #passkey-problem .error role="alert" { (t(lang, key)) } }
        @if keys.is_empty() { p #no-passkeys { (t(lang, "no_passkeys")) } }
        @else {
            table #passkeys {
                thead { tr { th scope="col" { (t(lang, "passkey_label")) } th scope="col" { (t(lang, "passkey_registered")) } th scope="col" { (t(lang, "passkey_used")) } th scope="col" { (t(lang, "passkey_remove")) } } }
                tbody {
                    @for k in &keys {
                        tr {
                            td { (k.label) }
                            td { (k.registered.format("%Y-%m-%d %H:%M UTC")) }
                            td { @if let Some(u) = k.used { (u.format("%Y-%m-%d %H:%M UTC")) } @else { "–" } }
                            td {
                                form .passkey-remove method="post" action="/ui/account/passkey/remove" {
                                    input type="hidden" name="csrf" value=(user.csrf);
                                    input type="hidden" name="credential_id" value=(k.credential_id);
                                    button type="submit" aria-label=(format!("{} {}", t(lang, "passkey_remove"), k.label)) { (t(lang, "passkey_remove")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        form #passkey-add {
            input type="hidden" name="csrf" value=(user.csrf);
            label for="passkey-label" { (t(lang, "passkey_label")) }
            input #passkey-label name="label" required maxlength="80";
            button #passkey-register type="submit" { (t(lang, "passkey_add")) }
        }
        p #passkey-error .error role="alert" hidden {}
        script { (PreEscaped(SCRIPT)) }
    };
    layout(lang, t(lang, "account"), Some(&user), body).into_response()
}

#[derive(Deserialize)]
pub struct RemoveForm {
    csrf: String,
    credential_id: String,
}

/// Removes one of the user's passkeys (the service refuses the last required factor).
pub async fn remove(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<RemoveForm>,
) -> Response {
    if let Err(e) = user.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let caller = user.caller();
    let n = node.clone();
    let done =
        tokio::task::spawn_blocking(move || n.passkey_remove(&caller, &f.credential_id)).await;
    let problem = match done {
        Ok(Ok(_)) => return axum::response::Redirect::to("/ui/account").into_response(),
        Ok(Err(e)) => match e.code() {
            sightline_types::ErrorCode::Conflict => "passkey_last_factor",
            sightline_types::ErrorCode::NotFound => "passkey_not_found",
            _ => return ApiError::from(e).into_response(),
        },
        Err(e) => return ApiError::from(e).into_response(),
    };
    account_page(node, user, Some(problem)).await
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// Registration step 1 (JSON options for the browser).
pub async fn register_options(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(e) = user.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let caller = user.caller();
    match tokio::task::spawn_blocking(move || node.passkey_register_start(&caller)).await {
        Ok(Ok(o)) => Json(o).into_response(),
        Ok(Err(e)) => ApiError::from(e).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct RegisterBody {
    csrf: String,
    label: String,
    credential: serde_json::Value,
}

/// Registration step 2 (the browser's answer).
pub async fn register(
    State(node): State<AppState>,
    user: WebUser,
    body: Result<Json<RegisterBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return ApiError::bad_request(e.body_text()).into_response(),
    };
    if let Err(e) = user.check_csrf(&b.csrf) {
        return e.into_response();
    }
    let caller = user.caller();
    let req = PasskeyRegister {
        label: b.label,
        credential: b.credential,
    };
    match tokio::task::spawn_blocking(move || node.passkey_register_finish(&caller, &req)).await {
        Ok(Ok(seq)) => Json(serde_json::json!({ "audit_seq": seq })).into_response(),
        Ok(Err(e)) => ApiError::from(e).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn login_csrf_ok(headers: &HeaderMap, csrf: &str) -> Result<(), ApiError> {
    if !csrf.is_empty() && cookie(headers, LOGIN_CSRF).as_deref() == Some(csrf) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "the sign-in form expired; please sign in again",
        ))
    }
}

#[derive(Deserialize)]
pub struct LoginStartForm {
    csrf: String,
    challenge: String,
}

/// Sign-in with a passkey, step 1 (JSON options for the browser).
pub async fn login_options(
    State(node): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginStartForm>,
) -> Response {
    if let Err(e) = login_csrf_ok(&headers, &f.csrf) {
        return e.into_response();
    }
    let req = PasskeyLoginStart {
        challenge: f.challenge,
    };
    match tokio::task::spawn_blocking(move || node.passkey_login_start(&req)).await {
        Ok(Ok(o)) => Json(o).into_response(),
        Ok(Err(e)) => ApiError::from(e).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct LoginBody {
    csrf: String,
    challenge: String,
    credential: serde_json::Value,
}

/// Sign-in with a passkey, step 2: the session cookie and where to go.
pub async fn login(
    State(node): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return ApiError::bad_request(e.body_text()).into_response(),
    };
    if let Err(e) = login_csrf_ok(&headers, &b.csrf) {
        return e.into_response();
    }
    let req = PasskeyLogin {
        challenge: b.challenge,
        credential: b.credential,
    };
    let n = node.clone();
    match tokio::task::spawn_blocking(move || n.passkey_login_finish(&req)).await {
        Ok(Ok(login)) => {
            let mut resp = Json(serde_json::json!({ "redirect": "/ui/search" })).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&node, &login)) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(Err(e)) => ApiError::from(e).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

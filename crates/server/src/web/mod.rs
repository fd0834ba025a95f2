//! The web UI: server-rendered pages (maud), a cookie session, CSRF tokens on every form, English
//! and German text, and a little hand-written JavaScript for the map slider and live alerts.
//! Pages call the same services as the API (search, hot lists), so the UI has no path of its own
//! to plate data.

mod admin;
mod alerts;
mod audit;
mod charts;
mod findings;
mod i18n;
mod investigate;
pub(crate) mod map;
mod messages;
mod passkey;
pub(crate) mod search;
pub(crate) mod transparency_charts;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use i18n::{Lang, t};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sightline_search::Principal;
use sightline_store::TokenKind;

/// Web routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/login/mfa", post(login_mfa))
        .route("/ui/login/passkey/options", post(passkey::login_options))
        .route("/ui/login/passkey", post(passkey::login))
        .route("/ui/account", get(passkey::account))
        .route(
            "/ui/account/passkey/options",
            post(passkey::register_options),
        )
        .route("/ui/account/passkey", post(passkey::register))
        .route("/ui/account/passkey/remove", post(passkey::remove))
        .route("/ui/logout", post(logout))
        .route("/ui/search", get(search::page).post(search::run))
        .route("/ui/search/save", post(search::save))
        .route("/ui/search/saved/{id}/run", post(search::run_saved))
        .route("/ui/search/saved/{id}/delete", post(search::delete_saved))
        .route("/ui/alerts", get(alerts::page))
        .route("/ui/alerts/stream", get(alerts::stream))
        .route("/ui/alerts/{id}/ack", post(alerts::ack))
        .route("/ui/vehicle", get(search::vehicle))
        .route("/ui/admin", get(admin::page))
        .route("/ui/admin/camera", post(admin::add_camera))
        .route("/ui/admin/user", post(admin::add_user))
        .route("/ui/admin/agreement", post(admin::add_agreement))
        .route("/ui/admin/list", post(admin::add_list))
        .route("/ui/admin/entries", post(admin::add_entries))
        .route("/ui/admin/policy", post(admin::set_policy))
        .route("/ui/admin/hold", post(admin::add_hold))
        .route("/ui/admin/declaration", post(admin::add_declaration))
        .route("/ui/admin/lifecycle", post(admin::lifecycle))
        .route("/ui/findings", get(findings::page))
        .route("/ui/findings/{id}/review", post(findings::review))
        .route("/ui/audit", get(audit::page))
        .route("/ui/audit/export", get(audit::export))
        .route("/ui/audit/oversight", get(audit::oversight))
        .route(
            "/ui/investigate",
            get(investigate::page).post(investigate::run),
        )
        .route("/ui/evidence", post(investigate::export))
        .layer(axum::middleware::from_fn(remember_lang))
}

/// The language switch holds for the next pages and forms too: a page asked for with `?lang=`
/// sets the `sl_lang` cookie (unless it set one itself), so a form posted from a German page is
/// answered in German.
async fn remember_lang(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let asked = req
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
        .and_then(|l| match l {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        });
    let mut resp = next.run(req).await;
    if let Some(lang) = asked {
        let already = resp
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.as_bytes().starts_with(b"sl_lang="));
        if !already
            && let Ok(v) = HeaderValue::from_str(&format!(
                "sl_lang={}; Path=/; SameSite=Lax; Max-Age=31536000",
                lang.code()
            ))
        {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// The home page, in the shared page frame and the visitor's language.
async fn home(uri: axum::http::Uri, headers: HeaderMap) -> Markup {
    let lang = Lang::from_request(&uri, &headers);
    let body = match lang {
        Lang::En => include_str!("../../templates/home.html"),
        Lang::De => include_str!("../../templates/home_de.html"),
    };
    layout(lang, "Sightline", None, maud::PreEscaped(body.to_owned()))
}

/// The one stylesheet of every page: the UI, the home page, the public transparency pages and
/// the oversight report.
pub(crate) const STYLE: &str = include_str!("style.css");

const SESSION: &str = "sl_session";

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The CSRF token of a session: derived from the session secret, so it needs no storage.
fn csrf_for(session: &str) -> String {
    hex::encode(&Sha256::digest(format!("sightline-csrf:{session}").as_bytes())[..16])
}

/// A signed-in web user.
#[derive(Clone)]
pub struct WebUser {
    /// Who.
    pub who: Principal,
    /// CSRF token for this session's forms.
    pub csrf: String,
    /// Language.
    pub lang: Lang,
}

impl WebUser {
    /// The caller for the service layer (which checks every permission).
    pub fn caller(&self) -> sightline_service::Caller {
        sightline_service::Caller::User(self.who.clone())
    }

    /// Checks a submitted CSRF token.
    ///
    /// # Errors
    /// 403 when it does not match.
    pub fn check_csrf(&self, token: &str) -> Result<(), ApiError> {
        if token == self.csrf {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "the form's CSRF token is missing or wrong; reload the page",
            ))
        }
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        node: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/ui/login").into_response();
        let session = cookie(&parts.headers, SESSION).ok_or_else(to_login)?;
        let hash = crate::auth::hash_secret(&session);
        let state = node.clone();
        let kind = tokio::task::spawn_blocking(move || state.authenticate(&hash))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten();
        let Some(TokenKind::User(user)) = kind else {
            return Err(to_login());
        };
        if user.must_change_password {
            // The same rule as the API's: nothing else until the password is changed.
            return Err(crate::error::ApiError::forbidden(
                "choose a new password first (POST /api/v1/me/password)",
            )
            .into_response());
        }
        let agency = node.store.agency(&user.agency).map_err(|_| to_login())?;
        Ok(WebUser {
            who: Principal { user, agency },
            csrf: csrf_for(&session),
            lang: Lang::from_request(&parts.uri, &parts.headers),
        })
    }
}

/// The page frame: header with who is signed in, navigation, language switch.
pub fn layout(lang: Lang, title: &str, user: Option<&WebUser>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Sightline" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                a.skip href="#main" { (t(lang, "skip")) }
                header {
                    a.brand href="/" translate="no" { "Sightline" }
                    @if let Some(u) = user {
                        nav aria-label=(t(lang, "nav")) {
                            a href="/ui/search" { (t(lang, "search")) }
                            a href="/ui/alerts" { (t(lang, "alerts")) }
                            @if u.caller().require(sightline_types::Permission::SearchPlates).is_ok() {
                                a #nav-investigate href="/ui/investigate" { (t(lang, "inv_title")) }
                            }
                            @if u.caller().require(sightline_types::Permission::ManageHotlists).is_ok() || u.caller().require(sightline_types::Permission::ManageUsers).is_ok() {
                                a href="/ui/admin" { (t(lang, "admin")) }
                            }
                            @if u.caller().require(sightline_types::Permission::ReadAudit).is_ok() {
                                a href="/ui/audit" { (t(lang, "audit")) }
                            }
                            @if u.caller().require(sightline_types::Permission::ReviewFindings).is_ok() {
                                a href="/ui/findings" { (t(lang, "findings")) }
                            }
                            a href="/transparency" { (t(lang, "transparency")) }
                        }
                        p.who translate="no" {
                            span #who-name { (u.who.user.display_name) }
                            " · " span #who-agency { (u.who.agency.name) } " · " span #who-role { (u.who.user.role) }
                        }
                        p.account { a #account-link href="/ui/account" { (t(lang, "account")) } }
                        form method="post" action="/ui/logout" {
                            input type="hidden" name="csrf" value=(u.csrf);
                            button type="submit" { (t(lang, "logout")) }
                        }
                    }
                    p.lang aria-label=(t(lang, "lang_switch")) { a href="?lang=en" lang="en" hreflang="en" { "English" } " · " a href="?lang=de" lang="de" hreflang="de" { "Deutsch" } }
                }
                main #main { (body) }
            }
        }
    }
}

/// The sign-in form's CSRF cookie (double submit: the form carries the same random value).
const LOGIN_CSRF: &str = "sl_login_csrf";

async fn login_page(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    let lang = Lang::from_request(&uri, &headers);
    login_response(lang, None)
}

/// The sign-in page with a fresh CSRF value in the form and in a cookie.
fn login_response(lang: Lang, error: Option<&str>) -> Response {
    let token = sightline_service::secrets::new_secret("");
    let mut resp = with_lang(
        lang,
        layout(
            lang,
            t(lang, "signin"),
            None,
            login_form(lang, error, &token),
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF}={token}; Path=/ui/login; HttpOnly; SameSite=Strict; Max-Age=3600"
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn login_form(lang: Lang, error: Option<&str>, csrf: &str) -> Markup {
    html! {
        h1 { (t(lang, "signin")) }
        p { (t(lang, "signin_help")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/ui/login" {
            input type="hidden" name="csrf" value=(csrf);
            label for="username" { (t(lang, "username")) }
            input #username name="username" autocomplete="username" required;
            label for="password" { (t(lang, "password")) }
            input #password name="password" type="password" autocomplete="current-password" required;
            button #signin type="submit" { (t(lang, "signin")) }
        }
    }
}

/// Sets the language cookie when the page was asked for with `?lang=`.
fn with_lang(lang: Lang, page: Markup) -> Response {
    let mut resp = page.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "sl_lang={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login(
    State(node): State<AppState>,
    client: crate::auth::ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    // Login CSRF: the form must come from our own page (its cookie and field agree).
    if f.csrf.is_empty() || cookie(&headers, LOGIN_CSRF).as_deref() != Some(f.csrf.as_str()) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            login_response(lang, Some(t(lang, "form_expired"))),
        )
            .into_response();
    }
    let n = node.clone();
    let req = crate::admin::LoginRequest {
        username: f.username,
        password: f.password,
    };
    let result = tokio::task::spawn_blocking(move || n.login(&req, client.0)).await;
    match result {
        Ok(Ok(sightline_service::mfa::LoginOutcome::Mfa(c))) => {
            // The second step: a code page (after showing the secret once on first enrolment).
            let enrolment = if c.mfa == "enrol" {
                let n = node.clone();
                let req = sightline_service::mfa::MfaEnrolRequest {
                    challenge: c.challenge.clone(),
                };
                match tokio::task::spawn_blocking(move || n.mfa_enrol(&req)).await {
                    Ok(Ok(e)) => Some(e),
                    _ => return login_response(lang, Some(t(lang, "bad_login"))),
                }
            } else {
                None
            };
            mfa_page(lang, &f.csrf, &c.challenge, enrolment.as_ref(), None)
        }
        Ok(Ok(sightline_service::mfa::LoginOutcome::Token(login))) => {
            session_response(&node, &login)
        }
        Ok(Err(e)) if e.code() == sightline_types::ErrorCode::TooManyRequests => {
            login_response(lang, Some(&e.to_string()))
        }
        _ => login_response(lang, Some(t(lang, "bad_login"))),
    }
}

/// The code page of the second sign-in step (with the secret and recovery codes, shown once, on
/// first enrolment).
fn mfa_page(
    lang: Lang,
    csrf: &str,
    challenge: &str,
    enrolment: Option<&sightline_service::mfa::MfaEnrolment>,
    error: Option<&str>,
) -> Response {
    let body = html! {
        h1 { (t(lang, "signin")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if let Some(e) = enrolment {
            p { (t(lang, "mfa_enrol")) }
            p { (t(lang, "mfa_secret")) ": " code #mfa-secret { (e.secret) } }
            p { "URI: " code #mfa-uri { (e.otpauth_uri) } }
            p { (t(lang, "mfa_recovery")) }
            ul #mfa-recovery { @for c in &e.recovery_codes { li { code { (c) } } } }
        } @else {
            p { (t(lang, "mfa_enter")) }
        }
        form #mfa-form method="post" action="/ui/login/mfa" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="challenge" value=(challenge);
            label for="code" { (t(lang, "mfa_code")) }
            input #code name="code" autocomplete="one-time-code" inputmode="numeric" required;
            button #verify type="submit" { (t(lang, "signin")) }
        }
        @if enrolment.is_none() { (passkey::signin_part(lang)) }
    };
    layout(lang, t(lang, "signin"), None, body).into_response()
}

#[derive(Deserialize)]
struct MfaForm {
    challenge: String,
    code: String,
    #[serde(default)]
    csrf: String,
}

async fn login_mfa(
    State(node): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<MfaForm>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    if f.csrf.is_empty() || cookie(&headers, LOGIN_CSRF).as_deref() != Some(f.csrf.as_str()) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            login_response(lang, Some(t(lang, "form_expired"))),
        )
            .into_response();
    }
    let n = node.clone();
    let req = sightline_service::mfa::MfaVerify {
        challenge: f.challenge.clone(),
        code: f.code,
    };
    match tokio::task::spawn_blocking(move || n.mfa_verify(&req)).await {
        Ok(Ok(login)) => session_response(&node, &login),
        Ok(Err(e))
            if e.code() == sightline_types::ErrorCode::Unauthenticated
                && !e.to_string().contains("challenge") =>
        {
            mfa_page(lang, &f.csrf, &f.challenge, None, Some(&e.to_string()))
        }
        Ok(Err(e)) => login_response(lang, Some(&e.to_string())),
        Err(_) => login_response(lang, Some(t(lang, "bad_login"))),
    }
}

/// The session cookie for a token.
fn session_cookie(node: &AppState, login: &crate::admin::LoginResponse) -> String {
    let secure = if node.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        login.token,
        node.config.token_ttl_hours * 3600
    )
}

/// Sets the session cookie for a token and goes to the search page.
fn session_response(node: &AppState, login: &crate::admin::LoginResponse) -> Response {
    let cookie = session_cookie(node, login);
    let mut resp = Redirect::to("/ui/search").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(node): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = user.check_csrf(&f.csrf) {
        return e.into_response();
    }
    if let Some(s) = cookie(&headers, SESSION) {
        let caller = user.caller();
        let _ = tokio::task::spawn_blocking(move || node.logout(&caller, &s)).await;
    }
    let mut resp = Redirect::to("/ui/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("sl_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    resp
}

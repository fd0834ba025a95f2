//! Public transparency reports, and the oversight report over the node's own log.

use super::parse_json;
use super::{Path, Query};
use crate::AppState;
use crate::auth::UserAuth;
use crate::error::{ApiError, ApiResult};
use crate::transparency::AgencyReport;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use sightline_oversight::html::esc;
use sightline_types::AgencyId;

/// Transparency figures of every agency on the node (public).
#[utoipa::path(get, path = "/api/v1/transparency", tag = "transparency", responses((status = 200, body = [AgencyReport])))]
pub async fn all(State(node): State<AppState>) -> ApiResult<Json<Vec<AgencyReport>>> {
    let n = node.clone();
    let out = tokio::task::spawn_blocking(move || -> ApiResult<Vec<AgencyReport>> {
        n.store
            .agencies()?
            .iter()
            .map(|a| n.transparency(&a.id).map_err(ApiError::from))
            .collect()
    })
    .await??;
    Ok(Json(out))
}

/// One agency's transparency figures (public).
#[utoipa::path(get, path = "/api/v1/transparency/{agency}", tag = "transparency", params(("agency" = String, Path, description = "agency id")),
    responses((status = 200, body = AgencyReport), (status = 404, body = crate::error::ErrorBody)))]
pub async fn one(
    State(node): State<AppState>,
    Path(agency): Path<String>,
) -> ApiResult<Json<AgencyReport>> {
    let id = AgencyId::parse(&agency)?;
    Ok(Json(
        tokio::task::spawn_blocking(move || node.transparency(&id)).await??,
    ))
}

/// Body of `PUT /api/v1/transparency-note`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// The agency's text, published beside (never instead of) the computed figures.
    pub note: String,
}

/// Sets the caller's agency's note (admins; audited).
#[utoipa::path(put, path = "/api/v1/transparency-note", tag = "transparency", request_body = Note, security(("user_token" = [])),
    responses((status = 200, body = u64, content_type = "application/json", description = "audit sequence number")))]
pub async fn set_note(
    State(node): State<AppState>,
    auth: UserAuth,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<u64>> {
    let req: Note = parse_json(body)?;
    let caller = auth.caller();
    Ok(Json(
        tokio::task::spawn_blocking(move || node.set_transparency_note(&caller, &req.note))
            .await??,
    ))
}

fn render(r: &AgencyReport) -> String {
    let table = |m: &std::collections::BTreeMap<String, u64>| {
        if m.is_empty() {
            return "<p>none</p>".to_owned();
        }
        let rows: String = m
            .iter()
            .map(|(k, v)| format!("<tr><td>{}</td><td>{v}</td></tr>", esc(k)))
            .collect();
        format!("<table>{rows}</table>")
    };
    let retention = if r.retention_minutes >= 1440 {
        format!("{} days", r.retention_minutes / 1440)
    } else {
        format!("{} minutes", r.retention_minutes)
    };
    let cp = r
        .checkpoint
        .as_ref()
        .map_or("<p>No checkpoint signed yet.</p>".to_owned(), |c| {
            format!(
                "<p>Size {} · root <code>{}</code> · signed {} · key {}</p><pre>{}</pre>",
                c.size,
                esc(&c.root),
                c.time.to_rfc3339(),
                esc(&c.key_id),
                esc(&serde_json::to_string_pretty(c).unwrap_or_default())
            )
        });
    format!(
        "<section><h2 id=\"{id}\">{name}</h2><p>{kind} · {j} · figures computed from the audit log at {at}</p>\
         <table><tr><th>Cameras</th><td>{cams}</td></tr><tr><th>Retention of non-hit reads</th><td>{retention} ({packs})</td></tr>\
         <tr><th>Reads in the last 30 days</th><td>{reads}</td></tr></table><h3>Hot-list hits by outcome (confirmed vs false matches)</h3>{hits}\
         <h3>Hits on this agency's cameras reported to other agencies' lists, by list owner</h3>{others}\
         <h3>Searches by this agency's users, by purpose</h3>{purposes}<h3>… by outcome</h3>{outcomes}\
         <h3>Multi-location and convoy searches by this agency's users (counted apart), by kind and outcome</h3>{analysis}\
         <p>Uninvolved vehicles these searches revealed: {uninvolved}</p>\
         <h3>Searches refused access to this agency's data, by rule</h3>{denials}\
         <h3>Agencies that received this agency's data, with number of searches</h3>{partners}\
         <h3>Latest signed checkpoint of the audit log</h3>{cp}{note}</section>",
        id = esc(r.agency.id.as_str()),
        name = esc(&r.agency.name),
        kind = r.agency.kind,
        j = r.agency.jurisdiction,
        at = r.computed_at.to_rfc3339(),
        cams = r.cameras,
        packs = esc(&r.law_packs.join("; ")),
        reads = r.reads_last_30_days,
        purposes = table(&r.searches_by_purpose),
        outcomes = table(&r.searches_by_outcome),
        analysis = table(&r.analysis_searches),
        uninvolved = r.uninvolved_vehicles_revealed,
        denials = table(&r.denials_by_rule),
        partners = table(&r.sharing_partners),
        hits = table(&r.hotlist_hits),
        others = table(&r.hits_for_others),
        note = r.note.as_ref().map_or(String::new(), |n| format!(
            "<h3>Note from the agency (its own words)</h3><blockquote>{}</blockquote>",
            esc(n)
        )),
    )
}

fn page(title: &str, body: &str) -> Html<String> {
    // The one stylesheet of every page (web/style.css).
    Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
         <style>{style}</style></head><body><header><a class=brand href=\"/\">Sightline</a></header><main id=main><h1>{t}</h1>\
         <p>Every figure on this page is computed from the node's tamper-evident audit log and its store; the checkpoint lets anyone check later that the log was not rewritten (<code>sightline audit verify</code>).</p>{body}</main></body></html>",
        t = esc(title),
        style = crate::web::STYLE,
    ))
}

/// Public HTML page with every agency's report.
pub async fn page_all(State(node): State<AppState>) -> ApiResult<Html<String>> {
    let Json(reports) = all(State(node)).await?;
    let body: String = reports.iter().map(render).collect();
    Ok(page("Transparency report", &body))
}

/// Public HTML page of one agency.
pub async fn page_one(
    State(node): State<AppState>,
    Path(agency): Path<String>,
) -> ApiResult<Html<String>> {
    let Json(r) = one(State(node), Path(agency)).await?;
    Ok(page(
        &format!("Transparency report: {}", r.agency.name),
        &render(&r),
    ))
}

/// Query of the oversight report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OversightQuery {
    /// Retention the data was supposed to have, days (default 30).
    #[serde(default)]
    pub retention_days: Option<f64>,
    /// `json` (default) or `html`.
    #[serde(default)]
    pub format: Option<String>,
}

/// The oversight analysis over this node's own log: entries by or about the caller's agency (all
/// entries for the node operator). Auditors and admins.
#[utoipa::path(get, path = "/api/v1/oversight/report", tag = "audit", params(OversightQuery), security(("user_token" = [])),
    responses((status = 200, description = "oversight report (JSON or HTML)")))]
pub async fn oversight(
    State(node): State<AppState>,
    auth: UserAuth,
    Query(q): Query<OversightQuery>,
) -> ApiResult<Response> {
    let caller = auth.caller();
    let retention = q.retention_days.unwrap_or(30.0);
    let report =
        tokio::task::spawn_blocking(move || node.oversight_report(&caller, retention)).await??;
    Ok(match q.format.as_deref() {
        Some("html") => Html(sightline_oversight::html::render(
            &report,
            "Oversight report: this node's audit log",
        ))
        .into_response(),
        _ => Json(report).into_response(),
    })
}

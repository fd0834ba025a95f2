//! The auditor's pages: the log with filters and each entry's per-owner decisions, the
//! verification status and latest checkpoint, the oversight findings, and export downloads.

use super::i18n::t;
use super::{WebUser, layout};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

/// Filters of the log page.
#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    after: u64,
}

/// The log, its verification and checkpoint.
pub async fn page(
    State(node): State<AppState>,
    user: WebUser,
    Query(q): Query<LogQuery>,
) -> Response {
    let lang = user.lang;
    let (n, caller, action) = (node.clone(), user.caller(), q.action.clone());
    let data = tokio::task::spawn_blocking(move || {
        // The service checks `read_audit` and scopes the entries to the caller's agency.
        let entries = n.audit_entries(&caller, action.as_deref(), q.after, 200)?;
        Ok::<_, sightline_service::Error>((
            entries,
            n.verify_audit_incremental(&caller),
            n.audit.latest_checkpoint(),
        ))
    })
    .await;
    let (entries, report, checkpoint) = match data {
        Ok(Ok((e, Ok(r), Ok(c)))) => (e, r, c),
        Ok(Err(e)) => return crate::error::ApiError::from(e).into_response(),
        _ => {
            return crate::error::ApiError::new(
                sightline_types::ErrorCode::Unavailable,
                "audit log unavailable",
            )
            .into_response();
        }
    };
    let actions = [
        "",
        "search",
        "hotlist.hit",
        "hotlist.create",
        "hotlist.refused",
        "hotlist.ack",
        "sharing.create",
        "camera.create",
        "user.create",
        "retention.purge",
        "retention.done",
        "policy.update",
    ];
    let body = html! {
        h1 { (t(lang, "audit_log")) }
        p #verify-status role="status" {
            @if report.is_ok() { (t(lang, "verified")) ": " (report.entries) " " (t(lang, "verified_entries")) }
            @else { strong { (t(lang, "x_verify_failed")) } @for p in &report.problems { (p.what) "; " } }
        }
        @if let Some(cp) = &checkpoint {
            p { (t(lang, "cp_latest")) ": " (t(lang, "cp_size")) " " (cp.size) ", " (t(lang, "cp_root")) " " code { (cp.root) } ", " (t(lang, "cp_signed")) " " (cp.time.to_rfc3339()) ", " (t(lang, "cp_key")) " " code { (cp.key_id) } "." }
        }
        p { a href="/ui/audit/oversight" { (t(lang, "oversight_link")) } " · " a href="/ui/audit/export?format=jsonl" { (t(lang, "export_jsonl")) } " · " a href="/ui/audit/export?format=csv" { (t(lang, "export_csv")) } }
        form method="get" action="/ui/audit" {
            div.grid {
                div { label for="f-action" { (t(lang, "x_action")) } select #f-action name="action" { @for a in actions { option value=(a) selected[q.action.as_deref() == Some(a)] translate=[(!a.is_empty()).then_some("no")] { (if a.is_empty() { t(lang, "all") } else { a }) } } } }
                div { label for="f-after" { (t(lang, "x_after")) } input #f-after name="after" type="number" min="0" value=(q.after); }
            }
            button type="submit" { (t(lang, "filter")) }
        }
        table #entries {
            thead { tr { th { "#" } th { (t(lang, "x_time")) } th { (t(lang, "x_actor")) } th { (t(lang, "x_action")) } th { (t(lang, "x_outcome")) } th { (t(lang, "x_req_dec")) } } }
            tbody {
                @for e in &entries {
                    tr.entry {
                        td { (e.seq) } td { (e.time.format("%Y-%m-%d %H:%M:%S")) }
                        td translate="no" { (e.actor.name) @if let Some(a) = &e.actor.agency { br; small { (a) } } }
                        td translate="no" { (e.action) } td translate="no" { (e.outcome) }
                        td translate="no" {
                            @if let Some(r) = e.details.get("request") {
                                small { (r.get("purpose").and_then(|v| v.as_str()).unwrap_or("")) " · " (r.get("case_number").and_then(|v| v.as_str()).unwrap_or("")) " · " (r.get("reason").and_then(|v| v.as_str()).unwrap_or("")) }
                            }
                            @if let Some(ds) = e.details.get("decisions").and_then(|d| d.as_array()) {
                                ul { @for d in ds { li { (d.get("owner").and_then(|v| v.as_str()).unwrap_or("")) ": " (d.get("outcome").and_then(|v| v.as_str()).unwrap_or("")) " — " (d.get("rule").and_then(|v| v.as_str()).unwrap_or("")) " (" (d.get("citation").and_then(|v| v.as_str()).unwrap_or("")) ")" } } }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(user.lang, t(lang, "audit_log"), Some(&user), body).into_response()
}

/// The oversight report over the entries the user may see.
pub async fn oversight(State(node): State<AppState>, user: WebUser) -> Response {
    let (n, caller) = (node.clone(), user.caller());
    let lang = user.lang;
    match tokio::task::spawn_blocking(move || n.oversight_report(&caller, 30.0)).await {
        Ok(Ok(report)) => {
            // The report's own document in the page's language (purposes named by the UI's
            // labels), its body set in the shared page frame and stylesheet.
            let title = format!("{}: {}", t(lang, "oversight_title"), user.who.agency.name);
            let report_lang = match lang {
                super::i18n::Lang::En => sightline_oversight::html::Lang::En,
                super::i18n::Lang::De => sightline_oversight::html::Lang::De,
            };
            let purpose = |code: &str| {
                sightline_types::Purpose::parse(code)
                    .ok()
                    .map(|p| super::i18n::purpose_label(lang, p).to_owned())
            };
            let doc = sightline_oversight::html::render_in(&report, &title, report_lang, &purpose);
            let inner = doc
                .split_once("<body>")
                .and_then(|(_, b)| b.rsplit_once("</body>"))
                .map_or(doc.as_str(), |(b, _)| b);
            let body = html! { div.report { (maud::PreEscaped(inner)) } };
            layout(lang, t(lang, "oversight_link"), Some(&user), body).into_response()
        }
        Ok(Err(e)) => crate::error::ApiError::from(e).into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// Export format.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
}

/// Downloads the entries the user may see.
pub async fn export(
    State(node): State<AppState>,
    user: WebUser,
    Query(q): Query<ExportQuery>,
) -> Response {
    let csv = q.format.as_deref() == Some("csv");
    let (n, caller) = (node.clone(), user.caller());
    // The same export as the API's: scoped, and CSV cells escaped.
    let out = tokio::task::spawn_blocking(move || {
        n.export_audit(&caller, if csv { "csv" } else { "jsonl" })
    })
    .await;
    match out {
        Ok(Ok((body, _))) => {
            let (ctype, name) = if csv {
                ("text/csv; charset=utf-8", "audit.csv")
            } else {
                ("application/x-ndjson", "audit.jsonl")
            };
            (
                [
                    (header::CONTENT_TYPE, ctype.to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Ok(Err(e)) => crate::error::ApiError::from(e).into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

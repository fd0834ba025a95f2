//! The auditor's pages: the log with filters and each entry's per-owner decisions, the
//! verification status and latest checkpoint, the oversight findings, and export downloads.

use super::i18n::t;
use super::{WebUser, layout};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use sightline_audit::EntryFilter;
use sightline_types::Role;

fn allowed(user: &WebUser) -> bool {
    user.who.user.node_operator || matches!(user.who.user.role, Role::Auditor | Role::Admin)
}

fn filter(user: &WebUser, action: Option<String>, after: u64, limit: usize) -> EntryFilter {
    EntryFilter {
        agency: (!user.who.user.node_operator).then(|| user.who.agency.id.clone()),
        action: action.filter(|a| !a.is_empty()),
        after_seq: after,
        limit,
    }
}

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
    if !allowed(&user) {
        return crate::error::ApiError::forbidden("the audit pages need the auditor or admin role")
            .into_response();
    }
    let (n, f) = (node.clone(), filter(&user, q.action.clone(), q.after, 200));
    let caller = user.caller();
    let data = tokio::task::spawn_blocking(move || {
        (
            n.audit.entries(&f),
            n.verify_audit_incremental(&caller),
            n.audit.latest_checkpoint(),
        )
    })
    .await;
    let Ok((Ok(entries), Ok(report), Ok(checkpoint))) = data else {
        return crate::error::ApiError::new(
            sightline_types::ErrorCode::Unavailable,
            "audit log unavailable",
        )
        .into_response();
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
        "policy.update",
    ];
    let body = html! {
        h1 { (t(lang, "audit_log")) }
        p #verify-status role="status" {
            @if report.is_ok() { "Verified: " (report.entries) " entries, every hash and checkpoint checks." }
            @else { strong { (t(lang, "x_verify_failed")) } @for p in &report.problems { (p.what) "; " } }
        }
        @if let Some(cp) = &checkpoint {
            p { "Latest signed checkpoint: size " (cp.size) ", root " code { (cp.root) } ", signed " (cp.time.to_rfc3339()) ", key " (cp.key_id) "." }
        }
        p { a href="/ui/audit/oversight" { (t(lang, "oversight_link")) } " · " a href="/ui/audit/export?format=jsonl" { (t(lang, "export_jsonl")) } " · " a href="/ui/audit/export?format=csv" { (t(lang, "export_csv")) } }
        form method="get" action="/ui/audit" {
            div.grid {
                div { label for="f-action" { (t(lang, "x_action")) } select #f-action name="action" { @for a in actions { option value=(a) selected[q.action.as_deref() == Some(a)] { (if a.is_empty() { "(all)" } else { a }) } } } }
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
                        td { (e.actor.name) @if let Some(a) = &e.actor.agency { br; small { (a) } } }
                        td { (e.action) } td { (e.outcome) }
                        td {
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
    layout(user.lang, "Audit log", Some(&user), body).into_response()
}

/// The oversight report over the entries the user may see.
pub async fn oversight(State(node): State<AppState>, user: WebUser) -> Response {
    if !allowed(&user) {
        return crate::error::ApiError::forbidden("the audit pages need the auditor or admin role")
            .into_response();
    }
    let f = filter(&user, Some("search".into()), 0, 1_000_000);
    let n = node.clone();
    match tokio::task::spawn_blocking(move || n.audit.entries(&f)).await {
        Ok(Ok(entries)) => {
            let (records, summary) = sightline_oversight::read_sightline_entries(&entries);
            let report = sightline_oversight::analyze(&records, vec![summary], 30.0);
            Html(sightline_oversight::html::render(
                &report,
                &format!("Oversight: {}", user.who.agency.name),
            ))
            .into_response()
        }
        _ => crate::error::ApiError::new(
            sightline_types::ErrorCode::Unavailable,
            "audit log unavailable",
        )
        .into_response(),
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
    if !allowed(&user) {
        return crate::error::ApiError::forbidden("the audit pages need the auditor or admin role")
            .into_response();
    }
    let csv = q.format.as_deref() == Some("csv");
    let f = filter(&user, None, 0, 1_000_000);
    let n = node.clone();
    let out = tokio::task::spawn_blocking(move || -> Option<Vec<u8>> {
        let entries = n.audit.entries(&f).ok()?;
        let mut out = Vec::new();
        if csv {
            sightline_audit::write_csv(entries.iter(), &mut out).ok()?;
        } else {
            for e in &entries {
                out.extend(e.canonical_bytes().ok()?);
                out.push(b'\n');
            }
        }
        Some(out)
    })
    .await;
    match out {
        Ok(Some(body)) => {
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
        _ => crate::error::ApiError::new(
            sightline_types::ErrorCode::Unavailable,
            "audit log unavailable",
        )
        .into_response(),
    }
}

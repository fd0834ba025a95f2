//! The review queue: the usage watch's findings the signed-in supervisor or auditor may review,
//! each with the searches behind it and a decision form. Same services as the API.

use super::i18n::t;
use super::{WebUser, layout};
use crate::AppState;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use sightline_service::findings::ReviewRequest;

/// The queue; `?open=ID` also shows that finding with the searches behind it (the same service
/// call as `GET /api/v1/findings/{id}`: only findings the caller may review).
pub async fn page(State(node): State<AppState>, user: WebUser, uri: axum::http::Uri) -> Response {
    let caller = user.caller();
    let n = node.clone();
    let found = match tokio::task::spawn_blocking(move || n.findings(&caller, false)).await {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return crate::error::ApiError::from(e).into_response(),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let lang = user.lang;
    let open = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("open="))
        .map(|v| v.parse::<i64>());
    let detail = match open {
        None => None,
        Some(Err(_)) => Some(html! { p.error role="alert" { (t(lang, "f_bad_id")) } }),
        Some(Ok(id)) => {
            let (n, caller) = (node.clone(), user.caller());
            Some(
                match tokio::task::spawn_blocking(move || n.finding(&caller, id)).await {
                    Ok(Ok(d)) => detail_view(lang, &d),
                    Ok(Err(e)) => html! {
                        p.error role="alert" { (super::messages::service_error(lang, &e)) }
                    },
                    Err(_) => html! { p.error role="alert" { (t(lang, "internal_error")) } },
                },
            )
        }
    };
    let body = html! {
        h1 { (t(lang, "findings")) }
        p { (t(lang, "findings_intro")) }
        @if let Some(d) = detail { (d) }
        @if found.is_empty() { p #no-findings { (t(lang, "no_findings")) } }
        table #findings {
            thead { tr { th { "#" } th { (t(lang, "f_kind")) } th { (t(lang, "f_who")) } th { (t(lang, "f_what")) } th { (t(lang, "f_entries")) } th { (t(lang, "f_decision")) } } }
            tbody {
                @for f in &found {
                    tr {
                        td { (f.id) }
                        td translate="no" { (f.finding.kind.code()) }
                        td translate="no" { (f.finding.agency) " / " (f.finding.user) }
                        // The usage watch's summary in the page's language (by its key).
                        td { (super::messages::finding_summary(lang, &f.finding)) }
                        td {
                            (f.finding.entries.iter().map(u64::to_string).collect::<Vec<_>>().join(", "))
                            " " a.open-finding href=(format!("/ui/findings?open={}#finding-detail", f.id)) { (t(lang, "f_open")) }
                        }
                        td {
                            @if let Some(r) = &f.review {
                                span translate="no" { (r.decision) } " " (t(lang, "f_by")) " " span translate="no" { (r.by) ": " (r.note) }
                            } @else {
                                form method="post" action=(format!("/ui/findings/{}/review", f.id)) {
                                    input type="hidden" name="csrf" value=(user.csrf);
                                    select name="decision" aria-label=(t(lang, "f_decision")) {
                                        option value="justified" { (t(lang, "d_justified")) }
                                        option value="referred" { (t(lang, "d_referred")) }
                                        option value="misuse_confirmed" { (t(lang, "d_misuse_confirmed")) }
                                    }
                                    input name="note" required aria-label=(t(lang, "f_note")) placeholder=(t(lang, "f_why"));
                                    button type="submit" { (t(lang, "f_record")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(lang, t(lang, "findings"), Some(&user), body).into_response()
}

/// One finding with the searches that raised it: who, when, purpose, case, reason, query and
/// outcome of each, from their audit entries.
fn detail_view(lang: super::i18n::Lang, d: &sightline_service::findings::FindingDetail) -> Markup {
    let s = |v: Option<&serde_json::Value>| -> String {
        match v {
            Some(serde_json::Value::String(x)) => x.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    };
    html! {
        section #finding-detail {
            h2 { (t(lang, "f_searches")) " — #" (d.finding.id) }
            p { (super::messages::finding_summary(lang, &d.finding.finding)) }
            div.table-scroll {
                table #finding-searches {
                    thead { tr {
                        th scope="col" { (t(lang, "audited")) } th scope="col" { (t(lang, "time")) }
                        th scope="col" { (t(lang, "f_who")) } th scope="col" { (t(lang, "purpose")) }
                        th scope="col" { (t(lang, "case")) } th scope="col" { (t(lang, "reason")) }
                        th scope="col" { (t(lang, "kind")) } th scope="col" { (t(lang, "outcome")) }
                    } }
                    tbody {
                        @for e in &d.searches {
                            @let req = e.details.get("request");
                            tr.finding-search {
                                td { (e.seq) }
                                td { (e.time.format("%Y-%m-%d %H:%M:%S")) }
                                td translate="no" { (e.actor.agency.as_ref().map(|a| a.to_string()).unwrap_or_default()) " / " (e.actor.name) }
                                td translate="no" { (s(req.and_then(|r| r.get("purpose")))) }
                                td translate="no" { (s(req.and_then(|r| r.get("case_number")))) }
                                td translate="no" { (s(req.and_then(|r| r.get("reason")))) }
                                td translate="no" { code { (s(req.and_then(|r| r.get("query")))) } }
                                td translate="no" { (e.outcome) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    csrf: String,
    decision: String,
    note: String,
}

/// Records a decision from the form.
pub async fn review(
    State(node): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> Response {
    if let Err(e) = user.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let caller = user.caller();
    let req = ReviewRequest {
        decision: f.decision,
        note: f.note,
    };
    match tokio::task::spawn_blocking(move || node.review_finding(&caller, id, &req)).await {
        Ok(Ok(_)) => Redirect::to("/ui/findings").into_response(),
        Ok(Err(e)) => crate::error::ApiError::from(e).into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

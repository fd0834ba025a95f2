//! The review queue: the usage watch's findings the signed-in supervisor or auditor may review,
//! each with the searches behind it and a decision form. Same services as the API.

use super::i18n::t;
use super::{WebUser, layout};
use crate::AppState;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use sightline_service::findings::ReviewRequest;

/// The queue.
pub async fn page(State(node): State<AppState>, user: WebUser) -> Response {
    let caller = user.caller();
    let n = node.clone();
    let found = match tokio::task::spawn_blocking(move || n.findings(&caller, false)).await {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return crate::error::ApiError::from(e).into_response(),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let lang = user.lang;
    let body = html! {
        h1 { (t(lang, "findings")) }
        p { (t(lang, "findings_intro")) }
        @if found.is_empty() { p #no-findings { (t(lang, "no_findings")) } }
        table #findings {
            thead { tr { th { "#" } th { (t(lang, "f_kind")) } th { (t(lang, "f_who")) } th { (t(lang, "f_what")) } th { (t(lang, "f_entries")) } th { (t(lang, "f_decision")) } } }
            tbody {
                @for f in &found {
                    tr {
                        td { (f.id) }
                        td translate="no" { (f.finding.kind.code()) }
                        td translate="no" { (f.finding.agency) " / " (f.finding.user) }
                        // The usage watch's summary, stored in English with the finding.
                        td lang="en" translate="no" { (f.finding.summary) }
                        td { (f.finding.entries.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")) }
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

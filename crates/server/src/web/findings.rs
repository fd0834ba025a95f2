//! The review queue: the usage watch's findings the signed-in supervisor or auditor may review,
//! each with the searches behind it and a decision form. Same services as the API.

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
        h1 { "Findings" }
        p { "Patterns the usage watch found in searches (see the README's detectors). Open the searches behind a finding in the audit log by their entry numbers, then record a decision with a note." }
        @if found.is_empty() { p #no-findings { "No findings." } }
        table #findings {
            thead { tr { th { "#" } th { "kind" } th { "agency / user" } th { "what" } th { "audit entries" } th { "decision" } } }
            tbody {
                @for f in &found {
                    tr {
                        td { (f.id) }
                        td { (f.finding.kind.code()) }
                        td { (f.finding.agency) " / " (f.finding.user) }
                        td { (f.finding.summary) }
                        td { (f.finding.entries.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")) }
                        td {
                            @if let Some(r) = &f.review {
                                (r.decision) " by " (r.by) ": " (r.note)
                            } @else {
                                form method="post" action=(format!("/ui/findings/{}/review", f.id)) {
                                    input type="hidden" name="csrf" value=(user.csrf);
                                    select name="decision" {
                                        option value="justified" { "justified" }
                                        option value="referred" { "referred" }
                                        option value="misuse_confirmed" { "misuse confirmed" }
                                    }
                                    input name="note" required placeholder="why";
                                    button type="submit" { "Record" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(lang, "Findings", Some(&user), body).into_response()
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

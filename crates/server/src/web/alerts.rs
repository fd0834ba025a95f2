//! The alerts page: recent hits with acknowledge forms, and new hits live over Server-Sent Events.

use super::i18n::t;
use super::{WebUser, layout};
use crate::AppState;
use axum::extract::{Form, Path, State};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use sightline_hotlist::{ACK_OUTCOMES, Hit};
use std::convert::Infallible;

/// An acknowledgement outcome's label (the code is what the form sends).
fn ack_label(lang: super::i18n::Lang, outcome: &str) -> &'static str {
    match outcome {
        "confirmed" => t(lang, "ack_confirmed"),
        "wrong_state" => t(lang, "ack_wrong_state"),
        "misread" => t(lang, "ack_misread"),
        _ => t(lang, "ack_dismissed"),
    }
}

fn hit_view(user: &WebUser, h: &Hit) -> Markup {
    let lang = user.lang;
    html! {
        div.hit.acked[h.outcome.is_some()] data-hit=(h.id) {
            span translate="no" { strong { (h.plate_read) } } @if h.fuzzy { " (" (t(lang, "fuzzy")) ": " span translate="no" { (h.plate_listed) } ")" }
            " · " span translate="no" { (h.list_name) " · " (h.reason) } br;
            span translate="no" { (h.camera_name) } " · " (h.captured_at.format("%Y-%m-%d %H:%M:%S"))
            @if let Some(o) = &h.outcome {
                p.outcome { (t(lang, "outcome")) ": " (ack_label(lang, o)) }
            } @else {
                form method="post" action=(format!("/ui/alerts/{}/ack", h.id)) {
                    input type="hidden" name="csrf" value=(user.csrf);
                    label for=(format!("outcome-{}", h.id)) { (t(lang, "outcome")) }
                    select id=(format!("outcome-{}", h.id)) name="outcome" { @for o in ACK_OUTCOMES { option value=(o) { (ack_label(lang, o)) } } }
                    button.ack type="submit" { (t(lang, "ack")) }
                }
            }
        }
    }
}

/// Recent hits and the live list.
pub async fn page(State(node): State<AppState>, user: WebUser) -> Response {
    let lang = user.lang;
    let hits = node
        .hotlists
        .hits_for(&user.who.agency.id, 100)
        .unwrap_or_default();
    let body = html! {
        h1 { (t(lang, "alerts")) }
        p { (t(lang, "live")) }
        div #hits data-csrf=(user.csrf) data-outcome=(t(lang, "outcome")) data-ack=(t(lang, "ack")) data-fuzzy=(t(lang, "fuzzy"))
            data-outcomes=(ACK_OUTCOMES.iter().map(|o| format!("{o}={}", ack_label(lang, o))).collect::<Vec<_>>().join("|")) aria-live="polite" {
            @for h in &hits { (hit_view(&user, h)) }
            @if hits.is_empty() { p #no-hits { (t(lang, "none_yet")) } }
        }
        script { (maud::PreEscaped(r#"
            (function(){var box=document.getElementById('hits');var csrf=box.dataset.csrf;
            var es=new EventSource('/ui/alerts/stream');
            es.addEventListener('hit',function(ev){var h=JSON.parse(ev.data);var n=document.getElementById('no-hits');if(n)n.remove();
              var d=document.createElement('div');d.className='hit';d.dataset.hit=h.id;
              var s=document.createElement('strong');s.textContent=h.plate_read;d.appendChild(s);
              var i=document.createElement('span');i.translate=false;i.textContent=' · '+h.list_name+' · '+h.reason+' · '+h.camera_name;d.appendChild(i);
              if(h.fuzzy)d.appendChild(document.createTextNode(' ('+box.dataset.fuzzy+')'));
              var f=document.createElement('form');f.method='post';f.action='/ui/alerts/'+h.id+'/ack';
              var c=document.createElement('input');c.type='hidden';c.name='csrf';c.value=csrf;f.appendChild(c);
              var l=document.createElement('label');l.htmlFor='outcome-'+h.id;l.textContent=box.dataset.outcome;f.appendChild(l);
              var sel=document.createElement('select');sel.id='outcome-'+h.id;sel.name='outcome';
              box.dataset.outcomes.split('|').forEach(function(kv){var p=kv.split('=');var o=document.createElement('option');o.value=p[0];o.textContent=p[1];sel.appendChild(o);});
              f.appendChild(sel);var bt=document.createElement('button');bt.className='ack';bt.type='submit';bt.textContent=box.dataset.ack;f.appendChild(bt);
              d.appendChild(f);box.prepend(d);});})();"#)) }
    };
    layout(lang, t(lang, "alerts"), Some(&user), body).into_response()
}

/// Live hits for the signed-in user's agency (cookie session).
pub async fn stream(
    State(node): State<AppState>,
    user: WebUser,
) -> Result<Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>>, crate::error::ApiError>
{
    crate::api::hotlists::alert_events(&node, user.caller())
}

#[derive(Deserialize)]
pub struct AckForm {
    csrf: String,
    outcome: String,
}

/// Acknowledges a hit from the form.
pub async fn ack(
    State(node): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(f): Form<AckForm>,
) -> Response {
    if let Err(e) = user.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let caller = user.caller();
    match tokio::task::spawn_blocking(move || node.acknowledge_hit(&caller, id, &f.outcome)).await {
        Ok(Ok(_)) => Redirect::to("/ui/alerts").into_response(),
        Ok(Err(e)) => crate::error::ApiError::from(e).into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

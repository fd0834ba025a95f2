//! The search page: purpose, case number, reason, on-behalf-of and the query; a camera picker
//! (by name, owner or on the map) and an area; results as a table and on the base map (cameras,
//! sightings, the path in time order with times, a time slider); the per-owner panel saying who
//! contributed and who refused, with the rule and statute; and the officer's saved searches.

use super::i18n::{Lang, t};
use super::map;
use super::{WebUser, layout};
use crate::AppState;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use sightline_types::{
    Agency, Camera, DescriptionQuery, GeoRadius, OwnerDecision, OwnerOutcome, PlateQuery, Purpose,
    SavedSearch, SavedSearchSpec, SearchQuery, SearchRequest, SearchResponse, StoredRead,
    TimeWindow,
};
use std::collections::BTreeMap;

/// The search form as submitted (the camera picker's ticked boxes come separately: a form
/// repeats the `cameras` key once per camera).
#[derive(Debug, Default)]
pub struct SearchForm {
    csrf: String,
    purpose: String,
    case_number: String,
    reason: String,
    on_behalf_of: String,
    kind: String,
    plate: String,
    colour: String,
    vehicle_type: String,
    hours: i64,
    area_lat: String,
    area_lon: String,
    area_km: String,
    saved_name: String,
    cameras: Vec<i64>,
}

impl SearchForm {
    /// Reads the form's fields; unknown keys are ignored, a bad number reads as unset.
    fn from_pairs(pairs: Vec<(String, String)>) -> SearchForm {
        let mut f = SearchForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "purpose" => f.purpose = v,
                "case_number" => f.case_number = v,
                "reason" => f.reason = v,
                "on_behalf_of" => f.on_behalf_of = v,
                "kind" => f.kind = v,
                "plate" => f.plate = v,
                "colour" => f.colour = v,
                "vehicle_type" => f.vehicle_type = v,
                "hours" => f.hours = v.trim().parse().unwrap_or(0),
                "area_lat" => f.area_lat = v,
                "area_lon" => f.area_lon = v,
                "area_km" => f.area_km = v,
                "saved_name" => f.saved_name = v,
                "cameras" => {
                    if let Ok(id) = v.trim().parse::<i64>()
                        && !f.cameras.contains(&id)
                    {
                        f.cameras.push(id);
                    }
                }
                _ => {}
            }
        }
        f
    }

    /// The form of a saved search (to show what ran).
    fn from_spec(s: &SavedSearchSpec, csrf: &str) -> SearchForm {
        let (kind, plate) = match &s.plate {
            Some(PlateQuery::Exact(p)) => ("exact", p.clone()),
            Some(PlateQuery::Wildcard(p)) => ("wildcard", p.clone()),
            Some(PlateQuery::Fuzzy(p)) => ("fuzzy", p.clone()),
            None => ("description", String::new()),
        };
        let d = s.description.clone().unwrap_or_default();
        SearchForm {
            csrf: csrf.to_owned(),
            purpose: s.purpose.clone(),
            case_number: s.case_number.clone(),
            reason: s.reason.clone().unwrap_or_default(),
            on_behalf_of: s.on_behalf_of.clone().unwrap_or_default(),
            kind: kind.into(),
            plate,
            colour: d.colour.unwrap_or_default(),
            vehicle_type: d.vehicle_type.unwrap_or_default(),
            hours: i64::from(s.hours),
            area_lat: s.area.map(|a| a.lat.to_string()).unwrap_or_default(),
            area_lon: s.area.map(|a| a.lon.to_string()).unwrap_or_default(),
            area_km: s
                .area
                .map(|a| (a.radius_m / 1000.0).to_string())
                .unwrap_or_default(),
            saved_name: s.name.clone(),
            cameras: s.cameras.clone().unwrap_or_default(),
        }
    }

    fn area(&self) -> Option<GeoRadius> {
        match (
            self.area_lat.trim().parse::<f64>(),
            self.area_lon.trim().parse::<f64>(),
            self.area_km.trim().parse::<f64>(),
        ) {
            (Ok(lat), Ok(lon), Ok(km)) => Some(GeoRadius {
                lat,
                lon,
                radius_m: km * 1000.0,
            }),
            _ => None,
        }
    }

    /// What the form asks for, as a saved search's spec (the window as "the last hours").
    fn spec(&self) -> SavedSearchSpec {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let plate = match self.kind.as_str() {
            "exact" => Some(PlateQuery::Exact(self.plate.clone())),
            "wildcard" => Some(PlateQuery::Wildcard(self.plate.clone())),
            "fuzzy" => Some(PlateQuery::Fuzzy(self.plate.clone())),
            _ => None,
        };
        SavedSearchSpec {
            name: self.saved_name.clone(),
            purpose: self.purpose.clone(),
            case_number: self.case_number.clone(),
            reason: opt(&self.reason),
            on_behalf_of: opt(&self.on_behalf_of),
            description: plate.is_none().then(|| DescriptionQuery {
                colour: opt(&self.colour),
                vehicle_type: opt(&self.vehicle_type),
                make: None,
            }),
            plate,
            hours: u32::try_from(self.hours.clamp(1, 8784)).unwrap_or(48),
            cameras: (!self.cameras.is_empty()).then(|| self.cameras.clone()),
            area: self.area(),
        }
    }

    /// The request this form makes now: the spec's, except that an empty purpose or case
    /// number stays empty (the search refuses it, audited).
    fn request(&self, now: chrono::DateTime<Utc>) -> SearchRequest {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let mut req = self.spec().request(now, true);
        req.purpose = opt(&self.purpose);
        req.case_number = opt(&self.case_number);
        req
    }
}

/// The cameras as map markers (hit-only and selection flags from the node and the form).
fn markers<'a>(node: &AppState, cameras: &'a [Camera], selected: &[i64]) -> Vec<map::Marker<'a>> {
    cameras
        .iter()
        .map(|c| map::Marker {
            id: c.id.0,
            name: &c.name,
            owner: c.owner.as_str(),
            lat: c.lat,
            lon: c.lon,
            heading: c.bearing,
            hit_only: node.hotlists.is_hit_only(c.id.0),
            selected: selected.contains(&c.id.0),
        })
        .collect()
}

fn owner_names(agencies: &[Agency]) -> BTreeMap<String, String> {
    agencies
        .iter()
        .map(|a| (a.id.to_string(), a.name.clone()))
        .collect()
}

/// The camera picker: a map (click a camera to pick it, elsewhere to set the area's centre)
/// and the list of cameras, filtered by name and owner.
fn picker(
    lang: Lang,
    f: &SearchForm,
    cameras: &[Camera],
    marks: Vec<map::Marker<'_>>,
    agencies: &[Agency],
) -> Markup {
    if cameras.is_empty() {
        return html! {};
    }
    let names = owner_names(agencies);
    let open = !f.cameras.is_empty() || f.area().is_some();
    let mut m = map::Map::new(
        "area-map",
        t(lang, "map_picker"),
        map::Bounds::around(cameras.iter().map(|c| (c.lat, c.lon)), 25.0)
            .unwrap_or(map::Bounds::US),
    );
    m.width = 640;
    m.height = 360;
    m.cameras = marks;
    m.pick = map::Pick::CamerasAndArea;
    m.owner_names = names.clone();
    let area = f.area();
    if let Some(a) = &area {
        m.circles.push(map::Circle {
            lat: a.lat,
            lon: a.lon,
            radius_m: a.radius_m,
            label: "",
        });
    }
    let owners: Vec<&str> = {
        let mut o: Vec<&str> = cameras.iter().map(|c| c.owner.as_str()).collect();
        o.sort_unstable();
        o.dedup();
        o
    };
    html! {
        details #picker open[open] {
            summary { (t(lang, "area")) " · " (t(lang, "cam_picker")) }
            (m.render(lang))
            fieldset #camera-picker {
                legend { (t(lang, "cam_picker")) " — " span #picked-count { (f.cameras.len()) } " " (t(lang, "picked")) }
                div.grid {
                    div { label for="cam-filter" { (t(lang, "cam_filter")) } input #cam-filter type="search" autocomplete="off"; }
                    div {
                        label for="cam-owner" { (t(lang, "cam_owner")) }
                        select #cam-owner {
                            option value="" { (t(lang, "all_owners")) }
                            @for o in &owners { option value=(o) { (names.get(*o).map_or(*o, String::as_str)) } }
                        }
                    }
                }
                button #pick-shown type="button" { (t(lang, "pick_shown")) }
                " "
                button #pick-none type="button" { (t(lang, "pick_none")) }
                div #camera-list {
                    @for o in &owners {
                        div.cam-group data-owner=(o) {
                            p.cam-owner { (names.get(*o).map_or(*o, String::as_str)) }
                            @for c in cameras.iter().filter(|c| c.owner.as_str() == *o) {
                                label.cam-choice { input type="checkbox" name="cameras" value=(c.id.0) checked[f.cameras.contains(&c.id.0)]; " " (c.name) }
                            }
                        }
                    }
                }
            }
            script { (PreEscaped(PICKER_JS)) }
        }
    }
}

/// Filters the camera list by name and owner; picks all shown or none; counts the picked.
const PICKER_JS: &str = r#"(function(){var q=document.getElementById('cam-filter'),o=document.getElementById('cam-owner'),list=document.getElementById('camera-list');if(!list)return;
var rows=list.querySelectorAll('label.cam-choice');
function count(){document.getElementById('picked-count').textContent=list.querySelectorAll('input:checked').length;}
function filter(){var s=q.value.trim().toLowerCase(),w=o.value;rows.forEach(function(r){r.hidden=!((!s||r.textContent.toLowerCase().indexOf(s)>=0)&&(!w||r.parentNode.dataset.owner===w));});
list.querySelectorAll('.cam-group').forEach(function(g){g.hidden=!g.querySelector('label.cam-choice:not([hidden])');});}
q.addEventListener('input',filter);o.addEventListener('change',filter);
function set(all){rows.forEach(function(r){var b=r.querySelector('input');if(all&&r.hidden)return;if(b.checked!==all){b.checked=all;b.dispatchEvent(new Event('change',{bubbles:true}));}});count();}
document.getElementById('pick-shown').addEventListener('click',function(){set(true);});
document.getElementById('pick-none').addEventListener('click',function(){set(false);});
list.addEventListener('change',count);})();"#;

/// The officer's saved searches, each with a button that runs it again and one that deletes it.
fn saved_list(lang: Lang, csrf: &str, saved: &[SavedSearch]) -> Markup {
    html! {
        section #saved-searches {
            h2 { (t(lang, "saved_h")) }
            @if saved.is_empty() {
                p { (t(lang, "saved_none")) }
            } @else {
                table #saved {
                    thead { tr { th { (t(lang, "name")) } th { (t(lang, "purpose")) } th { (t(lang, "case")) } th { (t(lang, "saved_query")) } th { "" } } }
                    tbody {
                        @for s in saved {
                            tr.saved data-id=(s.id) {
                                td { (s.spec.name) } td { (s.spec.purpose) } td { (s.spec.case_number) }
                                td { (query_summary(lang, &s.spec)) }
                                td { form.inline method="post" action=(format!("/ui/search/saved/{}/run", s.id)) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.run-saved type="submit" { (t(lang, "saved_run")) }
                                }
                                " "
                                form.inline method="post" action=(format!("/ui/search/saved/{}/delete", s.id)) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.delete-saved type="submit" aria-label=(format!("{} {}", t(lang, "saved_delete"), s.spec.name)) { (t(lang, "saved_delete")) }
                                } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn query_summary(lang: Lang, s: &SavedSearchSpec) -> String {
    let what = match (&s.plate, &s.description) {
        (Some(PlateQuery::Exact(p)), _) => p.clone(),
        (Some(PlateQuery::Wildcard(p)), _) => format!("{p} (wildcard)"),
        (Some(PlateQuery::Fuzzy(p)), _) => format!("{p} (fuzzy)"),
        (None, Some(d)) => [d.colour.clone(), d.vehicle_type.clone(), d.make.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        (None, None) => String::new(),
    };
    let mut out = format!("{what} · {} h", s.hours);
    if let Some(c) = &s.cameras {
        out.push_str(&format!(" · {} {}", c.len(), t(lang, "n_cameras")));
    }
    if let Some(a) = &s.area {
        out.push_str(&format!(
            " · {:.1} {} {:.4}, {:.4}",
            a.radius_m / 1000.0,
            t(lang, "km_around"),
            a.lat,
            a.lon
        ));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn form(
    lang: Lang,
    csrf: &str,
    own_agency: &str,
    can_save: bool,
    agencies: &[Agency],
    f: &SearchForm,
    cameras: &[Camera],
    marks: Vec<map::Marker<'_>>,
) -> Markup {
    html! {
        form #search-form method="post" action="/ui/search" {
            input type="hidden" name="csrf" value=(csrf);
            div.grid {
                div {
                    label for="purpose" { (t(lang, "purpose")) }
                    select #purpose name="purpose" required {
                        @for p in Purpose::ALL {
                            option value=(p.code()) selected[f.purpose == p.code()] { (super::i18n::purpose_label(lang, *p)) }
                        }
                    }
                }
                div { label for="case_number" { (t(lang, "case")) } input #case_number name="case_number" value=(f.case_number) required; }
                div { label for="reason" { (t(lang, "reason")) } input #reason name="reason" value=(f.reason); }
                div {
                    label for="on_behalf_of" { (t(lang, "behalf")) }
                    select #on_behalf_of name="on_behalf_of" {
                        option value="" { (t(lang, "nobody")) }
                        @for a in agencies.iter().filter(|a| a.id.as_str() != own_agency) {
                            option value=(a.id) selected[f.on_behalf_of == a.id.as_str()] translate="no" { (a.name) }
                        }
                    }
                }
                div {
                    label for="kind" { (t(lang, "kind")) }
                    select #kind name="kind" {
                        @for (k, label) in [("exact", "kind_exact"), ("wildcard", "kind_wildcard"), ("fuzzy", "kind_fuzzy"), ("description", "kind_description")] { option value=(k) selected[f.kind == k] { (t(lang, label)) } }
                    }
                }
                div { label for="plate" { (t(lang, "plate")) } input #plate name="plate" value=(f.plate); }
                div { label for="colour" { (t(lang, "colour")) } input #colour name="colour" value=(f.colour); }
                div { label for="vehicle_type" { (t(lang, "vtype")) } input #vehicle_type name="vehicle_type" value=(f.vehicle_type); }
                div { label for="hours" { (t(lang, "hours")) } input #hours name="hours" type="number" min="1" max="8784" value=(if f.hours > 0 { f.hours } else { 48 }); }
                div { label for="area_lat" { (t(lang, "area_lat")) } input #area_lat name="area_lat" value=(f.area_lat); }
                div { label for="area_lon" { (t(lang, "area_lon")) } input #area_lon name="area_lon" value=(f.area_lon); }
                div { label for="area_km" { (t(lang, "area_km")) } input #area_km name="area_km" value=(f.area_km); }
            }
            (picker(lang, f, cameras, marks, agencies))
            button #run type="submit" { (t(lang, "run")) }
            @if can_save {
                div.save-search {
                    label for="saved_name" { (t(lang, "saved_name")) }
                    " "
                    input #saved_name name="saved_name" value=(f.saved_name) maxlength="100";
                    " "
                    button #save-search type="submit" formaction="/ui/search/save" { (t(lang, "save_search")) }
                }
            }
        }
    }
}

/// Everything a search page shows around an answer (or an error, or nothing yet).
struct PageParts<'a> {
    form: &'a SearchForm,
    notice: Option<Markup>,
    answer: Option<&'a SearchResponse>,
    saved: Option<&'a [SavedSearch]>,
    /// The evidence export button under an answer (empty without `export_evidence`).
    export: Option<Markup>,
}

#[allow(clippy::too_many_arguments)]
fn page_body(
    node: &AppState,
    lang: Lang,
    csrf: &str,
    own_agency: &str,
    agencies: &[Agency],
    cameras: &[Camera],
    parts: PageParts<'_>,
) -> Markup {
    let f = parts.form;
    html! {
        h1 { (t(lang, "search")) }
        @if let Some(n) = parts.notice { (n) }
        (form(lang, csrf, own_agency, parts.saved.is_some(), agencies, f, cameras, markers(node, cameras, &f.cameras)))
        @if let Some(r) = parts.answer {
            (results(lang, &Shown { resp: r }, cameras, &ResultsMap { node, agencies, selected: &f.cameras, area: f.area() }))
            @if let Some(x) = parts.export { (x) }
        }
        @if let Some(saved) = parts.saved { (saved_list(lang, csrf, saved)) }
    }
}

/// The search page of a signed-in user: the form, an answer or notice, their saved searches.
fn render(
    node: &AppState,
    user: &WebUser,
    f: &SearchForm,
    notice: Option<Markup>,
    answer: Option<&SearchResponse>,
) -> Response {
    let lang = user.lang;
    let agencies = node.store.agencies().unwrap_or_default();
    let cameras = node.store.cameras();
    let saved = node.saved_searches(&user.caller()).ok();
    let body = page_body(
        node,
        lang,
        &user.csrf,
        user.who.agency.id.as_str(),
        &agencies,
        &cameras,
        PageParts {
            form: f,
            notice,
            answer,
            saved: saved.as_deref(),
            export: answer.map(|r| super::investigate::export_button(lang, user, r.audit_seq)),
        },
    );
    layout(lang, t(lang, "search"), Some(user), body).into_response()
}

/// The empty search page.
pub async fn page(State(node): State<AppState>, user: WebUser) -> Response {
    let f = SearchForm {
        purpose: "stolen_vehicle".into(),
        kind: "exact".into(),
        hours: 48,
        ..Default::default()
    };
    render(&node, &user, &f, None, None)
}

/// A search's outcome on the page: the answer, or the refusal with its audit entry.
fn outcome(
    lang: Lang,
    result: Result<sightline_service::Result<SearchResponse>, tokio::task::JoinError>,
) -> (Option<Markup>, Option<SearchResponse>) {
    match result {
        Ok(Ok(r)) => (None, Some(r)),
        Ok(Err(e)) => {
            let seq = e
                .details()
                .get("audit_seq")
                .and_then(serde_json::Value::as_u64)
                .map(|s| format!(" ({} {s})", t(lang, "audited")))
                .unwrap_or_default();
            (
                Some(
                    html! { p.error role="alert" #search-error { (super::messages::service_error(lang, &e)) (seq) } },
                ),
                None,
            )
        }
        Err(_) => (
            Some(html! { p.error role="alert" { (t(lang, "internal_error")) } }),
            None,
        ),
    }
}

/// Runs a search from the form, through the same search service as the API.
pub async fn run(
    State(node): State<AppState>,
    user: WebUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = SearchForm::from_pairs(pairs);
    if let Err(e) = user.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let req = f.request(Utc::now());
    let (n, who) = (node.clone(), user.who.clone());
    let result = tokio::task::spawn_blocking(move || {
        n.searcher
            .search(&who, req)
            .map_err(sightline_service::Error::from)
    })
    .await;
    node.wake_watch();
    let (notice, answer) = outcome(user.lang, result);
    render(&node, &user, &f, notice, answer.as_ref())
}

/// Saves the form's search for the signed-in officer (a service operation: permission
/// `save_searches`, audited before it is kept).
pub async fn save(
    State(node): State<AppState>,
    user: WebUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = SearchForm::from_pairs(pairs);
    if let Err(e) = user.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let lang = user.lang;
    let (n, caller, spec) = (node.clone(), user.caller(), f.spec());
    let result = tokio::task::spawn_blocking(move || n.save_search(&caller, &spec)).await;
    let notice = match result {
        Ok(Ok(a)) => {
            html! { p.notice role="status" #saved-ok { (t(lang, "saved_ok")) " " (a.audit_seq) ")" } }
        }
        Ok(Err(e)) => {
            html! { p.error role="alert" #search-error { (super::messages::service_error(lang, &e)) } }
        }
        Err(_) => html! { p.error role="alert" { (t(lang, "internal_error")) } },
    };
    render(&node, &user, &f, Some(notice), None)
}

/// The CSRF token of a small form.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Runs one of the officer's saved searches again: a new search, checked and audited.
pub async fn run_saved(
    State(node): State<AppState>,
    user: WebUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(c): Form<CsrfForm>,
) -> Response {
    if let Err(e) = user.check_csrf(&c.csrf) {
        return e.into_response();
    }
    let lang = user.lang;
    let (n, caller) = (node.clone(), user.caller());
    let result = tokio::task::spawn_blocking(move || n.run_saved_search(&caller, id, true)).await;
    node.wake_watch();
    let (form, result) = match result {
        Ok(Ok((saved, r))) => (SearchForm::from_spec(&saved.spec, &user.csrf), Ok(Ok(r))),
        Ok(Err(e)) => (SearchForm::default(), Ok(Err(e))),
        Err(e) => (SearchForm::default(), Err(e)),
    };
    let (notice, answer) = outcome(lang, result);
    render(&node, &user, &form, notice, answer.as_ref())
}

/// Deletes one of the officer's saved searches (a service change: own saved searches, audited
/// as `saved_search.delete` before it goes) and shows the search page again.
pub async fn delete_saved(
    State(node): State<AppState>,
    user: WebUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(c): Form<CsrfForm>,
) -> Response {
    if let Err(e) = user.check_csrf(&c.csrf) {
        return e.into_response();
    }
    let lang = user.lang;
    let (n, caller) = (node.clone(), user.caller());
    let notice = match tokio::task::spawn_blocking(move || n.delete_saved_search(&caller, id)).await
    {
        Ok(Ok(seq)) => {
            html! { p.notice role="status" #deleted-ok { (t(lang, "saved_deleted")) " " (seq) ")" } }
        }
        Ok(Err(e)) => {
            html! { p.error role="alert" #search-error { (super::messages::service_error(lang, &e)) } }
        }
        Err(_) => html! { p.error role="alert" { (t(lang, "internal_error")) } },
    };
    let f = SearchForm {
        purpose: "stolen_vehicle".into(),
        kind: "exact".into(),
        hours: 48,
        ..Default::default()
    };
    render(&node, &user, &f, Some(notice), None)
}

/// The search results page with `cameras` on the maps and `track` as its answer, as the
/// handler renders it (for `sightline bench map`): returns the page's body HTML.
pub fn bench_page(
    node: &AppState,
    agencies: &[Agency],
    cameras: &[Camera],
    track: &SearchResponse,
) -> String {
    let f = SearchForm {
        purpose: "stolen_vehicle".into(),
        kind: "exact".into(),
        plate: "BENCH1".into(),
        hours: 48,
        ..Default::default()
    };
    page_body(
        node,
        Lang::En,
        "csrf",
        "bench",
        agencies,
        cameras,
        PageParts {
            form: &f,
            notice: None,
            answer: Some(track),
            saved: Some(&[]),
            export: None,
        },
    )
    .into_string()
}

/// A search's answer with the request facts the page links need.
struct Shown<'a> {
    resp: &'a SearchResponse,
}

/// The data-owner panel of an answer (the search, vehicle and investigations pages): each owner's
/// decision, its explanation in the page's language (German from the law pack's
/// `@explanation_de`; an agency's own rule stays in its own words, marked as such), rule and
/// citation.
pub(super) fn owners_panel(node: &AppState, lang: Lang, owners: &[OwnerDecision]) -> Markup {
    let engine = node.policy.read().unwrap_or_else(|e| e.into_inner());
    html! {
        h2 { (t(lang, "owners")) }
        div #owners {
            @for o in owners {
                @let (explanation, keep) = match lang {
                    Lang::En => (o.explanation.clone(), None),
                    Lang::De => match engine.explanation_de(&o.rule, &o.explanation) {
                        Some(de) => (de, None),
                        None => (o.explanation.clone(), Some("no")),
                    },
                };
                @let contributed = o.outcome == OwnerOutcome::Contributed;
                div class=(if contributed { "owner contributed" } else { "owner excluded" }) data-owner=(o.owner) {
                    strong translate="no" { (o.owner_name) } " — "
                    (if contributed { t(lang, "contributed") } else { t(lang, "excluded") })
                    @if contributed { " (" (o.result_count) ")" }
                    br; span.explanation translate=[keep] { (explanation) } br;
                    span.citation { (o.rule) " · " (o.citation) }
                }
            }
        }
    }
}

/// A service's error on a page: as it is on English pages; on German pages a German lead saying
/// what kind of error, then the service's (English) detail marked as English.
pub(super) fn error_text(lang: Lang, code: sightline_types::ErrorCode, detail: &str) -> Markup {
    match lang {
        Lang::En => html! { (detail) },
        Lang::De => html! {
            (super::i18n::error_lead(lang, code)) " "
            span lang="en" translate="no" title=(t(lang, "err_detail_en")) { (detail) }
        },
    }
}

impl std::ops::Deref for Shown<'_> {
    type Target = SearchResponse;
    fn deref(&self) -> &SearchResponse {
        self.resp
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What the results map shows besides the answer.
struct ResultsMap<'a> {
    node: &'a AppState,
    agencies: &'a [Agency],
    selected: &'a [i64],
    area: Option<GeoRadius>,
}

fn results(lang: Lang, r: &Shown<'_>, cameras: &[Camera], ctx: &ResultsMap<'_>) -> Markup {
    // The picture column only where a camera sent pictures.
    let pictures = r.results.iter().any(|s| s.crop.is_some());
    html! {
        p #audit-seq { (t(lang, "audited")) " " (r.audit_seq) }
        (owners_panel(ctx.node, lang, &r.owners))
        h2 { (t(lang, "results")) " (" (r.results.len()) @if r.truncated { "+" } ")" }
        (results_map(lang, &r.results, cameras, ctx))
        table #results {
            thead { tr { th { (t(lang, "time")) } th { (t(lang, "plate")) } th { (t(lang, "camera")) } th { (t(lang, "owner")) } th { (t(lang, "colour")) } th { (t(lang, "vtype")) } @if pictures { th { (t(lang, "picture")) } } } }
            tbody {
                @for s in &r.results {
                    tr.sighting {
                        td { (s.captured_at.format("%Y-%m-%d %H:%M:%S")) }
                        td translate="no" { a href=(format!("/ui/vehicle?plate={}&follows={}", urlencode(&s.plate), r.audit_seq)) { (s.plate) } }
                        td translate="no" { (s.camera_name) } td translate="no" { (s.owner) }
                        td { (s.attributes.colour.clone().unwrap_or_default()) } td { (s.attributes.vehicle_type.clone().unwrap_or_default()) }
                        @if pictures { td { @if let Some(jpeg) = &s.crop { img.plate-picture src=(format!("data:image/jpeg;base64,{jpeg}")) alt=(s.plate); } } }
                    }
                }
            }
        }
    }
}

/// The sightings on the base map: the track in time order with time labels, the cameras
/// around it (owner, heading, hit-only, picked), the searched area; a slider replays the track.
fn results_map(
    lang: Lang,
    sightings: &[StoredRead],
    cameras: &[Camera],
    ctx: &ResultsMap<'_>,
) -> Markup {
    if sightings.is_empty() {
        return html! {};
    }
    let Some(bounds) = map::Bounds::around(sightings.iter().map(|s| (s.lat, s.lon)), 3.0) else {
        return html! {};
    };
    let mut m = map::Map::new("map", t(lang, "map"), bounds);
    m.cameras = markers(ctx.node, cameras, ctx.selected);
    m.owner_names = owner_names(ctx.agencies);
    m.track = sightings
        .iter()
        .map(|s| map::Stop {
            lat: s.lat,
            lon: s.lon,
            at: s.captured_at,
            place: &s.camera_name,
        })
        .collect();
    if let Some(a) = &ctx.area {
        m.circles.push(map::Circle {
            lat: a.lat,
            lon: a.lon,
            radius_m: a.radius_m,
            label: "",
        });
    }
    let n = m.track.len();
    html! {
        figure {
            figcaption { (t(lang, "map")) }
            (m.render(lang))
            label for="slider" { (t(lang, "slider")) }
            input #slider type="range" min="1" max=(n) value=(n);
            script { (PreEscaped(r#"
                (function(){var s=document.getElementById('slider');if(!s)return;
                s.addEventListener('input',function(){var n=+s.value;
                document.querySelectorAll('#map .stop').forEach(function(g){g.style.display=(+g.dataset.index<n)?'':'none';});});})();"#)) }
        }
    }
}

/// Query of the vehicle page: the plate and the audit entry of the search it was opened from,
/// whose purpose, case, reason and on-behalf-of it carries (never fresh, weaker ones).
#[derive(Debug, Deserialize)]
pub struct VehicleQuery {
    plate: String,
    follows: u64,
}

/// Every sighting of one plate the user may see over the last 30 days (a search, so it is
/// policy-checked and audited like any other), with its timeline, map and hot-list status.
pub async fn vehicle(
    State(node): State<AppState>,
    user: WebUser,
    axum::extract::Query(q): axum::extract::Query<VehicleQuery>,
) -> Response {
    let lang = user.lang;
    let now = Utc::now();
    let req = SearchRequest {
        purpose: None,
        case_number: None,
        reason: None,
        on_behalf_of: None,
        query: SearchQuery {
            plate: Some(PlateQuery::Exact(q.plate.clone())),
            description: None,
            window: TimeWindow {
                from: now - Duration::days(30) + Duration::minutes(1),
                to: now + Duration::minutes(1),
            },
            cameras: None,
            area: None,
        },
        limit: Some(5000),
        with_crops: false,
        follows: Some(q.follows),
    };
    let (n, who) = (node.clone(), user.who.clone());
    let result = tokio::task::spawn_blocking(move || n.searcher.search(&who, req)).await;
    node.wake_watch();
    let listed: Vec<String> = node
        .lists_holding(&user.caller(), &q.plate)
        .unwrap_or_default()
        .into_iter()
        .map(|l| format!("{} ({})", l.name, l.category.code()))
        .collect();
    let cameras = node.store.cameras();
    let agencies = node.store.agencies().unwrap_or_default();
    let ctx = ResultsMap {
        node: &node,
        agencies: &agencies,
        selected: &[],
        area: None,
    };
    let body = match result {
        Ok(Ok(r)) => {
            let shown = Shown { resp: &r };
            html! {
                h1 { (t(lang, "vehicle")) ": " span translate="no" { (q.plate) } }
                p #hotlist-status { (t(lang, "hotlists_status")) ": " @if listed.is_empty() { (t(lang, "none")) } @else { span translate="no" { (listed.join(", ")) } } }
                (results(lang, &shown, &cameras, &ctx))
                // The vehicle page is itself an audited search: export it like any other.
                (super::investigate::export_button(lang, &user, r.audit_seq))
            }
        }
        Ok(Err(e)) => {
            let e = sightline_service::Error::from(e);
            html! { h1 { (t(lang, "vehicle")) } p.error role="alert" { (super::messages::service_error(lang, &e)) } }
        }
        Err(_) => html! { p.error role="alert" { (t(lang, "internal_error")) } },
    };
    layout(lang, t(lang, "vehicle"), Some(&user), body).into_response()
}

/// [`bench_page`] as the whole document a browser gets (the shared page frame and stylesheet),
/// for `sightline bench map --browser`.
pub fn bench_document(
    node: &AppState,
    agencies: &[Agency],
    cameras: &[Camera],
    track: &SearchResponse,
) -> String {
    let body = maud::PreEscaped(bench_page(node, agencies, cameras, track));
    super::layout(Lang::En, t(Lang::En, "search"), None, body).into_string()
}

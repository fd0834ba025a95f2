//! The search page: purpose, case number, reason, on-behalf-of and the query; results as a table
//! and on an SVG map (cameras, sightings, the path in time order, a time slider); and the
//! per-owner panel saying who contributed and who refused, with the rule and statute.

use super::i18n::{Lang, t};
use super::{WebUser, layout};
use crate::AppState;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use sightline_types::{
    DescriptionQuery, OwnerOutcome, PlateQuery, Purpose, SearchQuery, SearchRequest,
    SearchResponse, StoredRead, TimeWindow,
};

/// The search form.
#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    csrf: String,
    purpose: String,
    case_number: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    on_behalf_of: String,
    kind: String,
    #[serde(default)]
    plate: String,
    #[serde(default)]
    colour: String,
    #[serde(default)]
    vehicle_type: String,
    hours: i64,
    #[serde(default)]
    area_lat: String,
    #[serde(default)]
    area_lon: String,
    #[serde(default)]
    area_km: String,
}

/// A small map of every camera; clicking it sets the search area's centre.
fn area_picker(lang: Lang, cameras: &[sightline_types::Camera]) -> Markup {
    if cameras.is_empty() {
        return html! {};
    }
    let (lat0, lat1, lon0, lon1) =
        cameras
            .iter()
            .fold((f64::MAX, f64::MIN, f64::MAX, f64::MIN), |b, c| {
                (
                    b.0.min(c.lat),
                    b.1.max(c.lat),
                    b.2.min(c.lon),
                    b.3.max(c.lon),
                )
            });
    let pad = ((lat1 - lat0).max(lon1 - lon0) * 0.1).max(0.02);
    let (lat0, lat1, lon0, lon1) = (lat0 - pad, lat1 + pad, lon0 - pad, lon1 + pad);
    let (w, h) = (480.0, 240.0);
    html! {
        details {
            summary { (t(lang, "area")) }
            svg #area-map viewBox=(format!("0 0 {w} {h}")) width="480" height="240" data-bounds=(format!("{lat0},{lat1},{lon0},{lon1}")) role="img" aria-label=(t(lang, "area")) {
                @for c in cameras {
                    rect x=(format!("{:.1}", (c.lon - lon0) / (lon1 - lon0) * w - 3.0)) y=(format!("{:.1}", (lat1 - c.lat) / (lat1 - lat0) * h - 3.0)) width="6" height="6" fill="#556" { title { (c.name) } }
                }
                circle #area-pin r="6" cx="-20" cy="-20" fill="#0b5cad" {}
            }
            script { (maud::PreEscaped(r#"(function(){var m=document.getElementById('area-map');if(!m)return;var b=m.dataset.bounds.split(',').map(Number);
                m.addEventListener('click',function(e){var r=m.getBoundingClientRect();var x=(e.clientX-r.left)/r.width,y=(e.clientY-r.top)/r.height;
                document.getElementById('area_lat').value=(b[1]-y*(b[1]-b[0])).toFixed(5);document.getElementById('area_lon').value=(b[2]+x*(b[3]-b[2])).toFixed(5);
                if(!document.getElementById('area_km').value)document.getElementById('area_km').value='5';
                var p=document.getElementById('area-pin');p.setAttribute('cx',x*480);p.setAttribute('cy',y*240);});})();"#)) }
        }
    }
}

fn form(
    lang: Lang,
    user: &WebUser,
    agencies: &[sightline_types::Agency],
    f: &SearchForm,
    cameras: &[sightline_types::Camera],
) -> Markup {
    html! {
        form #search-form method="post" action="/ui/search" {
            input type="hidden" name="csrf" value=(user.csrf);
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
                        @for a in agencies.iter().filter(|a| a.id != user.who.agency.id) {
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
            (area_picker(lang, cameras))
            button #run type="submit" { (t(lang, "run")) }
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

/// The empty search page.
pub async fn page(State(node): State<AppState>, user: WebUser) -> Response {
    let lang = user.lang;
    let agencies = node.store.agencies().unwrap_or_default();
    let cameras = node.store.cameras();
    let f = SearchForm {
        purpose: "stolen_vehicle".into(),
        kind: "exact".into(),
        hours: 48,
        ..Default::default()
    };
    layout(
        lang,
        t(lang, "search"),
        Some(&user),
        html! { h1 { (t(lang, "search")) } (form(lang, &user, &agencies, &f, &cameras)) },
    )
    .into_response()
}

/// Runs a search from the form, through the same search service as the API.
pub async fn run(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<SearchForm>,
) -> Response {
    if let Err(e) = user.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let lang = user.lang;
    let now = Utc::now();
    let plate = match f.kind.as_str() {
        "exact" => Some(PlateQuery::Exact(f.plate.clone())),
        "wildcard" => Some(PlateQuery::Wildcard(f.plate.clone())),
        "fuzzy" => Some(PlateQuery::Fuzzy(f.plate.clone())),
        _ => None,
    };
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let req = SearchRequest {
        purpose: opt(&f.purpose),
        case_number: opt(&f.case_number),
        reason: opt(&f.reason),
        on_behalf_of: opt(&f.on_behalf_of),
        query: SearchQuery {
            description: plate.is_none().then(|| DescriptionQuery {
                colour: opt(&f.colour),
                vehicle_type: opt(&f.vehicle_type),
                make: None,
            }),
            plate,
            window: TimeWindow {
                from: now - Duration::hours(f.hours.clamp(1, 8784)),
                to: now + Duration::minutes(1),
            },
            cameras: None,
            area: match (
                f.area_lat.trim().parse::<f64>(),
                f.area_lon.trim().parse::<f64>(),
                f.area_km.trim().parse::<f64>(),
            ) {
                (Ok(lat), Ok(lon), Ok(km)) => Some(sightline_types::GeoRadius {
                    lat,
                    lon,
                    radius_m: km * 1000.0,
                }),
                _ => None,
            },
        },
        limit: None,
        // Officers see the camera's picture of each plate beside the text, to check the reading
        // before acting on it (at most 200 rows then).
        with_crops: true,
        follows: None,
    };
    let (n, who) = (node.clone(), user.who.clone());
    let result = tokio::task::spawn_blocking(move || n.searcher.search(&who, req)).await;
    node.wake_watch();
    let agencies = node.store.agencies().unwrap_or_default();
    let cameras = node.store.cameras();
    let body = match result {
        Ok(Ok(r)) => {
            let shown = shown(&node, lang, &r);
            html! { h1 { (t(lang, "search")) } (form(lang, &user, &agencies, &f, &cameras)) (results(lang, &shown, &cameras)) (super::investigate::export_button(lang, &user, r.audit_seq)) }
        }
        Ok(Err(e)) => {
            let seq = e
                .audit_seq()
                .map(|s| format!(" ({} {s})", t(lang, "audited")))
                .unwrap_or_default();
            html! { h1 { (t(lang, "search")) } p.error role="alert" #search-error { (error_text(lang, e.code(), &e.to_string())) (seq) } (form(lang, &user, &agencies, &f, &cameras)) }
        }
        Err(_) => html! { p.error role="alert" { (t(lang, "internal_error")) } },
    };
    layout(lang, t(lang, "search"), Some(&user), body).into_response()
}

/// A search's answer with the request facts the page links need.
struct Shown<'a> {
    resp: &'a SearchResponse,
    /// Each owner's explanation in the page's language (German from the law pack's
    /// `@explanation_de`; an agency's own rule stays in its own words).
    explanations: Vec<(String, Option<&'static str>)>,
}

/// The answer with its explanations in the page's language.
fn shown<'a>(node: &AppState, lang: Lang, resp: &'a SearchResponse) -> Shown<'a> {
    let engine = node.policy.read().unwrap_or_else(|e| e.into_inner());
    let explanations = resp
        .owners
        .iter()
        .map(|o| match lang {
            Lang::En => (o.explanation.clone(), None),
            Lang::De => match engine.explanation_de(&o.rule, &o.explanation) {
                Some(de) => (de, None),
                // No German text: the agency's own words, marked as such.
                None => (o.explanation.clone(), Some("no")),
            },
        })
        .collect();
    Shown { resp, explanations }
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

fn results(lang: Lang, r: &Shown<'_>, cameras: &[sightline_types::Camera]) -> Markup {
    // The picture column only where a camera sent pictures.
    let pictures = r.results.iter().any(|s| s.crop.is_some());
    html! {
        p #audit-seq { (t(lang, "audited")) " " (r.audit_seq) }
        h2 { (t(lang, "owners")) }
        div #owners {
            @for (o, (explanation, keep)) in r.owners.iter().zip(&r.explanations) {
                @let class = if o.outcome == OwnerOutcome::Contributed { "owner contributed" } else { "owner excluded" };
                div class=(class) data-owner=(o.owner) {
                    strong translate="no" { (o.owner_name) } " — "
                    (if o.outcome == OwnerOutcome::Contributed { t(lang, "contributed") } else { t(lang, "excluded") })
                    @if o.outcome == OwnerOutcome::Contributed { " (" (o.result_count) ")" }
                    br; span.explanation translate=[keep] { (explanation) } br;
                    span.citation { (o.rule) " · " (o.citation) }
                }
            }
        }
        h2 { (t(lang, "results")) " (" (r.results.len()) @if r.truncated { "+" } ")" }
        (map(lang, &r.results, cameras))
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

/// An equirectangular SVG map of the sightings (oldest first) and the cameras near them.
fn map(lang: Lang, sightings: &[StoredRead], cameras: &[sightline_types::Camera]) -> Markup {
    if sightings.is_empty() {
        return html! {};
    }
    let mut path: Vec<&StoredRead> = sightings.iter().collect();
    path.sort_by_key(|s| s.captured_at);
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for s in &path {
        lat0 = lat0.min(s.lat);
        lat1 = lat1.max(s.lat);
        lon0 = lon0.min(s.lon);
        lon1 = lon1.max(s.lon);
    }
    let pad = ((lat1 - lat0).max(lon1 - lon0) * 0.15).max(0.01);
    let (lat0, lat1, lon0, lon1) = (lat0 - pad, lat1 + pad, lon0 - pad, lon1 + pad);
    let (w, h) = (640.0, 420.0);
    let xy = |lat: f64, lon: f64| {
        (
            (lon - lon0) / (lon1 - lon0) * w,
            (lat1 - lat) / (lat1 - lat0) * h,
        )
    };
    let near: Vec<&sightline_types::Camera> = cameras
        .iter()
        .filter(|c| (lat0..=lat1).contains(&c.lat) && (lon0..=lon1).contains(&c.lon))
        .collect();
    let points: Vec<String> = path
        .iter()
        .map(|s| {
            let (x, y) = xy(s.lat, s.lon);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    html! {
        figure {
            figcaption { (t(lang, "map")) }
            svg #map viewBox=(format!("0 0 {w} {h}")) width="640" height="420" role="img" aria-label=(t(lang, "map")) {
                @for c in &near {
                    @let (x, y) = xy(c.lat, c.lon);
                    g.camera { rect x=(format!("{:.1}", x - 5.0)) y=(format!("{:.1}", y - 5.0)) width="10" height="10" fill="#556" {} title { (c.name) } }
                }
                polyline #path points=(points.join(" ")) fill="none" stroke="#0b5cad" stroke-width="2" {}
                @for (i, s) in path.iter().enumerate() {
                    @let (x, y) = xy(s.lat, s.lon);
                    g.stop data-index=(i) {
                        circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="7" fill="#b42318" {}
                        text x=(format!("{:.1}", x + 9.0)) y=(format!("{:.1}", y - 6.0)) font-size="12" { (i + 1) }
                        title { (s.captured_at.format("%Y-%m-%d %H:%M")) " · " (s.camera_name) }
                    }
                }
            }
            label for="slider" { (t(lang, "slider")) }
            input #slider type="range" min="1" max=(path.len()) value=(path.len());
            script { (maud::PreEscaped(r#"
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
    let body = match result {
        Ok(Ok(r)) => {
            let shown = shown(&node, lang, &r);
            html! {
                h1 { (t(lang, "vehicle")) ": " span translate="no" { (q.plate) } }
                p #hotlist-status { (t(lang, "hotlists_status")) ": " @if listed.is_empty() { (t(lang, "none")) } @else { span translate="no" { (listed.join(", ")) } } }
                (results(lang, &shown, &cameras))
            }
        }
        Ok(Err(e)) => {
            html! { h1 { (t(lang, "vehicle")) } p.error role="alert" { (error_text(lang, e.code(), &e.to_string())) } }
        }
        Err(_) => html! { p.error role="alert" { (t(lang, "internal_error")) } },
    };
    layout(lang, t(lang, "vehicle"), Some(&user), body).into_response()
}

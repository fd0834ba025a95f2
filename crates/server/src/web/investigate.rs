//! The investigations page (issue 18): multi-location search (2–10 places picked as circles on
//! the map, or as camera lists, each with its own time window; vehicles seen at k of them) and
//! convoy search (vehicles seen within ±Δ seconds of a plate at k camera/time events), both
//! under a warrant whose fields show the service's validation message beside them; the evidence
//! export button (here and on the search page) and its download, a tar archive of the package.
//!
//! The handlers only turn the form into an [`AnalysisRequest`] and the answer into HTML: the
//! search service decides permission and law and writes the audit entry, and the export is the
//! API's service function ([`sightline_service::Node::export_evidence`]).

use super::i18n::{Lang, t};
use super::{WebUser, layout};
use crate::AppState;
use crate::error::status_of;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use sightline_types::{
    AnalysisQuery, AnalysisRequest, AnalysisResponse, Camera, ConvoyQuery, GeoRadius,
    MultiLocationQuery, Permission, Place, Purpose, StoredRead, TimeWindow, Warrant,
};
use std::collections::{BTreeMap, BTreeSet};

/// Most places of a multi-location search (the service's bound).
const MAX_PLACES: usize = 10;
/// Place rows shown before any is filled.
const SHOWN_PLACES: usize = 3;
/// Radius a click on the map gives a new circle, metres.
const DEFAULT_RADIUS_M: f64 = 200.0;
/// Most matching vehicles drawn on a map (each in its own colour).
const MAP_VEHICLES: usize = 6;
/// Colours of the vehicles drawn on a map, in rank order.
const PALETTE: [&str; MAP_VEHICLES] = [
    "#b42318", "#1a7f37", "#8a3ffc", "#b35c00", "#0e7490", "#c026d3",
];

/// The two analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Convoy,
    Multi,
}

impl Mode {
    fn parse(s: &str) -> Option<Mode> {
        match s {
            "convoy" | "" => Some(Mode::Convoy),
            "multi" => Some(Mode::Multi),
            _ => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Mode::Convoy => "convoy",
            Mode::Multi => "multi",
        }
    }
}

/// The submitted form, field by field (place rows are `p0_lat`, `p0_lon`, … `p9_to`).
#[derive(Debug, Default, Clone)]
struct Fields(BTreeMap<String, String>);

impl Fields {
    fn get(&self, k: &str) -> &str {
        self.0.get(k).map_or("", |v| v.trim())
    }

    fn opt(&self, k: &str) -> Option<String> {
        let v = self.get(k);
        (!v.is_empty()).then(|| v.to_owned())
    }

    fn set(&mut self, k: &str, v: impl Into<String>) {
        self.0.insert(k.to_owned(), v.into());
    }

    fn mode(&self) -> Mode {
        Mode::parse(self.get("mode")).unwrap_or(Mode::Convoy)
    }

    /// Whether place row `i` names a place (a circle or cameras).
    fn has_place(&self, i: usize) -> bool {
        ["lat", "lon", "radius", "cameras"]
            .iter()
            .any(|f| !self.get(&format!("p{i}_{f}")).is_empty())
    }

    /// The defaults of an empty page: the last three days for a convoy, homicide.
    fn defaults(mode: Mode, now: DateTime<Utc>) -> Fields {
        let mut f = Fields::default();
        f.set("mode", mode.code());
        f.set("purpose", Purpose::Homicide.code());
        f.set("c_from", datetime_value(now - Duration::days(3)));
        f.set("c_to", datetime_value(now));
        f.set("c_delta", "60");
        f.set("c_k", "3");
        f
    }
}

/// A form error: the field it belongs to (its input's id) and the message.
#[derive(Debug, Clone, PartialEq)]
struct FieldError {
    field: String,
    message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The value of a `datetime-local` input for a UTC time.
fn datetime_value(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// A time from a `datetime-local` input (UTC, as the labels say), with or without seconds, or an
/// RFC 3339 time.
fn parse_time(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
    .map(|n| n.and_utc())
}

fn time_field(f: &Fields, k: &str, what: &str) -> Result<DateTime<Utc>, FieldError> {
    let v = f.get(k);
    if v.is_empty() {
        return Err(FieldError::new(k, format!("{what} is required")));
    }
    parse_time(v).ok_or_else(|| {
        FieldError::new(
            k,
            format!("{what} must be a date and time, YYYY-MM-DDTHH:MM (UTC)"),
        )
    })
}

fn number_field<T: std::str::FromStr>(
    f: &Fields,
    k: &str,
    what: &str,
) -> Result<Option<T>, FieldError> {
    let v = f.get(k);
    if v.is_empty() {
        return Ok(None);
    }
    v.parse()
        .map(Some)
        .map_err(|_| FieldError::new(k, format!("{what} must be a number, not `{v}`")))
}

/// A parsed form: the request, and for each place of a multi-location request the form row it
/// came from (so the service's `places[i]` messages land beside the right row).
#[derive(Debug)]
struct ParsedForm {
    req: AnalysisRequest,
    rows: Vec<usize>,
}

/// Turns the form into the API's request. Only the shape is checked here (numbers are numbers,
/// times are times); the service validates the rest and decides.
fn parse_form(f: &Fields) -> Result<ParsedForm, FieldError> {
    let mode = Mode::parse(f.get("mode"))
        .ok_or_else(|| FieldError::new("mode", "choose convoy or multi-location"))?;
    let warrant_fields = ["w_court", "w_reference", "w_issued", "w_expires"];
    let warrant = warrant_fields
        .iter()
        .any(|k| !f.get(k).is_empty())
        .then(|| Warrant {
            court: f.get("w_court").to_owned(),
            reference: f.get("w_reference").to_owned(),
            issued: f.get("w_issued").to_owned(),
            expires: f.get("w_expires").to_owned(),
        });
    let mut rows = Vec::new();
    let query = match mode {
        Mode::Convoy => AnalysisQuery::Convoy(ConvoyQuery {
            plate: f.get("c_plate").to_owned(),
            window: TimeWindow {
                from: time_field(f, "c_from", "from")?,
                to: time_field(f, "c_to", "to")?,
            },
            delta_s: number_field(f, "c_delta", "Δ seconds")?,
            min_events: number_field(f, "c_k", "k")?,
        }),
        Mode::Multi => {
            let mut places = Vec::new();
            for i in (0..MAX_PLACES).filter(|&i| f.has_place(i)) {
                let k = |s: &str| format!("p{i}_{s}");
                let cameras = match f.get(&k("cameras")) {
                    "" => None,
                    v => Some(
                        v.split([',', ' '])
                            .filter(|s| !s.is_empty())
                            .map(|s| s.parse::<i64>())
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(|_| {
                                FieldError::new(
                                    k("cameras"),
                                    "cameras: camera numbers separated by commas",
                                )
                            })?,
                    ),
                };
                let (lat, lon, radius) = (
                    number_field::<f64>(f, &k("lat"), "latitude")?,
                    number_field::<f64>(f, &k("lon"), "longitude")?,
                    number_field::<f64>(f, &k("radius"), "radius")?,
                );
                let area = match (lat, lon, radius) {
                    (None, None, None) => None,
                    (Some(lat), Some(lon), Some(radius_m)) => {
                        Some(GeoRadius { lat, lon, radius_m })
                    }
                    (None, ..) => {
                        return Err(FieldError::new(k("lat"), "a circle needs a latitude"));
                    }
                    (_, None, _) => {
                        return Err(FieldError::new(k("lon"), "a circle needs a longitude"));
                    }
                    (.., None) => {
                        return Err(FieldError::new(
                            k("radius"),
                            "a circle needs a radius in metres",
                        ));
                    }
                };
                places.push(Place {
                    label: f.opt(&k("label")),
                    area,
                    cameras,
                    window: TimeWindow {
                        from: time_field(f, &k("from"), "from")?,
                        to: time_field(f, &k("to"), "to")?,
                    },
                });
                rows.push(i);
            }
            AnalysisQuery::MultiLocation(MultiLocationQuery {
                places,
                min_places: number_field(f, "m_k", "k")?,
            })
        }
    };
    Ok(ParsedForm {
        req: AnalysisRequest {
            purpose: f.opt("purpose"),
            case_number: f.opt("case_number"),
            reason: f.opt("reason"),
            on_behalf_of: f.opt("on_behalf_of"),
            warrant,
            query,
            limit: None,
        },
        rows,
    })
}

/// The form field a service message is about: the service names the request's fields
/// (`warrant.expires`, `query.convoy.delta_s`, `query.multi_location.places[1].window`), and
/// this maps them to the inputs, so the message can stand beside the one it concerns.
fn field_of(message: &str, rows: &[usize]) -> Option<String> {
    let m = message;
    let first = [
        ("warrant.court", "w_court"),
        ("warrant.reference", "w_reference"),
        ("warrant.issued", "w_issued"),
        ("warrant.expires", "w_expires"),
    ]
    .iter()
    .filter_map(|(k, id)| m.find(k).map(|at| (at, *id)))
    .min();
    if let Some((_, id)) = first {
        return Some(id.into());
    }
    if m.contains("warrant expired") || m.contains("warrant valid for") {
        return Some("w_expires".into());
    }
    if let Some(rest) = m.split("places[").nth(1) {
        let j: usize = rest.split(']').next()?.parse().ok()?;
        let row = rows.get(j).copied().unwrap_or(j);
        let tail = rest.split(']').nth(1).unwrap_or_default();
        let sub = if tail.starts_with(".window") {
            "from"
        } else if tail.starts_with(".cameras") {
            "cameras"
        } else if tail.starts_with(".label") {
            "label"
        } else {
            "lat"
        };
        return Some(format!("p{row}_{sub}"));
    }
    let simple = [
        ("query.convoy.plate", "c_plate"),
        ("query.convoy.window", "c_from"),
        ("delta_s", "c_delta"),
        ("min_events", "c_k"),
        ("min_places", "m_k"),
        ("places must list", "places"),
        ("on_behalf_of", "on_behalf_of"),
        ("on behalf", "on_behalf_of"),
        ("purpose", "purpose"),
        ("case number", "case_number"),
        ("reason", "reason"),
    ];
    simple
        .iter()
        .find(|(k, _)| m.contains(k))
        .map(|(_, id)| (*id).to_owned())
}

/// What the page shows below the form.
enum Shown {
    Nothing,
    /// A refusal or bad input: the message, the field it concerns, the audit entry.
    Error {
        message: String,
        field: Option<String>,
        audit_seq: Option<u64>,
    },
    Answer(Box<AnalysisResponse>, Vec<Place>),
}

/// Query of the empty page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    mode: String,
}

/// The empty investigations page (`?mode=convoy` or `?mode=multi`).
pub async fn page(
    State(node): State<AppState>,
    user: WebUser,
    Query(q): Query<PageQuery>,
) -> Response {
    let mode = Mode::parse(&q.mode).unwrap_or(Mode::Convoy);
    let f = Fields::defaults(mode, Utc::now());
    render(&node, &user, &f, &Shown::Nothing).into_response()
}

/// Runs an analysis from the form through the search service, as the API does.
pub async fn run(
    State(node): State<AppState>,
    user: WebUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(pairs.into_iter().collect());
    if let Err(e) = user.check_csrf(f.get("csrf")) {
        return e.into_response();
    }
    let (n, who) = (node.clone(), user.who.clone());
    let shown = match parse_form(&f) {
        // Input that is no request at all is refused and audited, as the API does with a body
        // it cannot read; the message stays beside its field.
        Err(fe) => {
            let message = fe.message.clone();
            let seq =
                tokio::task::spawn_blocking(move || n.searcher.refuse_unparsed(&who, message))
                    .await
                    .ok()
                    .and_then(|e| e.audit_seq());
            Shown::Error {
                message: fe.message,
                field: Some(fe.field),
                audit_seq: seq,
            }
        }
        Ok(parsed) => {
            let places = match &parsed.req.query {
                AnalysisQuery::MultiLocation(m) => m.places.clone(),
                AnalysisQuery::Convoy(_) => Vec::new(),
            };
            let req = parsed.req;
            let result = tokio::task::spawn_blocking(move || n.searcher.analyse(&who, req)).await;
            node.wake_watch();
            match result {
                Ok(Ok(r)) => Shown::Answer(Box::new(r), places),
                Ok(Err(e)) => Shown::Error {
                    field: field_of(&e.to_string(), &parsed.rows),
                    message: e.to_string(),
                    audit_seq: e.audit_seq(),
                },
                Err(_) => Shown::Error {
                    message: "internal error".into(),
                    field: None,
                    audit_seq: None,
                },
            }
        }
    };
    let status = match &shown {
        Shown::Error { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    (status, render(&node, &user, &f, &shown)).into_response()
}

fn render(node: &AppState, user: &WebUser, f: &Fields, shown: &Shown) -> Markup {
    let lang = user.lang;
    let agencies = node.store.agencies().unwrap_or_default();
    let cameras: Vec<Camera> = node
        .store
        .cameras()
        .into_iter()
        .filter(|c| !c.mobile)
        .collect();
    let err = match shown {
        Shown::Error { field, message, .. } => field.as_deref().map(|fl| (fl, message.as_str())),
        _ => None,
    };
    let body = html! {
        h1 { (t(lang, "inv_title")) }
        p { (t(lang, "inv_intro")) }
        p.modes {
            a #mode-convoy href="/ui/investigate?mode=convoy" aria-current=[(f.mode() == Mode::Convoy).then_some("page")] { (t(lang, "inv_convoy")) }
            " · "
            a #mode-multi href="/ui/investigate?mode=multi" aria-current=[(f.mode() == Mode::Multi).then_some("page")] { (t(lang, "inv_multi")) }
        }
        @if let Shown::Error { message, audit_seq, .. } = shown {
            p.error role="alert" #inv-error {
                (message)
                @if let Some(s) = audit_seq { " (" (t(lang, "audited")) " " (s) ")" }
            }
        }
        (form(lang, user, &agencies, &cameras, f, err))
        @if let Shown::Answer(r, places) = shown {
            (answer(node, lang, user, r, places, f))
        }
    };
    layout(lang, t(lang, "inv_title"), Some(user), body)
}

/// A labelled input with the service's message beside it when it concerns this field.
fn field(id: &str, label: &str, input: Markup, err: Option<(&str, &str)>) -> Markup {
    let mine = err.filter(|(f, _)| *f == id).map(|(_, m)| m);
    html! {
        div.field {
            label for=(id) { (label) }
            (input)
            // Always there (empty unless the service's message concerns this field), so the
            // input's aria-describedby never points at nothing.
            p.field-error id=(format!("{id}-error")) role=[mine.map(|_| "alert")] { @if let Some(m) = mine { (m) } }
        }
    }
}

fn text_input(id: &str, f: &Fields) -> Markup {
    let describedby = format!("{id}-error");
    html! { input id=(id) name=(id) value=(f.get(id)) aria-describedby=(describedby); }
}

fn form(
    lang: Lang,
    user: &WebUser,
    agencies: &[sightline_types::Agency],
    cameras: &[Camera],
    f: &Fields,
    err: Option<(&str, &str)>,
) -> Markup {
    let mode = f.mode();
    let dt = |id: &str| html! { input id=(id) name=(id) type="datetime-local" value=(f.get(id)) aria-describedby=(format!("{id}-error")); };
    let num = |id: &str, min: &str, max: &str| html! { input id=(id) name=(id) type="number" min=(min) max=(max) value=(f.get(id)) aria-describedby=(format!("{id}-error")); };
    html! {
        form #investigate-form method="post" action="/ui/investigate" novalidate {
            input type="hidden" name="csrf" value=(user.csrf);
            input type="hidden" name="mode" value=(mode.code());
            fieldset {
                legend { (t(lang, "inv_context")) }
                div.grid {
                    (field("purpose", t(lang, "purpose"), html! {
                        select #purpose name="purpose" aria-describedby="purpose-error" {
                            @for p in Purpose::ALL {
                                option value=(p.code()) selected[f.get("purpose") == p.code()] {
                                    (super::i18n::purpose_label(lang, *p)) @if p.is_serious_crime() { " ★" }
                                }
                            }
                        }
                    }, err))
                    (field("case_number", t(lang, "case"), text_input("case_number", f), err))
                    (field("reason", t(lang, "reason"), text_input("reason", f), err))
                    (field("on_behalf_of", t(lang, "behalf"), html! {
                        select #on_behalf_of name="on_behalf_of" {
                            option value="" { (t(lang, "nobody")) }
                            @for a in agencies.iter().filter(|a| a.id != user.who.agency.id) {
                                option value=(a.id) selected[f.get("on_behalf_of") == a.id.as_str()] translate="no" { (a.name) }
                            }
                        }
                    }, err))
                }
                p.hint { (t(lang, "inv_serious_hint")) }
            }
            fieldset #warrant {
                legend { (t(lang, "inv_warrant")) }
                p.hint { (t(lang, "inv_warrant_hint")) }
                div.grid {
                    (field("w_court", t(lang, "inv_w_court"), html! {
                        input #w_court name="w_court" value=(f.get("w_court")) maxlength="200" aria-describedby="w_court-error";
                    }, err))
                    (field("w_reference", t(lang, "inv_w_reference"), html! {
                        input #w_reference name="w_reference" value=(f.get("w_reference")) maxlength="64" pattern="[A-Za-z0-9 /.:_#()-]{3,64}" aria-describedby="w_reference-error";
                    }, err))
                    (field("w_issued", t(lang, "inv_w_issued"), html! {
                        input #w_issued name="w_issued" type="date" value=(f.get("w_issued")) aria-describedby="w_issued-error";
                    }, err))
                    (field("w_expires", t(lang, "inv_w_expires"), html! {
                        input #w_expires name="w_expires" type="date" value=(f.get("w_expires")) aria-describedby="w_expires-error";
                    }, err))
                }
            }
            @match mode {
                Mode::Convoy => {
                    fieldset #convoy {
                        legend { (t(lang, "inv_convoy")) }
                        p.hint { (t(lang, "inv_convoy_hint")) }
                        div.grid {
                            (field("c_plate", t(lang, "plate"), text_input("c_plate", f), err))
                            (field("c_from", t(lang, "inv_from"), dt("c_from"), err))
                            (field("c_to", t(lang, "inv_to"), dt("c_to"), err))
                            (field("c_delta", t(lang, "inv_delta"), num("c_delta", "1", "600"), err))
                            (field("c_k", t(lang, "inv_k_events"), num("c_k", "2", "1000"), err))
                        }
                    }
                }
                Mode::Multi => {
                    fieldset #multi {
                        legend { (t(lang, "inv_multi")) }
                        p.hint { (t(lang, "inv_multi_hint")) }
                        (picker_map(lang, cameras, &user.who.agency.id))
                        @if let Some((_, m)) = err.filter(|(fl, _)| *fl == "places") {
                            p.field-error role="alert" #places-error { (m) }
                        }
                        (places_table(lang, f, err))
                        button #add-place type="button" { (t(lang, "inv_add_place")) }
                        div.grid {
                            (field("m_k", t(lang, "inv_k_places"), num("m_k", "2", "10"), err))
                        }
                        @if !cameras.is_empty() {
                            details #camera-list {
                                summary { (t(lang, "inv_camera_ids")) }
                                ul { @for c in cameras { li { code { (c.id.0) } " · " (c.name) } } }
                            }
                        }
                    }
                }
            }
            button #run-analysis type="submit" { (t(lang, "run")) }
        }
    }
}

fn places_table(lang: Lang, f: &Fields, err: Option<(&str, &str)>) -> Markup {
    let filled = (0..MAX_PLACES)
        .filter(|&i| f.has_place(i))
        .max()
        .map_or(0, |i| i + 1);
    let shown = filled.max(SHOWN_PLACES);
    let cell = |i: usize, name: &str, label: &str, kind: &str, size: &str| {
        let id = format!("p{i}_{name}");
        let mine = err.filter(|(fl, _)| *fl == id).map(|(_, m)| m);
        html! {
            td {
                input id=(id) name=(id) type=(kind) value=(f.get(&id)) size=(size) step=[(kind == "number").then_some("any")]
                    aria-label=(format!("{} {}: {label}", t(lang, "inv_place"), i + 1)) aria-describedby=(format!("{id}-error"));
                p.field-error id=(format!("{id}-error")) role=[mine.map(|_| "alert")] { @if let Some(m) = mine { (m) } }
            }
        }
    };
    html! {
        div.table-scroll { table #places {
            caption { (t(lang, "inv_places")) }
            thead { tr {
                th { "#" } th { (t(lang, "inv_label")) } th { (t(lang, "latitude")) } th { (t(lang, "longitude")) }
                th { (t(lang, "inv_radius")) } th { (t(lang, "inv_cameras")) } th { (t(lang, "inv_from")) } th { (t(lang, "inv_to")) }
            } }
            tbody {
                @for i in 0..MAX_PLACES {
                    tr.place data-row=(i) hidden[i >= shown] {
                        td { (i + 1) }
                        (cell(i, "label", t(lang, "inv_label"), "text", "10"))
                        (cell(i, "lat", t(lang, "latitude"), "number", "8"))
                        (cell(i, "lon", t(lang, "longitude"), "number", "8"))
                        (cell(i, "radius", t(lang, "inv_radius"), "number", "5"))
                        (cell(i, "cameras", t(lang, "inv_cameras"), "text", "6"))
                        (cell(i, "from", t(lang, "inv_from"), "datetime-local", "14"))
                        (cell(i, "to", t(lang, "inv_to"), "datetime-local", "14"))
                    }
                }
            }
        } }
    }
}

/// Bounds of a map: (south, north, west, east), padded.
fn bounds(points: impl Iterator<Item = (f64, f64)>, pad_min: f64) -> Option<(f64, f64, f64, f64)> {
    let b = points.fold(None, |b: Option<(f64, f64, f64, f64)>, (lat, lon)| {
        Some(match b {
            None => (lat, lat, lon, lon),
            Some(b) => (b.0.min(lat), b.1.max(lat), b.2.min(lon), b.3.max(lon)),
        })
    })?;
    let pad = ((b.1 - b.0).max(b.3 - b.2) * 0.12).max(pad_min);
    Some((b.0 - pad, b.1 + pad, b.2 - pad, b.3 + pad))
}

/// The multi-location picker: every fixed camera; a click on the map adds a circle (the next
/// empty place row gets its centre and a default radius); a click on a camera adds that camera to
/// the current place (the row last edited or filled, if it is not a circle; otherwise the next
/// empty row), a second click removes it. Circles and picked cameras follow the rows' inputs.
// Map rendering lives in this function and in `analysis_map` only, so that the shared base map
// (web/map.rs) can replace both.
fn picker_map(lang: Lang, cameras: &[Camera], own: &sightline_types::AgencyId) -> Markup {
    // The map opens on the officer's own agency's cameras (where a case usually is; a network
    // spanning continents would squeeze them into a few pixels), or on all when it has none.
    let mine = cameras.iter().filter(|c| &c.owner == own);
    let framed = if mine.clone().next().is_some() {
        bounds(mine.map(|c| (c.lat, c.lon)), 0.02)
    } else {
        bounds(cameras.iter().map(|c| (c.lat, c.lon)), 0.02)
    };
    let Some((lat0, lat1, lon0, lon1)) = framed else {
        return html! { p { (t(lang, "inv_no_cameras")) } };
    };
    let (w, h) = (640.0, 360.0);
    html! {
        figure {
            figcaption { (t(lang, "inv_pick_hint")) }
            svg #pick-map viewBox=(format!("0 0 {w} {h}")) width="640" height="360" data-bounds=(format!("{lat0},{lat1},{lon0},{lon1}")) data-radius=(DEFAULT_RADIUS_M) role="img" aria-label=(t(lang, "inv_pick_hint")) {
                @for c in cameras {
                    rect.camera data-camera=(c.id.0) x=(format!("{:.1}", (c.lon - lon0) / (lon1 - lon0) * w - 4.0)) y=(format!("{:.1}", (lat1 - c.lat) / (lat1 - lat0) * h - 4.0)) width="8" height="8" fill="#556" { title { (c.id.0) " · " (c.name) } }
                }
                g #pick-circles pointer-events="none" {}
            }
        }
        script { (maud::PreEscaped(PICKER_JS)) }
    }
}

// The script sits above the places table and the "Add a place" button, so it runs once the
// document is parsed (before, neither exists yet).
const PICKER_JS: &str = r#"(function(){function init(){var m=document.getElementById('pick-map');if(!m)return;
var b=m.dataset.bounds.split(',').map(Number),W=640,H=360,N='http://www.w3.org/2000/svg',cur=-1;
function el(id){return document.getElementById(id);}
function v(id){var e=el(id);return e?e.value:'';}
function xy(lat,lon){return[(lon-b[2])/(b[3]-b[2])*W,(b[1]-lat)/(b[1]-b[0])*H];}
function cams(i){return v('p'+i+'_cameras').split(/[\s,;]+/).filter(function(s){return s!=='';});}
function circle(i){return v('p'+i+'_lat')!==''||v('p'+i+'_lon')!=='';}
function draw(){var g=el('pick-circles');while(g.firstChild)g.removeChild(g.firstChild);var picked={};
for(var i=0;i<10;i++){cams(i).forEach(function(c){(picked[c]=picked[c]||[]).push(i+1);});
var la=parseFloat(v('p'+i+'_lat')),lo=parseFloat(v('p'+i+'_lon')),r=parseFloat(v('p'+i+'_radius'));
if(isNaN(la)||isNaN(lo))continue;if(isNaN(r))r=0;var p=xy(la,lo);
var e=document.createElementNS(N,'ellipse');e.setAttribute('class','pick-circle');e.setAttribute('cx',p[0]);e.setAttribute('cy',p[1]);
e.setAttribute('rx',Math.max(3,r/(111320*Math.cos(la*Math.PI/180))/(b[3]-b[2])*W));e.setAttribute('ry',Math.max(3,r/110540/(b[1]-b[0])*H));
e.setAttribute('fill','rgba(11,92,173,.2)');e.setAttribute('stroke','#0b5cad');g.appendChild(e);
var t=document.createElementNS(N,'text');t.setAttribute('x',p[0]+6);t.setAttribute('y',p[1]-6);t.setAttribute('font-size','13');t.textContent=i+1;g.appendChild(t);}
m.querySelectorAll('rect.camera').forEach(function(r){var p=picked[r.dataset.camera];r.classList.toggle('picked',!!p);r.setAttribute('data-places',p?p.join(','):'');});
document.querySelectorAll('#places tr.place').forEach(function(r){r.classList.toggle('current',+r.dataset.row===cur);});m.setAttribute('data-current',cur);}
function show(i){var r=document.querySelector('#places tr[data-row="'+i+'"]');if(r)r.hidden=false;}
function next(){for(var i=0;i<10;i++){if(!circle(i)&&cams(i).length===0)return i;}return -1;}
m.addEventListener('click',function(ev){var c=ev.target.closest?ev.target.closest('rect.camera'):null;
if(c){var i=(cur<0||circle(cur))?next():cur;if(i<0)return;var l=cams(i),id=c.dataset.camera,k=l.indexOf(id);
if(k<0)l.push(id);else l.splice(k,1);el('p'+i+'_cameras').value=l.join(',');el('p'+i+'_radius').value='';
cur=i;show(i);draw();return;}
var rc=m.getBoundingClientRect();var x=(ev.clientX-rc.left)/rc.width,y=(ev.clientY-rc.top)/rc.height;var i=next();if(i<0)return;
el('p'+i+'_lat').value=(b[1]-y*(b[1]-b[0])).toFixed(5);el('p'+i+'_lon').value=(b[2]+x*(b[3]-b[2])).toFixed(5);
if(!v('p'+i+'_radius'))el('p'+i+'_radius').value=m.dataset.radius;cur=i;show(i);draw();});
var add=el('add-place');if(add)add.addEventListener('click',function(){var h=document.querySelector('#places tr[hidden]');if(h){h.hidden=false;cur=+h.dataset.row;draw();}});
function here(ev){var r=ev.target.closest?ev.target.closest('tr.place'):null;if(r)cur=+r.dataset.row;draw();}
var t=el('places');['input','focusin','click'].forEach(function(k){t.addEventListener(k,here);});draw();}
if(document.readyState==='loading')document.addEventListener('DOMContentLoaded',init);else init();})();"#;

/// One set of points drawn on the analysis map.
struct Layer<'a> {
    label: String,
    colour: &'static str,
    /// Join the points in time order (the target's track).
    track: bool,
    reads: Vec<&'a StoredRead>,
}

fn in_time_order<'a>(reads: &[&'a StoredRead]) -> Vec<&'a StoredRead> {
    let mut v = reads.to_vec();
    v.sort_by_key(|r| r.captured_at);
    v
}

/// The result map: circles of the places, the target's track, and each vehicle's sightings in
/// its own colour (square markers, so a vehicle never reads as the track), with a legend.
fn analysis_map(lang: Lang, caption: &str, circles: &[GeoRadius], layers: &[Layer<'_>]) -> Markup {
    let points = layers
        .iter()
        .flat_map(|l| l.reads.iter().map(|r| (r.lat, r.lon)))
        .chain(circles.iter().flat_map(|c| {
            let dlat = c.radius_m / 110_540.0;
            let dlon = c.radius_m / (111_320.0 * c.lat.to_radians().cos().max(0.01));
            [(c.lat - dlat, c.lon - dlon), (c.lat + dlat, c.lon + dlon)]
        }));
    let Some((lat0, lat1, lon0, lon1)) = bounds(points, 0.002) else {
        return html! {};
    };
    let (w, h) = (640.0, 420.0);
    let xy = |lat: f64, lon: f64| {
        (
            (lon - lon0) / (lon1 - lon0) * w,
            (lat1 - lat) / (lat1 - lat0) * h,
        )
    };
    html! {
        figure #analysis-figure {
            figcaption { (t(lang, caption)) }
            svg #analysis-map viewBox=(format!("0 0 {w} {h}")) width="640" height="420" role="img" aria-label=(t(lang, caption)) {
                @for (i, c) in circles.iter().enumerate() {
                    @let (x, y) = xy(c.lat, c.lon);
                    @let rx = c.radius_m / (111_320.0 * c.lat.to_radians().cos().max(0.01)) / (lon1 - lon0) * w;
                    @let ry = c.radius_m / 110_540.0 / (lat1 - lat0) * h;
                    g.place {
                        ellipse cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) rx=(format!("{:.1}", rx.max(3.0))) ry=(format!("{:.1}", ry.max(3.0))) fill="rgba(11,92,173,.15)" stroke="#0b5cad" {}
                        text x=(format!("{:.1}", x + 6.0)) y=(format!("{:.1}", y - 6.0)) font-size="13" { (i + 1) }
                    }
                }
                @for (li, l) in layers.iter().enumerate() {
                    g.layer data-label=(l.label) {
                        @if l.track {
                            @let path = in_time_order(&l.reads);
                            @let pts: Vec<String> = path.iter().map(|r| { let (x, y) = xy(r.lat, r.lon); format!("{x:.1},{y:.1}") }).collect();
                            polyline.track points=(pts.join(" ")) fill="none" stroke=(l.colour) stroke-width="3" {}
                            @for r in &path {
                                @let (x, y) = xy(r.lat, r.lon);
                                circle.sighting cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="6" fill=(l.colour) { title { (l.label) " · " (r.captured_at.format("%Y-%m-%d %H:%M:%S")) " · " (r.camera_name) } }
                            }
                        } @else {
                            @for r in &l.reads {
                                @let (x, y) = xy(r.lat, r.lon);
                                // Offset a little per vehicle so markers at one camera stay visible.
                                @let dx = (li % 4) as f64 * 3.0;
                                rect.sighting x=(format!("{:.1}", x - 5.0 + dx)) y=(format!("{:.1}", y - 5.0 - dx)) width="10" height="10" fill="none" stroke=(l.colour) stroke-width="2.5" { title { (l.label) " · " (r.captured_at.format("%Y-%m-%d %H:%M:%S")) " · " (r.camera_name) } }
                            }
                        }
                    }
                }
            }
            ul.legend #map-legend {
                @for l in layers {
                    li { span.swatch style=(format!("border-color:{}", l.colour)) {} (l.label) " (" (l.reads.len()) ")" }
                }
            }
        }
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn vehicle_link(plate: &str, audit_seq: u64) -> String {
    let enc: String = plate
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("/ui/vehicle?plate={enc}&follows={audit_seq}")
}

fn answer(
    node: &AppState,
    lang: Lang,
    user: &WebUser,
    r: &AnalysisResponse,
    places: &[Place],
    f: &Fields,
) -> Markup {
    let exported = html! {
        p #audit-seq { (t(lang, "audited")) " " (r.audit_seq) }
        p #uninvolved { (t(lang, "inv_uninvolved")) " " (r.uninvolved_revealed) }
    };
    html! {
        section #analysis-result data-kind=(r.kind) {
            (exported)
            (super::search::owners_panel(node, lang, &r.owners))
            @if r.kind == "convoy" { (convoy_result(lang, r, f)) } @else { (multi_result(lang, r, places)) }
            (export_button(lang, user, r.audit_seq))
        }
    }
}

fn convoy_result(lang: Lang, r: &AnalysisResponse, f: &Fields) -> Markup {
    let target = f.get("c_plate").to_owned();
    let mut layers = vec![Layer {
        label: format!("{} {target}", t(lang, "inv_target")),
        colour: "#0b5cad",
        track: true,
        reads: r.target.iter().collect(),
    }];
    for (m, colour) in r.matches.iter().zip(PALETTE) {
        layers.push(Layer {
            label: m.plate.clone(),
            colour,
            track: false,
            reads: m.sightings.iter().collect(),
        });
    }
    html! {
        h2 { (t(lang, "inv_companions")) " (" (r.matches.len()) @if r.truncated { "+" } ")" }
        p #target-count { (t(lang, "inv_target_sightings")) " " (r.target.len()) }
        table #convoy-results {
            thead { tr {
                th { (t(lang, "inv_rank")) } th { (t(lang, "plate")) } th { (t(lang, "inv_cooccur")) }
                th { (t(lang, "inv_distinct_cams")) } th { (t(lang, "inv_first")) } th { (t(lang, "inv_last")) }
            } }
            tbody {
                @for (i, m) in r.matches.iter().enumerate() {
                    @let cams: BTreeSet<i64> = m.sightings.iter().map(|s| s.camera_id.0).collect();
                    @let first = m.sightings.iter().map(|s| s.captured_at).min();
                    @let last = m.sightings.iter().map(|s| s.captured_at).max();
                    tr.match data-plate=(m.plate) {
                        td { (i + 1) }
                        td { a href=(vehicle_link(&m.plate, r.audit_seq)) { (m.plate) } }
                        td.score { (m.score) }
                        td.cameras { (cams.len()) }
                        td { (first.map(when).unwrap_or_default()) }
                        td { (last.map(when).unwrap_or_default()) }
                    }
                }
            }
        }
        (analysis_map(lang, "inv_map", &[], &layers))
    }
}

/// Which places a sighting lies in (its time in the place's window, its camera in the place).
fn places_of(s: &StoredRead, places: &[Place]) -> Vec<usize> {
    places
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            s.captured_at >= p.window.from
                && s.captured_at <= p.window.to
                && p.cameras
                    .as_ref()
                    .is_none_or(|c| c.contains(&s.camera_id.0))
                && p.area.as_ref().is_none_or(|a| a.contains(s.lat, s.lon))
        })
        .map(|(i, _)| i)
        .collect()
}

fn multi_result(lang: Lang, r: &AnalysisResponse, places: &[Place]) -> Markup {
    let circles: Vec<GeoRadius> = places.iter().filter_map(|p| p.area).collect();
    let layers: Vec<Layer<'_>> = r
        .matches
        .iter()
        .zip(PALETTE)
        .map(|(m, colour)| Layer {
            label: m.plate.clone(),
            colour,
            track: false,
            reads: m.sightings.iter().collect(),
        })
        .collect();
    html! {
        h2 { (t(lang, "inv_vehicles")) " (" (r.matches.len()) @if r.truncated { "+" } ")" }
        table #multi-results {
            thead { tr {
                th { (t(lang, "plate")) } th { (t(lang, "inv_places_matched")) }
                @for (i, p) in places.iter().enumerate() {
                    th { (i + 1) @if let Some(l) = &p.label { " · " (l) } }
                }
            } }
            tbody {
                @for m in &r.matches {
                    tr.match data-plate=(m.plate) {
                        td { a href=(vehicle_link(&m.plate, r.audit_seq)) { (m.plate) } }
                        td.score { (m.score) " / " (places.len()) }
                        @for i in 0..places.len() {
                            td.at-place data-place=(i) {
                                @for s in m.sightings.iter().filter(|s| places_of(s, places).contains(&i)) {
                                    div.sighting { (when(s.captured_at)) " · " (s.camera_name) }
                                }
                            }
                        }
                    }
                }
            }
        }
        (analysis_map(lang, "inv_map_multi", &circles, &layers))
    }
}

/// The export button for a search's audit entry (shown to those who may export evidence): posts
/// to `/ui/evidence`, which answers with the package as a tar download.
pub fn export_button(lang: Lang, user: &WebUser, search_seq: u64) -> Markup {
    if user.caller().require(Permission::ExportEvidence).is_err() {
        return html! {};
    }
    html! {
        form.export-evidence #export-form method="post" action="/ui/evidence" {
            input type="hidden" name="csrf" value=(user.csrf);
            input type="hidden" name="search_seq" value=(search_seq);
            button #export-evidence type="submit" { (t(lang, "inv_export")) }
            span.hint { " " (t(lang, "inv_export_hint")) }
        }
    }
}

/// The export form.
#[derive(Debug, Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    search_seq: String,
}

/// Exports an evidence package through the service (the API's function: permission, re-run
/// under today's policy, audit) and answers with it as a tar archive to download.
pub async fn export(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<ExportForm>,
) -> Response {
    if let Err(e) = user.check_csrf(&f.csrf) {
        return e.into_response();
    }
    let lang = user.lang;
    let failed = |status: StatusCode, message: String| {
        let body = html! {
            h1 { (t(lang, "inv_export")) }
            p.error role="alert" #export-error { (message) }
        };
        (
            status,
            layout(lang, t(lang, "inv_export"), Some(&user), body),
        )
            .into_response()
    };
    let Ok(seq) = f.search_seq.trim().parse::<u64>() else {
        return failed(
            StatusCode::BAD_REQUEST,
            format!(
                "search_seq must be an audit entry number, not `{}`",
                f.search_seq
            ),
        );
    };
    let caller = user.caller();
    let n = node.clone();
    let pkg = match tokio::task::spawn_blocking(move || n.export_evidence(&caller, seq)).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return failed(status_of(e.code()), e.to_string()),
        Err(_) => return failed(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into()),
    };
    let archive = sightline_audit::evidence::package_archive(&pkg).map_err(|e| e.to_string());
    let bytes = match archive {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "evidence archive failed");
            return failed(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into());
        }
    };
    let name = format!(
        "{}.tar",
        sightline_audit::evidence::archive_root(pkg.search_seq)
    );
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&pkg.audit_seq.to_string()) {
        h.insert("x-sightline-audit-seq", v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn convoy_form() -> Vec<(&'static str, &'static str)> {
        vec![
            ("mode", "convoy"),
            ("purpose", "homicide"),
            ("case_number", "26-1"),
            ("c_plate", "HMC 5521"),
            ("c_from", "2026-12-01T00:00"),
            ("c_to", "2026-12-02T00:00"),
            ("c_delta", "60"),
            ("c_k", "3"),
        ]
    }

    #[test]
    fn test_convoy_form_parses_into_the_api_request() {
        let p = parse_form(&fields(&convoy_form())).unwrap();
        assert!(p.req.warrant.is_none(), "no warrant fields, no warrant");
        let AnalysisQuery::Convoy(c) = &p.req.query else {
            panic!("not a convoy: {:?}", p.req.query)
        };
        assert_eq!(c.plate, "HMC 5521");
        assert_eq!(c.delta_s, Some(60));
        assert_eq!(c.min_events, Some(3));
        assert_eq!(
            c.window
                .from
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "2026-12-01T00:00:00Z"
        );
        assert_eq!(p.req.purpose.as_deref(), Some("homicide"));
    }

    #[test]
    fn test_bad_convoy_input_names_the_field() {
        for (k, v, field, words) in [
            ("c_delta", "sixty", "c_delta", "must be a number"),
            ("c_k", "-1", "c_k", "must be a number"),
            ("c_from", "yesterday", "c_from", "YYYY-MM-DDTHH:MM"),
            ("c_to", "", "c_to", "required"),
            ("mode", "stakeout", "mode", "convoy or multi-location"),
        ] {
            let mut f = fields(&convoy_form());
            f.set(k, v);
            let e = parse_form(&f).unwrap_err();
            assert_eq!(e.field, field, "{e:?}");
            assert!(e.message.contains(words), "{e:?}");
        }
    }

    #[test]
    fn test_partial_warrant_is_passed_on_for_the_service_to_judge() {
        let mut f = fields(&convoy_form());
        f.set("w_reference", "2026-SW-1");
        let w = parse_form(&f).unwrap().req.warrant.unwrap();
        assert_eq!((w.court.as_str(), w.reference.as_str()), ("", "2026-SW-1"));
    }

    #[test]
    fn test_multi_location_rows_and_their_errors() {
        let base = [
            ("mode", "multi"),
            ("purpose", "robbery"),
            ("case_number", "26-2"),
            ("m_k", "2"),
            ("p0_lat", "41.88"),
            ("p0_lon", "-87.80"),
            ("p0_radius", "150"),
            ("p0_from", "2026-12-01T10:00"),
            ("p0_to", "2026-12-01 10:20"),
            ("p2_cameras", "3, 4"),
            ("p2_label", "gas station"),
            ("p2_from", "2026-12-01T11:00:00Z"),
            ("p2_to", "2026-12-01T11:20"),
        ];
        let p = parse_form(&fields(&base)).unwrap();
        assert_eq!(p.rows, vec![0, 2], "empty rows are skipped");
        let AnalysisQuery::MultiLocation(m) = &p.req.query else {
            panic!("not multi")
        };
        assert_eq!(m.min_places, Some(2));
        assert_eq!(m.places[0].area.unwrap().radius_m, 150.0);
        assert_eq!(m.places[1].cameras, Some(vec![3, 4]));
        assert_eq!(m.places[1].label.as_deref(), Some("gas station"));
        // A service message about places[1] lands on row 2's inputs.
        assert_eq!(
            field_of(
                "query.multi_location.places[1].window covers more than 31 days",
                &p.rows
            )
            .as_deref(),
            Some("p2_from")
        );
        for (k, v, field) in [
            ("p0_lat", "north", "p0_lat"),
            ("p0_radius", "", "p0_radius"),
            ("p2_cameras", "3;x", "p2_cameras"),
            ("p2_to", "", "p2_to"),
            ("m_k", "two", "m_k"),
        ] {
            let mut f = fields(&base);
            f.set(k, v);
            let e = parse_form(&f).unwrap_err();
            assert_eq!(e.field, field, "{k}={v}: {e:?}");
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn test_service_messages_map_to_warrant_fields() {
        for (m, field) in [
            ("warrant.court must be 3 to 200 characters", "w_court"),
            (
                "warrant.reference may hold letters, digits, spaces and - / . : _ # ( ) only",
                "w_reference",
            ),
            ("warrant.issued is in the future", "w_issued"),
            ("warrant.expires is before warrant.issued", "w_expires"),
            ("the warrant expired on 2026-11-01", "w_expires"),
            ("query.convoy.delta_s must be between 1 and 600", "c_delta"),
            ("query.convoy.plate: plate is empty", "c_plate"),
            (
                "query.multi_location.places must list 2 to 10 places",
                "places",
            ),
            ("case number is required for every search", "case_number"),
        ] {
            assert_eq!(field_of(m, &[]).as_deref(), Some(field), "{m}");
        }
        assert_eq!(field_of("audit log unavailable; search not run", &[]), None);
    }

    #[test]
    fn test_times_parse_from_inputs_and_rfc3339() {
        assert!(parse_time("2026-12-01T10:00").is_some());
        assert!(parse_time("2026-12-01T10:00:30").is_some());
        assert!(parse_time("2026-12-01T10:00:00+01:00").is_some());
        assert!(parse_time("1.12.2026").is_none());
        assert_eq!(
            datetime_value(parse_time("2026-12-01T10:07").unwrap()),
            "2026-12-01T10:07"
        );
    }
}

//! The public transparency pages: the node's summary with an index of every agency
//! (`/transparency`), one page per agency with charts, tables, the latest signed checkpoint and
//! links to the other agencies (`/transparency/{agency}`), CSV downloads of every chart
//! (`/transparency/{agency}/csv`, `/transparency-csv` for the node), and a page that explains in
//! plain words what each figure means and how to check it (`/transparency-explained`).
//!
//! Every figure comes from the service's report ([`sightline_service::Node::transparency`], and
//! the node's sum of those reports); this module only lays them out. A chart, its table and its
//! CSV are drawn from one [`Figure`], so the three cannot disagree. No plate text is in a report,
//! so none can reach these pages.

use super::charts::{self, Chart, Layout, Row, fmt_num};
use super::i18n::{Lang, t};
use super::{layout, with_lang};
use crate::AppState;
use crate::api::{Path, Query};
use crate::error::ApiError;
use crate::transparency::{AgencyReport, WeekSearches};
use crate::transparency_node::NodeReport;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use sightline_audit::Checkpoint;
use sightline_types::AgencyId;
use std::collections::BTreeMap;

/// One figure: what a chart draws, its table lists and its CSV holds.
pub(crate) struct Figure {
    /// Stable name (`?table=`, element ids).
    pub key: &'static str,
    /// Heading.
    pub title: &'static str,
    /// Series `(code, label)`.
    pub series: Vec<(String, String)>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Chart layout, or `None` for a table only.
    pub layout: Option<Layout>,
    /// An extra text column (header, one cell per row), e.g. the citation of a rule.
    pub detail: Option<(&'static str, Vec<String>)>,
}

/// The figures the node's summary and the agency reports have in common.
struct Common<'a> {
    weekly: &'a [WeekSearches],
    by_outcome: &'a BTreeMap<String, u64>,
    by_purpose: &'a BTreeMap<String, u64>,
    denials: &'a BTreeMap<String, u64>,
    citations: &'a BTreeMap<String, String>,
    hits: &'a BTreeMap<String, u64>,
    analysis: &'a BTreeMap<String, u64>,
    findings: &'a BTreeMap<String, crate::findings::FindingCounts>,
    key_figures: Vec<(&'static str, u64)>,
}

/// Outcomes in reading order; others follow in name order.
const OUTCOMES: [&str; 9] = [
    "allowed",
    "partial",
    "denied",
    "refused",
    "confirmed",
    "wrong_state",
    "misread",
    "dismissed",
    "pending",
];

/// People's word for an outcome code (the code itself when it is not one we know).
fn outcome_label(lang: Lang, code: &str) -> String {
    let key = match code {
        "allowed" => "tr_o_allowed",
        "partial" => "tr_o_partial",
        "denied" => "tr_o_denied",
        "refused" => "tr_o_refused",
        "confirmed" => "tr_o_confirmed",
        "wrong_state" => "tr_o_wrong_state",
        "misread" => "tr_o_misread",
        "dismissed" => "tr_o_dismissed",
        "pending" => "tr_o_pending",
        _ => return code.to_owned(),
    };
    t(lang, key).to_owned()
}

fn ordered<'a>(keys: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut v: Vec<String> = keys.cloned().collect();
    v.sort_by_key(|k| {
        (
            OUTCOMES.iter().position(|o| o == k).unwrap_or(usize::MAX),
            k.clone(),
        )
    });
    v.dedup();
    v
}

fn one_series(code: &str, lang: Lang, key: &str) -> Vec<(String, String)> {
    vec![(code.to_owned(), t(lang, key).to_owned())]
}

fn counts(m: &BTreeMap<String, u64>, label: impl Fn(&str) -> String) -> Vec<Row> {
    m.iter()
        .map(|(k, v)| Row {
            key: k.clone(),
            label: label(k),
            values: vec![*v as f64],
        })
        .collect()
}

fn weekly(
    weeks: &[WeekSearches],
    codes: &[String],
    pick: impl Fn(&WeekSearches) -> &BTreeMap<String, u64>,
) -> Vec<Row> {
    weeks
        .iter()
        .map(|w| Row {
            key: w.week.clone(),
            label: w.week.clone(),
            values: codes
                .iter()
                .map(|c| pick(w).get(c).copied().unwrap_or(0) as f64)
                .collect(),
        })
        .collect()
}

fn common_figures(lang: Lang, c: &Common<'_>) -> Vec<Figure> {
    let outcomes = ordered(c.by_outcome.keys());
    let purposes = ordered(c.by_purpose.keys());
    let hit_codes = ordered(c.hits.keys());
    vec![
        Figure {
            key: "summary",
            title: t(lang, "tr_f_summary"),
            series: one_series("value", lang, "tr_s_value"),
            rows: c
                .key_figures
                .iter()
                .map(|(k, v)| Row {
                    key: (*k).to_owned(),
                    label: t(lang, k).to_owned(),
                    values: vec![*v as f64],
                })
                .collect(),
            layout: None,
            detail: None,
        },
        Figure {
            key: "weekly_outcome",
            title: t(lang, "tr_f_weekly_outcome"),
            series: outcomes
                .iter()
                .map(|o| (o.clone(), outcome_label(lang, o)))
                .collect(),
            rows: weekly(c.weekly, &outcomes, |w| &w.by_outcome),
            layout: Some(Layout::Columns),
            detail: None,
        },
        Figure {
            key: "weekly_purpose",
            title: t(lang, "tr_f_weekly_purpose"),
            series: purposes.iter().map(|p| (p.clone(), p.clone())).collect(),
            rows: weekly(c.weekly, &purposes, |w| &w.by_purpose),
            layout: Some(Layout::Columns),
            detail: None,
        },
        Figure {
            key: "refusals",
            title: t(lang, "tr_f_refusals"),
            series: one_series("refusals", lang, "tr_s_refusals"),
            rows: counts(c.denials, str::to_owned),
            layout: Some(Layout::Grouped),
            detail: Some((
                t(lang, "tr_s_citation"),
                c.denials
                    .keys()
                    .map(|r| c.citations.get(r).cloned().unwrap_or_default())
                    .collect(),
            )),
        },
        Figure {
            key: "hits",
            title: t(lang, "tr_f_hits"),
            series: one_series("hits", lang, "tr_s_hits"),
            rows: hit_codes
                .iter()
                .map(|k| Row {
                    key: k.clone(),
                    label: outcome_label(lang, k),
                    values: vec![c.hits.get(k).copied().unwrap_or(0) as f64],
                })
                .collect(),
            layout: Some(Layout::Grouped),
            detail: None,
        },
        Figure {
            key: "analysis",
            title: t(lang, "tr_f_analysis"),
            series: one_series("searches", lang, "tr_s_searches"),
            rows: counts(c.analysis, str::to_owned),
            layout: Some(Layout::Grouped),
            detail: None,
        },
        Figure {
            key: "findings",
            title: t(lang, "tr_f_findings"),
            series: vec![
                ("raised".into(), t(lang, "tr_s_raised").into()),
                ("reviewed".into(), t(lang, "tr_s_reviewed").into()),
                ("confirmed".into(), t(lang, "tr_s_misuse").into()),
            ],
            rows: c
                .findings
                .iter()
                .map(|(k, f)| Row {
                    key: k.clone(),
                    label: k.clone(),
                    values: vec![f.raised as f64, f.reviewed as f64, f.confirmed as f64],
                })
                .collect(),
            layout: Some(Layout::Grouped),
            detail: None,
        },
    ]
}

fn hours(minutes: i64) -> f64 {
    (minutes as f64 / 60.0 * 100.0).round() / 100.0
}

fn retention_series(lang: Lang) -> Vec<(String, String)> {
    vec![
        ("retention_hours".into(), t(lang, "tr_s_retention").into()),
        ("oldest_read_hours".into(), t(lang, "tr_s_oldest").into()),
    ]
}

/// The figures of one agency's report, in page order.
pub(crate) fn agency_figures(lang: Lang, r: &AgencyReport) -> Vec<Figure> {
    let mut figs = common_figures(
        lang,
        &Common {
            weekly: &r.weekly_searches,
            by_outcome: &r.searches_by_outcome,
            by_purpose: &r.searches_by_purpose,
            denials: &r.denials_by_rule,
            citations: &r.denial_citations,
            hits: &r.hotlist_hits,
            analysis: &r.analysis_searches,
            findings: &r.findings,
            key_figures: vec![
                ("tr_k_cameras", r.cameras),
                ("tr_k_reads_30", r.reads_last_30_days),
                ("tr_k_reads_held", r.reads_held),
                ("tr_k_searches", r.searches_by_outcome.values().sum()),
                ("tr_k_uninvolved", r.uninvolved_vehicles_revealed),
            ],
        },
    );
    figs.push(Figure {
        key: "retention",
        title: t(lang, "tr_f_retention"),
        series: retention_series(lang),
        rows: vec![Row {
            key: r.agency.id.to_string(),
            label: r.agency.name.clone(),
            values: vec![
                hours(r.retention_minutes),
                r.oldest_read_age_hours.unwrap_or(0) as f64,
            ],
        }],
        layout: Some(Layout::Grouped),
        detail: Some((t(lang, "tr_k_reads_held"), vec![r.reads_held.to_string()])),
    });
    figs.push(Figure {
        key: "received",
        title: t(lang, "tr_f_received"),
        series: vec![
            ("allowed".into(), t(lang, "tr_o_allowed").into()),
            ("refused".into(), t(lang, "tr_o_refused").into()),
        ],
        rows: r
            .requests_from_others
            .iter()
            .map(|(k, c)| Row {
                key: k.clone(),
                label: k.clone(),
                values: vec![c.allowed as f64, c.refused as f64],
            })
            .collect(),
        layout: Some(Layout::Stacked),
        detail: None,
    });
    figs.push(Figure {
        key: "hits_for_others",
        title: t(lang, "tr_f_hits_for_others"),
        series: one_series("hits", lang, "tr_s_hits"),
        rows: counts(&r.hits_for_others, str::to_owned),
        layout: Some(Layout::Grouped),
        detail: None,
    });
    figs
}

/// The figures of the node's summary, in page order.
pub(crate) fn node_figures(lang: Lang, n: &NodeReport) -> Vec<Figure> {
    let mut figs = common_figures(
        lang,
        &Common {
            weekly: &n.weekly_searches,
            by_outcome: &n.searches_by_outcome,
            by_purpose: &n.searches_by_purpose,
            denials: &n.denials_by_rule,
            citations: &n.denial_citations,
            hits: &n.hotlist_hits,
            analysis: &n.analysis_searches,
            findings: &n.findings,
            key_figures: vec![
                ("tr_k_agencies", n.agencies.len() as u64),
                ("tr_k_cameras", n.cameras),
                ("tr_k_reads_30", n.reads_last_30_days),
                ("tr_k_reads_held", n.reads_held),
                ("tr_k_searches", n.searches_by_outcome.values().sum()),
                ("tr_k_uninvolved", n.uninvolved_vehicles_revealed),
            ],
        },
    );
    figs.push(Figure {
        key: "retention",
        title: t(lang, "tr_f_retention"),
        series: retention_series(lang),
        rows: n
            .retention
            .iter()
            .map(|o| Row {
                key: o.agency.clone(),
                label: o.name.clone(),
                values: vec![
                    hours(o.retention_minutes),
                    o.oldest_read_age_hours.unwrap_or(0) as f64,
                ],
            })
            .collect(),
        layout: Some(Layout::Grouped),
        detail: Some((
            t(lang, "tr_k_reads_held"),
            n.retention
                .iter()
                .map(|o| o.reads_held.to_string())
                .collect(),
        )),
    });
    figs.push(Figure {
        key: "received",
        title: t(lang, "tr_f_flows"),
        series: vec![
            ("allowed".into(), t(lang, "tr_o_allowed").into()),
            ("refused".into(), t(lang, "tr_o_refused").into()),
        ],
        rows: n
            .data_flows
            .iter()
            .map(|f| Row {
                key: format!("{}>{}", f.requester, f.owner),
                label: format!("{} → {}", f.requester, f.owner),
                values: vec![f.allowed as f64, f.refused as f64],
            })
            .collect(),
        layout: Some(Layout::Stacked),
        detail: None,
    });
    figs
}

/// A CSV cell: formula-looking text (`=`, `+`, `-`, `@`, tab, carriage return first) is prefixed
/// with `'` so spreadsheets show it as text, then the cell is quoted when it holds a separator,
/// quote or line break.
pub(crate) fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_line(cells: &[String]) -> String {
    let mut l = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    l.push_str("\r\n");
    l
}

/// One figure as CSV: `row,label,<series codes…>[,<detail>]`.
pub(crate) fn figure_csv(f: &Figure) -> String {
    let mut head = vec!["row".to_owned(), "label".to_owned()];
    head.extend(f.series.iter().map(|(c, _)| c.clone()));
    if f.detail.is_some() {
        head.push("detail".into());
    }
    let mut out = csv_line(&head);
    for (i, r) in f.rows.iter().enumerate() {
        let mut cells = vec![r.key.clone(), r.label.clone()];
        cells.extend(r.values.iter().map(|v| fmt_num(*v)));
        if let Some((_, d)) = &f.detail {
            cells.push(d.get(i).cloned().unwrap_or_default());
        }
        out.push_str(&csv_line(&cells));
    }
    out
}

/// Every figure as one long CSV: `table,row,label,series,value`.
pub(crate) fn all_csv(figs: &[Figure]) -> String {
    let mut out = csv_line(&[
        "table".into(),
        "row".into(),
        "label".into(),
        "series".into(),
        "value".into(),
    ]);
    for f in figs {
        for (i, r) in f.rows.iter().enumerate() {
            for ((code, _), v) in f.series.iter().zip(&r.values) {
                out.push_str(&csv_line(&[
                    f.key.into(),
                    r.key.clone(),
                    r.label.clone(),
                    code.clone(),
                    fmt_num(*v),
                ]));
            }
            if let Some((_, d)) = &f.detail {
                out.push_str(&csv_line(&[
                    f.key.into(),
                    r.key.clone(),
                    r.label.clone(),
                    "detail".into(),
                    d.get(i).cloned().unwrap_or_default(),
                ]));
            }
        }
    }
    out
}

fn render_figure(lang: Lang, csv_base: &str, f: &Figure) -> Markup {
    let id = format!("fig-{}", f.key);
    html! {
        section.figure.wide[f.layout == Some(Layout::Columns) || f.series.len() > 3] id=(id) data-table=(f.key) {
            h3 { (f.title) }
            @if let Some(l) = f.layout {
                (charts::render(&Chart {
                    id: &format!("chart-{}", f.key),
                    title: f.title,
                    series: &f.series,
                    rows: &f.rows,
                    layout: l,
                    empty: t(lang, "tr_none"),
                }))
            }
            @if !f.rows.is_empty() {
                details open[f.layout.is_none() || f.rows.len() <= 12] {
                    summary { (t(lang, "tr_numbers")) }
                    table.figures {
                        thead { tr {
                            th scope="col" { (t(lang, "tr_s_row")) }
                            @for (_, s) in &f.series { th scope="col" { (s) } }
                            @if let Some((h, _)) = &f.detail { th scope="col" { (h) } }
                        } }
                        tbody {
                            @for (i, r) in f.rows.iter().enumerate() {
                                tr data-key=(r.key) {
                                    th scope="row" translate="no" { (r.label) }
                                    @for ((code, _), v) in f.series.iter().zip(&r.values) {
                                        td data-series=(code) { (fmt_num(*v)) }
                                    }
                                    @if let Some((_, d)) = &f.detail {
                                        td.citation { (d.get(i).map(String::as_str).unwrap_or_default()) }
                                    }
                                }
                            }
                        }
                    }
                }
            } @else if f.layout.is_none() {
                p { (t(lang, "tr_none")) }
            }
            p.csv { a href=(format!("{csv_base}?table={}", f.key)) download { (t(lang, "tr_csv")) " (" span translate="no" { (f.key) ".csv" } ")" } }
        }
    }
}

fn checkpoint_section(lang: Lang, cp: Option<&Checkpoint>, key_hex: &str, vkey: &str) -> Markup {
    html! {
        section #checkpoint {
            h2 { (t(lang, "tr_cp_h")) }
            @match cp {
                None => p { (t(lang, "tr_cp_none")) },
                Some(c) => {
                    dl.checkpoint {
                        dt { (t(lang, "tr_cp_size")) } dd #cp-size { (c.size) }
                        dt { (t(lang, "tr_cp_root")) } dd { code #cp-root { (c.root) } }
                        dt { (t(lang, "tr_cp_time")) } dd { (c.time.to_rfc3339()) }
                        dt { (t(lang, "tr_cp_sig")) } dd { code #cp-signature { (c.signature) } }
                        dt { (t(lang, "tr_cp_origin")) } dd { code { (c.origin) } }
                    }
                }
            }
            dl.checkpoint {
                dt { (t(lang, "tr_cp_key")) } dd { code #node-key { (key_hex) } }
                @if !vkey.is_empty() {
                    dt { (t(lang, "tr_cp_vkey")) } dd { code #node-vkey { (vkey) } }
                }
            }
            p { (t(lang, "tr_cp_how")) " " a href="/transparency-explained#verify" { (t(lang, "tr_explained_link")) } }
            pre { "curl -s " (format!("<node>/api/v1/audit/checkpoint/note")) " > checkpoint.note\n"
                  "sightline audit verify --log audit.jsonl --checkpoint checkpoint.note --public-key " (key_hex) }
        }
    }
}

fn agency_nav(lang: Lang, agencies: &[(String, String)], current: Option<&str>) -> Markup {
    let pos = current.and_then(|c| agencies.iter().position(|(id, _)| id == c));
    html! {
        nav #agency-nav aria-label=(t(lang, "tr_nav")) {
            ul.pager {
                li { a href="/transparency" { (t(lang, "tr_node")) } }
                @if let Some(p) = pos {
                    @if p > 0 {
                        li { a #prev-agency rel="prev" href=(format!("/transparency/{}", agencies[p - 1].0)) translate="no" { "← " (agencies[p - 1].1) } }
                    }
                    @if p + 1 < agencies.len() {
                        li { a #next-agency rel="next" href=(format!("/transparency/{}", agencies[p + 1].0)) translate="no" { (agencies[p + 1].1) " →" } }
                    }
                }
                li { a href="/transparency-explained" { (t(lang, "tr_explained_link")) } }
            }
            ul #agency-list.agencies translate="no" {
                @for (id, name) in agencies {
                    li {
                        @if Some(id.as_str()) == current {
                            span aria-current="page" { (name) }
                        } @else {
                            a href=(format!("/transparency/{id}")) data-agency=(id) { (name) }
                        }
                    }
                }
            }
        }
    }
}

fn page(lang: Lang, uri: &Uri, title: &str, body: Markup) -> Response {
    let markup = layout(lang, title, None, body);
    if uri.query().unwrap_or_default().contains("lang=") {
        with_lang(lang, markup)
    } else {
        maud::PreEscaped(markup.into_string()).into_response()
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> sightline_service::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(tokio::task::spawn_blocking(f).await??)
}

/// `/transparency`: the node's figures and the list of every agency.
pub async fn index(State(node): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let lang = Lang::from_request(&uri, &headers);
    let n = node.clone();
    let report = match blocking(move || n.transparency_summary()).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let agencies: Vec<(String, String)> = report
        .agencies
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let figs = node_figures(lang, &report);
    let body = html! {
        h1 { (t(lang, "tr_title")) }
        p.lead { (t(lang, "tr_lead")) " " a href="/transparency-explained" { (t(lang, "tr_explained_link")) } }
        p { (t(lang, "tr_computed")) " " (report.computed_at.to_rfc3339()) }
        (agency_nav(lang, &agencies, None))
        section #node-figures {
            h2 { (t(lang, "tr_node_h")) }
            @for f in &figs { (render_figure(lang, "/transparency-csv", f)) }
            p.csv { a href="/transparency-csv" download { (t(lang, "tr_csv_all")) } }
        }
        (checkpoint_section(lang, report.checkpoint.as_ref(), &node.audit.public_key_hex(),
            &node.audit.note_verifier().map(|v| v.to_string()).unwrap_or_default()))
    };
    page(lang, &uri, t(lang, "tr_title"), body)
}

/// `/transparency/{agency}`: one agency's figures.
pub async fn agency(
    State(node): State<AppState>,
    Path(agency): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_request(&uri, &headers);
    let n = node.clone();
    let got = blocking(move || {
        let id = AgencyId::parse(&agency)?;
        let agencies = n.store.agencies()?;
        Ok((n.transparency(&id)?, agencies))
    })
    .await;
    let (r, agencies) = match got {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let agencies: Vec<(String, String)> = agencies
        .into_iter()
        .map(|a| (a.id.to_string(), a.name))
        .collect();
    let figs = agency_figures(lang, &r);
    let id = r.agency.id.to_string();
    let csv_base = format!("/transparency/{id}/csv");
    let retention = if r.retention_minutes >= 1440 {
        format!(
            "{} {}",
            fmt_num(r.retention_minutes as f64 / 1440.0),
            t(lang, "tr_days")
        )
    } else {
        format!("{} {}", r.retention_minutes, t(lang, "tr_minutes"))
    };
    let title = format!("{}: {}", t(lang, "tr_title"), r.agency.name);
    let body = html! {
        (agency_nav(lang, &agencies, Some(&id)))
        section #report data-agency=(id) {
            h1 #agency-name { (t(lang, "tr_title")) ": " span translate="no" { (r.agency.name) } }
            p { span translate="no" { (r.agency.kind) " · " (r.agency.jurisdiction) } " · " (t(lang, "tr_computed")) " " (r.computed_at.to_rfc3339()) }
            p { (t(lang, "tr_retention_in_force")) " " strong { (retention) } " (" span translate="no" { (r.law_packs.join("; ")) } ")" }
            @for f in &figs { (render_figure(lang, &csv_base, f)) }
            p.csv { a href=(csv_base) download { (t(lang, "tr_csv_all")) } }
            @if let Some(note) = &r.note {
                h3 { (t(lang, "tr_note")) }
                blockquote #agency-note { (note) }
            }
        }
        (checkpoint_section(lang, r.checkpoint.as_ref(), &node.audit.public_key_hex(),
            &node.audit.note_verifier().map(|v| v.to_string()).unwrap_or_default()))
    };
    page(lang, &uri, &title, body)
}

/// `?table=` of the CSV downloads.
#[derive(Debug, Deserialize)]
pub struct CsvQuery {
    #[serde(default)]
    table: Option<String>,
}

fn csv_response(name: &str, figs: &[Figure], table: Option<&str>) -> Response {
    let (body, file) = match table {
        None => (all_csv(figs), format!("{name}.csv")),
        Some(tb) => match figs.iter().find(|f| f.key == tb) {
            Some(f) => (figure_csv(f), format!("{name}-{}.csv", f.key)),
            None => {
                let known: Vec<_> = figs.iter().map(|f| f.key).collect();
                return ApiError::new(
                    sightline_types::ErrorCode::NotFound,
                    format!("no table `{tb}`; the tables are {}", known.join(", ")),
                )
                .into_response();
            }
        },
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `/transparency/{agency}/csv[?table=…]`: one agency's figures as CSV.
pub async fn agency_csv(
    State(node): State<AppState>,
    Path(agency): Path<String>,
    Query(q): Query<CsvQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_request(&uri, &headers);
    let got = blocking(move || node.transparency(&AgencyId::parse(&agency)?)).await;
    match got {
        Ok(r) => csv_response(
            &format!("transparency-{}", r.agency.id),
            &agency_figures(lang, &r),
            q.table.as_deref(),
        ),
        Err(e) => e.into_response(),
    }
}

/// `/transparency-csv[?table=…]`: the node's figures as CSV.
pub async fn node_csv(
    State(node): State<AppState>,
    Query(q): Query<CsvQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_request(&uri, &headers);
    match blocking(move || node.transparency_summary()).await {
        Ok(r) => csv_response(
            "transparency-node",
            &node_figures(lang, &r),
            q.table.as_deref(),
        ),
        Err(e) => e.into_response(),
    }
}

/// `/transparency-explained`: what each figure means and how to check it, in plain words.
pub async fn explained(uri: Uri, headers: HeaderMap) -> Response {
    let lang = Lang::from_request(&uri, &headers);
    let figures = [
        ("summary", "tr_f_summary", "tr_x_summary"),
        (
            "weekly_outcome",
            "tr_f_weekly_outcome",
            "tr_x_weekly_outcome",
        ),
        (
            "weekly_purpose",
            "tr_f_weekly_purpose",
            "tr_x_weekly_purpose",
        ),
        ("refusals", "tr_f_refusals", "tr_x_refusals"),
        ("hits", "tr_f_hits", "tr_x_hits"),
        ("analysis", "tr_f_analysis", "tr_x_analysis"),
        ("findings", "tr_f_findings", "tr_x_findings"),
        ("retention", "tr_f_retention", "tr_x_retention"),
        ("received", "tr_f_received", "tr_x_received"),
        (
            "hits_for_others",
            "tr_f_hits_for_others",
            "tr_x_hits_for_others",
        ),
    ];
    let body = html! {
        h1 #explained { (t(lang, "tr_explained_h")) }
        p.lead { (t(lang, "tr_x_intro")) }
        p { a href="/transparency" { (t(lang, "tr_node")) } }
        section #meanings {
            h2 { (t(lang, "tr_x_meanings")) }
            dl {
                @for (key, title, text) in figures {
                    dt id=(format!("x-{key}")) { (t(lang, title)) }
                    dd { (t(lang, text)) }
                }
            }
        }
        section #verify {
            h2 { (t(lang, "tr_x_verify_h")) }
            ol {
                li { (t(lang, "tr_x_verify_1")) " " code { "GET /api/v1/audit/checkpoint/note" } }
                li { (t(lang, "tr_x_verify_2")) " " code { "GET /api/v1/audit/proof/consistency?from=OLD&to=NEW" } }
                li { (t(lang, "tr_x_verify_3")) }
                li { (t(lang, "tr_x_verify_4")) }
            }
            pre { "sightline audit verify --log audit.jsonl --checkpoint checkpoint.note --public-key <KEY>" }
            p { (t(lang, "tr_x_verify_5")) }
        }
    };
    page(lang, &uri, t(lang, "tr_explained_h"), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_csv_cells_cannot_become_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_cell("oak-park-pd"), "oak-park-pd");
        assert_eq!(csv_cell("12"), "12");
    }

    fn figure() -> Figure {
        Figure {
            key: "refusals",
            title: "Refusals",
            series: vec![("refusals".into(), "Refusals".into())],
            rows: vec![
                Row {
                    key: "us-il.immigration".into(),
                    label: "us-il.immigration".into(),
                    values: vec![2.0],
                },
                Row {
                    key: "=cmd".into(),
                    label: "=cmd".into(),
                    values: vec![1.0],
                },
            ],
            layout: Some(Layout::Grouped),
            detail: Some((
                "Citation",
                vec!["625 ILCS 5/2-130(b)(2)".into(), "a, \"b\"".into()],
            )),
        }
    }

    #[test]
    fn test_figure_csv_has_a_header_and_one_line_per_row() {
        let csv = figure_csv(&figure());
        assert_eq!(
            csv,
            "row,label,refusals,detail\r\nus-il.immigration,us-il.immigration,2,625 ILCS 5/2-130(b)(2)\r\n'=cmd,'=cmd,1,\"a, \"\"b\"\"\"\r\n"
        );
    }

    #[test]
    fn test_long_csv_names_its_table() {
        let csv = all_csv(&[figure()]);
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines[0], "table,row,label,series,value");
        assert_eq!(
            lines[1],
            "refusals,us-il.immigration,us-il.immigration,refusals,2"
        );
        assert_eq!(
            lines[2],
            "refusals,us-il.immigration,us-il.immigration,detail,625 ILCS 5/2-130(b)(2)"
        );
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn test_outcomes_come_in_reading_order_then_by_name() {
        let m: BTreeMap<String, u64> = ["refused", "zeta", "allowed", "alpha", "partial"]
            .iter()
            .map(|k| ((*k).to_owned(), 1))
            .collect();
        assert_eq!(
            ordered(m.keys()),
            ["allowed", "partial", "refused", "alpha", "zeta"]
        );
    }
}

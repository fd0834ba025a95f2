//! The public transparency pages in headless Chromium against `sightline demo`: after lawful,
//! refused and unlawful searches and a confirmed hot-list hit, every bar of every chart (on an
//! agency's page and on the node's) carries the figure the JSON report API gives, the tables
//! beside the charts say the same, the CSV downloads hold the same numbers (as attachments, cells
//! safe from formula injection), the index reaches every agency (links and previous/next), the
//! latest signed checkpoint is shown with the node's key, and the explainer exists in English
//! and German. Screenshots go to `screenshots/`.

mod support;

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use support::webdriver::Browser;
use support::{Demo, call};

/// `(table, row key, series) → value` as the page or the CSV shows it.
type Figures = BTreeMap<(String, String, String), f64>;

/// A GET that keeps the headers: (status, content type, content disposition, body).
fn get_raw(url: &str) -> (u16, String, String, String) {
    let resp = match ureq::get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {url}: {e}"),
    };
    let header = |h: &str| resp.header(h).unwrap_or_default().to_owned();
    let (st, ct, cd) = (
        resp.status(),
        header("content-type"),
        header("content-disposition"),
    );
    (st, ct, cd, resp.into_string().unwrap())
}

/// Splits CSV text into rows of cells (quoted cells with commas, quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// The figure the JSON report gives for a bar: `r` is an agency report or the node's summary.
fn expected(r: &Value, table: &str, key: &str, series: &str) -> f64 {
    let week = |field: &str| {
        r["weekly_searches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["week"] == key)
            .map_or(0.0, |w| num(&w[field][series]))
    };
    match table {
        "weekly_outcome" => week("by_outcome"),
        "weekly_purpose" => week("by_purpose"),
        "refusals" => num(&r["denials_by_rule"][key]),
        "hits" => num(&r["hotlist_hits"][key]),
        "analysis" => num(&r["analysis_searches"][key]),
        "hits_for_others" => num(&r["hits_for_others"][key]),
        "findings" => num(&r["findings"][key][series]),
        "retention" => {
            let (minutes, oldest) = match r["retention"].as_array() {
                // The node's summary: one row per owner.
                Some(owners) => {
                    let o = owners.iter().find(|o| o["agency"] == key).unwrap();
                    (
                        num(&o["retention_minutes"]),
                        num(&o["oldest_read_age_hours"]),
                    )
                }
                None => (
                    num(&r["retention_minutes"]),
                    num(&r["oldest_read_age_hours"]),
                ),
            };
            match series {
                "retention_hours" => (minutes / 60.0 * 100.0).round() / 100.0,
                _ => oldest,
            }
        }
        "received" => match r["data_flows"].as_array() {
            Some(flows) => flows
                .iter()
                .find(|f| {
                    format!(
                        "{}>{}",
                        f["requester"].as_str().unwrap(),
                        f["owner"].as_str().unwrap()
                    ) == key
                })
                .map_or(0.0, |f| num(&f[series])),
            None => num(&r["requests_from_others"][key][series]),
        },
        other => panic!("a chart the test does not know: {other}"),
    }
}

/// Every bar of every chart on the page, and every number of the tables beside them.
fn page_figures(b: &Browser) -> (Figures, Figures) {
    let grab = |sel: &str| -> Figures {
        let v = b.script(&format!(
            "return [...document.querySelectorAll({sel:?})].map(e => [e.closest('section.figure').dataset.table, \
             e.dataset.key || e.closest('tr').dataset.key, e.dataset.series, Number(e.dataset.value ?? e.textContent)]);"
        ));
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| {
                let s = |i: usize| x[i].as_str().unwrap().to_owned();
                ((s(0), s(1), s(2)), x[3].as_f64().unwrap())
            })
            .collect()
    };
    (
        grab("svg.chart rect"),
        grab("table.figures td[data-series]"),
    )
}

/// Checks a page's charts against its JSON report both ways, and its tables and CSV against the
/// charts; returns how many bars were checked.
fn check_page(b: &Browser, report: &Value, csv_url: &str) -> usize {
    let (bars, cells) = page_figures(b);
    for ((table, key, series), v) in &bars {
        assert_eq!(
            *v,
            expected(report, table, key, series),
            "bar {table}/{key}/{series} on the page differs from the JSON report"
        );
        assert_eq!(
            cells.get(&(table.clone(), key.clone(), series.clone())),
            Some(v),
            "the table beside {table} differs from its chart at {key}/{series}"
        );
    }
    // Every non-zero figure of the report has its bar.
    let bar = |t: &str, k: &str, s: &str| bars.get(&(t.into(), k.into(), s.into())).copied();
    for (rule, n) in report["denials_by_rule"].as_object().unwrap() {
        assert_eq!(bar("refusals", rule, "refusals"), Some(num(n)), "{rule}");
    }
    for (outcome, n) in report["hotlist_hits"].as_object().unwrap() {
        assert_eq!(bar("hits", outcome, "hits"), Some(num(n)), "{outcome}");
    }
    for w in report["weekly_searches"].as_array().unwrap() {
        for (o, n) in w["by_outcome"].as_object().unwrap() {
            let week = w["week"].as_str().unwrap();
            assert_eq!(bar("weekly_outcome", week, o), Some(num(n)), "{week} {o}");
        }
    }
    // The CSV of all tables holds the same numbers as the charts.
    let (st, ctype, disposition, body) = get_raw(csv_url);
    assert_eq!(st, 200, "{body}");
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    assert!(
        disposition.starts_with("attachment; filename="),
        "{disposition}"
    );
    let rows = parse_csv(&body);
    assert_eq!(rows[0], ["table", "row", "label", "series", "value"]);
    let charted: BTreeSet<&String> = bars.keys().map(|(t, _, _)| t).collect();
    let from_csv: Figures = rows[1..]
        .iter()
        .filter(|r| r[3] != "detail" && charted.contains(&r[0]))
        .map(|r| {
            (
                (r[0].clone(), r[1].clone(), r[3].clone()),
                r[4].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(from_csv, bars, "the CSV download differs from the charts");
    bars.len()
}

#[test]
fn test_transparency_charts_match_the_report_api() {
    let tmp = tempfile::tempdir().unwrap();
    // No live traffic: the figures stay what this test made them.
    let demo = Demo::start(&tmp.path().join("demo"), "0");
    let url = demo.url.clone();
    let now = chrono::Utc::now();
    let search = |user: &str, purpose: &str, case: &str| {
        call(
            &url,
            "POST",
            "/api/v1/searches",
            Some(&demo.token(user)),
            Some(json!({
            "purpose": purpose, "case_number": case, "reason": "transparency test",
            "query": {"plate": {"exact": "CV 48213"}, "window": {"from": (now - chrono::Duration::days(2)).to_rfc3339(), "to": now.to_rfc3339()}}})),
        )
    };
    assert_eq!(
        search("officer@oak-park-pd", "stolen_vehicle", "26-000123").0,
        200
    );
    assert_eq!(
        search("officer@oak-park-pd", "stolen_vehicle", "26-000124").0,
        200
    );
    // Refused before any owner is asked: no case number.
    assert_ne!(search("officer@oak-park-pd", "stolen_vehicle", "").0, 200);
    // Illinois law refuses Oak Park's data to a federal immigration search.
    let (st, v) = search("officer@ice-ero-chicago", "civil_immigration", "26-900001");
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        support::owner(&v, "oak-park-pd")["outcome"],
        "excluded",
        "{v}"
    );
    assert_eq!(
        search("officer@harris-county-so", "stolen_vehicle", "26-000777").0,
        200
    );
    // A hot-list hit on an Oak Park camera, confirmed by the officer.
    let camera = demo.creds["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["owner"] == "oak-park-pd")
        .unwrap();
    let key = camera["device_key"].as_str().unwrap();
    let (st, v) = call(
        &url,
        "POST",
        "/api/v1/reads",
        Some(key),
        Some(json!({"reads": [
        {"id": "transparency-1", "captured_at": chrono::Utc::now().to_rfc3339(), "plate": "CV 48213"}]})),
    );
    assert_eq!(st, 200, "{v}");
    let officer = demo.token("officer@oak-park-pd");
    let hit = (0..150)
        .find_map(|_| {
            let (_, hits) = call(&url, "GET", "/api/v1/alerts", Some(&officer), None);
            let first = hits.as_array().and_then(|h| h.first()).cloned();
            if first.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            first
        })
        .expect("the read of a listed plate raised a hit");
    let (st, v) = call(
        &url,
        "POST",
        &format!("/api/v1/alerts/{}/ack", hit["id"]),
        Some(&officer),
        Some(json!({"outcome": "confirmed"})),
    );
    assert_eq!(st, 200, "{v}");
    // A checkpoint over all of it.
    let (st, v) = call(
        &url,
        "POST",
        "/api/v1/audit/checkpoint",
        Some(&demo.token("auditor@oak-park-pd")),
        None,
    );
    assert_eq!(st, 200, "{v}");

    // The JSON reports (computed now, then cached: the pages show the same computation).
    let (st, op) = call(&url, "GET", "/api/v1/transparency/oak-park-pd", None, None);
    assert_eq!(st, 200, "{op}");
    assert!(
        !op["denials_by_rule"].as_object().unwrap().is_empty(),
        "{op}"
    );
    assert_eq!(op["hotlist_hits"]["confirmed"], 1, "{op}");
    assert_eq!(op["searches_by_outcome"]["refused"], 1, "{op}");
    assert!(
        op["requests_from_others"]["ice-ero-chicago"]["refused"].as_u64() >= Some(1),
        "{op}"
    );
    assert!(
        op["reads_held"].as_u64() > Some(0) && op["oldest_read_age_hours"].as_i64() >= Some(47),
        "{op}"
    );
    let weeks: u64 = op["weekly_searches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["by_outcome"].as_object().unwrap().values())
        .map(|n| n.as_u64().unwrap())
        .sum();
    // The demo's opening searches are there too, so the total comes from the report itself.
    let total: u64 = op["searches_by_outcome"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert!(total >= 3, "{op}");
    assert_eq!(
        weeks, total,
        "the weekly series holds every search of the agency: {op}"
    );
    let (_, all) = call(&url, "GET", "/api/v1/transparency", None, None);
    let agencies: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["agency"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(agencies.len(), 6, "{agencies:?}");
    let (st, node) = call(&url, "GET", "/api/v1/transparency-summary", None, None);
    assert_eq!(st, 200, "{node}");
    let searches = |r: &Value| -> u64 {
        r["searches_by_outcome"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum()
    };
    assert_eq!(
        searches(&node),
        all.as_array().unwrap().iter().map(searches).sum::<u64>()
    );
    // Every search in the log (the test's five and the demo's opening searches) is counted once.
    let (st, log) = call(
        &url,
        "GET",
        "/api/v1/audit/entries?action=search&limit=10000",
        Some(&demo.token("operator")),
        None,
    );
    assert_eq!(st, 200, "{log}");
    let logged = log.as_array().unwrap().len() as u64;
    assert!(
        logged > 5,
        "the demo's opening searches are in the log: {logged}"
    );
    assert_eq!(searches(&node), logged);

    let b = Browser::start();
    // The agency page: charts against the API, tables and CSV against the charts.
    b.goto(&format!("{url}/transparency/oak-park-pd"));
    b.wait_for("svg.chart", 10);
    let checked = check_page(&b, &op, &format!("{url}/transparency/oak-park-pd/csv"));
    assert!(checked >= 8, "{checked} bars");
    // Screen readers get the numbers: each chart is an image named by its title and desc.
    let desc = b.text("#fig-refusals");
    let rule = op["denials_by_rule"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    assert!(desc.contains(&rule), "{desc}");
    let labelled = b.script("return [...document.querySelectorAll('svg.chart')].every(s => s.getAttribute('role') === 'img' && s.getAttribute('aria-labelledby').split(' ').every(id => document.getElementById(id) && document.getElementById(id).textContent.length > 0));");
    assert_eq!(labelled, Value::Bool(true));
    // The checkpoint with the node's key.
    let (_, cp) = call(&url, "GET", "/api/v1/audit/checkpoint", None, None);
    assert_eq!(b.text("#cp-size"), op["checkpoint"]["size"].to_string());
    assert_eq!(
        b.text("#cp-root"),
        op["checkpoint"]["root"].as_str().unwrap()
    );
    assert_eq!(b.text("#node-key"), cp["public_key"].as_str().unwrap());
    b.screenshot("transparency-agency.png");
    // One table's CSV: the refusals with their citations, as in the report.
    let (st, ctype, disposition, body) = get_raw(&format!(
        "{url}/transparency/oak-park-pd/csv?table=refusals"
    ));
    assert_eq!(st, 200);
    assert!(
        ctype.starts_with("text/csv") && disposition.contains("refusals.csv"),
        "{ctype} {disposition}"
    );
    let rows = parse_csv(&body);
    assert_eq!(rows[0], ["row", "label", "refusals", "detail"]);
    for r in &rows[1..] {
        assert_eq!(
            r[2].parse::<f64>().unwrap(),
            num(&op["denials_by_rule"][&r[0]]),
            "{r:?}"
        );
        assert_eq!(
            r[3],
            op["denial_citations"][&r[0]].as_str().unwrap(),
            "{r:?}"
        );
    }
    assert_eq!(
        rows.len() - 1,
        op["denials_by_rule"].as_object().unwrap().len()
    );
    let (st, ..) = get_raw(&format!("{url}/transparency/oak-park-pd/csv?table=nope"));
    assert_eq!(st, 404);

    // The node's page: its charts against the summary API, and the index of every agency.
    b.goto(&format!("{url}/transparency"));
    b.wait_for("#agency-list", 10);
    assert!(check_page(&b, &node, &format!("{url}/transparency-csv")) >= 8);
    b.screenshot("transparency-node.png");
    let listed: Vec<String> = serde_json::from_value(b.script(
        "return [...document.querySelectorAll('#agency-list a')].map(a => a.dataset.agency);",
    ))
    .unwrap();
    assert_eq!(listed, agencies);
    for id in &agencies {
        b.click(&format!("#agency-list a[data-agency={id:?}]"));
        b.wait_for(&format!("#report[data-agency={id:?}]"), 10);
        b.goto(&format!("{url}/transparency"));
        b.wait_for("#agency-list", 10);
    }
    // Previous/next walk through every agency in order.
    b.goto(&format!("{url}/transparency/{}", agencies[0]));
    let mut walked = vec![agencies[0].clone()];
    while b.count("#next-agency") == 1 {
        b.click("#next-agency");
        b.wait_for("#report", 10);
        let here = b.script("return document.querySelector('#report').dataset.agency;");
        walked.push(here.as_str().unwrap().to_owned());
    }
    assert_eq!(walked, agencies);
    assert_eq!(b.count("#prev-agency"), 1);

    // The explainer, in English and in German; the German report has no untranslated text.
    b.goto(&format!("{url}/transparency-explained?lang=en"));
    assert!(
        b.text("#explained")
            .contains("Transparency report explained")
    );
    let text = b.page_text();
    assert!(
        text.contains("sightline audit verify") && text.contains("/api/v1/audit/checkpoint/note"),
        "{text}"
    );
    b.goto(&format!("{url}/transparency-explained?lang=de"));
    assert!(
        b.text("#explained")
            .contains("Der Transparenzbericht erklärt")
    );
    assert_eq!(
        b.script("return document.documentElement.lang;"),
        json!("de")
    );
    b.screenshot("transparency-explained-de.png");
    b.goto(&format!("{url}/transparency/oak-park-pd?lang=de"));
    b.wait_for("svg.chart", 10);
    assert!(b.text("#agency-name").starts_with("Transparenzbericht"));
    let text = b.page_text();
    assert!(
        !text.lines().any(|l| l.trim() == "?") && text.contains("Suchen pro Woche"),
        "{text}"
    );
    b.screenshot("transparency-agency-de.png");
}

//! Every page of the web UI, walked in headless Chromium (issue 21, items 3 and 4):
//!
//! - the list of pages comes from the server's own route registrations (every `GET` route of the
//!   web router in `crates/server/src/web/` and every non-API `GET` of the route table in
//!   `crates/server/src/routes.rs`), so a page added later is walked without editing this test;
//!   each is opened by the first identity (signed out, then the demo's officer, admin, auditor,
//!   supervisor, operator) that gets it as HTML; routes answering something else (CSV, event
//!   streams) are not pages;
//! - plus the search page's two answers: sightings with the track on the map, and a refusal naming
//!   the statute;
//! - each in English and German (`?lang=`), at desktop (1280×800) and phone (390×844) width: a
//!   screenshot (under `$SIGHTLINE_SCREENSHOTS`, default the target directory's
//!   `tmp/ui-pages-screenshots/`), axe-core (no serious or critical violation), no horizontal
//!   scrolling at phone width, `<html lang>` right, and on German pages no English words outside
//!   data (`translate="no"`: names, plates, codes, citations, what users typed);
//! - keyboard only: tab through the search form, submit with Enter, reach the alerts page and
//!   acknowledge a live hit without the mouse.
//!
//! axe-core is installed by `scripts/test` (npm, pinned) into `~/.cache/sightline/axe/`;
//! `$SIGHTLINE_AXE` may point at another `axe.min.js`.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;
use support::Demo;
use support::webdriver::Browser;

/// The identities pages are tried with, least privileged first (`None`: signed out).
const IDENTITIES: &[Option<&str>] = &[
    None,
    Some("officer@oak-park-pd"),
    Some("admin@oak-park-pd"),
    Some("auditor@oak-park-pd"),
    Some("supervisor@harris-county-so"),
    Some("operator"),
];

/// Sample values for path parameters. A page route with a parameter not listed here fails the
/// test (add a sample, don't skip the page).
const PARAM_SAMPLES: &[(&str, &str)] = &[("{agency}", "oak-park-pd")];

/// English words that are not German words ("was", "will", "die" are German, so not here): one
/// of them outside data on a German page is English left untranslated.
const ENGLISH: &[&str] = &[
    "the",
    "and",
    "with",
    "your",
    "you",
    "of",
    "to",
    "is",
    "are",
    "for",
    "by",
    "this",
    "that",
    "from",
    "were",
    "has",
    "have",
    "been",
    "which",
    "when",
    "where",
    "who",
    "what",
    "here",
    "there",
    "shown",
    "every",
    "each",
    "not",
    "or",
    "on",
    "at",
    "its",
    "can",
    "may",
    "must",
    "all",
    "none",
    "sign",
    "out",
    "search",
    "alerts",
    "results",
    "entries",
    "record",
    "verified",
    "latest",
    "signed",
    "users",
    "user",
    "cameras",
    "hits",
    "hit",
    "hot",
    "lists",
    "new",
    "end",
    "enable",
    "disable",
    "role",
    "scope",
    "shared",
    "open",
    "released",
    "kept",
    "days",
    "minutes",
    "reads",
    "why",
    "justified",
    "referred",
    "confirmed",
    "dismissed",
    "misread",
    "merge",
    "replace",
    "findings",
    "revoke",
    "key",
    "agency",
    "agreement",
    "report",
    "figures",
    "yet",
    "secret",
    "enter",
    "one",
];

/// Pages whose German is not done yet, with why: the walk prints them every run, still checks
/// them for everything else (axe, phone width, `<html lang>` where they have a language switch),
/// and fails if one is listed but has no English left (then take it off this list).
const ENGLISH_ONLY: &[(&str, &str)] = &[];

fn english_only(slug: &str) -> Option<&'static str> {
    ENGLISH_ONLY
        .iter()
        .find(|(prefix, _)| slug.starts_with(prefix))
        .map(|(_, why)| *why)
}

fn screenshots_dir() -> PathBuf {
    let dir = std::env::var_os("SIGHTLINE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-pages-screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn axe_source() -> String {
    let path = std::env::var_os("SIGHTLINE_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&std::env::var("HOME").unwrap_or_default())
                .join(".cache/sightline/axe/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is needed at {} ({e}); run `scripts/test` (it installs the pinned axe-core \
             with npm) or set SIGHTLINE_AXE",
            path.display()
        )
    })
}

/// Every `GET` path the server registers for a browser: the web router's `.route("…", get(…))`
/// calls under `crates/server/src/` and the route table's non-API `get "…"` lines.
fn page_routes() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src");
    let mut files = Vec::new();
    let mut stack = vec![src];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // `.route("/path", get(handler).post(…))`, possibly split over lines by rustfmt.
        for (i, _) in text.match_indices(".route(") {
            let rest = text[i + 7..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let Some((path, tail)) = rest.split_once('"') else {
                continue;
            };
            let call = tail.split(".route(").next().unwrap_or_default();
            let call = &call[..call.len().min(200)];
            if call.contains("get(") {
                out.insert(path.to_owned());
            }
        }
        // The route table: `get "/path" Access => handler;`.
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("get \"")
                && let Some((path, _)) = rest.split_once('"')
                && !path.starts_with("/api/")
                && path != "/healthz"
                && path != "/metrics"
            {
                out.insert(path.to_owned());
            }
        }
    }
    assert!(
        out.contains("/ui/search") && out.contains("/transparency"),
        "the route scan found {out:?}: did the route registrations move?"
    );
    out.into_iter().collect()
}

/// A GET without following redirects: status and content type.
fn probe(base: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(std::time::Duration::from_secs(30))
        .build();
    let mut req = agent.get(&format!("{base}{path}"));
    if let Some(t) = token {
        req = req.set("Cookie", &format!("sl_session={t}"));
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {path}: {e}"),
    };
    (resp.status(), resp.content_type().to_owned())
}

/// One thing to look at: a page by URL, or a search submitted through the form.
#[derive(Debug, Clone)]
enum Visit {
    Get {
        path: String,
        who: Option<String>,
    },
    Search {
        name: &'static str,
        who: String,
        purpose: &'static str,
        reason: &'static str,
        plate: String,
        /// What the answer shows once it is there.
        wait: &'static str,
    },
}

impl Visit {
    fn who(&self) -> Option<&str> {
        match self {
            Visit::Get { who, .. } => who.as_deref(),
            Visit::Search { who, .. } => Some(who),
        }
    }

    fn slug(&self) -> String {
        match self {
            Visit::Get { path, .. } => {
                let s: String = path
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                let s = s.trim_matches('-').to_owned();
                if s.is_empty() { "home".into() } else { s }
            }
            Visit::Search { name, .. } => (*name).to_owned(),
        }
    }
}

struct Walk<'a> {
    b: &'a Browser,
    demo: &'a Demo,
    axe: String,
    signed_in: Option<Option<String>>,
    problems: Vec<String>,
    axe_counts: Vec<(String, usize)>,
}

impl Walk<'_> {
    fn sign_in(&mut self, who: Option<&str>) {
        if self.signed_in.as_ref().map(|w| w.as_deref()) == Some(who) {
            return;
        }
        self.b.delete_cookies();
        match who {
            Some(u) => self.b.use_session(&self.demo.url, &self.demo.token(u)),
            None => self.b.goto(&format!("{}/healthz", self.demo.url)),
        }
        self.signed_in = Some(who.map(str::to_owned));
    }

    fn open(&mut self, v: &Visit, lang: &str) {
        self.sign_in(v.who());
        let url = |path: &str| {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{}{path}{sep}lang={lang}", self.demo.url)
        };
        match v {
            Visit::Get { path, .. } => self.b.goto(&url(path)),
            Visit::Search {
                purpose,
                reason,
                plate,
                wait,
                ..
            } => {
                self.b.goto(&url("/ui/search"));
                self.b.select("#purpose", purpose);
                self.b.type_into("#case_number", "26-000123");
                self.b.type_into("#reason", reason);
                self.b.type_into("#plate", plate);
                self.b.type_into("#hours", "720");
                self.b.click("#run");
                self.b.wait_for(wait, 20);
            }
        }
    }

    /// The checks of one page as it is shown now.
    fn check(&mut self, slug: &str, label: &str, lang: &str, phone: bool) {
        let b = self.b;
        let known = english_only(slug);
        let html_lang = b.script("return document.documentElement.lang;");
        if html_lang.as_str() != Some(lang) && known.is_none() {
            self.problems
                .push(format!("{label}: <html lang> is {html_lang}, not {lang}"));
        }
        // axe-core: inject once per page load, then run.
        if b.script("return typeof axe === 'undefined';") == json!(true) {
            b.script(&self.axe);
        }
        let v = b.script(
            "return axe.run(document, {resultTypes: ['violations']}).then(function (r) {
               return r.violations.map(function (v) {
                 return {id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); })};
               });
             });",
        );
        let violations = v.as_array().cloned().unwrap_or_else(|| {
            self.problems.push(format!("{label}: axe did not run: {v}"));
            Vec::new()
        });
        let serious: Vec<&Value> = violations
            .iter()
            .filter(|x| x["impact"] == "serious" || x["impact"] == "critical")
            .collect();
        self.axe_counts.push((label.to_owned(), serious.len()));
        for x in &serious {
            self.problems.push(format!(
                "{label}: axe {} ({}): {} at {}",
                x["id"], x["impact"], x["help"], x["nodes"]
            ));
        }
        if phone {
            let w = b.script(
                "return [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth];",
            );
            let (doc, body, inner) = (w[0].as_u64(), w[1].as_u64(), w[2].as_u64());
            if inner != Some(390) {
                self.problems
                    .push(format!("{label}: the phone viewport is {w}, not 390 wide"));
            }
            if doc > inner || body > inner {
                self.problems.push(format!(
                    "{label}: the page scrolls sideways at 390 px (scrollWidth document, body, viewport: {w})"
                ));
            }
        }
        if lang == "de" {
            let english = english_on_page(b);
            match known {
                None if !english.is_empty() => self.problems.push(format!(
                    "{label}: English on the German page: {}",
                    english.join(" | ")
                )),
                Some(_) if english.is_empty() => self.problems.push(format!(
                    "{label}: no English left: take it off ENGLISH_ONLY"
                )),
                _ => {}
            }
        }
    }
}

/// Text on the page (and in labels, placeholders, titles, alt texts) outside data, with the
/// English words each holds.
fn english_on_page(b: &Browser) -> Vec<String> {
    let texts = b.script(
        "var out = [];
         var skip = function (el) { return !el || el.closest('[translate=no],code,pre,script,style,.citation,noscript'); };
         var w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
         var n; while ((n = w.nextNode())) { if (!skip(n.parentElement) && n.nodeValue.trim()) out.push(n.nodeValue.trim()); }
         document.querySelectorAll('[aria-label],[placeholder],[title],img[alt]').forEach(function (el) {
           if (skip(el)) return;
           ['aria-label', 'placeholder', 'title', 'alt'].forEach(function (a) { var v = el.getAttribute(a); if (v) out.push(v); });
         });
         out.push(document.title);
         return out;",
    );
    let english: BTreeSet<&str> = ENGLISH.iter().copied().collect();
    let mut found = Vec::new();
    for t in texts
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let hits: Vec<String> = t
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| english.contains(w.to_lowercase().as_str()))
            .map(str::to_owned)
            .collect();
        if !hits.is_empty() {
            let excerpt: String = t.chars().take(90).collect();
            found.push(format!("{hits:?} in \"{excerpt}\""));
        }
    }
    found
}

fn require_tools() {
    let driver = std::process::Command::new("chromedriver")
        .arg("--version")
        .output();
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists()
            && driver.is_ok_and(|o| o.status.success()),
        "the page walk needs Chromium and chromedriver; run `scripts/test` (it installs the Debian \
         packages chromium and chromium-driver)"
    );
}

#[test]
fn test_every_page_in_both_languages_at_both_widths() {
    require_tools();
    let started = Instant::now();
    let axe = axe_source();
    let tmp = tempfile::tempdir().unwrap();
    let demo = Demo::start(&tmp.path().join("demo"), "5");
    let url = demo.url.clone();
    let now = chrono::Utc::now();

    // A search of the officer's, for the vehicle page to follow.
    let (st, v) = support::call(
        &url,
        "POST",
        "/api/v1/searches",
        Some(&demo.token("officer@oak-park-pd")),
        Some(
            json!({"purpose": "stolen_vehicle", "case_number": "26-000123", "reason": "stolen car",
            "query": {"plate": {"exact": "CV 48213"}, "window": {
                "from": (now - chrono::Duration::days(2)).to_rfc3339(), "to": now.to_rfc3339()}}}),
        ),
    );
    assert_eq!(st, 200, "{v}");
    let follows = v["audit_seq"].as_u64().unwrap();
    let query_samples = [("/ui/vehicle", format!("?plate=CV48213&follows={follows}"))];

    // The API answers in German when asked to (Accept-Language), naming the same statute.
    let resp = ureq::post(&format!("{url}/api/v1/searches"))
        .set(
            "Authorization",
            &format!("Bearer {}", demo.token("officer@ice-ero-chicago")),
        )
        .set("Accept-Language", "de-DE,de;q=0.9")
        .send_json(
            json!({"purpose": "other_crime", "case_number": "26-555", "reason": "ICE+ERO",
            "query": {"plate": {"exact": "CV 48213"}, "window": {
                "from": (now - chrono::Duration::days(2)).to_rfc3339(), "to": now.to_rfc3339()}}}),
        )
        .unwrap();
    let v: Value = resp.into_json().unwrap();
    let il = support::owner(&v, "oak-park-pd");
    assert_eq!(il["citation"], "625 ILCS 5/2-130(b)(2)", "{v}");
    assert!(
        il["explanation"]
            .as_str()
            .unwrap()
            .starts_with("Das Recht von Illinois verbietet"),
        "{il}"
    );

    // A finding for the review page: a search on behalf of a federal agency raises one in the
    // usage watch (which runs beside the search path, so wait until it is there).
    let (st, v) = support::call(
        &url,
        "POST",
        "/api/v1/searches",
        Some(&demo.token("officer@oak-park-pd")),
        Some(
            json!({"purpose": "stolen_vehicle", "case_number": "26-000124", "reason": "stolen car",
            "on_behalf_of": "ice-ero-chicago",
            "query": {"plate": {"exact": "CV 48213"}, "window": {
                "from": (now - chrono::Duration::days(2)).to_rfc3339(), "to": now.to_rfc3339()}}}),
        ),
    );
    assert!(st == 200 || st == 400 || st == 403, "{st} {v}");
    let auditor = demo.token("auditor@oak-park-pd");
    let mut findings = Value::Null;
    for _ in 0..100 {
        let (st, v) = support::call(&url, "GET", "/api/v1/findings", Some(&auditor), None);
        assert_eq!(st, 200, "{v}");
        if v.as_array().is_some_and(|a| !a.is_empty()) {
            findings = v;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(
        findings.as_array().is_some_and(|a| !a.is_empty()),
        "the usage watch raised no finding for a search on behalf of a federal agency"
    );

    // The pages, each with the first identity that gets it as HTML.
    let mut visits = Vec::new();
    let mut not_pages = Vec::new();
    for route in page_routes() {
        let mut path = route.clone();
        for (param, sample) in PARAM_SAMPLES {
            path = path.replace(param, sample);
        }
        assert!(
            !path.contains('{'),
            "the page route {route} has a parameter without a sample value: add one to PARAM_SAMPLES"
        );
        if let Some((_, q)) = query_samples.iter().find(|(p, _)| *p == path) {
            path.push_str(q);
        }
        let mut seen = Vec::new();
        let who = IDENTITIES.iter().find(|who| {
            let token = who.map(|u| demo.token(u));
            let (status, ctype) = probe(&url, &path, token.as_deref());
            seen.push(format!("{}: {status} {ctype}", who.unwrap_or("signed out")));
            status == 200 && ctype == "text/html"
        });
        match who {
            Some(who) => visits.push(Visit::Get {
                path,
                who: who.map(str::to_owned),
            }),
            // 200 with another type: a download or an event stream, not a page.
            None if seen.iter().any(|s| s.contains(": 200 ")) => not_pages.push(route),
            None => panic!("no identity gets the page {path} as HTML: {seen:?}"),
        }
    }
    println!("ui_pages: not pages (downloads, streams): {not_pages:?}");
    for (page, why) in ENGLISH_ONLY {
        println!("ui_pages: German not done for {page}*: {why}");
    }
    assert!(
        visits.len() >= 8,
        "only {} pages found: {visits:?}",
        visits.len()
    );
    visits.push(Visit::Search {
        name: "search-sightings",
        who: "officer@oak-park-pd".into(),
        purpose: "stolen_vehicle",
        reason: "stolen car",
        plate: "CV48213".into(),
        wait: "#owners",
    });
    // A search the service refuses before any owner is asked (a character no plate has): the
    // refusal's text comes from its message key, in German on German pages.
    visits.push(Visit::Search {
        name: "search-invalid",
        who: "officer@oak-park-pd".into(),
        purpose: "stolen_vehicle",
        reason: "stolen car",
        plate: "AB$12".into(),
        wait: "#search-error",
    });
    // A federal requester: Illinois's law refuses, naming its statute.
    visits.push(Visit::Search {
        name: "search-refused",
        who: "officer@ice-ero-chicago".into(),
        purpose: "other_crime",
        reason: "ICE+ERO",
        plate: "CV48213".into(),
        wait: "#owners",
    });

    let b = Browser::start();
    let dir = screenshots_dir();
    let mut walk = Walk {
        b: &b,
        demo: &demo,
        axe,
        signed_in: None,
        problems: Vec::new(),
        axe_counts: Vec::new(),
    };
    let mut shots = 0;
    for (wname, w, h) in [("desktop", 1280, 800), ("phone", 390, 844)] {
        b.set_window_size(w, h);
        for v in &visits {
            for lang in ["en", "de"] {
                walk.open(v, lang);
                let label = format!("{} [{lang}, {wname}]", v.slug());
                walk.check(&v.slug(), &label, lang, wname == "phone");
                b.screenshot_to(&dir.join(format!("{}-{lang}-{wname}.png", v.slug())));
                shots += 1;
            }
        }
    }
    let total: usize = walk.axe_counts.iter().map(|(_, n)| n).sum();
    println!(
        "ui_pages: {} pages ({} visits), {shots} screenshots in {}, {total} serious/critical axe violations, {} problems, {:.1} s",
        visits.len(),
        walk.axe_counts.len(),
        dir.display(),
        walk.problems.len(),
        started.elapsed().as_secs_f64()
    );
    for p in &walk.problems {
        println!("  {p}");
    }
    // The service's refusal is German on the German page (from its key), with the character as data.
    let invalid = visits
        .iter()
        .find(|v| v.slug() == "search-invalid")
        .unwrap();
    walk.open(invalid, "de");
    let refusal = b.text("#search-error");
    assert!(
        refusal.contains("Zeichen") && refusal.contains('$'),
        "{refusal}"
    );
    // The findings page lists the finding, its summary in German.
    walk.open(
        &Visit::Get {
            path: "/ui/findings".into(),
            who: Some("auditor@oak-park-pd".into()),
        },
        "de",
    );
    assert!(b.count("#findings tbody tr") > 0, "no finding on the page");
    let table = b.text("#findings");
    assert!(table.contains("Bundesbehörde"), "{table}");
    // The oversight report is German.
    walk.open(
        &Visit::Get {
            path: "/ui/audit/oversight".into(),
            who: Some("auditor@oak-park-pd".into()),
        },
        "de",
    );
    let report = b.text("main");
    assert!(
        report.contains("Summen") && report.contains("Reichweite"),
        "{report}"
    );
    // The refusal names the statute, in German too.
    walk.open(&visits[visits.len() - 1], "de");
    let owners = b.text("#owners");
    assert!(
        owners.contains("625 ILCS 5/2-130") && owners.contains("ausgeschlossen"),
        "{owners}"
    );
    assert!(
        walk.problems.is_empty(),
        "{} problems (listed above)",
        walk.problems.len()
    );
}

/// Keyboard only: tab to each field of the search form, type, submit with Enter; tab to the
/// alerts link, open it with Enter, and acknowledge a live hit with the keyboard.
#[test]
fn test_search_and_alerts_by_keyboard() {
    require_tools();
    let tmp = tempfile::tempdir().unwrap();
    let demo = Demo::start(&tmp.path().join("demo"), "5");
    let b = Browser::start();
    b.use_session(&demo.url, &demo.token("officer@oak-park-pd"));
    b.goto(&format!("{}/ui/search", demo.url));
    b.wait_for("#search-form", 10);
    let focused = || {
        b.script("var e = document.activeElement; return e ? (e.id || e.getAttribute('href') || e.tagName) : '';")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // Tab from the top of the page to a field, typing its value when reached.
    let tab_to = |target: &str, limit: usize| {
        for _ in 0..limit {
            if focused() == target {
                return;
            }
            b.keys_to_focused("\u{E004}");
        }
        panic!("Tab never reached {target} (last focus: {})", focused());
    };
    b.script("document.activeElement && document.activeElement.blur(); document.body.focus();");
    b.keys_to_focused("\u{E004}");
    let mut order = Vec::new();
    for (id, value) in [
        ("case_number", "26-000123"),
        ("reason", "stolen car"),
        ("plate", "CV48213"),
    ] {
        tab_to(id, 40);
        order.push(id);
        b.keys_to_focused(value);
    }
    assert_eq!(order, ["case_number", "reason", "plate"]);
    b.keys_to_focused("\u{E007}");
    b.wait_for("#results", 20);
    assert!(
        b.count("#results tr.sighting") > 0,
        "the search found sightings"
    );

    // A live hit for Oak Park: a listed plate read by one of its cameras.
    let cam = demo.creds["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["owner"] == "oak-park-pd")
        .unwrap()["device_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, v) = support::call(
        &demo.url,
        "POST",
        "/api/v1/reads",
        Some(&cam),
        Some(
            json!({"reads": [{"id": "kb-1", "captured_at": chrono::Utc::now().to_rfc3339(), "plate": "CV48213"}]}),
        ),
    );
    assert_eq!(st, 200, "{v}");
    b.script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);");
    b.keys_to_focused("\u{E004}");
    tab_to("/ui/alerts", 20);
    b.keys_to_focused("\u{E007}");
    b.wait_for("#hits .hit button.ack", 20);
    // Tab to the first unacknowledged hit's outcome, keep `confirmed`, and press its button.
    let select = b
        .script("return document.querySelector('#hits .hit select').id;")
        .as_str()
        .unwrap()
        .to_owned();
    b.keys_to_focused("\u{E004}");
    tab_to(&select, 60);
    b.keys_to_focused("\u{E004}");
    assert_eq!(
        b.script("return document.activeElement.className;")
            .as_str(),
        Some("ack")
    );
    b.keys_to_focused("\u{E007}");
    b.wait_for("#hits .hit .outcome", 20);
}

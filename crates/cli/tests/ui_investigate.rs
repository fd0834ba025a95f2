//! The investigations page (issue 18) in a real headless Chromium, on the demo's simulated
//! network: a convoy search under a warrant for a homicide ranks the planted companion first and
//! draws the co-travel map; without a warrant the law refuses, the rule cited; an expired warrant
//! is refused with the service's message beside the expiry field; a multi-location search over
//! the three planted sites (circles picked on the map, or their cameras clicked on the map)
//! finds the multi-site vehicle; and the export button's download (analysis, search and vehicle
//! pages) is a package `sightline evidence verify` accepts, and rejects,
//! naming the file, after one byte is changed.

mod support;

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::process::Command;
use support::Demo;
use support::webdriver::Browser;

/// Fails (never skips) when the browser is missing: `scripts/test` installs it.
fn require_browser() {
    let driver = Command::new("chromedriver").arg("--version").output();
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists()
            && driver.is_ok_and(|o| o.status.success()),
        "the browser test needs Chromium and chromedriver; run `scripts/test` (it installs the \
         Debian packages chromium and chromium-driver)"
    );
}

fn set(b: &Browser, id: &str, value: &str) {
    b.script(&format!(
        "document.getElementById({id:?}).value = {value:?};"
    ));
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// The warrant fields of a current order.
fn fill_warrant(b: &Browser, now: DateTime<Utc>) {
    b.type_into("#w_court", "Circuit Court of Cook County");
    b.type_into("#w_reference", "2026-SW-00412");
    set(b, "w_issued", &day(now - Duration::days(2)));
    set(b, "w_expires", &day(now + Duration::days(30)));
}

/// Posts the export form the way the button does (same form fields, same session cookie) and
/// returns the response's status, headers and body.
fn download(b: &Browser) -> (u64, String, Vec<u8>) {
    let v = b.script(
        "var f=document.getElementById('export-form');var x=new XMLHttpRequest();\
         x.open('POST',f.action,false);x.overrideMimeType('text/plain; charset=x-user-defined');\
         x.send(new URLSearchParams(new FormData(f)));var s=x.responseText,o='';\
         for(var i=0;i<s.length;i++)o+=String.fromCharCode(s.charCodeAt(i)&255);\
         return {status:x.status,disposition:x.getResponseHeader('content-disposition')||'',body:btoa(o)};",
    );
    (
        v["status"].as_u64().unwrap_or_default(),
        v["disposition"].as_str().unwrap_or_default().to_owned(),
        base64::engine::general_purpose::STANDARD
            .decode(v["body"].as_str().unwrap_or_default())
            .unwrap(),
    )
}

fn verify(path: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["evidence", "verify"])
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn test_investigations_page_in_chromium() {
    require_browser();
    let tmp = tempfile::tempdir().unwrap();
    let demo = Demo::start(&tmp.path().join("demo"), "1");
    let planted: Value = demo.creds["planted"].clone();
    let target = planted["convoy_target"].as_str().unwrap().to_owned();
    let companion = planted["convoy_companion"]
        .as_str()
        .unwrap()
        .replace(' ', "");
    let multi_site = planted["multi_site"].as_str().unwrap().replace(' ', "");
    let now = Utc::now();

    // The officer's session: the web session is the same token the API uses (the demo's officers
    // would otherwise need their second factor).
    let b = Browser::start();
    b.use_session(&demo.url, &demo.token("officer@oak-park-pd"));
    b.goto(&format!("{}/ui/search", demo.url));
    b.wait_for("#nav-investigate", 10);
    b.click("#nav-investigate");
    b.wait_for("#investigate-form", 10);

    // 1. Convoy under a warrant for a homicide: the planted companion ranks first.
    b.select("#purpose", "homicide");
    b.type_into("#case_number", "26-004711");
    b.type_into("#reason", "homicide on Lake St");
    b.type_into("#c_plate", &target);
    fill_warrant(&b, now);
    b.click("#run-analysis");
    b.wait_for("#convoy-results", 20);
    assert_eq!(
        b.script("return document.querySelector('#convoy-results tbody tr.match').dataset.plate;")
            .as_str(),
        Some(companion.as_str()),
        "{}",
        b.text("#convoy-results")
    );
    let score: u64 = b
        .text("#convoy-results tbody tr.match td.score")
        .trim()
        .parse()
        .unwrap();
    assert!(score >= 6, "co-occurrences {score}");
    assert!(
        b.text("#owners").contains("de.analysis-no-basis"),
        "German data takes no part, citing its rule: {}",
        b.text("#owners")
    );
    // The co-travel map: the target's track and the companions' sightings, with a legend.
    assert_eq!(b.count("#analysis-map polyline.track"), 1);
    assert!(b.count("#analysis-map circle.sighting") >= 6);
    assert!(b.count("#analysis-map rect.sighting") >= 6);
    assert!(b.text("#map-legend").contains(&companion));
    b.script("document.getElementById('analysis-result').scrollIntoView();");
    b.screenshot("inv-01-convoy-ranked.png");
    b.script("document.getElementById('analysis-figure').scrollIntoView();");
    b.screenshot("inv-01b-convoy-co-travel-map.png");

    // 2. The export button's download: a tar package that verifies offline.
    let (status, disposition, tar) = download(&b);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&tar));
    assert!(
        disposition.starts_with("attachment") && disposition.contains(".tar"),
        "{disposition}"
    );
    let archive = tmp.path().join("package.tar");
    std::fs::write(&archive, &tar).unwrap();
    let (ok, out) = verify(&archive);
    assert!(ok && out.starts_with("OK"), "{out}");
    // One byte of one file's content changed: verification fails and names that file.
    let bad = support::tamper_tar(&tar, "cameras.json");
    std::fs::write(&archive, &bad).unwrap();
    let (ok, out) = verify(&archive);
    assert!(!ok, "{out}");
    assert!(out.contains("cameras.json: altered"), "{out}");
    assert!(!out.contains("reads.json"), "{out}");

    // 3. The same search without a warrant: refused for the own data, the rule cited.
    b.goto(&format!("{}/ui/investigate?mode=convoy", demo.url));
    b.select("#purpose", "homicide");
    b.type_into("#case_number", "26-004711");
    b.type_into("#c_plate", &target);
    b.click("#run-analysis");
    b.wait_for("#owners", 20);
    let owners = b.text("#owners");
    assert!(
        owners.contains("base.analysis-warrant") && owners.contains("excluded"),
        "{owners}"
    );
    assert_eq!(b.count("#convoy-results tr.match"), 0);
    b.script("document.getElementById('owners').scrollIntoView();");
    b.screenshot("inv-02-convoy-refused-no-warrant.png");

    // 4. An expired warrant: the service's message stands beside the expiry field, audited.
    fill_warrant(&b, now);
    set(&b, "w_issued", &day(now - Duration::days(40)));
    set(&b, "w_expires", &day(now - Duration::days(10)));
    b.click("#run-analysis");
    b.wait_for("#inv-error", 20);
    assert!(b.text("#w_expires-error").contains("expired"));
    assert!(b.text("#inv-error").contains("Audit entry"));
    assert_eq!(b.count("#convoy-results"), 0);

    // 5. Multi-location: a click on the map adds a circle; the three planted sites, ten minutes
    // either side of each sighting, find the multi-site vehicle at all three.
    b.goto(&format!("{}/ui/investigate?mode=multi", demo.url));
    b.wait_for("#pick-map", 10);
    b.click("#pick-map");
    assert!(
        !b.script("return document.getElementById('p0_lat').value;")
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "clicking the map fills the first place"
    );
    assert_eq!(b.count("#pick-circles ellipse"), 1);
    b.select("#purpose", "robbery");
    b.type_into("#case_number", "26-004800");
    fill_warrant(&b, now);
    let sites = planted["multi_site_sightings"].as_array().unwrap();
    assert_eq!(sites.len(), 3);
    for (i, s) in sites.iter().enumerate() {
        let at: DateTime<Utc> = s["at"].as_str().unwrap().parse().unwrap();
        set(&b, &format!("p{i}_lat"), &s["lat"].to_string());
        set(&b, &format!("p{i}_lon"), &s["lon"].to_string());
        set(&b, &format!("p{i}_radius"), "150");
        set(
            &b,
            &format!("p{i}_from"),
            &minute(at - Duration::minutes(10)),
        );
        set(&b, &format!("p{i}_to"), &minute(at + Duration::minutes(11)));
    }
    b.click("#run-analysis");
    b.wait_for("#multi-results", 20);
    let row = format!("#multi-results tr.match[data-plate='{multi_site}']");
    assert_eq!(
        b.count(&row),
        1,
        "multi-site vehicle: {}",
        b.text("#multi-results")
    );
    assert_eq!(b.text(&format!("{row} td.score")), "3 / 3");
    assert_eq!(b.count(&format!("{row} td.at-place .sighting")), 3);
    assert_eq!(b.count("#analysis-map g.place"), 3);
    b.script("document.getElementById('multi-results').scrollIntoView();");
    b.screenshot("inv-03-multi-location.png");

    // 5b. Places by camera: a click on a camera marker adds that camera to the current place
    // (the row last edited), a second click removes it again, and no circle is drawn; the
    // planted sites' three cameras, picked on the map, find the multi-site vehicle too.
    b.goto(&format!("{}/ui/investigate?mode=multi", demo.url));
    b.wait_for("#pick-map", 10);
    b.select("#purpose", "robbery");
    b.type_into("#case_number", "26-004801");
    fill_warrant(&b, now);
    let value = |id: &str| {
        b.script(&format!("return document.getElementById({id:?}).value;"))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    for (i, s) in sites.iter().enumerate() {
        let cam = s["camera_id"].as_i64().unwrap();
        let marker = format!("#pick-map rect.camera[data-camera='{cam}']");
        // Editing the row makes it the current place.
        b.type_into(&format!("#p{i}_label"), &format!("site {}", i + 1));
        b.click(&marker);
        assert_eq!(
            value(&format!("p{i}_cameras")),
            cam.to_string(),
            "place {i}: current {:?}, rows {:?}, hit {:?}",
            b.script("return document.getElementById('pick-map').dataset.current;"),
            b.script("return [0,1,2].map(function(i){return document.getElementById('p'+i+'_cameras').value;});"),
            b.script(&format!("var r=document.querySelector(\"{marker}\").getBoundingClientRect();var e=document.elementFromPoint(r.x+r.width/2,r.y+r.height/2);return e?e.outerHTML.slice(0,120):'';")),
        );
        if i == 0 {
            b.click(&marker);
            assert_eq!(value("p0_cameras"), "", "a second click removes the camera");
            b.click(&marker);
            assert_eq!(value("p0_cameras"), cam.to_string());
        }
        let at: DateTime<Utc> = s["at"].as_str().unwrap().parse().unwrap();
        set(
            &b,
            &format!("p{i}_from"),
            &minute(at - Duration::minutes(10)),
        );
        set(&b, &format!("p{i}_to"), &minute(at + Duration::minutes(11)));
    }
    assert_eq!(b.count("#pick-map rect.camera.picked"), 3);
    assert_eq!(
        b.count("#pick-circles ellipse"),
        0,
        "camera clicks add no circle"
    );
    assert_eq!(value("p0_lat"), "");
    b.screenshot("inv-03b-multi-location-cameras-picked.png");
    b.click("#run-analysis");
    b.wait_for("#multi-results", 20);
    assert_eq!(
        b.count(&row),
        1,
        "multi-site vehicle by cameras: {}",
        b.text("#multi-results")
    );
    assert_eq!(b.text(&format!("{row} td.score")), "3 / 3");
    assert_eq!(b.count(&format!("{row} td.at-place .sighting")), 3);

    // 6. An ordinary search offers the export button too.
    b.goto(&format!("{}/ui/search", demo.url));
    b.select("#purpose", "robbery");
    b.type_into("#case_number", "26-004800");
    b.type_into("#plate", &multi_site);
    b.click("#run");
    b.wait_for("#results", 20);
    let (status, disposition, tar) = download(&b);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&tar));
    assert!(disposition.contains(".tar"), "{disposition}");
    std::fs::write(&archive, &tar).unwrap();
    let (ok, out) = verify(&archive);
    assert!(ok, "{out}");

    // 6b. So does the vehicle page (itself an audited search, exported like any other), opened
    // from that search's result.
    let vehicle = b
        .script(
            "var a=document.querySelector('#results a[href*=\"/ui/vehicle\"]');return a?a.href:'';",
        )
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!vehicle.is_empty(), "a result links the vehicle page");
    b.goto(&vehicle);
    b.wait_for("#export-form", 20);
    let (status, disposition, tar) = download(&b);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&tar));
    assert!(disposition.contains(".tar"), "{disposition}");
    std::fs::write(&archive, &tar).unwrap();
    let (ok, out) = verify(&archive);
    assert!(ok, "{out}");

    // 7. In German.
    b.goto(&format!("{}/ui/investigate?lang=de", demo.url));
    b.wait_for("#investigate-form", 10);
    let page = b.page_text();
    assert!(
        page.contains("Richterlicher Beschluss") && page.contains("Konvoi"),
        "{page}"
    );
}

//! The web UI in a real headless Chromium (via chromedriver): sign in, a lawful search with the
//! track on the map, an unlawful one refused with its statute, a live alert acknowledged, and the
//! public transparency page without signing in. Screenshots go to `screenshots/`.

mod support;

use chrono::{Duration, Utc};
use serde_json::json;
use support::webdriver::Browser;
use support::{ADMIN_PASSWORD, Server};

const PW: &str = "a-long-password-1";

/// Fails (never skips) with a sentence when the browser is missing (issue 15): `scripts/test`
/// installs it on a fresh machine.
fn require_browser() {
    let mut missing = Vec::new();
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        missing.push("Chromium (/usr/bin/chromium)");
    }
    let driver = std::process::Command::new("chromedriver")
        .arg("--version")
        .output();
    if !driver.is_ok_and(|o| o.status.success()) {
        missing.push("chromedriver (on PATH)");
    }
    assert!(
        missing.is_empty(),
        "the browser test cannot run because {} {} not installed; run `scripts/test` (it installs \
         the Debian packages chromium and chromium-driver) or `sudo apt-get install chromium \
         chromium-driver`",
        missing.join(" and "),
        if missing.len() > 1 { "are" } else { "is" }
    );
}

#[test]
fn test_web_ui_in_chromium() {
    require_browser();
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(&tmp.path().join("node"));
    let op = s.login("operator", ADMIN_PASSWORD);
    s.call("POST", "/api/v1/agencies", Some(&op), Some(json!({"id": "harris-county-so", "name": "Harris County Sheriff's Office", "kind": "sheriff", "jurisdiction": "US-TX"})));
    for (agency, user, name) in [
        ("oak-park-pd", "officer", "Officer Dana Reyes"),
        ("harris-county-so", "deputy", "Deputy Sam Ortiz"),
    ] {
        let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"agency": agency, "username": user, "display_name": name, "role": "officer", "password": PW, "must_change_password": false})));
        assert_eq!(st, 201, "{v}");
    }
    let mut keys = Vec::new();
    for (i, (lat, lon)) in [
        (41.9097, -87.8063),
        (41.8858, -87.8030),
        (41.8803, -87.7946),
    ]
    .iter()
    .enumerate()
    {
        let (_, v) = s.call(
            "POST",
            "/api/v1/cameras",
            Some(&op),
            Some(json!({"name": format!("Camera {}", i + 1), "lat": lat, "lon": lon})),
        );
        keys.push(v["device_key"].as_str().unwrap().to_owned());
    }
    // The first camera sends its picture of the plate with the read.
    let picture = {
        use base64::Engine as _;
        let path = tmp.path().join("plate.jpg");
        support::plates::write_jpeg(
            &support::plates::plate(&support::plates::font(), "TRK1230"),
            &path,
        );
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(&path).unwrap())
    };
    for (i, key) in keys.iter().enumerate() {
        let at = (Utc::now() - Duration::hours(3 - i as i64)).to_rfc3339();
        let mut read = json!({"id": format!("t{i}"), "captured_at": at, "plate": "TRK 123", "colour": "blue", "vehicle_type": "suv"});
        if i == 0 {
            read["crop"] = json!(picture);
        }
        let (st, v) = s.call(
            "POST",
            "/api/v1/reads",
            Some(key),
            Some(json!({ "reads": [read] })),
        );
        assert_eq!((st, v["accepted"].as_u64()), (200, Some(1)), "{v}");
    }
    s.call(
        "POST",
        "/api/v1/sharing-agreements",
        Some(&op),
        Some(
            json!({"grantee": {"kind": "national"}, "purposes": ["other_crime", "stolen_vehicle"]}),
        ),
    );
    let (_, v) = s.call(
        "POST",
        "/api/v1/hotlists",
        Some(&op),
        Some(json!({"name": "Stolen vehicles", "category": "stolen_vehicle"})),
    );
    let list = v["item"]["id"].as_i64().unwrap();
    s.call(
        "POST",
        &format!("/api/v1/hotlists/{list}/entries"),
        Some(&op),
        Some(json!({"entries": [{"plate": "ALRT 1", "reason": "stolen, report 26-9"}]})),
    );

    let b = Browser::start();
    let login = |user: &str| {
        b.delete_cookies();
        b.goto(&format!("{}/ui/login", s.url));
        b.type_into("#username", user);
        b.type_into("#password", PW);
        b.click("#signin");
        b.wait_for("#search-form", 10);
    };

    // Sign in; the header says who, which agency, which role.
    login("officer");
    assert_eq!(b.text("#who-name"), "Officer Dana Reyes");
    assert_eq!(b.text("#who-agency"), "Oak Park Police Department");
    assert_eq!(b.text("#who-role"), "officer");

    // A lawful search: three sightings, the path on the map.
    b.type_into("#case_number", "26-000123");
    b.type_into("#reason", "stolen vehicle report");
    b.type_into("#plate", "TRK123");
    b.click("#run");
    b.wait_for("#results", 10);
    assert_eq!(b.count("#results tr.sighting"), 3);
    // The one read that came with a picture shows it, decoded by the browser.
    assert_eq!(b.count("#results img.plate-picture"), 1);
    assert_eq!(b.count("#results th"), 7);
    let shown =
        b.script("return document.querySelector('#results img.plate-picture').naturalWidth");
    assert!(shown.as_u64().unwrap_or(0) > 0, "{shown}");
    assert_eq!(b.count("#map .stop"), 3);
    assert!(b.count("#map polyline") == 1);
    assert!(b.text("#owners").contains("contributed"));
    b.screenshot("01-search-track-on-map.png");

    // The vehicle page: every sighting of the plate within what the officer may see.
    b.click("#results tr.sighting a");
    b.wait_for("#hotlist-status", 10);
    assert_eq!(b.count("#results tr.sighting"), 3);
    // It asks for no pictures, and shows no picture column.
    assert_eq!(b.count("#results th"), 6);
    b.screenshot("02-vehicle-page.png");

    // An area picked on the map narrows the search to nearby cameras.
    b.goto(&format!("{}/ui/search", s.url));
    b.click("details summary");
    // WebDriver clicks the middle of the part of the map in view: bring all of it into view so
    // the click lands on the map's centre.
    b.script("document.getElementById('area-map').scrollIntoView({block: 'center'});");
    b.click("#area-map");
    assert_eq!(
        b.script("return document.getElementById('area_km').value;")
            .as_str(),
        Some("5")
    );
    b.type_into("#case_number", "26-000123");
    b.type_into("#plate", "TRK123");
    b.click("#run");
    b.wait_for("#results", 10);
    assert_eq!(b.count("#results tr.sighting"), 3);

    // An unlawful one: a Texas deputy with reason "ICE+ERO" — Illinois refuses, naming its statute.
    login("deputy");
    b.select("#purpose", "other_crime");
    b.type_into("#case_number", "26-555");
    b.type_into("#reason", "ICE+ERO");
    b.type_into("#plate", "TRK123");
    b.click("#run");
    b.wait_for("#owners", 10);
    let owners = b.text("#owners");
    assert!(
        owners.contains("625 ILCS 5/2-130(b)(2)") && owners.contains("excluded"),
        "{owners}"
    );
    assert_eq!(b.count("#results tr.sighting"), 0);
    b.screenshot("03-refused-with-statute.png");

    // A live alert, acknowledged.
    login("officer");
    b.goto(&format!("{}/ui/alerts", s.url));
    b.wait_for("#hits", 10);
    std::thread::sleep(std::time::Duration::from_millis(500));
    s.call("POST", "/api/v1/reads", Some(&keys[0]), Some(json!({"reads": [{"id": "alert-1", "captured_at": Utc::now().to_rfc3339(), "plate": "ALRT1"}]})));
    b.wait_for(".hit form button.ack", 20);
    assert!(b.text("#hits").contains("ALRT1"));
    b.screenshot("04-live-alert.png");
    b.click(".hit form button.ack");
    b.wait_for(".hit .outcome", 10);
    assert!(b.text(".hit .outcome").contains("confirmed"));
    b.screenshot("05-alert-acknowledged.png");

    // Admin: place a camera on the map (audited), and the law refuses an immigration list.
    b.delete_cookies();
    b.goto(&format!("{}/ui/login", s.url));
    b.type_into("#username", "operator");
    b.type_into("#password", ADMIN_PASSWORD);
    b.click("#signin");
    b.wait_for("#search-form", 10);
    b.goto(&format!("{}/ui/admin", s.url));
    b.click("#place-map");
    assert!(
        !b.script("return document.getElementById('cam-lat').value;")
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "clicking the map sets the position"
    );
    b.type_into("#cam-name", "Madison & Oak Park Ave");
    b.click("#add-camera");
    assert!(b.text("#audited").contains("audit entry"));
    assert_eq!(b.count("#cameras tbody tr"), 4);
    b.screenshot("06-admin-camera-audited.png");
    b.type_into("#l-name", "ICE feed");
    b.select("#l-cat", "immigration_status");
    b.click("#add-list");
    assert!(b.text(".error").contains("625 ILCS 5/2-130(b)(2)"));
    b.type_into("#h-case", "26-000123");
    b.type_into("#h-plate", "TRK123");
    b.type_into("#h-reason", "robbery case");
    b.click("form[action='/ui/admin/hold'] button");
    assert!(b.text("#audited").contains("audit entry"));
    assert!(b.text("#holds").contains("TRK123"));

    // Audit: the log with per-owner decisions and the verification status.
    b.goto(&format!("{}/ui/audit?action=search", s.url));
    assert!(b.text("#verify-status").starts_with("Verified"));
    assert!(b.count("#entries tr.entry") >= 3);
    assert!(b.text("#entries").contains("625 ILCS 5/2-130(b)(2)"));
    b.screenshot("07-audit-log.png");

    // The public transparency page, signed out; and the German UI.
    b.delete_cookies();
    b.goto(&format!("{}/transparency/oak-park-pd", s.url));
    b.wait_for("section", 10);
    let page = b.page_text();
    assert!(
        page.contains("Transparency report") && page.contains("us-il.2-130-b-2-immigration"),
        "{page}"
    );
    b.screenshot("08-public-transparency.png");
    b.goto(&format!("{}/ui/login?lang=de", s.url));
    assert!(b.page_text().contains("Anmelden"));

    // The agency now requires a second factor for supervisors: a new supervisor enrols on the
    // code page after the password (the secret shown once) and signs in with a code computed here.
    let (st, v) = s.call(
        "PUT",
        "/api/v1/agency-security",
        Some(&op),
        Some(json!({"mfa_roles": ["supervisor"]})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"username": "sarge", "display_name": "Sgt. Kim Ortiz", "role": "supervisor", "password": PW, "must_change_password": false})));
    assert_eq!(st, 201, "{v}");
    b.delete_cookies();
    b.goto(&format!("{}/ui/login", s.url));
    b.type_into("#username", "sarge");
    b.type_into("#password", PW);
    b.click("#signin");
    b.wait_for("#mfa-secret", 10);
    let secret = b.text("#mfa-secret");
    assert!(b.text("#mfa-uri").starts_with("otpauth://totp/"));
    b.screenshot("09-mfa-enrolment.png");
    b.type_into("#code", &support::totp(&secret, 30));
    b.click("#verify");
    b.wait_for("#search-form", 10);
    assert_eq!(b.text("#who-name"), "Sgt. Kim Ortiz");
    // Supervisors reach the review queue.
    b.goto(&format!("{}/ui/findings", s.url));
    b.wait_for("#findings", 10);
    b.screenshot("10-findings-queue.png");
}

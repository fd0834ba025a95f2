//! The map, the camera picker and saved searches in a real headless Chromium: the search page's
//! map shows the base layer (land, county and state lines, names) under the camera markers;
//! the zoom buttons change the view; cameras picked on the map and by name narrow the search;
//! a saved search carries its purpose, case and cameras and each run is a new audited search.
//! And (API only) a saved search is its officer's own: another officer, of the same agency or
//! another, neither sees nor runs it.

mod support;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use support::webdriver::Browser;
use support::{ADMIN_PASSWORD, Server, audit_actions};

const PW: &str = "a-long-password-1";

/// A node with three cameras on Oak Park's streets (one hit-only camera beside them), a plate
/// read once by each of the three, a national sharing agreement and two officers of Oak Park
/// and a deputy of Harris County. Returns the server, the operator's token and the camera ids.
fn node(tmp: &std::path::Path) -> (Server, String, Vec<i64>) {
    let s = Server::start(&tmp.join("node"));
    let op = s.login("operator", ADMIN_PASSWORD);
    s.call("POST", "/api/v1/agencies", Some(&op), Some(json!({"id": "harris-county-so", "name": "Harris County Sheriff's Office", "kind": "sheriff", "jurisdiction": "US-TX"})));
    for (agency, user, name) in [
        ("oak-park-pd", "officer", "Officer Dana Reyes"),
        ("oak-park-pd", "officer2", "Officer Lee Park"),
        ("harris-county-so", "deputy", "Deputy Sam Ortiz"),
    ] {
        let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"agency": agency, "username": user, "display_name": name, "role": "officer", "password": PW, "must_change_password": false})));
        assert_eq!(st, 201, "{v}");
    }
    let mut ids = Vec::new();
    let mut keys = Vec::new();
    for (i, (lat, lon, bearing)) in [
        (41.9097, -87.8063, 180.0),
        (41.8858, -87.8030, 90.0),
        (41.8803, -87.7946, 270.0),
    ]
    .iter()
    .enumerate()
    {
        let (st, v) = s.call(
            "POST",
            "/api/v1/cameras",
            Some(&op),
            Some(json!({"name": format!("Camera {}", i + 1), "lat": lat, "lon": lon, "bearing": bearing})),
        );
        assert_eq!(st, 201, "{v}");
        ids.push(v["camera"]["id"].as_i64().unwrap());
        keys.push(v["device_key"].as_str().unwrap().to_owned());
    }
    let (st, v) = s.call(
        "POST",
        "/api/v1/cameras",
        Some(&op),
        Some(
            json!({"name": "School zone (hit-only)", "lat": 41.8953, "lon": -87.7848,
            "hit_only": true, "check_purposes": ["stolen_vehicle"]}),
        ),
    );
    assert_eq!(st, 201, "{v}");
    ids.push(v["camera"]["id"].as_i64().unwrap());
    for (i, key) in keys.iter().enumerate() {
        let at = (Utc::now() - Duration::hours(3 - i as i64)).to_rfc3339();
        let (st, v) = s.call(
            "POST",
            "/api/v1/reads",
            Some(key),
            Some(
                json!({"reads": [{"id": format!("m{i}"), "captured_at": at, "plate": "TRK 123"}]}),
            ),
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
    (s, op, ids)
}

fn search_entries(s: &Server, op: &str) -> Vec<Value> {
    audit_actions(s, op, "search")
}

#[test]
fn test_map_base_layer_zoom_camera_picker_and_saved_search_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, op, ids) = node(tmp.path());
    let b = Browser::start();
    b.goto(&format!("{}/ui/login", s.url));
    b.type_into("#username", "officer");
    b.type_into("#password", PW);
    b.click("#signin");
    b.wait_for("#search-form", 10);
    b.click("#picker summary");

    // The base layer is there, under the cameras: land, county and state lines, a county name.
    assert_eq!(b.count("#area-map g.map-base path.map-land"), 1);
    let land = b.script(
        "return document.querySelector('#area-map path.map-land').getAttribute('d').length",
    );
    assert!(land.as_u64().unwrap_or(0) > 200, "land outline: {land}");
    assert_eq!(b.count("#area-map g.map-base path.map-county"), 1);
    assert!(b.text("#area-map g.map-names").contains("Cook"));
    // Places (GeoNames towns and cities): Oak Park itself and its neighbours are named, each
    // label drawn (it has a size on screen).
    let places = b.text("#area-map g.map-places");
    for town in ["Oak Park", "Chicago", "Cicero"] {
        assert!(
            places.contains(town),
            "{town} not among the places: {places}"
        );
    }
    let boxes = b.script(
        "return Array.from(document.querySelectorAll('#area-map g.map-places text')).map(function(t){var r=t.getBoundingClientRect();return [r.left,r.top,r.right,r.bottom];});",
    );
    let boxes: Vec<Vec<f64>> = serde_json::from_value(boxes).unwrap();
    assert!(boxes.len() >= 3, "{boxes:?}");
    assert!(
        boxes.iter().all(|r| r[2] > r[0] && r[3] > r[1]),
        "labels render: {boxes:?}"
    );
    assert_eq!(b.count("#area-map g.cam"), 4);
    let under = b.script(
        "var m=document.getElementById('area-map');return !!(m.querySelector('g.map-base').compareDocumentPosition(m.querySelector('g.cameras')) & Node.DOCUMENT_POSITION_FOLLOWING);",
    );
    assert_eq!(
        under,
        json!(true),
        "the base layer is drawn before (under) the cameras"
    );
    // Owner, heading and hit-only are on the markers; the legend names the owner.
    assert_eq!(b.count("#area-map g.cam.hit-only"), 1);
    assert_eq!(
        b.count("#area-map g.cam use"),
        3,
        "three cameras have a heading"
    );
    assert_eq!(
        b.count("#area-map g.cam[data-owner='oak-park-pd']"),
        4,
        "every marker names its owner"
    );
    assert!(b.text(".map-legend").contains("Oak Park"));

    // Zoom buttons change the view box; reset restores it.
    let vb = || {
        b.script("return document.getElementById('area-map').getAttribute('viewBox')")
            .as_str()
            .unwrap()
            .to_owned()
    };
    let width = |v: &str| v.split(' ').nth(2).unwrap().parse::<f64>().unwrap();
    let start = vb();
    b.click("[data-map='area-map'] [data-zoom='in']");
    let zoomed = vb();
    assert!(
        (width(&zoomed) - width(&start) / 2.0).abs() < 0.1,
        "{start} → {zoomed}"
    );
    b.click("[data-map='area-map'] [data-pan='e']");
    assert_ne!(vb(), zoomed, "panning moves the view");
    b.click("[data-map='area-map'] [data-zoom='reset']");
    assert_eq!(width(&vb()), width(&start));
    b.screenshot("map-01-picker-base-layer.png");

    // Pick camera 1 on the map and camera 2 by name; the search then finds only their reads.
    b.click(&format!("#area-map g.cam[data-cam='{}']", ids[0]));
    let checked = |id: i64| {
        b.script(&format!(
            "return document.querySelector('#camera-list input[value=\"{id}\"]').checked"
        ))
    };
    assert_eq!(checked(ids[0]), json!(true), "clicking a marker picks it");
    assert_eq!(b.count("#area-map g.cam.sel"), 1);
    b.type_into("#cam-filter", "Camera 2");
    assert_eq!(
        b.script("return [...document.querySelectorAll('#camera-list label.cam-choice')].filter(function(l){return !l.hidden;}).length"),
        json!(1)
    );
    b.click("#pick-shown");
    assert_eq!(checked(ids[1]), json!(true), "picked by name");
    assert_eq!(checked(ids[2]), json!(false));
    assert_eq!(b.text("#picked-count"), "2");
    b.type_into("#case_number", "26-000777");
    b.type_into("#reason", "stolen vehicle report");
    b.type_into("#plate", "TRK123");
    b.click("#run");
    b.wait_for("#results", 10);
    assert_eq!(
        b.count("#results tr.sighting"),
        2,
        "only the picked cameras' reads"
    );
    // The results map: the track with its time labels on the base layer.
    assert_eq!(b.count("#map .stop"), 2);
    assert_eq!(b.count("#map .stop text.time"), 2);
    assert_eq!(b.count("#map g.map-base path.map-land"), 1);
    let entries = search_entries(&s, &op);
    let last = entries.iter().max_by_key(|e| e["seq"].as_u64()).unwrap();
    assert!(last.to_string().contains("26-000777"), "{last}");
    b.script("document.getElementById('map').scrollIntoView(); return 0;");
    b.screenshot("map-02-track-on-base-layer.png");

    // Save it (purpose, case and cameras carried), then run it again: a new audited search.
    b.type_into("#saved_name", "TRK 123 at two cameras");
    b.click("#save-search");
    b.wait_for("#saved-ok", 10);
    assert_eq!(b.count("#saved tr.saved"), 1);
    assert_eq!(
        audit_actions(&s, &op, "saved_search.create").len(),
        1,
        "saving is audited"
    );
    let before = search_entries(&s, &op).len();
    b.click_to_new_page("#saved tr.saved button.run-saved", "#results", 10);
    assert_eq!(b.count("#results tr.sighting"), 2, "the saved cameras");
    assert_eq!(
        b.script("return document.getElementById('case_number').value"),
        json!("26-000777")
    );
    let after = search_entries(&s, &op);
    assert_eq!(after.len(), before + 1, "each run is a new audited search");
    let last = after.iter().max_by_key(|e| e["seq"].as_u64()).unwrap();
    assert!(
        last.to_string().contains("26-000777") && last.to_string().contains("stolen_vehicle"),
        "{last}"
    );
    // The page on screen already has results: count on the new page.
    b.click_to_new_page("#saved tr.saved button.run-saved", "#results", 10);
    assert_eq!(search_entries(&s, &op).len(), before + 2);
    b.screenshot("map-03-saved-search-rerun.png");

    // Delete it with its button: audited, gone from the list.
    b.click("#saved tr.saved button.delete-saved");
    b.wait_for("#deleted-ok", 10);
    assert_eq!(b.count("#saved tr.saved"), 0);
    assert_eq!(
        audit_actions(&s, &op, "saved_search.delete").len(),
        1,
        "deleting is audited"
    );
}

#[test]
fn test_saved_searches_are_the_officers_own() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, op, ids) = node(tmp.path());
    let officer = s.login("officer", PW);
    let spec = json!({"name": "TRK", "purpose": "stolen_vehicle", "case_number": "26-1",
        "plate": {"exact": "TRK123"}, "hours": 24, "cameras": [ids[0]]});
    let (st, v) = s.call(
        "POST",
        "/api/v1/saved-searches",
        Some(&officer),
        Some(spec.clone()),
    );
    assert_eq!(st, 201, "{v}");
    let id = v["item"]["id"].as_i64().unwrap();
    assert!(v["audit_seq"].as_u64().is_some());
    let (st, v) = s.call(
        "POST",
        &format!("/api/v1/saved-searches/{id}/run"),
        Some(&officer),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["results"].as_array().map(Vec::len),
        Some(1),
        "camera 1 only: {v}"
    );
    // Neither a colleague nor another agency's deputy sees or runs it.
    for other in ["officer2", "deputy"] {
        let t = s.login(other, PW);
        let (st, v) = s.call("GET", "/api/v1/saved-searches", Some(&t), None);
        assert_eq!(
            (st, v.as_array().map(Vec::len)),
            (200, Some(0)),
            "{other}: {v}"
        );
        let (st, v) = s.call(
            "POST",
            &format!("/api/v1/saved-searches/{id}/run"),
            Some(&t),
            None,
        );
        assert_eq!(st, 404, "{other}: {v}");
    }
    let (_, v) = s.call("GET", "/api/v1/saved-searches", Some(&officer), None);
    assert_eq!(v.as_array().map(Vec::len), Some(1));

    // Deleting: a colleague, another agency's deputy and another agency's supervisor are
    // refused (404: for them it does not exist) and nothing is audited; the officer's own
    // supervisor may delete it (audited), and so may the officer.
    for (user, agency, role) in [
        ("sup", "oak-park-pd", "supervisor"),
        ("sup-tx", "harris-county-so", "supervisor"),
    ] {
        let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"agency": agency, "username": user, "display_name": user, "role": role, "password": PW, "must_change_password": false})));
        assert_eq!(st, 201, "{v}");
    }
    let deletes = |s: &Server| audit_actions(s, &op, "saved_search.delete").len();
    for other in ["officer2", "deputy", "sup-tx"] {
        let t = s.login(other, PW);
        let (st, v) = s.call(
            "DELETE",
            &format!("/api/v1/saved-searches/{id}"),
            Some(&t),
            None,
        );
        assert_eq!(st, 404, "{other}: {v}");
    }
    assert_eq!(deletes(&s), 0, "refused deletions change nothing");
    let (st, v) = s.call(
        "DELETE",
        &format!("/api/v1/saved-searches/{id}"),
        Some(&op),
        None,
    );
    assert_eq!(
        st, 404,
        "the node operator is neither its officer nor a supervisor of its agency: {v}"
    );
    assert_eq!(deletes(&s), 0);
    let sup = s.login("sup", PW);
    let (st, v) = s.call(
        "DELETE",
        &format!("/api/v1/saved-searches/{id}"),
        Some(&sup),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(deletes(&s), 1);
    let (_, v) = s.call("GET", "/api/v1/saved-searches", Some(&officer), None);
    assert_eq!(v.as_array().map(Vec::len), Some(0), "{v}");
    let (st, _) = s.call(
        "POST",
        &format!("/api/v1/saved-searches/{id}/run"),
        Some(&officer),
        None,
    );
    assert_eq!(st, 404, "a deleted saved search does not run");
    let (st, v) = s.call(
        "POST",
        "/api/v1/saved-searches",
        Some(&officer),
        Some(spec.clone()),
    );
    assert_eq!(st, 201, "{v}");
    let own = v["item"]["id"].as_i64().unwrap();
    let (st, v) = s.call(
        "DELETE",
        &format!("/api/v1/saved-searches/{own}"),
        Some(&officer),
        None,
    );
    assert_eq!((st, v["audit_seq"].is_u64()), (200, true), "{v}");
    assert_eq!(deletes(&s), 2);
    // Roles without the permission may not save; a bad spec is a 400.
    let (st, _) = s.call(
        "POST",
        "/api/v1/saved-searches",
        Some(&op),
        Some(json!({"name": "x"})),
    );
    assert_eq!(st, 400);
    let mut bad = spec.clone();
    bad["description"] = json!({"colour": "red"});
    let (st, v) = s.call("POST", "/api/v1/saved-searches", Some(&officer), Some(bad));
    assert_eq!(st, 400, "{v}");
}

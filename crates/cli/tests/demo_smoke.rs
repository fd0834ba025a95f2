//! `sightline demo` starts, seeds the network, serves the API, and its users can search and see
//! the law decide per owner.

mod support;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use support::call;

#[test]
fn test_demo_seeds_and_serves() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("demo");
    let demo = support::Demo::start(&data, "50");
    let url = demo.url.clone();
    let token = |name: &str| demo.token(name);
    let (st, home) = call(&url, "GET", "/", None, None);
    assert_eq!(st, 200);
    assert!(home.as_str().unwrap().contains("officer@oak-park-pd"));
    let now = chrono::Utc::now();
    let search = |user: &str, reason: &str| {
        call(
            &url,
            "POST",
            "/api/v1/searches",
            Some(&token(user)),
            Some(json!({
            "purpose": "stolen_vehicle", "case_number": "26-000123", "reason": reason,
            "query": {"plate": {"exact": "CV 48213"}, "window": {"from": (now - chrono::Duration::days(2)).to_rfc3339(), "to": now.to_rfc3339()}}})),
        )
    };
    let (st, v) = search("officer@oak-park-pd", "stolen car");
    assert_eq!(st, 200, "{v}");
    assert!(
        !v["results"].as_array().unwrap().is_empty(),
        "the backfill holds sightings of CV 48213"
    );
    let (_, v) = search("officer@harris-county-so", "ICE+ERO");
    let il = v["owners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["owner"] == "oak-park-pd")
        .unwrap();
    assert_eq!(il["citation"], "625 ILCS 5/2-130(b)(2)");
    let (_, lists) = call(
        &url,
        "GET",
        "/api/v1/hotlists",
        Some(&token("officer@oak-park-pd")),
        None,
    );
    assert_eq!(lists.as_array().unwrap().len(), 1);
    let (st, _) = call(&url, "GET", "/transparency", None, None);
    assert_eq!(st, 200);
    // The simulator's vehicles of interest pass Oak Park's cameras: the officer gets live alerts.
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    let (stream_url, t) = (
        format!("{url}/api/v1/alerts/stream"),
        token("officer@oak-park-pd"),
    );
    std::thread::spawn(move || {
        let resp = ureq::get(&stream_url)
            .set("Authorization", &format!("Bearer {t}"))
            .call()
            .unwrap();
        for line in BufReader::new(resp.into_reader()).lines() {
            let Ok(line) = line else { break };
            if let Some(data) = line.strip_prefix("data:") {
                let _ = tx.send(serde_json::from_str(data.trim()).unwrap());
            }
        }
    });
    let hit = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("a live alert from the simulator");
    assert_eq!(hit["plate_listed"], "CV48213", "{hit}");
    let (st, _) = call(
        &url,
        "POST",
        &format!("/api/v1/alerts/{}/ack", hit["id"]),
        Some(&token("officer@oak-park-pd")),
        Some(json!({"outcome": "confirmed"})),
    );
    assert_eq!(st, 200);
}

//! Acknowledged reads survive `kill -9` of a real server process in the middle of ingest.
#![allow(clippy::disallowed_methods)] // checks the store directly after the process is gone

mod support;

use chrono::{DateTime, Utc};
use serde_json::json;
use sightline_store::{Durability, Store};
use sightline_types::CameraId;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{ADMIN_PASSWORD, Server, call};

/// Acknowledged read ids with their capture time.
type Acked = Vec<(String, DateTime<Utc>)>;

#[test]
fn test_acknowledged_reads_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("node");
    let mut s = Server::start(&data);
    let op = s.login("operator", ADMIN_PASSWORD);
    let (st, v) = s.call(
        "POST",
        "/api/v1/cameras",
        Some(&op),
        Some(json!({"name": "cam", "lat": 41.9, "lon": -87.8})),
    );
    assert_eq!(st, 201);
    let camera = CameraId(v["camera"]["id"].as_i64().unwrap());
    let key = v["device_key"].as_str().unwrap().to_owned();

    let acked: Arc<Mutex<Acked>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (url, key, acked, stop) = (s.url.clone(), key.clone(), acked.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let at = Utc::now();
                let reads: Vec<_> = (0..50).map(|i| json!({"id": format!("w{w}-{n}-{i}"), "captured_at": at.to_rfc3339(), "plate": format!("K{w}{i:02}{}", n % 100)})).collect();
                n += 1;
                let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(5)).build();
                let resp = agent.post(&format!("{url}/api/v1/reads")).set("Authorization", &format!("Bearer {key}")).send_json(json!({"reads": reads.clone()}));
                // Only a complete 200 answer is an acknowledgement; anything else (the kill) ends the worker.
                let Ok(r) = resp else { break };
                let Ok(body) = r.into_json::<serde_json::Value>() else { break };
                if body["accepted"].as_u64() == Some(50) {
                    let mut a = acked.lock().unwrap();
                    a.extend(reads.iter().map(|r| (r["id"].as_str().unwrap().to_owned(), at)));
                }
            }
        }));
    }
    let start = Instant::now();
    while acked.lock().unwrap().len() < 5000 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    // SIGKILL while the workers are still sending.
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 2000,
        "too few acknowledged reads before the kill: {}",
        acked.len()
    );

    let store = Store::open(&data, Durability::Power).unwrap();
    assert!(
        !store
            .contains_read(camera, "never-sent", acked[0].1.timestamp_micros())
            .unwrap()
    );
    let missing: Vec<&String> = acked
        .iter()
        .filter(|(id, at)| {
            !store
                .contains_read(camera, id, at.timestamp_micros())
                .unwrap()
        })
        .map(|(id, _)| id)
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged reads lost, e.g. {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    drop(store);

    // The node restarts on the same data, its audit log verifies, and it keeps ingesting.
    let s2 = Server::start(&data);
    let (st, v) = call(
        &s2.url,
        "POST",
        "/api/v1/reads",
        Some(&key),
        Some(
            json!({"reads": [{"id": "after", "captured_at": Utc::now().to_rfc3339(), "plate": "AFTER1"}]}),
        ),
    );
    assert_eq!((st, v["accepted"].as_u64()), (200, Some(1)), "{v}");
    let op = s2.login("operator", ADMIN_PASSWORD);
    let (_, report) = s2.call("GET", "/api/v1/audit/verify", Some(&op), None);
    assert_eq!(report["problems"], json!([]), "{report}");
}

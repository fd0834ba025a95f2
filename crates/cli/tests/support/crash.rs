//! Helpers of the crash and fault tests: load that records what the node acknowledged, and the
//! checks made after a `kill -9` or a fault (acknowledged reads present, the audit log verifies,
//! no change without its audit entry).

use super::{Server, try_call};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sightline_store::{Durability, Store};
use sightline_types::CameraId;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Acknowledged read ids with their capture time.
pub type Acked = Vec<(String, DateTime<Utc>)>;

/// Registers a camera through the API; returns its id and device key.
pub fn camera(s: &Server, op: &str, name: &str) -> (CameraId, String) {
    let (st, v) = s.call(
        "POST",
        "/api/v1/cameras",
        Some(op),
        Some(json!({"name": name, "lat": 41.9, "lon": -87.8})),
    );
    assert_eq!(st, 201, "{v}");
    (
        CameraId(v["camera"]["id"].as_i64().unwrap()),
        v["device_key"].as_str().unwrap().to_owned(),
    )
}

/// A batch of `n` reads with ids `{prefix}-{i}`, captured now; plates from the prefix.
pub fn batch(prefix: &str, n: usize) -> (Value, DateTime<Utc>) {
    let at = Utc::now();
    let reads: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": format!("{prefix}-{i}"), "captured_at": at.to_rfc3339(),
                   "plate": format!("K{}{i:02}", prefix.len() % 10)})
        })
        .collect();
    (json!({ "reads": reads }), at)
}

/// Sends one batch; true when the node acknowledged all of it (a complete 200 answer).
pub fn send_batch(url: &str, key: &str, prefix: &str, n: usize, acked: &Mutex<Acked>) -> bool {
    let (body, at) = batch(prefix, n);
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let resp = agent
        .post(&format!("{url}/api/v1/reads"))
        .set("Authorization", &format!("Bearer {key}"))
        .send_json(body);
    let Ok(r) = resp else { return false };
    let Ok(v) = r.into_json::<Value>() else {
        return false;
    };
    if v["accepted"].as_u64() != Some(n as u64) {
        return false;
    }
    let mut a = acked.lock().unwrap();
    a.extend((0..n).map(|i| (format!("{prefix}-{i}"), at)));
    true
}

/// A thread that sends batches of `n` reads as `{tag}-{k}` until `stop` or until a request fails
/// (the kill); every acknowledged read goes into `acked`.
pub fn ingest_worker(
    url: &str,
    key: &str,
    tag: String,
    n: usize,
    acked: Arc<Mutex<Acked>>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let (url, key) = (url.to_owned(), key.to_owned());
    std::thread::spawn(move || {
        let mut k = 0;
        while !stop.load(Ordering::Relaxed) {
            if !send_batch(&url, &key, &format!("{tag}-{k}"), n, &acked) {
                break;
            }
            k += 1;
        }
    })
}

/// The acknowledged reads that the store does not hold (read from the data directory directly,
/// with the node stopped).
#[allow(clippy::disallowed_methods)] // checks the store itself, after the process is gone
pub fn missing_reads(
    data: &Path,
    camera: CameraId,
    acked: &[(String, DateTime<Utc>)],
) -> Vec<String> {
    let store = Store::open(data, Durability::Power).unwrap();
    // The check can fail: an id never sent is not found.
    assert!(
        !store
            .contains_read(camera, "never-sent", Utc::now().timestamp_micros())
            .unwrap()
    );
    acked
        .iter()
        .filter(|(id, at)| {
            !store
                .contains_read(camera, id, at.timestamp_micros())
                .unwrap()
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// Asserts that the node's audit log verifies (leaves, chain, tree, checkpoints).
pub fn assert_audit_verifies(s: &Server, token: &str) {
    let (st, v) = s.call("GET", "/api/v1/audit/verify", Some(token), None);
    assert_eq!(st, 200, "{v}");
    assert!(
        v["problems"].as_array().is_some_and(|p| p.is_empty()),
        "the audit log does not verify: {v}"
    );
}

/// Users whose name starts with `prefix`, and those of them without a `user.create` entry.
pub fn users_and_unaudited(s: &Server, op: &str, prefix: &str) -> (Vec<String>, Vec<String>) {
    let (_, users) = s.call("GET", "/api/v1/users", Some(op), None);
    let names: Vec<String> = users
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["username"].as_str())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_owned)
        .collect();
    let mut audited = HashSet::new();
    let mut after = 0;
    loop {
        let (st, entries) = s.call(
            "GET",
            &format!("/api/v1/audit/entries?action=user.create&limit=1000&after={after}"),
            Some(op),
            None,
        );
        assert_eq!(st, 200, "{entries}");
        let page = entries.as_array().unwrap();
        for e in page {
            after = after.max(e["seq"].as_u64().unwrap());
            if let Some(n) = e["details"]["user"]["username"].as_str() {
                audited.insert(n.to_owned());
            }
        }
        if page.len() < 1000 {
            break;
        }
    }
    let missing = names
        .iter()
        .filter(|n| !audited.contains(*n))
        .cloned()
        .collect();
    (names, missing)
}

/// True when the audit log holds entry `seq` with `action`.
pub fn has_entry(s: &Server, op: &str, seq: u64, action: &str) -> bool {
    let (st, v) = s.call(
        "GET",
        &format!(
            "/api/v1/audit/entries?after={}&limit=1",
            seq.saturating_sub(1)
        ),
        Some(op),
        None,
    );
    assert_eq!(st, 200, "{v}");
    v.as_array()
        .and_then(|a| a.first())
        .is_some_and(|e| e["seq"].as_u64() == Some(seq) && e["action"] == action)
}

/// Creates users `{prefix}{i}` one after another until a request fails (the kill).
pub fn admin_worker(url: &str, op: &str, prefix: String) -> std::thread::JoinHandle<()> {
    let (url, op) = (url.to_owned(), op.to_owned());
    std::thread::spawn(move || {
        for i in 0.. {
            let name = format!("{prefix}{i}");
            let r = try_call(
                &url,
                "POST",
                "/api/v1/users",
                Some(&op),
                Some(
                    json!({"username": name, "display_name": "c", "role": "officer",
                            "password": "a-long-password-1"}),
                ),
            );
            if r.is_err() {
                break;
            }
        }
    })
}

//! Acknowledged reads survive `kill -9` of a real server process in the middle of ingest.

mod support;

use chrono::Utc;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::crash::{self, Acked};
use support::{ADMIN_PASSWORD, Server, call};

#[test]
fn test_acknowledged_reads_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("node");
    let mut s = Server::start(&data);
    let op = s.login("operator", ADMIN_PASSWORD);
    let (camera, key) = crash::camera(&s, &op, "cam");

    let acked: Arc<Mutex<Acked>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            crash::ingest_worker(
                &s.url,
                &key,
                format!("w{w}"),
                50,
                acked.clone(),
                stop.clone(),
            )
        })
        .collect();
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
    let missing = crash::missing_reads(&data, camera, &acked);
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged reads lost, e.g. {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );

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
    crash::assert_audit_verifies(&s2, &op);
}

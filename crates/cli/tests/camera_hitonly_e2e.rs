//! A hit-only camera against a real node (the German model): the agent fetches its keyed-hash hot
//! list, checks every read at the camera and sends only the hit — so the node ends up with exactly
//! the listed plate's read and never has to refuse a non-hit. Before the node is reachable the
//! agent reads nothing.

mod support;

use chrono::{Duration as CDuration, Utc};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{ADMIN_PASSWORD, Server, plates};

/// Runs the agent once over `frames` (one scan, until its queue is empty); returns its stderr.
fn run_agent(node: &str, key: &str, frames: &Path, queue: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args([
            "camera",
            "--node",
            node,
            "--region",
            "BR",
            "--poll-ms",
            "100",
        ])
        .args(["--max-backoff", "1", "--exit-when-done"])
        .arg("--watch")
        .arg(frames)
        .arg("--queue")
        .arg(queue)
        .env("SIGHTLINE_CAMERA_KEY", key)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .output()
        .expect("run the agent");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

fn sql_count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn test_hit_only_camera_sends_only_the_hit() {
    let tmp = tempfile::tempdir().unwrap();
    let font = plates::font();

    // Frames first: six plates, of which one will be listed.
    let frames = tmp.path().join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    for i in 0..6u32 {
        let text = plates::plate_text(i + 40);
        plates::write_jpeg(
            &plates::scene(&font, &text, i),
            &frames.join(format!("f{i:02}.jpg")),
        );
    }
    let read = support::recognized_frames(&frames);
    let plates_read: Vec<String> = read.values().flatten().cloned().collect();
    assert!(plates_read.len() >= 4, "{read:?}");
    let listed = plates_read[0].clone();
    let others: Vec<String> = plates_read
        .iter()
        .filter(|p| **p != listed)
        .cloned()
        .collect();
    assert!(!others.is_empty());

    // The node: a Bavarian agency, a hit-only camera bound to missing persons, a supervisor's
    // missing-person list with one plate.
    let node = Server::start(&tmp.path().join("node"));
    let op = node.login("operator", ADMIN_PASSWORD);
    let (st, v) = node.call(
        "POST",
        "/api/v1/agencies",
        Some(&op),
        Some(json!({"id": "pp-muenchen", "name": "Polizeipräsidium München", "kind": "state", "jurisdiction": "DE-BY"})),
    );
    assert_eq!(st, 201, "{v}");
    let (st, v) = node.call(
        "POST",
        "/api/v1/cameras",
        Some(&op),
        Some(
            json!({"agency": "pp-muenchen", "name": "Leopoldstraße", "lat": 48.16, "lon": 11.58,
            "hit_only": true, "check_purposes": ["missing_person"]}),
        ),
    );
    assert_eq!(st, 201, "{v}");
    let key = v["device_key"].as_str().unwrap().to_owned();
    let (st, v) = node.call(
        "POST",
        "/api/v1/users",
        Some(&op),
        Some(
            json!({"agency": "pp-muenchen", "username": "sup@muc", "display_name": "Supervisor",
            "role": "supervisor", "password": "a-long-password-1", "must_change_password": false}),
        ),
    );
    assert_eq!(st, 201, "{v}");
    let sup = node.login("sup@muc", "a-long-password-1");
    let (st, v) = node.call(
        "POST",
        "/api/v1/hotlists",
        Some(&sup),
        Some(json!({"name": "Vermisste Personen", "category": "missing_person"})),
    );
    assert_eq!(st, 201, "{v}");
    let list = v["item"]["id"].as_i64().unwrap();
    let (st, v) = node.call(
        "POST",
        &format!("/api/v1/hotlists/{list}/entries"),
        Some(&sup),
        Some(json!({"entries": [{"plate": listed, "reason": "missing person, case 26-4711",
            "legal_basis": "PAG Art. 39", "expires_at": (Utc::now() + CDuration::days(7)).to_rfc3339()}]})),
    );
    assert_eq!(st, 200, "{v}");

    // The node is not reachable yet: the agent holds every frame back (reads nothing, queues
    // nothing) until it knows the camera is hit-only.
    let queue = tmp.path().join("queue");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut held = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args([
            "camera",
            "--node",
            &nowhere,
            "--region",
            "BR",
            "--poll-ms",
            "100",
        ])
        .arg("--watch")
        .arg(&frames)
        .arg("--queue")
        .arg(&queue)
        .env("SIGHTLINE_CAMERA_KEY", &key)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let db = queue.join("agent.db");
    let until = Instant::now() + Duration::from_secs(15);
    while !db.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        sql_count(&db, "SELECT COUNT(*) FROM sources"),
        0,
        "no frame read before the mode is known"
    );
    assert_eq!(sql_count(&db, "SELECT COUNT(*) FROM outbox"), 0);
    assert_eq!(sql_count(&db, "SELECT COUNT(*) FROM last_seen"), 0);
    held.kill().unwrap();
    held.wait().unwrap();

    // The node is there: the agent checks each read and sends only the hit.
    let stderr = run_agent(&node.url, &key, &frames, &queue);
    assert!(
        stderr.contains("hit-only camera"),
        "the agent says it runs hit-only: {stderr}"
    );
    let dropped = others.len();
    assert!(
        stderr.contains(&format!("non-hits dropped at the camera: {dropped}")),
        "{stderr}"
    );
    for p in &plates_read {
        assert!(
            !stderr.contains(p.as_str()),
            "no plate in the log: {stderr}"
        );
    }
    assert_eq!(sql_count(&db, "SELECT COUNT(*) FROM sources"), 6);
    assert_eq!(sql_count(&db, "SELECT COUNT(*) FROM outbox"), 0);
    assert_eq!(sql_count(&db, "SELECT COUNT(*) FROM dead_letters"), 0);
    assert_eq!(
        sql_count(&db, "SELECT COUNT(*) FROM last_seen"),
        1,
        "only the hit's plate is remembered at the camera"
    );
    assert_eq!(
        sql_count(
            &db,
            "SELECT value FROM counters WHERE name = 'non_hits_dropped'"
        ),
        dropped as i64
    );

    // The node took exactly the hit (accepted, so it is stored) and raised its alert, and refused
    // nothing.
    assert_eq!(
        sql_count(&db, "SELECT value FROM counters WHERE name = 'delivered'"),
        1,
        "exactly one read left the camera"
    );
    let until = Instant::now() + Duration::from_secs(20);
    let alerts = loop {
        let (st, v) = node.call("GET", "/api/v1/alerts", Some(&sup), None);
        assert_eq!(st, 200, "{v}");
        let text = v.to_string();
        if text.contains(listed.as_str()) || Instant::now() > until {
            break text;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        alerts.contains(listed.as_str()),
        "the hit's alert: {alerts}"
    );
    for p in &others {
        assert!(
            !alerts.contains(p.as_str()),
            "a non-hit reached the node: {alerts}"
        );
    }
    let (st, v) = node.call(
        "GET",
        "/api/v1/audit/entries?action=ingest.refused",
        Some(&op),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert!(
        v.as_array().unwrap().is_empty(),
        "the node refused nothing: {v}"
    );
}

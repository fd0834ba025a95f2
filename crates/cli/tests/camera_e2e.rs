//! The edge agent against a real node: frames dropped into a watched folder, the node killed
//! mid-stream and restarted on the same port, the agent itself killed with SIGKILL and restarted —
//! and at the end every plate is on the node exactly once.

mod support;

use chrono::{Duration as CDuration, Utc};
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{ADMIN_PASSWORD, Server, plates};

fn agent(node: &str, key: &str, frames: &Path, queue: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args([
            "camera",
            "--node",
            node,
            "--region",
            "BR",
            "--poll-ms",
            "100",
            "--max-backoff",
            "1",
        ])
        .args(["--repeat-window", "3600", "--batch", "2"])
        .arg("--watch")
        .arg(frames)
        .arg("--queue")
        .arg(queue)
        .env("SIGHTLINE_CAMERA_KEY", key)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the agent")
}

/// How many reads of `plate` the node holds (through the audited search, as an officer).
fn count(s: &Server, token: &str, plate: &str) -> usize {
    let (st, v) = s.call(
        "POST",
        "/api/v1/searches",
        Some(token),
        Some(json!({
            "purpose": "stolen_vehicle", "case_number": "26-000077", "reason": "edge agent test",
            "query": { "plate": { "exact": plate }, "window": {
                "from": (Utc::now() - CDuration::days(1)).to_rfc3339(),
                "to": (Utc::now() + CDuration::minutes(5)).to_rfc3339() } }
        })),
    );
    assert_eq!(st, 200, "{v}");
    v["results"].as_array().unwrap().len()
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let until = Instant::now() + timeout;
    while Instant::now() < until {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

fn drop_frame(font: &ab_glyph::FontVec, frames: &Path, name: &str, text: &str, variant: u32) {
    plates::write_jpeg(&plates::scene(font, text, variant), &frames.join(name));
}

#[test]
fn test_agent_delivers_every_read_exactly_once_through_outages() {
    let tmp = tempfile::tempdir().unwrap();
    let font = plates::font();
    let mut node = Server::start(&tmp.path().join("node"));
    let op = node.login("operator", ADMIN_PASSWORD);
    let (st, v) = node.call("POST", "/api/v1/users", Some(&op), Some(json!({"agency": "oak-park-pd", "username": "officer@oak", "display_name": "Officer", "role": "officer", "password": "a-long-password-1"})));
    assert_eq!(st, 201, "{v}");
    let (st, v) = node.call(
        "POST",
        "/api/v1/cameras",
        Some(&op),
        Some(
            json!({"agency": "oak-park-pd", "name": "Harlem Ave edge", "lat": 41.88, "lon": -87.8}),
        ),
    );
    assert_eq!(st, 201, "{v}");
    let key = v["device_key"].as_str().unwrap().to_owned();
    let url = node.url.clone();
    let listen = url.trim_start_matches("http://").to_owned();
    let frames = tmp.path().join("frames");
    let queue = tmp.path().join("queue");
    std::fs::create_dir_all(&frames).unwrap();
    let plates_expected: Vec<String> = (0..9).map(|i| plates::plate_text(i + 20)).collect();

    let mut a = agent(&url, &key, &frames, &queue);
    // Phase 1: the node is up.
    for i in 0..3 {
        drop_frame(
            &font,
            &frames,
            &format!("f{i:02}.jpg"),
            &plates_expected[i],
            i as u32,
        );
    }
    let officer = node.login("officer@oak", "a-long-password-1");
    wait_for("the first reads", Duration::from_secs(90), || {
        plates_expected[..3]
            .iter()
            .all(|p| count(&node, &officer, p) == 1)
    });

    // Phase 2: the node dies; frames keep coming; then the agent is killed too.
    node.kill();
    for i in 3..6 {
        drop_frame(
            &font,
            &frames,
            &format!("f{i:02}.jpg"),
            &plates_expected[i],
            i as u32,
        );
    }
    // Let the agent read and queue them (it cannot deliver).
    let db = queue.join("agent.db");
    wait_for(
        "frames queued while the node is down",
        Duration::from_secs(60),
        || queued_sources(&db) >= 6,
    );
    a.kill().unwrap(); // SIGKILL
    a.wait().unwrap();
    for i in 6..8 {
        drop_frame(
            &font,
            &frames,
            &format!("f{i:02}.jpg"),
            &plates_expected[i],
            i as u32,
        );
    }
    let mut a = agent(&url, &key, &frames, &queue);
    std::thread::sleep(Duration::from_millis(1500));

    // Phase 3: the node comes back on the same port; one more frame, and a repeat of the first plate.
    node = Server::start_at(&node.data.clone(), &listen);
    drop_frame(&font, &frames, "f08.jpg", &plates_expected[8], 8);
    drop_frame(&font, &frames, "f09-repeat.jpg", &plates_expected[0], 9);
    let officer = node.login("officer@oak", "a-long-password-1");
    wait_for("every read on the node", Duration::from_secs(120), || {
        plates_expected
            .iter()
            .all(|p| count(&node, &officer, p) >= 1)
    });
    // Give a wrongly duplicating agent the chance to show it, then check exactly once.
    wait_for("the queue to drain", Duration::from_secs(30), || {
        outbox_len(&db) == 0
    });
    std::thread::sleep(Duration::from_secs(1));
    for p in &plates_expected {
        assert_eq!(count(&node, &officer, p), 1, "plate {p}");
    }
    a.kill().unwrap();
    a.wait().unwrap();
    // The agent saw ten frames and suppressed the repeat.
    assert_eq!(queued_sources(&db), 10);
}

fn open(db: &Path) -> Option<rusqlite::Connection> {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()
}

fn queued_sources(db: &Path) -> i64 {
    open(db)
        .and_then(|c| {
            c.query_row("SELECT COUNT(*) FROM sources", [], |r| r.get(0))
                .ok()
        })
        .unwrap_or(0)
}

fn outbox_len(db: &Path) -> i64 {
    open(db)
        .and_then(|c| {
            c.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
                .ok()
        })
        .unwrap_or(-1)
}

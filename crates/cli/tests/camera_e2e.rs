//! The edge agent against a real node: frames dropped into a watched folder, the node killed
//! mid-stream and restarted on the same port, the agent itself killed with SIGKILL and restarted —
//! and at the end every plate is on the node exactly once, with the plate picture it was sent with.

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
        .args(["--repeat-window", "3600", "--batch", "2", "--attach-crops"])
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

/// The reads of `plate` the node holds (through the audited search, as an officer), with their
/// plate pictures when `with_crops`.
fn search(s: &Server, token: &str, plate: &str, with_crops: bool) -> Vec<serde_json::Value> {
    let (st, v) = s.call(
        "POST",
        "/api/v1/searches",
        Some(token),
        Some(json!({
            "purpose": "stolen_vehicle", "case_number": "26-000077", "reason": "edge agent test",
            "with_crops": with_crops,
            "query": { "plate": { "exact": plate }, "window": {
                "from": (Utc::now() - CDuration::days(1)).to_rfc3339(),
                "to": (Utc::now() + CDuration::minutes(5)).to_rfc3339() } }
        })),
    );
    assert_eq!(st, 200, "{v}");
    v["results"].as_array().unwrap().clone()
}

/// How many reads of `plate` the node holds.
fn count(s: &Server, token: &str, plate: &str) -> usize {
    search(s, token, plate, false).len()
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

/// Moves a staged frame into the watched folder (a rename, as a camera's writer would).
fn drop_frame(staging: &Path, frames: &Path, name: &str) {
    std::fs::rename(staging.join(name), frames.join(name)).unwrap();
}

#[test]
fn test_agent_delivers_every_read_exactly_once_through_outages() {
    let tmp = tempfile::tempdir().unwrap();
    let font = plates::font();
    let mut node = Server::start(&tmp.path().join("node"));
    let op = node.login("operator", ADMIN_PASSWORD);
    let (st, v) = node.call("POST", "/api/v1/users", Some(&op), Some(json!({"agency": "oak-park-pd", "username": "officer@oak", "display_name": "Officer", "role": "officer", "password": "a-long-password-1", "must_change_password": false})));
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
    // Ten frames, drawn up front; the last repeats the first plate.
    let staging = tmp.path().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    let names: Vec<String> = (0..10).map(|i| format!("f{i:02}.jpg")).collect();
    for (i, name) in names.iter().enumerate() {
        let text = plates::plate_text(if i == 9 { 20 } else { i as u32 + 20 });
        plates::write_jpeg(&plates::scene(&font, &text, i as u32), &staging.join(name));
    }
    let read = support::recognized_frames(&staging);
    let mut expected: Vec<String> = read.values().flatten().cloned().collect();
    expected.sort();
    expected.dedup();
    assert!(
        read["f00.jpg"].is_some() && read["f09.jpg"] == read["f00.jpg"],
        "the repeat must read like the original: {read:?}"
    );
    // Nearly all synthetic plates read right (the delivery check below uses what was read).
    let right = (0..9)
        .filter(|&i| read[&names[i]].as_deref() == Some(plates::plate_text(i as u32 + 20).as_str()))
        .count();
    assert!(right >= 7, "{read:?}");

    let mut a = agent(&url, &key, &frames, &queue);
    // Phase 1: the node is up.
    for name in &names[..3] {
        drop_frame(&staging, &frames, name);
    }
    let officer = node.login("officer@oak", "a-long-password-1");
    wait_for("the first reads", Duration::from_secs(90), || {
        names[..3]
            .iter()
            .filter_map(|n| read[n].as_deref())
            .all(|p| count(&node, &officer, p) == 1)
    });

    // Phase 2: the node dies; frames keep coming; then the agent is killed too.
    node.kill();
    for name in &names[3..6] {
        drop_frame(&staging, &frames, name);
    }
    // Let the agent read and queue them (it cannot deliver).
    let db = queue.join("agent.db");
    wait_for(
        "frames queued while the node is down",
        Duration::from_secs(60),
        || queued_sources(&db) >= 6,
    );
    let waiting = names[3..6].iter().filter(|n| read[*n].is_some()).count() as i64;
    assert_eq!(outbox_len(&db), waiting, "reads wait in the queue");
    a.kill().unwrap(); // SIGKILL
    a.wait().unwrap();
    for name in &names[6..8] {
        drop_frame(&staging, &frames, name);
    }
    let mut a = agent(&url, &key, &frames, &queue);
    std::thread::sleep(Duration::from_millis(1500));

    // Phase 3: the node comes back on the same port; one more frame, and the repeat.
    node = Server::start_at(&node.data.clone(), &listen);
    drop_frame(&staging, &frames, &names[8]);
    drop_frame(&staging, &frames, &names[9]);
    let officer = node.login("officer@oak", "a-long-password-1");
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let counts: Vec<(String, usize)> = expected
            .iter()
            .map(|p| (p.clone(), count(&node, &officer, p)))
            .collect();
        if counts.iter().all(|(_, n)| *n >= 1) {
            break;
        }
        assert!(
            Instant::now() < until,
            "not every read reached the node: {counts:?}; sources {}, outbox {}, dead letters {:?}",
            queued_sources(&db),
            outbox_len(&db),
            dead_letters(&db)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    // Give a wrongly duplicating agent the chance to show it, then check exactly once.
    wait_for("the queue to drain", Duration::from_secs(30), || {
        outbox_len(&db) == 0
    });
    wait_for("all ten frames processed", Duration::from_secs(30), || {
        queued_sources(&db) == 10
    });
    std::thread::sleep(Duration::from_secs(1));
    for p in &expected {
        assert_eq!(count(&node, &officer, p), 1, "plate {p}");
        // Each read came with its plate's picture, which the node kept through the outage.
        use base64::Engine as _;
        let reads = search(&node, &officer, p, true);
        assert_eq!(reads.len(), 1);
        let jpeg = base64::engine::general_purpose::STANDARD
            .decode(reads[0]["crop"].as_str().expect("a plate picture"))
            .unwrap();
        let pic = sightline_recognize::decode_image(&jpeg).unwrap();
        assert!(
            pic.width() <= 320 && pic.width() > pic.height(),
            "{}x{}",
            pic.width(),
            pic.height()
        );
    }
    assert!(dead_letters(&db).is_empty());
    a.kill().unwrap();
    a.wait().unwrap();
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

fn dead_letters(db: &Path) -> Vec<String> {
    let Some(c) = open(db) else { return vec![] };
    let mut st = c
        .prepare("SELECT body || ' ' || reason FROM dead_letters")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

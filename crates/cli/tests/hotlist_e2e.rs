//! Hot lists through a real server: a stolen-vehicle entry, a read that matches it, the alert
//! over Server-Sent Events, its acknowledgement, an expired entry that no longer matches, and an
//! immigration list the Illinois law refuses.

mod support;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use std::io::BufRead;
use std::sync::mpsc;
use support::{ADMIN_PASSWORD, Server};

#[test]
fn test_hotlist_alert_over_sse_and_governance() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(&tmp.path().join("node"));
    let op = s.login("operator", ADMIN_PASSWORD);
    let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"username": "officer", "display_name": "o", "role": "officer", "password": "a-long-password-1", "must_change_password": false})));
    assert_eq!(st, 201, "{v}");
    let officer = s.login("officer", "a-long-password-1");
    let (_, v) = s.call(
        "POST",
        "/api/v1/cameras",
        Some(&op),
        Some(json!({"name": "Lake & Harlem", "lat": 41.88, "lon": -87.8})),
    );
    let key = v["device_key"].as_str().unwrap().to_owned();

    // The law refuses an immigration list for an Illinois owner, naming the statute.
    let (st, v) = s.call(
        "POST",
        "/api/v1/hotlists",
        Some(&op),
        Some(json!({"name": "ICE feed", "category": "immigration_status"})),
    );
    assert_eq!(st, 403, "{v}");
    assert_eq!(v["details"]["citation"], "625 ILCS 5/2-130(b)(2)", "{v}");

    let (st, v) = s.call(
        "POST",
        "/api/v1/hotlists",
        Some(&op),
        Some(json!({"name": "Stolen vehicles", "category": "stolen_vehicle"})),
    );
    assert_eq!(st, 201, "{v}");
    let list = v["item"]["id"].as_i64().unwrap();
    let (st, v) = s.call("POST", &format!("/api/v1/hotlists/{list}/entries"), Some(&op), Some(json!({"entries": [
        {"plate": "HOT 123", "reason": "stolen, report 26-1", "expires_at": (Utc::now() + Duration::days(1)).to_rfc3339()},
        {"plate": "GONE1", "reason": "recovered", "expires_at": (Utc::now() - Duration::minutes(1)).to_rfc3339()}
    ]})));
    assert_eq!(st, 200, "{v}");

    // The officer subscribes to live alerts.
    let (tx, rx) = mpsc::channel::<Value>();
    let url = format!("{}/api/v1/alerts/stream", s.url);
    let token = officer.clone();
    std::thread::spawn(move || {
        let resp = ureq::get(&url)
            .set("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        for line in std::io::BufReader::new(resp.into_reader()).lines() {
            let Ok(line) = line else { break };
            if let Some(data) = line.strip_prefix("data:") {
                let _ = tx.send(serde_json::from_str(data.trim()).unwrap());
            }
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(300));

    let now = Utc::now().to_rfc3339();
    let (st, v) = s.call(
        "POST",
        "/api/v1/reads",
        Some(&key),
        Some(json!({"reads": [
            {"id": "r1", "captured_at": now, "plate": "GONE1"},
            {"id": "r2", "captured_at": now, "plate": "HOT123", "colour": "red"}
        ]})),
    );
    assert_eq!((st, v["accepted"].as_u64()), (200, Some(2)), "{v}");
    let hit = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("alert over SSE");
    assert_eq!(
        (hit["plate_read"].as_str(), hit["fuzzy"].as_bool()),
        (Some("HOT123"), Some(false)),
        "{hit}"
    );
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(500))
            .is_err(),
        "the expired entry must not alert"
    );

    // A misread (8 for B) is a fuzzy hit, marked as such.
    s.call(
        "POST",
        "/api/v1/reads",
        Some(&key),
        Some(json!({"reads": [{"id": "r3", "captured_at": now, "plate": "H0T123"}]})),
    );
    let fuzzy = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("fuzzy alert");
    assert_eq!(fuzzy["fuzzy"], true);

    let id = hit["id"].as_i64().unwrap();
    let (st, v) = s.call(
        "POST",
        &format!("/api/v1/alerts/{id}/ack"),
        Some(&officer),
        Some(json!({"outcome": "confirmed"})),
    );
    assert_eq!((st, v["outcome"].as_str()), (200, Some("confirmed")), "{v}");
    let (st, _) = s.call(
        "POST",
        &format!("/api/v1/alerts/{id}/ack"),
        Some(&officer),
        Some(json!({"outcome": "maybe"})),
    );
    assert_eq!(st, 400);
    let (_, alerts) = s.call("GET", "/api/v1/alerts", Some(&officer), None);
    assert_eq!(alerts.as_array().unwrap().len(), 2);
    let (_, t) = s.call("GET", "/api/v1/transparency/oak-park-pd", None, None);
    assert_eq!(t["hotlist_hits"]["confirmed"], 1, "{t}");
    assert_eq!(t["hotlist_hits"]["pending"], 1, "{t}");
    let (_, entries) = s.call(
        "GET",
        "/api/v1/audit/entries?action=hotlist.refused",
        Some(&op),
        None,
    );
    assert_eq!(entries.as_array().unwrap().len(), 1);
}

/// Reads one HTTP request (headers and a Content-Length body) from a stream.
fn read_request(stream: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).unwrap();
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = stream.read(&mut chunk).unwrap();
                buf.extend_from_slice(&chunk[..n]);
            }
            return (head, buf[end + 4..end + 4 + len].to_vec());
        }
        if n == 0 {
            return (String::new(), Vec::new());
        }
    }
}

#[test]
fn test_webhook_is_signed_and_retried() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(&tmp.path().join("node"));
    let op = s.login("operator", ADMIN_PASSWORD);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let mut stream = stream.unwrap();
            let (head, body) = read_request(&mut stream);
            // The first delivery fails; the node must retry.
            let status = if i == 0 {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            if i > 0 {
                let _ = tx.send((head, body));
                break;
            }
        }
    });
    let (st, hook) = s.call(
        "POST",
        "/api/v1/webhooks",
        Some(&op),
        Some(json!({"url": format!("http://127.0.0.1:{port}/hook")})),
    );
    assert_eq!(st, 201, "{hook}");
    let (st, _) = s.call(
        "POST",
        "/api/v1/webhooks",
        Some(&op),
        Some(json!({"url": "ftp://example.org/x"})),
    );
    assert_eq!(st, 400);
    let (_, v) = s.call(
        "POST",
        "/api/v1/hotlists",
        Some(&op),
        Some(json!({"name": "Stolen", "category": "stolen_vehicle"})),
    );
    let list = v["item"]["id"].as_i64().unwrap();
    let ncic = "WEB123    IL20991231STOLEN VEHICLE\n";
    let resp = ureq::post(&format!(
        "{}/api/v1/hotlists/{list}/import?format=ncic",
        s.url
    ))
    .set("Authorization", &format!("Bearer {op}"))
    .send_string(ncic)
    .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, v) = s.call(
        "POST",
        "/api/v1/cameras",
        Some(&op),
        Some(json!({"name": "c", "lat": 41.9, "lon": -87.8})),
    );
    let key = v["device_key"].as_str().unwrap().to_owned();
    let (st, _) = s.call("POST", "/api/v1/reads", Some(&key), Some(json!({"reads": [{"id": "w1", "captured_at": Utc::now().to_rfc3339(), "plate": "WEB123"}]})));
    assert_eq!(st, 200);
    let (head, body) = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("webhook delivered after a retry");
    let signature = head
        .lines()
        .find_map(|l| l.strip_prefix("x-sightline-signature: "))
        .expect("signature header")
        .to_owned();
    assert_eq!(
        signature,
        sightline_hotlist::edge::sign_webhook(hook["secret"].as_str().unwrap().as_bytes(), &body)
    );
    let payload: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(payload["hit"]["plate_read"], "WEB123");
}

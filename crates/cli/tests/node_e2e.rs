//! End to end against a real `sightline serve` process: ingest (native and OpenALPR), idempotency,
//! per-read rejections, purpose-bound search with per-owner policy, refusals, audit, metrics.

mod support;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use support::{ADMIN_PASSWORD, Server, owner, raw_post};

fn rfc(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339()
}

fn window() -> Value {
    json!({ "from": rfc(Utc::now() - Duration::days(2)), "to": rfc(Utc::now() + Duration::minutes(1)) })
}

fn search(s: &Server, token: &str, purpose: &str, plate: Value) -> (u16, Value) {
    s.call(
        "POST",
        "/api/v1/searches",
        Some(token),
        Some(json!({
            "purpose": purpose, "case_number": "26-000042", "reason": "stolen vehicle report",
            "query": { "plate": plate, "window": window() }
        })),
    )
}

fn plates(v: &Value) -> Vec<String> {
    let mut p: Vec<String> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["plate"].as_str().unwrap().to_owned())
        .collect();
    p.sort();
    p
}

#[test]
fn test_node_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(&tmp.path().join("node"));
    let op = s.login("operator", ADMIN_PASSWORD);

    // Directory set-up through the admin API; each change is audited.
    let (st, v) = s.call("POST", "/api/v1/agencies", Some(&op), Some(json!({"id": "harris-county-so", "name": "Harris County SO", "kind": "sheriff", "jurisdiction": "US-TX"})));
    assert_eq!(st, 201, "{v}");
    assert!(v["audit_seq"].as_u64().unwrap() > 0);
    let (st, _) = s.call(
        "POST",
        "/api/v1/agencies",
        Some(&op),
        Some(json!({"id": "Bad Id", "name": "x", "kind": "sheriff", "jurisdiction": "US-TX"})),
    );
    assert_eq!(st, 400);
    for (agency, user, role) in [
        ("oak-park-pd", "officer@oak", "officer"),
        ("harris-county-so", "officer@harris", "officer"),
        ("oak-park-pd", "auditor@oak", "auditor"),
    ] {
        let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"agency": agency, "username": user, "display_name": user, "role": role, "password": "a-long-password-1", "must_change_password": false})));
        assert_eq!(st, 201, "{v}");
    }
    // Repeated wrong passwords lock the username for a while (online guessing is slow).
    s.call("POST", "/api/v1/users", Some(&op), Some(json!({"username": "lockme", "display_name": "l", "role": "officer", "password": "a-long-password-1", "must_change_password": false})));
    for _ in 0..5 {
        let (st, _) = s.call(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"username": "lockme", "password": "guess"})),
        );
        assert_eq!(st, 401);
    }
    let (st, v) = s.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"username": "lockme", "password": "a-long-password-1"})),
    );
    assert_eq!(
        (st, v["code"].as_str()),
        (429, Some("too_many_requests")),
        "{v}"
    );
    let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"username": "weak", "display_name": "w", "role": "officer", "password": "short"})));
    assert_eq!((st, v["code"].as_str()), (400, Some("bad_request")));
    let cam = |agency: &str, name: &str| {
        let (st, v) = s.call(
            "POST",
            "/api/v1/cameras",
            Some(&op),
            Some(json!({"agency": agency, "name": name, "lat": 41.88, "lon": -87.8})),
        );
        assert_eq!(st, 201, "{v}");
        (
            v["camera"]["id"].as_i64().unwrap(),
            v["device_key"].as_str().unwrap().to_owned(),
        )
    };
    let (il_cam, il_key) = cam("oak-park-pd", "Lake & Harlem");
    let (_tx_cam, tx_key) = cam("harris-county-so", "I-45 & FM 1960");
    let officer = s.login("officer@oak", "a-long-password-1");

    // Native ingest: good and bad reads in one batch.
    let now = Utc::now();
    let batch = json!({ "reads": [
        { "id": "r1", "captured_at": rfc(now - Duration::hours(2)), "plate": "abc-1234", "region": "US-IL", "confidence": 0.93, "colour": "Red", "vehicle_type": "sedan" },
        { "id": "r2", "captured_at": rfc(now - Duration::hours(1)), "plate": "ABC 1234", "colour": "red", "vehicle_type": "sedan", "camera_id": il_cam },
        { "id": "r3", "captured_at": rfc(now - Duration::minutes(5)), "plate": "XYZ999", "colour": "blue" },
        { "id": "bad-plate", "captured_at": rfc(now), "plate": "AB$12" },
        { "id": "bad-future", "captured_at": rfc(now + Duration::hours(3)), "plate": "FUT1" },
        { "id": "bad-camera", "captured_at": rfc(now), "plate": "CAM1", "camera_id": 9999 }
    ]});
    let (st, v) = s.call("POST", "/api/v1/reads", Some(&il_key), Some(batch.clone()));
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["accepted"].as_u64(), v["rejected"].as_u64()),
        (Some(3), Some(3)),
        "{v}"
    );
    let codes: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["error"]["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["malformed_plate", "future_timestamp", "unknown_camera"]
    );
    assert!(
        v["results"][3]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'$'"),
        "{v}"
    );
    // Idempotent re-send.
    let (st, v) = s.call("POST", "/api/v1/reads", Some(&il_key), Some(batch));
    assert_eq!(st, 200);
    assert_eq!(
        (v["accepted"].as_u64(), v["duplicates"].as_u64()),
        (Some(0), Some(3)),
        "{v}"
    );
    // Batch-level errors.
    let big: Vec<Value> = (0..1001)
        .map(|i| json!({"id": format!("b{i}"), "captured_at": rfc(now), "plate": "BIG1"}))
        .collect();
    let (st, v) = s.call(
        "POST",
        "/api/v1/reads",
        Some(&il_key),
        Some(json!({ "reads": big })),
    );
    assert_eq!(
        (st, v["code"].as_str()),
        (413, Some("payload_too_large")),
        "{v}"
    );
    let (st, v) = raw_post(&s.url, "/api/v1/reads", &il_key, "{not json");
    assert_eq!(st, 400, "{v}");
    let (st, _) = s.call(
        "POST",
        "/api/v1/reads",
        Some(&il_key),
        Some(json!({ "reads": [] })),
    );
    assert_eq!(st, 400);
    let (st, v) = s.call(
        "POST",
        "/api/v1/reads",
        Some(&il_key),
        Some(json!([{ "id": "only-bad", "captured_at": rfc(now), "plate": "!!" }])),
    );
    assert_eq!((st, v["rejected"].as_u64()), (422, Some(1)));

    // OpenALPR webhook shapes.
    let group = json!({ "data_type": "alpr_group", "best_uuid": "grp-1", "epoch_start": (now - Duration::minutes(30)).timestamp_millis(),
        "best_plate_number": "ABC1234", "best_confidence": 88.0, "best_region": "us-tx",
        "vehicle": { "color": [{ "name": "red", "confidence": 90.0 }], "body_type": [{ "name": "sedan-standard" }] } });
    let (st, v) = s.call(
        "POST",
        "/api/v1/compat/openalpr",
        Some(&tx_key),
        Some(group),
    );
    assert_eq!((st, v["accepted"].as_u64()), (200, Some(1)), "{v}");
    let results = json!({ "data_type": "alpr_results", "uuid": "frm-1", "epoch_time": (now - Duration::minutes(20)).timestamp_millis(),
        "results": [{ "plate": "A8C1234", "confidence": 71.0, "region": "us-il" }] });
    let (st, v) = s.call(
        "POST",
        "/api/v1/compat/openalpr",
        Some(&il_key),
        Some(results),
    );
    assert_eq!((st, v["accepted"].as_u64()), (200, Some(1)), "{v}");
    let (st, _) = s.call(
        "POST",
        "/api/v1/compat/openalpr",
        Some(&il_key),
        Some(json!({ "data_type": "alpr_group" })),
    );
    assert_eq!(st, 400);

    // Credentials are kept apart.
    let (st, _) = s.call(
        "POST",
        "/api/v1/reads",
        Some(&officer),
        Some(json!({ "reads": [] })),
    );
    assert_eq!(st, 403);
    let (st, _) = search(&s, &il_key, "stolen_vehicle", json!({ "exact": "ABC1234" }));
    assert_eq!(st, 403);
    let (st, _) = search(
        &s,
        "slu_nonsense",
        "stolen_vehicle",
        json!({ "exact": "ABC1234" }),
    );
    assert_eq!(st, 401);

    // Exact: own data contributes, Harris County's is excluded without an agreement.
    let (st, v) = search(
        &s,
        &officer,
        "stolen_vehicle",
        json!({ "exact": "abc 1234" }),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(plates(&v), ["ABC1234", "ABC1234"]);
    assert_eq!(owner(&v, "oak-park-pd")["outcome"], "contributed");
    let tx = owner(&v, "harris-county-so");
    assert_eq!(
        (tx["outcome"].as_str(), tx["rule"].as_str()),
        (Some("excluded"), Some("base.default-deny"))
    );
    assert_eq!(
        v["results"][0]["captured_at"]
            .as_str()
            .map(|t| t < v["results"][1]["captured_at"].as_str().unwrap()),
        Some(false),
        "newest first"
    );
    // Wildcard and fuzzy.
    let (_, v) = search(
        &s,
        &officer,
        "stolen_vehicle",
        json!({ "wildcard": "AB?12*" }),
    );
    assert_eq!(plates(&v), ["ABC1234", "ABC1234"]);
    let (_, v) = search(
        &s,
        &officer,
        "stolen_vehicle",
        json!({ "fuzzy": "ABC1234" }),
    );
    assert_eq!(plates(&v), ["A8C1234", "ABC1234", "ABC1234"]);
    let (_, v) = search(
        &s,
        &officer,
        "stolen_vehicle",
        json!({ "fuzzy": "ABC12345" }),
    );
    assert_eq!(plates(&v).len(), 3, "one insertion away: {v}");
    // Description.
    let (st, v) = s.call("POST", "/api/v1/searches", Some(&officer), Some(json!({
        "purpose": "robbery", "case_number": "26-7", "query": { "description": { "colour": "RED", "vehicle_type": "sedan" }, "window": window() } })));
    assert_eq!(st, 200, "{v}");
    assert_eq!(plates(&v), ["ABC1234", "ABC1234"]);

    // An agreement for one purpose lets Harris County's read in for that purpose only.
    let (st, v) = s.call("POST", "/api/v1/sharing-agreements", Some(&op), Some(json!({
        "owner": "harris-county-so", "grantee": { "kind": "agency", "value": "oak-park-pd" }, "purposes": ["stolen_vehicle"] })));
    assert_eq!(st, 201, "{v}");
    let (_, v) = search(
        &s,
        &officer,
        "stolen_vehicle",
        json!({ "exact": "ABC1234" }),
    );
    assert_eq!(plates(&v).len(), 3);
    assert_eq!(
        owner(&v, "harris-county-so")["rule"],
        "base.sharing-agreement"
    );
    let (_, v) = search(&s, &officer, "fraud", json!({ "exact": "ABC1234" }));
    assert_eq!(plates(&v).len(), 2);

    // Refusals: no purpose, no case number, unknown purpose; each audited.
    let (st, v) = s.call("POST", "/api/v1/searches", Some(&officer), Some(json!({ "case_number": "1", "query": { "plate": { "exact": "ABC1234" }, "window": window() } })));
    assert_eq!(st, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("purpose is required"),
        "{v}"
    );
    let refused_seq = v["details"]["audit_seq"].as_u64().unwrap();
    let (st, v) = s.call("POST", "/api/v1/searches", Some(&officer), Some(json!({ "purpose": "robbery", "query": { "plate": { "exact": "ABC1234" }, "window": window() } })));
    assert_eq!(st, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("case number is required"),
        "{v}"
    );
    let (st, _) = raw_post(&s.url, "/api/v1/searches", &officer, "{\"purpose\":");
    assert_eq!(st, 400);

    // The audit log holds every search, refusals included, and verifies.
    let auditor = s.login("auditor@oak", "a-long-password-1");
    let (st, _) = search(
        &s,
        &auditor,
        "stolen_vehicle",
        json!({ "exact": "ABC1234" }),
    );
    assert_eq!(st, 403, "auditors do not search plates");
    let (st, entries) = s.call(
        "GET",
        "/api/v1/audit/entries?action=search&limit=1000",
        Some(&auditor),
        None,
    );
    assert_eq!(st, 200);
    let entries = entries.as_array().unwrap();
    let outcomes: Vec<&str> = entries
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"partial")
            && outcomes.contains(&"refused")
            && outcomes.contains(&"allowed"),
        "{outcomes:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["seq"].as_u64() == Some(refused_seq) && e["outcome"] == "refused")
    );
    let first = entries.iter().find(|e| e["outcome"] == "partial").unwrap();
    assert_eq!(first["details"]["request"]["case_number"], "26-000042");
    assert_eq!(first["details"]["decisions"].as_array().unwrap().len(), 2);
    let (st, _) = s.call("GET", "/api/v1/audit/entries", Some(&officer), None);
    assert_eq!(st, 403);
    let (st, report) = s.call("GET", "/api/v1/audit/verify", Some(&auditor), None);
    assert_eq!(st, 200);
    assert_eq!(report["problems"], json!([]), "{report}");

    // Health, metrics, OpenAPI.
    let (st, v) = s.call("GET", "/healthz", None, None);
    assert_eq!((st, v["status"].as_str()), (200, Some("ok")));
    let (_, m) = s.call("GET", "/metrics", None, None);
    let m = m.as_str().unwrap().to_owned();
    for name in [
        "sightline_ingest_reads_total",
        "sightline_searches_total",
        "sightline_search_latency_seconds",
        "sightline_audit_appends_total",
        "sightline_policy_denials_total",
    ] {
        assert!(m.contains(name), "{name} missing from metrics");
    }
    let (_, doc) = s.call("GET", "/api/v1/openapi.json", None, None);
    for p in [
        "/api/v1/searches",
        "/api/v1/reads",
        "/api/v1/compat/openalpr",
        "/api/v1/login",
        "/api/v1/sharing-agreements",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing from OpenAPI");
    }
    let (st, v) = s.call("GET", "/api/v1/nothing-here", None, None);
    assert_eq!((st, v["code"].as_str()), (404, Some("not_found")));

    // Signed checkpoints, proofs and an export that verifies offline against them.
    let (st, cp) = s.call("POST", "/api/v1/audit/checkpoint", Some(&auditor), None);
    assert_eq!(st, 200, "{cp}");
    let (_, public) = s.call("GET", "/api/v1/audit/checkpoint", None, None);
    assert_eq!(public["checkpoint"], cp);
    let size = cp["size"].as_u64().unwrap();
    let (st, proof) = s.call(
        "GET",
        &format!("/api/v1/audit/proof/inclusion?seq=2&size={size}"),
        None,
        None,
    );
    assert_eq!(
        (st, proof["root"].as_str()),
        (200, cp["root"].as_str()),
        "{proof}"
    );
    let (st, _) = s.call(
        "GET",
        &format!("/api/v1/audit/proof/inclusion?seq={}&size={size}", size + 5),
        None,
        None,
    );
    assert_eq!(st, 400);
    let (st, c) = s.call(
        "GET",
        &format!("/api/v1/audit/proof/consistency?from=3&to={size}"),
        None,
        None,
    );
    assert_eq!(st, 200, "{c}");
    let export = ureq::get(&format!("{}/api/v1/audit/export", s.url))
        .set("Authorization", &format!("Bearer {op}"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(
        export.lines().count() as u64,
        s.call("GET", "/healthz", None, None).1["audit_entries"]
            .as_u64()
            .unwrap()
    );
    let csv = ureq::get(&format!("{}/api/v1/audit/export?format=csv", s.url))
        .set("Authorization", &format!("Bearer {auditor}"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(csv.starts_with("seq,time,actor_kind"), "{csv}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("log.jsonl"), &export).unwrap();
    std::fs::write(dir.path().join("cp.json"), public.to_string()).unwrap();
    let key = public["public_key"].as_str().unwrap().to_owned();
    let verify_export = |file: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(["audit", "verify", "--log"])
            .arg(dir.path().join(file))
            .arg("--checkpoint")
            .arg(dir.path().join("cp.json"))
            .args(["--public-key", &key])
            .output()
            .unwrap()
    };
    let out = verify_export("log.jsonl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::write(
        dir.path().join("edited.jsonl"),
        export.replacen("\"outcome\":\"partial\"", "\"outcome\":\"allowed\"", 1),
    )
    .unwrap();
    let out = verify_export("edited.jsonl");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("root does not match"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The same checkpoint as a C2SP signed note: served as text, and the CLI verifies the
    // export against it (hex key or verifier key); one changed byte fails with a sentence.
    let note = ureq::get(&format!("{}/api/v1/audit/checkpoint/note", s.url))
        .call()
        .unwrap();
    assert!(
        note.content_type().starts_with("text/plain"),
        "{}",
        note.content_type()
    );
    let note = note.into_string().unwrap();
    assert_eq!(
        Some(note.as_str()),
        cp["note"].as_str(),
        "the note of the JSON checkpoint"
    );
    assert!(
        note.starts_with(&format!("{}\n{size}\n", cp["origin"].as_str().unwrap())),
        "{note}"
    );
    let vkey = public["verifier_key"].as_str().unwrap().to_owned();
    let verify_note = |file: &str, key: &str| {
        std::fs::write(dir.path().join("cp.note"), file).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(["audit", "verify", "--log"])
            .arg(dir.path().join("log.jsonl"))
            .arg("--checkpoint")
            .arg(dir.path().join("cp.note"))
            .args(["--public-key", key])
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    for k in [&key, &vkey] {
        let (code, text) = verify_note(&note, k);
        assert_eq!(code, Some(0), "{text}");
        assert!(
            text.contains(&format!(
                "checkpoint size {size} (C2SP note, no signed time): ok"
            )),
            "{text}"
        );
    }
    let root_line = note.lines().nth(2).unwrap();
    let flipped = if root_line.starts_with('A') { "B" } else { "A" };
    let edited = note.replacen(root_line, &format!("{flipped}{}", &root_line[1..]), 1);
    let (code, text) = verify_note(&edited, &key);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("signature does not verify"), "{text}");
    let (code, text) = verify_note(&note.replacen('\n', "\t\n", 1), &key);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("neither a JSON checkpoint nor a C2SP checkpoint note"),
        "{text}"
    );

    // The offline verifier agrees, and catches tampering.
    let data = s.data.clone();
    drop(s);
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(["audit", "verify", "--data"])
            .arg(&data)
            .output()
            .unwrap()
    };
    let out = verify();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit log OK"));
    let c = rusqlite::Connection::open(data.join("audit.db")).unwrap();
    c.execute("DELETE FROM entries WHERE seq = 3", []).unwrap();
    drop(c);
    let out = verify();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("entry 3"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

//! The doors an attacker tried on the demo (issue 14), against a real server: each is refused,
//! or audited and bounded, with the statute or permission named. And `kill -9` in the middle of
//! admin changes never leaves a change in force without its audit entry.

mod support;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use support::{ADMIN_PASSWORD, Server, call, owner};

fn search_body(reason: &str, behalf: Option<&str>, follows: Option<u64>) -> Value {
    let now = Utc::now();
    let mut b = json!({"purpose": "stolen_vehicle", "case_number": "26-000123", "reason": reason,
        "query": {"plate": {"exact": "ABC123"}, "window": {"from": (now - Duration::days(1)).to_rfc3339(), "to": now.to_rfc3339()}}});
    if let Some(a) = behalf {
        b["on_behalf_of"] = json!(a);
    }
    if let Some(f) = follows {
        b["follows"] = json!(f);
    }
    b
}

#[test]
fn test_the_side_doors_are_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(&tmp.path().join("node"));
    let op = s.login("operator", ADMIN_PASSWORD);
    let ok = |st: u16, v: &Value| assert!((200..300).contains(&st), "{st} {v}");
    for (id, kind, j) in [
        ("harris-county-so", "sheriff", "US-TX"),
        ("ice-ero-chicago", "federal", "US"),
        ("pp-muenchen", "state", "DE-BY"),
    ] {
        let (st, v) = s.call(
            "POST",
            "/api/v1/agencies",
            Some(&op),
            Some(json!({"id": id, "name": id, "kind": kind, "jurisdiction": j})),
        );
        ok(st, &v);
    }
    for (agency, lat, lon) in [
        ("oak-park-pd", 41.885, -87.785),
        ("harris-county-so", 29.76, -95.37),
    ] {
        let (st, v) = s.call(
            "PUT",
            &format!("/api/v1/agencies/{agency}/location"),
            Some(&op),
            Some(json!({"lat": lat, "lon": lon})),
        );
        ok(st, &v);
    }
    let mut tokens = std::collections::HashMap::new();
    for (agency, role) in [
        ("oak-park-pd", "supervisor"),
        ("oak-park-pd", "officer"),
        ("oak-park-pd", "admin"),
        ("harris-county-so", "officer"),
        ("harris-county-so", "admin"),
        ("ice-ero-chicago", "officer"),
    ] {
        let name = format!("{role}@{agency}");
        let (st, v) = s.call(
            "POST",
            "/api/v1/users",
            Some(&op),
            Some(
                json!({"agency": agency, "username": name, "display_name": name,
            "role": role, "password": "a-long-password-1", "must_change_password": false}),
            ),
        );
        ok(st, &v);
        tokens.insert(name.clone(), s.login(&name, "a-long-password-1"));
    }
    let tok = |n: &str| tokens[n].clone();
    let (st, v) = s.call("POST", "/api/v1/cameras", Some(&op), Some(json!({"agency": "oak-park-pd", "name": "Lake & Harlem", "lat": 41.885, "lon": -87.785})));
    ok(st, &v);

    // Roles are the same at every door: a supervisor creates no admin and no national agreement.
    let sup = tok("supervisor@oak-park-pd");
    let (st, v) = s.call("POST", "/api/v1/users", Some(&sup), Some(json!({"username": "evil", "display_name": "e", "role": "admin", "password": "a-long-password-1"})));
    assert_eq!(st, 403, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("manage_users"),
        "{v}"
    );
    let (st, v) = s.call(
        "POST",
        "/api/v1/sharing-agreements",
        Some(&sup),
        Some(json!({"grantee": {"kind": "national"}, "purposes": ["stolen_vehicle"]})),
    );
    assert_eq!(st, 403, "{v}");

    // A radius agreement covers agencies by their registered location, which the grantee cannot
    // move: Harris County placing a camera next to Oak Park does not bring it into range.
    let (st, v) = s.call("POST", "/api/v1/sharing-agreements", Some(&op), Some(json!({"owner": "oak-park-pd",
        "grantee": {"kind": "radius", "value": {"lat": 41.885, "lon": -87.785, "radius_km": 5.0}}, "purposes": ["stolen_vehicle"]})));
    ok(st, &v);
    let (st, v) = s.call(
        "POST",
        "/api/v1/cameras",
        Some(&tok("admin@harris-county-so")),
        Some(json!({"name": "planted", "lat": 41.886, "lon": -87.786})),
    );
    ok(st, &v);
    let (st, v) = s.call(
        "POST",
        "/api/v1/searches",
        Some(&tok("officer@harris-county-so")),
        Some(search_body("stolen car", None, None)),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(owner(&v, "oak-park-pd")["outcome"], "excluded", "{v}");

    // A follow-up carries the original search's context: a refused immigration search does not
    // become allowed under a new reason, and nobody can borrow another user's search.
    let tx = tok("officer@harris-county-so");
    let (st, refused) = s.call(
        "POST",
        "/api/v1/searches",
        Some(&tx),
        Some(search_body("ICE ERO", Some("ice-ero-chicago"), None)),
    );
    assert_eq!(st, 200, "{refused}");
    let seq = refused["audit_seq"].as_u64().unwrap();
    let (st, v) = s.call(
        "POST",
        "/api/v1/searches",
        Some(&tx),
        Some(search_body("stolen car, routine", None, Some(seq))),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(owner(&v, "oak-park-pd")["outcome"], "excluded", "{v}");
    assert!(
        owner(&v, "oak-park-pd")["citation"].as_str().unwrap().len() > 3,
        "{v}"
    );
    let (st, v) = s.call(
        "POST",
        "/api/v1/searches",
        Some(&tok("officer@oak-park-pd")),
        Some(search_body("x", None, Some(seq))),
    );
    assert_eq!(st, 403, "{v}");

    // Hostile input is bounded: a 3.5 MB reason is refused and only an excerpt is logged.
    let huge = "A".repeat(3_500_000);
    let (st, v) = s.call(
        "POST",
        "/api/v1/searches",
        Some(&tx),
        Some(search_body(&huge, None, None)),
    );
    assert_eq!(st, 400, "{v}");
    let (_, entries) = s.call(
        "GET",
        "/api/v1/audit/entries?action=search&limit=1000",
        Some(&op),
        None,
    );
    let last = entries.as_array().unwrap().last().unwrap();
    assert!(
        last.to_string().len() < 5_000,
        "the refusal stores an excerpt, not {} bytes",
        last.to_string().len()
    );

    // Webhooks cannot point into the node's own network.
    let admin = tok("admin@oak-park-pd");
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/x",
        "http://10.0.0.5/hook",
        "http://localhost/x",
    ] {
        let (st, v) = s.call(
            "POST",
            "/api/v1/webhooks",
            Some(&admin),
            Some(json!({"url": url})),
        );
        assert_eq!(st, 400, "{url}: {v}");
    }

    // Hit-only and per-purpose cameras are stored and enforced: a non-hit is refused and counted.
    let (st, v) = s.call("POST", "/api/v1/cameras", Some(&op), Some(json!({"agency": "pp-muenchen", "name": "M", "lat": 48.1, "lon": 11.6, "hit_only": true})));
    assert_eq!(
        st, 400,
        "German cameras must bind their checks to purposes: {v}"
    );
    let (st, v) = s.call(
        "POST",
        "/api/v1/cameras",
        Some(&op),
        Some(
            json!({"agency": "pp-muenchen", "name": "M", "lat": 48.1, "lon": 11.6,
        "hit_only": true, "check_purposes": ["missing_person"]}),
        ),
    );
    ok(st, &v);
    let key = v["device_key"].as_str().unwrap().to_owned();
    let (st, v) = s.call("POST", "/api/v1/reads", Some(&key), Some(json!({"reads": [{"id": "r1", "captured_at": Utc::now().to_rfc3339(), "plate": "M AB 123"}]})));
    assert_eq!(st, 422, "{v}");
    assert_eq!(v["results"][0]["error"]["code"], "not_a_hit", "{v}");
    let (_, v) = s.call(
        "GET",
        "/api/v1/audit/entries?action=ingest.refused",
        Some(&op),
        None,
    );
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    let (st, edge) = s.call("GET", "/api/v1/edge/hotlist", Some(&key), None);
    assert_eq!(st, 200, "the hit-only camera gets its keyed list: {edge}");

    // Spreadsheet formulas in the audit export are escaped.
    let (st, _) = s.call(
        "POST",
        "/api/v1/searches",
        Some(&tok("officer@oak-park-pd")),
        Some(search_body("=HYPERLINK(\"http://x\")", None, None)),
    );
    assert_eq!(st, 200);
    let resp = ureq::get(&format!("{}/api/v1/audit/export?format=csv", s.url))
        .set("Authorization", &format!("Bearer {op}"))
        .call()
        .unwrap();
    let csv = resp.into_string().unwrap();
    let mut cells = 0;
    for rec in csv::Reader::from_reader(csv.as_bytes()).records() {
        for cell in rec.unwrap().iter() {
            cells += 1;
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell starts with a formula: {cell}"
            );
        }
    }
    assert!(
        cells > 0 && csv.contains("'=HYPERLINK"),
        "the reason is exported, escaped"
    );

    // An admin-set password must be changed before anything else, at every door.
    let (st, v) = s.call(
        "POST",
        "/api/v1/users",
        Some(&admin),
        Some(json!({"username": "fresh@oak", "display_name": "f",
        "role": "officer", "password": "a-long-password-1"})),
    );
    ok(st, &v);
    let fresh = s.login("fresh@oak", "a-long-password-1");
    assert_eq!(
        s.call("GET", "/api/v1/me", Some(&fresh), None).0,
        200,
        "who am I still answers"
    );
    assert_eq!(s.call("GET", "/api/v1/agencies", Some(&fresh), None).0, 403);
    let (st, v) = s.call(
        "POST",
        "/api/v1/me/password",
        Some(&fresh),
        Some(json!({"current_password": "a-long-password-1",
        "new_password": "a-brand-new-password"})),
    );
    ok(st, &v);
    let fresh = s.login("fresh@oak", "a-brand-new-password");
    assert_eq!(s.call("GET", "/api/v1/agencies", Some(&fresh), None).0, 200);

    // Revocation is immediate.
    let officer = tok("officer@oak-park-pd");
    let (_, users) = s.call(
        "GET",
        "/api/v1/users?agency=oak-park-pd",
        Some(&admin),
        None,
    );
    let id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "officer@oak-park-pd")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (st, v) = s.call(
        "POST",
        &format!("/api/v1/users/{id}/disable"),
        Some(&admin),
        None,
    );
    ok(st, &v);
    let (st, _) = s.call("GET", "/api/v1/me", Some(&officer), None);
    assert_eq!(st, 401, "a disabled user's token stops at once");

    // Parallel wrong passwords are counted before they are checked: at most 5 are tried.
    let url = s.url.clone();
    let answers: Vec<u16> = (0..40)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                call(
                    &url,
                    "POST",
                    "/api/v1/login",
                    None,
                    Some(json!({"username": "admin@oak-park-pd", "password": "wrong-password-x"})),
                )
                .0
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert!(
        answers.iter().filter(|s| **s == 401).count() <= 5,
        "{answers:?}"
    );
    assert!(
        answers.iter().filter(|s| **s == 429).count() >= 35,
        "{answers:?}"
    );

    // Every response carries a Content-Security-Policy.
    let resp = ureq::get(&format!("{}/ui/login", s.url)).call().unwrap();
    assert!(
        resp.header("content-security-policy")
            .is_some_and(|v| v.contains("frame-ancestors 'none'"))
    );
    // The data directory is the node's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.path().join("node"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "data directory mode {mode:o}");
        let mode = std::fs::metadata(tmp.path().join("node").join("store.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "store.db mode {mode:o}");
    }
}

#[test]
fn test_kill_9_during_admin_changes_leaves_no_change_without_its_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("node");
    let mut created = 0;
    for round in 0..3 {
        let mut s = Server::start(&data);
        let op = s.login("operator", ADMIN_PASSWORD);
        let writer = support::crash::admin_worker(&s.url, &op, format!("crash-{round}-"));
        std::thread::sleep(std::time::Duration::from_millis(400 + 300 * round));
        s.kill();
        let _ = writer.join();
        let s = Server::start(&data);
        let op = s.login("operator", ADMIN_PASSWORD);
        let (names, unaudited) = support::crash::users_and_unaudited(&s, &op, "crash-");
        assert!(
            unaudited.is_empty(),
            "users exist without their audit entry (round {round}): {unaudited:?}"
        );
        support::crash::assert_audit_verifies(&s, &op);
        assert!(
            names.len() >= created,
            "changes acknowledged before are still there"
        );
        created = names.len();
    }
    assert!(created > 0, "the writer created users before the kills");
}

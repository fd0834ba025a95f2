//! Multi-factor sign-in and the usage watch, end to end against the real binary: an account of a
//! public agency gets no token without a second factor, enrols, signs in with a TOTP code the
//! test computes, and a replayed code is refused; an officer who searches one plate twenty times
//! without one covering case raises a stalking finding that a supervisor receives live, reviews
//! and confirms — every step in the audit log; the same detectors run on the shipped Flock
//! sample exports.

mod support;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use std::io::BufRead;
use std::sync::mpsc;
use support::{ADMIN_PASSWORD, Server, audit_actions as actions, totp as code};

const PW: &str = "a-long-password-1";

fn login(s: &Server, user: &str, pw: &str) -> Value {
    let (st, v) = s.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"username": user, "password": pw})),
    );
    assert_eq!(st, 200, "{v}");
    v
}

#[test]
fn test_mfa_required_enrol_sign_in_replay_recovery_and_reset() {
    let tmp = tempfile::tempdir().unwrap();
    // The node's default: public agencies require MFA for every role.
    let s = Server::start_with(&tmp.path().join("node"), "127.0.0.1:0", "");

    // The operator (admin of a municipal agency) gets a challenge, not a token.
    let v = login(&s, "operator", ADMIN_PASSWORD);
    assert!(v.get("token").is_none(), "no token before MFA: {v}");
    assert_eq!(v["mfa"], "enrol", "{v}");
    let challenge = v["challenge"].as_str().unwrap().to_owned();
    // No code works before enrolment.
    let (st, v) = s.call(
        "POST",
        "/api/v1/login/mfa",
        None,
        Some(json!({"challenge": challenge, "code": "123456"})),
    );
    assert_eq!(st, 403, "{v}");
    assert!(v["message"].as_str().unwrap().contains("enrol"), "{v}");
    let (st, e) = s.call(
        "POST",
        "/api/v1/login/mfa/enrol",
        None,
        Some(json!({"challenge": challenge})),
    );
    assert_eq!(st, 200, "{e}");
    let secret = e["secret"].as_str().unwrap().to_owned();
    assert!(
        e["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Sightline:operator?secret="),
        "{e}"
    );
    let recovery: Vec<String> = e["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    // A wrong code is refused; the right one confirms the enrolment and signs in.
    let (st, _) = s.call(
        "POST",
        "/api/v1/login/mfa",
        None,
        Some(json!({"challenge": challenge, "code": if code(&secret, 30) == "000000" { "111111" } else { "000000" }})),
    );
    assert_eq!(st, 401);
    let first = code(&secret, 30);
    let (st, v) = s.call(
        "POST",
        "/api/v1/login/mfa",
        None,
        Some(json!({"challenge": challenge, "code": first})),
    );
    assert_eq!(st, 200, "{v}");
    let op = v["token"].as_str().unwrap().to_owned();
    let (st, _) = s.call("GET", "/api/v1/me", Some(&op), None);
    assert_eq!(st, 200);

    // The same code again, under a fresh challenge: refused as a replay.
    let v = login(&s, "operator", ADMIN_PASSWORD);
    assert_eq!(v["mfa"], "required", "{v}");
    let challenge = v["challenge"].as_str().unwrap().to_owned();
    let (st, v) = s.call(
        "POST",
        "/api/v1/login/mfa",
        None,
        Some(json!({"challenge": challenge, "code": first})),
    );
    assert_eq!(st, 401, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("already used"),
        "{v}"
    );
    // A recovery code works once.
    let (st, v) = s.call(
        "POST",
        "/api/v1/login/mfa",
        None,
        Some(json!({"challenge": challenge, "code": recovery[0]})),
    );
    assert_eq!(st, 200, "{v}");
    let v = login(&s, "operator", ADMIN_PASSWORD);
    let (st, _) = s.call(
        "POST",
        "/api/v1/login/mfa",
        None,
        Some(json!({"challenge": v["challenge"], "code": recovery[0]})),
    );
    assert_eq!(st, 401, "a used recovery code is refused");

    // An officer of the agency: no token without MFA; enrols and signs in with a code.
    let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"username": "officer", "display_name": "o", "role": "officer", "password": PW, "must_change_password": false})));
    assert_eq!(st, 201, "{v}");
    let officer_id = v["item"]["id"]
        .as_i64()
        .or_else(|| v["id"].as_i64())
        .unwrap_or_else(|| panic!("{v}"));
    let v = login(&s, "officer", PW);
    assert!(v.get("token").is_none(), "{v}");
    assert_eq!(v["mfa"], "enrol");
    let c = v["challenge"].as_str().unwrap().to_owned();
    let (_, e) = s.call(
        "POST",
        "/api/v1/login/mfa/enrol",
        None,
        Some(json!({"challenge": c})),
    );
    let officer_secret = e["secret"].as_str().unwrap().to_owned();
    let (st, v) = s.call(
        "POST",
        "/api/v1/login/mfa",
        None,
        Some(json!({"challenge": c, "code": code(&officer_secret, 30)})),
    );
    assert_eq!(st, 200, "{v}");
    let officer = v["token"].as_str().unwrap().to_owned();

    // An admin resets the officer's second factor: the session ends, enrolment starts again.
    let (st, v) = s.call(
        "POST",
        &format!("/api/v1/users/{officer_id}/mfa/reset"),
        Some(&op),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let (st, _) = s.call("GET", "/api/v1/me", Some(&officer), None);
    assert_eq!(st, 401);
    assert_eq!(login(&s, "officer", PW)["mfa"], "enrol");

    // The agency lifts the requirement for officers: a password alone signs them in.
    let (st, v) = s.call(
        "PUT",
        "/api/v1/agency-security",
        Some(&op),
        Some(json!({"mfa_roles": ["supervisor", "admin", "auditor"], "absolute_hours": 8})),
    );
    assert_eq!(st, 200, "{v}");
    let v = login(&s, "officer", PW);
    assert!(v["token"].is_string(), "{v}");
    let expires = chrono::DateTime::parse_from_rfc3339(v["expires_at"].as_str().unwrap()).unwrap();
    assert!(expires <= Utc::now() + Duration::hours(8) + Duration::minutes(1));

    // Every step is audited, and no secret reaches the log.
    for a in [
        "mfa.enrol",
        "mfa.confirm",
        "mfa.success",
        "mfa.failure",
        "mfa.reset",
        "security.settings",
    ] {
        assert!(!actions(&s, &op, a).is_empty(), "no {a} entry");
    }
    let failures = actions(&s, &op, "mfa.failure");
    assert!(
        failures
            .iter()
            .any(|e| e["details"]["reason"] == "replayed"),
        "{failures:?}"
    );
    let (_, all) = s.call("GET", "/api/v1/audit/entries?limit=1000", Some(&op), None);
    let text = all.to_string();
    for secret in [&secret, &officer_secret, &recovery[1], &first] {
        assert!(
            !text.contains(secret.as_str()),
            "a secret reached the audit log"
        );
    }
}

#[test]
fn test_stalking_finding_reaches_supervisor_live_and_is_confirmed() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(&tmp.path().join("node"));
    let op = s.login("operator", ADMIN_PASSWORD);
    for (user, role) in [
        ("officer", "officer"),
        ("sergeant", "supervisor"),
        ("auditor", "auditor"),
    ] {
        let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"username": user, "display_name": user, "role": role, "password": PW, "must_change_password": false})));
        assert_eq!(st, 201, "{v}");
    }
    let officer = s.login("officer", PW);
    let sergeant = s.login("sergeant", PW);
    let auditor = s.login("auditor", PW);

    // The supervisor listens on the alert stream.
    let (tx, rx) = mpsc::channel::<(String, Value)>();
    let url = format!("{}/api/v1/alerts/stream", s.url);
    let token = sergeant.clone();
    std::thread::spawn(move || {
        let resp = ureq::get(&url)
            .set("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        let mut event = String::new();
        for line in std::io::BufReader::new(resp.into_reader()).lines() {
            let Ok(line) = line else { break };
            if let Some(e) = line.strip_prefix("event:") {
                event = e.trim().to_owned();
            } else if let Some(data) = line.strip_prefix("data:") {
                let _ = tx.send((event.clone(), serde_json::from_str(data.trim()).unwrap()));
            }
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(300));

    // Twenty searches of one plate: half without a case number (refused, still audited), half
    // each under a different case number — never one case that covers them.
    let now = Utc::now();
    let mut seqs = Vec::new();
    for i in 0..20 {
        let mut body = json!({
            "purpose": "other_crime", "reason": "checking",
            "query": {"plate": {"exact": "STK 123"}, "window": {"from": (now - Duration::days(1)).to_rfc3339(), "to": now.to_rfc3339()}}
        });
        if i % 2 == 1 {
            body["case_number"] = json!(format!("26-{i:04}"));
        }
        let (st, v) = s.call("POST", "/api/v1/searches", Some(&officer), Some(body));
        assert!(st == 200 || st == 400, "{st} {v}");
        let seq = v["audit_seq"]
            .as_u64()
            .or_else(|| v["details"]["audit_seq"].as_u64());
        seqs.extend(seq);
    }

    let finding = loop {
        let (event, data) = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("a finding over SSE");
        if event == "finding" && data["kind"] == "stalking" {
            break data;
        }
    };
    let id = finding["id"].as_i64().unwrap();
    assert_eq!(finding["agency"], "oak-park-pd");
    assert_eq!(finding["user"], "officer");
    assert_eq!(
        finding["entries"].as_array().unwrap().len(),
        10,
        "{finding}"
    );
    assert!(
        !finding.to_string().contains("STK"),
        "no plate text in the finding"
    );
    if seqs.len() == 20 {
        let first: Vec<u64> = finding["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_u64().unwrap())
            .collect();
        assert_eq!(first, seqs[..10].to_vec());
    }

    // Officers do not see the queue; the supervisor and the auditor do.
    let (st, _) = s.call("GET", "/api/v1/findings", Some(&officer), None);
    assert_eq!(st, 403);
    let (st, q) = s.call("GET", "/api/v1/findings?open=true", Some(&auditor), None);
    assert_eq!(st, 200);
    assert!(q.as_array().unwrap().iter().any(|f| f["id"] == id), "{q}");

    // The supervisor opens it, sees the searches, and confirms misuse.
    let (st, d) = s.call(
        "GET",
        &format!("/api/v1/findings/{id}"),
        Some(&sergeant),
        None,
    );
    assert_eq!(st, 200, "{d}");
    let searches = d["searches"].as_array().unwrap();
    assert_eq!(searches.len(), 10);
    assert!(searches.iter().all(|e| e["action"] == "search"));
    // The web review queue opens the same finding with the same searches (a web session is the
    // same kind of token as the API's); an officer gets no queue.
    let web = |token: &str, path: &str| -> (u16, String) {
        match ureq::get(&format!("{}{path}", s.url))
            .set("Cookie", &format!("sl_session={token}"))
            .call()
        {
            Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => panic!("{e}"),
        }
    };
    let (st, page) = web(&sergeant, &format!("/ui/findings?open={id}"));
    assert_eq!(st, 200);
    assert_eq!(
        page.matches("class=\"finding-search\"").count(),
        10,
        "the finding's searches on the review page"
    );
    assert_eq!(web(&officer, &format!("/ui/findings?open={id}")).0, 403);
    let (st, v) = s.call(
        "POST",
        &format!("/api/v1/findings/{id}/review"),
        Some(&sergeant),
        Some(json!({"decision": "misuse_confirmed", "note": ""})),
    );
    assert_eq!(st, 400, "a decision needs a note: {v}");
    let (st, v) = s.call(
        "POST",
        &format!("/api/v1/findings/{id}/review"),
        Some(&sergeant),
        Some(json!({"decision": "misuse_confirmed", "note": "no case covers these; referred to internal affairs"})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["review"]["decision"], "misuse_confirmed");
    let (_, q) = s.call("GET", "/api/v1/findings?open=true", Some(&sergeant), None);
    assert!(q.as_array().unwrap().iter().all(|f| f["id"] != id));

    // Every step is in the audit log: the searches, the finding with its entries, the decision.
    let raised = actions(&s, &op, "finding.raise");
    let entry = raised
        .iter()
        .find(|e| e["details"]["id"] == id)
        .unwrap_or_else(|| panic!("{raised:?}"));
    assert_eq!(entry["details"]["finding"]["entries"], finding["entries"]);
    let reviewed = actions(&s, &op, "finding.review");
    assert!(
        reviewed.iter().any(|e| e["details"]["id"] == id
            && e["details"]["review"]["decision"] == "misuse_confirmed"
            && e["actor"]["name"] == "sergeant"),
        "{reviewed:?}"
    );
    // The transparency report counts it.
    let (st, t) = s.call("GET", "/api/v1/transparency/oak-park-pd", None, None);
    assert_eq!(st, 200);
    assert_eq!(t["findings"]["stalking"]["raised"], 1, "{t}");
    assert_eq!(t["findings"]["stalking"]["confirmed"], 1, "{t}");
}

#[test]
fn test_detectors_run_on_the_flock_sample_exports() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/oversight_flock");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["oversight", "analyze"])
        .arg(dir.join("flock-org-audit-sample.csv"))
        .arg(dir.join("flock-network-audit-sample.csv"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() || text.contains("usage watch"),
        "{text}"
    );
    println!("{text}");
    assert!(text.contains("usage watch:"), "{text}");
    // The sample has a window of over a year and searches for a federal immigration agency.
    assert!(text.contains("trawl"), "{text}");
    assert!(text.contains("federal"), "{text}");
}

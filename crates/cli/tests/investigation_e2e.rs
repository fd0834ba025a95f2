//! Investigations (issue 18) end to end, on the demo's simulated network: a convoy search under a
//! warrant for a serious crime finds the planted co-travelling vehicle; without a warrant, for a
//! minor purpose, or on German data it is refused with the rule cited and audited; a
//! multi-location search finds the vehicle planted at three sites; an exported evidence package
//! verifies offline and fails, naming the file, after one byte of it is changed.

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use std::process::Command;
use support::{Demo, call, owner};

fn warrant(now: DateTime<Utc>, expires_in_days: i64) -> Value {
    json!({
        "court": "Circuit Court of Cook County",
        "reference": "2026-SW-00412",
        "issued": (now - Duration::days(2)).format("%Y-%m-%d").to_string(),
        "expires": (now + Duration::days(expires_in_days)).format("%Y-%m-%d").to_string(),
    })
}

fn convoy(purpose: &str, plate: &str, warrant: Option<Value>) -> Value {
    let now = Utc::now();
    let mut body = json!({
        "purpose": purpose, "case_number": "26-004711", "reason": "homicide on Lake St",
        "query": {"convoy": {"plate": plate, "delta_s": 60, "min_events": 3,
            "window": {"from": (now - Duration::days(3)).to_rfc3339(), "to": now.to_rfc3339()}}}
    });
    if let Some(w) = warrant {
        body["warrant"] = w;
    }
    body
}

/// The audit entry `seq`, read by the owner's auditor.
fn audit_entry(demo: &Demo, seq: u64) -> Value {
    let (st, v) = call(
        &demo.url,
        "GET",
        &format!(
            "/api/v1/audit/entries?action=search&after={}&limit=1",
            seq - 1
        ),
        Some(&demo.token("auditor@oak-park-pd")),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let e = v[0].clone();
    assert_eq!(e["seq"], seq, "{v}");
    e
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn test_convoy_multi_location_and_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = Demo::start(&tmp.path().join("demo"), "1");
    let planted = demo.creds["planted"].clone();
    let target = planted["convoy_target"].as_str().unwrap().to_owned();
    // Stored plates are normalised (no separators).
    let companion = planted["convoy_companion"]
        .as_str()
        .unwrap()
        .replace(' ', "");
    let multi_site = planted["multi_site"].as_str().unwrap().replace(' ', "");
    let officer = demo.token("officer@oak-park-pd");
    let now = Utc::now();
    let post = |token: &str, body: Value| {
        call(
            &demo.url,
            "POST",
            "/api/v1/searches/analysis",
            Some(token),
            Some(body),
        )
    };

    // 1. Convoy under a warrant for a homicide: the planted companion ranks first.
    let (st, v) = post(
        &officer,
        convoy("homicide", &target, Some(warrant(now, 30))),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["kind"], "convoy");
    assert_eq!(owner(&v, "oak-park-pd")["outcome"], "contributed", "{v}");
    let first = &v["matches"][0];
    assert_eq!(first["plate"], companion.as_str(), "{v}");
    assert!(first["score"].as_u64().unwrap() >= 6, "{first}");
    assert_eq!(v["target"].as_array().unwrap().len(), 6, "{v}");
    assert!(v["uninvolved_revealed"].as_u64().unwrap() >= 1);
    // German data takes no part: the DE pack refuses, citing the court.
    let de = owner(&v, "pp-muenchen");
    assert_eq!(de["outcome"], "excluded");
    assert_eq!(de["rule"], "de.analysis-no-basis", "{de}");
    assert!(de["citation"].as_str().unwrap().contains("1 BvR 142/15"));
    let convoy_seq = v["audit_seq"].as_u64().unwrap();
    let e = audit_entry(&demo, convoy_seq);
    assert_eq!(e["details"]["kind"], "convoy");
    assert_eq!(e["details"]["warrant"]["reference"], "2026-SW-00412");
    assert_eq!(
        e["details"]["uninvolved_revealed"],
        v["uninvolved_revealed"]
    );

    // 2. Without a warrant: refused for every owner, the rule cited, audited.
    let (st, v) = post(&officer, convoy("homicide", &target, None));
    assert_eq!(st, 200, "{v}");
    assert!(v["matches"].as_array().unwrap().is_empty(), "{v}");
    let own = owner(&v, "oak-park-pd");
    assert_eq!(own["outcome"], "excluded");
    assert_eq!(own["rule"], "base.analysis-warrant", "{own}");
    assert!(own["citation"].as_str().unwrap().contains("warrant"));
    let e = audit_entry(&demo, v["audit_seq"].as_u64().unwrap());
    assert_eq!(e["outcome"], "denied");
    assert!(e["details"]["warrant"].is_null());

    // 3. A minor purpose, even with a warrant: refused, rule cited, audited.
    let (st, v) = post(&officer, convoy("larceny", &target, Some(warrant(now, 30))));
    assert_eq!(st, 200, "{v}");
    assert!(v["matches"].as_array().unwrap().is_empty());
    assert_eq!(
        owner(&v, "oak-park-pd")["rule"],
        "base.analysis-serious-crime",
        "{v}"
    );
    assert_eq!(
        audit_entry(&demo, v["audit_seq"].as_u64().unwrap())["outcome"],
        "denied"
    );

    // 4. On German data, by a Munich officer: the DE pack refuses.
    let (st, v) = post(
        &demo.token("officer@pp-muenchen"),
        convoy("homicide", "M-SL 4711", Some(warrant(now, 30))),
    );
    assert_eq!(st, 200, "{v}");
    let own = owner(&v, "pp-muenchen");
    assert_eq!(own["outcome"], "excluded");
    assert_eq!(own["rule"], "de.analysis-no-basis", "{own}");
    assert!(v["matches"].as_array().unwrap().is_empty());

    // 5. An expired warrant is refused before any owner is asked, and audited.
    let mut expired = warrant(now, 0);
    expired["issued"] = json!((now - Duration::days(40)).format("%Y-%m-%d").to_string());
    expired["expires"] = json!((now - Duration::days(10)).format("%Y-%m-%d").to_string());
    let (st, v) = post(&officer, convoy("homicide", &target, Some(expired)));
    assert_eq!(st, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired")
            || v.to_string().contains("expired"),
        "{v}"
    );

    // 6. Multi-location: circles around the three planted sightings, ten minutes either side.
    let places: Vec<Value> = planted["multi_site_sightings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let at: DateTime<Utc> = s["at"].as_str().unwrap().parse().unwrap();
            json!({"label": s["camera"], "area": {"lat": s["lat"], "lon": s["lon"], "radius_m": 150.0},
                   "window": {"from": (at - Duration::minutes(10)).to_rfc3339(),
                              "to": (at + Duration::minutes(10)).to_rfc3339()}})
        })
        .collect();
    assert_eq!(places.len(), 3);
    let body = json!({"purpose": "robbery", "case_number": "26-004800", "warrant": warrant(now, 30),
        "query": {"multi_location": {"places": places}}});
    let (st, v) = post(&officer, body.clone());
    assert_eq!(st, 200, "{v}");
    let hit = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["plate"] == multi_site.as_str())
        .unwrap_or_else(|| panic!("multi-site vehicle not found: {v}"));
    assert_eq!(hit["score"], 3);
    assert_eq!(hit["places"], json!([0, 1, 2]));
    // A place window over 24 hours is refused by the base policy.
    let mut wide = body.clone();
    let to: DateTime<Utc> = wide["query"]["multi_location"]["places"][0]["window"]["to"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    wide["query"]["multi_location"]["places"][0]["window"]["from"] =
        json!((to - Duration::hours(30)).to_rfc3339());
    let (st, v) = post(&officer, wide);
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        owner(&v, "oak-park-pd")["rule"],
        "base.analysis-place-window"
    );

    // 7. Evidence: export the convoy search, verify it offline, then change one byte.
    let pkg = tmp.path().join("package");
    let (ok, out) = run(Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["evidence", "export", "--url", &demo.url, "--search"])
        .arg(convoy_seq.to_string())
        .arg("--out")
        .arg(&pkg)
        .env("SIGHTLINE_TOKEN", &officer));
    assert!(ok, "{out}");
    for f in [
        "manifest.json",
        "reads.json",
        "cameras.json",
        "request.json",
        "decisions.json",
        "report.html",
        "audit/entries.jsonl",
        "audit/proofs.json",
        "audit/checkpoint",
    ] {
        assert!(pkg.join(f).is_file(), "{f} missing: {out}");
    }
    let reads = std::fs::read_to_string(pkg.join("reads.json")).unwrap();
    assert!(reads.contains(&companion));
    let request = std::fs::read_to_string(pkg.join("request.json")).unwrap();
    assert!(request.contains("2026-SW-00412"));
    let verify = || {
        run(Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(["evidence", "verify"])
            .arg(&pkg))
    };
    let (ok, out) = verify();
    assert!(ok, "{out}");
    assert!(out.contains("OK"), "{out}");
    // The export itself is audited.
    let (st, v) = call(
        &demo.url,
        "GET",
        "/api/v1/audit/entries?action=evidence.export",
        Some(&demo.token("auditor@oak-park-pd")),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v[0]["details"]["search_seq"], convoy_seq, "{v}");
    // One byte of one file changed: verification fails and names the file.
    let path = pkg.join("cameras.json");
    let mut bytes = std::fs::read(&path).unwrap();
    let i = bytes.iter().position(|b| b.is_ascii_digit()).unwrap();
    bytes[i] = if bytes[i] == b'9' { b'8' } else { bytes[i] + 1 };
    std::fs::write(&path, bytes).unwrap();
    let (ok, out) = verify();
    assert!(!ok, "{out}");
    assert!(out.contains("cameras.json: altered"), "{out}");
    assert!(!out.contains("reads.json"), "{out}");
    // The same export as one archive (`--out FILE.tar`, the web UI's download format): it
    // verifies as it is, and fails naming the file after one byte inside it is changed.
    let archive = tmp.path().join("case-26-004711.tar");
    let (ok, out) = run(Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["evidence", "export", "--url", &demo.url, "--search"])
        .arg(convoy_seq.to_string())
        .arg("--out")
        .arg(&archive)
        .env("SIGHTLINE_TOKEN", &officer));
    assert!(ok, "{out}");
    assert!(archive.is_file(), "{out}");
    let verify_archive = || {
        run(Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(["evidence", "verify"])
            .arg(&archive))
    };
    let (ok, out) = verify_archive();
    assert!(ok && out.contains("OK"), "{out}");
    let tar = std::fs::read(&archive).unwrap();
    assert!(
        tar.windows(b"evidence-".len()).any(|w| w == b"evidence-"),
        "one folder evidence-<search>/"
    );
    // Exporting over an existing file is refused.
    let (ok, out) = run(Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["evidence", "export", "--url", &demo.url, "--search"])
        .arg(convoy_seq.to_string())
        .arg("--out")
        .arg(&archive)
        .env("SIGHTLINE_TOKEN", &officer));
    assert!(!ok, "{out}");
    std::fs::write(&archive, support::tamper_tar(&tar, "cameras.json")).unwrap();
    let (ok, out) = verify_archive();
    assert!(!ok, "{out}");
    assert!(out.contains("cameras.json: altered"), "{out}");
    assert!(!out.contains("reads.json"), "{out}");

    // 8. The transparency report counts analysis searches apart.
    let (st, v) = call(
        &demo.url,
        "GET",
        "/api/v1/transparency/oak-park-pd",
        None,
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert!(
        v["analysis_searches"]["convoy denied"].as_u64().unwrap() >= 2,
        "{v}"
    );
    assert!(
        v["uninvolved_vehicles_revealed"].as_u64().unwrap() >= 1,
        "{v}"
    );
}

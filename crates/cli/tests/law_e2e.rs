//! Law packs through a real server: each owner's law decides, the statute is named in the
//! response and in the audit entry, and agency policies can narrow but not widen.

mod support;

use chrono::{Duration, Utc};
use serde_json::json;
use support::{ADMIN_PASSWORD, Server, owner};

#[test]
fn test_law_packs_decide_per_owner() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start(&tmp.path().join("node"));
    let op = s.login("operator", ADMIN_PASSWORD);
    for (id, kind, j) in [
        ("harris-county-so", "sheriff", "US-TX"),
        ("sacramento-pd", "municipal", "US-CA"),
        ("ice-ero", "federal", "US"),
    ] {
        let (st, v) = s.call(
            "POST",
            "/api/v1/agencies",
            Some(&op),
            Some(json!({"id": id, "name": id, "kind": kind, "jurisdiction": j})),
        );
        assert_eq!(st, 201, "{v}");
    }
    for (agency, user) in [
        ("harris-county-so", "deputy"),
        ("ice-ero", "agent"),
        ("oak-park-pd", "officer"),
    ] {
        let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"agency": agency, "username": user, "display_name": user, "role": "officer", "password": "a-long-password-1", "must_change_password": false})));
        assert_eq!(st, 201, "{v}");
    }
    let now = Utc::now();
    for owner in ["oak-park-pd", "sacramento-pd", "harris-county-so"] {
        let (_, v) = s.call(
            "POST",
            "/api/v1/cameras",
            Some(&op),
            Some(json!({"agency": owner, "name": "cam", "lat": 40.0, "lon": -90.0})),
        );
        let key = v["device_key"].as_str().unwrap().to_owned();
        let (st, _) = s.call("POST", "/api/v1/reads", Some(&key), Some(json!({"reads": [{"id": "r", "captured_at": (now - Duration::hours(3)).to_rfc3339(), "plate": "LAW123"}]})));
        assert_eq!(st, 200);
        let (st, v) = s.call("POST", "/api/v1/sharing-agreements", Some(&op), Some(json!({"owner": owner, "grantee": {"kind": "national"}, "purposes": ["stolen_vehicle", "other_crime"]})));
        assert_eq!(st, 201, "{v}");
    }
    let search = |user: &str, purpose: &str, reason: &str| {
        let token = s.login(user, "a-long-password-1");
        let (st, v) = s.call("POST", "/api/v1/searches", Some(&token), Some(json!({
            "purpose": purpose, "case_number": "26-000100", "reason": reason,
            "query": {"plate": {"exact": "LAW123"}, "window": {"from": (now - Duration::days(1)).to_rfc3339(), "to": now.to_rfc3339()}}})));
        assert_eq!(st, 200, "{v}");
        v
    };

    // A Texas deputy with reason "ICE+ERO": Illinois refuses under 2-130(b)(2); Texas has no statute.
    let v = search("deputy", "other_crime", "ICE+ERO");
    let il = owner(&v, "oak-park-pd");
    assert_eq!(
        (il["outcome"].as_str(), il["rule"].as_str()),
        (Some("excluded"), Some("us-il.2-130-b-2-immigration"))
    );
    assert_eq!(il["citation"], "625 ILCS 5/2-130(b)(2)");
    assert_eq!(
        owner(&v, "sacramento-pd")["rule"],
        "us-ca.1798-90-55-b-out-of-state"
    );
    assert_eq!(owner(&v, "harris-county-so")["outcome"], "contributed");
    assert_eq!(v["results"].as_array().unwrap().len(), 1);
    let seq = v["audit_seq"].as_u64().unwrap();

    // The federal agent: California refuses federal access; Illinois refuses immigration agencies.
    let v = search("agent", "stolen_vehicle", "stolen car");
    assert_eq!(
        owner(&v, "sacramento-pd")["rule"],
        "us-ca.1798-90-55-b-federal"
    );
    // The requesting agency's own name ("ice-ero") screens as immigration, whatever the reason.
    assert_eq!(
        owner(&v, "oak-park-pd")["rule"],
        "us-il.2-130-b-2-immigration"
    );
    assert_eq!(owner(&v, "harris-county-so")["outcome"], "contributed");

    // The audit entry records the same decision and what screening found.
    let (_, entries) = s.call(
        "GET",
        &format!("/api/v1/audit/entries?after={}&limit=1", seq - 1),
        Some(&op),
        None,
    );
    let e = &entries[0];
    assert_eq!(e["seq"].as_u64(), Some(seq));
    let decisions = e["details"]["decisions"].as_array().unwrap();
    assert!(
        decisions
            .iter()
            .any(|d| d["citation"] == "625 ILCS 5/2-130(b)(2)"),
        "{e}"
    );
    assert_eq!(e["details"]["screening"][0]["rule"], "screen.immigration");

    // An agency policy narrows: Oak Park forbids traffic enforcement on its own data.
    let cedar = r#"@id("opd.no-traffic") @citation("Oak Park General Order 2024-7") @explanation("Oak Park does not use ALPR for traffic enforcement.")
forbid (principal, action, resource) when { context.purposes.contains("traffic_enforcement") };"#;
    let (st, v) = s.call(
        "PUT",
        "/api/v1/agency-policy",
        Some(&op),
        Some(json!({"cedar": cedar})),
    );
    assert_eq!(st, 200, "{v}");
    let v = search("officer", "traffic_enforcement", "unpaid tickets");
    assert_eq!(owner(&v, "oak-park-pd")["rule"], "opd.no-traffic");
    // …and cannot widen.
    let (st, v) = s.call("PUT", "/api/v1/agency-policy", Some(&op), Some(json!({"cedar": "@id(\"w\") @citation(\"c\") @explanation(\"e\") permit (principal, action, resource);"})));
    assert_eq!(st, 400);
    assert!(v["message"].as_str().unwrap().contains("forbid"), "{v}");
    // Transparency figures come from the log: Illinois' refusals and Harris County's partners.
    let (st, t) = s.call("GET", "/api/v1/transparency/oak-park-pd", None, None);
    assert_eq!(st, 200, "{t}");
    assert_eq!(
        t["denials_by_rule"]["us-il.2-130-b-2-immigration"], 2,
        "{t}"
    );
    assert_eq!(t["cameras"], 1);
    assert_eq!(t["reads_last_30_days"], 1);
    let (_, t) = s.call("GET", "/api/v1/transparency/harris-county-so", None, None);
    assert_eq!(t["sharing_partners"]["ice-ero"], 1, "{t}");
    let (_, note) = s.call(
        "PUT",
        "/api/v1/transparency-note",
        Some(&op),
        Some(json!({"note": "We publish monthly."})),
    );
    assert!(note.as_u64().is_some(), "{note}");
    let (_, page) = s.call("GET", "/transparency/oak-park-pd", None, None);
    let page = page.as_str().unwrap().to_owned();
    assert!(
        page.contains("We publish monthly.") && page.contains("us-il.2-130-b-2-immigration"),
        "{page}"
    );
    // The oversight analyser over the node's own log finds the immigration reason.
    let (st, o) = s.call("GET", "/api/v1/oversight/report", Some(&op), None);
    assert_eq!(st, 200, "{o}");
    let imm = o["reasons"]["prohibited"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["rule"] == "screen.immigration")
        .unwrap();
    assert_eq!(imm["finding"]["count"], 1, "{o}");
    let (_, packs) = s.call("GET", "/api/v1/policy/packs", None, None);
    assert!(
        packs
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == "US-NH" && p["retention_minutes"] == 3)
    );
}

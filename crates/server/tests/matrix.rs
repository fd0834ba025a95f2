//! Route × role × agency: every API route in the route table, called signed out, with a camera
//! key, and as every role of one agency against another agency's objects, must answer as the
//! permission table says. The router is built from the same table, so a new route cannot escape.
//! In-process (`oneshot`), no sockets.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use sightline_server::admin::{
    CreateAgency, CreateAgreement, CreateCamera, CreateDeclaration, CreateUser,
};
use sightline_server::routes::{Access, specs};
use sightline_server::{Caller, Node, NodeConfig};
use sightline_store::{AgreementScope, Grantee};
use sightline_types::{AgencyId, Role};
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

struct World {
    node: Arc<Node>,
    /// Ids of agency B's objects, by the path segment that names them.
    other: HashMap<&'static str, String>,
    camera_key: String,
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig::for_data_dir(dir.path().to_path_buf());
    config.policy.retention_interval_s = 0;
    config.policy.checkpoint_interval_s = 0;
    config.webhook_allow_hosts = vec!["127.0.0.1".into()];
    let node = Arc::new(Node::open(config).unwrap());
    let sys = Caller::System;
    for (id, j) in [("a-pd", "US-TX"), ("b-pd", "US-TX")] {
        node.create_agency(
            &sys,
            &CreateAgency {
                id: id.into(),
                name: id.into(),
                kind: "municipal".into(),
                jurisdiction: j.into(),
            },
        )
        .unwrap();
        for role in Role::ALL {
            node.create_user(
                &sys,
                &CreateUser {
                    agency: Some(id.into()),
                    username: format!("{}@{id}", role.code()),
                    display_name: "x".into(),
                    role: role.code().into(),
                    password: "a-long-password-1".into(),
                    must_change_password: false,
                },
            )
            .unwrap();
        }
    }
    node.create_operator(
        &AgencyId::parse("a-pd").unwrap(),
        "operator",
        "a-long-password-1",
    )
    .unwrap();
    let cam = |agency: &str, hit_only: bool| {
        node.create_camera(
            &sys,
            &CreateCamera {
                agency: Some(agency.into()),
                name: "c".into(),
                lat: 29.7,
                lon: -95.3,
                bearing: None,
                mobile: false,
                hit_only,
                check_purposes: Vec::new(),
            },
        )
        .unwrap()
    };
    let a_cam = cam("a-pd", true);
    let b_cam = cam("b-pd", false);
    let b_agreement = node
        .create_agreement(
            &sys,
            &CreateAgreement {
                owner: Some("b-pd".into()),
                grantee: Grantee::National,
                purposes: vec!["stolen_vehicle".into()],
                expires_at: None,
                scope: AgreementScope::Search,
            },
        )
        .unwrap();
    let b_decl = node
        .create_declaration(
            &sys,
            &CreateDeclaration {
                agency: Some("b-pd".into()),
                jurisdiction: "US-IL".into(),
                statement: "s".into(),
                signed_by: "x".into(),
            },
        )
        .unwrap();
    let b_sup = principal(&node, "supervisor@b-pd");
    let b_list = node
        .create_hotlist(
            &b_sup,
            "stolen",
            sightline_hotlist::Category::StolenVehicle,
            "custom",
            &[],
        )
        .unwrap();
    let b_hold = node
        .create_hold(
            &b_sup,
            &sightline_server::governance::CreateHold {
                case_number: "26-1".into(),
                plate: "ABC123".into(),
                from: chrono::Utc::now() - chrono::Duration::days(1),
                to: chrono::Utc::now(),
                reason: "case".into(),
            },
        )
        .unwrap();
    let b_admin = principal(&node, "admin@b-pd");
    let b_hook = node
        .add_webhook(&b_admin, "http://127.0.0.1:9/hook")
        .unwrap();
    let b_saved = node
        .save_search(
            &principal(&node, "officer@b-pd"),
            &serde_json::from_value(saved_spec()).unwrap(),
        )
        .unwrap();
    let b_user = node
        .store
        .user_by_username("officer@b-pd")
        .unwrap()
        .unwrap();
    let other = HashMap::from([
        ("users", b_user.id.0.to_string()),
        ("cameras", b_cam.camera.id.0.to_string()),
        ("sharing-agreements", b_agreement.item.id.to_string()),
        ("declarations", b_decl.item.id.to_string()),
        ("hotlists", b_list.item.id.to_string()),
        ("legal-holds", b_hold.item.id.to_string()),
        ("webhooks", b_hook.id.to_string()),
        ("alerts", "999999".to_owned()),
        ("findings", "999999".to_owned()),
        ("agencies", "b-pd".to_owned()),
        ("transparency", "b-pd".to_owned()),
        ("saved-searches", b_saved.item.id.to_string()),
    ]);
    World {
        node,
        other,
        camera_key: a_cam.device_key,
        _dir: dir,
    }
}

/// A saved search every role that may save one can save.
fn saved_spec() -> Value {
    json!({"name": "n", "purpose": "stolen_vehicle", "case_number": "26-1",
        "plate": {"exact": "ABC123"}, "hours": 24})
}

fn principal(node: &Node, username: &str) -> Caller {
    let user = node.store.user_by_username(username).unwrap().unwrap();
    let agency = node.store.agency(&user.agency).unwrap();
    Caller::User(sightline_search::Principal { user, agency })
}

fn token(node: &Node, username: &str) -> String {
    let user = node.store.user_by_username(username).unwrap().unwrap();
    node.issue_token(&user, "matrix").unwrap().token
}

/// A body each route accepts in shape, so that only permission decides the status.
fn body_for(method: &str, path: &str) -> Option<Value> {
    let now = chrono::Utc::now();
    Some(match (method, path) {
        ("get", _) | ("delete", _) => return None,
        (_, "/api/v1/login") => json!({"username": "nobody", "password": "wrong-password-1"}),
        (_, "/api/v1/logout") | (_, "/api/v1/audit/checkpoint") => return None,
        (_, p)
            if p.ends_with("/disable")
                || p.ends_with("/enable")
                || p.ends_with("/revoke")
                || p.ends_with("/rotate-key")
                || p.ends_with("/end")
                || p.ends_with("/release")
                || p.ends_with("/revoke-tokens")
                || p.ends_with("/mfa/reset")
                || p.ends_with("/run") =>
        {
            return None;
        }
        (_, "/api/v1/me/password") => {
            json!({"current_password": "a-long-password-1", "new_password": "short"})
        }
        (_, "/api/v1/agencies") => {
            json!({"id": "new-pd", "name": "n", "kind": "municipal", "jurisdiction": "US-TX"})
        }
        (_, "/api/v1/agencies/{id}/location") => json!({"lat": 30.0, "lon": -95.0}),
        (_, "/api/v1/users") => {
            json!({"username": "new-user", "display_name": "n", "role": "officer", "password": "a-long-password-1"})
        }
        (_, "/api/v1/users/{id}/role") => json!({"role": "officer"}),
        (_, "/api/v1/users/{id}/password") => json!({"password": "another-long-password"}),
        (_, "/api/v1/cameras") => json!({"name": "n", "lat": 29.7, "lon": -95.3}),
        (_, "/api/v1/cameras/{id}/mode") => json!({"hit_only": false}),
        (_, "/api/v1/sharing-agreements") => {
            json!({"grantee": {"kind": "national"}, "purposes": ["stolen_vehicle"]})
        }
        (_, "/api/v1/declarations") => {
            json!({"jurisdiction": "US-IL", "statement": "s", "signed_by": "x"})
        }
        (_, "/api/v1/reads") => json!({"reads": []}),
        (_, "/api/v1/compat/openalpr") => json!({"data_type": "heartbeat"}),
        (_, "/api/v1/searches") => {
            json!({"purpose": "stolen_vehicle", "case_number": "26-1", "reason": "r",
            "query": {"plate": {"exact": "ABC123"}, "window": {"from": (now - chrono::Duration::hours(1)).to_rfc3339(), "to": now.to_rfc3339()}}})
        }
        (_, "/api/v1/searches/analysis") => {
            json!({"purpose": "homicide", "case_number": "26-1",
            "warrant": {"court": "Circuit Court", "reference": "26-SW-1", "issued": (now - chrono::Duration::days(1)).format("%Y-%m-%d").to_string(), "expires": (now + chrono::Duration::days(9)).format("%Y-%m-%d").to_string()},
            "query": {"convoy": {"plate": "ABC123", "window": {"from": (now - chrono::Duration::hours(1)).to_rfc3339(), "to": now.to_rfc3339()}}}})
        }
        (_, "/api/v1/evidence") => json!({"search_seq": 1}),
        (_, "/api/v1/saved-searches") => saved_spec(),
        (_, "/api/v1/legal-holds") => {
            json!({"case_number": "26-2", "plate": "XYZ9", "from": (now - chrono::Duration::hours(1)).to_rfc3339(), "to": now.to_rfc3339(), "reason": "r"})
        }
        (_, "/api/v1/agency-policy") => json!({"cedar": ""}),
        (_, "/api/v1/hotlists") => json!({"name": "n", "category": "stolen_vehicle"}),
        (_, "/api/v1/hotlists/{id}/entries") => {
            json!({"entries": [{"plate": "ABC123", "reason": "r"}]})
        }
        (_, "/api/v1/hotlists/{id}/import") => {
            json!("plate,region,reason,legal_basis,expires_at\nABC123,,r,,\n")
        }
        (_, "/api/v1/hotlists/{id}/sharing") => json!({"shared_with": []}),
        (_, "/api/v1/webhooks") => json!({"url": "http://127.0.0.1:9/hook"}),
        (_, "/api/v1/alerts/{id}/ack") => json!({"outcome": "confirmed"}),
        (_, "/api/v1/transparency-note") => json!({"note": "n"}),
        (_, "/api/v1/login/mfa") => json!({"challenge": "slm_unknown", "code": "123456"}),
        (_, "/api/v1/login/mfa/enrol") => json!({"challenge": "slm_unknown"}),
        (_, "/api/v1/login/passkey/options") => json!({"challenge": "slm_unknown"}),
        (_, "/api/v1/login/passkey") => {
            json!({"challenge": "slm_unknown", "credential": {"type": "public-key"}})
        }
        (_, "/api/v1/me/passkeys/options") => json!({}),
        (_, "/api/v1/me/passkeys") => json!({"label": "k", "credential": {"type": "public-key"}}),
        (_, "/api/v1/agency-security") => json!({"mfa_roles": ["officer"]}),
        (_, "/api/v1/findings/{id}/review") => json!({"decision": "justified", "note": "n"}),
        (m, p) => panic!("no test body for {m} {p}: add one (every route is in this test)"),
    })
}

fn fill(w: &World, path: &str) -> String {
    let Some(start) = path.find('{') else {
        return path.to_owned();
    };
    let segment = path[..start]
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let id = w
        .other
        .get(segment)
        .unwrap_or_else(|| panic!("no object of another agency for {path}"));
    let end = path.find('}').unwrap();
    format!("{}{}{}", &path[..start], id, &path[end + 1..])
}

async fn call(w: &World, method: &str, path: &str, bearer: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method(method.to_uppercase().as_str())
        .uri(fill(w, path));
    if let Some(b) = bearer {
        req = req.header("authorization", format!("Bearer {b}"));
    }
    let body = match body_for(method, path) {
        Some(Value::String(s)) => {
            req = req.header("content-type", "text/csv");
            Body::from(s)
        }
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let resp = sightline_server::router(w.node.clone())
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let text = if path.ends_with("/stream") && status.is_success() {
        String::new()
    } else {
        String::from_utf8_lossy(
            &axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap(),
        )
        .into_owned()
    };
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_route_role_agency_matrix_follows_the_permission_table() {
    let w = world();
    let mut checked = 0;
    for r in specs() {
        let (m, p) = (r.method, r.path);
        let what = format!("{} {p}", m.to_uppercase());
        // Signed out.
        let (st, body) = call(&w, m, p, None).await;
        match r.access {
            Access::Public => assert!(
                st != StatusCode::FORBIDDEN
                    && (st != StatusCode::UNAUTHORIZED || p.starts_with("/api/v1/login")),
                "{what} signed out: {st} {body}"
            ),
            _ => assert_eq!(st, StatusCode::UNAUTHORIZED, "{what} signed out: {body}"),
        }
        // A camera key.
        let (st, body) = call(&w, m, p, Some(&w.camera_key)).await;
        match r.access {
            Access::Camera => assert!(
                st != StatusCode::UNAUTHORIZED && st != StatusCode::FORBIDDEN,
                "{what} camera: {st} {body}"
            ),
            Access::User(_) | Access::Own => assert!(
                st == StatusCode::FORBIDDEN || st == StatusCode::UNAUTHORIZED,
                "{what} camera: {st} {body}"
            ),
            Access::Public => {}
        }
        // Every role of agency A, on agency B's objects where the path names one.
        for role in Role::ALL {
            let t = token(&w.node, &format!("{}@a-pd", role.code()));
            let (st, body) = call(&w, m, p, Some(&t)).await;
            let who = format!("{what} as {} of another agency", role.code());
            match r.access {
                Access::Camera => assert_eq!(st, StatusCode::FORBIDDEN, "{who}: {body}"),
                Access::Own => assert!(
                    st != StatusCode::UNAUTHORIZED && st != StatusCode::FORBIDDEN,
                    "{who}: {st} {body}"
                ),
                Access::Public => assert!(st != StatusCode::FORBIDDEN, "{who}: {st} {body}"),
                Access::User(perm) if !perm.allows(*role, false) => {
                    assert_eq!(st, StatusCode::FORBIDDEN, "{who}: {body}");
                    assert!(
                        p.ends_with("/stream") || body.contains(perm.code()),
                        "{who}: the refusal names the permission: {body}"
                    );
                }
                Access::User(_)
                    if p.contains('{')
                        && !p.contains("{agency}")
                        && !p.starts_with("/api/v1/agencies") =>
                {
                    assert!(
                        st == StatusCode::NOT_FOUND || st == StatusCode::FORBIDDEN,
                        "{who}: another agency's object must be out of reach: {st} {body}"
                    );
                }
                Access::User(_) => assert!(
                    st != StatusCode::UNAUTHORIZED && st != StatusCode::FORBIDDEN,
                    "{who}: {st} {body}"
                ),
            }
            checked += 1;
        }
    }
    // The node operator may act on any agency's objects.
    let op = token(&w.node, "operator");
    let (st, body) = call(&w, "post", "/api/v1/cameras/{id}/rotate-key", Some(&op)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(checked > 250, "{checked}");
}

/// Regressions (found by the Schemathesis contract test): a malformed id in the path or a bad
/// query string answered axum's plain-text 400, not the API's one JSON error shape; an `after`
/// past SQLite's integers answered 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_malformed_path_and_query_answer_the_json_error_shape() {
    let w = world();
    let admin = token(&w.node, "admin@a-pd");
    for (method, uri) in [
        ("POST", "/api/v1/users/9223372036854775808/disable"),
        ("POST", "/api/v1/hotlists/not-a-number/end"),
        ("PUT", "/api/v1/cameras/1.5/mode"),
        ("GET", "/api/v1/audit/proof/consistency"),
        ("GET", "/api/v1/audit/proof/inclusion?seq=-1"),
        ("GET", "/api/v1/audit/entries?after=x"),
        // Past SQLite's integers: was a 503 (a store error), is a 400 naming the limit.
        ("GET", "/api/v1/audit/entries?after=9223372036854775808"),
    ] {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let resp = sightline_server::router(w.node.clone())
            .oneshot(req)
            .await
            .unwrap();
        let status = resp.status();
        let ctype = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body: Value = serde_json::from_slice(
            &axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap(),
        )
        .unwrap_or_else(|e| panic!("{method} {uri}: not JSON ({ctype}): {e}"));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {uri}: {body}");
        assert_eq!(ctype, "application/json", "{method} {uri}");
        assert_eq!(body["code"], "bad_request", "{method} {uri}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("invalid ") || message.starts_with("after must be at most"),
            "{method} {uri}: {body}"
        );
    }
}

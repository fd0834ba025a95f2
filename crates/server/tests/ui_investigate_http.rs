//! The investigations page and the evidence download at the HTTP door, in process: bad form input
//! is a 400 page with the message beside its field (and audited), never a panic; the export
//! form's bad input is a clear 400; a role without `export_evidence` is refused by the service.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use sha2::{Digest, Sha256};
use sightline_server::admin::{CreateAgency, CreateUser};
use sightline_server::{Caller, Node, NodeConfig};
use std::sync::Arc;
use tower::ServiceExt;

async fn send(
    node: &Arc<Node>,
    method: &str,
    path: &str,
    session: &str,
    form: Option<String>,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", format!("sl_session={session}"));
    if form.is_some() {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    let resp = sightline_server::router(node.clone())
        .oneshot(req.body(Body::from(form.unwrap_or_default())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 4 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The CSRF token the web UI derives from a session (as `web::csrf_for` does).
fn csrf(session: &str) -> String {
    hex::encode(&Sha256::digest(format!("sightline-csrf:{session}").as_bytes())[..16])
}

#[tokio::test]
async fn test_investigate_form_errors_and_export_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig::for_data_dir(dir.path().to_owned());
    config.policy.retention_interval_s = 0;
    config.policy.checkpoint_interval_s = 0;
    let node = Arc::new(Node::open(config).unwrap());
    node.create_agency(
        &Caller::System,
        &CreateAgency {
            id: "oak-park-pd".into(),
            name: "Oak Park PD".into(),
            kind: "municipal".into(),
            jurisdiction: "US-IL".into(),
        },
    )
    .unwrap();
    let mut sessions = Vec::new();
    for (username, role) in [("officer", "officer"), ("auditor", "auditor")] {
        node.create_user(
            &Caller::System,
            &CreateUser {
                agency: Some("oak-park-pd".into()),
                username: username.into(),
                display_name: username.into(),
                role: role.into(),
                password: "a-long-password-1".into(),
                must_change_password: false,
            },
        )
        .unwrap();
        let user = node.store.user_by_username(username).unwrap().unwrap();
        sessions.push(node.issue_token(&user, "web").unwrap().token);
    }
    let (officer, auditor) = (&sessions[0], &sessions[1]);

    // The page, with the link in the navigation for those who may search.
    let (st, body) = send(&node, "GET", "/ui/investigate?mode=multi", officer, None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(body.contains("id=\"pick-map\"") || body.contains("No fixed cameras yet"));
    assert!(body.contains("nav-investigate"), "navigation link");
    let (_, body) = send(&node, "GET", "/ui/search", auditor, None).await;
    assert!(
        !body.contains("nav-investigate"),
        "auditors run no searches"
    );

    // A time that is no time: 400, the message beside the field, the refusal audited.
    let form = format!(
        "csrf={}&mode=convoy&purpose=homicide&case_number=26-1&c_plate=HMC+5521&c_from=yesterday&c_to=2026-01-01T00%3A00",
        csrf(officer)
    );
    let (st, body) = send(&node, "POST", "/ui/investigate", officer, Some(form)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains(
            "id=\"c_from-error\" role=\"alert\">from must be a date and time, YYYY-MM-DDTHH:MM"
        ),
        "{body}"
    );
    assert!(body.contains("Audit entry"), "{body}");

    // The service's warrant check, beside the court field.
    let form = format!(
        "csrf={}&mode=convoy&purpose=homicide&case_number=26-1&c_plate=HMC+5521&c_from=2026-01-01T00%3A00&c_to=2026-01-02T00%3A00&w_court=X&w_reference=2026-SW-1&w_issued=2026-01-01&w_expires=2026-02-01",
        csrf(officer)
    );
    let (st, body) = send(&node, "POST", "/ui/investigate", officer, Some(form)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains(
            "id=\"w_court-error\" role=\"alert\">warrant.court must be 3 to 200 characters"
        ),
        "{body}"
    );
    // Only that field carries a message (and the alert above the form).
    assert_eq!(body.matches("role=\"alert\"").count(), 2, "{body}");

    // Without the form's CSRF token: refused.
    let (st, _) = send(
        &node,
        "POST",
        "/ui/investigate",
        officer,
        Some("mode=convoy".into()),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // The export form: a search number that is no number, a search that is not yours, a role
    // without `export_evidence` — each a page with the reason, none a download.
    for (session, seq, status, words) in [
        (
            officer,
            "abc",
            StatusCode::BAD_REQUEST,
            "search_seq must be",
        ),
        (officer, "999999", StatusCode::NOT_FOUND, ""),
        (auditor, "1", StatusCode::FORBIDDEN, "export_evidence"),
    ] {
        let form = format!("csrf={}&search_seq={seq}", csrf(session));
        let (st, body) = send(&node, "POST", "/ui/evidence", session, Some(form)).await;
        assert_eq!(st, status, "{seq}: {body}");
        assert!(
            body.contains("export-error") && body.contains(words),
            "{body}"
        );
    }
}

//! The idle time-out at the HTTP door, with a hand-moved clock: the API answers 401 with the
//! reason, the web UI sends the browser back to its sign-in page (both through one check).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use sightline_server::admin::{CreateAgency, CreateUser};
use sightline_server::{Caller, Node, NodeConfig};
use sightline_store::SecuritySettings;
use sightline_types::ManualClock;
use std::sync::Arc;
use tower::ServiceExt;

async fn get(node: &Arc<Node>, path: &str, header: (&str, String)) -> (StatusCode, String, String) {
    let resp = sightline_server::router(node.clone())
        .oneshot(
            Request::builder()
                .uri(path)
                .header(header.0, header.1)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn test_idle_sessions_end_at_the_api_and_in_the_web_ui() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
    ));
    let mut config = NodeConfig::for_data_dir(dir.path().to_owned());
    config.policy.retention_interval_s = 0;
    config.policy.checkpoint_interval_s = 0;
    let node = Arc::new(Node::open_with_clock(config, clock.clone()).unwrap());
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
    node.create_user(
        &Caller::System,
        &CreateUser {
            agency: Some("oak-park-pd".into()),
            username: "officer".into(),
            display_name: "Officer".into(),
            role: "officer".into(),
            password: "a-long-password-1".into(),
            must_change_password: false,
        },
    )
    .unwrap();
    node.set_security_settings(
        &Caller::System,
        Some("oak-park-pd"),
        SecuritySettings {
            mfa_roles: vec![],
            idle_minutes: 1,
            absolute_hours: 0,
        },
    )
    .unwrap();
    let user = node.store.user_by_username("officer").unwrap().unwrap();
    let api = node.issue_token(&user, "api").unwrap().token;
    let web = node.issue_token(&user, "web").unwrap().token;
    let bearer = || ("authorization", format!("Bearer {api}"));
    let cookie = || ("cookie", format!("sl_session={web}"));

    let (status, _, _) = get(&node, "/api/v1/me", bearer()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&node, "/ui/search", cookie()).await;
    assert_eq!(status, StatusCode::OK);

    clock.advance(chrono::Duration::minutes(2));
    let (status, _, body) = get(&node, "/api/v1/me", bearer()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body.contains("session idle for more than 1 minutes; sign in again"),
        "{body}"
    );
    let (status, location, _) = get(&node, "/ui/search", cookie()).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(location, "/ui/login");
    let (status, _, body) = get(&node, "/api/v1/me", bearer()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("unknown, revoked or expired"), "{body}");
}

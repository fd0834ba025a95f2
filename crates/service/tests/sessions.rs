//! Session limits, in-process with a hand-moved clock: an agency's idle time-out ends a token
//! (audited once), and turning on a second-factor requirement ends the sessions of the accounts
//! that must now use one but have not enrolled.

use sightline_audit::{Action, EntryFilter};
use sightline_service::admin::{CreateAgency, CreateUser};
use sightline_service::secrets::hash_secret;
use sightline_service::{Caller, Node, NodeConfig};
use sightline_store::{MfaRecord, SecuritySettings};
use sightline_types::{Clock, ErrorCode, ManualClock, Role};
use std::sync::Arc;

fn node(dir: &std::path::Path, clock: Arc<ManualClock>) -> Node {
    let mut c = NodeConfig::for_data_dir(dir.to_path_buf());
    c.policy.retention_interval_s = 0;
    c.policy.checkpoint_interval_s = 0;
    let node = Node::open_with_clock(c, clock).unwrap();
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
    node
}

fn user(node: &Node, role: Role) -> Caller {
    let name = format!("{}@oak-park-pd", role.code());
    node.create_user(
        &Caller::System,
        &CreateUser {
            agency: Some("oak-park-pd".into()),
            username: name.clone(),
            display_name: name.clone(),
            role: role.code().into(),
            password: "a-long-password-1".into(),
            must_change_password: false,
        },
    )
    .unwrap();
    let u = node.store.user_by_username(&name).unwrap().unwrap();
    Caller::User(sightline_search::Principal {
        agency: node.store.agency(&u.agency).unwrap(),
        user: u,
    })
}

fn token(node: &Node, who: &Caller) -> String {
    hash_secret(
        &node
            .issue_token(&who.principal().unwrap().user, "t")
            .unwrap()
            .token,
    )
}

fn entries(node: &Node, action: Action) -> Vec<sightline_audit::AuditEntry> {
    node.audit
        .entries(&EntryFilter {
            agency: None,
            action: Some(action.code().into()),
            after_seq: 0,
            limit: 10_000,
        })
        .unwrap()
}

fn settings(mfa_roles: Vec<Role>, idle_minutes: u32) -> SecuritySettings {
    SecuritySettings {
        mfa_roles,
        idle_minutes,
        absolute_hours: 0,
    }
}

#[test]
fn test_an_idle_session_ends_once_audited_and_use_keeps_it_alive() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
    ));
    let node = node(dir.path(), clock.clone());
    let admin = user(&node, Role::Admin);
    let officer = user(&node, Role::Officer);
    node.set_security_settings(&admin, None, settings(vec![], 15))
        .unwrap();
    let hash = token(&node, &officer);
    let issued = node.store.token_last_use(&hash).unwrap().unwrap();

    // Used within the limit, the session lives on; each use moves its idle clock.
    for _ in 0..3 {
        clock.advance(chrono::Duration::minutes(10));
        assert!(node.authenticate(&hash).unwrap().is_some());
    }
    let used = node.store.token_last_use(&hash).unwrap().unwrap();
    assert_eq!(used, clock.now(), "a use after a minute is recorded");
    // Within a minute of the last record, a use does not write again.
    clock.advance(chrono::Duration::seconds(30));
    assert!(node.authenticate(&hash).unwrap().is_some());
    assert_eq!(node.store.token_last_use(&hash).unwrap().unwrap(), used);
    assert!(used > issued);

    // Sixteen minutes without a request: ended, with a clear message, audited once.
    clock.advance(chrono::Duration::minutes(16));
    let Err(sightline_service::Error::Refused { code, message, .. }) = node.authenticate(&hash)
    else {
        panic!("an idle session is refused");
    };
    assert_eq!(code, ErrorCode::Unauthenticated);
    assert_eq!(
        message,
        "session idle for more than 15 minutes; sign in again"
    );
    assert!(
        node.authenticate(&hash).unwrap().is_none(),
        "the token is gone"
    );
    let expired = entries(&node, Action::SessionExpired);
    assert_eq!(expired.len(), 1, "audited once");
    assert_eq!(expired[0].actor.name, "officer@oak-park-pd");
    assert_eq!(expired[0].details["idle_minutes"], 15);
    assert_eq!(expired[0].details["token_hash"], "(not logged)");

    // Without an idle limit a token lives until it expires.
    node.set_security_settings(&admin, None, settings(vec![], 0))
        .unwrap();
    let hash = token(&node, &officer);
    clock.advance(chrono::Duration::hours(5));
    assert!(node.authenticate(&hash).unwrap().is_some());
}

#[test]
fn test_requiring_mfa_ends_the_sessions_of_accounts_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
    ));
    let node = node(dir.path(), clock.clone());
    let admin = user(&node, Role::Admin);
    let officer = user(&node, Role::Officer);
    let supervisor = user(&node, Role::Supervisor);
    node.set_security_settings(&admin, None, settings(vec![], 0))
        .unwrap();
    let officer_tokens = [token(&node, &officer), token(&node, &officer)];
    let supervisor_token = token(&node, &supervisor);
    let admin_token = token(&node, &admin);
    // The supervisor has a confirmed second factor.
    node.store
        .put_mfa(
            &MfaRecord {
                user_id: supervisor.principal().unwrap().user.id,
                secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into(),
                confirmed: true,
                last_step: 0,
                recovery: vec![],
            },
            clock.now(),
        )
        .unwrap();

    node.set_security_settings(
        &admin,
        None,
        settings(vec![Role::Officer, Role::Supervisor], 0),
    )
    .unwrap();
    for t in &officer_tokens {
        assert!(
            node.authenticate(t).unwrap().is_none(),
            "the officer has no second factor: signed out"
        );
    }
    assert!(
        node.authenticate(&supervisor_token).unwrap().is_some(),
        "enrolled: kept"
    );
    assert!(
        node.authenticate(&admin_token).unwrap().is_some(),
        "role not required: kept"
    );
    let set = entries(&node, Action::SecuritySettings);
    let last = &set.last().unwrap().details;
    assert_eq!(
        last["mfa_sign_out"],
        serde_json::json!([officer.principal().unwrap().user.id.0])
    );
    assert_eq!(last["sessions_ended"], 2);

    // Setting it again (nothing newly required) ends nothing.
    let again = token(&node, &officer);
    node.set_security_settings(
        &admin,
        None,
        settings(vec![Role::Officer, Role::Supervisor], 0),
    )
    .unwrap();
    assert!(node.authenticate(&again).unwrap().is_some());
    let set = entries(&node, Action::SecuritySettings);
    assert_eq!(set.last().unwrap().details["sessions_ended"], 0);
}

#[test]
fn test_a_user_removes_a_passkey_but_not_the_last_required_factor() {
    use base64::Engine as _;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
    ));
    let node = node(dir.path(), clock.clone());
    let admin = user(&node, Role::Admin);
    let officer = user(&node, Role::Officer);
    let other = user(&node, Role::Supervisor);
    node.set_security_settings(&admin, None, settings(vec![Role::Officer], 0))
        .unwrap();
    let id = officer.principal().unwrap().user.id;
    // Two keys as a finished registration stores them (the ceremony itself is tested end to end
    // in the CLI's passkey test).
    for (cred, label) in [(b"key-one".as_slice(), "desk key"), (b"key-two", "phone")] {
        assert!(
            node.store
                .put_passkey(&sightline_store::PasskeyRecord {
                    user_id: id,
                    credential_id: cred.to_vec(),
                    user_handle: b"handle".to_vec(),
                    transports: vec![],
                    static_state: vec![],
                    dynamic_state: vec![],
                    label: label.into(),
                    registered: clock.now(),
                    used: None,
                })
                .unwrap()
        );
    }
    // Not the caller's key, or not a key at all: 404, nothing removed, nothing audited.
    for (who, cred) in [
        (&other, b64(b"key-one")),
        (&officer, b64(b"no-such-key")),
        (&officer, "%%%".to_owned()),
    ] {
        let e = node.passkey_remove(who, &cred).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound, "{e}");
    }
    assert!(entries(&node, Action::PasskeyRemove).is_empty());
    // One of two: removed once its entry is durable.
    let seq = node.passkey_remove(&officer, &b64(b"key-one")).unwrap();
    let removed = entries(&node, Action::PasskeyRemove);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].seq, seq);
    let left = node.passkeys(&officer).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].label, "phone");
    // The last one, while the agency requires a second factor of officers and no authenticator
    // app is enrolled: refused.
    let e = node.passkey_remove(&officer, &b64(b"key-two")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict, "{e}");
    assert_eq!(node.passkeys(&officer).unwrap().len(), 1);
    // With a confirmed authenticator app it may go.
    node.store
        .put_mfa(
            &MfaRecord {
                user_id: id,
                secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into(),
                confirmed: true,
                last_step: 0,
                recovery: vec![],
            },
            clock.now(),
        )
        .unwrap();
    node.passkey_remove(&officer, &b64(b"key-two")).unwrap();
    assert!(node.passkeys(&officer).unwrap().is_empty());
    assert_eq!(entries(&node, Action::PasskeyRemove).len(), 2);
}

//! The service layer's promises, in-process: no effect without its audit entry (fault injected,
//! and a crash between the entry and the effect replayed at start-up); hot lists run on another
//! owner's cameras only where that owner agreed and its law allows, decided per list and owner,
//! audited once; revocation takes effect at once.

use serde_json::json;
use sightline_audit::{Action, EntryDraft, EntryFilter};
use sightline_hotlist::Category;
use sightline_service::admin::{CreateAgency, CreateAgreement, CreateCamera, CreateUser};
use sightline_service::changes::{Change, UserSpec};
use sightline_service::{Caller, Node, NodeConfig};
use sightline_store::{AgreementScope, Grantee, IdTable, PendingChange};
use sightline_types::{AgencyId, ErrorCode, Role};
use std::sync::Arc;
use std::sync::atomic::Ordering;

fn config(dir: &std::path::Path) -> NodeConfig {
    let mut c = NodeConfig::for_data_dir(dir.to_path_buf());
    c.policy.retention_interval_s = 0;
    c.policy.checkpoint_interval_s = 0;
    c
}

fn agency(node: &Node, id: &str, kind: &str, j: &str) {
    node.create_agency(
        &Caller::System,
        &CreateAgency {
            id: id.into(),
            name: id.into(),
            kind: kind.into(),
            jurisdiction: j.into(),
        },
    )
    .unwrap();
}

fn user(node: &Node, agency: &str, role: Role) -> Caller {
    let name = format!("{}@{agency}", role.code());
    node.create_user(
        &Caller::System,
        &CreateUser {
            agency: Some(agency.into()),
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

#[test]
fn test_no_change_takes_effect_when_its_audit_entry_fails() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(config(dir.path())).unwrap();
    agency(&node, "oak-park-pd", "municipal", "US-IL");
    let admin = user(&node, "oak-park-pd", Role::Admin);
    let before = node.audit.len();
    node.fault_audit.store(true, Ordering::Relaxed);
    let e = node
        .create_user(
            &admin,
            &CreateUser {
                agency: None,
                username: "ghost".into(),
                display_name: "g".into(),
                role: "admin".into(),
                password: "a-long-password-1".into(),
                must_change_password: false,
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unavailable);
    assert!(
        node.store.user_by_username("ghost").unwrap().is_none(),
        "no user without its entry"
    );
    let policy =
        "@id(\"x.no\") @citation(\"c\") @explanation(\"e\")\nforbid (principal, action, resource);";
    assert_eq!(
        node.set_agency_policy(&admin, policy).unwrap_err().code(),
        ErrorCode::Unavailable
    );
    assert!(
        node.store.agency_policies().unwrap().is_empty(),
        "no policy without its entry"
    );
    assert!(
        node.store.pending_changes().unwrap().is_empty(),
        "nothing left pending"
    );
    assert_eq!(node.audit.len(), before);
    node.fault_audit.store(false, Ordering::Relaxed);
    node.set_agency_policy(&admin, policy).unwrap();
    assert_eq!(node.store.agency_policies().unwrap().len(), 1);
}

#[test]
fn test_an_audited_change_interrupted_by_a_crash_is_applied_at_start_and_an_unaudited_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    {
        let node = Node::open(config(dir.path())).unwrap();
        agency(&node, "oak-park-pd", "municipal", "US-IL");
        // What commit() leaves behind when the process dies after the audit entry: the pending
        // change and its entry, no effect.
        for (username, audited) in [("audited", true), ("never-audited", false)] {
            let change = Change::UserCreate {
                user: UserSpec {
                    id: node.store.next_id(IdTable::Users).unwrap() + i64::from(!audited),
                    agency: AgencyId::parse("oak-park-pd").unwrap(),
                    username: username.into(),
                    display_name: "x".into(),
                    role: Role::Officer,
                    password_hash: "$argon2id$x".into(),
                    node_operator: false,
                    must_change_password: false,
                },
            };
            let change_id = format!("chg_{username}");
            node.store
                .put_pending(
                    &PendingChange {
                        change_id: change_id.clone(),
                        audit_len: node.audit.len(),
                        change: serde_json::to_string(&change).unwrap(),
                    },
                    chrono::Utc::now(),
                )
                .unwrap();
            if audited {
                let mut details = change.audit_details();
                details["change_id"] = json!(change_id);
                assert_eq!(
                    details["user"]["password_hash"], "(not logged)",
                    "no secret in the log"
                );
                node.audit
                    .append(EntryDraft::new(
                        Caller::System.actor(),
                        change.action(),
                        "ok",
                        change.owners(),
                        details,
                    ))
                    .unwrap();
            }
        }
        assert!(node.store.user_by_username("audited").unwrap().is_none());
    }
    let node = Node::open(config(dir.path())).unwrap();
    assert!(
        node.store.user_by_username("audited").unwrap().is_some(),
        "replayed from its audit entry"
    );
    assert!(
        node.store
            .user_by_username("never-audited")
            .unwrap()
            .is_none(),
        "discarded: never audited"
    );
    assert!(node.store.pending_changes().unwrap().is_empty());
    assert!(node.audit.verify().unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_hot_lists_on_another_owners_cameras_need_its_agreement_and_law() {
    let dir = tempfile::tempdir().unwrap();
    let node = Arc::new(Node::open(config(dir.path())).unwrap());
    agency(&node, "oak-park-pd", "municipal", "US-IL");
    agency(&node, "harris-county-so", "sheriff", "US-TX");
    agency(&node, "ice-ero-chicago", "federal", "US");
    let oak_admin = user(&node, "oak-park-pd", Role::Admin);
    let cam = node
        .create_camera(
            &oak_admin,
            &CreateCamera {
                agency: None,
                name: "c".into(),
                lat: 41.88,
                lon: -87.8,
                bearing: None,
                mobile: false,
                hit_only: false,
                check_purposes: vec![],
            },
        )
        .unwrap()
        .camera;
    let ice = user(&node, "ice-ero-chicago", Role::Supervisor);
    let harris = user(&node, "harris-county-so", Role::Supervisor);
    let entry = |plate: &str, reason: &str| sightline_hotlist::HotEntry {
        id: 0,
        list_id: 0,
        plate: plate.into(),
        region: None,
        reason: reason.into(),
        legal_basis: None,
        added_by: String::new(),
        added_at: chrono::Utc::now(),
        expires_at: None,
    };
    // A "custom" list whose name says what it is for, shared "with" Oak Park.
    let ice_list = node
        .create_hotlist(
            &ice,
            "ERO removal targets",
            Category::Custom,
            "custom",
            &[AgencyId::parse("oak-park-pd").unwrap()],
        )
        .unwrap()
        .item;
    node.put_hotlist_entries(
        &ice,
        ice_list.id,
        vec![entry("ICE123", "detainer I-247A")],
        sightline_hotlist::ImportMode::Merge,
    )
    .unwrap();
    let tx_list = node
        .create_hotlist(
            &harris,
            "Stolen",
            Category::StolenVehicle,
            "custom",
            &[AgencyId::parse("oak-park-pd").unwrap()],
        )
        .unwrap()
        .item;
    node.put_hotlist_entries(
        &harris,
        tx_list.id,
        vec![entry("TX999", "stolen, report 26-1")],
        sightline_hotlist::ImportMode::Merge,
    )
    .unwrap();
    let now = chrono::Utc::now();
    let matches = |plate: &str| {
        node.hotlists
            .match_plate(cam.id.0, &cam.owner, plate, now)
            .len()
    };
    assert_eq!(
        matches("ICE123"),
        0,
        "sharing alone runs nothing on Oak Park's cameras"
    );
    assert_eq!(
        matches("TX999"),
        0,
        "sharing alone runs nothing on Oak Park's cameras"
    );
    // Oak Park agrees to run lists for follow-ups and stolen vehicles nationally...
    let agreement = node
        .create_agreement(
            &oak_admin,
            &CreateAgreement {
                owner: None,
                grantee: Grantee::National,
                purposes: vec!["stolen_vehicle".into(), "hotlist_followup".into()],
                expires_at: None,
                scope: AgreementScope::HotlistMatching,
            },
        )
        .unwrap()
        .item;
    let why = || {
        format!(
            "{:?}",
            entries(&node, Action::HotlistGrant)
                .iter()
                .map(|e| e.details.clone())
                .collect::<Vec<_>>()
        )
    };
    assert_eq!(
        matches("TX999"),
        0,
        "Illinois law: no out-of-state list without a 2-130(c) declaration: {}",
        why()
    );
    node.create_declaration(
        &Caller::System,
        &sightline_service::admin::CreateDeclaration {
            agency: Some("harris-county-so".into()),
            jurisdiction: "US-IL".into(),
            statement: "We will not use Illinois ALPR data for immigration enforcement.".into(),
            signed_by: "Sheriff".into(),
        },
    )
    .unwrap();
    assert_eq!(
        matches("TX999"),
        1,
        "agreed and lawful: the Texas stolen-vehicle list runs: {}",
        why()
    );
    assert_eq!(
        matches("ICE123"),
        0,
        "Illinois law refuses the immigration list whatever its category says"
    );
    let grants = entries(&node, Action::HotlistGrant);
    let refusal = grants
        .iter()
        .find(|e| e.details["list_id"] == json!(ice_list.id))
        .expect("the refusal is audited");
    assert_eq!(refusal.outcome, "denied");
    assert!(
        refusal.details["citation"]
            .as_str()
            .unwrap()
            .contains("2-130"),
        "{}",
        refusal.details
    );
    // Decided once, not per change elsewhere: another unrelated change adds no second refusal.
    node.create_user(
        &oak_admin,
        &CreateUser {
            agency: None,
            username: "x1".into(),
            display_name: "x".into(),
            role: "officer".into(),
            password: "a-long-password-1".into(),
            must_change_password: false,
        },
    )
    .unwrap();
    node.refresh_hotlist_grants().unwrap();
    assert_eq!(
        entries(&node, Action::HotlistGrant).len(),
        grants.len(),
        "each decision audited once"
    );
    // Ending the agreement stops the Texas list at once (and is audited as a new decision).
    node.end_agreement(&oak_admin, agreement.id).unwrap();
    assert_eq!(matches("TX999"), 0);
    assert!(entries(&node, Action::HotlistGrant).len() > grants.len());
    // Hits are audited before they are stored.
    node.create_agreement(
        &oak_admin,
        &CreateAgreement {
            owner: None,
            grantee: Grantee::National,
            purposes: vec!["stolen_vehicle".into()],
            expires_at: None,
            scope: AgreementScope::HotlistMatching,
        },
    )
    .unwrap();
    node.fault_audit.store(true, Ordering::Relaxed);
    let hit = |plate: &str| sightline_hotlist::Hit {
        id: 0,
        list_id: tx_list.id,
        list_name: "Stolen".into(),
        category: Category::StolenVehicle,
        list_owner: AgencyId::parse("harris-county-so").unwrap(),
        entry_id: 1,
        reason: "r".into(),
        read_seq: 1,
        camera_id: cam.id.0,
        camera_name: "c".into(),
        camera_owner: cam.owner.clone(),
        plate_read: plate.into(),
        plate_listed: plate.into(),
        fuzzy: false,
        check_purposes: None,
        captured_at: now,
        lat: 0.0,
        lon: 0.0,
        created_at: now,
        outcome: None,
        acknowledged_by: None,
        acknowledged_at: None,
    };
    node.record_hits(vec![hit("TX999")]);
    assert!(
        node.hotlists.hits_for(&cam.owner, 10).unwrap().is_empty(),
        "no hit without its audit entry"
    );
    node.fault_audit.store(false, Ordering::Relaxed);
    node.record_hits(vec![hit("TX999")]);
    assert_eq!(
        node.hotlists.hits_for(&cam.owner, 10).unwrap().len(),
        1,
        "the camera owner sees hits on its cameras"
    );
}

#[test]
fn test_revocation_is_immediate_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(config(dir.path())).unwrap();
    agency(&node, "oak-park-pd", "municipal", "US-IL");
    let admin = user(&node, "oak-park-pd", Role::Admin);
    let officer = user(&node, "oak-park-pd", Role::Officer);
    let officer_rec = officer.principal().unwrap().user.clone();
    let token = node.issue_token(&officer_rec, "t").unwrap().token;
    let hash = sightline_service::secrets::hash_secret(&token);
    assert!(
        node.store
            .resolve_token(&hash, chrono::Utc::now())
            .unwrap()
            .is_some()
    );
    node.set_user_disabled(&admin, officer_rec.id.0, true)
        .unwrap();
    assert!(
        node.store
            .resolve_token(&hash, chrono::Utc::now())
            .unwrap()
            .is_none(),
        "a disabled user's token stops at once"
    );
    assert!(
        node.check_password(&officer_rec.username, "a-long-password-1", None)
            .is_err(),
        "and cannot sign in"
    );
    assert_eq!(
        node.set_user_disabled(&admin, admin.principal().unwrap().user.id.0, true)
            .unwrap_err()
            .code(),
        ErrorCode::BadRequest
    );
    let cam = node
        .create_camera(
            &admin,
            &CreateCamera {
                agency: None,
                name: "c".into(),
                lat: 41.88,
                lon: -87.8,
                bearing: None,
                mobile: false,
                hit_only: false,
                check_purposes: vec![],
            },
        )
        .unwrap();
    let key_hash = sightline_service::secrets::hash_secret(&cam.device_key);
    let rotated = node.rotate_camera_key(&admin, cam.camera.id.0).unwrap();
    assert!(
        node.store
            .resolve_token(&key_hash, chrono::Utc::now())
            .unwrap()
            .is_none(),
        "the old key stops"
    );
    let new_hash = sightline_service::secrets::hash_secret(&rotated.device_key);
    assert!(
        node.store
            .resolve_token(&new_hash, chrono::Utc::now())
            .unwrap()
            .is_some()
    );
    node.revoke_camera(&admin, cam.camera.id.0).unwrap();
    assert!(
        node.store
            .resolve_token(&new_hash, chrono::Utc::now())
            .unwrap()
            .is_none(),
        "a revoked camera's key stops"
    );
    for a in [
        Action::UserDisable,
        Action::CameraRotate,
        Action::CameraRevoke,
    ] {
        assert_eq!(entries(&node, a).len(), 1, "{a}");
    }
    // An officer holds none of these permissions.
    assert_eq!(
        node.revoke_camera(&officer, cam.camera.id.0)
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
}

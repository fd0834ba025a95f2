//! Retention with a controllable clock: New Hampshire's three minutes, the 30-day default, legal
//! holds that outlive retention until released, and audit entries for each purge.
#![allow(clippy::disallowed_methods)] // checks the store directly

use chrono::{DateTime, Duration, Utc};
use sightline_audit::EntryFilter;
use sightline_search::Principal;
use sightline_server::admin::{CreateAgency, CreateCamera, CreateUser};
use sightline_server::governance::CreateHold;
use sightline_server::{Node, NodeConfig};
use sightline_types::{Camera, Clock, ManualClock, NewRead};
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn read(id: &str, plate: &str, at: DateTime<Utc>) -> NewRead {
    NewRead {
        id: id.into(),
        camera_id: None,
        captured_at: at,
        plate: plate.into(),
        region: None,
        confidence: None,
        colour: None,
        vehicle_type: None,
        make: None,
        lat: None,
        lon: None,
        crop: None,
    }
}

fn setup(node: &Node, id: &str, j: &str) -> (Camera, Principal) {
    let sys = sightline_server::Caller::System;
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
    let cam = node
        .create_camera(
            &sys,
            &CreateCamera {
                agency: Some(id.into()),
                name: "c".into(),
                lat: 43.2,
                lon: -71.5,
                bearing: None,
                mobile: false,
                hit_only: false,
                check_purposes: Vec::new(),
            },
        )
        .unwrap()
        .camera;
    node.create_user(
        &sys,
        &CreateUser {
            agency: Some(id.into()),
            username: format!("sup@{id}"),
            display_name: "s".into(),
            role: "supervisor".into(),
            password: "a-long-password-1".into(),
            must_change_password: false,
        },
    )
    .unwrap();
    let user = node
        .store
        .user_by_username(&format!("sup@{id}"))
        .unwrap()
        .unwrap();
    let agency = node.store.agency(&user.agency).unwrap();
    (cam, Principal { user, agency })
}

#[test]
fn test_retention_per_owner_with_legal_hold() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let mut config = NodeConfig::for_data_dir(dir.path().to_owned());
    config.policy.retention_interval_s = 0;
    let node = Arc::new(Node::open_with_clock(config, clock.clone()).unwrap());
    let (nh_cam, _) = setup(&node, "concord-pd", "US-NH");
    let (tx_cam, tx_sup) = setup(&node, "harris-so", "US-TX");
    let at = t0() - Duration::minutes(1);
    rt.block_on(node.ingest_reads(&nh_cam, vec![read("nh1", "NH111", at)]))
        .unwrap();
    rt.block_on(node.ingest_reads(
        &tx_cam,
        vec![read("tx1", "TX111", at), read("tx2", "HOLD22", at)],
    ))
    .unwrap();
    let has = |cam: &Camera, id: &str| {
        node.store
            .contains_read(cam.id, id, at.timestamp_micros())
            .unwrap()
    };

    // Two minutes on: nothing is due yet.
    clock.advance(Duration::minutes(1));
    assert!(node.run_retention().unwrap().is_empty());
    assert!(has(&nh_cam, "nh1"));

    // Five minutes on: New Hampshire's non-hit is gone, Texas keeps its reads.
    clock.advance(Duration::minutes(3));
    let r = node.run_retention().unwrap();
    assert_eq!(r.deleted.get("concord-pd"), Some(&1));
    assert!(!has(&nh_cam, "nh1"));
    assert!(has(&tx_cam, "tx1"));

    // A legal hold keeps one Texas plate past the 30-day default.
    let hold = node
        .create_hold(
            &sightline_server::Caller::User(tx_sup.clone()),
            &CreateHold {
                case_number: "26-000777".into(),
                plate: "hold 22".into(),
                from: at - Duration::hours(1),
                to: at + Duration::hours(1),
                reason: "robbery case".into(),
            },
        )
        .unwrap();
    clock.advance(Duration::days(31));
    let r = node.run_retention().unwrap();
    assert_eq!(r.deleted.get("harris-so"), Some(&1));
    assert!(!has(&tx_cam, "tx1"));
    assert!(has(&tx_cam, "tx2"), "held read must survive retention");

    // Released, it goes at the next run, and the now-empty partition is dropped.
    node.release_hold(
        &sightline_server::Caller::User(tx_sup.clone()),
        hold.item.id,
    )
    .unwrap();
    let r = node.run_retention().unwrap();
    assert_eq!(r.deleted.get("harris-so"), Some(&1));
    assert_eq!(r.dropped_partitions.len(), 1);
    assert!(!has(&tx_cam, "tx2"));

    let f = EntryFilter {
        action: Some("retention.purge".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(node.audit.entries(&f).unwrap().len(), 3);
    let f = EntryFilter {
        action: Some("hold.release".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(node.audit.entries(&f).unwrap().len(), 1);
    assert!(clock.now() > t0());
}

fn entries(node: &Node, action: &str) -> Vec<sightline_audit::AuditEntry> {
    node.audit
        .entries(&EntryFilter {
            action: Some(action.into()),
            limit: 100,
            ..Default::default()
        })
        .unwrap()
}

/// One door for retention: the purge's entry (its cutoffs) is durable before any read goes. With
/// the audit log down a run deletes nothing and leaves nothing pending; once it is back the run
/// announces, deletes, then records its counts under the announcing entry's number.
#[test]
fn test_retention_deletes_nothing_without_its_audit_entry() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let mut config = NodeConfig::for_data_dir(dir.path().to_owned());
    config.policy.retention_interval_s = 0;
    let node = Arc::new(Node::open_with_clock(config, clock.clone()).unwrap());
    let (nh_cam, _) = setup(&node, "concord-pd", "US-NH");
    let at = t0() - Duration::minutes(1);
    rt.block_on(node.ingest_reads(&nh_cam, vec![read("nh1", "NH111", at)]))
        .unwrap();
    let has = || {
        node.store
            .contains_read(nh_cam.id, "nh1", at.timestamp_micros())
            .unwrap()
    };
    clock.advance(Duration::minutes(10));

    node.fault_audit
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let e = node.run_retention().unwrap_err();
    assert_eq!(e.code(), sightline_types::ErrorCode::Unavailable);
    assert!(has(), "no read deleted without the purge's entry");
    assert!(node.store.pending_changes().unwrap().is_empty());
    assert!(entries(&node, "retention.purge").is_empty());

    node.fault_audit
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let r = node.run_retention().unwrap();
    assert_eq!(r.deleted.get("concord-pd"), Some(&1));
    assert!(!has());
    let purge = entries(&node, "retention.purge");
    let done = entries(&node, "retention.done");
    assert_eq!((purge.len(), done.len()), (1, 1));
    let cutoffs = &purge[0].details["cutoffs"];
    assert_eq!(cutoffs[0]["owner"], "concord-pd");
    assert_eq!(cutoffs[0]["retention_minutes"], 3);
    assert_eq!(purge[0].details["due"][0], "concord-pd");
    assert!(done[0].seq > purge[0].seq);
    assert_eq!(done[0].details["purge_seq"], purge[0].seq);
    assert_eq!(done[0].details["report"]["deleted"]["concord-pd"], 1);
    assert!(node.store.pending_changes().unwrap().is_empty());
    // Nothing due: no entry at all.
    assert!(node.run_retention().unwrap().is_empty());
    assert_eq!(entries(&node, "retention.purge").len(), 1);
}

/// A crash after the purge's entry and before its deletion: the next start deletes what the
/// entry announced (its recorded cutoffs); an unannounced one is discarded and deletes nothing.
#[test]
fn test_retention_interrupted_after_its_entry_is_replayed_at_start() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let config = || {
        let mut c = NodeConfig::for_data_dir(dir.path().to_owned());
        c.policy.retention_interval_s = 0;
        c
    };
    let at = t0() - Duration::minutes(1);
    let (nh_cam, tx_cam) = {
        let node = Node::open_with_clock(config(), clock.clone()).unwrap();
        let (nh_cam, _) = setup(&node, "concord-pd", "US-NH");
        let (tx_cam, _) = setup(&node, "harris-so", "US-TX");
        rt.block_on(node.ingest_reads(&nh_cam, vec![read("nh1", "NH111", at)]))
            .unwrap();
        rt.block_on(node.ingest_reads(&tx_cam, vec![read("tx1", "TX111", at)]))
            .unwrap();
        // What a retention run leaves behind when the process dies after its entry: the pending
        // change and its entry, no deletion. The second was never announced.
        for (owner, audited) in [("concord-pd", true), ("harris-so", false)] {
            let owner = sightline_types::AgencyId::parse(owner).unwrap();
            let change = sightline_service::changes::Change::RetentionPurge {
                at: t0(),
                cutoffs: vec![sightline_server::governance::RetentionCutoff {
                    owner: owner.clone(),
                    retention_minutes: 0,
                    cutoff: t0(),
                }],
                due: vec![owner.clone()],
            };
            let change_id = format!("chg_{owner}");
            node.store
                .put_pending(
                    &sightline_store::PendingChange {
                        change_id: change_id.clone(),
                        audit_len: node.audit.len(),
                        change: serde_json::to_string(&change).unwrap(),
                    },
                    t0(),
                )
                .unwrap();
            if audited {
                let mut details = change.audit_details();
                details["change_id"] = serde_json::json!(change_id);
                node.audit
                    .append(sightline_audit::EntryDraft::new(
                        sightline_server::Caller::System.actor(),
                        change.action(),
                        "ok",
                        change.owners(),
                        details,
                    ))
                    .unwrap();
            }
        }
        assert!(
            node.store
                .contains_read(nh_cam.id, "nh1", at.timestamp_micros())
                .unwrap()
        );
        (nh_cam, tx_cam)
    };
    let node = Node::open_recovered(config(), clock.clone()).unwrap();
    let has = |cam: &Camera, id: &str| {
        node.store
            .contains_read(cam.id, id, at.timestamp_micros())
            .unwrap()
    };
    assert!(!has(&nh_cam, "nh1"), "the announced purge is replayed");
    assert!(has(&tx_cam, "tx1"), "the unannounced one deletes nothing");
    assert!(node.store.pending_changes().unwrap().is_empty());
    assert!(node.audit.verify().unwrap().is_ok());
}

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

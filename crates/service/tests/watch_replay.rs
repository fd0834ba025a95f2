//! The usage watch's start-up replay is bounded by time: searches older than the detectors'
//! longest window are not read, those inside it still raise their findings.

use serde_json::json;
use sightline_audit::{Action, EntryDraft, EntryFilter};
use sightline_service::admin::{CreateAgency, CreateUser};
use sightline_service::findings::WATCH_REPLAY_DAYS;
use sightline_service::{Caller, Node, NodeConfig};
use sightline_types::{ManualClock, Role};
use std::sync::Arc;

fn officer(node: &Node) -> Caller {
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
            role: Role::Officer.code().into(),
            password: "a-long-password-1".into(),
            must_change_password: false,
        },
    )
    .unwrap();
    let u = node.store.user_by_username("officer").unwrap().unwrap();
    Caller::User(sightline_search::Principal {
        agency: node.store.agency(&u.agency).unwrap(),
        user: u,
    })
}

/// Ten searches of one plate an hour apart, each under its own case number (a `stalking`
/// pattern); returns their audit sequence numbers.
fn ten_searches(node: &Node, clock: &ManualClock, who: &Caller, plate: &str) -> Vec<u64> {
    (0..10)
        .map(|i| {
            clock.advance(chrono::Duration::hours(1));
            node.audit
                .append(EntryDraft::new(
                    who.actor(),
                    Action::Search,
                    "ok",
                    vec![],
                    json!({"request": {"case_number": format!("{plate}-{i}"),
                        "query": {"plate": {"exact": plate}}}}),
                ))
                .unwrap()
                .seq
        })
        .collect()
}

#[test]
fn test_start_up_replay_reads_only_the_window_and_still_finds_inside_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
    ));
    let mut c = NodeConfig::for_data_dir(dir.path().to_path_buf());
    c.policy.retention_interval_s = 0;
    c.policy.checkpoint_interval_s = 0;
    let node = Node::open_with_clock(c, clock.clone()).unwrap();
    let who = officer(&node);
    assert_eq!(node.watch_replay_days(), WATCH_REPLAY_DAYS);

    // Forty days ago: outside the replay window (not read at start-up).
    let old = ten_searches(&node, &clock, &who, "OLD111");
    clock.advance(chrono::Duration::days(15));
    // Twenty-five days ago: inside it.
    let inside = ten_searches(&node, &clock, &who, "MID222");
    clock.advance(chrono::Duration::days(25));
    let recent = ten_searches(&node, &clock, &who, "NEW333");
    assert!(old[9] < inside[0] && inside[9] < recent[0]);

    // The first run is the start-up replay.
    assert_eq!(node.run_watch().unwrap(), 2);
    let raised = node
        .audit
        .entries(&EntryFilter {
            agency: None,
            action: Some(Action::FindingRaise.code().into()),
            after_seq: 0,
            limit: 100,
        })
        .unwrap();
    let entries: Vec<Vec<u64>> = raised
        .iter()
        .map(|e| serde_json::from_value(e.details["finding"]["entries"].clone()).unwrap())
        .collect();
    assert_eq!(
        entries,
        vec![inside, recent],
        "the old searches were not replayed"
    );
    assert!(
        raised
            .iter()
            .all(|e| e.details["finding"]["kind"] == "stalking")
    );

    // Without the bound the old searches would have raised one too: a node replaying from the
    // start (its clock back at the first search) finds three.
    let dir2 = tempfile::tempdir().unwrap();
    let clock2 = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
    ));
    let mut c2 = NodeConfig::for_data_dir(dir2.path().to_path_buf());
    c2.policy.retention_interval_s = 0;
    c2.policy.checkpoint_interval_s = 0;
    let node2 = Node::open_with_clock(c2, clock2.clone()).unwrap();
    let who2 = officer(&node2);
    assert_eq!(node2.run_watch().unwrap(), 0);
    ten_searches(&node2, &clock2, &who2, "OLD111");
    clock2.advance(chrono::Duration::days(15));
    ten_searches(&node2, &clock2, &who2, "MID222");
    clock2.advance(chrono::Duration::days(25));
    ten_searches(&node2, &clock2, &who2, "NEW333");
    assert_eq!(
        node2.run_watch().unwrap(),
        3,
        "a running watch sees every search"
    );
}

//! The search path end to end over a real store and audit log: policy per owner, audit first,
//! fail closed.

use chrono::{Duration, Utc};
use sightline_audit::{AuditLog, EntryFilter};
use sightline_policy::PolicyEngine;
use sightline_search::{Error, Principal, Searcher};
use sightline_store::{
    Durability, Grantee, NewCamera, NewUser, ReadRecord, SharingAgreement, Store,
};
use sightline_types::{
    Agency, AgencyId, AgencyKind, Camera, Jurisdiction, OwnerOutcome, PlateQuery, PlateText,
    Purpose, Role, SearchQuery, SearchRequest, SystemClock, TimeWindow,
};
use std::sync::{Arc, RwLock};

struct World {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    store: Arc<Store>,
    audit: Arc<AuditLog>,
    searcher: Searcher,
    officer: Principal,
}

fn agency(id: &str, kind: AgencyKind, j: &str) -> Agency {
    Agency {
        id: AgencyId::parse(id).unwrap(),
        name: id.to_uppercase(),
        kind,
        jurisdiction: Jurisdiction::parse(j).unwrap(),
    }
}

fn camera(store: &Store, owner: &Agency, key: &str) -> Camera {
    let n = NewCamera {
        id: 0,
        owner: owner.id.clone(),
        name: format!("{key} cam"),
        lat: 41.0,
        lon: -87.0,
        bearing: None,
        mobile: false,
        key_hash: key.into(),
    };
    store.create_camera(&n, Utc::now()).unwrap()
}

fn read(cam: &Camera, id: &str, plate: &str) -> ReadRecord {
    let at = Utc::now() - Duration::hours(1);
    ReadRecord {
        camera_id: cam.id,
        client_id: id.into(),
        captured_us: at.timestamp_micros(),
        plate: PlateText::normalise(plate).unwrap(),
        region: None,
        confidence: None,
        colour: Some("red".into()),
        vehicle_type: None,
        make: None,
        lat: None,
        lon: None,
        received_us: at.timestamp_micros(),
        crop: None,
    }
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    let store = Arc::new(Store::open(&dir, Durability::Process).unwrap());
    let clock = Arc::new(SystemClock);
    let audit = Arc::new(AuditLog::open(&dir, clock.clone()).unwrap());
    let il = agency("oak-park-pd", AgencyKind::Municipal, "US-IL");
    let tx = agency("harris-so", AgencyKind::Sheriff, "US-TX");
    store.create_agency(&il).unwrap();
    store.create_agency(&tx).unwrap();
    let c1 = camera(&store, &il, "k1");
    let c2 = camera(&store, &tx, "k2");
    store
        .append_reads_blocking(vec![read(&c1, "a", "ABC123"), read(&c2, "b", "ABC123")])
        .unwrap();
    let user = store
        .create_user(
            &NewUser {
                id: 0,
                must_change_password: false,
                agency: il.id.clone(),
                username: "officer".into(),
                display_name: "O".into(),
                role: Role::Officer,
                password_hash: "x".into(),
                node_operator: false,
            },
            Utc::now(),
        )
        .unwrap();
    let policy = Arc::new(RwLock::new(PolicyEngine::with_base().unwrap()));
    let searcher = Searcher::new(store.clone(), audit.clone(), policy, clock);
    World {
        _dir: tmp,
        dir,
        store,
        audit,
        searcher,
        officer: Principal { user, agency: il },
    }
}

fn request(purpose: Option<&str>) -> SearchRequest {
    let now = Utc::now();
    SearchRequest {
        purpose: purpose.map(str::to_owned),
        case_number: Some("26-1".into()),
        reason: Some("stolen car report".into()),
        on_behalf_of: None,
        query: SearchQuery {
            plate: Some(PlateQuery::Exact("ABC123".into())),
            description: None,
            window: TimeWindow {
                from: now - Duration::days(1),
                to: now,
            },
            cameras: None,
            area: None,
        },
        limit: None,
        with_crops: false,
        follows: None,
    }
}

#[test]
fn test_other_owner_excluded_without_agreement_and_audited() {
    let w = world();
    let r = w
        .searcher
        .search(&w.officer, request(Some("stolen_vehicle")))
        .unwrap();
    assert_eq!(r.results.len(), 1);
    assert_eq!(r.results[0].owner.as_str(), "oak-park-pd");
    let tx = r
        .owners
        .iter()
        .find(|o| o.owner.as_str() == "harris-so")
        .unwrap();
    assert_eq!(tx.outcome, OwnerOutcome::Excluded);
    assert_eq!(tx.rule, "base.default-deny");
    let entries = w
        .audit
        .entries(&EntryFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].outcome, "partial");
    assert_eq!(entries[0].details["result_count"], 1);
    // The excluded owner can see the search that was decided on its data.
    let f = EntryFilter {
        agency: Some(AgencyId::parse("harris-so").unwrap()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(w.audit.entries(&f).unwrap().len(), 1);
}

#[test]
fn test_agreement_for_purpose_includes_owner() {
    let w = world();
    w.store
        .create_agreement(&SharingAgreement {
            id: 0,
            owner: AgencyId::parse("harris-so").unwrap(),
            grantee: Grantee::Jurisdiction(Jurisdiction::parse("US").unwrap()),
            purposes: vec![Purpose::StolenVehicle],
            expires_at: None,
            created_by: "admin".into(),
            created_at: Utc::now(),
            scope: Default::default(),
            ended_at: None,
        })
        .unwrap();
    let r = w
        .searcher
        .search(&w.officer, request(Some("stolen_vehicle")))
        .unwrap();
    assert_eq!(r.results.len(), 2);
    let r = w
        .searcher
        .search(&w.officer, request(Some("fraud")))
        .unwrap();
    assert_eq!(r.results.len(), 1, "agreement does not cover fraud");
}

#[test]
fn test_missing_purpose_refused_and_audited() {
    let w = world();
    let e = w.searcher.search(&w.officer, request(None)).unwrap_err();
    assert!(matches!(e, Error::Invalid { audit_seq: 1, .. }), "{e:?}");
    let entries = w
        .audit
        .entries(&EntryFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(entries[0].outcome, "refused");
}

#[test]
fn test_search_fails_closed_when_audit_cannot_append() {
    let w = world();
    let c = rusqlite::Connection::open(w.dir.join("audit.db")).unwrap();
    c.execute_batch("DROP TABLE entries").unwrap();
    drop(c);
    let e = w
        .searcher
        .search(&w.officer, request(Some("stolen_vehicle")))
        .unwrap_err();
    assert!(matches!(e, Error::AuditUnavailable(_)), "{e:?}");
}

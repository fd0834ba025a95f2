//! `kill -9` at random moments while the node ingests, searches, makes admin changes and runs
//! retention, several rounds on one data directory. After every restart: the audit log
//! verifies, no user exists without its audit entry, every answered search has its entry; at the
//! end every acknowledged read is in the store. The seed is printed (`SIGHTLINE_CRASH_SEED`
//! replays it).

mod support;

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::crash::{self, Acked};
use support::{ADMIN_PASSWORD, Server, try_call};

const ROUNDS: usize = 6;
/// Retention and checkpoints every second, so both run during the kills.
const JOBS: &str = "[policy]\nretention_interval_s = 1\ncheckpoint_interval_s = 1\n[security]\npublic_mfa_roles = []\n";

/// Checks made after each restart; returns the number of users made by the admin worker.
fn check(s: &Server, op: &str, searches: &[u64], round: usize) -> usize {
    crash::assert_audit_verifies(s, op);
    let (users, unaudited) = crash::users_and_unaudited(s, op, "kill-");
    assert!(
        unaudited.is_empty(),
        "users exist without their audit entry after round {round}: {unaudited:?}"
    );
    for seq in searches {
        assert!(
            crash::has_entry(s, op, *seq, "search"),
            "a search answered with audit entry {seq} has no such entry after round {round}"
        );
    }
    users.len()
}

#[test]
fn test_random_kill_9_loses_no_acknowledged_read_and_no_audit_entry() {
    let seed: u64 = std::env::var("SIGHTLINE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_micros() as u64);
    eprintln!("crash test seed {seed} (replay: SIGHTLINE_CRASH_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("node");

    let s = Server::start_with(&data, "127.0.0.1:0", JOBS);
    let op = s.login("operator", ADMIN_PASSWORD);
    let (camera, key) = crash::camera(&s, &op, "cam");
    let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"username": "searcher",
        "display_name": "s", "role": "officer", "password": "a-long-password-1", "must_change_password": false})));
    assert_eq!(st, 201, "{v}");
    drop(s);

    let acked: Arc<Mutex<Acked>> = Arc::default();
    let searches: Arc<Mutex<Vec<u64>>> = Arc::default();
    let mut users = 0;
    let mut points = Vec::new();
    for round in 0..ROUNDS {
        let mut s = Server::start_with(&data, "127.0.0.1:0", JOBS);
        let op = s.login("operator", ADMIN_PASSWORD);
        let officer = s.login("searcher", "a-long-password-1");
        let now_users = check(&s, &op, &searches.lock().unwrap(), round);
        assert!(now_users >= users, "acknowledged users are still there");
        users = now_users;

        let stop = Arc::new(AtomicBool::new(false));
        let mut workers: Vec<_> = (0..2)
            .map(|w| {
                crash::ingest_worker(
                    &s.url,
                    &key,
                    format!("r{round}w{w}"),
                    50,
                    acked.clone(),
                    stop.clone(),
                )
            })
            .collect();
        workers.push(crash::admin_worker(&s.url, &op, format!("kill-{round}-")));
        {
            let (url, stop, searches) = (s.url.clone(), stop.clone(), searches.clone());
            workers.push(std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let now = Utc::now();
                    let body = json!({"purpose": "stolen_vehicle", "case_number": "26-000015",
                        "reason": "crash test", "query": {"plate": {"exact": "K400"}, "window": {
                        "from": (now - chrono::Duration::hours(1)).to_rfc3339(), "to": now.to_rfc3339()}}});
                    match try_call(&url, "POST", "/api/v1/searches", Some(&officer), Some(body)) {
                        Ok((200, v)) => searches.lock().unwrap().push(v["audit_seq"].as_u64().unwrap()),
                        _ => break,
                    }
                }
            }));
        }
        let at = rng.gen_range(300..2500);
        let before = (acked.lock().unwrap().len(), searches.lock().unwrap().len());
        let t = Instant::now();
        std::thread::sleep(Duration::from_millis(at));
        s.kill();
        let killed_after = t.elapsed();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            let _ = w.join();
        }
        let point = format!(
            "round {round}: kill -9 after {} ms with {} reads and {} searches acknowledged in the round",
            killed_after.as_millis(),
            acked.lock().unwrap().len() - before.0,
            searches.lock().unwrap().len() - before.1
        );
        eprintln!("{point}");
        points.push(point);
    }

    // The last restart's checks, then the store itself.
    let s = Server::start_with(&data, "127.0.0.1:0", JOBS);
    let op = s.login("operator", ADMIN_PASSWORD);
    users = check(&s, &op, &searches.lock().unwrap(), ROUNDS);
    drop(s);
    let acked = acked.lock().unwrap().clone();
    let missing = crash::missing_reads(&data, camera, &acked);
    eprintln!(
        "crash points tried: {}; acknowledged reads {}, lost {}; searches answered {}, without entry 0; users created {}, without entry 0",
        points.len(),
        acked.len(),
        missing.len(),
        searches.lock().unwrap().len(),
        users
    );
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged reads lost (seed {seed}): {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(
        acked.len() >= 1000,
        "the rounds acknowledged too few reads: {}",
        acked.len()
    );
    assert!(
        !searches.lock().unwrap().is_empty(),
        "searches were answered"
    );
    assert!(users > 0, "admin changes were made");
}

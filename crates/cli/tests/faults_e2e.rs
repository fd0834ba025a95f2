//! Faults of the disk under a real server: the data directory fills up (a small tmpfs mounted by
//! the test: real `ENOSPC`), and another process holds SQLite's write lock on `store.db` and
//! `audit.db`. The node answers a clear 503, loses nothing it acknowledged, keeps its audit log
//! verifiable, and recovers by itself when the disk or the lock is free again.

mod support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use support::crash::{self, Acked};
use support::{ADMIN_PASSWORD, Server, call, raw_post};

/// A tmpfs mounted for the test's lifetime (lazily unmounted on drop, even after a panic).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        let uid = std::process::Command::new("id").arg("-u").output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&uid.stdout).trim(),
            "0",
            "the disk-full test mounts a small tmpfs and so must run as root (CI does); run `cargo test` as root"
        );
        std::fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "sightline-fault",
            ])
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cannot mount a tmpfs for the disk-full test (needs CAP_SYS_ADMIN): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(dir.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// Writes `path` until the file system refuses: then it is full.
fn fill(path: &Path) -> u64 {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let mut written = 0u64;
    for chunk in [1 << 20, 4096, 512] {
        let buf = vec![0u8; chunk];
        while f.write_all(&buf).is_ok() {
            written += chunk as u64;
        }
    }
    let _ = f.sync_all();
    written
}

/// Posts a batch of `n` reads; the status, the answer, and whether it was acknowledged in full
/// (then its reads go into `acked`).
fn ingest(url: &str, key: &str, prefix: &str, n: usize, acked: &Mutex<Acked>) -> (u16, Value) {
    let (body, at) = crash::batch(prefix, n);
    let (st, v) = raw_post(url, "/api/v1/reads", key, &body.to_string());
    if st == 200 && v["accepted"].as_u64() == Some(n as u64) {
        acked
            .lock()
            .unwrap()
            .extend((0..n).map(|i| (format!("{prefix}-{i}"), at)));
    }
    (st, v)
}

#[test]
fn test_disk_full_answers_503_loses_nothing_and_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = Tmpfs::mount(&tmp.path().join("mnt"), "32m");
    let data = mnt.0.join("node");
    let mut s = Server::start(&data);
    let op = s.login("operator", ADMIN_PASSWORD);
    let (camera, key) = crash::camera(&s, &op, "cam");
    let acked = Mutex::new(Acked::new());
    for b in 0..10 {
        let (st, v) = ingest(&s.url, &key, &format!("before-{b}"), 100, &acked);
        assert_eq!(st, 200, "{v}");
    }

    // Fill the file system, then keep sending until the store needs a page it cannot get.
    let filler = mnt.0.join("filler");
    let filled = fill(&filler);
    let mut refusal = None;
    for b in 0..500 {
        let (st, v) = ingest(&s.url, &key, &format!("full-{b}"), 100, &acked);
        match st {
            200 => continue,
            503 => {
                refusal = Some(v);
                break;
            }
            other => panic!("a full disk must answer 503, not {other}: {v}"),
        }
    }
    let refusal = refusal.expect("ingest on a full disk was refused within 500 batches");
    eprintln!(
        "disk full after filling {filled} bytes: {}",
        refusal["message"]
    );
    assert!(
        refusal["message"]
            .as_str()
            .is_some_and(|m| m.contains("disk is full") && m.contains("nothing of it was stored")),
        "{refusal}"
    );
    // While full: an admin change is refused with 503 or made with its entry, never a 500.
    let (st, v) = s.call(
        "POST",
        "/api/v1/users",
        Some(&op),
        Some(
            json!({"username": "fault-while-full", "display_name": "f", "role": "officer",
                    "password": "a-long-password-1"}),
        ),
    );
    assert!(st == 201 || st == 503, "{st} {v}");
    // Still full: refused again, and the node is still up.
    let (st, v) = ingest(&s.url, &key, "still-full", 100, &acked);
    assert_eq!(st, 503, "{v}");

    // Space returns: the very next batch is stored, without a restart.
    std::fs::remove_file(&filler).unwrap();
    let (st, v) = ingest(&s.url, &key, "after", 100, &acked);
    assert_eq!(
        (st, v["accepted"].as_u64()),
        (200, Some(100)),
        "the node recovers by itself: {v}"
    );
    let (st, v) = s.call(
        "POST",
        "/api/v1/users",
        Some(&op),
        Some(
            json!({"username": "fault-after-full", "display_name": "f", "role": "officer",
                    "password": "a-long-password-1"}),
        ),
    );
    assert_eq!(st, 201, "{v}");
    crash::assert_audit_verifies(&s, &op);
    let (_, unaudited) = crash::users_and_unaudited(&s, &op, "fault-");
    assert!(unaudited.is_empty(), "{unaudited:?}");

    // Nothing acknowledged was lost, across a restart too.
    s.kill();
    let acked = acked.into_inner().unwrap();
    let missing = crash::missing_reads(&data, camera, &acked);
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged reads lost: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    let s = Server::start(&data);
    let op = s.login("operator", ADMIN_PASSWORD);
    crash::assert_audit_verifies(&s, &op);
}

/// Another process holds SQLite's write lock on `file` in `data` until the returned connection
/// rolls back or is dropped.
fn hold_write_lock(data: &Path, file: &str) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(data.join(file)).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn
}

#[test]
fn test_sqlite_locked_waits_then_answers_503_and_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("node");
    let mut s = Server::start(&data);
    let op = s.login("operator", ADMIN_PASSWORD);
    let (camera, key) = crash::camera(&s, &op, "cam");
    let (st, v) = s.call("POST", "/api/v1/users", Some(&op), Some(json!({"username": "officer1",
        "display_name": "o", "role": "officer", "password": "a-long-password-1", "must_change_password": false})));
    assert_eq!(st, 201, "{v}");
    let officer = s.login("officer1", "a-long-password-1");
    let acked = Mutex::new(Acked::new());
    let (st, v) = ingest(&s.url, &key, "before", 100, &acked);
    assert_eq!(st, 200, "{v}");

    // A short hold: the node waits within its busy timeout and succeeds.
    let lock = hold_write_lock(&data, "store.db");
    std::thread::scope(|sc| {
        let sent = sc.spawn(|| ingest(&s.url, &key, "short-hold", 100, &acked));
        std::thread::sleep(Duration::from_millis(1500));
        lock.execute_batch("ROLLBACK").unwrap();
        let (st, v) = sent.join().unwrap();
        assert_eq!(st, 200, "a short lock is waited out: {v}");
    });

    // A hold past the busy timeout (10 s) on both databases: ingest, search and an admin change
    // answer 503 with a sentence; none is half done.
    let store_lock = hold_write_lock(&data, "store.db");
    let audit_lock = hold_write_lock(&data, "audit.db");
    let (ing, search, admin) = std::thread::scope(|sc| {
        let ing = sc.spawn(|| ingest(&s.url, &key, "long-hold", 100, &acked));
        let search = sc.spawn(|| {
            let now = chrono::Utc::now();
            s.call("POST", "/api/v1/searches", Some(&officer), Some(json!({
                "purpose": "stolen_vehicle", "case_number": "26-000015", "reason": "locked",
                "query": {"plate": {"exact": "K500"}, "window": {
                    "from": (now - chrono::Duration::hours(1)).to_rfc3339(), "to": now.to_rfc3339()}}})))
        });
        let admin = sc.spawn(|| {
            s.call(
                "POST",
                "/api/v1/users",
                Some(&op),
                Some(json!({"username": "fault-while-locked",
                "display_name": "l", "role": "officer", "password": "a-long-password-1"})),
            )
        });
        (
            ing.join().unwrap(),
            search.join().unwrap(),
            admin.join().unwrap(),
        )
    });
    eprintln!(
        "while locked: ingest {} {}, search {} {}, admin {} {}",
        ing.0, ing.1["message"], search.0, search.1["message"], admin.0, admin.1["message"]
    );
    assert_eq!(ing.0, 503, "{}", ing.1);
    assert!(
        ing.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("locked by another writer")),
        "{}",
        ing.1
    );
    assert_eq!(
        search.0, 503,
        "a search that cannot be audited is not run: {}",
        search.1
    );
    assert_eq!(admin.0, 503, "{}", admin.1);
    drop(store_lock);
    drop(audit_lock);

    // The lock is gone: everything works again, without a restart.
    let (st, v) = ingest(&s.url, &key, "after", 100, &acked);
    assert_eq!(st, 200, "{v}");
    let (st, v) = call(
        &s.url,
        "POST",
        "/api/v1/users",
        Some(&op),
        Some(json!({"username": "fault-after-lock",
        "display_name": "a", "role": "officer", "password": "a-long-password-1"})),
    );
    assert_eq!(st, 201, "{v}");
    let (users, unaudited) = crash::users_and_unaudited(&s, &op, "fault-");
    assert!(unaudited.is_empty(), "{unaudited:?}");
    assert!(
        !users.iter().any(|u| u == "fault-while-locked"),
        "the refused change did not take effect"
    );
    crash::assert_audit_verifies(&s, &op);
    s.kill();
    let acked = acked.into_inner().unwrap();
    assert_eq!(acked.len(), 300);
    assert_eq!(
        crash::missing_reads(&data, camera, &acked),
        Vec::<String>::new()
    );
}

//! Tamper tests: every kind of alteration is caught by the verifier; a clean log verifies.

use rusqlite::Connection;
use serde_json::Value;
use sightline_audit::{
    Actor, AuditLog, Checkpoint, EntryDraft, VerifyReport, chain_hash, leaf_hash, verify_dir,
    verify_jsonl,
};
use sightline_types::SystemClock;
use std::path::Path;
use std::sync::Arc;

fn draft(n: u64) -> EntryDraft {
    EntryDraft {
        actor: Actor::system(),
        action: "search".into(),
        outcome: "allowed".into(),
        owners: vec![],
        details: serde_json::json!({ "n": n }),
    }
}

/// A log of 20 entries with signed checkpoints at 10 and 20.
fn build(dir: &Path) -> Vec<Checkpoint> {
    let log = AuditLog::open(dir, Arc::new(SystemClock)).unwrap();
    log.append_batch((0..10).map(draft).collect()).unwrap();
    let a = log.checkpoint(chrono::Utc::now()).unwrap();
    log.append_batch((10..20).map(draft).collect()).unwrap();
    let b = log.checkpoint(chrono::Utc::now()).unwrap();
    vec![a, b]
}

/// Rewrites the whole log through `f`, recomputing every leaf and chain hash as a careful
/// attacker with database access would.
fn rewrite(dir: &Path, f: impl FnOnce(Vec<Value>) -> Vec<Value>) {
    let c = Connection::open(dir.join("audit.db")).unwrap();
    let bodies: Vec<Vec<u8>> = c
        .prepare("SELECT body FROM entries ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let entries = f(bodies
        .iter()
        .map(|b| serde_json::from_slice(b).unwrap())
        .collect());
    c.execute("DELETE FROM entries", []).unwrap();
    let mut prev = [0u8; 32];
    for (i, e) in entries.iter().enumerate() {
        let body = serde_json::to_vec(e).unwrap();
        let leaf = leaf_hash(&body);
        let chain = chain_hash(&prev, &leaf);
        prev = chain;
        c.execute(
            "INSERT INTO entries(seq, time_us, action, actor_agency, body, leaf_hash, chain_hash) VALUES (?1, 0, 'search', NULL, ?2, ?3, ?4)",
            (i as i64 + 1, body, leaf.to_vec(), chain.to_vec()),
        )
        .unwrap();
    }
}

fn verify(dir: &Path) -> VerifyReport {
    verify_dir(dir, &[], None).unwrap()
}

fn mentions(r: &VerifyReport, needle: &str) -> bool {
    r.problems.iter().any(|p| p.what.contains(needle))
}

#[test]
fn test_clean_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let r = verify(dir.path());
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(
        (r.entries, r.checkpoints.len(), r.unanchored_entries),
        (20, 2, 0)
    );
}

#[test]
fn test_altered_entry_caught_by_leaf_hash() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let c = Connection::open(dir.path().join("audit.db")).unwrap();
    c.execute("UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), '\"n\":4', '\"n\":7') AS BLOB) WHERE seq = 5", []).unwrap();
    let r = verify(dir.path());
    assert!(
        r.problems
            .iter()
            .any(|p| p.seq == 5 && p.what.contains("altered")),
        "{r:?}"
    );
}

#[test]
fn test_altered_and_rehashed_caught_by_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    rewrite(dir.path(), |mut v| {
        v[12]["outcome"] = "denied".into();
        v
    });
    let r = verify(dir.path());
    assert!(
        r.checkpoints[0].ok,
        "the checkpoint over entries 1-10 still holds"
    );
    assert!(!r.checkpoints[1].ok);
    assert!(mentions(&r, "between 11 and 20"), "{r:?}");
}

#[test]
fn test_removed_entry_caught() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let c = Connection::open(dir.path().join("audit.db")).unwrap();
    c.execute("DELETE FROM entries WHERE seq = 3", []).unwrap();
    let r = verify(dir.path());
    assert!(
        r.problems
            .iter()
            .any(|p| p.seq == 3 && p.what.contains("missing")),
        "{r:?}"
    );
    // Removed and renumbered, hashes recomputed: only the checkpoints can tell.
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    rewrite(dir.path(), |mut v| {
        v.remove(2);
        for (i, e) in v.iter_mut().enumerate() {
            e["seq"] = (i as u64 + 1).into();
        }
        v
    });
    let r = verify(dir.path());
    assert!(!r.checkpoints[0].ok && !r.checkpoints[1].ok, "{r:?}");
    assert!(mentions(&r, "log holds 19"), "{r:?}");
}

#[test]
fn test_reordered_entries_caught() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    rewrite(dir.path(), |mut v| {
        v.swap(3, 4);
        v
    });
    let r = verify(dir.path());
    assert!(
        r.problems
            .iter()
            .any(|p| p.seq == 4 && p.what.contains("differs from its position")),
        "{r:?}"
    );
    assert!(!r.checkpoints[0].ok);
}

#[test]
fn test_entry_inserted_behind_checkpoint_caught() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    rewrite(dir.path(), |mut v| {
        let mut forged = v[4].clone();
        forged["details"] = serde_json::json!({ "n": 999 });
        v.insert(5, forged);
        for (i, e) in v.iter_mut().enumerate() {
            e["seq"] = (i as u64 + 1).into();
        }
        v
    });
    let r = verify(dir.path());
    assert!(!r.checkpoints[0].ok, "{r:?}");
    assert!(mentions(&r, "between 1 and 10"), "{r:?}");
}

#[test]
fn test_forged_checkpoint_caught_and_appends_after_checkpoint_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    {
        let log = AuditLog::open(dir.path(), Arc::new(SystemClock)).unwrap();
        log.append(draft(21)).unwrap();
    }
    let r = verify(dir.path());
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.unanchored_entries, 1);
    let c = Connection::open(dir.path().join("audit.db")).unwrap();
    c.execute("UPDATE checkpoints SET body = replace(body, '\"size\": 20', '\"size\": 21') WHERE size = 20", []).unwrap();
    let r = verify(dir.path());
    assert!(mentions(&r, "signature does not verify"), "{r:?}");
}

#[test]
fn test_export_verifies_and_edits_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let cps = build(dir.path());
    let mut out = Vec::new();
    assert_eq!(
        sightline_audit::export_dir(dir.path(), &mut out).unwrap(),
        20
    );
    let key = sightline_audit::NodeKey::load_or_create(dir.path())
        .unwrap()
        .public();
    let r = verify_jsonl(&out[..], &cps, Some(&key)).unwrap();
    assert!(r.is_ok(), "{r:?}");
    let text = String::from_utf8(out).unwrap().replacen(
        "\"outcome\":\"allowed\"",
        "\"outcome\":\"denied\"",
        1,
    );
    let r = verify_jsonl(text.as_bytes(), &cps, Some(&key)).unwrap();
    assert!(!r.is_ok() && !r.checkpoints[0].ok, "{r:?}");
    let other = sightline_audit::NodeKey::load_or_create(tempfile::tempdir().unwrap().path())
        .unwrap()
        .public();
    let r = verify_jsonl(text.as_bytes(), &cps, Some(&other)).unwrap();
    assert!(mentions(&r, "signature"), "{r:?}");
}

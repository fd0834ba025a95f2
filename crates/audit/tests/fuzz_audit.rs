//! Fuzz harnesses (issue 15) for the audit crate's parsers: the JSON Lines export reader and
//! verifier, and the checkpoint forms (C2SP signed note, checkpoint note text, verifier keys,
//! the JSON view). Bounded and deterministic; see `fuzz/harness.rs`.

#[path = "../../../fuzz/harness.rs"]
mod harness;

use chrono::{DateTime, Utc};
use harness::{Harness, boundary_u64, mutated, noise, text};
use proptest::prelude::*;
use sightline_audit::layout::Tree;
use sightline_audit::note::sign_note;
use sightline_audit::{
    Actor, ActorKind, AuditEntry, Checkpoint, CheckpointNote, NodeKey, NoteVerifier, SignedNote,
    leaf_hash, open_checkpoint, read_jsonl, verify_jsonl,
};
use sightline_types::AgencyId;

fn check_jsonl(bytes: &[u8]) {
    // Never panics; bad lines are problems with a sentence, never an I/O error.
    let report = verify_jsonl(bytes, &[], None).expect("in-memory input never fails to read");
    assert!(report.problems.iter().all(|p| !p.what.is_empty()));
    match read_jsonl(bytes) {
        Ok(entries) => {
            // What reads back re-encodes to lines that read back the same.
            let again: Vec<u8> = entries
                .iter()
                .flat_map(|e| [e.canonical_bytes().unwrap(), b"\n".to_vec()].concat())
                .collect();
            assert_eq!(read_jsonl(again.as_slice()).unwrap(), entries);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

fn agency() -> impl Strategy<Value = AgencyId> {
    "[a-z][a-z0-9-]{0,20}".prop_filter_map("valid agency id", |s| AgencyId::parse(&s).ok())
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        boundary_u64().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn entry() -> impl Strategy<Value = AuditEntry> {
    (
        (
            boundary_u64(),
            -8_000_000_000_000i64..8_000_000_000_000i64,
            prop_oneof![
                Just(ActorKind::User),
                Just(ActorKind::Camera),
                Just(ActorKind::System)
            ],
            ".{0,16}",
            ".{0,16}",
            proptest::option::of(agency()),
        ),
        ".{0,16}",
        ".{0,8}",
        proptest::collection::vec(agency(), 0..3),
        json_value(),
    )
        .prop_map(
            |((seq, us, kind, id, name, agency), action, outcome, owners, details)| AuditEntry {
                seq,
                time: DateTime::<Utc>::from_timestamp_micros(us).unwrap(),
                actor: Actor {
                    kind,
                    id,
                    name,
                    agency,
                },
                action,
                outcome,
                owners,
                details,
            },
        )
}

fn export(entries: &[AuditEntry]) -> Vec<u8> {
    entries
        .iter()
        .flat_map(|e| [e.canonical_bytes().unwrap(), b"\n".to_vec()].concat())
        .collect()
}

#[test]
fn fuzz_audit_jsonl() {
    let mut h = Harness::new("audit_jsonl", 1_500);
    let seeds = h.run_corpus(check_jsonl);
    h.run("mutated corpus", mutated(seeds), |b| check_jsonl(&b));
    h.run("noise", noise(), |b| check_jsonl(&b));
    h.run(
        "entries: export -> parse",
        proptest::collection::vec(entry(), 0..6),
        |entries| {
            let bytes = export(&entries);
            assert_eq!(read_jsonl(bytes.as_slice()).unwrap(), entries);
            check_jsonl(&bytes);
        },
    );
    h.run(
        "numbered log verifies",
        (proptest::collection::vec(entry(), 1..8), 0usize..8),
        |(mut entries, cut)| {
            for (i, e) in entries.iter_mut().enumerate() {
                e.seq = i as u64 + 1;
            }
            let key = NodeKey::from_secret_bytes(&[11; 32]);
            let mut tree = Tree::new();
            for e in &entries {
                tree.push(leaf_hash(&e.canonical_bytes().unwrap()));
            }
            let size = (cut as u64).min(tree.size());
            let cp = key
                .sign("fuzz", size, &tree.root(size).unwrap(), Utc::now())
                .unwrap();
            let bytes = export(&entries);
            let r = verify_jsonl(bytes.as_slice(), &[cp], Some(&key.public())).unwrap();
            assert!(r.is_ok(), "{r:?}");
            assert_eq!(r.entries, entries.len() as u64);
            assert_eq!(r.unanchored_entries, entries.len() as u64 - size);
        },
    );
    h.done();
}

fn check_checkpoint(bytes: &[u8]) {
    let s = text(bytes);
    let key = NodeKey::from_secret_bytes(&[12; 32]);
    let verifier = key.note_verifier("fuzz.example/log").unwrap();
    match SignedNote::parse(&s) {
        Ok(n) => {
            // A parsed note writes back to exactly its input.
            assert_eq!(n.to_string(), s);
            if let Err(e) = n.verify(&verifier) {
                assert!(!e.to_string().is_empty());
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    if let Ok(cp) = CheckpointNote::parse_text(&s) {
        assert_eq!(
            cp.text(),
            s,
            "a parsed checkpoint body writes back unchanged"
        );
    }
    for line in s.lines() {
        if let Ok(v) = NoteVerifier::parse(line) {
            assert_eq!(v.to_string(), line);
        }
    }
    if let Err(e) = open_checkpoint(&s, &verifier) {
        assert!(!e.to_string().is_empty());
    }
    if let Ok(cp) = serde_json::from_slice::<Checkpoint>(bytes) {
        let _ = cp.body();
        let _ = cp.verify_signature(&key.public());
        let again: Checkpoint = serde_json::from_str(&serde_json::to_string(&cp).unwrap()).unwrap();
        assert_eq!(again, cp);
    }
}

fn origin() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9.]{1,12}/[a-z0-9-]{1,12}",
        "\\PC{1,12}".prop_filter("valid key name", |s| {
            sightline_audit::note::is_valid_key_name(s)
        }),
    ]
}

#[test]
fn fuzz_audit_checkpoint() {
    let mut h = Harness::new("audit_checkpoint", 1_000);
    let seeds = h.run_corpus(check_checkpoint);
    h.run("mutated corpus", mutated(seeds), |b| check_checkpoint(&b));
    h.run("noise", noise(), |b| check_checkpoint(&b));
    h.run(
        "note: sign -> open",
        (
            origin(),
            boundary_u64(),
            any::<[u8; 32]>(),
            any::<[u8; 32]>(),
        ),
        |(origin, size, root, secret)| {
            let key = NodeKey::from_secret_bytes(&secret);
            let note = key.sign_note(&origin, size, &root).unwrap();
            let v = key.note_verifier(&origin).unwrap();
            assert_eq!(NoteVerifier::parse(&v.to_string()).unwrap(), v);
            let cp = open_checkpoint(&note, &v).unwrap();
            assert_eq!((cp.origin, cp.size, cp.root), (origin.clone(), size, root));
            // One byte changed anywhere in the text: never verifies.
            let mut bad = note.clone().into_bytes();
            let i = (size as usize) % (note.find("\n\n").unwrap());
            bad[i] ^= 1;
            if let Ok(bad) = String::from_utf8(bad) {
                assert!(open_checkpoint(&bad, &v).is_err());
            }
            check_checkpoint(note.as_bytes());
        },
    );
    h.run(
        "note text: parse -> write",
        ("\\PC{0,40}", proptest::collection::vec(".{1,20}", 0..3)),
        |(text, exts)| {
            let mut t = text;
            for e in exts {
                t.push('\n');
                t.push_str(&e);
            }
            t.push('\n');
            let key = ed25519_dalek::SigningKey::from_bytes(&[13; 32]);
            let v = NoteVerifier::new("fuzz.example/log", key.verifying_key()).unwrap();
            if let Ok(signed) = sign_note(&t, "fuzz.example/log", &key) {
                let n = SignedNote::parse(&signed).unwrap();
                assert_eq!(n.text, t);
                n.verify(&v).unwrap();
                assert_eq!(n.to_string(), signed);
            }
        },
    );
    h.run(
        "json view: serialise -> parse",
        (origin(), boundary_u64(), any::<[u8; 32]>()),
        |(origin, size, root)| {
            let key = NodeKey::from_secret_bytes(&[14; 32]);
            let cp = key.sign(&origin, size, &root, Utc::now()).unwrap();
            let back: Checkpoint =
                serde_json::from_str(&serde_json::to_string_pretty(&cp).unwrap()).unwrap();
            assert_eq!(back, cp);
            assert!(back.verify_signature(&key.public()));
        },
    );
    h.done();
}

/// Issue 15, found by `fuzz_audit_jsonl`: an export line claiming `seq` = u64::MAX overflowed
/// the verifier's next-sequence counter (a panic in debug builds, a wrapped counter in release).
#[test]
fn test_regression_seq_u64_max_is_a_problem_not_a_panic() {
    let export = b"{\"seq\":18446744073709551615}\n{\"seq\":2}\n";
    let r = verify_jsonl(&export[..], &[], None).unwrap();
    assert!(!r.is_ok());
    assert_eq!(r.entries, 2);
    assert!(
        r.problems.iter().any(|p| p.what.contains("missing")),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems.iter().any(|p| p.what.contains("out of order")),
        "{:?}",
        r.problems
    );
}

/// Issue 15, found while writing `fuzz_audit_jsonl` (its "in-memory input never fails to
/// read" property): a line that is not UTF-8 made the verifier fail with "audit directory
/// `export` unusable" instead of reporting the line.
#[test]
fn test_regression_non_utf8_line_is_reported_by_line() {
    let export = b"{\"seq\":1}\n\xff\xfe\n";
    let r = verify_jsonl(&export[..], &[], None).unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.what == "line 2 is not UTF-8 text"),
        "{:?}",
        r.problems
    );
    let e = read_jsonl(&b"\n\xff\xfe\n"[..]).unwrap_err().to_string();
    assert_eq!(e, "export line 2: not UTF-8 text");
}

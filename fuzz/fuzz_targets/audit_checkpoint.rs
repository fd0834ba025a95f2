//! libFuzzer target: C2SP notes, checkpoint note text and verifier keys parse without panics
//! and write back to their input.
#![no_main]

use sightline_audit::{CheckpointNote, NodeKey, NoteVerifier, SignedNote, open_checkpoint};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = SignedNote::parse(s) {
        assert_eq!(n.to_string(), s);
    }
    if let Ok(cp) = CheckpointNote::parse_text(s) {
        assert_eq!(cp.text(), s);
    }
    for line in s.lines() {
        if let Ok(v) = NoteVerifier::parse(line) {
            assert_eq!(v.to_string(), line);
        }
    }
    let key = NodeKey::from_secret_bytes(&[12; 32]);
    let _ = open_checkpoint(s, &key.note_verifier("fuzz.example/log").unwrap());
});

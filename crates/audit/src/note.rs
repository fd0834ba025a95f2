//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 signatures: the envelope of
//! `tlog-checkpoint` checkpoints, so that existing witnesses and verifiers (Go's
//! `golang.org/x/mod/sumdb/note`, tessera, the witness network) can check ours.
//!
//! A note is a text ending in a newline, a blank line, then one line per signature:
//! `— <key name> <base64(key id (4 bytes, big-endian) || signature)>`. The Ed25519 key id is the
//! first four bytes of `SHA-256(name || 0x0A || 0x01 || public key)`. A verifier key is written
//! `<name>+<key id, 8 hex digits>+<base64(0x01 || public key)>`.
//!
//! Parsing is strict (the spec's MUSTs: valid UTF-8, no control characters but newline, names
//! without spaces or `+`) and bounded (at most [`MAX_NOTE_BYTES`] and [`MAX_SIGNATURES`]), so a
//! hostile note costs little and fails with a sentence.

use crate::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;

/// The signature type byte of Ed25519 note signatures.
const ED25519: u8 = 0x01;
/// Largest note accepted, bytes.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;
/// Most signature lines accepted (the spec asks verifiers to accept at least 16).
pub const MAX_SIGNATURES: usize = 100;
/// The signature line prefix: em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";

fn bad(why: impl Into<String>) -> Error {
    Error::Note(why.into())
}

/// Tells whether `name` is a valid key name: non-empty, no Unicode spaces, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// Returns the C2SP key id of an Ed25519 key: `SHA-256(name || 0x0A || 0x01 || key)[:4]`.
pub fn note_key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519]);
    h.update(key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// An Ed25519 note verifier: a key name, its key id and the public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Builds the verifier of `key` under `name` (the key id is derived).
    ///
    /// # Errors
    /// `Note` when the name is empty or holds a space, `+` or a control character.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self> {
        if !is_valid_key_name(name) {
            return Err(bad(format!(
                "key name `{}` must be non-empty, without spaces or `+`",
                name.escape_debug()
            )));
        }
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_id: note_key_id(name, &key),
            key,
        })
    }

    /// Parses a verifier key `<name>+<hex key id>+<base64(0x01 || public key)>`.
    ///
    /// # Errors
    /// `Note` naming the part that is malformed, or when the key id does not match the key.
    pub fn parse(vkey: &str) -> Result<Self> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("verifier key must be `<name>+<key id>+<base64 key>`"));
        };
        if id.len() != 8
            || !id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad("verifier key id must be 8 lower-case hex digits"));
        }
        let id = u32::from_str_radix(id, 16).map_err(|_| bad("verifier key id is not hex"))?;
        let raw = B64
            .decode(key)
            .map_err(|_| bad("verifier key material is not base64"))?;
        let [ED25519, rest @ ..] = raw.as_slice() else {
            return Err(bad("verifier key is not an Ed25519 key (type byte 0x01)"));
        };
        let bytes: [u8; 32] = rest
            .try_into()
            .map_err(|_| bad("Ed25519 verifier key must be 32 bytes"))?;
        let key =
            VerifyingKey::from_bytes(&bytes).map_err(|e| bad(format!("verifier key: {e}")))?;
        let v = NoteVerifier::new(name, key)?;
        if v.key_id != id {
            return Err(bad(format!(
                "verifier key id {id:08x} does not match its key (expected {:08x})",
                v.key_id
            )));
        }
        Ok(v)
    }

    /// Returns the key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Returns the public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl fmt::Display for NoteVerifier {
    /// Writes the verifier key string form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's key name.
    pub name: String,
    /// The signer's key id.
    pub key_id: u32,
    /// The signature bytes (after the key id).
    pub signature: Vec<u8>,
}

/// A parsed (not yet verified) signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The signed text, ending in a newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

fn check_characters(s: &str) -> Result<()> {
    match s.chars().find(|c| u32::from(*c) < 0x20 && *c != '\n') {
        Some(c) => Err(bad(format!(
            "note holds the control character {:?}",
            c.escape_debug().to_string()
        ))),
        None => Ok(()),
    }
}

fn parse_signature_line(line: &str) -> Result<NoteSignature> {
    let rest = line
        .strip_prefix(SIG_PREFIX)
        .ok_or_else(|| bad("signature line must start with `— ` (em dash, space)"))?;
    let (name, sig) = rest
        .split_once(' ')
        .ok_or_else(|| bad("signature line must be `— <name> <base64 signature>`"))?;
    if !is_valid_key_name(name) {
        return Err(bad("signature key name is empty or holds a space or `+`"));
    }
    let raw = B64
        .decode(sig)
        .map_err(|_| bad(format!("signature of `{name}` is not base64")))?;
    if raw.len() < 5 {
        return Err(bad(format!(
            "signature of `{name}` is shorter than its key id"
        )));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
        signature: raw[4..].to_vec(),
    })
}

impl SignedNote {
    /// Parses a signed note: text, blank line, signature lines.
    ///
    /// # Errors
    /// `Note` saying what is malformed (size, characters, missing blank line or signature,
    /// a bad signature line).
    pub fn parse(note: &str) -> Result<Self> {
        if note.len() > MAX_NOTE_BYTES {
            return Err(bad(format!("note is larger than {MAX_NOTE_BYTES} bytes")));
        }
        check_characters(note)?;
        if !note.ends_with('\n') {
            return Err(bad("note must end with a newline"));
        }
        // The text is separated from the signatures by the last blank line.
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| bad("note has no blank line before its signatures"))?;
        let text = &note[..=split];
        let sigs = &note[split + 2..];
        if sigs.is_empty() {
            return Err(bad("note has no signature lines"));
        }
        let lines: Vec<&str> = sigs
            .strip_suffix('\n')
            .unwrap_or(sigs)
            .split('\n')
            .collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(bad(format!(
                "note has more than {MAX_SIGNATURES} signatures"
            )));
        }
        let signatures = lines
            .into_iter()
            .map(parse_signature_line)
            .collect::<Result<Vec<_>>>()?;
        Ok(SignedNote {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Verifies the note with `verifier`: signatures from other keys are ignored; a signature
    /// whose name and key id are the verifier's must verify.
    ///
    /// # Errors
    /// `Note` when no signature is from the verifier's key, or when one from it does not verify.
    pub fn verify(&self, verifier: &NoteVerifier) -> Result<()> {
        let mut known = self
            .signatures
            .iter()
            .filter(|s| s.name == verifier.name && s.key_id == verifier.key_id)
            .peekable();
        if known.peek().is_none() {
            return Err(bad(format!(
                "note is not signed by key `{}` ({:08x})",
                verifier.name, verifier.key_id
            )));
        }
        for s in known {
            let ok = Signature::from_slice(&s.signature)
                .is_ok_and(|sig| verifier.key.verify(self.text.as_bytes(), &sig).is_ok());
            if !ok {
                return Err(bad(format!(
                    "signature of key `{}` does not verify (note altered or forged)",
                    verifier.name
                )));
            }
        }
        Ok(())
    }
}

impl fmt::Display for SignedNote {
    /// Writes the note in its wire form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.text)?;
        for s in &self.signatures {
            let mut raw = s.key_id.to_be_bytes().to_vec();
            raw.extend_from_slice(&s.signature);
            writeln!(f, "{SIG_PREFIX}{} {}", s.name, B64.encode(raw))?;
        }
        Ok(())
    }
}

/// Signs `text` (which must end in a newline) as key `name` and returns the whole note.
///
/// # Errors
/// `Note` when the text is empty, lacks its final newline or holds control characters, or the
/// name is invalid.
pub fn sign_note(text: &str, name: &str, key: &SigningKey) -> Result<String> {
    if text.is_empty() || !text.ends_with('\n') {
        return Err(bad("note text must be non-empty and end with a newline"));
    }
    check_characters(text)?;
    let verifier = NoteVerifier::new(name, key.verifying_key())?;
    let note = SignedNote {
        text: text.to_owned(),
        signatures: vec![NoteSignature {
            name: name.to_owned(),
            key_id: verifier.key_id,
            signature: key.sign(text.as_bytes()).to_bytes().to_vec(),
        }],
    };
    Ok(note.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The reference vector of Go's golang.org/x/mod/sumdb/note (note_test.go), also used by the
    // C2SP ecosystem: a verifier key, its private key and a note signed with it.
    const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const GO_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                           then you don't know what your problem is.\n";
    const GO_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    fn go_signing_key() -> SigningKey {
        // `PRIVATE+KEY+<name>+<id>+<base64>`; the base64 itself may hold `+`.
        let material = GO_SKEY.splitn(5, '+').nth(4).unwrap();
        let raw = B64.decode(material).unwrap();
        assert_eq!(raw[0], ED25519);
        SigningKey::from_bytes(&raw[1..].try_into().unwrap())
    }

    #[test]
    fn test_go_reference_vector_verifies_and_is_reproduced() {
        let v = NoteVerifier::parse(GO_VKEY).unwrap();
        assert_eq!((v.name(), v.key_id()), ("PeterNeumann", 0xc74f20a3));
        assert_eq!(v.to_string(), GO_VKEY, "the vkey form round-trips");
        let note = format!("{GO_TEXT}\n{GO_SIG}");
        let parsed = SignedNote::parse(&note).unwrap();
        assert_eq!(parsed.text, GO_TEXT);
        parsed.verify(&v).unwrap();
        assert_eq!(parsed.to_string(), note);
        // Ed25519 is deterministic: our signer reproduces Go's note byte for byte.
        let key = go_signing_key();
        assert_eq!(key.verifying_key(), *v.public_key());
        assert_eq!(sign_note(GO_TEXT, "PeterNeumann", &key).unwrap(), note);
        let altered = note.replace("cryptography", "cryptographY");
        let e = SignedNote::parse(&altered).unwrap().verify(&v).unwrap_err();
        assert!(e.to_string().contains("does not verify"), "{e}");
    }

    #[test]
    fn test_unknown_signatures_are_ignored_but_a_known_one_is_needed() {
        let v = NoteVerifier::parse(GO_VKEY).unwrap();
        let other = SigningKey::from_bytes(&[9; 32]);
        let theirs = sign_note(GO_TEXT, "witness.example/w1", &other).unwrap();
        let theirs_line = theirs.rsplit("\n\n").next().unwrap();
        // A cosignature from a key we do not know beside the log's own: still verifies.
        let both = format!("{GO_TEXT}\n{GO_SIG}{theirs_line}");
        SignedNote::parse(&both).unwrap().verify(&v).unwrap();
        // Only an unknown key: rejected.
        let e = SignedNote::parse(&theirs).unwrap().verify(&v).unwrap_err();
        assert!(e.to_string().contains("not signed by key"), "{e}");
        // Same name, other key id: unknown, ignored.
        let w = NoteVerifier::new("witness.example/w1", other.verifying_key()).unwrap();
        SignedNote::parse(&both).unwrap().verify(&w).unwrap();
    }

    #[test]
    fn test_malformed_notes_and_keys_say_why() {
        for (note, why) in [
            ("", "end with a newline"),
            ("text\n", "no blank line"),
            ("text\n\n", "no signature lines"),
            ("text\n\n- PeterNeumann AAAA\n", "em dash"),
            ("text\n\n\u{2014} PeterNeumann\n", "`— <name>"),
            ("text\n\n\u{2014} Peter+Neumann AAAAAAAA\n", "key name"),
            ("text\n\n\u{2014} PeterNeumann !!!!\n", "not base64"),
            (
                "text\n\n\u{2014} PeterNeumann AAAA\n",
                "shorter than its key id",
            ),
            (
                "te\u{7}xt\n\n\u{2014} PeterNeumann AAAAAAAA\n",
                "control character",
            ),
        ] {
            let e = SignedNote::parse(note).unwrap_err().to_string();
            assert!(e.contains(why), "{note:?}: {e}");
        }
        for (vkey, why) in [
            ("PeterNeumann", "must be"),
            ("PeterNeumann+c74f20a+ARpc", "hex digits"),
            (
                "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                "does not match",
            ),
            (
                "PeterNeumann+c74f20a3+ApRc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                "Ed25519",
            ),
            (
                "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy",
                "32 bytes",
            ),
            (
                "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                "key name",
            ),
        ] {
            let e = NoteVerifier::parse(vkey).unwrap_err().to_string();
            assert!(e.contains(why), "{vkey}: {e}");
        }
    }
}

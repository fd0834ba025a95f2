//! Shared pieces of the parser fuzz harnesses (issue 15): the committed seed corpus, a seed
//! mutator, boundary values, and a bounded runner that prints its case counts.
//!
//! Each harness is an ordinary integration test of the crate that owns the parser
//! (`crates/*/tests/fuzz_*.rs`), included with `#[path = "../../../fuzz/harness.rs"] mod harness;`.
//! It first runs every file of `fuzz/corpus/<target>/`, then a fixed number of generated cases:
//! mutations of those seeds (byte flips, inserted tokens, deletions, splices — the moves of a
//! libFuzzer mutator, without coverage guidance) and grammar-aware cases built by the harness.
//! Coverage-guided libFuzzer runs are possible here but need `RUSTC_BOOTSTRAP=1` and ASan
//! (see `fuzz/README.md`); CI runs these bounded, deterministic harnesses instead.
//!
//! `SIGHTLINE_FUZZ_CASES` multiplies every harness's case count (e.g. `10` for a longer run);
//! `SIGHTLINE_FUZZ_SEED` picks the generator seed (default fixed, so CI runs are reproducible).
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::path::PathBuf;
use std::time::Instant;

/// Tokens a mutator splices in: delimiters and values that trip hand-written parsers.
pub const TOKENS: &[&str] = &[
    "\n",
    "\r\n",
    "\n\n",
    ",",
    "\"",
    "\"\"",
    "{",
    "}",
    "[",
    "]",
    ":",
    "null",
    "true",
    "-1",
    "0",
    "00",
    "1e308",
    "-0",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967296",
    "\u{2014} ",
    "+",
    "=",
    "==",
    "\\u0000",
    "\u{0}",
    "\u{7f}",
    "\u{feff}",
    "\u{fffd}",
    "Ä",
    "ö",
    "·",
    "\t",
    " ",
    "*",
    "?",
    "%",
    "#",
    "00000000",
    "99991231",
    "20261301",
    "1970-01-01T00:00:00Z",
    "+262143-12-31T23:59:59Z",
    "AM",
    "PM",
    "UTC",
    "12/31/2025, 11:59:59 PM UTC",
];

/// One harness: a named target with its corpus and case budget.
pub struct Harness {
    target: &'static str,
    cases: u32,
    started: Instant,
    ran_corpus: usize,
}

fn multiplier() -> u32 {
    std::env::var("SIGHTLINE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

impl Harness {
    /// A harness for `target` running `cases` generated cases per property (times
    /// `SIGHTLINE_FUZZ_CASES`).
    pub fn new(target: &'static str, cases: u32) -> Self {
        Harness {
            target,
            cases: cases.saturating_mul(multiplier()),
            started: Instant::now(),
            ran_corpus: 0,
        }
    }

    /// Reads `fuzz/corpus/<target>/`, sorted by name.
    ///
    /// # Panics
    /// When the directory is missing or empty: a harness without its corpus is a broken checkout.
    pub fn corpus(&self) -> Vec<(String, Vec<u8>)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus")
            .join(self.target);
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("fuzz corpus {} is unreadable: {e}", dir.display()))
            .map(|f| {
                let f = f.expect("corpus entry");
                (
                    f.file_name().to_string_lossy().into_owned(),
                    std::fs::read(f.path()).expect("corpus file"),
                )
            })
            .collect();
        files.sort();
        assert!(!files.is_empty(), "fuzz corpus {} is empty", dir.display());
        files
    }

    /// Runs `check` on every corpus file, then returns the seeds for mutation.
    pub fn run_corpus(&mut self, mut check: impl FnMut(&[u8])) -> Vec<Vec<u8>> {
        let files = self.corpus();
        for (name, bytes) in &files {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(bytes)));
            assert!(r.is_ok(), "{}: corpus file {name} fails", self.target);
        }
        self.ran_corpus = files.len();
        files.into_iter().map(|(_, b)| b).collect()
    }

    /// Runs `check` on this harness's number of cases drawn from `strategy`; a failing case is
    /// shrunk and reported with its value.
    pub fn run<S: Strategy>(&mut self, what: &str, strategy: S, check: impl Fn(S::Value))
    where
        S::Value: std::fmt::Debug,
    {
        let seed = std::env::var("SIGHTLINE_FUZZ_SEED")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(15);
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8..8 + self.target.len().min(24)]
            .copy_from_slice(&self.target.as_bytes()[..self.target.len().min(24)]);
        let config = Config {
            cases: self.cases,
            failure_persistence: None,
            max_shrink_iters: 2_000,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
        let started = Instant::now();
        let result = runner.run(&strategy, |v| {
            check(v);
            Ok(())
        });
        if let Err(e) = result {
            panic!("fuzz {} / {what}: {e}", self.target);
        }
        println!(
            "fuzz {:<22} {:<28} {:>6} cases in {:>6.2} s",
            self.target,
            what,
            self.cases,
            started.elapsed().as_secs_f64()
        );
    }

    /// Prints the corpus count and total time (call last).
    pub fn done(&self) {
        println!(
            "fuzz {:<22} {:<28} {:>6} files; total {:.2} s",
            self.target,
            "corpus",
            self.ran_corpus,
            self.started.elapsed().as_secs_f64()
        );
    }
}

/// One edit of a libFuzzer-style mutator.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Replace the byte at a position (modulo length).
    Set(usize, u8),
    /// Insert a token at a position.
    Token(usize, usize),
    /// Insert arbitrary bytes.
    Insert(usize, Vec<u8>),
    /// Delete a range.
    Delete(usize, usize),
    /// Copy a range elsewhere.
    Splice(usize, usize, usize),
    /// Cut the input short.
    Truncate(usize),
}

fn apply(mut data: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = data.len();
        let at = |p: usize| if n == 0 { 0 } else { p % (n + 1) };
        match e {
            Edit::Set(p, b) if n > 0 => data[p % n] = *b,
            Edit::Set(..) => {}
            Edit::Token(p, t) => {
                let tok = TOKENS[t % TOKENS.len()].as_bytes();
                let p = at(*p);
                data.splice(p..p, tok.iter().copied());
            }
            Edit::Insert(p, b) => {
                let p = at(*p);
                data.splice(p..p, b.iter().copied());
            }
            Edit::Delete(p, len) => {
                let p = at(*p).min(n);
                let end = (p + len % 16).min(n);
                data.drain(p..end);
            }
            Edit::Splice(from, len, to) if n > 0 => {
                let from = from % n;
                let end = (from + len % 32).min(n);
                let piece: Vec<u8> = data[from..end].to_vec();
                let to = to % (n + 1);
                data.splice(to..to, piece);
            }
            Edit::Splice(..) => {}
            Edit::Truncate(p) => data.truncate(at(*p)),
        }
    }
    data
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Set(p, b)),
        4 => (any::<usize>(), any::<usize>()).prop_map(|(p, t)| Edit::Token(p, t)),
        2 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(p, b)| Edit::Insert(p, b)),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(p, l)| Edit::Delete(p, l)),
        2 => (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(f, l, t)| Edit::Splice(f, l, t)),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// Seeds with 1 to 8 random edits applied.
pub fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::sample::select(seeds),
        proptest::collection::vec(edit(), 1..8),
    )
        .prop_map(|(seed, edits)| apply(seed, &edits))
}

/// Arbitrary bytes, biased toward the harness's tokens.
pub fn noise() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        proptest::collection::vec(proptest::sample::select(TOKENS), 0..24)
            .prop_map(|t| t.concat().into_bytes()),
    ]
}

/// Integers at and around the edges of the integer types, and a few ordinary ones.
pub fn boundary_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        proptest::sample::select(vec![
            0,
            1,
            2,
            u64::from(u32::MAX),
            i64::MAX as u64,
            i64::MAX as u64 + 1,
            u64::MAX - 1,
            u64::MAX,
        ]),
        0u64..64,
        any::<u64>(),
    ]
}

/// Lossy text of a byte input (parsers taking `&str` see what a UTF-8 decoder would give them).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

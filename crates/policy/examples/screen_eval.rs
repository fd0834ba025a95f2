//! Prints catch and false-refusal rates for labelled corpora, and the screening cost per reason.
//!
//! ```sh
//! cargo run --release -p sightline-policy --example screen_eval -- crates/policy/screening/eval/dev.tsv
//! ```
//!
//! This is what `sightline policy screen-eval FILE` is meant to print (the CLI can call
//! `sightline_policy::screening::eval::evaluate_text`).

use sightline_policy::screening::ScreeningRules;
use sightline_policy::screening::eval::{evaluate_text, parse_corpus};
use std::time::Instant;

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: screen_eval FILE.tsv...");
        std::process::exit(2);
    }
    let rules = ScreeningRules::published().expect("shipped rules parse");
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        let report = evaluate_text(f, &src).expect("corpus parses");
        print!("{report}");
        let cases = parse_corpus(f, &src).expect("corpus parses");
        let rounds = 20;
        let start = Instant::now();
        let mut n = 0usize;
        for _ in 0..rounds {
            for c in &cases {
                n += rules
                    .screen_detailed(std::hint::black_box(&c.text), None)
                    .hits
                    .len();
            }
        }
        let per = start.elapsed().as_secs_f64() * 1e6 / (rounds * cases.len()) as f64;
        println!(
            "  cost: {per:.1} µs per reason ({} reasons x {rounds}; {n} hits)",
            cases.len()
        );
    }
}

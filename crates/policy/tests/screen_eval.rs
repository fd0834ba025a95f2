//! Runs the labelled screening corpora (`screening/eval/`) and holds the screen to its figures.
//! `dev.tsv` is what the rules were tuned on; `holdout.tsv` was written before the matcher and is
//! only measured (see `screening/eval/README.md`). Run with `--nocapture` to see every miss.

use sightline_policy::screening::eval::{EvalReport, evaluate_text};

fn run(name: &str, src: &str) -> EvalReport {
    let r = evaluate_text(name, src).unwrap();
    println!("{r}");
    r
}

#[test]
fn test_dev_corpus_meets_the_targets() {
    let r = run("dev", include_str!("../screening/eval/dev.tsv"));
    assert!(r.evasive >= 100 && r.ordinary >= 150, "corpus shrank: {r}");
    assert!(r.catch_rate() >= 0.95, "catch rate: {r}");
    assert!(r.false_refusal_rate() <= 0.02, "false refusals: {r}");
    assert!(r.false_flag_rate() <= 0.05, "false flags: {r}");
}

#[test]
fn test_holdout_corpus_figures() {
    let r = run("holdout", include_str!("../screening/eval/holdout.tsv"));
    assert!(r.evasive >= 90 && r.ordinary >= 120, "corpus shrank: {r}");
    assert!(r.catch_rate() >= 0.95, "catch rate: {r}");
    assert!(r.false_refusal_rate() <= 0.02, "false refusals: {r}");
    assert!(r.false_flag_rate() <= 0.05, "false flags: {r}");
}

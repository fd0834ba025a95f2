//! Measuring the screen on a labelled corpus: catch rate on evasive reasons, false-refusal and
//! false-flag rates on ordinary ones.
//!
//! Corpus format (`screening/eval/*.tsv`): one reason per line, `expect<TAB>lang<TAB>class<TAB>text`,
//! where `expect` is `flag` (an immigration-purpose reason that must be refused or flagged) or
//! `allow` (an ordinary reason that must pass); `#` starts a comment line. The CLI's
//! `policy screen-eval FILE` is meant to print [`evaluate`]'s [`EvalReport`] for a file.
//!
//! Design choice: the report lists every miss and every wrongly refused or flagged reason with
//! the term and context that decided, so a change to the rules can be judged line by line.

use super::{Level, Screening, ScreeningRules};
use crate::{Error, Result};
use std::fmt;

/// What a corpus line expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// An evasive (prohibited-purpose) reason: must be refused or flagged.
    Flag,
    /// An ordinary reason: must pass.
    Allow,
}

/// One labelled reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Line number in its file.
    pub line: usize,
    /// What it expects.
    pub expect: Expect,
    /// Language code.
    pub lang: String,
    /// Class (lookalike, legal, weather ...).
    pub class: String,
    /// The reason.
    pub text: String,
}

/// Parses a corpus file.
///
/// # Errors
/// A line without four tab-separated fields or with an unknown `expect`.
pub fn parse_corpus(name: &str, src: &str) -> Result<Vec<Case>> {
    let mut out = Vec::new();
    for (i, line) in src.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |m: &str| Error::Parse {
            name: format!("{name}:{}", i + 1),
            message: m.to_owned(),
        };
        let f: Vec<&str> = line.splitn(4, '\t').collect();
        let [expect, lang, class, text] = f[..] else {
            return Err(bad("expected expect<TAB>lang<TAB>class<TAB>text"));
        };
        let expect = match expect {
            "flag" => Expect::Flag,
            "allow" => Expect::Allow,
            _ => return Err(bad("expect must be `flag` or `allow`")),
        };
        out.push(Case {
            line: i + 1,
            expect,
            lang: lang.to_owned(),
            class: class.to_owned(),
            text: text.to_owned(),
        });
    }
    Ok(out)
}

/// One reason the screen got wrong.
#[derive(Debug, Clone)]
pub struct Wrong {
    /// The case.
    pub case: Case,
    /// What the screen decided: `allow`, `review` or `refuse`.
    pub got: &'static str,
    /// Rule, term and context that decided (empty for an allow).
    pub why: String,
}

/// Figures for one corpus.
#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    /// Name shown in the report.
    pub name: String,
    /// Evasive reasons.
    pub evasive: usize,
    /// ... refused.
    pub evasive_refused: usize,
    /// ... flagged for review.
    pub evasive_flagged: usize,
    /// Ordinary reasons.
    pub ordinary: usize,
    /// ... wrongly refused.
    pub ordinary_refused: usize,
    /// ... flagged for review.
    pub ordinary_flagged: usize,
    /// Every evasive reason let through and every ordinary one refused or flagged.
    pub wrong: Vec<Wrong>,
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

impl EvalReport {
    /// Share of evasive reasons refused or flagged.
    pub fn catch_rate(&self) -> f64 {
        share(self.evasive_refused + self.evasive_flagged, self.evasive)
    }

    /// Share of ordinary reasons refused.
    pub fn false_refusal_rate(&self) -> f64 {
        share(self.ordinary_refused, self.ordinary)
    }

    /// Share of ordinary reasons flagged for review.
    pub fn false_flag_rate(&self) -> f64 {
        share(self.ordinary_flagged, self.ordinary)
    }
}

fn decided(s: &Screening) -> (&'static str, String) {
    let Some(h) = s.decisive() else {
        return ("allow", String::new());
    };
    let got = if h.level == Level::Refuse {
        "refuse"
    } else {
        "review"
    };
    let ctx = h
        .context
        .as_deref()
        .map(|c| format!(" (context {c})"))
        .unwrap_or_default();
    (
        got,
        format!(
            "{} `{}` via {} on \"{}\"{ctx}",
            h.rule, h.term, h.how, h.matched
        ),
    )
}

/// Screens every case and counts.
pub fn evaluate(rules: &ScreeningRules, name: &str, cases: &[Case]) -> EvalReport {
    let mut r = EvalReport {
        name: name.to_owned(),
        ..Default::default()
    };
    for c in cases {
        let s = rules.screen_detailed(&c.text, None);
        let (got, why) = decided(&s);
        let wrong = match c.expect {
            Expect::Flag => {
                r.evasive += 1;
                match got {
                    "refuse" => r.evasive_refused += 1,
                    "review" => r.evasive_flagged += 1,
                    _ => {}
                }
                got == "allow"
            }
            Expect::Allow => {
                r.ordinary += 1;
                match got {
                    "refuse" => r.ordinary_refused += 1,
                    "review" => r.ordinary_flagged += 1,
                    _ => {}
                }
                got != "allow"
            }
        };
        if wrong {
            r.wrong.push(Wrong {
                case: c.clone(),
                got,
                why,
            });
        }
    }
    r
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: evasive {}: caught {} ({:.1}%: {} refused, {} flagged); ordinary {}: refused {} ({:.1}%), flagged {} ({:.1}%)",
            self.name,
            self.evasive,
            self.evasive_refused + self.evasive_flagged,
            100.0 * self.catch_rate(),
            self.evasive_refused,
            self.evasive_flagged,
            self.ordinary,
            self.ordinary_refused,
            100.0 * self.false_refusal_rate(),
            self.ordinary_flagged,
            100.0 * self.false_flag_rate(),
        )?;
        for w in &self.wrong {
            writeln!(
                f,
                "  line {} [{} {}] {}: \"{}\" {}",
                w.case.line, w.case.lang, w.case.class, w.got, w.case.text, w.why
            )?;
        }
        Ok(())
    }
}

/// Parses a corpus and evaluates it with the published rules (what `policy screen-eval` runs).
///
/// # Errors
/// A malformed corpus, or broken shipped rules.
pub fn evaluate_text(name: &str, src: &str) -> Result<EvalReport> {
    let cases = parse_corpus(name, src)?;
    Ok(evaluate(ScreeningRules::published()?, name, &cases))
}

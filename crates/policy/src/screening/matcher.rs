//! The compiled rule set and the matcher: entries are reduced to look-alike keys once, then each
//! screened text is tokenised once and every entry looks for its occurrences; each occurrence is
//! then checked against the contexts that apply to its entry.
//!
//! Design choice: an occurrence is judged on its own, so "black ice, then assist ICE" is cleared
//! for the first "ice" and refused for the second.

use super::normalise::{Token, entry_key, tokens};
use super::{Context, Effect, Level, ScreenRule, words};
use std::collections::HashSet;

/// How many words apart the words of an `all_of` entry may be.
const ALL_OF_WINDOW: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Words,
    Prefix,
    AllOf,
    Masked,
}

/// One rule entry, reduced to keys.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub rule: usize,
    pub term: String,
    pub meaning: String,
    pub level: Level,
    kind: Kind,
    /// One key per word (for `all_of`, the word without its `*`).
    keys: Vec<String>,
    /// For `all_of`: which words are prefixes.
    star: Vec<bool>,
    /// The key of the words written together.
    joined: String,
    /// The term as contexts name it.
    norm_term: String,
}

#[derive(Debug, Clone)]
struct CompiledContext {
    index: usize,
    terms: Vec<String>,
    phrases: Vec<Vec<String>>,
    near: Vec<(Vec<String>, bool)>,
    exempt: Vec<String>,
    window: usize,
    effect: Effect,
}

/// Where and how an entry matched.
#[derive(Debug, Clone)]
pub(crate) struct Occurrence {
    pub entry: usize,
    pub start: usize,
    pub end: usize,
    pub how: &'static str,
}

/// What the contexts made of an occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Counts at the entry's level (or lowered to review by a context).
    Counts {
        level: Level,
        context: Option<usize>,
    },
    /// A context cleared it.
    Cleared { context: usize },
}

/// The rule set reduced for matching.
#[derive(Debug, Clone, Default)]
pub(crate) struct Compiled {
    pub entries: Vec<Entry>,
    contexts: Vec<CompiledContext>,
    connectors: HashSet<String>,
    stopwords: HashSet<String>,
    /// Keys of single-word `words` entries, per rule (pieces of run-together words).
    single: Vec<HashSet<String>>,
}

fn norm_term(s: &str) -> String {
    words(s).join(" ")
}

fn phrase_keys(s: &str) -> Vec<String> {
    tokens(s).into_iter().map(|t| entry_key(&t.plain)).collect()
}

fn entry(rule: usize, term: &str, meaning: &str, level: Level, kind: Kind) -> Entry {
    let (keys, star): (Vec<String>, Vec<bool>) = if kind == Kind::AllOf {
        term.split_whitespace()
            .map(|w| {
                let bare = w.trim_end_matches('*');
                (phrase_keys(bare).concat(), w.ends_with('*'))
            })
            .unzip()
    } else if kind == Kind::Masked {
        (vec![term.to_lowercase()], vec![false])
    } else {
        let k = phrase_keys(term);
        let n = k.len();
        (k, vec![false; n])
    };
    let plain: String = tokens(term).into_iter().map(|t| t.plain).collect();
    Entry {
        rule,
        term: term.to_owned(),
        meaning: meaning.to_owned(),
        level,
        kind,
        joined: entry_key(&plain),
        keys,
        star,
        norm_term: norm_term(term),
    }
}

impl Compiled {
    /// Reduces rules, contexts and word lists to keys.
    pub fn new(
        rules: &[ScreenRule],
        contexts: &[Context],
        connectors: &[String],
        stopwords: &[String],
    ) -> Self {
        let mut entries = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            let mut add = |list: &[String], meaning: &str, level: Level, kind: Kind| {
                // An entry without letters or digits could match nothing; it is skipped.
                for e in list.iter().map(|t| entry(r, t, meaning, level, kind)) {
                    if !e.keys.is_empty() && e.keys.iter().all(|k| !k.is_empty()) {
                        entries.push(e);
                    }
                }
            };
            add(&rule.words, "core", Level::Refuse, Kind::Words);
            add(&rule.prefixes, "core", Level::Refuse, Kind::Prefix);
            add(&rule.masked, "core", Level::Refuse, Kind::Masked);
            for g in &rule.terms {
                add(&g.words, &g.meaning, g.level, Kind::Words);
                add(&g.prefixes, &g.meaning, g.level, Kind::Prefix);
                add(&g.all_of, &g.meaning, g.level, Kind::AllOf);
            }
        }
        let mut single = vec![HashSet::new(); rules.len()];
        for e in entries
            .iter()
            .filter(|e| e.kind == Kind::Words && e.keys.len() == 1)
        {
            single[e.rule].insert(e.joined.clone());
        }
        let contexts = contexts
            .iter()
            .enumerate()
            .map(|(index, c)| CompiledContext {
                index,
                terms: c.terms.iter().map(|t| norm_term(t)).collect(),
                phrases: c.phrases.iter().map(|p| phrase_keys(p)).collect(),
                near: c
                    .near
                    .iter()
                    .map(|n| (phrase_keys(n.trim_end_matches('*')), n.ends_with('*')))
                    .collect(),
                exempt: c.exempt.iter().map(|e| e.to_lowercase()).collect(),
                window: c.window.unwrap_or(4),
                effect: c.effect,
            })
            .collect();
        let keyset = |v: &[String]| v.iter().map(|w| entry_key(w)).collect::<HashSet<_>>();
        Compiled {
            entries,
            contexts,
            connectors: keyset(connectors),
            stopwords: stopwords.iter().cloned().collect(),
            single,
        }
    }

    /// Every occurrence of every entry in `ts`, with what the contexts made of it.
    pub fn occurrences(&self, ts: &[Token]) -> Vec<(Occurrence, Outcome)> {
        let splits = split_candidates(ts);
        let grams = Grams::of(ts, &splits);
        let mut out = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if e.kind != Kind::Masked && !grams.may_hold(&e.keys[0]) {
                continue;
            }
            for occ in self.find(i, e, ts, &splits) {
                let outcome = self.judge(e, &occ, ts);
                out.push((occ, outcome));
            }
        }
        out
    }

    fn find(&self, i: usize, e: &Entry, ts: &[Token], splits: &[Split]) -> Vec<Occurrence> {
        let mut found = Vec::new();
        let mut push = |start, end, how| {
            found.push(Occurrence {
                entry: i,
                start,
                end,
                how,
            })
        };
        match e.kind {
            Kind::Masked => {
                for (p, t) in ts.iter().enumerate() {
                    if t.plain == e.keys[0] {
                        push(p, p + 1, "masked");
                    }
                }
            }
            Kind::AllOf => {
                if let Some((s, t)) = all_of(e, ts) {
                    push(s, t, "all of");
                }
            }
            Kind::Words | Kind::Prefix => {
                let prefix = e.kind == Kind::Prefix;
                let n = e.keys.len();
                for p in 0..ts.len() {
                    if p + n <= ts.len() && in_a_row(e, &ts[p..p + n], prefix) {
                        push(p, p + n, if prefix { "prefix" } else { "word" });
                    } else if let Some(how) = self.inside_word(e, &ts[p], prefix) {
                        push(p, p + 1, how);
                    }
                }
                for s in splits.iter().filter(|_| e.keys.len() == 1) {
                    if self.split_matches(e, s, ts, prefix) {
                        push(s.start, s.end, "split");
                    }
                }
            }
        }
        found
    }

    /// An entry written inside one word: together ("borderpatrol"), run into a connector or
    /// another entry ("ICEassist"), or a long entry inside a compound ("Sammelabschiebung").
    fn inside_word(&self, e: &Entry, t: &Token, prefix: bool) -> Option<&'static str> {
        let j = e.joined.as_str();
        if j.is_empty() {
            return None;
        }
        let long = j.chars().count() >= if prefix { 6 } else { 8 };
        for k in &t.keys {
            if e.keys.len() > 1 && (k == j || (prefix && k.starts_with(j))) {
                return Some("written together");
            }
            if k.len() <= j.len() {
                continue;
            }
            let piece = |rest: &str| {
                rest.len() >= 2
                    && (self.connectors.contains(rest) || self.single[e.rule].contains(rest))
            };
            if let Some(rest) = k.strip_prefix(j)
                && (piece(rest) || prefix)
            {
                return Some("run together");
            }
            if let Some(rest) = k.strip_suffix(j)
                && rest.len() >= 3
                && piece(rest)
            {
                return Some("run together");
            }
            if long && k.contains(j) {
                return Some("inside a word");
            }
        }
        None
    }

    fn split_matches(&self, e: &Entry, s: &Split, ts: &[Token], prefix: bool) -> bool {
        let j = e.joined.as_str();
        // Cheap test first: most splits share nothing with the entry.
        if !s.key.starts_with(j) || (!prefix && s.key.len() != j.len()) {
            return false;
        }
        let len = j.chars().count();
        let has_stopword = ts[s.start..s.end]
            .iter()
            .any(|t| self.stopwords.contains(&t.plain));
        if prefix {
            // The split must cut the prefix itself ("depor tation"), not follow it.
            let first = ts[s.start].keys[0].chars().count();
            first < len
                && len >= 6
                && s.key.chars().count() >= 8
                && s.key.starts_with(j)
                && !has_stopword
        } else {
            s.key == j && (len >= 8 || (len >= 5 && !has_stopword))
        }
    }

    /// Applies the contexts that name this entry to one occurrence.
    fn judge(&self, e: &Entry, occ: &Occurrence, ts: &[Token]) -> Outcome {
        let mut review = None;
        for c in self
            .contexts
            .iter()
            .filter(|c| c.terms.contains(&e.norm_term))
        {
            if !context_applies(c, occ, ts) {
                continue;
            }
            match c.effect {
                Effect::Clear => return Outcome::Cleared { context: c.index },
                Effect::Review => review = review.or(Some(c.index)),
            }
        }
        match review {
            Some(c) => Outcome::Counts {
                level: Level::Review,
                context: Some(c),
            },
            None => Outcome::Counts {
                level: e.level,
                context: None,
            },
        }
    }
}

/// Which three-byte sequences occur in the text's keys (a filter with false positives only):
/// every way an entry can match needs its first key inside some word's or split's key, so an
/// entry whose first three bytes never occur is skipped without looking.
struct Grams(Vec<u64>);

impl Grams {
    const BITS: usize = 1 << 14;

    fn hash(b: &[u8]) -> usize {
        (usize::from(b[0]) * 961 + usize::from(b[1]) * 31 + usize::from(b[2])) % Self::BITS
    }

    fn of(ts: &[Token], splits: &[Split]) -> Self {
        let mut bits = vec![0u64; Self::BITS / 64];
        let keys = ts
            .iter()
            .flat_map(|t| t.keys.iter())
            .chain(splits.iter().map(|s| &s.key));
        for k in keys {
            for w in k.as_bytes().windows(3) {
                let h = Self::hash(w);
                bits[h / 64] |= 1 << (h % 64);
            }
        }
        Grams(bits)
    }

    fn may_hold(&self, key: &str) -> bool {
        let b = key.as_bytes();
        if b.len() < 3 {
            return true;
        }
        let h = Self::hash(&b[..3]);
        self.0[h / 64] & (1 << (h % 64)) != 0
    }
}

fn in_a_row(e: &Entry, run: &[Token], prefix: bool) -> bool {
    let n = e.keys.len();
    run.iter().zip(&e.keys).enumerate().all(|(j, (t, k))| {
        if prefix && j + 1 == n {
            t.keys.iter().any(|x| x.starts_with(k.as_str()))
        } else {
            t.has_key(k)
        }
    })
}

/// Two or three neighbouring words read as one ("im migration").
#[derive(Debug)]
struct Split {
    start: usize,
    end: usize,
    key: String,
}

fn split_candidates(ts: &[Token]) -> Vec<Split> {
    let mut out = Vec::new();
    for start in 0..ts.len() {
        for m in 2..=3 {
            let end = start + m;
            if end > ts.len() {
                break;
            }
            let plain: String = ts[start..end].iter().map(|t| t.plain.as_str()).collect();
            out.push(Split {
                start,
                end,
                key: entry_key(&plain),
            });
        }
    }
    out
}

fn all_of(e: &Entry, ts: &[Token]) -> Option<(usize, usize)> {
    // Cheap test first: the first word must occur at all.
    if !ts.iter().any(|t| {
        t.keys
            .iter()
            .any(|x| x == &e.keys[0] || (e.star[0] && x.starts_with(e.keys[0].as_str())))
    }) {
        return None;
    }
    let positions: Vec<Vec<usize>> = e
        .keys
        .iter()
        .zip(&e.star)
        .map(|(k, star)| {
            (0..ts.len())
                .filter(|&p| {
                    ts[p]
                        .keys
                        .iter()
                        .any(|x| x == k || (*star && x.starts_with(k.as_str())))
                })
                .collect()
        })
        .collect();
    let first = positions.first()?;
    for &p0 in first {
        let mut lo = p0;
        let mut hi = p0;
        let all = positions[1..].iter().all(|ps| {
            ps.iter()
                .find(|&&p| p.abs_diff(p0) <= ALL_OF_WINDOW && p != p0)
                .map(|&p| {
                    lo = lo.min(p);
                    hi = hi.max(p);
                })
                .is_some()
        });
        if all {
            return Some((lo, hi + 1));
        }
    }
    None
}

fn phrase_at(ts: &[Token], p: usize, phrase: &[String], last_star: bool) -> bool {
    let n = phrase.len();
    n > 0
        && p + n <= ts.len()
        && phrase.iter().enumerate().all(|(j, k)| {
            if last_star && j + 1 == n {
                ts[p + j].keys.iter().any(|x| x.starts_with(k.as_str()))
            } else {
                ts[p + j].has_key(k)
            }
        })
}

/// `word`: that word; `word*`: words starting with it; `*part*`: words containing it.
fn is_exempt(plain: &str, pattern: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(inner), Some(_)) => plain.contains(inner.trim_end_matches('*')),
        (None, Some(stem)) => plain.starts_with(stem),
        _ => plain == pattern,
    }
}

fn context_applies(c: &CompiledContext, occ: &Occurrence, ts: &[Token]) -> bool {
    let span = &ts[occ.start..occ.end];
    if span
        .iter()
        .any(|t| c.exempt.iter().any(|x| is_exempt(&t.plain, x)))
    {
        return true;
    }
    let overlaps = |s: usize, n: usize| s < occ.end && occ.start < s + n;
    for ph in &c.phrases {
        let n = ph.len();
        let lo = occ.start.saturating_sub(n);
        if (lo..occ.end).any(|p| overlaps(p, n) && phrase_at(ts, p, ph, false)) {
            return true;
        }
    }
    let lo = occ.start.saturating_sub(c.window);
    let hi = (occ.end + c.window).min(ts.len());
    for (ph, star) in &c.near {
        let n = ph.len();
        if (lo..hi).any(|p| !overlaps(p, n) && phrase_at(ts, p, ph, *star)) {
            return true;
        }
    }
    false
}

//! The analysis: totals, reach, look-back, reasons, outliers, federal involvement.

use crate::read::{FileSummary, SearchRecord};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sightline_policy::screening::{ScreeningRules, words};
use std::collections::{BTreeMap, BTreeSet};

/// Reasons that say nothing about why a search was run (compared after lower-casing and removing
/// punctuation; the whole reason must be one of these).
pub const VAGUE_REASONS: &[&str] = &[
    "inv",
    "invest",
    "investigation",
    "investigations",
    "investigative",
    "bolo",
    "test",
    "testing",
    "patrol",
    "leo",
    "le",
    "missing",
    "na",
    "n a",
    "none",
    "other",
    "check",
    "info",
    "followup",
    "follow up",
    "case",
    "crime",
    "suspect",
    "suspicious",
    "law enforcement",
    "lookup",
    "search",
    "x",
    "xx",
    "xxx",
    "asdf",
];

/// Words that name a federal agency or federal involvement.
pub const FEDERAL_TERMS: &[&str] = &[
    "fbi",
    "dea",
    "atf",
    "hsi",
    "ice",
    "ero",
    "cbp",
    "usbp",
    "usms",
    "marshal",
    "marshals",
    "dhs",
    "federal",
    "feds",
    "secret service",
    "usss",
    "irs",
    "fincen",
    "usps",
    "oig",
];

/// Most rows listed per finding (the count is always complete).
const MAX_ROWS: usize = 1000;

/// A row behind a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct RowRef {
    /// File (or `sightline`).
    pub source: String,
    /// Line number (or audit sequence number).
    pub line: u64,
}

/// A counted finding with its rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Finding {
    /// How many searches.
    pub count: u64,
    /// Share of all searches.
    pub share: f64,
    /// The rows (at most 1000).
    pub rows: Vec<RowRef>,
    /// True when more rows exist than are listed.
    pub rows_truncated: bool,
}

impl Finding {
    fn add(&mut self, r: &SearchRecord) {
        self.count += 1;
        if self.rows.len() < MAX_ROWS {
            self.rows.push(RowRef {
                source: r.source.clone(),
                line: r.line,
            });
        } else {
            self.rows_truncated = true;
        }
    }

    fn finish(&mut self, total: u64) {
        self.share = if total == 0 {
            0.0
        } else {
            self.count as f64 / total as f64
        };
    }
}

/// Totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Searches analysed.
    pub searches: u64,
    /// Earliest search time.
    pub first: Option<DateTime<Utc>>,
    /// Latest search time.
    pub last: Option<DateTime<Utc>>,
    /// Days between them.
    pub span_days: f64,
    /// Searches by type.
    pub by_type: BTreeMap<String, u64>,
    /// Distinct searching agencies.
    pub agencies: usize,
    /// Distinct officers.
    pub officers: usize,
}

/// Network reach.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reach {
    /// Searches confined to one network.
    pub single_network: Finding,
    /// Searches across more than one network.
    pub multi_network: Finding,
    /// Searches whose reach is not in the export.
    pub unknown: u64,
    /// Mean networks per search (where known).
    pub mean_networks: f64,
    /// Largest number of networks one search reached.
    pub max_networks: u64,
    /// Mean devices per search (where known).
    pub mean_devices: f64,
    /// Largest number of devices one search reached.
    pub max_devices: u64,
    /// The row of the widest search.
    pub widest: Option<RowRef>,
}

/// Look-back versus retention.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Lookback {
    /// Retention assumed, days.
    pub retention_days: f64,
    /// Searches whose window starts further back than that.
    pub beyond_retention: Finding,
    /// Longest look-back, days.
    pub max_days: f64,
    /// Reasons given for the searches beyond retention, most frequent first.
    pub reasons: Vec<(String, u64)>,
}

/// Searches matching one screening rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleFinding {
    /// Screening rule id.
    pub rule: String,
    /// Purpose it indicates.
    pub purpose: String,
    /// What the rule detects.
    pub description: String,
    /// The searches.
    pub finding: Finding,
}

/// Reason quality.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reasons {
    /// No reason at all.
    pub blank: Finding,
    /// A reason from [`VAGUE_REASONS`].
    pub vague: Finding,
    /// Only a case number (no description).
    pub case_number_only: Finding,
    /// Reasons that indicate a prohibited purpose, by screening rule.
    pub prohibited: Vec<RuleFinding>,
    /// Most frequent reasons.
    pub top: Vec<(String, u64)>,
}

/// A searcher with unusually many searches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outlier {
    /// Agency or officer.
    pub name: String,
    /// Their searches.
    pub searches: u64,
    /// Median over all agencies or officers.
    pub median: f64,
}

/// The analysis report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Files read.
    pub files: Vec<FileSummary>,
    /// Totals.
    pub totals: Totals,
    /// Reach.
    pub reach: Reach,
    /// Look-back.
    pub lookback: Lookback,
    /// Reasons.
    pub reasons: Reasons,
    /// Agencies far above the median volume.
    pub agency_outliers: Vec<Outlier>,
    /// Officers far above the median volume.
    pub officer_outliers: Vec<Outlier>,
    /// Searches that name a federal agency in the reason or were made on behalf of one.
    pub federal: Finding,
    /// The rules this report applied, published with it.
    pub rules: PublishedRules,
    /// What the usage watch's detectors (the same code the live node runs) raise on these rows.
    pub watch: Vec<crate::watch::WatchFinding>,
}

/// The rules used, so a reader can check them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PublishedRules {
    /// The screening rules file, verbatim.
    pub screening_rules: String,
    /// Vague reasons.
    pub vague_reasons: Vec<String>,
    /// Federal terms.
    pub federal_terms: Vec<String>,
    /// How case numbers are recognised.
    pub case_number: String,
    /// How outliers are chosen.
    pub outliers: String,
}

/// What one distinct reason text is.
#[derive(Debug, Clone)]
struct Classified {
    blank: bool,
    vague: bool,
    case_number: bool,
    federal: bool,
    hits: Vec<sightline_policy::screening::ScreenHit>,
}

fn normalised(reason: &str) -> String {
    words(reason).join(" ")
}

/// True for a reason that is only a case or incident number, e.g. `26-001234`, `#2025-0042`,
/// `CR24-00017`.
pub fn is_case_number(reason: &str) -> bool {
    let t = reason
        .trim()
        .trim_start_matches("case")
        .trim_start_matches("Case")
        .trim()
        .trim_start_matches('#')
        .trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    !t.is_empty()
        && !t.contains(' ')
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.' | '_'))
        && digits >= 4
        && digits * 2 >= t.chars().count()
}

pub(crate) fn has_term(text: &str, terms: &[&str]) -> bool {
    let joined = format!(" {} ", words(text).join(" "));
    terms.iter().any(|t| joined.contains(&format!(" {t} ")))
}

fn outliers(counts: &BTreeMap<String, u64>) -> Vec<Outlier> {
    if counts.len() < 4 {
        return Vec::new();
    }
    let mut v: Vec<u64> = counts.values().copied().collect();
    v.sort_unstable();
    let median = |s: &[u64]| {
        if s.len() % 2 == 1 {
            s[s.len() / 2] as f64
        } else {
            (s[s.len() / 2 - 1] + s[s.len() / 2]) as f64 / 2.0
        }
    };
    let m = median(&v);
    let mut dev: Vec<u64> = v
        .iter()
        .map(|x| (*x as f64 - m).abs().round() as u64)
        .collect();
    dev.sort_unstable();
    let mad = median(&dev).max(1.0);
    let mut out: Vec<Outlier> = counts
        .iter()
        .filter(|(_, c)| **c >= 10 && **c as f64 > m + 5.0 * mad)
        .map(|(n, c)| Outlier {
            name: n.clone(),
            searches: *c,
            median: m,
        })
        .collect();
    out.sort_by_key(|o| std::cmp::Reverse(o.searches));
    out
}

fn top(counts: BTreeMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// Analyses searches read from one or more files.
pub fn analyze(records: &[SearchRecord], files: Vec<FileSummary>, retention_days: f64) -> Report {
    let rules = ScreeningRules::published().ok();
    let mut r = Report {
        files,
        ..Default::default()
    };
    let total = records.len() as u64;
    r.totals.searches = total;
    let mut agencies: BTreeMap<String, u64> = BTreeMap::new();
    let mut officers: BTreeMap<String, u64> = BTreeMap::new();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut late_reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut prohibited: BTreeMap<String, RuleFinding> = BTreeMap::new();
    let (mut net_sum, mut net_n, mut dev_sum, mut dev_n) = (0u64, 0u64, 0u64, 0u64);
    r.lookback.retention_days = retention_days;
    // Real logs repeat the same few reasons endlessly: classify each distinct text once.
    let mut memo: std::collections::HashMap<String, Classified> = std::collections::HashMap::new();
    let classify = |text: &str| -> Classified {
        let norm = normalised(text);
        let hits = rules.map(|r| r.screen(text)).unwrap_or_default();
        Classified {
            blank: norm.is_empty(),
            vague: VAGUE_REASONS.contains(&norm.as_str()),
            case_number: is_case_number(text),
            federal: has_term(text, FEDERAL_TERMS),
            hits,
        }
    };
    for s in records {
        if let Some(t) = s.time {
            r.totals.first = Some(r.totals.first.map_or(t, |f| f.min(t)));
            r.totals.last = Some(r.totals.last.map_or(t, |l| l.max(t)));
        }
        *r.totals
            .by_type
            .entry(s.search_type.clone().unwrap_or_else(|| "unknown".into()))
            .or_default() += 1;
        if let Some(a) = &s.agency {
            *agencies.entry(a.clone()).or_default() += 1;
        }
        if let Some(o) = &s.officer {
            let key = match &s.agency {
                Some(a) => format!("{o} ({a})"),
                None => o.clone(),
            };
            *officers.entry(key).or_default() += 1;
        }
        match s.networks {
            Some(n) => {
                net_sum += n;
                net_n += 1;
                if n <= 1 {
                    r.reach.single_network.add(s)
                } else {
                    r.reach.multi_network.add(s)
                }
                if n > r.reach.max_networks || r.reach.widest.is_none() {
                    r.reach.max_networks = r.reach.max_networks.max(n);
                    r.reach.widest = Some(RowRef {
                        source: s.source.clone(),
                        line: s.line,
                    });
                }
            }
            None => r.reach.unknown += 1,
        }
        if let Some(d) = s.devices {
            dev_sum += d;
            dev_n += 1;
            r.reach.max_devices = r.reach.max_devices.max(d);
        }
        let reason = s.reason.clone().unwrap_or_default();
        let reference = s.time.or(s.window_end);
        if let (Some(start), Some(at)) = (s.window_start, reference) {
            let days = (at - start).num_seconds() as f64 / 86_400.0;
            r.lookback.max_days = r.lookback.max_days.max(days);
            if days > retention_days {
                r.lookback.beyond_retention.add(s);
                *late_reasons
                    .entry(if reason.trim().is_empty() {
                        "(blank)".into()
                    } else {
                        reason.trim().to_owned()
                    })
                    .or_default() += 1;
            }
        }
        let c = memo
            .entry(reason.clone())
            .or_insert_with(|| classify(&reason))
            .clone();
        if c.blank {
            r.reasons.blank.add(s);
        } else {
            *reasons.entry(reason.trim().to_owned()).or_default() += 1;
            if c.vague {
                r.reasons.vague.add(s);
            } else if c.case_number {
                r.reasons.case_number_only.add(s);
            }
        }
        let behalf = s.on_behalf_of.clone().unwrap_or_default();
        let b = memo
            .entry(behalf.clone())
            .or_insert_with(|| classify(&behalf))
            .clone();
        let mut seen = BTreeSet::new();
        for h in c.hits.iter().chain(&b.hits) {
            if !seen.insert(h.rule.clone()) {
                continue;
            }
            let desc = rules
                .and_then(|rs| rs.rules.iter().find(|x| x.id == h.rule))
                .map(|x| x.description.clone())
                .unwrap_or_default();
            prohibited
                .entry(h.rule.clone())
                .or_insert_with(|| RuleFinding {
                    rule: h.rule.clone(),
                    purpose: h.purpose.code().into(),
                    description: desc,
                    finding: Finding::default(),
                })
                .finding
                .add(s);
        }
        if c.federal || b.federal {
            r.federal.add(s);
        }
    }
    r.totals.agencies = agencies.len();
    r.totals.officers = officers.len();
    r.totals.span_days = match (r.totals.first, r.totals.last) {
        (Some(f), Some(l)) => (l - f).num_seconds() as f64 / 86_400.0,
        _ => 0.0,
    };
    r.reach.mean_networks = if net_n == 0 {
        0.0
    } else {
        net_sum as f64 / net_n as f64
    };
    r.reach.mean_devices = if dev_n == 0 {
        0.0
    } else {
        dev_sum as f64 / dev_n as f64
    };
    for f in [
        &mut r.reach.single_network,
        &mut r.reach.multi_network,
        &mut r.lookback.beyond_retention,
        &mut r.reasons.blank,
        &mut r.reasons.vague,
        &mut r.reasons.case_number_only,
        &mut r.federal,
    ] {
        f.finish(total);
    }
    r.reasons.prohibited = prohibited.into_values().collect();
    for p in &mut r.reasons.prohibited {
        p.finding.finish(total);
    }
    r.reasons.top = top(reasons, 20);
    r.lookback.reasons = top(late_reasons, 20);
    r.agency_outliers = outliers(&agencies);
    r.officer_outliers = outliers(&officers);
    r.rules = PublishedRules {
        screening_rules: ScreeningRules::source().to_owned(),
        vague_reasons: VAGUE_REASONS.iter().map(|s| (*s).to_owned()).collect(),
        federal_terms: FEDERAL_TERMS.iter().map(|s| (*s).to_owned()).collect(),
        case_number: "the whole reason is one token of letters, digits and - / . _, with at least four digits making up at least half of it (a leading `case` or `#` is ignored)".into(),
        outliers: "at least 10 searches and more than the median plus five median absolute deviations, among at least four agencies or officers".into(),
    };
    // The live node's usage-watch detectors, with their default thresholds.
    r.watch = crate::watch::watch_records(records, &crate::watch::Thresholds::default());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_case_numbers() {
        for yes in [
            "26-001234",
            "#2025-0042",
            "CR24-00017",
            "case 25-0042",
            "20250042",
        ] {
            assert!(is_case_number(yes), "{yes}");
        }
        for no in [
            "stolen vehicle",
            "inv",
            "26",
            "I-94 crash",
            "ABC1234 stolen",
        ] {
            assert!(!is_case_number(no), "{no}");
        }
    }

    #[test]
    fn test_outliers() {
        let mut m: BTreeMap<String, u64> = (0..10).map(|i| (format!("a{i}"), 5 + i % 3)).collect();
        m.insert("heavy".into(), 400);
        let o = outliers(&m);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].name, "heavy");
    }
}

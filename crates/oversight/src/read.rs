//! Readers: Flock CSV exports (organisation and network audits) and Sightline's own log.

use crate::{Error, Result};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use sightline_audit::AuditEntry;
use std::path::Path;

/// One search, whatever log it came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SearchRecord {
    /// File (or `sightline`) it came from.
    pub source: String,
    /// Line in the file (header is line 1), or the audit sequence number.
    pub line: u64,
    /// Row id, when the export has one.
    pub id: Option<String>,
    /// Searching agency.
    pub agency: Option<String>,
    /// Searching officer.
    pub officer: Option<String>,
    /// `lookup` (plate) or `search` (attributes), or Sightline's query kind.
    pub search_type: Option<String>,
    /// Reason as typed.
    pub reason: Option<String>,
    /// Case number, when a column holds one.
    pub case_number: Option<String>,
    /// When the search ran.
    pub time: Option<DateTime<Utc>>,
    /// Start of the searched window.
    pub window_start: Option<DateTime<Utc>>,
    /// End of the searched window.
    pub window_end: Option<DateTime<Utc>>,
    /// Networks (data owners) searched.
    pub networks: Option<u64>,
    /// Devices (cameras) searched.
    pub devices: Option<u64>,
    /// Agency the search was made for (Sightline logs).
    pub on_behalf_of: Option<String>,
    /// Plate searched, when the export lists it (`***` and other redactions are kept as given).
    pub plate: Option<String>,
}

/// What reading one file found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileSummary {
    /// The file.
    pub file: String,
    /// Detected format.
    pub format: String,
    /// Rows read (including rows with unreadable fields).
    pub rows: u64,
    /// Columns recognised, with the field each maps to.
    pub columns: Vec<(String, String)>,
    /// Columns not understood (kept out of the analysis, listed here).
    pub unknown_columns: Vec<String>,
    /// Rows or fields that could not be read: (line, problem).
    pub problems: Vec<(u64, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Id,
    Agency,
    Officer,
    Networks,
    Devices,
    WindowStart,
    WindowEnd,
    Reason,
    Time,
    SearchType,
    Case,
    Plate,
    Known,
}

fn normalise_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn field_of(header: &str) -> Option<(Field, &'static str)> {
    Some(match normalise_header(header).as_str() {
        "id" | "searchid" | "auditid" => (Field::Id, "id"),
        "orgname" | "organization" | "organizationname" | "org" | "agency" | "agencyname" => {
            (Field::Agency, "agency")
        }
        "name" | "officer" | "officername" | "user" | "username" | "searcher" => {
            (Field::Officer, "officer")
        }
        "totalnetworkssearched" | "networkssearched" | "networks" => (Field::Networks, "networks"),
        "totaldevicessearched" | "devicessearched" | "devices" | "camerassearched" => {
            (Field::Devices, "devices")
        }
        "timeframestart" | "searchstart" | "windowstart" | "start" => {
            (Field::WindowStart, "window_start")
        }
        "timeframeend" | "searchend" | "windowend" | "end" => (Field::WindowEnd, "window_end"),
        "reason" | "searchreason" | "justification" => (Field::Reason, "reason"),
        "searchtime" | "time" | "timestamp" | "searchedat" | "date" => (Field::Time, "time"),
        "searchtype" | "type" => (Field::SearchType, "search_type"),
        "case" | "casenumber" | "caseno" | "casenum" | "incidentnumber" => {
            (Field::Case, "case_number")
        }
        "licenseplate" | "plate" | "platenumber" => (Field::Plate, "plate"),
        "moderation" | "offensetype" | "offense" | "filters" | "vehicle" => {
            (Field::Known, "kept, not analysed")
        }
        _ => return None,
    })
}

/// Parses the timestamp styles seen in real exports: `MM/DD/YYYY, hh:mm:ss AM UTC`, RFC 3339 /
/// ISO 8601 (with `Z` or an offset), and `YYYY-MM-DD HH:MM:SS` (taken as UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let stripped = t.trim_end_matches("UTC").trim_end_matches('Z').trim();
    for fmt in [
        "%m/%d/%Y, %I:%M:%S %p",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y, %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(stripped, fmt) {
            return Some(n.and_utc());
        }
    }
    None
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Reads one file, detecting its format: JSON Lines (a Sightline export) or CSV (Flock).
///
/// # Errors
/// Only when the file cannot be opened; bad rows are reported in the summary.
pub fn read_file(path: &Path) -> Result<(Vec<SearchRecord>, FileSummary)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Unreadable {
        path: path.display().to_string(),
        why: e.to_string(),
    })?;
    Ok(read_text(&text, &path.display().to_string()))
}

/// Reads a file's text, detecting its format as [`read_file`] does; `name` labels the records.
/// Never fails: what cannot be read is listed in the summary's problems.
pub fn read_text(text: &str, name: &str) -> (Vec<SearchRecord>, FileSummary) {
    if text.trim_start().starts_with('{') {
        read_sightline_jsonl(text, name)
    } else {
        read_csv(text, name)
    }
}

fn read_csv(text: &str, name: &str) -> (Vec<SearchRecord>, FileSummary) {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut summary = FileSummary {
        file: name.to_owned(),
        format: "csv".into(),
        ..Default::default()
    };
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            summary
                .problems
                .push((1, format!("header unreadable: {e}")));
            return (Vec::new(), summary);
        }
    };
    let mut map: Vec<Option<Field>> = Vec::new();
    for h in headers.iter() {
        match field_of(h) {
            Some((f, label)) => {
                summary.columns.push((h.to_owned(), label.to_owned()));
                map.push(Some(f));
            }
            None => {
                summary.unknown_columns.push(h.to_owned());
                map.push(None);
            }
        }
    }
    let has = |f: Field| map.contains(&Some(f));
    summary.format = if has(Field::WindowStart) || has(Field::SearchType) {
        "flock-organization-audit".into()
    } else if has(Field::Officer) && has(Field::Agency) {
        "flock-network-audit".into()
    } else {
        "csv".into()
    };
    let mut out = Vec::new();
    for rec in rdr.records() {
        summary.rows += 1;
        let line = summary.rows + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                summary
                    .problems
                    .push((line, format!("row unreadable: {e}")));
                continue;
            }
        };
        let line = rec.position().map_or(line, |p| p.line());
        let mut r = SearchRecord {
            source: name.to_owned(),
            line,
            ..Default::default()
        };
        for (value, field) in rec.iter().zip(&map) {
            let Some(field) = field else { continue };
            let mut time = |what: &str| {
                let t = parse_time(value);
                if t.is_none() && !value.trim().is_empty() {
                    summary.problems.push((
                        line,
                        format!("{what} `{value}` is not a timestamp this reader knows"),
                    ));
                }
                t
            };
            match field {
                Field::Id => r.id = opt(value),
                Field::Agency => r.agency = opt(value),
                Field::Officer => r.officer = opt(value),
                Field::Reason => r.reason = opt(value),
                Field::SearchType => r.search_type = opt(value).map(|s| s.to_lowercase()),
                Field::Case => r.case_number = opt(value),
                Field::Plate => r.plate = opt(value),
                Field::Time => r.time = time("search time"),
                Field::WindowStart => r.window_start = time("time frame start"),
                Field::WindowEnd => r.window_end = time("time frame end"),
                Field::Networks | Field::Devices => {
                    let n = value.trim().replace(',', "");
                    let parsed = if n.is_empty() {
                        None
                    } else {
                        n.parse::<u64>().ok()
                    };
                    if parsed.is_none() && !n.is_empty() {
                        summary
                            .problems
                            .push((line, format!("`{value}` is not a count")));
                    }
                    if *field == Field::Networks {
                        r.networks = parsed
                    } else {
                        r.devices = parsed
                    }
                }
                Field::Known => {}
            }
        }
        out.push(r);
    }
    (out, summary)
}

/// Maps one Sightline audit entry onto a search record (searches only).
pub fn record_from_entry(e: &AuditEntry, source: &str) -> Option<SearchRecord> {
    if e.action != "search" {
        return None;
    }
    let req = e.details.get("request");
    let s = |v: Option<&serde_json::Value>| {
        v.and_then(|x| x.as_str())
            .map(str::to_owned)
            .filter(|x| !x.trim().is_empty())
    };
    let window = req
        .and_then(|r| r.get("query"))
        .and_then(|q| q.get("window"));
    let t = |k: &str| {
        window
            .and_then(|w| w.get(k))
            .and_then(|x| x.as_str())
            .and_then(parse_time)
    };
    let kind = req.and_then(|r| r.get("query")).map(|q| {
        if q.get("plate").is_some_and(|p| !p.is_null()) {
            "lookup"
        } else {
            "search"
        }
    });
    Some(SearchRecord {
        source: source.to_owned(),
        line: e.seq,
        id: Some(e.seq.to_string()),
        agency: e.actor.agency.as_ref().map(|a| a.to_string()),
        officer: Some(e.actor.name.clone()),
        search_type: kind.map(str::to_owned),
        reason: s(req.and_then(|r| r.get("reason"))),
        case_number: s(req.and_then(|r| r.get("case_number"))),
        time: Some(e.time),
        window_start: t("from"),
        window_end: t("to"),
        networks: e
            .details
            .get("decisions")
            .and_then(|d| d.as_array())
            .map(|a| a.len() as u64),
        devices: None,
        plate: None,
        // The node records the on-behalf-of agency's kind beside the request.
        on_behalf_of: s(req.and_then(|r| r.get("on_behalf_of"))).map(|b| {
            match e.details.get("on_behalf_of_kind").and_then(|k| k.as_str()) {
                Some(kind) => format!("{b} ({kind})"),
                None => b,
            }
        }),
    })
}

/// Reads audit entries already in memory (the node's own log).
pub fn read_sightline_entries(entries: &[AuditEntry]) -> (Vec<SearchRecord>, FileSummary) {
    let mut summary = FileSummary {
        file: "sightline audit log".into(),
        format: "sightline".into(),
        ..Default::default()
    };
    summary.rows = entries.len() as u64;
    let out = entries
        .iter()
        .filter_map(|e| record_from_entry(e, "sightline"))
        .collect();
    (out, summary)
}

fn read_sightline_jsonl(text: &str, name: &str) -> (Vec<SearchRecord>, FileSummary) {
    let mut summary = FileSummary {
        file: name.to_owned(),
        format: "sightline-jsonl".into(),
        ..Default::default()
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        summary.rows += 1;
        match serde_json::from_str::<AuditEntry>(line) {
            Ok(e) => out.extend(record_from_entry(&e, name).map(|mut r| {
                r.line = i as u64 + 1;
                r
            })),
            Err(err) => summary
                .problems
                .push((i as u64 + 1, format!("not an audit entry: {err}"))),
        }
    }
    (out, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_time_formats() {
        assert_eq!(
            parse_time("03/02/2026, 08:00:00 PM UTC")
                .unwrap()
                .to_rfc3339(),
            "2026-03-02T20:00:00+00:00"
        );
        assert_eq!(
            parse_time("2025-06-03T14:22:10Z").unwrap().to_rfc3339(),
            "2025-06-03T14:22:10+00:00"
        );
        assert_eq!(
            parse_time("2025-06-03 14:22:10").unwrap().to_rfc3339(),
            "2025-06-03T14:22:10+00:00"
        );
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn test_header_variants_map_by_name() {
        let csv = "Org Name,TOTAL NETWORKS SEARCHED,total_devices_searched,Time Frame Start,Search Time,reason,Officer Badge\n\
                   A PD,\"1,200\",5,\"01/01/2026, 01:00:00 AM UTC\",2026-01-02T00:00:00Z,inv,77\n\
                   B PD,x,5,soon,2026-01-02T00:00:00Z,bolo,78\n\
                   C PD,3\n";
        let (rows, s) = read_csv(csv, "t.csv");
        assert_eq!(s.unknown_columns, vec!["Officer Badge"]);
        assert_eq!(rows.len(), 2, "the short row is reported, not analysed");
        assert_eq!(rows[0].networks, Some(1200));
        assert_eq!(s.rows, 3);
        let lines: Vec<u64> = s.problems.iter().map(|p| p.0).collect();
        assert_eq!(lines, vec![3, 3, 4], "{:?}", s.problems);
    }
}

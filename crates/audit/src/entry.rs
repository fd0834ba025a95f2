//! Audit entries: what callers submit ([`EntryDraft`]) and what is stored ([`AuditEntry`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sightline_types::AgencyId;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A signed-in user.
    User,
    /// A camera device.
    Camera,
    /// The node itself (retention, start-up, simulator set-up).
    System,
}

/// The actor of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    /// Kind.
    pub kind: ActorKind,
    /// User id, camera id, or `system`.
    pub id: String,
    /// Username or camera name.
    pub name: String,
    /// The actor's agency.
    pub agency: Option<AgencyId>,
}

impl Actor {
    /// The node itself.
    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            id: "system".into(),
            name: "system".into(),
            agency: None,
        }
    }
}

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryDraft {
    /// Who.
    pub actor: Actor,
    /// What, as a dotted code: `search`, `search.refused`, `sharing.create`, …
    pub action: String,
    /// `allowed`, `partial`, `denied`, `refused`, `ok`.
    pub outcome: String,
    /// Data owners whose data the action touched or was decided on.
    pub owners: Vec<AgencyId>,
    /// Action-specific details (request, decisions, result count and digest, …).
    pub details: serde_json::Value,
}

impl EntryDraft {
    /// A draft for a typed action.
    pub fn new(
        actor: Actor,
        action: crate::Action,
        outcome: &str,
        owners: Vec<AgencyId>,
        details: serde_json::Value,
    ) -> Self {
        EntryDraft {
            actor,
            action: action.code().to_owned(),
            outcome: outcome.to_owned(),
            owners,
            details,
        }
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Sequence number, from 1, without gaps.
    pub seq: u64,
    /// When it was appended.
    pub time: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: String,
    /// Outcome.
    pub outcome: String,
    /// Data owners concerned.
    pub owners: Vec<AgencyId>,
    /// Details.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl AuditEntry {
    /// The typed action (`None` for a code this build does not know).
    pub fn kind(&self) -> Option<crate::Action> {
        crate::Action::parse(&self.action)
    }

    /// Returns the canonical bytes that are hashed: JSON with object keys sorted.
    ///
    /// # Errors
    /// Encoding failures (not expected for well-formed entries).
    pub fn canonical_bytes(&self) -> serde_json::Result<Vec<u8>> {
        // `serde_json::Value` keeps objects in a BTreeMap (no `preserve_order`), so going through
        // a Value sorts every object's keys at every depth: a stable encoding for hashing.
        serde_json::to_vec(&serde_json::to_value(self)?)
    }
}

/// Reads a JSON Lines export (one entry's canonical JSON per line; blank lines skipped) back
/// into entries. It reads, it does not verify: [`crate::verify_jsonl`] checks the hashes.
///
/// # Errors
/// `Export` naming the first line that is not an audit entry; `Io` when reading fails.
pub fn read_jsonl(input: impl std::io::BufRead) -> crate::Result<Vec<AuditEntry>> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(crate::Error::Export {
                    line: i as u64 + 1,
                    why: "not UTF-8 text".into(),
                });
            }
            Err(source) => {
                return Err(crate::Error::Io {
                    path: "export".into(),
                    source,
                });
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let entry = serde_json::from_str(&line).map_err(|e| crate::Error::Export {
            line: i as u64 + 1,
            why: format!("not an audit entry: {e}"),
        })?;
        out.push(entry);
    }
    Ok(out)
}

/// Column names of the CSV export, in order (documented in `FORMAT.md`).
pub const CSV_COLUMNS: &[&str] = &[
    "seq",
    "time",
    "actor_kind",
    "actor_id",
    "actor_name",
    "actor_agency",
    "action",
    "outcome",
    "owners",
    "purpose",
    "case_number",
    "reason",
    "on_behalf_of",
    "query",
    "result_count",
    "excluded_owners",
    "details",
];

/// Escapes a CSV cell that a spreadsheet would run as a formula (`= + - @`, tab, CR) by
/// prefixing `'`.
pub fn csv_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Writes entries as CSV with [`CSV_COLUMNS`]; `details` holds the full JSON so nothing is lost.
/// Cells a spreadsheet would run as formulas are escaped ([`csv_safe`]).
///
/// # Errors
/// I/O failures.
pub fn write_csv<'a>(
    entries: impl Iterator<Item = &'a AuditEntry>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<u64> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_COLUMNS)?;
    let mut n = 0;
    for e in entries {
        let d = &e.details;
        let req = d.get("request").cloned().unwrap_or(serde_json::Value::Null);
        let s = |v: Option<&serde_json::Value>| match v {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let excluded: Vec<String> = d
            .get("decisions")
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter(|x| x.get("outcome").and_then(|o| o.as_str()) == Some("excluded"))
                    .map(|x| format!("{}:{}", s(x.get("owner")), s(x.get("rule"))))
                    .collect()
            })
            .unwrap_or_default();
        let owners: Vec<&str> = e.owners.iter().map(|o| o.as_str()).collect();
        let kind = serde_json::to_value(e.actor.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let cells = [
            e.seq.to_string(),
            e.time.to_rfc3339(),
            kind,
            e.actor.id.clone(),
            e.actor.name.clone(),
            e.actor
                .agency
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            e.action.clone(),
            e.outcome.clone(),
            owners.join(";"),
            s(req.get("purpose")),
            s(req.get("case_number")),
            s(req.get("reason")),
            s(req.get("on_behalf_of")),
            s(req.get("query")),
            s(d.get("result_count")),
            excluded.join(";"),
            d.to_string(),
        ];
        w.write_record(cells.iter().map(|c| csv_safe(c)))?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

#[cfg(test)]
mod csv_tests {
    use super::csv_safe;

    #[test]
    fn test_formula_cells_are_escaped() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("+1"), "'+1");
        assert_eq!(csv_safe("@SUM"), "'@SUM");
        assert_eq!(csv_safe("-2"), "'-2");
        assert_eq!(csv_safe("stolen vehicle"), "stolen vehicle");
    }
}

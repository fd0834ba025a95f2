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

//! The facts a policy decision sees.

use serde::Serialize;
use sightline_types::{Agency, Purpose, Role};

/// Facts about one party (requester, on-behalf-of agency, or data owner).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartyFacts {
    /// Agency id.
    pub agency: String,
    /// Agency kind code (`municipal`, `federal`, …).
    pub kind: String,
    /// Jurisdiction code (`US-IL`).
    pub jurisdiction: String,
    /// Country part of the jurisdiction (`US`).
    pub country: String,
    /// Public agency (not a private operator).
    pub public: bool,
}

impl From<&Agency> for PartyFacts {
    fn from(a: &Agency) -> Self {
        PartyFacts {
            agency: a.id.to_string(),
            kind: a.kind.code().to_owned(),
            jurisdiction: a.jurisdiction.to_string(),
            country: a.jurisdiction.country().to_owned(),
            public: a.kind.is_public(),
        }
    }
}

/// Everything the policy may consider for one (search, owner) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRequest {
    /// The searching user's id.
    pub user_id: i64,
    /// Their role.
    pub role: Role,
    /// Their agency.
    pub requester: PartyFacts,
    /// The agency the search is made for; the requester's own when not stated.
    pub on_behalf_of: PartyFacts,
    /// The data owner.
    pub owner: PartyFacts,
    /// The declared purpose.
    pub purpose: Purpose,
    /// The declared purpose plus any purposes inferred from the reason and on-behalf-of text.
    pub purposes: Vec<Purpose>,
    /// Whether a case number was given.
    pub has_case_number: bool,
    /// Purposes for which the owner's active agreements cover the requester's agency.
    pub agreement_purposes: Vec<Purpose>,
    /// Purposes for which the owner's active agreements cover the on-behalf-of agency.
    pub on_behalf_agreement_purposes: Vec<Purpose>,
    /// Whether the requester has a written declaration on record for the owner's jurisdiction.
    pub declaration_on_record: bool,
    /// How many days before now the searched window starts.
    pub lookback_days: i64,
}

fn codes(p: &[Purpose]) -> Vec<&'static str> {
    p.iter().map(|p| p.code()).collect()
}

impl PolicyRequest {
    /// Renders the Cedar context record.
    pub(crate) fn context_json(&self) -> serde_json::Value {
        serde_json::json!({
            "role": self.role.code(),
            "requester": self.requester,
            "on_behalf_of": self.on_behalf_of,
            "owner": self.owner,
            "purpose": self.purpose.code(),
            "purposes": codes(&self.purposes),
            "has_case_number": self.has_case_number,
            "agreement_purposes": codes(&self.agreement_purposes),
            "on_behalf_agreement_purposes": codes(&self.on_behalf_agreement_purposes),
            "declaration_on_record": self.declaration_on_record,
            "lookback_days": self.lookback_days,
        })
    }
}

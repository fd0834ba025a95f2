//! The facts a policy decision sees. Gathered by the search path; rendered as the Cedar context
//! described in `policies/schema.cedarschema`.

use serde::Serialize;
use sightline_types::{Agency, Purpose, Role};

/// ISO 3166-1 codes of the EU member states.
pub const EU_COUNTRIES: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Facts about one party (requester, on-behalf-of agency, or data owner).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
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
    /// In an EU member state.
    pub eu: bool,
}

impl From<&Agency> for PartyFacts {
    fn from(a: &Agency) -> Self {
        let country = a.jurisdiction.country().to_owned();
        PartyFacts {
            agency: a.id.to_string(),
            kind: a.kind.code().to_owned(),
            jurisdiction: a.jurisdiction.to_string(),
            eu: EU_COUNTRIES.contains(&country.as_str()),
            country,
            public: a.kind.is_public(),
        }
    }
}

/// Everything the policy may consider for one (search, owner) pair.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
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
    /// The case number's shape: digits as `9`, letters as `A`, other characters kept
    /// (`26-000123` → `99-999999`), so agency policies can require a format.
    pub case_number_shape: String,
    /// `plate`, `description`, `multi_location` or `convoy`.
    pub query_kind: String,
    /// Whether a court order or warrant was given (already checked for shape and dates).
    #[serde(default)]
    pub has_warrant: bool,
    /// Length of the searched window, hours (rounded up).
    pub window_hours: i64,
    /// How far before now the window starts, minutes.
    pub lookback_minutes: i64,
    /// The owner's non-hit retention, minutes.
    pub owner_retention_minutes: i64,
    /// Purposes for which the owner's active agreements cover the requester's agency.
    pub agreement_purposes: Vec<Purpose>,
    /// Purposes for which the owner's active agreements cover the on-behalf-of agency.
    pub on_behalf_agreement_purposes: Vec<Purpose>,
    /// Whether the requester has a written declaration on record for the owner's jurisdiction.
    pub declaration_on_record: bool,
    /// Whether the on-behalf-of agency has one.
    pub on_behalf_declaration_on_record: bool,
}

fn codes(p: &[Purpose]) -> Vec<&'static str> {
    p.iter().map(|p| p.code()).collect()
}

/// Returns the shape of a case number: digits → `9`, letters → `A`, others kept.
pub fn case_number_shape(case: &str) -> String {
    case.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_alphabetic() {
                'A'
            } else {
                c
            }
        })
        .collect()
}

impl PolicyRequest {
    /// Renders the Cedar context record.
    pub fn context_json(&self) -> serde_json::Value {
        serde_json::json!({
            "role": self.role.code(),
            "requester": self.requester,
            "on_behalf_of": self.on_behalf_of,
            "owner": self.owner,
            "purpose": self.purpose.code(),
            "purposes": codes(&self.purposes),
            "has_case_number": self.has_case_number,
            "case_number_shape": self.case_number_shape,
            "query_kind": self.query_kind,
            "has_warrant": self.has_warrant,
            "window_hours": self.window_hours,
            "lookback_minutes": self.lookback_minutes,
            "owner_retention_minutes": self.owner_retention_minutes,
            "agreement_purposes": codes(&self.agreement_purposes),
            "on_behalf_agreement_purposes": codes(&self.on_behalf_agreement_purposes),
            "declaration_on_record": self.declaration_on_record,
        })
    }
}

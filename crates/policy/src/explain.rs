//! `sightline policy explain`: evaluate a hypothetical search, given as JSON, against a
//! deployment's packs without touching any data. For admins and lawyers checking a configuration.

use crate::screening::{ScreenHit, infer_purposes};
use crate::{EU_COUNTRIES, PartyFacts, PolicyEngine, PolicyRequest, Result, case_number_shape};
use serde::{Deserialize, Serialize};
use sightline_types::{Purpose, Role};

/// A party as written in an explain request.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PartySpec {
    /// Agency id (any label).
    pub agency: String,
    /// Kind code.
    pub kind: String,
    /// Jurisdiction code.
    pub jurisdiction: String,
    /// Display name (screened like a real on-behalf-of agency's name).
    #[serde(default)]
    pub name: String,
}

impl PartySpec {
    fn facts(&self) -> PartyFacts {
        let j = self.jurisdiction.to_ascii_uppercase();
        let country = j.split('-').next().unwrap_or_default().to_owned();
        PartyFacts {
            agency: self.agency.clone(),
            kind: self.kind.clone(),
            eu: EU_COUNTRIES.contains(&country.as_str()),
            country,
            jurisdiction: j,
            public: self.kind != "private",
        }
    }
}

/// A hypothetical search for one owner.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainRequest {
    /// The searching agency.
    pub requester: PartySpec,
    /// The data owner.
    pub owner: PartySpec,
    /// On whose behalf.
    #[serde(default)]
    pub on_behalf_of: Option<PartySpec>,
    /// Role (default officer).
    #[serde(default)]
    pub role: Option<String>,
    /// Declared purpose code.
    pub purpose: String,
    /// Free-text reason.
    #[serde(default)]
    pub reason: String,
    /// Case number.
    #[serde(default)]
    pub case_number: String,
    /// `plate` or `description`.
    #[serde(default = "plate")]
    pub query_kind: String,
    /// A court order or warrant was given (analysis searches).
    #[serde(default)]
    pub has_warrant: bool,
    /// Minutes between now and the window start.
    pub lookback_minutes: i64,
    /// Window length, minutes (default: the look-back).
    #[serde(default)]
    pub window_minutes: Option<i64>,
    /// Purposes the owner's agreements grant the requester.
    #[serde(default)]
    pub agreement_purposes: Vec<String>,
    /// … grant the on-behalf-of agency.
    #[serde(default)]
    pub on_behalf_agreement_purposes: Vec<String>,
    /// Requester has a declaration on record for the owner's jurisdiction.
    #[serde(default)]
    pub declaration_on_record: bool,
    /// On-behalf-of agency has one.
    #[serde(default)]
    pub on_behalf_declaration_on_record: bool,
}

fn plate() -> String {
    "plate".into()
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// Deciding rule.
    pub rule: String,
    /// Its citation.
    pub citation: String,
    /// Plain language.
    pub explanation: String,
    /// Declared plus inferred purposes.
    pub purposes: Vec<Purpose>,
    /// What screening found.
    pub screening: Vec<ScreenHit>,
    /// Packs applied to the owner.
    pub packs: Vec<String>,
    /// The owner's non-hit retention, minutes.
    pub owner_retention_minutes: i64,
}

fn purposes(codes: &[String]) -> Result<Vec<Purpose>> {
    codes
        .iter()
        .map(|c| {
            Purpose::parse(c).map_err(|e| crate::Error::Parse {
                name: "request".into(),
                message: e.to_string(),
            })
        })
        .collect()
}

impl ExplainRequest {
    /// Evaluates the request.
    ///
    /// # Errors
    /// Unknown purposes or roles.
    pub fn explain(&self, engine: &PolicyEngine) -> Result<Explanation> {
        let bad = |e: sightline_types::Error| crate::Error::Parse {
            name: "request".into(),
            message: e.to_string(),
        };
        let declared = Purpose::parse(&self.purpose).map_err(bad)?;
        let behalf = self.on_behalf_of.as_ref().unwrap_or(&self.requester);
        let behalf_text = self
            .on_behalf_of
            .as_ref()
            .map(|b| format!("{} {}", b.agency, b.name))
            .unwrap_or_default();
        let own = format!("{} {}", self.requester.agency, self.requester.name);
        let (all, hits) = infer_purposes(declared, &[&self.reason, &behalf_text, &own])?;
        let owner = self.owner.facts();
        let retention = engine.retention_minutes(&owner.jurisdiction, !owner.public);
        let window = self.window_minutes.unwrap_or(self.lookback_minutes);
        let req = PolicyRequest {
            user_id: 0,
            role: Role::parse(self.role.as_deref().unwrap_or("officer")).map_err(bad)?,
            requester: self.requester.facts(),
            on_behalf_of: behalf.facts(),
            purpose: declared,
            purposes: all.clone(),
            has_case_number: !self.case_number.trim().is_empty(),
            case_number_shape: case_number_shape(&self.case_number),
            query_kind: self.query_kind.clone(),
            has_warrant: self.has_warrant,
            window_hours: (window + 59) / 60,
            lookback_minutes: self.lookback_minutes,
            owner_retention_minutes: retention,
            agreement_purposes: purposes(&self.agreement_purposes)?,
            on_behalf_agreement_purposes: purposes(&self.on_behalf_agreement_purposes)?,
            declaration_on_record: self.declaration_on_record,
            on_behalf_declaration_on_record: self.on_behalf_declaration_on_record,
            owner,
        };
        let d = engine.evaluate(&req);
        let (rule, citation, explanation) = d.parts();
        Ok(Explanation {
            decision: if d.is_allow() { "allow" } else { "deny" },
            rule: rule.to_owned(),
            citation: citation.to_owned(),
            explanation: explanation.to_owned(),
            purposes: all,
            screening: hits,
            packs: engine
                .packs_for(&req.owner.jurisdiction)
                .iter()
                .map(|p| p.manifest.id.clone())
                .collect(),
            owner_retention_minutes: retention,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_explain_names_statute() {
        let engine = PolicyEngine::with_shipped_packs().unwrap();
        let req: ExplainRequest = serde_json::from_value(serde_json::json!({
            "requester": {"agency": "harris-county-so", "kind": "sheriff", "jurisdiction": "US-TX"},
            "owner": {"agency": "oak-park-pd", "kind": "municipal", "jurisdiction": "US-IL"},
            "purpose": "other_crime", "reason": "ICE+ERO", "case_number": "26-1",
            "lookback_minutes": 2880, "agreement_purposes": ["other_crime"], "declaration_on_record": true
        }))
        .unwrap();
        let e = req.explain(&engine).unwrap();
        assert_eq!(
            (e.decision, e.citation.as_str()),
            ("deny", "625 ILCS 5/2-130(b)(2)")
        );
        assert_eq!(e.packs, vec!["US-IL"]);
        assert_eq!(e.screening[0].rule, "screen.immigration");
    }

    #[test]
    fn test_bad_agency_policy_update_keeps_the_old_one() {
        let mut engine = PolicyEngine::with_shipped_packs().unwrap();
        let good = r#"@id("opd.no-traffic") @citation("Oak Park General Order 2024-7") @explanation("Oak Park does not use ALPR for traffic enforcement.")
            forbid (principal, action, resource) when { context.purposes.contains("traffic_enforcement") };
            @id("opd.case-format") @citation("Oak Park General Order 2024-7 §3") @explanation("Case numbers must look like 26-000123.")
            forbid (principal, action, resource) unless { context.case_number_shape == "99-999999" };"#;
        engine.set_agency_policy("oak-park-pd", good).unwrap();
        let mut req: ExplainRequest = serde_json::from_value(serde_json::json!({
            "requester": {"agency": "oak-park-pd", "kind": "municipal", "jurisdiction": "US-IL"},
            "owner": {"agency": "oak-park-pd", "kind": "municipal", "jurisdiction": "US-IL"},
            "purpose": "traffic_enforcement", "case_number": "26-000123", "lookback_minutes": 60
        }))
        .unwrap();
        assert_eq!(req.explain(&engine).unwrap().rule, "opd.no-traffic");
        req.purpose = "robbery".into();
        assert_eq!(req.explain(&engine).unwrap().decision, "allow");
        req.case_number = "robbery".into();
        assert_eq!(req.explain(&engine).unwrap().rule, "opd.case-format");
        // A permit, or a rule naming a fact that does not exist, is refused and changes nothing.
        assert!(engine.set_agency_policy("oak-park-pd", r#"@id("x") @citation("c") @explanation("e") permit (principal, action, resource);"#).is_err());
        let err = engine
            .set_agency_policy("oak-park-pd", r#"@id("y") @citation("c") @explanation("e") forbid (principal, action, resource) when { context.no_such_fact };"#)
            .unwrap_err();
        assert!(err.to_string().contains("`y`"), "{err}");
        assert_eq!(req.explain(&engine).unwrap().rule, "opd.case-format");
        // Packs validate against the schema too.
        let bad = crate::packs::PackSource {
            manifest: crate::packs::shipped().unwrap()[0].manifest.clone(),
            policies: r#"@id("z") @citation("c") @explanation("e") forbid (principal, action, resource) when { context.owner.kind == 3 };"#.into(),
            origin: "custom/US-IL.cedar".into(),
        };
        let err = PolicyEngine::with_packs(vec![bad]).unwrap_err().to_string();
        assert!(
            err.contains("custom/US-IL.cedar") && err.contains("`z`"),
            "{err}"
        );
    }
}

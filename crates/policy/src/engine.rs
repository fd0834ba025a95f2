//! Evaluation: pick the policy sets that apply to the owner, ask Cedar, explain the answer.

use crate::request::PolicyRequest;
use crate::{Error, Result};
use cedar_policy::{
    Authorizer, Context, Entities, EntityId, EntityTypeName, EntityUid, Policy, PolicyId,
    PolicySet, Request,
};
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

/// The outcome for one owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The owner's data may answer.
    Allow {
        /// Rule id that allowed it.
        rule: String,
        /// Its source.
        citation: String,
        /// Plain-language explanation.
        explanation: String,
    },
    /// The owner's data must not answer.
    Deny {
        /// Rule id that refused it.
        rule: String,
        /// Its source (statute, policy section).
        citation: String,
        /// Plain-language explanation.
        explanation: String,
    },
}

impl Decision {
    /// Tells whether this is an allow.
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }

    /// Returns (rule, citation, explanation).
    pub fn parts(&self) -> (&str, &str, &str) {
        match self {
            Decision::Allow {
                rule,
                citation,
                explanation,
            }
            | Decision::Deny {
                rule,
                citation,
                explanation,
            } => (rule, citation, explanation),
        }
    }
}

#[derive(Debug, Clone)]
struct RuleInfo {
    citation: String,
    explanation: String,
}

/// The policy engine: base policy plus law packs and agency policies.
#[derive(Debug, Clone)]
pub struct PolicyEngine {
    base: PolicySet,
    /// Law packs by jurisdiction code (`US`, `US-IL`, `DE`).
    packs: BTreeMap<String, PolicySet>,
    /// Agency policies by agency id; they can only narrow (Cedar: any forbid wins).
    agencies: BTreeMap<String, PolicySet>,
    rules: BTreeMap<String, RuleInfo>,
}

const BASE: &str = include_str!("../policies/base.cedar");

impl PolicyEngine {
    /// Builds the engine with the shipped base policy and no packs.
    ///
    /// # Errors
    /// Only if the shipped base policy were broken (caught by tests).
    pub fn with_base() -> Result<Self> {
        let mut e = PolicyEngine {
            base: PolicySet::new(),
            packs: BTreeMap::new(),
            agencies: BTreeMap::new(),
            rules: BTreeMap::new(),
        };
        e.base = e.parse_set("base", BASE)?;
        Ok(e)
    }

    /// Adds (or replaces) the law pack for a jurisdiction code.
    ///
    /// # Errors
    /// Parse errors, missing annotations, duplicate ids.
    pub fn add_pack(&mut self, jurisdiction: &str, src: &str) -> Result<()> {
        let set = self.parse_set(jurisdiction, src)?;
        self.packs.insert(jurisdiction.to_owned(), set);
        Ok(())
    }

    /// Adds (or replaces) an agency's own policy. Only `forbid` rules are accepted, so that an
    /// agency policy can narrow what the law allows but never widen it.
    ///
    /// # Errors
    /// Parse errors, missing annotations, or a `permit` rule.
    pub fn add_agency_policy(&mut self, agency: &str, src: &str) -> Result<()> {
        let set = self.parse_set(agency, src)?;
        if set
            .policies()
            .any(|p| p.effect() == cedar_policy::Effect::Permit)
        {
            return Err(Error::Parse {
                name: agency.to_owned(),
                message: "agency policies may only contain forbid rules".into(),
            });
        }
        self.agencies.insert(agency.to_owned(), set);
        Ok(())
    }

    fn parse_set(&mut self, name: &str, src: &str) -> Result<PolicySet> {
        let parsed = PolicySet::from_str(src).map_err(|e| Error::Parse {
            name: name.to_owned(),
            message: e.to_string(),
        })?;
        let mut out = PolicySet::new();
        let mut seen = HashSet::new();
        for p in parsed.policies() {
            let ann = |key: &'static str| {
                p.annotation(key)
                    .map(str::to_owned)
                    .ok_or(Error::MissingAnnotation {
                        name: name.to_owned(),
                        annotation: key,
                    })
            };
            let id = ann("id")?;
            let info = RuleInfo {
                citation: ann("citation")?,
                explanation: ann("explanation")?,
            };
            if !seen.insert(id.clone()) || (self.rules.contains_key(&id) && !self.owns(name, &id)) {
                return Err(Error::DuplicateId(id));
            }
            let policy: Policy = p.new_id(PolicyId::new(id.clone()));
            out.add(policy).map_err(|e| Error::Parse {
                name: name.to_owned(),
                message: e.to_string(),
            })?;
            self.rules.insert(id, info);
        }
        Ok(out)
    }

    /// Tells whether rule `id` belongs to the set being replaced (re-adding a pack is fine).
    fn owns(&self, name: &str, id: &str) -> bool {
        let pid = PolicyId::new(id);
        self.packs
            .get(name)
            .or_else(|| self.agencies.get(name))
            .is_some_and(|s| s.policy(&pid).is_some())
    }

    /// Returns the policy sets that apply to an owner, base first.
    fn applicable(&self, req: &PolicyRequest) -> PolicySet {
        let mut all = self.base.clone();
        let sets = [
            self.packs.get(&req.owner.country),
            self.packs
                .get(&req.owner.jurisdiction)
                .filter(|_| req.owner.jurisdiction != req.owner.country),
            self.agencies.get(&req.owner.agency),
        ];
        for set in sets.into_iter().flatten() {
            for p in set.policies() {
                let _ = all.add(p.clone());
            }
        }
        all
    }

    /// Decides for one owner. Evaluation errors deny (fail closed).
    pub fn evaluate(&self, req: &PolicyRequest) -> Decision {
        match self.try_evaluate(req) {
            Ok(d) => d,
            Err(msg) => Decision::Deny {
                rule: "policy.evaluation-error".into(),
                citation: "Sightline: policy errors fail closed".into(),
                explanation: format!(
                    "The policy could not be evaluated ({msg}); access is refused."
                ),
            },
        }
    }

    fn try_evaluate(&self, req: &PolicyRequest) -> std::result::Result<Decision, String> {
        let uid = |ty: &str, id: &str| {
            EntityTypeName::from_str(ty)
                .map(|t| EntityUid::from_type_name_and_id(t, EntityId::new(id)))
                .map_err(|e| e.to_string())
        };
        let principal = uid("Sightline::User", &req.user_id.to_string())?;
        let action = uid("Sightline::Action", "search")?;
        let resource = uid("Sightline::Dataset", &req.owner.agency)?;
        let context =
            Context::from_json_value(req.context_json(), None).map_err(|e| e.to_string())?;
        let request =
            Request::new(principal, action, resource, context, None).map_err(|e| e.to_string())?;
        let set = self.applicable(req);
        let response = Authorizer::new().is_authorized(&request, &set, &Entities::empty());
        if let Some(err) = response.diagnostics().errors().next() {
            return Err(err.to_string());
        }
        let mut reasons: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|p| p.to_string())
            .collect();
        // Prefer the most specific rule: law packs and agency rules over base rules.
        reasons.sort_by_key(|r| (r.starts_with("base."), r.clone()));
        let explain = |rule: String| {
            let info = self.rules.get(&rule).cloned().unwrap_or(RuleInfo {
                citation: String::new(),
                explanation: String::new(),
            });
            (rule, info.citation, info.explanation)
        };
        Ok(match (response.decision(), reasons.into_iter().next()) {
            (cedar_policy::Decision::Allow, Some(rule)) => {
                let (rule, citation, explanation) = explain(rule);
                Decision::Allow {
                    rule,
                    citation,
                    explanation,
                }
            }
            (cedar_policy::Decision::Deny, Some(rule)) => {
                let (rule, citation, explanation) = explain(rule);
                Decision::Deny {
                    rule,
                    citation,
                    explanation,
                }
            }
            (_, None) => Decision::Deny {
                rule: "base.default-deny".into(),
                citation: "Sightline base policy §2: deny by default".into(),
                explanation: format!(
                    "No sharing agreement from {} covers purpose `{}` for your agency.",
                    req.owner.agency,
                    req.purpose.code()
                ),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::PartyFacts;
    use sightline_types::{Purpose, Role};

    fn party(agency: &str, kind: &str, j: &str) -> PartyFacts {
        PartyFacts {
            agency: agency.into(),
            kind: kind.into(),
            jurisdiction: j.into(),
            country: j[..2].into(),
            public: kind != "private",
        }
    }

    fn req(owner: &str, agreement: &[Purpose]) -> PolicyRequest {
        let me = party("oak-park-pd", "municipal", "US-IL");
        PolicyRequest {
            user_id: 1,
            role: Role::Officer,
            requester: me.clone(),
            on_behalf_of: me,
            owner: if owner == "oak-park-pd" {
                party(owner, "municipal", "US-IL")
            } else {
                party(owner, "sheriff", "US-TX")
            },
            purpose: Purpose::StolenVehicle,
            purposes: vec![Purpose::StolenVehicle],
            has_case_number: true,
            agreement_purposes: agreement.to_vec(),
            on_behalf_agreement_purposes: vec![],
            declaration_on_record: false,
            lookback_days: 3,
        }
    }

    #[test]
    fn test_own_data_allowed() {
        let e = PolicyEngine::with_base().unwrap();
        let d = e.evaluate(&req("oak-park-pd", &[]));
        assert_eq!(d.parts().0, "base.own-agency");
        assert!(d.is_allow());
    }

    #[test]
    fn test_other_owner_needs_agreement_for_purpose() {
        let e = PolicyEngine::with_base().unwrap();
        let d = e.evaluate(&req("harris-so", &[]));
        assert_eq!(d.parts().0, "base.default-deny");
        assert!(d.parts().2.contains("stolen_vehicle"));
        let d = e.evaluate(&req("harris-so", &[Purpose::Homicide]));
        assert!(!d.is_allow());
        let d = e.evaluate(&req("harris-so", &[Purpose::StolenVehicle]));
        assert_eq!(d.parts().0, "base.sharing-agreement");
    }

    #[test]
    fn test_role_and_case_number_forbids() {
        let e = PolicyEngine::with_base().unwrap();
        let mut r = req("oak-park-pd", &[]);
        r.role = Role::Auditor;
        assert_eq!(e.evaluate(&r).parts().0, "base.role-may-search");
        let mut r = req("oak-park-pd", &[]);
        r.has_case_number = false;
        assert_eq!(e.evaluate(&r).parts().0, "base.case-number-required");
    }

    #[test]
    fn test_pack_forbid_wins_and_is_cited() {
        let mut e = PolicyEngine::with_base().unwrap();
        e.add_pack(
            "US-TX",
            r#"@id("tx.test") @citation("Test Code §1") @explanation("Test rule.")
               forbid (principal, action, resource) when { context.purposes.contains("stolen_vehicle") };"#,
        )
        .unwrap();
        let d = e.evaluate(&req("harris-so", &[Purpose::StolenVehicle]));
        assert_eq!(d.parts(), ("tx.test", "Test Code §1", "Test rule."));
        // Packs apply by the owner's jurisdiction only.
        assert!(e.evaluate(&req("oak-park-pd", &[])).is_allow());
    }

    #[test]
    fn test_agency_policy_may_not_permit_and_needs_annotations() {
        let mut e = PolicyEngine::with_base().unwrap();
        let permit =
            r#"@id("x") @citation("c") @explanation("e") permit (principal, action, resource);"#;
        assert!(e.add_agency_policy("oak-park-pd", permit).is_err());
        let bare = "forbid (principal, action, resource);";
        assert!(matches!(
            e.add_pack("US", bare),
            Err(Error::MissingAnnotation { .. })
        ));
    }
}

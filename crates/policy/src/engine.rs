//! Evaluation: pick the policy sets that apply to the owner, ask Cedar, explain the answer.

use crate::packs::{self, PackSource};
use crate::request::PolicyRequest;
use crate::{Error, Result};
use cedar_policy::{
    Authorizer, Context, Entities, EntityId, EntityTypeName, EntityUid, PolicyId, PolicySet,
    Request, Schema, ValidationMode, Validator,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Arc, RwLock};

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
    /// `@explanation_de`: the same in German, where the pack gives it.
    explanation_de: Option<String>,
}

/// A loaded law pack.
#[derive(Debug, Clone)]
pub struct Pack {
    /// Manifest.
    pub manifest: packs::PackManifest,
    /// Non-hit retention in minutes.
    pub retention_minutes: i64,
    /// Non-hit retention for private operators, in minutes.
    pub private_retention_minutes: Option<i64>,
    policies: PolicySet,
}

/// The policy engine: base policy, law packs by jurisdiction, agency policies.
#[derive(Debug)]
pub struct PolicyEngine {
    schema: Schema,
    base: PolicySet,
    packs: Vec<Pack>,
    agencies: BTreeMap<String, PolicySet>,
    rules: BTreeMap<String, RuleInfo>,
    /// Combined policy sets by (owner jurisdiction, owner agency), built on first use.
    combined: RwLock<HashMap<(String, String), Arc<PolicySet>>>,
}

const BASE: &str = include_str!("../policies/base.cedar");
const SCHEMA: &str = include_str!("../policies/schema.cedarschema");

fn parse_error(name: &str, e: impl std::fmt::Display) -> Error {
    Error::Parse {
        name: name.to_owned(),
        message: e.to_string(),
    }
}

impl PolicyEngine {
    /// Builds the engine with the base policy and the shipped law packs.
    ///
    /// # Errors
    /// Only if a shipped file were broken (caught by tests).
    pub fn with_shipped_packs() -> Result<Self> {
        Self::with_packs(packs::shipped()?)
    }

    /// Builds the engine with the base policy and no law packs.
    ///
    /// # Errors
    /// Only if the shipped base policy were broken.
    pub fn with_base() -> Result<Self> {
        Self::with_packs(Vec::new())
    }

    /// Builds the engine with the base policy and the given packs, validating everything against
    /// the schema.
    ///
    /// # Errors
    /// The first pack that fails to parse or validate, naming its file and rule.
    pub fn with_packs(sources: Vec<PackSource>) -> Result<Self> {
        let (schema, _) = Schema::from_cedarschema_str(SCHEMA)
            .map_err(|e| parse_error("policies/schema.cedarschema", e))?;
        let mut e = PolicyEngine {
            schema,
            base: PolicySet::new(),
            packs: Vec::new(),
            agencies: BTreeMap::new(),
            rules: BTreeMap::new(),
            combined: RwLock::new(HashMap::new()),
        };
        e.base = e.parse_set("policies/base.cedar", BASE)?;
        for s in sources {
            let policies = e.parse_set(&s.origin, &s.policies)?;
            let retention =
                |r: &str| packs::parse_retention(r).map_err(|m| parse_error(&s.origin, m));
            e.packs.push(Pack {
                retention_minutes: retention(&s.manifest.nonhit_retention)?,
                private_retention_minutes: s
                    .manifest
                    .private_nonhit_retention
                    .as_deref()
                    .map(retention)
                    .transpose()?,
                manifest: s.manifest,
                policies,
            });
        }
        Ok(e)
    }

    /// Returns the loaded packs.
    pub fn packs(&self) -> &[Pack] {
        &self.packs
    }

    /// Adds (or replaces) an agency's own policy. Only `forbid` rules are accepted, so that an
    /// agency policy can narrow what the law allows but never widen it.
    ///
    /// # Errors
    /// Parse or validation errors, missing annotations, or a `permit` rule.
    pub fn set_agency_policy(&mut self, agency: &str, src: &str) -> Result<()> {
        let name = format!("agency policy of {agency}");
        // Forget the old set's rule ids first so that re-submitting the same ids is not a clash;
        // put them back if the new text is refused, so a bad update changes nothing.
        let old = self.agencies.remove(agency);
        let old_rules: Vec<(String, RuleInfo)> = old
            .iter()
            .flat_map(|set| set.policies())
            .filter_map(|p| {
                let id = p.id().to_string();
                self.rules.remove(&id).map(|info| (id, info))
            })
            .collect();
        let parsed = self.parse_set(&name, src).and_then(|set| {
            if set
                .policies()
                .any(|p| p.effect() == cedar_policy::Effect::Permit)
            {
                for p in set.policies() {
                    self.rules.remove(&p.id().to_string());
                }
                Err(parse_error(
                    &name,
                    "agency policies may only contain forbid rules",
                ))
            } else {
                Ok(set)
            }
        });
        match parsed {
            Ok(set) => {
                self.agencies.insert(agency.to_owned(), set);
            }
            Err(e) => {
                if let Some(set) = old {
                    self.agencies.insert(agency.to_owned(), set);
                }
                self.rules.extend(old_rules);
                return Err(e);
            }
        }
        self.combined
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(())
    }

    /// Checks an agency policy exactly as [`PolicyEngine::set_agency_policy`] would, without
    /// changing anything: the service layer validates first, audits, and only then applies.
    ///
    /// # Errors
    /// As [`PolicyEngine::set_agency_policy`].
    pub fn check_agency_policy(&self, agency: &str, src: &str) -> Result<()> {
        let name = format!("agency policy of {agency}");
        let own: HashSet<String> = self
            .agencies
            .get(agency)
            .iter()
            .flat_map(|set| set.policies())
            .map(|p| p.id().to_string())
            .collect();
        let (set, _) = self.check_set(&name, src, &own)?;
        if set
            .policies()
            .any(|p| p.effect() == cedar_policy::Effect::Permit)
        {
            return Err(parse_error(
                &name,
                "agency policies may only contain forbid rules",
            ));
        }
        Ok(())
    }

    /// Parses a set, checks annotations and unique ids, and validates it against the schema.
    fn parse_set(&mut self, name: &str, src: &str) -> Result<PolicySet> {
        let (out, new_rules) = self.check_set(name, src, &HashSet::new())?;
        self.rules.extend(new_rules);
        Ok(out)
    }

    /// The checks of [`Self::parse_set`] without side effects; ids in `replaced` may be reused.
    fn check_set(
        &self,
        name: &str,
        src: &str,
        replaced: &HashSet<String>,
    ) -> Result<(PolicySet, Vec<(String, RuleInfo)>)> {
        let parsed = PolicySet::from_str(src).map_err(|e| parse_error(name, e))?;
        let mut out = PolicySet::new();
        let mut seen = HashSet::new();
        let mut new_rules = Vec::new();
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
                explanation_de: p.annotation("explanation_de").map(str::to_owned),
            };
            if !seen.insert(id.clone()) || (self.rules.contains_key(&id) && !replaced.contains(&id))
            {
                return Err(Error::DuplicateId(id));
            }
            out.add(p.new_id(PolicyId::new(id.clone())))
                .map_err(|e| parse_error(name, e))?;
            new_rules.push((id, info));
        }
        let result = Validator::new(self.schema.clone()).validate(&out, ValidationMode::Strict);
        if let Some(err) = result.validation_errors().next() {
            return Err(parse_error(
                name,
                format!("rule `{}` does not validate: {err}", err.policy_id()),
            ));
        }
        Ok((out, new_rules))
    }

    /// Returns the packs that govern an owner jurisdiction: every pack naming it or its country,
    /// or, when none does, the fallback packs (`US-default`).
    pub fn packs_for(&self, jurisdiction: &str) -> Vec<&Pack> {
        let (fallback, specific): (Vec<&Pack>, Vec<&Pack>) = self
            .packs
            .iter()
            .filter(|p| packs::specificity(&p.manifest.applies_to, jurisdiction).is_some())
            .partition(|p| p.manifest.fallback);
        if specific.is_empty() {
            fallback
        } else {
            specific
        }
    }

    /// Returns the non-hit retention in force for an owner, in minutes: the strictest applicable
    /// pack, 30 days when none applies.
    pub fn retention_minutes(&self, jurisdiction: &str, private: bool) -> i64 {
        self.packs_for(jurisdiction)
            .iter()
            .map(|p| {
                if private {
                    p.private_retention_minutes.unwrap_or(p.retention_minutes)
                } else {
                    p.retention_minutes
                }
            })
            .min()
            .unwrap_or(30 * 24 * 60)
    }

    /// Returns what set the retention in force for an owner: the source named by the pack whose
    /// retention is the strictest (the one [`Self::retention_minutes`] returns), or Sightline's
    /// default when no pack applies or the pack names none.
    pub fn retention_source(&self, jurisdiction: &str, private: bool) -> String {
        let minutes = |p: &Pack| {
            if private {
                p.private_retention_minutes.unwrap_or(p.retention_minutes)
            } else {
                p.retention_minutes
            }
        };
        self.packs_for(jurisdiction)
            .into_iter()
            .min_by_key(|p| minutes(p))
            .map(|p| {
                p.manifest
                    .retention_source
                    .clone()
                    .unwrap_or_else(|| format!("law pack {} (no source named)", p.manifest.id))
            })
            .unwrap_or_else(|| "Sightline default of 30 days (no law pack applies)".into())
    }

    fn set_for(&self, req: &PolicyRequest) -> Arc<PolicySet> {
        // Owners without a policy of their own share their jurisdiction's set.
        let agency_key = if self.agencies.contains_key(&req.owner.agency) {
            req.owner.agency.clone()
        } else {
            String::new()
        };
        let key = (req.owner.jurisdiction.clone(), agency_key);
        if let Some(s) = self
            .combined
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return s.clone();
        }
        let mut all = self.base.clone();
        let packs = self.packs_for(&req.owner.jurisdiction);
        let agency = self.agencies.get(&req.owner.agency);
        for set in packs.iter().map(|p| &p.policies).chain(agency) {
            for p in set.policies() {
                let _ = all.add(p.clone());
            }
        }
        let all = Arc::new(all);
        self.combined
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, all.clone());
        all
    }

    /// Decides for one owner. When the search is made on behalf of another agency, it is
    /// evaluated a second time as that agency, and both must allow. Evaluation errors deny.
    pub fn evaluate(&self, req: &PolicyRequest) -> Decision {
        let first = self.evaluate_once(req);
        if !first.is_allow() || req.on_behalf_of.agency == req.requester.agency {
            return first;
        }
        let mut as_behalf = req.clone();
        as_behalf.requester = req.on_behalf_of.clone();
        as_behalf.agreement_purposes = req.on_behalf_agreement_purposes.clone();
        as_behalf.declaration_on_record = req.on_behalf_declaration_on_record;
        match self.evaluate_once(&as_behalf) {
            Decision::Deny {
                rule,
                citation,
                explanation,
            } => Decision::Deny {
                rule,
                citation,
                explanation: format!(
                    "Evaluated as {}, on whose behalf the search is made: {explanation}",
                    req.on_behalf_of.agency
                ),
            },
            Decision::Allow { .. } => first,
        }
    }

    /// A decision's explanation in German, rebuilt from the rule's `@explanation_de` and the facts
    /// the English text carries (on whose behalf, the owner's retention, the missing agreement).
    /// `None` where no German text exists (an agency's own rules are in the agency's words).
    pub fn explanation_de(&self, rule: &str, english: &str) -> Option<String> {
        if let Some(rest) = english.strip_prefix("Evaluated as ")
            && let Some((agency, inner)) = rest.split_once(", on whose behalf the search is made: ")
        {
            let inner = self.explanation_de(rule, inner)?;
            return Some(format!(
                "Ausgewertet als {agency}, in deren Auftrag gesucht wird: {inner}"
            ));
        }
        match rule {
            "base.default-deny" => {
                let rest = english.strip_prefix("No sharing agreement from ")?;
                let (owner, rest) = rest.split_once(" covers purpose `")?;
                let (purpose, rest) = rest.split_once("` for ")?;
                let requester = rest.strip_suffix('.')?;
                Some(format!(
                    "Keine Vereinbarung zur Datenweitergabe von {owner} deckt den Zweck `{purpose}` für {requester}."
                ))
            }
            "policy.evaluation-error" => Some(
                "Die Richtlinie konnte nicht ausgewertet werden; der Zugriff wird verweigert."
                    .to_owned(),
            ),
            _ => {
                let de = self.rules.get(rule)?.explanation_de.clone()?;
                if rule == "base.beyond-retention"
                    && let Some((_, tail)) = english.split_once(" The owner's retention (")
                    && let Some((minutes, source)) = tail.split_once(" minutes) is set by ")
                {
                    let source = source.strip_suffix('.').unwrap_or(source);
                    return Some(format!(
                        "{de} Die Speicherfrist des Datenhalters ({minutes} Minuten) legt {source} fest."
                    ));
                }
                Some(de)
            }
        }
    }

    fn evaluate_once(&self, req: &PolicyRequest) -> Decision {
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
        let set = self.set_for(req);
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
                explanation_de: None,
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
                let (rule, mut citation, mut explanation) = explain(rule);
                // The base rule only compares numbers; the retention it enforces was set by a
                // statute (or Sightline's default), which is what a refused requester is shown.
                if rule == "base.beyond-retention" {
                    let private = !req.owner.public;
                    let source = self.retention_source(&req.owner.jurisdiction, private);
                    citation = format!("{source}; {citation}");
                    explanation = format!(
                        "{explanation} The owner's retention ({} minutes) is set by {source}.",
                        req.owner_retention_minutes
                    );
                }
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
                    "No sharing agreement from {} covers purpose `{}` for {}.",
                    req.owner.agency,
                    req.purpose.code(),
                    req.requester.agency
                ),
            },
        })
    }
}

#[cfg(test)]
mod german_tests {
    use super::*;

    /// Every rule of the base policy and the shipped law packs explains itself in German too.
    #[test]
    fn test_every_shipped_rule_has_a_german_explanation() {
        let engine = PolicyEngine::with_shipped_packs().unwrap();
        assert!(engine.rules.len() > 30, "{}", engine.rules.len());
        let missing: Vec<&String> = engine
            .rules
            .iter()
            .filter(|(_, r)| r.explanation_de.as_deref().is_none_or(str::is_empty))
            .map(|(id, _)| id)
            .collect();
        assert!(
            missing.is_empty(),
            "rules without @explanation_de: {missing:?}"
        );
    }

    /// The composed explanations are rebuilt in German with their facts.
    #[test]
    fn test_composed_explanations_in_german() {
        let engine = PolicyEngine::with_shipped_packs().unwrap();
        assert_eq!(
            engine
                .explanation_de(
                    "base.default-deny",
                    "No sharing agreement from oak-park-pd covers purpose `other_crime` for ice-ero-chicago."
                )
                .as_deref(),
            Some(
                "Keine Vereinbarung zur Datenweitergabe von oak-park-pd deckt den Zweck `other_crime` für ice-ero-chicago."
            )
        );
        let behalf = engine
            .explanation_de(
                "us-il.2-130-c-declaration",
                "Evaluated as harris-county-so, on whose behalf the search is made: anything",
            )
            .unwrap();
        assert!(
            behalf.starts_with("Ausgewertet als harris-county-so, in deren Auftrag")
                && behalf.contains("Illinois"),
            "{behalf}"
        );
        let retention = engine
            .explanation_de(
                "base.beyond-retention",
                "The search window starts further back. The owner's retention (43200 minutes) is set by 625 ILCS 5/2-130.",
            )
            .unwrap();
        assert!(
            retention.ends_with("(43200 Minuten) legt 625 ILCS 5/2-130 fest."),
            "{retention}"
        );
        assert_eq!(engine.explanation_de("agency.own-rule", "Our words."), None);
    }
}

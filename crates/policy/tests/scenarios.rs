//! Runs every row of `scenarios.toml` against the shipped base policy and law packs, with reasons
//! screened by the published rules — the same steps the search path takes.

use serde::Deserialize;
use sightline_policy::packs::parse_retention;
use sightline_policy::screening::infer_purposes;
use sightline_policy::{EU_COUNTRIES, PartyFacts, PolicyEngine, PolicyRequest, case_number_shape};
use sightline_types::{Purpose, Role};

#[derive(Deserialize)]
struct File {
    scenario: Vec<Scenario>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    name: String,
    requester: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    own: bool,
    #[serde(default)]
    on_behalf_of: Option<String>,
    #[serde(default)]
    behalf_name: Option<String>,
    purpose: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    agreements: Vec<String>,
    #[serde(default)]
    behalf_agreements: Vec<String>,
    #[serde(default)]
    declaration: bool,
    #[serde(default)]
    behalf_declaration: bool,
    lookback: String,
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    warrant: bool,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    case: Option<String>,
    expect: String,
    rule: String,
    #[serde(default)]
    citation_contains: Option<String>,
}

fn party(id: &str, spec: &str) -> PartyFacts {
    let (kind, j) = spec
        .split_once(' ')
        .expect("party is `<kind> <jurisdiction>`");
    let country = j.split('-').next().unwrap().to_owned();
    PartyFacts {
        agency: id.into(),
        kind: kind.into(),
        jurisdiction: j.into(),
        eu: EU_COUNTRIES.contains(&country.as_str()),
        country,
        public: kind != "private",
    }
}

fn purposes(codes: &[String]) -> Vec<Purpose> {
    codes.iter().map(|c| Purpose::parse(c).unwrap()).collect()
}

fn request(engine: &PolicyEngine, s: &Scenario) -> PolicyRequest {
    let requester = party("requester", &s.requester);
    let owner = if s.own {
        requester.clone()
    } else {
        party("owner", s.owner.as_deref().expect("owner or own"))
    };
    let behalf = s
        .on_behalf_of
        .as_deref()
        .map_or_else(|| requester.clone(), |b| party("behalf", b));
    let declared = Purpose::parse(&s.purpose).unwrap();
    let behalf_name = s.behalf_name.clone().unwrap_or_default();
    let (all, _) = infer_purposes(declared, &[&s.reason, &behalf_name]).unwrap();
    let lookback = parse_retention(&s.lookback).unwrap();
    let window = s
        .window
        .as_deref()
        .map_or(lookback, |w| parse_retention(w).unwrap());
    let case = s.case.clone().unwrap_or_else(|| "26-000123".into());
    PolicyRequest {
        user_id: 1,
        role: Role::parse(s.role.as_deref().unwrap_or("officer")).unwrap(),
        owner_retention_minutes: engine.retention_minutes(&owner.jurisdiction, !owner.public),
        requester,
        on_behalf_of: behalf,
        owner,
        purpose: declared,
        purposes: all,
        has_case_number: !case.is_empty(),
        case_number_shape: case_number_shape(&case),
        query_kind: s.query.clone().unwrap_or_else(|| "plate".into()),
        has_warrant: s.warrant,
        window_hours: (window + 59) / 60,
        lookback_minutes: lookback,
        agreement_purposes: purposes(&s.agreements),
        on_behalf_agreement_purposes: purposes(&s.behalf_agreements),
        declaration_on_record: s.declaration,
        on_behalf_declaration_on_record: s.behalf_declaration,
    }
}

#[test]
fn test_scenario_suite() {
    let file: File = toml::from_str(include_str!("scenarios.toml")).unwrap();
    let engine = PolicyEngine::with_shipped_packs().unwrap();
    let mut failures = Vec::new();
    for s in &file.scenario {
        let d = engine.evaluate(&request(&engine, s));
        let got = if d.is_allow() { "allow" } else { "deny" };
        if let Some(c) = &s.citation_contains
            && !d.parts().1.contains(c.as_str())
        {
            failures.push(format!(
                "{}: citation `{}` does not contain `{c}`",
                s.name,
                d.parts().1
            ));
        }
        if got != s.expect || d.parts().0 != s.rule {
            failures.push(format!(
                "{}: expected {} by {}, got {} by {} ({})",
                s.name,
                s.expect,
                s.rule,
                got,
                d.parts().0,
                d.parts().2
            ));
        }
        assert!(
            !d.parts().1.is_empty(),
            "{}: decision without citation",
            s.name
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        file.scenario.len(),
        failures.join("\n")
    );
}

#[test]
fn test_every_shipped_rule_is_exercised() {
    let text = include_str!("scenarios.toml");
    let mut missing = Vec::new();
    for src in sightline_policy::packs::shipped()
        .unwrap()
        .iter()
        .map(|p| p.policies.clone())
        .chain([include_str!("../policies/base.cedar").to_owned()])
    {
        for line in src.lines().filter(|l| l.starts_with("@id(\"")) {
            let id = line.trim_start_matches("@id(\"").trim_end_matches("\")");
            if !text.contains(&format!("rule = \"{id}\"")) {
                missing.push(id.to_owned());
            }
        }
    }
    assert!(missing.is_empty(), "rules without a scenario: {missing:?}");
}

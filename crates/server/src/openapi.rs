//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and completed
//! from the route table ([`crate::routes`]): each operation's security scheme comes from the
//! route's access, and every error status the server can answer for it is documented with the
//! one error shape ([`crate::error::ErrorBody`]). A unit test checks that the document and the
//! route table name the same operations, so the two cannot drift; the contract test
//! (`scripts/contract`, Schemathesis) checks the running server against the document.

use crate::routes::{Access, Route, specs};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Sightline node API", description = "ALPR node: camera ingest, purpose-bound search with per-owner policy, audit log. Every error answers with the `ErrorBody` shape; the status follows its `code`."),
    paths(
        crate::api::meta::healthz, crate::api::meta::metrics, crate::api::meta::openapi, crate::api::meta::purposes,
        crate::api::directory::login, crate::api::directory::logout, crate::api::directory::me,
        crate::api::directory::change_password,
        crate::api::directory::list_agencies, crate::api::directory::create_agency, crate::api::directory::set_location,
        crate::api::directory::list_users, crate::api::directory::create_user,
        crate::api::directory::disable_user, crate::api::directory::enable_user, crate::api::directory::set_role,
        crate::api::directory::reset_password, crate::api::directory::revoke_user_tokens,
        crate::api::directory::list_cameras, crate::api::directory::create_camera,
        crate::api::directory::set_camera_mode, crate::api::directory::revoke_camera, crate::api::directory::rotate_camera_key,
        crate::api::directory::list_agreements, crate::api::directory::create_agreement, crate::api::directory::end_agreement,
        crate::api::directory::list_declarations, crate::api::directory::create_declaration, crate::api::directory::end_declaration,
        crate::api::reads::post_reads, crate::api::reads::post_openalpr,
        crate::api::searches::post_search, crate::api::searches::post_analysis,
        crate::api::searches::post_evidence,
        crate::api::saved::list, crate::api::saved::create, crate::api::saved::run, crate::api::saved::delete,
        crate::api::governance::list_holds, crate::api::governance::create_hold, crate::api::governance::release_hold,
        crate::api::governance::list_packs, crate::api::governance::put_agency_policy,
        crate::api::audit::list_entries, crate::api::audit::verify,
        crate::api::audit::latest_checkpoint, crate::api::audit::checkpoint_note, crate::api::audit::publish_checkpoint,
        crate::api::audit::inclusion, crate::api::audit::consistency, crate::api::audit::export,
        crate::api::transparency::all, crate::api::transparency::one, crate::api::transparency::set_note,
        crate::api::transparency::summary,
        crate::api::transparency::oversight,
        crate::api::hotlists::create, crate::api::hotlists::list, crate::api::hotlists::entries,
        crate::api::hotlists::put_entries, crate::api::hotlists::import, crate::api::hotlists::share,
        crate::api::hotlists::end, crate::api::hotlists::recent,
        crate::api::hotlists::stream, crate::api::hotlists::ack, crate::api::hotlists::edge,
        crate::api::hotlists::add_webhook, crate::api::hotlists::end_webhook,
        crate::api::security::mfa_verify, crate::api::security::mfa_enrol, crate::api::security::reset_mfa,
        crate::api::security::get_settings, crate::api::security::put_settings,
        crate::api::security::list_findings, crate::api::security::get_finding,
        crate::api::security::review_finding, crate::api::security::stream,
        crate::api::passkeys::login_options, crate::api::passkeys::login, crate::api::passkeys::list,
        crate::api::passkeys::register_options, crate::api::passkeys::register, crate::api::passkeys::remove,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&Security, &FromRouteTable, &ClosedVariants),
    tags((name = "search", description = "The only way to read plate data"))
)]
struct ApiDoc;

/// Name of the user token scheme.
pub const USER_TOKEN: &str = "user_token";
/// Name of the camera key scheme.
pub const CAMERA_KEY: &str = "camera_key";

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        let bearer = |desc: &str| {
            let mut s = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
            s.description = Some(desc.to_owned());
            SecurityScheme::Http(s)
        };
        components.add_security_scheme(
            USER_TOKEN,
            bearer(
                "User API token from POST /api/v1/login (`slu_…`), sent as `Authorization: Bearer <token>`",
            ),
        );
        components.add_security_scheme(
            CAMERA_KEY,
            bearer(
                "Camera device key from POST /api/v1/cameras (`slc_…`), sent as `Authorization: Bearer <key>`",
            ),
        );
    }
}

/// The error responses every operation may give, by status: (status, component name, sentence).
const ERRORS: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "Malformed or invalid request (body, path or query)",
    ),
    (
        "401",
        "Unauthenticated",
        "No, unknown, revoked or expired credentials",
    ),
    (
        "403",
        "Forbidden",
        "The caller lacks the permission, or the wrong kind of credential was sent",
    ),
    (
        "404",
        "NotFound",
        "No such object (or not one the caller's agency may see)",
    ),
    (
        "409",
        "Conflict",
        "The object exists already or conflicts with the current state",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The request body is over the node's limit",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many failed sign-ins; try again later",
    ),
    (
        "500",
        "Internal",
        "An unexpected condition (a bug); the cause is in the node's log",
    ),
    (
        "503",
        "Unavailable",
        "The store or the audit log is unavailable: the node fails closed",
    ),
];

/// The error statuses one route can answer, from its access and its shape.
fn error_statuses(route: &Route, op: &Operation) -> Vec<&'static str> {
    let mut out = vec!["500", "503"];
    let authenticated = route.access != Access::Public;
    if authenticated {
        out.extend(["401", "403"]);
    }
    let has_body = op.request_body.is_some();
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    if has_body || has_params {
        out.push("400");
    }
    if has_body {
        out.push("413");
    }
    if route.path.contains('{') {
        out.push("404");
    }
    if authenticated && matches!(route.method, "post" | "put" | "delete") {
        out.extend(["400", "404", "409"]);
    }
    if route.path == "/api/v1/login" {
        out.extend(["400", "413", "429"]);
    }
    out
}

/// Fills in, for every operation of the route table: the security scheme of its access, a line
/// naming the permission it needs, and every error response with the one error shape.
struct FromRouteTable;

fn operation<'a>(item: &'a mut PathItem, method: &str) -> Option<&'a mut Operation> {
    match method {
        "get" => item.get.as_mut(),
        "post" => item.post.as_mut(),
        "put" => item.put.as_mut(),
        "delete" => item.delete.as_mut(),
        "patch" => item.patch.as_mut(),
        _ => None,
    }
}

fn error_response(sentence: &str) -> Response {
    ResponseBuilder::new()
        .description(sentence)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

impl Modify for FromRouteTable {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        for (_, name, sentence) in ERRORS {
            components
                .responses
                .insert((*name).to_owned(), RefOr::T(error_response(sentence)));
        }
        for route in specs() {
            let Some(item) = api.paths.paths.get_mut(route.path) else {
                continue;
            };
            let Some(op) = operation(item, route.method) else {
                continue;
            };
            let (scheme, needs) = match route.access {
                Access::Public => (None, "Public: no credentials.".to_owned()),
                Access::Camera => (Some(CAMERA_KEY), "Needs a camera device key.".to_owned()),
                Access::Own => (
                    Some(USER_TOKEN),
                    "Needs a user token (any signed-in user, even one who must still change their password).".to_owned(),
                ),
                Access::User(p) => (
                    Some(USER_TOKEN),
                    format!("Needs a user token with the permission `{}`.", p.code()),
                ),
            };
            op.security = scheme.map(|s| vec![SecurityRequirement::new(s, Vec::<String>::new())]);
            let desc = op.description.get_or_insert_with(String::new);
            if !desc.is_empty() {
                desc.push_str("\n\n");
            }
            desc.push_str(&needs);
            for status in error_statuses(&route, op) {
                let (_, name, _) = ERRORS
                    .iter()
                    .find(|(s, _, _)| *s == status)
                    .expect("every status is in ERRORS");
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
            }
        }
    }
}

/// Request schemas of externally tagged enums (`{"exact": "…"}`, `{"convoy": {…}}`): serde
/// refuses a second key beside the variant's, so each variant object is closed
/// (`additionalProperties: false`) and the document is as strict as the server. (Structs with
/// `deny_unknown_fields` get this from utoipa; an untagged enum such as `ReadBatch` ignores
/// unknown keys and stays open.)
const CLOSED_VARIANTS: &[&str] = &["PlateQuery", "AnalysisQuery"];

struct ClosedVariants;

impl Modify for ClosedVariants {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{AdditionalProperties, Schema};
        let Some(components) = api.components.as_mut() else {
            return;
        };
        for name in CLOSED_VARIANTS {
            if let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut(*name) {
                for item in &mut one_of.items {
                    if let RefOr::T(Schema::Object(obj)) = item {
                        obj.additional_properties =
                            Some(Box::new(AdditionalProperties::FreeForm(false)));
                    }
                }
            }
        }
    }
}

/// Returns the OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The tagged-enum variants the server refuses extra keys in are closed in the document, and
    /// the server does refuse them.
    #[test]
    fn test_tagged_request_variants_are_as_strict_as_the_server() {
        use utoipa::openapi::schema::{AdditionalProperties, Schema};
        let doc = document();
        let schemas = &doc.components.as_ref().unwrap().schemas;
        for name in CLOSED_VARIANTS {
            let Some(RefOr::T(Schema::OneOf(one_of))) = schemas.get(*name) else {
                panic!("{name} is not a oneOf schema");
            };
            assert!(!one_of.items.is_empty(), "{name}");
            for item in &one_of.items {
                let RefOr::T(Schema::Object(obj)) = item else {
                    panic!("{name}: a variant is not an object");
                };
                assert!(
                    matches!(
                        obj.additional_properties.as_deref(),
                        Some(AdditionalProperties::FreeForm(false))
                    ),
                    "{name} variant {:?} is open",
                    obj.required
                );
            }
        }
        use sightline_types::{AnalysisQuery, PlateQuery};
        let plate = |j: &str| serde_json::from_str::<PlateQuery>(j).is_ok();
        assert!(plate(r#"{"exact": "ABC123"}"#));
        assert!(!plate(r#"{"exact": "ABC123", "fuzzy": "ABC123"}"#));
        assert!(!plate(r#"{"exact": "ABC123", "note": 1}"#));
        let analysis = |j: &str| serde_json::from_str::<AnalysisQuery>(j).is_ok();
        assert!(analysis(r#"{"multi_location": {"places": []}}"#));
        assert!(!analysis(
            r#"{"multi_location": {"places": []}, "note": 1}"#
        ));
    }

    /// The documented operations: (method, path).
    fn documented() -> BTreeSet<(String, String)> {
        let doc = document();
        let mut out = BTreeSet::new();
        for (path, item) in doc.paths.paths {
            for (method, op) in [
                ("get", &item.get),
                ("post", &item.post),
                ("put", &item.put),
                ("delete", &item.delete),
                ("patch", &item.patch),
                ("head", &item.head),
                ("options", &item.options),
                ("trace", &item.trace),
            ] {
                if op.is_some() {
                    out.insert((method.to_owned(), path.clone()));
                }
            }
        }
        out
    }

    /// The API operations of the route table (the HTML transparency pages are web pages, not
    /// API operations).
    fn routed() -> BTreeSet<(String, String)> {
        specs()
            .into_iter()
            .filter(|r| !r.path.starts_with("/transparency"))
            .map(|r| (r.method.to_owned(), r.path.to_owned()))
            .collect()
    }

    #[test]
    fn test_every_route_is_documented_with_its_method_and_nothing_else() {
        let (doc, table) = (documented(), routed());
        let missing: Vec<_> = table.difference(&doc).collect();
        assert!(
            missing.is_empty(),
            "routes of the route table missing from the OpenAPI document: {missing:?}"
        );
        let extra: Vec<_> = doc.difference(&table).collect();
        assert!(
            extra.is_empty(),
            "OpenAPI operations that are not in the route table: {extra:?}"
        );
        assert!(
            table.len() > 50,
            "the route table shrank to {}",
            table.len()
        );
    }

    /// Regression (found by the contract test): the query structs were documented as path
    /// parameters, so clients and Schemathesis put them in the wrong place.
    #[test]
    fn test_path_parameters_are_exactly_the_placeholders_of_the_path() {
        let doc = serde_json::to_value(document()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let mut in_path: Vec<String> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap().to_owned())
                    .collect();
                in_path.sort();
                let mut placeholders: Vec<String> = path
                    .split('{')
                    .skip(1)
                    .map(|s| s.split('}').next().unwrap().to_owned())
                    .collect();
                placeholders.sort();
                assert_eq!(in_path, placeholders, "{method} {path}");
            }
        }
    }

    #[test]
    fn test_security_and_errors_follow_the_route_table() {
        let mut doc = document();
        for route in specs()
            .into_iter()
            .filter(|r| !r.path.starts_with("/transparency"))
        {
            let item = doc.paths.paths.get_mut(route.path).unwrap();
            let op = operation(item, route.method).unwrap();
            let schemes: Vec<String> = op
                .security
                .iter()
                .flatten()
                .map(|s| serde_json::to_value(s).unwrap())
                .flat_map(|v| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>())
                .collect();
            let want: Vec<&str> = match route.access {
                Access::Public => vec![],
                Access::Camera => vec![CAMERA_KEY],
                Access::Own | Access::User(_) => vec![USER_TOKEN],
            };
            assert_eq!(schemes, want, "{} {}", route.method, route.path);
            let codes: Vec<&String> = op.responses.responses.keys().collect();
            assert!(
                codes.iter().any(|c| c.starts_with('2')),
                "{} {}: no success response",
                route.method,
                route.path
            );
            for needed in ["500", "503"] {
                assert!(
                    codes.iter().any(|c| *c == needed),
                    "{} {}",
                    route.method,
                    route.path
                );
            }
            if route.access != Access::Public {
                assert!(codes.iter().any(|c| *c == "401") && codes.iter().any(|c| *c == "403"));
            }
            // Every error response uses the one error shape.
            for (code, resp) in &op.responses.responses {
                if ERRORS.iter().any(|(s, _, _)| s == code) {
                    let json = serde_json::to_string(resp).unwrap();
                    let named = match resp {
                        RefOr::Ref(r) => doc
                            .components
                            .as_ref()
                            .and_then(|c| {
                                c.responses.get(
                                    r.ref_location.trim_start_matches("#/components/responses/"),
                                )
                            })
                            .map(|r| serde_json::to_string(r).unwrap())
                            .unwrap_or_default(),
                        RefOr::T(_) => json.clone(),
                    };
                    assert!(
                        named.contains("#/components/schemas/ErrorBody"),
                        "{} {} {code}: not the error shape: {named}",
                        route.method,
                        route.path
                    );
                }
            }
        }
    }
}

//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Sightline node API", description = "ALPR node: camera ingest, purpose-bound search with per-owner policy, audit log."),
    paths(
        crate::api::meta::healthz, crate::api::meta::metrics, crate::api::meta::openapi, crate::api::meta::purposes,
        crate::api::directory::login, crate::api::directory::logout, crate::api::directory::me,
        crate::api::directory::list_agencies, crate::api::directory::create_agency,
        crate::api::directory::list_users, crate::api::directory::create_user,
        crate::api::directory::list_cameras, crate::api::directory::create_camera,
        crate::api::directory::list_agreements, crate::api::directory::create_agreement,
        crate::api::directory::list_declarations, crate::api::directory::create_declaration,
        crate::api::reads::post_reads, crate::api::reads::post_openalpr,
        crate::api::searches::post_search, crate::api::searches::post_analysis,
        crate::api::searches::post_evidence,
        crate::api::governance::list_holds, crate::api::governance::create_hold, crate::api::governance::release_hold,
        crate::api::governance::list_packs, crate::api::governance::put_agency_policy,
        crate::api::audit::list_entries, crate::api::audit::verify,
        crate::api::audit::latest_checkpoint, crate::api::audit::publish_checkpoint,
        crate::api::audit::inclusion, crate::api::audit::consistency, crate::api::audit::export,
        crate::api::transparency::all, crate::api::transparency::one, crate::api::transparency::set_note,
        crate::api::transparency::oversight,
        crate::api::hotlists::create, crate::api::hotlists::list, crate::api::hotlists::entries,
        crate::api::hotlists::put_entries, crate::api::hotlists::import, crate::api::hotlists::recent,
        crate::api::hotlists::stream, crate::api::hotlists::ack, crate::api::hotlists::edge,
        crate::api::hotlists::add_webhook,
        crate::api::security::mfa_verify, crate::api::security::mfa_enrol, crate::api::security::reset_mfa,
        crate::api::security::get_settings, crate::api::security::put_settings,
        crate::api::security::list_findings, crate::api::security::get_finding,
        crate::api::security::review_finding, crate::api::security::stream,
    ),
    modifiers(&Security),
    tags((name = "search", description = "The only way to read plate data"))
)]
struct ApiDoc;

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
            "user_token",
            bearer("User API token from POST /api/v1/login (slu_…)"),
        );
        components.add_security_scheme(
            "camera_key",
            bearer("Camera device key from POST /api/v1/cameras (slc_…)"),
        );
    }
}

/// Returns the OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

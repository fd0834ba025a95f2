//! The route table: every API route with the access it needs. The router is built from this
//! table, and the route × role × agency test reads the same table, so a route added without an
//! entry (or with the wrong one) fails that test. The access column documents; the check itself
//! is made by the service each handler calls (one permission table, `sightline_types::permission`).

use crate::AppState;
use crate::api::{
    audit, directory, governance, hotlists, meta, passkeys, reads, saved, searches, security,
    transparency,
};
use axum::Router;
use axum::routing::{MethodRouter, delete, get, post, put};
use sightline_types::Permission;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, metrics, OpenAPI, purposes, login, public transparency and proofs).
    Public,
    /// A camera's device key.
    Camera,
    /// A signed-in user holding the permission.
    User(Permission),
    /// Any signed-in user (their own account), even one who must still change their password.
    Own,
}

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path, with `{param}` placeholders.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

macro_rules! table {
    ($($method:ident $path:literal $access:expr => $handler:expr;)+) => {
        /// Every API route with its handler.
        pub fn table() -> Vec<(Route, MethodRouter<AppState>)> {
            use Access::*;
            use Permission::*;
            vec![$(
                (
                    Route { method: stringify!($method), path: $path, access: $access },
                    $method($handler),
                ),
            )+]
        }
    };
}

table! {
    get "/healthz" Public => meta::healthz;
    get "/metrics" Public => meta::metrics;
    get "/api/v1/openapi.json" Public => meta::openapi;
    get "/api/v1/purposes" Public => meta::purposes;
    post "/api/v1/login" Public => directory::login;
    post "/api/v1/login/mfa" Public => security::mfa_verify;
    post "/api/v1/login/mfa/enrol" Public => security::mfa_enrol;
    post "/api/v1/login/passkey/options" Public => passkeys::login_options;
    post "/api/v1/login/passkey" Public => passkeys::login;
    post "/api/v1/logout" Own => directory::logout;
    get "/api/v1/me" Own => directory::me;
    post "/api/v1/me/password" Own => directory::change_password;
    get "/api/v1/me/passkeys" Own => passkeys::list;
    post "/api/v1/me/passkeys/options" Own => passkeys::register_options;
    post "/api/v1/me/passkeys" Own => passkeys::register;
    delete "/api/v1/me/passkeys/{credential_id}" Own => passkeys::remove;
    get "/api/v1/agencies" User(ViewDirectory) => directory::list_agencies;
    post "/api/v1/agencies" User(ManageAgencies) => directory::create_agency;
    put "/api/v1/agencies/{id}/location" User(ManageAgencies) => directory::set_location;
    get "/api/v1/users" User(ManageUsers) => directory::list_users;
    post "/api/v1/users" User(ManageUsers) => directory::create_user;
    post "/api/v1/users/{id}/disable" User(ManageUsers) => directory::disable_user;
    post "/api/v1/users/{id}/enable" User(ManageUsers) => directory::enable_user;
    post "/api/v1/users/{id}/role" User(ManageUsers) => directory::set_role;
    post "/api/v1/users/{id}/password" User(ManageUsers) => directory::reset_password;
    post "/api/v1/users/{id}/revoke-tokens" User(ManageUsers) => directory::revoke_user_tokens;
    post "/api/v1/users/{id}/mfa/reset" User(ManageUsers) => security::reset_mfa;
    get "/api/v1/agency-security" User(ViewDirectory) => security::get_settings;
    put "/api/v1/agency-security" User(ManageUsers) => security::put_settings;
    get "/api/v1/cameras" User(ViewDirectory) => directory::list_cameras;
    post "/api/v1/cameras" User(ManageCameras) => directory::create_camera;
    put "/api/v1/cameras/{id}/mode" User(ManageCameras) => directory::set_camera_mode;
    post "/api/v1/cameras/{id}/revoke" User(ManageCameras) => directory::revoke_camera;
    post "/api/v1/cameras/{id}/rotate-key" User(ManageCameras) => directory::rotate_camera_key;
    get "/api/v1/sharing-agreements" User(ViewDirectory) => directory::list_agreements;
    post "/api/v1/sharing-agreements" User(ManageSharing) => directory::create_agreement;
    post "/api/v1/sharing-agreements/{id}/end" User(ManageSharing) => directory::end_agreement;
    get "/api/v1/declarations" User(ViewDirectory) => directory::list_declarations;
    post "/api/v1/declarations" User(ManageDeclarations) => directory::create_declaration;
    post "/api/v1/declarations/{id}/end" User(ManageDeclarations) => directory::end_declaration;
    post "/api/v1/reads" Camera => reads::post_reads;
    post "/api/v1/compat/openalpr" Camera => reads::post_openalpr;
    post "/api/v1/searches" User(SearchPlates) => searches::post_search;
    post "/api/v1/searches/analysis" User(SearchPlates) => searches::post_analysis;
    post "/api/v1/evidence" User(ExportEvidence) => searches::post_evidence;
    get "/api/v1/saved-searches" User(SaveSearches) => saved::list;
    post "/api/v1/saved-searches" User(SaveSearches) => saved::create;
    post "/api/v1/saved-searches/{id}/run" User(SaveSearches) => saved::run;
    delete "/api/v1/saved-searches/{id}" User(SaveSearches) => saved::delete;
    get "/api/v1/legal-holds" User(ViewHolds) => governance::list_holds;
    post "/api/v1/legal-holds" User(ManageHolds) => governance::create_hold;
    post "/api/v1/legal-holds/{id}/release" User(ManageHolds) => governance::release_hold;
    get "/api/v1/policy/packs" Public => governance::list_packs;
    put "/api/v1/agency-policy" User(ManagePolicy) => governance::put_agency_policy;
    get "/api/v1/hotlists" User(ReceiveAlerts) => hotlists::list;
    post "/api/v1/hotlists" User(ManageHotlists) => hotlists::create;
    get "/api/v1/hotlists/{id}/entries" User(ManageHotlists) => hotlists::entries;
    post "/api/v1/hotlists/{id}/entries" User(ManageHotlists) => hotlists::put_entries;
    post "/api/v1/hotlists/{id}/import" User(ManageHotlists) => hotlists::import;
    put "/api/v1/hotlists/{id}/sharing" User(ManageHotlists) => hotlists::share;
    post "/api/v1/hotlists/{id}/end" User(ManageHotlists) => hotlists::end;
    get "/api/v1/edge/hotlist" Camera => hotlists::edge;
    post "/api/v1/webhooks" User(ManageWebhooks) => hotlists::add_webhook;
    post "/api/v1/webhooks/{id}/end" User(ManageWebhooks) => hotlists::end_webhook;
    get "/api/v1/alerts" User(ReceiveAlerts) => hotlists::recent;
    get "/api/v1/alerts/stream" User(ReceiveAlerts) => hotlists::stream;
    post "/api/v1/alerts/{id}/ack" User(ReceiveAlerts) => hotlists::ack;
    get "/api/v1/transparency" Public => transparency::all;
    get "/api/v1/transparency/{agency}" Public => transparency::one;
    put "/api/v1/transparency-note" User(EditTransparency) => transparency::set_note;
    get "/api/v1/transparency-summary" Public => transparency::summary;
    get "/transparency" Public => crate::web::transparency_charts::index;
    get "/transparency/{agency}" Public => crate::web::transparency_charts::agency;
    get "/transparency/{agency}/csv" Public => crate::web::transparency_charts::agency_csv;
    get "/transparency-csv" Public => crate::web::transparency_charts::node_csv;
    get "/transparency-explained" Public => crate::web::transparency_charts::explained;
    get "/api/v1/oversight/report" User(ReadAudit) => transparency::oversight;
    get "/api/v1/audit/entries" User(ReadAudit) => audit::list_entries;
    get "/api/v1/audit/verify" User(ReadAudit) => audit::verify;
    get "/api/v1/audit/checkpoint" Public => audit::latest_checkpoint;
    get "/api/v1/audit/checkpoint/note" Public => audit::checkpoint_note;
    post "/api/v1/audit/checkpoint" User(ReadAudit) => audit::publish_checkpoint;
    get "/api/v1/audit/proof/inclusion" Public => audit::inclusion;
    get "/api/v1/audit/proof/consistency" Public => audit::consistency;
    get "/api/v1/audit/export" User(ReadAudit) => audit::export;
    get "/api/v1/findings" User(ReviewFindings) => security::list_findings;
    get "/api/v1/findings/stream" User(ReviewFindings) => security::stream;
    get "/api/v1/findings/{id}" User(ReviewFindings) => security::get_finding;
    post "/api/v1/findings/{id}/review" User(ReviewFindings) => security::review_finding;
}

/// The routes, without handlers (for tests and documentation).
pub fn specs() -> Vec<Route> {
    table().into_iter().map(|(r, _)| r).collect()
}

/// The API router, built from [`table`].
pub fn api_router() -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |r, (spec, handler)| {
            r.route(spec.path, handler)
        })
}

//! Admin pages: cameras (placed on a map), users and roles, sharing agreements, hot lists and
//! their entries, the agency's own policy. Every change goes through the same audited functions
//! as the API, and the page shows the audit entry it produced.

use super::i18n::Lang;
use super::i18n::t;
use super::{WebUser, layout};
use crate::AppState;
use crate::admin::{CreateAgreement, CreateCamera, CreateUser};
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use sightline_hotlist::{Category, HotEntry, HotlistStore, ImportMode};
use sightline_service::{Caller, Permission};
use sightline_store::AgreementScope;
use sightline_store::Grantee;
use sightline_types::{AgencyId, Jurisdiction, Purpose, Role};

/// The permissions the admin page offers forms for; the page shows only those the user holds
/// (the services check them again on every change).
const ADMIN_PERMISSIONS: &[Permission] = &[
    Permission::ManageCameras,
    Permission::ManageUsers,
    Permission::ManageSharing,
    Permission::ManageHotlists,
    Permission::ManageHolds,
    Permission::ManageDeclarations,
    Permission::ManagePolicy,
];

fn can(user: &WebUser, p: Permission) -> bool {
    user.caller().require(p).is_ok()
}

fn page_body(
    node: &AppState,
    user: &WebUser,
    message: Option<Result<String, sightline_service::Error>>,
) -> Markup {
    let lang = user.lang;
    let agency = &user.who.agency.id;
    let cams: Vec<_> = node
        .store
        .cameras()
        .into_iter()
        .filter(|c| c.owner == *agency)
        .collect();
    // Through the service: empty unless the caller holds `manage_users`.
    let users = node.list_users(&user.caller(), None).unwrap_or_default();
    let agreements: Vec<_> = node
        .store
        .agreements()
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.owner == *agency)
        .collect();
    let lists: Vec<_> = node
        .hotlists
        .lists_for(agency)
        .into_iter()
        .filter(|l| l.owner == *agency)
        .collect();
    // The placement map: the shared base map (cameras with owner, heading and hit-only flag);
    // a click sets the new camera's position.
    let mut place = super::map::Map::new(
        "place-map",
        t(lang, "place_map"),
        super::map::Bounds::around(cams.iter().map(|c| (c.lat, c.lon)), 8.0).unwrap_or(
            super::map::Bounds {
                lat0: 41.80,
                lat1: 41.95,
                lon0: -87.90,
                lon1: -87.70,
            },
        ),
    );
    place.height = 360;
    place.pick = super::map::Pick::Position {
        lat: "cam-lat",
        lon: "cam-lon",
    };
    place.cameras = cams
        .iter()
        .map(|c| super::map::Marker {
            id: c.id.0,
            name: &c.name,
            owner: c.owner.as_str(),
            lat: c.lat,
            lon: c.lon,
            heading: c.bearing,
            hit_only: node.hotlists.is_hit_only(c.id.0),
            selected: false,
        })
        .collect();
    html! {
        h1 { (t(lang, "admin")) ": " span translate="no" { (user.who.agency.name) } }
        @match &message {
            Some(Ok(m)) => p #audited role="status" { (m) },
            Some(Err(e)) => p.error role="alert" { (super::messages::service_error(lang, e)) },
            None => {},
        }
        h2 { (t(lang, "cameras_h")) }
        @let revoked = node.store.revoked_cameras().unwrap_or_default();
        table #cameras { thead { tr { th { "Id" } th { (t(lang, "name")) } th { (t(lang, "latitude")) } th { (t(lang, "longitude")) } th { (t(lang, "x_hit_only_col")) } th { (t(lang, "x_purposes")) } th { "" } } }
            tbody { @for c in &cams { tr { td { (c.id) } td translate="no" { (c.name) } td { (c.lat) } td { (c.lon) } td translate="no" { (node.hotlists.is_hit_only(c.id.0)) }
                td translate="no" { (node.hotlists.camera_purposes(c.id.0).unwrap_or_default().iter().map(|p| p.code()).collect::<Vec<_>>().join(", ")) }
                td { @if revoked.contains(&c.id) { (t(lang, "key_revoked")) " " } @if can(user, Permission::ManageCameras) { (action_button(user, "camera.revoke", c.id.0, t(lang, "revoke_key"))) (action_button(user, "camera.rotate", c.id.0, t(lang, "new_key"))) } } } } } }
        p { (t(lang, "place_hint")) }
        (place.render(lang))
        form method="post" action="/ui/admin/camera" {
            input type="hidden" name="csrf" value=(user.csrf);
            div.grid {
                div { label for="cam-name" { (t(lang, "name")) } input #cam-name name="name" required; }
                div { label for="cam-lat" { (t(lang, "latitude")) } input #cam-lat name="lat" required; }
                div { label for="cam-lon" { (t(lang, "longitude")) } input #cam-lon name="lon" required; }
                div { label for="cam-hit" { (t(lang, "hit_only")) } input #cam-hit name="hit_only" type="checkbox" value="true"; }
                div { label for="cam-purposes" { (t(lang, "check_purposes")) } input #cam-purposes name="check_purposes" placeholder="stolen_vehicle, missing_person" translate="no"; }
            }
            button #add-camera type="submit" { (t(lang, "add_camera")) }
        }
        @if can(user, Permission::ManageUsers) {
        h2 { (t(lang, "users_roles")) }
        table #users { thead { tr { th { (t(lang, "x_username")) } th { (t(lang, "name")) } th { (t(lang, "x_role")) } th { "" } } } tbody { @for u in &users { tr { td translate="no" { (u.username) } td translate="no" { (u.display_name) } td { span translate="no" { (u.role) } @if u.disabled { " (" (t(lang, "disabled")) ")" } }
            td { @if can(user, Permission::ManageUsers) && u.id != user.who.user.id.0 {
                @if u.disabled { (action_button(user, "user.enable", u.id, t(lang, "enable"))) } @else { (action_button(user, "user.disable", u.id, t(lang, "disable"))) }
                (action_button(user, "user.revoke_tokens", u.id, t(lang, "sign_out_all")))
                form.inline method="post" action="/ui/admin/lifecycle" { input type="hidden" name="csrf" value=(user.csrf); input type="hidden" name="action" value="user.role"; input type="hidden" name="id" value=(u.id);
                    select name="value" aria-label=(t(lang, "new_role")) translate="no" { @for r in Role::ALL { option value=(r.code()) selected[*r == u.role] { (r.code()) } } } button type="submit" { (t(lang, "set_role")) } } } } } } } }
        form method="post" action="/ui/admin/user" {
            input type="hidden" name="csrf" value=(user.csrf);
            div.grid {
                div { label for="u-name" { (t(lang, "x_username")) } input #u-name name="username" required; }
                div { label for="u-display" { (t(lang, "x_display")) } input #u-display name="display_name" required; }
                div { label for="u-role" { (t(lang, "x_role")) } select #u-role name="role" translate="no" { @for r in Role::ALL { option value=(r.code()) { (r.code()) } } } }
                div { label for="u-pw" { (t(lang, "x_init_pw")) } input #u-pw name="password" type="password" required; }
            }
            button type="submit" { (t(lang, "add_user")) }
        }
        }
        h2 { (t(lang, "agreements_h")) }
        table #agreements { thead { tr { th { (t(lang, "x_grantee")) } th { (t(lang, "scope")) } th { (t(lang, "x_purposes")) } th { (t(lang, "x_expires")) } th { "" } } }
            tbody { @for a in &agreements { tr { td translate="no" { (serde_json::to_string(&a.grantee).unwrap_or_default()) } td translate="no" { (a.scope.code()) } td translate="no" { (a.purposes.iter().map(|p| p.code()).collect::<Vec<_>>().join(", ")) } td { (a.expires_at.map(|e| e.to_rfc3339()).unwrap_or_else(|| "—".into())) }
                td { @if let Some(e) = a.ended_at { (t(lang, "ended")) " " (e.format("%Y-%m-%d %H:%M")) } @else if can(user, Permission::ManageSharing) { (action_button(user, "sharing.end", a.id, t(lang, "end"))) } } } } } }
        form method="post" action="/ui/admin/agreement" {
            input type="hidden" name="csrf" value=(user.csrf);
            div.grid {
                div { label for="g-kind" { (t(lang, "x_grantee")) } select #g-kind name="grantee_kind" { option value="agency" { (t(lang, "g_agency")) } option value="jurisdiction" { (t(lang, "g_jurisdiction")) } option value="national" { (t(lang, "g_national")) } } }
                div { label for="g-value" { (t(lang, "x_agency_or_j")) } input #g-value name="grantee"; }
                div { label for="g-purposes" { (t(lang, "x_purposes_csv")) } input #g-purposes name="purposes" placeholder="stolen_vehicle, amber_alert" translate="no" required; }
                div { label for="g-scope" { (t(lang, "scope")) } select #g-scope name="scope" { option value="search" { (t(lang, "scope_search")) } option value="hotlist_matching" { (t(lang, "scope_matching")) } } }
            }
            button type="submit" { (t(lang, "grant")) }
        }
        h2 { (t(lang, "hotlists_h")) }
        table #lists { thead { tr { th { "Id" } th { (t(lang, "name")) } th { (t(lang, "x_category")) } th { (t(lang, "x_entries")) } th { (t(lang, "shared_with")) } th { "" } } }
            tbody { @for l in &lists { tr { td { (l.id) } td translate="no" { (l.name) } td translate="no" { (l.category.code()) } td { (node.hotlists.entries(l.id).len()) }
                td translate="no" { (l.shared_with.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")) }
                td { @if can(user, Permission::ManageHotlists) { (action_button(user, "hotlist.end", l.id, t(lang, "end_list"))) } } } } } }
        form method="post" action="/ui/admin/list" {
            input type="hidden" name="csrf" value=(user.csrf);
            div.grid {
                div { label for="l-name" { (t(lang, "x_list_name")) } input #l-name name="name" required; }
                div { label for="l-cat" { (t(lang, "x_category")) } select #l-cat name="category" translate="no" {
                    @for c in ["stolen_vehicle", "stolen_plate", "wanted_person", "missing_person", "amber_alert", "warrant", "immigration_status", "custom"] { option value=(c) { (c) } } } }
                div { label for="l-shared" { (t(lang, "share_with")) } input #l-shared name="shared_with"; }
            }
            button #add-list type="submit" { (t(lang, "create_list")) }
        }
        form method="post" action="/ui/admin/entries" {
            input type="hidden" name="csrf" value=(user.csrf);
            div.grid {
                div { label for="e-list" { (t(lang, "x_list")) } select #e-list name="list_id" translate="no" { @for l in &lists { option value=(l.id) { (l.name) } } } }
                div { label for="e-mode" { (t(lang, "x_mode")) } select #e-mode name="mode" { option value="merge" { (t(lang, "mode_merge")) } option value="replace" { (t(lang, "mode_replace")) } } }
            }
            label for="e-csv" { (t(lang, "entries_columns")) " " code { "plate,region,reason,legal_basis,expires_at" } }
            textarea #e-csv name="csv" rows="4" cols="70" translate="no" { "plate,region,reason,legal_basis,expires_at\n" }
            br; button type="submit" { (t(lang, "import_entries")) }
        }
        h2 { (t(lang, "retention_h")) }
        @let (retention, packs) = {
            let engine = node.policy.read().unwrap_or_else(|e| e.into_inner());
            let j = user.who.agency.jurisdiction.as_str();
            (engine.retention_minutes(j, !user.who.agency.kind.is_public()), engine.packs_for(j).iter().map(|p| p.manifest.title.clone()).collect::<Vec<_>>().join("; "))
        };
        p #retention { (t(lang, "ret_kept")) " " (if retention >= 1440 { format!("{} {}", retention / 1440, t(lang, "days")) } else { format!("{retention} {}", t(lang, "minutes")) }) " (" span translate="no" { (packs) } "). " (t(lang, "ret_hits")) }
        table #holds { thead { tr { th { "Id" } th { (t(lang, "x_case")) } th { (t(lang, "x_plate")) } th { (t(lang, "x_window")) } th { (t(lang, "x_released")) } } }
            tbody { @for h in node.store.holds(true).unwrap_or_default().iter().filter(|h| h.owner == *agency) {
                tr { td { (h.id) } td translate="no" { (h.case_number) } td translate="no" { (h.plate) } td { (h.from.format("%Y-%m-%d %H:%M")) " – " (h.to.format("%Y-%m-%d %H:%M")) } td { (h.released_at.map(|r| r.to_rfc3339()).unwrap_or_else(|| t(lang, "open").into())) @if h.released_at.is_none() && can(user, Permission::ManageHolds) { " " (action_button(user, "hold.release", h.id, t(lang, "release"))) } } } } } }
        form method="post" action="/ui/admin/hold" {
            input type="hidden" name="csrf" value=(user.csrf);
            div.grid {
                div { label for="h-case" { (t(lang, "x_case_number")) } input #h-case name="case_number" required; }
                div { label for="h-plate" { (t(lang, "x_plate")) } input #h-plate name="plate" required; }
                div { label for="h-days" { (t(lang, "x_days_back")) } input #h-days name="days" type="number" min="1" max="366" value="30"; }
                div { label for="h-reason" { (t(lang, "x_reason")) } input #h-reason name="reason" required; }
            }
            button type="submit" { (t(lang, "place_hold")) }
        }
        h2 { (t(lang, "declarations_h")) }
        form method="post" action="/ui/admin/declaration" {
            input type="hidden" name="csrf" value=(user.csrf);
            div.grid {
                div { label for="d-j" { (t(lang, "x_decl_j")) } input #d-j name="jurisdiction" placeholder="US-IL" required; }
                div { label for="d-by" { (t(lang, "x_signed_by")) } input #d-by name="signed_by" required; }
            }
            label for="d-text" { (t(lang, "x_statement")) }
            textarea #d-text name="statement" rows="3" cols="90" required {}
            br; button type="submit" { (t(lang, "record_decl")) }
        }
        h2 { (t(lang, "policy_h")) }
        form method="post" action="/ui/admin/policy" {
            input type="hidden" name="csrf" value=(user.csrf);
            label for="policy" { (t(lang, "policy_rules")) }
            textarea #policy name="cedar" rows="6" cols="90" translate="no" { "@id(\"my.no-traffic\") @citation(\"General Order\") @explanation(\"We do not use ALPR for traffic enforcement.\")\nforbid (principal, action, resource) when { context.purposes.contains(\"traffic_enforcement\") };" }
            br; button type="submit" { (t(lang, "save_policy")) }
        }
    }
}

/// The admin page.
pub async fn page(State(node): State<AppState>, user: WebUser) -> Response {
    if !ADMIN_PERMISSIONS.iter().any(|p| can(&user, *p)) {
        return crate::error::ApiError::from(sightline_service::permissions::denied(
            Permission::ManageHotlists,
        ))
        .into_response();
    }
    layout(
        user.lang,
        t(user.lang, "admin"),
        Some(&user),
        page_body(&node, &user, None),
    )
    .into_response()
}

/// Runs one audited admin change for a form: checks the role and the form's CSRF token, runs
/// `f` off the async runtime, and re-renders the page with the audit entry or the refusal.
async fn done(
    node: AppState,
    user: WebUser,
    csrf: String,
    f: impl FnOnce(&AppState, &Caller) -> Result<u64, sightline_service::Error> + Send + 'static,
) -> Response {
    if let Err(e) = user.check_csrf(&csrf) {
        return e.into_response();
    }
    let lang: Lang = user.lang;
    let (n, u) = (node.clone(), user.caller());
    let outcome = match tokio::task::spawn_blocking(move || f(&n, &u)).await {
        Ok(r) => r,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let message = outcome.map(|seq| format!("{} {seq}.", t(lang, "saved")));
    layout(
        lang,
        t(user.lang, "admin"),
        Some(&user),
        page_body(&node, &user, Some(message)),
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct CameraForm {
    csrf: String,
    name: String,
    lat: f64,
    lon: f64,
    #[serde(default)]
    hit_only: Option<String>,
    #[serde(default)]
    check_purposes: String,
}

pub async fn add_camera(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<CameraForm>,
) -> Response {
    done(node, user, f.csrf.clone(), move |n, u| {
        let req = CreateCamera {
            agency: None,
            name: f.name,
            lat: f.lat,
            lon: f.lon,
            bearing: None,
            mobile: false,
            hit_only: f.hit_only.is_some(),
            check_purposes: f
                .check_purposes
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(Category::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(sightline_service::Error::from)?,
        };
        n.create_camera(u, &req).map(|c| c.audit_seq)
    })
    .await
}

#[derive(Deserialize)]
pub struct UserForm {
    csrf: String,
    username: String,
    display_name: String,
    role: String,
    password: String,
}

pub async fn add_user(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<UserForm>,
) -> Response {
    done(node, user, f.csrf.clone(), move |n, u| {
        let req = CreateUser {
            agency: None,
            username: f.username,
            display_name: f.display_name,
            role: f.role,
            password: f.password,
            must_change_password: true,
        };
        n.create_user(u, &req).map(|a| a.audit_seq)
    })
    .await
}

#[derive(Deserialize)]
pub struct AgreementForm {
    csrf: String,
    grantee_kind: String,
    #[serde(default)]
    grantee: String,
    purposes: String,
    #[serde(default)]
    scope: String,
}

pub async fn add_agreement(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<AgreementForm>,
) -> Response {
    done(node, user, f.csrf.clone(), move |n, u| {
        let grantee = match f.grantee_kind.as_str() {
            "agency" => Grantee::Agency(
                AgencyId::parse(f.grantee.trim()).map_err(sightline_service::Error::from)?,
            ),
            "jurisdiction" => Grantee::Jurisdiction(
                Jurisdiction::parse(&f.grantee).map_err(sightline_service::Error::from)?,
            ),
            _ => Grantee::National,
        };
        let purposes = f
            .purposes
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>();
        for p in &purposes {
            Purpose::parse(p).map_err(sightline_service::Error::from)?;
        }
        let req = CreateAgreement {
            owner: None,
            grantee,
            purposes,
            expires_at: None,
            scope: if f.scope == "hotlist_matching" {
                AgreementScope::HotlistMatching
            } else {
                AgreementScope::Search
            },
        };
        n.create_agreement(u, &req).map(|a| a.audit_seq)
    })
    .await
}

#[derive(Deserialize)]
pub struct ListForm {
    csrf: String,
    name: String,
    category: String,
    #[serde(default)]
    shared_with: String,
}

pub async fn add_list(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<ListForm>,
) -> Response {
    done(node, user, f.csrf.clone(), move |n, u| {
        let category = Category::parse(&f.category).map_err(sightline_service::Error::from)?;
        let shared = f
            .shared_with
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(AgencyId::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(sightline_service::Error::from)?;
        n.create_hotlist(u, &f.name, category, "custom", &shared)
            .map(|a| a.audit_seq)
    })
    .await
}

#[derive(Deserialize)]
pub struct EntriesForm {
    csrf: String,
    list_id: i64,
    mode: String,
    csv: String,
}

pub async fn add_entries(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<EntriesForm>,
) -> Response {
    done(node, user, f.csrf.clone(), move |n, u| {
        let entries: Vec<HotEntry> = HotlistStore::parse_csv(&f.csv, &u.name(), n.clock.now())
            .map_err(sightline_service::Error::from)?;
        let mode = if f.mode == "replace" {
            ImportMode::Replace
        } else {
            ImportMode::Merge
        };
        n.put_hotlist_entries(u, f.list_id, entries, mode)
    })
    .await
}

#[derive(Deserialize)]
pub struct PolicyForm {
    csrf: String,
    cedar: String,
}

pub async fn set_policy(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<PolicyForm>,
) -> Response {
    done(node, user, f.csrf.clone(), move |n, u| {
        n.set_agency_policy(u, &f.cedar)
    })
    .await
}

#[derive(Deserialize)]
pub struct HoldForm {
    csrf: String,
    case_number: String,
    plate: String,
    days: i64,
    reason: String,
}

pub async fn add_hold(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<HoldForm>,
) -> Response {
    done(node, user, f.csrf.clone(), move |n, u| {
        let now = n.clock.now();
        let req = crate::governance::CreateHold {
            case_number: f.case_number,
            plate: f.plate,
            from: now - chrono::Duration::days(f.days.clamp(1, 366)),
            to: now + chrono::Duration::minutes(1),
            reason: f.reason,
        };
        n.create_hold(u, &req).map(|h| h.audit_seq)
    })
    .await
}

#[derive(Deserialize)]
pub struct DeclarationForm {
    csrf: String,
    jurisdiction: String,
    signed_by: String,
    statement: String,
}

pub async fn add_declaration(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<DeclarationForm>,
) -> Response {
    done(node, user, f.csrf.clone(), move |n, u| {
        let req = crate::admin::CreateDeclaration {
            agency: None,
            jurisdiction: f.jurisdiction,
            statement: f.statement,
            signed_by: f.signed_by,
        };
        n.create_declaration(u, &req).map(|d| d.audit_seq)
    })
    .await
}

#[derive(Deserialize)]
pub struct LifecycleForm {
    csrf: String,
    action: String,
    id: i64,
    #[serde(default)]
    value: String,
}

/// One form for every lifecycle action of the page's tables (disable, enable, role, revoke,
/// rotate, end, release); the service decides whether the caller may.
pub async fn lifecycle(
    State(node): State<AppState>,
    user: WebUser,
    Form(f): Form<LifecycleForm>,
) -> Response {
    done(node, user, f.csrf.clone(), move |n, u| {
        let id = f.id;
        match f.action.as_str() {
            "user.disable" => n.set_user_disabled(u, id, true),
            "user.enable" => n.set_user_disabled(u, id, false),
            "user.role" => n.set_user_role(u, id, &crate::admin::SetRole { role: f.value }),
            "user.revoke_tokens" => n.revoke_user_tokens(u, id),
            "camera.revoke" => n.revoke_camera(u, id),
            "camera.rotate" => n.rotate_camera_key(u, id).map(|k| k.audit_seq),
            "sharing.end" => n.end_agreement(u, id),
            "declaration.end" => n.end_declaration(u, id),
            "hotlist.end" => n.end_hotlist(u, id),
            "hold.release" => n.release_hold(u, id).map(|h| h.audit_seq),
            "webhook.end" => n.end_webhook(u, id),
            other => Err(sightline_service::Error::bad_request(format!(
                "unknown action `{}`",
                sightline_service::hotlists::excerpt(other)
            ))),
        }
    })
    .await
}

/// A one-button form for a lifecycle action.
fn action_button(user: &WebUser, action: &str, id: i64, label: &str) -> Markup {
    html! {
        form.inline method="post" action="/ui/admin/lifecycle" {
            input type="hidden" name="csrf" value=(user.csrf);
            input type="hidden" name="action" value=(action);
            input type="hidden" name="id" value=(id);
            button type="submit" data-action=(action) data-id=(id) { (label) }
        }
    }
}

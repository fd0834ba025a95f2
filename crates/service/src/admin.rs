//! The request and answer types of the directory and account services (shared by the API, the
//! web UI and the demo's seeding).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sightline_store::{AgreementScope, Grantee, UserRecord};
use sightline_types::{AgencyId, Camera, Role};

/// Body of `POST /api/v1/agencies`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgency {
    /// Slug id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind code.
    pub kind: String,
    /// Jurisdiction code.
    pub jurisdiction: String,
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Agency (default: the caller's).
    #[serde(default)]
    pub agency: Option<String>,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Initial password (at least 12 characters).
    pub password: String,
    /// The user must choose a new password at first sign-in (default true: an admin-chosen
    /// password is known to someone else).
    #[serde(default = "yes")]
    pub must_change_password: bool,
}

fn yes() -> bool {
    true
}

/// Body of `POST /api/v1/users/{id}/role`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRole {
    /// New role.
    pub role: String,
}

/// Body of `POST /api/v1/users/{id}/password` (admin reset).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// New password (at least 12 characters); the user must change it at next sign-in.
    pub password: String,
}

/// Body of `POST /api/v1/me/password`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The current password.
    pub current_password: String,
    /// The new one (at least 12 characters, different from the current one).
    pub new_password: String,
}

/// Body of `PUT /api/v1/agencies/{id}/location` (node operators).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyLocation {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// Body of `PUT /api/v1/cameras/{id}/mode`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CameraMode {
    /// Hit-only mode.
    pub hit_only: bool,
    /// Hot-list categories its checks are bound to (required for owners under German law).
    #[serde(default)]
    pub check_purposes: Vec<sightline_hotlist::Category>,
}

/// Answer of rotating a camera key: the new key is shown only here.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CameraKey {
    /// Camera id.
    pub camera_id: i64,
    /// The new device key.
    pub device_key: String,
    /// Audit entry.
    pub audit_seq: u64,
}

/// Body of `POST /api/v1/cameras`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCamera {
    /// Owner (default: the caller's agency).
    #[serde(default)]
    pub agency: Option<String>,
    /// Name.
    pub name: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Bearing, degrees.
    #[serde(default)]
    pub bearing: Option<f64>,
    /// Mobile camera.
    #[serde(default)]
    pub mobile: bool,
    /// Hit-only mode: the camera matches hot lists itself (keyed hashes) and sends only hits;
    /// the node refuses any other read from it.
    #[serde(default)]
    pub hit_only: bool,
    /// Bind the camera's checks to these hot-list categories (only such lists run on it, and each
    /// hit records them); required for owners under German law.
    #[serde(default)]
    pub check_purposes: Vec<sightline_hotlist::Category>,
}

/// Answer of `POST /api/v1/cameras`: the device key is shown only here.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CameraCreated {
    /// The camera.
    pub camera: Camera,
    /// Its device key (store it on the camera; it is not shown again).
    pub device_key: String,
    /// Audit entry of the change.
    pub audit_seq: u64,
}

/// Body of `POST /api/v1/sharing-agreements`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgreement {
    /// Owner (default: the caller's agency).
    #[serde(default)]
    pub owner: Option<String>,
    /// Who gets access.
    pub grantee: Grantee,
    /// What it grants: `search` (default) or `hotlist_matching` (the grantee's lists of these
    /// purposes may run on the owner's cameras).
    #[serde(default)]
    pub scope: AgreementScope,
    /// Purpose codes covered.
    pub purposes: Vec<String>,
    /// Expiry.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Body of `POST /api/v1/declarations`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDeclaration {
    /// Declaring agency (default: the caller's).
    #[serde(default)]
    pub agency: Option<String>,
    /// Jurisdiction whose law the agency declares it will follow.
    pub jurisdiction: String,
    /// The statement.
    pub statement: String,
    /// Signatory.
    pub signed_by: String,
}

/// Body of `POST /api/v1/login`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Answer of a login.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Who you are.
    pub user: UserView,
}

/// A user as shown by the API (no password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Agency.
    pub agency: AgencyId,
    /// Node operator.
    pub node_operator: bool,
    /// Disabled (cannot sign in; tokens revoked).
    pub disabled: bool,
    /// Must choose a new password before anything else.
    pub must_change_password: bool,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        UserView {
            id: u.id.0,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            agency: u.agency.clone(),
            node_operator: u.node_operator,
            disabled: u.disabled,
            must_change_password: u.must_change_password,
        }
    }
}

/// An object created by an admin call, with its audit entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Audited<T> {
    /// The object.
    pub item: T,
    /// Audit entry of the change.
    pub audit_seq: u64,
}

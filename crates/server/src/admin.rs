//! Directory changes (agencies, users, cameras, sharing agreements, declarations) and login.
//! Every change is written to the audit log; the response carries the entry's sequence number.
//! Used by the API handlers and by the demo's seeding, so both follow the same rules.

use crate::auth::{self, CAMERA_KEY_PREFIX, USER_TOKEN_PREFIX};
use crate::error::{ApiError, ApiResult};
use crate::node::Node;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sightline_audit::{Actor, EntryDraft};
use sightline_search::Principal;
use sightline_store::{Declaration, Grantee, NewCamera, NewUser, SharingAgreement, UserRecord};
use sightline_types::{
    Agency, AgencyId, AgencyKind, Camera, ErrorCode, Jurisdiction, Purpose, Role,
};

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

/// Resolves the agency an admin acts for: their own, or (node operators only) another.
fn acting_agency(who: &Principal, requested: Option<&str>) -> ApiResult<AgencyId> {
    match requested.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(who.agency.id.clone()),
        Some(s) => {
            let id = AgencyId::parse(s)?;
            if id != who.agency.id && !who.user.node_operator {
                return Err(ApiError::forbidden(format!(
                    "you may only manage your own agency ({})",
                    who.agency.id
                )));
            }
            Ok(id)
        }
    }
}

fn non_empty(what: &str, s: &str, max: usize) -> ApiResult<String> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(ApiError::bad_request(format!(
            "{what} must be 1 to {max} characters"
        )));
    }
    Ok(t.to_owned())
}

impl Node {
    /// Appends an admin audit entry.
    ///
    /// # Errors
    /// 503 when the audit log is unavailable.
    pub fn audit_change(
        &self,
        actor: Actor,
        action: &str,
        owners: Vec<AgencyId>,
        details: serde_json::Value,
    ) -> ApiResult<u64> {
        let r = self.audit.append(EntryDraft {
            actor,
            action: action.into(),
            outcome: "ok".into(),
            owners,
            details,
        })?;
        self.metrics.audit_appends.inc();
        Ok(r.seq)
    }

    /// Creates an agency.
    ///
    /// # Errors
    /// 400 for invalid fields, 409 for a taken id.
    pub fn create_agency(&self, actor: Actor, req: &CreateAgency) -> ApiResult<Audited<Agency>> {
        let a = Agency {
            id: AgencyId::parse(req.id.trim())?,
            name: non_empty("name", &req.name, 200)?,
            kind: AgencyKind::parse(req.kind.trim())?,
            jurisdiction: Jurisdiction::parse(&req.jurisdiction)?,
        };
        self.store.create_agency(&a)?;
        let seq = self.audit_change(
            actor,
            "agency.create",
            vec![a.id.clone()],
            json!({ "agency": a }),
        )?;
        Ok(Audited {
            item: a,
            audit_seq: seq,
        })
    }

    /// Creates a user (hashes the password; blocking).
    ///
    /// # Errors
    /// 400 for invalid fields or a weak password, 403 across agencies, 409 for a taken name.
    pub fn create_user(
        &self,
        who: Option<&Principal>,
        actor: Actor,
        req: &CreateUser,
    ) -> ApiResult<Audited<UserView>> {
        let agency = match who {
            Some(w) => acting_agency(w, req.agency.as_deref())?,
            None => AgencyId::parse(req.agency.as_deref().unwrap_or_default())?,
        };
        let username = non_empty("username", &req.username, 64)?;
        if !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
        {
            return Err(ApiError::bad_request(
                "username may contain only letters, digits, . - _ @",
            ));
        }
        auth::check_password_policy(&req.password)?;
        let user = NewUser {
            agency: agency.clone(),
            username,
            display_name: non_empty("display_name", &req.display_name, 200)?,
            role: Role::parse(req.role.trim())?,
            password_hash: auth::hash_password(&req.password)?,
            node_operator: false,
        };
        let rec = self.store.create_user(&user, self.clock.now())?;
        let view = UserView::from(&rec);
        let seq = self.audit_change(actor, "user.create", vec![agency], json!({ "user": view }))?;
        Ok(Audited {
            item: view,
            audit_seq: seq,
        })
    }

    /// Creates the node operator account (bootstrap and demo only).
    ///
    /// # Errors
    /// As [`Node::create_user`].
    pub fn create_operator(
        &self,
        agency: &AgencyId,
        username: &str,
        password: &str,
    ) -> ApiResult<UserView> {
        auth::check_password_policy(password)?;
        let user = NewUser {
            agency: agency.clone(),
            username: username.to_owned(),
            display_name: "Node operator".into(),
            role: Role::Admin,
            password_hash: auth::hash_password(password)?,
            node_operator: true,
        };
        let rec = self.store.create_user(&user, self.clock.now())?;
        let view = UserView::from(&rec);
        self.audit_change(
            Actor::system(),
            "user.create",
            vec![agency.clone()],
            json!({ "user": view }),
        )?;
        Ok(view)
    }

    /// Creates a camera and its device key.
    ///
    /// # Errors
    /// 400 for invalid fields, 403 across agencies.
    pub fn create_camera(
        &self,
        who: Option<&Principal>,
        actor: Actor,
        req: &CreateCamera,
    ) -> ApiResult<CameraCreated> {
        let owner = match who {
            Some(w) => acting_agency(w, req.agency.as_deref())?,
            None => AgencyId::parse(req.agency.as_deref().unwrap_or_default())?,
        };
        if !(-90.0..=90.0).contains(&req.lat) || !(-180.0..=180.0).contains(&req.lon) {
            return Err(ApiError::bad_request(
                "lat must be in -90..=90 and lon in -180..=180",
            ));
        }
        if req.bearing.is_some_and(|b| !(0.0..360.0).contains(&b)) {
            return Err(ApiError::bad_request("bearing must be in 0..360 degrees"));
        }
        let owner_agency = self.store.agency(&owner)?;
        if owner_agency.jurisdiction.country() == "DE" && req.check_purposes.is_empty() {
            return Err(ApiError::bad_request(
                "cameras of German owners must name check_purposes: hot lists are selected per purpose of the check (BVerfG, 1 BvR 142/15)",
            ));
        }
        let key = auth::new_secret(CAMERA_KEY_PREFIX);
        let cam = self.store.create_camera(
            &NewCamera {
                owner: owner.clone(),
                name: non_empty("name", &req.name, 200)?,
                lat: req.lat,
                lon: req.lon,
                bearing: req.bearing,
                mobile: req.mobile,
                key_hash: auth::hash_secret(&key),
            },
            self.clock.now(),
        )?;
        let seq = self.audit_change(
            actor,
            "camera.create",
            vec![owner],
            json!({ "camera": cam }),
        )?;
        Ok(CameraCreated {
            camera: cam,
            device_key: key,
            audit_seq: seq,
        })
    }

    /// Creates a sharing agreement.
    ///
    /// # Errors
    /// 400 for unknown purposes or an empty list, 403 across agencies, 404 for unknown agencies.
    pub fn create_agreement(
        &self,
        who: Option<&Principal>,
        actor: Actor,
        req: &CreateAgreement,
    ) -> ApiResult<Audited<SharingAgreement>> {
        let owner = match who {
            Some(w) => acting_agency(w, req.owner.as_deref())?,
            None => AgencyId::parse(req.owner.as_deref().unwrap_or_default())?,
        };
        if req.purposes.is_empty() {
            return Err(ApiError::bad_request(
                "purposes must list at least one purpose code",
            ));
        }
        let purposes = req
            .purposes
            .iter()
            .map(|p| Purpose::parse(p.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        let now = self.clock.now();
        if req.expires_at.is_some_and(|e| e <= now) {
            return Err(ApiError::bad_request("expires_at must be in the future"));
        }
        let a = self.store.create_agreement(&SharingAgreement {
            id: 0,
            owner: owner.clone(),
            grantee: req.grantee.clone(),
            purposes,
            expires_at: req.expires_at,
            created_by: actor.name.clone(),
            created_at: now,
        })?;
        let seq = self.audit_change(
            actor,
            "sharing.create",
            vec![owner],
            json!({ "agreement": a }),
        )?;
        Ok(Audited {
            item: a,
            audit_seq: seq,
        })
    }

    /// Records a written declaration.
    ///
    /// # Errors
    /// 400 for invalid fields, 403 across agencies.
    pub fn create_declaration(
        &self,
        who: Option<&Principal>,
        actor: Actor,
        req: &CreateDeclaration,
    ) -> ApiResult<Audited<Declaration>> {
        let agency = match who {
            Some(w) => acting_agency(w, req.agency.as_deref())?,
            None => AgencyId::parse(req.agency.as_deref().unwrap_or_default())?,
        };
        let d = self.store.create_declaration(&Declaration {
            id: 0,
            agency: agency.clone(),
            jurisdiction: Jurisdiction::parse(&req.jurisdiction)?,
            statement: non_empty("statement", &req.statement, 5000)?,
            signed_by: non_empty("signed_by", &req.signed_by, 200)?,
            recorded_at: self.clock.now(),
        })?;
        let seq = self.audit_change(
            actor,
            "declaration.create",
            vec![agency],
            json!({ "declaration": d }),
        )?;
        Ok(Audited {
            item: d,
            audit_seq: seq,
        })
    }

    /// Checks a password and issues an API token (blocking: argon2).
    ///
    /// # Errors
    /// 401 for an unknown user or a wrong password (same message for both).
    pub fn login(&self, req: &LoginRequest) -> ApiResult<LoginResponse> {
        let user = self.check_password(req.username.trim(), &req.password)?;
        self.issue_token(&user, "login")
    }

    /// Checks a username and password, with a lockout after repeated failures: after 5 failures
    /// in a row a username is refused for 2^(failures − 5) seconds (capped at an hour), so
    /// guessing passwords online is slow; argon2id makes each guess slow too.
    ///
    /// # Errors
    /// 401 for an unknown user or a wrong password (same message for both); 429 while locked.
    pub fn check_password(&self, username: &str, password: &str) -> ApiResult<UserRecord> {
        let key = username.to_lowercase();
        let previous = self
            .login_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .copied();
        if let Some((n, at)) = previous
            && n >= 5
        {
            let wait = std::time::Duration::from_secs((1u64 << (n - 5).min(12)).min(3600));
            if at.elapsed() < wait {
                let secs = (wait - at.elapsed()).as_secs() + 1;
                return Err(ApiError::new(
                    ErrorCode::TooManyRequests,
                    format!("too many failed sign-ins for this user; try again in {secs} s"),
                ));
            }
        }
        let fail = || {
            let mut f = self
                .login_failures
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let entry = f
                .entry(key.clone())
                .or_insert((0, std::time::Instant::now()));
            *entry = (entry.0 + 1, std::time::Instant::now());
            ApiError::new(
                ErrorCode::Unauthenticated,
                "unknown username or wrong password",
            )
        };
        let Some(user) = self.store.user_by_username(username)? else {
            return Err(fail());
        };
        if !auth::verify_password(password, &user.password_hash) {
            return Err(fail());
        }
        self.login_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        Ok(user)
    }

    /// Issues an API token for a user.
    ///
    /// # Errors
    /// Store failures.
    pub fn issue_token(&self, user: &UserRecord, label: &str) -> ApiResult<LoginResponse> {
        let token = auth::new_secret(USER_TOKEN_PREFIX);
        let now = self.clock.now();
        let expires_at = now + Duration::hours(self.config.token_ttl_hours);
        self.store.insert_token(
            &auth::hash_secret(&token),
            user.id,
            label,
            now,
            Some(expires_at),
        )?;
        Ok(LoginResponse {
            token,
            expires_at,
            user: UserView::from(user),
        })
    }
}

//! The directory service: agencies, users, cameras, sharing agreements and declarations — their
//! creation, their lifecycle (disable, re-enable, role, password reset, key revocation and
//! rotation, ending agreements and declarations) and what each caller may list.
//!
//! Every operation checks a [`Permission`] for the [`Caller`] first and acts only on the caller's
//! own agency (node operators on any); every change goes through [`Node::commit`], so it takes
//! effect only after its audit entry is durable.

use crate::admin::{
    AgencyLocation, Audited, CameraCreated, CameraKey, CameraMode, CreateAgency, CreateAgreement,
    CreateCamera, CreateDeclaration, CreateUser, SetRole, UserView,
};
use crate::changes::{CameraSpec, Change, UserSpec};
use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::{Caller, Permission};
use crate::secrets::{self, CAMERA_KEY_PREFIX};
use sightline_store::{Declaration, IdTable, SharingAgreement, UserRecord};
use sightline_types::{
    Agency, AgencyId, AgencyKind, Camera, CameraId, Jurisdiction, Purpose, Role, UserId,
};

/// Trims a free-text field and checks its length (characters).
///
/// # Errors
/// 400 naming the field.
pub fn bounded(what: &str, s: &str, max: usize) -> Result<String> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(Error::bad_request(format!(
            "{what} must be 1 to {max} characters"
        )));
    }
    Ok(t.to_owned())
}

fn check_position(lat: f64, lon: f64) -> Result<()> {
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(Error::bad_request(
            "lat must be in -90..=90 and lon in -180..=180",
        ));
    }
    Ok(())
}

impl Node {
    /// Creates an agency (node operators).
    ///
    /// # Errors
    /// 403 without `manage_agencies`; 400 for invalid fields; 409 for a taken id.
    pub fn create_agency(&self, caller: &Caller, req: &CreateAgency) -> Result<Audited<Agency>> {
        caller.require(Permission::ManageAgencies)?;
        let a = Agency {
            id: AgencyId::parse(req.id.trim())?,
            name: bounded("name", &req.name, 200)?,
            kind: AgencyKind::parse(req.kind.trim())?,
            jurisdiction: Jurisdiction::parse(&req.jurisdiction)?,
        };
        let (_, seq) = self.commit(caller, |n| {
            if n.store.agency(&a.id).is_ok() {
                return Err(Error::new(
                    sightline_types::ErrorCode::Conflict,
                    format!("agency `{}` already exists", a.id),
                ));
            }
            Ok(Change::AgencyCreate { agency: a.clone() })
        })?;
        Ok(Audited {
            item: a,
            audit_seq: seq,
        })
    }

    /// Sets an agency's registered location, from which radius agreements are measured (node
    /// operators only: a grantee must not be able to move itself into an owner's radius).
    ///
    /// # Errors
    /// 403 without `manage_agencies`; 400 for a bad position; 404 for an unknown agency.
    pub fn set_agency_location(
        &self,
        caller: &Caller,
        agency: &AgencyId,
        req: &AgencyLocation,
    ) -> Result<u64> {
        caller.require(Permission::ManageAgencies)?;
        check_position(req.lat, req.lon)?;
        self.store.agency(agency)?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::AgencyLocation {
                agency: agency.clone(),
                lat: req.lat,
                lon: req.lon,
            })
        })?;
        Ok(seq)
    }

    /// Creates a user (hashes the password; blocking).
    ///
    /// # Errors
    /// 403 without `manage_users` or across agencies; 400 for invalid fields or a weak password;
    /// 409 for a taken name.
    pub fn create_user(&self, caller: &Caller, req: &CreateUser) -> Result<Audited<UserView>> {
        let agency = caller.acting_for(Permission::ManageUsers, req.agency.as_deref())?;
        self.store.agency(&agency)?;
        let username = bounded("username", &req.username, 64)?;
        if !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
        {
            return Err(Error::bad_request(
                "username may contain only letters, digits, . - _ @",
            ));
        }
        secrets::check_password_policy(&req.password)?;
        let role = Role::parse(req.role.trim())?;
        let display_name = bounded("display_name", &req.display_name, 200)?;
        let password_hash = secrets::hash_password(&req.password)?;
        self.create_user_record(
            caller,
            agency,
            username,
            display_name,
            role,
            password_hash,
            false,
            req.must_change_password,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn create_user_record(
        &self,
        caller: &Caller,
        agency: AgencyId,
        username: String,
        display_name: String,
        role: Role,
        password_hash: String,
        node_operator: bool,
        must_change_password: bool,
    ) -> Result<Audited<UserView>> {
        let (change, seq) = self.commit(caller, |n| {
            if n.store.user_by_username(&username)?.is_some() {
                return Err(Error::new(
                    sightline_types::ErrorCode::Conflict,
                    format!("user `{username}` already exists"),
                ));
            }
            Ok(Change::UserCreate {
                user: UserSpec {
                    id: n.store.next_id(IdTable::Users)?,
                    agency,
                    username,
                    display_name,
                    role,
                    password_hash,
                    node_operator,
                    must_change_password,
                },
            })
        })?;
        let Change::UserCreate { user } = change else {
            unreachable!("create_user commits a UserCreate")
        };
        let rec = self
            .store
            .user_by_id(UserId(user.id))?
            .ok_or_else(|| Error::not_found(format!("user {}", user.id)))?;
        Ok(Audited {
            item: UserView::from(&rec),
            audit_seq: seq,
        })
    }

    /// Creates the node operator account (bootstrap and demo only: the system caller).
    ///
    /// # Errors
    /// As [`Node::create_user`].
    pub fn create_operator(
        &self,
        agency: &AgencyId,
        username: &str,
        password: &str,
    ) -> Result<UserView> {
        secrets::check_password_policy(password)?;
        let hash = secrets::hash_password(password)?;
        let out = self.create_user_record(
            &Caller::System,
            agency.clone(),
            username.to_owned(),
            "Node operator".into(),
            Role::Admin,
            hash,
            true,
            false,
        )?;
        Ok(out.item)
    }

    /// Creates a camera and its device key, with its hit-only mode and per-purpose binding.
    ///
    /// # Errors
    /// 403 without `manage_cameras` or across agencies; 400 for invalid fields (German owners
    /// must bind the camera's checks to purposes).
    pub fn create_camera(&self, caller: &Caller, req: &CreateCamera) -> Result<CameraCreated> {
        let owner = caller.acting_for(Permission::ManageCameras, req.agency.as_deref())?;
        check_position(req.lat, req.lon)?;
        if req.bearing.is_some_and(|b| !(0.0..360.0).contains(&b)) {
            return Err(Error::bad_request("bearing must be in 0..360 degrees"));
        }
        let owner_agency = self.store.agency(&owner)?;
        check_purpose_binding(&owner_agency, &req.check_purposes)?;
        let name = bounded("name", &req.name, 200)?;
        let key = secrets::new_secret(CAMERA_KEY_PREFIX);
        let (change, seq) = self.commit(caller, |n| {
            Ok(Change::CameraCreate {
                camera: CameraSpec {
                    id: n.store.next_id(IdTable::Cameras)?,
                    owner,
                    name,
                    lat: req.lat,
                    lon: req.lon,
                    bearing: req.bearing,
                    mobile: req.mobile,
                    key_hash: secrets::hash_secret(&key),
                    hit_only: req.hit_only,
                    check_purposes: req.check_purposes.clone(),
                },
            })
        })?;
        let Change::CameraCreate { camera } = change else {
            unreachable!("create_camera commits a CameraCreate")
        };
        let cam = self
            .store
            .camera(CameraId(camera.id))
            .ok_or_else(|| Error::not_found(format!("camera {}", camera.id)))?;
        Ok(CameraCreated {
            camera: cam,
            device_key: key,
            audit_seq: seq,
        })
    }

    fn own_camera(&self, caller: &Caller, id: i64) -> Result<Camera> {
        caller.require(Permission::ManageCameras)?;
        let cam = self
            .store
            .camera(CameraId(id))
            .ok_or_else(|| Error::not_found(format!("camera {id} not found")))?;
        caller.require_for(
            Permission::ManageCameras,
            &cam.owner,
            &format!("camera {id}"),
        )?;
        Ok(cam)
    }

    /// Changes a camera's hit-only mode and per-purpose binding.
    ///
    /// # Errors
    /// 403/404 as for every camera change; 400 for a German owner without purposes.
    pub fn set_camera_mode(&self, caller: &Caller, id: i64, req: &CameraMode) -> Result<u64> {
        let cam = self.own_camera(caller, id)?;
        check_purpose_binding(&self.store.agency(&cam.owner)?, &req.check_purposes)?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::CameraMode {
                camera_id: id,
                owner: cam.owner.clone(),
                hit_only: req.hit_only,
                check_purposes: req.check_purposes.clone(),
            })
        })?;
        Ok(seq)
    }

    /// Revokes a camera's key: it can no longer send reads (its stored reads stay).
    ///
    /// # Errors
    /// 403 without `manage_cameras`; 404 for another agency's camera.
    pub fn revoke_camera(&self, caller: &Caller, id: i64) -> Result<u64> {
        let cam = self.own_camera(caller, id)?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::CameraRevoke {
                camera_id: id,
                owner: cam.owner.clone(),
            })
        })?;
        Ok(seq)
    }

    /// Replaces a camera's key (the old one stops working at once) and lifts a revocation.
    ///
    /// # Errors
    /// 403 without `manage_cameras`; 404 for another agency's camera.
    pub fn rotate_camera_key(&self, caller: &Caller, id: i64) -> Result<CameraKey> {
        let cam = self.own_camera(caller, id)?;
        let key = secrets::new_secret(CAMERA_KEY_PREFIX);
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::CameraRotate {
                camera_id: id,
                owner: cam.owner.clone(),
                key_hash: secrets::hash_secret(&key),
            })
        })?;
        Ok(CameraKey {
            camera_id: id,
            device_key: key,
            audit_seq: seq,
        })
    }

    /// Grants a sharing agreement over the caller's agency's data.
    ///
    /// # Errors
    /// 403 without `manage_sharing` or across agencies; 400 for unknown purposes, an empty list,
    /// a past expiry or a bad radius; 404 for unknown agencies.
    pub fn create_agreement(
        &self,
        caller: &Caller,
        req: &CreateAgreement,
    ) -> Result<Audited<SharingAgreement>> {
        let owner = caller.acting_for(Permission::ManageSharing, req.owner.as_deref())?;
        if req.purposes.is_empty() || req.purposes.len() > 64 {
            return Err(Error::bad_request(
                "purposes must list 1 to 64 purpose codes",
            ));
        }
        let purposes = req
            .purposes
            .iter()
            .map(|p| Purpose::parse(p.trim()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let now = self.clock.now();
        if req.expires_at.is_some_and(|e| e <= now) {
            return Err(Error::bad_request("expires_at must be in the future"));
        }
        match &req.grantee {
            sightline_store::Grantee::Radius {
                lat,
                lon,
                radius_km,
            } => {
                check_position(*lat, *lon)?;
                if !(0.1..=2000.0).contains(radius_km) {
                    return Err(Error::bad_request("radius_km must be in 0.1..=2000"));
                }
            }
            sightline_store::Grantee::Group(g) if g.is_empty() || g.len() > 500 => {
                return Err(Error::bad_request("a group names 1 to 500 agencies"));
            }
            _ => {}
        }
        let (change, seq) = self.commit(caller, |n| {
            Ok(Change::SharingCreate {
                agreement: SharingAgreement {
                    id: n.store.next_id(IdTable::Agreements)?,
                    owner,
                    grantee: req.grantee.clone(),
                    purposes,
                    expires_at: req.expires_at,
                    created_by: caller.name(),
                    created_at: now,
                    scope: req.scope,
                    ended_at: None,
                },
            })
        })?;
        let Change::SharingCreate { agreement } = change else {
            unreachable!("create_agreement commits a SharingCreate")
        };
        Ok(Audited {
            item: agreement,
            audit_seq: seq,
        })
    }

    /// Ends one of the caller's agency's sharing agreements, effective immediately.
    ///
    /// # Errors
    /// 403 without `manage_sharing`; 404 when the agency has no such agreement.
    pub fn end_agreement(&self, caller: &Caller, id: i64) -> Result<u64> {
        caller.require(Permission::ManageSharing)?;
        let a = self
            .store
            .agreements()?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| Error::not_found(format!("sharing agreement {id} not found")))?;
        caller.require_for(
            Permission::ManageSharing,
            &a.owner,
            &format!("sharing agreement {id}"),
        )?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::SharingEnd {
                id,
                owner: a.owner.clone(),
            })
        })?;
        Ok(seq)
    }

    /// Records a written declaration.
    ///
    /// # Errors
    /// 403 without `manage_declarations` or across agencies; 400 for invalid fields.
    pub fn create_declaration(
        &self,
        caller: &Caller,
        req: &CreateDeclaration,
    ) -> Result<Audited<Declaration>> {
        let agency = caller.acting_for(Permission::ManageDeclarations, req.agency.as_deref())?;
        let jurisdiction = Jurisdiction::parse(&req.jurisdiction)?;
        let statement = bounded("statement", &req.statement, 5000)?;
        let signed_by = bounded("signed_by", &req.signed_by, 200)?;
        let (change, seq) = self.commit(caller, |n| {
            Ok(Change::DeclarationCreate {
                declaration: Declaration {
                    id: n.store.next_id(IdTable::Declarations)?,
                    agency,
                    jurisdiction,
                    statement,
                    signed_by,
                    recorded_at: n.clock.now(),
                    ended_at: None,
                },
            })
        })?;
        let Change::DeclarationCreate { declaration } = change else {
            unreachable!("create_declaration commits a DeclarationCreate")
        };
        Ok(Audited {
            item: declaration,
            audit_seq: seq,
        })
    }

    /// Withdraws one of the caller's agency's declarations, effective immediately.
    ///
    /// # Errors
    /// 403 without `manage_declarations`; 404 when the agency has no such declaration.
    pub fn end_declaration(&self, caller: &Caller, id: i64) -> Result<u64> {
        caller.require(Permission::ManageDeclarations)?;
        let d = self
            .store
            .declarations()?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or_else(|| Error::not_found(format!("declaration {id} not found")))?;
        caller.require_for(
            Permission::ManageDeclarations,
            &d.agency,
            &format!("declaration {id}"),
        )?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::DeclarationEnd {
                id,
                agency: d.agency.clone(),
            })
        })?;
        Ok(seq)
    }

    /// A user of the caller's agency (node operators: any), for a lifecycle change.
    pub(crate) fn managed_user(&self, caller: &Caller, id: i64) -> Result<UserRecord> {
        caller.require(Permission::ManageUsers)?;
        let u = self
            .store
            .user_by_id(UserId(id))?
            .ok_or_else(|| Error::not_found(format!("user {id} not found")))?;
        caller.require_for(Permission::ManageUsers, &u.agency, &format!("user {id}"))?;
        if u.node_operator && !caller.principal().is_none_or(|p| p.user.node_operator) {
            return Err(Error::forbidden(
                "only node operators manage node operators",
            ));
        }
        Ok(u)
    }

    fn not_self(caller: &Caller, u: &UserRecord, what: &str) -> Result<()> {
        if caller.principal().is_some_and(|p| p.user.id == u.id) {
            return Err(Error::bad_request(format!(
                "you cannot {what} your own account; ask another admin"
            )));
        }
        Ok(())
    }

    /// Disables a user (sign-in refused, every token revoked at once) or re-enables them.
    ///
    /// # Errors
    /// 403 without `manage_users`; 404 for another agency's user; 400 for oneself.
    pub fn set_user_disabled(&self, caller: &Caller, id: i64, disabled: bool) -> Result<u64> {
        let u = self.managed_user(caller, id)?;
        Self::not_self(caller, &u, "disable")?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(if disabled {
                Change::UserDisable {
                    user_id: id,
                    agency: u.agency.clone(),
                }
            } else {
                Change::UserEnable {
                    user_id: id,
                    agency: u.agency.clone(),
                }
            })
        })?;
        Ok(seq)
    }

    /// Changes a user's role (effective on their next request).
    ///
    /// # Errors
    /// 403 without `manage_users`; 404 for another agency's user; 400 for oneself or a bad role.
    pub fn set_user_role(&self, caller: &Caller, id: i64, req: &SetRole) -> Result<u64> {
        let u = self.managed_user(caller, id)?;
        Self::not_self(caller, &u, "change the role of")?;
        let role = Role::parse(req.role.trim())?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::UserRole {
                user_id: id,
                agency: u.agency.clone(),
                role,
            })
        })?;
        Ok(seq)
    }

    /// Resets a user's password: every session ends and they must choose a new one.
    ///
    /// # Errors
    /// 403 without `manage_users`; 404 for another agency's user; 400 for a weak password.
    pub fn reset_password(&self, caller: &Caller, id: i64, password: &str) -> Result<u64> {
        let u = self.managed_user(caller, id)?;
        secrets::check_password_policy(password)?;
        let hash = secrets::hash_password(password)?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::UserPassword {
                user_id: id,
                agency: u.agency.clone(),
                password_hash: hash,
                must_change: true,
            })
        })?;
        Ok(seq)
    }

    /// Revokes every API token and session of a user.
    ///
    /// # Errors
    /// 403 without `manage_users`; 404 for another agency's user.
    pub fn revoke_user_tokens(&self, caller: &Caller, id: i64) -> Result<u64> {
        let u = self.managed_user(caller, id)?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::TokenRevoke {
                user_id: id,
                agency: u.agency.clone(),
                token_hash: None,
            })
        })?;
        Ok(seq)
    }

    /// The users of the caller's agency.
    ///
    /// # Errors
    /// 403 without `manage_users`.
    pub fn list_users(&self, caller: &Caller, agency: Option<&str>) -> Result<Vec<UserView>> {
        let agency = caller.acting_for(Permission::ManageUsers, agency)?;
        Ok(self
            .store
            .users_of(&agency)?
            .iter()
            .map(UserView::from)
            .collect())
    }

    /// Every agency on the node.
    ///
    /// # Errors
    /// 403 without `view_directory`.
    pub fn list_agencies(&self, caller: &Caller) -> Result<Vec<Agency>> {
        caller.require(Permission::ViewDirectory)?;
        Ok(self.store.agencies()?)
    }

    /// Every camera's position and owner (no plate data).
    ///
    /// # Errors
    /// 403 without `view_directory`.
    pub fn list_cameras(&self, caller: &Caller) -> Result<Vec<Camera>> {
        caller.require(Permission::ViewDirectory)?;
        Ok(self.store.cameras())
    }

    /// The agreements the caller's agency grants or is covered by (operators: all).
    ///
    /// # Errors
    /// 403 without `view_directory`.
    pub fn list_agreements(&self, caller: &Caller) -> Result<Vec<SharingAgreement>> {
        caller.require(Permission::ViewDirectory)?;
        let all = self.store.agreements()?;
        let Some(who) = caller.principal().filter(|p| !p.user.node_operator) else {
            return Ok(all);
        };
        let location = self.store.agency_locations()?.get(&who.agency.id).copied();
        Ok(all
            .into_iter()
            .filter(|a| a.owner == who.agency.id || a.grantee.covers(&who.agency, location))
            .collect())
    }

    /// The declarations on record (they are public statements).
    ///
    /// # Errors
    /// 403 without `view_directory`.
    pub fn list_declarations(&self, caller: &Caller) -> Result<Vec<Declaration>> {
        caller.require(Permission::ViewDirectory)?;
        Ok(self.store.declarations()?)
    }
}

/// German owners must bind each camera's checks to purposes (BVerfG, 1 BvR 142/15).
fn check_purpose_binding(owner: &Agency, purposes: &[sightline_hotlist::Category]) -> Result<()> {
    if owner.jurisdiction.country() == "DE" && purposes.is_empty() {
        return Err(Error::bad_request(
            "cameras of German owners must name check_purposes: hot lists are selected per purpose of the check (BVerfG, 1 BvR 142/15)",
        ));
    }
    if purposes.len() > 32 {
        return Err(Error::bad_request(
            "check_purposes names at most 32 categories",
        ));
    }
    Ok(())
}

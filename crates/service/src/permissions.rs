//! Who is calling, and the check every service operation starts with.
//!
//! The table itself is [`sightline_types::permission`] (one table for every door, the search
//! included); this module turns a caller into a checked principal or a 403 naming the permission.

use crate::error::{Error, Result};
use sightline_audit::Actor;
use sightline_search::Principal;
use sightline_types::AgencyId;
pub use sightline_types::Permission;

/// The caller of a service operation.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A signed-in user.
    User(Principal),
    /// The node itself: start-up, the demo's seeding, scheduled jobs. Holds every permission and
    /// may act for any agency; never reachable from a request.
    System,
}

impl Caller {
    /// The audit actor.
    pub fn actor(&self) -> Actor {
        match self {
            Caller::User(p) => p.actor(),
            Caller::System => Actor::system(),
        }
    }

    /// The user, if any.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Caller::User(p) => Some(p),
            Caller::System => None,
        }
    }

    /// A short name for records (`created_by`, `added_by`).
    pub fn name(&self) -> String {
        match self {
            Caller::User(p) => p.user.username.clone(),
            Caller::System => "system".into(),
        }
    }

    /// Checks that the caller holds `permission`.
    ///
    /// # Errors
    /// 403 naming the permission and the roles that hold it.
    pub fn require(&self, permission: Permission) -> Result<()> {
        match self {
            Caller::System => Ok(()),
            Caller::User(p) => {
                if p.user.disabled {
                    return Err(Error::new(
                        sightline_types::ErrorCode::Unauthenticated,
                        "this account is disabled",
                    )
                    .keyed("err.disabled", []));
                }
                if permission.allows(p.user.role, p.user.node_operator) {
                    Ok(())
                } else {
                    Err(denied(permission))
                }
            }
        }
    }

    /// Checks `permission` and resolves the agency the caller acts for: their own, or (node
    /// operators and the system only) the one requested.
    ///
    /// # Errors
    /// 403 without the permission or across agencies; 400 for a malformed agency id.
    pub fn acting_for(&self, permission: Permission, requested: Option<&str>) -> Result<AgencyId> {
        self.require(permission)?;
        let requested = requested.map(str::trim).filter(|s| !s.is_empty());
        match (self, requested) {
            (Caller::System, None) => Err(Error::bad_request("the agency must be named")),
            (Caller::System, Some(s)) => Ok(AgencyId::parse(s)?),
            (Caller::User(p), None) => Ok(p.agency.id.clone()),
            (Caller::User(p), Some(s)) => {
                let id = AgencyId::parse(s)?;
                if id != p.agency.id && !p.user.node_operator {
                    return Err(Error::forbidden(format!(
                        "you may only manage your own agency ({})",
                        p.agency.id
                    )));
                }
                Ok(id)
            }
        }
    }

    /// Checks `permission` and that the caller may act on `agency`'s objects.
    ///
    /// # Errors
    /// 403 without the permission; 404 (not 403, so ids do not leak) for another agency's object.
    pub fn require_for(&self, permission: Permission, agency: &AgencyId, what: &str) -> Result<()> {
        self.require(permission)?;
        match self {
            Caller::User(p) if !p.user.node_operator && &p.agency.id != agency => {
                Err(Error::not_found(format!("{what} not found")))
            }
            _ => Ok(()),
        }
    }
}

/// The 403 for a missing permission.
pub fn denied(permission: Permission) -> Error {
    let roles: Vec<&str> = permission.roles().iter().map(|r| r.code()).collect();
    let holders = if roles.is_empty() {
        "node operators".to_owned()
    } else {
        format!("the role {}", roles.join(" or "))
    };
    Error::forbidden(format!(
        "this needs the permission `{}` ({holders})",
        permission.code()
    ))
    .keyed(
        "err.permission",
        [permission.code().to_owned(), roles.join(", ")],
    )
}

//! The one role → permission table. Every door (API, web UI, services, the search itself) asks
//! [`Permission::allows`]; nothing else decides what a role may do.
//!
//! Node operators run the node: they hold every permission, and are the only ones who may create
//! agencies and set an agency's registered location (which radius agreements are measured from,
//! so a grantee cannot move itself into range by placing a camera).

use crate::agency::{Role, coded_enum};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

coded_enum! {
    /// What an operation needs.
    Permission, "permission" {
        /// Run plate searches (policy still decides per data owner).
        SearchPlates => "search_plates",
        /// See and acknowledge hot-list alerts of the caller's agency.
        ReceiveAlerts => "receive_alerts",
        /// Create, change, share and end the agency's hot lists and their entries.
        ManageHotlists => "manage_hotlists",
        /// Register, end and test the agency's alert webhooks.
        ManageWebhooks => "manage_webhooks",
        /// Create, disable, re-enable users, change roles and reset passwords in the agency.
        ManageUsers => "manage_users",
        /// Register cameras, set their modes, revoke and rotate their keys.
        ManageCameras => "manage_cameras",
        /// Grant and end sharing agreements over the agency's data.
        ManageSharing => "manage_sharing",
        /// Record and end the agency's written declarations.
        ManageDeclarations => "manage_declarations",
        /// Replace the agency's own forbid-only policy.
        ManagePolicy => "manage_policy",
        /// Place and release legal holds on the agency's reads.
        ManageHolds => "manage_holds",
        /// See the agency's legal holds.
        ViewHolds => "view_holds",
        /// Read the audit log entries by or about the agency, proofs, exports, findings.
        ReadAudit => "read_audit",
        /// Set the note beside the agency's transparency figures.
        EditTransparency => "edit_transparency",
        /// See the directory: agencies, cameras' positions, agreements that concern the agency.
        ViewDirectory => "view_directory",
        /// Create agencies and set their registered locations (node operators only).
        ManageAgencies => "manage_agencies",
        /// Receive, open and decide the usage watch's findings about the agency's searches (and,
        /// for auditors, searches that touched the agency's data).
        ReviewFindings => "review_findings",
        /// Export an evidence package of one of the caller's own earlier searches (re-run as an
        /// audited access; policy still decides per data owner).
        ExportEvidence => "export_evidence",
        /// Save the caller's own searches and run them again (each run is a new search, checked
        /// and audited like any other).
        SaveSearches => "save_searches",
    }
}

/// The table: each permission and the roles that hold it. Node operators hold all of them;
/// a permission with no role is held by node operators only.
pub const TABLE: &[(Permission, &[Role])] = &[
    (Permission::SearchPlates, &[Role::Officer, Role::Supervisor]),
    (
        Permission::ReceiveAlerts,
        &[Role::Officer, Role::Supervisor, Role::Admin],
    ),
    (Permission::ManageHotlists, &[Role::Supervisor, Role::Admin]),
    (Permission::ManageWebhooks, &[Role::Admin]),
    (Permission::ManageUsers, &[Role::Admin]),
    (Permission::ManageCameras, &[Role::Admin]),
    (Permission::ManageSharing, &[Role::Admin]),
    (Permission::ManageDeclarations, &[Role::Admin]),
    (Permission::ManagePolicy, &[Role::Admin]),
    (Permission::ManageHolds, &[Role::Supervisor, Role::Admin]),
    (
        Permission::ViewHolds,
        &[Role::Supervisor, Role::Admin, Role::Auditor],
    ),
    (Permission::ReadAudit, &[Role::Auditor, Role::Admin]),
    (Permission::EditTransparency, &[Role::Admin]),
    (
        Permission::ViewDirectory,
        &[Role::Officer, Role::Supervisor, Role::Admin, Role::Auditor],
    ),
    (Permission::ManageAgencies, &[]),
    (
        Permission::ReviewFindings,
        &[Role::Supervisor, Role::Auditor],
    ),
    (
        Permission::ExportEvidence,
        &[Role::Officer, Role::Supervisor],
    ),
    (Permission::SaveSearches, &[Role::Officer, Role::Supervisor]),
];

impl Permission {
    /// The roles that hold this permission (node operators hold every one).
    pub fn roles(self) -> &'static [Role] {
        TABLE
            .iter()
            .find(|(p, _)| *p == self)
            .map_or(&[], |(_, r)| *r)
    }

    /// Tells whether a user with `role` (and the node-operator flag) holds this permission.
    pub fn allows(self, role: Role, node_operator: bool) -> bool {
        node_operator || self.roles().contains(&role)
    }

    /// The table as Markdown (README and docs print exactly this).
    pub fn markdown_table() -> String {
        let mut out = String::from(
            "| permission | officer | supervisor | admin | auditor | node operator |\n|---|---|---|---|---|---|\n",
        );
        for (p, _) in TABLE {
            out.push_str(&format!("| `{}` |", p.code()));
            for r in Role::ALL {
                out.push_str(if p.allows(*r, false) { " yes |" } else { " |" });
            }
            out.push_str(" yes |\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_every_permission_has_one_row() {
        for p in Permission::ALL {
            assert_eq!(TABLE.iter().filter(|(q, _)| q == p).count(), 1, "{p:?}");
        }
    }

    #[test]
    fn test_table_least_privilege() {
        assert!(!Permission::SearchPlates.allows(Role::Auditor, false));
        assert!(!Permission::SearchPlates.allows(Role::Admin, false));
        assert!(!Permission::ManageUsers.allows(Role::Supervisor, false));
        assert!(!Permission::ManageAgencies.allows(Role::Admin, false));
        assert!(Permission::ManageAgencies.allows(Role::Admin, true));
        assert!(Permission::ReadAudit.allows(Role::Auditor, false));
        assert!(Permission::markdown_table().contains("| `manage_users` | | | yes | | yes |"));
    }
}

#[cfg(test)]
mod readme {
    #[test]
    fn test_readme_lists_the_permission_table() {
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains(&super::Permission::markdown_table()),
            "README.md's permission table differs from the code; paste Permission::markdown_table()"
        );
    }
}

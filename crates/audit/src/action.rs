//! The closed list of audit actions. Writers name an [`Action`]; readers (transparency, oversight,
//! the UI's filters) match on it, so the two cannot drift apart. On disk an action is its dotted
//! code (`sharing.create`), exactly as before the enum existed, so old logs keep verifying.

use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($($(#[$m:meta])* $variant:ident => $code:literal),+ $(,)?) => {
        /// What an audit entry records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[non_exhaustive]
        pub enum Action { $($(#[$m])* $variant),+ }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The dotted code stored in the log.
            pub fn code(self) -> &'static str {
                match self { $(Action::$variant => $code),+ }
            }

            /// Parses a stored code; `None` for codes this build does not know.
            pub fn parse(code: &str) -> Option<Action> {
                match code { $($code => Some(Action::$variant),)+ _ => None }
            }
        }
    };
}

actions! {
    /// A plate search: outcome `allowed`, `partial`, `denied` per owner, or `refused` before any
    /// owner was asked (no purpose, malformed query, role).
    Search => "search",
    /// An agency was created.
    AgencyCreate => "agency.create",
    /// An agency's registered location was set (radius agreements are measured from it).
    AgencyLocation => "agency.location",
    /// A user was created.
    UserCreate => "user.create",
    /// A user was disabled (all their tokens revoked).
    UserDisable => "user.disable",
    /// A user was re-enabled.
    UserEnable => "user.enable",
    /// A user's role changed.
    UserRole => "user.role",
    /// A user's password was set (by themselves or reset by an admin).
    UserPassword => "user.password",
    /// One API token (or all of a user's) was revoked.
    TokenRevoke => "token.revoke",
    /// A camera was registered.
    CameraCreate => "camera.create",
    /// A camera's hit-only mode or per-purpose binding changed.
    CameraMode => "camera.mode",
    /// A camera's key was revoked (it can no longer send reads).
    CameraRevoke => "camera.revoke",
    /// A camera's key was replaced.
    CameraRotate => "camera.rotate",
    /// A sharing agreement was granted.
    SharingCreate => "sharing.create",
    /// A sharing agreement was ended.
    SharingEnd => "sharing.end",
    /// A written declaration was recorded.
    DeclarationCreate => "declaration.create",
    /// A written declaration was withdrawn.
    DeclarationEnd => "declaration.end",
    /// An agency's own policy was replaced.
    PolicyUpdate => "policy.update",
    /// A legal hold was placed.
    HoldCreate => "hold.create",
    /// A legal hold was released.
    HoldRelease => "hold.release",
    /// A hot list was created.
    HotlistCreate => "hotlist.create",
    /// A hot list was refused by its owner's law.
    HotlistRefused => "hotlist.refused",
    /// A hot list's sharing changed.
    HotlistShare => "hotlist.share",
    /// A hot list was ended (stops matching).
    HotlistEnd => "hotlist.end",
    /// Entries were added to or replaced in a hot list.
    HotlistEntries => "hotlist.entries",
    /// A camera owner's decision on running a list on its cameras (allowed or refused, with rule).
    HotlistGrant => "hotlist.grant",
    /// A read matched a hot list.
    HotlistHit => "hotlist.hit",
    /// A hit was acknowledged.
    HotlistAck => "hotlist.ack",
    /// A webhook was registered.
    WebhookCreate => "webhook.create",
    /// A webhook was ended.
    WebhookEnd => "webhook.end",
    /// The transparency note was set.
    TransparencyNote => "transparency.note",
    /// The retention job announced a purge (per-owner cutoffs), before deleting anything.
    RetentionPurge => "retention.purge",
    /// What an announced purge removed (per-owner counts, the purge entry's `purge_seq`).
    RetentionDone => "retention.done",
    /// Reads from a hit-only camera were refused as non-hits (counted, no plate text).
    IngestRefused => "ingest.refused",
    /// A user began TOTP enrolment (the secret is never logged).
    MfaEnrol => "mfa.enrol",
    /// A user confirmed TOTP enrolment with a first valid code.
    MfaConfirm => "mfa.confirm",
    /// An admin removed a user's second factor (the user enrols again at next sign-in).
    MfaReset => "mfa.reset",
    /// A second factor was accepted at sign-in (TOTP or a recovery code).
    MfaSuccess => "mfa.success",
    /// A second factor was refused at sign-in (wrong, expired or replayed code; no code logged).
    MfaFailure => "mfa.failure",
    /// A user registered a passkey or security key (WebAuthn) as a second factor.
    PasskeyRegister => "passkey.register",
    /// A user removed one of their passkeys (a lost or replaced key).
    PasskeyRemove => "passkey.remove",
    /// An agency's sign-in settings (roles that need MFA, session time-outs) changed.
    SecuritySettings => "security.settings",
    /// The usage watch raised a finding (with the audit entries behind it).
    FindingRaise => "finding.raise",
    /// A supervisor or auditor recorded a decision on a finding.
    FindingReview => "finding.review",
    /// An evidence package was exported from an earlier search (its re-run is a `search` entry).
    EvidenceExport => "evidence.export",
    /// A session (API token or web sign-in) was ended after its agency's idle time-out.
    SessionExpired => "session.expired",
    /// An officer saved a search to run again (each run is its own `search` entry).
    SavedSearchCreate => "saved_search.create",
    /// A saved search was deleted by its officer or a supervisor of the officer's agency.
    SavedSearchDelete => "saved_search.delete",
}

impl From<Action> for String {
    fn from(a: Action) -> String {
        a.code().to_owned()
    }
}

impl TryFrom<String> for Action {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Action::parse(&s).ok_or_else(|| format!("unknown audit action `{s}`"))
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in Action::ALL {
            assert!(seen.insert(a.code()), "{a:?}");
            assert_eq!(Action::parse(a.code()), Some(*a));
        }
        assert_eq!(Action::parse("nonsense"), None);
        // Codes written by earlier builds keep their meaning.
        assert_eq!(Action::parse("sharing.create"), Some(Action::SharingCreate));
        assert_eq!(Action::parse("search"), Some(Action::Search));
    }
}

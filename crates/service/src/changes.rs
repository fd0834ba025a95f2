//! Audit before effect: every change to the directory, hot lists, policy or holds is a typed
//! [`Change`] that takes effect only after its audit entry is durable.
//!
//! The store, the audit log and the hot lists are separate SQLite files, so no transaction spans
//! them. [`Node::commit`] therefore (1) records the change as *pending* in `store.db`, (2) appends
//! its audit entry (the change's details, secrets removed, plus the pending row's `change_id`),
//! (3) applies it and (4) drops the pending row. If the audit append fails, the pending row is
//! dropped and nothing changed. If the node dies between (2) and (4), [`Node::recover_changes`]
//! finds the audit entry by its `change_id` at the next start and applies the change again
//! (every apply is idempotent: creations use ids assigned before the audit entry); a pending row
//! without an audit entry is discarded, because it never took effect and nobody was told it had.

use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::Caller;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sightline_audit::{Action, EntryDraft, EntryFilter};
use sightline_hotlist::{Category, HotEntry, HotList, ImportMode};
use sightline_store::{
    Declaration, IdTable, LegalHold, NewCamera, NewUser, PendingChange, SharingAgreement,
};
use sightline_types::{Agency, AgencyId, CameraId, Role, UserId};

/// A user to create, with its pre-assigned id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserSpec {
    /// Pre-assigned id.
    pub id: i64,
    /// Agency.
    pub agency: AgencyId,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// argon2id hash (never written to the audit log).
    pub password_hash: String,
    /// Node operator.
    pub node_operator: bool,
    /// Must choose a new password at first sign-in.
    pub must_change_password: bool,
}

/// A camera to create, with its pre-assigned id and modes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CameraSpec {
    /// Pre-assigned id.
    pub id: i64,
    /// Owner.
    pub owner: AgencyId,
    /// Name.
    pub name: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Bearing.
    pub bearing: Option<f64>,
    /// Mobile.
    pub mobile: bool,
    /// SHA-256 of the device key (never written to the audit log).
    pub key_hash: String,
    /// Hit-only mode.
    pub hit_only: bool,
    /// Hot-list categories its checks are bound to.
    pub check_purposes: Vec<Category>,
}

/// Every change the services make, with everything needed to apply it again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Change {
    AgencyCreate {
        agency: Agency,
    },
    AgencyLocation {
        agency: AgencyId,
        lat: f64,
        lon: f64,
    },
    UserCreate {
        user: UserSpec,
    },
    UserDisable {
        user_id: i64,
        agency: AgencyId,
    },
    UserEnable {
        user_id: i64,
        agency: AgencyId,
    },
    UserRole {
        user_id: i64,
        agency: AgencyId,
        role: Role,
    },
    UserPassword {
        user_id: i64,
        agency: AgencyId,
        password_hash: String,
        must_change: bool,
    },
    TokenRevoke {
        user_id: i64,
        agency: AgencyId,
        token_hash: Option<String>,
    },
    CameraCreate {
        camera: CameraSpec,
    },
    CameraMode {
        camera_id: i64,
        owner: AgencyId,
        hit_only: bool,
        check_purposes: Vec<Category>,
    },
    CameraRevoke {
        camera_id: i64,
        owner: AgencyId,
    },
    CameraRotate {
        camera_id: i64,
        owner: AgencyId,
        key_hash: String,
    },
    SharingCreate {
        agreement: SharingAgreement,
    },
    SharingEnd {
        id: i64,
        owner: AgencyId,
    },
    DeclarationCreate {
        declaration: Declaration,
    },
    DeclarationEnd {
        id: i64,
        agency: AgencyId,
    },
    PolicyUpdate {
        agency: AgencyId,
        cedar: String,
    },
    HoldCreate {
        hold: LegalHold,
    },
    HoldRelease {
        id: i64,
        owner: AgencyId,
    },
    HotlistCreate {
        list: HotList,
    },
    HotlistShare {
        list_id: i64,
        owner: AgencyId,
        shared_with: Vec<AgencyId>,
    },
    HotlistEnd {
        list_id: i64,
        owner: AgencyId,
    },
    HotlistEntries {
        list_id: i64,
        owner: AgencyId,
        mode: ImportMode,
        entries: Vec<HotEntry>,
    },
    HitAck {
        hit_id: i64,
        agency: AgencyId,
        list_owner: AgencyId,
        outcome: String,
        by: String,
    },
    WebhookCreate {
        agency: AgencyId,
        url: String,
        secret: String,
        by: String,
    },
    WebhookEnd {
        id: i64,
        agency: AgencyId,
    },
    TransparencyNote {
        agency: AgencyId,
        note: String,
        by: String,
    },
    MfaEnrol {
        user_id: i64,
        agency: AgencyId,
        secret: String,
        recovery: Vec<String>,
    },
    MfaConfirm {
        user_id: i64,
        agency: AgencyId,
    },
    MfaReset {
        user_id: i64,
        agency: AgencyId,
    },
    PasskeyRegister {
        user_id: i64,
        agency: AgencyId,
        label: String,
        /// base64url of each `webauthn_rp` binary encoding (public data: no secret is stored).
        credential_id: String,
        user_handle: String,
        transports: String,
        static_state: String,
        dynamic_state: String,
        at: chrono::DateTime<chrono::Utc>,
    },
    PasskeyRemove {
        user_id: i64,
        agency: AgencyId,
        /// base64url of the credential id; the label shown to the user.
        credential_id: String,
        label: String,
    },
    SessionExpire {
        user_id: i64,
        agency: AgencyId,
        idle_minutes: u32,
        token_hash: String,
    },
    SecuritySettings {
        agency: AgencyId,
        settings: sightline_store::SecuritySettings,
        by: String,
        /// Users whose sessions end because their role now needs a second factor they have not
        /// confirmed.
        #[serde(default)]
        mfa_sign_out: Vec<i64>,
        /// How many sessions (tokens) of theirs ended.
        #[serde(default)]
        sessions_ended: usize,
    },
    FindingRaise {
        id: i64,
        agencies: Vec<AgencyId>,
        finding: sightline_oversight::watch::WatchFinding,
    },
    FindingReview {
        id: i64,
        agencies: Vec<AgencyId>,
        kind: String,
        review: crate::findings::Review,
    },
    /// A retention run: reads captured before each owner's cutoff are deleted (legal holds open
    /// when it is applied excepted) and past partitions left empty are dropped. `due` are the
    /// owners that had reads to delete when the run was decided (they see the entry).
    RetentionPurge {
        at: chrono::DateTime<chrono::Utc>,
        cutoffs: Vec<crate::governance::RetentionCutoff>,
        due: Vec<AgencyId>,
    },
    /// An officer saved a search (its plate query is in the audit entry, as a search's is).
    SavedSearchCreate {
        search: sightline_types::SavedSearch,
    },
    /// A saved search was deleted (by its officer, or a supervisor of the officer's agency).
    SavedSearchDelete {
        /// The saved search.
        id: i64,
        /// Its officer.
        user_id: i64,
        /// The officer's agency.
        agency: AgencyId,
    },
}

/// Keys whose values never reach the audit log.
const SECRET_KEYS: &[&str] = &[
    "password_hash",
    "key_hash",
    "secret",
    "token_hash",
    "recovery",
];

fn redact(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for k in SECRET_KEYS {
                if m.contains_key(*k) {
                    m.insert((*k).to_owned(), json!("(not logged)"));
                }
            }
            m.values_mut().for_each(redact);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}

impl Change {
    /// The audit action.
    pub fn action(&self) -> Action {
        match self {
            Change::AgencyCreate { .. } => Action::AgencyCreate,
            Change::AgencyLocation { .. } => Action::AgencyLocation,
            Change::UserCreate { .. } => Action::UserCreate,
            Change::UserDisable { .. } => Action::UserDisable,
            Change::UserEnable { .. } => Action::UserEnable,
            Change::UserRole { .. } => Action::UserRole,
            Change::UserPassword { .. } => Action::UserPassword,
            Change::TokenRevoke { .. } => Action::TokenRevoke,
            Change::CameraCreate { .. } => Action::CameraCreate,
            Change::CameraMode { .. } => Action::CameraMode,
            Change::CameraRevoke { .. } => Action::CameraRevoke,
            Change::CameraRotate { .. } => Action::CameraRotate,
            Change::SharingCreate { .. } => Action::SharingCreate,
            Change::SharingEnd { .. } => Action::SharingEnd,
            Change::DeclarationCreate { .. } => Action::DeclarationCreate,
            Change::DeclarationEnd { .. } => Action::DeclarationEnd,
            Change::PolicyUpdate { .. } => Action::PolicyUpdate,
            Change::HoldCreate { .. } => Action::HoldCreate,
            Change::HoldRelease { .. } => Action::HoldRelease,
            Change::HotlistCreate { .. } => Action::HotlistCreate,
            Change::HotlistShare { .. } => Action::HotlistShare,
            Change::HotlistEnd { .. } => Action::HotlistEnd,
            Change::HotlistEntries { .. } => Action::HotlistEntries,
            Change::HitAck { .. } => Action::HotlistAck,
            Change::WebhookCreate { .. } => Action::WebhookCreate,
            Change::WebhookEnd { .. } => Action::WebhookEnd,
            Change::TransparencyNote { .. } => Action::TransparencyNote,
            Change::MfaEnrol { .. } => Action::MfaEnrol,
            Change::MfaConfirm { .. } => Action::MfaConfirm,
            Change::MfaReset { .. } => Action::MfaReset,
            Change::PasskeyRegister { .. } => Action::PasskeyRegister,
            Change::PasskeyRemove { .. } => Action::PasskeyRemove,
            Change::SessionExpire { .. } => Action::SessionExpired,
            Change::SecuritySettings { .. } => Action::SecuritySettings,
            Change::FindingRaise { .. } => Action::FindingRaise,
            Change::FindingReview { .. } => Action::FindingReview,
            Change::RetentionPurge { .. } => Action::RetentionPurge,
            Change::SavedSearchCreate { .. } => Action::SavedSearchCreate,
            Change::SavedSearchDelete { .. } => Action::SavedSearchDelete,
        }
    }

    /// The agencies whose objects or data the change concerns (they see its audit entry).
    pub fn owners(&self) -> Vec<AgencyId> {
        let one = |a: &AgencyId| vec![a.clone()];
        match self {
            Change::AgencyCreate { agency } => one(&agency.id),
            Change::UserCreate { user } => one(&user.agency),
            Change::CameraCreate { camera } => one(&camera.owner),
            Change::SharingCreate { agreement } => one(&agreement.owner),
            Change::DeclarationCreate { declaration } => one(&declaration.agency),
            Change::HoldCreate { hold } => one(&hold.owner),
            Change::HotlistCreate { list } => {
                let mut v = one(&list.owner);
                v.extend(list.shared_with.iter().cloned());
                v
            }
            Change::HotlistShare {
                owner, shared_with, ..
            } => {
                let mut v = one(owner);
                v.extend(shared_with.iter().cloned());
                v
            }
            Change::HitAck {
                agency, list_owner, ..
            } => {
                let mut v = one(list_owner);
                if agency != list_owner {
                    v.push(agency.clone());
                }
                v
            }
            Change::AgencyLocation { agency, .. }
            | Change::UserDisable { agency, .. }
            | Change::UserEnable { agency, .. }
            | Change::UserRole { agency, .. }
            | Change::UserPassword { agency, .. }
            | Change::TokenRevoke { agency, .. }
            | Change::DeclarationEnd { agency, .. }
            | Change::PolicyUpdate { agency, .. }
            | Change::WebhookCreate { agency, .. }
            | Change::WebhookEnd { agency, .. }
            | Change::TransparencyNote { agency, .. }
            | Change::MfaEnrol { agency, .. }
            | Change::MfaConfirm { agency, .. }
            | Change::MfaReset { agency, .. }
            | Change::PasskeyRegister { agency, .. }
            | Change::PasskeyRemove { agency, .. }
            | Change::SessionExpire { agency, .. }
            | Change::SecuritySettings { agency, .. } => one(agency),
            Change::FindingRaise { agencies, .. } | Change::FindingReview { agencies, .. } => {
                agencies.clone()
            }
            Change::CameraMode { owner, .. }
            | Change::CameraRevoke { owner, .. }
            | Change::CameraRotate { owner, .. }
            | Change::SharingEnd { owner, .. }
            | Change::HoldRelease { owner, .. }
            | Change::HotlistEnd { owner, .. }
            | Change::HotlistEntries { owner, .. } => one(owner),
            Change::RetentionPurge { due, .. } => due.clone(),
            Change::SavedSearchCreate { search } => one(&search.agency),
            Change::SavedSearchDelete { agency, .. } => one(agency),
        }
    }

    /// The details written to the audit log: the change without secrets; hot-list entries are
    /// counted, not listed (the log is read by auditors and the public's representatives).
    pub fn audit_details(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_else(|_| json!({}));
        if let Change::HotlistEntries { entries, .. } = self
            && let Some(m) = v.as_object_mut()
        {
            m.insert("entries".into(), json!(entries.len()));
        }
        redact(&mut v);
        v
    }

    /// Tells whether hot-list grants must be decided again after this change.
    fn touches_grants(&self) -> bool {
        matches!(
            self,
            Change::AgencyLocation { .. }
                | Change::SharingCreate { .. }
                | Change::SharingEnd { .. }
                | Change::DeclarationCreate { .. }
                | Change::DeclarationEnd { .. }
                | Change::PolicyUpdate { .. }
                | Change::HotlistCreate { .. }
                | Change::HotlistShare { .. }
                | Change::HotlistEnd { .. }
                | Change::HotlistEntries { .. }
        )
    }
}

fn new_change_id() -> String {
    crate::secrets::new_secret("chg_")[..36].to_owned()
}

impl Node {
    /// Runs `build` under the change lock (so ids assigned there stay free), then records the
    /// change, appends its audit entry and applies it: the change takes effect only if its audit
    /// entry is durable. Returns the change and the entry's sequence number.
    ///
    /// # Errors
    /// Whatever `build` refuses; 503 when the audit log cannot record it (then nothing changed);
    /// store failures while applying (then the change is applied at the next start).
    pub fn commit(
        &self,
        caller: &Caller,
        build: impl FnOnce(&Node) -> Result<Change>,
    ) -> Result<(Change, u64)> {
        let _serial = self.change_lock.lock().unwrap_or_else(|e| e.into_inner());
        let change = build(self)?;
        let seq = self.commit_locked(caller, &change)?;
        Ok((change, seq))
    }

    fn commit_locked(&self, caller: &Caller, change: &Change) -> Result<u64> {
        let (change_id, receipt) = self.announce(caller, change)?;
        self.apply(change)?;
        self.store.drop_pending(&change_id)?;
        self.after_change(change);
        Ok(receipt)
    }

    /// Steps (1) and (2) of a commit: records the change as pending and appends its audit entry.
    /// Returns the pending row's id (drop it once applied) and the entry's sequence number. The
    /// caller holds the change lock.
    ///
    /// # Errors
    /// 503 when the audit log cannot record it (then the pending row is dropped: nothing changed).
    pub(crate) fn announce(&self, caller: &Caller, change: &Change) -> Result<(String, u64)> {
        let change_id = new_change_id();
        let body = serde_json::to_string(change)
            .map_err(|e| Error::new(sightline_types::ErrorCode::Internal, e.to_string()))?;
        self.store.put_pending(
            &PendingChange {
                change_id: change_id.clone(),
                audit_len: self.audit.len(),
                change: body,
            },
            self.clock.now(),
        )?;
        let mut details = change.audit_details();
        if let Some(m) = details.as_object_mut() {
            m.insert("change_id".into(), json!(change_id));
        }
        let draft = EntryDraft::new(
            caller.actor(),
            change.action(),
            "ok",
            change.owners(),
            details,
        );
        let receipt = match self.append_audit(draft) {
            Ok(r) => r,
            Err(e) => {
                // Never audited, so never in force.
                if let Err(e2) = self.store.drop_pending(&change_id) {
                    tracing::error!(error = %e2, "dropping an unaudited change failed; it is discarded at the next start");
                }
                return Err(e);
            }
        };
        Ok((change_id, receipt))
    }

    /// Appends one audit entry (fail closed), counting it.
    ///
    /// # Errors
    /// 503 when the audit log is unavailable.
    pub fn append_audit(&self, draft: EntryDraft) -> Result<u64> {
        if self.fault_audit.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::new(
                sightline_types::ErrorCode::Unavailable,
                "audit log unavailable (fault injected)",
            ));
        }
        let r = self.audit.append(draft)?;
        self.metrics.audit_appends.inc();
        Ok(r.seq)
    }

    /// Applies pending changes whose audit entry exists and discards the others (start-up).
    ///
    /// # Errors
    /// Store or audit failures.
    pub fn recover_changes(&self) -> Result<usize> {
        let pending = self.store.pending_changes()?;
        let mut applied = 0;
        for p in pending {
            let found = self.audit.entries(&EntryFilter {
                agency: None,
                action: None,
                after_seq: p.audit_len,
                limit: 10_000,
            })?;
            let audited = found.iter().any(|e| {
                e.details.get("change_id").and_then(|v| v.as_str()) == Some(p.change_id.as_str())
            });
            if audited {
                let change: Change = serde_json::from_str(&p.change)
                    .map_err(|e| Error::new(sightline_types::ErrorCode::Internal, e.to_string()))?;
                self.apply(&change)?;
                self.after_change(&change);
                applied += 1;
                tracing::warn!(change_id = %p.change_id, action = %change.action(), "applied an audited change after a restart");
            } else {
                tracing::warn!(change_id = %p.change_id, "discarded a change that was never audited");
            }
            self.store.drop_pending(&p.change_id)?;
        }
        Ok(applied)
    }

    /// Applies a change. Idempotent: a replay after a crash changes nothing twice.
    fn apply(&self, change: &Change) -> Result<()> {
        let now = self.clock.now();
        match change {
            Change::AgencyCreate { agency } => {
                if self.store.agency(&agency.id).is_err() {
                    self.store.create_agency(agency)?;
                }
            }
            Change::AgencyLocation { agency, lat, lon } => {
                self.store
                    .set_agency_location(agency, *lat, *lon, "operator", now)?;
            }
            Change::UserCreate { user: u } => {
                if !self.store.id_exists(IdTable::Users, u.id)? {
                    self.store.create_user(
                        &NewUser {
                            agency: u.agency.clone(),
                            username: u.username.clone(),
                            display_name: u.display_name.clone(),
                            role: u.role,
                            password_hash: u.password_hash.clone(),
                            node_operator: u.node_operator,
                            id: u.id,
                            must_change_password: u.must_change_password,
                        },
                        now,
                    )?;
                }
            }
            Change::UserDisable { user_id, .. } => {
                self.store.set_user_disabled(UserId(*user_id), true)?
            }
            Change::UserEnable { user_id, .. } => {
                self.store.set_user_disabled(UserId(*user_id), false)?
            }
            Change::UserRole { user_id, role, .. } => {
                self.store.set_user_role(UserId(*user_id), *role)?
            }
            Change::UserPassword {
                user_id,
                password_hash,
                must_change,
                ..
            } => {
                self.store
                    .set_user_password(UserId(*user_id), password_hash, *must_change)?;
                // A new password ends every session of the old one.
                self.store.revoke_user_tokens(UserId(*user_id))?;
            }
            Change::TokenRevoke {
                user_id,
                token_hash,
                ..
            } => match token_hash {
                Some(h) => {
                    self.store.revoke_token(h)?;
                }
                None => {
                    self.store.revoke_user_tokens(UserId(*user_id))?;
                }
            },
            Change::CameraCreate { camera: c } => {
                if !self.store.id_exists(IdTable::Cameras, c.id)? {
                    self.store.create_camera(
                        &NewCamera {
                            owner: c.owner.clone(),
                            name: c.name.clone(),
                            lat: c.lat,
                            lon: c.lon,
                            bearing: c.bearing,
                            mobile: c.mobile,
                            key_hash: c.key_hash.clone(),
                            id: c.id,
                        },
                        now,
                    )?;
                }
                self.hotlists.set_hit_only(c.id, c.hit_only)?;
                self.hotlists.set_camera_purposes(c.id, &c.check_purposes)?;
            }
            Change::CameraMode {
                camera_id,
                hit_only,
                check_purposes,
                ..
            } => {
                self.hotlists.set_hit_only(*camera_id, *hit_only)?;
                self.hotlists
                    .set_camera_purposes(*camera_id, check_purposes)?;
            }
            Change::CameraRevoke { camera_id, .. } => {
                self.store.revoke_camera(CameraId(*camera_id), now)?
            }
            Change::CameraRotate {
                camera_id,
                key_hash,
                ..
            } => self
                .store
                .rotate_camera_key(CameraId(*camera_id), key_hash)?,
            Change::SharingCreate { agreement } => {
                if !self.store.id_exists(IdTable::Agreements, agreement.id)? {
                    self.store.create_agreement(agreement)?;
                }
            }
            Change::SharingEnd { id, owner } => self.store.end_agreement(*id, owner, now)?,
            Change::DeclarationCreate { declaration } => {
                if !self
                    .store
                    .id_exists(IdTable::Declarations, declaration.id)?
                {
                    self.store.create_declaration(declaration)?;
                }
            }
            Change::DeclarationEnd { id, agency } => {
                self.store.end_declaration(*id, agency, now)?
            }
            Change::PolicyUpdate { agency, cedar } => {
                self.store.set_agency_policy(agency, cedar, "admin", now)?;
                self.policy
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .set_agency_policy(agency.as_str(), cedar)
                    .map_err(|e| Error::bad_request(e.to_string()))?;
            }
            Change::HoldCreate { hold } => {
                if !self.store.id_exists(IdTable::Holds, hold.id)? {
                    self.store.create_hold(hold)?;
                }
            }
            Change::HoldRelease { id, owner } => {
                // Already released: nothing to do.
                if let Err(e) = self.store.release_hold(*id, owner, now)
                    && !matches!(e, sightline_store::Error::NotFound(_))
                {
                    return Err(e.into());
                }
            }
            Change::HotlistCreate { list } => {
                self.hotlists.create_list(list)?;
            }
            Change::HotlistShare {
                list_id,
                shared_with,
                ..
            } => {
                self.hotlists.set_shared_with(*list_id, shared_with)?;
            }
            Change::HotlistEnd { list_id, .. } => self.hotlists.end_list(*list_id, now)?,
            Change::HotlistEntries {
                list_id,
                mode,
                entries,
                ..
            } => {
                self.hotlists.put_entries(*list_id, entries, *mode)?;
            }
            Change::HitAck {
                hit_id,
                agency,
                outcome,
                by,
                ..
            } => {
                self.hotlists
                    .acknowledge(*hit_id, agency, outcome, by, now)?;
            }
            Change::WebhookCreate {
                agency,
                url,
                secret,
                by,
            } => {
                let exists = self
                    .hotlists
                    .webhooks(agency)?
                    .iter()
                    .any(|(_, u, s)| u == url && s == secret);
                if !exists {
                    self.hotlists.add_webhook(agency, url, secret, by, now)?;
                }
            }
            Change::WebhookEnd { id, agency } => self.hotlists.end_webhook(*id, agency, now)?,
            Change::TransparencyNote { agency, note, by } => {
                self.store.set_transparency_note(agency, note, by, now)?;
                self.transparency_cache
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(agency);
            }
            Change::MfaEnrol {
                user_id,
                secret,
                recovery,
                ..
            } => self.apply_mfa_enrol(*user_id, secret, recovery)?,
            Change::MfaConfirm { user_id, .. } => self.apply_mfa_confirm(*user_id)?,
            Change::PasskeyRegister { .. } => self.apply_passkey_register(change)?,
            Change::PasskeyRemove { .. } => self.apply_passkey_remove(change)?,
            Change::SessionExpire { token_hash, .. } => {
                self.store.revoke_token(token_hash)?;
            }
            Change::MfaReset { user_id, .. } => {
                self.store.delete_mfa(UserId(*user_id))?;
                self.store.revoke_user_tokens(UserId(*user_id))?;
            }
            Change::SecuritySettings {
                agency,
                settings,
                by,
                mfa_sign_out,
                ..
            } => {
                self.store
                    .set_security_settings(agency, settings, by, now)?;
                for u in mfa_sign_out {
                    self.store.revoke_user_tokens(UserId(*u))?;
                }
            }
            Change::FindingRaise { id, finding, .. } => {
                let body = serde_json::to_string(finding)
                    .map_err(|e| Error::new(sightline_types::ErrorCode::Internal, e.to_string()))?;
                self.store
                    .insert_finding(*id, &finding.key, &finding.agency, &body, now)?;
            }
            Change::FindingReview { id, review, .. } => {
                let body = serde_json::to_string(review)
                    .map_err(|e| Error::new(sightline_types::ErrorCode::Internal, e.to_string()))?;
                self.store
                    .set_finding_review(*id, &review.decision, &body)?;
            }
            Change::RetentionPurge { at, cutoffs, .. } => {
                // Only replays at start-up come here (a live run applies it in
                // `purge_expired`, which also records the counts).
                let report = self.apply_retention(*at, cutoffs)?;
                tracing::info!(
                    deleted = report.deleted.values().sum::<u64>(),
                    dropped = report.dropped_partitions.len(),
                    "retention purge replayed"
                );
            }
            Change::SavedSearchCreate { search } => self.apply_saved_search(search)?,
            Change::SavedSearchDelete { id, .. } => {
                self.store.delete_saved_search(*id)?;
            }
        }
        Ok(())
    }

    /// Follow-ups of a change that are derived state, not effects of their own.
    fn after_change(&self, change: &Change) {
        if change.touches_grants()
            && let Err(e) = self.refresh_hotlist_grants()
        {
            // Grants fail closed: a list whose decision could not be made runs nowhere new.
            tracing::error!(error = %e, "deciding hot-list grants failed");
        }
    }
}

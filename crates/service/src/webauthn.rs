//! Passkeys and security keys (WebAuthn) as a second factor, beside TOTP.
//!
//! The cryptography and the ceremony checks (challenge, origin, relying-party id hash, flags,
//! signature, signature counter) are `webauthn_rp`'s, a pure-Rust relying-party library; this
//! module keeps the ceremonies' state, stores the credentials and fits them into Sightline's
//! sign-in:
//!
//! - **Registration** needs a signed-in user (a token issued after the agency's sign-in rules):
//!   [`Node::passkey_register_start`] gives the browser its creation options, and
//!   [`Node::passkey_register_finish`] verifies the authenticator's answer and stores the
//!   credential once its `passkey.register` audit entry is durable. A user registers as many as
//!   they like (a second key in a drawer); a credential id registered before is refused.
//! - **Sign-in**: the password call's `required` challenge (see [`crate::mfa`]) is answered either
//!   with a TOTP code or with a passkey: [`Node::passkey_login_start`] gives the request options
//!   (the user's credentials only), [`Node::passkey_login_finish`] verifies the assertion, stores
//!   the new signature counter and issues the token once `mfa.success` (method `webauthn`) is
//!   durable. Failures are audited as `mfa.failure` and count against the challenge's attempts.
//! - An admin's MFA reset removes the user's passkeys with the TOTP secret.
//!
//! The relying-party id is `[security] webauthn_rp_id` (default `localhost`: browsers treat
//! `http://localhost` as a secure context, so the demo works without TLS); the origins allowed are
//! `[security] webauthn_origins`, or when empty any scheme and port on the relying-party host.

use crate::admin::LoginResponse;
use crate::changes::Change;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::Caller;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use sightline_audit::Action;
use sightline_store::PasskeyRecord;
use sightline_types::{ErrorCode, UserId};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use webauthn_rp::bin::{Decode, Encode};
use webauthn_rp::request::auth::{AllowedCredentials, AuthenticationVerificationOptions};
use webauthn_rp::request::register::{
    PublicKeyCredentialUserEntity, RegistrationVerificationOptions, UserHandle,
};
use webauthn_rp::request::{
    AsciiDomain, Credentials as _, DomainOrigin, Port, PublicKeyCredentialDescriptor, RpId, Scheme,
};
use webauthn_rp::response::register::{CompressedPubKey, DynamicState, StaticState};
use webauthn_rp::response::{AuthTransports, CredentialId};
use webauthn_rp::{
    AuthenticatedCredential, NonDiscoverableAuthentication,
    NonDiscoverableAuthenticationServerState, NonDiscoverableCredentialRequestOptions,
    PublicKeyCredentialCreationOptions, Registration, RegistrationServerState,
};

/// Bytes of the WebAuthn user handle (random per user).
const HANDLE_LEN: usize = 16;
/// Ceremonies held at once (older ones go first).
const CEREMONY_CAPACITY: usize = 10_000;
/// How long a ceremony's state is kept (the browser's own time-out is five minutes).
const CEREMONY_TTL: Duration = Duration::from_secs(300);
/// Passkeys one user may register.
const MAX_PASSKEYS: usize = 20;
/// Longest label.
const MAX_LABEL: usize = 80;

type Handle = UserHandle<HANDLE_LEN>;
type StoredKey = StaticState<CompressedPubKey<[u8; 32], [u8; 32], [u8; 48], Vec<u8>>>;

/// Ceremonies in progress: registrations by user, sign-ins by the sign-in challenge's hash.
#[derive(Default)]
pub struct Ceremonies {
    register: std::sync::Mutex<HashMap<i64, (Instant, RegistrationServerState<HANDLE_LEN>)>>,
    login: std::sync::Mutex<HashMap<String, (Instant, NonDiscoverableAuthenticationServerState)>>,
}

impl std::fmt::Debug for Ceremonies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ceremonies")
    }
}

fn put_bounded<K: std::hash::Hash + Eq + Clone, V>(
    map: &mut HashMap<K, (Instant, V)>,
    key: K,
    value: V,
) {
    map.retain(|_, (t, _)| t.elapsed() < CEREMONY_TTL);
    if map.len() >= CEREMONY_CAPACITY
        && let Some(oldest) = map
            .iter()
            .min_by_key(|(_, (t, _))| *t)
            .map(|(k, _)| k.clone())
    {
        map.remove(&oldest);
    }
    map.insert(key, (Instant::now(), value));
}

/// Starts registration: the options for `navigator.credentials.create` (WebAuthn's
/// `PublicKeyCredentialCreationOptionsJSON`, for `PublicKeyCredential.parseCreationOptionsFromJSON`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PasskeyOptions {
    /// The options, as JSON.
    #[schema(value_type = Object)]
    pub public_key: serde_json::Value,
}

/// Finishes registration.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyRegister {
    /// The user's name for the key (e.g. "office YubiKey").
    pub label: String,
    /// The browser's `PublicKeyCredential.toJSON()` from `navigator.credentials.create`.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// Starts a passkey sign-in under a `required` challenge.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginStart {
    /// The challenge from the password call.
    pub challenge: String,
}

/// Finishes a passkey sign-in.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLogin {
    /// The challenge from the password call.
    pub challenge: String,
    /// The browser's `PublicKeyCredential.toJSON()` from `navigator.credentials.get`.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// A registered passkey as its user sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PasskeyInfo {
    /// The user's name for it.
    pub label: String,
    /// The credential id, base64url (public).
    pub credential_id: String,
    /// When it was registered.
    pub registered: chrono::DateTime<chrono::Utc>,
    /// When it last signed in.
    pub used: Option<chrono::DateTime<chrono::Utc>>,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::bad_request(msg)
}

fn internal(what: &str) -> Error {
    Error::new(
        ErrorCode::Internal,
        format!("stored passkey data is unreadable ({what})"),
    )
}

/// Checks `[security] webauthn_rp_id` and `webauthn_origins` when the node opens, so that a typo
/// is a start-up error naming the value rather than passkeys that silently never verify.
///
/// # Errors
/// A sentence naming the value that is not a domain name or not an origin.
pub(crate) fn check_config(sec: &crate::mfa::SecurityConfig) -> std::result::Result<(), String> {
    let id = sec.webauthn_rp_id.trim().to_ascii_lowercase();
    if !domain_ok(&id) {
        return Err(format!(
            "[security] webauthn_rp_id = {id:?} is not a domain name (e.g. \"alpr.example.gov\")"
        ));
    }
    for o in &sec.webauthn_origins {
        // Stricter than the library's parser (which takes a bare host or a path too): a scheme,
        // a domain and at most a port, as browsers send `Origin`.
        let shaped = o
            .strip_prefix("https://")
            .or_else(|| o.strip_prefix("http://"))
            .is_some_and(|rest| {
                let (host, port) = rest.split_once(':').unwrap_or((rest, "443"));
                domain_ok(host) && port.parse::<u16>().is_ok_and(|p| p > 0)
            });
        if !shaped || DomainOrigin::try_from(o.as_str()).is_err() {
            return Err(format!(
                "[security] webauthn_origins: {o:?} is not an origin (e.g. \"https://alpr.example.gov\" or \"https://alpr.example.gov:8443\")"
            ));
        }
    }
    Ok(())
}

/// A host name as browsers put it in `Origin` (letters, digits, dots and hyphens), which the
/// library also takes as a domain (its own parser is more lenient than that).
fn domain_ok(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && AsciiDomain::try_from(host.to_ascii_lowercase()).is_ok()
}

impl Node {
    fn rp_id(&self) -> Result<RpId> {
        let id = self
            .config
            .security
            .webauthn_rp_id
            .trim()
            .to_ascii_lowercase();
        AsciiDomain::try_from(id).map(RpId::Domain).map_err(|_| {
            Error::new(
                ErrorCode::Internal,
                "[security] webauthn_rp_id is not a domain name",
            )
        })
    }

    /// The origins a ceremony may come from (see the module documentation).
    fn with_origins<R>(&self, f: impl FnOnce(&[DomainOrigin<'_, '_>]) -> R) -> R {
        let host = self
            .config
            .security
            .webauthn_rp_id
            .trim()
            .to_ascii_lowercase();
        let configured = &self.config.security.webauthn_origins;
        let parsed: Vec<DomainOrigin<'_, '_>> = configured
            .iter()
            .filter_map(|o| DomainOrigin::try_from(o.as_str()).ok())
            .collect();
        if configured.is_empty() {
            f(&[DomainOrigin {
                scheme: Scheme::Any,
                host: &host,
                port: Port::Any,
            }])
        } else {
            f(&parsed)
        }
    }

    /// The caller's passkeys.
    ///
    /// # Errors
    /// 403 for a caller that is not a signed-in user.
    pub fn passkeys(&self, caller: &Caller) -> Result<Vec<PasskeyInfo>> {
        let user = own(caller)?;
        Ok(self
            .store
            .passkeys(user.id)?
            .into_iter()
            .map(|p| PasskeyInfo {
                label: p.label,
                credential_id: B64.encode(&p.credential_id),
                registered: p.registered,
                used: p.used,
            })
            .collect())
    }

    /// Starts registering a passkey for the signed-in caller.
    ///
    /// # Errors
    /// 403 for a caller that is not a signed-in user; 409 at [`MAX_PASSKEYS`].
    pub fn passkey_register_start(&self, caller: &Caller) -> Result<PasskeyOptions> {
        let user = own(caller)?;
        let existing = self.store.passkeys(user.id)?;
        if existing.len() >= MAX_PASSKEYS {
            return Err(Error::new(
                ErrorCode::Conflict,
                format!(
                    "at most {MAX_PASSKEYS} passkeys per user; an admin's MFA reset removes them"
                ),
            ));
        }
        let handle = match existing.first() {
            Some(p) => decode_handle(&p.user_handle)?,
            None => Handle::new(),
        };
        let exclude = existing
            .iter()
            .map(|p| {
                Ok(PublicKeyCredentialDescriptor {
                    id: CredentialId::<Vec<u8>>::decode(p.credential_id.clone())
                        .map_err(|_| internal("credential id"))?,
                    transports: decode_transports(&p.transports)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let rp = self.rp_id()?;
        let name = user.username.clone();
        let entity = PublicKeyCredentialUserEntity {
            name: name
                .as_str()
                .try_into()
                .map_err(|_| bad("this username cannot be used as a WebAuthn user name"))?,
            id: &handle,
            display_name: None,
        };
        let (server, client) =
            PublicKeyCredentialCreationOptions::second_factor(&rp, entity, exclude)
                .start_ceremony()
                .map_err(|e| Error::new(ErrorCode::Internal, format!("WebAuthn options: {e}")))?;
        let public_key = serde_json::to_value(&client)
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        put_bounded(
            &mut self
                .webauthn
                .register
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
            user.id.0,
            server,
        );
        Ok(PasskeyOptions { public_key })
    }

    /// Verifies the authenticator's answer and stores the passkey once its audit entry is durable.
    ///
    /// # Errors
    /// 400 for an answer that fails verification or a bad label; 401 without a registration in
    /// progress (or after it expired); 409 for a credential registered before.
    pub fn passkey_register_finish(&self, caller: &Caller, req: &PasskeyRegister) -> Result<u64> {
        let user = own(caller)?;
        let label = req.label.trim();
        if label.is_empty()
            || label.chars().count() > MAX_LABEL
            || label.chars().any(char::is_control)
        {
            return Err(bad(format!("label: 1 to {MAX_LABEL} printable characters")));
        }
        let registration =
            serde_json::from_value::<Registration>(req.credential.clone()).map_err(|e| {
                bad(format!(
                    "credential: not a WebAuthn registration response ({e})"
                ))
            })?;
        let Some((_, server)) = self
            .webauthn
            .register
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&user.id.0)
        else {
            return Err(Error::new(
                ErrorCode::Unauthenticated,
                "no passkey registration in progress; start again",
            ));
        };
        let rp = self.rp_id()?;
        let verified = self.with_origins(|origins| {
            server.verify(
                &rp,
                &registration,
                &RegistrationVerificationOptions::<_, DomainOrigin<'_, '_>> {
                    allowed_origins: origins,
                    ..Default::default()
                },
            )
        });
        let cred = match verified {
            Ok(c) => c,
            Err(e) => {
                // A refused enrolment is audited like a refused sign-in (no key material).
                self.audit_mfa(
                    user,
                    Action::MfaFailure,
                    "refused",
                    serde_json::json!({ "reason": "passkey_registration_refused", "method": "webauthn" }),
                )?;
                return Err(bad(format!("the passkey could not be verified: {e}")));
            }
        };
        let (id, transports, handle, static_state, dynamic_state, _) = cred.as_parts();
        let enc = |v: &[u8]| B64.encode(v);
        let credential_id = enc(id.as_ref());
        if self
            .store
            .passkeys(user.id)?
            .iter()
            .any(|p| p.credential_id == id.as_ref())
        {
            return Err(Error::new(
                ErrorCode::Conflict,
                "this passkey is already registered",
            ));
        }
        let static_bytes = static_state.encode().map_err(|_| internal("public key"))?;
        let change = Change::PasskeyRegister {
            user_id: user.id.0,
            agency: user.agency.clone(),
            label: label.to_owned(),
            credential_id,
            user_handle: enc(&handle.encode().map_err(|_| internal("user handle"))?),
            transports: enc(&[transports.encode().map_err(|_| internal("transports"))?]),
            static_state: enc(&static_bytes),
            dynamic_state: enc(&dynamic_state.encode().map_err(|_| internal("state"))?),
            at: self.clock.now(),
        };
        let (_, seq) = self.commit(caller, |_| Ok(change))?;
        Ok(seq)
    }

    /// Stores a registered passkey (applying its change; idempotent).
    pub(crate) fn apply_passkey_register(&self, change: &Change) -> Result<()> {
        let Change::PasskeyRegister {
            user_id,
            label,
            credential_id,
            user_handle,
            transports,
            static_state,
            dynamic_state,
            at,
            ..
        } = change
        else {
            return Ok(());
        };
        let dec = |s: &str| B64.decode(s).map_err(|_| internal("change"));
        let stored = self.store.put_passkey(&PasskeyRecord {
            user_id: UserId(*user_id),
            credential_id: dec(credential_id)?,
            user_handle: dec(user_handle)?,
            transports: dec(transports)?,
            static_state: dec(static_state)?,
            dynamic_state: dec(dynamic_state)?,
            label: label.clone(),
            registered: *at,
            used: None,
        })?;
        if !stored {
            tracing::warn!(
                user_id,
                "a passkey's credential id was already registered; kept the first"
            );
        }
        Ok(())
    }

    /// Removes one of the caller's passkeys (a lost or replaced key), once its `passkey.remove`
    /// audit entry is durable. The last second factor of an account whose agency requires MFA
    /// cannot be removed this way (the user would be locked out at the next sign-in; an admin's
    /// MFA reset is the way for a lost last key).
    ///
    /// # Errors
    /// 403 for a caller that is not a signed-in user; 404 for a credential the caller does not
    /// have; 409 for the last second factor where MFA is required.
    pub fn passkey_remove(&self, caller: &Caller, credential_id: &str) -> Result<u64> {
        let user = own(caller)?;
        let raw = B64.decode(credential_id.trim()).ok();
        // Checked under the change lock: two removals at once cannot both see "not the last".
        let (_, seq) = self.commit(caller, |n| {
            let keys = n.store.passkeys(user.id)?;
            let Some(key) = raw.and_then(|raw| keys.iter().find(|p| p.credential_id == raw)) else {
                return Err(Error::new(
                    ErrorCode::NotFound,
                    "you have no passkey with this credential id",
                ));
            };
            let totp = n.store.mfa(user.id)?.is_some_and(|m| m.confirmed);
            if keys.len() == 1 && !totp && n.mfa_required(user)? {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    "this is your only second factor and your agency requires one: add another \
                     passkey or an authenticator app first",
                ));
            }
            Ok(Change::PasskeyRemove {
                user_id: user.id.0,
                agency: user.agency.clone(),
                credential_id: B64.encode(&key.credential_id),
                label: key.label.clone(),
            })
        })?;
        Ok(seq)
    }

    /// Removes a passkey (applying its change; idempotent).
    pub(crate) fn apply_passkey_remove(&self, change: &Change) -> Result<()> {
        let Change::PasskeyRemove {
            user_id,
            credential_id,
            ..
        } = change
        else {
            return Ok(());
        };
        let raw = B64.decode(credential_id).map_err(|_| internal("change"))?;
        self.store.delete_passkey(UserId(*user_id), &raw)?;
        Ok(())
    }

    /// Whether the user has a passkey (then the password call asks for a second factor).
    pub(crate) fn has_passkey(&self, user: UserId) -> Result<bool> {
        Ok(!self.store.passkeys(user)?.is_empty())
    }

    /// Starts a passkey sign-in under the password call's challenge: the request options for
    /// `navigator.credentials.get`, listing the user's credentials.
    ///
    /// # Errors
    /// 401 for an unknown or expired challenge; 403 for an enrolment challenge or a user without
    /// passkeys.
    pub fn passkey_login_start(&self, req: &PasskeyLoginStart) -> Result<PasskeyOptions> {
        let (id, enrol) = self.mfa_challenges.attempt(&req.challenge, false)?;
        if enrol {
            return Err(Error::forbidden(
                "this sign-in needs a TOTP enrolment first; passkeys are added once signed in",
            ));
        }
        let keys = self.store.passkeys(id)?;
        if keys.is_empty() {
            return Err(Error::forbidden(
                "this account has no passkey; use a TOTP code",
            ));
        }
        let mut allowed = AllowedCredentials::with_capacity(keys.len());
        for p in &keys {
            let desc = PublicKeyCredentialDescriptor {
                id: CredentialId::<Vec<u8>>::decode(p.credential_id.clone())
                    .map_err(|_| internal("credential id"))?,
                transports: decode_transports(&p.transports)?,
            };
            allowed.push(desc.into());
        }
        let rp = self.rp_id()?;
        let (server, client) = NonDiscoverableCredentialRequestOptions::second_factor(&rp, allowed)
            .map_err(|e| Error::new(ErrorCode::Internal, format!("WebAuthn options: {e}")))?
            .start_ceremony()
            .map_err(|e| Error::new(ErrorCode::Internal, format!("WebAuthn options: {e}")))?;
        let public_key = serde_json::to_value(&client)
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        put_bounded(
            &mut self
                .webauthn
                .login
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
            crate::secrets::hash_secret(req.challenge.trim()),
            server,
        );
        Ok(PasskeyOptions { public_key })
    }

    /// Verifies a passkey assertion under the password call's challenge and issues the token once
    /// the success is durable in the audit log.
    ///
    /// # Errors
    /// 401 for a failed assertion (audited), an unknown challenge or one without a started passkey
    /// sign-in; 400 for an answer that is not a WebAuthn assertion.
    pub fn passkey_login_finish(&self, req: &PasskeyLogin) -> Result<LoginResponse> {
        let (id, _) = self.mfa_challenges.attempt(&req.challenge, true)?;
        let user = self.user_of(id)?;
        let auth = serde_json::from_value::<NonDiscoverableAuthentication<HANDLE_LEN>>(
            req.credential.clone(),
        )
        .map_err(|e| bad(format!("credential: not a WebAuthn assertion ({e})")))?;
        let Some((_, server)) = self
            .webauthn
            .login
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&crate::secrets::hash_secret(req.challenge.trim()))
        else {
            return Err(Error::new(
                ErrorCode::Unauthenticated,
                "no passkey sign-in in progress for this challenge; ask for the options first",
            ));
        };
        let keys = self.store.passkeys(user.id)?;
        let Some(key) = keys
            .iter()
            .find(|p| p.credential_id == auth.raw_id().as_ref())
        else {
            return self.passkey_failure(&user, "unknown_credential");
        };
        let handle = decode_handle(&key.user_handle)?;
        let static_state =
            StoredKey::decode(key.static_state.as_slice()).map_err(|_| internal("public key"))?;
        let dynamic: [u8; 7] = key
            .dynamic_state
            .as_slice()
            .try_into()
            .map_err(|_| internal("state"))?;
        let dynamic = DynamicState::decode(dynamic).map_err(|_| internal("state"))?;
        let cid = CredentialId::<&[u8]>::decode(key.credential_id.as_slice())
            .map_err(|_| internal("credential id"))?;
        let mut cred = AuthenticatedCredential::new(cid, &handle, static_state, dynamic)
            .map_err(|_| internal("credential"))?;
        let rp = self.rp_id()?;
        let verified = self.with_origins(|origins| {
            server.verify(
                &rp,
                &auth,
                &mut cred,
                &AuthenticationVerificationOptions::<_, DomainOrigin<'_, '_>> {
                    allowed_origins: origins,
                    ..Default::default()
                },
            )
        });
        match verified {
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(error = %e, "passkey assertion refused");
                return self.passkey_failure(&user, "assertion_refused");
            }
        }
        let state = cred
            .dynamic_state()
            .encode()
            .map_err(|_| internal("state"))?;
        self.store
            .use_passkey(user.id, &key.credential_id, &state, self.clock.now())?;
        self.audit_mfa(
            &user,
            Action::MfaSuccess,
            "ok",
            serde_json::json!({ "method": "webauthn", "passkey": key.label }),
        )?;
        self.mfa_challenges.done(&req.challenge);
        self.issue_token(&user, "login")
    }

    fn passkey_failure(
        &self,
        user: &sightline_store::UserRecord,
        why: &str,
    ) -> Result<LoginResponse> {
        self.audit_mfa(
            user,
            Action::MfaFailure,
            "refused",
            serde_json::json!({ "reason": why, "method": "webauthn" }),
        )?;
        Err(Error::new(
            ErrorCode::Unauthenticated,
            "the passkey was not accepted; try again or use a TOTP code",
        ))
    }
}

fn own(caller: &Caller) -> Result<&sightline_store::UserRecord> {
    caller
        .principal()
        .map(|p| &p.user)
        .ok_or_else(|| Error::forbidden("only a signed-in user has passkeys"))
}

fn decode_handle(bytes: &[u8]) -> Result<Handle> {
    let arr: [u8; HANDLE_LEN] = bytes.try_into().map_err(|_| internal("user handle"))?;
    Handle::decode(arr).map_err(|_| internal("user handle"))
}

fn decode_transports(bytes: &[u8]) -> Result<AuthTransports> {
    let b = *bytes.first().ok_or_else(|| internal("transports"))?;
    AuthTransports::decode(b).map_err(|_| internal("transports"))
}

#[cfg(test)]
mod tests {
    use super::check_config;
    use crate::mfa::SecurityConfig;

    #[test]
    fn test_config_check_names_a_bad_relying_party_or_origin() {
        assert!(check_config(&SecurityConfig::default()).is_ok());
        let mut c = SecurityConfig {
            webauthn_rp_id: "alpr.example.gov".into(),
            webauthn_origins: vec![
                "https://alpr.example.gov".into(),
                "https://alpr.example.gov:8443".into(),
            ],
            ..SecurityConfig::default()
        };
        assert!(check_config(&c).is_ok());
        for bad in [
            "alpr.example.gov",
            "https://alpr.example.gov/ui",
            "ftp://alpr.example.gov",
        ] {
            let mut c = c.clone();
            c.webauthn_origins.push(bad.into());
            let e = check_config(&c).unwrap_err();
            assert!(e.contains(bad) && e.contains("webauthn_origins"), "{e}");
        }
        c.webauthn_origins.clear();
        c.webauthn_rp_id = "not a domain".into();
        let e = check_config(&c).unwrap_err();
        assert!(e.contains("webauthn_rp_id"), "{e}");
    }
}

//! Multi-factor sign-in: TOTP (RFC 6238, SHA-1, 6 digits, 30-second steps, ±1 step of clock
//! skew) with single-use recovery codes, and the agency setting that requires it.
//!
//! Sign-in is two calls. The password call ([`Node::login`]) answers with a token only when the
//! account needs no second factor. Otherwise it answers with a short-lived challenge (five
//! minutes, five attempts): `mfa = "required"` (send a code to [`Node::mfa_verify`]) or, for an
//! account that must use MFA but has not enrolled, `mfa = "enrol"`: the challenge then allows one
//! thing only, [`Node::mfa_enrol`] (the secret and recovery codes, shown once), after which the
//! first valid code both confirms the enrolment and signs in. So a first enrolment needs the
//! password, and no token exists before the second factor.
//!
//! A code is accepted once: the last accepted time step is stored per user and only a later step
//! is accepted (moved forward atomically, so two concurrent uses of one code cannot both pass).
//! Recovery codes are stored as argon2id hashes, like passwords, and removed when used. Every
//! enrolment, confirmation, reset, success and failure is audited; secrets and codes never reach
//! the audit log or the logs.

use crate::admin::{LoginRequest, LoginResponse};
use crate::changes::Change;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::{Caller, Permission};
use crate::secrets;
use serde::{Deserialize, Serialize};
use sightline_audit::{Action, EntryDraft};
use sightline_search::Principal;
use sightline_store::{MfaRecord, SecuritySettings, UserRecord};
use sightline_types::{ErrorCode, Role, UserId};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use totp_rs::{Algorithm, Secret, TOTP};

/// How long a sign-in challenge lives.
const CHALLENGE_TTL: Duration = Duration::from_secs(300);
/// Codes tried per challenge before it is dropped.
const CHALLENGE_ATTEMPTS: u32 = 5;
/// Most challenges held at once (older ones go first).
const CHALLENGE_CAPACITY: usize = 10_000;
/// Recovery codes issued at enrolment.
const RECOVERY_CODES: usize = 10;
/// The TOTP step, seconds.
const STEP: u64 = 30;

/// The node-wide MFA default (`[security]` in the configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Roles that must use MFA in public agencies that have not chosen their own setting.
    pub public_mfa_roles: Vec<Role>,
    /// Issuer shown in authenticator apps.
    pub issuer: String,
    /// The WebAuthn relying-party id: the domain users reach the node's web UI at (passkeys are
    /// bound to it). Default `localhost`.
    pub webauthn_rp_id: String,
    /// Origins passkey ceremonies may come from (e.g. `https://alpr.example.gov`); empty: any
    /// scheme and port on `webauthn_rp_id`.
    pub webauthn_origins: Vec<String>,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            public_mfa_roles: vec![Role::Officer, Role::Supervisor, Role::Admin, Role::Auditor],
            issuer: "Sightline".into(),
            webauthn_rp_id: "localhost".into(),
            webauthn_origins: Vec::new(),
        }
    }
}

/// What the password call answers when a second factor is needed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MfaChallenge {
    /// `required` (send a code) or `enrol` (the agency requires MFA and the account has none:
    /// call `/api/v1/login/mfa/enrol` first).
    pub mfa: String,
    /// Opaque, single-use, five minutes.
    pub challenge: String,
    /// What to do next.
    pub message: String,
}

/// The answer of the password call: a token, or a challenge for the second factor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LoginOutcome {
    /// Signed in.
    Token(LoginResponse),
    /// A second factor is needed.
    Mfa(MfaChallenge),
}

/// A second-factor answer.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaVerify {
    /// The challenge from the password call.
    pub challenge: String,
    /// A 6-digit TOTP code or a recovery code.
    pub code: String,
}

/// Starts enrolment with an `enrol` challenge.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaEnrolRequest {
    /// The challenge from the password call.
    pub challenge: String,
}

/// The secret, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MfaEnrolment {
    /// Base32 secret for the authenticator app.
    pub secret: String,
    /// `otpauth://totp/…` URI (QR code content).
    pub otpauth_uri: String,
    /// Single-use recovery codes; store them safely.
    pub recovery_codes: Vec<String>,
    /// What to do next.
    pub message: String,
}

#[derive(Debug)]
pub(crate) struct Pending {
    user: UserId,
    enrol: bool,
    created: Instant,
    attempts: u32,
}

/// Sign-in challenges awaiting their second factor, by the challenge's hash.
#[derive(Debug, Default)]
pub struct Challenges(std::sync::Mutex<HashMap<String, Pending>>);

impl Challenges {
    fn put(&self, user: UserId, enrol: bool) -> String {
        let token = secrets::new_secret("slm_");
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, p| p.created.elapsed() < CHALLENGE_TTL);
        if map.len() >= CHALLENGE_CAPACITY
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, p)| p.created)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(
            secrets::hash_secret(&token),
            Pending {
                user,
                enrol,
                created: Instant::now(),
                attempts: 0,
            },
        );
        token
    }

    /// Counts an attempt and returns the user and whether it is an enrolment challenge.
    pub(crate) fn attempt(&self, token: &str, count: bool) -> Result<(UserId, bool)> {
        let key = secrets::hash_secret(token.trim());
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let expired = || {
            Error::new(
                ErrorCode::Unauthenticated,
                "the sign-in challenge is unknown or expired; sign in with your password again",
            )
        };
        let p = map.get_mut(&key).ok_or_else(expired)?;
        if p.created.elapsed() >= CHALLENGE_TTL || p.attempts >= CHALLENGE_ATTEMPTS {
            map.remove(&key);
            return Err(expired());
        }
        if count {
            p.attempts += 1;
        }
        Ok((p.user, p.enrol))
    }

    pub(crate) fn done(&self, token: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&secrets::hash_secret(token.trim()));
    }
}

fn totp(secret_b32: &str) -> Result<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_owned())
        .to_bytes()
        .map_err(|_| Error::new(ErrorCode::Internal, "stored TOTP secret is unreadable"))?;
    Ok(TOTP::new_unchecked(Algorithm::SHA1, 6, 1, STEP, bytes))
}

/// The time step a code belongs to (now, one before or one after), if it is valid.
fn matching_step(secret_b32: &str, code: &str, now: i64) -> Result<Option<i64>> {
    let t = totp(secret_b32)?;
    let step = now.max(0) / STEP as i64;
    for s in [step - 1, step, step + 1] {
        if s < 0 {
            continue;
        }
        let expected = t.generate(s as u64 * STEP);
        // Constant-time comparison of equal-length ASCII digits.
        if expected.len() == code.len()
            && expected
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// Computes the TOTP code of a base32 secret at a Unix time (the demo and tests use it).
///
/// # Errors
/// An unreadable secret.
pub fn totp_code(secret_b32: &str, unix_time: u64) -> Result<String> {
    Ok(totp(secret_b32)?.generate(unix_time))
}

/// A new random 160-bit secret, base32.
pub fn new_totp_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn uri_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Node {
    /// The roles that must use MFA in an agency: its own setting, else the node default for public
    /// agencies (none for private ones).
    ///
    /// # Errors
    /// Store failures.
    pub fn security_settings_of(
        &self,
        agency: &sightline_types::Agency,
    ) -> Result<SecuritySettings> {
        Ok(match self.store.security_settings(&agency.id)? {
            Some(s) => s,
            None => SecuritySettings {
                mfa_roles: if agency.kind.is_public() {
                    self.config.security.public_mfa_roles.clone()
                } else {
                    Vec::new()
                },
                idle_minutes: 0,
                absolute_hours: 0,
            },
        })
    }

    pub(crate) fn mfa_required(&self, user: &UserRecord) -> Result<bool> {
        let agency = self.store.agency(&user.agency)?;
        Ok(self
            .security_settings_of(&agency)?
            .mfa_roles
            .contains(&user.role))
    }

    fn principal_of(&self, user: &UserRecord) -> Result<Principal> {
        Ok(Principal {
            user: user.clone(),
            agency: self.store.agency(&user.agency)?,
        })
    }

    pub(crate) fn user_of(&self, id: UserId) -> Result<UserRecord> {
        self.store
            .user_by_id(id)?
            .filter(|u| !u.disabled)
            .ok_or_else(|| Error::new(ErrorCode::Unauthenticated, "this account is disabled"))
    }

    pub(crate) fn audit_mfa(
        &self,
        user: &UserRecord,
        action: Action,
        outcome: &str,
        details: serde_json::Value,
    ) -> Result<u64> {
        let who = self.principal_of(user)?;
        self.append_audit(EntryDraft::new(
            who.actor(),
            action,
            outcome,
            vec![user.agency.clone()],
            details,
        ))
    }

    /// Checks a password; answers with a token, or with a challenge when a second factor is
    /// needed (see the module documentation). Blocking (argon2).
    ///
    /// # Errors
    /// As [`Node::check_password`].
    pub fn login(
        &self,
        req: &LoginRequest,
        client: Option<std::net::IpAddr>,
    ) -> Result<LoginOutcome> {
        let user = self.check_password(req.username.trim(), &req.password, client)?;
        let totp = self.store.mfa(user.id)?.is_some_and(|m| m.confirmed);
        let passkey = self.has_passkey(user.id)?;
        if totp || passkey {
            let mut ways = Vec::new();
            if totp {
                ways.push("send a code from your authenticator app (or a recovery code) to POST /api/v1/login/mfa");
            }
            if passkey {
                ways.push("sign with a passkey: POST /api/v1/login/passkey/options, then POST /api/v1/login/passkey");
            }
            return Ok(LoginOutcome::Mfa(MfaChallenge {
                mfa: "required".into(),
                challenge: self.mfa_challenges.put(user.id, false),
                message: ways.join("; or "),
            }));
        }
        if self.mfa_required(&user)? {
            return Ok(LoginOutcome::Mfa(MfaChallenge {
                mfa: "enrol".into(),
                challenge: self.mfa_challenges.put(user.id, true),
                message: "your agency requires a second factor for your role: POST /api/v1/login/mfa/enrol with this challenge, add the secret to an authenticator app, then POST /api/v1/login/mfa with its first code".into(),
            }));
        }
        Ok(LoginOutcome::Token(self.issue_token(&user, "login")?))
    }

    /// Starts TOTP enrolment under an `enrol` challenge: a new secret and recovery codes, shown
    /// once; the enrolment takes effect with the first valid code. Audited (without secrets).
    ///
    /// # Errors
    /// 401 for an unknown or expired challenge; 403 for a `required` challenge (the account is
    /// enrolled: an admin resets it).
    pub fn mfa_enrol(&self, req: &MfaEnrolRequest) -> Result<MfaEnrolment> {
        let (id, enrol) = self.mfa_challenges.attempt(&req.challenge, false)?;
        if !enrol {
            return Err(Error::forbidden(
                "this account already has a second factor; an admin can reset it",
            ));
        }
        let user = self.user_of(id)?;
        let secret = new_totp_secret();
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                let s = secrets::new_secret("");
                format!("{}-{}", &s[..5], &s[5..10])
            })
            .collect();
        let hashes = codes
            .iter()
            .map(|c| secrets::hash_password(c))
            .collect::<Result<Vec<_>>>()?;
        let caller = Caller::User(self.principal_of(&user)?);
        self.commit(&caller, |_| {
            Ok(Change::MfaEnrol {
                user_id: user.id.0,
                agency: user.agency.clone(),
                secret: secret.clone(),
                recovery: hashes,
            })
        })?;
        let issuer = &self.config.security.issuer;
        Ok(MfaEnrolment {
            otpauth_uri: format!(
                "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period=30",
                uri_escape(issuer),
                uri_escape(&user.username),
                uri_escape(issuer)
            ),
            secret,
            recovery_codes: codes,
            message: "add the secret to an authenticator app, then POST /api/v1/login/mfa with its first code and the same challenge".into(),
        })
    }

    /// Checks the second factor under a challenge and issues the token. The first valid code
    /// after [`Node::mfa_enrol`] also confirms the enrolment. Blocking (argon2 for recovery codes).
    ///
    /// # Errors
    /// 401 for a wrong, expired or replayed code (audited) or an unknown challenge.
    pub fn mfa_verify(&self, req: &MfaVerify) -> Result<LoginResponse> {
        let (id, _) = self.mfa_challenges.attempt(&req.challenge, true)?;
        let user = self.user_of(id)?;
        let code: String = req.code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() > 64 {
            return Err(Error::bad_request("the code is too long"));
        }
        let Some(m) = self.store.mfa(user.id)? else {
            if self.has_passkey(user.id)? {
                return Err(Error::forbidden(
                    "this account signs in with a passkey, not a TOTP code (POST /api/v1/login/passkey/options)",
                ));
            }
            return Err(Error::forbidden(
                "this account has no second factor yet: enrol first (POST /api/v1/login/mfa/enrol)",
            ));
        };
        let fail = |why: &str| -> Result<LoginResponse> {
            self.audit_mfa(
                &user,
                Action::MfaFailure,
                "refused",
                serde_json::json!({ "reason": why }),
            )?;
            Err(Error::new(
                ErrorCode::Unauthenticated,
                match why {
                    "replayed" => "this code was already used; wait for the next one",
                    _ => "wrong or expired code",
                },
            ))
        };
        let method = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            let now = self.clock.now().timestamp();
            let Some(step) = matching_step(&m.secret, &code, now)? else {
                return fail("wrong_code");
            };
            if !self.store.advance_mfa_step(user.id, step)? {
                return fail("replayed");
            }
            "totp"
        } else if m.confirmed {
            let Some(hash) = m
                .recovery
                .iter()
                .find(|h| secrets::verify_password(&code, h))
                .cloned()
            else {
                return fail("wrong_recovery_code");
            };
            if !self.store.use_recovery_code(user.id, &hash)? {
                return fail("replayed");
            }
            "recovery_code"
        } else {
            return fail("wrong_code");
        };
        let caller = Caller::User(self.principal_of(&user)?);
        if !m.confirmed {
            self.commit(&caller, |_| {
                Ok(Change::MfaConfirm {
                    user_id: user.id.0,
                    agency: user.agency.clone(),
                })
            })?;
        }
        // The token exists only once the success is durable in the audit log.
        self.audit_mfa(
            &user,
            Action::MfaSuccess,
            "ok",
            serde_json::json!({ "method": method, "recovery_codes_left": if method == "recovery_code" { m.recovery.len().saturating_sub(1) } else { m.recovery.len() } }),
        )?;
        self.mfa_challenges.done(&req.challenge);
        self.issue_token(&user, "login")
    }

    /// Removes a user's second factor (admins of the user's agency); every session ends and the
    /// user enrols again at the next sign-in when the agency requires it.
    ///
    /// # Errors
    /// 403 without `manage_users`; 404 for another agency's user.
    pub fn reset_mfa(&self, caller: &Caller, id: i64) -> Result<u64> {
        let u = self.managed_user(caller, id)?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::MfaReset {
                user_id: id,
                agency: u.agency.clone(),
            })
        })?;
        Ok(seq)
    }

    /// Enrols a user with a fresh TOTP secret, already confirmed, and returns the secret. Only
    /// the node itself may (the demo's seeding): a person's secret should be known to that person
    /// alone, so admins reset and users enrol themselves.
    ///
    /// # Errors
    /// 403 for any user caller; 404 for an unknown user.
    pub fn provision_mfa(&self, caller: &Caller, user_id: i64) -> Result<String> {
        if caller.principal().is_some() {
            return Err(Error::forbidden(
                "only the node itself provisions second factors; users enrol at sign-in",
            ));
        }
        let user = self
            .store
            .user_by_id(UserId(user_id))?
            .ok_or_else(|| Error::not_found(format!("user {user_id} not found")))?;
        let secret = new_totp_secret();
        self.commit(caller, |_| {
            Ok(Change::MfaEnrol {
                user_id,
                agency: user.agency.clone(),
                secret: secret.clone(),
                recovery: Vec::new(),
            })
        })?;
        self.commit(caller, |_| {
            Ok(Change::MfaConfirm {
                user_id,
                agency: user.agency.clone(),
            })
        })?;
        Ok(secret)
    }

    /// Sets the caller's agency's sign-in settings (admins).
    ///
    /// # Errors
    /// 403 without `manage_users`; 400 for time-outs out of range.
    pub fn set_security_settings(
        &self,
        caller: &Caller,
        agency: Option<&str>,
        settings: SecuritySettings,
    ) -> Result<u64> {
        let agency = caller.acting_for(Permission::ManageUsers, agency)?;
        if settings.idle_minutes > 7 * 24 * 60 || settings.absolute_hours > 24 * 365 {
            return Err(Error::bad_request(
                "idle_minutes must be at most a week and absolute_hours at most a year",
            ));
        }
        let by = caller.name();
        let (_, seq) = self.commit(caller, |n| {
            // Roles that need a second factor from now on: their members without a confirmed
            // enrolment are signed out (their tokens were issued without one).
            let before = n.security_settings_of(&n.store.agency(&agency)?)?.mfa_roles;
            let mut mfa_sign_out = Vec::new();
            let mut sessions_ended = 0;
            for u in n.store.users_of(&agency)? {
                if !settings.mfa_roles.contains(&u.role) || before.contains(&u.role) {
                    continue;
                }
                if n.store.mfa(u.id)?.is_some_and(|m| m.confirmed) {
                    continue;
                }
                let tokens = n.store.count_user_tokens(u.id)?;
                if tokens > 0 {
                    mfa_sign_out.push(u.id.0);
                    sessions_ended += tokens;
                }
            }
            Ok(Change::SecuritySettings {
                agency: agency.clone(),
                settings,
                by,
                mfa_sign_out,
                sessions_ended,
            })
        })?;
        Ok(seq)
    }

    /// The caller's agency's sign-in settings (in force, defaults included).
    ///
    /// # Errors
    /// 403 without `view_directory`.
    pub fn security_settings(
        &self,
        caller: &Caller,
        agency: Option<&str>,
    ) -> Result<SecuritySettings> {
        let agency = caller.acting_for(Permission::ViewDirectory, agency)?;
        let a = self.store.agency(&agency)?;
        self.security_settings_of(&a)
    }

    /// Stores an enrolment (applying its change).
    pub(crate) fn apply_mfa_enrol(
        &self,
        user_id: i64,
        secret: &str,
        recovery: &[String],
    ) -> Result<()> {
        self.store.put_mfa(
            &MfaRecord {
                user_id: UserId(user_id),
                secret: secret.to_owned(),
                confirmed: false,
                last_step: 0,
                recovery: recovery.to_vec(),
            },
            self.clock.now(),
        )?;
        Ok(())
    }

    /// Marks an enrolment confirmed (applying its change).
    pub(crate) fn apply_mfa_confirm(&self, user_id: i64) -> Result<()> {
        if let Some(mut m) = self.store.mfa(UserId(user_id))? {
            m.confirmed = true;
            self.store.put_mfa(&m, self.clock.now())?;
        }
        Ok(())
    }

    /// Hours a new session lasts in the user's agency.
    pub(crate) fn session_hours(&self, user: &UserRecord) -> i64 {
        let ttl = self.config.token_ttl_hours;
        self.store
            .security_settings(&user.agency)
            .ok()
            .flatten()
            .filter(|s| s.absolute_hours > 0)
            .map_or(ttl, |s| ttl.min(i64::from(s.absolute_hours)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_rfc6238_sha1_vector_and_skew() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 → 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        assert_eq!(totp_code(&secret, 59).unwrap(), "287082");
        assert_eq!(matching_step(&secret, "287082", 59).unwrap(), Some(1));
        // One step of skew either way, no more.
        assert_eq!(matching_step(&secret, "287082", 89).unwrap(), Some(1));
        assert_eq!(matching_step(&secret, "287082", 125).unwrap(), None);
        assert_eq!(matching_step(&secret, "000000", 59).unwrap(), None);
    }

    #[test]
    fn test_new_secret_is_160_bits_base32() {
        let s = new_totp_secret();
        assert_eq!(Secret::Encoded(s.clone()).to_bytes().unwrap().len(), 20);
        assert_ne!(s, new_totp_secret());
    }
}

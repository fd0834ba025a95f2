//! Sign-in, tokens and one's own password.
//!
//! Guessing passwords online is made slow and unrewarding: every attempt is counted *before* the
//! password is checked (so parallel guesses cannot all slip past the limit), per username and per
//! client address; after 5 failures a username is refused for 2^(n−5) s (capped at an hour), an
//! address after 50 in 15 minutes. Unknown usernames cost one argon2 verification against a
//! dummy hash, like known ones, so timing does not tell which names exist. The limiter's memory is
//! bounded: at capacity, stale counters go first and new keys are refused rather than stored.

use crate::admin::{ChangePassword, LoginResponse, UserView};
use crate::changes::Change;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::Caller;
use crate::secrets::{self, USER_TOKEN_PREFIX};
use chrono::Duration;
use sightline_store::UserRecord;
use sightline_types::ErrorCode;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Most counters the limiter keeps.
const LIMITER_CAPACITY: usize = 10_000;
/// Failures per username before the back-off starts.
const USER_FREE_FAILURES: u32 = 5;
/// Failures per client address in [`IP_WINDOW`] before it is refused.
const IP_MAX_FAILURES: u32 = 50;
/// The address window.
const IP_WINDOW: std::time::Duration = std::time::Duration::from_secs(900);

/// Failed sign-in counters by username and by client address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    counters: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    fn wait_for(key: &str, n: u32, at: Instant) -> Option<std::time::Duration> {
        let wait = if key.starts_with("ip:") {
            if n < IP_MAX_FAILURES {
                return None;
            }
            IP_WINDOW
        } else {
            if n < USER_FREE_FAILURES {
                return None;
            }
            std::time::Duration::from_secs((1u64 << (n - USER_FREE_FAILURES).min(12)).min(3600))
        };
        let elapsed = at.elapsed();
        (elapsed < wait).then(|| wait - elapsed)
    }

    /// Counts an attempt for every key before the password is checked; refuses when any key is
    /// locked. Returns the keys to clear on success.
    fn begin(&self, keys: &[String]) -> Result<()> {
        let mut map = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            if let Some((n, at)) = map.get(k)
                && let Some(wait) = Self::wait_for(k, *n, *at)
            {
                return Err(Error::new(
                    ErrorCode::TooManyRequests,
                    format!(
                        "too many failed sign-ins; try again in {} s",
                        wait.as_secs() + 1
                    ),
                ));
            }
        }
        if map.len() + keys.len() > LIMITER_CAPACITY {
            map.retain(|k, (n, at)| Self::wait_for(k, *n, *at).is_some());
            if map.len() + keys.len() > LIMITER_CAPACITY {
                return Err(Error::new(
                    ErrorCode::TooManyRequests,
                    "too many failed sign-ins on this node; try again later",
                ));
            }
        }
        let now = Instant::now();
        for k in keys {
            let e = map.entry(k.clone()).or_insert((0, now));
            // An address's window restarts once it has passed.
            if k.starts_with("ip:") && e.1.elapsed() > IP_WINDOW {
                *e = (0, now);
            }
            *e = (e.0 + 1, now);
        }
        Ok(())
    }

    /// Clears the username counter after a successful sign-in (the address keeps its count).
    fn succeed(&self, user_key: &str) {
        self.counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(user_key);
    }

    /// How many counters are held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Tells whether no counter is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A hash to verify unknown usernames against, so they take as long as known ones.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        secrets::hash_password(&secrets::new_secret("dummy_"))
            .unwrap_or_else(|_| String::from("$argon2id$v=19$m=19456,t=2,p=1$invalid"))
    })
}

impl Node {
    /// Checks a username and password under the limiter (see the module documentation).
    ///
    /// # Errors
    /// 401 for an unknown user, a wrong password or a disabled account (same message); 429
    /// while the username or address is locked.
    pub fn check_password(
        &self,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<UserRecord> {
        if username.len() > 256 || password.len() > 1024 {
            return Err(Error::bad_request("username or password is too long"));
        }
        let user_key = format!("u:{}", username.to_lowercase());
        let mut keys = vec![user_key.clone()];
        if let Some(ip) = client {
            keys.push(format!("ip:{ip}"));
        }
        self.login_limiter.begin(&keys)?;
        let user = self.store.user_by_username(username)?;
        let hash = user
            .as_ref()
            .map_or(dummy_hash(), |u| u.password_hash.as_str());
        let ok = secrets::verify_password(password, hash);
        match user {
            Some(u) if ok && !u.disabled => {
                self.login_limiter.succeed(&user_key);
                Ok(u)
            }
            _ => Err(Error::new(
                ErrorCode::Unauthenticated,
                "unknown username or wrong password",
            )),
        }
    }

    /// Issues an API token for a user.
    ///
    /// # Errors
    /// Store failures.
    pub fn issue_token(&self, user: &UserRecord, label: &str) -> Result<LoginResponse> {
        let token = secrets::new_secret(USER_TOKEN_PREFIX);
        let now = self.clock.now();
        let expires_at = now + Duration::hours(self.session_hours(user));
        self.store.insert_token(
            &secrets::hash_secret(&token),
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

    /// Revokes the caller's own token (sign-out). Audited like every revocation.
    ///
    /// # Errors
    /// Store or audit failures.
    pub fn logout(&self, caller: &Caller, token: &str) -> Result<()> {
        let Some(who) = caller.principal() else {
            return Ok(());
        };
        self.commit(caller, |_| {
            Ok(Change::TokenRevoke {
                user_id: who.user.id.0,
                agency: who.agency.id.clone(),
                token_hash: Some(secrets::hash_secret(token)),
            })
        })?;
        Ok(())
    }

    /// Changes the caller's own password (checking the current one); every session ends.
    ///
    /// # Errors
    /// 401 for a wrong current password; 400 for a weak or unchanged new one.
    pub fn change_own_password(&self, caller: &Caller, req: &ChangePassword) -> Result<u64> {
        let Some(who) = caller.principal() else {
            return Err(Error::bad_request("the system has no password"));
        };
        secrets::check_password_policy(&req.new_password)?;
        self.check_password(&who.user.username, &req.current_password, None)?;
        if req.new_password == req.current_password {
            return Err(Error::bad_request(
                "the new password must differ from the current one",
            ));
        }
        let hash = secrets::hash_password(&req.new_password)?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::UserPassword {
                user_id: who.user.id.0,
                agency: who.agency.id.clone(),
                password_hash: hash,
                must_change: false,
            })
        })?;
        Ok(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_limiter_counts_before_checking_and_locks_after_five() {
        let l = LoginLimiter::default();
        let keys = vec!["u:alice".to_owned()];
        for _ in 0..USER_FREE_FAILURES {
            l.begin(&keys).unwrap();
        }
        let e = l.begin(&keys).unwrap_err();
        assert_eq!(e.code(), ErrorCode::TooManyRequests);
        // Another user is not affected.
        l.begin(&["u:bob".to_owned()]).unwrap();
        l.succeed("u:bob");
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn test_limiter_memory_is_bounded_and_a_flood_keeps_locks() {
        let l = LoginLimiter::default();
        let victim = vec!["u:victim".to_owned()];
        for _ in 0..USER_FREE_FAILURES {
            l.begin(&victim).unwrap();
        }
        for i in 0..(LIMITER_CAPACITY + 100) {
            let _ = l.begin(&[format!("u:user{i}")]);
            assert!(l.len() <= LIMITER_CAPACITY);
        }
        assert!(l.begin(&victim).is_err(), "a locked username stays locked");
    }
}

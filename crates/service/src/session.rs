//! Sessions: the one place a bearer secret (API token or web session cookie) becomes a caller.
//!
//! Besides the token's own expiry (the absolute limit, set at issue), an agency may end sessions
//! that sat unused for `idle_minutes` ([`SecuritySettings`](sightline_store::SecuritySettings)).
//! A token's last use is recorded at most once a minute ([`TOUCH_EVERY_SECS`]), so requests do
//! not each write to the directory; the idle limit is therefore exact to within that minute.
//! An idle session is ended audit-first (`session.expired`, once: the token is deleted with it).

use crate::changes::Change;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::Caller;
use sightline_search::Principal;
use sightline_store::TokenKind;
use sightline_types::ErrorCode;

/// A token's recorded last use is refreshed when it is older than this.
pub const TOUCH_EVERY_SECS: i64 = 60;

impl Node {
    /// Resolves a hashed bearer secret (API token or web session) to a user or camera, enforcing
    /// the user's agency's idle time-out. `Ok(None)`: unknown, revoked or expired.
    ///
    /// # Errors
    /// 401 "session idle for more than N minutes; sign in again" for an idle session (which is
    /// ended and audited); database failures.
    pub fn authenticate(&self, secret_hash: &str) -> Result<Option<TokenKind>> {
        let now = self.clock.now();
        let Some(kind) = self.store.resolve_token(secret_hash, now)? else {
            return Ok(None);
        };
        let TokenKind::User(user) = &kind else {
            return Ok(Some(kind));
        };
        let agency = self.store.agency(&user.agency)?;
        let idle = self.security_settings_of(&agency)?.idle_minutes;
        let Some(last) = self.store.token_last_use(secret_hash)? else {
            return Ok(None);
        };
        if idle > 0 && now - last > chrono::Duration::minutes(i64::from(idle)) {
            let caller = Caller::User(Principal {
                user: user.clone(),
                agency,
            });
            let gone = || {
                Error::new(
                    ErrorCode::Unauthenticated,
                    format!("session idle for more than {idle} minutes; sign in again"),
                )
            };
            self.commit(&caller, |n| {
                // Under the change lock: a concurrent request may have ended it already (audit once).
                if n.store.token_last_use(secret_hash)?.is_none() {
                    return Err(gone());
                }
                Ok(Change::SessionExpire {
                    user_id: user.id.0,
                    agency: user.agency.clone(),
                    idle_minutes: idle,
                    token_hash: secret_hash.to_owned(),
                })
            })?;
            return Err(gone());
        }
        if now - last >= chrono::Duration::seconds(TOUCH_EVERY_SECS) {
            self.store.touch_token(secret_hash, now)?;
        }
        Ok(Some(kind))
    }
}

//! The service layer: the only way in for every operation other than the plate search itself
//! (which is `sightline-search`'s `Searcher`, wired in here).
//!
//! Each operation takes the caller ([`Caller`]), checks a named [`Permission`] from the one
//! role → permission table ([`permissions`]), applies the data owner's law where the operation
//! touches another owner's data, and takes effect only after its audit entry is durable. The API
//! and the web UI in `sightline-server` are thin adapters over these functions, so they cannot
//! disagree. No HTTP types live here; errors carry an `ErrorCode` that the server maps to a status.
#![deny(missing_docs)]

pub mod accounts;
pub mod admin;
pub mod audit_access;
pub mod changes;
pub mod config;
pub mod directory;
pub mod error;
pub mod evidence;
pub mod findings;
pub mod governance;
pub mod hotlists;
pub mod metrics;
pub mod mfa;
mod node;
pub mod permissions;
pub mod saved;
pub mod secrets;
pub mod session;
pub mod transparency;
pub mod transparency_node;
pub mod webauthn;
pub mod webhooks;

pub use config::NodeConfig;
pub use error::{Error, Result};
pub use findings::spawn_watch;
pub use governance::{spawn_checkpoints, spawn_retention};
pub use node::{Node, OpenError};
pub use permissions::{Caller, Permission};

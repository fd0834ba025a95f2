//! Policy: the pure decision whether one data owner's data may answer one search.
//!
//! `(who, what, why, whose data, context) → allow | deny(rule, citation)`. Rules are Cedar policy
//! sets (`cedar-policy`): the base policy shipped in `policies/base.cedar`, then the law packs of
//! the owner's jurisdiction (`packs/index.toml`: `US-IL`, `DE` + `EU-LED`, the `US-*` fallback),
//! then the owner agency's own forbid-only policy. Everything is validated against
//! `policies/schema.cedarschema` when loaded. Free-text reasons are screened for prohibited
//! purposes by [`screening`] (rules published in `screening/rules.toml`).
//! Every rule carries `@id`, `@citation` and `@explanation` annotations so that a denial names
//! the rule and its source. No I/O happens here: callers gather the facts ([`PolicyRequest`]).
//!
//! Design choice: all facts travel in the Cedar *context* rather than in an entity store, so a
//! new law pack can use any fact the search path already gathers without a change to that path.
#![deny(missing_docs)]

mod engine;
pub mod explain;
pub mod packs;
mod request;
pub mod screening;

pub use engine::{Decision, Pack, PolicyEngine};
pub use request::{EU_COUNTRIES, PartyFacts, PolicyRequest, case_number_shape};

use sightline_types::ErrorCode;

/// Errors from loading policies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A policy set failed to parse.
    #[error("policy set `{name}` does not parse: {message}")]
    Parse {
        /// Which set.
        name: String,
        /// Cedar's message.
        message: String,
    },
    /// A rule lacks a required annotation.
    #[error("rule in `{name}` lacks the @{annotation} annotation")]
    MissingAnnotation {
        /// Which set.
        name: String,
        /// Which annotation.
        annotation: &'static str,
    },
    /// Two rules share an id.
    #[error("rule id `{0}` is used twice")]
    DuplicateId(String),
}

impl Error {
    /// Returns the error class.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::BadRequest
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

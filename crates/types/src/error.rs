//! The error vocabulary shared by all crates: a small [`ErrorCode`] that the server maps to an
//! HTTP status in exactly one place, and this crate's own validation [`Error`].

use serde::Serialize;

/// A machine-readable class of failure. Every crate's error reports one of these so that the
/// server needs a single mapping to HTTP statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request is malformed or fails validation (400).
    BadRequest,
    /// No or invalid credentials (401).
    Unauthenticated,
    /// Authenticated but not allowed (403).
    Forbidden,
    /// The named object does not exist (404).
    NotFound,
    /// The object already exists or conflicts with current state (409).
    Conflict,
    /// The request body is too large (413).
    PayloadTooLarge,
    /// Well-formed but semantically unacceptable (422).
    Unprocessable,
    /// Too many attempts; try again later (429).
    TooManyRequests,
    /// A dependency (store, audit log) is unavailable; fail closed (503).
    Unavailable,
    /// A bug or unexpected condition (500).
    Internal,
}

impl ErrorCode {
    /// Returns the stable snake_case name used in JSON error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Unprocessable => "unprocessable",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// Validation errors raised while building domain values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A plate string was empty after normalisation.
    #[error("plate is empty")]
    EmptyPlate,
    /// A plate is longer than any real plate.
    #[error("plate `{0}` is longer than {max} characters", max = crate::plate::MAX_PLATE_LEN)]
    PlateTooLong(String),
    /// A plate contains a character no plate uses.
    #[error("plate contains character {0:?} that no plate uses")]
    PlateCharacter(char),
    /// A wildcard pattern is invalid.
    #[error("invalid plate pattern: {0}")]
    Pattern(String),
    /// A jurisdiction code is not ISO 3166-1/2 shaped.
    #[error("jurisdiction `{0}` is not an ISO 3166 code such as `US-IL` or `DE-BY`")]
    Jurisdiction(String),
    /// An unknown enumeration value (purpose, role, agency kind).
    #[error("unknown {kind} `{value}`; expected one of: {expected}")]
    UnknownValue {
        /// What was being parsed.
        kind: &'static str,
        /// The value received.
        value: String,
        /// The accepted values.
        expected: String,
    },
    /// An identifier is malformed.
    #[error("invalid {kind} `{value}`: {why}")]
    InvalidId {
        /// What was being parsed.
        kind: &'static str,
        /// The value received.
        value: String,
        /// Why it was refused.
        why: &'static str,
    },
}

impl Error {
    /// Returns the error class; all validation errors are bad requests.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::BadRequest
    }

    /// The message as a key and its arguments (data: values received, codes), for pages that
    /// show it in another language.
    pub fn key(&self) -> MessageKey {
        match self {
            Error::EmptyPlate => MessageKey::new("err.plate_empty", []),
            Error::PlateTooLong(p) => MessageKey::new(
                "err.plate_too_long",
                [p.clone(), crate::plate::MAX_PLATE_LEN.to_string()],
            ),
            Error::PlateCharacter(c) => MessageKey::new("err.plate_character", [format!("{c:?}")]),
            Error::Pattern(_) => MessageKey::new("err.pattern", []),
            Error::Jurisdiction(j) => MessageKey::new("err.jurisdiction", [j.clone()]),
            Error::UnknownValue {
                kind,
                value,
                expected,
            } => MessageKey::new(
                "err.unknown_value",
                [(*kind).to_owned(), value.clone(), expected.clone()],
            ),
            Error::InvalidId { kind, value, .. } => {
                MessageKey::new("err.invalid_id", [(*kind).to_owned(), value.clone()])
            }
        }
    }
}

/// A refusal's message as a stable key and its arguments, so that a page can show it in the
/// reader's language by what kind of refusal it is (the English sentence stays the error's
/// `Display`, which the API and the logs use). Arguments are data (codes, values received, ids)
/// and are shown as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageKey {
    /// The key, e.g. `err.permission`.
    pub key: &'static str,
    /// The values filled into `{0}`, `{1}`, … of the text.
    pub args: Vec<String>,
}

impl MessageKey {
    /// A key with its arguments.
    pub fn new<const N: usize>(key: &'static str, args: [String; N]) -> MessageKey {
        MessageKey {
            key,
            args: args.into(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

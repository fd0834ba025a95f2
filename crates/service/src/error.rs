//! The services' one error type: what the caller can act on, with a small [`ErrorCode`] that the
//! HTTP layer maps to a status in one place. No HTTP types here.

use sightline_types::{ErrorCode, MessageKey};

/// A service error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused or is invalid: a sentence for people, a code, structured details
    /// (e.g. the audit entry of a refusal, the rule and citation).
    #[error("{message}")]
    Refused {
        /// Class.
        code: ErrorCode,
        /// A sentence naming the object involved.
        message: String,
        /// Structured details (`null` when none).
        details: serde_json::Value,
        /// The message as a key, for pages in other languages (`None`: shown by its class).
        key: Option<Box<MessageKey>>,
    },
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] sightline_store::Error),
    /// The audit log failed: the change did not take effect.
    #[error(transparent)]
    Audit(#[from] sightline_audit::Error),
    /// Ingest failed or refused.
    #[error(transparent)]
    Ingest(#[from] sightline_ingest::Error),
    /// A domain value was invalid.
    #[error(transparent)]
    Types(#[from] sightline_types::Error),
    /// A hot-list operation failed or was refused.
    #[error(transparent)]
    Hotlist(#[from] sightline_hotlist::Error),
    /// A search failed or was refused.
    #[error(transparent)]
    Search(#[from] sightline_search::Error),
}

impl Error {
    /// Creates a refusal without details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Refused {
            code,
            message: message.into(),
            details: serde_json::Value::Null,
            key: None,
        }
    }

    /// Gives a refusal its message key (other variants are returned unchanged).
    #[must_use]
    pub fn keyed<const N: usize>(self, key: &'static str, args: [String; N]) -> Self {
        match self {
            Error::Refused {
                code,
                message,
                details,
                ..
            } => Error::Refused {
                code,
                message,
                details,
                key: Some(Box::new(MessageKey::new(key, args))),
            },
            other => other,
        }
    }

    /// The message as a key and its arguments, where the error has one: a keyed refusal, a
    /// domain value's validation error, a keyed search refusal.
    pub fn key(&self) -> Option<MessageKey> {
        match self {
            Error::Refused { key, .. } => key.as_deref().cloned(),
            Error::Types(e) => Some(e.key()),
            Error::Search(e) => e.key().cloned(),
            _ => None,
        }
    }

    /// Adds details to a refusal (other variants are returned unchanged).
    #[must_use]
    pub fn with_details(self, details: serde_json::Value) -> Self {
        match self {
            Error::Refused {
                code, message, key, ..
            } => Error::Refused {
                code,
                message,
                details,
                key,
            },
            other => other,
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// The error's class.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Refused { code, .. } => *code,
            Error::Store(e) => e.code(),
            Error::Audit(e) => e.code(),
            Error::Ingest(e) => e.code(),
            Error::Types(e) => e.code(),
            Error::Hotlist(e) => e.code(),
            Error::Search(e) => e.code(),
        }
    }

    /// Structured details for the caller: a refusal's own, or a refused search's audit entry.
    pub fn details(&self) -> serde_json::Value {
        match self {
            Error::Refused { details, .. } => details.clone(),
            Error::Search(e) => e.audit_seq().map_or(
                serde_json::Value::Null,
                |s| serde_json::json!({ "audit_seq": s }),
            ),
            _ => serde_json::Value::Null,
        }
    }

    /// True for failures of the node itself (storage, audit), as opposed to refusals.
    pub fn is_server_side(&self) -> bool {
        matches!(self.code(), ErrorCode::Unavailable | ErrorCode::Internal)
    }
}

/// Result alias of the services.
pub type Result<T, E = Error> = std::result::Result<T, E>;

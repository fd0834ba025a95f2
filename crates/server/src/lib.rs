//! The HTTP server: the JSON API under `/api/v1/`, its OpenAPI document, health and metrics,
//! and the node's start-up ([`Node`]).
//!
//! Handlers are thin: they authenticate, parse, call `ingest`, `search` or the admin functions,
//! and map errors to one JSON shape through [`error::ApiError`] (one table from `ErrorCode` to
//! HTTP status). Blocking work (SQLite, argon2) runs in `spawn_blocking`. This crate reaches
//! plate data only through `sightline-search`; the store's plate queries are disallowed here by
//! `clippy.toml`.
#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod error;
pub mod openapi;
pub mod routes;
mod serve;
mod web;

pub use serve::serve;
pub use sightline_service::Error as ServiceError;
pub use sightline_service::{
    Caller, Node, NodeConfig, OpenError, Permission, admin, config, findings, governance, hotlists,
    metrics, mfa, spawn_checkpoints, spawn_retention, spawn_watch, transparency, transparency_node,
    webhooks,
};
pub use web::search::bench_document as bench_search_document;
pub use web::search::bench_page as bench_search_page;

use axum::Router;
use std::sync::Arc;

/// Shared state of a running node.
pub type AppState = Arc<Node>;

/// The Content-Security-Policy of every response: our own origin only, no framing. (The pages'
/// few hand-written scripts are inline, hence `'unsafe-inline'` for scripts and styles.)
pub const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Builds the router over a node (testable in-process with `oneshot`).
pub fn router(node: AppState) -> Router {
    api::routes()
        .merge(web::routes())
        .layer(axum::extract::DefaultBodyLimit::max(
            node.config.max_body_bytes,
        ))
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                axum::http::header::CONTENT_SECURITY_POLICY,
                axum::http::HeaderValue::from_static(CSP),
            ),
        )
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                axum::http::HeaderValue::from_static("nosniff"),
            ),
        )
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(node)
}

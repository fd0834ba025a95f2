//! The HTTP server: the JSON API under `/api/v1/`, its OpenAPI document, health and metrics,
//! and the node's start-up ([`Node`]).
//!
//! Handlers are thin: they authenticate, parse, call `ingest`, `search` or the admin functions,
//! and map errors to one JSON shape through [`error::ApiError`] (one table from `ErrorCode` to
//! HTTP status). Blocking work (SQLite, argon2) runs in `spawn_blocking`. This crate reaches
//! plate data only through `sightline-search`; the store's plate queries are disallowed here by
//! `clippy.toml`.
#![deny(missing_docs)]

pub mod admin;
pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod governance;
pub mod hotlists;
pub mod metrics;
mod node;
pub mod openapi;
pub mod transparency;
mod web;
pub mod webhooks;

pub use config::NodeConfig;
pub use governance::{spawn_checkpoints, spawn_retention};
pub use node::{Node, serve};

use axum::Router;
use std::sync::Arc;

/// Shared state of a running node.
pub type AppState = Arc<Node>;

/// Builds the router over a node (testable in-process with `oneshot`).
pub fn router(node: AppState) -> Router {
    api::routes()
        .merge(web::routes())
        .layer(axum::extract::DefaultBodyLimit::max(
            node.config.max_body_bytes,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(node)
}

//! The landing page. The full web UI is its own issue; until then `/` tells a visitor what the
//! node is and where the API lives.

use crate::AppState;
use axum::Router;
use axum::response::Html;
use axum::routing::get;

/// Web routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home() -> Html<&'static str> {
    Html(include_str!("../templates/home.html"))
}

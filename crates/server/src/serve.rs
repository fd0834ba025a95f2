//! The one shutdown path: serve until the signal, then drain.

use sightline_service::Node;
use std::sync::Arc;
use std::time::Duration;

/// Serves the router on a bound listener until `shutdown` resolves, then stops accepting,
/// tells the node's long-lived streams and jobs to end (`Node::shutdown`), and drains in-flight
/// requests for up to ten seconds.
///
/// # Errors
/// I/O errors from the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    node: Arc<Node>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let signal = node.shutdown.clone();
    let app = crate::router(node);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: draining requests");
        signal.send_replace(true);
        let _ = tx.send(());
    });
    tokio::select! {
        r = server => r,
        _ = async {
            let _ = rx.await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        } => {
            tracing::warn!("shutdown drain timed out");
            Ok(())
        }
    }
}

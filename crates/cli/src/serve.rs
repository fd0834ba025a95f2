//! `sightline serve --config FILE`.

use anyhow::{Context, Result};
use sightline_server::admin::CreateAgency;
use sightline_server::{Node, NodeConfig};
use sightline_types::AgencyId;
use std::path::Path;
use std::sync::Arc;

/// Loads and parses a configuration file.
///
/// # Errors
/// When the file is unreadable or invalid; the message names the file and the field.
pub fn load_config(path: &Path) -> Result<NodeConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config file {} is invalid", path.display()))
}

fn bootstrap(node: &Node) -> Result<()> {
    let Some(b) = node.config.bootstrap.clone() else {
        return Ok(());
    };
    if !node.store.agencies()?.is_empty() {
        return Ok(());
    }
    let password = std::env::var(&b.admin_password_env).with_context(|| {
        format!(
            "bootstrap needs the admin password in the environment variable {}",
            b.admin_password_env
        )
    })?;
    let req = CreateAgency {
        id: b.agency_id.clone(),
        name: b.agency_name,
        kind: b.agency_kind,
        jurisdiction: b.jurisdiction,
    };
    node.create_agency(&sightline_server::Caller::System, &req)
        .map_err(|e| anyhow::anyhow!("bootstrap agency: {e}"))?;
    node.create_operator(
        &AgencyId::parse(&b.agency_id)?,
        &b.admin_username,
        &password,
    )
    .map_err(|e| anyhow::anyhow!("bootstrap admin: {e}"))?;
    tracing::info!(agency = %b.agency_id, "bootstrapped first agency and node operator");
    Ok(())
}

/// Runs a node until Ctrl-C or SIGTERM.
///
/// # Errors
/// Configuration, data directory or bind failures.
pub async fn run(config_path: &Path) -> Result<()> {
    let config = load_config(config_path)?;
    let listen = config.listen.clone();
    let node = Arc::new(Node::open(config).context("opening the node")?);
    let n = node.clone();
    tokio::task::spawn_blocking(move || bootstrap(&n)).await??;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to learn the port when `listen` uses port 0.
    println!("sightline listening on http://{addr}");
    tracing::info!(%addr, "node started");
    let retention = sightline_server::spawn_retention(node.clone());
    let checkpoints = sightline_server::spawn_checkpoints(node.clone());
    let watch = sightline_server::spawn_watch(node.clone());
    sightline_server::serve(listener, node, crate::shutdown_signal()).await?;
    for task in [retention, checkpoints].into_iter().flatten() {
        task.abort();
    }
    watch.abort();
    Ok(())
}

//! The node's configuration file (TOML). Documented in `docs/config.md`.

use serde::{Deserialize, Serialize};
use sightline_ingest::IngestLimits;
use sightline_store::Durability;
use std::path::PathBuf;

/// A node's configuration.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Data directory (`store.db`, `audit.db`).
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Commit durability of the read store (`power` or `process`); the audit log always syncs.
    #[serde(default)]
    pub durability: Durability,
    /// Lifetime of API tokens issued at login, hours.
    #[serde(default = "default_ttl")]
    pub token_ttl_hours: i64,
    /// Length of a read partition in hours (divides 24; default 24 = day partitions). Shorter
    /// partitions keep ingest fast at very high daily volumes; fixed when the directory is created.
    #[serde(default = "default_partition_hours")]
    pub partition_hours: u32,
    /// Length of a read partition in minutes (divides a day), instead of `partition_hours`: for
    /// owners whose law keeps reads for minutes (New Hampshire: 3), so that retention drops
    /// whole partitions; fixed when the directory is created.
    #[serde(default)]
    pub partition_minutes: Option<u32>,
    /// Mark the web session cookie `Secure` (set when the node is served over HTTPS).
    #[serde(default)]
    pub secure_cookies: bool,
    /// Largest request body, bytes.
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
    /// Ingest limits.
    #[serde(default)]
    pub ingest: IngestLimits,
    /// Created at first start when the node has no agencies.
    #[serde(default)]
    pub bootstrap: Option<Bootstrap>,
    /// Sign-in security defaults (`[security]`): roles that need MFA in public agencies.
    #[serde(default)]
    pub security: crate::mfa::SecurityConfig,
    /// The usage watch's thresholds (`[watch]`, `[watch.agencies.<id>]`).
    #[serde(default)]
    pub watch: crate::findings::WatchConfig,
    /// Law packs and retention.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// Webhook hosts (names or addresses) that may be loopback, private or link-local: by
    /// default such receivers are refused, so a webhook cannot reach the node's own network.
    #[serde(default)]
    pub webhook_allow_hosts: Vec<String>,
}

/// Policy settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// A directory with `index.toml` and `.cedar` files; its packs replace shipped packs with the
    /// same id and add new ones.
    #[serde(default)]
    pub packs_dir: Option<PathBuf>,
    /// How often the retention job runs, seconds (0 disables it).
    #[serde(default = "default_retention_interval")]
    pub retention_interval_s: u64,
    /// How often a checkpoint is signed when the log grew, seconds (0 disables it).
    #[serde(default = "default_retention_interval")]
    pub checkpoint_interval_s: u64,
}

fn default_retention_interval() -> u64 {
    60
}

/// The first agency and its administrator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bootstrap {
    /// Agency id (slug).
    pub agency_id: String,
    /// Agency name.
    pub agency_name: String,
    /// Agency kind.
    pub agency_kind: String,
    /// Jurisdiction code.
    pub jurisdiction: String,
    /// Admin login name.
    pub admin_username: String,
    /// Name of the environment variable holding the admin's initial password.
    pub admin_password_env: String,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

fn default_partition_hours() -> u32 {
    24
}

fn default_ttl() -> i64 {
    12
}

fn default_body() -> usize {
    4 * 1024 * 1024
}

impl NodeConfig {
    /// A configuration with defaults for a data directory.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        NodeConfig {
            data_dir,
            listen: default_listen(),
            durability: Durability::default(),
            token_ttl_hours: default_ttl(),
            max_body_bytes: default_body(),
            secure_cookies: false,
            partition_hours: default_partition_hours(),
            partition_minutes: None,
            ingest: IngestLimits::default(),
            bootstrap: None,
            security: Default::default(),
            watch: Default::default(),
            webhook_allow_hosts: Vec::new(),
            policy: PolicyConfig {
                packs_dir: None,
                retention_interval_s: default_retention_interval(),
                checkpoint_interval_s: default_retention_interval(),
            },
        }
    }
}

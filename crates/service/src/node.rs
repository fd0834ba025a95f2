//! A running node: its services, start-up and the one shutdown path.

use crate::NodeConfig;
use crate::metrics::Metrics;
use sightline_audit::AuditLog;
use sightline_ingest::Ingest;
use sightline_policy::PolicyEngine;
use sightline_search::Searcher;
use sightline_store::Store;
use sightline_types::{Clock, SystemClock};
use std::sync::{Arc, RwLock};

/// Errors opening a node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The store failed to open.
    #[error("cannot open store")]
    Store(#[from] sightline_store::Error),
    /// The audit log failed to open.
    #[error("cannot open audit log")]
    Audit(#[from] sightline_audit::Error),
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A key file could not be read or written.
    #[error("cannot use {path}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The hot-list database failed to open.
    #[error("cannot open hot lists")]
    Hotlist(#[from] sightline_hotlist::Error),
    /// A policy (shipped, deployment pack or agency policy) failed to load.
    #[error("cannot load policy: {0}")]
    Policy(#[from] sightline_policy::Error),
    /// Pending changes or hot-list grants could not be brought up to date.
    #[error("cannot recover: {0}")]
    Recovery(String),
}

/// Everything a node runs.
#[derive(Debug)]
pub struct Node {
    /// Configuration.
    pub config: NodeConfig,
    /// The store (directory and reads). Handlers use its directory functions only.
    pub store: Arc<Store>,
    /// The audit log.
    pub audit: Arc<AuditLog>,
    /// Search.
    pub searcher: Searcher,
    /// Ingest.
    pub ingest: Ingest,
    /// Policy engine (shared with search).
    pub policy: Arc<RwLock<PolicyEngine>>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Metrics.
    pub metrics: Metrics,
    /// Hot lists and hits.
    pub hotlists: Arc<sightline_hotlist::HotlistStore>,
    /// Secret from which hit-only cameras' daily hashing keys are derived.
    pub(crate) edge_secret: Vec<u8>,
    /// Live hot-list alerts (fan-out to SSE subscribers).
    pub alerts: tokio::sync::broadcast::Sender<sightline_hotlist::Hit>,
    /// Sign-in challenges awaiting their second factor.
    pub(crate) mfa_challenges: crate::mfa::Challenges,
    /// WebAuthn ceremonies in progress.
    pub(crate) webauthn: crate::webauthn::Ceremonies,
    /// The usage watch's detectors and cursor.
    pub(crate) watch: std::sync::Mutex<crate::findings::WatchState>,
    /// Wakes the usage watch after a search.
    pub(crate) watch_wake: tokio::sync::Notify,
    /// Live findings (fan-out to SSE subscribers who may review them).
    pub findings_tx: tokio::sync::broadcast::Sender<Arc<crate::findings::Finding>>,
    /// Failed sign-in counters.
    pub(crate) login_limiter: crate::accounts::LoginLimiter,
    /// Serialises changes (ids assigned before the audit entry stay free until applied).
    pub(crate) change_lock: std::sync::Mutex<()>,
    /// Each (list, camera owner) hot-list grant decision last audited: `allow` or the rule id.
    pub(crate) grant_decisions:
        std::sync::Mutex<std::collections::HashMap<(i64, sightline_types::AgencyId), String>>,
    /// Test switch: make every audit append fail (fault tests; never set in production).
    pub fault_audit: std::sync::atomic::AtomicBool,
    /// Whether the last retention run failed (reported by `/healthz`).
    pub retention_failing: std::sync::atomic::AtomicBool,
    /// The one shutdown signal: `true` once the node is stopping. Long-lived responses (alert
    /// streams) and background jobs watch it and end, so a graceful shutdown never waits for them.
    pub shutdown: tokio::sync::watch::Sender<bool>,
    /// How far the audit log has been verified ("verified up to N"), so a page view checks only
    /// the entries appended since.
    pub(crate) verified: std::sync::Mutex<sightline_audit::VerifiedPrefix>,
    /// Transparency reports by agency, with when they were computed.
    pub(crate) transparency_cache: std::sync::Mutex<
        std::collections::HashMap<
            sightline_types::AgencyId,
            (std::time::Instant, crate::transparency::AgencyReport),
        >,
    >,
}

impl Node {
    /// Opens the node's store and audit log in its data directory.
    ///
    /// # Errors
    /// When the store, audit log or policy cannot be opened.
    pub fn open(config: NodeConfig) -> Result<Self, OpenError> {
        Self::open_recovered(config, Arc::new(SystemClock))
    }

    /// Opens the node with a given clock (tests).
    ///
    /// # Errors
    /// When the store, audit log or policy cannot be opened.
    pub fn open_with_clock(config: NodeConfig, clock: Arc<dyn Clock>) -> Result<Self, OpenError> {
        let period = match config.partition_minutes {
            Some(m) => sightline_store::Period::minutes(m).ok_or_else(|| {
                OpenError::Config(format!(
                    "partition_minutes = {m} does not divide a day (1,440 minutes)"
                ))
            })?,
            None => sightline_store::Period::hours(config.partition_hours).ok_or_else(|| {
                OpenError::Config(format!(
                    "partition_hours = {} does not divide 24",
                    config.partition_hours
                ))
            })?,
        };
        crate::webauthn::check_config(&config.security).map_err(OpenError::Config)?;
        let store = Arc::new(Store::open_with(
            &config.data_dir,
            config.durability,
            period,
        )?);
        let audit = Arc::new(AuditLog::open(&config.data_dir, clock.clone())?);
        let mut packs = sightline_policy::packs::shipped()?;
        if let Some(dir) = &config.policy.packs_dir {
            packs = sightline_policy::packs::merge(packs, sightline_policy::packs::read_dir(dir)?);
        }
        let mut engine = PolicyEngine::with_packs(packs)?;
        for (agency, text) in store.agency_policies()? {
            engine.set_agency_policy(agency.as_str(), &text)?;
        }
        let policy = Arc::new(RwLock::new(engine));
        let searcher = Searcher::new(store.clone(), audit.clone(), policy.clone(), clock.clone());
        let ingest = Ingest::new(store.clone(), clock.clone(), config.ingest.clone());
        let config_dir = config.data_dir.clone();
        let watch_state = crate::findings::WatchState::new(&config.watch);

        Ok(Node {
            config,
            store,
            audit,
            searcher,
            ingest,
            policy,
            clock,
            metrics: Metrics::new(),
            hotlists: Arc::new(sightline_hotlist::HotlistStore::open(&config_dir)?),
            alerts: tokio::sync::broadcast::channel(1024).0,
            edge_secret: crate::hotlists::load_edge_secret(&config_dir).map_err(|source| {
                OpenError::Io {
                    path: config_dir.join("edge-secret.key"),
                    source,
                }
            })?,
            transparency_cache: Default::default(),
            mfa_challenges: Default::default(),
            webauthn: Default::default(),
            watch: std::sync::Mutex::new(watch_state),
            watch_wake: Default::default(),
            findings_tx: tokio::sync::broadcast::channel(256).0,
            login_limiter: Default::default(),
            change_lock: Default::default(),
            grant_decisions: Default::default(),
            fault_audit: Default::default(),
            retention_failing: Default::default(),
            shutdown: tokio::sync::watch::channel(false).0,
            verified: std::sync::Mutex::new(sightline_audit::VerifiedPrefix::empty()),
        })
    }

    /// Opens a node and brings it to a consistent state: changes whose audit entry exists are
    /// applied (the node may have died in between), and hot-list grants are decided.
    ///
    /// # Errors
    /// As [`Node::open_with_clock`]; recovery failures.
    pub fn open_recovered(config: NodeConfig, clock: Arc<dyn Clock>) -> Result<Self, OpenError> {
        let node = Self::open_with_clock(config, clock)?;
        restrict_permissions(&node.config.data_dir).map_err(|source| OpenError::Io {
            path: node.config.data_dir.clone(),
            source,
        })?;
        node.recover_changes()
            .map_err(|e| OpenError::Recovery(e.to_string()))?;
        node.load_grant_decisions()
            .map_err(|e| OpenError::Recovery(e.to_string()))?;
        node.refresh_hotlist_grants()
            .map_err(|e| OpenError::Recovery(e.to_string()))?;
        Ok(node)
    }
}

impl Node {
    /// Ingests a batch from a camera and counts it in the metrics: the path shared by the API,
    /// the demo's simulator and the benchmark.
    ///
    /// # Errors
    /// Batch-level faults or store failures.
    pub async fn ingest_reads(
        &self,
        camera: &sightline_types::Camera,
        reads: Vec<sightline_types::NewRead>,
    ) -> Result<sightline_ingest::IngestReport, sightline_ingest::Error> {
        let report = self.ingest.ingest(camera, reads).await?;
        Ok(self.count_ingest(report))
    }

    /// Ingests a batch and then matches the stored reads against the hot lists in the background.
    ///
    /// # Errors
    /// Batch-level faults or store failures.
    pub async fn ingest_and_match(
        self: &Arc<Self>,
        camera: &sightline_types::Camera,
        reads: Vec<sightline_types::NewRead>,
    ) -> Result<sightline_ingest::IngestReport, sightline_ingest::Error> {
        if !self.hotlists.is_hit_only(camera.id.0) {
            let (report, stored) = self.ingest.ingest_records(camera, reads).await?;
            self.spawn_matching(camera, stored);
            return Ok(self.count_ingest(report));
        }
        // Hit-only camera: a read that matches no hot list must not be stored (it should never
        // have left the camera); refuse it by name, keep the hits.
        let now = self.clock.now();
        let (mut keep, mut refused) = (Vec::new(), Vec::new());
        for (i, r) in reads.into_iter().enumerate() {
            let is_hit = sightline_types::PlateText::normalise(&r.plate)
                .map(|p| {
                    !self
                        .hotlists
                        .match_plate(camera.id.0, &camera.owner, p.as_str(), now)
                        .is_empty()
                })
                // A malformed plate goes to ingest, which rejects it with the usual message.
                .unwrap_or(true);
            if is_hit {
                keep.push((i, r))
            } else {
                refused.push((i, r.id))
            }
        }
        let (positions, kept): (Vec<usize>, Vec<_>) = keep.into_iter().unzip();
        let (mut report, stored) = if kept.is_empty() {
            (
                sightline_ingest::IngestReport {
                    accepted: 0,
                    duplicates: 0,
                    rejected: 0,
                    results: Vec::new(),
                },
                Vec::new(),
            )
        } else {
            self.ingest.ingest_records(camera, kept).await?
        };
        for r in &mut report.results {
            r.index = positions[r.index];
        }
        for (index, id) in refused {
            report.rejected += 1;
            report.results.push(sightline_ingest::ReadResult {
                index,
                id,
                status: sightline_ingest::ReadStatus::Rejected,
                seq: None,
                error: Some(sightline_ingest::ReadError {
                    status: 422,
                    code: "not_a_hit",
                    message: "this camera runs in hit-only mode: reads that match no hot list must not leave the camera".into(),
                }),
            });
        }
        report.results.sort_by_key(|r| r.index);
        if report.rejected > 0 {
            let refused = report
                .results
                .iter()
                .filter(|r| r.error.as_ref().is_some_and(|e| e.code == "not_a_hit"))
                .count();
            Metrics::count(&self.metrics.ingest_reads, "not_a_hit", refused as u64);
            if refused > 0 {
                // Counted, never the plates: the camera owner can see its cameras misbehaving.
                let draft = sightline_audit::EntryDraft::new(
                    sightline_audit::Actor {
                        kind: sightline_audit::ActorKind::Camera,
                        id: camera.id.0.to_string(),
                        name: camera.name.clone(),
                        agency: Some(camera.owner.clone()),
                    },
                    sightline_audit::Action::IngestRefused,
                    "refused",
                    vec![camera.owner.clone()],
                    serde_json::json!({ "camera_id": camera.id.0, "reason": "not_a_hit", "count": refused }),
                );
                if let Err(e) = self.append_audit(draft) {
                    tracing::warn!(error = %e, "auditing refused non-hits failed");
                }
            }
        }
        self.spawn_matching(camera, stored);
        Ok(self.count_ingest(report))
    }

    fn count_ingest(
        &self,
        report: sightline_ingest::IngestReport,
    ) -> sightline_ingest::IngestReport {
        Metrics::count(
            &self.metrics.ingest_reads,
            "accepted",
            report.accepted as u64,
        );
        Metrics::count(
            &self.metrics.ingest_reads,
            "duplicate",
            report.duplicates as u64,
        );
        Metrics::count(
            &self.metrics.ingest_reads,
            "rejected",
            report.rejected as u64,
        );
        report
    }
}

/// Makes the data directory 0700 and the databases, WAL files and keys in it 0600: plate data,
/// password hashes and signing keys are for the node's own user only.
fn restrict_permissions(dir: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let sensitive = [".db", ".db-wal", ".db-shm", ".key", ".json"]
                .iter()
                .any(|ext| name.ends_with(ext));
            if sensitive && entry.file_type()?.is_file() {
                std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}

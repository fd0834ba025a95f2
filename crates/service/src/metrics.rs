//! Prometheus metrics (`/metrics`, OpenMetrics text): ingest rate, search latency, audit
//! appends, policy denials.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Label with one `status` or `outcome` value.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    /// The value.
    pub outcome: String,
}

/// The node's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Reads by result (`accepted`, `duplicate`, `rejected`).
    pub ingest_reads: Family<Outcome, Counter>,
    /// Searches by outcome.
    pub searches: Family<Outcome, Counter>,
    /// Search latency in seconds.
    pub search_latency: Histogram,
    /// Audit entries appended.
    pub audit_appends: Counter,
    /// Per-owner policy denials.
    pub policy_denials: Counter,
}

impl Metrics {
    /// Creates and registers the metrics.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sightline");
        let ingest_reads = Family::<Outcome, Counter>::default();
        let searches = Family::<Outcome, Counter>::default();
        let search_latency = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let audit_appends = Counter::default();
        let policy_denials = Counter::default();
        registry.register(
            "ingest_reads",
            "Reads received, by result",
            ingest_reads.clone(),
        );
        registry.register("searches", "Searches, by outcome", searches.clone());
        registry.register(
            "search_latency_seconds",
            "Search latency",
            search_latency.clone(),
        );
        registry.register(
            "audit_appends",
            "Audit entries appended",
            audit_appends.clone(),
        );
        registry.register(
            "policy_denials",
            "Data owners excluded from a search by policy",
            policy_denials.clone(),
        );
        Metrics {
            registry,
            ingest_reads,
            searches,
            search_latency,
            audit_appends,
            policy_denials,
        }
    }

    /// Counts one labelled event.
    pub fn count(family: &Family<Outcome, Counter>, outcome: &str, n: u64) {
        family
            .get_or_create(&Outcome {
                outcome: outcome.to_owned(),
            })
            .inc_by(n);
    }

    /// Renders the OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

//! The rows and records a run writes: `summary.json`/`summary.csv`,
//! `timeseries.csv`, `nodes.csv`, `latency.csv`.

use serde::{Deserialize, Serialize};

use super::impact::FailureImpact;

/// Latency percentiles of one class of requests, in nanoseconds. Every
/// figure is `None` (no data, never 0) when no request of the class
/// completed in the measured window: an empty window, or the hits of a run
/// without a cache.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Requests recorded.
    pub count: u64,
    /// Mean.
    pub mean_ns: Option<f64>,
    /// Median.
    pub p50_ns: Option<u64>,
    /// 90th percentile.
    pub p90_ns: Option<u64>,
    /// 99th percentile.
    pub p99_ns: Option<u64>,
    /// 99.9th percentile.
    pub p999_ns: Option<u64>,
    /// Largest, as the histogram holds it: the upper bound of its bucket
    /// (three significant digits), so at most 0.1% above the true maximum.
    pub max_ns: Option<u64>,
}

/// Totals of one run, after the warm-up.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Run label within the scenario.
    pub run: String,
    /// Seed the run used.
    pub seed: u64,
    /// Simulated seconds counted (duration minus warm-up).
    pub measured_s: f64,
    /// Requests issued after the warm-up that completed by the end.
    pub requests: u64,
    /// Gets issued after the warm-up whose cache outcome (hit or miss) is
    /// known by the end, completed or not: it can exceed the gets among
    /// `requests` when many still wait for the database at the end, so that
    /// an overloaded database does not bias the hit ratio.
    pub gets: u64,
    /// Gets served from a cache.
    pub hits: u64,
    /// Gets not served from a cache (misses, timeouts, failovers to the database).
    pub misses: u64,
    /// hits / (hits + misses); `None` (no data) without a measured get.
    pub hit_ratio: Option<f64>,
    /// Bytes of gets served from a cache / bytes of all gets; `None`
    /// without a measured get.
    pub byte_hit_ratio: Option<f64>,
    /// 1 − hit ratio; `None` without a measured get.
    pub miss_ratio: Option<f64>,
    /// Requests that waited for an unreachable node until the client timeout.
    pub timeouts: u64,
    /// Requests that failed (the database refused them).
    pub errors: u64,
    /// Database queries per simulated second.
    pub db_rps: f64,
    /// Database queries.
    pub db_queries: u64,
    /// Share of connection time the database was busy.
    pub db_utilisation: f64,
    /// Mean number of queries waiting for a connection.
    pub db_queue_mean: f64,
    /// Most queries waiting at once.
    pub db_queue_max: u64,
    /// Queries refused because the queue was full.
    pub db_rejected: u64,
    /// Evictions over all nodes.
    pub evictions: u64,
    /// Largest node load over the mean node load (1 = balanced).
    pub load_imbalance: f64,
    /// Latency of all requests.
    pub latency_all: LatencySummary,
    /// Latency of gets that hit.
    pub latency_hits: LatencySummary,
    /// Latency of gets that missed.
    pub latency_misses: LatencySummary,
    /// Each failure event and what it did.
    pub failures: Vec<FailureImpact>,
    /// Stale reads, stale sets, leases, invalidations, consistency windows.
    pub consistency: super::ConsistencySummary,
    /// Retries, time-outs of database reads, the budget and the breaker,
    /// and the time degraded after a trigger: only for runs with `[retry]`
    /// or `database.timeout` (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<super::RetrySummary>,
    /// The clients' breakers in front of the nodes: only for runs with
    /// `cache.breaker` (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_breakers: Option<super::NodeBreakerSummary>,
    /// What the scans did per scan (keys, nodes, database reads, whole-scan
    /// hits): only for workloads with scans (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scans: Option<super::scans::ScanSummary>,
    /// The application tier: utilisation per server and the latency
    /// breakdown: only for runs with `[app]` (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<super::app::AppSummary>,
    /// Each cache tier's figures, local tiers first, the shared tier last:
    /// only for runs with `[[tiers]]` (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<super::tiers::TierSummary>>,
    /// The same figures per request class: only for runs with
    /// `[[workload.classes]]` (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<super::ClassSummary>>,
    /// Present when the measured window holds no data for some figures:
    /// which ones, and why they are `null` (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_data: Option<String>,
    /// Simulated requests completed per wall-clock second (not reproducible).
    #[serde(skip)]
    pub requests_per_wall_s: f64,
    /// Events processed per wall-clock second (not reproducible).
    #[serde(skip)]
    pub events_per_wall_s: f64,
}

/// One time-series interval; warm-up intervals included.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IntervalRow {
    /// End of the interval, simulated seconds.
    pub time_s: f64,
    /// The offered load: the clients' schedule's mean rate over the
    /// interval, requests per second; only when the rate follows a schedule
    /// (the column is absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered_rps: Option<f64>,
    /// Requests completed in the interval.
    pub requests: u64,
    /// Gets completed.
    pub gets: u64,
    /// Gets that hit.
    pub hits: u64,
    /// hits / gets; no data (an empty field) when no get completed.
    pub hit_ratio: Option<f64>,
    /// Database queries that arrived, per second.
    pub db_rps: f64,
    /// Share of database connection time busy.
    pub db_utilisation: f64,
    /// Mean queries waiting.
    pub db_queue_mean: f64,
    /// Queries refused.
    pub db_rejected: u64,
    /// Client timeouts.
    pub timeouts: u64,
    /// Failed requests.
    pub errors: u64,
    /// Evictions.
    pub evictions: u64,
    /// Median latency of requests completed in the interval; no data when
    /// none completed.
    pub p50_ns: Option<u64>,
    /// 99th percentile; no data when none completed.
    pub p99_ns: Option<u64>,
    /// Hits that returned a stale value.
    pub stale_reads: u64,
    /// Nodes up and reachable at the end of the interval.
    pub nodes_up: u32,
    /// The next columns only for runs with `[retry]` or `database.timeout`
    /// (absent otherwise). Requests answered without failing, per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goodput_rps: Option<f64>,
    /// Attempts of clients' database reads sent, per second: the offered
    /// database load of reads, retries included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_rps: Option<f64>,
    /// Retries sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u64>,
    /// Retries sent per second: the load retries add.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_rps: Option<f64>,
    /// Attempts abandoned at `database.timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db_timeouts: Option<u64>,
    /// Attempts the open breaker failed at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fast_failed: Option<u64>,
}

/// One node's totals after the warm-up.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NodeRow {
    /// Node id (gutter nodes are `gutter-N`).
    pub node: String,
    /// Operations served (gets, fills, deletes).
    pub requests: u64,
    /// Gets served.
    pub gets: u64,
    /// Gets that hit.
    pub hits: u64,
    /// hits / gets; no data when the node served no get (a gutter node
    /// no failure sent work to).
    pub hit_ratio: Option<f64>,
    /// Objects evicted.
    pub evictions: u64,
    /// Bytes held at the end of the run.
    pub bytes_used: u64,
    /// Objects held at the end of the run.
    pub objects: u64,
    /// This node's operations over the mean over nodes.
    pub load_share: f64,
}

/// One latency percentile of one class: `latency.csv`, tidy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyRow {
    /// all, hits or misses.
    pub class: &'static str,
    /// Percentile (0–100).
    pub percentile: f64,
    /// Latency in nanoseconds; `None` (an empty field) when no request
    /// completed in the measured window, 0 for a class empty in a window
    /// with data (see [`LatencySummary`]).
    pub latency_ns: Option<u64>,
}

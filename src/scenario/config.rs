//! The validated, typed configuration of one cluster run: what the cluster
//! model reads, and all it reads. Validation ([`super::Scenario::new`])
//! builds it from the file once; every value here has passed its checks, so
//! the model needs no `Option`s it must unwrap nor strings it must parse.
//! Grouped as the model's components are: the workload, the clients, the
//! cache tier (cache, nodes, routing, replication), the database, the
//! consistency machinery and the fault plan.

use super::KeySource;
use super::scheme::Scheme;
use crate::policy::PolicyChoice;
use crate::sim::Time;
use crate::sim::dist::Dist;
use crate::workload::schedule::Schedule;
use crate::workload::{ScanMix, Workload};

pub use super::app::{AppConfig, Balance, SetOrder};
pub use super::file::{Backoff, FailureAction, Jitter, OnFailure, Pattern, WritePolicy};
pub use super::tiers::{NearInvalidation, NearTier, Placement, Route};

/// Everything one cluster run needs.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// The scenario's name, reported in the summary.
    pub name: String,
    /// This run's label within the scenario (`base`, or the sweep cell).
    pub label: String,
    /// The seed every random stream derives from.
    pub seed: u64,
    /// Simulated time, and the warm-up at its start, in nanoseconds.
    pub duration: Time,
    /// The warm-up (not measured), in nanoseconds.
    pub warmup: Time,
    /// Length of one time-series interval, in nanoseconds.
    pub interval: Time,
    /// Where requests come from.
    pub workload: WorkloadConfig,
    /// How clients issue requests and how long they wait.
    pub clients: ClientsConfig,
    /// How clients use the cache, and what they do when a node fails.
    pub cache: CacheConfig,
    /// The cache nodes.
    pub nodes: NodesConfig,
    /// Which node owns a key.
    pub routing: Scheme,
    /// Copies of keys and the warm-up of nodes that come back empty.
    pub replication: ReplicationConfig,
    /// The database behind the cache.
    pub database: DatabaseConfig,
    /// How writes reach the database and the cache.
    pub consistency: ConsistencyConfig,
    /// What fails, and when.
    pub faults: FaultPlan,
    /// Retries of the clients' database reads, when on.
    pub retry: Option<RetryConfig>,
    /// Application servers between the clients and the cache, when on.
    pub app: Option<AppConfig>,
    /// Tiers in front of the routed nodes (near caches, shared tiers of
    /// their own), in lookup order (empty: none).
    pub tiers: Vec<NearTier>,
}

/// Where requests come from.
#[derive(Clone, Debug)]
pub struct WorkloadConfig {
    /// Keys and sizes: a synthetic workload or a trace.
    pub keys: KeySource,
    /// Shares of get, set, delete, insert and read-modify-write, summing
    /// to 1 with the scans' share; with classes, their share-weighted mix.
    pub op_mix: [f64; 5],
    /// Scans (YCSB E), when the mix has them.
    pub scan: Option<ScanMix>,
    /// Requests arrive at the trace's own timestamps (not the clients').
    pub trace_timed: bool,
    /// Entries expire by their requests' own TTLs: the workload is a trace
    /// that carries them (Twitter, lcs v3 and later) and `trace_ttl` is not
    /// false.
    pub trace_ttls: bool,
}

/// One request class: its share of the requests, its own stationary
/// workload over its own keys, its mix and its entries' lifetime.
#[derive(Clone, Debug)]
pub struct RequestClass {
    /// Its name, unique among the classes.
    pub name: String,
    /// Its share of the clients' requests, above 0 (the shares sum to 1).
    pub share: f64,
    /// Its keys (offset into a key space no other class draws from, unless
    /// it shares another's), sizes and popularity.
    pub workload: Workload,
    /// Shares of get, set and delete, summing to 1.
    pub mix: [f64; 3],
    /// Lifetime of its entries in the main pool (none: until evicted).
    pub ttl: Option<Time>,
}

/// How clients issue requests.
#[derive(Clone, Debug)]
pub enum Load {
    /// Open loop: Poisson arrivals at `rate` requests per second.
    Open {
        /// Requests per second, above zero.
        rate: f64,
    },
    /// Open loop: arrivals of the non-homogeneous Poisson process whose
    /// rate is `schedule` (one that changes: a flat one is `Open`).
    Scheduled {
        /// The rate over time.
        schedule: Schedule,
    },
    /// Closed loop: `users` each wait `think` between a reply and their next
    /// request.
    Closed {
        /// Users, at least one.
        users: u32,
        /// Think time.
        think: Dist,
    },
}

/// The clients.
#[derive(Clone, Debug)]
pub struct ClientsConfig {
    /// How they issue requests.
    pub load: Load,
    /// How long a client waits for an unreachable node, above zero.
    pub timeout: Time,
}

/// How clients use the cache.
#[derive(Clone, Debug)]
pub struct CacheConfig {
    /// Cache-aside, read-through, or no cache.
    pub pattern: Pattern,
    /// Entry lifetime, if entries expire (above zero).
    pub ttl: Option<Time>,
    /// Read-through: concurrent misses of a key share one database read.
    pub coalesce: bool,
    /// What clients do with requests for a node they know has failed.
    pub on_failure: OnFailure,
    /// How long clients take to learn that a node failed or came back.
    pub detection_delay: Time,
    /// Nodes of the gutter pool (0 unless `on_failure` is gutter).
    pub gutter_nodes: u32,
    /// Entry lifetime in the gutter pool.
    pub gutter_ttl: Time,
    /// A breaker per main-pool node, opened by time-outs of gets (none:
    /// clients always ask the node their routing gives).
    pub breaker: Option<BreakerConfig>,
}

/// The cache nodes of the main pool.
#[derive(Clone, Debug)]
pub struct NodesConfig {
    /// Nodes at the start (0 without a cache).
    pub count: u32,
    /// Capacity of each, in bytes (above zero).
    pub capacity: u64,
    /// Their eviction policy (one that needs no future).
    pub policy: PolicyChoice,
    /// Requests one node serves at once.
    pub concurrency: u32,
    /// Service time of one request.
    pub service: Dist,
    /// One-way network latency between a client and a node.
    pub latency: Dist,
}

/// Copies of keys, and the warm-up of nodes that come back empty.
#[derive(Clone, Debug)]
pub struct ReplicationConfig {
    /// Copies of every key.
    pub copies: u32,
    /// The most popular keys that get `hot_copies` copies.
    pub hot_keys: u64,
    /// Copies of a hot key.
    pub hot_copies: u32,
    /// Writes wait for every copy.
    pub sync: bool,
    /// How long a node that comes back empty fills its misses from a warm
    /// copy (0: no warm-up).
    pub warm_up: Time,
    /// Warm-up: how long after a delete a warm copy may not refill the key.
    pub hold_off: Time,
}

/// The database.
#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    /// Queries served at once.
    pub connections: u32,
    /// Most queries waiting (beyond it they fail); none: unbounded.
    pub queue_limit: Option<u64>,
    /// Service time of one query.
    pub service: Dist,
    /// One-way network latency to the database.
    pub latency: Dist,
    /// How long a client waits for its database read (none: until the answer).
    pub timeout: Option<Time>,
    /// Queries in service slow each other down, when on.
    pub contention: Option<Contention>,
}

/// The Universal Scalability Law's coefficients of a database that slows
/// under load.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Contention {
    /// Contention, in [0, 1).
    pub sigma: f64,
    /// Coherency, at least 0.
    pub kappa: f64,
}

/// Retries of the clients' database reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryConfig {
    /// Attempts per read, the first included (at least 1).
    pub max_attempts: u32,
    /// How the wait grows.
    pub backoff: Backoff,
    /// The first wait (above zero).
    pub base: Time,
    /// The longest wait (at least `base`).
    pub cap: Time,
    /// How the wait is randomised.
    pub jitter: Jitter,
    /// The retry budget, when on.
    pub budget: Option<BudgetConfig>,
    /// The database's circuit breaker, when on.
    pub breaker: Option<BreakerConfig>,
}

/// A retry budget: a token bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetConfig {
    /// Tokens each read adds (retries allowed per read), in (0, 1].
    pub ratio: f64,
    /// The bucket's size and start, at least 1.
    pub tokens: f64,
}

/// A circuit breaker.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive failures that open it (at least 1).
    pub failures: u32,
    /// How long it stays open (above zero).
    pub cool_down: Time,
    /// Reads let through at once while half-open (at least 1).
    pub probes: u32,
}

/// How writes reach the database and the cache.
#[derive(Clone, Debug)]
pub struct ConsistencyConfig {
    /// Delete-on-write, update, write-through or write-behind.
    pub write_policy: WritePolicy,
    /// Delay of an invalidation on its way to a node.
    pub invalidation_delay: Dist,
    /// Share of invalidations lost.
    pub invalidation_loss: f64,
    /// Write-behind: delay of a node's database write.
    pub write_behind_delay: Time,
    /// Leases (Nishtala et al. 2013), when on.
    pub leases: Option<LeaseConfig>,
}

/// Leases against stale sets and thundering herds.
#[derive(Clone, Copy, Debug)]
pub struct LeaseConfig {
    /// The least time between tokens of one key.
    pub interval: Time,
    /// How long a reader without a token waits before it asks again.
    pub retry: Time,
    /// Readers without a token take a just-deleted value instead of waiting.
    pub stale: bool,
}

/// What fails, and when.
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    /// Scheduled failures, in time order.
    pub scheduled: Vec<ScheduledFault>,
    /// Random crashes and recoveries of every node, if any.
    pub random: Option<RandomFaults>,
}

/// One scheduled failure or membership change.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScheduledFault {
    /// When, before the end of the run.
    pub at: Time,
    /// What happens.
    pub action: FailureAction,
    /// To which node: an existing one, or for `add` the id the new node gets.
    pub node: u32,
    /// `slow`: the service-time multiplier (1 for every other action).
    pub factor: f64,
    /// The tier above `[nodes]` (its index in [`ClusterConfig::tiers`])
    /// whose node it is; `None` for `[nodes]`.
    pub tier: Option<u8>,
}

/// Every node crashes after an exponential time with mean `mtbf` and
/// recovers after one with mean `mttr` (both above zero).
#[derive(Clone, Copy, Debug)]
pub struct RandomFaults {
    /// Mean time between failures of one node.
    pub mtbf: Time,
    /// Mean time to repair.
    pub mttr: Time,
}

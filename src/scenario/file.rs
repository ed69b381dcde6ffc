//! The scenario file as written: serde structs with defaults, unknown fields
//! rejected. Every field is documented in `docs/scenario.md`.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use crate::fault::FailureAction;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::values::{Bytes, Duration};
use crate::sim::dist::Dist;
use crate::units::SECOND;

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Name used for the results directory (default: the file's stem).
    #[schemars(with = "String")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Seed from which every random stream of the run is derived: any
    /// 64-bit value (above 2^63 − 1, TOML needs it as a string).
    #[schemars(schema_with = "super::schema::seed")]
    #[serde(default = "default_seed", with = "seed_value")]
    pub seed: u64,
    /// Simulated time to run.
    #[serde(default = "default_duration")]
    pub duration: Duration,
    /// Initial simulated time excluded from totals (kept in the time series).
    #[serde(default)]
    pub warmup: Duration,
    /// Length of one time-series interval.
    #[serde(default = "default_interval")]
    pub interval: Duration,
    /// What is requested.
    #[serde(default)]
    pub workload: WorkloadSection,
    /// Who requests it, and how fast.
    #[serde(default)]
    pub clients: ClientsSection,
    /// How clients use the cache.
    #[serde(default)]
    pub cache: CacheSection,
    /// The cache nodes.
    #[serde(default)]
    pub nodes: NodesSection,
    /// How keys map to nodes.
    #[serde(default)]
    pub routing: RoutingSection,
    /// The database behind the cache.
    #[serde(default)]
    pub database: DatabaseSection,
    /// Writes, invalidations and leases.
    #[serde(default)]
    pub consistency: ConsistencySection,
    /// Copies of keys on several nodes.
    #[serde(default)]
    pub replication: ReplicationSection,
    /// Scheduled failures, in time order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureEntry>,
    /// Random crashes and recoveries of every node.
    #[schemars(with = "RandomFailures")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_failures: Option<RandomFailures>,
    /// Axes to sweep: field path → values; the cross product runs.
    #[schemars(schema_with = "super::schema::sweep")]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sweep: BTreeMap<String, Vec<toml::Value>>,
}

fn default_seed() -> u64 {
    42
}

/// A seed as TOML holds it: an integer up to 2^63 − 1, a string (decimal)
/// for the rest of the `u64` range.
mod seed_value {
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(seed: &u64, s: S) -> Result<S::Ok, S::Error> {
        match i64::try_from(*seed) {
            Ok(small) => s.serialize_i64(small),
            Err(_) => s.serialize_str(&seed.to_string()),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Integer(i64),
            Text(String),
        }
        let allowed = "a whole number from 0 to 18446744073709551615";
        match Written::deserialize(d)? {
            Written::Integer(n) => {
                u64::try_from(n).map_err(|_| de::Error::custom(format!("seed = {n}: {allowed}")))
            }
            Written::Text(text) => text
                .trim()
                .parse()
                .map_err(|_| de::Error::custom(format!("seed = \"{text}\": {allowed}"))),
        }
    }
}

/// The value `--seed` writes into a scenario table.
pub fn seed_toml(seed: u64) -> toml::Value {
    match i64::try_from(seed) {
        Ok(small) => toml::Value::Integer(small),
        Err(_) => toml::Value::String(seed.to_string()),
    }
}

fn default_duration() -> Duration {
    Duration(60 * SECOND)
}

fn default_interval() -> Duration {
    Duration(SECOND)
}

/// Key popularity law.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PopularityKind {
    /// Zipf(alpha) over `keys` keys.
    Zipf,
    /// Uniform over `keys` keys.
    Uniform,
    /// A hot fraction of keys takes a share of requests.
    Hotspot,
    /// Keys, sizes and operations from a trace file.
    Trace,
}

/// How a trace is timed.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TraceTiming {
    /// Requests are issued at the trace's own timestamps.
    Own,
    /// Requests are issued by the clients (open or closed loop) in trace order.
    Clients,
}

/// `[workload]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSection {
    /// zipf, uniform, hotspot or trace.
    #[serde(default = "default_popularity")]
    pub popularity: PopularityKind,
    /// Zipf skew (0 = uniform; 0.99 is YCSB's default).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Number of distinct keys.
    #[serde(default = "default_keys")]
    pub keys: u64,
    /// Hotspot: share of keys that are hot.
    #[serde(default = "default_hot")]
    pub hot: f64,
    /// Hotspot: share of requests that go to hot keys.
    #[serde(default = "default_share")]
    pub share: f64,
    /// Object sizes: `4KiB`, `lognormal:median=4KiB,sigma=1`, `pareto:scale=1KiB,shape=1.5`.
    #[schemars(schema_with = "super::schema::object_size")]
    #[serde(default = "default_object_size")]
    pub object_size: String,
    /// Share of gets.
    #[serde(default = "one")]
    pub get: f64,
    /// Share of sets (writes).
    #[serde(default)]
    pub set: f64,
    /// Share of deletes.
    #[serde(default)]
    pub delete: f64,
    /// Trace file (popularity = "trace"); relative paths are from the scenario file.
    #[schemars(with = "PathBuf")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<PathBuf>,
    /// Trace format when the name does not tell (see `cachelab replay --help`).
    #[schemars(with = "String")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_format: Option<String>,
    /// own: the trace's timestamps; clients: the clients' arrival process.
    #[serde(default = "default_timing")]
    pub trace_timing: TraceTiming,
}

fn default_popularity() -> PopularityKind {
    PopularityKind::Zipf
}

fn default_alpha() -> f64 {
    0.99
}

fn default_keys() -> u64 {
    1_000_000
}

fn default_hot() -> f64 {
    0.2
}

fn default_share() -> f64 {
    0.8
}

fn default_object_size() -> String {
    "4KiB".to_string()
}

fn one() -> f64 {
    1.0
}

fn default_timing() -> TraceTiming {
    TraceTiming::Own
}

impl Default for WorkloadSection {
    fn default() -> Self {
        WorkloadSection {
            popularity: default_popularity(),
            alpha: default_alpha(),
            keys: default_keys(),
            hot: default_hot(),
            share: default_share(),
            object_size: default_object_size(),
            get: 1.0,
            set: 0.0,
            delete: 0.0,
            trace: None,
            trace_format: None,
            trace_timing: default_timing(),
        }
    }
}

/// Open or closed loop.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ClientMode {
    /// Poisson arrivals at a total rate, whatever the response times.
    Open,
    /// A fixed number of users, each waiting for its response, then thinking.
    Closed,
}

/// `[clients]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientsSection {
    /// open or closed.
    #[serde(default = "default_mode")]
    pub mode: ClientMode,
    /// Open loop: total requests per second.
    #[serde(default = "default_rate")]
    pub rate: f64,
    /// Closed loop: number of users.
    #[serde(default = "default_users")]
    pub users: u32,
    /// Closed loop: time between a response and the user's next request.
    #[serde(default = "default_think")]
    pub think_time: Dist,
    /// How long a client waits for a cache node before it gives up and
    /// reads the database.
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
}

fn default_mode() -> ClientMode {
    ClientMode::Open
}

fn default_rate() -> f64 {
    10_000.0
}

fn default_users() -> u32 {
    64
}

fn default_think() -> Dist {
    Dist::Exponential { mean: 10_000_000 }
}

fn default_timeout() -> Duration {
    Duration(100_000_000)
}

impl Default for ClientsSection {
    fn default() -> Self {
        ClientsSection {
            mode: default_mode(),
            rate: default_rate(),
            users: default_users(),
            think_time: default_think(),
            timeout: default_timeout(),
        }
    }
}

/// How clients use the cache.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// The client reads the cache; on a miss it reads the database and sets the cache.
    CacheAside,
    /// The node reads the database on a miss and fills itself.
    ReadThrough,
    /// No cache: every request goes to the database.
    None,
}

/// What clients do with requests for a node they know has failed.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// Read the database directly (and do not fill any cache).
    Database,
    /// Route the key over the remaining nodes.
    Rehash,
    /// Use the gutter pool: spare nodes with a short TTL.
    Gutter,
}

/// `[cache]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CacheSection {
    /// cache-aside, read-through or none.
    #[serde(default = "default_pattern")]
    pub pattern: Pattern,
    /// Time to live of cached entries (none: until evicted).
    #[schemars(with = "Duration")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Duration>,
    /// Read-through: one database read per key in flight at a node.
    #[serde(default = "yes")]
    pub coalesce: bool,
    /// database, rehash or gutter.
    #[serde(default = "default_on_failure")]
    pub on_failure: OnFailure,
    /// How long before clients notice a node failed (or came back).
    #[serde(default = "default_detection")]
    pub detection_delay: Duration,
    /// Gutter: number of gutter nodes (same policy, capacity and timing as the nodes).
    #[serde(default = "one_u32")]
    pub gutter_nodes: u32,
    /// Gutter: time to live of gutter entries.
    #[serde(default = "default_gutter_ttl")]
    pub gutter_ttl: Duration,
}

fn default_pattern() -> Pattern {
    Pattern::CacheAside
}

fn yes() -> bool {
    true
}

fn default_on_failure() -> OnFailure {
    OnFailure::Database
}

fn default_detection() -> Duration {
    Duration(3 * SECOND)
}

fn one_u32() -> u32 {
    1
}

fn default_gutter_ttl() -> Duration {
    Duration(10 * SECOND)
}

impl Default for CacheSection {
    fn default() -> Self {
        CacheSection {
            pattern: default_pattern(),
            ttl: None,
            coalesce: true,
            on_failure: default_on_failure(),
            detection_delay: default_detection(),
            gutter_nodes: 1,
            gutter_ttl: default_gutter_ttl(),
        }
    }
}

/// `[nodes]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodesSection {
    /// Number of cache nodes.
    #[serde(default = "default_node_count")]
    pub count: u32,
    /// Eviction policy, `name[:param=value,...]` (see `cachelab policies`).
    #[schemars(schema_with = "super::schema::policy")]
    #[serde(default = "default_policy")]
    pub policy: String,
    /// Memory of each node, in bytes of object size.
    #[serde(default = "default_capacity")]
    pub capacity: Bytes,
    /// Time a node spends on one request.
    #[serde(default = "default_node_service")]
    pub service_time: Dist,
    /// Requests a node serves at once; the rest wait in a FIFO queue.
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// One-way network latency between a client and a node.
    #[serde(default = "default_node_latency")]
    pub latency: Dist,
}

fn default_node_count() -> u32 {
    4
}

fn default_policy() -> String {
    "lru".to_string()
}

fn default_capacity() -> Bytes {
    Bytes(1 << 30)
}

fn default_node_service() -> Dist {
    Dist::Fixed(10_000)
}

fn default_concurrency() -> u32 {
    4
}

fn default_node_latency() -> Dist {
    Dist::Fixed(100_000)
}

impl Default for NodesSection {
    fn default() -> Self {
        NodesSection {
            count: default_node_count(),
            policy: default_policy(),
            capacity: default_capacity(),
            service_time: default_node_service(),
            concurrency: default_concurrency(),
            latency: default_node_latency(),
        }
    }
}

/// `[routing]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoutingSection {
    /// modulo, ring, rendezvous, jump or maglev.
    #[schemars(schema_with = "super::schema::scheme")]
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// Ring: points per node.
    #[serde(default = "default_vnodes")]
    pub vnodes: u32,
    /// Maglev: lookup table size (a prime).
    #[serde(default = "default_maglev")]
    pub maglev_table: u64,
}

fn default_scheme() -> String {
    "ring".to_string()
}

fn default_vnodes() -> u32 {
    160
}

fn default_maglev() -> u64 {
    65_537
}

impl Default for RoutingSection {
    fn default() -> Self {
        RoutingSection {
            scheme: default_scheme(),
            vnodes: default_vnodes(),
            maglev_table: default_maglev(),
        }
    }
}

/// `[database]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// Queries served at once (connections).
    #[serde(default = "default_connections")]
    pub connections: u32,
    /// Time to serve one query.
    #[serde(default = "default_db_service")]
    pub service_time: Dist,
    /// Most queries that may wait; beyond it a query fails (none: unbounded).
    #[schemars(with = "u64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_limit: Option<u64>,
    /// One-way network latency between a client (or node) and the database.
    #[serde(default = "default_db_latency")]
    pub latency: Dist,
}

fn default_connections() -> u32 {
    16
}

fn default_db_service() -> Dist {
    Dist::LogNormal {
        mean: 3_000_000,
        sd: 3_000_000,
    }
}

fn default_db_latency() -> Dist {
    Dist::Fixed(250_000)
}

impl Default for DatabaseSection {
    fn default() -> Self {
        DatabaseSection {
            connections: default_connections(),
            service_time: default_db_service(),
            queue_limit: None,
            latency: default_db_latency(),
        }
    }
}

/// One `[[failures]]` entry.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FailureEntry {
    /// When.
    pub at: Duration,
    /// What.
    pub action: FailureAction,
    /// Which node (not for add).
    #[schemars(with = "u32")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// Slow: service-time multiplier.
    #[schemars(with = "f64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
}

/// `[random_failures]`: every node crashes after an exponential time with
/// mean `mtbf` and recovers after an exponential time with mean `mttr`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RandomFailures {
    /// Mean time between failures of one node.
    pub mtbf: Duration,
    /// Mean time to repair.
    pub mttr: Duration,
}

/// How writes reach the database and the cache.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WritePolicy {
    /// Cache-aside: the client writes the database; the commit sends a delete
    /// to the key's node (Facebook's memcache).
    Invalidate,
    /// Cache-aside: the client writes the database, then sets the new value
    /// in the cache (reordered sets can leave an old value behind).
    Update,
    /// The client writes through the node, which writes the database and
    /// then updates itself before acknowledging.
    WriteThrough,
    /// The node acknowledges at once and flushes to the database after a
    /// delay; a crash before the flush loses the write.
    WriteBehind,
    /// The client writes the database only; cached values expire by TTL.
    TtlOnly,
}

/// `[consistency]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConsistencySection {
    /// invalidate, update, write-through, write-behind or ttl-only.
    #[serde(default = "default_write_policy")]
    pub write_policy: WritePolicy,
    /// Time from a commit to its delete reaching the node (a commit-log tailer).
    #[serde(default = "default_invalidation_delay")]
    pub invalidation_delay: Dist,
    /// Probability that an invalidation is lost.
    #[serde(default)]
    pub invalidation_loss: f64,
    /// Write-behind: time from the node's acknowledgement to its database write.
    #[serde(default = "default_flush_delay")]
    pub write_behind_delay: Duration,
    /// Leases (Facebook's memcache): one refill token per key per interval;
    /// other missing readers wait and retry; a delete voids the token.
    #[serde(default)]
    pub leases: bool,
    /// Leases: the shortest time between two tokens for one key.
    #[serde(default = "default_lease_interval")]
    pub lease_interval: Duration,
    /// Leases: how long a reader without a token waits before asking again.
    #[serde(default = "default_lease_retry")]
    pub lease_retry: Duration,
    /// Leases: a reader without a token takes the value a delete just
    /// removed (marked stale) instead of waiting, when there is one.
    #[serde(default)]
    pub lease_stale: bool,
}

fn default_write_policy() -> WritePolicy {
    WritePolicy::Invalidate
}

fn default_invalidation_delay() -> Dist {
    Dist::Fixed(1_000_000)
}

fn default_flush_delay() -> Duration {
    Duration(SECOND)
}

fn default_lease_interval() -> Duration {
    Duration(10 * SECOND)
}

fn default_lease_retry() -> Duration {
    Duration(10_000_000)
}

impl Default for ConsistencySection {
    fn default() -> Self {
        ConsistencySection {
            write_policy: default_write_policy(),
            invalidation_delay: default_invalidation_delay(),
            invalidation_loss: 0.0,
            write_behind_delay: default_flush_delay(),
            leases: false,
            lease_interval: default_lease_interval(),
            lease_retry: default_lease_retry(),
            lease_stale: false,
        }
    }
}

/// `[replication]`: keys kept on several nodes. Reads go to one live copy,
/// chosen at random; invalidations and updates go to every copy.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReplicationSection {
    /// Copies of every key (1: no replication).
    #[serde(default = "one_u32")]
    pub copies: u32,
    /// The most requested keys that get `hot_copies` copies (0: none).
    #[serde(default)]
    pub hot_keys: u64,
    /// Copies of each hot key.
    #[serde(default = "default_hot_copies")]
    pub hot_copies: u32,
    /// How long a node that comes back empty warms up from its peers: its
    /// misses are read from another copy and added to it (0: no warm-up).
    #[serde(default)]
    pub warm_up: Duration,
    /// Warm-up: after a delete reaches a warming node, adds of that key are
    /// refused for this long (Facebook's two-second hold-off).
    #[serde(default = "default_hold_off")]
    pub hold_off: Duration,
    /// Writes wait for every copy: an `update` writer, or a write-through
    /// node, acknowledges only once all copies have the new value
    /// (mcrouter's AllSyncRoute; false: each copy on its own, AllAsyncRoute).
    #[serde(default)]
    pub sync: bool,
}

fn default_hold_off() -> Duration {
    Duration(2 * SECOND)
}

fn default_hot_copies() -> u32 {
    3
}

impl Default for ReplicationSection {
    fn default() -> Self {
        ReplicationSection {
            copies: 1,
            hot_keys: 0,
            hot_copies: default_hot_copies(),
            warm_up: Duration(0),
            hold_off: default_hold_off(),
            sync: false,
        }
    }
}

//! The scenario file as written: serde structs, unknown fields rejected.
//! Each section states its defaults once, in its `Default` (serde fills a
//! missing field from it); the meaning of every field is in
//! [`super::reference`], from which `docs/scenario.md` and the schema's
//! descriptions are generated.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use super::app::AppSection;
pub use super::tiers::TierEntry;
pub use crate::fault::FailureAction;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rate::{Rate, SpikeEntry};
use super::scheme::{DEFAULT_MAGLEV_TABLE, DEFAULT_VNODES};
use super::values::{Bytes, Duration};
use crate::sim::dist::Dist;
use crate::units::SECOND;

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioFile {
    /// Name used for the results directory (default: the file's stem).
    #[schemars(with = "String")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Seed from which every random stream of the run is derived: any
    /// 64-bit value (above 2^63 − 1, TOML needs it as a string).
    #[schemars(schema_with = "super::schema::seed")]
    #[serde(with = "seed_value")]
    pub seed: u64,
    /// Simulated time to run.
    pub duration: Duration,
    /// Initial simulated time excluded from totals (kept in the time series).
    pub warmup: Duration,
    /// Length of one time-series interval.
    pub interval: Duration,
    /// What is requested.
    pub workload: WorkloadSection,
    /// Who requests it, and how fast.
    pub clients: ClientsSection,
    /// How clients use the cache.
    pub cache: CacheSection,
    /// The cache nodes.
    pub nodes: NodesSection,
    /// How keys map to nodes.
    pub routing: RoutingSection,
    /// The database behind the cache.
    pub database: DatabaseSection,
    /// Writes, invalidations and leases.
    pub consistency: ConsistencySection,
    /// Copies of keys on several nodes.
    pub replication: ReplicationSection,
    /// Retries of the clients' database reads, their budget and breaker.
    #[schemars(with = "RetrySection")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetrySection>,
    /// Application servers between the clients and the cache.
    #[schemars(with = "AppSection")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<AppSection>,
    /// Near caches in front of the routed nodes, looked up in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<TierEntry>,
    /// Scheduled failures, in time order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureEntry>,
    /// Random crashes and recoveries of every node.
    #[schemars(with = "RandomFailures")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_failures: Option<RandomFailures>,
    /// Axes to sweep: field path → values; the cross product runs.
    #[schemars(schema_with = "super::schema::sweep")]
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sweep: BTreeMap<String, Vec<toml::Value>>,
}

impl Default for ScenarioFile {
    fn default() -> Self {
        ScenarioFile {
            name: None,
            seed: 42,
            duration: Duration(60 * SECOND),
            warmup: Duration(0),
            interval: Duration(SECOND),
            workload: WorkloadSection::default(),
            clients: ClientsSection::default(),
            cache: CacheSection::default(),
            nodes: NodesSection::default(),
            routing: RoutingSection::default(),
            database: DatabaseSection::default(),
            consistency: ConsistencySection::default(),
            replication: ReplicationSection::default(),
            retry: None,
            app: None,
            tiers: Vec::new(),
            failures: Vec::new(),
            random_failures: None,
            sweep: BTreeMap::new(),
        }
    }
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
    /// YCSB's latest: Zipf(alpha) over recency, newest first; inserts add keys.
    Latest,
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

/// How many keys a scan reads.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScanLengthKind {
    /// Uniform from 1 to `max_scan_length` (YCSB's `uniform`).
    Uniform,
    /// Always `max_scan_length` (YCSB's `constant`).
    Fixed,
}

impl ScanLengthKind {
    fn is_uniform(&self) -> bool {
        *self == ScanLengthKind::Uniform
    }
}

/// How a scan workload lays its keys out in key-number order.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScanOrderKind {
    /// A keyed permutation of the ranks (YCSB's scrambled zipfian with
    /// hashed keys): a scan's neighbours have unrelated popularity.
    Scrambled,
    /// Key number = rank: a scan from a hot key reads the next-hottest.
    Ranked,
}

impl ScanOrderKind {
    fn is_scrambled(&self) -> bool {
        *self == ScanOrderKind::Scrambled
    }
}

/// A YCSB core workload (`workloads/workloada` … `workloadf`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// A: read 0.5, update 0.5.
    YcsbA,
    /// B: read 0.95, update 0.05.
    YcsbB,
    /// C: read only.
    YcsbC,
    /// D: read 0.95, insert 0.05, latest.
    YcsbD,
    /// E: scan 0.95, insert 0.05 (scans as multi-gets of consecutive keys).
    YcsbE,
    /// F: read 0.5, read-modify-write 0.5.
    YcsbF,
}

/// `[workload.drift]`: the ranking moves every `period`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DriftEntry {
    /// Time between two moves.
    pub period: Duration,
    /// Ranks every key climbs per move (the hottest fall to the bottom).
    #[schemars(with = "u64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<u64>,
    /// Share of ranks that get a new key per move.
    #[schemars(with = "f64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<f64>,
}

/// One `[[workload.flash_crowds]]` entry.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlashCrowdEntry {
    /// When the crowd arrives.
    pub at: Duration,
    /// How long it stays.
    pub length: Duration,
    /// Number of crowd keys (the coldest of the law).
    pub keys: u64,
    /// Share of requests that go to them meanwhile.
    pub share: f64,
}

/// `[workload]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WorkloadSection {
    /// A YCSB core workload whose settings fill the fields not given.
    #[schemars(with = "Preset")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// zipf, uniform, hotspot, latest or trace.
    pub popularity: PopularityKind,
    /// Zipf skew (0 = uniform; 0.99 is YCSB's default).
    pub alpha: f64,
    /// Number of distinct keys.
    pub keys: u64,
    /// Hotspot: share of keys that are hot.
    pub hot: f64,
    /// Hotspot: share of requests that go to hot keys.
    pub share: f64,
    /// Object sizes: `4KiB`, `lognormal:median=4KiB,sigma=1`, `pareto:scale=1KiB,shape=1.5`.
    #[schemars(schema_with = "super::schema::object_size")]
    pub object_size: String,
    /// Share of gets.
    pub get: f64,
    /// Share of sets (writes).
    pub set: f64,
    /// Share of deletes.
    pub delete: f64,
    /// Share of inserts (a write of a new key: the newest under latest, the
    /// one after the last under zipf, uniform or hotspot).
    #[serde(skip_serializing_if = "is_zero")]
    pub insert: f64,
    /// Share of read-modify-writes (a get, then a set of the same key).
    #[serde(skip_serializing_if = "is_zero")]
    pub rmw: f64,
    /// Share of scans (YCSB E): gets of the keys of consecutive numbers
    /// from a drawn one, sent as one multi-get, one part per node.
    #[serde(skip_serializing_if = "is_zero")]
    pub scan: f64,
    /// uniform (1 to `max_scan_length` keys, YCSB's default) or fixed
    /// (always `max_scan_length` keys).
    #[serde(skip_serializing_if = "ScanLengthKind::is_uniform")]
    pub scan_length: ScanLengthKind,
    /// The longest scan, in keys (YCSB's `maxscanlength`; E sets 100).
    #[serde(skip_serializing_if = "is_default_max_scan_length")]
    pub max_scan_length: u64,
    /// scrambled (YCSB's: keys in an order unrelated to popularity) or
    /// ranked (key number = rank); with scans only.
    #[serde(skip_serializing_if = "ScanOrderKind::is_scrambled")]
    pub scan_order: ScanOrderKind,
    /// Latest: each insert deletes the oldest key.
    #[serde(skip_serializing_if = "is_false")]
    pub churn: bool,
    /// The ranking moves over time.
    #[schemars(with = "DriftEntry")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftEntry>,
    /// Flash crowds, in time order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flash_crowds: Vec<FlashCrowdEntry>,
    /// Trace file (popularity = "trace"); relative paths are from the scenario file.
    #[schemars(with = "PathBuf")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<PathBuf>,
    /// Trace format when the name does not tell (see `cachelab replay --help`).
    #[schemars(with = "String")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_format: Option<String>,
    /// own: the trace's timestamps; clients: the clients' arrival process.
    pub trace_timing: TraceTiming,
    /// Honour the TTLs a trace gives (Twitter, lcs v3 and later; unset:
    /// true): each entry expires its request's TTL after its store, a TTL of
    /// 0 falling back to `cache.ttl`. false drops them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_ttl: Option<bool>,
    /// Request classes, each with its own share of the traffic, key space,
    /// popularity, sizes, mix and TTL (none: one class, this section).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<ClassEntry>,
}

/// One `[[workload.classes]]` entry: a field left out takes the value
/// `[workload]` gives (or its default).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClassEntry {
    /// The class's name, unique among the classes.
    pub name: String,
    /// Share of the clients' requests (all the classes' shares sum to 1).
    #[schemars(with = "f64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// The class's own rate, requests per second (instead of shares).
    #[schemars(with = "f64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Another class whose keys this one requests (none: its own keys).
    #[schemars(with = "String")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys_of: Option<String>,
    /// zipf, uniform or hotspot.
    #[schemars(with = "PopularityKind")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub popularity: Option<PopularityKind>,
    /// Zipf skew.
    #[schemars(with = "f64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Number of distinct keys.
    #[schemars(with = "u64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u64>,
    /// Hotspot: share of keys that are hot.
    #[schemars(with = "f64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot: Option<f64>,
    /// Hotspot: share of the class's requests that go to hot keys.
    #[schemars(with = "f64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_share: Option<f64>,
    /// Object sizes.
    #[schemars(schema_with = "super::schema::object_size")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size: Option<String>,
    /// Share of gets.
    #[schemars(with = "f64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get: Option<f64>,
    /// Share of sets.
    #[schemars(with = "f64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<f64>,
    /// Share of deletes.
    #[schemars(with = "f64")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<f64>,
    /// Time to live of the class's entries (none: `cache.ttl`).
    #[schemars(with = "Duration")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Duration>,
}

impl Default for WorkloadSection {
    fn default() -> Self {
        WorkloadSection {
            preset: None,
            popularity: PopularityKind::Zipf,
            alpha: 0.99,
            keys: 1_000_000,
            hot: 0.2,
            share: 0.8,
            object_size: "4KiB".to_string(),
            get: 1.0,
            set: 0.0,
            delete: 0.0,
            insert: 0.0,
            rmw: 0.0,
            scan: 0.0,
            scan_length: ScanLengthKind::Uniform,
            max_scan_length: DEFAULT_MAX_SCAN_LENGTH,
            scan_order: ScanOrderKind::Scrambled,
            churn: false,
            drift: None,
            flash_crowds: Vec::new(),
            trace: None,
            trace_format: None,
            trace_timing: TraceTiming::Own,
            trace_ttl: None,
            classes: Vec::new(),
        }
    }
}

/// YCSB E's `maxscanlength`.
pub const DEFAULT_MAX_SCAN_LENGTH: u64 = 100;

fn is_default_max_scan_length(n: &u64) -> bool {
    *n == DEFAULT_MAX_SCAN_LENGTH
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn is_false(b: &bool) -> bool {
    !*b
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
#[serde(default, deny_unknown_fields)]
pub struct ClientsSection {
    /// open or closed.
    pub mode: ClientMode,
    /// Open loop: total requests per second, a number or a schedule.
    #[schemars(schema_with = "super::rate::rate_schema")]
    pub rate: Rate,
    /// Open loop: spikes that multiply the rate for a while.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spikes: Vec<SpikeEntry>,
    /// Closed loop: number of users.
    pub users: u32,
    /// Closed loop: time between a response and the user's next request.
    pub think_time: Dist,
    /// How long a client waits for a cache node before it gives up and
    /// reads the database.
    pub timeout: Duration,
}

impl Default for ClientsSection {
    fn default() -> Self {
        ClientsSection {
            mode: ClientMode::Open,
            rate: Rate::Constant(10_000.0),
            spikes: Vec::new(),
            users: 64,
            think_time: Dist::Exponential { mean: 10_000_000 },
            timeout: Duration(100_000_000),
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
#[serde(default, deny_unknown_fields)]
pub struct CacheSection {
    /// cache-aside, read-through or none.
    pub pattern: Pattern,
    /// Time to live of cached entries (none: until evicted).
    #[schemars(with = "Duration")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Duration>,
    /// Read-through: one database read per key in flight at a node.
    pub coalesce: bool,
    /// database, rehash or gutter.
    pub on_failure: OnFailure,
    /// How long before clients notice a node failed (or came back).
    pub detection_delay: Duration,
    /// Gutter: number of gutter nodes (same policy, capacity and timing as the nodes).
    pub gutter_nodes: u32,
    /// Gutter: time to live of gutter entries.
    pub gutter_ttl: Duration,
    /// A circuit breaker per node in each client: open, the client reads
    /// the database instead of asking the node.
    pub breaker: bool,
    /// Node breaker: consecutive time-outs of gets that open it.
    pub breaker_failures: u32,
    /// Node breaker: how long it stays open before letting probes through.
    pub breaker_cool_down: Duration,
    /// Node breaker: gets let through at once while half-open.
    pub breaker_probes: u32,
}

impl Default for CacheSection {
    fn default() -> Self {
        CacheSection {
            pattern: Pattern::CacheAside,
            ttl: None,
            coalesce: true,
            on_failure: OnFailure::Database,
            detection_delay: Duration(3 * SECOND),
            gutter_nodes: 1,
            gutter_ttl: Duration(10 * SECOND),
            breaker: false,
            breaker_failures: 5,
            breaker_cool_down: Duration(SECOND),
            breaker_probes: 1,
        }
    }
}

/// `[nodes]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NodesSection {
    /// Number of cache nodes.
    pub count: u32,
    /// Eviction policy, `name[:param=value,...]` (see `cachelab policies`).
    #[schemars(schema_with = "super::schema::policy")]
    pub policy: String,
    /// Memory of each node, in bytes of object size.
    pub capacity: Bytes,
    /// Time a node spends on one request.
    pub service_time: Dist,
    /// Requests a node serves at once; the rest wait in a FIFO queue.
    pub concurrency: u32,
    /// One-way network latency between a client and a node.
    pub latency: Dist,
}

impl Default for NodesSection {
    fn default() -> Self {
        NodesSection {
            count: 4,
            policy: "lru".to_string(),
            capacity: Bytes(1 << 30),
            service_time: Dist::Fixed(10_000),
            concurrency: 4,
            latency: Dist::Fixed(100_000),
        }
    }
}

/// `[routing]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingSection {
    /// modulo, ring, rendezvous, jump or maglev.
    #[schemars(schema_with = "super::schema::scheme")]
    pub scheme: String,
    /// Ring: points per node.
    pub vnodes: u32,
    /// Maglev: lookup table size (a prime).
    pub maglev_table: u64,
}

impl Default for RoutingSection {
    fn default() -> Self {
        RoutingSection {
            scheme: "ring".to_string(),
            vnodes: DEFAULT_VNODES,
            maglev_table: DEFAULT_MAGLEV_TABLE,
        }
    }
}

/// `[database]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSection {
    /// Queries served at once (connections).
    pub connections: u32,
    /// Time to serve one query.
    pub service_time: Dist,
    /// Most queries that may wait; beyond it a query fails (none: unbounded).
    #[schemars(with = "u64")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_limit: Option<u64>,
    /// One-way network latency between a client (or node) and the database.
    pub latency: Dist,
    /// How long a client waits for its database read before it gives up
    /// (none: it waits for the answer).
    #[schemars(with = "Duration")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Queries in service slow each other down (Universal Scalability Law).
    #[schemars(with = "ContentionSection")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contention: Option<ContentionSection>,
}

/// `database.contention`: the Universal Scalability Law's coefficients.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContentionSection {
    /// Contention, from 0 to below 1.
    pub sigma: f64,
    /// Coherency, 0 or above.
    pub kappa: f64,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        DatabaseSection {
            connections: 16,
            service_time: Dist::LogNormal {
                mean: 3_000_000,
                sd: 3_000_000,
            },
            queue_limit: None,
            latency: Dist::Fixed(250_000),
            timeout: None,
            contention: None,
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
    /// The `[[tiers]]` tier whose node fails (default: `[nodes]`'s).
    #[schemars(with = "String")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
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
#[serde(default, deny_unknown_fields)]
pub struct ConsistencySection {
    /// invalidate, update, write-through, write-behind or ttl-only.
    pub write_policy: WritePolicy,
    /// Time from a commit to its delete reaching the node (a commit-log tailer).
    pub invalidation_delay: Dist,
    /// Probability that an invalidation is lost.
    pub invalidation_loss: f64,
    /// Write-behind: time from the node's acknowledgement to its database write.
    pub write_behind_delay: Duration,
    /// Leases (Facebook's memcache): one refill token per key per interval;
    /// other missing readers wait and retry; a delete voids the token.
    pub leases: bool,
    /// Leases: the shortest time between two tokens for one key.
    pub lease_interval: Duration,
    /// Leases: how long a reader without a token waits before asking again.
    pub lease_retry: Duration,
    /// Leases: a reader without a token takes the value a delete just
    /// removed (marked stale) instead of waiting, when there is one.
    pub lease_stale: bool,
}

impl Default for ConsistencySection {
    fn default() -> Self {
        ConsistencySection {
            write_policy: WritePolicy::Invalidate,
            invalidation_delay: Dist::Fixed(1_000_000),
            invalidation_loss: 0.0,
            write_behind_delay: Duration(SECOND),
            leases: false,
            lease_interval: Duration(10 * SECOND),
            lease_retry: Duration(10_000_000),
            lease_stale: false,
        }
    }
}

/// `[replication]`: keys kept on several nodes. Reads go to one live copy,
/// chosen at random; invalidations and updates go to every copy.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicationSection {
    /// Copies of every key (1: no replication).
    pub copies: u32,
    /// The most requested keys that get `hot_copies` copies (0: none).
    pub hot_keys: u64,
    /// Copies of each hot key.
    pub hot_copies: u32,
    /// How long a node that comes back empty warms up from its peers: its
    /// misses are read from another copy and added to it (0: no warm-up).
    pub warm_up: Duration,
    /// Warm-up: after a delete reaches a warming node, adds of that key are
    /// refused for this long (Facebook's two-second hold-off).
    pub hold_off: Duration,
    /// Writes wait for every copy: an `update` writer, or a write-through
    /// node, acknowledges only once all copies have the new value
    /// (mcrouter's AllSyncRoute; false: each copy on its own, AllAsyncRoute).
    pub sync: bool,
}

impl Default for ReplicationSection {
    fn default() -> Self {
        ReplicationSection {
            copies: 1,
            hot_keys: 0,
            hot_copies: 3,
            warm_up: Duration(0),
            hold_off: Duration(2 * SECOND),
            sync: false,
        }
    }
}

/// How the wait before a retry grows.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Backoff {
    /// `base` before every retry.
    Constant,
    /// `base` × 2^(retry − 1), at most `cap`.
    Exponential,
}

/// How a wait before a retry is randomised (Brooker, "Exponential Backoff
/// and Jitter", AWS Architecture Blog, 2015).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Jitter {
    /// The wait as the backoff says.
    None,
    /// Uniform from 0 to the wait.
    Full,
    /// Half the wait, plus uniform from 0 to the other half.
    Equal,
    /// Uniform from `base` to three times the previous wait, at most `cap`.
    Decorrelated,
}

/// `[retry]`: clients retry their database reads that time out
/// (`database.timeout`) or fail (the database refused them).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RetrySection {
    /// Attempts per read, the first included (1: no retry).
    pub max_attempts: u32,
    /// constant or exponential.
    pub backoff: Backoff,
    /// The first wait.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// none, full, equal or decorrelated.
    pub jitter: Jitter,
    /// A retry budget: a token bucket that each read fills by
    /// `budget_ratio` and each retry empties by one.
    pub budget: bool,
    /// Budget: retries allowed per read, in the long run.
    pub budget_ratio: f64,
    /// Budget: the bucket's size (and its content at the start).
    pub budget_tokens: f64,
    /// A circuit breaker on the database.
    pub breaker: bool,
    /// Breaker: consecutive failures that open it.
    pub breaker_failures: u32,
    /// Breaker: how long it stays open before letting probes through.
    pub breaker_cool_down: Duration,
    /// Breaker: reads let through at once while half-open.
    pub breaker_probes: u32,
}

impl Default for RetrySection {
    fn default() -> Self {
        RetrySection {
            max_attempts: 3,
            backoff: Backoff::Exponential,
            base: Duration(10_000_000),
            cap: Duration(SECOND),
            jitter: Jitter::Full,
            budget: false,
            budget_ratio: 0.1,
            budget_tokens: 10.0,
            breaker: false,
            breaker_failures: 5,
            breaker_cool_down: Duration(SECOND),
            breaker_probes: 1,
        }
    }
}

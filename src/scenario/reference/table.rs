//! The entries of the reference: one line of meaning per field, in the order
//! `docs/scenario.md` lists them. Defaults are not here: they come from each
//! section's `Default` (see [`super::default_value`]).

use super::{Field, Section};

/// A field with a default value (the section's `Default` gives it).
const fn field(name: &'static str, meaning: &'static str) -> Field {
    Field {
        name,
        meaning,
        unset: None,
    }
}

/// A field without a default value: `unset` says what leaving it out means.
const fn unset(name: &'static str, unset: &'static str, meaning: &'static str) -> Field {
    Field {
        name,
        meaning,
        unset: Some(unset),
    }
}

/// Every section of a scenario file, the top level first.
pub const SECTIONS: &[Section] = &[
    Section {
        key: "",
        fields: &[
            unset("name", "the file's stem", "name of the results directory"),
            field(
                "seed",
                "seed of every random stream of the run (each stream is derived from it by a label, so adding a node does not change the others' streams); above 2^63 − 1, write it as a string",
            ),
            field("duration", "simulated time to run"),
            field(
                "warmup",
                "initial simulated time excluded from totals (it stays in the time series)",
            ),
            field("interval", "length of one row of `timeseries.csv`"),
        ],
    },
    Section {
        key: "workload",
        fields: &[
            unset(
                "preset",
                "none",
                "a YCSB core workload, `ycsb-a` … `ycsb-f` (below), whose settings fill the `[workload]` fields the file leaves out",
            ),
            field(
                "popularity",
                "key popularity: `zipf`, `uniform`, `hotspot`, `latest` (YCSB's: Zipf(`alpha`) over recency, the newest key the most requested; `insert` creates keys), or `trace` (keys, sizes and operations from a trace file)",
            ),
            field(
                "alpha",
                "Zipf skew, 0 to 10 (0.99 is YCSB's default; Twitter's clusters have a median of 1.3)",
            ),
            field("keys", "number of distinct keys"),
            field("hot", "hotspot: share of keys that are hot, above 0"),
            field("share", "hotspot: share of requests to hot keys"),
            field(
                "object_size",
                "object sizes: a size, `lognormal:median=4KiB,sigma=1` or `pareto:scale=1KiB,shape=1.5`; an object keeps its size",
            ),
            field("get", "share of gets"),
            field(
                "set",
                "share of sets: written to the database, then the key is deleted from the cache",
            ),
            field(
                "delete",
                "share of deletes: deleted in the database, then from the cache",
            ),
            unset(
                "insert",
                "0",
                "share of inserts, each a set of a newly created key (a database write, then the write policy's effect on the cache, as any set): under `latest` the newest, the most requested; under zipf, uniform or hotspot the key number after the last, which gets never draw (their law stays over the first `keys`) and scans reach when they run past the end",
            ),
            unset(
                "rmw",
                "0",
                "share of read-modify-writes: a get, then a set of the same key as the next request issued (two requests, each with its own latency)",
            ),
            unset(
                "scan",
                "0",
                "share of scans (YCSB E): a start key drawn from the popularity law, then the keys of the next key numbers (n, n + 1, …, clipped at the newest key; see `scan_order` for which key has which number), sent as one multi-get: one part per node that owns some of the keys, all at once, each one service time at its node; each miss is read from the database (one query per key) and set. One request for latency (its last part or read); every key one get for the hit ratio and the nodes' counts. No range index, no lease, retry, `[app]`, `[[tiers]]`, read-through, trace, classes, drift or crowds with scans",
            ),
            unset(
                "scan_length",
                "`uniform`",
                "`uniform` (1 to `max_scan_length` keys, YCSB's default) or `fixed` (always `max_scan_length`)",
            ),
            unset(
                "max_scan_length",
                "100",
                "the longest scan, 1 to 100000 keys (YCSB's `maxscanlength`; workload E sets 100)",
            ),
            unset(
                "scan_order",
                "`scrambled`",
                "with scans, which key has which number: `scrambled` (YCSB's scrambled zipfian with `insertorder=hashed`: a keyed permutation of the ranks, so a scan's neighbours have unrelated popularity) or `ranked` (the number is the rank under zipf, uniform and hotspot, the creation index under `latest`: a scan from a hot key reads the next-hottest). Reads, updates and scans use the same numbers; inserted keys follow the first `keys` in creation order. `scrambled` is refused with `churn`",
            ),
            unset(
                "churn",
                "false",
                "`latest`: each insert deletes the oldest key, so `keys` keys exist at once and a deleted key is never requested again",
            ),
            unset(
                "drift",
                "none",
                "zipf, uniform, hotspot: the ranking moves every `period`, `{ period = \"60s\", shift = 1000 }` or `{ period = \"60s\", replace = 0.1 }` (below)",
            ),
            unset(
                "flash_crowds",
                "none",
                "zipf, uniform, hotspot: `[[workload.flash_crowds]]` entries, each sending a share of the requests to a few cold keys for a while (below)",
            ),
            unset(
                "trace",
                "—",
                "trace file for `popularity = \"trace\"` (oracleGeneral, vscsi, libCacheSim lcs, Twitter csv, csv, txt; optionally .zst); relative to the scenario file",
            ),
            unset(
                "trace_format",
                "from the name",
                "format of the trace, as `cachelab replay --format`",
            ),
            field(
                "trace_timing",
                "`own`: requests at the trace's timestamps; `clients`: issued by the clients, in trace order. A trace without timestamps (txt, csv without a time column) is always timed by the clients; `validate` and `run` say so",
            ),
            unset(
                "trace_ttl",
                "true",
                "a trace that carries TTLs (Twitter, lcs v3 and later): each entry expires its request's TTL (simulated time) after its store, and a TTL of 0 (none given) falls back to `cache.ttl`; `false` drops the trace's TTLs",
            ),
            unset(
                "classes",
                "none (one class: this section)",
                "request classes, `[[workload.classes]]` entries (below), each with its share of the requests, its own keys, law, sizes, mix and TTL; the fields of `[workload]` are the defaults of every class",
            ),
        ],
    },
    Section {
        key: "workload.classes",
        fields: &[
            unset(
                "name",
                "required",
                "the class's name in `classes.csv`, `summary.json` and the plots; unique, 1 to 40 bytes",
            ),
            unset(
                "share",
                "— (give `share` or `rate`)",
                "share of the clients' requests, above 0; the shares of all classes must sum to 1. Each request (open or closed loop, any `clients.rate` schedule or spike) picks its class by share",
            ),
            unset(
                "rate",
                "— (give `share` or `rate`)",
                "the class's own rate, requests per second, instead of a share (then every class gives one): `clients.rate` becomes their sum, and each class gets its rate / sum of the requests (an open loop at a constant rate only; for a schedule, give shares)",
            ),
            unset(
                "keys_of",
                "its own keys",
                "the name of an earlier class whose keys this one requests (with its own law over the first `keys` ranks of that class, and that class's sizes); without it, classes never share a key",
            ),
            unset(
                "popularity",
                "`workload.popularity`",
                "`zipf`, `uniform` or `hotspot` (a class is a stationary law)",
            ),
            unset("alpha", "`workload.alpha`", "Zipf skew, 0 to 10"),
            unset(
                "keys",
                "`workload.keys` (with `keys_of`: that class's)",
                "number of distinct keys of the class",
            ),
            unset(
                "hot",
                "`workload.hot`",
                "hotspot: share of keys that are hot",
            ),
            unset(
                "hot_share",
                "`workload.share`",
                "hotspot: share of the class's requests that go to its hot keys",
            ),
            unset(
                "object_size",
                "`workload.object_size`",
                "object sizes, as `workload.object_size`",
            ),
            unset(
                "get",
                "`workload.get`",
                "share of the class's requests that are gets",
            ),
            unset("set", "`workload.set`", "share of sets"),
            unset(
                "delete",
                "`workload.delete`",
                "share of deletes (get + set + delete = 1)",
            ),
            unset(
                "ttl",
                "`cache.ttl`",
                "time to live of the class's entries in the cache nodes (the gutter pool keeps `cache.gutter_ttl`)",
            ),
        ],
    },
    Section {
        key: "workload.drift",
        fields: &[
            unset(
                "period",
                "required",
                "time between two moves of the ranking",
            ),
            unset(
                "shift",
                "—",
                "every move, each key climbs `shift` ranks and the `shift` hottest become the coldest (1 to `keys` − 1); give `shift` or `replace`",
            ),
            unset(
                "replace",
                "—",
                "every move, this share of the ranks (at every depth) gets a key never requested before (above 0, at most 1)",
            ),
        ],
    },
    Section {
        key: "workload.flash_crowds",
        fields: &[
            unset("at", "required", "when the crowd arrives"),
            unset(
                "length",
                "required",
                "how long it stays; crowds are in time order and may not overlap",
            ),
            unset(
                "keys",
                "required",
                "number of crowd keys, the coldest ranks of the law (crowds take disjoint keys, together at most `keys`)",
            ),
            unset(
                "share",
                "required",
                "share of requests that go to the crowd keys meanwhile, uniformly among them",
            ),
        ],
    },
    Section {
        key: "clients",
        fields: &[
            field(
                "mode",
                "`open`: Poisson arrivals at `rate`, whatever the response times; `closed`: `users` users, each waiting for its response and then thinking",
            ),
            field(
                "rate",
                "open loop: total requests per second — a number, or a schedule the arrivals follow as a non-homogeneous Poisson process: points `[[0, 2000], [\"6h\", 9000], ...]` (time a duration or seconds; linear between points, constant after the last; two points at one time make a step), `{ diurnal = { mean, amplitude, period, phase } }` or `{ mmpp = { low, high, mean_burst, mean_gap } }` (see below); with a schedule, `timeseries.csv` gains `offered_rps`",
            ),
            unset(
                "spikes",
                "none",
                "open loop: `[[clients.spikes]]` entries that multiply the rate for a while (see below)",
            ),
            field("users", "closed loop: number of users"),
            field(
                "think_time",
                "closed loop: pause between a response and the next request",
            ),
            field(
                "timeout",
                "how long a client waits for an unreachable node before reading the database instead",
            ),
        ],
    },
    Section {
        key: "clients.spikes",
        fields: &[
            unset("at", "required", "when the spike starts"),
            unset(
                "length",
                "required",
                "its whole length, ramps included; spikes may not overlap",
            ),
            unset(
                "multiplier",
                "required",
                "the factor on the rate at full height, 0 to 10 000 (below 1: a dip)",
            ),
            unset(
                "ramp",
                "0 (a step)",
                "time the rate takes to rise linearly to full height after `at`, and to fall back before `at + length`; at most half of `length`",
            ),
        ],
    },
    Section {
        key: "clients.rate.diurnal",
        fields: &[
            unset("mean", "required", "mean requests per second, above 0"),
            unset(
                "amplitude",
                "required",
                "relative swing, from 0 up to (not including) 1: the rate is mean · (1 + amplitude · sin(2π (t − phase) / period))",
            ),
            unset(
                "period",
                "required",
                "length of one cycle (`\"24h\"` for a day), at most a million cycles per run",
            ),
            unset(
                "phase",
                "0",
                "when the rate crosses its mean upwards; the crest comes a quarter period later",
            ),
        ],
    },
    Section {
        key: "clients.rate.mmpp",
        fields: &[
            unset(
                "low",
                "required",
                "requests per second between bursts (0: none)",
            ),
            unset(
                "high",
                "required",
                "requests per second in a burst, at least `low`",
            ),
            unset(
                "mean_burst",
                "required",
                "mean length of a burst (exponential)",
            ),
            unset(
                "mean_gap",
                "required",
                "mean time between bursts (exponential); the first state is drawn from the chain's stationary law",
            ),
        ],
    },
    Section {
        key: "cache",
        fields: &[
            field(
                "pattern",
                "`cache-aside`: the client reads the cache, on a miss reads the database and sets the cache; `read-through`: the node reads the database on a miss and fills itself; `none`: no cache",
            ),
            unset(
                "ttl",
                "none",
                "lifetime of cached entries; an expired entry is a miss",
            ),
            field(
                "coalesce",
                "read-through: concurrent misses of one key at a node share one database read",
            ),
            field(
                "on_failure",
                "for a node clients know has failed: `database` (read the database directly, no fill), `rehash` (route over the remaining nodes), `gutter` (use the gutter pool)",
            ),
            field(
                "detection_delay",
                "how long before clients notice a node failed or came back; until then requests to it time out",
            ),
            field(
                "gutter_nodes",
                "gutter: number of gutter nodes (same policy, capacity and timing as the nodes)",
            ),
            field(
                "gutter_ttl",
                "gutter: lifetime of gutter entries (Facebook keeps them short: no invalidations reach the gutter)",
            ),
            field(
                "breaker",
                "a circuit breaker per node in the clients (as mcrouter's TKO or a client library's): closed, it opens after `breaker_failures` gets in a row time out on that node; open, the client reads the database instead (no fill) for `breaker_cool_down`; then half-open, it lets `breaker_probes` gets through: an answer closes it, a time-out opens it again. It acts before `detection_delay` has passed; writes, fills and scans do not consult it",
            ),
            field(
                "breaker_failures",
                "node breaker: consecutive time-outs that open it",
            ),
            field("breaker_cool_down", "node breaker: how long it stays open"),
            field(
                "breaker_probes",
                "node breaker: gets let through while half-open",
            ),
        ],
    },
    Section {
        key: "nodes",
        fields: &[
            field("count", "number of cache nodes (ids 0 to count−1)"),
            field(
                "policy",
                "eviction policy, `name[:param=value,...]`, optionally behind an admission filter `+filter[:param=value,...]` (see `cachelab policies`; not `belady`, which needs the future)",
            ),
            field("capacity", "memory of each node, counted in object sizes"),
            field("service_time", "time a node spends on one request"),
            field(
                "concurrency",
                "requests a node serves at once; others wait in a FIFO queue",
            ),
            field(
                "latency",
                "one-way network latency between a client and a node",
            ),
        ],
    },
    Section {
        key: "routing",
        fields: &[
            field(
                "scheme",
                "`modulo`, `ring` (consistent hashing with virtual nodes), `rendezvous` (highest random weight), `jump` (Lamping & Veach), `maglev`",
            ),
            field("vnodes", "ring: points per node (ketama's 160)"),
            field(
                "maglev_table",
                "maglev: lookup table size, a prime at least the number of nodes",
            ),
        ],
    },
    Section {
        key: "database",
        fields: &[
            field("connections", "queries served at once"),
            field("service_time", "time to serve one query"),
            unset(
                "queue_limit",
                "none (unbounded)",
                "most queries that may wait; beyond it a query fails and is counted as rejected",
            ),
            field("latency", "one-way network latency to the database"),
            unset(
                "timeout",
                "none (wait for the answer)",
                "how long a client waits for its database read (after a miss, after a node time-out, or without a cache) before it gives up on the attempt; the database still serves an abandoned query. The attempt fails: with `[retry]` it may be retried, otherwise the request fails. Writes, and a read-through node's own reads, wait for their answer",
            ),
            unset(
                "contention",
                "none (each query takes its service time)",
                "`{ sigma = …, kappa = … }`: a database that slows under load (Gunther's Universal Scalability Law): with n queries in service each progresses at 1 / (1 + σ(n−1) + κn(n−1)) of its speed alone, so throughput X(n) = n / (1 + σ(n−1) + κn(n−1)) service times' worth peaks at n* = √((1−σ)/κ) queries and falls beyond; `connections` still caps n",
            ),
        ],
    },
    Section {
        key: "database.contention",
        fields: &[
            unset(
                "sigma",
                "required",
                "contention σ, from 0 to below 1: the share of a query's work serialised on a shared resource",
            ),
            unset(
                "kappa",
                "required",
                "coherency κ, from 0 to 1: the pairwise crosstalk between queries in service",
            ),
        ],
    },
    Section {
        key: "consistency",
        fields: &[
            field(
                "write_policy",
                "`invalidate`: the client writes the database; the commit sends a delete to the key's node (cache-aside with delete-on-write); `update`: the client then sets the new value in the cache (concurrent writers can leave an older value last); `write-through`: the client writes through its node, which writes the database, then updates itself and answers; `write-behind`: the node answers at once and writes the database `write_behind_delay` later — a crash first loses the write; `ttl-only`: the database only, cached values live out their TTL",
            ),
            field(
                "invalidation_delay",
                "time from a commit to its delete reaching the node (a commit-log tailer such as Facebook's mcsqueal); a distribution",
            ),
            field(
                "invalidation_loss",
                "probability an invalidation is lost on the way; a node that is down or cut off misses those sent meanwhile",
            ),
            field(
                "write_behind_delay",
                "write-behind: time from the node's acknowledgement to its database write",
            ),
            field(
                "leases",
                "leases (Facebook's memcache): a miss gets a refill token unless another reader got one less than `lease_interval` ago, in which case it waits `lease_retry` and asks again; a fill must present a token that no delete has voided since — so a fill racing a write is refused; cache-aside only",
            ),
            field(
                "lease_interval",
                "leases: least time between two tokens for one key",
            ),
            field(
                "lease_retry",
                "leases: how long a reader without a token waits before asking again",
            ),
            field(
                "lease_stale",
                "leases: a reader without a token takes the value a delete just removed (a stale read, counted) instead of waiting, as Facebook's clients that accept stale data do",
            ),
        ],
    },
    Section {
        key: "replication",
        fields: &[
            field(
                "copies",
                "copies of every key (1: none), at most the number of nodes and 8",
            ),
            field(
                "hot_keys",
                "the most requested keys (the first ranks of a synthetic workload, the most frequent keys of a trace) that get `hot_copies` copies, so their reads spread over several nodes (0: none)",
            ),
            field("hot_copies", "copies of each hot key"),
            field(
                "warm_up",
                "for this long after clients see a recovered (empty) node again, its cache-aside misses are read from another live copy and added to it, instead of reading the database (Facebook's cold cluster warm-up; 0: off)",
            ),
            field(
                "hold_off",
                "warm-up: after a delete reaches a warming node, adds of that key are refused for this long, so a value read from a peer before its own delete arrived does not stick",
            ),
            field(
                "sync",
                "writes wait for every copy: an `update` writer, or a write-through node, answers only once all copies acknowledged the new value (mcrouter's AllSyncRoute; an unreachable copy makes the write fail after the client time-out); `false`: each copy is updated on its own (AllAsyncRoute)",
            ),
        ],
    },
    Section {
        key: "retry",
        fields: &[
            unset(
                "max_attempts",
                "`3`",
                "attempts of a client's database read, the first included (1: no retry); an attempt fails when it times out (`database.timeout`) or the database refuses it (`database.queue_limit`); each retry is a query of its own, and the request's latency runs from its first attempt",
            ),
            unset(
                "backoff",
                "`\"exponential\"`",
                "the wait before retry k: `constant` (`base`) or `exponential` (`base` · 2^(k−1), at most `cap`)",
            ),
            unset("base", "`\"10ms\"`", "the first wait"),
            unset("cap", "`\"1s\"`", "the longest wait, at least `base`"),
            unset(
                "jitter",
                "`\"full\"`",
                "how the wait is randomised (Brooker, \"Exponential Backoff and Jitter\", AWS Architecture Blog, 2015): `none`; `full` (uniform from 0 to the wait); `equal` (half the wait plus uniform over the other half); `decorrelated` (uniform from `base` to 3 × the previous wait, at most `cap`, whatever `backoff` says)",
            ),
            unset(
                "budget",
                "`false`",
                "a retry budget, a token bucket in the manner of Finagle's RetryBudget: each read adds `budget_ratio` tokens to a bucket of `budget_tokens` (full at the start), each retry takes one whole token, and a retry without one is not sent — so retries stay below `budget_ratio` × reads + `budget_tokens`",
            ),
            unset(
                "budget_ratio",
                "`0.1`",
                "budget: retries allowed per read in the long run, above 0, at most 1",
            ),
            unset(
                "budget_tokens",
                "`10.0`",
                "budget: the bucket's size and its content at the start, at least 1",
            ),
            unset(
                "breaker",
                "`false`",
                "a circuit breaker in front of the database: closed, it opens after `breaker_failures` failed attempts in a row; open, it fails every read at once (no retry) for `breaker_cool_down`; then half-open, it lets `breaker_probes` attempts through: a success closes it, a failure opens it again",
            ),
            unset(
                "breaker_failures",
                "`5`",
                "breaker: consecutive failed attempts that open it",
            ),
            unset(
                "breaker_cool_down",
                "`\"1s\"`",
                "breaker: how long it stays open",
            ),
            unset(
                "breaker_probes",
                "`1`",
                "breaker: attempts let through while half-open",
            ),
        ],
    },
    Section {
        key: "app",
        fields: &[
            unset(
                "servers",
                "`1`",
                "application servers behind the load balancer; clients send each request to one, which runs cache-aside for it (GET, on a miss the database read, the CPU work, the SET) and answers",
            ),
            unset(
                "processes",
                "`1`",
                "worker processes per server (gunicorn's `workers`)",
            ),
            unset(
                "threads",
                "`1`",
                "threads per process (gunicorn's `threads` with `gthread`): a request holds one from the moment it takes it to its SET's answer; requests wait for one in their server's queue. A process runs one thread's CPU work at a time (CPython's GIL); waiting for the cache or the database runs in parallel",
            ),
            unset(
                "cores",
                "`1`",
                "CPU cores per server: at most this many of its processes run CPU work at once",
            ),
            unset(
                "balance",
                "`\"round_robin\"`",
                "how the load balancer picks a server: `round_robin`, `random`, or `least_outstanding` (the fewest requests in it, ties round robin)",
            ),
            unset(
                "hit_cpu",
                "`\"0s\"`",
                "CPU time of a hit: deserialising the cached value and responding",
            ),
            unset(
                "miss_cpu",
                "`\"0s\"`",
                "CPU time of a miss (rendering), after the database's answer; a render that waits rather than computes is the database's `service_time`",
            ),
            unset(
                "set",
                "`\"before_respond\"`",
                "when a cache-aside miss sets the value: `before_respond` (SET, wait for its answer, respond: Flask-Caching's `cached`) or `after_respond`; either way the thread is busy until the SET is answered, the TTL starts when the SET reaches the node, and concurrent misses of one key are not coalesced",
            ),
            unset(
                "cache_pool",
                "no limit",
                "connections to the cache per process; a GET or SET without a free one waits for it",
            ),
            unset(
                "db_pool",
                "no limit",
                "connections to the database per process; a read without a free one waits for it (the database's own `connections` still apply)",
            ),
        ],
    },
    Section {
        key: "tiers",
        fields: &[
            unset(
                "placement",
                "`\"local\"`",
                "`local`: a near cache in process, one per application server with `[app]`, else one for the clients; `shared` with `nodes`: a tier of shared nodes of its own above `[nodes]` (a CDN's edges, a mid-tier), after the local entries; `shared` without `nodes`: the routed nodes of `[nodes]`, allowed as the last entry with no other field",
            ),
            unset(
                "name",
                "`local-<i>` or `shared-<i>`",
                "the tier's name in `tiers.csv` and summary.json (`<i>`: its position in `[[tiers]]`); distinct, and not `shared` (the last tier's)",
            ),
            unset(
                "nodes",
                "none",
                "shared: nodes of its own, 1 to 4096, making the entry a tier above `[nodes]`; its nodes are caches without queues (a lookup costs `latency`) and do not fail; not with `[app]`",
            ),
            unset(
                "routing",
                "required with `nodes`",
                "how a get finds its node: `region` (the node of the region the request comes from, drawn per request: a CDN sends a user to a nearby edge, not by key; one such tier at most) or `hash` (by key, jump consistent hashing: a shield or mid-tier)",
            ),
            unset(
                "regional",
                "`0`",
                "`routing = \"region\"`: the probability that a request comes from its key's home region (a fixed hash of the key) rather than a uniformly drawn one; 0: every region sees the same popularity, 1: each key is asked for in its home region only",
            ),
            unset(
                "policy",
                "`\"lru\"`",
                "eviction policy of each local cache or node, `name[:param=value,...]` (see `cachelab policies`)",
            ),
            unset(
                "capacity",
                "required",
                "capacity of each local cache or node",
            ),
            unset(
                "ttl",
                "none",
                "lifetime of a local copy from its fill (hits do not extend it); required with `invalidation = \"ttl\"`, refused with `\"none\"`",
            ),
            unset(
                "fill",
                "`true`",
                "whether an answer from a tier further down (or the database) fills this tier on its way back; `false`: the tier only serves what something else put there (nothing, in this model)",
            ),
            unset(
                "latency",
                "`\"0s\"`",
                "time of one lookup, added to every request that looks (a zero latency costs no event): in process for a local cache; for a tier with `nodes`, the round trip to its node and the node's service",
            ),
            unset(
                "invalidation",
                "`\"ttl\"`",
                "how local copies learn of writes: `ttl` (they do not; staleness is bounded by the TTL), `broadcast` (every commit of a write or delete sends each local cache of the tier a message that drops its copy `delay` later, unless lost: Redis client-side caching with tracking or pub/sub), `none` (copies live until evicted)",
            ),
            unset(
                "delay",
                "`\"0s\"`",
                "broadcast: the delay from a commit to the drop of a copy, a distribution",
            ),
            unset(
                "loss",
                "`0`",
                "broadcast: the probability that one local cache's message is lost (its copy then lives until its TTL or eviction)",
            ),
        ],
    },
    Section {
        key: "failures",
        fields: &[
            unset("at", "required", "when"),
            unset(
                "action",
                "required",
                "`crash` (the node stops and loses its contents), `recover` (it comes back empty), `slow` (service time × `factor`), `restore` (normal speed), `partition` (unreachable, contents kept), `heal`, `add` (a new node joins; clients are told at once), `remove` (a node leaves for good; clients are told at once)",
            ),
            unset(
                "node",
                "—",
                "which node (every action but `add`; added nodes get the next ids)",
            ),
            unset("factor", "—", "`slow`: the service-time multiplier"),
            unset(
                "tier",
                "`[nodes]`",
                "the name of a `[[tiers]]` tier with nodes of its own whose node fails, `crash` and `recover` only: a crashed edge's region is served by the next edge that is up (a CDN steering users to a neighbour), a crashed node of a hash-routed tier is passed over (its keys go on to the tier below); it comes back empty",
            ),
        ],
    },
    Section {
        key: "random_failures",
        fields: &[
            unset(
                "mtbf",
                "required",
                "mean time between failures of each node (exponential)",
            ),
            unset(
                "mttr",
                "required",
                "mean time to repair (exponential); the node comes back empty",
            ),
        ],
    },
];

//! From the file as written to a scenario a run can trust: cross-field checks,
//! named policies and routing schemes, the workload source.

use std::path::Path;

use super::classes;
use super::config::{
    BreakerConfig, BudgetConfig, CacheConfig, ClientsConfig, ClusterConfig, ConsistencyConfig,
    Contention, DatabaseConfig, FaultPlan, LeaseConfig, Load, NodesConfig, RandomFaults,
    ReplicationConfig, RetryConfig, ScheduledFault, WorkloadConfig,
};
use super::file::{
    ClientMode, DatabaseSection, FailureAction, FailureEntry, OnFailure, Pattern, PopularityKind,
    RetrySection, ScenarioFile, TraceTiming, WritePolicy,
};
use super::rate::{self, Pace, Rate};
use super::scheme::Scheme;
use super::tiers::{NearTier, Route};
use super::values::Duration;
use super::workload;
use crate::policy::PolicyChoice;
use crate::trace::Trace;
use crate::units::format_duration;
use crate::workload::{Popularity, SizeLaw, Workload};

/// Where a run's keys come from.
#[derive(Clone, Debug)]
pub enum KeySource {
    /// A synthetic workload (its request count is unbounded: the run's
    /// duration ends it).
    Synthetic(Workload),
    /// A trace file.
    Trace(Trace),
    /// Request classes, each a stationary synthetic workload (at least one).
    Classes(Vec<super::config::RequestClass>),
}

/// A validated scenario: one run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The scenario's name.
    pub name: String,
    /// This run's label within the scenario (`base`, or the sweep cell).
    pub label: String,
    /// Every setting as the file gives it, defaults filled in: what the
    /// resolved `scenario.toml` holds (change the seed with
    /// [`Scenario::set_seed`], which keeps `cluster` in step).
    pub file: ScenarioFile,
    /// The same settings, validated and typed: all the cluster model reads.
    pub cluster: ClusterConfig,
    /// This run's sweep values: (field path, value as written).
    pub cell: Vec<(String, String)>,
}

/// Most copies of one key.
pub const MAX_COPIES: u32 = 8;

/// Most cache nodes (main pool or gutter pool).
const MAX_NODES: u32 = 4096;
/// Most time-series intervals in one run.
const MAX_INTERVALS: u64 = 1_000_000;
/// Most closed-loop users (each is a pending event).
const MAX_USERS: u32 = 1_000_000;
/// Most requests a node serves at once.
const MAX_CONCURRENCY: u32 = 65_536;
/// Most virtual nodes per node on a ring.
const MAX_VNODES: u32 = 10_000;
/// Most database connections.
const MAX_CONNECTIONS: u32 = 1_000_000;
/// Most keys with extra copies.
const MAX_HOT_KEYS: u64 = 10_000_000;
/// Most scheduled failures.
const MAX_FAILURES: usize = 100_000;
/// Most random crashes expected in one run.
const MAX_RANDOM_CRASHES: f64 = 1e7;
/// Largest slow-down factor.
const MAX_SLOW_FACTOR: f64 = 1e6;

/// A trace path as written: relative to the scenario's directory; when it
/// is not there, the file of that name in `$CACHELAB_TRACES`, if set.
fn locate_trace(base_dir: &Path, written: &Path) -> std::path::PathBuf {
    let path = base_dir.join(written);
    if path.exists() {
        return path;
    }
    match (std::env::var_os("CACHELAB_TRACES"), written.file_name()) {
        (Some(dir), Some(name)) if Path::new(&dir).join(name).exists() => {
            Path::new(&dir).join(name)
        }
        _ => path,
    }
}

/// The mean time of a closed-loop user's fastest cycle: think, then a round
/// trip to a node and its service (to the database without a cache).
fn fastest_cycle_ns(f: &ScenarioFile) -> f64 {
    let (latency, service) = if f.cache.pattern == Pattern::None {
        (&f.database.latency, &f.database.service_time)
    } else {
        (&f.nodes.latency, &f.nodes.service_time)
    };
    f.clients.think_time.mean() + 2.0 * latency.mean() + service.mean()
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}

fn share(name: &str, value: f64) -> Result<(), String> {
    check((0.0..=1.0).contains(&value), || {
        format!("{name} = {value}: must be a share from 0 to 1")
    })
}

impl Scenario {
    /// Validates `file`; `base_dir` resolves relative trace paths.
    pub fn new(
        name: String,
        label: String,
        mut file: ScenarioFile,
        base_dir: &Path,
    ) -> Result<Scenario, String> {
        check(file.duration.0 > 0, || "duration must be above zero".into())?;
        check(file.interval.0 > 0, || "interval must be above zero".into())?;
        check(file.warmup < file.duration, || {
            "warmup must be shorter than duration".into()
        })?;
        let intervals = file.duration.0.div_ceil(file.interval.0);
        check(intervals <= MAX_INTERVALS, || {
            format!(
                "interval = {}: a run of {} would have {intervals} intervals; at most {MAX_INTERVALS} (make interval at least {})",
                format_duration(file.interval.0),
                format_duration(file.duration.0),
                format_duration(file.duration.0.div_ceil(MAX_INTERVALS))
            )
        })?;

        let mut resolved_trace = None;
        let mut untimed_trace = false;
        let mut trace_ttls = false;
        let w = &file.workload;
        let sizes =
            SizeLaw::parse(&w.object_size).map_err(|e| format!("workload.object_size: {e}"))?;
        let classes = if w.classes.is_empty() {
            None
        } else {
            Some(classes::classes(w, file.cache.ttl)?)
        };
        let mut keys = match w.popularity {
            PopularityKind::Trace => {
                let path = w
                    .trace
                    .as_ref()
                    .ok_or("workload.trace: popularity = \"trace\" needs a trace file")?;
                let path = locate_trace(base_dir, path);
                check(path.exists(), || {
                    format!("workload.trace: {} does not exist", path.display())
                })?;
                let trace = Trace::new(&path, w.trace_format.as_deref())
                    .map_err(|e| format!("workload.trace: {e}"))?;
                // The resolved scenario names the file absolutely, so it runs
                // from wherever it is written.
                resolved_trace = Some(path.canonicalize().unwrap_or(path));
                untimed_trace = !trace.has_times();
                trace_ttls = w.trace_ttl != Some(false)
                    && trace
                        .carries_ttls()
                        .map_err(|e| format!("workload.trace: {e}"))?;
                // Refuses a drift or flash crowds: a trace's keys are its own.
                workload::motion(w, u64::MAX)?;
                KeySource::Trace(trace)
            }
            kind => {
                check(w.keys >= 1, || "workload.keys must be at least 1".into())?;
                check((0.0..=10.0).contains(&w.alpha), || {
                    format!("workload.alpha = {}: must be from 0 to 10", w.alpha)
                })?;
                share("workload.hot", w.hot)?;
                check(kind != PopularityKind::Hotspot || w.hot > 0.0, || {
                    "workload.hot = 0: a hotspot needs hot keys (above 0); for none use popularity = \"uniform\"".into()
                })?;
                share("workload.share", w.share)?;
                let popularity = match kind {
                    PopularityKind::Zipf => Popularity::Zipf {
                        alpha: w.alpha,
                        keys: w.keys,
                    },
                    PopularityKind::Uniform => Popularity::Uniform { keys: w.keys },
                    PopularityKind::Latest => Popularity::Latest {
                        alpha: w.alpha,
                        keys: w.keys,
                        churn: w.churn,
                    },
                    _ => Popularity::Hotspot {
                        keys: w.keys,
                        hot: w.hot,
                        share: w.share,
                    },
                };
                let motion = workload::motion(w, w.keys)?;
                match &classes {
                    Some(classes) => KeySource::Classes(classes.classes.clone()),
                    None => KeySource::Synthetic(Workload {
                        motion,
                        ..Workload::still(popularity, sizes, u64::MAX)
                    }),
                }
            }
        };
        let mut op_mix = workload::mix(w)?;
        let scans = workload::scans(&file)?;
        if let (Some((_, order)), KeySource::Synthetic(workload)) = (scans, &mut keys) {
            workload.scan_order = order;
        }
        let scan = scans.map(|(mix, _)| mix);
        if let KeySource::Classes(list) = &keys {
            op_mix = classes::overall_mix(list);
        }
        if let Some(total) = classes.and_then(|c| c.total_rate) {
            let c = &file.clients;
            check(
                c.mode == ClientMode::Open
                    && matches!(c.rate, Rate::Constant(_))
                    && c.spikes.is_empty(),
                || {
                    "workload.classes[*].rate: class rates set an open loop's constant rate (their sum); with clients.mode = \"closed\", a clients.rate schedule or clients.spikes, give the classes shares instead".into()
                },
            )?;
            file.clients.rate = Rate::Constant(total);
        }
        if resolved_trace.is_some() {
            file.workload.trace = resolved_trace;
        }
        // A trace without timestamps (txt, csv without a time column) would
        // send every request at t = 0 on its own timing: the clients time it,
        // as replay does, and the resolved scenario says so.
        if untimed_trace {
            file.workload.trace_timing = TraceTiming::Clients;
        }

        let c = &file.clients;
        if c.mode == ClientMode::Closed {
            check((1..=MAX_USERS).contains(&c.users), || {
                format!("clients.users = {}: from 1 to {MAX_USERS}", c.users)
            })?;
        }
        let trace_timed =
            file.workload.trace_timing == TraceTiming::Own && matches!(keys, KeySource::Trace(_));
        let pace = rate::pace(
            &c.rate,
            &c.spikes,
            file.duration.0,
            c.mode == ClientMode::Open,
            !trace_timed,
        )?;
        check(c.timeout.0 > 0, || {
            "clients.timeout must be above zero".into()
        })?;

        let n = &file.nodes;
        let uses_cache = file.cache.pattern != Pattern::None;
        if c.mode == ClientMode::Closed {
            check(fastest_cycle_ns(&file) > 0.0, || {
                let what = if uses_cache { "nodes" } else { "database" };
                format!(
                    "clients.think_time, {what}.latency and {what}.service_time are all zero: closed-loop users would issue requests forever without simulated time passing; give one of them a positive mean"
                )
            })?;
        }
        if uses_cache {
            check(n.count >= 1, || {
                "nodes.count must be at least 1 (or cache.pattern = \"none\")".into()
            })?;
        }
        check(n.count <= MAX_NODES, || {
            format!("nodes.count = {}: at most {MAX_NODES}", n.count)
        })?;
        check(n.capacity.0 > 0, || {
            "nodes.capacity must be above zero".into()
        })?;
        check((1..=MAX_CONCURRENCY).contains(&n.concurrency), || {
            format!(
                "nodes.concurrency = {}: from 1 to {MAX_CONCURRENCY}",
                n.concurrency
            )
        })?;
        let policy = PolicyChoice::parse(&n.policy).map_err(|e| format!("nodes.policy: {e}"))?;
        check(!policy.spec.needs_future, || {
            format!(
                "nodes.policy: {} needs the future, which a simulation with timing does not know",
                policy.spec.name
            )
        })?;

        let r = &file.routing;
        let scheme = match Scheme::parse(&r.scheme).map_err(|e| format!("routing.scheme: {e}"))? {
            Scheme::Ring { .. } => {
                check(r.vnodes <= MAX_VNODES, || {
                    format!("routing.vnodes = {}: at most {MAX_VNODES}", r.vnodes)
                })?;
                Scheme::Ring { vnodes: r.vnodes }
            }
            Scheme::Maglev { .. } => Scheme::Maglev {
                table_size: r.maglev_table,
            },
            other => other,
        };
        scheme.validate().map_err(|e| format!("routing: {e}"))?;
        let gutter = uses_cache && file.cache.on_failure == OnFailure::Gutter;
        if let Scheme::Maglev { table_size } = scheme {
            let most = u64::from(n.count)
                + file
                    .failures
                    .iter()
                    .filter(|f| !f.action.takes_node())
                    .count() as u64;
            // The gutter pool is routed with the same scheme.
            let most = if gutter {
                most.max(u64::from(file.cache.gutter_nodes))
            } else {
                most
            };
            check(table_size >= most, || {
                format!(
                    "routing.maglev_table = {table_size}: must be at least the number of nodes ({most}, gutter pool included)"
                )
            })?;
        }

        let d = &file.database;
        check((1..=MAX_CONNECTIONS).contains(&d.connections), || {
            format!(
                "database.connections = {}: from 1 to {MAX_CONNECTIONS}",
                d.connections
            )
        })?;

        check_retry(&file.database, file.retry.as_ref())?;
        if let Some(app) = &file.app {
            app.config(file.cache.pattern)?;
        }
        super::tiers::near_tiers(&file.tiers, file.cache.pattern, file.app.is_some())?;

        if file.cache.on_failure == OnFailure::Gutter {
            check((1..=MAX_NODES).contains(&file.cache.gutter_nodes), || {
                format!(
                    "cache.gutter_nodes = {}: from 1 to {MAX_NODES} with on_failure = \"gutter\"",
                    file.cache.gutter_nodes
                )
            })?;
        }
        if let Some(ttl) = file.cache.ttl {
            check(ttl.0 > 0, || {
                "cache.ttl must be above zero (leave it out for no expiry)".into()
            })?;
        }
        check_breaker(
            "cache",
            file.cache.breaker,
            [file.cache.breaker_failures, file.cache.breaker_probes],
            file.cache.breaker_cool_down,
        )?;

        let k = &file.consistency;
        share("consistency.invalidation_loss", k.invalidation_loss)?;
        let node_writes = matches!(
            k.write_policy,
            WritePolicy::WriteThrough | WritePolicy::WriteBehind
        );
        check(!node_writes || uses_cache, || {
            format!(
                "consistency.write_policy = {:?} needs a cache (cache.pattern is \"none\")",
                k.write_policy
            )
        })?;
        if k.leases {
            check(file.cache.pattern == Pattern::CacheAside, || {
                "consistency.leases work with cache.pattern = \"cache-aside\" (read-through coalesces misses instead)".into()
            })?;
            check(k.lease_interval.0 > 0 && k.lease_retry.0 > 0, || {
                "consistency.lease_interval and lease_retry must be above zero".into()
            })?;
        }

        let rep = &file.replication;
        check((1..=MAX_COPIES).contains(&rep.copies), || {
            format!(
                "replication.copies = {}: from 1 to {MAX_COPIES}",
                rep.copies
            )
        })?;
        check((1..=MAX_COPIES).contains(&rep.hot_copies), || {
            format!(
                "replication.hot_copies = {}: from 1 to {MAX_COPIES}",
                rep.hot_copies
            )
        })?;
        check(rep.hot_keys <= MAX_HOT_KEYS, || {
            format!(
                "replication.hot_keys = {}: at most {MAX_HOT_KEYS}",
                rep.hot_keys
            )
        })?;
        let most = rep
            .copies
            .max(if rep.hot_keys > 0 { rep.hot_copies } else { 1 });
        check(!uses_cache || most <= n.count, || {
            format!(
                "replication: {most} copies of a key need at least {most} nodes (nodes.count is {})",
                n.count
            )
        })?;

        check(uses_cache || file.failures.is_empty(), || {
            "failures: there are no cache nodes to fail (cache.pattern is \"none\")".into()
        })?;
        check(uses_cache || file.random_failures.is_none(), || {
            "random_failures: there are no cache nodes to fail (cache.pattern is \"none\")".into()
        })?;
        check(file.failures.len() <= MAX_FAILURES, || {
            format!(
                "failures: {} entries; at most {MAX_FAILURES}",
                file.failures.len()
            )
        })?;
        file.failures.sort_by_key(|f| f.at);
        let mut next_id = n.count;
        let tiers = super::tiers::near_tiers(&file.tiers, file.cache.pattern, file.app.is_some())?;
        for (i, f) in file.failures.iter().enumerate() {
            let here = format!(
                "failures[{i}] ({:?} at {})",
                f.action,
                format_duration(f.at.0)
            );
            check(f.at < file.duration, || {
                format!("{here}: after the end of the run")
            })?;
            if let Some(name) = &f.tier {
                check_tier_failure(&here, f, name, &tiers)?;
                continue;
            }
            if f.action.takes_node() {
                let node = f
                    .node
                    .ok_or_else(|| format!("{here}: which node? give node = N"))?;
                check(node < next_id, || {
                    format!(
                        "{here}: node {node} does not exist (nodes are 0..{})",
                        next_id - 1
                    )
                })?;
            } else {
                check(f.node.is_none(), || {
                    format!(
                        "{here}: {} takes no node (the new node gets id {next_id})",
                        f.action
                    )
                })?;
                next_id += 1;
            }
            if f.action.takes_factor() {
                let factor = f
                    .factor
                    .ok_or_else(|| format!("{here}: {} needs factor = F", f.action))?;
                check(factor > 0.0 && factor <= MAX_SLOW_FACTOR, || {
                    format!("{here}: factor = {factor}: above zero, at most {MAX_SLOW_FACTOR:e}")
                })?;
            } else {
                check(f.factor.is_none(), || {
                    format!("{here}: factor only goes with slow")
                })?;
            }
        }
        if let Some(random) = &file.random_failures {
            check(random.mtbf.0 > 0 && random.mttr.0 > 0, || {
                "random_failures: mtbf and mttr must be above zero".into()
            })?;
            let cycle = (random.mtbf.0 + random.mttr.0) as f64;
            let crashes = f64::from(n.count) * file.duration.0 as f64 / cycle;
            check(crashes <= MAX_RANDOM_CRASHES, || {
                format!(
                    "random_failures: mtbf = {} and mttr = {} would crash about {crashes:.0} times in a run of {} on {} nodes; at most {MAX_RANDOM_CRASHES:e} (lengthen mtbf)",
                    format_duration(random.mtbf.0),
                    format_duration(random.mttr.0),
                    format_duration(file.duration.0),
                    n.count
                )
            })?;
        }
        let c = &file.clients;
        let load = match (c.mode, pace) {
            (ClientMode::Open, Pace::Constant(rate)) => Load::Open { rate },
            (ClientMode::Open, Pace::Scheduled(schedule)) => Load::Scheduled { schedule },
            (ClientMode::Closed, _) => Load::Closed {
                users: c.users,
                think: c.think_time.clone(),
            },
        };
        let workload = WorkloadConfig {
            keys,
            op_mix,
            scan,
            trace_timed,
            trace_ttls,
        };
        let cluster = typed(&name, &label, &file, policy, scheme, workload, load);
        Ok(Scenario {
            name,
            label,
            file,
            cluster,
            cell: Vec::new(),
        })
    }

    /// Sets the seed of this run (a replication's).
    pub fn set_seed(&mut self, seed: u64) {
        self.file.seed = seed;
        self.cluster.seed = seed;
    }

    /// About how many requests the run simulates: the open-loop rate, or
    /// closed-loop users each waiting a think time plus a round trip, over
    /// the duration. `None` for a trace at its own timestamps (the trace
    /// bounds it).
    pub fn estimated_requests(&self) -> Option<f64> {
        let f = &self.file;
        let seconds = f.duration.0 as f64 / 1e9;
        if self.cluster.workload.trace_timed {
            return None;
        }
        Some(match &self.cluster.clients.load {
            Load::Open { rate } => rate * seconds,
            Load::Scheduled { schedule } => schedule.expected_arrivals(f.duration.0),
            Load::Closed { users, .. } => {
                f64::from(*users) * seconds * 1e9 / fastest_cycle_ns(f).max(1.0)
            }
        })
    }

    /// What [`Scenario::estimated_requests`] is made of, in words.
    pub fn work_basis(&self) -> String {
        let f = &self.file;
        let duration = format_duration(f.duration.0);
        match &self.cluster.clients.load {
            Load::Open { rate } => format!("clients.rate {rate} × duration {duration}"),
            Load::Scheduled { .. } => {
                format!("the clients.rate schedule's integral over duration {duration}")
            }
            Load::Closed { .. } => format!(
                "clients.users {} over duration {duration}, one request per think time and round trip",
                f.clients.users
            ),
        }
    }

    /// The scenario as TOML, every default filled in: what `run.toml` holds.
    pub fn resolved_toml(&self) -> String {
        let file = ScenarioFile {
            name: Some(self.name.clone()),
            ..self.file.clone()
        };
        toml::to_string_pretty(&file).expect("a scenario serialises")
    }
}

/// The typed configuration of a validated `file`.
fn typed(
    name: &str,
    label: &str,
    file: &ScenarioFile,
    policy: PolicyChoice,
    scheme: Scheme,
    workload: WorkloadConfig,
    load: Load,
) -> ClusterConfig {
    let uses_cache = file.cache.pattern != Pattern::None;
    let c = &file.clients;
    let cache = &file.cache;
    let n = &file.nodes;
    let rep = &file.replication;
    let d = &file.database;
    let k = &file.consistency;
    let mut next_id = n.count;
    let near = super::tiers::near_tiers(&file.tiers, file.cache.pattern, file.app.is_some())
        .expect("checked when the scenario was validated");
    let scheduled = file
        .failures
        .iter()
        .map(|f| {
            let tier = f.tier.as_ref().map(|name| {
                near.iter()
                    .position(|t| &t.name == name)
                    .expect("checked when the scenario was validated") as u8
            });
            let node = if tier.is_some() || f.action.takes_node() {
                f.node.unwrap_or_default()
            } else {
                next_id += 1;
                next_id - 1
            };
            ScheduledFault {
                at: f.at.0,
                action: f.action,
                node,
                factor: f.factor.unwrap_or(1.0),
                tier,
            }
        })
        .collect();
    ClusterConfig {
        name: name.to_string(),
        label: label.to_string(),
        seed: file.seed,
        duration: file.duration.0,
        warmup: file.warmup.0,
        interval: file.interval.0,
        workload,
        clients: ClientsConfig {
            load,
            timeout: c.timeout.0,
        },
        cache: CacheConfig {
            pattern: cache.pattern,
            ttl: cache.ttl.map(|t| t.0),
            coalesce: cache.coalesce,
            on_failure: cache.on_failure,
            detection_delay: cache.detection_delay.0,
            gutter_nodes: if uses_cache && cache.on_failure == OnFailure::Gutter {
                cache.gutter_nodes
            } else {
                0
            },
            gutter_ttl: cache.gutter_ttl.0,
            breaker: (uses_cache && cache.breaker).then_some(BreakerConfig {
                failures: cache.breaker_failures,
                cool_down: cache.breaker_cool_down.0,
                probes: cache.breaker_probes,
            }),
        },
        nodes: NodesConfig {
            count: if uses_cache { n.count } else { 0 },
            capacity: n.capacity.0,
            policy,
            concurrency: n.concurrency,
            service: n.service_time.clone(),
            latency: n.latency.clone(),
        },
        routing: scheme,
        replication: ReplicationConfig {
            copies: rep.copies,
            hot_keys: rep.hot_keys,
            hot_copies: rep.hot_copies,
            sync: rep.sync,
            warm_up: rep.warm_up.0,
            hold_off: rep.hold_off.0,
        },
        database: DatabaseConfig {
            connections: d.connections,
            queue_limit: d.queue_limit,
            service: d.service_time.clone(),
            latency: d.latency.clone(),
            timeout: d.timeout.map(|t| t.0),
            contention: d.contention.map(|c| Contention {
                sigma: c.sigma,
                kappa: c.kappa,
            }),
        },
        consistency: ConsistencyConfig {
            write_policy: k.write_policy,
            invalidation_delay: k.invalidation_delay.clone(),
            invalidation_loss: k.invalidation_loss,
            write_behind_delay: k.write_behind_delay.0,
            leases: k.leases.then_some(LeaseConfig {
                interval: k.lease_interval.0,
                retry: k.lease_retry.0,
                stale: k.lease_stale,
            }),
        },
        faults: FaultPlan {
            scheduled,
            random: file.random_failures.as_ref().map(|r| RandomFaults {
                mtbf: r.mtbf.0,
                mttr: r.mttr.0,
            }),
        },
        retry: file.retry.as_ref().map(retry_config),
        app: file.app.as_ref().map(|a| {
            a.config(file.cache.pattern)
                .expect("checked when the scenario was validated")
        }),
        tiers: near,
    }
}

/// A failure of a node of the tier `name` above `[nodes]`: a tier with
/// nodes of its own, one of them, and a crash or a recovery.
fn check_tier_failure(
    here: &str,
    f: &FailureEntry,
    name: &str,
    tiers: &[NearTier],
) -> Result<(), String> {
    let with_nodes: Vec<&NearTier> = tiers
        .iter()
        .filter(|t| !matches!(t.route, Route::Local))
        .collect();
    let names = || {
        if with_nodes.is_empty() {
            "there is none".to_string()
        } else {
            let list: Vec<String> = with_nodes.iter().map(|t| format!("{:?}", t.name)).collect();
            format!("they are {}", list.join(", "))
        }
    };
    let Some(tier) = with_nodes.iter().find(|t| t.name == name) else {
        return Err(format!(
            "{here}: tier = {name:?} is not a [[tiers]] tier with nodes of its own ({}); leave tier out for [nodes]",
            names()
        ));
    };
    check(
        matches!(f.action, FailureAction::Crash | FailureAction::Recover),
        || format!("{here}: a node of tier {name:?} can only crash or recover"),
    )?;
    check(f.factor.is_none(), || {
        format!("{here}: factor only goes with slow")
    })?;
    let count = match tier.route {
        Route::Region { nodes, .. } | Route::Hash { nodes } => nodes,
        Route::Local => 0,
    };
    let node = f
        .node
        .ok_or_else(|| format!("{here}: which node of tier {name:?}? give node = N"))?;
    check(node < count, || {
        format!(
            "{here}: tier {name:?} has no node {node} (its nodes are 0..{})",
            count - 1
        )
    })
}

/// The typed retry policy of a validated `[retry]`.
fn retry_config(r: &RetrySection) -> RetryConfig {
    RetryConfig {
        max_attempts: r.max_attempts,
        backoff: r.backoff,
        base: r.base.0,
        cap: r.cap.0,
        jitter: r.jitter,
        budget: r.budget.then_some(BudgetConfig {
            ratio: r.budget_ratio,
            tokens: r.budget_tokens,
        }),
        breaker: r.breaker.then_some(BreakerConfig {
            failures: r.breaker_failures,
            cool_down: r.breaker_cool_down.0,
            probes: r.breaker_probes,
        }),
    }
}

/// Most attempts of one read.
const MAX_ATTEMPTS: u32 = 100;

/// Largest count a budget or breaker setting takes.
const MAX_COUNT: u32 = 1_000_000;

/// Checks `database.timeout`, `database.contention` and `[retry]`.
fn check_retry(d: &DatabaseSection, retry: Option<&RetrySection>) -> Result<(), String> {
    if let Some(timeout) = d.timeout {
        check(timeout.0 > 0, || {
            "database.timeout must be above zero (leave it out for no time-out)".into()
        })?;
    }
    if let Some(c) = d.contention {
        check((0.0..1.0).contains(&c.sigma), || {
            format!("database.contention.sigma = {}: from 0 to below 1", c.sigma)
        })?;
        check((0.0..=1.0).contains(&c.kappa), || {
            format!("database.contention.kappa = {}: from 0 to 1", c.kappa)
        })?;
    }
    let Some(r) = retry else {
        return Ok(());
    };
    check((1..=MAX_ATTEMPTS).contains(&r.max_attempts), || {
        format!(
            "retry.max_attempts = {}: from 1 (no retry) to {MAX_ATTEMPTS}",
            r.max_attempts
        )
    })?;
    check(r.base.0 > 0, || "retry.base must be above zero".into())?;
    check(r.cap >= r.base, || {
        format!(
            "retry.cap = {}: must be at least retry.base ({})",
            format_duration(r.cap.0),
            format_duration(r.base.0)
        )
    })?;
    if r.budget {
        check(r.budget_ratio > 0.0 && r.budget_ratio <= 1.0, || {
            format!(
                "retry.budget_ratio = {}: above 0, at most 1 (retries per read)",
                r.budget_ratio
            )
        })?;
        check(
            (1.0..=f64::from(MAX_COUNT)).contains(&r.budget_tokens),
            || {
                format!(
                    "retry.budget_tokens = {}: from 1 to {MAX_COUNT}",
                    r.budget_tokens
                )
            },
        )?;
    }
    check_breaker(
        "retry",
        r.breaker,
        [r.breaker_failures, r.breaker_probes],
        r.breaker_cool_down,
    )
}

/// Checks a breaker's settings (`section.breaker_failures`, `_probes`,
/// `_cool_down`) when it is on.
fn check_breaker(
    section: &str,
    on: bool,
    [failures, probes]: [u32; 2],
    cool_down: Duration,
) -> Result<(), String> {
    if !on {
        return Ok(());
    }
    for (name, value) in [("breaker_failures", failures), ("breaker_probes", probes)] {
        check((1..=MAX_COUNT).contains(&value), || {
            format!("{section}.{name} = {value}: from 1 to {MAX_COUNT}")
        })?;
    }
    check(cool_down.0 > 0, || {
        format!("{section}.breaker_cool_down must be above zero")
    })
}

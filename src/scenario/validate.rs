//! From the file as written to a scenario a run can trust: cross-field checks,
//! named policies and routing schemes, the workload source.

use std::path::Path;

use super::file::{
    ClientMode, FailureAction, OnFailure, Pattern, PopularityKind, ScenarioFile, TraceTiming,
    WritePolicy,
};
use crate::cluster::routing::Scheme;
use crate::policy::PolicyChoice;
use crate::trace::Trace;
use crate::workload::{Popularity, SizeLaw, Workload};

/// Where a run's keys come from.
#[derive(Clone, Debug)]
pub enum KeySource {
    /// A synthetic workload (its request count is unbounded: the run's
    /// duration ends it).
    Synthetic(Workload),
    /// A trace file.
    Trace(Trace),
}

/// A validated scenario: one run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The scenario's name.
    pub name: String,
    /// This run's label within the scenario (`base`, or the sweep cell).
    pub label: String,
    /// Every setting, defaults filled in.
    pub file: ScenarioFile,
    /// The nodes' eviction policy.
    pub policy: PolicyChoice,
    /// The routing scheme.
    pub scheme: Scheme,
    /// Where keys come from.
    pub keys: KeySource,
    /// Shares of get, set and delete, summing to 1.
    pub op_mix: [f64; 3],
    /// This run's sweep values: (field path, value as written).
    pub cell: Vec<(String, String)>,
}

/// Most copies of one key.
pub const MAX_COPIES: u32 = 8;

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

        let mut resolved_trace = None;
        let mut untimed_trace = false;
        let w = &file.workload;
        let sizes =
            SizeLaw::parse(&w.object_size).map_err(|e| format!("workload.object_size: {e}"))?;
        let keys = match w.popularity {
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
                    _ => Popularity::Hotspot {
                        keys: w.keys,
                        hot: w.hot,
                        share: w.share,
                    },
                };
                KeySource::Synthetic(Workload {
                    popularity,
                    sizes,
                    requests: u64::MAX,
                })
            }
        };
        for (field, value) in [
            ("workload.get", w.get),
            ("workload.set", w.set),
            ("workload.delete", w.delete),
        ] {
            share(field, value)?;
        }
        let total = w.get + w.set + w.delete;
        check((total - 1.0).abs() < 1e-9, || {
            format!("workload.get + set + delete = {total}: the shares must sum to 1")
        })?;
        let op_mix = [w.get, w.set, w.delete];
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
        match c.mode {
            ClientMode::Open => check(c.rate.is_finite() && c.rate > 0.0, || {
                format!(
                    "clients.rate = {}: must be above zero requests per second",
                    c.rate
                )
            })?,
            ClientMode::Closed => {
                check(c.users >= 1, || "clients.users must be at least 1".into())?
            }
        }
        check(c.timeout.0 > 0, || {
            "clients.timeout must be above zero".into()
        })?;

        let n = &file.nodes;
        let uses_cache = file.cache.pattern != Pattern::None;
        if uses_cache {
            check(n.count >= 1, || {
                "nodes.count must be at least 1 (or cache.pattern = \"none\")".into()
            })?;
        }
        check(n.count <= 4096, || {
            format!("nodes.count = {}: at most 4096", n.count)
        })?;
        check(n.capacity.0 > 0, || {
            "nodes.capacity must be above zero".into()
        })?;
        check(n.concurrency >= 1, || {
            "nodes.concurrency must be at least 1".into()
        })?;
        let policy = PolicyChoice::parse(&n.policy).map_err(|e| format!("nodes.policy: {e}"))?;
        check(policy.spec.name != "belady", || {
            "nodes.policy: belady needs the future, which a simulation with timing does not know"
                .into()
        })?;

        let r = &file.routing;
        let scheme = match Scheme::parse(&r.scheme).map_err(|e| format!("routing.scheme: {e}"))? {
            Scheme::Ring { .. } => Scheme::Ring { vnodes: r.vnodes },
            Scheme::Maglev { .. } => Scheme::Maglev {
                table_size: r.maglev_table,
            },
            other => other,
        };
        scheme.validate().map_err(|e| format!("routing: {e}"))?;
        if let Scheme::Maglev { table_size } = scheme {
            let most = u64::from(n.count)
                + file
                    .failures
                    .iter()
                    .filter(|f| f.action == FailureAction::Add)
                    .count() as u64;
            check(table_size >= most, || {
                format!(
                    "routing.maglev_table = {table_size}: must be at least the number of nodes ({most})"
                )
            })?;
        }

        let d = &file.database;
        check(d.connections >= 1, || {
            "database.connections must be at least 1".into()
        })?;

        if file.cache.on_failure == OnFailure::Gutter {
            check(file.cache.gutter_nodes >= 1, || {
                "cache.gutter_nodes must be at least 1 with on_failure = \"gutter\"".into()
            })?;
        }
        if let Some(ttl) = file.cache.ttl {
            check(ttl.0 > 0, || {
                "cache.ttl must be above zero (leave it out for no expiry)".into()
            })?;
        }

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
        let most = rep
            .copies
            .max(if rep.hot_keys > 0 { rep.hot_copies } else { 1 });
        check(!uses_cache || most <= n.count, || {
            format!(
                "replication: {most} copies of a key need at least {most} nodes (nodes.count is {})",
                n.count
            )
        })?;

        file.failures.sort_by_key(|f| f.at);
        let mut next_id = n.count;
        for (i, f) in file.failures.iter().enumerate() {
            let here = format!(
                "failures[{i}] ({:?} at {})",
                f.action,
                crate::units::format_duration(f.at.0)
            );
            check(f.at < file.duration, || {
                format!("{here}: after the end of the run")
            })?;
            match f.action {
                FailureAction::Add => {
                    check(f.node.is_none(), || {
                        format!("{here}: add takes no node (the new node gets id {next_id})")
                    })?;
                    next_id += 1;
                }
                _ => {
                    let node = f
                        .node
                        .ok_or_else(|| format!("{here}: which node? give node = N"))?;
                    check(node < next_id, || {
                        format!(
                            "{here}: node {node} does not exist (nodes are 0..{})",
                            next_id - 1
                        )
                    })?;
                }
            }
            match f.action {
                FailureAction::Slow => {
                    let factor = f
                        .factor
                        .ok_or_else(|| format!("{here}: slow needs factor = F"))?;
                    check(factor.is_finite() && factor > 0.0, || {
                        format!("{here}: factor must be above zero")
                    })?;
                }
                _ => check(f.factor.is_none(), || {
                    format!("{here}: factor only goes with slow")
                })?,
            }
        }
        if let Some(random) = &file.random_failures {
            check(random.mtbf.0 > 0 && random.mttr.0 > 0, || {
                "random_failures: mtbf and mttr must be above zero".into()
            })?;
        }
        Ok(Scenario {
            name,
            label,
            file,
            policy,
            scheme,
            keys,
            op_mix,
            cell: Vec::new(),
        })
    }

    /// The scenario as TOML, every default filled in: what `run.toml` holds.
    pub fn resolved_toml(&self) -> String {
        toml::to_string_pretty(&self.file).expect("a scenario serialises")
    }
}

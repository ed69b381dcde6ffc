//! The local tiers (`[[tiers]]`): near caches in front of the routed nodes,
//! one per application server with `[app]`, else one for the clients. A get
//! looks in them in order, in process; a hit answers at once (after the
//! tiers' lookup latencies, zero by default and then with no event), a miss
//! goes on to the shared tier. The answer fills the local tiers it passed
//! on its way back. A commit broadcasts drops to the tiers that take them,
//! delayed and each lost with its probability.

use rand::RngExt;

use super::*;
use crate::metrics::tiers::{TierCounts, TierSummary};
use crate::scenario::config::{NearInvalidation, NearTier};

/// The local tiers' events.
#[derive(Clone, Copy, Debug)]
pub(super) enum NearEvent {
    /// A get's lookups in the local tiers are over, all missed: it goes on
    /// to the shared tier.
    Passed(JobId),
    /// A broadcast drop of `key` reaches cache `cache` of tier `tier`.
    Drop { tier: u8, cache: u32, key: u64 },
}

impl NearEvent {
    /// The job this event belongs to, if any.
    pub(super) fn job(self) -> Option<JobId> {
        match self {
            NearEvent::Passed(id) => Some(id),
            NearEvent::Drop { .. } => None,
        }
    }
}

/// One local tier: its caches and what it counted.
struct Layer {
    config: NearTier,
    caches: Vec<Node>,
    delay: Sampler,
    counts: TierCounts,
}

/// The local tiers' state.
pub(super) struct Near {
    layers: Vec<Layer>,
    /// Draws the broadcasts' losses and delays.
    rng: Rng,
    /// Some tier takes broadcast drops.
    broadcast: bool,
}

impl Near {
    /// The local tiers of `config`, if it has any, their caches' streams
    /// derived from `seed`.
    pub fn new(config: &ClusterConfig, seed: Seed) -> Option<Box<Near>> {
        if config.tiers.is_empty() {
            return None;
        }
        let caches = config.app.as_ref().map_or(1, |a| a.servers);
        let versions = config.workload.op_mix[0] < 1.0
            || matches!(config.workload.keys, crate::scenario::KeySource::Trace(_));
        let layers = config
            .tiers
            .iter()
            .enumerate()
            .map(|(t, tier)| {
                let node = NodeConfig {
                    policy: &tier.policy,
                    capacity: tier.capacity,
                    ttls: Box::new([tier.ttl]),
                    versions,
                    keep_removed: false,
                    concurrency: 1,
                    service: Sampler::Fixed(0),
                    latency: Sampler::Fixed(tier.latency),
                };
                let tier_seed = seed.derive("tiers").derive(&t.to_string());
                Layer {
                    caches: (0..caches)
                        .map(|c| Node::new(&node, tier_seed.derive(&c.to_string())))
                        .collect(),
                    delay: tier.delay.sampler(),
                    config: tier.clone(),
                    counts: TierCounts::default(),
                }
            })
            .collect();
        Some(Box::new(Near {
            layers,
            rng: seed.derive("tiers.broadcast").rng(),
            broadcast: config
                .tiers
                .iter()
                .any(|t| t.invalidation == NearInvalidation::Broadcast),
        }))
    }

    /// What is broken in the tiers' bounds and counts, if anything.
    pub fn check(&self) -> Option<String> {
        for (t, layer) in self.layers.iter().enumerate() {
            let c = &layer.counts;
            if c.hits > c.lookups || c.stale_reads > c.hits || c.hit_bytes > c.lookup_bytes {
                return Some(format!("tier local-{t}: counts {c:?} do not nest"));
            }
            for (i, cache) in layer.caches.iter().enumerate() {
                if cache.policy.used() > cache.policy.capacity() {
                    return Some(format!(
                        "tier local-{t} cache {i} holds {} bytes in a capacity of {}",
                        cache.policy.used(),
                        cache.policy.capacity()
                    ));
                }
            }
        }
        None
    }

    /// The local tiers' rows of the summary, over `measured_s` seconds.
    fn rows(&self, measured_s: f64) -> impl Iterator<Item = TierSummary> + '_ {
        self.layers.iter().enumerate().map(move |(t, layer)| {
            TierSummary::new(
                format!("local-{t}"),
                "local",
                &layer.config.policy.label,
                layer.caches.len() as u32,
                layer.counts,
                measured_s,
            )
        })
    }
}

impl Sim<'_> {
    /// A local tiers' event.
    pub(super) fn on_near(&mut self, now: Time, event: NearEvent) {
        match event {
            NearEvent::Passed(id) => self.near_passed(now, id.slot),
            NearEvent::Drop { tier, cache, key } => {
                if let Some(near) = self.near.as_deref_mut() {
                    near.layers[tier as usize].caches[cache as usize].invalidate(key, now, false);
                }
            }
        }
    }

    /// A get in `job` looks in the local tiers of cache `cache`. Returns
    /// true when they took it over: a hit (answered now, or after the
    /// lookups' latency), or a miss that goes on after that latency; false
    /// when it goes on to the shared tier now (a miss without latency, or no
    /// local tiers).
    pub(super) fn near_get(&mut self, now: Time, job: u32, cache: u32) -> bool {
        let Some(near) = self.near.as_deref_mut() else {
            return false;
        };
        let j = self.jobs[job as usize];
        let counted = j.issued >= self.warmup_end;
        let size = u64::from(j.size);
        let (mut latency, mut passed, mut found) = (0, 0u8, None);
        for layer in &mut near.layers {
            latency += layer.config.latency;
            let version = layer.caches[cache as usize].lookup(j.key, j.size, now, false);
            if counted {
                layer.counts.lookups += 1;
                layer.counts.lookup_bytes += size;
            }
            if let Some(version) = version {
                if counted {
                    layer.counts.hits += 1;
                    layer.counts.hit_bytes += size;
                }
                found = Some(version);
                break;
            }
            passed += 1;
        }
        let stale_since = found.and_then(|v| self.consistency.versions.stale_since(j.key, v));
        if let (Some(since), Some(version)) = (stale_since, found) {
            if counted && let Some(near) = self.near.as_deref_mut() {
                near.layers[passed as usize].counts.stale_reads += 1;
            }
            let lag = self.consistency.versions.committed(j.key) - version;
            self.recorder
                .stale_read(j.class, j.issued, now - since, lag);
        }
        let w = &mut self.jobs[job as usize];
        w.near_missed = passed;
        w.near_cache = cache;
        let id = self.id(job);
        match found {
            Some(version) => {
                self.jobs[job as usize].version = version;
                self.recorder.outcome(j.class, j.issued, true, j.size);
                if latency == 0 {
                    self.complete(now, job, Class::Hit);
                    self.release(job);
                } else {
                    let hit = Read {
                        hit: true,
                        ..Read::FIRST
                    };
                    self.jobs[job as usize].phase = Phase::Node(AtNode::Lookup(hit));
                    self.queue
                        .schedule(now + latency, Event::Client(ClientEvent::Reply(id)));
                }
                true
            }
            None if latency == 0 => false,
            None => {
                self.queue
                    .schedule(now + latency, Event::Near(NearEvent::Passed(id)));
                true
            }
        }
    }

    /// A get missed every local tier and their latency is over: on to the
    /// shared tier (through a cache connection with `[app]`).
    fn near_passed(&mut self, now: Time, job: u32) {
        if self.app_owns(job) {
            self.app_near_missed(now, job);
        } else {
            self.shared_get(now, job);
        }
    }

    /// The answer to a get (`j`, with the version it carries) reaches its
    /// local cache: it fills the local tiers it missed that fill.
    pub(super) fn near_fill(&mut self, now: Time, j: &Job) {
        let counting = now >= self.warmup_end;
        let Some(near) = self.near.as_deref_mut() else {
            return;
        };
        for layer in near.layers.iter_mut().take(j.near_missed as usize) {
            if layer.config.fill {
                let cache = &mut layer.caches[j.near_cache as usize];
                let evicted = cache.store(j.key, j.size, j.version, now, false, 0);
                if counting {
                    layer.counts.evictions += evicted as u64;
                }
            }
        }
    }

    /// A commit of `key` at `now`: every cache of each broadcast tier is
    /// told to drop it, after the tier's delay, unless its message is lost.
    pub(super) fn near_broadcast(&mut self, now: Time, key: u64) {
        let Some(near) = self.near.as_deref_mut() else {
            return;
        };
        if !near.broadcast {
            return;
        }
        let mut later = Vec::new();
        for (t, layer) in near.layers.iter_mut().enumerate() {
            if layer.config.invalidation != NearInvalidation::Broadcast {
                continue;
            }
            for (c, cache) in layer.caches.iter_mut().enumerate() {
                let loss = layer.config.loss;
                if loss > 0.0 && near.rng.random::<f64>() < loss {
                    continue;
                }
                match layer.delay.sample(&mut near.rng) {
                    0 => cache.invalidate(key, now, false),
                    delay => later.push((now + delay, t as u8, c as u32)),
                }
            }
        }
        for (at, tier, cache) in later {
            self.queue
                .schedule(at, Event::Near(NearEvent::Drop { tier, cache, key }));
        }
    }

    /// The `tiers` section of the summary (local tiers, then the shared
    /// one), when there are local tiers; `summary` holds the run's totals.
    pub fn tier_summaries(&self, summary: &crate::metrics::Summary) -> Option<Vec<TierSummary>> {
        let near = self.near.as_deref()?;
        let measured_s = (self.end - self.warmup_end) as f64 / 1e9;
        let (gets, get_bytes, hits, hit_bytes) = self.recorder.get_totals();
        let total = TierCounts {
            lookups: gets,
            hits,
            lookup_bytes: get_bytes,
            hit_bytes,
            stale_reads: summary.consistency.stale_reads,
            evictions: summary.evictions,
        };
        let above: Vec<TierCounts> = near.layers.iter().map(|l| l.counts).collect();
        let shared = TierSummary::new(
            "shared".into(),
            "shared",
            &self.config.nodes.policy.label,
            self.config.nodes.count,
            TierCounts::passed_on(total, &above),
            measured_s,
        );
        Some(near.rows(measured_s).chain([shared]).collect())
    }
}

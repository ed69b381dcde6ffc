//! The tiers above the routed nodes (`[[tiers]]`): near caches, one per
//! application server with `[app]`, else one for the clients, then shared
//! tiers with nodes of their own (a CDN's edges, routed by the request's
//! region; a mid-tier, routed by key). A get looks in them in order; a hit
//! answers at once (after the tiers' lookup latencies, zero by default and
//! then with no event), a miss goes on to the next tier and past the last
//! to `[nodes]`. The answer fills the tiers it passed, those that fill, on
//! its way back. A commit broadcasts drops to the tiers that take them,
//! delayed and each lost with its probability.
//!
//! The nodes of a shared tier of its own are caches without queues: a
//! lookup costs the tier's `latency` (the round trip and the service) and
//! nothing waits, as for an edge sized for its region; their load is
//! counted, their queueing is not modelled. A request's region is drawn
//! once, at the region-routed tier (see `scenario::tiers` for the skew).
//!
//! Such a node may crash and recover (`[[failures]]` with `tier`): it comes
//! back empty. While an edge is down its region's users go to the next
//! edge that is up (a CDN steering users to a neighbour); while a node of a
//! hash-routed tier is down its keys go past the tier (the clients know
//! its membership), with no lookup, no latency and no fill there.

use rand::RngExt;

use super::*;
use crate::cluster::routing::{self, Router, Scheme};
use crate::metrics::Happening;
use crate::metrics::tiers::{TierCounts, TierNodeRow, TierSummary};
use crate::scenario::config::{FailureAction, NearInvalidation, NearTier, Route};

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

/// How a get finds its cache in a tier.
enum Pick {
    /// The cache of its process (the application server's, or the
    /// clients').
    Own,
    /// The node of its region (see [`Regions`]).
    Region,
    /// By key.
    Hash(Box<dyn Router>),
}

/// One tier: its caches, how a get picks one, and what it counted.
struct Layer {
    config: NearTier,
    pick: Pick,
    caches: Vec<Node>,
    delay: Sampler,
    counts: TierCounts,
    /// The same counts by cache.
    per_cache: Vec<TierCounts>,
    /// The counts of the open interval of the time series, warm-up
    /// included.
    interval: TierCounts,
}

/// The regions of a region-routed tier: a request comes from its key's
/// home region with probability `regional`, else from one drawn uniformly.
struct Regions {
    count: u32,
    regional: f64,
    /// Salts the keys' hash to home regions (independent of the routing of
    /// the tiers below, which hashes keys too).
    salt: u64,
    rng: Rng,
}

impl Regions {
    /// The region a request for `key` comes from.
    fn draw(&mut self, key: u64) -> u32 {
        if self.regional > 0.0 && self.rng.random::<f64>() < self.regional {
            let hash = crate::seed::mix64(key ^ self.salt);
            ((u128::from(hash) * u128::from(self.count)) >> 64) as u32
        } else {
            self.rng.random_range(0..self.count)
        }
    }
}

/// The tiers' state.
pub(super) struct Near {
    layers: Vec<Layer>,
    /// Draws the broadcasts' losses and delays.
    rng: Rng,
    /// Some tier takes broadcast drops.
    broadcast: bool,
    /// The regions, with a region-routed tier.
    regions: Option<Regions>,
}

impl Near {
    /// The local tiers of `config`, if it has any, their caches' streams
    /// derived from `seed`.
    pub fn new(config: &ClusterConfig, seed: Seed) -> Option<Box<Near>> {
        if config.tiers.is_empty() {
            return None;
        }
        let own = config.app.as_ref().map_or(1, |a| a.servers);
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
                let (caches, pick) = match tier.route {
                    Route::Local => (own, Pick::Own),
                    Route::Region { nodes, .. } => (nodes, Pick::Region),
                    // A tier of its own has a fixed membership: jump hashing
                    // is balanced and needs no parameter.
                    Route::Hash { nodes } => (
                        nodes,
                        Pick::Hash(routing::build(
                            &Scheme::Jump,
                            &(0..nodes).collect::<Vec<_>>(),
                        )),
                    ),
                };
                Layer {
                    pick,
                    caches: (0..caches)
                        .map(|c| Node::new(&node, tier_seed.derive(&c.to_string())))
                        .collect(),
                    delay: tier.delay.sampler(),
                    config: tier.clone(),
                    counts: TierCounts::default(),
                    per_cache: vec![TierCounts::default(); caches as usize],
                    interval: TierCounts::default(),
                }
            })
            .collect();
        let regions = config.tiers.iter().find_map(|t| match t.route {
            Route::Region { nodes, regional } => Some(Regions {
                count: nodes,
                regional,
                salt: seed.derive("tiers.home").0,
                rng: seed.derive("tiers.region").rng(),
            }),
            Route::Local | Route::Hash { .. } => None,
        });
        Some(Box::new(Near {
            regions,
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
            let name = &layer.config.name;
            if c.hits > c.lookups || c.stale_reads > c.hits || c.hit_bytes > c.lookup_bytes {
                return Some(format!("tier {name} ({t}): counts {c:?} do not nest"));
            }
            for (i, cache) in layer.caches.iter().enumerate() {
                if cache.policy.used() > cache.policy.capacity() {
                    return Some(format!(
                        "tier {name} ({t}) cache {i} holds {} bytes in a capacity of {}",
                        cache.policy.used(),
                        cache.policy.capacity()
                    ));
                }
            }
        }
        None
    }

    /// The tiers' rows of the summary, over `measured_s` seconds, their
    /// time a share of the gets' latency `latency_ns`.
    fn rows(&self, measured_s: f64, latency_ns: u64) -> impl Iterator<Item = TierSummary> + '_ {
        self.layers.iter().map(move |layer| {
            let placement = match layer.pick {
                Pick::Own => "local",
                Pick::Region | Pick::Hash(_) => "shared",
            };
            TierSummary::new(
                layer.config.name.clone(),
                placement,
                &layer.config.policy.label,
                layer.caches.len() as u32,
                layer.counts,
                measured_s,
                latency_ns,
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
        let (mut latency, mut passed, mut found, mut region) = (0, 0u8, None, 0);
        let mut skipped = 0u8;
        let mut found_in = 0;
        for (t, layer) in near.layers.iter_mut().enumerate() {
            let index = match &layer.pick {
                Pick::Own => Some(cache),
                Pick::Region => {
                    let regions = near.regions.as_mut().expect("a region-routed tier");
                    let drawn = regions.draw(j.key);
                    let edge = first_up(&layer.caches, drawn);
                    region = edge.unwrap_or(drawn);
                    edge
                }
                Pick::Hash(router) => {
                    Some(router.route(j.key)).filter(|&i| layer.caches[i as usize].up)
                }
            };
            let Some(index) = index else {
                // Its node is down: the get goes past this tier, as the
                // clients know (no lookup, no latency, no fill).
                skipped |= 1 << t;
                passed += 1;
                continue;
            };
            latency += layer.config.latency;
            let version = layer.caches[index as usize].lookup(j.key, j.size, now, false);
            let own = &mut layer.per_cache[index as usize];
            let counts = [&mut layer.interval, &mut layer.counts, &mut *own];
            for c in counts.into_iter().take(if counted { 3 } else { 1 }) {
                c.lookups += 1;
                c.lookup_bytes += size;
                c.time_ns += layer.config.latency;
                if version.is_some() {
                    c.hits += 1;
                    c.hit_bytes += size;
                }
            }
            if let Some(version) = version {
                found = Some(version);
                found_in = index;
                break;
            }
            passed += 1;
        }
        let stale_since = found.and_then(|v| self.consistency.versions.stale_since(j.key, v));
        if let (Some(since), Some(version)) = (stale_since, found) {
            if let Some(near) = self.near.as_deref_mut() {
                let layer = &mut near.layers[passed as usize];
                layer.interval.stale_reads += 1;
                if counted {
                    layer.counts.stale_reads += 1;
                    layer.per_cache[found_in as usize].stale_reads += 1;
                }
            }
            let lag = self.consistency.versions.committed(j.key) - version;
            self.recorder
                .stale_read(j.class, j.issued, now - since, lag);
        }
        let w = &mut self.jobs[job as usize];
        w.near_missed = passed;
        w.near_skipped = skipped;
        w.near_cache = cache;
        w.region = region as u16;
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
    /// client: it fills the tiers it missed that fill.
    pub(super) fn near_fill(&mut self, now: Time, j: &Job) {
        let counting = now >= self.warmup_end;
        let Some(near) = self.near.as_deref_mut() else {
            return;
        };
        for (t, layer) in near
            .layers
            .iter_mut()
            .enumerate()
            .take(j.near_missed as usize)
        {
            if layer.config.fill && j.near_skipped & (1 << t) == 0 {
                let index = match &layer.pick {
                    Pick::Own => j.near_cache,
                    Pick::Region => u32::from(j.region),
                    Pick::Hash(router) => router.route(j.key),
                };
                let cache = &mut layer.caches[index as usize];
                if !cache.up {
                    continue; // it crashed since the lookup
                }
                let evicted = cache.store(j.key, j.size, j.version, now, false, 0, 0);
                layer.interval.evictions += evicted as u64;
                if counting {
                    layer.counts.evictions += evicted as u64;
                    layer.per_cache[index as usize].evictions += evicted as u64;
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

    /// A scheduled crash or recovery of node `node` of tier `tier` (an
    /// index into the tiers above `[nodes]`): a crash loses its contents, a
    /// recovery brings it back empty.
    pub(super) fn near_failure(&mut self, now: Time, tier: u8, node: u32, action: FailureAction) {
        let Some(near) = self.near.as_deref_mut() else {
            self.violation(|| format!("a failure of tier {tier}, and there are no tiers"));
            return;
        };
        let layer = &mut near.layers[tier as usize];
        let cache = &mut layer.caches[node as usize];
        match action {
            FailureAction::Crash if cache.up => {
                // An edge holds no jobs: its lookups cost a fixed latency.
                let lost = cache.crash();
                debug_assert!(lost.is_empty());
            }
            FailureAction::Recover => cache.up = true,
            _ => {}
        }
        let name = layer.config.name.clone();
        self.faults
            .record_in_tier(now, Happening::Action(action), &name, node);
    }

    /// One row per node of each tier with nodes of its own (empty without
    /// such tiers).
    pub fn tier_node_rows(&self) -> Vec<TierNodeRow> {
        let Some(near) = self.near.as_deref() else {
            return Vec::new();
        };
        let measured_s = (self.end - self.warmup_end) as f64 / 1e9;
        near.layers
            .iter()
            .filter(|l| !matches!(l.pick, Pick::Own))
            .flat_map(|l| TierNodeRow::rows(&l.config.name, &l.per_cache, measured_s))
            .collect()
    }

    /// Hands the tiers' counts of the interval closing at `now` to the
    /// recorder (see [`crate::metrics::Recorder::tier_interval`]) and starts
    /// the next one; nothing without tiers.
    pub(super) fn near_tick(&mut self, now: Time) {
        let Some(near) = self.near.as_deref_mut() else {
            return;
        };
        let tiers: Vec<(&str, TierCounts)> = near
            .layers
            .iter()
            .map(|layer| (layer.config.name.as_str(), layer.interval))
            .collect();
        let load = self.database.load(now);
        self.recorder.tier_interval(now, load, &tiers);
        for layer in &mut near.layers {
            layer.interval = TierCounts::default();
        }
    }

    /// The `tiers` section of the summary (the tiers of `[[tiers]]`, then
    /// `[nodes]`'s), when there are tiers; `summary` holds the run's totals.
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
            time_ns: self.recorder.get_latency_ns(),
        };
        let above: Vec<TierCounts> = near.layers.iter().map(|l| l.counts).collect();
        let shared = TierSummary::new(
            "shared".into(),
            "shared",
            &self.config.nodes.policy.label,
            self.config.nodes.count,
            TierCounts::passed_on(total, &above),
            measured_s,
            total.time_ns,
        );
        Some(
            near.rows(measured_s, total.time_ns)
                .chain([shared])
                .collect(),
        )
    }
}

/// The first cache from `region` on (wrapping around) that is up: where a
/// region's users are sent while their own edge is down (a CDN's steering
/// to a neighbouring edge), `None` when every edge is down.
fn first_up(caches: &[Node], region: u32) -> Option<u32> {
    let count = caches.len() as u32;
    (0..count)
        .map(|k| (region + k) % count)
        .find(|&i| caches[i as usize].up)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions(regional: f64) -> Regions {
        Regions {
            count: 4,
            regional,
            salt: 7,
            rng: Seed(1).rng(),
        }
    }

    #[test]
    fn fully_regional_keys_always_come_from_their_home_region() {
        let mut r = regions(1.0);
        for key in 0..1000 {
            let home = r.draw(key);
            assert!(home < 4);
            assert_eq!(r.draw(key), home, "key {key} moved region");
        }
    }

    #[test]
    fn without_skew_one_key_comes_from_every_region_alike() {
        // 40 000 requests for one key: about 10 000 from each region
        // (binomial sd ~87, so 400 is over 4.5 sd).
        let mut r = regions(0.0);
        let mut seen = [0u32; 4];
        for _ in 0..40_000 {
            seen[r.draw(42) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n.abs_diff(10_000) < 400), "{seen:?}");
    }
}

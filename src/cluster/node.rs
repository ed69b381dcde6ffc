//! A cache node: an eviction policy with a capacity, entry expiry and
//! versions, leases, a service time, a concurrency limit with a FIFO queue,
//! and its state (up, crashed, partitioned, slowed).

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::policy::parts::expiry::ExpiryQueue;
use crate::policy::{Policy, PolicyChoice};
use crate::request::{NEVER, Op, Request};
use crate::seed::{Rng, Seed};
use crate::sim::Time;
use crate::sim::dist::Sampler;

/// Per-node counts after the warm-up.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeStats {
    /// Operations served.
    pub requests: u64,
    /// Gets served.
    pub gets: u64,
    /// Gets that hit.
    pub hits: u64,
    /// Objects evicted.
    pub evictions: u64,
}

/// What a node keeps beside the policy for an entry, when versions or
/// lifetimes matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// When it expires (`Time::MAX`: never).
    pub expires: Time,
    /// The version of the value it holds.
    pub version: u64,
}

/// A refill token handed to one missing reader (Facebook's lease).
#[derive(Clone, Copy, Debug)]
struct Lease {
    token: u64,
    issued: Time,
}

/// What a node answers a reader that missed, with leases on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseAnswer {
    /// This reader refills the key, presenting this token with its set.
    Granted(u64),
    /// Another reader holds a recent token: wait and ask again.
    Wait,
}

/// One cache node.
pub struct Node {
    policy_choice: PolicyChoice,
    capacity: u64,
    seed: Seed,
    /// The eviction policy holding the node's objects.
    pub policy: Box<dyn Policy>,
    /// Entry lifetime by request class (none: until evicted).
    ttls: Box<[Option<Time>]>,
    /// Whether entries are tracked (versions or expiry matter).
    track: bool,
    /// Expiry and version of each resident entry, when tracked.
    entries: FxHashMap<u64, Entry>,
    /// With `+expire` (and entries tracked): the entries with a lifetime by
    /// expiry, for TTL-aware eviction.
    expiring: Option<ExpiryQueue>,
    /// Outstanding lease tokens by key.
    leases: FxHashMap<u64, Lease>,
    /// Warm-up: until when the node fills its misses from its peers.
    pub warming_until: Time,
    /// Warm-up: when a delete last reached the node, by key.
    deleted_at: FxHashMap<u64, Time>,
    /// Leases with stale reads: values deletes removed, and when.
    removed: FxHashMap<u64, (u64, Time)>,
    keep_removed: bool,
    /// Running (false after a crash, until recovery; or removed).
    pub up: bool,
    /// Unreachable from clients while running.
    pub partitioned: bool,
    /// Service-time multiplier (1 = normal).
    pub slow: f64,
    /// Incremented when work in progress is void (a crash or a partition).
    pub epoch: u32,
    /// Incremented at each crash: data not yet flushed is lost.
    pub incarnation: u32,
    concurrency: u32,
    /// Jobs being served.
    pub in_service: Vec<u32>,
    /// Jobs waiting, oldest first.
    pub queue: VecDeque<u32>,
    service: Sampler,
    rng: Rng,
    /// Network latency to clients.
    pub latency: Sampler,
    /// Draws network latencies of this node's messages.
    pub net: Rng,
    /// Read-through: jobs waiting for a database read of each key.
    pub pending: FxHashMap<u64, Vec<u32>>,
    /// Counts after the warm-up.
    pub stats: NodeStats,
    evicted: Vec<u64>,
}

/// The timing and size settings every node of a pool shares.
#[derive(Clone)]
pub struct NodeConfig<'a> {
    /// Eviction policy.
    pub policy: &'a PolicyChoice,
    /// Capacity in bytes.
    pub capacity: u64,
    /// Entry lifetime by request class (one entry without classes), if
    /// entries expire.
    pub ttls: Box<[Option<Time>]>,
    /// Keep each entry's version (the workload writes).
    pub versions: bool,
    /// Keep values removed by deletes, for leases' stale reads.
    pub keep_removed: bool,
    /// Concurrent requests served.
    pub concurrency: u32,
    /// Service time.
    pub service: Sampler,
    /// Network latency to clients.
    pub latency: Sampler,
}

impl Node {
    /// An empty, running node whose random streams derive from `seed`.
    pub fn new(config: &NodeConfig, seed: Seed) -> Node {
        Node {
            policy_choice: config.policy.clone(),
            capacity: config.capacity,
            seed,
            policy: config.policy.build(config.capacity, seed.derive("policy")),
            ttls: config.ttls.clone(),
            track: config.versions || config.ttls.iter().any(Option::is_some),
            entries: FxHashMap::default(),
            expiring: config.policy.expire_first.then(ExpiryQueue::new),
            leases: FxHashMap::default(),
            warming_until: 0,
            deleted_at: FxHashMap::default(),
            removed: FxHashMap::default(),
            keep_removed: config.keep_removed,
            up: true,
            partitioned: false,
            slow: 1.0,
            epoch: 0,
            incarnation: 0,
            concurrency: config.concurrency,
            in_service: Vec::with_capacity(config.concurrency as usize),
            queue: VecDeque::new(),
            service: config.service.clone(),
            rng: seed.derive("service").rng(),
            latency: config.latency.clone(),
            net: seed.derive("network").rng(),
            pending: FxHashMap::default(),
            stats: NodeStats::default(),
            evicted: Vec::new(),
        }
    }

    /// Whether clients can reach it.
    #[inline]
    pub fn reachable(&self) -> bool {
        self.up && !self.partitioned
    }

    /// Whether a new job can start service now.
    #[inline]
    pub fn has_free_worker(&self) -> bool {
        (self.in_service.len() as u32) < self.concurrency
    }

    /// Jobs it serves at once, at most.
    #[inline]
    pub fn concurrency(&self) -> usize {
        self.concurrency as usize
    }

    /// Draws one service time.
    #[inline]
    pub fn service_time(&mut self) -> Time {
        let t = self.service.sample(&mut self.rng);
        if self.slow == 1.0 {
            t
        } else {
            // Validation bounds the factor; the cap keeps time in range.
            (t as f64 * self.slow)
                .round()
                .min(crate::units::MAX_DURATION_NS as f64) as Time
        }
    }

    /// Draws one one-way network latency.
    #[inline]
    pub fn network_latency(&mut self) -> Time {
        self.latency.sample(&mut self.net)
    }

    fn request(key: u64, size: u32, now: Time) -> Request {
        Request {
            time_ns: now,
            key,
            size,
            op: Op::Get,
            next_access: NEVER,
        }
    }

    /// The tracked entry of `key` if it can be served at `now` (resident and
    /// not expired).
    pub fn entry(&self, key: u64, now: Time) -> Option<Entry> {
        self.entries.get(&key).copied().filter(|e| e.expires > now)
    }

    /// Every tracked entry.
    pub fn tracked(&self) -> impl Iterator<Item = (&u64, &Entry)> {
        self.entries.iter()
    }

    /// A get: the version of the value on a hit of a live entry (0 when
    /// versions are not tracked), `None` on a miss. An expired entry is
    /// removed and counts as a miss.
    pub fn lookup(&mut self, key: u64, size: u32, now: Time, counting: bool) -> Option<u64> {
        let entry = if self.track {
            self.entries.get(&key).copied()
        } else {
            None
        };
        if let Some(e) = entry
            && e.expires <= now
        {
            self.policy.remove(key);
            self.entries.remove(&key);
        }
        let hit = self.policy.get(&Self::request(key, size, now));
        if counting {
            self.stats.requests += 1;
            self.stats.gets += 1;
            self.stats.hits += u64::from(hit);
        }
        hit.then(|| entry.map_or(0, |e| e.version))
    }

    /// A set of `version`: stores the object, or, if it is already resident,
    /// overwrites its value as memcached's `set` does (touching it as an
    /// access would); either way its lifetime restarts: `ttl_s` seconds when
    /// the trace gave its request a TTL, else that of its request `class`.
    /// With `+expire`, expired entries leave first when the object needs
    /// room ([`crate::policy::parts::expiry`]). Returns how many objects were
    /// evicted (expired entries removed to make room are not evictions).
    #[allow(clippy::too_many_arguments)]
    pub fn store(
        &mut self,
        key: u64,
        size: u32,
        version: u64,
        now: Time,
        counting: bool,
        class: u16,
        ttl_s: u32,
    ) -> usize {
        if counting {
            self.stats.requests += 1;
        }
        let request = Self::request(key, size, now);
        self.evicted.clear();
        let expires = match ttl_s {
            0 => self.ttls[class as usize].map_or(Time::MAX, |ttl| now + ttl),
            ttl => now.saturating_add(Time::from(ttl) * 1_000_000_000),
        };
        let resident = if self.policy.contains(key) {
            self.policy.get(&request)
        } else {
            self.make_room(u64::from(size), now);
            let lifetime = (expires != Time::MAX).then_some(expires);
            self.policy
                .insert_expiring(&request, lifetime, &mut self.evicted)
        };
        if self.track {
            for key in &self.evicted {
                self.entries.remove(key);
            }
            if resident {
                self.entries.insert(key, Entry { expires, version });
                if let Some(queue) = self.expiring.as_mut()
                    && expires != Time::MAX
                {
                    queue.push(key, expires);
                    let entries = &self.entries;
                    queue.compact(entries.len(), |k| entries.get(&k).map(|e| e.expires));
                }
            }
        }
        if counting {
            self.stats.evictions += self.evicted.len() as u64;
        }
        self.evicted.len()
    }

    /// TTL-aware eviction (`+expire`): removes expired entries, soonest
    /// expiry first, while an object of `size` would not fit the free space.
    fn make_room(&mut self, size: u64, now: Time) {
        let Some(queue) = self.expiring.as_mut() else {
            return;
        };
        while crate::policy::parts::expiry::needs_room(self.policy.as_ref(), size) {
            let entries = &self.entries;
            let Some(key) = queue.pop_expired(now, |k| entries.get(&k).map(|e| e.expires)) else {
                break;
            };
            self.entries.remove(&key);
            self.policy.remove(key);
        }
    }

    /// A delete at `now`; it also voids any lease token of the key, and
    /// while the node warms up, it starts the key's hold-off.
    pub fn invalidate(&mut self, key: u64, now: Time, counting: bool) {
        if counting {
            self.stats.requests += 1;
        }
        self.policy.remove(key);
        if let Some(entry) = self.entries.remove(&key)
            && self.keep_removed
        {
            self.removed.insert(key, (entry.version, now));
        }
        self.leases.remove(&key);
        if now < self.warming_until {
            self.deleted_at.insert(key, now);
        }
    }

    /// The version of `key` a delete removed less than `within` ago, if kept
    /// (leases' stale reads); older removals are forgotten.
    pub fn recently_removed(&mut self, key: u64, now: Time, within: Time) -> Option<u64> {
        match self.removed.get(&key) {
            Some(&(version, at)) if now < at + within => Some(version),
            Some(_) => {
                self.removed.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Whether the node is warming up from its peers at `now`.
    pub fn warming(&self, now: Time) -> bool {
        now < self.warming_until
    }

    /// A warm-up add (of a request of `class` with the trace TTL `ttl_s`, as
    /// [`Node::store`] takes them): stored only if the key is
    /// absent and no delete reached the node within `hold_off`. Returns
    /// whether it was stored, and the evictions it caused.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        key: u64,
        size: u32,
        version: u64,
        now: Time,
        hold_off: Time,
        counting: bool,
        class: u16,
        ttl_s: u32,
    ) -> (bool, usize) {
        let held = self
            .deleted_at
            .get(&key)
            .is_some_and(|&t| now < t + hold_off);
        if held || self.policy.contains(key) {
            return (false, 0);
        }
        (
            true,
            self.store(key, size, version, now, counting, class, ttl_s),
        )
    }

    /// Starts warming up at `now` for `duration`.
    pub fn start_warm_up(&mut self, now: Time, duration: Time) {
        self.warming_until = now + duration;
        self.deleted_at.clear();
    }

    /// A reader missed `key`: grant it a token unless another reader got one
    /// less than `interval` ago. `next_token` numbers tokens.
    pub fn lease(
        &mut self,
        key: u64,
        now: Time,
        interval: Time,
        next_token: &mut u64,
    ) -> LeaseAnswer {
        if let Some(lease) = self.leases.get(&key)
            && now < lease.issued + interval
        {
            return LeaseAnswer::Wait;
        }
        *next_token += 1;
        self.leases.insert(
            key,
            Lease {
                token: *next_token,
                issued: now,
            },
        );
        LeaseAnswer::Granted(*next_token)
    }

    /// A fill presents `token`: true (and the token is used up) when it is
    /// the key's outstanding token; a delete since it was granted voided it.
    pub fn redeem(&mut self, key: u64, token: u64) -> bool {
        match self.leases.get(&key) {
            Some(lease) if lease.token == token => {
                self.leases.remove(&key);
                true
            }
            _ => false,
        }
    }

    /// The node stops: contents lost, all work void. Returns the jobs it held
    /// (in service, queued, waiting for a fetch), oldest first.
    pub fn crash(&mut self) -> Vec<u32> {
        self.up = false;
        self.incarnation += 1;
        self.drop_work()
    }

    /// Voids all work without losing contents (a partition); returns the jobs.
    pub fn drop_work(&mut self) -> Vec<u32> {
        self.epoch += 1;
        let mut lost: Vec<u32> = self.in_service.drain(..).collect();
        lost.extend(self.queue.drain(..));
        let mut waiting: Vec<(u64, Vec<u32>)> = self.pending.drain().collect();
        waiting.sort_unstable_by_key(|(key, _)| *key);
        lost.extend(waiting.into_iter().flat_map(|(_, jobs)| jobs));
        if !self.up {
            self.policy = self.policy_choice.build(
                self.capacity,
                self.seed.derive("policy").derive(&self.epoch.to_string()),
            );
            self.entries.clear();
            if let Some(queue) = self.expiring.as_mut() {
                *queue = ExpiryQueue::new();
            }
        }
        self.leases.clear();
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(versions: bool) -> Node {
        let policy = PolicyChoice::parse("lru").unwrap();
        let config = NodeConfig {
            policy: &policy,
            capacity: 100,
            ttls: Box::new([None]),
            versions,
            keep_removed: false,
            concurrency: 1,
            service: Sampler::Fixed(0),
            latency: Sampler::Fixed(0),
        };
        Node::new(&config, Seed(1))
    }

    #[test]
    fn a_delete_voids_the_lease_and_blocks_warm_up_adds_for_the_hold_off() {
        let mut n = node(true);
        let mut next = 0;
        // The first reader to miss gets a token; the second must wait.
        let LeaseAnswer::Granted(token) = n.lease(7, 0, 10, &mut next) else {
            panic!()
        };
        assert_eq!(n.lease(7, 5, 10, &mut next), LeaseAnswer::Wait);
        // A delete voids the token: the racing fill is refused.
        n.invalidate(7, 6, false);
        assert!(!n.redeem(7, token));
        // After the interval a new token is granted.
        assert!(matches!(
            n.lease(7, 20, 10, &mut next),
            LeaseAnswer::Granted(_)
        ));
        // Warming up: a delete at 100 holds adds of key 3 off until 102.
        n.start_warm_up(90, 50);
        n.invalidate(3, 100, false);
        assert_eq!(n.add(3, 1, 1, 101, 2, true, 0, 0), (false, 0));
        assert!(n.add(3, 1, 1, 102, 2, true, 0, 0).0);
        assert_eq!(n.lookup(3, 1, 103, false), Some(1));
        // An add of a resident key changes nothing.
        assert!(!n.add(3, 1, 9, 104, 2, true, 0, 0).0);
        assert_eq!(n.entry(3, 105).map(|e| e.version), Some(1));
    }
}

//! Redis's keyspace for the `volatile-*` policies: the main dict of every
//! key and the expires dict of the keys with a TTL, eviction that reads
//! only the expires dict, and the policy ([`RedisVolatile`]) the four
//! `redis_volatile_*` files build with their ranking ([`Rank`]).
//!
//! Follows Redis 7.0 `src/evict.c` (`performEvictions`,
//! `evictionPoolPopulate`), `src/db.c` (`lookupKey`, `setKey`, `dbAdd`,
//! `setExpire`, `removeExpire`, `getExpire`, `dbSyncDelete`) and
//! `src/expire.c`. A database holds two hash tables (each a
//! [`super::redis_dict::Dict`], with its own size, resizes and incremental
//! rehash, both hashed with the server's one seed): `db->dict`, every key
//! with its object (its LRU stamp or LFU counter), and `db->expires`, exactly
//! the keys with a TTL and their expire time in milliseconds. With a
//! `volatile-*` policy `performEvictions` samples `db->expires` instead of
//! `db->dict` (`dictGetSomeKeys` for the pool policies, `dictGetRandomKey`
//! for `volatile-random`), and the pool scan checks a candidate still exists
//! with `dictFind` on `db->expires`. When `db->expires` is empty and memory
//! is still over the limit, there is nothing to evict: `performEvictions`
//! returns `EVICT_FAIL` and the write is refused with `-OOM`
//! ([`VolatileKeyspace::make_room`] returns false, the key is not stored).
//! A key without a TTL is never evicted.
//!
//! Table operations, as Redis does them (each `dictFind`, `dictAdd`,
//! `dictDelete` on a non-empty dict takes a rehash step): a lookup hits
//! `db->dict` and, on a hit, `getExpire`'s `dictFind` on `db->expires`
//! (from `expireIfNeeded`); a SET of an absent key adds to `db->dict`, then
//! `removeExpire` deletes from `db->expires`, and with `EX` `setExpire` adds
//! to it; a delete removes the key from both.
//!
//! Expiry: the caller removes an expired key lazily when it is looked up
//! ([`super::expiry::Lifetimes`], a cluster node), as `expireIfNeeded`
//! does. Redis's active expire cycle (`activeExpireCycle` in `expire.c`,
//! sampling `db->expires` from the cron) is not modelled; an expired key
//! that is sampled for eviction is a candidate like any other (for
//! `volatile-ttl`, with the soonest expire time, the best one).

use super::redis_dict::Dict;
use super::redis_pool::{DEFAULT_SAMPLES, EvictionPool, MAX_SAMPLES};
use crate::policy::registry::{ParamKind, ParamSpec};
use crate::policy::{Occupancy, Policy};
use crate::request::Request;
use crate::seed::{Rng, Seed};

/// The keys of a Redis database under a `volatile-*` policy, each with its
/// metadata `M`, the expires dict beside them, and the eviction pool.
#[derive(Clone, Debug)]
pub struct VolatileKeyspace<M> {
    /// `db->dict`: every key.
    dict: Dict<M>,
    /// `db->expires`: the keys with a TTL, each with its expire time (ms).
    expires: Dict<u64>,
    capacity: u64,
    samples: usize,
    pool: EvictionPool,
    rng: Rng,
    /// The expires-dict entries of the last sample.
    sampled: Vec<u32>,
}

/// Milliseconds of a time in nanoseconds (Redis keeps expire times in ms).
#[inline]
pub fn to_ms(time_ns: u64) -> u64 {
    time_ns / 1_000_000
}

impl<M: Copy> VolatileKeyspace<M> {
    /// An empty keyspace of `capacity` units, both dicts hashed with
    /// `salt`, sampling `samples` keys (1..=[`MAX_SAMPLES`]) per eviction
    /// with `rng`.
    pub fn new(capacity: u64, samples: usize, salt: u64, rng: Rng) -> Self {
        assert!(
            (1..=MAX_SAMPLES).contains(&samples),
            "samples {samples} not in 1..={MAX_SAMPLES}"
        );
        VolatileKeyspace {
            dict: Dict::new(salt),
            expires: Dict::new(salt),
            capacity,
            samples,
            pool: EvictionPool::default(),
            rng,
            sampled: Vec::with_capacity(samples),
        }
    }

    /// What the server's cron has done to both dicts by `time_ns`.
    #[inline]
    pub fn cron(&mut self, time_ns: u64) {
        self.dict.cron(time_ns);
        self.expires.cron(time_ns);
    }

    /// A lookup (`lookupKey`): the metadata of `key`, mutably, if present.
    #[inline]
    pub fn lookup(&mut self, key: u64) -> Option<&mut M> {
        if self.dict.get(key).is_some() {
            // `expireIfNeeded` → `getExpire`: a `dictFind` on the expires dict.
            self.expires.find_mut(key);
        }
        self.dict.find_mut(key).map(|e| &mut e.meta)
    }

    /// Adds an absent key as `SET` does, with its expire time in ms
    /// (`None`: no TTL); the caller has made room.
    pub fn add(&mut self, key: u64, size: u32, meta: M, expires_ms: Option<u64>) {
        self.dict.insert(key, size, meta);
        match expires_ms {
            Some(ms) => self.expires.insert(key, size, ms),
            None => {
                self.expires.delete(key);
            }
        }
        debug_assert!(self.dict.bytes() <= self.capacity, "over capacity");
    }

    /// Removes `key` from both dicts if present; returns whether it was.
    pub fn remove(&mut self, key: u64) -> bool {
        self.expires.delete(key);
        self.dict.delete(key).is_some()
    }

    /// Evicts, one key per round of `performEvictions`, until `size` more
    /// units fit, pushing each victim onto `evicted`; `victim` picks a key
    /// of the expires dict (never called on an empty one). Returns false,
    /// having evicted what it could, when the size is over the capacity or
    /// no key with a TTL is left to evict (Redis's `-OOM`).
    pub fn make_room(
        &mut self,
        size: u32,
        evicted: &mut Vec<u64>,
        mut victim: impl FnMut(&mut Self) -> u64,
    ) -> bool {
        let size = u64::from(size);
        if size > self.capacity {
            return false;
        }
        while self.dict.bytes() + size > self.capacity {
            if self.expires.is_empty() {
                return false;
            }
            let key = victim(self);
            self.remove(key);
            evicted.push(key);
        }
        true
    }

    /// The pool policies' victim: `evictionPoolPopulate` over a
    /// `dictGetSomeKeys` of the expires dict, each key scored by
    /// `score(expire ms, metadata)` (higher = better victim), then the best
    /// pooled key that is still in the expires dict.
    pub fn pooled_victim(&mut self, score: impl Fn(u64, &M) -> u64) -> u64 {
        loop {
            self.expires
                .some_keys(self.samples, &mut self.rng, &mut self.sampled);
            for &id in &self.sampled {
                let entry = self.expires.entry(id);
                let meta = &self
                    .dict
                    .get(entry.key)
                    .expect("a key of the expires dict is in the main dict")
                    .meta;
                self.pool.offer(entry.key, score(entry.meta, meta));
            }
            let expires = &mut self.expires;
            if let Some(key) = self.pool.take_best(|k| expires.find_mut(k).is_some()) {
                return key;
            }
        }
    }

    /// `volatile-random`'s victim: `dictGetRandomKey` on the expires dict.
    pub fn random_victim(&mut self) -> u64 {
        self.expires.random_key(&mut self.rng)
    }

    /// True when `key` is present.
    #[inline]
    pub fn contains(&self, key: u64) -> bool {
        self.dict.get(key).is_some()
    }

    /// The expire time (ms) of `key`, if it is present with a TTL.
    pub fn expire_ms(&self, key: u64) -> Option<u64> {
        self.expires.get(key).map(|e| e.meta)
    }

    /// How many keys have a TTL.
    pub fn volatile_len(&self) -> usize {
        self.expires.len()
    }

    /// How many objects, their total size and the capacity.
    #[inline]
    pub fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.dict.len(),
            used: self.dict.bytes(),
            capacity: self.capacity,
        }
    }

    /// The metadata of every key, in table order.
    pub fn metas(&self) -> impl Iterator<Item = &M> {
        self.dict.iter().map(|e| &e.meta)
    }

    /// Panics unless both dicts' tables, the capacity bound, the pool's
    /// order and "the expires dict holds only keys of the main dict" hold.
    pub fn check(&self) {
        self.dict.check();
        self.expires.check();
        assert!(self.dict.bytes() <= self.capacity, "over capacity");
        assert!(
            self.expires
                .iter()
                .all(|e| self.dict.get(e.key).is_some_and(|main| main.size == e.size)),
            "the expires dict holds a key the main dict does not"
        );
        self.pool.check();
    }
}

/// The `samples` parameter of the pool policies.
pub const SAMPLES: ParamSpec = ParamSpec {
    name: "samples",
    kind: ParamKind::Int {
        min: 1,
        max: MAX_SAMPLES as u64,
    },
    default: DEFAULT_SAMPLES as f64,
    about: "keys with a TTL sampled per eviction (maxmemory-samples)",
};

/// Where the `volatile-*` policies come from.
pub const SOURCE: &str = "Redis src/evict.c, src/db.c, src/expire.c, src/dict.c (7.0)";

/// How a `volatile-*` policy keeps its per-key metadata and picks a victim
/// among the keys with a TTL.
pub trait Rank: Send {
    /// What the main dict keeps per key.
    type Meta: Copy + Send;
    /// Whether the victims are drawn as `redis_random` draws them (its
    /// seeds), rather than sampled as `redis_lru` and `redis_lfu` sample.
    const RANDOM: bool = false;
    /// The metadata of a key created at `time_ns`.
    fn fresh(&mut self, time_ns: u64) -> Self::Meta;
    /// A hit at `time_ns`.
    fn touch(&mut self, meta: &mut Self::Meta, time_ns: u64);
    /// One victim of the non-empty expires dict at `time_ns`.
    fn victim(&mut self, keys: &mut VolatileKeyspace<Self::Meta>, time_ns: u64) -> u64;
}

/// A Redis `volatile-*` policy.
pub struct RedisVolatile<R: Rank> {
    keys: VolatileKeyspace<R::Meta>,
    rank: R,
}

impl<R: Rank> RedisVolatile<R> {
    /// An empty cache of `capacity` units sampling `samples` keys with a
    /// TTL per eviction. The seeds are those of the allkeys policy it
    /// restricts (`redis_lru`, `redis_lfu` sample from `seed.derive
    /// ("samples")`, `redis_random` from `seed.derive("victims")`), so with
    /// every key volatile the same seed can make the same choices.
    pub fn new(capacity: u64, samples: usize, rank: R, seed: Seed) -> Self {
        let keys = if R::RANDOM {
            VolatileKeyspace::new(
                capacity,
                samples,
                seed.derive("hash").0,
                seed.derive("victims").rng(),
            )
        } else {
            let seed = seed.derive("samples");
            VolatileKeyspace::new(capacity, samples, seed.derive("hash").0, seed.rng())
        };
        RedisVolatile { keys, rank }
    }
}

impl<R: Rank> Policy for RedisVolatile<R> {
    fn get(&mut self, req: &Request) -> bool {
        self.keys.cron(req.time_ns);
        match self.keys.lookup(req.key) {
            Some(meta) => {
                self.rank.touch(meta, req.time_ns);
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        self.insert_expiring(req, None, evicted)
    }

    fn insert_expiring(
        &mut self,
        req: &Request,
        expires_ns: Option<u64>,
        evicted: &mut Vec<u64>,
    ) -> bool {
        self.keys.cron(req.time_ns);
        let rank = &mut self.rank;
        let admitted = self
            .keys
            .make_room(req.size, evicted, |keys| rank.victim(keys, req.time_ns));
        if admitted {
            let meta = self.rank.fresh(req.time_ns);
            self.keys
                .add(req.key, req.size, meta, expires_ns.map(to_ms));
        }
        admitted
    }

    fn remove(&mut self, key: u64) -> bool {
        self.keys.remove(key)
    }

    fn contains(&self, key: u64) -> bool {
        self.keys.contains(key)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        self.keys.occupancy()
    }

    fn check_invariants(&self) {
        self.keys.check();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyChoice;
    use crate::policy::redis_lfu::Counter;
    use crate::policy::redis_volatile_lfu::ByLfu;
    use crate::policy::redis_volatile_lru::ByLru;
    use crate::policy::redis_volatile_random::ByRandom;
    use crate::request::RequestStream;
    use crate::workload::{SizeLaw, Workload};

    const SECOND: u64 = 1_000_000_000;

    fn at(key: u64, time_ns: u64) -> Request {
        Request {
            time_ns,
            ..Request::get(key, 1)
        }
    }

    fn build(choice: &str, capacity: u64, seed: u64) -> Box<dyn Policy> {
        PolicyChoice::parse(choice)
            .unwrap()
            .build(capacity, Seed(seed))
    }

    /// Fills a cache of 4 at t = 0, 1, 2, 3 s with keys 1..=4: 1 and 3 have
    /// no TTL, 2 expires at 100 s and 4 at 50 s.
    fn filled(choice: &str) -> (Box<dyn Policy>, Vec<u64>) {
        let mut policy = build(choice, 4, 1);
        let mut evicted = Vec::new();
        for (key, expires_s) in [(1, None), (2, Some(100)), (3, None), (4, Some(50))] {
            let t = (key - 1) * SECOND;
            let expires = expires_s.map(|s: u64| s * SECOND);
            assert!(policy.insert_expiring(&at(key, t), expires, &mut evicted));
        }
        assert!(evicted.is_empty());
        (policy, evicted)
    }

    /// The hand-worked case the pool policies share, after [`filled`] and a
    /// hit on `touch` at 10 s: key 5 (no TTL) evicts `first`, key 6 (a TTL)
    /// `second`, key 7 (no TTL) evicts 6, the last key with a TTL; then
    /// every resident lacks one, so key 8 is refused (Redis's -OOM) and
    /// nothing is evicted for it.
    fn hand_worked(choice: &str, first: u64, second: u64, touch: Option<u64>) {
        let (mut policy, mut evicted) = filled(choice);
        if let Some(key) = touch {
            assert!(policy.get(&at(key, 10 * SECOND)));
        }
        // Key 5 without a TTL evicts one key with a TTL.
        assert!(policy.insert_expiring(&at(5, 11 * SECOND), None, &mut evicted));
        assert_eq!(evicted, [first], "{choice}: first victim");
        // Key 6 with a TTL evicts the other; 1, 3 and 5 are never candidates.
        let expires = Some(200 * SECOND);
        assert!(policy.insert_expiring(&at(6, 12 * SECOND), expires, &mut evicted));
        assert_eq!(evicted, [first, second], "{choice}: second victim");
        // Key 7: the only key with a TTL is 6, it goes, and 7 is stored.
        assert!(policy.insert(&at(7, 13 * SECOND), &mut evicted));
        assert_eq!(evicted, [first, second, 6], "{choice}: third victim");
        // Key 8: every resident (1, 3, 5, 7) lacks a TTL: refused.
        assert!(!policy.insert_expiring(&at(8, 14 * SECOND), expires, &mut evicted));
        assert_eq!(evicted.len(), 3, "{choice}: nothing more evicted");
        assert!(!policy.contains(8));
        for key in [1, 3, 5, 7] {
            assert!(policy.contains(key), "{choice}: {key} without a TTL stays");
        }
        policy.check_invariants();
    }

    #[test]
    fn volatile_lru_evicts_the_least_recent_key_with_a_ttl() {
        // All 2 keys with a TTL are sampled: 2 (stamp 1 s) is older than 4
        // (3 s), though 1 (no TTL, 0 s) is the oldest of all.
        hand_worked("redis_volatile_lru", 2, 4, None);
        // After a hit on 2 at 10 s, 4 is the older.
        hand_worked("redis_volatile_lru", 4, 2, Some(2));
    }

    #[test]
    fn volatile_ttl_evicts_the_soonest_expiry() {
        // 4 expires at 50 s, before 2 at 100 s; a hit changes nothing.
        hand_worked("redis_volatile_ttl", 4, 2, None);
        hand_worked("redis_volatile_ttl", 4, 2, Some(4));
    }

    #[test]
    fn volatile_lfu_evicts_the_lowest_counter_with_a_ttl() {
        // Both start at LFU_INIT_VAL = 5. A hit on a counter of 5 increments
        // it for sure (p = 1/((5 − 5)·10 + 1) = 1), so the key hit at 10 s
        // has 6 and the other (255 − 5 = 250, the higher score) goes first.
        hand_worked("redis_volatile_lfu", 2, 4, Some(4));
        hand_worked("redis_volatile_lfu", 4, 2, Some(2));
    }

    #[test]
    fn volatile_random_evicts_only_keys_with_a_ttl() {
        // Random among {2, 4}: whichever goes first, the other goes second.
        for seed in 0..20 {
            let mut policy = build("redis_volatile_random", 4, seed);
            let mut evicted = Vec::new();
            for (key, expires) in [(1, None), (2, Some(SECOND)), (3, None), (4, Some(SECOND))] {
                policy.insert_expiring(&at(key, 0), expires, &mut evicted);
            }
            policy.insert(&at(5, 0), &mut evicted);
            policy.insert(&at(6, 0), &mut evicted);
            evicted.sort_unstable();
            assert_eq!(evicted, [2, 4], "seed {seed}");
            assert!(!policy.insert(&at(7, 0), &mut evicted));
            assert_eq!(policy.len(), 4);
        }
    }

    #[test]
    fn without_ttls_nothing_is_evicted_and_a_full_cache_refuses() {
        for choice in [
            "redis_volatile_lru",
            "redis_volatile_lfu",
            "redis_volatile_random",
            "redis_volatile_ttl",
        ] {
            let mut policy = build(choice, 3, 1);
            let mut evicted = Vec::new();
            for key in 0..10 {
                assert_eq!(policy.insert(&at(key, 0), &mut evicted), key < 3);
            }
            assert!(evicted.is_empty(), "{choice}");
            assert!((0..3).all(|k| policy.contains(k)), "{choice}");
            // A removal frees room: the next insert fits again.
            assert!(policy.remove(1));
            assert!(policy.insert(&at(20, 0), &mut evicted), "{choice}");
            policy.check_invariants();
        }
    }

    /// Evictions and hits of `policy` on a Zipf stream, one request every
    /// `gap_ns`, every key stored with the expiry `ttl(insert time)`.
    fn run(mut policy: Box<dyn Policy>, gap_ns: u64, ttl: impl Fn(u64) -> u64) -> (Vec<u64>, u64) {
        let workload =
            Workload::parse("zipf:alpha=0.9,keys=2000,requests=30000", SizeLaw::Fixed(1)).unwrap();
        let mut stream = workload.stream(Seed(5));
        let mut batch = Vec::new();
        while stream.next_batch(&mut batch, 4096).unwrap() > 0 {}
        let mut evicted = Vec::new();
        let mut hits = 0;
        for (i, req) in batch.iter_mut().enumerate() {
            req.time_ns = i as u64 * gap_ns;
            if policy.get(req) {
                hits += 1;
            } else {
                let expires = ttl(req.time_ns);
                assert!(policy.insert_expiring(req, Some(expires), &mut evicted));
            }
        }
        policy.check_invariants();
        (evicted, hits)
    }

    #[test]
    fn with_every_key_volatile_the_allkeys_policy_is_matched_exactly() {
        // Same TTL far in the future for every key: the expires dict holds
        // every key, hashed with the same salt, and sees the same inserts,
        // deletes and samples as allkeys' main dict. The extra rehash steps
        // of the expires dict (a hit's getExpire lookup) only move a rehash
        // that the 100-ms cron would finish anyway: with requests 100 ms
        // apart every command starts with no rehash in progress, and on the
        // same seed the evictions are identical. (Through the registry the
        // two get different seeds, derived from their names.)
        use crate::policy::redis_lfu::RedisLfu;
        use crate::policy::redis_lru::RedisLru;
        use crate::policy::redis_random::RedisRandom;
        let far = |t: u64| t + 1_000_000 * SECOND;
        let gap = 100_000_000;
        let (c, seed) = (200, Seed(7));
        let lfu = || Counter::new(10, 1, seed.derive("log_incr").rng());
        type Pair = (&'static str, Box<dyn Policy>, Box<dyn Policy>);
        let pairs: [Pair; 4] = [
            (
                "lru",
                Box::new(RedisVolatile::new(c, 5, ByLru, seed)),
                Box::new(RedisLru::new(c, 5, seed)),
            ),
            (
                "lru, 10 samples",
                Box::new(RedisVolatile::new(c, 10, ByLru, seed)),
                Box::new(RedisLru::new(c, 10, seed)),
            ),
            (
                "lfu",
                Box::new(RedisVolatile::new(c, 5, ByLfu(lfu()), seed)),
                Box::new(RedisLfu::new(c, 5, 10, 1, seed)),
            ),
            (
                "random",
                Box::new(RedisVolatile::new(c, 1, ByRandom, seed)),
                Box::new(RedisRandom::new(c, seed)),
            ),
        ];
        for (name, volatile, allkeys) in pairs {
            let (v, v_hits) = run(volatile, gap, far);
            let (a, a_hits) = run(allkeys, gap, far);
            assert!(a.len() > 10_000, "{name}: {} evictions", a.len());
            assert_eq!((v.len(), v_hits), (a.len(), a_hits), "{name}");
            assert!(v == a, "{name}: the victims differ");
        }
    }

    #[test]
    fn volatile_ttl_with_ttls_in_insertion_order_is_fifo() {
        // Equal TTLs: expiry order is insertion order (1 ms apart, so no
        // ties at Redis's ms resolution). With 64 samples over 40 keys the
        // sample is the whole keyspace and the soonest expiry, the oldest
        // insert, goes: FIFO's victims exactly.
        let ttl = |t: u64| t + 3600 * SECOND;
        let (ttl_victims, ttl_hits) = run(
            build("redis_volatile_ttl:samples=64", 40, 1),
            1_000_000,
            ttl,
        );
        let (fifo_victims, fifo_hits) = run(build("fifo", 40, 1), 1_000_000, ttl);
        assert!(fifo_victims.len() > 10_000);
        assert_eq!(ttl_hits, fifo_hits);
        assert!(
            ttl_victims == fifo_victims,
            "the victims differ from FIFO's"
        );
        // With the default 5 samples it is only close to FIFO.
        let (_, sampled_hits) = run(build("redis_volatile_ttl", 40, 1), 1_000_000, ttl);
        assert_ne!(sampled_hits, fifo_hits);
    }
}

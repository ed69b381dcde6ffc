//! Redis `volatile-lru`, `volatile-lfu`, `volatile-random` and
//! `volatile-ttl`: eviction among the keys that carry a TTL only.
//!
//! Follows Redis 7.0 `src/evict.c` (`performEvictions`,
//! `evictionPoolPopulate`), `src/db.c` and `src/expire.c`, on the keyspace
//! of [`super::parts::redis_volatile`]: the main dict holds every key, the
//! expires dict (its own hash table, sized and rehashed on its own) exactly
//! the keys stored with a TTL, and eviction samples the expires dict.
//! `volatile-lru` and `volatile-lfu` score a sampled key as `allkeys-lru`
//! (idle ms of the 1-s LRU clock, see [`super::redis_lru`]) and
//! `allkeys-lfu` (255 − decayed counter, see [`super::redis_lfu`]) do, through
//! the same 16-entry pool; `volatile-ttl` scores it `ULLONG_MAX − expire
//! ms`, so the soonest expiry goes first (an expired key that is still
//! resident is the best victim); `volatile-random` takes `dictGetRandomKey`
//! of the expires dict. A key stored without a TTL is never evicted: when no
//! key with a TTL is left and the object still does not fit, Redis refuses
//! the write with `-OOM`, and here [`Policy::insert`] returns false (not
//! admitted; the caller counts the request as a miss and the key stays
//! absent).
//!
//! The lifetime comes with [`Policy::insert_expiring`] (what replay and a
//! cluster node call when the stream carries TTLs); [`Policy::insert`]
//! stores a key without a TTL. Expiry itself is the caller's (lazy, on
//! lookup); the active expire cycle is not modelled.
//!
//! Default: `samples` = 5 (`maxmemory-samples`). Deviations: those of the
//! allkeys policies (the clocks read from each request, eviction until the
//! new object fits instead of one write's overshoot); a SET over a resident
//! key that would change its TTL is not seen by the policy (replay and the
//! cluster insert only absent keys).

use super::parts::redis_pool::{DEFAULT_SAMPLES, MAX_SAMPLES};
use super::parts::redis_volatile::{VolatileKeyspace, to_ms};
use super::redis_lfu::{Counter, Lfu, minutes};
use super::redis_lru::{idle_ms, lru_clock};
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;
use crate::seed::Seed;

/// The `samples` parameter of the pool policies.
const SAMPLES: ParamSpec = ParamSpec {
    name: "samples",
    kind: ParamKind::Int {
        min: 1,
        max: MAX_SAMPLES as u64,
    },
    default: DEFAULT_SAMPLES as f64,
    about: "keys with a TTL sampled per eviction (maxmemory-samples)",
};

/// Where these policies come from.
const SOURCE: &str = "Redis src/evict.c, src/db.c, src/expire.c, src/dict.c (7.0)";

/// Registry entry of `volatile-lru`.
pub const LRU: PolicySpec = PolicySpec {
    name: "redis_volatile_lru",
    about: "Redis volatile-lru: redis_lru sampling only the keys with a TTL; -OOM when none is left",
    source: SOURCE,
    params: &[SAMPLES],
    needs_future: false,
    build: |args| {
        Box::new(RedisVolatile::new(
            args.capacity,
            args.params.int("samples") as usize,
            ByLru,
            args.seed,
        ))
    },
};

/// Registry entry of `volatile-lfu`.
pub const LFU: PolicySpec = PolicySpec {
    name: "redis_volatile_lfu",
    about: "Redis volatile-lfu: redis_lfu sampling only the keys with a TTL; -OOM when none is left",
    source: SOURCE,
    params: &[
        SAMPLES,
        ParamSpec {
            name: "log_factor",
            kind: ParamKind::Int {
                min: 0,
                max: i32::MAX as u64,
            },
            default: 10.0,
            about: "counter growth slowdown (lfu-log-factor)",
        },
        ParamSpec {
            name: "decay_minutes",
            kind: ParamKind::Int {
                min: 0,
                max: i32::MAX as u64,
            },
            default: 1.0,
            about: "minutes per counter decrement; 0 never decays (lfu-decay-time)",
        },
    ],
    needs_future: false,
    build: build_lfu,
};

fn build_lfu(args: &BuildArgs) -> Box<dyn Policy> {
    let counter = Counter::new(
        args.params.int("log_factor"),
        args.params.int("decay_minutes"),
        args.seed.derive("log_incr").rng(),
    );
    Box::new(RedisVolatile::new(
        args.capacity,
        args.params.int("samples") as usize,
        ByLfu(counter),
        args.seed,
    ))
}

/// Registry entry of `volatile-random`.
pub const RANDOM: PolicySpec = PolicySpec {
    name: "redis_volatile_random",
    about: "Redis volatile-random: dictGetRandomKey of the keys with a TTL; -OOM when none is left",
    source: SOURCE,
    params: &[],
    needs_future: false,
    build: |args| Box::new(RedisVolatile::new(args.capacity, 1, ByRandom, args.seed)),
};

/// Registry entry of `volatile-ttl`.
pub const TTL: PolicySpec = PolicySpec {
    name: "redis_volatile_ttl",
    about: "Redis volatile-ttl: sampled eviction of the soonest expire time; -OOM when no TTL is left",
    source: SOURCE,
    params: &[SAMPLES],
    needs_future: false,
    build: |args| {
        Box::new(RedisVolatile::new(
            args.capacity,
            args.params.int("samples") as usize,
            ByTtl,
            args.seed,
        ))
    },
};

/// How a `volatile-*` policy keeps its per-key metadata and picks a victim
/// among the keys with a TTL.
trait Rank: Send {
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

/// `volatile-lru`: the LRU stamp, scored by idle time.
struct ByLru;

impl Rank for ByLru {
    type Meta = u32;
    fn fresh(&mut self, time_ns: u64) -> u32 {
        lru_clock(time_ns)
    }
    fn touch(&mut self, stamp: &mut u32, time_ns: u64) {
        *stamp = lru_clock(time_ns);
    }
    fn victim(&mut self, keys: &mut VolatileKeyspace<u32>, time_ns: u64) -> u64 {
        let clock = lru_clock(time_ns);
        keys.pooled_victim(|_, &stamp| idle_ms(clock, stamp))
    }
}

/// `volatile-lfu`: the LFU field, scored by 255 − decayed counter.
struct ByLfu(Counter);

impl Rank for ByLfu {
    type Meta = Lfu;
    fn fresh(&mut self, time_ns: u64) -> Lfu {
        Lfu::fresh(minutes(time_ns))
    }
    fn touch(&mut self, lfu: &mut Lfu, time_ns: u64) {
        *lfu = self.0.touch(*lfu, minutes(time_ns));
    }
    fn victim(&mut self, keys: &mut VolatileKeyspace<Lfu>, time_ns: u64) -> u64 {
        let (counter, now) = (&self.0, minutes(time_ns));
        keys.pooled_victim(|_, &lfu| u64::from(u8::MAX - counter.decayed(lfu, now)))
    }
}

/// `volatile-ttl`: no metadata; scored `u64::MAX − expire ms`.
struct ByTtl;

impl Rank for ByTtl {
    type Meta = ();
    fn fresh(&mut self, _: u64) {}
    fn touch(&mut self, _: &mut (), _: u64) {}
    fn victim(&mut self, keys: &mut VolatileKeyspace<()>, _: u64) -> u64 {
        keys.pooled_victim(|expire_ms, _| u64::MAX - expire_ms)
    }
}

/// `volatile-random`: no metadata; a random key of the expires dict.
struct ByRandom;

impl Rank for ByRandom {
    type Meta = ();
    const RANDOM: bool = true;
    fn fresh(&mut self, _: u64) {}
    fn touch(&mut self, _: &mut (), _: u64) {}
    fn victim(&mut self, keys: &mut VolatileKeyspace<()>, _: u64) -> u64 {
        keys.random_victim()
    }
}

/// A Redis `volatile-*` policy.
struct RedisVolatile<R: Rank> {
    keys: VolatileKeyspace<R::Meta>,
    rank: R,
}

impl<R: Rank> RedisVolatile<R> {
    /// An empty cache of `capacity` units sampling `samples` keys with a
    /// TTL per eviction. The seeds are those of the allkeys policy it
    /// restricts (`redis_lru`, `redis_lfu` sample from `seed.derive
    /// ("samples")`, `redis_random` from `seed.derive("victims")`), so with
    /// every key volatile the same seed can make the same choices.
    fn new(capacity: u64, samples: usize, rank: R, seed: Seed) -> Self {
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
        use super::super::redis_lfu::RedisLfu;
        use super::super::redis_lru::RedisLru;
        use super::super::redis_random::RedisRandom;
        let far = |t: u64| t + 1_000_000 * SECOND;
        let gap = 100_000_000;
        let (c, seed) = (200, Seed(7));
        let lfu = || Counter::new(10, 1, seed.derive("log_incr").rng());
        let pairs: [(&str, Box<dyn Policy>, Box<dyn Policy>); 4] = [
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

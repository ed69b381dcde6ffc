//! Redis `allkeys-lru`: approximated LRU by sampling, with Redis's eviction
//! pool and its 1-second LRU clock.
//!
//! Follows Redis `src/evict.c` (`estimateObjectIdleTime`,
//! `evictionPoolPopulate`, `performEvictions`), `src/object.c` and `src/db.c`
//! (`lookupKey`), unstable branch, 2024. Each object stores a 24-bit stamp of
//! the LRU clock, `(ms / 1000) mod 2^24`, set when it is created and on every
//! hit. To evict, `samples` keys are sampled and pooled with the score
//! `idle = (clock − stamp) × 1000` ms (wrap-around computed as Redis does), and
//! the pooled key with the largest idle time goes; see
//! [`super::parts::redis_pool`] for the pool. Because the clock has 1-second
//! resolution, objects touched within the same second tie: when the cache
//! turns over faster than once per second, the policy degrades toward random
//! eviction, as Redis does. Time comes from `Request::time_ns`.
//!
//! The keys are sampled as Redis 7.0 samples them, by `dictGetSomeKeys`'
//! walk over consecutive buckets of its hash table (see
//! [`super::parts::redis_dict`]): samples are neighbours in the table, and
//! a chain is read from its most recently inserted key.
//!
//! Default: `samples` = 5 (`maxmemory-samples`), pool of 16. Deviations:
//! Redis caches the clock once per cron tick (100 ms), here it is read from
//! each request; Redis evicts before a command and may overshoot `maxmemory`
//! by one write, here eviction runs until the new object fits. Sizes are
//! bytes as given (no per-key overhead is added).

use super::parts::redis_pool::{DEFAULT_SAMPLES, Keyspace, MAX_SAMPLES};
use super::parts::room::make_room;
use super::registry::{BuildArgs, ParamKind, ParamSpec, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;
use crate::seed::Seed;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "redis_lru",
    about: "Redis allkeys-lru: sampled LRU with a 16-entry eviction pool and a 1-s clock",
    source: "Redis src/evict.c, src/object.c, src/db.c (unstable, 2024); src/dict.c, src/server.c (7.0)",
    params: &[ParamSpec {
        name: "samples",
        kind: ParamKind::Int {
            min: 1,
            max: MAX_SAMPLES as u64,
        },
        default: DEFAULT_SAMPLES as f64,
        about: "keys sampled per eviction (maxmemory-samples)",
    }],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(RedisLru::new(
        args.capacity,
        args.params.int("samples") as usize,
        args.seed,
    ))
}

/// Bits of the LRU clock (`LRU_BITS`).
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// Milliseconds per LRU clock tick (`LRU_CLOCK_RESOLUTION`).
const LRU_CLOCK_RESOLUTION_MS: u64 = 1000;

/// The LRU clock at `time_ns`: whole seconds, wrapping at 2^24.
#[inline]
pub(super) fn lru_clock(time_ns: u64) -> u32 {
    ((time_ns / 1_000_000 / LRU_CLOCK_RESOLUTION_MS) & u64::from(LRU_CLOCK_MAX)) as u32
}

/// Idle milliseconds of an object stamped `stamp`, as
/// `estimateObjectIdleTime` computes them (including its wrap formula).
#[inline]
pub(super) fn idle_ms(clock: u32, stamp: u32) -> u64 {
    let ticks = if clock >= stamp {
        clock - stamp
    } else {
        clock + (LRU_CLOCK_MAX - stamp)
    };
    u64::from(ticks) * LRU_CLOCK_RESOLUTION_MS
}

/// Redis `allkeys-lru`.
pub struct RedisLru {
    keys: Keyspace<u32>,
}

impl RedisLru {
    /// An empty cache of `capacity` units sampling `samples` keys per eviction.
    pub fn new(capacity: u64, samples: usize, seed: Seed) -> Self {
        RedisLru {
            keys: Keyspace::new(capacity, samples, seed.derive("samples")),
        }
    }
}

impl Policy for RedisLru {
    fn get(&mut self, req: &Request) -> bool {
        self.keys.cron(req.time_ns);
        match self.keys.meta_mut(req.key) {
            Some(stamp) => {
                *stamp = lru_clock(req.time_ns);
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        self.keys.cron(req.time_ns);
        let clock = lru_clock(req.time_ns);
        let admitted = make_room(self, req.size, evicted, |redis, evicted| {
            evicted.push(redis.keys.evict_one(|&stamp| idle_ms(clock, stamp)));
        });
        if admitted {
            self.keys.add(req.key, req.size, clock);
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
        assert!(
            self.keys.entries().all(|e| e.meta <= LRU_CLOCK_MAX),
            "an LRU stamp exceeds 24 bits"
        );
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

    #[test]
    fn idle_time_is_whole_seconds_in_milliseconds() {
        assert_eq!(lru_clock(2_999_999_999), 2);
        assert_eq!(idle_ms(7, 2), 5_000);
        // After the clock wraps, Redis computes clock + (MAX − stamp).
        assert_eq!(idle_ms(3, LRU_CLOCK_MAX - 1), 4_000);
    }

    #[test]
    fn oldest_second_is_evicted_when_all_are_sampled() {
        // Capacity 3 and 5 samples: every eviction sees every key, so this is
        // exact LRU at 1-s resolution.
        let mut lru = RedisLru::new(3, 5, Seed(1));
        let mut evicted = Vec::new();
        for (key, t) in [(1, 0), (2, 1), (3, 2)] {
            lru.insert(&at(key, t * SECOND), &mut evicted);
        }
        // At t=3 s, 1 is hit: idle times are 1 → 0, 2 → 2000 ms, 3 → 1000 ms.
        assert!(lru.get(&at(1, 3 * SECOND)));
        lru.insert(&at(4, 3 * SECOND), &mut evicted);
        assert_eq!(evicted, [2]);
        // The pool still holds 3 (1000 ms) and 1 (0 ms) from that sample.
        let pooled: Vec<_> = lru
            .keys
            .pool()
            .slots()
            .iter()
            .flatten()
            .map(|e| (e.key, e.score))
            .collect();
        assert_eq!(pooled, [(1, 0), (3, 1_000)]);
        lru.check_invariants();
    }

    #[test]
    fn stale_pool_score_can_evict_a_key_touched_since() {
        let mut lru = RedisLru::new(3, 5, Seed(1));
        let mut evicted = Vec::new();
        for (key, t) in [(1, 0), (2, 1), (3, 2)] {
            lru.insert(&at(key, t * SECOND), &mut evicted);
        }
        // At t=10 s key 4 evicts 1 (idle 10 s); 3 (8 s) and 2 (9 s) stay pooled.
        lru.insert(&at(4, 10 * SECOND), &mut evicted);
        assert_eq!(evicted, [1]);
        // 2 is hit at t=10 s: its pooled score of 9000 ms is not refreshed.
        assert!(lru.get(&at(2, 10 * SECOND)));
        // At t=11 s the sample scores 2 → 1000, 3 → 9000, 4 → 1000, but the
        // stale entry for 2 (9000) sits right of the fresh 3 (9000): offered
        // later with an equal score, 3 went left of it. So 2 goes, although it
        // was just used and exact LRU would evict 3.
        lru.insert(&at(5, 11 * SECOND), &mut evicted);
        assert_eq!(evicted, [1, 2]);
        lru.check_invariants();
    }

    /// Hit ratio of `choice` on a Zipf(0.9) stream with requests `gap_ns` apart.
    fn hit_ratio(choice: &str, capacity: u64, gap_ns: u64) -> f64 {
        let workload = Workload::parse(
            "zipf:alpha=0.9,keys=10000,requests=400000",
            SizeLaw::Fixed(1),
        )
        .unwrap();
        let mut stream = workload.stream(Seed(5));
        let mut batch = Vec::new();
        while stream.next_batch(&mut batch, 4096).unwrap() > 0 {}
        let mut policy = PolicyChoice::parse(choice)
            .unwrap()
            .build(capacity, Seed(9));
        let mut evicted = Vec::new();
        let warm = batch.len() / 5;
        let mut hits = 0;
        for (i, req) in batch.iter_mut().enumerate() {
            req.time_ns = i as u64 * gap_ns;
            if policy.get(req) {
                hits += usize::from(i >= warm);
            } else {
                policy.insert(req, &mut evicted);
            }
        }
        hits as f64 / (batch.len() - warm) as f64
    }

    #[test]
    fn one_second_clock_degrades_to_random_when_turnover_is_fast() {
        let capacity = 100;
        let lru = hit_ratio("lru", capacity, SECOND);
        // FIFO has the same hit ratio as Random under independent requests.
        let random = hit_ratio("fifo", capacity, SECOND);
        // 1000 requests per second and about 750 misses: the 100 objects turn
        // over several times per clock tick, most resident keys tie at the
        // current second, and eviction is nearly random (0.006 above it
        // here, with the samples of the bucket walk).
        let fast = hit_ratio("redis_lru", capacity, 1_000_000);
        // One request per second: every access has its own tick.
        let slow = hit_ratio("redis_lru", capacity, SECOND);
        assert!(
            (slow - lru).abs() <= 0.005,
            "1 s apart: redis_lru {slow:.4} vs lru {lru:.4}"
        );
        assert!(
            (fast - random).abs() <= 0.01,
            "1 ms apart: redis_lru {fast:.4} vs random {random:.4}"
        );
        assert!(
            fast - random < (lru - random) / 4.0,
            "1 ms apart: {fast:.4} should sit near random {random:.4}, not lru {lru:.4}"
        );
        assert!(
            lru - random > 0.02,
            "the test needs LRU ({lru:.4}) clearly above random ({random:.4})"
        );
    }
}

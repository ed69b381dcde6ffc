//! Redis `allkeys-random`: evict a random key as `dictGetRandomKey` picks
//! it — a random non-empty bucket of the keyspace's hash table, then a
//! random entry of that bucket's chain.
//!
//! Follows Redis `src/evict.c` (`performEvictions`, the random branch) and
//! `src/dict.c` (`dictGetRandomKey`, `_dictExpandIfNeeded`, `dictResize`),
//! 7.0 line. The keyspace is a chained table of 2^k buckets (4 at first); a
//! key's bucket is its hash under a per-cache salt (Redis's siphash seed is
//! random per start). The table doubles when an insert finds as many keys
//! as buckets, and shrinks to the next power of two above the key count
//! when fewer than 10% of the buckets are used (`HASHTABLE_MIN_FILL`). A
//! victim is a bucket drawn uniformly until one is not empty, then an entry
//! of its chain drawn uniformly: a key that shares its bucket is picked less
//! often than one alone, so eviction is not uniform over keys.
//!
//! No parameters. Deviations: the table is rehashed at once when it resizes,
//! where Redis moves buckets incrementally and draws from both tables
//! meanwhile. Redis refuses an expansion whose new bucket array would not
//! fit under `maxmemory` while the load is at most 1.618
//! (`dictExpandAllowed` in `src/server.c`); a capacity in object units has
//! no bytes for the array, so here the table always expands (a Redis whose
//! key count lands a few percent above a power of two keeps the smaller,
//! fuller table). Redis shrinks in its cron, here on the delete that
//! crosses the threshold. Redis evicts before a command and may overshoot
//! `maxmemory` by one write; here eviction runs until the new object fits.

use rand::{Rng as _, RngExt};
use rustc_hash::FxHashMap;

use super::parts::room::make_room;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;
use crate::seed::{Rng, Seed, mix64};

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "redis_random",
    about: "Redis allkeys-random: a random non-empty hash bucket, then a random key of its chain",
    source: "Redis src/evict.c, src/dict.c, src/server.c (7.0)",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(RedisRandom::new(args.capacity, args.seed))
}

/// Buckets of a new table (`DICT_HT_INITIAL_SIZE`).
const INITIAL_BUCKETS: usize = 4;

/// The fill, in percent, below which the table shrinks (`HASHTABLE_MIN_FILL`).
const MIN_FILL_PERCENT: usize = 10;

/// Redis `allkeys-random`.
pub struct RedisRandom {
    /// Each resident key's size.
    sizes: FxHashMap<u64, u32>,
    /// The chains of the hash table, a power of two of them.
    buckets: Vec<Vec<u64>>,
    /// Salt of the key hash.
    salt: u64,
    used: u64,
    capacity: u64,
    rng: Rng,
}

impl RedisRandom {
    /// An empty cache of `capacity` units, its hash salt and victims drawn
    /// from `seed`.
    pub fn new(capacity: u64, seed: Seed) -> Self {
        RedisRandom {
            sizes: FxHashMap::default(),
            buckets: vec![Vec::new(); INITIAL_BUCKETS],
            salt: seed.derive("hash").0,
            used: 0,
            capacity,
            rng: seed.derive("victims").rng(),
        }
    }

    /// The bucket of `key` in a table of `buckets` buckets.
    #[inline]
    fn bucket(&self, key: u64, buckets: usize) -> usize {
        (mix64(key ^ self.salt) as usize) & (buckets - 1)
    }

    /// Rebuilds the table with `buckets` buckets (a power of two).
    fn resize(&mut self, buckets: usize) {
        let old = std::mem::replace(&mut self.buckets, vec![Vec::new(); buckets]);
        for key in old.into_iter().flatten() {
            let b = self.bucket(key, buckets);
            self.buckets[b].push(key);
        }
    }

    /// `dictGetRandomKey`: a uniformly drawn bucket until one is not empty,
    /// then a uniformly drawn entry of its chain. The table must hold a key.
    fn random_key(&mut self) -> u64 {
        let mask = self.buckets.len() - 1;
        loop {
            let chain = &self.buckets[(self.rng.next_u64() as usize) & mask];
            if !chain.is_empty() {
                return chain[self.rng.random_range(0..chain.len())];
            }
        }
    }

    /// Removes a resident key from its chain and the sizes.
    fn unlink(&mut self, key: u64) -> u32 {
        let b = self.bucket(key, self.buckets.len());
        let chain = &mut self.buckets[b];
        let at = chain
            .iter()
            .position(|&k| k == key)
            .expect("a resident key is in its bucket's chain");
        chain.swap_remove(at);
        let size = self.sizes.remove(&key).expect("a resident key has a size");
        self.used -= u64::from(size);
        size
    }
}

impl Policy for RedisRandom {
    fn get(&mut self, req: &Request) -> bool {
        self.sizes.contains_key(&req.key)
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let admitted = make_room(self, req.size, evicted, |redis, evicted| {
            let victim = redis.random_key();
            redis.unlink(victim);
            evicted.push(victim);
        });
        if !admitted {
            return false;
        }
        // `_dictExpandIfNeeded`, before the key is added.
        let keys = self.sizes.len();
        if keys >= self.buckets.len() {
            self.resize((keys + 1).next_power_of_two());
        }
        let b = self.bucket(req.key, self.buckets.len());
        self.buckets[b].push(req.key);
        self.sizes.insert(req.key, req.size);
        self.used += u64::from(req.size);
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        if !self.sizes.contains_key(&key) {
            return false;
        }
        self.unlink(key);
        let (keys, buckets) = (self.sizes.len(), self.buckets.len());
        if buckets > INITIAL_BUCKETS && keys * 100 / buckets < MIN_FILL_PERCENT {
            self.resize(keys.max(INITIAL_BUCKETS).next_power_of_two());
        }
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.sizes.contains_key(&key)
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.sizes.len(),
            used: self.used,
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        assert!(
            self.buckets.len().is_power_of_two() && self.buckets.len() >= INITIAL_BUCKETS,
            "the table has {} buckets, not a power of two from {INITIAL_BUCKETS}",
            self.buckets.len()
        );
        let mut chained = 0;
        for (b, chain) in self.buckets.iter().enumerate() {
            for &key in chain {
                assert_eq!(
                    self.bucket(key, self.buckets.len()),
                    b,
                    "key {key} in the wrong bucket"
                );
                assert!(
                    self.sizes.contains_key(&key),
                    "chained key {key} has no size"
                );
                chained += 1;
            }
        }
        assert_eq!(chained, self.sizes.len(), "chains and sizes disagree");
        let bytes: u64 = self.sizes.values().map(|&s| u64::from(s)).sum();
        assert_eq!(bytes, self.used, "byte count disagrees with the objects");
        assert!(self.used <= self.capacity, "over capacity");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_doubles_when_an_insert_finds_it_full() {
        let mut redis = RedisRandom::new(6, Seed(1));
        let mut evicted = Vec::new();
        // Keys 0..4 fill the 4 initial buckets; the 5th insert finds 4 keys
        // in 4 buckets: the table doubles to 8.
        for key in 0..4 {
            assert!(redis.insert(&Request::get(key, 1), &mut evicted));
        }
        assert_eq!(redis.buckets.len(), 4);
        redis.insert(&Request::get(4, 1), &mut evicted);
        assert_eq!(redis.buckets.len(), 8);
        // Up to 6 keys fit; the 7th evicts one, and 6 keys in 8 buckets
        // need no expansion.
        redis.insert(&Request::get(5, 1), &mut evicted);
        redis.insert(&Request::get(6, 1), &mut evicted);
        assert_eq!(evicted.len(), 1);
        assert!(!redis.contains(evicted[0]));
        assert_eq!(redis.buckets.len(), 8);
        redis.check_invariants();
    }

    #[test]
    fn a_key_alone_in_its_bucket_is_picked_more_often_than_one_sharing() {
        // Put keys in 4 buckets and find one bucket with a chain of two
        // keys and one with a single key: dictGetRandomKey picks the single
        // key with probability 1/b per non-empty bucket b, each shared key
        // with half that.
        let mut redis = RedisRandom::new(100, Seed(3));
        let mut evicted = Vec::new();
        for key in 0..3 {
            redis.insert(&Request::get(key, 1), &mut evicted);
        }
        let lengths: Vec<usize> = redis.buckets.iter().map(Vec::len).collect();
        let Some(pair) = lengths.iter().position(|&n| n == 2) else {
            // With this seed the three keys share a bucket two and one; the
            // test would not test what it says otherwise.
            panic!("seed 3 gives chains {lengths:?}, not a pair and a single");
        };
        let single = lengths.iter().position(|&n| n == 1).expect("one key alone");
        let lone = redis.buckets[single][0];
        let shared = redis.buckets[pair][0];
        let draws = 30_000;
        let mut picked = FxHashMap::default();
        for _ in 0..draws {
            *picked.entry(redis.random_key()).or_insert(0u32) += 1;
        }
        let share = |key| f64::from(picked[&key]) / f64::from(draws);
        assert!((share(lone) - 0.5).abs() < 0.02, "{}", share(lone));
        assert!((share(shared) - 0.25).abs() < 0.02, "{}", share(shared));
    }

    #[test]
    fn deletes_shrink_a_table_under_a_tenth_full() {
        let mut redis = RedisRandom::new(1000, Seed(1));
        let mut evicted = Vec::new();
        for key in 0..100 {
            redis.insert(&Request::get(key, 1), &mut evicted);
        }
        assert_eq!(redis.buckets.len(), 128);
        // 12 keys in 128 buckets is 9%: the table shrinks to 16.
        for key in 12..100 {
            assert!(redis.remove(key));
        }
        assert_eq!(redis.buckets.len(), 16);
        assert!(!redis.remove(5000));
        redis.check_invariants();
    }
}

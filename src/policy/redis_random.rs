//! Redis `allkeys-random`: evict a random key as `dictGetRandomKey` picks
//! it — a random non-empty bucket of the keyspace's hash table, then a
//! random entry of that bucket's chain.
//!
//! Follows Redis 7.0 `src/evict.c` (`performEvictions`, the random branch)
//! and `src/dict.c` (`dictGetRandomKey`), on the keyspace of
//! [`super::parts::redis_dict`] (its table of 2^k buckets, doubling when an
//! insert finds as many keys as buckets, rehashed a bucket per operation
//! and finished by the cron, shrunk by the cron under 10% full). A victim
//! is a bucket drawn uniformly until one is not empty (while rehashing, over
//! both tables' unmoved buckets), then an entry of its chain drawn
//! uniformly: a key that shares its bucket is picked less often than one
//! alone, so eviction is not uniform over keys.
//!
//! No parameters. Deviations: those of the keyspace (a table always
//! expands, where Redis may refuse while the bucket array would not fit
//! under `maxmemory`); Redis evicts before a command and may overshoot
//! `maxmemory` by one write; here eviction runs until the new object fits.

use super::parts::redis_dict::Dict;
use super::parts::room::make_room;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;
use crate::seed::{Rng, Seed};

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

/// Redis `allkeys-random`.
pub struct RedisRandom {
    keys: Dict<()>,
    capacity: u64,
    rng: Rng,
}

impl RedisRandom {
    /// An empty cache of `capacity` units, its hash salt and victims drawn
    /// from `seed`.
    pub fn new(capacity: u64, seed: Seed) -> Self {
        RedisRandom {
            keys: Dict::new(seed.derive("hash").0),
            capacity,
            rng: seed.derive("victims").rng(),
        }
    }
}

impl Policy for RedisRandom {
    fn get(&mut self, req: &Request) -> bool {
        self.keys.cron(req.time_ns);
        self.keys.find_mut(req.key).is_some()
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        self.keys.cron(req.time_ns);
        let admitted = make_room(self, req.size, evicted, |redis, evicted| {
            let victim = redis.keys.random_key(&mut redis.rng);
            redis.keys.delete(victim);
            evicted.push(victim);
        });
        if admitted {
            self.keys.insert(req.key, req.size, ());
        }
        admitted
    }

    fn remove(&mut self, key: u64) -> bool {
        self.keys.delete(key).is_some()
    }

    fn contains(&self, key: u64) -> bool {
        self.keys.get(key).is_some()
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.keys.len(),
            used: self.keys.bytes(),
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        self.keys.check();
        assert!(self.keys.bytes() <= self.capacity, "over capacity");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_evicts_one_held_key_per_insert() {
        let mut redis = RedisRandom::new(6, Seed(1));
        let mut evicted = Vec::new();
        for key in 0..6 {
            assert!(redis.insert(&Request::get(key, 1), &mut evicted));
        }
        assert!(evicted.is_empty());
        redis.insert(&Request::get(6, 1), &mut evicted);
        assert_eq!(evicted.len(), 1);
        assert!(evicted[0] < 6 && !redis.contains(evicted[0]));
        assert!(redis.contains(6));
        assert!(!redis.remove(evicted[0]));
        redis.check_invariants();
    }
}

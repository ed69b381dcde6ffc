//! Redis's sampled eviction: the keyspace sampled as `dictGetSomeKeys`
//! samples it and the 16-entry eviction pool, shared by `redis_lru` and
//! `redis_lfu`.
//!
//! Follows `evictionPoolPopulate` and the pool scan of `performEvictions` in
//! Redis 7.0 `src/evict.c`: each eviction takes up to `maxmemory-samples`
//! keys from [`Dict::some_keys`] (a walk over consecutive buckets, see
//! [`super::redis_dict`]), offers each to a pool of [`EVPOOL_SIZE`] entries
//! kept sorted ascending by score (higher score = better victim), then takes
//! the best entry from the right. Pool entries hold key names and the score
//! they had when sampled; they persist across evictions and are never
//! re-scored, so a key touched after being pooled can still be evicted, and a
//! key sampled twice can sit in the pool twice. An entry whose key no longer
//! exists is a ghost: it is dropped and the scan goes on. Like Redis, the
//! existence check is a lookup by key name (`dictFind`, with its rehash
//! step), so a key deleted and re-inserted counts as existing.
//!
//! Deviations: Redis evicts before executing a command, so memory can
//! overshoot `maxmemory` by one write; cachelab's contract forbids exceeding
//! the capacity, so the Redis policies run [`Keyspace::evict_one`] in the
//! shared evict-until-it-fits loop ([`crate::policy::parts::room::make_room`]).

use super::redis_dict::{Dict, Entry};
use crate::policy::Occupancy;
use crate::seed::{Rng, Seed};

/// Entries in the eviction pool (`EVPOOL_SIZE` in `evict.c`).
pub const EVPOOL_SIZE: usize = 16;

/// Largest `maxmemory-samples` Redis accepts.
pub const MAX_SAMPLES: usize = 64;

/// Redis's default `maxmemory-samples`.
pub const DEFAULT_SAMPLES: usize = 5;

/// One pooled candidate: a key name and the score it had when sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolEntry {
    /// The candidate's key.
    pub key: u64,
    /// Idle time or inverse frequency when sampled; higher is a better victim.
    pub score: u64,
}

/// The eviction pool: slots sorted ascending by score, empty slots on the right.
#[derive(Clone, Debug, Default)]
pub struct EvictionPool {
    slots: [Option<PoolEntry>; EVPOOL_SIZE],
}

impl EvictionPool {
    /// Offers a sampled key, with `evictionPoolPopulate`'s insertion rule.
    pub fn offer(&mut self, key: u64, score: u64) {
        let last = EVPOOL_SIZE - 1;
        // The first empty slot, or the first entry not better than this one.
        let mut k = 0;
        while k < EVPOOL_SIZE && self.slots[k].is_some_and(|e| e.score < score) {
            k += 1;
        }
        if k == 0 && self.slots[last].is_some() {
            // Worse than everything in a full pool.
            return;
        }
        if k < EVPOOL_SIZE && self.slots[k].is_none() {
            // An empty slot: nothing to move.
        } else if self.slots[last].is_none() {
            // Room on the right: shift k.. one step right.
            self.slots.copy_within(k..last, k + 1);
        } else {
            // Full: drop the worst entry (slot 0) by shifting 1..k left.
            k -= 1;
            self.slots.copy_within(1..=k, 0);
        }
        self.slots[k] = Some(PoolEntry { key, score });
    }

    /// Scans from the best (rightmost) entry, emptying each slot it looks at,
    /// and returns the first key for which `exists` holds; ghosts are skipped.
    pub fn take_best(&mut self, mut exists: impl FnMut(u64) -> bool) -> Option<u64> {
        for slot in self.slots.iter_mut().rev() {
            if let Some(entry) = slot.take()
                && exists(entry.key)
            {
                return Some(entry.key);
            }
        }
        None
    }

    /// The slots, left (worst) to right (best).
    pub fn slots(&self) -> &[Option<PoolEntry>; EVPOOL_SIZE] {
        &self.slots
    }

    /// Panics unless the filled slots form a prefix sorted ascending by score.
    pub fn check(&self) {
        let filled = self.slots.iter().take_while(|s| s.is_some()).count();
        assert!(
            self.slots[filled..].iter().all(Option::is_none),
            "eviction pool has a hole before a filled slot"
        );
        assert!(
            self.slots[..filled]
                .iter()
                .flatten()
                .map(|e| e.score)
                .is_sorted(),
            "eviction pool is not sorted by score"
        );
    }
}

/// The objects of a Redis-like cache: the keyspace, the eviction pool and
/// the sampling generator.
#[derive(Clone, Debug)]
pub struct Keyspace<M> {
    dict: Dict<M>,
    capacity: u64,
    samples: usize,
    pool: EvictionPool,
    rng: Rng,
    /// The entries of the last sample.
    sampled: Vec<u32>,
}

impl<M: Copy> Keyspace<M> {
    /// An empty keyspace of `capacity` units sampling `samples` keys
    /// (1..=[`MAX_SAMPLES`]) per eviction, its buckets salted and its samples
    /// drawn from `seed`.
    pub fn new(capacity: u64, samples: usize, seed: Seed) -> Self {
        assert!(
            (1..=MAX_SAMPLES).contains(&samples),
            "samples {samples} not in 1..={MAX_SAMPLES}"
        );
        Keyspace {
            dict: Dict::new(seed.derive("hash").0),
            capacity,
            samples,
            pool: EvictionPool::default(),
            rng: seed.rng(),
            sampled: Vec::with_capacity(samples),
        }
    }

    /// What the server's cron has done by `time_ns` ([`Dict::cron`]); call
    /// before each command.
    #[inline]
    pub fn cron(&mut self, time_ns: u64) {
        self.dict.cron(time_ns);
    }

    /// The metadata of `key`, mutably, if present (a lookup, `dictFind`).
    #[inline]
    pub fn meta_mut(&mut self, key: u64) -> Option<&mut M> {
        self.dict.find_mut(key).map(|e| &mut e.meta)
    }

    /// Adds an absent key as a SET does; the caller has made room.
    pub fn add(&mut self, key: u64, size: u32, meta: M) {
        self.dict.insert(key, size, meta);
        debug_assert!(self.dict.bytes() <= self.capacity, "over capacity");
    }

    /// Removes `key` if present; returns whether it was.
    pub fn remove(&mut self, key: u64) -> bool {
        self.dict.delete(key).is_some()
    }

    /// Evicts one object, as one round of `performEvictions` does, and
    /// returns its key. `score` rates an object's metadata (higher = better
    /// victim). The keyspace must not be empty.
    #[inline]
    pub fn evict_one(&mut self, score: impl Fn(&M) -> u64) -> u64 {
        let victim = loop {
            self.populate(&score);
            let dict = &mut self.dict;
            if let Some(key) = self.pool.take_best(|k| dict.find_mut(k).is_some()) {
                break key;
            }
            // Every pooled entry was a ghost: sample again.
        };
        self.remove(victim);
        victim
    }

    /// `evictionPoolPopulate`: offers the keys of one `dictGetSomeKeys` to
    /// the pool with their current scores.
    fn populate(&mut self, score: &impl Fn(&M) -> u64) {
        self.dict
            .some_keys(self.samples, &mut self.rng, &mut self.sampled);
        for &id in &self.sampled {
            let entry = self.dict.entry(id);
            self.pool.offer(entry.key, score(&entry.meta));
        }
    }

    /// True when `key` is present.
    #[inline]
    pub fn contains(&self, key: u64) -> bool {
        self.dict.get(key).is_some()
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

    /// The objects, in table order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry<M>> {
        self.dict.iter()
    }

    /// The eviction pool.
    pub fn pool(&self) -> &EvictionPool {
        &self.pool
    }

    /// Panics unless the keyspace's tables, the capacity bound and the
    /// pool's order all hold.
    pub fn check(&self) {
        self.dict.check();
        assert!(self.dict.bytes() <= self.capacity, "over capacity");
        self.pool.check();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pool: &EvictionPool) -> Vec<Option<u64>> {
        pool.slots().iter().map(|s| s.map(|e| e.key)).collect()
    }

    #[test]
    fn offers_fill_empty_slots_in_score_order() {
        let mut pool = EvictionPool::default();
        // 30 goes to the first empty slot; 10 is smaller, so 30 shifts right
        // to make room at slot 0; 20 lands between them.
        pool.offer(3, 30);
        pool.offer(1, 10);
        pool.offer(2, 20);
        assert_eq!(&keys(&pool)[..4], [Some(1), Some(2), Some(3), None]);
        // An equal score goes to the left of the existing one.
        pool.offer(4, 20);
        assert_eq!(
            &keys(&pool)[..5],
            [Some(1), Some(4), Some(2), Some(3), None]
        );
        pool.check();
    }

    #[test]
    fn full_pool_drops_its_worst_entry_or_the_newcomer() {
        let mut pool = EvictionPool::default();
        for key in 0..16 {
            pool.offer(key, 100 + key * 10);
        }
        // Full: a score below the worst (100) is dropped.
        pool.offer(99, 50);
        assert_eq!(keys(&pool)[0], Some(0));
        assert!(!keys(&pool).contains(&Some(99)));
        // 155 belongs between 150 (key 5) and 160 (key 6): slots 1..=5 shift
        // left over key 0, the worst, and 155 takes slot 5.
        pool.offer(77, 155);
        let k = keys(&pool);
        assert_eq!(
            &k[..7],
            [
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                Some(77),
                Some(6)
            ]
        );
        // Better than everything: it takes the last slot, key 1 falls off.
        pool.offer(88, 1_000);
        assert_eq!(keys(&pool)[15], Some(88));
        assert_eq!(keys(&pool)[0], Some(2));
        pool.check();
    }

    #[test]
    fn take_best_skips_and_empties_ghosts() {
        let mut pool = EvictionPool::default();
        for (key, score) in [(1, 10), (2, 20), (3, 30)] {
            pool.offer(key, score);
        }
        // 3 is the best but was deleted: a ghost, dropped. 2 is taken.
        assert_eq!(pool.take_best(|k| k != 3), Some(2));
        assert_eq!(&keys(&pool)[..3], [Some(1), None, None]);
        assert_eq!(pool.take_best(|_| false), None);
        assert!(keys(&pool).iter().all(Option::is_none));
    }

    #[test]
    fn duplicates_and_stale_scores_persist() {
        let mut ks: Keyspace<u64> = Keyspace::new(3, 5, Seed(1));
        for key in 1..=3 {
            ks.add(key, 1, key * 100);
        }
        // With 3 objects and 5 samples, populate takes all three. Key 3 has
        // the highest score and is evicted; 1 and 2 stay pooled.
        assert_eq!(ks.evict_one(|m| *m), 3);
        assert_eq!(&keys(ks.pool())[..3], [Some(1), Some(2), None]);
        // Key 1's score changes, but its pooled score stays 100. The next
        // populate pools 1 and 2 again (duplicates), now 1 scores 500.
        *ks.meta_mut(1).unwrap() = 500;
        ks.add(4, 1, 0);
        assert_eq!(ks.evict_one(|m| *m), 1);
        // Left: 4 (0), stale 1 (100), 2 (200), 2 (200) ; the stale 1 is a ghost now.
        assert_eq!(
            &keys(ks.pool())[..5],
            [Some(4), Some(1), Some(2), Some(2), None]
        );
        ks.check();
    }
}

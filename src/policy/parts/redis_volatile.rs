//! Redis's keyspace for the `volatile-*` policies: the main dict of every
//! key and the expires dict of the keys with a TTL, and eviction that reads
//! only the expires dict.
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
use super::redis_pool::{EvictionPool, MAX_SAMPLES};
use crate::policy::Occupancy;
use crate::seed::Rng;

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

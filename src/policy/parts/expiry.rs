//! Per-object lifetimes beside any policy: lazy expiry on access and, with
//! `+expire`, TTL-aware eviction (expired objects leave first).
//!
//! Lazy expiry is what Redis (`expireIfNeeded` in `db.c`) and memcached
//! (`do_item_get` in `items.c`) do on every lookup, and what libCacheSim's
//! `cache_find_base` (`libCacheSim/cache/cache.c`) does in simulation: a
//! resident object past its expiry is removed from the cache and the lookup
//! is a miss. An object stored at `t` with a TTL of `d` expires at `t + d`
//! and a lookup at or after that time misses (memcached's `exptime <=
//! current_time`; libCacheSim and Redis still serve it during the instant
//! `t + d` itself, which only matters for whole-second clocks).
//!
//! Lazy expiry alone leaves dead objects occupying room until they are
//! looked up or evicted, and the policy, which knows nothing of lifetimes,
//! may evict a live object while dead ones stay. TTL-aware eviction (issue
//! 12; memcached's `lru_pull_tail` reclaims expired items it meets before it
//! evicts, and libCacheSim's `TTL_FIFO` orders by expiry) keeps an
//! [`ExpiryQueue`] of the residents with a lifetime, soonest first: when an
//! insert needs room, the expired objects are removed, soonest expiry first,
//! until the new object fits or none is left expired; only then does the
//! policy evict. Removing an object that has expired never costs a hit, since
//! its next lookup would miss anyway.
//!
//! The policy itself is untouched (it stores no lifetimes and knows no
//! clock); the caller keeps each resident's expiry in a table of its own
//! (the replay client's, a cluster node's entries) and this queue beside it.
//! Cost: the caller's table entry (a `u64` key and a `u64` expiry, about
//! 18 bytes in a hash map at its load factor) for each resident with a TTL,
//! and with `+expire` one 16-byte heap entry each, at most twice over
//! counting entries gone stale before [`ExpiryQueue::compact`] drops them.
//! Objects without a TTL cost nothing.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use crate::policy::{Bound, Policy};
use crate::request::Request;

/// Residents with a lifetime ordered by expiry, soonest first.
///
/// Entries are never updated in place: an object stored again, evicted or
/// removed leaves its old entry behind, and a popped entry counts only if it
/// still matches the caller's table (the key is resident with that expiry).
#[derive(Clone, Debug, Default)]
pub struct ExpiryQueue {
    heap: BinaryHeap<Reverse<(u64, u64)>>,
}

/// Stale entries tolerated beyond the live ones before a compaction.
const SLACK: usize = 1024;

impl ExpiryQueue {
    /// An empty queue.
    pub fn new() -> Self {
        ExpiryQueue::default()
    }

    /// Notes that `key` now expires at `expires`.
    #[inline]
    pub fn push(&mut self, key: u64, expires: u64) {
        self.heap.push(Reverse((expires, key)));
    }

    /// Entries held, stale ones included.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The resident key that expired soonest, if one has expired at `now`
    /// (its expiry is at or before `now`), taken off the queue.
    /// `current(key)` is the key's expiry in the caller's table (`None`: not
    /// resident, or without a lifetime); entries that disagree with it are
    /// stale and dropped on the way.
    pub fn pop_expired(&mut self, now: u64, current: impl Fn(u64) -> Option<u64>) -> Option<u64> {
        while let Some(&Reverse((expires, key))) = self.heap.peek() {
            if expires > now {
                return None;
            }
            self.heap.pop();
            if current(key) == Some(expires) {
                return Some(key);
            }
        }
        None
    }

    /// Drops the stale entries once they outnumber the `live` ones (plus a
    /// slack), so the queue stays within twice the residents with a lifetime.
    pub fn compact(&mut self, live: usize, current: impl Fn(u64) -> Option<u64>) {
        if self.heap.len() > 2 * live + SLACK {
            self.heap
                .retain(|&Reverse((expires, key))| current(key) == Some(expires));
        }
    }
}

/// Whether an insert of `size` units into `policy` needs room first: it
/// would fit an empty cache but not the free space.
#[inline]
pub fn needs_room(policy: &dyn Policy, size: u64) -> bool {
    let occupancy = policy.occupancy();
    size <= occupancy.capacity && occupancy.used + size > occupancy.capacity
}

/// Whether TTL-aware eviction can tell when `policy` needs room: only when
/// its capacity bounds the sum of sizes ([`Bound::Sizes`]).
pub fn supports_expire_first(policy: &dyn Policy) -> bool {
    policy.bound() == Bound::Sizes
}

/// Each resident's expiry, for a caller that has no table of its own (a
/// replay client), with the [`ExpiryQueue`] of TTL-aware eviction when it
/// is on.
#[derive(Clone, Debug, Default)]
pub struct Lifetimes {
    /// Expiry (ns) of each resident that has a lifetime.
    expires: FxHashMap<u64, u64>,
    /// The residents with a lifetime by expiry, with `+expire`.
    queue: Option<ExpiryQueue>,
}

impl Lifetimes {
    /// No lifetimes yet; expired objects leave first when `expire_first`.
    pub fn new(expire_first: bool) -> Self {
        Lifetimes {
            expires: FxHashMap::default(),
            queue: expire_first.then(ExpiryQueue::new),
        }
    }

    /// Lazy expiry of a lookup of `key` at `now`: when the key is resident
    /// and has expired, removes it from `policy` (and from the table) and
    /// returns true; the lookup that follows misses.
    #[inline]
    pub fn expire_if_due(&mut self, policy: &mut dyn Policy, key: u64, now: u64) -> bool {
        match self.expires.get(&key) {
            Some(&expires) if expires <= now => {
                self.expires.remove(&key);
                policy.remove(key);
                true
            }
            _ => false,
        }
    }

    /// Before an insert of `size` units at `now`: with TTL-aware eviction,
    /// removes expired objects from `policy`, soonest expiry first, while
    /// the object would not fit the free space. Returns how many left.
    pub fn make_room(&mut self, policy: &mut dyn Policy, size: u64, now: u64) -> u64 {
        let Some(queue) = self.queue.as_mut() else {
            return 0;
        };
        let mut removed = 0;
        while needs_room(policy, size) {
            let Some(key) = queue.pop_expired(now, |k| self.expires.get(&k).copied()) else {
                break;
            };
            self.expires.remove(&key);
            policy.remove(key);
            removed += 1;
        }
        removed
    }

    /// Stores `request` in `policy` with its TTL `ttl_s` (seconds, 0: none)
    /// from its own time, expired objects leaving first with `+expire`
    /// ([`Lifetimes::make_room`]); returns how many objects were evicted for
    /// it. `evicted` is scratch space, left empty.
    pub fn store(
        &mut self,
        policy: &mut dyn Policy,
        request: &Request,
        ttl_s: u32,
        evicted: &mut Vec<u64>,
    ) -> u64 {
        let now = request.time_ns;
        self.make_room(policy, u64::from(request.size), now);
        let expires = (ttl_s > 0).then(|| now.saturating_add(u64::from(ttl_s) * 1_000_000_000));
        let admitted = policy.insert_expiring(request, expires, evicted);
        self.stored(request.key, admitted, expires, evicted);
        let count = evicted.len() as u64;
        evicted.clear();
        count
    }

    /// After an insert: `evicted` left the cache, and `key`, when it was
    /// admitted, expires at `expires` (`None`: it has no lifetime).
    pub fn stored(&mut self, key: u64, admitted: bool, expires: Option<u64>, evicted: &[u64]) {
        for gone in evicted {
            self.expires.remove(gone);
        }
        let Some(expires) = expires.filter(|_| admitted) else {
            self.expires.remove(&key);
            return;
        };
        self.expires.insert(key, expires);
        if let Some(queue) = self.queue.as_mut() {
            queue.push(key, expires);
            let table = &self.expires;
            queue.compact(table.len(), |k| table.get(&k).copied());
        }
    }

    /// `key` left the cache other than by expiry or eviction (a delete, or
    /// a set that replaces it): it no longer has a lifetime.
    pub fn forget(&mut self, key: u64) {
        self.expires.remove(&key);
    }

    /// Residents with a lifetime.
    pub fn len(&self) -> usize {
        self.expires.len()
    }

    /// True when no resident has a lifetime.
    pub fn is_empty(&self) -> bool {
        self.expires.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_the_soonest_expired_live_entry_and_skips_stale_ones() {
        let mut queue = ExpiryQueue::new();
        // Key 1 was stored to expire at 10, then stored again to expire at
        // 50: its first entry is stale. Key 2 expires at 20, key 3 at 30.
        for (key, expires) in [(1, 10), (2, 20), (3, 30), (1, 50)] {
            queue.push(key, expires);
        }
        let table = |key: u64| match key {
            1 => Some(50),
            2 => Some(20),
            3 => Some(30),
            _ => None,
        };
        // At 25: 1's entry at 10 is stale, 2 has expired, 3 has not.
        assert_eq!(queue.pop_expired(25, table), Some(2));
        assert_eq!(queue.pop_expired(25, table), None);
        // At exactly 30, 3 has expired (expiry at or before now).
        assert_eq!(queue.pop_expired(30, table), Some(3));
        assert_eq!(queue.len(), 1, "only 1's live entry at 50 is left");
    }

    #[test]
    fn compaction_keeps_only_live_entries() {
        let mut queue = ExpiryQueue::new();
        for key in 0..3000 {
            queue.push(key, 100 + key);
        }
        // Only keys below 10 are still resident with those expiries.
        let table = |key: u64| (key < 10).then_some(100 + key);
        queue.compact(10, table);
        assert_eq!(queue.len(), 10);
        queue.compact(10, table);
        assert_eq!(queue.len(), 10);
    }
}

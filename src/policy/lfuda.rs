//! LFUDA: LFU with dynamic aging. Each object has a count; the cache age L
//! is the count of the last object evicted; new objects start at L + 1, so
//! objects that were popular long ago no longer outlive new ones forever.
//!
//! Arlitt, Cherkasova, Dilley, Friedrich & Jin, "Evaluating content
//! management techniques for Web proxy caches", ACM SIGMETRICS Performance
//! Evaluation Review 2000, as implemented in libCacheSim's `LFUDA.c`
//! (develop, 2024), whose exact rules are followed because its unit test is
//! our oracle:
//! - an insert gets count L + 1; a hit adds L to the count (not 1: while
//!   nothing has been evicted, L is 0 and a hit only refreshes recency);
//! - objects of one count form a queue; eviction takes the oldest entry of
//!   the bucket whose count is L (of count 1 while L ≤ 1), and L becomes that
//!   count;
//! - when the bucket of count L empties (by an eviction, or by a hit that
//!   moves its last object), L moves to the lowest non-empty count in
//!   (L, M], where M is the highest count any hit has produced (inserts do
//!   not raise M), before the hit object joins its new bucket — so L can
//!   pass that object, which then waits below L;
//! - if no such count exists, L stays.
//!
//! Sizes do not enter the priority (LFUDA is the size-blind member of the
//! GreedyDual family; see `gdsf` for the size-aware one); the cache evicts
//! until the new object fits. No parameters.
//!
//! Deviation: where libCacheSim would then evict from an empty bucket (L
//! names a count no object has, which crashes it), this evicts the oldest
//! object of the lowest non-empty count instead. libCacheSim's test never
//! reaches that case.

use std::collections::BTreeMap;

use super::parts::list::{Entries, List};
use super::parts::room::make_room;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "lfuda",
    about: "LFU with dynamic aging: counts start at the last evicted count plus one",
    source: "Arlitt et al., SIGMETRICS PER 2000; libCacheSim LFUDA.c",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Lfuda::new(args.capacity))
}

/// LFU with dynamic aging.
pub struct Lfuda {
    capacity: u64,
    used: u64,
    /// Per object: its count.
    entries: Entries<u64>,
    /// The non-empty buckets by count; head: newest entry.
    buckets: BTreeMap<u64, List>,
    /// The cache age L.
    age: u64,
    /// The highest count a hit has produced (M).
    highest_hit: u64,
}

impl Lfuda {
    /// An empty LFUDA cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Lfuda {
            capacity,
            used: 0,
            entries: Entries::default(),
            buckets: BTreeMap::new(),
            age: 0,
            highest_hit: 0,
        }
    }

    /// Unlinks `slot` from the bucket of `count`, dropping the bucket if it
    /// empties; returns whether it did.
    fn unlink(&mut self, slot: u32, count: u64) -> bool {
        let bucket = self.buckets.get_mut(&count).expect("count has a bucket");
        bucket.unlink(self.entries.slab_mut(), slot);
        let emptied = bucket.is_empty();
        if emptied {
            self.buckets.remove(&count);
        }
        emptied
    }

    /// Links `slot` as the newest entry of the bucket of `count`.
    fn link(&mut self, slot: u32, count: u64) {
        self.entries.node_mut(slot).meta = count;
        self.buckets
            .entry(count)
            .or_default()
            .push_head(self.entries.slab_mut(), slot);
    }

    /// The bucket of count L has emptied: L moves to the lowest non-empty
    /// count in (L, M], if any.
    fn advance_age(&mut self) {
        if self.age < self.highest_hit {
            let next = self.buckets.range(self.age + 1..=self.highest_hit).next();
            if let Some((&count, _)) = next {
                self.age = count;
            }
        }
    }

    /// Evicts the oldest entry of the bucket of count L; returns its key.
    fn evict_one(&mut self) -> u64 {
        let at_age = self.age.max(1);
        let count = if self.buckets.contains_key(&at_age) {
            at_age
        } else {
            *self
                .buckets
                .keys()
                .next()
                .expect("evicting from an empty lfuda")
        };
        let slot = self.buckets[&count].tail().expect("buckets are non-empty");
        self.age = count;
        if self.unlink(slot, count) {
            self.advance_age();
        }
        let (key, size) = self.entries.remove(slot);
        self.used -= u64::from(size);
        key
    }
}

impl Policy for Lfuda {
    #[inline]
    fn get(&mut self, req: &Request) -> bool {
        let Some(slot) = self.entries.find(req.key) else {
            return false;
        };
        let count = self.entries.node(slot).meta;
        let raised = count + self.age;
        self.highest_hit = self.highest_hit.max(raised);
        if self.unlink(slot, count) && count == self.age {
            self.advance_age();
        }
        self.link(slot, raised);
        true
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let admitted = make_room(self, req.size, evicted, |lfuda, evicted| {
            evicted.push(lfuda.evict_one());
        });
        if admitted {
            let slot = self.entries.add(req.key, req.size, 0);
            self.link(slot, self.age + 1);
            self.used += u64::from(req.size);
        }
        admitted
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        let count = self.entries.node(slot).meta;
        if self.unlink(slot, count) && count == self.age {
            self.advance_age();
        }
        self.used -= u64::from(self.entries.remove(slot).1);
        true
    }

    fn contains(&self, key: u64) -> bool {
        self.entries.find(key).is_some()
    }

    #[inline]
    fn occupancy(&self) -> Occupancy {
        Occupancy {
            len: self.entries.len(),
            used: self.used,
            capacity: self.capacity,
        }
    }

    fn check_invariants(&self) {
        let slab = self.entries.slab();
        self.entries.check();
        let (mut objects, mut bytes) = (0, 0);
        for (&count, bucket) in &self.buckets {
            assert!(!bucket.is_empty(), "empty bucket of count {count} kept");
            assert!(count >= 1, "count 0");
            bucket.check_tagged(slab, &format!("bucket {count}"), count, |&c| c);
            objects += bucket.len();
            bytes += bucket.bytes();
        }
        assert_eq!(objects, self.entries.len(), "every entry is in a bucket");
        assert_eq!(bytes, self.used, "byte count");
        assert!(self.used <= self.capacity, "over capacity");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(c: &mut Lfuda, key: u64) -> Vec<u64> {
        let mut evicted = Vec::new();
        if !c.get(&Request::get(key, 1)) {
            assert!(c.insert(&Request::get(key, 1), &mut evicted));
        }
        c.check_invariants();
        evicted
    }

    fn count(c: &Lfuda, key: u64) -> u64 {
        c.entries.node(c.entries.find(key).unwrap()).meta
    }

    #[test]
    fn before_the_first_eviction_hits_only_refresh_recency() {
        let mut c = Lfuda::new(3);
        for key in [1, 2, 3, 1] {
            access(&mut c, key);
        }
        // L is 0: 1's count stays 1, but it is now the newest of bucket 1,
        // so 2, the oldest, leaves; L becomes 1 and 4 enters with count 2.
        assert_eq!(count(&c, 1), 1);
        assert_eq!(access(&mut c, 4), [2]);
        assert_eq!((c.age, count(&c, 4)), (1, 2));
    }

    #[test]
    fn hits_add_the_age_and_new_objects_start_above_it() {
        let mut c = Lfuda::new(3);
        for key in [1, 2, 3] {
            access(&mut c, key);
        }
        assert_eq!(access(&mut c, 4), [1]);
        // L = 1. A hit on 3 adds L: count 2, and M = 2.
        access(&mut c, 3);
        assert_eq!((count(&c, 3), c.highest_hit), (2, 2));
        // 2 is the last of count 1: evicting it empties bucket L, and L
        // moves to the lowest count in (1, 2], 2. 5 enters with 3.
        assert_eq!(access(&mut c, 5), [2]);
        assert_eq!((c.age, count(&c, 5)), (2, 3));
        // Count 2 holds 4 (older) and 3: 4 leaves first.
        assert_eq!(access(&mut c, 6), [4]);
        // A hit on 5 adds L = 2.
        access(&mut c, 5);
        assert_eq!(count(&c, 5), 5);
    }

    #[test]
    fn the_age_can_pass_the_object_a_hit_moves() {
        let mut c = Lfuda::new(3);
        for key in [1, 2, 3] {
            access(&mut c, key);
        }
        assert_eq!(access(&mut c, 4), [1]);
        // L = 1; 3 and 4 are hit to counts 2 and 3; 2 is evicted, so L = 2.
        access(&mut c, 3);
        access(&mut c, 4);
        access(&mut c, 4);
        assert_eq!((count(&c, 3), count(&c, 4)), (2, 4));
        assert_eq!(access(&mut c, 5), [2]);
        assert_eq!(c.age, 2);
        // 3, the only object of count L = 2, is hit: its count becomes 4,
        // but L moves first, to the lowest other count in (2, M = 4]: 5's 3.
        access(&mut c, 3);
        assert_eq!((c.age, count(&c, 3)), (3, 4));
        // So 5 (count 3) leaves before 3 and 4 (count 4).
        assert_eq!(access(&mut c, 6), [5]);
    }

    #[test]
    fn an_empty_age_bucket_falls_back_to_the_lowest_count() {
        let mut c = Lfuda::new(1);
        access(&mut c, 1);
        // L = 1 after this eviction, and bucket 1 empties with nothing in
        // (1, M = 0]: L stays 1 while 2 enters at count 2.
        assert_eq!(access(&mut c, 2), [1]);
        assert_eq!((c.age, count(&c, 2)), (1, 2));
        // libCacheSim would evict from the empty bucket 1; here 2 leaves.
        assert_eq!(access(&mut c, 3), [2]);
        assert_eq!(c.age, 2);
    }
}

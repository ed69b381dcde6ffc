//! LFU: evict the object with the fewest hits since it entered the cache;
//! among equals, the least recently used.
//!
//! In-cache LFU: a count starts at 1 on insert, grows by 1 on each hit, and
//! is forgotten on eviction. Every operation is O(1) with the frequency-bucket
//! structure of Shah, Mitra & Matani, "An O(1) algorithm for implementing the
//! LFU cache eviction scheme" (2010): a doubly linked list of buckets in
//! increasing count order, one per count that some object has, each holding
//! its objects in a list. A hit moves the object to the bucket of the next
//! count, creating it right after the current bucket if needed and dropping
//! the current bucket if it empties; eviction takes from the first bucket.
//! Where the paper leaves the order inside a bucket open, here each bucket is
//! an LRU list (an object enters at the head when its count changes, which
//! is exactly when it is accessed), so ties go to the least recently used.
//! The buckets are [`crate::policy::parts::buckets`], shared with LeCaR's
//! LFU expert. No parameters. Sizes are bytes: the policy evicts until the
//! new object fits.

use super::parts::buckets::Ladder;
use super::parts::list::Entries;
use super::parts::room::make_room;
use super::registry::{BuildArgs, PolicySpec};
use super::{Occupancy, Policy};
use crate::request::Request;

/// Registry entry.
pub const SPEC: PolicySpec = PolicySpec {
    name: "lfu",
    about: "least frequently used (in-cache counts), ties to the least recently used",
    source: "Shah, Mitra & Matani, O(1) LFU, 2010",
    params: &[],
    needs_future: false,
    build,
};

fn build(args: &BuildArgs) -> Box<dyn Policy> {
    Box::new(Lfu::new(args.capacity))
}

/// In-cache LFU with LRU tie-breaking.
pub struct Lfu {
    capacity: u64,
    used: u64,
    /// Per object: the bucket it is in.
    entries: Entries<u32>,
    /// Objects by count; in each bucket the most recently accessed at the head.
    buckets: Ladder,
}

impl Lfu {
    /// An empty LFU cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Lfu {
            capacity,
            used: 0,
            entries: Entries::default(),
            buckets: Ladder::default(),
        }
    }

    /// Evicts the least recently used object of the lowest count; returns its key.
    fn evict_one(&mut self) -> u64 {
        let id = self.buckets.lowest().expect("evicting from an empty lfu");
        let slot = self.buckets.items(id).tail().expect("empty bucket linked");
        self.buckets.remove(self.entries.slab_mut(), slot, id);
        let (key, size) = self.entries.remove(slot);
        self.used -= u64::from(size);
        key
    }
}

impl Policy for Lfu {
    #[inline]
    fn get(&mut self, req: &Request) -> bool {
        let Some(slot) = self.entries.find(req.key) else {
            return false;
        };
        let from = self.entries.node(slot).meta;
        let to = self.buckets.promote(self.entries.slab_mut(), slot, from);
        self.entries.node_mut(slot).meta = to;
        true
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let fits = make_room(self, req.size, evicted, |lfu, evicted| {
            evicted.push(lfu.evict_one());
        });
        if !fits {
            return false;
        }
        let slot = self.entries.add(req.key, req.size, 0);
        let to = self.buckets.insert(self.entries.slab_mut(), slot);
        self.entries.node_mut(slot).meta = to;
        self.used += u64::from(req.size);
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        let id = self.entries.node(slot).meta;
        self.buckets.remove(self.entries.slab_mut(), slot, id);
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
        let (objects, bytes) = self.buckets.check(slab);
        for (id, _, items) in self.buckets.iter() {
            items.check_tagged(slab, &format!("bucket {id}"), id, |&meta| meta);
        }
        assert_eq!(objects, self.entries.len(), "every entry is in a bucket");
        assert_eq!(bytes, self.used, "byte count");
        assert!(self.used <= self.capacity, "over capacity");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(lfu: &mut Lfu, key: u64) -> Vec<u64> {
        let mut evicted = Vec::new();
        if !lfu.get(&Request::get(key, 1)) {
            assert!(lfu.insert(&Request::get(key, 1), &mut evicted));
        }
        lfu.check_invariants();
        evicted
    }

    /// (count, keys from most to least recently used) for each bucket.
    fn buckets(lfu: &Lfu) -> Vec<(u64, Vec<u64>)> {
        let slab = lfu.entries.slab();
        lfu.buckets
            .iter()
            .map(|(_, count, items)| (count, items.iter(slab).map(|s| slab.get(s).key).collect()))
            .collect()
    }

    #[test]
    fn ties_go_to_the_least_recently_used() {
        let mut lfu = Lfu::new(3);
        for key in [1, 2, 3] {
            access(&mut lfu, key);
        }
        // All have count 1; 2 and then 1 are hit, so both reach count 2 and
        // 1 is the more recent of them.
        access(&mut lfu, 2);
        access(&mut lfu, 1);
        assert_eq!(buckets(&lfu), [(1, vec![3]), (2, vec![1, 2])]);
        // 3 has the lowest count and leaves.
        assert_eq!(access(&mut lfu, 4), [3]);
        // 4 now has the lowest count (1) and leaves next, although newest.
        assert_eq!(access(&mut lfu, 5), [4]);
        // A hit lifts 5 to count 2, where it is the most recent of three.
        access(&mut lfu, 5);
        assert_eq!(buckets(&lfu), [(2, vec![5, 1, 2])]);
        // All tie at 2: the least recently used, 2, leaves.
        assert_eq!(access(&mut lfu, 6), [2]);
    }

    #[test]
    fn counts_are_forgotten_on_eviction() {
        let mut lfu = Lfu::new(2);
        for key in [1, 1, 1, 2] {
            access(&mut lfu, key);
        }
        // 2 (count 1) leaves for 3; then 3 (count 1) leaves for 2, which
        // comes back with count 1, not 2.
        assert_eq!(access(&mut lfu, 3), [2]);
        assert_eq!(access(&mut lfu, 2), [3]);
        assert_eq!(buckets(&lfu), [(1, vec![2]), (3, vec![1])]);
    }

    #[test]
    fn buckets_are_recycled_and_gaps_are_skipped() {
        let mut lfu = Lfu::new(10);
        for key in [1, 2, 1, 1, 1] {
            access(&mut lfu, key);
        }
        // 1 walked through counts 1..=4, reusing freed buckets.
        assert_eq!(buckets(&lfu), [(1, vec![2]), (4, vec![1])]);
        assert!(
            lfu.buckets.allocated() <= 3,
            "{} buckets allocated",
            lfu.buckets.allocated()
        );
        // 2 jumps to count 2, a bucket that no longer exists: it is created
        // between 1 (now empty, dropped) and 4.
        access(&mut lfu, 2);
        assert_eq!(buckets(&lfu), [(2, vec![2]), (4, vec![1])]);
        assert!(lfu.remove(1));
        assert_eq!(buckets(&lfu), [(2, vec![2])]);
        lfu.check_invariants();
    }
}

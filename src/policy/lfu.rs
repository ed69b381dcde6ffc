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
//! No parameters. Sizes are bytes: the policy evicts until the new object
//! fits.

use super::parts::list::{Entries, List, NIL};
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

/// The objects that share one count.
#[derive(Clone, Debug)]
struct Bucket {
    count: u64,
    /// Head: most recently accessed; tail: least.
    items: List,
    /// The bucket of the next lower count, or NIL.
    lower: u32,
    /// The bucket of the next higher count, or NIL; threads the free list
    /// while the bucket is unused.
    higher: u32,
}

/// In-cache LFU with LRU tie-breaking.
pub struct Lfu {
    capacity: u64,
    used: u64,
    /// Per object: the bucket it is in.
    entries: Entries<u32>,
    buckets: Vec<Bucket>,
    /// The bucket with the lowest count, or NIL.
    lowest: u32,
    /// Unused buckets, threaded through `higher`.
    free: u32,
}

impl Lfu {
    /// An empty LFU cache of `capacity` units.
    pub fn new(capacity: u64) -> Self {
        Lfu {
            capacity,
            used: 0,
            entries: Entries::default(),
            buckets: Vec::new(),
            lowest: NIL,
            free: NIL,
        }
    }

    /// Links a new empty bucket of `count` right after `lower` (or first,
    /// when `lower` is NIL) and returns it.
    fn new_bucket(&mut self, count: u64, lower: u32) -> u32 {
        let higher = if lower == NIL {
            self.lowest
        } else {
            self.buckets[lower as usize].higher
        };
        let bucket = Bucket {
            count,
            items: List::default(),
            lower,
            higher,
        };
        let id = if self.free == NIL {
            self.buckets.push(bucket);
            u32::try_from(self.buckets.len() - 1).expect("more than 2^32 buckets")
        } else {
            let id = self.free;
            self.free = self.buckets[id as usize].higher;
            self.buckets[id as usize] = bucket;
            id
        };
        if lower == NIL {
            self.lowest = id;
        } else {
            self.buckets[lower as usize].higher = id;
        }
        if higher != NIL {
            self.buckets[higher as usize].lower = id;
        }
        id
    }

    /// Unlinks `id` if it has no objects left, and recycles it.
    fn drop_if_empty(&mut self, id: u32) {
        let bucket = &self.buckets[id as usize];
        if !bucket.items.is_empty() {
            return;
        }
        let (lower, higher) = (bucket.lower, bucket.higher);
        if lower == NIL {
            self.lowest = higher;
        } else {
            self.buckets[lower as usize].higher = higher;
        }
        if higher != NIL {
            self.buckets[higher as usize].lower = lower;
        }
        self.buckets[id as usize].higher = self.free;
        self.free = id;
    }

    /// Evicts the least recently used object of the lowest count; returns its key.
    fn evict_one(&mut self) -> u64 {
        let id = self.lowest;
        assert!(id != NIL, "evicting from an empty lfu");
        let slot = self.buckets[id as usize]
            .items
            .pop_tail(self.entries.slab_mut())
            .expect("empty bucket linked");
        self.drop_if_empty(id);
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
        let bucket = &self.buckets[from as usize];
        let count = bucket.count + 1;
        let higher = bucket.higher;
        let to = if higher != NIL && self.buckets[higher as usize].count == count {
            higher
        } else {
            self.new_bucket(count, from)
        };
        self.buckets[from as usize]
            .items
            .unlink(self.entries.slab_mut(), slot);
        self.buckets[to as usize]
            .items
            .push_head(self.entries.slab_mut(), slot);
        self.entries.node_mut(slot).meta = to;
        self.drop_if_empty(from);
        true
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<u64>) -> bool {
        let fits = make_room(self, req.size, evicted, |lfu, evicted| {
            evicted.push(lfu.evict_one());
        });
        if !fits {
            return false;
        }
        let lowest = self.lowest;
        let to = if lowest != NIL && self.buckets[lowest as usize].count == 1 {
            lowest
        } else {
            self.new_bucket(1, NIL)
        };
        let slot = self.entries.add(req.key, req.size, to);
        self.buckets[to as usize]
            .items
            .push_head(self.entries.slab_mut(), slot);
        self.used += u64::from(req.size);
        true
    }

    fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.entries.find(key) else {
            return false;
        };
        let id = self.entries.node(slot).meta;
        self.buckets[id as usize]
            .items
            .unlink(self.entries.slab_mut(), slot);
        self.drop_if_empty(id);
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
        let (mut objects, mut bytes, mut buckets) = (0usize, 0u64, 0usize);
        let (mut lower, mut id, mut last_count) = (NIL, self.lowest, 0u64);
        while id != NIL {
            let bucket = &self.buckets[id as usize];
            assert_eq!(bucket.lower, lower, "broken back link at bucket {id}");
            assert!(
                bucket.count > last_count,
                "bucket counts not increasing at {}",
                bucket.count
            );
            assert!(
                !bucket.items.is_empty(),
                "empty bucket of count {} is linked",
                bucket.count
            );
            bucket
                .items
                .check_tagged(slab, &format!("bucket {id}"), id, |&meta| meta);
            objects += bucket.items.len();
            bytes += bucket.items.bytes();
            buckets += 1;
            assert!(buckets <= self.buckets.len(), "cycle in the bucket list");
            (lower, last_count, id) = (id, bucket.count, bucket.higher);
        }
        assert_eq!(objects, self.entries.len(), "every entry is in a bucket");
        assert_eq!(bytes, self.used, "byte count");
        assert!(self.used <= self.capacity, "over capacity");
        let mut free = 0;
        let mut id = self.free;
        while id != NIL {
            free += 1;
            assert!(free <= self.buckets.len(), "cycle in the free buckets");
            id = self.buckets[id as usize].higher;
        }
        assert_eq!(buckets + free, self.buckets.len(), "buckets lost");
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
        let mut out = Vec::new();
        let mut id = lfu.lowest;
        while id != NIL {
            let b = &lfu.buckets[id as usize];
            out.push((
                b.count,
                b.items.iter(slab).map(|s| slab.get(s).key).collect(),
            ));
            id = b.higher;
        }
        out
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
            lfu.buckets.len() <= 3,
            "{} buckets allocated",
            lfu.buckets.len()
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

//! Frequency buckets in O(1): Shah, Mitra & Matani, "An O(1) algorithm for
//! implementing the LFU cache eviction scheme" (2010). A doubly linked
//! ladder of buckets in increasing count order, one per count that some
//! node has, each holding its nodes in an intrusive [`List`] over the
//! caller's [`Slab`]. A node enters a bucket at its head, so in each bucket
//! the tail is the node that reached the count first. Buckets are recycled
//! through a free list, so a hit allocates nothing.

use super::list::{List, NIL, Slab};

/// The nodes that share one count.
#[derive(Clone, Debug)]
struct Bucket {
    count: u64,
    /// Head: the latest to reach this count; tail: the earliest.
    items: List,
    /// The bucket of the next lower count, or NIL.
    lower: u32,
    /// The bucket of the next higher count, or NIL; threads the free list
    /// while the bucket is unused.
    higher: u32,
}

/// The ladder of buckets.
#[derive(Clone, Debug)]
pub struct Ladder {
    buckets: Vec<Bucket>,
    /// The bucket with the lowest count, or NIL.
    lowest: u32,
    /// Unused buckets, threaded through `higher`.
    free: u32,
}

impl Default for Ladder {
    fn default() -> Self {
        Ladder {
            buckets: Vec::new(),
            lowest: NIL,
            free: NIL,
        }
    }
}

impl Ladder {
    /// The bucket with the lowest count, if any node is linked.
    #[inline]
    pub fn lowest(&self) -> Option<u32> {
        (self.lowest != NIL).then_some(self.lowest)
    }

    /// Buckets allocated, linked or free.
    pub fn allocated(&self) -> usize {
        self.buckets.len()
    }

    /// The count of bucket `id`.
    #[inline]
    pub fn count(&self, id: u32) -> u64 {
        self.buckets[id as usize].count
    }

    /// The nodes of bucket `id`.
    #[inline]
    pub fn items(&self, id: u32) -> &List {
        &self.buckets[id as usize].items
    }

    /// Links the unlinked `slot` at the head of the bucket of count 1;
    /// returns that bucket.
    #[inline]
    pub fn insert<T>(&mut self, slab: &mut Slab<T>, slot: u32) -> u32 {
        let lowest = self.lowest;
        let to = if lowest != NIL && self.buckets[lowest as usize].count == 1 {
            lowest
        } else {
            self.new_bucket(1, NIL)
        };
        self.buckets[to as usize].items.push_head(slab, slot);
        to
    }

    /// Moves `slot` from its bucket `from` to the head of the bucket of the
    /// next count; returns that bucket.
    #[inline]
    pub fn promote<T>(&mut self, slab: &mut Slab<T>, slot: u32, from: u32) -> u32 {
        let bucket = &self.buckets[from as usize];
        let count = bucket.count + 1;
        let higher = bucket.higher;
        let to = if higher != NIL && self.buckets[higher as usize].count == count {
            higher
        } else {
            self.new_bucket(count, from)
        };
        self.buckets[from as usize].items.unlink(slab, slot);
        self.buckets[to as usize].items.push_head(slab, slot);
        self.drop_if_empty(from);
        to
    }

    /// Unlinks `slot` from its bucket `id`.
    #[inline]
    pub fn remove<T>(&mut self, slab: &mut Slab<T>, slot: u32, id: u32) {
        self.buckets[id as usize].items.unlink(slab, slot);
        self.drop_if_empty(id);
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

    /// Unlinks `id` if it has no nodes left, and recycles it.
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

    /// The linked buckets, lowest count first, as (id, count, nodes).
    pub fn iter(&self) -> impl Iterator<Item = (u32, u64, &List)> + '_ {
        let mut id = self.lowest;
        std::iter::from_fn(move || {
            (id != NIL).then(|| {
                let bucket = &self.buckets[id as usize];
                let here = id;
                id = bucket.higher;
                (here, bucket.count, &bucket.items)
            })
        })
    }

    /// Panics unless the ladder's links agree, counts strictly increase, no
    /// empty bucket is linked, every bucket's list is sound over `slab`,
    /// and no bucket is lost. Returns the number of linked nodes and the
    /// sum of their sizes.
    pub fn check<T>(&self, slab: &Slab<T>) -> (usize, u64) {
        let (mut nodes, mut bytes, mut linked) = (0usize, 0u64, 0usize);
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
            bucket.items.check(slab);
            nodes += bucket.items.len();
            bytes += bucket.items.bytes();
            linked += 1;
            assert!(linked <= self.buckets.len(), "cycle in the bucket list");
            (lower, last_count, id) = (id, bucket.count, bucket.higher);
        }
        let mut free = 0;
        let mut id = self.free;
        while id != NIL {
            free += 1;
            assert!(free <= self.buckets.len(), "cycle in the free buckets");
            id = self.buckets[id as usize].higher;
        }
        assert_eq!(linked + free, self.buckets.len(), "buckets lost");
        (nodes, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (count, keys from the latest to the earliest arrival) per bucket.
    fn shape(ladder: &Ladder, slab: &Slab<()>) -> Vec<(u64, Vec<u64>)> {
        ladder
            .iter()
            .map(|(_, count, items)| (count, items.iter(slab).map(|s| slab.get(s).key).collect()))
            .collect()
    }

    #[test]
    fn promotions_climb_one_count_at_a_time_and_buckets_are_recycled() {
        let mut slab = Slab::default();
        let mut ladder = Ladder::default();
        let mut at = Vec::new();
        for key in 1..=3 {
            let slot = slab.alloc(key, 1, ());
            at.push((slot, ladder.insert(&mut slab, slot)));
        }
        assert_eq!(shape(&ladder, &slab), [(1, vec![3, 2, 1])]);
        // 1 is promoted twice, 2 once: 2 reaches count 2 after 1 did, so it
        // is the head there until 1 leaves for count 3.
        let (one, b) = at[0];
        let b = ladder.promote(&mut slab, one, b);
        let (two, c) = at[1];
        ladder.promote(&mut slab, two, c);
        assert_eq!(shape(&ladder, &slab), [(1, vec![3]), (2, vec![2, 1])]);
        let b = ladder.promote(&mut slab, one, b);
        assert_eq!(
            shape(&ladder, &slab),
            [(1, vec![3]), (2, vec![2]), (3, vec![1])]
        );
        // 3 leaves; count 1 is dropped and its bucket recycled for count 4.
        let (three, d) = at[2];
        ladder.remove(&mut slab, three, d);
        ladder.promote(&mut slab, one, b);
        assert_eq!(shape(&ladder, &slab), [(2, vec![2]), (4, vec![1])]);
        assert_eq!(ladder.buckets.len(), 3, "no bucket allocated for count 4");
        assert_eq!(ladder.check(&slab), (2, 2));
        assert_eq!(ladder.count(ladder.lowest().unwrap()), 2);
    }
}
